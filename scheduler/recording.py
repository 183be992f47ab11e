"""Changes to a study folder at the point of care, with an audit trail.

enroll, record (a visit done, or not done), withdraw and correct change the study folder's
participants.csv and visits.csv. Every change:

- holds a lock on the study folder (``.visit-scheduler.lock``, through the filelock package)
  while it reads the files, checks the change and writes, so two nurses recording at the
  same moment both succeed, one after the other;
- rewrites the file through a temporary file renamed into place, so a crash mid-write
  leaves the previous file intact; the file keeps its encoding, its other columns (a name,
  a phone number) and its rows exactly, so a site can go on opening it in Excel;
- is appended to ``audit.csv``: when (UTC and the study's zone), who, what, the old and new
  value, and why. Corrections never erase history: the old value stays in the trail.

A refused change raises SchedulerError (exit 2) and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pendulum

from scheduler.errors import OptionError, SchedulerError
from scheduler.sources import ID_PATTERN, decode, header_names, separator_of
from scheduler.studyfolder import (PARTICIPANTS_HEADER, VISITS_HEADER, atomic_write, label,
                                   resolve)

AUDIT_FILE = "audit.csv"
LOCK_FILE = ".visit-scheduler.lock"
AUDIT_COLUMNS = ["when_utc", "when_local", "who", "action", "participant_id", "visit_code",
                 "field", "old_value", "new_value", "reason"]
LOCK_TIMEOUT = 60  # seconds: a nurse waits at most this long for another nurse's change


class ChangeRefused(SchedulerError):
    """The change cannot be made: nothing was written."""


def who(by: str | None) -> str:
    """--by, else the login name (getpass works without a terminal)."""
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no login name at all (a bare container): say so in the trail
        return "unknown"


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / LOCK_FILE), timeout=LOCK_TIMEOUT)
    try:
        with lock:
            yield
    except Timeout:
        raise ChangeRefused(f"{label(folder)}: another change has held the study folder for "
                            f"{LOCK_TIMEOUT} s — nothing was changed; try again in a moment "
                            "(another visit-scheduler command is still at work)") from None


# --------------------------------------------------------------------------- CSV files kept as they are


@dataclass
class CsvFile:
    """A site CSV read for editing: its rows as text, its header, how to write it back."""

    path: Path
    encoding: str
    header: list[str]
    names: list[str]  # normalised column names
    rows: list[list[str]]
    newline: str = "\n"  # kept as the file had it (Excel on Windows writes \r\n)
    separator: str = ","  # kept too: a semicolon or tab file stays one
    ascii_only: bool = True  # an all-ASCII file could have been any encoding

    @classmethod
    def read(cls, path: Path, default_header: str, required: tuple[str, ...]) -> CsvFile:
        shown = label(path)
        if path.suffix.lower() != ".csv":
            raise ChangeRefused(f"{shown}: changes are written to CSV files only — save the "
                                "workbook as 'CSV UTF-8' and use that")
        header = default_header.strip().split(",")
        if not path.exists():
            return cls(path, "utf-8", header, header_names(header, shown), [])
        raw = path.read_bytes()
        text, encoding = decode(raw, shown, None)
        newline = "\r\n" if "\r\n" in text else "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        separator = separator_of(text.split("\n", 1)[0])
        rows = list(csv.reader(io.StringIO(text), delimiter=separator))
        if not rows:
            return cls(path, encoding, header, header_names(header, shown), [], newline, separator)
        file = cls(path, encoding, rows[0], header_names(rows[0], shown), rows[1:], newline, separator,
                   raw.isascii())
        missing = [name for name in required if name not in file.names]
        if missing:
            raise ChangeRefused(f"{shown}: the header has no {', '.join(missing)} column — "
                                f"columns found: {', '.join(file.names)}; nothing was changed")
        return file

    def column(self, name: str) -> int:
        """The position of a column, added at the end when the file does not have it yet."""
        if name not in self.names:
            self.names.append(name)
            self.header.append(name)
        return self.names.index(name)

    def value(self, row: list[str], name: str) -> str:
        position = self.names.index(name) if name in self.names else -1
        return row[position].strip() if 0 <= position < len(row) else ""

    def set(self, row: list[str], name: str, value: str) -> None:
        position = self.column(name)
        row.extend([""] * (position + 1 - len(row)))
        row[position] = value

    def new_row(self, **values: str) -> list[str]:
        row = [""] * len(self.header)
        for name, value in values.items():
            self.set(row, name, value)
        return row

    def line_of(self, row: list[str]) -> int:
        return self.rows.index(row) + 2

    def write(self) -> None:
        width = len(self.header)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.separator, lineterminator=self.newline)
        writer.writerow(self.header)
        writer.writerows(row + [""] * (width - len(row)) for row in self.rows)
        content = buffer.getvalue()
        encoding = self.encoding
        if encoding == "utf-8" and self.ascii_only and not content.isascii():
            # The first Chinese text in a plain-ASCII file: write Excel's "CSV UTF-8" (with
            # a byte-order mark), which Excel on Chinese Windows opens correctly.
            encoding = "utf-8-sig"
        with atomic_write(self.path, mode="wb") as stream:
            stream.write(content.encode(encoding))


# --------------------------------------------------------------------------- the audit trail


@dataclass(frozen=True)
class Entry:
    action: str
    participant_id: str
    visit_code: str
    field: str
    old_value: str
    new_value: str
    reason: str


class AuditTrail:
    """audit.csv, opened for appending *before* a data file is changed: if it cannot be
    written (open in Excel on Windows, a folder of that name…), nothing is changed."""

    def __init__(self, folder: Path, by: str, timezone: str):
        self.path = folder / AUDIT_FILE
        self.by = by
        self.timezone = timezone
        try:
            self.new = not self.path.exists() or self.path.stat().st_size == 0
            self.descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as error:
            raise ChangeRefused(f"{label(self.path)}: the audit trail cannot be written "
                                f"({error.strerror}) — close it if it is open in Excel; nothing "
                                "was changed") from None

    def append(self, entries: list[Entry], now: dt.datetime | None = None) -> None:
        """One line per changed value, in a single write."""
        moment = pendulum.instance(now) if now is not None else pendulum.now("UTC")
        utc = moment.in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss") + "Z"
        local = moment.in_timezone(self.timezone).format("YYYY-MM-DDTHH:mm:ssZ")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if self.new:
            writer.writerow(AUDIT_COLUMNS)
        for entry in entries:
            writer.writerow([utc, local, self.by, entry.action, entry.participant_id,
                             entry.visit_code, entry.field, entry.old_value, entry.new_value,
                             entry.reason])
        try:
            os.write(self.descriptor, buffer.getvalue().encode("utf-8"))
            os.fsync(self.descriptor)
        finally:
            os.close(self.descriptor)


# --------------------------------------------------------------------------- changes


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
        if self.status == "in_window":
            return f"in window ({window})"
        if self.status in ("early", "late"):
            unit = "day" if self.days_outside == 1 else "days"
            return f"{self.status.upper()} by {self.days_outside} {unit} ({window})"
        return f"not done ({window})"


class Folder:
    """One study folder's files and protocol, for changes."""

    def __init__(self, folder: Path):
        self.folder = folder
        inputs = resolve(folder, None, None, None)
        from scheduler.protocol import load_protocol_for

        self.protocol = load_protocol_for(inputs)
        self.participants_path = inputs.participants or folder / "participants.csv"
        self.visits_path = inputs.visits or folder / "visits.csv"

    def today(self) -> dt.date:
        return pendulum.now(self.protocol.timezone).date()

    def roster(self, must_exist: bool = True) -> CsvFile:
        """The roster for editing, after the same checks every command makes: a change is
        never written into a participants file the other commands refuse."""
        from scheduler.errors import InputFileError
        from scheduler.sources import read_participants

        path = self.participants_path
        if not path.exists():
            if must_exist:
                raise ChangeRefused(f"{label(path)}: no participants file — run visit-scheduler "
                                    "init DIR, or enroll a first participant")
            return CsvFile.read(path, PARTICIPANTS_HEADER, ROSTER_COLUMNS)
        try:
            read_participants(path, label(path))
        except InputFileError as error:
            if "day-first" in error.message:
                raise ChangeRefused(f"{label(path)}: dates are written day-first or month-first; "
                                    "the recording commands need them as YYYY-MM-DD — format the "
                                    "date columns as YYYY-MM-DD in Excel and save again",
                                    error.problems) from None
            raise
        return CsvFile.read(path, PARTICIPANTS_HEADER, ROSTER_COLUMNS)

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

    def statuses(self, participant_id: str) -> dict[str, tuple[str, str]]:
        """Each visit's status and actual date for one participant, as things stand."""
        table = self._check(participant_id)
        return {code: (status, str(actual)[:10]) for code, status, actual
                in zip(table["visit_code"], table["status"], table["actual_date"])}

    def moved(self, participant_id: str, before: dict[str, tuple[str, str]],
              changed: str) -> tuple[str, ...]:
        """Visits already done, other than ``changed``, whose status changed (their window
        hangs on the changed visit): they may now need a reason."""
        after = self.statuses(participant_id)
        notes = []
        for code, (status, actual) in after.items():
            was = before.get(code, ("", ""))[0]
            if code != changed and actual != "NaT" and status != was:
                notes.append(f"{participant_id} {code} (done {actual}) is now {status.replace('_', ' ')}, "
                             f"was {was.replace('_', ' ')}: its window moved with {changed} — check "
                             "it, and add a reason if it is now out of window")
        return tuple(notes)

    def _check(self, participant_id: str):  # type: ignore[no-untyped-def]
        from scheduler.status import compute_check
        from scheduler.study import ReadOptions, load_study

        study = load_study(resolve(self.folder, None, None, None), None, ReadOptions())
        roster = study.participants
        mine = roster[roster["participant_id"] == participant_id].reset_index(drop=True)
        position = int(np.flatnonzero(roster["participant_id"].to_numpy() == participant_id)[0])
        return compute_check(study.protocol, mine, study.records.of_participant(position), study.as_of)

    def placed(self, participant_id: str, visit_code: str, day: dt.date | None) -> Placed:
        """The visit's window as things stand (re-anchored on recorded dates), and where
        ``day`` falls in it."""
        table = self._check(participant_id)
        row = table[table["visit_code"] == visit_code].iloc[0]
        opens, closes = row["window_open"].date(), row["window_close"].date()
        target = row["target_date"].date()
        if day is None:
            status, days = "not done", 0
        elif day < opens:
            status, days = "early", (opens - day).days
        elif day > closes:
            status, days = "late", (day - closes).days
        else:
            status, days = "in_window", 0
        return Placed(status, days, str(opens), str(target), str(closes))


def parse_day(text: str, what: str) -> dt.date:
    from scheduler.dates import parse_one

    parsed = parse_one(text)
    if parsed is None:
        raise OptionError(f"{what} '{text}' is not a date — write it as YYYY-MM-DD")
    return dt.date.fromisoformat(str(parsed))


class ReasonNeeded(SchedulerError):
    """A date outside the window was given without a reason. Nothing was changed; the lock
    is released, so the command line can ask the nurse and try again with the reason."""

    def __init__(self, placed: Placed, message: str):
        super().__init__(message)
        self.placed = placed


VISIT_COLUMNS = ("participant_id", "visit_code")
ROSTER_COLUMNS = ("participant_id", "enrollment_date")


def enroll(folder: Path, participant_id: str, day: dt.date, site: str | None, by: str) -> str:
    import re

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


@dataclass(frozen=True)
class Outcome:
    """What a record or a correction did: where the date falls, the reason kept, and the
    visits already done whose status changed because their window hangs on this one."""

    placed: Placed
    reason: str
    moved: tuple[str, ...]


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
        if placed.status in ("early", "late") and not reason:
            raise ReasonNeeded(placed, f"{participant_id} {visit_code} on {day} is {placed.describe()}: "
                                       "a date outside the window needs a reason — give --reason")
        before = study.statuses(participant_id)
        trail = AuditTrail(folder, by, study.protocol.timezone)
        visits.rows.append(visits.new_row(participant_id=participant_id, visit_code=visit_code,
                                          actual_date=day.isoformat() if day else "", reason=reason))
        visits.write()
        trail.append([Entry("record" if day else "not done", participant_id, visit_code,
                            "actual_date", "", day.isoformat() if day else "", reason)])
        moved = study.moved(participant_id, before, visit_code)
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
        mine = [row for row in visits.rows
                if (visits.value(row, "participant_id"), visits.value(row, "visit_code")) == (participant_id, visit_code)]
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
        if (day is None or placed.status in ("early", "late")) and not kept:
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
        moved = study.moved(participant_id, before, visit_code)
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


def read_audit(folder: Path) -> list[dict[str, str]]:
    path = folder / AUDIT_FILE
    if not path.exists():
        return []
    text, _ = decode(path.read_bytes(), label(path), None)  # Excel may have saved it as GBK
    return list(csv.DictReader(io.StringIO(text.replace("\r\n", "\n"))))
