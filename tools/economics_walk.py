"""Walk from a published analysis's own assumptions to orbitdc's fuller model, one change at a
time, and print the effect of each as a Markdown table (used in docs/economics.md).

    python tools/economics_walk.py starcloud-40mw
    python tools/economics_walk.py suncatcher-launch

The steps and the reason for each are ``orbitdc.econ.reproductions.WALK_STEPS``; the last row
flies the scenario at epochs spread over its life (``orbitdc.study.lifetime``), so
availability and the radiation dose limit come from the simulation.
"""

from __future__ import annotations

import sys

import orbitdc
from orbitdc.econ import cost_section
from orbitdc.econ.reproductions import model_walk


def _money(x: float) -> str:
    return f"${x / 1e6:,.1f}M" if abs(x) >= 1e5 else f"${x:,.0f}"


def _row(label: str, c: dict) -> str:
    return (f"| {label} | {_money(c['orbit_total_usd'])} | {_money(c['ground_total_usd'])} | "
            f"{c['orbit_usd_per_accelerator_hour']:.4g} | "
            f"{c['ground_usd_per_accelerator_hour']:.4g} | {c['orbit_to_ground_ratio']:.3g} |")


def walk(preset: str, epochs: int = 4) -> list[str]:
    from orbitdc.study.lifetime import sample_lifetime

    base = orbitdc.load_scenario(orbitdc.preset_path(preset))
    rows = ["| step | orbit total | ground total | orbit $/acc-h | ground $/acc-h | ratio |",
            "|---|---|---|---|---|---|"]
    steps = model_walk(base.model_dump())
    for step in steps:
        rows.append(_row(step["step"], step["section"]))
    sc = orbitdc.parse_scenario(dict(base.model_dump(), economics=steps[-1]["section"]["inputs"]),
                                source=base.source, base_dir=base.base_dir)
    life = sample_lifetime(sc, epochs=epochs)
    c = cost_section(sc, lifetime=life)
    f = c["fleet"][0]
    rows.append(_row(f"flown: {life.epochs} epochs over the life, availability "
                     f"{f['availability']:.3f}, dose-limited life {f['dose_lifetime_years']:.1f} yr",
                     c))
    be = c["break_even_launch_usd_per_kg"]
    rows.append("")
    rows.append(f"Launched mass with orbitdc's roll-up: {c['launched_mass_kg'] / 1000:,.1f} t; "
                f"break-even launch price: " + (f"${be:,.0f}/kg" if be is not None
                                                else c["break_even_note"]) + ".")
    return rows


if __name__ == "__main__":
    for line in walk(sys.argv[1] if len(sys.argv) > 1 else "starcloud-40mw"):
        print(line)
