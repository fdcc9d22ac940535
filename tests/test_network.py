"""The network: +grid link counts against the closed form, line-of-sight geometry, capacity
from the link budget, routes never faster than light along the great circle and sane against
published Starlink figures, Tbps-class links inside the Suncatcher-like cluster, and bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app
from orbitdc.core import links
from orbitdc.core.constants import SPEED_OF_LIGHT_KM_PER_S, WGS84_RADIUS_KM
from orbitdc.core.frames import geodetic_to_ecef, teme_to_ecef
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
from orbitdc.sim.fleet import build_fleet, build_stations
from orbitdc.sim.network import NetworkModel

START = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
NYC = (40.7128, -74.0060)
LONDON = (51.5072, -0.1276)


def _scenario(**top):
    data = {
        "name": "net", "start": START, "duration_h": 1.0, "step_s": 20.0,
        "fleet": [{"name": "shell", "kind": "walker", "altitude_km": 550.0,
                   "inclination_deg": 53.0, "planes": 72, "per_plane": 22, "phasing": 1}],
        "network": {"routing_step_s": 60.0,
                    "isl": [{"fleet": "shell", "topology": "+grid"}]},
        "user_region": [{"name": "New York", "lat_deg": NYC[0], "lon_deg": NYC[1]},
                        {"name": "London", "lat_deg": LONDON[0], "lon_deg": LONDON[1]}],
    }
    data.update(top)
    return orbitdc.parse_scenario(data)


@pytest.mark.parametrize(("planes", "per_plane"), [(72, 22), (6, 11), (3, 3), (10, 4)])
def test_plus_grid_link_count_matches_the_closed_form(planes, per_plane):
    """Every satellite has 4 links (2 in plane, 2 across), each shared by two: 2 P S."""
    pairs = links.plus_grid_pairs(planes, per_plane, cross_offset=1)
    assert len(pairs) == 2 * planes * per_plane
    degree = np.bincount(pairs.ravel(), minlength=planes * per_plane)
    assert np.all(degree == 4)


@pytest.mark.parametrize("phasing", [1, 11, 35])
def test_plus_grid_cross_links_join_nearest_neighbours_across_the_seam(phasing):
    """Walker phasing shifts the slots between the last plane and the first: the seam's
    links must join nearest neighbours too, as long as the other cross-plane links."""
    sc = _scenario(fleet=[{"name": "shell", "kind": "walker", "altitude_km": 550.0,
                           "inclination_deg": 53.0, "planes": 72, "per_plane": 22,
                           "phasing": phasing}])
    fleet = build_fleet(sc)
    jd, fr = jd_pair(epoch_jd(sc.start), np.array([0.0]))
    _, r, _ = fleet.satrecs.sgp4(jd, fr)
    pos = r[:, 0]
    offset, seam = links.walker_offsets(pos, 72, 22)
    pairs = links.plus_grid_pairs(72, 22, offset, seam)
    plane = pairs // 22
    cross = plane[:, 0] != plane[:, 1]
    length = np.linalg.norm(pos[pairs[:, 0]] - pos[pairs[:, 1]], axis=1)
    seam_links = cross & (np.abs(plane[:, 0] - plane[:, 1]) == 71)
    assert seam_links.sum() == 22
    assert length[seam_links].max() < 1.05 * length[cross & ~seam_links].max()
    for a, b in pairs[seam_links]:
        last, first = (a, b) if a // 22 == 71 else (b, a)
        others = np.linalg.norm(pos[:22] - pos[last], axis=1)
        assert np.linalg.norm(pos[first] - pos[last]) <= others.min() + 1.0


def test_plus_grid_links_all_hold_in_a_starlink_shell():
    res = orbitdc.simulate(_scenario())
    shell = res.summary["network"]["isl"]["shell"]
    # Four terminals each (the default), four +grid links each: 1,584 x 4 / 2.
    assert shell["links_most"] == 2 * 72 * 22
    # Neighbours 2,000 km apart at most in a 550 km shell: always in range and in sight.
    assert shell["links_min"] == shell["links_max"] == 2 * 72 * 22


@pytest.mark.parametrize("altitude_km", [400.0, 550.0, 1200.0])
def test_grazing_height_matches_geometry(altitude_km):
    """Two satellites at altitude h separated by central angle 2a: the segment's lowest point
    is at (R + h) cos a - R, at the midpoint."""
    r = WGS84_RADIUS_KM + altitude_km
    for half in np.deg2rad([1.0, 5.0, 10.0, 20.0]):
        p1 = r * np.array([np.cos(half), np.sin(half), 0.0])
        p2 = r * np.array([np.cos(half), -np.sin(half), 0.0])
        assert links.grazing_height_km(p1, p2) == pytest.approx(r * np.cos(half) - WGS84_RADIUS_KM,
                                                                abs=1e-6)
    # The segment's closest point is an end when the other satellite is higher above it.
    assert links.grazing_height_km(np.array([r, 0, 0]), np.array([2 * r, 0, 0])) == \
        pytest.approx(altitude_km)


def test_capacity_follows_the_link_budget_and_its_cap():
    c = links.capacity_bps(np.array([100.0, 5400.0, 10800.0]), 100e9, 5400.0, 200e9, 2)
    np.testing.assert_allclose(c, [2 * 200e9, 2 * 100e9, 2 * 25e9])


def _graph_at(scenario, t_s):
    fleet = build_fleet(scenario)
    stations = build_stations(scenario)
    jd, fr = jd_pair(epoch_jd(scenario.start), np.array([0.0, t_s]))
    _, r, _ = fleet.satrecs.sgp4(jd, fr)
    ecef = teme_to_ecef(r, gmst_rad(jd, fr))
    model = NetworkModel(scenario, fleet, stations, ecef[:, 0])
    return model, model.latency_graph(ecef[:, 1])


def test_new_york_london_route_is_physical_and_beats_fibre():
    """Via the +grid shell, New York to London: never faster than light along the great circle
    at the ground (18.6 ms one way), and faster than light in fibre along it (x 1.47: 54.6 ms
    round trip), as Handley (HotNets 2018) finds for Starlink routes beyond ~3,000 km; today's
    Internet takes ~76 ms."""
    sc = _scenario()
    ny = geodetic_to_ecef(np.deg2rad(NYC[0]), np.deg2rad(NYC[1]), 0.0)
    ld = geodetic_to_ecef(np.deg2rad(LONDON[0]), np.deg2rad(LONDON[1]), 0.0)
    angle = np.arccos(np.dot(ny, ld) / np.linalg.norm(ny) / np.linalg.norm(ld))
    great_circle_km = angle * WGS84_RADIUS_KM
    rtts = []
    for t in (0.0, 600.0, 1200.0, 1800.0):
        model, graph = _graph_at(sc, t)
        n, u = model.n_sat + model.n_gs, len(model.regions)
        # From New York's outgoing node to London's arriving node.
        dist = dijkstra(graph, directed=True, indices=[n])[0]
        rtts.append(2 * dist[n + u + 1] * 1000.0)
    rtts = np.array(rtts)
    assert np.all(rtts >= 2 * great_circle_km / SPEED_OF_LIGHT_KM_PER_S * 1000.0)
    assert np.all(rtts < 2 * great_circle_km * 1.47 / SPEED_OF_LIGHT_KM_PER_S * 1000.0)


def test_every_user_route_is_at_least_light_time_to_the_nearest_satellite():
    res = orbitdc.simulate(_scenario())
    for region in res.summary["network"]["user_rtt"].values():
        # Up to a 550 km satellite and back: at least 3.67 ms.
        assert region["rtt_ms_p50"] >= 2 * 550.0 / SPEED_OF_LIGHT_KM_PER_S * 1000.0
        assert region["reachable_fraction"] == 1.0


def test_suncatcher_cluster_reaches_tbps_class_links_and_allreduce():
    """Neighbours 100-200 m apart (the paper) on DWDM terminals: links at the 9.6 Tbps
    aperture cap, but each satellite has 4 terminals (the preset's square lattice), so at most
    81 x 4 / 2 = 162 links of the ~300 pairs in reach; a link formed during the run carries
    nothing for its 30 s acquisition, half of a 60 s routing step: 4.8 Tbps over that step.
    Whenever the formation is connected its maximum spanning tree can avoid the few links
    acquiring (~1.4 a step) unless one is a bridge, so the all-reduce runs at the cap then:
    its mean is the connected fraction x 9.6 Tbps, to 2 % (a minimum spanning tree, or the
    weakest link, would take 4.8 Tbps at most steps). The +grid shell's links are all
    shorter than its in-plane spacing, 2 (R + h) sin(pi / 22) = 1,971 km, well inside the
    3,818 km at which 100 Gbps at 5,400 km (1/r^2) reaches the terminal's 200 Gbps: every
    link at 200 Gbps."""
    sc = orbitdc.load_scenario(orbitdc.preset_path("suncatcher"))
    res = orbitdc.simulate(sc.model_copy(update={"duration_h": 2.0}))
    cluster = res.summary["network"]["isl"]["suncatcher"]
    assert cluster["range_mean_km"] < 1.0
    assert cluster["links_most"] == 162
    assert cluster["links_max"] <= 162 < cluster["in_reach_mean"]
    assert cluster["capacity_min_bps"] == pytest.approx(9.6e12 * (60.0 - 30.0) / 60.0)
    assert cluster["capacity_mean_bps"] > 9.0e12
    assert cluster["allreduce_bps_mean"] == pytest.approx(
        cluster["connected_fraction"] * 9.6e12, rel=0.02)
    assert cluster["connected_fraction"] > 0.9
    shell = orbitdc.simulate(_scenario()).summary["network"]["isl"]["shell"]
    assert shell["range_mean_km"] < 2.0 * 6928.137 * np.sin(np.pi / 22) < 5400.0 / np.sqrt(2)
    assert shell["capacity_min_bps"] == pytest.approx(200e9, rel=1e-12)


def _write(tmp_path, text):
    path = tmp_path / "n.toml"
    path.write_text(text)
    return path


BASE_TOML = """
name = "n"
start = 2026-03-20T00:00:00Z
duration_h = 1.0
step_s = 20.0
[[fleet]]
name = "shell"
kind = "walker"
altitude_km = 550.0
inclination_deg = 53.0
planes = 6
per_plane = 6
[[fleet]]
name = "pair"
kind = "cluster"
altitude_km = 650.0
ltan_h = 18.0
count = 4
radius_km = 2.0
"""


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[network]\nrouting_step_s = 10.0\n", "network.routing_step_s"),
        ("[network]\nrouting_step_s = 50.0\n", "network.routing_step_s"),
        ('[[network.isl]]\nfleet = "ring"\ntopology = "+grid"\n', "network.isl.0.fleet"),
        ('[[network.isl]]\nfleet = "shell"\ntopology = "+grid"\nterminal = "tin-can"\n',
         "network.isl.0.terminal"),
        ('[[network.isl]]\nfleet = "pair"\ntopology = "+grid"\n', "network.isl.0.topology"),
        ('[[network.isl]]\nfleet = "pair"\ntopology = "range"\nmax_range_km = 0.01\n',
         "network.isl.0.max_range_km"),
        ('[[network.isl]]\nfleet = "shell"\ntopology = "+grid"\n[[ground_station]]\n'
         'name = "Pole"\nlat_deg = 89.0\nlon_deg = 0.0\nmin_elevation_deg = 60.0\n',
         "ground_station.0"),
    ],
)
def test_unreachable_networks_exit_2(tmp_path, extra, key):
    path = _write(tmp_path, BASE_TOML + extra)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}: {key}" in result.output


def test_link_windows_match_a_per_second_brute_force():
    """Cluster links that come and go (200 m range, neighbours 100-200 m apart): every window
    edge within 0.05 s of the crossing found by evaluating every pair every second."""
    sc = orbitdc.parse_scenario({
        "name": "links", "start": START, "duration_h": 1.0, "step_s": 30.0,
        "fleet": [{"name": "c", "kind": "cluster", "altitude_km": 650.0, "ltan_h": 18.0,
                   "count": 9, "radius_km": 0.5}],
        "network": {"isl": [{"fleet": "c", "topology": "range", "max_range_km": 0.2,
                             "terminal": "suncatcher-dwdm", "record_links": True}]},
    })
    res = orbitdc.simulate(sc)
    ev = res.events
    kind = np.asarray(ev.column("kind").to_pylist())
    got = ev.filter(kind == "link")
    assert got.num_rows > 5
    fleet = build_fleet(sc)
    t = np.arange(0.0, 3600.0 + 0.5, 1.0)
    _, r, _ = fleet.satrecs.sgp4(*jd_pair(epoch_jd(START), t))
    names = sc.satellite_names
    t0 = START.timestamp()
    # Completeness: as many unclipped edges as the brute force has crossings, pair by pair.
    rows = got.to_pylist()
    for a in range(9):
        for b in range(a + 1, 9):
            up = np.linalg.norm(r[a] - r[b], axis=1) < 0.2
            expected = int(np.sum(up[1:] != up[:-1]))
            ours = sum((not w["clipped_start"]) + (not w["clipped_end"]) for w in rows
                       if {w["satellite"], w["target"]} == {names[a], names[b]})
            assert ours == expected, (names[a], names[b])
    for row in rows:
        a, b = names.index(row["satellite"]), names.index(row["target"])
        rng = np.linalg.norm(r[a] - r[b], axis=1)
        up = rng < 0.2
        edges = np.nonzero(up[1:] != up[:-1])[0]
        cross = t[edges] + (0.2 - rng[edges]) / (rng[edges + 1] - rng[edges])
        for edge, clipped in ((row["start"], row["clipped_start"]), (row["end"], row["clipped_end"])):
            if clipped:
                continue
            s = edge.timestamp() - t0
            assert np.min(np.abs(cross - s)) < 0.05, (row, cross)


def test_stations_report_data_per_day_from_their_coverage():
    sc = _scenario(ground_station=[{"name": "Madrid", "lat_deg": 40.43, "lon_deg": -4.25,
                                    "min_elevation_deg": 25.0, "downlink_bps": 8e9,
                                    "uplink_bps": 2e9}])
    res = orbitdc.simulate(sc)
    st = res.summary["fleet"]["stations"]["Madrid"]
    days = 1.0 / 24.0
    assert st["downlink_gigabytes_per_day"] == pytest.approx(
        st["coverage_min"] * 60 * 8e9 / 8e9 / days, rel=1e-5)
    assert st["uplink_gigabytes_per_day"] == pytest.approx(st["downlink_gigabytes_per_day"] / 4, rel=1e-5)


def test_user_regions_do_not_relay_traffic():
    """Region X sees satellites A and B, region Y only B, and A and B have no link: Y cannot
    reach A (not through X's users), and the cluster-to-ground flow never passes a region."""
    sc = orbitdc.parse_scenario({
        "name": "relay", "start": START, "duration_h": 1.0, "step_s": 60.0,
        "fleet": [{"name": "a", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0},
                  {"name": "b", "kind": "sso", "altitude_km": 550.0, "ltan_h": 13.0}],
        "user_region": [{"name": "X", "lat_deg": 0.0, "lon_deg": 0.0},
                        {"name": "Y", "lat_deg": 0.0, "lon_deg": 14.0}],
    })
    model = NetworkModel(sc, build_fleet(sc), build_stations(sc))
    up = WGS84_RADIUS_KM + 550.0
    r = np.array([[up, 0.0, 0.0],  # A, straight above X
                  [up * np.cos(np.deg2rad(7.0)), up * np.sin(np.deg2rad(7.0)), 0.0]])  # B
    graph = model.latency_graph(r)
    n = model.n_sat + model.n_gs
    dist = dijkstra(graph, directed=True, indices=[n, n + 1])
    assert np.isfinite(dist[0, 0]) and np.isfinite(dist[0, 1])  # X reaches A and B
    assert np.isinf(dist[1, 0]) and np.isfinite(dist[1, 1])  # Y reaches B only


def test_links_never_reach_beyond_the_terminal():
    """CubeLCT-class terminals reach a few hundred km: a shell whose neighbours are thousands of
    km apart forms no links with them, whatever max_range_km says."""
    sc = _scenario(network={"routing_step_s": 60.0,
                            "isl": [{"fleet": "shell", "topology": "+grid",
                                     "terminal": "tesat-cubelct", "max_range_km": 10000.0}]},
                   fleet=[{"name": "shell", "kind": "walker", "altitude_km": 550.0,
                           "inclination_deg": 53.0, "planes": 6, "per_plane": 6,
                           "phasing": 1}], duration_h=0.5)
    shell = orbitdc.simulate(sc).summary["network"]["isl"]["shell"]
    assert shell["links_max"] == 0
