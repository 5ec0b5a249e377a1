"""The leadership summary: one A4 landscape page at 10 pt that a meeting reads first.

At most eight headline figures, each with one plain sentence built from the plan's own tables and KPIs
(people short and where, surplus staff, long commutes, HQs to extend, surplus buildings by use, equipment
to buy against its budget, service coverage, IT support); the three decisions the meeting has to take,
derived from the same figures; the budget block; the norms line; two native charts (people on the axes)
and the shortage map (planner.report.map_image) as a picture. Chart data and the models' notes sit right
of the print area (on screen, not on paper).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import yaml
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .. import labels as L
from .. import vocab
from ..kpis import budget_pairs, kpi_label
from ..messages import message, translated
from ..plan import Plan
from . import words as W
from .style import (ALERT_FONT, AMBER_FILL, BLOCK_FONT, GREEN_FILL, HEADER_ALIGNMENT, HEADER_FILL, HEADER_FONT, RED_FILL,
                    FMT_PCT, FMT_VND, localized, put)

MAX_FIGURES = 8
MAX_DECISIONS = 3
SOON_YEARS = 5  # "reach retirement age within 5 years"
BODY = Font(size=10)
FIGURE_FONT = Font(bold=True, size=13, color="1F4E78")
TITLE = Font(bold=True, size=16, color="1F4E78")
SUBTITLE = Font(italic=True, size=10, color="595959")
HEADING = Font(bold=True, size=12, color="1F4E78")
WRAP = Alignment(wrap_text=True, vertical="center")
# Column widths (characters): A-E the figures and decisions, F a gap, G-L the map and charts; N on: chart data
LEFT_WIDTHS = (15, 14, 14, 14, 19)
RIGHT_COLUMNS = 6
RIGHT_WIDTH = 10.5
PAGE_HEIGHT_PT = 516  # A4 landscape (595 pt) less the top and bottom margins (2 x 0.55 in)
LINE_PT = 12.8  # one line of 10 pt text
CHARS_PER_WIDTH = 1.15  # 10 pt characters per unit of column width
MAP_CM = (12.2, 7.8)
CHART_CM = (6.0, 5.4)
DATA_COL = 14  # column N: chart data and notes


@dataclass
class Figure:
    key: str
    value: str  # the headline number in words ("96 người")
    label: str
    sentence: str


def _n(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".") if lang == "vi" else text


def money(value: float, lang: str) -> str:
    """Money for a sentence: '12,2 tỷ đồng' / '12.2 billion VND' (VND said once)."""
    for size, vi, en in ((1e9, "tỷ", "billion"), (1e6, "triệu", "million")):
        if abs(value) >= size:
            amount = value / size
            digits = 0 if abs(amount) >= 100 else 1
            return f"{_n(amount, lang, digits)} {vi if lang == 'vi' else en} {'đồng' if lang == 'vi' else 'VND'}"
    return f"{_n(value, lang)} {'đồng' if lang == 'vi' else 'VND'}"


def people(n: float, lang: str) -> str:
    return f"{_n(n, lang)} {W.text('people', lang)}"


def percent(share: float, lang: str) -> str:
    """A share (0-1) as '37,6 %'."""
    return f"{_n(100 * share, lang, 1)} %"


def _kpi(plan: Plan, key: str):
    rows = plan.kpis[plan.kpis["kpi"] == key]
    value = pd.to_numeric(rows["value"], errors="coerce")
    return (float(value.iloc[0]) if len(value) and pd.notna(value.iloc[0]) else None), rows


def scenario_value(plan: Plan, dotted: str, default=None):
    """A setting of the plan's scenario (from its YAML in the provenance)."""
    data = yaml.safe_load(plan.provenance.get("scenario_yaml") or "") or {}
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return default
        data = data[part]
    return default if data is None else data


def worst_communes(staffing: pd.DataFrame, lang: str, count: int = 3) -> tuple[str, int]:
    """'Xã A (5), Xã B (4), Xã C (3)' and how many communes are short at all."""
    short = staffing.groupby(["commune_code", "commune_name"], as_index=False)["shortage"].sum()
    short = short[short["shortage"] > 0].sort_values(["shortage", "commune_name"], ascending=[False, True])
    names = [f"{r.commune_name} ({_n(r.shortage, lang)})" for r in short.head(count).itertuples()]
    if len(short) > count:
        names.append(W.text("and_more", lang).format(n=_n(len(short) - count, lang)))
    return ", ".join(names), len(short)


def retirement_soon(surplus: pd.DataFrame | None) -> int:
    if surplus is None or "years_to_retirement" not in surplus.columns:
        return 0
    years = pd.to_numeric(surplus["years_to_retirement"], errors="coerce")
    return int((years <= SOON_YEARS).sum())


def surplus_buildings_by_use(tables: dict[str, pd.DataFrame], lang: str) -> tuple[int, str]:
    surplus = tables.get("surplus_buildings")
    if surplus is None or "use" not in surplus.columns or not len(surplus):
        return 0, ""
    counts = surplus["use"].value_counts()
    words = ", ".join(f"{_n(n, lang)} {str(L.value_label('use', use, lang)).lower()}" for use, n in counts.items())
    return int(counts.sum()), words


def headline_figures(plan: Plan, tables: dict[str, pd.DataFrame], lang: str) -> list[Figure]:
    """The headline figures the plan supports, in reading order, at most MAX_FIGURES."""
    t = lambda key: W.text(key, lang)  # noqa: E731
    out: list[Figure] = []
    staffing = tables.get("staffing_by_commune")
    if staffing is not None and {"shortage", "commune_name"} <= set(staffing.columns):
        total = float(staffing["shortage"].sum())
        worst, communes = worst_communes(staffing, lang)
        out.append(Figure("shortage", people(total, lang), t("fig_shortage"),
                          t("fig_shortage_text").format(n=_n(total, lang), communes=_n(communes, lang), worst=worst)
                          if total > 0 else t("fig_shortage_zero")))
    surplus = tables.get("surplus_officials")
    if surplus is not None:
        n, soon = len(surplus), retirement_soon(surplus)
        out.append(Figure("surplus", people(n, lang), t("fig_surplus"),
                          t("fig_surplus_text").format(n=_n(n, lang), soon=_n(soon, lang)) if n else t("fig_surplus_zero")))
    assignments = tables.get("assignments")
    if assignments is not None and "distance_km" in assignments.columns:
        km = float(scenario_value(plan, "staffing.distance_threshold_km", 30.0))
        distance = pd.to_numeric(assignments["distance_km"], errors="coerce")
        far = int((distance > km).sum())
        km_text = _n(km, lang, 0 if km == round(km) else 1)
        out.append(Figure("far", people(far, lang), t("fig_far").format(km=km_text),
                          t("fig_far_text").format(n=_n(far, lang), km=km_text, max=_n(distance.max(), lang, 1))
                          if far else t("fig_far_zero").format(km=km_text)))
    hq = tables.get("hq_plan")
    if hq is not None and "extension_m2" in hq.columns:
        ext = pd.to_numeric(hq["extension_m2"], errors="coerce").fillna(0)
        n = int((ext > 0).sum())
        short, _ = _kpi(plan, "hq_short_of_area")
        cost = float(pd.to_numeric(hq.get("extension_cost_vnd", pd.Series(dtype=float)), errors="coerce").sum())
        out.append(Figure("hq", f"{_n(n, lang)} {t('unit_hq')}", t("fig_hq"),
                          t("fig_hq_text").format(n=_n(n, lang), m2=_n(ext.sum(), lang), cost=money(cost, lang),
                                                  short=_n(short or 0, lang)) if n else t("fig_hq_zero")))
    if tables.get("surplus_buildings") is not None:
        n, by_use = surplus_buildings_by_use(tables, lang)
        out.append(Figure("buildings", f"{_n(n, lang)} {t('unit_buildings')}", t("fig_buildings"),
                          t("fig_buildings_text").format(n=_n(n, lang), by_use=by_use) if n else t("fig_buildings_zero")))
    purchases = tables.get("equipment_purchases")
    if purchases is not None and {"count", "cost_vnd"} <= set(purchases.columns):
        items, cost = float(purchases["count"].sum()), float(purchases["cost_vnd"].sum())
        budget, _ = _kpi(plan, "equipment_budget")
        used, _ = _kpi(plan, "equipment_budget_used")  # what the budget paid (with repairs and transport if it covers them)
        if not items:
            sentence = t("fig_equipment_zero")
        elif budget:
            sentence = t("fig_equipment_text").format(n=_n(items, lang), cost=money(cost, lang),
                                                       share=percent((cost if used is None else used) / budget, lang),
                                                       budget=money(budget, lang))
        else:
            sentence = t("fig_equipment_nobudget").format(n=_n(items, lang), cost=money(cost, lang))
        out.append(Figure("equipment", money(cost, lang), t("fig_equipment"), sentence))
    share, rows = _kpi(plan, "population_within_service_distance")
    if share is not None:
        km = rows["param"].iloc[0] if "param" in rows.columns and pd.notna(rows["param"].iloc[0]) else \
            scenario_value(plan, "assets.service_distance_km", 15)
        km_text = _n(float(km), lang)
        points, _ = _kpi(plan, "service_points_opened")
        out.append(Figure("service", percent(share / 100, lang), t("fig_service").format(km=km_text),
                          t("fig_service_text").format(share=percent(share / 100, lang), km=km_text,
                                                       points=_n(points or 0, lang))))
    uncovered, _ = _kpi(plan, "it_communes_uncovered")
    if uncovered is not None:
        officers, _ = _kpi(plan, "it_officers")
        out.append(Figure("it", f"{_n(uncovered, lang)} {t('unit_communes')}", t("fig_it"),
                          t("fig_it_text").format(n=_n(uncovered, lang), officers=_n(officers or 0, lang)) if uncovered
                          else t("fig_it_zero").format(officers=_n(officers or 0, lang))))
    return out[:MAX_FIGURES]


def decisions(plan: Plan, tables: dict[str, pd.DataFrame], lang: str) -> list[str]:
    """The (at most three) questions the plan leaves to the meeting, most pressing first: budget overruns, people
    short, surplus staff, unmet priority-1 equipment, HQs short of room, long commutes, surplus buildings, IT support."""
    t = lambda key: W.text(key, lang)  # noqa: E731
    out = []
    for row in budget_table(plan, lang).itertuples():
        if row.budget_limit > 0 and row.budget_used > row.budget_limit:
            out.append(t("dec_budget").format(item=row.budget_item, used=money(row.budget_used, lang),
                                              budget=money(row.budget_limit, lang),
                                              share=percent(row.budget_used / row.budget_limit, lang)))
    staffing = tables.get("staffing_by_commune")
    surplus = tables.get("surplus_officials")
    if staffing is not None and "shortage" in staffing.columns and staffing["shortage"].sum() > 0:
        worst, _ = worst_communes(staffing, lang)
        out.append(t("dec_shortage").format(n=_n(staffing["shortage"].sum(), lang), worst=worst,
                                            surplus=_n(len(surplus) if surplus is not None else 0, lang)))
    if surplus is not None and len(surplus):
        soon = retirement_soon(surplus)
        out.append(t("dec_surplus").format(n=_n(len(surplus), lang), soon=_n(soon, lang),
                                           rest=_n(len(surplus) - soon, lang)))
    unmet, _ = _kpi(plan, "equipment_unmet_priority_1")
    if unmet:
        out.append(t("dec_unmet").format(n=_n(unmet, lang)))
    short, _ = _kpi(plan, "hq_short_of_area")
    if short:
        out.append(t("dec_hq_area").format(n=_n(short, lang)))
    assignments = tables.get("assignments")
    if assignments is not None and "distance_km" in assignments.columns:
        km = float(scenario_value(plan, "staffing.distance_threshold_km", 30.0))
        far = int((pd.to_numeric(assignments["distance_km"], errors="coerce") > km).sum())
        if far:
            out.append(t("dec_far").format(n=_n(far, lang), km=_n(km, lang)))
    n, by_use = surplus_buildings_by_use(tables, lang)
    if n:
        value, _ = _kpi(plan, "sale_or_lease_value")
        out.append(t("dec_buildings").format(n=_n(n, lang), by_use=by_use, value=money(value or 0, lang)))
    uncovered, _ = _kpi(plan, "it_communes_uncovered")
    if uncovered:
        out.append(t("dec_it").format(n=_n(uncovered, lang)))
    return out[:MAX_DECISIONS] or [t("dec_none")]


def budget_table(plan: Plan, lang: str) -> pd.DataFrame:
    """One row per budget pair of planner/schema/kpis.csv (budget_of) that the plan reports: budget_item,
    budget_limit, budget_used, budget_share (used / budget)."""
    keys = plan.kpis["kpi"].astype(str)
    values = pd.to_numeric(plan.kpis["value"], errors="coerce")
    rows = []
    for pair in budget_pairs():
        limit, used = values[keys == pair.budget], values[keys == pair.used]
        if len(limit) and len(used) and pd.notna(limit.iloc[0]) and pd.notna(used.iloc[0]):
            rows.append((kpi_label(pair.budget, lang), float(limit.iloc[0]), float(used.iloc[0])))
    frame = pd.DataFrame(rows, columns=["budget_item", "budget_limit", "budget_used"])
    frame["budget_share"] = np.where(frame["budget_limit"] > 0, frame["budget_used"] / frame["budget_limit"].where(
        frame["budget_limit"] > 0, 1.0), np.where(frame["budget_used"] > 0, np.inf, 0.0))
    return frame


def chart_series(tables: dict[str, pd.DataFrame], lang: str) -> list[tuple[str, pd.DataFrame]]:
    """(title key, frame label/value) for the charts the tables support, people on the value axis; at most two."""
    out = []
    staffing = tables.get("staffing_by_commune")
    if staffing is not None and {"field", "shortage"} <= set(staffing.columns):
        by_field = staffing.groupby("field")["shortage"].sum()
        by_field = by_field[by_field > 0].sort_values()
        if len(by_field):
            out.append(("chart_shortage", pd.DataFrame({
                "label": [L.value_label("field", f, lang) for f in by_field.index], "value": by_field.to_numpy(float)})))
    surplus = tables.get("surplus_officials")
    if surplus is not None and len(surplus):
        if "years_to_retirement" in surplus.columns:
            years = pd.to_numeric(surplus["years_to_retirement"], errors="coerce")
            bins = [("retire_past", years <= 0), ("retire_2", (years > 0) & (years <= 2)),
                    ("retire_5", (years > 2) & (years <= 5)), ("retire_10", (years > 5) & (years <= 10)),
                    ("retire_more", years > 10), ("retire_unknown", years.isna())]
            frame = pd.DataFrame({"label": [W.text(k, lang) for k, _ in bins],
                                  "value": [float(mask.sum()) for _, mask in bins]})
            frame = frame[(frame["value"] > 0) | (frame.index < 5)].iloc[::-1]
            out.append(("chart_surplus", frame))
        elif "field" in surplus.columns:
            counts = surplus["field"].value_counts().sort_values()
            out.append(("chart_surplus_field", pd.DataFrame({
                "label": [L.value_label("field", f, lang) for f in counts.index], "value": counts.to_numpy(float)})))
    buildings = tables.get("surplus_buildings")
    if len(out) < 2 and buildings is not None and "use" in buildings.columns and len(buildings):
        counts = buildings["use"].value_counts().sort_values()
        out.append(("fig_buildings", pd.DataFrame({
            "label": [L.value_label("use", u, lang) for u in counts.index], "value": counts.to_numpy(float)})))
    return out[:2]


def _lines(text: str, width: float) -> int:
    return max(1, math.ceil(len(text) / (width * CHARS_PER_WIDTH)))


def write_summary(writer, plan: Plan, tables: dict[str, pd.DataFrame], map_png: bytes | None,
                  norms_line: str | None) -> None:
    """The summary sheet (first sheet) of `writer`'s workbook."""
    lang = writer.lang
    ws = writer.new_sheet("summary")
    for j, width in enumerate(LEFT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.column_dimensions["F"].width = 2
    for j in range(7, 7 + RIGHT_COLUMNS):
        ws.column_dimensions[get_column_letter(j)].width = RIGHT_WIDTH
    text_width = sum(LEFT_WIDTHS[1:])
    full_width = sum(LEFT_WIDTHS)
    anon = writer.anon.text if writer.anon else (lambda s: s)

    put(ws.cell(1, 1), f"{W.text('summary_heading', lang)} — {writer.province}").font = TITLE
    ws.row_dimensions[1].height = 24
    created = str(plan.provenance.get("created_utc", ""))[:10]
    if created and lang == "vi" and len(created) == 10:
        created = f"{created[8:10]}/{created[5:7]}/{created[:4]}"
    sub = [L.text("title", lang), f"{L.text('scenario', lang)}: {writer.scenario}",
           L.value_label("plan_status", plan.status, lang)] + ([W.text("created", lang).format(date=created)]
                                                                 if created else [])
    put(ws.cell(2, 1), " · ".join(sub)).font = SUBTITLE
    ws.row_dimensions[2].height = 15
    unmet, _ = _kpi(plan, "equipment_unmet_priority_1")
    if unmet:  # said where the meeting starts reading
        put(ws.cell(3, 1), translated(message("equipment_priority_1_unmet", count=_n(unmet, lang)), lang)).font = ALERT_FONT
    ws.row_dimensions[3].height = 15 if unmet else 6

    row = 4
    put(ws.cell(row, 1), W.text("headline", lang)).font = HEADING
    ws.row_dimensions[row].height = 18
    row += 1
    for fig in headline_figures(plan, tables, lang):
        put(ws.cell(row, 1), fig.value).font = FIGURE_FONT
        ws.cell(row, 1).alignment = Alignment(vertical="center", wrap_text=True)
        sentence = f"{fig.label}: {anon(fig.sentence)}"
        put(ws.cell(row, 2), sentence).font = BODY
        ws.cell(row, 2).alignment = WRAP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        ws.row_dimensions[row].height = max(_lines(sentence, text_width), 2) * LINE_PT + 2
        row += 1
    put(ws.cell(row, 1), W.text("decisions", lang)).font = HEADING
    ws.row_dimensions[row].height = 18
    row += 1
    for k, question in enumerate(decisions(plan, tables, lang), start=1):
        line = f"{k}. {anon(question)}"
        put(ws.cell(row, 1), line).font = BODY
        ws.cell(row, 1).alignment = WRAP
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        ws.row_dimensions[row].height = _lines(line, full_width) * LINE_PT + 2
        row += 1

    budget = budget_table(plan, lang)
    if len(budget):
        put(ws.cell(row, 1), L.text("budget", lang)).font = HEADING
        ws.row_dimensions[row].height = 18
        row += 1
        for j, key in enumerate(("budget_item", "budget_limit", "budget_used", "budget_share"), start=1):
            cell = put(ws.cell(row, j), L.text(key, lang))
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        ws.row_dimensions[row].height = 26
        first = row + 1
        for r in budget.itertuples():
            row += 1
            put(ws.cell(row, 1), r.budget_item).font = BODY
            ws.cell(row, 1).alignment = WRAP
            for j, (value, fmt) in enumerate(((r.budget_limit, FMT_VND), (r.budget_used, FMT_VND),
                                              (r.budget_share, FMT_PCT)), start=2):
                cell = ws.cell(row, j, value if np.isfinite(value) else None)
                cell.number_format, cell.font = localized(fmt, lang), BODY
            ws.row_dimensions[row].height = _lines(r.budget_item, LEFT_WIDTHS[0]) * LINE_PT + 2
        share = f"D{first}:D{row}"
        ws.conditional_formatting.add(share, CellIsRule(operator="greaterThan", formula=["1"], fill=RED_FILL,
                                                        font=ALERT_FONT))
        ws.conditional_formatting.add(share, CellIsRule(operator="between", formula=["0.9", "1"], fill=AMBER_FILL))
        ws.conditional_formatting.add(share, CellIsRule(operator="lessThan", formula=["0.9"], fill=GREEN_FILL))
        row += 1
    if norms_line:
        put(ws.cell(row, 1), L.text("norms_applied", lang)).font = Font(bold=True, size=10)
        ws.cell(row, 1).alignment = WRAP
        put(ws.cell(row, 2), norms_line).font = Font(size=10, color="595959")
        ws.cell(row, 2).alignment = WRAP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        ws.row_dimensions[row].height = max(_lines(norms_line, text_width), 2) * LINE_PT + 2
        row += 1
    last_left = row - 1

    # the right half: the map, then the charts under it
    put(ws.cell(4, 7), W.text("map_title", lang)).font = HEADING
    top = _row_tops(ws, 60)
    map_bottom_pt = top[5]
    if map_png:
        import io
        picture = Image(io.BytesIO(map_png))
        picture.width, picture.height = MAP_CM[0] / 2.54 * 96, MAP_CM[1] / 2.54 * 96
        ws.add_image(picture, "G5")
        map_bottom_pt = top[5] + MAP_CM[1] / 2.54 * 72
    chart_row = next(r for r in range(5, 60) if top[r] >= map_bottom_pt + 2)
    ws.row_dimensions[chart_row].height = max(ws.row_dimensions[chart_row].height or 15, 28)  # the charts' titles
    top = _row_tops(ws, 60)
    chart_bottom_pt = top[chart_row]
    series = chart_series(tables, lang)
    data_row = 1
    put(ws.cell(data_row, DATA_COL), W.text("chart_data", lang)).font = BLOCK_FONT
    for k, (key, frame) in enumerate(series):
        title_row = data_row + 2
        put(ws.cell(title_row, DATA_COL), W.text(key, lang)).font = Font(bold=True)
        put(ws.cell(title_row, DATA_COL + 1), W.text("people", lang) if key != "fig_buildings" else
            L.text("buildings", lang))
        for i, r in enumerate(frame.itertuples(), start=title_row + 1):
            put(ws.cell(i, DATA_COL), str(r.label))
            ws.cell(i, DATA_COL + 1, float(r.value)).number_format = localized("#,##0", lang)
        last = title_row + len(frame)
        data_row = last
        column = get_column_letter(7 + 3 * k)
        put(ws[f"{column}{chart_row}"], W.text(key, lang)).font = Font(bold=True, size=10, color="1F4E78")
        ws[f"{column}{chart_row}"].alignment = Alignment(wrap_text=True, vertical="bottom")
        ws.merge_cells(f"{column}{chart_row}:{get_column_letter(9 + 3 * k)}{chart_row}")
        chart = BarChart()
        chart.type = "bar"
        chart.legend = None
        chart.width, chart.height = CHART_CM
        chart.add_data(Reference(ws, min_col=DATA_COL + 1, min_row=title_row, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=DATA_COL, min_row=title_row + 1, max_row=last))
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.y_axis.numFmt = "0"
        chart.y_axis.majorGridlines = None
        chart.y_axis.title = W.text("people", lang) if key != "fig_buildings" else L.text("buildings", lang)
        chart.x_axis.txPr = chart.y_axis.txPr = _text_size(1000)
        ws.add_chart(chart, f"{column}{chart_row + 1}")
        chart_bottom_pt = max(chart_bottom_pt, top[chart_row + 1] + CHART_CM[1] / 2.54 * 72)
    if plan.notes:  # on screen only, with the chart data
        note_row = data_row + 2
        put(ws.cell(note_row, DATA_COL), W.text("model_notes", lang)).font = BLOCK_FONT
        for k, note in enumerate(plan.notes, start=note_row + 1):
            put(ws.cell(k, DATA_COL), anon(translated(note, lang)))
    ws.column_dimensions[get_column_letter(DATA_COL)].width = 40
    ws.column_dimensions[get_column_letter(DATA_COL + 1)].width = 12
    top = _row_tops(ws, max(last_left, chart_row) + 40)
    last_right = next(r for r in range(1, len(top)) if top[r] >= chart_bottom_pt) - 1
    last_row = max(last_left, last_right)
    writer.page_setup(ws, print_area=f"A1:{get_column_letter(6 + RIGHT_COLUMNS)}{last_row}")
    ws.page_setup.fitToHeight = 1  # one page
    ws.sheet_view.showGridLines = False


def _text_size(hundredths: int) -> RichText:
    """Axis text of a chart at a given size (hundredths of a point)."""
    props = CharacterProperties(sz=hundredths)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _row_tops(ws, rows: int) -> list[float]:
    """top[r]: the distance (pt) from the sheet's top to the top of row r (default height 15 pt)."""
    top = [0.0, 0.0]
    for r in range(1, rows + 1):
        height = ws.row_dimensions[r].height if r in ws.row_dimensions and ws.row_dimensions[r].height else 15.0
        top.append(top[-1] + height)
    return top
