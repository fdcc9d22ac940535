"""The ``[night_sky]`` section: observatory sites and the reflector model of the night-sky
counts (``orbitdc.core.nightsky``; computed by ``orbitdc.sim.nightsky``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from orbitdc.model._base import Name, Strict

__all__ = ["OBSERVATORIES", "NightSky", "Site"]

#: Shipped observatory sites: (latitude deg, longitude deg east, height m, source).
OBSERVATORIES: dict[str, tuple[float, float, float, str]] = {
    "rubin": (-30.244639, -70.749417, 2663.0,
              "Vera C. Rubin Observatory, Cerro Pachon: 30d14m40.7s S, 70d44m57.9s W, 2,663 m "
              "(the observatory's published site coordinates, rubinobservatory.org)"),
    "paranal": (-24.627439, -70.404111, 2635.0,
                "ESO Paranal Observatory (VLT): 24d37m38.8s S, 70d24m14.8s W, 2,635 m "
                "(ESO, 'Paranal Observatory', eso.org/public/teles-instr/paranal-observatory)"),
    "mauna-kea": (19.8206, -155.4681, 4205.0,
                  "Maunakea summit: 19d49m14s N, 155d28m05s W, 4,205 m (University of Hawaii "
                  "Institute for Astronomy, Maunakea Observatories)"),
    "la-palma": (28.7606, -17.8816, 2396.0,
                 "Roque de los Muchachos Observatory: 28d45m38s N, 17d52m54s W, 2,396 m "
                 "(Instituto de Astrofisica de Canarias, ORM site page)"),
}


class Site(Strict):
    name: Name
    lat_deg: Annotated[float, Field(ge=-90.0, le=90.0)]
    lon_deg: Annotated[float, Field(ge=-180.0, le=360.0)]
    alt_m: Annotated[float, Field(ge=-500.0, le=9_000.0)] = 0.0


class NightSky(Strict):
    """Night-sky counts per hour at observatory sites."""

    #: Shipped sites by name (see :data:`OBSERVATORIES`).
    observatories: list[str] = ["rubin"]
    #: Sites of one's own.
    site: list[Site] = []
    #: The night: hours whose samples have the Sun below this altitude (-18: astronomical).
    sun_below_deg: Annotated[float, Field(ge=-90.0, le=0.0)] = -18.0
    #: Satellites counted above this elevation.
    min_elevation_deg: Annotated[float, Field(ge=0.0, lt=90.0)] = 30.0
    #: Brighter than this V magnitude (6: the naked-eye limit under a dark sky).
    magnitude_limit: Annotated[float, Field(ge=-10.0, le=20.0)] = 6.0
    #: Diffuse-sphere reflector: Bond albedo, and its cross-section (default: each satellite
    #: type's drag area; without a type, ``area_m2`` must be given).
    albedo: Annotated[float, Field(gt=0.0, le=1.0)] = 0.2
    area_m2: Annotated[float | None, Field(gt=0.0, le=1e7)] = None
    #: Sampling step of the counts, s.
    step_s: Annotated[float, Field(gt=0.0, le=3600.0)] = 60.0

    @model_validator(mode="after")
    def _known_sites(self):
        unknown = [o for o in self.observatories if o not in OBSERVATORIES]
        if unknown:
            raise ValueError(f"unknown observatory {', '.join(map(repr, unknown))}; shipped: "
                             f"{', '.join(OBSERVATORIES)} (or give [[night_sky.site]])")
        if not self.observatories and not self.site:
            raise ValueError("no site: name observatories or give [[night_sky.site]]")
        return self
