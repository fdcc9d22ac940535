"""The spacecraft bus: energy balance, state-of-charge bounds, thermal equilibrium, orbit-average
generation, upset statistics, radiation against AP-8 and Suncatcher, and design checks."""

from __future__ import annotations

import copy
import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app
from orbitdc.core import power, radiation, thermal
from orbitdc.core.constants import SOLAR_IRRADIANCE_W_PER_M2, STEFAN_BOLTZMANN_W_PER_M2_K4
from orbitdc.core.orbits import orbital_period_s
from orbitdc.core.power import PowerStep, solar_flux_w_per_m2
from orbitdc.core.sun import eclipse_fraction_cylindrical, sun_position_km
from orbitdc.core.time import epoch_jd, jd_pair
from orbitdc.model.environment import trapped_proton_table
from orbitdc.sim import bus as bus_mod

AUTHORITIES = Path(__file__).parent / "authorities"


def _scenario(satellite: dict, fleet: dict | None = None, **top):
    data = {
        "name": "bus",
        "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC),
        "duration_h": 6.0,
        "step_s": 10.0,
        "satellite": {"sat": satellite},
        "fleet": [
            fleet
            or {"name": "s", "kind": "sso", "altitude_km": 650.0, "ltan_h": 18.0, "satellite": "sat"}
        ],
        "output": {"every_s": 10.0},
    }
    data.update(top)
    return orbitdc.parse_scenario(data)


BASE = {
    "accelerator": "nvidia-h100-sxm",
    "accelerators": 4,
    "bus_load_w": 300.0,
    "solar": {"rated_power_w": 6000.0},
    "battery": {"capacity_wh": 5000.0},
    "radiator": {"area_m2": 10.0},
}


# --- power --------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    gen=st.lists(st.floats(0.0, 5000.0), min_size=1, max_size=40),
    capacity=st.floats(0.0, 3000.0),
    soc0=st.floats(0.0, 1.0),
    min_soc=st.floats(0.0, 0.9),
    eff_c=st.floats(0.5, 1.0),
    eff_d=st.floats(0.5, 1.0),
    bus_w=st.floats(0.0, 2000.0),
    n_acc=st.integers(0, 8),
    idle=st.floats(0.0, 200.0),
    extra=st.floats(0.0, 800.0),
    demand=st.floats(0.0, 1.0),
    dt_s=st.floats(1.0, 600.0),
    rate_c=st.sampled_from([np.inf, 2.0, 0.5, 0.05]),
    fade=st.sampled_from([0.0, 1e-4, 0.02]),
)
def test_energy_balance_closes_and_soc_stays_in_bounds(
    gen, capacity, soc0, min_soc, eff_c, eff_d, bus_w, n_acc, idle, extra, demand, dt_s,
    rate_c, fade,
):
    """Over any sequence of steps, with C-rate limits and a capacity that fades step by step:
    generated = used + stored + losses + faded + curtailed (to rounding); the battery, which
    ``power_step`` does not clip, stays within [0, capacity now]; it goes below the reserve
    only for the bus; cell power stays within the C-rates."""
    one = np.ones(1)
    battery = one * soc0 * capacity
    start = battery.copy()
    total = {"gen": 0.0, "used": 0.0, "loss": 0.0, "curt": 0.0}
    rate_w = rate_c * capacity if np.isfinite(rate_c) else np.inf
    for k, g in enumerate(gen):
        cap = capacity * max(1.0 - fade * k, 0.0)
        before = min(float(battery[0]), cap)
        step = power.power_step(
            dt_s, one * g, battery, one * cap, one * min_soc, one * eff_c, one * eff_d,
            one * bus_w, one * n_acc, one * idle, one * (idle + extra), one * demand,
            charge_max_w=one * rate_w, discharge_max_w=one * rate_w,
        )
        battery = step.battery_wh
        dt_h = dt_s / 3600.0
        total["gen"] += g * dt_h
        total["used"] += float(step.load_w[0] * dt_h - step.bus_unserved_wh[0])
        total["loss"] += float(step.losses_wh[0] + step.faded_wh[0])
        total["curt"] += float(step.curtailed_wh[0])
        tol = 1e-9 * max(capacity, 1.0)
        assert -tol <= battery[0] <= cap + tol
        assert abs(battery[0] - before) <= rate_w * dt_h + tol  # within the C-rate
        assert step.curtailed_wh[0] >= 0 and step.losses_wh[0] >= -1e-12
        if step.compute_w[0] > 0 and before > min_soc * cap + 1e-9:
            # Compute never drives the battery below the reserve.
            assert battery[0] >= min_soc * cap - 1e-6 * max(capacity, 1.0)
    stored = float(battery[0] - start[0])
    balance = total["used"] + stored + total["loss"] + total["curt"]
    assert balance == pytest.approx(total["gen"], abs=1e-6 * max(total["gen"], 1.0))


def test_energy_balance_closes_over_a_whole_run():
    res = orbitdc.simulate(_scenario(BASE, fleet={
        "name": "s", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0, "satellite": "sat",
    }))
    b = res.summary["bus"]
    assert res.summary["kpis"]["eclipses"] >= 3
    balance = (b["energy_used_kwh"] + b["battery_change_kwh"] + b["energy_losses_kwh"]
               + b["energy_curtailed_kwh"])
    # The summary rounds each figure to 1e-6 kWh.
    assert balance == pytest.approx(b["energy_generated_kwh"], abs=5e-6)
    assert 0.0 <= b["soc_min"] < 1.0
    ts = res.timeseries
    soc = ts.column("battery_wh").to_numpy() / 5000.0
    assert np.all((soc >= -1e-12) & (soc <= 1.0 + 1e-12))


def test_orbit_average_generation_matches_eclipse_fraction_closed_form():
    """A sun-tracking array over whole orbits: mean output = rated x flux ratio x (1 - f(beta)),
    f the cylindrical-shadow eclipse fraction. 0.3 % covers the conical penumbra (counted half,
    symmetric) and SGP4's radius variations."""
    sat = copy.deepcopy(BASE) | {"accelerators": 0, "bus_load_w": 10.0}
    sc = _scenario(sat, fleet={"name": "s", "kind": "sso", "altitude_km": 550.0,
                               "ltan_h": 12.0, "satellite": "sat"}, duration_h=12.0, step_s=5.0)
    res = orbitdc.simulate(sc)
    ts = res.timeseries
    t = ts.column("time").cast("int64").to_numpy() / 1e6
    t -= t[0]
    p = ts.column("power_in_w").to_numpy()
    alt = ts.column("alt_km").to_numpy()
    beta = np.deg2rad(ts.column("beta_deg").to_numpy())
    period = float(orbital_period_s(550.0))
    n_orbits = int(t[-1] // period)
    keep = t <= n_orbits * period
    mean_p = np.trapezoid(p[keep], t[keep]) / t[keep][-1]
    sun = sun_position_km(*jd_pair(epoch_jd(sc.start), np.array([t[-1] / 2])))
    flux = float(solar_flux_w_per_m2(np.linalg.norm(sun)))
    rated = sc.satellite_types["sat"].rated_power_w
    expected = rated * flux / SOLAR_IRRADIANCE_W_PER_M2 * (
        1.0 - eclipse_fraction_cylindrical(np.mean(alt), np.mean(beta))
    )
    assert mean_p == pytest.approx(expected, rel=3e-3)


# --- thermal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("heat_w", [300.0, 2000.0, 8000.0])
def test_lumped_node_settles_at_the_stefan_boltzmann_equilibrium(heat_w):
    area, eps = 6.0, 0.9
    expected = (heat_w / (eps * STEFAN_BOLTZMANN_W_PER_M2_K4 * area) + 2.725**4) ** 0.25
    t = np.array([200.0])
    for _ in range(2000):
        t = thermal.step_temperature(t, np.array([heat_w]), 2e5, area, eps, 60.0)
    assert t[0] == pytest.approx(expected, abs=0.5)
    assert thermal.equilibrium_temperature_k(heat_w, area, eps) == pytest.approx(expected)


def test_engine_temperature_reaches_the_closed_form():
    """Radiator out of the Sun and the Earth (view factors 0): the node settles where the
    constant electrical load equals the emitted heat, within 0.5 K."""
    sat = copy.deepcopy(BASE) | {"heat_capacity_j_per_k": 2e4}
    sat["radiator"] = {"area_m2": 10.0, "earth_view_factor": 0.0, "sun_view_factor": 0.0}
    res = orbitdc.simulate(_scenario(sat, duration_h=3.0))
    resolved = res.scenario.satellite_types["sat"]
    load = 300.0 + 4 * resolved.accelerator.power_load_w
    expected = thermal.equilibrium_temperature_k(load, 10.0, resolved.emissivity)
    temperature = res.timeseries.column("temperature_k").to_numpy()
    assert temperature[-1] == pytest.approx(expected, abs=0.5)
    assert res.timeseries.column("load_w").to_numpy()[-1] == pytest.approx(load)


def test_radiator_reproduces_starcloud_worked_example_from_its_stated_inputs():
    """Starcloud white paper v1.03 pp. 8-9, from its own inputs only: a two-sided radiator at
    20 C (293.15 K), emissivity 0.92, absorptivity 0.09, Earth view factor 0.25, albedo 0.3,
    solar constant 1366 W/m^2, the Earth a -20 C (253.15 K) blackbody; printed: 770.48 W/m^2
    emitted (both faces), 122.94 absorbed from the Sun (one face), 14.46 from the Earth's
    albedo and infrared, net 633.08 W per m^2 of planform.

    One m^2 of planform is 2 m^2 of radiating area: the Sun on one face (sun_view 0.5), the
    view factor 0.25 once per planform (0.125 per radiating m^2). The paper's 14.46 comes out
    only when the solar absorptivity 0.09 is applied to the Earth's infrared too (albedo 9.22
    + infrared 5.24); by Kirchhoff's law a surface absorbs infrared at its infrared emissivity
    (0.92), which gives an Earth term of 62.78 and a net of 584.76 W/m^2 (1,710 m^2 per MW
    instead of 1,580). Both are computed here from the stated inputs; nothing is back-solved."""
    sigma = STEFAN_BOLTZMANN_W_PER_M2_K4
    eps, alpha, view, albedo, solar = 0.92, 0.09, 0.25, 0.3, 1366.0
    earth_ir = sigma * 253.15**4
    emitted = 2 * eps * sigma * 293.15**4
    assert emitted == pytest.approx(770.48, abs=0.05)
    sun = 2 * thermal.environment_heat_w(1.0, alpha, eps, 0.5, 0.0, solar, 1.0, 1.0)
    assert sun == pytest.approx(122.94, abs=0.005)

    def earth(ir_absorptivity):
        return 2 * thermal.environment_heat_w(
            1.0, alpha, eps, 0.0, view / 2, solar, 0.0, 1.0, albedo=albedo,
            earth_ir_w_per_m2=earth_ir, ir_absorptivity=ir_absorptivity)

    assert earth(alpha) == pytest.approx(14.46, abs=0.01)  # the paper's arithmetic
    absorbed = (sun + earth(alpha)) / 2  # per m^2 of radiating area
    area = thermal.radiator_area_m2(633.08, 293.15, eps, absorbed_w_per_m2=absorbed, sink_k=0.0)
    assert area == pytest.approx(2.0, abs=0.001)  # 2 m^2 radiating = 1 m^2 planform
    # Kirchhoff: the infrared absorbed at eps.
    assert earth(None) == pytest.approx(62.78, abs=0.01)
    net = emitted - sun - earth(None)
    assert net == pytest.approx(584.76, abs=0.05)
    assert 1e6 / net == pytest.approx(1710.0, abs=1.0)
    assert np.isinf(thermal.radiator_area_m2(100.0, 150.0, 0.9, absorbed_w_per_m2=500.0))


def _view_factor_by_quadrature(radius_km, tilt_rad, n=400):
    """(1/pi) x integral of cos(angle to the plate's normal) over the directions that hit the
    Earth, by Gauss-Legendre quadrature over the cone the Earth fills (an independent
    computation of the configuration factor)."""
    half = np.arcsin(6378.137 / radius_km)
    x, w = np.polynomial.legendre.leggauss(n)
    th = 0.5 * half * (x + 1.0)
    wt = 0.5 * half * w
    ps = np.linspace(0.0, 2 * np.pi, 2 * n, endpoint=False)
    th_g, ps_g = np.meshgrid(th, ps, indexing="ij")
    cos_n = np.cos(th_g) * np.cos(tilt_rad) + np.sin(th_g) * np.sin(tilt_rad) * np.cos(ps_g)
    integrand = np.maximum(cos_n, 0.0) * np.sin(th_g)
    return float(np.sum(integrand * wt[:, None]) * (2 * np.pi / (2 * n)) / np.pi)


@pytest.mark.parametrize("altitude_km", [400.0, 550.0, 1200.0, 35786.0])
@pytest.mark.parametrize("tilt_deg", [0.0, 30.0, 70.0, 90.0, 115.0, 150.0])
def test_plate_earth_view_factor_matches_quadrature(altitude_km, tilt_deg):
    """The closed form (plane element to sphere) against direct integration, to 1e-4; nadir
    faces give (R/r)^2 and edge-on faces near 550 km Starcloud's 0.25."""
    r = 6378.137 + altitude_km
    got = float(thermal.plate_earth_view_factor(r, np.deg2rad(tilt_deg)))
    assert got == pytest.approx(_view_factor_by_quadrature(r, np.deg2rad(tilt_deg)), abs=1e-4)
    if tilt_deg == 0.0:
        assert got == pytest.approx((6378.137 / r) ** 2, rel=1e-12)
    if tilt_deg == 90.0 and altitude_km == 550.0:
        assert got == pytest.approx(0.258, abs=0.001)


def test_earth_view_factor_is_applied_once():
    """The Earth's infrared on a radiator is eps x OLR x F, F the view factor given, at any
    altitude: no second altitude dilution (before issue 15 it was multiplied by
    ((R + 30 km) / r)^2 as well, 17 % less at 650 km)."""
    for radius in (6778.0, 7028.0, 7578.0):
        got = thermal.environment_heat_w(2.0, 0.2, 0.9, 0.0, 0.25, 1361.0, 0.0, 0.0)
        assert float(got) == pytest.approx(2.0 * 0.9 * 240.0 * 0.25, rel=1e-12), radius


def test_two_node_steady_state_matches_the_closed_form():
    """Radiator out of the Sun and the Earth, the chips across a 30 K gradient at full load:
    the radiator settles at the Stefan-Boltzmann equilibrium of the whole load, and the chips
    may run full only while radiator + P/G stays below their junction limit. With a radiator
    large enough, full load and a radiator 30 K colder than the chips' limit would allow;
    with one too small, compute settles where T_rad(P) + P/G = T_junction (solved here by
    bisection, independently of the engine), within 0.5 K and 2 % of load."""
    from scipy.optimize import brentq

    sat = copy.deepcopy(BASE) | {"heat_capacity_j_per_k": 2e4}
    sat["radiator"] = {"area_m2": 4.0, "earth_view_factor": 0.0, "sun_view_factor": 0.0,
                       "gradient_k": 30.0}
    res = orbitdc.simulate(_scenario(sat, duration_h=3.0))
    t = res.scenario.satellite_types["sat"]
    g = t.conductance_w_per_k
    assert g == pytest.approx(4 * 700.0 / 30.0)
    eps, area, t_j = t.emissivity, 4.0, t.max_temperature_k
    idle = 4 * t.accelerator.power_idle_w

    def mismatch(p_w):  # chip temperature at compute heat p_w, less the limit
        return float(thermal.equilibrium_temperature_k(300.0 + p_w, area, eps)) + p_w / g - t_j

    p_eq = brentq(mismatch, idle, 4 * 700.0)
    t_rad = float(thermal.equilibrium_temperature_k(300.0 + p_eq, area, eps))
    temperature = res.timeseries.column("temperature_k").to_numpy()
    load = res.timeseries.column("load_w").to_numpy()
    assert temperature[-1] == pytest.approx(t_rad, abs=0.5)
    assert load[-1] - 300.0 == pytest.approx(p_eq, rel=0.02)
    assert t_j - t_rad == pytest.approx(p_eq / g, abs=0.5)  # the chips at their limit
    assert res.summary["bus"]["hours_throttled_heat"] > 1.0


def test_radiative_cooling_matches_the_closed_form():
    """A node with no heat in, radiating to a 0 K sink, cools as
    t = C / (3 eps sigma A) (1 / T^3 - 1 / T0^3) (integrating C dT/dt = -eps sigma A T^4);
    backward Euler at 10 s steps is within 0.1 K of it after two hours (107 K of cooling),
    and its error halves with the step (first order, as the method is)."""
    c, area, eps, t0 = 5e4, 3.0, 0.85, 330.0
    k = eps * STEFAN_BOLTZMANN_W_PER_M2_K4 * area
    exact = (3 * k * 7200.0 / c + t0**-3) ** (-1 / 3)

    def error(dt_s):
        temp = np.array([t0])
        for _ in range(int(7200 / dt_s)):
            temp = thermal.step_temperature(temp, np.zeros(1), c, area, eps, dt_s, sink_k=0.0)
        return float(temp[0] - exact)

    e10, e5 = error(10.0), error(5.0)
    assert 0.0 < e10 < 0.1
    assert e5 == pytest.approx(e10 / 2, rel=0.05)


@pytest.mark.parametrize("turn_down", [1.0, 0.5, None])
def test_heaters_hold_the_minimum_temperature_with_bus_power(turn_down):
    """Accelerators off, a small bus, a big radiator out of the Sun: the node would settle far
    below 0 C; the thermostat holds it at the battery's 273.15 K, first turning the radiator
    down to ``f_min`` of its rejection, then with heaters drawing in steady state the closed
    form ``max(0, k f_min (T_min^4 - T_sink^4) - Q_internal - Q_env)`` with ``k = eps sigma
    A``, ``Q_env = eps OLR F A`` and, in eclipse, ``Q_internal = (P_bus + P_heater) / eta_d``
    (the battery's discharge losses heat the node too), every watt of it from the bus. No
    turn-down (1): some 2.1 kW of heaters; half: 0.7 kW; the default 1/6 (louvers, Gilmore's
    handbook): none, the turn-down alone holds 0 C. With heaters limited
    to 50 W the design is warned about before the run and freezes in it."""
    sat = copy.deepcopy(BASE) | {"accelerators": 0, "bus_load_w": 100.0,
                                 "heat_capacity_j_per_k": 2e4, "initial_temperature_k": 280.0}
    sat["radiator"] = {"area_m2": 10.0, "sun_view_factor": 0.0, "earth_view_factor": 0.25}
    if turn_down is not None:
        sat["radiator"]["turn_down"] = turn_down
    noon = {"name": "s", "kind": "sso", "altitude_km": 650.0, "ltan_h": 12.0,
            "satellite": "sat"}  # eclipses: the steady state in the dark is the closed form
    res = orbitdc.simulate(_scenario(sat, noon, duration_h=3.0))
    t = res.scenario.satellite_types["sat"]
    f_min = t.spec.radiator.turn_down
    assert f_min == pytest.approx(1.0 / 6.0 if turn_down is None else turn_down)
    assert t.min_temperature_k == pytest.approx(273.15)
    temperature = res.timeseries.column("temperature_k").to_numpy()
    load = res.timeseries.column("load_w").to_numpy()
    # Albedo adds a little in sunlight; in eclipse the heater makes up all of it.
    dark = res.timeseries.column("shadow").to_numpy() > 0.999
    assert dark.any()
    # Held to within the heater's sizing on the step's first flight (COLD_TOLERANCE_K).
    assert temperature.min() > 273.15 - 0.05
    assert temperature[dark][-1] == pytest.approx(273.15, abs=0.05)
    emit = t.emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * 10.0 * (273.15**4 - 2.725**4)
    ir = t.emissivity * 240.0 * 0.25 * 10.0
    # Internal heat in the dark: the bus and the heater, served from the battery, plus the
    # battery's discharge losses, (P_bus + P_heater) / eta_d.
    expected = max(0.0, t.discharge_efficiency * (f_min * emit - ir) - 100.0)
    # The last step that starts dark and ends dark (the very last dark sample's step runs
    # into sunlight, where the heater draws from the array, with no discharge losses).
    steady = dark & np.roll(dark, -1)
    heater_dark = load[steady][-1] - 100.0
    # The heater is sized twice a step: the second pass counts its own discharge losses,
    # which the first left out (0.5-1.5 % off).
    assert heater_dark == pytest.approx(expected, rel=1e-4, abs=0.01)
    assert (res.summary["bus"]["heater_kwh"] > 0) == (expected > 0)
    assert res.summary["bus"]["hours_below_min_temperature"] == 0.0
    if turn_down != 1.0:
        return
    from orbitdc.sim.design import validate_design

    sat["heater_max_w"] = 50.0
    sc = _scenario(sat, noon, duration_h=3.0)
    assert any("design freezes" in w for w in validate_design(sc))
    cold = orbitdc.simulate(sc)
    assert cold.summary["bus"]["temperature_min_k"] < 273.0
    assert any("design froze" in w for w in cold.summary["warnings"])


def test_heat_throttles_compute_at_the_limit():
    sat = copy.deepcopy(BASE) | {"accelerators": 8, "heat_capacity_j_per_k": 5e4,
                                 "solar": {"rated_power_w": 12000.0},
                                 "battery": {"capacity_wh": 20000.0}}
    sat["radiator"] = {"area_m2": 6.0}
    res = orbitdc.simulate(_scenario(sat))
    b = res.summary["bus"]
    t = res.scenario.satellite_types["sat"]
    limit = t.max_temperature_k
    assert b["hours_throttled_heat"] > 1.0
    # The radiator stays below the chips' limit; the chips, across the conductance, reach it.
    assert b["temperature_max_k"] < limit - 5.0
    ts = res.timeseries
    temperature = ts.column("temperature_k").to_numpy()
    chips = temperature + (ts.column("load_w").to_numpy() - 300.0) / t.conductance_w_per_k
    assert chips.max() == pytest.approx(limit, abs=1.0)
    assert 0.3 < b["compute_available_mean"] < 1.0
    assert any("throttled by heat" in w for w in res.summary["warnings"])


# --- radiation ----------------------------------------------------------------------------------


def _ap8_reference():
    with open(AUTHORITIES / "ap8min_orbit_average.csv") as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith(("#", "altitude"))]
    return [(float(a), float(i), float(m)) for a, i, m in rows]


@pytest.mark.parametrize(("altitude_km", "inclination_deg", "mean_flux"), _ap8_reference())
def test_proton_table_reproduces_ap8_orbit_averages(altitude_km, inclination_deg, mean_flux):
    """The shipped 2 deg table, interpolated, against AP-8 MIN evaluated directly on a 1 deg
    grid: long-term orbit averages within 10 %."""
    u = np.deg2rad(np.arange(0.0, 360.0, 1.0))
    lat = np.arcsin(np.sin(np.deg2rad(inclination_deg)) * np.sin(u))
    lon = np.deg2rad(np.arange(-180.0, 180.0, 1.0))
    la, lo = np.meshgrid(lat, lon)
    flux = radiation.trapped_proton_flux(la, lo, np.full(la.shape, altitude_km),
                                         trapped_proton_table())
    assert flux.mean() == pytest.approx(mean_flux, rel=0.10)


def test_south_atlantic_anomaly_is_where_ap8_puts_it():
    lat = np.deg2rad(np.arange(-60.0, 60.1, 1.0))
    lon = np.deg2rad(np.arange(-180.0, 180.0, 1.0))
    la, lo = np.meshgrid(lat, lon)
    flux = radiation.trapped_proton_flux(la, lo, np.full(la.shape, 500.0), trapped_proton_table())
    i = np.unravel_index(np.argmax(flux), flux.shape)
    assert np.rad2deg(la[i]) == pytest.approx(-34.0, abs=3.0)
    assert np.rad2deg(lo[i]) == pytest.approx(-33.0, abs=5.0)
    assert flux[i] == pytest.approx(2370.0, rel=0.1)  # AP-8 MIN peak at 500 km, 1 deg grid
    # Over Europe there are no trapped protons at 500 km.
    europe = radiation.trapped_proton_flux(np.deg2rad(50.0), np.deg2rad(10.0), 500.0,
                                           trapped_proton_table())
    assert europe < 1e-2


def test_suncatcher_orbit_dose_agrees_with_the_paper():
    """Suncatcher (arXiv:2511.19468): ~150 rad(Si)/yr behind ~10 mm Al at 650 km dawn-dusk.
    The dose is computed (AP-8 protons slowed down in the shielding, silicon's stopping
    power), not calibrated to this figure: an independent comparison. Measured: +30 % over
    two days (+23 % long-term); within the factor of 1.5 that separates LEO dose models."""
    sat = copy.deepcopy(BASE) | {"shielding_mm_al": 10.0}
    sc = _scenario(sat, duration_h=48.0, step_s=30.0, output={"satellites": "all", "every_s": 600.0})
    res = orbitdc.simulate(sc)
    assert 150.0 / 1.5 < res.summary["bus"]["dose_rad_per_year_max"] < 150.0 * 1.5


def test_upsets_match_the_configured_rate():
    """Counts of upsets over a fleet and a day against the integrated hazard (the expected
    count): within 4 standard deviations of a Poisson variable, and not under-dispersed."""
    part = {"kind": "accelerator", "bf16_dense_flops": 1e15, "power_load_w": 100.0,
            "power_idle_w": 10.0, "mass_kg": 1.0, "max_temperature_k": 360.0,
            "tid_tolerance_krad": 10.0, "see_cross_section_cm2": 0.0,
            "crash_cross_section_cm2": 4e-6}
    sat = copy.deepcopy(BASE) | {"accelerator": "flaky", "accelerators": 2}
    sc = _scenario(sat, fleet={"name": "w", "kind": "walker", "altitude_km": 550.0,
                               "inclination_deg": 53.0, "planes": 6, "per_plane": 5,
                               "satellite": "sat"},
                   duration_h=24.0, step_s=30.0, part={"flaky": part},
                   output={"satellites": ["w-0"], "every_s": 600.0})
    res = orbitdc.simulate(sc)
    observed = res.summary["bus"]["upsets"]
    expected = res.summary["bus"]["upsets_expected"]
    assert expected > 200
    assert abs(observed - expected) < 4.0 * np.sqrt(expected)
    faults = res.events.filter(np.asarray(res.events.column("kind").to_pylist()) == "fault")
    assert faults.num_rows == observed
    assert np.allclose(faults.column("duration_s").to_numpy()[:-5], 60.0)
    per_sat = np.asarray(res.satellites.column("upsets").to_numpy())
    per_exp = np.asarray(res.satellites.column("upsets_expected").to_numpy())
    chi2 = np.sum((per_sat - per_exp) ** 2 / per_exp)
    assert chi2 < 30 + 4 * np.sqrt(2 * 30)  # 30 satellites: chi-square with ~30 dof


def test_uniform_stream_is_uniform_and_independent_of_blocks():
    u = bus_mod.uniform_stream(7, np.arange(100_000), np.zeros(100_000, np.int64))
    assert 0.0 < u.min() and u.max() < 1.0
    hist, _ = np.histogram(u, bins=20, range=(0, 1))
    assert np.all(np.abs(hist - 5000) < 5 * np.sqrt(5000))
    again = bus_mod.uniform_stream(7, np.arange(50_000, 100_000), np.zeros(50_000, np.int64))
    np.testing.assert_array_equal(again, u[50_000:])
    assert not np.array_equal(bus_mod.uniform_stream(8, np.arange(10), np.zeros(10, int)), u[:10])


# --- design checks and catalogue ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"radiator": {"area_m2": 0.05}}, "satellite.sat.radiator.area_m2"),
        ({"battery": {"capacity_wh": 10.0}}, "satellite.sat.battery.capacity_wh"),
        ({"solar": {"rated_power_w": 50.0}}, "satellite.sat.solar"),
        ({"accelerator": "h200"}, "satellite.sat.accelerator"),
        ({"solar": {"rated_power_w": 50.0, "cell": "perovskite"}}, "satellite.sat.solar.cell"),
    ],
)
def test_impossible_designs_exit_2_naming_the_key(tmp_path, change, key):
    sat = copy.deepcopy(BASE) | change
    lines = [
        'name = "bad"', "start = 2026-06-21T00:00:00Z", "duration_h = 2.0", "step_s = 30.0",
        "[satellite.sat]",
    ]
    for k, v in sat.items():
        if isinstance(v, dict):
            inner = ", ".join(f"{a} = {b!r}".replace("'", '"') for a, b in v.items())
            lines.append(f"{k} = {{ {inner} }}")
        else:
            lines.append(f"{k} = {v!r}".replace("'", '"'))
    lines += ["[[fleet]]", 'name = "s"', 'kind = "sso"', "altitude_km = 550.0",
              "ltan_h = 12.0", 'satellite = "sat"']
    path = tmp_path / "bad.toml"
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"{path}: {key}" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_poor_designs_warn_in_the_summary():
    sat = copy.deepcopy(BASE) | {"battery": {"capacity_wh": 1500.0}}
    res = orbitdc.simulate(_scenario(sat, fleet={
        "name": "s", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0, "satellite": "sat",
    }))
    assert any("compute will throttle in eclipse" in w for w in res.summary["warnings"])
    assert res.summary["bus"]["hours_throttled_power"] > 0


def test_mass_rolls_up_from_the_parts():
    sc = _scenario(BASE)
    t = sc.satellite_types["sat"]
    m = t.mass
    assert m.accelerators_kg == pytest.approx(4 * t.accelerator.mass_kg)
    assert m.solar_kg == pytest.approx(t.solar_area_m2 * t.cell.areal_mass_kg_per_m2)
    assert m.battery_kg == pytest.approx(5000.0 / t.battery_cell.specific_energy_wh_per_kg)
    assert m.radiator_kg == pytest.approx(10.0 * t.panel.areal_mass_kg_per_m2)
    # 10 mm of aluminium around 0.045 m2 per accelerator; no links, so no terminals.
    assert m.shielding_kg == pytest.approx(4 * 0.045 * 0.010 * 2700.0)
    assert m.terminals_kg == 0.0
    parts = m.accelerators_kg + m.solar_kg + m.battery_kg + m.radiator_kg + m.shielding_kg
    assert m.structure_kg / m.total_kg == pytest.approx(0.25)
    assert m.total_kg == pytest.approx(parts / 0.75)
    summary = orbitdc.simulate(sc.model_copy(update={"duration_h": 0.5})).summary
    assert summary["satellite_types"]["sat"]["mass"]["total_kg"] == pytest.approx(m.total_kg)


def _long_term_dose(altitude_km, inclination_deg, shielding_mm=10.0):
    """Orbit-average dose rate (rad/yr) of a circular orbit: uniform longitude and argument
    of latitude, as in the AP-8 reference."""
    u = np.deg2rad(np.arange(0.0, 360.0, 2.0))
    lat = np.arcsin(np.sin(np.deg2rad(inclination_deg)) * np.sin(u))
    lon = np.deg2rad(np.arange(-180.0, 180.0, 2.0))
    la, lo = np.meshgrid(lat, lon)
    alt = np.full(la.shape, altitude_km)
    protons = radiation.trapped_proton_flux(la, lo, alt, trapped_proton_table())
    from orbitdc.core.frames import geodetic_to_ecef

    gcr = radiation.gcr_flux(geodetic_to_ecef(la, lo, alt))
    rate = radiation.dose_rate_rad_per_s(protons, gcr, shielding_mm)
    return float(rate.mean() * 365.25 * 86400.0)


@pytest.mark.parametrize(
    ("inclination_deg", "shielding_mm", "spenvis_rad_per_year"),
    [(50.0, 10.0, 177.0), (55.0, 10.0, 153.0), (95.0, 10.0, 112.0),
     (50.0, 20.0, 127.0), (55.0, 20.0, 110.0), (95.0, 20.0, 81.0)],
)
def test_dose_agrees_with_spenvis_shieldose_within_a_factor_of_1_6(
    inclination_deg, shielding_mm, spenvis_rad_per_year
):
    """SPENVIS 4.6.11 SHIELDOSE-2, 550 km, AP8-MIN + AE8-MAX, 10 and 20 mm Al (third-party
    runs, tests/authorities/radiation-figures.md b): an independent model, at an altitude
    and inclinations other than Suncatcher's; nothing is fitted to it. Measured: -15 to -17 %
    at 10 mm, -27 to -28 % at 20 mm (docs/validation.md)."""
    ours = _long_term_dose(550.0, inclination_deg, shielding_mm)
    assert spenvis_rad_per_year / 1.6 < ours < spenvis_rad_per_year * 1.6


def test_shielding_attenuates_dose_like_shieldose():
    """SHIELDOSE-2 at 550 km, 50 deg: 177 -> 127 rad/yr from 10 to 20 mm (x 1.39). The
    attenuation is computed by slowing the AP-8 spectrum down in aluminium (no fitted
    exponent): measured x 1.62, 16 % steeper; the exponential spectrum above ~60 MeV is
    softer than AP-8's, the likely cause."""
    ratio = _long_term_dose(550.0, 50.0, 10.0) / _long_term_dose(550.0, 50.0, 20.0)
    assert ratio == pytest.approx(177.0 / 127.0, rel=0.2)


@pytest.mark.parametrize(
    ("lat_m", "flux"),
    [(0, 0.11), (20, 0.17), (30, 0.30), (40, 0.67), (50, 1.9), (60, 3.7), (70, 3.8)],
)
def test_gcr_flux_follows_the_cutoff_table_at_650_km(lat_m, flux):
    """A consistency check, not a validation: the pass fractions are the same spectrum's
    (radiation-figures.md c), so this checks the dipole geometry, the cutoff formula and the
    Earth's shadow only. The orbit averages with IRBEM's field are the independent check
    (tests/test_radiation.py)."""
    from orbitdc.core.constants import WGS84_RADIUS_KM

    pole = radiation._DIPOLE_UNIT
    east = np.cross(pole, [0.0, 0.0, 1.0])
    east /= np.linalg.norm(east)
    lat = np.deg2rad(lat_m)
    r = (np.cos(lat) * east + np.sin(lat) * pole) * (WGS84_RADIUS_KM + 650.0)
    assert radiation.gcr_flux(r[None, :])[0] == pytest.approx(flux, rel=0.05)


def test_every_catalogue_figure_cites_its_source():
    from orbitdc.model.catalogue import shipped_catalogue

    cat = shipped_catalogue()
    kinds = {k for k, _, _ in cat}
    assert kinds == {"accelerator", "solar_cell", "battery", "radiator_coating", "radiator",
                     "terminal"}
    assert {"nvidia-h100-sxm", "nvidia-b200", "tpu-v6e"} <= set(cat.names("accelerator"))
    # A radiation-tolerant edge part: far higher dose tolerance than the data-centre parts.
    edge = [p for p in cat.parts["accelerator"].values() if p.tid_tolerance_krad >= 50]
    assert edge
    assert {"gaas-3j", "silicon"} <= set(cat.names("solar_cell"))
    for kind, name, part in cat:
        for field in part.numeric_fields():
            source = part.sources.get(field, "")
            assert source[:3] in {"[P]", "[S]", "[E]"}, f"{kind}.{name}.{field}: {source!r}"
            assert len(source) > 10, f"{kind}.{name}.{field} cites nothing"
    h100 = cat.get("accelerator", "nvidia-h100-sxm")
    assert h100.bf16_dense_flops == 989e12 and h100.power_load_w == 700.0  # datasheet, dense


def test_parts_command_lists_the_catalogue():
    result = CliRunner().invoke(app, ["parts"])
    assert result.exit_code == 0, result.output
    assert "nvidia-h100-sxm" in result.output and "gaas-3j" in result.output
    result = CliRunner().invoke(app, ["parts", "--kind", "accelerator", "--sources"])
    assert result.exit_code == 0
    assert "nvidia.com" in result.output
    assert "gaas-3j" not in result.output
    bad = CliRunner().invoke(app, ["parts", "--kind", "gpu"])
    assert bad.exit_code == 2


@settings(max_examples=12, deadline=None)
@given(
    n_acc=st.integers(0, 16),
    bus_w=st.floats(50.0, 3000.0),
    rated_w=st.floats(500.0, 30000.0),
    battery_wh=st.floats(500.0, 30000.0),
    min_soc=st.floats(0.0, 0.8),
    radiator_m2=st.floats(1.0, 60.0),
    tracking=st.booleans(),
    ltan_h=st.sampled_from([6.0, 10.5, 13.5, 18.0]),
    altitude_km=st.floats(400.0, 1200.0),
)
def test_energy_balance_closes_over_random_designs(
    n_acc, bus_w, rated_w, battery_wh, min_soc, radiator_m2, tracking, ltan_h, altitude_km
):
    """Whole runs of random designs (those the design checks accept): the energy balance
    closes and the state of charge stays in bounds (the kernel does not clip it). Compute
    availability is not checked against [0, 1]: it is the least of shares that are, so
    such a check could not fail."""
    sat = {
        "accelerator": "nvidia-h100-sxm", "accelerators": n_acc, "bus_load_w": bus_w,
        "solar": {"rated_power_w": rated_w, "tracking": tracking, "fixed_normal": "orbit_normal"},
        "battery": {"capacity_wh": battery_wh, "min_soc": min_soc},
        "radiator": {"area_m2": radiator_m2},
    }
    try:
        sc = _scenario(sat, fleet={"name": "s", "kind": "sso", "altitude_km": altitude_km,
                                   "ltan_h": ltan_h, "satellite": "sat"},
                       duration_h=3.0, step_s=20.0)
        res = orbitdc.simulate(sc)
    except orbitdc.ScenarioError:
        return  # a design that can never work is refused, as it should be
    b = res.summary["bus"]
    balance = (b["energy_used_kwh"] + b["battery_change_kwh"] + b["energy_losses_kwh"]
               + b["energy_curtailed_kwh"])
    assert balance == pytest.approx(b["energy_generated_kwh"], abs=5e-6)
    ts = res.timeseries
    soc = ts.column("battery_wh").to_numpy() / battery_wh
    assert np.all((soc >= -1e-9) & (soc <= 1 + 1e-9))
    if b["bus_unserved_kwh"] == 0:
        # Only the bus may use the reserve, and only what it drew.
        assert b["soc_min"] >= 0.0


def test_radiator_command_sizes_a_radiator():
    """By hand: white paint (catalogue eps 0.90); an edge-on panel at 550 km sees the Earth
    with F = (atan(1/X) - X/H^2)/pi, H = r/R, X = sqrt(H^2 - 1) (0.258), applied once to the
    240 W/m^2 infrared. --junction-k 360 with the default 30 K gradient is a 330 K radiator."""
    result = CliRunner().invoke(app, ["radiator", "--heat-w", "10000", "--temperature-k", "330"])
    assert result.exit_code == 0, result.output
    eps = 0.90
    h = (6378.137 + 550.0) / 6378.137
    x = np.sqrt(h * h - 1)
    view = (np.arctan(1 / x) - x / h**2) / np.pi
    ir = eps * 240.0 * view
    need = 10000.0 / (eps * STEFAN_BOLTZMANN_W_PER_M2_K4 * (330.0**4 - 2.725**4) - ir)
    assert f"{need:.2f} m^2" in result.output
    junction = CliRunner().invoke(app, ["radiator", "--heat-w", "10000", "--junction-k", "360"])
    assert junction.exit_code == 0, junction.output
    assert f"{need:.2f} m^2" in junction.output and "radiator of 330 K" in junction.output
    bad = CliRunner().invoke(app, ["radiator", "--heat-w", "100", "--temperature-k", "100"])
    assert bad.exit_code == 2
    assert "cannot" in bad.output
    neither = CliRunner().invoke(app, ["radiator", "--heat-w", "100"])
    assert neither.exit_code == 2 and "--temperature-k" in neither.output


def test_radiator_command_rejects_unknown_coating():
    bad = CliRunner().invoke(app, ["radiator", "--heat-w", "1", "--temperature-k", "300",
                                   "--coating", "gold"])
    assert bad.exit_code == 2
    assert "no radiator coating named 'gold'" in bad.output


def test_fleets_with_and_without_a_bus_share_a_run():
    """A bus fleet beside an orbit-only fleet, in the same block of the engine: the orbit-only
    satellites have empty bus columns and no bus figures; nothing warns."""
    sc = _scenario(BASE, duration_h=2.0)
    data = sc.model_dump(exclude_defaults=True)
    data["fleet"].append({"name": "plain", "kind": "sso", "altitude_km": 700.0, "ltan_h": 10.0,
                          "count": 2})
    data["output"] = {"satellites": "all", "every_s": 60.0}
    res = orbitdc.simulate(orbitdc.parse_scenario(data))
    ts = res.timeseries
    names = np.asarray(ts.column("satellite").to_pylist())
    power_in = ts.column("power_in_w").to_numpy()
    assert np.all(np.isnan(power_in[names != "s"]))
    assert np.all(np.isfinite(power_in[names == "s"]))
    assert res.summary["bus"]["satellites_with_bus"] == 1
    detail = res.summary["satellites_detail"]
    assert detail["plain-0"]["energy_generated_kwh"] is None
    assert detail["s"]["energy_generated_kwh"] > 0


DECAYING = """DECAY
1 99999U 25001A   26001.00000000  .05000000  00000-0  50000-2 0  9994
2 99999  51.6000 140.0000 0005000 100.0000 260.0000 16.30000000000109
"""


def test_a_decayed_satellite_stops_counting():
    """A satellite that decays (SGP4 error) after ~22.6 h of a 240 h run: its sunlit fraction
    is over the time it flew, its dead bus draws nothing and is not 'throttled'."""
    sc = _scenario(copy.deepcopy(BASE) | {"accelerators": 1},
                   fleet={"name": "d", "kind": "elements", "tle": DECAYING, "satellite": "sat"},
                   start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), duration_h=240.0, step_s=60.0,
                   output={"every_s": 600.0})
    res = orbitdc.simulate(sc)
    assert any("SGP4 error" in w for w in res.summary["warnings"])
    d = res.summary["satellites_detail"]["d"]
    assert 0.5 < d["sunlit_fraction"] < 0.75  # a 51.6 deg LEO orbit, not diluted by dead time
    assert d["hours_throttled_power"] == 0.0
    assert d["compute_available_mean"] < 0.15
    # Energy closes and the dead bus does not drain the battery.
    b = res.summary["bus"]
    balance = (b["energy_used_kwh"] + b["battery_change_kwh"] + b["energy_losses_kwh"]
               + b["energy_curtailed_kwh"])
    assert balance == pytest.approx(b["energy_generated_kwh"], abs=5e-6)


def _reference_bus(dt, t_days, gen, env, share, demand, alive, c, bat, temp, cap):
    """The bus loop of ``buskernel.bus_steps`` written with the reference array functions
    (``power.battery_capacity_wh``, ``thermal.compute_heat_limit_w``, ``power.power_step``,
    ``thermal.heater_w``, ``thermal.step_temperature``), one step at a time over all
    satellites: what the compiled kernel must reproduce."""
    from orbitdc.core.buskernel import COLD_TOLERANCE_K

    n_s, n_k1 = gen.shape
    out = {name: np.zeros((n_s, n_k1)) for name in ("battery", "temperature", "chip", "load",
                                                    "util", "available", "planned")}
    sums = {name: np.zeros(n_s) for name in ("generated", "used", "curtailed", "losses",
                                             "unserved", "thr_power", "thr_heat", "avail_s",
                                             "heater", "cold")}
    bat_min, temp_max, temp_min = bat.copy(), temp.copy(), temp.copy()
    thru = np.zeros(n_s)
    span = c["n_acc"] * (c["load"] - c["idle"])
    idle_all = c["n_acc"] * c["idle"]
    has_acc = c["n_acc"] > 0
    rates = {"charge_max_w": c["charge_max_w"], "discharge_max_w": c["discharge_max_w"]}
    for k in range(n_k1):
        # The capacity for the next sample: its age, the throughput up to this step's start.
        cap_next = power.battery_capacity_wh(c["capacity_wh"], c["fade_cal"], c["age_days"]
                                             + t_days[k + 1], c["fade_cyc"], thru)
        out["battery"][:, k], out["temperature"][:, k] = np.minimum(bat, cap), temp
        live = alive[:, k] & alive[:, k + 1]
        p_max = thermal.compute_heat_limit_w(temp, c["t_max_k"], c["conductance"])
        with np.errstate(divide="ignore", invalid="ignore"):
            u_chip = np.where(span > 0, np.clip((p_max - idle_all) / span, 0.0, 1.0),
                              (p_max >= idle_all).astype(float))
        u_chip = np.where(has_acc, u_chip, 1.0)
        limit = np.minimum(share[:, k], u_chip) * live
        want = np.minimum(demand[:, k], limit)

        def fly(extra_w, ask):
            return power.power_step(dt[k], gen[:, k], bat, cap, c["min_soc"], c["charge_eff"],
                                    c["discharge_eff"], c["bus_w"] * live + extra_w,
                                    c["n_acc"], c["idle"], c["load"], ask, **rates)

        step = fly(0.0, want)
        # What the supply could carry whatever the demand: the reference asked for all of it.
        full = fly(0.0, np.ones(n_s))
        feasible = np.where(span > 0, full.utilisation, (full.compute_w > 0) | (idle_all == 0))
        avail = np.where(has_acc, np.minimum(limit, feasible), 0.0)
        out["planned"][:, k] = np.where(has_acc, np.minimum(u_chip * live, feasible), 0.0)

        def heat_in(st):
            served = st.load_w - st.bus_unserved_wh * 3600.0 / dt[k]
            return served + st.losses_wh * 3600.0 / dt[k] + env[:, k]

        # The thermostat: the radiator turned down first, heaters for what it cannot hold.
        controls = live & (c["t_min_k"] > 0)
        f = np.where(controls, thermal.radiator_turn_down(
            temp, heat_in(step), c["heat_capacity"], c["area"], c["emissivity"], dt[k],
            c["t_min_k"], c["turn_down"]), 1.0)
        heater = np.where(controls & (c["heater_max_w"] > 0), thermal.heater_w(
            temp, heat_in(step), c["heat_capacity"], c["area"], c["emissivity"], dt[k],
            c["t_min_k"], c["heater_max_w"], rejection_fraction=c["turn_down"]), 0.0)
        if np.any(heater > 0):
            again = fly(heater, want)
            # Second pass: sized again on what else heats the node once its own draw has
            # changed the battery's losses (where the first was not at its limit).
            second = np.where(heater < c["heater_max_w"], thermal.heater_w(
                temp, heat_in(again) - heater, c["heat_capacity"], c["area"], c["emissivity"],
                dt[k], c["t_min_k"], c["heater_max_w"], rejection_fraction=c["turn_down"]),
                heater)
            redo = (heater > 0) & (second != heater)
            if np.any(redo):
                twice = fly(np.where(redo, second, heater), want)
                for name in PowerStep.__slots__:
                    setattr(again, name, np.where(redo, getattr(twice, name),
                                                  getattr(again, name)))
                heater = np.where(redo, second, heater)
            for name in PowerStep.__slots__:
                setattr(step, name, np.where(heater > 0, getattr(again, name),
                                             getattr(step, name)))
        out["chip"][:, k] = thermal.chip_temperature_k(temp, step.compute_w, c["conductance"])
        temp = np.where(live, thermal.step_temperature(temp, heat_in(step), c["heat_capacity"],
                                                       c["area"], c["emissivity"] * f, dt[k]),
                        temp)
        bat = step.battery_wh
        thru = thru + step.throughput_wh
        out["load"][:, k], out["util"][:, k], out["available"][:, k] = (
            step.load_w, step.utilisation, avail)
        h = dt[k] / 3600.0
        sums["generated"] += gen[:, k] * h
        sums["used"] += step.load_w * h - step.bus_unserved_wh
        sums["curtailed"] += step.curtailed_wh
        sums["losses"] += step.losses_wh + step.faded_wh
        sums["unserved"] += step.bus_unserved_wh
        sums["thr_power"] += (step.utilisation < want - 1e-9) * dt[k]
        sums["thr_heat"] += (live & (u_chip < 1.0) & has_acc) * dt[k]
        sums["avail_s"] += avail * dt[k]
        sums["heater"] += heater * h
        sums["cold"] += (live & (temp < c["t_min_k"] - COLD_TOLERANCE_K)) * dt[k]
        bat_min, temp_max = np.minimum(bat_min, bat), np.maximum(temp_max, temp)
        temp_min = np.minimum(temp_min, temp)
        cap = cap_next
    return out, sums, bat, temp, thru, bat_min, temp_max, temp_min, cap


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_s=st.integers(1, 6), n_k=st.integers(2, 40),
       dt_s=st.floats(1.0, 600.0), per_step=st.booleans())
def test_compiled_bus_kernel_matches_the_reference_functions(seed, n_s, n_k, dt_s, per_step):
    """Random designs and inputs (short and long steps, eclipses, faults, heat limits across
    the conductance, heaters with and without a limit, C-rates, fading batteries, satellites
    that decay, demand per step or constant): the compiled kernel gives what the reference
    power and thermal functions give, step by step, to rounding."""
    from orbitdc.core import buskernel

    rng = np.random.default_rng(seed)
    n_acc = rng.integers(0, 5, n_s).astype(float)
    idle = rng.uniform(0.0, 200.0, n_s)
    capacity = rng.choice([0.0, 500.0, 3000.0], n_s)
    c = {
        "bus_w": rng.uniform(0.0, 500.0, n_s), "t_max_k": rng.uniform(280.0, 360.0, n_s),
        "n_acc": n_acc, "capacity_wh": capacity,
        "min_soc": rng.uniform(0.0, 0.5, n_s), "charge_eff": rng.uniform(0.6, 1.0, n_s),
        "discharge_eff": rng.uniform(0.6, 1.0, n_s), "idle": idle,
        "load": idle + rng.choice([0.0, 300.0, 700.0], n_s),
        "heat_capacity": rng.uniform(1e3, 1e6, n_s), "area": rng.uniform(0.5, 20.0, n_s),
        "emissivity": rng.uniform(0.5, 0.95, n_s),
        "conductance": np.where(n_acc > 0, rng.uniform(5.0, 500.0, n_s), np.inf),
        "t_min_k": rng.choice([0.0, 250.0, 273.15, 300.0], n_s),
        "turn_down": rng.choice([1.0, 1.0 / 6.0, 0.05], n_s),
        "heater_max_w": rng.choice([0.0, 50.0, np.inf], n_s),
        "charge_max_w": rng.choice([0.3, 1.0, np.inf], n_s),
        "discharge_max_w": rng.choice([0.3, 1.0, np.inf], n_s),
        "fade_cal": rng.choice([0.0, 1.9e-4, 1e-2], n_s),
        "fade_cyc": rng.choice([0.0, 1e-5, 1e-3], n_s),
        "age_days": rng.uniform(0.0, 3000.0, n_s),
    }
    for key in ("charge_max_w", "discharge_max_w"):  # C-rates times the capacity, or none
        c[key] = np.where(np.isinf(c[key]), np.inf, c[key] * np.where(capacity > 0, capacity, 1.0))
    dt = np.full(n_k - 1, dt_s) * rng.uniform(0.5, 1.0, n_k - 1)
    t_days = np.concatenate([[0.0], np.cumsum(dt)]) / 86400.0 + rng.uniform(0.0, 10.0)
    gen = rng.uniform(0.0, 3000.0, (n_s, n_k - 1)) * (rng.random((n_s, n_k - 1)) > 0.3)
    env = rng.uniform(0.0, 2000.0, (n_s, n_k - 1))
    share = rng.choice([0.0, 0.5, 1.0], (n_s, n_k - 1), p=[0.1, 0.1, 0.8])
    demand = rng.uniform(0.0, 1.0, (n_s, n_k if per_step else 1))
    alive = rng.random((n_s, n_k)) > 0.05
    bat0 = rng.uniform(0.0, 1.0, n_s) * c["capacity_wh"]
    temp0 = rng.uniform(250.0, 370.0, n_s)

    got_series = [np.empty((n_s, n_k)) for _ in range(7)]
    got_sums = [np.zeros(n_s) for _ in range(10)]
    extremes = [np.empty(n_s) for _ in range(3)]
    cap0 = power.battery_capacity_wh(capacity, c["fade_cal"], c["age_days"] + t_days[0],
                                     c["fade_cyc"], 0.0)
    bat, temp, thru, cap = bat0.copy(), temp0.copy(), np.zeros(n_s), cap0.copy()
    buskernel.bus_steps(
        dt, t_days, gen, env, share, demand, alive, c["bus_w"], c["t_max_k"], n_acc,
        c["capacity_wh"], c["min_soc"], c["charge_eff"], c["discharge_eff"], n_acc * idle,
        n_acc * (c["load"] - idle), c["heat_capacity"], c["area"], c["emissivity"],
        c["conductance"], c["t_min_k"], c["turn_down"], c["heater_max_w"], c["charge_max_w"],
        c["discharge_max_w"], c["fade_cal"], c["fade_cyc"], c["age_days"], bat, temp, thru, cap,
        *got_series, *got_sums, *extremes,
    )
    full_demand = np.broadcast_to(demand, (n_s, n_k))
    out, sums, bat_ref, temp_ref, thru_ref, bat_min, temp_max, temp_min, cap_ref = (
        _reference_bus(dt, t_days, gen, env, share, full_demand, alive, c, bat0.copy(),
                       temp0.copy(), cap0.copy()))

    def close(a, b):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)

    for got, name in zip(got_series, ("battery", "temperature", "chip", "load", "util",
                                      "available", "planned")):
        close(got[:, :-1], out[name])
    close(got_series[0][:, -1], bat_ref)
    close(got_series[1][:, -1], temp_ref)
    for got, name in zip(got_sums, sums):
        close(got, sums[name])
    close(bat, bat_ref)
    close(temp, temp_ref)
    close(thru, thru_ref)
    close(extremes[0], bat_min)
    close(extremes[1], temp_max)
    close(extremes[2], temp_min)
    close(cap, cap_ref)


def test_a_body_fixed_array_too_small_for_the_bus_is_refused():
    """Checked as if it faced the Sun (an upper bound on what it gives): 300 W of array cannot
    carry a 300 W bus with eclipses, tracking or not."""
    from orbitdc.sim.design import validate_design

    for tracking in (True, False):
        sat = copy.deepcopy(BASE) | {"bus_load_w": 300.0,
                                     "solar": {"rated_power_w": 300.0, "tracking": tracking}}
        with pytest.raises(orbitdc.ScenarioError, match="solar array too small"):
            validate_design(_scenario(sat, {"name": "s", "kind": "walker", "altitude_km": 550.0,
                                            "inclination_deg": 53.0, "planes": 1,
                                            "per_plane": 1, "phasing": 0,
                                            "satellite": "sat"}))


def test_eccentric_orbits_are_not_held_to_the_circular_eclipse_bound():
    """A Molniya orbit (e = 0.72, 12 h) spends at most ~2 h in shadow (crossing 2 R at apogee
    speed), not the perigee eclipse fraction of its whole period (~3.9 h): an 800 Wh battery
    carries a 300 W bus. It also flies far above the trapped-proton table: a warning says so."""
    from orbitdc.sim.design import validate_design

    tle = ("MOLNIYA\n1 28163U 04005A   25274.50000000  .00000100  00000-0  10000-3 0  9999\n"
           "2 28163  62.8000 250.0000 7200000 270.0000  10.0000  2.00600000 12342\n")
    sat = copy.deepcopy(BASE) | {"accelerators": 0, "bus_load_w": 300.0,
                                 "solar": {"rated_power_w": 2000.0},
                                 "battery": {"capacity_wh": 800.0}}
    warnings = validate_design(_scenario(sat, {"name": "m", "kind": "elements", "tle": tle,
                                               "satellite": "sat"}, duration_h=12.0))
    assert any("above the trapped-proton table" in w for w in warnings)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"solar": {"rated_power_w": 6000.0, "tracking": "three-axis"}}, "solar.tracking"),
        ({"radiator": {"area_m2": 10.0, "gradient_k": -1.0}}, "radiator.gradient_k"),
        ({"radiator": {"area_m2": 10.0, "gradient_k": 20.0, "conductance_w_per_k": 90.0}},
         "radiator"),
        ({"battery": {"capacity_wh": 5000.0, "max_discharge_c": 0.0}},
         "battery.max_discharge_c"),
        ({"heater_max_w": -5.0}, "heater_max_w"),
        ({"min_temperature_k": 380.0, "max_temperature_k": 360.0}, "satellite.sat"),
    ],
)
def test_new_heat_and_power_keys_are_validated(change, key):
    """Each new key of issue 15, given a bad value, is refused naming it (exit code 2 via
    ScenarioError, as every scenario key)."""
    sat = copy.deepcopy(BASE) | change
    with pytest.raises(orbitdc.ScenarioError) as err:
        _scenario(sat)
    assert key in str(err.value)


def test_a_zenith_array_on_a_dawn_dusk_orbit_is_judged_by_its_real_incidence():
    """A zenith-facing array on a 650 km dawn-dusk orbit at the March equinox: beta ~ 80 deg,
    so its orbit-average cos is cos(beta)/pi ~ 0.05, and the orbit has no eclipse (the
    message says so rather than blaming one). An array sized to carry the bus
    facing the Sun (the old upper bound) is refused, and the message names the incidence,
    not eclipses; the same array tracking on two axes passes."""
    from orbitdc.sim.design import validate_design

    fleet = {"name": "s", "kind": "sso", "altitude_km": 650.0, "ltan_h": 18.0, "satellite": "sat"}
    sat = copy.deepcopy(BASE) | {"accelerators": 0, "bus_load_w": 300.0,
                                 "solar": {"rated_power_w": 1000.0, "tracking": False}}
    with pytest.raises(orbitdc.ScenarioError, match="facing the zenith") as err:
        validate_design(_scenario(sat, fleet))
    factor = float(str(err.value).split("cos(incidence) ")[1].split()[0])
    assert "eclipse fraction up to 0)" in str(err.value)
    sat["solar"] = {"rated_power_w": 1000.0, "tracking": "two-axis"}
    sc = _scenario(sat, fleet, duration_h=2.0)
    validate_design(sc)
    # The factor is cos(beta)/pi at the beta angle SGP4 and the Sun give (the run's own).
    beta = np.deg2rad(orbitdc.simulate(sc).timeseries.column("beta_deg").to_numpy())
    assert 0.02 < factor < 0.12
    assert factor == pytest.approx(np.cos(np.abs(beta)).min() / np.pi, abs=0.005)


def test_single_axis_array_loses_cos_beta():
    """A single-axis array on a noon-midnight orbit in March (beta near 0) and on a dawn-dusk
    one (beta ~ 75 deg): in sunlight its output over a two-axis array's is cos(beta) of the
    recorded beta angle, sample by sample, to 1e-9."""
    for ltan in (12.0, 18.0):
        out = {}
        for mode in ("two-axis", "single-axis"):
            sat = copy.deepcopy(BASE) | {"accelerators": 0, "bus_load_w": 10.0,
                                         "solar": {"rated_power_w": 6000.0, "tracking": mode}}
            fleet = {"name": "s", "kind": "sso", "altitude_km": 650.0, "ltan_h": ltan,
                     "satellite": "sat"}
            res = orbitdc.simulate(_scenario(sat, fleet, duration_h=2.0))
            out[mode] = res.timeseries
        p2 = out["two-axis"].column("power_in_w").to_numpy()
        p1 = out["single-axis"].column("power_in_w").to_numpy()
        beta = np.deg2rad(out["two-axis"].column("beta_deg").to_numpy())
        lit = p2 > 1.0
        np.testing.assert_allclose(p1[lit] / p2[lit], np.cos(beta[lit]), rtol=1e-6)


def test_capacity_fade_follows_the_cell_law():
    """Schmalstieg et al. 2014's law for the li-ion cell (alpha = (7.543 V - 23.75) 1e6
    exp(-6976/T) per day^0.75 at 3.7 V and 293.15 K; beta = 7.348e-3 (V - 3.667)^2 + 7.6e-4
    + 4.081e-3 DOD per sqrt(Ah)), evaluated here from the paper's coefficients: a battery
    five years old ends a run below the calendar law for its age (cycling fades it further)
    and above the law at the most throughput the run could have moved. The law is the
    cell source's (calibrated to its tests), not validated against flight batteries."""
    sat = copy.deepcopy(BASE) | {"age_years": 5.0, "battery": {"capacity_wh": 3000.0}}
    fleet = {"name": "s", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0, "satellite": "sat"}
    sc = _scenario(sat, fleet, duration_h=6.0)
    res = orbitdc.simulate(sc)
    t = sc.satellite_types["sat"]
    alpha = (7.543 * 3.7 - 23.75) * 1e6 * np.exp(-6976.0 / 293.15)
    beta = 7.348e-3 * (3.7 - 3.667) ** 2 + 7.6e-4 + 4.081e-3 * (1.0 - t.min_soc)
    assert t.calendar_fade == pytest.approx(alpha, rel=1e-3)
    days = 5.0 * 365.25 + sc.duration_s / 86400.0
    end = res.summary["satellites_detail"]["s"]["battery_capacity_end_kwh"] * 1000.0
    calendar_only = 3000.0 * (1.0 - alpha * days**0.75)
    assert end < calendar_only  # cycling fades it further
    # ... but by no more than the most throughput the run could have moved (its whole
    # generation in and out of the cells).
    gen_wh = res.summary["satellites_detail"]["s"]["energy_generated_kwh"] * 1000.0
    most_ah = 2 * gen_wh / 3000.0 * 2.15
    assert end > 3000.0 * (1.0 - alpha * days**0.75 - beta * np.sqrt(most_ah))
