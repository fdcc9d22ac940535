"""Data tables of the space environment, shipped with orbitdc (loaded once, read-only).

``trapped_proton_table()``: NASA AP-8 MIN integral flux of protons above 10 MeV on a
2 deg x 2 deg x altitude grid (200-2,000 km), built by ``tools/build_ap8_table.py`` with
``aep8`` (IRBEM) for the geomagnetic field of 2025. Solar minimum is the worse case for
trapped protons (AP-8 MAX is 20-40 % lower in LEO).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from orbitdc.core.radiation import ProtonTable

__all__ = ["trapped_proton_table"]


@cache
def trapped_proton_table() -> ProtonTable:
    with resources.files("orbitdc.model").joinpath("data/ap8min_p10.npz").open("rb") as f:
        data = np.load(f)
        return ProtonTable(
            lat_deg=data["lat_deg"].copy(),
            lon_deg=data["lon_deg"].copy(),
            alt_km=data["alt_km"].copy(),
            log10_flux=data["log10_flux"].astype(np.float64),
            source=str(data["source"]),
        )
