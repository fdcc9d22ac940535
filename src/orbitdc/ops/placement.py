"""Placing queued gangs on the fleet's free accelerators, compiled.

The orchestrator's placement rules (:mod:`orbitdc.ops.scheduler`), on arrays:

- the policy's order is one sequence ``seq`` of satellites: its groups in the order it tries
  them, each group's members in its rank order, concatenated; ``group_start`` (G+1,) marks
  where each group begins;
- a job pinned to a satellite runs whole there if that satellite has the accelerators, else
  it waits;
- otherwise the groups are tried in order. A group of more than one satellite whose links carry
  the job's bandwidth (``group_span_bps[g]`` not below it) takes the gang if its members have
  the accelerators between them: each member in order gives what it has free until the gang is
  whole. Any other group (one satellite, or links too slow) takes it whole on its first member
  with enough free accelerators;
- a job that fits nowhere waits; the jobs after it are still tried (backfill).

The naive walk tries every satellite for every job: ``O(J S)``, 10^10 steps for 10^4 jobs on a
full fleet of 10^6 satellites. Here two trees answer the walk's questions instead. A max-tree
over the positions of ``seq`` gives "the first position at or after ``i`` with at least ``a``
free" in ``O(log S)``; a second one over the linked groups (more than one satellite) keeps
their total free and, fixed, their link bandwidth, and gives "the first linked group the job
may span whose members have ``a`` between them". The job goes to whichever of the two comes
first in the policy's order (a linked group the job may span that holds a satellite with ``a``
free also has ``a`` in total, so it wins; a satellite whose group's links are too slow takes it
whole). Placing a job updates both trees.

Cost: building the trees ``O(S + G)``; a job ``O(log S)`` plus ``O(log S)`` for each satellite
it lands on (at most its accelerators). The linked-group search descends into the subtrees
where both the largest total and the largest bandwidth pass: ``O(log M)`` for ``M`` linked
groups in the fleets one meets (one per linked fleet, a handful), at worst ``O(M)`` per job
when groups with slow links and many free accelerators interleave with fast ones that are full.

``free`` may hold negative values (a satellite with more allocated than it can run now); they
count as no free accelerators, and returning accelerators to such a satellite adds to the
negative number, as ``max(capacity - allocated, 0)`` recomputed would.

The kernels raise nothing (an exception site costs numba much compile time): they return a
status code, and the Python functions :func:`place` and :func:`plan_moves` check the inputs'
types, call them, and raise ``ValueError`` with the code's message.
"""

from __future__ import annotations

import numpy as np

from orbitdc.core._jit import kernel

__all__ = ["place", "plan_moves", "warm_up"]

#: Depth of the explicit stack the linked-group search uses: enough for 2^62 groups.
_STACK = 128
#: The tree over satellites holds int32 (half the memory traffic of building it): more free
#: accelerators than this on one satellite count as this many (exact for jobs, which are
#: refused above it).
_INT32_MAX = 2**31 - 1

#: What each status code of the kernels means.
_ERRORS = {
    1: "group_start must have one more entry than group_span_bps",
    2: "group_start must run from 0 to len(seq)",
    3: "group_start must not decrease",
    4: "seq holds a satellite index out of range",
    5: "seq holds a satellite twice",
    6: "more than 2^31 - 1 satellites",
    7: "the job arrays must have one entry per job",
    8: "a job needs from 1 to 2^31 - 1 accelerators",
    9: "job_pinned holds a satellite index out of range (-1: not pinned)",
    10: "cur_ptr must run from 0 to len(cur_sat) == len(cur_n), not decreasing",
    11: "cur_sat holds a satellite index out of range",
    12: "outlook must have one entry per satellite",
}


# --- trees ---------------------------------------------------------------------------------------


@kernel
def _pow2_at_least(n):
    """The smallest power of two >= ``n`` (and >= 1)."""
    size = 1
    while size < n:
        size *= 2
    return size


@kernel
def _set_leaf(tree, size, i, value):
    """Set leaf ``i`` of the max-tree ``tree`` (2 size,) to ``value`` and fix its ancestors."""
    node = size + i
    tree[node] = value
    node >>= 1
    while node > 0:
        a = tree[2 * node]
        b = tree[2 * node + 1]
        m = a if a >= b else b
        if tree[node] == m:
            break  # the ancestors above are unchanged too
        tree[node] = m
        node >>= 1


@kernel
def _first_at_least(tree, size, lo, x):
    """The first leaf index ``>= lo`` of the max-tree ``tree`` whose value is ``>= x``, or -1.

    ``O(log size)``: climb to the next subtree to the right until one holds such a value, then
    descend into its leftmost such leaf."""
    if lo >= size or tree[1] < x:
        return -1
    node = size + lo
    while tree[node] < x:
        while node & 1:  # a right child: the next subtree to the right is above
            node >>= 1
        if node == 0:
            return -1
        node += 1
    while node < size:
        node *= 2
        if tree[node] < x:
            node += 1
    return node - size


@kernel
def _first_group(tot, span, size, hi, acc, bw, st_node, st_lo, st_w):
    """The first slot ``< hi`` of the group trees with ``tot >= acc`` and ``span >= bw``, or -1.

    ``tot`` (2 size,) int64 and ``span`` (2 size,) float64 are max-trees over the same slots;
    the search descends depth first, left to right, into the subtrees where both maxima pass.
    ``st_*`` (_STACK,) are scratch stacks."""
    if hi <= 0 or tot[1] < acc or span[1] < bw:
        return -1
    st_node[0] = 1
    st_lo[0] = 0
    st_w[0] = size
    top = 1
    while top > 0:
        top -= 1
        node = st_node[top]
        lo = st_lo[top]
        w = st_w[top]
        if lo >= hi or tot[node] < acc or span[node] < bw:
            continue
        if w == 1:
            return lo
        h = w // 2
        st_node[top] = 2 * node + 1
        st_lo[top] = lo + h
        st_w[top] = h
        st_node[top + 1] = 2 * node
        st_lo[top + 1] = lo
        st_w[top + 1] = h
        top += 2
    return -1


@kernel
def _linked_upto(mstart, p):
    """How many linked groups (ascending starts ``mstart``) begin at or before position ``p``:
    the one that holds ``p``, if any, is the last of them."""
    lo = 0
    hi = mstart.size
    while lo < hi:
        mid = (lo + hi) // 2
        if mstart[mid] <= p:
            lo = mid + 1
        else:
            hi = mid
    return lo


# --- checks, and the trees built -----------------------------------------------------------------


@kernel
def _layout_error(n_s, seq, group_start, group_span_bps):
    """0 if ``seq``/``group_start``/``group_span_bps`` are a layout of ``n_s`` satellites, else
    the status code of what is wrong (but a satellite twice in ``seq``: :func:`_build`)."""
    n_g = group_span_bps.size
    if n_s > _INT32_MAX:
        return 6
    if group_start.size != n_g + 1:
        return 1
    if group_start[0] != 0 or group_start[n_g] != seq.size:
        return 2
    for g in range(n_g):
        if group_start[g + 1] < group_start[g]:
            return 3
    for i in range(seq.size):
        if seq[i] < 0 or seq[i] >= n_s:
            return 4
    return 0


@kernel
def _jobs_error(n_s, job_acc, job_bw, job_pinned):
    """``(code, top)``: 0 and the most accelerators a job needs, or the status code of what is
    wrong with the job arrays."""
    if job_bw.size != job_acc.size or job_pinned.size != job_acc.size:
        return 7, 0
    top = 1
    for j in range(job_acc.size):
        if job_acc[j] < 1 or job_acc[j] > _INT32_MAX:
            return 8, 0
        if job_pinned[j] < -1 or job_pinned[j] >= n_s:
            return 9, 0
        if job_acc[j] > top:
            top = job_acc[j]
    return 0, top


@kernel
def _build(free, seq, group_start, group_span_bps):
    """Build the trees on a checked layout. Returns ``(twice, pos, tree, size, mstart, mend,
    tot, span, gsize)``: ``twice`` whether a satellite is twice in ``seq`` (then the rest is
    unusable); ``pos`` (S,) int32 each satellite's position in ``seq`` (-1: in no group);
    ``tree`` (2 size,) int32 the max-tree of free accelerators over positions; ``mstart``,
    ``mend`` (M,) where the linked groups (more than one satellite) begin and end in ``seq``,
    in order; ``tot`` (2 gsize,) int64 and ``span`` (2 gsize,) float64 max-trees over them of
    their total free accelerators and of the bandwidth their links give (NaN as +inf: any job
    may span them, as ``span < job_bw`` is false for NaN)."""
    n_s = free.size
    n_l = seq.size
    n_g = group_span_bps.size
    # Scatter, then walk the satellites in order: random writes only (reading free[seq[i]]
    # instead costs twice as much on a shuffled seq). A satellite twice in seq leaves fewer
    # than L positions claimed.
    pos = np.empty(n_s, np.int32)
    for s in range(n_s):
        pos[s] = -1
    for i in range(n_l):
        pos[seq[i]] = i
    size = _pow2_at_least(n_l)
    tree = np.empty(2 * size, np.int32)
    claimed = 0
    for s in range(n_s):
        p = pos[s]
        if p >= 0:
            f = free[s]
            tree[size + p] = 0 if f <= 0 else (f if f < _INT32_MAX else _INT32_MAX)
            claimed += 1
    for i in range(size + n_l, 2 * size):
        tree[i] = -1
    for node in range(size - 1, 0, -1):
        a = tree[2 * node]
        b = tree[2 * node + 1]
        tree[node] = a if a >= b else b
    n_multi = 0
    for g in range(n_g):
        if group_start[g + 1] - group_start[g] > 1:
            n_multi += 1
    mstart = np.empty(n_multi, np.int64)
    mend = np.empty(n_multi, np.int64)
    gsize = _pow2_at_least(n_multi)
    tot = np.empty(2 * gsize, np.int64)
    span = np.empty(2 * gsize)
    for i in range(2 * gsize):
        tot[i] = -1
        span[i] = -np.inf
    m = 0
    for g in range(n_g):
        a = group_start[g]
        b = group_start[g + 1]
        if b - a > 1:
            mstart[m] = a
            mend[m] = b
            t = 0
            for i in range(a, b):
                f = free[seq[i]]
                if f > 0:
                    t += f
            tot[gsize + m] = t
            bw = group_span_bps[g]
            span[gsize + m] = np.inf if bw != bw else bw
            m += 1
    for node in range(gsize - 1, 0, -1):
        a = tot[2 * node]
        b = tot[2 * node + 1]
        tot[node] = a if a >= b else b
        x = span[2 * node]
        y = span[2 * node + 1]
        span[node] = x if x >= y else y
    return claimed != n_l, pos, tree, size, mstart, mend, tot, span, gsize


# --- one job -------------------------------------------------------------------------------------


@kernel
def _change(s, delta, free, pos, tree, size, mstart, mend, tot, gsize):
    """Add ``delta`` accelerators to ``free[s]`` and update the trees."""
    f = free[s]
    nf = f + delta
    free[s] = nf
    p = pos[s]
    if p < 0:
        return
    old = f if f > 0 else 0
    new = nf if nf > 0 else 0
    if old == new:
        return
    _set_leaf(tree, size, p, new if new < _INT32_MAX else _INT32_MAX)
    if mstart.size > 0:
        m = _linked_upto(mstart, p) - 1
        if m >= 0 and p < mend[m]:
            _set_leaf(tot, gsize, m, tot[gsize + m] + new - old)


@kernel
def _plan_one(acc, bw, pinned, free, seq, tree, size, mstart, mend, tot, span, gsize,
              st_node, st_lo, st_w, out_sat, out_n):
    """Where one job goes, without taking it: writes its rows to ``out_sat``/``out_n`` and
    returns how many (0: it fits nowhere now)."""
    if pinned >= 0:
        if free[pinned] >= acc:
            out_sat[0] = pinned
            out_n[0] = acc
            return 1
        return 0
    bw_eff = -np.inf if bw != bw else bw  # NaN: every linked group may carry it
    p = _first_at_least(tree, size, 0, acc)
    if p >= seq.size:
        p = -1
    hi = _linked_upto(mstart, p) if p >= 0 else mstart.size
    q = _first_group(tot, span, gsize, hi, acc, bw_eff, st_node, st_lo, st_w)
    if q >= 0:  # a linked group at or before p's: the gang spans its members in order
        end = mend[q]
        cur = mstart[q]
        need = acc
        k = 0
        while need > 0:
            i = _first_at_least(tree, size, cur, 1)
            if i < 0 or i >= end:
                return 0  # unreachable: the group's total says it has them
            s = seq[i]
            take = free[s] if free[s] < need else need
            out_sat[k] = s
            out_n[k] = take
            k += 1
            need -= take
            cur = i + 1
        return k
    if p >= 0:
        out_sat[0] = seq[p]
        out_n[0] = acc
        return 1
    return 0


@kernel
def _head(a, n, size):
    """The first ``n`` entries of the int64 array ``a`` in a new array of ``size`` (>= n)."""
    b = np.empty(size, np.int64)
    for i in range(n):
        b[i] = a[i]
    return b


# --- the kernels ---------------------------------------------------------------------------------


@kernel
def _place(free, seq, group_start, group_span_bps, job_acc, job_bw, job_pinned):
    """Place the queued jobs, in order, on the free accelerators.

    Parameters
    ----------
    free : (S,) int64
        Whole free accelerators per satellite (negative: over-allocated, none free). Updated
        in place: each placed job's accelerators are taken out.
    seq : (L,) int64
        The satellites in the order the policy tries them: its groups in its group order, each
        group's members in rank order, concatenated; each satellite at most once (one in no
        group is reached only by a job pinned to it).
    group_start : (G+1,) int64
        Where each group begins in ``seq``: group ``g`` is ``seq[group_start[g]:group_start[g
        + 1]]``; ``group_start[0] == 0``, ``group_start[G] == L``.
    group_span_bps : (G,) float64
        Bit/s the links of each group give a gang spanning its members (ignored for groups of
        one satellite).
    job_acc : (J,) int64
        Accelerators each job needs (>= 1), all or none.
    job_bw : (J,) float64
        Bit/s each job's members need between them: it may span group ``g`` unless
        ``group_span_bps[g] < job_bw``.
    job_pinned : (J,) int64
        The satellite each job must run on, or -1.

    Returns
    -------
    job, sat, count : (P,) int64
        One row per satellite a placed job takes, ``count`` accelerators on ``sat``; the rows
        of a job are contiguous, in the order taken, and their counts sum to its ``job_acc``.
    status : int
        0, or the code (``_ERRORS``) of what is wrong with the inputs (then nothing is placed
        and ``free`` is unchanged).
    """
    none = np.empty(0, np.int64)
    code = _layout_error(free.size, seq, group_start, group_span_bps)
    top = 1
    if code == 0:
        code, top = _jobs_error(free.size, job_acc, job_bw, job_pinned)
    if code != 0:
        return none, none, none, code
    twice, pos, tree, size, mstart, mend, tot, span, gsize = _build(free, seq, group_start,
                                                                    group_span_bps)
    if twice:
        return none, none, none, 5
    width = min(top, max(seq.size, 1))
    out_sat = np.empty(width, np.int64)
    out_n = np.empty(width, np.int64)
    st_node = np.empty(_STACK, np.int64)
    st_lo = np.empty(_STACK, np.int64)
    st_w = np.empty(_STACK, np.int64)
    rows_job = np.empty(max(16, 2 * job_acc.size), np.int64)
    rows_sat = np.empty(rows_job.size, np.int64)
    rows_n = np.empty(rows_job.size, np.int64)
    n_rows = 0
    for j in range(job_acc.size):
        k = _plan_one(job_acc[j], job_bw[j], job_pinned[j], free, seq, tree, size, mstart, mend,
                      tot, span, gsize, st_node, st_lo, st_w, out_sat, out_n)
        if k == 0:
            continue
        if n_rows + k > rows_job.size:
            grow = max(2 * rows_job.size, n_rows + k)
            rows_job = _head(rows_job, n_rows, grow)
            rows_sat = _head(rows_sat, n_rows, grow)
            rows_n = _head(rows_n, n_rows, grow)
        for r in range(k):
            rows_job[n_rows] = j
            rows_sat[n_rows] = out_sat[r]
            rows_n[n_rows] = out_n[r]
            n_rows += 1
            _change(out_sat[r], -out_n[r], free, pos, tree, size, mstart, mend, tot, gsize)
    return (_head(rows_job, n_rows, n_rows), _head(rows_sat, n_rows, n_rows),
            _head(rows_n, n_rows, n_rows), 0)


@kernel
def _plan_moves(free, seq, group_start, group_span_bps, outlook, gain, job_acc, job_bw,
                cur_ptr, cur_sat, cur_n, planned):
    """Move running gangs, one after the other, where the policy's outlook is clearly better.

    For each candidate in order: its accelerators go back to ``free``; it is planned as
    :func:`_place` would place it (never pinned); the plan is taken if it differs from the
    current placement (as a satellite -> count mapping) and the smallest ``outlook`` of its
    satellites is at least that of the current ones plus ``gain``; then the placement kept
    (new or current) is taken out of ``free`` again.

    Parameters
    ----------
    free, seq, group_start, group_span_bps
        As for :func:`_place` (``free`` without the candidates' accelerators; updated in
        place).
    outlook : (S,) float64
        Each satellite's outlook (the power-aware score: mean share of its capacity ahead).
    gain : float
        How much better a new placement's worst outlook must be than the current one's.
    job_acc : (M,) int64
        Accelerators of each candidate (the sum of its current counts).
    job_bw : (M,) float64
        Bit/s each candidate's members need between them.
    cur_ptr : (M+1,) int64
        Candidate ``i``'s current placement is rows ``cur_ptr[i]:cur_ptr[i + 1]`` of
        ``cur_sat`` (distinct satellites) and ``cur_n`` (accelerators on each).
    cur_sat, cur_n : (R,) int64

    Returns
    -------
    ptr : (M+1,) int64, sat, n : (R',) int64
        Each candidate's placement after the pass, in the same form (a moved one's rows in the
        order taken, a kept one's as given).
    moved : (M,) bool
        Whether the candidate moved.
    planned : (M,) bool, written
        Whether a plan was found for it (somewhere in ``seq``).
    status : int
        0, or the code (``_ERRORS``) of what is wrong with the inputs (then nothing moves and
        ``free`` is unchanged).
    """
    n_m = cur_ptr.size - 1
    none = np.empty(0, np.int64)
    ptr = np.zeros(max(n_m + 1, 1), np.int64)
    moved = np.zeros(max(n_m, 0), np.bool_)
    code = _layout_error(free.size, seq, group_start, group_span_bps)
    if code == 0 and outlook.size != free.size:
        code = 12
    if code == 0 and (n_m < 0 or cur_ptr[0] != 0 or cur_ptr[n_m] != cur_sat.size
                      or cur_n.size != cur_sat.size):
        code = 10
    if code == 0:
        for i in range(n_m):
            if cur_ptr[i + 1] < cur_ptr[i]:
                code = 10
        for r in range(cur_sat.size):
            if cur_sat[r] < 0 or cur_sat[r] >= free.size:
                code = 11
    top = 1
    if code == 0:
        no_pin = np.empty(n_m, np.int64)
        for i in range(n_m):
            no_pin[i] = -1
        code, top = _jobs_error(free.size, job_acc, job_bw, no_pin)
    if code != 0:
        return ptr, none, none, moved, code
    twice, pos, tree, size, mstart, mend, tot, span, gsize = _build(free, seq, group_start,
                                                                    group_span_bps)
    if twice:
        return ptr, none, none, moved, 5
    width = min(top, max(seq.size, 1))
    out_sat = np.empty(width, np.int64)
    out_n = np.empty(width, np.int64)
    st_node = np.empty(_STACK, np.int64)
    st_lo = np.empty(_STACK, np.int64)
    st_w = np.empty(_STACK, np.int64)
    mark = np.zeros(free.size, np.int64)  # the current placement as a mapping, while compared
    sat = np.empty(max(16, cur_sat.size), np.int64)
    cnt = np.empty(sat.size, np.int64)
    n_rows = 0
    for i in range(n_m):
        a = cur_ptr[i]
        b = cur_ptr[i + 1]
        current = np.inf
        for r in range(a, b):
            s = cur_sat[r]
            if outlook[s] < current:
                current = outlook[s]
            mark[s] += cur_n[r]
            _change(s, cur_n[r], free, pos, tree, size, mstart, mend, tot, gsize)
        k = _plan_one(job_acc[i], job_bw[i], -1, free, seq, tree, size, mstart, mend, tot, span,
                      gsize, st_node, st_lo, st_w, out_sat, out_n)
        planned[i] = k > 0
        take = False
        if k > 0:
            same = k == b - a
            if same:
                for r in range(k):
                    if mark[out_sat[r]] != out_n[r]:
                        same = False
                        break
            if not same:
                best = np.inf
                for r in range(k):
                    if outlook[out_sat[r]] < best:
                        best = outlook[out_sat[r]]
                take = best >= current + gain
        for r in range(a, b):
            mark[cur_sat[r]] = 0
        n_new = k if take else b - a
        if n_rows + n_new > sat.size:
            grow = max(2 * sat.size, n_rows + n_new)
            sat = _head(sat, n_rows, grow)
            cnt = _head(cnt, n_rows, grow)
        for r in range(n_new):
            s = out_sat[r] if take else cur_sat[a + r]
            n = out_n[r] if take else cur_n[a + r]
            sat[n_rows] = s
            cnt[n_rows] = n
            n_rows += 1
            _change(s, -n, free, pos, tree, size, mstart, mend, tot, gsize)
        moved[i] = take
        ptr[i + 1] = n_rows
    return ptr, _head(sat, n_rows, n_rows), _head(cnt, n_rows, n_rows), moved, 0


# --- Python side ---------------------------------------------------------------------------------


def _free(free) -> np.ndarray:
    if not (isinstance(free, np.ndarray) and free.dtype == np.int64 and free.ndim == 1
            and free.flags.c_contiguous and free.flags.writeable):
        raise TypeError("free must be a writeable, contiguous 1-D int64 array (updated in place)")
    return free


def _ints(name: str, x) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise TypeError(f"{name} must be a 1-D array of integers")
    if a.size == 0:
        return np.zeros(0, np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must be a 1-D array of integers")
    return np.ascontiguousarray(a, np.int64)


def _floats(name: str, x) -> np.ndarray:
    a = np.asarray(x, float)
    if a.ndim != 1:
        raise TypeError(f"{name} must be a 1-D array of numbers")
    return np.ascontiguousarray(a, np.float64)


def _raise(status: int) -> None:
    if status:
        raise ValueError(_ERRORS[status])


def place(free: np.ndarray, seq, group_start, group_span_bps, job_acc, job_bw, job_pinned):
    """Place the queued jobs, in order, on the free accelerators, as the scheduler's rules do.

    ``free`` (S,) int64, updated in place; ``seq`` (L,), ``group_start`` (G+1,),
    ``group_span_bps`` (G,) the policy's layout; ``job_acc`` (J,), ``job_bw`` (J,) bit/s,
    ``job_pinned`` (J,) (-1: not pinned). See :func:`_place` for the details. Returns ``(job,
    sat, count)`` (P,) int64: one row per satellite a placed job takes. Raises ``TypeError``
    when ``free`` is not a writeable contiguous int64 array or an index array not integers,
    ``ValueError`` when the layout or the jobs are inconsistent (nothing is placed then)."""
    job, sat, count, status = _place(
        _free(free), _ints("seq", seq), _ints("group_start", group_start),
        _floats("group_span_bps", group_span_bps), _ints("job_acc", job_acc),
        _floats("job_bw", job_bw), _ints("job_pinned", job_pinned))
    _raise(status)
    return job, sat, count


def plan_moves(free: np.ndarray, seq, group_start, group_span_bps, outlook, gain: float,
               job_acc, job_bw, cur_ptr, cur_sat, cur_n, planned=None):
    """Move running gangs where the outlook is clearly better, as the power-aware policy does.

    Candidates in order, ``job_acc`` (M,), ``job_bw`` (M,), their current placements in CSR
    form (``cur_ptr`` (M+1,), ``cur_sat``, ``cur_n``); ``outlook`` (S,); ``gain``. See
    :func:`_plan_moves` for the details. Returns ``(ptr, sat, n, moved)``: the placements
    after the pass in the same form and whether each moved; ``planned`` (M,) bool, if given,
    is set where a plan was found. Raises as :func:`place`."""
    job_acc = _ints("job_acc", job_acc)
    if planned is None:
        planned = np.zeros(job_acc.size, np.bool_)
    ptr, sat, n, moved, status = _plan_moves(
        _free(free), _ints("seq", seq), _ints("group_start", group_start),
        _floats("group_span_bps", group_span_bps), _floats("outlook", outlook), float(gain),
        job_acc, _floats("job_bw", job_bw), _ints("cur_ptr", cur_ptr),
        _ints("cur_sat", cur_sat), _ints("cur_n", cur_n), planned)
    _raise(status)
    return ptr, sat, n, moved


def warm_up() -> None:
    """Compile both kernels (or load them from numba's cache) now, on three satellites (one
    linked pair and one alone): called before worker processes fork."""
    seq = np.array([0, 1, 2], np.int64)
    starts = np.array([0, 2, 3], np.int64)
    span = np.array([1.0, 0.0])
    place(np.array([2, 1, 3], np.int64), seq, starts, span, np.array([3, 1], np.int64),
          np.zeros(2), np.array([-1, 2], np.int64))
    plan_moves(np.array([2, 1, 0], np.int64), seq, starts, span, np.array([1.0, 1.0, 0.0]), 0.2,
               np.array([3], np.int64), np.zeros(1), np.array([0, 1], np.int64),
               np.array([2], np.int64), np.array([3], np.int64))
