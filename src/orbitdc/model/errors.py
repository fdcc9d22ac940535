"""Errors a user can fix: they name the file, the key and what was expected."""

from __future__ import annotations

__all__ = ["ScenarioError"]


class ScenarioError(ValueError):
    """A scenario (or other input file) is wrong. The CLI prints it and exits with code 2.

    ``problems`` is a list of ``(key, message)``; ``key`` is a dotted path into the file such as
    ``fleet.0.altitude_km`` (the same paths sweeps use), or ``""`` for the file as a whole.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(self._format())

    def _format(self) -> str:
        lines = []
        for key, message in self.problems:
            where = f"{self.source}: {key}" if key else self.source
            lines.append(f"{where}: {message}")
        return "\n".join(lines)
