"""The fleet as structure-of-arrays: one SGP4 element set and one row per satellite."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sgp4.api import Satrec, SatrecArray

from orbitdc.core import orbits
from orbitdc.core.frames import geodetic_to_ecef, up_vectors
from orbitdc.core.time import epoch_jd
from orbitdc.model.scenario import (
    ClusterFleet,
    ElementsFleet,
    Scenario,
    SsoFleet,
    WalkerFleet,
)

__all__ = ["Fleet", "Stations", "build_fleet", "build_stations", "fleet_bstar"]


@dataclass(frozen=True)
class Fleet:
    names: list[str]
    fleet_index: np.ndarray  # (S,) index into scenario.fleet
    satrecs: SatrecArray
    satrec_list: list[Satrec]

    @property
    def size(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Stations:
    names: list[str]
    ecef_km: np.ndarray  # (G, 3)
    up: np.ndarray  # (G, 3)
    sin_min_elevation: np.ndarray  # (G,)

    @property
    def size(self) -> int:
        return len(self.names)


def _circular(altitude_km, inclination_rad, raan_rad, anomaly_rad) -> orbits.CircularElements:
    raan_rad, anomaly_rad = np.broadcast_arrays(
        np.atleast_1d(np.asarray(raan_rad, float)), np.atleast_1d(np.asarray(anomaly_rad, float))
    )
    n = raan_rad.size
    return orbits.CircularElements(
        altitude_km=np.broadcast_to(np.asarray(altitude_km, float), (n,)).copy(),
        inclination_rad=np.broadcast_to(np.asarray(inclination_rad, float), (n,)).copy(),
        raan_rad=raan_rad.astype(float),
        mean_anomaly_rad=anomaly_rad.astype(float),
        ecc=np.zeros(n),
        argp_rad=np.zeros(n),
    )


def fleet_bstar(scenario: Scenario) -> list[float]:
    """The SGP4 drag term each generated fleet flies with: from its satellite type's ballistic
    coefficient, 0 (no drag) for a fleet without a type. Element sets keep their own.

    Cluster fleets fly without drag too: SGP4's drag terms act on each member's own
    eccentricity and perigee, and a formation's geometry lives in eccentricity differences of
    ~1e-5, so identical members drift apart where physics keeps them together (measured on
    the suncatcher preset: nearest neighbours at 96.8 m instead of 100 m within two orbits).
    Identical members feel no differential drag; the cluster's common decay is in the
    lifetime figures of the summary."""
    return [
        float(orbits.bstar_from_ballistic(t.ballistic_m2_per_kg))
        if t is not None and not isinstance(f, ClusterFleet) else 0.0
        for f, t in zip(scenario.fleet, scenario.fleet_types(), strict=True)
    ]


def _fleet_satrecs(
    fleet, epoch: tuple[float, float], first_satnum: int, bstar: float = 0.0
) -> list[Satrec]:
    if isinstance(fleet, ElementsFleet):
        return [sat for _, sat in fleet.records]
    gmst, ut_hours = orbits.gmst_and_ut_hours(epoch)
    if isinstance(fleet, WalkerFleet):
        raan, anomaly = orbits.walker_delta(
            fleet.planes, fleet.per_plane, fleet.phasing, np.deg2rad(fleet.raan0_deg)
        )
        # Satellites go plane by plane: each takes its plane's altitude and inclination.
        el = _circular(np.repeat(fleet.plane_altitudes_km, fleet.per_plane),
                       np.deg2rad(np.repeat(fleet.plane_inclinations_deg, fleet.per_plane)),
                       raan, anomaly)
    elif isinstance(fleet, SsoFleet):
        inc = orbits.sgp4_sun_synchronous_inclination_rad(fleet.altitude_km, epoch)
        raan = orbits.raan_for_ltan_rad(gmst, ut_hours, fleet.ltan_h)
        anomaly = 2.0 * np.pi * np.arange(fleet.count) / fleet.count
        el = _circular(fleet.altitude_km, inc, raan, anomaly)
    elif isinstance(fleet, ClusterFleet):
        if fleet.ltan_h is not None:
            inc = orbits.sgp4_sun_synchronous_inclination_rad(fleet.altitude_km, epoch)
            raan = orbits.raan_for_ltan_rad(gmst, ut_hours, fleet.ltan_h)
        else:
            inc = np.deg2rad(fleet.inclination_deg)
            raan = np.deg2rad(fleet.raan_deg or 0.0)
        reference = _circular(fleet.altitude_km, inc, raan, 0.0)
        offsets = orbits.lattice_offsets_km(fleet.count, fleet.radius_km)
        el = orbits.formation_elements(reference, offsets)
    else:  # pragma: no cover - the scenario model admits no other kind
        raise TypeError(f"unknown fleet kind {type(fleet).__name__}")
    return orbits.satrecs_from_elements(el, epoch, first_satnum, bstar=bstar)


def build_fleet(scenario: Scenario) -> Fleet:
    """SGP4 element sets for every satellite, in scenario order."""
    epoch = epoch_jd(scenario.start)
    satrecs: list[Satrec] = []
    index: list[int] = []
    bstar = fleet_bstar(scenario)
    for i, fleet in enumerate(scenario.fleet):
        sats = _fleet_satrecs(fleet, epoch, first_satnum=90000 + len(satrecs), bstar=bstar[i])
        satrecs.extend(sats)
        index.extend([i] * len(sats))
    return Fleet(
        names=list(scenario.satellite_names),
        fleet_index=np.asarray(index, dtype=np.int32),
        satrecs=SatrecArray(satrecs),
        satrec_list=satrecs,
    )


def build_stations(scenario: Scenario) -> Stations:
    gs = scenario.ground_station
    lat = np.deg2rad([g.lat_deg for g in gs])
    lon = np.deg2rad([g.lon_deg for g in gs])
    alt = np.asarray([g.alt_m / 1000.0 for g in gs])
    return Stations(
        names=[g.name for g in gs],
        ecef_km=geodetic_to_ecef(lat, lon, alt).reshape(-1, 3),
        up=up_vectors(lat, lon).reshape(-1, 3),
        sin_min_elevation=np.sin(np.deg2rad([g.min_elevation_deg for g in gs])),
    )
