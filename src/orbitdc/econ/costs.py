"""The cost section of a run: the TCO model applied to a scenario and what its simulation
found (availability, dose-limited lifetime)."""

from __future__ import annotations

import math

import numpy as np

from orbitdc.econ.tco import (
    FleetItem,
    break_even_launch_price,
    launched_power_price,
    sweep_launch_price,
    tco,
)
from orbitdc.econ.uncertainty import monte_carlo, physical_inputs
from orbitdc.model.economics import SOURCES
from orbitdc.model.errors import ScenarioError
from orbitdc.model.scenario import Scenario

__all__ = ["cost_section", "fleet_items"]


def fleet_items(scenario: Scenario, results=None, used_share=None) -> list[FleetItem]:
    """One item per satellite type in use, with the simulation's availability and dose
    lifetime when ``results`` are given (else nameplate: availability 1, no dose limit), and
    with ``used_share`` (S,), the share of each satellite's accelerator-hours its workloads
    used, the utilisation the run delivered (else the economics input ``utilisation``)."""
    types = scenario.fleet_types()
    per_type: dict[str, list[int]] = {}
    index = 0
    for f, t in zip(scenario.fleet, types):
        n = f.count
        if t is not None:
            per_type.setdefault(f.satellite, []).extend(range(index, index + n))
        index += n
    avail = dose = None
    if results is not None and "compute_available_mean" in results.satellites.column_names:
        avail = results.satellites.column("compute_available_mean").to_numpy()
        dose = results.satellites.column("dose_lifetime_years").to_numpy()
    items = []
    for k, (name, rows) in enumerate(per_type.items()):
        rows = np.asarray(rows)
        items.append(
            FleetItem(
                name=name,
                satellite=scenario.satellite_types[name],
                count=rows.size,
                availability=float(np.nanmean(avail[rows])) if avail is not None else 1.0,
                dose_lifetime_years=float(np.nanmin(dose[rows])) if dose is not None else math.inf,
                stations=len(scenario.ground_station) if k == 0 else 0,
                utilisation=(float(np.mean(np.asarray(used_share)[rows]))
                             if used_share is not None else None),
            )
        )
    return items


def _r(x, digits=6):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), digits)


def cost_section(scenario: Scenario, results=None, used_share=None, *, lifetime=None,
                 uncertainty: bool = True, samples: int | None = None,
                 samples_key: str = "economics.uncertainty.samples",
                 check_only: bool = False) -> dict:
    """The ``economics`` section of ``summary.json``. Raises :class:`ScenarioError` when the
    scenario has nothing to cost. ``used_share`` (S,): the share of each satellite's
    accelerator-hours the run's workloads used; with it, delivered hours are the work the
    simulation delivered, not the nameplate ``utilisation``. ``lifetime``: a
    :class:`~orbitdc.econ.lifetime.LifetimeSample`, whose epochs then give availability, the
    delivered share and the dose limit instead of ``results``. ``uncertainty``: add the Monte
    Carlo over the estimated inputs (``samples`` draws, else the scenario's).
    ``check_only``: raise what the Monte Carlo would refuse (ranges, the sample count)
    without running it; the section then has no tornado or uncertainty."""
    if lifetime is not None:
        items = lifetime.items(scenario, delivered_from_workloads=bool(scenario.workload))
        if used_share is None and scenario.workload:
            used_share = True  # the epochs' workloads delivered it
    else:
        items = fleet_items(scenario, results, used_share)
    if not items:
        raise ScenarioError(
            scenario.source,
            [("satellite", "the cost model needs satellites with a type ([satellite.NAME])")],
        )
    econ = scenario.economics
    try:
        res = tco(items, econ)
    except ValueError as exc:
        raise ScenarioError(scenario.source, [("economics.accelerator_usd", str(exc))]) from None
    delivers = res.orbit_hours > 0 and res.ground_hours > 0
    be = break_even_launch_price(items, econ) if delivers else None
    kw_years = res.array_kw * econ.lifetime_years
    launched = launched_power_price(res.launched_mass_kg, res.array_kw, econ.lifetime_years,
                                    econ.launch_usd_per_kg)
    section = {
        "inputs": econ.model_dump(),
        "sources": SOURCES,
        "delivered_from": "workloads" if used_share is not None else "utilisation input",
        "fleet": [
            {"satellite_type": i.name, "satellites": i.count, "availability": _r(i.availability),
             "utilisation": _r(i.utilisation if i.utilisation is not None
                               else econ.utilisation * i.availability),
             "dose_lifetime_years": _r(i.dose_lifetime_years)}
            for i in items
        ],
        "orbit_usd": {k: _r(v, 2) for k, v in res.orbit.items()},
        "ground_usd": {k: _r(v, 2) for k, v in res.ground.items()},
        "orbit_total_usd": _r(res.orbit_total_usd, 2),
        "ground_total_usd": _r(res.ground_total_usd, 2),
        "orbit_usd_per_accelerator_hour": _r(res.orbit_usd_per_hour),
        "ground_usd_per_accelerator_hour": _r(res.ground_usd_per_hour),
        "orbit_to_ground_ratio": _r(res.ratio),
        "orbit_usd_per_kw_year": _r(res.orbit_total_usd / kw_years),
        "launched_power_usd_per_kw_year": _r(launched),
        "launched_mass_kg": _r(res.launched_mass_kg, 3),
        "array_kw": _r(res.array_kw, 3),
        "ground_it_mw": _r(res.it_mw),
        "generations": res.generations,
        "replacement_years": _r(res.replacement_years),
        "break_even_launch_usd_per_kg": _r(be, 2) if be is not None else None,
        "break_even_note": (
            "no accelerator-hours are delivered (no accelerators, or utilisation 0)"
            if not delivers
            else "orbit is dearer than the ground even with free launch" if be is None
            else ("orbit is cheaper than the ground at any launch price" if math.isinf(be)
                  else None)
        ),
        "launch_price_sweep": [
            {"launch_usd_per_kg": p, "orbit_usd_per_accelerator_hour": _r(o),
             "ground_usd_per_accelerator_hour": _r(g)}
            for p, o, g in sweep_launch_price(items, econ)
        ],
        "tornado": [],
        "uncertainty": None,
        "carbon": {
            "orbit_launch_t_co2": _r(res.orbit_co2_t, 3),
            "ground_grid_t_co2": _r(res.ground_co2_t, 3),
            "orbit_g_co2_per_accelerator_hour": _r(res.orbit_co2_t * 1e6 / max(
                res.orbit_hours, 1e-9)),
            "ground_g_co2_per_accelerator_hour": _r(res.ground_co2_t * 1e6 / max(
                res.ground_hours, 1e-9)),
        },
        "notes": res.notes,
        "lifetime": (lifetime.section(scenario) if lifetime is not None else {
            "epochs": 0, "note": ("flight figures from this run alone" if results is not None
                                  else "nameplate: no flight")}),
    }
    if delivers:
        flown = physical = ptornado = None
        if lifetime is not None and (lifetime.flight_outcomes or lifetime.tornado):
            delivered = bool(scenario.workload)
            physical = physical_inputs(scenario)
            if uncertainty:
                flown = lifetime.flown(scenario, delivered_from_workloads=delivered)
            ptornado = lifetime.tornado_flown(scenario, delivered_from_workloads=delivered)
        if check_only:
            monte_carlo(items, econ, samples=samples, source=scenario.source,
                        samples_key=samples_key, check_only=True)
            return section
        mc = monte_carlo(items, econ, samples=0 if not uncertainty else samples,
                         source=scenario.source, samples_key=samples_key, flown=flown,
                         physical=physical, physical_tornado=ptornado)
        section["tornado"] = mc["tornado"]
        if uncertainty:
            section["uncertainty"] = mc
    return section
