"""The ``[radiation]`` table of a scenario: the solar particle events of the run.

The trapped protons (AP-8 MIN), the galactic cosmic rays (solar minimum) and the dose and
upset models have no knobs here (``orbitdc.core.radiation`` documents them); the shielding and
the parts' cross-sections belong to the satellite type and the catalogue.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import Field, PrivateAttr

from orbitdc.core.radiation import let_averaged_cross_section
from orbitdc.model._base import Strict

__all__ = ["IonWeibull", "Radiation", "SolarParticleEvents", "load_let_spectrum"]


class IonWeibull(Strict):
    """A part's heavy-ion cross-section as its Weibull fit (LET in MeV cm^2/mg), per device."""

    saturation_cm2: Annotated[float, Field(ge=0.0)]
    threshold_mev_cm2_mg: Annotated[float, Field(ge=0.0, le=200.0)]
    width_mev_cm2_mg: Annotated[float, Field(gt=0.0, le=500.0)]
    shape: Annotated[float, Field(gt=0.0, le=20.0)]


def load_let_spectrum(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """An integral LET spectrum from a CSV file: a header line, then ``LET (MeV cm^2/mg),
    integral flux`` rows (any flux unit), LET ascending, flux not increasing, both > 0 and
    at least two rows. Raises ValueError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    rows = [r for r in csv.reader(text.splitlines()) if r and not r[0].lstrip().startswith("#")]
    try:
        data = np.array([[float(a), float(b)] for a, b in rows[1:]])
    except ValueError:
        raise ValueError(f"{path}: after the header, rows of two numbers (LET in MeV cm^2/mg, "
                         "integral flux) are expected") from None
    if data.ndim != 2 or data.shape[0] < 2:
        raise ValueError(f"{path}: at least two rows of LET and integral flux are expected")
    let, flux = data[:, 0], data[:, 1]
    if not (np.all(np.isfinite(data)) and np.all(let > 0) and np.all(np.diff(let) > 0)):
        raise ValueError(f"{path}: LET must be finite, > 0 and ascending")
    if not (flux[0] > 0 and np.all(flux >= 0) and np.all(np.diff(flux) <= 0)):
        raise ValueError(f"{path}: the integral flux must be >= 0, > 0 in the first row and "
                         "not increase with LET")
    return let, flux


class SolarParticleEvents(Strict):
    """Solar particle events as a seeded process (``orbitdc.core.radiation``): Poisson
    occurrence, log-normal fluence above 30 MeV (the JPL-91 form), King's spectrum, each
    event's fluence spread over ``duration_h``. Defaults: an active-Sun year, [E] recalled
    from Feynman et al. 1993 and not verified (ECSS-E-ST-10-04C Table I-2's recommended
    values were not found; docs/validation.md, Radiation)."""

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
    #: An integral LET spectrum of the cosmic rays behind the shielding (e.g. a CREME96 LETTAB
    #: export converted to MeV cm^2/mg), relative to the scenario file. With it, a part's
    #: ``ion_weibull`` gives its per-particle GCR cross-section by the LET integral.
    gcr_let_spectrum_file: str | None = None
    _let: tuple[np.ndarray, np.ndarray] | None = PrivateAttr(default=None)

    def load(self, base_dir: Path) -> None:
        if self.gcr_let_spectrum_file is not None:
            self._let = load_let_spectrum(base_dir / self.gcr_let_spectrum_file)

    def gcr_cross_section_cm2(self, accelerator) -> float:
        """Upsets per GCR particle / cm^2 of ``accelerator``: by the LET integral where it
        has an ``ion_weibull`` and a spectrum is given, else its ``gcr_cross_section_cm2``
        (default: the sum of its proton cross-sections)."""
        w = accelerator.ion_weibull
        if w is not None and self._let is not None:
            return let_averaged_cross_section(*self._let, w.saturation_cm2,
                                              w.threshold_mev_cm2_mg, w.width_mev_cm2_mg,
                                              w.shape)
        return accelerator.gcr_cross_section_total_cm2
