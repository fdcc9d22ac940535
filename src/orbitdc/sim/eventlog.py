"""Events written as they are found: windows paired chunk by chunk, totals kept per satellite.

The engine finds crossings (shadow, contact) one chunk at a time. :class:`EventLog` pairs them
with the windows still open from earlier chunks (``orbitdc.core.events.OpenWindows``), adds
each window to the per-satellite and per-station totals the summary needs, and hands the
windows that have ended to a sink, chunk by chunk, ordered by their end, then satellite,
kind and target. A window is written once it has ended, so the order does not depend on how
the run is cut into chunks, and memory holds what is open now (and a chunk's windows), not
what the run has found.

Faults are drawn with the chunk they begin in and written once they end; recorded link
windows (few: small formations) are found before the flight and written as they end too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orbitdc.core import events as ev
from orbitdc.model.scenario import EVENT_KINDS as MODEL_EVENT_KINDS

__all__ = ["EVENT_KINDS", "EventLog", "EventTotals"]

#: Kinds of window, in the order of their codes in the sink's ``kind`` column (the model's
#: list, which ``[output] events`` chooses from).
EVENT_KINDS = MODEL_EVENT_KINDS
_CODE = {k: i for i, k in enumerate(EVENT_KINDS)}
_COLUMNS = ("satellite_index", "kind", "target_index", "start_s", "end_s", "clipped_start",
            "clipped_end", "accelerator", "fault_kind")

EventSink = Callable[[dict[str, np.ndarray]], None]


@dataclass
class EventTotals:
    """What the summary needs from the windows, accumulated as they were found: per satellite
    (S,) umbra and penumbra seconds, eclipses (umbra windows) and the longest; per satellite
    and station (S, G) contact seconds and passes; upsets (S,); per station (G,) the time at
    least one satellite was in contact; ``rows``: windows written (of the kinds
    ``[output] events`` keeps)."""

    umbra_s: np.ndarray
    eclipses: np.ndarray
    longest_umbra_s: np.ndarray
    penumbra_s: np.ndarray
    contact_s: np.ndarray
    passes: np.ndarray
    upsets: np.ndarray
    coverage_s: np.ndarray
    rows: int = 0


class EventLog:
    """Pairs each chunk's crossings into windows, keeps the totals, writes what has ended.

    Per chunk: :meth:`start` (the first chunk only: what is inside at the run's start),
    :meth:`crossings` (returns the contact windows it closes), :meth:`faults`, then
    :meth:`flush` with the chunk's last time. :meth:`close` ends the run."""

    def __init__(self, n_sat: int, station_names: list[str], t_start: float, t_end: float,
                 sink: EventSink | None = None, links=None, kinds=EVENT_KINDS):
        self.n_sat, self.n_gs = n_sat, len(station_names)
        self.t_start, self.t_end = float(t_start), float(t_end)
        self.sink = sink
        #: The kinds written (``[output] events``); the totals count every kind.
        self._kept = (np.isin(np.arange(len(EVENT_KINDS)), [_CODE[k] for k in kinds])
                      if set(kinds) != set(EVENT_KINDS) else None)
        ranks = np.argsort(np.argsort(np.asarray(station_names, dtype=object)))
        self._station_rank = ranks.astype(np.int64)
        g = max(self.n_gs, 1)
        self.totals = EventTotals(
            umbra_s=np.zeros(n_sat), eclipses=np.zeros(n_sat, np.int64),
            longest_umbra_s=np.zeros(n_sat), penumbra_s=np.zeros(n_sat),
            contact_s=np.zeros((n_sat, g)), passes=np.zeros((n_sat, g), np.int64),
            upsets=np.zeros(n_sat, np.int64), coverage_s=np.zeros(self.n_gs),
        )
        self._open: dict[str, ev.OpenWindows] = {}
        self._in_shadow = np.zeros(n_sat, bool)
        self._in_umbra = np.zeros(n_sat, bool)
        self._in_view = np.zeros(self.n_gs, np.int64)  # satellites in contact, per station
        self._t_lo = self.t_start
        self._ready: list[tuple[np.ndarray, ...]] = []  # ended, not yet written
        self._faults = _empty_windows()  # drawn, not yet ended
        self._links = links if links is not None else _empty_windows()
        #: The contacts that overlap the latest chunk: ``(satellite, start_s, end_s)``, the
        #: end infinite where still open at the chunk's end (the ephemeris: known ahead).
        self.contact_spans = (np.empty(0, np.int64), np.empty(0), np.empty(0))

    def start(self, inside: dict[str, np.ndarray]) -> None:
        """What is inside at the run's start: ``penumbra`` (the shadow cone, umbra included),
        ``umbra`` (S,) and ``contact`` (S * G,) booleans."""
        self._in_shadow = np.asarray(inside["penumbra"], bool).copy()
        self._in_umbra = np.asarray(inside["umbra"], bool).copy()
        self._open["umbra"] = ev.OpenWindows.at_start(self._in_umbra, self.t_start)
        self._open["penumbra"] = ev.OpenWindows.at_start(
            self._in_shadow & ~self._in_umbra, self.t_start)
        if self.n_gs:
            contact = np.asarray(inside["contact"], bool)
            self._open["contact"] = ev.OpenWindows.at_start(contact, self.t_start)
            self._in_view = np.bincount(np.nonzero(contact)[0] % self.n_gs,
                                        minlength=self.n_gs)

    def crossings(self, found: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                  t_hi: float) -> tuple[np.ndarray, ...]:
        """One chunk's crossings (each kind sorted by row then time), up to ``t_hi``. Returns
        the contact windows they close, ``(satellite, station, start_s, end_s)``."""
        n_s = self.n_sat
        pen_rows, pen_t, pen_rising, _ = ev.combine_states(
            *found["penumbra"], self._in_shadow, *found["umbra"], self._in_umbra, n_s)
        self._in_shadow ^= _odd(found["penumbra"][0], n_s)
        self._in_umbra ^= _odd(found["umbra"][0], n_s)
        row, start, end, clip = self._open["umbra"].advance(*found["umbra"])
        self._add_umbra(row, start, end)
        self._ready.append(_rows(row, "umbra", -1, start, end, clip, False))
        row, start, end, clip = self._open["penumbra"].advance(pen_rows, pen_t, pen_rising)
        np.add.at(self.totals.penumbra_s, row, end - start)
        self._ready.append(_rows(row, "penumbra", -1, start, end, clip, False))
        contacts = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
        if self.n_gs:
            rows_c, t_c, rising_c = found["contact"]
            self._coverage(rows_c, t_c, rising_c, float(t_hi))
            row, start, end, clip = self._open["contact"].advance(rows_c, t_c, rising_c)
            self._add_contacts(row, start, end)
            sat, station = row // self.n_gs, row % self.n_gs
            self._ready.append(_rows(sat, "contact", station, start, end, clip, False))
            contacts = (sat, station, start, end)
            still = self._open["contact"]
            self.contact_spans = (np.concatenate([sat, still.rows // self.n_gs]),
                                  np.concatenate([start, still.start]),
                                  np.concatenate([end, np.full(still.rows.size, np.inf)]))
        self._t_lo = float(t_hi)
        return contacts

    def faults(self, sat: np.ndarray, start: np.ndarray, end: np.ndarray,
               accelerator: np.ndarray | None = None, kind: np.ndarray | None = None) -> None:
        """Upsets drawn in a chunk: ``(satellite, start_s, end_s)``, the accelerator each hit
        and its kind (a code into ``orbitdc.core.radiation.KIND_NAMES``); written once they
        end."""
        self.totals.upsets += np.bincount(sat, minlength=self.n_sat)
        new = _rows(sat, "fault", -1, start, end, False, False, accelerator, kind)
        self._faults = tuple(np.concatenate([a, b]) for a, b in zip(self._faults, new))

    def flush(self, t_hi: float) -> None:
        """Write every window that has ended by ``t_hi``."""
        for name in ("_faults", "_links"):
            pending = getattr(self, name)
            done = pending[4] <= t_hi
            if done.any():
                self._ready.append(tuple(a[done] for a in pending))
                setattr(self, name, tuple(a[~done] for a in pending))
        self._write()

    def close(self) -> EventTotals:
        """End the run: windows still open end with it (flagged), the rest is written."""
        t1 = self.t_end
        for kind, open_ in self._open.items():
            row, start, end, clip = open_.close(t1)
            if kind == "umbra":
                self._add_umbra(row, start, end)
            elif kind == "penumbra":
                np.add.at(self.totals.penumbra_s, row, end - start)
            if kind == "contact":
                self._add_contacts(row, start, end)
                self._ready.append(_rows(row // self.n_gs, kind, row % self.n_gs, start, end,
                                         clip, True))
            else:
                self._ready.append(_rows(row, kind, -1, start, end, clip, True))
        sat, kind, target, start, end, c0, _, acc, fault = self._faults
        self._ready.append((sat, kind, target, start, np.minimum(end, t1), c0, end > t1, acc,
                            fault))
        self._ready.append(self._links)
        self._faults = self._links = _empty_windows()
        self._write()
        return self.totals

    # --- inside -------------------------------------------------------------------------------
    def _add_umbra(self, row, start, end) -> None:
        t = self.totals
        dur = end - start
        np.add.at(t.umbra_s, row, dur)
        np.add.at(t.eclipses, row, 1)
        np.maximum.at(t.longest_umbra_s, row, dur)

    def _add_contacts(self, row, start, end) -> None:
        t = self.totals
        np.add.at(t.contact_s.reshape(-1), row, end - start)
        np.add.at(t.passes.reshape(-1), row, 1)

    def _coverage(self, rows, times, rising, t_hi: float) -> None:
        """Add the time in ``[t_lo, t_hi]`` each station had a satellite in contact, from the
        number in contact at ``t_lo`` and the chunk's crossings."""
        g = self.n_gs
        station = rows % g
        order = np.lexsort((times, station))
        station, times = station[order], times[order]
        step = np.where(rising[order], 1, -1)
        # Satellites in contact after each crossing, per station.
        first = np.r_[True, station[1:] != station[:-1]] if station.size else np.zeros(0, bool)
        cum = np.cumsum(step)
        base = np.maximum.accumulate(np.where(first, np.arange(station.size), 0))
        after = self._in_view[station] + cum - (cum[base] - step[base])
        # Each crossing starts a segment up to the next crossing of its station, or t_hi.
        last = np.r_[station[1:] != station[:-1], True] if station.size else first
        seg_end = np.where(last, t_hi, np.r_[times[1:], t_hi])
        covered = np.bincount(station, weights=(seg_end - times) * (after > 0),
                              minlength=g).astype(float)
        # Before each station's first crossing (or the whole chunk without one).
        head_end = np.full(g, t_hi)
        head_end[station[first]] = times[first]
        covered += (head_end - self._t_lo) * (self._in_view > 0)
        self.totals.coverage_s += covered
        self._in_view[station[last]] = after[last]

    def _write(self) -> None:
        parts = [p for p in self._ready if p[0].size]
        self._ready = []
        if not parts:
            return
        cols = [np.concatenate([p[i] for p in parts]) for i in range(len(_COLUMNS))]
        if self._kept is not None:
            keep = self._kept[cols[1]]
            cols = [c[keep] for c in cols]
        sat, kind, target, _, end = cols[:5]
        # Targets: stations by name, then satellites (link peers) by index.
        rank = np.where(target < 0, -1,
                        np.where(target < self.n_gs,
                                 self._station_rank[np.clip(target, 0, max(self.n_gs - 1, 0))]
                                 if self.n_gs else target, target))
        order = np.lexsort((rank, kind, sat, end))
        self.totals.rows += int(order.size)
        if self.sink is not None:
            self.sink({name: col[order] for name, col in zip(_COLUMNS, cols)})


def _rows(sat, kind: str, target, start, end, c0, c1, accelerator=None,
          fault_kind=None) -> tuple[np.ndarray, ...]:
    """Event rows; ``accelerator`` and ``fault_kind`` (faults only) are -1 where none."""
    n = np.asarray(sat).size
    return (np.asarray(sat, np.int64), np.full(n, _CODE[kind], np.int64),
            np.broadcast_to(np.asarray(target, np.int64), (n,)).copy(),
            np.asarray(start, float), np.asarray(end, float),
            np.broadcast_to(np.asarray(c0, bool), (n,)).copy(),
            np.broadcast_to(np.asarray(c1, bool), (n,)).copy(),
            np.full(n, -1, np.int64) if accelerator is None
            else np.asarray(accelerator, np.int64),
            np.full(n, -1, np.int64) if fault_kind is None else np.asarray(fault_kind, np.int64))


def _empty_windows() -> tuple[np.ndarray, ...]:
    return _rows(np.empty(0, np.int64), "fault", -1, np.empty(0), np.empty(0), False, False)


def _odd(rows: np.ndarray, n: int) -> np.ndarray:
    """Rows with an odd number of crossings: their state flips over the chunk."""
    return (np.bincount(rows, minlength=n) % 2).astype(bool)


def link_rows(link_pairs: np.ndarray, n_gs: int, windows) -> tuple[np.ndarray, ...]:
    """Recorded link windows ``(pair row, start, end, clipped_start, clipped_end)`` as event
    rows: the pair's first satellite, its peer as the target."""
    rows, start, end, c0, c1 = windows
    return _rows(link_pairs[rows, 0], "link", n_gs + link_pairs[rows, 1], start, end, c0, c1)
