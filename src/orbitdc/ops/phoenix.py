"""PHOENIX as an orbitdc scheduling policy: sunlight-aware placement after Liu, Lai, Wu, Li,
Zhang, Li, Li and Liu, "In-Orbit Processing or Not? Sunlight-Aware Task Scheduling for
Energy-Efficient Space Edge Computing Networks", IEEE INFOCOM 2024 (arXiv:2407.07337).

What the paper documents, as far as its text could be retrieved for this work (its abstract,
its design overview and a reading of its scheduling section; docs/validation.md says which):
in a LEO constellation some satellites ("edges") are illuminated during their whole orbit and
have energy to spare ("sunlight-sufficient"; the paper's *sunlit ratio*, the share of the
orbit in sunlight, near 1); tasks are offloaded to those or to the ground so that batteries
of the others ("sunlight-deficient") discharge less, the objective being the batteries'
depth of discharge (SBEO); a task goes to the satellite with the most energy.

In orbitdc's protocol (``orbitdc.ops.scheduler.SchedulingPolicy``) a policy ranks satellites
and may stop running gangs; jobs that are not pinned to their data already run wherever they
are placed, which is what offloading over inter-satellite links amounts to here. So:

- ``score``: sunlight-sufficient satellites first (``view.sunlit_ratio`` at least
  ``sufficient_sunlit_ratio``), then the deficient ones; within each, the most energy first
  (``view.outlook``: battery now and sunlight ahead); deficient satellites discharged beyond
  ``max_depth_of_discharge`` last.
- ``preempt``: gangs with a member on a deficient satellite discharged beyond
  ``max_depth_of_discharge`` stop (a checkpoint keeps their work), as many as the satellites
  within the limit have free accelerators for, and are placed again in the order above.

Not reproduced: offloading raw data to the ground (orbitdc's jobs are compute, not raw data
to downlink), task deadlines (orbitdc's jobs have none: the paper's "process later, in
sunlight, if the deadline allows" becomes "stop at the discharge limit"), and the paper's
exact heuristics for orbit assignment and processing arrangement, whose text was not found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Phoenix"]


@dataclass(frozen=True)
class Phoenix:
    """The ``phoenix`` policy; its settings are ``[policy.phoenix]``
    (``orbitdc.model.workload.PhoenixSettings``)."""

    sufficient_sunlit_ratio: float = 1.0
    max_depth_of_discharge: float = 0.2
    name: str = "phoenix"
    migrates: bool = False
    inference_first: bool = False

    def _classes(self, view):
        """(sufficient, over_limit) bool arrays over satellites."""
        n = len(view.capacity)
        ratio = getattr(view, "sunlit_ratio", None)
        ratio = np.full(n, np.nan) if ratio is None else np.asarray(ratio, float)
        # The tolerance keeps a ratio of 1 from rounding (a satellite never in umbra).
        sufficient = np.nan_to_num(ratio, nan=0.0) >= self.sufficient_sunlit_ratio - 1e-9
        soc = np.asarray(view.soc, float)
        over = ~sufficient & np.isfinite(soc) & (1.0 - soc > self.max_depth_of_discharge + 1e-12)
        return sufficient, over

    def score(self, view):
        sufficient, over = self._classes(view)
        energy = np.clip(np.nan_to_num(np.asarray(view.outlook, float)), 0.0, 1.0)
        return np.round(np.where(sufficient, 2.0 + energy, np.where(over, -1.0 + energy,
                                                                     energy)), 6)

    def preempt(self, view, running):
        if running.ids.size == 0:
            return None
        _sufficient, over = self._classes(view)
        if not over.any():
            return None
        hit = np.zeros(running.ids.size, bool)
        hit[running.row_job[over[running.row_satellite]]] = True
        if not hit.any():
            return None
        # Only as many as the satellites within the limit have room for (in queue order):
        # a task stopped with nowhere to go would come back where it was, and pay again.
        used = np.bincount(running.row_satellite, weights=running.row_accelerators,
                           minlength=len(view.capacity))
        room = np.maximum(np.asarray(view.capacity, float) - used, 0.0)[~over].sum()
        cand = np.nonzero(hit)[0]
        fits = np.cumsum(running.accelerators[cand]) <= room + 1e-9
        stop = np.zeros(running.ids.size, bool)
        stop[cand[fits]] = True
        return stop if stop.any() else None
