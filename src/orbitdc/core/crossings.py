"""Compiled event search for the engine's two evaluators: shadow cones and station elevation.

``orbitdc.core.events.find_crossings`` finds the zero crossings of sampled series with NumPy,
calling back into Python for every round of refinement (a secant bracket, a golden-section
search for excursions hidden between samples). Each round is a handful of array operations on
the rows still active, so for the engine's series (thousands of satellites, a few rounds each)
the cost is mostly Python and temporaries, not arithmetic. The kernels here run the same
algorithm row by row in compiled code, with the two evaluators the engine uses inlined:

- **shadow** (``PENUMBRA``, ``UMBRA``): the conical-shadow margins of
  ``orbitdc.core.sun.shadow_angles`` at a satellite's Hermite-interpolated position and the
  Sun of ``orbitdc.core.sun.sun_position_km`` at that time;
- **contact** (``CONTACT``): ``sin(elevation) - sin(mask)`` of a satellite's interpolated
  TEME position, rotated to ECEF by the IAU 1982 GMST of ``orbitdc.core.time.gmst_rad``, from a
  station (:func:`margin_range`, the formula of ``orbitdc.core.visibility``'s docstring).

Each row's iterates are those of the NumPy algorithm (its rows are independent: the arrays
only batch them), so the times agree with ``find_crossings`` on the same evaluator to the
rounding of the transcendental functions, far below the 1 ms tolerance; the property tests in
``tests/test_speed_kernels.py`` hold them to it. The contact kernel also walks the screen's
windows itself, so a chunk's contacts are one call instead of a Python loop over windows.
"""

from __future__ import annotations

import math

import numpy as np

from orbitdc.core._jit import kernel
from orbitdc.core.constants import (
    AU_KM,
    EARTH_ROTATION_RAD_PER_S,
    JD_J2000,
    SECONDS_PER_DAY,
    SUN_RADIUS_KM,
    WGS84_RADIUS_KM,
)

__all__ = ["CONTACT", "PENUMBRA", "UMBRA", "contact_crossings", "margin_range", "shadow_crossings",
           "warm_up"]

PENUMBRA = 0
UMBRA = 1
CONTACT = 2

#: What the contact pre-screen's bound must clear (in sin(elevation)): the Hermite
#: interpolant the search refines on departs from the sampled motion by metres, ~1e-6 here.
SCREEN_SLACK = 1e-4

_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0
_DEG = math.pi / 180.0
_TWO_PI = 2.0 * math.pi


@kernel
def _clip(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


@kernel
def _hermite1(t_s, r, v, s, tq):
    """Cubic Hermite position of series ``s`` at ``tq`` (as ``events._hermite``)."""
    k = np.searchsorted(t_s, tq, side="right") - 1
    k = min(max(k, 0), t_s.size - 2)
    dt = t_s[k + 1] - t_s[k]
    x = (tq - t_s[k]) / dt
    x2 = x * x
    x3 = x2 * x
    h00 = 2.0 * x3 - 3.0 * x2 + 1.0
    h10 = (x3 - 2.0 * x2 + x) * dt
    h01 = -2.0 * x3 + 3.0 * x2
    h11 = (x3 - x2) * dt
    px = h00 * r[s, k, 0] + h10 * v[s, k, 0] + h01 * r[s, k + 1, 0] + h11 * v[s, k + 1, 0]
    py = h00 * r[s, k, 1] + h10 * v[s, k, 1] + h01 * r[s, k + 1, 1] + h11 * v[s, k + 1, 1]
    pz = h00 * r[s, k, 2] + h10 * v[s, k, 2] + h01 * r[s, k + 1, 2] + h11 * v[s, k + 1, 2]
    return px, py, pz


@kernel
def _jd_pair(e0, e1, tq):
    fr = e1 + tq / SECONDS_PER_DAY
    whole = np.floor(fr)
    return e0 + whole, fr - whole


@kernel
def _evaluate(kind, s, g, tq, t_s, r, v, e0, e1, st_ecef, st_up, st_sin):
    """The continuous function of row (satellite ``s``, station ``g``) at time ``tq``."""
    x, y, z = _hermite1(t_s, r, v, s, tq)
    jd, fr = _jd_pair(e0, e1, tq)
    n = (jd - JD_J2000) + fr
    if kind == CONTACT:
        tut1 = n / 36525.0
        sec = (-6.2e-6 * tut1**3 + 0.093104 * tut1**2
               + (876600.0 * 3600.0 + 8640184.812866) * tut1 + 67310.54841)
        theta = np.mod((sec / 240.0) * _DEG, _TWO_PI)
        c = np.cos(theta)
        sn = np.sin(theta)
        dx = c * x + sn * y - st_ecef[g, 0]
        dy = -sn * x + c * y - st_ecef[g, 1]
        dz = z - st_ecef[g, 2]
        rng = np.sqrt(dx * dx + dy * dy + dz * dz)
        return (dx * st_up[g, 0] + dy * st_up[g, 1] + dz * st_up[g, 2]) / rng - st_sin[g]
    mean_lon = (280.460 + 0.9856474 * n) * _DEG
    anomaly = (357.528 + 0.9856003 * n) * _DEG
    ecl_lon = mean_lon + (1.915 * np.sin(anomaly) + 0.020 * np.sin(2.0 * anomaly)) * _DEG
    obliquity = (23.439 - 4.0e-7 * n) * _DEG
    dist = AU_KM * (1.00014 - 0.01671 * np.cos(anomaly) - 0.00014 * np.cos(2.0 * anomaly))
    sx = dist * np.cos(ecl_lon)
    sy = dist * np.cos(obliquity) * np.sin(ecl_lon)
    sz = dist * np.sin(obliquity) * np.sin(ecl_lon)
    r2 = x * x + y * y + z * z
    rs = x * sx + y * sy + z * sz
    s2 = sx * sx + sy * sy + sz * sz
    d_earth = np.sqrt(r2)
    d_sun = np.sqrt(s2 - 2.0 * rs + r2)
    sep = np.arccos(_clip((r2 - rs) / (d_earth * d_sun), -1.0, 1.0))
    a = np.arcsin(min(SUN_RADIUS_KM / d_sun, 1.0))
    b = np.arcsin(min(WGS84_RADIUS_KM / d_earth, 1.0))
    if kind == UMBRA:
        return b - a - sep
    return a + b - sep


@kernel
def _bisect(kind, s, g, lo, hi, rising, tol, f_lo, f_hi, t_s, r, v, e0, e1, st_ecef, st_up,
            st_sin):
    """One row of ``events._bisect`` (a bracketing secant with a probe beyond each estimate),
    with both ends' values known."""
    sgn = 1.0 if rising else -1.0
    f_lo = min(sgn * f_lo, -1e-300)
    f_hi = max(sgn * f_hi, 1e-300)
    bisect_next = False
    if not hi - lo > tol:
        return 0.5 * (lo + hi)
    for _ in range(200):
        a, b, fa, fb = lo, hi, f_lo, f_hi
        width = b - a
        if bisect_next:
            x = 0.5 * (a + b)
        else:
            x = a - fa * width / (fb - fa)
        x = _clip(x, a + 0.25 * tol, b - 0.25 * tol)
        fx = sgn * _evaluate(kind, s, g, x, t_s, r, v, e0, e1, st_ecef, st_up, st_sin)
        after = fx < 0.0
        probe = _clip(x + 0.5 * tol if after else x - 0.5 * tol, a, b)
        fp = sgn * _evaluate(kind, s, g, probe, t_s, r, v, e0, e1, st_ecef, st_up, st_sin)
        if after:
            if fp < 0.0:
                lo, f_lo = probe, fp
            else:
                lo, f_lo, hi, f_hi = x, fx, probe, fp
        elif fp < 0.0:
            lo, f_lo, hi, f_hi = probe, fp, x, fx
        else:
            hi, f_hi = probe, fp
        bisect_next = (hi - lo) > 0.5 * width
        if not (hi - lo) > tol:
            break
    return 0.5 * (lo + hi)


@kernel
def _extremum(kind, s, g, lo, hi, maximise, tol, curv, use_curv, t_s, r, v, e0, e1, st_ecef,
              st_up, st_sin):
    """One row of ``events._extremum``: golden-section search, stopped as soon as the zero is
    passed or, with ``use_curv``, cannot be reached. Returns ``(t, value)``."""
    sign = 1.0 if maximise else -1.0
    a, b = lo, hi
    c = b - _INV_PHI * (b - a)
    d = a + _INV_PHI * (b - a)
    fc = sign * _evaluate(kind, s, g, c, t_s, r, v, e0, e1, st_ecef, st_up, st_sin)
    fd = sign * _evaluate(kind, s, g, d, t_s, r, v, e0, e1, st_ecef, st_up, st_sin)
    best_t = 0.5 * (a + b)
    best_f = -np.inf
    for _ in range(200):
        if fc >= fd:
            best_t, best_f = c, fc
        else:
            best_t, best_f = d, fd
        width = b - a
        done = (best_f > 0.0) or (width <= tol)
        if use_curv:
            done = done or (best_f + curv * width * width / 8.0 <= 0.0)
        if done:
            break
        left = fc > fd
        if left:
            b = d
        else:
            a = c
        new_c = b - _INV_PHI * (b - a)
        new_d = a + _INV_PHI * (b - a)
        c_next = new_c if left else d
        d_next = c if left else new_d
        fresh = sign * _evaluate(kind, s, g, c_next if left else d_next, t_s, r, v, e0, e1,
                                 st_ecef, st_up, st_sin)
        if left:
            fc = fresh
        else:
            fd = fresh
        c, d = c_next, d_next
    return best_t, sign * best_f


@kernel
def _row_crossings(kind, s, g, gs, tw, reach, curv, use_curv, tol, t_s, r, v, e0, e1,
                   st_ecef, st_up, st_sin, out_t, out_up):
    """``find_crossings`` on one row: series ``gs`` sampled at ``tw``; writes the crossings'
    times and directions (sorted by time) into ``out_t``/``out_up`` (room for 3 K + 2);
    returns their count."""
    k_n = gs.size
    n = 0
    for k in range(k_n - 1):  # sign changes
        a = gs[k]
        b = gs[k + 1]
        if np.isnan(a) or np.isnan(b) or (a > 0.0) == (b > 0.0):
            continue
        rising = not a > 0.0
        out_t[n] = _bisect(kind, s, g, tw[k], tw[k + 1], rising, tol, a, b, t_s, r, v, e0, e1,
                           st_ecef, st_up, st_sin)
        out_up[n] = rising
        n += 1
    n_change = n
    # Hidden excursions: the NumPy version collects all first crossings (t_a), then all
    # second ones (t_b), before one stable sort; so does this.
    first_at = n
    n_ext = 0
    for k in range(k_n):
        gk = gs[k]
        if np.isnan(gk):
            continue
        left = gs[k - 1] if k > 0 else gs[0]
        right = gs[k + 1] if k < k_n - 1 else gs[k_n - 1]
        lmax = (gk >= left) and (gk >= right) and (gk <= 0.0) and (gk > -reach)
        lmin = (gk <= left) and (gk <= right) and (gk > 0.0) and (gk < reach)
        if not (lmax or lmin):
            continue
        if k > 0 and _changes(gs[k - 1], gk):
            continue
        if k < k_n - 1 and _changes(gk, gs[k + 1]):
            continue
        k_lo = max(k - 1, 0)
        k_hi = min(k + 1, k_n - 1)
        t_ext, g_ext = _extremum(kind, s, g, tw[k_lo], tw[k_hi], lmax, tol, curv, use_curv,
                                 t_s, r, v, e0, e1, st_ecef, st_up, st_sin)
        crossed = g_ext > 0.0 if lmax else g_ext <= 0.0
        if not crossed:
            continue
        out_t[first_at + n_ext] = _bisect(kind, s, g, tw[k_lo], t_ext, lmax, tol, gs[k_lo],
                                          g_ext, t_s, r, v, e0, e1, st_ecef, st_up, st_sin)
        out_up[first_at + n_ext] = lmax
        # The second crossing of each excursion is parked beyond the first ones' room.
        out_t[2 * k_n + n_ext] = _bisect(kind, s, g, t_ext, tw[k_hi], not lmax, tol, g_ext,
                                     gs[k_hi], t_s, r, v, e0, e1, st_ecef, st_up, st_sin)
        out_up[2 * k_n + n_ext] = not lmax
        n_ext += 1
    n = n_change + n_ext
    for i in range(n_ext):  # the second crossings after the first ones
        out_t[n + i] = out_t[2 * k_n + i]
        out_up[n + i] = out_up[2 * k_n + i]
    n += n_ext
    if n > 1:  # a stable sort by time (insertion: a row has a few crossings)
        for i in range(1, n):
            ti = out_t[i]
            ui = out_up[i]
            j = i - 1
            while j >= 0 and out_t[j] > ti:
                out_t[j + 1] = out_t[j]
                out_up[j + 1] = out_up[j]
                j -= 1
            out_t[j + 1] = ti
            out_up[j + 1] = ui
    return n


@kernel
def _changes(a, b):
    return not (np.isnan(a) or np.isnan(b)) and ((a > 0.0) != (b > 0.0))


@kernel
def _reach(rate, curv, use_curv, dt_max):
    reach = rate * dt_max
    if use_curv:
        reach = np.minimum(reach, curv * dt_max * dt_max / 8.0)
    return reach


@kernel
def _grow(rows, times, rising, need):
    if need <= rows.size:
        return rows, times, rising
    size = max(need, 2 * rows.size)
    r2 = np.empty(size, np.int64)
    t2 = np.empty(size)
    u2 = np.empty(size, np.bool_)
    r2[: rows.size] = rows
    t2[: rows.size] = times
    u2[: rows.size] = rising
    return r2, t2, u2


@kernel
def shadow_crossings(kind, t_s, gs, r, v, e0, e1, rate, curv, use_curv, tol):
    """``find_crossings`` of the shadow margins ``gs`` (S, K) (``kind``: ``PENUMBRA`` for
    ``a + b - sep``, ``UMBRA`` for ``b - a - sep``) sampled at ``t_s`` (K,), refined on
    positions ``r`` and velocities ``v`` (S, K, 3) interpolated by cubic Hermite, with the
    epoch's Julian date ``(e0, e1)`` and the bounds ``rate`` (S,) on |g'| and ``curv`` (S,)
    on |g''| (used when ``use_curv``). Returns ``(rows, times, rising)`` sorted by row then
    time."""
    n_s, k_n = gs.shape
    empty_st = np.zeros((1, 3))
    empty_sin = np.zeros(1)
    rows = np.empty(64, np.int64)
    times = np.empty(64)
    rising = np.empty(64, np.bool_)
    out_t = np.empty(3 * k_n + 2)
    out_up = np.empty(3 * k_n + 2, np.bool_)
    if k_n < 2:
        return rows[:0], times[:0], rising[:0]
    dt_max = 0.0
    for k in range(k_n - 1):
        dt_max = max(dt_max, t_s[k + 1] - t_s[k])
    n = 0
    for s in range(n_s):
        m = _row_crossings(kind, s, 0, gs[s], t_s, _reach(rate[s], curv[s], use_curv, dt_max),
                           curv[s], use_curv, tol, t_s, r, v, e0, e1, empty_st, empty_st,
                           empty_sin, out_t, out_up)
        if m:
            rows, times, rising = _grow(rows, times, rising, n + m)
            for i in range(m):
                rows[n + i] = s
                times[n + i] = out_t[i]
                rising[n + i] = out_up[i]
            n += m
    return rows[:n], times[:n], rising[:n]


@kernel
def margin_range(r, s, k, c, sn, px, py, pz, ux, uy, uz, floor):
    """Elevation margin and range of satellite ``s`` at sample ``k`` of TEME positions ``r``
    from a station at ECEF ``(px, py, pz)`` with normal ``(ux, uy, uz)`` and mask sine ``floor``,
    the sidereal angle having cosine ``c`` and sine ``sn`` (``orbitdc.core.visibility``'s
    formula)."""
    x = r[s, k, 0]
    y = r[s, k, 1]
    dx = c * x + sn * y - px
    dy = -sn * x + c * y - py
    dz = r[s, k, 2] - pz
    rng = np.sqrt(dx * dx + dy * dy + dz * dz)
    return (dx * ux + dy * uy + dz * uz) / rng - floor, rng


@kernel
def contact_crossings(cand, cand_any, coarse, window, t_s, r, v, cos_gmst, sin_gmst, e0, e1,
                      st_ecef, st_up, st_sin, rate, curv, v_rel, tol, first):
    """Station contacts of a chunk: for each window ``w`` of ``window`` coarse intervals and
    each pair ``(s, g)`` with ``cand[s, w, g]`` (the screen's output, (S, W, G); ``cand_any``
    (S, W): ``cand.any(axis=2)``, which skips satellites with none), the elevation
    margins at the samples of the window (:func:`margin_range`) and their
    crossings (as ``find_crossings`` on them, refined on Hermite-interpolated positions;
    ``rate``/``curv`` (S,) bound the margin's first and second derivatives).

    Returns ``(pairs, times, rising, visible)``: ``pair = s * G + g``, in window order (the
    caller sorts them by pair then time), and, when ``first``, whether each pair is in view
    at the chunk's first sample (those screened out are not).

    Before the margins at every sample, a pair is rejected when the margins at the window's
    coarse points cannot reach zero between them: the margin ``sin(el) - sin(mask)`` changes
    at most ``v_rel / range + omega`` per second (the line of sight turns at most at the
    relative speed over the range, ``v_rel`` (S,) bounding it with the station's own 0.47
    km/s; the station's vertical turns with the Earth), and over an interval ``h`` between
    coarse points ``a`` and ``b`` the range stays above ``(range_a + range_b - v_rel h) / 2``,
    so the margin stays below ``(g_a + g_b + L h) / 2``. A pair whose bound is below zero (by
    ``SCREEN_SLACK``, far above the Hermite interpolant's deviation from the samples' motion)
    in every interval of the window has no crossing there and is not in view: skipping it
    changes nothing but the cost."""
    n_s, n_w, n_g = cand.shape
    n_int = coarse.size - 1
    visible = np.zeros(n_s * n_g if first else 0, np.bool_)
    rows = np.empty(64, np.int64)
    times = np.empty(64)
    rising = np.empty(64, np.bool_)
    max_len = 1
    for w in range(n_w):
        w0 = w * window
        w1 = min(w0 + window, n_int)
        max_len = max(max_len, coarse[w1] - coarse[w0] + 1)
    gs = np.empty(max_len)
    out_t = np.empty(3 * max_len + 2)
    out_up = np.empty(3 * max_len + 2, np.bool_)
    n = 0
    for w in range(n_w):
        w0 = w * window
        w1 = min(w0 + window, n_int)
        k0 = coarse[w0]
        k1 = coarse[w1]
        k_n = k1 - k0 + 1
        tw = t_s[k0 : k1 + 1]
        dt_max = 0.0
        for k in range(k_n - 1):
            dt_max = max(dt_max, tw[k + 1] - tw[k])
        for s in range(n_s):
            if not cand_any[s, w]:
                continue
            for g in range(n_g):
                if not cand[s, w, g]:
                    continue
                px = st_ecef[g, 0]
                py = st_ecef[g, 1]
                pz = st_ecef[g, 2]
                ux = st_up[g, 0]
                uy = st_up[g, 1]
                uz = st_up[g, 2]
                floor = st_sin[g]
                ka = coarse[w0]
                g_a, rng_a = margin_range(r, s, ka, cos_gmst[ka], sin_gmst[ka], px, py, pz,
                                           ux, uy, uz, floor)
                reject = True
                for i in range(w0, w1):
                    kb = coarse[i + 1]
                    g_b, rng_b = margin_range(r, s, kb, cos_gmst[kb], sin_gmst[kb], px, py,
                                               pz, ux, uy, uz, floor)
                    h = t_s[kb] - t_s[ka]
                    rng_lo = 0.5 * (rng_a + rng_b - v_rel[s] * h)
                    # not (... < 0): NaN positions are never rejected here (nor in view)
                    if not (rng_lo > 0.0 and 0.5 * (g_a + g_b + (v_rel[s] / rng_lo
                                                                 + EARTH_ROTATION_RAD_PER_S)
                                                    * h) < -SCREEN_SLACK):
                        reject = False
                        break
                    ka, g_a, rng_a = kb, g_b, rng_b
                if reject:
                    continue
                for j in range(k_n):
                    k = k0 + j
                    gs[j], _ = margin_range(r, s, k, cos_gmst[k], sin_gmst[k], px, py, pz,
                                             ux, uy, uz, st_sin[g])
                if first and w == 0:
                    visible[s * n_g + g] = gs[0] > 0.0
                if k_n < 2:
                    continue
                m = _row_crossings(CONTACT, s, g, gs[:k_n], tw,
                                   _reach(rate[s], curv[s], True, dt_max), curv[s], True, tol,
                                   t_s, r, v, e0, e1, st_ecef, st_up, st_sin, out_t, out_up)
                if m:
                    rows, times, rising = _grow(rows, times, rising, n + m)
                    for i in range(m):
                        rows[n + i] = s * n_g + g
                        times[n + i] = out_t[i]
                        rising[n + i] = out_up[i]
                    n += m
    return rows[:n], times[:n], rising[:n], visible


def warm_up() -> None:
    """Compile both kernels (or load them from numba's cache) before workers fork."""
    t = np.array([0.0, 10.0, 20.0])
    r = np.ones((1, 3, 3)) * 7000.0
    v = np.ones((1, 3, 3))
    one = np.ones(1)
    for kind in (PENUMBRA, UMBRA):
        shadow_crossings(kind, t, np.array([[-1.0, 1.0, -1.0]]), r, v, 2461119.5, 0.0, one, one,
                         True, 1e-3)
    contact_crossings(np.ones((1, 1, 1), np.bool_), np.ones((1, 1), np.bool_), np.array([0, 2]),
                      4, t, r, v, np.ones(3), np.zeros(3), 2461119.5, 0.0, np.zeros((1, 3)),
                      np.array([[0.0, 0.0, 1.0]]), np.zeros(1), one, one, one, 1e-3, True)
