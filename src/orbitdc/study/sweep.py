"""Design sweeps on ``dask.distributed``: every variant of a sweep is one task that runs what
``orbitdc run`` runs (``orbitdc.econ.pipeline.run_scenario``: the flight, the orchestrator in
closed loop when there are workloads, and the cost model when the fleet has satellite types).

By default a ``LocalCluster`` of worker processes on this machine's cores runs them;
``scheduler`` (or the ``ORBITDC_SCHEDULER`` environment variable) sends the same tasks to an
existing Dask cluster. Each finished variant is written at once as its own small Parquet file
under ``DIR/parts`` (atomically), so a killed sweep resumes with ``resume=True`` and redoes
nothing; at the end the parts become ``DIR/variants.parquet``, one row per variant, in variant
order. A variant whose scenario is invalid is recorded as ``invalid`` with its message, one that
fails as ``failed``; neither stops the sweep.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orbitdc.model.errors import ScenarioError
from orbitdc.model.sweep import Sweep

__all__ = ["SCHEDULER_ENV", "run_sweep", "run_variant", "variant_row"]

SCHEDULER_ENV = "ORBITDC_SCHEDULER"
FIXED_COLUMNS = ("variant", "repetition", "seed", "status", "error")


class SweepOutputError(ValueError):
    """The output folder cannot be used (exit code 2)."""


def variant_row(summary: dict, economics: dict | None) -> dict:
    """The key figures of one run: its numeric KPIs, delivered accelerator-hours and costs."""
    row: dict = {}
    for key, value in summary["kpis"].items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            row[key] = float(value)
        elif isinstance(value, dict):
            for sub, v in value.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    row[f"{key}.{sub}"] = float(v)
    types = summary.get("satellite_types", {})
    bus = summary.get("bus")
    jobs = summary.get("jobs")
    if jobs is not None:
        # With workloads, what was delivered is the work they did.
        row["delivered_accelerator_hours"] = float(jobs["goodput_accelerator_hours"])
        row["jobs_finished"] = float(jobs["states"]["finished"])
        row["jobs_utilisation"] = float(jobs["utilisation"])
        row["work_lost_flops"] = float(jobs["work_lost_flops"])
        for name, inf in jobs.get("inference", {}).items():
            for key in ("served_fraction", "slo_attainment", "rtt_ms_p50"):
                if inf.get(key) is not None:
                    row[f"inference.{name}.{key}"] = float(inf[key])
    elif bus is not None and types:
        accelerators = sum(t["satellites"] * t["accelerators"] for t in types.values())
        row["delivered_accelerator_hours"] = (
            accelerators * summary["duration_h"] * (bus["compute_available_mean"] or 0.0)
        )
    if economics is not None:
        for key in ("orbit_usd_per_accelerator_hour", "ground_usd_per_accelerator_hour",
                    "orbit_to_ground_ratio", "orbit_total_usd", "launched_power_usd_per_kw_year"):
            if economics.get(key) is not None:
                row[key] = float(economics[key])
        be = economics.get("break_even_launch_usd_per_kg")
        row["break_even_launch_usd_per_kg"] = float(be) if be is not None else math.nan
    return row


def run_variant(data: dict, base_dir: str, source: str) -> dict:
    """Run one variant (in a worker). Returns ``{"status", "error", "figures", "sim_s"}``."""
    from orbitdc.econ.pipeline import run_scenario
    from orbitdc.model.scenario import parse_scenario

    t0 = time.perf_counter()
    try:
        scenario = parse_scenario(data, source=source, base_dir=Path(base_dir))
    except ScenarioError as exc:
        return {"status": "invalid", "error": str(exc), "figures": {}, "sim_s": 0.0}
    try:
        # As `orbitdc run` does it (closed loop with workloads, economics), in one process:
        # the sweep's parallelism is across variants.
        results = run_scenario(scenario, None, workers=1)
        figures = variant_row(results.summary, results.summary.get("economics"))
        status, error = "ok", None
    except ScenarioError as exc:
        return {"status": "invalid", "error": str(exc), "figures": {},
                "sim_s": time.perf_counter() - t0}
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" ({tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
        status, error, figures = "failed", f"{type(exc).__name__}: {exc}{where}", {}
    return {"status": status, "error": error, "figures": figures,
            "sim_s": time.perf_counter() - t0}


def _client(scheduler: str | None, workers: int | None):
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        try:
            return Client(address, timeout="15s"), None
        except (OSError, ValueError, TimeoutError) as exc:
            raise SweepOutputError(
                f"--scheduler {address}: no Dask scheduler answers there ({exc}); give its "
                "address as tcp://HOST:PORT"
            ) from None
    n = workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                       else os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=50)
    return Client(cluster), cluster


def _fingerprint(sweep: Sweep) -> str:
    """What identifies a sweep's variants: its spec and its base scenario's data."""
    text = json.dumps([sweep.spec.model_dump(mode="json"), sweep.base.model_dump(mode="json")],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _part(parts: Path, index: int) -> Path:
    return parts / f"variant-{index:07d}.parquet"


def _row(sweep: Sweep, variant, outcome: dict) -> dict:
    row = {"variant": variant.index, "repetition": variant.repetition, "seed": variant.seed,
           "status": outcome["status"], "error": outcome["error"]}
    for path, value in variant.params.items():
        row[path] = value
    row.update(outcome["figures"])
    return row


def _write_part(parts: Path, row: dict) -> None:
    path = _part(parts, row["variant"])
    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.Table.from_pylist([row]), tmp)
    os.replace(tmp, path)


def collect(sweep: Sweep, out_dir: Path) -> pa.Table:
    """The table of every finished variant, in variant order, with a stable column order."""
    parts = sorted((out_dir / "parts").glob("variant-*.parquet"))
    rows = [pq.read_table(p).to_pylist()[0] for p in parts]
    rows.sort(key=lambda r: r["variant"])
    params = [a.path for a in sweep.spec.axis]
    figures = sorted({k for r in rows for k in r} - set(FIXED_COLUMNS) - set(params))
    columns = list(FIXED_COLUMNS) + params + figures
    data = {c: [r.get(c) for r in rows] for c in columns}
    arrays = {}
    for c, values in data.items():
        if c in ("status", "error"):
            arrays[c] = pa.array(values, pa.string())
        elif c in ("variant", "repetition", "seed"):
            arrays[c] = pa.array(values, pa.int64())
        elif c in figures:
            arrays[c] = pa.array([math.nan if v is None else float(v) for v in values],
                                 pa.float64())
        else:
            arrays[c] = pa.array(values)
    return pa.table(arrays)


def run_sweep(
    sweep: Sweep,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    stop_after: int | None = None,
) -> tuple[pa.Table, dict]:
    """Run every variant not yet done into ``out_dir``; returns the table and timing figures
    (``wall_s``, ``sim_s``: seconds inside the simulations, ``ran``: variants run now).
    ``stop_after`` stops after that many variants (to test resuming)."""
    from distributed import as_completed

    out = Path(out_dir)
    parts = out / "parts"
    if out.exists() and not out.is_dir():
        raise SweepOutputError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not resume:
        raise SweepOutputError(
            f"{out}: folder is not empty; use --resume to continue a sweep there, or another "
            "--out"
        )
    fingerprint = _fingerprint(sweep)
    stamp = out / "sweep.json"
    if resume and stamp.is_file():
        if json.loads(stamp.read_text(encoding="utf-8")).get("fingerprint") != fingerprint:
            raise SweepOutputError(
                f"{out}: holds a different sweep (its file, base scenario or seed changed); "
                "resume it with the same sweep file, or use another --out"
            )
    elif resume and out.exists() and any(out.iterdir()):
        raise SweepOutputError(f"{out}: is not a sweep folder (no sweep.json)")
    created = not out.exists()
    try:
        parts.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({"fingerprint": fingerprint, "source": sweep.source}) + "\n",
                         encoding="utf-8")
    except OSError as exc:
        raise SweepOutputError(f"{out}: cannot create the folder: {exc.strerror or exc}") from None
    done = {int(p.stem.split("-")[1]) for p in parts.glob("variant-*.parquet")}
    variants = [v for v in sweep.variants() if v.index not in done]
    total = len(done) + len(variants)
    timing = {"wall_s": 0.0, "sim_s": 0.0, "ran": 0}
    if progress is not None:
        progress(len(done), total)
    if variants:
        t0 = time.perf_counter()
        try:
            client, cluster = _client(scheduler, workers)
        except SweepOutputError:
            if created:  # leave nothing behind: the same command works once fixed
                shutil.rmtree(out, ignore_errors=True)
            raise
        try:
            base_dir = str(sweep.base.base_dir)
            futures = {}
            for v in variants:
                f = client.submit(run_variant, sweep.scenario_data(v), base_dir,
                                  f"{sweep.source} variant {v.index}", pure=False,
                                  key=f"orbitdc-variant-{v.index}-{time.time_ns()}")
                futures[f] = v
            finished = len(done)
            for future in as_completed(futures):
                v = futures[future]
                outcome = future.result()
                _write_part(parts, _row(sweep, v, outcome))
                timing["sim_s"] += outcome["sim_s"]
                timing["ran"] += 1
                finished += 1
                if progress is not None:
                    progress(finished, total)
                if stop_after is not None and timing["ran"] >= stop_after:
                    for f in futures:
                        f.cancel()
                    break
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        timing["wall_s"] = time.perf_counter() - t0
    table = collect(sweep, out)
    complete = table.num_rows == total
    if complete:
        tmp = out / ".variants.parquet.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, out / "variants.parquet")
    timing["complete"] = complete
    return table, timing
