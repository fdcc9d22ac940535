"""The radiation environment in low Earth orbit, for upsets and dose.

An engineering model, position-dependent, calibrated to public references
(``tests/authorities/README.md``):

- **Trapped protons** (> 10 MeV): the NASA AP-8 MIN model, tabulated on a 2 deg x 2 deg grid
  at 200-2,000 km (``orbitdc.model.environment`` ships the table) and interpolated linearly
  in latitude, longitude and altitude, in log flux. This is where the South Atlantic Anomaly
  and the steep rise of flux with altitude come from. Above 2,000 km the flux is held at its
  2,000 km value (the model is meant for LEO). The anomaly's westward drift after 2025, the
  solar cycle (AP-8 MIN is the worse case) and trapped electrons (which matter behind thin
  shields only) are neglected.
- **Galactic cosmic rays**: the solar-minimum free-space flux ``GCR_FREE_SPACE_FLUX`` above
  the local cutoff rigidity (SAMPEX's measured ``15.062 cos^4 L - 0.363`` GV with the invariant
  latitude of a tilted dipole) and outside the Earth's shadow. Solar particle events and the
  solar cycle (GCR are ~2x weaker at solar maximum) are neglected.
- **Upsets**: a Poisson process per accelerator with rate ``sigma * (flux_p + flux_gcr)``,
  ``sigma`` the part's per-device cross-section (heavy ions are folded into it).
- **Dose** (rad(Si)): trapped-proton fluence above 10 MeV times ``RAD_PER_PROTON_CM2``,
  calibrated so that Suncatcher's orbit (650 km dawn-dusk, AP-8 MIN mean 67 p/cm^2/s) gets
  the paper's 150 rad(Si)/yr behind 10 mm of aluminium; other thicknesses scale as
  ``(10 mm / t)^SHIELD_EXPONENT``; plus a GCR background of ``GCR_DOSE_RAD_PER_YEAR`` in free
  space, scaled by the local GCR flux.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitdc.core.constants import SECONDS_PER_YEAR, WGS84_RADIUS_KM

__all__ = [
    "ProtonTable",
    "dose_rate_rad_per_s",
    "gcr_flux",
    "geomagnetic_sin_latitude",
    "trapped_proton_flux",
]

# --- Galactic cosmic rays ------------------------------------------------------------------
#: North geomagnetic dipole pole (IGRF-13, epoch 2020): 80.65 N, 72.68 W.
DIPOLE_POLE_DEG = (80.65, -72.68)
#: Free-space GCR integral flux at solar minimum, all species, particles / cm^2 / s: the
#: Burger et al. local interstellar spectrum (Usoskin et al. 2005, JGR 110 A12108) modulated
#: with phi = 0.4 GV, +10 % for helium and heavier (tests/authorities/radiation-figures.md, c).
GCR_FREE_SPACE_FLUX = 5.4
#: Share of that flux above a cutoff rigidity (GV), from the same spectrum: the table behind
#: the 650 km figures of radiation-figures.md (c), divided by its Earth-shadow factor.
GCR_PASS_RIGIDITY_GV = np.array([0.0, 0.033, 0.413, 1.754, 3.91, 6.61, 9.31, 12.03, 16.0])
GCR_PASS_FRACTION = np.array([1.0, 0.992, 0.966, 0.496, 0.175, 0.0783, 0.0444, 0.0287, 0.018])
#: Measured vertical cutoff (SAMPEX/MAST, Ogliore et al. 2001): Rc = 15.062 cos^4(L) - 0.363 GV
#: with the invariant latitude L of a dipole: cos^2 L = cos^2(lambda_m) / (r / R).
GCR_CUTOFF_A_GV = 15.062
GCR_CUTOFF_B_GV = 0.363
#: GCR dose where the cutoff is zero, rad(Si)/yr: ~3.8 particles/cm^2/s at minimum ionising
#: (1.66 MeV cm^2/g in Si) give ~3 rad/yr from protons; heavier ions (dose ~ Z^2) about triple
#: it [E]. Small beside trapped protons below ~1,000 km.
GCR_DOSE_RAD_PER_YEAR = 10.0

# --- Dose ----------------------------------------------------------------------------------
#: rad(Si) behind 10 mm Al per proton/cm^2 above 10 MeV outside it: 7.1e-8, from Suncatcher's
#: 150 rad(Si)/yr (arXiv:2511.19468) at 650 km dawn-dusk, where AP-8 MIN gives 67.06 p/cm^2/s
#: (tests/authorities/ap8min_orbit_average.csv). For comparison, 67 MeV protons deposit
#: 1.36e-7 rad per p/cm^2 in bare silicon (8.5 MeV cm^2/g); shielding stops the softer part.
RAD_PER_PROTON_CM2 = 150.0 / (67.06 * 365.25 * 86400.0)
SHIELD_REF_MM = 10.0
#: SPENVIS/SHIELDOSE-2 at 550 km: 177 -> 127 rad/yr from 10 to 20 mm Al (x 1.39 = 2^0.48).
SHIELD_EXPONENT = 0.5


def _unit_from_latlon(lat_deg: float, lon_deg: float) -> np.ndarray:
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


_DIPOLE_UNIT = _unit_from_latlon(*DIPOLE_POLE_DEG)


def _radius(r_ecef_km, radius_km):
    return np.linalg.norm(r_ecef_km, axis=-1) if radius_km is None else radius_km


@dataclass(frozen=True)
class ProtonTable:
    """log10 of the > 10 MeV proton flux on a regular grid (lat, lon, alt), ascending axes."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray  # -180 .. 180 inclusive
    alt_km: np.ndarray
    log10_flux: np.ndarray  # (lat, lon, alt)
    source: str = ""


def _axis(values: np.ndarray, grid: np.ndarray):
    """Lower index and weight of ``values`` on an ascending ``grid`` (clamped at the ends)."""
    x = np.clip(values, grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    w = (x - grid[i]) / (grid[i + 1] - grid[i])
    return i, w


def trapped_proton_flux(lat_rad, lon_rad, alt_km, table: ProtonTable) -> np.ndarray:
    """Integral flux of trapped protons above 10 MeV, protons / cm^2 / s, at geodetic
    coordinates (any shape): trilinear interpolation of log10 flux in ``table``."""
    i, wi = _axis(np.rad2deg(lat_rad), table.lat_deg)
    j, wj = _axis(np.rad2deg(lon_rad), table.lon_deg)
    k, wk = _axis(np.asarray(alt_km, float), table.alt_km)
    f = table.log10_flux
    out = 0.0
    for di, a in ((0, 1.0 - wi), (1, wi)):
        for dj, b in ((0, 1.0 - wj), (1, wj)):
            ab = a * b
            out = out + ab * ((1.0 - wk) * f[i + di, j + dj, k] + wk * f[i + di, j + dj, k + 1])
    return 10.0**out


def geomagnetic_sin_latitude(r_ecef_km: np.ndarray, radius_km: np.ndarray | None = None):
    """sin of the geomagnetic (dipole) latitude at ECEF positions (..., 3)."""
    return (r_ecef_km @ _DIPOLE_UNIT) / _radius(r_ecef_km, radius_km)


def gcr_flux(r_ecef_km: np.ndarray, radius_km: np.ndarray | None = None) -> np.ndarray:
    """Galactic cosmic-ray integral flux, particles / cm^2 / s, at ECEF positions (..., 3):
    the free-space flux above the local cutoff rigidity, times the sky the Earth leaves open."""
    radius = _radius(r_ecef_km, radius_km)
    sin_m = (r_ecef_km @ _DIPOLE_UNIT) / radius
    cos2_invariant = (1.0 - sin_m * sin_m) * (WGS84_RADIUS_KM / radius)
    cutoff = np.maximum(GCR_CUTOFF_A_GV * cos2_invariant**2 - GCR_CUTOFF_B_GV, 0.0)
    passed = np.exp(np.interp(cutoff, GCR_PASS_RIGIDITY_GV, np.log(GCR_PASS_FRACTION)))
    # The Earth hides a cone of half-angle asin(R / r): the sky left is (1 + cos) / 2.
    sky = 0.5 * (1.0 + np.sqrt(np.maximum(1.0 - (WGS84_RADIUS_KM / radius) ** 2, 0.0)))
    return GCR_FREE_SPACE_FLUX * passed * sky


def dose_rate_rad_per_s(
    proton_flux: np.ndarray, gcr: np.ndarray, shielding_mm_al: np.ndarray | float
) -> np.ndarray:
    """Ionising dose rate in silicon, rad/s, behind ``shielding_mm_al`` of aluminium."""
    shield = (SHIELD_REF_MM / np.asarray(shielding_mm_al, float)) ** SHIELD_EXPONENT
    return (
        proton_flux * RAD_PER_PROTON_CM2 * shield
        + GCR_DOSE_RAD_PER_YEAR / SECONDS_PER_YEAR * gcr / GCR_FREE_SPACE_FLUX
    )
