"""The documentation's examples are real: the complete scenario in docs/scenario.md validates,
uses every key the schema knows, and runs."""

import re
import tomllib
from pathlib import Path

import orbitdc
from orbitdc.model import catalogue, economics, network, satellite, workload
from orbitdc.model import scenario as schema

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _example() -> dict:
    text = (DOCS / "scenario.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/scenario.md should hold exactly one complete TOML example"
    return tomllib.loads(blocks[0])


def test_complete_example_validates_and_runs():
    sc = orbitdc.parse_scenario(_example(), source="docs/scenario.md")
    assert {f.kind for f in sc.fleet} == {"walker", "sso", "cluster", "elements"}
    res = orbitdc.simulate(sc)
    assert res.summary["fleet"]["satellites"] == len(sc.satellite_names) == 24 + 3 + 9 + 1
    assert set(res.summary["kpis"]["contact_min_per_station"]) == {"Svalbard", "Singapore"}


def test_complete_example_mentions_every_key():
    """Each field of each model appears in the example or its comments."""
    text = (DOCS / "scenario.md").read_text(encoding="utf-8")
    block = re.findall(r"```toml\n(.*?)```", text, re.S)[0]
    models = [
        schema.Scenario,
        schema.WalkerFleet,
        schema.SsoFleet,
        schema.ClusterFleet,
        schema.ElementsFleet,
        schema.GroundStation,
        schema.Output,
        satellite.SatelliteType,
        satellite.SolarConfig,
        satellite.BatteryConfig,
        satellite.RadiatorConfig,
        catalogue.Accelerator,
        economics.Economics,
        economics.GroundBaseline,
        network.Network,
        network.IslConfig,
        network.UserRegion,
        workload.Workload,
        workload.Policy,
    ]
    missing = [
        f"{m.__name__}.{key}"
        for m in models
        for key in m.model_fields
        if key not in {"fleet", "ground_station", "output", "kind", "ground", "isl"}
        and not re.search(rf"(^|[\s#\[{{]){key}(\s*=|\.|\])", block, re.M)
    ]
    assert not missing, f"docs/scenario.md example lacks {missing}"
