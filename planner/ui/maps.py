"""Maps drawn from coordinates alone (no tile server is reachable): matplotlib Figures on a plain background.

Longitude/latitude axes with aspect 1/cos(latitude), so distances look right at the province's latitude.
Every function returns a matplotlib Figure built without pyplot (safe in background threads), with its
titles and legends in `lang` (planner.ui.text: the argument, else $PLANNER_LANG, else Vietnamese).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import vocab
from ..labels import value_label
from .text import ui_lang, ui_text

LAND = "#f4f3ee"
OLD_UNIT = "#7f8c8d"
COMMUNE_TYPE_COLOURS = ("#4c9f70", "#d9822b", "#8e44ad")  # in the order of the commune_types code list
OUTLINE = "#5d6d7e"
KM_PER_DEG = 111.32
CLASS_COLOURS = ("#d5f5e3", "#fde9a9", "#f8b26a", "#e8603c", "#a50f15")  # none short, then growing shortage
OUTLINE_LEVEL = 0.3  # where the communes' summed bumps end: about 1.6 radii from a lone commune's centre
LABELLED = 8  # communes named on a map: the worst ones, as many as fit without overlapping


def province_outline(ax, communes: pd.DataFrame, grid: int = 260) -> None:
    """The province's shape from its communes alone (no boundary file is bundled): every commune spreads a bump
    as wide as its own area around its centre; the line where their sum falls to OUTLINE_LEVEL is drawn, filled
    white. Neighbouring communes merge into one smooth shape; a commune far from the others keeps its own."""
    if communes.empty or "area_km2" not in communes:
        return
    lon, lat = communes["lon"].astype(float).to_numpy(), communes["lat"].astype(float).to_numpy()
    radius_km = np.sqrt(communes["area_km2"].astype(float).fillna(0).clip(lower=1).to_numpy() / np.pi)
    cos = np.cos(np.radians(np.nanmean(lat)))
    pad = 2.5 * radius_km.max() / KM_PER_DEG
    xs = np.linspace(np.nanmin(lon) - pad / cos, np.nanmax(lon) + pad / cos, grid)
    ys = np.linspace(np.nanmin(lat) - pad, np.nanmax(lat) + pad, grid)
    gx, gy = np.meshgrid(xs, ys)
    field = np.zeros_like(gx)
    for x, y, r in zip(lon, lat, radius_km):
        d2 = (((gx - x) * cos) ** 2 + (gy - y) ** 2) * KM_PER_DEG ** 2 / (1.6 * r) ** 2
        field += np.exp(-d2)
    ax.contourf(gx, gy, field, levels=[OUTLINE_LEVEL, np.inf], colors=["white"], zorder=0.6)
    ax.contour(gx, gy, field, levels=[OUTLINE_LEVEL], colors=[OUTLINE], linewidths=1.6, zorder=0.7)


def label_without_overlap(ax, frame: pd.DataFrame, text_of, count: int = LABELLED) -> int:
    """Name the first `count` rows of `frame` (lon, lat) where a label fits: each label tries eight places around
    its point and is left out when all of them would cover a label already placed. Returns the number placed."""
    fig = ax.figure
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax.autoscale_view()
    ax.apply_aspect()  # the final limits, so that label boxes are measured where they will be drawn
    placed, shown = [], 0
    offsets = [(6, 6), (6, -12), (-6, 6), (-6, -12), (10, -3), (-10, -3), (0, 12), (0, -16)]
    for row in frame.itertuples():
        if shown >= count:
            break
        for dx, dy in offsets:
            note = ax.annotate(text_of(row), (float(row.lon), float(row.lat)), xytext=(dx, dy), textcoords="offset points",
                               ha="left" if dx >= 0 else "right", fontsize=8.5, zorder=6,
                               path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])
            box = note.get_window_extent(renderer).expanded(1.05, 1.15)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                shown += 1
                break
            note.remove()
    return shown


def shortage_classes(values: pd.Series) -> tuple[list[float], list[str]]:
    """Class limits for people short (0 = none short, then up to four classes from the data's quartiles) and their
    labels, e.g. ([0, 2, 5, 10, inf], ['0', '1–2', '3–5', '6–10', '> 10'])."""
    positive = values[values > 0].astype(float)
    if positive.empty:
        return [0.0], ["0"]
    cuts = sorted({int(np.ceil(q)) for q in positive.quantile([0.25, 0.5, 0.75]).to_numpy()} | {int(np.ceil(positive.max()))})
    limits, labels, low = [0.0], ["0"], 1
    for cut in cuts[:4]:
        if cut < low:
            continue
        limits.append(float(cut))
        labels.append(f"{low}" if cut == low else f"{low}–{cut}")
        low = cut + 1
    return limits, labels


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
    province_outline(ax, communes)
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
    """Communes coloured by the number of people short, in a few classes, sized by population, inside the
    province outline; the worst communes named where their labels fit without overlapping."""
    lang = ui_lang(lang)
    rows = staffing_by_commune
    if "field" in rows:  # the headcount-ceiling rows repeat the officials' rows
        rows = rows[rows["field"] != vocab.role_code("fields", "total")]
    per = rows.groupby("commune_code", as_index=False)[["required_min", "shortage"]].sum()
    communes = ds["communes"].merge(per, left_on="code", right_on="commune_code", how="left").fillna({"shortage": 0})
    missing = int(communes["shortage"].sum())
    fig, ax = _geo_figure(communes["lat"], ui_text("shortage_map", lang, missing=f"{missing:,}"), lang)
    province_outline(ax, communes)
    limits, labels = shortage_classes(communes["shortage"])
    shortage = communes["shortage"].astype(float).to_numpy()
    klass = np.searchsorted(np.array(limits), shortage, side="left")
    colours = np.array(CLASS_COLOURS[:len(limits)])[np.minimum(klass, len(limits) - 1)]
    ax.scatter(communes["lon"].astype(float), communes["lat"].astype(float), c=list(colours),
               s=_marker_sizes(communes["population"]), edgecolor="#555", linewidth=0.5, zorder=3)
    handles = [Patch(facecolor=CLASS_COLOURS[k], edgecolor="#555", label=label) for k, label in enumerate(labels)]
    ax.legend(handles=handles, title=ui_text("people_short_legend", lang), loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=9, title_fontsize=9, frameon=False)
    worst = communes[communes["shortage"] > 0].sort_values("shortage", ascending=False)
    label_without_overlap(ax, worst, lambda row: f"{_short_name(row.name)} ({int(row.shortage)})")
    return fig


def _short_name(name: str) -> str:
    """'Xã Đình Lập' -> 'Đình Lập' (the type prefix is the same on every label)."""
    for prefix in ("Xã ", "Phường ", "Thị trấn ", "Đặc khu "):
        if str(name).startswith(prefix):
            return str(name)[len(prefix):]
    return str(name)


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
    province_outline(ax, ds["communes"])
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
    province_outline(ax, ds["communes"])
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
