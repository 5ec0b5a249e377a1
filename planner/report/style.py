"""openpyxl styling shared by every workbook the report writes: colours, fonts, number formats, safe cells.

Text from the data is always stored as text, never as a formula (`put`, `write_rows`); number formats
follow the column name (`number_format`) or, in KPI tables, each row's unit (`formats_by_unit`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .. import labels as L
from ..files import looks_like_formula
from ..readback import DEFINED_NAME_PREFIX, HEADER_ROW  # the layout planner.readback reads back
from .bulk import Rows

__all__ = ["DEFINED_NAME_PREFIX", "HEADER_ROW"]

# Number formats carry a locale tag, so the separators follow the workbook's language whatever the reader's
# settings: [$-42A] Vietnamese (1.234.567,5), [$-409] English (1,234,567.5). Money has no currency sign: the
# header says "(đồng)" / "(VND)" once.
LOCALE_TAG = {"vi": "[$-42A]", "en": "[$-409]"}
FMT_VND = "#,##0"
FMT_INT = "#,##0"
FMT_CODE = "0"
FMT_KM = "#,##0.0"
FMT_PCT = "0.0%"
FMT_PERCENT = '0.0" %"'  # values already in percent (KPI unit %)
FMT_DEC = "#,##0.00"
FMT_COORD = "0.0000"


def localized(fmt: str | None, lang: str = "vi") -> str | None:
    """The format with the language's locale tag ('#,##0' -> '[$-42A]#,##0'); codes ('0') stay untagged."""
    if fmt is None or fmt == FMT_CODE or fmt.startswith("[$-"):
        return fmt
    return LOCALE_TAG.get(lang, LOCALE_TAG["vi"]) + fmt

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
LOOKUP_FILL = PatternFill("solid", fgColor="7F7F7F")  # headers of columns shown on screen but not printed
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
SUMMARY_TITLE_FONT = Font(bold=True, size=16, color="1F4E78")
SUBTITLE_FONT = Font(italic=True, color="595959")
BLOCK_FONT = Font(bold=True, size=12, color="1F4E78")
BOLD = Font(bold=True)
ALERT_FONT = Font(bold=True, color="9C0006")
RED_FILL = PatternFill("solid", fgColor="F8CBAD")
ROW_RED_FILL = PatternFill("solid", fgColor="FCE4D6")
AMBER_FILL = PatternFill("solid", fgColor="FFE699")
GREEN_FILL = PatternFill("solid", fgColor="C6EFCE")
STATUS_FILL = {"draft": AMBER_FILL, "reviewed": PatternFill("solid", fgColor="BDD7EE"), "approved": GREEN_FILL}
THIN = Side(style="thin", color="BFBFBF")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
HEADER_BORDER = Border(bottom=THIN, right=THIN)
UNIT_ALIGNMENT = Alignment(indent=1)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
LEFT = Alignment(horizontal="left")


def put(cell, value):
    """Write one value; text is always stored as text (never a formula), illegal characters dropped."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def write_rows(ws, first_row: int, df: pd.DataFrame, formats: dict[int, str | list[str] | None] | None = None,
               alignments: dict[int, Alignment] | None = None, defer: bool = False) -> Rows | None:
    """Write a frame's rows from `first_row` down, values, types and styles prepared column by column
    (planner.report.bulk.Rows): numbers as numbers, text always as text (illegal characters dropped, a quote prefix
    when it looks like a formula). `formats` {column position: number format, or one per row} and `alignments`
    {column position: alignment} are registered once per distinct style. With `defer`, the rows are not added to
    the sheet but returned, for bulk.save_workbook to write as XML (None, and written as cells, when some value
    needs openpyxl's own conversion, e.g. a date); nothing may change those cells afterwards."""
    if not len(df) or not df.shape[1]:
        return None
    rows = Rows(ws, first_row, df, formats, alignments)
    if defer and rows.deferrable:
        return rows
    rows.to_cells(ws)
    return None


def number_format(column: str, values: pd.Series, lang: str = "vi") -> str | None:
    """Excel number format (locale-tagged for `lang`) from the column name and values (None for text)."""
    return localized(_number_format(column, values), lang)


def _number_format(column: str, values: pd.Series) -> str | None:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    base = L.base_column(column)
    if base.endswith("_vnd"):
        return FMT_VND
    if base.endswith(("_code", "_year")) or base in ("runner_up_commune", "year"):
        return FMT_CODE
    if base in ("lon", "lat"):
        return FMT_COORD
    if base.endswith("_km") or base == "km":
        return FMT_KM
    if base == "share" or base.endswith(("_ratio", "_share")):
        return FMT_PCT
    if base.endswith("_seconds"):
        return FMT_DEC
    floats = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    floats = floats[np.isfinite(floats)]
    return FMT_INT if np.all(np.round(floats) == floats) else FMT_DEC


def formats_by_unit(values: pd.Series, units: pd.Series | None, lang: str = "vi") -> list[str]:
    """Per-row formats (locale-tagged for `lang`) for mixed KPI columns, chosen by each row's unit."""
    return [localized(f, lang) for f in _formats_by_unit(values, units)]


def _formats_by_unit(values: pd.Series, units: pd.Series | None) -> list[str]:
    out = []
    unit_list = units.tolist() if units is not None else [None] * len(values)
    for value, unit in zip(values.tolist(), unit_list):
        unit = str(unit) if has(unit) else ""
        if unit in ("VND", "đồng"):
            out.append(FMT_VND)
        elif unit in ("ratio", "share", "tỷ lệ"):
            out.append(FMT_PCT)
        elif unit == "%":
            out.append(FMT_PERCENT)
        elif isinstance(value, (int, float, np.number)) and np.isfinite(value) and float(value) == round(float(value)):
            out.append(FMT_INT)
        else:
            out.append(FMT_DEC if unit != "km" else FMT_KM)
    return out


def widths(ws, shown: pd.DataFrame, headers: list[str]) -> None:
    """Column widths from the values (95th percentile of text lengths) and the header words."""
    for j, (col, header) in enumerate(zip(shown.columns, headers), start=1):
        values = shown[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
            numbers = np.abs(numbers[np.isfinite(numbers)])
            # digits of the largest value with separators (and two decimals when not whole), plus a margin
            whole = bool(np.all(np.round(numbers) == numbers))
            value_width = len(f"{numbers.max():,.0f}") + (0 if whole else 3) + 2 if len(numbers) else 8
        else:
            lengths = [len(str(v)) for v in values.tolist() if v is not None and v is not pd.NA and v == v]
            value_width = float(np.percentile(lengths, 95)) * 1.1 + 2 if lengths else 8
        longest_word = max((len(w) for w in header.split()), default=4)
        width = max(value_width, longest_word + 2, len(header) / 3 + 2)
        ws.column_dimensions[get_column_letter(j)].width = float(min(max(width, 6), 50))


def sheet_title(label: str, taken: list[str]) -> str:
    """A valid, unique Excel sheet name (31 characters, no []:*?/\\)."""
    title = re.sub(r"[\[\]:*?/\\]", "-", label).strip("'")[:31] or "Sheet"
    candidate, k = title, 2
    while candidate.lower() in (t.lower() for t in taken):
        suffix = f" ({k})"
        candidate, k = title[: 31 - len(suffix)] + suffix, k + 1
    return candidate


def absolute(ref: str) -> str:
    """'A3:F10' -> '$A$3:$F$10'."""
    start, end = ref.split(":")
    split = re.compile(r"([A-Z]+)(\d+)")
    a, b = split.fullmatch(start).groups(), split.fullmatch(end).groups()
    return f"${a[0]}${a[1]}:${b[0]}${b[1]}"


def header_escape(text: str) -> str:
    """Text for a page header or footer ('&' is a code there)."""
    return text.replace("&", "&&")


def has(value) -> bool:
    """Not missing and not empty text."""
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NA \
        and str(value) != ""


def number_or_text(value):
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return float(number) if pd.notna(number) else (str(value) if has(value) else None)
