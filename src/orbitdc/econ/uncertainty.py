"""Uncertainty of the cost: a seeded Monte Carlo over the ranges of the estimated inputs, and
a tornado of what moves the answer most.

Two kinds of estimated input, sampled two ways:

- **Cost inputs** (prices, rates, the ground's figures: :data:`orbitdc.model.economics.RANGES`,
  or the scenario's ``[economics.uncertainty]``) change only the cost model. They are drawn
  in this process as numpy arrays, ``samples`` of them; the cost model is evaluated twice per
  sample (at two launch prices: cost per hour is affine in the launch price, so those two
  give the cost at the scenario's price and the break-even launch price exactly), about
  0.1 ms per sample.
- **Physical figures** (the catalogue parts' estimated ([E]) figures with their ``ranges`` in
  ``parts.toml``, and the estimated satellite defaults of
  :data:`orbitdc.model.economics.SATELLITE_RANGES`: power draw, cross-sections, dose
  tolerance, temperatures, efficiencies, masses) change the flight. ``flights`` re-flights
  each draw all of them afresh (:func:`physical_draws`) and fly one of the lifetime sample's
  epochs with them, on the sweep engine beside the epochs (``orbitdc.study.lifetime``). Each
  re-flight's availability, delivered share and dose limit, relative to the nominal flight
  of the same epoch, scale the lifetime figures; its satellites' mass roll-up is its own.
  Cost sample ``i`` uses re-flight ``i mod flights``. Without re-flights (``--epochs 0``,
  ``--nameplate``, ``flights = 0``) the physical figures stay at their values and one factor
  on the mass roll-up (``mass_factor``) stands in for the estimated masses.

Every input is drawn from a triangular distribution on [low, high] with its mode at the
scenario's value (uniform where the scenario's value lies outside the range, and said so),
independently of the others: each cost input from its own column of one seeded generator,
each re-flight's figures from that re-flight's own generator (``SeedSequence(seed).spawn``:
the same re-flight gets the same draws whatever the order or the workers). Correlations
between inputs (a cheap bus and a cheap array from the same mass production) are not
modelled.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from pydantic import ValidationError

from orbitdc.econ.tco import FleetItem, tco
from orbitdc.model.economics import OPTIONAL_RANGES, RANGES, SATELLITE_RANGES, Economics
from orbitdc.model.errors import ScenarioError

__all__ = ["Flown", "monte_carlo", "physical_draws", "physical_inputs", "ranges_for",
           "with_draws"]

#: Bytes held per sample and input (the draws, the outputs, scipy's ranks), with headroom.
_BYTES_PER_VALUE = 8 * 6
_PRICE_LOW, _PRICE_HIGH = 0.0, 1000.0


@dataclass(frozen=True)
class Flown:
    """One re-flight: the physical figures drawn for it (``path: value``) and the cost
    model's fleet items it gives (availability, delivered share, dose limit and satellites
    as flown with those figures)."""

    draws: dict[str, float]
    items: list[FleetItem]
    #: Why the design checks refused the design at these figures (it then delivers nothing).
    refused: str | None = None


def _parts_in_use(scenario) -> list[tuple[str, str]]:
    """``(kind, name)`` of every catalogue part the scenario's satellites and links use."""
    seen: list[tuple[str, str]] = []
    for t in scenario.satellite_types.values():
        spec = t.spec
        for kind, name in (("accelerator", spec.accelerator), ("solar_cell", spec.solar.cell),
                           ("battery", spec.battery.cell),
                           ("radiator_coating", spec.radiator.coating),
                           ("radiator", spec.radiator.panel)):
            if (kind, name) not in seen:
                seen.append((kind, name))
    for isl in scenario.network.isl:
        if ("terminal", scenario.isl_terminal(isl)) not in seen:
            seen.append(("terminal", scenario.isl_terminal(isl)))
    return seen


def physical_inputs(scenario) -> dict[str, tuple[float, float, float, str]]:
    """``{path: (low, high, value, why)}`` of every estimated physical figure the design
    uses: ``part.NAME.FIELD`` for a catalogue part's figure with a range (the scenario's own
    parts too, where they give ``ranges``), ``satellite.TYPE.FIELD`` for a satellite default
    of :data:`SATELLITE_RANGES` the type leaves unset."""
    cat = scenario.catalogue
    out: dict[str, tuple[float, float, float, str]] = {}
    for kind, name in _parts_in_use(scenario):
        part = cat.get(kind, name)
        for f, (lo, hi) in sorted(part.ranges.items()):
            value = getattr(part, f)
            if value is None or f == "price_usd":  # a price: drawn as accelerator_usd
                continue
            out[f"part.{name}.{f}"] = (float(lo), float(hi), float(value),
                                       part.sources.get(f, "[E]"))
    for tname, t in scenario.satellite_types.items():
        spec = t.spec
        for f, (lo, hi, why) in SATELLITE_RANGES.items():
            if f == "structure_fraction":
                if f in spec.model_fields_set:
                    continue
                value = spec.structure_fraction
            elif f == "radiator.gradient_k":
                r = spec.radiator
                if r.gradient_k is not None or r.conductance_w_per_k is not None:
                    continue
                from orbitdc.model.satellite import DEFAULT_CHIP_GRADIENT_K

                value = DEFAULT_CHIP_GRADIENT_K
            elif f == "drag_coefficient":
                if ({"drag_coefficient", "ballistic_coefficient_m2_per_kg"}
                        & spec.model_fields_set):
                    continue
                value = spec.drag_coefficient
            else:  # pragma: no cover - SATELLITE_RANGES and this function change together
                raise KeyError(f)
            out[f"satellite.{tname}.{f}"] = (lo, hi, float(value), why)
    return out


def physical_draws(scenario, flights: int, seed: int) -> list[dict[str, float]]:
    """``flights`` independent draws of :func:`physical_inputs`, re-flight ``j`` from its own
    generator (``SeedSequence(seed).spawn(flights)[j]``), each figure its own draw."""
    inputs = physical_inputs(scenario)
    if not inputs or flights <= 0:
        return []
    out = []
    for child in np.random.SeedSequence(abs(int(seed))).spawn(flights):
        rng = np.random.default_rng(child)
        out.append({p: float(_draw(rng, lo, hi, v, 1)[0])
                    for p, (lo, hi, v, _why) in inputs.items()})
    return out


def with_draws(data: dict, scenario, draws: dict[str, float]) -> dict:
    """Scenario data (``Scenario.model_dump()``, or a lifetime epoch's) with the drawn
    physical figures: the drawn parts as the scenario's own ``[part.NAME]`` (replacing the
    catalogue's), the drawn satellite defaults set on their types."""
    data = dict(data)
    parts = dict(data.get("part") or {})
    sats = {k: dict(v) for k, v in (data.get("satellite") or {}).items()}
    cat = scenario.catalogue
    kinds = dict((name, kind) for kind, name in _parts_in_use(scenario))
    for path, value in draws.items():
        head, name, field_ = path.split(".", 2)
        if head == "part":
            if name not in parts:
                parts[name] = cat.get(kinds[name], name).model_dump()
            parts[name] = dict(parts[name], **{field_: value})
        else:
            spec = sats[name]
            if "." in field_:
                sub, leaf = field_.split(".")
                spec[sub] = dict(spec.get(sub) or {}, **{leaf: value})
            else:
                spec[field_] = value
    data["part"] = parts
    data["satellite"] = sats
    return data


def _get(econ: Economics, path: str) -> float:
    if path.startswith("ground."):
        return float(getattr(econ.ground, path.removeprefix("ground.")))
    return float(getattr(econ, path))


def _apply(econ: Economics, values: dict[str, float]) -> Economics:
    top = {k: v for k, v in values.items() if not k.startswith("ground.")}
    ground = {k.removeprefix("ground."): v for k, v in values.items() if k.startswith("ground.")}
    if ground:
        top["ground"] = econ.ground.model_copy(update=ground)
    return econ.model_copy(update=top)


def _base_price(items: list[FleetItem], econ: Economics) -> float | None:
    if econ.accelerator_usd is not None:
        return econ.accelerator_usd
    prices = {i.satellite.accelerator.price_usd for i in items}
    return prices.pop() if len(prices) == 1 else None


def ranges_for(items: list[FleetItem], econ: Economics, source: str, *, reflown: bool = False
               ) -> tuple[dict[str, tuple[float, float, float]], list[str]]:
    """``{input: (low, high, scenario value)}`` for the cost inputs sampled here, and notes on
    those left out. A user's range that the scenario's own bounds refuse (a utilisation above
    1) is refused with its key. ``reflown``: the masses are drawn at their source in the
    re-flights, so ``mass_factor`` is not drawn as well."""
    notes: list[str] = []
    kept: list[str] = []
    out: dict[str, tuple[float, float, float]] = {}
    user = econ.uncertainty.ranges
    every = {**RANGES, **{p: (math.nan, math.nan, why) for p, why in OPTIONAL_RANGES.items()
                          if p in user}}
    for path, (lo, hi, _why) in every.items():
        if path in user:
            lo, hi = user[path]
        if path == "accelerator_usd":
            # Drawn in dollars: a scenario's range is in dollars, as the key is; orbitdc's
            # default range is a factor on the unit price, and the catalogue's own spread of
            # an estimated price ([E], e.g. a part that is not sold) is in dollars.
            price = _base_price(items, econ)
            if price is None:
                notes.append("accelerator price not sampled: satellite types with different "
                             "accelerator prices (give economics.accelerator_usd)")
                continue
            if path in user:
                if lo < 0:
                    raise ScenarioError(source, [(
                        "economics.uncertainty.ranges.accelerator_usd",
                        f"a range in dollars per accelerator, at least 0 (got low {lo:g})")])
            else:
                own = {tuple(i.satellite.accelerator.ranges.get("price_usd") or ())
                       for i in items}
                own = {o for o in own if o} if len(own) == 1 else set()
                own = own.pop() if len(own) == 1 else None
                if econ.accelerator_usd is None and own is not None and price > 0:
                    lo, hi = own
                else:
                    lo, hi = lo * price, hi * price
            base = float(price)
        elif path == "mass_factor":
            if reflown:
                notes.append("mass_factor not drawn: the re-flights draw the estimated "
                             "masses and structure share themselves")
                continue
            if econ.launched_mass_kg is not None:
                notes.append("mass not sampled: the launched mass is stated "
                             "(economics.launched_mass_kg)")
                continue
            base = 1.0
        else:
            base = _get(econ, path)
            for end in (lo, hi):
                try:
                    Economics.model_validate(_apply(econ, {path: end}).model_dump())
                except ValidationError as exc:  # pydantic's message names the bound
                    raise ScenarioError(source, [(
                        f"economics.uncertainty.ranges.{path}",
                        f"{end:g} is outside what {path} accepts: "
                        f"{exc.errors()[0]['msg'].lower()}")]) from None
        if not lo <= base <= hi:
            if path not in user:
                # Not orbitdc's estimate but the scenario's own figure (a document's stated
                # input, or a 0 for what it leaves out): kept as it is.
                kept.append(f"{path} {base:g} (range [{lo:g}, {hi:g}])")
                continue
            notes.append(f"{path}: the scenario's {base:g} lies outside the range given "
                         f"[{lo:g}, {hi:g}]; drawn uniformly on it")
        out[path] = (float(lo), float(hi), base)
    if kept:
        notes.append("not drawn, the scenario's own figure lying outside orbitdc's range for "
                     "its estimate (give economics.uncertainty.ranges.NAME to draw one): "
                     + "; ".join(kept))
    return out, notes


def _capacity(samples: int, n_inputs: int, source: str, key: str) -> None:
    need = samples * (n_inputs + 8) * _BYTES_PER_VALUE
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not a POSIX machine: no check
        return
    if need > free // 2:
        most = max(1, (free // 2) // ((n_inputs + 8) * _BYTES_PER_VALUE))
        raise ScenarioError(source, [(key, (
            f"{samples:,} samples of {n_inputs} inputs need ~{need / 2**30:,.1f} GiB; this "
            f"machine has {free / 2**30:,.1f} GiB free; ask for at most {most:,}"))])


def _draw(rng: np.random.Generator, lo: float, hi: float, mode: float, n: int) -> np.ndarray:
    if hi == lo:
        return np.full(n, lo)
    if lo <= mode <= hi:
        return rng.triangular(lo, mode, hi, n)
    return rng.uniform(lo, hi, n)


def _evaluate(items, econ: Economics, values: dict[str, float], launch: float) -> tuple[float, float, float, float]:
    """Orbit and ground cost per hour at ``launch``, their ratio and the signed break-even
    launch price (negative: orbit is dearer even with free launch)."""
    values = dict(values)
    mass = values.pop("mass_factor", 1.0)
    launch = values.pop("launch_usd_per_kg", launch)
    e = _apply(econ, values)
    c0 = tco(items, e, _PRICE_LOW, mass_factor=mass)
    c1 = tco(items, e, _PRICE_HIGH, mass_factor=mass)
    slope = (c1.orbit_usd_per_hour - c0.orbit_usd_per_hour) / (_PRICE_HIGH - _PRICE_LOW)
    orbit = c0.orbit_usd_per_hour + slope * launch
    ground = c0.ground_usd_per_hour
    ratio = orbit / ground if ground > 0 else math.nan
    gap = ground - c0.orbit_usd_per_hour
    be = gap / slope if slope > 0 else (math.inf if gap >= 0 else -math.inf)
    return orbit, ground, ratio, be


def _pct(values: np.ndarray) -> dict:
    """Percentiles of the samples (infinite ones, from designs that deliver nothing at their
    draws, included: a percentile among them is infinite and reported as None)."""
    v = values[~np.isnan(values)]
    if not v.size:
        return {"p10": None, "p50": None, "p90": None}
    p10, p50, p90 = (np.percentile(v, [10, 50, 90]) if np.isfinite(v).all()
                     else np.percentile(v, [10, 50, 90], method="inverted_cdf"))
    if not all(map(math.isfinite, (p10, p50, p90))):
        return {k: (round(float(x), 6) if math.isfinite(x) else None)
                for k, x in (("p10", p10), ("p50", p50), ("p90", p90))}
    return {"p10": round(float(p10), 6), "p50": round(float(p50), 6),
            "p90": round(float(p90), 6)}


def monte_carlo(items: list[FleetItem], econ: Economics, *, samples: int | None = None,
                seed: int | None = None, source: str = "<scenario>",
                samples_key: str = "economics.uncertainty.samples",
                flown: list[Flown] | None = None,
                physical: dict[str, tuple[float, float, float, str]] | None = None,
                physical_tornado: list | None = None, check_only: bool = False) -> dict:
    """P10 / P50 / P90 of the orbit and ground cost per accelerator-hour, their ratio and the
    break-even launch price over ``samples`` draws of the estimated inputs; the tornado (each
    cost input at its range's ends, the others at the scenario's values) and each input's
    rank correlation with the ratio. ``samples_key`` names where the sample count came from.
    ``flown``: the re-flights with drawn physical figures (their ranges in ``physical``,
    :func:`physical_inputs`); sample ``i`` takes re-flight ``i mod len(flown)``'s fleet.
    ``physical_tornado``: ``(path, low, high, Flown at low, Flown at high)`` rows
    (``LifetimeSample.tornado_flown``), added to the tornado with the cost inputs at the
    scenario's values. ``check_only``: refuse bad ranges or too many samples and return
    ``{}`` without evaluating anything (a check before flights)."""
    from scipy import stats

    unc = econ.uncertainty
    n = unc.samples if samples is None else samples
    seed = unc.seed if seed is None else seed
    flown = flown or []
    ranges, notes = ranges_for(items, econ, source, reflown=bool(flown))
    if n < 0:
        raise ScenarioError(source, [(samples_key, f"must be 0 or more (got {n})")])
    _capacity(n, len(ranges) + (len(physical or {}) if flown else 0), source, samples_key)
    if check_only:  # the inputs and the sample count checked, nothing evaluated
        return {}
    launch = econ.launch_usd_per_kg
    base_values = {p: b for p, (_lo, _hi, b) in ranges.items()}
    base = _evaluate(items, econ, base_values, launch)

    tornado = []
    for path, (lo, hi, _b) in ranges.items():
        at = [_evaluate(items, econ, base_values | {path: v}, launch)
              for v in (lo, hi)]
        tornado.append({
            "input": path, "low": lo, "high": hi, "why": _range_why(path),
            "usd_per_hour_at_low": _r(at[0][0]), "usd_per_hour_at_high": _r(at[1][0]),
            "ratio_at_low": _r(at[0][2]), "ratio_at_high": _r(at[1][2]),
            "break_even_at_low": _r(at[0][3]), "break_even_at_high": _r(at[1][3]),
        })
    for path, lo, hi, at_lo, at_hi in physical_tornado or []:
        at = [_evaluate(f.items, econ, base_values, launch) for f in (at_lo, at_hi)]
        why = (physical or {}).get(path, (0, 0, 0, "[E]"))[3]
        tornado.append({
            "input": path, "low": lo, "high": hi, "why": why, "flown": True,
            "usd_per_hour_at_low": _r(at[0][0]), "usd_per_hour_at_high": _r(at[1][0]),
            "ratio_at_low": _r(at[0][2]), "ratio_at_high": _r(at[1][2]),
            "break_even_at_low": _r(at[0][3]), "break_even_at_high": _r(at[1][3]),
            "refused_at": [e for e, f in (("low", at_lo), ("high", at_hi)) if f.refused],
        })

    def swing(row):
        lo, hi = row["ratio_at_low"], row["ratio_at_high"]
        if lo is None or hi is None:  # a design that delivers nothing at one end
            return math.inf if (lo is None) != (hi is None) else 0.0
        return abs(hi - lo)

    tornado.sort(key=lambda row: -swing(row))

    for path, (lo, hi, v, _why) in (physical or {}).items():
        if flown and not lo <= v <= hi:
            notes.append(f"{path}: the design's {v:g} lies outside its range [{lo:g}, {hi:g}]; "
                         "drawn uniformly on the range")
    if not flown:
        notes.append("physical figures not drawn (no re-flights: --epochs 0, --nameplate, "
                     "economics.uncertainty.flights = 0, a sweep variant, or a design with no "
                     "estimated physical figure): power draw, cross-sections, dose tolerance, "
                     "temperatures and efficiencies stay at their values")
    result = {
        "method": ("seeded Monte Carlo: cost inputs drawn in process (triangular on each "
                   "range, mode at the scenario's value); "
                   + (f"physical figures drawn afresh for each of {len(flown)} re-flights, "
                      "sample i on re-flight i mod that" if flown
                      else "no re-flights: physical figures at their values")),
        "samples": n, "seed": seed, "flights": len(flown),
        "ranges": {p: {"low": lo, "high": hi, "scenario": b, "why": _range_why(p)}
                   for p, (lo, hi, b) in ranges.items()},
        "physical_ranges": ({p: {"low": lo, "high": hi, "design": v, "why": why}
                             for p, (lo, hi, v, why) in (physical or {}).items()}
                            if flown else {}),
        "at_scenario_values": {"orbit_usd_per_accelerator_hour": _r(base[0]),
                               "ground_usd_per_accelerator_hour": _r(base[1]),
                               "orbit_to_ground_ratio": _r(base[2]),
                               "break_even_launch_usd_per_kg": _r(base[3])},
        "tornado": tornado,
        "notes": notes,
    }
    if n == 0:
        return result
    rng = np.random.default_rng(seed)
    draws = {p: _draw(rng, lo, hi, b, n) for p, (lo, hi, b) in ranges.items()}
    out = np.empty((n, 4))
    for i in range(n):
        fleet = flown[i % len(flown)].items if flown else items
        out[i] = _evaluate(fleet, econ, {p: float(d[i]) for p, d in draws.items()},
                           launch)
    if flown:
        for p in physical or {}:
            draws[p] = np.array([flown[i % len(flown)].draws[p] for i in range(n)])
    be = out[:, 3]
    result["orbit_usd_per_accelerator_hour"] = _pct(out[:, 0])
    result["ground_usd_per_accelerator_hour"] = _pct(out[:, 1])
    result["orbit_to_ground_ratio"] = _pct(out[:, 2])
    # Signed: a negative break-even price means orbit is dearer even with free launch.
    result["break_even_launch_usd_per_kg"] = _pct(np.clip(be, -1e12, 1e12))
    result["share_with_break_even"] = round(float(np.mean(be >= 0)), 6)
    result["share_orbit_cheaper"] = round(float(np.mean(out[:, 2] < 1.0)), 6)
    refused = [f.refused for f in flown if f.refused]
    result["reflights_refused"] = len(refused)
    if refused:
        result["notes"].append(
            f"{len(refused)} of {len(flown)} re-flights: the design checks refuse the design "
            f"at the drawn figures (it delivers nothing there), e.g. {refused[0]}")
    ratio = out[:, 2]
    corr = {}
    ok = np.isfinite(ratio)
    for p, d in draws.items():
        if ok.sum() > 1 and np.ptp(d[ok]) > 0 and np.ptp(ratio[ok]) > 0:
            corr[p] = round(float(stats.spearmanr(d[ok], ratio[ok]).statistic), 4)
    result["rank_correlation_with_ratio"] = dict(
        sorted(corr.items(), key=lambda kv: -abs(kv[1])))
    return result


def _range_why(path: str) -> str:
    return RANGES[path][2] if path in RANGES else OPTIONAL_RANGES[path]


def _r(x):
    if x is None:
        return None
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None
