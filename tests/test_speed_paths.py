"""The fast paths change nothing: worker processes, satellite blocks and chunk sizes give the
same results as one process in one chunk, and the contact screen loses no pass that a brute
force elevation check over every satellite, station and second finds."""

import json

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import orbitdc
from orbitdc.bench import bench_scenario
from orbitdc.cli import app
from orbitdc.core.frames import teme_to_ecef
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
from orbitdc.sim import engine
from orbitdc.sim.fleet import build_fleet, build_stations

from conftest import fly_with_events


@pytest.fixture(scope="module")
def scenario():
    """The bench's shell, with an accelerator upset often enough to give faults."""
    data = bench_scenario(satellites=40, hours=3.0, step_s=30.0, stations=12).model_dump(
        exclude_defaults=True
    )
    data["part"] = {"flaky": {"kind": "accelerator", "bf16_dense_flops": 1e15,
                              "power_load_w": 700.0, "power_idle_w": 70.0, "mass_kg": 2.0,
                              "max_temperature_k": 360.0, "tid_tolerance_krad": 2.0,
                              "see_cross_section_cm2": 1e-5}}
    data["satellite"]["compute"]["accelerator"] = "flaky"
    return orbitdc.parse_scenario(data)


def _assert_same(a, b, atol=2e-3):
    (raw_a, wa_all, _), (raw_b, wb_all, _) = a, b
    assert set(wa_all) == set(wb_all)
    for kind in wa_all:
        wa, wb = wa_all[kind], wb_all[kind]
        assert len(wa[0]) == len(wb[0]) > 0, kind
        np.testing.assert_array_equal(wa[0], wb[0])
        np.testing.assert_array_equal(wa[1], wb[1])
        np.testing.assert_allclose(wa[2], wb[2], atol=atol)  # seconds
        np.testing.assert_allclose(wa[3], wb[3], atol=atol)
        np.testing.assert_array_equal(wa[4], wb[4])
        np.testing.assert_array_equal(wa[5], wb[5])
    np.testing.assert_allclose(raw_a.beta_min_rad, raw_b.beta_min_rad, atol=1e-3)


def test_workers_blocks_and_chunks_do_not_change_results(scenario):
    one = fly_with_events(scenario, workers=1, chunk=10_000)
    assert one[0].blocks == 1
    parallel = fly_with_events(scenario, workers=2, block_size=7, chunk=13)
    assert parallel[0].workers == 2 and parallel[0].blocks == 6
    assert "fault" in one[1]
    _assert_same(one, parallel)


def test_parallel_time_series_is_identical(scenario):
    one = orbitdc.simulate(scenario, workers=1)
    two = orbitdc.simulate(scenario, workers=2)
    assert one.timeseries.schema == two.timeseries.schema
    for name in one.timeseries.column_names:
        a, b = one.timeseries.column(name), two.timeseries.column(name)
        if pa.types.is_floating(a.type):
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())  # NaN == NaN here
        else:
            assert a.equals(b), name
    assert one.summary == two.summary
    assert one.events.equals(two.events)


def _brute_force_contacts(scenario, dt_s=1.0):
    """(satellite, station) -> list of (rise, set) from sin(elevation) at every second,
    crossings by linear interpolation (good to ~0.01 s for these smooth curves)."""
    fleet = build_fleet(scenario)
    stations = build_stations(scenario)
    t = np.arange(0.0, scenario.duration_s + dt_s / 2, dt_s)
    jd, fr = jd_pair(epoch_jd(scenario.start), t)
    _, r, _ = fleet.satrecs.sgp4(jd, fr)
    r_ecef = teme_to_ecef(r, gmst_rad(jd, fr))
    out = {}
    for g in range(stations.size):
        d = r_ecef - stations.ecef_km[g]
        margin = d @ stations.up[g] / np.linalg.norm(d, axis=2) - stations.sin_min_elevation[g]
        for s in range(fleet.size):
            m = margin[s]
            k = np.nonzero((m[:-1] > 0) != (m[1:] > 0))[0]
            times = t[k] - m[k] * dt_s / (m[k + 1] - m[k])
            edges = list(times)
            if m[0] > 0:
                edges.insert(0, 0.0)
            if m[-1] > 0:
                edges.append(t[-1])
            out[(s, g)] = list(zip(edges[0::2], edges[1::2]))
    return out


def test_contact_screen_misses_no_pass(scenario):
    _, windows, _ = fly_with_events(scenario)
    sat, station, start, end, _, _ = windows["contact"]
    ours = {}
    for s_, g, a, b in zip(sat, station, start, end):
        ours.setdefault((int(s_), int(g)), []).append((a, b))
    reference = _brute_force_contacts(scenario)
    total = 0
    for key, passes in reference.items():
        # Passes shorter than 2 s may fall between the reference's 1 s samples.
        ref = [p for p in passes if p[1] - p[0] > 2.0]
        got = [p for p in ours.get(key, []) if p[1] - p[0] > 2.0]
        assert len(got) == len(ref), (key, got, ref)
        if ref:
            np.testing.assert_allclose(np.asarray(got), np.asarray(ref), atol=0.05)
        total += len(ref)
    assert total > 50  # the scenario is busy enough to mean something


def test_bench_command_reports_rates_and_writes_json(tmp_path):
    path = tmp_path / "bench.json"
    result = CliRunner().invoke(
        app,
        ["bench", "--satellites", "30", "--hours", "0.5", "--stations", "5", "--workers", "2",
         "--json", str(path)],
    )
    assert result.exit_code == 0, result.output
    assert "full simulation (2 workers" in result.output
    data = json.loads(path.read_text())
    assert data["satellites"] == 30 and data["stations"] == 5
    assert data["sat_steps"] == 30 * 181
    assert data["raw_rate"] > 0 and data["full_rate"] > 0
    assert data["ratio"] == pytest.approx(data["raw_s"] / data["full_s"], rel=0.01)
    # The yardsticks: every installed propagator alone, one thread, in this run; the full
    # rate per worker against raw sgp4 and against the fastest.
    from orbitdc.core import propagators

    raws = data["raw_propagators"]
    assert set(raws) == set(propagators.installed()) and "sgp4" in raws
    for raw in raws.values():
        assert raw["rate"] == pytest.approx(
            data["sat_steps"] / max(raw["wall_s"], raw["cpu_s"]), rel=1e-9)
    assert data["raw_s"] == pytest.approx(max(raws["sgp4"]["wall_s"], raws["sgp4"]["cpu_s"]))
    assert data["fastest"] == max(raws, key=lambda k: raws[k]["rate"])
    per_worker = data["sat_steps"] / data["full_s"] / data["workers"]
    assert data["per_worker_rate"] == pytest.approx(per_worker, abs=1)
    assert data["per_worker_vs_sgp4"] == pytest.approx(per_worker / raws["sgp4"]["rate"])
    assert data["per_worker_vs_fastest"] == pytest.approx(
        per_worker / raws[data["fastest"]]["rate"])
    assert data["per_worker_vs_fastest"] <= data["per_worker_vs_sgp4"]
    assert data["full_cpu_s"] > 0 and data["cpu_vs_sgp4"] > 0
    # The same flight in one process, in this run: the workers' speed-up over it.
    assert data["workers"] == 2 and data["one_worker_s"] > 0
    assert data["workers_speedup"] == pytest.approx(data["one_worker_s"] / data["full_s"])
    assert "in one process (speed-up of 2)" in result.output
    assert data["propagator"] in raws
    assert "per worker / raw sgp4" in result.output
    assert data["peak_rss_mib"] > 0
    assert {"propagate", "shadow", "contacts", "wall"} <= set(data["stages_cpu_s"])
    assert data["command"].startswith("orbitdc bench")
    assert 0 < data["network_step_s"] < 5.0
    # One scheduling step for a million satellites and 10,000 jobs: the 0.5 s.
    sched = data["scheduling_step"]
    assert sched["running"] + sched["queued"] == 10_000 and sched["running"] > 1000
    assert 0 < sched["step_s"] < 0.5
    free = data["scheduling_step_free"]
    assert free["running"] + free["queued"] == 10_000 and free["running"] > 9000
    assert 0 < free["step_s"] < 0.5
    over = data["workload_overhead"]
    assert over["with_s"] > 0 and over["without_s"] > 0 and over["scheduling_steps"] == 360
    assert over["hours"] == 6.0  # the preset as shipped
    assert "scheduling step" in result.output


def test_bench_rejects_nonsense_sizes():
    result = CliRunner().invoke(app, ["bench", "--satellites", "0"])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["bench", "--hours", "0.1", "--step", "1000"])
    assert result.exit_code == 2
    assert "--step (1000 s) must not exceed --hours" in result.output


def test_visibility_kernels_match_the_array_formulas():
    """The compiled screen and the contact kernel's elevation margins give what the NumPy
    formulas give, NaN positions (decayed satellites) included."""
    from orbitdc.core import visibility
    from orbitdc.core.crossings import margin_range

    rng = np.random.default_rng(7)
    n_s, n_k, n_g = 9, 25, 6
    r = rng.normal(size=(n_s, n_k, 3)) * 7000.0
    r[2, 10:] = np.nan
    gmst = np.linspace(0.0, 0.3, n_k)
    st_ecef = rng.normal(size=(n_g, 3)) * 6371.0
    st_up = st_ecef / np.linalg.norm(st_ecef, axis=1, keepdims=True)
    sin_min = np.sin(np.deg2rad(rng.uniform(0.0, 30.0, n_g)))
    pairs = rng.integers(0, n_s * n_g, 20)
    sat, st = pairs // n_g, pairs % n_g
    c, sn = np.cos(gmst), np.sin(gmst)
    got = np.array([[margin_range(r, s, k, c[k], sn[k], *st_ecef[g], *st_up[g], sin_min[g])[0]
                     for k in range(3, 18)] for s, g in zip(sat, st)])
    rng_got = np.array([[margin_range(r, s, k, c[k], sn[k], *st_ecef[g], *st_up[g], 0.0)[1]
                         for k in range(3, 18)] for s, g in zip(sat, st)])
    d = teme_to_ecef(r[sat][:, 3:18], gmst[3:18]) - st_ecef[st][:, None, :]
    want = np.einsum("mkj,mj->mk", d, st_up[st]) / np.linalg.norm(d, axis=-1) - sin_min[st, None]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(rng_got, np.linalg.norm(d, axis=-1), rtol=1e-12)

    unit = r / np.linalg.norm(r, axis=-1, keepdims=True)
    cos_cone = np.cos(rng.uniform(0.1, 1.2, (n_s, n_g)))
    window = 4
    cand = visibility.screen_windows(unit, st_up, cos_cone, window)
    near = np.einsum("sck,gk->scg", unit, st_up) > cos_cone[:, None, :]
    either = near[:, :-1] | near[:, 1:]
    for w in range(cand.shape[1]):
        np.testing.assert_array_equal(cand[:, w], either[:, w * window:(w + 1) * window].any(1))
    assert cand.shape[1] == -(-(n_k - 1) // window)


def test_hermite_kernel_matches_the_polynomial():
    from orbitdc.core import events

    rng = np.random.default_rng(3)
    t_s = np.cumsum(rng.uniform(5.0, 15.0, 12))
    r = rng.normal(size=(4, 12, 3))
    v = rng.normal(size=(4, 12, 3))
    rows = rng.integers(0, 4, 50)
    t = rng.uniform(t_s[0] - 5.0, t_s[-1] + 5.0, 50)
    k = np.clip(np.searchsorted(t_s, t, side="right") - 1, 0, t_s.size - 2)
    dt = (t_s[k + 1] - t_s[k])[:, None]
    x = ((t - t_s[k]) / (t_s[k + 1] - t_s[k]))[:, None]
    want = ((2 * x**3 - 3 * x**2 + 1) * r[rows, k] + (x**3 - 2 * x**2 + x) * dt * v[rows, k]
            + (-2 * x**3 + 3 * x**2) * r[rows, k + 1] + (x**3 - x**2) * dt * v[rows, k + 1])
    np.testing.assert_allclose(events.hermite(t_s, r, v, rows, t), want, rtol=1e-12,
                               atol=1e-12)


def test_kernels_compile_without_a_writable_cache(monkeypatch):
    """Where numba finds nowhere to cache (read-only install, no home directory), a kernel
    is compiled per process instead of failing at import."""
    import numba

    from orbitdc.core import _jit

    real = numba.njit

    def picky(*args, cache=False, **kw):
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file")
        return real(*args, cache=cache, **kw)

    monkeypatch.setattr(_jit, "njit", picky)
    f = _jit.kernel(lambda x: 2.0 * x)
    assert f(1.5) == 3.0
