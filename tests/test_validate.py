"""planner.validate: every kind of bad input is reported with file, sheet, Excel row, column and value."""

from __future__ import annotations

import functools
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planner.dataset import Dataset
from planner.template import write_input_workbook
from planner.errors import InputError, Problem
from planner.schema import load_schema
from planner.validate import read_and_validate
from tiny import tiny_frames


# --- helpers --------------------------------------------------------------------------------


@functools.cache
def _tiny_workbook_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return code_layout(write_input_workbook(Path(tmp) / "tiny.xlsx", Dataset.from_frames(tiny_frames()))).read_bytes()


def tiny_workbook(folder: Path, frames: dict | None = None, name: str = "tiny.xlsx") -> Path:
    """The tiny province (or the given frames) as an input workbook in the machine-name layout of earlier versions
    (sheets and headers named by their codes, no defined names), so that cells are found by table and column code."""
    if frames is None:  # written once per test session, copied per test
        path = folder / name
        path.write_bytes(_tiny_workbook_bytes())
        return path
    return code_layout(write_input_workbook(folder / name, Dataset.from_frames(frames)))


def code_layout(path: Path) -> Path:
    """Rename a template workbook's sheets and headers to the machine names and drop its defined names."""
    book = openpyxl.load_workbook(path)
    schema = load_schema()
    for name in list(book.defined_names):
        del book.defined_names[name]
    for spec in schema.values():
        if spec.label("vi") in book.sheetnames:
            ws = book[spec.label("vi")]
            ws.title = spec.name
            for idx, col in enumerate(spec.columns, start=1):
                ws.cell(row=1, column=idx).value = col.name
    book.save(path)
    return path


def edit_workbook(path: Path, cells: dict[str, list[tuple[int, str, object]]]) -> Path:
    """Set cells by (Excel row, column name) per sheet, the way a user would type them."""
    book = openpyxl.load_workbook(path)
    for sheet, edits in cells.items():
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        for row, column, value in edits:
            ws.cell(row=row, column=header.index(column) + 1).value = value
    book.save(path)
    return path


def excel_row(frames: dict, table: str, column: str, value) -> int:
    """Excel row of the first data row whose column equals value (header is row 1)."""
    return int(frames[table].index[frames[table][column] == value][0]) + 2


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        read_and_validate(path)
    return info.value.problems


def find(problems: list[Problem], sheet=None, row=None, column=None, value=None, expected_has: str = "") -> Problem:
    """The one problem matching every given attribute (fails listing all problems otherwise)."""
    hits = [p for p in problems
            if (sheet is None or sheet in (p.sheet, p.table)) and (row is None or p.row == row)
            and (column is None or p.column == column) and (value is None or p.value == value)
            and expected_has.lower() in p.expected.lower()]
    assert len(hits) == 1, "\n".join(p.line() for p in problems)
    return hits[0]


# --- reading ----------------------------------------------------------------------------------


def test_valid_tiny_workbook_loads_with_excel_rows(tmp_path):
    ds = read_and_validate(tiny_workbook(tmp_path))
    assert len(ds["officials"]) == len(tiny_frames()["officials"])
    assert ds.sheet_rows["officials"].iloc[0] == 2
    assert ds.source.endswith("tiny.xlsx")


def test_missing_required_sheet(tmp_path):
    path = tiny_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    del book["buildings"]
    book.save(path)
    problems = problems_of(path)
    find(problems, sheet="buildings", expected_has="sheet named 'buildings'")
    assert len(problems) == 1


def test_misspelt_sheet_is_named_with_suggestion(tmp_path):
    path = tiny_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["officials"].title = "oficials"
    book.save(path)
    problems = problems_of(path)
    find(problems, sheet="oficials", value="oficials", expected_has="did you mean 'officials'")
    find(problems, sheet="officials", expected_has="required table")


def test_sheet_and_column_names_forgive_case_and_spaces(tmp_path):
    path = tiny_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["communes"].title = "tmp"
    book["tmp"].title = "Communes"  # openpyxl refuses a case-only rename in one step
    book["officials"]["B1"] = " Name "
    book.create_sheet("_notes")["A1"] = "anything"
    book.save(path)
    assert len(read_and_validate(path)["communes"]) == 3


def test_missing_required_column_and_unknown_column(tmp_path):
    path = tiny_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    ws = book["officials"]
    header = [c.value for c in ws[1]]
    ws.delete_cols(header.index("field") + 1)
    ws.cell(row=1, column=header.index("birth_year"), value="birthyear")  # shifted left by one
    book.save(path)
    problems = problems_of(path)
    find(problems, sheet="officials", row=1, column="field", expected_has="required")
    typo = find(problems, sheet="officials", row=1, column="birthyear", expected_has="unknown column")
    assert "did you mean 'birth_year'" in typo.expected and "gender" in typo.expected
    find(problems, sheet="officials", row=1, column="birth_year", expected_has="required")


def test_empty_required_table(tmp_path):
    frames = tiny_frames()
    frames["equipment"] = frames["equipment"].iloc[:0]
    problems = problems_of(tiny_workbook(tmp_path, frames))
    find(problems, sheet="equipment", row=2, expected_has="at least one row")
    assert len(problems) == 1


def test_wrong_types(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {
        "communes": [(3, "population", "nhiều")],
        "officials": [(4, "birth_year", 1980.5), (5, "willing_to_relocate", "maybe")],
        "buildings": [(2, "floor_area_m2", "1.200,5")],
    })
    problems = problems_of(path)
    find(problems, "communes", 3, "population", "nhiều", "whole number")
    find(problems, "officials", 4, "birth_year", 1980.5, "whole number between 1940 and 2010")
    find(problems, "officials", 5, "willing_to_relocate", "maybe", "true or false")
    find(problems, "buildings", 2, "floor_area_m2", "1.200,5", "use . for decimals")
    assert len(problems) == 4


def test_value_outside_allowed_set_lists_allowed_values(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"officials": [(6, "field", "ketoan")]})
    problem = find(problems_of(path), "officials", 6, "field", "ketoan")
    assert "Accounting and finance" in problem.expected and "IT and digital transformation" in problem.expected
    assert "Tài chính - Kế toán" in problem.expected.vi  # the labels the user sees, not the codes


def test_category_case_is_forgiven(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"officials": [(6, "field", "Accounting_Finance ")]})
    assert read_and_validate(path)["officials"].loc[4, "field"] == "accounting_finance"


def test_negative_and_above_max(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"equipment": [(2, "count", -3), (3, "age_years", 99)],
                                                    "costs": [(2, "value", -1.0)]})
    problems = problems_of(path)
    find(problems, "equipment", 2, "count", -3, "at least 0 (cannot be negative)")
    find(problems, "equipment", 3, "age_years", 99, "between 0 and 60")
    find(problems, "costs", 2, "value", -1, "at least 0")
    assert len(problems) == 3


def test_coordinates_outside_vietnam(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"communes": [(2, "lon", 120.5)], "officials": [(3, "home_lat", 30.0)]})
    problems = problems_of(path)
    find(problems, "communes", 2, "lon", 120.5, "longitude inside Vietnam")
    find(problems, "officials", 3, "home_lat", 30, "latitude inside Vietnam")


def test_duplicate_keys_single_and_composite(tmp_path):
    frames = tiny_frames()
    path = edit_workbook(tiny_workbook(tmp_path), {
        "officials": [(3, "id", frames["officials"].loc[0, "id"])],
        "costs": [(3, "item_type", "desktop")],  # second new_unit_price row becomes desktop again
    })
    problems = problems_of(path)
    find(problems, "officials", 3, "id", frames["officials"].loc[0, "id"], "already used in row 2")
    find(problems, "costs", 3, "parameter+item_type", "new_unit_price, desktop", "already used in row 2")
    assert not [p for p in problems if p.sheet not in ("officials", "costs")]


def test_references_to_unknown_rows(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {
        "officials": [(2, "old_unit_id", "OU99"), (3, "fixed_commune", 555)],
        "old_units": [(2, "commune_code", 999)],
        "equipment": [(4, "old_unit_id", "ou1")],
    })
    problems = problems_of(path)
    find(problems, "officials", 2, "old_unit_id", "OU99", "found in old_units.id")
    find(problems, "officials", 3, "fixed_commune", 555, "found in communes.code")
    find(problems, "old_units", 2, "commune_code", 999, "found in communes.code")
    find(problems, "equipment", 4, "old_unit_id", "ou1", "found in old_units.id")


def test_required_cell_left_empty(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"officials": [(7, "name", None)], "equipment": [(2, "condition", None)]})
    problems = problems_of(path)
    find(problems, "officials", 7, "name", expected_has="required")
    assert len(problems) == 1  # condition has a default (good), so leaving it empty is fine


def test_official_home_must_be_given(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {
        "officials": [(2, "home_lon", None), (2, "home_lat", None), (3, "home_lat", None)],
    })
    problems = problems_of(path)
    find(problems, "officials", 2, "home_old_unit_id", expected_has="home_lon and home_lat, or home_old_unit_id")
    find(problems, "officials", 3, "home_lat", expected_has="since home_lon is given")
    assert len(problems) == 2


def test_pinned_position_needs_commune_and_eligibility(tmp_path):
    frames = tiny_frames()
    chair_row = excel_row(frames, "officials", "id", "CB100")
    specialist_row = excel_row(frames, "officials", "id", "CB105")
    path = edit_workbook(tiny_workbook(tmp_path), {"officials": [
        (chair_row, "eligible_for_leadership", False),
        (specialist_row, "fixed_position", "specialist"),
    ]})
    problems = problems_of(path)
    find(problems, "officials", chair_row, "eligible_for_leadership", False, "pinned as chair")
    find(problems, "officials", specialist_row, "fixed_commune", expected_has="fixed_position is specialist")
    assert len(problems) == 2


def test_norm_max_below_min(tmp_path):
    row = excel_row(tiny_frames(), "staffing_norms", "rule_id", "A1")
    path = edit_workbook(tiny_workbook(tmp_path), {"staffing_norms": [(row, "max_count", 0)]})
    find(problems_of(path), "staffing_norms", row, "max_count", 0, "at least min_count (1)")


def test_population_shares_must_sum_to_one(tmp_path):
    frames = tiny_frames()
    ou2 = excel_row(frames, "old_units", "id", "OU2")
    path = edit_workbook(tiny_workbook(tmp_path), {"old_units": [(ou2, "population_share", 0.5)]})
    problem = find(problems_of(path), "old_units", excel_row(frames, "old_units", "id", "OU1"), "population_share", 1.1)
    assert "Xã An" in problem.expected and f"{ou2}" in problem.expected


def test_pins_exceeding_headcount_ceiling(tmp_path):
    frames = tiny_frames()
    officials = frames["officials"]
    specialists = officials.index[officials["position"] == "specialist"]
    officials.loc[specialists, "fixed_commune"] = 101  # 1 chair + 25 specialists > ceiling 14
    problems = problems_of(tiny_workbook(tmp_path, frames))
    problem = find(problems, "officials", column="fixed_commune", expected_has="headcount ceiling")
    assert "at most 14" in problem.expected and "Xã An" in problem.expected
    assert len(problems) == 1


def test_pinned_vice_chairs_exceeding_leadership_slots(tmp_path):
    frames = tiny_frames()
    officials = frames["officials"]
    vice = officials.index[officials["position"] == "vice_chair"][:3]  # two of 101, one of 102
    officials.loc[vice, "fixed_commune"] = 101
    officials.loc[vice, "fixed_position"] = "vice_chair"
    problems = problems_of(tiny_workbook(tmp_path, frames))
    problem = find(problems, "officials", int(vice[2]) + 2, "fixed_commune", 101, "vice_chair slots")
    assert "at most 2" in problem.expected
    assert len(problems) == 1


def test_missing_purchase_price_for_item_in_norms(tmp_path):
    frames = tiny_frames()
    costs = frames["costs"]
    frames["costs"] = costs[~((costs["parameter"] == "new_unit_price") & (costs["item_type"] == "desk"))]
    problem = find(problems_of(tiny_workbook(tmp_path, frames)), "costs", None, "item_type", "desk", "new_unit_price")
    assert "equipment_norms rows 4" in problem.expected


def test_per_item_price_needs_item_type(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"costs": [(2, "item_type", None)]})
    problems = problems_of(path)
    find(problems, "costs", 2, "item_type", expected_has="price per item")
    find(problems, "costs", None, "item_type", "desktop", "new_unit_price")


def test_forbidden_pair_contradicting_pin(tmp_path):
    frames = tiny_frames()
    frames["pair_costs"] = pd.DataFrame({"official_id": ["CB000", "CB001"], "commune_code": [101, 102],
                                         "cost": [0.0, 5.0], "forbidden": [True, False], "reason": ["", "family"]})
    find(problems_of(tiny_workbook(tmp_path, frames)), "pair_costs", 2, "forbidden", True, "pinned to commune 101")


def test_one_bad_cell_does_not_cascade(tmp_path):
    frames = tiny_frames()
    ou2 = excel_row(frames, "old_units", "id", "OU2")
    path = edit_workbook(tiny_workbook(tmp_path), {"old_units": [(ou2, "id", "=CONCAT(\"OU\",2)"), (ou2 + 1, "lat", 99.0)]})
    problems = problems_of(path)
    find(problems, "old_units", ou2, "id", '=CONCAT("OU",2)', "formula not allowed")
    find(problems, "old_units", ou2 + 1, "lat", 99, "inside Vietnam")
    assert len(problems) == 2, "\n".join(p.line() for p in problems)


def test_formula_cells_are_reported_not_evaluated(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"communes": [(2, "population", "=1000*12")]})
    find(problems_of(path), "communes", 2, "population", "=1000*12", "formula not allowed, type the value")


def test_excel_error_cells_are_reported(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"communes": [(2, "area_km2", "#N/A")]})
    find(problems_of(path), "communes", 2, "area_km2", "#N/A", "Excel error")


def test_blank_rows_in_between_keep_excel_row_numbers(tmp_path):
    path = tiny_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["communes"].insert_rows(3, amount=2)  # rows 3-4 blank; Xã Bình moves to row 5
    book.save(path)
    path = edit_workbook(path, {"communes": [(5, "area_km2", "lots")]})
    find(problems_of(path), "communes", 5, "area_km2", "lots")


def test_sheet_without_column_names_is_one_problem(tmp_path):
    path = tiny_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["equipment"].delete_rows(1)
    book.save(path)
    problems = problems_of(path)
    find(problems, "equipment", 1, None, expected_has="column names in row 1")
    assert len(problems) == 1


def test_optional_or_defaulted_columns_may_be_left_out(tmp_path):
    path = tiny_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    ws = book["equipment"]
    header = [c.value for c in ws[1]]
    ws.delete_cols(header.index("condition") + 1)  # required, but empty means 'good'
    book.save(path)
    assert (read_and_validate(path)["equipment"]["condition"] == "good").all()


def test_whole_numbers_tolerate_float_noise(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"communes": [(2, "population", 12000.0000000001)]})
    assert read_and_validate(path)["communes"].loc[0, "population"] == 12000


# --- untrusted files --------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>
"""


def _replace_part(path: Path, part: str, text: str, encoding: str = "utf-8") -> Path:
    out = path.with_name("crafted.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"').encode(encoding) \
                if item.filename == part else src.read(item.filename)
            dst.writestr(item, data)
    return out


@pytest.mark.parametrize("part,encoding", [("xl/worksheets/sheet2.xml", "utf-8"), ("xl/workbook.xml", "utf-8"),
                                           ("xl/worksheets/sheet3.xml", "utf-16")])
def test_entity_expansion_is_refused_quickly(tmp_path, part, encoding):
    crafted = _replace_part(tiny_workbook(tmp_path), part, BILLION_LAUGHS, encoding)
    start = time.perf_counter()
    problems = problems_of(crafted)
    assert time.perf_counter() - start < 10
    assert len(problems) == 1 and "refused for safety" in problems[0].expected and part in problems[0].expected


def test_file_that_is_not_xlsx(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("this is not a workbook", encoding="utf-8")
    assert "not one" in find(problems_of(path), expected_has="valid .xlsx").expected
    other = tmp_path / "old.xls"
    other.write_bytes(b"\xd0\xcf\x11\xe0")
    find(problems_of(other), expected_has="save as .xlsx")
    find(problems_of(tmp_path / "missing.xlsx"), expected_has="not found")


def test_oversized_package_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("planner.validate.MAX_UNPACKED_BYTES", 10_000)
    find(problems_of(tiny_workbook(tmp_path)), expected_has="refused for safety")


def test_damaged_package_is_an_input_error(tmp_path):
    path = tiny_workbook(tmp_path)
    crafted = _replace_part(path, "xl/workbook.xml", "<workbook><sheets>")  # truncated XML
    find(problems_of(crafted), expected_has="could not be read")


# --- CSV folders --------------------------------------------------------------------------------


def test_csv_folder_problems_name_file_and_line(tmp_path):
    folder = Dataset.from_frames(tiny_frames()).save_csv(tmp_path / "csv")
    communes = pd.read_csv(folder / "communes.csv", dtype=str, keep_default_na=False)
    communes.loc[1, "population"] = "tám nghìn"
    communes.to_csv(folder / "communes.csv", index=False)
    (folder / "info.csv").unlink()  # optional table: fine to leave out
    (folder / "buildings.csv").unlink()
    problems = problems_of(folder)
    bad = find(problems, "communes", 3, "population", "tám nghìn", "whole number")
    assert bad.file.endswith("communes.csv")
    find(problems, "buildings", None, None, expected_has="CSV file named 'buildings'")
    assert len(problems) == 2


def test_csv_not_utf8_and_semicolons(tmp_path):
    folder = Dataset.from_frames(tiny_frames()).save_csv(tmp_path / "csv")
    text = (folder / "communes.csv").read_text(encoding="utf-8")
    (folder / "communes.csv").write_bytes(text.encode("cp1258", errors="replace"))
    info = pd.read_csv(folder / "info.csv", dtype=str)
    info.to_csv(folder / "info.csv", sep=";", index=False)
    problems = problems_of(folder)
    find(problems, "communes", expected_has="UTF-8")
    assert len(problems) == 1  # the semicolon-separated info.csv was read fine


def test_report_and_frame_list_every_problem(tmp_path):
    path = edit_workbook(tiny_workbook(tmp_path), {"communes": [(2, "lon", 200.0), (3, "type", "huyen")]})
    with pytest.raises(InputError) as info:
        read_and_validate(path)
    report = info.value.report(lang="en")
    assert report.splitlines()[0].startswith("2 problems in")
    assert "sheet communes, row 2, column F (lon): value 200.0" in report
    assert "row 3, column C (type): value 'huyen'; expected one of: Commune, Ward, Special zone" in report
    vietnamese = info.value.report()  # Vietnamese by default, allowed values as the labels the user sees
    assert vietnamese.splitlines()[0].startswith("2 lỗi trong")
    assert "trang communes, dòng 3, cột C (type): giá trị 'huyen'; cần một trong: Xã, Phường, Đặc khu" in vietnamese
    assert list(info.value.to_frame(lang="vi").columns) == ["tệp", "trang", "dòng", "cột", "tiêu đề", "giá trị", "cần"]
    frame = info.value.to_frame()
    assert list(frame.columns) == ["file", "sheet", "row", "column", "value", "expected"]
    assert frame["row"].tolist() == [2, 3]


# --- the lean sheet reader gives what openpyxl's parser gives ----------------------------------


def _both_parsers(sheet_data: str, shared=(), date_formats=frozenset(), tail: str = ""):
    """Cells of one sheet's XML read by the lean parser (None: not of its regular form) and by openpyxl's."""
    import io

    from openpyxl.utils.datetime import WINDOWS_EPOCH

    from planner.validate import _LeanSheetParser, _SafeSheetParser

    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData>{tail}</worksheet>').encode("utf-8")
    lean = _LeanSheetParser(data, list(shared), WINDOWS_EPOCH, set(date_formats), set())
    safe = _SafeSheetParser(io.BytesIO(data), list(shared), data_only=False, epoch=WINDOWS_EPOCH,
                            date_formats=set(date_formats), timedelta_formats=set())
    expected = [(n, [(c["column"], c["value"], c["data_type"]) for c in row]) for n, row in safe.parse()]
    return lean.parse(), expected, lean, safe


def test_lean_reader_reads_every_cell_kind_as_openpyxl_does():
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Mã &amp; tên &lt;x&gt; &#x1EA1;&#65;</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t xml:space="preserve">  lề  </t></is></c><c r="C1" t="s"><v>1</v></c>'
            '<c r="D1" t="s"><v>7</v></c><c r="E1" t="inlineStr"><is><t></t></is></c></row>'
            '<row r="3" spans="1:9" hidden="1"><c r="A3"><v>12</v></c><c r="B3" s="0"><v>1.5E3</v></c>'
            '<c r="C3" s="2"><v>45000</v></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="e"><v>#N/A</v></c>'
            '<c r="F3" t="str"><v>a</v></c><c r="G3"><v>NaN</v></c><c r="H3" t="n"><v /></c><c r="I3" s="1"/>'
            '<c r="J3" t="d"><v>2024-05-01T00:00:00</v></c><c r="K3"><v>123456789012345678901234567890</v></c></row>'
            '<row r="4"/><row r="5" hidden="true"><c r="AB5" t="inlineStr"><is><t>z</t></is></c></row>')
    lean_rows, expected, lean, safe = _both_parsers(rows, shared=["s0", "Hà Nội"], date_formats={2},
                                                    tail='<mergeCells count="1"><mergeCell ref="A3:B4"/></mergeCells>')
    assert lean_rows is not None and lean_rows == expected
    assert {r: a["hidden"] for r, a in lean.row_dimensions.items()} == \
        {r: a["hidden"] for r, a in safe.row_dimensions.items() if "hidden" in a}
    assert lean.merged == [str(m.ref) for m in safe.merged_cells.mergeCell] == ["A3:B4"]


@pytest.mark.parametrize("row", [
    '<row r="2"><c r="A2"><f>1+1</f><v>2</v></c></row>',  # a formula
    '<row r="2"><c r="A2" t="inlineStr"><is><r><t>rich</t></r></is></c></row>',  # rich text
    '<row r="2"><!-- note --><c r="A2"><v>1</v></c></row>',  # a comment
    '<row r="2"><c s="1" r="A2"><v>1</v></c></row>',  # attributes in another order
    '<row><c r="A2"><v>1</v></c></row>',  # no row number
    '<row r="2"><c r="A2"><v>1</v><extLst/></c></row>',  # anything else inside a cell
    '<row r="2"><c r="A2"><v>1</v></c>',  # not well-formed
])
def test_lean_reader_leaves_other_forms_to_openpyxl(row):
    from planner.validate import _LeanSheetParser
    from openpyxl.utils.datetime import WINDOWS_EPOCH

    data = (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{row}'
            f'</sheetData></worksheet>').encode("utf-8")
    assert _LeanSheetParser(data, [], WINDOWS_EPOCH, set(), set()).parse() is None


def test_lean_and_openpyxl_readers_give_the_same_dataset(tmp_path, monkeypatch):
    """The whole province read both ways: the same typed tables (the tiny workbook takes the lean path)."""
    from planner import validate

    path = tiny_workbook(tmp_path)
    used = []
    parse = validate._LeanSheetParser.parse
    monkeypatch.setattr(validate._LeanSheetParser, "parse", lambda self: used.append(parse(self)) or used[-1])
    lean = read_and_validate(path)
    assert used and all(rows is not None for rows in used)
    monkeypatch.setattr(validate._LeanSheetParser, "parse", lambda self: None)
    full = read_and_validate(path)
    for table in lean.tables:
        pd.testing.assert_frame_equal(lean[table], full[table])


def test_lean_reader_leaves_other_encodings_to_openpyxl():
    """Bytes that are valid UTF-8 but declared as another encoding mean other characters: expat decodes them."""
    from openpyxl.utils.datetime import WINDOWS_EPOCH

    from planner.validate import _LeanSheetParser

    data = ('<?xml version="1.0" encoding="windows-1252"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Ã©</t></is></c></row>'
            '</sheetData></worksheet>').encode("utf-8")
    assert _LeanSheetParser(data, [], WINDOWS_EPOCH, set(), set()).parse() is None
    assert _both_parsers('<row r="1"><c r="A1" t="inlineStr"><is><t>Hà</t></is></c></row>')[0] == [(1, [(1, "Hà", "s")])]
