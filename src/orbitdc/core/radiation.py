"""The radiation environment in low Earth orbit, for upsets and dose.

An engineering model, position-dependent; each figure says whether it is computed, taken
from a model, or calibrated (``tests/authorities/README.md``, ``docs/validation.md``):

- **Trapped protons** (> 10 MeV): the NASA AP-8 MIN model, tabulated on a 2 deg x 2 deg grid
  at 200-2,000 km (``orbitdc.model.environment`` ships the table) and interpolated linearly
  in latitude, longitude and altitude, in log flux. This is where the South Atlantic Anomaly
  and the steep rise of flux with altitude come from. Above 2,000 km the flux is held at its
  2,000 km value (the model is meant for LEO). The anomaly's westward drift after 2025, the
  solar cycle (AP-8 MIN is the worse case) and trapped electrons (which matter behind thin
  shields only: < 10 % of the dose behind >= 8 mm, per SHIELDOSE-2) are neglected.
  Their integral spectrum is taken as ``F(>E) = F(>10) exp(-(E - 10) / E0)`` with
  ``E0 = TRAPPED_E0_MEV``, **calibrated to** AP-8 MIN's ratio of the > 30 to the > 10 MeV
  orbit-average flux at six LEO orbits (``tests/authorities/radiation-figures.md`` a).
- **Behind the shielding**: the protons are slowed down in aluminium (continuous slowing
  down, straight ahead, at the centre of a sphere of the shielding's thickness: the geometry
  of SHIELDOSE-2's 4-pi dose), with the Bethe stopping power (no shell or density
  corrections: within 2 % of NIST PSTAR from 10 MeV to 1 GeV, tested) and the range its
  integral gives. The **dose** in silicon is the spectrum behind the shield times silicon's
  stopping power: computed, not calibrated. The proton **upset** flux is the flux behind
  the shield above ``PROTON_SEE_MIN_MEV`` (30 MeV), where a commercial part's proton
  cross-section is near saturation and the cross-section measured at 67 MeV applies; from
  10 MeV the flux is 10-20 % larger, so that is the bound of this simplification.
- **Galactic cosmic rays** (heavy ions among them): the solar-minimum free-space flux
  ``GCR_FREE_SPACE_FLUX`` above the local cutoff rigidity (SAMPEX's measured
  ``15.062 cos^4 L - 0.363`` GV with the invariant latitude of a tilted dipole: the
  geomagnetic shielding by inclination and altitude) and outside the Earth's shadow. At
  GeV per nucleon they cross any shielding a satellite carries, so the shielding does not
  attenuate them. Their upsets use the part's own per-particle cross-section
  (``gcr_cross_section_cm2``): a **stated simplification** of the LET integral (Weibull
  cross-section over a CREME96 LET spectrum), which holds the LET spectrum's shape fixed
  while the cutoff changes it (a harder spectrum at low latitude, fewer high-LET ions per
  particle: the simplification over-counts ions there). No public LET table of CREME96 was
  at hand; the bound is set by the in-flight share of upsets outside the SAA (docs).
  The solar cycle (GCR are ~2x weaker at solar maximum) is neglected.
- **Solar particle events**: a seeded process (:func:`solar_particle_events`): Poisson
  occurrence, log-normal event fluences above 30 MeV (the JPL-91 model's form), King's
  exponential spectrum, each event's fluence spread evenly over its duration, reaching the
  satellite where the local cutoff lets the proton's rigidity through (and outside the
  Earth's shadow), then slowed down by the shielding like the trapped protons.
- **Upsets**: a Poisson process per accelerator with rate
  ``sigma_p * flux_p,behind + sigma_gcr * flux_gcr``; each upset is silent data corruption,
  an uncorrectable memory error or a crash, in the shares of the part's cross-sections.
- **Dose** (rad(Si)): the trapped and solar protons behind the shielding (above) plus a GCR
  background of ``GCR_DOSE_RAD_PER_YEAR`` in free space, scaled by the local GCR flux.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from orbitdc.core.constants import SECONDS_PER_YEAR, WGS84_RADIUS_KM

__all__ = [
    "CRASH",
    "SILENT",
    "UECC",
    "ProtonTable",
    "ShieldResponse",
    "SolarEvents",
    "cutoff_rigidity_gv",
    "dose_rate_rad_per_s",
    "fluence_per_rad",
    "gcr_flux",
    "geomagnetic_sin_latitude",
    "proton_energy_from_rigidity",
    "proton_range_g_cm2",
    "proton_stopping_power",
    "shield_response",
    "solar_particle_events",
    "trapped_proton_flux",
]

# --- Galactic cosmic rays ------------------------------------------------------------------
#: North geomagnetic dipole pole (IGRF-13, epoch 2020): 80.65 N, 72.68 W.
DIPOLE_POLE_DEG = (80.65, -72.68)
#: Free-space GCR integral flux at solar minimum, all species, particles / cm^2 / s: the
#: Burger et al. local interstellar spectrum (Usoskin et al. 2005, JGR 110 A12108) modulated
#: with phi = 0.4 GV, +10 % for helium and heavier (tests/authorities/radiation-figures.md, c).
GCR_FREE_SPACE_FLUX = 5.4
#: Share of that flux above a cutoff rigidity (GV), from the same spectrum: the table behind
#: the 650 km figures of radiation-figures.md (c), divided by its Earth-shadow factor.
GCR_PASS_RIGIDITY_GV = np.array([0.0, 0.033, 0.413, 1.754, 3.91, 6.61, 9.31, 12.03, 16.0])
GCR_PASS_FRACTION = np.array([1.0, 0.992, 0.966, 0.496, 0.175, 0.0783, 0.0444, 0.0287, 0.018])
#: Measured vertical cutoff (SAMPEX/MAST, Ogliore et al. 2001): Rc = 15.062 cos^4(L) - 0.363 GV
#: with the invariant latitude L of a dipole: cos^2 L = cos^2(lambda_m) / (r / R).
GCR_CUTOFF_A_GV = 15.062
GCR_CUTOFF_B_GV = 0.363
#: GCR dose where the cutoff is zero, rad(Si)/yr: ~3.8 particles/cm^2/s at minimum ionising
#: (1.66 MeV cm^2/g in Si) give ~3 rad/yr from protons; heavier ions (dose ~ Z^2) about triple
#: it [E]. Small beside trapped protons below ~1,000 km.
GCR_DOSE_RAD_PER_YEAR = 10.0

def _unit_from_latlon(lat_deg: float, lon_deg: float) -> np.ndarray:
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


_DIPOLE_UNIT = _unit_from_latlon(*DIPOLE_POLE_DEG)


def _radius(r_ecef_km, radius_km):
    return np.linalg.norm(r_ecef_km, axis=-1) if radius_km is None else radius_km


@dataclass(frozen=True)
class ProtonTable:
    """log10 of the > 10 MeV proton flux on a regular grid (lat, lon, alt), ascending axes."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray  # -180 .. 180 inclusive
    alt_km: np.ndarray
    log10_flux: np.ndarray  # (lat, lon, alt)
    source: str = ""


def _axis(values: np.ndarray, grid: np.ndarray):
    """Lower index and weight of ``values`` on an ascending ``grid`` (clamped at the ends)."""
    x = np.clip(values, grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    w = (x - grid[i]) / (grid[i + 1] - grid[i])
    return i, w


def trapped_proton_flux(lat_rad, lon_rad, alt_km, table: ProtonTable) -> np.ndarray:
    """Integral flux of trapped protons above 10 MeV, protons / cm^2 / s, at geodetic
    coordinates (any shape): trilinear interpolation of log10 flux in ``table``."""
    i, wi = _axis(np.rad2deg(lat_rad), table.lat_deg)
    j, wj = _axis(np.rad2deg(lon_rad), table.lon_deg)
    k, wk = _axis(np.asarray(alt_km, float), table.alt_km)
    f = table.log10_flux
    out = 0.0
    for di, a in ((0, 1.0 - wi), (1, wi)):
        for dj, b in ((0, 1.0 - wj), (1, wj)):
            ab = a * b
            out = out + ab * ((1.0 - wk) * f[i + di, j + dj, k] + wk * f[i + di, j + dj, k + 1])
    return 10.0**out


def geomagnetic_sin_latitude(r_ecef_km: np.ndarray, radius_km: np.ndarray | None = None):
    """sin of the geomagnetic (dipole) latitude at ECEF positions (..., 3)."""
    return (r_ecef_km @ _DIPOLE_UNIT) / _radius(r_ecef_km, radius_km)


def cutoff_rigidity_gv(r_ecef_km: np.ndarray, radius_km: np.ndarray | None = None):
    """Vertical geomagnetic cutoff rigidity, GV, at ECEF positions (..., 3): SAMPEX/MAST's
    measured ``15.062 cos^4 L - 0.363`` (Ogliore et al. 2001) with the invariant latitude L
    of the tilted dipole, ``cos^2 L = cos^2(lambda_m) / (r / R)``; 0 where that is negative."""
    radius = _radius(r_ecef_km, radius_km)
    sin_m = (r_ecef_km @ _DIPOLE_UNIT) / radius
    cos2_invariant = (1.0 - sin_m * sin_m) * (WGS84_RADIUS_KM / radius)
    return np.maximum(GCR_CUTOFF_A_GV * cos2_invariant**2 - GCR_CUTOFF_B_GV, 0.0)


def open_sky(radius_km: np.ndarray) -> np.ndarray:
    """Share of an isotropic flux the Earth leaves: it hides a cone of half-angle asin(R / r),
    so ``(1 + cos) / 2`` of the sky is open."""
    return 0.5 * (1.0 + np.sqrt(np.maximum(1.0 - (WGS84_RADIUS_KM / radius_km) ** 2, 0.0)))


def gcr_flux(r_ecef_km: np.ndarray, radius_km: np.ndarray | None = None) -> np.ndarray:
    """Galactic cosmic-ray integral flux, particles / cm^2 / s, at ECEF positions (..., 3):
    the free-space flux above the local cutoff rigidity, times the sky the Earth leaves open."""
    radius = _radius(r_ecef_km, radius_km)
    cutoff = cutoff_rigidity_gv(r_ecef_km, radius)
    passed = np.exp(np.interp(cutoff, GCR_PASS_RIGIDITY_GV, np.log(GCR_PASS_FRACTION)))
    return GCR_FREE_SPACE_FLUX * passed * open_sky(radius)


# --- Protons in matter ---------------------------------------------------------------------
PROTON_MASS_MEV = 938.27208816  # CODATA 2018
ELECTRON_MASS_MEV = 0.51099895  # CODATA 2018
#: 4 pi N_A r_e^2 m_e c^2, MeV cm^2 / mol (PDG, "Passage of particles through matter").
BETHE_K = 0.307075
#: Z, A (g/mol), mean excitation energy I (eV; ICRU 37/49 as used by NIST PSTAR), density
#: (g/cm^3).
MATERIALS = {
    "al": (13.0, 26.9815, 166.0, 2.699),
    "si": (14.0, 28.0855, 173.0, 2.329),
}
#: 1 rad = 100 erg/g = 6.2415e7 MeV/g.
RAD_PER_MEV_PER_G = 1.602176634e-8


def proton_stopping_power(e_mev, material: str = "si") -> np.ndarray:
    """Electronic mass stopping power of protons, MeV cm^2/g: the Bethe formula without
    shell, density or Barkas corrections (within 2 % of PSTAR at 10 MeV-1 GeV in Al and Si;
    a few % worse below 5 MeV, where shielded spectra carry little of the dose)."""
    z, a, i_ev, _ = MATERIALS[material]
    e = np.asarray(e_mev, float)
    gamma = 1.0 + e / PROTON_MASS_MEV
    b2 = 1.0 - 1.0 / gamma**2
    ratio = ELECTRON_MASS_MEV / PROTON_MASS_MEV
    t_max = 2.0 * ELECTRON_MASS_MEV * b2 * gamma**2 / (1.0 + 2.0 * gamma * ratio + ratio**2)
    i_mev = i_ev * 1e-6
    log = 0.5 * np.log(2.0 * ELECTRON_MASS_MEV * b2 * gamma**2 * t_max / i_mev**2)
    return BETHE_K * z / a / b2 * np.maximum(log - b2, 1e-3)


_E_GRID = np.geomspace(0.5, 1e5, 3000)  # MeV


@lru_cache(maxsize=None)
def _range_table(material: str) -> np.ndarray:
    """CSDA range (g/cm^2) on ``_E_GRID``: the integral of 1/S from 0 (below 0.5 MeV, the
    range of 0.5 MeV taken as E / (2 S), its value where S ~ E^-1/2)."""
    inv = 1.0 / proton_stopping_power(_E_GRID, material)
    r0 = _E_GRID[0] * inv[0] * 0.5
    return np.r_[r0, r0 + np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(_E_GRID))]


def proton_range_g_cm2(e_mev, material: str = "al") -> np.ndarray:
    """CSDA range of protons of ``e_mev`` in ``material``, g/cm^2."""
    return np.interp(np.log(np.asarray(e_mev, float)), np.log(_E_GRID), _range_table(material))


def _energy_from_range(r_g_cm2, material: str = "al") -> np.ndarray:
    table = _range_table(material)
    return np.exp(np.interp(np.asarray(r_g_cm2, float), table, np.log(_E_GRID)))


def proton_energy_from_rigidity(rigidity_gv) -> np.ndarray:
    """Kinetic energy (MeV) of a proton of magnetic rigidity ``rigidity_gv`` (pc / e)."""
    pc = np.asarray(rigidity_gv, float) * 1000.0
    return np.sqrt(pc * pc + PROTON_MASS_MEV**2) - PROTON_MASS_MEV


def fluence_per_rad(e_mev: float) -> float:
    """Protons / cm^2 of energy ``e_mev`` that deposit 1 rad(Si) (thin silicon): the
    conversion of a beam test's per-rad rates into per-fluence cross-sections."""
    return 1.0 / (RAD_PER_MEV_PER_G * float(proton_stopping_power(e_mev, "si")))


# --- Spectra and the shielding ----------------------------------------------------------------
#: e-folding energy of the trapped protons' integral spectrum above 10 MeV, **calibrated to**
#: AP-8 MIN's orbit-average > 30 / > 10 MeV ratios at 400 km 51.6 deg, 550 km 53 deg and
#: 550/650/800/1,000 km sun-synchronous (0.70, 0.70, 0.73, 0.73, 0.73, 0.71:
#: radiation-figures.md a): -20 MeV / ln(ratio) = 56-65 MeV, mean 60.
TRAPPED_E0_MEV = 60.0
#: Protons at the part above this energy upset it with the cross-section measured at
#: 67 MeV (proton SEE cross-sections of scaled CMOS are near saturation above ~30 MeV).
PROTON_SEE_MIN_MEV = 30.0
#: King's spectrum of solar-event protons (King 1974, J. Spacecraft 11, 401: the August 1972
#: event), ``F(>E) = F(>30) exp((30 - E) / 26.5 MeV)``; used for every event's shape.
SPE_E0_MEV = 26.5
_EC_GRID = np.geomspace(1.0, 2e4, 80)  # cutoff energies for the solar-event tables, MeV


@dataclass(frozen=True)
class ShieldResponse:
    """What reaches a part behind ``shielding_mm`` of aluminium (the centre of a sphere).

    ``trapped_dose``: rad(Si) per trapped proton / cm^2 above 10 MeV outside;
    ``trapped_see``: protons above ``PROTON_SEE_MIN_MEV`` at the part per proton / cm^2
    above 10 MeV outside. ``spe_dose``, ``spe_see``: the same per solar-event proton / cm^2
    above 30 MeV outside the magnetosphere, where the geomagnetic cutoff lets protons above
    ``_EC_GRID`` MeV through (arrays over that grid)."""

    shielding_mm: float
    trapped_dose: float
    trapped_see: float
    spe_dose: np.ndarray
    spe_see: np.ndarray


def _behind(x_g_cm2: float, outside):
    """Dose (rad per unit of the outside spectrum's normalisation) and the flux above
    ``PROTON_SEE_MIN_MEV`` behind ``x_g_cm2`` of aluminium, for an outside integral spectrum
    ``outside(E)`` (vectorised over the last axis of its result)."""
    e_in = np.geomspace(0.5, 5e4, 2500)
    e_out = _energy_from_range(proton_range_g_cm2(e_in, "al") + x_g_cm2, "al")
    f_in = outside(e_out)  # F_in(> e_in) = F_out(> e_out(e_in))
    mid = np.sqrt(e_in[1:] * e_in[:-1])
    dose = np.sum(-np.diff(f_in, axis=-1) * proton_stopping_power(mid, "si"), axis=-1)
    k = np.searchsorted(e_in, PROTON_SEE_MIN_MEV)
    return dose * RAD_PER_MEV_PER_G, f_in[..., k]


@lru_cache(maxsize=256)
def shield_response(shielding_mm: float) -> ShieldResponse:
    """The :class:`ShieldResponse` of ``shielding_mm`` of aluminium (cached)."""
    x = float(shielding_mm) * 0.1 * MATERIALS["al"][3]

    def trapped(e):
        return np.exp(-np.maximum(e - 10.0, 0.0) / TRAPPED_E0_MEV)

    def solar(e):
        e_eff = np.maximum(e[None, :], _EC_GRID[:, None])
        return np.exp((30.0 - e_eff) / SPE_E0_MEV)

    t_dose, t_see = _behind(x, trapped)
    s_dose, s_see = _behind(x, solar)
    return ShieldResponse(float(shielding_mm), float(t_dose), float(t_see), s_dose, s_see)


def _per_satellite(shielding_mm, field: str) -> np.ndarray:
    shield = np.asarray(shielding_mm, float)
    uniq, inv = np.unique(shield, return_inverse=True)
    vals = np.array([getattr(shield_response(float(u)), field) for u in uniq])
    return vals[inv.reshape(shield.shape)] if vals.ndim == 1 else vals[inv]


def trapped_response(shielding_mm) -> tuple[np.ndarray, np.ndarray]:
    """``(dose, see)`` of :class:`ShieldResponse` for each thickness (any shape)."""
    return _per_satellite(shielding_mm, "trapped_dose"), _per_satellite(shielding_mm,
                                                                        "trapped_see")


def spe_response(shielding_mm: np.ndarray, cutoff_gv: np.ndarray):
    """Solar-event ``(dose, see)`` per proton / cm^2 above 30 MeV outside the magnetosphere,
    for satellites (S,) behind ``shielding_mm`` at local cutoffs ``cutoff_gv`` (S, C)."""
    shield = np.asarray(shielding_mm, float)
    uniq, inv = np.unique(shield, return_inverse=True)
    log_ec = np.log(np.maximum(proton_energy_from_rigidity(cutoff_gv), _EC_GRID[0]))
    dose = np.empty(cutoff_gv.shape)
    see = np.empty(cutoff_gv.shape)
    grid = np.log(_EC_GRID)
    for i, u in enumerate(uniq):  # one pass per distinct shielding, not per satellite
        r = shield_response(float(u))
        rows = inv == i
        dose[rows] = np.interp(log_ec[rows], grid, r.spe_dose)
        see[rows] = np.interp(log_ec[rows], grid, r.spe_see)
    return dose, see


def dose_rate_rad_per_s(proton_flux: np.ndarray, gcr: np.ndarray, shielding_mm_al,
                        spe_dose_rate: np.ndarray | float = 0.0) -> np.ndarray:
    """Ionising dose rate in silicon, rad/s, behind ``shielding_mm_al`` of aluminium: the
    trapped protons (> 10 MeV flux outside) slowed down in the shielding, a solar event's
    dose rate if given, and the GCR background."""
    dose_per_p, _ = trapped_response(shielding_mm_al)
    return (proton_flux * dose_per_p + spe_dose_rate
            + GCR_DOSE_RAD_PER_YEAR / SECONDS_PER_YEAR * gcr / GCR_FREE_SPACE_FLUX)


# --- Single-event effects --------------------------------------------------------------------
#: Kinds of upset: silent data corruption, an uncorrectable memory error, a crash.
SILENT, UECC, CRASH = 0, 1, 2
KIND_NAMES = ("silent", "uecc", "crash")


# --- Solar particle events --------------------------------------------------------------------
#: Keys the solar-event stream apart from the other streams of the run's seed.
SPE_STREAM = 0x5E9


@dataclass(frozen=True)
class SolarEvents:
    """Solar particle events of a run: start and end (s from the run's start) and fluence
    above 30 MeV at 1 AU outside the magnetosphere (protons / cm^2), spread evenly over the
    event."""

    start_s: np.ndarray
    end_s: np.ndarray
    fluence30: np.ndarray

    def flux30(self, t_s: np.ndarray) -> np.ndarray:
        """Flux above 30 MeV outside the magnetosphere at times ``t_s`` (protons/cm^2/s)."""
        t = np.asarray(t_s, float)
        if not self.start_s.size:
            return np.zeros(t.shape)
        rate = self.fluence30 / (self.end_s - self.start_s)
        active = (t[..., None] >= self.start_s) & (t[..., None] < self.end_s)
        return active @ rate


def solar_particle_events(seed: int, duration_s: float, per_year: float, log10_mean: float,
                          log10_sigma: float, event_s: float) -> SolarEvents:
    """The solar particle events of a run, a seeded process in the JPL-91 model's form
    (Feynman et al. 1993): a Poisson process of ``per_year`` events a year (exponential gaps
    from the run's start), each with a log-normal fluence above 30 MeV (``log10_mean``,
    ``log10_sigma`` of log10 protons/cm^2), lasting ``event_s``. The sequence is drawn in
    order from its own stream of ``seed``, so a longer run keeps a shorter run's events."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, SPE_STREAM])
    starts, logs = [], []
    t = 0.0
    mean_gap = SECONDS_PER_YEAR / per_year if per_year > 0 else np.inf
    while True:
        t += rng.exponential(mean_gap) if np.isfinite(mean_gap) else np.inf
        if not t < duration_s:
            break
        starts.append(t)
        logs.append(rng.normal(log10_mean, log10_sigma))
    start = np.array(starts, float)
    return SolarEvents(start, start + float(event_s), 10.0 ** np.array(logs, float))


# --- Heavy ions by LET (with a LET spectrum of your own) ---------------------------------------
def weibull_cross_section(let, saturation_cm2: float, threshold: float, width: float,
                          shape: float) -> np.ndarray:
    """The Weibull fit of a heavy-ion cross-section: ``sat (1 - exp(-((L - L0) / W)^s))``
    above the threshold ``L0``, 0 below (LET in the units of ``threshold`` and ``width``)."""
    x = np.maximum(np.asarray(let, float) - threshold, 0.0) / width
    return saturation_cm2 * -np.expm1(-(x**shape))


def let_averaged_cross_section(let, integral_flux, saturation_cm2: float, threshold: float,
                               width: float, shape: float) -> float:
    """Upsets per particle of an integral LET spectrum ``F(> L)`` (``let`` ascending,
    ``integral_flux`` non-increasing, any unit): ``int sigma(L) (-dF/dL) dL / F(> L_min)``,
    the spectrum's particles above its last LET taken at the saturation. With a spectrum
    that starts at the protons' LET (all cosmic rays), times the GCR flux this is the
    heavy-ion upset rate of the LET integral (CREME96's, without the chord-length
    distribution: the part's cross-section is taken as isotropic)."""
    let = np.asarray(let, float)
    f = np.asarray(integral_flux, float)
    if f[0] <= 0.0:
        return 0.0
    mid = 0.5 * (let[1:] + let[:-1])
    sigma = weibull_cross_section(mid, saturation_cm2, threshold, width, shape)
    total = np.sum(sigma * -np.diff(f)) + f[-1] * float(
        weibull_cross_section(let[-1], saturation_cm2, threshold, width, shape))
    return float(total / f[0])
