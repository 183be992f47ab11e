"""Changes to a study folder at the point of care: enroll, record, withdraw, correct.

Every change holds the study folder's lock (``storage.lock``) while it reads the files,
checks the change and writes; rewrites the file it changes through ``storage.csv_file``
(keeping the file's encoding, separators and other columns); and appends what changed to
the audit trail (``storage.audit``), which is opened before the data file is touched. The
study is read and checked once per change; the statuses after it are computed from that
reading with the change applied, not by reading the files again.

A refused change raises ChangeRefused (exit 2) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from scheduler import clock
from scheduler.app.study import Study, StudyOptions, load_study
from scheduler.core.records import Records
from scheduler.core.words import Status
from scheduler.errors import ChangeRefused, InputFileError, OptionError, SchedulerError
from scheduler.paths import label
from scheduler.protocol import load_protocol_for
from scheduler.sources.folder import PARTICIPANTS_HEADER, VISITS_HEADER, resolve
from scheduler.sources.roster import ID_PATTERN
from scheduler.storage.audit import AuditTrail, Entry
from scheduler.storage.csv_file import CsvFile
from scheduler.storage.lock import locked

VISIT_COLUMNS = ("participant_id", "visit_code")
ROSTER_COLUMNS = ("participant_id", "enrollment_date")
NOT_DONE = "not done"
T = TypeVar("T")
OUT_OF_WINDOW = (Status.EARLY, Status.LATE)


@dataclass(frozen=True)
class Placed:
    """Where a recorded date falls against its window."""

    status: str  # in_window, early, late, or "not done"
    days_outside: int
    window_open: str
    target: str
    window_close: str

    def describe(self) -> str:
        window = f"window {self.window_open} to {self.window_close}, target {self.target}"
        if self.status == Status.IN_WINDOW:
            return f"in window ({window})"
        if self.status in OUT_OF_WINDOW:
            unit = "day" if self.days_outside == 1 else "days"
            return f"{self.status.upper()} by {self.days_outside} {unit} ({window})"
        return f"not done ({window})"


@dataclass(frozen=True)
class Outcome:
    """What a record or a correction did: where the date falls, the reason kept, and the
    visits already done whose status changed because their window hangs on this one."""

    placed: Placed
    reason: str
    moved: tuple[str, ...]


class ReasonNeeded(SchedulerError):
    """A date outside the window was given without a reason. Nothing was changed; the lock
    is released, so the command line can ask the nurse and try again with the reason."""

    def __init__(self, placed: Placed, message: str) -> None:
        super().__init__(message)
        self.placed = placed


def parse_day(text: str, what: str) -> dt.date:
    from scheduler.core.dates import parse_one

    parsed = parse_one(text)
    if parsed is None:
        raise OptionError(f"{what} '{text}' is not a date — write it as YYYY-MM-DD")
    return dt.date.fromisoformat(str(parsed))


class Folder:
    """One study folder's files and protocol, for a change made under its lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.inputs = resolve(folder, None, None, None)
        self.protocol = load_protocol_for(self.inputs.protocol)
        self.participants_path = self.inputs.participants or folder / "participants.csv"
        self.visits_path = self.inputs.visits or folder / "visits.csv"

    def today(self) -> dt.date:
        return clock.today_date(self.protocol.timezone)

    @functools.cached_property
    def participants(self) -> pd.DataFrame:
        """The roster as the other commands read it, checked once for this change."""
        from scheduler.sources.roster import read_participants

        path = self.participants_path
        return self._refusing_day_first(lambda: read_participants(path, label(path)))

    @functools.cached_property
    def study(self) -> Study:
        """The study as the other commands read it (the roster read once, above)."""
        return load_study(StudyOptions(self.folder), inputs=self.inputs,
                          participants=self.participants)

    def roster(self, must_exist: bool = True) -> CsvFile:
        """The roster for editing, after the same checks every command makes: a change is
        never written into a participants file the other commands refuse."""
        path = self.participants_path
        if not path.exists():
            if must_exist:
                raise ChangeRefused(f"{label(path)}: no participants file — run visit-scheduler "
                                    "init DIR, or enroll a first participant")
            return CsvFile.read(path, PARTICIPANTS_HEADER, ROSTER_COLUMNS)
        self.participants  # noqa: B018  (reads and checks the roster, once)
        return CsvFile.read(path, PARTICIPANTS_HEADER, ROSTER_COLUMNS)

    def _refusing_day_first(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except InputFileError as error:
            if "day-first" in error.message and error.message.startswith(label(self.participants_path)):
                raise ChangeRefused(f"{label(self.participants_path)}: dates are written day-first "
                                    "or month-first; the recording commands need them as YYYY-MM-DD "
                                    "— format the date columns as YYYY-MM-DD in Excel and save again",
                                    error.problems) from None
            raise

    def find(self, roster: CsvFile, participant_id: str) -> list[str]:
        for row in roster.rows:
            if roster.value(row, "participant_id") == participant_id:
                return row
        close = [roster.value(r, "participant_id") for r in roster.rows
                 if roster.value(r, "participant_id").lstrip("0") == participant_id.lstrip("0")]
        hint = f"did you mean {close[0]}?" if close else "enroll the participant first"
        raise ChangeRefused(f"participant '{participant_id}' is not in "
                            f"{label(self.participants_path)} — {hint}")

    def check_code(self, visit_code: str) -> None:
        if visit_code in self.protocol.codes:
            return
        same = [code for code in self.protocol.codes if code.casefold() == visit_code.casefold()]
        hint = (f"did you mean {same[0]}? Visit codes are case-sensitive" if same
                else f"use one of {', '.join(self.protocol.codes)}")
        raise ChangeRefused(f"visit '{visit_code}' is not in the protocol — {hint}")

    # ------------------------------------------------------------------ statuses

    def _check(self, participant_id: str, records: Records | None = None) -> pd.DataFrame:
        """One participant's check table as of today, from the study read once (or from
        ``records``: the participant's records with a change applied)."""
        from scheduler.core.status import compute_check

        study = self.study
        roster = study.participants
        mine = roster[roster["participant_id"] == participant_id].reset_index(drop=True)
        if records is None:
            records = study.records.of_participant(study.position_of(participant_id))
        return compute_check(study.protocol, mine, records, study.as_of)

    def statuses(self, participant_id: str, records: Records | None = None) -> dict[str, tuple[str, str]]:
        """Each visit's status and actual date for one participant."""
        table = self._check(participant_id, records)
        return {code: (status, str(actual)[:10]) for code, status, actual
                in zip(table["visit_code"], table["status"], table["actual_date"])}

    def with_change(self, participant_id: str, visit_code: str, day: dt.date | None,
                    reason: str) -> Records:
        """The participant's records as they will be once ``visit_code`` holds ``day``."""
        study = self.study
        mine = study.records.of_participant(study.position_of(participant_id))
        visit = self.protocol.codes.index(visit_code)
        keep = mine.visit != visit
        actual = np.datetime64(day.isoformat(), "D") if day is not None else np.datetime64("NaT")
        return Records(np.zeros(int(keep.sum()) + 1, dtype=np.int64),
                       np.append(mine.visit[keep], visit),
                       np.append(mine.actual_date[keep], actual).astype("M8[D]"),
                       np.append(mine.reason[keep], np.array([reason], dtype=object)), ())

    def moved(self, participant_id: str, before: dict[str, tuple[str, str]],
              changed: str, after_records: Records) -> tuple[str, ...]:
        """Visits already done, other than ``changed``, whose status changed (their window
        hangs on the changed visit): they may now need a reason."""
        after = self.statuses(participant_id, after_records)
        notes = []
        for code, (status, actual) in after.items():
            was = before.get(code, ("", ""))[0]
            if code != changed and actual != "NaT" and status != was:
                notes.append(f"{participant_id} {code} (done {actual}) is now {status.replace('_', ' ')}, "
                             f"was {was.replace('_', ' ')}: its window moved with {changed} — check "
                             "it, and add a reason if it is now out of window")
        return tuple(notes)

    def placed(self, participant_id: str, visit_code: str, day: dt.date | None) -> Placed:
        """The visit's window as things stand (re-anchored on recorded dates), and where
        ``day`` falls in it."""
        table = self._check(participant_id)
        row = table[table["visit_code"] == visit_code].iloc[0]
        opens, closes = row["window_open"].date(), row["window_close"].date()
        target = row["target_date"].date()
        if day is None:
            status, days = NOT_DONE, 0
        elif day < opens:
            status, days = Status.EARLY, (opens - day).days
        elif day > closes:
            status, days = Status.LATE, (day - closes).days
        else:
            status, days = Status.IN_WINDOW, 0
        return Placed(status, days, str(opens), str(target), str(closes))


def enroll(folder: Path, participant_id: str, day: dt.date, site: str | None, by: str) -> str:
    with locked(folder):
        study = Folder(folder)
        path = study.participants_path
        roster = study.roster(must_exist=False)
        if not re.match(ID_PATTERN, participant_id):
            raise ChangeRefused(f"participant ID '{participant_id}' must start with a letter or a digit")
        for row in roster.rows:
            if roster.value(row, "participant_id") == participant_id:
                raise ChangeRefused(f"participant {participant_id} is already enrolled "
                                    f"({label(path)}:{roster.line_of(row)})")
        values = {"participant_id": participant_id, "enrollment_date": day.isoformat()}
        if site:
            values["site"] = site
        trail = AuditTrail(folder, by, study.protocol.timezone)
        roster.rows.append(roster.new_row(**values))
        roster.write()
        entries = [Entry("enroll", participant_id, "", "enrollment_date", "", day.isoformat(), "")]
        if site:
            entries.append(Entry("enroll", participant_id, "", "site", "", site, ""))
        trail.append(entries)
    later = " (a date after today: the participant is listed as not yet enrolled until then)" \
        if day > study.today() else ""
    return f"Enrolled {participant_id} on {day}{later}"


def record(folder: Path, participant_id: str, visit_code: str, day: dt.date | None,
           reason: str, by: str) -> Outcome:
    """Record a visit done on ``day`` (or not done: ``day`` None, a reason required).

    A date outside the window without a reason raises ReasonNeeded and changes nothing."""
    with locked(folder):
        study = Folder(folder)
        roster = study.roster()
        person = study.find(roster, participant_id)
        study.check_code(visit_code)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_COLUMNS)
        for row in visits.rows:
            if (visits.value(row, "participant_id"), visits.value(row, "visit_code")) == (participant_id, visit_code):
                recorded = visits.value(row, "actual_date") or "not done"
                raise ChangeRefused(
                    f"{participant_id} {visit_code} is already recorded ({recorded}, "
                    f"{label(study.visits_path)}:{visits.line_of(row)}) — to change it, use "
                    f"visit-scheduler correct {participant_id} {visit_code} DATE --reason …")
        if day is None and not reason:
            raise ChangeRefused("a visit that did not happen needs a reason: give --reason")
        if day is not None:
            _check_day(study, roster, person, participant_id, visit_code, day)
        placed = study.placed(participant_id, visit_code, day)
        if placed.status in OUT_OF_WINDOW and not reason:
            raise ReasonNeeded(placed, f"{participant_id} {visit_code} on {day} is {placed.describe()}: "
                                       "a date outside the window needs a reason — give --reason")
        before = study.statuses(participant_id)
        trail = AuditTrail(folder, by, study.protocol.timezone)
        visits.rows.append(visits.new_row(participant_id=participant_id, visit_code=visit_code,
                                          actual_date=day.isoformat() if day else "", reason=reason))
        visits.write()
        trail.append([Entry("record" if day else "not done", participant_id, visit_code,
                            "actual_date", "", day.isoformat() if day else "", reason)])
        moved = study.moved(participant_id, before, visit_code,
                            study.with_change(participant_id, visit_code, day, reason))
        if day is not None:
            moved += _order_notes(study.protocol.codes, before, participant_id, visit_code, day)
    return Outcome(placed, reason, moved)


def _order_notes(codes: tuple[str, ...], recorded: dict[str, tuple[str, str]], participant_id: str,
                 visit_code: str, day: dt.date) -> tuple[str, ...]:
    """A visit dated before one that comes earlier in the protocol (or after a later one):
    the check will list it as done out of protocol order, so say so now."""
    place = codes.index(visit_code)
    notes = []
    for index, code in enumerate(codes):
        actual = recorded.get(code, ("", "NaT"))[1]
        if code == visit_code or actual == "NaT":
            continue
        if index < place and actual > day.isoformat():
            notes.append(f"{participant_id} {visit_code} on {day} is dated before {code} ({actual}), "
                         "which comes earlier in the protocol: the check will list it as out of order")
        elif index > place and actual < day.isoformat():
            notes.append(f"{participant_id} {visit_code} on {day} is dated after {code} ({actual}), "
                         "which comes later in the protocol: the check will list it as out of order")
    return tuple(notes)


def _check_day(study: Folder, roster: CsvFile, person: list[str], participant_id: str,
               visit_code: str, day: dt.date) -> None:
    today = study.today()
    if day > today:
        raise ChangeRefused(f"{day} is after today ({today} in {study.protocol.timezone}) — a "
                            "visit cannot be recorded before it happens")
    enrolled = parse_day(roster.value(person, "enrollment_date"), "enrollment_date")
    if day < enrolled and visit_code not in study.protocol.may_precede_enrollment():
        raise ChangeRefused(f"{day} is before {participant_id} was enrolled ({enrolled})")
    withdrawn = roster.value(person, "withdrawal_date")
    if withdrawn and day > parse_day(withdrawn, "withdrawal_date"):
        raise ChangeRefused(f"{participant_id} withdrew on {withdrawn}: no visit after that date")


def correct(folder: Path, participant_id: str, visit_code: str, day: dt.date | None,
            reason: str, by: str, visit_reason: str = "") -> Outcome:
    """Change a recorded visit's date (or make it "not done"); the old value stays in the
    audit trail. ``reason`` says why the record is corrected (the trail); ``visit_reason``
    is the visit's own reason (why out of window, or not done), needed when the corrected
    record is a deviation that has none yet."""
    if not reason:
        raise ChangeRefused("a correction needs a reason: give --reason")
    with locked(folder):
        study = Folder(folder)
        roster = study.roster()
        person = study.find(roster, participant_id)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_COLUMNS)
        key = (participant_id, visit_code)
        mine = [row for row in visits.rows
                if (visits.value(row, "participant_id"), visits.value(row, "visit_code")) == key]
        study.check_code(visit_code)
        if not mine:
            raise ChangeRefused(f"{participant_id} {visit_code} has no record to correct — use "
                                f"visit-scheduler record {participant_id} {visit_code} DATE")
        if len(mine) > 1:
            lines = ", ".join(str(visits.line_of(row)) for row in mine)
            raise ChangeRefused(f"{participant_id} {visit_code} has {len(mine)} records (lines {lines} "
                                f"of {label(study.visits_path)}) — keep one by editing the file first")
        row = mine[0]
        if day is not None:
            _check_day(study, roster, person, participant_id, visit_code, day)
        placed = study.placed(participant_id, visit_code, day)
        old_date, old_reason = visits.value(row, "actual_date"), visits.value(row, "reason")
        kept = visit_reason or old_reason
        if (day is None or placed.status in OUT_OF_WINDOW) and not kept:
            what = "not done" if day is None else placed.describe()
            raise ReasonNeeded(placed, f"{participant_id} {visit_code} corrected to {day or 'not done'} is "
                                       f"{what}: the visit needs its own reason — give --visit-reason")
        before = study.statuses(participant_id)
        trail = AuditTrail(folder, by, study.protocol.timezone)
        new_date = day.isoformat() if day else ""
        visits.set(row, "actual_date", new_date)
        entries = [Entry("correct", participant_id, visit_code, "actual_date", old_date, new_date,
                         reason)]
        if kept != old_reason:
            visits.set(row, "reason", kept)
            entries.append(Entry("correct", participant_id, visit_code, "reason", old_reason, kept,
                                 reason))
        visits.write()
        trail.append(entries)
        moved = study.moved(participant_id, before, visit_code,
                            study.with_change(participant_id, visit_code, day, kept))
    return Outcome(placed, kept, moved)


def withdraw(folder: Path, participant_id: str, day: dt.date, reason: str, by: str) -> str:
    if not reason:
        raise ChangeRefused("a withdrawal needs a reason: give --reason")
    with locked(folder):
        study = Folder(folder)
        roster = study.roster()
        person = study.find(roster, participant_id)
        earlier = roster.value(person, "withdrawal_date")
        if earlier:
            raise ChangeRefused(f"{participant_id} already withdrew on {earlier} "
                                f"({label(study.participants_path)}:{roster.line_of(person)})")
        enrolled = parse_day(roster.value(person, "enrollment_date"), "enrollment_date")
        if day < enrolled:
            raise ChangeRefused(f"{day} is before {participant_id} was enrolled ({enrolled})")
        if day > study.today():
            raise ChangeRefused(f"{day} is after today ({study.today()}): record a withdrawal "
                                "on the day it happens")
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_COLUMNS)
        after = [f"{visits.value(r, 'visit_code')} on {visits.value(r, 'actual_date')}"
                 for r in visits.rows if visits.value(r, "participant_id") == participant_id
                 and visits.value(r, "actual_date") and parse_day(visits.value(r, "actual_date"), "date") > day]
        if after:
            raise ChangeRefused(f"{participant_id} has visits recorded after {day} "
                                f"({', '.join(after)}) — check the withdrawal date")
        old_reason = roster.value(person, "withdrawal_reason")
        trail = AuditTrail(folder, by, study.protocol.timezone)
        roster.set(person, "withdrawal_date", day.isoformat())
        roster.set(person, "withdrawal_reason", reason)
        roster.write()
        entries = [Entry("withdraw", participant_id, "", "withdrawal_date", "", day.isoformat(), reason)]
        if old_reason != reason:  # a reason typed earlier by hand is kept in the trail
            entries.append(Entry("withdraw", participant_id, "", "withdrawal_reason", old_reason,
                                 reason, reason))
        trail.append(entries)
    return f"Withdrew {participant_id} on {day} ({reason})"


def audit_table(folder: Path, participant_id: str | None) -> pd.DataFrame:
    """The audit trail, or one participant's lines of it, as the terminal shows it."""
    from scheduler.storage.audit import AUDIT_COLUMNS, read_audit

    entries = read_audit(folder)
    if participant_id:
        entries = [e for e in entries if e.get("participant_id") == participant_id]
    frame = pd.DataFrame(entries, columns=AUDIT_COLUMNS).fillna("")
    return frame[["when_local", "who", "action", "participant_id", "visit_code", "field",
                  "old_value", "new_value", "reason"]]
