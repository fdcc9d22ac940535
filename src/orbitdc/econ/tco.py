"""Total cost of ownership in orbit and on the ground, cost per delivered accelerator-hour,
the break-even launch price, and carbon.

The model, line by line (all money in US dollars, discounted to the start at
``discount_rate`` per year; delivered hours are discounted the same way, so a cost per hour
is a levelised cost, like the levelised cost of electricity):

**Orbit**, per satellite of each type, once per hardware generation (every
``replacement_years``, or sooner if the radiation dose limit comes first), at the start of the
generation: accelerators (count x unit price), bus structure (its mass x ``bus_usd_per_kg``),
solar array (rated W x ``solar_usd_per_w``), battery (Wh x ``battery_usd_per_wh``), radiator
(m^2 x ``radiator_usd_per_m2``), integration (``integration_fraction`` of that hardware),
launch (mass x ``launch_usd_per_kg``) and insurance (``insurance_fraction`` of hardware,
integration and launch). Every year: operations per satellite and the ground segment per
station.

**Ground**, for the same accelerators: the facility (``capex_usd_per_mw`` and
``backup_usd_per_mw`` of IT load, at the start), the accelerators (once per generation, the
same cadence as in orbit), and every year: electricity (IT energy x PUE x price), water
(IT energy x WUE x price) and operations per MW.

**Delivered accelerator-hours**: accelerators x 8,766 h/yr x ``utilisation``; in orbit also x
the simulated ``compute_available`` (eclipses, heat, faults) and x the survivors of hard
failures (``failure_rate_per_year``, nothing is repaired), averaged over each generation.
When the run has workloads, the share of accelerator-hours they actually used (training,
batch and inference as scheduled and flown) replaces ``utilisation x compute_available``,
and the ground twin delivers the same work. The ground repairs failures (inside operations)
and is available whenever it is used.

**Carbon**: launch emissions (launched mass x ``launch_co2_kg_per_kg``, each generation)
against grid emissions of the ground's energy (x ``grid_gco2_per_kwh``). Manufacturing
emissions are left out on both sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from orbitdc.model.economics import Economics
from orbitdc.model.satellite import ResolvedSatellite

__all__ = [
    "HOURS_PER_YEAR",
    "FleetItem",
    "TcoResult",
    "break_even_launch_price",
    "launched_power_price",
    "sweep_launch_price",
    "tco",
]

HOURS_PER_YEAR = 8766.0


@dataclass(frozen=True)
class FleetItem:
    """One satellite type as flown: how many satellites, and what the simulation found."""

    name: str
    satellite: ResolvedSatellite
    count: int
    availability: float = 1.0  # mean compute_available from the simulation
    dose_lifetime_years: float = math.inf
    stations: int = 0  # ground stations, counted once for the whole fleet (on the first item)
    #: Share of nameplate accelerator-hours the run's workloads used (None: the economics
    #: input ``utilisation`` x ``availability``); the ground twin delivers the same work.
    utilisation: float | None = None


@dataclass
class TcoResult:
    orbit: dict[str, float]
    ground: dict[str, float]
    orbit_total_usd: float
    ground_total_usd: float
    orbit_hours: float  # discounted delivered accelerator-hours
    ground_hours: float
    orbit_usd_per_hour: float
    ground_usd_per_hour: float
    launched_mass_kg: float  # per generation
    generations: int
    replacement_years: float
    array_kw: float
    it_mw: float
    orbit_co2_t: float
    ground_co2_t: float
    notes: list[str]

    @property
    def ratio(self) -> float:
        if not (math.isfinite(self.orbit_usd_per_hour) and math.isfinite(self.ground_usd_per_hour)):
            return math.nan
        if self.ground_usd_per_hour <= 0.0:  # a free ground: no ratio to speak of
            return math.nan if self.orbit_usd_per_hour <= 0.0 else math.inf
        return self.orbit_usd_per_hour / self.ground_usd_per_hour


def _pv_annual(amount: float, years: float, rate: float) -> float:
    """Present value of ``amount`` per year paid continuously over ``years``."""
    if rate == 0.0:
        return amount * years
    k = math.log1p(rate)
    return amount * (1.0 - math.exp(-k * years)) / k


def _pv_at(amount: float, t_years: float, rate: float) -> float:
    return amount / (1.0 + rate) ** t_years


def _pv_decaying(amount: float, years: float, rate: float, decay: float) -> float:
    """Present value of ``amount * exp(-decay t)`` per year over ``years``."""
    k = math.log1p(rate) + decay
    if k == 0.0:
        return amount * years
    return amount * (1.0 - math.exp(-k * years)) / k


def tco(items: list[FleetItem], econ: Economics, launch_usd_per_kg: float | None = None,
        *, mass_factor: float = 1.0) -> TcoResult:
    """The whole cost model for a fleet (see the module docstring). ``mass_factor`` scales the
    mass roll-up (structure and launched mass), not a stated ``launched_mass_kg``: the
    uncertainty of the catalogue's estimated masses."""
    p_launch = econ.launch_usd_per_kg if launch_usd_per_kg is None else launch_usd_per_kg
    life = econ.lifetime_years
    r = econ.discount_rate
    notes: list[str] = []
    replace = econ.replacement_years or life
    dose_life = min((i.dose_lifetime_years for i in items), default=math.inf)
    if dose_life < replace:
        notes.append(
            f"hardware replaced every {dose_life:.2f} years: the radiation dose limit comes "
            f"before the {replace:g}-year replacement cadence"
        )
        replace = dose_life
    generations = max(1, math.ceil(life / replace - 1e-9))
    starts = [g * replace for g in range(generations)]
    gen_pv = sum(_pv_at(1.0, t, r) for t in starts)
    # The ground's accelerators see no radiation: they follow the replacement cadence only.
    ground_replace = econ.replacement_years or life
    ground_gen_pv = sum(_pv_at(1.0, g * ground_replace, r)
                        for g in range(max(1, math.ceil(life / ground_replace - 1e-9))))

    o = dict.fromkeys(
        ("accelerators", "bus_structure", "solar_array", "battery", "radiator", "integration",
         "launch", "insurance", "operations", "ground_segment"), 0.0,
    )
    g = dict.fromkeys(
        ("accelerators", "facility", "backup_power", "electricity", "water", "operations"), 0.0
    )
    orbit_hours = ground_hours = mass_total = array_kw = it_kw = energy_kwh_year = 0.0
    n_sats = 0
    for item in items:
        sat, n = item.satellite, item.count
        n_sats += n
        acc_price = econ.accelerator_usd
        if acc_price is None:
            acc_price = sat.accelerator.price_usd
        if acc_price is None:
            raise ValueError(
                f"accelerator {sat.spec.accelerator!r} has no price_usd; give "
                "economics.accelerator_usd"
            )
        m = sat.mass
        # The roll-up's dry mass (shielding and terminals in it) and the propellant loaded.
        mass = (econ.launched_mass_kg if econ.launched_mass_kg is not None
                else m.total_kg * mass_factor + m.propellant_kg)
        hw = {
            "accelerators": sat.spec.accelerators * acc_price,
            "bus_structure": m.structure_kg * mass_factor * econ.bus_usd_per_kg,
            "solar_array": sat.rated_power_w * econ.solar_usd_per_w,
            "battery": sat.spec.battery.capacity_wh * econ.battery_usd_per_wh,
            "radiator": sat.spec.radiator.area_m2 * econ.radiator_usd_per_m2,
        }
        hardware = sum(hw.values())
        integration = econ.integration_fraction * hardware
        launch = mass * p_launch
        insurance = econ.insurance_fraction * (hardware + integration + launch)
        for key, value in hw.items():
            o[key] += n * value * gen_pv
        o["integration"] += n * integration * gen_pv
        o["launch"] += n * launch * gen_pv
        o["insurance"] += n * insurance * gen_pv
        o["operations"] += n * _pv_annual(econ.operations_usd_per_satellite_year, life, r)
        mass_total += n * mass
        array_kw += n * sat.rated_power_w / 1000.0
        # Delivered hours: each generation's survivors decay from its start.
        acc = n * sat.spec.accelerators
        used = item.utilisation
        per_year = acc * HOURS_PER_YEAR * (
            used if used is not None else econ.utilisation * item.availability)
        for t0 in starts:
            span = min(replace, life - t0)
            orbit_hours += _pv_at(1.0, t0, r) * _pv_decaying(
                per_year, span, r, econ.failure_rate_per_year
            )
        # Ground twin.
        ground_use = used if used is not None else econ.utilisation
        ground_per_year = acc * HOURS_PER_YEAR * ground_use
        ground_hours += _pv_annual(ground_per_year, life, r)
        g["accelerators"] += acc * acc_price * ground_gen_pv
        load_w = sat.accelerator.power_idle_w + ground_use * (
            sat.accelerator.power_load_w - sat.accelerator.power_idle_w
        )
        it_kw += acc * sat.accelerator.power_load_w * (1 + econ.ground.it_overhead_fraction) / 1e3
        energy_kwh_year += (
            acc * load_w * (1 + econ.ground.it_overhead_fraction) * HOURS_PER_YEAR / 1e3
        )
    stations = max((i.stations for i in items), default=0)
    o["ground_segment"] = _pv_annual(econ.ground_segment_usd_per_station_year * stations, life, r)
    gb = econ.ground
    it_mw = it_kw / 1000.0
    g["facility"] = gb.capex_usd_per_mw * it_mw
    g["backup_power"] = gb.backup_usd_per_mw * it_mw
    g["electricity"] = _pv_annual(energy_kwh_year * gb.pue * gb.electricity_usd_per_kwh, life, r)
    g["water"] = _pv_annual(
        energy_kwh_year * gb.water_l_per_kwh / 1000.0 * gb.water_usd_per_m3, life, r
    )
    g["operations"] = _pv_annual(gb.operations_usd_per_mw_year * it_mw, life, r)
    orbit_total = sum(o.values())
    ground_total = sum(g.values())
    orbit_co2_t = mass_total * generations * econ.launch_co2_kg_per_kg / 1000.0
    ground_co2_t = energy_kwh_year * gb.pue * life * gb.grid_gco2_per_kwh / 1e6
    return TcoResult(
        orbit=o,
        ground=g,
        orbit_total_usd=orbit_total,
        ground_total_usd=ground_total,
        orbit_hours=orbit_hours,
        ground_hours=ground_hours,
        orbit_usd_per_hour=orbit_total / orbit_hours if orbit_hours > 0 else math.inf,
        ground_usd_per_hour=ground_total / ground_hours if ground_hours > 0 else math.inf,
        launched_mass_kg=mass_total,
        generations=generations,
        replacement_years=replace,
        array_kw=array_kw,
        it_mw=it_mw,
        orbit_co2_t=orbit_co2_t,
        ground_co2_t=ground_co2_t,
        notes=notes,
    )


def break_even_launch_price(items: list[FleetItem], econ: Economics) -> float | None:
    """The launch price (USD/kg) at which a delivered accelerator-hour costs the same in orbit
    as on the ground; None when orbit is dearer even with free launch.

    Cost per hour is affine in the launch price (launch and its insurance scale with it), so
    the root follows from two evaluations; the caller can check it by evaluating there."""
    c0 = tco(items, econ, 0.0)
    c1 = tco(items, econ, 1000.0)
    slope = (c1.orbit_usd_per_hour - c0.orbit_usd_per_hour) / 1000.0
    gap = c0.ground_usd_per_hour - c0.orbit_usd_per_hour
    if gap < 0 or slope <= 0:
        return None if gap < 0 else math.inf
    return gap / slope


def launched_power_price(mass_kg: float, power_kw: float, years: float, usd_per_kg: float):
    """Suncatcher's metric: launch cost per kW of array power per year of life."""
    return mass_kg * usd_per_kg / (power_kw * years)


def sweep_launch_price(items, econ, prices=(10, 20, 50, 100, 200, 500, 1000, 2000, 3600, 5000)):
    rows = []
    for price in prices:
        res = tco(items, econ, float(price))
        rows.append((float(price), res.orbit_usd_per_hour, res.ground_usd_per_hour))
    return rows
