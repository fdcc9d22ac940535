"""The ``[screening]`` section (conjunction screening by ``orbitdc run``) and the reading of a
catalogue of element sets for ``orbitdc screen --catalog`` (TLE, or OMM as JSON or XML).

Physics and numerics: ``orbitdc.core.conjunctions``; the run: ``orbitdc.sim.screening``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from sgp4.api import Satrec

from orbitdc.model._base import Strict
from orbitdc.model.elements import parse_omm_text, parse_tle_text
from orbitdc.model.errors import ScenarioError

__all__ = ["CovarianceAssumption", "Screening", "read_catalogue"]


class CovarianceAssumption(Strict):
    """An *assumed* position uncertainty, the same for every object: isotropic, ``sigma_km``
    (1 sigma, per axis). With it each approach gets a collision probability for objects of
    combined radius ``hard_body_radius_m`` (docs/scenario.md says what it neglects)."""

    sigma_km: Annotated[float, Field(gt=0.0, le=100.0)]
    hard_body_radius_m: Annotated[float, Field(gt=0.0, le=1000.0)] = 10.0


class Screening(Strict):
    """Close-approach screening over the run's span: every pair of the scenario's satellites
    (and of a catalogue's objects) that comes within ``threshold_km``."""

    threshold_km: Annotated[float, Field(gt=0.0, le=1000.0)]
    #: Pairs within one formation (a ``cluster`` fleet), whose members fly ~100 m apart by
    #: design: screened at this distance instead (default: ``threshold_km``).
    formation_threshold_km: Annotated[float | None, Field(gt=0.0, le=1000.0)] = None
    #: A catalogue of other objects (TLE, OMM JSON or XML), relative to the scenario file.
    catalog_file: str | None = None
    #: Element sets whose epoch is further than this from the run's start are refused (SGP4
    #: far from its epoch is off by tens of km and more); beyond ``warn_epoch_age_days`` they
    #: are reported in the warnings.
    max_epoch_age_days: Annotated[float, Field(gt=0.0, le=3650.0)] = 30.0
    warn_epoch_age_days: Annotated[float, Field(gt=0.0, le=3650.0)] = 3.0
    covariance: CovarianceAssumption | None = None


def read_catalogue(path: str | Path) -> list[tuple[str | None, Satrec]]:
    """The element sets of a catalogue file with their names: TLE (two or three lines per
    object) or OMM (JSON or XML, told apart by the first character). A file that cannot be
    read or parsed raises :class:`ScenarioError` naming the file and the record."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "catalogue file not found")]) from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), [("", "not a UTF-8 text file")]) from None
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot read: {exc.strerror or exc}")]) from None
    head = text.lstrip()[:1]
    try:
        if head in ("<", "{", "["):
            return parse_omm_text(text)
        return parse_tle_text(text)
    except ValueError as exc:
        raise ScenarioError(str(path), [("", str(exc))]) from None
