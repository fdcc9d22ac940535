"""The propagators (``orbitdc.core.propagators``) against Vallado's SGP4 verification set and
against each other.

The authority is the verification set of Vallado et al. 2006 (AIAA 2006-6753): the element
sets of ``SGP4-VER.TLE`` and the TEME states Vallado's C++ code prints for them in
``tcppver.out`` (8 decimals: 0.01 mm, 1 nm/s), both read as the ``sgp4`` package ships them.
python-sgp4 (``"sgp4"``) meets them to its own test's 0.2 mm. astroz's SIMD batch path
(``"astroz"``), which orbitdc uses for near-earth satellites, does **not** meet them to the
millimetre that issue 13 asked for: measured here, 0.120 m and 0.106 mm/s at worst (near-earth
element sets; 2026-12-02, astroz 0.17 on AVX-512), against python-sgp4's 0.00003 m. astroz
0.17 has no precision option (its batch path vectorises the trigonometry), so the test holds
it to what it measures, with headroom for other SIMD widths (``ASTROZ_VER_TOL_KM``), and
orbitdc accepts it on a budget of 1 m and 1 mm/s: a LEO satellite covers 7.8 m in the 1 ms
that events are refined to, so 1 m moves no event by more than ~0.13 ms
(``test_a_flight_by_astroz_has_sgp4s_events_and_summary`` checks a whole flight's events).
Deep-space element sets are flown by python-sgp4 and meet its tolerance.
"""

import datetime as dt
import importlib.resources
import math

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec

from orbitdc.core import orbits, propagators
from orbitdc.core.time import epoch_jd, jd_pair

#: python-sgp4's own tolerance against tcppver.out (its tests.py), km.
SGP4_TOL_KM = 2e-7
#: What orbitdc asks of a faster propagator (see the module docstring).
FAST_TOL_KM = 1e-3
FAST_TOL_KM_S = 1e-6
#: What astroz's batch path measures against tcppver.out (0.120 m, 0.106 mm/s), with headroom:
#: decimetres, not the millimetre. A change of astroz beyond it should be looked at.
ASTROZ_VER_TOL_KM = 2.5e-4
ASTROZ_VER_TOL_KM_S = 2.5e-7

needs_astroz = pytest.mark.skipif("astroz" not in propagators.installed(),
                                  reason="astroz has no wheel here")


def _verification_set():
    """(line1, line2, (start, stop, step) minutes, rows) per satellite of SGP4-VER.TLE, rows
    being tcppver.out's ``(tsince_min, x, y, z, vx, vy, vz)`` printed for it."""
    files = importlib.resources.files("sgp4")
    tle = (files / "SGP4-VER.TLE").read_text().splitlines()
    out = (files / "tcppver.out").read_text().replace("\r", "").splitlines()
    printed: list[list] = []
    for line in out:
        if line.rstrip().endswith("xx"):
            printed.append([])
        else:
            printed[-1].append([float(x) for x in line.split()[:7]])
    sets = []
    lines = iter(tle)
    for line1 in lines:
        if line1.startswith("1"):
            line2 = next(lines)
            grid = tuple(float(x) for x in line2[69:].split())
            sets.append((line1, line2[:69], grid, np.array(printed[len(sets)]).reshape(-1, 7)))
    assert len(sets) == len(printed) == 33
    return sets


VERIFICATION = _verification_set()


def _at_tsince(sat, tsince_min):
    """Julian date pairs at minutes from ``sat``'s epoch (as python-sgp4's tests form them)."""
    whole, fraction = np.divmod(np.asarray(tsince_min, float) / 1440.0, 1.0)
    return sat.jdsatepoch + whole, sat.jdsatepochF + fraction


@pytest.mark.parametrize("name", propagators.installed())
def test_propagators_reproduce_vallados_verification_set(name):
    """Every printed state of tcppver.out: python-sgp4 to its 0.2 mm; astroz to 0.25 m and
    0.25 mm/s on its SIMD path (near-earth: measured 0.12 m, not the millimetre), deep-space
    (flown by python-sgp4) to python-sgp4's 0.2 mm; error codes on each element set's whole
    time grid as python-sgp4 gives them (the grid's failures: 1, 1, 6, 6, 4, 3, 6,
    python-sgp4's own test's list)."""
    worst = {"near": 0.0, "deep": 0.0}
    codes = []
    for line1, line2, (start, stop, step), rows in VERIFICATION:
        sat = Satrec.twoline2rv(line1, line2, WGS72)
        prop = propagators.batch([sat], name)
        assert prop.name == name
        # The times Vallado's driver evaluates: the epoch, then start to stop by step, and
        # stop; it prints each state up to the first error.
        grid = np.r_[0.0, np.arange(start, stop + 1e-9, step), stop]
        err, r, v = prop.sgp4(*_at_tsince(sat, grid))
        want, _, _ = propagators.batch([sat], "sgp4").sgp4(*_at_tsince(sat, grid))
        np.testing.assert_array_equal(err, want)
        err = err[0]
        if err[0] != 0:  # failed at the epoch: the file repeats the previous line instead
            codes.append(int(err[0]))
            continue
        if (err != 0).any():
            codes.append(int(err[np.argmax(err != 0)]))
        err, r, v = prop.sgp4(*_at_tsince(sat, rows[:, 0]))
        assert np.all(err[0] == 0), (sat.satnum, err)
        dr = np.linalg.norm(r[0] - rows[:, 1:4], axis=1)
        dv = np.linalg.norm(v[0] - rows[:, 4:7], axis=1)
        simd = name == "astroz" and sat.method == "n"
        tol = ASTROZ_VER_TOL_KM if simd else SGP4_TOL_KM
        tol_v = ASTROZ_VER_TOL_KM_S if simd else SGP4_TOL_KM  # km/s
        assert dr.max() < tol, (sat.satnum, dr.max())
        assert dv.max() < tol_v, (sat.satnum, dv.max())
        kind = "near" if sat.method == "n" else "deep"
        worst[kind] = max(worst[kind], dr.max())
    assert codes == [1, 1, 6, 6, 4, 3, 6]
    assert worst["near"] > 0 and worst["deep"] > 0  # both kinds were compared


def _shells(epoch):
    """Generated satellites of the kinds orbitdc flies: a Walker shell with drag, a
    sun-synchronous ring, a formation (e ~ 1e-4), a very low one that decays within the day,
    an eccentric MEO and a geostationary one (deep space)."""
    sats = []
    raan, anomaly = orbits.walker_delta(12, 10, 1)
    n = raan.size
    el = orbits.CircularElements(np.full(n, 550.0), np.full(n, math.radians(53.0)), raan,
                                 anomaly, np.zeros(n), np.zeros(n))
    sats += orbits.satrecs_from_elements(el, epoch, bstar=2e-4)
    inc = orbits.sgp4_sun_synchronous_inclination_rad(650.0, epoch)
    el = orbits.CircularElements(np.full(20, 650.0), np.full(20, inc), np.full(20, 1.0),
                                 np.linspace(0, 2 * np.pi, 20, endpoint=False), np.zeros(20),
                                 np.zeros(20))
    sats += orbits.satrecs_from_elements(el, epoch, first_satnum=200)
    ref = orbits.CircularElements(*(np.array([x]) for x in (600.0, 0.9, 0.3, 0.0, 0.0, 0.0)))
    sats += orbits.satrecs_from_elements(
        orbits.formation_elements(ref, orbits.lattice_offsets_km(9, 1.0)), epoch,
        first_satnum=300)
    low = orbits.CircularElements(*(np.array([x]) for x in (160.0, 0.7, 2.0, 1.0, 0.0, 0.0)))
    sats += orbits.satrecs_from_elements(low, epoch, first_satnum=400, bstar=0.02)
    odd = orbits.CircularElements(np.array([8000.0, 35786.0]), np.array([0.9, 0.001]),
                                  np.array([0.5, 0.0]), np.array([0.2, 0.0]),
                                  np.array([0.3, 0.0002]), np.array([1.0, 0.0]))
    sats += orbits.satrecs_from_elements(odd, epoch, first_satnum=500)
    return sats


@needs_astroz
def test_astroz_agrees_with_sgp4_on_generated_shells():
    """Over a day at 60 s (and a day and a half later), a mixed fleet: astroz's positions and
    velocities within 1 m and 1 mm/s of python-sgp4's, its error codes the same at every
    sample (the low satellite decays: code 6 from the same sample on)."""
    epoch = epoch_jd(dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
    sats = _shells(epoch)
    assert any(s.method == "d" for s in sats)
    fast = propagators.batch(sats, "astroz")
    assert fast.simd_satellites == sum(s.method == "n" for s in sats)  # all but the GEO one
    ref = propagators.batch(sats, "sgp4")
    for t0 in (0.0, 1.5 * 86400.0):
        jd, fr = jd_pair(epoch, t0 + np.arange(0.0, 86400.0 + 1.0, 60.0))
        err, r, v = fast.sgp4(jd, fr)
        err0, r0, v0 = ref.sgp4(jd, fr)
        np.testing.assert_array_equal(err, err0)
        ok = err0 == 0
        assert 0 < (~ok).sum() < ok.sum()  # the low one decayed, the others did not
        assert r.flags.c_contiguous and r.shape == r0.shape
        assert np.max(np.linalg.norm(r - r0, axis=-1)[ok]) < FAST_TOL_KM
        assert np.max(np.linalg.norm(v - v0, axis=-1)[ok]) < FAST_TOL_KM_S
        # Decayed samples: python-sgp4's own positions, whichever propagator.
        np.testing.assert_array_equal(r[~ok], r0[~ok])


@pytest.mark.parametrize("name", propagators.installed())
def test_states_do_not_depend_on_the_batch_or_the_other_times(name):
    """Bit for bit: a satellite's states are the same whichever satellites share its batch
    (astroz's SIMD lanes, a lone satellite in the last batch included) and whichever other
    times are asked for with them, so blocks and chunks cannot change a run."""
    epoch = epoch_jd(dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
    sats = _shells(epoch)
    jd, fr = jd_pair(epoch, np.arange(0.0, 7200.0, 30.0))
    _, r_all, v_all = propagators.batch(sats, name, reference_jd=epoch).sgp4(jd, fr)
    rng = np.random.default_rng(11)
    for a, b in ((0, 1), (5, 6), (0, 9), (3, 11), (7, 24), (150, 171)):
        cut = rng.integers(1, jd.size - 1)
        part = propagators.batch(sats[a:b], name, reference_jd=epoch)
        for t in (slice(0, cut), slice(cut - 1, None)):
            _, r, v = part.sgp4(jd[t], fr[t])
            np.testing.assert_array_equal(r, r_all[a:b, t])
            np.testing.assert_array_equal(v, v_all[a:b, t])


def test_unknown_or_missing_propagator_names_the_installed_ones(monkeypatch):
    with pytest.raises(propagators.UnknownPropagator, match="installed: .*sgp4"):
        propagators.resolve("sgp5")
    monkeypatch.setattr(propagators, "installed", lambda: ("sgp4",))
    with pytest.raises(propagators.UnknownPropagator,
                       match="'astroz' is not installed here; installed: sgp4"):
        propagators.resolve("astroz")
    assert propagators.resolve(None) == "sgp4"  # the fallback where astroz is missing


def test_default_is_the_fastest_installed_and_preferred_sets_it():
    assert propagators.resolve() == propagators.installed()[0]
    with propagators.preferred("sgp4") as chosen:
        assert chosen == "sgp4" == propagators.resolve()
    assert propagators.resolve() == propagators.installed()[0]
    with pytest.raises(propagators.UnknownPropagator):
        with propagators.preferred("nope"):
            pass


# --- the engine and the commands ---------------------------------------------------------------


@pytest.fixture(scope="module")
def shell():
    from orbitdc.bench import bench_scenario

    return bench_scenario(satellites=40, hours=3.0, step_s=30.0, stations=12)


@needs_astroz
def test_a_flight_by_astroz_has_sgp4s_events_and_summary(shell):
    """The same scenario flown with each propagator: the same event windows (kind, satellite,
    station) with times within 2 ms (each side refines to 1 ms; 1 m of position moves an
    event by ~0.1 ms), and the same summary to 1e-6 relative, but for the propagator named."""
    from conftest import fly_with_events

    from orbitdc.sim import simulate

    runs = {name: fly_with_events(shell, propagator=name) for name in ("sgp4", "astroz")}
    assert runs["astroz"][0].propagator == "astroz" and runs["sgp4"][0].propagator == "sgp4"
    wa, wb = runs["sgp4"][1], runs["astroz"][1]
    assert set(wa) == set(wb) and {"umbra", "penumbra", "contact"} <= set(wa)
    for kind in wa:
        assert len(wa[kind][0]) == len(wb[kind][0]) > 0, kind
        for i in (0, 1, 4, 5):  # satellite, target, clipped flags
            np.testing.assert_array_equal(wa[kind][i], wb[kind][i])
        for i in (2, 3):  # start, end (s)
            np.testing.assert_allclose(wa[kind][i], wb[kind][i], atol=2e-3, rtol=0)
    summaries = {}
    for name in ("sgp4", "astroz"):
        with propagators.preferred(name):
            summaries[name] = simulate(shell).summary
    assert summaries["sgp4"]["propagator"] == "sgp4"
    assert summaries["astroz"]["propagator"] == "astroz"

    def same(a, b, path=""):
        if isinstance(a, dict):
            assert set(a) == set(b), path
            for k in a:
                if path + k != "propagator":
                    same(a[k], b[k], f"{path}{k}.")
        elif isinstance(a, list):
            assert len(a) == len(b), path
            for x, y in zip(a, b):
                same(x, y, path)
        elif isinstance(a, float):
            # The summary rounds to 6 decimals: values agreeing to 1e-7 can print 1e-6 apart
            # (penumbra minutes of a 40-satellite shell did, once shielding gained mass).
            assert b == pytest.approx(a, rel=1e-6, abs=1.5e-6), path
        else:
            assert a == b, path

    same(summaries["sgp4"], summaries["astroz"])


def test_the_summary_names_the_default_propagator(shell):
    from orbitdc.sim import simulate

    short = shell.model_copy(update={"duration_h": 0.2})
    assert simulate(short).summary["propagator"] == propagators.installed()[0]


@pytest.mark.parametrize("command", ["run", "bench"])
def test_an_unknown_propagator_is_a_user_error_naming_the_installed(command, tmp_path):
    from typer.testing import CliRunner

    from orbitdc.cli import app

    args = (["run", "preset:suncatcher", "--out", str(tmp_path / "o")] if command == "run"
            else ["bench", "--satellites", "3", "--hours", "0.1"])
    result = CliRunner().invoke(app, args + ["--propagator", "sgp5"])
    assert result.exit_code == 2, result.output
    assert "sgp5" in result.output and "installed: " + ", ".join(propagators.installed()) \
        in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_without_astroz_a_flight_falls_back_to_sgp4_and_says_so(shell, monkeypatch, tmp_path):
    """Where astroz has no wheel: sgp4 is chosen automatically and the summary names it;
    asking for astroz on the command line is a user error naming sgp4."""
    from typer.testing import CliRunner

    from orbitdc.cli import app
    from orbitdc.sim import simulate

    monkeypatch.setattr(propagators, "installed", lambda: ("sgp4",))
    short = shell.model_copy(update={"duration_h": 0.2})
    assert simulate(short).summary["propagator"] == "sgp4"
    result = CliRunner().invoke(app, ["bench", "--satellites", "3", "--hours", "0.1",
                                      "--propagator", "astroz"])
    assert result.exit_code == 2, result.output
    assert "'astroz' is not installed here; installed: sgp4" in " ".join(result.output.split())
