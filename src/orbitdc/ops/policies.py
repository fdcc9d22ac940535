"""Scheduling policies by name: the shipped ones, or a user's own as ``module:attribute``.

``[policy] name = "mypolicies:Greedy"`` imports ``mypolicies`` (the scenario file's folder is
put first on ``sys.path`` for the import, then taken off again, so ``mypolicies.py`` beside the
scenario is found) and takes its attribute ``Greedy``: a class is instantiated with no
arguments, anything else is used as it is. The object must follow the scheduling policy
protocol (``orbitdc.ops.scheduler``): ``name: str``, ``migrates: bool``,
``inference_first: bool``, a callable ``score`` and, optionally, ``preempt``. A policy that cannot be had raises
:class:`~orbitdc.model.errors.ScenarioError` naming ``policy.name``, which the CLI reports
with exit code 2.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from orbitdc.model.errors import ScenarioError
from orbitdc.model.workload import POLICIES, POLICY_REFERENCE, policy_name_problem

__all__ = ["resolve_policy", "verdict"]

KEY = "policy.name"


def _problem(source: str, message: str, key: str = KEY) -> ScenarioError:
    return ScenarioError(source, [(key, message)])


def _import(module: str, base_dir: Path | None):
    """Import ``module`` with ``base_dir`` first on ``sys.path`` for the duration."""
    entry = str(Path(base_dir).resolve()) if base_dir is not None else None
    if entry is not None:
        sys.path.insert(0, entry)
    try:
        importlib.invalidate_caches()  # a module written after start-up is found too
        return importlib.import_module(module)
    finally:
        if entry is not None and entry in sys.path:
            sys.path.remove(entry)  # the first occurrence: the one put there above


def _check(obj, spec: str) -> str | None:
    """What ``obj`` lacks of the scheduling policy protocol (None when it has it all)."""
    try:
        return _lacks(obj, spec)
    except Exception as exc:  # an attribute of the user's that raises when read
        return f"reading its attributes raised {type(exc).__name__}: {exc}"


def _lacks(obj, spec: str) -> str | None:
    lacks = []
    name = getattr(obj, "name", spec)
    if not isinstance(name, str) or not name:
        lacks.append(f"name must be a non-empty str (got {name!r})")
    for flag in ("migrates", "inference_first"):
        if not hasattr(obj, flag):
            lacks.append(f"no {flag} (a bool)")
        elif not isinstance(getattr(obj, flag), bool):
            lacks.append(f"{flag} must be a bool (got {getattr(obj, flag)!r})")
    score = getattr(obj, "score", None)
    if score is None:
        lacks.append("no score(view) method")
    elif not callable(score):
        lacks.append("score must be a method score(view)")
    preempt = getattr(obj, "preempt", None)
    if preempt is not None and not callable(preempt):
        lacks.append("preempt, where given, must be a method preempt(view, running)")
    return "; ".join(lacks) or None


class _Named:
    """A policy object without a ``name`` of its own, named by its ``module:attribute``."""

    def __init__(self, policy, name: str):
        self._policy = policy
        self.name = name

    def __getattr__(self, attr):
        if attr.startswith("_"):  # unpickling looks these up before _policy is set
            raise AttributeError(attr)
        return getattr(self._policy, attr)

    def __repr__(self) -> str:
        return f"{self.name} ({self._policy!r})"


def resolve_policy(spec, source: str = "<policy>", *, base_dir: str | Path | None = None,
                   key: str = KEY, settings=None):
    """The scheduling policy ``spec`` names.

    ``spec`` is a shipped name (``first-fit`` …: the shipped instance), ``module:attribute``
    (imported, ``base_dir`` — the scenario's folder — first on ``sys.path`` meanwhile; a class
    is instantiated with no arguments), or already a policy object (checked and returned).
    ``settings``: ``[policy.phoenix]`` for ``phoenix`` (defaults when None).
    ``source`` and ``key`` say where the name came from in the error; raises
    :class:`ScenarioError` for a name that cannot be imported or an object lacking the
    protocol."""
    if not isinstance(spec, str):
        lacks = _check(spec, type(spec).__name__)
        if lacks:
            raise _problem(source, f"not a scheduling policy: {lacks}", key)
        return spec if hasattr(spec, "name") else _Named(spec, type(spec).__name__)
    spec = spec.strip()
    if spec == "phoenix":
        from orbitdc.ops.phoenix import Phoenix

        return Phoenix(**(settings.model_dump() if settings is not None else {}))
    if spec in POLICIES:
        from orbitdc.ops.scheduler import POLICY_CLASSES  # lazily: the scheduler imports us

        return POLICY_CLASSES[spec]
    if not POLICY_REFERENCE.match(spec):
        raise _problem(source, policy_name_problem(spec), key)
    module_name, _, attr_path = spec.partition(":")
    where = f" (looked in {Path(base_dir).resolve()} and on sys.path)" if base_dir else ""
    try:
        module = _import(module_name, base_dir)
    except ImportError as exc:
        raise _problem(source, f"cannot import {module_name!r} for {spec!r}: {exc}{where}",
                       key) from None
    except Exception as exc:  # the user's module failed while it was imported
        raise _problem(source, f"importing {module_name!r} for {spec!r} failed: "
                       f"{type(exc).__name__}: {exc}", key) from None
    obj = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            found = sorted(n for n in dir(module) if not n.startswith("_"))
            raise _problem(source, f"module {module_name!r} ({getattr(module, '__file__', '?')}) "
                           f"has no attribute {attr_path!r}; it defines "
                           f"{', '.join(found[:12]) or 'nothing public'}"
                           + (" …" if len(found) > 12 else ""), key) from None
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as exc:
            raise _problem(source, f"{spec!r} is a class that cannot be instantiated with no "
                           f"arguments: {type(exc).__name__}: {exc}", key) from None
    lacks = _check(obj, spec)
    if lacks:
        raise _problem(source, f"{spec!r} is not a scheduling policy: {lacks} (expected name: "
                       "str, migrates: bool, inference_first: bool and score(view) returning "
                       "an array over satellites, higher first, or None)", key)
    return obj if hasattr(obj, "name") else _Named(obj, spec)


def _same(a: float | None, b: float | None, rel: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(abs(a), abs(b))


def verdict(name: str, base: str, figures, rel: float = 1e-6) -> str:
    """One line saying on which figures policy ``name`` wins, ties or loses against ``base``.

    ``figures`` holds ``(label, value, base_value, higher_is_better)``; values within a
    relative ``rel`` of each other, or both None, tie; a figure only one of them has is listed
    as n/a. Example: ``power-aware vs first-fit: wins on jobs finished; ties on goodput;
    loses on energy per EFLOP``."""
    groups: dict[str, list[str]] = {"wins": [], "ties": [], "loses": [], "n/a": []}
    for label, value, base_value, higher_is_better in figures:
        if _same(value, base_value, rel):
            groups["ties"].append(label)
        elif value is None or base_value is None:
            groups["n/a"].append(label)
        elif (value > base_value) == bool(higher_is_better):
            groups["wins"].append(label)
        else:
            groups["loses"].append(label)
    said = "; ".join(f"{word} on {', '.join(labels)}" for word, labels in groups.items() if labels)
    return f"{name} vs {base}: {said or 'no figures to compare'}"
