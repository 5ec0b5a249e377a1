"""A workbook in one language with formatted table sheets: the writer every report workbook builds on.

A table sheet has its title and context in rows 1-2, the header in row HEADER_ROW, data below; frozen
panes, filters, number formats, highlights (shortages red, surplus amber, costs as data bars), print
setup, and the workbook-level defined name `planner_<table>` that planner.readback finds it by.
Codes, booleans, KPI keys and units are shown in words (planner.labels, planner.kpis); names of
communes, old units and buildings are put beside their codes. The file is saved atomically; the table sheets'
data rows are written straight as XML (planner.report.bulk), the same file openpyxl would write, several times faster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import numpy as np
import pandas as pd
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from .. import labels as L
from ..dataset import Dataset
from ..errors import OutputError
from ..files import save_atomic
from ..kpis import kpi_labels
from ..messages import in_language
from . import words as W
from .anonymize import Anonymizer
from .bulk import Rendered, save_workbook
from .style import (AMBER_FILL, DEFINED_NAME_PREFIX, GREEN_FILL, HEADER_ALIGNMENT, HEADER_BORDER, HEADER_FILL,
                    HEADER_FONT, HEADER_ROW, LOOKUP_FILL, RED_FILL, ROW_RED_FILL, SUBTITLE_FONT, TITLE_FONT, absolute,
                    formats_by_unit, header_escape, number_format, put, sheet_title, widths, write_rows)

KPI_DETAIL_COLUMNS = ("code", "param")
# Text columns that say the same on every row of a table are shown once, under the title (e.g. which LP the dual
# values come from), unless they differ between rows
ONCE_COLUMNS = ("marginal_value_basis",)
MARGIN_IN = 0.4  # left and right page margins (inches)
PORTRAIT_WIDTH = 95  # printed columns up to this total width (characters) fit A4 portrait at full size  # folded into the KPI label when a table is shown
# Long texts wrapped in the cell (tables of a few dozen rows that are read line by line)
WRAPPED_COLUMNS = {"norms_used": ("rule", "source", "note")}
WRAPPED_WIDTH = 40  # characters


def no_print_area(ncols: int) -> str:
    """An empty cell right of the table: the print area of a sheet that is not printed."""
    letter = get_column_letter(ncols + 2)
    return f"{letter}1:{letter}1"


@dataclass(frozen=True)
class SheetView:
    """What of a table sheet prints: every row ('all'), the rows meeting `rows_when` ('rows', those rows are sorted
    first), or nothing ('none': a lookup sheet); (`<column>><number>`, `<column>=<value>`, `<column>!=<value>`); `columns` (machine names) print first, the others follow unprinted;
    `wrap` columns are wrapped in the cell."""
    printed: str = "all"
    rows_when: str = ""
    columns: tuple[str, ...] = ()
    wrap: tuple[str, ...] = ()

    def _rule(self) -> tuple[str, str, str]:
        hit = re.fullmatch(r"\s*(\w+)\s*(>|!=|=)\s*(\w+)\s*", self.rows_when)
        if hit is None:
            raise ValueError(f"print rule {self.rows_when!r}: expected <column>><number>, <column>=<value> or "
                             "<column>!=<value>")
        return hit[1], hit[2], hit[3]

    def rows_mask(self, df: pd.DataFrame) -> np.ndarray:
        """Which rows of the (machine) table print."""
        column, op, value = self._rule()
        if column not in df.columns:
            return np.ones(len(df), dtype=bool)
        values = df[column]
        if op == ">":
            return (pd.to_numeric(values, errors="coerce").fillna(0) > float(value)).to_numpy()
        if value.lower() in ("true", "false"):
            equal = values.astype("boolean").fillna(False).eq(value.lower() == "true").to_numpy(dtype=bool)
        else:
            equal = values.astype(str).eq(value).to_numpy()
        return ~equal if op == "!=" else equal

    def rows_text(self, lang: str) -> str:
        column, op, value = self._rule()
        if value.lower() in ("true", "false"):
            value = L.value_labels("bool", lang)[value.lower()]
        elif L.base_column(column) in L.VALUE_KIND:
            value = L.value_label(L.VALUE_KIND[L.base_column(column)], value, lang)
        return f"{L.column_label(column, lang)} {'≠' if op == '!=' else op} {value}"


def _count(n: int, lang: str) -> str:
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "vi" else text


def _fold_constant_columns(shown: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Drop ONCE_COLUMNS holding one text on every row; return the frame and {column: text} to say once."""
    once = {}
    for col in ONCE_COLUMNS:
        if col in shown.columns and len(shown) and shown[col].astype(str).nunique() == 1:
            once[col] = str(shown[col].iloc[0])
    return shown.drop(columns=list(once)), once


def ordered(tables: dict, order: list[str]) -> dict:
    """Tables named in `order` first (in that order), then the others as given."""
    known = {name: tables[name] for name in order if name in tables}
    return known | {name: df for name, df in tables.items() if name not in known}


class SheetWriter:
    """One workbook being written in `lang`; `dataset` (optional) gives the names beside codes."""

    def __init__(self, lang: str, dataset: Dataset | None, province: str, scenario: str, status: str | None,
                 anonymizer: Anonymizer | None):
        self.lang = L.check_lang(lang)
        self.dataset = dataset
        self.province = str(province or "")
        self.scenario = str(scenario or "")
        self.status = status
        self.anon = anonymizer
        self.wb = openpyxl.Workbook()
        self.wb.remove(self.wb.active)  # sheets are added as tables come
        self.wb.properties.creator = "planner"
        self.wb.properties.title = f"{L.text('title', lang)} - {self.province}"
        self.lookups = self._lookups(dataset)
        self.bulk: dict = {}  # worksheet -> its data rows, written as XML when saving (planner.report.bulk)
        self.rendered: dict = {}  # worksheet -> its XML made before saving (render)

    # ----- helpers
    @staticmethod
    def _lookups(dataset: Dataset | None) -> dict[str, dict]:
        if dataset is None:
            return {}
        communes = dataset["communes"]
        old_units = dataset["old_units"].drop_duplicates("id")
        buildings = dataset["buildings"]
        return {
            "commune_code": dict(zip(communes["code"].astype("Int64").tolist(), communes["name"].tolist())),
            "old_unit_id": dict(zip(old_units["id"].tolist(), old_units["name"].tolist())),
            "building_id": dict(zip(buildings["id"].tolist(), buildings["name"].tolist())),
        }

    def new_sheet(self, table: str):
        return self.wb.create_sheet(sheet_title(L.sheet_label(table, self.lang), self.wb.sheetnames))

    def plan_name(self) -> str:
        """The plan as the page footer names it: title, province, scenario."""
        return " — ".join(p for p in (L.text("title", self.lang), self.province, self.scenario) if p)

    def page_setup(self, ws, header_row: int | None = None, print_area: str | None = None,
                   landscape: bool = True) -> None:
        """A4, fit to the page width, narrow margins, the header row repeated, footer with plan name and page."""
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = ws.page_margins.right = MARGIN_IN
        ws.page_margins.top = ws.page_margins.bottom = 0.55
        ws.page_margins.header = ws.page_margins.footer = 0.25
        ws.print_options.gridLines = False
        if header_row:
            ws.print_title_rows = f"{header_row}:{header_row}"
        if print_area:
            ws.print_area = print_area
        context = [p for p in (self.province, f"{L.text('scenario', self.lang)}: {self.scenario}" if self.scenario else "")
                   if p]
        if self.status:
            context.append(L.value_label("plan_status", self.status, self.lang))
        ws.oddHeader.center.text = header_escape(" — ".join(context))
        ws.oddHeader.center.size = 9
        ws.oddFooter.left.text = header_escape(self.plan_name())
        ws.oddFooter.left.size = 9
        ws.oddFooter.right.text = f"{header_escape(ws.title)} · {L.text('page', self.lang)}"
        ws.oddFooter.right.size = 9

    def display(self, df: pd.DataFrame) -> pd.DataFrame:
        """Sentences in the workbook's language, names beside codes, names anonymized when asked, codes and booleans
        in words, KPI keys as their labels (with the row's code and number; those columns are then left out)."""
        out = in_language(df.reset_index(drop=True), self.lang)
        if "kpi" in out.columns:
            out = out.assign(kpi=kpi_labels(out, self.lang)).drop(columns=list(KPI_DETAIL_COLUMNS), errors="ignore")
        out = self._with_names(out)
        if self.anon is not None:
            out = self.anon.frame(out)
        for col in out.columns:
            series = out[col]
            if pd.api.types.is_bool_dtype(series) or str(series.dtype) == "boolean":
                words = L.value_labels("bool", self.lang)
                out[col] = series.astype(object).map({True: words["true"], False: words["false"]}).astype(object)
            elif L.base_column(col) in L.VALUE_KIND and not pd.api.types.is_numeric_dtype(series):
                words = L.value_labels(L.VALUE_KIND[L.base_column(col)], self.lang)
                if L.base_column(col) in L.LIST_COLUMNS:
                    out[col] = series.map(lambda v: ", ".join(words.get(p, p) for p in str(v).split(", ")),
                                          na_action="ignore")
                else:
                    out[col] = series.astype(object).map(lambda v: words.get(v, v))
            elif col == "unit":
                words = L.value_labels("unit", self.lang)
                out[col] = series.astype(object).map(lambda v: words.get(v, v))
        return out

    def _with_names(self, df: pd.DataFrame) -> pd.DataFrame:
        """Insert e.g. to_commune_name after to_commune_code when the table lacks it (readability)."""
        if not self.lookups:
            return df
        out = df
        for col in list(df.columns):
            for suffix, name_suffix in (("commune_code", "commune_name"), ("old_unit_id", "old_unit_name"),
                                        ("building_id", "building_name")):
                if not col.endswith(suffix) or L.SCENARIO_COLUMN.match(col):
                    continue
                name_col = col[: -len(suffix)] + name_suffix
                if name_col in out.columns:
                    continue
                lookup = self.lookups[suffix]
                values = out[col].astype(object).map(lambda v: lookup.get(v) if pd.notna(v) else None)
                if values.notna().any():
                    out = out.copy()
                    out.insert(out.columns.get_loc(col) + 1, name_col, values)
        return out

    # ----- a result table
    def table(self, table: str, df: pd.DataFrame, view: SheetView | None = None, headers: dict[str, str] | None = None,
              formats: dict[str, str] | None = None, note: str = "") -> None:
        """One table on its own sheet; `view` says what of it prints (planner/schema/outputs/workbook_sheets.csv),
        `headers` and `formats` replace the labels and number formats of some columns, `note` goes under the title."""
        headers = headers or {}
        view = view or SheetView()
        ws = self.new_sheet(table)
        shown = self.display(df)
        shown, once = _fold_constant_columns(shown)
        printed_columns = [c for c in view.columns if c in shown.columns]
        if printed_columns:
            shown = shown[printed_columns + [c for c in shown.columns if c not in printed_columns]]
        printed_rows = len(shown)
        if view.printed == "rows":
            keep = view.rows_mask(df)
            shown = shown.iloc[np.argsort(~keep, kind="stable")].reset_index(drop=True)
            printed_rows = int(keep.sum())
        ncols = max(len(shown.columns), 1)
        put(ws.cell(1, 1), f"{L.sheet_label(table, self.lang)} — {self.province}" if self.province
            else L.sheet_label(table, self.lang))
        ws.cell(1, 1).font = TITLE_FONT
        context = [f"{L.text('scenario', self.lang)}: {self.scenario}"] if self.scenario else []
        if self.status:
            context.append(f"{L.text('plan_status', self.lang)}: {L.value_label('plan_status', self.status, self.lang)}")
        context.append(f"{_count(len(df), self.lang)} {L.text('rows', self.lang)}" if len(df)
                       else L.text("no_rows", self.lang))
        context += [f"{L.column_label(col, self.lang)}: {value}" for col, value in once.items()]
        context += [note] if note else []
        prints = view.printed != "none" and printed_rows > 0 and len(shown.columns) > 0
        if view.printed == "none" and len(df):
            context.append(W.text("print_none", self.lang))
        elif view.printed == "rows" and len(df):
            context.append(W.text("print_rows", self.lang).format(
                count=_count(printed_rows, self.lang), rule=view.rows_text(self.lang)))
        if printed_columns and len(printed_columns) < len(shown.columns):
            context.append(W.text("print_columns", self.lang))
        put(ws.cell(2, 1), " · ".join(context))
        ws.cell(2, 1).font = SUBTITLE_FONT
        ws.cell(2, 1).alignment = Alignment(wrap_text=True, vertical="top")
        labels = [headers.get(c) or L.column_label(c, self.lang) for c in shown.columns]
        self.header(ws, HEADER_ROW, labels)
        for j in range(len(printed_columns) + 1, ncols + 1) if printed_columns else ():
            ws.cell(HEADER_ROW, j).fill = LOOKUP_FILL  # on screen, not on paper
        wrap = set(WRAPPED_COLUMNS.get(table, ())) | set(view.wrap)
        wrapped = [j for j, col in enumerate(shown.columns, start=1) if col in wrap]
        # wrapped columns wrap at the top of the cell; the other cells of their rows sit at the top too
        alignments = {j - 1: Alignment(wrap_text=True if j in wrapped else None, vertical="top")
                      for j in range(1, ncols + 1)} if wrapped else {}
        rows = write_rows(ws, HEADER_ROW + 1, shown, self._formats(shown, self.lang, formats or {}), alignments,
                          defer=True)
        if rows is not None:
            self.bulk[ws] = rows
        last_row = HEADER_ROW + max(len(shown), 1)
        widths(ws, shown, labels)
        header_lines = max((np.ceil(len(text) / max((ws.column_dimensions[get_column_letter(j)].width or 8) - 1, 1))
                            for j, text in enumerate(labels, start=1)), default=1)
        ws.row_dimensions[HEADER_ROW].height = float(max(45, 14 * header_lines + 4))
        lines = np.ones(len(shown))
        for j in wrapped:
            width = WRAPPED_WIDTH
            ws.column_dimensions[get_column_letter(j)].width = width
            text = shown.iloc[:, j - 1].astype(str).to_numpy()
            lines = np.maximum(lines, [np.ceil(len(t) / (width * 0.9)) for t in text])
        if wrapped:  # spreadsheet programs do not grow rows for wrapped text written by a library: set the heights
            for k, n in enumerate(lines):
                ws.row_dimensions[HEADER_ROW + 1 + k].height = float(14 * max(n, 1))
        ref = f"A{HEADER_ROW}:{get_column_letter(ncols)}{last_row}"
        if len(shown.columns):
            ws.auto_filter.ref = ref
            ws.freeze_panes = f"{get_column_letter(2 if ncols > 6 else 1)}{HEADER_ROW + 1}"
            self.wb.defined_names[DEFINED_NAME_PREFIX + table] = DefinedName(
                DEFINED_NAME_PREFIX + table, attr_text=f"{quote_sheetname(ws.title)}!{absolute(ref)}")
        self._highlights(ws, shown, table, last_row)
        last_col = get_column_letter(len(printed_columns) or ncols)
        # an empty cell as print area: LibreOffice and Excel then print nothing of a lookup sheet
        area = f"A1:{last_col}{HEADER_ROW + printed_rows}" if prints else no_print_area(ncols)
        printed_width = sum(ws.column_dimensions[get_column_letter(j)].width or 8
                            for j in range(1, (len(printed_columns) or ncols) + 1))
        if len(shown.columns) > 1:  # the context line wraps within the printed columns instead of running past them
            ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(printed_columns) or ncols)
            ws.row_dimensions[2].height = 14.0 * max(1, int(np.ceil(len(str(ws.cell(2, 1).value)) / (printed_width * 1.1))))
        self.page_setup(ws, HEADER_ROW, print_area=area, landscape=printed_width > PORTRAIT_WIDTH)

    def header(self, ws, row: int, headers: list[str]) -> None:
        for col, text in enumerate(headers, start=1):
            cell = ws.cell(row, col)
            put(cell, text)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = HEADER_ALIGNMENT
            cell.border = HEADER_BORDER
        ws.row_dimensions[row].height = 45

    @staticmethod
    def _formats(shown: pd.DataFrame, lang: str = "vi", fixed: dict[str, str] | None = None) -> dict[int, str | list[str]]:
        """Number formats by column position (for write_rows); in KPI tables (with a unit column) one per row, by
        the row's unit."""
        out: dict[int, str | list[str]] = {}
        if not len(shown):
            return out
        for j, col in enumerate(shown.columns):
            if col in (fixed or {}):
                out[j] = fixed[col]
            elif "unit" in shown.columns and (col == "value" or L.SCENARIO_COLUMN.match(col)):
                out[j] = formats_by_unit(shown[col], shown["unit"], lang)
            else:
                fmt = number_format(col, shown[col], lang)
                if fmt is not None:
                    out[j] = fmt
        return out

    def _highlights(self, ws, shown: pd.DataFrame, table: str, last_row: int) -> None:
        """Shortages and unmet needs in red, surplus in amber, costs as data bars."""
        if not len(shown):
            return
        first = HEADER_ROW + 1
        letters = {col: get_column_letter(j) for j, col in enumerate(shown.columns, start=1)}
        width = get_column_letter(len(shown.columns))
        for col, letter in letters.items():
            base = L.base_column(col)
            rng = f"{letter}{first}:{letter}{last_row}"
            numeric = pd.api.types.is_numeric_dtype(shown[col])
            if base in ("shortage", "unmet") and numeric:
                # the cell rule first: LibreOffice shows only the first matching rule
                ws.conditional_formatting.add(rng, CellIsRule(operator="greaterThan", formula=["0"], fill=RED_FILL,
                                                              font=Font(bold=True, color="9C0006")))
                ws.conditional_formatting.add(f"A{first}:{width}{last_row}", FormulaRule(
                    formula=[f"${letter}{first}>0"], fill=ROW_RED_FILL))
            elif base == "surplus" and numeric:
                ws.conditional_formatting.add(rng, CellIsRule(operator="greaterThan", formula=["0"], fill=AMBER_FILL))
            elif base == "shortage_ratio" and numeric:
                ws.conditional_formatting.add(rng, ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                                                                  end_type="num", end_value=1, end_color="F8696B"))
            elif base in ("delta", "count_delta", "cost_delta_vnd") and numeric:
                # in shortage tables more is worse; elsewhere the sign is shown, not judged
                worse = RED_FILL if table == "shortage_delta" else AMBER_FILL
                ws.conditional_formatting.add(rng, CellIsRule(operator="greaterThan", formula=["0"], fill=worse))
                ws.conditional_formatting.add(rng, CellIsRule(operator="lessThan", formula=["0"], fill=GREEN_FILL))
            elif base == "covered":
                no = L.value_labels("bool", self.lang)["false"]
                ws.conditional_formatting.add(f"A{first}:{width}{last_row}", FormulaRule(
                    formula=[f'${letter}{first}="{no}"'], fill=ROW_RED_FILL))
            elif numeric and (base.endswith("cost_vnd") or (table == "recruitment_needs" and base == "count")):
                ws.conditional_formatting.add(rng, DataBarRule(start_type="num", start_value=0, end_type="max",
                                                               color="5B9BD5"))

    # ----- the file
    def render(self) -> None:
        """Make the XML of the sheets written so far now, e.g. while waiting for the plan's last stage; saving then
        only writes it (a sheet changed since is made again)."""
        for ws in self.wb.worksheets:
            self.rendered[ws] = Rendered(ws, self.bulk.get(ws))

    def save(self, path: Path, protected: list[str | None]) -> Path:
        """Save as `path` (.xlsx) through a temporary file in the same folder, never over an input in `protected`."""
        path = Path(path)
        if path.suffix.lower() != ".xlsx":
            raise OutputError(f"the output must be an .xlsx file, not {path.name}")
        return save_atomic(path, lambda tmp: save_workbook(self.wb, tmp, self.bulk, self.rendered),
                           refuse_overwrite_of=protected)
