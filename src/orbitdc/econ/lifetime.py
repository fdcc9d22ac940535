"""The design life sampled, not extrapolated: short flights at epochs spread over the year (so
over eclipse seasons and, for inclined orbits, the beta-angle cycle) and over the satellites'
age (so over the array's degradation), whose availability, throttling, upsets and dose are
averaged into what the cost model uses, with their spread.

This module plans the epochs and aggregates what they found; flying them, on the sweep engine,
is ``orbitdc.study.lifetime`` one layer up.

Plan, for ``n`` epochs over a life of ``L`` years, stratified three ways:

- over the **year** (the eclipse seasons): epoch ``k`` starts in the ``k``-th ``1/n`` of the
  year after the scenario's start;
- over the **beta-angle cycle**: the fleet's |beta| (the median over its satellites) is
  computed every day over the year, and epoch ``k`` starts on the day of its ``1/n`` of
  the year whose |beta| is nearest the ``j_k / (n - 1)`` quantile of the year's (from its
  lowest |beta| to its highest), the levels given to the parts of the year so that they miss
  their targets least in all (ties: ``j_k``), where
  ``j_k`` permutes the epochs (the ranks of ``frac((k + 1) x golden ratio)``) so that the
  beta levels are not in step with the seasons or the age; the candidate days are whole days
  after the start, and the time of day is stratified on its own (:func:`times_of_day`: a
  short flight's South Atlantic Anomaly crossings depend on it). A single inclined plane's ~60-day
  beta cycle is not aliased by quarter-year spacing; a dawn-dusk orbit, whose beta follows
  the seasons, gets the nearest it can in each part of the year;
- over the **life**: its satellites are aged ``age_years + (k + 0.5) / n x L``.

Each flies ``hours`` (default: the scenario's duration, at most :data:`DEFAULT_EPOCH_HOURS`).
The section says how the epochs were chosen, the year's |beta| range and the |beta| each
flew.

Aggregation, per satellite type, each epoch weighted equally: availability and the delivered
share are the mean over epochs; the dose rate is the mean rate, so the dose-limited life is
``1 / mean(1 / L_k)`` (a run that crosses no South Atlantic Anomaly pass finds no dose, one
that crosses three finds three times the rate: the mean of rates is the unbiased estimate).

What it neglects: the epochs are a sample, not the whole life (the spread it reports says how
much that matters); element sets (TLEs) are propagated up to a year from their epoch; the
solar cycle's effect on trapped protons is not in the radiation model.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from orbitdc.econ.tco import HOURS_PER_YEAR, FleetItem
from orbitdc.model.errors import ScenarioError
from orbitdc.model.scenario import Scenario

__all__ = ["DEFAULT_EPOCH_HOURS", "DEFAULT_EPOCHS", "EPOCH_CHOICE", "Epoch", "LifetimeSample",
           "beta_levels", "choose_days", "epoch_plan", "times_of_day", "year_beta_deg"]

#: Defaults of ``orbitdc cost`` and ``orbitdc run``: cheap enough for CI; ask for more with
#: ``--epochs`` and ``--epoch-hours``.
DEFAULT_EPOCHS = 4
DEFAULT_EPOCH_HOURS = 2.0
#: Most epochs one sample may fly.
MAX_EPOCHS = 1000
#: How the plan chooses its epochs, as the section says it.
EPOCH_CHOICE = (
    "one epoch in each 1/n of the year, on the day whose fleet-median |beta| is nearest a "
    "quantile j/(n - 1) of the year's, lowest to highest (levels permuted across the "
    "epochs), at times of day spread over the day, the satellites aged through the life")
#: Days between the candidate days the plan chooses among (|beta| moves < ~2 deg a day).
CANDIDATE_STEP_DAYS = 1.0
#: Satellite-times propagated at once for the year's beta (memory bound).
_BETA_CHUNK = 2_000_000
#: Most satellites a lifetime flight flies of one fleet, where a sample stands for the whole
#: (no workloads, no laser links: each satellite's bus is then independent of the others).
REPRESENTATIVE_PER_FLEET = 64


@dataclass(frozen=True)
class Epoch:
    index: int
    start: dt.datetime
    age_years: float  # added to each type's own age_years
    beta_deg: tuple[float, float]  # |beta| over the fleet at the start: (min, max)
    data: dict  # the scenario of this epoch, as data
    #: The fleet's median |beta| at the start (as flown), the quantile level of the year's it
    #: was chosen for, and the range of the fleet's median |beta| over the candidate starts
    #: of the year (the same for every epoch).
    beta_median_deg: float = math.nan
    beta_level: float = math.nan
    beta_year_deg: tuple[float, float] = (math.nan, math.nan)


@dataclass
class LifetimeSample:
    """What the epochs found. ``outcomes[k]``: epoch ``k``'s ``{"fleet": [per type], "bus":
    {...}, "duration_h"}`` (the summary sections of its run)."""

    epochs_planned: list[Epoch]
    outcomes: list[dict]
    hours_each: float
    parallel: str  # how they were flown: "dask (N workers)" or "in process"
    notes: list[str] = field(default_factory=list)
    #: The Monte Carlo's re-flights (``orbitdc.econ.uncertainty``): re-flight ``j`` flew
    #: epoch ``j mod epochs`` with the physical figures ``flight_draws[j]``; its scenario data
    #: and what it found (as ``outcomes``).
    flight_draws: list[dict] = field(default_factory=list)
    flight_data: list[dict] = field(default_factory=list)
    flight_outcomes: list[dict] = field(default_factory=list)
    #: Bare flights (:func:`bare`) of epochs ``0 .. min(flights, epochs) - 1`` with the
    #: figures at their values: what re-flight ``j`` is compared with (``j mod epochs``).
    flight_reference: list[dict] = field(default_factory=list)
    #: The satellites each flight flew, of how many, per fleet (``orbitdc.econ.lifetime.
    #: representative``): ``{fleet name: (flown, of)}``; empty: the whole fleet.
    thinned: dict = field(default_factory=dict)
    #: The physical tornado's flights: ``(path, (low, high), (data at low, data at high),
    #: (outcome at low, outcome at high))``, each figure alone at an end of its range.
    tornado: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.outcomes)

    def _per_type(self, key: str, name: str) -> np.ndarray:
        vals = []
        for out in self.outcomes:
            row = next(f for f in out["fleet"] if f["satellite_type"] == name)
            v = row[key]
            vals.append(math.inf if v is None and key == "dose_lifetime_years"
                        else math.nan if v is None else float(v))
        return np.asarray(vals, float)

    def items(self, scenario: Scenario, delivered_from_workloads: bool) -> list[FleetItem]:
        """The cost model's fleet items, from the epochs' means."""
        from orbitdc.econ.costs import fleet_items

        items = fleet_items(scenario)
        out = []
        for item in items:
            avail = float(np.nanmean(self._per_type("availability", item.name)))
            rate = np.mean(1.0 / self._per_type("dose_lifetime_years", item.name))
            dose_life = 1.0 / rate if rate > 0 else math.inf
            used = (float(np.nanmean(self._per_type("utilisation", item.name)))
                    if delivered_from_workloads else None)
            out.append(FleetItem(name=item.name, satellite=item.satellite, count=item.count,
                                 availability=avail, dose_lifetime_years=dose_life,
                                 stations=item.stations, utilisation=used))
        return out

    def flown(self, scenario: Scenario, delivered_from_workloads: bool) -> list:
        """The Monte Carlo's re-flights as cost-model fleets
        (:class:`orbitdc.econ.uncertainty.Flown`): each type's lifetime figures (the epochs'
        means) scaled by what the re-flight found against the nominal flight of the same
        epoch (availability, dose-limited life; both bare flights, :func:`bare`), with the
        satellites it flew (their mass roll-up from the drawn parts)."""
        base = self.items(scenario, delivered_from_workloads)
        return [self._as_flown(scenario, base, draws, data, got,
                               self.flight_reference[j % len(self.outcomes)])
                for j, (draws, data, got) in enumerate(zip(
                    self.flight_draws, self.flight_data, self.flight_outcomes))]

    def tornado_flown(self, scenario: Scenario, delivered_from_workloads: bool) -> list:
        """The physical tornado's flights (each estimated figure alone at its range's low
        and high end, epoch 0, bare) as ``(path, low, high, Flown at low, Flown at high)``."""
        base = self.items(scenario, delivered_from_workloads)
        out = []
        for path, (lo, hi), (lo_data, hi_data), (lo_got, hi_got) in self.tornado:
            ref = self.flight_reference[0]
            out.append((path, lo, hi,
                        self._as_flown(scenario, base, {path: lo}, lo_data, lo_got, ref),
                        self._as_flown(scenario, base, {path: hi}, hi_data, hi_got, ref)))
        return out

    @staticmethod
    def _as_flown(scenario: Scenario, base: list[FleetItem], draws: dict, data: dict,
                  got: dict, nominal: dict):
        from orbitdc.econ.uncertainty import Flown
        from orbitdc.model.scenario import parse_scenario

        sc = parse_scenario(data, source=scenario.source, base_dir=scenario.base_dir)
        if "refused" in got:  # the design cannot work at these figures: delivers nothing
            items = [FleetItem(name=i.name, satellite=sc.satellite_types[i.name],
                               count=i.count, availability=0.0,
                               dose_lifetime_years=i.dose_lifetime_years, stations=i.stations,
                               utilisation=None if i.utilisation is None else 0.0)
                     for i in base]
            return Flown(draws=draws, items=items, refused=got["refused"])
        items = []
        for item in base:
            row = _row(got, item.name)
            ref = _row(nominal, item.name)
            moved = _ratio(row["availability"], ref["availability"])
            dose = item.dose_lifetime_years
            if math.isfinite(dose) and row["dose_lifetime_years"] is not None:
                dose *= _ratio(row["dose_lifetime_years"], ref["dose_lifetime_years"])
            used = item.utilisation
            if used is not None:  # the workloads' delivered share, moved as availability
                used = min(1.0, used * moved)
            items.append(FleetItem(name=item.name, satellite=sc.satellite_types[item.name],
                                   count=item.count,
                                   availability=min(1.0, item.availability * moved),
                                   dose_lifetime_years=dose, stations=item.stations,
                                   utilisation=used))
        return Flown(draws=draws, items=items)

    def warnings(self) -> list[dict]:
        """Each warning the epochs' runs gave (design checks on that epoch's orbits, the
        bus), with the epochs that gave it: a design that works in the season the run flew
        may not in another."""
        seen: dict[str, list[int]] = {}
        for ep, out in zip(self.epochs_planned, self.outcomes):
            for w in out.get("warnings", []):
                seen.setdefault(w, []).append(ep.index)
        return [{"warning": w, "epochs": k} for w, k in seen.items()]

    def section(self, scenario: Scenario) -> dict:
        """The ``lifetime`` part of the economics section: how many epochs, each one's
        figures, and their spread."""
        per_sat = {name: t.spec.accelerators for name, t in scenario.satellite_types.items()}
        rows = []
        for ep, out in zip(self.epochs_planned, self.outcomes):
            bus = out.get("bus") or {}
            accelerators = sum(per_sat[f["satellite_type"]] * f["satellites"]
                               for f in out["fleet"])
            sat_h = max(bus.get("satellites_with_bus", 0), 1) * out["duration_h"]
            acc_h = max(accelerators, 1) * out["duration_h"]
            rows.append({
                "epoch": ep.index,
                "start": ep.start.isoformat().replace("+00:00", "Z"),
                "age_years": round(ep.age_years, 4),
                "beta_deg_min": round(ep.beta_deg[0], 2),
                "beta_deg_max": round(ep.beta_deg[1], 2),
                "beta_deg_median": _num(ep.beta_median_deg),
                "beta_quantile_level": _num(ep.beta_level),
                "availability": _num(np.mean([f["availability"] for f in out["fleet"]])),
                "throttled_power_fraction": _num(bus.get("hours_throttled_power", 0.0) / sat_h),
                "throttled_heat_fraction": _num(bus.get("hours_throttled_heat", 0.0) / sat_h),
                "upsets_per_accelerator_year": _num(
                    (bus.get("upsets_expected") or 0.0) / acc_h * HOURS_PER_YEAR),
                "dose_rad_per_year_max": _num(bus.get("dose_rad_per_year_max")),
                "array_output_fraction": _num(np.mean([
                    (1.0 - t.cell.degradation_per_year) ** (t.spec.age_years + ep.age_years)
                    for t, _n in _type_counts(scenario)])),
            })
        spread = {}
        for key in ("availability", "throttled_power_fraction", "throttled_heat_fraction",
                    "upsets_per_accelerator_year", "dose_rad_per_year_max",
                    "array_output_fraction"):
            vals = np.array([r[key] for r in rows if r[key] is not None], float)
            if vals.size:
                spread[key] = {"mean": _num(vals.mean()), "min": _num(vals.min()),
                               "max": _num(vals.max()), "sd": _num(vals.std())}
        year = self.epochs_planned[0].beta_year_deg if self.epochs_planned else (math.nan,) * 2
        return {"epochs": self.epochs, "hours_each": self.hours_each,
                "epoch_choice": EPOCH_CHOICE,
                "beta_deg_over_year": {"min": _num(year[0]), "max": _num(year[1])},
                "flown": self.parallel, "per_epoch": rows, "spread": spread,
                "warnings": self.warnings(), "reflights": len(self.flight_outcomes),
                "satellites_flown": {k: {"flown": a, "of": b}
                                     for k, (a, b) in self.thinned.items()},
                "notes": list(self.notes)}


def _row(outcome: dict, name: str) -> dict:
    return next(f for f in outcome["fleet"] if f["satellite_type"] == name)


def _ratio(a, b) -> float:
    """``a / b`` for a re-flight's figure against the nominal one (1 where either is
    missing, both are 0, or the nominal is infinite)."""
    if a is None or b is None:
        return 1.0
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b)) or b <= 0.0:
        return 1.0
    return a / b


def _num(x):
    if x is None:
        return None
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def _type_counts(scenario: Scenario):
    counts: dict[str, int] = {}
    for f in scenario.fleet:
        if f.satellite is not None:
            counts[f.satellite] = counts.get(f.satellite, 0) + f.count
    return [(scenario.satellite_types[name], n) for name, n in counts.items()]


def _beta_range_deg(scenario: Scenario) -> tuple[float, float, float]:
    from orbitdc.core.orbits import propagate
    from orbitdc.core.sun import beta_angle_rad, sun_position_km
    from orbitdc.core.time import epoch_jd
    from orbitdc.sim.fleet import build_fleet

    fleet = build_fleet(scenario)
    jd, fr = epoch_jd(scenario.start)
    jd_a, fr_a = np.array([jd]), np.array([fr])
    _err, r, v = propagate(fleet.satrecs, jd_a, fr_a)
    sun = sun_position_km(jd_a, fr_a)
    beta = np.abs(np.degrees(beta_angle_rad(r[:, 0], v[:, 0], sun[None, 0])))
    beta = beta[np.isfinite(beta)]
    return ((float(beta.min()), float(beta.max()), float(np.median(beta))) if beta.size
            else (math.nan, math.nan, math.nan))


def year_beta_deg(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """``(days, beta)``: candidate start offsets (days after the scenario's start, every
    :data:`CANDIDATE_STEP_DAYS` over one year) and the fleet's median |beta| (degrees) at
    each, as an epoch starting then would fly it: a generated fleet (Walker, sun-synchronous,
    cluster) is laid out afresh at each epoch's start, so its planes are those of its
    elements at that start (the orbit normal against the Sun's direction); element sets
    keep theirs and are propagated to the day (NaN where nothing propagates)."""
    from orbitdc.core import orbits
    from orbitdc.core.sun import beta_angle_rad, sun_position_km
    from orbitdc.core.time import epoch_jd

    days = np.arange(0.0, 365.25, CANDIDATE_STEP_DAYS)
    jd0, fr0 = epoch_jd(scenario.start)
    whole = np.floor(fr0 + days)
    jd, fr = jd0 + whole, fr0 + days - whole
    sun = sun_position_km(jd, fr)
    sun_hat = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
    rows: list[np.ndarray] = []  # (satellites, days) of |beta| in degrees

    def planes(inc, raan):  # inc, raan: (S, T) or broadcastable
        h = np.stack(np.broadcast_arrays(np.sin(inc) * np.sin(raan), -np.sin(inc) * np.cos(raan),
                                         np.cos(inc)), axis=-1)
        return np.abs(np.degrees(np.arcsin(np.clip(
            np.einsum("stk,tk->st", h, sun_hat), -1.0, 1.0))))

    def sun_synchronous(altitude_km, ltan_h):
        inc = np.empty(days.size)
        raan = np.empty(days.size)
        for t in range(days.size):
            gmst, ut = orbits.gmst_and_ut_hours((float(jd[t]), float(fr[t])))
            raan[t] = orbits.raan_for_ltan_rad(gmst, ut, ltan_h)
            inc[t] = orbits.sgp4_sun_synchronous_inclination_rad(
                altitude_km, (float(jd[t]), float(fr[t])))
        return inc[None, :], raan[None, :]

    for f in scenario.fleet:
        if f.kind == "walker":
            raan, _anomaly = orbits.walker_delta(f.planes, f.per_plane, f.phasing,
                                                 np.deg2rad(f.raan0_deg))
            raan = np.asarray(raan, float).reshape(-1, 1) + np.zeros((1, days.size))
            inc = np.repeat(np.deg2rad(f.plane_inclinations_deg), f.per_plane).reshape(-1, 1)
            rows.append(planes(inc, raan))
        elif f.kind == "sso" or (f.kind == "cluster" and f.ltan_h is not None):
            beta = planes(*sun_synchronous(f.altitude_km, f.ltan_h))
            rows.append(np.repeat(beta, f.count, axis=0))
        elif f.kind == "cluster":
            inc = np.full((1, days.size), np.deg2rad(f.inclination_deg))
            raan = np.full((1, days.size), np.deg2rad(f.raan_deg or 0.0))
            rows.append(np.repeat(planes(inc, raan), f.count, axis=0))
        else:  # element sets: propagated from their own epochs
            from sgp4.api import SatrecArray

            sats = SatrecArray([sat for _, sat in f.records])
            n = len(f.records)
            step = max(1, _BETA_CHUNK // max(n, 1))
            beta = np.full((n, days.size), np.nan)
            for a in range(0, days.size, step):
                b = min(days.size, a + step)
                err, r, v = orbits.propagate(sats, jd[a:b], fr[a:b])
                got = np.abs(np.degrees(beta_angle_rad(r, v, sun[None, a:b])))
                got[np.asarray(err) != 0] = np.nan
                beta[:, a:b] = got
            rows.append(beta)
    median = np.full(days.size, np.nan)
    if rows:
        beta = np.concatenate(rows, axis=0)
        ok = np.isfinite(beta).any(axis=0)
        median[ok] = np.nanmedian(beta[:, ok], axis=0)
    return days, median


def beta_levels(n: int) -> np.ndarray:
    """The quantile level of the year's |beta| each of ``n`` epochs aims at: ``j_k / (n -
    1)``, from the year's lowest |beta| (the longest eclipses) to its highest, with ``j_k``
    the rank of ``frac((k + 1) x golden ratio)``, so each level is used once and they are not
    in step with the epochs' order (season, age); 0.5 (the median) for one epoch."""
    if n == 1:
        return np.array([0.5])
    golden = (1.0 + math.sqrt(5.0)) / 2.0
    key = np.mod((np.arange(n) + 1) * golden, 1.0)
    rank = np.empty(n, int)
    rank[np.argsort(key, kind="stable")] = np.arange(n)
    return rank / (n - 1.0)


def times_of_day(n: int) -> np.ndarray:
    """The time of day (fraction of a day) each of ``n`` epochs starts at: ``(i_k + 0.5) /
    n`` with ``i_k`` the rank of ``frac((k + 1) x sqrt 2)``, stratified over the day and not
    in step with the beta levels: a short flight's South Atlantic Anomaly crossings depend
    on where the Earth has turned under the orbit, so starts at one time of day would fly
    the same ground track every epoch."""
    key = np.mod((np.arange(n) + 1) * math.sqrt(2.0), 1.0)
    rank = np.empty(n, int)
    rank[np.argsort(key, kind="stable")] = np.arange(n)
    return (rank + 0.5) / n


def choose_days(days: np.ndarray, beta: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The start offset (days) of each of ``n`` epochs (see the module docstring) and the
    quantile level of the year's |beta| each was chosen for. The levels go to the parts of
    the year by the assignment that misses the targets least in all (a part of the year
    shorter than the beta cycle cannot reach every level), ties broken towards
    :func:`beta_levels`'s order; the middle of each part where no |beta| is known."""
    from scipy.optimize import linear_sum_assignment

    finite = np.isfinite(beta)
    if not finite.any():
        return (np.arange(n) + 0.5) / n * 365.25, np.full(n, math.nan)
    preferred = beta_levels(n)
    levels = np.sort(preferred)
    targets = np.quantile(beta[finite], levels)
    parts = [np.flatnonzero((days >= k / n * 365.25) & (days < (k + 1) / n * 365.25) & finite)
             for k in range(n)]
    miss = np.zeros((n, n))
    for k, idx in enumerate(parts):
        miss[k] = (np.abs(beta[idx][:, None] - targets[None, :]).min(axis=0) if idx.size
                   else 0.0)
    miss += 1e-6 * np.abs(levels[None, :] - preferred[:, None])
    rows, cols = linear_sum_assignment(miss)
    out = np.empty(n)
    chosen = np.empty(n)
    for k, j in zip(rows, cols):
        idx = parts[k]
        chosen[k] = levels[j]
        out[k] = (days[idx[np.argmin(np.abs(beta[idx] - targets[j]))]] if idx.size
                  else (k + 0.5) / n * 365.25)
    return out, chosen


def representative(data: dict) -> tuple[dict, dict]:
    """Scenario data (``Scenario.model_dump()``) whose fleets fly a representative sample of
    their satellites, and ``{fleet: (flown, of)}`` for those thinned. A fleet is thinned only
    when its satellites do not interact: with workloads (gangs placed and inference served
    across the fleet) or laser links (routing over every link) the whole fleet flies. A
    Walker shell keeps its inclination and altitude with at most 16 planes spread over the
    same 360 degrees of node (so the same spread of beta angles) and satellites spread round
    each plane; an SSO plane or a cluster keeps fewer of its evenly spaced members; element
    sets fly whole. The cost model takes its counts from the scenario and only per-type means
    (availability, dose) from the flights, which the sample estimates."""
    if data.get("workload") or (data.get("network") or {}).get("isl"):
        return data, {}
    cap = REPRESENTATIVE_PER_FLEET
    fleets, thinned = [], {}
    for f in data["fleet"]:
        f = dict(f)
        kind = f["kind"]
        if kind == "walker" and f["planes"] * f["per_plane"] > cap:
            of = f["planes"] * f["per_plane"]
            planes = min(f["planes"], 16)
            per_plane = max(1, min(f["per_plane"], cap // planes))
            f["phasing"] = round(f.get("phasing", 0) * planes / f["planes"]) % planes
            f["planes"], f["per_plane"] = planes, per_plane
            thinned[f["name"]] = (planes * per_plane, of)
        elif kind in ("sso", "cluster") and f.get("count", 1) > cap:
            thinned[f["name"]] = (cap, f["count"])
            f["count"] = cap
        fleets.append(f)
    if not thinned:
        return data, {}
    out = dict(data, fleet=fleets)
    out["output"] = dict(data.get("output") or {}, satellites="auto")
    return out, thinned


def bare(data: dict) -> dict:
    """Scenario data for a re-flight of the Monte Carlo: the bus only (no workloads, no laser
    links, no screening or night sky), thinned to a representative sample (see
    :func:`representative`). What the drawn physical figures change is the bus (power, heat,
    upsets, dose: links draw no bus power in the model and route only the workloads), so a
    re-flight against a bare flight of the same epoch with the figures at their values gives
    the ratio by which they move availability and dose; with workloads the delivered share
    is moved by the same ratio as availability (an approximation: a scheduler may place
    around a throttled satellite)."""
    out = dict(data, workload=[], screening=None, night_sky=None)
    out["network"] = dict(data.get("network") or {}, isl=[])
    return representative(out)[0]


def epoch_plan(scenario: Scenario, epochs: int = DEFAULT_EPOCHS,
               hours: float | None = None) -> list[Epoch]:
    """The epochs to fly (see the module docstring). Raises :class:`ScenarioError` naming
    ``--epochs`` / ``--epoch-hours`` for a plan that cannot be flown."""
    from orbitdc.model.scenario import parse_scenario

    if not 1 <= epochs <= MAX_EPOCHS:
        raise ScenarioError(scenario.source, [(
            "--epochs", f"must be between 1 and {MAX_EPOCHS} (got {epochs})")])
    hours = min(scenario.duration_h, DEFAULT_EPOCH_HOURS) if hours is None else hours
    if not scenario.step_s / 3600.0 <= hours <= 24.0 * 366:
        raise ScenarioError(scenario.source, [(
            "--epoch-hours", f"must be at least one step ({scenario.step_s:g} s) and at most a "
            f"year (got {hours:g} h)")])
    life = scenario.economics.lifetime_years
    base = scenario.model_dump()
    # The epochs fly for the economics only: no close-approach screening or night sky.
    base.update(screening=None, night_sky=None)
    base, _thinned = representative(base)
    days, year_beta = year_beta_deg(parse_scenario(base, source=scenario.source,
                                                   base_dir=scenario.base_dir))
    offsets, levels = choose_days(days, year_beta, epochs)
    tod = times_of_day(epochs)
    finite = year_beta[np.isfinite(year_beta)]
    year = ((float(finite.min()), float(finite.max())) if finite.size
            else (math.nan, math.nan))
    plan = []
    for k in range(epochs):
        q = (k + 0.5) / epochs
        start = scenario.start + dt.timedelta(days=float(offsets[k] + tod[k]))
        age = q * life
        data = dict(base, start=start, duration_h=hours)
        data["satellite"] = {
            name: dict(spec, age_years=spec.get("age_years", 0.0) + age)
            for name, spec in base.get("satellite", {}).items()
        }
        sc = parse_scenario(data, source=scenario.source, base_dir=scenario.base_dir)
        lo, hi, median = _beta_range_deg(sc)
        plan.append(Epoch(index=k, start=start, age_years=age, beta_deg=(lo, hi),
                          data=data, beta_median_deg=median, beta_level=float(levels[k]),
                          beta_year_deg=year))
    return plan
