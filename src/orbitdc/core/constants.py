"""Physical constants, each with its source.

Units are in the names. SGP4 works in the WGS-72 system (Vallado et al. 2006); the geodetic
frame of ground stations is WGS-84. Values are the ones listed in ``shared/reference/figures.md``.
"""

from __future__ import annotations

import math

# --- Earth -------------------------------------------------------------------------------
#: WGS-84 equatorial radius. NIMA TR8350.2 (2000), table 3.1.
WGS84_RADIUS_KM = 6378.137
#: WGS-84 flattening 1/298.257223563. NIMA TR8350.2 (2000), table 3.1.
WGS84_FLATTENING = 1.0 / 298.257223563
#: WGS-72 equatorial radius used inside SGP4. Vallado et al. 2006, AIAA 2006-6753.
WGS72_RADIUS_KM = 6378.135
#: WGS-72 gravitational parameter used inside SGP4. Vallado et al. 2006, AIAA 2006-6753.
WGS72_MU_KM3_PER_S2 = 398600.8
#: WGS-72 second zonal harmonic used inside SGP4. Vallado et al. 2006, AIAA 2006-6753.
WGS72_J2 = 1.082616e-3
#: EGM96 second zonal harmonic (unnormalised). Lemoine et al. 1998, NASA/TP-1998-206861.
EGM96_J2 = 1.08262668e-3
#: Earth rotation rate relative to the fixed stars. IERS Conventions (2010), table 1.1.
EARTH_ROTATION_RAD_PER_S = 7.292115e-5

# --- Sun -----------------------------------------------------------------------------------
#: Astronomical unit. IAU 2012 Resolution B2.
AU_KM = 149_597_870.700
#: Nominal solar radius. IAU 2015 Resolution B3.
SUN_RADIUS_KM = 695_700.0
#: Total solar irradiance at 1 AU. Kopp & Lean 2011, GRL 38 L01706.
SOLAR_IRRADIANCE_W_PER_M2 = 1361.0
#: Length of the tropical year (mean solar year). Explanatory Supplement to the Astronomical
#: Almanac (1992), 3rd ed.
TROPICAL_YEAR_D = 365.2422
#: Sun-synchronous nodal rate: one revolution per tropical year.
SUN_SYNC_NODAL_RATE_RAD_PER_S = 2.0 * math.pi / (TROPICAL_YEAR_D * 86400.0)

# --- Physics -------------------------------------------------------------------------------
#: Speed of light in vacuum. SI definition (exact).
SPEED_OF_LIGHT_KM_PER_S = 299_792.458
#: Stefan-Boltzmann constant. CODATA 2018.
STEFAN_BOLTZMANN_W_PER_M2_K4 = 5.670374419e-8

# --- Time ----------------------------------------------------------------------------------
#: Julian date of J2000.0 (2000-01-01T12:00:00 TT). IAU 1976 / Explanatory Supplement.
JD_J2000 = 2451545.0
#: Julian date of the Unix epoch 1970-01-01T00:00:00 UTC.
JD_UNIX_EPOCH = 2440587.5
#: Julian date of 1949-12-31T00:00:00 UT, the epoch of ``Satrec.sgp4init``. Vallado et al. 2006.
JD_SGP4INIT_EPOCH = 2433281.5
SECONDS_PER_DAY = 86400.0
#: Julian year, for rates per year (degradation, dose). IAU.
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY

# --- Earth's radiation budget ----------------------------------------------------------------
#: Earth's mean Bond albedo. CERES EBAF Ed4 climatology (Loeb et al. 2018, J. Climate 31).
EARTH_ALBEDO = 0.30
#: Outgoing long-wave radiation at the top of the atmosphere, global mean. CERES EBAF Ed4
#: (Loeb et al. 2018): ~240 W/m^2.
EARTH_OLR_W_PER_M2 = 240.0
#: Height of the top of the atmosphere where the OLR and albedo figures apply, ~30 km.
TOA_HEIGHT_KM = 30.0
#: Temperature of deep space as a radiative sink (cosmic microwave background). Fixsen 2009.
SPACE_SINK_K = 2.725

# --- Drag and disposal -----------------------------------------------------------------------
#: SGP4's reference density: the density of its static power-law atmosphere at 120 km,
#: rho0 = 2.461e-8 kg/m^3 (Hoots & Roehrich 1980, Spacetrack Report No. 3, sec. 12; Vallado et
#: al. 2006, AIAA 2006-6753). The drag term is B* = (Cd A / m) * rho0 / 2, in 1/earth radii:
#: with Cd A/m in m^2/kg, rho0 must be in kg/m^2 per earth radius, 2.461e-8 * 6,378,135 =
#: 0.157 kg/m^2/ER. (Texts quoting "2.461e-5 kg/m^2/ER" give the figure per km, not per ER;
#: tests/test_sustainability.py checks the conversion against SGP4's own decay rate.)
SGP4_RHO0_KG_PER_M3 = 2.461e-8
SGP4_RHO0_KG_PER_M2_PER_ER = SGP4_RHO0_KG_PER_M3 * WGS72_RADIUS_KM * 1000.0
#: Heights of SGP4's density model: q0 = 120 km, s = 78 km (Spacetrack Report No. 3).
SGP4_Q0_KM = 120.0
SGP4_S_KM = 78.0
#: Standard gravity, for the rocket equation (3rd CGPM, 1901).
STANDARD_GRAVITY_M_PER_S2 = 9.80665
