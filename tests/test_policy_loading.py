"""A scheduling policy of the user's own: ``[policy] name = "module:attribute"`` loads from
beside the scenario, bad references are exit code 2 naming ``policy.name``; and the line
``orbitdc compare`` prints per policy saying where it wins, ties or loses."""

from __future__ import annotations

import json
import sys
import textwrap

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app
from orbitdc.model.errors import ScenarioError
from orbitdc.ops.policies import resolve_policy, verdict

SCENARIO = """
name = "own-policy"
start = 2026-06-21T00:00:00Z
duration_h = 1.0
step_s = 60.0
[satellite.sat]
accelerator = "nvidia-h100-sxm"
accelerators = 4
bus_load_w = 300.0
solar = { rated_power_w = 6000.0 }
battery = { capacity_wh = 5000.0 }
radiator = { area_m2 = 10.0 }
[[fleet]]
name = "s"
kind = "sso"
altitude_km = 550.0
ltan_h = 12.0
count = 2
satellite = "sat"
[[workload]]
name = "train"
kind = "training"
jobs = 1
flops = 1e18
accelerators = 2
[policy]
name = "{policy}"
"""

POLICIES = '''
import numpy as np


class Greedy:
    name = "greedy"
    migrates = False
    inference_first = False

    def score(self, view):
        return -np.arange(len(view.capacity), dtype=float)


class Unnamed:
    migrates = True
    inference_first = False

    def score(self, view):
        return None


greedy = Greedy()


class NoScore:
    name = "no-score"
    migrates = False
    inference_first = False


class IntMigrates(Greedy):
    migrates = 1
'''


@pytest.fixture
def module_name(request):
    """A module name of this test's own: each test imports from its own tmp_path."""
    name = f"mypolicies_{request.node.name.replace('[', '_').replace(']', '').replace('-', '_')}"
    yield name
    sys.modules.pop(name, None)


def _write(tmp_path, module_name, policy):
    (tmp_path / f"{module_name}.py").write_text(textwrap.dedent(POLICIES), encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace("{policy}", policy), encoding="utf-8")
    return path


@pytest.mark.parametrize("attr, name, migrates", [("Greedy", "greedy", False),
                                                  ("greedy", "greedy", False),
                                                  ("Unnamed", None, True)])
def test_a_policy_beside_the_scenario_loads(tmp_path, module_name, attr, name, migrates):
    spec = f"{module_name}:{attr}"
    sc = orbitdc.load_scenario(_write(tmp_path, module_name, spec))
    assert sc.policy.name == spec
    before = list(sys.path)
    policy = resolve_policy(sc.policy.name, sc.source, base_dir=sc.base_dir)
    assert sys.path == before  # the scenario's folder was on it for the import only
    assert policy.name == (name or spec)  # a policy without a name is named by its reference
    assert policy.migrates is migrates and policy.inference_first is False
    assert callable(policy.score)
    if attr == "greedy":
        assert policy is sys.modules[module_name].greedy  # an instance is used as it is
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "s.toml")])
    assert result.exit_code == 0, result.output


def test_shipped_names_give_the_shipped_policies():
    from orbitdc.ops.scheduler import POLICY_CLASSES

    for name, policy in POLICY_CLASSES.items():
        assert resolve_policy(name) is policy
    assert resolve_policy(POLICY_CLASSES["first-fit"]) is POLICY_CLASSES["first-fit"]


@pytest.mark.parametrize("attr, expected", [
    (None, "No module named"),  # a module that is not there
    ("Missing", "has no attribute 'Missing'"),
    ("NoScore", "no score(view) method"),
    ("IntMigrates", "migrates must be a bool"),
])
def test_bad_policy_references_are_exit_code_2_naming_policy_name(tmp_path, module_name, attr,
                                                                  expected):
    spec = f"nosuchmodule_{module_name}:Greedy" if attr is None else f"{module_name}:{attr}"
    path = _write(tmp_path, module_name, spec)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "policy.name" in result.output and str(path) in result.output
    assert expected in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    with pytest.raises(ScenarioError) as exc:
        resolve_policy(spec, str(path), base_dir=tmp_path)
    assert exc.value.problems[0][0] == "policy.name"


def test_run_refuses_a_bad_policy_before_flying(tmp_path, module_name):
    path = _write(tmp_path, module_name, f"{module_name}:NoScore")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    assert "policy.name" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("name", ["random", "mypolicies", "mypolicies:", ":Greedy",
                                  "my-policies:Greedy", "a:b:c"])
def test_names_that_are_neither_shipped_nor_module_attribute_are_refused(tmp_path, name):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace("{policy}", name), encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        orbitdc.load_scenario(path)
    (key, message), = exc.value.problems
    assert key == "policy.name"
    assert "first-fit, power-aware, thermal-aware, latency-aware" in message
    assert "module:attribute" in message


def test_dotted_modules_and_attributes_are_references(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace("{policy}", "pkg.sub:Outer.Inner"), encoding="utf-8")
    assert orbitdc.load_scenario(path).policy.name == "pkg.sub:Outer.Inner"


def test_compare_refuses_a_policy_it_cannot_import(tmp_path, module_name):
    path = _write(tmp_path, module_name, "first-fit")
    result = CliRunner().invoke(app, ["compare", str(path), "--policies",
                                      f"first-fit,{module_name}:NoScore"])
    assert result.exit_code == 2, result.output
    assert "--policies" in result.output and "no score(view) method" in result.output
    result = CliRunner().invoke(app, ["compare", str(path), "--policies", "first-fit,random"])
    assert result.exit_code == 2 and "--policies" in result.output
    assert "module:attribute" in result.output
    assert not list(tmp_path.glob("*.csv"))


def test_verdict_says_where_a_policy_wins_ties_and_loses():
    figures = [
        ("jobs finished", 3, 2, True),
        ("goodput", 10.0, 10.0 * (1 + 1e-9), True),  # within 1e-6: a tie
        ("utilisation", 0.5, 0.6, True),
        ("completion", 1.0, 2.0, False),  # lower is better
        ("energy per EFLOP", 5.0, 4.0, False),
        ("round trip", None, None, False),  # both missing: a tie
        ("queueing", None, 1.0, False),  # only one has it
    ]
    assert verdict("power-aware", "first-fit", figures) == (
        "power-aware vs first-fit: wins on jobs finished, completion; ties on goodput, "
        "round trip; loses on utilisation, energy per EFLOP; n/a on queueing")
    assert verdict("a", "b", [("work lost", 0.0, 0.0, False)]) == "a vs b: ties on work lost"
    assert verdict("a", "b", [("goodput", 1.0, 1.001, True)]) == "a vs b: loses on goodput"
    assert verdict("a", "b", []) == "a vs b: no figures to compare"


def test_the_documented_policy_loads_and_scores(tmp_path):
    """The example policy in docs/scenario.md is a policy resolve_policy accepts."""
    import re
    from pathlib import Path
    from types import SimpleNamespace

    import numpy as np

    text = (Path(__file__).resolve().parents[1] / "docs" / "scenario.md").read_text("utf-8")
    (block,) = re.findall(r"```python\n(# mypolicies.py.*?)```", text, re.S)
    name = "mypolicies_documented"
    (tmp_path / f"{name}.py").write_text(block, encoding="utf-8")
    try:
        policy = resolve_policy(f"{name}:Greedy", "docs/scenario.md", base_dir=tmp_path)
        assert (policy.name, policy.migrates, policy.inference_first) == ("greedy", False, False)
        view = SimpleNamespace(capacity=np.array([1.0, 4.0]), soc=np.array([0.5, 0.9]),
                               headroom_k=np.array([10.0, 20.0]), outlook=np.array([1.0, 3.0]),
                               t_s=0.0, k=0)
        assert np.argmax(policy.score(view)) == 1
        from orbitdc.ops.scheduler import RunningJobs

        view.outlook = np.array([0.05, 0.9])
        running = RunningJobs(  # gang 0 on both satellites, gang 1 on the second alone
            ids=np.array([7, 9]), accelerators=np.array([2, 1]), submitted_s=np.zeros(2),
            started_s=np.zeros(2), progress=np.zeros(2), since_checkpoint_s=np.zeros(2),
            row_job=np.array([0, 0, 1]), row_satellite=np.array([0, 1, 1]),
            row_accelerators=np.array([1, 1, 1]))
        assert policy.preempt(view, running).tolist() == [True, False]
    finally:
        sys.modules.pop(name, None)


def test_a_run_flies_a_users_policy_from_beside_the_scenario(tmp_path, module_name):
    """orbitdc run with a policy of the user's own that ranks the last satellite first: the
    job runs there (first-fit would take the first), and the summary names the policy."""
    path = _write(tmp_path, module_name, f"{module_name}:LastFirst")
    with (tmp_path / f"{module_name}.py").open("a", encoding="utf-8") as f:
        f.write(textwrap.dedent('''

            class LastFirst:
                name = "last-first"
                migrates = False
                inference_first = False

                def score(self, view):
                    return np.arange(len(view.capacity), dtype=float)
            '''))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["jobs"]["policy"] == "last-first"
    assert summary["jobs"]["states"]["finished"] == 1
    table = pq.read_table(out / "jobs.parquet")
    assert table.column("placement").to_pylist() == ["s-1:2"]


PREEMPTING = '''

class StopAtThree:
    """Stops every running gang at the fourth step (t = 180 s)."""
    name = "stop-at-three"
    migrates = False
    inference_first = False

    def score(self, view):
        return None

    def preempt(self, view, running):
        return np.full(running.ids.size, view.k == 3)


class WrongShape(StopAtThree):
    def preempt(self, view, running):
        return np.ones(running.ids.size + 1, bool)


class Raises(StopAtThree):
    def preempt(self, view, running):
        return 1 / 0
'''


def _write_preempting(tmp_path, module_name, attr):
    path = _write(tmp_path, module_name, f"{module_name}:{attr}")
    text = path.read_text()
    path.write_text(text.replace('accelerators = 2\n', 'accelerators = 2\ncheckpoint_s = 30.0\n'))
    with (tmp_path / f"{module_name}.py").open("a", encoding="utf-8") as f:
        f.write(textwrap.dedent(PREEMPTING))
    return path


def test_a_policy_can_preempt_a_gang_which_checkpoints_and_waits_a_step(tmp_path, module_name):
    """The gang (2 accelerators, 1e18 FLOP: ~21 min at 40 % of an H100's peak) is stopped at
    180 s: it saves a checkpoint, waits out that step in the queue, restarts at 240 s where it
    stopped, pays the checkpoint's 30 s, and finishes 90 s later than it would have."""
    path = _write_preempting(tmp_path, module_name, "StopAtThree")
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    jobs = json.loads((out / "summary.json").read_text())["jobs"]
    assert jobs["policy"] == "stop-at-three" and jobs["preemptions"] == 1
    row = pq.read_table(out / "jobs.parquet").to_pylist()[0]
    assert row["preemptions"] == 1 and row["checkpoints"] == 1 and row["state"] == "finished"
    assert (row["restarted"] - row["started"]).total_seconds() == pytest.approx(240.0)
    assert row["queued_s"] == pytest.approx(60.0)
    rate = 2 * 0.4 * orbitdc.load_scenario(path).catalogue.get(
        "accelerator", "nvidia-h100-sxm").bf16_dense_flops
    assert row["run_s"] == pytest.approx(1e18 / rate + 60.0 + 30.0, abs=1e-6)
    assert row["work_done_flops"] == pytest.approx(1e18)


@pytest.mark.parametrize("attr, said", [
    ("WrongShape", "preempt(view, running) must return None or a bool array over the 1 "
                   "running gangs, got bool of shape (2,)"),
    ("Raises", "preempt() raised ZeroDivisionError: division by zero"),
])
def test_a_policy_that_preempts_wrongly_is_exit_code_2_naming_policy_name(
        tmp_path, module_name, attr, said):
    path = _write_preempting(tmp_path, module_name, attr)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "policy.name" in result.output and said in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not out.exists()


ODD = '''

class ScoreText(StopAtThree):
    def score(self, view):
        return "abc"


class ScoreRagged(StopAtThree):
    def score(self, view):
        return [1, [2, 3]]


class PreemptRagged(StopAtThree):
    def preempt(self, view, running):
        return [True, [False]]


class NameRaises(StopAtThree):
    @property
    def name(self):
        raise RuntimeError("no name today")
'''


@pytest.mark.parametrize("attr, said", [
    ("ScoreText", "score(view) must return None or an array of numbers over the 2 satellites, "
                  "got str 'abc'"),
    ("ScoreRagged", "got list [1, [2, 3]]"),
    ("PreemptRagged", "preempt(view, running) must return None or a bool array over the 1 "
                      "running gangs, got list [True, [False]]"),
    ("NameRaises", "reading its attributes raised RuntimeError: no name today"),
], ids=["text", "ragged", "ragged_preempt", "name_raises"])
def test_odd_returns_and_attributes_of_a_policy_are_exit_code_2_too(tmp_path, module_name,
                                                                     attr, said):
    path = _write_preempting(tmp_path, module_name, attr)
    with (tmp_path / f"{module_name}.py").open("a", encoding="utf-8") as f:
        f.write(textwrap.dedent(ODD))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--epochs", "0"])
    assert result.exit_code == 2, result.output
    assert "policy.name" in result.output and said in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_compare_names_the_policy_option_when_a_policy_fails_in_flight(tmp_path, module_name):
    """A policy given to ``compare --policies`` that raises while the flight runs: exit 2,
    the error placed at ``--policies`` (where the user named it), not at the scenario's
    ``policy.name``."""
    path = _write_preempting(tmp_path, module_name, "Raises")
    result = CliRunner().invoke(app, ["compare", str(path), "--policies",
                                      f"first-fit,{module_name}:Raises"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "--policies" in said and "preempt() raised ZeroDivisionError" in said
    assert "policy.name" not in said and "Traceback" not in said
