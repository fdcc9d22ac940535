"""The summary's ``night_sky`` section: per observatory site and per UTC hour of the run
whose samples fall in the night (the Sun below ``sun_below_deg``), how many satellites are
sunlit above ``min_elevation_deg``, and how many of those are brighter than
``magnitude_limit`` as diffuse spheres (``orbitdc.core.nightsky``).

Geometry as the engine's: SGP4 in TEME, rotated to Earth-fixed by GMST (``orbitdc.core.frames``),
the Sun from ``orbitdc.core.sun`` (its conical shadow gives the lit fraction). Loops run per
time chunk; satellites are arrays. Validation: docs/validation.md.
"""

from __future__ import annotations

import math

import numpy as np

from orbitdc.core.frames import geodetic_to_ecef, teme_to_ecef, up_vectors
from orbitdc.core.nightsky import diffuse_sphere_magnitude, elevation_rad, phase_angle_rad
from orbitdc.core.orbits import propagate
from orbitdc.core.sun import shadow_fraction, sun_position_km
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair, to_datetime64
from orbitdc.model.errors import ScenarioError
from orbitdc.model.nightsky import OBSERVATORIES
from orbitdc.model.scenario import Scenario
from orbitdc.sim.fleet import build_fleet

__all__ = ["night_sky_section"]

#: Samples per propagation chunk (satellites x this many times at once).
CHUNK_SAMPLES = 120


def _sites(cfg):
    out = [(name, *OBSERVATORIES[name][:3], OBSERVATORIES[name][3]) for name in cfg.observatories]
    out += [(s.name, s.lat_deg, s.lon_deg, s.alt_m, "given in the scenario") for s in cfg.site]
    return out


def _areas(scenario: Scenario, fleet, cfg) -> np.ndarray:
    types = scenario.fleet_types()
    per_fleet = []
    for i, (f, t) in enumerate(zip(scenario.fleet, types, strict=True)):
        if cfg.area_m2 is not None:
            per_fleet.append(cfg.area_m2)
        elif t is not None:
            per_fleet.append(t.drag_area_m2)
        else:
            raise ScenarioError(scenario.source, [("night_sky.area_m2", (
                f"fleet {f.name!r} (fleet.{i}) has no satellite type to take an area from: "
                "give night_sky.area_m2"))])
    return np.asarray(per_fleet, float)[fleet.fleet_index]


def night_sky_section(scenario: Scenario) -> dict:
    """The ``night_sky`` section (see the module docstring)."""
    cfg = scenario.night_sky
    fleet = build_fleet(scenario)
    area = _areas(scenario, fleet, cfg)
    sites = _sites(cfg)
    lat = np.deg2rad([s[1] for s in sites])
    lon = np.deg2rad([s[2] for s in sites])
    site_ecef = geodetic_to_ecef(lat, lon, np.array([s[3] for s in sites]) / 1000.0)  # (G, 3)
    up = up_vectors(lat, lon)  # (G, 3)
    epoch = epoch_jd(scenario.start)
    t = np.arange(0.0, scenario.duration_s + 1e-9, cfg.step_s)
    start_offset_h = (scenario.start.minute * 60 + scenario.start.second) / 3600.0
    hour = np.floor(t / 3600.0 + start_offset_h).astype(np.int64)
    n_g = len(sites)
    sun_alt = np.empty((n_g, t.size))
    lit_up = np.zeros((n_g, t.size), np.int64)
    bright = np.zeros((n_g, t.size), np.int64)
    min_el = math.radians(cfg.min_elevation_deg)
    for c0 in range(0, t.size, CHUNK_SAMPLES):
        tc = t[c0:c0 + CHUNK_SAMPLES]
        jd, fr = jd_pair(epoch, tc)
        err, r, _ = propagate(fleet.satrecs, jd, fr)  # (S, T, 3) TEME
        sun = sun_position_km(jd, fr)  # (T, 3) TEME
        lit = 1.0 - shadow_fraction(r, sun[None, :, :])  # (S, T)
        g = gmst_rad(jd, fr)
        r_e = teme_to_ecef(r, g)  # (S, T, 3)
        sun_e = teme_to_ecef(sun, g)  # (T, 3)
        for k in range(n_g):
            sun_alt[k, c0:c0 + tc.size] = elevation_rad(sun_e, site_ecef[k], up[k])
            el = elevation_rad(r_e, site_ecef[k], up[k])  # (S, T)
            seen = (el > min_el) & (lit > 0) & np.isfinite(el)
            lit_up[k, c0:c0 + tc.size] = seen.sum(axis=0)
            rng = np.linalg.norm(r_e - site_ecef[k], axis=-1)
            alpha = phase_angle_rad(r_e, sun_e[None], site_ecef[k])
            mag = diffuse_sphere_magnitude(alpha, rng, area[:, None], cfg.albedo, lit)
            bright[k, c0:c0 + tc.size] = (seen & (mag < cfg.magnitude_limit)).sum(axis=0)
    night = sun_alt < math.radians(cfg.sun_below_deg)
    out_sites = {}
    base = np.datetime64(scenario.start.replace(minute=0, second=0, microsecond=0,
                                                tzinfo=None), "h")
    for k, (name, la, lo, alt_m, source) in enumerate(sites):
        hours = []
        for h in np.unique(hour):
            m = (hour == h) & night[k]
            if not m.any():
                continue
            hours.append({
                "hour": str(base + np.timedelta64(int(h), "h")) + ":00Z",
                "night_samples": int(m.sum()),
                "sunlit_above_min_elevation_mean": round(float(lit_up[k, m].mean()), 3),
                "sunlit_above_min_elevation_max": int(lit_up[k, m].max()),
                "brighter_than_limit_mean": round(float(bright[k, m].mean()), 3),
                "brighter_than_limit_max": int(bright[k, m].max()),
            })
        out_sites[name] = {"lat_deg": la, "lon_deg": lo, "alt_m": alt_m, "source": source,
                           "night_hours": len(hours), "hours": hours}
    return {
        "model": f"diffuse (Lambert) sphere, Bond albedo {cfg.albedo:g}, cross-section "
                 + (f"{cfg.area_m2:g} m^2" if cfg.area_m2 is not None
                    else "each satellite type's drag area")
                 + f"; V magnitude of the Sun {-26.76:g}; no extinction, no glints",
        "night": f"Sun below {cfg.sun_below_deg:g} deg at the site",
        "min_elevation_deg": cfg.min_elevation_deg,
        "magnitude_limit": cfg.magnitude_limit,
        "step_s": cfg.step_s,
        "sites": out_sites,
        "end": str(to_datetime64(scenario.start, np.array([t[-1]]))[0]) + "Z",
    }
