"""The side process of `planner solve` (planner.side): the same plan and map as in one process, and the work done
in the calling process whenever the side process fails, dies or is not there."""

import multiprocessing
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from planner.pipeline import run_plan
from planner.report import write_plan_workbook
from planner.report.plan_workbook import DRAW, EarlyMap, shortage_map
from planner.scenario import Scenario
from planner.side import SideProcess, outcome, start_side_process
from planner.validate import load_dataset

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def side():
    with SideProcess() as process:
        yield process


def _fail(text: str):
    raise ValueError(text)


def test_the_plan_and_the_map_are_those_of_one_process(side):
    """Lạng Sơn, every stage: the equipment plan comes from the side process and equals the one planned here; so do
    every other table, the KPIs and the summary's map (the same PNG bytes)."""
    ds = load_dataset(DATA / "lang_son.xlsx")
    alone = run_plan(ds, Scenario())
    early_map = EarlyMap(side, ds, "vi")
    beside = run_plan(ds, Scenario(), side=side, on_result=early_map)
    assert early_map.job is not None  # the map was handed to the side process when staffing ended
    equipment = [s for s in beside.solves.itertuples() if s.model.startswith("equipment")]
    assert equipment, "the equipment stage ran"
    assert set(alone.tables) == set(beside.tables)
    for name in alone.tables:
        pd.testing.assert_frame_equal(alone.tables[name], beside.tables[name], obj=name)
    pd.testing.assert_frame_equal(alone.kpis, beside.kpis)
    timed = re.compile(r"\d+\.\d+ s\b")  # the staffing note says how long its preparation took
    assert [timed.sub("", n) for n in alone.notes] == [timed.sub("", n) for n in beside.notes]
    png = early_map.png()
    assert png and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == shortage_map(alone, ds, "vi")


def test_the_side_process_ran_the_equipment_plan(side, monkeypatch):
    """The equipment plan handed to the side process came back from it (its job did not fail there)."""
    import planner.pipeline as pipeline

    ds = load_dataset(DATA / "lang_son.xlsx")
    submitted, done_there = [], []
    real_submit, real_outcome = side.submit, pipeline.outcome

    def submit(fn, *args):
        submitted.append(fn.__name__)
        return real_submit(fn, *args)

    def spy(future, fn, *args):
        done_there.append(future.result()[0])
        return real_outcome(future, fn, *args)

    monkeypatch.setattr(side, "submit", submit)
    monkeypatch.setattr(pipeline, "outcome", spy)
    plan = run_plan(ds, Scenario(), side=side)
    assert submitted == ["plan_equipment"] and done_there == [True]
    assert len(plan.tables["equipment_balance"])


def test_a_failed_job_is_done_again_here_and_its_error_raised_here(side):
    future = side.submit(_fail, "there")
    with pytest.raises(ValueError, match="here"):
        outcome(future, _fail, "here")  # the side job failed: the work is repeated here, with its own error
    assert outcome(side.submit(max, 2, 3), min, 2, 3) == 3  # a job that succeeded: its own result
    assert outcome(None, min, 2, 3) == 2  # no side process: done here


def test_a_dead_side_process_changes_nothing_but_time():
    process = SideProcess(first=())
    try:
        dead = process.submit(os._exit, 1)  # the worker dies: its pool is broken
        assert outcome(dead, min, 4, 5) == 4
        assert process.submit(max, 1, 2) is None  # a broken pool takes no more jobs: the caller works alone
    finally:
        process.close()


def _side_in_daemon(queue):
    queue.put(start_side_process() is None)


def test_no_side_process_where_it_cannot_help(monkeypatch):
    monkeypatch.setenv("PLANNER_SIDE_PROCESS", "0")
    assert start_side_process() is None
    monkeypatch.delenv("PLANNER_SIDE_PROCESS")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    daemon = context.Process(target=_side_in_daemon, args=(queue,), daemon=True)  # as a Dask worker is
    daemon.start()
    assert queue.get(timeout=60) is True
    daemon.join(timeout=60)


def test_write_draws_the_map_itself_without_an_early_one(tmp_path, tiny_ds):
    plan = run_plan(tiny_ds, Scenario())
    assert EarlyMap(None, tiny_ds, "vi").png() is DRAW  # no side process: the writer draws it
    write_plan_workbook(plan, tiny_ds, tmp_path / "a.xlsx", map_png=EarlyMap(None, tiny_ds, "vi").png)
    write_plan_workbook(plan, tiny_ds, tmp_path / "b.xlsx")
    import openpyxl

    images = [openpyxl.load_workbook(tmp_path / name).worksheets[0]._images for name in ("a.xlsx", "b.xlsx")]
    assert len(images[0]) == len(images[1]) == 1


def test_the_embedded_plan_made_beside_is_the_same(side, tmp_path, tiny_ds):
    """The plan's payload encoded in the side process reads back as the plan encoded here."""
    from planner.payload import plan_payload, read_plan_file

    plan = run_plan(tiny_ds, Scenario())
    beside = write_plan_workbook(plan, tiny_ds, tmp_path / "beside.xlsx", embedded=plan, side=side)
    here = write_plan_workbook(plan, tiny_ds, tmp_path / "here.xlsx", embedded=plan)
    back = [read_plan_file(path) for path in (beside, here)]
    assert plan_payload(back[0]) == plan_payload(back[1]) == plan_payload(plan)


def test_idle_says_whether_a_job_would_start_at_once(side):
    """The writer hands the embedded plan to the side process only when it is idle (else it is made here)."""
    import time

    job = side.submit(time.sleep, 0.5)
    assert job is not None and not side.idle()
    job.result()
    assert side.idle()


def test_ctrl_c_stops_both_processes_in_one_line(tmp_path):
    """Ctrl-C reaches the whole process group: the main process answers in one line (exit 130, nothing written) and
    ends the side process; the side process prints nothing (it ignores Ctrl-C from its start)."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    out = tmp_path / "plan.xlsx"
    command = [str(Path(sys.executable).parent / "planner"), "solve", str(DATA / "lang_son.xlsx"), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not psutil.Process(process.pid).children() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    side = psutil.Process(process.pid).children()
    assert side, "planner solve started its side process"
    time.sleep(1.0)  # well inside the solve: the side process is importing or planning
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.strip().count("\n") == 0 and "Ctrl-C" in err, err
    assert not out.exists()
    gone, alive = psutil.wait_procs(side, timeout=10)
    assert not alive


def _shared_reading(monkeypatch) -> list:
    """Share the reading whatever the sheets' size; the tables each shared reading sent to the side process."""
    import planner.validate as validate

    monkeypatch.setattr(validate, "SHARE_ABOVE_BYTES", 0)
    shared, real_start = [], validate._Elsewhere.start

    def start(*args):
        elsewhere = real_start(*args)
        shared.append(sorted(elsewhere.args[1].values()) if elsewhere is not None else None)
        return elsewhere

    monkeypatch.setattr(validate._Elsewhere, "start", staticmethod(start))
    return shared


def test_a_workbook_read_partly_in_the_side_process_gives_the_same_dataset(side, monkeypatch):
    """Lạng Sơn: the equipment sheet (the largest one nobody names rows of) is read and checked in the side process,
    and every table, its dtypes and Excel rows, and the notes equal those of one process."""
    alone = load_dataset(DATA / "lang_son.xlsx")
    shared = _shared_reading(monkeypatch)
    beside = load_dataset(DATA / "lang_son.xlsx", side=side)
    assert shared and shared[0] and "equipment" in shared[0] and "officials" not in shared[0]
    assert list(alone.tables) == list(beside.tables)
    for name in alone.tables:
        pd.testing.assert_frame_equal(alone[name], beside[name], obj=name)
        pd.testing.assert_series_equal(alone.sheet_rows[name], beside.sheet_rows[name], obj=name)
    assert alone.notes == beside.notes and alone.stages == beside.stages


def test_problems_found_in_the_side_process_are_reported_as_in_one_process(side, monkeypatch, tmp_path):
    """Bad cells in sheets read here (officials) and there (equipment, buildings), and a reference across them:
    the same problems, in the same order, with and without the side process."""
    import openpyxl

    from planner.errors import InputError
    from planner.validate import sheet_keys
    from planner.yesno import fold

    book = openpyxl.load_workbook(DATA / "lang_son.xlsx")
    sheets = {sheet_keys().get(fold(name)): book[name] for name in book.sheetnames}
    sheets["equipment"]["D3"] = "nhiều"  # the count
    sheets["equipment"]["B4"] = "Không có đơn vị này"  # an old unit nobody knows
    sheets["equipment"]["E5"] = "?"  # the condition
    sheets["buildings"]["A3"] = sheets["buildings"]["A2"].value  # a repeated building id
    sheets["officials"]["A3"] = None  # an official without id
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(InputError) as alone:
        load_dataset(path)
    shared = _shared_reading(monkeypatch)
    with pytest.raises(InputError) as beside:
        load_dataset(path, side=side)
    assert shared and "equipment" in shared[0]
    assert len(alone.value.problems) >= 5
    assert beside.value.problems == alone.value.problems
    assert beside.value.report(lang="vi") == alone.value.report(lang="vi")


def _workbook_as_seen(path: Path) -> dict:
    """What a reader of the workbook sees: sheets in order and their state, the sheet it opens on, defined names, and
    per sheet every cell's value, number format, font, fill, alignment and border, column widths, row heights,
    frozen panes, filter, print titles and area, page orientation, header and footer, conditional formats, merged
    cells, charts and pictures."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    seen = {"sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets], "active": wb.active.title,
            "names": sorted((name, d.attr_text) for name, d in wb.defined_names.items())}
    for ws in wb.worksheets:
        seen[ws.title] = {
            "cells": [(c.coordinate, c.value, c.number_format, repr(c.font), repr(c.fill), repr(c.alignment), repr(c.border))
                      for row in ws.iter_rows() for c in row if c.value is not None or c.has_style],
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "heights": {k: v.height for k, v in ws.row_dimensions.items() if v.height},
            "panes": ws.freeze_panes, "filter": ws.auto_filter.ref, "titles": ws.print_title_rows, "area": ws.print_area,
            "orientation": ws.page_setup.orientation, "header": ws.oddHeader.center.text, "footer": ws.oddFooter.right.text,
            "formats": [(str(r.sqref), [rule.type for rule in r.rules]) for r in ws.conditional_formatting],
            "merged": sorted(str(m) for m in ws.merged_cells.ranges), "charts": len(ws._charts), "images": len(ws._images)}
    return seen


def test_sheets_written_while_waiting_make_the_same_workbook(side, tmp_path):
    """Lạng Sơn: the sheets of sites, staffing and buildings written while the side process plans the equipment
    (EarlyWorkbook, as `planner solve` does) give the workbook written in one go: the same sheets in the same order,
    every cell with its value and style, the same print setup, names, charts and embedded plan."""
    from planner.report.plan_workbook import EarlyWorkbook

    ds = load_dataset(DATA / "lang_son.xlsx")
    early = EarlyWorkbook(ds, Scenario().name, "vi", "draft")
    plan = run_plan(ds, Scenario(), side=side, while_waiting=early.prepare)
    assert {"assignments", "staffing_grid", "building_uses"} <= set(early.done)
    assert not any(name.startswith("equipment") for name in early.done)  # still being planned then
    write_plan_workbook(plan, ds, tmp_path / "early.xlsx", embedded=plan, map_png=None, early=early)
    write_plan_workbook(plan, ds, tmp_path / "at_once.xlsx", embedded=plan, map_png=None)
    early_seen, at_once = _workbook_as_seen(tmp_path / "early.xlsx"), _workbook_as_seen(tmp_path / "at_once.xlsx")
    assert early_seen["sheets"] == at_once["sheets"] and early_seen["sheets"][0][0] == "Tóm tắt cho lãnh đạo"
    assert early_seen == at_once


def test_early_sheets_are_dropped_when_they_are_not_the_plans(side, tmp_path):
    """Another language, anonymized names, or a table the plan no longer holds: the early sheets are not used and
    the workbook is written from the start (the same as without them)."""
    from planner.report.plan_workbook import EarlyWorkbook

    ds = load_dataset(DATA / "lang_son.xlsx")
    early = EarlyWorkbook(ds, Scenario().name, "vi", "draft")
    plan = run_plan(ds, Scenario(), side=side, while_waiting=early.prepare)
    writer = early.writer
    assert writer is not None
    assert early.take(plan, {}, "en", False, None) == (None, ())  # another language
    early.writer = writer
    assert early.take(plan, {}, "vi", True, None) == (None, ())  # anonymized
    early.writer = writer
    plan.tables["assignments"] = plan.tables["assignments"].copy()  # not the table its sheet was written from
    assert early.take(plan, {}, "vi", False, None) == (None, ())
    write_plan_workbook(plan, ds, tmp_path / "plan.xlsx", lang="en", map_png=None, early=early)
    assert _workbook_as_seen(tmp_path / "plan.xlsx")["sheets"][0][0] == "Leadership summary"
