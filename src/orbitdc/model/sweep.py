"""Sweep files: a base scenario and axes of parameters to vary.

```toml
base = "preset:suncatcher"        # or a scenario file, relative to the sweep file
design = "lhs"                    # grid (every combination), lhs (Latin hypercube), random
samples = 16                      # variants for lhs / random
repetitions = 2                   # Monte Carlo: each variant again with other seeds only
seed = 7                          # seeds the design and the repetitions' seeds

[[axis]]
path = "satellite.tpu-sat.radiator.area_m2"   # a dotted path into the scenario
values = [30.0, 40.0, 50.0]                   # a list ...

[[axis]]
path = "economics.launch_usd_per_kg"
range = { start = 200.0, stop = 3600.0, num = 5 }   # ... an evenly spaced range ...

[[axis]]
path = "fleet.0.altitude_km"
distribution = { kind = "uniform", low = 600.0, high = 700.0 }  # ... or a distribution
```

Paths are checked against the base scenario with all its defaults, so
``economics.launch_usd_per_kg`` exists even when the base file does not set it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from orbitdc.model._base import Strict
from orbitdc.model.errors import ScenarioError
from orbitdc.model.presets import preset_path
from orbitdc.model.scenario import Scenario, load_scenario

__all__ = ["Axis", "SweepSpec", "Variant", "load_sweep", "parse_sweep"]


class RangeSpec(Strict):
    start: float
    stop: float
    num: Annotated[int, Field(ge=1, le=100_000)]


class Distribution(Strict):
    kind: Literal["uniform", "normal", "loguniform"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: Annotated[float | None, Field(gt=0.0)] = None

    @model_validator(mode="after")
    def _parameters(self):
        if self.kind in ("uniform", "loguniform"):
            if self.low is None or self.high is None or not self.low < self.high:
                raise ValueError(f"{self.kind} needs low < high")
            if self.kind == "loguniform" and self.low <= 0:
                raise ValueError("loguniform needs low > 0")
        elif self.mean is None or self.sd is None:
            raise ValueError("normal needs mean and sd")
        return self

    def ppf(self, q: np.ndarray) -> np.ndarray:
        from scipy import stats

        if self.kind == "uniform":
            return self.low + q * (self.high - self.low)
        if self.kind == "loguniform":
            return np.exp(np.log(self.low) + q * (np.log(self.high) - np.log(self.low)))
        return stats.norm.ppf(q, loc=self.mean, scale=self.sd)


class Axis(Strict):
    path: Annotated[str, Field(min_length=1)]
    values: list[Any] | None = None
    range: RangeSpec | None = None
    distribution: Distribution | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in ("values", "range", "distribution") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of values, range or distribution")
        if self.values is not None and not self.values:
            raise ValueError("the axis is empty: give at least one value")
        return self

    def levels(self) -> list[Any] | None:
        """The discrete values of a list or range axis (None for a distribution)."""
        if self.values is not None:
            return list(self.values)
        if self.range is not None:
            return [float(x) for x in np.linspace(self.range.start, self.range.stop,
                                                  self.range.num)]
        return None

    def at(self, q: np.ndarray) -> list[Any]:
        """Values at quantiles ``q`` in [0, 1) (for lhs / random designs)."""
        levels = self.levels()
        if levels is not None:
            idx = np.minimum((q * len(levels)).astype(int), len(levels) - 1)
            return [levels[i] for i in idx]
        return [float(x) for x in self.distribution.ppf(q)]


class SweepSpec(Strict):
    base: str
    design: Literal["grid", "lhs", "random"] = "grid"
    samples: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    repetitions: Annotated[int, Field(ge=1, le=10_000)] = 1
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 1
    axis: Annotated[list[Axis], Field(min_length=1)]

    @model_validator(mode="after")
    def _design(self):
        if self.design == "grid":
            if self.samples is not None:
                raise ValueError("samples is for lhs and random designs; a grid runs every "
                                 "combination of the axes")
            bad = [a.path for a in self.axis if a.distribution is not None]
            if bad:
                raise ValueError(f"a grid needs discrete axes; {', '.join(bad)} is a "
                                 "distribution: use design = \"lhs\" or \"random\"")
        elif self.samples is None:
            raise ValueError(f"design = \"{self.design}\" needs samples")
        paths = [a.path for a in self.axis]
        dup = sorted({p for p in paths if paths.count(p) > 1})
        if dup:
            raise ValueError(f"each path once; repeated: {', '.join(dup)}")
        return self


class Variant:
    """One scenario of the sweep: its number, repetition, parameter values and seed."""

    __slots__ = ("index", "params", "repetition", "seed")

    def __init__(self, index: int, params: dict[str, Any], repetition: int, seed: int):
        self.index = index
        self.params = params
        self.repetition = repetition
        self.seed = seed


class Sweep:
    """A validated sweep: the base scenario, its data with defaults, and the variants."""

    def __init__(self, spec: SweepSpec, base: Scenario, source: str):
        self.spec = spec
        self.base = base
        self.source = source
        self.base_data = base.model_dump(mode="python")

    def variants(self) -> list[Variant]:
        spec = self.spec
        rng = np.random.default_rng(spec.seed)
        if spec.design == "grid":
            grids = np.meshgrid(*[np.arange(len(a.levels())) for a in spec.axis], indexing="ij")
            combos = np.stack([g.ravel() for g in grids], axis=1)
            points = [{a.path: a.levels()[i] for a, i in zip(spec.axis, row)} for row in combos]
        else:
            d = len(spec.axis)
            if spec.design == "lhs":
                from scipy.stats import qmc

                q = qmc.LatinHypercube(d=d, seed=rng).random(spec.samples)
            else:
                q = rng.random((spec.samples, d))
            columns = [a.at(q[:, k]) for k, a in enumerate(spec.axis)]
            points = [{a.path: columns[k][i] for k, a in enumerate(spec.axis)}
                      for i in range(spec.samples)]
        out = []
        for i, p in enumerate(points):
            base_seed = int(p.get("seed", self.base.seed))
            for rep in range(spec.repetitions):
                seed = base_seed if rep == 0 else int(
                    np.random.SeedSequence([spec.seed, i, rep]).generate_state(1, np.uint64)[0]
                    % (2**62)
                )
                out.append(Variant(len(out), p, rep, seed))
        return out

    def scenario_data(self, variant: Variant) -> dict:
        data = _copy(self.base_data)
        for path, value in variant.params.items():
            current = _walk(self.base_data, path.split("."))
            if (isinstance(current, int) and not isinstance(current, bool)
                    and isinstance(value, float)):
                # A count: a range gives 3.0 (checked whole), a distribution any number,
                # rounded to the nearest whole one.
                value = int(round(value))
            _set(data, path, value)
        data["seed"] = variant.seed  # a "seed" axis sets it (see variants())
        return data


def _copy(obj):
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    return obj


def _walk(data, parts: list[str]):
    node = data
    for part in parts:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(part)
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                raise KeyError(part)
            node = node[part]
        else:
            raise KeyError(part)
    return node


def _set(data, path: str, value) -> None:
    parts = path.split(".")
    parent = _walk(data, parts[:-1])
    if isinstance(parent, list):
        parent[int(parts[-1])] = value
    else:
        parent[parts[-1]] = value


def _kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def parse_sweep(data: dict, *, source: str = "<sweep>", base_dir: Path | None = None) -> Sweep:
    """Validate a sweep (as read from TOML) and its paths. Raises :class:`ScenarioError`."""
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        axes = data.get("axis") if isinstance(data.get("axis"), list) else []
        for e in exc.errors():
            loc = e["loc"]
            key = ".".join(str(x) for x in loc if not (isinstance(x, str) and
                                                       x.startswith("function-")))
            msg = e["msg"].removeprefix("Value error, ")
            # Name the parameter an axis sweeps, not only its position.
            if len(loc) > 1 and loc[0] == "axis" and isinstance(loc[1], int) \
                    and loc[1] < len(axes) and isinstance(axes[loc[1]], dict) \
                    and isinstance(axes[loc[1]].get("path"), str):
                msg = f"{axes[loc[1]]['path']}: {msg}"
            problems.append((key, msg))
        raise ScenarioError(source, problems) from None
    base_dir = (base_dir or Path.cwd()).resolve()
    if spec.base.startswith("preset:"):
        try:
            base_path = preset_path(spec.base.removeprefix("preset:"))
        except KeyError as exc:
            raise ScenarioError(source, [("base", exc.args[0])]) from None
    else:
        base_path = base_dir / spec.base
        if not base_path.is_file():
            raise ScenarioError(source, [("base", f"no scenario file {base_path}")])
    base = load_scenario(base_path)
    sweep = Sweep(spec, base, source)
    problems = []
    for i, axis in enumerate(spec.axis):
        try:
            current = _walk(sweep.base_data, axis.path.split("."))
        except KeyError as exc:
            problems.append((f"axis.{i}.path", f"{axis.path!r} is not in the scenario "
                             f"(no {exc.args[0]!r} there)"))
            continue
        values = axis.levels()
        if isinstance(current, (dict, list)):
            problems.append((f"axis.{i}.path", f"{axis.path!r} is a table, not a value"))
            continue
        want = _kind(current) if current is not None else None
        count = isinstance(current, int) and not isinstance(current, bool)
        if values is not None and count:
            bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float))
                   or not float(v).is_integer()]
            if bad:
                problems.append((f"axis.{i}.{'values' if axis.values is not None else 'range'}",
                                 f"{axis.path} takes a whole number; got "
                                 f"{', '.join(repr(v) for v in bad[:3])}"))
        elif values is not None and want is not None:
            bad = [v for v in values if _kind(v) != want]
            if bad:
                problems.append((f"axis.{i}.values", f"{axis.path} takes a {want}; got "
                                 f"{', '.join(repr(v) for v in bad[:3])}"))
        elif values is not None and want is None and len({_kind(v) for v in values}) > 1:
            problems.append((f"axis.{i}.values", f"{axis.path}: values of one type, please; got "
                             f"{', '.join(sorted({_kind(v) for v in values}))}"))
        elif values is None and want not in (None, "number"):
            problems.append((f"axis.{i}.distribution", f"{axis.path} takes a {want}, not a number"))
    if problems:
        raise ScenarioError(source, problems)
    return sweep


def load_sweep(path: str | Path) -> Sweep:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [("", f"cannot read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [("", f"not valid TOML: {exc}")]) from None
    return parse_sweep(data, source=str(path), base_dir=path.parent)
