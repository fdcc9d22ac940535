"""The public designs in one table: Starcloud's 40 MW module, Suncatcher's launched-power
stand-in and one satellite of SpaceX's orbital data center filing, each with the design and
launch price its document states (or, for the filing, orbitdc's estimate of a Starship-class
price) and orbitdc's default prices for everything the document leaves out. Nameplate
availability: no flight (``orbitdc cost preset:NAME`` flies each over its life)."""

from __future__ import annotations

from orbitdc.econ.costs import cost_section
from orbitdc.econ.reproductions import (
    model_walk,
    spacex_filing,
    starcloud_table_1,
    suncatcher_table_1,
)
from orbitdc.model.economics import Economics
from orbitdc.model.presets import preset_path
from orbitdc.model.scenario import load_scenario, parse_scenario

__all__ = ["DESIGNS", "public_designs", "reproduction"]

#: (label, preset, the economics kept from the document, how the document counts it).
DESIGNS = (
    ("Starcloud 40 MW (WP v1.03)", "starcloud-40mw",
     ("lifetime_years", "launch_usd_per_kg", "launched_mass_kg")),
    ("Suncatcher stand-in (arXiv:2511.19468)", "suncatcher-launch",
     ("lifetime_years", "launched_mass_kg")),
    ("SpaceX filing, one satellite (SAT-LOA-20260108-00016)", "spacex-odc",
     ("lifetime_years", "launch_usd_per_kg", "launched_mass_kg")),
)


def _as_counted(preset: str) -> tuple[str, list[str]]:
    if preset == "starcloud-40mw":
        r = starcloud_table_1()
        return (f"orbit $8.2M vs ground $167M (from its inputs ${r.value('orbit.total') / 1e6:.1f}M"
                f" vs ${r.value('ground.total') / 1e6:.1f}M)", r.disagreements)
    if preset == "suncatcher-launch":
        r = suncatcher_table_1()
        return (f"launch $810/kW-yr at $200/kg (from its inputs ${r.value('v2mini.at_200'):,.0f})",
                r.disagreements)
    r = spacex_filing()
    return "no cost published", r.disagreements


def public_designs(samples: int = 0, samples_key: str = "economics.uncertainty.samples"
                   ) -> list[dict]:
    """One row per design (see the module docstring); ``samples``: Monte Carlo samples each
    (0: none)."""
    default = Economics().model_dump()
    rows = []
    for label, preset, kept in DESIGNS:
        sc = load_scenario(preset_path(preset))
        data = sc.model_dump()
        econ = dict(default, ground=default["ground"])
        econ.update({k: data["economics"][k] for k in kept})
        if preset == "suncatcher-launch":
            econ["launch_usd_per_kg"] = 200.0  # the paper's ~2035 price, not today's
        sc = parse_scenario(dict(data, economics=econ), source=sc.source, base_dir=sc.base_dir)
        c = cost_section(sc, uncertainty=samples > 0, samples=samples or None,
                         samples_key=samples_key)
        compute_kw = sum(t.spec.accelerators * t.accelerator.power_load_w / 1e3 * n
                         for t, n in ((sc.satellite_types[f.satellite], f.count)
                                      for f in sc.fleet if f.satellite))
        counted, notes = _as_counted(preset)
        # The document's own accounting (the walk's first row): only what it counts.
        own = model_walk(dict(data, economics=dict(
            data["economics"], launch_usd_per_kg=econ["launch_usd_per_kg"])))[0]["section"]
        rows.append({
            "design": label, "preset": preset,
            "launch_usd_per_kg": econ["launch_usd_per_kg"],
            "lifetime_years": econ["lifetime_years"],
            "launched_mass_kg": c["launched_mass_kg"],
            "compute_kw": compute_kw,
            "as_counted": counted,
            "as_counted_orbit_usd_per_kw_year": own["orbit_usd_per_kw_year"],
            "as_counted_orbit_to_ground_ratio": own["orbit_to_ground_ratio"],
            "orbit_usd_per_compute_kw_year": c["orbit_total_usd"] / (
                compute_kw * econ["lifetime_years"]),
            "orbit_usd_per_accelerator_hour": c["orbit_usd_per_accelerator_hour"],
            "ground_usd_per_accelerator_hour": c["ground_usd_per_accelerator_hour"],
            "orbit_to_ground_ratio": c["orbit_to_ground_ratio"],
            "break_even_launch_usd_per_kg": c["break_even_launch_usd_per_kg"],
            "break_even_note": c["break_even_note"],
            "uncertainty": c["uncertainty"],
            "notes": notes,
        })
    return rows


def reproduction(preset: str) -> dict | None:
    """For a public design's preset: the document's printed figures beside the same figures
    from its stated inputs (with where they disagree), then the walk from the document's own
    assumptions to orbitdc's fuller model, one change at a time with the reason for each
    (nameplate, as the document counts it; ``orbitdc cost`` flies the last row's design).
    None for any other preset."""
    make = {"starcloud-40mw": starcloud_table_1, "suncatcher-launch": suncatcher_table_1,
            "spacex-odc": spacex_filing}.get(preset)
    if make is None:
        return None
    keys = ("orbit_total_usd", "ground_total_usd", "orbit_usd_per_accelerator_hour",
            "ground_usd_per_accelerator_hour", "orbit_to_ground_ratio", "orbit_usd_per_kw_year")
    walk = [{"step": row["step"], "why": row["why"], "moves": row["moves"]}
            | {k: row["section"][k] for k in keys}
            for row in model_walk(load_scenario(preset_path(preset)).model_dump())]
    return {"document": make().as_dict(), "walk": walk}
