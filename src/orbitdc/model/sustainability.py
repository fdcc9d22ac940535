"""The ``[sustainability]`` section: the inputs of the orbital-lifetime and disposal figures
(``docs/scenario.md``; the physics is in ``orbitdc.core.atmosphere`` and
``orbitdc.core.lifetime``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from orbitdc.model._base import Strict
from orbitdc.model.debris import CATASTROPHIC_J_PER_G, DEBRIS_DENSITY_KG_M3

__all__ = ["ACTIVITY_NAMES", "DEFAULT_ISP_S", "FCC_DISPOSAL_YEARS", "Sustainability"]

ACTIVITY_NAMES = ("low", "moderate", "high")
#: The FCC's five-year rule: satellites ending their mission in LEO (below 2,000 km) that
#: dispose of themselves by uncontrolled re-entry must re-enter within five years (Second Report
#: and Order FCC 22-74, IB Docket 22-271, adopted 29 Sept 2022; 47 CFR 25.283(b); effective
#: 9 Sept 2024, 89 FR 65217).
FCC_DISPOSAL_YEARS = 5.0
#: The top of the region the rule covers, km.
FCC_LEO_CEILING_KM = 2000.0
#: Specific impulse of a hydrazine monopropellant thruster, 220 s (typical 220-230 s in vacuum:
#: Wertz, Everett & Puschell, "Space Mission Engineering: The New SMAD", 2011, table 18-4) [E]:
#: the high-thrust kind a controlled re-entry needs. Electric propulsion reaches 1,500 s and more
#: but cannot place a re-entry footprint.
DEFAULT_ISP_S = 220.0


class Sustainability(Strict):
    """Inputs of the lifetime and disposal figures; every key has a default."""

    #: The solar activity the five-year verdict and the accelerated disposal use (decay times
    #: are reported at all three): a constant "moderate" stands for a solar-cycle mean.
    solar_activity: Literal["low", "moderate", "high"] = "moderate"
    #: Specific impulse of the disposal burns.
    isp_s: Annotated[float, Field(gt=0.0, le=20_000.0)] = DEFAULT_ISP_S
    #: Height at which a decaying satellite counts as re-entered: below ~120 km the rest of the
    #: descent takes hours at most.
    reentry_altitude_km: Annotated[float, Field(ge=80.0, le=200.0)] = 120.0
    #: Perigee of a controlled re-entry: at ~50 km the satellite comes down within one orbit,
    #: over a chosen footprint.
    disposal_perigee_km: Annotated[float, Field(ge=0.0, le=120.0)] = 50.0
    #: The longest passive decay allowed after the mission (the FCC rule: 5 years).
    max_disposal_years: Annotated[float, Field(gt=0.0, le=100.0)] = FCC_DISPOSAL_YEARS
    #: Years in orbit the small-debris risk is counted over; default the economics'
    #: ``lifetime_years``.
    design_life_years: Annotated[float | None, Field(gt=0.0, le=100.0)] = None
    #: Mean impact speed of debris; default 10 km/s below 60 deg inclination and 13 km/s at
    #: and above (ECSS-E-ST-10-04C J.2.2.1.3).
    debris_impact_speed_km_s: Annotated[float | None, Field(ge=1.0, le=20.0)] = None
    #: Density of the debris sphere of the catastrophic-size estimate (aluminium).
    debris_density_kg_m3: Annotated[float, Field(ge=500.0, le=20_000.0)] = DEBRIS_DENSITY_KG_M3
    #: Impact energy per gram of the satellite above which an impact is catastrophic.
    catastrophic_energy_j_per_g: Annotated[float, Field(gt=0.0, le=10_000.0)] = (
        CATASTROPHIC_J_PER_G)

    @model_validator(mode="after")
    def _perigee_below_reentry(self):
        if self.disposal_perigee_km >= self.reentry_altitude_km:
            raise ValueError(
                f"disposal_perigee_km ({self.disposal_perigee_km:g}) must be below "
                f"reentry_altitude_km ({self.reentry_altitude_km:g})"
            )
        return self
