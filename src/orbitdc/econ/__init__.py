"""Economics: total cost of ownership in orbit and on the ground, break-even launch price,
carbon (``orbitdc cost``, and the ``economics`` section of ``summary.json``)."""

from orbitdc.econ.costs import cost_section, fleet_items

__all__ = ["cost_section", "fleet_items"]
