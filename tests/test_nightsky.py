"""The night sky: the diffuse-sphere magnitude against an independent integration and the full
Moon; the Sun's altitude and a satellite's elevation at an observatory against skyfield; the
section in a run."""

from __future__ import annotations

import datetime as dt
import json
import math
import textwrap
from importlib.resources import files

import numpy as np
import pytest
from sgp4 import exporter
from typer.testing import CliRunner

from orbitdc.cli import app
from orbitdc.core import orbits
from orbitdc.core.constants import AU_KM, WGS84_RADIUS_KM
from orbitdc.core.frames import geodetic_to_ecef, teme_to_ecef, up_vectors
from orbitdc.core.nightsky import (
    M_SUN_V,
    diffuse_sphere_magnitude,
    elevation_rad,
    lambert_phase,
    phase_angle_rad,
)
from orbitdc.core.sun import shadow_fraction, sun_position_km
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
from orbitdc.model.nightsky import OBSERVATORIES


def test_lambert_phase_against_integration_over_the_sphere():
    """Sum the Lambert reflection of every surface element lit by the Sun and facing the
    observer (radiance albedo * E cos(i) / pi, projected area cos(e) dA) and compare with the
    closed-form phase law, at several phase angles."""
    n = 600
    th = (np.arange(n) + 0.5) * np.pi / n
    ph = (np.arange(2 * n) + 0.5) * np.pi / n
    t, p = np.meshgrid(th, ph, indexing="ij")
    normal = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1)
    d_area = np.sin(t) * (np.pi / n) ** 2  # unit sphere
    sun = np.array([1.0, 0.0, 0.0])
    for alpha in np.deg2rad([0.0, 30.0, 60.0, 90.0, 135.0]):
        obs = np.array([math.cos(alpha), math.sin(alpha), 0.0])
        ci = np.clip(normal @ sun, 0, None)
        ce = np.clip(normal @ obs, 0, None)
        # Reflected intensity per unit solar irradiance, per unit albedo, over area pi r^2.
        intensity = np.sum(ci * ce / np.pi * d_area) / np.pi
        assert lambert_phase(alpha) == pytest.approx(intensity, rel=2e-3), np.rad2deg(alpha)


def test_full_moon_as_a_lambert_sphere():
    """The full Moon: geometric albedo 0.12 (NASA Moon fact sheet; a Lambert sphere's Bond
    albedo is 3/2 of it), radius 1,737.4 km, mean distance 384,400 km: V = -12.74 (Allen's
    Astrophysical Quantities, 4th ed., table 12.11). The Sun's distance from the Moon is 1 au,
    as the model assumes."""
    area = math.pi * (1737.4e3) ** 2
    m = diffuse_sphere_magnitude(0.0, 384_400.0, area, 1.5 * 0.12)
    assert float(m) == pytest.approx(-12.74, abs=0.05)
    assert M_SUN_V == -26.76


#: Starlink v1.5 ("Post-VisorSat") as Fankhauser, Tyson & Askari 2023 ("Satellite Optical
#: Brightness", AJ 166, 59; their repository Forrest-Fankhauser/satellite-optical-brightness)
#: describe it: chassis nadir face 3.64 m^2, solar array 22.68 m^2 (perpendicular to the
#: chassis, edge-on to an observer straight below), and the area x albedo product of a diffuse
#: sphere fitted to their own Pomenis photometry (Mt Lemmon, AB magnitudes): 0.649 m^2.
STARLINK_V15_CHASSIS_M2 = 3.64
STARLINK_V15_SPHERE_AREA_ALBEDO_M2 = 0.649
#: Mallama & Respler 2022 (arXiv:2210.17268), characteristic magnitudes (V, mean brightness
#: of a satellite overhead at the end of astronomical twilight): Original 4.7, VisorSat 6.2,
#: Post-VisorSat 5.5. Gen 1 shells near 550 km.
MALLAMA_POST_VISORSAT_V = 5.5


def _overhead_at_end_of_twilight(height_km=550.0, sun_elevation_deg=-18.0):
    """Observer on the equator, a satellite at its zenith, the Sun at -18 deg in the same
    vertical plane: (satellite, Sun, observer) positions in one Earth-centred frame."""
    obs = np.array([WGS84_RADIUS_KM, 0.0, 0.0])
    sat = obs + np.array([height_km, 0.0, 0.0])
    e = math.radians(sun_elevation_deg)
    sun = obs + AU_KM * np.array([math.sin(e), math.cos(e), 0.0])
    return sat, sun, obs


def test_starlink_characteristic_magnitude_from_published_area_and_albedo():
    """Validation, not a fit: the diffuse sphere with Fankhauser et al.'s inputs (fitted to
    *their* photometry, not to Mallama's), at Mallama & Respler's characteristic geometry,
    against Mallama & Respler's Post-VisorSat 5.5. Measured: the model is 0.63 mag too
    bright (4.87); with the chassis area and orbitdc's default albedo 0.2, 0.75 too bright
    (4.75). Asserted within 0.8 and 0.9 mag, so a drift of the model beyond its stated error
    fails. Neglected: V vs the AB band of Pomenis (~0.1-0.2 mag), the real phase law
    (Starlink scatters forward: Mallama 2021), extinction at the zenith (~0.15 mag)."""
    sat, sun, obs = _overhead_at_end_of_twilight()
    assert float(shadow_fraction(sat[None], sun[None])[0]) == 0.0  # sunlit at 550 km
    alpha = phase_angle_rad(sat, sun, obs)
    assert math.degrees(alpha) == pytest.approx(72.0, abs=0.01)
    rng = float(np.linalg.norm(sat - obs))
    fitted = float(diffuse_sphere_magnitude(
        alpha, rng, STARLINK_V15_CHASSIS_M2,
        STARLINK_V15_SPHERE_AREA_ALBEDO_M2 / STARLINK_V15_CHASSIS_M2))
    default_albedo = float(diffuse_sphere_magnitude(alpha, rng, STARLINK_V15_CHASSIS_M2, 0.2))
    assert fitted == pytest.approx(4.87, abs=0.01)
    assert default_albedo == pytest.approx(4.75, abs=0.01)
    assert abs(fitted - MALLAMA_POST_VISORSAT_V) < 0.8
    assert abs(default_albedo - MALLAMA_POST_VISORSAT_V) < 0.9
    # Counting the solar array in the cross-section (26.3 m^2) would make it 2.6 mag: 2.9 mag
    # too bright, which is why a type's night-sky area should be what faces the ground.
    both = float(diffuse_sphere_magnitude(alpha, rng, STARLINK_V15_CHASSIS_M2 + 22.68, 0.2))
    assert MALLAMA_POST_VISORSAT_V - both > 2.5


@pytest.fixture(scope="module")
def sky():
    api = pytest.importorskip("skyfield.api")
    pytest.importorskip("skyfield_data")
    kernel = api.Loader(str(files("skyfield_data") / "data"), verbose=False,
                        expire=False)("de421.bsp")
    yield api, api.load.timescale(builtin=True), kernel
    kernel.close()  # an unclosed file is a ResourceWarning, an error under filterwarnings


def test_sun_altitude_and_satellite_elevation_at_rubin_against_skyfield(sky):
    api, ts, eph = sky
    lat, lon, alt_m, _ = OBSERVATORIES["rubin"]
    start = dt.datetime(2026, 3, 20, 0, 0, tzinfo=dt.UTC)
    t_s = np.arange(0.0, 12 * 3600.0, 600.0)
    ep = epoch_jd(start)
    jd, fr = jd_pair(ep, t_s)
    site = geodetic_to_ecef(math.radians(lat), math.radians(lon), alt_m / 1000.0)
    up = up_vectors(math.radians(lat), math.radians(lon))
    g = gmst_rad(jd, fr)
    sun_alt = np.rad2deg(elevation_rad(teme_to_ecef(sun_position_km(jd, fr), g), site, up))
    times = ts.from_datetimes([start + dt.timedelta(seconds=float(s)) for s in t_s])
    topos = api.wgs84.latlon(lat, lon, elevation_m=alt_m)
    ref = (eph["earth"] + topos).at(times).observe(eph["sun"]).apparent().altaz()[0].degrees
    # Refraction is not in either figure (apparent() without a temperature); the low-precision
    # Sun and UT1 = UTC account for the rest.
    assert np.max(np.abs(sun_alt - ref)) < 0.05
    # A satellite: a 550 km, 53 deg orbit, from its TLE in both.
    el = orbits.CircularElements(
        altitude_km=np.array([550.0]), inclination_rad=np.deg2rad([53.0]),
        raan_rad=np.array([4.0]), mean_anomaly_rad=np.array([1.0]), ecc=np.zeros(1),
        argp_rad=np.zeros(1))
    sat = orbits.satrecs_from_elements(el, ep)[0]
    l1, l2 = exporter.export_tle(sat)
    from sgp4.api import Satrec

    sat = Satrec.twoline2rv(l1, l2)
    _, r, _ = sat.sgp4_array(jd, fr)
    mine = np.rad2deg(elevation_rad(teme_to_ecef(r, g), site, up))
    theirs = (api.EarthSatellite(l1, l2, ts=ts) - topos).at(times).altaz()[0].degrees
    assert np.max(np.abs(mine - theirs)) < 0.05


SCENARIO = textwrap.dedent("""
    name = "sky"
    start = 2026-06-21T00:00:00Z
    duration_h = 6.0
    step_s = 60.0

    [[fleet]]
    name = "shell"
    kind = "walker"
    altitude_km = 550.0
    inclination_deg = 53.0
    planes = 24
    per_plane = 20
    phasing = 1

    [night_sky]
    observatories = ["rubin", "la-palma"]
    area_m2 = 20.0
    site = [{ name = "home", lat_deg = 52.2, lon_deg = 0.12, alt_m = 20.0 }]
    """)


def test_night_sky_section_in_a_run(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "--epochs",
                                   "0"])
    assert res.exit_code == 0, res.output
    sky = json.loads((tmp_path / "o" / "summary.json").read_text())["night_sky"]
    assert set(sky["sites"]) == {"rubin", "la-palma", "home"}
    rubin = sky["sites"]["rubin"]
    # 00-06 UTC in June is night in Chile (winter, sunset ~22 UTC, sunrise ~11 UTC): six
    # whole hours and the run's last sample, at 06:00.
    assert rubin["night_hours"] == 7 and rubin["hours"][-1]["night_samples"] == 1
    for h in rubin["hours"]:
        assert 0 <= h["brighter_than_limit_mean"] <= h["sunlit_above_min_elevation_mean"]
    # Midsummer at 52 N: the Sun goes no lower than -14.4 deg, never to -18 (astronomical), so there is no night to count.
    assert sky["sites"]["home"]["night_hours"] == 0
    assert "night sky" in res.output


def test_unknown_observatory_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace('"la-palma"', '"atlantis"'), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and "night_sky" in res.output and "atlantis" in res.output
