"""Time scales as the kernels use them.

Times inside a run are float seconds from the scenario epoch (a UTC instant). SGP4 takes Julian
dates split in a whole part and a fraction; we keep that split so that sub-millisecond
resolution survives over decades.

Assumptions: UTC is used where UT1 is strictly meant (|UT1 - UTC| < 0.9 s, i.e. < 0.4 km of
Earth rotation at the equator), and where TT is meant for the Sun's mean elements (TT - UTC is
about 69 s, i.e. 0.0008 deg of solar longitude). Leap seconds inside a run are not inserted.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from orbitdc.core.constants import JD_J2000, JD_UNIX_EPOCH, SECONDS_PER_DAY

__all__ = ["epoch_jd", "gmst_rad", "jd_pair", "to_datetime64"]


def epoch_jd(epoch: _dt.datetime) -> tuple[float, float]:
    """Split a timezone-aware UTC datetime into (Julian date at 0h, fraction of day)."""
    if epoch.tzinfo is None:
        raise ValueError("epoch must be timezone-aware (UTC)")
    epoch = epoch.astimezone(_dt.UTC)
    midnight = epoch.replace(hour=0, minute=0, second=0, microsecond=0)
    days = (midnight - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)).days
    fraction = (epoch - midnight).total_seconds() / SECONDS_PER_DAY
    return JD_UNIX_EPOCH + days, fraction


def jd_pair(epoch: tuple[float, float], t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Julian date pair ``(whole, fraction)`` for times ``t_s`` seconds after ``epoch``."""
    t_s = np.asarray(t_s, dtype=float)
    fr = epoch[1] + t_s / SECONDS_PER_DAY
    whole_days = np.floor(fr)
    return epoch[0] + whole_days, fr - whole_days


def gmst_rad(jd: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Greenwich mean sidereal time, IAU 1982 model (the one SGP4's TEME frame is defined with).

    Vallado, Fundamentals of Astrodynamics and Applications, 4th ed., eq. 3-47; identical to
    ``gstime`` in the SGP4 reference code. ``jd + fr`` is taken as UT1.
    """
    tut1 = ((np.asarray(jd) - JD_J2000) + np.asarray(fr)) / 36525.0
    seconds = (
        -6.2e-6 * tut1**3
        + 0.093104 * tut1**2
        + (876600.0 * 3600.0 + 8640184.812866) * tut1
        + 67310.54841
    )
    return np.mod(np.deg2rad(seconds / 240.0), 2.0 * np.pi)


def to_datetime64(epoch: _dt.datetime, t_s: np.ndarray) -> np.ndarray:
    """UTC timestamps (numpy ``datetime64[us]``) for seconds after ``epoch``."""
    base = np.datetime64(epoch.astimezone(_dt.UTC).replace(tzinfo=None), "us")
    return base + np.round(np.asarray(t_s, dtype=float) * 1e6).astype("timedelta64[us]")
