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
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from scheduler import clock
from scheduler.app.results import Messages
from scheduler.app.study import Study, StudyOptions, load_study
from scheduler.core.records import Records
from scheduler.core.versions import Moves
from scheduler.core.words import AGE_RANGE, WITHDRAWAL_CATEGORIES, Status
from scheduler.errors import ChangeRefused, InputFileError, OptionError, Problems, SchedulerError
from scheduler.i18n import _, ngettext
from scheduler.outputs.people import status_word
from scheduler.paths import label
from scheduler.protocol import load_protocol_for
from scheduler.protocol.model import Protocol
from scheduler.sources.folder import PARTICIPANTS_HEADER, ROSTER_FIELDS, VISIT_FIELDS, VISITS_HEADER, resolve
from scheduler.sources.roster import ID_PATTERN, PARTICIPANT_COLUMNS, age_in_range, category_term, sex_code, whole_years
from scheduler.storage.audit import Trail
from scheduler.storage.change import ADD, REMOVE, SET, Edit, InterruptedAfterChange, RecordFiles, changing, commit
from scheduler.storage.csv_file import CsvFile
from scheduler.storage.lock import locked

# The columns a file must have for a change to be written into it.
VISIT_KEYS = ("participant_id", "visit_code")
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
        window = {"window_open": self.window_open, "window_close": self.window_close,
                  "target": self.target}
        if self.status == Status.IN_WINDOW:
            return _("in window (window {window_open} to {window_close}, target {target})").format(**window)
        if self.status == Status.EARLY:
            return ngettext("EARLY by {count} day (window {window_open} to {window_close}, target {target})",
                            "EARLY by {count} days (window {window_open} to {window_close}, target {target})",
                            self.days_outside).format(count=self.days_outside, **window)
        if self.status == Status.LATE:
            return ngettext("LATE by {count} day (window {window_open} to {window_close}, target {target})",
                            "LATE by {count} days (window {window_open} to {window_close}, target {target})",
                            self.days_outside).format(count=self.days_outside, **window)
        if self.status == Status.UNSCHEDULED:
            return _("an unscheduled visit (no window: never judged)")
        return _("not done (window {window_open} to {window_close}, target {target})").format(**window)


@dataclass(frozen=True)
class Outcome:
    """What a record or a correction did: where the date falls, the reason kept, and the
    visits already done whose status changed because their window hangs on this one."""

    placed: Placed
    reason: str
    moved: tuple[str, ...]
    # The windows of other visits that shift with this one (their anchor), in words.
    shifted: tuple[str, ...] = ()


class ReasonNeeded(SchedulerError):
    """A date outside the window was given without a reason. Nothing was changed; the lock
    is released, so the command line can ask the nurse and try again with the reason."""

    def __init__(self, placed: Placed, message: str, summary: str = "") -> None:
        super().__init__(message)
        self.placed = placed
        # The message's first part, where the date falls (the command line shows it when it
        # asks for the reason): its own sentence, since a translation cannot be cut up.
        self.summary = summary


def login() -> str:
    """Who makes a change: the login name, always recorded."""
    from scheduler.storage.audit import who

    return who()


def parse_day(text: str, what: str) -> dt.date:
    """A date typed on the command line; refused in the message form, with the fix."""
    import pandas as pd

    from scheduler.core import dates as datelib

    parsed, codes = datelib.parse_dates(pd.Series([text], dtype=object))
    code = int(codes[0])
    if code != datelib.OK:
        if code == datelib.DAY_FIRST:
            hint = _("write it as YYYY-MM-DD (day and month could be swapped in this form)")
        elif code in datelib.HINTS:
            hint = _(datelib.HINTS[code])
        else:
            hint = _("write it as YYYY-MM-DD, for example 2010-09-13")
        # TRANSLATORS: {option} is the option or column the date was given as (--date, DATE,
        # enrollment_date); {hint} says how to write the date.
        raise OptionError(_("{option} '{value}' is not a date — {hint}").format(
            option=what, value=text, hint=hint))
    return dt.date.fromisoformat(str(parsed[0]))


def recorded_day(text: str) -> dt.date | None:
    """A date as a study file holds it; None when it is not one (the check lists those)."""
    try:
        return parse_day(text, "date")
    except OptionError:
        return None


def _day_first(error: InputFileError, shown: str) -> bool:
    """Is ``error`` the refusal of the participants file ``shown`` for its day-first (or
    month-first) dates? Told from the values it lists, not its words, which are translated."""
    from scheduler.core import dates as datelib

    values = [problem.value for problem in error.problems
              if problem.value is not None and problem.file == shown]
    if not values:
        return False
    _parsed, codes = datelib.parse_dates(pd.Series(values, dtype=object))
    return bool((codes == datelib.DAY_FIRST).all())


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
        return self._refusing_day_first(lambda: read_participants(path, label(path), arms=self.protocol.arm_codes))

    @functools.cached_property
    def study(self) -> Study:
        """The study as the other commands read it (the roster read once, above)."""
        return load_study(StudyOptions(self.folder), inputs=self.inputs,
                          participants=self.participants, check_trail=False, for_change=True)

    def roster(self, must_exist: bool = True) -> CsvFile:
        """The roster for editing, after the same checks every command makes: a change is
        never written into a participants file the other commands refuse."""
        path = self.participants_path
        if not path.exists():
            if must_exist:
                raise ChangeRefused(_("{file}: no participants file — run visit-scheduler init DIR, "
                                      "or enroll a first participant").format(file=label(path)))
            return CsvFile.read(path, PARTICIPANTS_HEADER, PARTICIPANT_COLUMNS)
        self.participants  # noqa: B018  (reads and checks the roster, once)
        return CsvFile.read(path, PARTICIPANTS_HEADER, PARTICIPANT_COLUMNS)

    def _refusing_day_first(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except InputFileError as error:
            if _day_first(error, label(self.participants_path)):
                raise ChangeRefused(_("{file}: dates are written day-first or month-first; the recording "
                                      "commands need them as YYYY-MM-DD — format the date columns as "
                                      "YYYY-MM-DD in Excel and save again").format(
                                          file=label(self.participants_path)),
                                    error.problems) from None
            raise

    def find(self, roster: CsvFile, participant_id: str) -> list[str]:
        for row in roster.rows:
            if roster.participant(row) == participant_id:
                return row
        close = [roster.participant(r) for r in roster.rows
                 if roster.participant(r).lstrip("0") == participant_id.lstrip("0")]
        where = label(self.participants_path)
        if close:
            raise ChangeRefused(_("participant '{participant}' is not in {file} — did you mean "
                                  "{suggestion}?").format(participant=participant_id, file=where,
                                                          suggestion=close[0]))
        raise ChangeRefused(_("participant '{participant}' is not in {file} — enroll the participant "
                              "first").format(participant=participant_id, file=where))

    def check_code(self, visit_code: str) -> None:
        if visit_code in self.protocol.codes:
            return
        same = [code for code in self.protocol.codes if code.casefold() == visit_code.casefold()]
        if same:
            raise ChangeRefused(_("visit '{visit}' is not in the protocol — did you mean {suggestion}? "
                                  "Visit codes are case-sensitive").format(visit=visit_code,
                                                                           suggestion=same[0]))
        if self.protocol.unscheduled:
            raise ChangeRefused(_("visit '{visit}' is not in the protocol — use one of {codes} (or, for an "
                                  "unscheduled visit, {unscheduled})").format(
                visit=visit_code, codes=", ".join(self.protocol.codes),
                unscheduled=", ".join(self.protocol.unscheduled)))
        raise ChangeRefused(_("visit '{visit}' is not in the protocol — use one of {codes}").format(
            visit=visit_code, codes=", ".join(self.protocol.codes)))

    # ------------------------------------------------------------------ statuses

    def _check(self, participant_id: str, records: Records | None = None,
               person: dict[str, np.datetime64] | None = None, arm: str | None = None,
               moves: Moves | None = None) -> pd.DataFrame:
        """One participant's check table as of today, from the study read once (or from
        ``records``: the participant's records with a change applied; ``person``: roster
        dates changed; ``arm``: the arm changed; ``moves``: the version history changed)."""
        from scheduler.core.status import compute_check

        study = self.study
        roster = study.participants
        mine = roster[roster["participant_id"] == participant_id].reset_index(drop=True)
        for name, value in (person or {}).items():
            mine[name] = np.array([value], dtype="M8[D]")  # the roster's dates
        if arm is not None:
            mine["arm"] = pd.Series([arm], dtype=roster["arm"].dtype)
        if records is None:
            records = study.records.of_participant(study.position_of(participant_id))
        return compute_check(study.protocol, mine, records, study.as_of, study.moves if moves is None else moves)

    def settle(self, who: str, outside_accepted: bool = False, protocol_change: bool = False) -> str | None:
        """An interrupted change settled, and the files checked against the trail, before
        anything is read (storage.change.settle)."""
        from scheduler.storage.change import settle

        return settle(self.record_files(), self.protocol.timezone, who, outside_accepted, protocol_change)

    def record_files(self) -> RecordFiles:
        return RecordFiles.of(self.inputs, self.protocol)

    def statuses(self, participant_id: str, records: Records | None = None,
                 person: dict[str, np.datetime64] | None = None) -> dict[str, tuple[str, str]]:
        """Each visit's status and actual date for one participant."""
        table = self._check(participant_id, records, person)
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
                       np.append(mine.reason[keep], np.array([reason], dtype=object)), Problems.none())

    def moved(self, participant_id: str, before: dict[str, tuple[str, str]],
              changed: str, after_records: Records) -> tuple[str, ...]:
        """Visits already done, other than ``changed``, whose status changed (their window
        hangs on the changed visit): they may now need a reason."""
        after = self.statuses(participant_id, after_records)
        notes = []
        for code, (status, actual) in after.items():
            was = before.get(code, ("", ""))[0]
            if code != changed and actual != "NaT" and status != was:
                # TRANSLATORS: {status} and {was} are status words (late, in window);
                # {changed} is the visit code just recorded or corrected.
                notes.append(_("{participant} {visit} (done {date}) is now {status}, was {was}: its "
                               "window moved with {changed} — check it, and add a reason if it is now "
                               "out of window").format(participant=participant_id, visit=code, date=actual,
                                                       status=_status(status), was=_status(was),
                                                       changed=changed))
        return tuple(notes)

    def shifted(self, participant_id: str, changed: str, after_records: Records) -> tuple[str, ...]:
        """The windows of other visits that move with ``changed`` (they hang on it)."""
        before, after = self._check(participant_id), self._check(participant_id, after_records)
        keep = (before["visit_code"] != changed).to_numpy()
        return tuple(line for line, window in _changes_of(before[keep], after[keep]) if window)

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


# --------------------------------------------------------------------------- making a change

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def free_text(value: str, what: str) -> str:
    """Free text typed at a command: one that a spreadsheet would run as a formula, or that
    holds a line break or another control character, is refused where it is entered
    (PRODUCT.md, Outputs)."""
    if value.startswith(FORMULA_START):
        # TRANSLATORS: {option} is the option the text was given with (--reason, --site…);
        # {first} is the character it begins with.
        raise OptionError(_("{option} '{value}' begins with '{first}', which Excel reads as the start "
                            "of a formula — begin it with a letter or a digit (or put a word "
                            "first)").format(option=what, value=value, first=value[:1]))
    if any(unicodedata.category(char) == "Cc" for char in value):
        shown = value.encode("unicode_escape").decode("ascii")
        # TRANSLATORS: {option} is the option the text was given with (--reason, --site…).
        raise OptionError(_("{option} '{value}' holds a line break or another control character — "
                            "type it on one line").format(option=what, value=shown))
    return value


def identifier(value: str) -> str:
    """An ID typed at a command, as the readers read it (sources.text.normal_id: ００９, typed
    with a Chinese input method, is 009); one holding a control or invisible character is
    refused, as the readers refuse it."""
    from scheduler.sources.text import has_invisible, normal_id

    text = normal_id(value)
    if has_invisible(text):
        shown = text.encode("unicode_escape").decode("ascii")
        raise OptionError(_("participant ID '{value}' holds a line break or another control or "
                            "invisible character — retype it without it").format(value=shown))
    return text


class Aside(str):
    """A line of a change's outcome that goes to standard error, not with the result: a
    warning, or the note that an interrupted change was settled first. Marked by its type,
    never by its words (they are translated)."""


def aside(text: str | None) -> Aside | None:
    return None if text is None else Aside(text)


@dataclass(frozen=True)
class Said:
    """What a change did, in lines for the nurse: the change itself, then what it moves."""

    lines: tuple[str, ...]
    moved: tuple[str, ...] = ()
    interrupted: bool = False


@contextmanager
def _opened(folder: Path, who: str) -> Iterator[tuple[Folder, str | None]]:
    """Every change begins so: the folder's lock, the study's protocol and paths, and an
    interrupted change settled (and the files checked against the trail) before anything
    is read."""
    with locked(folder):
        study = Folder(folder)
        yield study, aside(study.settle(who))


def _commit(study: Folder, changed: dict[Path, CsvFile], edits: list[Edit], action: str,
            reason: str, who: str, by: str, trail: Trail) -> int:
    if by:
        free_text(by, "--by")
    done = commit(study.record_files(), changed, edits, action, reason, who, by,
                  study.protocol.timezone, trail)
    if done.interrupted:
        raise InterruptedAfterChange(_("interrupted — the change had been written and is complete "
                                       "(change {change} in audit.csv)").format(change=done.change_id))
    return done.change_id


def _commit_free(write: Callable[[], int], by: str) -> int:
    """A change that writes only trail lines (no record file), with the checks every change
    makes of who it is made for."""
    if by:
        free_text(by, "--by")
    return write()


def _set(file: CsvFile, row: list[str], field: str, new: str, participant_id: str,
         visit_code: str = "") -> Edit | None:
    """An edit setting ``field`` of ``row`` (None when it already holds ``new``), applied."""
    old = file.value(row, field)
    if old == new:
        return None
    edit = Edit(file.path.name, SET, file.line_of(row), participant_id, visit_code, field, old, new)
    file.set(row, field, new)
    return edit


def _add(file: CsvFile, participant_id: str, visit_code: str, values: dict[str, str]) -> list[Edit]:
    """Edits adding a row with these values, applied. The row's keys (participant_id,
    visit_code) are the edits' own columns; of the other values the empty ones are left out,
    but for a visit's actual_date (empty: the visit did not happen)."""
    line = len(file.rows) + 2
    row = file.new_row(**values)
    file.rows.append(row)
    return [Edit(file.path.name, ADD, line, participant_id, visit_code, name, "", value)
            for name, value in values.items()
            if name not in ("participant_id", "visit_code") and (value or name == "actual_date")]


def _remove(file: CsvFile, row: list[str], participant_id: str, visit_code: str,
            fields: tuple[str, ...]) -> list[Edit]:
    """Edits removing ``row``, each contract value it held kept in the trail (not applied:
    removals are applied together, bottom up)."""
    line = file.line_of(row)
    edits = [Edit(file.path.name, REMOVE, line, participant_id, visit_code, name, file.value(row, name), "")
             for name in fields if file.value(row, name) and name not in ("participant_id", "visit_code")]
    return edits or [Edit(file.path.name, REMOVE, line, participant_id, visit_code, "participant_id",
                          participant_id, "")]


def _drop(file: CsvFile, rows: list[list[str]]) -> None:
    positions = sorted((file.line_of(row) - 2 for row in rows), reverse=True)
    for position in positions:
        del file.rows[position]




def enroll(folder: Path, participant_id: str, day: dt.date, site: str | None, who: str,
           by: str = "", *, sex: str | None = None, age: str | None = None,
           consent: dt.date | None = None, arm: str | None = None) -> Said:
    """A new roster line; sex, age and the consent date, when given, for SDTM DM and DS; the
    arm, when given, one of the protocol's [[arms]] (none given: not yet assigned)."""
    participant_id = identifier(participant_id)
    coded = _coded(sex, age, consent)
    with _opened(folder, who) as (study, settled):
        path = study.participants_path
        roster = study.roster(must_exist=False)
        if not re.match(ID_PATTERN, participant_id):
            raise ChangeRefused(_("participant ID '{participant}' must start with a letter or a "
                                  "digit").format(participant=participant_id))
        for row in roster.rows:
            if roster.participant(row) == participant_id:
                raise ChangeRefused(_("participant {participant} is already enrolled ({file}:{line})").format(
                    participant=participant_id, file=label(path), line=roster.line_of(row)))
        first = (study.protocol.versions or (study.protocol,))[0].effective
        if first is not None and day < first:
            raise ChangeRefused(_("{date} is before the first protocol version takes effect ({effective}) — check "
                                  "the date, or add the version in force then to protocols/").format(
                                      date=day, effective=first))
        values = {"participant_id": participant_id, "enrollment_date": day.isoformat()}
        if site:
            values["site"] = free_text(site, "--site")
        if arm is not None:
            values["arm"] = _arm(study.protocol, arm)
        values.update(coded)
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            edits = _add(roster, participant_id, "", values)
            _commit(study, {path: roster}, edits, "enroll", "", who, by, trail)
    if day > study.today():
        said = _("Enrolled {participant} on {date} (a date after today: the participant is listed as "
                 "not yet enrolled until then)").format(participant=participant_id, date=day)
    else:
        said = _("Enrolled {participant} on {date}").format(participant=participant_id, date=day)
    return Said(((settled,) if settled else ()) + (said,))


def record(folder: Path, participant_id: str, visit_code: str, day: dt.date | None,
           reason: str, who: str, by: str = "") -> Outcome:
    """Record a visit done on ``day`` (or not done: ``day`` None, a reason required).

    A date outside the window without a reason raises ReasonNeeded and changes nothing."""
    if reason:
        free_text(reason, "--reason")
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        person = study.find(roster, participant_id)
        if visit_code in study.protocol.unscheduled:
            return _record_unscheduled(study, settled, roster, person, participant_id, visit_code, day, reason,
                                       who, by)
        study.check_code(visit_code)
        _check_arm_has(study, roster, person, participant_id, visit_code)
        _check_plan_has(study, participant_id, visit_code)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
        for row in visits.rows:
            if (visits.participant(row), visits.value(row, "visit_code")) == (participant_id, visit_code):
                recorded = visits.value(row, "actual_date")
                where = {"participant": participant_id, "visit": visit_code, "date": recorded,
                         "file": label(study.visits_path), "line": visits.line_of(row)}
                if recorded:
                    raise ChangeRefused(_("{participant} {visit} is already recorded ({date}, {file}:{line}) "
                                          "— to change it, use visit-scheduler correct {participant} "
                                          "{visit} DATE --reason …").format(**where))
                raise ChangeRefused(_("{participant} {visit} is already recorded (not done, {file}:{line}) "
                                      "— to change it, use visit-scheduler correct {participant} {visit} "
                                      "DATE --reason …").format(**where))
        if day is None and not reason:
            raise ChangeRefused(_("a visit that did not happen needs a reason: give --reason"))
        if day is not None:
            _check_day(study, roster, person, participant_id, visit_code, day)
        placed = study.placed(participant_id, visit_code, day)
        if placed.status in OUT_OF_WINDOW and not reason:
            where = {"participant": participant_id, "visit": visit_code, "date": day,
                     "placement": placed.describe()}
            # TRANSLATORS: {placement} says where the date falls: "LATE by 2 days (window … )".
            raise ReasonNeeded(placed, _("{participant} {visit} on {date} is {placement}: a date outside "
                                         "the window needs a reason — give --reason").format(**where),
                               _("{participant} {visit} on {date} is {placement}").format(**where))
        before = study.statuses(participant_id)
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            edits = _add(visits, participant_id, visit_code,
                         {"participant_id": participant_id, "visit_code": visit_code,
                          "actual_date": day.isoformat() if day else "", "reason": reason})
            _commit(study, {study.visits_path: visits}, edits, "record" if day else "not done", reason,
                    who, by, trail)
        after = study.with_change(participant_id, visit_code, day, reason)
        moved = study.moved(participant_id, before, visit_code, after)
        shifted = study.shifted(participant_id, visit_code, after)
        if day is not None:
            moved += _order_notes(study.protocol.codes, before, participant_id, visit_code, day)
    return Outcome(placed, reason, ((settled,) if settled else ()) + moved, shifted)


def _check_plan_has(study: Folder, participant_id: str, visit_code: str) -> None:
    """With protocol versions: a visit the participant's plan no longer has (a move dropped
    it, or only a version they never followed has it) is refused, with the way to record a
    visit that took place all the same."""
    if not study.protocol.versions:
        return
    table = study._check(participant_id)
    if visit_code in set(table["visit_code"].astype(str)):
        return
    from scheduler.core.versions import version_on

    loaded = study.study
    position = loaded.position_of(participant_id)
    now = version_on(study.protocol, loaded.participants["enrollment_date"].to_numpy()[[position]],
                     np.array([participant_id], dtype=object), loaded.moves.until(loaded.as_of),
                     np.array([0]), np.array([loaded.as_of]))[0]
    # TRANSLATORS: {version} is the protocol version the participant follows (2.0); the end
    # is a command line, typed as it is.
    raise ChangeRefused(_("{visit} is not in {participant}'s plan: protocol version {version}, which "
                          "{participant} follows, does not have it (visit-scheduler status {participant}) — "
                          "if the visit took place all the same, record it as an unscheduled visit: "
                          "visit-scheduler record {participant} {unscheduled} DATE --reason …").format(
                              visit=visit_code, participant=participant_id, version=now,
                              unscheduled=(study.protocol.unscheduled or ("UNS",))[0]))


def _records_on(visits: CsvFile, participant_id: str, visit_code: str, day: str) -> list[list[str]]:
    """The records of one participant's visit on one day (unscheduled visits: several days,
    sometimes two records typed on one)."""
    return [row for row in visits.rows
            if (visits.participant(row), visits.value(row, "visit_code"), visits.value(row, "actual_date"))
            == (participant_id, visit_code, day)]


def _correct_record(study: Folder, visits: CsvFile, row: list[str], participant_id: str, visit_code: str,
                    new_date: str, kept: str, reason: str, who: str, by: str) -> None:
    """A record's date and reason corrected, as one audited change."""
    with changing(study.record_files(), study.protocol.timezone, who) as trail:
        edits = [edit for edit in (_set(visits, row, "actual_date", new_date, participant_id, visit_code),
                                   _set(visits, row, "reason", kept, participant_id, visit_code))
                 if edit is not None]
        _commit(study, {study.visits_path: visits}, edits, "correct", reason, who, by, trail)


def _remove_record(study: Folder, visits: CsvFile, row: list[str], participant_id: str, visit_code: str,
                   reason: str, who: str, by: str) -> None:
    """A record taken out of the visits file, as one audited change (the trail keeps it)."""
    with changing(study.record_files(), study.protocol.timezone, who) as trail:
        edits = _remove(visits, row, participant_id, visit_code, VISIT_FIELDS)
        _drop(visits, [row])
        _commit(study, {study.visits_path: visits}, edits, "remove", reason, who, by, trail)


def _check_arm_has(study: Folder, roster: CsvFile, person: list[str], participant_id: str, visit_code: str) -> None:
    """With [[arms]]: a visit the participant's arm does not have cannot be recorded. (With
    protocol versions each version says which arms have a visit: _check_plan_has decides.)"""
    protocol = study.protocol
    if not protocol.arms or protocol.versions:
        return
    arm = roster.value(person, "arm") if "arm" in roster.header else ""
    if protocol.visit(visit_code) in protocol.visits_of(arm):
        return
    where = {"participant": participant_id, "visit": visit_code, "arm": arm}
    if arm:
        raise ChangeRefused(_("{participant} is in arm {arm}, which does not have visit {visit} — check the visit "
                              "code, or correct the arm first (visit-scheduler correct {participant} --arm ARM "
                              "--reason …)").format(**where))
    raise ChangeRefused(_("{participant} is not yet assigned to an arm, and not every arm has visit {visit} — "
                          "assign the arm first (visit-scheduler correct {participant} --arm ARM --reason …)").format(
                              **where))


UNSCHEDULED_PLACED = Placed(Status.UNSCHEDULED, 0, "", "", "")


def _unscheduled_day(study: Folder, roster: CsvFile, person: list[str], participant_id: str,
                     visit_code: str, day: dt.date | None) -> None:
    """An unscheduled visit has a date, on or after enrollment, not after today or the
    withdrawal (it has no window to judge it by)."""
    if day is None:
        raise ChangeRefused(_("{participant} {visit}: an unscheduled visit needs the date it took place").format(
            participant=participant_id, visit=visit_code))
    where = {"participant": participant_id, "visit": visit_code, "date": day}
    if day > study.today():
        raise ChangeRefused(_("{participant} {visit} on {date}: a date after today").format(**where))
    enrolled = recorded_day(roster.value(person, "enrollment_date"))
    if enrolled is not None and day < enrolled:
        raise ChangeRefused(_("{participant} {visit} on {date}: before the enrollment ({enrolled})").format(
            enrolled=enrolled, **where))
    withdrawn = recorded_day(roster.value(person, "withdrawal_date"))
    if withdrawn is not None and day > withdrawn:
        raise ChangeRefused(_("{participant} {visit} on {date}: after the withdrawal ({withdrawn})").format(
            withdrawn=withdrawn, **where))


def _record_unscheduled(study: Folder, settled: str | None, roster: CsvFile, person: list[str],
                        participant_id: str, visit_code: str, day: dt.date | None, reason: str, who: str,
                        by: str) -> Outcome:
    """An unscheduled visit: any number per participant, never judged, never an anchor; its
    reason (why the participant came) recommended, not required."""
    _unscheduled_day(study, roster, person, participant_id, visit_code, day)
    assert day is not None
    visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
    taken = _records_on(visits, participant_id, visit_code, day.isoformat())
    if taken:
        raise ChangeRefused(_("{participant} {visit} on {date} is already recorded ({file}:{line})").format(
            participant=participant_id, visit=visit_code, date=day, file=label(study.visits_path),
            line=visits.line_of(taken[0])))
    with changing(study.record_files(), study.protocol.timezone, who) as trail:
        edits = _add(visits, participant_id, visit_code,
                     {"participant_id": participant_id, "visit_code": visit_code, "actual_date": day.isoformat(),
                      "reason": reason})
        _commit(study, {study.visits_path: visits}, edits, "record", reason, who, by, trail)
    notes: tuple[str, ...] = ((settled,) if settled else ())
    if not reason:
        notes += (Aside(_("Warning: no reason recorded for {participant} {visit} on {date} — say why the "
                          "participant came: visit-scheduler correct {participant} {visit} --date {date} "
                          "--visit-reason \"…\" --reason \"…\"").format(participant=participant_id,
                                                                        visit=visit_code, date=day)),)
    return Outcome(UNSCHEDULED_PLACED, reason, notes)


def _the_unscheduled(study: Folder, visits: CsvFile, participant_id: str, visit_code: str,
                     on: dt.date | None, line: int | None = None) -> list[str]:
    """The record of an unscheduled visit a correction names by its date (``--date OLD``)."""
    if visit_code not in study.protocol.unscheduled:
        raise ChangeRefused(_("--date names the record of an unscheduled visit ({codes}); {visit} is a planned "
                              "visit: correct {participant} {visit} DATE").format(
                                  codes=", ".join(study.protocol.unscheduled), visit=visit_code,
                                  participant=participant_id))
    mine = [row for row in visits.rows if (visits.participant(row), visits.value(row, "visit_code"))
            == (participant_id, visit_code)]
    dates = [visits.value(row, "actual_date") for row in mine]
    where = {"participant": participant_id, "visit": visit_code, "dates": ", ".join(dates) or "—"}
    if on is None:
        raise ChangeRefused(_("name the record of {participant} {visit} to correct by its date with --date OLD "
                              "(recorded: {dates})").format(**where))
    chosen = _records_on(visits, participant_id, visit_code, on.isoformat())
    if not chosen:
        raise ChangeRefused(_("{participant} {visit} has no record on {date} (recorded: {dates})").format(
            date=on, **where))
    if line is not None:
        chosen = [row for row in chosen if visits.line_of(row) == line]
        if not chosen:
            raise ChangeRefused(_("{file}:{line} is not a record of {participant} {visit} on {date}").format(
                file=label(study.visits_path), line=line, date=on, **where))
    if len(chosen) > 1:
        # Two records on one day (typed into the file): the nurse says which, never the tool.
        raise ChangeRefused(_("{participant} {visit} has {count} records on {date} (lines {lines} of {file}) — "
                              "name the one to correct with --line N").format(
                                  count=len(chosen), date=on, file=label(study.visits_path),
                                  lines=", ".join(str(visits.line_of(row)) for row in chosen), **where))
    return chosen[0]


def correct_unscheduled(folder: Path, participant_id: str, visit_code: str, on: dt.date | None,
                        day: dt.date | None, reason: str, who: str, visit_reason: str = "", by: str = "",
                        remove: bool = False, line: int | None = None) -> Said:
    """Correct (a new date, its reason) or remove the record of an unscheduled visit, named
    by its date: ``correct ID UNS NEWDATE --date OLD``; the old values stay in the trail."""
    _needs_reason(reason)
    if visit_reason:
        free_text(visit_reason, "--visit-reason")
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        person = study.find(roster, participant_id)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
        row = _the_unscheduled(study, visits, participant_id, visit_code, on, line)
        old_date, old_reason = visits.value(row, "actual_date"), visits.value(row, "reason")
        where = {"participant": participant_id, "visit": visit_code, "file": label(study.visits_path),
                 "line": visits.line_of(row), "date": old_date}
        if remove:
            _remove_record(study, visits, row, participant_id, visit_code, reason, who, by)
            said = _("Removed {participant} {visit} ({date}, {file}:{line}); the audit trail keeps it").format(**where)
            return Said(((settled,) if settled else ()) + (said,))
        new_date = day.isoformat() if day is not None else old_date
        if day is not None:
            _unscheduled_day(study, roster, person, participant_id, visit_code, day)
            if new_date != old_date and _records_on(visits, participant_id, visit_code, new_date):
                raise ChangeRefused(_("{participant} {visit} on {date} is already recorded: a correction cannot "
                                      "make two records of one day").format(participant=participant_id,
                                                                            visit=visit_code, date=day))
        kept = visit_reason or old_reason
        if new_date == old_date and kept == old_reason:
            raise ChangeRefused(_nothing_to_change(participant_id, visit_code, old_date, old_reason))
        _correct_record(study, visits, row, participant_id, visit_code, new_date, kept, reason, who, by)
    lines = ([_corrected(participant_id, f"{visit_code} actual_date", old_date, new_date)]
             if new_date != old_date else [])
    if kept != old_reason:
        lines.append(_corrected(participant_id, f"{visit_code} reason", old_reason, kept))
    return Said(((settled,) if settled else ()) + tuple(lines))


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
        where = {"participant": participant_id, "visit": visit_code, "date": day, "other": code,
                 "other_date": actual}
        if index < place and actual > day.isoformat():
            notes.append(_("{participant} {visit} on {date} is dated before {other} ({other_date}), which "
                           "comes earlier in the protocol: the check will list it as out of "
                           "order").format(**where))
        elif index > place and actual < day.isoformat():
            notes.append(_("{participant} {visit} on {date} is dated after {other} ({other_date}), which "
                           "comes later in the protocol: the check will list it as out of "
                           "order").format(**where))
    return tuple(notes)


def _check_day(study: Folder, roster: CsvFile, person: list[str], participant_id: str,
               visit_code: str, day: dt.date) -> None:
    today = study.today()
    if day > today:
        # TRANSLATORS: {timezone} is the study's time zone, as Asia/Shanghai.
        raise ChangeRefused(_("{date} is after today ({today} in {timezone}) — a visit cannot be "
                              "recorded before it happens").format(date=day, today=today,
                                                                   timezone=study.protocol.timezone))
    enrolled = parse_day(roster.value(person, "enrollment_date"), "enrollment_date")
    if day < enrolled and visit_code not in study.protocol.may_precede_enrollment():
        raise ChangeRefused(_("{date} is before {participant} was enrolled ({enrollment})").format(
            date=day, participant=participant_id, enrollment=enrolled))
    withdrawn = roster.value(person, "withdrawal_date")
    if withdrawn and day > parse_day(withdrawn, "withdrawal_date"):
        raise ChangeRefused(_("{participant} withdrew on {date}: no visit after that date").format(
            participant=participant_id, date=withdrawn))


def _the_record(study: Folder, visits: CsvFile, participant_id: str, visit_code: str,
                line: int | None) -> list[str]:
    """The one record of a visit a correction is about; ``line`` picks one of several."""
    key = (participant_id, visit_code)
    mine = [row for row in visits.rows
            if (visits.participant(row), visits.value(row, "visit_code")) == key]
    if visit_code in study.protocol.unscheduled:
        dates = ", ".join(visits.value(row, "actual_date") for row in mine) or "—"
        raise ChangeRefused(_("name the record of {participant} {visit} to correct by its date with --date OLD "
                              "(recorded: {dates})").format(participant=participant_id, visit=visit_code,
                                                            dates=dates))
    study.check_code(visit_code)
    if not mine:
        raise ChangeRefused(_("{participant} {visit} has no record to correct — use visit-scheduler "
                              "record {participant} {visit} DATE").format(participant=participant_id,
                                                                         visit=visit_code))
    lines = [visits.line_of(row) for row in mine]
    where = {"participant": participant_id, "visit": visit_code, "file": label(study.visits_path),
             "lines": ", ".join(map(str, lines)), "count": len(lines)}
    if line is not None:
        if line not in lines:
            # TRANSLATORS: {lines} is a list of line numbers, as "4, 9".
            raise ChangeRefused(ngettext("{file}:{line} is not a record of {participant} {visit} — its "
                                         "records are on line {lines}",
                                         "{file}:{line} is not a record of {participant} {visit} — its "
                                         "records are on lines {lines}", len(lines)).format(line=line, **where))
        return mine[lines.index(line)]
    if len(mine) > 1:
        # TRANSLATORS: {lines} is a list of line numbers, as "4, 9"; {count} is always 2 or more.
        raise ChangeRefused(_("{participant} {visit} has {count} records (lines {lines} of {file}) — name "
                              "the one to correct with --line N").format(**where))
    return mine[0]


def correct(folder: Path, participant_id: str, visit_code: str, day: dt.date | None,
            reason: str, who: str, visit_reason: str = "", by: str = "",
            line: int | None = None) -> Outcome:
    """Change a recorded visit's date (or make it "not done"); the old value stays in the
    audit trail. ``reason`` says why the record is corrected (the trail); ``visit_reason``
    is the visit's own reason (why out of window, or not done), needed when the corrected
    record is a deviation that has none yet."""
    _needs_reason(reason)
    if visit_reason:
        free_text(visit_reason, "--visit-reason")
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        person = study.find(roster, participant_id)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
        row = _the_record(study, visits, participant_id, visit_code, line)
        _check_arm_has(study, roster, person, participant_id, visit_code)
        if day is not None:
            _check_day(study, roster, person, participant_id, visit_code, day)
        placed = study.placed(participant_id, visit_code, day)
        old_date, old_reason = visits.value(row, "actual_date"), visits.value(row, "reason")
        kept = visit_reason or old_reason
        new_date = day.isoformat() if day else ""
        if new_date == old_date and kept == old_reason:
            raise ChangeRefused(_nothing_to_change(participant_id, visit_code, old_date, old_reason))
        if (day is None or placed.status in OUT_OF_WINDOW) and not kept:
            where = {"participant": participant_id, "visit": visit_code, "date": day,
                     "placement": placed.describe()}
            if day is None:
                raise ReasonNeeded(placed, _("{participant} {visit} corrected to not done is not done: the "
                                             "visit needs its own reason — give --visit-reason").format(**where),
                                   _("{participant} {visit} corrected to not done is not done").format(**where))
            # TRANSLATORS: {placement} says where the date falls: "LATE by 2 days (window … )".
            raise ReasonNeeded(placed, _("{participant} {visit} corrected to {date} is {placement}: the visit "
                                         "needs its own reason — give --visit-reason").format(**where),
                               _("{participant} {visit} corrected to {date} is {placement}").format(**where))
        before = study.statuses(participant_id)
        _correct_record(study, visits, row, participant_id, visit_code, new_date, kept, reason, who, by)
        after = study.with_change(participant_id, visit_code, day, kept)
        moved = study.moved(participant_id, before, visit_code, after)
        shifted = study.shifted(participant_id, visit_code, after)
    return Outcome(placed, kept, ((settled,) if settled else ()) + moved, shifted)


def remove_visit(folder: Path, participant_id: str, visit_code: str, reason: str, who: str,
                 by: str = "", line: int | None = None) -> Said:
    """A visit recorded in error: its record leaves the visits file; the trail keeps it."""
    _needs_reason(reason)
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        study.find(roster, participant_id)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
        row = _the_record(study, visits, participant_id, visit_code, line)
        was = visits.value(row, "actual_date")
        at = visits.line_of(row)
        before = study.statuses(participant_id)
        _remove_record(study, visits, row, participant_id, visit_code, reason, who, by)
        after = _records_without(study, participant_id, visit_code, line is not None)
        moved = study.moved(participant_id, before, visit_code, after)
    where = {"participant": participant_id, "visit": visit_code, "date": was,
             "file": label(study.visits_path), "line": at}
    if was:
        said = _("Removed {participant} {visit} ({date}, {file}:{line}); the audit trail keeps it").format(**where)
    else:
        said = _("Removed {participant} {visit} (not done, {file}:{line}); the audit trail keeps "
                 "it").format(**where)
    return Said(((settled,) if settled else ()) + (said,), moved)


def _records_without(study: Folder, participant_id: str, visit_code: str, one_of_several: bool) -> Records:
    """The participant's records once this visit's record is gone (or, for one of several
    records, as they are: the earliest still counts)."""
    mine = study.study.records.of_participant(study.study.position_of(participant_id))
    if one_of_several:
        return mine
    keep = mine.visit != study.protocol.codes.index(visit_code)
    return Records(mine.participant[keep], mine.visit[keep], mine.actual_date[keep], mine.reason[keep], Problems.none())


def _nothing_to_change(participant_id: str, visit_code: str, date: str, reason: str) -> str:
    """A correction that would leave the record as it is."""
    where = {"participant": participant_id, "visit": visit_code, "date": date, "reason": reason}
    if date and reason:
        return _("nothing to change: {participant} {visit} is already {date} ({reason})").format(**where)
    if date:
        return _("nothing to change: {participant} {visit} is already {date}").format(**where)
    if reason:
        return _("nothing to change: {participant} {visit} is already not done ({reason})").format(**where)
    return _("nothing to change: {participant} {visit} is already not done").format(**where)


def _needs_reason(reason: str) -> None:
    if not reason:
        raise ChangeRefused(_("a correction needs a reason: give --reason"))
    free_text(reason, "--reason")


def correct_participant(folder: Path, participant_id: str, reason: str, who: str, by: str = "", *,
                        enrollment: dt.date | None = None, site: str | None = None,
                        withdrawal: dt.date | None = None, withdrawal_reason: str | None = None,
                        withdrawal_category: str | None = None, sex: str | None = None,
                        age: str | None = None, consent: dt.date | None = None,
                        arm: str | None = None) -> Said:
    """Correct a participant's roster values: enrollment date, site, withdrawal date,
    reason or category, sex, age, consent date, arm ("": not yet assigned). Says what the
    correction moves."""
    _needs_reason(reason)
    category = _category(withdrawal_category) if withdrawal_category is not None else None
    coded = _coded(sex, age, consent)
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        person = study.find(roster, participant_id)
        values: dict[str, str] = {}
        if enrollment is not None:
            values["enrollment_date"] = enrollment.isoformat()
        if site is not None:
            values["site"] = free_text(site, "--site")
        if arm is not None:
            values["arm"] = _arm(study.protocol, arm)
        if withdrawal is not None:
            values["withdrawal_date"] = withdrawal.isoformat()
        if withdrawal_reason is not None:
            values["withdrawal_reason"] = free_text(withdrawal_reason, "--withdrawal-reason")
        if category is not None:
            values["withdrawal_category"] = category
        values.update(coded)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
        _check_dates(study, roster, person, visits, participant_id,
                     values.get("enrollment_date", roster.value(person, "enrollment_date")),
                     values.get("withdrawal_date", roster.value(person, "withdrawal_date")))
        _check_consent(values.get("consent_date", roster.value(person, "consent_date")),
                       values.get("withdrawal_date", roster.value(person, "withdrawal_date")))
        if any(name.startswith("withdrawal_") and name != "withdrawal_date" for name in values) \
                and not values.get("withdrawal_date", roster.value(person, "withdrawal_date")):
            raise ChangeRefused(_("{participant} has not withdrawn: record the withdrawal with "
                                  "visit-scheduler withdraw {participant} --date DATE --reason …").format(
                                      participant=participant_id))
        changes = [(name, roster.value(person, name), value) for name, value in values.items()
                   if roster.value(person, name) != value]
        if not changes:
            # TRANSLATORS: a column and its value when the value is empty, as "arm (empty)".
            shown = ", ".join(f"{name} {value}" if value else _("{column} (empty)").format(column=name)
                              for name, value in values.items())
            # TRANSLATORS: {values} lists column names and their values, as "site 02, arm A".
            raise ChangeRefused(_("nothing to change: {participant} already has {values}").format(
                participant=participant_id, values=shown))
        old_arm = roster.value(person, "arm")
        moves = _moves(study, participant_id, values, old_arm)
        newly_out = _newly_out_of_window(study, participant_id, values)
        if values.get("arm", old_arm) != old_arm:
            newly_out += _records_left_out(study, visits, participant_id, old_arm, values["arm"])
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            edits = [edit for name, _old, value in changes
                     if (edit := _set(roster, person, name, value, participant_id)) is not None]
            _commit(study, {study.participants_path: roster}, edits, "correct", reason, who, by, trail)
    lines = [_corrected(participant_id, name, old, new) for name, old, new in changes]
    lines += newly_out
    if any(change[0] == "site" for change in changes):
        note = _usubjid_note(study, participant_id, changes)
        if note:
            lines.append(note)
    return Said(((settled,) if settled else ()) + tuple(lines), moves)


def _corrected(participant_id: str, column: str, old: str, new: str) -> str:
    """One roster value corrected, in words (an empty value said as "(empty)")."""
    where = {"participant": participant_id, "column": column, "old": old, "new": new}
    if not old:
        return _("Corrected {participant} {column}: (empty) → {new}").format(**where)
    if not new:
        return _("Corrected {participant} {column}: {old} → (empty)").format(**where)
    return _("Corrected {participant} {column}: {old} → {new}").format(**where)


def _usubjid_note(study: Folder, participant_id: str, changes: list[tuple[str, str, str]]) -> str:
    old_site, new_site = next((old, new) for name, old, new in changes if name == "site")

    def usubjid(site: str) -> str:
        site = site or study.protocol.site_id
        return f"{study.protocol.study_id}-{site + '-' if site else ''}{participant_id}"

    if usubjid(old_site) == usubjid(new_site):
        return ""
    return Aside(_("Warning: the SDTM USUBJID of {participant} changes from {old} to {new} — tell the data "
                   "manager before the next transfer").format(participant=participant_id, old=usubjid(old_site),
                                                              new=usubjid(new_site)))


def _arm(protocol: Protocol, value: str) -> str:
    """--arm: one of the protocol's [[arms]] codes, written as [[arms]] writes it (typed in
    another case, the one code it names); "" is no arm yet. Refused without [[arms]]."""
    codes = protocol.arm_codes
    if not codes:
        raise OptionError(_("the protocol has no [[arms]]: --arm cannot be used"))
    value = value.strip()
    if not value or value in codes:
        return value
    same = [code for code in codes if code.casefold() == value.casefold()]
    if len(same) == 1:
        return same[0]
    # TRANSLATORS: {codes} lists the protocol's arm codes, as "A, B".
    raise OptionError(_("--arm '{value}' is not an arm of the protocol — use one of: {codes}").format(
        value=value, codes=", ".join(codes)))


def _category(value: str) -> str:
    """A withdrawal category: a CDISC NCOMPLT term, any case (as the roster reader reads it)."""
    chosen = category_term(value)
    if not chosen:
        raise OptionError(_("--withdrawal-category '{value}' is not a CDISC NCOMPLT term — use one of "
                            "{terms}").format(value=value, terms=", ".join(WITHDRAWAL_CATEGORIES)))
    return chosen


def _coded(sex: str | None, age: str | None, consent: dt.date | None) -> dict[str, str]:
    """--sex, --age and --consent-date as the roster holds them, checked as the roster reader
    checks its columns (a change never writes a roster the other commands refuse)."""
    values: dict[str, str] = {}
    if consent is not None:
        values["consent_date"] = consent.isoformat()
    if sex is not None:
        code = sex_code(sex)
        if not code:
            # TRANSLATORS: M, F, U, 男 and 女 are values to type as they are.
            raise OptionError(_("--sex '{value}' is not M, F or U — give M, F or U (男 and 女 are read "
                                "as M and F)").format(value=sex))
        values["sex"] = code
    if age is not None:
        years = whole_years(age)
        low, high = AGE_RANGE
        if years is None:
            raise OptionError(_("--age '{value}' is not a whole number of years — give the number only, "
                                "for example 34").format(value=age))
        if not age_in_range(years):
            raise OptionError(_("--age {value} is not from {low} to {high} years — check the age").format(
                value=years, low=low, high=high))
        values["age"] = str(years)
    return values


def _check_consent(consent_text: str, withdrawn_text: str) -> None:
    """A consent date after the withdrawal date: the roster reader refuses it, so no change
    may write it (a consent after enrollment is fine: participants consent again)."""
    consent = recorded_day(consent_text) if consent_text else None
    withdrawn = recorded_day(withdrawn_text) if withdrawn_text else None
    if consent is not None and withdrawn is not None and consent > withdrawn:
        raise ChangeRefused(_("the consent ({consent}) would be after the withdrawal ({withdrawal}) — "
                              "check both dates").format(consent=consent, withdrawal=withdrawn))


def _check_dates(study: Folder, roster: CsvFile, person: list[str], visits: CsvFile,
                 participant_id: str, enrolled_text: str, withdrawn_text: str) -> None:
    """A corrected enrollment or withdrawal date that contradicts the dates recorded."""
    enrolled = parse_day(enrolled_text, "enrollment_date")
    if enrolled > study.today():
        raise ChangeRefused(_("{date} is after today ({today}): enroll on the day it happens").format(
            date=enrolled, today=study.today()))
    withdrawn = parse_day(withdrawn_text, "withdrawal_date") if withdrawn_text else None
    if withdrawn is not None and withdrawn > study.today():
        raise ChangeRefused(_("{date} is after today ({today}): record a withdrawal on the day it "
                              "happens").format(date=withdrawn, today=study.today()))
    if withdrawn is not None and withdrawn < enrolled:
        raise ChangeRefused(_("the withdrawal ({withdrawal}) would be before the enrollment "
                              "({enrollment})").format(withdrawal=withdrawn, enrollment=enrolled))
    allowed = study.protocol.may_precede_enrollment()
    for row in visits.rows:
        if visits.participant(row) != participant_id or not visits.value(row, "actual_date"):
            continue
        done = recorded_day(visits.value(row, "actual_date"))
        if done is None:
            continue
        code = visits.value(row, "visit_code")
        if done < enrolled and code not in allowed:
            raise ChangeRefused(_("{participant} {visit} was done on {date}, before {enrollment} — check "
                                  "the dates").format(participant=participant_id, visit=code, date=done,
                                                      enrollment=enrolled))
        if withdrawn is not None and done > withdrawn:
            raise ChangeRefused(_visits_after(participant_id, withdrawn, [_visit_on(code, str(done))]))
    _check_history(study, participant_id, enrolled, withdrawn)


def _check_history(study: Folder, participant_id: str, enrolled: dt.date, withdrawn: dt.date | None) -> None:
    """With protocol versions: a corrected enrollment or a withdrawal that the participant's
    moves (versions.csv) contradict — a move before the enrollment, on or after the
    withdrawal, or an enrollment before every version — is refused, naming the move."""
    if not study.protocol.versions and study.protocol.effective is None:
        return
    from scheduler.sources.history import enrolled_before_versions, read_moves

    roster = study.participants.copy()
    mine = (roster["participant_id"] == participant_id).to_numpy()
    enrollment = roster["enrollment_date"].to_numpy().astype("M8[D]")
    enrollment[mine] = np.datetime64(enrolled, "D")
    withdrawal = roster["withdrawal_date"].to_numpy().astype("M8[D]")
    withdrawal[mine] = np.datetime64(withdrawn, "D") if withdrawn is not None else np.datetime64("NaT")
    roster["enrollment_date"], roster["withdrawal_date"] = enrollment, withdrawal
    try:
        enrolled_before_versions(study.protocol, roster[mine], label(study.participants_path))
        read_moves(study.folder, study.protocol, roster)
    except InputFileError as error:
        # TRANSLATORS: {problem} is what the version history would then say; the command is typed as it is.
        raise ChangeRefused(_("the participant's protocol versions would no longer hold: {problem} — if a move "
                              "was recorded in error, undo it first (visit-scheduler amend {participant} --undo "
                              "--reason …)").format(problem=str(error.problems[0]) if error.problems else error.message,
                                                    participant=participant_id)) from None


def _visit_on(visit_code: str, day: str) -> str:
    # TRANSLATORS: one visit and the date it was done, in a list: "D7 on 2010-09-10".
    return _("{visit} on {date}").format(visit=visit_code, date=day)


def _visits_after(participant_id: str, day: dt.date, visits: list[str]) -> str:
    # TRANSLATORS: {visits} lists visits and their dates, as "D7 on 2010-09-10, D14 on 2010-09-17".
    return _("{participant} has visits recorded after {date} ({visits}) — check the withdrawal "
             "date").format(participant=participant_id, date=day, visits=", ".join(visits))


def _moves(study: Folder, participant_id: str, values: dict[str, str], old_arm: str = "") -> tuple[str, ...]:
    """What a roster correction moves: windows that shift, statuses that change, and, for a
    new arm, the visits the participant no longer has and those they now have."""
    person: dict[str, np.datetime64] = {}
    if "enrollment_date" in values:
        person["enrollment_date"] = np.datetime64(values["enrollment_date"], "D")
    if "withdrawal_date" in values:
        person["withdrawal_date"] = (np.datetime64(values["withdrawal_date"], "D")
                                     if values["withdrawal_date"] else np.datetime64("NaT"))
    new_arm = values.get("arm")
    arm_changes = new_arm is not None and new_arm != old_arm
    kept = {visit.code for visit in study.protocol.visits_of(new_arm if arm_changes else old_arm)}
    lines: tuple[str, ...] = ()
    if person:
        # The dates' moves with the arm as it was, for the visits the participant keeps.
        before, after = study._check(participant_id), study._check(participant_id, person=person)
        lines = _window_and_status_changes(before[before["visit_code"].isin(kept)],
                                           after[after["visit_code"].isin(kept)])
    if arm_changes:
        lines += _arm_changes(study, participant_id, old_arm, str(new_arm), person)
    return lines


def _lost_and_gained(protocol: Protocol, old_arm: str, new_arm: str) -> tuple[list[str], list[str]]:
    """The codes of the visits a participant loses and gains with a new arm (in plan order)."""
    had = [visit.code for visit in protocol.visits_of(old_arm)]
    has = [visit.code for visit in protocol.visits_of(new_arm)]
    return [code for code in had if code not in has], [code for code in has if code not in had]


def _arm_changes(study: Folder, participant_id: str, old_arm: str, new_arm: str,
                 person: dict[str, np.datetime64]) -> tuple[str, ...]:
    """The visits a participant loses and gains with a new arm (Protocol.visits_of); a visit
    gained with its window, as of the correction's other values."""
    lost, gained = _lost_and_gained(study.protocol, old_arm, new_arm)
    if not lost and not gained:
        return ()
    # TRANSLATORS: a visit the participant's new arm does not have (what a correction moves).
    lines = [_("{visit} is no longer expected").format(visit=code) for code in lost]
    after = study._check(participant_id, person=person or None, arm=new_arm)
    windows = {code: (str(opens)[:10], str(closes)[:10]) for code, opens, closes
               in zip(after["visit_code"], after["window_open"], after["window_close"])}
    for code in gained:
        if code in windows and windows[code][0] != "NaT":
            # TRANSLATORS: a visit the participant's new arm has: "M6 is now expected (window
            # 2011-02-14 to 2011-03-14)".
            lines.append(_("{visit} is now expected (window {window_open} to {window_close})").format(
                visit=code, window_open=windows[code][0], window_close=windows[code][1]))
        else:
            lines.append(_("{visit} is now expected").format(visit=code))
    return tuple(lines)


def _records_left_out(study: Folder, visits: CsvFile, participant_id: str, old_arm: str,
                       new_arm: str) -> list[str]:
    """Records of visits a new arm does not have: every command will list them as problems
    of the visits file and leave them out (core.records, "not of the arm"), so said at once,
    with the command that removes one recorded in error."""
    lost, _gained = _lost_and_gained(study.protocol, old_arm, new_arm)
    notes: list[str] = []
    for row in visits.rows:
        code = visits.value(row, "visit_code")
        if visits.participant(row) != participant_id or code not in lost:
            continue
        where = {"participant": participant_id, "visit": code, "arm": new_arm,
                 "file": label(study.visits_path), "line": visits.line_of(row)}
        if new_arm:
            # TRANSLATORS: the end is a command line, typed as it is.
            notes.append(Aside(_("Warning: {participant} {visit} is recorded ({file}:{line}), and arm {arm} does "
                                 "not have the visit: every command will list the record as a problem and "
                                 "leave it out — if it was recorded in error: visit-scheduler correct "
                                 "{participant} {visit} --remove --reason …").format(**where)))
        else:
            notes.append(Aside(_("Warning: {participant} {visit} is recorded ({file}:{line}), and not every arm "
                                 "has the visit: until {participant} is in an arm that has it, every command "
                                 "will list the record as a problem and leave it out").format(**where)))
    return notes


def _newly_out_of_window(study: Folder, participant_id: str, values: dict[str, str]) -> list[str]:
    """Visits done that a roster correction turns into deviations with no reason of their
    own: said at once, with the command that adds the reason."""
    if "enrollment_date" not in values:
        return []
    person: dict[str, np.datetime64] = {"enrollment_date": np.datetime64(values["enrollment_date"], "D")}
    before, after = study._check(participant_id), study._check(participant_id, person=person)
    notes: list[str] = []
    for code, was, now, actual, reason in zip(after["visit_code"], before["status"], after["status"],
                                              after["actual_date"], after["reason"]):
        if now in OUT_OF_WINDOW and was != now and not reason:
            day = str(actual)[:10]
            # TRANSLATORS: {status} and {was} are status words (early, in window); the end is a
            # command line, typed as it is.
            notes.append(Aside(_("Warning: {participant} {visit} (done {date}) is now {status}, was {was}: it needs "
                           "its own reason — visit-scheduler correct {participant} {visit} {date} --reason "
                           "\"…\" --visit-reason \"…\"").format(participant=participant_id, visit=code,
                                                                 date=day, status=status_word(now),
                                                                 was=_status(str(was)))))
    return notes


def _status(status: str) -> str:
    """A status word inside a sentence: the table's word, "in_window" said "in window"."""
    return status_word(status).replace("_", " ")


def _window_and_status_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[str, ...]:
    return tuple(line for line, _window in _changes_of(before, after))


def _changes_of(before: pd.DataFrame, after: pd.DataFrame) -> list[tuple[str, bool]]:
    """Windows that shift and statuses that change, in words; each with whether it is about
    the visit's window (a status change from "in window" counts as one)."""
    lines = []
    columns = ("visit_code", "window_open", "window_close", "status")
    was = zip(*(before[name].astype(str) for name in columns))
    now = zip(*(after[name].astype(str) for name in columns))
    for (code, opened, closed, status), (_code, opens, closes, state) in zip(was, now):
        if (opened, closed) != (opens, closes):
            lines.append((_("{visit} window {old_open} to {old_close} → {new_open} to {new_close}").format(
                visit=code, old_open=opened[:10], old_close=closed[:10], new_open=opens[:10],
                new_close=closes[:10]), True))
        if status != state:
            # TRANSLATORS: a visit's status before and after a change, as "D7 in window → late".
            lines.append((_("{visit} {old} → {new}").format(visit=code, old=_status(status),
                                                           new=_status(state)),
                          status == Status.IN_WINDOW))
    return lines


def remove_participant(folder: Path, participant_id: str, reason: str, who: str, by: str = "") -> Said:
    """A participant enrolled in error: out of the roster and of every output and export,
    with their visit records; the trail keeps every value."""
    _needs_reason(reason)
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        person = study.find(roster, participant_id)
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
        theirs = [row for row in visits.rows if visits.participant(row) == participant_id]
        # Their moves to later protocol versions go with them (versions.csv).
        from scheduler.sources.history import VERSION_COLUMNS, VERSIONS_HEADER

        history = CsvFile.read(study.record_files().history, VERSIONS_HEADER, VERSION_COLUMNS)
        moved = [row for row in history.rows if history.participant(row) == participant_id]
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            edits = _remove(roster, person, participant_id, "", ROSTER_FIELDS)
            for row in theirs:
                edits += _remove(visits, row, participant_id, visits.value(row, "visit_code"), VISIT_FIELDS)
            for row in moved:
                edits += _remove(history, row, participant_id, "", VERSION_COLUMNS)
            _drop(roster, [person])
            _drop(visits, theirs)
            _drop(history, moved)
            changed = {study.participants_path: roster}
            if theirs:
                changed[study.visits_path] = visits
            if moved:
                changed[history.path] = history
            _commit(study, changed, edits, "remove", reason, who, by, trail)
    if theirs:
        said = ngettext("Removed participant {participant} and {count} visit record; the audit trail keeps "
                        "every value",
                        "Removed participant {participant} and {count} visit records; the audit trail keeps "
                        "every value", len(theirs)).format(participant=participant_id, count=len(theirs))
    else:
        said = _("Removed participant {participant}; the audit trail keeps every value").format(
            participant=participant_id)
    return Said(((settled,) if settled else ()) + (said,))


def withdraw(folder: Path, participant_id: str, day: dt.date, reason: str, who: str,
             by: str = "", category: str | None = None) -> Said:
    if not reason:
        raise ChangeRefused(_("a withdrawal needs a reason: give --reason"))
    free_text(reason, "--reason")
    chosen = _category(category) if category else None
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        person = study.find(roster, participant_id)
        earlier = roster.value(person, "withdrawal_date")
        if earlier:
            raise ChangeRefused(_("{participant} already withdrew on {date} ({file}:{line})").format(
                participant=participant_id, date=earlier, file=label(study.participants_path),
                line=roster.line_of(person)))
        enrolled = parse_day(roster.value(person, "enrollment_date"), "enrollment_date")
        if day < enrolled:
            raise ChangeRefused(_("{date} is before {participant} was enrolled ({enrollment})").format(
                date=day, participant=participant_id, enrollment=enrolled))
        if day > study.today():
            raise ChangeRefused(_("{date} is after today ({today}): record a withdrawal on the day it "
                                  "happens").format(date=day, today=study.today()))
        _check_consent(roster.value(person, "consent_date"), day.isoformat())
        visits = CsvFile.read(study.visits_path, VISITS_HEADER, VISIT_KEYS)
        after = [_visit_on(visits.value(r, "visit_code"), visits.value(r, "actual_date"))
                 for r in visits.rows if visits.participant(r) == participant_id
                 and (recorded_day(visits.value(r, "actual_date")) or dt.date.min) > day]
        if after:
            raise ChangeRefused(_visits_after(participant_id, day, after))
        _check_history(study, participant_id, enrolled, day)
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            edits = [edit for edit in (_set(roster, person, "withdrawal_date", day.isoformat(), participant_id),
                                       _set(roster, person, "withdrawal_reason", reason, participant_id),
                                       _set(roster, person, "withdrawal_category", chosen, participant_id)
                                       if chosen else None)
                     if edit is not None]
            _commit(study, {study.participants_path: roster}, edits, "withdraw", reason, who, by, trail)
    return Said(((settled,) if settled else ()) + (
        _("Withdrew {participant} on {date} ({reason})").format(participant=participant_id, date=day,
                                                                reason=reason),))


def undo_withdrawal(folder: Path, participant_id: str, reason: str, who: str, by: str = "") -> Said:
    """A withdrawal recorded in error: the participant is on study again."""
    _needs_reason(reason)
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        person = study.find(roster, participant_id)
        if not roster.value(person, "withdrawal_date"):
            raise ChangeRefused(_("nothing to change: {participant} has no withdrawal recorded").format(
                participant=participant_id))
        moves = _moves(study, participant_id, {"withdrawal_date": ""})
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            edits = [edit for name in ("withdrawal_date", "withdrawal_reason", "withdrawal_category")
                     if name in roster.names
                     and (edit := _set(roster, person, name, "", participant_id)) is not None]
            _commit(study, {study.participants_path: roster}, edits, "undo withdrawal", reason, who, by, trail)
    return Said(((settled,) if settled else ()) + (
        _("Undid the withdrawal of {participant}: on study again").format(participant=participant_id),), moves)


def audit_table(folder: Path, participant_id: str | None, start: np.datetime64 | None,
                end: np.datetime64 | None, output: Path | None,
                messages: Messages) -> tuple[pd.DataFrame | None, str]:
    """The audit trail, or the lines of one participant or of a range of days (in study
    time). Written to ``output`` (CSV, JSON, Excel: every column), or returned for the
    terminal (the columns a person reads)."""
    from scheduler.storage.audit import AUDIT_COLUMNS, read_audit

    entries = read_audit(folder)
    frame = pd.DataFrame(entries, columns=AUDIT_COLUMNS).fillna("")
    if participant_id:
        frame = frame[frame["participant_id"] == participant_id]
    day = frame["when_local"].str.slice(0, 10)
    if start is not None:
        frame = frame[day >= str(start)]
    if end is not None:
        frame = frame[day <= str(end)]
    frame = frame.reset_index(drop=True)
    changes = frame[frame["step"].isin(("value", ""))]
    # A change is one command (one change_id; each older line counts as one), of one value or more.
    count = changes["change_id"].where(changes["change_id"] != "", changes.index.astype(str)).nunique()
    if len(changes) != count:
        counted = ngettext("{count} change, {values} values", "{count} changes, {values} values",
                           count).format(count=count, values=len(changes))
    else:
        counted = ngettext("{count} change", "{count} changes", count).format(count=count)
    # TRANSLATORS: the audit table's title: which part of the trail, then how many changes.
    title = _("{trail}: {changes}").format(trail=_trail_part(participant_id, start, end), changes=counted)
    if participant_id and not len(frame):
        messages.note(_("no change recorded for '{participant}' (IDs are compared as text: 007 is not "
                        "7)").format(participant=participant_id))
    if output is not None:
        from scheduler.app.study import guard_output
        from scheduler.outputs.files import write_table

        guard_output(folder, output)
        write_table(frame, output, sheet=_("Audit trail"))
        messages.append(_("Wrote {file} ({count} lines of the trail, its header aside)").format(
            file=label(output), count=len(frame)))
        return None, title
    shown = changes[["when_local", "who", "on_behalf_of", "action", "participant_id", "visit_code",
                     "field", "old_value", "new_value", "reason"]]
    return shown, title


def _trail_part(participant_id: str | None, start: np.datetime64 | None, end: np.datetime64 | None) -> str:
    """Which part of the audit trail a table shows: all of it, a participant's, some days'."""
    if start is None and end is None:
        return (_("Audit trail of {participant}").format(participant=participant_id) if participant_id
                else _("Audit trail"))
    first, last = start or None, end or None  # as given; an empty end: the start, today
    where = {"participant": participant_id, "start": first, "end": last}
    if participant_id:
        if first is None and last is None:
            return _("Audit trail of {participant} from the start to today").format(**where)
        if first is None:
            return _("Audit trail of {participant} from the start to {end}").format(**where)
        if last is None:
            return _("Audit trail of {participant} from {start} to today").format(**where)
        return _("Audit trail of {participant} from {start} to {end}").format(**where)
    if first is None and last is None:
        return _("Audit trail from the start to today")
    if first is None:
        return _("Audit trail from the start to {end}").format(**where)
    if last is None:
        return _("Audit trail from {start} to today").format(**where)
    return _("Audit trail from {start} to {end}").format(**where)
