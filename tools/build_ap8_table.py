"""Build ``src/orbitdc/model/data/ap8min_p10.npz``: NASA AP-8 MIN trapped-proton integral flux
above 10 MeV on a latitude x longitude x altitude grid, which ``orbitdc.model.environment`` loads and ``orbitdc.core.radiation``
interpolates at run time (no model code and no download at run time).

Run with a Python that has ``aep8`` (PyPI, Leo Singer, NASA: the AE8/AP8 models of IRBEM) and
``astropy``; neither is a dependency of orbitdc:

    python -m venv /tmp/ap8 && /tmp/ap8/bin/pip install aep8==1.1.0 astropy numpy
    /tmp/ap8/bin/python tools/build_ap8_table.py

The geomagnetic field epoch is 2025-01-01 (the field moves the anomaly by ~0.3 deg/yr west).
Values are stored as log10(flux) with flux floored at 1e-3 protons/cm^2/s.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import aep8
import numpy as np
from astropy import units as u
from astropy.coordinates import EarthLocation
from astropy.time import Time

OUT = Path(__file__).resolve().parents[1] / "src/orbitdc/model/data/ap8min_p10.npz"
LAT = np.arange(-90.0, 90.1, 2.0)
LON = np.arange(-180.0, 180.1, 2.0)
ALT = np.array([200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 1000.0, 1200.0, 1500.0, 2000.0])
EPOCH = "2025-01-01T00:00:00"
FLOOR = 1e-3


def main() -> int:
    warnings.filterwarnings("ignore")
    model = aep8.model("p", "min")
    t = Time(EPOCH)
    lon, lat = np.meshgrid(LON, LAT)
    table = np.empty((LAT.size, LON.size, ALT.size), np.float32)
    for k, h in enumerate(ALT):
        loc = EarthLocation.from_geodetic(lon * u.deg, lat * u.deg, h * u.km)
        flux = model.integral_flux(loc, t, 10 * u.MeV).to_value(u.cm**-2 / u.s)
        table[:, :, k] = np.log10(np.maximum(np.nan_to_num(flux), FLOOR))
        print(f"{h:6.0f} km: peak {10 ** table[:, :, k].max():9.3g} /cm2/s", file=sys.stderr)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT, lat_deg=LAT, lon_deg=LON, alt_km=ALT, log10_flux=table,
        source=np.array(f"NASA AP-8 MIN (IRBEM via aep8 {aep8.__version__ if hasattr(aep8, '__version__') else '1.1.0'}), "
                        f">10 MeV integral proton flux, field epoch {EPOCH}"),
    )
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
