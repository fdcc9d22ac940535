"""The ``orbitdc`` command.

Exit codes: 0 ok, 2 bad input (the message names the file, the key and what is expected),
1 internal error.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from orbitdc._version import __version__
from orbitdc.model import ScenarioError, load_scenario
from orbitdc.model.presets import preset_description, preset_names, preset_path
from orbitdc.sim import OutputError, Results, run_to_directory

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


def _scenario_path(value: str) -> Path:
    """A scenario file, or ``preset:NAME`` for a shipped preset."""
    if value.startswith("preset:"):
        try:
            return preset_path(value.removeprefix("preset:"))
        except KeyError as exc:
            raise ScenarioError(value, [("", exc.args[0])]) from None
    return Path(value)


def _run(scenario_arg: str, out_dir: Path) -> Results:
    scenario = load_scenario(_scenario_path(scenario_arg))
    total_steps = scenario.n_steps - 1
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(
            f"{scenario.name}: {len(scenario.satellite_names)} satellites", total=total_steps
        )
        results = run_to_directory(
            scenario, out_dir, progress=lambda done, total: bar.update(task, completed=done)
        )
    _print_summary(results, out_dir)
    return results


def _print_summary(results: Results, out_dir: Path) -> None:
    s = results.summary
    k = s["kpis"]
    table = Table(title=f"{s['scenario']} — {s['satellites']} satellites, {s['duration_h']:g} h")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("sunlit fraction (fleet mean)", f"{k['sunlit_fraction_mean']:.4f}")
    table.add_row("eclipses", f"{k['eclipses']}")
    table.add_row("longest eclipse", f"{k['longest_eclipse_min']:.1f} min")
    for name, minutes in k["contact_min_per_station"].items():
        table.add_row(f"contact with {name} (all satellites)", f"{minutes:.1f} min")
    out.print(table)
    for w in s["warnings"]:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=True)
    out.print(f"Outputs written to [bold]{escape(str(out_dir.absolute()))}[/bold]", soft_wrap=True)


@app.command()
@_user_errors
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or preset:NAME.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "orbitdc-out"
    ),
) -> None:
    """Simulate a scenario and write summary.json and Parquet tables to --out."""
    _run(scenario, out_dir)


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
    _run(f"preset:{preset}", out_dir)


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
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or preset:NAME.")],
) -> None:
    """Check a scenario without running it."""
    sc = load_scenario(_scenario_path(scenario))
    out.print(
        f"{scenario}: ok — {len(sc.satellite_names)} satellites in {len(sc.fleet)} fleet(s), "
        f"{len(sc.ground_station)} ground station(s), {sc.n_steps} steps of {sc.step_s:g} s",
        soft_wrap=True,
    )


def main() -> None:
    """Entry point of the ``orbitdc`` command."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
