"""Close approaches (conjunctions) between many objects: the numeric kernels of screening.

An *approach* of objects a and b is an interior local minimum of their distance |r_b - r_a|
over the span, i.e. a time where the range rate f = (r_b - r_a) . (v_b - v_a) changes sign
from negative to positive. Screening finds every approach with a miss distance below a
threshold ``d``, in three stages:

1. **Nodes.** Each object is propagated with SGP4 on its own node grid, a step
   ``h = base / 2^k`` short enough that a cubic Hermite interpolant through positions and
   velocities at the nodes stays within ``tolerance_km`` of SGP4 (:func:`node_steps_s`,
   the bound is :func:`interpolation_bound_km`).
2. **Candidates** (:func:`candidates`, compiled). Time is cut into fine intervals of ``dt``.
   Per interval every object is sorted into cells by the midpoint of its (interpolated) chord;
   a pair is looked at when its radius ranges over the interval come within ``d`` and its
   midpoints within ``d + (s_a + s_b) dt / 2 + 2 (e_a + e_b)`` plus both chords' sag (``s``:
   the object's highest orbital speed, ``e``: its interpolation bound), which any pair that
   comes within ``d`` during the interval satisfies. A pair is kept when its interpolated range
   rate changes sign from - to + over the interval and the minimum of the relative Hermite
   motion there is within ``d + 2 (e_a + e_b)``.
3. **Refinement** (:func:`refine`). Each candidate's time of closest approach (TCA) is refined
   with SGP4 itself by safeguarded Newton iterations on the range rate, to below a
   microsecond; the miss distance, relative speed and the miss in a's radial / in-track /
   cross-track frame follow.

Neglected: nothing within the model of motion (SGP4 as propagated, TEME); the physical
accuracy of an approach is the accuracy of its element sets (SGP4 from a TLE: ~1 km at epoch,
growing by 1-3 km a day). Approaches that are minima only at the ends of the span are not
approaches (the distance is still falling there).
"""

from __future__ import annotations

import math

import numpy as np

from orbitdc.core._jit import kernel
from orbitdc.core.constants import JD_SGP4INIT_EPOCH, WGS72_MU_KM3_PER_S2, WGS72_RADIUS_KM
from orbitdc.core.time import jd_pair

__all__ = [
    "candidates",
    "collision_probability",
    "interpolation_bound_km",
    "max_speed_km_s",
    "node_steps_s",
    "refine",
    "ric_components",
]

_MU = WGS72_MU_KM3_PER_S2
#: Margin applied to the analytic Hermite bound for what the bound does not model: SGP4's
#: short-period terms (J2, of order 1e-3 of the motion) and, near perigee of eccentric orbits,
#: the growth of the fourth derivative beyond the circular-orbit value. Checked against SGP4
#: itself in ``tests/test_screening.py`` (interpolation errors stay below the bound).
BOUND_MARGIN = 3.0


def _perigee_rate_rad_s(a_km, ecc):
    """Angular rate at perigee of a Kepler orbit, rad/s: n (1 + e)^2 / (1 - e^2)^(3/2)."""
    a_km = np.asarray(a_km, float)
    ecc = np.clip(np.asarray(ecc, float), 0.0, 0.999)
    n = np.sqrt(_MU / a_km**3)
    return n * (1.0 + ecc) ** 2 / (1.0 - ecc * ecc) ** 1.5


def max_speed_km_s(a_km, ecc):
    """Highest speed along a Kepler orbit (at perigee), km/s: sqrt(mu (1 + e) / (a (1 - e)))."""
    a_km = np.asarray(a_km, float)
    ecc = np.clip(np.asarray(ecc, float), 0.0, 0.999)
    return np.sqrt(_MU * (1.0 + ecc) / (a_km * (1.0 - ecc)))


def interpolation_bound_km(a_km, ecc, step_s):
    """Bound on the error of a cubic Hermite interpolant of an orbit with nodes every
    ``step_s``: ``h^4 / 384 * max|r''''|`` with ``|r''''| <= w^4 r`` taken at perigee (``w``
    the angular rate there, ``r`` the perigee radius), times :data:`BOUND_MARGIN` and
    ``(1 + e)^2`` for eccentric orbits."""
    a_km = np.asarray(a_km, float)
    ecc = np.clip(np.asarray(ecc, float), 0.0, 0.999)
    w = _perigee_rate_rad_s(a_km, ecc)
    rp = a_km * (1.0 - ecc)
    return BOUND_MARGIN * (1.0 + ecc) ** 2 * (w * step_s) ** 4 / 384.0 * rp


def node_steps_s(a_km, ecc, base_step_s: float, tolerance_km: float, finest_s: float = 1.0):
    """Per object, the node step ``base_step_s / 2^k`` (smallest k) whose interpolation bound is
    within ``tolerance_km``; never below ``finest_s`` (then the bound is what it is).
    Returns ``(steps_s, bound_km)``."""
    a_km = np.asarray(a_km, float)
    steps = np.full(a_km.shape, float(base_step_s))
    for _ in range(40):
        bound = interpolation_bound_km(a_km, ecc, steps)
        halve = (bound > tolerance_km) & (steps / 2.0 >= finest_s)
        if not halve.any():
            break
        steps = np.where(halve, steps / 2.0, steps)
    return steps, interpolation_bound_km(a_km, ecc, steps)


# --- stage 2: candidates ---------------------------------------------------------------------


@kernel
def _states(r_nodes, v_nodes, base, stride, n_nodes, step, t, out):
    """Cubic Hermite positions and velocities of every object at ``t`` (seconds from the
    chunk's first node) into ``out`` (O, 6); NaN where an object has no valid nodes there.
    Object i's node k is row ``base[i] + k * stride[i]`` of ``r_nodes`` / ``v_nodes``."""
    for i in range(base.size):
        h = step[i]
        k = int(t / h)
        last = n_nodes[i] - 2
        if k > last:
            k = last
        if k < 0:
            k = 0
        s = (t - k * h) / h
        a = base[i] + k * stride[i]
        a1 = a + stride[i]
        s2 = s * s
        s3 = s2 * s
        h00 = 2.0 * s3 - 3.0 * s2 + 1.0
        h10 = (s3 - 2.0 * s2 + s) * h
        h01 = -2.0 * s3 + 3.0 * s2
        h11 = (s3 - s2) * h
        d00 = (6.0 * s2 - 6.0 * s) / h
        d10 = 3.0 * s2 - 4.0 * s + 1.0
        d01 = (-6.0 * s2 + 6.0 * s) / h
        d11 = 3.0 * s2 - 2.0 * s
        for c in range(3):
            p0 = r_nodes[a, c]
            p1 = r_nodes[a1, c]
            u0 = v_nodes[a, c]
            u1 = v_nodes[a1, c]
            out[i, c] = h00 * p0 + h10 * u0 + h01 * p1 + h11 * u1
            out[i, 3 + c] = d00 * p0 + d10 * u0 + d01 * p1 + d11 * u1


@kernel
def _cubic_terms(dr0, dv0, dr1, dv1, dt):
    """The quadratic and cubic coefficients (x, y, z of each) of the cubic Hermite relative
    motion between two nodes ``dt`` apart, over s in 0..1."""
    c2x = 3.0 * (dr1[0] - dr0[0]) - (2.0 * dv0[0] + dv1[0]) * dt
    c2y = 3.0 * (dr1[1] - dr0[1]) - (2.0 * dv0[1] + dv1[1]) * dt
    c2z = 3.0 * (dr1[2] - dr0[2]) - (2.0 * dv0[2] + dv1[2]) * dt
    c3x = 2.0 * (dr0[0] - dr1[0]) + (dv0[0] + dv1[0]) * dt
    c3y = 2.0 * (dr0[1] - dr1[1]) + (dv0[1] + dv1[1]) * dt
    c3z = 2.0 * (dr0[2] - dr1[2]) + (dv0[2] + dv1[2]) * dt
    return c2x, c2y, c2z, c3x, c3y, c3z


@kernel
def _relative_minimum(dr0, dv0, dr1, dv1, dt):
    """Minimum of the cubic Hermite relative motion between two nodes ``dt`` apart whose range
    rates are f0 < 0 <= f1: bisection on the range rate to 2^-30 of the interval. Returns
    ``(s, distance)`` with ``s`` the fraction of the interval."""
    # p(s) = c0 + c1 s + c2 s^2 + c3 s^3 (s in 0..1), p'(s) = c1 + 2 c2 s + 3 c3 s^2.
    c0x, c0y, c0z = dr0[0], dr0[1], dr0[2]
    c1x, c1y, c1z = dv0[0] * dt, dv0[1] * dt, dv0[2] * dt
    c2x, c2y, c2z, c3x, c3y, c3z = _cubic_terms(dr0, dv0, dr1, dv1, dt)
    lo = 0.0
    hi = 1.0
    for _ in range(30):
        s = 0.5 * (lo + hi)
        px = c0x + s * (c1x + s * (c2x + s * c3x))
        py = c0y + s * (c1y + s * (c2y + s * c3y))
        pz = c0z + s * (c1z + s * (c2z + s * c3z))
        qx = c1x + s * (2.0 * c2x + 3.0 * s * c3x)
        qy = c1y + s * (2.0 * c2y + 3.0 * s * c3y)
        qz = c1z + s * (2.0 * c2z + 3.0 * s * c3z)
        if px * qx + py * qy + pz * qz < 0.0:
            lo = s
        else:
            hi = s
    s = 0.5 * (lo + hi)
    px = c0x + s * (c1x + s * (c2x + s * c3x))
    py = c0y + s * (c1y + s * (c2y + s * c3y))
    pz = c0z + s * (c1z + s * (c2z + s * c3z))
    return s, math.sqrt(px * px + py * py + pz * pz)


@kernel
def _linear_lower_bound(dr0, dv0, dr1, dv1, dt):
    """A lower bound on the distance of the cubic Hermite relative motion over the interval:
    the closest approach of its linear part ``dr0 + dv0 t`` (t in 0..dt) less the most its
    quadratic and cubic terms add (``|c2| + |c3|``, s in 0..1)."""
    c2x, c2y, c2z, c3x, c3y, c3z = _cubic_terms(dr0, dv0, dr1, dv1, dt)
    extra = math.sqrt(c2x * c2x + c2y * c2y + c2z * c2z) + math.sqrt(
        c3x * c3x + c3y * c3y + c3z * c3z)
    vv = dv0[0] * dv0[0] + dv0[1] * dv0[1] + dv0[2] * dv0[2]
    rv = dr0[0] * dv0[0] + dr0[1] * dv0[1] + dr0[2] * dv0[2]
    t = 0.0
    if vv > 0.0:
        t = min(max(-rv / vv, 0.0), dt)
    x = dr0[0] + dv0[0] * t
    y = dr0[1] + dv0[1] * t
    z = dr0[2] + dv0[2] * t
    return math.sqrt(x * x + y * y + z * z) - extra


@kernel
def _radix_sort(vals, n, tmp, counts, shift):
    """Sort ``vals[:n]`` (non-negative) in place by their bits from ``shift`` up: an LSD radix
    sort in 11-bit digits, stable (``tmp``: n of scratch, ``counts``: 2049 of scratch)."""
    top = 0
    for i in range(n):
        if vals[i] > top:
            top = vals[i]
    while (top >> shift) != 0:
        counts[:] = 0
        for i in range(n):
            counts[((vals[i] >> shift) & 2047) + 1] += 1
        for b in range(2048):
            counts[b + 1] += counts[b]
        for i in range(n):
            dg = (vals[i] >> shift) & 2047
            tmp[counts[dg]] = vals[i]
            counts[dg] += 1
        vals[:n] = tmp[:n]
        shift += 11


#: How many times narrower than the search radius the cells of the candidate search are in x
#: (see :func:`candidates`).
X_SPLIT = 4


@kernel
def candidates(r_nodes, v_nodes, base, stride, n_nodes, step, speed, bound, sag, radial_sag,
               group, formation, threshold_km, formation_threshold_km, dt, first, count):
    """Candidate approaches over fine intervals ``first .. first + count - 1`` of length ``dt``
    (interval m spans ``[m dt, (m + 1) dt]`` seconds from the chunk's first node).

    Objects: ``base``/``stride``/``n_nodes``/``step`` (O,) locate each object's nodes in
    ``r_nodes``, ``v_nodes`` (rows, 3), km and km/s TEME (see :func:`_states`); ``speed`` (O,)
    its highest speed, km/s; ``bound`` (O,) its interpolation bound, km; ``sag`` (O,) how far
    its path over ``dt`` strays from the chord (``a_max dt^2 / 8``), km; ``radial_sag`` (O,)
    how far its radius strays from the chord of its radius (``max|r''| dt^2 / 8``), km;
    ``group`` (O,) its
    group (fleet) id and ``formation`` (O,) whether that group is a formation: a pair within
    one formation is screened at ``formation_threshold_km``, every other pair at
    ``threshold_km``.

    Per interval each object is placed by the midpoint of its chord in cells as wide as the
    largest search radius in y and z (:data:`X_SPLIT` times narrower in x); the objects are
    sorted by cell (radix sort of the cells' linear index), and each looks forward at half of
    the block of cells within one search radius (its own cell after itself and the next
    :data:`X_SPLIT` in x, then 4 rows above it in y or z), each row found by a pointer that
    only moves forward (the sorted keys and the row's key offset both increase). Before the
    distance check a pair's radius ranges over the interval must come within the threshold
    (``| |r_a| - |r_b| | <= |r_a - r_b|``): near-circular objects move ~300 km along their
    orbit in an interval but little in radius, so this rejects most neighbours at once.

    Returns ``(a, b, t_s, miss_km)`` arrays: a < b, the estimated TCA (seconds from the chunk's
    first node) and miss distance of the interpolated motion.
    """
    n_obj = base.size
    lo_st = np.empty((n_obj, 6))
    hi_st = np.empty((n_obj, 6))
    obj = np.empty((n_obj, 5))  # per object: chord midpoint x, y, z; radius low, high
    valid = np.empty(n_obj, np.int64)
    packed = np.empty(n_obj, np.int64)
    tmp = np.empty(n_obj, np.int64)
    counts = np.empty(2049, np.int64)
    id_bits = 1
    while (1 << id_bits) < n_obj:
        id_bits += 1
    id_mask = (1 << id_bits) - 1
    # Per interval, the objects in cell order: key, midpoint, radius range, id.
    # One row of 8 per object (64 bytes, so a neighbour costs one cache line): key (a float:
    # integers below 2^53 exactly), midpoint x, y, z, radius low, high, id. The scan reads 5
    # places of this array at once (its own and 4 rows ahead), few enough streams for the
    # hardware prefetcher; spread over separate arrays it missed the cache.
    rec = np.empty((n_obj + 1, 8))
    near = np.empty((2 * n_obj + 16, 2), np.int64)  # (p, k) rows of rec, per interval
    s_max = 0.0
    e_max = 0.0
    g_max = 0.0
    d_max = max(threshold_km, formation_threshold_km)
    for i in range(n_obj):
        s_max = max(s_max, speed[i])
        e_max = max(e_max, bound[i])
        g_max = max(g_max, sag[i])
    reach = d_max + s_max * dt + 4.0 * e_max + 2.0 * g_max
    cell = reach
    cell_x = reach / X_SPLIT
    reach2 = reach * reach
    cap = 1024
    out_a = np.empty(cap, np.int64)
    out_b = np.empty(cap, np.int64)
    out_t = np.empty(cap)
    out_d = np.empty(cap)
    n_out = 0
    dr0 = np.empty(3)
    dv0 = np.empty(3)
    dr1 = np.empty(3)
    dv1 = np.empty(3)
    _states(r_nodes, v_nodes, base, stride, n_nodes, step, first * dt, lo_st)
    for m in range(first, first + count):
        t0 = m * dt
        _states(r_nodes, v_nodes, base, stride, n_nodes, step, t0 + dt, hi_st)
        # One pass in object order: chord midpoint and radius range over the interval (true
        # radius within [min, max] of the ends less / plus the sag and twice the bound).
        n_val = 0
        extent = 0.0
        for i in range(n_obj):
            x0 = lo_st[i, 0]
            y0 = lo_st[i, 1]
            z0 = lo_st[i, 2]
            x1 = hi_st[i, 0]
            y1 = hi_st[i, 1]
            z1 = hi_st[i, 2]
            x = 0.5 * (x0 + x1)
            y = 0.5 * (y0 + y1)
            z = 0.5 * (z0 + z1)
            if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(z)):
                continue
            r0 = math.sqrt(x0 * x0 + y0 * y0 + z0 * z0)
            r1 = math.sqrt(x1 * x1 + y1 * y1 + z1 * z1)
            pad = radial_sag[i] + 2.0 * bound[i]
            obj[i, 0] = x
            obj[i, 1] = y
            obj[i, 2] = z
            obj[i, 3] = min(r0, r1) - pad
            obj[i, 4] = max(r0, r1) + pad
            extent = max(extent, abs(x), abs(y), abs(z))
            valid[n_val] = i
            n_val += 1
        # Cells as wide as the search radius in y and z and X_SPLIT times narrower in x: a
        # row of cells x - X_SPLIT .. x + X_SPLIT then spans 2 + 1 / X_SPLIT search radii
        # instead of 3, and holds that many fewer objects to look at. Cells -half .. half
        # (in x -half_x .. half_x) shifted to be non-negative with free cells on each side,
        # so that the cells of a row are consecutive keys; each object's key and index
        # packed in one integer, sorted by the key bits.
        half = int(math.floor(extent / cell)) + 1
        width = 2 * half + 3
        half_x = int(math.floor(extent / cell_x)) + 1
        shift_x = half_x + X_SPLIT
        width_x = 2 * shift_x + 1
        if math.log2(width_x) + 2.0 * math.log2(width) + id_bits > 62.0:
            raise ValueError("screening: the objects spread too far for the cell keys")
        for q in range(n_val):
            i = valid[q]
            cx = int(math.floor(obj[i, 0] / cell_x)) + shift_x
            cy = int(math.floor(obj[i, 1] / cell)) + half + 1
            cz = int(math.floor(obj[i, 2] / cell)) + half + 1
            packed[q] = ((cx + width_x * (cy + width * cz)) << id_bits) | i
        _radix_sort(packed, n_val, tmp, counts, id_bits)
        for p in range(n_val):
            v = packed[p]
            i = v & id_mask
            rec[p, 0] = float(v >> id_bits)
            rec[p, 1] = obj[i, 0]
            rec[p, 2] = obj[i, 1]
            rec[p, 3] = obj[i, 2]
            rec[p, 4] = obj[i, 3]
            rec[p, 5] = obj[i, 4]
            rec[p, 6] = float(i)
        rec[n_val, 0] = np.inf  # a sentinel past the last
        # The 4 forward rows: (y + 1, z), (y - 1 .. y + 1, z + 1), each from x - X_SPLIT.
        plane = width_x * width
        o1 = width_x - X_SPLIT
        o2 = plane - width_x - X_SPLIT
        o3 = plane - X_SPLIT
        o4 = plane + width_x - X_SPLIT
        span = 2.0 * X_SPLIT
        q1 = 0
        q2 = 0
        q3 = 0
        q4 = 0
        # Pass 1 (kept small for the compiler: no pair work inside): near pairs, by the
        # radius ranges and the widest search radius.
        n_near = 0
        for p in range(n_val):
            if near.shape[0] - n_near < n_val:
                near = _grow_int2(near, 2 * near.shape[0] + n_val)
            kp = rec[p, 0]
            l1 = kp + o1
            while rec[q1, 0] < l1:
                q1 += 1
            l2 = kp + o2
            while rec[q2, 0] < l2:
                q2 += 1
            l3 = kp + o3
            while rec[q3, 0] < l3:
                q3 += 1
            l4 = kp + o4
            while rec[q4, 0] < l4:
                q4 += 1
            # Its own cell after it and the next X_SPLIT in x, then the 4 rows.
            n_near = _scan_row(rec, p, p + 1, kp + X_SPLIT, d_max, reach2, near, n_near)
            n_near = _scan_row(rec, p, q1, l1 + span, d_max, reach2, near, n_near)
            n_near = _scan_row(rec, p, q2, l2 + span, d_max, reach2, near, n_near)
            n_near = _scan_row(rec, p, q3, l3 + span, d_max, reach2, near, n_near)
            n_near = _scan_row(rec, p, q4, l4 + span, d_max, reach2, near, n_near)
        # Pass 2: each near pair by its own threshold and radius, then the range rate and the
        # minimum of the relative motion.
        for u in range(n_near):
            p = near[u, 0]
            kk = near[u, 1]
            i = int(rec[p, 6])
            j = int(rec[kk, 6])
            d = threshold_km
            if formation[i] and group[i] == group[j]:
                d = formation_threshold_km
            if rec[kk, 4] - rec[p, 5] > d or rec[p, 4] - rec[kk, 5] > d:
                continue
            ddx = rec[kk, 1] - rec[p, 1]
            ddy = rec[kk, 2] - rec[p, 2]
            ddz = rec[kk, 3] - rec[p, 3]
            dd = ddx * ddx + ddy * ddy + ddz * ddz
            e = 2.0 * (bound[i] + bound[j])
            r = d + (speed[i] + speed[j]) * 0.5 * dt + e + sag[i] + sag[j]
            if dd > r * r:
                continue
            f0 = 0.0
            f1 = 0.0
            for c in range(3):
                dr0[c] = lo_st[j, c] - lo_st[i, c]
                dv0[c] = lo_st[j, 3 + c] - lo_st[i, 3 + c]
                dr1[c] = hi_st[j, c] - hi_st[i, c]
                dv1[c] = hi_st[j, 3 + c] - hi_st[i, 3 + c]
                f0 += dr0[c] * dv0[c]
                f1 += dr1[c] * dv1[c]
            if not (f0 < 0.0 and f1 >= 0.0):
                continue
            if _linear_lower_bound(dr0, dv0, dr1, dv1, dt) > d + e:
                continue
            sf, miss = _relative_minimum(dr0, dv0, dr1, dv1, dt)
            if miss > d + e:
                continue
            if n_out == cap:
                cap *= 2
                out_a = _grow_int(out_a, cap)
                out_b = _grow_int(out_b, cap)
                out_t = _grow(out_t, cap)
                out_d = _grow(out_d, cap)
            out_a[n_out] = min(i, j)
            out_b[n_out] = max(i, j)
            out_t[n_out] = t0 + sf * dt
            out_d[n_out] = miss
            n_out += 1
        lo_st, hi_st = hi_st, lo_st
    return out_a[:n_out], out_b[:n_out], out_t[:n_out], out_d[:n_out]


@kernel
def _scan_row(rec, p, k, last, d_max, reach2, near, n_near):
    """Append to ``near`` the rows ``k, k + 1, ...`` of ``rec`` whose key is at most ``last``
    and whose radius range and midpoint are within reach of row ``p``'s; returns the count."""
    x = rec[p, 1]
    y = rec[p, 2]
    z = rec[p, 3]
    rlo = rec[p, 4] - d_max
    rhi = rec[p, 5] + d_max
    while rec[k, 0] <= last:
        dx = rec[k, 1] - x
        dy = rec[k, 2] - y
        dz = rec[k, 3] - z
        ok = (rec[k, 4] <= rhi) & (rec[k, 5] >= rlo) & (dx * dx + dy * dy + dz * dz <= reach2)
        # Written always and counted when it holds: no branch to mispredict (near has
        # room for every row the scan can reach).
        near[n_near, 0] = p
        near[n_near, 1] = k
        n_near += ok
        k += 1
    return n_near


@kernel
def _grow_int2(a, rows):
    out = np.empty((rows, a.shape[1]), np.int64)
    out[: a.shape[0]] = a
    return out


@kernel
def _grow(a, cap):
    out = np.empty(cap)
    out[: a.size] = a
    return out


@kernel
def _grow_int(a, cap):
    out = np.empty(cap, np.int64)
    out[: a.size] = a
    return out


# --- stage 3: refinement with SGP4 ------------------------------------------------------------


def _sgp4_states(satrecs, index: np.ndarray, t_s: np.ndarray, epoch: tuple[float, float]):
    """SGP4 states of objects ``index`` at times ``t_s`` (one time per entry): positions and
    velocities (n, 3), and an error flag (n,). One scalar ``Satrec.sgp4`` call per entry: the
    same C++ code as ``sgp4_array``, ~3x faster here than one ``sgp4_array`` call per distinct
    object (refinement has a few entries per object)."""
    jd, fr = jd_pair(epoch, t_s)
    out = [satrecs[i].sgp4(j, f)
           for i, j, f in zip(np.asarray(index).tolist(), jd.tolist(), fr.tolist(), strict=True)]
    n = len(out)
    err = np.fromiter((o[0] for o in out), np.int64, n) != 0
    r = np.array([o[1] for o in out], float).reshape(n, 3)
    v = np.array([o[2] for o in out], float).reshape(n, 3)
    r[err] = np.nan
    v[err] = np.nan
    return r, v, err


def _accel_km_s2(r):
    """Two-body plus J2 acceleration (WGS-72), km/s^2, for the Newton slope."""
    from orbitdc.core.constants import WGS72_J2

    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    z2 = (r[..., 2:3] / rn) ** 2
    k = 1.5 * WGS72_J2 * (WGS72_RADIUS_KM / rn) ** 2
    a = -_MU * r / rn**3
    fac = np.concatenate([1.0 - 5.0 * z2, 1.0 - 5.0 * z2, 3.0 - 5.0 * z2], axis=-1)
    return a * (1.0 + k * fac)


def refine(satrecs, a: np.ndarray, b: np.ndarray, t_guess_s: np.ndarray,
           epoch: tuple[float, float], window_s: float, tol_s: float = 1e-6,
           max_iter: int = 30):
    """Refine approaches of objects ``a``, ``b`` near ``t_guess_s`` with SGP4: Newton
    iterations on the range rate ``f = dr . dv`` (slope ``|dv|^2 + dr . da``, ``da`` from a
    two-body + J2 model), safeguarded by a bracket that starts at ``t_guess +- window_s`` and
    shrinks with the sign of ``f`` (bisection where a Newton step would leave it), until a step
    is below ``tol_s``. ``satrecs``: indexable objects with ``sgp4_array`` (sgp4's ``Satrec``).

    Returns ``(t_s, r_a, v_a, r_b, v_b, ok)`` at the TCA; ``ok`` is False where SGP4 failed,
    the iteration did not converge, or it converged on the edge of the window (no minimum of
    the distance inside it)."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    t = np.asarray(t_guess_s, float).copy()
    lo0 = t - window_s
    hi0 = t + window_s
    lo, hi = lo0.copy(), hi0.copy()
    active = np.ones(t.size, bool)
    ok = np.ones(t.size, bool)
    # The states of the last evaluation and its time: where the next step is below tol_s
    # they are the answer (a step that small moves the miss by micrometres), which spares
    # one more round of SGP4.
    t_eval = t.copy()
    st = np.full((t.size, 12), np.nan)
    for _ in range(max_iter):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        both = np.concatenate([a[rows], b[rows]])
        r, v, err = _sgp4_states(satrecs, both, np.concatenate([t[rows], t[rows]]), epoch)
        n = rows.size
        t_eval[rows] = t[rows]
        st[rows] = np.concatenate([r[:n], v[:n], r[n:], v[n:]], axis=1)
        dr, dv = r[n:] - r[:n], v[n:] - v[:n]
        da = _accel_km_s2(r[n:]) - _accel_km_s2(r[:n])
        f = np.einsum("ij,ij->i", dr, dv)
        slope = np.einsum("ij,ij->i", dv, dv) + np.einsum("ij,ij->i", dr, da)
        bad = err[:n] | err[n:] | ~np.isfinite(f)
        ok[rows[bad]] = False
        lo[rows] = np.where(f < 0, t[rows], lo[rows])
        hi[rows] = np.where(f >= 0, t[rows], hi[rows])
        with np.errstate(divide="ignore", invalid="ignore"):
            new = t[rows] - f / slope
        outside = ~(slope > 0) | ~(new >= lo[rows]) | ~(new <= hi[rows])
        new = np.where(outside, 0.5 * (lo[rows] + hi[rows]), new)
        done = (np.abs(new - t[rows]) < tol_s) | bad
        t[rows] = new
        active[rows[done]] = False
    ok &= ~active
    t = t_eval
    ok &= np.isfinite(st).all(axis=1)
    # Converged on the window's edge: the distance falls beyond it, no minimum inside.
    margin = 10.0 * tol_s
    ok &= (t > lo0 + margin) & (t < hi0 - margin)
    return t, st[:, 0:3], st[:, 3:6], st[:, 6:9], st[:, 9:12], ok


def ric_components(r_a, v_a, r_b):
    """The miss ``r_b - r_a`` in a's radial / in-track / cross-track frame (km): radial along
    ``r_a``, cross-track along ``r_a x v_a``, in-track completing the right-handed triad."""
    r_a = np.asarray(r_a, float)
    rhat = r_a / np.linalg.norm(r_a, axis=-1, keepdims=True)
    h = np.cross(r_a, v_a)
    chat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    ihat = np.cross(chat, rhat)
    d = np.asarray(r_b, float) - r_a
    return (np.einsum("ij,ij->i", d, rhat), np.einsum("ij,ij->i", d, ihat),
            np.einsum("ij,ij->i", d, chat))


def collision_probability(miss_km, sigma_km, hard_body_radius_km):
    """Probability that two objects pass within ``hard_body_radius_km`` of each other, for an
    *assumed* isotropic position uncertainty: the combined relative position error in the
    encounter plane is a 2-D Gaussian with standard deviation ``sigma_km`` on each axis
    (``sigma_km = sqrt(sigma_a^2 + sigma_b^2)``), centred on the nominal miss. Then
    ``|miss + error|^2 / sigma^2`` is noncentral chi-square with 2 degrees of freedom and
    noncentrality ``(miss / sigma)^2`` (Chan 2008, "Spacecraft Collision Probability", ch. 2:
    the isotropic case of the 2-D Foster integral), so the probability is its CDF at
    ``(R / sigma)^2``. Straight-line relative motion through the encounter is assumed (good
    for relative speeds above ~10 m/s)."""
    from scipy.stats import ncx2

    miss = np.asarray(miss_km, float)
    sigma = np.asarray(sigma_km, float)
    radius = np.asarray(hard_body_radius_km, float)
    return ncx2.cdf((radius / sigma) ** 2, 2, (miss / sigma) ** 2)


def sgp4_epoch_days(satrec) -> float:
    """Epoch of an SGP4 element set in days since 1949-12-31 00:00 UTC (``sgp4init``'s)."""
    return (satrec.jdsatepoch - JD_SGP4INIT_EPOCH) + satrec.jdsatepochF


# --- the whole screen -------------------------------------------------------------------------

#: Node step of near-circular LEO objects (s): with cubic Hermite interpolation a 550 km orbit
#: stays within ~60 m of SGP4 (:func:`interpolation_bound_km`); eccentric and low orbits halve it.
BASE_STEP_S = 240.0
#: Interpolation tolerance that sets each object's node step, km.
TOLERANCE_KM = 0.5
#: Fine interval of the candidate search, s (a divisor of BASE_STEP_S). Longer intervals mean
#: larger cells (the search radius grows with the speed times the interval) but fewer
#: passes; the cost of a pass is mostly per object, so 40 s is ~12 % cheaper than 20 s and
#: 60 s dearer again (30,000 objects; docs/performance.md). A pair's distance has no minimum
#: and maximum within one interval (they are a quarter orbit apart), so the range-rate sign
#: change still finds every minimum.
INTERVAL_S = 40.0
#: What SGP4's perturbations add to a Kepler orbit's radial acceleration, as a share of
#: mu / rp^2 (J2's short-period terms: at most 0.0021 over e measured on the test and
#: benchmark populations, 5 s finite differences of SGP4's radius; 0.01 kept).
RADIAL_PERTURBATION = 0.01
#: Time chunk (a multiple of BASE_STEP_S): nodes of one chunk are held at once.
CHUNK_S = 3600.0


def _node_propagator(satrecs, use_astroz: bool):
    """A function ``(members, times_jd, times_fr) -> (err, r, v)`` over objects ``members``
    (an index array) that propagates with astroz's SIMD SGP4 where it is installed and
    ``use_astroz``, else with sgp4's ``SatrecArray``. Both implement the same SGP4 (astroz is
    checked against sgp4 in the tests); astroz is several times faster."""
    from sgp4.api import SatrecArray

    az = None
    if use_astroz:
        try:
            from astroz import api as az
        except ImportError:  # not installed (no wheel for this platform): sgp4 it is
            az = None
    cache: dict[bytes, object] = {}

    def array_of(members: np.ndarray):
        key = members.tobytes()
        if key not in cache:
            if az is None:
                cache[key] = SatrecArray([satrecs[i] for i in members])
            else:
                out = []
                for i in members:
                    s = satrecs[i]
                    x = az.Satrec()
                    x.sgp4init(az.WGS72, "i", int(s.satnum) % 100000, sgp4_epoch_days(s),
                               s.bstar, s.ndot, s.nddot, s.ecco, s.argpo, s.inclo, s.mo,
                               s.no_kozai, s.nodeo)
                    out.append(x)
                cache[key] = az.SatrecArray(out)
        return cache[key]

    def propagate(members, jd, fr):
        err, r, v = array_of(members).sgp4(np.ascontiguousarray(jd), np.ascontiguousarray(fr))
        r = np.array(r, float)
        v = np.array(v, float)
        bad = np.asarray(err) != 0
        r[bad] = np.nan
        v[bad] = np.nan
        return r, v

    propagate.engine = "astroz" if az is not None else "sgp4"
    return propagate


def screen(satrecs, epoch: tuple[float, float], duration_s: float, threshold_km: float, *,
           group=None, formation=None, formation_threshold_km: float | None = None,
           base_step_s: float = BASE_STEP_S, interval_s: float = INTERVAL_S,
           chunk_s: float = CHUNK_S, tolerance_km: float = TOLERANCE_KM,
           use_astroz: bool = True, threads: int = 2, progress=None) -> dict:
    """Every approach below the threshold among ``satrecs`` (sgp4 ``Satrec``; all vs all) over
    ``[0, duration_s]`` seconds after ``epoch`` (a Julian date pair).

    ``group`` (O,) ints and ``formation`` (O,) bools: pairs within one formation group are
    screened at ``formation_threshold_km`` (default: ``threshold_km``). ``progress(done,
    total)``: called after each chunk with seconds of the span done. Returns a dict of arrays,
    one entry per approach sorted by TCA: ``a``, ``b`` (indices, a < b), ``tca_s``,
    ``miss_km``, ``speed_km_s``, ``radial_km``, ``in_track_km``, ``cross_track_km``; and
    ``stats`` (candidates, stage seconds, propagation engine; ``search_s`` is the search's wall
    time, which the refinement and propagation that overlap it run inside)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    n_obj = len(satrecs)
    if not threshold_km > 0:
        raise ValueError(f"threshold_km must be > 0 (got {threshold_km!r})")
    d_form = threshold_km if formation_threshold_km is None else float(formation_threshold_km)
    if not d_form > 0:
        raise ValueError(f"formation_threshold_km must be > 0 (got {d_form!r})")
    group = np.zeros(n_obj, np.int64) if group is None else np.asarray(group, np.int64)
    formation = (np.zeros(n_obj, bool) if formation is None
                 else np.asarray(formation, bool))
    chunk_s = max(base_step_s, round(chunk_s / base_step_s) * base_step_s)
    if abs(base_step_s / interval_s - round(base_step_s / interval_s)) > 1e-9:
        raise ValueError("interval_s must divide base_step_s")
    stats = {"objects": n_obj, "candidates": 0, "propagate_s": 0.0, "search_s": 0.0,
             "refine_s": 0.0}
    empty = {k: np.empty(0) for k in ("tca_s", "miss_km", "speed_km_s", "radial_km",
                                      "in_track_km", "cross_track_km")}
    empty |= {"a": np.empty(0, np.int64), "b": np.empty(0, np.int64), "stats": stats}
    if n_obj < 2:
        return empty
    a_km = np.array([s.a for s in satrecs]) * WGS72_RADIUS_KM
    ecc = np.array([s.ecco for s in satrecs])
    steps, bound = node_steps_s(a_km, ecc, base_step_s, tolerance_km,
                                finest_s=base_step_s / 64.0)
    speed = max_speed_km_s(a_km, ecc) * 1.02  # 2 %: SGP4's perturbations on the Kepler speed
    perigee_km = np.maximum(a_km * (1.0 - ecc), WGS72_RADIUS_KM)
    sag = 1.02 * _MU / perigee_km**2 * interval_s**2 / 8.0
    # The radius strays from its chord far less: r'' = h^2 / r^3 - mu / r^2 is at most
    # e mu / rp^2 for a Kepler orbit (at perigee), plus what the perturbations add.
    radial_sag = 1.02 * (ecc + RADIAL_PERTURBATION) * _MU / perigee_km**2 * interval_s**2 / 8.0
    propagate = _node_propagator(satrecs, use_astroz)
    stats["engine"] = propagate.engine
    classes = [(h, np.flatnonzero(steps == h)) for h in np.unique(steps)]
    pieces = []
    chunks = []
    done = 0.0
    while done < duration_s - 1e-9:
        length = min(chunk_s, duration_s - done)
        chunks.append((done, length, int(math.ceil(length / interval_s - 1e-9))))
        done += length

    def nodes(chunk):
        """The chunk's SGP4 nodes, time-major per step class (node k of every member of a
        class together), and where each object's nodes lie in them."""
        start, _, n_int = chunk
        length_nodes = n_int * interval_s  # the last interval may reach past the span
        base = np.empty(n_obj, np.int64)
        stride = np.empty(n_obj, np.int64)
        n_nodes = np.empty(n_obj, np.int64)
        r_parts, v_parts, offset = [], [], 0
        for h, members in classes:
            k = int(math.ceil(length_nodes / h - 1e-9)) + 1
            jd, fr = jd_pair(epoch, start + h * np.arange(k))
            r, v = propagate(members, jd, fr)
            base[members] = offset + np.arange(members.size)
            stride[members] = members.size
            n_nodes[members] = k
            r_parts.append(np.ascontiguousarray(r.transpose(1, 0, 2)).reshape(-1, 3))
            v_parts.append(np.ascontiguousarray(v.transpose(1, 0, 2)).reshape(-1, 3))
            offset += members.size * k
        return np.concatenate(r_parts), np.concatenate(v_parts), base, stride, n_nodes

    def search(node_arrays, span):
        r_nodes, v_nodes, base, stride, n_nodes = node_arrays
        return candidates(r_nodes, v_nodes, base, stride, n_nodes, steps, speed, bound, sag,
                          radial_sag, group, formation, float(threshold_km), d_form,
                          float(interval_s), span[0], span[1])

    def refine_chunk(chunk, found):
        t0 = time.perf_counter()
        ca = np.concatenate([f[0] for f in found])
        cb = np.concatenate([f[1] for f in found])
        ct = np.concatenate([f[2] for f in found]) + chunk[0]
        stats["candidates"] += int(ca.size)
        if ca.size:
            t, ra, va, rb, vb, ok = refine(satrecs, ca, cb, ct, epoch, window_s=interval_s)
            pieces.append((ca[ok], cb[ok], t[ok], ra[ok], va[ok], rb[ok], vb[ok]))
        stats["refine_s"] += time.perf_counter() - t0
        if progress is not None:
            progress(min(chunk[0] + chunk[1], duration_s), duration_s)

    # A pipeline: while the compiled search of chunk k runs on the worker threads (it holds
    # no GIL), this thread refines chunk k - 1's candidates and propagates chunk k + 1, so
    # no core waits on the single-threaded stages. At most two chunks of nodes are held.
    t0 = time.perf_counter()
    upcoming = nodes(chunks[0])
    stats["propagate_s"] += time.perf_counter() - t0
    previous = None
    with ThreadPoolExecutor(max(threads, 1)) as pool:
        for c, chunk in enumerate(chunks):
            current = upcoming
            n_int = chunk[2]
            per = int(math.ceil(n_int / max(threads, 1)))
            spans = [(f, min(per, n_int - f)) for f in range(0, n_int, per)]
            ts = time.perf_counter()
            futures = [pool.submit(search, current, span) for span in spans]
            if previous is not None:
                refine_chunk(*previous)
            if c + 1 < len(chunks):
                t0 = time.perf_counter()
                upcoming = nodes(chunks[c + 1])
                stats["propagate_s"] += time.perf_counter() - t0
            found = [f.result() for f in futures]
            stats["search_s"] += time.perf_counter() - ts
            previous = (chunk, found)
    refine_chunk(*previous)
    if not pieces:
        return empty
    a, b, t, ra, va, rb, vb = (np.concatenate(x) for x in zip(*pieces, strict=True))
    miss = np.linalg.norm(rb - ra, axis=1)
    limit = np.where(formation[a] & (group[a] == group[b]), d_form, threshold_km)
    keep = (miss < limit) & (t > 0.0) & (t < duration_s)
    a, b, t, ra, va, rb, vb, miss = (x[keep] for x in (a, b, t, ra, va, rb, vb, miss))
    # One approach found from two intervals (a sign change read on both sides of a node):
    # the same pair within a millisecond is one approach.
    order = np.lexsort((t, b, a))
    a, b, t, ra, va, rb, vb, miss = (x[order] for x in (a, b, t, ra, va, rb, vb, miss))
    dup = np.zeros(a.size, bool)
    dup[1:] = (a[1:] == a[:-1]) & (b[1:] == b[:-1]) & (np.diff(t) < 1e-3)
    a, b, t, ra, va, rb, vb, miss = (x[~dup] for x in (a, b, t, ra, va, rb, vb, miss))
    order = np.lexsort((b, a, t))
    a, b, t, ra, va, rb, vb, miss = (x[order] for x in (a, b, t, ra, va, rb, vb, miss))
    radial, in_track, cross = ric_components(ra, va, rb)
    return {
        "a": a, "b": b, "tca_s": t, "miss_km": miss,
        "speed_km_s": np.linalg.norm(vb - va, axis=1),
        "radial_km": radial, "in_track_km": in_track, "cross_track_km": cross,
        "stats": stats,
    }
