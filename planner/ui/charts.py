"""Charts for the explorers: matplotlib Figures built without pyplot (safe in background threads)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def _bar_figure(height: float = 4.0, width: float = 8.5):
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    return fig, ax


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def staff_by_field_chart(ds) -> Figure:
    """Officials by primary field and current position (horizontal stacked bars)."""
    counts = ds["officials"].groupby(["field", "position"]).size().unstack(fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    fig, ax = _bar_figure(height=0.3 * len(counts) + 1.5)
    left = np.zeros(len(counts))
    for position in counts.columns:
        ax.barh(counts.index, counts[position], left=left, label=position)
        left += counts[position].to_numpy()
    ax.set_xlabel("officials")
    ax.set_title(f"Officials by field ({int(counts.to_numpy().sum()):,} in total)")
    ax.legend(fontsize=8)
    return fig


def equipment_chart(ds) -> Figure:
    """Items held at the old units by type and condition."""
    counts = ds["equipment"].groupby(["item_type", "condition"])["count"].sum().unstack(fill_value=0)
    fig, ax = _bar_figure(height=0.3 * max(len(counts), 1) + 1.5)
    if counts.empty:
        _empty(ax, "No equipment listed")
        return fig
    colours = {"good": "#27ae60", "repairable": "#f39c12", "unusable": "#c0392b"}
    left = np.zeros(len(counts))
    for condition in counts.columns:
        values = counts[condition].astype(float).to_numpy()
        ax.barh(counts.index, values, left=left, label=condition, color=colours.get(condition))
        left += values
    ax.set_xlabel("items")
    ax.set_title("Equipment at the old units")
    ax.legend(fontsize=8)
    return fig


def buildings_chart(ds) -> Figure:
    """Buildings by kind and condition."""
    counts = ds["buildings"].groupby(["kind", "condition"]).size().unstack(fill_value=0)
    fig, ax = _bar_figure(height=2.5)
    if counts.empty:
        _empty(ax, "No buildings listed")
        return fig
    left = np.zeros(len(counts))
    for condition in counts.columns:
        ax.barh(counts.index, counts[condition], left=left, label=condition)
        left += counts[condition].to_numpy()
    ax.set_xlabel("buildings")
    ax.set_title("Public buildings by kind and condition")
    ax.legend(fontsize=8)
    return fig


def shortage_by_field_chart(staffing_by_commune: pd.DataFrame) -> Figure:
    """Required minimum, assigned and missing officials per field, summed over communes."""
    slots = staffing_by_commune[staffing_by_commune["field"] != "total"]
    per = slots.groupby("field")[["required_min", "assigned", "shortage"]].sum()
    per = per.sort_values("shortage")
    fig, ax = _bar_figure(height=0.35 * len(per) + 1.5)
    y = np.arange(len(per))
    ax.barh(y + 0.2, per["required_min"], height=0.4, color="#aab7b8", label="required minimum")
    ax.barh(y - 0.2, per["assigned"], height=0.4, color="#2e86c1", label="assigned")
    ax.barh(y - 0.2, per["shortage"], left=per["assigned"], height=0.4, color="#e74c3c", label="missing")
    ax.set_yticks(y, per.index)
    ax.set_xlabel("officials")
    ax.set_title(f"Staffing by field: {int(per['shortage'].sum()):,} missing in total")
    ax.legend(fontsize=8)
    return fig


def shortage_by_commune_chart(staffing_by_commune: pd.DataFrame, top: int = 20) -> Figure:
    """The communes missing most officials, stacked by field."""
    rows = staffing_by_commune[(staffing_by_commune["field"] != "total") & (staffing_by_commune["shortage"] > 0)]
    fig, ax = _bar_figure(height=0.3 * min(top, max(rows["commune_code"].nunique(), 1)) + 1.5)
    if rows.empty:
        _empty(ax, "No commune is short of staff")
        return fig
    name = "commune_name" if "commune_name" in rows else "commune_code"
    table = rows.pivot_table(index=name, columns="field", values="shortage", aggfunc="sum", fill_value=0)
    table = table.loc[table.sum(axis=1).nlargest(top).index[::-1]]
    left = np.zeros(len(table))
    for field in table.columns:
        ax.barh(table.index.astype(str), table[field], left=left, label=field)
        left += table[field].to_numpy()
    ax.set_xlabel("missing officials")
    ax.set_title(f"Communes with the largest shortages (top {len(table)})")
    ax.legend(fontsize=7, ncol=2)
    return fig


def commute_chart(assignments: pd.DataFrame, threshold_km: float | None = None) -> Figure:
    """Distribution of home-to-HQ distances of the placed officials."""
    fig, ax = _bar_figure(height=3.5)
    distance = assignments["distance_km"].astype(float).dropna() if "distance_km" in assignments else pd.Series(dtype=float)
    if distance.empty:
        _empty(ax, "No placed officials")
        return fig
    ax.hist(distance, bins=30, color="#5d6d7e")
    if threshold_km is not None:
        ax.axvline(threshold_km, color="#c0392b", linestyle="--", label=f"threshold {threshold_km:g} km")
        ax.legend(fontsize=8)
    ax.set_xlabel("distance from home to the commune HQ (km)")
    ax.set_ylabel("officials")
    beyond = int((distance > (threshold_km or np.inf)).sum())
    ax.set_title(f"Commute: mean {distance.mean():.1f} km, {beyond:,} beyond the threshold")
    return fig


def building_uses_chart(building_uses: pd.DataFrame) -> Figure:
    """How many buildings get each use."""
    counts = building_uses["use"].value_counts().sort_values()
    fig, ax = _bar_figure(height=0.35 * max(len(counts), 1) + 1.5)
    if counts.empty:
        _empty(ax, "No buildings")
        return fig
    ax.barh(counts.index.astype(str), counts.to_numpy(), color="#16a085")
    ax.set_xlabel("buildings")
    ax.set_title(f"Use of every building ({int(counts.sum()):,})")
    return fig


def purchases_chart(purchases: pd.DataFrame) -> Figure:
    """Purchase cost by item type (million VND)."""
    fig, ax = _bar_figure(height=3.0)
    if purchases.empty:
        _empty(ax, "Nothing to buy")
        return fig
    cost = purchases.groupby("item_type")["cost_vnd"].sum().sort_values() / 1e6
    ax.barh(cost.index.astype(str), cost.to_numpy(), color="#f39c12")
    ax.set_xlabel("million VND")
    ax.set_title(f"Purchases: {cost.sum():,.0f} million VND")
    return fig


def kpi_differences(kpis: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """KPI values that differ between plans: one row per 'stage: kpi', one column per plan.

    `kpis` is planner.compare's table: one row per stage/kpi, a column 'value [<plan>]' per plan.
    """
    columns = {f"value [{name}]": name for name in names if f"value [{name}]" in kpis.columns}
    values = kpis.assign(label=kpis["stage"].astype(str) + ": " + kpis["kpi"].astype(str)).set_index("label")
    values = values[list(columns)].apply(pd.to_numeric, errors="coerce").dropna(how="any").rename(columns=columns)
    return values[values.nunique(axis=1) > 1]


def kpi_comparison_chart(kpis: pd.DataFrame, names: list[str]) -> Figure:
    """Side-by-side bars of the KPIs that differ between plans, each scaled to its largest plan value."""
    values = kpi_differences(kpis, names).head(12)
    fig, ax = _bar_figure(height=0.45 * max(len(values), 2) + 1.5)
    if values.empty:
        _empty(ax, "The plans have the same key figures")
        return fig
    scale = values.abs().max(axis=1).replace(0, 1)
    y = np.arange(len(values))
    height = 0.8 / len(values.columns)
    for k, name in enumerate(values.columns):
        ax.barh(y + k * height, values[name] / scale, height=height, label=name)
    ax.set_yticks(y + 0.4 - height / 2, values.index)
    ax.set_xlabel("share of the largest value")
    ax.set_title("Key figures that differ between the plans")
    ax.legend(fontsize=8)
    return fig
