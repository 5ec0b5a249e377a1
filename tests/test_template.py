"""planner.template: the blank input template and dataset workbooks (layout, comments, drop-downs, round trip)."""

from __future__ import annotations

import string
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.dataset import Dataset
from planner.schema import load_schema
from planner.template import write_input_workbook
from planner.errors import InputError
from planner.validate import read_and_validate
from tiny import tiny_frames


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("template") / "blank.xlsx"
    assert main(["template", str(out)]) == 0
    return out


def test_template_has_readme_first_and_every_table(blank):
    book = openpyxl.load_workbook(blank)
    schema = load_schema()
    assert book.sheetnames[0] == "Hướng dẫn"
    assert [s for s in book.sheetnames[1:-1]] == [spec.label("vi") for spec in schema.values()]
    assert book["_lists"].sheet_state == "hidden"
    readme_text = " ".join(str(c.value) for row in book["Hướng dẫn"].iter_rows() for c in row if c.value)
    assert all(spec.label("vi") in readme_text for spec in schema.values()) and "Hướng dẫn" in readme_text


def test_headers_are_vietnamese_labels_and_codes_stay_readable(blank):
    """Headers in Vietnamese with the description in a comment; each header cell carries its machine name as a
    workbook-level defined name (planner.<table>.<column>), the table's header row as planner.<table>."""
    book = openpyxl.load_workbook(blank)
    spec = load_schema()["officials"]
    ws = book[spec.label("vi")]
    assert [c.value for c in ws[1]] == [c.label("vi") for c in spec.columns]
    assert ws.freeze_panes == "A2"
    gender = spec.column_names.index("gender") + 1
    assert ws.cell(row=1, column=gender).value == "Giới tính"
    field_note = ws.cell(row=1, column=spec.column_names.index("field") + 1).comment.text
    assert "Lĩnh vực chuyên môn chính" in field_note and "field" in field_note and "Tài chính - Kế toán" in field_note
    lat = spec.column("home_lat")
    lat_note = ws.cell(row=1, column=spec.column_names.index("home_lat") + 1).comment.text
    assert f"từ {lat.min:g} đến {lat.max:g}" in lat_note and "không bắt buộc" in lat_note
    assert ws.cell(row=1, column=1).font.bold
    names = book.defined_names
    sheet, ref = next(iter(names["planner.officials.gender"].destinations))
    assert sheet == ws.title and ref == f"${openpyxl.utils.get_column_letter(gender)}$1"
    assert next(iter(names["planner.officials"].destinations))[0] == ws.title


def test_english_template(tmp_path):
    out = tmp_path / "en.xlsx"
    assert main(["template", str(out), "--lang", "en"]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "README" and "Officials" in book.sheetnames
    assert book["Officials"]["B1"].value == "Full name"
    assert _validations(book["Officials"])[_letter("officials", "gender")] == '"Male,Female"'


def _letter(table: str, column: str) -> str:
    return openpyxl.utils.get_column_letter(load_schema()[table].column_names.index(column) + 1)


def _validations(ws, kind: str = "list") -> dict[str, str]:
    """Column letter -> formula of the data validation (drop-down list, or range check) covering it."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != kind:
            continue
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0].rstrip("0123456789")] = dv.formula1 if kind == "list" else (dv.formula1, dv.formula2)
    return out


def test_dropdowns_of_labels_and_range_checks(blank):
    book = openpyxl.load_workbook(blank)
    for name, spec in load_schema().items():
        ws = book[spec.label("vi")]
        found = _validations(ws)
        ranges = {**_validations(ws, "whole"), **_validations(ws, "decimal")}
        for idx, col in enumerate(spec.columns, start=1):
            letter = openpyxl.utils.get_column_letter(idx)
            if col.dtype in ("category", "bool"):
                assert letter in found, f"{name}.{col.name} has no drop-down"
            if col.dtype in ("int", "float") and not col.references and (col.min is not None or col.max is not None):
                low, high = ranges[letter]
                assert col.min is None or float(low) == col.min
                assert col.max is None or float(high) == col.max
    officials = book["Cán bộ công chức"]
    found = _validations(officials)
    assert found[_letter("officials", "gender")] == '"Nam,Nữ"'
    assert found[_letter("officials", "eligible_for_leadership")] == '"Có,Không"'
    field = found[_letter("officials", "field")]
    assert field.startswith("'_lists'!$")  # 14 fields are too long for an inline list
    lists = book["_lists"]
    column = field.split("!$")[1].split("$")[0]
    listed = [c.value for c in lists[column][1:] if c.value]
    assert listed[:5] == ["Lãnh đạo UBND", "Đảng, Mặt trận và đoàn thể", "Văn phòng - Thống kê", "Tài chính - Kế toán",
                          "Công nghệ thông tin - Chuyển đổi số"]
    assert len(listed) == len(load_schema()["officials"].column("field").allowed)


def test_blank_template_loads_as_empty_required_tables(blank):
    with pytest.raises(InputError) as info:
        read_and_validate(blank)
    problems = info.value.problems
    required = [name for name, spec in load_schema().items() if spec.required and not spec.fallback]
    assert sorted(p.table for p in problems) == sorted(required)  # the norms fall back to the reference norms
    assert all("at least one row" in p.expected and p.row == 2 for p in problems)


def _assert_same_tables(left: Dataset, right: Dataset) -> None:
    for name in load_schema():
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


def test_round_trip_workbook_and_csv(tmp_path, tiny_ds):
    _assert_same_tables(tiny_ds, read_and_validate(write_input_workbook(tmp_path / "tiny.xlsx", tiny_ds)))
    _assert_same_tables(tiny_ds, read_and_validate(tiny_ds.save_csv(tmp_path / "csv")))


def test_dataset_workbook_overwrites_atomically(tmp_path, tiny_ds):
    path = tmp_path / "out" / "tiny.xlsx"
    write_input_workbook(path, tiny_ds)
    write_input_workbook(path, tiny_ds)  # replacing an existing file
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.xlsx"]  # no temporary file left behind
    book = openpyxl.load_workbook(path)
    assert book["Cán bộ công chức"].max_row == len(tiny_ds["officials"]) + 1
    value_col = load_schema()["buildings"].column_names.index("book_value_vnd") + 1
    assert book["Công trình"].cell(row=2, column=value_col).number_format == "#,##0"


INJECTIONS = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "=1+1", "#N/A", "#REF!", "'quoted"]
VIETNAMESE = "ĐđĂăÂâÊêÔôƠơƯưÀÁẢÃẠẦẤẨẪẬằắẳẵặèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
text_cells = st.one_of(
    st.sampled_from(INJECTIONS),
    st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " " + VIETNAMESE, min_size=1, max_size=30),
)


N_OFFICIALS = len(tiny_frames()["officials"])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(names=[(INJECTIONS + ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Ơn"])[k % 10] for k in range(N_OFFICIALS)], note="@SUM(A1)")
@given(names=st.lists(text_cells, min_size=N_OFFICIALS, max_size=N_OFFICIALS), note=text_cells)
def test_round_trip_text_cells(tmp_path, names, note):
    frames = tiny_frames()
    frames["officials"]["name"] = names
    frames["costs"]["note"] = note
    ds = Dataset.from_frames(frames)
    if ds["officials"]["name"].isna().any():  # blank-only text is missing by definition; nothing to round-trip
        return
    path = write_input_workbook(tmp_path / "prop.xlsx", ds)
    back = read_and_validate(path)
    pd.testing.assert_frame_equal(back["officials"], ds["officials"])
    pd.testing.assert_frame_equal(back["costs"], ds["costs"])
    sheet = openpyxl.load_workbook(path, read_only=True)["Cán bộ công chức"]
    kinds = {row[0].data_type for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2)}
    assert kinds == {"s"}  # text, never a formula or an error value
