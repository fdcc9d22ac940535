"""orbitdc against Skyfield, an independent implementation (authority: Skyfield 1.5x with the
JPL DE421 ephemeris bundled in skyfield-data; see tests/authorities/README.md).

Everything runs offline: the timescale is Skyfield's builtin one (its bundled IERS table gives
UT1-UTC) and DE421 comes from the skyfield-data package directory. Tolerances are physical
(degrees, metres, seconds); each is justified where it is used. The measured errors are printed
(run ``pytest -s``) so they can be quoted in the docs.
"""

from __future__ import annotations

import datetime as dt
from importlib.resources import files

import numpy as np
import pyarrow as pa
import pytest
from sgp4.api import Satrec, SatrecArray

skyfield_api = pytest.importorskip("skyfield.api")
pytest.importorskip("skyfield_data")

from skyfield import framelib
from skyfield.api import EarthSatellite, Loader, load, wgs84
from skyfield.searchlib import find_discrete
from skyfield.sgp4lib import TEME

import orbitdc
from orbitdc.core.frames import ecef_to_geodetic, teme_to_ecef
from orbitdc.core.orbits import propagate
from orbitdc.core.sun import sun_position_km
from orbitdc.core.time import epoch_jd, gmst_rad, jd_pair
from orbitdc.sim.fleet import build_fleet

UTC = dt.UTC
DAY_S = 86400.0

ISS_LINE1 = "1 25544U 98067A   25274.49975208  .00018288  00000-0  33242-3 0  9998"
ISS_LINE2 = "2 25544  51.6325 140.1428 0001055 183.8834 176.2147 15.49589290531650"

#: Sun-synchronous case: coarse 60 s step, a high-latitude station seen on most orbits.
SSO_START = dt.datetime(2026, 3, 20, 0, 0, tzinfo=UTC)
SSO_SCENARIO = {
    "name": "sso-coarse",
    "start": SSO_START,
    "duration_h": 24.0,
    "step_s": 60.0,
    "fleet": [{"name": "sso", "kind": "sso", "altitude_km": 800.0, "ltan_h": 10.5}],
    "ground_station": [
        {
            "name": "Svalbard",
            "lat_deg": 78.2297,
            "lon_deg": 15.4077,
            "alt_m": 500.0,
            "min_elevation_deg": 5.0,
        }
    ],
    "output": {"satellites": "all", "every_s": 600.0},
}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ts():
    return load.timescale(builtin=True)


@pytest.fixture(scope="module")
def eph():
    # The data folder is taken from the package directly: skyfield_data.get_skyfield_data_path()
    # warns (RuntimeWarning, an error here) once its bundled finals2000A.all passes its expiry
    # date, although only de421.bsp (valid 1900-2050) is read from it.
    data_dir = str(files("skyfield_data") / "data")
    kernel = Loader(data_dir, verbose=False, expire=False)("de421.bsp")
    yield kernel
    kernel.close()  # an unclosed file is a ResourceWarning, an error under filterwarnings


@pytest.fixture(scope="module")
def iss_run():
    return orbitdc.simulate(orbitdc.load_scenario(orbitdc.preset_path("iss")))


@pytest.fixture(scope="module")
def sso_run():
    scenario = orbitdc.parse_scenario(SSO_SCENARIO)
    return orbitdc.simulate(scenario)


# --- helpers ----------------------------------------------------------------------------------


def _seconds_since(start: dt.datetime, column: pa.ChunkedArray) -> np.ndarray:
    """Event timestamps (timestamp[us, UTC]) as float seconds after ``start``."""
    us = column.cast(pa.int64()).to_numpy()
    start_us = int(round(start.timestamp() * 1e6))
    return (us - start_us) / 1e6


def _events(run, kind: str, target: str | None = None) -> dict[str, np.ndarray]:
    ev = run.events
    mask = np.asarray(ev.column("kind").to_pylist()) == kind
    if target is not None:
        mask &= np.asarray(ev.column("target").to_pylist(), dtype=object) == target
    sub = ev.filter(pa.array(mask))
    start = run.scenario.start
    return {
        "start": _seconds_since(start, sub.column("start")),
        "end": _seconds_since(start, sub.column("end")),
        "duration": sub.column("duration_s").to_numpy(),
        "clipped": np.asarray(sub.column("clipped_start").to_pylist(), dtype=bool)
        | np.asarray(sub.column("clipped_end").to_pylist(), dtype=bool),
    }


def _skyfield_time_span(ts, run):
    start = run.scenario.start
    return ts.from_datetime(start), ts.from_datetime(
        start + dt.timedelta(seconds=run.scenario.duration_s)
    )


def _seconds_after(t, t0) -> np.ndarray:
    """Skyfield times as seconds after ``t0`` (TT difference; no leap second in these runs)."""
    return np.atleast_1d((t.whole - t0.whole) + (t.tt_fraction - t0.tt_fraction)) * DAY_S


def _sunlit_transitions(sat, eph, t0, t1) -> np.ndarray:
    """Times (s after t0) where Skyfield's sun-centre eclipse test flips. ``is_sunlit`` asks
    whether the line to the Sun's centre (DE421, geometric) meets a sphere of radius 6378.1366 km,
    so each flip is the middle of a penumbra: the Sun's centre on the Earth's limb."""

    def sunlit(t):
        return sat.at(t).is_sunlit(eph)

    sunlit.step_days = 60.0 / DAY_S  # sunlit and shadow arcs last > 20 min in LEO
    t, _ = find_discrete(t0, t1, sunlit)  # default epsilon: 1 ms
    return _seconds_after(t, t0)


def _check_penumbra_against_transitions(pen, transitions, label):
    """Each transition lies in a penumbra window (1 s slack); each unclipped window holds one."""
    slack_s = 1.0
    assert transitions.size > 0, f"{label}: Skyfield found no eclipse"
    inside = (transitions[:, None] >= pen["start"][None, :] - slack_s) & (
        transitions[:, None] <= pen["end"][None, :] + slack_s
    )
    lost = transitions[~inside.any(axis=1)]
    assert lost.size == 0, f"{label}: Skyfield shadow transitions outside any penumbra: {lost}"
    counts = inside.sum(axis=0)
    bad = np.nonzero((counts != 1) & ~pen["clipped"])[0]
    assert bad.size == 0, (
        f"{label}: penumbra windows {[(pen['start'][i], pen['end'][i]) for i in bad]} hold "
        f"{counts[bad]} Skyfield transitions, expected one each"
    )
    # Diagnostic: where the Sun's centre crosses the limb inside our window. The disks' overlap
    # is nearly symmetric about that instant, so it should be near the middle of the window;
    # the offset measures the Sun-direction and shadow-geometry error in time.
    j = np.argmax(inside, axis=1)
    mid = 0.5 * (pen["start"][j] + pen["end"][j])
    offset = transitions - mid
    print(
        f"\n{label}: {transitions.size} shadow transitions, {pen['start'].size} penumbra windows; "
        f"max |transition - window middle| = {np.max(np.abs(offset)):.3f} s; penumbra "
        f"duration {pen['duration'].min():.2f}-{pen['duration'].max():.2f} s"
    )
    return offset


def _skyfield_passes(sat, topos, t0, t1, min_el_deg):
    """Complete (rise, set) pairs from Skyfield's find_events, seconds after t0. A pass whose
    rise or set lies outside [t0, t1] is dropped (its window is clipped on our side)."""
    t, kind = sat.find_events(topos, t0, t1, altitude_degrees=min_el_deg)
    secs = _seconds_after(t, t0)
    rises, sets = [], []
    pending = None
    for s, k in zip(secs, kind):
        if k == 0:
            pending = s
        elif k == 2:
            if pending is not None:
                rises.append(pending)
                sets.append(s)
            pending = None
    return np.asarray(rises), np.asarray(sets)


def _refine_crossing(sat, topos, ts, t0, t_s, min_el_deg, span_s=3.0):
    """Skyfield's own elevation crossing near ``t_s`` to 1 ms (find_events stops at 0.5 s)."""

    def above(t):
        return (sat - topos).at(t).altaz()[0].degrees >= min_el_deg

    above.step_days = 1.0 / DAY_S
    a = ts.tt_jd(t0.whole, t0.tt_fraction + (t_s - span_s) / DAY_S)
    b = ts.tt_jd(t0.whole, t0.tt_fraction + (t_s + span_s) / DAY_S)
    t, _ = find_discrete(a, b, above)
    assert len(t) == 1, f"no single elevation crossing near {t_s:.1f} s"
    return float(_seconds_after(t, t0)[0])


def _check_contacts(run, sat, ts, stations, label, refine=True):
    """Contact windows vs Skyfield rise/set, one to one within 1 s. Returns max errors (s)."""
    t0, t1 = _skyfield_time_span(ts, run)
    worst_coarse = worst_fine = 0.0
    total = 0
    for st in stations:
        topos = wgs84.latlon(st.lat_deg, st.lon_deg, elevation_m=st.alt_m)
        rises, sets = _skyfield_passes(sat, topos, t0, t1, st.min_elevation_deg)
        ours = _events(run, "contact", st.name)
        keep = ~ours["clipped"]
        o_start, o_end = ours["start"][keep], ours["end"][keep]
        assert o_start.size == rises.size, (
            f"{label}/{st.name}: {o_start.size} unclipped contacts, Skyfield finds "
            f"{rises.size} passes\nours: {list(zip(o_start, o_end))}\n"
            f"skyfield: {list(zip(rises, sets))}"
        )
        # Skyfield's find_events returns the first half-second step past the crossing, so its
        # times are late by 0-0.5 s; our refinement is ~1 ms. 1 s covers that plus the
        # UT1-UTC (~0.1 s of Earth rotation, a few ms of pass timing) we neglect.
        err = np.concatenate([o_start - rises, o_end - sets])
        assert np.all(np.abs(err) < 1.0), f"{label}/{st.name}: rise/set errors {err} s"
        worst_coarse = max(worst_coarse, float(np.max(np.abs(err), initial=0.0)))
        total += rises.size
        if refine:
            # Same passes against Skyfield's crossing refined to 1 ms: this is what the engine's
            # own refinement should reach. 0.1 s is 0.7 km along track, far above the expected
            # few ms but well below the step, so a coarse-step interpolation error would show.
            fine = np.asarray(
                [_refine_crossing(sat, topos, ts, t0, s, st.min_elevation_deg) for s in o_start]
                + [_refine_crossing(sat, topos, ts, t0, s, st.min_elevation_deg) for s in o_end]
            )
            err_fine = np.concatenate([o_start, o_end]) - fine
            assert np.all(np.abs(err_fine) < 0.1), f"{label}/{st.name}: {err_fine} s"
            worst_fine = max(worst_fine, float(np.max(np.abs(err_fine), initial=0.0)))
    assert total > 0, f"{label}: no complete passes to compare"
    print(
        f"\n{label}: {total} passes; max |ours - find_events| = {worst_coarse:.3f} s; "
        f"max |ours - Skyfield refined to 1 ms| = {worst_fine:.4f} s"
    )


# --- 1. Sun direction -------------------------------------------------------------------------


def test_sun_position_against_de421(ts, eph):
    """Almanac low-precision Sun vs DE421 apparent Sun, 50 instants over 2000-2049.

    The formula is quoted accurate to 0.01 deg in direction (Astronomical Almanac, section C5)
    over 1950-2050; that is the tolerance. Compared in the true equator and equinox of date
    (Skyfield's apparent place) and in TEME (true equator, mean equinox; the frame the engine
    uses it in): the two differ by the equation of the equinoxes (< 0.0003 deg).
    Distance: the formula's series, 1.00014 - 0.01671 cos g - 0.00014 cos 2g AU, is accurate to
    about 0.0001 AU; tolerance 0.0002 AU (30,000 km, an irrelevant 0.0001 deg of Sun radius).
    """
    rng = np.random.default_rng(2000)
    days = np.linspace(0.0, (dt.date(2049, 12, 31) - dt.date(2000, 1, 1)).days, 50)
    seconds = np.round(rng.uniform(0.0, DAY_S, days.size))  # varied times of day
    when = [
        dt.datetime(2000, 1, 1, tzinfo=UTC) + dt.timedelta(days=float(d), seconds=float(s))
        for d, s in zip(np.floor(days), seconds)
    ]
    pairs = [epoch_jd(w) for w in when]
    jd = np.array([p[0] for p in pairs])
    fr = np.array([p[1] for p in pairs])
    ours = sun_position_km(jd, fr)
    ours_unit = ours / np.linalg.norm(ours, axis=-1, keepdims=True)

    t = ts.from_datetimes(when)
    apparent = eph["earth"].at(t).observe(eph["sun"]).apparent()
    errors = {}
    for name, frame in [("true of date", framelib.true_equator_and_equinox_of_date), ("TEME", TEME)]:
        ref = apparent.frame_xyz(frame).km.T
        ref_unit = ref / np.linalg.norm(ref, axis=-1, keepdims=True)
        cross = np.linalg.norm(np.cross(ours_unit, ref_unit), axis=-1)
        dot = np.einsum("ij,ij->i", ours_unit, ref_unit)
        errors[name] = np.rad2deg(np.arctan2(cross, dot))
        assert np.all(errors[name] < 0.01), f"{name}: Sun direction error {errors[name].max()} deg"
    dist_err_au = np.abs(np.linalg.norm(ours, axis=-1) - apparent.distance().km) / 149_597_870.7
    assert np.all(dist_err_au < 2e-4), f"Sun distance error {dist_err_au.max()} AU"
    print(
        f"\nSun: max direction error {errors['true of date'].max():.5f} deg (true of date), "
        f"{errors['TEME'].max():.5f} deg (TEME); max distance error {dist_err_au.max():.6f} AU"
    )


# --- 2. Frames ------------------------------------------------------------------------------


def test_iss_geodetic_track_against_skyfield(ts):
    """ISS sub-satellite point and height over one day: orbitdc's TEME -> ECEF (GMST 1982 with
    UTC as UT1, no polar motion) -> WGS-84 geodetic vs Skyfield's full TEME -> GCRS -> ITRS
    chain (UT1 from its IERS table) and ``wgs84.geographic_position_of``.

    Expected differences: UT1-UTC (~0.1 s in 2025: ~45 m of Earth rotation at the equator) and
    polar motion (Skyfield applies none without a polar-motion table; < 15 m in any case). Both
    move the point horizontally; the height barely changes. Tolerance 50 m horizontal and 50 m
    in height (the brief's figure; SGP4 itself is only good to ~1 km, so this tests the frame
    chain, not the orbit).
    """
    epoch = epoch_jd(dt.datetime(2025, 10, 1, 12, 0, tzinfo=UTC))
    t_s = np.arange(0.0, DAY_S, 300.0)
    jd, fr = jd_pair(epoch, t_s)
    sat = Satrec.twoline2rv(ISS_LINE1, ISS_LINE2)
    err, r, _ = propagate(SatrecArray([sat]), jd, fr)
    assert not err.any()
    lat, lon, alt_km = ecef_to_geodetic(teme_to_ecef(r[0], gmst_rad(jd, fr)))

    sky_sat = EarthSatellite(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)", ts)
    t = ts.utc(2025, 10, 1, 12, 0, t_s)
    ref = wgs84.geographic_position_of(sky_sat.at(t))

    # Horizontal error: distance between the two ground points, both placed on the ellipsoid by
    # Skyfield (independent of orbitdc's geodetic_to_ecef).
    ours_ground = wgs84.latlon(np.rad2deg(lat), np.rad2deg(lon)).itrs_xyz.m
    ref_ground = wgs84.latlon(ref.latitude.degrees, ref.longitude.degrees).itrs_xyz.m
    horizontal_m = np.linalg.norm(ours_ground - ref_ground, axis=0)
    height_m = np.abs(alt_km * 1000.0 - ref.elevation.m)
    assert np.all(horizontal_m < 50.0), f"ground-track error up to {horizontal_m.max():.1f} m"
    assert np.all(height_m < 50.0), f"height error up to {height_m.max():.1f} m"
    print(
        f"\nISS geodetic: max horizontal error {horizontal_m.max():.2f} m, "
        f"max height error {height_m.max():.3f} m ({t_s.size} instants)"
    )


# --- 3. Shadow windows ------------------------------------------------------------------------


def test_iss_penumbra_windows_bracket_skyfield_shadow(iss_run, ts, eph):
    """Every Skyfield sun-centre eclipse transition of the ISS over the preset day lies inside one
    of our penumbra windows, and each unclipped window holds exactly one.

    A transition is where the Sun's centre crosses the Earth's limb; our penumbra runs from
    first to last contact of the solar disk with the limb (+-0.27 deg of Sun radius, ~5 s each
    side for the ISS). The direction error of the Sun (< 0.01 deg, ~0.15 s of ISS motion) and the
    0.4 m radius difference (6378.137 vs 6378.1366 km) are far inside that, so the 1 s slack is
    only for the sampling of the reference itself.
    """
    sat = EarthSatellite(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)", ts)
    t0, t1 = _skyfield_time_span(ts, iss_run)
    transitions = _sunlit_transitions(sat, eph, t0, t1)
    pen = _events(iss_run, "penumbra")
    offset = _check_penumbra_against_transitions(pen, transitions, "ISS shadow")
    # Physical sanity: at 420 km the Sun's 0.53 deg disk takes ~10 s to set behind the limb at
    # low beta angle, longer at high beta; 5-60 s brackets every ISS geometry.
    assert np.all((pen["duration"] > 5.0) & (pen["duration"] < 60.0)), pen["duration"]
    # Each eclipse: one penumbra on entry and one on exit, each touching its umbra window.
    umb = _events(iss_run, "umbra")
    assert pen["start"].size == 2 * umb["start"].size - np.sum(umb["clipped"])
    # The transition sits near the window's middle (the overlap grows almost symmetrically):
    # 1 s is 20% of the half-window and ~6x the Sun-direction error in time.
    assert np.all(np.abs(offset) < 1.0), offset


def test_sso_coarse_step_penumbra_windows_bracket_skyfield_shadow(sso_run, ts, eph):
    """Same check on an 800 km sun-synchronous orbit sampled every 60 s: the penumbra (~20 s)
    falls between two samples, so only the engine's refinement can find it. Passing shows the
    windows do not depend on the step."""
    satrec = build_fleet(sso_run.scenario).satrec_list[0]
    sat = EarthSatellite.from_satrec(satrec, ts)
    t0, t1 = _skyfield_time_span(ts, sso_run)
    transitions = _sunlit_transitions(sat, eph, t0, t1)
    pen = _events(sso_run, "penumbra")
    offset = _check_penumbra_against_transitions(pen, transitions, "SSO shadow (60 s step)")
    assert np.all((pen["duration"] > 5.0) & (pen["duration"] < 120.0)), pen["duration"]
    assert np.all(np.abs(offset) < 1.0), offset


# --- 4. Ground contacts -----------------------------------------------------------------------


def test_iss_contacts_against_skyfield_find_events(iss_run, ts):
    """ISS preset, five stations: contact windows vs Skyfield's rise/set, one to one."""
    sat = EarthSatellite(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)", ts)
    _check_contacts(iss_run, sat, ts, iss_run.scenario.ground_station, "ISS contacts (10 s step)")


def test_sso_coarse_step_contacts_against_skyfield_find_events(sso_run, ts):
    """800 km SSO over Svalbard with a 60 s step: refinement must not depend on the step."""
    satrec = build_fleet(sso_run.scenario).satrec_list[0]
    sat = EarthSatellite.from_satrec(satrec, ts)
    _check_contacts(
        sso_run, sat, ts, sso_run.scenario.ground_station, "SSO contacts (60 s step)"
    )
