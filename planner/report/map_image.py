"""The shortage map: communes coloured by people short (a few classes), the worst ones named without overlap,
inside a province outline estimated from the commune geography. No tile server or GIS library is needed.

Territories: every point of a fine grid belongs to the commune of its nearest known point (the commune centres and,
when given, the old units, which carry their new commune): Voronoi cells, drawn as a raster. The province is the
union of discs around those points (radius from their spacing), so the outline follows the settled area rather
than a convex hull. Returns a matplotlib Figure (built without pyplot, safe in threads; the app can show it) or
PNG bytes (the leadership workbook inserts it).
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from .. import labels as L
from . import words as W

KM_PER_DEG_LAT = 110.57
COLOURS = ("#e3ecd9", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000")  # none short, then up to four classes
BORDER = np.array([1.0, 1.0, 1.0, 1.0])
OUTLINE = "#3a3a3a"
CM = 1 / 2.54
BLOCK = 8  # pixels per side of the coarse grid's blocks (_territories)
CHUNK = 1000  # grid points per distance matrix chunk: small enough to reuse memory (20,000 asked the system for fresh
#               pages every chunk: the first Hồ Chí Minh map took 1.09 s, 0.40 s with 1,000; the same picture)


def shortage_by_commune(staffing_by_commune: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """code, name, lon, lat, shortage: people short per commune (0 where the plan has none), communes with a place."""
    short = (staffing_by_commune.groupby("commune_code")["shortage"].sum()
             if len(staffing_by_commune) else pd.Series(dtype=float))
    out = communes[["code", "name", "lon", "lat"]].copy()
    out["shortage"] = out["code"].map(short).fillna(0).astype(float).to_numpy()
    out["lon"] = pd.to_numeric(out["lon"], errors="coerce")
    out["lat"] = pd.to_numeric(out["lat"], errors="coerce")
    return out.dropna(subset=["lon", "lat"]).reset_index(drop=True)


def shortage_classes(values) -> list[tuple[int, int | None]]:
    """Classes of people short, after the class 0: at most four, with whole-number bounds from the positive values'
    spread (e.g. 1 | 2-3 | 4-8 | 9+); (low, high) with high None for the last, open class."""
    positive = np.sort(np.asarray(values, dtype=float)[np.asarray(values, dtype=float) > 0])
    if not len(positive):
        return []
    top = int(math.ceil(positive.max()))
    cuts = sorted({int(math.ceil(q)) for q in np.quantile(positive, [0.25, 0.5, 0.8])} | {1})
    bounds, low = [], 1
    for cut in cuts:
        if cut >= low and cut < top:
            bounds.append((low, cut))
            low = cut + 1
    bounds.append((low, None if top > low else top))
    return bounds[-4:] if len(bounds) <= 4 else bounds[:3] + [(bounds[3][0], None)]


def class_label(bounds: tuple[int, int | None]) -> str:
    low, high = bounds
    if high is None:
        return f"≥ {low}"
    return str(low) if high == low else f"{low} - {high}"


def class_of(values, classes: list[tuple[int, int | None]]) -> np.ndarray:
    """0 for no shortage, k for the k-th class."""
    values = np.asarray(values, dtype=float)
    out = np.zeros(len(values), dtype=int)
    for k, (low, _) in enumerate(classes, start=1):
        out[values >= low - 1e-9] = k
    return out


def _radius(points_xy: np.ndarray) -> float:
    """Disc radius (km) for the province outline: three quarters of the longest link of the minimum spanning tree
    (95th percentile, so one remote island does not swell the whole outline), so the settled area is one piece."""
    n = len(points_xy)
    if n < 2:
        return 5.0
    dist = np.sqrt(((points_xy[:, None, :] - points_xy[None, :, :]) ** 2).sum(-1))
    best = dist[0].copy()
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    edges = []
    for _ in range(n - 1):  # Prim's algorithm on the full distance matrix
        best[in_tree] = np.inf
        k = int(best.argmin())
        edges.append(best[k])
        in_tree[k] = True
        best = np.minimum(best, dist[k])
    return max(0.75 * float(np.percentile(edges, 95)), 0.5)


def _territories(points_xy: np.ndarray, owner: np.ndarray, pixels: int = 300):
    """Raster of the nearest point's owner (commune index) over the province, -1 outside; and the grid extent.

    Proportional to the outline rather than the pixels: the nearest point is found on a coarse grid (every BLOCK-th
    pixel) first; a block whose four corners have the same nearest point, all inside its disc, lies wholly in that
    point's Voronoi cell and disc (both convex) and is filled at once; only the other blocks (borders, coast) are
    computed pixel by pixel."""
    radius = _radius(points_xy)
    (x0, y0), (x1, y1) = points_xy.min(axis=0) - radius, points_xy.max(axis=0) + radius
    step = max(x1 - x0, y1 - y0) / pixels
    xs, ys = np.arange(x0, x1 + step, step), np.arange(y0, y1 + step, step)
    if min(len(xs), len(ys)) < 2:  # a single row or column of pixels: no blocks
        gx, gy = np.meshgrid(xs, ys)
        nearest = _nearest(np.column_stack([gx.ravel(), gy.ravel()]), points_xy, radius).reshape(gy.shape)
        return np.where(nearest >= 0, owner[np.maximum(nearest, 0)], -1), (x0, x1 + step, y0, y1 + step)
    rows = np.unique(np.r_[0:len(ys):BLOCK, len(ys) - 1])
    cols = np.unique(np.r_[0:len(xs):BLOCK, len(xs) - 1])
    gx, gy = np.meshgrid(xs[cols], ys[rows])
    coarse = _nearest(np.column_stack([gx.ravel(), gy.ravel()]), points_xy, radius).reshape(gy.shape)
    same = ((coarse[:-1, :-1] == coarse[1:, :-1]) & (coarse[:-1, :-1] == coarse[:-1, 1:])
            & (coarse[:-1, :-1] == coarse[1:, 1:]) & (coarse[:-1, :-1] >= 0))
    # every pixel's block (a pixel on a block edge goes to the block above / left of it)
    block_row = np.clip(np.searchsorted(rows, np.arange(len(ys)), side="right") - 1, 0, len(rows) - 2)
    block_col = np.clip(np.searchsorted(cols, np.arange(len(xs)), side="right") - 1, 0, len(cols) - 2)
    nearest = coarse[:-1, :-1][np.ix_(block_row, block_col)]
    exact = ~same[np.ix_(block_row, block_col)]
    yy, xx = np.nonzero(exact)
    nearest[yy, xx] = _nearest_in_blocks(xs, ys, rows, cols, block_row[yy], block_col[xx], xx, yy, points_xy, radius)
    label = np.where(nearest >= 0, owner[np.maximum(nearest, 0)], -1)
    return label, (x0, x1 + step, y0, y1 + step)


def _nearest_in_blocks(xs, ys, rows, cols, brow, bcol, xx, yy, points_xy: np.ndarray, radius: float) -> np.ndarray:
    """_nearest for the pixels (xs[xx], ys[yy]) of the mixed blocks (brow, bcol), among few candidates: a pixel's
    nearest point is no farther from its block's centre than the nearest point of the centre plus the block's
    diagonal, so only points within that bound (the closest `m` to the centre) are compared."""
    # the mixed blocks in (row, column) order and each pixel's index among them: np.unique without a sort
    key = brow * len(cols) + bcol
    present = np.zeros(len(rows) * len(cols), dtype=bool)
    present[key] = True
    found = np.flatnonzero(present)
    blocks = np.column_stack([found // len(cols), found % len(cols)])
    block = (np.cumsum(present) - 1)[key]
    left, right = xs[cols[blocks[:, 1]]], xs[cols[blocks[:, 1] + 1]]
    low, high = ys[rows[blocks[:, 0]]], ys[rows[blocks[:, 0] + 1]]
    centre = np.column_stack([(left + right) / 2, (low + high) / 2])
    to_centre = np.sqrt(((centre[:, None, :] - points_xy[None, :, :]) ** 2).sum(-1))
    bound = to_centre.min(axis=1) + np.hypot(right - left, high - low) + 1e-9
    m = int((to_centre <= bound[:, None]).sum(axis=1).max())
    # the m closest to each centre, nearest first and ties by index (a stable sort's order), without sorting all
    closest = np.argpartition(to_centre, m - 1, axis=1)[:, :m] if m < to_centre.shape[1] else \
        np.broadcast_to(np.arange(m), to_centre.shape)
    order = np.lexsort((closest, np.take_along_axis(to_centre, closest, axis=1)), axis=1)
    candidates = np.take_along_axis(closest, order, axis=1)
    out = np.full(len(xx), -1)
    for start in range(0, len(xx), CHUNK):  # bounded memory: CHUNK pixels x m candidates at a time
        part = slice(start, start + CHUNK)
        cand = candidates[block[part]]
        d2 = (xs[xx[part]][:, None] - points_xy[cand, 0]) ** 2 + (ys[yy[part]][:, None] - points_xy[cand, 1]) ** 2
        pick = d2.argmin(axis=1)
        k = np.arange(len(cand))
        out[part] = np.where(d2[k, pick] <= radius ** 2, cand[k, pick], -1)
    return out


def _nearest(flat: np.ndarray, points_xy: np.ndarray, radius: float) -> np.ndarray:
    """Index of the nearest point of every grid point, -1 farther than `radius` from all; in chunks (bounded
    memory: CHUNK grid points x points at a time)."""
    out = np.full(len(flat), -1)
    for start in range(0, len(flat), CHUNK):
        chunk = flat[start:start + CHUNK]
        d2 = (chunk ** 2).sum(1)[:, None] - 2 * chunk @ points_xy.T + (points_xy ** 2).sum(1)[None, :]
        nearest = d2.argmin(axis=1)
        inside = d2[np.arange(len(chunk)), nearest] <= radius ** 2
        out[start:start + CHUNK] = np.where(inside, nearest, -1)
    return out


def shortage_map_figure(staffing_by_commune: pd.DataFrame, communes: pd.DataFrame, lang: str = "vi",
                        old_units: pd.DataFrame | None = None, size_cm: tuple[float, float] = (13.5, 9.5),
                        labelled: int = 8, title: bool = False, font_pt: float = 8.0) -> Figure:
    """The map as a Figure of `size_cm`: communes by class of people short, the `labelled` worst named (those that fit
    without overlapping), the estimated province outline, a legend and a scale bar. Raises ValueError when no
    commune has coordinates."""
    lang = L.check_lang(lang)
    data = shortage_by_commune(staffing_by_commune, communes)
    if not len(data):
        raise ValueError("no commune has coordinates (lon, lat): no map")
    lat0 = float(data["lat"].mean())
    kx = KM_PER_DEG_LAT * math.cos(math.radians(lat0))
    points = [data[["lon", "lat"]].to_numpy(float)]
    owners = [np.arange(len(data))]
    if old_units is not None and len(old_units) and {"lon", "lat", "commune_code"} <= set(old_units.columns):
        ou = old_units.assign(lon=pd.to_numeric(old_units["lon"], errors="coerce"),
                              lat=pd.to_numeric(old_units["lat"], errors="coerce"))
        index = pd.Series(np.arange(len(data)), index=data["code"].to_numpy())
        ou = ou[ou["commune_code"].isin(index.index)].dropna(subset=["lon", "lat"])
        points.append(ou[["lon", "lat"]].to_numpy(float))
        owners.append(index.loc[ou["commune_code"].to_numpy()].to_numpy())
    lonlat = np.concatenate(points)
    xy = np.column_stack([lonlat[:, 0] * kx, lonlat[:, 1] * KM_PER_DEG_LAT])
    raster, (x0, x1, y0, y1) = _territories(xy, np.concatenate(owners))

    classes = shortage_classes(data["shortage"])
    cls = class_of(data["shortage"], classes)
    palette = np.array([_rgba(c) for c in COLOURS[: len(classes) + 1]])
    image = np.zeros(raster.shape + (4,))
    inside = raster >= 0
    image[inside] = palette[cls[raster[inside]]]
    edge = np.zeros_like(inside)
    edge[:, 1:] |= (raster[:, 1:] != raster[:, :-1]) & inside[:, 1:] & inside[:, :-1]
    edge[1:, :] |= (raster[1:, :] != raster[:-1, :]) & inside[1:, :] & inside[:-1, :]
    image[edge] = BORDER

    fig = Figure(figsize=(size_cm[0] * CM, size_cm[1] * CM))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.93 if title else 1.0))
    ax.imshow(image, origin="lower", extent=(x0, x1, y0, y1), interpolation="nearest", zorder=1)
    gx = np.linspace(x0, x1, raster.shape[1])
    gy = np.linspace(y0, y1, raster.shape[0])
    ax.contour(gx, gy, inside.astype(float), levels=[0.5], colors=OUTLINE, linewidths=1.0, zorder=2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        fig.suptitle(W.text("map_title", lang), fontsize=font_pt + 2, y=0.99)
    bar = _scale_bar(ax, x0, x1, y0, y1, font_pt)
    handles = [Patch(facecolor=COLOURS[0], edgecolor="#999999", label=f"0 ({W.text('map_none', lang)})")]
    handles += [Patch(facecolor=COLOURS[k], edgecolor="#999999", label=class_label(b))
                for k, b in enumerate(classes, start=1)]
    legend = ax.legend(handles=handles, title=W.text("map_legend", lang), loc="upper left", fontsize=font_pt,
                       title_fontsize=font_pt, frameon=True, framealpha=0.9)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    taken = [legend.get_window_extent(), bar.get_window_extent(renderer).expanded(1.3, 2.0)]
    _label_worst(fig, ax, data, kx, labelled, font_pt, taken)
    return fig


def shortage_map_png(staffing_by_commune: pd.DataFrame, communes: pd.DataFrame, lang: str = "vi",
                     old_units: pd.DataFrame | None = None, size_cm: tuple[float, float] = (13.5, 9.5),
                     labelled: int = 8, dpi: int = 170) -> bytes:
    """The same map as PNG bytes (`size_cm` at `dpi`), for a workbook or a download."""
    fig = shortage_map_figure(staffing_by_commune, communes, lang, old_units, size_cm, labelled)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _rgba(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)] + [1.0])


def _scale_bar(ax, x0, x1, y0, y1, font_pt):
    """A bar of a round length (km) in the lower right corner."""
    span = (x1 - x0) / 5
    length = next(v for v in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if v >= span * 0.6)
    right, bottom = x1 - (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([right - length, right], [bottom, bottom], color=OUTLINE, linewidth=2.5, zorder=4)
    return ax.text(right - length / 2, bottom + (y1 - y0) * 0.015, f"{length} km", ha="center", va="bottom",
                   fontsize=font_pt, zorder=4)


def _label_worst(fig, ax, data: pd.DataFrame, kx: float, count: int, font_pt: float, taken: list) -> None:
    """Name the communes with most people short, largest first; a name goes to the first of eight places around
    its commune that overlaps no other name, the legend or the frame, and is left out when none is free."""
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    worst = data[data["shortage"] > 0].sort_values(["shortage", "name"], ascending=[False, True]).head(count)
    for row in worst.itertuples():  # the dots first, so no name covers another commune's dot
        x, y = row.lon * kx, row.lat * KM_PER_DEG_LAT
        ax.plot([x], [y], marker="o", markersize=3, color="black", zorder=5)
        px, py = ax.transData.transform((x, y))
        taken.append(Bbox.from_extents(px - 3, py - 3, px + 3, py + 3))
    offsets = [(5, 4, "left", "bottom"), (5, -4, "left", "top"), (-5, 4, "right", "bottom"),
               (-5, -4, "right", "top"), (0, 7, "center", "bottom"), (0, -7, "center", "top"),
               (9, 0, "left", "center"), (-9, 0, "right", "center")]
    for row in worst.itertuples():
        x, y = row.lon * kx, row.lat * KM_PER_DEG_LAT
        text = f"{row.name} ({row.shortage:.0f})"
        for dx, dy, ha, va in offsets:
            label = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                                fontsize=font_pt, zorder=6, parse_math=False,
                                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.8))
            box = label.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                break
            label.remove()
