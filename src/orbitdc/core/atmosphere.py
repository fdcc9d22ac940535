"""Thermosphere density: NRLMSIS 2.1 averaged along a circular orbit, and SGP4's own static
atmosphere.

NRLMSIS 2.1 (Emmert et al. 2021, Earth and Space Science 8, e2020EA001321) is called through
``pymsis`` with the solar and geomagnetic indices given explicitly: pymsis would otherwise read
(and download) a space-weather file, and orbitdc never downloads anything at run time.

The orbit average is a documented approximation, not a flight: for a circular orbit of
inclination ``i`` the argument of latitude ``u`` advances uniformly, so the satellite spends
equal time at each ``u`` and its latitude is ``asin(sin i sin u)``. Density is averaged over
``u`` (a midpoint rule on ``ORBIT_POINTS`` points per quarter orbit, both hemispheres), over
local solar time (``LOCAL_TIMES_H``: the node of a non-sun-synchronous orbit sweeps every local
time within weeks to months, far shorter than a decay of years) and over the seasons
(``DAYS_OF_YEAR``: the semiannual variation, maxima near April and October). Neglected: the
fixed local time of a sun-synchronous orbit (a dawn-dusk orbit sees somewhat less than the
diurnal mean), the rotation of the atmosphere with the Earth (a few per cent of the relative
speed) and the day-to-day weather of the Sun: the indices are held constant at the stated level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from orbitdc.core.constants import SGP4_Q0_KM, SGP4_RHO0_KG_PER_M3, SGP4_S_KM

__all__ = [
    "ACTIVITY_LEVELS",
    "DAYS_OF_YEAR",
    "LOCAL_TIMES_H",
    "ORBIT_POINTS",
    "SolarActivity",
    "msis_density_kg_m3",
    "orbit_mean_density_kg_m3",
    "sgp4_density_kg_m3",
]


@dataclass(frozen=True)
class SolarActivity:
    """Solar and geomagnetic indices held constant: F10.7 of the previous day and its 81-day
    mean (solar flux units, 1e-22 W m^-2 Hz^-1) and the daily planetary Ap."""

    name: str
    f107_sfu: float
    f107a_sfu: float
    ap: float


#: The activity levels of ECSS-E-ST-10-04C (Space environment, 2008), section 8 (neutral
#: atmosphere), table of solar and geomagnetic activity: low F10.7 = 65 and Ap = 0, moderate
#: 140 and 15, high (long-term) 250 and 45. The long-term high level is the one for lifetimes
#: and mean drag over months; the short-term high values (daily F10.7 300, Ap 240) last days.
ACTIVITY_LEVELS: dict[str, SolarActivity] = {
    "low": SolarActivity("low", 65.0, 65.0, 0.0),
    "moderate": SolarActivity("moderate", 140.0, 140.0, 15.0),
    "high": SolarActivity("high", 250.0, 250.0, 45.0),
}

#: Points per quarter orbit (argument of latitude) of the orbit average. With the local times
#: and days below and a 20 km height grid, lifetimes come within 1.5 % of a dense average
#: (8 points, 16 local times, 12 months, 5 km; tests/test_sustainability.py).
ORBIT_POINTS = 3
#: Local solar times of the average, h (every 4 h).
LOCAL_TIMES_H = (2.0, 6.0, 10.0, 14.0, 18.0, 22.0)
#: Days of the year of the average, a quarter of a year apart.
DAYS_OF_YEAR = ("2025-02-01", "2025-05-01", "2025-08-01", "2025-11-01")


def msis_density_kg_m3(
    alt_km, lat_deg, lon_deg, dates, activity: SolarActivity
) -> np.ndarray:
    """Total mass density (kg/m^3) from NRLMSIS 2.1 at aligned points (a fly-through).

    ``dates`` are numpy datetime64 values (UT); the indices come from ``activity`` for every
    point, so pymsis never looks up (or downloads) space weather.
    """
    from pymsis import msis

    alt = np.atleast_1d(np.asarray(alt_km, float))
    n = alt.size
    lat = np.broadcast_to(np.asarray(lat_deg, float), (n,))
    lon = np.broadcast_to(np.asarray(lon_deg, float), (n,))
    dates = np.broadcast_to(np.asarray(dates, "datetime64[s]"), (n,))
    out = msis.calculate(
        dates, lon, lat, alt,
        np.full(n, activity.f107_sfu), np.full(n, activity.f107a_sfu),
        np.full((n, 7), activity.ap),
        version=2.1,
    )
    return np.asarray(out[..., msis.Variable.MASS_DENSITY], float).reshape(n)


@lru_cache(maxsize=64)
def _orbit_mean_cached(alt_key: tuple, inclination_deg: float, activity: SolarActivity):
    alt_km = np.asarray(alt_key, float)
    u = (np.arange(ORBIT_POINTS) + 0.5) * (0.5 * math.pi / ORBIT_POINTS)
    lat = np.rad2deg(np.arcsin(math.sin(math.radians(inclination_deg)) * np.sin(u)))
    lat = np.concatenate([lat, -lat])
    lt = np.asarray(LOCAL_TIMES_H)
    days = np.asarray([np.datetime64(d + "T12:00:00") for d in DAYS_OF_YEAR])
    # At 12:00 UT the local solar time at longitude L is 12 h + L / 15 deg.
    lon = (lt - 12.0) * 15.0
    A, D, LA, LO = np.meshgrid(alt_km, days, lat, lon, indexing="ij")
    rho = msis_density_kg_m3(A.ravel(), LA.ravel(), LO.ravel(), D.ravel(), activity)
    mean = rho.reshape(alt_km.size, -1).mean(axis=1)
    mean.setflags(write=False)
    return mean


def orbit_mean_density_kg_m3(
    alt_km, inclination_deg: float, activity: SolarActivity
) -> np.ndarray:
    """NRLMSIS 2.1 density averaged along a circular orbit at each of ``alt_km`` (see the module
    docstring for the average). Results are cached per altitude grid, inclination and level."""
    key = tuple(np.round(np.atleast_1d(np.asarray(alt_km, float)), 6).tolist())
    incl = round(float(inclination_deg), 1)
    if incl > 90.0:  # a retrograde orbit sweeps the same latitudes
        incl = round(180.0 - incl, 1)
    return _orbit_mean_cached(key, incl, activity).copy()


def sgp4_density_kg_m3(alt_km) -> np.ndarray:
    """The density SGP4 assumes, ``rho0 ((q0 - s) / (h - s))^4`` above 156 km (Hoots & Roehrich
    1980, eq. for C2 and the ``qoms2t`` term): static, whatever the Sun does."""
    h = np.asarray(alt_km, float)
    return SGP4_RHO0_KG_PER_M3 * ((SGP4_Q0_KM - SGP4_S_KM) / (h - SGP4_S_KM)) ** 4
