"""The participants file (roster): every problem in it stops the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.errors import InputFileError, Problem
from scheduler.sources.tables import read_date_column, read_table, text_column

PARTICIPANT_COLUMNS = ("participant_id", "enrollment_date")
PARTICIPANT_OPTIONAL = ("withdrawal_date", "withdrawal_reason", "site")

# An ID starts with a letter or a digit: this also shuts the door on spreadsheet formulas
# (=, +, -, @) travelling from a roster into a report.
ID_PATTERN = r"^[^\W_]"


def read_participants(path: Path, label: str, encoding: str | None = None,
                      sheet: str | None = None, date_format: str | None = None) -> pd.DataFrame:
    """The roster. Any problem in it stops the command (exit 2): nobody silently drops out.

    Columns out: participant_id, enrollment_date, withdrawal_date (datetime64, NaT when
    none), withdrawal_reason, site, line.
    """
    table = read_table(path, label, PARTICIPANT_COLUMNS, PARTICIPANT_OPTIONAL, encoding, sheet)
    frame = table.frame
    problems: list[Problem] = []
    lines = frame["line"].to_numpy()
    ids = frame["participant_id"]

    empty_id = (ids == "").to_numpy()
    bad_id = ~empty_id & ~ids.str.contains(ID_PATTERN, regex=True).to_numpy(dtype=bool)
    for position in np.flatnonzero(empty_id):
        problems.append(table.problem("the participant ID is empty", int(lines[position]),
                                      "participant_id", None, "give every participant an ID"))
    for position in np.flatnonzero(bad_id):
        problems.append(table.problem("a participant ID must start with a letter or a digit",
                                      int(lines[position]), "participant_id", ids.iloc[position],
                                      "remove the leading sign or space"))
    duplicated = ids.duplicated(keep=False).to_numpy() & ~empty_id
    if duplicated.any():
        groups = pd.Series(lines[duplicated]).groupby(ids[duplicated].to_numpy()).agg(list)
        for participant, group_lines in groups.items():
            others = ", ".join(str(n) for n in group_lines[1:])
            problems.append(table.problem(
                f"participant {participant} is listed twice "
                f"(also on line{'s' if len(group_lines) > 2 else ''} {others})",
                int(group_lines[0]), "participant_id", str(participant),
                "keep one line per participant"))

    enrollment, _, enrollment_problems = read_date_column(table, "enrollment_date", date_format,
                                                          allow_empty=False)
    withdrawal, _, withdrawal_problems = read_date_column(table, "withdrawal_date", date_format,
                                                          allow_empty=True)
    problems += enrollment_problems + withdrawal_problems
    before = ~np.isnat(withdrawal) & ~np.isnat(enrollment) & (withdrawal < enrollment)
    for position in np.flatnonzero(before):
        problems.append(table.problem(
            f"withdrawal before enrollment ({frame['enrollment_date'].iloc[position]})",
            int(lines[position]), "withdrawal_date", frame["withdrawal_date"].iloc[position],
            "check both dates"))
    if problems:
        problems.sort(key=lambda problem: (problem.line or 0))
        count = len(problems)
        raise InputFileError(
            f"{label}: the participants file cannot be used until "
            f"{'this problem is' if count == 1 else f'these {count} problems are'} fixed "
            "(a participant who cannot be scheduled must not silently drop out)", problems)
    return pd.DataFrame({
        "participant_id": text_column(ids),
        "enrollment_date": enrollment,
        "withdrawal_date": withdrawal,
        "withdrawal_reason": text_column(frame["withdrawal_reason"]),
        "site": text_column(frame["site"]),
        "line": lines,
    })
