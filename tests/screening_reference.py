"""A plain, obviously-correct screen to check the fast one against: every object propagated
with sgp4 on a fine grid, the distance of every pair at every sample, each interior local
minimum of the sampled distance refined with scipy's bounded Brent minimiser on the distance
itself (sgp4 at each trial time)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sgp4.api import SatrecArray

from orbitdc.core.time import jd_pair


def _state(sat, epoch, t):
    jd, fr = jd_pair(epoch, np.array([t]))
    e, r, v = sat.sgp4_array(jd, fr)
    return r[0], v[0]


def reference_screen(satrecs, epoch, duration_s, threshold_km, step_s=2.0, limits=None):
    """Every approach of every pair below its threshold: ``[(a, b, tca_s, miss_km)]``.
    ``limits(a, b)`` gives a pair's threshold (default ``threshold_km``)."""
    t = np.arange(0.0, duration_s + step_s / 2, step_s)
    jd, fr = jd_pair(epoch, t)
    err, r, _ = SatrecArray(list(satrecs)).sgp4(jd, fr)
    r = np.where(err[..., None] == 0, r, np.nan)
    n = len(satrecs)
    out = []
    coarse = threshold_km if limits is None else max(
        limits(i, j) for i in range(n) for j in range(i + 1, n))
    for i in range(n - 1):
        d = np.linalg.norm(r[i + 1:] - r[i], axis=-1)  # (n - i - 1, T)
        # Interior local minima of the samples (ties broken towards the later sample).
        mins = (d[:, 1:-1] < d[:, :-2]) & (d[:, 1:-1] <= d[:, 2:])
        # A sampled minimum at most a step's worth of relative motion above the threshold.
        rows, cols = np.nonzero(mins & (d[:, 1:-1] < coarse + 16.0 * step_s))
        for row, col in zip(rows, cols, strict=True):
            j = i + 1 + row
            lim = threshold_km if limits is None else limits(i, j)
            k = col + 1

            def dist(tt, i=i, j=j):
                ri, _ = _state(satrecs[i], epoch, tt)
                rj, _ = _state(satrecs[j], epoch, tt)
                return float(np.linalg.norm(rj - ri))

            res = minimize_scalar(dist, bounds=(t[k - 1], t[k + 1]), method="bounded",
                                  options={"xatol": 1e-7})
            if res.fun < lim and 0.0 < res.x < duration_s:
                out.append((i, j, float(res.x), float(res.fun)))
    return out
