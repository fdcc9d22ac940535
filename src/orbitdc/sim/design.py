"""Design checks run before a simulation: designs that can never work are refused (a
:class:`ScenarioError`, exit code 2, naming the key to change); designs that will work badly
get a warning in the summary.

The checks use closed forms on each satellite type's worst orbit over the run:

- **Radiator**: with the accelerators switched off, it must reject the bus load plus the
  Earth's infrared at the chips' limit temperature, or the node can never cool below it
  (error). At full load in full sunlight (with albedo at the subsolar point) it should reject
  that too **at the radiator's own temperature**, the chips' limit less the drop across the
  conductance at full load (else a warning: compute will throttle).
- **Cold case**: in eclipse with the accelerators off and the radiator turned down as far as
  it goes (``radiator.turn_down``), the node settles where the bus load and the Earth's
  infrared balance its emission; below the minimum temperature the heaters
  must make up the difference in steady state (a bound: the node's heat capacity buffers a
  short eclipse). A heater limit below that is a warning (the design freezes), and so is a
  battery that cannot carry the bus and that heater through the longest eclipse.
- **Battery**: its whole energy must carry the bus through the longest eclipse of the run
  (error); its energy above the reserve should carry the full load (else a warning).
- **Array**: the orbit-average generation at the array's real incidence (two-axis
  ``1 - f``, single-axis ``cos(beta) (1 - f)``, body-fixed zenith ``cos(beta) / pi``,
  body-fixed orbit normal ``max(0, sin beta) (1 - f)``; the worst over the run) must cover
  the bus load (error) and should cover the full load (else a warning). The longest eclipse and the
  eclipse fraction come from the cylindrical-shadow closed form at each fleet's beta angles,
  sampled every 6 hours over the run with the orbit planes precessing at their SGP4 rates.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core import thermal
from orbitdc.core.constants import (
    EARTH_ALBEDO,
    EARTH_OLR_W_PER_M2,
    SOLAR_IRRADIANCE_W_PER_M2,
    STEFAN_BOLTZMANN_W_PER_M2_K4,
    WGS72_RADIUS_KM,
    WGS84_RADIUS_KM,
)
from orbitdc.core.sun import eclipse_fraction_cylindrical, sun_position_km
from orbitdc.core.time import epoch_jd, jd_pair
from orbitdc.model.environment import trapped_proton_table
from orbitdc.model.errors import ScenarioError
from orbitdc.model.scenario import Scenario
from orbitdc.sim.fleet import Fleet, build_fleet

__all__ = ["OrbitEnvelope", "check_design", "check_network", "orbit_envelopes",
           "validate_design"]

#: Most memory the per-satellite round trips of inference placement may take (see sim.network).
SAT_RTT_BUDGET_BYTES = 1 << 30
#: Region-to-satellite round-trip tables held at once (``sim.network``: float16): the routing
#: step in force, the two the next views need (found ahead), and the one being found.
SAT_RTT_TABLES = 4
#: Bytes per region and satellite beyond them: the view's float64 copy for the orchestrator.
SAT_RTT_VIEW_BYTES = 8
#: Satellites per fleet whose orbit planes are sampled for the envelope.
_SAMPLE = 64
#: Largest solar flux of the year (perihelion, 0.9833 AU).
_FLUX_MAX = SOLAR_IRRADIANCE_W_PER_M2 / 0.9833**2


class OrbitEnvelope:
    """Worst cases of one fleet's orbits over the run."""

    def __init__(self, longest_eclipse_s: float, eclipse_fraction_max: float,
                 altitude_min_km: float, altitude_max_km: float = 0.0,
                 array_factor: dict[str, float] | None = None):
        self.longest_eclipse_s = longest_eclipse_s
        self.eclipse_fraction_max = eclipse_fraction_max
        self.altitude_min_km = altitude_min_km
        self.altitude_max_km = altitude_max_km
        #: Lowest orbit-average of (1 - shadow) x cos(incidence) over the run, per pointing.
        self.array_factor = array_factor or {}


def orbit_envelopes(scenario: Scenario, fleet: Fleet) -> list[OrbitEnvelope]:
    """Longest eclipse, largest eclipse fraction and lowest altitude of each scenario fleet."""
    epoch = epoch_jd(scenario.start)
    t = np.append(np.arange(0.0, scenario.duration_s, 6 * 3600.0), scenario.duration_s)
    sun = sun_position_km(*jd_pair(epoch, t))
    sun /= np.linalg.norm(sun, axis=1, keepdims=True)
    out = []
    for i in range(len(scenario.fleet)):
        members = np.nonzero(fleet.fleet_index == i)[0]
        pick = members[np.linspace(0, members.size - 1, min(_SAMPLE, members.size)).astype(int)]
        sats = [fleet.satrec_list[j] for j in pick]
        inc = np.array([s.inclo for s in sats])
        node0 = np.array([s.nodeo for s in sats])
        node_rate = np.array([s.nodedot for s in sats]) / 60.0  # rad/min -> rad/s
        # Epochs of element sets may differ from the scenario's start.
        age_s = np.array([((epoch[0] - s.jdsatepoch) + (epoch[1] - s.jdsatepochF)) * 86400.0
                          for s in sats])
        node = node0[:, None] + node_rate[:, None] * (age_s[:, None] + t[None, :])
        normal = np.stack(
            [np.sin(inc)[:, None] * np.sin(node), -np.sin(inc)[:, None] * np.cos(node),
             np.broadcast_to(np.cos(inc)[:, None], node.shape)], axis=-1,
        )
        beta = np.arcsin(np.clip(np.einsum("skj,kj->sk", normal, sun), -1.0, 1.0))
        a_km = np.array([s.a for s in sats]) * WGS72_RADIUS_KM
        ecc = np.array([s.ecco for s in sats])
        altitude = a_km * (1.0 - ecc) - WGS84_RADIUS_KM  # perigee: the worst case
        period_s = 2.0 * np.pi / np.array([s.no_kozai for s in sats]) * 60.0
        frac = eclipse_fraction_cylindrical(altitude[:, None], beta)
        longest = frac * period_s[:, None]
        # An eccentric orbit spends far less than that fraction of its period in shadow: it
        # crosses the shadow (2 R wide) at least at apogee speed, or, near perigee, at most as
        # long as a circular orbit at perigee radius would.
        mu = 398600.4418
        r_p = a_km * (1.0 - ecc)
        v_apo = np.sqrt(mu / a_km * (1.0 - ecc) / (1.0 + ecc))
        circ_p = 2.0 * np.pi * np.sqrt(r_p**3 / mu)
        bound = np.maximum((2.0 * WGS84_RADIUS_KM / v_apo)[:, None], frac * circ_p[:, None])
        longest = np.where((ecc > 0.05)[:, None], np.minimum(longest, bound), longest)
        lit = 1.0 - frac
        factor = {
            "two-axis": lit,
            "single-axis": np.cos(beta) * lit,
            "zenith": np.cos(beta) / np.pi,  # its lit half-orbit never meets the shadow
            "orbit_normal": np.maximum(np.sin(beta), 0.0) * lit,
        }
        out.append(
            OrbitEnvelope(
                longest_eclipse_s=float(np.max(longest)),
                eclipse_fraction_max=float(np.max(frac)),
                altitude_min_km=float(np.min(altitude)),
                altitude_max_km=float(np.max(a_km * (1.0 + ecc) - WGS84_RADIUS_KM)),
                array_factor={k: float(np.min(v)) for k, v in factor.items()},
            )
        )
    return out


def check_design(scenario: Scenario, fleet: Fleet) -> list[str]:
    """Refuse impossible designs (ScenarioError), return warnings for poor ones."""
    if not scenario.satellite_types:
        return []
    envelopes = orbit_envelopes(scenario, fleet)
    problems: list[tuple[str, str]] = []
    warnings: list[str] = []
    for name, sat in scenario.satellite_types.items():
        used = [envelopes[i] for i, f in enumerate(scenario.fleet) if f.satellite == name]
        if not used:
            continue
        key = f"satellite.{name}"
        spec = sat.spec
        if spec.battery.initial_soc < sat.min_soc:
            warnings.append(
                f"satellite type {name}: the battery starts at {spec.battery.initial_soc:g}, "
                f"below its reserve ({sat.min_soc:g}): compute waits until it recharges"
            )
        top = max(e.altitude_max_km for e in used)
        table_top = float(trapped_proton_table().alt_km[-1])
        if top > table_top + 1.0:
            warnings.append(
                f"satellite type {name}: it flies up to {top:,.0f} km, above the trapped-proton "
                f"table's {table_top:,.0f} km (AP-8 MIN, inner belt): there the flux is held at "
                f"its {table_top:,.0f} km value, so dose, upsets and the lifetime they imply "
                "are rough"
            )
        if spec.shielding_mm_al < 5.0:
            warnings.append(
                f"satellite type {name}: {spec.shielding_mm_al:g} mm of shielding: trapped "
                "electrons, left out of the dose model, add much of the dose below ~5 mm "
                "(SHIELDOSE-2 at 550 km: ~30 % at 5 mm, most at 2 mm), so the dose and the "
                "lifetime it implies are optimistic"
            )
        longest_s = max(e.longest_eclipse_s for e in used)
        ecl_frac = max(e.eclipse_fraction_max for e in used)
        rad = spec.radiator
        t_max = sat.max_temperature_k
        per_m2 = sat.emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * t_max**4
        # The view factor holds the altitude's geometry: applied once, undiluted.
        ir_per_m2 = sat.emissivity * EARTH_OLR_W_PER_M2 * rad.earth_view_factor
        cold_w = sat.bus_w
        if per_m2 * rad.area_m2 < cold_w + ir_per_m2 * rad.area_m2:
            need = thermal.radiator_area_m2(cold_w, t_max, sat.emissivity, ir_per_m2)
            problems.append((
                f"{key}.radiator.area_m2",
                f"radiator too small: even with the accelerators off it cannot reject the bus "
                f"load ({cold_w:g} W) and the Earth's infrared below the limit of {t_max:g} K; "
                f"it needs at least {need:.3g} m^2 (has {rad.area_m2:g})",
            ))
        else:
            sun_per_m2 = sat.absorptivity * _FLUX_MAX * (
                rad.sun_view_factor + EARTH_ALBEDO * rad.earth_view_factor
            )
            hot_w = cold_w + sat.compute_load_w
            t_rad = sat.radiator_full_load_k
            need = (float(thermal.radiator_area_m2(hot_w, t_rad, sat.emissivity,
                                                   ir_per_m2 + sun_per_m2))
                    if t_rad > 3.0 else float("inf"))
            if need > rad.area_m2:
                warnings.append(
                    f"satellite type {name}: the radiator ({rad.area_m2:g} m^2) cannot reject "
                    f"full load in full sunlight at its {t_rad:.5g} K (the chips' {t_max:g} K "
                    f"less {t_max - t_rad:.3g} K from chip to radiator; {need:.3g} m^2 "
                    "would): compute will throttle when hot"
                )
        heater_w = 0.0
        t_min = sat.min_temperature_k
        if t_min > 0:
            # Eclipse, accelerators off: bus load and Earth infrared against the emission.
            # The radiator turned down as far as it goes (radiator.turn_down) first.
            f_min = rad.turn_down
            emit_w = (f_min * sat.emissivity * STEFAN_BOLTZMANN_W_PER_M2_K4 * rad.area_m2
                      * t_min**4)
            heater_w = max(emit_w - cold_w - ir_per_m2 * rad.area_m2, 0.0)
            settle_k = float(thermal.equilibrium_temperature_k(
                cold_w + ir_per_m2 * rad.area_m2, rad.area_m2, f_min * sat.emissivity, 0.0))
            if heater_w > sat.heater_max_w:
                warnings.append(
                    f"satellite type {name}: the design freezes: in eclipse with compute off "
                    f"and the radiator turned down to {f_min:.3g} of its rejection "
                    f"(radiator.turn_down) the node settles at {settle_k:.4g} K, below its "
                    f"minimum of {t_min:g} K, and holding it there takes {heater_w:.4g} W of "
                    f"heaters (heater_max_w is {sat.heater_max_w:g})"
                )
                heater_w = sat.heater_max_w
        if longest_s > 0 and heater_w > 0:
            eta = sat.discharge_efficiency
            cold_wh = (sat.bus_w + heater_w) * longest_s / 3600.0
            if spec.battery.capacity_wh * eta < cold_wh:
                warnings.append(
                    f"satellite type {name}: the battery cannot carry the bus and "
                    f"{heater_w:.4g} W of heaters (holding {t_min:g} K with compute off) through "
                    f"the longest eclipse ({longest_s / 60:.1f} min, {cold_wh:.4g} Wh): the "
                    "design freezes when idle in eclipse"
                )
        if longest_s > 0:
            eta = sat.discharge_efficiency
            bus_wh = sat.bus_w * longest_s / 3600.0
            if spec.battery.capacity_wh * eta < bus_wh:
                problems.append((
                    f"{key}.battery.capacity_wh",
                    f"battery cannot carry the bus ({sat.bus_w:g} W{_of_it(sat)}) through "
                    "the longest "
                    f"eclipse of the run ({longest_s / 60:.1f} min): it needs at least "
                    f"{bus_wh / eta:.4g} Wh (has {spec.battery.capacity_wh:g})",
                ))
            else:
                full_wh = (sat.bus_w + sat.compute_load_w) * longest_s / 3600.0
                usable = spec.battery.capacity_wh * (1.0 - sat.min_soc) * eta
                if usable < full_wh:
                    warnings.append(
                        f"satellite type {name}: the battery above its reserve "
                        f"({usable:.4g} Wh) cannot carry full load through the longest eclipse "
                        f"({longest_s / 60:.1f} min, {full_wh:.4g} Wh): compute will throttle "
                        "in eclipse"
                    )
        # The array at its real incidence, the worst orbit-average over the run.
        years = spec.age_years + scenario.duration_s / (365.25 * 86400.0)
        array_w = sat.rated_power_w * (1.0 - sat.cell.degradation_per_year) ** years
        mode = spec.solar.mode
        pointing = spec.solar.fixed_normal if mode == "body-fixed" else mode
        factor = min(e.array_factor[pointing] for e in used)
        mean_w = array_w * factor * (1.0 / 1.0167**2)  # aphelion flux
        # Charging costs the round trip on the energy the battery carries: through eclipses,
        # and for a zenith face through the half-orbit it turns from the Sun.
        on_battery = max(ecl_frac, 0.5) if pointing == "zenith" else ecl_frac
        round_trip = sat.charge_efficiency * sat.discharge_efficiency
        need_bus = sat.bus_w * ((1.0 - on_battery) + on_battery / round_trip)
        need_full = (sat.bus_w + sat.compute_load_w) * (
            (1.0 - on_battery) + on_battery / round_trip)
        described = {
            "two-axis": "tracking the Sun on two axes",
            "single-axis": "tracking on one axis, losing cos(beta)",
            "zenith": "body-fixed facing the zenith",
            "orbit_normal": "body-fixed facing the orbit normal",
        }[pointing]
        cause = (f"{described}, mean (1 - shadow) x cos(incidence) {factor:.3g} over the "
                 f"worst orbit; eclipse fraction up to {ecl_frac:.3g}")
        if mean_w < need_bus:
            problems.append((
                f"{key}.solar",
                f"solar array too small: its orbit-average output ({mean_w:.4g} W at "
                f"aphelion, end of run; {cause}) cannot power the bus "
                f"({sat.bus_w:g} W{_of_it(sat)})",
            ))
        elif mean_w < need_full:
            warnings.append(
                f"satellite type {name}: the solar array's orbit-average output "
                f"({mean_w:.4g} W; {cause}) is below full load "
                f"({sat.bus_w + sat.compute_load_w:g} W with charging losses): "
                "compute will throttle"
            )
    if problems:
        raise ScenarioError(scenario.source, problems)
    return warnings


def validate_design(scenario: Scenario) -> list[str]:
    """:func:`validate_fleet` for a scenario on its own (builds its fleet)."""
    return validate_fleet(scenario, build_fleet(scenario))


def validate_fleet(scenario: Scenario, fleet: Fleet) -> list[str]:
    """Every pre-run check; all problems are reported together."""
    warnings = []
    problems = []
    for check in (check_design, check_network):
        try:
            warnings += check(scenario, fleet)
        except ScenarioError as exc:
            problems += exc.problems
    every = scenario.output.every_s
    if every is not None and every >= scenario.duration_s:
        warnings.append(
            f"output.every_s ({every:g} s) is not shorter than the run ({scenario.duration_s:g}"
            " s): the time series holds only its first sample"
        )
    if scenario.user_region and any(w.kind == "inference" for w in scenario.workload):
        # A few routing steps' tables at a time, however long the run or its chunks.
        need = (len(scenario.user_region) * fleet.size
                * (2 * SAT_RTT_TABLES + SAT_RTT_VIEW_BYTES))
        if need > SAT_RTT_BUDGET_BYTES:
            problems.append((
                "user_region",
                f"placing inference needs the round trip from each of the "
                f"{len(scenario.user_region)} user regions to each of the {fleet.size:,} "
                f"satellites at the routing steps it holds at once ({need / 2**30:.1f} GiB, "
                f"more than {SAT_RTT_BUDGET_BYTES / 2**30:g}); use fewer user regions",
            ))
    if problems:
        raise ScenarioError(scenario.source, problems)
    return warnings


def check_network(scenario: Scenario, fleet: Fleet) -> list[str]:
    """Refuse networks that can never work (ScenarioError); warn of stations nothing sees
    and of topologies asking more links of a satellite than it has terminals.

    A station at latitude phi can only see a fleet whose ground tracks come within the
    coverage cone ``acos(R cos e / (R + h)) - e`` of it, and tracks reach latitude ``i`` (or
    ``180 - i``). Formation members must come within the link range at some point of an orbit
    (their geometry repeats every orbit)."""
    from orbitdc.core.links import nearest_pairs
    from orbitdc.core.orbits import orbital_period_s
    from orbitdc.core.time import epoch_jd, jd_pair

    problems: list[tuple[str, str]] = []
    warnings: list[str] = []
    active = bool(scenario.network.isl or scenario.user_region)
    reach = []
    for i, f in enumerate(scenario.fleet):
        members = np.nonzero(fleet.fleet_index == i)[0]
        sats = [fleet.satrec_list[j] for j in members]  # all: element sets may mix orbits
        inc = np.array([s.inclo for s in sats])
        top = np.max(np.minimum(inc, np.pi - inc))
        alt = float(np.max(np.array([s.a for s in sats]) * (1 + np.array([s.ecco for s in sats])))
                    * WGS72_RADIUS_KM - WGS84_RADIUS_KM)
        reach.append((top, alt))
    for g, station in enumerate(scenario.ground_station):
        e = np.deg2rad(station.min_elevation_deg)
        lat = abs(np.deg2rad(station.lat_deg))
        seen = any(
            lat <= top + np.arccos(WGS84_RADIUS_KM * np.cos(e) / (WGS84_RADIUS_KM + alt)) - e
            for top, alt in reach
        )
        if not seen:
            message = (f"no satellite ever comes into view of {station.name!r} at "
                       f"{station.lat_deg:g} deg latitude above {station.min_elevation_deg:g} deg")
            if active:
                problems.append((f"ground_station.{g}", message))
            else:
                warnings.append(message)
    for k, isl in enumerate(scenario.network.isl):
        # Links beyond the terminals: what the topology asks of each satellite.
        terms = scenario.isl_terminals(isl)
        wants = {"+grid": 4, "nearest": isl.k}.get(isl.topology)
        if wants is not None and terms < wants:
            warnings.append(
                f"network.isl.{k}: {isl.topology} asks {wants} links of each satellite of "
                f"{isl.fleet!r} but they carry {terms} terminals: only the shortest links "
                "that terminals can hold form (give the satellite type more terminals)")
    epoch = epoch_jd(scenario.start)
    for k, isl in enumerate(scenario.network.isl):
        if isl.topology == "+grid":
            continue
        fi = next(i for i, f in enumerate(scenario.fleet) if f.name == isl.fleet)
        members = np.nonzero(fleet.fleet_index == fi)[0]
        if members.size < 2:
            continue
        sub = fleet.satrec_list[members[0]]
        period = float(orbital_period_s(sub.a * WGS72_RADIUS_KM - WGS72_RADIUS_KM))
        t = np.linspace(0.0, period, 24, endpoint=False)
        from sgp4.api import SatrecArray

        _, r, _ = SatrecArray([fleet.satrec_list[j] for j in members]).sgp4(*jd_pair(epoch, t))
        ever = any(nearest_pairs(r[:, j], 1, isl.max_range_km).size for j in range(t.size))
        if not ever:
            problems.append((
                f"network.isl.{k}.max_range_km",
                f"the members of {isl.fleet!r} never come within {isl.max_range_km:g} km of "
                "each other: no link can form",
            ))
    if problems:
        raise ScenarioError(scenario.source, problems)
    return warnings


def _of_it(sat) -> str:
    """What of the bus load is the optical terminals', for messages ('' without them)."""
    return f", {sat.terminals_w:g} W of it terminals" if sat.terminals_w > 0 else ""
