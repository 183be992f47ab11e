"""The participants file (roster): every problem in it stops the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.errors import InputFileError, Problem
from scheduler.i18n import _, ngettext
from scheduler.sources.tables import control_in_id, participant_ids, read_date_column, read_table, text_column

PARTICIPANT_COLUMNS = ("participant_id", "enrollment_date")
PARTICIPANT_OPTIONAL = ("withdrawal_date", "withdrawal_reason", "site")

# An ID starts with a letter or a digit: this also shuts the door on spreadsheet formulas
# (=, +, -, @) travelling from a roster into a report.
ID_PATTERN = r"^[^\W_]"


def read_participants(path: Path, label: str, encoding: str | None = None,
                      sheet: str | None = None, date_format: str | None = None,
                      notes: list[str] | None = None) -> pd.DataFrame:
    """The roster. Any problem in it stops the command (exit 2): nobody silently drops out.

    Columns out: participant_id (NFKC: ００９ is 009), enrollment_date, withdrawal_date
    (datetime64, NaT when none), withdrawal_reason, site, line. ``notes``: see read_table.
    """
    table = read_table(path, label, PARTICIPANT_COLUMNS, PARTICIPANT_OPTIONAL, encoding, sheet,
                       notes)
    frame = table.frame
    problems: list[Problem] = []
    lines = frame["line"].to_numpy()
    ids, control = participant_ids(frame["participant_id"])

    for position in np.flatnonzero(control):
        problems.append(control_in_id(table, int(lines[position]), frame["participant_id"].iloc[position]))
    empty_id = (ids == "").to_numpy()
    bad_id = ~empty_id & ~control & ~ids.str.contains(ID_PATTERN, regex=True).to_numpy(dtype=bool)
    for position in np.flatnonzero(empty_id):
        problems.append(table.problem(_("the participant ID is empty"), int(lines[position]),
                                      "participant_id", None, _("give every participant an ID")))
    for position in np.flatnonzero(bad_id):
        problems.append(table.problem(_("a participant ID must start with a letter or a digit"),
                                      int(lines[position]), "participant_id", ids.iloc[position],
                                      _("remove the leading sign or space")))
    duplicated = ids.duplicated(keep=False).to_numpy() & ~empty_id & ~control
    if duplicated.any():
        typed = dict(zip(lines[duplicated], frame["participant_id"].to_numpy(dtype=object)[duplicated]))
        groups = pd.Series(lines[duplicated]).groupby(ids[duplicated].to_numpy()).agg(list)
        for participant, group_lines in groups.items():
            others = ", ".join(str(n) for n in group_lines[1:])
            # ００９ and 009 are one ID (NFKC): say so where the lines do not look alike.
            alike = all(typed[n] == participant for n in group_lines)
            # TRANSLATORS: {lines} are the other line numbers of the file, joined by ", ".
            listed = ngettext("participant {participant} is listed twice (also on line {lines})",
                              "participant {participant} is listed twice (also on lines {lines})",
                              len(group_lines) - 1)
            problems.append(table.problem(
                listed.format(participant=participant, lines=others),
                int(group_lines[0]), "participant_id", str(typed[group_lines[0]]),
                _("keep one line per participant") if alike else
                _("keep one line per participant (full-width digits and letters, as a Chinese "
                  "input method types them, are the same ID as plain ones)")))

    enrollment, _codes, enrollment_problems = read_date_column(table, "enrollment_date", date_format,
                                                               allow_empty=False)
    withdrawal, _codes, withdrawal_problems = read_date_column(table, "withdrawal_date", date_format,
                                                               allow_empty=True)
    problems += enrollment_problems + withdrawal_problems
    before = ~np.isnat(withdrawal) & ~np.isnat(enrollment) & (withdrawal < enrollment)
    for position in np.flatnonzero(before):
        # TRANSLATORS: {date} is the enrollment date, as the file has it.
        problems.append(table.problem(
            _("withdrawal before enrollment ({date})").format(date=frame["enrollment_date"].iloc[position]),
            int(lines[position]), "withdrawal_date", frame["withdrawal_date"].iloc[position],
            _("check both dates")))
    if problems:
        problems.sort(key=lambda problem: (problem.line or 0))
        count = len(problems)
        raise InputFileError(ngettext(
            "{file}: the participants file cannot be used until this problem is fixed "
            "(a participant who cannot be scheduled must not silently drop out)",
            "{file}: the participants file cannot be used until these {count} problems are fixed "
            "(a participant who cannot be scheduled must not silently drop out)",
            count).format(file=label, count=count), problems)
    return pd.DataFrame({
        "participant_id": text_column(ids),
        "enrollment_date": enrollment,
        "withdrawal_date": withdrawal,
        "withdrawal_reason": text_column(frame["withdrawal_reason"]),
        "site": text_column(frame["site"]),
        "line": lines,
    })
