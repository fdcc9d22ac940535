"""Design studies: sweeps of a scenario's parameters and Monte Carlo seeds on Dask."""

from orbitdc.study.sweep import SCHEDULER_ENV, SweepOutputError, run_sweep, run_variant

__all__ = ["SCHEDULER_ENV", "SweepOutputError", "run_sweep", "run_variant"]
