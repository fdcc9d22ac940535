"""The engine: flies the fleet through time in chunks and finds its events.

The fleet is cut into blocks of satellites and time into chunks of steps. For each chunk, each
block propagates all its satellites over all the chunk's steps with one ``SatrecArray.sgp4``
call, then computes shadow, beta angle and station visibility as whole arrays: Python runs
once per block and chunk, never once per satellite or per step. Blocks are independent, so
they run in parallel worker processes (forked, so nothing is pickled but the results).

Consecutive chunks share one sample so that a crossing between them is found exactly once.
Events are refined to ~1 ms (``EVENT_TOLERANCE_S``) between steps by ``orbitdc.core.events``;
time series go to a sink chunk by chunk, so memory is bounded by the chunk, not by the run.

Ground contacts are screened before they are computed: a satellite at radius ``r`` can be
above elevation ``e`` only within the Earth-central angle ``acos(R cos e / r) - e`` of a
station. That angle is tested on a coarse grid (about a minute apart) with a margin for the
motion between grid points and for the geodetic-vs-geocentric vertical; elevations are then
computed only inside the coarse intervals that pass. This turns the satellites x stations x
steps product, the dominant cost of a large constellation, into a few per cent of it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sgp4.api import SatrecArray

from orbitdc.core import buskernel, power, radiation, visibility
from orbitdc.core import events as ev
from orbitdc.core.constants import EARTH_ROTATION_RAD_PER_S
from orbitdc.core.frames import ecef_to_geodetic, teme_to_ecef
from orbitdc.core.orbits import propagate
from orbitdc.core.sun import beta_angle_rad, occulted_fraction, shadow_angles, sun_position_km
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
from orbitdc.model.environment import trapped_proton_table
from orbitdc.model.scenario import Scenario
from orbitdc.sim.bus import BusInputs, BusParams, BusState, run_bus
from orbitdc.sim.design import validate_fleet
from orbitdc.sim.fleet import Fleet, Stations, build_fleet, build_stations
from orbitdc.sim.linkevents import link_windows
from orbitdc.sim.network import NetworkModel, network_active

__all__ = [
    "CHUNK_SAT_STEPS",
    "EVENT_TOLERANCE_S",
    "RawRun",
    "default_workers",
    "simulate_arrays",
]

#: Events are refined to this precision (the contract asks for <= 1 s).
EVENT_TOLERANCE_S = 1e-3
#: Satellite-steps per block and chunk: sets the working memory (~ 400 bytes each) and how
#: often progress is reported.
CHUNK_SAT_STEPS = 1_000_000
#: Most steps per chunk, so progress is reported regularly even for small fleets.
MAX_CHUNK_STEPS = 2048
#: Runs smaller than this (satellite-steps) stay in one process: forking costs more.
PARALLEL_MIN_SAT_STEPS = 2_000_000
#: Spacing of the coarse grid used to screen station visibility, seconds (at most).
SCREEN_SPACING_S = 60.0
#: Added to the visibility cone: the geodetic vertical differs from the geocentric one by up
#: to 0.19 deg, the ellipsoid's radius from the sphere's by 0.3 %; 0.5 deg covers both.
SCREEN_MARGIN_RAD = np.deg2rad(0.5)
#: Contacts are evaluated in windows of this many coarse intervals (~4 min): a window holds
#: only the satellite-station pairs that may see each other in it.
CONTACT_WINDOW = 4

Progress = Callable[[int, int], None]
Sink = Callable[[dict[str, np.ndarray]], None]


def default_workers() -> int:
    """Worker processes used when none is asked for: the CPUs this process may use, on
    platforms with ``fork`` (Linux); one elsewhere."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class RawRun:
    """Array results of a run, before they are turned into tables and a summary."""

    fleet: Fleet
    stations: Stations
    times_s: np.ndarray
    windows: dict[str, tuple[np.ndarray, ...]]  # kind -> (row, start, end, clip0, clip1)
    beta_min_rad: np.ndarray
    beta_max_rad: np.ndarray
    sgp4_errors: dict[int, tuple[int, float]]  # satellite -> (code, first time)
    #: CPU seconds per stage, summed over blocks and workers; "wall" is the elapsed total.
    stage_s: dict[str, float] = field(default_factory=dict)
    workers: int = 1
    blocks: int = 1
    #: Bus totals per satellite (None when no fleet has a satellite type).
    bus: BusState | None = None
    #: Resolved satellite type per satellite (None for satellites without one).
    types: list | None = None
    #: Warnings of the design checks (``orbitdc.sim.design``).
    design_warnings: list[str] = field(default_factory=list)
    #: The network section of the summary (None without a [network] or user regions).
    network: dict | None = None
    #: Satellite pairs (P, 2) of the "link" windows, whose rows index them.
    link_pairs: np.ndarray | None = None
    #: Accelerators each satellite can run (S, K) at the scheduling times (K,), and how many
    #: kelvin it is below its temperature limit.
    capacity: np.ndarray | None = None
    headroom: np.ndarray | None = None
    #: The capacity without fault outages (which cannot be foreseen): what policies plan on.
    planned: np.ndarray | None = None
    #: User round trips (ms) to the nearest compute: times (n,) and (n, regions).
    rtt: tuple[np.ndarray, np.ndarray] | None = None
    #: With inference workloads: round trips (ms, float16) from each region to every
    #: satellite, (n, regions, satellites), at the same times.
    sat_rtt: np.ndarray | None = None
    schedule_times: np.ndarray | None = None


@dataclass
class _BlockOut:
    """What one block returns for one chunk. Rows are global (satellite, or
    satellite * stations + station for contacts)."""

    crossings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    start: dict[str, np.ndarray] | None
    beta_min: np.ndarray
    beta_max: np.ndarray
    errors: dict[int, tuple[int, float]]
    series: dict[str, np.ndarray] | None
    stage_s: dict[str, float]
    bus_state: BusState | None = None
    faults: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: ECEF positions (S, n, 3) at the chunk's routing samples, and their times (n,).
    route: tuple[np.ndarray, np.ndarray] | None = None
    #: Accelerators each satellite can run, and kelvin below its limit, (S, n) each, at the
    #: chunk's scheduling samples.
    capacity: tuple[np.ndarray, np.ndarray] | None = None


class _Clock:
    def __init__(self) -> None:
        self.stage_s: dict[str, float] = defaultdict(float)
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stage_s[stage] += now - self._t
        self._t = now


class _Flight:
    """Everything a block needs, built once and shared by forked workers."""

    def __init__(self, scenario: Scenario, fleet: Fleet, stations: Stations, block_size: int):
        self.epoch = epoch_jd(scenario.start)
        self.times = sample_times(scenario)
        self.stations = stations
        self.every = scenario.record_every
        n_s = fleet.size
        self.bounds = [(s, min(s + block_size, n_s)) for s in range(0, n_s, block_size)]
        self.satrecs = [SatrecArray(fleet.satrec_list[a:b]) for a, b in self.bounds]
        recorded = np.asarray(scenario.recorded_satellites(), dtype=np.int64)
        self.recorded = [recorded[(recorded >= a) & (recorded < b)] - a for a, b in self.bounds]
        st = stations.ecef_km
        self.station_unit = st / np.linalg.norm(st, axis=1, keepdims=True) if len(st) else st
        self.station_radius = np.linalg.norm(st, axis=1)
        self.cos_min_el = np.sqrt(1.0 - stations.sin_min_elevation**2)
        self.min_el = np.arcsin(stations.sin_min_elevation)
        self.seed = scenario.seed
        self.routing_every = scenario.routing_every if network_active(scenario) else 0
        self.schedule_every = scenario.schedule_every if scenario.workload else 0
        #: The scheduler's demand (S, scheduling steps), share of accelerators; None: all.
        self.demand: np.ndarray | None = None
        self.coarse_every = coarse_every(scenario.step_s)
        self.proton_table = trapped_proton_table()
        self.last = self.times.size - 1
        fleet_types = scenario.fleet_types()
        types = [fleet_types[i] for i in fleet.fleet_index]
        self.bus_params = [BusParams.build(types[a:b]) for a, b in self.bounds]
        self.bus_initial = [
            BusState.initial(types[a:b], self.bus_params[i], self.seed, a)
            if self.bus_params[i].has_bus.any() else None
            for i, (a, b) in enumerate(self.bounds)
        ]

    def run_block(self, b: int, c0: int, c1: int, bus_state: BusState | None = None) -> _BlockOut:
        self._c0 = c0
        clock = _Clock()
        s0 = self.bounds[b][0]
        t = self.times[c0 : c1 + 1]
        epoch = self.epoch
        jd, fr = jd_pair(epoch, t)
        err, r, v = propagate(self.satrecs[b], jd, fr)
        errors: dict[int, tuple[int, float]] = {}
        bad = err != 0
        if bad.any():
            r[bad] = np.nan
            v[bad] = np.nan
            first = np.argmax(bad, axis=1)
            for s in np.nonzero(bad.any(axis=1))[0]:
                errors[s0 + int(s)] = (int(err[s, first[s]]), float(t[first[s]]))
        clock.lap("propagate")

        sun = sun_position_km(jd, fr)
        sep, sun_r, earth_r = shadow_angles(r, sun[None, :, :])
        g_pen = sun_r + earth_r - sep
        g_umb = earth_r - sun_r - sep
        r2 = np.einsum("skj,skj->sk", r, r)
        v2 = np.einsum("skj,skj->sk", v, v)
        # Satellites that decayed before the chunk have no finite sample: fill, no warning.
        alive_any = np.isfinite(r2).any(axis=1)
        speed = np.sqrt(np.where(alive_any, np.nanmax(np.where(np.isfinite(v2), v2, -1.0),
                                                      axis=1), 0.0).clip(0.0))
        radius_min = np.sqrt(np.where(alive_any, np.min(np.where(np.isfinite(r2), r2, np.inf),
                                                        axis=1), 1.0))
        radius_max = np.sqrt(np.where(alive_any, np.max(np.where(np.isfinite(r2), r2, -np.inf),
                                                        axis=1), 1.0))
        # |d(angle)/dt| <= 1.5 v / r bounds how fast the shadow-cone margins change; their
        # second derivative is bounded by (v / r)^2 / sin(sep) with sep >= the Earth's apparent
        # radius minus the Sun's where it matters (near zero): 10 (v / r)^2 covers up to GEO.
        angular_rate = np.nan_to_num(1.5 * speed / radius_min, nan=0.0)
        angular_curv = 10.0 * np.nan_to_num(speed / radius_min, nan=0.0) ** 2
        clock.lap("shadow")

        def eval_shadow(rows, tq, umbra):
            rq = ev.hermite(t, r, v, rows, tq)
            sep_q, a_q, b_q = shadow_angles(rq, sun_position_km(*jd_pair(epoch, tq)))
            return (b_q - a_q - sep_q) if umbra else (a_q + b_q - sep_q)

        crossings = {
            "penumbra": ev.find_crossings(
                t, g_pen, lambda rows, tq: eval_shadow(rows, tq, False), angular_rate,
                EVENT_TOLERANCE_S, angular_curv,
            ),
            "umbra": ev.find_crossings(
                t, g_umb, lambda rows, tq: eval_shadow(rows, tq, True), angular_rate,
                EVENT_TOLERANCE_S, angular_curv,
            ),
        }
        start = None
        if c0 == 0:
            start = {"penumbra": g_pen[:, 0] > 0, "umbra": g_umb[:, 0] > 0}
        clock.lap("shadow events")

        n_g = self.stations.size
        if n_g:
            found, visible = self._contacts(t, r, v, gmst_rad(jd, fr), speed, radius_min,
                                            radius_max, first=c0 == 0)
            crossings["contact"] = tuple(
                (found[0] // n_g + s0) * n_g + found[0] % n_g if i == 0 else x
                for i, x in enumerate(found)
            )
            if c0 == 0:
                start["contact"] = visible
            clock.lap("contacts")
        for kind in ("penumbra", "umbra"):
            rows, times, rising = crossings[kind]
            crossings[kind] = (rows + s0, times, rising)

        bus_series = faults = None
        params = self.bus_params[b]
        if bus_state is not None:
            bus_state, bus_series, faults = self._bus(
                params, bus_state, s0, t, r, v, sun, gmst_rad(jd, fr), (sep, sun_r, earth_r), r2
            )
            clock.lap("bus")

        # Beta moves by degrees per day: its extremes are taken on the screening grid.
        coarse = _coarse_index(t.size, self.coarse_every)
        beta = beta_angle_rad(r[:, coarse], v[:, coarse], sun[None, coarse, :])
        beta_min = np.min(np.where(np.isnan(beta), np.inf, beta), axis=1)
        beta_max = np.max(np.where(np.isnan(beta), -np.inf, beta), axis=1)

        series = None
        rec = self.recorded[b]
        if rec.size:
            # A chunk's last sample is the next chunk's first; the later chunk records it, where
            # the bus's step starting there is known. The run's last sample ends its chunk.
            stop = c1 + 1 if c1 == self.last else c1
            keep = np.nonzero(np.arange(c0, stop) % self.every == 0)[0]
            if keep.size:
                series = _timeseries_columns(
                    rec, s0, keep, t, r, v, sun, gmst_rad(jd, fr), (sep, sun_r, earth_r),
                    bus_series,
                )
        route = None
        if self.routing_every:
            stop = c1 + 1 if c1 == self.last else c1
            k = np.nonzero(np.arange(c0, stop) % self.routing_every == 0)[0]
            if k.size:
                route = (teme_to_ecef(r[:, k], gmst_rad(jd[k], fr[k])), t[k])
        capacity = None
        if self.schedule_every:
            stop = c1 + 1 if c1 == self.last else c1
            g = np.arange(c0, stop)
            k = np.nonzero((g % self.schedule_every == 0) | (g == self.last))[0]
            n_blk = r.shape[0]
            if bus_series is not None:
                avail = np.nan_to_num(bus_series["compute_available"][k].T, nan=0.0)
                capacity = avail * params.n_acc[:, None]
                planned = np.nan_to_num(bus_series["compute_planned"][k].T, nan=0.0) * (
                    params.n_acc[:, None])
                headroom = np.nan_to_num(
                    params.t_max_k[:, None] - bus_series["temperature_k"][k].T, nan=0.0
                )
            else:
                capacity = np.zeros((n_blk, k.size))
                headroom = np.zeros((n_blk, k.size))
                planned = capacity
            capacity = (capacity, headroom, planned)
        clock.lap("record")
        return _BlockOut(
            crossings, start, beta_min, beta_max, errors, series, clock.stage_s, bus_state, faults,
            route, capacity,
        )

    def _bus(self, params, state, s0, t, r, v, sun, gmst, angles, r2):
        """The environment the bus needs over the chunk, then the bus itself."""
        radius = np.sqrt(r2)
        sun_dist = np.sqrt(np.einsum("kj,kj->k", sun, sun))
        sun_unit = sun / sun_dist[:, None]
        cos_zenith = np.einsum("skj,kj->sk", r, sun_unit) / radius
        if np.all(params.pointing == power.TRACKING):
            incidence = np.ones_like(radius)
        else:
            incidence = power.array_incidence(params.pointing, r, v, sun_unit[None, :, :])
        coarse = _coarse_index(t.size, self.coarse_every)
        r_ecef = teme_to_ecef(r[:, coarse], gmst[coarse])
        radius_c = radius[:, coarse]
        lat, lon, alt = ecef_to_geodetic(r_ecef)
        inputs = BusInputs(
            t_s=t,
            lit=1.0 - occulted_fraction(*angles),
            solar_flux=power.solar_flux_w_per_m2(sun_dist),
            incidence=incidence,
            cos_sun_zenith=cos_zenith,
            radius_km=radius,
            rad_t_s=t[coarse],
            proton_flux=radiation.trapped_proton_flux(lat, lon, alt, self.proton_table),
            gcr_flux=radiation.gcr_flux(r_ecef, radius_c),
        )
        bad = np.isnan(radius)
        inputs.alive = ~bad
        if bad.any():  # decayed satellites: no sunlight, no environment, no bus
            for name in ("lit", "incidence", "cos_sun_zenith"):
                getattr(inputs, name)[bad] = 0.0
            inputs.radius_km = np.where(bad, 1e9, radius)
            bad_c = np.isnan(radius_c)
            inputs.proton_flux[bad_c] = 0.0
            inputs.gcr_flux[bad_c] = 0.0
        demand = 1.0
        if self.demand is not None:
            # Each step takes the scheduler's demand of the scheduling step it falls in.
            g = np.minimum(np.arange(self._c0, self._c0 + t.size) // self.schedule_every,
                           self.demand.shape[1] - 1)
            demand = self.demand[s0: s0 + r.shape[0]][:, g]
        return run_bus(params, state, inputs, self.seed, s0, demand)

    def _margin(self, r_ecef: np.ndarray, st: np.ndarray) -> np.ndarray:
        """``sin(elevation) - sin(min elevation)`` of positions (N, 3) from stations (N,)."""
        d = r_ecef - self.stations.ecef_km[st]
        rng = np.sqrt(np.einsum("ij,ij->i", d, d))
        return np.einsum("ij,ij->i", d, self.stations.up[st]) / rng - (
            self.stations.sin_min_elevation[st]
        )

    def _contacts(self, t, r, v, gmst, speed, radius_min, radius_max, first: bool):
        """Station contacts of one block over one chunk: crossings ``(pair, time, rising)``
        with ``pair = sat * stations + station`` (block-local satellite), and, for the first
        chunk, which pairs are in contact at its first sample.

        Screened (see the module docstring), then evaluated densely inside windows of
        ``CONTACT_WINDOW`` coarse intervals for the pairs that pass in that window.
        """
        n_s = r.shape[0]
        n_g = self.stations.size
        epoch = self.epoch
        coarse = _coarse_index(t.size, self.coarse_every)
        rc = teme_to_ecef(r[:, coarse], gmst[coarse])  # (S, C, 3)
        unit = rc / np.linalg.norm(rc, axis=2, keepdims=True)
        # Visibility cone half-angle per satellite and station, plus the ground distance the
        # sub-satellite point covers in half a coarse interval, plus the fixed margin.
        ratio = np.clip(
            self.station_radius[None, :] * self.cos_min_el[None, :] / radius_max[:, None],
            -1.0,
            1.0,
        )
        cone = np.arccos(ratio) - self.min_el[None, :]
        spacing = float(np.max(np.diff(t[coarse]))) if coarse.size > 1 else 0.0
        rate = np.nan_to_num(speed / radius_max, nan=0.0) + EARTH_ROTATION_RAD_PER_S
        cone = cone + (rate * spacing / 2.0)[:, None] + SCREEN_MARGIN_RAD
        # (S, W, G): pairs with a coarse interval of the window that has either end in the
        # cone (NaN positions never are).
        cand = visibility.screen_windows(
            unit, self.station_unit, np.cos(np.minimum(cone, np.pi)), CONTACT_WINDOW
        )
        alt_min = np.maximum(radius_min - 6400.0, 50.0)
        # |d sin(el)/dt| <= v_rel / h and |d2 sin(el)/dt2| <= (v_rel / h)^2 for a pass at
        # least h above the station (a straight pass: max of d2/dx2 (1 + x^2)^-1/2 is 1);
        # v_rel adds the station's 0.5 km/s, and a factor 2 covers the orbit's curvature.
        el_rate = (speed + 0.5) / alt_min
        el_curv = 2.0 * el_rate**2

        r_c = np.ascontiguousarray(r, float)
        cos_gmst, sin_gmst = np.cos(gmst), np.sin(gmst)
        parts = []
        visible = np.zeros(n_s * n_g, bool) if first else None
        n_int = coarse.size - 1
        for w0 in range(0, n_int, CONTACT_WINDOW):
            w1 = min(w0 + CONTACT_WINDOW, n_int)
            pair = np.flatnonzero(cand[:, w0 // CONTACT_WINDOW, :])
            if not pair.size:
                continue
            sat, st = pair // n_g, pair % n_g
            ks = np.arange(coarse[w0], coarse[w1] + 1)
            g = visibility.elevation_margins(
                r_c, cos_gmst, sin_gmst, sat, st, int(ks[0]), int(ks[-1]),
                self.stations.ecef_km, self.stations.up, self.stations.sin_min_elevation,
            )  # (M, W)

            def eval_el(rows, tq, sat=sat, st=st):
                rq = teme_to_ecef(ev.hermite(t, r, v, sat[rows], tq), gmst_rad(*jd_pair(epoch, tq)))
                return self._margin(rq, st[rows])

            rows, times, rising = ev.find_crossings(
                t[ks], g, eval_el, el_rate[sat], EVENT_TOLERANCE_S, el_curv[sat]
            )
            parts.append((pair[rows], times, rising))
            if first and w0 == 0:
                visible[pair] = g[:, 0] > 0
        return _sorted(parts), visible


def coarse_every(step_s: float) -> int:
    """Samples between points of the coarse grid (at most ``SCREEN_SPACING_S`` apart)."""
    return max(1, int(SCREEN_SPACING_S // step_s))


def _coarse_index(n: int, every: int) -> np.ndarray:
    """Indices of the coarse grid in a chunk of ``n`` samples: every ``every``-th, and the last.
    Chunks start on multiples of ``every`` (``simulate_arrays`` makes them so), so the grid
    is the run's, whatever the chunking: radiation integrated on it does not depend on it."""
    idx = np.arange(0, n, every)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return idx


def sample_times(scenario: Scenario) -> np.ndarray:
    """Step times in seconds from the epoch; the last one is the end of the run."""
    n = scenario.n_steps
    return np.minimum(np.arange(n) * scenario.step_s, scenario.duration_s)


#: The flight forked workers inherit (set just before the pool starts).
_FLIGHT: _Flight | None = None


def _run_block(args) -> _BlockOut:
    assert _FLIGHT is not None
    return _FLIGHT.run_block(*args)


def simulate_arrays(
    scenario: Scenario,
    *,
    sink: Sink | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
    workers: int | None = None,
    block_size: int | None = None,
    demand: np.ndarray | None = None,
) -> RawRun:
    """Run the scenario. ``sink`` receives time-series columns for the recorded satellites and
    steps, one dict of arrays per chunk, in time-major order; ``progress(done, total)`` counts
    steps. ``workers`` processes (default :func:`default_workers`, one for small runs) share
    the blocks of ``block_size`` satellites; ``chunk`` sets the steps per chunk. None of these
    change the results. ``demand`` (S, scheduling steps): the share of each satellite's
    accelerators the scheduler runs (default: all of them)."""
    global _FLIGHT
    wall0 = time.perf_counter()
    clock = _Clock()
    fleet = build_fleet(scenario)
    design_warnings = validate_fleet(scenario, fleet)
    stations = build_stations(scenario)
    times = sample_times(scenario)
    n_t = times.size
    n_s = fleet.size
    n_g = stations.size
    if workers is None:
        workers = default_workers() if n_s * n_t >= PARALLEL_MIN_SAT_STEPS else 1
    workers = max(1, min(int(workers), n_s))
    if block_size is None:
        block_size = -(-n_s // workers)
    block_size = max(1, min(int(block_size), n_s))
    flight = _Flight(scenario, fleet, stations, block_size)
    if demand is not None:
        if not flight.schedule_every:
            raise ValueError("a demand needs a scenario with workloads (its scheduling steps)")
        flight.demand = np.clip(np.asarray(demand, float), 0.0, 1.0)
    n_blocks = len(flight.bounds)
    if chunk is None:
        chunk = int(max(2, min(MAX_CHUNK_STEPS, CHUNK_SAT_STEPS // block_size)))
    every = coarse_every(scenario.step_s)
    chunk = -(-int(chunk) // every) * every  # chunks end on the coarse grid
    clock.lap("setup")

    crossings: dict[str, list] = defaultdict(list)
    start: dict[str, list] = defaultdict(list)
    beta_min = np.full(n_s, np.inf)
    beta_max = np.full(n_s, -np.inf)
    errors: dict[int, tuple[int, float]] = {}
    stage_s: dict[str, float] = defaultdict(float)
    bus_states = list(flight.bus_initial)
    faults: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    capacity_parts: list[np.ndarray] = []
    headroom_parts: list[np.ndarray] = []
    planned_parts: list[np.ndarray] = []
    network = None
    if network_active(scenario):
        _, r0, _ = propagate(fleet.satrecs, *[np.atleast_1d(x) for x in jd_pair(
            epoch_jd(scenario.start), np.zeros(1))])
        network = NetworkModel(
            scenario, fleet, stations,
            teme_to_ecef(r0[:, 0], gmst_rad(*jd_pair(epoch_jd(scenario.start), np.zeros(1)))),
        )

    pool = None
    if workers > 1:
        # Compiled kernels: loaded once here, not once per worker.
        if any(state is not None for state in bus_states):
            buskernel.warm_up()
        if stations.size:
            visibility.warm_up()
        ev.warm_up()
        _FLIGHT = flight
        pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        c0 = 0
        while True:
            c1 = min(c0 + chunk, n_t - 1)
            tasks = [(b, c0, c1, bus_states[b]) for b in range(n_blocks)]
            if pool is not None:
                outs = pool.map(_run_block, tasks, chunksize=1)
            else:
                outs = [flight.run_block(*task) for task in tasks]
            clock.lap("blocks (wall)")
            series = []
            for b, out in enumerate(outs):
                a, z = flight.bounds[b]
                for kind, found in out.crossings.items():
                    crossings[kind].append(found)
                if out.start is not None:
                    for kind, state in out.start.items():
                        start[kind].append(state)
                beta_min[a:z] = np.fmin(beta_min[a:z], out.beta_min)
                beta_max[a:z] = np.fmax(beta_max[a:z], out.beta_max)
                for s, e in out.errors.items():
                    errors.setdefault(s, e)
                for stage, sec in out.stage_s.items():
                    stage_s[stage] += sec
                if out.series is not None:
                    series.append(out.series)
                bus_states[b] = out.bus_state
                if out.faults is not None and out.faults[0].size:
                    faults.append(out.faults)
            if sink is not None and series:
                sink(_merge_series(series))
            clock.lap("merge")
            if outs[0].capacity is not None and outs[0].capacity[0].shape[1]:
                capacity_parts.append(np.concatenate([o.capacity[0] for o in outs], axis=0))
                headroom_parts.append(np.concatenate([o.capacity[1] for o in outs], axis=0))
                planned_parts.append(np.concatenate([o.capacity[2] for o in outs], axis=0))
            if network is not None and outs[0].route is not None:
                positions = np.concatenate([o.route[0] for o in outs], axis=0)  # (N, n, 3)
                for j, t_route in enumerate(outs[0].route[1]):
                    network.step(float(t_route), positions[:, j])
                clock.lap("network")
            if progress is not None:
                progress(int(c1), n_t - 1)
            if c1 >= n_t - 1:
                break
            c0 = c1
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
            _FLIGHT = None

    t0, t1 = float(times[0]), float(times[-1])
    pen = _sorted(crossings["penumbra"])
    umb = _sorted(crossings["umbra"])
    start_pen = np.concatenate(start["penumbra"])
    start_umb = np.concatenate(start["umbra"])
    windows = {"umbra": ev.windows_from_crossings(*umb, start_umb, t0, t1)}
    p_rows, p_times, p_rising, p_start = ev.combine_states(
        *pen, start_pen, *umb, start_umb, n_s
    )
    windows["penumbra"] = ev.windows_from_crossings(p_rows, p_times, p_rising, p_start, t0, t1)
    if n_g:
        start_con = np.concatenate(start["contact"])
        windows["contact"] = ev.windows_from_crossings(
            *_sorted(crossings["contact"]), start_con, t0, t1
        )
    bus = None
    if any(state is not None for state in bus_states):
        parts = []
        for i, state in enumerate(bus_states):
            if state is None:
                a, z = flight.bounds[i]
                state = BusState.initial([None] * (z - a), flight.bus_params[i], flight.seed, a)
            parts.append(state)
        bus = BusState.concat(parts)
        f_sat, f_start, f_end = (
            (np.concatenate([f[i] for f in faults]) for i in range(3))
            if faults else (np.empty(0, np.int64), np.empty(0), np.empty(0))
        )
        order = np.lexsort((f_start, f_sat))
        f_sat, f_start, f_end = f_sat[order], f_start[order], f_end[order]
        windows["fault"] = (
            f_sat, f_start, np.minimum(f_end, t1), np.zeros(f_sat.size, bool), f_end > t1
        )
    link_pairs = None
    if any(isl.record_links for isl in scenario.network.isl):
        found = link_windows(scenario, fleet, times, EVENT_TOLERANCE_S)
        if found is not None:
            link_pairs, windows["link"] = found
    clock.lap("windows")
    stage_s.update({f"main: {k}": v for k, v in clock.stage_s.items()})
    stage_s["wall"] = time.perf_counter() - wall0
    return RawRun(
        fleet=fleet,
        stations=stations,
        times_s=times,
        windows=windows,
        beta_min_rad=beta_min,
        beta_max_rad=beta_max,
        sgp4_errors=errors,
        stage_s=dict(stage_s),
        workers=workers,
        blocks=n_blocks,
        bus=bus,
        types=[scenario.fleet_types()[i] for i in fleet.fleet_index],
        design_warnings=design_warnings,
        link_pairs=link_pairs,
        capacity=np.concatenate(capacity_parts, axis=1) if capacity_parts else None,
        headroom=np.concatenate(headroom_parts, axis=1) if headroom_parts else None,
        planned=np.concatenate(planned_parts, axis=1) if planned_parts else None,
        schedule_times=(
            times[(np.arange(n_t) % scenario.schedule_every == 0) | (np.arange(n_t) == n_t - 1)]
            if capacity_parts else None
        ),
        rtt=(
            (np.asarray(network.times), np.vstack(network.rtt_ms))
            if network is not None and network.rtt_ms else None
        ),
        sat_rtt=(
            np.stack(network.sat_rtt_ms) if network is not None and network.sat_rtt_ms else None
        ),
        network=(
            network.summary(scenario.routing_every * scenario.step_s)
            if network is not None else None
        ),
    )


def _sorted(parts):
    if not parts:
        return np.empty(0, np.int64), np.empty(0), np.empty(0, bool)
    rows = np.concatenate([p[0] for p in parts])
    times = np.concatenate([p[1] for p in parts])
    rising = np.concatenate([p[2] for p in parts])
    order = np.lexsort((times, rows))
    return rows[order], times[order], rising[order]


def _merge_series(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Blocks' time-series columns as one chunk in time-major, then satellite, order."""
    if len(parts) == 1:
        return parts[0]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["satellite_index"], cols["t_s"]))
    return {k: v[order] for k, v in cols.items()}


BUS_COLUMNS = ("power_in_w", "load_w", "battery_wh", "temperature_k", "compute_available",
               "utilisation")


def _timeseries_columns(
    rec, s0, keep, t, r, v, sun, gmst, angles, bus_series=None
) -> dict[str, np.ndarray]:
    """Rows for a block's recorded satellites ``rec`` at kept samples, time-major order."""
    rr = r[rec][:, keep]  # (R, k, 3)
    lat, lon, alt = ecef_to_geodetic(teme_to_ecef(rr, gmst[keep]))
    frac = occulted_fraction(*(a[rec][:, keep] for a in angles))
    beta = beta_angle_rad(rr, v[rec][:, keep], sun[None, keep, :])
    n_r = rec.size

    def flat(a):
        return np.ascontiguousarray(np.swapaxes(a, 0, 1)).reshape(-1)

    return {
        "t_s": np.repeat(t[keep], n_r),
        "satellite_index": np.tile(rec + s0, keep.size),
        "x_km": flat(rr[..., 0]),
        "y_km": flat(rr[..., 1]),
        "z_km": flat(rr[..., 2]),
        "lat_deg": flat(np.rad2deg(lat)),
        "lon_deg": flat(np.rad2deg(lon)),
        "alt_km": flat(alt),
        "shadow": flat(frac),
        "beta_deg": flat(np.rad2deg(beta)),
    } | {
        name: bus_series[name][keep][:, rec].reshape(-1) if bus_series is not None
        else np.full(n_r * keep.size, np.nan)
        for name in BUS_COLUMNS
    }
