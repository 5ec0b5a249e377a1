"""Safe outputs of `planner solve`: CSV text cells never run as formulas, UTF-8 with BOM, --anonymize in the CSVs,
output paths checked before the solve, no partial workbook / CSV folder / temporary file after a failure or Ctrl-C."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pytest

import planner.pipeline
import planner.plan
import planner.report
from planner import labels as L
from planner.cli import main
from planner.dataset import Dataset
from planner.files import FORMULA_START, looks_like_formula, neutralise
from planner.pipeline import run_plan
from planner.plan import Plan
from planner.readback import read_plan_assignments
from planner.report.anonymize import Anonymizer
from planner.report import style
from planner.scenario import Scenario
from planner.template import write_input_workbook
from tiny import tiny_frames

INJECTIONS = ['=cmd|"/c calc"!A1', "+1", "-2+3", "@SUM(A1)", "\tX"]
BOM = b"\xef\xbb\xbf"


def injected_frames() -> dict[str, pd.DataFrame]:
    frames = tiny_frames()
    frames["officials"].loc[4:8, "name"] = INJECTIONS  # specialists, not pinned
    return frames


@pytest.fixture(scope="module")
def injected_ds():
    return Dataset.from_frames(injected_frames(), source="tiny")


@pytest.fixture(scope="module")
def injected_plan(injected_ds):
    return run_plan(injected_ds, Scenario())


@pytest.fixture(scope="module")
def input_workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("input") / "tinh_mau.xlsx"
    write_input_workbook(path, Dataset.from_frames(injected_frames(), source="tiny"))
    return path


def csv_cells(folder: Path):
    """(file, row, column, text) of every cell of every CSV in the folder, read as a spreadsheet would see it."""
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                for j, cell in enumerate(row):
                    yield path.name, i, j, cell


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def all_files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


# --- the neutralising rule ------------------------------------------------------------------------------------

def test_one_rule_for_workbook_and_csv():
    assert style.looks_like_formula is looks_like_formula  # the workbook writer uses the same rule
    assert len(FORMULA_START) == 6
    for text in INJECTIONS:
        assert looks_like_formula(text) and neutralise(text) == "'" + text
    for value in (-15.0, -2, 0, "Cán bộ", "a=b", None, True):
        assert neutralise(value) == value if value is not None else neutralise(value) is None


def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers(tmp_path):
    table = pd.DataFrame({"official_id": ["A", "B", "C", "D", "E"], "name": INJECTIONS,
                          "cost_vnd": [-15.0, 2.5, 0.0, -1e6, 3.0], "count": [-1, 0, 1, 2, 3],
                          "note": ["-", "ok", None, "=1+1", "\rY"]})
    plan = Plan(tables={"table": table}, kpis=pd.DataFrame({"stage": ["s"], "kpi": ["k"], "value": [-3.5]}),
                solves=pd.DataFrame(), provenance={"province": "=Tỉnh"})
    plan.write_csv(tmp_path / "csv")
    text = (tmp_path / "csv" / "table.csv").read_text(encoding="utf-8-sig")
    assert "-15.0" in text and "-1000000.0" in text and ",-1," in text
    back = pd.read_csv(tmp_path / "csv" / "table.csv")
    assert back["cost_vnd"].tolist() == [-15.0, 2.5, 0.0, -1e6, 3.0]
    assert back["count"].tolist() == [-1, 0, 1, 2, 3]
    assert back["name"].tolist() == ["'" + t for t in INJECTIONS]
    assert pd.read_csv(tmp_path / "csv" / "s_kpis.csv")["value"].tolist() == [-3.5]
    for name, i, j, cell in csv_cells(tmp_path / "csv"):
        assert not cell.startswith(FORMULA_START) or is_number(cell), (name, i, j, cell)


def test_plan_csvs_are_safe_and_utf8_with_bom(injected_plan, tmp_path):
    written = injected_plan.write_csv(tmp_path / "csv")
    assert written and all(p.parent == tmp_path / "csv" and p.exists() for p in written)
    assert {p.name for p in (tmp_path / "csv").iterdir()} == {p.name for p in written}
    assert [p.name for p in tmp_path.iterdir()] == ["csv"]  # no temporary folder left
    for path in written:
        assert path.read_bytes().startswith(BOM), path.name
    found, risky = set(), []
    for name, i, j, cell in csv_cells(tmp_path / "csv"):
        if cell.startswith(FORMULA_START) and not is_number(cell):
            risky.append((name, i, j, cell))
        if cell.startswith("'") and cell[1:] in INJECTIONS:
            found.add(cell[1:])
    assert not risky
    assert found == set(INJECTIONS) - {"\tX"}  # the dataset strips the tab
    assert "Cán bộ 0-3" in (tmp_path / "csv" / "assignments.csv").read_text(encoding="utf-8-sig")
    costs = pd.read_csv(tmp_path / "csv" / "assignments.csv")["total_cost"]
    assert pd.api.types.is_float_dtype(costs) and (costs < 0).any()  # negative costs stay numbers


def test_plan_csv_folder_reads_back_as_previous_plan(injected_plan, injected_ds, tmp_path):
    injected_plan.write_csv(tmp_path / "csv")
    back = read_plan_assignments(tmp_path / "csv")
    expected = injected_plan.tables["assignments"][["official_id", "commune_code", "position", "field"]]
    pd.testing.assert_frame_equal(back.astype(str), expected.astype(str).reset_index(drop=True))
    scenario = Scenario()
    scenario.staffing.previous_plan = str(tmp_path / "csv")
    again = run_plan(injected_ds, scenario)
    assert len(again.tables["assignments"]) == len(expected)


def test_anonymized_csvs_hold_no_names(injected_plan, injected_ds, tmp_path):
    injected_plan.write_csv(tmp_path / "csv", Anonymizer.build(injected_ds, injected_plan.tables))
    names = set(injected_ds["officials"]["name"].astype(str))
    cells = [cell for _, _, _, cell in csv_cells(tmp_path / "csv")]
    assert not [c for c in cells if c in names or c.lstrip("'") in names]
    assert not [c for c in cells if "Cán bộ" in c]


# --- the command line -----------------------------------------------------------------------------------------

@pytest.fixture
def no_solve(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("solved although an output path is bad")
    monkeypatch.setattr(planner.pipeline, "run_plan", refuse)


def test_anonymize_reaches_the_csvs(input_workbook, tmp_path):
    out, csv_dir = tmp_path / "plan.xlsx", tmp_path / "csv"
    assert main(["solve", str(input_workbook), "--out", str(out), "--csv-dir", str(csv_dir), "--anonymize"]) == 0
    names = set(injected_frames()["officials"]["name"].astype(str).str.strip())
    cells = [cell for _, _, _, cell in csv_cells(csv_dir)]
    assert not [c for c in cells if c in names or c.lstrip("'") in names or "Cán bộ" in c]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv", "plan.xlsx"]


def test_out_is_a_folder_exits_2_before_solving(input_workbook, tmp_path, capsys, no_solve):
    (tmp_path / "plan.xlsx").mkdir()
    before = all_files(tmp_path)
    assert main(["solve", str(input_workbook), "--out", str(tmp_path / "plan.xlsx"),
                 "--csv-dir", str(tmp_path / "csv")]) == 2
    err = capsys.readouterr().err
    assert "thư mục" in err and "Traceback" not in err  # Vietnamese by default
    assert all_files(tmp_path) == before


def test_out_parent_is_a_file_exits_2_before_solving(input_workbook, tmp_path, capsys, no_solve):
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    before = all_files(tmp_path)
    assert main(["solve", str(input_workbook), "--out", str(tmp_path / "file.txt" / "plan.xlsx"), "--lang", "en"]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["solve", str(input_workbook), "--out", str(tmp_path / "plan.xlsx"),
                 "--csv-dir", str(tmp_path / "file.txt" / "csv")]) == 2
    assert main(["solve", str(input_workbook), "--out", str(tmp_path / "plan.xlsx"),
                 "--csv-dir", str(tmp_path / "file.txt")]) == 2
    assert all_files(tmp_path) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anyway")
def test_out_folder_not_writable_exits_2(input_workbook, tmp_path, no_solve):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["solve", str(input_workbook), "--out", str(locked / "plan.xlsx")]) == 2
        assert main(["solve", str(input_workbook), "--out", str(tmp_path / "p.xlsx"),
                     "--csv-dir", str(locked / "csv")]) == 2
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_folder_without_write_permission_exits_2(input_workbook, tmp_path, capsys, monkeypatch, no_solve):
    """The same check as above, also under root (which may write anyway): os.access says no."""
    import planner.files

    monkeypatch.setattr(planner.files.os, "access", lambda path, mode: Path(path) != tmp_path)
    assert main(["solve", str(input_workbook), "--out", str(tmp_path / "new" / "plan.xlsx")]) == 2
    assert "không có quyền ghi" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_csv_dir_is_the_input_folder_exits_2(tmp_path, capsys, no_solve):
    folder = tmp_path / "input_csv"
    Dataset.from_frames(injected_frames(), source="tiny").save_csv(folder)
    before = {p: p.read_bytes() for p in folder.iterdir()}
    assert main(["solve", str(folder), "--out", str(tmp_path / "plan.xlsx"), "--csv-dir", str(folder)]) == 2
    assert "đầu vào" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["input_csv"]


def test_failing_csv_write_leaves_nothing(input_workbook, tmp_path, capsys, monkeypatch):
    real, calls = planner.plan.write_table_csv, []

    def fail_midway(df, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(df, path)

    monkeypatch.setattr(planner.plan, "write_table_csv", fail_midway)
    out = tmp_path / "out" / "plan.xlsx"
    assert main(["solve", str(input_workbook), "--out", str(out), "--csv-dir", str(tmp_path / "out" / "csv")]) == 2
    err = capsys.readouterr().err
    assert "No space left" in err and "Traceback" not in err
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []  # no workbook, no CSV folder, no temporary file, no folder made


def test_failing_csv_write_keeps_an_existing_plan(input_workbook, tmp_path, monkeypatch):
    out, csv_dir = tmp_path / "plan.xlsx", tmp_path / "csv"
    out.write_bytes(b"old workbook")
    csv_dir.mkdir()
    (csv_dir / "assignments.csv").write_text("old", encoding="utf-8")

    def fail(df, path):
        raise OSError("disk full")

    monkeypatch.setattr(planner.plan, "write_table_csv", fail)
    assert main(["solve", str(input_workbook), "--out", str(out), "--csv-dir", str(csv_dir)]) == 2
    assert out.read_bytes() == b"old workbook"
    assert (csv_dir / "assignments.csv").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv", "plan.xlsx"]


def test_ctrl_c_during_the_solve_exits_130_with_one_line(input_workbook, tmp_path, capsys, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.pipeline, "run_plan", interrupted)
    out = tmp_path / "out" / "plan.xlsx"
    assert main(["solve", str(input_workbook), "--out", str(out), "--csv-dir", str(tmp_path / "csv")]) == 130
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and L.text("interrupted", "vi") in err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_writing_leaves_nothing(input_workbook, tmp_path, capsys, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.report, "write_plan_workbook", interrupted)  # after the CSVs were staged
    out = tmp_path / "out" / "plan.xlsx"
    assert main(["solve", str(input_workbook), "--out", str(out), "--csv-dir", str(tmp_path / "out" / "csv"),
                 "--lang", "en"]) == 130
    assert capsys.readouterr().err.strip() == "solve: " + L.text("interrupted", "en")
    assert list(tmp_path.iterdir()) == []
