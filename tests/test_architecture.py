"""The layer contract (imports point down only) and the public API."""

import shutil
import subprocess
import sys
from pathlib import Path

import orbitdc

ROOT = Path(__file__).resolve().parents[1]


def test_import_layers_point_down():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    assert exe, "import-linter is a test dependency"
    proc = subprocess.run([exe, str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_public_api_is_explicit():
    assert sorted(orbitdc.__all__) == sorted(
        [
            "__version__", "Results", "ScenarioError", "costs", "load_scenario", "parse_scenario",
            "preset_names", "preset_path", "run_to_directory", "simulate", "sweep", "Client",
        ]
    )
    for name in orbitdc.__all__:
        assert hasattr(orbitdc, name)


def test_presets_are_shipped_and_valid():
    assert orbitdc.preset_names() == [
        "iss", "spacex-odc", "starcloud-40mw", "starlink", "suncatcher", "suncatcher-launch",
    ]
    sizes = {n: len(orbitdc.load_scenario(orbitdc.preset_path(n)).satellite_names)
             for n in orbitdc.preset_names()}
    assert sizes == {"iss": 1, "starlink": 72 * 22, "suncatcher": 81, "starcloud-40mw": 1,
                     "suncatcher-launch": 1, "spacex-odc": 1}
