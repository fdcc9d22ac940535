"""The ``[radiation]`` table of a scenario: the solar particle events of the run.

The trapped protons (AP-8 MIN), the galactic cosmic rays (solar minimum) and the dose and
upset models have no knobs here (``orbitdc.core.radiation`` documents them); the shielding and
the parts' cross-sections belong to the satellite type and the catalogue.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from orbitdc.model._base import Strict

__all__ = ["Radiation", "SolarParticleEvents"]


class SolarParticleEvents(Strict):
    """Solar particle events as a seeded process (``orbitdc.core.radiation``): Poisson
    occurrence, log-normal fluence above 30 MeV (the JPL-91 form), King's spectrum, each
    event's fluence spread over ``duration_h``. Defaults: an active-Sun year."""

    enabled: bool = True
    #: Mean events a year (JPL-91 counts events in the ~7 active years of a solar cycle).
    events_per_year: Annotated[float, Field(ge=0.0, le=100.0)] = 6.0
    #: Mean and standard deviation of log10 of an event's fluence above 30 MeV, protons/cm^2.
    log10_fluence_mean: Annotated[float, Field(ge=3.0, le=12.0)] = 7.5
    log10_fluence_sigma: Annotated[float, Field(ge=0.0, le=3.0)] = 0.75
    #: How long an event's flux lasts (its fluence is spread evenly over it).
    duration_h: Annotated[float, Field(gt=0.0, le=24.0 * 30)] = 48.0


class Radiation(Strict):
    solar_particle_events: SolarParticleEvents = SolarParticleEvents()
