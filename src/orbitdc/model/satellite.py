"""Satellite types: what a satellite carries (accelerators, solar array, battery, radiator)
and the mass it adds up to. A fleet uses a type with ``satellite = "NAME"``.

Parts are named from the catalogue (``orbitdc.model.catalogue``) or from the scenario's own
``[part.NAME]`` tables; names are resolved when the scenario is validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, model_validator

from orbitdc.core.constants import SOLAR_IRRADIANCE_W_PER_M2
from orbitdc.model._base import Strict
from orbitdc.model.catalogue import (
    Accelerator,
    Battery,
    Catalogue,
    RadiatorCoating,
    RadiatorPanel,
    SolarCell,
    Terminal,
)

__all__ = [
    "BatteryConfig",
    "MassBreakdown",
    "RadiatorConfig",
    "ResolvedSatellite",
    "SatelliteType",
    "SolarConfig",
]

#: Structure, harness, avionics and propulsion as a share of dry mass when the user gives none:
#: 25 %, the middle of the 20-30 % structure-and-mechanisms share of small satellites in Wertz,
#: Everett & Puschell, "Space Mission Engineering: The New SMAD" (2011), table 14-18 [E].
DEFAULT_STRUCTURE_FRACTION = 0.25
#: Drag coefficient when the user gives none: 2.2, the value for compact satellites in
#: free-molecular flow (Cook 1965, Planet. Space Sci. 13; used by Vallado, "Fundamentals of
#: Astrodynamics and Applications", 4th ed., sec. 8.6.2) [E]: real values run 2.0-2.5 and more for
#: flat plates.
DEFAULT_DRAG_COEFFICIENT = 2.2
#: Specific heat used for the default heat capacity: aluminium, 897 J/(kg K) (CRC Handbook).
ALUMINIUM_SPECIFIC_HEAT_J_PER_KG_K = 897.0
#: Junction-to-radiator temperature drop at full compute load when the user gives none: 30 K
#: [E]. Junction to liquid across a cold plate at full TDP is some 15-20 K for 700 W parts,
#: and a pumped or heat-pipe loop loses some 10 K more to the radiator surface; the model
#: review of issue 15 quotes radiators 20-40 K below their chips. No public figure exists for
#: a space loop carrying data-centre accelerators: state your own (``radiator.gradient_k``).
DEFAULT_CHIP_GRADIENT_K = 30.0
#: Least share of its open rejection a radiator can be turned down to (louvers closed, a
#: variable-conductance heat pipe shut down, a pumped loop bypassed) when the user gives none:
#: 1/6. Gilmore (ed.), Spacecraft Thermal Control Handbook vol. I, 2nd ed. (Aerospace Press
#: 2002), ch. 9 "Louvers": "a louver in its fully open state can reject six times as much heat
#: as it does in its fully closed state" (the bimetallic rectangular-blade louver, the kind
#: most used). For a variable-conductance heat pipe or a loop bypass, state your own.
DEFAULT_RADIATOR_TURN_DOWN = 1.0 / 6.0
#: Optical terminals a satellite carries when its type does not say, where its fleet has
#: inter-satellite links: 4, the "+grid" of the LEO-mesh literature (two in the plane, one to
#: each adjacent plane: Bhattacherjee & Singla, "Network topology design at 27,000 km/hour",
#: CoNEXT 2019) [E]; a satellite without links carries none.
DEFAULT_TERMINALS = 4
#: Density of aluminium, 2,700 kg/m3 (CRC Handbook; shielding is given in mm of aluminium
#: equivalent).
ALUMINIUM_DENSITY_KG_PER_M3 = 2700.0
#: Area the shielding encloses per accelerator when the type does not say, 0.045 m2 [E]: the
#: surface of a box around one SXM-class module with its memory (~140 x 105 x 30 mm: 0.044
#: m2). A thin shell: its mass is area x thickness x density; spot shielding of the
#: accelerators alone, the rest of the bus as it is.
DEFAULT_SHIELDED_AREA_PER_ACCELERATOR_M2 = 0.045
#: Tracking modes and what ``tracking = true / false`` meant before they had names.
TRACKING_MODES = ("two-axis", "single-axis", "body-fixed")


class SolarConfig(Strict):
    """A solar array: give ``area_m2`` or ``rated_power_w`` (beginning of life, 1 AU, normal
    incidence), not both."""

    cell: str = "gaas-3j"
    area_m2: Annotated[float | None, Field(gt=0.0)] = None
    rated_power_w: Annotated[float | None, Field(gt=0.0)] = None
    #: "two-axis" (faces the Sun), "single-axis" (turns about the orbit normal: cos(beta)),
    #: "body-fixed" (its normal along ``fixed_normal``); true / false: two-axis / body-fixed.
    tracking: bool | Literal["two-axis", "single-axis", "body-fixed"] = "two-axis"
    fixed_normal: Literal["zenith", "orbit_normal"] = "zenith"

    @model_validator(mode="after")
    def _one_size(self):
        if (self.area_m2 is None) == (self.rated_power_w is None):
            raise ValueError("give exactly one of area_m2 or rated_power_w")
        return self

    @property
    def mode(self) -> str:
        """The tracking mode by name."""
        if isinstance(self.tracking, bool):
            return "two-axis" if self.tracking else "body-fixed"
        return self.tracking


class BatteryConfig(Strict):
    cell: str = "li-ion"
    capacity_wh: Annotated[float, Field(ge=0.0)]
    #: Lowest state of charge in normal use; default 1 - the cell's maximum depth of discharge.
    min_soc: Annotated[float | None, Field(ge=0.0, lt=1.0)] = None
    initial_soc: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    charge_efficiency: Annotated[float | None, Field(gt=0.0, le=1.0)] = None
    discharge_efficiency: Annotated[float | None, Field(gt=0.0, le=1.0)] = None
    #: Most charge / discharge rate in multiples of the capacity per hour; default the cell's.
    max_charge_c: Annotated[float | None, Field(gt=0.0, le=100.0)] = None
    max_discharge_c: Annotated[float | None, Field(gt=0.0, le=100.0)] = None
    #: Capacity fade with calendar age and cycling (the cell's law); false: none.
    fade: bool = True


class RadiatorConfig(Strict):
    """Radiating area (count both faces of a two-sided panel) and its surface."""

    area_m2: Annotated[float, Field(gt=0.0)]
    coating: str = "white-paint"
    panel: str = "panel"
    emissivity: Annotated[float | None, Field(gt=0.0, le=1.0)] = None
    absorptivity: Annotated[float | None, Field(ge=0.0, le=1.0)] = None
    #: Share of the radiating area facing the Sun; 0 for radiators kept edge-on to it.
    sun_view_factor: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    #: View factor from the radiating area to the Earth at the satellite's altitude, applied
    #: once to the Earth's infrared and albedo (it already holds the altitude's geometry): 0.25
    #: as in Starcloud's worked example (white paper v1.03, 2024, pp. 8-9), close to an edge-on
    #: panel's 0.258 at 550 km (``orbitdc.core.thermal.plate_earth_view_factor``).
    earth_view_factor: Annotated[float, Field(ge=0.0, le=1.0)] = 0.25
    #: Junction-to-radiator temperature drop at full compute load, K (default 30 K, an
    #: estimate); or the conductance from chips to radiator itself, W/K. Not both.
    gradient_k: Annotated[float | None, Field(gt=0.0, le=300.0)] = None
    conductance_w_per_k: Annotated[float | None, Field(gt=0.0, le=1e9)] = None
    #: Least share of its open rejection the radiator can be turned down to, to hold the
    #: minimum temperature before heaters draw power (louvers, variable-conductance heat pipes,
    #: a bypassed loop); default 1/6 (louvers, Gilmore's handbook); 1: no turn-down.
    turn_down: Annotated[float, Field(gt=0.0, le=1.0)] = DEFAULT_RADIATOR_TURN_DOWN

    @model_validator(mode="after")
    def _one_coupling(self):
        if self.gradient_k is not None and self.conductance_w_per_k is not None:
            raise ValueError("give gradient_k or conductance_w_per_k, not both")
        return self


class SatelliteType(Strict):
    accelerator: str
    accelerators: Annotated[int, Field(ge=0, le=100_000)] = 1
    bus_load_w: Annotated[float, Field(ge=0.0)] = 0.0
    solar: SolarConfig
    battery: BatteryConfig
    radiator: RadiatorConfig
    #: Years in orbit at the scenario start (solar cells degrade from launch).
    age_years: Annotated[float, Field(ge=0.0, le=50.0)] = 0.0
    #: Aluminium-equivalent shielding around the accelerators (dose scales with it).
    shielding_mm_al: Annotated[float, Field(gt=0.0, le=100.0)] = 10.0
    #: Area the shielding encloses (mass: area x thickness x aluminium's density); default
    #: 0.045 m2 per accelerator (a box around each module, ``DEFAULT_SHIELDED_AREA_...``).
    shielding_area_m2: Annotated[float | None, Field(ge=0.0, le=1e5)] = None
    #: Optical inter-satellite terminals each satellite carries: at most this many links end
    #: on it. Default: 4 where a fleet of this type has links, else 0.
    terminals: Annotated[int | None, Field(ge=0, le=64)] = None
    #: The terminal part (catalogue or ``[part.NAME]``); default that of the fleet's
    #: ``[[network.isl]]`` entry. Its mass and the count above go into the roll-up.
    terminal: str | None = None
    #: Electrical power each terminal draws from the bus, W, all the time (it holds its
    #: pointing, tracking and thermal control whether or not a link is up); default the
    #: terminal part's ``power_w``. 0 where ``bus_load_w`` already counts the terminals.
    terminal_power_w: Annotated[float | None, Field(ge=0.0, le=1e5)] = None
    #: Propellant loaded at launch: launched with the satellite (launch cost), not part of the
    #: dry mass that drag, heat capacity and the disposal figures use.
    propellant_kg: Annotated[float, Field(ge=0.0, le=1e7)] = 0.0
    structure_fraction: Annotated[float, Field(ge=0.0, lt=0.9)] = DEFAULT_STRUCTURE_FRACTION
    #: Default: aluminium's specific heat times the satellite's dry mass.
    heat_capacity_j_per_k: Annotated[float | None, Field(gt=0.0)] = None
    initial_temperature_k: Annotated[float, Field(gt=3.0, lt=600.0)] = 293.15
    #: Chip (junction) temperature above which compute throttles; default the accelerator's
    #: maximum. The radiator runs below it by the chips' heat over the conductance.
    max_temperature_k: Annotated[float | None, Field(gt=200.0, lt=600.0)] = None
    #: Lowest temperature of the node (radiator, battery, resting chips) the heater holds;
    #: default the highest of the parts' minimums (the battery's 0 C for Li-ion).
    min_temperature_k: Annotated[float | None, Field(gt=3.0, lt=600.0)] = None
    #: Most electrical power the heaters draw from the bus; default: as much as it takes.
    heater_max_w: Annotated[float | None, Field(ge=0.0, le=1e9)] = None
    #: How long an accelerator is out after a single-event upset (reset and restart).
    fault_recovery_s: Annotated[float, Field(ge=0.0, le=86_400.0)] = 60.0
    #: Mean area facing the flow. Default: half the flat panels' one-sided area (solar array
    #: plus the radiator's planform, half its radiating area), the mean projected area of a
    #: thin plate tumbling at random (Cauchy: a convex body's mean shadow is a quarter of its
    #: surface), as a satellite left without attitude control at the end of its mission is.
    drag_area_m2: Annotated[float | None, Field(gt=0.0, le=1e7)] = None
    drag_coefficient: Annotated[float, Field(gt=0.0, le=10.0)] = DEFAULT_DRAG_COEFFICIENT
    #: Or the ballistic coefficient Cd A / m itself (instead of drag_area_m2, drag_coefficient).
    ballistic_coefficient_m2_per_kg: Annotated[float | None, Field(gt=0.0, le=100.0)] = None

    @model_validator(mode="after")
    def _temperatures_in_order(self):
        lo, hi = self.min_temperature_k, self.max_temperature_k
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"min_temperature_k ({lo:g}) must be below max_temperature_k "
                             f"({hi:g})")
        return self

    @model_validator(mode="after")
    def _one_drag(self):
        if self.ballistic_coefficient_m2_per_kg is not None and (
            {"drag_area_m2", "drag_coefficient"} & self.model_fields_set
        ):
            raise ValueError("give ballistic_coefficient_m2_per_kg, or drag_area_m2 and "
                             "drag_coefficient, not both")
        return self

    def resolve(self, catalogue: Catalogue) -> ResolvedSatellite:
        """Look up the parts. Raises ``KeyError((key, message))``."""

        def get(key, kind, name):
            try:
                return catalogue.get(kind, name)
            except KeyError as exc:
                raise KeyError((key, exc.args[0])) from None

        acc = get("accelerator", "accelerator", self.accelerator)
        cell = get("solar.cell", "solar_cell", self.solar.cell)
        bat = get("battery.cell", "battery", self.battery.cell)
        coat = get("radiator.coating", "radiator_coating", self.radiator.coating)
        panel = get("radiator.panel", "radiator", self.radiator.panel)
        term = get("terminal", "terminal", self.terminal) if self.terminal else None
        return ResolvedSatellite(self, acc, cell, bat, coat, panel, terminal_part=term,
                                 terminal_count=self.terminals or 0)


@dataclass(frozen=True)
class MassBreakdown:
    """The roll-up: parts, the structure's share of them, and the propellant. ``total_kg``
    is the dry mass; ``launched_kg`` adds the propellant."""

    accelerators_kg: float
    solar_kg: float
    battery_kg: float
    radiator_kg: float
    structure_kg: float
    shielding_kg: float = 0.0
    terminals_kg: float = 0.0
    propellant_kg: float = 0.0

    @property
    def total_kg(self) -> float:
        """Dry mass."""
        return (
            self.accelerators_kg + self.solar_kg + self.battery_kg + self.radiator_kg
            + self.shielding_kg + self.terminals_kg + self.structure_kg
        )

    @property
    def launched_kg(self) -> float:
        """Dry mass plus propellant: what the launch carries."""
        return self.total_kg + self.propellant_kg

    def as_dict(self) -> dict[str, float]:
        return {
            "accelerators_kg": self.accelerators_kg,
            "solar_kg": self.solar_kg,
            "battery_kg": self.battery_kg,
            "radiator_kg": self.radiator_kg,
            "shielding_kg": self.shielding_kg,
            "terminals_kg": self.terminals_kg,
            "structure_kg": self.structure_kg,
            "total_kg": self.total_kg,
            "propellant_kg": self.propellant_kg,
            "launched_kg": self.launched_kg,
        }


@dataclass(frozen=True)
class ResolvedSatellite:
    """A satellite type with its parts looked up, and the figures derived from them."""

    spec: SatelliteType
    accelerator: Accelerator
    cell: SolarCell
    battery_cell: Battery
    coating: RadiatorCoating
    panel: RadiatorPanel
    #: The optical terminal and how many each satellite carries (set when the scenario is
    #: validated: the type's own, or the defaults of its fleets' links).
    terminal_part: Terminal | None = None
    terminal_count: int = 0

    @property
    def solar_area_m2(self) -> float:
        s = self.spec.solar
        if s.area_m2 is not None:
            return s.area_m2
        return s.rated_power_w / (
            SOLAR_IRRADIANCE_W_PER_M2 * self.cell.efficiency_bol * self.cell.packing_factor
        )

    @property
    def rated_power_w(self) -> float:
        """Array output at beginning of life, 1 AU, normal incidence."""
        return (
            SOLAR_IRRADIANCE_W_PER_M2 * self.solar_area_m2 * self.cell.efficiency_bol
            * self.cell.packing_factor
        )

    @property
    def min_soc(self) -> float:
        b = self.spec.battery
        return b.min_soc if b.min_soc is not None else 1.0 - self.battery_cell.max_depth_of_discharge

    @property
    def charge_efficiency(self) -> float:
        return self.spec.battery.charge_efficiency or self.battery_cell.charge_efficiency

    @property
    def discharge_efficiency(self) -> float:
        return self.spec.battery.discharge_efficiency or self.battery_cell.discharge_efficiency

    @property
    def emissivity(self) -> float:
        return self.spec.radiator.emissivity or self.coating.emissivity

    @property
    def absorptivity(self) -> float:
        a = self.spec.radiator.absorptivity
        return self.coating.absorptivity if a is None else a

    @property
    def max_temperature_k(self) -> float:
        return self.spec.max_temperature_k or self.accelerator.max_temperature_k

    @property
    def min_temperature_k(self) -> float:
        """The heater's setpoint (0 K: no minimum)."""
        if self.spec.min_temperature_k is not None:
            return self.spec.min_temperature_k
        parts = [self.battery_cell.min_temperature_k, self.accelerator.min_temperature_k]
        return max((p for p in parts if p is not None), default=0.0)

    @property
    def heater_max_w(self) -> float:
        h = self.spec.heater_max_w
        return float("inf") if h is None else h

    @property
    def conductance_w_per_k(self) -> float:
        """Chips to radiator, W/K (infinite without accelerators)."""
        r = self.spec.radiator
        if r.conductance_w_per_k is not None:
            return r.conductance_w_per_k
        gradient = r.gradient_k if r.gradient_k is not None else DEFAULT_CHIP_GRADIENT_K
        return self.compute_load_w / gradient if self.compute_load_w > 0 else float("inf")

    @property
    def radiator_full_load_k(self) -> float:
        """Radiator temperature at which the chips reach their limit at full load."""
        g = self.conductance_w_per_k
        return self.max_temperature_k - (self.compute_load_w / g if g < float("inf") else 0.0)

    def _rate_w(self, own, cell) -> float:
        c = own if own is not None else cell
        return float("inf") if c is None else c * self.spec.battery.capacity_wh

    @property
    def charge_max_w(self) -> float:
        """Most power into the cells, W (C-rate x rated capacity)."""
        return self._rate_w(self.spec.battery.max_charge_c, self.battery_cell.max_charge_c)

    @property
    def discharge_max_w(self) -> float:
        """Most power out of the cells, W."""
        return self._rate_w(self.spec.battery.max_discharge_c, self.battery_cell.max_discharge_c)

    @property
    def calendar_fade(self) -> float:
        c = self.battery_cell
        return c.calendar_fade if self.spec.battery.fade and c.calendar_fade else 0.0

    @property
    def cycle_fade_per_sqrt_wh(self) -> float:
        """``beta sqrt(cell Ah / C0 Wh)`` (``orbitdc.core.power.battery_capacity_wh``), with
        the depth of discharge taken as the battery's whole window, ``1 - min_soc``."""
        c = self.battery_cell
        cap = self.spec.battery.capacity_wh
        if not (self.spec.battery.fade and c.cycle_fade is not None and c.cell_capacity_ah
                and cap > 0):
            return 0.0
        beta = c.cycle_fade + (c.cycle_fade_per_dod or 0.0) * (1.0 - self.min_soc)
        return beta * (c.cell_capacity_ah / cap) ** 0.5

    @property
    def terminals_w(self) -> float:
        """What the optical terminals draw from the bus, W: each its ``terminal_power_w``
        (default the part's ``power_w``), always on."""
        if not self.terminal_count:
            return 0.0
        each = self.spec.terminal_power_w
        if each is None:
            each = self.terminal_part.power_w if self.terminal_part is not None else 0.0
        return self.terminal_count * each

    @property
    def bus_w(self) -> float:
        """The bus's own load, W: ``bus_load_w`` plus the terminals."""
        return self.spec.bus_load_w + self.terminals_w

    @property
    def compute_load_w(self) -> float:
        return self.spec.accelerators * self.accelerator.power_load_w

    @property
    def compute_idle_w(self) -> float:
        return self.spec.accelerators * self.accelerator.power_idle_w

    @property
    def mass(self) -> MassBreakdown:
        acc = self.spec.accelerators * self.accelerator.mass_kg
        solar = self.solar_area_m2 * self.cell.areal_mass_kg_per_m2
        battery = self.spec.battery.capacity_wh / self.battery_cell.specific_energy_wh_per_kg
        radiator = self.spec.radiator.area_m2 * self.panel.areal_mass_kg_per_m2
        shielding = (self.shielding_area_m2 * self.spec.shielding_mm_al * 1e-3
                     * ALUMINIUM_DENSITY_KG_PER_M3)
        terminals = (self.terminal_count * self.terminal_part.mass_kg
                     if self.terminal_part is not None else 0.0)
        parts = acc + solar + battery + radiator + shielding + terminals
        f = self.spec.structure_fraction
        structure = parts * f / (1.0 - f)
        return MassBreakdown(acc, solar, battery, radiator, structure, shielding, terminals,
                             self.spec.propellant_kg)

    @property
    def shielding_area_m2(self) -> float:
        a = self.spec.shielding_area_m2
        return (a if a is not None
                else self.spec.accelerators * DEFAULT_SHIELDED_AREA_PER_ACCELERATOR_M2)

    @property
    def drag_area_m2(self) -> float:
        """Mean area facing the flow (see ``SatelliteType.drag_area_m2``)."""
        a = self.spec.drag_area_m2
        return a if a is not None else 0.5 * (self.solar_area_m2 + 0.5 * self.spec.radiator.area_m2)

    @property
    def ballistic_m2_per_kg(self) -> float:
        """``Cd A / m`` with the dry mass of the roll-up."""
        b = self.spec.ballistic_coefficient_m2_per_kg
        if b is not None:
            return b
        return self.spec.drag_coefficient * self.drag_area_m2 / self.mass.total_kg

    @property
    def heat_capacity_j_per_k(self) -> float:
        c = self.spec.heat_capacity_j_per_k
        return c if c is not None else ALUMINIUM_SPECIFIC_HEAT_J_PER_KG_K * self.mass.total_kg

