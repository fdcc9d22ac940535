"""Public analyses rebuilt from the inputs each document states, figure by figure, beside the
figures it prints; then the same designs through orbitdc's fuller model.

Nothing here is fitted: every input is a figure the document states (marked [P], with where it
says it) and every "from inputs" figure is arithmetic on those inputs. Where the document's
printed figure and its own inputs disagree, both are given, with the difference.

Sources (see ``shared/reference/public-designs.md``):

- Starcloud (then Lumen Orbit), "Why we should train AI in space", white paper v1.03, Sept 2024,
  starcloudinc.github.io/wp.pdf, Table 1 and its text.
- Google, "Towards a future space-based, highly scalable AI infrastructure system design"
  (Project Suncatcher), arXiv:2511.19468, Table 1 (launched power price).
- SpaceX, FCC application SAT-LOA-20260108-00016 (30 Jan 2026) and its letter of May 2026, as
  reported by press and third parties [S]: the filing itself was not retrieved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = [
    "HOURS_PER_CALENDAR_YEAR",
    "Line",
    "Reproduction",
    "Stated",
    "document_economics",
    "model_walk",
    "spacex_filing",
    "starcloud_table_1",
    "suncatcher_table_1",
]

#: The documents count a year as 365 days (Starcloud's 10 years = 87,600 h); orbitdc's cost
#: model uses the Julian year (8,766 h). The reproductions use the documents' convention.
HOURS_PER_CALENDAR_YEAR = 8760.0


@dataclass(frozen=True)
class Stated:
    """One input as the document states it."""

    name: str
    value: float
    unit: str
    source: str  # "[P] where the document says it", or "[S] ..." / "[E] why"


@dataclass(frozen=True)
class Line:
    """One printed figure beside the same figure computed from the stated inputs."""

    name: str
    printed: float | None  # None: the document prints no figure for it
    from_inputs: float
    how: str  # the arithmetic, in words and numbers

    @property
    def agrees(self) -> bool:
        """Within the document's rounding: 2 % or one unit of its last printed digit."""
        if self.printed is None:
            return True
        return math.isclose(self.from_inputs, self.printed, rel_tol=0.02)

    @property
    def difference(self) -> float | None:
        return None if self.printed is None else self.from_inputs - self.printed


@dataclass
class Reproduction:
    title: str
    source: str
    inputs: list[Stated]
    lines: list[Line]
    #: Where the document's own arithmetic disagrees with its inputs, in words, both figures.
    disagreements: list[str] = field(default_factory=list)
    #: What the disagreements are: the document against its own inputs, or (where they rest
    #: on orbitdc's estimates) the document's figures against each other through them.
    disagreements_are: str = "the document disagrees with its own inputs"

    def value(self, name: str) -> float:
        for line in self.lines:
            if line.name == name:
                return line.from_inputs
        raise KeyError(name)

    def input(self, name: str) -> float:
        for s in self.inputs:
            if s.name == name:
                return s.value
        raise KeyError(name)

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "source": self.source,
            "inputs": [{"name": s.name, "value": s.value, "unit": s.unit, "source": s.source}
                       for s in self.inputs],
            "lines": [{"name": ln.name, "printed": ln.printed, "from_inputs": ln.from_inputs,
                       "agrees": ln.agrees, "how": ln.how} for ln in self.lines],
            "disagreements": list(self.disagreements),
            "disagreements_are": self.disagreements_are,
        }


def _m(x: float) -> str:
    return f"${x / 1e6:,.2f}M"


def starcloud_table_1() -> Reproduction:
    """Starcloud white paper v1.03 Table 1: one 40 MW cluster for 10 years, orbit against
    ground, from the assumptions its text and table state."""
    src = "[P] Starcloud WP v1.03"
    inputs = [
        Stated("power_mw", 40.0, "MW", f"{src} Table 1: one 40 MW cluster"),
        Stated("years", 10.0, "years", f"{src} Table 1: 10 years"),
        Stated("usd_per_kwh", 0.04, "USD/kWh", f"{src} Table 1: energy at $0.04/kWh"),
        Stated("cooling_fraction", 0.05, "of energy", f"{src} Table 1: chillers at 5 % of energy"),
        Stated("backup_usd", 20e6, "USD", f"{src} Table 1: backup power $20M"),
        Stated("solar_usd_per_w", 0.03, "USD/W", f"{src} text: solar cells at $0.03/W"),
        Stated("launch_usd", 5e6, "USD per launch", f"{src} text: ~$5M per launch"),
        Stated("launch_t", 100.0, "t per launch", f"{src} text: ~100 t to LEO per launch"),
        Stated("launch_usd_per_kg_said", 30.0, "USD/kg",
               f"{src} text: the launch 'approximately $30/kg'; shielding launched at $30/kg"),
        Stated("launches", 1.0, "launches", f"{src} Table 1: one launch for the 40 MW"),
        Stated("shielding_kg_per_kw", 1.0, "kg/kW", f"{src} Table 1: ~1 kg of shielding per kW"),
    ]
    r = Reproduction("Starcloud, 'Why we should train AI in space', Table 1 (40 MW, 10 years)",
                     "starcloudinc.github.io/wp.pdf (white paper v1.03, Sept 2024)", inputs, [])
    mw, years = r.input("power_mw"), r.input("years")
    hours = years * HOURS_PER_CALENDAR_YEAR
    energy = mw * 1e3 * hours * r.input("usd_per_kwh")
    cooling = r.input("cooling_fraction") * energy
    backup = r.input("backup_usd")
    array = mw * 1e6 * r.input("solar_usd_per_w")
    launch = r.input("launches") * r.input("launch_usd")
    shield_kg = mw * 1e3 * r.input("shielding_kg_per_kw")
    shielding = shield_kg * r.input("launch_usd_per_kg_said")
    per_kg = r.input("launch_usd") / (r.input("launch_t") * 1e3)
    r.lines = [
        Line("ground.energy", 140e6, energy,
             f"{mw:g} MW x {hours:,.0f} h x ${r.input('usd_per_kwh')}/kWh"),
        Line("ground.cooling", 7e6, cooling, "5 % of the energy"),
        Line("ground.backup_power", 20e6, backup, "stated"),
        Line("ground.total", 167e6, energy + cooling + backup, "energy + cooling + backup"),
        Line("orbit.solar_array", 2e6, array, f"{mw:g} MW x ${r.input('solar_usd_per_w')}/W"),
        Line("orbit.launch", 5e6, launch, "one launch at ~$5M"),
        Line("orbit.shielding", 1.2e6, shielding,
             f"{shield_kg / 1e3:,.0f} t (1 kg/kW) at the stated $30/kg"),
        Line("orbit.total", 8.2e6, array + launch + shielding, "array + launch + shielding"),
        Line("launch_usd_per_kg", 30.0, per_kg, "$5M / 100 t"),
        Line("orbit.shielding_at_the_launch_price", None, shield_kg * per_kg,
             f"{shield_kg / 1e3:,.0f} t at $5M / 100 t"),
    ]
    for ln in r.lines:
        if not ln.agrees:
            r.disagreements.append(_starcloud_note(ln, r))
    return r


def _starcloud_note(ln: Line, r: Reproduction) -> str:
    if ln.name == "orbit.solar_array":
        return (f"solar array: Table 1 prints {_m(ln.printed)}; the text's $0.03/W for 40 MW "
                f"gives {_m(ln.from_inputs)} (Table 1's figure implies "
                f"${ln.printed / 40e6:.3f}/W)")
    if ln.name == "launch_usd_per_kg":
        return (f"launch price: the text calls ~$5M per ~100 t 'approximately ${ln.printed:.0f}"
                f"/kg'; $5M / 100 t is ${ln.from_inputs:.0f}/kg (at ${ln.from_inputs:.0f}/kg the "
                f"40 t of shielding costs {_m(r.value('orbit.shielding_at_the_launch_price'))}, "
                f"not {_m(r.value('orbit.shielding'))})")
    if ln.name == "orbit.total":
        return (f"orbit total: Table 1 prints {_m(ln.printed)}; its stated inputs give "
                f"{_m(ln.from_inputs)} (array at $0.03/W + $5M launch + shielding at $30/kg)")
    return f"{ln.name}: printed {ln.printed:,.4g}, from the stated inputs {ln.from_inputs:,.4g}"


#: Suncatcher Table 1 rows: (name, mass kg, array kW, life years, printed at $3,600/kg, printed
#: at $200/kg, how the power is stated).
_SUNCATCHER_ROWS = (
    ("Starlink v1", 260.0, 7.0, 5.0, 26_600.0, 1_470.0),
    ("OneWeb", 150.0, 0.8, 5.0, 135_800.0, 7_500.0),
    ("Iridium NEXT", 860.0, 2.0, 12.5, 124_600.0, 6_900.0),
)


def suncatcher_table_1() -> Reproduction:
    """Suncatcher (arXiv:2511.19468) Table 1: launched power price, launch cost per kW of
    array per year of life, at today's $3,600/kg and the ~$200/kg the paper projects."""
    src = "[P] arXiv:2511.19468 Table 1"
    inputs = [
        Stated("v2mini_mass_kg", 575.0, "kg", f"{src}: Starlink v2 mini stand-in, 575 kg"),
        Stated("v2mini_area_m2", 105.0, "m^2", f"{src}: ~105 m^2 of array"),
        Stated("cell_efficiency", 0.22, "", f"{src}: 22 % cells"),
        Stated("irradiance_kw_per_m2", 1.361, "kW/m^2", f"{src}: 1.361 kW/m^2"),
        Stated("packing", 0.90, "", f"{src}: 90 % packing"),
        Stated("v2mini_kw_said", 28.0, "kW", f"{src}: ~28 kW"),
        Stated("years", 5.0, "years", f"{src}: 5-year life"),
        Stated("usd_per_kg_today", 3600.0, "USD/kg", f"{src}: today's price (Falcon 9)"),
        Stated("usd_per_kg_2035", 200.0, "USD/kg", "[P] arXiv:2511.19468: <= $200/kg by ~2035"),
        Stated("ground_low_usd_per_kw_year", 570.0, "USD/kW/yr",
               "[P] arXiv:2511.19468: US ML data centers spend $570-3,000/kW/yr on power"),
        Stated("ground_high_usd_per_kw_year", 3000.0, "USD/kW/yr", "[P] as above"),
    ]
    for name, mass, kw, years, _a, _b in _SUNCATCHER_ROWS:
        key = name.lower().replace(" ", "_")
        inputs += [Stated(f"{key}_mass_kg", mass, "kg", f"{src}: {name}"),
                   Stated(f"{key}_kw", kw, "kW", f"{src}: {name}"),
                   Stated(f"{key}_years", years, "years", f"{src}: {name}")]
    r = Reproduction("Suncatcher (arXiv:2511.19468), Table 1: launched power price",
                     "arXiv:2511.19468 (Nov 2025)", inputs, [])
    kw = (r.input("v2mini_area_m2") * r.input("cell_efficiency")
          * r.input("irradiance_kw_per_m2") * r.input("packing"))
    mass, years = r.input("v2mini_mass_kg"), r.input("years")
    today, later = r.input("usd_per_kg_today"), r.input("usd_per_kg_2035")
    r.lines = [
        Line("v2mini.array_kw", r.input("v2mini_kw_said"), kw,
             "105 m^2 x 22 % x 1.361 kW/m^2 x 90 %"),
        Line("v2mini.at_3600", 14_700.0, mass * today / (kw * years),
             f"575 kg x $3,600/kg / ({kw:.2f} kW x 5 yr)"),
        Line("v2mini.at_200", 810.0, mass * later / (kw * years),
             f"575 kg x $200/kg / ({kw:.2f} kW x 5 yr)"),
    ]
    for name, mass_i, kw_i, years_i, at_a, at_b in _SUNCATCHER_ROWS:
        key = name.lower().replace(" ", "_")
        r.lines += [
            Line(f"{key}.at_3600", at_a, mass_i * today / (kw_i * years_i),
                 f"{mass_i:g} kg x $3,600/kg / ({kw_i:g} kW x {years_i:g} yr)"),
            Line(f"{key}.at_200", at_b, mass_i * later / (kw_i * years_i),
                 f"{mass_i:g} kg x $200/kg / ({kw_i:g} kW x {years_i:g} yr)"),
        ]
    # The paper's comparison inverted: the launch price at which the v2 mini's launched power
    # price equals the ground's power spend.
    for end in ("low", "high"):
        ground = r.input(f"ground_{end}_usd_per_kw_year")
        r.lines.append(Line(f"break_even_usd_per_kg.{end}", None, ground * kw * years / mass,
                            f"${ground:,.0f}/kW/yr x {kw:.2f} kW x 5 yr / 575 kg"))
    for ln in r.lines:
        if not ln.agrees:
            r.disagreements.append(
                f"{ln.name}: printed {ln.printed:,.0f}, from the stated inputs "
                f"{ln.from_inputs:,.0f}")
    return r


def spacex_filing() -> Reproduction:
    """SpaceX's orbital data center application (FCC SAT-LOA-20260108-00016), the figures
    reported of it, and what they imply per satellite. No cost figure is published: the
    pricing is orbitdc's (preset ``spacex-odc``)."""
    src = "[S] SAT-LOA-20260108-00016 as reported"
    inputs = [
        Stated("kw_per_t", 100.0, "kW of compute per tonne",
               f"{src}: '1 million tonnes per year of satellites generating 100 kW of compute "
               "power per tonne'"),
        Stated("mass_kg", 3000.0, "kg per satellite",
               "[S] May 2026 letter, Table 1, as transcribed by a third party (unverified)"),
        Stated("area_m2", 800.0, "m^2 per satellite", "[S] as above: ~800 m^2"),
        Stated("bus_radiator_m2", 100.0, "m^2", "[S] as above: of which 100 m^2 bus and radiator"),
        Stated("ai1_average_kw", 120.0, "kW", "[S] 'AI1' satellite, press, June 2026"),
        Stated("ai1_per_t_said", 70.0, "kW/t", "[S] 'AI1': '70 kW per ton' as quoted"),
        Stated("cell_efficiency", 0.22, "",
               "[E] not stated: Starlink-class cells as in Suncatcher's stand-in"),
        Stated("packing", 0.90, "", "[E] not stated: as Suncatcher's stand-in"),
        Stated("irradiance_kw_per_m2", 1.361, "kW/m^2", "[P] Kopp & Lean 2011"),
        Stated("radiator_w_per_m2", 633.08, "W/m^2 of planform",
               "[P] Starcloud WP v1.03 pp. 8-9 worked example, both faces at 20 C"),
    ]
    r = Reproduction("SpaceX orbital data center system (FCC SAT-LOA-20260108-00016)",
                     "FCC SAT-LOA-20260108-00016 (30 Jan 2026), May 2026 letter; as reported",
                     inputs, [])
    mass_t = r.input("mass_kg") / 1000.0
    compute_kw = r.input("kw_per_t") * mass_t
    array_m2 = r.input("area_m2") - r.input("bus_radiator_m2")
    array_kw = (array_m2 * r.input("cell_efficiency") * r.input("irradiance_kw_per_m2")
                * r.input("packing"))
    radiator_kw = r.input("bus_radiator_m2") * r.input("radiator_w_per_m2") / 1000.0
    r.lines = [
        Line("compute_kw_per_satellite", None, compute_kw, "100 kW/t x 3 t"),
        Line("array_kw_per_satellite", None, array_kw,
             "(800 - 100) m^2 x 22 % x 1.361 kW/m^2 x 90 %"),
        Line("radiator_kw_at_most", None, radiator_kw,
             "100 m^2 (bus and radiator together) x 633 W/m^2"),
        Line("ai1.kw_per_t", r.input("ai1_per_t_said"), r.input("ai1_average_kw") / mass_t,
             "120 kW / 3 t"),
    ]
    r.disagreements_are = (
        "the filing's reported figures disagree with each other through orbitdc's estimates "
        "(22 % cells at 90 % packing, Starcloud's 633 W/m^2 of radiator), not with inputs it "
        "states")
    r.disagreements += [
        f"power: 100 kW/t x 3 t is {compute_kw:,.0f} kW of compute per satellite, but 700 m^2 "
        f"of array gives {array_kw:,.0f} kW at 22 % cells and 90 % packing (30 % cells: "
        f"{array_kw * 0.30 / 0.22:,.0f} kW)",
        f"heat: 100 m^2 for bus and radiator together rejects at most {radiator_kw:,.0f} kW "
        f"at 20 C (Starcloud's 633 W/m^2), against {compute_kw:,.0f} kW",
        f"AI1: '70 kW per ton' is quoted, 120 kW average / 3 t is "
        f"{r.input('ai1_average_kw') / mass_t:,.0f} kW/t (150 kW peak: 50 kW/t)",
    ]
    return r


#: The walk from a document's own assumptions to orbitdc's model, one change at a time:
#: (label, economics changes, ground changes, why the step changes the answer).
WALK_STEPS = (
    ("orbitdc's mass roll-up instead of the stated launched mass", {"launched_mass_kg": None},
     {}, "the stated mass carries no radiator for the heat and no structure sized for the "
     "array; the roll-up does (catalogue areal masses, structure at 25 %)"),
    ("today's launch price ($3,600/kg)", {"launch_usd_per_kg": "default"}, {},
     "the document's price is a projection; Falcon 9 is today's reference [P] Suncatcher"),
    ("array, battery and radiator priced",
     {k: "default" for k in ("solar_usd_per_w", "battery_usd_per_wh", "radiator_usd_per_m2")},
     {}, "space arrays, qualified batteries and radiators are not free (orbitdc's [E] prices)"),
    ("bus structure, integration, insurance priced",
     {k: "default" for k in ("bus_usd_per_kg", "integration_fraction", "insurance_fraction")},
     {}, "a satellite is more than its payload: structure, integration and test, insurance"),
    ("operations and ground segment",
     {k: "default" for k in ("operations_usd_per_satellite_year",
                             "ground_segment_usd_per_station_year")}, {},
     "flight operations and station time every year"),
    ("accelerators priced on both sides", {"accelerator_usd": "default"}, {},
     "the chips are the largest cost on the ground and in orbit; equal on both sides, they "
     "shrink the ratio but not the gap"),
    ("failures without repair, utilisation, discounting",
     {k: "default" for k in ("failure_rate_per_year", "utilisation", "discount_rate")}, {},
     "in orbit a failed accelerator stays failed; not every hour is sold; money has a cost"),
    ("ground: building, operations, water, overhead, today's prices", {}, {"*": "default"},
     "a ground data center also pays for its building, staff, water and today's power price"),
)


#: What the walk's first row prices nothing but: orbitdc's model with every item a document
#: may leave out set to zero (no chips, no bus, no operations, no failures, no discounting,
#: every hour sold), on both sides.
_COUNTS_NOTHING = {
    "discount_rate": 0.0, "utilisation": 1.0, "accelerator_usd": 0.0, "bus_usd_per_kg": 0.0,
    "solar_usd_per_w": 0.0, "battery_usd_per_wh": 0.0, "radiator_usd_per_m2": 0.0,
    "integration_fraction": 0.0, "insurance_fraction": 0.0,
    "operations_usd_per_satellite_year": 0.0, "ground_segment_usd_per_station_year": 0.0,
    "failure_rate_per_year": 0.0,
}
_GROUND_COUNTS_NOTHING = {
    "capex_usd_per_mw": 0.0, "backup_usd_per_mw": 0.0, "electricity_usd_per_kwh": 0.0,
    "pue": 1.0, "water_usd_per_m3": 0.0, "it_overhead_fraction": 0.0,
    "operations_usd_per_mw_year": 0.0,
}

#: Each document's own accounting, the walk's first row: ``preset: (economics kept from the
#: preset, "all" for every key; ground figures the document states; what it counts)``. The
#: kept figures are the document's (the preset's [economics] states them); everything else
#: is priced at zero as the document leaves it out.
DOCUMENT_ACCOUNTING = {
    "starcloud-40mw": ("all", {},
                       "Table 1: orbit = array + launch + shielding, ground = energy + cooling + "
                       "backup (the preset states every figure)"),
    "suncatcher-launch": (
        ("launch_usd_per_kg", "lifetime_years", "launched_mass_kg"),
        # $570/kW/yr over the model's 8,766-hour year: a unit conversion of the stated input.
        {"electricity_usd_per_kwh": 570.0 / 8766.0},
        "Table 1: launch only, 575 kg at $3,600/kg over 5 years; the ground's power spend at "
        "the paper's low $570/kW/yr"),
    "spacex-odc": (
        ("launch_usd_per_kg", "lifetime_years", "launched_mass_kg"),
        {"electricity_usd_per_kwh": "default"},
        "the filing prices nothing: launch only, its 3,000 kg at orbitdc's estimated "
        "Starship-class $200/kg [E]; the ground's electricity alone at orbitdc's $0.08/kWh"),
}

_WALK_KEYS = ("orbit_total_usd", "ground_total_usd", "orbit_usd_per_accelerator_hour",
              "ground_usd_per_accelerator_hour")


def document_economics(data: dict) -> tuple[dict, str]:
    """The economics (with ``ground``) of the document's own accounting for a preset's
    scenario data (see :data:`DOCUMENT_ACCOUNTING`), and what it counts; a scenario that is
    not a public design keeps its own economics."""
    econ = dict(data["economics"])
    ground = dict(econ.pop("ground"))
    found = DOCUMENT_ACCOUNTING.get(data.get("name"))
    if found is None:
        return dict(econ, ground=ground), "the scenario's own inputs"
    keep, ground_stated, says = found
    if keep != "all":
        kept = {k: econ[k] for k in keep}
        econ.update(_COUNTS_NOTHING)
        econ.update(kept)
        ground.update(_GROUND_COUNTS_NOTHING)
        from orbitdc.model.economics import GroundBaseline

        default_ground = GroundBaseline().model_dump()
        ground.update({k: default_ground[k] if v == "default" else v
                       for k, v in ground_stated.items()})
    return dict(econ, ground=ground), says


def model_walk(data: dict) -> list[dict]:
    """Walk a preset's scenario data (``Scenario.model_dump()``) from the document's own
    accounting (:func:`document_economics`: only what the document counts) to orbitdc's
    defaults, one step of :data:`WALK_STEPS` at a time; each row is ``{"step", "why",
    "moves", "section"}`` with the cost section at that step (nameplate: the flown rows come
    from the lifetime sample, one layer up). A step whose inputs are already orbitdc's, or
    that changes no cost, says so (``moves`` false, ``why`` "moves nothing: ...")."""
    from orbitdc.econ.costs import cost_section
    from orbitdc.model.economics import Economics, GroundBaseline
    from orbitdc.model.scenario import parse_scenario

    default = Economics().model_dump()
    default_ground = GroundBaseline().model_dump()
    first, says = document_economics(data)
    econ = dict(first)
    ground = dict(econ.pop("ground"))
    rows = []
    steps = (("the document's own accounting", {}, {}, says), *WALK_STEPS)
    previous = None
    for label, change, ground_change, why in steps:
        before = (dict(econ), dict(ground))
        for k, v in change.items():
            econ[k] = default[k] if v == "default" else v
        if ground_change:
            ground.update(default_ground)
        sc = parse_scenario(dict(data, economics=dict(econ, ground=ground)))
        section = cost_section(sc, uncertainty=False)
        moves = True
        if previous is not None:
            if (econ, ground) == before:
                moves, why = False, ("moves nothing: the document's figures here are already "
                                     "orbitdc's")
            elif all(math.isclose(section[k] or 0.0, previous[k] or 0.0, rel_tol=1e-9,
                                  abs_tol=1e-12) for k in _WALK_KEYS):
                moves, why = False, "moves nothing: this design has none of it to price"
        rows.append({"step": label, "why": why, "moves": moves, "section": section})
        previous = section
    return rows
