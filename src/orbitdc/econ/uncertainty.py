"""Uncertainty of the cost: a seeded Monte Carlo over the ranges of the estimated inputs
(:data:`orbitdc.model.economics.RANGES`, or the scenario's ``[economics.uncertainty]``), and
a tornado of what moves the answer most.

No sample is re-flown: the sampled inputs are prices, rates and factors that change only the
cost model, so every sample reuses the same flight figures (availability, dose limit: from the
lifetime sample, or nameplate). It runs in this process: the inputs are drawn as numpy arrays
in one go, the cost model is evaluated twice per sample (at two launch prices: cost per hour
is affine in the launch price, so those two give the cost at the scenario's price and the
break-even launch price exactly), about 0.1 ms per sample.

Each input is drawn from a triangular distribution on [low, high] with its mode at the
scenario's value (uniform where the scenario's value lies outside the range), independently
of the others: correlations between inputs (e.g. a cheap bus and a cheap array from the same
mass production) are not modelled, which widens nothing and narrows nothing systematically.
"""

from __future__ import annotations

import math
import os

import numpy as np
from pydantic import ValidationError

from orbitdc.econ.tco import FleetItem, tco
from orbitdc.model.economics import RANGES, Economics
from orbitdc.model.errors import ScenarioError

__all__ = ["monte_carlo", "ranges_for"]

#: Bytes held per sample and input (the draws, the outputs, scipy's ranks), with headroom.
_BYTES_PER_VALUE = 8 * 6
_PRICE_LOW, _PRICE_HIGH = 0.0, 1000.0


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


def ranges_for(items: list[FleetItem], econ: Economics, source: str
               ) -> tuple[dict[str, tuple[float, float, float]], list[str]]:
    """``{input: (low, high, scenario value)}`` for the inputs sampled here, and notes on
    those left out. A user's range that the scenario's own bounds refuse (a utilisation above
    1) is refused with its key."""
    notes: list[str] = []
    out: dict[str, tuple[float, float, float]] = {}
    user = econ.uncertainty.ranges
    for path, (lo, hi, _why) in RANGES.items():
        if path in user:
            lo, hi = user[path]
        if path == "accelerator_usd":
            if _base_price(items, econ) is None:
                notes.append("accelerator price not sampled: satellite types with different "
                             "accelerator prices (give economics.accelerator_usd)")
                continue
            base = 1.0
        elif path == "mass_factor":
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
            notes.append(f"{path}: the scenario's {base:g} lies outside its range "
                         f"[{lo:g}, {hi:g}]; drawn uniformly on the range")
        out[path] = (float(lo), float(hi), base)
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


def _evaluate(items, econ: Economics, values: dict[str, float], base_price: float | None,
              launch: float) -> tuple[float, float, float, float]:
    """Orbit and ground cost per hour at ``launch``, their ratio and the signed break-even
    launch price (negative: orbit is dearer even with free launch)."""
    values = dict(values)
    mass = values.pop("mass_factor", 1.0)
    acc = values.pop("accelerator_usd", None)
    if acc is not None and base_price is not None:
        values["accelerator_usd"] = acc * base_price
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
    v = values[np.isfinite(values)]
    if not v.size:
        return {"p10": None, "p50": None, "p90": None}
    p10, p50, p90 = np.percentile(v, [10, 50, 90])
    return {"p10": round(float(p10), 6), "p50": round(float(p50), 6),
            "p90": round(float(p90), 6)}


def monte_carlo(items: list[FleetItem], econ: Economics, *, samples: int | None = None,
                seed: int | None = None, source: str = "<scenario>",
                samples_key: str = "economics.uncertainty.samples") -> dict:
    """P10 / P50 / P90 of the orbit and ground cost per accelerator-hour, their ratio and the
    break-even launch price over ``samples`` draws of the estimated inputs; the tornado (each
    input at its range's ends, the others at the scenario's values) and each input's rank
    correlation with the ratio. ``samples_key`` names where the sample count came from."""
    from scipy import stats

    unc = econ.uncertainty
    n = unc.samples if samples is None else samples
    seed = unc.seed if seed is None else seed
    ranges, notes = ranges_for(items, econ, source)
    if n < 0:
        raise ScenarioError(source, [(samples_key, f"must be 0 or more (got {n})")])
    _capacity(n, len(ranges), source, samples_key)
    base_price = _base_price(items, econ)
    launch = econ.launch_usd_per_kg
    base_values = {p: b for p, (_lo, _hi, b) in ranges.items()}
    base = _evaluate(items, econ, base_values, base_price, launch)

    tornado = []
    for path, (lo, hi, _b) in ranges.items():
        at = [_evaluate(items, econ, base_values | {path: v}, base_price, launch)
              for v in (lo, hi)]
        tornado.append({
            "input": path, "low": lo, "high": hi, "why": RANGES[path][2],
            "usd_per_hour_at_low": _r(at[0][0]), "usd_per_hour_at_high": _r(at[1][0]),
            "ratio_at_low": _r(at[0][2]), "ratio_at_high": _r(at[1][2]),
            "break_even_at_low": _r(at[0][3]), "break_even_at_high": _r(at[1][3]),
        })
    tornado.sort(key=lambda row: -abs((row["ratio_at_high"] or 0) - (row["ratio_at_low"] or 0)))

    result = {
        "method": ("seeded Monte Carlo in process, no re-flight: the sampled inputs change only "
                   "the cost model; triangular on each range, mode at the scenario's value"),
        "samples": n, "seed": seed,
        "ranges": {p: {"low": lo, "high": hi, "scenario": b, "why": RANGES[p][2]}
                   for p, (lo, hi, b) in ranges.items()},
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
        out[i] = _evaluate(items, econ, {p: float(d[i]) for p, d in draws.items()},
                           base_price, launch)
    be = out[:, 3]
    result["orbit_usd_per_accelerator_hour"] = _pct(out[:, 0])
    result["ground_usd_per_accelerator_hour"] = _pct(out[:, 1])
    result["orbit_to_ground_ratio"] = _pct(out[:, 2])
    # Signed: a negative break-even price means orbit is dearer even with free launch.
    result["break_even_launch_usd_per_kg"] = _pct(np.clip(be, -1e12, 1e12))
    result["share_with_break_even"] = round(float(np.mean(be >= 0)), 6)
    result["share_orbit_cheaper"] = round(float(np.mean(out[:, 2] < 1.0)), 6)
    ratio = out[:, 2]
    corr = {}
    for p, d in draws.items():
        ok = np.isfinite(ratio)
        if np.ptp(d[ok]) > 0 and np.ptp(ratio[ok]) > 0:
            corr[p] = round(float(stats.spearmanr(d[ok], ratio[ok]).statistic), 4)
    result["rank_correlation_with_ratio"] = dict(
        sorted(corr.items(), key=lambda kv: -abs(kv[1])))
    return result


def _r(x):
    if x is None:
        return None
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None
