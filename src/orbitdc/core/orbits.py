"""Orbits: generators for shells and formations, and vectorised SGP4 propagation.

Generated satellites are initialised with ``Satrec.sgp4init`` in the WGS-72 system that SGP4 is
defined in (Vallado et al. 2006, AIAA 2006-6753), with the drag term ``B*`` that their ballistic
coefficient gives (:func:`bstar_from_ballistic`; 0, no drag, for satellites without a type).
SGP4's atmosphere is static (Hoots & Roehrich 1980): the decay it flies does not follow the
Sun's activity (``orbitdc.core.atmosphere``). Element sets (TLE/OMM) keep their own drag term. Circular orbits are set from the mean altitude
above the WGS-72 equator: ``a = R + h``, Kozai mean motion ``n = sqrt(mu / a^3)``.

Propagation returns positions and velocities in TEME (km, km/s) with shape
``(satellites, times, 3)`` and SGP4's per-element error codes instead of raising mid-batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sgp4.api import WGS72, Satrec

from orbitdc.core.constants import (
    JD_SGP4INIT_EPOCH,
    SGP4_RHO0_KG_PER_M2_PER_ER,
    SUN_SYNC_NODAL_RATE_RAD_PER_S,
    WGS72_J2,
    WGS72_MU_KM3_PER_S2,
    WGS72_RADIUS_KM,
)
from orbitdc.core.time import gmst_rad

__all__ = [
    "CircularElements",
    "ballistic_from_bstar",
    "bstar_from_ballistic",
    "circular_mean_motion_rad_per_s",
    "formation_elements",
    "lattice_offsets_km",
    "orbital_period_s",
    "propagate",
    "raan_for_ltan_rad",
    "satrecs_from_elements",
    "sgp4_sun_synchronous_inclination_rad",
    "sun_synchronous_inclination_rad",
    "walker_delta",
]


@dataclass(frozen=True)
class CircularElements:
    """Mean elements of satellites in (near-)circular orbits, one entry per satellite.

    Angles in radians; ``ecc`` and ``argp_rad`` may express the small eccentricity vector of a
    formation member; for a plain circular orbit they are zero.
    """

    altitude_km: np.ndarray
    inclination_rad: np.ndarray
    raan_rad: np.ndarray
    mean_anomaly_rad: np.ndarray
    ecc: np.ndarray
    argp_rad: np.ndarray

    @property
    def count(self) -> int:
        return int(np.size(self.altitude_km))


def bstar_from_ballistic(ballistic_m2_per_kg) -> np.ndarray:
    """SGP4's drag term ``B* = (Cd A / m) rho0 / 2`` (1/earth radii) from the ballistic
    coefficient ``Cd A / m`` (m^2/kg); ``rho0`` is SGP4's reference density in kg/m^2 per
    earth radius (``SGP4_RHO0_KG_PER_M2_PER_ER``, Hoots & Roehrich 1980)."""
    return np.asarray(ballistic_m2_per_kg, float) * SGP4_RHO0_KG_PER_M2_PER_ER / 2.0


def ballistic_from_bstar(bstar_per_er) -> np.ndarray:
    """The ballistic coefficient ``Cd A / m`` (m^2/kg) an element set's ``B*`` stands for. A
    fitted ``B*`` absorbs the errors of SGP4's static atmosphere, so this is an effective value."""
    return 2.0 * np.asarray(bstar_per_er, float) / SGP4_RHO0_KG_PER_M2_PER_ER


def circular_mean_motion_rad_per_s(altitude_km) -> np.ndarray:
    """Two-body mean motion of a circular orbit at ``altitude_km`` (WGS-72, as in SGP4)."""
    a = WGS72_RADIUS_KM + np.asarray(altitude_km, float)
    return np.sqrt(WGS72_MU_KM3_PER_S2 / a**3)


def orbital_period_s(altitude_km) -> np.ndarray:
    """Keplerian period ``2 pi sqrt(a^3 / mu)`` of a circular orbit."""
    return 2.0 * np.pi / circular_mean_motion_rad_per_s(altitude_km)


def sun_synchronous_inclination_rad(altitude_km, ecc=0.0) -> np.ndarray:
    """Inclination whose J2 nodal regression equals one turn per tropical year.

    ``cos i = -(2/3) * rate * a^(7/2) * (1 - e^2)^2 / (J2 * R^2 * sqrt(mu))`` (first-order J2
    secular theory; Vallado 4th ed. eq. 9-41), with SGP4's WGS-72 constants so the propagated
    orbit really precesses at the sun-synchronous rate. Raises for altitudes where no
    sun-synchronous orbit exists (above about 5,970 km).
    """
    a = WGS72_RADIUS_KM + np.asarray(altitude_km, float)
    cos_i = (
        -(2.0 / 3.0)
        * SUN_SYNC_NODAL_RATE_RAD_PER_S
        * a**3.5
        * (1.0 - np.asarray(ecc, float) ** 2) ** 2
        / (WGS72_J2 * WGS72_RADIUS_KM**2 * math.sqrt(WGS72_MU_KM3_PER_S2))
    )
    if np.any(cos_i < -1.0):
        raise ValueError("no sun-synchronous orbit exists at this altitude")
    return np.arccos(cos_i)


def sgp4_sun_synchronous_inclination_rad(altitude_km: float, epoch_jd: tuple[float, float]) -> float:
    """Inclination at which SGP4 itself regresses the node at the sun-synchronous rate.

    SGP4 reads the mean motion as Kozai's and recovers Brouwer's semi-major axis from it, so the
    first-order closed form (:func:`sun_synchronous_inclination_rad`) precesses ~0.15% slow
    under SGP4 (a drift of ~0.5 deg/year in local time). Newton steps on SGP4's secular node
    rate ``Satrec.nodedot`` (using d(rate)/di = -rate tan i) remove that: generated
    sun-synchronous orbits keep their local time to better than 1 s/year.
    """
    inc = float(sun_synchronous_inclination_rad(altitude_km))
    target = -SUN_SYNC_NODAL_RATE_RAD_PER_S * 60.0  # nodedot is in rad/min, and prograde
    el = CircularElements(*(np.array([x]) for x in (altitude_km, inc, 0.0, 0.0, 0.0, 0.0)))
    for _ in range(4):
        el = CircularElements(
            el.altitude_km, np.array([inc]), el.raan_rad, el.mean_anomaly_rad, el.ecc, el.argp_rad
        )
        rate = satrecs_from_elements(el, epoch_jd)[0].nodedot
        inc -= (rate + target) / (-rate * math.tan(inc))
    return inc


def raan_for_ltan_rad(gmst_at_epoch_rad: float, ut_hours_at_epoch: float, ltan_h: float) -> float:
    """Right ascension of the ascending node whose local mean solar time is ``ltan_h``.

    The node's longitude is ``RAAN - GMST``; its local mean time is ``UT + longitude/15 deg``.
    """
    return float(
        np.mod(gmst_at_epoch_rad + np.deg2rad(15.0 * (ltan_h - ut_hours_at_epoch)), 2 * np.pi)
    )


def walker_delta(planes: int, per_plane: int, phasing: int, raan0_rad: float = 0.0):
    """RAAN and mean anomaly (rad) of a Walker-delta pattern ``i: T/P/F``.

    Plane ``j`` has RAAN ``raan0 + 2 pi j / P``; satellite ``k`` in it has mean anomaly
    ``2 pi k / S + 2 pi F j / T`` (Walker 1984, JBIS 37). Satellites are ordered plane by plane.
    """
    total = planes * per_plane
    j, k = np.divmod(np.arange(total), per_plane)
    raan = np.mod(raan0_rad + 2.0 * np.pi * j / planes, 2.0 * np.pi)
    anomaly = np.mod(2.0 * np.pi * k / per_plane + 2.0 * np.pi * phasing * j / total, 2.0 * np.pi)
    return raan, anomaly


def lattice_offsets_km(count: int, radius_km: float) -> np.ndarray:
    """``count`` points of a planar square lattice, nearest the centre first, scaled so the
    farthest point sits at ``radius_km``. Shape ``(count, 2)``.

    The points form a disk-shaped cut of the lattice; ties in distance are broken by angle, so the
    layout is deterministic. With 81 points in a 1 km radius the lattice pitch is 200 m, so
    neighbours range between 100 and 200 m apart over an orbit (see ``formation_elements``), the
    figures of the Suncatcher design (arXiv:2511.19468).
    """
    if count == 1:
        return np.zeros((1, 2))
    half = int(math.ceil(math.sqrt(count))) + 1
    ii, jj = np.meshgrid(np.arange(-half, half + 1), np.arange(-half, half + 1), indexing="ij")
    pts = np.column_stack([ii.ravel(), jj.ravel()]).astype(float)
    order = np.lexsort((np.arctan2(pts[:, 1], pts[:, 0]), np.round(np.hypot(*pts.T), 9)))
    chosen = pts[order[:count]]
    chosen -= chosen.mean(axis=0)
    return chosen * (radius_km / np.max(np.hypot(*chosen.T)))


#: Common eccentricity of a formation's members (see :func:`formation_elements`); well above
#: SGP4's floor of 1e-6 and above the relative part for clusters up to ~1.4 km radius at LEO.
FORMATION_BASE_ECC = 1e-4


def formation_elements(
    reference: CircularElements, offsets_km: np.ndarray
) -> CircularElements:
    """Members of a passive formation around a single circular reference orbit.

    Each member gets the reference's semi-major axis (so no along-track drift) and a small
    relative eccentricity vector: in Hill (Clohessy-Wiltshire) terms it moves on a 2:1 ellipse
    around the reference, ``+-|p|`` along track and ``+-|p|/2`` radially, where ``p`` is its
    lattice offset (Suncatcher: "a rotating ellipse +-R prograde, +-R/2 radial"). The phase of
    ``p`` sets where on the ellipse it starts; the argument of latitude matches the reference.
    Relative motion is linear in ``p``, so two members ``d`` apart in the lattice stay between
    ``d/2`` and ``d`` apart, twice per orbit. Cross-track motion and differential J2 drift
    (Suncatcher: < 3 m/s/yr per km) are neglected.

    Every member's eccentricity vector is ``FORMATION_BASE_ECC`` (pointing at perigee argument
    90 deg, like a frozen orbit) plus its relative vector. Without the common part the member at
    the centre would have e = 0, which SGP4 silently raises to 1e-6: a 7 m error in a 100 m
    geometry. A common part moves the whole cluster together and leaves relative motion alone.
    """
    a_km = WGS72_RADIUS_KM + float(reference.altitude_km[0])
    offsets_km = np.asarray(offsets_km, float)
    n = offsets_km.shape[0]
    ex = offsets_km[:, 0] / (2.0 * a_km)
    ey = offsets_km[:, 1] / (2.0 * a_km) + FORMATION_BASE_ECC
    ecc = np.hypot(ex, ey)
    argp = np.mod(np.arctan2(ey, ex), 2.0 * np.pi)
    arg_lat = float(reference.argp_rad[0] + reference.mean_anomaly_rad[0])
    return CircularElements(
        altitude_km=np.full(n, reference.altitude_km[0]),
        inclination_rad=np.full(n, reference.inclination_rad[0]),
        raan_rad=np.full(n, reference.raan_rad[0]),
        mean_anomaly_rad=np.mod(arg_lat - argp, 2.0 * np.pi),
        ecc=ecc,
        argp_rad=argp,
    )


def satrecs_from_elements(
    elements: CircularElements, epoch_jd: tuple[float, float], first_satnum: int = 1,
    bstar: float | np.ndarray = 0.0,
) -> list[Satrec]:
    """SGP4 element sets (WGS-72) for generated satellites at ``epoch_jd``, with drag term
    ``bstar`` (1/earth radii, one for all or one per satellite; 0: no drag)."""
    epoch_days = (epoch_jd[0] - JD_SGP4INIT_EPOCH) + epoch_jd[1]
    no_kozai = circular_mean_motion_rad_per_s(elements.altitude_km) * 60.0  # rad/min
    bstar = np.broadcast_to(np.asarray(bstar, float), (elements.count,))
    out = []
    for i in range(elements.count):
        sat = Satrec()
        sat.sgp4init(
            WGS72,
            "i",
            (first_satnum + i) % 100000,
            epoch_days,
            float(bstar[i]),
            0.0,
            0.0,
            float(elements.ecc[i]),
            float(elements.argp_rad[i]),
            float(elements.inclination_rad[i]),
            float(elements.mean_anomaly_rad[i]),
            float(no_kozai[i]),
            float(elements.raan_rad[i]),
        )
        out.append(sat)
    return out


def propagate(
    satrecs, jd: np.ndarray, fr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SGP4 over satellites x times with ``satrecs``, a ``SatrecArray`` or a batch of
    ``orbitdc.core.propagators``. Returns ``(err, r_km, v_km_s)`` with shapes ``(S, T)``,
    ``(S, T, 3)``, ``(S, T, 3)``; the caller blanks failed elements (``err != 0``)."""
    err, r, v = satrecs.sgp4(np.ascontiguousarray(jd, float), np.ascontiguousarray(fr, float))
    return err, r, v


def gmst_and_ut_hours(epoch_jd: tuple[float, float]) -> tuple[float, float]:
    """GMST (rad) and UT hours of day at an epoch given as a Julian date pair."""
    jd, fr = epoch_jd
    gmst = float(gmst_rad(np.array(jd), np.array(fr)))
    ut_hours = ((jd + fr + 0.5) % 1.0) * 24.0
    return gmst, ut_hours
