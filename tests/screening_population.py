"""Random populations for the screening tests and the speed benchmark (seeded).

``catalogue_like(n, seed)``: a population shaped like the public catalogue's: a quarter in
Starlink-like Walker shells (550 km / 53 deg, 540 km / 97.6 deg), the rest spread over LEO
(300-1,500 km, inclinations 0-100 deg, small eccentricities, a peak near 800 km where debris
clouds sit), a few per cent in MEO and GEO. Not the real catalogue (nothing is downloaded):
its density in the busy LEO shells is of the same order (~1e-7 objects per km^3).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from orbitdc.core import orbits
from orbitdc.core.time import epoch_jd

EPOCH = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)


def elements(n: int, seed: int, *, shell_share: float = 0.25, deep_share: float = 0.03,
             altitude_km=(300.0, 1500.0)) -> orbits.CircularElements:
    rng = np.random.default_rng(seed)
    n_shell = int(n * shell_share)
    n_deep = int(n * deep_share)
    n_leo = n - n_shell - n_deep
    # Walker shells: two of them, planes x per plane near sqrt-ish.
    half = n_shell // 2
    parts = []
    for count, alt, inc in ((half, 550.0, 53.0), (n_shell - half, 540.0, 97.6)):
        if count == 0:
            continue
        planes = max(1, int(round(np.sqrt(count / 2))))
        per = int(np.ceil(count / planes))
        raan, anomaly = orbits.walker_delta(planes, per, 1)
        raan, anomaly = raan[:count], anomaly[:count]
        parts.append((np.full(count, alt), np.full(count, np.deg2rad(inc)), raan, anomaly,
                      np.zeros(count), np.zeros(count)))
    lo, hi = altitude_km
    alt = np.where(rng.random(n_leo) < 0.35, rng.normal(800.0, 60.0, n_leo),
                   rng.uniform(lo, hi, n_leo))
    alt = np.clip(alt, lo, hi)
    parts.append((alt, np.deg2rad(rng.uniform(0.0, 100.0, n_leo)),
                  rng.uniform(0, 2 * np.pi, n_leo), rng.uniform(0, 2 * np.pi, n_leo),
                  np.minimum(rng.exponential(0.003, n_leo), 0.05),
                  rng.uniform(0, 2 * np.pi, n_leo)))
    if n_deep:
        deep_alt = np.where(rng.random(n_deep) < 0.5, 20_200.0, 35_786.0)
        parts.append((deep_alt, np.deg2rad(rng.uniform(0.0, 60.0, n_deep)),
                      rng.uniform(0, 2 * np.pi, n_deep), rng.uniform(0, 2 * np.pi, n_deep),
                      rng.uniform(0.0, 0.01, n_deep), rng.uniform(0, 2 * np.pi, n_deep)))
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    return orbits.CircularElements(altitude_km=cols[0], inclination_rad=cols[1],
                                   raan_rad=cols[2], mean_anomaly_rad=cols[3], ecc=cols[4],
                                   argp_rad=cols[5])


def catalogue_like(n: int, seed: int, **kw):
    """``n`` sgp4 ``Satrec`` of :func:`elements`, epoch :data:`EPOCH`."""
    return orbits.satrecs_from_elements(elements(n, seed, **kw), epoch_jd(EPOCH))
