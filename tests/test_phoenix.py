"""The ``phoenix`` policy (Liu et al., INFOCOM 2024; ``orbitdc.ops.phoenix``): its
classification of sunlight-sufficient and -deficient satellites from the flight's sunlit
ratio, its stops at the discharge limit, its settings refused outside their meaning (exit 2
naming the key), and a run where it moves work to the satellites that never see an umbra."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitdc.ops.phoenix import Phoenix
from orbitdc.ops.scheduler import RunningJobs

SCENARIO = """
name = "phoenix"
start = 2026-06-21T00:00:00Z
duration_h = 3.0
step_s = 60.0
[satellite.sat]
accelerator = "nvidia-h100-sxm"
accelerators = 4
bus_load_w = 300.0
solar = {{ rated_power_w = 6000.0 }}
battery = {{ capacity_wh = 5000.0 }}
radiator = {{ area_m2 = 10.0 }}
[[fleet]]
name = "noon"
kind = "sso"
altitude_km = 550.0
ltan_h = 12.0
count = 2
satellite = "sat"
[[fleet]]
name = "dawn"
kind = "sso"
altitude_km = 550.0
ltan_h = 6.0
count = 2
satellite = "sat"
[[workload]]
name = "work"
kind = "batch"
jobs = 20
arrival = "poisson"
rate_per_h = 8.0
flops = 2e18
accelerators = 2
[policy]
name = "{policy}"
{extra}
"""


def _view(ratio, soc, capacity=None, outlook=None):
    n = len(ratio)
    return SimpleNamespace(k=0, t_s=0.0, capacity=np.full(n, 4.0) if capacity is None
                           else np.asarray(capacity, float), soc=np.asarray(soc, float),
                           headroom_k=np.full(n, 50.0), sunlit_ratio=np.asarray(ratio, float),
                           outlook=np.full(n, 0.5) if outlook is None else np.asarray(outlook))


def test_sufficient_first_by_energy_then_deficient_then_over_the_limit():
    p = Phoenix()
    v = _view(ratio=[0.63, 1.0, 1.0, 0.63, 0.63], soc=[0.95, 0.9, 0.9, 0.7, np.nan],
              outlook=[0.9, 0.4, 0.8, 1.0, 0.5])
    order = np.argsort(-p.score(v), kind="stable")
    assert list(order) == [2, 1, 0, 4, 3]  # sufficient by energy; deficient; over the limit
    # Without a sunlit ratio (the orchestrator alone) every satellite counts as deficient.
    bare = SimpleNamespace(**{**vars(v), "sunlit_ratio": None})
    assert np.all(p.score(bare) < 2.0)


def _running(row_job, row_sat, row_acc, acc):
    n = len(acc)
    z = np.zeros(n)
    return RunningJobs(ids=np.arange(n), accelerators=np.asarray(acc), submitted_s=z,
                       started_s=z, progress=z, since_checkpoint_s=z,
                       row_job=np.asarray(row_job), row_satellite=np.asarray(row_sat),
                       row_accelerators=np.asarray(row_acc))


def test_stops_only_what_the_satellites_within_the_limit_can_take():
    p = Phoenix(max_depth_of_discharge=0.2)
    # Satellite 0 deficient and 30 % discharged runs gangs 0 and 1 (2 each); satellite 1,
    # sufficient, has 2 free accelerators: only gang 0 is stopped.
    v = _view(ratio=[0.6, 1.0], soc=[0.7, 1.0], capacity=[4.0, 4.0])
    run = _running(row_job=[0, 1, 2], row_sat=[0, 0, 1], row_acc=[2, 2, 2], acc=[2, 2, 2])
    assert list(p.preempt(v, run)) == [True, False, False]
    # Within the limit nothing stops.
    assert Phoenix(max_depth_of_discharge=0.5).preempt(v, run) is None


def _run(tmp_path, policy, extra=""):
    path = tmp_path / f"{policy}.toml"
    path.write_text(SCENARIO.format(policy=policy, extra=extra))
    out = tmp_path / f"out-{policy}"
    proc = subprocess.run([sys.executable, "-m", "orbitdc.cli", "run", str(path), "--out",
                           str(out), "--epochs", "0"], check=False, capture_output=True,
                          text=True, cwd=tmp_path)
    return proc, out


def _utilisation(out):
    t = pq.read_table(out / "timeseries.parquet", columns=["satellite", "utilisation"])
    sat = np.asarray(t.column("satellite").to_pylist())
    u = t.column("utilisation").to_numpy()
    return {n: float(u[sat == n].mean()) for n in np.unique(sat)}


def test_work_moves_to_the_satellites_in_sunlight_all_orbit(tmp_path):
    """Dawn-dusk at 550 km in June never enters the umbra (sunlit ratio 1); noon orbits
    spend a third of each orbit in it. First fit fills the noon satellites (listed first);
    PHOENIX fills the dawn ones first, and all jobs still finish."""
    use = {}
    for policy in ("first-fit", "phoenix"):
        proc, out = _run(tmp_path, policy)
        assert proc.returncode == 0, proc.stderr
        use[policy] = _utilisation(out)
    dawn = {p: use[p]["dawn-0"] + use[p]["dawn-1"] for p in use}
    noon = {p: use[p]["noon-0"] + use[p]["noon-1"] for p in use}
    assert dawn["phoenix"] > dawn["first-fit"] and noon["phoenix"] < noon["first-fit"]
    assert sum(use["phoenix"].values()) == pytest.approx(sum(use["first-fit"].values()),
                                                         rel=0.05)


@pytest.mark.parametrize("extra, key", [
    ("[policy.phoenix]\nsufficient_sunlit_ratio = 1.5", "policy.phoenix.sufficient_sunlit_ratio"),
    ("[policy.phoenix]\nmax_depth_of_discharge = 1.0", "policy.phoenix.max_depth_of_discharge"),
    ("[policy.phoenix]\nsunlit = 0.9", "policy.phoenix.sunlit"),
])
def test_a_setting_outside_its_meaning_exits_2_naming_the_key(tmp_path, extra, key):
    proc, out = _run(tmp_path, "phoenix", extra)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()

