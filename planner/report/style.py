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

__all__ = ["DEFINED_NAME_PREFIX", "HEADER_ROW"]

FMT_VND = '#,##0 "₫"'
FMT_INT = "#,##0"
FMT_CODE = "0"
FMT_KM = "#,##0.0"
FMT_PCT = "0.0%"
FMT_DEC = "#,##0.00"
FMT_COORD = "0.0000"

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
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


def write_rows(ws, first_row: int, df: pd.DataFrame) -> None:
    """Append a frame's rows fast, then force text on cells that look like formulas."""
    if not len(df):
        return
    clean = df.astype(object).where(df.notna(), None)
    text_cols = []
    for j, col in enumerate(clean.columns):
        values = clean[col]
        is_text = values.map(lambda v: isinstance(v, str))
        if is_text.any():
            clean[col] = values.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
            text_cols.append(j)
    rows = ([python_scalar(v) for v in values] for values in clean.itertuples(index=False, name=None))
    if ws.max_row == first_row - 1:  # the usual case: rows go right under the header (fast path)
        for row in rows:
            ws.append(row)
    else:
        for k, row in enumerate(rows):
            for j, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(first_row + k, j).value = value
    for j in text_cols:
        risky = clean.iloc[:, j].map(looks_like_formula).to_numpy()
        for k in np.flatnonzero(risky):
            cell = ws.cell(first_row + int(k), j + 1)
            cell.data_type = "s"
            cell.quotePrefix = True


def python_scalar(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else ("∞" if value > 0 else "-∞")
    return value


def number_format(column: str, values: pd.Series) -> str | None:
    """Excel number format from the column name and values (None for text)."""
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


def formats_by_unit(values: pd.Series, units: pd.Series | None) -> list[str]:
    """Per-row formats for mixed KPI columns, chosen by each row's unit."""
    out = []
    unit_list = units.tolist() if units is not None else [None] * len(values)
    for value, unit in zip(values.tolist(), unit_list):
        unit = str(unit) if has(unit) else ""
        if unit in ("VND", "đồng"):
            out.append(FMT_VND)
        elif unit in ("ratio", "share", "tỷ lệ"):
            out.append(FMT_PCT)
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
            # digits of the largest value with separators and two decimals, plus room for a currency sign
            value_width = len(f"{numbers.max():,.2f}") + 4 if len(numbers) else 8
        else:
            lengths = [len(str(v)) for v in values.tolist() if v is not None and v is not pd.NA and v == v]
            value_width = float(np.percentile(lengths, 95)) * 1.1 + 2 if lengths else 8
        longest_word = max((len(w) for w in header.split()), default=4)
        width = max(value_width, longest_word + 3, len(header) / 3 + 3)
        ws.column_dimensions[get_column_letter(j)].width = float(min(max(width, 8), 50))


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
