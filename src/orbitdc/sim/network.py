"""The network at every routing step: inter-satellite links, ground and user links, routes.

Nodes are the satellites, then the ground stations, then the user regions. At each routing
step (``network.routing_step_s``) the engine hands over every satellite's ECEF position and
this module:

1. builds the inter-satellite links of each ``[[network.isl]]`` entry (``+grid``, ``range``
   or ``nearest``), keeping those within range and with line of sight ``atmosphere_margin_km``
   above the Earth; each gets a latency (range / c) and a capacity from its terminal
   (``orbitdc.core.links``);
2. links satellites to the ground stations that see them above their minimum elevation
   (capacity: the station's downlink) and to the user regions that see them above
   ``user_min_elevation_deg``;
3. routes, with ``scipy.sparse.csgraph``: the shortest-latency path from every user region to
   the nearest satellite that computes (one multi-source Dijkstra), doubled for the round trip
   user -> compute -> user; with inference workloads, the round trip from every region to
   every satellite (one Dijkstra per region, compiled: :func:`_shortest_from`), so that the
   orchestrator can place inference near its users: found when a scheduling step first needs
   that routing step's (:meth:`NetworkModel.sat_rtt_at`), from the graph kept for it, so the
   engine can find it while its workers fly; for each formation (``range``) fleet, the maximum flow from its
   members to the ground (capacities in Mb/s) and the bandwidth an all-reduce across it gets:
   the bottleneck of its maximum spanning tree, i.e. the largest rate at which a pipelined tree
   reduce-and-broadcast reaches every member (the summary's figure; each gang's own ring is
   judged by the orchestrator over the links in force, :meth:`NetworkModel.isl_links_at`).

Inter-satellite links end on optical terminals: each satellite holds at most its type's
``terminals`` links (links already up keep theirs, then the shortest pairs first:
:func:`orbitdc.core.links.match_terminals`), and a link that forms carries nothing for its
terminal's ``acquisition_s`` (its capacity over the routing step is the share of the step it
is acquired; the links of the first routing step are taken as up already).

Assumptions: a ground station serves as many satellites at once as it has ``antennas``, each at
its downlink rate (so they bound the flow through it); users' own links are not
capacity-limited; routes are recomputed at each routing step and held in between; queueing and
processing delays are not modelled.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra, maximum_flow, minimum_spanning_tree

from orbitdc.core import links
from orbitdc.core._jit import kernel
from orbitdc.core.frames import geodetic_to_ecef, up_vectors
from orbitdc.model.scenario import Scenario, WalkerFleet
from orbitdc.sim.fleet import Fleet, Stations

__all__ = ["NetworkModel", "network_active"]


def network_active(scenario: Scenario) -> bool:
    return bool(scenario.network.isl or scenario.user_region)


@dataclass
class _Isl:
    fleet: str
    members: np.ndarray  # global satellite indices
    topology: str
    max_range_km: float
    k: int
    rated_bps: float
    rated_range_km: float
    ceiling_bps: float
    transceivers: int
    terminals: int = 1_000_000  # per satellite
    acquisition_s: float = 0.0
    pairs: np.ndarray | None = None  # static pairs (+grid), in member indices
    # Links up at the last routing step recorded: sorted keys (a * N + b, global) and the time
    # each formed.
    up_keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    up_formed: np.ndarray = field(default_factory=lambda: np.empty(0))
    started: bool = False
    candidates: list[int] = field(default_factory=list)  # pairs in reach, before terminals
    acquiring: list[int] = field(default_factory=list)  # links not yet carrying all step
    most: int | None = None  # +grid: its pairs
    counts: list[int] = field(default_factory=list)
    capacity_mean: list[float] = field(default_factory=list)
    capacity_min: list[float] = field(default_factory=list)
    capacity_total: list[float] = field(default_factory=list)
    range_mean: list[float] = field(default_factory=list)
    allreduce: list[float] = field(default_factory=list)
    to_ground: list[float] = field(default_factory=list)


class NetworkModel:
    def __init__(self, scenario: Scenario, fleet: Fleet, stations: Stations, r0_ecef=None):
        self.scenario = scenario
        net = scenario.network
        self.margin_km = net.atmosphere_margin_km
        self.n_sat = fleet.size
        self.stations = stations
        self.n_gs = stations.size
        regions = scenario.user_region
        self.regions = [u.name for u in regions]
        lat = np.deg2rad([u.lat_deg for u in regions])
        lon = np.deg2rad([u.lon_deg for u in regions])
        self.user_ecef = geodetic_to_ecef(lat, lon, np.zeros(len(regions))).reshape(-1, 3)
        self.user_up = up_vectors(lat, lon).reshape(-1, 3)
        self.sin_user_min = np.sin(np.deg2rad(net.user_min_elevation_deg))
        self.downlink_bps = np.array([g.downlink_bps for g in scenario.ground_station])
        self.antennas = np.array([g.antennas for g in scenario.ground_station], np.int64)
        self.routing_step_s = scenario.routing_every * scenario.step_s
        types = scenario.fleet_types()
        computes = np.array(
            [types[i] is not None and types[i].spec.accelerators > 0 for i in fleet.fleet_index],
            bool,
        )
        self.compute = np.nonzero(computes)[0] if computes.any() else np.arange(self.n_sat)
        catalogue = scenario.catalogue
        self.isls: list[_Isl] = []
        for cfg in net.isl:
            fi = next(i for i, f in enumerate(scenario.fleet) if f.name == cfg.fleet)
            members = np.nonzero(fleet.fleet_index == fi)[0]
            term = catalogue.get("terminal", scenario.isl_terminal(cfg))
            # A link forms within the entry's range and the terminal's reach, whichever is less.
            isl = _Isl(cfg.fleet, members, cfg.topology, min(cfg.max_range_km, term.max_range_km),
                       cfg.k,
                       term.data_rate_bps, term.max_range_km, term.ceiling_bps,
                       cfg.transceivers_per_link, scenario.isl_terminals(cfg),
                       term.acquisition_s)
            if cfg.topology == "+grid":
                f = scenario.fleet[fi]
                assert isinstance(f, WalkerFleet)
                offset, seam = (links.walker_offsets(r0_ecef[members], f.planes, f.per_plane)
                                if r0_ecef is not None else (0, 0))
                isl.pairs = links.plus_grid_pairs(f.planes, f.per_plane, offset, seam)
                isl.most = len(isl.pairs)
            self.isls.append(isl)
        self.times: list[float] = []
        self.rtt_ms: list[np.ndarray] = []
        #: With inference workloads, the round trip from each region to every satellite at each
        #: routing step (regions, satellites), ms, float16 (inf: unreachable): where inference
        #: is served sets its latency (``orbitdc.ops``).
        self.keep_sat_rtt = bool(self.regions) and any(
            w.kind == "inference" for w in scenario.workload)
        # Per routing step (by its index) from the last kept on: its latency graph, and the
        # region-to-satellite round trips once found.
        self._graphs: dict[int, csr_matrix] = {}
        self._sat_rtt: dict[int, np.ndarray] = {}
        # Those being found in a background thread (the compiled search releases the GIL).
        self._finding: dict[int, Future] = {}
        self._pool: ThreadPoolExecutor | None = None
        # Laser links up per satellite, (N,) per routing step from ``_degree_first`` on.
        self._degrees: list[np.ndarray] = []
        # The laser links carrying data, (a, b, capacity_bps), per routing step, as _degrees.
        self._isl_edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._degree_first = 0

    # --- one routing step -------------------------------------------------------------------
    def step(self, t_s: float, r: np.ndarray) -> None:
        """Links and routes for satellite ECEF positions ``r`` (N, 3) at ``t_s``."""
        n, g, u = self.n_sat, self.n_gs, len(self.regions)
        rows, cols, lat_s, cap = self.links(r, record=True, t_s=t_s)
        total = n + g + u
        graph = self._graph(rows, cols, lat_s)
        if u:
            dist = dijkstra(graph, directed=True, indices=self.compute, min_only=True)
            self.rtt_ms.append(2.0 * dist[n + g + u:] * 1000.0)
            if self.keep_sat_rtt:
                self._graphs[len(self.times)] = graph
        for isl in self.isls:
            if isl.topology != "range":
                continue
            isl.allreduce.append(self._allreduce(isl, rows, cols, cap))
            isl.to_ground.append(self._to_ground(isl, rows, cols, cap, total))
        self.times.append(t_s)

    def no_views(self) -> None:
        """No view will ask for region-to-satellite round trips (a flight without a
        scheduler): keep no routing step's graph for them."""
        self.keep_sat_rtt = False
        self._graphs.clear()

    def forget_sat_rtt(self) -> None:
        """Drop the graphs, region-to-satellite round trips and link counts of all routing
        steps but the last (the one in force until the next): the engine keeps a chunk's
        worth, not the run's."""
        last = len(self.times) - 1
        self._wait_finding()
        for kept in (self._graphs, self._sat_rtt):
            for i in [i for i in kept if i < last]:
                del kept[i]
        drop = max(len(self._degrees) - 1, 0)
        del self._degrees[:drop]
        del self._isl_edges[:drop]
        self._degree_first += drop

    def sat_rtt_pending(self, t_s: float) -> int | None:
        """The routing step in force at ``t_s`` if its region-to-satellite round trips are
        wanted and not found yet (None otherwise)."""
        if not self.keep_sat_rtt or not self.times:
            return None
        i = self._in_force(t_s)
        return i if i in self._graphs and i not in self._sat_rtt else None

    def find_sat_rtt(self, i: int) -> None:
        """Find routing step ``i``'s round trips from each region to every satellite."""
        n, g, u = self.n_sat, self.n_gs, len(self.regions)
        graph = self._graphs[i]  # dropped by the caller once found (this may run in a thread)
        dist = _shortest_from(graph.indptr, graph.indices, graph.data,
                              np.arange(n + g, n + g + u), n)
        self._sat_rtt[i] = (2.0 * dist * 1000.0).astype(np.float16)

    def sat_rtt_at(self, t_s: float) -> np.ndarray | None:
        """(regions, satellites) round trips, ms, from each region to every satellite at the
        routing step in force at ``t_s`` (found now if not yet); None without inference."""
        if not self.keep_sat_rtt or not self.times:
            return None
        i = self._in_force(t_s)
        if i in self._finding:
            self._finding.pop(i).result()
        elif self.sat_rtt_pending(t_s) is not None:
            self.find_sat_rtt(i)
        if i in self._sat_rtt:
            self._graphs.pop(i, None)  # not needed once they are found
            # Views only go forward: an earlier routing step's round trips are not asked for
            # again, so what is held is the step in force and those found ahead of it, not a
            # chunk's worth. (list(): a snapshot, the background thread may add one meanwhile.)
            for j in [j for j in list(self._sat_rtt) if j < i]:
                del self._sat_rtt[j]
        return self._sat_rtt.get(i)

    def prefetch_sat_rtt(self, times_s) -> None:
        """Start finding, in a background thread, the round trips of the routing steps in
        force at ``times_s`` that are not found yet (what the next views will ask for: no
        view comes before them, so the graphs of the steps before them are dropped): the
        engine calls it while its workers fly and its scheduler decides."""
        if not self.keep_sat_rtt or not self.times:
            return
        wanted = {self._in_force(float(t_s)) for t_s in times_s}
        # Routing steps before these that no view is in (views only go forward): not needed.
        # (Only this thread changes ``_graphs``: the background one reads it.)
        for i in [i for i in list(self._graphs) if i < max(wanted) and i not in wanted
                  and i not in self._finding]:
            del self._graphs[i]
        for i in sorted(wanted):
            if i not in self._graphs or i in self._sat_rtt or i in self._finding:
                continue
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="routes")
            self._finding[i] = self._pool.submit(self.find_sat_rtt, i)

    def _wait_finding(self) -> None:
        for i in list(self._finding):
            self._finding.pop(i).result()

    def close(self) -> None:
        """Stop the background thread (after what it is finding)."""
        self._wait_finding()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _in_force(self, t_s: float) -> int:
        """The routing step in force at ``t_s`` (the latest at or before it)."""
        return max(int(np.searchsorted(self.times, t_s, side="right")) - 1, 0)

    def links_at(self, t_s: float) -> np.ndarray:
        """(N,) laser links up per satellite at the routing step in force at ``t_s`` (one of
        the current chunk's)."""
        i = min(max(self._in_force(t_s) - self._degree_first, 0), len(self._degrees) - 1)
        return self._degrees[i]

    def isl_links_at(self, t_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The laser links carrying data at the routing step in force at ``t_s`` (one of the
        current chunk's): ``(a, b, capacity_bps)`` (E,), satellite indices, each capacity the
        rate each way over the routing step (a link acquiring for part of it at its share).
        What a gang's ring all-reduce runs over
        (:func:`orbitdc.core.links.ring_bottleneck_bps`)."""
        i = min(max(self._in_force(t_s) - self._degree_first, 0), len(self._isl_edges) - 1)
        return self._isl_edges[i]

    def bandwidth_at(self, t_s: float) -> dict[str, float]:
        """Per linked fleet, the bandwidth its links give a gang at the routing step in force
        at ``t_s``: the all-reduce bottleneck of its maximum spanning tree (``range``
        formations), else its weakest link."""
        i = self._in_force(t_s)
        out = {}
        for isl in self.isls:
            series = isl.allreduce or isl.capacity_min
            if series:
                out[isl.fleet] = float(series[min(i, len(series) - 1)])
        return out

    def latency_graph(self, r: np.ndarray) -> csr_matrix:
        """The directed latency graph (s) at satellite ECEF positions ``r``: see
        :meth:`_graph` for its nodes."""
        rows, cols, lat_s, _ = self.links(r, record=False)
        return self._graph(rows, cols, lat_s)

    def _graph(self, rows, cols, lat_s) -> csr_matrix:
        """Latency graph over satellites (0..n-1), stations (n..n+g-1) and each user region
        twice: where its traffic leaves (n+g+i: edges to the satellites it sees) and where it
        arrives (n+g+u+i: edges from them). Satellite and station links go both ways. A path
        can thus start or end at a region but never pass through one: users do not relay."""
        n, g, u = self.n_sat, self.n_gs, len(self.regions)
        user = cols >= n + g
        both = ~user
        a = np.concatenate([rows[both], cols[both], cols[user], rows[user]])
        b = np.concatenate([cols[both], rows[both], rows[user], cols[user] + u])
        w = np.concatenate([lat_s[both], lat_s[both], lat_s[user], lat_s[user]])
        total = n + g + 2 * u
        # A zero-latency edge must still count as an edge.
        return coo_matrix((np.maximum(w, 1e-12), (a, b)), shape=(total, total)).tocsr()

    def links(self, r: np.ndarray, record: bool = False, t_s: float | None = None):
        """Every link at positions ``r``: ``(rows, cols, latency_s, capacity_bps)``. Recorded
        (a routing step at ``t_s``): the links up are remembered, for the terminals they keep
        and the acquisition of those that form; else they are judged against the last
        recorded step's."""
        n, g, u = self.n_sat, self.n_gs, len(self.regions)
        ok = ~np.isnan(r).any(axis=1)
        rows, cols, lat_s, cap = [], [], [], []
        for isl in self.isls:
            pos = r[isl.members]
            if isl.pairs is not None:
                pairs = isl.pairs
            elif isl.topology == "range":
                pairs = links.pairs_within(np.nan_to_num(pos, nan=1e12), isl.max_range_km)
            else:
                pairs = links.nearest_pairs(np.nan_to_num(pos, nan=1e12), isl.k, isl.max_range_km)
            a, b = pairs[:, 0], pairs[:, 1]
            rng = np.linalg.norm(pos[b] - pos[a], axis=1)
            keep = (
                (rng <= isl.max_range_km)
                & (links.grazing_height_km(pos[a], pos[b]) >= self.margin_km)
                & ok[isl.members[a]] & ok[isl.members[b]]
            )
            a, b, rng = isl.members[a[keep]], isl.members[b[keep]], rng[keep]
            n_candidates = int(a.size)
            key = a.astype(np.int64) * n + b
            at = np.searchsorted(isl.up_keys, key)
            was = np.zeros(key.size, bool)
            if isl.up_keys.size:
                was = isl.up_keys[np.minimum(at, isl.up_keys.size - 1)] == key
            terms = np.full(n, isl.terminals, np.int64)
            held = links.match_terminals(a, b, rng, terms, was)
            a, b, rng, key, at, was = a[held], b[held], rng[held], key[held], at[held], was[held]
            first = not isl.started
            when = t_s if t_s is not None else (self.times[-1] if self.times else 0.0)
            before = (isl.up_formed[np.minimum(at, isl.up_formed.size - 1)]
                      if isl.up_formed.size else np.zeros(key.size))
            # Kept links formed when they did; new ones now (at the first step: long ago).
            formed = np.where(was, before, -np.inf if first else when)
            share = links.ready_share(formed, when, self.routing_step_s, isl.acquisition_s)
            c = links.capacity_bps(rng, isl.rated_bps, isl.rated_range_km, isl.ceiling_bps,
                                   isl.transceivers) * share
            carrying = share > 0  # a link acquiring all step carries nothing: no route
            if record:
                order = np.argsort(key)
                isl.up_keys, isl.up_formed = key[order], formed[order]
                isl.started = True
                isl.candidates.append(n_candidates)
                isl.acquiring.append(int(np.sum(share < 1.0)))
            a, b, rng, c = a[carrying], b[carrying], rng[carrying], c[carrying]
            if record:
                isl.counts.append(int(a.size))
                isl.capacity_mean.append(float(c.mean()) if c.size else 0.0)
                isl.capacity_min.append(float(c.min()) if c.size else 0.0)
                isl.capacity_total.append(float(c.sum()))
                isl.range_mean.append(float(rng.mean()) if rng.size else 0.0)
            rows.append(a)
            cols.append(b)
            lat_s.append(links.latency_s(rng))
            cap.append(c)
        if record:  # laser links up per satellite at this routing step, and the links
            both = np.concatenate(rows + cols) if rows else np.empty(0, np.int64)
            self._degrees.append(np.bincount(both.astype(np.int64), minlength=n))
            e = np.empty(0, np.int64)
            self._isl_edges.append(
                (np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64),
                 np.concatenate(cap).astype(float)) if rows else (e, e, np.empty(0)))
        # Ground stations and users see satellites above their elevation masks.
        gs_sat, gs_idx, gs_rng = self._visible(r, ok, self.stations.ecef_km, self.stations.up,
                                               self.stations.sin_min_elevation)
        us_sat, us_idx, us_rng = self._visible(r, ok, self.user_ecef, self.user_up,
                                               np.full(u, self.sin_user_min))
        rows += [gs_sat, us_sat]
        cols += [n + gs_idx, n + g + us_idx]
        lat_s += [links.latency_s(gs_rng), links.latency_s(us_rng)]
        cap += [self.downlink_bps[gs_idx], np.full(us_sat.size, np.inf)]
        rows, cols = np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
        return rows, cols, np.concatenate(lat_s), np.concatenate(cap)

    @staticmethod
    def _visible(r, ok, site_ecef, site_up, sin_min):
        """(satellite, site, range) for every satellite above each site's elevation mask."""
        if site_ecef.shape[0] == 0:
            e = np.empty(0, np.int64)
            return e, e, np.empty(0)
        d = r[:, None, :] - site_ecef[None, :, :]  # (N, G, 3)
        rng = np.sqrt(np.einsum("ngj,ngj->ng", d, d))
        sin_el = np.einsum("ngj,gj->ng", d, site_up) / rng
        sat, site = np.nonzero((sin_el >= sin_min[None, :]) & ok[:, None])
        return sat, site, rng[sat, site]

    def _allreduce(self, isl: _Isl, rows, cols, cap) -> float:
        """Bottleneck of the members' maximum spanning tree (0 if they are not connected)."""
        m = isl.members.size
        if m < 2:
            return 0.0
        local = np.full(self.n_sat, -1)
        local[isl.members] = np.arange(m)
        both = (rows < self.n_sat) & (cols < self.n_sat)
        a, b = local[rows[both]], local[cols[both]]
        keep = (a >= 0) & (b >= 0)
        if not keep.any():
            return 0.0
        # Maximum spanning tree = minimum spanning tree of (cmax + 1 - c), all weights > 0.
        c = cap[both][keep]
        w = c.max() + 1.0 - c
        tree = minimum_spanning_tree(csr_matrix((w, (a[keep], b[keep])), shape=(m, m)))
        if tree.nnz < m - 1:
            return 0.0
        return float(np.min(c.max() + 1.0 - tree.data))

    def _to_ground(self, isl: _Isl, rows, cols, cap, total) -> float:
        """Maximum flow (b/s) from the members to the ground, at 1 Mb/s resolution."""
        if self.n_gs == 0:
            return 0.0
        n, g = self.n_sat, self.n_gs
        src, sink = total, total + 1
        mbps = np.minimum(np.nan_to_num(cap / 1e6, posinf=2e9), 2e9).astype(np.int64)
        sat_edges = cols < n + g  # links to users do not carry this traffic
        a, b, c = rows[sat_edges], cols[sat_edges], mbps[sat_edges]
        big = np.int64(2_000_000_000)
        e_from = np.concatenate([a, b, np.full(isl.members.size, src), n + np.arange(g)])
        e_to = np.concatenate([b, a, isl.members, np.full(g, sink)])
        e_cap = np.concatenate([c, c, np.full(isl.members.size, big),
                                np.minimum(self.antennas * self.downlink_bps / 1e6,
                                           2e9).astype(np.int64)])
        graph = csr_matrix((e_cap.astype(np.int32), (e_from, e_to)), shape=(total + 2, total + 2))
        graph.sum_duplicates()
        return float(maximum_flow(graph, src, sink).flow_value) * 1e6

    # --- summary ------------------------------------------------------------------------------
    def summary(self, routing_step_s: float) -> dict:
        def r(x, d=6):
            return None if x is None or not np.isfinite(x) else round(float(x), d)

        out: dict = {"routing_step_s": routing_step_s, "routing_steps": len(self.times)}
        isl_out = {}
        for isl in self.isls:
            counts = np.asarray(isl.counts)
            entry = {
                "topology": isl.topology,
                "satellites": int(isl.members.size),
                "links_mean": r(counts.mean()) if counts.size else 0,
                "links_min": int(counts.min()) if counts.size else 0,
                "links_max": int(counts.max()) if counts.size else 0,
                "capacity_mean_bps": r(np.mean(isl.capacity_mean)) if counts.size else 0,
                "capacity_min_bps": r(np.min(isl.capacity_min)) if counts.size else 0,
                "capacity_total_mean_bps": r(np.mean(isl.capacity_total)) if counts.size else 0,
                "range_mean_km": r(np.mean(isl.range_mean)) if counts.size else 0,
                "terminals_per_satellite": int(min(isl.terminals, isl.members.size - 1)),
                "acquisition_s": isl.acquisition_s,
                # Pairs in reach and line of sight, before the terminals bound them.
                "in_reach_mean": r(np.mean(isl.candidates)) if isl.candidates else 0,
                "acquiring_mean": r(np.mean(isl.acquiring)) if isl.acquiring else 0,
            }
            # The most links the terminals allow: each satellite ends at most T of them.
            most = isl.members.size * min(isl.terminals, max(isl.members.size - 1, 0)) // 2
            entry["links_most"] = min(most, isl.most) if isl.most is not None else most
            if isl.topology == "range":
                ar = np.asarray(isl.allreduce)
                tg = np.asarray(isl.to_ground)
                entry["allreduce_bps_min"] = r(ar.min()) if ar.size else 0
                entry["allreduce_bps_mean"] = r(ar.mean()) if ar.size else 0
                entry["connected_fraction"] = r(np.mean(ar > 0)) if ar.size else 0
                entry["to_ground_bps_mean"] = r(tg.mean()) if tg.size else 0
                entry["to_ground_bps_max"] = r(tg.max()) if tg.size else 0
                entry["to_ground_fraction"] = r(np.mean(tg > 0)) if tg.size else 0
            isl_out[isl.fleet] = entry
        out["isl"] = isl_out
        if self.regions and self.rtt_ms:
            rtt = np.vstack(self.rtt_ms)  # (steps, regions)
            regions = {}
            for j, name in enumerate(self.regions):
                col = rtt[:, j]
                fin = col[np.isfinite(col)]
                regions[name] = {
                    "reachable_fraction": r(fin.size / col.size),
                    "rtt_ms_p50": r(np.percentile(fin, 50), 3) if fin.size else None,
                    "rtt_ms_p95": r(np.percentile(fin, 95), 3) if fin.size else None,
                    "rtt_ms_p99": r(np.percentile(fin, 99), 3) if fin.size else None,
                }
            out["user_rtt"] = regions
        return out


@kernel
def _shortest_from(indptr, indices, weights, sources, n_keep):
    """Dijkstra from each of ``sources`` over the CSR graph ``(indptr, indices, weights)``
    (weights > 0): the shortest distance to each of the first ``n_keep`` nodes, (sources,
    n_keep) (inf: unreachable). What ``scipy.sparse.csgraph.dijkstra`` gives, bit for bit: a
    label-setting search finds, for every node, the least over paths of their weights summed
    from the source in path order, whatever its queue (here a 4-ary heap that keeps stale
    entries, about twice as fast as scipy's Fibonacci heap on a shell's graph)."""
    n = indptr.size - 1
    out = np.full((sources.size, n_keep), np.inf)
    dist = np.empty(n)
    done = np.empty(n, np.bool_)
    key = np.empty(indices.size + 1)
    node = np.empty(indices.size + 1, np.int64)
    for i in range(sources.size):
        dist[:] = np.inf
        done[:] = False
        dist[sources[i]] = 0.0
        key[0] = 0.0
        node[0] = sources[i]
        size = 1
        while size > 0:
            d = key[0]
            u = node[0]
            size -= 1
            if size > 0:  # the last entry sifts down from the root
                k, v, p = key[size], node[size], 0
                while True:
                    c = 4 * p + 1
                    if c >= size:
                        break
                    m, mk = c, key[c]
                    for q in range(c + 1, min(c + 4, size)):
                        if key[q] < mk:
                            m, mk = q, key[q]
                    if mk < k:
                        key[p], node[p], p = mk, node[m], m
                    else:
                        break
                key[p], node[p] = k, v
            if done[u]:
                continue
            done[u] = True
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weights[e]
                if nd < dist[v]:
                    dist[v] = nd
                    p = size
                    size += 1
                    while p > 0:  # sift up
                        q = (p - 1) >> 2
                        if key[q] > nd:
                            key[p], node[p], p = key[q], node[q], q
                        else:
                            break
                    key[p], node[p] = nd, v
        out[i, :] = dist[:n_keep]
    return out
