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


def fly_with_events(scenario, **kwargs):
    """``simulate_arrays`` with its event windows collected: ``(raw, windows, order)``, where
    ``windows[kind]`` is ``(satellite, target, start, end, clipped_start, clipped_end)``
    sorted by satellite, target and start, and ``order`` the (kind, satellite, target, end)
    rows in the order they were written."""
    from orbitdc.sim import engine

    parts = []
    raw = engine.simulate_arrays(scenario, events=parts.append, **kwargs)
    names = ("satellite_index", "target_index", "start_s", "end_s", "clipped_start",
             "clipped_end")
    cols = {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0)
            for k in names + ("kind",)}
    windows = {}
    for code, kind in enumerate(engine.EVENT_KINDS):
        m = cols["kind"] == code
        if not m.any():
            continue
        o = np.lexsort((cols["start_s"][m], cols["target_index"][m], cols["satellite_index"][m]))
        windows[kind] = tuple(cols[k][m][o] for k in names)
    order = np.stack([cols["kind"], cols["satellite_index"], cols["target_index"],
                      cols["end_s"]], axis=1) if parts else np.empty((0, 4))
    return raw, windows, order
