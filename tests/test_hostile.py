"""Hostile or broken input files: each is refused in seconds with an InputError naming the file (exit 2 via the CLI).

Every file is generated inside its test; none is committed."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from planner.cli import main
from planner.dataset import Dataset
from planner.errors import InputError
from planner.validate import read_and_validate
from test_validate import problems_of, tiny_workbook
from tiny import tiny_frames

SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part of a sheet (openpyxl writes sheet1.xml, sheet2.xml ... in sheet order)."""
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


def rewrite(path: Path, part: str, edit, out_name: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """A copy of the workbook with one part's text passed through `edit` (and extra members added)."""
    out = path.with_name(out_name or f"crafted{path.suffix}")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(item, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out


def refused(path: Path, expected_has: str, capsys) -> InputError:
    """The input error (its report names the file), and the CLI exits 2 saying the same."""
    with pytest.raises(InputError) as info:
        read_and_validate(path)
    report = info.value.report(lang="en")
    assert path.name in report and expected_has.lower() in report.lower(), report
    capsys.readouterr()
    assert main(["validate", str(path), "--lang", "en"]) == 2
    out = capsys.readouterr()
    assert expected_has.lower() in (out.out + out.err).lower()
    return info.value


def timed(func, *args):
    start = time.perf_counter()
    try:
        func(*args)
    except InputError as err:
        return err, time.perf_counter() - start
    raise AssertionError("no InputError")


def test_claimed_full_sheet_with_one_far_cell(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    part = sheet_part(path, "communes")

    def edit(text):
        import re
        text = re.sub(r'<dimension ref="[^"]*" ?/>', '<dimension ref="A1:XFD1048576"/>', text)
        return text.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')

    crafted = rewrite(path, part, edit)
    err, seconds = timed(read_and_validate, crafted)
    assert seconds < 20, seconds
    assert len(err.problems) == 1 and "refused for safety" in err.problems[0].expected
    refused(crafted, "A1:XFD1048576", capsys)


def test_far_cell_behind_a_small_claimed_dimension(tmp_path, capsys):
    """The claimed dimension lies small: the real far cell is still found without padding to it."""
    path = tiny_workbook(tmp_path)
    part = sheet_part(path, "communes")

    def edit(text):
        import re
        text = re.sub(r'<dimension ref="[^"]*" ?/>', '<dimension ref="A1:B2"/>', text)
        return text.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')

    err, seconds = timed(read_and_validate, rewrite(path, part, edit))
    assert seconds < 20, seconds
    assert [p.row for p in err.problems] == [1048576] and "refused for safety" in err.problems[0].expected


def test_five_thousand_columns(tmp_path, capsys):
    path = tmp_path / "wide.xlsx"
    book = Dataset.from_frames(tiny_frames())
    from planner.template import write_input_workbook
    write_input_workbook(path, book)
    wb = openpyxl.load_workbook(path)
    ws = wb["Cán bộ công chức"]
    for col in range(1, 5001):
        ws.cell(row=2, column=col + 30).value = col
    wb.save(path)
    err, seconds = timed(read_and_validate, path)
    assert seconds < 20, seconds
    assert len(err.problems) == 1 and "200 columns" in err.problems[0].expected
    refused(path, "refused for safety", capsys)


def test_too_many_rows_in_a_csv(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("planner.validate.MAX_ROWS", 50)
    folder = Dataset.from_frames(tiny_frames()).save_csv(tmp_path / "csv")
    lines = (folder / "officials.csv").read_text(encoding="utf-8").splitlines()
    body = lines[1:] * (60 // max(1, len(lines) - 1) + 1)
    (folder / "officials.csv").write_text("\n".join([lines[0]] + body) + "\n", encoding="utf-8")
    problems = problems_of(folder)
    assert len(problems) == 1 and "at most 50 rows" in problems[0].expected
    assert problems[0].file.endswith("officials.csv")
    refused(folder, "at most 50 rows", capsys)


def test_too_many_rows_in_a_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr("planner.validate.MAX_ROWS", 3)
    path = tiny_workbook(tmp_path)
    part = sheet_part(path, "officials")
    import re
    crafted = rewrite(path, part, lambda t: re.sub(r"<dimension [^>]*/>", "", t))  # no dimension: rows are counted
    problems = [p for p in problems_of(crafted) if "refused for safety" in p.expected]
    assert len(problems) == 1 and "more than 4 rows" in problems[0].expected
    assert problems[0].sheet in openpyxl.load_workbook(crafted, read_only=True).sheetnames


def test_rows_beyond_the_limit_refused_before_parsing(tmp_path, monkeypatch):
    """The row tags of each sheet are counted in the package scan: a sheet beyond the limit is refused, named,
    without parsing any sheet (the parser would read every row up to the limit first)."""
    import re
    from planner import validate

    path = tiny_workbook(tmp_path)
    limit = max(ws.max_row for ws in openpyxl.load_workbook(path, read_only=True).worksheets)
    monkeypatch.setattr("planner.validate.MAX_ROWS", limit)
    assert validate._package_refusal(path) == (None, None)  # every sheet within the limit
    part = sheet_part(path, "officials")

    def more_rows(text: str) -> str:
        last = re.findall(r"<row\b.*?</row>", text, flags=re.S)[-1]
        return re.sub(r"<dimension [^>]*/>", "", text).replace("</sheetData>", last * (limit + 2) + "</sheetData>")

    crafted = rewrite(path, part, more_rows)

    def never(*args, **kwargs):
        raise AssertionError("a sheet was parsed")

    monkeypatch.setattr("planner.validate.openpyxl.load_workbook", never)
    monkeypatch.setattr(validate._SafeSheetParser, "parse", never)
    monkeypatch.setattr(validate._LeanSheetParser, "parse", never)
    problems = problems_of(crafted)
    assert len(problems) == 1 and problems[0].sheet == "officials" and problems[0].table == "officials"
    assert f"more than {limit + 1:,} rows" in problems[0].expected


def test_corrupt_deflate_stream(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    part = sheet_part(path, "communes")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + min(info.compress_size, 200)):
        data[i] ^= 0x5A
    crafted = tmp_path / "corrupt.xlsx"
    crafted.write_bytes(bytes(data))
    err = refused(crafted, "damaged", capsys)
    assert len(err.problems) == 1 and part in err.problems[0].expected


@pytest.mark.parametrize("encrypted", [True, False])
def test_ole_compound_file(tmp_path, capsys, encrypted):
    path = tmp_path / "secret.xlsx"
    marker = "EncryptedPackage".encode("utf-16-le") if encrypted else "Workbook".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + marker + b"\0" * 5000)
    refused(path, "password-protected" if encrypted else "old-format Excel file", capsys)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_fifo_named_xlsx_is_never_opened(tmp_path, capsys):
    path = tmp_path / "pipe.xlsx"
    os.mkfifo(path)
    err, seconds = timed(read_and_validate, path)
    assert seconds < 5 and "named pipe" in err.problems[0].expected
    refused(path, "named pipe", capsys)
    folder = Dataset.from_frames(tiny_frames()).save_csv(tmp_path / "csv")
    (folder / "communes.csv").unlink()
    os.mkfifo(folder / "communes.csv")
    problems = problems_of(folder)
    assert [p for p in problems if "named pipe" in p.expected and p.file.endswith("communes.csv")]


def _set_cell_xml(path: Path, sheet: str, cell: str, xml: str) -> Path:
    """Replace one cell element (by reference, or (row, column name)) with raw XML ({ref} is the reference)."""
    import re
    if isinstance(cell, tuple):
        row, name = cell
        header = [c.value for c in openpyxl.load_workbook(path)[sheet][1]]
        cell = f"{openpyxl.utils.get_column_letter(header.index(name) + 1)}{row}"
    xml = xml.replace("{ref}", cell)
    part = sheet_part(path, sheet)
    return rewrite(path, part, lambda t: re.sub(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)', xml, t, count=1))


def test_integer_beyond_int64(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    crafted = _set_cell_xml(path, "equipment", (2, "count"), '<c r="{ref}"><v>123456789012345678901234567890</v></c>')
    err = refused(crafted, "column D (count)", capsys)
    assert [(p.sheet, p.row, p.column) for p in err.problems] == [("equipment", 2, "count")]
    huge = _set_cell_xml(path, "communes", (2, "population"), '<c r="{ref}"><v>4000000000000000000</v></c>')
    problems = problems_of(huge)
    assert [(p.row, p.column) for p in problems] == [(2, "population")] and "10000000" in problems[0].expected


def test_nan_in_a_numeric_cell_keeps_the_rest_of_the_sheet(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    crafted = _set_cell_xml(path, "communes", (3, "population"), '<c r="{ref}"><v>NaN</v></c>')
    err = refused(crafted, "column E (population)", capsys)
    assert [(p.sheet, p.row, p.column) for p in err.problems] == [("communes", 3, "population")]
    inf = _set_cell_xml(path, "costs", (2, "value"), '<c r="{ref}"><v>1e999</v></c>')
    assert [(p.sheet, p.row, p.column) for p in problems_of(inf)] == [("costs", 2, "value")]


def test_costs_of_1e300_are_implausible(tmp_path):
    from test_validate import edit_workbook
    path = edit_workbook(tiny_workbook(tmp_path), {"costs": [(2, "value", 1e300)]})
    problems = problems_of(path)
    assert [(p.sheet, p.row, p.column) for p in problems] == [("costs", 2, "value")]


def test_macro_workbook_is_refused_once(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    crafted = rewrite(path, "", lambda t: t, out_name="macros.xlsm", extra={"xl/vbaProject.bin": b"\0" * 100})
    err = refused(crafted, "contains macros", capsys)
    assert len(err.problems) == 1


def test_hidden_sheet_is_reported_once(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["buildings"].sheet_state = "hidden"
    wb.save(path)
    err = refused(path, "hidden", capsys)
    assert [(p.sheet, p.row) for p in err.problems] == [("buildings", None)]


def test_hidden_rows_are_reported_once(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    for row in (3, 4):
        wb["officials"].row_dimensions[row].hidden = True
    wb.save(path)
    err = refused(path, "rows 3, 4 are hidden", capsys)
    assert len(err.problems) == 1


def test_merged_header_cells_give_one_problem(tmp_path, capsys):
    path = tiny_workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["buildings"].merge_cells("A1:C1")
    wb.save(path)
    err = refused(path, "are merged", capsys)
    assert [(p.sheet, p.row) for p in err.problems] == [("buildings", 1)]


def test_many_shared_strings_refused_before_loading(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("planner.validate.MAX_SHARED_STRINGS", 10)
    path = tiny_workbook(tmp_path)
    strings = "".join(f"<si><t>s{i}</t></si>" for i in range(20))
    crafted = rewrite(path, "", lambda t: t, extra={"xl/sharedStrings.xml": f'<sst {SHEET_NS}>{strings}</sst>'.encode()})
    err, seconds = timed(read_and_validate, crafted)
    assert len(err.problems) == 1 and "distinct texts" in err.problems[0].expected
    declared = rewrite(path, "", lambda t: t, out_name="declared.xlsx",
                       extra={"xl/sharedStrings.xml": f'<sst {SHEET_NS} count="16000000" uniqueCount="16000000"><si><t>a</t></si></sst>'.encode()})
    refused(declared, "16,000,000", capsys)


def test_very_long_text_is_a_cell_problem(tmp_path, monkeypatch):
    monkeypatch.setattr("planner.validate.MAX_CELL_TEXT", 28)
    from test_validate import edit_workbook
    path = edit_workbook(tiny_workbook(tmp_path), {"officials": [(2, "name", "x" * 40)]})
    problems = problems_of(path)
    assert ("officials", 2, "name") in [(p.sheet, p.row, p.column) for p in problems]
    assert all("at most 28 characters" in p.expected for p in problems)


def test_limits_are_data():
    import csv
    from planner import validate
    with open(Path(validate.__file__).parent / "schema" / "limits.csv", encoding="utf-8") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    assert set(rows) >= {"max_rows", "max_columns", "max_cell_text", "max_shared_strings", "max_unpacked_bytes"}
    assert all(r["description_en"] and r["description_vi"] for r in rows.values())
    assert validate.MAX_ROWS == int(rows["max_rows"]["value"])
