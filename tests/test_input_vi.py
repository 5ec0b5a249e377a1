"""Reading what people type (issue 9): Vietnamese or English headers and labels, NFD text, synonyms, Có/Không/x,
units and homes by name, ambiguous names reported; only what the chosen stages need; the province template;
Vietnamese messages with row and column letter."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from planner.cli import main
from planner.dataset import Dataset
from planner.errors import InputError
from planner.sample import resolve_province
from planner.schema import load_schema
from planner.template import write_input_workbook
from planner.validate import load_dataset
from tiny import tiny_frames

REFERENCE = Path(__file__).resolve().parents[1] / "planner" / "reference"


def typed_workbook(folder: Path, frames: dict | None = None, lang: str = "vi", name: str = "typed.xlsx",
                   keep_names: bool = False) -> Path:
    """The tiny province written in `lang`, then without the template's defined names (as if retyped or pasted into
    a workbook of one's own): the reader has only the sheet names and headers as people write them."""
    path = write_input_workbook(folder / name, Dataset.from_frames(frames or tiny_frames()), lang=lang)
    if not keep_names:
        book = openpyxl.load_workbook(path)
        for defined in list(book.defined_names):
            del book.defined_names[defined]
        book.save(path)
    return path


def edit(path: Path, table: str, edits: list[tuple[int, str, object]], lang: str = "vi") -> Path:
    """Set cells by (Excel row, column code) on the sheet of `table`, found by its label in `lang`."""
    book = openpyxl.load_workbook(path)
    spec = load_schema()[table]
    ws = book[spec.label(lang)]
    header = [c.value for c in ws[1]]
    for row, column, value in edits:
        ws.cell(row=row, column=header.index(spec.column(column).label(lang)) + 1).value = value
    book.save(path)
    return path


def row_of(frames: dict, table: str, column: str, value) -> int:
    return int(frames[table].index[frames[table][column] == value][0]) + 2


def problems(path: Path, **kwargs) -> list:
    with pytest.raises(InputError) as info:
        load_dataset(path, **kwargs)
    return info.value.problems


def same_tables(left: Dataset, right: Dataset) -> None:
    for name in load_schema():
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_labels_and_headers_in_either_language_read_back(tmp_path, lang):
    """Sheets, headers and coded values written as labels (no defined names to lean on) load as the same data."""
    path = typed_workbook(tmp_path, lang=lang)
    book = openpyxl.load_workbook(path, read_only=True)
    gender = book[load_schema()["officials"].label(lang)]["M2"].value
    assert gender in (("Nam", "Nữ") if lang == "vi" else ("Male", "Female"))
    same_tables(Dataset.from_frames(tiny_frames()), load_dataset(path))


def test_headers_and_sheet_names_as_people_type_them(tmp_path):
    """Headers without accents, in other case and spacing, in NFD, or as common synonyms; sheet names likewise."""
    path = typed_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    ws = book["Cán bộ công chức"]
    ws.title = "can bo  CONG chuc"
    spec = load_schema()["officials"]
    typed = {"name": "ho va ten", "gender": unicodedata.normalize("NFD", "GIỚI TÍNH"), "position": "Chức vụ",
             "home_old_unit_id": "Nơi ở hiện nay", "old_unit_id": "Đơn vị công tác", "id": "ID"}
    for column, header in typed.items():
        ws.cell(row=1, column=spec.column_names.index(column) + 1).value = header
    book.save(path)
    same_tables(Dataset.from_frames(tiny_frames()), load_dataset(path))


def test_values_as_people_type_them(tmp_path):
    """Synonyms from the code lists (CNTT, Nữ/nu/female, Chủ tịch), NFD text, đ/d, Có/Không/x/1 all read."""
    frames = tiny_frames()
    chair = row_of(frames, "officials", "id", "CB100")
    it = row_of(frames, "officials", "id", "CB004")
    accounting = row_of(frames, "officials", "id", "CB003")
    path = typed_workbook(tmp_path)
    edit(path, "officials", [
        (it, "field", "CNTT"), (it, "gender", "nu"), (it, "willing_to_relocate", "x"), (it, "eligible_for_leadership", "Không"),
        (accounting, "field", unicodedata.normalize("NFD", "tài chính - kế toán")), (accounting, "gender", "FEMALE"),
        (accounting, "qualification", "Thạc sỹ"), (accounting, "willing_to_relocate", 1),
        (chair, "position", "chu tich"), (chair, "fixed_position", "Chủ tịch UBND"), (chair, "eligible_for_leadership", "có"),
        (chair, "gender", unicodedata.normalize("NFD", "Nữ")),
    ])
    ds = load_dataset(path).tables["officials"].set_index("id")
    assert ds.loc["CB004", ["field", "gender"]].tolist() == ["it_digital", "female"]
    assert bool(ds.loc["CB004", "willing_to_relocate"]) and not bool(ds.loc["CB004", "eligible_for_leadership"])
    assert ds.loc["CB003", ["field", "gender", "qualification"]].tolist() == ["accounting_finance", "female", "master"]
    assert bool(ds.loc["CB003", "willing_to_relocate"])
    assert ds.loc["CB100", ["position", "fixed_position", "gender"]].tolist() == ["chair", "chair", "female"]


def test_units_and_homes_by_name(tmp_path):
    """A work unit by name; a home by old-unit name, by name and district, or by new commune (its centre)."""
    frames = tiny_frames()
    first, second, third = (row_of(frames, "officials", "id", i) for i in ("CB001", "CB002", "HD0"))
    path = typed_workbook(tmp_path)
    edit(path, "officials", [
        (first, "old_unit_id", "xa an ha"), (first, "home_lon", None), (first, "home_lat", None),
        (first, "home_old_unit_id", "Xã Bình Cũ, Huyện Mẫu"),
        (second, "home_lon", None), (second, "home_lat", None), (second, "home_old_unit_id", "Phường Châu"),
        (third, "home_old_unit_id", "Thị trấn Châu"),
    ])
    edit(path, "old_units", [(2, "commune_code", "Xã An")])
    ds = load_dataset(path)
    officials = ds["officials"].set_index("id")
    assert officials.loc["CB001", ["old_unit_id", "home_old_unit_id"]].tolist() == ["OU2", "OU3"]
    assert pd.isna(officials.loc["CB002", "home_old_unit_id"])  # a new commune: its centre is the home
    assert officials.loc["CB002", ["home_lon", "home_lat"]].tolist() == [106.70, 21.90]
    assert officials.loc["HD0", "home_old_unit_id"] == "OU6"
    assert ds["old_units"].loc[0, "commune_code"] == 101


def test_ambiguous_names_are_reported_with_candidates(tmp_path):
    frames = tiny_frames()
    frames["old_units"].loc[frames["old_units"]["id"] == "OU4", "name"] = "Xã An Hạ"  # a second unit named so
    frames["old_units"].loc[frames["old_units"]["id"] == "OU4", "district"] = "Huyện Khác"
    row = row_of(frames, "officials", "id", "CB001")
    path = edit(typed_workbook(tmp_path, frames), "officials", [(row, "old_unit_id", "Xã An Hạ")])
    found = [p for p in problems(path) if p.row == row and p.column == "old_unit_id"]
    assert len(found) == 1
    text = found[0].expected.vi
    assert "Xã An Hạ" in text and "OU2" in text and "OU4" in text and "Huyện Khác" in text
    assert found[0].line().startswith(f"typed.xlsx, trang Cán bộ công chức, dòng {row}, cột C (Đơn vị công tác (mã hoặc tên))")
    frames["old_units"].loc[frames["old_units"]["id"] == "OU4", "name"] = "Xã Bình Hạ"
    fine = edit(typed_workbook(tmp_path, frames, name="fine.xlsx"), "officials", [(row, "old_unit_id", "Xã An Hạ, Huyện Mẫu")])
    assert load_dataset(fine)["officials"].set_index("id").loc["CB001", "old_unit_id"] == "OU2"


def test_unknown_name_says_where_and_suggests(tmp_path):
    frames = tiny_frames()
    row = row_of(frames, "officials", "id", "CB001")
    path = edit(typed_workbook(tmp_path), "officials", [(row, "fixed_commune", "Xã Bìn")])
    [problem] = [p for p in problems(path) if p.row == row]
    assert problem.letter == get_column_letter(load_schema()["officials"].column_names.index("fixed_commune") + 1)
    assert "Xã Bình" in problem.expected.vi and "Xã mới" in problem.expected.vi


def test_vietnamese_messages_name_row_column_letter_header_and_labels(tmp_path, capsys):
    path = edit(typed_workbook(tmp_path, name="sai.xlsx"), "officials", [(3, "gender", "khác"), (4, "birth_year", "năm 1980")])
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith("2 lỗi trong")
    gender, year = (get_column_letter(load_schema()["officials"].column_names.index(c) + 1) for c in ("gender", "birth_year"))
    assert (f"sai.xlsx, trang Cán bộ công chức, dòng 3, cột {gender} (Giới tính): giá trị 'khác'; cần một trong: Nam, Nữ"
            in err)
    assert f"dòng 4, cột {year} (Năm sinh): giá trị 'năm 1980'; cần một số nguyên từ 1940 đến 2010" in err
    assert main(["validate", str(path), "--lang", "en"]) == 2
    assert f"sheet Cán bộ công chức, row 3, column {gender} (Giới tính): value 'khác'; expected one of: Male, Female" in capsys.readouterr().err


def test_merged_data_cells_are_one_problem(tmp_path):
    path = typed_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Cán bộ công chức"].merge_cells("C3:C7")  # a unit merged over five officials
    book.save(path)
    found = problems(path)
    assert len(found) == 1 and "C3:C7" in found[0].expected and found[0].row == 3


def staffing_only(folder: Path, declare: bool) -> Path:
    frames = {k: v for k, v in tiny_frames().items() if k in ("communes", "old_units", "officials")}
    return write_input_workbook(folder / "staff.xlsx", Dataset.from_frames(frames), stages=("staffing",) if declare else None)


def test_only_the_chosen_stages_tables_are_required(tmp_path):
    path = staffing_only(tmp_path, declare=False)
    assert {p.table for p in problems(path)} == {"equipment", "buildings", "costs"}  # every stage by default
    ds = load_dataset(path, stages=("staffing",))
    assert len(ds["staffing_norms"]) == len(pd.read_csv(REFERENCE / "staffing_norms.csv"))  # the reference norms
    assert "reference" in ds.notes[0] and "tham chiếu" in ds.notes[0].vi
    (tmp_path / "declared").mkdir()
    declared = staffing_only(tmp_path / "declared", declare=True)
    assert load_dataset(declared).stages == ("staffing",)  # the template records the stages it was made for


def test_staffing_only_workbook_solves_every_official_once(tmp_path, capsys):
    path = staffing_only(tmp_path, declare=False)
    out, csv_dir = tmp_path / "plan.xlsx", tmp_path / "csv"
    assert main(["solve", str(path), "--stages", "staffing", "--out", str(out), "--csv-dir", str(csv_dir)]) == 0
    assigned = pd.read_csv(csv_dir / "assignments.csv", encoding="utf-8-sig")["official_id"]
    surplus = pd.read_csv(csv_dir / "surplus_officials.csv", encoding="utf-8-sig")["official_id"]
    placed = pd.concat([assigned, surplus])
    assert placed.is_unique and set(placed) == set(tiny_frames()["officials"]["id"])
    assert out.exists() and not (csv_dir / "equipment_purchases.csv").exists()


def reference_counts(province: str) -> tuple[int, int]:
    code, _ = resolve_province(province)
    with gzip.open(REFERENCE / "communes.csv.gz", "rt", encoding="utf-8") as f:
        communes = pd.read_csv(f)
    return code, int((communes["province_code"] == code).sum())


def test_template_for_a_province_not_bundled(tmp_path):
    """Cao Bằng: its communes and old units pre-filled, drop-downs of their names, loads once officials are added."""
    out = tmp_path / "cao_bang.xlsx"
    assert main(["template", str(out), "--province", "cao bang", "--stages", "staffing"]) == 0
    code, n_communes = reference_counts("Cao Bằng")
    book = openpyxl.load_workbook(out)
    assert "Trang thiết bị" not in book.sheetnames and "Công trình" not in book.sheetnames and "Chi phí" not in book.sheetnames
    assert book["Xã mới"].max_row == n_communes + 1 and n_communes > 40
    units = [r for r in book["Đơn vị cũ"].iter_rows(min_row=2, values_only=True) if r[0]]
    offices = [u for u in units if u[3] == "Trụ sở huyện cũ"]
    assert len(units) > n_communes and len(offices) >= 5  # pre-merger units and the abolished district offices
    lists = [c.value for c in book["_lists"][1] if c.value]
    assert "officials.old_unit_id" in lists and "officials.fixed_commune" in lists
    info = {r[0]: r[1] for r in book["Thông tin"].iter_rows(min_row=2, values_only=True)}
    assert info["province_name"] == "Cao Bằng" and info["province_code"] == str(code) and info["stages"] == "staffing"
    with pytest.raises(InputError) as err:
        load_dataset(out)
    assert [p.table for p in err.value.problems] == ["officials"]  # only the staff list is left to fill in


def test_unknown_province_is_refused(tmp_path, capsys):
    assert main(["template", str(tmp_path / "x.xlsx"), "--province", "Atlantis"]) == 2
    assert "unknown province" in capsys.readouterr().err and not (tmp_path / "x.xlsx").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None, reason="needs LibreOffice and pdfinfo")
def test_readme_prints_on_at_most_two_a4_pages(tmp_path):
    out = tmp_path / "full.xlsx"
    assert main(["template", str(out), "--province", "Lào Cai"]) == 0
    book = openpyxl.load_workbook(out)
    for name in book.sheetnames[1:]:
        del book[name]
    book.save(tmp_path / "readme.xlsx")
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "readme.xlsx")],
                   check=True, capture_output=True, timeout=120)
    info = subprocess.run(["pdfinfo", str(tmp_path / "readme.pdf")], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 1 <= pages <= 2 and "A4" in info


def test_renamed_sheet_and_header_still_found_by_the_defined_names(tmp_path):
    path = write_input_workbook(tmp_path / "renamed.xlsx", Dataset.from_frames(tiny_frames()))
    book = openpyxl.load_workbook(path)
    ws = book["Cán bộ công chức"]
    ws.title = "Danh sách của phòng"
    ws["B1"] = "Tên đầy đủ"  # a header nobody declared: the defined name planner.officials.name still marks it
    for name in book.defined_names.values():  # openpyxl does not follow a rename as Excel does: do it here
        name.attr_text = name.attr_text.replace("'Cán bộ công chức'!", "'Danh sách của phòng'!")
    book.save(path)
    same_tables(Dataset.from_frames(tiny_frames()), load_dataset(path))


def test_header_labels_and_synonyms_name_one_column_and_one_code():
    """The labels and aliases are data (schema and code-list CSVs): none may name two columns of a table or two codes
    of a column, else reading would have to guess."""
    from planner.schema import header_keys, value_keys

    for table, spec in load_schema().items():
        assert all(len(cols) == 1 for cols in header_keys(table).values()), table
        assert all(len(spec.label(lang)) <= 31 for lang in ("vi", "en"))  # Excel's limit on sheet names
        for col in spec.columns:
            if col.dtype == "category":
                doubtful = {k: v for k, v in value_keys(table, col.name).items() if len(v) > 1}
                assert not doubtful, (table, col.name, doubtful)
