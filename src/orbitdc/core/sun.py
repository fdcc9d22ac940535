"""The Sun as seen from Earth and from a satellite: position, Earth shadow, beta angle.

Solar position: the low-precision formulae of the Astronomical Almanac (section C5 of the
editions since 1984; Vallado, *Fundamentals of Astrodynamics*, 4th ed., algorithm 29), quoted
accurate to 0.01 deg in 1950-2050, i.e. a shadow boundary error below 0.2 s for a LEO orbit.
The result is referred to the mean equator and equinox of date, which we take as SGP4's TEME
(they differ by the equation of the equinoxes, < 1.2 arcsec).

Earth shadow: a conical model (Montenbruck & Gill, *Satellite Orbits*, 2000, section 3.4.2):
the fraction of the Sun's disk hidden by the Earth's disk as seen from the satellite. Assumes a
spherical Earth of WGS-84 equatorial radius (oblateness would move a boundary by up to a few
seconds at high latitude), no atmosphere (refraction and extinction make real umbra entry
gradual over ~10 s), a uniformly bright solar disk (no limb darkening), and neglects the Moon.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core._jit import kernel
from orbitdc.core.constants import AU_KM, JD_J2000, SUN_RADIUS_KM, WGS84_RADIUS_KM

__all__ = [
    "beta_angle_rad",
    "beta_extremes_rad",
    "eclipse_fraction_cylindrical",
    "occulted_fraction",
    "shadow_angles",
    "shadow_fraction",
    "shadow_pass",
    "sun_position_km",
]

#: Earth radius used by the shadow model (spherical Earth).
SHADOW_EARTH_RADIUS_KM = WGS84_RADIUS_KM


def sun_position_km(jd: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Geocentric Sun position (km), shape ``jd.shape + (3,)``, mean equator/equinox of date."""
    n = (np.asarray(jd) - JD_J2000) + np.asarray(fr)
    mean_lon = np.deg2rad(280.460 + 0.9856474 * n)
    anomaly = np.deg2rad(357.528 + 0.9856003 * n)
    ecl_lon = mean_lon + np.deg2rad(1.915 * np.sin(anomaly) + 0.020 * np.sin(2.0 * anomaly))
    obliquity = np.deg2rad(23.439 - 4.0e-7 * n)
    dist_km = AU_KM * (1.00014 - 0.01671 * np.cos(anomaly) - 0.00014 * np.cos(2.0 * anomaly))
    out = np.empty(np.shape(n) + (3,))
    out[..., 0] = dist_km * np.cos(ecl_lon)
    out[..., 1] = dist_km * np.cos(obliquity) * np.sin(ecl_lon)
    out[..., 2] = dist_km * np.sin(obliquity) * np.sin(ecl_lon)
    return out


def shadow_angles(r_km: np.ndarray, sun_km: np.ndarray):
    """Apparent geometry of Sun and Earth seen from positions ``r_km`` (..., 3).

    Returns ``(sep, sun_radius, earth_radius)`` in radians: the angle between the centres of the
    Earth and the Sun, and their apparent angular radii. ``sun_km`` broadcasts against ``r_km``.
    The penumbra begins where ``sep < sun_radius + earth_radius``; the umbra where
    ``sep < earth_radius - sun_radius``.
    """
    r_km, sun_km = np.broadcast_arrays(r_km, sun_km)
    r2 = np.einsum("...i,...i->...", r_km, r_km)
    rs = np.einsum("...i,...i->...", r_km, sun_km)
    s2 = np.einsum("...i,...i->...", sun_km, sun_km)
    d_earth = np.sqrt(r2)
    d_sun = np.sqrt(s2 - 2.0 * rs + r2)
    # (-r) . (sun - r) = |r|^2 - r . sun. arccos loses precision only within ~1e-8 rad of 0 and
    # pi (the centre of the shadow, the subsolar point), never near the shadow's edges.
    cos_sep = (r2 - rs) / (d_earth * d_sun)
    sep = np.arccos(np.clip(cos_sep, -1.0, 1.0))
    sun_radius = np.arcsin(np.minimum(SUN_RADIUS_KM / d_sun, 1.0))
    earth_radius = np.arcsin(np.minimum(SHADOW_EARTH_RADIUS_KM / d_earth, 1.0))
    return sep, sun_radius, earth_radius


def shadow_fraction(r_km: np.ndarray, sun_km: np.ndarray) -> np.ndarray:
    """Fraction of the solar disk hidden by the Earth: 0 full sun, 1 umbra, between: penumbra."""
    sep, a, b = shadow_angles(r_km, sun_km)
    return occulted_fraction(sep, a, b)


def occulted_fraction(sep, a, b):
    """Overlap of disks of angular radii ``a`` (Sun) and ``b`` (Earth) at separation ``sep``,
    as a fraction of the Sun's disk (planar approximation over the small solar disk)."""
    sep = np.asarray(sep, float)
    out = np.zeros(np.broadcast_shapes(sep.shape, np.shape(a), np.shape(b)))
    sep, a, b = np.broadcast_arrays(sep, a, b)
    umbra = sep <= b - a
    out[umbra] = 1.0
    annular = sep <= a - b
    out[annular] = (b[annular] / a[annular]) ** 2
    partial = (sep < a + b) & ~umbra & ~annular
    if np.any(partial):
        c, ap, bp = sep[partial], a[partial], b[partial]
        x = (c * c + ap * ap - bp * bp) / (2.0 * c)
        y = np.sqrt(np.maximum(ap * ap - x * x, 0.0))
        area = (
            ap * ap * np.arccos(np.clip(x / ap, -1.0, 1.0))
            + bp * bp * np.arccos(np.clip((c - x) / bp, -1.0, 1.0))
            - c * y
        )
        out[partial] = np.clip(area / (np.pi * ap * ap), 0.0, 1.0)
    return out


def beta_angle_rad(r_km: np.ndarray, v_km_s: np.ndarray, sun_km: np.ndarray) -> np.ndarray:
    """Beta angle: elevation of the Sun above the orbit plane (angular momentum ``r x v``)."""
    h = np.cross(r_km, v_km_s)
    h_norm = np.sqrt(np.einsum("...i,...i->...", h, h))
    s_norm = np.sqrt(np.einsum("...i,...i->...", sun_km, sun_km))
    sin_beta = np.einsum("...i,...i->...", h, sun_km) / (h_norm * s_norm)
    return np.arcsin(np.clip(sin_beta, -1.0, 1.0))


@kernel
def beta_extremes_rad(r_km, v_km_s, sun_km, index):
    """The least and greatest :func:`beta_angle_rad` of each satellite over the samples
    ``index`` of ``r_km``, ``v_km_s`` (S, K, 3) with the Sun ``sun_km`` (K, 3), skipping NaN
    (a decayed satellite): (S,) each, ``inf`` and ``-inf`` where every sample is NaN. The
    same arithmetic as :func:`beta_angle_rad`, sample by sample, without the (S, K, 3)
    temporaries its ``np.cross`` makes (a chunk's worth each)."""
    n_s = r_km.shape[0]
    lo = np.full(n_s, np.inf)
    hi = np.full(n_s, -np.inf)
    for s in range(n_s):
        for i in range(index.size):
            k = index[i]
            x, y, z = r_km[s, k, 0], r_km[s, k, 1], r_km[s, k, 2]
            vx, vy, vz = v_km_s[s, k, 0], v_km_s[s, k, 1], v_km_s[s, k, 2]
            hx = y * vz - z * vy
            hy = z * vx - x * vz
            hz = x * vy - y * vx
            sx, sy, sz = sun_km[k, 0], sun_km[k, 1], sun_km[k, 2]
            h_norm = np.sqrt(hx * hx + hy * hy + hz * hz)
            s_norm = np.sqrt(sx * sx + sy * sy + sz * sz)
            sin_beta = (hx * sx + hy * sy + hz * sz) / (h_norm * s_norm)
            beta = np.arcsin(min(max(sin_beta, -1.0), 1.0))
            if not np.isnan(beta):
                lo[s] = min(lo[s], beta)
                hi[s] = max(hi[s], beta)
    return lo, hi


def eclipse_fraction_cylindrical(altitude_km, beta_rad):
    """Fraction of a circular orbit spent in the Earth's shadow, for a cylindrical shadow:
    ``(1/pi) acos(sqrt(h^2 + 2 R h) / ((R + h) cos beta))`` when ``|beta|`` is below
    ``asin(R / (R + h))``, else 0 (Earth radius: WGS-84 equatorial)."""
    h = np.asarray(altitude_km, float)
    r = SHADOW_EARTH_RADIUS_KM
    cos_beta = np.cos(np.asarray(beta_rad, float))
    ratio = np.sqrt(h * h + 2.0 * r * h) / ((r + h) * np.maximum(cos_beta, 1e-12))
    return np.where(ratio < 1.0, np.arccos(np.minimum(ratio, 1.0)) / np.pi, 0.0)


@kernel
def shadow_pass(r_km, v_km_s, sun_km, sun_unit):
    """The engine's whole shadow stage over a chunk in one compiled pass.

    ``r_km``, ``v_km_s`` (S, K, 3): TEME states (NaN where a satellite has decayed);
    ``sun_km`` (K, 3) the Sun and ``sun_unit`` (K, 3) its direction. Returns, each (S, K),
    from the angles of :func:`shadow_angles`: the penumbra and umbra margins
    ``sun_radius + earth_radius - sep`` and ``earth_radius - sun_radius - sep``,
    the occulted fraction (:func:`occulted_fraction`), the radius ``|r|`` and the cosine of
    the Sun's zenith angle below the satellite ``r . sun_unit / |r|``; and, each (S,), the
    largest speed and the smallest and largest radius over the chunk's finite samples (0,
    1 and 1 for a satellite with none). The same expressions as the NumPy functions, so the
    same figures to rounding (``tests/test_speed_kernels.py`` holds them to it); no
    satellites x samples temporaries."""
    n_s, n_k, _ = r_km.shape
    g_pen = np.empty((n_s, n_k))
    g_umb = np.empty((n_s, n_k))
    frac = np.empty((n_s, n_k))
    radius = np.empty((n_s, n_k))
    cos_zenith = np.empty((n_s, n_k))
    speed = np.empty(n_s)
    radius_min = np.empty(n_s)
    radius_max = np.empty(n_s)
    for s in range(n_s):
        v2_max = -1.0
        r2_min = np.inf
        r2_max = -np.inf
        alive = False
        for k in range(n_k):
            x = r_km[s, k, 0]
            y = r_km[s, k, 1]
            z = r_km[s, k, 2]
            sx = sun_km[k, 0]
            sy = sun_km[k, 1]
            sz = sun_km[k, 2]
            r2 = x * x + y * y + z * z
            rs = x * sx + y * sy + z * sz
            s2 = sx * sx + sy * sy + sz * sz
            d_earth = np.sqrt(r2)
            d_sun = np.sqrt(s2 - 2.0 * rs + r2)
            c = np.minimum(np.maximum((r2 - rs) / (d_earth * d_sun), -1.0), 1.0)
            e = np.arccos(c)
            a = np.arcsin(np.minimum(SUN_RADIUS_KM / d_sun, 1.0))
            b = np.arcsin(np.minimum(SHADOW_EARTH_RADIUS_KM / d_earth, 1.0))
            g_pen[s, k] = a + b - e
            g_umb[s, k] = b - a - e
            frac[s, k] = _occulted1(e, a, b)
            radius[s, k] = d_earth
            cos_zenith[s, k] = (x * sun_unit[k, 0] + y * sun_unit[k, 1]
                                + z * sun_unit[k, 2]) / d_earth
            vx = v_km_s[s, k, 0]
            vy = v_km_s[s, k, 1]
            vz = v_km_s[s, k, 2]
            v2 = vx * vx + vy * vy + vz * vz
            if np.isfinite(r2):
                alive = True
                r2_min = min(r2_min, r2)
                r2_max = max(r2_max, r2)
            if np.isfinite(v2):
                v2_max = max(v2_max, v2)
        speed[s] = np.sqrt(max(v2_max, 0.0)) if alive else 0.0
        radius_min[s] = np.sqrt(r2_min) if alive else 1.0
        radius_max[s] = np.sqrt(r2_max) if alive else 1.0
    return g_pen, g_umb, frac, radius, cos_zenith, speed, radius_min, radius_max


@kernel
def _occulted1(sep, a, b):
    """:func:`occulted_fraction` of one sample."""
    if sep <= b - a:
        if sep <= a - b:
            return (b / a) ** 2
        return 1.0
    if sep <= a - b:
        return (b / a) ** 2
    if sep < a + b:
        x = (sep * sep + a * a - b * b) / (2.0 * sep)
        y = np.sqrt(max(a * a - x * x, 0.0))
        area = (a * a * np.arccos(np.minimum(np.maximum(x / a, -1.0), 1.0))
                + b * b * np.arccos(np.minimum(np.maximum((sep - x) / b, -1.0), 1.0))
                - sep * y)
        return np.minimum(np.maximum(area / (np.pi * a * a), 0.0), 1.0)
    return 0.0
