"""The ``[network]`` section: inter-satellite links per fleet, routing, user regions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from orbitdc.model._base import Name, Strict

__all__ = ["IslConfig", "Network", "UserRegion"]


class IslConfig(Strict):
    """Inter-satellite links inside one fleet.

    ``+grid`` (Walker shells): fore and aft in the plane, and the nearest satellite in each
    adjacent plane. ``range`` (formation clusters): pairs within ``max_range_km``.
    ``nearest``: each satellite's ``k`` nearest within ``max_range_km``. Every link also needs
    line of sight clear of the Earth and the atmosphere margin, and a free optical terminal
    at both ends: a satellite holds at most its type's ``terminals`` links, links already up
    first, then the shortest (``orbitdc.core.links.match_terminals``)."""

    fleet: Name
    topology: Literal["+grid", "range", "nearest"]
    max_range_km: Annotated[float, Field(gt=0.0, le=100_000.0)] = 5_000.0
    k: Annotated[int, Field(ge=1, le=64)] = 4
    #: The terminal part; default the fleet's satellite type's ``terminal``, else
    #: ``starlink-laser``.
    terminal: str | None = None
    transceivers_per_link: Annotated[int, Field(ge=1, le=64)] = 1
    #: Write each link's up/down windows to events.parquet (kind "link", target: the peer).
    #: Not for ``nearest``, whose links depend on the whole fleet.
    record_links: bool = False


class UserRegion(Strict):
    """Users at a point (a city), reaching the constellation through visible satellites."""

    name: Name
    lat_deg: Annotated[float, Field(ge=-90.0, le=90.0)]
    lon_deg: Annotated[float, Field(ge=-180.0, le=360.0)]
    weight: Annotated[float, Field(ge=0.0)] = 1.0


class Network(Strict):
    #: How often routes are recomputed; a multiple of ``step_s`` (default: 60 s rounded up).
    routing_step_s: Annotated[float | None, Field(gt=0.0)] = None
    #: Lowest height a link's line of sight may pass above the Earth.
    atmosphere_margin_km: Annotated[float, Field(ge=0.0, le=1000.0)] = 80.0
    #: Users see satellites above this elevation.
    user_min_elevation_deg: Annotated[float, Field(ge=0.0, lt=90.0)] = 25.0
    isl: list[IslConfig] = []
