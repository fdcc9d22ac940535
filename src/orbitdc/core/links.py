"""Links: line of sight, range, capacity and latency, and inter-satellite topologies.

Assumptions (the model's fidelity, stated):

- **Line of sight** between two satellites exists when the straight segment between them stays
  ``margin_km`` above a spherical Earth (WGS-84 equatorial radius): the margin keeps optical
  beams out of the atmosphere (refraction, absorption, clouds); 80 km is a common choice.
- **Capacity** of an optical link follows the link budget of a diffraction-limited beam: the
  received power, hence the data rate at a fixed energy per bit, falls as 1/range^2 beyond
  the range at which the terminal is rated, and is capped by the terminal's maximum rate (its
  modem and wavelength channels) times the transceivers a link uses. So a tight cluster reaches
  the cap (Tbps-class with DWDM) while a sparse shell runs at its rated range and rate.
- **Latency** is range over the speed of light in vacuum; processing and queueing are not
  modelled.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core.constants import SPEED_OF_LIGHT_KM_PER_S, WGS84_RADIUS_KM

__all__ = [
    "capacity_bps",
    "grazing_height_km",
    "latency_s",
    "nearest_pairs",
    "pairs_within",
    "plus_grid_pairs",
    "walker_offsets",
]


def grazing_height_km(r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """Lowest height above the spherical Earth of the segment from ``r1`` to ``r2`` (..., 3)."""
    d = r2 - r1
    dd = np.einsum("...j,...j->...", d, d)
    t = np.clip(-np.einsum("...j,...j->...", r1, d) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    closest = r1 + t[..., None] * d
    return np.sqrt(np.einsum("...j,...j->...", closest, closest)) - WGS84_RADIUS_KM


def capacity_bps(range_km, rated_bps, rated_range_km, max_bps, transceivers=1):
    """Data rate of an optical link at ``range_km``: ``rated_bps`` at ``rated_range_km``,
    scaling as 1/range^2, capped at ``max_bps``, times ``transceivers``."""
    r = np.maximum(np.asarray(range_km, float), 1e-6)
    return transceivers * np.minimum(max_bps, rated_bps * (rated_range_km / r) ** 2)


def latency_s(range_km):
    return np.asarray(range_km, float) / SPEED_OF_LIGHT_KM_PER_S


def plus_grid_pairs(planes: int, per_plane: int, cross_offset: int = 0,
                    seam_offset: int | None = None) -> np.ndarray:
    """The "+grid" of a Walker shell with satellites numbered plane by plane: each satellite
    links to its neighbours fore and aft in its plane and to one satellite in each adjacent
    plane (the one ``cross_offset`` slots along, chosen as the nearest). Across the seam, from
    the last plane to the first, the Walker phasing shifts the slots: ``seam_offset`` (default
    ``cross_offset``) is the offset there. Returns unique pairs (M, 2) with i < j. With
    ``planes >= 3`` and ``per_plane >= 3`` that is 2 links per satellite:
    ``2 * planes * per_plane`` in all."""
    idx = np.arange(planes * per_plane).reshape(planes, per_plane)
    pairs = []
    if per_plane >= 2:
        pairs.append(np.stack([idx, np.roll(idx, -1, axis=1)], axis=-1).reshape(-1, 2))
    if planes >= 2:
        nxt = np.roll(np.roll(idx, -1, axis=0), -cross_offset, axis=1)
        if seam_offset is not None:
            nxt[-1] = np.roll(idx[0], -seam_offset)
        pairs.append(np.stack([idx, nxt], axis=-1).reshape(-1, 2))
    if not pairs:
        return np.empty((0, 2), np.int64)
    p = np.concatenate(pairs)
    p = np.sort(p, axis=1)
    p = p[p[:, 0] != p[:, 1]]
    return np.unique(p, axis=0)


def walker_offsets(positions: np.ndarray, planes: int, per_plane: int) -> tuple[int, int]:
    """The ``cross_offset`` and ``seam_offset`` of :func:`plus_grid_pairs` from a shell's
    positions (planes x per_plane, 3) at one time, numbered plane by plane: the slots along
    the next plane to the nearest satellite, from the first plane to the second and from the
    last plane to the first."""
    if planes < 2:
        return 0, 0

    def nearest(src: int, plane: int) -> int:
        there = positions[plane * per_plane: (plane + 1) * per_plane]
        return int(np.argmin(np.linalg.norm(there - positions[src], axis=1)))

    return nearest(0, 1), nearest((planes - 1) * per_plane, 0)


def nearest_pairs(positions: np.ndarray, k: int, max_range_km: float) -> np.ndarray:
    """Each point's ``k`` nearest neighbours within ``max_range_km``, as unique pairs i < j."""
    from scipy.spatial import cKDTree

    n = positions.shape[0]
    if n < 2:
        return np.empty((0, 2), np.int64)
    dist, j = cKDTree(positions).query(positions, k=min(k + 1, n),
                                       distance_upper_bound=max_range_km)
    i = np.repeat(np.arange(n)[:, None], j.shape[1], axis=1)
    ok = np.isfinite(dist) & (j != i) & (j < n)
    lo, hi = np.minimum(i[ok], j[ok]), np.maximum(i[ok], j[ok])
    key = np.unique(lo.astype(np.int64) * n + hi)
    return np.stack([key // n, key % n], axis=1)


def pairs_within(positions: np.ndarray, max_range_km: float) -> np.ndarray:
    """Every pair of points closer than ``max_range_km``, as sorted pairs i < j."""
    from scipy.spatial import cKDTree

    if positions.shape[0] < 2:
        return np.empty((0, 2), np.int64)
    p = cKDTree(positions).query_pairs(max_range_km, output_type="ndarray").astype(np.int64)
    return p[np.lexsort((p[:, 1], p[:, 0]))] if p.size else np.empty((0, 2), np.int64)
