"""Cost inputs: the ``[economics]`` section of a scenario and its ``[economics.ground]``
baseline. Every default cites its source in ``SOURCES`` (shown by ``orbitdc cost`` and in
``docs/economics.md``); marks as in the catalogue: [P] primary, [S] secondary, [E] estimate.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from orbitdc.model._base import Strict

__all__ = ["SOURCES", "Economics", "GroundBaseline"]

Usd = Annotated[float, Field(ge=0.0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class GroundBaseline(Strict):
    """A data center on the ground running the same accelerators."""

    capex_usd_per_mw: Usd = 11.0e6
    backup_usd_per_mw: Usd = 0.5e6
    electricity_usd_per_kwh: Usd = 0.08
    pue: Annotated[float, Field(ge=1.0, le=3.0)] = 1.2
    water_l_per_kwh: Annotated[float, Field(ge=0.0, le=20.0)] = 1.8
    water_usd_per_m3: Usd = 2.0
    it_overhead_fraction: Annotated[float, Field(ge=0.0, le=5.0)] = 0.2
    operations_usd_per_mw_year: Usd = 0.3e6
    grid_gco2_per_kwh: Annotated[float, Field(ge=0.0, le=2000.0)] = 370.0


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
    solar_usd_per_w: Usd = 50.0
    battery_usd_per_wh: Usd = 2.0
    radiator_usd_per_m2: Usd = 10_000.0
    integration_fraction: Fraction = 0.10
    insurance_fraction: Fraction = 0.05
    operations_usd_per_satellite_year: Usd = 20_000.0
    ground_segment_usd_per_station_year: Usd = 250_000.0
    #: Hardware is replaced (relaunched) after this many years; default: never within the
    #: lifetime (or when the radiation dose limit comes first).
    replacement_years: Annotated[float | None, Field(gt=0.0, le=50.0)] = None
    #: Hard failures per accelerator-year in orbit, where nothing is repaired.
    failure_rate_per_year: Annotated[float, Field(ge=0.0, le=1.0)] = 0.03
    launch_co2_kg_per_kg: Annotated[float, Field(ge=0.0)] = 25.0
    #: Launched mass per satellite, overriding the mass roll-up: to reproduce analyses that
    #: state their own.
    launched_mass_kg: Annotated[float | None, Field(gt=0.0)] = None
    ground: GroundBaseline = GroundBaseline()


#: Where each default comes from (completed in docs/economics.md).
SOURCES: dict[str, str] = {
    "launch_usd_per_kg": "[P] Suncatcher arXiv:2511.19468: today's reference $3,600/kg (Falcon 9)",
    "lifetime_years": "[P] Suncatcher Table 1: 5-year life",
    "discount_rate": "[E] a typical real cost of capital for infrastructure",
    "utilisation": "[E] share of accelerator time doing paid work in large AI clusters",
    "bus_usd_per_kg": "[E] placeholder",
    "solar_usd_per_w": "[E] placeholder",
    "battery_usd_per_wh": "[E] placeholder",
    "radiator_usd_per_m2": "[E] placeholder",
    "integration_fraction": "[E] placeholder",
    "insurance_fraction": "[E] placeholder",
    "operations_usd_per_satellite_year": "[E] placeholder",
    "ground_segment_usd_per_station_year": "[E] placeholder",
    "failure_rate_per_year": "[E] placeholder",
    "launch_co2_kg_per_kg": "[E] placeholder",
    "ground.capex_usd_per_mw": "[E] placeholder",
    "ground.backup_usd_per_mw": "[P] Starcloud white paper v1.03 Table 1: $20M for 40 MW",
    "ground.electricity_usd_per_kwh": "[E] placeholder",
    "ground.pue": "[P] Suncatcher: PUE 1.09-1.4 for ML data centers",
    "ground.water_l_per_kwh": "[E] placeholder",
    "ground.water_usd_per_m3": "[E] placeholder",
    "ground.it_overhead_fraction": "[E] hosts, network and storage beside the accelerators",
    "ground.operations_usd_per_mw_year": "[E] placeholder",
    "ground.grid_gco2_per_kwh": "[E] placeholder",
}
