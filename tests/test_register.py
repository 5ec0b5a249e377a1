"""The plan register: saved plans round-trip, names are not silently overwritten, status moves in order with who and
when, approved plans are locked, concurrent saves do not corrupt the file; `planner plans`, `planner solve --save`
and `planner compare` on the command line."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
import zlib

import openpyxl
import pandas as pd
import pandas.testing as pdt
import pytest
from sqlalchemy import select

from planner import labels as L
from planner.cli import main
from planner.dataset import Dataset
from planner.errors import (PlanExists, PlanLocked, PlanNameInvalid, PlanNotFound, RegisterError, StatusChangeRefused)
from planner.readback import read_table
from planner.payload import PAYLOAD_SHEET, _inflate, embed_plan, frame_blob, frame_from_blob, read_plan_file
from planner.register import REGISTER_KEYS, PlanRegister, plan_tables_t
from planner.report import write_plan_workbook
from test_report import hand_made_plan
from tiny import tiny_frames


@pytest.fixture(scope="module")
def tiny():
    return Dataset.from_frames(tiny_frames(), source="tiny")


@pytest.fixture(scope="module")
def real_plan(tiny):
    """A plan solved by the real pipeline on the tiny province."""
    from planner.pipeline import run_plan
    from planner.scenario import Scenario

    return run_plan(tiny, Scenario())


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'plans.sqlite'}"


def _iso_utc(text: str) -> dt.datetime:
    assert text.endswith("Z"), text
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def test_round_trip_of_a_real_plan(real_plan, url, tmp_path):
    workbook = b"PK\x03\x04 not really a workbook"
    reg = PlanRegister(url)
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    record = reg.save("Phương án 1", real_plan, workbook=workbook, by="Nguyễn Thị Lan")
    assert record["status"] == "draft" and record["version"] == 1 and record["saved_by"] == "Nguyễn Thị Lan"
    assert record["input_hash"] == real_plan.provenance["data_hash"] and record["has_workbook"]
    assert before <= _iso_utc(record["saved_at"]) <= dt.datetime.now(dt.timezone.utc)
    back = PlanRegister(url).load("Phương án 1")  # another engine on the same file
    assert list(back.tables) == list(real_plan.tables)
    for name, df in real_plan.tables.items():
        pdt.assert_frame_equal(back.tables[name], df.reset_index(drop=True), check_dtype=True, obj=name)
    pdt.assert_frame_equal(back.kpis, real_plan.kpis.reset_index(drop=True))
    pdt.assert_frame_equal(back.solves, real_plan.solves.reset_index(drop=True))
    assert back.notes == real_plan.notes and back.status == "draft"
    assert {k: v for k, v in back.provenance.items() if k not in REGISTER_KEYS} == real_plan.provenance
    assert back.provenance["plan_name"] == "Phương án 1" and back.provenance["saved_by"] == "Nguyễn Thị Lan"
    assert back.kpi("total_shortage") == real_plan.kpi("total_shortage")
    assert reg.workbook("Phương án 1") == workbook
    path = tmp_path / "wb.xlsx"
    path.write_bytes(workbook)
    reg.save("from a path", real_plan, workbook=path)
    assert reg.workbook("from a path") == workbook and reg.workbook("Phương án 1") == workbook
    reg.save("no workbook", real_plan)
    assert reg.workbook("no workbook") is None


def test_tables_are_stored_as_json_not_pickle(real_plan, url):
    reg = PlanRegister(url)
    reg.save("a", real_plan)
    with reg.engine.connect() as conn:
        blobs = conn.execute(select(plan_tables_t.c.name, plan_tables_t.c.data)).all()
    assert len(blobs) == len(real_plan.tables)
    for name, blob in blobs:
        body = json.loads(zlib.decompress(blob))  # plain JSON: nothing to execute when read
        assert body["columns"] == list(real_plan.tables[name].columns)
    odd = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "b": pd.array([True, None], dtype="boolean"),
                        "s": pd.array(["x", None], dtype="string"), "f": [float("inf"), float("nan")],
                        "t": pd.to_datetime(["2025-07-01", None]), "o": ["text", 3]})
    pdt.assert_frame_equal(frame_from_blob(frame_blob(odd)), odd)
    bomb = zlib.compress(b"[" + b" " * 5_000_000 + b"]")
    with pytest.raises(ValueError):
        _inflate(bomb, limit=1_000_000)


def test_existing_name_is_not_overwritten_without_asking(tiny, url):
    reg = PlanRegister(url)
    first, second = hand_made_plan(tiny, moved=0), hand_made_plan(tiny, moved=2)
    reg.save("A", first, by="Lan")
    with pytest.raises(PlanExists) as err:
        reg.save("A", second, by="Hùng")
    assert "«A»" in str(err.value) and "--overwrite" in str(err.value) and "Dự thảo" in str(err.value)
    assert "already saved" in err.value.text("en") and err.value.exit_code == 2
    pdt.assert_frame_equal(reg.load("A").tables["assignments"], first.tables["assignments"])  # untouched
    reg.review("A", by="Minh")
    record = reg.save("A", second, by="Hùng", overwrite=True)
    assert record["version"] == 2 and record["saved_by"] == "Hùng"
    assert record["status"] == "draft" and record["reviewed_by"] is None  # what was reviewed has changed
    pdt.assert_frame_equal(reg.load("A").tables["assignments"], second.tables["assignments"])
    history = reg.history("A")
    assert history["event"].tolist() == ["saved", "review", "overwritten"]
    assert history.iloc[-1][["from", "to", "by"]].tolist() == ["reviewed", "draft", "Hùng"]


def test_status_moves_forward_in_order_with_who_and_when(tiny, url):
    reg = PlanRegister(url)
    reg.save("B", hand_made_plan(tiny), by="Lan")
    with pytest.raises(StatusChangeRefused) as err:
        reg.approve("B", by="Giám đốc")
    assert err.value.key == "approve_needs_review" and "rà soát" in str(err.value)
    with pytest.raises(StatusChangeRefused) as err:
        reg.review("B", by="  ")
    assert err.value.key == "who_required"
    reviewed = reg.review("B", by="Trần Minh", note="đã kiểm tra số liệu")
    assert reviewed["status"] == "reviewed" and reviewed["reviewed_by"] == "Trần Minh"
    with pytest.raises(StatusChangeRefused) as err:
        reg.review("B", by="Trần Minh")
    assert err.value.key == "already_reviewed"
    approved = reg.approve("B", by="Lê Giám Đốc")
    assert approved["status"] == "approved" and approved["approved_by"] == "Lê Giám Đốc"
    assert _iso_utc(approved["reviewed_at"]) <= _iso_utc(approved["approved_at"])
    history = reg.history("B")
    assert list(history.columns) == ["event", "from", "to", "by", "at", "note"]
    assert history[["event", "from", "to", "by"]].values.tolist() == [
        ["saved", None, "draft", "Lan"], ["review", "draft", "reviewed", "Trần Minh"],
        ["approve", "reviewed", "approved", "Lê Giám Đốc"]]
    assert history.loc[1, "note"] == "đã kiểm tra số liệu"
    times = [_iso_utc(t) for t in history["at"]]
    assert times == sorted(times)
    assert reg.load("B").status == "approved" and reg.load("B").provenance["approved_by"] == "Lê Giám Đốc"


def test_approved_plan_is_read_only(tiny, url):
    reg = PlanRegister(url)
    plan = hand_made_plan(tiny)
    reg.save("C", plan)
    reg.review("C", by="Minh")
    reg.approve("C", by="Giám đốc")
    for attempt in (lambda: reg.save("C", hand_made_plan(tiny, moved=3), overwrite=True),
                    lambda: reg.save("C", hand_made_plan(tiny, moved=3)), lambda: reg.delete("C")):
        with pytest.raises(PlanLocked) as err:
            attempt()
        assert "đã được phê duyệt" in str(err.value) and "Giám đốc" in str(err.value)
    with pytest.raises(StatusChangeRefused) as err:
        reg.back_to_draft("C", by="Minh", reason="sửa lại")
    assert err.value.key == "approved_final" and "không thể chuyển lại" in str(err.value)
    with pytest.raises(StatusChangeRefused):
        reg.review("C", by="Minh")
    pdt.assert_frame_equal(reg.load("C").tables["assignments"], plan.tables["assignments"])
    assert reg.history("C")["event"].tolist() == ["saved", "review", "approve"]
    # a copy under a new name starts again as a draft
    assert reg.save("C v2", reg.load("C"), by="Lan")["status"] == "draft"


def test_back_to_draft_needs_a_reason(tiny, url):
    reg = PlanRegister(url)
    reg.save("D", hand_made_plan(tiny))
    with pytest.raises(StatusChangeRefused) as err:
        reg.back_to_draft("D", by="Minh", reason="thiếu số liệu")
    assert err.value.key == "already_draft"
    reg.review("D", by="Minh")
    for reason in ("", "   ", None):
        with pytest.raises(StatusChangeRefused) as err:
            reg.back_to_draft("D", by="Minh", reason=reason)
        assert err.value.key == "reason_required" and "lý do" in str(err.value)
    record = reg.back_to_draft("D", by="Minh", reason="Xã An thiếu kế toán")
    assert record["status"] == "draft" and record["reviewed_by"] is None
    last = reg.history("D").iloc[-1]
    assert (last["event"], last["from"], last["to"], last["note"]) == ("draft", "reviewed", "draft", "Xã An thiếu kế toán")


def test_list_names_and_missing_plans(tiny, url):
    reg = PlanRegister(url)
    assert reg.list().empty
    plans = {"E1": hand_made_plan(tiny, moved=0), "E2": hand_made_plan(tiny, moved=5)}
    for name, plan in plans.items():
        reg.save(name, plan, by="Lan")
    reg.review("E2", by="Minh")
    listed = reg.list().set_index("name")
    assert set(listed.index) == {"E1", "E2"}
    assert listed.loc["E2", "status"] == "reviewed" and listed.loc["E2", "reviewed_by"] == "Minh"
    for name, plan in plans.items():
        assert listed.loc[name, "equipment_purchases_cost"] == plan.kpi("equipment_purchases_cost")
        assert listed.loc[name, "input_hash"] == plan.provenance["data_hash"]
    assert reg.exists("E1") and not reg.exists("E3")
    for call in (lambda: reg.load("E3"), lambda: reg.review("E3", by="x"), lambda: reg.history("E3"),
                 lambda: reg.delete("E3")):
        with pytest.raises(PlanNotFound):
            call()
    for bad in ("", "  ", "a\nb", "x" * 201):
        with pytest.raises(PlanNameInvalid):
            reg.save(bad, plans["E1"])
    reg.delete("E1")
    assert not reg.exists("E1") and list(reg.list()["name"]) == ["E2"]


def test_default_location_and_environment(tmp_path, monkeypatch, tiny):
    monkeypatch.delenv("PLANNER_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    PlanRegister().save("x", hand_made_plan(tiny))
    assert (tmp_path / "data" / "commune-planner" / "plans.sqlite").exists()
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "elsewhere" / "p.sqlite"))  # a plain path is an SQLite file
    reg = PlanRegister()
    assert not reg.exists("x") and (tmp_path / "elsewhere" / "p.sqlite").exists()


def test_two_engines_saving_at_once(tiny, url):
    """Threads on two engines: every distinct name saved once, a contested name won by exactly one."""
    regs = [PlanRegister(url), PlanRegister(url)]
    plan = hand_made_plan(tiny)
    outcomes: list[str] = []

    def work(k: int):
        reg = regs[k]
        for i in range(8):
            reg.save(f"engine{k}-{i}", plan, by=f"user{k}")
        try:
            reg.save("contested", plan, by=f"user{k}")
            outcomes.append("saved")
        except PlanExists:
            outcomes.append("refused")

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    names = set(regs[0].list()["name"])
    assert names == {f"engine{k}-{i}" for k in (0, 1) for i in range(8)} | {"contested"}
    assert regs[1].history("contested")["event"].tolist() == ["saved"]
    pdt.assert_frame_equal(regs[1].load("engine0-7").tables["assignments"], plan.tables["assignments"])


def _save_many(url: str, worker: int, count: int) -> list[str]:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from planner.dataset import Dataset as D
    from planner.errors import PlanExists as Exists
    from planner.register import PlanRegister as R
    from test_report import hand_made_plan as made
    from tiny import tiny_frames as frames

    reg, plan, out = R(url), made(D.from_frames(frames(), source="tiny"), moved=worker), []
    for i in range(count):
        reg.save(f"p{worker}-{i}", plan, by=f"worker {worker}")
        try:
            reg.save(f"shared-{i}", plan, by=f"worker {worker}")
            out.append("saved")
        except Exists:
            out.append("refused")
    return out


def test_two_processes_saving_at_once(url):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.starmap(_save_many, [(url, 0, 6), (url, 1, 6)])
    assert all(a != b for a, b in zip(*results))  # each shared name saved by exactly one process
    reg = PlanRegister(url)
    listed = reg.list()
    assert len(listed) == 18 and listed["name"].is_unique
    for i in range(6):
        by = reg.record(f"shared-{i}")["saved_by"]
        assert reg.load(f"shared-{i}").tables["assignments"].equals(reg.load(f"p{by[-1]}-0").tables["assignments"])


# ----- command line
def _plan_workbook(plan, ds, path):
    """A result workbook as `planner solve` writes it: the plan embedded in the writer's one save."""
    return write_plan_workbook(plan, ds, path, embedded=plan)


def test_cli_plans_list_show_review_approve_compare(tiny, url, tmp_path, capsys):
    reg = PlanRegister(url)
    reg.save("Gốc", hand_made_plan(tiny, moved=0), by="Lan")
    reg.save("Điều động 5", hand_made_plan(tiny, moved=5, scenario="move five"), by="Lan")
    capsys.readouterr()
    assert main(["plans", "list", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "Gốc" in out and "Điều động 5" in out and "Dự thảo" in out and "Tên phương án" in out
    assert main(["plans", "approve", "Gốc", "--by", "Giám đốc", "--db", url]) == 2
    assert "rà soát" in capsys.readouterr().err
    assert main(["plans", "review", "Gốc", "--by", "Trần Minh", "--note", "ổn", "--db", url]) == 0
    assert "Đã rà soát" in capsys.readouterr().out
    assert main(["plans", "approve", "Gốc", "--by", "Lê Giám Đốc", "--db", url]) == 0
    assert "Đã phê duyệt" in capsys.readouterr().out
    assert main(["plans", "draft", "Gốc", "--by", "Minh", "--reason", "sửa", "--db", url]) == 2
    assert "đã được phê duyệt" in capsys.readouterr().err
    assert main(["plans", "show", "Gốc", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "Lê Giám Đốc" in out and "Trần Minh" in out and tiny.data_hash() in out and "Phê duyệt" in out
    assert main(["plans", "history", "Gốc", "--db", url, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Approved" in out and "Reviewed" in out and "Lê Giám Đốc" in out
    assert main(["plans", "list", "--db", url, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Approved" in out and "Draft" in out and "Plan name" in out
    assert main(["plans", "show", "nowhere", "--db", url]) == 2

    diff = tmp_path / "diff.xlsx"
    assert main(["plans", "compare", "Gốc", "Điều động 5", "--out", str(diff), "--db", url]) == 0
    assert "5 cán bộ" in capsys.readouterr().out
    wb = openpyxl.load_workbook(diff)
    assert wb.sheetnames[0] == L.sheet_label("plans", "vi")
    provenance = read_table(diff, "plans").set_index("plan")
    assert provenance.loc["Gốc", "approved_by"] == "Lê Giám Đốc" and provenance.loc["Gốc", "reviewed_by"] == "Trần Minh"
    assert provenance.loc["Gốc", "plan_status"] == "Đã phê duyệt"
    assert provenance.loc["Điều động 5", "plan_status"] == "Dự thảo"
    assert provenance.loc["Gốc", "data_hash"] == tiny.data_hash()
    assert provenance.loc["Điều động 5", "scenario_name"] == "move five"
    assert _iso_utc(provenance.loc["Gốc", "saved_at"]) and provenance.loc["Gốc", "saved_by"] == "Lan"
    assert len(read_table(diff, "moved_officials")) == 5


def test_cli_compare_two_workbooks(tiny, tmp_path, capsys):
    a = _plan_workbook(hand_made_plan(tiny, moved=0), tiny, tmp_path / "a.xlsx")
    b = _plan_workbook(hand_made_plan(tiny, moved=2, scenario="move two"), tiny, tmp_path / "b.xlsx")
    assert PAYLOAD_SHEET in openpyxl.load_workbook(a).sheetnames
    assert openpyxl.load_workbook(a)[PAYLOAD_SHEET].sheet_state == "veryHidden"
    back = read_plan_file(a)
    pdt.assert_frame_equal(back.tables["assignments"], hand_made_plan(tiny).tables["assignments"])
    diff = tmp_path / "diff.xlsx"
    assert main(["compare", str(a), str(b), "--out", str(diff), "--lang", "en"]) == 0
    assert "2 officials" in capsys.readouterr().out
    moved = read_table(diff, "moved_officials")
    assert len(moved) == 2 and "commune_code [b]" in moved.columns
    kpis = read_table(diff, "kpis")
    assert "delta [b]" in kpis.columns and len(kpis) == len(hand_made_plan(tiny).kpis)
    provenance = read_table(diff, "plans").set_index("plan")
    assert list(provenance.index) == ["a", "b"] and provenance.loc["b", "scenario_name"] == "move two"
    assert provenance.loc["a", "data_hash"] == tiny.data_hash()
    # a workbook without the hidden sheet: tables by their defined names, KPIs not compared (said so)
    old = tmp_path / "old.xlsx"
    write_plan_workbook(hand_made_plan(tiny, moved=5), tiny, old)
    assert main(["compare", str(a), str(old), "--out", str(tmp_path / "d2.xlsx")]) == 0
    captured = capsys.readouterr()
    assert "planner_data" in captured.err and "5 cán bộ" in captured.out
    # refused: a single plan, an unreadable file, a non-xlsx output, writing over an input
    assert main(["compare", str(a), "--out", str(tmp_path / "d3.xlsx")]) == 2
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    assert main(["compare", str(a), str(junk), "--out", str(tmp_path / "d4.xlsx")]) == 2
    assert "junk.xlsx" in capsys.readouterr().err
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "d.csv")]) == 2
    assert main(["compare", str(a), str(b), "--out", str(a)]) == 2
    assert not (tmp_path / "d3.xlsx").exists() and not (tmp_path / "d4.xlsx").exists()


def test_embed_in_a_workbook_being_written(tiny, tmp_path):
    """embed_plan on an open workbook (what the writer calls before its save); embedding again replaces the sheet."""
    wb = openpyxl.Workbook()
    wb.active.title = "Tóm tắt"
    embed_plan(wb, hand_made_plan(tiny, moved=4))
    plan = hand_made_plan(tiny, moved=1)
    embed_plan(wb, plan)
    path = tmp_path / "w.xlsx"
    wb.save(path)
    back = read_plan_file(path)
    pdt.assert_frame_equal(back.tables["assignments"], plan.tables["assignments"])
    pdt.assert_frame_equal(back.kpis, plan.kpis)
    assert back.provenance == plan.provenance and openpyxl.load_workbook(path).sheetnames == ["Tóm tắt", PAYLOAD_SHEET]


@pytest.fixture(scope="module")
def input_folder(tmp_path_factory, tiny):
    folder = tmp_path_factory.mktemp("input") / "tinh_mau"
    tiny.save_csv(folder)
    return folder


def test_cli_solve_save_and_status(input_folder, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'plans.sqlite'}"
    out = tmp_path / "a.xlsx"
    assert main(["solve", str(input_folder), "--out", str(tmp_path / "x.xlsx"), "--status", "approved"]) == 2
    assert "sổ phương án" in capsys.readouterr().err and not (tmp_path / "x.xlsx").exists()
    assert main(["solve", str(input_folder), "--out", str(out), "--save", "Phương án A", "--by", "Lan", "--db", url,
                 "--csv-dir", str(tmp_path / "csv")]) == 0
    assert "Phương án A" in capsys.readouterr().out
    reg = PlanRegister(url)
    record = reg.record("Phương án A")
    assert record["saved_by"] == "Lan" and record["status"] == "draft"
    assert reg.workbook("Phương án A") == out.read_bytes()
    assert main(["plans", "export", "Phương án A", "--out", str(tmp_path / "back.xlsx"), "--db", url]) == 0
    assert (tmp_path / "back.xlsx").read_bytes() == out.read_bytes()
    assert main(["plans", "export", "Phương án A", "--out", str(out), "--db", url]) == 0  # same bytes again: allowed
    assert main(["plans", "export", "Phương án A", "--out", str(tmp_path / "back.txt"), "--db", url]) == 2
    saved = reg.load("Phương án A")
    from_file = read_plan_file(out)  # the workbook carries the same plan
    for name, df in saved.tables.items():
        pdt.assert_frame_equal(from_file.tables[name], df, obj=name)
    # the name is taken: refused before solving, nothing written
    again = tmp_path / "b.xlsx"
    assert main(["solve", str(input_folder), "--out", str(again), "--save", "Phương án A", "--db", url]) == 2
    assert "--overwrite" in capsys.readouterr().err and not again.exists()
    assert main(["solve", str(input_folder), "--out", str(again), "--save", "Phương án A", "--overwrite",
                 "--db", url]) == 0
    assert reg.record("Phương án A")["version"] == 2
    reg.review("Phương án A", by="Minh")
    reg.approve("Phương án A", by="Giám đốc")
    third = tmp_path / "c.xlsx"
    assert main(["solve", str(input_folder), "--out", str(third), "--save", "Phương án A", "--overwrite",
                 "--db", url]) == 2
    assert "đã được phê duyệt" in capsys.readouterr().err and not third.exists()
    # compare the workbooks and the CSV folder the solves wrote
    assert main(["compare", str(out), str(again), str(tmp_path / "csv"), "--out", str(tmp_path / "diff.xlsx")]) == 0
    assert len(read_table(tmp_path / "diff.xlsx", "plans")) == 3


def test_cli_anonymized_workbook_embeds_no_names(input_folder, tmp_path, tiny):
    out = tmp_path / "anon.xlsx"
    assert main(["solve", str(input_folder), "--out", str(out), "--anonymize"]) == 0
    plan = read_plan_file(out)
    texts = {str(v) for df in plan.tables.values() for col in df.columns for v in df[col].dropna()}
    texts |= set(plan.notes)
    names = set(tiny["officials"]["name"])
    assert not {t for t in texts if any(n in t for n in names)}
    assert set(plan.tables["assignments"]["official_id"]) <= set(tiny["officials"]["id"])


def test_register_errors_are_register_errors():
    for cls in (PlanExists, PlanLocked, PlanNotFound, PlanNameInvalid, StatusChangeRefused):
        assert issubclass(cls, RegisterError) and cls.exit_code == 2
