import datetime as dt

import numpy as np
import pytest
from sgp4.api import SatrecArray

from orbitdc.core import orbits
from orbitdc.core.time import epoch_jd, jd_pair

EPOCH = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)


def circular(altitude_km, inclination_deg, raan_deg=0.0, anomaly_deg=0.0):
    """One generated circular orbit as a SatrecArray, epoch EPOCH."""
    el = orbits.CircularElements(
        altitude_km=np.array([float(altitude_km)]),
        inclination_rad=np.deg2rad([float(inclination_deg)]),
        raan_rad=np.deg2rad([float(raan_deg)]),
        mean_anomaly_rad=np.deg2rad([float(anomaly_deg)]),
        ecc=np.zeros(1),
        argp_rad=np.zeros(1),
    )
    return SatrecArray(orbits.satrecs_from_elements(el, epoch_jd(EPOCH)))


def propagate(sats, t_s):
    jd, fr = jd_pair(epoch_jd(EPOCH), t_s)
    err, r, v = sats.sgp4(jd, fr)
    assert not err.any()
    return jd, fr, r, v


@pytest.fixture
def epoch():
    return EPOCH
