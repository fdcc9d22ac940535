"""Finding when a sampled function crosses zero, refined well below the sampling step.

A run samples each quantity (shadow boundary angle, elevation above a mask) at the step times;
``find_crossings`` finds every sign change between samples and refines it by bisection on a
continuous evaluator, and also looks for brief excursions that start and end between two
samples (a grazing pass, a short penumbra) next to local extrema of the samples. The evaluator
typically interpolates positions with a cubic Hermite polynomial on the SGP4 positions and
velocities at the bracketing samples: for a 60 s LEO step its position error is below 1 m,
i.e. ~0.1 ms of along-track motion.

Assumption: within a step the function has at most one local extremum (true for elevation and
shadow angles when the step is well under a quarter orbit).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from orbitdc.core._jit import kernel

__all__ = ["OpenWindows", "combine_states", "find_crossings", "hermite", "warm_up",
           "windows_from_crossings"]

#: Golden-section ratio used for the extremum search.
_INV_PHI = (np.sqrt(5.0) - 1.0) / 2.0

Evaluator = Callable[[np.ndarray, np.ndarray], np.ndarray]


def hermite(t_s: np.ndarray, r: np.ndarray, v: np.ndarray, rows: np.ndarray, t: np.ndarray):
    """Cubic Hermite interpolation of positions ``r`` (S, K, 3) with derivatives ``v`` (same
    units per second) sampled at ``t_s`` (K,), for series ``rows`` at times ``t`` (N,).
    Times outside the samples extrapolate the first or last interval's cubic."""
    t = np.asarray(t, float)
    k = np.clip(np.searchsorted(t_s, t, side="right") - 1, 0, len(t_s) - 2)
    return _hermite(np.asarray(t_s, float), r, v, np.asarray(rows, np.int64), t, k)


@kernel
def _hermite(t_s, r, v, rows, t, k):
    """The interpolation of :func:`hermite`, one query at a time (no gathered temporaries)."""
    n = t.size
    out = np.empty((n, 3))
    for i in range(n):
        a = k[i]
        s = rows[i]
        dt = t_s[a + 1] - t_s[a]
        x = (t[i] - t_s[a]) / dt
        x2 = x * x
        x3 = x2 * x
        h00 = 2.0 * x3 - 3.0 * x2 + 1.0
        h10 = (x3 - 2.0 * x2 + x) * dt
        h01 = -2.0 * x3 + 3.0 * x2
        h11 = (x3 - x2) * dt
        for j in range(3):
            out[i, j] = (h00 * r[s, a, j] + h10 * v[s, a, j] + h01 * r[s, a + 1, j]
                         + h11 * v[s, a + 1, j])
    return out


def _bisect(evaluate: Evaluator, rows, lo, hi, rising, tol_s: float, f_lo=None, f_hi=None):
    """Zero of ``evaluate(rows, .)`` in ``[lo, hi]``, where the sign at ``lo`` is negative when
    ``rising`` (positive otherwise), to within ``tol_s``.

    A bracketing secant: each round evaluates the secant estimate and a point ``tol_s / 2``
    beyond it towards the zero, so a good estimate closes the bracket at once (one or two
    rounds for the smooth functions here, instead of ~14 bisections). A round that fails to
    halve the bracket is followed by a bisection, so it is never much slower than bisection.
    ``f_lo``/``f_hi`` are the function's values at the ends when known (samples).
    """
    lo = np.asarray(lo, float).copy()
    hi = np.asarray(hi, float).copy()
    n = rows.size
    if n == 0:
        return lo
    sgn = np.where(rising, 1.0, -1.0)  # makes the function rise through zero
    f_lo = sgn * (evaluate(rows, lo) if f_lo is None else np.asarray(f_lo, float))
    f_hi = sgn * (evaluate(rows, hi) if f_hi is None else np.asarray(f_hi, float))
    # Sample values can sit exactly on zero; keep the bracket's signs strict.
    f_lo = np.minimum(f_lo, -1e-300)
    f_hi = np.maximum(f_hi, 1e-300)
    bisect_next = np.zeros(n, bool)
    active = np.nonzero(hi - lo > tol_s)[0]
    for _ in range(200):  # bisection alone needs ~log2(width / tol) rounds
        if active.size == 0:
            break
        a, b = lo[active], hi[active]
        fa, fb = f_lo[active], f_hi[active]
        width = b - a
        x = np.where(bisect_next[active], 0.5 * (a + b), a - fa * width / (fb - fa))
        x = np.clip(x, a + 0.25 * tol_s, b - 0.25 * tol_s)
        fx = sgn[active] * evaluate(rows[active], x)
        after = fx < 0.0  # the zero lies after x
        probe = np.clip(np.where(after, x + 0.5 * tol_s, x - 0.5 * tol_s), a, b)
        fp = sgn[active] * evaluate(rows[active], probe)
        # New bracket from the points a < ... < b known so far.
        new_a = np.where(after, np.where(fp < 0.0, probe, x), np.where(fp < 0.0, probe, a))
        new_fa = np.where(after, np.where(fp < 0.0, fp, fx), np.where(fp < 0.0, fp, fa))
        new_b = np.where(after, np.where(fp < 0.0, b, probe), np.where(fp < 0.0, x, probe))
        new_fb = np.where(after, np.where(fp < 0.0, fb, fp), np.where(fp < 0.0, fx, fp))
        lo[active], hi[active] = new_a, new_b
        f_lo[active], f_hi[active] = new_fa, new_fb
        bisect_next[active] = (new_b - new_a) > 0.5 * width
        active = active[(new_b - new_a) > tol_s]
    return 0.5 * (lo + hi)


def _extremum(evaluate: Evaluator, rows, lo, hi, maximise, tol_s: float, curvature=None):
    """Golden-section search for the extremum of a unimodal ``evaluate(rows, .)`` on [lo, hi],
    far enough to tell whether it crosses zero. Returns ``(t, value)``.

    A row stops as soon as a point on the far side of zero is found (its time splits the
    interval into two brackets), or, with ``curvature`` (a bound on ``|g''|`` per row), as soon
    as the best value plus ``curvature * width**2 / 8`` (the most the function can rise above
    its interpolation) stays on the near side: then there is no excursion.
    """
    sign = np.where(maximise, 1.0, -1.0)
    a = np.asarray(lo, float).copy()
    b = np.asarray(hi, float).copy()
    n = rows.size
    best_t = 0.5 * (a + b)
    best_f = np.full(n, -np.inf)
    if n == 0:
        return best_t, best_f
    curv = np.zeros(n) if curvature is None else np.broadcast_to(curvature, (n,))
    c = b - _INV_PHI * (b - a)
    d = a + _INV_PHI * (b - a)
    fc = sign * evaluate(rows, c)
    fd = sign * evaluate(rows, d)
    active = np.arange(n)
    for _ in range(200):
        better_c = fc >= fd
        best_t[active] = np.where(better_c, c, d)
        best_f[active] = np.where(better_c, fc, fd)
        width = b - a
        done = (best_f[active] > 0.0) | (width <= tol_s)
        if curvature is not None:
            done |= best_f[active] + curv[active] * width * width / 8.0 <= 0.0
        keep = ~done
        if not keep.any():
            break
        active, a, b, c, d, fc, fd = (x[keep] for x in (active, a, b, c, d, fc, fd))
        left = fc > fd  # maximum in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new_c = b - _INV_PHI * (b - a)
        new_d = a + _INV_PHI * (b - a)
        # Reuse one interior point per iteration.
        c_next = np.where(left, new_c, d)
        d_next = np.where(left, c, new_d)
        fresh_t = np.where(left, c_next, d_next)
        fresh_f = sign[active] * evaluate(rows[active], fresh_t)
        fc, fd = np.where(left, fresh_f, fd), np.where(left, fc, fresh_f)
        c, d = c_next, d_next
    return best_t, sign * best_f


def find_crossings(
    t_s: np.ndarray,
    g: np.ndarray,
    evaluate: Evaluator,
    rate_bound: np.ndarray | float,
    tol_s: float = 1e-3,
    curvature_bound: np.ndarray | float | None = None,
):
    """Zero crossings of series ``g`` (M, K) sampled at ``t_s`` (K,).

    ``evaluate(rows, t)`` returns the continuous function for series ``rows`` at times ``t``
    (both (N,)). ``rate_bound`` bounds ``|dg/dt|`` per series (M,) or overall; it limits the
    search for excursions hidden between two samples to extrema close enough to zero to reach
    it; ``curvature_bound`` (optional) bounds ``|d2g/dt2|`` the same way and, being much
    tighter for smooth orbital functions, saves most of that search. NaN samples (failed
    propagation) are never crossed.

    Assumption: each sampling interval holds at most one local extremum of the continuous
    function (the step is shorter than half the shortest oscillation). Orbital signals
    (elevation, shadow) oscillate once per orbit (~90 min) and steps are seconds to a minute, so
    this holds by a wide margin; an excursion hidden between two samples is then found by a
    golden-section search for that one extremum.

    Returns ``(rows, times, rising)``: series index, refined time (s) and whether ``g`` goes from
    negative to positive. Sorted by row then time.
    """
    g = np.asarray(g, float)
    m, k = g.shape
    if k < 2 or m == 0:
        empty = np.empty(0)
        return empty.astype(np.int64), empty, empty.astype(bool)
    pos = g > 0.0
    valid = ~np.isnan(g)
    both_valid = valid[:, :-1] & valid[:, 1:]
    change = (pos[:, :-1] != pos[:, 1:]) & both_valid
    rows_c, k_c = np.nonzero(change)
    rising_c = ~pos[rows_c, k_c]
    times_c = _bisect(
        evaluate, rows_c, t_s[k_c], t_s[k_c + 1], rising_c, tol_s,
        g[rows_c, k_c], g[rows_c, k_c + 1],
    )

    # Hidden excursions: a local extremum of the samples on the far side of zero but within
    # reach of it may hide a pair of crossings in one of its two neighbouring intervals.
    dt_max = float(np.max(np.diff(t_s)))
    reach = np.broadcast_to(np.asarray(rate_bound, float), (m,)) * dt_max
    curvature = None
    if curvature_bound is not None:
        # Between samples h apart, g rises at most C h^2 / 8 above the line joining them.
        curvature = np.broadcast_to(np.asarray(curvature_bound, float), (m,))
        reach = np.minimum(reach, curvature * dt_max * dt_max / 8.0)
    reach = reach[:, None]
    left = np.concatenate([g[:, :1], g[:, :-1]], axis=1)
    right = np.concatenate([g[:, 1:], g[:, -1:]], axis=1)
    local_max = (g >= left) & (g >= right) & (g <= 0.0) & (g > -reach)
    local_min = (g <= left) & (g <= right) & (g > 0.0) & (g < reach)
    cand = (local_max | local_min) & valid
    # Both neighbours must be on the same side, else the sign change was already found.
    same_left = np.concatenate([np.ones((m, 1), bool), ~change], axis=1)
    same_right = np.concatenate([~change, np.ones((m, 1), bool)], axis=1)
    cand &= same_left & same_right
    rows_e, k_e = np.nonzero(cand)
    lo = t_s[np.maximum(k_e - 1, 0)]
    hi = t_s[np.minimum(k_e + 1, k - 1)]
    maximise = local_max[rows_e, k_e]
    t_ext, g_ext = _extremum(
        evaluate, rows_e, lo, hi, maximise, tol_s,
        None if curvature is None else curvature[rows_e],
    )
    crossed = np.where(maximise, g_ext > 0.0, g_ext <= 0.0)
    rows_h = rows_e[crossed]
    t_ext, g_ext = t_ext[crossed], g_ext[crossed]
    rise_first = maximise[crossed]
    k_h = k_e[crossed]
    t_a = _bisect(
        evaluate, rows_h, lo[crossed], t_ext, rise_first, tol_s,
        g[rows_h, np.maximum(k_h - 1, 0)], g_ext,
    )
    t_b = _bisect(
        evaluate, rows_h, t_ext, hi[crossed], ~rise_first, tol_s,
        g_ext, g[rows_h, np.minimum(k_h + 1, k - 1)],
    )

    rows = np.concatenate([rows_c, rows_h, rows_h])
    times = np.concatenate([times_c, t_a, t_b])
    rising = np.concatenate([rising_c, rise_first, ~rise_first])
    order = np.lexsort((times, rows))
    return rows[order].astype(np.int64), times[order], rising[order]


class OpenWindows:
    """Windows still open between chunks of a run, sparse: ``rows`` (sorted), their
    ``start`` times, and whether each was open at the run's start (``clipped``).

    :meth:`advance` takes one chunk's crossings and returns the windows they close; what they
    open stays here for the next chunk; :meth:`close` ends the run. Memory is what is open now,
    not what the run has found."""

    def __init__(self, rows=None, start=None, clipped=None):
        self.rows = np.empty(0, np.int64) if rows is None else np.asarray(rows, np.int64)
        self.start = np.empty(0) if start is None else np.asarray(start, float)
        self.clipped = (np.zeros(self.rows.size, bool) if clipped is None
                        else np.asarray(clipped, bool))

    @classmethod
    def at_start(cls, inside: np.ndarray, t_start: float) -> OpenWindows:
        """The windows open at the run's start ``t_start``: rows where ``inside`` (M,)."""
        rows = np.nonzero(np.asarray(inside, bool))[0]
        return cls(rows, np.full(rows.size, float(t_start)), np.ones(rows.size, bool))

    def advance(self, rows: np.ndarray, times: np.ndarray, rising: np.ndarray):
        """Pair one chunk's crossings (sorted by row then time, alternating within a row, as
        ``find_crossings`` returns them) with the windows open before them. Returns the
        windows they close, ``(row, start, end, clipped_start)`` sorted by row then start."""
        n_open = self.rows.size
        rows_all = np.concatenate([self.rows, np.asarray(rows, np.int64)])
        times_all = np.concatenate([self.start, times])
        rising_all = np.concatenate([np.ones(n_open, bool), np.asarray(rising, bool)])
        virtual = np.concatenate([np.ones(n_open, bool), np.zeros(rows_all.size - n_open, bool)])
        clipped = np.concatenate([self.clipped, np.zeros(rows_all.size - n_open, bool)])
        # An open window sorts before the crossings of its row in the chunk.
        order = np.lexsort((times_all, ~virtual, rows_all))
        rows_all, times_all, rising_all, clipped = (
            rows_all[order], times_all[order], rising_all[order], clipped[order])
        starts = np.nonzero(rising_all)[0]
        # The crossing after each start closes it, if it is in the same row and falling.
        nxt = starts + 1
        has_next = nxt < rows_all.size
        closes = np.zeros(starts.size, bool)
        closes[has_next] = (rows_all[nxt[has_next]] == rows_all[starts[has_next]]) & ~rising_all[
            nxt[has_next]
        ]
        still = starts[~closes]
        self.rows, self.start, self.clipped = rows_all[still], times_all[still], clipped[still]
        done = starts[closes]
        return rows_all[done], times_all[done], times_all[nxt[closes]], clipped[done]

    def close(self, t_end: float):
        """End the run at ``t_end``: the windows still open, ``(row, start, end,
        clipped_start)`` (all clipped at their end), and nothing is left open."""
        out = (self.rows, self.start, np.full(self.rows.size, float(t_end)), self.clipped)
        self.__init__()
        return out


def windows_from_crossings(
    rows: np.ndarray,
    times: np.ndarray,
    rising: np.ndarray,
    inside_at_start: np.ndarray,
    t_start: float,
    t_end: float,
):
    """Turn crossings into ``[start, end]`` windows during which the function is positive.

    ``inside_at_start`` (M,) says which series are positive at ``t_start``; windows open at the
    start or at the end of the run are clipped to it and flagged. Crossings must be sorted by
    row then time and alternate in direction within a row (as ``find_crossings`` returns them).

    Returns ``(row, start, end, clipped_start, clipped_end)`` arrays sorted by row then start.
    """
    open_ = OpenWindows.at_start(inside_at_start, t_start)
    closed = open_.advance(rows, times, rising)
    last = open_.close(t_end)
    parts = [np.concatenate([a, b]) for a, b in zip(closed, last)]
    clipped_end = np.concatenate([np.zeros(closed[0].size, bool), np.ones(last[0].size, bool)])
    order = np.lexsort((parts[1], parts[0]))
    return (parts[0][order], parts[1][order], parts[2][order], parts[3][order],
            clipped_end[order])


def combine_states(
    rows_a, times_a, rising_a, start_a, rows_b, times_b, rising_b, start_b, n_rows: int
):
    """Crossings of the state ``A and not B`` from the crossings of two indicator series.

    Used for penumbra = shadow and not umbra. Returns ``(rows, times, rising, inside_at_start)``
    sorted by row then time.
    """
    rows = np.concatenate([rows_a, rows_b]).astype(np.int64)
    times = np.concatenate([times_a, times_b])
    da = np.concatenate([np.where(rising_a, 1, -1), np.zeros(rows_b.size, int)])
    db = np.concatenate([np.zeros(rows_a.size, int), np.where(rising_b, 1, -1)])
    order = np.lexsort((times, rows))
    rows, times, da, db = rows[order], times[order], da[order], db[order]
    start_a = np.asarray(start_a, bool)
    start_b = np.asarray(start_b, bool)
    # Per-row running state: initial state plus the cumulative sum within the row.
    cum_a = np.cumsum(da)
    cum_b = np.cumsum(db)
    first = np.ones(rows.size, bool)
    first[1:] = rows[1:] != rows[:-1]
    base_idx = np.maximum.accumulate(np.where(first, np.arange(rows.size), 0))
    offset_a = cum_a[base_idx] - da[base_idx]
    offset_b = cum_b[base_idx] - db[base_idx]
    state_a = (start_a[rows].astype(int) + cum_a - offset_a) > 0
    state_b = (start_b[rows].astype(int) + cum_b - offset_b) > 0
    after = state_a & ~state_b
    before = np.empty_like(after)
    before[1:] = after[:-1]
    initial = start_a & ~start_b
    before[first] = initial[rows[first]]
    change = after != before
    return rows[change], times[change], after[change], initial


def warm_up() -> None:
    """Compile the interpolation kernel, the engine's compiled event search
    (``orbitdc.core.crossings``) and its shadow pass (``orbitdc.core.sun.shadow_pass``), or
    load them from numba's cache, before workers fork."""
    from orbitdc.core import crossings
    from orbitdc.core.sun import shadow_pass

    crossings.warm_up()
    shadow_pass(np.full((1, 2, 3), 7000.0), np.ones((1, 2, 3)), np.full((2, 3), 1e8),
                np.full((2, 3), 3.0**-0.5))
    r = np.zeros((1, 2, 3))
    hermite(np.array([0.0, 1.0]), r, r, np.zeros(1, np.int64), np.array([0.5]))
