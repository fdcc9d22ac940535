"""The small-debris flux table shipped with orbitdc and the figures that turn it into risk.

The table (``data/master8_debris_flux_1cm.csv``) holds ESA MASTER-8.0.5 fluxes of debris
larger than 1 cm, reference year 2024, by altitude (200-2,000 km) and inclination (0-102 deg);
its header says where each number was copied from. orbitdc only interpolates it
(``orbitdc.core.debris``); it computes no environment of its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = [
    "CATASTROPHIC_J_PER_G",
    "DEBRIS_DENSITY_KG_M3",
    "FLUX_TABLE_FILE",
    "HIGH_INCLINATION_DEG",
    "IMPACT_SPEED_HIGH_KM_S",
    "IMPACT_SPEED_LOW_KM_S",
    "FluxTable",
    "flux_table",
]

FLUX_TABLE_FILE = "data/master8_debris_flux_1cm.csv"
#: "Scientists generally agree that, for typical satellites, a collision with an
#: energy-to-mass ratio exceeding 40 J/g would be catastrophic." ESA, "Distribution of debris"
#: (ESA Multimedia, April 2013, esa.int/ESA_Multimedia/Images/2013/04/Distribution_of_debris).
CATASTROPHIC_J_PER_G = 40.0
#: Mean debris impact speeds: "an average velocity of 10 km s-1 for low inclination and of
#: 13 km s-1 for high inclination orbits" (ECSS-E-ST-10-04C, annex J.2.2.1.3, for MASTER).
IMPACT_SPEED_LOW_KM_S = 10.0
IMPACT_SPEED_HIGH_KM_S = 13.0
#: Where "high inclination" starts [E]: ECSS gives no boundary; 60 deg puts Starlink-like 53 deg
#: shells with the low ones and polar and sun-synchronous orbits with the high ones.
HIGH_INCLINATION_DEG = 60.0
#: Density of the debris sphere: aluminium, 2,800 kg/m^3 [E] (the "medium density" class of
#: NASA's ORDEM 3 breakup material; MASTER's fragments are of the same order). A denser
#: fragment of the same energy is smaller, so this moves the catastrophic size by the cube root.
DEBRIS_DENSITY_KG_M3 = 2800.0


@dataclass(frozen=True)
class FluxTable:
    """Flux of debris above ``size_threshold_m`` through a target's cross-section,
    ``flux_per_m2_year[inclination, altitude]``."""

    altitude_km: np.ndarray
    inclination_deg: np.ndarray
    flux_per_m2_year: np.ndarray
    size_threshold_m: float
    model: str
    source: str


@functools.lru_cache(maxsize=1)
def flux_table() -> FluxTable:
    """The shipped MASTER-8 table (read once)."""
    text = resources.files("orbitdc.model").joinpath(FLUX_TABLE_FILE).read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    head = lines[0].split(",")
    if head[0] != "inclination_deg":
        raise RuntimeError(f"{FLUX_TABLE_FILE}: first column must be inclination_deg")
    altitude = np.array([float(x) for x in head[1:]])
    rows = np.array([[float(x) for x in ln.split(",")] for ln in lines[1:]])
    inclination, flux = rows[:, 0], rows[:, 1:]
    if (flux.shape != (inclination.size, altitude.size) or np.any(np.diff(altitude) <= 0)
            or np.any(np.diff(inclination) <= 0) or np.any(flux <= 0)):
        raise RuntimeError(f"{FLUX_TABLE_FILE}: malformed table")
    return FluxTable(
        altitude_km=altitude, inclination_deg=inclination, flux_per_m2_year=flux,
        size_threshold_m=0.01,
        model="ESA MASTER-8.0.5, debris > 1 cm, reference year 2024",
        source="MASTER-8.0.5 flux vs altitude and inclination export, transcribed in "
               "orbitdc/model/" + FLUX_TABLE_FILE + " (its header gives the provenance)",
    )
