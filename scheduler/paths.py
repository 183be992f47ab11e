"""How messages name a path: relative to the current folder when it is below it."""

from __future__ import annotations

from pathlib import Path


def label(path: Path) -> str:
    """A path as messages show it: relative to the current folder when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
