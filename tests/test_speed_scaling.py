"""How the cost grows with the fleet (``orbitdc bench --scaling``).

The full scaling report (10^3 to 10^6 satellites, minutes and a few GiB) is hand-run, skipped
in CI: ``ORBITDC_BENCH_SCALING=1 python -m pytest tests/test_speed_scaling.py -s``. CI runs the
same code on two small fleets."""

import json
import os

import pytest

from orbitdc.bench import SCALING_SIZES, scaling


def test_scaling_reports_rates_per_worker_and_per_cpu_second():
    rows = scaling(((20, 0.5), (60, 0.25)), stations=3)
    assert [r["satellites"] for r in rows] == [20, 64]  # whole Walker planes: 4 x 5, 8 x 8
    for r in rows:
        assert r["sat_steps"] == r["satellites"] * (int(r["hours"] * 360) + 1)
        assert r["per_worker_rate"] == pytest.approx(r["sat_steps"] / r["wall_s"] / r["workers"])
        assert r["per_cpu_s_rate"] == pytest.approx(r["sat_steps"] / r["cpu_s"])
        assert r["workers"] == 1  # small runs stay in one process
        assert r["propagator"] in ("astroz", "sgp4")


def test_the_scaling_sizes_are_the_issues():
    assert [n for n, _ in SCALING_SIZES] == [10**3, 10**4, 10**5, 10**6]
    hours = [h for _, h in SCALING_SIZES]
    assert hours[-1] < hours[0]  # the largest at a shorter span


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("ORBITDC_BENCH_SCALING"),
                    reason="hand-run: ORBITDC_BENCH_SCALING=1 (minutes, a few GiB)")
def test_scaling_report(tmp_path):
    rows = scaling()
    print(json.dumps(rows, indent=1))
    for r, (n, _) in zip(rows, SCALING_SIZES, strict=True):
        assert abs(r["satellites"] - n) < 0.03 * n  # whole Walker planes
