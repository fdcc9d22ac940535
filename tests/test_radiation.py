"""Radiation: protons in matter against NIST PSTAR, the trapped spectrum's calibration, the
TPU v6e's per-rad rates, the kinds of upset and what each does to a job, cosmic rays shielded
by the geomagnetic field, solar particle events as a seeded process, and the new keys."""

from __future__ import annotations

import copy
import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app
from orbitdc.core import radiation
from orbitdc.core.constants import WGS84_RADIUS_KM
from orbitdc.model.catalogue import shipped_catalogue
from orbitdc.ops.scheduler import Job, schedule
from orbitdc.sim.engine import solar_events_of

AUTHORITIES = Path(__file__).parent / "authorities"

BASE = {
    "accelerator": "tpu-v6e",
    "accelerators": 4,
    "bus_load_w": 300.0,
    "solar": {"rated_power_w": 6000.0},
    "battery": {"capacity_wh": 5000.0},
    "radiator": {"area_m2": 10.0},
}


def _scenario(satellite, fleet, **top):
    data = {
        "name": "rad", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 6.0,
        "step_s": 30.0, "satellite": {"sat": satellite}, "fleet": [fleet],
        "output": {"every_s": 600.0},
    }
    data.update(top)
    return orbitdc.parse_scenario(data)


def _pstar():
    with open(AUTHORITIES / "pstar_protons.csv") as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith(("#", "material"))]
    return [(m, float(e), float(s)) for m, e, s in rows]


@pytest.mark.parametrize(("material", "energy_mev", "pstar"), _pstar())
def test_bethe_stopping_power_matches_nist_pstar(material, energy_mev, pstar):
    """The stopping power the dose and the shielding are computed from, against NIST PSTAR
    (an independent tabulation with shell and density corrections) within 2 %."""
    assert radiation.proton_stopping_power(energy_mev, material) == pytest.approx(pstar,
                                                                                rel=0.02)


def test_range_is_the_integral_of_the_stopping_power():
    """CSDA range: dR/dE = 1/S, and 100 MeV protons stop in ~10 g/cm^2 of aluminium
    (PSTAR's CSDA range, 9.98 g/cm^2, within 2 %)."""
    e = np.array([20.0, 60.0, 200.0])
    h = 1e-3 * e
    slope = (radiation.proton_range_g_cm2(e + h) - radiation.proton_range_g_cm2(e - h)) / (2 * h)
    np.testing.assert_allclose(slope, 1.0 / radiation.proton_stopping_power(e, "al"), rtol=2e-3)
    assert radiation.proton_range_g_cm2(100.0) == pytest.approx(9.98, rel=0.02)


def test_trapped_spectrum_is_calibrated_to_ap8_spectral_ratios():
    """Calibrated to (not validated by) AP-8 MIN's orbit-average > 30 / > 10 MeV ratios
    (radiation-figures.md a, six orbits): the one e-folding energy reproduces each within
    7 %."""
    ratios = {"400/51.6": 9.7 / 13.9, "550/53": 35.6 / 50.7, "550 SSO": 24.8 / 33.8,
              "650 SSO": 49.2 / 67.1, "800 SSO": 112 / 153, "1000 SSO": 265 / 373}
    model = np.exp(-20.0 / radiation.TRAPPED_E0_MEV)
    for orbit, ratio in ratios.items():
        assert model == pytest.approx(ratio, rel=0.07), orbit


def test_tpu_cross_sections_give_back_suncatchers_per_rad_rates():
    """The catalogue's TPU v6e cross-sections are derived from Suncatcher's 67 MeV beam
    rates (arXiv:2511.19468 v2: silent corruption 1 per 14-20 rad, HBM uncorrectable ECC 1
    per 44 rad, crash 1 per 5 krad) with 67 MeV's stopping power in silicon: converted back
    they are the paper's figures (a check of the derivation, not a validation)."""
    tpu = shipped_catalogue().parts["accelerator"]["tpu-v6e"]
    per_rad = radiation.fluence_per_rad(67.0)
    assert radiation.proton_stopping_power(67.0, "si") == pytest.approx(7.88, rel=0.01)  # PSTAR
    rad_per_sdc = 1.0 / (tpu.see_cross_section_cm2 * per_rad)
    assert 14.0 <= rad_per_sdc <= 20.0
    assert 1.0 / (tpu.uecc_cross_section_cm2 * per_rad) == pytest.approx(44.0, rel=0.02)
    assert 1.0 / (tpu.crash_cross_section_cm2 * per_rad) == pytest.approx(5000.0, rel=0.02)


def _long_term(altitude_km, inclination_deg, shielding_mm=10.0):
    """Orbit averages of a circular orbit (uniform longitude and argument of latitude): the
    protons' upset flux behind the shielding, the GCR flux, and the share of the upsets of
    a part with equal proton and GCR cross-sections that falls outside the SAA."""
    from orbitdc.core.frames import geodetic_to_ecef
    from orbitdc.model.environment import trapped_proton_table

    u = np.deg2rad(np.arange(0.0, 360.0, 2.0))
    lat = np.arcsin(np.sin(np.deg2rad(inclination_deg)) * np.sin(u))
    la, lo = np.meshgrid(lat, np.deg2rad(np.arange(-180.0, 180.0, 2.0)))
    alt = np.full(la.shape, altitude_km)
    p = radiation.trapped_proton_flux(la, lo, alt, trapped_proton_table())
    g = radiation.gcr_flux(geodetic_to_ecef(la, lo, alt))
    see = p * radiation.trapped_response(shielding_mm)[1]
    rate = see + g
    return see.mean(), g.mean(), rate[p < 1.0].sum() / rate.sum()


@pytest.mark.parametrize(("altitude_km", "inclination_deg", "irbem"),
                         [(400.0, 51.6, 0.76), (550.0, 53.0, 0.89), (650.0, 97.9, 1.8),
                          (800.0, 98.6, 1.8)])
def test_gcr_orbit_averages_agree_with_the_irbem_field(altitude_km, inclination_deg, irbem):
    """Orbit-average GCR flux against the same spectrum and cutoff formula evaluated with
    IRBEM's McIlwain L in the real (IGRF 2025) field instead of our tilted dipole
    (radiation-figures.md c, solar minimum): the geomagnetic shielding by inclination and
    altitude. Measured: -8 %, -7 %, -2 %, +2 %; within 15 %."""
    _, gcr, _ = _long_term(altitude_km, inclination_deg)
    assert gcr == pytest.approx(irbem, rel=0.15)


def test_heavy_ions_are_shielded_by_the_field_not_the_aluminium():
    """Cosmic rays (heavy ions among them) are cut off by the geomagnetic field: an
    equatorial orbit sees ~6x fewer than a polar one at the same altitude; aluminium does not
    stop them, while it takes protons out: 20 mm pass fewer trapped upset protons than 5 mm,
    and the GCR flux is the same."""
    _, gcr_eq, _ = _long_term(550.0, 5.0)
    _, gcr_polar, _ = _long_term(550.0, 97.6)
    assert gcr_polar / gcr_eq > 4.0
    p5, g5, _ = _long_term(650.0, 97.9, 5.0)
    p20, g20, _ = _long_term(650.0, 97.9, 20.0)
    assert p20 < 0.7 * p5
    assert g20 == g5


@pytest.mark.parametrize(("altitude_km", "inclination_deg"), [(500.0, 97.4), (650.0, 97.9),
                                                             (800.0, 98.6)])
def test_upsets_outside_the_anomaly_are_a_few_percent_as_in_flight(altitude_km,
                                                                   inclination_deg):
    """In flight, 97.5 % of a LEO satellite's SRAM upsets fell in the SAA (Xu et al. 2025,
    HPLPB 37 106011: radiation-figures.md a). With a GCR cross-section equal to the proton
    one (the default) the model puts 2.5-14 % outside it at 500-800 km sun-synchronous
    (measured: docs/validation.md): within a factor of 6 of 2.5 % (the orbit of Xu's
    satellite is not given, so the band is wide)."""
    _, _, outside = _long_term(altitude_km, inclination_deg)
    assert 0.025 / 6.0 < outside < 0.025 * 6.0


def test_each_upset_is_silent_uecc_or_crash_in_the_parts_shares(tmp_path):
    """A part with all three cross-sections: the counts by kind follow their shares (a
    multinomial within 4 sigma); only crashes take an accelerator out (fault windows of
    fault_recovery_s), the others last no time."""
    part = {"kind": "accelerator", "bf16_dense_flops": 1e15, "power_load_w": 100.0,
            "power_idle_w": 10.0, "mass_kg": 1.0, "max_temperature_k": 360.0,
            "tid_tolerance_krad": 10.0, "see_cross_section_cm2": 1.2e-5,
            "uecc_cross_section_cm2": 8e-6, "crash_cross_section_cm2": 4e-6}
    sat = copy.deepcopy(BASE) | {"accelerator": "flaky", "accelerators": 2}
    sc = _scenario(sat, {"name": "w", "kind": "walker", "altitude_km": 550.0,
                         "inclination_deg": 53.0, "planes": 3, "per_plane": 4,
                         "satellite": "sat"},
                   duration_h=12.0, part={"flaky": part})
    res = orbitdc.simulate(sc)
    bus = res.summary["bus"]
    kinds = bus["upsets_by_kind"]
    n = bus["upsets"]
    assert n > 300 and sum(kinds.values()) == n
    for kind, share in (("silent", 0.5), ("uecc", 1 / 3), ("crash", 1 / 6)):
        assert abs(kinds[kind] - n * share) < 4.0 * np.sqrt(n * share * (1 - share)), kind
    faults = res.events.filter(np.asarray(res.events.column("kind").to_pylist()) == "fault")
    long = faults.column("duration_s").to_numpy() > 0
    assert long.sum() == pytest.approx(kinds["crash"], abs=5)  # the last may run past the end
    # events.parquet says each upset's kind and the accelerator it hit: the same counts as
    # the summary's, only crashes lasting, accelerators of the satellite's two.
    written = faults.column("fault").to_pylist()
    assert {k: written.count(k) for k in kinds} == kinds
    assert all((d > 0) == (k == "crash")
               for d, k in zip(faults.column("duration_s").to_pylist(), written))
    acc = faults.column("accelerator").to_numpy()
    assert set(acc.tolist()) == {0, 1}
    others = res.events.filter(np.asarray(res.events.column("kind").to_pylist()) != "fault")
    assert others.column("fault").null_count == others.num_rows
    assert others.column("accelerator").null_count == others.num_rows
    # The run's printed table splits them too.
    from orbitdc import cli

    with cli.out.capture() as printed:
        cli._print_summary(res, tmp_path)
    row = next(line for line in printed.get().splitlines() if "silent / uncorrectable" in line)
    assert row.split()[-6:-1:2] == [str(kinds[k]) for k in ("silent", "uecc", "crash")]


def test_a_silent_corruption_does_not_roll_back_an_uncorrectable_error_does():
    """One job on one accelerator, checkpoints every 600 s, one upset at 1000 s: a silent
    corruption leaves the job's work as it was (the orchestrator cannot see it) and counts
    against the job; an uncorrectable memory error or a crash rolls it back to its checkpoint
    at 600 s."""
    t = np.arange(0.0, 3601.0, 60.0)
    rate = 1e14 * 0.4

    def run(kind):
        job = Job(0, "w", "training", 0.0, 1, rate * 3000.0, 600.0, 0.0)
        upsets = (np.array([0]), np.array([1000.0]), np.array([0]), np.array([kind]))
        return schedule(t, np.ones((1, t.size)), [np.array([0])], [0.0], np.array([1e14]),
                        [job], upsets, mfu=0.4)

    silent = run(radiation.SILENT)
    assert silent.lost_flops[0] == 0.0 and silent.silent_corruptions[0] == 1
    assert silent.end_s[0] == pytest.approx(3000.0)
    for kind in (radiation.UECC, radiation.CRASH):
        hit = run(kind)
        assert hit.lost_flops[0] >= 400.0 * rate and hit.silent_corruptions[0] == 0


def _polar_and_equatorial(events_per_year, duration_h, seed):
    sat = copy.deepcopy(BASE)
    data = {
        "name": "spe", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC),
        "duration_h": duration_h, "step_s": 60.0, "seed": seed, "satellite": {"sat": sat},
        "fleet": [{"name": "polar", "kind": "sso", "altitude_km": 650.0, "ltan_h": 18.0,
                   "satellite": "sat"},
                  {"name": "eq", "kind": "walker", "altitude_km": 650.0,
                   "inclination_deg": 10.0, "planes": 1, "per_plane": 1, "satellite": "sat"}],
        "output": {"satellites": "all", "every_s": 3600.0},
        "radiation": {"solar_particle_events": {"events_per_year": events_per_year}},
    }
    return orbitdc.parse_scenario(data)


def test_solar_particle_events_are_seeded_and_reach_only_where_the_cutoff_is_low():
    """Events drawn from the seed (the same seed, the same events; a longer run keeps a
    shorter one's), with the JPL-91 form's log-normal fluence; their protons reach a polar
    orbit over the poles and not an orbit at 10 degrees (cutoff > 10 GV: only protons above
    ~9 GeV get in, which King's spectrum does not have)."""
    sc = _polar_and_equatorial(100.0, 72.0, 3)
    events = solar_events_of(sc, np.array([0.0, 72 * 3600.0]))
    again = solar_events_of(sc, np.array([0.0, 72 * 3600.0]))
    longer = solar_events_of(sc, np.array([0.0, 720 * 3600.0]))
    np.testing.assert_array_equal(events.start_s, again.start_s)
    np.testing.assert_array_equal(longer.start_s[:events.start_s.size], events.start_s)
    np.testing.assert_array_equal(longer.fluence30[:events.start_s.size], events.fluence30)
    assert events.start_s.size >= 1  # at 100 events a year, seed 3 draws some in 3 days
    res = orbitdc.simulate(sc)
    spe = res.satellites.column("dose_spe_rad").to_numpy()
    names = res.satellites.column("satellite").to_pylist()
    polar, eq = spe[names.index("polar")], spe[names.index("eq")]
    assert polar > 0.0 and eq < 1e-6 * polar
    assert res.summary["bus"]["solar_particle_events"] == events.start_s.size


def test_many_events_average_the_lognormal_mean_fluence():
    """Over 2,000 simulated active years the event rate is ``w`` and the mean fluence above
    30 MeV per event the log-normal's, 10^mu exp((sigma ln 10)^2 / 2), within 4 standard
    errors."""
    w, mu, sigma = 6.0, 7.5, 0.5
    years = 2000.0
    ev = radiation.solar_particle_events(11, years * radiation.SECONDS_PER_YEAR, w, mu, sigma,
                                         86400.0)
    n = ev.start_s.size
    assert abs(n - w * years) < 4.0 * np.sqrt(w * years)
    mean = 10**mu * np.exp(0.5 * (sigma * np.log(10)) ** 2)
    cv = np.sqrt(np.exp((sigma * np.log(10)) ** 2) - 1.0)
    assert abs(ev.fluence30.mean() - mean) < 4.0 * cv * mean / np.sqrt(n)


def test_geomagnetic_cutoff_at_the_equator_and_pole():
    """SAMPEX's measured form at 650 km: ~12.6 GV at the dipole equator, 0 at the pole."""
    pole = radiation._DIPOLE_UNIT
    east = np.cross(pole, [0.0, 0.0, 1.0])
    east /= np.linalg.norm(east)
    r = WGS84_RADIUS_KM + 650.0
    equator = radiation.cutoff_rigidity_gv((east * r)[None, :])[0]
    assert equator == pytest.approx(15.062 * (WGS84_RADIUS_KM / r) ** 2 - 0.363, rel=1e-9)
    assert radiation.cutoff_rigidity_gv((pole * r)[None, :])[0] == 0.0


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [("radiation.solar_particle_events", "events_per_year", -1.0),
     ("radiation.solar_particle_events", "log10_fluence_sigma", 5.0),
     ("radiation.solar_particle_events", "duration_h", 0.0),
     ("radiation.solar_particle_events", "enabled", 1.0),
     ("part.p", "uecc_cross_section_cm2", -1e-9),
     ("part.p", "gcr_cross_section_cm2", -1e-9)],
)
def test_bad_radiation_keys_exit_2_naming_file_and_key(tmp_path, table, key, value):
    lines = ['name = "bad"', "start = 2026-06-21T00:00:00Z", "duration_h = 1.0",
             "step_s = 60.0", "[part.p]", 'kind = "accelerator"', "bf16_dense_flops = 1e14",
             "power_load_w = 100.0", "power_idle_w = 10.0", "mass_kg = 1.0",
             "max_temperature_k = 360.0", "tid_tolerance_krad = 10.0",
             "see_cross_section_cm2 = 1e-9"]
    if table == "part.p":
        lines.append(f"{key} = {value!r}")
    lines += ["[satellite.sat]", 'accelerator = "p"', "solar = { rated_power_w = 6000.0 }",
              "battery = { capacity_wh = 5000.0 }", "radiator = { area_m2 = 10.0 }",
              "[[fleet]]", 'name = "s"', 'kind = "sso"', "altitude_km = 550.0",
              "ltan_h = 12.0", 'satellite = "sat"']
    if table != "part.p":
        lines += [f"[{table}]", f"{key} = {value!r}"]
    path = tmp_path / "bad.toml"
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"{path}: {table}.{key}" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_thin_shielding_warns_that_electrons_are_left_out():
    """Below 5 mm trapped electrons carry much of the dose (SHIELDOSE-2 at 550 km, 50 deg:
    309 rad/yr at 5 mm, where the protons alone give ~210): the design check says so."""
    fleet = {"name": "s", "kind": "sso", "altitude_km": 550.0, "ltan_h": 18.0,
             "satellite": "sat"}
    thin = orbitdc.simulate(_scenario(copy.deepcopy(BASE) | {"shielding_mm_al": 2.0}, fleet,
                                      duration_h=0.5))
    thick = orbitdc.simulate(_scenario(copy.deepcopy(BASE), fleet, duration_h=0.5))
    assert any("trapped electrons" in w for w in thin.summary["warnings"])
    assert not any("trapped electrons" in w for w in thick.summary["warnings"])


def test_let_integral_matches_its_closed_form():
    """For F(> L) = exp(-L / lam) and a shape-1 Weibull (threshold L0, width W), the upsets
    per particle are sat exp(-L0 / lam) lam / (lam + W) (integrate sigma(L) (-dF/dL))."""
    lam, l0, w, sat = 3.0, 1.5, 10.0, 2e-7
    let = np.linspace(1e-3, 80.0, 40_001)
    got = radiation.let_averaged_cross_section(let, np.exp(-let / lam), sat, l0, w, 1.0)
    assert got == pytest.approx(sat * np.exp(-(l0 - 1e-3) / lam) * lam / (lam + w), rel=1e-4)
    # A threshold above the spectrum: no upsets; a zero threshold, a sharp Weibull: the
    # saturation for every particle.
    assert radiation.let_averaged_cross_section(let, np.exp(-let / lam), sat, 100.0, w,
                                                1.0) == 0.0
    assert radiation.let_averaged_cross_section(let, np.exp(-let / lam), sat, 0.0, 1e-6,
                                                1.0) == pytest.approx(sat, rel=1e-6)


def _weibull_scenario(tmp_path, spectrum: str | None, weibull=True):
    part = {"kind": "accelerator", "bf16_dense_flops": 1e15, "power_load_w": 100.0,
            "power_idle_w": 10.0, "mass_kg": 1.0, "max_temperature_k": 360.0,
            "tid_tolerance_krad": 10.0, "see_cross_section_cm2": 0.0,
            "crash_cross_section_cm2": 1e-9}
    if weibull:
        part["ion_weibull"] = {"saturation_cm2": 1e-4, "threshold_mev_cm2_mg": 0.5,
                               "width_mev_cm2_mg": 20.0, "shape": 1.5}
    top = {"part": {"hi": part}}
    if spectrum is not None:
        (tmp_path / "let.csv").write_text(spectrum)
        top["radiation"] = {"gcr_let_spectrum_file": "let.csv"}
    sat = copy.deepcopy(BASE) | {"accelerator": "hi"}
    fleet = {"name": "s", "kind": "sso", "altitude_km": 650.0, "ltan_h": 18.0,
             "satellite": "sat"}
    data = {"name": "ions", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC),
            "duration_h": 2.0, "step_s": 60.0, "satellite": {"sat": sat}, "fleet": [fleet]}
    return orbitdc.parse_scenario(data | top, source=str(tmp_path / "s.toml"),
                                  base_dir=tmp_path)


def test_a_let_spectrum_and_a_weibull_give_the_cosmic_rays_cross_section(tmp_path):
    """With a spectrum file, a part's Weibull gives its per-particle GCR cross-section by the
    LET integral: a spectrum with ten times the share of particles above the threshold gives
    ten times the cross-section; the run uses it (more upsets expected than with the part's
    default GCR cross-section, its 1e-9 cm^2 proton total)."""
    lets = np.geomspace(2e-3, 100.0, 60)
    soft = "let_mev_cm2_mg,flux\n" + "".join(
        f"{x},{1e-4 if x > 0.3 else 1.0}\n" for x in lets)
    hard = soft.replace("0.0001", "0.001")
    (tmp_path / "b").mkdir()
    a, b = _weibull_scenario(tmp_path, soft), _weibull_scenario(tmp_path / "b", hard)
    part = a.satellite_types["sat"].accelerator
    sigma_a = a.radiation.gcr_cross_section_cm2(part)
    sigma_b = b.radiation.gcr_cross_section_cm2(part)
    assert sigma_b == pytest.approx(10 * sigma_a, rel=1e-9) and sigma_a > 0
    exp_a = orbitdc.simulate(a).summary["bus"]["upsets_expected"]
    no_ions = orbitdc.simulate(_weibull_scenario(tmp_path, None, weibull=False))
    exp_p = no_ions.summary["bus"]["upsets_expected"]  # protons + gcr at the 1e-9 default
    assert exp_a > exp_p


@pytest.mark.parametrize(
    ("spectrum", "weibull", "key", "words"),
    [(None, True, "satellite.sat.accelerator", "needs radiation.gcr_let_spectrum_file"),
     ("let,flux\n1,2\n0.5,1\n", True, "radiation.gcr_let_spectrum_file", "ascending"),
     ("let,flux\n1,1\n2,3\n", True, "radiation.gcr_let_spectrum_file", "not increase"),
     ("let,flux\n1,x\n", True, "radiation.gcr_let_spectrum_file", "two numbers")],
)
def test_bad_let_spectra_and_weibulls_name_the_key(tmp_path, spectrum, weibull, key, words):
    with pytest.raises(orbitdc.ScenarioError) as err:
        _weibull_scenario(tmp_path, spectrum, weibull)
    text = str(err.value)
    assert key in text and words in text


def test_a_missing_let_spectrum_file_exits_2(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("\n".join([
        'name = "x"', "start = 2026-06-21T00:00:00Z", "duration_h = 1.0", "step_s = 60.0",
        "[radiation]", 'gcr_let_spectrum_file = "nowhere.csv"',
        "[[fleet]]", 'name = "s"', 'kind = "sso"', "altitude_km = 550.0", "ltan_h = 12.0"])
        + "\n")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"{path}: radiation.gcr_let_spectrum_file" in result.output
    assert "file not found" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
