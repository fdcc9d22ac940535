"""Workloads and the scheduling policy: ``[[workload]]`` and ``[policy]``.

```toml
[[workload]]
name = "llm"
kind = "training"            # training | batch
jobs = 4                     # how many jobs of this kind
arrival = "poisson"          # "at_start", or Poisson arrivals at rate_per_h (seeded)
rate_per_h = 2.0
flops = 1e21                 # total work, or parameters and tokens: 6 x parameters x tokens
accelerators = 8             # gang: all members run or none
bandwidth_bps = 100e9        # what the gang's members need between them
tokens_per_step = 4194304    # with parameters: each step's gradients are all-reduced
gradient_bytes_per_parameter = 2.0
checkpoint_interval_h = 0.5
checkpoint_s = 30.0          # time a checkpoint takes (no progress meanwhile)

[policy]
name = "power-aware"         # first-fit | power-aware | thermal-aware | latency-aware,
                             # or "module:attribute" for a policy of your own
step_s = 60.0                # scheduling step, a multiple of step_s
mfu = 0.4                    # model FLOPs utilisation: useful share of dense BF16 peak
```
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from orbitdc.model._base import Name, Strict

__all__ = ["EXTRA_POLICIES", "POLICIES", "POLICY_REFERENCE", "PhoenixSettings", "Policy",
           "Workload", "policy_name_problem"]

POLICIES = ("first-fit", "power-aware", "thermal-aware", "latency-aware")
#: Shipped policies reproduced from published work, not in ``orbitdc compare``'s default set:
#: ``phoenix`` (Liu et al., INFOCOM 2024; ``orbitdc.ops.phoenix``).
EXTRA_POLICIES = ("phoenix",)

_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
#: A policy of the user's own: ``module:attribute`` (dotted module and attribute allowed),
#: imported when the scenario is run (``orbitdc.ops.policies.resolve_policy``).
POLICY_REFERENCE = re.compile(rf"^{_DOTTED}:{_DOTTED}$")


def policy_name_problem(name: str) -> str | None:
    """Why ``name`` is neither a shipped policy nor ``module:attribute`` (None when it is)."""
    if name in POLICIES or name in EXTRA_POLICIES or POLICY_REFERENCE.match(name):
        return None
    return (f"unknown policy {name!r}; expected one of "
            f"{', '.join(POLICIES + EXTRA_POLICIES)}, or "
            "'module:attribute' for a policy of your own (e.g. 'mypolicies:Greedy')")


class Workload(Strict):
    name: Name
    kind: Literal["training", "batch", "inference"]
    jobs: Annotated[int, Field(ge=1, le=100_000)] = 1
    arrival: Literal["at_start", "poisson"] = "at_start"
    rate_per_h: Annotated[float | None, Field(gt=0.0)] = None
    flops: Annotated[float | None, Field(gt=0.0)] = None
    parameters: Annotated[float | None, Field(gt=0.0)] = None
    tokens: Annotated[float | None, Field(gt=0.0)] = None
    accelerators: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    bandwidth_bps: Annotated[float, Field(ge=0.0)] = 0.0
    checkpoint_interval_h: Annotated[float | None, Field(gt=0.0)] = None
    checkpoint_s: Annotated[float, Field(ge=0.0)] = 0.0
    #: Or give the checkpoint's size: it takes size / write rate (local NVMe-class storage,
    #: ~5 GB/s [E]) unless checkpoint_s says otherwise.
    checkpoint_gb: Annotated[float | None, Field(gt=0.0)] = None
    checkpoint_write_gb_per_s: Annotated[float, Field(gt=0.0)] = 5.0
    #: Training given by ``parameters``: tokens per optimiser step (the global batch) and the
    #: bytes per parameter of the gradients all-reduced after each step, over the links of
    #: the satellites a gang spans (``orbitdc.ops.scheduler``). Defaults: 4M tokens, Llama 2's
    #: global batch (Touvron et al., arXiv:2307.09288, 2023, sec. 2.2); 2 bytes, BF16
    #: gradients. A workload given by ``flops`` has no all-reduce.
    tokens_per_step: Annotated[float, Field(gt=0.0, le=1e12)] = 4_194_304.0
    gradient_bytes_per_parameter: Annotated[float, Field(gt=0.0, le=16.0)] = 2.0
    #: Inference: peak requests per second over all user regions (shared by their weights,
    #: following a daily profile that peaks at 20:00 local time), work per request, and the
    #: round trip a request may take.
    #: Batch on data collected in orbit: every satellite of ``fleets`` (default: those with
    #: accelerators) gathers ``gb_per_orbit`` each orbit; each orbit's data is a job pinned to
    #: its satellite, of ``flops_per_gb`` per GB; its results (``result_fraction`` of the data)
    #: must be downlinked through a ground contact before the job is finished.
    gb_per_orbit: Annotated[float | None, Field(gt=0.0)] = None
    #: Or data uplinked from the ground: it reaches the ground at this rate and waits; each
    #: contact of a member uplinks what waits (at most the station's uplink rate over the
    #: contact), a job on that satellite as the contact ends.
    gb_uplinked_per_day: Annotated[float | None, Field(gt=0.0)] = None
    flops_per_gb: Annotated[float | None, Field(gt=0.0)] = None
    result_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01
    fleets: list[Name] = []
    requests_per_s: Annotated[float | None, Field(gt=0.0)] = None
    flops_per_request: Annotated[float | None, Field(gt=0.0)] = None
    latency_slo_ms: Annotated[float | None, Field(gt=0.0)] = None

    @model_validator(mode="after")
    def _consistent(self):
        if self.kind == "inference":
            missing = [k for k in ("requests_per_s", "flops_per_request", "latency_slo_ms")
                       if getattr(self, k) is None]
            if missing:
                raise ValueError(f"inference needs {', '.join(missing)}")
            return self
        if self.kind == "batch" and (self.gb_per_orbit is not None or self.flops_per_gb is not None
                                     or self.gb_uplinked_per_day is not None):
            sources = (self.gb_per_orbit is not None) + (self.gb_uplinked_per_day is not None)
            if sources != 1 or self.flops_per_gb is None:
                raise ValueError("batch on data needs flops_per_gb and one of gb_per_orbit "
                                 "(collected in orbit) or gb_uplinked_per_day (from the ground)")
            return self
        if (self.flops is None) == (self.parameters is None or self.tokens is None):
            raise ValueError("give flops, or parameters and tokens (work = 6 x parameters x "
                             "tokens), not both")
        if self.arrival == "poisson" and self.rate_per_h is None:
            raise ValueError("poisson arrivals need rate_per_h")
        return self

    @property
    def data_driven(self) -> bool:
        return self.kind == "batch" and (self.gb_per_orbit is not None
                                         or self.gb_uplinked_per_day is not None)

    @property
    def checkpoint_time_s(self) -> float:
        if self.checkpoint_s == 0.0 and self.checkpoint_gb is not None:
            return self.checkpoint_gb / self.checkpoint_write_gb_per_s
        return self.checkpoint_s

    @property
    def step_flops(self) -> float:
        """Work of one optimiser step, 6 x parameters x tokens per step (0: not known)."""
        if self.kind != "training" or self.parameters is None:
            return 0.0
        return 6.0 * self.parameters * self.tokens_per_step

    @property
    def gradient_bytes(self) -> float:
        """Bytes all-reduced after each step (0: none)."""
        if self.kind != "training" or self.parameters is None:
            return 0.0
        return self.parameters * self.gradient_bytes_per_parameter

    @property
    def work_flops(self) -> float:
        if self.kind == "batch" and self.gb_per_orbit is not None:
            return self.gb_per_orbit * self.flops_per_gb
        return self.flops if self.flops is not None else 6.0 * self.parameters * self.tokens


class PhoenixSettings(Strict):
    """``[policy.phoenix]``: the settings of the ``phoenix`` policy (``orbitdc.ops.phoenix``)."""

    #: A satellite is sunlight-sufficient when this share of its orbit, or more, is in
    #: sunlight (the paper: edges "illuminated during the entire orbital period", 1.0). A
    #: share of an orbit: above 0, at most 1.
    sufficient_sunlit_ratio: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    #: Deepest battery discharge (1 - state of charge) a sunlight-deficient satellite keeps
    #: processing to; beyond it its tasks stop and go to sunlit satellites. A depth of
    #: discharge: at least 0, below 1 [E: orbitdc's setting, not the paper's].
    max_depth_of_discharge: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.2


class Policy(Strict):
    #: A shipped policy (``POLICIES``) or ``module:attribute``: a class (instantiated with no
    #: arguments) or an instance with ``name``, ``migrates``, ``inference_first`` and
    #: ``score(view)``, imported at run time with the scenario's folder first on ``sys.path``.
    name: str = "first-fit"
    step_s: Annotated[float | None, Field(gt=0.0)] = None
    mfu: Annotated[float, Field(gt=0.0, le=1.0)] = 0.4
    #: How far ahead the power-aware policy looks at a satellite's predicted capacity.
    horizon_s: Annotated[float, Field(gt=0.0, le=86_400.0)] = 3600.0
    #: Settings of the ``phoenix`` policy (defaults where absent; the other policies, and
    #: ``orbitdc compare --policies phoenix,...`` runs of them, leave them unused).
    phoenix: PhoenixSettings | None = None

    @field_validator("name")
    @classmethod
    def _known_or_reference(cls, name: str) -> str:
        problem = policy_name_problem(name)
        if problem is not None:
            raise ValueError(problem)
        return name
