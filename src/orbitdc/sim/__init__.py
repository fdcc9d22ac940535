"""The engine: builds the fleet as arrays, steps it through time in chunks, finds events and
records results."""

from orbitdc.sim.results import OutputError, Results, run_to_directory, simulate

__all__ = ["OutputError", "Results", "run_to_directory", "simulate"]
