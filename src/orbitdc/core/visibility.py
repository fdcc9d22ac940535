"""Compiled kernels for ground-station visibility over a chunk of samples (numba).

The engine finds station contacts in two passes (see ``orbitdc.sim.engine``): a screen on a
coarse grid that keeps the satellite-station pairs that can be in view in each window of
time, then the elevation margin of the pairs kept, at every sample of their window. In NumPy
both passes build large temporaries (satellites x grid points x stations products, gathered
position blocks) whose memory traffic dominates; these kernels compute the same quantities
in one pass each, without them.

Geometry, as in ``orbitdc.core.frames`` and ``orbitdc.sim.engine``: TEME positions are rotated
to ECEF about the z axis by the Greenwich mean sidereal angle (polar motion neglected), and
the elevation margin of a satellite at ECEF ``r`` seen from a station at ``p`` with
ellipsoid normal ``u`` and mask ``e_min`` is ``(r - p) . u / |r - p| - sin(e_min)``: positive
when the satellite is above the mask. NaN positions (a decayed satellite) are never in view
and give NaN margins.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core._jit import kernel

__all__ = ["elevation_margins", "screen_windows"]


@kernel
def screen_windows(unit, station_unit, cos_cone, window):
    """Which satellite-station pairs can be in view in each window of the coarse grid.

    ``unit`` (S, C, 3): the satellites' ECEF unit vectors at the C grid points; ``station_unit``
    (G, 3): the stations' geocentric unit vectors; ``cos_cone`` (S, G): the cosine of the
    Earth-central half-angle within which satellite s may see station g (the visibility cone
    plus margins). A grid point is *near* when the angle between satellite and station is
    inside the cone; the grid's C - 1 intervals are grouped ``window`` at a time.

    Returns ``(S, W, G)`` bool, W = ceil((C - 1) / window): True when either end of some
    interval of window w is near.
    """
    n_s, n_c, _ = unit.shape
    n_g = station_unit.shape[0]
    n_int = n_c - 1
    n_w = (n_int + window - 1) // window
    out = np.zeros((n_s, n_w, n_g), np.bool_)
    near = np.empty((n_c, n_g), np.bool_)
    for s in range(n_s):
        for c in range(n_c):
            ux = unit[s, c, 0]
            uy = unit[s, c, 1]
            uz = unit[s, c, 2]
            for g in range(n_g):
                near[c, g] = (
                    ux * station_unit[g, 0] + uy * station_unit[g, 1] + uz * station_unit[g, 2]
                ) > cos_cone[s, g]
        for i in range(n_int):
            w = i // window
            for g in range(n_g):
                if near[i, g] or near[i + 1, g]:
                    out[s, w, g] = True
    return out


@kernel
def elevation_margins(r_teme, cos_gmst, sin_gmst, sat, station, k0, k1, station_ecef,
                      station_up, sin_min_elevation):
    """Elevation margins ``sin(elevation) - sin(mask)`` of the pairs ``(sat[m], station[m])``
    at samples ``k0..k1`` (inclusive) of TEME positions ``r_teme`` (S, K, 3), whose sidereal
    angle has cosine ``cos_gmst`` and sine ``sin_gmst`` (K,). Returns (M, k1 - k0 + 1)."""
    n_m = sat.size
    n_w = k1 - k0 + 1
    out = np.empty((n_m, n_w))
    for m in range(n_m):
        s = sat[m]
        g = station[m]
        px = station_ecef[g, 0]
        py = station_ecef[g, 1]
        pz = station_ecef[g, 2]
        ux = station_up[g, 0]
        uy = station_up[g, 1]
        uz = station_up[g, 2]
        floor = sin_min_elevation[g]
        for j in range(n_w):
            k = k0 + j
            x = r_teme[s, k, 0]
            y = r_teme[s, k, 1]
            c = cos_gmst[k]
            sn = sin_gmst[k]
            dx = c * x + sn * y - px
            dy = -sn * x + c * y - py
            dz = r_teme[s, k, 2] - pz
            rng = np.sqrt(dx * dx + dy * dy + dz * dz)
            out[m, j] = (dx * ux + dy * uy + dz * uz) / rng - floor
    return out


def warm_up() -> None:
    """Compile both kernels (or load them from numba's cache) before workers fork."""
    unit = np.ones((1, 2, 3)) / np.sqrt(3.0)
    screen_windows(unit, np.ones((1, 3)), np.zeros((1, 1)), 1)
    elevation_margins(np.ones((1, 2, 3)), np.ones(2), np.zeros(2), np.zeros(1, np.int64),
                      np.zeros(1, np.int64), 0, 1, np.zeros((1, 3)), np.ones((1, 3)), np.zeros(1))
