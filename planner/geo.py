"""Distances on the Earth, vectorized with numpy."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km; arguments broadcast like numpy arrays.

    sin²(Δlat/2) + cos lat1 cos lat2 sin²(Δlon/2), computed in place: a distance matrix (officials x communes, old
    units x buildings) is tens of millions of numbers, and each temporary array of that size is fresh memory the
    system must hand over page by page (twice as fast as the one-line formula, with the same operations in the same
    order, so the same bits)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.array(lat2 - lat1)
    a /= 2
    np.sin(a, out=a)
    np.square(a, out=a)
    b = np.array(lon2 - lon1)
    b /= 2
    np.sin(b, out=b)
    np.square(b, out=b)
    scale = np.cos(lat1) * np.cos(lat2)
    if scale.shape == b.shape:
        scale *= b
    else:
        scale = scale * b
    if a.shape == scale.shape:
        a += scale
    else:
        a = a + scale
    np.clip(a, 0.0, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2 * EARTH_RADIUS_KM
    return a if a.ndim else a[()]


def distance_matrix_km(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Matrix of distances (len(a) x len(b)) between two point sets."""
    lon_a, lat_a = np.asarray(lon_a, float)[:, None], np.asarray(lat_a, float)[:, None]
    return haversine_km(lon_a, lat_a, np.asarray(lon_b, float)[None, :], np.asarray(lat_b, float)[None, :])
