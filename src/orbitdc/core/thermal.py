"""Heat: a radiator node with the chips conducting into it, the environment on the radiator,
radiator turn-down and a thermostatic heater for the cold case, and radiator sizing.

Assumptions (the model's fidelity, stated):

- **Two temperatures.** The radiator, the coolant loop and the structure are one thermal node
  at ``T`` with heat capacity ``C`` (the transient). The accelerators sit above it across a
  conductance ``G`` (W/K: cold plate, loop and heat pipes; ``G = P_full / gradient`` from the
  stated junction-to-radiator gradient at full compute load), with no heat capacity of their
  own: a chip dissipating ``P`` runs at ``T + P / G``. The junction limit is the chips';
  compute is held to ``P <= G (T_junction - T)``, so a radiator never runs at junction
  temperature while the chips work. Gradients within the radiator (fin efficiency) and the
  battery's own temperature (taken as the node's) are neglected.
- **Heat in**: all electrical load (it ends as heat), battery losses, sunlight absorbed by the
  radiator (``alpha * S * lit * A * F_sun``, ``F_sun`` the share of the radiating area facing
  the Sun), Earth albedo (``alpha * a * S * max(0, cos z) * F_earth * A``, ``z`` the solar
  zenith angle below the satellite) and Earth infrared (``eps_ir * OLR * F_earth * A``, with
  ``eps_ir = eps`` by Kirchhoff's law). ``F_earth`` is **the view factor from the radiating
  area to the Earth at the satellite's altitude**: it already holds the geometry (a nadir face
  sees ``(R/r)^2``, an edge-on face :func:`plate_earth_view_factor`), so the top-of-atmosphere
  fluxes are multiplied by it once and by nothing else. The albedo term is the usual
  sub-satellite-point approximation (exact for a nadir face at the subsolar point). The solar
  array's own heat stays on the array.
- **Heat out**: ``eps * sigma * A * (T^4 - T_space^4)`` to deep space (2.7 K).
- **Cold case: turn-down first, then heaters.** A thermostat holds the node at its minimum
  temperature ``T_min``. It first turns the radiator down (louvers closing, a
  variable-conductance heat pipe or a pumped loop's bypass): the rejection
  ``f eps sigma A (T^4 - T_space^4)`` with ``f`` anywhere from 1 (open) down to the design's
  ``f_min`` (:func:`radiator_turn_down`; as an effective emittance ``f eps``). Only what the
  closed radiator still loses below ``T_min`` is made up by heaters, up to ``heater_max_w`` of
  electrical power drawn from the bus (:func:`heater_w` at ``f_min``). In steady state the
  heaters draw ``max(0, f_min eps sigma A (T_min^4 - T_space^4) - Q_internal - Q_env)``. The
  thermostat is ideal: the radiator is fully open whenever the node stays at or above
  ``T_min`` with it open (a real louver opens over some 10-17 K, so a real node runs a little
  warmer in the cold case), and turn-down acts on the emission only: the Sun and Earth
  absorbed by the radiator are taken as with it open (closed louvers also shade it, so the
  heater power is a slight overestimate).
- **Integration**: backward Euler, solved by Newton's method (unconditionally stable at any
  step, exact steady state).
"""

from __future__ import annotations

import numpy as np

from orbitdc.core.constants import (
    EARTH_ALBEDO,
    EARTH_OLR_W_PER_M2,
    SPACE_SINK_K,
    STEFAN_BOLTZMANN_W_PER_M2_K4,
)

__all__ = [
    "chip_temperature_k",
    "compute_heat_limit_w",
    "environment_heat_w",
    "equilibrium_temperature_k",
    "heater_w",
    "plate_earth_view_factor",
    "radiator_turn_down",
    "radiator_area_m2",
    "step_temperature",
]


def environment_heat_w(
    area_m2, absorptivity, emissivity, sun_view, earth_view, solar_flux, lit, cos_sun_zenith,
    *, albedo=EARTH_ALBEDO, earth_ir_w_per_m2=EARTH_OLR_W_PER_M2, ir_absorptivity=None,
):
    """Heat absorbed by radiators from the Sun, the Earth's albedo and its infrared, W.

    ``lit`` is ``1 - shadow``; ``cos_sun_zenith`` the cosine of the Sun's zenith angle at the
    sub-satellite point (the albedo term uses its positive part); ``earth_view`` the view
    factor to the Earth at the satellite's altitude, applied once (see the module's notes).
    ``ir_absorptivity`` defaults to ``emissivity`` (Kirchhoff). All arguments broadcast."""
    eps_ir = emissivity if ir_absorptivity is None else ir_absorptivity
    sun = absorptivity * solar_flux * lit * sun_view * area_m2
    reflected = (absorptivity * albedo * solar_flux * np.maximum(cos_sun_zenith, 0.0)
                 * earth_view * area_m2)
    infrared = eps_ir * earth_ir_w_per_m2 * earth_view * area_m2
    return sun + reflected + infrared


def plate_earth_view_factor(radius_km, tilt_rad, earth_radius_km: float = 6378.137):
    """View factor from a flat plate at ``radius_km`` from the Earth's centre to a spherical
    Earth of ``earth_radius_km``, the plate's normal ``tilt_rad`` from the nadir (0: facing
    the Earth, pi/2: edge-on, pi: facing away).

    Closed form for a differential plate and a sphere (Howell's catalogue of configuration
    factors, "plane element to sphere"; also Gilmore, Spacecraft Thermal Control Handbook
    vol. I, ch. 2): with ``H = r/R`` and ``X = sqrt(H^2 - 1)``, ``cos(tilt) / H^2`` while
    the whole sphere is above the plate's horizon (``tilt <= acos(1/H)``), else
    ``1/2 - asin(X / (H sin t)) / pi + (cos t acos(-X cot t) - X sqrt(1 - H^2 cos^2 t))
    / (pi H^2)``, and 0 once the sphere is wholly behind it. Edge-on this is
    ``(atan(1/X) - X/H^2) / pi``: 0.258 at 550 km, 0.241 at 650 km."""
    h = np.asarray(radius_km, float) / earth_radius_km
    t = np.asarray(tilt_rad, float)
    x = np.sqrt(np.maximum(h * h - 1.0, 0.0))
    full = np.cos(t) / (h * h)
    sin_t = np.maximum(np.sin(t), 1e-300)
    cos_t = np.cos(t)
    with np.errstate(invalid="ignore", divide="ignore"):
        part = (
            0.5 - np.arcsin(np.clip(x / (h * sin_t), -1.0, 1.0)) / np.pi
            + (cos_t * np.arccos(np.clip(-x * cos_t / sin_t, -1.0, 1.0))
               - x * np.sqrt(np.maximum(1.0 - h * h * cos_t * cos_t, 0.0))) / (np.pi * h * h)
        )
    visible_all = t <= np.arccos(1.0 / h)
    hidden = t >= np.pi - np.arccos(1.0 / h)
    return np.where(visible_all, full, np.where(hidden, 0.0, np.clip(part, 0.0, 1.0)))


def chip_temperature_k(radiator_k, compute_w, conductance_w_per_k):
    """Temperature of chips dissipating ``compute_w`` into a radiator node at ``radiator_k``
    across ``conductance_w_per_k``."""
    return np.asarray(radiator_k, float) + np.asarray(compute_w, float) / conductance_w_per_k


def compute_heat_limit_w(radiator_k, junction_max_k, conductance_w_per_k):
    """Most heat the chips may dissipate with the radiator node at ``radiator_k`` and their
    junctions at or below ``junction_max_k``: ``G (T_j - T)``, not below 0."""
    return np.maximum(
        conductance_w_per_k * (junction_max_k - np.asarray(radiator_k, float)), 0.0)


def radiator_turn_down(t_k, heat_in_w, capacity_j_per_k, area_m2, emissivity, dt_s: float,
                       setpoint_k, min_fraction, sink_k: float = SPACE_SINK_K):
    """Share ``f`` of the open radiator's rejection a thermostat leaves over a step of
    ``dt_s`` so that the backward-Euler temperature (:func:`step_temperature` with emissivity
    ``f eps``) ends at ``setpoint_k`` rather than below it:
    ``(Q_in - C (T_set - T0) / dt) / (eps sigma A (T_set^4 - T_sink^4))``, between
    ``min_fraction`` (fully turned down) and 1 (open: the node stays at or above the setpoint
    with the radiator open)."""
    k = emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * area_m2
    hold = k * (setpoint_k**4 - sink_k**4)
    keep = np.asarray(heat_in_w, float) - capacity_j_per_k / dt_s * (
        setpoint_k - np.asarray(t_k, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(hold > 0, keep / np.where(hold > 0, hold, 1.0), 1.0)
    return np.clip(f, min_fraction, 1.0)


def heater_w(t_k, heat_in_w, capacity_j_per_k, area_m2, emissivity, dt_s: float, setpoint_k,
             max_w, sink_k: float = SPACE_SINK_K, rejection_fraction=1.0):
    """Electrical power a thermostat adds over a step of ``dt_s`` so that the backward-Euler
    temperature (:func:`step_temperature`) ends at ``setpoint_k`` rather than below it, with
    the radiator rejecting ``rejection_fraction`` of its open rejection (its turn-down limit,
    :func:`radiator_turn_down`): ``C (T_set - T0) / dt + f eps sigma A (T_set^4 - T_sink^4)
    - Q_in``, between 0 and ``max_w``. (0 when the node stays at or above the setpoint
    without it: the residual is increasing in the end temperature.)"""
    k = rejection_fraction * emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * area_m2
    need = (capacity_j_per_k / dt_s * (setpoint_k - np.asarray(t_k, float))
            + k * (setpoint_k**4 - sink_k**4) - heat_in_w)
    return np.clip(need, 0.0, max_w)


def equilibrium_temperature_k(heat_w, area_m2, emissivity, sink_k: float = SPACE_SINK_K):
    """Temperature at which ``area_m2`` of emissivity ``emissivity`` radiates ``heat_w``
    (Stefan-Boltzmann: ``Q = eps sigma A (T^4 - T_sink^4)``)."""
    return (
        np.asarray(heat_w, float) / (emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * area_m2)
        + sink_k**4
    ) ** 0.25


def radiator_area_m2(heat_w, temperature_k, emissivity, absorbed_w_per_m2=0.0,
                     sink_k: float = SPACE_SINK_K):
    """Radiating area needed to reject ``heat_w`` at ``temperature_k``, when each square metre
    also absorbs ``absorbed_w_per_m2`` from the Sun and the Earth. Infinite when the
    environment alone outweighs what a square metre can emit at that temperature."""
    net = (
        emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * (np.asarray(temperature_k, float) ** 4
                                                     - sink_k**4)
        - absorbed_w_per_m2
    )
    with np.errstate(divide="ignore"):
        return np.where(net > 0, np.asarray(heat_w, float) / np.where(net > 0, net, 1.0), np.inf)


def step_temperature(t_k, heat_in_w, capacity_j_per_k, area_m2, emissivity, dt_s: float,
                     sink_k: float = SPACE_SINK_K):
    """Temperature after ``dt_s`` under constant ``heat_in_w``: backward Euler,
    ``C (T1 - T0) / dt = Q_in - eps sigma A (T1^4 - T_sink^4)``, solved by Newton's method from
    ``T0`` (the function is convex and increasing in T1, so Newton from above converges
    monotonically; a start at the larger of T0 and the equilibrium guarantees it)."""
    k = emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * area_m2
    c_dt = capacity_j_per_k / dt_s
    q = heat_in_w + k * sink_k**4
    rhs = c_dt * t_k + q
    t = np.maximum(t_k, np.sqrt(np.sqrt(q / k)))
    for _ in range(30):
        t2 = t * t
        kt3 = k * t2 * t
        step = (c_dt * t + kt3 * t - rhs) / (c_dt + 4.0 * kt3)
        t = t - step
        if np.abs(step).max(initial=0.0) < 1e-9:
            break
    return t
