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

__all__ = ["COLD_TOLERANCE_K", "NEWTON_ITERATIONS", "NEWTON_TOLERANCE_K", "available_now", "bus_steps",
           "generation_and_heat", "warm_up"]

#: The node counts as cold (``cold_s``) this far below its setpoint: a thermostat's dead
#: band. The heater is sized on the step's first flight, then again on the second: its own
#: draw changes the battery's losses (when it takes power the battery would have charged
#: with, the charging losses it displaces; when the battery discharges, more discharge
#: losses), which after the first pass left the node up to ~0.03 K off the setpoint; what
#: remains after the second is the change in losses of that correction, second order.
COLD_TOLERANCE_K = 0.1
#: Newton's method for the backward-Euler temperature stops when its step is below this.
NEWTON_TOLERANCE_K = 1e-9
#: ... or after this many iterations (it converges in two to five from the start used).
NEWTON_ITERATIONS = 30


@kernel
def _temperature(t0, heat_in_w, c_dt, inv_c_dt, k):
    """Scalar :func:`orbitdc.core.thermal.step_temperature`: the root of
    ``f(T) = c_dt (T - t0) + k (T^4 - T_sink^4) - heat_in_w`` (``c_dt = C / dt``,
    ``k = eps sigma A``, ``inv_c_dt = dt / C``, given so that no step divides by it) by
    Newton's method.

    It starts from the explicit-Euler estimate, within ``O(dt^2)`` of the root. ``f`` is
    convex and increasing, so every Newton iterate after the first lies at or above the root
    and the iterates descend onto it; the error after a step of size ``h`` is at most
    ``f'' / (2 f') h^2 <= 1.5 h^2 / T``, so the loop stops once that is below the tolerance
    (usually after one step: the estimate is already within micro-kelvins)."""
    q = heat_in_w + k * SPACE_SINK_K**4
    rhs = c_dt * t0 + q
    t = t0 + (q - k * t0 * t0 * t0 * t0) * inv_c_dt if c_dt > 0 else t0
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
def _calendar_root(days):
    """``t^0.75`` of :func:`orbitdc.core.power.battery_capacity_wh`'s calendar term, as
    ``sqrt(t) sqrt(sqrt(t))`` (``t`` in days, not below 0)."""
    d = days if days > 0 else 0.0
    r = np.sqrt(d)
    return r * np.sqrt(r)


@kernel
def _capacity(capacity0, fade_cal, fade_cyc, calendar_root, throughput):
    """Scalar :func:`orbitdc.core.power.battery_capacity_wh` from the calendar term's
    ``t^0.75`` (:func:`_calendar_root`)."""
    q = throughput if throughput > 0 else 0.0
    loss = fade_cal * calendar_root + fade_cyc * np.sqrt(q)
    return capacity0 * np.maximum(1.0 - loss, 0.0)


@kernel
def _chip_limit(temp, t_cool, t_max, conductance, idle, span, inv_span, has_acc):
    """The share of compute the chips may run with the radiator node at ``temp``: their heat
    ``idle + u span`` at most ``G (T_junction - T)`` (``thermal.compute_heat_limit_w``).
    ``t_cool`` (:func:`_cool_below`): at or below it, all of it (a branch, not arithmetic,
    so that the usual case puts no dependence on the temperature in the way of the power
    balance)."""
    if temp <= t_cool or not has_acc:
        return 1.0
    p_max = np.maximum(conductance * (t_max - temp), 0.0)
    if span > 0:
        return np.minimum(np.maximum((p_max - idle) * inv_span, 0.0), 1.0)
    return 1.0 if p_max >= idle else 0.0


@kernel
def _cool_below(t_max, conductance, idle, span, has_acc):
    """Radiator temperature at or below which the chips may run at full load: ``T_junction -
    (idle + span) / G`` (infinite without accelerators)."""
    return t_max - (idle + span) / conductance if has_acc else np.inf


@kernel
def _power(g, bat, cap, reserve, eta_c, eta_d, inv_eta_c, inv_eta_d, busw, idle, span, inv_span, want,
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
    # Two cases, written apart so that the one the orbit is in (sunlight or eclipse) does not
    # wait on the other's arithmetic; each is what the one expression for both gives.
    if g >= load_w:  # the array carries the load: the rest may charge the battery
        served = load_w
        unserved = 0.0
        surplus = (g - load_w) * dt_h
        charge_in = np.maximum(np.minimum(np.minimum(surplus * eta_c, cap - bat),
                                          charge_max_w * dt_h), 0.0)
        drawn = 0.0
    else:  # the battery makes up the difference, as far as it can
        served = np.minimum(load_w, g + np.minimum(bat * eta_d * inv_dt_h, out_max_w))
        unserved = (load_w - served) * dt_h
        surplus = 0.0
        charge_in = 0.0
        drawn = (served - g) * dt_h * inv_eta_d
    from_gen = charge_in * inv_eta_c
    loss = (from_gen - charge_in) + drawn * (1.0 - eta_d)
    return (u, compute_w, load_w, served, unserved, charge_in, from_gen, drawn, loss, surplus,
            u_power, can_idle)


@kernel
def bus_steps(
    dt, t_days, gen, env, share, demand, alive,
    bus_w, t_max_k, n_acc, capacity_wh, min_soc, charge_eff, discharge_eff, idle_all, span_all,
    heat_capacity, rad_area_m2, emissivity, conductance, t_min_k, turn_down, heater_max_w,
    charge_max_w, discharge_max_w, fade_cal, fade_cyc, age_days,
    battery_wh, temperature_k, throughput_wh, capacity_now_wh,
    battery, temperature, chip_temperature, load, util, available, planned,
    generated_wh, used_wh, curtailed_wh, losses_wh, unserved_wh, throttled_power_s,
    throttled_heat_s, available_s, heater_wh, cold_s,
    battery_min_wh, temperature_max_k, temperature_min_k,
):
    """Step the power balance and the temperature of every satellite through a chunk.

    Satellite-major inputs: ``dt`` (K-1,) step lengths, s; ``t_days`` (K,) the samples' times
    from the epoch, days; ``gen`` and ``env`` (S, K-1) generation and environment heat over
    each step, W; ``share`` (S, K-1) the share of accelerators not down with a fault;
    ``demand`` (S, K) or (S, 1) the utilisation asked for; ``alive`` (S, K) bool. Per
    satellite (S,): the bus and part constants (``idle_all`` and ``span_all`` summed over its
    accelerators; ``capacity_wh`` the rated capacity, ``age_days`` the battery's age at the
    epoch; ``conductance`` chips to radiator, W/K; ``t_min_k`` the thermostat's setpoint, 0
    for none; ``turn_down`` the least share of its open rejection the radiator turns down to).

    Written: the (S, K) arrays ``battery``, ``temperature`` (the radiator node's state at each
    sample), ``chip_temperature`` (the chips', ``T + P_compute / G`` over the step that starts
    there), ``load``, ``util`` (the share of accelerators that ran) and ``available`` (the
    share that could run after fault, heat and power limits, before the heater's draw) of the
    step that starts at each sample (the last sample repeats the last step's); ``planned``
    (S, K): the same without the outages of faults, which nobody can foresee (what a scheduler
    may plan on). Advanced in place (S,): the state ``battery_wh``, ``temperature_k``,
    ``throughput_wh`` and ``capacity_now_wh`` (the faded capacity at the current sample), the
    run's totals (``losses_wh`` holds conversion losses and energy lost as the capacity fades;
    ``heater_wh`` what the heaters drew; ``cold_s`` the time the node spent below its
    setpoint) and the extremes over the samples.

    Each step: the battery holds at most its faded capacity, which for the next sample is
    ``power.battery_capacity_wh`` at that sample's age with the throughput up to the start of
    this step (one step's lag in the cycle term, which keeps the square root off the step's
    chain of dependences: relative to the capacity some 1e-4 in the first step of a new
    battery, 5e-6 after an orbit, shrinking as the square root flattens); compute is held
    to what the chips may dissipate below their junction limit over the conductance from the
    radiator's temperature now (``thermal.compute_heat_limit_w``); power throttles compute
    before the bus (``power.power_step``, with the C-rate limits); the heat of the load served,
    the battery's losses and the environment move the temperature
    (``thermal.step_temperature``). Where the node would end below its setpoint, the
    thermostat turns the radiator down as far as ``turn_down`` (``thermal.radiator_turn_down``:
    the node then ends at the setpoint) and heaters make up the rest (``thermal.heater_w`` at
    the turned-down rejection, drawn from the bus before compute: the step is flown again
    with them). A satellite that is not alive at both ends of a step has no load and keeps
    its temperature.

    Constants are hoisted per satellite; the cold branch is taken only when the open radiator
    would take the node below its setpoint, the fade only for batteries that fade.
    """
    n_s, n_k1 = gen.shape
    dt_hours = dt / 3600.0
    inv_dt_hours = 3600.0 / dt
    inv_dt = 1.0 / dt
    per_step_demand = demand.shape[1] > 1
    sink4 = SPACE_SINK_K**4
    # The calendar term's t^0.75 at each sample, for one battery age at a time (satellites of
    # a type share theirs): computed again only when the age changes from one satellite to
    # the next.
    roots = np.empty(n_k1 + 1)
    roots_age = np.nan
    for s in range(n_s):
        bat = battery_wh[s]
        temp = temperature_k[s]
        thru = throughput_wh[s]
        t_max = t_max_k[s]
        t_min = t_min_k[s]
        controls = t_min > 0
        h_max = heater_max_w[s]
        bus = bus_w[s]
        eta_d = discharge_eff[s]
        eta_c = charge_eff[s]
        inv_eta_c = 1.0 / eta_c
        inv_eta_d = 1.0 / eta_d
        capacity0 = capacity_wh[s]
        msoc = min_soc[s]
        c_max = charge_max_w[s]
        out_max = discharge_max_w[s] * eta_d
        f_cal = fade_cal[s]
        f_cyc = fade_cyc[s]
        fades = f_cal > 0 or f_cyc > 0
        age = age_days[s]
        if fades and not age == roots_age:
            for k in range(n_k1 + 1):
                roots[k] = _calendar_root(age + t_days[k])
            roots_age = age
        idle = idle_all[s]
        span = span_all[s]
        inv_span = 1.0 / np.maximum(span, 1e-300) if span > 0 else 0.0
        has_acc = n_acc[s] > 0
        cond = conductance[s]
        t_cool = _cool_below(t_max, cond, idle, span, has_acc)
        inv_cond = 1.0 / cond
        heat_cap = heat_capacity[s]
        inv_heat_cap = 1.0 / heat_cap
        k_rad = emissivity[s] * STEFAN_BOLTZMANN_W_PER_M2_K4 * rad_area_m2[s]
        f_min = turn_down[s]
        k_closed = k_rad * f_min
        hold_w = k_rad * (t_min**4 - sink4)  # the open radiator's rejection at the setpoint
        turn_w = hold_w - k_closed * (t_min**4 - sink4)  # what turning it down saves there
        gen_sum = used = curt_sum = loss_sum = unserved_sum = 0.0
        thr_power = thr_heat = avail_s = heat_sum = cold_sum = 0.0
        bat_min = bat
        temp_max = temp
        temp_min = temp
        cap = capacity_now_wh[s]
        chip_w = 0.0
        for k in range(n_k1):
            d = dt[k]
            dt_h = dt_hours[k]
            inv_dt_h = inv_dt_hours[k]
            c_dt = heat_cap * inv_dt[k]
            inv_c_dt = d * inv_heat_cap
            cap_next = _capacity(capacity0, f_cal, f_cyc, roots[k + 1], thru) if fades else cap
            held = np.minimum(bat, cap)
            faded = bat - held
            bat = held
            reserve = msoc * cap
            battery[s, k] = bat
            temperature[s, k] = temp
            live = alive[s, k] and alive[s, k + 1]
            u_chip = _chip_limit(temp, t_cool, t_max, cond, idle, span, inv_span, has_acc)
            limit = np.minimum(share[s, k], u_chip) * live
            want = np.minimum(demand[s, k if per_step_demand else 0], limit)
            busw = bus * live
            g = gen[s, k]
            (u, compute_w, load_w, served, unserved, charge_in, from_gen, drawn, loss, surplus,
             u_power, can_idle) = _power(g, bat, cap, reserve, eta_c, eta_d, inv_eta_c, inv_eta_d, busw,
                                         idle, span, inv_span, want, dt_h, inv_dt_h, c_max,
                                         out_max)
            feasible = u_power * can_idle if span > 0 else (1.0 if can_idle else 0.0)
            avail = np.minimum(limit, feasible) if has_acc else 0.0
            plan = np.minimum(u_chip * live, feasible) if has_acc else 0.0
            heater = 0.0
            if live:
                heat_in = served + loss * inv_dt_h + env[s, k]
                # Residual of the step at the setpoint with the radiator open: > 0, the node
                # would end below the setpoint.
                short = c_dt * (t_min - temp) + hold_w - heat_in
                if controls and short > 0:
                    short = short - turn_w  # with the radiator turned down all it can be
                    if short > 0:
                        if h_max > 0:
                            heater = short if short < h_max else h_max
                            # The heater is bus load: the step is flown again with it.
                            (u, compute_w, load_w, served, unserved, charge_in, from_gen,
                             drawn, loss, surplus, u_power, can_idle) = _power(
                                g, bat, cap, reserve, eta_c, eta_d, inv_eta_c, inv_eta_d,
                                busw + heater,
                                idle, span, inv_span, want, dt_h, inv_dt_h, c_max, out_max)
                            heat_in = served + loss * inv_dt_h + env[s, k]
                            # Second pass: the heater's draw changed the battery's losses
                            # (heat too); size it again on what is short now and fly again.
                            again = c_dt * (t_min - temp) + hold_w - turn_w - heat_in
                            if heater < h_max and again != 0.0:
                                heater = min(max(heater + again, 0.0), h_max)
                                (u, compute_w, load_w, served, unserved, charge_in, from_gen,
                                 drawn, loss, surplus, u_power, can_idle) = _power(
                                    g, bat, cap, reserve, eta_c, eta_d, inv_eta_c, inv_eta_d,
                                    busw + heater,
                                    idle, span, inv_span, want, dt_h, inv_dt_h, c_max,
                                    out_max)
                                heat_in = served + loss * inv_dt_h + env[s, k]
                        temp_new = _temperature(temp, heat_in, c_dt, inv_c_dt, k_closed)
                    else:
                        temp_new = t_min  # the turn-down holds the setpoint exactly
                else:
                    temp_new = _temperature(temp, heat_in, c_dt, inv_c_dt, k_rad)
            else:
                temp_new = temp
            chip_temperature[s, k] = temp + compute_w * inv_cond
            chip_w = compute_w
            temp = temp_new
            # Not clipped: the step never charges past the room left nor draws more than is
            # stored, so the tests' bounds on the battery can fail if it did.
            bat = bat + charge_in - drawn
            thru += charge_in + drawn
            cap = cap_next
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
            if live and temp < t_min - COLD_TOLERANCE_K:
                cold_sum += d
            avail_s += avail * d
            bat_min = np.minimum(bat_min, bat)
            temp_max = np.maximum(temp_max, temp)
            temp_min = np.minimum(temp_min, temp)
        battery[s, n_k1] = bat
        temperature[s, n_k1] = temp
        chip_temperature[s, n_k1] = temp + chip_w * inv_cond
        load[s, n_k1] = load[s, n_k1 - 1]
        util[s, n_k1] = util[s, n_k1 - 1]
        available[s, n_k1] = available[s, n_k1 - 1]
        planned[s, n_k1] = planned[s, n_k1 - 1]
        battery_wh[s] = bat
        temperature_k[s] = temp
        throughput_wh[s] = thru
        capacity_now_wh[s] = cap
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


@kernel
def available_now(dt, gen, share, alive, bus_w, t_max_k, n_acc, min_soc, discharge_eff,
                  idle_all, span_all, conductance, discharge_max_w, battery_wh, temperature_k,
                  capacity_now_wh, out):
    """The share of each satellite's accelerators that could run in the step starting now,
    from the state now (``battery_wh``, ``temperature_k``, ``capacity_now_wh`` (S,)): what
    :func:`bus_steps` writes as ``available`` for that step, whatever the demand (the same
    expressions, in the same order), without flying it. Inputs of the step: ``dt`` its
    length, s; ``gen``, ``share`` (S,) as in :func:`bus_steps`; ``alive`` (S, 2) at its two
    ends. Written: ``out`` (S,)."""
    n_s = gen.shape[0]
    inv_dt_h = 3600.0 / dt
    for s in range(n_s):
        cap = capacity_now_wh[s]
        bat = np.minimum(battery_wh[s], cap)
        temp = temperature_k[s]
        reserve = min_soc[s] * cap
        idle = idle_all[s]
        span = span_all[s]
        inv_span = 1.0 / np.maximum(span, 1e-300) if span > 0 else 0.0
        has_acc = n_acc[s] > 0
        live = alive[s, 0] and alive[s, 1]
        t_max = t_max_k[s]
        cond = conductance[s]
        u_chip = _chip_limit(temp, _cool_below(t_max, cond, idle, span, has_acc), t_max, cond,
                             idle, span, inv_span, has_acc)
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


@kernel
def generation_and_heat(age_years, array_w_per_flux, log_keep, t_s, solar_flux, lit, incidence,
                        use_incidence, area_m2, absorptivity, emissivity, sun_view, earth_view,
                        cos_sun_zenith, albedo, earth_ir_w_per_m2):
    """What the bus takes from its environment over a chunk, in one pass: the array's output
    per W/m^2 of flux degraded for its age at each sample, ``array_w`` (S, K) (per satellite
    ``array_w_per_flux * exp(log_keep * years)``, ``log_keep = log1p(-degradation per
    year)``), the power generated ``flux * array_w * lit`` (times ``incidence`` when
    ``use_incidence``) (S, K), and the step means (trapezoid) of generation and of the heat
    the radiators absorb (``orbitdc.core.thermal.environment_heat_w``: Sun, albedo, Earth
    infrared, IR absorptivity = emissivity) (S, K - 1). Per-satellite arguments (S,), per
    sample (K,) or (S, K) as their names say; the same expressions, in the same order, as the
    NumPy code (a property test holds them to it)."""
    n_s, n_k = lit.shape
    array_w = np.empty((n_s, n_k))
    generated = np.empty((n_s, n_k))
    gen_step = np.empty((n_s, max(n_k - 1, 0)))
    env_step = np.empty((n_s, max(n_k - 1, 0)))
    for s in range(n_s):
        heat_prev = 0.0
        for k in range(n_k):
            years = age_years[s] + t_s[k] / (365.25 * 86400.0)
            aw = array_w_per_flux[s] * np.exp(log_keep[s] * years)
            array_w[s, k] = aw
            flux = solar_flux[k]
            g = (flux * aw) * lit[s, k]
            if use_incidence:
                g = g * incidence[s, k]
            generated[s, k] = g
            sun = absorptivity[s] * flux * lit[s, k] * sun_view[s] * area_m2[s]
            reflected = (absorptivity[s] * albedo * flux * np.maximum(cos_sun_zenith[s, k], 0.0)
                         * earth_view[s] * area_m2[s])
            infrared = emissivity[s] * earth_ir_w_per_m2 * earth_view[s] * area_m2[s]
            heat = sun + reflected + infrared
            if k > 0:
                gen_step[s, k - 1] = 0.5 * (generated[s, k - 1] + g)
                env_step[s, k - 1] = 0.5 * (heat_prev + heat)
            heat_prev = heat
    return array_w, generated, gen_step, env_step


def warm_up() -> None:
    """Compile :func:`bus_steps` (or load it from numba's on-disk cache) now, on a one-satellite
    chunk: called before worker processes fork, so that they inherit it instead of each
    compiling it."""
    one = np.ones(1)
    generation_and_heat(one, one, -one * 0.01, np.zeros(2), np.ones(2), np.ones((1, 2)),
                        np.ones((1, 2)), True, one, one, one, one, one, np.ones((1, 2)), 0.3,
                        240.0)
    state = [one.copy() * 300.0 for _ in range(4)]
    series = [np.empty((1, 2)) for _ in range(7)]
    totals = [np.zeros(1) for _ in range(13)]
    params = [one, one * 350.0, one, one, one * 0.2, one, one, one, one, one * 1e5, one, one,
              one, one * 273.0, one * 0.2, one, one, one, one * 1e-4, one * 1e-4, one]
    bus_steps(np.ones(1), np.zeros(2), np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)),
              np.ones((1, 1)), np.ones((1, 2), bool), *params, *state, *series, *totals)
    # ... and on the time-major (Fortran-ordered (S, K)) arrays of a chunk flown a scheduling
    # step at a time (``orbitdc.sim.bus.BusChunk``), a second compiled version.
    two = np.ones(2)
    fortran = np.asfortranarray
    bus_steps(np.ones(2), np.zeros(3), fortran(np.ones((2, 2))), fortran(np.ones((2, 2))),
              fortran(np.ones((2, 2))), np.ones((2, 1)), fortran(np.ones((2, 3), bool)),
              *[two * p[0] for p in params], *[two * 300.0 for _ in range(4)],
              *[fortran(np.empty((2, 3))) for _ in range(7)], *[np.zeros(2) for _ in range(13)])
    available_now(1.0, one, one, np.ones((1, 2), bool), one, one * 350.0, one, one * 0.2, one,
                  one, one, one, one, one * 300.0, one * 300.0, one * 300.0, np.empty(1))
