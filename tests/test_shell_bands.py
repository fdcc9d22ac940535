"""A Walker shell over an altitude band and an inclination range (a filing's "shells of up
to 50 km", its groups "at 26-32 deg"): the planes spread evenly over the band, each plane's
satellites at its altitude and inclination, checked on the propagated orbits; a band given
high-to-low is refused naming the key."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import orbitdc
from orbitdc.core.constants import WGS72_RADIUS_KM
from orbitdc.model import ScenarioError
from orbitdc.sim.fleet import build_fleet


def _scenario(altitude, inclination, planes=5, per_plane=4, phasing=1):
    return orbitdc.parse_scenario({
        "name": "band", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 0.5,
        "step_s": 60.0,
        "fleet": [{"name": "g1", "kind": "walker", "altitude_km": altitude,
                   "inclination_deg": inclination, "planes": planes, "per_plane": per_plane,
                   "phasing": phasing}],
    })


def test_the_planes_spread_over_the_band_and_each_keeps_its_orbit():
    sc = _scenario([550.0, 568.0], [26.0, 32.0])
    fleet = build_fleet(sc)
    sats = fleet.satrec_list
    # SGP4's own elements (Kozai mean motion, inclination) back out each satellite's orbit.
    mu = 398600.8  # WGS-72, as the elements are made
    n = np.array([s.no_kozai for s in sats]) / 60.0
    alt = (mu / n**2) ** (1.0 / 3.0) - WGS72_RADIUS_KM
    inc = np.rad2deg([s.inclo for s in sats])
    per_plane_alt = alt.reshape(5, 4)
    per_plane_inc = inc.reshape(5, 4)
    # Within a plane: one orbit; across planes: the band's ends and even steps between.
    assert np.ptp(per_plane_alt, axis=1).max() < 1e-6
    assert np.ptp(per_plane_inc, axis=1).max() < 1e-9
    # The Kozai mean motion differs from the Brouwer one by the J2 term (~1e-3 relative at
    # these orbits), so the altitude recovered this way is within a few km of the set one;
    # the steps between planes are what the band says.
    np.testing.assert_allclose(per_plane_alt[:, 0] - per_plane_alt[0, 0],
                               np.linspace(0.0, 18.0, 5), atol=0.05)
    assert abs(per_plane_alt[0, 0] - 550.0) < 15.0
    np.testing.assert_allclose(per_plane_inc[:, 0], np.linspace(26.0, 32.0, 5), atol=1e-9)


def test_one_value_is_one_orbit_and_a_band_of_one_plane_takes_its_middle():
    one = build_fleet(_scenario(550.0, 53.0)).satrec_list
    assert len({round(s.no_kozai, 12) for s in one}) == 1
    mid = build_fleet(_scenario([550.0, 570.0], 53.0, planes=1, phasing=0)).satrec_list
    ref = build_fleet(_scenario(560.0, 53.0, planes=1, phasing=0)).satrec_list
    assert [s.no_kozai for s in mid] == [s.no_kozai for s in ref]


def test_the_five_year_rule_is_judged_plane_by_plane():
    """A band from 450 to 750 km straddles the altitude a satellite decays from within five
    years: its low planes pass the rule, its high ones fail, and the summary counts the
    failing satellites (a single-altitude shell at either end passes or fails whole)."""
    sat = {"accelerator": "nvidia-h100-sxm", "accelerators": 2, "bus_load_w": 300.0,
           "solar": {"rated_power_w": 4000.0}, "battery": {"capacity_wh": 6000.0},
           "radiator": {"area_m2": 8.0}}

    def rule(altitude):
        sc = orbitdc.parse_scenario({
            "name": "band", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC),
            "duration_h": 0.2, "step_s": 60.0, "satellite": {"sat": sat},
            "fleet": [{"name": "g1", "kind": "walker", "altitude_km": altitude,
                       "inclination_deg": 53.0, "planes": 10, "per_plane": 2, "phasing": 1,
                       "satellite": "sat"}],
        })
        res = orbitdc.simulate(sc)
        f = res.summary["sustainability"]["fleets"]["g1"]
        return f["five_year_rule"], f, res.summary["warnings"]

    low, _, _ = rule(450.0)
    high, _, _ = rule(750.0)
    band, f, warnings = rule([450.0, 750.0])
    assert low["passive"] is True and high["passive"] is False
    assert band["passive"] is False
    # The planes above the altitude that decays within five years fail, two satellites each.
    worst = band["worst_failing"]
    limit_km = worst["accelerated"]["to_altitude_km"]
    planes = np.linspace(450.0, 750.0, 10)
    assert 450.0 < limit_km < 750.0
    assert band["satellites_failing"] == 2 * int(np.sum(planes > limit_km))
    assert worst["altitude_km"] == pytest.approx(750.0) and worst["decay_years"] > 5.0
    assert worst["accelerated"]["delta_v_m_s"] > 0 and worst["controlled"]["delta_v_m_s"] > 0
    line = next(w for w in warnings if "five" in w or "5-year" in w)
    assert f"{band['satellites_failing']} of 20 satellites fail" in line
    assert "from 750 km" in line and " 0.0 m/s" not in line
    assert abs(f["altitude_km"] - 600.0) < 1e-9


@pytest.mark.parametrize("key,value", [("altitude_km", [568.0, 550.0]),
                                       ("inclination_deg", [32.0, 26.0]),
                                       ("altitude_km", [550.0, 560.0, 570.0])])
def test_a_band_must_be_low_then_high(key, value):
    kw = {"altitude": [550.0, 568.0], "inclination": 53.0}
    kw["altitude" if key == "altitude_km" else "inclination"] = value
    with pytest.raises(ScenarioError, match=rf"fleet\.0\.{key}"):
        _scenario(kw["altitude"], kw["inclination"])
