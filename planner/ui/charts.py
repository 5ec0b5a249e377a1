"""Charts for the explorers: matplotlib Figures built without pyplot (safe in background threads).

Titles, axes, legends and category names are in `lang` (planner.ui.text: the argument, else $PLANNER_LANG,
else Vietnamese); categories (fields, positions, conditions, uses, item types) use the workbook's labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import vocab
from ..kpis import kpi_labels
from ..labels import column_label, value_label
from .text import ui_lang, ui_text


def _bar_figure(height: float = 4.0, width: float = 8.5):
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    return fig, ax


def _legend_below(ax, columns: int = 3) -> None:
    """The legend under the plot, never over the bars."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=columns, fontsize=8, frameon=False)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def _officials_rows(staffing_by_commune: pd.DataFrame) -> pd.DataFrame:
    """Rows of officials' fields, without the headcount-ceiling rows (the pseudo-field of role 'total')."""
    return staffing_by_commune[staffing_by_commune["field"] != vocab.role_code("fields", "total")]


def _names(kind: str, codes, lang: str) -> list[str]:
    """Labels for category codes (e.g. fields) in the language; unknown codes as they are."""
    return [str(value_label(kind, code, lang)) for code in codes]


def _stacked_bars(ax, names: list[str], table: pd.DataFrame, kind: str, lang: str, colours: dict | None = None) -> None:
    """Horizontal bars, one segment per column of `table` (labelled as a `kind` code), stacked left to right."""
    left = np.zeros(len(table))
    for column in table.columns:
        values = table[column].astype(float).to_numpy()
        ax.barh(names, values, left=left, label=value_label(kind, column, lang), color=(colours or {}).get(column))
        left += values


def staff_by_field_chart(ds, lang: str | None = None) -> Figure:
    """Officials by primary field and current position (horizontal stacked bars)."""
    lang = ui_lang(lang)
    counts = ds["officials"].groupby(["field", "position"]).size().unstack(fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    fig, ax = _bar_figure(height=0.3 * len(counts) + 1.5)
    _stacked_bars(ax, _names("field", counts.index, lang), counts, "position", lang)
    ax.set_xlabel(ui_text("axis_officials", lang))
    ax.set_title(ui_text("staff_chart", lang, total=f"{int(counts.to_numpy().sum()):,}"))
    _legend_below(ax)
    return fig


def equipment_chart(ds, lang: str | None = None) -> Figure:
    """Items held at the old units by type and condition."""
    lang = ui_lang(lang)
    counts = ds["equipment"].groupby(["item_type", "condition"])["count"].sum().unstack(fill_value=0)
    fig, ax = _bar_figure(height=0.3 * max(len(counts), 1) + 1.5)
    if counts.empty:
        _empty(ax, ui_text("no_equipment", lang))
        return fig
    colours = {vocab.role_code("equipment_conditions", role): colour
               for role, colour in (("good", "#27ae60"), ("repairable", "#f39c12"), ("unusable", "#c0392b"))}
    _stacked_bars(ax, _names("item_type", counts.index, lang), counts, "condition", lang, colours)
    ax.set_xlabel(ui_text("axis_items", lang))
    ax.set_title(ui_text("equipment_chart", lang))
    _legend_below(ax)
    return fig


def buildings_chart(ds, lang: str | None = None) -> Figure:
    """Buildings by kind and condition."""
    lang = ui_lang(lang)
    counts = ds["buildings"].groupby(["kind", "condition"]).size().unstack(fill_value=0)
    fig, ax = _bar_figure(height=2.5)
    if counts.empty:
        _empty(ax, ui_text("no_buildings", lang))
        return fig
    _stacked_bars(ax, _names("building_kind", counts.index, lang), counts, "condition", lang)
    ax.set_xlabel(ui_text("axis_buildings", lang))
    ax.set_title(ui_text("buildings_chart", lang))
    _legend_below(ax)
    return fig


def shortage_by_field_chart(staffing_by_commune: pd.DataFrame, lang: str | None = None) -> Figure:
    """Required minimum, assigned and missing officials per field, summed over communes."""
    lang = ui_lang(lang)
    slots = _officials_rows(staffing_by_commune)
    per = slots.groupby("field")[["required_min", "assigned", "shortage"]].sum()
    per = per.sort_values("shortage")
    fig, ax = _bar_figure(height=0.35 * len(per) + 1.5)
    y = np.arange(len(per))
    ax.barh(y + 0.2, per["required_min"], height=0.4, color="#aab7b8", label=column_label("required_min", lang))
    ax.barh(y - 0.2, per["assigned"], height=0.4, color="#2e86c1", label=column_label("assigned", lang))
    ax.barh(y - 0.2, per["shortage"], left=per["assigned"], height=0.4, color="#e74c3c",
            label=column_label("shortage", lang))
    ax.set_yticks(y, _names("field", per.index, lang))
    ax.set_xlabel(ui_text("axis_officials", lang))
    ax.set_title(ui_text("shortage_field_chart", lang, missing=f"{int(per['shortage'].sum()):,}"))
    _legend_below(ax)
    return fig


def shortage_by_commune_chart(staffing_by_commune: pd.DataFrame, top: int = 20, lang: str | None = None) -> Figure:
    """The communes missing most officials, stacked by field."""
    lang = ui_lang(lang)
    rows = _officials_rows(staffing_by_commune)
    rows = rows[rows["shortage"] > 0]
    fig, ax = _bar_figure(height=0.3 * min(top, max(rows["commune_code"].nunique(), 1)) + 1.5)
    if rows.empty:
        _empty(ax, ui_text("no_shortage", lang))
        return fig
    name = "commune_name" if "commune_name" in rows else "commune_code"
    table = rows.pivot_table(index=name, columns="field", values="shortage", aggfunc="sum", fill_value=0)
    table = table.loc[table.sum(axis=1).nlargest(top).index[::-1]]
    _stacked_bars(ax, table.index.astype(str), table, "field", lang)
    ax.set_xlabel(ui_text("axis_missing", lang))
    ax.set_title(ui_text("shortage_commune_chart", lang, count=len(table)))
    ax.xaxis.get_major_locator().set_params(integer=True)
    _legend_below(ax)
    return fig


def commute_chart(assignments: pd.DataFrame, threshold_km: float | None = None, lang: str | None = None) -> Figure:
    """Distribution of home-to-HQ distances of the placed officials."""
    lang = ui_lang(lang)
    fig, ax = _bar_figure(height=3.5)
    distance = assignments["distance_km"].astype(float).dropna() if "distance_km" in assignments else pd.Series(dtype=float)
    if distance.empty:
        _empty(ax, ui_text("no_placed", lang))
        return fig
    ax.hist(distance, bins=30, color="#5d6d7e")
    if threshold_km is not None:
        ax.axvline(threshold_km, color="#c0392b", linestyle="--", label=ui_text("threshold_line", lang, km=f"{threshold_km:g}"))
        ax.legend(fontsize=8)
    ax.set_xlabel(ui_text("axis_commute", lang))
    ax.set_ylabel(ui_text("axis_officials", lang))
    beyond = int((distance > (threshold_km or np.inf)).sum())
    ax.set_title(ui_text("commute_chart", lang, mean=f"{distance.mean():.1f}", beyond=f"{beyond:,}"))
    return fig


def building_uses_chart(building_uses: pd.DataFrame, lang: str | None = None) -> Figure:
    """How many buildings get each use."""
    lang = ui_lang(lang)
    counts = building_uses["use"].value_counts().sort_values()
    fig, ax = _bar_figure(height=0.35 * max(len(counts), 1) + 1.5)
    if counts.empty:
        _empty(ax, ui_text("no_buildings", lang))
        return fig
    ax.barh(_names("use", counts.index, lang), counts.to_numpy(), color="#16a085")
    ax.set_xlabel(ui_text("axis_buildings", lang))
    ax.set_title(ui_text("uses_chart", lang, total=f"{int(counts.sum()):,}"))
    return fig


def purchases_chart(purchases: pd.DataFrame, lang: str | None = None) -> Figure:
    """Purchase cost by item type (million VND)."""
    lang = ui_lang(lang)
    fig, ax = _bar_figure(height=3.0)
    if purchases.empty:
        _empty(ax, ui_text("nothing_to_buy", lang))
        return fig
    cost = purchases.groupby("item_type")["cost_vnd"].sum().sort_values() / 1e6
    ax.barh(_names("item_type", cost.index, lang), cost.to_numpy(), color="#f39c12")
    ax.set_xlabel(ui_text("axis_million_vnd", lang))
    ax.set_title(ui_text("purchases_chart", lang, total=f"{cost.sum():,.0f}"))
    return fig


def kpi_differences(kpis: pd.DataFrame, names: list[str], lang: str | None = None) -> pd.DataFrame:
    """KPI values that differ between plans: one row per 'stage: kpi' (in words), one column per plan.

    `kpis` is planner.compare's table: one row per stage/kpi, a column 'value [<plan>]' per plan.
    """
    lang = ui_lang(lang)
    columns = {f"value [{name}]": name for name in names if f"value [{name}]" in kpis.columns}
    label = [f"{value_label('stage', stage, lang)}: {name}" for stage, name in zip(kpis["stage"], kpi_labels(kpis, lang))]
    values = kpis.assign(label=label).set_index("label")
    values = values[list(columns)].apply(pd.to_numeric, errors="coerce").dropna(how="any").rename(columns=columns)
    return values[values.nunique(axis=1) > 1]


def kpi_comparison_chart(kpis: pd.DataFrame, names: list[str], lang: str | None = None) -> Figure:
    """Side-by-side bars of the KPIs that differ between plans, each scaled to its largest plan value."""
    lang = ui_lang(lang)
    values = kpi_differences(kpis, names, lang).head(12)
    fig, ax = _bar_figure(height=0.45 * max(len(values), 2) + 1.5)
    if values.empty:
        _empty(ax, ui_text("same_kpis_chart", lang))
        return fig
    scale = values.abs().max(axis=1).replace(0, 1)
    y = np.arange(len(values))
    height = 0.8 / len(values.columns)
    for k, name in enumerate(values.columns):
        bars = ax.barh(y + k * height, values[name] / scale, height=height, label=name)
        ax.bar_label(bars, labels=[f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}" for v in values[name]], fontsize=8,
                     padding=3)
    ax.set_yticks(y + 0.4 - height / 2, values.index)
    ax.set_xticks([])  # each bar is labelled with its own value and unit-free scale; no ratio axis
    ax.set_xlim(0, 1.25)
    ax.set_xlabel(ui_text("axis_values_at_bars", lang))
    ax.set_title(ui_text("kpi_chart", lang))
    _legend_below(ax, columns=len(values.columns))
    return fig
