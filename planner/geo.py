"""Distances on the Earth, vectorized with numpy."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km; arguments broadcast like numpy arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Matrix of distances (len(a) x len(b)) between two point sets."""
    lon_a, lat_a = np.asarray(lon_a, float)[:, None], np.asarray(lat_a, float)[:, None]
    return haversine_km(lon_a, lat_a, np.asarray(lon_b, float)[None, :], np.asarray(lat_b, float)[None, :])
