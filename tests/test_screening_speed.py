"""The screening speed target (issue 14): 30,000 objects x 24 h at 5 km in under 20 s on the
project's 2-core machine. Hand-run (it takes a minute or more and measures the machine, so CI
does not pay for it): ``ORBITDC_BENCH_SCREEN=1 python -m pytest tests/test_screening_speed.py
-s``. The figures go in docs/performance.md."""

from __future__ import annotations

import os
import time

import pytest

from orbitdc.core import conjunctions as cj
from orbitdc.core.time import epoch_jd
from screening_population import EPOCH, catalogue_like

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("ORBITDC_BENCH_SCREEN"),
                       reason="hand-run benchmark: set ORBITDC_BENCH_SCREEN=1"),
]

TARGET_S = 20.0


def test_30000_objects_24_h_at_5_km():
    sats = catalogue_like(30_000, 1, shell_share=0.0)
    cj.screen(sats[:300], epoch_jd(EPOCH), 600.0, 5.0)  # compile the kernels outside the clock
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    res = cj.screen(sats, epoch_jd(EPOCH), 86400.0, 5.0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    s = res["stats"]
    # The stages overlap (the search runs on two threads while the calling thread propagates
    # the next chunk and refines the last): the search's figure is its wall time, the others
    # the calling thread's. CPU time (all threads) says what the run needs of free cores;
    # the load average before it says what others took of them.
    print(f"\nscreen 30,000 x 24 h at 5 km: {wall:.1f} s wall, {cpu:.1f} s CPU (load "
          f"{load:.1f} before); {len(res['a'])} approaches, {s['candidates']} candidates; "
          f"propagate {s['propagate_s']:.1f} s ({s['engine']}), search {s['search_s']:.1f} s, "
          f"refine {s['refine_s']:.1f} s")
    assert wall < TARGET_S
