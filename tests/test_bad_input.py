"""Bad input ends with exit code 2 and one clear message naming the file and the key; no
traceback, and nothing is written to --out."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GOOD = textwrap.dedent(
    """
    name = "t"
    start = 2026-03-20T00:00:00Z
    duration_h = 0.5
    step_s = 30.0

    [[fleet]]
    name = "shell"
    kind = "walker"
    altitude_km = 550.0
    inclination_deg = 53.0
    planes = 2
    per_plane = 2
    phasing = 1

    [[ground_station]]
    name = "Svalbard"
    lat_deg = 78.229
    lon_deg = 15.407
    """
)

BAD_TLE = """
ISS
1 25544U 98067A   25274.49975208  .00018288  00000-0  33242-3 0  9998
2 25544  51.6325 140.1428 0001055 183.8834 176.2147 15.4958929053165
"""

CASES = {
    # case: (replace (old, new) in GOOD, expected key, expected words)
    "unknown key": (("phasing = 1", "phasing = 1\nphasng = 2"), "fleet.0.phasng", "unknown key"),
    "unknown event kind": (("step_s = 30.0", "step_s = 30.0\n[output]\nevents = [\"umbra\", \"eclipse\"]"),
                           "output.events.1", "umbra"),
    "wrong type": (('planes = 2', 'planes = "two"'), "fleet.0.planes", "integer"),
    "negative altitude": (("altitude_km = 550.0", "altitude_km = -5.0"), "fleet.0.altitude_km", "150"),
    "altitude inside the Earth": (
        ("altitude_km = 550.0", "altitude_km = 20.0"), "fleet.0.altitude_km", "150"),
    "inclination out of range": (
        ("inclination_deg = 53.0", "inclination_deg = 190.0"), "fleet.0.inclination_deg", "180"),
    "zero step": (("step_s = 30.0", "step_s = 0.0"), "step_s", "greater than 0"),
    "end before start": (("duration_h = 0.5", "duration_h = -1.0"), "duration_h", "greater than 0"),
    "start without timezone": (
        ("start = 2026-03-20T00:00:00Z", "start = 2026-03-20T00:00:00"), "start", "UTC"),
    "phasing out of range": (("phasing = 1", "phasing = 2"), "fleet.0", "phasing"),
    "unknown fleet kind": (('kind = "walker"', 'kind = "ring"'), "fleet.0", "unknown kind"),
    "latitude out of range": (("lat_deg = 78.229", "lat_deg = 91.0"), "ground_station.0.lat_deg", "90"),
    "malformed TLE": (
        ('kind = "walker"', 'kind = "elements"\ntle = """' + BAD_TLE + '"""'),
        "fleet.0",
        "",
    ),
    "step longer than run": (("step_s = 30.0", "step_s = 3600.0"), "", "step_s"),
    "missing file for tle_file": (
        ('kind = "walker"', 'kind = "elements"\ntle_file = "nope.tle"'), "fleet.0.tle_file", "cannot read"),
    "output every_s not a multiple": (
        ("lon_deg = 15.407", 'lon_deg = 15.407\n[output]\nevery_s = 45.0'), "", "multiple of step_s"),
    "unknown output satellite": (
        ("lon_deg = 15.407", 'lon_deg = 15.407\n[output]\nsatellites = ["nope"]'), "output.satellites", "nope"),
    "not TOML": (("[[fleet]]", "[[fleet]"), "", "not valid TOML"),
}


def _orbitdc(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "orbitdc.cli", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_exits_2_with_clear_message(case, tmp_path: Path):
    (old, new), key, words = CASES[case]
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    if case in ("malformed TLE", "missing file for tle_file"):
        # drop the walker keys that elements fleets do not take
        for k in ("altitude_km", "inclination_deg", "planes", "per_plane", "phasing"):
            text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(k))
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    out = tmp_path / "out"
    proc = _orbitdc("run", str(path), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr
    if key:
        assert f": {key}" in proc.stderr
    assert words.lower() in proc.stderr.lower()
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_malformed_tle_names_the_problem(tmp_path):
    from orbitdc.model.elements import parse_tle_text

    with pytest.raises(ValueError, match="69"):
        parse_tle_text(BAD_TLE)
    good = BAD_TLE.replace("15.4958929053165", "15.49589290531650")
    assert len(parse_tle_text(good)) == 1
    with pytest.raises(ValueError, match="checksum"):
        parse_tle_text(good.replace("0  9998", "0  9997"))


def test_missing_scenario_file(tmp_path):
    proc = _orbitdc("validate", "nope.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.toml: file not found" in proc.stderr


def test_good_scenario_validates(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(GOOD)
    proc = _orbitdc("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "4 satellites" in proc.stdout


def test_out_folder_with_foreign_files_is_not_overwritten(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(GOOD)
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    proc = _orbitdc("run", str(path), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert "not an orbitdc run (precious.txt)" in proc.stderr
    assert (out / "precious.txt").read_text() == "keep me"


def test_an_earlier_run_with_a_stranger_inside_is_not_replaced(tmp_path):
    """A summary.json alone does not make a folder a run: the user's files stay."""
    path = tmp_path / "s.toml"
    path.write_text(GOOD)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    (out / "thesis.tex").write_text("keep me")
    proc = _orbitdc("run", str(path), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert (out / "thesis.tex").read_text() == "keep me"
    here = _orbitdc("run", str(path), "--out", ".", cwd=out)
    assert here.returncode == 2 and "current folder" in here.stderr


@pytest.mark.parametrize(
    ("line", "key"),
    [("raan0_deg = inf", "fleet.0.raan0_deg"), ("raan0_deg = nan", "fleet.0.raan0_deg")],
)
def test_inf_and_nan_are_refused(tmp_path, line, key):
    text = GOOD.replace('kind = "walker"', f'kind = "walker"\n{line}', 1)
    assert line in text
    path = tmp_path / "s.toml"
    path.write_text(text)
    proc = _orbitdc("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"{path}: {key}" in proc.stderr


def test_colliding_satellite_names_are_refused(tmp_path):
    text = """
name = "c"
start = 2026-01-01T00:00:00Z
duration_h = 1.0
step_s = 60.0
[[fleet]]
name = "s"
kind = "sso"
altitude_km = 600.0
ltan_h = 10.0
count = 2
[[fleet]]
name = "s-0"
kind = "sso"
altitude_km = 700.0
ltan_h = 10.0
"""
    path = tmp_path / "c.toml"
    path.write_text(text)
    proc = _orbitdc("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2 and "collide" in proc.stderr


def test_no_silent_coercion(tmp_path):
    """true is not 1 hour, "10" is not a number, 2.0 planes is not an integer."""
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "x"\nstart = 2026-01-01T00:00:00Z\nduration_h = true\nstep_s = "10"\n'
        '[[fleet]]\nname = "a"\nkind = "walker"\naltitude_km = 550\ninclination_deg = 53\n'
        "planes = 2.0\nper_plane = 2\n"
    )
    proc = _orbitdc("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    for key in ("duration_h", "step_s", "fleet.0.planes"):
        assert f"{path}: {key}" in proc.stderr
