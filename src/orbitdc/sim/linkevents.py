"""Link up/down windows between satellite pairs, for the ``[[network.isl]]`` entries with
``record_links = true``, refined like every other event to ~1 ms.

A link between satellites a and b is up while ``g(t) = min(max_range - |r_a - r_b|,
grazing_height(r_a, r_b) - margin) > 0`` (both are frame-invariant, so TEME positions do).
The pairs are the topology's: the fixed ``+grid`` pairs, or for ``range`` every pair that
comes within range on the one-minute grid (all pairs for fleets up to 200 satellites).
``nearest`` links depend on the whole fleet's geometry, not on a pair alone, and are not
recorded. The fleet is propagated again, on its own, in chunks: the engine's blocks never hold
both ends of every pair.
"""

from __future__ import annotations

import numpy as np
from sgp4.api import SatrecArray

from orbitdc.core import events as ev
from orbitdc.core import links
from orbitdc.core.orbits import propagate
from orbitdc.core.time import epoch_jd, jd_pair
from orbitdc.model.scenario import Scenario, WalkerFleet
from orbitdc.sim.fleet import Fleet

__all__ = ["link_windows"]

#: Satellite-steps per chunk of the link pass.
_CHUNK_SAT_STEPS = 1_000_000
_ALL_PAIRS_MAX = 200


def _pairs(scenario, cfg, members, r_coarse) -> np.ndarray:
    if cfg.topology == "+grid":
        f = next(f for f in scenario.fleet if f.name == cfg.fleet)
        assert isinstance(f, WalkerFleet)
        offset, seam = links.walker_offsets(r_coarse[:, 0], f.planes, f.per_plane)
        return links.plus_grid_pairs(f.planes, f.per_plane, offset, seam)
    m = members.size
    if m <= _ALL_PAIRS_MAX:
        i, j = np.triu_indices(m, 1)
        return np.stack([i, j], axis=1)
    found = [links.nearest_pairs(np.nan_to_num(r_coarse[:, k], nan=1e12), m, cfg.max_range_km)
             for k in range(r_coarse.shape[1])]
    return np.unique(np.concatenate(found), axis=0)


def link_windows(scenario: Scenario, fleet: Fleet, times: np.ndarray, tol_s: float):
    """``(pairs, windows)``: global satellite pairs (P, 2) and windows
    ``(pair row, start, end, clipped_start, clipped_end)`` of every recorded link."""
    epoch = epoch_jd(scenario.start)
    margin = scenario.network.atmosphere_margin_km
    all_pairs, all_windows = [], []
    offset = 0
    for cfg in scenario.network.isl:
        if not cfg.record_links or cfg.topology == "nearest":
            continue
        fi = next(i for i, f in enumerate(scenario.fleet) if f.name == cfg.fleet)
        members = np.nonzero(fleet.fleet_index == fi)[0]
        sats = SatrecArray([fleet.satrec_list[j] for j in members])
        coarse_t = np.append(times[:: max(1, int(60.0 // scenario.step_s))], times[-1])
        _, r_coarse, _ = propagate(sats, *jd_pair(epoch, coarse_t))
        pairs = _pairs(scenario, cfg, members, r_coarse)
        if pairs.size == 0:
            continue
        a, b = pairs[:, 0], pairs[:, 1]
        max_range = min(cfg.max_range_km,
                        scenario.catalogue.get("terminal", scenario.isl_terminal(cfg)).max_range_km)

        chunk = max(2, _CHUNK_SAT_STEPS // members.size)
        rows, t_x, rising = [], [], []
        start_state = None
        c0 = 0
        while True:
            c1 = min(c0 + chunk, times.size - 1)
            t = times[c0: c1 + 1]
            _, r, v = propagate(sats, *jd_pair(epoch, t))

            def margin_of(ra, rb):
                rng = np.linalg.norm(rb - ra, axis=-1)
                return np.minimum(max_range - rng, links.grazing_height_km(ra, rb) - margin)

            g = margin_of(r[a], r[b])  # (P, K)
            speed = np.sqrt(np.nanmax(np.einsum("skj,skj->sk", v, v)))

            def evaluate(rows_q, tq, t=t, r=r, v=v):
                ra = ev.hermite(t, r, v, a[rows_q], tq)
                rb = ev.hermite(t, r, v, b[rows_q], tq)
                return margin_of(ra, rb)

            found = ev.find_crossings(t, np.nan_to_num(g, nan=-1e9), evaluate, 2.0 * speed, tol_s)
            rows.append(found[0])
            t_x.append(found[1])
            rising.append(found[2])
            if c0 == 0:
                start_state = g[:, 0] > 0
            if c1 >= times.size - 1:
                break
            c0 = c1
        rows_c, t_c, rising_c = (np.concatenate(x) for x in (rows, t_x, rising))
        order = np.lexsort((t_c, rows_c))
        w = ev.windows_from_crossings(
            rows_c[order], t_c[order], rising_c[order], start_state,
            float(times[0]), float(times[-1]),
        )
        all_windows.append((w[0] + offset,) + tuple(w[1:]))
        all_pairs.append(np.stack([members[a], members[b]], axis=1))
        offset += pairs.shape[0]
    if not all_pairs:
        return None
    pairs = np.concatenate(all_pairs)
    windows = tuple(np.concatenate([w[i] for w in all_windows]) for i in range(5))
    return pairs, windows
