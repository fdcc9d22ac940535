"""The night sky from an observatory: which satellites are sunlit above a given elevation, and
how bright they are.

Brightness: a diffuse (Lambertian) sphere of cross-section ``area_m2`` and Bond albedo
``albedo``, lit by the Sun and seen at phase angle ``alpha`` (the angle Sun - satellite -
observer) from ``range_km``:

    F / F_sun = albedo * area * phi(alpha) / range^2,
    phi(alpha) = 2 / (3 pi^2) * ((pi - alpha) cos(alpha) + sin(alpha)),
    m = M_SUN_V - 2.5 log10(F / F_sun)

(e.g. Hejduk 2011, AMOS, "Specular and diffuse components in spherical satellite photometric
modeling", eq. 1; the phase law of a Lambert sphere, Russell 1916). Its geometric albedo is
2/3 of the Bond albedo. Neglected: specular glints and the real shape (flat arrays and
antennas make real satellites brighter or fainter by a magnitude or more at some geometries;
Mallama 2021 measured Starlink to within ~0.5 mag of a diffuse model on average), atmospheric
extinction (~0.2 mag at 30 deg elevation in V), and penumbral dimming beyond the lit fraction
of the solar disk.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "M_SUN_V",
    "diffuse_sphere_magnitude",
    "elevation_rad",
    "lambert_phase",
    "phase_angle_rad",
]

#: Apparent V magnitude of the Sun at 1 au: -26.76 (Willmer 2018, ApJS 236, 47, table 3).
M_SUN_V = -26.76


def lambert_phase(alpha_rad):
    """Phase function of a Lambert sphere, normalised so that the reflected flux is
    ``albedo * area * phi / range^2`` of the Sun's: ``2/(3 pi^2) ((pi - a) cos a + sin a)``."""
    a = np.asarray(alpha_rad, float)
    return 2.0 / (3.0 * np.pi**2) * ((np.pi - a) * np.cos(a) + np.sin(a))


def diffuse_sphere_magnitude(alpha_rad, range_km, area_m2, albedo, lit_fraction=1.0):
    """Apparent V magnitude of a diffuse sphere (see the module docstring); ``lit_fraction``
    scales the sunlight (1 - the shadow fraction). Infinite where nothing is lit."""
    rng_m = np.asarray(range_km, float) * 1000.0
    flux = (np.asarray(albedo, float) * np.asarray(area_m2, float) * lambert_phase(alpha_rad)
            * np.asarray(lit_fraction, float) / rng_m**2)
    with np.errstate(divide="ignore"):
        return np.where(flux > 0, M_SUN_V - 2.5 * np.log10(np.where(flux > 0, flux, 1.0)),
                        np.inf)


def phase_angle_rad(r_sat_km, r_sun_km, r_obs_km):
    """Angle at the satellite between the Sun and the observer (0: full phase), rad; all
    positions in one frame, broadcasting over leading axes."""
    to_sun = r_sun_km - r_sat_km
    to_obs = r_obs_km - r_sat_km
    c = np.einsum("...i,...i->...", to_sun, to_obs) / (
        np.linalg.norm(to_sun, axis=-1) * np.linalg.norm(to_obs, axis=-1))
    return np.arccos(np.clip(c, -1.0, 1.0))


def elevation_rad(r_km, site_km, up):
    """Elevation of points ``r_km`` seen from ``site_km`` with local vertical ``up`` (unit),
    rad; positions in one frame (Earth-fixed), broadcasting."""
    d = r_km - site_km
    s = np.einsum("...i,...i->...", d, up) / np.linalg.norm(d, axis=-1)
    return np.arcsin(np.clip(s, -1.0, 1.0))
