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
from orbitdc.core.lifetime import (
    DecayProfile,
    altitude_for_decay_time_km,
    decay_profile,
    decay_time_s,
    hohmann_delta_v_km_s,
    perigee_lowering_delta_v_km_s,
    propellant_kg,
)
from orbitdc.model.scenario import ClusterFleet, ElementsFleet, Scenario, SsoFleet, WalkerFleet
from orbitdc.model.sustainability import FCC_LEO_CEILING_KM

__all__ = ["GRID_BOTTOM_KM", "GRID_STEP_KM", "sustainability_section", "sustainability_warnings"]

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
        out_fleets[fleet.name] = entry
    return {
        "model": "NRLMSIS 2.1 orbit-averaged density, King-Hele circular decay to "
                 f"{cfg.reentry_altitude_km:g} km; activity levels of ECSS-E-ST-10-04C",
        "activity_levels": {k: {"f107_sfu": v.f107_sfu, "f107a_sfu": v.f107a_sfu, "ap": v.ap}
                            for k, v in ACTIVITY_LEVELS.items()},
        "reentry_altitude_km": cfg.reentry_altitude_km,
        "fleets": out_fleets,
    }


def sustainability_warnings(section: dict) -> list[str]:
    """One line per fleet that fails the rule without propulsive disposal."""
    lines = []
    for name, f in section["fleets"].items():
        rule = f.get("five_year_rule") or {}
        if rule.get("passive") is not False:
            continue
        acc, ctrl = f["disposal"]["accelerated"], f["disposal"]["controlled"]
        lines.append(
            f"fleet {name}: passive decay from {f['altitude_km']:g} km takes "
            f"{f['decay_years'][rule['solar_activity']]:.3g} years at {rule['solar_activity']} "
            f"solar activity, more than the {rule['limit_years']:g}-year rule allows: it needs "
            f"{acc['delta_v_m_s']:.1f} m/s to drop to {acc['to_altitude_km']:.0f} km, or "
            f"{ctrl['delta_v_m_s']:.1f} m/s for a controlled re-entry"
        )
    return lines
