"""The engine: flies the fleet through time in chunks and finds its events.

Each chunk propagates every satellite over a block of steps with one ``SatrecArray.sgp4`` call,
then computes shadow, beta angle and station elevations as whole arrays. Python runs once per
chunk, never once per satellite. Consecutive chunks share one sample so that a crossing between
them is found exactly once. Events are refined to ~1 ms (``EVENT_TOLERANCE_S``) between steps
by ``orbitdc.core.events``; time series are streamed to a sink chunk by chunk so memory stays
bounded by the chunk size, not by the run length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from orbitdc.core import events as ev
from orbitdc.core.frames import ecef_to_geodetic, teme_to_ecef
from orbitdc.core.orbits import propagate
from orbitdc.core.sun import beta_angle_rad, occulted_fraction, shadow_angles, sun_position_km
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
from orbitdc.model.scenario import Scenario
from orbitdc.sim.fleet import Fleet, Stations, build_fleet, build_stations

__all__ = ["simulate_arrays", "RawRun", "EVENT_TOLERANCE_S", "CHUNK_BUDGET"]

#: Events are refined to this precision (the contract asks for <= 1 s).
EVENT_TOLERANCE_S = 1e-3
#: Upper bound of (satellites x samples x (stations + 8)) values held per chunk (~ 8 bytes each).
CHUNK_BUDGET = 6_000_000
#: Most steps per chunk, so progress is reported regularly even for small fleets.
MAX_CHUNK_STEPS = 2048

Progress = Callable[[int, int], None]
Sink = Callable[[dict[str, np.ndarray]], None]


@dataclass
class _Crossings:
    rows: list[np.ndarray] = field(default_factory=list)
    times: list[np.ndarray] = field(default_factory=list)
    rising: list[np.ndarray] = field(default_factory=list)

    def add(self, found) -> None:
        rows, times, rising = found
        self.rows.append(rows)
        self.times.append(times)
        self.rising.append(rising)

    def arrays(self):
        if not self.rows:
            return np.empty(0, np.int64), np.empty(0), np.empty(0, bool)
        rows = np.concatenate(self.rows)
        times = np.concatenate(self.times)
        rising = np.concatenate(self.rising)
        order = np.lexsort((times, rows))
        return rows[order], times[order], rising[order]


@dataclass
class RawRun:
    """Array results of a run, before they are turned into tables and a summary."""

    fleet: Fleet
    stations: Stations
    times_s: np.ndarray
    windows: dict[str, tuple[np.ndarray, ...]]  # kind -> (row, start, end, clip0, clip1)
    beta_min_rad: np.ndarray
    beta_max_rad: np.ndarray
    sgp4_errors: dict[int, tuple[int, float]]  # satellite -> (code, first time)


def sample_times(scenario: Scenario) -> np.ndarray:
    """Step times in seconds from the epoch; the last one is the end of the run."""
    n = scenario.n_steps
    return np.minimum(np.arange(n) * scenario.step_s, scenario.duration_s)


def chunk_steps(n_sats: int, n_stations: int) -> int:
    per_step = max(1, n_sats * (n_stations + 8))
    return int(max(2, min(MAX_CHUNK_STEPS, CHUNK_BUDGET // per_step)))


def simulate_arrays(
    scenario: Scenario,
    *,
    sink: Sink | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
) -> RawRun:
    """Run the scenario. ``sink`` receives time-series columns for the recorded satellites and
    steps, one dict of arrays per chunk; ``progress(done, total)`` counts steps."""
    fleet = build_fleet(scenario)
    stations = build_stations(scenario)
    epoch = epoch_jd(scenario.start)
    times = sample_times(scenario)
    n_t = times.size
    n_s = fleet.size
    n_g = stations.size
    recorded = np.asarray(scenario.recorded_satellites(), dtype=np.int64)
    every = scenario.record_every
    chunk = chunk or chunk_steps(n_s, n_g)

    penumbra_x, umbra_x, contact_x = _Crossings(), _Crossings(), _Crossings()
    start_pen = start_umb = start_con = None
    beta_min = np.full(n_s, np.inf)
    beta_max = np.full(n_s, -np.inf)
    errors: dict[int, tuple[int, float]] = {}

    c0 = 0
    while True:
        c1 = min(c0 + chunk, n_t - 1)
        idx = np.arange(c0, c1 + 1)
        t = times[idx]
        jd, fr = jd_pair(epoch, t)
        err, r, v = propagate(fleet.satrecs, jd, fr)
        bad = err != 0
        if bad.any():
            r[bad] = np.nan
            v[bad] = np.nan
            for s, k in zip(*np.nonzero(bad)):
                if int(s) not in errors:
                    errors[int(s)] = (int(err[s, k]), float(t[k]))
        sun = sun_position_km(jd, fr)
        sep, sun_r, earth_r = shadow_angles(r, sun[None, :, :])
        g_pen = sun_r + earth_r - sep
        g_umb = earth_r - sun_r - sep
        if start_pen is None:
            start_pen = g_pen[:, 0] > 0
            start_umb = g_umb[:, 0] > 0
        gmst = gmst_rad(jd, fr)
        r_ecef = teme_to_ecef(r, gmst)

        speed = np.sqrt(np.nanmax(np.einsum("skj,skj->sk", v, v), axis=1))
        radius = np.sqrt(np.nanmin(np.einsum("skj,skj->sk", r, r), axis=1))
        angular_rate = np.nan_to_num(1.5 * speed / radius, nan=0.0)

        def eval_shadow(rows, tq, umbra, t=t, r=r, v=v):
            rq = ev.hermite(t, r, v, rows, tq)
            sun_q = sun_position_km(*jd_pair(epoch, tq))
            sep_q, a_q, b_q = shadow_angles(rq, sun_q)
            return (b_q - a_q - sep_q) if umbra else (a_q + b_q - sep_q)

        penumbra_x.add(
            ev.find_crossings(
                t, g_pen, lambda rows, tq: eval_shadow(rows, tq, False), angular_rate,
                EVENT_TOLERANCE_S,
            )
        )
        umbra_x.add(
            ev.find_crossings(
                t, g_umb, lambda rows, tq: eval_shadow(rows, tq, True), angular_rate,
                EVENT_TOLERANCE_S,
            )
        )

        if n_g:
            g_el = _elevation_margin(r_ecef, stations)  # (S*G, K)
            if start_con is None:
                start_con = g_el[:, 0] > 0
            alt_min = np.maximum(radius - 6400.0, 50.0)
            el_rate = np.repeat((speed + 0.5) / alt_min, n_g)

            def eval_el(rows, tq, t=t, r=r, v=v):
                sat = rows // n_g
                st = rows % n_g
                rq = ev.hermite(t, r, v, sat, tq)
                rq = teme_to_ecef(rq, gmst_rad(*jd_pair(epoch, tq)))
                d = rq - stations.ecef_km[st]
                rng = np.sqrt(np.einsum("ij,ij->i", d, d))
                return np.einsum("ij,ij->i", d, stations.up[st]) / rng - (
                    stations.sin_min_elevation[st]
                )

            contact_x.add(ev.find_crossings(t, g_el, eval_el, el_rate, EVENT_TOLERANCE_S))

        beta = beta_angle_rad(r, v, sun[None, :, :])
        beta_min = np.fmin(beta_min, np.nanmin(beta, axis=1))
        beta_max = np.fmax(beta_max, np.nanmax(beta, axis=1))

        if sink is not None and recorded.size:
            first = 0 if c0 == 0 else 1  # the shared sample was recorded by the last chunk
            keep = np.nonzero(idx[first:] % every == 0)[0] + first
            if keep.size:
                sink(_timeseries_columns(recorded, keep, t, r, r_ecef, (sep, sun_r, earth_r), beta))

        if progress is not None:
            progress(int(c1), n_t - 1)
        if c1 >= n_t - 1:
            break
        c0 = c1

    t0, t1 = float(times[0]), float(times[-1])
    pen = penumbra_x.arrays()
    umb = umbra_x.arrays()
    windows = {
        "umbra": ev.windows_from_crossings(*umb, start_umb, t0, t1),
    }
    p_rows, p_times, p_rising, p_start = ev.combine_states(
        *pen, start_pen, *umb, start_umb, n_s
    )
    windows["penumbra"] = ev.windows_from_crossings(p_rows, p_times, p_rising, p_start, t0, t1)
    if n_g:
        windows["contact"] = ev.windows_from_crossings(*contact_x.arrays(), start_con, t0, t1)
    return RawRun(
        fleet=fleet,
        stations=stations,
        times_s=times,
        windows=windows,
        beta_min_rad=beta_min,
        beta_max_rad=beta_max,
        sgp4_errors=errors,
    )


def _elevation_margin(r_ecef: np.ndarray, stations: Stations) -> np.ndarray:
    """``sin(elevation) - sin(min elevation)`` for every satellite x station, shape (S*G, K)."""
    n_s, n_k, _ = r_ecef.shape
    n_g = stations.size
    out = np.empty((n_s, n_g, n_k))
    for g in range(n_g):  # loop over stations (few), vectorised over satellites x times
        d = r_ecef - stations.ecef_km[g]
        rng = np.sqrt(np.einsum("skj,skj->sk", d, d))
        out[:, g, :] = d @ stations.up[g] / rng - stations.sin_min_elevation[g]
    return out.reshape(n_s * n_g, n_k)


def _timeseries_columns(recorded, keep, t, r, r_ecef, angles, beta) -> dict[str, np.ndarray]:
    """Rows for recorded satellites at kept samples, time-major order."""
    rr = r[recorded][:, keep]  # (R, k, 3)
    lat, lon, alt = ecef_to_geodetic(r_ecef[recorded][:, keep])
    frac = occulted_fraction(*(a[recorded][:, keep] for a in angles))
    n_r = recorded.size

    def flat(a):
        return np.ascontiguousarray(np.swapaxes(a, 0, 1)).reshape(-1)

    return {
        "t_s": np.repeat(t[keep], n_r),
        "satellite_index": np.tile(recorded, keep.size),
        "x_km": flat(rr[..., 0]),
        "y_km": flat(rr[..., 1]),
        "z_km": flat(rr[..., 2]),
        "lat_deg": flat(np.rad2deg(lat)),
        "lon_deg": flat(np.rad2deg(lon)),
        "alt_km": flat(alt),
        "shadow": flat(frac),
        "beta_deg": flat(np.rad2deg(beta[recorded][:, keep])),
    }
