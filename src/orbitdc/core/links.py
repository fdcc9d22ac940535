"""Links: line of sight, range, capacity and latency, and inter-satellite topologies.

Assumptions (the model's fidelity, stated):

- **Line of sight** between two satellites exists when the straight segment between them stays
  ``margin_km`` above a spherical Earth (WGS-84 equatorial radius): the margin keeps optical
  beams out of the atmosphere (refraction, absorption, clouds); 80 km is a common choice.
- **Capacity** of an optical link follows the link budget of a diffraction-limited beam: the
  received power, hence the data rate at a fixed energy per bit, falls as 1/range^2 beyond
  the range at which the terminal is rated, and is capped by the terminal's maximum rate (its
  modem and wavelength channels) times the transceivers a link uses. So a tight cluster reaches
  the cap (Tbps-class with DWDM) while a sparse shell runs at its rated range and rate.
- **Latency** is range over the speed of light in vacuum; processing and queueing are not
  modelled.
- **Terminals** bound the links: a satellite holds at most as many links as it has optical
  terminals (one terminal per link end; a link's ``transceivers_per_link`` are channels of
  that terminal). Which of the pairs in reach get one follows a fixed rule
  (:func:`match_terminals`): links already up keep their terminals while they stay in reach
  (terminals do not re-point when they need not), then the shortest pairs first (to the
  millimetre), ties by the lower satellite index, each taken while both ends have a terminal free. It is a greedy
  matching, deterministic, not the one with the most links or the most capacity.
- **Acquisition**: a link newly formed carries nothing for the terminal's pointing,
  acquisition and tracking time (:func:`ready_share`).
"""

from __future__ import annotations

import numpy as np

from orbitdc.core._jit import kernel
from orbitdc.core.constants import SPEED_OF_LIGHT_KM_PER_S, WGS84_RADIUS_KM

__all__ = [
    "antenna_windows",
    "capacity_bps",
    "grazing_height_km",
    "latency_s",
    "match_terminals",
    "nearest_pairs",
    "pairs_within",
    "plus_grid_pairs",
    "ready_share",
    "ring_allreduce_s",
    "ring_bottleneck_bps",
    "walker_offsets",
]


def grazing_height_km(r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """Lowest height above the spherical Earth of the segment from ``r1`` to ``r2`` (..., 3)."""
    d = r2 - r1
    dd = np.einsum("...j,...j->...", d, d)
    t = np.clip(-np.einsum("...j,...j->...", r1, d) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    closest = r1 + t[..., None] * d
    return np.sqrt(np.einsum("...j,...j->...", closest, closest)) - WGS84_RADIUS_KM


def capacity_bps(range_km, rated_bps, rated_range_km, max_bps, transceivers=1):
    """Data rate of an optical link at ``range_km``: ``rated_bps`` at ``rated_range_km``,
    scaling as 1/range^2, capped at ``max_bps``, times ``transceivers``."""
    r = np.maximum(np.asarray(range_km, float), 1e-6)
    return transceivers * np.minimum(max_bps, rated_bps * (rated_range_km / r) ** 2)


def latency_s(range_km):
    return np.asarray(range_km, float) / SPEED_OF_LIGHT_KM_PER_S


def plus_grid_pairs(planes: int, per_plane: int, cross_offset: int = 0,
                    seam_offset: int | None = None) -> np.ndarray:
    """The "+grid" of a Walker shell with satellites numbered plane by plane: each satellite
    links to its neighbours fore and aft in its plane and to one satellite in each adjacent
    plane (the one ``cross_offset`` slots along, chosen as the nearest). Across the seam, from
    the last plane to the first, the Walker phasing shifts the slots: ``seam_offset`` (default
    ``cross_offset``) is the offset there. Returns unique pairs (M, 2) with i < j. With
    ``planes >= 3`` and ``per_plane >= 3`` that is 2 links per satellite:
    ``2 * planes * per_plane`` in all."""
    idx = np.arange(planes * per_plane).reshape(planes, per_plane)
    pairs = []
    if per_plane >= 2:
        pairs.append(np.stack([idx, np.roll(idx, -1, axis=1)], axis=-1).reshape(-1, 2))
    if planes >= 2:
        nxt = np.roll(np.roll(idx, -1, axis=0), -cross_offset, axis=1)
        if seam_offset is not None:
            nxt[-1] = np.roll(idx[0], -seam_offset)
        pairs.append(np.stack([idx, nxt], axis=-1).reshape(-1, 2))
    if not pairs:
        return np.empty((0, 2), np.int64)
    p = np.concatenate(pairs)
    p = np.sort(p, axis=1)
    p = p[p[:, 0] != p[:, 1]]
    return np.unique(p, axis=0)


def walker_offsets(positions: np.ndarray, planes: int, per_plane: int) -> tuple[int, int]:
    """The ``cross_offset`` and ``seam_offset`` of :func:`plus_grid_pairs` from a shell's
    positions (planes x per_plane, 3) at one time, numbered plane by plane: the slots along
    the next plane to the nearest satellite, from the first plane to the second and from the
    last plane to the first."""
    if planes < 2:
        return 0, 0

    def nearest(src: int, plane: int) -> int:
        there = positions[plane * per_plane: (plane + 1) * per_plane]
        return int(np.argmin(np.linalg.norm(there - positions[src], axis=1)))

    return nearest(0, 1), nearest((planes - 1) * per_plane, 0)


def nearest_pairs(positions: np.ndarray, k: int, max_range_km: float) -> np.ndarray:
    """Each point's ``k`` nearest neighbours within ``max_range_km``, as unique pairs i < j."""
    from scipy.spatial import cKDTree

    n = positions.shape[0]
    if n < 2:
        return np.empty((0, 2), np.int64)
    dist, j = cKDTree(positions).query(positions, k=min(k + 1, n),
                                       distance_upper_bound=max_range_km)
    i = np.repeat(np.arange(n)[:, None], j.shape[1], axis=1)
    ok = np.isfinite(dist) & (j != i) & (j < n)
    lo, hi = np.minimum(i[ok], j[ok]), np.maximum(i[ok], j[ok])
    key = np.unique(lo.astype(np.int64) * n + hi)
    return np.stack([key // n, key % n], axis=1)


def pairs_within(positions: np.ndarray, max_range_km: float) -> np.ndarray:
    """Every pair of points closer than ``max_range_km``, as sorted pairs i < j."""
    from scipy.spatial import cKDTree

    if positions.shape[0] < 2:
        return np.empty((0, 2), np.int64)
    p = cKDTree(positions).query_pairs(max_range_km, output_type="ndarray").astype(np.int64)
    return p[np.lexsort((p[:, 1], p[:, 0]))] if p.size else np.empty((0, 2), np.int64)


def match_terminals(a: np.ndarray, b: np.ndarray, range_km: np.ndarray, terminals: np.ndarray,
                    up: np.ndarray | None = None) -> np.ndarray:
    """Which of the candidate links ``(a, b)`` (indices into ``terminals``, arrays (M,)) get a
    terminal at both ends, each satellite ``i`` holding at most ``terminals[i]`` links: first
    the links already ``up`` (bool (M,), None: none), then the rest, each group shortest
    first (ties: the lower ``a``, then ``b``), a link taken while both its ends have a
    terminal free. Returns a bool mask (M,)."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    if a.size == 0:
        return np.zeros(0, bool)
    rank = np.zeros(a.size, np.int64) if up is None else (~np.asarray(up, bool)).astype(np.int64)
    # Ranges compared to the millimetre: equal spacings stay ties whatever the rounding.
    order = np.lexsort((b, a, np.round(np.asarray(range_km, float) * 1e6), rank))
    return _greedy(a[order], b[order], np.asarray(terminals, np.int64).copy(), order)


@kernel
def _greedy(a, b, free, order):
    keep = np.zeros(a.size, np.bool_)
    for i in range(a.size):
        if free[a[i]] > 0 and free[b[i]] > 0:
            free[a[i]] -= 1
            free[b[i]] -= 1
            keep[order[i]] = True
    return keep


def ready_share(formed_s, t_s: float, step_s: float, acquisition_s) -> np.ndarray:
    """Share of the interval ``[t_s, t_s + step_s)`` a link formed at ``formed_s`` carries
    data: nothing until ``formed_s + acquisition_s`` (pointing, acquisition and tracking),
    everything after."""
    ready = np.asarray(formed_s, float) + acquisition_s
    if step_s <= 0:
        return (ready <= t_s).astype(float)
    return np.clip((t_s + step_s - ready) / step_s, 0.0, 1.0)


def ring_allreduce_s(gradient_bytes, participants, slowest_bps) -> np.ndarray:
    """Time of a ring all-reduce of ``gradient_bytes`` among ``participants`` over links of
    ``slowest_bps`` (the slowest sets the pace of every step of the ring): each participant
    sends and receives ``2 (N - 1) / N`` of the data (Patarasuk & Yuan, J. Parallel Distrib.
    Comput. 69, 2009), so ``2 (N - 1) / N x bytes x 8 / rate``; 0 for one participant,
    infinite over a link that carries nothing. Latency per hop is neglected (a gradient's
    gigabytes take seconds; a hop in a formation, microseconds)."""
    n = np.asarray(participants, float)
    g = np.asarray(gradient_bytes, float)
    bw = np.asarray(slowest_bps, float)
    share = np.where(n > 1, 2.0 * (n - 1.0) / np.maximum(n, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = share * g * 8.0 / bw
    return np.where(share > 0, np.where(bw > 0, t, np.inf), 0.0)


def ring_bottleneck_bps(a, b, capacity_bps_, n_nodes: int, gang_ptr, gang_nodes) -> np.ndarray:
    """The slowest link of the best ring all-reduce among each gang's satellites, (G,) b/s,
    over the links ``(a, b, capacity_bps_)`` (E,) up (both ways, each at its capacity in
    each direction: full-duplex terminals). Gang ``g`` holds ``gang_nodes[gang_ptr[g]:
    gang_ptr[g + 1]]`` (repeats allowed).

    A ring hop between two satellites not linked directly is routed, and counts at its
    path's bottleneck. The ring is ordered along a depth-first walk of the maximum spanning
    tree of the links (each tree link then carries one hop each way, so no two hops share a
    direction of a link), and each hop follows the tree: its slowest link is the slowest of
    the smallest subtree joining the gang's satellites, which is the largest rate ``c`` such
    that links of at least ``c`` connect them all (a Kruskal pass from the widest link down
    until the gang is one piece; the maximum spanning tree gives every pair its widest path,
    Hu, Oper. Res. 9, 1961). No ring can do better: some hop of any ring crosses every cut
    between the gang's satellites. inf for a gang on one satellite (nothing crosses a link);
    0 where the links do not join them."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    c = np.asarray(capacity_bps_, float)
    order = np.argsort(-c, kind="stable")
    return _ring_bottleneck(a[order], b[order], c[order], int(n_nodes),
                            np.asarray(gang_ptr, np.int64), np.asarray(gang_nodes, np.int64))


@kernel
def _ring_bottleneck(a, b, c, n_nodes, ptr, nodes):
    n_gangs = ptr.size - 1
    out = np.zeros(n_gangs)
    parent = np.empty(n_nodes, np.int64)
    count = np.zeros(n_nodes, np.int64)  # gang members under each root
    stamp = np.full(n_nodes, -1, np.int64)  # the gang a node's union-find entry is for
    member = np.full(n_nodes, -1, np.int64)  # the gang a node is a member of
    for g in range(n_gangs):
        k = 0
        for r in range(ptr[g], ptr[g + 1]):
            s = nodes[r]
            if member[s] != g:
                member[s] = g
                k += 1
        if k <= 1:
            out[g] = np.inf
            continue
        for e in range(a.size):
            x, y = a[e], b[e]
            for v in (x, y):  # fresh entries for this gang, made as they are reached
                if stamp[v] != g:
                    stamp[v] = g
                    parent[v] = v
                    count[v] = 1 if member[v] == g else 0
            while parent[x] != x:  # find, halving the path
                parent[x] = parent[parent[x]]
                x = parent[x]
            while parent[y] != y:
                parent[y] = parent[parent[y]]
                y = parent[y]
            if x == y:
                continue
            parent[y] = x
            count[x] += count[y]
            if count[x] == k:
                out[g] = c[e]
                break
    return out


def antenna_windows(station: np.ndarray, start_s: np.ndarray, end_s: np.ndarray,
                    antennas: np.ndarray, satellite: np.ndarray | None = None,
                    free_at: np.ndarray | None = None):
    """Contacts ``(station, start, end)`` (arrays (C,)) as a station with ``antennas[g]``
    antennas serves them, one satellite per antenna: at each station in order of start
    (ties: the lower ``satellite``), a contact takes the antenna that frees first, waiting
    for it if all are busy (it then begins when one frees); a contact with no time left is
    not served. ``free_at`` (stations, most antennas), if given, holds when each antenna
    frees from contacts served before (batches served in turn) and is updated. Returns
    ``(start, end)`` of each contact as served (start >= end: not served)."""
    station = np.asarray(station, np.int64)
    a = np.asarray(start_s, float)
    b = np.asarray(end_s, float)
    antennas = np.asarray(antennas, np.int64)
    sat = np.zeros(a.size, np.int64) if satellite is None else np.asarray(satellite, np.int64)
    if free_at is None:
        free_at = np.full((antennas.size, max(int(antennas.max(initial=1)), 1)), -np.inf)
    order = np.lexsort((sat, a, station))
    out = a.copy()
    out[order] = _serve_antennas(station[order], a[order], b[order], antennas, free_at)
    return out, b.copy()


@kernel
def _serve_antennas(station, a, b, antennas, free_at):
    out = a.copy()
    for i in range(a.size):
        g = station[i]
        k = 0  # the antenna that frees first
        for m in range(1, antennas[g]):
            if free_at[g, m] < free_at[g, k]:
                k = m
        begin = max(a[i], free_at[g, k])
        out[i] = begin
        if begin < b[i]:
            free_at[g, k] = b[i]
    return out
