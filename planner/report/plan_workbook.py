"""The leadership workbook for one plan: a Summary sheet, then one formatted sheet per result table.

Written with openpyxl, read in meetings: styled headers, frozen panes, filters, number formats,
conditional formatting on shortages and budgets, print setup, native charts, labels in Vietnamese
(default) or English. Every table's range is registered as a workbook-level defined name
`planner_<table>`, so programs find it whatever the language (planner.readback). Text from the data
is always stored as text, never as a formula; `anonymize` replaces officials' names with their ids.
The file is written to a temporary name beside the target and renamed, and never over the input workbook.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule

from .. import labels as L
from .. import vocab
from ..dataset import Dataset
from ..kpis import KPI_COLUMNS, budget_pairs, kpi_label
from ..messages import message, translated
from ..norms_used import quota_sources, status_counts
from ..plan import Plan
from .anonymize import Anonymizer
from .comparison import COMPARISON_ORDER
from .sheets import SheetWriter, ordered
from .style import (ALERT_FONT, AMBER_FILL, BLOCK_FONT, BOLD, FMT_INT, FMT_PCT, FMT_VND, GREEN_FILL, LEFT, RED_FILL,
                    STATUS_FILL, SUBTITLE_FONT, SUMMARY_TITLE_FONT, UNIT_ALIGNMENT, formats_by_unit, number_format,
                    number_or_text, put, write_rows)

# Table order on the workbook; tables not listed follow in the plan's order.
TABLE_ORDER = [
    "staffing_by_commune", "assignments", "surplus_officials", "recruitment_needs", "training_needs", "it_coverage",
    "it_officer_load", "hq_plan", "hq_area_check", "service_points", "service_coverage", "building_uses", "surplus_buildings",
    "housing_needs", "equipment_demand", "equipment_transfers", "equipment_repairs", "equipment_purchases", "unmet_equipment",
    "surplus_equipment", "equipment_balance", "norms_used",
]

BUDGET_COLUMNS = ["budget_item", "budget_limit", "budget_used", "budget_share"]


def write_plan_workbook(plan: Plan, dataset: Dataset, path: Path, lang: str = "vi", anonymize: bool = False,
                        comparison: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the leadership workbook for one plan (plus comparison sheets when given); return its path."""
    writer = _PlanWriter(lang, dataset, plan.provenance.get("province") or dataset.province,
                         plan.provenance.get("scenario_name", ""), plan.status,
                         Anonymizer.build(dataset, plan.tables) if anonymize else None)
    tables = meeting_tables(plan.tables)
    writer.summary(plan, tables)
    for name, df in tables.items():
        writer.table(name, df)
    for name, df in ordered(comparison or {}, COMPARISON_ORDER).items():
        writer.table(name, df)
    return writer.save(Path(path), protected=[dataset.source])


def meeting_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The plan's tables plus derived views (surplus buildings, surplus equipment), in workbook order."""
    out = dict(tables)
    uses = tables.get("building_uses")
    if uses is not None and "use" in uses.columns:
        kept = {vocab.role_code("building_uses", role) for role in ("headquarters", "service_point")}
        out["surplus_buildings"] = uses[~uses["use"].isin(kept)].reset_index(drop=True)
    balance = tables.get("equipment_balance")
    if balance is not None and {"surplus", "disposed"} <= set(balance.columns):
        keep = [c for c in ("old_unit_id", "item_type", "inventory", "surplus", "disposed", "surplus_value_vnd")
                if c in balance.columns]
        rows = (balance["surplus"].astype(float) > 0) | (balance["disposed"].astype(float) > 0)
        out["surplus_equipment"] = balance.loc[rows, keep].reset_index(drop=True)
    return ordered(out, TABLE_ORDER)


def budget_rows(plan: Plan, lang: str) -> pd.DataFrame:
    """The Summary's budget block: one row per budget pair of planner/schema/kpis.csv (budget_of) that the
    plan reports (the models compute the budget once, planner.derived.budget). Columns budget_item,
    budget_limit, budget_used, budget_share (used / budget)."""
    keys = plan.kpis["kpi"].astype(str)
    values = pd.to_numeric(plan.kpis["value"], errors="coerce")
    rows = []
    for pair in budget_pairs():
        limit, used = values[keys == pair.budget], values[keys == pair.used]
        if len(limit) and len(used) and pd.notna(limit.iloc[0]) and pd.notna(used.iloc[0]):
            rows.append((kpi_label(pair.budget, lang), float(limit.iloc[0]), float(used.iloc[0])))
    frame = pd.DataFrame(rows, columns=BUDGET_COLUMNS[:3])
    frame["budget_share"] = np.where(frame["budget_limit"] > 0, frame["budget_used"] / frame["budget_limit"].where(
        frame["budget_limit"] > 0, 1.0), np.where(frame["budget_used"] > 0, np.inf, 0.0))
    return frame


class _PlanWriter(SheetWriter):
    """The Summary sheet: provenance, key figures, budget, solver runs, charts, parameters, notes."""

    def summary(self, plan: Plan, tables: dict[str, pd.DataFrame]) -> None:
        lang = self.lang
        ws = self.new_sheet("summary")
        prov = plan.provenance
        put(ws.cell(1, 1), f"{L.text('title', lang)} — {self.province}")
        ws.cell(1, 1).font = SUMMARY_TITLE_FONT
        put(ws.cell(2, 1), f"{L.text('scenario', lang)}: {self.scenario} · {L.text('plan_status', lang)}: "
                           f"{L.value_label('plan_status', plan.status, lang)}")
        ws.cell(2, 1).font = SUBTITLE_FONT
        unmet = pd.to_numeric(plan.kpis.loc[plan.kpis["kpi"] == "equipment_unmet_priority_1", "value"], errors="coerce").sum()
        if unmet > 0:  # said where the meeting starts reading, not only as a key figure
            put(ws.cell(3, 1), translated(message("equipment_priority_1_unmet", count=f"{unmet:,.0f}"), lang))
            ws.cell(3, 1).font = ALERT_FONT
        info = [("province", self.province), ("scenario", self.scenario),
                ("plan_status", L.value_label("plan_status", plan.status, lang)),
                ("created_utc", prov.get("created_utc", "")), ("data_source", prov.get("data_source", "")),
                ("data_hash", prov.get("data_hash", "")), ("scenario_digest", prov.get("scenario_digest", "")),
                ("planner_version", prov.get("planner_version", "")),
                ("stages", ", ".join(L.value_label("stage", s, lang) for s in str(prov.get("stages", "")).split(",") if s))]
        if tables.get("norms_used") is not None:
            info.append(("norms_applied", norms_line(tables["norms_used"], lang)))
        row = 5 if unmet > 0 else 4
        for key, value in info:
            put(ws.cell(row, 1), L.text(key, lang)).font = BOLD
            put(ws.cell(row, 2), self.anon.text(str(value)) if self.anon else str(value))
            if key == "plan_status":
                ws.cell(row, 2).fill = STATUS_FILL.get(plan.status, AMBER_FILL)
                ws.cell(row, 2).font = BOLD
            row += 1

        row = self._block(ws, row + 1, "key_figures", self._kpi_rows(plan.kpis), ["kpi", "value", "unit", "stage"])
        budget = budget_rows(plan, lang)
        if len(budget):
            start = row + 3
            row = self._block(ws, row + 1, "budget", budget, BUDGET_COLUMNS,
                              headers=[L.text(k, lang) for k in BUDGET_COLUMNS])
            share = f"D{start}:D{row - 1}"
            ws.conditional_formatting.add(share, CellIsRule(operator="greaterThan", formula=["1"], fill=RED_FILL,
                                                            font=ALERT_FONT))
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
            cell.alignment = LEFT
        if plan.notes:
            put(ws.cell(row + 1, 1), L.text("notes", lang)).font = BLOCK_FONT
            for k, note in enumerate(plan.notes, start=row + 2):
                note = translated(note, lang)
                put(ws.cell(k, 1), self.anon.text(note) if self.anon else note)

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
        put(ws.cell(row, 1), L.text(key, self.lang) if key in L.TEXT else L.sheet_label(key, self.lang)).font = BLOCK_FONT
        self.header(ws, row + 1, headers or [L.column_label(c, self.lang) for c in columns])
        ws.row_dimensions[row + 1].height = 30
        body = df[columns] if len(df) else pd.DataFrame(columns=columns)
        write_rows(ws, row + 2, body)
        if "unit" in columns and len(body):
            j = columns.index("unit") + 1
            for (cell,) in ws.iter_rows(min_row=row + 2, max_row=row + 1 + len(body), min_col=j, max_col=j):
                cell.alignment = UNIT_ALIGNMENT
        for j, col in enumerate(columns, start=1):
            if not len(body):
                break
            if col == "value" and "unit" in df.columns:
                formats = formats_by_unit(body[col], df["unit_code"] if "unit_code" in df.columns else df["unit"])
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
        """Every KPI in words (label with its code and number, unit, stage); unit_code keeps the unit for formats."""
        shown = self.display(kpis[[c for c in KPI_COLUMNS if c in kpis.columns]])
        shown["unit_code"] = kpis["unit"].to_numpy()
        shown["value"] = kpis["value"].map(number_or_text).to_numpy()
        return shown

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


def norms_line(norms_used: pd.DataFrame, lang: str) -> str:
    """The Summary's line on the norms: how many rules are reference / overridden / province / scenario, and what
    the staff quota follows (the documents its rules cite, e.g. Official Dispatch 09/CV-BCĐ)."""
    counts = status_counts(norms_used)
    sources = quota_sources(norms_used, lang)
    quota = ", ".join(sources) if sources else L.text("quota_by_province", lang)
    return L.text("norms_line", lang).format(total=len(norms_used), quota_source=quota, **counts)


def _chart_frame(labels: pd.Series, values: pd.Series, label_column: str) -> pd.DataFrame:
    frame = pd.DataFrame({"label": labels.astype(object).to_numpy(), "value": values.to_numpy()})
    frame.attrs["label_column"] = label_column
    return frame


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
