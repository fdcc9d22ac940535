"""The ``orbitdc`` command.

Exit codes: 0 ok, 2 bad input (the message names the file, the key and what is expected),
1 internal error.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from orbitdc._version import __version__
from orbitdc.core import propagators
from orbitdc.core._alloc import keep_freed_memory
from orbitdc.core.constants import SOLAR_IRRADIANCE_W_PER_M2, WGS84_RADIUS_KM
from orbitdc.core.thermal import (
    environment_heat_w,
    plate_earth_view_factor,
    radiator_area_m2,
)
from orbitdc.econ import cost_section
from orbitdc.econ.lifetime import DEFAULT_EPOCHS, epoch_plan
from orbitdc.econ.pipeline import run_scenario
from orbitdc.model import ScenarioError, load_scenario
from orbitdc.model.catalogue import PART_KINDS, shipped_catalogue
from orbitdc.model.presets import preset_description, preset_names, preset_path
from orbitdc.model.satellite import DEFAULT_CHIP_GRADIENT_K
from orbitdc.model.sweep import load_sweep
from orbitdc.model.workload import POLICIES, policy_name_problem
from orbitdc.ops.policies import resolve_policy, verdict
from orbitdc.report import ReportError, write_report, write_sweep_report
from orbitdc.sim import OutputError, Results
from orbitdc.sim import simulate as orbitdc_simulate
from orbitdc.sim.engine import ClusterError, connect_cluster
from orbitdc.sim.design import validate_design
from orbitdc.study import SweepOutputError, run_sweep
from orbitdc.study.lifetime import sample_lifetime

#: The preset ``orbitdc demo`` runs.
DEMO_PRESET = "suncatcher"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Design, simulate and operate AI data centers in orbit.",
)
err = Console(stderr=True)
out = Console()


def _user_errors(command):
    """Turn user mistakes into one clear message and exit code 2, anything else into exit 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ScenarioError, OutputError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception:
            err.print_exception()
            err.print("[red]internal error[/red]: please report it with the scenario file")
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        out.print(f"orbitdc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Design, simulate and operate AI data centers in orbit."""
    keep_freed_memory()


def _scenario_path(value: str) -> Path:
    """A scenario file, or ``preset:NAME`` for a shipped preset."""
    if value.startswith("preset:"):
        try:
            return preset_path(value.removeprefix("preset:"))
        except KeyError as exc:
            raise ScenarioError(value, [("", exc.args[0])]) from None
    return Path(value)


@contextlib.contextmanager
def _progress_bar(description: str, total: int):
    """A progress bar on stderr (only on a terminal), yielding a ``progress(done, total)``
    callback. It refreshes from that callback, not from a thread of its own: the engine forks
    worker processes, and forking a process that runs other threads is unsafe."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        auto_refresh=False,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, _total: int) -> None:
            bar.update(task, completed=done)
            bar.refresh()

        yield update


def _lifetime(scenario, epochs: int, epoch_hours: float | None, workers: int | None):
    """Fly the lifetime sample of ``scenario`` (None when it has no satellite types or
    ``epochs`` is 0)."""
    if epochs == 0 or not scenario.satellite:
        return None
    plan = epoch_plan(scenario, epochs, epoch_hours)  # bad --epochs / --epoch-hours first
    with _progress_bar(f"lifetime: {len(plan)} epochs", len(plan)) as progress:
        return sample_lifetime(scenario, epochs, epoch_hours, workers=workers, progress=progress)


def _propagator(name: str | None):
    """``propagators.preferred(name)`` for the command's flight; an unknown or missing
    propagator is a user error naming the installed ones (exit 2), before anything runs."""
    try:
        propagators.resolve(name)
    except propagators.UnknownPropagator as exc:
        raise ScenarioError("--propagator", [("", str(exc))]) from None
    return propagators.preferred(name)


PROPAGATOR_HELP = ("SGP4 implementation: " + " or ".join(propagators.KNOWN)
                   + " (default: the fastest installed).")


def _run(scenario_arg: str, out_dir: Path, workers: int | None = None, epochs: int = 0,
         epoch_hours: float | None = None, samples: int | None = None,
         propagator: str | None = None, scheduler: str | None = None) -> Results:
    with _propagator(propagator):
        return _run_with(scenario_arg, out_dir, workers, epochs, epoch_hours, samples,
                         scheduler)


def _check_scheduler(address: str) -> None:
    """A Dask scheduler that cannot be reached (or has no workers) is a user error naming
    ``--scheduler`` (exit 2), found before anything runs or is written."""
    try:
        client, _ = connect_cluster(address)
    except ClusterError as exc:
        message = str(exc).removeprefix("--scheduler ")
        raise ScenarioError("--scheduler", [("", message)]) from None
    client.close()


def _run_with(scenario_arg: str, out_dir: Path, workers: int | None, epochs: int,
              epoch_hours: float | None, samples: int | None,
              scheduler: str | None = None) -> Results:
    scenario = load_scenario(_scenario_path(scenario_arg))
    resolve_policy(scenario.policy.name, scenario.source, base_dir=scenario.base_dir)  # fail early
    if scenario.satellite:
        cost_section(scenario, samples=samples, samples_key="--samples"
                     if samples is not None else "economics.uncertainty.samples")
    if scheduler is not None:
        if workers is not None:
            raise ScenarioError("--workers", [("", "give --workers or --scheduler, not both: "
                                               "with --scheduler the cluster's workers fly "
                                               "the blocks")])
        _check_scheduler(scheduler)
    life = _lifetime(scenario, epochs, epoch_hours, workers)
    try:
        results = run_scenario(scenario, out_dir, workers=workers, progress_for=_progress_bar,
                               finish=lambda folder, _res: write_report(folder),
                               lifetime=life, samples=samples, scheduler=scheduler)
    except ClusterError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}; nothing was written to {out_dir}",
                  soft_wrap=True)
        raise typer.Exit(1) from None
    _print_summary(results, out_dir)
    return results


def _v(value, spec: str, scale: float = 1.0, none: str = "n/a") -> str:
    """A summary figure formatted with ``spec``, or ``none`` where the run has no value."""
    if value is None:
        return none
    return format(value * scale if scale != 1.0 else value, spec)


def _print_summary(results: Results, out_dir: Path) -> None:
    s = results.summary
    k = s["kpis"]
    table = Table(title=f"{s['scenario']} — {s['satellites']} satellites, {s['duration_h']:g} h")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("sunlit fraction (fleet mean)", f"{_v(k['sunlit_fraction_mean'], '.4f')}")
    table.add_row("eclipses", f"{k['eclipses']}")
    table.add_row("longest eclipse", f"{_v(k['longest_eclipse_min'], '.1f')} min")
    table.add_row("propagator (SGP4)", str(s.get("propagator", "sgp4")))
    for name, minutes in k["contact_min_per_station"].items():
        table.add_row(f"contact with {name} (all satellites)", f"{minutes:.1f} min")
    net = s.get("network")
    if net is not None:
        table.add_section()
        for name, isl in net["isl"].items():
            table.add_row(f"links in {name} ({isl['topology']}), mean",
                          f"{_v(isl['links_mean'], ',.0f')} × {_v(isl['capacity_mean_bps'], ',.0f', 1 / 1e9)} Gb/s")
            if "in_reach_mean" in isl:
                table.add_row(f"pairs in reach in {name}, mean",
                              f"{_v(isl['in_reach_mean'], ',.0f')} "
                              f"({isl['terminals_per_satellite']} terminals a satellite)")
            if "allreduce_bps_min" in isl:
                table.add_row(f"all-reduce across {name}, worst / mean",
                              f"{_v(isl['allreduce_bps_min'], ',.2f', 1 / 1e12)} / "
                              f"{_v(isl['allreduce_bps_mean'], ',.2f', 1 / 1e12)} Tb/s")
                table.add_row(f"{name} to the ground, mean",
                              f"{_v(isl['to_ground_bps_mean'], ',.2f', 1 / 1e9)} Gb/s")
        for region, v in net.get("user_rtt", {}).items():
            if v["rtt_ms_p50"] is not None:
                table.add_row(f"round trip {region} (p50 / p99)",
                              f"{_v(v['rtt_ms_p50'], '.1f')} / {_v(v['rtt_ms_p99'], '.1f')} ms")
    jobs = s.get("jobs")
    if jobs is not None:
        table.add_section()
        st = jobs["states"]
        table.add_row(f"jobs finished / running / queued ({jobs['policy']})",
                      f"{st['finished']} / {st['running']} / {st['queued']}"
                      + (f" (+{st['unschedulable']} unschedulable)" if st["unschedulable"] else ""))
        table.add_row("goodput", f"{_v(jobs['goodput_accelerator_hours'], ',.0f')} accelerator-hours")
        table.add_row("utilisation of available accelerators", f"{_v(jobs['utilisation'], '.3f')}")
        for name, inf in jobs.get("inference", {}).items():
            table.add_row(f"{name}: served / within {_v(inf['slo_ms'], 'g')} ms",
                          f"{_v(inf['served_fraction'], '.3f')} / {_v(inf['slo_attainment'], '.3f')}")
    bus = s.get("bus")
    if bus is not None:
        table.add_section()
        table.add_row("energy generated / used", f"{_v(bus['energy_generated_kwh'], ',.1f')} / "
                      f"{_v(bus['energy_used_kwh'], ',.1f')} kWh")
        table.add_row("energy curtailed", f"{_v(bus['energy_curtailed_kwh'], ',.1f')} kWh")
        table.add_row("lowest battery state of charge",
                      f"{_v(bus['soc_min'], '.2f', none='no battery')}")
        table.add_row("compute available (fleet mean)", f"{_v(bus['compute_available_mean'], '.4f')}")
        table.add_row("satellite-hours throttled by power / heat",
                      f"{_v(bus['hours_throttled_power'], '.1f')} / {_v(bus['hours_throttled_heat'], '.1f')} h")
        table.add_row("peak temperature", f"{_v(bus['temperature_max_k'], '.1f')} K")
        table.add_row("upsets (expected)", f"{bus['upsets']} ({_v(bus['upsets_expected'], '.1f')})")
        kinds = bus.get("upsets_by_kind")
        if kinds:
            table.add_row("  silent / uncorrectable / crash",
                          " / ".join(str(kinds.get(k, 0)) for k in ("silent", "uecc", "crash")))
        table.add_row("dose, worst satellite", f"{_v(bus['dose_rad_per_year_max'], '.0f')} rad(Si)/yr")
        table.add_row("dose-limited lifetime, worst", f"{_v(bus['dose_lifetime_years_min'], '.1f')} years")
    sus = s.get("sustainability")
    if sus is not None and sus["fleets"]:
        table.add_section()
        for name, f in sus["fleets"].items():
            years, rule = f["decay_years"], f["five_year_rule"]
            if years is None:
                table.add_row(f"{name}: passive decay", "no drag data")
                continue
            table.add_row(f"{name}: passive decay at high / moderate / low activity",
                          " / ".join(_v(years[k], ".3g", none="-")
                                     for k in ("high", "moderate", "low")) + " years")
            if not rule["applies"]:
                verdict_text = "n/a (above 2,000 km)"
            elif rule["passive"]:
                verdict_text = "pass (passive)"
            else:
                acc = f["disposal"]["accelerated"]
                verdict_text = (f"FAIL passive; {_v(acc['delta_v_m_s'], '.0f')} m/s to "
                                f"{_v(acc['to_altitude_km'], '.0f')} km passes")
            table.add_row(f"{name}: five-year rule ({rule.get('solar_activity', '-')})",
                          verdict_text)
        _debris_rows(table, sus.get("small_debris"))
    out.print(table)
    if s.get("screening") is not None:
        _print_screening(s["screening"])
    sky = s.get("night_sky")
    if sky is not None:
        nt = Table(title=f"night sky ({escape(sky['night'])}): satellites sunlit above "
                   f"{sky['min_elevation_deg']:g} deg, and brighter than magnitude "
                   f"{sky['magnitude_limit']:g}, mean per night hour")
        for col in ("site", "night hours", "sunlit above", "brighter", "worst hour"):
            nt.add_column(col, justify="left" if col == "site" else "right")
        for name, site in sky["sites"].items():
            hours = site["hours"]
            if not hours:
                nt.add_row(escape(name), "0", "-", "-", "-")
                continue
            worst = max(hours, key=lambda h: h["sunlit_above_min_elevation_mean"])
            nt.add_row(escape(name), str(len(hours)),
                       f"{np.mean([h['sunlit_above_min_elevation_mean'] for h in hours]):.1f}",
                       f"{np.mean([h['brighter_than_limit_mean'] for h in hours]):.1f}",
                       f"{worst['hour']}: {worst['sunlit_above_min_elevation_mean']:.1f}")
        out.print(nt)
    for w in s["warnings"]:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=True)
    out.print(f"Outputs written to [bold]{escape(str(out_dir.absolute()))}[/bold]", soft_wrap=True)
    out.print(f"Report: [bold]{escape(str((out_dir / 'report.html').absolute()))}[/bold]",
              soft_wrap=True)


def _debris_rows(table, sec) -> None:
    """The small-debris lines of the run summary (``sustainability.small_debris``)."""
    if not sec:
        return
    for name, f in sec["fleets"].items():
        if "impacts_per_year" not in f:
            continue
        cat = f["p_catastrophic_design_life"]
        table.add_row(
            f"{name}: >{sec['size_threshold_cm']:g} cm debris hits/yr (satellite / shell)",
            f"{f['impacts_per_year']:.3g} / {f['impacts_per_year_fleet']:.3g}")
        table.add_row(
            f"{name}: P(hit), P(catastrophic) in {sec['design_life_years']:g} yr",
            f"{f['p_impact_design_life']:.3g}; "
            f"{'<=' if cat['bound'] == 'upper' else '>='} {cat['value']:.3g}")


@app.command()
@_user_errors
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or preset:NAME.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "orbitdc-out"
    ),
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: all CPUs for large runs)."),
    ] = None,
    epochs: Annotated[int, typer.Option(
        help="Economics: short runs at epochs spread over the year and the design life "
        "(0: this run's own figures).")] = DEFAULT_EPOCHS,
    epoch_hours: Annotated[float | None, typer.Option(
        help="Hours each epoch flies (default: the scenario's duration, at most 2).")] = None,
    samples: Annotated[int | None, typer.Option(
        help="Economics: Monte Carlo samples over the estimated inputs (default: the "
        "scenario's economics.uncertainty.samples).")] = None,
    propagator: Annotated[str | None, typer.Option(help=PROPAGATOR_HELP)] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of an existing Dask scheduler (tcp://HOST:PORT) whose workers fly the "
        "satellites' blocks, step by step with the orchestrator here (default: this "
        "machine's processes). The same results as as many local workers.")] = None,
) -> None:
    """Simulate a scenario; write summary.json, Parquet tables and report.html to --out."""
    _run(scenario, out_dir, workers, epochs, epoch_hours, samples, propagator, scheduler)


def _print_screening(sc: dict) -> None:
    """The screening section as a table: approaches per group pair, the closest."""
    table = Table(title=f"close approaches below {sc['threshold_km']:g} km "
                  + (f"(formations: {sc['formation_threshold_km']:g} km) "
                     if sc["formation_threshold_km"] != sc["threshold_km"] else "")
                  + f"among {sc['objects']:,} objects")
    table.add_column("pair of groups")
    table.add_column("approaches", justify="right")
    table.add_column("closest", justify="right")
    table.add_column("between")
    for key, v in sc["per_group_pair"].items():
        table.add_row(escape(key), f"{v['approaches']:,}", f"{v['closest_km'] * 1000:,.1f} m",
                      escape(v["closest"]))
    table.add_section()
    table.add_row("all", f"{sc['approaches']:,}", "", "")
    out.print(table)
    for row in sc["closest"][:3]:
        prob = f", probability {row['probability']:.2e}" if "probability" in row else ""
        out.print(f"closest: {escape(row['a'])} - {escape(row['b'])} at {row['tca']}: "
                  f"{row['miss_km'] * 1000:,.1f} m at {row['speed_km_s']:.3f} km/s{prob}",
                  soft_wrap=True)


@app.command()
@_user_errors
def screen(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or preset:NAME.")],
    threshold_km: Annotated[float | None, typer.Option(
        "--threshold-km", help="Report approaches closer than this (default: the "
        "scenario's screening.threshold_km).")] = None,
    catalog: Annotated[Path | None, typer.Option(
        "--catalog", help="Other objects: a TLE file, or OMM as JSON or XML.")] = None,
    formation_threshold_km: Annotated[float | None, typer.Option(
        "--formation-threshold-km", help="Threshold for pairs within one formation (cluster "
        "fleet); default: screening.formation_threshold_km, else --threshold-km.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "orbitdc-screen"),
) -> None:
    """Find every close approach among the scenario's satellites (and a catalogue's objects)
    over its span; write conjunctions.parquet and summary.json to --out."""
    from orbitdc.sim.screening import screen_to_directory

    if threshold_km is not None and not threshold_km > 0:
        raise ScenarioError("--threshold-km", [("", f"must be a distance > 0 km (got "
                                                 f"{threshold_km:g})")])
    sc = load_scenario(_scenario_path(scenario))
    total = int(round(sc.duration_s))
    with _progress_bar(f"{sc.name}: screening", total) as progress:
        result = screen_to_directory(
            sc, out_dir, threshold_km=threshold_km, catalog=catalog,
            formation_threshold_km=formation_threshold_km,
            progress=lambda done, _total: progress(int(round(done)), total))
    _print_screening(result.summary)
    for w in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=True)
    out.print(f"Conjunctions: [bold]{escape(str((out_dir / 'conjunctions.parquet').absolute()))}"
              "[/bold]", soft_wrap=True)


@app.command()
@_user_errors
def bench(
    satellites: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Satellites in the Walker shell (a "
                          "million takes a few GiB: give it a short --hours).")
    ] = 5000,
    hours: Annotated[float, typer.Option(min=0.01, max=8784.0, help="Simulated hours.")] = 24.0,
    step: Annotated[float, typer.Option(min=0.1, max=3600.0, help="Step, seconds.")] = 10.0,
    stations: Annotated[int, typer.Option(min=0, max=2000, help="Ground stations.")] = 50,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: all CPUs).")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")
    ] = None,
    sweep_bench: Annotated[
        bool, typer.Option("--sweep", help="Measure sweep overheads on Dask instead.")
    ] = False,
    propagator: Annotated[str | None, typer.Option(
        help="SGP4 implementation the full simulation uses: " + " or ".join(propagators.KNOWN)
        + " (default: the fastest installed; every installed one is measured alone).")] = None,
    scaling_bench: Annotated[bool, typer.Option(
        "--scaling", help="Measure how the cost grows instead: 10^3, 10^4, 10^5 and 10^6 "
        "satellites (24, 24, 2 and 0.25 h at 10 s, 50 stations; minutes, and a few GiB for "
        "the largest).")] = False,
) -> None:
    """Measure simulation speed against raw SGP4 propagation, in one run on this machine."""
    with _propagator(propagator) as chosen:
        if scaling_bench:
            _scaling(workers, json_path)
            return
        _bench(satellites, hours, step, stations, workers, json_path, sweep_bench,
               propagator and chosen)


def _scaling(workers, json_path) -> None:
    from orbitdc.bench import SCALING_SIZES, scaling

    rows = []
    for n, hours in SCALING_SIZES:
        err.print(f"bench --scaling: {n:,} satellites, {hours:g} h", soft_wrap=True)
        with _progress_bar(f"{n:,} satellites", int(round(hours * 360))) as progress:
            rows += scaling(((n, hours),), workers=workers, progress=progress)
    table = Table(title="orbitdc bench --scaling (10 s steps, 50 stations)")
    for col in ("satellites", "hours", "sat-steps", "wall", "workers", "per worker (sat-steps/s)",
                "per CPU-second"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(f"{r['satellites']:,}", f"{r['hours']:g}", f"{r['sat_steps']:,}",
                      f"{r['wall_s']:.1f} s", str(r["workers"]), f"{r['per_worker_rate']:,.0f}",
                      f"{r['per_cpu_s_rate']:,.0f}")
    out.print(table)
    if json_path is not None:
        _write_json(json_path, {"scaling": rows}, "Figures")


def _bench(satellites, hours, step, stations, workers, json_path, sweep_bench,
           propagator) -> None:
    from orbitdc.bench import run_bench, run_sweep_bench

    if sweep_bench:
        err.print("bench --sweep: 1,000 tiny variants on one worker, then 24 larger ones on "
                  "one and on two workers (a local Dask cluster)", soft_wrap=True)
        with _progress_bar("tiny variants", 1000) as progress:
            figures = run_sweep_bench(progress=progress)
        table = Table(title="orbitdc bench --sweep")
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_row("overhead per variant beyond the simulation",
                      f"{figures['overhead_ms_per_variant']:.1f} ms")
        table.add_row("variants/s, 1 worker", f"{figures['variants_per_s_1_worker']:.2f}")
        table.add_row("variants/s, 2 workers", f"{figures['variants_per_s_2_workers']:.2f}")
        table.add_row("two-worker speed-up", f"{figures['two_worker_speedup']:.2f}x")
        out.print(table)
        if json_path is not None:
            _write_json(json_path, figures, "Figures")
        return

    if step > hours * 3600.0:
        err.print(f"[red]error:[/red] orbitdc bench: --step ({step:g} s) must not exceed "
                  f"--hours ({hours:g} h = {hours * 3600.0:g} s)", soft_wrap=True)
        raise typer.Exit(2)
    # The command line that reproduces these figures (every size spelt out).
    command = (
        f"orbitdc bench --satellites {satellites} --hours {hours:g} --step {step:g} "
        f"--stations {stations}" + (f" --workers {workers}" if workers else "")
        + (f" --propagator {propagator}" if propagator else "")
    )
    err.print(
        f"bench: raw SGP4, then the full simulation: {satellites} satellites, {hours:g} h at "
        f"{step:g} s, {stations} stations",
        soft_wrap=True,
    )
    steps = int(round(hours * 3600.0 / step))
    with _progress_bar("full simulation", steps) as progress:
        result = run_bench(
            satellites, hours, step, stations, workers=workers, progress=progress,
            command=command,
        )
    table = Table(title=f"orbitdc bench — {result.satellites} satellites x "
                  f"{result.sat_steps // result.satellites} samples, {result.stations} stations")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, raw in result.raw_propagators.items():
        what = "SatrecArray.sgp4" if name == "sgp4" else f"{name} SGP4"
        table.add_row(f"raw {what} alone (1 thread{', fastest' if name == result.fastest else ''})",
                      f"{raw['rate']:,.0f} sat-steps/s ({raw['wall_s']:.1f} s)")
    plural = "s" if result.workers > 1 else ""
    table.add_row(f"full simulation ({result.workers} worker{plural}, {result.propagator})",
                  f"{result.full_rate:,.0f} sat-steps/s ({result.full_s:.1f} s)")
    table.add_row("full, per worker (per core)", f"{result.per_worker_rate:,.0f} sat-steps/s")
    if result.one_worker_s is not None:
        table.add_row(f"in one process (speed-up of {result.workers})",
                      f"{result.sat_steps / result.one_worker_s:,.0f} sat-steps/s "
                      f"({result.one_worker_s:.1f} s); {result.workers_speedup:.2f}x")
    table.add_row("per worker / raw sgp4 (target >= 2)", f"{result.per_worker_vs_sgp4:.2f}")
    if result.fastest != "sgp4":
        table.add_row(f"per worker / raw {result.fastest}", f"{result.per_worker_vs_fastest:.2f}")
    table.add_row("per CPU-second / raw sgp4", f"{result.cpu_vs_sgp4:.2f} "
                  f"({result.full_cpu_s:.1f} CPU-s)")
    table.add_row(f"full ({result.workers} worker{plural}) / raw sgp4 (1 thread)",
                  f"{result.ratio:.2f}")
    table.add_row("peak memory", f"{result.peak_rss_mib:,.0f} MiB")
    table.add_row("routing step, 72x22 +grid, 100 regions",
                  f"{result.network_step_s * 1000:,.1f} ms")
    sched = result.scheduling_step
    table.add_row(f"scheduling step, 1,000,000 satellites, {sched['running']:,} running + "
                  f"{sched['queued']:,} queued", f"{sched['step_s'] * 1000:,.1f} ms")
    free = result.scheduling_step_free
    table.add_row(f"the same, every satellite free ({free['running']:,} running + "
                  f"{free['queued']:,} queued after it)", f"{free['step_s'] * 1000:,.1f} ms")
    over = result.workload_overhead
    table.add_row(f"Starlink-like preset ({over['hours']:g} h): with / without workloads "
                  f"(best of {over['repeats']}; target <= 1.25)",
                  f"{over['ratio']:.2f} ({over['with_s']:.1f} s / {over['without_s']:.1f} s; "
                  f"pairs {over['ratio_pair_min']:.2f}-{over['ratio_pair_max']:.2f}; "
                  f"CPU {over['cpu_ratio']:.2f})")
    out.print(table)
    stages = Table(title="stages (CPU seconds, summed over workers)")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for name, sec in result.stages_cpu_s.items():
        stages.add_row(name, f"{sec:.2f}")
    out.print(stages)
    if json_path is not None:
        _write_json(json_path, result.to_dict(), "Figures")


@app.command()
@_user_errors
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "orbitdc-demo"
    ),
    preset: Annotated[str, typer.Option(help="Preset to run.")] = DEMO_PRESET,
) -> None:
    """Run the flagship preset and say where its outputs are."""
    known = preset in preset_names()
    out.print(f"orbitdc demo: {preset_description(preset) if known else preset}", soft_wrap=True)
    _run(f"preset:{preset}", out_dir, epochs=DEFAULT_EPOCHS)


@app.command()
@_user_errors
def presets() -> None:
    """List the shipped presets (use them as preset:NAME)."""
    table = Table(title="orbitdc presets")
    table.add_column("name")
    table.add_column("satellites", justify="right")
    table.add_column("description")
    for name in preset_names():
        scenario = load_scenario(preset_path(name))
        table.add_row(name, str(len(scenario.satellite_names)), preset_description(name))
    out.print(table)


@app.command()
@_user_errors
def cost(
    scenario: Annotated[str | None, typer.Argument(
        help="Scenario TOML file, or preset:NAME (not needed with --designs).")] = None,
    simulate_run: Annotated[
        bool,
        typer.Option("--simulate/--nameplate",
                     help="Fly short runs over the design life for availability and dose "
                     "limits, or use nameplate."),
    ] = True,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the cost section to this file.")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    epochs: Annotated[int, typer.Option(
        help="Short runs at epochs spread over the year and the design life.")] = DEFAULT_EPOCHS,
    epoch_hours: Annotated[float | None, typer.Option(
        help="Hours each epoch flies (default: the scenario's duration, at most 2).")] = None,
    samples: Annotated[int | None, typer.Option(
        help="Monte Carlo samples over the estimated inputs (default: the scenario's "
        "economics.uncertainty.samples).")] = None,
    designs: Annotated[bool, typer.Option(
        "--designs", help="Price the public designs (Starcloud, Suncatcher, SpaceX's filing) "
        "in one table, from their stated inputs (with --samples N: the ratio's P10-P90 over "
        "N Monte Carlo samples each).")] = False,
    physical_tornado: Annotated[bool, typer.Option(
        "--physical-tornado/--no-physical-tornado",
        help="Put each estimated physical figure in the tornado too: two bare flights a "
        "figure (its range's ends) on a representative sample.")] = True,
) -> None:
    """Total cost of ownership in orbit and on the ground, break-even launch price, carbon,
    with its uncertainty."""
    if designs:
        if samples is not None and samples < 0:
            raise ScenarioError("orbitdc cost", [("--samples", f"a count of Monte Carlo "
                                                  f"samples, 0 or more (got {samples})")])
        _print_designs(json_path, samples or 0)
        return
    if scenario is None:
        raise ScenarioError("orbitdc cost", [("SCENARIO", "give a scenario file or "
                                              "preset:NAME, or --designs")])
    sc = load_scenario(_scenario_path(scenario))
    key = "--samples" if samples is not None else "economics.uncertainty.samples"
    # Errors before any flight; the Monte Carlo itself runs once, on what is flown.
    section = cost_section(sc, samples=samples, samples_key=key, check_only=simulate_run)
    if simulate_run:
        # Short runs over the life, as `orbitdc run` flies them: with workloads, delivered
        # hours are their work.
        life = None
        if sc.satellite:
            plan = epoch_plan(sc, max(epochs, 1), epoch_hours)  # bad --epochs first
            with _progress_bar(f"lifetime: {len(plan)} epochs", len(plan)) as progress:
                life = sample_lifetime(sc, max(epochs, 1), epoch_hours, workers=workers,
                                       progress=progress, physical_tornado=physical_tornado)
        section = cost_section(sc, lifetime=life, samples=samples, samples_key=key)
    if scenario.startswith("preset:"):
        from orbitdc.econ.designs import reproduction

        repro = reproduction(scenario.removeprefix("preset:"))
        if repro is not None:
            section = dict(section, reproduction=repro)
            _print_reproduction(repro)
    _print_costs(sc, section, simulated=simulate_run)
    if json_path is not None:
        _write_json(json_path, section, "Cost section")


def _print_reproduction(repro: dict) -> None:
    """A public design's document rebuilt from its stated inputs, and the walk to orbitdc's
    model (the cost command on that design's preset)."""
    doc = repro["document"]
    table = Table(title=f"{doc['title']}: printed, and from its stated inputs")
    for col in ("figure", "printed", "from the inputs", "agrees", "arithmetic"):
        table.add_column(col, justify="left" if col in ("figure", "arithmetic") else "right")
    for ln in doc["lines"]:
        def num(x):
            return "-" if x is None else f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:,.4g}"

        table.add_row(ln["name"], num(ln["printed"]), num(ln["from_inputs"]),
                      "-" if ln["printed"] is None else ("yes" if ln["agrees"] else "NO"),
                      escape(ln["how"]))
    out.print(table)
    for d in doc["disagreements"]:
        label = doc.get("disagreements_are", "the document disagrees with its own inputs")
        out.print(f"{escape(label)}: {escape(d)}", soft_wrap=True)
    walk = Table(title="from the document's own accounting to orbitdc's model, one change at a "
                 "time (nameplate)")
    for col in ("step", "orbit", "ground", "orbit $/acc-h", "ratio"):
        walk.add_column(col, justify="left" if col == "step" else "right")
    for row in repro["walk"]:
        walk.add_row(escape(row["step"]), _money(row["orbit_total_usd"]),
                     _money(row["ground_total_usd"]),
                     _money(row["orbit_usd_per_accelerator_hour"]),
                     _v(row["orbit_to_ground_ratio"], ".3g"))
    out.print(walk)
    first = repro["walk"][0]
    out.print(f"'{escape(first['step'])}': {escape(first['why'])}", soft_wrap=True)
    for row in repro["walk"][1:]:
        if row.get("moves", True):
            out.print(f"why '{escape(row['step'])}' moves it: {escape(row['why'])}",
                      soft_wrap=True)
        else:
            out.print(f"'{escape(row['step'])}' {escape(row['why'])}", soft_wrap=True)


def _print_designs(json_path: Path | None, samples: int = 0) -> None:
    from orbitdc.econ.designs import public_designs

    rows = public_designs(samples=samples, samples_key="--samples")
    table = Table(title="public designs priced by orbitdc (nameplate; default prices for what "
                  "the documents leave out)")
    for col in ("design", "launch $/kg", "orbit $/kW-yr",
                "orbit $/acc-h", "ground $/acc-h", "ratio", "break-even $/kg"):
        table.add_column(col, justify="left" if col == "design" else "right")
    for r in rows:
        be = r["break_even_launch_usd_per_kg"]
        table.add_row(r["preset"], f"{r['launch_usd_per_kg']:,.0f}",
                      _money(r["orbit_usd_per_compute_kw_year"]),
                      _money(r["orbit_usd_per_accelerator_hour"]),
                      _money(r["ground_usd_per_accelerator_hour"]),
                      _v(r["orbit_to_ground_ratio"], ".2f") + _p10_p90(r["uncertainty"]),
                      f"{be:,.0f}" if be is not None else "none")
    out.print(table)
    out.print("orbit $/kW-yr: the orbit's whole cost per kW of compute per year of life",
              soft_wrap=True)
    for r in rows:
        out.print(f"{r['preset']} ({r['design']}), as the document counts it: "
                  f"{escape(r['as_counted'])}; orbitdc on only what it counts: "
                  f"{_money(r['as_counted_orbit_usd_per_kw_year'])} per kW of array-year, "
                  f"ratio {_v(r['as_counted_orbit_to_ground_ratio'], '.3g')}", soft_wrap=True)
        for note in r["notes"]:
            out.print(f"{r['design']}: {escape(note)}", soft_wrap=True)
    if json_path is not None:
        _write_json(json_path, {"designs": rows}, "Designs")


def _p10_p90(unc: dict | None) -> str:
    """`` (P10-P90)`` of the ratio where the Monte Carlo ran, else nothing."""
    p = (unc or {}).get("orbit_to_ground_ratio") or {}
    if p.get("p10") is None or p.get("p90") is None:
        return ""
    return f" ({p['p10']:.2f}-{p['p90']:.2f})"


def _write_json(path: Path, data: dict, label: str) -> None:
    try:
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    out.print(f"{label} written to [bold]{escape(str(path))}[/bold]", soft_wrap=True)


def _money(x) -> str:
    if x is None:
        return "-"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"${x / scale:,.2f}{unit}"
    return f"${x:,.2f}" if abs(x) >= 1 or x == 0 else f"${x:.3g}"


def _print_costs(sc, c: dict, simulated: bool) -> None:
    econ = c["inputs"]
    table = Table(title=f"{sc.name}: {econ['lifetime_years']:g} years, launch "
                  f"${econ['launch_usd_per_kg']:,.0f}/kg, discount {econ['discount_rate']:.0%}")
    table.add_column("orbit", justify="left")
    table.add_column("", justify="right")
    table.add_column("ground", justify="left")
    table.add_column("", justify="right")
    orbit = list(c["orbit_usd"].items())
    ground = list(c["ground_usd"].items())
    for i in range(max(len(orbit), len(ground))):
        o = orbit[i] if i < len(orbit) else ("", None)
        g = ground[i] if i < len(ground) else ("", None)
        table.add_row(o[0].replace("_", " "), _money(o[1]) if o[0] else "",
                      g[0].replace("_", " "), _money(g[1]) if g[0] else "")
    table.add_section()
    table.add_row("total", _money(c["orbit_total_usd"]), "total", _money(c["ground_total_usd"]))
    table.add_row("per accelerator-hour", _money(c["orbit_usd_per_accelerator_hour"]),
                  "per accelerator-hour", _money(c["ground_usd_per_accelerator_hour"]))
    out.print(table)
    be = c["break_even_launch_usd_per_kg"]
    ratio = c["orbit_to_ground_ratio"]
    lines = [
        "orbit / ground cost per delivered accelerator-hour: "
        + (f"{ratio:.3f}" if ratio is not None else "n/a")
        + ("" if simulated else " (nameplate availability)"),
        "break-even launch price: "
        + (f"${be:,.0f}/kg" if be is not None else c["break_even_note"]),
        f"launched power price (Suncatcher's metric): "
        f"{_money(c['launched_power_usd_per_kw_year'])} per kW-year; full orbit cost "
        f"{_money(c['orbit_usd_per_kw_year'])} per kW-year",
        f"carbon: launch {c['carbon']['orbit_launch_t_co2']:,.1f} t CO2 against grid "
        f"{c['carbon']['ground_grid_t_co2']:,.1f} t CO2 over the lifetime",
    ]
    for line in lines:
        out.print(line, soft_wrap=True)
    life = c.get("lifetime") or {}
    if life.get("epochs"):
        sp = life["spread"]
        out.print(
            f"lifetime: {life['epochs']} epochs of {life['hours_each']:g} h spread over the year "
            f"and the design life, flown {life['flown']}", soft_wrap=True)
        year = life.get("beta_deg_over_year") or {}
        flew = [r.get("beta_deg_median") for r in life.get("per_epoch", [])]
        if life.get("epoch_choice") and year.get("max") is not None:
            out.print(
                f"epochs chosen {life['epoch_choice']}: |beta| flown (fleet median) "
                + ", ".join(_v(b, ".0f") for b in flew)
                + f" deg, of the year's {year['min']:.0f}-{year['max']:.0f} deg",
                soft_wrap=True)
        lt = Table(title="flight figures over the epochs")
        for col in ("figure", "mean", "min", "max"):
            lt.add_column(col, justify="left" if col == "figure" else "right")
        for key, label in (("availability", "compute available"),
                           ("throttled_power_fraction", "throttled by power (share of time)"),
                           ("throttled_heat_fraction", "throttled by heat (share of time)"),
                           ("upsets_per_accelerator_year", "upsets per accelerator-year"),
                           ("dose_rad_per_year_max", "dose, worst satellite, rad(Si)/yr"),
                           ("array_output_fraction", "array output (degradation)")):
            if key in sp:
                lt.add_row(label, *(_v(sp[key][k], ".4g") for k in ("mean", "min", "max")))
        out.print(lt)
    unc = c.get("uncertainty")
    if unc and unc.get("samples"):
        flights = unc.get("flights", 0)
        ut = Table(title=f"uncertainty: {unc['samples']:,} samples of the estimated inputs "
                   f"(seed {unc['seed']}; "
                   + (f"physical figures drawn in {flights} re-flights)" if flights
                      else "no re-flights: physical figures at their values)"))
        for col in ("figure", "P10", "P50", "P90"):
            ut.add_column(col, justify="left" if col == "figure" else "right")
        for key, label, fmt in (
                ("orbit_usd_per_accelerator_hour", "orbit $/accelerator-hour", _money),
                ("ground_usd_per_accelerator_hour", "ground $/accelerator-hour", _money),
                ("orbit_to_ground_ratio", "orbit / ground", lambda x: _v(x, ".3f")),
                ("break_even_launch_usd_per_kg", "break-even launch $/kg",
                 lambda x: "none" if x is None or x < 0 else f"{x:,.0f}")):
            ut.add_row(label, *(fmt(unc[key][p]) for p in ("p10", "p50", "p90")))
        out.print(ut)
        out.print(f"share of samples where orbit is cheaper: {unc['share_orbit_cheaper']:.1%}; "
                  f"where some launch price >= 0 breaks even: {unc['share_with_break_even']:.1%}"
                  , soft_wrap=True)
        ranks = unc.get("rank_correlation_with_ratio") or {}
        if ranks:
            out.print("rank correlation with the ratio over the samples (the strongest): "
                      + ", ".join(f"{k} {v:+.2f}" for k, v in list(ranks.items())[:6]),
                      soft_wrap=True)
    tornado_table = Table(title="what moves the orbit/ground ratio most (each input across its "
                          "range, the others at their values; flown: a physical figure, "
                          "re-flown at each end)")
    tornado_table.add_column("input")
    tornado_table.add_column("low → ratio", justify="right")
    tornado_table.add_column("high → ratio", justify="right")
    for row in c["tornado"][:8]:
        tornado_table.add_row(row["input"] + (" (flown)" if row.get("flown") else ""),
                              f"{row['low']:.4g} → {_v(row['ratio_at_low'], '.3f')}",
                              f"{row['high']:.4g} → {_v(row['ratio_at_high'], '.3f')}")
    out.print(tornado_table)
    for note in c["notes"] + life.get("notes", []) + ((unc or {}).get("notes") or []):
        err.print(f"[yellow]note:[/yellow] {escape(note)}", soft_wrap=True)
    for w in life.get("warnings", []):
        err.print(f"[yellow]warning:[/yellow] in epochs {', '.join(map(str, w['epochs']))} of "
                  f"{life['epochs']}: {escape(w['warning'])}", soft_wrap=True)


@app.command()
@_user_errors
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep TOML file.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "orbitdc-sweep"
    ),
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of an existing Dask scheduler (default: $ORBITDC_SCHEDULER, "
                     "else a local cluster)."),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue a sweep in --out.")] = False,
) -> None:
    """Run every variant of a sweep on Dask; write variants.parquet and sweep.html."""
    spec = load_sweep(sweep_file)
    total = len(spec.variants())
    with _progress_bar(f"sweep: {total} variants", total) as progress:
        try:
            table, timing = run_sweep(spec, out_dir, scheduler=scheduler, workers=workers,
                                      resume=resume, progress=progress)
        except SweepOutputError as exc:
            raise OutputError(str(exc)) from None
    report_path = write_sweep_report(out_dir, [a.path for a in spec.spec.axis], str(sweep_file))
    status = table.column("status").to_pylist()
    counts = {k: status.count(k) for k in ("ok", "invalid", "failed")}
    out.print(
        f"{table.num_rows} variants: {counts['ok']} ok, {counts['invalid']} invalid, "
        f"{counts['failed']} failed; ran {timing['ran']} now in {timing['wall_s']:.1f} s",
        soft_wrap=True,
    )
    out.print(f"Table: [bold]{escape(str((out_dir / 'variants.parquet').absolute()))}[/bold]",
              soft_wrap=True)
    out.print(f"Report: [bold]{escape(str(report_path.absolute()))}[/bold]", soft_wrap=True)


def _fly_policy(sc, policy_name: str, workers: int | None, progress) -> dict:
    """Fly ``sc``'s jobs under one policy (one flight, decided step by step) and return the
    summary's jobs section; ``progress(done, total)`` follows the flight."""
    policy = resolve_policy(policy_name, "--policies", base_dir=sc.base_dir, key="",
                            settings=sc.policy.phoenix)

    @contextlib.contextmanager
    def progress_for(description, _total):
        # The flight's bar only: a [screening] section's screen counts seconds, not steps.
        yield None if description.endswith(": screening") else progress

    section = run_scenario(sc, None, workers=workers, progress_for=progress_for,
                           policy=policy, policy_where=("--policies", "")).summary["jobs"]
    section["policy"] = policy_name
    return section


#: The figures orbitdc compare shows: table label, name in the verdict line, how to read it
#: from a jobs section, format, and whether more is better.
_COMPARED = [
    ("jobs finished", "jobs finished", lambda r: r["states"]["finished"], "d", True),
    ("goodput (accelerator-hours)", "goodput", lambda r: r["goodput_accelerator_hours"], ",.1f",
     True),
    ("utilisation", "utilisation", lambda r: r["utilisation"], ".3f", True),
    ("mean completion (h)", "completion", lambda r: r["completion_h_mean"], ".2f", False),
    ("mean queueing (h)", "queueing", lambda r: r["queueing_h_mean"], ".2f", False),
    ("work lost (EFLOP)", "work lost", lambda r: r["work_lost_flops"] / 1e18, ",.2f", False),
    ("energy per EFLOP (kWh)", "energy per EFLOP", lambda r: r["energy_kwh_per_exaflop"], ",.1f",
     False),
]


@app.command()
@_user_errors
def compare(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or preset:NAME.")],
    policies: Annotated[
        str, typer.Option(help="Comma-separated policies: " + ", ".join(POLICIES)
                          + ", or module:attribute (imported beside the scenario). The first "
                          "is the base the others are compared with.")
    ] = ",".join(POLICIES),
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the comparison to this file.")
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Also write the comparison table as CSV here.")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
) -> None:
    """Run the same scenario's jobs under each policy and compare them: a table printed, with
    each policy's change against the first, and a line per policy saying where it wins, ties
    or loses against the first (CSV with --csv, JSON with --json)."""
    names = list(dict.fromkeys(p.strip() for p in policies.split(",") if p.strip()))
    bad = [problem for p in names if (problem := policy_name_problem(p)) is not None]
    if bad or not names:
        raise ScenarioError("--policies", [("", "; ".join(bad) or "no policy given; known: "
                                            + ", ".join(POLICIES))])
    sc = load_scenario(_scenario_path(scenario))
    if not sc.workload:
        raise ScenarioError(sc.source, [("workload", "no [[workload]]: nothing to schedule")])
    for name in names:  # a policy of one's own that cannot be had fails before any flight
        resolve_policy(name, "--policies", base_dir=sc.base_dir, key="")
    rows = {}
    for name in names:
        with _progress_bar(f"{sc.name}: {name} (one flight)", sc.n_steps - 1) as p:
            rows[name] = _fly_policy(sc, name, workers, p)
    base = names[0]
    table = Table(title=f"{sc.name}: policies compared (same orbits and faults; power and heat "
                  f"follow each policy's load; in brackets: the change against {base})")
    table.add_column("figure")
    for name in names:
        table.add_column(escape(name), justify="right")
    figures = list(_COMPARED)
    for w in sc.workload:
        if w.kind == "inference":
            figures.append((f"{w.name}: within {w.latency_slo_ms:g} ms", f"{w.name} SLO attainment",
                            lambda r, n=w.name: r["inference"][n]["slo_attainment"], ".3f", True))
            figures.append((f"{w.name}: round trip p50 (ms)", f"{w.name} round trip",
                            lambda r, n=w.name: r["inference"][n]["rtt_ms_p50"], ".1f", False))
    csv_rows = [["figure", *names, *[f"{n} - {base}" for n in names[1:]]]]
    values_of, shown_of = {}, {}
    for label, short, fn, spec, _better in figures:
        values = [fn(rows[n]) for n in names]
        values_of[short] = values
        # The verdict compares the figures as the table shows them: a difference below the
        # printed precision is a tie.
        shown_of[short] = [None if v is None else float(format(v, spec.replace(",", "")))
                           for v in values]
        cells = []
        for i, v in enumerate(values):
            text = _v(v, spec)
            b = values[0]
            if i and v is not None and b is not None:
                change = f"{v - b:+{spec.lstrip(',')}}"
                if b:
                    change += f", {(v - b) / abs(b):+.0%}"
                text += f" ({change})"
            cells.append(text)
        table.add_row(label, *cells)
        csv_rows.append([label, *["" if v is None else v for v in values],
                         *["" if v is None or values[0] is None else v - values[0]
                           for v in values[1:]]])
    out.print(table)
    for i, name in enumerate(names[1:], start=1):
        line = verdict(name, base, [(short, shown_of[short][i], shown_of[short][0], better)
                                    for _label, short, _fn, _spec, better in figures])
        out.print(escape(line), soft_wrap=True)
    if csv_path is not None:
        import csv

        try:
            with csv_path.open("w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(csv_rows)
        except OSError as exc:
            raise OutputError(f"{csv_path}: cannot write: {exc.strerror or exc}") from None
        out.print(f"Comparison written to [bold]{escape(str(csv_path.absolute()))}[/bold]",
                  soft_wrap=True)
    if json_path is not None:
        _write_json(json_path, rows, "Comparison")


@app.command()
@_user_errors
def report(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by orbitdc run.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write (default DIR/report.html).")
    ] = None,
) -> None:
    """Rebuild report.html from a run's output files."""
    try:
        path = write_report(run_dir, out_file)
    except ReportError as exc:
        raise ScenarioError(str(run_dir), [("", str(exc).removeprefix(f"{run_dir}: "))]) from None
    except OSError as exc:
        raise OutputError(f"{out_file or run_dir}: cannot write: {exc.strerror or exc}") from None
    out.print(f"Report: [bold]{escape(str(path.absolute()))}[/bold]", soft_wrap=True)


@app.command()
@_user_errors
def parts(
    kind: Annotated[
        str | None,
        typer.Option(help="Only this kind: " + ", ".join(PART_KINDS) + "."),
    ] = None,
    sources: Annotated[bool, typer.Option(help="Show where every figure comes from.")] = False,
) -> None:
    """List the hardware catalogue (its names go in satellite types and parts)."""
    if kind is not None and kind not in PART_KINDS:
        raise ScenarioError("--kind", [("", f"unknown kind {kind!r}; one of {', '.join(PART_KINDS)}")])
    catalogue = shipped_catalogue()
    for k in PART_KINDS:
        if kind is not None and k != kind:
            continue
        names = catalogue.names(k)
        table = Table(title=k.replace("_", " "))
        table.add_column("figure")
        for name in names:
            table.add_column(name, justify="right", no_wrap=True)
        numeric = [f for f in PART_KINDS[k].model_fields
                   if f not in {"kind", "description", "sources"}]
        for f in numeric:
            table.add_row(f, *[_fmt(getattr(catalogue.get(k, n), f)) for n in names])
        out.print(table)
        if sources:
            for name in names:
                part = catalogue.get(k, name)
                out.print(f"[bold]{escape(name)}[/bold]: {escape(part.description)}",
                          soft_wrap=True)
                for f, v in part.sources.items():
                    out.print(f"  {f}: {escape(v)}", soft_wrap=True)


@app.command()
@_user_errors
def radiator(
    heat_w: Annotated[float, typer.Option(min=0.0, help="Heat to reject, W.")],
    temperature_k: Annotated[float | None, typer.Option(
        min=1.0, help="Radiator temperature, K (or give --junction-k).")] = None,
    junction_k: Annotated[float | None, typer.Option(
        min=1.0, help="Chips' junction limit, K: the radiator runs --gradient-k below it.")] = None,
    gradient_k: Annotated[float, typer.Option(
        min=0.0, help="Junction-to-radiator drop at this heat, K (with --junction-k).")
    ] = DEFAULT_CHIP_GRADIENT_K,
    coating: Annotated[str, typer.Option(help="Catalogue coating.")] = "white-paint",
    altitude_km: Annotated[float, typer.Option(min=150.0, help="Orbit altitude, km.")] = 550.0,
    earth_view: Annotated[float | None, typer.Option(
        min=0.0, max=1.0,
        help="Earth view factor (default: an edge-on panel's at --altitude-km).")] = None,
    sun_view: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share facing the Sun.")] = 0.0,
) -> None:
    """Size a radiator: the area that rejects --heat-w at the radiator's temperature (both
    faces count): --temperature-k, or --junction-k less --gradient-k."""
    if (temperature_k is None) == (junction_k is None):
        raise ScenarioError("radiator", [("--temperature-k", (
            "give the radiator's temperature (--temperature-k) or the chips' limit "
            "(--junction-k, with --gradient-k), one of them"))])
    t_rad = temperature_k if temperature_k is not None else junction_k - gradient_k
    try:
        part = shipped_catalogue().get("radiator_coating", coating)
    except KeyError as exc:
        raise ScenarioError("radiator", [("--coating", exc.args[0])]) from None
    if earth_view is None:
        earth_view = float(plate_earth_view_factor(WGS84_RADIUS_KM + altitude_km, np.pi / 2))
    eps, alpha = part.emissivity, part.absorptivity
    absorbed = float(
        environment_heat_w(1.0, alpha, eps, sun_view, earth_view, SOLAR_IRRADIANCE_W_PER_M2,
                           1.0 if sun_view > 0 else 0.0, 0.0)
    )
    area = float(radiator_area_m2(heat_w, t_rad, eps, absorbed)) if t_rad > 0 else np.inf
    key = "--temperature-k" if temperature_k is not None else "--junction-k"
    if not np.isfinite(area):
        raise ScenarioError("radiator", [(key, (
            f"at {t_rad:g} K a square metre of {coating} emits less than the "
            f"{absorbed:.1f} W it absorbs from the Sun and the Earth: it cannot reject heat"
        ))])
    out.print(
        f"{heat_w:g} W at a radiator of {t_rad:g} K with {coating} (emissivity {eps:g}, "
        f"absorptivity {alpha:g}), {altitude_km:g} km, Earth view {earth_view:.3g}, Sun view "
        f"{sun_view:g}: [bold]{area:.2f} m^2[/bold] of radiating area ({absorbed:.1f} W/m^2 "
        "absorbed)",
        soft_wrap=True,
    )


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and (abs(value) >= 1e5 or 0 < abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:g}" if isinstance(value, float) else str(value)


@app.command()
@_user_errors
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or preset:NAME.")],
) -> None:
    """Check a scenario without running it."""
    sc = load_scenario(_scenario_path(scenario))
    resolve_policy(sc.policy.name, sc.source, base_dir=sc.base_dir)  # imports a policy of one's own
    design_warnings = validate_design(sc)
    if sc.satellite:
        cost_section(sc)  # what `orbitdc run` refuses, validate refuses too
    from orbitdc.sim.screening import check_catalogue

    check_catalogue(sc)  # a [screening] catalog_file that is missing or unparseable
    out.print(
        f"{scenario}: ok — {len(sc.satellite_names)} satellites in {len(sc.fleet)} fleet(s), "
        f"{len(sc.ground_station)} ground station(s), {sc.n_steps} steps of {sc.step_s:g} s",
        soft_wrap=True,
    )
    for w in design_warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=True)


# --- the live twin (orbitdc serve; docs/serve.md) ---------------------------------------------
DEFAULT_DB = "sqlite:///orbitdc-serve.db"
DEFAULT_URL = "http://127.0.0.1:8000"

keys_app = typer.Typer(no_args_is_help=True, help="API keys of the live twin's store.")
app.add_typer(keys_app, name="keys")


def _store(db: str):
    from orbitdc.serve.store import Store, StoreError

    try:
        return Store(db)
    except StoreError as exc:
        raise ScenarioError("--db", [("", f"{db}: {exc}")]) from None


def _speed(value: str) -> float | None:
    if value == "max":
        return None
    try:
        speed = float(value)
    except ValueError:
        speed = float("nan")
    if not speed > 0 or speed == float("inf"):
        raise ScenarioError("--speed", [("", f"expected a factor > 0 or 'max' (got {value!r})")])
    return speed


@app.command()
@_user_errors
def serve(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or preset:NAME.")],
    db: Annotated[str, typer.Option(help="Store: sqlite:///FILE or postgresql://...")] = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    speed: Annotated[str, typer.Option(help="Simulated seconds per wall-clock second, or "
                                            "'max' (as fast as the engine goes).")] = "1",
    rate_limit: Annotated[float, typer.Option(help="Requests per second per API key.")] = 200.0,
) -> None:
    """Run the scenario's fleet as a live twin with a REST API and a dashboard at /."""
    from orbitdc.serve.server import PortInUse, check_port, run_server
    from orbitdc.serve.store import StoreError

    pace = _speed(speed)
    if not 0 < port < 65536:
        raise ScenarioError("--port", [("", f"expected 1..65535 (got {port})")])
    if not rate_limit > 0:
        raise ScenarioError("--rate-limit", [("", f"expected > 0 (got {rate_limit:g})")])
    sc = load_scenario(_scenario_path(scenario))
    resolve_policy(sc.policy.name, sc.source, base_dir=sc.base_dir)
    try:
        check_port(host, port)
        _store(db).close()
        err.print(f"orbitdc serve: {sc.name} on http://{host}:{port} (speed {speed}, store "
                  f"{db.split('@')[-1]})", soft_wrap=True)
        run_server(sc, db, host, port, pace, rate_per_s=rate_limit, burst=2 * rate_limit)
    except PortInUse as exc:
        raise ScenarioError("--port", [("", str(exc))]) from None
    except StoreError as exc:
        raise ScenarioError("--db", [("", f"{db.split('@')[-1]}: {exc}")]) from None


@keys_app.command("create")
@_user_errors
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for.")],
    db: Annotated[str, typer.Option(help="Store: sqlite:///FILE or postgresql://...")] = DEFAULT_DB,
) -> None:
    """Make an API key: printed once (alone on the last line); the store keeps its hash."""
    store = _store(db)
    try:
        key = store.create_key(name)
    finally:
        store.close()
    err.print(f"API key for {name!r} (shown once; the store keeps only its hash):")
    print(key)


def _client(url: str, key: str | None):
    import os

    from orbitdc.serve.client import Client

    key = key or os.environ.get("ORBITDC_KEY")
    if not key:
        raise ScenarioError("--key", [("", "give the API key with --key or ORBITDC_KEY")])
    return Client(url, key)


def _api(call):
    import httpx

    from orbitdc.serve.client import ApiError

    try:
        return call()
    except ApiError as exc:
        raise ScenarioError("server", [("", str(exc))]) from None
    except httpx.TransportError as exc:
        raise ScenarioError("--url", [("", f"cannot reach the twin: {exc}")]) from None


UrlOpt = Annotated[str, typer.Option(envvar="ORBITDC_URL", help="The twin's URL.")]
KeyOpt = Annotated[str | None, typer.Option(help="API key (default: $ORBITDC_KEY).")]


@app.command()
@_user_errors
def submit(
    kind: Annotated[str, typer.Argument(help="training | inference | batch")],
    name: Annotated[str, typer.Argument(help="The job's name.")],
    accelerators: Annotated[int, typer.Option(help="Accelerators (a gang).")] = 1,
    flops: Annotated[float | None, typer.Option(help="Work, FLOPs.")] = None,
    parameters: Annotated[float | None, typer.Option(help="Training: parameters.")] = None,
    tokens: Annotated[float | None, typer.Option(help="Training: tokens.")] = None,
    checkpoint_interval_h: Annotated[float | None, typer.Option()] = None,
    checkpoint_s: Annotated[float, typer.Option()] = 0.0,
    wait: Annotated[bool, typer.Option(help="Wait until it finishes.")] = False,
    url: UrlOpt = DEFAULT_URL,
    key: KeyOpt = None,
) -> None:
    """Submit a job to a running twin; prints it as JSON."""
    body = {"kind": kind, "name": name, "accelerators": accelerators, "flops": flops,
            "parameters": parameters, "tokens": tokens,
            "checkpoint_interval_h": checkpoint_interval_h, "checkpoint_s": checkpoint_s}
    body = {k: v for k, v in body.items() if v is not None}
    with _client(url, key) as c:
        job = _api(lambda: c.submit(body))
        if wait:
            job = _api(lambda: c.wait(job["id"], timeout=86_400.0))
    print(json.dumps(job, indent=1))


@app.command()
@_user_errors
def jobs(
    state: Annotated[str | None, typer.Option(help="Only jobs in this state.")] = None,
    url: UrlOpt = DEFAULT_URL,
    key: KeyOpt = None,
) -> None:
    """List your jobs on a running twin."""
    with _client(url, key) as c:
        found = _api(lambda: c.list(state))
    table = Table("id", "name", "kind", "state", "accelerators", "progress", "placement")
    for j in found:
        table.add_row(str(j["id"]), j["name"], j["kind"], j["state"], str(j["accelerators"]),
                      f"{j['progress']:.0%}", ",".join(f"{s}:{n}" for s, n in
                                                       j["placement"].items()))
    out.print(table)


@app.command()
@_user_errors
def cancel(
    job_id: Annotated[int, typer.Argument(help="The job's id.")],
    url: UrlOpt = DEFAULT_URL,
    key: KeyOpt = None,
) -> None:
    """Cancel a job on a running twin."""
    with _client(url, key) as c:
        job = _api(lambda: c.cancel(job_id))
    out.print(f"job {job['id']}: {job['state']}"
              + (" (cancel requested: it leaves at the next step)"
                 if job["state"] not in ("cancelled",) else ""))


def main() -> None:
    """Entry point of the ``orbitdc`` command."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
