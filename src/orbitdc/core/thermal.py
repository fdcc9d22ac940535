"""Heat: a lumped transient model of a satellite and a radiator sizing helper.

Assumptions (the model's fidelity, stated):

- **One thermal node** per satellite at temperature ``T`` with heat capacity ``C``: the
  electronics, the coolant loop and the radiator are taken as one mass at one temperature
  (gradients between an accelerator and its radiator are neglected; a real part runs some
  10-30 K hotter than its radiator).
- **Heat in**: all electrical load (it ends as heat), battery losses, sunlight absorbed by the
  radiator (``alpha * S * (1 - shadow) * A * F_sun``, ``F_sun`` the fraction of the radiating
  area facing the Sun), Earth albedo (``alpha * a * S * F_earth * A * max(0, cos z)`` with ``z``
  the solar zenith angle below the satellite) and Earth infrared (``eps * OLR * F_earth * A``),
  both scaled by ``((R + 30 km) / r)^2`` from the top of the atmosphere. The solar array's own
  heat stays on the array (it is not coupled to the node).
- **Heat out**: ``eps * sigma * A * (T^4 - T_space^4)``: the radiating area ``A`` sees deep
  space (2.7 K) except for the Earth, whose view is accounted for by the infrared term above.
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
    TOA_HEIGHT_KM,
    WGS84_RADIUS_KM,
)

__all__ = [
    "environment_heat_w",
    "equilibrium_temperature_k",
    "radiator_area_m2",
    "step_temperature",
]


def environment_heat_w(
    area_m2, absorptivity, emissivity, sun_view, earth_view, solar_flux, lit, cos_sun_zenith,
    radius_km,
):
    """Heat absorbed by radiators from the Sun, the Earth's albedo and its infrared, W.

    ``lit`` is ``1 - shadow``; ``cos_sun_zenith`` the cosine of the Sun's zenith angle at the
    sub-satellite point (the albedo term uses its positive part); ``radius_km`` the distance from
    the Earth's centre. All arguments broadcast."""
    dilution = ((WGS84_RADIUS_KM + TOA_HEIGHT_KM) / np.asarray(radius_km, float)) ** 2
    sun = absorptivity * solar_flux * lit * sun_view * area_m2
    albedo = (
        absorptivity * EARTH_ALBEDO * solar_flux * np.maximum(cos_sun_zenith, 0.0)
        * earth_view * dilution * area_m2
    )
    infrared = emissivity * EARTH_OLR_W_PER_M2 * earth_view * dilution * area_m2
    return sun + albedo + infrared


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
