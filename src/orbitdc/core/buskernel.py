"""The bus's step loop, compiled: power (:func:`orbitdc.core.power.power_step`) and heat
(:func:`orbitdc.core.thermal.step_temperature`) fused into one pass over satellites per step.

Battery charge and temperature depend on the previous step, so the loop over time cannot be
vectorised; in NumPy each step costs some sixty array operations over the satellites, each a
pass through memory plus a Python dispatch. Compiled with numba, a step is one pass with every
quantity in registers: the models and their assumptions are those of ``power`` and
``thermal``, unchanged (a test holds this kernel to those reference functions step by step).

Floating-point semantics follow NumPy's (``error_model="numpy"``: a division by zero gives an
infinity, not an exception; ``np.minimum``/``np.maximum`` propagate NaN), so satellites
without a bus, whose parameters are zero, behave as they would in the array code.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core._jit import kernel
from orbitdc.core.constants import SPACE_SINK_K, STEFAN_BOLTZMANN_W_PER_M2_K4

__all__ = ["NEWTON_ITERATIONS", "NEWTON_TOLERANCE_K", "available_now", "bus_steps",
           "warm_up"]

#: Newton's method for the backward-Euler temperature stops when its step is below this.
NEWTON_TOLERANCE_K = 1e-9
#: ... or after this many iterations (it converges in two to five from the start used).
NEWTON_ITERATIONS = 30


@kernel
def _temperature(t0, heat_in_w, c_dt, k):
    """Scalar :func:`orbitdc.core.thermal.step_temperature`: the root of
    ``f(T) = c_dt (T - t0) + k (T^4 - T_sink^4) - heat_in_w`` (``c_dt = C / dt``,
    ``k = eps sigma A``) by Newton's method.

    It starts from the explicit-Euler estimate, within ``O(dt^2)`` of the root. ``f`` is
    convex and increasing, so every Newton iterate after the first lies at or above the root
    and the iterates descend onto it; the error after a step of size ``h`` is at most
    ``f'' / (2 f') h^2 <= 1.5 h^2 / T``, so the loop stops once that is below the tolerance
    (usually after one step: the estimate is already within micro-kelvins)."""
    q = heat_in_w + k * SPACE_SINK_K**4
    rhs = c_dt * t0 + q
    t = t0 + (q - k * t0 * t0 * t0 * t0) / c_dt if c_dt > 0 else t0
    if not t > 0:
        t = t0
    for _ in range(NEWTON_ITERATIONS):
        t2 = t * t
        kt3 = k * t2 * t
        step = (c_dt * t + kt3 * t - rhs) / (c_dt + 4.0 * kt3)
        t = t - step
        if 1.5 * step * step < NEWTON_TOLERANCE_K * t:
            break
    return t


@kernel
def _capacity(capacity0, fade_cal, fade_cyc, days, throughput):
    """Scalar :func:`orbitdc.core.power.battery_capacity_wh` (``t^0.75`` as two square
    roots)."""
    d = days if days > 0 else 0.0
    q = throughput if throughput > 0 else 0.0
    loss = fade_cal * np.sqrt(d) * np.sqrt(np.sqrt(d)) + fade_cyc * np.sqrt(q)
    return capacity0 * np.maximum(1.0 - loss, 0.0)


@kernel
def _chip_limit(temp, t_max, conductance, idle, span, inv_span, has_acc):
    """The share of compute the chips may run with the radiator node at ``temp``: their heat
    ``idle + u span`` at most ``G (T_junction - T)`` (``thermal.compute_heat_limit_w``)."""
    if not has_acc:
        return 1.0
    p_max = np.maximum(conductance * (t_max - temp), 0.0)
    if span > 0:
        return np.minimum(np.maximum((p_max - idle) * inv_span, 0.0), 1.0)
    return 1.0 if p_max >= idle else 0.0


@kernel
def _power(g, bat, cap, reserve, eta_c, eta_d, inv_eta_c, busw, idle, span, inv_span, want,
           dt_h, inv_dt_h, charge_max_w, out_max_w):
    """One step of :func:`orbitdc.core.power.power_step` for one satellite (``out_max_w``:
    the most the battery delivers at its terminals, its discharge rate times ``eta_d``).
    Returns ``(u, compute_w, load_w, served, unserved, charge_in, from_gen, drawn, loss,
    surplus, feasible_power, can_idle)``."""
    want_w = busw + (idle + want * span) * (want > 0)
    supply = g + np.minimum(np.maximum(bat - reserve, 0.0) * eta_d * inv_dt_h, out_max_w)
    for_compute = np.maximum(supply - busw, 0.0)
    can_idle = for_compute >= idle
    u_power = np.minimum(np.maximum((for_compute - idle) * inv_span, 0.0), 1.0)
    if want_w > supply:
        u = np.minimum(want, u_power) * can_idle
    else:
        u = want
    if not u > 0:
        u = 0.0
    compute_w = idle + u * span if u > 0 else 0.0
    load_w = busw + compute_w
    served = np.minimum(load_w, g + np.minimum(bat * eta_d * inv_dt_h, out_max_w))
    unserved = (load_w - served) * dt_h
    net = g - served
    surplus = np.maximum(net, 0.0) * dt_h
    charge_in = np.maximum(np.minimum(np.minimum(surplus * eta_c, cap - bat),
                                      charge_max_w * dt_h), 0.0)
    from_gen = charge_in * inv_eta_c
    drawn = np.maximum(-net, 0.0) * dt_h / eta_d
    loss = (from_gen - charge_in) + drawn * (1.0 - eta_d)
    return (u, compute_w, load_w, served, unserved, charge_in, from_gen, drawn, loss, surplus,
            u_power, can_idle)


@kernel
def bus_steps(
    dt, t_days, gen, env, share, demand, alive,
    bus_w, t_max_k, n_acc, capacity_wh, min_soc, charge_eff, discharge_eff, idle_all, span_all,
    heat_capacity, rad_area_m2, emissivity, conductance, t_min_k, heater_max_w,
    charge_max_w, discharge_max_w, fade_cal, fade_cyc, age_days,
    battery_wh, temperature_k, throughput_wh,
    battery, temperature, load, util, available, planned,
    generated_wh, used_wh, curtailed_wh, losses_wh, unserved_wh, throttled_power_s,
    throttled_heat_s, available_s, heater_wh, cold_s,
    battery_min_wh, temperature_max_k, temperature_min_k, capacity_now_wh,
):
    """Step the power balance and the temperature of every satellite through a chunk.

    Satellite-major inputs: ``dt`` (K-1,) step lengths, s; ``t_days`` (K,) the samples' times
    from the epoch, days; ``gen`` and ``env`` (S, K-1) generation and environment heat over
    each step, W; ``share`` (S, K-1) the share of accelerators not down with a fault;
    ``demand`` (S, K) or (S, 1) the utilisation asked for; ``alive`` (S, K) bool. Per
    satellite (S,): the bus and part constants (``idle_all`` and ``span_all`` summed over its
    accelerators; ``capacity_wh`` the rated capacity, ``age_days`` the battery's age at the
    epoch; ``conductance`` chips to radiator, W/K; ``t_min_k`` the heater's setpoint).

    Written: the (S, K) arrays ``battery``, ``temperature`` (the radiator node's state at each
    sample), ``load``, ``util`` (the share of accelerators that ran) and ``available`` (the
    share that could run after fault, heat and power limits, before the heater's draw) of the
    step that starts at each sample (the last sample repeats the last step's); ``planned``
    (S, K): the same without the outages of faults, which nobody can foresee (what a scheduler
    may plan on). Advanced in place (S,): the state ``battery_wh``, ``temperature_k`` and
    ``throughput_wh``, the run's totals (``losses_wh`` holds conversion losses and energy lost
    as the capacity fades; ``heater_wh`` what the heaters drew; ``cold_s`` the time the node
    spent below its setpoint), the extremes over the samples and ``capacity_now_wh``.

    Each step: the battery's capacity fades (``power.battery_capacity_wh``); compute is held
    to what the chips may dissipate below their junction limit over the conductance from the
    radiator's temperature now (``thermal.compute_heat_limit_w``); power throttles compute
    before the bus (``power.power_step``, with the C-rate limits); a heater holds the node at
    its setpoint, drawn from the bus before compute (``thermal.heater_w``: the step is
    flown again with it); the temperature follows the heat of the load served, the battery's
    losses and the environment (``thermal.step_temperature``). A satellite that is not alive
    at both ends of a step has no load and keeps its temperature.
    """
    n_s, n_k1 = gen.shape
    dt_hours = dt / 3600.0
    inv_dt_hours = 3600.0 / dt
    inv_dt = 1.0 / dt
    per_step_demand = demand.shape[1] > 1
    sink4 = SPACE_SINK_K**4
    for s in range(n_s):
        bat = battery_wh[s]
        temp = temperature_k[s]
        thru = throughput_wh[s]
        t_max = t_max_k[s]
        t_min = t_min_k[s]
        h_max = heater_max_w[s]
        heats = t_min > 0 and h_max > 0
        bus = bus_w[s]
        eta_d = discharge_eff[s]
        eta_c = charge_eff[s]
        inv_eta_c = 1.0 / eta_c
        capacity0 = capacity_wh[s]
        c_max = charge_max_w[s]
        out_max = discharge_max_w[s] * eta_d
        f_cal = fade_cal[s]
        f_cyc = fade_cyc[s]
        age = age_days[s]
        idle = idle_all[s]
        span = span_all[s]
        inv_span = 1.0 / np.maximum(span, 1e-300) if span > 0 else 0.0
        has_acc = n_acc[s] > 0
        cond = conductance[s]
        heat_cap = heat_capacity[s]
        k_rad = emissivity[s] * STEFAN_BOLTZMANN_W_PER_M2_K4 * rad_area_m2[s]
        hold_w = k_rad * (t_min**4 - sink4)
        gen_sum = used = curt_sum = loss_sum = unserved_sum = 0.0
        thr_power = thr_heat = avail_s = heat_sum = cold_sum = 0.0
        bat_min = bat
        temp_max = temp
        temp_min = temp
        cap = capacity0
        for k in range(n_k1):
            d = dt[k]
            dt_h = dt_hours[k]
            inv_dt_h = inv_dt_hours[k]
            c_dt = heat_cap * inv_dt[k]
            cap = _capacity(capacity0, f_cal, f_cyc, age + t_days[k], thru)
            faded = np.maximum(bat - cap, 0.0)
            bat = bat - faded
            reserve = min_soc[s] * cap
            battery[s, k] = bat
            temperature[s, k] = temp
            live = alive[s, k] and alive[s, k + 1]
            u_chip = _chip_limit(temp, t_max, cond, idle, span, inv_span, has_acc)
            limit = np.minimum(share[s, k], u_chip) * live
            want = np.minimum(demand[s, k if per_step_demand else 0], limit)
            busw = bus * live
            g = gen[s, k]
            (u, compute_w, load_w, served, unserved, charge_in, from_gen, drawn, loss, surplus,
             u_power, can_idle) = _power(g, bat, cap, reserve, eta_c, eta_d, inv_eta_c, busw,
                                         idle, span, inv_span, want, dt_h, inv_dt_h, c_max,
                                         out_max)
            feasible = u_power * can_idle if span > 0 else (1.0 if can_idle else 0.0)
            avail = np.minimum(limit, feasible) if has_acc else 0.0
            plan = np.minimum(u_chip * live, feasible) if has_acc else 0.0
            heater = 0.0
            if live:
                heat_in = served + loss * inv_dt_h + env[s, k]
                if heats:
                    heater = np.minimum(np.maximum(
                        c_dt * (t_min - temp) + hold_w - heat_in, 0.0), h_max)
                    if heater > 0:
                        # The heater is bus load: the step is flown again with it.
                        (u, compute_w, load_w, served, unserved, charge_in, from_gen, drawn,
                         loss, surplus, u_power, can_idle) = _power(
                            g, bat, cap, reserve, eta_c, eta_d, inv_eta_c, busw + heater,
                            idle, span, inv_span, want, dt_h, inv_dt_h, c_max, out_max)
                        heat_in = served + loss * inv_dt_h + env[s, k]
                temp = _temperature(temp, heat_in, c_dt, k_rad)
            bat = np.minimum(np.maximum(bat + charge_in - drawn, 0.0), cap)
            thru += charge_in + drawn
            load[s, k] = load_w
            util[s, k] = u
            available[s, k] = avail
            planned[s, k] = plan
            gen_sum += g * dt_h
            used += load_w * dt_h - unserved
            curt_sum += np.maximum(surplus - from_gen, 0.0)
            loss_sum += loss + faded
            unserved_sum += unserved
            heat_sum += heater * dt_h
            if u < want - 1e-9:
                thr_power += d
            if live and u_chip < 1.0 and has_acc:
                thr_heat += d
            if live and temp < t_min - 1e-6:
                cold_sum += d
            avail_s += avail * d
            bat_min = np.minimum(bat_min, bat)
            temp_max = np.maximum(temp_max, temp)
            temp_min = np.minimum(temp_min, temp)
        battery[s, n_k1] = bat
        temperature[s, n_k1] = temp
        load[s, n_k1] = load[s, n_k1 - 1]
        util[s, n_k1] = util[s, n_k1 - 1]
        available[s, n_k1] = available[s, n_k1 - 1]
        planned[s, n_k1] = planned[s, n_k1 - 1]
        battery_wh[s] = bat
        temperature_k[s] = temp
        throughput_wh[s] = thru
        generated_wh[s] += gen_sum
        used_wh[s] += used
        curtailed_wh[s] += curt_sum
        losses_wh[s] += loss_sum
        unserved_wh[s] += unserved_sum
        throttled_power_s[s] += thr_power
        throttled_heat_s[s] += thr_heat
        available_s[s] += avail_s
        heater_wh[s] += heat_sum
        cold_s[s] += cold_sum
        battery_min_wh[s] = bat_min
        temperature_max_k[s] = temp_max
        temperature_min_k[s] = temp_min
        capacity_now_wh[s] = cap


@kernel
def available_now(dt, t_day, gen, share, alive, bus_w, t_max_k, n_acc, capacity_wh, min_soc,
                  discharge_eff, idle_all, span_all, conductance, discharge_max_w, fade_cal,
                  fade_cyc, age_days, battery_wh, temperature_k, throughput_wh, out):
    """The share of each satellite's accelerators that could run in the step starting now,
    from the state now (``battery_wh``, ``temperature_k``, ``throughput_wh`` (S,)): what
    :func:`bus_steps` writes as ``available`` for that step, whatever the demand (the same
    expressions, in the same order), without flying it. Inputs of the step: ``dt`` its
    length, s; ``t_day`` its start, days from the epoch; ``gen``, ``share`` (S,) as in
    :func:`bus_steps`; ``alive`` (S, 2) at its two ends. Written: ``out`` (S,)."""
    n_s = gen.shape[0]
    inv_dt_h = 3600.0 / dt
    for s in range(n_s):
        cap = _capacity(capacity_wh[s], fade_cal[s], fade_cyc[s], age_days[s] + t_day,
                        throughput_wh[s])
        bat = np.minimum(battery_wh[s], cap)
        temp = temperature_k[s]
        reserve = min_soc[s] * cap
        idle = idle_all[s]
        span = span_all[s]
        inv_span = 1.0 / np.maximum(span, 1e-300) if span > 0 else 0.0
        has_acc = n_acc[s] > 0
        live = alive[s, 0] and alive[s, 1]
        u_chip = _chip_limit(temp, t_max_k[s], conductance[s], idle, span, inv_span, has_acc)
        limit = np.minimum(share[s], u_chip) * live
        busw = bus_w[s] * live
        eta_d = discharge_eff[s]
        supply = gen[s] + np.minimum(np.maximum(bat - reserve, 0.0) * eta_d * inv_dt_h,
                                     discharge_max_w[s] * eta_d)
        for_compute = np.maximum(supply - busw, 0.0)
        can_idle = for_compute >= idle
        u_power = np.minimum(np.maximum((for_compute - idle) * inv_span, 0.0), 1.0)
        feasible = u_power * can_idle if span > 0 else (1.0 if can_idle else 0.0)
        out[s] = np.minimum(limit, feasible) if has_acc else 0.0


def warm_up() -> None:
    """Compile :func:`bus_steps` (or load it from numba's on-disk cache) now, on a one-satellite
    chunk: called before worker processes fork, so that they inherit it instead of each
    compiling it."""
    one = np.ones(1)
    state = [one.copy() * 300.0 for _ in range(3)]
    series = [np.empty((1, 2)) for _ in range(6)]
    totals = [np.zeros(1) for _ in range(14)]
    params = [one, one * 350.0, one, one, one * 0.2, one, one, one, one, one * 1e5, one, one,
              one, one * 273.0, one, one, one, one * 1e-4, one * 1e-4, one]
    bus_steps(np.ones(1), np.zeros(2), np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)),
              np.ones((1, 1)), np.ones((1, 2), bool), *params, *state, *series, *totals)
    available_now(1.0, 0.0, one, one, np.ones((1, 2), bool), one, one * 350.0, one, one,
                  one * 0.2, one, one, one, one, one, one * 1e-4, one * 1e-4, one,
                  one * 300.0, one * 300.0, one * 0.0, np.empty(1))
