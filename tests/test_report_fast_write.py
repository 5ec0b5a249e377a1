"""The table sheets' data rows written as XML (planner.report.bulk) give the same workbook as openpyxl cells.

Each plan is written twice: as `planner solve` writes it (long tables' rows straight to XML) and with every row
built as an openpyxl cell (the path openpyxl alone would take). Every part of the two files must be the same bytes
(but the timestamps), and openpyxl must read the same values, types, formats, fills, fonts, alignments, sizes,
merged cells, names, print areas, panes and filters from both.
"""

from __future__ import annotations

import datetime
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Alignment

from planner.norms_used import norms_used
from planner.readback import read_plan_assignments, read_table
from planner.report import bulk, sheets, style, write_plan_workbook
from planner.report.bulk import Rows, save_workbook
from planner.scenario import Scenario
from test_report import INJECTIONS, hand_made_plan, tiny_with_names

# values openpyxl writes in particular ways: empty and white-space text, markup, illegal characters, formula look,
# infinities, negative zero, big and tiny numbers, booleans, missing values of every kind
ODD = pd.DataFrame({
    "note": ["", "  ", " lead", "tail ", "a & b < c > d \"q\" 'x'", "bell\x07here", "=1+1", "-5", "line\r\nbreak", None],
    "km": [0.1 + 0.2, -0.0, 1e-300, 1.5e300, np.inf, -np.inf, np.nan, 2.0, 1 / 3, 12345678.9],
    "count": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 12345678901234567], dtype="Int64"),
    "flag": [True, False, True, False, True, False, True, False, True, False],
    "maybe": pd.array([True, None, False, None, True, True, False, False, None, True], dtype="boolean"),
    "mixed": ["x", 1, 2.5, None, True, "+y", np.nan, pd.NA, "", 7],
    "cost_vnd": np.arange(10, dtype=np.int64) * 10**12,
    "share": np.linspace(0, 1, 10),
})


def written_twice(tmp_path, monkeypatch, plan, ds, lang="vi", **kwargs):
    """(bulk path, cells path): the plan's workbook written as planner writes it, then with every row as a cell."""
    fast = write_plan_workbook(plan, ds, tmp_path / f"fast_{lang}.xlsx", lang=lang, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(sheets, "write_rows", lambda *args, defer=False, **kw: style.write_rows(*args, **kw))
        slow = write_plan_workbook(plan, ds, tmp_path / f"cells_{lang}.xlsx", lang=lang, **kwargs)
    return fast, slow


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def facts(path) -> dict:
    """What openpyxl reads from a workbook: per sheet its cells (value, type, format, fill, font, alignment, quote
    prefix, border), size, merged cells, print area and titles, panes, filter, row heights, column widths;
    and the defined names."""
    wb = openpyxl.load_workbook(path)
    out = {"names": {name: dn.attr_text for name, dn in wb.defined_names.items()}, "sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = {c.coordinate: (c.value, c.data_type, c.number_format, repr(c.fill), repr(c.font), repr(c.alignment),
                                c.quotePrefix, repr(c.border)) for row in ws.iter_rows() for c in row}
        out[ws.title] = {"cells": cells, "dimensions": ws.dimensions, "merged": sorted(map(str, ws.merged_cells.ranges)),
                         "print_area": ws.print_area, "print_titles": ws.print_title_rows, "panes": ws.freeze_panes,
                         "filter": ws.auto_filter.ref, "state": ws.sheet_state,
                         "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
                         "widths": {k: d.width for k, d in ws.column_dimensions.items()},
                         "conditional": sorted(str(r.sqref) for r in ws.conditional_formatting)}
    return out


def assert_same_workbook(fast, slow):
    a, b = parts(fast), parts(slow)
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []
    assert facts(fast) == facts(slow)


@pytest.fixture
def odd_plan():
    ds = tiny_with_names(INJECTIONS)
    plan = hand_made_plan(ds, status="reviewed")
    plan.tables["norms_used"] = norms_used(ds, Scenario())  # wrapped columns, row heights, rows printed first
    plan.tables["odd_values"] = ODD
    return ds, plan


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_bulk_rows_write_the_same_workbook_as_cells(tmp_path, monkeypatch, odd_plan, lang):
    ds, plan = odd_plan
    fast, slow = written_twice(tmp_path, monkeypatch, plan, ds, lang)
    assert_same_workbook(fast, slow)
    wb = openpyxl.load_workbook(fast)
    ws = wb[next(name for name in wb.sheetnames if "odd" in name.lower())]
    notes = [ws.cell(r, 1).value for r in range(4, 14)]
    assert notes[:5] == [None, "  ", " lead", "tail ", "a & b < c > d \"q\" 'x'"] and notes[5] == "bellhere"
    assert ws.cell(10, 1).quotePrefix and ws.cell(10, 1).data_type == "s" and ws.cell(11, 1).quotePrefix


def test_bulk_rows_anonymized_with_comparison(tmp_path, monkeypatch, odd_plan):
    from planner.compare import compare_plans

    ds, plan = odd_plan
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 3)  # rows turned into text a few at a time
    other = hand_made_plan(ds, moved=2, scenario="move two")
    comparison = compare_plans({"baseline": plan, "move two": other})
    fast, slow = written_twice(tmp_path, monkeypatch, plan, ds, anonymize=True, comparison=comparison)
    assert_same_workbook(fast, slow)


def test_bulk_rows_of_a_solved_plan_read_back(tmp_path, monkeypatch, tiny_ds):
    from planner.pipeline import run_plan

    plan = run_plan(tiny_ds, Scenario())
    fast, slow = written_twice(tmp_path, monkeypatch, plan, tiny_ds)
    assert_same_workbook(fast, slow)
    back = read_plan_assignments(fast)
    assert list(back["official_id"]) == list(plan.tables["assignments"]["official_id"])
    assert len(read_table(fast, "staffing_by_commune")) == len(plan.tables["staffing_by_commune"])


@pytest.mark.parametrize("title", [True, False])
def test_rows_xml_matches_openpyxl_cells_in_a_bare_workbook(title, monkeypatch):
    """Formats per row, alignments, row heights set on the sheet, a cell only read (ws.cell) in the rows' range; with
    and without a cell above the rows; in chunks of 4 rows."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 4)
    def book(defer: bool) -> bytes:
        wb = openpyxl.Workbook()
        ws = wb.active
        if title:
            ws.cell(1, 1, "title")
        frame = ODD.drop(columns=["maybe", "count", "mixed"])
        formats = {1: ["0.0%", "#,##0", None, "0.00", "#,##0", "0.0", "0", None, "@", "#,##0"], 5: "0.0%"}
        rows = style.write_rows(ws, 3, frame, formats, {0: Alignment(wrap_text=True, vertical="top")}, defer=defer)
        ws.row_dimensions[4].height = 30.0
        ws.cell(5, 2)  # read, not written
        out = io.BytesIO()
        save_workbook(wb, out, {ws: rows} if rows is not None else {})
        return out.getvalue()

    def unzip(data):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}

    fast, cells = unzip(book(True)), unzip(book(False))
    assert fast == cells
    assert b'<row r="4" ht="30" customHeight="1">' in fast["xl/worksheets/sheet1.xml"]


def test_rows_with_dates_are_written_as_cells():
    wb = openpyxl.Workbook()
    frame = pd.DataFrame({"day": [datetime.date(2026, 1, 2)], "n": [1]})
    assert style.write_rows(wb.active, 2, frame, defer=True) is None
    assert wb.active.cell(2, 1).is_date and wb.active.cell(2, 2).value == 1


def test_changing_a_deferred_cell_is_refused_not_lost(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = style.write_rows(ws, 2, pd.DataFrame({"n": [1, 2]}), defer=True)
    assert isinstance(rows, Rows)
    ws.cell(3, 1).value = 5
    with pytest.raises(RuntimeError, match="A3"):
        save_workbook(wb, tmp_path / "x.xlsx", {ws: rows})


def test_sheets_rendered_before_saving_are_the_same_file_and_made_again_when_changed(tmp_path):
    """SheetWriter.render (the early sheets of planner solve): the saved parts are the same bytes as a plain save,
    sheets written after the render included; a sheet given a cell or a merge after it is rendered again, and reads
    as that sheet saved without the render."""
    from planner.report.sheets import SheetWriter

    frame = ODD.drop(columns=["maybe", "mixed"])

    def book(name: str, render: bool, change=None):
        writer = SheetWriter("vi", None, "Tỉnh thử", "cơ sở", "draft", None)
        writer.table("assignments", frame)
        writer.table("surplus", frame.head(3))
        if render:
            writer.render()
        writer.table("recruitment_needs", frame.tail(4))  # written after the render
        if change is not None:
            change(writer.wb.worksheets[0])
        save_workbook(writer.wb, tmp_path / name, writer.bulk, writer.rendered)
        return tmp_path / name

    assert parts(book("rendered.xlsx", True)) == parts(book("plain.xlsx", False))
    for k, change in enumerate((lambda ws: ws.cell(1, 30, "thêm sau"), lambda ws: ws.merge_cells("AD1:AE1"))):
        changed = book(f"changed_{k}.xlsx", True, change)
        assert facts(changed) == facts(book(f"changed_plain_{k}.xlsx", False, change))
        assert facts(changed) != facts(tmp_path / "rendered.xlsx")


@pytest.mark.slow
def test_lao_cai_plan_written_both_ways_is_the_same(tmp_path, monkeypatch):
    """The bundled province solved (all stages): 26 sheets, about 230,000 cells."""
    from pathlib import Path

    from planner.pipeline import run_plan
    from planner.validate import load_dataset

    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "lao_cai.xlsx")
    plan = run_plan(ds, Scenario(), stages=ds.stages)
    fast, slow = written_twice(tmp_path, monkeypatch, plan, ds)
    assert_same_workbook(fast, slow)
    assert len(read_plan_assignments(fast)) == len(plan.tables["assignments"])
