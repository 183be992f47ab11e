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
    opened = answer.str.startswith("y").to_numpy()
    if not problems:
        # One date said both closed and open: which line is right cannot be guessed.
        said: dict[str, tuple[bool, int]] = {}
        for row, (day, is_open, line) in enumerate(zip(days.astype(str), opened, lines.tolist())):
            if day in said and said[day][0] != is_open:
                problems.append(table.problem(
                    f"{day} is said to be {'open' if is_open else 'closed'} here and "
                    f"{'open' if said[day][0] else 'closed'} on line {said[day][1]}", int(line), "open",
                    frame["open"].iloc[row], "keep one line for each date"))
            said.setdefault(day, (bool(is_open), int(line)))
    if problems:
        raise InputFileError(f"{shown}: the clinic closures file cannot be used", problems)
    return Closures(days[~opened], days[opened])
