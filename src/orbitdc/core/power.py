"""Electrical power: solar generation, battery and load, one step at a time, vectorised over
satellites.

Assumptions (the model's fidelity, stated):

- **Generation** ``P = S(d) * (1 - shadow) * A * eta * packing * cos(incidence) * (1 - k)^age``:
  the solar constant scaled by the inverse square of the Sun distance, the occulted fraction
  of the solar disk, a flat array at its beginning-of-life AM0 efficiency, and a constant
  fractional degradation per year since launch. Cell temperature, spectral effects and the
  Earth's albedo on the array are neglected (albedo adds a few per cent on a nadir face).
- **Incidence**: a two-axis tracking array faces the Sun (cos = 1). A single-axis array turns
  about the orbit normal (the usual solar-array drive of a nadir-pointing satellite), so it
  loses the Sun's angle out of the orbit plane: ``cos = cos(beta) = sqrt(1 - (h.s)^2)``. A
  body-fixed array on a nadir-pointing satellite has its normal along the zenith (``r``) or
  along the orbit normal (``r x v``, the face that sees the Sun in a dawn-dusk orbit); cos is
  clipped at 0. Orbit averages (for the design checks): two-axis ``1 - f``, single-axis
  ``cos(beta) (1 - f)``, zenith ``cos(beta) / pi`` (its lit half never meets the shadow),
  orbit normal ``max(0, sin beta) (1 - f)``, ``f`` the eclipse fraction.
- **Battery**: one store of energy with a charge efficiency on the way in and a discharge
  efficiency on the way out (their losses become heat), kept between ``min_soc`` and full.
  Charge and discharge are limited in rate: at most ``charge_c`` x rated capacity W into the
  cells and ``discharge_c`` x rated capacity W out of them (the surplus is curtailed, the
  shortfall throttles compute, then the bus). The capacity fades with calendar age and with
  charge throughput (:func:`battery_capacity_wh`); stored energy above a faded capacity is
  lost (counted with the losses, not as heat).
  The bus load always has priority: if even the reserve below ``min_soc`` cannot carry it,
  the shortfall is counted as unserved bus energy (a brownout the design must not have).
- **Loads**: the bus draws a constant ``bus_w``; each accelerator draws ``idle + u (load -
  idle)`` at utilisation ``u``. When power is short, compute throttles first: ``u`` falls to
  what the array and the battery above ``min_soc`` can carry, and if that is below the
  accelerators' idle draw, they are switched off (0 W).
"""

from __future__ import annotations

import numpy as np

from orbitdc.core.constants import AU_KM, SOLAR_IRRADIANCE_W_PER_M2

__all__ = [
    "PowerStep",
    "array_incidence",
    "battery_capacity_wh",
    "power_step",
    "solar_flux_w_per_m2",
]


def solar_flux_w_per_m2(sun_distance_km: np.ndarray) -> np.ndarray:
    """Solar irradiance at distance ``sun_distance_km`` from the Sun (inverse square of
    1361 W/m^2 at 1 AU): 1,316-1,407 W/m^2 over a year."""
    return SOLAR_IRRADIANCE_W_PER_M2 * (AU_KM / np.asarray(sun_distance_km, float)) ** 2


#: Array pointing codes (``array_incidence``): two-axis tracking, body-fixed facing the zenith
#: or the orbit normal, single-axis tracking about the orbit normal.
TRACKING, ZENITH, ORBIT_NORMAL, SINGLE_AXIS = 0, 1, 2, 3


def array_incidence(pointing: np.ndarray, r: np.ndarray, v: np.ndarray, sun_unit: np.ndarray):
    """cos(incidence), clipped at 0, of arrays with ``pointing`` codes (S,) at positions and
    velocities ``r``, ``v`` (S, K, 3) with the Sun direction ``sun_unit`` (K, 3) or (S, K, 3).

    The Sun direction from the satellite is taken as the direction from the Earth's centre
    (parallax < 0.003 deg in LEO)."""
    pointing = np.asarray(pointing)[:, None]
    r_unit = r / np.linalg.norm(r, axis=-1, keepdims=True)
    h = np.cross(r, v)
    h_unit = h / np.linalg.norm(h, axis=-1, keepdims=True)
    cos_zenith = np.einsum("skj,skj->sk", r_unit, np.broadcast_to(sun_unit, r.shape))
    cos_normal = np.einsum("skj,skj->sk", h_unit, np.broadcast_to(sun_unit, r.shape))
    cos_beta = np.sqrt(np.maximum(1.0 - cos_normal * cos_normal, 0.0))
    out = np.where(
        pointing == TRACKING, 1.0,
        np.where(pointing == ZENITH, cos_zenith,
                 np.where(pointing == SINGLE_AXIS, cos_beta, cos_normal)),
    )
    return np.clip(out, 0.0, 1.0)


def battery_capacity_wh(capacity0_wh, calendar_fade, age_days, cycle_fade, throughput_wh):
    """Capacity after ``age_days`` since manufacture and ``throughput_wh`` of energy through
    the cells (in plus out): ``C0 (1 - a t^0.75 - b sqrt(throughput))``, not below 0.

    The semi-empirical law of Schmalstieg et al. 2014 (J. Power Sources 257, 325-334) for
    NMC 18650 cells: calendar loss ``alpha t^0.75`` (t in days), cycle loss ``beta sqrt(Q)``
    (Q the charge throughput in Ah). ``calendar_fade`` is alpha; ``cycle_fade`` is beta
    times ``sqrt(cell Ah / C0 Wh)``, which turns the pack's Wh throughput into one cell's
    Ah (``Q = throughput / C0 x cell Ah``)."""
    t = np.maximum(np.asarray(age_days, float), 0.0)
    loss = calendar_fade * np.sqrt(t) * np.sqrt(np.sqrt(t)) + cycle_fade * np.sqrt(
        np.maximum(np.asarray(throughput_wh, float), 0.0))
    return capacity0_wh * np.maximum(1.0 - loss, 0.0)


class PowerStep:
    """Result of :func:`power_step` for one step: arrays (S,)."""

    __slots__ = (
        "battery_wh", "bus_unserved_wh", "compute_w", "curtailed_wh", "faded_wh", "load_w",
        "losses_wh", "throughput_wh", "utilisation",
    )

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def power_step(
    dt_s: float,
    generated_w: np.ndarray,
    battery_wh: np.ndarray,
    capacity_wh: np.ndarray,
    min_soc: np.ndarray,
    charge_eff: np.ndarray,
    discharge_eff: np.ndarray,
    bus_w: np.ndarray,
    n_acc: np.ndarray,
    acc_idle_w: np.ndarray,
    acc_load_w: np.ndarray,
    demand: np.ndarray,
    *,
    charge_max_w=np.inf,
    discharge_max_w=np.inf,
) -> PowerStep:
    """Advance the power balance by ``dt_s`` with constant generation over the step.

    ``demand`` (S,) is the utilisation the accelerators are asked for (0..1, already reduced by
    heat and faults). Returns the new battery energy and what happened: ``utilisation`` granted,
    ``load_w`` drawn (bus + compute), ``compute_w``, and the step's ``curtailed_wh`` (generation
    neither used nor stored), ``losses_wh`` (charge and discharge losses) and
    ``bus_unserved_wh``, ``faded_wh`` (stored energy above ``capacity_wh``, the capacity
    now, lost as it faded) and ``throughput_wh`` (energy into and out of the cells). Energy
    balance, exactly: generated = load + d(battery) + losses + faded + curtailed - unserved.
    ``charge_max_w`` and ``discharge_max_w`` bound the power into and out of the cells (the
    C-rates times the rated capacity).
    """
    dt_h = dt_s / 3600.0
    faded_wh = np.maximum(battery_wh - capacity_wh, 0.0)
    battery_wh = battery_wh - faded_wh
    span = acc_load_w - acc_idle_w
    want_w = bus_w + n_acc * (acc_idle_w + demand * span) * (demand > 0)
    reserve_wh = min_soc * capacity_wh
    # What the battery can deliver at its terminals this step, above the reserve and in all,
    # within its discharge rate.
    rate_w = discharge_max_w * discharge_eff
    above_w = np.minimum(np.maximum(battery_wh - reserve_wh, 0.0) * discharge_eff / dt_h, rate_w)
    total_w = np.minimum(np.maximum(battery_wh, 0.0) * discharge_eff / dt_h, rate_w)
    supply_w = generated_w + above_w
    short = want_w > supply_w
    # Compute gets what is left after the bus; below the idle draw the accelerators go off.
    for_compute = np.maximum(supply_w - bus_w, 0.0)
    idle_all = n_acc * acc_idle_w
    u_power = np.where(
        for_compute >= idle_all, (for_compute - idle_all) / np.maximum(n_acc * span, 1e-300), 0.0
    )
    u = np.where(short, np.minimum(demand, np.clip(u_power, 0.0, 1.0)), demand)
    on = (u > 0) & (~short | (for_compute >= idle_all))
    compute_w = np.where(on, n_acc * (acc_idle_w + u * span), 0.0)
    u = np.where(on, u, 0.0)
    load_w = bus_w + compute_w
    # The bus may dig into the reserve; what even that cannot cover is unserved.
    served_w = np.minimum(load_w, generated_w + total_w)
    unserved_wh = (load_w - served_w) * dt_h
    net_w = generated_w - served_w
    charge_in_wh = np.minimum(np.minimum(np.maximum(net_w, 0.0) * dt_h * charge_eff,
                                         capacity_wh - battery_wh),
                              charge_max_w * dt_h)
    charge_in_wh = np.maximum(charge_in_wh, 0.0)
    charge_from_gen_wh = charge_in_wh / charge_eff
    curtailed_wh = np.maximum(net_w, 0.0) * dt_h - charge_from_gen_wh
    drawn_wh = np.maximum(-net_w, 0.0) * dt_h / discharge_eff
    new_battery = battery_wh + charge_in_wh - drawn_wh
    losses_wh = (charge_from_gen_wh - charge_in_wh) + drawn_wh * (1.0 - discharge_eff)
    # Not clipped: the step's algebra keeps the battery within [0, capacity] (tests hold it).
    return PowerStep(
        battery_wh=new_battery,
        faded_wh=faded_wh,
        throughput_wh=charge_in_wh + drawn_wh,
        utilisation=u,
        load_w=served_w + unserved_wh / dt_h,
        compute_w=compute_w,
        curtailed_wh=np.maximum(curtailed_wh, 0.0),
        losses_wh=losses_wh,
        bus_unserved_wh=unserved_wh,
    )

