"""Small-debris impact risk from a tabulated flux: impacts a year, the chance of at least one
over a span, and the debris size an impact needs to be catastrophic.

Plain numpy on arrays of satellites; the flux table itself (altitude x inclination, one size
threshold) comes from above (``orbitdc.model.debris``): these kernels know no file.

Fidelity: impacts are a Poisson process with a constant rate (flux times mean cross-section),
so the environment is taken as fixed over the span (no growth, no solar-cycle clearing); the
flux is interpolated linearly between table nodes; the cross-section is the satellite's mean
projected area, so attitude and shielding are neglected; a catastrophic impact is one whose
kinetic energy per unit target mass reaches a threshold (40 J/g by convention), with the
debris taken as a solid sphere of one density moving at one mean impact speed.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "catastrophic_diameter_m",
    "interpolate_flux",
    "poisson_at_least_one",
]


def interpolate_flux(altitude_axis_km, inclination_axis_deg, flux_per_m2_year,
                     altitude_km, inclination_deg) -> np.ndarray:
    """Bilinear interpolation of ``flux_per_m2_year`` (inclination rows x altitude columns,
    both axes increasing) at each (``altitude_km``, ``inclination_deg``) pair (arrays of the
    same shape, or broadcastable). Points outside the axes give NaN: the caller decides."""
    alt_ax = np.asarray(altitude_axis_km, float)
    inc_ax = np.asarray(inclination_axis_deg, float)
    table = np.asarray(flux_per_m2_year, float)
    alt, inc = np.broadcast_arrays(np.asarray(altitude_km, float),
                                   np.asarray(inclination_deg, float))
    inside = ((alt >= alt_ax[0]) & (alt <= alt_ax[-1])
              & (inc >= inc_ax[0]) & (inc <= inc_ax[-1]))
    a = np.clip(alt, alt_ax[0], alt_ax[-1])
    i = np.clip(inc, inc_ax[0], inc_ax[-1])
    ja = np.clip(np.searchsorted(alt_ax, a, side="right") - 1, 0, alt_ax.size - 2)
    ji = np.clip(np.searchsorted(inc_ax, i, side="right") - 1, 0, inc_ax.size - 2)
    ta = (a - alt_ax[ja]) / (alt_ax[ja + 1] - alt_ax[ja])
    ti = (i - inc_ax[ji]) / (inc_ax[ji + 1] - inc_ax[ji])
    f00 = table[ji, ja]
    f01 = table[ji, ja + 1]
    f10 = table[ji + 1, ja]
    f11 = table[ji + 1, ja + 1]
    out = (1 - ti) * ((1 - ta) * f00 + ta * f01) + ti * ((1 - ta) * f10 + ta * f11)
    return np.where(inside, out, np.nan)


def poisson_at_least_one(rate_per_year, years) -> np.ndarray:
    """Chance of at least one event of a Poisson process at ``rate_per_year`` over
    ``years``: ``1 - exp(-rate * years)`` (``-expm1`` keeps small chances exact)."""
    return -np.expm1(-np.asarray(rate_per_year, float) * np.asarray(years, float))


def catastrophic_diameter_m(target_mass_kg, speed_km_s, density_kg_m3,
                            threshold_j_per_g: float = 40.0) -> np.ndarray:
    """Diameter of the solid sphere of ``density_kg_m3`` whose kinetic energy at
    ``speed_km_s`` is ``threshold_j_per_g`` per gram of the target's mass: impacts by
    anything at least this large are catastrophic (the energy-to-mass criterion)."""
    energy_j = threshold_j_per_g * 1000.0 * np.asarray(target_mass_kg, float)
    v = np.asarray(speed_km_s, float) * 1000.0
    mass_kg = 2.0 * energy_j / (v * v)
    return np.cbrt(6.0 * mass_kg / (math.pi * np.asarray(density_kg_m3, float)))
