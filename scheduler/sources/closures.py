"""The site's clinic closures file: date,open,note — open = no (closed) or yes (extra day)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scheduler.core import dates as datelib
from scheduler.core.clinic import Closures
from scheduler.errors import InputFileError, Problem
from scheduler.i18n import _
from scheduler.paths import label
from scheduler.sources.tables import read_table


def read_closures(path: Path) -> Closures:
    """The site's closures file: date,open,note — open = no (closed) or yes (extra day)."""
    shown = label(path)
    table = read_table(path, shown, ("date", "open"), ("note",))
    frame = table.frame
    days, codes = datelib.parse_dates(frame["date"])
    problems: list[Problem] = []
    lines = frame["line"].to_numpy()
    for position in np.flatnonzero(codes != datelib.OK):
        code = int(codes[position])
        problems.append(table.problem(
            _("the date is empty") if code == datelib.EMPTY else datelib.what(code),
            int(lines[position]), "date", frame["date"].iloc[position] or None,
            datelib.hint(code) if code in datelib.HINTS else _("fill in the date as YYYY-MM-DD")))
    answer = frame["open"].str.lower()
    bad = ~answer.isin(("yes", "no", "y", "n"))
    for position in np.flatnonzero(bad.to_numpy()):
        # TRANSLATORS: "open" is the column's name; yes and no are the values it takes.
        problems.append(table.problem(_("open must be yes or no"), int(lines[position]), "open",
                                      frame["open"].iloc[position],
                                      _("no = the clinic is closed that day; yes = open on an extra day")))
    opened = answer.str.startswith("y").to_numpy()
    if not problems:
        # One date said both closed and open: which line is right cannot be guessed.
        said: dict[str, tuple[bool, int]] = {}
        for row, (day, is_open, line) in enumerate(zip(days.astype(str), opened, lines.tolist())):
            if day in said and said[day][0] != is_open:
                # TRANSLATORS: {date} is a date (YYYY-MM-DD); {line} the line of the file that
                # says the opposite.
                said_here = (_("{date} is said to be open here and closed on line {line}") if is_open else
                             _("{date} is said to be closed here and open on line {line}"))
                problems.append(table.problem(
                    said_here.format(date=day, line=said[day][1]), int(line), "open",
                    frame["open"].iloc[row], _("keep one line for each date")))
            said.setdefault(day, (bool(is_open), int(line)))
    if problems:
        raise InputFileError(_("{file}: the clinic closures file cannot be used").format(file=shown),
                             problems)
    return Closures(days[~opened], days[opened])
