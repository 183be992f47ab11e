"""The site's clinic closures file: date,open,note — open = no (closed) or yes (extra day)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scheduler.core import dates as datelib
from scheduler.core.clinic import Closures
from scheduler.errors import InputFileError, Problem
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
            "the date is empty" if code == datelib.EMPTY else datelib.WHAT[code],
            int(lines[position]), "date", frame["date"].iloc[position] or None,
            datelib.HINTS.get(code, "fill in the date as YYYY-MM-DD")))
    answer = frame["open"].str.lower()
    bad = ~answer.isin(("yes", "no", "y", "n"))
    for position in np.flatnonzero(bad.to_numpy()):
        problems.append(table.problem("open must be yes or no", int(lines[position]), "open",
                                      frame["open"].iloc[position],
                                      "no = the clinic is closed that day; yes = open on an extra day"))
    if problems:
        raise InputFileError(f"{shown}: the clinic closures file cannot be used", problems)
    opened = answer.str.startswith("y").to_numpy()
    return Closures(days[~opened], days[opened])
