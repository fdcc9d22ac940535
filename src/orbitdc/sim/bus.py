"""The spacecraft bus in the engine: power, heat, radiation and faults, stepped through a chunk
of time for a block of satellites at once.

Within a step ``[t_k, t_k+1]`` generation and the environment are the mean of their values at
the two samples; the battery, the temperature and the radiation hazard advance over the step
(``orbitdc.core.power``, ``orbitdc.core.thermal``, ``orbitdc.core.radiation`` hold the models
and their assumptions). Whatever does not depend on the bus's state (generation, environment
heat, dose, the upset process) is computed for the whole chunk as arrays; the recurrence of
battery and temperature runs in a compiled kernel (``orbitdc.core.buskernel``, numba) that
fuses the power and thermal steps into one pass: no Python runs per step or per satellite.

Compute is limited, in this order, by **faults** (accelerators restarting after an upset), by
**heat** (the chips may dissipate only what the conductance to the radiator carries below their
junction limit at the radiator's temperature) and by **power** (what the array and the battery
above its reserve can carry, within its C-rates). A heater holds the node at its minimum
temperature, drawn from the bus. The share left,
``compute_available`` (0..1), is the utilisation a full demand would get.

Upsets are drawn by time rescaling: each satellite integrates its upset hazard, and an upset
happens when the integral reaches the next of a stream of exponential thresholds. The stream
is a counter-based hash (SplitMix64) of the seed, the satellite's index and the upset's
number, so the faults of a satellite do not depend on chunks, blocks or workers. The hazard
is the protons' behind the shielding (trapped and solar) times the part's proton
cross-sections plus the cosmic rays' times its GCR cross-section; each upset's kind (silent
data corruption, uncorrectable memory error, crash) and the accelerator it hits are drawn from
the same counter, keyed apart. A crash takes its accelerator out for ``fault_recovery_s``;
an uncorrectable error and a silent corruption do not take it out (what they do to the job
is the orchestrator's: it rolls back after an uncorrectable error, and cannot see a silent
corruption).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitdc.core import power, radiation, thermal
from orbitdc.core.buskernel import available_now, bus_steps, generation_and_heat
from orbitdc.model.satellite import ResolvedSatellite

__all__ = ["ACCELERATOR_STREAM", "BusChunk", "BusParams", "BusState", "run_bus", "uniform_stream"]

#: Keys the draw of which accelerator an upset hits apart from the upset times' stream.
ACCELERATOR_STREAM = 0xACC
#: ... and the draw of its kind.
KIND_STREAM = 0x51D

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def uniform_stream(seed: int, sat: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1), one per (satellite, n): SplitMix64 of a combined counter."""
    with np.errstate(over="ignore"):
        x = (
            np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
            + np.asarray(sat, np.uint64) * np.uint64(0xD1B54A32D192ED03)
            + np.asarray(n, np.uint64) * np.uint64(0x8CB92BA72F3D8DD7)
        )
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


@dataclass
class BusParams:
    """Per-satellite parameters of a block, arrays (S,). ``has_bus`` is False for satellites of
    fleets without a satellite type; their figures are NaN."""

    has_bus: np.ndarray
    n_acc: np.ndarray
    acc_idle_w: np.ndarray
    acc_load_w: np.ndarray
    bus_w: np.ndarray
    array_w_per_flux: np.ndarray  # W per W/m^2 of sunlight at normal incidence, at start
    degradation: np.ndarray  # fraction per year
    age_years: np.ndarray
    pointing: np.ndarray  # power.TRACKING / ZENITH / ORBIT_NORMAL / SINGLE_AXIS
    capacity_wh: np.ndarray  # rated
    charge_max_w: np.ndarray  # into the cells (C-rate x rated capacity)
    discharge_max_w: np.ndarray  # out of the cells
    fade_cal: np.ndarray  # power.battery_capacity_wh's calendar coefficient
    fade_cyc: np.ndarray  # ... and its cycle coefficient, per sqrt(Wh)
    min_soc: np.ndarray
    charge_eff: np.ndarray
    discharge_eff: np.ndarray
    rad_area_m2: np.ndarray
    emissivity: np.ndarray
    absorptivity: np.ndarray
    sun_view: np.ndarray
    earth_view: np.ndarray
    heat_capacity: np.ndarray
    t_max_k: np.ndarray  # the chips' junction limit
    conductance: np.ndarray  # chips to radiator, W/K
    t_min_k: np.ndarray  # the thermostat's setpoint (0: none)
    turn_down: np.ndarray  # least share of the open rejection the radiator turns down to
    heater_max_w: np.ndarray
    sigma_p: np.ndarray  # (S, 3) per proton / cm^2: silent, uecc, crash
    sigma_gcr: np.ndarray  # per GCR particle / cm^2, all kinds
    shielding_mm: np.ndarray
    trapped_dose: np.ndarray  # rad(Si) per trapped proton / cm^2 (> 10 MeV outside)
    trapped_see: np.ndarray  # protons above 30 MeV at the part per one > 10 MeV outside
    recovery_s: np.ndarray

    @classmethod
    def build(cls, types: list[ResolvedSatellite | None], gcr_sigma=None) -> BusParams:
        """``gcr_sigma(accelerator)``: its upsets per GCR particle / cm^2 (default: the
        part's ``gcr_cross_section_total_cm2``; the scenario's ``radiation`` gives the LET
        integral's where it has a spectrum)."""
        def arr(fn, default=0.0):
            return np.array([fn(t) if t is not None else default for t in types], float)

        fixed = {"zenith": power.ZENITH, "orbit_normal": power.ORBIT_NORMAL}
        shielding = arr(lambda t: t.spec.shielding_mm_al, 10.0)
        trapped = radiation.trapped_response(shielding)

        def pointing(t):
            if t is None:
                return power.TRACKING
            mode = t.spec.solar.mode
            if mode == "two-axis":
                return power.TRACKING
            if mode == "single-axis":
                return power.SINGLE_AXIS
            return fixed[t.spec.solar.fixed_normal]

        return cls(
            has_bus=np.array([t is not None for t in types]),
            n_acc=arr(lambda t: t.spec.accelerators),
            acc_idle_w=arr(lambda t: t.accelerator.power_idle_w),
            acc_load_w=arr(lambda t: t.accelerator.power_load_w),
            bus_w=arr(lambda t: t.bus_w),  # bus_load_w and the optical terminals
            array_w_per_flux=arr(
                lambda t: t.solar_area_m2 * t.cell.efficiency_bol * t.cell.packing_factor
            ),
            degradation=arr(lambda t: t.cell.degradation_per_year),
            age_years=arr(lambda t: t.spec.age_years),
            pointing=np.array([pointing(t) for t in types]),
            capacity_wh=arr(lambda t: t.spec.battery.capacity_wh),
            charge_max_w=arr(lambda t: t.charge_max_w),
            discharge_max_w=arr(lambda t: t.discharge_max_w),
            fade_cal=arr(lambda t: t.calendar_fade),
            fade_cyc=arr(lambda t: t.cycle_fade_per_sqrt_wh),
            min_soc=arr(lambda t: t.min_soc),
            charge_eff=arr(lambda t: t.charge_efficiency, 1.0),
            discharge_eff=arr(lambda t: t.discharge_efficiency, 1.0),
            rad_area_m2=arr(lambda t: t.spec.radiator.area_m2, 1.0),
            emissivity=arr(lambda t: t.emissivity, 1.0),
            absorptivity=arr(lambda t: t.absorptivity),
            sun_view=arr(lambda t: t.spec.radiator.sun_view_factor),
            earth_view=arr(lambda t: t.spec.radiator.earth_view_factor),
            heat_capacity=arr(lambda t: t.heat_capacity_j_per_k, 1.0),
            t_max_k=arr(lambda t: t.max_temperature_k, np.inf),
            conductance=arr(lambda t: t.conductance_w_per_k, np.inf),
            t_min_k=arr(lambda t: t.min_temperature_k),
            turn_down=arr(lambda t: t.spec.radiator.turn_down, 1.0),
            heater_max_w=arr(lambda t: t.heater_max_w),
            sigma_p=np.array([t.accelerator.proton_cross_sections_cm2 if t is not None
                              else (0.0, 0.0, 0.0) for t in types], float).reshape(-1, 3),
            sigma_gcr=arr(lambda t: gcr_sigma(t.accelerator) if gcr_sigma is not None
                          else t.accelerator.gcr_cross_section_total_cm2),
            shielding_mm=shielding,
            trapped_dose=trapped[0],
            trapped_see=trapped[1],
            recovery_s=arr(lambda t: t.spec.fault_recovery_s),
        )

    def take(self, a: int, b: int) -> BusParams:
        return BusParams(**{k: v[a:b] for k, v in self.__dict__.items()})


@dataclass
class BusState:
    """State carried from chunk to chunk, and running totals, arrays (S,)."""

    battery_wh: np.ndarray
    temperature_k: np.ndarray
    hazard: np.ndarray  # integrated upset hazard since the last upset
    upsets: np.ndarray  # upsets so far (the stream's counter)
    threshold: np.ndarray  # hazard at which the next upset happens
    open_fault_rows: np.ndarray  # restarts still running at the chunk's end: block rows
    open_fault_end: np.ndarray  # ... and their end times
    generated_wh: np.ndarray
    used_wh: np.ndarray
    curtailed_wh: np.ndarray
    losses_wh: np.ndarray
    unserved_wh: np.ndarray
    soc_min: np.ndarray
    throttled_power_s: np.ndarray
    throttled_heat_s: np.ndarray
    dose_rad: np.ndarray
    temperature_max_k: np.ndarray
    available_s: np.ndarray  # integral of compute_available over time
    throughput_wh: np.ndarray  # energy into and out of the cells (their cycle ageing)
    capacity_now_wh: np.ndarray  # the faded capacity now (the most the battery holds)
    heater_wh: np.ndarray  # energy the heaters drew
    cold_s: np.ndarray  # time below the minimum temperature (the heater could not hold it)
    temperature_min_k: np.ndarray
    hazard_total: np.ndarray  # integrated upset hazard: the expected number of upsets
    upsets_by_kind: np.ndarray  # (S, 3) silent, uecc, crash
    spe_dose_rad: np.ndarray  # the part of the dose from solar particle events

    @classmethod
    def initial(cls, types, params: BusParams, seed: int, first_index: int) -> BusState:
        n = params.has_bus.size
        soc0 = np.array([t.spec.battery.initial_soc if t is not None else 0.0 for t in types])
        t0 = np.array([t.spec.initial_temperature_k if t is not None else np.nan for t in types])
        sat = np.arange(first_index, first_index + n)
        zeros = np.zeros(n)
        return cls(
            battery_wh=soc0 * params.capacity_wh,
            temperature_k=t0,
            hazard=zeros.copy(),
            upsets=np.zeros(n, np.int64),
            threshold=-np.log(uniform_stream(seed, sat, np.zeros(n, np.int64))),
            open_fault_rows=np.empty(0, np.int64),
            open_fault_end=np.empty(0),
            generated_wh=zeros.copy(),
            used_wh=zeros.copy(),
            curtailed_wh=zeros.copy(),
            losses_wh=zeros.copy(),
            unserved_wh=zeros.copy(),
            soc_min=np.where(params.capacity_wh > 0, soc0, np.nan),
            throttled_power_s=zeros.copy(),
            throttled_heat_s=zeros.copy(),
            dose_rad=zeros.copy(),
            temperature_max_k=t0.copy(),
            available_s=zeros.copy(),
            throughput_wh=zeros.copy(),
            capacity_now_wh=power.battery_capacity_wh(
                params.capacity_wh, params.fade_cal, params.age_years * 365.25,
                params.fade_cyc, 0.0),
            heater_wh=zeros.copy(),
            cold_s=zeros.copy(),
            temperature_min_k=t0.copy(),
            hazard_total=zeros.copy(),
            upsets_by_kind=np.zeros((n, 3), np.int64),
            spe_dose_rad=zeros.copy(),
        )

    @staticmethod
    def concat(parts: list[BusState]) -> BusState:
        """One state for the whole fleet from the blocks' (their open restarts are dropped:
        only the totals are used)."""
        out = {}
        for k in parts[0].__dict__:
            if k.startswith("open_fault"):
                out[k] = np.empty(0)
            else:
                out[k] = np.concatenate([getattr(p, k) for p in parts])
        return BusState(**out)


@dataclass
class BusInputs:
    """The environment of a block over a chunk, arrays (S, K) unless noted."""

    t_s: np.ndarray  # (K,) seconds from the epoch
    lit: np.ndarray  # 1 - shadow fraction
    solar_flux: np.ndarray  # (K,) W/m^2
    incidence: np.ndarray  # cos of the array's incidence, clipped at 0
    cos_sun_zenith: np.ndarray
    radius_km: np.ndarray
    #: Radiation varies over minutes: it is sampled on a coarser grid ``rad_t_s`` (C,) that
    #: starts and ends with ``t_s``.
    rad_t_s: np.ndarray
    proton_flux: np.ndarray  # (S, C)
    gcr_flux: np.ndarray  # (S, C)
    #: Solar particle events: the flux above 30 MeV outside the magnetosphere (C,) and the
    #: local cutoff rigidity (S, C), GV (None: no event in the chunk).
    spe_flux30: np.ndarray | None = None
    cutoff_gv: np.ndarray | None = None
    radius_c: np.ndarray | None = None  # (S, C) km, on the radiation grid
    #: False once a satellite has decayed (SGP4 error): its bus is off from then on.
    alive: np.ndarray | None = None


def _upsets(rate: np.ndarray, t: np.ndarray, state: BusState, seed: int, sat_index):
    """Upsets of the chunk by time rescaling. ``rate`` (S, K) upsets/s per satellite at the
    samples; the hazard is integrated by trapezoids. Returns ``(rows, times, counts)``
    (block rows; each upset's number in its satellite's stream)."""
    dt = np.diff(t)
    steps = 0.5 * (rate[:, :-1] + rate[:, 1:]) * dt[None, :]
    cum = state.hazard[:, None] + np.concatenate(
        [np.zeros((rate.shape[0], 1)), np.cumsum(steps, axis=1)], axis=1
    )  # (S, K) hazard since the last upset, at the samples
    rows_out, times_out, count_out = [], [], []
    offset = np.zeros(rate.shape[0])  # hazard used by this chunk's earlier upsets
    while True:
        hit = np.nonzero(cum[:, -1] - offset >= state.threshold)[0]
        if hit.size == 0:
            break
        level = offset[hit] + state.threshold[hit]
        k = np.argmax(cum[hit] >= level[:, None], axis=1)  # first sample at or past it
        k = np.maximum(k, 1)
        h0, h1 = cum[hit, k - 1], cum[hit, k]
        frac = np.clip((level - h0) / np.maximum(h1 - h0, 1e-300), 0.0, 1.0)
        rows_out.append(hit)
        times_out.append(t[k - 1] + frac * dt[k - 1])
        offset[hit] = level
        state.upsets[hit] += 1
        count_out.append(state.upsets[hit].copy())
        state.threshold[hit] = -np.log(uniform_stream(seed, sat_index[hit], state.upsets[hit]))
    state.hazard = cum[:, -1] - offset
    state.hazard_total = state.hazard_total + (cum[:, -1] - cum[:, 0])
    if rows_out:
        return np.concatenate(rows_out), np.concatenate(times_out), np.concatenate(count_out)
    return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)


def _trapezoid(rate: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Integral over the chunk of ``rate`` (S, C) sampled at ``t`` (C,), per satellite."""
    return np.sum(0.5 * (rate[:, :-1] + rate[:, 1:]) * np.diff(t), axis=1)


def _down_counts(n_s: int, t: np.ndarray, rows, start, end) -> np.ndarray:
    """(S, K): accelerators restarting at each sample, from restarts ``[start, end)``."""
    diff = np.zeros((n_s, t.size + 1))
    k0 = np.searchsorted(t, start, side="left")
    k1 = np.searchsorted(t, end, side="left")
    np.add.at(diff, (rows, k0), 1.0)
    np.add.at(diff, (rows, k1), -1.0)
    return np.cumsum(diff, axis=1)[:, :-1]


class BusChunk:
    """The bus over one chunk of a block, prepared so that it can be flown step by step.

    What does not depend on the bus state (generation, environment heat, dose, upsets and the
    accelerators they take down) is computed for the whole chunk when it is made; the battery
    and temperature recurrence is then flown over consecutive ranges of samples with
    :meth:`fly`, each under its own demand, as the orchestrator decides them. Flying the whole
    chunk at once under one demand is what :func:`run_bus` does.

    Upsets hit one accelerator each: ``faults`` holds ``(satellite, start_s, end_s,
    accelerator, kind)`` with global satellite indices, the accelerator's index on its
    satellite (drawn uniformly from the same counter-based stream as the upset times, keyed
    apart) and the kind (``radiation.SILENT``, ``UECC``, ``CRASH``; the end is the start but
    for a crash).
    """

    def __init__(self, params: BusParams, state: BusState, inp: BusInputs, seed: int,
                 first_index: int, time_major: bool = False):
        p = params
        s = state
        n_s, n_k = inp.lit.shape
        self.params = p
        self.n_s, self.n_k = n_s, n_k
        t = inp.t_s
        self.t = t
        self.dt = np.ascontiguousarray(np.diff(t), float)
        sat_index = np.arange(first_index, first_index + n_s)
        # The array's output per W/m^2 at each sample, degraded for its age then (per sample,
        # so that no result depends on where chunks begin).
        tracking = bool(np.all(p.pointing == power.TRACKING))
        array_w, generated, gen_step, env_step = generation_and_heat(
            p.age_years, p.array_w_per_flux, np.log1p(-p.degradation), t, inp.solar_flux,
            np.ascontiguousarray(inp.lit, float), np.ascontiguousarray(inp.incidence, float),
            not tracking, p.rad_area_m2, p.absorptivity, p.emissivity, p.sun_view, p.earth_view,
            np.ascontiguousarray(inp.cos_sun_zenith, float), thermal.EARTH_ALBEDO,
            thermal.EARTH_OLR_W_PER_M2,
        )
        self.generated = generated
        self.lit = inp.lit
        self.solar_flux = inp.solar_flux
        # Generation in full sunlight per W/m^2 of flux, for forecasts: a single-axis or an
        # orbit-normal array at its incidence now (cos or sin of beta, steady over an orbit),
        # a zenith array at the mean cosine over the half-orbit that faces the Sun, 2/pi (an
        # approximation, the same whatever the chunk).
        steady = (p.pointing == power.SINGLE_AXIS) | (p.pointing == power.ORBIT_NORMAL)
        self.full_sun_w_per_flux = array_w * np.where(
            (p.pointing == power.TRACKING)[:, None], 1.0,
            np.where(steady[:, None], inp.incidence, 2.0 / np.pi))
        # Generation and the radiators' absorbed heat as step means (one compiled pass:
        # ``orbitdc.core.buskernel.generation_and_heat``, held to the array formulas of
        # ``environment_heat_w`` by a test).
        self.gen_step = gen_step
        self.env_step = env_step

        # Radiation: dose and upsets do not depend on the bus state, so the whole chunk at once.
        see_flux = inp.proton_flux * p.trapped_see[:, None]  # protons above 30 MeV at the part
        spe_rate = 0.0
        if inp.spe_flux30 is not None and inp.cutoff_gv is not None:
            spe_dose, spe_see = radiation.spe_response(p.shielding_mm, inp.cutoff_gv)
            outside = np.where(np.isfinite(inp.cutoff_gv),  # inf: decayed
                               inp.spe_flux30[None, :] * radiation.open_sky(inp.radius_c), 0.0)
            spe_rate = outside * spe_dose
            see_flux = see_flux + outside * spe_see
            s.spe_dose_rad = s.spe_dose_rad + _trapezoid(spe_rate, inp.rad_t_s)
        dose_rate = radiation.dose_rate_rad_per_s(
            inp.proton_flux, inp.gcr_flux, p.shielding_mm[:, None], spe_rate)
        s.dose_rad = s.dose_rad + _trapezoid(dose_rate, inp.rad_t_s)
        sigma_p = p.sigma_p.sum(axis=1)
        upset_rate = p.n_acc[:, None] * (sigma_p[:, None] * see_flux
                                         + p.sigma_gcr[:, None] * inp.gcr_flux)
        new_rows, new_start, new_count = _upsets(upset_rate, inp.rad_t_s, s, seed, sat_index)
        # Each upset's kind, in the shares of the part's cross-sections (the same for
        # protons and cosmic rays), and the accelerator it hits.
        shares = (np.cumsum(p.sigma_p[new_rows], axis=1)
                  / np.maximum(sigma_p[new_rows], 1e-300)[:, None])
        u = uniform_stream(seed ^ KIND_STREAM, sat_index[new_rows], new_count)
        new_kind = np.minimum(np.sum(u[:, None] >= shares, axis=1), 2).astype(np.int8)
        np.add.at(s.upsets_by_kind, (new_rows, new_kind), 1)
        new_end = new_start + np.where(new_kind == radiation.CRASH, p.recovery_s[new_rows], 0.0)
        new_acc = np.floor(
            uniform_stream(seed ^ ACCELERATOR_STREAM, sat_index[new_rows], new_count)
            * p.n_acc[new_rows]
        ).astype(np.int64)
        down = new_end > new_start
        open_rows = np.concatenate([s.open_fault_rows, new_rows[down]])
        open_end = np.concatenate([s.open_fault_end, new_end[down]])
        open_start = np.concatenate([np.full(s.open_fault_rows.size, -np.inf), new_start[down]])
        down = _down_counts(n_s, t, open_rows, open_start, open_end)
        still = open_end > t[-1]
        s.open_fault_rows, s.open_fault_end = open_rows[still], open_end[still]
        self.fault_share = np.ascontiguousarray(np.where(
            p.n_acc[:, None] > 0, np.maximum(1.0 - down / np.maximum(p.n_acc, 1)[:, None], 0.0),
            0.0,
        ))
        self.faults = (sat_index[new_rows], new_start, new_end, new_acc, new_kind)

        self.span = p.n_acc * (p.acc_load_w - p.acc_idle_w)
        self.idle_all = p.n_acc * p.acc_idle_w
        self.t_days = np.ascontiguousarray(t / 86400.0)
        self.age_days = np.ascontiguousarray(p.age_years * 365.25)
        self.alive = (np.ones((n_s, n_k), bool) if inp.alive is None
                      else np.ascontiguousarray(inp.alive))
        # The chunk's series, written range by range (sample k: the state at t_k and the step
        # that starts there).
        for name in _SERIES:
            setattr(self, name, np.empty((n_k, n_s)).T if time_major else np.empty((n_s, n_k)))
        if time_major:
            # Flown a few samples at a time (a scheduling step): each sample's figures over the
            # satellites lie together in memory, so a step touches a few pages, not a page per
            # satellite and array. The arrays keep their (S, K) shape.
            for name in _STEP_INPUTS:
                setattr(self, name, np.ascontiguousarray(getattr(self, name).T).T)

    def fly(self, state: BusState, j0: int, j1: int, demand, rows=None,
            trial: BusState | None = None) -> BusState:
        """Fly samples ``j0 .. j1`` (chunk indices, ``j1 > j0``) from ``state`` under
        ``demand`` (the share of accelerators asked to run: a number, (S,) or (S, j1 - j0)).
        Returns the state at ``j1`` with the totals advanced; ``state`` is not changed, so a
        range may be flown again under another demand before the next one is.

        ``rows`` (indices into the block) with ``trial`` (this range flown before from
        ``state``): fly again only those satellites, under their rows of ``demand``, the
        others kept as ``trial`` has them (satellites do not interact on the bus, so this is
        the flight of all of them under the whole ``demand``, at the cost of the few)."""
        p = self.params
        f = np.ascontiguousarray
        n_s = self.n_s
        demand = np.asarray(demand, float)
        if demand.ndim == 0:
            demand = np.full((n_s, 1), float(demand))
        elif demand.ndim == 1:
            demand = demand[:, None]
        sl = slice(j0, j1 + 1)
        if rows is None:
            at = slice(None)
            series = tuple(getattr(self, name)[:, sl] for name in _SERIES)
        else:
            at = np.asarray(rows, np.int64)
            series = tuple(np.empty((at.size, j1 - j0 + 1)) for _ in _SERIES)
            demand = demand[at]
        # The kernel advances these in place: copies of the state's (of its rows).
        kernel_state = {k: np.array(getattr(state, k)[at], float) for k in _KERNEL_STATE}
        extremes = [np.empty(kernel_state["battery_wh"].size) for _ in range(3)]
        bus_steps(
            self.dt[j0:j1], self.t_days[sl], self.gen_step[at, j0:j1], self.env_step[at, j0:j1],
            self.fault_share[at, j0:j1], f(demand), self.alive[at, sl],
            f(p.bus_w[at], float), f(p.t_max_k[at], float), f(p.n_acc[at], float),
            f(p.capacity_wh[at], float), f(p.min_soc[at], float), f(p.charge_eff[at], float),
            f(p.discharge_eff[at], float), f(self.idle_all[at], float),
            f(self.span[at], float), f(p.heat_capacity[at], float),
            f(p.rad_area_m2[at], float), f(p.emissivity[at], float),
            f(p.conductance[at], float), f(p.t_min_k[at], float), f(p.turn_down[at], float),
            f(p.heater_max_w[at], float), f(p.charge_max_w[at], float),
            f(p.discharge_max_w[at], float), f(p.fade_cal[at], float),
            f(p.fade_cyc[at], float), f(self.age_days[at], float),
            kernel_state["battery_wh"], kernel_state["temperature_k"],
            kernel_state["throughput_wh"], kernel_state["capacity_now_wh"], *series,
            *(kernel_state[name] for name in _KERNEL_TOTALS), *extremes,
        )
        battery_min, temperature_max, temperature_min = extremes
        capacity = np.where(p.capacity_wh[at] > 0, p.capacity_wh[at], np.nan)
        extra = {"soc_min": np.fmin(state.soc_min[at], battery_min / capacity),
                 "temperature_max_k": np.fmax(state.temperature_max_k[at], temperature_max),
                 "temperature_min_k": np.fmin(state.temperature_min_k[at], temperature_min)}
        if rows is None:
            return BusState(**{**state.__dict__, **kernel_state, **extra})
        assert trial is not None, "flying some rows again needs the range's flight"
        for name, part in zip(_SERIES, series):
            getattr(self, name)[at, sl] = part
        out = BusState(**{k: (np.array(v, float) if k in _KERNEL_STATE or k in extra else v)
                          for k, v in trial.__dict__.items()})
        for k, v in (*kernel_state.items(), *extra.items()):
            getattr(out, k)[at] = v
        return out

    def available_now(self, state: BusState, j: int) -> np.ndarray:
        """(S,) the share of accelerators that could run in the step starting at chunk sample
        ``j`` (``j`` before the last) from ``state`` there, after fault, heat and power
        limits: what flying that step (under any demand) gives as ``available``, without
        flying it."""
        p = self.params
        f = np.ascontiguousarray
        out = np.empty(self.n_s)
        available_now(
            float(self.dt[j]), f(self.gen_step[:, j]), f(self.fault_share[:, j]),
            f(self.alive[:, j:j + 2]), f(p.bus_w, float), f(p.t_max_k, float),
            f(p.n_acc, float), f(p.min_soc, float), f(p.discharge_eff, float),
            f(self.idle_all, float), f(self.span, float), f(p.conductance, float),
            f(p.discharge_max_w, float), f(state.battery_wh, float),
            f(state.temperature_k, float), f(state.capacity_now_wh, float), out,
        )
        return out

    def lit_now(self, j: int) -> np.ndarray:
        """(S,) the sunlit share (1 - shadow) at chunk sample ``j``."""
        return self.lit[:, j]

    def full_sun_w(self, j: int) -> np.ndarray:
        """(S,) what the array would give in full sunlight at chunk sample ``j``."""
        return self.full_sun_w_per_flux[:, j] * self.solar_flux[j]

    def mean_utilisation(self, j0: int, j1: int) -> np.ndarray:
        """(S,) the share of accelerators that ran, averaged over samples ``j0 .. j1``."""
        dt = self.dt[j0:j1]
        return self.util[:, j0:j1] @ dt / dt.sum()

    def series(self) -> dict[str, np.ndarray]:
        """Time-major (K, S) views of the chunk as flown: ``power_in_w``, ``load_w``,
        ``battery_wh``, ``temperature_k`` (the radiator node), ``chip_temperature_k`` (the
        chips: the node plus their compute heat over the conductance), ``compute_available`` (the share that could run
        after fault, heat and power limits), ``compute_planned`` (the same without fault
        outages) and ``utilisation`` (the share that ran)."""
        p = self.params
        series = {
            "power_in_w": self.generated.T,
            "load_w": self.load.T,
            "battery_wh": self.battery.T,
            "temperature_k": self.temperature.T,
            "chip_temperature_k": self.chip_temperature.T,
            "compute_available": self.available.T,
            "compute_planned": self.planned.T,
            "utilisation": np.where(p.n_acc[:, None] > 0, self.util, 0.0).T,
        }
        no_bus = ~p.has_bus
        if no_bus.any():
            series["power_in_w"] = series["power_in_w"].copy()
            for v in series.values():
                v[:, no_bus] = np.nan
        return series


#: The chunk's series the kernel writes, (S, K).
_SERIES = ("battery", "temperature", "chip_temperature", "load", "util", "available",
           "planned")
#: The kernel's inputs over the chunk, (S, K - 1) or (S, K).
_STEP_INPUTS = ("gen_step", "env_step", "fault_share", "alive")
#: The state the kernel advances in place (copied before each flight of a range).
_KERNEL_TOTALS = ("generated_wh", "used_wh", "curtailed_wh", "losses_wh", "unserved_wh",
                  "throttled_power_s", "throttled_heat_s", "available_s", "heater_wh", "cold_s")
_KERNEL_STATE = ("battery_wh", "temperature_k", "throughput_wh", "capacity_now_wh",
                 *_KERNEL_TOTALS)


def run_bus(
    params: BusParams, state: BusState, inp: BusInputs, seed: int, first_index: int,
    demand: np.ndarray | float = 1.0,
):
    """Step the bus through the chunk under one ``demand`` (the share of each satellite's
    accelerators asked to run: satellite-major (S, K) or one number; 1: all of them).
    Returns ``(state, series, faults)``: ``series`` as :meth:`BusChunk.series` (sample k
    shows the state at t_k and the step that starts there; the last sample repeats the last
    step's); ``faults`` is ``(satellite, start_s, end_s, accelerator)`` arrays with global
    satellite indices."""
    chunk = BusChunk(params, state, inp, seed, first_index)
    demand = np.asarray(demand, float)
    if demand.ndim == 2 and demand.shape[1] > 1:
        demand = demand[:, :-1]
    state = chunk.fly(state, 0, chunk.n_k - 1, demand)
    return state, chunk.series(), chunk.faults
