"""The design life sampled, not extrapolated: short flights at epochs spread over the year (so
over eclipse seasons and, for inclined orbits, the beta-angle cycle) and over the satellites'
age (so over the array's degradation), whose availability, throttling, upsets and dose are
averaged into what the cost model uses, with their spread.

This module plans the epochs and aggregates what they found; flying them, on the sweep engine,
is ``orbitdc.study.lifetime`` one layer up.

Plan, for ``n`` epochs over a life of ``L`` years: epoch ``k`` starts ``(k + 0.5) / n`` of a
year after the scenario's start (stratified over the seasons) with its satellites aged
``age_years + (k + 0.5) / n x L`` (stratified over the life). Each flies ``hours`` (default:
the scenario's duration, at most :data:`DEFAULT_EPOCH_HOURS`).

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

__all__ = ["DEFAULT_EPOCH_HOURS", "DEFAULT_EPOCHS", "Epoch", "LifetimeSample", "epoch_plan"]

#: Defaults of ``orbitdc cost`` and ``orbitdc run``: cheap enough for CI; ask for more with
#: ``--epochs`` and ``--epoch-hours``.
DEFAULT_EPOCHS = 4
DEFAULT_EPOCH_HOURS = 2.0
#: Most epochs one sample may fly.
MAX_EPOCHS = 1000


@dataclass(frozen=True)
class Epoch:
    index: int
    start: dt.datetime
    age_years: float  # added to each type's own age_years
    beta_deg: tuple[float, float]  # |beta| over the fleet at the start: (min, max)
    data: dict  # the scenario of this epoch, as data


@dataclass
class LifetimeSample:
    """What the epochs found. ``outcomes[k]``: epoch ``k``'s ``{"fleet": [per type], "bus":
    {...}, "duration_h"}`` (the summary sections of its run)."""

    epochs_planned: list[Epoch]
    outcomes: list[dict]
    hours_each: float
    parallel: str  # how they were flown: "dask (N workers)" or "in process"
    notes: list[str] = field(default_factory=list)

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

    def section(self, scenario: Scenario) -> dict:
        """The ``lifetime`` part of the economics section: how many epochs, each one's
        figures, and their spread."""
        accelerators = sum(t.spec.accelerators * n for t, n in _type_counts(scenario))
        rows = []
        for ep, out in zip(self.epochs_planned, self.outcomes):
            bus = out.get("bus") or {}
            sat_h = max(bus.get("satellites_with_bus", 0), 1) * out["duration_h"]
            acc_h = max(accelerators, 1) * out["duration_h"]
            rows.append({
                "epoch": ep.index,
                "start": ep.start.isoformat().replace("+00:00", "Z"),
                "age_years": round(ep.age_years, 4),
                "beta_deg_min": round(ep.beta_deg[0], 2),
                "beta_deg_max": round(ep.beta_deg[1], 2),
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
        return {"epochs": self.epochs, "hours_each": self.hours_each,
                "flown": self.parallel, "per_epoch": rows, "spread": spread,
                "notes": list(self.notes)}


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


def _beta_range_deg(scenario: Scenario) -> tuple[float, float]:
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
    return (float(beta.min()), float(beta.max())) if beta.size else (math.nan, math.nan)


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
    plan = []
    for k in range(epochs):
        q = (k + 0.5) / epochs
        start = scenario.start + dt.timedelta(days=q * 365.25)
        age = q * life
        data = dict(base, start=start, duration_h=hours)
        data["satellite"] = {
            name: dict(spec, age_years=spec.get("age_years", 0.0) + age)
            for name, spec in base.get("satellite", {}).items()
        }
        sc = parse_scenario(data, source=scenario.source, base_dir=scenario.base_dir)
        plan.append(Epoch(index=k, start=start, age_years=age, beta_deg=_beta_range_deg(sc),
                          data=data))
    return plan
