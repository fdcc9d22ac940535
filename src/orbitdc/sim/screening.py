"""Conjunction screening of a scenario: its satellites (all fleets) and a catalogue's objects,
all against all over the scenario's span; ``conjunctions.parquet`` and the summary's
``screening`` section.

The kernels are ``orbitdc.core.conjunctions`` (validation: docs/validation.md); this module
gathers the objects, checks their element sets' epochs against the run, names the approaches
and writes them.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sgp4.api import Satrec

from orbitdc.core import conjunctions as cj
from orbitdc.core.time import epoch_jd, to_datetime64
from orbitdc.model.errors import ScenarioError
from orbitdc.model.scenario import ClusterFleet, ElementsFleet, Scenario
from orbitdc.model.screening import Screening, read_catalogue
from orbitdc.sim.fleet import build_fleet

__all__ = ["CATALOGUE_GROUP", "CONJUNCTIONS_SCHEMA", "Screen", "check_catalogue",
           "screen_scenario", "screen_to_directory", "write_screen"]

#: The group name of a catalogue's objects in the table and the per-pair summary.
CATALOGUE_GROUP = "catalogue"

CONJUNCTIONS_SCHEMA = pa.schema([
    ("a", pa.string()), ("b", pa.string()), ("a_group", pa.string()), ("b_group", pa.string()),
    ("tca", pa.timestamp("us", tz="UTC")), ("miss_km", pa.float64()),
    ("speed_km_s", pa.float64()), ("radial_km", pa.float64()), ("in_track_km", pa.float64()),
    ("cross_track_km", pa.float64()), ("probability", pa.float64()),
])


class Screen:
    """A screen's result: ``table`` (pyarrow, one row per approach, sorted by TCA) and
    ``summary`` (a JSON-ready dict); ``warnings`` (epochs far from the run)."""

    def __init__(self, table: pa.Table, summary: dict):
        self.table = table
        self.summary = summary

    @property
    def warnings(self) -> list[str]:
        return self.summary["warnings"]


def _epoch_days_from(sat: Satrec, start: _dt.datetime) -> float:
    jd0, fr0 = epoch_jd(start)
    return (sat.jdsatepoch - jd0) + (sat.jdsatepochF - fr0)


def _check_epochs(records, source: str, key: str, start, duration_days: float, cfg: Screening,
                  warnings: list[str]) -> None:
    """Refuse element sets whose epoch lies more than ``max_epoch_age_days`` outside the run,
    warn beyond ``warn_epoch_age_days``; both with the figures."""
    if not records:
        return
    age = np.array([_epoch_days_from(s, start) for _, s in records])
    # Distance of the epoch from the run's span [0, duration]: 0 inside it.
    off = np.where(age < 0, -age, np.maximum(age - duration_days, 0.0))
    worst = int(np.argmax(off))
    label = records[worst][0] or f"catalogue number {records[worst][1].satnum}"
    too_old = off > cfg.max_epoch_age_days
    if too_old.any():
        raise ScenarioError(source, [(key, (
            f"{int(too_old.sum())} of {len(records)} element sets have epochs more than "
            f"{cfg.max_epoch_age_days:g} days from the run (the furthest: record "
            f"{worst + 1}, {label!r}, {off[worst]:.1f} days); SGP4 that far from its epoch is "
            "meaningless for screening: use element sets from near the run's start, or raise "
            "screening.max_epoch_age_days"))])
    far = off > cfg.warn_epoch_age_days
    if far.any():
        warnings.append(
            f"{source}: {int(far.sum())} of {len(records)} element sets have epochs more than "
            f"{cfg.warn_epoch_age_days:g} days from the run (the furthest: record {worst + 1}, "
            f"{label!r}, {off[worst]:.1f} days); SGP4 errors grow by 1-3 km a day from epoch, "
            "so their approaches are that uncertain")


def _section_catalogue(scenario: Scenario):
    """The ``[screening] catalog_file`` of ``scenario`` read: ``(path, records)``; a file
    missing or unparseable raises :class:`ScenarioError` naming the scenario, the key and the
    catalogue (and its record)."""
    path = (scenario.base_dir / scenario.screening.catalog_file).resolve()
    try:
        return path, read_catalogue(path)
    except ScenarioError as exc:
        raise ScenarioError(scenario.source, [("screening.catalog_file", str(exc))]) from None


def check_catalogue(scenario: Scenario) -> int:
    """What ``orbitdc validate`` checks of a ``[screening]`` section: that its catalogue
    exists and parses (the number of its element sets; 0 without one). Raises
    :class:`ScenarioError` like ``orbitdc run`` would."""
    if scenario.screening is None or scenario.screening.catalog_file is None:
        return 0
    return len(_section_catalogue(scenario)[1])


def screen_scenario(scenario: Scenario, *, threshold_km: float | None = None,
                    formation_threshold_km: float | None = None,
                    catalog: str | Path | None = None,
                    progress: Callable[[float, float], None] | None = None,
                    threads: int = 2) -> Screen:
    """Screen ``scenario``: its ``[screening]`` settings, with ``threshold_km``,
    ``formation_threshold_km`` and ``catalog`` (a path; read relative to the current folder)
    overriding them where given. Raises :class:`ScenarioError` on bad input."""
    cfg = scenario.screening
    if threshold_km is None and cfg is None:
        raise ScenarioError(scenario.source, [("screening.threshold_km", (
            "no threshold: give --threshold-km or a [screening] section"))])
    key = "--threshold-km" if threshold_km is not None else "screening.threshold_km"
    threshold = float(threshold_km if threshold_km is not None else cfg.threshold_km)
    if not (math.isfinite(threshold) and threshold > 0):
        raise ScenarioError(scenario.source if threshold_km is None else key,
                            [("" if threshold_km is not None else key,
                              f"the threshold must be a distance > 0 km (got {threshold:g})")])
    cfg = cfg or Screening(threshold_km=threshold)
    if formation_threshold_km is not None and not (
            math.isfinite(formation_threshold_km) and formation_threshold_km > 0):
        raise ScenarioError("--formation-threshold-km", [("", (
            f"the threshold must be a distance > 0 km (got {formation_threshold_km:g})"))])
    d_form = formation_threshold_km or cfg.formation_threshold_km or threshold
    warnings: list[str] = []
    duration_days = scenario.duration_s / 86400.0
    # The scenario's own satellites (element-set fleets are checked like a catalogue).
    fleet = build_fleet(scenario)
    for i, f in enumerate(scenario.fleet):
        if isinstance(f, ElementsFleet):
            _check_epochs(f.records, scenario.source, f"fleet.{i}.{f.source_key}",
                          scenario.start, duration_days, cfg, warnings)
    satrecs = list(fleet.satrec_list)
    names = list(fleet.names)
    groups = [scenario.fleet[k].name for k in fleet.fleet_index]
    formation = [isinstance(scenario.fleet[k], ClusterFleet) for k in fleet.fleet_index]
    catalog_source = None
    if catalog is not None:
        catalog_source = str(catalog)
        records = read_catalogue(catalog)
        _check_epochs(records, catalog_source, "", scenario.start, duration_days, cfg, warnings)
    elif cfg.catalog_file is not None:
        path, records = _section_catalogue(scenario)
        catalog_source = str(path)
        _check_epochs(records, scenario.source, "screening.catalog_file", scenario.start,
                      duration_days, cfg, warnings)
    else:
        records = []
    for n, (name, sat) in enumerate(records, start=1):
        satrecs.append(sat)
        names.append(name if name else f"catalogue number {sat.satnum} (record {n})")
        groups.append(CATALOGUE_GROUP)
        formation.append(False)
    group_names = list(dict.fromkeys(groups))
    group_id = np.array([group_names.index(g) for g in groups], np.int64)
    raw = cj.screen(satrecs, epoch_jd(scenario.start), scenario.duration_s, threshold,
                    group=group_id, formation=np.array(formation, bool),
                    formation_threshold_km=d_form, progress=progress, threads=threads)
    a, b = raw["a"], raw["b"]
    names_arr = np.asarray(names, dtype=object)
    groups_arr = np.asarray(groups, dtype=object)
    prob = None
    if cfg.covariance is not None:
        sigma = math.sqrt(2.0) * cfg.covariance.sigma_km  # both objects, same assumption
        prob = cj.collision_probability(raw["miss_km"], sigma,
                                        cfg.covariance.hard_body_radius_m / 1000.0)
    table = pa.table({
        "a": pa.array(names_arr[a].tolist(), pa.string()),
        "b": pa.array(names_arr[b].tolist(), pa.string()),
        "a_group": pa.array(groups_arr[a].tolist(), pa.string()),
        "b_group": pa.array(groups_arr[b].tolist(), pa.string()),
        "tca": pa.array(to_datetime64(scenario.start, raw["tca_s"]), pa.timestamp("us", tz="UTC")),
        "miss_km": pa.array(raw["miss_km"]),
        "speed_km_s": pa.array(raw["speed_km_s"]),
        "radial_km": pa.array(raw["radial_km"]),
        "in_track_km": pa.array(raw["in_track_km"]),
        "cross_track_km": pa.array(raw["cross_track_km"]),
        "probability": pa.array(prob if prob is not None else [None] * len(a), pa.float64()),
    }, schema=CONJUNCTIONS_SCHEMA)
    summary = _summary(scenario, raw, names_arr, groups_arr, threshold, d_form, cfg,
                       catalog_source, len(records), prob, warnings)
    return Screen(table, summary)


def _r(x, digits=6):
    return None if x is None or not math.isfinite(float(x)) else round(float(x), digits)


def _summary(scenario, raw, names, groups, threshold, d_form, cfg, catalog_source, n_cat,
             prob, warnings) -> dict:
    a, b, miss = raw["a"], raw["b"], raw["miss_km"]
    per_pair: dict[str, dict] = {}
    if a.size:
        ga, gb = groups[a], groups[b]
        lo = np.where(ga <= gb, ga, gb)
        hi = np.where(ga <= gb, gb, ga)
        keys = np.array([f"{x} x {y}" for x, y in zip(lo, hi, strict=True)], dtype=object)
        for k in sorted(set(keys.tolist())):
            m = keys == k
            j = int(np.flatnonzero(m)[np.argmin(miss[m])])
            per_pair[k] = {"approaches": int(m.sum()), "closest_km": _r(miss[j]),
                           "closest": f"{names[a[j]]} - {names[b[j]]}"}

    def row(j: int) -> dict:
        out = {"a": names[a[j]], "b": names[b[j]],
               "tca": str(to_datetime64(scenario.start, np.array([raw["tca_s"][j]]))[0]) + "Z",
               "miss_km": _r(miss[j]), "speed_km_s": _r(raw["speed_km_s"][j])}
        if prob is not None:
            out["probability"] = _r(prob[j], 12)
        return out

    closest = [row(int(j)) for j in np.argsort(miss, kind="stable")[:10]]
    stats = raw["stats"]
    out = {
        "threshold_km": threshold,
        "formation_threshold_km": d_form,
        "objects": int(stats["objects"]),
        "satellites": int(len(names) - n_cat),
        "catalogue": catalog_source,
        "catalogue_objects": n_cat,
        "approaches": int(a.size),
        "per_group_pair": per_pair,
        "closest": closest,
        "definition": "an approach is an interior local minimum of the distance between two "
                      "objects over the span, below the threshold; TCA and miss from SGP4 "
                      "(TEME); radial / in-track / cross-track: the miss (b - a) in a's frame",
        "propagation": f"nodes: {stats.get('engine', 'sgp4')} SGP4, cubic Hermite between; "
                       "refinement: sgp4",
        "warnings": warnings,
    }
    if cfg.covariance is not None:
        out["probability"] = {
            "assumption": f"isotropic position error of {cfg.covariance.sigma_km:g} km (1 sigma "
                          "per axis) on every object, hard-body radius "
                          f"{cfg.covariance.hard_body_radius_m:g} m, straight-line encounter",
            "max": _r(float(np.max(prob)) if a.size else None, 12),
        }
    return out


def write_screen(screen: Screen, folder: Path) -> None:
    """Write ``conjunctions.parquet`` into ``folder`` (which the caller makes atomic)."""
    pq.write_table(screen.table, folder / "conjunctions.parquet")


def screen_to_directory(scenario: Scenario, out_dir: str | Path, **kwargs) -> Screen:
    """:func:`screen_scenario`, then ``conjunctions.parquet`` and ``summary.json`` (the
    scenario, its span, the version and the ``screening`` section) into ``out_dir``,
    atomically as ``orbitdc run`` writes: a temporary folder renamed into place."""
    import json

    from orbitdc._version import __version__
    from orbitdc.sim.results import _atomic_directory

    holder: dict[str, Screen] = {}

    def fill(tmp: Path) -> None:
        screen = screen_scenario(scenario, **kwargs)
        write_screen(screen, tmp)
        end = to_datetime64(scenario.start, np.array([scenario.duration_s]))[0]
        summary = {
            "scenario": scenario.name,
            "orbitdc_version": __version__,
            "start": scenario.start.isoformat().replace("+00:00", "Z"),
            "end": str(end) + "Z",
            "duration_h": scenario.duration_h,
            "screening": screen.summary,
            "warnings": screen.warnings,
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n",
                                          encoding="utf-8")
        holder["screen"] = screen

    _atomic_directory(Path(out_dir), fill)
    return holder["screen"]
