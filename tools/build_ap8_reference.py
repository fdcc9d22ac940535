"""Build ``tests/authorities/ap8min_orbit_average.csv``: long-term orbit-averaged AP-8 MIN
integral proton flux (> 10 MeV) of circular orbits, straight from the model (1 deg in
longitude, 1 deg in argument of latitude), independent of the 2 deg table orbitdc ships.

A long-term average treats the longitude of the ground track as uniform and the argument of
latitude u as uniform, with sin(lat) = sin(i) sin(u). Needs ``aep8`` and ``astropy`` (see
tools/build_ap8_table.py).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import aep8
import numpy as np
from astropy import units as u
from astropy.coordinates import EarthLocation
from astropy.time import Time

OUT = Path(__file__).resolve().parents[1] / "tests/authorities/ap8min_orbit_average.csv"
CASES = [(400, 51.6), (500, 51.6), (550, 53.0), (500, 97.4), (650, 97.9), (800, 98.6),
         (1000, 99.5), (550, 97.6), (400, 28.5), (1200, 60.0)]


def main() -> int:
    warnings.filterwarnings("ignore")
    model = aep8.model("p", "min")
    t = Time("2025-01-01T00:00:00")
    arg = np.radians(np.arange(0.0, 360.0, 1.0))
    lons = np.arange(-180.0, 180.0, 1.0)
    lines = ["# NASA AP-8 MIN via aep8 1.1.0 (IRBEM), field epoch 2025-01-01; built by "
             "tools/build_ap8_reference.py",
             "altitude_km,inclination_deg,mean_flux_p10_per_cm2_s"]
    for h, inc in CASES:
        lat = np.degrees(np.arcsin(np.sin(np.radians(inc)) * np.sin(arg)))
        la, lo = np.meshgrid(lat, lons)
        loc = EarthLocation.from_geodetic(lo * u.deg, la * u.deg, h * u.km)
        f = np.nan_to_num(model.integral_flux(loc, t, 10 * u.MeV).to_value(u.cm**-2 / u.s))
        lines.append(f"{h},{inc},{f.mean():.4g}")
        print(lines[-1])
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
