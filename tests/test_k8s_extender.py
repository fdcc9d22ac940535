"""The kube-scheduler extender of ``orbitdc serve`` (``POST /k8s/filter``, ``/k8s/prioritize``).

Requests are the JSON kube-scheduler's ``HTTPExtender`` sends (``ExtenderArgs`` with v1.Node
and v1.Pod objects: metadata.labels, metadata.annotations, status), to a real uvicorn over a
twin held at one scheduling step (``--speed`` so slow that the second step never comes).

Checked against: the twin's own fleet state (``GET /v1/fleet`` at the same simulated time) for
state of charge, free accelerators and the scores; Skyfield (DE421 Sun, its own frames and its
``is_sunlit`` shadow test, the same SGP4 elements) for which satellites see a ground station
now and when each next enters eclipse."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import time
import tomllib
import types
from importlib.resources import files

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from sgp4.api import SatrecArray
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app as cli_app
from orbitdc.core.sun import shadow_fraction, sun_position_km
from orbitdc.core.time import jd_pair
from orbitdc.model.errors import ScenarioError
from orbitdc.serve.k8s import ExtenderAccess, router
from orbitdc.sim.fleet import build_fleet
from test_serve import live

skyfield_api = pytest.importorskip("skyfield.api")
pytest.importorskip("skyfield_data")
from skyfield.api import EarthSatellite, Loader, load, wgs84  # noqa: E402
from skyfield.searchlib import find_discrete  # noqa: E402

DAY_S = 86400.0
START = dt.datetime(2026, 6, 21, tzinfo=dt.UTC)

BASE = """
name = "k8s-twin"
start = 2026-06-21T00:00:00Z
duration_h = 6.0
step_s = 30.0
seed = 3

[satellite.sat]
accelerator = "nvidia-h100-sxm"
accelerators = 4
bus_load_w = 300.0
solar = { rated_power_w = 6000.0 }
battery = { capacity_wh = 2000.0 }
radiator = { area_m2 = 10.0 }

[[fleet]]
name = "shell"
kind = "walker"
altitude_km = 550.0
inclination_deg = 53.0
planes = 3
per_plane = 4
phasing = 1
satellite = "sat"

[[workload]]
name = "own"
kind = "training"
jobs = 3
flops = 1e21
accelerators = 3
"""

STATION = """
[[ground_station]]
name = "{name}"
lat_deg = {lat:.6f}
lon_deg = {lon:.6f}
alt_m = 0.0
min_elevation_deg = 5.0
"""


@pytest.fixture(scope="module")
def ts():
    return load.timescale(builtin=True)


@pytest.fixture(scope="module")
def eph():
    kernel = Loader(str(files("skyfield_data") / "data"), verbose=False, expire=False)(
        "de421.bsp")
    yield kernel
    kernel.close()


@pytest.fixture(scope="module")
def sky(ts):
    """Skyfield satellites of the fleet (the scenario's SGP4 elements)."""
    sc = orbitdc.parse_scenario(tomllib.loads(BASE))
    fleet = build_fleet(sc)
    return {n: EarthSatellite.from_satrec(s, ts)
            for n, s in zip(sc.satellite_names, fleet.satrec_list)}


@pytest.fixture(scope="module")
def twin(tmp_path_factory, sky, ts):
    """The twin held at its first scheduling step, with two stations: one under shell-0's
    track a minute after the start (so some satellite is in contact then), one far off."""
    sub = wgs84.subpoint_of(sky["shell-0"].at(ts.from_datetime(START + dt.timedelta(
        seconds=60))))
    text = (BASE + STATION.format(name="under", lat=sub.latitude.degrees,
                                  lon=sub.longitude.degrees)
            + STATION.format(name="far", lat=-35.0, lon=150.0))
    path = tmp_path_factory.mktemp("k8s") / "twin.toml"
    path.write_text(text)
    db = f"sqlite:///{path.parent / 'twin.db'}"
    with live(path, db, 0.0001) as (url, key, tw):
        for _ in range(600):
            if tw.contact_now() is not None and tw.status == "running":
                break
            time.sleep(0.05)
        yield {"url": url, "key": key, "twin": tw,
               "stations": [(sub.latitude.degrees, sub.longitude.degrees), (-35.0, 150.0)]}


def node(name: str, satellite: str | None, **labels) -> dict:
    """A v1.Node as kube-scheduler serialises it."""
    lab = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **labels}
    if satellite is not None:
        lab["orbitdc.io/satellite"] = satellite
    return {
        "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": "1234",
                     "creationTimestamp": "2026-06-20T00:00:00Z", "labels": lab,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
        "spec": {"podCIDR": "10.244.1.0/24"},
        "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                   "allocatable": {"cpu": "8", "memory": "31Gi", "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "nodeInfo": {"kubeletVersion": "v1.30.0", "osImage": "MicroShift"}},
    }


def pod(**annotations) -> dict:
    """A v1.Pod as kube-scheduler serialises it."""
    return {
        "metadata": {"name": "trainer-0", "namespace": "default", "uid": "pod-uid-1",
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}",
                                     **{f"orbitdc.io/{k.replace('_', '-')}": v
                                        for k, v in annotations.items()}}},
        "spec": {"schedulerName": "default-scheduler",
                 "containers": [{"name": "trainer", "image": "example/trainer:1",
                                 "resources": {"requests": {"cpu": "1"}}}]},
        "status": {"phase": "Pending"},
    }


def fleet_and(twin, verb: str, body: dict, nodes: bool = True):
    """``GET /v1/fleet`` and the extender's answer, of the same twin step."""
    with httpx.Client(base_url=twin["url"], timeout=30) as c:
        f = c.get("/v1/fleet", headers={"Authorization": f"Bearer {twin['key']}"}).json()
        r = c.post(f"/k8s/{verb}", content=json.dumps(body),
                   headers={"Content-Type": "application/json"})
        f2 = c.get("/v1/fleet", headers={"Authorization": f"Bearer {twin['key']}"}).json()
    assert r.status_code == 200, r.text
    assert f["time"] == f2["time"] == r.headers["X-Orbitdc-Time"], "the twin moved"
    return {s["name"]: s for s in f["satellites"]}, r.json(), f["time"]


def all_nodes(twin) -> list[dict]:
    names = twin["twin"].names.tolist()
    return [node(f"node-{n}", n) for n in names]


def passed(reply) -> set[str]:
    assert reply["Error"] == ""
    return {n["metadata"]["labels"]["orbitdc.io/satellite"] for n in reply["Nodes"]["items"]}


def skyfield_time(ts, iso: str):
    return ts.from_datetime(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")))


# --- the protocol ------------------------------------------------------------------------------
def test_nodes_map_to_satellites_by_label_and_the_rest_are_filtered_out_with_a_reason(twin):
    nodes = [node("a", "shell-0"), node("b", None), node("c", "shell-99"),
             node("d", "shell-3", zone="leo")]
    body = {"Pod": pod(), "Nodes": {"metadata": {"resourceVersion": "1"}, "items": nodes},
            "NodeNames": None}
    _, reply, _ = fleet_and(twin, "filter", body)
    assert set(reply) == {"Nodes", "NodeNames", "FailedNodes", "FailedAndUnresolvableNodes",
                          "Error"}
    assert reply["Error"] == "" and reply["NodeNames"] is None
    # The nodes that pass come back as sent (kube-scheduler uses these objects).
    assert reply["Nodes"]["items"] == [nodes[0], nodes[3]]
    failed = reply["FailedAndUnresolvableNodes"]
    assert set(failed) == {"b", "c"}
    assert "has no label orbitdc.io/satellite" in failed["b"]
    assert "shell-99 names no satellite" in failed["c"]


def test_node_cache_capable_requests_name_the_nodes_after_their_satellites(twin):
    body = {"Pod": pod(), "Nodes": None, "NodeNames": ["shell-1", "worker-7", "shell-2"]}
    _, reply, _ = fleet_and(twin, "filter", body)
    assert reply["Nodes"] is None and reply["NodeNames"] == ["shell-1", "shell-2"]
    assert list(reply["FailedAndUnresolvableNodes"]) == ["worker-7"]
    assert "nodeCacheCapable" in reply["FailedAndUnresolvableNodes"]["worker-7"]


# --- each constraint against the twin's own state ----------------------------------------------
def test_min_state_of_charge_keeps_exactly_the_satellites_charged_enough(twin):
    with httpx.Client(base_url=twin["url"]) as c:
        sats = c.get("/v1/fleet", headers={"Authorization": f"Bearer {twin['key']}"}).json()
    socs = sorted({s["state_of_charge"] for s in sats["satellites"]})
    assert len(socs) >= 2, f"every battery at the same charge: {socs}"
    threshold = 0.5 * (socs[0] + socs[-1])
    body = {"Pod": pod(min_state_of_charge=f"{threshold:.6f}"),
            "Nodes": {"items": all_nodes(twin)}}
    fleet, reply, _ = fleet_and(twin, "filter", body)
    want = {n for n, s in fleet.items() if s["state_of_charge"] >= threshold}
    assert passed(reply) == want and 0 < len(want) < len(fleet)
    for n in set(fleet) - want:
        assert "state of charge" in reply["FailedAndUnresolvableNodes"][f"node-{n}"]


def test_accelerators_keeps_the_satellites_with_that_many_free(twin):
    for need in (1, 4):
        body = {"Pod": pod(accelerators=str(need)), "Nodes": {"items": all_nodes(twin)}}
        fleet, reply, _ = fleet_and(twin, "filter", body)
        want = {n for n, s in fleet.items() if s["accelerators_free"] >= need}
        assert passed(reply) == want
    assert 0 < len(want) < len(fleet), "the fleet's own jobs should hold some accelerators"


# --- against Skyfield --------------------------------------------------------------------------
def _elevation_deg(sat, lat, lon, t) -> float:
    topos = wgs84.latlon(lat, lon, elevation_m=0.0)
    return float((sat - topos).at(t).altaz()[0].degrees)


def test_needs_ground_contact_keeps_the_satellites_a_station_sees_now(twin, sky, ts):
    body = {"Pod": pod(needs_ground_contact="true"), "Nodes": {"items": all_nodes(twin)}}
    fleet, reply, now = fleet_and(twin, "filter", body)
    t = skyfield_time(ts, now)
    elev = {n: max(_elevation_deg(sky[n], lat, lon, t) for lat, lon in twin["stations"])
            for n in fleet}
    want = {n for n, e in elev.items() if e >= 5.0}
    assert passed(reply) == want, elev
    assert "shell-0" in want and len(want) < len(fleet)
    # Not asked for: no satellite is dropped for it.
    body["Pod"] = pod(needs_ground_contact="false")
    _, reply, _ = fleet_and(twin, "filter", body)
    assert passed(reply) == set(fleet)


def _next_shadow_s(sat, eph, ts, t0, span_s):
    """Seconds after t0 of Skyfield's next shadow entry and the exit after it (the Sun's
    centre on the limb: the middle of each penumbra), inf where none; entry 0 if in shadow
    now."""

    def sunlit(t):
        return sat.at(t).is_sunlit(eph)

    sunlit.step_days = 60.0 / DAY_S
    t1 = ts.tt_jd(t0.whole, t0.tt_fraction + span_s / DAY_S)
    times, values = find_discrete(t0, t1, sunlit)
    secs = [float((t.whole - t0.whole) + (t.tt_fraction - t0.tt_fraction)) * DAY_S
            for t in times]
    entry = 0.0 if not bool(sunlit(t0)) else next(
        (x for x, v in zip(secs, values) if not v), np.inf)
    exit_ = next((x for x, v in zip(secs, values) if v and x > entry), np.inf)
    return entry, exit_


def test_no_eclipse_within_a_horizon_agrees_with_skyfields_shadow(twin, sky, eph, ts):
    """For each satellite Skyfield finds the next eclipse entry T and exit X; a horizon of
    T - 60 s keeps it, T + 60 s (ending in the eclipse) and X + 120 s (ending in sunlight
    again, so the eclipse must be found inside the horizon) drop it; the 60 s margin covers
    the shadow models' few seconds apart and the extender's 5 s sampling. A satellite in
    shadow now is dropped at any horizon."""
    _, _, now = fleet_and(twin, "filter", {"Pod": pod(), "NodeNames": ["shell-0"]})
    t0 = skyfield_time(ts, now)
    ahead = {n: _next_shadow_s(sky[n], eph, ts, t0, 4 * 3600.0) for n in sky}
    assert any(e == 0.0 for e, _ in ahead.values()) and any(e > 0 for e, _ in ahead.values())
    checked = 0
    for name, (t_e, t_x) in ahead.items():
        if t_e > 90.0:
            horizons = [(t_e - 60.0, True), (t_e + 60.0, False), (t_x + 120.0, False)]
        else:
            horizons = [(600.0, False), (t_x + 120.0, False)]
        for horizon, keep in horizons:
            body = {"Pod": pod(no_eclipse_within_s=f"{horizon:.1f}"),
                    "Nodes": {"items": [node(f"node-{name}", name)]}}
            _, reply, at = fleet_and(twin, "filter", body)
            assert at == now
            assert (passed(reply) == {name}) == keep, (name, t_e, horizon, reply)
            if not keep:
                why = reply["FailedAndUnresolvableNodes"][f"node-{name}"]
                assert ("in eclipse now" in why) if t_e == 0.0 else ("enters eclipse" in why)
            checked += 1
    assert checked >= 2 * len(sky)


def _first_eclipse_plain(satrecs, epoch, t0, horizon, step):
    """The eclipse search's slow reference: every sample of every satellite at once."""
    off = np.arange(0.0, horizon, step)
    off = np.append(off, horizon) if off[-1] < horizon else off
    jd, fr = jd_pair(epoch, t0 + off)
    err, r, _ = SatrecArray(list(satrecs)).sgp4(jd, fr)
    shadow = shadow_fraction(r, np.broadcast_to(sun_position_km(jd, fr)[None], r.shape))
    hit = shadow >= 0.5
    return np.where(hit.any(axis=1), off[np.argmax(hit, axis=1)], np.inf)


@pytest.mark.parametrize("chunk", [200_000, 1])
def test_the_eclipse_search_matches_its_plain_reference(twin, chunk, monkeypatch):
    """The search (chunked, its batch shrinking to the satellites not yet eclipsed) against
    all samples at once with python-sgp4, over 3 h; ``chunk`` 1: 16 samples a chunk."""
    from orbitdc.serve import k8s

    tw = twin["twin"]
    sats = tw.flight.fleet.satrec_list
    t0 = float(tw.contact_now()[0])
    monkeypatch.setattr(k8s, "_CHUNK_SAMPLES", chunk)
    got, err = k8s.first_eclipse_s(sats, "sgp4", tw.start_jd, t0, 3 * 3600.0)
    want = _first_eclipse_plain(sats, tw.start_jd, t0, 3 * 3600.0, k8s.ECLIPSE_SAMPLE_S)
    assert np.all(err == 0) and np.all(np.isfinite(want)) and len(set(want.tolist())) > 3
    np.testing.assert_array_equal(got, want)
    # The flight's own propagator (astroz where installed) finds the same samples: the two
    # agree to about a metre, a millisecond of flight.
    fast, _ = k8s.first_eclipse_s(sats, tw.flight.propagator, tw.start_jd, t0, 3 * 3600.0)
    np.testing.assert_array_equal(fast, want)


# --- scores ------------------------------------------------------------------------------------
def _expected_score(s: dict, prefer_sunlit: bool) -> int:
    base = 0.5 * (s["state_of_charge"] + s["accelerators_free"] / s["accelerators"])
    if prefer_sunlit:
        return (6 if s["sunlit"] else 0) + int(np.floor(4 * base + 0.5))
    return int(np.floor(10 * base + 0.5))


def test_prioritize_scores_order_the_nodes_by_the_twins_state(twin):
    nodes = all_nodes(twin) + [node("ground-node", None)]
    for prefer in (False, True):
        body = {"Pod": pod(prefer_sunlit="true" if prefer else "false"),
                "Nodes": {"items": nodes}, "NodeNames": None}
        fleet, reply, _ = fleet_and(twin, "prioritize", body)
        assert [h["Host"] for h in reply] == [n["metadata"]["name"] for n in nodes]
        score = {h["Host"]: h["Score"] for h in reply}
        assert all(isinstance(v, int) and 0 <= v <= 10 for v in score.values())
        assert score["ground-node"] == 0
        for n, s in fleet.items():
            assert score[f"node-{n}"] == _expected_score(s, prefer), (n, s)
        if prefer:
            sunlit = [score[f"node-{n}"] for n, s in fleet.items() if s["sunlit"]]
            dark = [score[f"node-{n}"] for n, s in fleet.items() if not s["sunlit"]]
            assert sunlit and dark and min(sunlit) > max(dark)
        else:  # more charge and more free accelerators never score lower
            for a, sa in fleet.items():
                for b, sb in fleet.items():
                    if (sa["state_of_charge"] >= sb["state_of_charge"]
                            and sa["accelerators_free"] >= sb["accelerators_free"]):
                        assert score[f"node-{a}"] >= score[f"node-{b}"]
            assert len(set(score.values())) > 2


def test_a_node_failing_the_pods_constraints_scores_zero(twin):
    body = {"Pod": pod(accelerators="4"), "NodeNames": twin["twin"].names.tolist()}
    fleet, reply, _ = fleet_and(twin, "prioritize", body)
    for h in reply:
        if fleet[h["Host"]]["accelerators_free"] < 4:
            assert h["Score"] == 0
        else:
            assert h["Score"] == _expected_score(fleet[h["Host"]], False)


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("key,value", [
    ("min-state-of-charge", "high"), ("min-state-of-charge", "1.5"),
    ("no-eclipse-within-s", "-5"), ("no-eclipse-within-s", "1e9"),
    ("no-eclipse-within-s", "nan"), ("needs-ground-contact", "yes"),
    ("prefer-sunlit", "1"), ("accelerators", "2.5"), ("accelerators", "0"),
    ("min-soc", "0.5"),
])
def test_a_bad_annotation_is_an_error_naming_it(twin, key, value):
    body = {"Pod": {"metadata": {"name": "p", "annotations": {f"orbitdc.io/{key}": value}}},
            "Nodes": {"items": all_nodes(twin)}}
    with httpx.Client(base_url=twin["url"]) as c:
        r = c.post("/k8s/filter", json=body)
        p = c.post("/k8s/prioritize", json=body)
    # kube-scheduler reads a filter's Error only from a 200 answer.
    assert r.status_code == 200 and f"orbitdc.io/{key}" in r.json()["Error"]
    assert r.json()["Nodes"] is None
    assert p.status_code == 400 and f"orbitdc.io/{key}" in p.json()["Error"]


def test_an_annotation_that_is_not_a_string_is_an_error(twin):
    body = {"Pod": {"metadata": {"annotations": {"orbitdc.io/accelerators": 2}}},
            "NodeNames": ["shell-0"]}
    with httpx.Client(base_url=twin["url"]) as c:
        r = c.post("/k8s/filter", json=body).json()
    assert "orbitdc.io/accelerators" in r["Error"] and "string" in r["Error"]


@pytest.mark.parametrize("body", [
    {"Pod": {"metadata": {}}, "Nodes": {"items": []}, "NodeNames": None},
    {"Pod": {"metadata": {}}, "Nodes": None, "NodeNames": []},
    {"Pod": {"metadata": {}}},
    {"Pod": {"metadata": {}}, "Nodes": None, "NodeNames": None},
])
def test_a_request_with_no_nodes_is_a_clear_error(twin, body):
    with httpx.Client(base_url=twin["url"]) as c:
        r = c.post("/k8s/filter", json=body)
        p = c.post("/k8s/prioritize", json=body)
    assert r.status_code == 200 and "no nodes" in r.json()["Error"]
    assert p.status_code == 400 and "no nodes" in p.json()["Error"]


def test_a_body_that_is_not_extender_args_is_an_error(twin):
    with httpx.Client(base_url=twin["url"]) as c:
        assert "not JSON" in c.post("/k8s/filter", content=b"{nope").json()["Error"]
        assert "ExtenderArgs" in c.post("/k8s/filter", json=[1, 2]).json()["Error"]
        assert "Pod" in c.post("/k8s/filter", json={"NodeNames": ["a"]}).json()["Error"]
        bad = {"Pod": {}, "Nodes": {"items": [{"metadata": {"labels": {}}}]}}
        assert "metadata.name" in c.post("/k8s/filter", json=bad).json()["Error"]


# --- access ------------------------------------------------------------------------------------
def test_access_by_address_or_key(twin):
    """Not from an allowed address: only with the key, in the URL (kube-scheduler's way) or
    as a bearer token."""
    key = "k8s-extender-secret-0123"
    app = FastAPI()
    scenario = twin["twin"].scenario
    app.include_router(router(twin["twin"], scenario, ExtenderAccess(key=key, allow=())))
    body = {"Pod": pod(), "NodeNames": ["shell-0"]}

    async def calls():
        # A client at a documentation address (RFC 5737), in no allowlist.
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://extender") as c:
            return [await c.post("/k8s/filter", json=body),
                    await c.post("/k8s/wrong-key-0123456789/filter", json=body),
                    await c.post(f"/k8s/{key}/filter", json=body),
                    await c.post(f"/k8s/{key}/prioritize", json=body),
                    await c.post("/k8s/filter", json=body,
                                 headers={"Authorization": f"Bearer {key}"})]

    none, wrong, in_url, in_url_p, bearer = asyncio.run(calls())
    assert none.status_code == 403 and "ORBITDC_K8S_KEY" in none.json()["Error"]
    assert wrong.status_code == 403
    assert in_url.json()["NodeNames"] == ["shell-0"]
    assert in_url_p.status_code == 200 and in_url_p.json()[0]["Host"] == "shell-0"
    assert bearer.status_code == 200 and bearer.json()["NodeNames"] == ["shell-0"]
    a = ExtenderAccess.from_env({})
    assert a.permits("127.0.0.1", None) and a.permits("::1", None)
    assert not a.permits("10.1.2.3", None)
    b = ExtenderAccess.from_env({"ORBITDC_K8S_ALLOW": "10.0.0.0/8, 192.168.1.7"})
    assert b.permits("10.1.2.3", None) and b.permits("192.168.1.7", None)
    assert not b.permits("127.0.0.1", None) and not b.permits("192.168.1.8", None)


@pytest.mark.parametrize("env,name", [
    ({"ORBITDC_K8S_ALLOW": "10.0.0.0/33"}, "ORBITDC_K8S_ALLOW"),
    ({"ORBITDC_K8S_ALLOW": "kube-scheduler"}, "ORBITDC_K8S_ALLOW"),
    ({"ORBITDC_K8S_KEY": "short"}, "ORBITDC_K8S_KEY"),
    ({"ORBITDC_K8S_KEY": "has/a/slash/in/it/0123"}, "ORBITDC_K8S_KEY"),
])
def test_bad_access_settings_are_refused_naming_the_variable(env, name):
    with pytest.raises(ScenarioError, match=name):
        ExtenderAccess.from_env(env)


def test_serve_with_a_bad_allowlist_exits_2_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "twin.toml"
    path.write_text(BASE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ORBITDC_K8S_ALLOW", "not-an-address")
    result = CliRunner().invoke(cli_app, ["serve", str(path), "--db",
                                          f"sqlite:///{tmp_path / 'db.sqlite'}",
                                          "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert "ORBITDC_K8S_ALLOW" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("status,contact,says", [
    ("ended", (60.0, None), "the twin is ended"),
    ("replaying", (60.0, None), "re-flying to its checkpoint"),
    ("running", None, "not flown its first step"),
])
def test_a_twin_that_is_not_flying_live_is_an_error(twin, status, contact, says):
    """The state of a twin that has ended, is re-flying after a restart or has not flown a
    step is not the fleet's now: the extender says so instead of answering from it."""
    real = twin["twin"]
    stand_in = types.SimpleNamespace(
        status=status, t_s=60.0, names=real.names, flight=real.flight,
        start_jd=real.start_jd, contact_now=lambda: contact, fleet=real.fleet)
    app = FastAPI()
    app.include_router(router(stand_in, real.scenario, ExtenderAccess()))
    body = {"Pod": pod(), "NodeNames": ["shell-0"]}

    async def calls():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://extender") as c:
            return (await c.post("/k8s/filter", json=body),
                    await c.post("/k8s/prioritize", json=body))

    f, p = asyncio.run(calls())
    assert f.status_code == 200 and says in f.json()["Error"] and f.json()["NodeNames"] is None
    assert p.status_code == 400 and says in p.json()["Error"]
