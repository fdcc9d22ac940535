"""The scenario: what a user writes in TOML, validated with pydantic.

Key names are a contract (``shared/design.md``, ``docs/scenario.md``): units in names, UTC times,
paths relative to the scenario file. Every model forbids unknown keys, so a typo is an error that
names the key rather than a silently ignored setting.
"""

from __future__ import annotations

import datetime as _dt
import math
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from sgp4.api import Satrec

from orbitdc.model._base import Name, Strict
from orbitdc.model.catalogue import PART_KINDS, Catalogue, Part, shipped_catalogue
from orbitdc.model.economics import Economics
from orbitdc.model.elements import parse_omm_text, parse_tle_text
from orbitdc.model.errors import ScenarioError
from orbitdc.model.network import Network, UserRegion
from orbitdc.model.satellite import DEFAULT_TERMINALS, ResolvedSatellite, SatelliteType
from orbitdc.model.nightsky import NightSky
from orbitdc.model.radiation import Radiation
from orbitdc.model.screening import Screening
from orbitdc.model.sustainability import Sustainability
from orbitdc.model.workload import Policy, Workload

__all__ = [
    "AUTO_RECORD_LIMIT",
    "MAX_ALTITUDE_KM",
    "MIN_ALTITUDE_KM",
    "ClusterFleet",
    "ElementsFleet",
    "GroundStation",
    "Output",
    "Scenario",
    "SsoFleet",
    "WalkerFleet",
    "load_scenario",
    "parse_scenario",
]

#: Lowest mean altitude accepted for generated orbits: below ~150 km an orbit decays within
#: hours and SGP4 stops (Vallado et al. 2006 treat perigee below 98 km as decayed).
MIN_ALTITUDE_KM = 150.0
#: Highest mean altitude accepted: beyond about twice geostationary SGP4/SDP4 is not meant to be
#: used and the conical shadow model's Earth disk becomes tiny.
MAX_ALTITUDE_KM = 100_000.0

#: Most steps a run may have (a year at 0.3 s).
MAX_STEPS = 100_000_000
#: With ``[output] satellites = "auto"``, fleets larger than this record this many satellites.
AUTO_RECORD_LIMIT = 100

_Strict = Strict


Altitude = Annotated[
    float,
    Field(
        ge=MIN_ALTITUDE_KM,
        le=MAX_ALTITUDE_KM,
        description="mean altitude above the equator, km",
    ),
]


class _FleetBase(_Strict):
    name: Name
    #: The satellite type (a ``[satellite.NAME]`` table) this fleet flies; none: orbits only.
    satellite: Name | None = None


Inclination = Annotated[float, Field(ge=0.0, le=180.0)]


class WalkerFleet(_FleetBase):
    """A Walker-delta shell ``i: T/P/F`` of circular orbits.

    ``altitude_km`` and ``inclination_deg`` are each a number or a band ``[low, high]``: a
    band spreads the shell's planes evenly over it, the first plane at ``low`` and the last
    at ``high`` in order of their nodes (a filing's shell "of up to 50 km" between two
    altitudes, or an inclination range); a plane's satellites share its altitude and
    inclination."""

    kind: Literal["walker"]
    altitude_km: Altitude | Annotated[list[Altitude], Field(min_length=2, max_length=2)]
    inclination_deg: Inclination | Annotated[list[Inclination],
                                             Field(min_length=2, max_length=2)]
    planes: Annotated[int, Field(ge=1, le=10_000)]
    per_plane: Annotated[int, Field(ge=1, le=10_000)]
    phasing: Annotated[int, Field(ge=0)] = 0
    raan0_deg: float = 0.0

    @model_validator(mode="after")
    def _phasing_in_range(self):
        if self.phasing >= self.planes:
            raise ValueError(
                f"phasing must be between 0 and planes - 1 = {self.planes - 1}, got {self.phasing}"
            )
        return self

    @field_validator("altitude_km", "inclination_deg")
    @classmethod
    def _band_low_then_high(cls, value):
        if isinstance(value, list) and value[0] > value[1]:
            raise ValueError(f"a band is [low, high], got [{value[0]:g}, {value[1]:g}]")
        return value

    @property
    def count(self) -> int:
        return self.planes * self.per_plane

    def _per_plane(self, value) -> list[float]:
        if not isinstance(value, list):
            return [float(value)] * self.planes
        lo, hi = value
        if self.planes == 1:
            return [0.5 * (lo + hi)]
        return [lo + (hi - lo) * j / (self.planes - 1) for j in range(self.planes)]

    @property
    def plane_altitudes_km(self) -> list[float]:
        """Each plane's altitude (the band spread evenly over the planes, or the one value)."""
        return self._per_plane(self.altitude_km)

    @property
    def plane_inclinations_deg(self) -> list[float]:
        """Each plane's inclination (the band spread evenly over the planes, or the one
        value)."""
        return self._per_plane(self.inclination_deg)


class SsoFleet(_FleetBase):
    """Satellites evenly spaced in one sun-synchronous circular plane (inclination from J2)."""

    kind: Literal["sso"]
    altitude_km: Annotated[float, Field(ge=MIN_ALTITUDE_KM, le=5_900.0)]
    ltan_h: Annotated[float, Field(ge=0.0, lt=24.0, description="local time of ascending node")]
    count: Annotated[int, Field(ge=1, le=100_000)] = 1


class ClusterFleet(_FleetBase):
    """A tight formation around one circular reference orbit.

    The reference orbit is sun-synchronous when ``ltan_h`` is given (inclination from J2), else
    it is set by ``inclination_deg`` and ``raan_deg``.
    """

    kind: Literal["cluster"]
    altitude_km: Altitude
    count: Annotated[int, Field(ge=1, le=100_000)]
    radius_km: Annotated[float, Field(gt=0.0, le=100.0)]
    ltan_h: Annotated[float | None, Field(ge=0.0, lt=24.0)] = None
    inclination_deg: Annotated[float | None, Field(ge=0.0, le=180.0)] = None
    raan_deg: float | None = None

    @model_validator(mode="after")
    def _orbit_given_once(self):
        if self.ltan_h is None and self.inclination_deg is None:
            raise ValueError("give either ltan_h (sun-synchronous) or inclination_deg")
        if self.ltan_h is not None and (
            self.inclination_deg is not None or self.raan_deg is not None
        ):
            raise ValueError(
                "ltan_h sets a sun-synchronous orbit; do not also give inclination_deg/raan_deg"
            )
        if self.ltan_h is not None and self.altitude_km > 5_900.0:
            raise ValueError("no sun-synchronous orbit exists above about 5,900 km")
        return self


class ElementsFleet(_FleetBase):
    """Satellites from element sets: TLE inline or in a file, or OMM (JSON or XML)."""

    kind: Literal["elements"]
    tle: str | None = None
    tle_file: str | None = None
    omm: str | None = None
    omm_file: str | None = None
    _records: list[tuple[str | None, Satrec]] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self):
        given = [k for k in ("tle", "tle_file", "omm", "omm_file") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of tle, tle_file, omm, omm_file"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def source_key(self) -> str:
        return next(k for k in ("tle", "tle_file", "omm", "omm_file") if getattr(self, k))

    def load(self, base_dir: Path) -> None:
        """Read and parse the element sets (raises ValueError with a readable message)."""
        key = self.source_key
        value = getattr(self, key)
        if key.endswith("_file"):
            path = (base_dir / value).resolve()
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        else:
            text = value
        parse = parse_tle_text if key.startswith("tle") else parse_omm_text
        self._records = parse(text)

    @property
    def records(self) -> list[tuple[str | None, Satrec]]:
        return self._records

    @property
    def count(self) -> int:
        return len(self._records)


Fleet = Annotated[
    WalkerFleet | SsoFleet | ClusterFleet | ElementsFleet, Field(discriminator="kind")
]


class GroundStation(_Strict):
    name: Name
    lat_deg: Annotated[float, Field(ge=-90.0, le=90.0)]
    lon_deg: Annotated[float, Field(ge=-180.0, le=360.0)]
    alt_m: Annotated[float, Field(ge=-500.0, le=9_000.0)] = 0.0
    min_elevation_deg: Annotated[float, Field(ge=0.0, lt=90.0)] = 5.0
    #: Link capacity to and from a satellite in view, per antenna.
    downlink_bps: Annotated[float, Field(ge=0.0)] = 10e9
    uplink_bps: Annotated[float, Field(ge=0.0)] = 1e9
    #: Antennas: the station serves this many satellites at once (one each).
    antennas: Annotated[int, Field(ge=1, le=1000)] = 1


#: The kinds of window ``events.parquet`` can hold (``[output] events`` chooses among them).
EVENT_KINDS = ("contact", "fault", "link", "penumbra", "umbra")


class Output(_Strict):
    """What the time series records, and which events are written.

    ``satellites``: ``"all"``, ``"auto"`` (all when the run has at most
    ``AUTO_RECORD_LIMIT`` satellites, else that many spread evenly over the fleet), or a list of
    satellite or fleet names. ``every_s``: recording interval, a multiple of ``step_s``
    (default: ``step_s`` rounded up to a multiple that is at least 60 s). ``events``: the
    kinds of window written to ``events.parquet`` (default: all of them); the summary counts
    every kind whatever is written.
    """

    satellites: Literal["all", "auto"] | list[Name] = "auto"
    every_s: Annotated[float | None, Field(gt=0.0)] = None
    events: list[Literal["contact", "fault", "link", "penumbra", "umbra"]] = list(EVENT_KINDS)

    @field_validator("satellites")
    @classmethod
    def _non_empty(cls, value):
        if isinstance(value, list) and not value:
            raise ValueError('list at least one satellite or fleet name, or use "all"')
        return value


def _unique(label: str, names: list[str]) -> None:
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{label} names must be unique; repeated: {', '.join(dup)}")


def _multiple_of_step(key: str, value: float | None, step_s: float, why: str = "") -> None:
    if value is None:
        return
    ratio = value / step_s
    if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
        raise ValueError(
            f"{key} ({value:g}) must be a positive multiple of step_s ({step_s:g}){why}"
        )


class Scenario(_Strict):
    """A whole scenario. Build one with :func:`load_scenario` or :func:`parse_scenario`."""

    name: Name
    description: str = ""
    start: _dt.datetime
    duration_h: Annotated[float, Field(gt=0.0, le=24.0 * 366)]
    step_s: Annotated[float, Field(gt=0.0, le=3600.0)]
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 1
    fleet: Annotated[list[Fleet], Field(min_length=1)]
    ground_station: list[GroundStation] = []
    output: Output = Output()
    #: The user's own parts, added to (or replacing) the catalogue's, by name.
    part: dict[Name, Part] = {}
    #: Satellite types, by name; fleets refer to them with ``satellite = "NAME"``.
    satellite: dict[Name, SatelliteType] = {}
    #: Cost inputs (all with defaults; see docs/economics.md).
    economics: Economics = Economics()
    #: Inter-satellite links and routing (none by default).
    network: Network = Network()
    #: Users, for latency: cities with a weight.
    user_region: list[UserRegion] = []
    #: AI jobs for the orchestrator, and its policy.
    workload: list[Workload] = []
    policy: Policy = Policy()
    #: Orbital lifetime and disposal inputs (all with defaults; see docs/scenario.md).
    sustainability: Sustainability = Sustainability()
    #: The run's radiation environment beyond the fixed models: solar particle events.
    radiation: Radiation = Radiation()
    #: Close-approach screening of the run (none by default; see docs/scenario.md).
    screening: Screening | None = None
    #: Night-sky counts at observatories (none by default; see docs/scenario.md).
    night_sky: NightSky | None = None
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="<scenario>")
    _resolved: dict[str, ResolvedSatellite] = PrivateAttr(default_factory=dict)

    @field_validator("start")
    @classmethod
    def _utc(cls, value: _dt.datetime) -> _dt.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must be a UTC time with its offset, e.g. 2026-03-20T00:00:00Z")
        return value.astimezone(_dt.UTC)

    @model_validator(mode="after")
    def _consistent(self):
        duration_s = self.duration_h * 3600.0
        if self.step_s > duration_s:
            raise ValueError(
                f"step_s ({self.step_s:g} s) must not exceed the duration ({duration_s:g} s)"
            )
        _unique("fleet", [f.name for f in self.fleet])
        _unique("ground_station", [g.name for g in self.ground_station])
        _unique("user_region", [u.name for u in self.user_region])
        _multiple_of_step("network.routing_step_s", self.network.routing_step_s, self.step_s,
                          ": routes cannot change between steps")
        _multiple_of_step("output.every_s", self.output.every_s, self.step_s)
        _multiple_of_step("policy.step_s", self.policy.step_s, self.step_s,
                          ": jobs cannot be scheduled between steps")
        _unique("workload", [w.name for w in self.workload])
        if any(w.kind == "inference" for w in self.workload) and not self.user_region:
            raise ValueError("inference workloads serve user regions: add [[user_region]]")
        driven = [w.name for w in self.workload if w.data_driven]
        if driven and self.ground_station and "contact" not in self.output.events:
            raise ValueError(
                f"output.events must include \"contact\": the data-driven workloads "
                f"({', '.join(driven)}) finish when their results are down, which the "
                "run's contact windows decide")
        return self

    # --- derived quantities ---------------------------------------------------------------
    @model_validator(mode="after")
    def _sizes(self):
        steps = self.duration_s / self.step_s
        if steps > MAX_STEPS:
            raise ValueError(
                f"{steps:.3g} steps ({self.duration_h:g} h at {self.step_s:g} s) is more than "
                f"{MAX_STEPS:,}: use a longer step_s"
            )
        return self

    @property
    def duration_s(self) -> float:
        return self.duration_h * 3600.0

    @property
    def n_steps(self) -> int:
        """Number of sample times, including both ends (the last step may be shorter)."""
        return int(math.ceil(self.duration_s / self.step_s - 1e-9)) + 1

    @property
    def routing_every(self) -> int:
        """Routing interval in steps."""
        if self.network.routing_step_s is not None:
            return int(round(self.network.routing_step_s / self.step_s))
        return max(1, int(math.ceil(60.0 / self.step_s - 1e-9)))

    @property
    def schedule_every(self) -> int:
        """Scheduling interval in steps (default: 60 s rounded up to a step)."""
        if self.policy.step_s is not None:
            return int(round(self.policy.step_s / self.step_s))
        return max(1, int(math.ceil(60.0 / self.step_s - 1e-9)))

    @property
    def record_every(self) -> int:
        """Time-series recording interval in steps."""
        if self.output.every_s is not None:
            return int(round(self.output.every_s / self.step_s))
        return max(1, int(math.ceil(60.0 / self.step_s - 1e-9)))

    @property
    def catalogue(self) -> Catalogue:
        """The shipped catalogue with this scenario's own parts."""
        return shipped_catalogue().with_parts(self.part)

    @property
    def satellite_types(self) -> dict[str, ResolvedSatellite]:
        """Satellite types with their parts looked up, by name."""
        return self._resolved

    def fleet_types(self) -> list[ResolvedSatellite | None]:
        """The resolved satellite type of each fleet (None where a fleet has none)."""
        return [self._resolved[f.satellite] if f.satellite else None for f in self.fleet]

    def isl_terminal(self, isl) -> str:
        """The terminal part a ``[[network.isl]]`` entry's links use: its own, else its
        fleet's satellite type's, else ``starlink-laser``."""
        if isl.terminal is not None:
            return isl.terminal
        f = next((f for f in self.fleet if f.name == isl.fleet), None)
        spec = self.satellite.get(f.satellite) if f is not None and f.satellite else None
        return spec.terminal if spec is not None and spec.terminal else "starlink-laser"

    def isl_terminals(self, isl) -> int:
        """Terminals each satellite of a ``[[network.isl]]`` entry's fleet carries: its
        satellite type's count, else ``DEFAULT_TERMINALS``."""
        f = next((f for f in self.fleet if f.name == isl.fleet), None)
        t = self._resolved.get(f.satellite) if f is not None and f.satellite else None
        return t.terminal_count if t is not None else DEFAULT_TERMINALS

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def source(self) -> str:
        return self._source

    @cached_property
    def satellite_names(self) -> list[str]:
        """Names of all satellites, ``<fleet>-<index>``; a fleet of one is named as the fleet."""
        out: list[str] = []
        for f in self.fleet:
            n = f.count
            out.extend([f.name] if n == 1 else [f"{f.name}-{i}" for i in range(n)])
        return out

    def recorded_satellites(self) -> list[int]:
        """Indices of the satellites whose time series is recorded."""
        names = self.satellite_names
        sel = self.output.satellites
        if sel == "all":
            return list(range(len(names)))
        if sel == "auto":
            limit = AUTO_RECORD_LIMIT
            if len(names) <= limit:
                return list(range(len(names)))
            step = len(names) / limit
            return sorted({int(i * step) for i in range(limit)})
        index = {n: i for i, n in enumerate(names)}
        out: set[int] = set()
        start = 0
        spans = {}
        for f in self.fleet:
            n = f.count
            spans[f.name] = range(start, start + n)
            start += n
        for item in sel:
            if item in spans:
                out.update(spans[item])
            elif item in index:
                out.add(index[item])
        return sorted(out)


# --- loading ---------------------------------------------------------------------------------


_FLEET_KINDS = {"walker", "sso", "cluster", "elements"}


def _key(loc: tuple) -> str:
    """Dotted key from a pydantic location, dropping the union tags pydantic inserts after a
    fleet (``fleet.0.walker.altitude_km``) or a part (``part.gpu.accelerator.mass_kg``)."""
    parts: list[str] = []
    for i, item in enumerate(loc):
        if isinstance(item, str) and ("[" in item or item.startswith("function-")):
            continue
        if i >= 2 and isinstance(item, str):
            if loc[i - 2] == "fleet" and item in _FLEET_KINDS:
                continue
            if loc[i - 2] == "part" and item in PART_KINDS:
                continue
        parts.append(str(item))
    return ".".join(parts)


def _describe(err: dict) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        return "unknown key (check its spelling against docs/scenario.md)"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        expected = err.get("ctx", {}).get("expected_tags", "")
        return f"unknown kind {err['input'].get('kind')!r}; expected one of {expected}"
    if kind == "union_tag_not_found":
        if err["loc"] and err["loc"][0] == "part":
            return f"missing key 'kind' ({', '.join(PART_KINDS)})"
        return "missing key 'kind' (walker, sso, cluster or elements)"
    msg = msg.removeprefix("Value error, ")
    value = err.get("input")
    if kind != "value_error" and not isinstance(value, (dict, list)):
        msg = f"{msg} (got {value!r})"
    return msg


def parse_scenario(
    data: dict, *, source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate a scenario given as a dict (as read from TOML). Raises :class:`ScenarioError`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [(_key(e["loc"]), _describe(e)) for e in exc.errors()]
        raise ScenarioError(source, problems) from None
    scenario._source = source
    scenario._base_dir = (base_dir or Path.cwd()).resolve()
    problems = []
    for i, fleet in enumerate(scenario.fleet):
        if isinstance(fleet, ElementsFleet):
            try:
                fleet.load(scenario.base_dir)
            except ValueError as exc:
                problems.append((f"fleet.{i}.{fleet.source_key}", str(exc)))
    catalogue = scenario.catalogue
    for name, sat_type in scenario.satellite.items():
        try:
            scenario._resolved[name] = sat_type.resolve(catalogue)
        except KeyError as exc:
            key, message = exc.args[0]
            problems.append((f"satellite.{name}.{key}", message))
    try:
        scenario.radiation.load(scenario.base_dir)
    except ValueError as exc:
        problems.append(("radiation.gcr_let_spectrum_file", str(exc)))
    for name, resolved in scenario._resolved.items():
        if (resolved.accelerator.ion_weibull is not None
                and scenario.radiation.gcr_let_spectrum_file is None):
            problems.append((f"satellite.{name}.accelerator", "its part has an ion_weibull, "
                             "which needs radiation.gcr_let_spectrum_file (an integral LET "
                             "spectrum) to give the cosmic rays' upsets"))
    for i, fleet in enumerate(scenario.fleet):
        if fleet.satellite is not None and fleet.satellite not in scenario.satellite:
            defined = ", ".join(sorted(scenario.satellite)) or "none (add a [satellite.NAME] table)"
            problems.append(
                (f"fleet.{i}.satellite", f"no satellite type named {fleet.satellite!r}; "
                 f"defined: {defined}")
            )
    if not problems:
        names = scenario.satellite_names
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            problems.append(("fleet", f"satellite names collide ({', '.join(dup[:3])}): fleets "
                             "are numbered <fleet>-<index>, so rename a fleet"))
    fleets = {f.name: f for f in scenario.fleet}
    for i, isl in enumerate(scenario.network.isl):
        key = f"network.isl.{i}"
        fleet = fleets.get(isl.fleet)
        if fleet is None:
            problems.append((f"{key}.fleet", f"no fleet named {isl.fleet!r}; fleets: "
                             f"{', '.join(fleets)}"))
        elif isl.topology == "+grid" and not isinstance(fleet, WalkerFleet):
            problems.append((f"{key}.topology", f"+grid needs a walker fleet; {isl.fleet!r} is "
                             f"{fleet.kind}: use range or nearest"))
        if isl.record_links and isl.topology == "nearest":
            problems.append((f"{key}.record_links", "link windows can be recorded for +grid "
                             "and range topologies, not nearest"))
        try:
            catalogue.get("terminal", scenario.isl_terminal(isl))
        except KeyError as exc:
            problems.append((f"{key}.terminal", exc.args[0]))
        spec = (scenario.satellite.get(fleet.satellite)
                if fleet is not None and fleet.satellite else None)
        if (spec is not None and spec.terminal and isl.terminal
                and spec.terminal != isl.terminal):
            problems.append((f"{key}.terminal", (
                f"the links of {isl.fleet!r} end on its satellites' terminals, "
                f"{spec.terminal!r} (satellite.{fleet.satellite}.terminal), not "
                f"{isl.terminal!r}: give one of them")))
        if spec is not None and spec.terminals == 0:
            problems.append((f"satellite.{fleet.satellite}.terminals", (
                f"0 terminals, but fleet {isl.fleet!r} has inter-satellite links ({key}): "
                "give how many optical terminals each satellite carries, or drop the links")))
    _resolve_terminals(scenario, catalogue)
    isl_fleets = [isl.fleet for isl in scenario.network.isl]
    dup = sorted({n for n in isl_fleets if isl_fleets.count(n) > 1})
    if dup:
        problems.append(("network.isl", f"one entry per fleet; repeated: {', '.join(dup)}"))
    if problems:
        raise ScenarioError(source, problems)
    known = set(scenario.satellite_names) | {f.name for f in scenario.fleet}
    sel = scenario.output.satellites
    if isinstance(sel, list):
        unknown = [s for s in sel if s not in known]
        if unknown:
            raise ScenarioError(
                source,
                [
                    (
                        "output.satellites",
                        f"no satellite or fleet named {', '.join(map(repr, unknown))}",
                    )
                ],
            )
    return scenario


def _resolve_terminals(scenario: Scenario, catalogue: Catalogue) -> None:
    """Each satellite type's terminals, for the mass roll-up and the links: its own count,
    else ``DEFAULT_TERMINALS`` where a fleet of the type has links (0 otherwise); its own
    terminal part, else that of its fleets' links."""
    import dataclasses

    linked = {isl.fleet: isl for isl in scenario.network.isl}
    for name, resolved in list(scenario._resolved.items()):
        isls = [linked[f.name] for f in scenario.fleet
                if f.satellite == name and f.name in linked]
        spec = resolved.spec
        count = spec.terminals if spec.terminals is not None else (
            DEFAULT_TERMINALS if isls else 0)
        part = resolved.terminal_part
        if part is None and isls:
            try:
                part = catalogue.get("terminal", scenario.isl_terminal(isls[0]))
            except KeyError:
                part = None  # reported with the entry's key
        scenario._resolved[name] = dataclasses.replace(
            resolved, terminal_part=part if count else None, terminal_count=count)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file. Raises :class:`ScenarioError` on bad input."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(source, [("", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError(source, [("", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark is harmless
    except UnicodeDecodeError:
        raise ScenarioError(source, [("", "not a UTF-8 text file")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("", f"not valid TOML: {exc}")]) from None
    return parse_scenario(data, source=source, base_dir=path.parent)
