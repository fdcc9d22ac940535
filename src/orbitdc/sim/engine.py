"""The engine: flies the fleet through time in chunks and finds its events.

The fleet is cut into blocks of satellites and time into chunks of steps. For each chunk, each
block propagates all its satellites over all the chunk's steps with one SGP4 batch call
(astroz's SIMD SGP4 where it is installed, else python-sgp4's ``SatrecArray``:
``orbitdc.core.propagators``), then computes shadow, beta angle and station visibility as whole arrays: Python runs
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

import contextlib
import math
import multiprocessing
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from orbitdc.core import buskernel, power, propagators, radiation, visibility
from orbitdc.core import crossings as crossings_kernels
from orbitdc.core import events as ev
from orbitdc.core._jit import kernel
from orbitdc.core.constants import EARTH_ROTATION_RAD_PER_S
from orbitdc.core.frames import ecef_to_geodetic, teme_to_ecef
from orbitdc.core.orbits import propagate
from orbitdc.core.sun import beta_angle_rad, beta_extremes_rad, shadow_pass, sun_position_km
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
from orbitdc.model.environment import trapped_proton_table
from orbitdc.model.scenario import Scenario
from orbitdc.sim.bus import BusChunk, BusInputs, BusParams, BusState
from orbitdc.sim.design import validate_fleet
from orbitdc.sim.eventlog import EVENT_KINDS, EventLog, EventSink, EventTotals, link_rows
from orbitdc.sim.fleet import Fleet, Stations, build_fleet, build_stations
from orbitdc.sim.linkevents import link_windows
from orbitdc.sim.network import NetworkModel, network_active

__all__ = [
    "CHUNK_SAT_STEPS",
    "EVENT_KINDS",
    "EVENT_TOLERANCE_S",
    "Flight",
    "FleetView",
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
#: The contact pre-screen bounds the relative speed by this times the chunk's largest sampled
#: speed (plus the station's 0.5 km/s): between samples an eccentric orbit may go a little
#: faster than at any of them.
CONTACT_SPEED_MARGIN = 1.01

Progress = Callable[[int, int], None]
Sink = Callable[[dict[str, np.ndarray]], None]


def default_workers() -> int:
    """Processes used when none is asked for (this one and forked workers): the CPUs this
    process may use, on platforms with ``fork`` (Linux); one elsewhere."""
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
    #: Totals of the event windows (written to the event sink as they were found).
    events: EventTotals
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
    #: User round trips (ms) to the nearest compute: times (n,) and (n, regions).
    rtt: tuple[np.ndarray, np.ndarray] | None = None
    #: The solar particle events the run drew (``orbitdc.core.radiation.SolarEvents``).
    solar_events: object | None = None
    #: The SGP4 propagator that flew the run (``orbitdc.core.propagators``).
    propagator: str = "sgp4"


def solar_events_of(scenario: Scenario, times: np.ndarray) -> radiation.SolarEvents:
    """The run's solar particle events, from its seed and ``[radiation]`` table."""
    spe = scenario.radiation.solar_particle_events
    return radiation.solar_particle_events(
        scenario.seed, float(times[-1]) if spe.enabled else 0.0, spe.events_per_year,
        spe.log10_fluence_mean, spe.log10_fluence_sigma, spe.duration_h * 3600.0)


_NO_PAIRS = (np.empty(0, np.int64), np.empty(0), np.empty(0))


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

    def __init__(self, scenario: Scenario, fleet: Fleet, stations: Stations, block_size: int,
                 propagator: str = "sgp4"):
        self.epoch = epoch_jd(scenario.start)
        self.times = sample_times(scenario)
        self.stations = stations
        self.every = scenario.record_every
        n_s = fleet.size
        self.bounds = [(s, min(s + block_size, n_s)) for s in range(0, n_s, block_size)]
        self.satrecs = [propagators.batch(fleet.satrec_list[a:b], propagator,
                                          reference_jd=self.epoch) for a, b in self.bounds]
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
        self.coarse_every = coarse_every(scenario.step_s)
        self.proton_table = trapped_proton_table()
        self.solar_events = solar_events_of(scenario, self.times)
        self.last = self.times.size - 1
        fleet_types = scenario.fleet_types()
        types = [fleet_types[i] for i in fleet.fleet_index]
        self.bus_params = [BusParams.build(types[a:b], scenario.radiation.gcr_cross_section_cm2)
                           for a, b in self.bounds]
        #: Each block's bus state, kept where the block is flown (a worker process).
        self.bus_state = [
            BusState.initial(types[a:b], self.bus_params[i], self.seed, a)
            if self.bus_params[i].has_bus.any() else None
            for i, (a, b) in enumerate(self.bounds)
        ]
        n_b = len(self.bounds)
        self._chunks: list[dict | None] = [None] * n_b
        self._trial: list[BusState | None] = [None] * n_b
        #: What the trial flew: (j0, j1, demand).
        self._trial_of: list[tuple | None] = [None] * n_b
        # The ephemeris an operator plans on: the latest umbra of each satellite and its period.
        self._ecl_entry = [np.full(b - a, np.nan) for a, b in self.bounds]
        self._ecl_dur = [np.zeros(b - a) for a, b in self.bounds]
        self._ecl_open = [np.full(b - a, np.nan) for a, b in self.bounds]
        self._ecl_pairs = [_NO_PAIRS] * n_b
        periods = np.array([2.0 * np.pi / s.no_kozai * 60.0 for s in fleet.satrec_list])
        self._period = [periods[a:b] for a, b in self.bounds]

    def run_block(self, b: int, c0: int, c1: int) -> _BlockOut:
        """One chunk of one block flown at full demand (no scheduler)."""
        out = self.begin(b, c0, c1)
        if self._chunks[b]["bus"] is not None:
            self.fly(b, 0, c1 - c0, 1.0)
            self.accept(b)
        rest = self.end(b)
        rest.crossings, rest.start, rest.route = out.crossings, out.start, out.route
        rest.beta_min, rest.beta_max, rest.errors = out.beta_min, out.beta_max, out.errors
        for k, v in out.stage_s.items():
            rest.stage_s[k] = rest.stage_s.get(k, 0.0) + v
        return rest

    def begin(self, b: int, c0: int, c1: int) -> _BlockOut:
        """Start chunk ``[c0, c1]`` of block ``b``: propagate, find its shadow and contact
        events, prepare its bus (whatever does not depend on the load). Returns the events
        and routing positions; the bus is flown with :meth:`fly` and the chunk closed with
        :meth:`end`."""
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
        sun_unit = sun / np.sqrt(np.einsum("kj,kj->k", sun, sun))[:, None]
        r = np.ascontiguousarray(r, float)
        v = np.ascontiguousarray(v, float)
        # One compiled pass: shadow angles and margins, occulted fraction, radius, the Sun's
        # zenith cosine, and the extremes of speed and radius (satellites that decayed before
        # the chunk have no finite sample: filled).
        g_pen, g_umb, frac, radius, cos_zenith, speed, radius_min, radius_max = shadow_pass(
            r, v, sun, sun_unit)
        # |d(angle)/dt| <= 1.5 v / r bounds how fast the shadow-cone margins change; their
        # second derivative is bounded by (v / r)^2 / sin(sep) with sep >= the Earth's apparent
        # radius minus the Sun's where it matters (near zero): 10 (v / r)^2 covers up to GEO.
        angular_rate = np.nan_to_num(1.5 * speed / radius_min, nan=0.0)
        angular_curv = 10.0 * np.nan_to_num(speed / radius_min, nan=0.0) ** 2
        clock.lap("shadow")

        crossings = {
            kind: crossings_kernels.shadow_crossings(
                code, t, g, r, v, epoch[0], epoch[1], angular_rate,
                angular_curv, True, EVENT_TOLERANCE_S,
            )
            for kind, code, g in (("penumbra", crossings_kernels.PENUMBRA, g_pen),
                                  ("umbra", crossings_kernels.UMBRA, g_umb))
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

        params = self.bus_params[b]
        chunk = None
        if self.bus_state[b] is not None:
            chunk = self._bus_chunk(params, self.bus_state[b], s0, t, r, v, sun, sun_unit,
                                    gmst_rad(jd, fr), frac, radius, cos_zenith)
            clock.lap("bus")
        if chunk is not None and self.schedule_every:
            self._update_eclipse_anchor(b, *crossings["umbra"], s0)

        # Beta moves by degrees per day: its extremes are taken on the screening grid.
        coarse = _coarse_index(t.size, self.coarse_every)
        beta_min, beta_max = beta_extremes_rad(r, v, sun, coarse)
        route = None
        if self.routing_every:
            stop = c1 + 1 if c1 == self.last else c1
            k = np.nonzero(np.arange(c0, stop) % self.routing_every == 0)[0]
            if k.size:
                route = (teme_to_ecef(r[:, k], gmst_rad(jd[k], fr[k])), t[k])
        self._trial_of[b] = None
        self._chunks[b] = {"bus": chunk, "c0": c0, "c1": c1, "t": t, "r": r, "v": v,
                           "sun": sun, "gmst": gmst_rad(jd, fr),
                           "frac": frac}
        clock.lap("record")
        return _BlockOut(crossings, start, beta_min, beta_max, errors, None, clock.stage_s,
                         route=route)

    def fly(self, b: int, j0: int, j1: int, demand, accept_first: bool = False,
            horizon_s: float | None = None):
        """Fly block ``b``'s bus over chunk samples ``j0 .. j1`` under ``demand`` (share of
        each satellite's accelerators: a number or (S_b,)), tentatively: flying the same range
        again replaces it, :meth:`accept` keeps it (``accept_first``: keep the flight before
        this range first). Returns the share of accelerators that ran, averaged over the
        range (S_b,), the upsets that began in it (satellite, time, accelerator), and, with
        ``horizon_s``, the view at ``j1`` should this flight be kept (None at the chunk's
        end): one message a step where the flight is kept as first flown."""
        if accept_first:
            self.accept(b)
        chunk = self._chunks[b]["bus"]
        if chunk is None:
            return None
        demand = np.asarray(demand, float)
        last = self._trial_of[b]
        if (self._trial[b] is not None and last is not None and last[:2] == (j0, j1)
                and demand.shape == last[2].shape == (chunk.n_s,)):
            # The same range flown again (the orchestrator settling): only the satellites
            # whose demand changed.
            rows = np.flatnonzero(demand != last[2])
            self._trial[b] = chunk.fly(self.bus_state[b], j0, j1, demand, rows=rows,
                                       trial=self._trial[b])
        else:
            self._trial[b] = chunk.fly(self.bus_state[b], j0, j1, demand)
        self._trial_of[b] = (j0, j1, demand.copy() if demand.ndim else demand)
        t = self._chunks[b]["t"]
        f_sat, f_start, _, f_acc, f_kind = chunk.faults
        now = (f_start >= t[j0]) & (f_start < t[j1])
        ahead = None
        if horizon_s is not None and j1 < t.size - 1:
            ahead = self.view(b, j1, horizon_s, self._trial[b])
        return (chunk.mean_utilisation(j0, j1),
                (f_sat[now], f_start[now], f_acc[now], f_kind[now]), ahead)

    def accept(self, b: int) -> None:
        """Keep block ``b``'s flight last flown (the next range starts from it)."""
        if self._trial[b] is not None:
            self.bus_state[b] = self._trial[b]
            self._trial[b] = None
        self._trial_of[b] = None

    def view(self, b: int, j: int, horizon_s: float,
             state: BusState | None = None) -> dict[str, np.ndarray] | None:
        """The operator's view of block ``b`` at chunk sample ``j``, where its bus state is
        ``state`` (default: the flight kept so far)."""
        ctx = self._chunks[b]
        chunk = ctx["bus"]
        if chunk is None:
            return None
        p = self.bus_params[b]
        state = self.bus_state[b] if state is None else state
        t = ctx["t"]
        t_now = float(t[j])
        if j < t.size - 1:
            # What could run now: the step starting now as the bus would find it (whatever
            # the demand), from the state now, without flying it.
            capacity = chunk.available_now(state, j) * p.n_acc
        else:
            capacity = chunk.available[:, j] * p.n_acc
        cap = np.where(p.capacity_wh > 0, p.capacity_wh, np.nan)
        return {
            "capacity": capacity,
            "soc": state.battery_wh / cap,
            "headroom_k": p.t_max_k - state.temperature_k,
            "outlook": self._outlook(b, chunk, state, j, t_now, horizon_s),
            "sunlit_ratio": self._sunlit_ratio(b, chunk, j, t_now),
        }

    def _sunlit_ratio(self, b, chunk, j: int, t_now: float) -> np.ndarray:
        """Each satellite's share of its orbit in sunlight, from the latest umbra that has
        ended (1 - its length / the period; as ``_outlook`` anchors it); without one yet,
        whether it is sunlit now. For policies that tell sunlit orbits from shadowed ones."""
        entry, dur = self._ecl_entry[b], self._ecl_dur[b]
        sat, p_entry, p_exit = self._ecl_pairs[b]
        ended = p_exit <= t_now
        if ended.any():
            entry, dur = entry.copy(), dur.copy()
            s_, e_, x_ = sat[ended], p_entry[ended], p_exit[ended]
            last = np.r_[s_[1:] != s_[:-1], True]
            entry[s_[last]] = e_[last]
            dur[s_[last]] = x_[last] - e_[last]
        return np.where(np.isfinite(entry), 1.0 - np.clip(dur / self._period[b], 0.0, 1.0),
                        chunk.lit_now(j))

    def _outlook(self, b, chunk, state, j: int, t_now: float, horizon_s: float) -> np.ndarray:
        """Each satellite's predicted share of its accelerators over the next ``horizon_s``,
        from what an operator knows: the sunlight ahead from the ephemeris (umbras repeat
        every period from the latest one that has ended; without one, the satellite's
        sunlight now persists), what the array carries in sunlight, and what the battery
        above its reserve now carries through the shadow ahead. Heat and random faults are
        left out. It does not depend on how the run is cut into chunks or blocks."""
        p = self.bus_params[b]
        entry, dur = self._ecl_entry[b], self._ecl_dur[b]
        sat, p_entry, p_exit = self._ecl_pairs[b]
        ended = p_exit <= t_now
        if ended.any():  # this chunk's umbras that have ended: the latest of each satellite
            entry, dur = entry.copy(), dur.copy()
            s_, e_, x_ = sat[ended], p_entry[ended], p_exit[ended]
            last = np.r_[s_[1:] != s_[:-1], True]
            entry[s_[last]] = e_[last]
            dur[s_[last]] = x_[last] - e_[last]
        return _outlook_share(entry, dur, self._period[b], float(t_now), float(horizon_s),
                              chunk.lit_now(j), chunk.full_sun_w(j), p.bus_w, chunk.idle_all,
                              chunk.span, state.battery_wh, p.min_soc, p.capacity_wh,
                              p.discharge_eff, p.n_acc)

    def _update_eclipse_anchor(self, b, rows, times, rising, s0):
        """The umbras (entry, exit) that end in this chunk, entered in it or before it, and
        which satellites are in an umbra entered at a known time at its end."""
        order = np.lexsort((times, rows))
        rows, times, rising = rows[order] - s0, times[order], rising[order]
        open_entry = self._ecl_open[b]
        prev_same = np.r_[False, rows[1:] == rows[:-1]] if rows.size else np.zeros(0, bool)
        prev_time = np.r_[np.nan, times[:-1]] if rows.size else np.zeros(0)
        prev_rising = np.r_[False, rising[:-1]] if rows.size else np.zeros(0, bool)
        entered = np.where(prev_same, np.where(prev_rising, prev_time, np.nan),
                           open_entry[rows] if rows.size else np.zeros(0))
        pair = ~rising & np.isfinite(entered)
        self._ecl_pairs[b] = (rows[pair], entered[pair], times[pair])
        if rows.size:
            last = np.r_[rows[1:] != rows[:-1], True]
            open_entry[rows[last]] = np.where(rising[last], times[last], np.nan)

    def _carry_eclipse_anchor(self, b) -> None:
        """At a chunk's end: the latest umbra of each satellite becomes its anchor."""
        sat, entry, exit_ = self._ecl_pairs[b]
        if sat.size:
            last = np.r_[sat[1:] != sat[:-1], True]
            self._ecl_entry[b][sat[last]] = entry[last]
            self._ecl_dur[b][sat[last]] = exit_[last] - entry[last]
        self._ecl_pairs[b] = _NO_PAIRS

    def end(self, b: int) -> _BlockOut:
        """Close block ``b``'s chunk: its recorded time series and the faults it drew."""
        clock = _Clock()
        ctx = self._chunks[b]
        c0, c1, t = ctx["c0"], ctx["c1"], ctx["t"]
        s0 = self.bounds[b][0]
        chunk = ctx["bus"]
        bus_series = chunk.series() if chunk is not None else None
        faults = chunk.faults if chunk is not None else None
        series = None
        rec = self.recorded[b]
        if rec.size:
            # A chunk's last sample is the next chunk's first; the later chunk records it, where
            # the bus's step starting there is known. The run's last sample ends its chunk.
            stop = c1 + 1 if c1 == self.last else c1
            keep = np.nonzero(np.arange(c0, stop) % self.every == 0)[0]
            if keep.size:
                series = _timeseries_columns(
                    rec, s0, keep, t, ctx["r"], ctx["v"], ctx["sun"], ctx["gmst"],
                    ctx["frac"], bus_series,
                )
        self._chunks[b] = None
        if chunk is not None and self.schedule_every:
            self._carry_eclipse_anchor(b)
        clock.lap("record")
        return _BlockOut({}, None, np.empty(0), np.empty(0), {}, series, clock.stage_s,
                         faults=faults)

    def bus_final(self, b: int) -> BusState | None:
        return self.bus_state[b]

    def _bus_chunk(self, params, state, s0, t, r, v, sun, sun_unit, gmst, frac, radius,
                   cos_zenith) -> BusChunk:
        """The environment the bus needs over the chunk, and the bus prepared on it; ``frac``
        (occulted fraction), ``radius`` and ``cos_zenith`` (S, K) from the shadow pass."""
        sun_dist = np.sqrt(np.einsum("kj,kj->k", sun, sun))
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
            lit=1.0 - frac,
            solar_flux=power.solar_flux_w_per_m2(sun_dist),
            incidence=incidence,
            cos_sun_zenith=cos_zenith,
            radius_km=radius,
            rad_t_s=t[coarse],
            proton_flux=radiation.trapped_proton_flux(lat, lon, alt, self.proton_table),
            gcr_flux=radiation.gcr_flux(r_ecef, radius_c),
        )
        spe = self.solar_events.flux30(t[coarse])
        if spe.any():  # a solar particle event in the chunk: where the cutoff lets it in
            inputs.spe_flux30 = spe
            inputs.cutoff_gv = radiation.cutoff_rigidity_gv(r_ecef, radius_c)
            inputs.radius_c = radius_c
        bad = np.isnan(radius)
        inputs.alive = ~bad
        if bad.any():  # decayed satellites: no sunlight, no environment, no bus
            for name in ("lit", "incidence", "cos_sun_zenith"):
                getattr(inputs, name)[bad] = 0.0
            inputs.radius_km = np.where(bad, 1e9, radius)
            bad_c = np.isnan(radius_c)
            inputs.proton_flux[bad_c] = 0.0
            inputs.gcr_flux[bad_c] = 0.0
            if inputs.cutoff_gv is not None:
                inputs.cutoff_gv[bad_c] = np.inf
                inputs.radius_c = np.where(bad_c, 1e9, radius_c)
        return BusChunk(params, state, inputs, self.seed, s0,
                        time_major=bool(self.schedule_every))

    def _contacts(self, t, r, v, gmst, speed, radius_min, radius_max, first: bool):
        """Station contacts of one block over one chunk: crossings ``(pair, time, rising)``
        with ``pair = sat * stations + station`` (block-local satellite), and, for the first
        chunk, which pairs are in contact at its first sample.

        Screened (see the module docstring), then evaluated densely inside windows of
        ``CONTACT_WINDOW`` coarse intervals for the pairs that pass in that window, and their
        crossings refined, in one compiled pass (``orbitdc.core.crossings``).
        """
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
        pairs, times, rising, visible = crossings_kernels.contact_crossings(
            np.ascontiguousarray(cand), cand.any(axis=2), coarse, CONTACT_WINDOW, t, r_c,
            np.ascontiguousarray(v, float), np.cos(gmst), np.sin(gmst), self.epoch[0],
            self.epoch[1], self.stations.ecef_km, self.stations.up,
            self.stations.sin_min_elevation, el_rate, el_curv,
            CONTACT_SPEED_MARGIN * speed + 0.5, EVENT_TOLERANCE_S, first,
        )
        return _sorted([(pairs, times, rising)]), (visible if first else None)


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


@kernel
def _outlook_share(entry, dur, period, t_now, horizon_s, lit, full_sun_w, bus_w, idle_all,
                   span, battery_wh, min_soc, capacity_wh, discharge_eff, n_acc):
    """:meth:`_Flight._outlook` per satellite, compiled: the umbra time ahead from the
    anchor (``entry``, ``dur`` repeating every ``period``; NaN entry: the sunlit share
    ``lit`` now persists), the array's share in sunlight, the battery's above its reserve
    through the shadow, weighted by time."""
    out = np.empty(entry.size)
    h = horizon_s
    for i in range(entry.size):
        if np.isfinite(entry[i]):
            shadow = 0.0
            for sign, t in ((1.0, t_now + h), (-1.0, t_now)):  # umbra time, anchor to t
                x = t - entry[i]
                n = np.floor(x / period[i])
                shadow += sign * (n * dur[i] + _clip(x - n * period[i], 0.0, dur[i]))
        else:
            shadow = h * (1.0 - lit[i])
        shadow = _clip(shadow, 0.0, h)
        sp = _fmax(span[i], 1e-300)
        u_sun = _clip((full_sun_w[i] - bus_w[i] - idle_all[i]) / sp, 0.0, 1.0)
        stored_j = _fmax(battery_wh[i] - min_soc[i] * capacity_wh[i], 0.0) * (
            discharge_eff[i] * 3600.0)
        u_dark = _clip((stored_j / _fmax(shadow, 1e-9) - bus_w[i] - idle_all[i]) / sp, 0.0, 1.0)
        share = ((h - shadow) * u_sun + shadow * u_dark) / h
        out[i] = share if n_acc[i] > 0 else 0.0
    return out


@kernel
def _fmax(a, b):
    """``np.maximum`` of two numbers (NaN if either is)."""
    return a + b if np.isnan(a) or np.isnan(b) else (a if a >= b else b)


@kernel
def _fmin(a, b):
    """``np.minimum`` of two numbers (NaN if either is)."""
    return a + b if np.isnan(a) or np.isnan(b) else (a if a <= b else b)


@kernel
def _clip(x, lo, hi):
    """``np.clip`` of one number, as NumPy reads it: ``minimum(maximum(x, lo), hi)``."""
    return _fmin(_fmax(x, lo), hi)


class _Local:
    """Blocks flown in this process."""

    def __init__(self, flight: _Flight):
        self.flight = flight

    def call(self, method: str, calls: dict[int, tuple]) -> dict[int, object]:
        fn = getattr(self.flight, method)
        return {b: fn(b, *args) for b, args in calls.items()}

    def submit(self, method: str, calls: dict[int, tuple]):
        return self.call(method, calls)

    def collect(self, submitted) -> dict[int, object]:
        return submitted

    def close(self) -> None:
        pass


def _serve(conn, flight: _Flight) -> None:  # pragma: no cover - runs in the forked workers
    while True:
        msg = conn.recv()
        if msg is None:
            break
        method, calls = msg
        try:
            fn = getattr(flight, method)
            conn.send(("ok", {b: fn(b, *args) for b, args in calls.items()}))
        except BaseException as exc:  # noqa: BLE001 - sent back to be raised in the parent
            import traceback

            conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


class _Forked:
    """Blocks flown by ``workers`` processes that keep their blocks' state between calls:
    block ``b`` lives on worker ``b % workers``, worker 0 being this process (it flies its
    blocks while it waits for the others: one process a core, none left idle) and the others
    forked. What crosses the pipes each scheduling step is the decision and the operator's
    view, arrays over the block's satellites."""

    def __init__(self, flight: _Flight, workers: int):
        ctx = multiprocessing.get_context("fork")
        self.flight = flight
        self.n = workers
        self.conns, self.procs = [None], [None]
        for _ in range(workers - 1):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, flight), daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def call(self, method: str, calls: dict[int, tuple]) -> dict[int, object]:
        return self.collect(self.submit(method, calls))

    def submit(self, method: str, calls: dict[int, tuple]):
        """Send the calls to the forked workers, then make this process's own; returns what
        :meth:`collect` needs to gather the others' answers."""
        per: dict[int, dict] = defaultdict(dict)
        for b, args in calls.items():
            per[b % self.n][b] = args
        for w, part in per.items():
            if w:
                self.conns[w].send((method, part))
        fn = getattr(self.flight, method)
        others = [w for w in per if w]
        try:
            own = {b: fn(b, *args) for b, args in per.get(0, {}).items()}
        except BaseException as exc:  # as a forked worker's failure, once the others answered
            import traceback

            try:
                self.collect((others, {}))
            except RuntimeError:
                pass
            raise RuntimeError(f"a worker failed: {type(exc).__name__}: {exc}\n"
                               f"{traceback.format_exc()}") from exc
        return others, own

    def collect(self, submitted) -> dict[int, object]:
        per, own = submitted
        out: dict[int, object] = dict(own)
        failure = None
        for w in per:
            try:
                status, value = self.conns[w].recv()
            except EOFError:
                status, value = "error", f"worker process {w} died"
            if status == "ok":
                out.update(value)
            else:
                failure = value
        if failure is not None:
            raise RuntimeError(f"a worker failed: {failure}")
        return out

    def close(self) -> None:
        for c in self.conns[1:]:
            try:
                c.send(None)
            except (BrokenPipeError, OSError):
                pass
        for p in self.procs[1:]:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join()


class ClusterError(RuntimeError):
    """The Dask cluster a flight's blocks were given to cannot be reached, has no workers, or
    lost one mid-run (a worker's state is its blocks': the run cannot go on without it)."""


class _BlockHost:
    """One Dask worker's blocks (an actor: it keeps their state between calls), the same
    :class:`_Flight` the local paths fly, built there from the scenario."""

    def __init__(self, scenario: Scenario, block_size: int, propagator: str):
        fleet = build_fleet(scenario)
        self.flight = _Flight(scenario, fleet, build_stations(scenario), block_size,
                              propagator)

    def call(self, method: str, calls: dict[int, tuple]) -> dict[int, object]:
        fn = getattr(self.flight, method)
        return {b: fn(b, *args) for b, args in calls.items()}


def connect_cluster(address: str):
    """A client of the ``dask.distributed`` scheduler at ``address`` and its workers' count;
    a :class:`ClusterError` if none answers there or it has no workers."""
    from distributed import Client

    try:
        client = Client(address, timeout="15s")
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the address's
        # (refused, timed out, malformed; tls:// without dask's TLS settings: TypeError)
        raise ClusterError(f"--scheduler {address}: no Dask scheduler answers there "
                           f"({type(exc).__name__}: {exc}); give its address as "
                           "tcp://HOST:PORT (tls:// needs dask's TLS configuration)") from None
    n = len(client.scheduler_info()["workers"])
    if not n:
        client.close()
        raise ClusterError(f"--scheduler {address}: the cluster has no workers")
    return client, n


class _Cluster:
    """Blocks flown by the workers of an existing ``dask.distributed`` cluster (``orbitdc run
    --scheduler``): block ``b`` lives on worker ``b % workers`` in a :class:`_BlockHost`
    actor that keeps its state, so what crosses the wire each call is what crosses the
    forked workers' pipes: the decision in, per-block results and the operator's view out.
    A worker that leaves the cluster mid-run is a :class:`ClusterError`, not a hang."""

    #: Seconds between checks that the workers still answer while a call runs.
    POLL_S = 2.0

    def __init__(self, client, address: str, scenario: Scenario, block_size: int,
                 propagator: str, n_blocks: int):
        self.client, self.address = client, address
        workers = sorted(client.scheduler_info()["workers"])
        self.workers = workers[:max(1, min(len(workers), n_blocks))]
        self.n = len(self.workers)
        self.actors = []
        futures = [client.submit(_BlockHost, scenario, block_size, propagator, actor=True,
                                 workers=[w], allow_other_workers=False, pure=False)
                   for w in self.workers]
        self.actors = [self._wait(i, f) for i, f in enumerate(futures)]

    def _wait(self, w: int, future):
        """``future``'s result, checking every :attr:`POLL_S` that worker ``w`` is still in
        the cluster."""
        while True:
            try:
                return future.result(timeout=self.POLL_S)
            except TimeoutError:
                if self.workers[w] not in self.client.scheduler_info()["workers"]:
                    raise ClusterError(
                        f"Dask worker {self.workers[w]} left the cluster at "
                        f"{self.address} mid-run: its blocks' state went with it, so the run "
                        "cannot go on") from None
            except Exception as exc:
                self._lost(w, exc)
                raise

    def _lost(self, w: int, exc: Exception) -> None:
        """Raise a :class:`ClusterError` if ``exc`` says worker ``w`` is gone (its connection
        closed under a call, or Dask says the worker holding the actor was lost); anything
        else is the block's own error, for the caller to raise."""
        if (isinstance(exc, (OSError, EOFError)) or "was lost" in str(exc)
                or self.workers[w] not in self.client.scheduler_info()["workers"]):
            raise ClusterError(f"Dask worker {self.workers[w]} at {self.address} stopped "
                               f"answering mid-run ({type(exc).__name__}: {exc}): its "
                               "blocks' state went with it, so the run cannot go on") from None

    def call(self, method: str, calls: dict[int, tuple]) -> dict[int, object]:
        return self.collect(self.submit(method, calls))

    def submit(self, method: str, calls: dict[int, tuple]):
        per: dict[int, dict] = defaultdict(dict)
        for b, args in calls.items():
            per[b % self.n][b] = args
        sent = []
        for w, part in per.items():
            try:
                sent.append((w, self.actors[w].call(method, part)))
            except Exception as exc:
                self._lost(w, exc)
                raise
        return sent

    def collect(self, submitted) -> dict[int, object]:
        out: dict[int, object] = {}
        for w, future in submitted:
            out.update(self._wait(w, future))
        return out

    def close(self) -> None:
        self.actors = []
        with contextlib.suppress(Exception):  # a cluster already gone has nothing to close
            self.client.close()


@dataclass
class FleetView:
    """What an operator sees of the fleet at a scheduling step, arrays (S,) over satellites:
    ``capacity`` (accelerators that can run now, after fault, heat and power limits),
    ``soc`` (state of charge, NaN without a battery), ``headroom_k`` (kelvin below the
    temperature limit), ``outlook`` (predicted share of the accelerators that can run over
    the policy horizon at full load: battery now and sunlight ahead from the ephemeris, no
    random faults). ``t_s``: seconds from the start; ``k``: the scheduling step.
    Links: ``rtt_ms`` (regions, S) round trips from each user region to each satellite at the
    routing step in force (None without user regions on a routed network); ``contact`` (S,)
    whether a satellite sees a ground station now (None without stations); ``links`` (S,)
    the laser links each has up at the routing step in force and ``fleet_bandwidth_bps``
    what a linked fleet's links give a gang spanning it then (None without ``[network]``
    links)."""

    k: int
    t_s: float
    capacity: np.ndarray
    soc: np.ndarray
    headroom_k: np.ndarray
    outlook: np.ndarray
    rtt_ms: np.ndarray | None = None
    contact: np.ndarray | None = None
    links: np.ndarray | None = None
    fleet_bandwidth_bps: dict[str, float] | None = None
    #: The laser links carrying data at the routing step in force, ``(a, b, capacity_bps)``
    #: (E,) (satellite indices), what a gang's ring all-reduce runs over; None without links.
    isl_links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: (S,) each satellite's share of its orbit in sunlight (from its latest umbra; NaN
    #: without a bus), or None where the flight does not know it.
    sunlit_ratio: np.ndarray | None = None


class Flight:
    """The fleet flown one scheduling step at a time: ``view()`` is what an operator sees
    now; ``fly(demand)`` flies the next step under ``demand`` (the share of each satellite's
    accelerators asked to run, (S,)) and returns the share that ran, averaged over the step;
    it may be called again to fly the same step under another demand; ``commit()`` keeps
    the last one and moves on. ``finish()`` returns the run. Nothing before the current step
    is kept but running totals, the recorded time series (given to ``sink``) and events.

    ``decide, fly, commit`` is the whole loop (``orbitdc.ops`` drives it); without a
    scheduler, :meth:`run` flies every chunk at full demand."""

    def __init__(self, scenario: Scenario, *, sink: Sink | None = None,
                 progress: Progress | None = None, chunk: int | None = None,
                 workers: int | None = None, block_size: int | None = None,
                 events: EventSink | None = None, propagator: str | None = None,
                 scheduler: str | None = None):
        self._wall0 = time.perf_counter()
        self._clock = _Clock()
        self.scenario = scenario
        #: The SGP4 propagator (``orbitdc.core.propagators.resolve``: None is the one
        #: preferred, else the fastest installed); an unknown one raises before anything runs.
        self.propagator = propagators.resolve(propagator)
        fleet = build_fleet(scenario)
        self.fleet = fleet
        self.design_warnings = validate_fleet(scenario, fleet)
        stations = build_stations(scenario)
        self.stations = stations
        self.times = times = sample_times(scenario)
        n_t, n_s = times.size, fleet.size
        client = None
        if scheduler is not None:
            # The blocks go to the cluster's workers, one block each unless given smaller.
            client, workers = connect_cluster(scheduler)
        try:
            if workers is None:
                workers = default_workers() if n_s * n_t >= PARALLEL_MIN_SAT_STEPS else 1
            workers = max(1, min(int(workers), n_s))
            if block_size is None:
                block_size = -(-n_s // workers)
            block_size = max(1, min(int(block_size), n_s))
            flight = _Flight(scenario, fleet, stations, block_size, self.propagator)
            self._flight = flight
            self.n_blocks = len(flight.bounds)
            if chunk is None:
                chunk = int(max(2, min(MAX_CHUNK_STEPS, CHUNK_SAT_STEPS // block_size)))
            # Chunks end on the coarse grid and on scheduling steps.
            every = coarse_every(scenario.step_s)
            if flight.schedule_every:
                every = every * flight.schedule_every // math.gcd(every, flight.schedule_every)
            self.chunk = -(-int(chunk) // every) * every
            self.sink, self.progress = sink, progress
            self.horizon_s = float(scenario.policy.horizon_s)
            e = flight.schedule_every or n_t
            idx = np.arange(0, n_t, e)
            if idx[-1] != n_t - 1:
                idx = np.append(idx, n_t - 1)
            #: Samples at which the scheduler decides (the last one ends the run).
            self.decision_samples = idx
            self.schedule_times = times[idx]
            self.k = 0
            links = None
            if any(isl.record_links for isl in scenario.network.isl):
                # Recorded links (small formations) are found first, written as they end.
                found = link_windows(scenario, fleet, times, EVENT_TOLERANCE_S)
                if found is not None:
                    links = link_rows(found[0], stations.size, found[1])
            self._events = EventLog(fleet.size, stations.names, float(times[0]), float(times[-1]),
                                    sink=events, links=links, kinds=scenario.output.events)
            self._beta_min = np.full(n_s, np.inf)
            self._beta_max = np.full(n_s, -np.inf)
            self._errors: dict[int, tuple[int, float]] = {}
            self._stage_s: dict[str, float] = defaultdict(float)
            self.network = None
            if network_active(scenario):
                _, r0, _ = propagate(fleet.satrecs, *[np.atleast_1d(x) for x in jd_pair(
                    epoch_jd(scenario.start), np.zeros(1))])
                self.network = NetworkModel(
                    scenario, fleet, stations,
                    teme_to_ecef(r0[:, 0], gmst_rad(*jd_pair(epoch_jd(scenario.start),
                                                              np.zeros(1)))),
                )
            self.workers = workers
            has_bus = any(state is not None for state in flight.bus_state)
            self.has_bus = has_bus
            if client is not None:
                self._blocks = _Cluster(client, scheduler, scenario, block_size,
                                        self.propagator, self.n_blocks)
                self.workers = self._blocks.n
            elif workers > 1:
                # Compiled kernels: loaded once here, not once per worker.
                if has_bus:
                    buskernel.warm_up()
                if stations.size:
                    visibility.warm_up()
                ev.warm_up()
                self._blocks = _Forked(flight, workers)
            else:
                self._blocks = _Local(flight)
        except BaseException:
            # Nothing of the flight is left to close the cluster's client: close it here
            # (a network, event log or worker that fails to build after it connected).
            if client is not None:
                client.close()
            raise
        self._c0 = self._c1 = 0
        # The current chunk's routing steps not routed yet: (times, positions), next index.
        self._routes: tuple[np.ndarray, np.ndarray] | None = None
        self._route_next = 0
        #: Set to collect contact windows as chunks find them (:meth:`closed_contacts`).
        self.track_contacts = False
        self._closed_contacts: list[tuple[np.ndarray, ...]] = []
        self._flown: dict[int, tuple] = {}
        self._unaccepted: set[int] = set()
        self._view: FleetView | None = None
        self._closed = False
        self._clock.lap("setup")

    # --- the scheduler's loop -------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.k >= self.decision_samples.size - 1

    def view(self) -> FleetView:
        """What an operator sees at the current scheduling step."""
        if self._view is None:
            self._begin_chunk_at(int(self.decision_samples[self.k]))
            parts = self._blocks.call("view", {
                b: (int(self.decision_samples[self.k]) - self._c0, self.horizon_s)
                for b in range(self.n_blocks)})
            self._view = self._assemble(parts)
        return self._view

    def fly(self, demand: np.ndarray):
        """Fly the current scheduling step under ``demand`` (S,) (0..1). Returns ``(ran,
        faults)``: (S,) the share of each satellite's accelerators that ran, averaged over
        the step (0 where a satellite has none), and the upsets that began in the step,
        ``(satellite, time_s, accelerator)`` arrays. Tentative until :meth:`commit`: flying
        again replaces it (blocks whose demand did not change are not flown again)."""
        self.view()
        g0, g1 = int(self.decision_samples[self.k]), int(self.decision_samples[self.k + 1])
        demand = np.clip(np.asarray(demand, float), 0.0, 1.0)
        ahead = self.horizon_s if g1 < self._c1 else None
        calls = {}
        for b, (a, z) in enumerate(self._flight.bounds):
            last = self._flown.get(b)
            if last is not None and last[0] == self.k and np.array_equal(last[1], demand[a:z]):
                continue
            calls[b] = (g0 - self._c0, g1 - self._c0, demand[a:z], b in self._unaccepted,
                        ahead)
            self._unaccepted.discard(b)
        sent = self._blocks.submit("fly", calls) if calls else None
        nxt = None
        if self.network is not None:
            # While the workers fly: the routing steps the next two views need (none of it
            # depends on the flight).
            nxt = self.times[self.decision_samples[self.k + 1:self.k + 3]]
            nxt = nxt[nxt < self.times[self._c1]]
            if nxt.size:
                self._route_until(float(nxt[-1]))
        out = self._blocks.collect(sent) if calls else {}
        if nxt is not None and nxt.size:
            # Their round trips from the user regions, in a background thread, once the
            # workers have answered: it runs while they wait for the next decision (a core
            # idle otherwise) rather than against their flight.
            self.network.prefetch_sat_rtt(nxt)
        for b, res in out.items():
            a, z = self._flight.bounds[b]
            self._flown[b] = (self.k, demand[a:z].copy(), res)
        self._clock.lap("bus (scheduled)")
        empty = (np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64),
                 np.empty(0, np.int8))
        results = [self._flown[b][2] or (np.zeros(z - a), empty, None)
                   for b, (a, z) in enumerate(self._flight.bounds)]
        ran = np.concatenate([r[0] for r in results])
        faults = tuple(np.concatenate([r[1][i] for r in results]) for i in range(4))
        return ran, faults

    def commit(self) -> FleetView | None:
        """Keep the step last flown and move to the next: returns its view (None at the end).
        Within a chunk nothing crosses to the workers: each block sent its view with its
        flight, and is told the step was kept with its next one."""
        g1 = int(self.decision_samples[self.k + 1])
        self.k += 1
        if self.done or g1 >= self._c1:
            self._blocks.call("accept", {b: () for b in range(self.n_blocks)})
            self._unaccepted.clear()
            self._end_chunk()
            self._view = None
            if self.done:
                return None
            return self.view()
        self._unaccepted = set(range(self.n_blocks))
        parts = {b: (self._flown[b][2][2] if self._flown.get(b) and self._flown[b][2]
                     else None) for b in range(self.n_blocks)}
        self._view = self._assemble(parts)
        return self._view

    # --- without a scheduler ----------------------------------------------------------------
    def run(self) -> RawRun:
        """Fly every chunk at full demand (no scheduler), then :meth:`finish`."""
        if self.network is not None:
            self.network.no_views()
        n_t = self.times.size
        c0 = 0
        while True:
            c1 = min(c0 + self.chunk, n_t - 1)
            outs = self._blocks.call("run_block", {b: (c0, c1) for b in range(self.n_blocks)})
            self._clock.lap("blocks (wall)")
            self._c0, self._c1 = c0, c1
            self._merge_begin(outs)
            self._route_until(np.inf)
            self._merge_end(outs, stages=False)  # run_block's stages are counted once
            if c1 >= n_t - 1:
                break
            c0 = c1
        self.k = self.decision_samples.size - 1
        return self.finish()

    # --- chunks ------------------------------------------------------------------------------
    def _begin_chunk_at(self, g: int) -> None:
        if self._c1 > g or (self._c1 == g and g == self.times.size - 1 and self._c0 < g):
            return
        c0 = g
        c1 = min(c0 + self.chunk, self.times.size - 1)
        outs = self._blocks.call("begin", {b: (c0, c1) for b in range(self.n_blocks)})
        self._clock.lap("blocks (wall)")
        self._c0, self._c1 = c0, c1
        self._merge_begin(outs)

    def _end_chunk(self) -> None:
        self._route_until(np.inf)  # the chunk's routing steps left, before the next chunk's
        outs = self._blocks.call("end", {b: () for b in range(self.n_blocks)})
        self._clock.lap("blocks (wall)")
        self._merge_end(outs)

    def _merge_begin(self, outs: dict) -> None:
        for b in range(self.n_blocks):
            out = outs[b]
            a, z = self._flight.bounds[b]
            self._beta_min[a:z] = np.fmin(self._beta_min[a:z], out.beta_min)
            self._beta_max[a:z] = np.fmax(self._beta_max[a:z], out.beta_max)
            for s, e in out.errors.items():
                self._errors.setdefault(s, e)
            for stage, sec in out.stage_s.items():
                self._stage_s[stage] += sec
        if outs[0].start is not None:
            self._events.start({kind: np.concatenate([outs[b].start[kind]
                                                      for b in range(self.n_blocks)])
                                for kind in outs[0].start})
        contacts = self._events.crossings(
            {kind: _sorted([outs[b].crossings[kind] for b in range(self.n_blocks)])
             for kind in outs[0].crossings}, float(self.times[self._c1]))
        if self.track_contacts and self.stations.size:
            self._closed_contacts.append(contacts)
        self._clock.lap("events")
        if self.network is not None and outs[0].route is not None:
            self._route_until(np.inf)  # the last chunk's routing steps, all of them
            self.network.forget_sat_rtt()  # keep only the one in force now
            positions = np.concatenate([outs[b].route[0] for b in range(self.n_blocks)], axis=0)
            # Routed as the flight reaches them (:meth:`_route_until`): a few routing steps'
            # graphs are kept at a time, not a chunk's.
            self._routes = (np.asarray(outs[0].route[1], float), positions)
            self._route_next = 0

    def _route_until(self, t_s: float) -> None:
        """Route the chunk's routing steps up to ``t_s`` (in order; each once)."""
        if self._routes is None:
            return
        times, positions = self._routes
        j0 = j = self._route_next
        while j < times.size and times[j] <= t_s:
            self.network.step(float(times[j]), positions[:, j])
            j += 1
        self._route_next = j
        if j == times.size:
            self._routes = None
        if j > j0:
            self._clock.lap("network")

    def closed_contacts(self) -> tuple[np.ndarray, ...]:
        """Contact windows found since the last call, ``(satellite, station, start_s,
        end_s)`` (with ``track_contacts`` set before the first view)."""
        parts, self._closed_contacts = self._closed_contacts, []
        if not parts:
            return (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))

    def _merge_end(self, outs: dict, stages: bool = True) -> None:
        series = []
        for b in range(self.n_blocks):
            out = outs[b]
            if out.series is not None:
                series.append(out.series)
            if out.faults is not None and out.faults[0].size:
                self._events.faults(*out.faults[:5])
            for stage, sec in (out.stage_s.items() if stages else ()):
                self._stage_s[stage] += sec
        if self.sink is not None and series:
            self.sink(_merge_series(series))
        self._events.flush(float(self.times[self._c1]))
        self._clock.lap("merge")
        if self.progress is not None:
            self.progress(int(self._c1), self.times.size - 1)

    def _assemble(self, parts: dict) -> FleetView:
        n_s = self.fleet.size
        t_now = float(self.schedule_times[self.k])
        self._route_until(t_now)
        full = {}
        for key in ("capacity", "soc", "headroom_k", "outlook", "sunlit_ratio"):
            full[key] = np.concatenate([
                parts[b][key] if parts[b] is not None else
                np.full(z - a, np.nan if key in ("soc", "sunlit_ratio") else 0.0)
                for b, (a, z) in enumerate(self._flight.bounds)]) if n_s else np.zeros(0)
        rtt = None
        if self.network is not None:
            found = self.network.sat_rtt_at(t_now)
            rtt = None if found is None else np.asarray(found, float)
        contact = None
        if self.stations.size:
            sat, start, end = self._events.contact_spans
            now = (start <= t_now) & (t_now < end)
            contact = np.zeros(n_s, bool)
            contact[sat[now]] = True
        links = bandwidth = isl_links = None
        if self.network is not None and self.network.isls:
            links = self.network.links_at(t_now)
            bandwidth = self.network.bandwidth_at(t_now)
            isl_links = self.network.isl_links_at(t_now)
        return FleetView(self.k, t_now, full["capacity"], full["soc"], full["headroom_k"],
                         full["outlook"], rtt, contact, links, bandwidth, isl_links,
                         sunlit_ratio=full["sunlit_ratio"])

    # --- the end -----------------------------------------------------------------------------
    def finish(self) -> RawRun:
        """Close the flight: the windows still open end with the run (the last events are
        written), the bus's totals, the network's summary."""
        try:
            states = self._blocks.call("bus_final", {b: () for b in range(self.n_blocks)})
        finally:
            self.close()
        scenario, times, fleet = self.scenario, self.times, self.fleet
        self._route_until(np.inf)
        totals = self._events.close()
        bus = None
        flight = self._flight
        if self.has_bus:
            parts = []
            for i in range(self.n_blocks):
                state = states[i]
                if state is None:
                    a, z = flight.bounds[i]
                    state = BusState.initial([None] * (z - a), flight.bus_params[i],
                                             flight.seed, a)
                parts.append(state)
            bus = BusState.concat(parts)
        self._clock.lap("events")
        stage_s = dict(self._stage_s)
        stage_s.update({f"main: {k}": v for k, v in self._clock.stage_s.items()})
        stage_s["wall"] = time.perf_counter() - self._wall0
        network = self.network
        return RawRun(
            fleet=fleet,
            stations=self.stations,
            times_s=times,
            events=totals,
            beta_min_rad=self._beta_min,
            beta_max_rad=self._beta_max,
            sgp4_errors=self._errors,
            stage_s=stage_s,
            workers=self.workers,
            blocks=self.n_blocks,
            bus=bus,
            types=[scenario.fleet_types()[i] for i in fleet.fleet_index],
            design_warnings=self.design_warnings,
            solar_events=solar_events_of(scenario, times),
            propagator=self.propagator,
            rtt=(
                (np.asarray(network.times), np.vstack(network.rtt_ms))
                if network is not None and network.rtt_ms else None
            ),
            network=(
                network.summary(scenario.routing_every * scenario.step_s)
                if network is not None else None
            ),
        )

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._blocks.close()
            if self.network is not None:
                self.network.close()


def simulate_arrays(
    scenario: Scenario,
    *,
    sink: Sink | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
    workers: int | None = None,
    block_size: int | None = None,
    drive: Callable[[Flight], object] | None = None,
    events: EventSink | None = None,
    propagator: str | None = None,
    scheduler: str | None = None,
) -> RawRun:
    """Run the scenario: ``drive(flight)`` flies it step by step (the orchestrator, which
    decides each step's demand), or without it every accelerator is asked to run. ``sink``
    receives time-series columns for the recorded satellites and steps, one dict of arrays
    per chunk, in time-major order; ``events`` receives the event windows as they end
    (columns ``satellite_index, kind`` (a code into ``EVENT_KINDS``), ``target_index`` (-1:
    none; below the stations' count: a station; above: a satellite, less the stations'
    count), ``start_s, end_s, clipped_start, clipped_end``, and for faults ``accelerator``
    and ``fault_kind`` (a code into ``radiation.KIND_NAMES``; -1 elsewhere)), ordered by
    end, then satellite,
    kind and target; ``progress(done, total)`` counts steps. ``workers``
    processes (default :func:`default_workers`, one for small runs) share the blocks of
    ``block_size`` satellites; ``chunk`` sets the steps per chunk. None of these change the
    results beyond the propagator's rounding: bit for bit with sgp4, or with astroz for the
    same blocks; astroz's SIMD lanes round differently in other blocks (positions to ~1e-8 km,
    event times to ~1 us). ``propagator``: the SGP4 propagator (default: the preferred one, else the
    fastest installed; ``orbitdc.core.propagators``); they agree to 1 m. ``scheduler``: the
    address of a ``dask.distributed`` scheduler whose workers fly the blocks instead of this
    machine's processes (``workers`` is then the cluster's; giving both is an error): the
    same results as local processes flying the same blocks."""
    if scheduler is not None and workers is not None:
        raise ValueError("give workers or scheduler, not both: the cluster's workers fly the "
                         "blocks")
    flight = Flight(scenario, sink=sink, progress=progress, chunk=chunk, workers=workers,
                    block_size=block_size, events=events, propagator=propagator,
                    scheduler=scheduler)
    try:
        if drive is None:
            return flight.run()
        drive(flight)
        return flight.finish()
    finally:
        flight.close()


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
               "utilisation", "chip_temperature_k")


def _timeseries_columns(
    rec, s0, keep, t, r, v, sun, gmst, frac, bus_series=None
) -> dict[str, np.ndarray]:
    """Rows for a block's recorded satellites ``rec`` at kept samples, time-major order;
    ``frac`` (S, K): the occulted fraction of the block's satellites."""
    rr = r[rec][:, keep]  # (R, k, 3)
    lat, lon, alt = ecef_to_geodetic(teme_to_ecef(rr, gmst[keep]))
    frac = frac[rec][:, keep]
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
