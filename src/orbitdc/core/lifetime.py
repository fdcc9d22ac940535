"""Orbital lifetime under drag, and the manoeuvres of a disposal.

Decay of a circular orbit (King-Hele 1987, "Satellite Orbits in an Atmosphere", ch. 4): drag
``D = rho v^2 B / 2`` per unit mass with the ballistic coefficient ``B = Cd A / m`` takes
energy at ``D v``, so ``da/dt = -rho sqrt(mu a) B``. The time to fall from ``h1`` to ``h0`` is
``t = (1/B) * integral dh / (rho(h) sqrt(mu a))``: the integral depends on the atmosphere only,
so one cumulative profile per density profile serves every ballistic coefficient and start
height (arrays over shells, no loop). Between grid points ``ln rho`` is taken linear in height
(a local scale height), which makes the integral exact on each interval.

Neglected: eccentricity (a circular orbit throughout), the Earth's oblateness and the rotation
of the atmosphere, attitude changes of a tumbling satellite (a constant mean ``B``), and the
last minutes below the re-entry height.

Delta-v is impulsive (two-body): one retrograde burn from a circular orbit lowers the perigee
(controlled re-entry: a perigee of ~50 km makes the re-entry happen within the next orbit), and
a Hohmann transfer lowers a circular orbit to a height whose passive decay is short enough.
Propellant follows the rocket equation with the dry mass at the end: ``m_p = m (e^(dv/ve) - 1)``.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core.constants import (
    STANDARD_GRAVITY_M_PER_S2,
    WGS72_MU_KM3_PER_S2,
    WGS72_RADIUS_KM,
)

__all__ = [
    "DecayProfile",
    "altitude_for_decay_time_km",
    "decay_profile",
    "decay_time_s",
    "hohmann_delta_v_km_s",
    "perigee_lowering_delta_v_km_s",
    "propellant_kg",
]

_MU_M3_S2 = WGS72_MU_KM3_PER_S2 * 1e9


class DecayProfile:
    """``cum[k]``: ``integral from alt_km[0] to alt_km[k] of dh / (rho sqrt(mu a))`` (s kg/m^2):
    the time to decay from ``alt_km[k]`` to ``alt_km[0]`` is ``(cum[k] - ...) / B``."""

    def __init__(self, alt_km: np.ndarray, rho_kg_m3: np.ndarray):
        alt_km = np.asarray(alt_km, float)
        rho = np.asarray(rho_kg_m3, float)
        if alt_km.ndim != 1 or alt_km.size < 2 or np.any(np.diff(alt_km) <= 0):
            raise ValueError("alt_km must be increasing, at least two heights")
        if rho.shape != alt_km.shape or np.any(~(rho > 0)):
            raise ValueError("rho_kg_m3 must be positive, one per height")
        self.alt_km = alt_km
        self.rho = rho
        dh_m = np.diff(alt_km) * 1000.0
        # Scale height of each interval (m); ln rho linear in height between the grid points.
        self.scale_m = dh_m / np.log(rho[:-1] / rho[1:])
        a_mid_m = (WGS72_RADIUS_KM + 0.5 * (alt_km[:-1] + alt_km[1:])) * 1000.0
        self.speed_term = np.sqrt(_MU_M3_S2 * a_mid_m)  # sqrt(mu a), m^2/s
        piece = self.scale_m * (1.0 / rho[1:] - 1.0 / rho[:-1]) / self.speed_term
        self.cum = np.concatenate([[0.0], np.cumsum(piece)])

    def _interval(self, h_km):
        h = np.asarray(h_km, float)
        k = np.clip(np.searchsorted(self.alt_km, h, side="right") - 1, 0, self.alt_km.size - 2)
        return h, k

    def density(self, h_km) -> np.ndarray:
        """Density at ``h_km`` (log-linear between grid points)."""
        h, k = self._interval(h_km)
        return self.rho[k] * np.exp(-(h - self.alt_km[k]) * 1000.0 / self.scale_m[k])

    def cumulative(self, h_km) -> np.ndarray:
        """The profile's integral from the bottom of the grid to ``h_km`` (NaN outside it)."""
        h, k = self._interval(h_km)
        part = self.scale_m[k] * (1.0 / self.density(h) - 1.0 / self.rho[k]) / self.speed_term[k]
        inside = (h >= self.alt_km[0]) & (h <= self.alt_km[-1])
        return np.where(inside, self.cum[k] + part, np.nan)

    def height_at(self, cum) -> np.ndarray:
        """The height whose cumulative integral is ``cum`` (the inverse of :meth:`cumulative`;
        NaN beyond the top of the grid)."""
        c = np.asarray(cum, float)
        k = np.clip(np.searchsorted(self.cum, c, side="right") - 1, 0, self.alt_km.size - 2)
        inv_rho = 1.0 / self.rho[k] + (c - self.cum[k]) * self.speed_term[k] / self.scale_m[k]
        h = self.alt_km[k] + self.scale_m[k] * np.log(self.rho[k] * inv_rho) / 1000.0
        return np.where((c >= 0) & (c <= self.cum[-1]), h, np.nan)


def decay_profile(alt_km, rho_kg_m3) -> DecayProfile:
    """A :class:`DecayProfile` of a density profile (heights in km, increasing)."""
    return DecayProfile(alt_km, rho_kg_m3)


def decay_time_s(profile: DecayProfile, from_km, to_km, ballistic_m2_per_kg) -> np.ndarray:
    """Seconds for a circular orbit to decay from ``from_km`` to ``to_km`` with ``B = Cd A/m``
    (broadcast over arrays). ``inf`` where ``B`` is 0; NaN where a height is off the grid."""
    b = np.asarray(ballistic_m2_per_kg, float)
    span = profile.cumulative(from_km) - profile.cumulative(to_km)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, np.maximum(span, 0.0) / b, np.inf)


def altitude_for_decay_time_km(
    profile: DecayProfile, time_s, to_km, ballistic_m2_per_kg
) -> np.ndarray:
    """The circular height from which passive decay down to ``to_km`` takes ``time_s``."""
    b = np.asarray(ballistic_m2_per_kg, float)
    return profile.height_at(profile.cumulative(to_km) + np.asarray(time_s, float) * b)


def _circular_speed_km_s(r_km):
    return np.sqrt(WGS72_MU_KM3_PER_S2 / r_km)


def perigee_lowering_delta_v_km_s(alt_km, perigee_km) -> np.ndarray:
    """One retrograde burn from a circular orbit at ``alt_km`` to an ellipse with that apogee
    and a perigee at ``perigee_km`` (km/s): ``v_c (1 - sqrt(2 r_p / (r_a + r_p)))``."""
    ra = WGS72_RADIUS_KM + np.asarray(alt_km, float)
    rp = WGS72_RADIUS_KM + np.asarray(perigee_km, float)
    dv = _circular_speed_km_s(ra) * (1.0 - np.sqrt(2.0 * rp / (ra + rp)))
    return np.maximum(dv, 0.0)


def hohmann_delta_v_km_s(from_km, to_km) -> np.ndarray:
    """Both burns of a Hohmann transfer between circular orbits (km/s)."""
    r1 = WGS72_RADIUS_KM + np.asarray(from_km, float)
    r2 = WGS72_RADIUS_KM + np.asarray(to_km, float)
    v1, v2 = _circular_speed_km_s(r1), _circular_speed_km_s(r2)
    s = np.sqrt(2.0 * r2 / (r1 + r2))
    t = np.sqrt(2.0 * r1 / (r1 + r2))
    return np.abs(v1 * (s - 1.0)) + np.abs(v2 * (1.0 - t))


def propellant_kg(dry_mass_kg, delta_v_km_s, isp_s) -> np.ndarray:
    """Propellant a satellite of ``dry_mass_kg`` (at the end of the burn) needs for
    ``delta_v_km_s`` at specific impulse ``isp_s`` (Tsiolkovsky)."""
    ve_km_s = np.asarray(isp_s, float) * STANDARD_GRAVITY_M_PER_S2 / 1000.0
    return np.asarray(dry_mass_kg, float) * np.expm1(np.asarray(delta_v_km_s, float) / ve_km_s)
