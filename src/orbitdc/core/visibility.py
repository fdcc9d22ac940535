"""Compiled kernels for ground-station visibility over a chunk of samples (numba).

The engine finds station contacts in two passes (see ``orbitdc.sim.engine``): a screen on a
coarse grid that keeps the satellite-station pairs that can be in view in each window of
time (here), then the elevation margin of the pairs kept, at every sample of their window,
with their crossings (``orbitdc.core.crossings.contact_crossings``). In NumPy both passes
build large temporaries (satellites x grid points x stations products, gathered position
blocks) whose memory traffic dominates; the kernels compute the same quantities in one pass
each, without them.

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

__all__ = ["screen_windows"]


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


def warm_up() -> None:
    """Compile the screen (or load it from numba's cache) before workers fork."""
    unit = np.ones((1, 2, 3)) / np.sqrt(3.0)
    screen_windows(unit, np.ones((1, 3)), np.zeros((1, 1)), 1)
