"""planner nation and planner sweep on Dask: a local two-worker cluster, a scheduler and worker started as their own
processes, a broken province among good ones, a 2×2 sweep, unknown sweep keys refused before anything is solved."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planner import labels as L
from planner import nation
from planner.cli import main
from planner.kpis import kpi_label
from planner.errors import ScenarioError
from planner.nation import Outcome, find_inputs, national_table, parse_vary, run_table, sweep_scenarios
from planner.report.national import write_national_workbook
from planner.sample import build_sample
from planner.scenario import Scenario
from planner.schema import sheet_keys
from planner.template import write_input_workbook
from planner.validate import load_dataset
from planner.yesno import fold

SMALL = ("Lai Châu", "Thành phố Huế")  # 38 and 40 communes
BROKEN = "Điện Biên"
PER_COMMUNE = 8  # officials per commune: small plans, fast tests
DASK = Path(sys.executable).parent / "dask"


def _sheet_rows(path: Path, sheet_index: int = 0) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[openpyxl.load_workbook(path).sheetnames[sheet_index]]
    return [row for row in ws.iter_rows(values_only=True)]


def _table(path: Path, sheet_index: int, first_header: str) -> pd.DataFrame:
    """The table of a sheet whose header row starts with `first_header` (rows until the first empty one or the
    national totals row)."""
    rows = _sheet_rows(path, sheet_index)
    top = next(k for k, row in enumerate(rows) if row and row[0] == first_header)
    body = []
    for row in rows[top + 1:]:
        if all(v is None for v in row) or L.text("national_total", "vi") in row or L.text("national_total", "en") in row:
            break
        body.append(row)
    return pd.DataFrame(body, columns=rows[top])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """Two small province workbooks, one whose commune sheet has a word where a population should be, and a workbook
    that is not an input."""
    folder = tmp_path_factory.mktemp("provinces")
    for province in SMALL:
        write_input_workbook(folder / f"{province}.xlsx", build_sample(province, 7, officials_per_commune=PER_COMMUNE))
    broken = build_sample(BROKEN, 7, officials_per_commune=PER_COMMUNE)
    path = write_input_workbook(folder / f"{BROKEN}.xlsx", broken)
    wb = openpyxl.load_workbook(path)
    ws = next(wb[name] for name in wb.sheetnames if sheet_keys().get(fold(name)) == "communes")
    population = int(broken["communes"]["population"].iloc[0])
    cell = next(c for row in ws.iter_rows() for c in row if c.value == population)
    cell.value = "nhiều"
    wb.save(path)
    other = openpyxl.Workbook()
    other.active.title = "Ngân sách 2026"
    other.save(folder / "ngan_sach.xlsx")
    return folder


def test_nation_on_a_local_two_worker_cluster(data_dir, tmp_path, capsys):
    out, csv_dir = tmp_path / "national.xlsx", tmp_path / "csv"
    code = main(["nation", str(data_dir), "--out", str(out), "--csv-dir", str(csv_dir), "--workers", "2"])
    err = capsys.readouterr().err
    assert code == nation.EXIT_SOME_FAILED  # the national workbook is written, one province is not planned
    assert "ngan_sach.xlsx" in err and f"{BROKEN}.xlsx" in err and "nhiều" in err  # skipped file; cell named
    for province in SMALL:
        assert f"] {province} " in err  # one progress line per province (not a terminal)

    table = _table(out, 0, L.nation_label("province_code", "vi"))
    status, name = L.nation_label("status", "vi"), L.nation_label("province", "vi")
    done = table[table[status] == L.value_label("run_status", "ok", "vi")]
    assert sorted(done[name]) == sorted(SMALL), (table.to_string(), err)
    bad = table[table[status] == L.value_label("run_status", "invalid", "vi")]
    assert len(bad) == 1 and bad[name].iloc[0] == f"{BROKEN}.xlsx"
    officials = L.nation_label("officials", "vi")
    for province in SMALL:  # the figures are the input's and the plan's own KPIs
        ds = load_dataset(data_dir / f"{province}.xlsx")
        row = done[done[name] == province].iloc[0]
        assert row[officials] == len(ds["officials"])
        kpis = pd.read_csv(csv_dir / province / "staffing_kpis.csv", encoding="utf-8-sig")
        assigned = kpis.loc[kpis["kpi"] == "assigned", "value"].iloc[0]
        assert row[kpi_label("assigned", "vi")] == assigned
    rows = _sheet_rows(out)
    totals = next(r for r in rows if r[1] == L.text("national_total", "vi"))
    header = next(r for r in rows if r[0] == L.nation_label("province_code", "vi"))
    assert totals[header.index(officials)] == done[officials].sum()  # the broken province is not added in
    wb = openpyxl.load_workbook(out)
    first = wb[wb.sheetnames[0]]
    assert first.page_setup.orientation == "landscape" and first.sheet_properties.pageSetUpPr.fitToPage
    assert len(wb[wb.sheetnames[1]]._charts) >= 3
    runs = _table(out, 2, L.nation_label("province", "vi"))
    assert (runs[L.nation_label("seconds", "vi")].dropna() > 0).all()
    assert sorted(p.name for p in (tmp_path / "national_tinh").iterdir()) == sorted(f"{p}.xlsx" for p in SMALL)
    national_csv = pd.read_csv(csv_dir / "national.csv", encoding="utf-8-sig")
    assert set(national_csv["status"]) == {"ok", "invalid"}


@pytest.fixture
def scheduler(tmp_path):
    """A Dask scheduler and one worker, each started as its own process; torn down afterwards."""
    file = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(file)], **quiet)]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        procs.append(subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(file), "--nworkers", "1",
                                       "--nthreads", "1", "--no-dashboard", "--memory-limit", "3GB"], **quiet))
        yield json.loads(file.read_text())["address"]
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_nation_against_a_scheduler_in_its_own_process(scheduler, tmp_path, capsys):
    out = tmp_path / "national.xlsx"
    code = main(["nation", "--sample", "--provinces", ",".join(SMALL), "--officials-per-commune", str(PER_COMMUNE),
                 "--stages", "staffing", "--scheduler", scheduler, "--out", str(out), "--lang", "en"])
    assert code == 0, capsys.readouterr().err
    table = _table(out, 0, L.nation_label("province_code", "en"))
    assert sorted(table[L.nation_label("province", "en")]) == sorted(SMALL)
    assert (table[L.nation_label("status", "en")] == L.value_label("run_status", "ok", "en")).all()
    runs = _table(out, 2, L.nation_label("province", "en"))
    workers = set(runs[L.nation_label("worker", "en")])
    assert len(workers) == 1 and workers.pop().startswith("tcp://127.0.0.1:")  # the one worker process did it all
    assert any(scheduler in str(r[0]) for r in _sheet_rows(out, 2) if r and r[0])  # the engine is named


def test_sweep_two_by_two(data_dir, tmp_path, capsys):
    out = tmp_path / "sweep.xlsx"
    source = data_dir / f"{SMALL[0]}.xlsx"
    code = main(["sweep", str(source), "--vary", "staffing.shortage_penalty.it_digital=0,3000",
                 "--vary", "staffing.cost_per_km=0.2,5", "--stages", "staffing", "--workers", "2", "--out", str(out),
                 "--lang", "en"])
    assert code == 0, capsys.readouterr().err
    table = _table(out, 0, L.nation_label("combination", "en"))
    assert len(table) == 4
    penalty, per_km = "staffing.shortage_penalty.it_digital", "staffing.cost_per_km"
    assert sorted(zip(table[penalty], table[per_km])) == [(0, 0.2), (0, 5), (3000, 0.2), (3000, 5)]
    commute = kpi_label("mean_commute_km", "en")
    it_shortage = kpi_label({"kpi": "shortage_by_field", "code": "it_digital"}, "en")
    by = table.set_index([penalty, per_km])
    for p in (0, 3000):  # commuting dearer: the commutes do not get longer
        assert by.loc[(p, 5), commute] <= by.loc[(p, 0.2), commute] + 1e-9
    assert table[commute].nunique() > 1
    if it_shortage in table.columns:  # shown when it changes: a dearer IT shortage is never larger
        for c in (0.2, 5):
            assert by.loc[(3000, c), it_shortage] <= by.loc[(0, c), it_shortage]
    changes = _table(out, 1, L.nation_label("kpi", "en"))
    flag = changes.set_index(L.nation_label("kpi", "en"))[L.nation_label("changes", "en")]
    assert flag[commute] == L.value_label("bool", "true", "en")
    values = changes.iloc[:, 5:]  # one column per combination
    differ = values.nunique(axis=1, dropna=False) > 1
    assert (changes[L.nation_label("changes", "en")] == differ.map(lambda d: L.value_label("bool", str(d).lower(),
                                                                                          "en"))).all()
    assert values.shape[1] == 4 and not differ.all()


def test_unknown_sweep_key_is_refused_before_any_solve(data_dir, tmp_path, capsys, monkeypatch):
    def no_engine(*args, **kwargs):
        raise AssertionError("the engine must not start")

    monkeypatch.setattr(nation, "dask_client", no_engine)
    out = tmp_path / "sweep.xlsx"
    code = main(["sweep", str(data_dir / f"{SMALL[0]}.xlsx"), "--vary", "staffing.shortage_penalty.it_digitl=1,2",
                 "--vary", "staffing.no_such_knob=1", "--vary", "staffing.cost_per_km=1,2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "staffing.shortage_penalty.it_digitl" in err and "staffing.no_such_knob" in err
    assert "cost_per_km" not in err  # a valid key is not blamed
    with pytest.raises(ScenarioError, match="KEY=V1"):
        parse_vary(["staffing.cost_per_km"])
    with pytest.raises(ScenarioError, match="solver.threads"):  # a wrong value is refused too, naming its key
        sweep_scenarios(Scenario(), parse_vary(["solver.threads=0,2"]))
    combos = sweep_scenarios(Scenario(), parse_vary(["staffing.shortage_penalty.it_digital=300,1000"]))
    assert [s.staffing.penalty("it_digital") for _, s in combos] == [300, 1000]
    assert all(s.staffing.penalty("office") == Scenario().staffing.penalty("office") for _, s in combos)


def test_inputs_found_and_national_totals(data_dir, tmp_path):
    (data_dir / "~$Lai Châu.xlsx").write_bytes(b"lock")
    try:
        inputs, skipped = find_inputs(data_dir)
    finally:
        (data_dir / "~$Lai Châu.xlsx").unlink()
    assert sorted(p.name for p in inputs) == sorted(f"{p}.xlsx" for p in (*SMALL, BROKEN))
    assert {s.path.name: s.reason for s in skipped} == {"~$Lai Châu.xlsx": "lock_file", "ngan_sach.xlsx": "no_input_sheet"}

    def outcome(province, code, officials, assigned, status="ok"):
        kpis = pd.DataFrame({"stage": "staffing", "kpi": ["assigned", "shortage_by_field", "shortage_by_field"],
                             "code": [None, "it_digital", "office"], "param": None,
                             "value": [assigned, 2.0, 0.0], "unit": "officials"})
        return Outcome(key=province, status=status, province=province, province_code=code,
                       figures={"communes": 3, "officials": officials, "quota": 40.0},
                       kpis=kpis if status == "ok" else None, reason="" if status == "ok" else "why")

    outcomes = [outcome("B", 20, 10, 9), outcome("A", 10, 5, 5), outcome("C", 30, 7, 0, status="infeasible")]
    table = national_table(outcomes)
    assert list(table["province"]) == ["A", "B", "C"]  # in the 2025 code order
    assert "shortage_by_field:it_digital" in table.columns and "shortage_by_field:office" not in table.columns
    path = write_national_workbook(table, run_table(outcomes), {"scenario": "s", "wall_seconds": 1.0},
                                   tmp_path / "n.xlsx", lang="en")
    rows = _sheet_rows(path)
    header = next(r for r in rows if r[0] == L.nation_label("province_code", "en"))
    totals = next(r for r in rows if r[1] == L.text("national_total", "en"))
    assert totals[header.index(L.nation_label("officials", "en"))] == 15  # C failed: not added in
    assert totals[header.index(L.nation_label("quota", "en"))] == 80
    assert find_inputs(tmp_path)[1][0].reason == "result_workbook"  # a national workbook is never read as an input
