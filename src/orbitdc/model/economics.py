"""Cost inputs: the ``[economics]`` section of a scenario and its ``[economics.ground]``
baseline. Every default cites its source in ``SOURCES`` (shown by ``orbitdc cost`` and in
``docs/economics.md``); marks as in the catalogue: [P] primary, [S] secondary, [E] estimate.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from orbitdc.model._base import Strict

__all__ = ["MAX_FLIGHTS", "OPTIONAL_RANGES", "RANGES", "SATELLITE_RANGES", "SOURCES", "Economics",
           "GroundBaseline", "Uncertainty"]

#: Most re-flights with drawn physical figures one Monte Carlo may ask for.
MAX_FLIGHTS = 1000

Usd = Annotated[float, Field(ge=0.0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class GroundBaseline(Strict):
    """A data center on the ground running the same accelerators."""

    capex_usd_per_mw: Usd = 11.7e6
    backup_usd_per_mw: Usd = 0.5e6
    electricity_usd_per_kwh: Usd = 0.08
    pue: Annotated[float, Field(ge=1.0, le=3.0)] = 1.2
    water_l_per_kwh: Annotated[float, Field(ge=0.0, le=20.0)] = 0.5
    water_usd_per_m3: Usd = 2.0
    it_overhead_fraction: Annotated[float, Field(ge=0.0, le=5.0)] = 0.2
    operations_usd_per_mw_year: Usd = 0.5e6
    grid_gco2_per_kwh: Annotated[float, Field(ge=0.0, le=2000.0)] = 367.0


def _low_high(value: list[float]) -> list[float]:
    if value[0] > value[1]:
        raise ValueError(f"a range is [low, high] with low <= high (got low {value[0]:g} > "
                         f"high {value[1]:g})")
    return value


Range = Annotated[list[float], Field(min_length=2, max_length=2), AfterValidator(_low_high)]


class Uncertainty(Strict):
    """The Monte Carlo over the estimated inputs (``orbitdc cost``, the run's economics):
    ``samples`` draws of the cost inputs, seeded by ``seed``; ``ranges`` replaces a default
    range of :data:`RANGES` (``input = [low, high]``). ``flights``: re-flights of the design
    with the estimated physical figures (the catalogue parts' ``ranges`` and
    :data:`SATELLITE_RANGES`) drawn afresh for each, flown beside the lifetime sample's
    epochs; the cost samples are spread over them (0: physical figures not sampled)."""

    samples: Annotated[int, Field(ge=0)] = 1000
    seed: int = 1
    flights: Annotated[int, Field(ge=0, le=MAX_FLIGHTS)] = 4
    ranges: dict[str, Range] = {}

    @field_validator("ranges")
    @classmethod
    def _known(cls, value: dict) -> dict:
        known = set(RANGES) | set(OPTIONAL_RANGES)
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"no estimated input named {', '.join(unknown)}; the inputs with "
                             f"ranges are: {', '.join(sorted(known))}")
        return value


class Economics(Strict):
    """Orbit cost inputs. Prices of parts default to the figures in ``SOURCES``; the
    accelerator's to its catalogue ``price_usd``."""

    launch_usd_per_kg: Usd = 3600.0
    lifetime_years: Annotated[float, Field(gt=0.0, le=50.0)] = 5.0
    discount_rate: Annotated[float, Field(ge=0.0, le=0.3)] = 0.07
    #: Share of available accelerator time that does paid work, in orbit and on the ground.
    utilisation: Fraction = 0.8
    accelerator_usd: Usd | None = None
    bus_usd_per_kg: Usd = 5000.0
    solar_usd_per_w: Usd = 20.0
    battery_usd_per_wh: Usd = 2.0
    radiator_usd_per_m2: Usd = 10_000.0
    integration_fraction: Fraction = 0.15
    insurance_fraction: Fraction = 0.05
    operations_usd_per_satellite_year: Usd = 50_000.0
    ground_segment_usd_per_station_year: Usd = 250_000.0
    #: Hardware is replaced (relaunched) after this many years; default: never within the
    #: lifetime (or when the radiation dose limit comes first).
    replacement_years: Annotated[float | None, Field(ge=0.25, le=50.0)] = None
    #: Hard failures per accelerator-year in orbit, where nothing is repaired.
    failure_rate_per_year: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    launch_co2_kg_per_kg: Annotated[float, Field(ge=0.0)] = 48.0
    #: Launched mass per satellite, overriding the mass roll-up: to reproduce analyses that
    #: state their own.
    launched_mass_kg: Annotated[float | None, Field(gt=0.0)] = None
    ground: GroundBaseline = GroundBaseline()
    uncertainty: Uncertainty = Uncertainty()


#: Where each default comes from. Research notes with every figure's range and source:
#: docs/economics.md.
SOURCES: dict[str, str] = {
    "launch_usd_per_kg": "[P] Suncatcher arXiv:2511.19468: today's reference $3,600/kg (Falcon 9)",
    "lifetime_years": "[P] Suncatcher arXiv:2511.19468 Table 1: 5-year life",
    "discount_rate": "[E] a typical real cost of capital for infrastructure projects",
    "utilisation": "[E] cluster allocation of 80-95 % after interruptions, maintenance and "
    "scheduling gaps (distinct from model FLOPs utilisation, 38-43 % for Llama 3 [P])",
    "accelerator_usd": "the catalogue's price_usd: H100 ~$28k, B200 $30-40k [S] (CNBC, "
    "siliconanalysts.com); TPU v6e and the Versal part [E] (not sold)",
    "bus_usd_per_kg": "[E] between mass-produced Starlink (~$1,100/kg whole satellite, Quilty "
    "Space [S]) and custom small satellites (tens of thousands of $/kg [S] SpaceNews)",
    "solar_usd_per_w": "[E] below Starlink's ~$22/W for the whole satellite [S]; space III-V "
    "arrays cost $50-500/W, Starcloud's thin-silicon cells $0.03/W [P]",
    "battery_usd_per_wh": "[E] COTS cells at $0.1-0.2/Wh x 10-25 for screening, "
    "qualification and packaging",
    "radiator_usd_per_m2": "[E] honeycomb panel with fluid loop, 5-10 kg/m^2 at $1-2k/kg",
    "integration_fraction": "[E] the usual 10-20 % integration-and-test wrap of parametric models",
    "insurance_fraction": "[S] launch + 1 year on Falcon 9: 4-5 % of insured value "
    "(spaceintelreport.com)",
    "operations_usd_per_satellite_year": "[E] constellation operations amortised per "
    "satellite; NASA OTPS (2024) uses $500k/yr for bespoke satellites [P]",
    "ground_segment_usd_per_station_year": "[E] ~70 min/day at ~$10/min (AWS Ground "
    "Station narrowband on demand, not retrieved)",
    "failure_rate_per_year": "[E] Llama 3 (arXiv:2407.21783) [P]: 419 interruptions in 54 "
    "days on 16,384 H100s (0.17 per GPU-year), about half hardware needing replacement",
    "launch_co2_kg_per_kg": "[P] ORACLE life-cycle model (Kukreja et al. 2025, "
    "arXiv:2504.15291): ~832 t CO2e per Falcon 9 launch / 17.5 t = 48 kg per kg",
    "ground.capex_usd_per_mw": "[P] Cushman & Wakefield Data Center Development Cost Guide "
    "2025, pp. 8-9: $11.7M per MW of critical load, 19 US markets",
    "ground.backup_usd_per_mw": "[P] Starcloud white paper v1.03 Table 1: $20M for 40 MW",
    "ground.electricity_usd_per_kwh": "[E] US industrial average ~8 cents/kWh (EIA "
    "Electric Power Monthly 2024 census divisions, 7.7-8.3 cents [P])",
    "ground.pue": "[P] Suncatcher: 1.09-1.4 for ML data centers; industry average 1.58 "
    "(Uptime 2023 [P]); 1.2 for a new AI build [E]",
    "ground.water_l_per_kwh": "[P] Starcloud white paper v1.03 Table 1: 0.5 L/kWh",
    "ground.water_usd_per_m3": "[E] US municipal $0.75-1.45/m^3 in 2010 (Circle of Blue [S]) "
    "escalated, plus sewer",
    "ground.it_overhead_fraction": "[E] hosts, network and storage beside the accelerators",
    "ground.operations_usd_per_mw_year": "[E] facility maintenance 3-5 % of capex per year "
    "plus staff $0.05-0.15M per MW-year",
    "ground.grid_gco2_per_kwh": "[P] EIA: US 2023, 0.81 lb = 367 g CO2/kWh",
}


#: The range of every estimated input, ``path: (low, high, why)``: the Monte Carlo draws each
#: from a triangular distribution on [low, high] with its mode at the scenario's value (or
#: uniform where the value lies outside the range). ``accelerator_usd``'s default is a factor on
#: the scenario's accelerator price (drawn in dollars; a scenario's own range for it is in
#: dollars, as the key is) and ``mass_factor`` one on the mass roll-up (not on a stated
#: ``launched_mass_kg``): both stand for catalogue estimates ([E] in parts.toml) that the cost
#: model uses without a flight.
RANGES: dict[str, tuple[float, float, str]] = {
    "discount_rate": (0.04, 0.12, "[E] real cost of capital: utilities ~4 %, venture-backed "
                      "space infrastructure 10-12 %"),
    "utilisation": (0.6, 0.95, "[E] allocation 80-95 % in large clusters [P Llama 3]; 60 % "
                    "for a fleet without captive demand"),
    "accelerator_usd": (0.7, 1.5, "[S]/[E] factor on the unit price: H100 $25-40k, B200 "
                        "$30-40k [S]; TPU v6e and the space-grade part not sold [E]"),
    "mass_factor": (0.8, 1.3, "[E] factor on the mass roll-up: array and radiator areal "
                    "masses, accelerator and structure masses are catalogue estimates"),
    "bus_usd_per_kg": (1100.0, 20000.0, "[S] Starlink ~$1,100/kg whole satellite (Quilty) "
                       "to custom small satellites' tens of thousands $/kg"),
    "solar_usd_per_w": (2.0, 100.0, "[E] thin-film/silicon at scale to III-V space arrays "
                        "($50-500/W); Starlink whole satellite ~$22/W [S]"),
    "battery_usd_per_wh": (0.5, 5.0, "[E] COTS cells $0.1-0.2/Wh x 3-25 for qualification"),
    "radiator_usd_per_m2": (3000.0, 30000.0, "[E] 5-10 kg/m^2 panel at $0.5-3k/kg"),
    "integration_fraction": (0.10, 0.20, "[E] the usual 10-20 % integration-and-test wrap"),
    "insurance_fraction": (0.03, 0.08, "[S] 4-5 % on Falcon 9; more for a new vehicle [E]"),
    "operations_usd_per_satellite_year": (10_000.0, 500_000.0, "[E] mass-produced "
                                          "constellation to NASA OTPS's bespoke $500k [P]"),
    "ground_segment_usd_per_station_year": (100_000.0, 600_000.0, "[E] 30-120 min/day of "
                                            "antenna time at $5-15/min"),
    "failure_rate_per_year": (0.02, 0.15, "[E] Llama 3's ~0.09 hardware failures per "
                              "GPU-year [P] +/- radiation and thermal cycling in orbit"),
    "ground.electricity_usd_per_kwh": (0.04, 0.15, "[E] Starcloud's $0.04 [P] to EIA's "
                                       "commercial prices and new-build PPAs"),
    "ground.capex_usd_per_mw": (8e6, 15e6, "[P] Cushman & Wakefield 2025: market range "
                                "around $11.7M/MW"),
    "ground.pue": (1.09, 1.4, "[P] Suncatcher: 1.09-1.4 for ML data centers"),
    "ground.water_usd_per_m3": (1.0, 4.0, "[E] US municipal water with sewer"),
    "ground.it_overhead_fraction": (0.1, 0.35, "[E] hosts, network and storage"),
    "ground.operations_usd_per_mw_year": (0.3e6, 0.8e6, "[E] maintenance 3-5 % of capex + "
                                          "staff"),
}

#: Inputs drawn only where a scenario gives them a range (``economics.uncertainty.ranges``):
#: their defaults are primary figures ([P] in ``SOURCES``), but a scenario that states an
#: estimate of its own (a projected launch price, an assumed design life) draws it over the
#: range it gives: ``path: why``.
OPTIONAL_RANGES: dict[str, str] = {
    "launch_usd_per_kg": "the scenario's range for its estimated launch price",
    "lifetime_years": "the scenario's range for its estimated design life (the lifetime "
    "sample's epochs stay spread over the nominal life)",
}

#: Ranges of the estimated satellite defaults (``orbitdc.model.satellite``), drawn in the
#: Monte Carlo's re-flights for each satellite type that leaves the figure to its default:
#: ``field: (low, high, why)``. The catalogue's estimated figures carry theirs in
#: ``parts.toml`` (``ranges``).
SATELLITE_RANGES: dict[str, tuple[float, float, str]] = {
    "structure_fraction": (0.20, 0.30, "[E] SMAD (Wertz et al. 2011) table 14-18: structure "
                           "and mechanisms 20-30 % of a small satellite's dry mass"),
    "radiator.gradient_k": (20.0, 40.0, "[E] chip to radiator at full load: radiators 20-40 K "
                            "below their chips (issue 15's model review)"),
    "drag_coefficient": (2.0, 2.5, "[E] Cook 1965 / Vallado 8.6.2: 2.0-2.5 for compact "
                         "satellites in free-molecular flow"),
}
