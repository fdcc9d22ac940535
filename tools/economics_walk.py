"""Walk from a published analysis's own assumptions to orbitdc's fuller model, one change at a
time, and print the effect of each as a Markdown table (used in docs/economics.md).

    python tools/economics_walk.py starcloud-40mw
    python tools/economics_walk.py suncatcher-launch

Each row changes one more input back to orbitdc's default (or its physics) and reports the
orbit and ground totals, the cost per accelerator-hour and the orbit/ground ratio. The last
rows fly the scenario, so availability and the radiation dose limit come from the simulation.
"""

from __future__ import annotations

import sys

import orbitdc
from orbitdc.econ import cost_section
from orbitdc.model.economics import Economics, GroundBaseline

DEFAULT = Economics().model_dump()
DEFAULT_GROUND = GroundBaseline().model_dump()


def _money(x: float) -> str:
    return f"${x / 1e6:,.1f}M" if abs(x) >= 1e5 else f"${x:,.0f}"


def walk(preset: str) -> list[str]:
    base = orbitdc.load_scenario(orbitdc.preset_path(preset)).model_dump()
    steps: list[tuple[str, dict, dict]] = [("the paper's own assumptions", {}, {})]
    orbit_keys = [
        ("orbitdc's mass roll-up instead of the stated launched mass", {"launched_mass_kg": None}),
        ("today's launch price ($3,600/kg)", {"launch_usd_per_kg": DEFAULT["launch_usd_per_kg"]}),
        ("array, battery and radiator priced", {
            k: DEFAULT[k] for k in ("solar_usd_per_w", "battery_usd_per_wh", "radiator_usd_per_m2")
        }),
        ("bus structure, integration, insurance priced", {
            k: DEFAULT[k] for k in ("bus_usd_per_kg", "integration_fraction", "insurance_fraction")
        }),
        ("operations and ground segment", {
            k: DEFAULT[k] for k in ("operations_usd_per_satellite_year",
                                    "ground_segment_usd_per_station_year")
        }),
        ("accelerators priced on both sides", {"accelerator_usd": None}),
        ("failures without repair, utilisation, discounting", {
            k: DEFAULT[k] for k in ("failure_rate_per_year", "utilisation", "discount_rate")
        }),
    ]
    for label, change in orbit_keys:
        steps.append((label, change, {}))
    steps.append(("ground: building, operations, water, overhead, today's prices",
                  {}, dict(DEFAULT_GROUND)))
    rows = ["| step | orbit total | ground total | orbit $/acc-h | ground $/acc-h | ratio |",
            "|---|---|---|---|---|---|"]
    econ = dict(base["economics"])
    ground = dict(econ["ground"])
    for label, change, ground_change in steps:
        econ.update(change)
        ground.update(ground_change)
        data = dict(base, economics=dict(econ, ground=ground))
        sc = orbitdc.parse_scenario(data)
        c = cost_section(sc)
        rows.append(
            f"| {label} | {_money(c['orbit_total_usd'])} | {_money(c['ground_total_usd'])} | "
            f"{c['orbit_usd_per_accelerator_hour']:.4g} | "
            f"{c['ground_usd_per_accelerator_hour']:.4g} | {c['orbit_to_ground_ratio']:.3g} |"
        )
    res = orbitdc.simulate(sc)
    c = cost_section(sc, res)
    rows.append(
        f"| flown: simulated availability {c['fleet'][0]['availability']:.3f}, dose-limited "
        f"life {c['fleet'][0]['dose_lifetime_years']:.2f} yr | {_money(c['orbit_total_usd'])} | "
        f"{_money(c['ground_total_usd'])} | {c['orbit_usd_per_accelerator_hour']:.4g} | "
        f"{c['ground_usd_per_accelerator_hour']:.4g} | {c['orbit_to_ground_ratio']:.3g} |"
    )
    be = c["break_even_launch_usd_per_kg"]
    rows.append("")
    rows.append(f"Launched mass with orbitdc's roll-up: {c['launched_mass_kg'] / 1000:,.1f} t; "
                f"break-even launch price: " + (f"${be:,.0f}/kg" if be is not None
                                                else c["break_even_note"]) + ".")
    return rows


if __name__ == "__main__":
    for line in walk(sys.argv[1] if len(sys.argv) > 1 else "starcloud-40mw"):
        print(line)
