"""Maps drawn from coordinates alone (no tile server is reachable): matplotlib Figures on a plain background.

Longitude/latitude axes with aspect 1/cos(latitude), so distances look right at the province's latitude.
Every function returns a matplotlib Figure built without pyplot (safe in background threads), with its
titles and legends in `lang` (planner.ui.text: the argument, else $PLANNER_LANG, else Vietnamese).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import vocab
from ..labels import value_label
from .text import ui_lang, ui_text

LAND = "#f4f3ee"
OLD_UNIT = "#7f8c8d"
COMMUNE_TYPE_COLOURS = ("#4c9f70", "#d9822b", "#8e44ad")  # in the order of the commune_types code list


def _geo_figure(lat: pd.Series, title: str, lang: str, size=(8.5, 7.5)):
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    mean_lat = float(np.nanmean(lat.astype(float))) if len(lat) else 0.0
    ax.set_aspect(1 / np.cos(np.radians(mean_lat)))
    ax.set_facecolor(LAND)
    ax.grid(color="white", linewidth=0.8)
    ax.set_xlabel(ui_text("longitude", lang))
    ax.set_ylabel(ui_text("latitude", lang))
    ax.set_title(title)
    return fig, ax


def _marker_sizes(population: pd.Series, largest: float = 420.0) -> np.ndarray:
    pop = population.astype(float).fillna(0).to_numpy()
    top = pop.max() if len(pop) and pop.max() > 0 else 1.0
    return 30 + largest * np.sqrt(pop / top)


def _label_top(ax, frame: pd.DataFrame, by: str, count: int = 6) -> None:
    """Name the communes with the largest values of `by` (enough to orient without clutter)."""
    top = frame[frame[by] > 0].nlargest(count, by)
    for row in top.itertuples():
        ax.annotate(str(row.name), (row.lon, row.lat), xytext=(5, 5), textcoords="offset points", fontsize=8)


def _merge_lines(ax, ds) -> None:
    """Thin grey lines from every old unit to the centre of the new commune it went into."""
    ou = ds["old_units"].merge(ds["communes"][["code", "lon", "lat"]], left_on="commune_code", right_on="code",
                               suffixes=("", "_c"))
    segments = np.stack([ou[["lon", "lat"]].to_numpy(dtype=float), ou[["lon_c", "lat_c"]].to_numpy(dtype=float)], axis=1)
    ax.add_collection(LineCollection(segments, colors="#c8c8c8", linewidths=0.6, zorder=1))
    ax.scatter(ou["lon"].astype(float), ou["lat"].astype(float), s=8, color=OLD_UNIT, zorder=2)


def overview_map(ds, lang: str | None = None) -> Figure:
    """Communes sized by population and coloured by type, old units, and buildings by kind."""
    lang = ui_lang(lang)
    communes = ds["communes"]
    fig, ax = _geo_figure(communes["lat"], ui_text("overview_map", lang, province=ds.province, communes=len(communes),
                                                   old_units=len(ds["old_units"])), lang)
    _merge_lines(ax, ds)
    colours = dict(zip(vocab.codes("commune_types"), COMMUNE_TYPE_COLOURS))
    for kind, group in communes.groupby("type"):
        ax.scatter(group["lon"].astype(float), group["lat"].astype(float), s=_marker_sizes(group["population"], 420),
                   color=colours.get(kind, "#555"), alpha=0.75, edgecolor="white", zorder=3, label=value_label("commune_type", kind, lang))
    buildings = ds["buildings"]
    for role, marker in (("district_office", "s"), ("other", "^")):
        kind = vocab.role_code("building_kinds", role)
        group = buildings[buildings["kind"] == kind]
        if len(group):
            ax.scatter(group["lon"].astype(float), group["lat"].astype(float), marker=marker, s=28, color="#34495e",
                       zorder=4, label=value_label("building_kind", kind, lang))
    ax.scatter([], [], s=8, color=OLD_UNIT, label=ui_text("old_unit", lang))
    ax.legend(loc="best", fontsize=8, framealpha=0.9, markerscale=0.6)
    return fig


def shortage_map(ds, staffing_by_commune: pd.DataFrame, lang: str | None = None) -> Figure:
    """Communes coloured by their shortage ratio (missing / required minimum), sized by population."""
    lang = ui_lang(lang)
    per = (staffing_by_commune.groupby("commune_code", as_index=False)[["required_min", "shortage"]].sum())
    per["shortage_ratio"] = per["shortage"] / per["required_min"].where(per["required_min"] > 0, np.inf)
    communes = ds["communes"].merge(per, left_on="code", right_on="commune_code", how="left").fillna(
        {"shortage": 0, "shortage_ratio": 0.0})
    missing = int(communes["shortage"].sum())
    fig, ax = _geo_figure(communes["lat"], ui_text("shortage_map", lang, missing=f"{missing:,}"), lang)
    _merge_lines(ax, ds)
    ratio = communes["shortage_ratio"].astype(float)
    points = ax.scatter(communes["lon"].astype(float), communes["lat"].astype(float), c=ratio, cmap="YlOrRd",
                        vmin=0, vmax=max(float(ratio.max()), 0.05), s=_marker_sizes(communes["population"]),
                        edgecolor="#555", linewidth=0.5, zorder=3)
    fig.colorbar(points, ax=ax, shrink=0.7, label=ui_text("shortage_ratio_bar", lang))
    _label_top(ax, communes, "shortage")
    return fig


def _points(ds, table: str, id_name: str) -> pd.DataFrame:
    """The table's id (renamed `id_name`), lon and lat as floats."""
    return ds[table][["id", "lon", "lat"]].rename(columns={"id": id_name}).astype({"lon": float, "lat": float})


def coverage_map(ds, hq_plan: pd.DataFrame, service_points: pd.DataFrame, service_coverage: pd.DataFrame,
                 service_distance_km: float | None = None, lang: str | None = None) -> Figure:
    """Headquarters and service points, with a line from every old unit to the site that serves it.

    Old units farther than the service distance are drawn in red.
    """
    lang = ui_lang(lang)
    ou = _points(ds, "old_units", "old_unit_id")
    cov = (service_coverage.merge(ou, on="old_unit_id")
           .merge(_points(ds, "buildings", "building_id").rename(columns={"lon": "site_lon", "lat": "site_lat"}),
                  left_on="served_by_building_id", right_on="building_id", how="left"))
    fig, ax = _geo_figure(ds["communes"]["lat"], ui_text("coverage_map", lang), lang)
    kinds = cov["site_kind"].astype(str) if "site_kind" in cov else pd.Series("", index=cov.index)
    reach = cov.dropna(subset=["site_lon"])
    segments = np.stack([reach[["lon", "lat"]].to_numpy(), reach[["site_lon", "site_lat"]].to_numpy()], axis=1)
    line_colours = np.where(kinds.loc[reach.index].str.contains("hq"), "#2e86c1", "#28b463")
    ax.add_collection(LineCollection(segments, colors=line_colours, linewidths=1.0, alpha=0.8, zorder=1))
    far = (cov["distance_km"].astype(float) > service_distance_km) if service_distance_km else pd.Series(False, index=cov.index)
    ax.scatter(cov.loc[~far, "lon"], cov.loc[~far, "lat"], s=12, color=OLD_UNIT, zorder=2, label=ui_text("old_unit", lang))
    if far.any():
        ax.scatter(cov.loc[far, "lon"], cov.loc[far, "lat"], s=30, color="#c0392b", zorder=2,
                   label=ui_text("old_unit_beyond", lang, km=f"{service_distance_km:g}"))
    if len(hq_plan):
        ax.scatter(hq_plan["lon"].astype(float), hq_plan["lat"].astype(float), marker="*", s=180, color="#1f4e79",
                   edgecolor="white", zorder=4, label=ui_text("headquarters_count", lang, count=len(hq_plan)))
    if len(service_points):
        ax.scatter(service_points["lon"].astype(float), service_points["lat"].astype(float), marker="^", s=70,
                   color="#1e8449", edgecolor="white", zorder=4, label=ui_text("service_points_count", lang, count=len(service_points)))
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="#2e86c1"), Line2D([], [], color="#28b463")]
    labels += [ui_text("served_by_hq", lang), ui_text("served_by_point", lang)]
    ax.legend(handles, labels, loc="best", fontsize=8, framealpha=0.9)
    ax.autoscale_view()
    return fig


def equipment_flow_map(ds, transfers: pd.DataFrame, purchases: pd.DataFrame, hq_plan: pd.DataFrame | None = None,
                       lang: str | None = None) -> Figure:
    """Equipment moved from old units to new communes (line width = items), communes sized by purchase cost."""
    lang = ui_lang(lang)
    ou = _points(ds, "old_units", "from_old_unit_id")
    sites = ds["communes"][["code", "lon", "lat", "name"]].rename(columns={"code": "to_commune_code"})
    if hq_plan is not None and len(hq_plan):
        hq = hq_plan[["commune_code", "lon", "lat"]].rename(columns={"commune_code": "to_commune_code"})
        sites = sites.drop(columns=["lon", "lat"]).merge(hq, on="to_commune_code", how="left").fillna(
            {"lon": sites["lon"], "lat": sites["lat"]})
    sites = sites.astype({"lon": float, "lat": float})
    flows = (transfers.groupby(["from_old_unit_id", "to_commune_code"], as_index=False)["count"].sum()
             if len(transfers) else pd.DataFrame(columns=["from_old_unit_id", "to_commune_code", "count"]))
    flows = flows.merge(ou, on="from_old_unit_id").merge(sites, on="to_commune_code", suffixes=("", "_to"))
    total = int(flows["count"].sum()) if len(flows) else 0
    fig, ax = _geo_figure(ds["communes"]["lat"], ui_text("flow_map", lang, total=f"{total:,}"), lang)
    if len(flows):
        segments = np.stack([flows[["lon", "lat"]].to_numpy(), flows[["lon_to", "lat_to"]].to_numpy()], axis=1)
        widths = 0.5 + 4.5 * np.sqrt(flows["count"].astype(float) / flows["count"].astype(float).max())
        ax.add_collection(LineCollection(segments, colors="#8e44ad", linewidths=widths, alpha=0.6, zorder=1))
    ax.scatter(ou["lon"], ou["lat"], s=8, color=OLD_UNIT, zorder=2, label=ui_text("old_unit", lang))
    bought = (purchases.groupby("commune_code", as_index=False)["cost_vnd"].sum() if len(purchases)
              else pd.DataFrame(columns=["commune_code", "cost_vnd"]))
    sites = sites.merge(bought, left_on="to_commune_code", right_on="commune_code", how="left").fillna({"cost_vnd": 0.0})
    cost = sites["cost_vnd"].astype(float)
    sizes = 25 + 400 * np.sqrt(cost / cost.max()) if cost.max() > 0 else np.full(len(sites), 25.0)
    ax.scatter(sites["lon"], sites["lat"], s=sizes, color="#f39c12", edgecolor="#555", linewidth=0.5, zorder=3,
               label=ui_text("hq_purchases", lang))
    ax.plot([], [], color="#8e44ad", linewidth=3, label=ui_text("items_moved", lang))
    ax.legend(loc="best", fontsize=8, framealpha=0.9, markerscale=0.6)
    ax.autoscale_view()
    return fig
