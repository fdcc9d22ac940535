"""Reports: a self-contained ``report.html`` of a run, built from its output files."""

from orbitdc.report.html import ReportError, build_report, write_report
from orbitdc.report.sweep import write_sweep_report

__all__ = ["ReportError", "build_report", "write_report", "write_sweep_report"]
