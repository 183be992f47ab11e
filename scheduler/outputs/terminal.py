"""Tables on the terminal: aligned columns, deviations in colour when the terminal shows it.

click.echo drops the colour codes when the output is piped or redirected.
"""

from __future__ import annotations

import pandas as pd

from scheduler.core.words import Status
from scheduler.outputs.files import as_text

COLOURS = {Status.EARLY: "red", Status.LATE: "red", Status.MISSED: "red", Status.DUE: "yellow",
           Status.WITHDRAWN: "bright_black"}


def render(frame: pd.DataFrame, title: str | None = None, colour_column: str | None = "status") -> str:
    import click

    text = as_text(frame)
    columns = list(frame.columns)
    widths = [max([len(name)] + [len(value) for value in text[name]]) for name in columns]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(name.ljust(width) for name, width in zip(columns, widths)).rstrip())
    lines.append("  ".join("-" * width for width in widths))
    statuses = text.get(colour_column) if colour_column is not None else None
    for number, row in enumerate(zip(*(text[name] for name in columns))):
        line = "  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip()
        if statuses is not None and statuses.iloc[number] in COLOURS:
            line = click.style(line, fg=COLOURS[statuses.iloc[number]])
        lines.append(line)
    if not len(frame):
        lines.append("(none)")
    return "\n".join(lines)
