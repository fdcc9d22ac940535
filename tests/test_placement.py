"""The compiled placement kernels (orbitdc.ops.placement) against a plain reference of the
scheduler's rules, by hand and on random fleets, and their speed on a million satellites."""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitdc.ops import placement

# --- the reference: the placement rules and the migration loop, as plain loops and dicts ----


def ref_plan(acc, bw, pinned, groups, spans, free):
    """Where a job goes with ``free`` (clamped) accelerators: {satellite: count} ({}: nowhere)."""
    if pinned is not None:
        return {pinned: acc} if free[pinned] >= acc else {}
    for members, span in zip(groups, spans):
        if len(members) == 1 or span < bw:
            for s in members:
                if free[s] >= acc:
                    return {s: acc}
            continue
        plan = {}
        need = acc
        for s in members:
            take = min(free[s], need)
            if take > 0:
                plan[s] = take
                need -= take
            if need == 0:
                return plan
    return {}


def ref_place(raw, groups, spans, jobs):
    """Place ``jobs`` [(acc, bw, pinned)] in order; ``raw`` (list) is updated. Returns rows."""
    rows = []
    for j, (acc, bw, pinned) in enumerate(jobs):
        plan = ref_plan(acc, bw, pinned, groups, spans, [max(x, 0) for x in raw])
        for s, n in plan.items():
            rows.append((j, s, n))
            raw[s] -= n
    return rows


def ref_moves(raw, groups, spans, outlook, gain, cands):
    """The power-aware loop of ``schedule()``: ``cands`` [(acc, bw, {sat: n})]. Returns the
    placements after it and which moved."""
    out, moved = [], []
    for acc, bw, cur in cands:
        current = min(outlook[s] for s in cur)
        if current >= 1.0 - 1e-9:  # schedule() skips these; the kernel need not (outlook <= 1)
            out.append(dict(cur))
            moved.append(False)
            continue
        for s, n in cur.items():
            raw[s] += n
        plan = ref_plan(acc, bw, None, groups, spans, [max(x, 0) for x in raw])
        if plan and plan != cur and min(outlook[s] for s in plan) >= current + gain:
            new, m = plan, True
        else:
            new, m = cur, False
        for s, n in new.items():
            raw[s] -= n
        out.append(dict(new))
        moved.append(m)
    return out, moved


def layout(groups, spans):
    seq = np.array([s for g in groups for s in g], np.int64)
    starts = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    return seq, starts, np.array(spans, float)


def run_place(free, groups, spans, jobs):
    seq, starts, span = layout(groups, spans)
    f = np.array(free, np.int64)
    job, sat, cnt = placement.place(
        f, seq, starts, span, np.array([j[0] for j in jobs], np.int64),
        np.array([j[1] for j in jobs], float),
        np.array([-1 if j[2] is None else j[2] for j in jobs], np.int64))
    return list(zip(job.tolist(), sat.tolist(), cnt.tolist())), f.tolist()


# --- random fleets -------------------------------------------------------------------------------

BANDWIDTHS = [0.0, 1e9, 5e9, 10e9, 20e9]


@st.composite
def fleets(draw):
    n = draw(st.integers(1, 12))
    order = draw(st.permutations(range(n)))
    order = order[: n - draw(st.integers(0, min(2, n - 1)))]  # some only reachable pinned
    groups, i = [], 0
    while i < len(order):
        if draw(st.integers(0, 7)) == 7:
            groups.append([])  # an empty group now and then
        k = draw(st.integers(1, 4))
        groups.append(list(order[i: i + k]))
        i += k
    spans = [draw(st.sampled_from(BANDWIDTHS)) for _ in groups]
    free = draw(st.lists(st.integers(-2, 8), min_size=n, max_size=n))
    return n, groups, spans, free


@st.composite
def placements(draw):
    n, groups, spans, free = draw(fleets())
    jobs = draw(st.lists(st.tuples(st.integers(1, 10), st.sampled_from(BANDWIDTHS),
                                   st.one_of(st.none(), st.integers(0, n - 1))),
                         min_size=1, max_size=10))
    return groups, spans, free, jobs


@st.composite
def migrations(draw):
    n, groups, spans, free = draw(fleets())
    outlook = [draw(st.sampled_from([i / 10 for i in range(11)])) for _ in range(n)]
    cands = []
    for _ in range(draw(st.integers(1, 6))):
        sats = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
        cur = {s: draw(st.integers(1, 4)) for s in sats}
        cands.append((sum(cur.values()), draw(st.sampled_from(BANDWIDTHS)), cur))
    gain = draw(st.sampled_from([0.05, 0.1, 0.2, 0.5]))
    return groups, spans, free, outlook, gain, cands


@settings(deadline=None, max_examples=200)
@given(placements())
def test_place_matches_the_reference(case):
    groups, spans, free, jobs = case
    raw = list(free)
    want = ref_place(raw, groups, spans, jobs)
    got, got_free = run_place(free, groups, spans, jobs)
    assert got == want
    assert got_free == raw
    for j, (acc, _, _) in enumerate(jobs):
        placed = [c for jj, _, c in got if jj == j]
        assert not placed or sum(placed) == acc


@settings(deadline=None, max_examples=150)
@given(migrations())
def test_plan_moves_matches_the_reference(case):
    groups, spans, free, outlook, gain, cands = case
    raw = list(free)
    want, want_moved = ref_moves(raw, groups, spans, outlook, gain, cands)
    seq, starts, span = layout(groups, spans)
    f = np.array(free, np.int64)
    ptr = np.concatenate([[0], np.cumsum([len(c[2]) for c in cands])])
    ptr, sat, cnt, moved = placement.plan_moves(
        f, seq, starts, span, np.array(outlook), gain, [c[0] for c in cands],
        [c[1] for c in cands], ptr, [s for c in cands for s in c[2]],
        [n for c in cands for n in c[2].values()])
    got = [list(zip(sat[a:b].tolist(), cnt[a:b].tolist())) for a, b in zip(ptr[:-1], ptr[1:])]
    assert got == [list(p.items()) for p in want]
    assert moved.tolist() == want_moved
    assert f.tolist() == raw


# --- by hand -------------------------------------------------------------------------------------

# Satellites 0..3: a linked group [0, 1, 2] (10 Gbit/s), then satellite 3 on its own.
GROUPS = [[0, 1, 2], [3]]
SPANS = [10e9, 0.0]
FREE = [2, 0, 3, 8]


def test_a_gang_spans_a_linked_group_in_order():
    rows, free = run_place(FREE, GROUPS, SPANS, [(4, 5e9, None)])
    assert rows == [(0, 0, 2), (0, 2, 2)]
    assert free == [0, 0, 1, 8]


def test_links_too_slow_keep_a_gang_on_one_satellite():
    rows, free = run_place(FREE, GROUPS, SPANS, [(3, 20e9, None), (4, 20e9, None)])
    assert rows == [(0, 2, 3), (1, 3, 4)]
    assert free == [2, 0, 0, 4]


def test_a_pinned_job_runs_on_its_satellite_or_waits():
    rows, free = run_place(FREE, GROUPS, SPANS, [(1, 0.0, 1), (8, 0.0, 3), (1, 0.0, 3)])
    assert rows == [(1, 3, 8)]
    assert free == [2, 0, 3, 0]


def test_a_job_that_fits_nowhere_waits_and_later_ones_backfill():
    rows, free = run_place(FREE, GROUPS, SPANS, [(9, 0.0, None), (6, 0.0, None),
                                                 (1, 0.0, None)])
    assert rows == [(1, 3, 6), (2, 0, 1)]
    assert free == [1, 0, 3, 2]


def test_negative_free_counts_as_none():
    rows, free = run_place([-2, 1, 0, 0], [[0, 1]], [1.0], [(1, 0.0, None), (1, 0.0, 0)])
    assert rows == [(0, 1, 1)]
    assert free == [-2, 0, 0, 0]


def test_nan_bandwidth_compares_as_in_the_scheduler():
    # ``span < bw`` is false when either is NaN, so the gang may span the group.
    for span, bw in [(math.nan, 5e9), (1e9, math.nan)]:
        rows, _ = run_place([1, 1], [[0, 1]], [span], [(2, bw, None)])
        assert rows == [(0, 0, 1), (0, 1, 1)]


def test_a_gang_moves_to_a_clearly_better_outlook_only():
    # Power-aware order: the best outlook first.
    seq, starts, span = layout([[1], [2], [0]], [0.0, 0.0, 0.0])
    outlook = np.array([0.3, 0.9, 0.4])
    for gain, moves in [(0.2, True), (0.7, False)]:
        free = np.array([0, 2, 2], np.int64)  # the gang's 2 on satellite 0 already out
        ptr, sat, n, moved = placement.plan_moves(free, seq, starts, span, outlook, gain, [2],
                                                  [0.0], [0, 1], [0], [2])
        assert moved.tolist() == [moves]
        assert ptr.tolist() == [0, 1]
        assert (sat.tolist(), n.tolist()) == (([1], [2]) if moves else ([0], [2]))
        assert free.tolist() == ([2, 0, 2] if moves else [0, 2, 2])


def test_bad_inputs_are_refused_and_change_nothing():
    seq, starts, span = layout(GROUPS, SPANS)
    one = (np.array([1], np.int64), np.zeros(1), np.array([-1], np.int64))
    with pytest.raises(TypeError):
        placement.place(np.array(FREE, float), seq, starts, span, *one)
    with pytest.raises(TypeError):
        placement.place(np.array(FREE, np.int64), seq.astype(float), starts, span, *one)
    bad = [
        (np.array([0, 1, 1, 3]), starts, span, one, "twice"),
        (np.array([0, 1, 2, 4]), starts, span, one, "out of range"),
        (seq, starts[:-1], span, one, "one more entry"),
        (seq, np.array([0, 3, 2]), span, one, "run from 0"),
        (seq, np.array([0, 3, 2, 4]), np.zeros(3), one, "decrease"),
        (seq, starts, span, (np.array([0]), np.zeros(1), np.array([-1])), "accelerators"),
        (seq, starts, span, (np.array([1]), np.zeros(1), np.array([4])), "job_pinned"),
        (seq, starts, span, (np.array([1, 1]), np.zeros(1), np.array([-1])), "one entry"),
    ]
    for seq_, starts_, span_, jobs, message in bad:
        free = np.array(FREE, np.int64)
        with pytest.raises(ValueError, match=message):
            placement.place(free, seq_, starts_, span_, *jobs)
        assert free.tolist() == FREE
    outlook = np.ones(4)
    moves = [
        (outlook, [1, 1], [0], [1], "cur_ptr"),
        (outlook, [0, 2], [0], [1], "cur_ptr"),
        (outlook, [0, 1], [0], [1, 1], "cur_ptr"),
        (outlook, [0, 1], [7], [1], "cur_sat"),
        (outlook[:3], [0, 1], [0], [1], "outlook"),
    ]
    for outlook_, ptr, sats, counts, message in moves:
        free = np.array(FREE, np.int64)
        with pytest.raises(ValueError, match=message):
            placement.plan_moves(free, seq, starts, span, outlook_, 0.2, [1], [0.0], ptr, sats,
                                 counts)
        assert free.tolist() == FREE


def test_nothing_to_place_or_move():
    seq, starts, span = layout(GROUPS, SPANS)
    free = np.array(FREE, np.int64)
    job, sat, cnt = placement.place(free, seq, starts, span, [], [], [])
    assert job.size == sat.size == cnt.size == 0
    ptr, sat, cnt, moved = placement.plan_moves(free, seq, starts, span, np.ones(4), 0.2, [], [],
                                                [0], [], [])
    assert ptr.tolist() == [0] and sat.size == cnt.size == moved.size == 0
    assert free.tolist() == FREE


def test_a_larger_fleet_matches_the_reference():
    """Deeper trees than the random cases reach: 2,000 satellites, linked groups of 2..300
    among single ones, 300 jobs, then moves of the first 100 placed."""
    rng = np.random.default_rng(7)
    n = 2000
    order = rng.permutation(n).tolist()
    groups, spans, i = [], [], 0
    while i < n:
        k = int(rng.choice([1, 1, 1, 1, 2, 5, 40, 300]))
        groups.append(order[i: i + k])
        spans.append(float(rng.choice(BANDWIDTHS)))
        i += k
    free = rng.integers(-1, 5, n).tolist()
    jobs = [(int(rng.integers(1, 12)), float(rng.choice(BANDWIDTHS)),
             int(rng.integers(0, n)) if rng.random() < 0.1 else None) for _ in range(300)]
    raw = list(free)
    want = ref_place(raw, groups, spans, jobs)
    got, got_free = run_place(free, groups, spans, jobs)
    assert got == want
    assert got_free == raw
    placed = {}
    for j, s, c in got:
        placed.setdefault(j, {})[s] = c
    cands = [(jobs[j][0], jobs[j][1], placed[j]) for j in sorted(placed)[:100]]
    # A later step: a new outlook, and the groups and members in its order (power-aware).
    outlook = rng.random(n).round(1).tolist()
    ranked = sorted(zip(groups, spans), key=lambda gs: -max(outlook[s] for s in gs[0]))
    groups = [sorted(g, key=lambda s: (-outlook[s], s)) for g, _ in ranked]
    spans = [s for _, s in ranked]
    want_free = list(raw)
    want, want_moved = ref_moves(want_free, groups, spans, outlook, 0.2, cands)
    seq, starts, span = layout(groups, spans)
    f = np.array(raw, np.int64)
    ptr, sat, cnt, moved = placement.plan_moves(
        f, seq, starts, span, np.array(outlook), 0.2, [c[0] for c in cands],
        [c[1] for c in cands], np.concatenate([[0], np.cumsum([len(c[2]) for c in cands])]),
        [s for c in cands for s in c[2]], [n for c in cands for n in c[2].values()])
    got = [list(zip(sat[a:b].tolist(), cnt[a:b].tolist())) for a, b in zip(ptr[:-1], ptr[1:])]
    assert got == [list(p.items()) for p in want]
    assert moved.tolist() == want_moved
    assert any(want_moved)
    assert f.tolist() == want_free


# --- speed ---------------------------------------------------------------------------------------


def million_satellites(rng):
    """10^6 satellites in a random order, one-satellite groups but for one linked group of
    10^4 half-way; a nearly full fleet (1 % with 1..8 free) and 10^4 jobs of 1..8 that ask
    about as much as it has, some needing more bandwidth than the links give, a few pinned."""
    n_s, n_linked, n_j = 1_000_000, 10_000, 10_000
    seq = rng.permutation(n_s).astype(np.int64)
    n_before = n_s // 2
    sizes = np.ones(n_s - n_linked + 1, np.int64)
    sizes[n_before] = n_linked
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    span = np.zeros(sizes.size)
    span[n_before] = 100e9
    free = np.zeros(n_s, np.int64)
    some = rng.choice(n_s, n_s // 100, replace=False)
    free[some] = rng.integers(1, 9, some.size)
    acc = rng.integers(1, 9, n_j).astype(np.int64)
    bw = rng.choice([0.0, 50e9, 200e9], n_j)
    pinned = np.where(rng.random(n_j) < 0.01, rng.integers(0, n_s, n_j), -1).astype(np.int64)
    return free, seq, starts, span, acc, bw, pinned


def test_placement_of_ten_thousand_jobs_on_a_million_satellites_is_fast():
    placement.warm_up()
    free0, seq, starts, span, acc, bw, pinned = million_satellites(np.random.default_rng(1))
    best = np.inf
    for _ in range(3):
        free = free0.copy()
        t0 = time.perf_counter()
        job, sat, cnt = placement.place(free, seq, starts, span, acc, bw, pinned)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.2, best
    # What was taken is what the rows say, every placed gang is whole, and the fleet is full
    # for what was left waiting (but for pinned jobs).
    np.testing.assert_array_equal(free0 - free, np.bincount(sat, cnt, free.size))
    assert (free >= 0).all()
    np.testing.assert_array_equal(np.bincount(job, cnt, acc.size)[np.unique(job)],
                                  acc[np.unique(job)])
    waiting = np.setdiff1d(np.arange(acc.size), job)
    assert waiting.size > 0
    assert all(acc[j] > free.max() for j in waiting if pinned[j] < 0 and bw[j] > 100e9)
    # Moving the first thousand placed gangs is fast too.
    first = np.unique(job)[:1000]
    keep = np.isin(job, first)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(job[keep], minlength=acc.size)[first])])
    outlook = np.random.default_rng(2).random(free.size).round(1)
    t0 = time.perf_counter()
    placement.plan_moves(free, seq, starts, span, outlook, 0.2, acc[first], bw[first], ptr,
                         sat[keep], cnt[keep])
    assert time.perf_counter() - t0 < 0.2
