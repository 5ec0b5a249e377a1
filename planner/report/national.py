"""The national workbook (`planner nation`) and the sweep workbook (`planner sweep`).

National: the first sheet has one row per province (named as in the 2025 list) with the figures a ministry reads —
communes, officials, government staff quota, assigned, surplus, shortage in total and by field, HQs needing
extension, surplus buildings by use, equipment purchases against the budget — and a totals row; then native bar
charts over those rows, and the run figures (wall seconds and status per province, the engine, peak memory).
Sweep: one row per combination of scenario values with the varied values and the headline KPIs, then every KPI with
its smallest and largest value and whether it changes. Labels in Vietnamese (default) or English (planner.labels,
KPI labels from planner/schema/kpis.csv); A4 landscape, fit to width; the file is saved atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from .. import labels as L
from ..kpis import kpi_label, kpi_specs
from .sheets import SheetWriter
from .style import (AMBER_FILL, BOLD, DEFINED_NAME_PREFIX, FMT_CODE, FMT_DEC, FMT_INT, FMT_KM, FMT_PCT, FMT_VND,
                    RED_FILL, ROW_RED_FILL, SUBTITLE_FONT, THIN, TITLE_FONT, absolute, put, widths, write_rows)

# The KPIs a sweep shows first, one column each (every KPI is on the changes sheet).
HEADLINE_KPIS = (
    "total_shortage", "max_commune_shortage_ratio", "assigned", "surplus_count", "mean_commute_km", "share_own_area",
    "it_communes_uncovered", "hq_needing_extension", "hq_short_of_area", "renovation_budget_used",
    "sale_or_lease_value", "equipment_budget_used", "equipment_demand_covered", "equipment_unmet_priority_1",
)
UNIT_FORMATS = {"VND": FMT_VND, "ratio": FMT_PCT, "%": "0.0", "km": FMT_KM, "officials": FMT_INT, "communes": FMT_INT,
                "buildings": FMT_INT, "items": FMT_INT, "rounds": FMT_INT, "m²": FMT_INT}
COLUMN_FORMATS = {"province_code": FMT_CODE, "communes": FMT_INT, "officials": FMT_INT, "quota": FMT_INT,
                  "equipment_budget_share": FMT_PCT, "seconds": FMT_DEC, "cpu_seconds": FMT_DEC, "load_seconds": FMT_DEC,
                  "plan_seconds": FMT_DEC, "write_seconds": FMT_DEC, "worker_peak_mb": FMT_INT, "combination": FMT_INT,
                  "min": FMT_DEC, "max": FMT_DEC}
TOP_BORDER = Border(top=THIN)


def write_national_workbook(table: pd.DataFrame, runs: pd.DataFrame, info: dict, path: Path, lang: str = "vi",
                            protected: list | None = None) -> Path:
    """The national workbook from planner.nation.national_table and run_table; `info`: scenario, created, wall
    seconds, engine text, peak memory (MB), plans folder. Returns the path."""
    writer = _Writer(lang, None, L.text("national_title", lang), info.get("scenario", ""), None, None)
    last = writer.national(table, info)
    writer.charts(table, last)
    writer.runs(runs, info)
    return writer.save(Path(path), protected=protected or [])


def write_sweep_workbook(table: pd.DataFrame, changes: pd.DataFrame, values: pd.DataFrame, runs: pd.DataFrame,
                         info: dict, path: Path, lang: str = "vi", protected: list | None = None) -> Path:
    """The sweep workbook: planner.nation.sweep_table, kpi_changes (with `values`: one column per combination) and
    the run figures; `info`: province, scenario, varied keys. Returns the path."""
    writer = _Writer(lang, None, info.get("province", ""), info.get("scenario", ""), None, None)
    writer.sweep(table, changes, info)
    writer.sweep_changes(changes, values, table)
    writer.runs(runs, info)
    return writer.save(Path(path), protected=protected or [])


def kpi_header(column: str, lang: str, details: pd.DataFrame | None = None) -> str:
    """Header of a KPI column ('kpi' or 'kpi:code'); `details` (kpi_changes) supplies a label's number (e.g. km)."""
    key, _, code = column.partition(":")
    param = None
    if details is not None and len(details):
        hit = details.loc[details["column"] == column, "param"]
        param = hit.iloc[0] if len(hit) else None
    return kpi_label({"kpi": key, "code": code or None, "param": param}, lang)


def kpi_format(column: str) -> str:
    spec = kpi_specs().get(column.partition(":")[0])
    return UNIT_FORMATS.get(spec.unit, FMT_DEC) if spec else FMT_DEC


class _Writer(SheetWriter):
    """Sheets laid out like the plan workbook's table sheets (title, context, header row, data), for tables whose
    columns are KPIs or national figures."""

    def header_text(self, column: str, details: pd.DataFrame | None = None) -> str:
        if column.startswith("vary:"):
            return column[len("vary:"):]
        if column in L.NATION_COLUMNS:
            return L.nation_label(column, self.lang)
        return kpi_header(column, self.lang, details) if column.partition(":")[0] in kpi_specs() \
            else L.nation_label(column, self.lang)

    def grid(self, table: str, frame: pd.DataFrame, title: str, context: list[str], top: int = 3,
             details: pd.DataFrame | None = None, headers: list[str] | None = None):
        """A titled table with its header in row `top`; returns (sheet, first data row, last data row)."""
        ws = self.new_sheet(table)
        put(ws.cell(1, 1), title).font = TITLE_FONT
        for k, line in enumerate(context, start=2):
            put(ws.cell(k, 1), line).font = SUBTITLE_FONT
        headers = headers or [self.header_text(c, details) for c in frame.columns]
        shown = frame.copy()
        for col in ("status",):
            if col in shown.columns:
                shown[col] = shown[col].map(lambda v: L.value_label("run_status", v, self.lang))
        self.header(ws, top, headers)
        write_rows(ws, top + 1, shown)
        first, last = top + 1, top + max(len(shown), 1)
        for j, col in enumerate(shown.columns, start=1):
            fmt = COLUMN_FORMATS.get(col) or (kpi_format(col) if col.partition(":")[0] in kpi_specs() else None)
            if fmt is None or not len(shown):
                continue
            for (cell,) in ws.iter_rows(min_row=first, max_row=last, min_col=j, max_col=j):
                cell.number_format = fmt
        widths(ws, shown, headers)
        ref = f"A{top}:{get_column_letter(max(len(shown.columns), 1))}{last}"
        ws.auto_filter.ref = ref
        self.wb.defined_names[DEFINED_NAME_PREFIX + table] = DefinedName(
            DEFINED_NAME_PREFIX + table, attr_text=f"{quote_sheetname(ws.title)}!{absolute(ref)}")
        self.page_setup(ws, top)
        return ws, first, last

    # ----- national
    def national(self, table: pd.DataFrame, info: dict) -> int:
        """The first sheet: one row per province and the totals row (values; failed provinces are not added in)."""
        lang = self.lang
        ok = int((table["status"] == "ok").sum())
        context = [L.text("national_subtitle", lang).format(ok=ok, total=len(table), scenario=info.get("scenario", ""),
                                                            created=info.get("created", ""))]
        failed = table.loc[table["status"] != "ok", "province"].astype(str).tolist()
        if failed:
            context.append(L.text("national_failed_note", lang).format(
                names=", ".join(failed), sheet=L.sheet_label("national_runs", lang)))
        if info.get("plans_folder"):
            context.append(L.text("national_plans", lang).format(folder=info["plans_folder"]))
        top = 1 + len(context) + 1
        ws, first, last = self.grid("national", table, L.text("national_title", lang), context, top=top)
        ws.freeze_panes = ws.cell(first, 3)
        totals = self._totals(table) | {"province": L.text("national_total", lang)}
        row = last + 1
        for j, col in enumerate(table.columns, start=1):
            cell = put(ws.cell(row, j), totals.get(col))
            cell.font = BOLD
            cell.border = TOP_BORDER
            if col in COLUMN_FORMATS or col.partition(":")[0] in kpi_specs():
                cell.number_format = ws.cell(first, j).number_format
        letters = {col: get_column_letter(j) for j, col in enumerate(table.columns, start=1)}
        width = get_column_letter(len(table.columns))
        if len(table):
            ws.conditional_formatting.add(f"A{first}:{width}{last}", FormulaRule(
                formula=[f'${letters["status"]}{first}<>"{L.value_label("run_status", "ok", lang)}"'], fill=ROW_RED_FILL))
            share = letters["equipment_budget_share"]
            ws.conditional_formatting.add(f"{share}{first}:{share}{row}", CellIsRule(operator="greaterThan",
                                                                                     formula=["1"], fill=RED_FILL))
            for col in ("total_shortage", *[c for c in table.columns if c.startswith("shortage_by_field:")]):
                ws.conditional_formatting.add(f"{letters[col]}{first}:{letters[col]}{last}", CellIsRule(
                    operator="greaterThan", formula=["0"], fill=AMBER_FILL))
        return last

    @staticmethod
    def _totals(table: pd.DataFrame) -> dict:
        ok = table[table["status"] == "ok"]
        out = {}
        for col in table.columns:
            if col in ("province_code", "status", "province") or not pd.api.types.is_numeric_dtype(table[col]):
                continue
            values = pd.to_numeric(ok[col], errors="coerce")
            out[col] = float(values.sum()) if values.notna().any() else None
        used, budget = out.get("equipment_budget_used"), out.get("equipment_budget")
        out["equipment_budget_share"] = used / budget if used is not None and budget else None
        return out

    def charts(self, table: pd.DataFrame, last: int) -> None:
        """Bar charts over the provinces' rows of the first sheet (one series per column)."""
        if not len(table):
            return
        lang = self.lang
        data_ws = self.wb[self.wb.sheetnames[0]]
        first = last - len(table) + 1
        top = first - 1
        index = {col: j for j, col in enumerate(table.columns, start=1)}
        groups = [
            ("chart_quota_assigned", ["quota", "assigned"], False, FMT_INT),
            ("chart_shortage_by_field", [c for c in table.columns if c.startswith("shortage_by_field:")], True, FMT_INT),
            ("chart_surplus_buildings", [c for c in table.columns if c.startswith("buildings_by_use:")], True, FMT_INT),
            ("chart_equipment_budget", ["equipment_budget_used", "equipment_budget"], False, FMT_VND),
        ]
        ws = self.new_sheet("national_charts")
        put(ws.cell(1, 1), L.sheet_label("national_charts", lang)).font = TITLE_FONT
        anchor_row = 3
        for key, columns, stacked, fmt in groups:
            columns = [c for c in columns if c in index and pd.to_numeric(table[c], errors="coerce").notna().any()]
            if not columns:
                continue
            chart = BarChart()
            chart.type = "bar"
            chart.title = L.text(key, lang)
            if stacked:
                chart.grouping = "stacked"
                chart.overlap = 100
            for col in columns:
                chart.add_data(Reference(data_ws, min_col=index[col], min_row=top, max_row=last), titles_from_data=True)
            chart.set_categories(Reference(data_ws, min_col=index["province"], min_row=first, max_row=last))
            chart.height, chart.width = max(9.0, 0.5 * len(table) + 4), 24  # cm: room for every province
            chart.x_axis.scaling.orientation = "maxMin"  # provinces top to bottom in the table's order
            chart.y_axis.numFmt = fmt
            chart.y_axis.majorGridlines = None
            chart.x_axis.delete = False
            chart.y_axis.delete = False
            chart.legend.position = "b"
            ws.add_chart(chart, f"A{anchor_row}")
            anchor_row += int(chart.height / 0.5) + 2  # default rows are 0.5 cm high
        self.page_setup(ws)

    def runs(self, runs: pd.DataFrame, info: dict) -> None:
        """Per province (or combination) its status, reason, seconds, worker and peak memory, under the run's totals."""
        lang = self.lang
        shown = runs.copy()
        skipped = shown["status"] == "skipped"
        shown.loc[skipped, "reason"] = shown.loc[skipped, "reason"].map(lambda v: L.value_label("run_status", v, lang))
        context = [f"{L.text('run_wall_seconds', lang)}: {info.get('wall_seconds', float('nan')):.1f}"]
        if info.get("engine"):
            context.append(f"{L.text('run_engine', lang)}: {info['engine']}")
        if info.get("peak_memory_mb") is not None:
            context.append(f"{L.text('run_peak_memory', lang)}: {info['peak_memory_mb']:,.0f} "
                           f"({L.text('run_peak_memory_note', lang)})")
        seconds = pd.to_numeric(runs.loc[~skipped, "seconds"], errors="coerce").dropna()
        if len(seconds):
            sweep = "values" in runs.columns
            slowest = runs.loc[seconds.idxmax(), "values"] if sweep else \
                runs.loc[seconds.idxmax(), "province"] or runs.loc[seconds.idxmax(), "source"]
            context.append(L.text("run_per_combination" if sweep else "run_per_province", lang).format(
                median=float(seconds.median()), max=float(seconds.max()), slowest=slowest))
        ws, first, last = self.grid("national_runs", shown, L.sheet_label("national_runs", lang), context,
                                    top=len(context) + 3)
        j = list(shown.columns).index("reason") + 1
        ws.column_dimensions[get_column_letter(j)].width = 90
        for (cell,) in ws.iter_rows(min_row=first, max_row=last, min_col=j, max_col=j):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = ws.cell(first, 2)

    # ----- sweep
    def sweep(self, table: pd.DataFrame, changes: pd.DataFrame, info: dict) -> None:
        lang = self.lang
        keys = [c[len("vary:"):] for c in table.columns if c.startswith("vary:")]
        context = [L.text("sweep_subtitle", lang).format(n=len(table), keys=", ".join(keys),
                                                         scenario=info.get("scenario", ""))]
        ws, first, last = self.grid("sweep", table, L.text("sweep_title", lang).format(province=info.get("province", "")),
                                    context, details=changes)
        ws.freeze_panes = ws.cell(first, 2 + len(keys))
        if len(table):
            letter = get_column_letter(list(table.columns).index("status") + 1)
            width = get_column_letter(len(table.columns))
            ws.conditional_formatting.add(f"A{first}:{width}{last}", FormulaRule(
                formula=[f'${letter}{first}<>"{L.value_label("run_status", "ok", lang)}"'], fill=ROW_RED_FILL))
        for j in range(2, 2 + len(keys)):
            ws.cell(first - 1, j).font = Font(bold=True, color="FFFFFF", italic=True)

    def sweep_changes(self, changes: pd.DataFrame, values: pd.DataFrame, table: pd.DataFrame) -> None:
        """Every KPI: label, unit, smallest, largest, whether it changes, then its value in each combination."""
        lang = self.lang
        frame = pd.DataFrame({
            "kpi": [kpi_header(c, lang, changes) for c in changes["column"]],
            "unit": changes["unit"].map(lambda v: L.value_label("unit", v, lang)).to_numpy(),
            "min": changes["min"].to_numpy(), "max": changes["max"].to_numpy(),
            "changes": changes["changes"].map(lambda v: L.value_label("bool", "true" if v else "false", lang)).to_numpy(),
        })
        keys = [c for c in table.columns if c.startswith("vary:")]
        combo_headers = []
        for i in values.columns:
            row = table[table["combination"] == i]
            label = ", ".join(f"{k.rsplit('.', 1)[-1]}={row[k].iloc[0]}" for k in keys) if len(row) else ""
            combo_headers.append(f"#{i} {label}".strip())
        body = pd.concat([frame, values.reset_index(drop=True).set_axis([f"value_{i}" for i in values.columns], axis=1)],
                         axis=1)
        order = np.argsort(~changes["changes"].to_numpy(bool), kind="stable")
        body = body.iloc[order].reset_index(drop=True)
        headers = [L.nation_label(c, lang) for c in frame.columns] + combo_headers
        context = [L.text("sweep_changes_subtitle", lang).format(changing=int(changes["changes"].sum()),
                                                                 total=len(changes))]
        ws, first, last = self.grid("sweep_changes", body, L.sheet_label("sweep_changes", lang), context,
                                    headers=headers)
        ws.column_dimensions["A"].width = 50
        units = changes["unit"].to_numpy()[order]
        for k, unit in enumerate(units):
            fmt = UNIT_FORMATS.get(str(unit), FMT_DEC)
            for j in [3, 4, *range(6, 6 + len(values.columns))]:
                ws.cell(first + k, j).number_format = fmt
        if len(body):
            yes = L.value_label("bool", "true", lang)
            width = get_column_letter(len(body.columns))
            ws.conditional_formatting.add(f"A{first}:{width}{last}", FormulaRule(formula=[f'$E{first}="{yes}"'],
                                                                                fill=AMBER_FILL))
        ws.freeze_panes = ws.cell(first, 2)
