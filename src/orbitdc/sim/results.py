"""Results of a run: tables (pyarrow), the summary, and writing them to a folder atomically."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orbitdc._version import __version__
from orbitdc.core import radiation
from orbitdc.core.time import to_datetime64
from orbitdc.model.scenario import Scenario
from orbitdc.sim.engine import EVENT_KINDS, Progress, RawRun, simulate_arrays
from orbitdc.sim.sustainability import sustainability_section, sustainability_warnings

__all__ = ["SUMMARY_PER_SATELLITE_LIMIT", "OutputError", "Results", "run_to_directory", "simulate"]

#: summary.json lists satellites one by one up to this fleet size; satellites.parquet always does.
SUMMARY_PER_SATELLITE_LIMIT = 1000

TIME = pa.timestamp("us", tz="UTC")
TIMESERIES_SCHEMA = pa.schema(
    [
        ("time", TIME),
        ("satellite", pa.string()),
        ("x_km", pa.float64()),
        ("y_km", pa.float64()),
        ("z_km", pa.float64()),
        ("lat_deg", pa.float64()),
        ("lon_deg", pa.float64()),
        ("alt_km", pa.float64()),
        ("shadow", pa.float64()),
        ("beta_deg", pa.float64()),
        ("power_in_w", pa.float64()),
        ("load_w", pa.float64()),
        ("battery_wh", pa.float64()),
        ("temperature_k", pa.float64()),
        ("compute_available", pa.float64()),
        ("utilisation", pa.float64()),
    ]
)
EVENTS_SCHEMA = pa.schema(
    [
        ("satellite", pa.string()),
        ("kind", pa.string()),
        ("target", pa.string()),
        ("start", TIME),
        ("end", TIME),
        ("duration_s", pa.float64()),
        ("clipped_start", pa.bool_()),
        ("clipped_end", pa.bool_()),
        # Faults: the accelerator the upset hit (its index on the satellite) and its kind
        # (silent, uecc, crash); null for other windows.
        ("accelerator", pa.int32()),
        ("fault", pa.string()),
    ]
)
OUTPUT_FILES = (
    "summary.json", "timeseries.parquet", "events.parquet", "satellites.parquet", "report.html",
    "jobs.parquet", "conjunctions.parquet",
)


class OutputError(ValueError):
    """The output folder cannot be used (exit code 2)."""


def _timeseries_batch(scenario: Scenario, names: np.ndarray, cols: dict) -> pa.RecordBatch:
    arrays = [
        pa.array(to_datetime64(scenario.start, cols["t_s"]), type=TIME),
        _dictionary_strings(cols["satellite_index"], list(names)),
    ] + [pa.array(cols[f.name], type=pa.float64()) for f in list(TIMESERIES_SCHEMA)[2:]]
    return pa.RecordBatch.from_arrays(arrays, schema=TIMESERIES_SCHEMA)


def _dictionary_strings(codes: np.ndarray, values: list[str]) -> pa.Array:
    """Strings ``values[codes]`` (null where a code is negative), built in Arrow, not Python."""
    codes = np.asarray(codes, np.int32)
    indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string())).cast(pa.string())


def _events_batch(scenario: Scenario, targets: list[str], cols: dict) -> pa.RecordBatch:
    """Event windows from the engine's columns (see ``simulate_arrays``)."""
    return pa.RecordBatch.from_arrays(
        [
            _dictionary_strings(cols["satellite_index"], list(scenario.satellite_names)),
            _dictionary_strings(cols["kind"], list(EVENT_KINDS)),
            _dictionary_strings(cols["target_index"], targets),
            pa.array(to_datetime64(scenario.start, cols["start_s"]), type=TIME),
            pa.array(to_datetime64(scenario.start, cols["end_s"]), type=TIME),
            pa.array(cols["end_s"] - cols["start_s"], type=pa.float64()),
            pa.array(cols["clipped_start"], type=pa.bool_()),
            pa.array(cols["clipped_end"], type=pa.bool_()),
            pa.array(np.asarray(cols["accelerator"], np.int32), type=pa.int32(),
                     mask=np.asarray(cols["accelerator"]) < 0),
            _dictionary_strings(cols["fault_kind"], list(radiation.KIND_NAMES)),
        ],
        schema=EVENTS_SCHEMA,
    )


def _event_targets(scenario: Scenario) -> list[str]:
    """What ``target_index`` names: the stations, then the satellites (link peers)."""
    return [g.name for g in scenario.ground_station] + list(scenario.satellite_names)


def _per_satellite(raw: RawRun, duration_s: float) -> dict[str, np.ndarray]:
    """Per-satellite figures from the event windows (exact to the event tolerance)."""
    n_s = raw.fleet.size
    n_g = raw.stations.size
    ev = raw.events
    umbra_s, eclipses, longest, penumbra_s = (ev.umbra_s, ev.eclipses, ev.longest_umbra_s,
                                              ev.penumbra_s)
    # The occulted fraction rises symmetrically across a penumbra, so its mean there is 1/2.
    # Over the time each satellite flew: a decayed one's figures stop with it.
    flown_s = np.full(n_s, duration_s)
    for sat, (_, t_err) in raw.sgp4_errors.items():
        flown_s[sat] = max(min(t_err, duration_s), 1e-9)
    sunlit = 1.0 - (umbra_s + 0.5 * penumbra_s) / flown_s
    out = {
        "sunlit_fraction": sunlit,
        "eclipses": eclipses,
        "longest_eclipse_min": longest / 60.0,
        "umbra_min": umbra_s / 60.0,
        "penumbra_min": penumbra_s / 60.0,
        "beta_min_deg": np.rad2deg(raw.beta_min_rad),
        "beta_max_deg": np.rad2deg(raw.beta_max_rad),
    }
    if raw.bus is not None:
        out.update(_bus_per_satellite(raw, duration_s))
    if n_g:
        contact_s, passes = ev.contact_s, ev.passes
        for g, name in enumerate(raw.stations.names):
            out[f"contact_min.{name}"] = contact_s[:, g] / 60.0
            out[f"passes.{name}"] = passes[:, g]
    return out


def _bus_per_satellite(raw: RawRun, duration_s: float) -> dict[str, np.ndarray]:
    """Power, heat and radiation figures per satellite (NaN for satellites without a bus)."""
    b = raw.bus
    has = np.array([t is not None for t in raw.types])
    year_s = 365.25 * 86400.0

    def per_type(fn):
        return np.array([fn(t) if t is not None else np.nan for t in raw.types], float)

    dose_per_year = np.where(has, b.dose_rad * year_s / duration_s, np.nan)
    tolerance_rad = per_type(lambda t: t.accelerator.tid_tolerance_krad * 1000.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lifetime = np.where(dose_per_year > 0, tolerance_rad / dose_per_year, np.inf)
    upsets = raw.events.upsets.astype(float)

    def bus(a):
        return np.where(has, a, np.nan)

    return {
        "mass_kg": per_type(lambda t: t.mass.total_kg),
        "energy_generated_kwh": bus(b.generated_wh / 1000.0),
        "energy_used_kwh": bus(b.used_wh / 1000.0),
        "energy_curtailed_kwh": bus(b.curtailed_wh / 1000.0),
        "energy_losses_kwh": bus(b.losses_wh / 1000.0),
        "bus_unserved_kwh": bus(b.unserved_wh / 1000.0),
        "battery_start_kwh": per_type(
            lambda t: t.spec.battery.initial_soc * t.spec.battery.capacity_wh / 1000.0
        ),
        "battery_end_kwh": bus(b.battery_wh / 1000.0),
        "soc_min": bus(b.soc_min),
        "hours_throttled_power": bus(b.throttled_power_s / 3600.0),
        "hours_throttled_heat": bus(b.throttled_heat_s / 3600.0),
        "compute_available_mean": bus(b.available_s / duration_s),
        "temperature_max_k": bus(b.temperature_max_k),
        "temperature_min_k": bus(b.temperature_min_k),
        "temperature_end_k": bus(b.temperature_k),
        "heater_kwh": bus(b.heater_wh / 1000.0),
        "hours_below_min_temperature": bus(b.cold_s / 3600.0),
        "battery_capacity_end_kwh": bus(b.capacity_now_wh / 1000.0),
        "upsets": bus(upsets),
        "upsets_expected": bus(b.hazard_total),
        # By kind (orbitdc.core.radiation): silent data corruption, uncorrectable memory
        # error, crash.
        "upsets_silent": bus(b.upsets_by_kind[:, 0].astype(float)),
        "upsets_uecc": bus(b.upsets_by_kind[:, 1].astype(float)),
        "upsets_crash": bus(b.upsets_by_kind[:, 2].astype(float)),
        "dose_spe_rad": bus(b.spe_dose_rad),
        "dose_rad_per_year": dose_per_year,
        "dose_lifetime_years": bus(lifetime),
    }


def _num(x: Any) -> Any:
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return None if not math.isfinite(x) else round(x, 6)
    return x


def _summary(scenario: Scenario, raw: RawRun, per_sat: dict[str, np.ndarray]) -> dict:
    names = raw.fleet.names
    n_s = raw.fleet.size
    duration_s = float(raw.times_s[-1] - raw.times_s[0])
    sunlit = per_sat["sunlit_fraction"]
    longest = per_sat["longest_eclipse_min"]
    worst = int(np.argmax(longest)) if n_s else 0
    stations: dict[str, dict] = {}
    if raw.stations.size:
        ev = raw.events
        for g, name in enumerate(raw.stations.names):
            gs = scenario.ground_station[g]
            # Time with at least one satellite in contact (the union of the windows).
            covered_s = float(ev.coverage_s[g])
            stations[name] = {
                "lat_deg": gs.lat_deg,
                "lon_deg": gs.lon_deg,
                "contact_min_total": _num(np.sum(ev.contact_s[:, g]) / 60.0),
                "coverage_min": _num(covered_s / 60.0),
                "coverage_fraction": _num(covered_s / duration_s),
                "passes": int(ev.passes[:, g].sum()),
                "downlink_gigabytes_per_day": _num(
                    covered_s * gs.downlink_bps / 8e9 / (duration_s / 86400.0)),
                "uplink_gigabytes_per_day": _num(
                    covered_s * gs.uplink_bps / 8e9 / (duration_s / 86400.0)),
            }
    fleet = {
        "satellites": n_s,
        "sunlit_fraction_mean": _num(np.mean(sunlit)),
        "sunlit_fraction_min": _num(np.min(sunlit)),
        "sunlit_fraction_max": _num(np.max(sunlit)),
        "eclipses": int(np.sum(per_sat["eclipses"])),
        "longest_eclipse_min": _num(longest[worst] if n_s else 0.0),
        "longest_eclipse_satellite": names[worst] if n_s and longest[worst] > 0 else None,
        "stations": stations,
    }
    warnings = list(raw.design_warnings) + [
        f"satellite {names[s]}: SGP4 error code {code} from t = {t:.0f} s "
        "(decayed or invalid elements); its later samples are empty"
        for s, (code, t) in sorted(raw.sgp4_errors.items())
    ]
    recorded = scenario.recorded_satellites()
    if len(recorded) < n_s:
        warnings.append(
            f"time series records {len(recorded)} of {n_s} satellites "
            "([output] satellites); events (of the kinds [output] events lists) and this "
            "summary cover all of them"
        )
    bus_fleet = _bus_fleet(scenario, raw, per_sat, duration_s, warnings)
    sustainability = sustainability_section(scenario)
    warnings.extend(sustainability_warnings(sustainability))
    summary = {
        "scenario": scenario.name,
        "description": scenario.description,
        "orbitdc_version": __version__,
        "seed": scenario.seed,
        "start": scenario.start.isoformat().replace("+00:00", "Z"),
        "end": str(to_datetime64(scenario.start, np.array([duration_s]))[0]) + "Z",
        "duration_h": scenario.duration_h,
        "step_s": scenario.step_s,
        "satellites": n_s,
        # The SGP4 implementation that flew it (orbitdc.core.propagators; they agree to 1 m).
        "propagator": raw.propagator,
        "ground_stations": raw.stations.names,
        "timeseries": {
            "satellites_recorded": len(recorded),
            "every_s": scenario.record_every * scenario.step_s,
        },
        "kpis": {
            "sunlit_fraction_mean": fleet["sunlit_fraction_mean"],
            "eclipses": fleet["eclipses"],
            "longest_eclipse_min": fleet["longest_eclipse_min"],
            "contact_min_per_station": {k: v["contact_min_total"] for k, v in stations.items()},
        },
        "fleet": fleet,
        "sustainability": sustainability,
        "warnings": warnings,
    }
    if raw.network is not None:
        summary["network"] = raw.network
        summary["kpis"].update(_network_kpis(scenario, raw.network))
    if bus_fleet is not None:
        summary["kpis"].update(bus_fleet["kpis"])
        summary["bus"] = bus_fleet["bus"]
        summary["satellite_types"] = bus_fleet["types"]
    if n_s <= SUMMARY_PER_SATELLITE_LIMIT:
        sats = {}
        for i, name in enumerate(names):
            entry = {
                k: _num(per_sat[k][i])
                for k in per_sat
                if not k.startswith(("contact_min.", "passes."))
            }
            if raw.stations.size:
                entry["contact_min"] = {
                    s: _num(per_sat[f"contact_min.{s}"][i]) for s in raw.stations.names
                }
            sats[name] = entry
        summary["satellites_detail"] = sats
    else:
        summary["satellites_detail"] = "see satellites.parquet"
    return summary


def _network_kpis(scenario: Scenario, net: dict) -> dict:
    """Network figures for the KPIs; the user latency is weighted by the regions' weights."""
    out: dict = {}
    clusters = {k: v for k, v in net["isl"].items() if "allreduce_bps_min" in v}
    if clusters:
        out["allreduce_bps_min"] = min(v["allreduce_bps_min"] for v in clusters.values())
    if net["isl"]:
        out["isl_links_mean"] = sum(v["links_mean"] for v in net["isl"].values())
    rtt = net.get("user_rtt", {})
    weights = {u.name: u.weight for u in scenario.user_region}
    pairs = [(v["rtt_ms_p50"], weights[k]) for k, v in rtt.items() if v["rtt_ms_p50"] is not None]
    if pairs and sum(w for _, w in pairs) > 0:
        out["user_rtt_ms_p50_weighted"] = round(
            sum(p * w for p, w in pairs) / sum(w for _, w in pairs), 3
        )
    return out


def _bus_fleet(scenario, raw, per_sat, duration_s, warnings) -> dict | None:
    """Fleet totals of the bus figures, per-type design figures, and warnings for designs that
    work badly (the impossible ones are refused before the run)."""
    if raw.bus is None:
        return None
    has = np.array([t is not None for t in raw.types])
    if duration_s < 86400.0:
        warnings.append(
            f"dose per year and the lifetime it implies are extrapolated from "
            f"{duration_s / 3600:.3g} h: passes through the South Atlantic Anomaly come in "
            "bursts, so runs shorter than a day (better: several) make them uncertain"
        )

    def total(key):
        return _num(np.nansum(per_sat[key][has]))

    bus = {
        "satellites_with_bus": int(has.sum()),
        "energy_generated_kwh": total("energy_generated_kwh"),
        "energy_used_kwh": total("energy_used_kwh"),
        "energy_curtailed_kwh": total("energy_curtailed_kwh"),
        "energy_losses_kwh": total("energy_losses_kwh"),
        "battery_change_kwh": _num(
            np.nansum(per_sat["battery_end_kwh"][has] - per_sat["battery_start_kwh"][has])
        ),
        "bus_unserved_kwh": total("bus_unserved_kwh"),
        "soc_min": _num(np.nanmin(soc)) if np.isfinite(soc := per_sat["soc_min"][has]).any()
        else None,  # no satellite has a battery
        "hours_throttled_power": total("hours_throttled_power"),
        "hours_throttled_heat": total("hours_throttled_heat"),
        "compute_available_mean": _num(np.nanmean(per_sat["compute_available_mean"][has])),
        "temperature_max_k": _num(np.nanmax(per_sat["temperature_max_k"][has])),
        "temperature_min_k": _num(np.nanmin(per_sat["temperature_min_k"][has])),
        "heater_kwh": total("heater_kwh"),
        "hours_below_min_temperature": total("hours_below_min_temperature"),
        "upsets": int(np.nansum(per_sat["upsets"][has])),
        "upsets_expected": _num(np.nansum(per_sat["upsets_expected"][has])),
        "upsets_by_kind": {k: int(np.nansum(per_sat[f"upsets_{k}"][has]))
                           for k in ("silent", "uecc", "crash")},
        "solar_particle_events": int(raw.solar_events.start_s.size)
        if getattr(raw, "solar_events", None) is not None else 0,
        "dose_spe_rad_max": _num(np.nanmax(per_sat["dose_spe_rad"][has])),
        "dose_rad_per_year_max": _num(np.nanmax(per_sat["dose_rad_per_year"][has])),
        "dose_lifetime_years_min": _num(np.nanmin(per_sat["dose_lifetime_years"][has])),
    }
    types = {}
    for name, t in scenario.satellite_types.items():
        members = np.array([rt is t for rt in raw.types])
        types[name] = {
            "satellites": int(members.sum()),
            "accelerator": t.spec.accelerator,
            "accelerators": t.spec.accelerators,
            "bf16_dense_flops": _num(t.spec.accelerators * t.accelerator.bf16_dense_flops),
            "compute_load_w": _num(t.compute_load_w),
            "bus_load_w": _num(t.spec.bus_load_w),
            "terminals_w": _num(t.terminals_w),  # drawn on top of bus_load_w
            "solar_area_m2": _num(t.solar_area_m2),
            "solar_rated_w": _num(t.rated_power_w),
            "battery_wh": _num(t.spec.battery.capacity_wh),
            "radiator_area_m2": _num(t.spec.radiator.area_m2),
            "heat_capacity_j_per_k": _num(t.heat_capacity_j_per_k),
            "mass": {k: _num(v) for k, v in t.mass.as_dict().items()},
        }
        if not members.any():
            continue
        unserved = np.nansum(per_sat["bus_unserved_kwh"][members])
        if unserved > 0:
            mode = t.spec.solar.mode
            cause = ("through every eclipse" if mode == "two-axis" else
                     f"(its {mode} array's incidence, not only eclipses, leaves it short)")
            warnings.append(
                f"satellite type {name}: the bus went unpowered ({unserved:.3g} kWh short): "
                f"the battery and array cannot carry the bus load {cause}"
            )
        cold_h = np.nanmax(per_sat["hours_below_min_temperature"][members])
        if cold_h > 0:
            warnings.append(
                f"satellite type {name}: the design froze: up to {cold_h:.3g} h below its "
                f"minimum of {t.min_temperature_k:g} K (lowest "
                f"{np.nanmin(per_sat['temperature_min_k'][members]):.4g} K): the heaters "
                f"({t.heater_max_w:g} W at most) or the power for them fell short"
            )
        heat_h = np.nanmax(per_sat["hours_throttled_heat"][members])
        if heat_h > 0:
            warnings.append(
                f"satellite type {name}: compute throttled by heat for up to {heat_h:.3g} h "
                f"of {duration_s / 3600:.3g} h: the radiator, "
                f"{t.max_temperature_k - t.radiator_full_load_k:.3g} K below the chips at full "
                "load, cannot reject it"
            )
        power_h = np.nanmax(per_sat["hours_throttled_power"][members])
        if power_h > 0:
            warnings.append(
                f"satellite type {name}: compute throttled by power for up to {power_h:.3g} h "
                f"of {duration_s / 3600:.3g} h"
            )
    kpis = {
        "energy_generated_kwh": bus["energy_generated_kwh"],
        "energy_used_kwh": bus["energy_used_kwh"],
        "energy_curtailed_kwh": bus["energy_curtailed_kwh"],
        "soc_min": bus["soc_min"],
        "hours_throttled_power": bus["hours_throttled_power"],
        "hours_throttled_heat": bus["hours_throttled_heat"],
        "compute_available_mean": bus["compute_available_mean"],
        "upsets": bus["upsets"],
        "dose_rad_per_year_max": bus["dose_rad_per_year_max"],
        "dose_lifetime_years_min": bus["dose_lifetime_years_min"],
    }
    return {"bus": bus, "types": types, "kpis": kpis}


class Results:
    """What a run produced: ``summary`` (dict) and tables as ``pyarrow.Table``.

    ``timeseries`` and ``events`` are held in memory for runs made with :func:`simulate`; a
    run written to a folder reads them back from its Parquet files when asked
    (:meth:`events_of` reads one kind only). Events are ordered by their end, then satellite,
    kind and target: each was written once it had ended.
    """

    def __init__(
        self,
        scenario: Scenario,
        summary: dict,
        events: pa.Table | Path,
        satellites: pa.Table,
        timeseries: pa.Table | Path,
        event_rows: int | None = None,
    ):
        self.scenario = scenario
        self.summary = summary
        self._events = events
        self.satellites = satellites
        self._timeseries = timeseries
        self.event_rows = events.num_rows if event_rows is None else int(event_rows)
        #: How the engine ran: ``stage_s`` (CPU seconds per stage), ``workers``, ``blocks``.
        #: Not part of the outputs, which must not depend on the machine.
        self.raw_stats: dict = {}
        #: The jobs as scheduled (``jobs.parquet``), for runs with workloads made through
        #: ``orbitdc.econ.pipeline.run_scenario``.
        self.jobs_table: pa.Table | None = None

    @property
    def timeseries(self) -> pa.Table:
        if isinstance(self._timeseries, Path):
            self._timeseries = pq.read_table(self._timeseries)
        return self._timeseries

    @property
    def events(self) -> pa.Table:
        if isinstance(self._events, Path):
            self._events = pq.read_table(self._events)
        return self._events

    def events_of(self, kind: str) -> pa.Table:
        """The event windows of one ``kind`` (read alone from a written run's file)."""
        if isinstance(self._events, Path):
            return pq.read_table(self._events, filters=[("kind", "==", kind)])
        return self._events.filter(pc.equal(self._events.column("kind"), kind))

    def __repr__(self) -> str:
        k = self.summary["kpis"]
        return (
            f"<Results {self.summary['scenario']!r}: {self.summary['satellites']} satellites, "
            f"{self.summary['duration_h']:g} h, sunlit {k['sunlit_fraction_mean']:.3f}, "
            f"{k['eclipses']} eclipses, {self.event_rows} events>"
        )

    def _repr_html_(self) -> str:
        """A short summary for notebooks: the scenario and its key figures."""
        import html

        s = self.summary
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k.replace('_', ' '))}</th>"
            f"<td>{html.escape(str(v))}</td></tr>"
            for k, v in s["kpis"].items()
            if not isinstance(v, dict)
        )
        head = html.escape(
            f"{s['scenario']}: {s['satellites']} satellites, {s['duration_h']:g} h from "
            f"{s['start']}"
        )
        return (f"<div><b>orbitdc results</b> — {head}<table>{rows}</table>"
                f"<small>{self.event_rows} events; tables: timeseries, events, "
                "satellites</small></div>")

    def write(self, out_dir: str | Path) -> Path:
        """Write every output into ``out_dir`` atomically (see :func:`run_to_directory`)."""

        def fill(tmp: Path) -> None:
            pq.write_table(self.timeseries, tmp / "timeseries.parquet")
            self._write_rest(tmp)

        return _atomic_directory(Path(out_dir), fill)

    def _write_rest(self, folder: Path) -> None:
        if not isinstance(self._events, Path):  # a written run's were written as found
            pq.write_table(self._events, folder / "events.parquet")
        pq.write_table(self.satellites, folder / "satellites.parquet")
        text = json.dumps(self.summary, indent=2, sort_keys=False, allow_nan=False)
        (folder / "summary.json").write_text(text + "\n", encoding="utf-8")


def _finish(scenario: Scenario, raw: RawRun, timeseries, events) -> Results:
    per_sat = _per_satellite(raw, float(raw.times_s[-1] - raw.times_s[0]))
    satellites = pa.table(
        {"satellite": pa.array(raw.fleet.names, pa.string())}
        | {
            "fleet": pa.array(
                [scenario.fleet[i].name for i in raw.fleet.fleet_index], pa.string()
            )
        }
        | {k: pa.array(v) for k, v in per_sat.items()}
    )
    results = Results(
        scenario=scenario,
        summary=_summary(scenario, raw, per_sat),
        events=events,
        satellites=satellites,
        timeseries=timeseries,
        event_rows=raw.events.rows,
    )
    results.raw_stats = {
        "stage_s": raw.stage_s, "workers": raw.workers, "blocks": raw.blocks,
        "fleet_index": raw.fleet.fleet_index,
    }
    return results


def simulate(
    scenario: Scenario, *, progress: Progress | None = None, workers: int | None = None,
    drive=None, scheduler: str | None = None,
) -> Results:
    """Fly ``scenario`` and return its :class:`Results`, time series in memory. ``workers``:
    processes to use (default: the machine's CPUs for large runs; results do not depend on
    it). ``drive(flight)``: flies the :class:`~orbitdc.sim.engine.Flight` step by step (the
    orchestrator); without it every accelerator runs. ``scheduler``: a ``dask.distributed``
    scheduler's address whose workers fly the blocks (the same results)."""
    names = np.asarray(scenario.satellite_names, dtype=object)
    targets = _event_targets(scenario)
    batches: list[pa.RecordBatch] = []
    events: list[pa.RecordBatch] = []
    raw = simulate_arrays(
        scenario,
        sink=lambda cols: batches.append(_timeseries_batch(scenario, names, cols)),
        events=lambda cols: events.append(_events_batch(scenario, targets, cols)),
        progress=progress,
        workers=workers,
        drive=drive,
        scheduler=scheduler,
    )
    return _finish(scenario, raw, pa.Table.from_batches(batches, schema=TIMESERIES_SCHEMA),
                   pa.Table.from_batches(events, schema=EVENTS_SCHEMA))


def run_to_directory(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    extend: Callable[[Results], dict] | None = None,
    finish: Callable[[Path, Results], None] | None = None,
    drive=None,
    scheduler: str | None = None,
) -> Results:
    """Fly ``scenario`` and write its outputs to ``out_dir``, streaming the time series
    (``scheduler``: as :func:`simulate`).

    ``extend(results)`` may return sections to add to the summary before it is written (the
    layers above the engine, economics for one, add theirs this way); ``finish(folder,
    results)`` may add files (the report) before the folder is moved into place.

    Outputs go to a temporary folder beside ``out_dir`` that is renamed into place when
    everything is written, so ``out_dir`` never holds a half-written run. An existing
    ``out_dir`` is replaced only if it is empty or holds an earlier orbitdc run.
    """
    names = np.asarray(scenario.satellite_names, dtype=object)
    targets = _event_targets(scenario)
    holder: dict[str, Results] = {}

    def fill(tmp: Path) -> None:
        path, events = tmp / "timeseries.parquet", tmp / "events.parquet"
        with (pq.ParquetWriter(path, TIMESERIES_SCHEMA) as writer,
              pq.ParquetWriter(events, EVENTS_SCHEMA) as event_writer):
            raw = simulate_arrays(
                scenario,
                sink=lambda cols: writer.write_batch(_timeseries_batch(scenario, names, cols)),
                events=lambda cols: event_writer.write_batch(
                    _events_batch(scenario, targets, cols)),
                progress=progress,
                workers=workers,
                drive=drive,
                scheduler=scheduler,
            )
        results = _finish(scenario, raw, path, events)
        if extend is not None:
            results.summary.update(extend(results))
        results._write_rest(tmp)
        if finish is not None:
            finish(tmp, results)
        holder["results"] = results

    final = _atomic_directory(Path(out_dir), fill)
    results = holder["results"]
    results._timeseries = final / "timeseries.parquet"
    if isinstance(results._events, Path):
        results._events = final / "events.parquet"
    return results


def _atomic_directory(out_dir: Path, fill: Callable[[Path], None]) -> Path:
    out_dir = out_dir.absolute()
    cwd = Path.cwd().absolute()
    if out_dir == cwd or out_dir in cwd.parents:
        raise OutputError(f"{out_dir}: is the current folder or holds it; choose a folder "
                          "inside it for --out")
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputError(f"{out_dir}: exists and is not a folder")
        content = {p.name for p in out_dir.iterdir()}
        # Replace only an earlier run: a folder holding orbitdc's files and nothing else.
        foreign = sorted(content - set(OUTPUT_FILES))
        if content and ("summary.json" not in content or foreign):
            shown = ", ".join(foreign[:3]) + (" ..." if len(foreign) > 3 else "")
            raise OutputError(
                f"{out_dir}: folder holds files that are not an orbitdc run ({shown}); "
                "choose another --out or empty it"
            )
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the folder: {exc.strerror or exc}") from None
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.replace(out_dir, old / "run")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
