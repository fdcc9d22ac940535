"""Scenarios shipped with orbitdc. Each is a TOML file in this folder; its first comment line
is its one-line description."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["preset_description", "preset_names", "preset_path"]


def _folder() -> Path:
    return Path(str(resources.files(__name__)))


def preset_names() -> list[str]:
    return sorted(p.stem for p in _folder().glob("*.toml"))


def preset_path(name: str) -> Path:
    """Path of preset ``name``; raises ``KeyError`` with the known names if it does not exist."""
    path = _folder() / f"{name}.toml"
    if not path.is_file():
        raise KeyError(f"no preset named {name!r}; known presets: {', '.join(preset_names())}")
    return path


def preset_description(name: str) -> str:
    first = preset_path(name).read_text(encoding="utf-8").splitlines()[0]
    return first.lstrip("# ").strip()
