"""The fast event finder against a plain, obviously-correct reference: dense sampling."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orbitdc.core.events import combine_states, find_crossings, windows_from_crossings


def _reference_crossings(f, t0, t1, dt=1e-3):
    t = np.arange(t0, t1 + dt / 2, dt)
    g = f(t)
    i = np.nonzero((g[:-1] > 0) != (g[1:] > 0))[0]
    return t[i] + dt / 2, g[i + 1] > 0


@settings(max_examples=150, deadline=None)
@given(
    amp=st.floats(0.2, 2.0),
    offset=st.floats(-2.5, 2.5),
    period=st.floats(25.0, 400.0),
    phase=st.floats(0.0, 6.28),
    step=st.floats(5.0, 60.0),
    use_curvature=st.booleans(),
)
def test_crossings_match_dense_reference(amp, offset, period, phase, step, use_curvature):
    """Sinusoids sampled coarsely, including excursions shorter than a step (a grazing pass):
    every crossing of the dense reference is found within 2 ms, and no other.

    The finder assumes at most one extremum per sampling interval (see its docstring), so the
    step stays below a third of the period (extrema are half a period apart). With
    ``use_curvature`` the search is also told |f''| <= amp w^2, which prunes it."""
    assume(step <= period / 3.0)
    # An extremum that just touches zero is a tangency: whether it counts as two crossings or
    # none is below any tolerance.
    assume(min(abs(offset + amp), abs(offset - amp)) > 1e-6)
    w = 2 * np.pi / period

    def f(t):
        return amp * np.sin(w * t + phase) + offset

    t_end = 1000.0
    t = np.arange(0.0, t_end + step / 2, step)
    g = f(t)[None, :]
    rows, times, rising = find_crossings(
        t, g, lambda r, tq: f(tq), rate_bound=amp * w, tol_s=1e-4,
        curvature_bound=amp * w * w if use_curvature else None,
    )
    ref_t, ref_rising = _reference_crossings(f, 0.0, t[-1])
    # A crossing closer than 1 ms to a tangency is not resolvable by either method.
    if ref_t.size and np.min(np.abs(np.diff(np.r_[0.0, ref_t, t[-1]]))) < 5e-3:
        return
    assert times.size == ref_t.size
    np.testing.assert_allclose(times, ref_t, atol=2e-3)
    np.testing.assert_array_equal(rising, ref_rising)


def test_windows_clip_at_run_edges_and_flag_it():
    rows = np.array([0, 0, 1, 1])
    times = np.array([5.0, 8.0, 2.0, 4.0])
    rising = np.array([False, True, True, False])
    r, s, e, c0, c1 = windows_from_crossings(rows, times, rising, np.array([True, False]), 0, 10)
    assert r.tolist() == [0, 0, 1]
    assert s.tolist() == [0.0, 8.0, 2.0]
    assert e.tolist() == [5.0, 10.0, 4.0]
    assert c0.tolist() == [True, False, False]
    assert c1.tolist() == [False, True, False]


def test_penumbra_is_shadow_minus_umbra():
    # shadow 1..9 contains umbra 3..7: penumbra is 1..3 and 7..9
    r, t, rising, start = combine_states(
        np.array([0, 0]), np.array([1.0, 9.0]), np.array([True, False]), np.array([False]),
        np.array([0, 0]), np.array([3.0, 7.0]), np.array([True, False]), np.array([False]), 1,
    )
    _, s, e, _, _ = windows_from_crossings(r, t, rising, start, 0.0, 10.0)
    assert s.tolist() == [1.0, 7.0]
    assert e.tolist() == [3.0, 9.0]


def test_output_events_chooses_the_kinds_written_and_the_summary_counts_them_all():
    """``[output] events = [...]`` writes only those kinds of window (the same rows as the full
    table holds of them); the summary, from the totals kept as windows are found, is the
    same."""
    import pyarrow as pa
    import pyarrow.compute as pc

    import orbitdc
    from orbitdc.model.presets import preset_path

    full = orbitdc.load_scenario(preset_path("iss"))
    some = full.model_copy(update={"output": full.output.model_copy(
        update={"events": ["umbra", "contact"]})})
    a, b = orbitdc.simulate(full), orbitdc.simulate(some)
    kinds = set(a.events.column("kind").to_pylist())
    assert {"umbra", "penumbra", "contact"} <= kinds
    assert set(b.events.column("kind").to_pylist()) == {"umbra", "contact"}
    wanted = a.events.filter(pc.is_in(a.events.column("kind"),
                                      value_set=pa.array(["umbra", "contact"])))
    assert wanted.equals(b.events)
    assert a.summary["kpis"] == b.summary["kpis"]
    assert b.event_rows == wanted.num_rows < a.event_rows


def test_output_events_without_contacts_is_refused_for_data_driven_work():
    """Data-driven batch work finishes when its results are down, which the contact windows
    decide: leaving contacts out of the events is refused naming the key."""
    import datetime as dt

    import pytest

    import orbitdc
    from orbitdc.model import ScenarioError

    data = {
        "name": "eo", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 1.0,
        "step_s": 30.0,
        "satellite": {"sat": {"accelerator": "nvidia-h100-sxm", "accelerators": 2,
                              "bus_load_w": 300.0, "solar": {"rated_power_w": 4000.0},
                              "battery": {"capacity_wh": 6000.0},
                              "radiator": {"area_m2": 8.0}}},
        "fleet": [{"name": "eo", "kind": "sso", "altitude_km": 600.0, "ltan_h": 10.5,
                   "count": 1, "satellite": "sat"}],
        "ground_station": [{"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.41}],
        "workload": [{"name": "imagery", "kind": "batch", "gb_per_orbit": 50.0,
                      "flops_per_gb": 2e16, "result_fraction": 0.05}],
        "output": {"events": ["umbra"]},
    }
    with pytest.raises(ScenarioError, match="output.events"):
        orbitdc.parse_scenario(data)
    data["output"]["events"] = ["umbra", "contact"]
    orbitdc.parse_scenario(data)
