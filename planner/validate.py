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
import dataclasses
import difflib
import functools
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
from .messages import Message, number
from .yesno import fold, parse_yes_no
from .docs import bounds_text
from .norms import headcount_ceilings, quota_fields, resolve_staffing_norms
from .norms_used import REFERENCE_DIR
from . import vocab
from .schema import (SCHEMA_DIR, ColumnSpec, TableSpec, column_for_header, load_schema, sheet_keys, value_keys,
                     value_label)

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
IGNORED_SHEETS = ("readme", "huong dan")  # folded names of instruction sheets
DEFINED_NAME_PREFIX = "planner."  # planner.template marks tables and columns with these workbook-level names

# key -> (vi, en) of what a problem expects; placeholders are filled by _m
M: dict[str, tuple[str, str]] = {
    "not_found": ("một bảng tính .xlsx hoặc thư mục tệp CSV có thật (không tìm thấy)",
                  "an existing .xlsx workbook or folder of CSV files (not found)"),
    "other_format": ("một bảng tính .xlsx hoặc thư mục tệp CSV (tệp .xls, .ods: hãy lưu thành .xlsx trước)",
                     "an .xlsx workbook or a folder of CSV files (other formats such as .xls or .ods: save as .xlsx first)"),
    "unreadable_book": ("một bảng tính .xlsx hợp lệ (không đọc được: {reason})", "a valid .xlsx workbook (it could not be read: {reason})"),
    "unreadable_sheet": ("một trang tính đọc được (không đọc được: {reason})", "a readable sheet (it could not be read: {reason})"),
    "not_xlsx": ("một bảng tính .xlsx hợp lệ (tệp này không phải; trong Excel chọn Save As 'Excel Workbook (*.xlsx)')",
                 "a valid .xlsx workbook (this file is not one; in Excel use Save As 'Excel Workbook (*.xlsx)')"),
    "too_big_unpacked": ("bảng tính giải nén dưới {mb} MB (từ chối để đảm bảo an toàn)",
                         "a workbook that unpacks to less than {mb} MB (refused for safety)"),
    "macros": ("bảng tính không có macro (tệp này có macro, phần mềm không bao giờ chạy macro: trong Excel chọn Save As "
               "'Excel Workbook (*.xlsx)' và dùng tệp đó)",
               "a workbook without macros (this one contains macros, which the planner never runs: in Excel use Save As "
               "'Excel Workbook (*.xlsx)' and give that file)"),
    "damaged_part": ("một bảng tính .xlsx hợp lệ (phần {part} bị hỏng: {reason}; hãy lưu lại từ Excel)",
                     "a valid .xlsx workbook (part {part} is damaged: {reason}; save the workbook again from Excel)"),
    "dtd": ("bảng tính không khai báo DTD hoặc thực thể XML (phần {part} có khai báo; từ chối để đảm bảo an toàn, hãy lưu lại từ Excel)",
            "a workbook without XML DTD or entity declarations (part {part} declares them; refused for safety, save the "
            "workbook again from Excel)"),
    "strings": ("bảng tính có tối đa {limit} chuỗi văn bản khác nhau (tệp khai báo {count}; từ chối để đảm bảo an toàn, "
                "một tỉnh cần ít hơn nhiều)",
                "a workbook with at most {limit} distinct texts (it declares {count}; refused for safety, a province needs far fewer)"),
    "password": ("bảng tính không đặt mật khẩu (tệp này có mật khẩu nên không đọc được: mở trong Excel, bỏ mật khẩu ở File > "
                 "Info > Protect Workbook > Encrypt with Password, rồi lưu lại)",
                 "a workbook without a password (this one is password-protected, so it cannot be read: open it in Excel, "
                 "remove the password under File > Info > Protect Workbook > Encrypt with Password, and save it again)"),
    "old_xls": ("một bảng tính .xlsx (đây là tệp Excel cũ .xls mang tên .xlsx: trong Excel chọn Save As 'Excel Workbook (*.xlsx)')",
                "an .xlsx workbook (this is an old-format Excel file (.xls) with an .xlsx name: in Excel use Save As "
                "'Excel Workbook (*.xlsx)')"),
    "twice": ("mỗi bảng một {what} ({name!r} xuất hiện hai lần)", "one {what} per table ({name!r} appears twice)"),
    "unknown_sheet": ("{what_vi} mang tên một bảng ({tables_vi}){hint_vi}; trang 'Hướng dẫn'/README và trang có tên bắt đầu bằng '_' được bỏ qua",
                      "a {what} named after a table ({tables}){hint}; README and names starting with '_' are ignored"),
    "hidden_sheet": ("một trang tính hiển thị (trang này bị ẩn nhưng chứa bảng: hãy bỏ ẩn hoặc xóa)",
                     "a visible sheet (this sheet is hidden but holds a table: unhide it or remove it)"),
    "size": ("tối đa {rows} dòng dữ liệu và {columns} cột mỗi bảng ({what}; từ chối để đảm bảo an toàn: xóa các dòng, cột "
             "ngoài dữ liệu rồi lưu lại)",
             "at most {rows} rows of data and {columns} columns per table ({what}; refused for safety: delete the rows and "
             "columns beyond the data, then save again)"),
    "size_range": ("vùng dữ liệu khai báo là {shown}", "the sheet's used range is {shown}"),
    "size_row": ("dòng {row} có dữ liệu", "row {row} holds data"),
    "size_rows_counted": ("trang tính có hơn {n} dòng", "the sheet has more than {n} rows"),
    "size_column": ("cột {letter} có dữ liệu", "column {letter} holds data"),
    "size_line_fields": ("dòng {line} có {n} trường", "line {line} has {n} fields"),
    "size_line_rows": ("dòng {line} vượt quá {rows} dòng", "line {line} is beyond {rows} rows"),
    "merged_header": ("mỗi tên cột một ô ở dòng 1 (các ô {cells} đang gộp: hãy bỏ gộp và ghi tên từng cột vào ô riêng)",
                      "one column name per cell in row 1 (cells {cells} are merged: unmerge them and type each column name "
                      "in its own cell)"),
    "merged_data": ("mỗi giá trị một ô (các ô {cells} đang gộp, chỉ ô đầu có giá trị: hãy bỏ gộp và ghi giá trị vào từng dòng)",
                    "one value per cell (cells {cells} are merged, only the first holds a value: unmerge them and fill "
                    "every row)"),
    "hidden_rows": ("các dòng hiển thị (dòng {rows} bị ẩn nhưng có dữ liệu: hãy bỏ ẩn hoặc xóa)",
                    "visible rows (rows {rows} are hidden but hold data: unhide them or delete them)"),
    "formula": ("một giá trị gõ vào (không dùng công thức, hãy nhập giá trị)", "a typed value (formula not allowed, type the value)"),
    "excel_error": ("một giá trị (ô đang chứa lỗi Excel)", "a value (the cell holds an Excel error)"),
    "long_text": ("văn bản tối đa {limit} ký tự (ô này có {n})", "a text of at most {limit} characters (this cell holds {n})"),
    "bad_number": ("một giá trị đọc được (số lưu trong ô không hợp lệ; hãy gõ lại)",
                   "a readable value (the number stored in this cell is not a valid number; retype it)"),
    "not_regular": ("một tệp đã lưu (đây là {kind}, không được mở; hãy chỉ đường dẫn tới bảng tính hoặc tệp CSV đã lưu)",
                    "a regular saved file (this is {kind}, which is never opened; give the path of a saved workbook or CSV file)"),
    "unreadable_file": ("một tệp đọc được ({reason})", "a readable file ({reason})"),
    "csv_too_big": ("tệp nhỏ hơn {mb} MB", "a file smaller than {mb} MB"),
    "utf8": ("văn bản UTF-8 (byte {at} không phải; trong Excel chọn Save As 'CSV UTF-8')",
             "UTF-8 text (byte {at} is not; in Excel use Save As 'CSV UTF-8')"),
    "csv_error": ("tệp CSV đúng định dạng ({reason})", "well-formed CSV ({reason})"),
    "no_header": ("tên các cột ở dòng 1 ({labels}; lệnh `planner template` tạo sẵn bảng tính có các cột này)",
                  "the column names in row 1 ({columns}; `planner template` writes a workbook that has them)"),
    "header_missing": ("tên cột ở dòng 1 (cột có dữ liệu từ dòng {row})", "a column name in row 1 (column has data from row {row})"),
    "unknown_column": ("một trong các cột {labels}{hint} (cột không xác định)",
                       "one of the columns {columns}{hint} (unknown column)"),
    "ambiguous_column": ("tên cột rõ ràng ('{header}' có thể là {labels}: hãy ghi đúng tên cột)",
                         "an unambiguous column name ('{header}' could be {columns}: write the column's name)"),
    "column_twice": ("mỗi cột một lần (tên này xuất hiện hai lần)", "each column once (this name appears twice)"),
    "missing_column": ("cột '{label}' (bắt buộc; {description_vi})", "a column named {name!r} (required; {description})"),
    "no_rows": ("ít nhất một dòng dữ liệu (bảng {label} là bắt buộc{hint_vi})", "at least one row of data (table {name} is required{hint})"),
    "staffing_only": ("; nếu chỉ bố trí cán bộ, chạy với --stages staffing", "; to plan the staffing only, run with --stages staffing"),
    "one_of": ("một trong: {labels}", "one of: {labels_en}"),
    "ambiguous_value": ("một giá trị rõ ràng ('{value}' có thể là {labels})", "an unambiguous value ('{value}' could be {labels_en})"),
    "yes_no": ("Có hoặc Không (cũng nhận x, 1/0, yes/no, true/false; để trống là Không)",
               "true or false (also yes/no, có/không, x, 1/0; blank is no)"),
    "whole": ("một số nguyên", "a whole number"),
    "number": ("một số", "a number"),
    "separators": (" (dùng dấu . cho phần thập phân, không dùng dấu phân cách hàng nghìn)",
                   " (use . for decimals and no thousands separators)"),
    "bounds": (" {vi}", " {en}"),
    "range": ("một giá trị {vi}", "a value {en}"),
    "not_negative": ("một giá trị từ 0 trở lên (không được âm)", "a value of at least 0 (cannot be negative)"),
    "coordinate": ("{axis_vi} trong lãnh thổ Việt Nam ({vi})", "a {axis} inside Vietnam ({en})"),
    "required_value": ("một giá trị (bắt buộc: {description_vi})", "a value (required: {description})"),
    "unique": ("{label} không trùng (đã dùng ở dòng {row})", "a unique {label} (already used in row {row})"),
    "unknown_ref": ("mã hoặc tên của một dòng trong trang {sheet_vi} (không có dòng như vậy){hint_vi}",
                    "a value found in {target} (no such row there){hint}"),
    "ambiguous_ref": ("một tên rõ ràng ('{value}' trùng {n} dòng trong trang {sheet_vi}: {candidates}; hãy ghi mã, "
                      "hoặc thêm tên huyện)",
                      "an unambiguous name ('{value}' matches {n} rows of {target}: {candidates}; give the ID or add "
                      "the district)"),
    "lat_needed": ("vĩ độ, vì đã có kinh độ nơi ở (ghi cả hai hoặc để trống cả hai)", "a latitude, since home_lon is given (give both or neither)"),
    "lon_needed": ("kinh độ, vì đã có vĩ độ nơi ở (ghi cả hai hoặc để trống cả hai)", "a longitude, since home_lat is given (give both or neither)"),
    "home_needed": ("nơi ở của cán bộ: tên hoặc mã đơn vị cũ hoặc xã mới, hoặc kinh độ và vĩ độ",
                    "where the official lives: home_lon and home_lat, or home_old_unit_id (an old unit or commune, by ID or name)"),
    "pin_commune": ("xã đã chốt, vì chức danh đã chốt là {position_vi}", "the commune code, since fixed_position is {position}"),
    "pin_eligible": ("Có, vì cán bộ đã được chốt làm {position_vi}", "true, since the official is pinned as {position}"),
    "max_below_min": ("ít nhất bằng số tối thiểu ({min})", "at least min_count ({min})"),
    "empty_band": ("lớn hơn 'Dân số từ' ({min}), nếu không định mức không bao giờ áp dụng",
                   "more than min_population ({min}), else the rule never applies"),
    "unit_for_commune": ("ít nhất một đơn vị cũ trong trang Đơn vị cũ nhập vào {name} (xã có dân cư)",
                         "at least one old unit in table old_units going into {name} (it has residents)"),
    "shares": ("tổng tỷ lệ dân số của các đơn vị cũ nhập vào {name} ({code}; dòng {rows}) bằng 1",
               "the shares of the old units going into {name} ({code}; rows {rows}) to sum to 1"),
    "pinned_ceiling": ("tối đa {limit} cán bộ đã chốt vào {name} ({code}), theo biên chế tối đa của xã (quy tắc biên chế "
                       "hoặc định mức lĩnh vực Tổng biên chế); đang chốt {n} người (dòng {rows})",
                       "at most {limit} officials pinned to {name} ({code}), its headcount ceiling (the government staff "
                       "quota: the quota rule, or staffing_norms field total); {n} are pinned (rows {rows})"),
    "pinned_slots": ("tối đa {limit} cán bộ đã chốt làm {position_vi} tại {name} ({code}), theo định mức lãnh đạo; "
                     "đang chốt {n} người (dòng {rows})",
                     "at most {limit} officials pinned as {position} in {name} ({code}), its {position} slots "
                     "(staffing_norms field leadership, position {position}); {n} are pinned (rows {rows})"),
    "item_needed": ("một loại tài sản, vì {parameter_vi} là đơn giá theo từng chiếc",
                    "an item type, since {parameter} is a price per item"),
    "price_missing": ("một dòng Đơn giá mua mới cho {item_vi} (định mức thiết bị dòng {rows} cần; nếu không sẽ không tính được "
                      "chi phí mua sắm)",
                      "a new_unit_price row for {item} (equipment_norms rows {rows} need it; purchases could not be priced)"),
    "pair_pinned": ("Không, vì cán bộ {official} đã được chốt vào xã {code}", "false, since official {official} is pinned to commune {code}"),
    "fallback_note": ("Bảng {label} trống: dùng định mức tham chiếu (planner/reference/{file}).",
                      "Table {table} is empty: the reference norms (planner/reference/{file}) are used."),
    "missing_table": ("một {what_vi} tên '{label}' (bảng bắt buộc: {description_vi}{hint_vi})",
                      "a {what} named {name!r} (required table: {description}{hint})"),
}
WHAT_VI = {"sheet": "trang tính", "CSV file": "tệp CSV"}


def _m(key: str, **params) -> Message:
    """Expected text `key` of M with its placeholders, in English with the Vietnamese form in `.vi`."""
    vi, en = M[key]
    out = Message(en.format(**params))
    out.vi = vi.format(**{name: getattr(value, "vi", value) for name, value in params.items()})
    return out


def _problem_order(p: Problem):
    schema = load_schema()
    tables = list(schema)
    table = p.table if p.table in schema else p.sheet if p.sheet in schema else None
    sheet_rank = tables.index(table) if table else len(tables)
    col_rank = schema[table].column_names.index(p.column) if table and p.column in schema[table].column_names else 999
    return (p.file, sheet_rank, str(p.sheet or ""), -1 if p.row is None else p.row, col_rank)


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
    codes: dict[int, str] = field(default_factory=dict)  # column index -> column, from the workbook's defined names


def _read_workbook(path: Path, problems: list[Problem], side=None) -> tuple[dict[str, _RawSheet], "_Elsewhere | None"]:
    """The sheets' raw cells, {table: _RawSheet}. With a side process (planner.side) and sheets big enough to share,
    some tables are read *and checked* there while this process reads the others (_Elsewhere); they are then
    missing from the returned sheets."""
    file = str(path)
    refusal, sheet = _package_refusal(path)
    if refusal:
        problems.append(Problem(file, sheet, None, None, None, refusal, table=sheet_keys().get(fold(sheet)) if sheet else None))
        return {}, None
    try:
        book = _open_book(path)
    except Exception as exc:  # any parse failure of an untrusted file is an input problem
        problems.append(Problem(file, None, None, None, None, _m("unreadable_book", reason=_reason(exc))))
        return {}, None
    try:
        marked, codes = _defined_names(book)
        names = _match_names(book.sheetnames, file, "sheet", problems, marked)
        elsewhere = _Elsewhere.start(side, book, path, names, codes, problems) if side is not None else None
        if elsewhere is not None:
            names = {sheet_name: table for sheet_name, table in names.items() if sheet_name not in elsewhere.names}
        return _read_sheets(book, names, codes, file, problems), elsewhere
    finally:
        book.close()


def _open_book(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions; irrelevant here
        return openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)


def _read_sheets(book, names: dict[str, str], codes: dict, file: str, problems: list[Problem]) -> dict[str, _RawSheet]:
    """{table: raw cells} of the sheets in `names` ({sheet: table}); what cannot be read is a problem."""
    sheets: dict[str, _RawSheet] = {}
    for sheet_name, table in names.items():
        try:
            raw = _read_sheet(book, book[sheet_name], table, file, problems)
        except Exception as exc:
            problems.append(Problem(file, sheet_name, None, None, None, _m("unreadable_sheet", reason=_reason(exc)), table=table))
            continue
        if raw is not None:
            raw.codes = codes.get((sheet_name, table), {})
            sheets[table] = raw
    for raw in sheets.values():
        problems.extend(_formula_and_error_problems(raw))
    return sheets


#: sheet XML (bytes, uncompressed) worth a side process's reading: below it, opening the workbook there and sending the
#: tables back cost about what is saved
SHARE_ABOVE_BYTES = 500_000
FIRST_TABLES = ("communes", "old_units")  # read and checked first when a side process reads too: others name their rows


@dataclass
class _Elsewhere:
    """Tables read and checked in the side process (planner.side) while this process reads the others.

    Which: the largest sheets, as long as their bytes stay below this process's, among the tables whose rows nobody
    names and that name rows only of FIRST_TABLES (NAMED). Those are read and checked in both processes (they are
    small), so every table is checked with the lookups it has in one process: the same functions on the same cells,
    the same result. Problems keep their order within a table, and are sorted by table afterwards."""

    names: set[str]  # sheets read outside the main reading: the side's and FIRST_TABLES'
    first: dict[str, "_Checked"]  # FIRST_TABLES, checked here
    job: object
    args: tuple

    @staticmethod
    def start(side, book, path: Path, names: dict[str, str], codes: dict, problems: list[Problem]) -> "_Elsewhere | None":
        """Share the reading when the sheets are big enough (None: this process reads everything)."""
        schema = load_schema()
        targets = {target for target, _ in NAMED}
        allowed = {f"{target}.{key}" for target, key in NAMED if target in FIRST_TABLES}
        named = {f"{target}.{key}" for target, key in NAMED}

        def shareable(table: str) -> bool:
            spec = schema.get(table)
            return (spec is not None and table not in targets and table not in FIRST_TABLES
                    and all(c.references not in named or c.references in allowed for c in spec.columns))

        try:
            sizes = {n: book._archive.getinfo(book[n]._worksheet_path).file_size for n in names}
        except Exception:  # noqa: BLE001 - an unusual package: this process reads everything
            return None
        here = sum(size for n, size in sizes.items() if not shareable(names[n]))
        theirs: dict[str, str] = {}
        there = 0
        for n in sorted((n for n in names if shareable(names[n])), key=lambda n: -sizes[n]):
            if there + sizes[n] <= here:
                theirs[n], there = names[n], there + sizes[n]
            else:
                here += sizes[n]
        if there < SHARE_ABOVE_BYTES:
            return None
        first_names = {n: t for n, t in names.items() if t in FIRST_TABLES}
        sent = {**theirs, **first_names}
        args = (str(path), theirs, first_names, {key: value for key, value in codes.items() if key[0] in sent})
        job = side.submit(_read_and_check, *args)  # handed over first: the side process starts reading at once
        first = _check_tables(_read_sheets(book, first_names, codes, str(path), problems), problems, {})
        return _Elsewhere(set(theirs) | set(first_names), first, job, args)

    def collect(self, problems: list[Problem]) -> dict[str, "_Checked"]:
        """FIRST_TABLES and the side's tables, checked; the side's problems join `problems`."""
        from .side import outcome

        checked, found = outcome(self.job, _read_and_check, *self.args)
        problems.extend(found)
        return {**self.first, **checked}


def _read_and_check(path: str, names: dict[str, str], first_names: dict[str, str], codes: dict) -> tuple[dict, list[Problem]]:
    """The side process's share of the reading (_Elsewhere): these sheets read and checked, with their problems.
    FIRST_TABLES (first_names) are read and checked here too, as the lookups of those checks, as the main process
    does for its own: the same functions on the same cells give the same lookups; their problems are the main
    process's to report, so they are dropped here."""
    problems: list[Problem] = []
    book = _open_book(Path(path))
    try:
        reported_there: list[Problem] = []
        lookups = _check_tables(_read_sheets(book, first_names, codes, path, reported_there), reported_there, {})
        raw = _read_sheets(book, names, codes, path, problems)
    finally:
        book.close()
    return _check_tables(raw, problems, lookups), problems


def _check_tables(raw: dict[str, _RawSheet], problems: list[Problem], checked: dict) -> dict[str, "_Checked"]:
    """The cell checks of these tables in schema order, each with the tables checked before it in that order (from
    `raw` or `checked`) as lookups; returns the tables of `raw`, checked."""
    schema = load_schema()
    order = {name: k for k, name in enumerate(schema)}
    out: dict[str, _Checked] = {}
    for name, spec in schema.items():
        if name in raw:
            before = {k: v for k, v in {**checked, **out}.items() if order.get(k, len(order)) < order[name]}
            out[name] = _check_table(raw[name], spec, problems, before)
    return out


def _defined_names(book) -> tuple[dict[str, str], dict[tuple[str, str], dict[int, str]]]:
    """Tables and columns marked by planner.template: {sheet: table} from `planner.<table>`, and
    {(sheet, table): {column index: column}} from `planner.<table>.<column>` (headers then need not be read)."""
    schema = load_schema()
    marked: dict[str, str] = {}
    codes: dict[tuple[str, str], dict[int, str]] = {}
    try:
        names = list(book.defined_names.items())
    except Exception:  # noqa: BLE001 - malformed names only mean the headers are read by their text
        return {}, {}
    for name, defined in names:
        parts = name.split(".")
        if not name.startswith(DEFINED_NAME_PREFIX) or len(parts) not in (2, 3) or parts[1] not in schema:
            continue
        try:
            destinations = _destinations(defined)
        except Exception:  # noqa: BLE001
            continue
        for sheet, ref in destinations:
            if len(parts) == 2:
                marked.setdefault(sheet, parts[1])
            elif parts[2] in schema[parts[1]].column_names:
                try:
                    column = openpyxl.utils.cell.coordinate_to_tuple(ref.replace("$", "").split(":")[0])[1]
                except Exception:  # noqa: BLE001
                    continue
                codes.setdefault((sheet, parts[1]), {})[column - 1] = parts[2]
    return marked, codes


_ONE_AREA = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!\s]+))!(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)$")


def _destinations(defined) -> list[tuple[str, str]]:
    """(sheet, range) of a defined name: one sheet area (what planner.template writes) by a regular expression,
    anything else by openpyxl's formula tokenizer (ten times slower: a workbook has hundreds of names)."""
    one = _ONE_AREA.match(defined.attr_text or "")
    if one:
        return [(one.group(1).replace("''", "'") if one.group(1) is not None else one.group(2), one.group(3))]
    return list(defined.destinations)


def _check_package(path: Path) -> str | None:
    """Why the package is refused before any XML parsing (None when it looks safe)."""
    return _package_refusal(path)[0]


def _package_refusal(path: Path) -> tuple[Message | None, str | None]:
    """(why the package is refused before any XML parsing, the sheet concerned if one), (None, None) when it looks safe.
    A worksheet with more rows than the limit is refused here, by counting its row tags, long before parsing it."""
    with open(path, "rb") as f:
        head = f.read(len(OLE_MAGIC))
        if head == OLE_MAGIC:
            return _ole_refusal(f), None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return _m("not_xlsx"), None
    with archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            return _m("too_big_unpacked", mb=MAX_UNPACKED_BYTES // 1_000_000), None
        if any(m.filename.lower().rsplit("/", 1)[-1] == "vbaproject.bin" for m in members):
            return _m("macros"), None
        for member in members:
            name = member.filename.lower()
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            sheet_part = name.startswith("xl/worksheets/") and name.count("/") == 2
            try:
                declares, strings, rows = _scan_part(archive, member, count_strings=name.endswith("sharedstrings.xml"),
                                                     count_rows=sheet_part)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError, zlib.error) as exc:
                return _m("damaged_part", part=member.filename, reason=_reason(exc)), None
            if declares:
                return _m("dtd", part=member.filename), None
            if strings > MAX_SHARED_STRINGS:
                return _m("strings", limit=number(MAX_SHARED_STRINGS), count=number(strings)), None
            if rows > MAX_ROWS + 1:
                sheet = _sheet_of_part(archive, member.filename)
                return _size_expectation("size_rows_counted", n=number(MAX_ROWS + 1)), sheet
    return None, None


def _sheet_of_part(archive: zipfile.ZipFile, part: str) -> str | None:
    """The sheet name of a worksheet part (from xl/workbook.xml and its relationships), None when it cannot be told."""
    from defusedxml import ElementTree as SafeTree

    try:
        if any(archive.getinfo(n).file_size > 10_000_000 for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")):
            return None
        rels = SafeTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target", "").lstrip("/").removeprefix("xl/") for rel in rels}
        book = SafeTree.fromstring(archive.read("xl/workbook.xml"))
        for sheet in book.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
            rid = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            if "xl/" + targets.get(rid, "") == part:
                return sheet.get("name")
    except Exception:  # noqa: BLE001 - the name only makes the message clearer
        return None
    return None


def _ole_refusal(f) -> str:
    """An OLE compound file named .xlsx: a password-protected workbook, or an old .xls renamed."""
    seen = b""
    for _ in range(64):  # the directory naming the streams is near the start; look at the first 64 MB at most
        chunk = f.read(1 << 20)
        if not chunk:
            break
        if ENCRYPTED_MARKER in seen[-len(ENCRYPTED_MARKER):] + chunk:
            return _m("password")
        seen = chunk
    return _m("old_xls")


_SST_COUNT = re.compile(rb"""<(?:\w+:)?sst\b[^>]*?\buniqueCount\s*=\s*["'](\d+)["']""")
_SI = re.compile(rb"<(?:\w+:)?si[\s>/]")
_SHEET_DATA = re.compile(rb"<(\w{1,32}:)?sheetData[\s>/]")


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, count_strings: bool,
               count_rows: bool = False) -> tuple[bool, int, int]:
    """Stream one XML part once: does it declare a DTD or entities; how many shared strings (declared or found);
    how many row tags (a worksheet; counting stops beyond the row limit). Rows are counted with bytes.count, the
    tag's namespace prefix taken from the sheetData tag (a regular expression over every tag is 10x slower)."""
    overlap = max(len(m) for m in XML_DANGER_MARKERS) + 40
    tail = b""
    found = declared = rows = 0
    row_tag = None
    first = True
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            if any(marker in window for marker in XML_DANGER_MARKERS):
                return True, 0, 0
            if count_strings:
                if first and (m := _SST_COUNT.search(chunk[:4096])):
                    declared = int(m.group(1))
                    if declared > MAX_SHARED_STRINGS:
                        return False, declared, 0
                found += len(_SI.findall(window)) - len(_SI.findall(tail))
                if found > MAX_SHARED_STRINGS:
                    return False, found, 0
            if count_rows:
                if row_tag is None and (m := _SHEET_DATA.search(window)):
                    row_tag = b"<" + (m.group(1) or b"") + b"row"
                    rows = window.count(row_tag, m.start())
                elif row_tag is not None:
                    rows += window.count(row_tag) - tail.count(row_tag)
                if rows > MAX_ROWS + 1:
                    return False, max(found, declared), rows
            first = False
            tail = window[-overlap:]
    return False, max(found, declared), rows


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."


def _match_names(names: list[str], file: str, what: str, problems: list[Problem],
                 marked: dict[str, str] | None = None) -> dict[str, str]:
    """Map sheet (or CSV file) names to tables: by the template's defined names, else by the table's name or its
    Vietnamese or English label (case, accents and spacing forgiven); report unknown and doubled names."""
    schema = load_schema()
    keys = sheet_keys()
    matched: dict[str, str] = {}
    for name in names:
        key = fold(name)
        if key in IGNORED_SHEETS or str(name).strip().startswith("_"):
            continue
        table = (marked or {}).get(name) or keys.get(key)
        if table:
            if table in matched.values():
                problems.append(Problem(file, name, None, None, name, _m("twice", what=what, name=table), table=table))
            else:
                matched[name] = table
            continue
        labels = [spec.label_vi for spec in schema.values()]
        hint = _did_you_mean(key, list(schema))
        hint.vi = _did_you_mean(key, {fold(spec.label_vi): spec.label_vi for spec in schema.values()}).vi
        problems.append(Problem(file, name, None, None, name,
                                _m("unknown_sheet", what=what, what_vi=WHAT_VI[what].capitalize(), tables=", ".join(schema),
                                   hint=hint, tables_vi=", ".join(labels), hint_vi=hint.vi)))
    return matched


def _did_you_mean(word: str, choices) -> Message:
    """' - did you mean 'x'?' for the closest choice (choices: a list, or {folded key: text shown})."""
    shown = choices if isinstance(choices, dict) else {c: c for c in choices}
    close = difflib.get_close_matches(word, list(shown), n=1, cutoff=0.6)
    out = Message(f" - did you mean {shown[close[0]]!r}?" if close else "")
    out.vi = f" - có phải {shown[close[0]]!r}?" if close else ""
    return out



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


_TOKEN = re.compile(r'<row\b([^>]*?)(/?)>|(</row>)|<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?:(/)>|>(?:(<v>)([^<]*)</v>|(<v\s*/>)|'
                    r'(<is>)<t(?: xml:space="preserve")?>([^<]*)</t></is>|)</c>)')
_ROW_NUMBER = re.compile(r'\sr="(\d+)"')
_ROW_HIDDEN = re.compile(r'\shidden\s*=\s*["\']([^"\']*)["\']')
_CELL_ATTR = re.compile(r'\s([st])="([^"]*)"')
_MERGE = re.compile(r'<mergeCell ref="([^"]+)"\s*/>')
_CHAR_REF = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_XML_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_NOT_LEAN = ("<!--", "<![CDATA[", "<?", "\r")
_XML_ENCODING = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*?\sencoding\s*=\s*["']([\w.:-]+)["']""")


def _unescape(text: str) -> str:
    if "&" not in text:
        return text

    def one(m):
        ref = m.group(1)
        if ref[0] != "#":
            return _XML_ENTITIES[ref]
        return chr(int(ref[2:], 16) if ref[1] == "x" else int(ref[1:]))
    return _CHAR_REF.sub(one, text)


class _LeanSheetParser:
    """A fast reader of the regular form of sheet XML (what Excel, openpyxl and planner.template write: rows and
    cells with an 'r' attribute, a value <v> or an inline string <is><t>), giving the cells _SafeSheetParser gives.

    The part must first be well-formed XML (checked by expat, which runs in C); one regular expression then finds
    every row and cell, and every '<' of the sheet data must belong to one of them. `parse` returns None as soon as
    anything is not of that form (formulas, rich text, comments, namespace prefixes, attributes in another order...)
    and the sheet is then read by _SafeSheetParser, so the result never depends on the path taken."""

    def __init__(self, data: bytes, shared_strings, epoch, date_formats, timedelta_formats):
        self.data, self.shared_strings, self.epoch = data, shared_strings, epoch
        self.date_formats, self.timedelta_formats = date_formats, timedelta_formats
        self.row_dimensions: dict[str, dict] = {}
        self.merged: list[str] = []

    def parse(self) -> list[tuple[int, list[tuple[int, object, str]]]] | None:
        """[(row number, [(column number, value, data type)])] as _SafeSheetParser reads them, or None."""
        import xml.parsers.expat

        declared = _XML_ENCODING.match(self.data[:200])
        if declared and declared.group(1).lower().replace(b"-", b"") != b"utf8":
            return None  # text in another encoding: expat decodes it as declared
        try:
            xml.parsers.expat.ParserCreate().Parse(self.data, True)
            text = self.data.decode("utf-8")
        except Exception:  # noqa: BLE001 - openpyxl's parser reports it
            return None
        start, end = text.find("<sheetData>"), text.find("</sheetData>")
        if start < 0 or end < start or "<worksheet " not in text[:4096] or text.count("<sheetData") != 1:
            return None
        body = text[start + len("<sheetData>"):end]
        if any(marker in body for marker in _NOT_LEAN):
            return None
        self.merged = _MERGE.findall(text, end)
        if text.count("<mergeCell ", end) != len(self.merged):
            return None
        out, tags = self._cells(_TOKEN.findall(body))
        if out is None or tags != body.count("<"):
            return None  # something the expression does not know: the full parser reads it
        return out

    def _cells(self, tokens) -> tuple[list[tuple[int, list[tuple[int, object, str]]]] | None, int]:
        """The rows of the tokens, and how many tags ('<') they hold."""
        from openpyxl.worksheet._reader import _cast_number

        kinds: dict[str, tuple[str, int]] = {}
        columns = _COLUMN_NUMBERS
        out = []
        cells: list = []
        row_number = row_text_now = None
        tags = 0
        for row_attrs, row_closed, row_end, letters, row_text, rest, closed, v_tag, v, v_empty, is_tag, t in tokens:
            if row_end:
                row_number = None
                tags += 1
                continue
            if not letters:  # a row
                tags += 1
                if row_number is not None or not (number := _ROW_NUMBER.search(row_attrs)):
                    return None, 0
                row_number = int(number.group(1))
                row_text_now = number.group(1)
                if hidden := _ROW_HIDDEN.search(row_attrs):
                    self.row_dimensions[str(row_number)] = {"hidden": hidden.group(1)}
                cells = []
                out.append((row_number, cells))
                if row_closed:
                    row_number = None
                continue
            if row_number is None or (row_text != row_text_now and int(row_text) != row_number):
                return None, 0
            tags += 1 if closed else 2 + (2 if v_tag else 1 if v_empty else 4 if is_tag else 0)
            kind = kinds.get(rest)
            if kind is None:
                found = dict(_CELL_ATTR.findall(rest))
                kind = kinds[rest] = (found.get("t", "n"), int(found["s"]) if found.get("s") else 0)
            data_type, style_id = kind
            column = columns.get(letters) or _column_number(letters)
            if data_type == "inlineStr":
                if is_tag:
                    cells.append((column, _unescape(t) if "&" in t else t, "s"))
                else:
                    cells.append((column, None, data_type))
            elif v_tag and v:
                if data_type == "n" and style_id not in self.date_formats:
                    try:
                        cells.append((column, _cast_number(v), "n"))
                        continue
                    except Exception:  # noqa: BLE001 - reported as _SafeSheetParser does
                        pass
                cells.append((column, *self._value(v, data_type, style_id)))
            else:
                cells.append((column, None, data_type))
        return out, tags

    def _value(self, v: str, data_type: str, style_id: int) -> tuple[object, str]:
        """openpyxl's conversion of a cell's <v> text (WorkSheetParser.parse_cell); an unreadable one is type 'x'."""
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        v = _unescape(v)
        try:
            if data_type == "n":
                value = _cast_number(v)
                if style_id in self.date_formats:
                    try:
                        return from_excel(value, self.epoch, timedelta=style_id in self.timedelta_formats), "d"
                    except (OverflowError, ValueError):
                        return "#VALUE!", "e"
                return value, "n"
            if data_type == "s":
                return self.shared_strings[int(v)], "s"
            if data_type == "b":
                return bool(int(v)), "b"
            if data_type == "str":
                return v, "s"
            if data_type == "d":
                return from_ISO8601(v), "d"
            return v, data_type
        except Exception:  # noqa: BLE001 - as _SafeSheetParser: the cell is reported, the sheet still read
            return v[:60], "x"


_COLUMN_NUMBERS: dict[str, int] = {}


def _column_number(letters: str) -> int:
    number = _COLUMN_NUMBERS.get(letters)
    if number is None:
        number = _COLUMN_NUMBERS[letters] = openpyxl.utils.column_index_from_string(letters)
    return number


def _read_sheet(book, ws, table: str, file: str, problems: list[Problem]) -> _RawSheet | None:
    """Cell values of one sheet, only its real cells (the claimed dimension is never trusted nor padded to);
    formula, error and unreadable cells are recorded (to report) and read as empty. None when the sheet is refused."""
    sheet = ws.title
    if ws.sheet_state != "visible":
        problems.append(Problem(file, sheet, None, None, None, _m("hidden_sheet"), table=table))
    claimed_rows, claimed_columns = ws.max_row or 0, ws.max_column or 0
    if claimed_rows > MAX_ROWS + 1 or claimed_columns > MAX_COLUMNS:
        shown = ws.calculate_dimension() if ws.max_row and ws.max_column else f"{claimed_columns} columns, {claimed_rows} rows"
        problems.append(Problem(file, sheet, None, None, None, _size_expectation("size_range", shown=shown), table=table))
        return None
    header: list = []
    cells: list[list] = []
    rows: list[int] = []
    formulas: list[tuple[int, int, str, str]] = []
    lean = _LeanSheetParser(book._archive.read(ws._worksheet_path), ws._shared_strings, book.epoch,
                            book._date_formats, book._timedelta_formats)
    lean_rows = lean.parse()
    with book._archive.open(ws._worksheet_path) as src:
        parser = lean if lean_rows is not None else _SafeSheetParser(
            src, ws._shared_strings, data_only=False, epoch=book.epoch, date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats)
        parsed = lean_rows if lean_rows is not None else (
            (number, [(c["column"], c["value"], c["data_type"]) for c in row]) for number, row in parser.parse())
        for row_number, row in parsed:
            real = [c for c in row if c[1] is not None or c[2] in ("f", "e", "x")]
            if not real:
                continue
            if row_number > MAX_ROWS + 1:
                problems.append(Problem(file, sheet, row_number, None, None, _size_expectation("size_row", row=row_number),
                                        table=table))
                return None
            width = max(c[0] for c in real)
            if width > MAX_COLUMNS:
                problems.append(Problem(file, sheet, row_number, None, None,
                                        _size_expectation("size_column", letter=openpyxl.utils.get_column_letter(width)),
                                        table=table))
                return None
            values: list = [None] * width
            for column, value, kind in real:
                col_index = column - 1
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
        merged = lean.merged if parser is lean else \
            [str(m.ref) for m in (parser.merged_cells.mergeCell if parser.merged_cells else [])]
    header_merges = [ref for ref in merged if _range_rows(ref)[0] == 1]
    if header_merges:
        problems.append(Problem(file, sheet, 1, None, None, _m("merged_header", cells=", ".join(header_merges[:5])), table=table))
        return None
    if hidden:
        listed = ", ".join(str(r) for r in hidden[:10]) + (f" (+{len(hidden) - 10})" if len(hidden) > 10 else "")
        problems.append(Problem(file, sheet, hidden[0], None, None, _m("hidden_rows", rows=listed), table=table))
    bad = {(row_number, col_index) for row_number, col_index, _, _ in formulas}
    bad |= _merged_data_cells(merged, data_rows, file, sheet, table, problems)
    return _RawSheet(table, file, sheet, header, cells, rows, bad, formulas)


def _merged_data_cells(merged: list[str], data_rows: set[int], file: str, sheet: str, table: str,
                       problems: list[Problem]) -> set[tuple[int, int]]:
    """One problem per merged range below the header (naming the range), and its cells other than the first, so
    that the empty cells a merge leaves are not reported again one by one."""
    covered: set[tuple[int, int]] = set()
    for ref in merged:
        first, _, last = ref.partition(":")
        top, left = coordinate_to_tuple(first)
        bottom, right = coordinate_to_tuple(last or first)
        if top == 1:
            continue
        problems.append(Problem(file, sheet, top, None, None, _m("merged_data", cells=ref), table=table))
        for row in sorted(r for r in data_rows if top <= r <= bottom):
            for column in range(left - 1, min(right, MAX_COLUMNS)):
                if (row, column) != (top, left - 1):
                    covered.add((row, column))
    return covered


def _range_rows(ref: str) -> tuple[int, int]:
    first, _, last = ref.partition(":")
    return coordinate_to_tuple(first)[0], coordinate_to_tuple(last or first)[0]


def _size_expectation(key: str, **params) -> Message:
    what = _m(key, **params)
    out = _m("size", rows=number(MAX_ROWS), columns=MAX_COLUMNS, what=what)
    return out


def _formula_and_error_problems(raw: _RawSheet) -> list[Problem]:
    out = []
    for row_number, col_index, kind, text in raw.formulas:
        column = raw.codes.get(col_index) or _column_of_header(raw.table, _header_text(raw.header, col_index)) \
            or _header_name(raw.header, col_index)
        if kind == "f":
            out.append(Problem(raw.file, raw.sheet, row_number, column, text, _m("formula"), table=raw.table))
        elif kind == "e":
            out.append(Problem(raw.file, raw.sheet, row_number, column, text, _m("excel_error"), table=raw.table))
        elif kind == "long":
            out.append(Problem(raw.file, raw.sheet, row_number, column, None,
                               _m("long_text", limit=number(MAX_CELL_TEXT), n=number(int(text))), table=raw.table))
        else:
            out.append(Problem(raw.file, raw.sheet, row_number, column, text, _m("bad_number"), table=raw.table))
    return out


def _header_text(header: list, col_index: int) -> str | None:
    if col_index < len(header) and header[col_index] is not None and str(header[col_index]).strip():
        return unicodedata.normalize("NFC", str(header[col_index])).strip()
    return None


def _column_of_header(table: str, header: str | None) -> str | None:
    """The one column a header names, else None."""
    found = column_for_header(table, header) if header else ()
    return found[0] if len(found) == 1 else None


def _header_name(header: list, col_index: int) -> str:
    """The column's name, or its Excel letter when row 1 is empty there."""
    return _header_text(header, col_index) or openpyxl.utils.get_column_letter(col_index + 1)


def _not_regular_file(path: Path) -> str | None:
    """Why a path given as a file cannot be read as one (a named pipe, device or socket would hang or never end)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return _m("unreadable_file", reason=_reason(exc))
    if stat.S_ISREG(mode):
        return None
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    kind_vi = ("một ống có tên (FIFO)" if stat.S_ISFIFO(mode) else "một thiết bị" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
               else "một socket" if stat.S_ISSOCK(mode) else "không phải tệp thường")
    out = _m("not_regular", kind=kind)
    out.vi = M["not_regular"][0].format(kind=kind_vi)
    return out


def _read_csv_folder(folder: Path, problems: list[Problem]) -> dict[str, _RawSheet]:
    paths = {p.name[:-4]: p for p in sorted(folder.iterdir()) if p.name.lower().endswith(".csv")}
    names = _match_names(list(paths), str(folder), "CSV file", problems)
    sheets = {}
    for stem, table in names.items():
        path = paths[stem]
        file = str(path)
        not_regular = _not_regular_file(path)
        if not_regular:
            problems.append(Problem(file, table, None, None, None, not_regular, table=table))
            continue
        if path.stat().st_size > MAX_UNPACKED_BYTES:
            problems.append(Problem(file, table, None, None, None, _m("csv_too_big", mb=MAX_UNPACKED_BYTES // 1_000_000), table=table))
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(Problem(file, table, None, None, None, _m("utf8", at=exc.start), table=table))
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
                    too_big = (start_line, _size_expectation("size_line_fields", line=start_line, n=len(record)))
                    break
                if len(cells) >= MAX_ROWS:
                    too_big = (start_line, _size_expectation("size_line_rows", line=start_line, rows=number(MAX_ROWS)))
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
            problems.append(Problem(file, table, reader.line_num, None, None, _m("csv_error", reason=exc), table=table))
            continue
        if too_big:
            problems.append(Problem(file, table, too_big[0], None, None, too_big[1], table=table))
            continue
        bad = {(row_number, col_index) for row_number, col_index, _, _ in long_cells}
        sheets[table] = _RawSheet(table, file, table, header, cells, rows, bad, long_cells)
        problems.extend(_formula_and_error_problems(sheets[table]))
    return sheets


# ---------------------------------------------------------------------------------------------
# 2. per-cell checks


@dataclass
class _Checked:
    """One table after the cell checks: typed values (index = Excel row / CSV line) and which cells passed;
    `layout` maps each column found to (column index, header as written)."""

    spec: TableSpec
    file: str
    sheet: str
    clean: pd.DataFrame
    cell_ok: pd.DataFrame
    present: set[str]
    layout: dict[str, tuple[int, str]] = field(default_factory=dict)
    _lookup: "_Lookup | None" = field(default=None, repr=False)

    def lookup(self, key: str) -> "_Lookup":
        """Its rows by ID or name (built once, when a reference first needs it)."""
        if self._lookup is None:
            self._lookup = _Lookup.build(self, key)
        return self._lookup

    @property
    def row_ok(self) -> pd.Series:
        return self.cell_ok.all(axis=1)

    def good(self) -> pd.DataFrame:
        """Rows whose every cell passed the checks (cross-table checks look only at these)."""
        return self.clean[self.row_ok]


@dataclass
class _Lookup:
    """Rows of a checked table found by ID or by name, the way people refer to old units, communes and officials.

    A name matching several rows is reported with the candidates, never guessed; the parts of one split old unit
    (same GSO code) count as one unit: its largest part, where its office is, is taken."""

    target: _Checked
    key: str
    ids: dict[str, object]
    names: dict[str, list[int]]
    short: dict[str, list[int]]

    @classmethod
    def build(cls, target: _Checked, key: str) -> "_Lookup":
        frame = target.good()
        ids = {_as_text(v): v for v in frame[key].dropna()}
        names: dict[str, list[int]] = {}
        short: dict[str, list[int]] = {}
        for row, name in frame["name"].dropna().items():
            keys = [fold(name)]
            if "district" in frame.columns and pd.notna(frame.at[row, "district"]):
                keys.append(fold(f"{name} {frame.at[row, 'district']}"))
            for k in keys:
                names.setdefault(k, []).append(row)
            bare = fold(_strip_unit_prefix(str(name)))
            if bare and bare != keys[0]:
                short.setdefault(bare, []).append(row)
        return cls(target, key, ids, names, short)

    def resolve(self, value) -> tuple[object | None, list[int]]:
        """(ID, []) when the value names one row; (None, candidate rows) otherwise (empty: no such row)."""
        if _as_text(value) in self.ids:  # IDs are matched exactly, names forgivingly
            return self.ids[_as_text(value)], []
        text = fold(_as_text(value))
        rows = self.names.get(text) or self.short.get(text) or []
        rows = self._one_unit(rows)
        if len(rows) == 1:
            return self.target.clean.at[rows[0], self.key], []
        return None, rows

    def _one_unit(self, rows: list[int]) -> list[int]:
        frame = self.target.clean
        if len(rows) < 2 or "old_code" not in frame.columns:
            return rows
        codes = frame.loc[rows, "old_code"]
        if codes.isna().any() or codes.nunique() != 1 or int(codes.iloc[0]) == 0:
            return rows
        return [int(frame.loc[rows, "population_share"].astype(float).idxmax())]

    def describe(self, rows: list[int]) -> str:
        frame = self.target.clean
        shown = []
        for row in rows[:6]:
            extra = f", {frame.at[row, 'district']}" if "district" in frame.columns else ""
            shown.append(f"{frame.at[row, 'name']}{extra} ({_as_text(frame.at[row, self.key])}, {row})")
        return "; ".join(shown) + (f"; +{len(rows) - 6}" if len(rows) > 6 else "")


UNIT_PREFIXES = ("xã ", "phường ", "thị trấn ", "đặc khu ", "ubnd xã ", "ubnd phường ", "ubnd thị trấn ")


def _strip_unit_prefix(name: str) -> str:
    """'Xã Hưng Đạo' -> 'Hưng Đạo' (a name given without its type still finds the unit, if only one has it)."""
    lowered = name.lower()
    for prefix in UNIT_PREFIXES:
        if lowered.startswith(prefix):
            return name[len(prefix):]
    return name


NAMED = (("old_units", "id"), ("communes", "code"), ("officials", "id"))  # tables whose rows may be named


def _lookups(checked: dict[str, _Checked]) -> dict[str, _Checked]:
    """'table.column' -> the checked table whose rows a reference column may name by ID or by name."""
    return {f"{target}.{key}": checked[target] for target, key in NAMED
            if target in checked and {key, "name"} <= checked[target].present}


def _normalize_cell(value):
    if isinstance(value, str):
        return _normalize_text(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@functools.lru_cache(maxsize=1 << 16)
def _normalize_text(value: str) -> str | None:
    """NFC, stripped, None when blank; remembered, since a column repeats the same labels thousands of times."""
    value = unicodedata.normalize("NFC", value).strip()
    return value if value else None


def _labels_of(spec: TableSpec, lang: str) -> str:
    return ", ".join(c.label(lang) for c in spec.columns)


def _check_table(raw: _RawSheet, spec: TableSpec, problems: list[Problem],
                 checked: dict[str, _Checked] | None = None) -> _Checked:
    file, sheet, table = raw.file, raw.sheet, spec.name
    width = max([len(raw.header)] + [len(r) for r in raw.cells])
    header = [_header_text(raw.header, i) for i in range(width)]
    grid = pd.DataFrame([r + [None] * (width - len(r)) for r in raw.cells], columns=range(width), dtype=object,
                        index=pd.Index(raw.rows, name="row"))
    grid = grid.map(_normalize_cell) if len(grid) else grid
    bad_positions = pd.DataFrame(False, index=grid.index, columns=grid.columns)
    for row_number, col_index in raw.bad_cells:
        if row_number in bad_positions.index and col_index in bad_positions.columns:
            bad_positions.loc[row_number, col_index] = True
    # rows with nothing but spaces in them are not data either
    keep = grid.notna().any(axis=1) | bad_positions.any(axis=1)
    grid, bad_positions = grid[keep], bad_positions[keep]
    found = {idx: (raw.codes[idx],) if idx in raw.codes and name is not None else column_for_header(table, name)
             for idx, name in enumerate(header) if name is not None}
    if not any(found.values()):  # row 1 is empty or holds data
        shown = next((h for h in header if h is not None), None)
        problems.append(Problem(file, sheet, 1, None, shown, _m("no_header", columns=", ".join(spec.column_names),
                                                                labels=_labels_of(spec, "vi")), table=table))
        empty = grid.iloc[:0]
        return _Checked(spec, file, sheet, pd.DataFrame({c.name: pd.Series(dtype=PANDAS_DTYPE[c.dtype], index=empty.index)
                                                          for c in spec.columns}),
                        pd.DataFrame({c.name: pd.Series(dtype=bool, index=empty.index) for c in spec.columns}), set())

    columns: dict[str, int] = {}
    for idx, name in enumerate(header):
        letter = openpyxl.utils.get_column_letter(idx + 1)
        if name is None:
            if grid[idx].notna().any():
                first = grid.index[grid[idx].notna()][0]
                problems.append(Problem(file, sheet, 1, letter, None, _m("header_missing", row=first), letter=letter, table=table))
            continue
        hits = found[idx]
        if not hits:
            hint_en = _did_you_mean(fold(name), {fold(c): c for c in spec.column_names})
            hint_vi = _did_you_mean(fold(name), {fold(c.label_vi): c.label_vi for c in spec.columns})
            problems.append(Problem(file, sheet, 1, name, name, _m("unknown_column", columns=", ".join(spec.column_names),
                                                                   hint=hint_en, labels=_labels_of(spec, "vi"),
                                                                   hint_vi=hint_vi.vi), letter=letter, header=name, table=table))
        elif len(hits) > 1:
            problems.append(Problem(file, sheet, 1, name, name, _m(
                "ambiguous_column", header=name, columns=" / ".join(hits),
                labels=" / ".join(spec.column(h).label_vi for h in hits)), letter=letter, header=name, table=table))
        elif hits[0] in columns:
            problems.append(Problem(file, sheet, 1, name, name, _m("column_twice"), letter=letter, header=name, table=table))
        else:
            columns[hits[0]] = idx
    lookups = _lookups(checked or {})
    clean, cell_ok = {}, {}
    home_communes: dict[int, object] = {}
    for col in spec.columns:
        if col.name not in columns:
            missing_required = col.required and col.default is None
            if missing_required:
                problems.append(Problem(file, sheet, 1, col.name, None,
                                        _m("missing_column", name=col.name, description=col.description_en,
                                           label=col.label_vi, description_vi=col.description_vi), table=table))
            clean[col.name] = pd.Series(index=grid.index, dtype=PANDAS_DTYPE[col.dtype])
            cell_ok[col.name] = pd.Series(not missing_required, index=grid.index, dtype=bool)
            continue
        idx = columns[col.name]
        values = grid[idx]
        bad = bad_positions[idx].copy()
        if col.references in lookups:
            values, bad = _resolve_names(values, bad, col, table, lookups, file, sheet, problems, checked or {},
                                         home_communes if (table, col.name) == ("officials", "home_old_unit_id") else None)
        values, ok = _check_column(values, bad, col, table, file, sheet, problems)
        clean[col.name], cell_ok[col.name] = values, ok
    frame = pd.DataFrame(clean, index=grid.index)
    if home_communes:  # a home given as a new commune: its centre, unless coordinates were typed
        centres = checked["communes"].clean.set_index("code")
        for row, code in home_communes.items():
            if pd.isna(frame.at[row, "home_lon"]) and pd.isna(frame.at[row, "home_lat"]):
                frame.at[row, "home_lon"], frame.at[row, "home_lat"] = centres.at[code, "lon"], centres.at[code, "lat"]
    layout = {name: (idx, header[idx]) for name, idx in columns.items()}
    checked_table = _Checked(spec, file, sheet, frame, pd.DataFrame(cell_ok, index=grid.index), set(columns), layout)
    _check_key(checked_table, problems)
    return checked_table


def _resolve_names(values: pd.Series, bad: pd.Series, col: ColumnSpec, table: str, lookups: dict[str, _Checked], file: str,
                   sheet: str, problems: list[Problem], checked: dict[str, _Checked],
                   home_communes: dict[int, object] | None) -> tuple[pd.Series, pd.Series]:
    """Cells of a reference column given by name become the row's ID (or code); an ambiguous name is reported with its
    candidates. A home may name a new commune instead of an old unit (home_communes collects those rows)."""
    target = lookups[col.references]
    key = col.references.split(".")[1]
    known = set(target.clean[key].dropna().map(_as_text))
    communes = lookups.get("communes.code") if home_communes is not None else None
    out = values.astype(object)
    for row, value in values.dropna().items():
        if col.dtype == "int" and not math.isnan(_finite_float(value)):
            continue  # a number is a code; _check_references checks it exists
        if _as_text(value) in known:
            continue  # an ID
        lookup = lookup_used = target.lookup(key)
        found, rows = lookup.resolve(value)
        if found is None and not rows and communes is not None:
            code, commune_rows = communes.lookup("code").resolve(value)
            if code is not None:
                home_communes[row] = code
                out[row] = None
                continue
            if commune_rows:
                rows, lookup_used = commune_rows, communes.lookup("code")
        if found is not None:
            out[row] = found.item() if isinstance(found, np.generic) else found  # a plain int or str, as if typed
        elif rows:
            used = lookup_used.target
            problems.append(Problem(file, sheet, int(row), col.name, value, _m(
                "ambiguous_ref", value=value, n=len(rows), target=used.spec.name, sheet_vi=used.sheet,
                candidates=lookup_used.describe(rows)), table=table))
            bad[row] = True
        elif col.dtype == "int":
            problems.append(Problem(file, sheet, int(row), col.name, value, _unknown_ref(col, target, value), table=table))
            bad[row] = True
    return out, bad


def _unknown_ref(col: ColumnSpec, target: _Checked, value) -> Message:
    target_col = col.references.split(".")[1]
    known = {fold(v): str(v) for v in target.good().get("name", pd.Series(dtype=object)).dropna()}
    hint = _did_you_mean(fold(_as_text(value)), known)
    return _m("unknown_ref", target=col.references, sheet_vi=target.sheet, hint=hint, hint_vi=hint.vi,
              column=target_col)


def _check_column(raw: pd.Series, already_bad: pd.Series, col: ColumnSpec, table: str, file: str, sheet: str,
                  problems: list[Problem]) -> tuple[pd.Series, pd.Series]:
    """Type one column; report wrong types, values outside the allowed set or bounds, and empty required cells.
    Coded values are read from their code, their label in either language or a synonym of the code list."""
    blank = raw.isna() & ~already_bad
    ambiguous = pd.Series(False, index=raw.index)
    if col.dtype in ("int", "float"):
        values, wrong = _parse_number(raw, integer=col.dtype == "int")
    elif col.dtype == "bool":
        values, wrong = _parse_bool(raw)
    elif col.dtype == "category":
        keys = value_keys(table, col.name)
        seen: dict[tuple[type, object], tuple] = {}  # by type too: True, 1 and 1.0 are one dict key otherwise

        def codes_of(v):
            key = (type(v), v)
            if key not in seen:
                seen[key] = keys.get(fold(_as_text(v)), ())
            return seen[key]
        hits = raw.map(codes_of, na_action="ignore")
        values = hits.map(lambda h: h[0] if len(h) == 1 else pd.NA, na_action="ignore")
        ambiguous = raw.notna() & hits.map(lambda h: isinstance(h, tuple) and len(h) > 1, na_action="ignore").fillna(False).astype(bool)
        wrong = raw.notna() & values.isna() & ~ambiguous
    else:
        values = raw.map(_as_text, na_action="ignore")
        wrong = pd.Series(False, index=raw.index)
    wrong &= raw.notna() & ~already_bad
    for row in raw.index[wrong]:
        problems.append(Problem(file, sheet, int(row), col.name, raw[row], _type_expectation(table, col, raw[row]), table=table))
    for row in raw.index[ambiguous & ~already_bad]:
        codes = hits[row]
        problems.append(Problem(file, sheet, int(row), col.name, raw[row], _m(
            "ambiguous_value", value=raw[row], labels=" / ".join(value_label(table, col.name, c, "vi") for c in codes),
            labels_en=" / ".join(value_label(table, col.name, c, "en") for c in codes)), table=table))

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
                                    _m("not_negative") if negative else _range_expectation(col), table=table))

    empty_required = blank & col.required & (col.default is None)
    for row in raw.index[empty_required]:
        problems.append(Problem(file, sheet, int(row), col.name, None,
                                _m("required_value", description=col.description_en, description_vi=col.description_vi),
                                table=table))
    ok = ~(wrong | ambiguous | out_of_range | empty_required | already_bad)
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
        try:  # at C speed; a Python int beyond float's range falls back to the cell-by-cell reading
            as_float = np.asarray(raw[numeric_cells].to_numpy(), dtype=float)
            numbers[numeric_cells] = np.where(np.isfinite(as_float), as_float, np.nan)
        except (OverflowError, ValueError, TypeError):
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


def _type_expectation(table: str, col: ColumnSpec, value) -> Message:
    if col.dtype == "category":
        return _m("one_of", labels=", ".join(value_label(table, col.name, c, "vi") for c in col.allowed),
                  labels_en=", ".join(value_label(table, col.name, c, "en") for c in col.allowed))
    if col.dtype == "bool":
        return _m("yes_no")
    what = _m("whole" if col.dtype == "int" else "number")
    if isinstance(value, str) and ("," in value or value.count(".") > 1):
        extra = _m("separators")
        what, vi = Message(what + extra), what.vi + extra.vi
        what.vi = vi
    bounds = _bounds_both(col)
    out = Message(f"{what}{' ' + bounds if bounds else ''}")
    out.vi = f"{what.vi}{' ' + bounds.vi if bounds else ''}"
    return out


def _bounds_text(col: ColumnSpec) -> str:
    return bounds_text(col, between="between {} and {}", at_least="of at least {}", at_most="of at most {}")


def _bounds_both(col: ColumnSpec) -> Message:
    out = Message(_bounds_text(col))
    out.vi = bounds_text(col, between="từ {} đến {}", at_least="từ {} trở lên", at_most="không quá {}")
    return out


def _range_expectation(col: ColumnSpec) -> Message:
    bounds = _bounds_both(col)
    if col.unit == "degrees":
        axis = "longitude" if "lon" in col.name else "latitude"
        return _m("coordinate", axis=axis, axis_vi="kinh độ" if axis == "longitude" else "vĩ độ", en=bounds, vi=bounds.vi)
    out = _m("range", en=bounds, vi=bounds.vi)
    if col.min == 0 and col.max is None:
        out, vi = Message(out + " (cannot be negative)"), out.vi + " (không được âm)"
        out.vi = vi
    return out


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
        problems.append(Problem(table.file, table.sheet, int(row), label, value, _m("unique", label=label, row=int(first[row]))))


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
                                        _unknown_ref(col, target, values[row])))
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
        problems.append(Problem(file, sheet, int(row), "home_lat", None, _m("lat_needed")))
    for row in o.index[has_lat & ~has_lon]:
        problems.append(Problem(file, sheet, int(row), "home_lon", None, _m("lon_needed")))
    homeless = ~has_lon & ~has_lat & o["home_old_unit_id"].isna()
    for row in o.index[homeless]:
        problems.append(Problem(file, sheet, int(row), "home_old_unit_id", None, _m("home_needed")))
    pinned_position = o["fixed_position"].notna()
    for row in o.index[pinned_position & o["fixed_commune"].isna()]:
        position = o.at[row, "fixed_position"]
        problems.append(Problem(file, sheet, int(row), "fixed_commune", None,
                                _m("pin_commune", position=position, position_vi=vocab.label("positions", position, "vi"))))
    leader = o["fixed_position"].isin(vocab.role_codes("positions", "leadership")).to_numpy(dtype=bool, na_value=False)
    not_eligible = ~o["eligible_for_leadership"].to_numpy(dtype=bool, na_value=False)
    for row in o.index[leader & not_eligible]:
        position = o.at[row, "fixed_position"]
        problems.append(Problem(file, sheet, int(row), "eligible_for_leadership", False,
                                _m("pin_eligible", position=position, position_vi=vocab.label("positions", position, "vi"))))


def _check_staffing_norms(norms: _Checked, problems: list[Problem]) -> None:
    n = norms.good()
    if n.empty:
        return
    inverted = (n["max_count"].notna() & (n["max_count"] < n["min_count"])).to_numpy(dtype=bool, na_value=False)
    for row in n.index[inverted]:
        problems.append(Problem(norms.file, norms.sheet, int(row), "max_count", int(n.at[row, "max_count"]),
                                _m("max_below_min", min=int(n.at[row, "min_count"]))))
    empty_band = (n["max_population"].notna() & (n["max_population"] <= n["min_population"])).to_numpy(dtype=bool, na_value=False)
    for row in n.index[empty_band]:
        problems.append(Problem(norms.file, norms.sheet, int(row), "max_population", int(n.at[row, "max_population"]),
                                _m("empty_band", min=int(n.at[row, "min_population"]))))


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
            problems.append(Problem(communes.file, communes.sheet, int(row), "code", int(code), _m("unit_for_commune", name=name)))
            continue
        listed = ", ".join(str(int(r)) for r in units)
        problems.append(Problem(old_units.file, old_units.sheet, int(units[0]), "population_share", round(float(totals[code]), 4),
                                _m("shares", name=name, code=int(code), rows=listed)))


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
        hit = in_quota[in_quota["fixed_commune"] == code]
        _report_excess(hit, officials, problems, _m("pinned_ceiling", limit=int(limit[code]), name=names[int(code)],
                                                   code=int(code), n=len(hit), rows=_rows_text(hit)), int(limit[code]))
    slots = requirements[(requirements["field"] == vocab.role_code("fields", "leadership"))
                         & requirements["position"].isin(vocab.role_codes("positions", "leadership"))]
    slots = slots.dropna(subset=["required_max"]).set_index(["commune_code", "position"])["required_max"]
    leaders = pinned[pinned["fixed_position"].isin(vocab.role_codes("positions", "leadership")).to_numpy(dtype=bool, na_value=False)]
    per_slot = leaders.groupby(["fixed_commune", "fixed_position"]).size()
    limit = slots.reindex(per_slot.index)
    for code, position in per_slot.index[(per_slot > limit).to_numpy()]:
        hit = leaders[(leaders["fixed_commune"] == code) & (leaders["fixed_position"] == position)]
        most = int(limit[(code, position)])
        _report_excess(hit, officials, problems, _m("pinned_slots", limit=most, position=position, name=names[int(code)],
                                                   position_vi=vocab.label("positions", position, "vi"), code=int(code),
                                                   n=len(hit), rows=_rows_text(hit)), most)


def _coded(list_name: str, code: str) -> Message:
    """A code shown as its label in the reader's language (it still compares equal to the code)."""
    out = Message(code)
    out.vi = vocab.label(list_name, code, "vi")
    return out


def _rows_text(frame: pd.DataFrame) -> str:
    return ", ".join(str(int(r)) for r in frame.index)


def _report_excess(pinned: pd.DataFrame, officials: _Checked, problems: list[Problem], expected: Message, limit: int) -> None:
    """One problem at the first pinned official beyond the limit (its text lists the rows of all of them)."""
    problems.append(Problem(officials.file, officials.sheet, int(pinned.index[limit]), "fixed_commune",
                            int(pinned["fixed_commune"].iloc[0]), expected))


def _check_costs(costs: _Checked, equipment_norms: _Checked, problems: list[Problem]) -> None:
    """Per-item prices name their item; every item type in the equipment norms has a new_unit_price."""
    k = costs.good()
    per_item = k["parameter"].isin(per_item_parameters()).to_numpy(dtype=bool, na_value=False)
    for row in k.index[per_item & k["item_type"].isna().to_numpy()]:
        parameter = k.at[row, "parameter"]
        problems.append(Problem(costs.file, costs.sheet, int(row), "item_type", None, _m(
            "item_needed", parameter=parameter, parameter_vi=vocab.label("cost_parameters", parameter, "vi"))))
    bad_rows = ~costs.row_ok
    if not costs.cell_ok.loc[bad_rows, "item_type"].all():
        return  # a bad row might be the missing price; reported already
    if not len(costs.clean):
        return  # an empty costs table is reported already; a missing price per item would only repeat it
    doubtful = set(costs.clean.loc[bad_rows, "item_type"].dropna())
    priced = set(k.loc[k["parameter"] == "new_unit_price", "item_type"].dropna())
    norms = equipment_norms.good()
    for item, rows in norms.groupby("item_type").groups.items():
        if item in priced or item in doubtful:
            continue
        listed = ", ".join(str(int(r)) for r in rows)
        problems.append(Problem(costs.file, costs.sheet, None, "item_type", _coded("item_types", item), _m(
            "price_missing", item=item, item_vi=vocab.label("item_types", item, "vi"), rows=listed)))


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
                                _m("pair_pinned", official=p.at[row, "official_id"], code=int(p.at[row, "commune_code"]))))


# ---------------------------------------------------------------------------------------------


def read_and_validate(path: Path, stages=None, side=None) -> Dataset:
    """Load a workbook (.xlsx, one sheet per table) or a folder of <table>.csv; raise InputError listing ALL problems.

    Only the tables the stages need are required (stages None: the stages the workbook's info table declares under
    'stages', else every stage); a table with a reference fallback (the staffing norms) is taken from
    planner/reference when absent or empty, with a note in Dataset.notes. `side` (planner.side): a big workbook's
    largest sheets are read there meanwhile (_Elsewhere), the same result.
    """
    path = Path(path)
    problems: list[Problem] = []
    if not path.exists():
        raise InputError([Problem(str(path), None, None, None, None, _m("not_found"))], str(path))
    if not path.is_dir() and (not_regular := _not_regular_file(path)):
        raise InputError([Problem(str(path), None, None, None, None, not_regular)], str(path))
    elsewhere = None
    if path.is_dir():
        raw = _read_csv_folder(path, problems)
        container = "CSV file"
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raw, elsewhere = _read_workbook(path, problems, side)
        container = "sheet"
    else:
        raise InputError([Problem(str(path), None, None, None, None, _m("other_format"))], str(path))
    if not raw and elsewhere is None and problems:
        raise InputError(_located(problems, {}), str(path))

    schema = load_schema()
    checked: dict[str, _Checked] = _check_tables(raw, problems, elsewhere.first if elsewhere is not None else {})
    if elsewhere is not None:
        checked.update(elsewhere.collect(problems))
    checked = {name: checked[name] for name in schema if name in checked}
    if stages is None:
        stages = _declared_stages(checked.get("info"))
    notes = []
    for name, spec in schema.items():
        empty = name not in checked or not len(checked[name].clean)
        if spec.fallback and empty and spec.needed_for(stages) and not any(p.table == name for p in problems):
            checked[name] = _fallback(spec, path)
            notes.append(_m("fallback_note", table=name, label=spec.label_vi, file=spec.fallback))
        elif name in checked and empty and spec.needed_for(stages) and not any(p.table == name for p in problems):
            problems.append(Problem(checked[name].file, checked[name].sheet, 2, None, None,
                                    _m("no_rows", name=name, label=spec.label_vi, **_stages_hint(spec, stages)), table=name))
        elif name not in checked and spec.needed_for(stages) and not any(p.table == name or p.sheet == name for p in problems):
            where = str(path / f"{name}.csv") if path.is_dir() else str(path)
            sheet = Message(name if path.is_dir() else spec.label_en)
            sheet.vi = name if path.is_dir() else spec.label_vi
            problems.append(Problem(where, sheet, None, None, None,
                                    _m("missing_table", what=container, what_vi=WHAT_VI[container], name=name,
                                       label=spec.label_vi, description=spec.description_en,
                                       description_vi=spec.description_vi, **_stages_hint(spec, stages)), table=name))
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
        raise InputError(_located(problems, checked), str(path))

    ds = Dataset.from_frames({name: table.clean for name, table in checked.items()}, source=str(path))
    ds.sheet_rows = {name: pd.Series(table.clean.index, name="row") for name, table in checked.items()}
    ds.notes = notes
    ds.stages = tuple(stages) if stages is not None else None
    return ds


def _stages_hint(spec: TableSpec, stages) -> dict[str, str]:
    """hint / hint_vi placeholders: when every stage is asked for and staffing would not need this table, say so."""
    if stages is not None or "staffing" in spec.stages:
        return {"hint": "", "hint_vi": ""}
    hint = _m("staffing_only")
    return {"hint": str(hint), "hint_vi": hint.vi}


def _declared_stages(info: _Checked | None) -> tuple[str, ...] | None:
    """Stages named under key 'stages' in the info table (written by `planner template --stages`), if any."""
    if info is None or not {"key", "value"} <= info.present:
        return None
    hit = info.clean.loc[info.clean["key"].astype(str).map(fold) == "stages", "value"].dropna()
    if not len(hit):
        return None
    known = vocab.codes("stages")
    listed = tuple(s.strip() for s in str(hit.iloc[0]).replace(";", ",").split(",") if s.strip() in known)
    return listed or None


def _fallback(spec: TableSpec, path: Path) -> _Checked:
    """A table read from planner/reference (trusted, already valid), as if it had been checked."""
    frame = pd.read_csv(REFERENCE_DIR / spec.fallback)
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    clean = pd.DataFrame({c.name: frame[c.name] if c.name in frame.columns else pd.Series(pd.NA, index=frame.index)
                          for c in spec.columns}, index=frame.index)
    ok = pd.DataFrame(True, index=frame.index, columns=spec.column_names)
    return _Checked(spec, str(REFERENCE_DIR / spec.fallback), spec.name, clean, ok, set(frame.columns))


def _located(problems: list[Problem], checked: dict[str, _Checked]) -> list[Problem]:
    """Problems sorted, each with its table, Excel column letter and header as the user wrote it (a column the sheet
    lacks is named by its label in both languages)."""
    by_sheet = {(t.file, t.sheet): t for t in checked.values()}
    schema = load_schema()
    out = []
    for p in problems:
        table = checked.get(p.table) if p.table else by_sheet.get((p.file, p.sheet))
        name = p.table or (table.spec.name if table is not None else None)
        changes = {"table": name}
        if name in schema and p.column in schema[name].column_names and not p.letter:
            if table is not None and p.column in table.layout:
                idx, header = table.layout[p.column]
                changes.update(letter=openpyxl.utils.get_column_letter(idx + 1), header=header)
            else:
                label = Message(schema[name].column(p.column).label("en"))
                label.vi = schema[name].column(p.column).label("vi")
                changes["header"] = label
        elif p.column and not p.header and name in schema and p.column not in schema[name].column_names and p.row == 1:
            changes["header"] = p.column
        out.append(dataclasses.replace(p, **changes))
    return sorted(out, key=_problem_order)


def load_dataset(path: str | Path, stages=None, side=None) -> Dataset:
    """Read and validate a workbook (.xlsx) or a folder of CSVs; raise InputError listing every problem.
    stages: the stages to be run (only their tables are required; None: as declared by the workbook, else all).
    side: a planner.side process that reads some of a big workbook's sheets meanwhile."""
    return read_and_validate(Path(path), stages=stages, side=side)
