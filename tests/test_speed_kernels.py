"""The kernels that make a scheduled flight cheap, each against a plain, obviously-correct
version of what it replaces: nearest-first inference serving (one stable sort of every
satellite per region), the capacity a view shows (a one-step probe flight of the bus) and the
round trips from each user region to every satellite (scipy's Dijkstra)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from orbitdc.core import buskernel
from orbitdc.ops.scheduler import _serve_kernel
from orbitdc.sim.network import _shortest_from


def _serve_reference(need, free, rtt, nearest):
    """Each region in turn, from every satellite in one stable sort by round trip (or by
    index), skipping those it cannot reach or with nothing free."""
    n_r, n_s = rtt.shape
    free = free.copy()
    taken, served, pieces = np.zeros(n_s), np.zeros(n_r), []
    for r in range(n_r):
        want = need[r]
        if not want > 0:
            continue
        for s in (np.argsort(rtt[r], kind="stable") if nearest else range(n_s)):
            if want <= 0:
                break
            if not np.isfinite(rtt[r, s]) or not free[s] > 0:
                continue
            take = min(want, free[s])
            free[s] -= take
            taken[s] += take
            served[r] += take
            want -= take
            pieces.append((r, s, take))
    p = np.array(pieces, float).reshape(-1, 3)
    return taken, served, p[:, 0].astype(np.int64), p[:, 1].astype(np.int64), p[:, 2]


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 8), n_s=st.integers(1, 700),
       decimals=st.integers(-1, 2), nearest=st.booleans(),
       scale=st.sampled_from([5.0, 50.0, 500.0, 3000.0]))
def test_serving_a_block_at_a_time_is_one_stable_sort(seed, n_r, n_s, decimals, nearest,
                                                      scale):
    """Many ties (round trips rounded, to tens: seven values, ties across the nearest
    block's edge), unreachable and NaN round trips, busy satellites, demands from a few
    accelerators to more than the fleet: the same pieces, in the same order, as one stable
    sort of every satellite."""
    rng = np.random.default_rng(seed)
    rtt = np.round(rng.uniform(1.0, 60.0, (n_r, n_s)), decimals)
    rtt[rng.random((n_r, n_s)) < rng.uniform(0.0, 0.5)] = np.inf
    rtt[rng.random((n_r, n_s)) < 0.02] = np.nan
    free = rng.choice([0.0, 0.5, 1.0, 3.96, 4.0], n_s)
    need = rng.uniform(-1.0, scale, n_r)
    got = _serve_kernel(need, free, rtt, nearest)
    want = _serve_reference(need, free, rtt, nearest)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 8), dt_s=st.floats(1.0, 600.0))
def test_available_now_is_what_a_probe_step_of_the_bus_finds(seed, n_s, dt_s):
    """Hot and cold, charged and empty, dead and alive, with and without accelerators or a
    battery, fading or not, with and without C-rates, turn-down and heaters: what ``available_now`` gives is bit for bit what one step of ``bus_steps``
    writes as ``available``, under any demand."""
    rng = np.random.default_rng(seed)
    n_acc = rng.integers(0, 5, n_s).astype(float)
    idle = rng.uniform(0.0, 200.0, n_s) * (rng.random(n_s) > 0.2)
    load = idle + rng.choice([0.0, 300.0, 700.0], n_s)
    bus_w, t_max = rng.uniform(0.0, 500.0, n_s), rng.uniform(280.0, 360.0, n_s)
    capacity, min_soc = rng.choice([0.0, 500.0, 3000.0], n_s), rng.uniform(0.0, 0.5, n_s)
    charge, discharge = rng.uniform(0.6, 1.0, n_s), rng.uniform(0.6, 1.0, n_s)
    heat_c, area, eps = (rng.uniform(1e3, 1e6, n_s), rng.uniform(0.5, 20.0, n_s),
                         rng.uniform(0.5, 0.95, n_s))
    dt = np.array([dt_s])
    gen = rng.uniform(0.0, 3000.0, (n_s, 1)) * (rng.random((n_s, 1)) > 0.3)
    env = rng.uniform(0.0, 2000.0, (n_s, 1))
    share = rng.choice([0.0, 0.5, 1.0], (n_s, 1), p=[0.1, 0.1, 0.8])
    cond = np.where(n_acc > 0, rng.uniform(5.0, 500.0, n_s), np.inf)
    t_min, turn_down = rng.choice([0.0, 273.15], n_s), rng.choice([1.0, 1.0 / 6.0], n_s)
    heater_max = rng.choice([0.0, 50.0, np.inf], n_s)
    rate_max = rng.choice([300.0, np.inf], n_s)
    fade_cal, fade_cyc = rng.choice([0.0, 1.9e-4], n_s), rng.choice([0.0, 1e-4], n_s)
    age, t_day = rng.uniform(0.0, 3000.0, n_s), float(rng.uniform(0.0, 10.0))
    alive = rng.random((n_s, 2)) > 0.1
    bat = rng.uniform(0.0, 1.0, n_s) * capacity
    temp = rng.uniform(250.0, 370.0, n_s)
    thru = rng.uniform(0.0, 1e6, n_s)
    cap = capacity * rng.choice([1.0, 0.9], n_s)
    got = np.empty(n_s)
    buskernel.available_now(dt_s, np.ascontiguousarray(gen[:, 0]),
                            np.ascontiguousarray(share[:, 0]), alive, bus_w, t_max, n_acc,
                            min_soc, discharge, n_acc * idle, n_acc * (load - idle), cond,
                            rate_max, bat, temp, cap, got)
    for demand in (np.ones((n_s, 1)), rng.uniform(0.0, 1.0, (n_s, 1))):
        series = [np.empty((n_s, 2)) for _ in range(7)]
        buskernel.bus_steps(
            dt, np.array([t_day, t_day + dt_s / 86400.0]), gen, env, share, demand, alive,
            bus_w, t_max, n_acc, capacity, min_soc, charge, discharge, n_acc * idle,
            n_acc * (load - idle), heat_c, area, eps, cond, t_min, turn_down, heater_max,
            rate_max, rate_max, fade_cal, fade_cyc, age, bat.copy(), temp.copy(), thru.copy(),
            cap.copy(), *series, *[np.zeros(n_s) for _ in range(10)],
            *[np.empty(n_s) for _ in range(3)])
        np.testing.assert_array_equal(got, series[5][:, 0])


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), degree=st.floats(0.0, 6.0),
       decimals=st.integers(1, 12))
def test_shortest_paths_are_scipys_bit_for_bit(seed, n, degree, decimals):
    """Random directed graphs, sparse (unreachable nodes) to dense, with duplicate edges,
    self-loops, tiny weights and many ties (weights rounded): every distance is scipy's,
    exactly."""
    rng = np.random.default_rng(seed)
    m = int(degree * n)
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    w = np.maximum(np.round(rng.uniform(0.0, 0.02, m), decimals), 1e-12)
    graph = coo_matrix((w, (a, b)), shape=(n, n)).tocsr()
    sources = rng.choice(n, size=min(n, 1 + int(rng.integers(0, 8))), replace=False)
    keep = int(rng.integers(0, n + 1))
    got = _shortest_from(graph.indptr, graph.indices, graph.data, sources, keep)
    want = dijkstra(graph, directed=True, indices=sources)[:, :keep]
    np.testing.assert_array_equal(got, want)


def test_region_round_trips_on_a_shell_are_scipys_bit_for_bit():
    """The Starlink-like preset's latency graph (+grid shell, stations, seven regions) over
    an hour: the compiled search gives scipy's distances exactly."""
    from orbitdc.core.frames import teme_to_ecef
    from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
    from orbitdc.model.presets import preset_path
    from orbitdc.model.scenario import load_scenario
    from orbitdc.sim.fleet import build_fleet, build_stations
    from orbitdc.sim.network import NetworkModel

    sc = load_scenario(preset_path("starlink"))
    fleet = build_fleet(sc)
    jd, fr = jd_pair(epoch_jd(sc.start), np.arange(0.0, 3600.0, 300.0))
    _, r, _ = fleet.satrecs.sgp4(jd, fr)
    r = teme_to_ecef(r, gmst_rad(jd, fr))
    model = NetworkModel(sc, fleet, build_stations(sc), r[:, 0])
    n, g, u = model.n_sat, model.n_gs, len(model.regions)
    sources = np.arange(n + g, n + g + u)
    for k in range(r.shape[1]):
        graph = model.latency_graph(r[:, k])
        got = _shortest_from(graph.indptr, graph.indices, graph.data, sources, n)
        np.testing.assert_array_equal(got, dijkstra(graph, directed=True,
                                                    indices=sources)[:, :n])


def _outlook_reference(entry, dur, period, t_now, horizon_s, lit, full_sun_w, bus_w,
                       idle_all, span, battery_wh, min_soc, capacity_wh, discharge_eff, n_acc):
    """The operator's outlook as NumPy arrays over the satellites (what the engine computed
    before the compiled kernel)."""
    known = np.isfinite(entry)

    def eclipsed(t):
        x = t - np.where(known, entry, 0.0)
        n = np.floor(x / period)
        return n * dur + np.clip(x - n * period, 0.0, dur)

    shadow = np.where(known, eclipsed(t_now + horizon_s) - eclipsed(t_now),
                      horizon_s * (1.0 - lit))
    shadow = np.clip(shadow, 0.0, horizon_s)
    span = np.maximum(span, 1e-300)
    u_sun = np.clip((full_sun_w - bus_w - idle_all) / span, 0.0, 1.0)
    stored_j = np.maximum(battery_wh - min_soc * capacity_wh, 0.0) * (discharge_eff * 3600.0)
    u_dark = np.clip((stored_j / np.maximum(shadow, 1e-9) - bus_w - idle_all) / span, 0.0, 1.0)
    share = ((horizon_s - shadow) * u_sun + shadow * u_dark) / horizon_s
    return np.where(n_acc > 0, share, 0.0)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 50),
       horizon_s=st.floats(60.0, 20_000.0), t_now=st.floats(0.0, 1e6))
def test_the_outlook_kernel_is_the_array_formula(seed, n_s, horizon_s, t_now):
    """Anchored and unanchored umbras, horizons shorter and longer than an orbit, empty and
    full batteries, satellites without accelerators or with no span: bit for bit the NumPy
    formula."""
    from orbitdc.sim.engine import _outlook_share

    rng = np.random.default_rng(seed)
    period = rng.uniform(5400.0, 7000.0, n_s)
    entry = np.where(rng.random(n_s) < 0.3, np.nan, t_now - rng.uniform(-3000, 30_000, n_s))
    dur = rng.uniform(0.0, 2200.0, n_s)
    args = (entry, dur, period, t_now, horizon_s, rng.choice([0.0, 0.4, 1.0], n_s),
            rng.uniform(0.0, 3000.0, n_s), rng.uniform(0.0, 500.0, n_s),
            rng.uniform(0.0, 300.0, n_s), rng.choice([0.0, 700.0, 2800.0], n_s),
            rng.uniform(0.0, 5000.0, n_s), rng.uniform(0.0, 0.5, n_s),
            rng.choice([0.0, 4000.0], n_s), rng.uniform(0.8, 1.0, n_s),
            rng.integers(0, 5, n_s))
    with np.errstate(over="ignore"):  # no span: a share divided by 1e-300, clipped to 1
        want = _outlook_reference(*args)
    np.testing.assert_array_equal(_outlook_share(*args), want)


# --- the engine's compiled event search (orbitdc.core.crossings) ---------------------------

EPOCH_JD = 2461119.5  # 2026-03-20 0h UTC


def _circular_orbits(rng, n_s, t):
    """Positions and velocities (S, K, 3), km and km/s, of circular orbits of random radius,
    plane and phase: two-body motion, enough to exercise the search."""
    mu = 398600.4418
    radius = rng.uniform(6700.0, 8500.0, n_s)
    n = np.sqrt(mu / radius**3)
    inc, (raan, phase) = rng.uniform(0, np.pi, n_s), rng.uniform(0, 2 * np.pi, (2, n_s))
    p = np.stack([np.cos(raan), np.sin(raan), np.zeros(n_s)], 1)
    q = np.stack([-np.sin(raan) * np.cos(inc), np.cos(raan) * np.cos(inc), np.sin(inc)], 1)
    u = n[:, None] * t[None, :] + phase[:, None]
    r = radius[:, None, None] * (np.cos(u)[..., None] * p[:, None] + np.sin(u)[..., None]
                                 * q[:, None])
    v = (radius * n)[:, None, None] * (-np.sin(u)[..., None] * p[:, None]
                                       + np.cos(u)[..., None] * q[:, None])
    return r, v


def _assert_same_crossings(got, want):
    rows, times, rising = got
    np.testing.assert_array_equal(rows, want[0])
    np.testing.assert_array_equal(rising, want[2])
    np.testing.assert_allclose(times, want[1], rtol=0.0, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 40), step_s=st.floats(5.0, 60.0),
       fr=st.floats(0.0, 0.999), umbra=st.booleans())
def test_the_compiled_shadow_search_is_find_crossings(seed, n_s, step_s, fr, umbra):
    """Shadow-cone margins of random orbits over ~2 h (entries, exits, the odd decayed
    satellite): the compiled search finds the crossings ``find_crossings`` finds with the
    NumPy evaluator (Hermite positions, ``sun_position_km``, ``shadow_angles``), in the same
    order and direction, at the same times to 1 µs."""
    from orbitdc.core import crossings, events
    from orbitdc.core.sun import shadow_angles, sun_position_km
    from orbitdc.core.time import jd_pair

    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 7200.0 + step_s / 2, step_s)
    r, v = _circular_orbits(rng, n_s, t)
    if n_s > 2:
        r[0, t.size // 2:] = np.nan  # a satellite that decayed mid-chunk
        v[0, t.size // 2:] = np.nan
    epoch = (EPOCH_JD, fr)
    jd, frs = jd_pair(epoch, t)
    sep, a, b = shadow_angles(r, sun_position_km(jd, frs)[None])
    g = (b - a - sep) if umbra else (a + b - sep)
    speed = np.sqrt(np.nanmax(np.einsum("skj,skj->sk", v, v), axis=1))
    rmin = np.sqrt(np.nanmin(np.einsum("skj,skj->sk", r, r), axis=1))
    rate, curv = 1.5 * speed / rmin, 10.0 * (speed / rmin) ** 2

    def evaluate(rows, tq):
        sep_q, a_q, b_q = shadow_angles(events.hermite(t, r, v, rows, tq),
                                        sun_position_km(*jd_pair(epoch, tq)))
        return (b_q - a_q - sep_q) if umbra else (a_q + b_q - sep_q)

    want = events.find_crossings(t, g, evaluate, rate, 1e-3, curv)
    got = crossings.shadow_crossings(crossings.UMBRA if umbra else crossings.PENUMBRA, t, g,
                                     r, v, EPOCH_JD, fr, rate, curv, True, 1e-3)
    _assert_same_crossings(got, want)


def _contacts_reference(cand, coarse, window, t, r, v, epoch, st_ecef, st_up, st_sin, rate,
                        curv, first):
    """The engine's contact search before it was compiled: a Python loop over the screen's
    windows, the margins of the pairs kept in each, ``find_crossings`` on them with a NumPy
    evaluator, the crossings sorted by pair then time."""
    from orbitdc.core import events
    from orbitdc.core.frames import teme_to_ecef
    from orbitdc.core.time import gmst_rad, jd_pair

    n_s, _, n_g = cand.shape
    gmst = gmst_rad(*jd_pair(epoch, t))
    parts, visible = [], np.zeros(n_s * n_g, bool)
    n_int = coarse.size - 1
    for w0 in range(0, n_int, window):
        w1 = min(w0 + window, n_int)
        pair = np.flatnonzero(cand[:, w0 // window, :])
        if not pair.size:
            continue
        sat, stn = pair // n_g, pair % n_g
        ks = np.arange(coarse[w0], coarse[w1] + 1)

        def margin(rq, stn_rows):
            d = rq - st_ecef[stn_rows]
            return (np.einsum("ij,ij->i", d, st_up[stn_rows]) / np.linalg.norm(d, axis=1)
                    - st_sin[stn_rows])

        g = np.stack([margin(teme_to_ecef(r[sat, k], gmst[k]), stn) for k in ks], axis=1)

        def evaluate(rows, tq, sat=sat, stn=stn):
            rq = teme_to_ecef(events.hermite(t, r, v, sat[rows], tq),
                              gmst_rad(*jd_pair(epoch, tq)))
            return margin(rq, stn[rows])

        rows, times, rising = events.find_crossings(t[ks], g, evaluate, rate[sat], 1e-3,
                                                    curv[sat])
        parts.append((pair[rows], times, rising))
        if first and w0 == 0:
            visible[pair] = g[:, 0] > 0
    if not parts:
        return (np.empty(0, np.int64), np.empty(0), np.empty(0, bool)), visible
    rows, times, rising = (np.concatenate(x) for x in zip(*parts))
    order = np.lexsort((times, rows))
    return (rows[order], times[order], rising[order]), visible


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 12), n_g=st.integers(1, 12),
       step_s=st.sampled_from([5.0, 10.0, 20.0, 30.0, 60.0]), fr=st.floats(0.0, 0.999),
       keep=st.floats(0.2, 1.0), first=st.booleans())
def test_the_compiled_contact_search_is_the_window_loop(seed, n_s, n_g, step_s, fr, keep,
                                                        first):
    """Random orbits and stations (masks 0-30°), a random screen (some pairs and windows
    dropped): the compiled pass finds the contacts the Python loop over windows finds, and
    the same pairs in view at the first sample."""
    from orbitdc.core import crossings
    from orbitdc.core.frames import geodetic_to_ecef, up_vectors
    from orbitdc.core.time import gmst_rad, jd_pair
    from orbitdc.sim.engine import _coarse_index, coarse_every

    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 5400.0 + step_s / 2, step_s)
    r, v = _circular_orbits(rng, n_s, t)
    lat, lon = rng.uniform(-1.4, 1.4, n_g), rng.uniform(-np.pi, np.pi, n_g)
    st_ecef = geodetic_to_ecef(lat, lon, rng.uniform(0.0, 2.0, n_g))
    st_up = up_vectors(lat, lon)
    st_sin = np.sin(np.deg2rad(rng.uniform(0.0, 30.0, n_g)))
    coarse = _coarse_index(t.size, coarse_every(step_s))
    window = 4
    n_w = -(-(coarse.size - 1) // window)
    cand = rng.random((n_s, n_w, n_g)) < keep
    speed = np.linalg.norm(v[:, 0], axis=1)
    rate = (speed + 0.5) / np.maximum(np.linalg.norm(r[:, 0], axis=1) - 6400.0, 50.0)
    curv = 2.0 * rate**2
    gmst = gmst_rad(*jd_pair((EPOCH_JD, fr), t))
    want, want_visible = _contacts_reference(cand, coarse, window, t, r, v, (EPOCH_JD, fr),
                                             st_ecef, st_up, st_sin, rate, curv, first)
    pairs, times, rising, visible = crossings.contact_crossings(
        cand, cand.any(axis=2), coarse, window, t, r, v, np.cos(gmst), np.sin(gmst), EPOCH_JD, fr, st_ecef,
        st_up, st_sin, rate, curv, 1.01 * speed + 0.5, 1e-3, first)
    order = np.lexsort((times, pairs))
    _assert_same_crossings((pairs[order], times[order], rising[order]), want)
    if first:
        np.testing.assert_array_equal(visible, want_visible)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 30), n_k=st.integers(1, 40),
       fr=st.floats(0.0, 0.999), dead=st.integers(0, 3))
def test_the_shadow_pass_is_the_numpy_shadow_stage(seed, n_s, n_k, fr, dead):
    """Random orbits from LEO to beyond GEO (so sunlit, penumbra and umbra
    geometries occur), some satellites decayed for part or all of the chunk: the fused
    pass gives the NumPy functions' margins, occulted fraction, radius, zenith cosine and
    extremes of speed and radius."""
    from orbitdc.core.sun import occulted_fraction, shadow_angles, shadow_pass, sun_position_km
    from orbitdc.core.time import jd_pair

    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0.0, 86400.0, n_k))
    r, v = _circular_orbits(rng, n_s, t)
    r *= rng.choice([1.0, 1.0, 6.0, 40.0], n_s)[:, None, None]  # LEO, MEO, far beyond GEO
    for s in rng.choice(n_s, min(dead, n_s), replace=False):
        k = rng.integers(0, n_k)
        r[s, k:] = np.nan
        v[s, k:] = np.nan
    sun = sun_position_km(*jd_pair((EPOCH_JD, fr), t))
    sun_unit = sun / np.linalg.norm(sun, axis=1)[:, None]
    g_pen, g_umb, frac, radius, cos_zenith, speed, r_min, r_max = shadow_pass(r, v, sun,
                                                                             sun_unit)
    sep, a, b = shadow_angles(r, sun[None])
    close = {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(g_pen, a + b - sep, **close)
    np.testing.assert_allclose(g_umb, b - a - sep, **close)
    np.testing.assert_allclose(frac, occulted_fraction(sep, a, b), rtol=0.0, atol=1e-8)
    r2 = np.einsum("skj,skj->sk", r, r)
    v2 = np.einsum("skj,skj->sk", v, v)
    np.testing.assert_allclose(radius, np.sqrt(r2), **close)
    np.testing.assert_allclose(cos_zenith, np.einsum("skj,kj->sk", r, sun_unit) / np.sqrt(r2),
                               **close)
    alive = np.isfinite(r2).any(axis=1)
    want_speed = np.sqrt(np.where(alive, np.nanmax(np.where(np.isfinite(v2), v2, -1.0),
                                                   axis=1), 0.0).clip(0.0))
    np.testing.assert_allclose(speed, want_speed, **close)
    np.testing.assert_allclose(r_min, np.sqrt(np.where(alive, np.min(
        np.where(np.isfinite(r2), r2, np.inf), axis=1), 1.0)), **close)
    np.testing.assert_allclose(r_max, np.sqrt(np.where(alive, np.max(
        np.where(np.isfinite(r2), r2, -np.inf), axis=1), 1.0)), **close)
    # Not vacuous: across examples all geometries occur; within one, the fraction is a
    # fraction.
    assert np.all((frac >= 0.0) & (frac <= 1.0))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 20), n_k=st.integers(2, 40),
       use_incidence=st.booleans())
def test_generation_and_heat_are_the_array_formulas(seed, n_s, n_k, use_incidence):
    """Random arrays, ages, degradation, radiators and sunlight (umbra, penumbra, the Sun
    below the horizon): the fused pass gives the array code's degraded output, generation and
    step means of generation and of ``thermal.environment_heat_w``."""
    from orbitdc.core import thermal
    from orbitdc.core.buskernel import generation_and_heat

    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0.0, 3e7, n_k))
    age, apf = rng.uniform(0.0, 10.0, n_s), rng.uniform(0.0, 2000.0, n_s)
    degradation = rng.uniform(0.0, 0.05, n_s)
    flux = rng.uniform(1300.0, 1420.0, n_k)
    lit = rng.choice([0.0, 1.0, 0.37], (n_s, n_k))
    incidence = rng.uniform(0.0, 1.0, (n_s, n_k))
    area, absorb, emis = (rng.uniform(0.0, 30.0, n_s), rng.uniform(0.05, 0.9, n_s),
                          rng.uniform(0.5, 0.95, n_s))
    sun_view, earth_view = rng.uniform(0.0, 1.0, n_s), rng.uniform(0.0, 0.5, n_s)
    cos_z = rng.uniform(-1.0, 1.0, (n_s, n_k))
    array_w, generated, gen_step, env_step = generation_and_heat(
        age, apf, np.log1p(-degradation), t, flux, lit, incidence, use_incidence, area, absorb,
        emis, sun_view, earth_view, cos_z, thermal.EARTH_ALBEDO, thermal.EARTH_OLR_W_PER_M2)
    years = age[:, None] + t[None, :] / (365.25 * 86400.0)
    want_w = apf[:, None] * np.exp(np.log1p(-degradation)[:, None] * years)
    want_gen = (flux[None, :] * want_w) * lit * (incidence if use_incidence else 1.0)
    heat = thermal.environment_heat_w(area[:, None], absorb[:, None], emis[:, None],
                                      sun_view[:, None], earth_view[:, None], flux[None, :],
                                      lit, cos_z)
    close = {"rtol": 1e-13, "atol": 1e-9}
    np.testing.assert_allclose(array_w, want_w, **close)
    np.testing.assert_allclose(generated, want_gen, **close)
    np.testing.assert_allclose(gen_step, 0.5 * (want_gen[:, :-1] + want_gen[:, 1:]), **close)
    np.testing.assert_allclose(env_step, 0.5 * (heat[:, :-1] + heat[:, 1:]), **close)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 30), n_k=st.integers(1, 40),
       every=st.integers(1, 7), fr=st.floats(0.0, 0.999), dead=st.integers(0, 3))
def test_beta_extremes_are_those_of_the_beta_angle_array(seed, n_s, n_k, every, fr, dead):
    """Random orbits, some satellites decayed for part or all of the chunk, a coarse grid of
    samples: the compiled extremes are the NumPy beta angles' least and greatest over the
    grid, NaN skipped (inf / -inf for a satellite with none)."""
    from orbitdc.core.sun import beta_angle_rad, beta_extremes_rad, sun_position_km
    from orbitdc.core.time import jd_pair

    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0.0, 86400.0 * 30, n_k))
    r, v = _circular_orbits(rng, n_s, t)
    for s in rng.choice(n_s, min(dead, n_s), replace=False):
        k = rng.integers(0, n_k)
        r[s, k:] = np.nan
        v[s, k:] = np.nan
    sun = sun_position_km(*jd_pair((EPOCH_JD, fr), t))
    idx = np.arange(0, n_k, every)
    if idx[-1] != n_k - 1:
        idx = np.append(idx, n_k - 1)
    lo, hi = beta_extremes_rad(r, v, sun, idx)
    beta = beta_angle_rad(r[:, idx], v[:, idx], sun[None, idx, :])
    want_lo = np.min(np.where(np.isnan(beta), np.inf, beta), axis=1)
    want_hi = np.max(np.where(np.isnan(beta), -np.inf, beta), axis=1)
    np.testing.assert_allclose(lo, want_lo, rtol=0.0, atol=1e-13)
    np.testing.assert_allclose(hi, want_hi, rtol=0.0, atol=1e-13)
    assert np.array_equal(np.isinf(lo), np.isnan(beta).all(axis=1))
