"""The orchestrator: AI jobs scheduled on the fleet's accelerators (``[[workload]]``)."""

from orbitdc.ops.scheduler import Job, ScheduleResult, schedule

__all__ = ["Job", "ScheduleResult", "schedule"]
