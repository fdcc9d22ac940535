"""Reading element sets: two-line elements (TLE) and CCSDS Orbit Mean-elements Messages (OMM).

Each reader returns ``(name or None, Satrec)`` pairs and raises ``ValueError`` with a message a
user can act on; the scenario model adds the file and key.
"""

from __future__ import annotations

import io
import json

from sgp4 import omm
from sgp4.api import Satrec

__all__ = ["parse_omm_text", "parse_tle_text", "tle_checksum"]

#: The fields SGP4 needs from an OMM record (the mean elements first), as CelesTrak names them.
OMM_FIELDS = (
    "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER", "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT",
    "NORAD_CAT_ID", "OBJECT_ID", "CLASSIFICATION_TYPE", "EPHEMERIS_TYPE", "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
)


def tle_checksum(line: str) -> int:
    """The modulo-10 checksum of a TLE line: digits count as themselves, '-' as 1."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def _check_line(line: str, number: str, count: int) -> None:
    if len(line) < 69:
        raise ValueError(
            f"TLE {count} line {number} has {len(line)} characters, expected 69: {line!r}"
        )
    if not line.startswith(number + " "):
        raise ValueError(f"TLE {count}: expected line {number} to start with '{number} ': {line!r}")
    if line[68].isdigit() and int(line[68]) != tle_checksum(line):
        raise ValueError(
            f"TLE {count} line {number} checksum is {line[68]}, computed {tle_checksum(line)}"
        )


def parse_tle_text(text: str) -> list[tuple[str | None, Satrec]]:
    """Parse two- or three-line element sets (a name line is optional before each pair)."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    out: list[tuple[str | None, Satrec]] = []
    i = 0
    while i < len(lines):
        name = None
        if not lines[i].startswith("1 "):
            name = lines[i].strip()
            if name.startswith("0 "):
                name = name[2:].strip()
            i += 1
        if i + 1 >= len(lines):
            after = f" after the name {name!r}" if name else ""
            raise ValueError(
                f"TLE {len(out) + 1}: expected two element lines (starting '1 ' and '2 '){after}; "
                f"found {len(lines) - i}"
            )
        line1, line2 = lines[i], lines[i + 1]
        _check_line(line1, "1", len(out) + 1)
        _check_line(line2, "2", len(out) + 1)
        if line1[2:7] != line2[2:7]:
            raise ValueError(f"TLE {len(out) + 1}: catalogue numbers of lines 1 and 2 differ")
        try:
            sat = Satrec.twoline2rv(line1, line2)
        except Exception as exc:  # sgp4 raises ValueError with its own wording
            raise ValueError(f"TLE {len(out) + 1} could not be read: {exc}") from None
        if sat.error:
            raise ValueError(f"TLE {len(out) + 1}: SGP4 rejects these elements (code {sat.error})")
        out.append((name, sat))
        i += 2
    if not out:
        raise ValueError("no element set found")
    return out


def parse_omm_text(text: str) -> list[tuple[str | None, Satrec]]:
    """Parse OMM element sets written as JSON (an object or a list of them) or as XML."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("<"):
            try:
                records = list(omm.parse_xml(io.StringIO(text)))
            except (AttributeError, TypeError):
                raise ValueError(
                    "XML is not CCSDS OMM: each <segment> needs <metadata> and <data> holding "
                    "<meanElements> and <tleParameters>"
                ) from None
        else:
            data = json.loads(text)
            records = data if isinstance(data, list) else [data]
    except Exception as exc:
        raise ValueError(f"not valid OMM JSON or XML: {exc}") from None
    out: list[tuple[str | None, Satrec]] = []
    for n, fields in enumerate(records, start=1):
        if not isinstance(fields, dict):
            raise ValueError(f"OMM record {n} is not an object")
        missing = [f for f in OMM_FIELDS if f not in fields]
        if missing:
            raise ValueError(f"OMM record {n} lacks the field{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}")
        sat = Satrec()
        try:
            omm.initialize(sat, fields)
        except KeyError as exc:
            raise ValueError(f"OMM record {n} lacks the field {exc.args[0]}") from None
        except Exception as exc:
            raise ValueError(f"OMM record {n} could not be read: {exc}") from None
        if sat.error:
            raise ValueError(f"OMM record {n}: SGP4 rejects these elements (code {sat.error})")
        out.append((fields.get("OBJECT_NAME"), sat))
    if not out:
        raise ValueError("no element set found")
    return out
