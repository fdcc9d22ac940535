"""Conjunction screening: every approach the dense reference finds (``screening_reference``)
is found, TCA within 10 ms and miss within 1 m; the pieces (interpolation bound, astroz's SGP4,
the radial / in-track / cross-track frame, the collision probability) against outside
figures; the command and its bad input."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sgp4 import exporter
from sgp4.api import SatrecArray
from typer.testing import CliRunner

from orbitdc.cli import app
from orbitdc.core import conjunctions as cj
from orbitdc.core import orbits
from orbitdc.core.time import epoch_jd, jd_pair
from screening_population import EPOCH, catalogue_like, elements
from screening_reference import reference_screen

EP = epoch_jd(EPOCH)


def _crossers(base, rng, n, spread_km=15.0, t_range_s=(1800.0, 9000.0)):
    """Objects sent through the path of others: for each, an orbit in another plane through a
    point near where a ``base`` object will be at a random time in ``t_range_s`` (the densest
    test of the threshold: approaches from 0 to ~spread_km)."""
    out = []
    mu = 398600.8
    for _ in range(n):
        sat = base[int(rng.integers(len(base)))]
        t = float(rng.uniform(*t_range_s))
        jd, fr = jd_pair(EP, np.array([t]))
        _, r, v = sat.sgp4_array(jd, fr)
        r, v = r[0], v[0]
        # Rotate the velocity about the radius by 20-160 deg: a crossing plane.
        k = r / np.linalg.norm(r)
        ang = np.deg2rad(rng.uniform(20.0, 160.0))
        v2 = v * math.cos(ang) + np.cross(k, v) * math.sin(ang) + k * (k @ v) * (1 - math.cos(ang))
        r2 = r + rng.normal(0.0, spread_km / 2.0, 3)
        # Osculating elements of (r2, v2) at t, then back to epoch: mean anomaly at epoch.
        h = np.cross(r2, v2)
        inc = math.acos(h[2] / np.linalg.norm(h))
        node = np.cross([0, 0, 1.0], h)
        raan = math.atan2(node[1], node[0])
        rn = np.linalg.norm(r2)
        a = 1.0 / (2.0 / rn - (v2 @ v2) / mu)
        n_rad_s = math.sqrt(mu / a**3)
        # Argument of latitude of r2 in its plane (circular: the mean anomaly with argp 0).
        nhat = node / np.linalg.norm(node)
        u = math.atan2((np.cross(nhat, r2) @ h) / np.linalg.norm(h), nhat @ r2)
        el = orbits.CircularElements(
            altitude_km=np.array([a - 6378.135]), inclination_rad=np.array([inc]),
            raan_rad=np.array([raan]), mean_anomaly_rad=np.array([u - n_rad_s * t]),
            ecc=np.zeros(1), argp_rad=np.zeros(1))
        out.extend(orbits.satrecs_from_elements(el, EP, first_satnum=80000 + len(out)))
    return out


def _population(seed):
    rng = np.random.default_rng(seed)
    base = catalogue_like(90, seed, shell_share=0.3, deep_share=0.02,
                          altitude_km=(520.0, 580.0))
    # A formation: four members 120 m apart around a reference orbit.
    ref = orbits.CircularElements(
        altitude_km=np.array([560.0]), inclination_rad=np.deg2rad([97.6]),
        raan_rad=np.array([1.0]), mean_anomaly_rad=np.array([0.3]), ecc=np.zeros(1),
        argp_rad=np.zeros(1))
    members = orbits.satrecs_from_elements(
        orbits.formation_elements(ref, orbits.lattice_offsets_km(4, 0.12)), EP, 70000)
    # An eccentric object through the shell (perigee 500 km, apogee ~4,000 km).
    ecc_el = orbits.CircularElements(
        altitude_km=np.array([2250.0]), inclination_rad=np.deg2rad([63.4]),
        raan_rad=np.array([2.0]), mean_anomaly_rad=np.array([0.0]), ecc=np.array([0.2]),
        argp_rad=np.array([0.5]))
    eccentric = orbits.satrecs_from_elements(ecc_el, EP, 60000)
    sats = base + _crossers(base, rng, 25) + members + eccentric
    group = np.zeros(len(sats), np.int64)
    first = len(base) + 25
    group[first:first + 4] = 1
    formation = group == 1
    return sats, group, formation


def _check_against_reference(sats, group, formation, duration, threshold, d_form):
    """Screen ``sats`` and the dense reference; every reference approach found (TCA within
    10 ms, miss within 1 m) and nothing else. Returns the reference's approaches."""

    def limit(i, j):
        return d_form if formation[i] and group[i] == group[j] else threshold

    ref = reference_screen(sats, EP, duration, threshold, step_s=2.0, limits=limit)
    res = cj.screen(sats, EP, duration, threshold, group=group, formation=formation,
                    formation_threshold_km=d_form)
    found = {}
    for a, b, t, m in zip(res["a"], res["b"], res["tca_s"], res["miss_km"], strict=True):
        found.setdefault((int(a), int(b)), []).append((t, m))
    for a, b, t, m in ref:
        near = [x for x in found.get((a, b), []) if abs(x[0] - t) < 1.0]
        assert near, f"missed the approach of {a} and {b} at t = {t:.3f} s, {m * 1000:.1f} m"
        # TCA within 10 ms. Formation members pass at ~0.1 m/s: there the distance stays within
        # micrometres of its minimum for a second either side, below SGP4's own numerical
        # noise (its Kepler solver's 1e-12 tolerance: ~10 um at 7,000 km), so the TCA is
        # defined to ~1 s only; the miss still to far better than 1 m.
        slow = formation[a] and formation[b]
        assert abs(near[0][0] - t) < (1.0 if slow else 0.010), (a, b, t, near)
        assert abs(near[0][1] - m) < 0.001, (a, b, m, near)
    # Nothing reported that the reference does not have (within the same tolerances).
    assert len(res["a"]) == len(ref)
    assert np.all(res["miss_km"] < np.where(formation[res["a"]] & formation[res["b"]], d_form,
                                            threshold))
    return ref


@pytest.mark.parametrize("seed", [11, 29])
def test_every_approach_of_the_dense_reference_is_found(seed):
    sats, group, formation = _population(seed)
    ref = _check_against_reference(sats, group, formation, 3 * 3600.0, 12.0, 0.15)
    assert len(ref) >= 15, "the population should hold approaches to find"
    assert any(formation[a] and formation[b] for a, b, _, _ in ref), "formation approaches"


@settings(max_examples=60, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), n_base=st.integers(3, 12), n_cross=st.integers(2, 10),
       duration_s=st.floats(900.0, 5400.0), threshold=st.floats(1.0, 20.0),
       with_formation=st.booleans(), eccentric=st.floats(0.0, 0.15))
def test_dense_reference_on_small_random_populations(seed, n_base, n_cross, duration_s,
                                                      threshold, with_formation, eccentric):
    """The same check as a property over small populations of any shape: a few objects of a
    narrow shell, some sent through their paths within the span, maybe a formation of three
    (screened at 0.15 km) and an object of any eccentricity up to 0.15 through the shell."""
    rng = np.random.default_rng(seed)
    sats = catalogue_like(n_base, seed % 2**31, shell_share=0.3, deep_share=0.0,
                          altitude_km=(520.0, 580.0))
    sats = sats + _crossers(sats, rng, n_cross, spread_km=threshold,
                            t_range_s=(60.0, duration_s - 60.0))
    group = np.zeros(len(sats), np.int64)
    if with_formation:
        ref_el = orbits.CircularElements(
            altitude_km=np.array([rng.uniform(520.0, 580.0)]),
            inclination_rad=np.deg2rad([rng.uniform(40.0, 98.0)]),
            raan_rad=np.array([rng.uniform(0, 2 * np.pi)]),
            mean_anomaly_rad=np.array([rng.uniform(0, 2 * np.pi)]), ecc=np.zeros(1),
            argp_rad=np.zeros(1))
        sats = sats + orbits.satrecs_from_elements(
            orbits.formation_elements(ref_el, orbits.lattice_offsets_km(3, 0.12)), EP, 70000)
        group = np.concatenate([group, np.ones(3, np.int64)])
    if eccentric > 0.0:
        # Perigee in the shell, apogee above it.
        a = (6378.135 + 550.0) / (1.0 - eccentric)
        ecc_el = orbits.CircularElements(
            altitude_km=np.array([a - 6378.135]), inclination_rad=np.deg2rad([63.4]),
            raan_rad=np.array([rng.uniform(0, 2 * np.pi)]),
            mean_anomaly_rad=np.array([rng.uniform(0, 2 * np.pi)]), ecc=np.array([eccentric]),
            argp_rad=np.array([rng.uniform(0, 2 * np.pi)]))
        sats = sats + orbits.satrecs_from_elements(ecc_el, EP, 60000)
        group = np.concatenate([group, np.zeros(1, np.int64)])
    ref = _check_against_reference(sats, group, group == 1, duration_s, threshold, 0.15)
    event(f"reference approaches: {'none' if not ref else '1-4' if len(ref) < 5 else '5+'}")


def test_interpolation_stays_within_its_bound():
    """Cubic Hermite between SGP4 nodes at each object's step, against SGP4 at the midpoints,
    for circular LEO, low orbits and eccentric orbits up to e = 0.7."""
    el = orbits.CircularElements(
        altitude_km=np.array([300.0, 550.0, 1200.0, 3000.0, 12000.0, 20000.0]),
        inclination_rad=np.deg2rad([51.6, 53.0, 87.0, 63.4, 63.4, 28.5]),
        raan_rad=np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        mean_anomaly_rad=np.zeros(6), ecc=np.array([0.0, 0.001, 0.01, 0.3, 0.5, 0.7]),
        argp_rad=np.array([0.0, 1.0, 2.0, 0.3, 1.2, 4.0]))
    sats = orbits.satrecs_from_elements(el, EP)
    a_km = np.array([s.a for s in sats]) * 6378.135
    ecc = np.array([s.ecco for s in sats])
    steps, bound = cj.node_steps_s(a_km, ecc, cj.BASE_STEP_S, cj.TOLERANCE_KM,
                                   finest_s=cj.BASE_STEP_S / 64)
    assert np.all(bound <= cj.TOLERANCE_KM)
    for s, h, e in zip(sats, steps, bound, strict=True):
        t = np.arange(0.0, 12 * 3600.0 + h, h)
        jd, fr = jd_pair(EP, t)
        _, r, v = s.sgp4_array(jd, fr)
        jm, fm = jd_pair(EP, t[:-1] + h / 2)
        _, rm, _ = s.sgp4_array(jm, fm)
        mid = 0.5 * (r[:-1] + r[1:]) + h / 8.0 * (v[:-1] - v[1:])  # Hermite at s = 1/2
        err = np.linalg.norm(mid - rm, axis=1).max()
        assert err <= e, (s.ecco, h, err, e)


def test_astroz_sgp4_agrees_with_sgp4():
    """astroz's SIMD SGP4 (used for the nodes where it is installed) against python-sgp4, the
    reference implementation (Vallado et al. 2006), on generated and TLE-derived elements."""
    pytest.importorskip("astroz")
    sats = catalogue_like(400, 5, deep_share=0.05)
    line1, line2 = exporter.export_tle(sats[3])
    from sgp4.api import Satrec

    sats.append(Satrec.twoline2rv(line1, line2))
    prop = cj._node_propagator(sats, use_astroz=True)
    assert prop.engine == "astroz"
    jd, fr = jd_pair(EP, np.arange(0.0, 2 * 86400.0, 600.0))
    r, v = prop(np.arange(len(sats)), jd, fr)
    _, r0, v0 = SatrecArray(sats).sgp4(jd, fr)
    assert np.nanmax(np.linalg.norm(r - r0, axis=-1)) < 1e-3  # km: 1 m
    assert np.nanmax(np.linalg.norm(v - v0, axis=-1)) < 1e-6  # km/s: 1 mm/s


def test_ric_components_of_a_known_geometry():
    r_a = np.array([[7000.0, 0.0, 0.0]])
    v_a = np.array([[0.0, 7.5, 0.0]])
    # b: 1 km above, 2 km ahead, 3 km towards +z (the orbit normal r x v).
    r_b = r_a + np.array([[1.0, 2.0, 3.0]])
    radial, in_track, cross = cj.ric_components(r_a, v_a, r_b)
    assert radial[0] == pytest.approx(1.0) and in_track[0] == pytest.approx(2.0)
    assert cross[0] == pytest.approx(3.0)


def test_collision_probability_closed_forms():
    """Head-on (miss 0): the Rayleigh closed form 1 - exp(-R^2 / 2 sigma^2); a miss of many
    sigma with a small body: R^2 / (2 sigma^2) exp(-m^2 / 2 sigma^2) (Chan 2008, eq. 2.31's
    small-radius limit); and a Monte Carlo of the 2-D Gaussian."""
    sigma, radius = 0.2, 0.02
    assert cj.collision_probability(0.0, sigma, radius) == pytest.approx(
        1 - math.exp(-radius**2 / (2 * sigma**2)), rel=1e-9)
    m = 1.0
    assert cj.collision_probability(m, sigma, 0.001) == pytest.approx(
        0.001**2 / (2 * sigma**2) * math.exp(-m**2 / (2 * sigma**2)), rel=1e-3)
    rng = np.random.default_rng(3)
    pts = rng.normal(0.0, sigma, (400_000, 2)) + [0.25, 0.0]
    mc = np.mean(np.hypot(pts[:, 0], pts[:, 1]) < 0.1)
    assert cj.collision_probability(0.25, sigma, 0.1) == pytest.approx(mc, abs=4e-3)


# --- the command ------------------------------------------------------------------------------

SCENARIO = textwrap.dedent("""
    name = "screen-test"
    start = 2026-03-20T00:00:00Z
    duration_h = 1.0
    step_s = 60.0

    [[fleet]]
    name = "shell"
    kind = "walker"
    altitude_km = 550.0
    inclination_deg = 53.0
    planes = 6
    per_plane = 8
    phasing = 1

    [[fleet]]
    name = "pack"
    kind = "cluster"
    altitude_km = 650.0
    ltan_h = 18.0
    count = 5
    radius_km = 0.2
    """)


def _catalogue_tle(n=30, seed=4):
    sats = catalogue_like(n, seed, shell_share=0.0, deep_share=0.0, altitude_km=(540.0, 560.0))
    lines = []
    for k, s in enumerate(sats):
        l1, l2 = exporter.export_tle(s)
        lines += [f"DEBRIS {k}", l1, l2]
    return "\n".join(lines) + "\n"


def _write(tmp_path, extra=""):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO + extra, encoding="utf-8")
    return path


def test_screen_command_writes_the_table_and_summary(tmp_path):
    scen = _write(tmp_path)
    cat = tmp_path / "cat.tle"
    cat.write_text(_catalogue_tle(), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["screen", str(scen), "--threshold-km", "40", "--catalog",
                                   str(cat), "--formation-threshold-km", "0.25",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pq.read_table(out / "conjunctions.parquet")
    assert table.column_names[:10] == ["a", "b", "a_group", "b_group", "tca", "miss_km",
                                       "speed_km_s", "radial_km", "in_track_km",
                                       "cross_track_km"]
    assert table.num_rows > 0
    rows = table.to_pylist()
    assert all(r["miss_km"] < (0.25 if r["a_group"] == r["b_group"] == "pack" else 40)
               for r in rows)
    comp = np.array([[r["radial_km"], r["in_track_km"], r["cross_track_km"]] for r in rows])
    assert np.allclose(np.linalg.norm(comp, axis=1), [r["miss_km"] for r in rows], rtol=1e-9)
    assert any(r["a"].startswith("DEBRIS") or r["b"].startswith("DEBRIS") for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    sc = summary["screening"]
    assert sc["approaches"] == table.num_rows
    assert sum(v["approaches"] for v in sc["per_group_pair"].values()) == table.num_rows
    assert sc["catalogue_objects"] == 30 and sc["objects"] == 48 + 5 + 30
    assert sc["closest"][0]["miss_km"] == pytest.approx(min(r["miss_km"] for r in rows))
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_run_with_a_screening_section_screens(tmp_path):
    scen = _write(tmp_path, textwrap.dedent("""
        [screening]
        threshold_km = 40.0
        formation_threshold_km = 0.25
        covariance = { sigma_km = 0.5, hard_body_radius_m = 20.0 }
        """))
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", str(scen), "--out", str(out), "--epochs", "0"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    table = pq.read_table(out / "conjunctions.parquet")
    assert summary["screening"]["approaches"] == table.num_rows > 0
    p = table.column("probability").to_numpy()
    assert np.all((p >= 0) & (p <= 1)) and "isotropic" in summary["screening"]["probability"][
        "assumption"]
    assert "close approaches" in res.output


@pytest.mark.parametrize("value", ["0", "-1.5"])
def test_threshold_not_positive_is_refused(tmp_path, value):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["screen", str(_write(tmp_path)), "--threshold-km", value,
                                   "--out", str(out)])
    assert res.exit_code == 2
    assert "--threshold-km" in res.output and "> 0" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_screening_section_threshold_not_positive_names_the_key(tmp_path):
    scen = _write(tmp_path, "\n[screening]\nthreshold_km = 0.0\n")
    res = CliRunner().invoke(app, ["screen", str(scen), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "screening.threshold_km" in res.output


def test_unparseable_catalogue_names_the_file_and_the_record(tmp_path):
    text = _catalogue_tle(5).splitlines()
    text[3 * 2 + 1] = text[3 * 2 + 1][:40]  # the third object's first line cut short
    cat = tmp_path / "bad.tle"
    cat.write_text("\n".join(text), encoding="utf-8")
    res = CliRunner().invoke(app, ["screen", str(_write(tmp_path)), "--threshold-km", "5",
                                   "--catalog", str(cat), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "bad.tle" in res.output and "TLE 3" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()
    omm = tmp_path / "bad.json"
    omm.write_text('[{"OBJECT_NAME": "X", "EPOCH": "2026-03-20T00:00:00"}]', encoding="utf-8")
    res = CliRunner().invoke(app, ["screen", str(_write(tmp_path)), "--threshold-km", "5",
                                   "--catalog", str(omm), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "bad.json" in res.output and "OMM record 1" in res.output


def test_catalogue_epoch_far_from_the_run(tmp_path):
    cat = tmp_path / "cat.tle"
    cat.write_text(_catalogue_tle(4), encoding="utf-8")
    # The same elements, with the run 60 days later: refused, with the figures.
    late = _write(tmp_path).read_text().replace("2026-03-20T00:00:00Z", "2026-05-19T00:00:00Z")
    (tmp_path / "late.toml").write_text(late, encoding="utf-8")
    res = CliRunner().invoke(app, ["screen", str(tmp_path / "late.toml"), "--threshold-km", "5",
                                   "--catalog", str(cat), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "cat.tle" in res.output and "60.0 days" in res.output and "4 of 4" in res.output
    # Five days later: a warning with the figures, and a result.
    soon = late.replace("2026-05-19T00:00:00Z", "2026-03-25T00:00:00Z")
    (tmp_path / "soon.toml").write_text(soon, encoding="utf-8")
    res = CliRunner().invoke(app, ["screen", str(tmp_path / "soon.toml"), "--threshold-km", "5",
                                   "--catalog", str(cat), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and "5.0 days" in res.output


def test_no_threshold_anywhere_is_refused(tmp_path):
    res = CliRunner().invoke(app, ["screen", str(_write(tmp_path)), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--threshold-km" in res.output


def test_population_density_is_catalogue_like():
    """The benchmark population's LEO density is of the catalogue's order (~1e-8-1e-7 per
    km^3 in 500-900 km) - a guard that the speed figure is measured on a fair population."""
    el = elements(30_000, 1, shell_share=0.0)
    leo = (el.altitude_km > 500) & (el.altitude_km < 900)
    shell_volume = 4 / 3 * math.pi * ((6378 + 900) ** 3 - (6378 + 500) ** 3)
    assert 1e-8 < leo.sum() / shell_volume < 1e-7


def test_validate_checks_the_screening_catalogue(tmp_path):
    scen = _write(tmp_path, '\n[screening]\nthreshold_km = 5.0\ncatalog_file = "missing.tle"\n')
    res = CliRunner().invoke(app, ["validate", str(scen)])
    assert res.exit_code == 2, res.output
    assert "screening.catalog_file" in res.output and "missing.tle" in res.output
    assert "s.toml" in res.output and "Traceback" not in res.output
    text = _catalogue_tle(3).splitlines()
    text[4] = text[4][:40]  # the second object's first line cut short
    (tmp_path / "missing.tle").write_text("\n".join(text), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(scen)])
    assert res.exit_code == 2 and "TLE 2" in res.output, res.output
    (tmp_path / "missing.tle").write_text(_catalogue_tle(3), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(scen)])
    assert res.exit_code == 0, res.output


def test_run_shows_the_screening_progress_in_a_bar_of_its_own(tmp_path):
    import contextlib

    from orbitdc.econ.pipeline import run_scenario
    from orbitdc.model import load_scenario

    sc = load_scenario(_write(tmp_path, "\n[screening]\nthreshold_km = 40.0\n"))
    bars: dict[str, list] = {}

    @contextlib.contextmanager
    def progress_for(description, total):
        calls = bars.setdefault(description, [total])
        yield lambda done, tot: calls.append((done, tot))

    run_scenario(sc, None, progress_for=progress_for)
    screening = [d for d in bars if d.endswith(": screening")]
    assert len(screening) == 1 and len(bars) == 2
    total, *calls = bars[screening[0]]
    assert total == round(sc.duration_s) and calls and calls[-1] == (total, total)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
