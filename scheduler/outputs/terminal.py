"""Tables on the terminal: aligned columns, deviations in colour when the terminal shows it.

Headings and status words are the reader's language (``outputs.people``); the colours are
decided on the status itself. Columns are padded by the width the terminal draws
(``people.pad``): a Chinese character takes two columns.

click.echo drops the colour codes when the output is piped or redirected.
"""

from __future__ import annotations

import pandas as pd

from scheduler.core.words import Status
from scheduler.i18n import _
from scheduler.outputs.files import as_text
from scheduler.outputs.people import display_width, for_people, pad

COLOURS = {Status.EARLY: "red", Status.LATE: "red", Status.MISSED: "red", Status.DUE: "yellow",
           Status.WITHDRAWN: "bright_black"}


def render(frame: pd.DataFrame, title: str | None = None, colour_column: str | None = "status") -> str:
    import click

    text = as_text(frame)
    shown = for_people(text)
    names = [str(name) for name in shown.columns]
    # By position: two columns could have one heading in a language.
    cells = [shown.iloc[:, position] for position in range(len(names))]
    widths = [max([display_width(name)] + [display_width(value) for value in set(column)])
              for name, column in zip(names, cells)]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(pad(name, width) for name, width in zip(names, widths)).rstrip())
    lines.append("  ".join("-" * width for width in widths))
    statuses = text.get(colour_column) if colour_column is not None else None
    for number, row in enumerate(zip(*cells)):
        line = "  ".join(pad(value, width) for value, width in zip(row, widths)).rstrip()
        if statuses is not None and statuses.iloc[number] in COLOURS:
            line = click.style(line, fg=COLOURS[statuses.iloc[number]])
        lines.append(line)
    if not len(frame):
        lines.append(_("(none)"))
    return "\n".join(lines)
