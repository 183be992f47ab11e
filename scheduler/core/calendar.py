"""Calendars nurses import into Outlook: one all-day event per visit window.

What an event says is decided here from the check table (pure); ``outputs.ics`` turns
events into an .ics file with the icalendar library, ``storage.calendar_state`` keeps what
was published. Choices, and why:

- An event covers the whole window: DTSTART;VALUE=DATE = window_open and DTEND;VALUE=DATE
  = the day after window_close (RFC 5545: the end of an all-day event is exclusive).
- It does not block the nurse's day: TRANSP:TRANSPARENT and X-MICROSOFT-CDO-BUSYSTATUS:FREE
  (Outlook reads the latter first).
- Only visits still to be done carry a reminder (one VALARM, ACTION:DISPLAY, a relative
  TRIGGER of -P{N}D before the window opens; Outlook keeps only one).
- A visit recorded as not done (an empty actual_date with a reason) is no longer to do: its
  title says so ("007 M1 not done"), it carries no reminder, and the description says a
  reason was recorded — never the reason's text. It stays an ordinary event over its window
  (STATUS:CONFIRMED, not CANCELLED): Outlook shows a cancelled event imported from a file
  like any other, and Google Calendar hides one, while the nurse wants to see the window and
  that the visit was not done (a monitor asks about it); CANCELLED stays the sign of a
  withdrawal. The title is the same before and after the window closes (the record, not the
  date, decides), so recording "not done" moves SEQUENCE once and the days passing do not.
- The UID is derived from study, participant and visit code: the same in every export.
  SEQUENCE counts how often the event's dates or status have changed
  since it was first exported; LAST-MODIFIED says when. Both come from a small state file in
  the study folder (calendar-state.json); when it is lost, numbering starts again.
- No VTIMEZONE: every event is an all-day (floating) date, so no clock time can move.
- Only participant IDs and visit information: no roster column ever reaches a calendar.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import SupportsInt, cast

import numpy as np
import pandas as pd

from scheduler.core.arms import row_participants
from scheduler.core.dates import as_day
from scheduler.core.words import DEVIATIONS, DONE, PENDING, Status
from scheduler.errors import OutputError
from scheduler.i18n import _, ngettext, pgettext
from scheduler.protocol import DEFAULT_KIND, ENROLLMENT, Protocol


@dataclass(frozen=True)
class CalendarEvent:
    """What one visit's event says; everything but the bookkeeping (SEQUENCE, stamps)."""

    uid: str
    participant_id: str
    start: dt.date
    end: dt.date  # exclusive
    summary: str
    description: str
    category: str
    cancelled: bool
    remind: bool
    study: str = ""  # a second category, so a study's events can be found and removed
    visit_code: str = ""

    @property
    def fingerprint(self) -> str:
        """What SEQUENCE tracks: the dates and the status (the summary says the status).
        The description's details (the anchor's state, a reason added later) do not count."""
        content = "\n".join([self.start.isoformat(), self.end.isoformat(), self.summary,
                             str(self.cancelled)])
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def uid_for(study_id: str, participant_id: str, visit_code: str) -> str:
    """Stable across exports: study, participant and visit, made safe for any calendar.

    Every character but A–Z, a–z, 0–9, "." and "_" is percent-encoded from its UTF-8 bytes
    (as in a URL), so the "-" between the parts can never be confused with one inside them."""
    return f"{_uid_part(study_id)}-{_uid_part(participant_id)}-{_uid_part(visit_code)}@visit-scheduler"


_UID_SAFE = re.compile(r"[A-Za-z0-9._]*")


@functools.lru_cache(maxsize=65536)
def _uid_part(text: str) -> str:
    """One part of a UID, percent-encoded but for A–Z, a–z, 0–9, "." and "_" (most IDs and
    codes need nothing: one match of the whole text, once per distinct text)."""
    if _UID_SAFE.fullmatch(text):
        return text
    return "".join(char if _UID_SAFE.fullmatch(char)
                   else "".join(f"%{byte:02X}" for byte in char.encode("utf-8")) for char in text)


def _day(value: object) -> str:
    return str(value)[:10]


def build_events(protocol: Protocol, check: pd.DataFrame, as_of: np.datetime64 | None = None,
                 remind_days: int = 1) -> list[CalendarEvent]:
    """One event per row of the check table (every participant × visit).

    A visit still to do carries a reminder, unless its reminder day (``remind_days`` before
    the window opens) is not after ``as_of``: a reminder already past would pop up as
    overdue every time the calendar is opened."""
    visit_index = {code: index for index, code in enumerate(protocol.codes)}
    # Each row's visit as the version it follows defines it (with protocol versions, D14's
    # window may be 1.0's ± 2 for one participant and 2.0's ± 4 for another).
    versions = protocol.versions or (protocol,)
    defined = [[each.visit(code) if code in each.codes else protocol.visit(code) for code in protocol.codes]
               for each in versions]
    which = (np.maximum(pd.Index([each.version for each in versions], dtype=object).get_indexer(
                 pd.Index(check["protocol_version"].astype(object), dtype=object)), 0)
             if protocol.versions and "protocol_version" in check else np.zeros(len(check), dtype=np.int64))
    # Each row's anchor row: the same participant's row of the anchor visit (with arms a
    # participant has only their arm's visits, and the anchor is always one of them), or the
    # row itself for a visit hung on enrollment; −1 when the participant does not have it.
    position = np.arange(len(check))
    person = row_participants(check)
    column = np.asarray(check["visit_code"].cat.codes.to_numpy(), dtype=np.int64)
    anchor_of = np.array([[visit_index[v.anchor] if v.anchor != ENROLLMENT else -1 for v in each]
                          for each in defined], dtype=np.int64)
    rows = np.full((len(check["participant_id"].cat.categories), len(protocol.visits)), -1, dtype=np.int64)
    rows[person, column] = position
    wanted = anchor_of[which, column]
    anchor_row = np.where(wanted < 0, position, rows[person, np.maximum(wanted, 0)])

    opens = check["window_open"].to_numpy().astype("M8[D]")
    closes = check["window_close"].to_numpy().astype("M8[D]")
    targets = check["target_date"].to_numpy().astype("M8[D]")
    actual = check["actual_date"].to_numpy().astype("M8[D]")
    suggested = (check["suggested_date"].to_numpy().astype("M8[D]") if "suggested_date" in check
                 else np.full(len(check), np.datetime64("NaT"), dtype="M8[D]"))
    reminders_after = None if as_of is None else as_day(as_of)
    events = []
    columns = zip(check["participant_id"], check["visit_code"], check["status"],
                  check["days_outside"], check["reason"], opens, closes, targets, actual, anchor_row,
                  suggested, which, column)
    for (participant, code, status, days, reason, opened, closed, target, done, anchor_at, booked,
         version, place) in columns:
        visit = defined[version][place]
        # The event's text is in the language people read (its UID and categories are keys).
        if visit.anchor == ENROLLMENT:
            anchored = _("Anchored on: enrollment")
        elif anchor_at < 0:
            # TRANSLATORS: {anchor} is the code of the visit this visit's window hangs on (D0).
            anchored = _("Anchored on: {anchor}").format(anchor=visit.anchor)
        else:
            anchor_done = actual[anchor_at]
            # TRANSLATORS: {anchor} is the code of the visit this visit's window hangs on (D0).
            anchored = (_("Anchored on: {anchor} done {date}").format(
                            anchor=visit.anchor, date=_day(anchor_done)) if not np.isnat(anchor_done)
                        else _("Anchored on: {anchor} target {date} (not done yet)").format(
                            anchor=visit.anchor, date=_day(targets[anchor_at])))
        not_done = bool(reason) and np.isnat(done) and status != Status.WITHDRAWN
        if not_done:
            # TRANSLATORS: a calendar event's title: a participant ID and a visit code (D7).
            summary = _("{participant} {visit} not done").format(participant=participant, visit=code)
            state = (_("not done, as recorded in the visits file (window closed {date})").format(
                         date=_day(closed)) if status == Status.MISSED
                     else _("not done, as recorded in the visits file"))
        else:
            summary, state = _summary(participant, code, status, days, target, done, closed)
        lines = [
            # TRANSLATORS: {name} is the visit's name in the protocol ("Day 7 follow-up").
            _("Participant {participant}, visit {visit}: {name}").format(
                participant=participant, visit=code, name=visit.name_in()),
            # TRANSLATORS: {timing} is the visit's place in the plan ("Day 7 ± 1 from D0").
            _("Window: {open} to {close} ({timing})").format(
                open=_day(opened), close=_day(closed), timing=visit.timing),
            _("Target: {date}").format(date=_day(target)),
            anchored,
        ]
        procedures = visit.procedures_in()
        if procedures:
            # TRANSLATORS: {procedures} is the visit's procedures, separated by "; ".
            lines.append(_("Procedures: {procedures}").format(procedures=pgettext("list", "; ").join(procedures)))
        if status in PENDING and not reason and "suggested_date" in check:
            lines.append(_("Suggested date: {date} (a clinic day)").format(date=_day(booked))
                         if not np.isnat(booked)
                         else _("No clinic day in this window: book it by hand"))
        # TRANSLATORS: {state} is what became of the visit ("done 2010-09-08, in window").
        lines.append(_("Status: {state}").format(state=state))
        # The reason's free text stays in the study folder: calendars travel to phones and
        # mailboxes, and a reason may hold health information or a name.
        if reason:
            lines.append(_("Reason: recorded in the visits file"))
        elif status in DEVIATIONS:
            lines.append(_("Reason: reason missing"))
        lines.append(_("Study {study}. Made by visit-scheduler.").format(study=protocol.study_id))
        pending = status in PENDING and not not_done
        reminder_day = opened - np.timedelta64(remind_days, "D")
        events.append(CalendarEvent(
            uid=uid_for(protocol.study_id, participant, code),
            participant_id=participant, visit_code=code,
            start=dt.date.fromisoformat(_day(opened)),
            end=dt.date.fromisoformat(_day(closed + np.timedelta64(1, "D"))),
            summary=summary,
            description="\n".join(lines),
            category=visit.category,
            study=re.sub(r"[,;\\]", " ", protocol.study_id),
            cancelled=status == Status.WITHDRAWN,
            remind=pending and (reminders_after is None or reminder_day > reminders_after),
        ))
    return events


def dropped_events(protocol: Protocol, dropped: pd.DataFrame, now_on: dict[str, str]) -> list[CalendarEvent]:
    """Cancelled events for visits a move to a later protocol version took out of a
    participant's plan (``dropped``: their rows as the earlier plan had them; ``now_on``: each
    participant's version now): Outlook removes the event it had."""
    events = []
    for participant, code, opened, closed in zip(dropped["participant_id"], dropped["visit_code"],
                                                 dropped["window_open"], dropped["window_close"]):
        version = now_on.get(str(participant), "")
        words = {"participant": participant, "visit": code, "version": version}
        visit = protocol.visit(str(code))
        events.append(CalendarEvent(
            uid=uid_for(protocol.study_id, str(participant), str(code)),
            participant_id=str(participant), visit_code=str(code),
            start=dt.date.fromisoformat(_day(opened)),
            end=dt.date.fromisoformat(_day(np.datetime64(closed, "D") + np.timedelta64(1, "D"))),
            # TRANSLATORS: a calendar event's title: a visit the participant's new protocol
            # version no longer has; {version} is the version's name (2.0).
            summary=_("{participant} {visit} cancelled (not in protocol version {version})").format(**words),
            description="\n".join([
                _("Participant {participant}, visit {visit}: {name}").format(
                    participant=participant, visit=code, name=visit.name_in()),
                _("Status: {state}").format(state=_("cancelled: protocol version {version}, which the participant "
                                                   "follows now, does not have this visit").format(**words)),
                _("Study {study}. Made by visit-scheduler.").format(study=protocol.study_id)]),
            category=visit.category,
            study=re.sub(r"[,;\\]", " ", protocol.study_id),
            cancelled=True,
            remind=False,
        ))
    return events


def _summary(participant: str, code: str, status: str, days: object, target: np.datetime64,
             done: np.datetime64, closed: np.datetime64) -> tuple[str, str]:
    """The line a month view shows, and the status in words for the description. Each title
    is its own message (a participant ID and a visit code, then the status in words)."""
    words = {"participant": participant, "visit": code}
    if status in DONE:
        words["date"] = _day(done)
        if status == Status.IN_WINDOW:
            return (_("{participant} {visit} done {date}, in window").format(**words),
                    _("done {date}, in window").format(**words))
        count = int(cast("SupportsInt", days))  # an early or late visit has its days outside
        if status == Status.EARLY:
            return (ngettext("{participant} {visit} done {date}, early by {count} day",
                             "{participant} {visit} done {date}, early by {count} days",
                             count).format(count=count, **words),
                    ngettext("done {date}, early by {count} day", "done {date}, early by {count} days",
                             count).format(count=count, **words))
        return (ngettext("{participant} {visit} done {date}, late by {count} day",
                         "{participant} {visit} done {date}, late by {count} days",
                         count).format(count=count, **words),
                ngettext("done {date}, late by {count} day", "done {date}, late by {count} days",
                         count).format(count=count, **words))
    if status == Status.MISSED:
        words["date"] = _day(closed)
        return (_("{participant} {visit} MISSED: window closed {date}").format(**words),
                _("MISSED: window closed {date}").format(**words))
    if status == Status.WITHDRAWN:
        return (_("{participant} {visit} cancelled (withdrawn)").format(**words),
                _("cancelled: the participant withdrew"))
    # "due" and "upcoming" change with the date alone: the event says "to do" for both, so
    # that SEQUENCE does not climb day after day while nothing happened.
    return (_("{participant} {visit} target {date}").format(date=_day(target), **words),
            _("to do"))


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class Published:
    fingerprint: str
    sequence: int
    last_modified: str  # ISO 8601 UTC
    # What the event was, so that a visit gone from the plan can be cancelled ("" in a state
    # written before these were kept): participant, visit code, first day, day after the last.
    participant: str = ""
    visit: str = ""
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class State:
    """What earlier exports published, and the latest as-of date they were made for."""

    events: dict[str, Published]
    as_of: str = ""


def update_state(state: dict[str, Published], events: list[CalendarEvent],
                 now: dt.datetime) -> dict[str, Published]:
    """SEQUENCE goes up by one each time an event's dates or status differ from what was
    published; LAST-MODIFIED is then now."""
    stamp = utc_stamp(now)
    updated = dict(state)
    for event in events:
        before = state.get(event.uid)
        what = (event.participant_id, event.visit_code, event.start.isoformat(), event.end.isoformat())
        if before is None:
            updated[event.uid] = Published(event.fingerprint, 0, stamp, *what)
        elif before.fingerprint != event.fingerprint:
            updated[event.uid] = Published(event.fingerprint, before.sequence + 1, stamp, *what)
        elif (before.participant, before.visit, before.start, before.end) != what:
            updated[event.uid] = Published(before.fingerprint, before.sequence, before.last_modified, *what)
    return updated


def vanished_events(protocol: Protocol, stored: State, events: list[CalendarEvent],
                    participants: set[str] | None) -> list[CalendarEvent]:
    """Cancelled events for what an earlier export published and the plan no longer has (a
    move undone, an arm changed, a participant removed): Outlook then removes them, instead
    of keeping a visit nobody will do. ``participants``: those this export is about (None:
    the whole site). Events published before the state kept their dates are left alone."""
    if not events:  # an empty roster is more likely a wrong file than a study emptied: nothing cancelled
        return []
    made = {event.uid for event in events}
    gone = []
    for uid, published in sorted(stored.events.items()):
        if uid in made or not published.start or not published.visit:
            continue
        if participants is not None and published.participant not in participants:
            continue
        if uid != uid_for(protocol.study_id, published.participant, published.visit):
            continue  # another study's event (a state file copied between folders)
        words = {"participant": published.participant, "visit": published.visit}
        gone.append(CalendarEvent(
            uid=uid, participant_id=published.participant,
            start=dt.date.fromisoformat(published.start), end=dt.date.fromisoformat(published.end),
            # TRANSLATORS: a calendar event's title: a visit an earlier calendar had that the
            # participant's plan no longer has.
            summary=_("{participant} {visit} cancelled (no longer in the plan)").format(**words),
            description="\n".join([
                _("Status: {state}").format(state=_("cancelled: the participant's plan no longer has this visit")),
                _("Study {study}. Made by visit-scheduler.").format(study=protocol.study_id)]),
            category=protocol.visit(published.visit).category if published.visit in protocol.codes else DEFAULT_KIND,
            study=re.sub(r"[,;\\]", " ", protocol.study_id), cancelled=True, remind=False,
            visit_code=published.visit))
    return gone


RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                  *(f"LPT{n}" for n in range(1, 10))}


def file_name_for(participant_id: str) -> str:
    """A participant's .ics name in a --split folder: the ID, made safe for any file system
    (Windows' reserved names such as CON get a trailing underscore)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", participant_id)
    if stem.upper() in RESERVED_NAMES:
        stem += "_"
    return stem + ".ics"


def file_names_for(participant_ids: Iterable[str], extension: str = "ics") -> dict[str, str]:
    """Each participant's file name in a folder of one file per participant (ID.ics, ID.pdf
    …, made safe as ``file_name_for``); refuses two participants whose files would be one
    (Windows and macOS do not tell A01.ics from a01.ics)."""
    names: dict[str, str] = {}
    taken: dict[str, str] = {}
    for participant in participant_ids:
        name = file_name_for(participant)[: -len("ics")] + extension
        if name.lower() in taken:
            # TRANSLATORS: {first} and {second} are participant IDs, {file} a file name.
            raise OutputError(_("participants {first} and {second} would both be written to {file} — "
                                "give one of them another ID").format(
                first=taken[name.lower()], second=participant, file=name))
        taken[name.lower()] = participant
        names[participant] = name
    return names


def utc_stamp(now: dt.datetime) -> str:
    """A moment as the state file writes it: ISO 8601 UTC to the second."""
    return now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Publication:
    """What an export publishes: each event's SEQUENCE and LAST-MODIFIED, the state to keep
    (None for a look back, which leaves the state as it was), warnings for the nurse."""

    events: dict[str, Published]
    state: State | None
    warnings: tuple[str, ...]


def publish(stored: State, events: list[CalendarEvent], now: dt.datetime, as_of: np.datetime64,
            state_name: str) -> Publication:
    """SEQUENCE and LAST-MODIFIED of every event against what was published before.

    An export as of a date before the latest one already published is a look back: its
    events carry the numbers already published and the state file is left as it was, so a
    later export does not count the look back as two changes."""
    if not events:
        raise OutputError(_("no participants to put in a calendar — add participants first"))
    day = str(as_day(as_of))
    if stored.as_of and day < stored.as_of:
        events_state = dict(stored.events)
        for event in events:
            events_state.setdefault(event.uid, Published(event.fingerprint, 0, utc_stamp(now)))
        # TRANSLATORS: {date} and {last} are as-of dates; {file} is the calendar state file.
        warning = _("as of {date}, before the last calendar export (as of {last}): {file} is left "
                    "as it was; do not import this file over the current one").format(
            date=day, last=stored.as_of, file=state_name)
        return Publication(events_state, None, (warning,))
    events_state = update_state(stored.events, events, now)
    return Publication(events_state, State(events_state, max(day, stored.as_of)), ())


def by_participant(events: list[CalendarEvent]) -> dict[str, list[CalendarEvent]]:
    """Each participant's events, in the order of the export."""
    grouped: dict[str, list[CalendarEvent]] = {}
    for event in events:
        grouped.setdefault(event.participant_id, []).append(event)
    return grouped
