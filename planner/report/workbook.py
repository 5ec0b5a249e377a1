"""The leadership workbook: a Summary sheet, then one formatted sheet per result table.

Written with openpyxl, read in meetings: styled headers, frozen panes, filters, number formats,
conditional formatting on shortages and budgets, print setup, native charts, labels in Vietnamese
(default) or English. Every table's range is registered as a workbook-level defined name
`planner_<table>`, so programs find it whatever the language (see read_plan_assignments).
Text from the data is always stored as text, never as a formula; the file is written to a
temporary name beside the target and renamed, and never over the input workbook.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import yaml
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from ..dataset import Dataset
from ..messages import in_language, translated
from ..errors import OutputError, PlanInfeasible
from ..plan import Plan
from .. import labels as L

HEADER_ROW = 3  # rows 1-2 carry the sheet title and context
DEFINED_NAME_PREFIX = "planner_"

FMT_VND = '#,##0 "₫"'
FMT_INT = "#,##0"
FMT_CODE = "0"
FMT_KM = "#,##0.0"
FMT_PCT = "0.0%"
FMT_DEC = "#,##0.00"
FMT_COORD = "0.0000"

# Table order on the workbook; tables not listed follow in the plan's order.
TABLE_ORDER = [
    "staffing_by_commune", "assignments", "surplus_officials", "recruitment_needs", "it_coverage",
    "it_officer_load", "hq_plan", "service_points", "service_coverage", "building_uses", "surplus_buildings",
    "housing_needs", "equipment_demand", "equipment_transfers", "equipment_repairs", "equipment_purchases", "unmet_equipment",
    "surplus_equipment", "equipment_balance",
]
COMPARISON_ORDER = ["kpis", "moved_officials", "shortage_delta", "building_changes", "purchase_changes"]
HQ_USES = {"hq", "commune_hq", "headquarters", "service_point"}

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
SUBTITLE_FONT = Font(italic=True, color="595959")
BLOCK_FONT = Font(bold=True, size=12, color="1F4E78")
RED_FILL = PatternFill("solid", fgColor="F8CBAD")
ROW_RED_FILL = PatternFill("solid", fgColor="FCE4D6")
AMBER_FILL = PatternFill("solid", fgColor="FFE699")
GREEN_FILL = PatternFill("solid", fgColor="C6EFCE")
STATUS_FILL = {"draft": AMBER_FILL, "reviewed": PatternFill("solid", fgColor="BDD7EE"), "approved": GREEN_FILL}
THIN = Side(style="thin", color="BFBFBF")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
HEADER_BORDER = Border(bottom=THIN, right=THIN)
UNIT_ALIGNMENT = Alignment(indent=1)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------- public API

def write_plan_workbook(plan: Plan, dataset: Dataset, path: Path, lang: str = "vi", anonymize: bool = False,
                        comparison: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the leadership workbook for one plan (plus comparison sheets when given); return its path."""
    writer = _Writer(lang, dataset, plan.provenance.get("province") or dataset.province,
                     plan.provenance.get("scenario_name", ""), plan.status,
                     _Anonymizer.build(dataset, plan.tables) if anonymize else None)
    tables = _meeting_tables(plan.tables)
    writer.summary(plan, tables)
    for name, df in tables.items():
        writer.table(name, df)
    for name, df in _ordered(comparison or {}, COMPARISON_ORDER).items():
        writer.table(name, df)
    return _save_atomic(writer.wb, Path(path), protected=[dataset.source])


def write_comparison_workbook(comparison: dict[str, pd.DataFrame], path: Path, lang: str = "vi",
                              anonymize: bool = False) -> Path:
    """Write only the scenario comparison (tables from planner.compare.compare_plans)."""
    writer = _Writer(lang, None, "", ", ".join(_scenarios_in(comparison)), None,
                     _Anonymizer.build(None, comparison) if anonymize else None)
    for name, df in _ordered(comparison, COMPARISON_ORDER).items():
        writer.table(name, df)
    return _save_atomic(writer.wb, Path(path), protected=[])


def write_infeasibility(err: PlanInfeasible, out: Path, scenario, dataset: Dataset, lang: str = "vi") -> Path:
    """Explain an infeasible scenario: a small workbook at `out` (words + conflicts table) and a .txt beside it."""
    out = Path(out)
    writer = _Writer(lang, dataset, dataset.province, scenario.name, None, None)
    ws = writer.new_sheet("explanation")
    title = f"{L.text('infeasible_title', lang)} — {dataset.province}"
    stage = L.value_label("stage", err.stage, lang)
    lines = [title,
             f"{L.text('scenario', lang)}: {scenario.name} ({scenario.digest()})",
             f"{L.text('infeasible_stage', lang)}: {stage}", ""]
    lines += [f"• {translated(line, lang)}" for line in err.lines] + ["", L.text("infeasible_hint", lang)]
    for row, line in enumerate(lines, start=1):
        _put(ws.cell(row, 1), line)
    ws.cell(1, 1).font = TITLE_FONT
    ws.column_dimensions["A"].width = 120
    for row in range(5, len(lines) + 1):
        ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    writer.page_setup(ws)
    writer.table("conflicts", err.conflicts if err.conflicts is not None else pd.DataFrame())
    path = _save_atomic(writer.wb, out, protected=[dataset.source])
    txt = out.with_suffix(".txt")
    _refuse_input(txt, [dataset.source])
    txt.write_text("\n".join(lines) + "\n" + _conflicts_text(err.conflicts, lang), encoding="utf-8")
    return path


def print_summary(plan: Plan, path: Path, csv_dir: str | None = None) -> None:
    """Short console summary: province, scenario, status, KPIs, solver runs, where the outputs are.

    Per-field and per-use breakdown KPIs are shown only when not zero; solves of one model
    (e.g. the priority levels of the equipment model) are added up on one line.
    """
    prov = plan.provenance
    print(f"{prov.get('province', '')} - scenario '{prov.get('scenario_name', '')}' "
          f"({prov.get('scenario_digest', '')}), plan status {plan.status}, data {prov.get('data_hash', '')}")
    values = pd.to_numeric(plan.kpis["value"], errors="coerce")
    shown = plan.kpis[~(plan.kpis["kpi"].astype(str).map(L.is_breakdown_kpi) & (values == 0))]
    for stage, rows in shown.groupby("stage", sort=False):
        figures = "; ".join(f"{L.kpi_label(str(r.kpi), 'en')} {_plain_number(r.value)}{' ' + str(r.unit) if _has(r.unit) else ''}"
                            for r in rows.itertuples())
        print(textwrap.fill(figures, width=110, initial_indent=f"  {stage}: ", subsequent_indent="      "))
    if len(plan.solves):
        runs = plan.solves.assign(family=plan.solves["model"].astype(str).str.split(":").str[0])
        for family, group in runs.groupby("family", sort=False):
            statuses = ", ".join(f"{n} {status}" for status, n in group["status"].value_counts().items())
            print(f"  solver {family}: {group['solver_version'].iloc[0]}, {len(group)} solve(s) ({statuses}), "
                  f"build {group['build_seconds'].sum():.2f} s + solve {group['solve_seconds'].sum():.2f} s, "
                  f"up to {int(group['variables'].max()):,} variables")
    if not plan.tables:
        print("  no model ran (nothing enabled or no models installed)")
    print(f"workbook: {path}")
    if csv_dir:
        print(f"CSV tables: {csv_dir}")


def read_plan_assignments(path: Path) -> pd.DataFrame:
    """Assignments (official_id, commune_code, position, field) of an earlier plan.

    Reads a result workbook in either language (found by the defined name planner_assignments,
    else by sheet name), an assignments.csv, or a folder holding assignments.csv. Edits made in
    Excel to the assignments sheet are honoured; labels are mapped back to codes.
    """
    path = Path(path)
    columns = ["official_id", "commune_code", "position", "field"]
    if path.is_dir():
        path = path / "assignments.csv"
    if not path.exists():
        raise FileNotFoundError(f"previous plan not found: {path}")
    if path.suffix.lower() == ".csv":
        raw = pd.read_csv(path, dtype={"official_id": str, "position": str, "field": str})
    else:
        raw = _read_sheet_table(path, "assignments", required=tuple(columns))
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: the assignments table has no column {', '.join(missing)}")
    out = raw[columns].dropna(subset=["official_id"]).copy()
    out["official_id"] = out["official_id"].astype(str).str.strip().astype("string")
    out["commune_code"] = pd.to_numeric(out["commune_code"], errors="coerce").round().astype("Int64")
    for col in ("position", "field"):
        codes = L.reverse_values(L.VALUE_KIND[col])
        out[col] = out[col].map(lambda v: codes.get(str(v).strip(), str(v).strip()), na_action="ignore").astype("string")
    return out.reset_index(drop=True)


def read_table(path: Path, table: str) -> pd.DataFrame:
    """A result table read back from a workbook written here (machine column names, labels as written)."""
    return _read_sheet_table(Path(path), table)


# ---------------------------------------------------------------- tables for the meeting

def _meeting_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The plan's tables plus derived views (surplus buildings, surplus equipment), in workbook order."""
    out = dict(tables)
    uses = tables.get("building_uses")
    if uses is not None and "use" in uses.columns:
        out["surplus_buildings"] = uses[~uses["use"].isin(HQ_USES)].reset_index(drop=True)
    balance = tables.get("equipment_balance")
    if balance is not None and {"surplus", "disposed"} <= set(balance.columns):
        keep = [c for c in ("old_unit_id", "item_type", "inventory", "surplus", "disposed", "surplus_value_vnd")
                if c in balance.columns]
        rows = (balance["surplus"].astype(float) > 0) | (balance["disposed"].astype(float) > 0)
        out["surplus_equipment"] = balance.loc[rows, keep].reset_index(drop=True)
    return _ordered(out, TABLE_ORDER)


def _ordered(tables: dict, order: list[str]) -> dict:
    known = {name: tables[name] for name in order if name in tables}
    return known | {name: df for name, df in tables.items() if name not in known}


def _scenarios_in(comparison: dict[str, pd.DataFrame]) -> list[str]:
    kpis = comparison.get("kpis")
    if kpis is None:
        return []
    hits = (L.SCENARIO_COLUMN.match(c) for c in kpis.columns)
    return [hit["scenario"] for hit in hits if hit and hit["base"] == "value"]


# ---------------------------------------------------------------- anonymization

class _Anonymizer:
    """Replaces officials' names with their ids, in name columns and inside any text."""

    def __init__(self, name_to_id: dict[str, str]):
        self.name_to_id = name_to_id
        names = sorted(name_to_id, key=len, reverse=True)
        self.pattern = (re.compile(r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?!\w)")
                        if names else None)

    @classmethod
    def build(cls, dataset: Dataset | None, tables: dict[str, pd.DataFrame]) -> "_Anonymizer":
        pairs = []
        if dataset is not None and len(dataset["officials"]):
            pairs.append(dataset["officials"][["name", "id"]].rename(columns={"id": "official_id"}))
        for df in tables.values():
            if {"name", "official_id"} <= set(df.columns):
                pairs.append(df[["name", "official_id"]])
        if not pairs:
            return cls({})
        both = pd.concat(pairs).dropna().astype(str).drop_duplicates()
        both = both[both["name"].str.strip() != ""]
        ids = both.groupby("name")["official_id"].agg(lambda s: "/".join(sorted(set(s))))
        return cls(ids.to_dict())

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        id_col = next((c for c in ("official_id", "officer_id") if c in out.columns), None)
        if id_col is not None and "name" in out.columns:
            out["name"] = out[id_col]
        if self.pattern is None:
            return out
        for col in out.columns:
            if _is_free_text(col) and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
                out[col] = out[col].map(self.text, na_action="ignore")
        return out

    def text(self, value):
        if self.pattern is None or not isinstance(value, str):
            return value
        return self.pattern.sub(lambda m: self.name_to_id[m.group(1)], value)


def _is_free_text(column: str) -> bool:
    """Columns that may mention people in words (notes, reasons), unlike ids, codes, place names, categories."""
    base = L.base_column(column)
    return not (base in L.VALUE_KIND or base in ("name", "unit") or base.endswith(("_id", "_code", "_name")))


# ---------------------------------------------------------------- the writer

class _Writer:
    def __init__(self, lang: str, dataset: Dataset | None, province: str, scenario: str, status: str | None,
                 anonymizer: _Anonymizer | None):
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
        return self.wb.create_sheet(_sheet_title(L.sheet_label(table, self.lang), self.wb.sheetnames))

    def page_setup(self, ws, header_row: int | None = None) -> None:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        if header_row:
            ws.print_title_rows = f"{header_row}:{header_row}"
        context = [p for p in (self.province, f"{L.text('scenario', self.lang)}: {self.scenario}" if self.scenario else "")
                   if p]
        if self.status:
            context.append(L.value_label("plan_status", self.status, self.lang))
        ws.oddHeader.center.text = _header_escape(" — ".join(context))
        ws.oddHeader.center.size = 9
        ws.oddFooter.left.text = _header_escape(ws.title)
        ws.oddFooter.right.text = L.text("page", self.lang)

    def display(self, df: pd.DataFrame) -> pd.DataFrame:
        """Sentences in the workbook's language, names beside codes, names anonymized when asked, codes and booleans in words."""
        out = in_language(df.reset_index(drop=True), self.lang)
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
                if L.base_column(col) == "changes":
                    out[col] = series.map(lambda v: ", ".join(words.get(p, p) for p in str(v).split(", ")),
                                          na_action="ignore")
                else:
                    out[col] = series.astype(object).map(lambda v: words.get(v, v))
            elif col == "kpi":
                out[col] = series.astype(object).map(lambda v: L.kpi_label(str(v), self.lang))
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
    def table(self, table: str, df: pd.DataFrame) -> None:
        ws = self.new_sheet(table)
        shown = self.display(df)
        ncols = max(len(shown.columns), 1)
        _put(ws.cell(1, 1), f"{L.sheet_label(table, self.lang)} — {self.province}" if self.province
             else L.sheet_label(table, self.lang))
        ws.cell(1, 1).font = TITLE_FONT
        context = [f"{L.text('scenario', self.lang)}: {self.scenario}"] if self.scenario else []
        if self.status:
            context.append(f"{L.text('plan_status', self.lang)}: {L.value_label('plan_status', self.status, self.lang)}")
        context.append(f"{len(df):,} {L.text('rows', self.lang)}" if len(df) else L.text("no_rows", self.lang))
        _put(ws.cell(2, 1), " · ".join(context))
        ws.cell(2, 1).font = SUBTITLE_FONT
        self._header(ws, HEADER_ROW, [L.column_label(c, self.lang) for c in shown.columns])
        _write_rows(ws, HEADER_ROW + 1, shown)
        last_row = HEADER_ROW + max(len(shown), 1)
        self._formats(ws, shown)
        _widths(ws, shown, [L.column_label(c, self.lang) for c in shown.columns])
        ref = f"A{HEADER_ROW}:{get_column_letter(ncols)}{last_row}"
        if len(shown.columns):
            ws.auto_filter.ref = ref
            ws.freeze_panes = ws.cell(HEADER_ROW + 1, 2 if ncols > 6 else 1)
            self.wb.defined_names[DEFINED_NAME_PREFIX + table] = DefinedName(
                DEFINED_NAME_PREFIX + table, attr_text=f"{quote_sheetname(ws.title)}!{_absolute(ref)}")
        self._highlights(ws, shown, table, last_row)
        self.page_setup(ws, HEADER_ROW)

    def _header(self, ws, row: int, headers: list[str]) -> None:
        for col, text in enumerate(headers, start=1):
            cell = ws.cell(row, col)
            _put(cell, text)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = HEADER_ALIGNMENT
            cell.border = HEADER_BORDER
        ws.row_dimensions[row].height = 45

    @staticmethod
    def _formats(ws, shown: pd.DataFrame) -> None:
        """Number formats by column; in KPI tables (with a unit column) by each row's unit."""
        first = HEADER_ROW + 1
        last = HEADER_ROW + len(shown)
        if not len(shown):
            return
        for j, col in enumerate(shown.columns, start=1):
            if "unit" in shown.columns and (col == "value" or L.SCENARIO_COLUMN.match(col)):
                formats = _formats_by_unit(shown[col], shown["unit"])
            else:
                fmt = number_format(col, shown[col])
                formats = None if fmt is None else [fmt] * len(shown)
            if formats is None:
                continue
            for (cell,), fmt in zip(ws.iter_rows(min_row=first, max_row=last, min_col=j, max_col=j), formats):
                cell.number_format = fmt

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

    # ----- the Summary sheet
    def summary(self, plan: Plan, tables: dict[str, pd.DataFrame]) -> None:
        lang = self.lang
        ws = self.new_sheet("summary")
        prov = plan.provenance
        _put(ws.cell(1, 1), f"{L.text('title', lang)} — {self.province}")
        ws.cell(1, 1).font = Font(bold=True, size=16, color="1F4E78")
        _put(ws.cell(2, 1), f"{L.text('scenario', lang)}: {self.scenario} · {L.text('plan_status', lang)}: "
                            f"{L.value_label('plan_status', plan.status, lang)}")
        ws.cell(2, 1).font = SUBTITLE_FONT
        info = [("province", self.province), ("scenario", self.scenario),
                ("plan_status", L.value_label("plan_status", plan.status, lang)),
                ("created_utc", prov.get("created_utc", "")), ("data_source", prov.get("data_source", "")),
                ("data_hash", prov.get("data_hash", "")), ("scenario_digest", prov.get("scenario_digest", "")),
                ("planner_version", prov.get("planner_version", "")),
                ("stages", ", ".join(L.value_label("stage", s, lang) for s in str(prov.get("stages", "")).split(",") if s))]
        row = 4
        for key, value in info:
            _put(ws.cell(row, 1), L.text(key, lang)).font = Font(bold=True)
            _put(ws.cell(row, 2), self.anon.text(str(value)) if self.anon else str(value))
            if key == "plan_status":
                ws.cell(row, 2).fill = STATUS_FILL.get(plan.status, AMBER_FILL)
                ws.cell(row, 2).font = Font(bold=True)
            row += 1

        row = self._block(ws, row + 1, "key_figures", self._kpi_rows(plan.kpis), ["kpi", "value", "unit", "stage"])
        budget = self._budget_rows(plan, tables)
        if len(budget):
            start = row + 3
            row = self._block(ws, row + 1, "budget", budget, ["budget_item", "budget_limit", "budget_used", "budget_share"],
                              headers=[L.text(k, lang) for k in ("budget_item", "budget_limit", "budget_used", "budget_share")])
            share = f"D{start}:D{row - 1}"
            ws.conditional_formatting.add(share, CellIsRule(operator="greaterThan", formula=["1"], fill=RED_FILL,
                                                            font=Font(bold=True, color="9C0006")))
            ws.conditional_formatting.add(share, CellIsRule(operator="between", formula=["0.9", "1"], fill=AMBER_FILL))
            ws.conditional_formatting.add(share, CellIsRule(operator="lessThan", formula=["0.9"], fill=GREEN_FILL))
        solves = plan.solves[[c for c in ("model", "solver_version", "status", "objective", "gap", "build_seconds",
                                          "solve_seconds", "variables", "constraints") if c in plan.solves.columns]]
        row = self._block(ws, row + 1, "solver_runs", self.display(solves), list(solves.columns))

        charts = []
        for key, data, value_header in self._chart_data(tables):
            start = row + 3
            row = self._block(ws, row + 1, key, data, ["label", "value"],
                              headers=[L.column_label(data.attrs["label_column"], lang), value_header])
            charts.append((key, start, row - 1))
        params = _flatten(yaml.safe_load(prov.get("scenario_yaml") or "") or {})
        start = row + 3
        row = self._block(ws, row + 1, "parameters",
                          pd.DataFrame({"parameter": list(params), "value": [_param_text(v) for v in params.values()]}),
                          ["parameter", "value"])
        for (cell,) in ws.iter_rows(min_row=start, max_row=row - 1, min_col=2, max_col=2):
            cell.alignment = Alignment(horizontal="left")
        if plan.notes:
            _put(ws.cell(row + 1, 1), L.text("notes", lang)).font = BLOCK_FONT
            for k, note in enumerate(plan.notes, start=row + 2):
                note = translated(note, lang)
                _put(ws.cell(k, 1), self.anon.text(note) if self.anon else note)

        anchor_row = 4
        for key, first, last in charts:
            chart = BarChart()
            chart.type = "bar"
            chart.title = L.text(key, lang)
            chart.legend = None
            chart.height, chart.width = max(7.5, 0.55 * (last - first + 1) + 3), 18  # cm: room for every category
            chart.add_data(Reference(ws, min_col=2, min_row=first - 1, max_row=last), titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
            chart.y_axis.numFmt = FMT_VND if key == "purchase_cost_by_item" else FMT_INT
            chart.y_axis.delete = False
            chart.x_axis.delete = False
            ws.add_chart(chart, f"K{anchor_row}")
            anchor_row += int(chart.height / 0.5) + 2  # default rows are 0.5 cm high
        for letter, width in zip("ABCDEFGHI", (60, 26, 20, 18, 12, 12, 12, 12, 12)):
            ws.column_dimensions[letter].width = width
        self.page_setup(ws)

    def _block(self, ws, row: int, key: str, df: pd.DataFrame, columns: list[str],
               headers: list[str] | None = None) -> int:
        """A titled small table on the Summary; returns the next free row."""
        _put(ws.cell(row, 1), L.text(key, self.lang) if key in L.TEXT else L.sheet_label(key, self.lang)).font = BLOCK_FONT
        self._header(ws, row + 1, headers or [L.column_label(c, self.lang) for c in columns])
        ws.row_dimensions[row + 1].height = 30
        body = df[columns] if len(df) else pd.DataFrame(columns=columns)
        _write_rows(ws, row + 2, body)
        if "unit" in columns and len(body):
            j = columns.index("unit") + 1
            for (cell,) in ws.iter_rows(min_row=row + 2, max_row=row + 1 + len(body), min_col=j, max_col=j):
                cell.alignment = UNIT_ALIGNMENT
        for j, col in enumerate(columns, start=1):
            if not len(body):
                break
            if col == "value" and "unit" in df.columns:
                formats = _formats_by_unit(body[col], df["unit_code"] if "unit_code" in df.columns else df["unit"])
            else:
                fmt = {"budget_limit": FMT_VND, "budget_used": FMT_VND, "budget_share": FMT_PCT}.get(col) \
                    or number_format(col, body[col])
                formats = None if fmt is None else [fmt] * len(body)
            if formats is None:
                continue
            for (cell,), fmt in zip(ws.iter_rows(min_row=row + 2, max_row=row + 1 + len(body), min_col=j, max_col=j),
                                    formats):
                cell.number_format = fmt
        return row + 2 + len(body)

    def _kpi_rows(self, kpis: pd.DataFrame) -> pd.DataFrame:
        rows = kpis.copy()
        rows["unit_code"] = rows["unit"]
        shown = self.display(rows[["stage", "kpi", "value", "unit"]])
        shown["unit_code"] = rows["unit_code"].to_numpy()
        shown["value"] = rows["value"].map(_number_or_text).to_numpy()
        return shown

    def _budget_rows(self, plan: Plan, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Budget against amount used: KPI pairs '<x> budget' / '<x> budget used...' reported by the models,
        else the equipment and renovation budgets (scenario or costs table) against the plan's tables."""
        rows = []
        names = plan.kpis["kpi"].astype(str)
        values = pd.to_numeric(plan.kpis["value"], errors="coerce")
        for limit_name in names[names.str.endswith("budget")].unique():
            used = values[names.str.startswith(limit_name + " used")]
            limit = values[names == limit_name].iloc[0]
            if len(used) and pd.notna(limit) and pd.notna(used.iloc[0]):
                rows.append((L.kpi_label(limit_name, self.lang), float(limit), float(used.iloc[0])))
        reported = " ".join(names[names.str.contains("budget")]).lower()
        params = yaml.safe_load(plan.provenance.get("scenario_yaml") or "") or {}
        assets = params.get("assets", {}) if isinstance(params, dict) else {}
        costs = self.dataset["costs"] if self.dataset is not None else pd.DataFrame(columns=["parameter", "value"])
        spent = {
            "equipment_budget": _column_sum(tables.get("equipment_purchases"), ["cost_vnd"]),
            "renovation_budget": _column_sum(tables.get("hq_plan"), ["renovation_cost_vnd", "extension_cost_vnd"]),
        }
        for key, used in spent.items():
            if key.split("_")[0] in reported:
                continue
            limit = assets.get(f"{key}_vnd")
            if limit is None:
                hit = costs.loc[costs["parameter"] == key, "value"]
                limit = float(hit.iloc[0]) if len(hit) else None
            if used is not None and limit is not None:
                rows.append((L.text(key, self.lang), float(limit), used))
        frame = pd.DataFrame(rows, columns=["budget_item", "budget_limit", "budget_used"])
        frame["budget_share"] = np.where(frame["budget_limit"] > 0, frame["budget_used"] / frame["budget_limit"].where(
            frame["budget_limit"] > 0, 1.0), np.where(frame["budget_used"] > 0, np.inf, 0.0))
        return frame

    def _chart_data(self, tables: dict[str, pd.DataFrame]):
        """(key, two-column frame, value header) for each chart the plan's tables support."""
        lang = self.lang
        staffing = tables.get("staffing_by_commune")
        if staffing is not None and {"field", "shortage"} <= set(staffing.columns) and len(staffing):
            by_field = staffing.groupby("field", as_index=False)["shortage"].sum()
            by_field = by_field.sort_values("shortage", ascending=False)
            yield "shortage_by_field", _chart_frame(by_field["field"].map(lambda v: L.value_label("field", v, lang)),
                                                    by_field["shortage"].astype(float), "field"), L.text("people", lang)
        purchases = tables.get("equipment_purchases")
        if purchases is not None and {"item_type", "cost_vnd"} <= set(purchases.columns) and len(purchases):
            by_item = purchases.groupby("item_type", as_index=False)["cost_vnd"].sum().sort_values("cost_vnd", ascending=False)
            yield "purchase_cost_by_item", _chart_frame(by_item["item_type"].map(lambda v: L.value_label("item_type", v, lang)),
                                                        by_item["cost_vnd"].astype(float), "item_type"), \
                L.column_label("cost_vnd", lang)
        uses = tables.get("building_uses")
        if uses is not None and "use" in uses.columns and len(uses):
            by_use = uses.groupby("use", as_index=False).size().sort_values("size", ascending=False)
            yield "buildings_by_use", _chart_frame(by_use["use"].map(lambda v: L.value_label("use", v, lang)),
                                                   by_use["size"].astype(float), "use"), L.text("buildings", lang)


# ---------------------------------------------------------------- cells, formats, files

def _put(cell, value):
    """Write one value; text is always stored as text (never a formula), illegal characters dropped."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _write_rows(ws, first_row: int, df: pd.DataFrame) -> None:
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
    rows = ([_python_scalar(v) for v in values] for values in clean.itertuples(index=False, name=None))
    if ws.max_row == first_row - 1:  # the usual case: rows go right under the header (fast path)
        for row in rows:
            ws.append(row)
    else:
        for k, row in enumerate(rows):
            for j, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(first_row + k, j).value = value
    for j in text_cols:
        risky = clean.iloc[:, j].map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).to_numpy()
        for k in np.flatnonzero(risky):
            cell = ws.cell(first_row + int(k), j + 1)
            cell.data_type = "s"
            cell.quotePrefix = True


def _python_scalar(value):
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


def _formats_by_unit(values: pd.Series, units: pd.Series | None) -> list[str]:
    """Per-row formats for mixed KPI columns, chosen by each row's unit."""
    out = []
    unit_list = units.tolist() if units is not None else [None] * len(values)
    for value, unit in zip(values.tolist(), unit_list):
        unit = str(unit) if _has(unit) else ""
        if unit in ("VND", "đồng"):
            out.append(FMT_VND)
        elif unit in ("ratio", "share", "tỷ lệ"):
            out.append(FMT_PCT)
        elif isinstance(value, (int, float, np.number)) and np.isfinite(value) and float(value) == round(float(value)):
            out.append(FMT_INT)
        else:
            out.append(FMT_DEC if unit != "km" else FMT_KM)
    return out


def _widths(ws, shown: pd.DataFrame, headers: list[str]) -> None:
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


def _sheet_title(label: str, taken: list[str]) -> str:
    """A valid, unique Excel sheet name (31 characters, no []:*?/\\)."""
    title = re.sub(r"[\[\]:*?/\\]", "-", label).strip("'")[:31] or "Sheet"
    candidate, k = title, 2
    while candidate.lower() in (t.lower() for t in taken):
        suffix = f" ({k})"
        candidate, k = title[: 31 - len(suffix)] + suffix, k + 1
    return candidate


def _absolute(ref: str) -> str:
    start, end = ref.split(":")
    split = re.compile(r"([A-Z]+)(\d+)")
    a, b = split.fullmatch(start).groups(), split.fullmatch(end).groups()
    return f"${a[0]}${a[1]}:${b[0]}${b[1]}"


def _header_escape(text: str) -> str:
    return text.replace("&", "&&")


def _chart_frame(labels: pd.Series, values: pd.Series, label_column: str) -> pd.DataFrame:
    frame = pd.DataFrame({"label": labels.astype(object).to_numpy(), "value": values.to_numpy()})
    frame.attrs["label_column"] = label_column
    return frame


def _column_sum(df: pd.DataFrame | None, columns: list[str]) -> float | None:
    if df is None:
        return None
    present = [c for c in columns if c in df.columns]
    if not present:
        return None
    return float(df[present].astype(float).fillna(0).to_numpy().sum())


def _flatten(data, prefix: str = "") -> dict[str, object]:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            out |= _flatten(value, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): data}


def _param_text(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "—"
    return value if isinstance(value, (int, float, bool)) and not isinstance(value, bool) else str(value)


def _number_or_text(value):
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return float(number) if pd.notna(number) else (str(value) if _has(value) else None)


def _has(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NA \
        and str(value) != ""


def _plain_number(value) -> str:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return str(value)
    return f"{number:,.0f}" if float(number) == round(float(number)) else f"{number:,.3g}" if abs(number) < 1 \
        else f"{number:,.2f}"


def _conflicts_text(conflicts: pd.DataFrame | None, lang: str) -> str:
    if conflicts is None or not len(conflicts):
        return ""
    return "\n" + in_language(conflicts, lang).to_string(index=False) + "\n"


def _refuse_input(path: Path, protected: list[str | None]) -> None:
    """Refuse to write over an input file."""
    target = path.resolve()
    for source in protected:
        if not source or source == "<memory>":
            continue
        src = Path(source)
        if target == src.resolve() or (target.exists() and src.exists() and os.path.samefile(target, src)):
            raise OutputError(f"refusing to overwrite the input {src}; choose another output name")


def _file_mode(path: Path) -> int:
    """The existing file's mode, else what a plain open() would give under the current umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _save_atomic(wb, path: Path, protected: list[str | None]) -> Path:
    """Save to a temporary file in the same folder, then rename over the target."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"the output must be an .xlsx file, not {path.name}")
    _refuse_input(path, protected)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx.tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _read_sheet_table(path: Path, table: str, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table from a workbook written here, headers mapped back to machine column names.

    Found by its defined name (any language), else by its sheet name in either language, else
    (when `required` columns are given) on any sheet whose header row holds those columns.
    """
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        columns = L.reverse_columns()
        candidates = []
        name = wb.defined_names.get(DEFINED_NAME_PREFIX + table)
        for sheet, ref in (name.destinations if name is not None else []):
            if sheet in wb.sheetnames:
                candidates.append((sheet, int(re.search(r"\d+", ref.split(":")[0]).group())))
        titles = {L.sheet_label(table, lang) for lang in L.LANGS}
        candidates += [(t, HEADER_ROW) for t in wb.sheetnames if t in titles]
        if required:
            candidates += [(t, None) for t in wb.sheetnames]
        for sheet, header_row in candidates:
            rows = list(wb[sheet].iter_rows(values_only=True))
            for k in ([header_row - 1] if header_row else range(min(len(rows), 10))):
                if k >= len(rows):
                    continue
                headers = [L.column_from_label(h, columns) if h is not None else f"column_{j}"
                           for j, h in enumerate(rows[k])]
                if set(required) <= set(headers):
                    body = [r for r in rows[k + 1:] if any(v is not None for v in r)]
                    return pd.DataFrame(body, columns=headers)
    finally:
        wb.close()
    raise ValueError(f"{path}: no '{table}' table found (sheets: {', '.join(wb.sheetnames)})")
