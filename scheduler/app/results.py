"""What a controller returns to the command line: data to render, never printed text.

Light on purpose (no pandas at import): the command line imports it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scheduler.errors import EXIT_OK
from scheduler.i18n import _

if TYPE_CHECKING:
    import pandas as pd


class Messages(list[str]):
    """What a command tells the person besides its result — warnings, notes, data problems
    — as lines for standard error, in the order they arise. Controllers add to it; the
    command line prints it (also when the command then fails), so controllers never print."""

    def warning(self, text: str) -> None:
        self.append(_("Warning: {message}").format(message=text))

    def note(self, text: str) -> None:
        self.append(_("Note: {message}").format(message=text))


@dataclass
class TableResult:
    """A table for the terminal (``table`` with ``title``), or nothing more to show when the
    controller wrote the file itself (``table`` None); the exit code to end with."""

    table: pd.DataFrame | None = None
    title: str | None = None
    colour_column: str | None = "status"
    exit_code: int = EXIT_OK
    # Lines on standard output before the table (status: the participant's header).
    lines: list[str] = field(default_factory=list)
