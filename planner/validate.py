"""Read an input workbook (.xlsx) or a folder of CSVs safely, and report every problem at once.

Three steps, each reporting into one list of problems so the user sees everything in one go:
  1. read      raw cells per sheet/file (formulas and Excel error cells are reported, never used)
  2. cells     per-column typing against planner/schema: types, allowed values, bounds, required
               cells, unknown/missing columns, duplicate keys, references to other tables
  3. tables    cross-table checks, run only on rows whose cells all passed step 2 so that one bad
               cell does not cascade into dozens of messages (homes, pins, norms, shares, prices)

Untrusted workbooks: openpyxl parses with defusedxml (checked at import); the package is also
scanned before parsing and refused when it declares a DTD or XML entities (entity expansion,
"billion laughs") or unpacks to an absurd size.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
import stat
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml import DEFUSEDXML

from .dataset import PANDAS_DTYPE, Dataset
from .derived import per_item_parameters
from .errors import InputError, Problem
from .yesno import parse_yes_no
from .docs import bounds_text
from .norms import headcount_ceilings, quota_fields, resolve_staffing_norms
from . import vocab
from .schema import SCHEMA_DIR, ColumnSpec, TableSpec, load_schema

if not DEFUSEDXML:
    raise ImportError(
        "planner reads untrusted workbooks only through defusedxml, which openpyxl cannot use here: "
        "install it (pip install defusedxml) and do not set OPENPYXL_DEFUSEDXML=False"
    )



def _load_limits() -> dict[str, int]:
    """Size limits of input files (planner/schema/limits.csv), far above a real province: beyond them a file is refused."""
    with open(SCHEMA_DIR / "limits.csv", encoding="utf-8", newline="") as f:
        return {row["name"]: int(float(row["value"])) for row in csv.DictReader(f)}


LIMITS = _load_limits()
MAX_ROWS = LIMITS["max_rows"]  # rows of data per table
MAX_COLUMNS = LIMITS["max_columns"]  # columns per sheet / CSV file
MAX_CELL_TEXT = LIMITS["max_cell_text"]  # characters per cell
MAX_SHARED_STRINGS = LIMITS["max_shared_strings"]  # distinct texts in a workbook
MAX_UNPACKED_BYTES = LIMITS["max_unpacked_bytes"]  # a national dataset unpacks to a few dozen MB
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls files and password-protected (encrypted) workbooks
ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")
INT64_MAX = 2**63 - 1
XML_DANGER_MARKERS = tuple(marker.encode(enc) for marker in ("<!DOCTYPE", "<!ENTITY")
                           for enc in ("utf-8", "utf-16-le", "utf-16-be"))
IGNORED_SHEETS = ("readme", "hướng dẫn", "huong dan")


def _problem_order(p: Problem):
    schema = load_schema()
    tables = list(schema)
    sheet_rank = tables.index(p.sheet) if p.sheet in schema else len(tables)
    col_rank = schema[p.sheet].column_names.index(p.column) if p.sheet in schema and p.column in schema[p.sheet].column_names else 999
    return (p.file, sheet_rank, p.sheet or "", -1 if p.row is None else p.row, col_rank)


# ---------------------------------------------------------------------------------------------
# 1. read raw cells


@dataclass
class _RawSheet:
    """Cells of one table as read: header, data rows (None for empty cells), their row numbers."""

    table: str
    file: str
    sheet: str
    header: list
    cells: list[list]
    rows: list[int]
    bad_cells: set[tuple[int, int]] = field(default_factory=set)  # (row number, column index) already reported
    formulas: list[tuple[int, int, str, str]] = field(default_factory=list)  # (row, column index, 'f' or 'e', text)


def _read_workbook(path: Path, problems: list[Problem]) -> dict[str, _RawSheet]:
    file = str(path)
    refusal = _check_package(path)
    if refusal:
        problems.append(Problem(file, None, None, None, None, refusal))
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions; irrelevant here
            book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # any parse failure of an untrusted file is an input problem
        problems.append(Problem(file, None, None, None, None, f"a valid .xlsx workbook (it could not be read: {_reason(exc)})"))
        return {}
    sheets: dict[str, _RawSheet] = {}
    try:
        names = _match_names(book.sheetnames, file, "sheet", problems)
        for sheet_name, table in names.items():
            try:
                raw = _read_sheet(book, book[sheet_name], table, file, problems)
            except Exception as exc:
                problems.append(Problem(file, sheet_name, None, None, None, f"a readable sheet (it could not be read: {_reason(exc)})"))
                continue
            if raw is not None:
                sheets[table] = raw
    finally:
        book.close()
    for raw in sheets.values():
        problems.extend(_formula_and_error_problems(raw))
    return sheets


def _check_package(path: Path) -> str | None:
    """Why the package is refused before any XML parsing (None when it looks safe)."""
    with open(path, "rb") as f:
        head = f.read(len(OLE_MAGIC))
        if head == OLE_MAGIC:
            return _ole_refusal(f)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return "a valid .xlsx workbook (this file is not one; in Excel use Save As 'Excel Workbook (*.xlsx)')"
    with archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            return f"a workbook that unpacks to less than {MAX_UNPACKED_BYTES // 1_000_000} MB (refused for safety)"
        if any(m.filename.lower().rsplit("/", 1)[-1] == "vbaproject.bin" for m in members):
            return ("a workbook without macros (this one contains macros, which the planner never runs: "
                    "in Excel use Save As 'Excel Workbook (*.xlsx)' and give that file)")
        for member in members:
            name = member.filename.lower()
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            try:
                declares, strings = _scan_part(archive, member, count_strings=name.endswith("sharedstrings.xml"))
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError, zlib.error) as exc:
                return f"a valid .xlsx workbook (part {member.filename} is damaged: {_reason(exc)}; save the workbook again from Excel)"
            if declares:
                return (f"a workbook without XML DTD or entity declarations (part {member.filename} declares them; "
                        "refused for safety, save the workbook again from Excel)")
            if strings > MAX_SHARED_STRINGS:
                return (f"a workbook with at most {MAX_SHARED_STRINGS:,} distinct texts (it declares {strings:,}; "
                        "refused for safety, a province needs far fewer)")
    return None


def _ole_refusal(f) -> str:
    """An OLE compound file named .xlsx: a password-protected workbook, or an old .xls renamed."""
    seen = b""
    for _ in range(64):  # the directory naming the streams is near the start; look at the first 64 MB at most
        chunk = f.read(1 << 20)
        if not chunk:
            break
        if ENCRYPTED_MARKER in seen[-len(ENCRYPTED_MARKER):] + chunk:
            return ("a workbook without a password (this one is password-protected, so it cannot be read: "
                    "open it in Excel, remove the password under File > Info > Protect Workbook > Encrypt with Password, "
                    "and save it again)")
        seen = chunk
    return ("an .xlsx workbook (this is an old-format Excel file (.xls) with an .xlsx name: "
            "in Excel use Save As 'Excel Workbook (*.xlsx)')")


_SST_COUNT = re.compile(rb"""<(?:\w+:)?sst\b[^>]*?\buniqueCount\s*=\s*["'](\d+)["']""")
_SI = re.compile(rb"<(?:\w+:)?si[\s>/]")


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, count_strings: bool) -> tuple[bool, int]:
    """Stream one XML part once: does it declare a DTD or entities; how many shared strings (declared or found)."""
    overlap = max(len(m) for m in XML_DANGER_MARKERS)
    tail = b""
    found = declared = 0
    first = True
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            if any(marker in window for marker in XML_DANGER_MARKERS):
                return True, 0
            if count_strings:
                if first and (m := _SST_COUNT.search(chunk[:4096])):
                    declared = int(m.group(1))
                    if declared > MAX_SHARED_STRINGS:
                        return False, declared
                found += len(_SI.findall(window)) - len(_SI.findall(tail))
                if found > MAX_SHARED_STRINGS:
                    return False, found
            first = False
            tail = window[-overlap:]
    return False, max(found, declared)


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."


def _match_names(names: list[str], file: str, what: str, problems: list[Problem]) -> dict[str, str]:
    """Map sheet (or CSV file) names to tables, case and spaces forgiven; report unknown and doubled names."""
    schema = load_schema()
    matched: dict[str, str] = {}
    for name in names:
        key = unicodedata.normalize("NFC", name).strip().lower()
        if key in IGNORED_SHEETS or key.startswith("_"):
            continue
        if key in schema:
            if key in matched.values():
                problems.append(Problem(file, name, None, None, name, f"one {what} per table ({key!r} appears twice)"))
            else:
                matched[name] = key
            continue
        hint = _did_you_mean(key, list(schema))
        problems.append(Problem(file, name, None, None, name,
                                f"a {what} named after a table ({', '.join(schema)}){hint}; "
                                f"README and names starting with '_' are ignored"))
    return matched


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" - did you mean {close[0]!r}?" if close else ""


class _SafeSheetParser(WorkSheetParser):
    """openpyxl's sheet parser, but a cell it cannot convert (a number 'NaN', a string index out of range) becomes
    a cell of type 'x' holding its raw text, so one bad cell is reported and the rest of the sheet is still read."""

    def parse_cell(self, element):
        try:
            return super().parse_cell(element)
        except Exception:  # noqa: BLE001 - any conversion failure of an untrusted cell is that cell's problem
            coordinate = element.get("r")
            try:
                row, column = coordinate_to_tuple(coordinate) if coordinate else (self.row_counter, self.col_counter)
            except Exception:  # noqa: BLE001
                row, column = self.row_counter, self.col_counter
            self.col_counter = column
            text = element.findtext("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}v") or ""
            return {"row": row, "column": column, "value": text[:60], "data_type": "x", "style_id": 0}


def _read_sheet(book, ws, table: str, file: str, problems: list[Problem]) -> _RawSheet | None:
    """Cell values of one sheet, only its real cells (the claimed dimension is never trusted nor padded to);
    formula, error and unreadable cells are recorded (to report) and read as empty. None when the sheet is refused."""
    sheet = ws.title
    if ws.sheet_state != "visible":
        problems.append(Problem(file, sheet, None, None, None,
                                "a visible sheet (this sheet is hidden but holds a table: unhide it or remove it)"))
    claimed_rows, claimed_columns = ws.max_row or 0, ws.max_column or 0
    if claimed_rows > MAX_ROWS + 1 or claimed_columns > MAX_COLUMNS:
        shown = ws.calculate_dimension() if ws.max_row and ws.max_column else f"{claimed_columns} columns, {claimed_rows} rows"
        problems.append(Problem(file, sheet, None, None, None, _size_expectation(f"the sheet's used range is {shown}")))
        return None
    header: list = []
    cells: list[list] = []
    rows: list[int] = []
    formulas: list[tuple[int, int, str, str]] = []
    with book._archive.open(ws._worksheet_path) as src:
        parser = _SafeSheetParser(src, ws._shared_strings, data_only=False, epoch=book.epoch,
                                  date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for row_number, row in parser.parse():
            real = [c for c in row if c["value"] is not None or c["data_type"] in ("f", "e", "x")]
            if not real:
                continue
            if row_number > MAX_ROWS + 1:
                problems.append(Problem(file, sheet, row_number, None, None,
                                        _size_expectation(f"row {row_number} holds data")))
                return None
            width = max(c["column"] for c in real)
            if width > MAX_COLUMNS:
                problems.append(Problem(file, sheet, row_number, None, None,
                                        _size_expectation(f"column {openpyxl.utils.get_column_letter(width)} holds data")))
                return None
            values: list = [None] * width
            for c in real:
                col_index, value, kind = c["column"] - 1, c["value"], c["data_type"]
                if kind in ("f", "e", "x"):
                    formulas.append((row_number, col_index, kind, str(value)))
                    value = None
                elif isinstance(value, str) and len(value) > MAX_CELL_TEXT:
                    formulas.append((row_number, col_index, "long", str(len(value))))
                    value = None
                values[col_index] = value
            if row_number == 1:
                header = values
            else:
                cells.append(values)
                rows.append(row_number)
        data_rows = set(rows)
        hidden = sorted(int(r) for r, attrs in parser.row_dimensions.items()
                        if str(attrs.get("hidden", "")).lower() in ("1", "true") and int(r) in data_rows)
        merged = [str(m.ref) for m in (parser.merged_cells.mergeCell if parser.merged_cells else [])]
    header_merges = [ref for ref in merged if _range_rows(ref)[0] == 1]
    if header_merges:
        problems.append(Problem(file, sheet, 1, None, None,
                                f"one column name per cell in row 1 (cells {', '.join(header_merges[:5])} are merged: "
                                "unmerge them and type each column name in its own cell)"))
        return None
    if hidden:
        listed = ", ".join(str(r) for r in hidden[:10]) + (f" and {len(hidden) - 10} more" if len(hidden) > 10 else "")
        problems.append(Problem(file, sheet, hidden[0], None, None,
                                f"visible rows (rows {listed} are hidden but hold data: unhide them or delete them)"))
    bad = {(row_number, col_index) for row_number, col_index, _, _ in formulas}
    return _RawSheet(table, file, sheet, header, cells, rows, bad, formulas)


def _range_rows(ref: str) -> tuple[int, int]:
    first, _, last = ref.partition(":")
    return coordinate_to_tuple(first)[0], coordinate_to_tuple(last or first)[0]


def _size_expectation(what: str) -> str:
    return (f"at most {MAX_ROWS:,} rows of data and {MAX_COLUMNS} columns per table ({what}; refused for safety: "
            "delete the rows and columns beyond the data, then save again)")


def _formula_and_error_problems(raw: _RawSheet) -> list[Problem]:
    out = []
    for row_number, col_index, kind, text in raw.formulas:
        column = _header_name(raw.header, col_index)
        if kind == "f":
            out.append(Problem(raw.file, raw.sheet, row_number, column, text, "a typed value (formula not allowed, type the value)"))
        elif kind == "e":
            out.append(Problem(raw.file, raw.sheet, row_number, column, text, "a value (the cell holds an Excel error)"))
        elif kind == "long":
            out.append(Problem(raw.file, raw.sheet, row_number, column, None,
                               f"a text of at most {MAX_CELL_TEXT:,} characters (this cell holds {int(text):,})"))
        else:
            out.append(Problem(raw.file, raw.sheet, row_number, column, text,
                               "a readable value (the number stored in this cell is not a valid number; retype it)"))
    return out


def _header_text(header: list, col_index: int) -> str | None:
    if col_index < len(header) and header[col_index] is not None and str(header[col_index]).strip():
        return unicodedata.normalize("NFC", str(header[col_index])).strip()
    return None


def _header_name(header: list, col_index: int) -> str:
    """The column's name, or its Excel letter when row 1 is empty there."""
    return _header_text(header, col_index) or openpyxl.utils.get_column_letter(col_index + 1)


def _not_regular_file(path: Path) -> str | None:
    """Why a path given as a file cannot be read as one (a named pipe, device or socket would hang or never end)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"a readable file ({_reason(exc)})"
    if stat.S_ISREG(mode):
        return None
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"a regular saved file (this is {kind}, which is never opened; give the path of a saved workbook or CSV file)"


def _read_csv_folder(folder: Path, problems: list[Problem]) -> dict[str, _RawSheet]:
    paths = {p.name[:-4]: p for p in sorted(folder.iterdir()) if p.name.lower().endswith(".csv")}
    names = _match_names(list(paths), str(folder), "CSV file", problems)
    sheets = {}
    for stem, table in names.items():
        path = paths[stem]
        file = str(path)
        not_regular = _not_regular_file(path)
        if not_regular:
            problems.append(Problem(file, table, None, None, None, not_regular))
            continue
        if path.stat().st_size > MAX_UNPACKED_BYTES:
            problems.append(Problem(file, table, None, None, None, f"a file smaller than {MAX_UNPACKED_BYTES // 1_000_000} MB"))
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(Problem(file, table, None, None, None,
                                    f"UTF-8 text (byte {exc.start} is not; in Excel use Save As 'CSV UTF-8')"))
            continue
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if ";" in first_line and "," not in first_line else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header: list = []
        cells, rows = [], []
        long_cells: list[tuple[int, int, str, str]] = []
        too_big: tuple[int, str] | None = None
        line_before = 0
        try:
            for record in reader:
                start_line = line_before + 1
                line_before = reader.line_num
                if len(record) > MAX_COLUMNS:
                    too_big = (start_line, f"line {start_line} has {len(record)} fields")
                    break
                if len(cells) >= MAX_ROWS:
                    too_big = (start_line, f"line {start_line} is beyond {MAX_ROWS:,} rows")
                    break
                values = [v if v.strip() else None for v in record]
                for i, v in enumerate(values):
                    if v is not None and len(v) > MAX_CELL_TEXT:
                        long_cells.append((start_line, i, "long", str(len(v))))
                        values[i] = None
                if start_line == 1 and not header:
                    header = values
                else:
                    cells.append(values)
                    rows.append(start_line)
        except csv.Error as exc:
            problems.append(Problem(file, table, reader.line_num, None, None, f"well-formed CSV ({exc})"))
            continue
        if too_big:
            problems.append(Problem(file, table, too_big[0], None, None, _size_expectation(too_big[1])))
            continue
        bad = {(row_number, col_index) for row_number, col_index, _, _ in long_cells}
        sheets[table] = _RawSheet(table, file, table, header, cells, rows, bad, long_cells)
        problems.extend(_formula_and_error_problems(sheets[table]))
    return sheets


# ---------------------------------------------------------------------------------------------
# 2. per-cell checks


@dataclass
class _Checked:
    """One table after the cell checks: typed values (index = Excel row / CSV line) and which cells passed."""

    spec: TableSpec
    file: str
    sheet: str
    clean: pd.DataFrame
    cell_ok: pd.DataFrame
    present: set[str]

    @property
    def row_ok(self) -> pd.Series:
        return self.cell_ok.all(axis=1)

    def good(self) -> pd.DataFrame:
        """Rows whose every cell passed the checks (cross-table checks look only at these)."""
        return self.clean[self.row_ok]


def _normalize_cell(value):
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value if value else None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _check_table(raw: _RawSheet, spec: TableSpec, problems: list[Problem]) -> _Checked:
    file, sheet = raw.file, raw.sheet
    width = max([len(raw.header)] + [len(r) for r in raw.cells])
    header = [_header_text(raw.header, i) for i in range(width)]
    grid = pd.DataFrame([r + [None] * (width - len(r)) for r in raw.cells], columns=range(width), dtype=object,
                        index=pd.Index(raw.rows, name="row"))
    grid = grid.map(_normalize_cell) if len(grid) else grid
    bad_positions = pd.DataFrame(False, index=grid.index, columns=grid.columns)
    for row_number, col_index in raw.bad_cells:
        if row_number in bad_positions.index:
            bad_positions.loc[row_number, col_index] = True
    # rows with nothing but spaces in them are not data either
    keep = grid.notna().any(axis=1) | bad_positions.any(axis=1)
    grid, bad_positions = grid[keep], bad_positions[keep]
    by_key = {c.lower(): c for c in spec.column_names}
    if not any(h is not None and h.lower() in by_key for h in header):  # row 1 is empty or holds data
        shown = next((h for h in header if h is not None), None)
        problems.append(Problem(file, sheet, 1, None, shown, f"the column names in row 1 ({', '.join(spec.column_names)}; "
                                                               "`planner template` writes a workbook that has them)"))
        empty = grid.iloc[:0]
        return _Checked(spec, file, sheet, pd.DataFrame({c.name: pd.Series(dtype=PANDAS_DTYPE[c.dtype], index=empty.index)
                                                          for c in spec.columns}),
                        pd.DataFrame({c.name: pd.Series(dtype=bool, index=empty.index) for c in spec.columns}), set())

    columns: dict[str, int] = {}
    for idx, name in enumerate(header):
        if name is None:
            if grid[idx].notna().any():
                first = grid.index[grid[idx].notna()][0]
                problems.append(Problem(file, sheet, 1, openpyxl.utils.get_column_letter(idx + 1), None,
                                        f"a column name in row 1 (column has data from row {first})"))
            continue
        key = name.lower()
        if key not in by_key:
            problems.append(Problem(file, sheet, 1, name, name, f"one of the columns {', '.join(spec.column_names)}"
                                    f"{_did_you_mean(key, spec.column_names)} (unknown column)"))
        elif by_key[key] in columns:
            problems.append(Problem(file, sheet, 1, name, name, "each column once (this name appears twice)"))
        else:
            columns[by_key[key]] = idx

    clean, cell_ok = {}, {}
    for col in spec.columns:
        if col.name not in columns:
            missing_required = col.required and col.default is None
            if missing_required:
                problems.append(Problem(file, sheet, 1, col.name, None,
                                        f"a column named {col.name!r} (required; {col.description_en})"))
            clean[col.name] = pd.Series(index=grid.index, dtype=PANDAS_DTYPE[col.dtype])
            cell_ok[col.name] = pd.Series(not missing_required, index=grid.index, dtype=bool)
            continue
        idx = columns[col.name]
        values, ok = _check_column(grid[idx], bad_positions[idx], col, file, sheet, problems)
        clean[col.name], cell_ok[col.name] = values, ok
    checked = _Checked(spec, file, sheet, pd.DataFrame(clean, index=grid.index), pd.DataFrame(cell_ok, index=grid.index),
                       set(columns))
    if spec.required and len(grid) == 0:
        problems.append(Problem(file, sheet, 2, None, None, f"at least one row of data (table {spec.name} is required)"))
    _check_key(checked, problems)
    return checked


def _check_column(raw: pd.Series, already_bad: pd.Series, col: ColumnSpec, file: str, sheet: str,
                  problems: list[Problem]) -> tuple[pd.Series, pd.Series]:
    """Type one column; report wrong types, values outside the allowed set or bounds, and empty required cells."""
    blank = raw.isna() & ~already_bad
    if col.dtype in ("int", "float"):
        values, wrong = _parse_number(raw, integer=col.dtype == "int")
    elif col.dtype == "bool":
        values, wrong = _parse_bool(raw)
    elif col.dtype == "category":
        canonical = {a.lower(): a for a in col.allowed}
        values = raw.map(lambda v: canonical.get(_as_text(v).lower(), pd.NA), na_action="ignore")
        wrong = raw.notna() & values.isna()
    else:
        values = raw.map(_as_text, na_action="ignore")
        wrong = pd.Series(False, index=raw.index)
    wrong &= raw.notna()
    for row in raw.index[wrong]:
        problems.append(Problem(file, sheet, int(row), col.name, raw[row], _type_expectation(col, raw[row])))

    out_of_range = pd.Series(False, index=raw.index)
    if col.dtype in ("int", "float"):
        numbers = values.astype(float)
        if col.min is not None:
            out_of_range |= numbers < col.min
        if col.max is not None:
            out_of_range |= numbers > col.max
        for row in raw.index[out_of_range]:
            negative = col.min == 0 and numbers[row] < 0
            problems.append(Problem(file, sheet, int(row), col.name, raw[row],
                                    "a value of at least 0 (cannot be negative)" if negative else _range_expectation(col)))

    empty_required = blank & col.required & (col.default is None)
    for row in raw.index[empty_required]:
        problems.append(Problem(file, sheet, int(row), col.name, None, f"a value (required: {col.description_en})"))
    ok = ~(wrong | out_of_range | empty_required | already_bad)
    typed = values.where(ok & values.notna(), pd.NA)
    if col.dtype == "int":
        typed = pd.to_numeric(typed, errors="coerce").round().astype("Int64")
    elif col.dtype == "float":
        typed = pd.to_numeric(typed, errors="coerce").astype("float64")
    else:
        typed = typed.astype(PANDAS_DTYPE[col.dtype])
    return typed, ok.astype(bool)


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _parse_number(raw: pd.Series, integer: bool) -> tuple[pd.Series, pd.Series]:
    kinds = raw.map(type)
    numeric_cells = kinds.isin([int, float])  # bool is its own type here, so True is not taken for 1
    text_cells = kinds.eq(str)
    numbers = pd.Series(np.nan, index=raw.index, dtype=float)
    if numeric_cells.any():
        numbers[numeric_cells] = raw[numeric_cells].map(_finite_float).astype(float)
    if text_cells.any():
        numbers[text_cells] = raw[text_cells].map(_finite_float).astype(float)
    wrong = ~np.isfinite(numbers)
    if integer:  # beyond int64 a whole number cannot be stored (nor is it plausible)
        wrong |= np.isfinite(numbers) & (numbers.abs() >= 2.0**63)
    if integer:  # tolerate float noise such as 12000.0000000001 left by Excel arithmetic
        wrong |= np.isfinite(numbers) & ((numbers - numbers.round()).abs() > 1e-6)
        numbers = numbers.round()
    return numbers.where(~wrong), wrong


def _finite_float(value) -> float:
    """A number cell or numeric text as float; NaN when it is not a finite number (also 'nan', 'inf', 10**400)."""
    if isinstance(value, str) and "_" in value:  # Python would read 1_000; a spreadsheet user did not mean that
        return math.nan
    try:
        number = float(value)
    except (ValueError, TypeError, OverflowError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = raw.map(parse_yes_no, na_action="ignore")
    return values, raw.notna() & values.isna()


def _type_expectation(col: ColumnSpec, value) -> str:
    if col.dtype == "category":
        return f"one of: {', '.join(col.allowed)}"
    if col.dtype == "bool":
        return "true or false (also yes/no, có/không, 1/0)"
    what = "a whole number" if col.dtype == "int" else "a number"
    if isinstance(value, str) and ("," in value or value.count(".") > 1):
        what += " (use . for decimals and no thousands separators)"
    bounds = _bounds_text(col)
    return f"{what}{' ' + bounds if bounds else ''}"


def _bounds_text(col: ColumnSpec) -> str:
    return bounds_text(col, between="between {} and {}", at_least="of at least {}", at_most="of at most {}")


def _range_expectation(col: ColumnSpec) -> str:
    if col.unit == "degrees":
        axis = "longitude" if "lon" in col.name else "latitude"
        return f"a {axis} inside Vietnam ({_bounds_text(col)})"
    text = f"a value {_bounds_text(col)}"
    if col.min == 0 and col.max is None:
        text += " (cannot be negative)"
    return text


def _check_key(table: _Checked, problems: list[Problem]) -> None:
    key = list(table.spec.key)
    if not key or not set(key) <= set(table.clean.columns):
        return
    usable = table.cell_ok[key].all(axis=1)
    sub = table.clean.loc[usable, key]
    if sub.empty:
        return
    rows = pd.Series(sub.index, index=sub.index)
    first = rows.groupby([sub[c] for c in key], dropna=False).transform("min")
    label = "+".join(key)
    for row in rows.index[rows != first]:
        value = ", ".join(_as_text(v) if pd.notna(v) else "(empty)" for v in sub.loc[row, key])
        problems.append(Problem(table.file, table.sheet, int(row), label, value,
                                f"a unique {label} (already used in row {int(first[row])})"))


def _check_references(checked: dict[str, _Checked], problems: list[Problem]) -> None:
    """Cells naming rows of other tables (schema 'references') must name rows that exist."""
    for table in checked.values():
        for col in table.spec.columns:
            if not col.references or col.name not in table.present:
                continue
            target_table, target_col = col.references.split(".")
            target = checked.get(target_table)
            if target is None or target_col not in target.present or not target.cell_ok[target_col].all():
                continue  # the target is missing or has bad cells, reported already: checking now would cascade
            known = target.clean[target_col][target.cell_ok[target_col]].dropna()
            values = table.clean[col.name]
            unknown = table.cell_ok[col.name] & values.notna() & ~values.isin(set(known))
            for row in values.index[unknown]:
                problems.append(Problem(table.file, table.sheet, int(row), col.name, values[row],
                                        f"a value found in {target_table}.{target_col} (no such row there)"))
            table.cell_ok.loc[unknown, col.name] = False


# ---------------------------------------------------------------------------------------------
# 3. cross-table checks (rows that passed the cell checks only)


def _check_officials(officials: _Checked, problems: list[Problem]) -> None:
    o = officials.good()
    if o.empty:
        return
    file, sheet = officials.file, officials.sheet
    has_lon, has_lat = o["home_lon"].notna(), o["home_lat"].notna()
    for row in o.index[has_lon & ~has_lat]:
        problems.append(Problem(file, sheet, int(row), "home_lat", None, "a latitude, since home_lon is given (give both or neither)"))
    for row in o.index[has_lat & ~has_lon]:
        problems.append(Problem(file, sheet, int(row), "home_lon", None, "a longitude, since home_lat is given (give both or neither)"))
    homeless = ~has_lon & ~has_lat & o["home_old_unit_id"].isna()
    for row in o.index[homeless]:
        problems.append(Problem(file, sheet, int(row), "home_old_unit_id", None,
                                "where the official lives: home_lon and home_lat, or home_old_unit_id"))
    pinned_position = o["fixed_position"].notna()
    for row in o.index[pinned_position & o["fixed_commune"].isna()]:
        problems.append(Problem(file, sheet, int(row), "fixed_commune", None,
                                f"the commune code, since fixed_position is {o.at[row, 'fixed_position']!s}"))
    leader = o["fixed_position"].isin(vocab.role_codes("positions", "leadership")).to_numpy(dtype=bool, na_value=False)
    not_eligible = ~o["eligible_for_leadership"].to_numpy(dtype=bool, na_value=False)
    for row in o.index[leader & not_eligible]:
        problems.append(Problem(file, sheet, int(row), "eligible_for_leadership", False,
                                f"true, since the official is pinned as {o.at[row, 'fixed_position']!s}"))


def _check_staffing_norms(norms: _Checked, problems: list[Problem]) -> None:
    n = norms.good()
    if n.empty:
        return
    inverted = (n["max_count"].notna() & (n["max_count"] < n["min_count"])).to_numpy(dtype=bool, na_value=False)
    for row in n.index[inverted]:
        problems.append(Problem(norms.file, norms.sheet, int(row), "max_count", int(n.at[row, "max_count"]),
                                f"at least min_count ({int(n.at[row, 'min_count'])})"))
    empty_band = (n["max_population"].notna() & (n["max_population"] <= n["min_population"])).to_numpy(dtype=bool, na_value=False)
    for row in n.index[empty_band]:
        problems.append(Problem(norms.file, norms.sheet, int(row), "max_population", int(n.at[row, "max_population"]),
                                f"more than min_population ({int(n.at[row, 'min_population'])}), else the rule never applies"))


def _check_population_shares(communes: _Checked, old_units: _Checked, problems: list[Problem]) -> None:
    """Each populated commune's old-unit shares add up to 1 (tolerance 0.01)."""
    units_ok = old_units.row_ok
    if not (old_units.cell_ok.loc[~units_ok, "commune_code"]).all():
        return  # some unit's commune is unknown: sums would be wrong for reasons reported already
    doubtful = set(old_units.clean.loc[~units_ok, "commune_code"].dropna())
    c = communes.good()
    c = c[(c["population"] > 0).to_numpy(dtype=bool, na_value=False) & ~c["code"].isin(doubtful)]
    u = old_units.good()
    totals = u.groupby("commune_code")["population_share"].sum().reindex(c["code"].to_numpy(), fill_value=0.0)
    off = c[(totals - 1.0).abs().to_numpy() > 0.01]
    unit_rows = pd.Series(u.index, index=u.index).groupby(u["commune_code"]).agg(list)
    for row, code, name in zip(off.index, off["code"], off["name"]):
        units = unit_rows.get(code, [])
        if not units:
            problems.append(Problem(communes.file, communes.sheet, int(row), "code", int(code),
                                    f"at least one old unit in table old_units going into {name} (it has residents)"))
            continue
        listed = ", ".join(str(int(r)) for r in units)
        problems.append(Problem(old_units.file, old_units.sheet, int(units[0]), "population_share", round(float(totals[code]), 4),
                                f"the shares of the old units going into {name} ({int(code)}; rows {listed}) to sum to 1"))


def _check_pins_against_norms(communes: _Checked, norms: _Checked, officials: _Checked, problems: list[Problem]) -> None:
    """Officials pinned to a commune fit its headcount ceiling; pinned chairs / vice-chairs fit its leadership slots."""
    c, n, o = communes.good(), norms.good(), officials.good()
    pinned = o[o["fixed_commune"].notna()]
    if c.empty or n.empty or pinned.empty:
        return
    in_quota = pinned[pinned["field"].isin(quota_fields()).to_numpy(dtype=bool, na_value=False)]
    requirements = resolve_staffing_norms(c.reset_index(drop=True), n.reset_index(drop=True))
    names = dict(zip(c["code"].astype(int), c["name"]))
    ceilings = headcount_ceilings(requirements).dropna()
    per_commune = in_quota.groupby("fixed_commune").size()
    limit = ceilings.reindex(per_commune.index)
    for code in per_commune.index[(per_commune > limit).to_numpy()]:
        _report_excess(in_quota[in_quota["fixed_commune"] == code], int(limit[code]), officials, problems,
                       f"officials pinned to {names[int(code)]} ({int(code)})",
                       "its headcount ceiling (the government staff quota: the quota rule, or staffing_norms field total)")
    slots = requirements[(requirements["field"] == vocab.role_code("fields", "leadership"))
                         & requirements["position"].isin(vocab.role_codes("positions", "leadership"))]
    slots = slots.dropna(subset=["required_max"]).set_index(["commune_code", "position"])["required_max"]
    leaders = pinned[pinned["fixed_position"].isin(vocab.role_codes("positions", "leadership")).to_numpy(dtype=bool, na_value=False)]
    per_slot = leaders.groupby(["fixed_commune", "fixed_position"]).size()
    limit = slots.reindex(per_slot.index)
    for code, position in per_slot.index[(per_slot > limit).to_numpy()]:
        hit = leaders[(leaders["fixed_commune"] == code) & (leaders["fixed_position"] == position)]
        _report_excess(hit, int(limit[(code, position)]), officials, problems,
                       f"officials pinned as {position} in {names[int(code)]} ({int(code)})",
                       f"its {position} slots (staffing_norms field leadership, position {position})")


def _report_excess(pinned: pd.DataFrame, limit: int, officials: _Checked, problems: list[Problem], what: str, why: str) -> None:
    """One problem at the first pinned official beyond the limit, listing the rows of all of them."""
    rows = ", ".join(str(int(r)) for r in pinned.index)
    problems.append(Problem(officials.file, officials.sheet, int(pinned.index[limit]), "fixed_commune",
                            int(pinned["fixed_commune"].iloc[0]),
                            f"at most {limit} {what}, {why}; {len(pinned)} are pinned (rows {rows})"))


def _check_costs(costs: _Checked, equipment_norms: _Checked, problems: list[Problem]) -> None:
    """Per-item prices name their item; every item type in the equipment norms has a new_unit_price."""
    k = costs.good()
    per_item = k["parameter"].isin(per_item_parameters()).to_numpy(dtype=bool, na_value=False)
    for row in k.index[per_item & k["item_type"].isna().to_numpy()]:
        problems.append(Problem(costs.file, costs.sheet, int(row), "item_type", None,
                                f"an item type, since {k.at[row, 'parameter']} is a price per item"))
    bad_rows = ~costs.row_ok
    if not costs.cell_ok.loc[bad_rows, "item_type"].all():
        return  # a bad row might be the missing price; reported already
    doubtful = set(costs.clean.loc[bad_rows, "item_type"].dropna())
    priced = set(k.loc[k["parameter"] == "new_unit_price", "item_type"].dropna())
    norms = equipment_norms.good()
    for item, rows in norms.groupby("item_type").groups.items():
        if item in priced or item in doubtful:
            continue
        listed = ", ".join(str(int(r)) for r in rows)
        problems.append(Problem(costs.file, costs.sheet, None, "item_type", item,
                                f"a new_unit_price row for {item} (equipment_norms rows {listed} need it; "
                                "purchases could not be priced)"))


def _check_pair_costs(pair_costs: _Checked, officials: _Checked, problems: list[Problem]) -> None:
    """A pair may not forbid the commune an official is pinned to."""
    p, o = pair_costs.good(), officials.good()
    if p.empty or o.empty:
        return
    pins = o.set_index("id")["fixed_commune"].dropna()
    forbidden = p[p["forbidden"].to_numpy(dtype=bool, na_value=False)]
    clash = forbidden["official_id"].map(pins) == forbidden["commune_code"]
    for row in forbidden.index[clash.to_numpy(dtype=bool, na_value=False)]:
        problems.append(Problem(pair_costs.file, pair_costs.sheet, int(row), "forbidden", True,
                                f"false, since official {p.at[row, 'official_id']} is pinned to commune {int(p.at[row, 'commune_code'])}"))


# ---------------------------------------------------------------------------------------------


def read_and_validate(path: Path) -> Dataset:
    """Load a workbook (.xlsx, one sheet per table) or a folder of <table>.csv; raise InputError listing ALL problems."""
    path = Path(path)
    problems: list[Problem] = []
    if not path.exists():
        raise InputError([Problem(str(path), None, None, None, None, "an existing .xlsx workbook or folder of CSV files (not found)")], str(path))
    if not path.is_dir() and (not_regular := _not_regular_file(path)):
        raise InputError([Problem(str(path), None, None, None, None, not_regular)], str(path))
    if path.is_dir():
        raw = _read_csv_folder(path, problems)
        container = "CSV file"
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = _read_workbook(path, problems)
        container = "sheet"
    else:
        raise InputError([Problem(str(path), None, None, None, None,
                                  "an .xlsx workbook or a folder of CSV files (other formats such as .xls or .ods: "
                                  "save as .xlsx first)")], str(path))
    if not raw and problems:
        raise InputError(sorted(problems, key=_problem_order), str(path))

    schema = load_schema()
    checked: dict[str, _Checked] = {}
    for name, spec in schema.items():
        if name in raw:
            checked[name] = _check_table(raw[name], spec, problems)
        elif spec.required and not any(p.sheet == name for p in problems):  # not unreadable either
            where = str(path / f"{name}.csv") if path.is_dir() else str(path)
            problems.append(Problem(where, name, None, None, None,
                                    f"a {container} named {name!r} (required table: {spec.description_en})"))
    _check_references(checked, problems)
    if "officials" in checked:
        _check_officials(checked["officials"], problems)
    if "staffing_norms" in checked:
        _check_staffing_norms(checked["staffing_norms"], problems)
    if {"communes", "old_units"} <= set(checked):
        _check_population_shares(checked["communes"], checked["old_units"], problems)
    if {"communes", "staffing_norms", "officials"} <= set(checked):
        _check_pins_against_norms(checked["communes"], checked["staffing_norms"], checked["officials"], problems)
    if {"costs", "equipment_norms"} <= set(checked):
        _check_costs(checked["costs"], checked["equipment_norms"], problems)
    if {"pair_costs", "officials"} <= set(checked):
        _check_pair_costs(checked["pair_costs"], checked["officials"], problems)
    if problems:
        raise InputError(sorted(problems, key=_problem_order), str(path))

    ds = Dataset.from_frames({name: table.clean for name, table in checked.items()}, source=str(path))
    ds.sheet_rows = {name: pd.Series(table.clean.index, name="row") for name, table in checked.items()}
    return ds


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate a workbook (.xlsx) or a folder of CSVs; raise InputError listing every problem."""
    return read_and_validate(Path(path))
