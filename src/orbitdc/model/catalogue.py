"""The hardware catalogue: accelerators, solar cells, batteries, radiator coatings and panels,
optical terminals. Every figure cites its public source.

The shipped parts live in ``parts.toml`` beside this module; each part has a ``sources`` table
that gives, for every number, where it comes from and how sure it is: ``[P]`` the vendor's or
the paper's own figure, ``[S]`` a secondary source, ``[E]`` an engineering estimate with its
reasoning (only where nothing public exists). A test checks that no number lacks a source.

Scenarios add or override parts in ``[part.NAME]`` tables with a ``kind`` key.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orbitdc.model.radiation import IonWeibull

__all__ = [
    "PART_KINDS",
    "Accelerator",
    "Battery",
    "Catalogue",
    "Part",
    "RadiatorCoating",
    "RadiatorPanel",
    "SolarCell",
    "Terminal",
    "shipped_catalogue",
]


class _PartBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    description: str = ""
    #: Field name -> citation, starting with its mark: [P], [S] or [E].
    sources: dict[str, str] = {}
    #: Field name -> ``[low, high]``: the spread of an estimated ([E]) figure, which the cost
    #: Monte Carlo draws from when it re-flies the design (``orbitdc.econ.uncertainty``).
    ranges: dict[str, list[float]] = {}

    @model_validator(mode="after")
    def _ranges_are_ranges(self):
        numeric = set(self.numeric_fields())
        for name, pair in self.ranges.items():
            if name not in numeric:
                raise ValueError(f"ranges.{name}: no number named {name} in this part (its "
                                 f"numbers: {', '.join(sorted(numeric))})")
            if len(pair) != 2:
                raise ValueError(f"ranges.{name}: a range is [low, high] (got {len(pair)} "
                                 "values)")
            if pair[0] > pair[1]:
                raise ValueError(f"ranges.{name}: a range is [low, high] with low <= high "
                                 f"(got low {pair[0]:g} > high {pair[1]:g})")
        return self

    def numeric_fields(self) -> list[str]:
        return [
            name
            for name, value in self
            if isinstance(value, (int, float)) and not isinstance(value, bool)
        ]


Fraction = Annotated[float, Field(gt=0.0, le=1.0)]


class Accelerator(_PartBase):
    """An AI accelerator (one package: GPU, TPU, or an FPGA/SoC for the edge)."""

    kind: Literal["accelerator"] = "accelerator"
    bf16_dense_flops: Annotated[float, Field(gt=0.0, description="dense BF16 FLOP/s")]
    power_load_w: Annotated[float, Field(gt=0.0)]
    power_idle_w: Annotated[float, Field(ge=0.0)]
    mass_kg: Annotated[float, Field(gt=0.0)]
    max_temperature_k: Annotated[float, Field(gt=200.0, lt=600.0)]
    tid_tolerance_krad: Annotated[float, Field(gt=0.0)]
    #: Single-event effects per proton / cm^2 reaching the part (above 30 MeV), per device:
    #: ``see_cross_section_cm2`` silent data corruption (the upset class of older
    #: scenarios), ``uecc_cross_section_cm2`` uncorrectable memory errors (ECC reports
    #: them), ``crash_cross_section_cm2`` hangs and resets. A beam test's rate per rad
    #: converts with ``orbitdc.core.radiation.fluence_per_rad`` at the beam's energy.
    see_cross_section_cm2: Annotated[float, Field(ge=0.0)]
    uecc_cross_section_cm2: Annotated[float, Field(ge=0.0)] = 0.0
    crash_cross_section_cm2: Annotated[float, Field(ge=0.0)] = 0.0
    #: Upsets (all kinds, split in the shares of the proton cross-sections) per galactic
    #: cosmic-ray particle / cm^2, per device: the part's heavy-ion Weibull cross-section
    #: averaged over the GCR LET spectrum. None: the sum of its proton cross-sections (see
    #: docs/validation.md for what that assumes).
    gcr_cross_section_cm2: Annotated[float | None, Field(ge=0.0)] = None
    #: The heavy-ion Weibull fit (used with ``radiation.gcr_let_spectrum_file``; then it, not
    #: ``gcr_cross_section_cm2``, gives the cosmic rays' upsets).
    ion_weibull: IonWeibull | None = None
    #: Lowest temperature at which the part may be kept (the heater's setpoint, with the
    #: battery's); none: the part sets no minimum.
    min_temperature_k: Annotated[float | None, Field(gt=3.0, lt=600.0)] = None
    #: Unit price, for the cost model (optional for user parts: give economics.accelerator_usd).
    price_usd: Annotated[float | None, Field(ge=0.0)] = None

    @property
    def proton_cross_sections_cm2(self) -> tuple[float, float, float]:
        """(silent, uecc, crash) per proton / cm^2."""
        return (self.see_cross_section_cm2, self.uecc_cross_section_cm2,
                self.crash_cross_section_cm2)

    @property
    def gcr_cross_section_total_cm2(self) -> float:
        if self.gcr_cross_section_cm2 is not None:
            return self.gcr_cross_section_cm2
        return sum(self.proton_cross_sections_cm2)

    @model_validator(mode="after")
    def _idle_below_load(self):
        if self.power_idle_w > self.power_load_w:
            raise ValueError(
                f"power_idle_w ({self.power_idle_w:g}) must not exceed power_load_w "
                f"({self.power_load_w:g})"
            )
        return self


class SolarCell(_PartBase):
    kind: Literal["solar_cell"] = "solar_cell"
    efficiency_bol: Annotated[float, Field(gt=0.0, lt=1.0, description="AM0, beginning of life")]
    degradation_per_year: Annotated[float, Field(ge=0.0, lt=0.5)]
    areal_mass_kg_per_m2: Annotated[float, Field(gt=0.0)]
    packing_factor: Fraction


class Battery(_PartBase):
    kind: Literal["battery"] = "battery"
    specific_energy_wh_per_kg: Annotated[float, Field(gt=0.0)]
    charge_efficiency: Fraction
    discharge_efficiency: Fraction
    max_depth_of_discharge: Fraction
    #: Most charge and discharge rates, in multiples of the rated capacity per hour (C);
    #: none: unlimited.
    max_charge_c: Annotated[float | None, Field(gt=0.0)] = None
    max_discharge_c: Annotated[float | None, Field(gt=0.0)] = None
    #: Lowest temperature the cells may be kept (charged) at; none: no minimum.
    min_temperature_k: Annotated[float | None, Field(gt=3.0, lt=600.0)] = None
    #: Capacity fade (``orbitdc.core.power.battery_capacity_wh``): calendar loss
    #: ``calendar_fade x days^0.75``; cycle loss ``(cycle_fade + cycle_fade_per_dod x DOD)
    #: x sqrt(Ah through one cell)``, ``cell_capacity_ah`` the cell's rating. None: no fade.
    calendar_fade: Annotated[float | None, Field(ge=0.0, lt=1.0)] = None
    cycle_fade: Annotated[float | None, Field(ge=0.0, lt=1.0)] = None
    cycle_fade_per_dod: Annotated[float | None, Field(ge=0.0, lt=1.0)] = None
    cell_capacity_ah: Annotated[float | None, Field(gt=0.0)] = None


class RadiatorCoating(_PartBase):
    kind: Literal["radiator_coating"] = "radiator_coating"
    emissivity: Fraction
    absorptivity: Annotated[float, Field(ge=0.0, le=1.0)]


class RadiatorPanel(_PartBase):
    kind: Literal["radiator"] = "radiator"
    areal_mass_kg_per_m2: Annotated[float, Field(gt=0.0)]


class Terminal(_PartBase):
    """An optical inter-satellite link terminal."""

    kind: Literal["terminal"] = "terminal"
    data_rate_bps: Annotated[float, Field(gt=0.0)]
    mass_kg: Annotated[float, Field(gt=0.0)]
    power_w: Annotated[float, Field(gt=0.0)]
    max_range_km: Annotated[float, Field(gt=0.0)]
    aperture_m: Annotated[float | None, Field(gt=0.0)] = None
    #: Ceiling of one transceiver at short range (modem, wavelength channels); default: the
    #: rated data rate (no gain at short range).
    max_data_rate_bps: Annotated[float | None, Field(gt=0.0)] = None
    #: Pointing, acquisition and tracking time when a link forms, during which it carries
    #: nothing; default 30 s, the "tens of seconds" of LEO optical terminals (Gerard, Fraire &
    #: Cespedes, arXiv:2511.16063, 2025, from TBIRD and other missions' data) [S].
    acquisition_s: Annotated[float, Field(ge=0.0, le=3600.0)] = 30.0

    @property
    def ceiling_bps(self) -> float:
        return self.max_data_rate_bps or self.data_rate_bps


Part = Annotated[
    Accelerator | SolarCell | Battery | RadiatorCoating | RadiatorPanel | Terminal,
    Field(discriminator="kind"),
]

#: Catalogue sections, in ``parts.toml`` order, and the class of their parts.
PART_KINDS: dict[str, type[_PartBase]] = {
    "accelerator": Accelerator,
    "solar_cell": SolarCell,
    "battery": Battery,
    "radiator_coating": RadiatorCoating,
    "radiator": RadiatorPanel,
    "terminal": Terminal,
}


class Catalogue:
    """Parts by kind and name. ``get(kind, name)`` raises ``KeyError`` with a readable message
    listing what exists."""

    def __init__(self, parts: dict[str, dict[str, _PartBase]]):
        self.parts = {kind: dict(parts.get(kind, {})) for kind in PART_KINDS}

    def get(self, kind: str, name: str):
        try:
            return self.parts[kind][name]
        except KeyError:
            known = ", ".join(sorted(self.parts.get(kind, {}))) or "none"
            label = kind.replace("_", " ")
            raise KeyError(f"no {label} named {name!r}; known: {known}") from None

    def names(self, kind: str) -> list[str]:
        return sorted(self.parts[kind])

    def with_parts(self, extra: dict[str, _PartBase]) -> Catalogue:
        """A copy with the user's parts added (a user part of an existing name replaces it)."""
        merged = {kind: dict(table) for kind, table in self.parts.items()}
        for name, part in extra.items():
            merged[part.kind][name] = part
        return Catalogue(merged)

    def __iter__(self):
        for kind, table in self.parts.items():
            for name, part in table.items():
                yield kind, name, part


@cache
def shipped_catalogue() -> Catalogue:
    """The parts shipped with orbitdc (``parts.toml``)."""
    text = resources.files("orbitdc.model").joinpath("parts.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    parts: dict[str, dict[str, _PartBase]] = {}
    for kind, table in data.items():
        cls = PART_KINDS[kind]
        parts[kind] = {name: cls.model_validate(fields) for name, fields in table.items()}
    return Catalogue(parts)
