"""Reference frames: TEME (SGP4 output), Earth-fixed (ECEF) and WGS-84 geodetic.

TEME -> ECEF is a rotation about the z axis by GMST (IAU 1982). Polar motion (< 15 m at the
surface) and the equation of the equinoxes in the GMST/GAST distinction are neglected, as in
Vallado et al. 2006 (AIAA 2006-6753) when polar motion is unknown.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core.constants import WGS84_FLATTENING, WGS84_RADIUS_KM

__all__ = [
    "ecef_to_geodetic",
    "geodetic_to_ecef",
    "teme_to_ecef",
    "up_vectors",
]

_E2 = WGS84_FLATTENING * (2.0 - WGS84_FLATTENING)
_B_KM = WGS84_RADIUS_KM * (1.0 - WGS84_FLATTENING)
_EP2 = _E2 / (1.0 - _E2)


def teme_to_ecef(r_teme_km: np.ndarray, gmst_rad: np.ndarray) -> np.ndarray:
    """Rotate TEME positions ``(..., 3)`` into ECEF by ``gmst_rad``, which broadcasts against
    ``r_teme_km[..., 0]`` (for example shape ``(times,)`` against ``(sats, times, 3)``)."""
    c = np.cos(gmst_rad)
    s = np.sin(gmst_rad)
    x = r_teme_km[..., 0]
    y = r_teme_km[..., 1]
    out = np.empty(np.broadcast_shapes(r_teme_km.shape, np.shape(gmst_rad) + (3,)))
    out[..., 0] = c * x + s * y
    out[..., 1] = -s * x + c * y
    out[..., 2] = r_teme_km[..., 2]
    return out


def ecef_to_geodetic(r_ecef_km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS-84 geodetic latitude (rad), longitude (rad, -pi..pi) and height (km).

    Bowring's method with two refinement iterations: better than 1 mm from the surface to
    geostationary altitude (Bowring 1976, Survey Review 23(181)). The iterations carry the
    parametric and geodetic latitudes as unnormalised (cos, sin) pairs, so only the final
    latitude needs an arctangent.
    """
    x = r_ecef_km[..., 0]
    y = r_ecef_km[..., 1]
    z = r_ecef_km[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    # Parametric latitude beta: tan(beta) = z / ((1 - f) p) to start.
    cos_b, sin_b = p * (1.0 - WGS84_FLATTENING), z
    for _ in range(2):
        h = np.hypot(cos_b, sin_b)
        c, s = cos_b / h, sin_b / h
        num = z + _EP2 * _B_KM * s * s * s  # tan(lat) = num / den
        den = p - _E2 * WGS84_RADIUS_KM * c * c * c
        cos_b, sin_b = den, (1.0 - WGS84_FLATTENING) * num  # tan(beta) = (1 - f) tan(lat)
    lat = np.arctan2(num, den)
    h = np.hypot(num, den)
    sin_lat, cos_lat = num / h, den / h
    n = WGS84_RADIUS_KM / np.sqrt(1.0 - _E2 * sin_lat**2)
    alt = p * cos_lat + z * sin_lat - WGS84_RADIUS_KM**2 / n
    return lat, lon, alt


def geodetic_to_ecef(lat_rad, lon_rad, alt_km) -> np.ndarray:
    """ECEF position (km), shape ``(..., 3)``, of WGS-84 geodetic coordinates."""
    lat_rad, lon_rad, alt_km = np.broadcast_arrays(
        np.asarray(lat_rad, float), np.asarray(lon_rad, float), np.asarray(alt_km, float)
    )
    sin_lat = np.sin(lat_rad)
    n = WGS84_RADIUS_KM / np.sqrt(1.0 - _E2 * sin_lat**2)
    out = np.empty(lat_rad.shape + (3,))
    out[..., 0] = (n + alt_km) * np.cos(lat_rad) * np.cos(lon_rad)
    out[..., 1] = (n + alt_km) * np.cos(lat_rad) * np.sin(lon_rad)
    out[..., 2] = (n * (1.0 - _E2) + alt_km) * sin_lat
    return out


def up_vectors(lat_rad, lon_rad) -> np.ndarray:
    """Unit local-vertical (ellipsoid normal) vectors in ECEF, shape ``(..., 3)``."""
    lat_rad = np.asarray(lat_rad, float)
    lon_rad = np.asarray(lon_rad, float)
    return np.stack(
        [np.cos(lat_rad) * np.cos(lon_rad), np.cos(lat_rad) * np.sin(lon_rad), np.sin(lat_rad)],
        axis=-1,
    )
