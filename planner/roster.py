"""Import a staff roster as a Department of Home Affairs keeps it into a staffing-ready input workbook.

`import_roster` reads the roster (title rows above the header, a header on one or two rows with the birth date
under "Nam" / "Nữ", an STT column, blank, group and subtotal rows), maps its columns through
planner/reference/roster_columns.csv, its titles, offices and training through roster_titles.csv (a user file
given with --titles is read first and wins), its work units and homes to the bundled pre-merger units of the
province, and its planned posts ("Dự kiến bố trí") to pins. Every problem is collected and raised at once
(InputError, Excel row, column letter and header as written); `write_roster_workbook` writes the input workbook
with a mapping sheet that shows what became of every roster column and row.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import vocab
from .dataset import Dataset
from .errors import InputError, Problem
from .messages import Message, number
from .files import save_atomic
from .norms import resolve_staffing_norms
from .sample import resolve_province, sample_geography
from .schema import load_schema
from .template import write_input_workbook
from .validate import MAX_CELL_TEXT, MAX_COLUMNS, MAX_ROWS, _check_package
from .yesno import fold, parse_yes_no

REFERENCE_DIR = Path(__file__).parent / "reference"
MAPPING_SHEET = {"vi": "_Đối chiếu danh sách", "en": "_Roster mapping"}  # '_': the validator skips it
HEADER_SCAN_ROWS = 30  # the header is looked for in the first rows (title rows above it)
MIN_HEADER_COLUMNS = 3  # a header row names at least this many known columns, the name among them
STAGES = ("staffing",)  # the workbook is for a staffing plan: the asset tables are not asked for
REQUIRED_KEYS = ("name", "birth", "gender", "title", "work_unit")
SUBTOTAL = re.compile(r"^(tổng cộng|tổng số|tổng|cộng)(\W|\d|$)|^tong cong\b")
COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
DATE_TEXT = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
MONTH_YEAR_TEXT = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{4})$")
ISO_TEXT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
FILL = PatternFill("solid", fgColor="1F4E78")

# Texts the user sees, (vi, en) with named placeholders
TEXT: dict[str, tuple[str, str]] = {
    "unreadable": ("một tệp Excel .xlsx đọc được ({reason})", "a readable .xlsx workbook ({reason})"),
    "not_xlsx": ("một tệp Excel .xlsx (tệp .xls hoặc .ods: mở bằng Excel và lưu lại dạng .xlsx)",
                 "an .xlsx workbook (.xls or .ods: open it in Excel and save it as .xlsx)"),
    "own_csv": ("một tệp CSV (UTF-8) có các cột của {name}: {columns} ({reason})",
                "a CSV file (UTF-8) with the columns of {name}: {columns} ({reason})"),
    "own_code": ("một giá trị trong danh sách: {labels}", "a value of the list: {labels}"),
    "own_kind": ("một trong: {kinds}", "one of: {kinds}"),
    "not_found": ("một tệp danh sách có tồn tại (không tìm thấy)", "an existing roster file (not found)"),
    "no_header": ("một dòng tiêu đề trong {rows} dòng đầu của một trang, gồm cột Họ và tên và ít nhất {n} cột đã biết "
                  "(Ngày sinh, Giới tính, Chức vụ, Đơn vị công tác ...; xem roster_columns.csv)",
                  "a header row within the first {rows} rows of a sheet naming Họ và tên and at least {n} known columns "
                  "(Ngày sinh, Giới tính, Chức vụ, Đơn vị công tác ...; see roster_columns.csv)"),
    "missing_column": ("một cột {what} (không thấy trong dòng tiêu đề {row})", "a column {what} (none in header row {row})"),
    "duplicate_column": ("chỉ một cột {what} (cột {other} cũng là {what}: đổi tên hoặc xóa một cột)",
                         "one column {what} only (column {other} is {what} too: rename or delete one)"),
    "too_big": ("tối đa {rows} dòng và {columns} cột (bị từ chối để an toàn)",
                "at most {rows} rows and {columns} columns (refused for safety)"),
    "long_text": ("nội dung tối đa {n} ký tự", "a text of at most {n} characters"),
    "no_person": ("ít nhất một dòng cán bộ dưới dòng tiêu đề {row}", "at least one person below the header row {row}"),
    "required": ("một giá trị (bắt buộc)", "a value (required)"),
    "birth": ("ngày sinh dạng dd/mm/yyyy, năm sinh (vd. 1985) hoặc ngày Excel, năm từ {low} đến {high}",
              "a birth date as dd/mm/yyyy, a year (e.g. 1985) or an Excel date, year {low} to {high}"),
    "birth_both": ("ngày sinh chỉ ở một trong hai cột {columns}", "the birth date in one of the columns {columns} only"),
    "gender": ("một giới tính: {labels}", "a gender: {labels}"),
    "gender_conflict": ("giới tính khớp với cột ngày sinh {column}", "a gender matching the birth-date column {column}"),
    "qualification": ("một trình độ: {labels}", "a qualification level: {labels}"),
    "grade": ("một ngạch: {labels}", "a grade: {labels}"),
    "title": ("một chức vụ có trong roster_titles.csv (thêm mẫu chức vụ này vào tệp --titles để nhập)",
              "a title listed in roster_titles.csv (add a pattern for it to a --titles file)"),
    "no_field": ("lĩnh vực suy ra được từ chức vụ, đơn vị công tác hoặc chuyên ngành (thêm mẫu vào tệp --titles)",
                 "a field inferred from the title, the office or the training (add a pattern to a --titles file)"),
    "unit_unknown": ("tên một đơn vị cũ (xã, phường, thị trấn) hoặc cơ quan cấp huyện của tỉnh {province}{hint}",
                     "the name of a pre-merger unit (commune, ward, town) or district office of {province}{hint}"),
    "unit_ambiguous": ("một tên không trùng: có {n} đơn vị mang tên này ({candidates}); ghi thêm huyện, vd. '{example}'",
                       "an unambiguous name: {n} units have it ({candidates}); add the district, e.g. '{example}'"),
    "unit_not_in_district": ("{unit} thuộc {district}; tỉnh có: {candidates}",
                             "{unit} in {district}; the province has: {candidates}"),
    "unit_no_office": ("một huyện có trụ sở trong dữ liệu của tỉnh {province}", "a district with an office in {province}"),
    "hint": ("; gần giống: {close}", "; close names: {close}"),
    "new_post": ("một chức danh và một xã mới của tỉnh {province}, vd. 'Phó Chủ tịch UBND {example}'",
                 "a post and a new commune of {province}, e.g. 'Phó Chủ tịch UBND {example}'"),
    "too_many_leaders": ("tối đa {limit} {position} mỗi xã (roster_leader_limits.csv); {commune} có {n} (dòng {rows})",
                         "at most {limit} {position} per commune (roster_leader_limits.csv); {commune} has {n} (rows {rows})"),
    # command line
    "out_not_xlsx": ("--out phải là tệp Excel .xlsx, không phải {name}", "--out must name an .xlsx workbook, not {name}"),
    "summary": ("{province}: {n} cán bộ từ {file} ({skipped} dòng bỏ qua), {communes} xã mới, {units} đơn vị cũ -> {out}\n"
                "Trang '{sheet}' cho biết cách đọc từng cột và từng dòng. Lập phương án: planner solve {out} --stages staffing",
                "{province}: {n} officials from {file} ({skipped} rows skipped), {communes} new communes, {units} old units "
                "-> {out}\nSheet '{sheet}' shows how every column and row was read. Plan: planner solve {out} --stages staffing"),
    # mapping sheet
    "map_columns": ("Đối chiếu cột của danh sách", "How the roster columns were read"),
    "map_rows": ("Đối chiếu từng dòng của danh sách", "How every roster row was read"),
    "col_letter": ("Cột", "Column"),
    "col_header": ("Tiêu đề trong danh sách", "Header in the roster"),
    "col_used_as": ("Dùng cho", "Read as"),
    "col_note": ("Ghi chú", "Note"),
    "row_number": ("Dòng", "Row"),
    "row_result": ("Kết quả", "Result"),
    "row_name": ("Họ và tên", "Name"),
    "row_title": ("Chức vụ → chức danh, lĩnh vực", "Title → position, field"),
    "row_unit": ("Đơn vị công tác → đơn vị cũ", "Work unit → old unit"),
    "row_home": ("Nơi ở → đơn vị cũ", "Home → old unit"),
    "row_pin": ("Dự kiến bố trí → xã, chức danh", "Planned post → commune, position"),
    "row_note": ("Ghi chú", "Note"),
    "not_used": ("không dùng", "not used"),
    "skip_blank": ("bỏ qua: dòng trống", "skipped: blank row"),
    "skip_subtotal": ("bỏ qua: dòng cộng / tổng cộng", "skipped: subtotal row"),
    "skip_heading": ("bỏ qua: dòng tiêu đề nhóm (không có STT, ngày sinh, giới tính)",
                     "skipped: group heading (no STT number, birth date or gender)"),
    "skip_header": ("bỏ qua: dòng tiêu đề lặp lại", "skipped: repeated header row"),
    "skip_title": ("bỏ qua: dòng tiêu đề của danh sách", "skipped: title row above the header"),
    "skip_column_numbers": ("bỏ qua: dòng đánh số cột", "skipped: column-number row"),
    "header_row": ("dòng tiêu đề cột: cho biết các cột", "column header row: names the columns"),
    "unit_by_heading": ("tên đơn vị trùng: chọn đơn vị thuộc {district} theo dòng tiêu đề nhóm",
                        "unit name shared: the one in {district} named by the group heading is used"),
    "unit_by_neighbours": ("tên đơn vị trùng: chọn đơn vị thuộc {district}, huyện của các dòng liền trên và liền dưới",
                           "unit name shared: the one in {district}, the district of the rows just above and below, is used"),
    "context_count": ("{units} dòng có tên đơn vị công tác trùng, {homes} dòng có tên nơi ở trùng, được đọc theo huyện (tiêu "
                      "đề nhóm, các dòng liền kề, nơi công tác): xem cột Ghi chú của trang đối chiếu và ghi thêm huyện "
                      "nếu chưa đúng",
                      "{units} rows with a shared work-unit name and {homes} with a shared home name were read by their "
                      "district (group heading, neighbouring rows, work unit): see the Note column of the mapping sheet, "
                      "and add the district where it is wrong"),
    "home_from_unit": ("nơi ở trống: lấy đơn vị công tác", "home empty: the work unit is used"),
    "home_by_work_district": ("nơi ở trùng tên: chọn đơn vị cùng huyện với nơi công tác",
                              "home name shared: the unit in the work unit's district is used"),
    "home_district": ("nơi ở chỉ ghi huyện: lấy trụ sở huyện", "home names a district only: its office is used"),
    "home_commune": ("nơi ở là xã mới: lấy đơn vị cũ đông dân nhất của xã", "home is a new commune: its most populous old unit is used"),
    "qualification_default": ("trình độ trống: mặc định {label}", "qualification empty: default {label}"),
    "no_column_default": ("không có cột này: {what}", "no such column: {what}"),
    "norm_added": ("Danh sách đã bổ nhiệm {n} {position} tại {commune} (Dự kiến bố trí); Nghị định 300/2025/NĐ-CP Điều 6 "
                   "cho phép tỉnh quyết định số lượng từng xã",
                   "The roster appoints {n} {position} in {commune} (planned post); Decree 300/2025/NĐ-CP Art. 6 lets the "
                   "province set each commune's number"),
    "birth_gender_column": ("ngày sinh ({gender}): cho biết giới tính", "birth date ({gender}): gives the gender"),
}

USED_AS: dict[str, tuple[str, str]] = {
    "stt": ("STT (số thứ tự)", "row number (STT)"), "name": ("Họ và tên", "name"), "birth": ("Năm sinh", "birth year"),
    "gender": ("Giới tính", "gender"), "title": ("Chức vụ → chức danh, lĩnh vực", "title → position, field"),
    "qualification": ("Trình độ", "qualification"), "training": ("Chuyên ngành → lĩnh vực thứ hai", "training → second field"),
    "work_unit": ("Đơn vị công tác → đơn vị cũ, lĩnh vực", "work unit → old unit, field"),
    "home": ("Nơi ở → đơn vị cũ", "home → old unit"), "new_post": ("Dự kiến bố trí → ghim xã, chức danh", "planned post → pin"),
    "grade": ("Ngạch", "grade"), "ignore": ("không dùng", "not used"),
}


def tr(key: str, lang: str, **values) -> str:
    """Text `key` in Vietnamese ('vi') or English ('en') with its placeholders filled; a value given as a (vi, en)
    pair or as a bilingual Message is put in the same language."""
    vi, en = TEXT[key]
    return (vi if lang == "vi" else en).format(**{k: _in(v, lang) for k, v in values.items()})


def both(key: str, **values) -> Message:
    """Text `key` in both languages: the English str carrying its Vietnamese form in `.vi` (as planner.messages)."""
    out = Message(tr(key, "en", **values))
    out.vi = tr(key, "vi", **values)
    return out


def _in(value, lang: str):
    if isinstance(value, tuple) and len(value) == 2:
        return value[0 if lang == "vi" else 1]
    return getattr(value, "vi", value) if lang == "vi" else value


def _labels(name: str) -> tuple[str, str]:
    """The labels of a code list, in Vietnamese and in English, for a problem's 'expected'."""
    return tuple(", ".join(vocab.label(name, c, lang) for c in vocab.codes(name)) for lang in ("vi", "en"))


# ---------------------------------------------------------------------------------------------
# Reference tables (data the user can extend)


def _read_reference(name: str, extra: str | Path | None = None) -> pd.DataFrame:
    """A roster_*.csv reference table; the user's extra file (same columns) comes first so its rows win ties."""
    frame = pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)
    if extra:
        try:
            own = pd.read_csv(extra, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, ValueError) as exc:  # missing, unreadable, not UTF-8, not CSV
            raise InputError([Problem(str(extra), None, None, None, None,
                                      both("own_csv", name=name, columns=", ".join(frame.columns),
                                           reason=str(exc)[:120]))], str(extra)) from None
        missing = sorted(set(frame.columns) - set(own.columns) - {"note"})
        if missing:
            raise InputError([Problem(str(extra), None, None, None, None,
                                      both("own_csv", name=name, columns=", ".join(frame.columns),
                                           reason=", ".join(missing)))], str(extra))
        frame = pd.concat([own.reindex(columns=frame.columns, fill_value=""), frame], ignore_index=True)
    return frame


class _Abbreviations:
    """Whole-word rewrites of folded text (roster_abbreviations.csv): 'UBND' and 'Ủy ban nhân dân' read alike."""

    def __init__(self):
        table = _read_reference("roster_abbreviations.csv")
        rules = [(fold(w), fold(r), s) for w, r, s in zip(table["written"], table["read_as"], table["scope"])]
        rules.sort(key=lambda rule: -len(rule[0]))
        self.any = [(re.compile(rf"(?<!\S){re.escape(w)}(?!\S)"), r) for w, r, s in rules if s == "any"]
        self.place = [(re.compile(rf"(?<!\S){re.escape(w)}(?!\S)"), r) for w, r, s in rules if s == "place"]

    def __call__(self, text, place: bool = False) -> str:
        out = fold(text)
        for pattern, repl in self.any + (self.place if place else []):
            out = pattern.sub(repl, out)
        return " ".join(out.split())


def _contains(text: str, pattern: str) -> bool:
    return bool(pattern) and f" {pattern} " in f" {text} "


@dataclass
class _Rule:
    pattern: str
    position: str
    field: str
    secondary_field: str
    eligible: bool
    grade: str


KINDS = ("title", "office", "training")  # what a roster_titles.csv pattern is looked for in


class _Titles:
    """Title, office and training patterns (roster_titles.csv): the longest pattern contained in the text wins."""

    def __init__(self, norm: _Abbreviations, extra=None):
        table = _read_reference("roster_titles.csv", extra)
        self.rules: dict[str, list[_Rule]] = {kind: [] for kind in KINDS}
        codes = {name: {key: code for key, code in _vocab_keys(name)} for name in ("positions", "fields", "grades")}
        problems = []
        for number, row in enumerate(table.itertuples(index=False), start=2):
            values, before = {}, len(problems)
            for column, name in (("position", "positions"), ("field", "fields"), ("secondary_field", "fields"),
                                 ("grade", "grades")):
                text = getattr(row, column).strip()
                values[column] = codes[name].get(fold(text)) if text else ""  # a code or a label, as in the workbook
                if values[column] is None:
                    problems.append(Problem(str(extra), None, number, column, text,
                                            both("own_code", labels=_labels(name))))
            if fold(row.kind) not in KINDS:
                problems.append(Problem(str(extra), None, number, "kind", row.kind, both("own_kind", kinds=", ".join(KINDS))))
            if len(problems) > before:
                continue
            self.rules[fold(row.kind)].append(_Rule(norm(row.pattern), values["position"], values["field"],
                                                    values["secondary_field"], parse_yes_no(row.eligible_for_leadership) is True,
                                                    values["grade"]))
        if problems:
            raise InputError(problems, str(extra))

    def matches(self, kind: str, text: str) -> list[_Rule]:
        hits = [r for r in self.rules[kind] if _contains(text, r.pattern)]
        return sorted(hits, key=lambda r: -len(r.pattern))  # stable: the user's rows first among equals


# ---------------------------------------------------------------------------------------------
# Places: the province's pre-merger units, district offices and new communes, matched by name


@dataclass
class _Place:
    """Result of matching a place name: the unit id (None when not found) and why."""

    unit: str | None
    status: str  # ok | unknown | ambiguous | not_in_district | no_office
    candidates: list[str] = field(default_factory=list)
    district: str | None = None
    note: str | None = None
    units: list[str] = field(default_factory=list)  # the candidate unit ids of an ambiguous name


class _Places:
    def __init__(self, communes: pd.DataFrame, old_units: pd.DataFrame, norm: _Abbreviations, province: str):
        self.norm, self.province = norm, province
        office_kinds = set(vocab.role_codes("old_unit_kinds", "district_office"))
        units = old_units.assign(_key=np.where(old_units["old_code"].fillna(0).astype(int) > 0,
                                               old_units["old_code"].fillna(0).astype(int).astype(str), old_units["id"]))
        offices = units[units["kind"].isin(office_kinds)]
        parts = units[~units["kind"].isin(office_kinds)]
        # a unit split between new communes has one row per part: its people work at (and are read as) the largest
        main = parts.sort_values("population_share", ascending=False, kind="stable").drop_duplicates("_key")
        self.info = {r.id: (r.name, r.district) for r in old_units.itertuples()}
        self.district_of = dict(zip(main["id"], main["district"]))
        self.unit_forms: dict[str, set[str]] = {}
        self.bare_forms: dict[str, set[str]] = {}
        for uid, name in zip(main["id"], main["name"]):
            self.unit_forms.setdefault(norm(name, place=True), set()).add(uid)
            self.bare_forms.setdefault(norm(_bare(name), place=True), set()).add(uid)
        self.shown = {norm(n, place=True): n for n in main["name"]}  # folded form -> name as the province writes it
        self.district_forms: dict[str, set[str]] = {}
        for label in units["district"].dropna().unique():
            self.district_forms.setdefault(norm(re.sub(r"\s*\(.*\)$", "", label), place=True), set()).add(label)
            self.shown.setdefault(norm(re.sub(r"\s*\(.*\)$", "", label), place=True), label)
        self.office_of = dict(zip(offices["district"], offices["id"]))
        self.commune_forms: dict[str, set[int]] = {}
        for code, name in zip(communes["code"], communes["name"]):
            self.commune_forms.setdefault(norm(name, place=True), set()).add(int(code))
        self.commune_names = dict(zip(communes["code"].astype(int), communes["name"]))
        biggest = parts.sort_values("population_share", ascending=False, kind="stable").drop_duplicates("commune_code")
        self.commune_main_unit = dict(zip(biggest["commune_code"].astype(int), biggest["id"]))
        forms = [*self.unit_forms, *self.district_forms, *self.commune_forms]
        self.max_words = max((len(f.split()) for f in forms), default=1)

    def _scan(self, text: str, tables: list[dict]) -> list[tuple[int, str]]:
        """Greedy longest match from the left: (table index, form) for every name found in the text."""
        words, found, i = text.split(), [], 0
        while i < len(words):
            for size in range(min(self.max_words, len(words) - i), 0, -1):
                form = " ".join(words[i:i + size])
                hit = next((k for k, table in enumerate(tables) if form in table), None)
                if hit is not None:
                    found.append((hit, form))
                    i += size
                    break
            else:
                i += 1
        return found

    def district(self, uid: str) -> str:
        """The former district of a unit (its own district for a district office)."""
        return self.info[uid][1]

    def describe(self, uid: str) -> str:
        name, district = self.info[uid]
        return f"{name} ({district})"

    def unit(self, raw) -> _Place:
        """A work unit or home as written ('UBND xã Hưng Đạo, huyện Hòa An', 'Phòng Tư pháp huyện Hòa An')."""
        text = self.norm(raw, place=True)
        found = self._scan(text, [self.unit_forms, self.district_forms])
        units = {u for k, f in found if k == 0 for u in self.unit_forms[f]}
        named = [f for k, f in found if k == 0]
        districts = {d for k, f in found if k == 1 for d in self.district_forms[f]}
        if not found:
            words = re.sub(r"^(ubnd|uy ban)\s+", "", text)
            units = set(self.bare_forms.get(words, set()))
            if not units:
                close = difflib.get_close_matches(text, list(self.unit_forms) + list(self.district_forms), n=3, cutoff=0.75)
                return _Place(None, "unknown", candidates=[self.shown[c] for c in close])
            named = [words]
        if units:
            if len(set(named)) > 1:  # two different unit names in one cell
                return _Place(None, "ambiguous", candidates=sorted(self.describe(u) for u in units))
            inside = {u for u in units if self.district_of[u] in districts} if districts else units
            if not inside:
                return _Place(None, "not_in_district", candidates=sorted(self.describe(u) for u in units),
                              district=", ".join(sorted(districts)))
            if len(inside) > 1:
                return _Place(None, "ambiguous", candidates=sorted(self.describe(u) for u in inside),
                              units=sorted(inside))
            return _Place(next(iter(inside)), "ok")
        if len(districts) > 1:
            return _Place(None, "ambiguous", candidates=sorted(districts))
        district = next(iter(districts))
        if district not in self.office_of:
            return _Place(None, "no_office", district=district)
        return _Place(self.office_of[district], "ok", district=district)

    def commune(self, raw) -> tuple[int | None, str]:
        """The new commune named in a planned post ('Phó Chủ tịch UBND Xã Nhân Lý'): (code, rest of the text)."""
        text = self.norm(raw, place=True)
        found = self._scan(text, [self.commune_forms])
        codes = {c for _, f in found for c in self.commune_forms[f]}
        if len(codes) != 1:
            return None, text
        rest = text
        for _, form in found:
            rest = re.sub(rf"(?<!\S){re.escape(form)}(?!\S)", " ", rest)
        return next(iter(codes)), " ".join(rest.split())


def _bare(name: str) -> str:
    """'Xã Hưng Đạo' -> 'Hưng Đạo' (the name without its kind)."""
    return re.sub(r"^(xã|phường|thị trấn|thị xã|thành phố|huyện|quận|đặc khu)\s+", "", str(name), flags=re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Reading the sheet


@dataclass
class _Column:
    index: int  # 0-based
    header: str  # as written (two-row header: "top / sub")
    key: str | None  # roster column key, 'birth@<gender>' for a birth column under a gender, None: not used
    note: str = ""

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)

    def where(self) -> str:
        return f"{self.letter} ({self.header})" if self.header else self.letter


class _Headers:
    """roster_columns.csv: folded header -> key; a header names the key of the longest variant it starts with."""

    def __init__(self, extra=None):
        table = _read_reference("roster_columns.csv", extra)
        self.variants = sorted({(fold(h), k) for h, k in zip(table["header"], table["column"]) if fold(h)},
                               key=lambda v: -len(v[0]))

    def key(self, text) -> str | None:
        folded = fold(re.sub(r"[()]", " ", str(text))) if text is not None else ""
        if not folded:
            return None
        return next((k for v, k in self.variants if folded == v or folded.startswith(v + " ")), None)


def _cell_text(value) -> str:
    """A cell as trimmed NFC text; '' for empty cells (None, NaN)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _read_rows(path: Path, problems: list[Problem], headers: "_Headers") -> tuple[str, list[tuple[int, list]]] | None:
    """(sheet name, [(excel row, values)]) of the first visible sheet holding a roster header."""
    file = str(path)
    refusal = _check_package(path)
    if refusal:
        problems.append(Problem(file, None, None, None, None, both("unreadable", reason=refusal)))
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure of an untrusted file is an input problem
        problems.append(Problem(file, None, None, None, None, both("unreadable", reason=str(exc)[:150])))
        return None
    try:
        for ws in book.worksheets:
            if ws.sheet_state != "visible":
                continue
            ws.reset_dimensions()  # the claimed used range is not trusted (nor padded to): only the real cells are read
            rows: list[tuple[int, list]] = []
            found = False
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                values = list(values)
                while values and (values[-1] is None or values[-1] == ""):
                    values.pop()
                if len(values) > MAX_COLUMNS or number > MAX_ROWS + HEADER_SCAN_ROWS:
                    problems.append(Problem(file, ws.title, number, None, None,
                                            both("too_big", rows=number(MAX_ROWS), columns=MAX_COLUMNS)))
                    return None
                rows.append((number, values))
                if number <= HEADER_SCAN_ROWS and not found:
                    found = _is_header(values, headers)
                if number == HEADER_SCAN_ROWS and not found:
                    break
            if found:
                return ws.title, rows
    finally:
        book.close()
    problems.append(Problem(file, None, None, None, None, both("no_header", rows=HEADER_SCAN_ROWS, n=MIN_HEADER_COLUMNS)))
    return None


def _is_header(values: list, headers: _Headers) -> bool:
    keys = {headers.key(v) for v in values if isinstance(v, str)} - {None, "ignore"}
    return "name" in keys and len(keys) >= MIN_HEADER_COLUMNS


def _gender_of(text) -> str | None:
    """Gender code of a sub-header or cell ('Nam', 'Nữ', 'male'...), from the genders list and its aliases."""
    return _gender_keys().get(fold(text))


@cache
def _gender_keys() -> dict[str, str]:
    frame = vocab.table("genders")
    aliases = frame["aliases"] if "aliases" in frame.columns else [""] * len(frame)
    return {fold(t): code for code, vi, en, al in zip(frame["code"], frame["label_vi"], frame["label_en"], aliases)
            for t in [code, vi, en, *str(al).split("|")] if fold(t)}


def _layout(rows: list[tuple[int, list]], headers: _Headers) -> tuple[int, int, list[_Column], dict[int, str]]:
    """Header position, first data row index, the columns, and rows above the data to list as skipped."""
    header_at = next(i for i, (_, values) in enumerate(rows) if _is_header(values, headers))
    top = [_cell_text(v) for v in rows[header_at][1]]
    skipped = {rows[i][0]: "skip_title" for i in range(header_at)}
    skipped[rows[header_at][0]] = "header_row"
    start = header_at + 1
    name_col = next(j for j, t in enumerate(top) if headers.key(t) == "name")
    sub: list[str] = []
    if start < len(rows):
        values = rows[start][1]
        texts = [_cell_text(v) for v in values]
        name_empty = name_col >= len(texts) or not texts[name_col]
        all_text = all(v is None or isinstance(v, str) for v in values) and any(texts)
        # a sub-header continues a header cell merged across columns: some of its cells stand under an empty top cell
        under_merge = any(t and (j >= len(top) or not top[j]) for j, t in enumerate(texts))
        if name_empty and all_text and under_merge and not _column_numbers(values):
            sub = texts
            skipped[rows[start][0]] = "header_row"
            start += 1
    if start < len(rows) and _column_numbers(rows[start][1]):
        skipped[rows[start][0]] = "skip_column_numbers"
        start += 1
    width = max(len(top), len(sub))
    top += [""] * (width - len(top))
    sub += [""] * (width - len(sub))
    parent = ""
    columns = []
    for j in range(width):
        parent = top[j] or (parent if sub[j] else "")
        if not sub[j]:
            columns.append(_Column(j, top[j], headers.key(top[j]) if top[j] else None))
            continue
        written = f"{parent} / {sub[j]}" if parent else sub[j]
        gender = _gender_of(sub[j])
        if gender and headers.key(parent) == "birth":
            columns.append(_Column(j, written, f"birth@{gender}"))
            continue
        columns.append(_Column(j, written, headers.key(f"{parent} {sub[j]}") or headers.key(sub[j])))
    return header_at, start, columns, skipped


def _column_numbers(values: list) -> bool:
    cells = [_cell_text(v) for v in values if _cell_text(v)]
    return len(cells) >= MIN_HEADER_COLUMNS and all(COLUMN_NUMBER.match(c) for c in cells)


# ---------------------------------------------------------------------------------------------
# Parsing cell values


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bool(np.isfinite(value))
    return bool(re.fullmatch(r"\d{1,5}\.?", _cell_text(value)))


def _birth_year(value, low: int, high: int) -> int | None:
    """Year of a birth cell: an Excel date, a year, an Excel date serial, or dd/mm/yyyy, mm/yyyy, yyyy-mm-dd text."""
    year = None
    if isinstance(value, (dt.datetime, dt.date)):
        year = value.year
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value):
        if float(value).is_integer() and 1000 <= value <= 2999:
            year = int(value)
        elif 1 <= value < 2_958_466:  # an Excel date serial stored without a date format
            year = (EXCEL_EPOCH + dt.timedelta(days=float(value))).year
    else:
        text = _cell_text(value)
        if m := DATE_TEXT.match(text):
            day, month, year = int(m[1]), int(m[2]), int(m[3])
            try:
                dt.date(year, month, day)
            except ValueError:
                return None
        elif m := ISO_TEXT.match(text):
            year, month, day = int(m[1]), int(m[2]), int(m[3])
            try:
                dt.date(year, month, day)
            except ValueError:
                return None
        elif m := MONTH_YEAR_TEXT.match(text):
            year = int(m[2]) if 1 <= int(m[1]) <= 12 else None
        elif re.fullmatch(r"\d{4}", text):
            year = int(text)
    return year if year is not None and low <= year <= high else None


def _vocab_keys(name: str) -> list[tuple[str, str]]:
    """(folded label, code) of a code list: code, Vietnamese and English labels, aliases; longest first."""
    frame = vocab.table(name)
    frame = frame[frame["pseudo"].astype(str).str.lower() != "true"] if "pseudo" in frame.columns else frame
    aliases = frame["aliases"] if "aliases" in frame.columns else [""] * len(frame)
    keys = {(fold(t), code) for code, vi, en, al in zip(frame["code"], frame["label_vi"], frame["label_en"], aliases)
            for t in [code, vi, en, *str(al).split("|")] if fold(t)}
    return sorted(keys, key=lambda k: -len(k[0]))


def _code_in_text(text, keys: list[tuple[str, str]], rank: dict | None = None) -> str | None:
    """Code named in a cell: an exact label, else labels contained as whole words: the highest rank when several and
    ranked (qualifications), else the longest label ('Phó Chủ tịch' before 'Chủ tịch')."""
    folded = fold(text)
    exact = [code for key, code in keys if key == folded]
    if exact:
        return exact[0]
    found = [code for key, code in keys if _contains(folded, key)]  # longest label first
    if len(set(found)) > 1 and rank:
        return max(found, key=lambda c: rank.get(c, 0))
    return found[0] if found else None


# ---------------------------------------------------------------------------------------------
# The import


@dataclass
class RosterImport:
    """What import_roster made: the dataset, the column and row mapping tables (in `lang`), the province."""

    dataset: Dataset
    columns: pd.DataFrame
    rows: pd.DataFrame
    province: str
    source: str
    lang: str = "vi"
    notes: list[str] = field(default_factory=list)

    def summary(self, out) -> str:
        """What was written, in the import's language, with its notes (rules added to the norms, defaults used)."""
        officials = self.dataset["officials"]
        head = tr("summary", self.lang, province=self.province, n=len(officials), file=Path(self.source).name,
                  skipped=len(self.rows) - len(officials), communes=len(self.dataset["communes"]),
                  units=len(self.dataset["old_units"]), out=out, sheet=MAPPING_SHEET[self.lang])
        return "\n".join([head, *(f"  - {line}" for line in self.notes)])


def import_roster(path: str | Path, province: str | int, *, lang: str = "vi", titles: str | Path | None = None,
                  columns: str | Path | None = None) -> RosterImport:
    """Read the roster and build the staffing-ready dataset; raise InputError listing every problem (its
    report(lang=...) reads in Vietnamese or English). lang: the language of the mapping tables.

    titles / columns: the user's extra roster_titles.csv / roster_columns.csv rows (read before the bundled ones).
    """
    path = Path(path)
    file = str(path)
    problems: list[Problem] = []
    if not path.is_file():
        raise InputError([Problem(file, None, None, None, None, both("not_found"))], file)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError([Problem(file, None, None, None, None, both("not_xlsx"))], file)
    code, province_name = resolve_province(province)
    communes, old_units = sample_geography(code)
    norm = _Abbreviations()
    headers = _Headers(columns)
    rule_book = _Titles(norm, titles)
    places = _Places(communes, old_units, norm, province_name)

    read = _read_rows(path, problems, headers)
    if read is None:
        raise InputError(problems, file)
    sheet, rows = read
    header_at, start, cols, skipped = _layout(rows, headers)
    header_row = rows[header_at][0]

    def problem(row, col: _Column | None, value, expected):
        problems.append(Problem(file, sheet, row, col.header or col.letter if col is not None else None, value, expected,
                                letter=col.letter if col is not None else None, header=col.header if col is not None else None))

    # columns: every key once; the required ones present
    by_key: dict[str, _Column] = {}
    for col in cols:
        if col.key in (None, "ignore"):
            continue
        if col.key in by_key:
            problem(header_row, col, col.header, both("duplicate_column", what=by_key[col.key].header,
                                                       other=by_key[col.key].letter))
            continue
        by_key[col.key] = col
    birth_cols = {k.split("@", 1)[1]: c for k, c in by_key.items() if k.startswith("birth@")}
    for key in REQUIRED_KEYS:
        if key in by_key or (key in ("birth", "gender") and birth_cols):
            continue
        problems.append(Problem(file, sheet, header_row, None, None,
                                both("missing_column", what=USED_AS[key], row=header_row)))
    if problems:
        raise InputError(problems, file)

    raw, row_notes = _person_rows(rows[start:], cols, by_key, skipped)
    if raw.empty:
        raise InputError([Problem(file, sheet, None, None, None, both("no_person", row=header_row))], file)

    low, high = (int(load_schema()["officials"].column("birth_year").min), int(load_schema()["officials"].column("birth_year").max))
    n = len(raw)
    out = pd.DataFrame({"row": raw["row"].to_numpy()})
    notes_per_row: dict[int, list[str]] = {}

    def note(row, text):
        notes_per_row.setdefault(int(row), []).append(text)

    by_context = {"units": 0, "homes": 0}  # shared names read by the district around them (told in the summary)

    # name
    out["name"] = raw["name"].map(_cell_text)
    for row, value in zip(raw["row"], out["name"]):
        if not value:
            problem(row, by_key["name"], None, both("required"))
        elif len(value) > MAX_CELL_TEXT:
            problem(row, by_key["name"], value[:60], both("long_text", n=MAX_CELL_TEXT))

    birth_year, gender = _birth_and_gender(raw, by_key, birth_cols, problem, low, high)
    out["birth_year"] = pd.array(birth_year, dtype="Int64")
    out["gender"] = gender

    # qualification and grade (code lists with their labels and aliases)
    rank = vocab.column("qualifications", "rank", numeric=True)
    default_q = load_schema()["officials"].column("qualification").default
    q_keys, g_keys = _vocab_keys("qualifications"), _vocab_keys("grades")
    q_labels = _labels("qualifications")
    qualification = [default_q] * n
    if "qualification" in by_key:
        mapped = {v: _code_in_text(v, q_keys, rank) for v in raw["qualification"].map(_cell_text).unique() if v}
        for i, (row, value) in enumerate(zip(raw["row"], raw["qualification"].map(_cell_text))):
            if not value:
                note(row, tr("qualification_default", lang, label=vocab.label("qualifications", default_q, lang)))
            elif mapped[value] is None:
                problem(row, by_key["qualification"], value, both("qualification", labels=q_labels))
            else:
                qualification[i] = mapped[value]
    out["qualification"] = qualification

    # title, office and training -> position, field, second field, eligibility, grade
    title_text = raw["title"].map(_cell_text)
    unit_text = raw["work_unit"].map(_cell_text)
    training_text = raw["training"].map(_cell_text) if "training" in by_key else pd.Series([""] * n)
    title_hits = {v: rule_book.matches("title", norm(v)) for v in title_text.unique() if v}
    office_hits = {v: rule_book.matches("office", norm(v)) for v in unit_text.unique() if v}
    training_hits = {v: rule_book.matches("training", norm(v)) for v in training_text.unique() if v}
    staff = vocab.role_code("positions", "staff")
    position, primary, secondary, eligible, grade = [staff] * n, [None] * n, [None] * n, [False] * n, [None] * n
    described = [""] * n
    for i, (row, title, unit, training) in enumerate(zip(raw["row"], title_text, unit_text, training_text)):
        if not title:
            problem(row, by_key["title"], None, both("required"))
            continue
        hits = title_hits[title]
        if not hits:
            problem(row, by_key["title"], title, both("title"))
            continue
        with_field = [r for r in hits if r.field]
        best = with_field[0] if with_field else hits[0]
        position[i] = best.position or staff
        eligible[i] = any(r.eligible for r in hits)
        grade[i] = next((r.grade for r in hits if r.grade), None)
        office = next((r for r in office_hits.get(unit, []) if r.field), None)
        trained = next((r for r in training_hits.get(training, []) if r.field), None)
        primary[i] = best.field or (office.field if office else None) or (trained.field if trained else None)
        if primary[i] is None:
            problem(row, by_key["title"], title, both("no_field"))
            continue
        second = trained.field if trained and trained.field != primary[i] else best.secondary_field or None
        secondary[i] = second if second != primary[i] else None
        described[i] = ", ".join(x for x in (vocab.label("positions", position[i], lang),
                                             vocab.label("fields", primary[i], lang),
                                             vocab.label("fields", secondary[i], lang) if secondary[i] else "") if x)
    if "grade" in by_key:
        g_labels = _labels("grades")
        for i, (row, value) in enumerate(zip(raw["row"], raw["grade"].map(_cell_text))):
            if value:
                code_g = _code_in_text(value, g_keys)
                if code_g is None:
                    problem(row, by_key["grade"], value, both("grade", labels=g_labels))
                else:
                    grade[i] = code_g
    out["position"], out["field"], out["secondary_field"] = position, primary, secondary
    out["eligible_for_leadership"], out["grade"] = eligible, grade

    # work unit and home -> old units
    def place_problem(row, col, value, place: _Place):
        if place.status == "unknown":
            hint = both("hint", close=", ".join(place.candidates)) if place.candidates else ""
            problem(row, col, value, both("unit_unknown", province=province_name, hint=hint))
        elif place.status == "ambiguous":
            example = f"{place.candidates[0].split(' (')[0]}, {place.candidates[0].split(' (', 1)[-1].rstrip(')')}" \
                if " (" in place.candidates[0] else place.candidates[0]
            problem(row, col, value, both("unit_ambiguous", n=len(place.candidates),
                                        candidates="; ".join(place.candidates), example=example))
        elif place.status == "not_in_district":
            problem(row, col, value, both("unit_not_in_district", unit=value, district=place.district,
                                        candidates="; ".join(place.candidates)))
        else:
            problem(row, col, value, both("unit_no_office", province=province_name))

    unit_places = {v: places.unit(v) for v in unit_text.unique() if v}
    work_unit = [unit_places[v].unit if v else None for v in unit_text]
    context = _district_context(raw, work_unit, places)
    for i, (row, value) in enumerate(zip(raw["row"], unit_text)):
        if not value:
            problem(row, by_key["work_unit"], None, both("required"))
        elif work_unit[i] is None:
            place = unit_places[value]
            district, why = context[i]
            inside = [u for u in place.units if places.district(u) == district]
            if place.status == "ambiguous" and len(inside) == 1:
                work_unit[i] = inside[0]
                note(row, tr(why, lang, district=district))
                by_context["units"] += 1
            else:
                place_problem(row, by_key["work_unit"], value, place)
    home = list(work_unit)
    if "home" in by_key:
        home_text = raw["home"].map(_cell_text)
        home_places = {v: places.unit(v) for v in home_text.unique() if v}
        for i, (row, value) in enumerate(zip(raw["row"], home_text)):
            if not value:
                if work_unit[i]:
                    note(row, tr("home_from_unit", lang))
                continue
            place = home_places[value]
            if place.unit is None and value == unit_text.iat[i] and work_unit[i] is None:
                continue  # the same text as the work unit, reported there
            if place.unit is None and place.status == "ambiguous" and work_unit[i]:
                same = [u for u in place.units if places.district(u) == places.district(work_unit[i])]
                if len(same) == 1:
                    place = _Place(same[0], "ok", note=tr("home_by_work_district", lang))
                    by_context["homes"] += 1
            if place.unit is None and place.status == "unknown":
                commune = places.commune(value)[0]
                if commune is not None and commune in places.commune_main_unit:
                    place = _Place(places.commune_main_unit[commune], "ok", note=tr("home_commune", lang))
            if place.unit is None:
                place_problem(row, by_key["home"], value, place)
                continue
            home[i] = place.unit
            if place.note or place.district:
                note(row, place.note or tr("home_district", lang))
    out["old_unit_id"], out["home_old_unit_id"] = work_unit, home

    # planned posts -> pins
    fixed_commune, fixed_position = [None] * n, [None] * n
    if "new_post" in by_key:
        example = communes["name"].iloc[0]
        position_keys = _vocab_keys("positions")
        post_text = raw["new_post"].map(_cell_text)
        for i, (row, value) in enumerate(zip(raw["row"], post_text)):
            if not value:
                continue
            commune, rest = places.commune(value)
            hits = [r for r in rule_book.matches("title", rest) if r.position] if commune is not None else []
            if commune is None:
                problem(row, by_key["new_post"], value, both("new_post", province=province_name, example=example))
                continue
            fixed_commune[i] = commune
            fixed_position[i] = hits[0].position if hits else _code_in_text(rest, position_keys)
            if fixed_position[i] in vocab.role_codes("positions", "leadership"):
                eligible[i] = True  # appointed to lead
    out["fixed_commune"] = pd.array(fixed_commune, dtype="Int64")
    out["fixed_position"] = fixed_position
    out["eligible_for_leadership"] = eligible

    norms = pd.read_csv(REFERENCE_DIR / "staffing_norms.csv")
    norms, added = _leader_norms(out, communes, norms, by_key.get("new_post"), problem, lang, file)
    if problems:  # in the order of the roster: row, then column
        raise InputError(sorted(problems, key=lambda p: (p.row or 0, len(p.letter or ""), p.letter or "")), file)

    # the dataset
    width = max(5, len(str(n)))
    out["id"] = [f"CB{k:0{width}d}" for k in range(1, n + 1)]
    out["willing_to_relocate"] = False
    officials = out.drop(columns="row")
    info = pd.DataFrame({"key": ["province_name", "province_code", "source", "generator"],
                         "value": [province_name, str(code), f"{path.name} (sheet {sheet})", "planner import-roster"]})
    dataset = Dataset.from_frames({"communes": communes, "old_units": old_units, "officials": officials,
                                   "staffing_norms": norms, "info": info}, source=f"roster:{path.name}")

    column_table, row_table = _mapping_tables(rows, row_notes, cols, by_key, out, described, places, notes_per_row, lang)
    missing_notes = []
    if "home" not in by_key:
        missing_notes.append(tr("no_column_default", lang, what=tr("home_from_unit", lang)))
    if "qualification" not in by_key:
        missing_notes.append(tr("no_column_default", lang, what=tr("qualification_default", lang,
                                                                     label=vocab.label("qualifications", default_q, lang))))
    if any(by_context.values()):
        missing_notes.append(tr("context_count", lang, **by_context))
    return RosterImport(dataset, column_table, row_table, province_name, file, lang, notes=missing_notes + added)


def _person_rows(rows: list[tuple[int, list]], cols: list[_Column], by_key: dict[str, _Column],
                 skipped: dict[int, str]) -> tuple[pd.DataFrame, dict[int, str]]:
    """The person rows (Excel row, the group heading above, raw cells by key) and why every other row is skipped:
    blank, subtotal ('Cộng', 'Tổng cộng'), repeated header, or group heading (no STT number, birth date or gender)."""
    header_keys = {fold(c.header.split(" / ")[0]) for c in cols if c.header}
    person_keys = [k for k in by_key if k not in ("stt", "name")]
    records, row_notes, group = [], dict(skipped), ""
    for number, values in rows:
        cell = {k: (values[c.index] if c.index < len(values) else None) for k, c in by_key.items()}
        texts = [_cell_text(v) for v in values]
        if not any(texts):
            row_notes[number] = "skip_blank"
            continue
        first = _cell_text(cell.get("stt")) or _cell_text(cell.get("name")) or next(t for t in texts if t)
        if SUBTOTAL.match(first.lower()) and not _cell_text(cell.get("title")) and not _cell_text(cell.get("work_unit")):
            row_notes[number] = "skip_subtotal"
            continue
        if fold(_cell_text(cell.get("name"))) in header_keys and \
                sum(fold(t) in header_keys for t in texts if t) >= MIN_HEADER_COLUMNS:
            row_notes[number] = "skip_header"
            continue
        stt_number = "stt" in cell and _is_number(cell["stt"])
        birth_given = any(_cell_text(cell.get(k)) for k in by_key if k.startswith("birth"))
        evidence = stt_number or birth_given or bool(_cell_text(cell.get("gender")))
        looks_person = bool(_cell_text(cell.get("name"))) and any(_cell_text(cell.get(k)) for k in ("title", "work_unit"))
        if not evidence and not looks_person:
            row_notes[number] = "skip_heading"
            group = " ".join(t for t in texts if t)
            continue
        records.append({"row": number, "group": group, **{k: cell.get(k) for k in ["name", *person_keys]}})
    return pd.DataFrame(records, columns=["row", "group", "name", *person_keys]), row_notes


def _birth_and_gender(raw: pd.DataFrame, by_key: dict[str, _Column], birth_cols: dict[str, _Column], problem,
                      low: int, high: int) -> tuple[list, list]:
    """Birth year and gender of every person: from the birth column and the gender column, or from the birth date
    written under a 'Nam' or 'Nữ' sub-column (which gives the gender); what is missing or contradicts is a problem."""
    n = len(raw)
    gender_labels = _labels("genders")
    birth_year, gender = [None] * n, [None] * n
    birth_expected = both("birth", low=low, high=high)
    cells = {k: raw[k].tolist() for k in raw.columns}
    for i, row in enumerate(raw["row"]):
        written = _cell_text(cells["birth"][i]) if "birth" in by_key else ""
        by_gender = {g: cells[f"birth@{g}"][i] for g in birth_cols if _cell_text(cells[f"birth@{g}"][i])}
        if written:
            birth_year[i] = _birth_year(cells["birth"][i], low, high)
            if birth_year[i] is None:
                problem(row, by_key["birth"], cells["birth"][i], birth_expected)
        elif len(by_gender) > 1:
            problem(row, birth_cols[next(iter(by_gender))], None,
                    both("birth_both", columns=", ".join(c.where() for c in birth_cols.values())))
        elif by_gender:
            g, value = next(iter(by_gender.items()))
            gender[i] = g
            birth_year[i] = _birth_year(value, low, high)
            if birth_year[i] is None:
                problem(row, birth_cols[g], value, birth_expected)
        else:
            problem(row, by_key.get("birth") or next(iter(birth_cols.values())), None, birth_expected)
        if "gender" in by_key:
            value = cells["gender"][i]
            code = _gender_of(value) if _cell_text(value) else None
            if _cell_text(value) and code is None:
                problem(row, by_key["gender"], value, both("gender", labels=gender_labels))
            elif code and gender[i] and code != gender[i]:
                problem(row, by_key["gender"], value, both("gender_conflict", column=birth_cols[gender[i]].where()))
            elif code:
                gender[i] = code
            elif gender[i] is None:
                problem(row, by_key["gender"], None, both("gender", labels=gender_labels))
        elif gender[i] is None and written:  # a birth column of its own, and no gender anywhere
            problem(row, next(iter(birth_cols.values())), None, both("gender", labels=gender_labels))
    return birth_year, gender


def _mapping_tables(rows, row_notes, cols, by_key, out: pd.DataFrame, described: list, places: _Places,
                    notes_per_row: dict, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mapping sheet's two tables: every roster column (letter, header as written, read as), every roster row
    (official id with what its cells became, or why it was skipped)."""
    column_table = pd.DataFrame({
        tr("col_letter", lang): [c.letter for c in cols],
        tr("col_header", lang): [c.header for c in cols],
        tr("col_used_as", lang): [_used_as(c, by_key, lang) for c in cols],
        tr("col_note", lang): [_column_note(c, by_key, lang) for c in cols],
    })
    placed = dict(zip(out["row"].astype(int), range(len(out))))
    records = []
    for number, _ in rows:
        if number in placed:
            i = placed[number]
            pin = ""
            if pd.notna(out.at[i, "fixed_commune"]):
                pin = places.commune_names[int(out.at[i, "fixed_commune"])]
                if out.at[i, "fixed_position"]:
                    pin += ", " + vocab.label("positions", out.at[i, "fixed_position"], lang)
            records.append([number, out.at[i, "id"], out.at[i, "name"], described[i], places.describe(out.at[i, "old_unit_id"]),
                            places.describe(out.at[i, "home_old_unit_id"]), pin, "; ".join(notes_per_row.get(number, []))])
        elif number in row_notes:
            records.append([number, tr(row_notes[number], lang), "", "", "", "", "", ""])
    keys = ("row_number", "row_result", "row_name", "row_title", "row_unit", "row_home", "row_pin", "row_note")
    return column_table, pd.DataFrame(records, columns=[tr(k, lang) for k in keys])


def _district_context(raw: pd.DataFrame, work_unit: list, places: _Places) -> list[tuple[str | None, str]]:
    """(district, reason key) around each row, to read a unit name that several districts share: the district a group
    heading above names, else the district of the nearest matched rows above and below when both agree (a roster
    listed by district); (None, '') when neither says it."""
    heading = {}
    for text in raw["group"].unique():
        place = places.unit(text) if text else None
        heading[text] = places.district(place.unit) if place is not None and place.unit else None
    known = [places.district(u) if u else None for u in work_unit]
    above, below, last = [None] * len(known), [None] * len(known), None
    for i, d in enumerate(known):
        above[i], last = last, d or last
    last = None
    for i in range(len(known) - 1, -1, -1):
        below[i], last = last, known[i] or last
    out = []
    for i, group in enumerate(raw["group"]):
        if heading.get(group):
            out.append((heading[group], "unit_by_heading"))
        elif above[i] and below[i] and above[i] == below[i]:
            out.append((above[i], "unit_by_neighbours"))
        else:
            out.append((None, ""))
    return out


def _used_as(col: _Column, by_key: dict, lang: str) -> str:
    k = 0 if lang == "vi" else 1
    if col.key is None or by_key.get(col.key) is not col:
        return USED_AS["ignore"][k]
    if col.key.startswith("birth@"):
        return USED_AS["birth"][k] + " + " + USED_AS["gender"][k]
    return USED_AS[col.key][k]


def _column_note(col: _Column, by_key: dict, lang: str) -> str:
    if col.key and col.key.startswith("birth@") and by_key.get(col.key) is col:
        return tr("birth_gender_column", lang, gender=vocab.label("genders", col.key.split("@", 1)[1], lang))
    return ""


def _leader_norms(out: pd.DataFrame, communes: pd.DataFrame, norms: pd.DataFrame, post_col, problem, lang, file):
    """Reference norms plus a per-commune rule where the roster appoints more leaders of a position than the reference
    norm allows but no more than roster_leader_limits.csv; beyond that, a problem at the rows concerned."""
    pinned = out[out["fixed_commune"].notna() & out["fixed_position"].isin(vocab.role_codes("positions", "leadership"))]
    if pinned.empty:
        return norms, []
    limits = pd.read_csv(REFERENCE_DIR / "roster_leader_limits.csv").set_index("position")
    leadership = vocab.role_code("fields", "leadership")
    required = resolve_staffing_norms(communes, norms)
    required = required[required["field"] == leadership].set_index(["commune_code", "position"])["required_max"]
    names = dict(zip(communes["code"].astype(int), communes["name"]))
    extra, added = [], []
    for (commune, pos), group in pinned.groupby(["fixed_commune", "fixed_position"]):
        count, commune = len(group), int(commune)
        allowed = required.get((commune, pos), np.nan)
        if not np.isnan(allowed) and count <= allowed:
            continue
        label = vocab.label("positions", pos, lang)
        if pos in limits.index and count > int(limits.at[pos, "max_per_commune"]):
            rows = ", ".join(str(int(r)) for r in group["row"])
            problem(int(group["row"].iloc[-1]), post_col, f"{names[commune]}: {count}",
                    both("too_many_leaders", limit=int(limits.at[pos, "max_per_commune"]),
                         position=(vocab.label("positions", pos, "vi"), vocab.label("positions", pos, "en")),
                         commune=names[commune], n=count, rows=rows))
            continue
        source = tr("norm_added", "en", n=count, position=vocab.label("positions", pos, "en"), commune=names[commune])
        extra.append({"rule_id": f"ROSTER-{commune}-{pos}", "commune_code": commune, "commune_type":
                      vocab.role_code("commune_types", "any"), "min_population": 0, "field": leadership, "position": pos,
                      "min_count": count, "max_count": count, "per_10k_residents": 0.0,
                      "source": f"{Path(file).name}: {source}", "basis": "guidance", "confidence": "medium"})
        added.append(tr("norm_added", lang, n=count, position=label, commune=names[commune]))
    return (pd.concat([norms, pd.DataFrame(extra)], ignore_index=True) if extra else norms), added


# ---------------------------------------------------------------------------------------------
# Writing


def write_roster_workbook(result: RosterImport, out: str | Path) -> Path:
    """The input workbook (planner.template) plus the mapping sheet, written atomically over `out`."""
    out = Path(out)

    def write(tmp: str) -> None:
        write_input_workbook(Path(tmp), result.dataset, lang=result.lang, stages=STAGES)
        with open(tmp, "rb") as stream:  # a stream: openpyxl judges a path by its extension (.tmp here)
            book = openpyxl.load_workbook(stream)
        ws = book.create_sheet(MAPPING_SHEET[result.lang])
        bold = Font(bold=True, color="FFFFFF")
        ws.append([tr("map_columns", result.lang) + f" — {Path(result.source).name} ({result.province})"])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=13)
        for block_title, table in ((None, result.columns), (tr("map_rows", result.lang), result.rows)):
            if block_title:
                ws.append([])
                for line in result.notes:
                    ws.append([line])
                ws.append([block_title])
                ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=13)
            ws.append(list(table.columns))
            for idx in range(1, len(table.columns) + 1):
                cell = ws.cell(row=ws.max_row, column=idx)
                cell.font, cell.fill = bold, FILL
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            for values in table.itertuples(index=False):
                ws.append([_as_text(v) for v in values])
        for letter, width in zip("ABCDEFGH", (8, 30, 30, 40, 40, 40, 30, 50)):
            ws.column_dimensions[letter].width = width
        book.save(tmp)

    return save_atomic(out, write, refuse_overwrite_of=result.source)


def _as_text(value):
    """Text never becomes a formula in the mapping sheet."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
