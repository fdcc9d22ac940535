"""The summary's ``sustainability`` section: per fleet (shell), the drag it flies with, its
passive decay time at low, moderate and high solar activity, the FCC five-year rule, and the
delta-v and propellant of a controlled or an accelerated disposal.

Kernels: ``orbitdc.core.atmosphere`` (NRLMSIS 2.1 averaged along the orbit) and
``orbitdc.core.lifetime`` (King-Hele decay, impulsive manoeuvres). Loops run per fleet and
per activity level; satellites are arrays. Validation: ``docs/validation.md``.
"""

from __future__ import annotations

import math

import numpy as np

from orbitdc.core import orbits
from orbitdc.core.atmosphere import ACTIVITY_LEVELS, orbit_mean_density_kg_m3
from orbitdc.core.constants import SECONDS_PER_YEAR, WGS72_RADIUS_KM
from orbitdc.core.debris import catastrophic_diameter_m, interpolate_flux, poisson_at_least_one
from orbitdc.core.lifetime import (
    DecayProfile,
    altitude_for_decay_time_km,
    decay_profile,
    decay_time_s,
    hohmann_delta_v_km_s,
    perigee_lowering_delta_v_km_s,
    propellant_kg,
)
from orbitdc.model.debris import (
    HIGH_INCLINATION_DEG,
    IMPACT_SPEED_HIGH_KM_S,
    IMPACT_SPEED_LOW_KM_S,
    flux_table,
)
from orbitdc.model.scenario import ClusterFleet, ElementsFleet, Scenario, SsoFleet, WalkerFleet
from orbitdc.model.sustainability import FCC_LEO_CEILING_KM

__all__ = ["GRID_BOTTOM_KM", "GRID_STEP_KM", "small_debris_section", "sustainability_section",
           "sustainability_warnings"]

#: The height grid of the decay integral: from below any re-entry height, every 20 km.
GRID_BOTTOM_KM = 80.0
GRID_STEP_KM = 20.0


def _num(x, digits: int = 6):
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def _fleet_orbits(scenario: Scenario):
    """Per fleet: (altitude_km array, inclination_deg, ballistic array or None, bstar array,
    dry mass or None, where the drag comes from)."""
    out = []
    bstar_by_fleet = [
        float(orbits.bstar_from_ballistic(t.ballistic_m2_per_kg)) if t is not None else 0.0
        for t in scenario.fleet_types()
    ]
    for fleet, sat_type, bstar in zip(scenario.fleet, scenario.fleet_types(), bstar_by_fleet,
                                      strict=True):
        mass = sat_type.mass.total_kg if sat_type is not None else None
        if isinstance(fleet, ElementsFleet):
            sats = [s for _, s in fleet.records]
            a_er = np.array([s.a for s in sats])
            alt = (a_er - 1.0) * WGS72_RADIUS_KM
            inc = float(np.median(np.rad2deg([s.inclo for s in sats])))
            bs = np.array([s.bstar for s in sats])
            ballistic = np.where(bs > 0, orbits.ballistic_from_bstar(bs), np.nan)
            out.append((alt, inc, ballistic, bs, mass, "element sets (B* as given)"))
            continue
        if isinstance(fleet, WalkerFleet):  # each plane at its own (a band spread over them)
            alt = np.repeat(fleet.plane_altitudes_km, fleet.per_plane)
            inc = float(np.median(fleet.plane_inclinations_deg))
        elif isinstance(fleet, SsoFleet) or fleet.ltan_h is not None:
            alt = np.full(fleet.count, float(fleet.altitude_km))
            inc = float(np.rad2deg(orbits.sun_synchronous_inclination_rad(fleet.altitude_km)))
        else:  # a cluster on a given inclination
            alt = np.full(fleet.count, float(fleet.altitude_km))
            inc = float(fleet.inclination_deg)
        if sat_type is None:
            out.append((alt, inc, None, np.zeros(fleet.count), None, "none (no satellite type)"))
            continue
        b = sat_type.ballistic_m2_per_kg
        source = ("ballistic_coefficient_m2_per_kg" if sat_type.spec.ballistic_coefficient_m2_per_kg
                  else f"Cd {sat_type.spec.drag_coefficient:g} x {sat_type.drag_area_m2:.4g} m^2"
                  + ("" if sat_type.spec.drag_area_m2 else " (default area)")
                  + f" / {mass:.4g} kg")
        out.append((alt, inc, np.full(fleet.count, b), np.full(fleet.count, bstar), mass, source))
    return out


def _median(a) -> float | None:
    a = np.asarray(a, float)
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else None


def sustainability_section(scenario: Scenario) -> dict:
    """The summary's ``sustainability`` section (see the module docstring)."""
    cfg = scenario.sustainability
    verdict_level = cfg.solar_activity
    fleets = _fleet_orbits(scenario)
    top = max((min(float(np.nanmax(f[0])), FCC_LEO_CEILING_KM) for f in fleets), default=0.0)
    top = max(top, cfg.reentry_altitude_km) + 2 * GRID_STEP_KM
    grid = np.arange(GRID_BOTTOM_KM, top + GRID_STEP_KM, GRID_STEP_KM)
    profiles: dict[tuple[float, str], DecayProfile] = {}

    def profile(inc: float, level: str) -> DecayProfile:
        key = (round(inc, 1), level)
        if key not in profiles:
            rho = orbit_mean_density_kg_m3(grid, inc, ACTIVITY_LEVELS[level])
            profiles[key] = decay_profile(grid, rho)
        return profiles[key]

    max_s = cfg.max_disposal_years * SECONDS_PER_YEAR
    out_fleets = {}
    for fleet, (alt, inc, ballistic, bstar, mass, source) in zip(scenario.fleet, fleets,
                                                                   strict=True):
        entry: dict = {
            "kind": fleet.kind,
            "satellite_type": fleet.satellite,
            "satellites": int(alt.size),
            "altitude_km": _num(_median(alt), 3),
            "inclination_deg": _num(inc, 3),
            "bstar_per_earth_radius": _num(_median(bstar), 9),
            "ballistic_m2_per_kg": _num(_median(ballistic), 6) if ballistic is not None else None,
            "drag_from": source,
            "flown_with_drag": bool(np.any(bstar != 0)) and not isinstance(fleet, ClusterFleet),
            "dry_mass_kg": _num(mass, 3),
        }
        in_leo = alt <= FCC_LEO_CEILING_KM
        if ballistic is None or not np.isfinite(ballistic).any():
            entry.update(decay_years=None, five_year_rule={
                "applies": bool(in_leo.all()),
                "passive": None,
                "note": "no drag data (no satellite type, or no positive B*): lifetime unknown",
            }, disposal=None)
            out_fleets[fleet.name] = entry
            continue
        years = {}
        for level in ACTIVITY_LEVELS:
            t = decay_time_s(profile(inc, level), np.minimum(alt, FCC_LEO_CEILING_KM),
                             cfg.reentry_altitude_km, ballistic)
            years[level] = np.where(in_leo, t / SECONDS_PER_YEAR, np.nan)
        entry["decay_years"] = {k: _num(_median(v), 4) for k, v in years.items()}
        passes = years[verdict_level] <= cfg.max_disposal_years
        rule = {
            "applies": bool(in_leo.any()),
            "limit_years": cfg.max_disposal_years,
            "solar_activity": verdict_level,
            "passive": None if not in_leo.any() else bool(np.all(passes[in_leo])),
            "passive_at": {k: (None if not in_leo.any() else
                               bool(np.all(v[in_leo] <= cfg.max_disposal_years)))
                           for k, v in years.items()},
        }
        if alt.size > 1 and np.unique(alt).size > 1:
            rule["satellites_failing"] = int(np.sum(in_leo & ~passes))
        entry["five_year_rule"] = rule
        # Controlled re-entry: one burn down to the disposal perigee.
        dv_ctrl = perigee_lowering_delta_v_km_s(alt, cfg.disposal_perigee_km)
        # Accelerated: a Hohmann transfer down to the height that decays within the limit.
        target = altitude_for_decay_time_km(profile(inc, verdict_level), max_s,
                                            cfg.reentry_altitude_km, ballistic)
        target = np.where(passes | ~in_leo, alt, np.minimum(target, alt))
        dv_acc = np.where(passes, 0.0, hohmann_delta_v_km_s(alt, target))

        def burn(dv):
            d = {"delta_v_m_s": _num(_median(dv * 1000.0), 3)}
            d["propellant_kg"] = (_num(_median(propellant_kg(mass, dv, cfg.isp_s)), 3)
                                  if mass is not None else None)
            return d

        entry["disposal"] = {
            "isp_s": cfg.isp_s,
            "controlled": {"perigee_km": cfg.disposal_perigee_km} | burn(dv_ctrl),
            "accelerated": {"to_altitude_km": _num(_median(np.where(in_leo, target, np.nan)), 3)}
            | burn(np.where(in_leo, dv_acc, np.nan)),
        }
        failing = in_leo & ~passes
        if rule.get("satellites_failing"):
            # A fleet over a band of altitudes: the medians above may pass while its higher
            # planes fail; the worst failing satellite says what they need.
            worst = int(np.flatnonzero(failing)[np.argmax(alt[failing])])
            rule["worst_failing"] = {
                "altitude_km": _num(float(alt[worst]), 3),
                "decay_years": _num(float(years[verdict_level][worst]), 4),
                "accelerated": {"to_altitude_km": _num(float(target[worst]), 3)}
                | burn(dv_acc[worst:worst + 1]),
                "controlled": burn(dv_ctrl[worst:worst + 1]),
            }
        out_fleets[fleet.name] = entry
    return {
        "small_debris": small_debris_section(scenario, fleets),
        "model": "NRLMSIS 2.1 orbit-averaged density, King-Hele circular decay to "
                 f"{cfg.reentry_altitude_km:g} km; activity levels of ECSS-E-ST-10-04C",
        "activity_levels": {k: {"f107_sfu": v.f107_sfu, "f107a_sfu": v.f107a_sfu, "ap": v.ap}
                            for k, v in ACTIVITY_LEVELS.items()},
        "reentry_altitude_km": cfg.reentry_altitude_km,
        "fleets": out_fleets,
    }


def small_debris_section(scenario: Scenario, fleets=None) -> dict:
    """The ``sustainability.small_debris`` part: per fleet (a shell of one satellite type),
    the flux of untracked debris above the table's size threshold at its altitude and
    inclination (ESA MASTER-8, ``orbitdc.model.debris``), the expected impacts a year on one
    satellite and on the whole shell (flux x the type's mean cross-section, its
    ``drag_area_m2``), the chance of at least one over the design life, and the size a
    catastrophic impact needs (the energy-to-mass criterion). A fleet outside the table gets
    no figures and a ``outside`` note naming the key; ``sustainability_warnings`` repeats it."""
    cfg = scenario.sustainability
    table = flux_table()
    life = (cfg.design_life_years if cfg.design_life_years is not None
            else scenario.economics.lifetime_years)
    life_from = ("sustainability.design_life_years" if cfg.design_life_years is not None
                 else "economics.lifetime_years")
    fleets = fleets if fleets is not None else _fleet_orbits(scenario)
    threshold_cm = table.size_threshold_m * 100.0
    out = {}
    for idx, (fleet, sat_type, (alt, inc, _b, _bs, mass, _src)) in enumerate(
            zip(scenario.fleet, scenario.fleet_types(), fleets, strict=True)):
        entry: dict = {"satellite_type": fleet.satellite, "satellites": int(alt.size),
                       "altitude_km": _num(_median(alt), 3), "inclination_deg": _num(inc, 3)}
        key = (f"fleet.{idx}" if isinstance(fleet, ElementsFleet)
               else f"fleet.{idx}.altitude_km")
        lo, hi = table.altitude_km[0], table.altitude_km[-1]
        problem = None
        if np.any(alt < lo) or np.any(alt > hi):
            problem = (f"{key}: altitude {float(np.nanmin(alt)):.0f}-{float(np.nanmax(alt)):.0f} km"
                       f" is outside the debris flux table ({lo:.0f}-{hi:.0f} km)")
        elif not table.inclination_deg[0] <= inc <= table.inclination_deg[-1]:
            ikey = (f"fleet.{idx}" if isinstance(fleet, ElementsFleet)
                    else f"fleet.{idx}.inclination_deg")
            problem = (f"{ikey}: inclination {inc:.1f} deg is outside the debris flux table "
                       f"({table.inclination_deg[0]:.0f}-{table.inclination_deg[-1]:.0f} deg)")
        if problem is not None:
            entry["outside"] = problem
            out[fleet.name] = entry
            continue
        flux = interpolate_flux(table.altitude_km, table.inclination_deg,
                                table.flux_per_m2_year, alt, inc)
        entry["flux_per_m2_year"] = _num(float(np.mean(flux)), 9)
        speed = (cfg.debris_impact_speed_km_s if cfg.debris_impact_speed_km_s is not None
                 else IMPACT_SPEED_HIGH_KM_S if inc >= HIGH_INCLINATION_DEG
                 else IMPACT_SPEED_LOW_KM_S)
        entry["impact_speed_km_s"] = speed
        if sat_type is None:
            entry["note"] = "no satellite type: no cross-section, so no impact figures"
            out[fleet.name] = entry
            continue
        area = float(sat_type.drag_area_m2)
        rate = flux * area  # impacts a year on each satellite
        p_life = poisson_at_least_one(rate, life)
        d_cat_cm = float(catastrophic_diameter_m(mass, speed, cfg.debris_density_kg_m3,
                                                 cfg.catastrophic_energy_j_per_g)) * 100.0
        entry.update(
            cross_section_m2=_num(area, 6),
            cross_section_from=("drag_area_m2" if sat_type.spec.drag_area_m2 is not None
                                else "drag_area_m2 default (half the panels' one-sided area)"),
            impacts_per_year=_num(float(np.mean(rate)), 9),
            impacts_per_year_fleet=_num(float(np.sum(rate)), 9),
            years_between_impacts_fleet=_num(1.0 / float(np.sum(rate)), 4),
            p_impact_design_life=_num(float(np.mean(p_life)), 9),
            p_any_impact_fleet_design_life=_num(
                float(poisson_at_least_one(np.sum(rate), life)), 9),
            dry_mass_kg=_num(mass, 3),
            catastrophic_diameter_cm=_num(d_cat_cm, 4),
        )
        # The table has one size: debris of the catastrophic size or more is a subset of
        # debris above the threshold (an upper bound) when that size is larger, a superset
        # (a lower bound) when it is smaller.
        entry["p_catastrophic_design_life"] = {
            "value": entry["p_impact_design_life"],
            "bound": "upper" if d_cat_cm >= threshold_cm else "lower",
        }
        out[fleet.name] = entry
    return {
        "model": table.model,
        "source": table.source,
        "size_threshold_cm": threshold_cm,
        "design_life_years": life,
        "design_life_from": life_from,
        "catastrophic_energy_j_per_g": cfg.catastrophic_energy_j_per_g,
        "debris_density_kg_m3": cfg.debris_density_kg_m3,
        "fleets": out,
    }


def sustainability_warnings(section: dict) -> list[str]:
    """One line per fleet that fails the rule without propulsive disposal, and one per fleet
    the debris flux table does not cover."""
    lines = [f"small debris: {f['outside']}; no impact figures for fleet {name}"
             for name, f in section.get("small_debris", {}).get("fleets", {}).items()
             if "outside" in f]
    for name, f in section["fleets"].items():
        rule = f.get("five_year_rule") or {}
        if rule.get("passive") is not False:
            continue
        acc, ctrl = f["disposal"]["accelerated"], f["disposal"]["controlled"]
        altitude, years = f["altitude_km"], f["decay_years"][rule["solar_activity"]]
        who = f"fleet {name}:"
        worst = rule.get("worst_failing")
        if worst is not None:  # a band: its failing planes, by the worst of them
            acc, ctrl = worst["accelerated"], worst["controlled"]
            altitude, years = worst["altitude_km"], worst["decay_years"]
            who = (f"fleet {name}: {rule['satellites_failing']} of {f['satellites']} "
                   f"satellites fail;")
        lines.append(
            f"{who} passive decay from {altitude:g} km takes "
            f"{years:.3g} years at {rule['solar_activity']} "
            f"solar activity, more than the {rule['limit_years']:g}-year rule allows: it needs "
            f"{acc['delta_v_m_s']:.1f} m/s to drop to {acc['to_altitude_km']:.0f} km, or "
            f"{ctrl['delta_v_m_s']:.1f} m/s for a controlled re-entry"
        )
    return lines
