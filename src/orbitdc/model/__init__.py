"""The scenario layer: pydantic models read from TOML, presets and element-set readers."""

from orbitdc.model.errors import ScenarioError
from orbitdc.model.presets import preset_names, preset_path
from orbitdc.model.scenario import Scenario, load_scenario, parse_scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "preset_names",
    "preset_path",
]
