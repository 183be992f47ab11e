"""Calendar events to .ics files with the icalendar library: the site calendar and one
file per participant (``--split``).

An event's words (its summary, description, category) are made in the reader's language by
``core.calendar``; here they are written as they are. The UIDs, the PRODID and the values of
the iCalendar properties (CONFIRMED, TRANSPARENT …) are the format's, never translated."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from scheduler.core.calendar import CalendarEvent, Published, by_participant, file_names_for
from scheduler.errors import OutputError
from scheduler.i18n import _
from scheduler.paths import label
from scheduler.storage.atomic import atomic_folder, atomic_path, file_head

PRODID = "-//visit-scheduler//visit windows//EN"


def render(events: list[CalendarEvent], state: dict[str, Published], now: dt.datetime,
           calendar_name: str | None, remind_days: int) -> bytes:
    """An .ics file: one VCALENDAR, METHOD:PUBLISH, UTF-8 without BOM, CRLF, folded lines.

    Each event is serialised on its own and the calendar's lines put around them: the same
    bytes as one Calendar holding every event, without 80,000 events' objects in memory at
    once (a 10,000-participant site calendar stays well under a gigabyte)."""
    import gc

    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if calendar_name:
        calendar.add("x-wr-calname", icalendar.vText(calendar_name))  # escaped like any text
    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    head, end = calendar.to_ical().rsplit(b"END:VCALENDAR", 1)
    parts = [head]
    collecting = gc.isenabled()
    gc.disable()  # icalendar makes many small objects per event and keeps none: no cycles to find
    try:
        for event in events:
            parts.append(_event(icalendar, event, state[event.uid], stamp, remind_days))
    finally:
        if collecting:
            gc.enable()
    parts.append(b"END:VCALENDAR" + end)
    return b"".join(parts)


def _event(icalendar: Any, event: CalendarEvent, published: Published, stamp: dt.datetime,
           remind_days: int) -> bytes:
    """One VEVENT's lines, folded, as the calendar holds them."""
    entry = icalendar.Event()
    entry.add("uid", event.uid)
    entry.add("dtstamp", stamp)
    entry.add("sequence", published.sequence)
    entry.add("last-modified", dt.datetime.fromisoformat(published.last_modified.replace("Z", "+00:00")))
    entry.add("dtstart", event.start)
    entry.add("dtend", event.end)
    entry.add("summary", event.summary)
    entry.add("description", event.description)
    entry.add("categories", [event.category, event.study])
    entry.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    entry.add("transp", "TRANSPARENT")
    entry.add("x-microsoft-cdo-busystatus", "FREE")
    entry.add("x-microsoft-cdo-alldayevent", "TRUE")
    if event.remind:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        # 09:00 on the day, remind_days before the window opens (the event starts at
        # midnight: -P1D alone would ring at midnight).
        alarm.add("trigger", dt.timedelta(days=-remind_days, hours=9))
        entry.add_component(alarm)
    ical: bytes = entry.to_ical()  # icalendar leaves to_ical unannotated
    return ical


def write_calendars(events: list[CalendarEvent], published: dict[str, Published], now: dt.datetime,
                    remind_days: int, output: Path | None, split: Path | None,
                    calendar_name: str | None) -> list[Path]:
    """Write the site calendar (``output``) and/or one file per participant (``split``).

    The --split folder is one set, replaced whole (``storage.atomic.atomic_folder``); a site
    calendar written into it is part of the set. The tool's own files there are calendars it
    made: ``.ics`` files whose first lines carry its PRODID. The --split folder is checked
    before anything is made, and the site calendar is renamed into place just after the
    folder is swapped in: a refusal, a failure or Ctrl-C on the way leaves both as they were."""
    grouped = by_participant(events)
    names = split_file_names(list(grouped), output, split) if split is not None else {}
    inside = (output is not None and split is not None
              and output.resolve().parent == split.resolve())
    with contextlib.ExitStack() as stack:  # left in reverse: the folder swapped, then the file
        site = stack.enter_context(atomic_path(output)) if output is not None and not inside else None
        building = None
        if split is not None:
            files = [*names.values(), *([output.name] if inside and output is not None else [])]
            building = stack.enter_context(atomic_folder(split, files, made_here))
            if inside and output is not None:
                site = building / output.name
        if site is not None and output is not None:
            try:
                site.write_bytes(render(events, published, now, calendar_name, remind_days))
            except OSError as error:
                # TRANSLATORS: {reason} is the system's reason (No space left on device).
                raise OutputError(_("{file}: writing failed ({reason}) — nothing was replaced: the earlier "
                                    "files, if any, are unchanged").format(
                    file=label(output), reason=error.strerror or error)) from None
        if building is not None:
            for participant, mine in grouped.items():
                # No X-WR-CALNAME: these go into the nurse's own calendar.
                (building / names[participant]).write_bytes(render(mine, published, now, None, remind_days))
    written = [output] if output is not None else []
    if split is not None:
        written += [split / names[participant] for participant in grouped]
    return written


SIGNATURE = f"\r\nPRODID:{PRODID}\r\n".encode("ascii")


def made_here(path: Path) -> bool:
    """A calendar visit-scheduler wrote: an .ics file whose first lines carry its PRODID."""
    head = file_head(path, ".ics", 256)
    return head is not None and head.startswith(b"BEGIN:VCALENDAR\r\n") and SIGNATURE in head


def split_file_names(participants: list[str], output: Path | None, split: Path) -> dict[str, str]:
    """Each participant's file name in a --split folder; refuses two participants whose
    files would be one (Windows and macOS do not tell A01.ics from a01.ics), and a site
    calendar that a participant's file would overwrite."""
    names = file_names_for(participants)
    taken = {name.lower() for name in names.values()}
    if output is not None and output.resolve().parent == split.resolve() \
            and output.name.lower() in taken:
        # TRANSLATORS: {file} is the site calendar given with -o, {folder} the --split folder.
        raise OutputError(_("-o {file} would be overwritten by a participant's file in {folder} — "
                            "write the site calendar elsewhere").format(file=label(output), folder=label(split)))
    return names
