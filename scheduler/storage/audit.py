"""The audit trail, ``audit.csv``: every change to the study's record, attributable,
contemporaneous and tamper-evident (21 CFR Part 11 §11.10(e), ALCOA+).

One line per event, only ever appended, never removed or rewritten:

    change_id      the change the line belongs to (1, 2, …)
    step           baseline | intent | value | done | completed | rolled back
    when_utc, when_local   when, in UTC and in the study's zone
    who            the login name, always; on_behalf_of: --by NAME
    action         enroll, record, correct, withdraw, …, accept (verify --accept), baseline
    file, line     the file changed and the row's line in it (header = line 1)
    participant_id, visit_code, field, old_value, new_value   what changed
    op             add (a new row), set (a value), remove (a row): how replay applies it
    reason         why (required for every correction)
    accepted_by, file_modified   for changes made outside the tool and accepted
    files_sha256   on intent, done, completed and baseline lines: the digest of the record
                   files (participants, visits) the change leaves
    protocol_sha256  the protocol (and closures) files in use
    prev_sha256    SHA-256 of the previous line as written (64 zeros before the first)

A trail begun by visit-scheduler 0.1.0 has another header; its lines stay as they are,
marked as not provable, and a new header starts the provable trail below them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from scheduler.errors import ChangeRefused
from scheduler.i18n import _
from scheduler.paths import label

AUDIT_FILE = "audit.csv"
AUDIT_FOLDER = "audit"  # the baseline copies, named by their digest; staged files of a change
AUDIT_COLUMNS = ["change_id", "step", "when_utc", "when_local", "who", "on_behalf_of", "action",
                 "file", "line", "participant_id", "visit_code", "field", "op", "old_value",
                 "new_value", "reason", "accepted_by", "file_modified", "files_sha256",
                 "protocol_sha256", "prev_sha256"]
# The trail as visit-scheduler 0.1.0 wrote it: kept, not provable.
OLD_COLUMNS = ["when_utc", "when_local", "who", "action", "participant_id", "visit_code",
               "field", "old_value", "new_value", "reason"]
ZEROS = "0" * 64
OUTSIDE = "outside the tool"

# The steps that end a change: after one of them the change is whole.
ENDS = ("done", "completed", "rolled back")


def who(by: str | None = None) -> str:
    """The login name (getpass works without a terminal). ``by`` is ignored here: it is
    recorded as on_behalf_of, never instead of the login."""
    import getpass  # here: reading the trail (verify) needs no login name

    try:
        return getpass.getuser()
    except Exception:  # no login name at all (a bare container): say so in the trail
        return "unknown"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Line:
    """One line of the trail as read."""

    number: int  # the line in audit.csv as an editor shows it
    raw: str  # the text as written, without its line end
    values: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def change(self) -> int:
        try:
            return int(self["change_id"])
        except ValueError:
            return 0


@dataclass
class Trail:
    """audit.csv as read: the provable lines, and how many older lines came before them."""

    path: Path
    lines: list[Line] = field(default_factory=list)
    old_lines: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # lines that cannot be read at all

    total_lines: int = 0  # lines in the file, headers included (as `wc -l` counts them)
    has_header: bool = False  # the provable trail's header is there

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def last_hash(self) -> str:
        return sha256_text(self.lines[-1].raw) if self.lines else ZEROS

    @property
    def next_change(self) -> int:
        return max((line.change for line in self.lines), default=0) + 1

    def head(self) -> str:
        """What the monitor keeps outside the folder: line count and last hash."""
        # TRANSLATORS: the audit trail's head, which the monitor copies and keeps; keep the word
        # "sha256" (the weekly report looks for it). {count} counts lines, {digest} is a hash.
        return _("{count} lines (headers included), last line sha256 {digest}").format(
            count=self.total_lines, digest=self.last_hash)

    def unfinished(self) -> list[Line]:
        """The lines of the last change when it has no end (done, completed, rolled back)."""
        if not self.lines:
            return []
        last = self.lines[-1].change
        mine = [line for line in self.lines if line.change == last]
        if any(line["step"] in ENDS or line["step"] == "baseline" for line in mine):
            return []
        return mine

    def last_files_digest(self) -> str | None:
        """files_sha256 of the last line that has one (the head the files should match)."""
        for line in reversed(self.lines):
            if line["step"] in ("done", "completed", "rolled back", "baseline") and line["files_sha256"]:
                return line["files_sha256"]
        return None

    def last_protocol_digest(self) -> str | None:
        for line in reversed(self.lines):
            if line["step"] in ("done", "completed", "baseline") and line["protocol_sha256"]:
                return line["protocol_sha256"]
        return None


class Break(NamedTuple):
    """A place where the trail does not follow from itself: a chain break or a time that
    goes backwards. ``expected`` and ``found`` are the two values that disagree."""

    line: int
    kind: str  # "chain" or "(time)"
    expected: str
    found: str


def breaks(trail: Trail) -> list[Break]:
    """Every line's prev_sha256 is the hash of the line before it (zeros before the first),
    and no line is dated before the one above it. A break recorded by verify --accept stays
    accepted only while both lines are exactly what they were when it was accepted."""
    accepted = {(_number(line["line"]), line["field"], line["old_value"], line["new_value"])
                for line in trail.lines
                if line["step"] == "value" and line["file"] == AUDIT_FILE and line["action"] == "accept"}
    found = []
    previous, previous_time = ZEROS, ""
    for line in trail.lines:
        if line["prev_sha256"] != previous and (line.number, "chain", previous, line["prev_sha256"]) not in accepted:
            found.append(Break(line.number, "chain", previous, line["prev_sha256"]))
        when = line["when_utc"]
        if when and previous_time and when < previous_time and \
                (line.number, "(time)", previous_time, when) not in accepted:
            found.append(Break(line.number, "(time)", previous_time, when))
        previous = sha256_text(line.raw)
        previous_time = max(previous_time, when)
    return found


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def read_trail(folder: Path) -> Trail:
    """audit.csv as it is (an empty Trail when there is none). Never raises for content:
    what cannot be read is listed in ``problems`` for verify."""
    path = folder / AUDIT_FILE
    trail = Trail(path)
    if not path.exists():
        return trail
    try:
        raw = path.read_bytes()
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
        raise ChangeRefused(_("{file}: the audit trail cannot be written — it cannot even be "
                              "read ({reason}); nothing was changed")
                            .format(file=label(path), reason=error.strerror)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        trail.problems.append(_("{file}: the audit trail is not UTF-8 text any more "
                                "(saved by another program?)").format(file=label(path)))
        text = raw.decode("utf-8-sig", errors="replace")
    physical = text.split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    trail.total_lines = len(physical)
    columns: list[str] | None = None
    shown = label(path)
    for number, raw_line, cells in _records(physical):
        if columns is AUDIT_COLUMNS:
            # Once the provable trail has begun, every line is part of its chain, whatever it
            # holds: a header or an older line typed in below it is a line like any other,
            # and breaks the chain where it stands.
            if cells in (AUDIT_COLUMNS, OLD_COLUMNS):
                trail.problems.append(_("{file}:{line}: a header line inside the trail")
                                      .format(file=shown, line=number))
            elif cells is None:
                trail.problems.append(_("{file}:{line}: the line cannot be read as CSV")
                                      .format(file=shown, line=number))
            elif len(cells) != len(AUDIT_COLUMNS):
                # TRANSLATORS: {cells} and {columns} are numbers of CSV cells.
                trail.problems.append(_("{file}:{line}: the line has {cells} cells where the header "
                                        "has {columns}").format(file=shown, line=number, cells=len(cells),
                                                                columns=len(AUDIT_COLUMNS)))
            trail.lines.append(Line(number, raw_line, dict(zip(AUDIT_COLUMNS, cells or []))))
            continue
        if cells == AUDIT_COLUMNS:
            columns = AUDIT_COLUMNS
            trail.has_header = True
            continue
        if cells == OLD_COLUMNS:
            columns = OLD_COLUMNS
            continue
        if columns is None or cells is None:
            message = _("{file}:{line}: a line before any header") if columns is None \
                else _("{file}:{line}: the line cannot be read as CSV")
            trail.problems.append(message.format(file=shown, line=number))
            continue
        trail.old_lines.append(dict(zip(columns, cells)))
    return trail


def _records(physical: list[str]) -> Iterator[tuple[int, str, list[str] | None]]:
    """Each CSV record of the trail: its first line's number, its text as written (a value
    may hold a line break), its cells (None when it is not CSV)."""
    number = 0
    while number < len(physical):
        start = number
        text = physical[number]
        number += 1
        # A quoted value that holds a line break goes on to the next line.
        while text.count('"') % 2 and number < len(physical):
            text += "\n" + physical[number]
            number += 1
        line = text[:-1] if text.endswith("\r") else text
        try:
            cells = next(csv.reader([line], strict=True)) if line else []
        except csv.Error:
            cells = None
        yield start + 1, line, cells


def _moment(now: dt.datetime | None, timezone: str) -> tuple[str, str]:
    import pendulum  # only when a line is written: verify and audit read without it (15 ms)

    moment = pendulum.instance(now) if now is not None else pendulum.now("UTC")
    utc = moment.in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss") + "Z"
    local = moment.in_timezone(timezone).format("YYYY-MM-DDTHH:mm:ssZ")
    return utc, local


class Appender:
    """audit.csv, opened for appending *before* a data file is changed: if it cannot be
    written (open in Excel on Windows, a folder of that name…), nothing is changed.

    Each ``append`` is one write of whole lines, flushed to disk before it returns; every
    line carries the hash of the line before it."""

    def __init__(self, folder: Path, timezone: str, trail: Trail | None = None) -> None:
        self.path = folder / AUDIT_FILE
        self.timezone = timezone
        self.trail = trail if trail is not None else read_trail(folder)
        self.previous = self.trail.last_hash
        try:
            size = self.path.stat().st_size if self.path.exists() else 0
            self.descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as error:
            # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
            raise ChangeRefused(_("{file}: the audit trail cannot be written "
                                  "({reason}) — close it if it is open in Excel; nothing "
                                  "was changed").format(file=label(self.path), reason=error.strerror)) from None
        self.needs_header = size == 0 or not self.trail.has_header
        self.bom = size == 0  # Excel's "CSV UTF-8", so a double-click shows Chinese text right
        self.ends_without_newline = size > 0 and self._last_byte() != b"\n"

    def _last_byte(self) -> bytes:
        with open(self.path, "rb") as stream:
            stream.seek(-1, os.SEEK_END)
            return stream.read(1)

    def append(self, rows: list[dict[str, str]], now: dt.datetime | None = None) -> list[str]:
        """Append these lines (each a dict of some AUDIT_COLUMNS); returns their texts."""
        utc, local = _moment(now, self.timezone)
        out = io.StringIO()
        texts = []
        if self.ends_without_newline:
            out.write("\n")
            self.ends_without_newline = False
        if self.needs_header:
            out.write(("\ufeff" if self.bom else "") + _csv_line(AUDIT_COLUMNS) + "\n")
            self.needs_header = False
            self.previous = ZEROS
        for row in rows:
            values = {"when_utc": utc, "when_local": local, **row, "prev_sha256": self.previous}
            text = _csv_line([values.get(name, "") for name in AUDIT_COLUMNS])
            out.write(text + "\n")
            texts.append(text)
            self.previous = sha256_text(text)
        data = out.getvalue().encode("utf-8")
        try:
            os.write(self.descriptor, data)
            os.fsync(self.descriptor)
        except OSError as error:
            # TRANSLATORS: {reason} is the operating system's reason ("No space left on device").
            raise ChangeRefused(_("{file}: the audit trail cannot be written ({reason})")
                                .format(file=label(self.path), reason=error.strerror)) from None
        return texts

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.descriptor)


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def read_audit(folder: Path) -> list[dict[str, str]]:
    """Every line of the trail as a dict: the older, not provable lines (0.1.0's columns)
    and the provable ones."""
    trail = read_trail(folder)
    return [*trail.old_lines, *(line.values for line in trail.lines)]
