"""The version history (versions.csv): which participant moved to which protocol version when.

Written only by ``amend`` (each move an audited change), read by every command of a study
whose protocol has versions. A history the rules refuse is a file problem (exit 2, every
line named): a change made outside the tool is ``verify``'s to find, but no command
computes windows from a move that cannot have happened.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.core.versions import Moves, start_versions, version_names, versions_of
from scheduler.errors import InputFileError, Problem
from scheduler.i18n import _, ngettext
from scheduler.paths import label
from scheduler.protocol import Protocol
from scheduler.sources.folder import VERSION_COLUMNS, VERSIONS_FILE, VERSIONS_HEADER

__all__ = ["VERSIONS_HEADER", "VERSION_COLUMNS", "enrolled_before_versions", "read_moves"]



def read_moves(folder: Path, protocol: Protocol, participants: pd.DataFrame,
               today: dt.date | None = None) -> Moves:
    """The study folder's moves, checked against the protocol versions, the roster and
    ``today`` (a move is never dated after it); no moves when the folder has no versions.csv."""
    path = folder / VERSIONS_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Moves.empty()
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
        raise InputFileError(_("{file}: cannot be read ({reason})").format(
            file=label(path), reason=error.strerror)) from None
    shown = label(path)
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        raise InputFileError(_("{file}: not a UTF-8 CSV file — it is written by visit-scheduler amend; "
                               "restore it, or run visit-scheduler verify").format(file=shown)) from None
    if not rows or [cell.strip() for cell in rows[0][:3]] != list(VERSION_COLUMNS):
        raise InputFileError(_("{file}: the header must be {header} — the file is written by visit-scheduler "
                               "amend; run visit-scheduler verify").format(file=shown,
                                                                         header=VERSIONS_HEADER.strip()))
    problems: list[Problem] = []
    names = list(version_names(protocol))
    effective = {each.version: each.effective for each in versions_of(protocol)}
    roster = {pid: position for position, pid in enumerate(participants["participant_id"])}
    enrollment = participants["enrollment_date"].to_numpy().astype("M8[D]")
    withdrawal = participants["withdrawal_date"].to_numpy().astype("M8[D]")
    starts = start_versions(protocol, enrollment)
    following: dict[str, tuple[int, dt.date]] = {}  # the version each participant is on, since
    ids, versions, dates, lines = [], [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [*row, "", "", ""][:3]
        participant, version, day_text = (cell.strip() for cell in cells)

        def problem(message: str, column: str, value: str, line: int = line) -> None:
            # TRANSLATORS: how to fix a line of versions.csv, which only amend writes; the
            # command is typed as it is.
            fix = _("versions.csv is written by visit-scheduler amend: run visit-scheduler verify to see the "
                    "line as the audit trail has it, and restore it")
            problems.append(Problem(shown, message, line=line, column=column, value=value, fix=fix))

        if len(row) > len(VERSION_COLUMNS):
            problem(_("the line has more cells than the header"), "move_date", ",".join(row[len(VERSION_COLUMNS):]))
            continue
        if participant not in roster:
            problem(_("a move of a participant who is not in the participants file"), "participant_id", participant)
            continue
        if version not in names:
            problem(_("no protocol version of that name — the versions are {versions}").format(
                versions=", ".join(names)), "protocol_version", version)
            continue
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            problem(_("not a date written YYYY-MM-DD"), "move_date", day_text)
            continue
        position = roster[participant]
        since = following.get(participant, (int(starts[position]), dt.date.min))
        when = effective[version]
        if today is not None and day > today:
            problem(_("the move is dated after today ({today})").format(today=today), "move_date", day_text)
        elif when is not None and day < when:
            problem(_("the move is dated before version {version} takes effect ({date})").format(
                version=version, date=when), "move_date", day_text)
        elif np.datetime64(day, "D") < enrollment[position]:
            problem(_("the move is dated before the participant was enrolled"), "move_date", day_text)
        elif not np.isnat(withdrawal[position]) and np.datetime64(day, "D") >= withdrawal[position]:
            problem(_("the move is dated on or after the participant's withdrawal"), "move_date", day_text)
        elif names.index(version) <= since[0]:
            problem(_("the participant follows version {version} by then: a move goes to a later version").format(
                version=names[since[0]]), "protocol_version", version)
        elif day < since[1]:
            problem(_("the move is dated before the participant's previous move ({date})").format(
                date=since[1]), "move_date", day_text)
        else:
            following[participant] = (names.index(version), day)
            ids.append(participant)
            versions.append(version)
            dates.append(day)
            lines.append(line)
    if problems:
        raise InputFileError(ngettext("{file}: the version history cannot be used: {count} problem",
                                      "{file}: the version history cannot be used: {count} problems",
                                      len(problems)).format(file=shown, count=len(problems)), problems)
    return Moves(np.array(ids, dtype=object), np.array(versions, dtype=object),
                 np.array(dates, dtype="M8[D]"), np.array(lines, dtype=np.int64))


def enrolled_before_versions(protocol: Protocol, participants: pd.DataFrame, shown: str) -> None:
    """An enrollment before every version's effective date is a participants-file problem."""
    first = versions_of(protocol)[0].effective
    if first is None:
        return
    enrollment = participants["enrollment_date"].to_numpy().astype("M8[D]")
    early = np.flatnonzero(enrollment < np.datetime64(first, "D"))
    if not len(early):
        return
    lines = participants["line"].to_numpy() if "line" in participants else np.arange(len(participants)) + 2
    problems = [Problem(shown, _("enrolled before the first protocol version takes effect ({date}) — check the "
                                 "date, or add the version in force then to protocols/").format(date=first),
                        line=int(lines[position]), column="enrollment_date",
                        value=str(enrollment[position])) for position in early]
    raise InputFileError(ngettext("{file}: {count} enrollment before the first protocol version",
                                  "{file}: {count} enrollments before the first protocol version",
                                  len(problems)).format(file=shown, count=len(problems)), problems)
