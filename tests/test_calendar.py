"""Calendars for Outlook: dates equal the windows, stable UIDs, SEQUENCE counts changes,
Outlook's quirks respected, two independent parsers agree, nothing personal leaks."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import icalendar
import pendulum
import pytest

from .conftest import ROOT, SAMPLE, run_cli, write

ROSTER = """\
participant_id,name,phone,enrollment_date,withdrawal_date,withdrawal_reason,site
007,Zhao Min,138-0000-0107,2010-09-01,,,01
008,Huang Yong,138-0000-0108,2010-09-02,,,01
"""
VISITS = "participant_id,visit_code,actual_date,reason\n"
ICAL_JS = ROOT / ".venv" / "js" / "node_modules" / "ical.js"


def export(folder: Path, *args: str, at: str = "2012-06-01T10:00:00+00:00"):
    """Run the calendar command with the clock frozen (DTSTAMP, LAST-MODIFIED and "today",
    by default after every date the tests record)."""
    with pendulum.travel_to(pendulum.parse(at), freeze=True):
        return run_cli("calendar", *args, cwd=folder)


def events_of(path: Path) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def schedule_of(folder: Path, as_of: str) -> list[dict[str, str]]:
    run_cli("schedule", "--as-of", as_of, "-o", "schedule.csv", cwd=folder)
    with open(folder / "schedule.csv", newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def test_every_event_covers_its_window(study):
    """DTSTART;VALUE=DATE = window_open; DTEND = the day after window_close (exclusive end)."""
    folder = study(ROSTER, VISITS)
    result = export(folder, "--as-of", "2010-09-02", "-o", "site.ics")
    assert result.exit_code == 0, result.stderr
    events = events_of(folder / "site.ics")
    rows = schedule_of(folder, "2010-09-02")
    assert len(events) == len(rows) == 16
    for row in rows:
        event = events[f"NCT01143168-{row['participant_id']}-{row['visit_code']}@visit-scheduler"]
        assert event["dtstart"].dt.isoformat() == row["window_open"]
        assert (event["dtend"].dt - pendulum.Date.fromisoformat(row["window_close"])).days == 1
    d7 = events["NCT01143168-007-D7@visit-scheduler"]
    # Enrolled 2010-09-01: D7 window 09-07 … 09-09, so DTEND is 09-10.
    assert (str(d7["dtstart"].dt), str(d7["dtend"].dt)) == ("2010-09-07", "2010-09-10")
    assert "DTSTART;VALUE=DATE:20100907" in (folder / "site.ics").read_text("utf-8")


def test_outlook_details(study):
    """Transparent and FREE; one display reminder at 09:00 N days before the window opens,
    only for visits still to do; categories: the kind and the study; the site file is a
    named calendar of its own."""
    folder = study(ROSTER, VISITS + "007,D0,2010-09-01,\n")
    export(folder, "--as-of", "2010-09-02", "-o", "site.ics", "--remind-days", "3")
    text = (folder / "site.ics").read_text("utf-8")
    events = events_of(folder / "site.ics")
    for event in events.values():
        assert event["transp"] == "TRANSPARENT"
        assert event["x-microsoft-cdo-busystatus"] == "FREE"
        assert not any(c in cat for cat in event["categories"].cats for c in ",;")
    done, pending = events["NCT01143168-007-D0@visit-scheduler"], events["NCT01143168-007-D7@visit-scheduler"]
    assert done.walk("VALARM") == []
    alarms = pending.walk("VALARM")
    assert len(alarms) == 1
    # −3 days + 9 hours from the window's midnight start: 09:00 on 09-04 for D7 opening 09-07.
    assert alarms[0]["action"] == "DISPLAY" and alarms[0]["trigger"].to_ical() == b"-P2DT15H"
    assert [c for c in pending["categories"].cats] == ["transplant", "NCT01143168"]
    assert [c for c in events["NCT01143168-007-M3@visit-scheduler"]["categories"].cats] == ["follow-up", "NCT01143168"]
    assert "X-WR-CALNAME:NCT01143168 visits (site 01)" in text
    assert str(done["summary"]) == "007 D0 done 2010-09-01, in window"
    assert str(pending["summary"]) == "007 D7 target 2010-09-08"


def test_file_format_rules(study):
    """One VCALENDAR, METHOD:PUBLISH, PRODID, CRLF line ends, folded lines, UTF-8 without BOM,
    Chinese text intact, no VTIMEZONE (no timed events)."""
    folder = study(ROSTER + "患者9,王芳,1,2010-09-01,,,01\n",
                   VISITS + "007,D0,2010-09-03,导管室不可用\n")
    export(folder, "--as-of", "2010-09-05", "-o", "site.ics")
    raw = (folder / "site.ics").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"BEGIN:VCALENDAR") == 1 and raw.count(b"END:VCALENDAR") == 1
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"METHOD:PUBLISH\r\n" in raw and b"PRODID:" in raw and b"VTIMEZONE" not in raw
    events = events_of(folder / "site.ics")
    d0 = events["NCT01143168-007-D0@visit-scheduler"]
    assert str(d0["summary"]) == "007 D0 done 2010-09-03, late by 2 days"
    # The reason's free text stays in the study folder; the Chinese ID survives intact.
    assert "Reason: recorded in the visits file" in str(d0["description"])
    assert "导管室不可用".encode() not in raw and "王芳".encode() not in raw
    chinese = events["NCT01143168-%E6%82%A3%E8%80%859-D7@visit-scheduler"]
    assert str(chinese["summary"]) == "患者9 D7 target 2010-09-08"
    # Folding never splits an escape (a line ending in an odd number of backslashes).
    assert all((len(line) - len(line.rstrip(b"\\"))) % 2 == 0 for line in raw.split(b"\r\n"))


def test_no_personal_data_in_any_calendar(study):
    """Names and phone numbers in the roster never reach a calendar file."""
    folder = study(ROSTER, VISITS)
    export(folder, "-o", "site.ics", "--split", "each")
    for path in [folder / "site.ics", *sorted((folder / "each").iterdir()), folder / "calendar-state.json"]:
        text = path.read_text("utf-8")
        for private in ("Zhao Min", "Huang Yong", "138-0000"):
            assert private not in text, path


def test_uids_are_unique_and_stable_and_unchanged_data_gives_the_same_file(study):
    """Two exports of the same data and as-of date differ only in DTSTAMP."""
    folder = study(ROSTER, VISITS)
    export(folder, "--as-of", "2010-09-02", "-o", "first.ics", at="2010-09-02T10:00:00+00:00")
    export(folder, "--as-of", "2010-09-02", "-o", "second.ics", at="2010-09-09T11:00:00+00:00")
    first, second = (folder / "first.ics").read_text("utf-8"), (folder / "second.ics").read_text("utf-8")
    uids = re.findall(r"^UID:(.*)$", first, flags=re.M)
    assert len(uids) == len(set(uids)) == 16
    assert re.findall(r"^UID:(.*)$", second, flags=re.M) == uids
    strip = lambda text: re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:", text)  # noqa: E731
    assert strip(first) == strip(second)
    assert "DTSTAMP:20100909T110000Z" in second and "LAST-MODIFIED:20100902T100000Z" in second


def sequence(path: Path, participant: str, visit: str) -> tuple[int, str, str]:
    event = events_of(path)[f"NCT01143168-{participant}-{visit}@visit-scheduler"]
    return int(event["sequence"]), str(event["status"]), event["last-modified"].to_ical().decode()


def test_sequence_counts_changes(study):
    """Day 0 done late moves D7 and later (SEQUENCE 1); a withdrawal cancels what is left
    (SEQUENCE 2, STATUS:CANCELLED); what did not change keeps its number."""
    folder = study(ROSTER, VISITS)
    export(folder, "--as-of", "2010-09-02", "-o", "site.ics", at="2010-09-02T01:00:00+00:00")
    assert sequence(folder / "site.ics", "007", "D7") == (0, "CONFIRMED", "20100902T010000Z")

    write(folder, "visits.csv", VISITS + "007,D0,2010-09-03,catheter lab busy\n008,D0,2010-09-02,\n")
    export(folder, "--as-of", "2010-09-04", "-o", "site.ics", at="2010-09-04T01:00:00+00:00")
    assert sequence(folder / "site.ics", "007", "D0") == (1, "CONFIRMED", "20100904T010000Z")  # now done
    assert sequence(folder / "site.ics", "007", "D7") == (1, "CONFIRMED", "20100904T010000Z")  # moved
    assert sequence(folder / "site.ics", "008", "D7") == (0, "CONFIRMED", "20100902T010000Z")  # as it was
    assert events_of(folder / "site.ics")["NCT01143168-007-D7@visit-scheduler"]["dtstart"].dt.isoformat() == "2010-09-09"

    write(folder, "participants.csv", ROSTER.replace("007,Zhao Min,138-0000-0107,2010-09-01,,",
                                                     "007,Zhao Min,138-0000-0107,2010-09-01,2010-09-05,moved away"))
    export(folder, "--as-of", "2010-09-06", "-o", "site.ics", at="2010-09-06T01:00:00+00:00")
    assert sequence(folder / "site.ics", "007", "D7") == (2, "CANCELLED", "20100906T010000Z")
    assert sequence(folder / "site.ics", "007", "M12") == (2, "CANCELLED", "20100906T010000Z")
    assert sequence(folder / "site.ics", "007", "D0") == (1, "CONFIRMED", "20100904T010000Z")


def test_due_and_upcoming_do_not_count_as_changes(study):
    """A visit that became due with the passing days is the same event: SEQUENCE stays."""
    folder = study(ROSTER, VISITS)
    export(folder, "--as-of", "2010-09-02", "-o", "site.ics")
    export(folder, "--as-of", "2010-09-08", "-o", "site.ics")   # 007 D7 is due now
    assert sequence(folder / "site.ics", "007", "D7")[0] == 0


def test_a_lost_or_broken_state_file_starts_numbering_again(study):
    """Delete or garble calendar-state.json: SEQUENCE starts at 0 and nothing else breaks."""
    folder = study(ROSTER, VISITS)
    export(folder, "--as-of", "2010-09-02", "-o", "site.ics")
    write(folder, "visits.csv", VISITS + "007,D0,2010-09-03,\n")
    export(folder, "--as-of", "2010-09-04", "-o", "site.ics")
    assert sequence(folder / "site.ics", "007", "D7")[0] == 1
    for damage in ("", "{not json", '{"events": [1, 2]}'):
        write(folder, "calendar-state.json", damage)
        result = export(folder, "--as-of", "2010-09-04", "-o", "site.ics")
        assert result.exit_code == 0
        assert sequence(folder / "site.ics", "007", "D7")[0] == 0
        assert json.loads((folder / "calendar-state.json").read_text())["events"]
    (folder / "calendar-state.json").unlink()
    assert export(folder, "--as-of", "2010-09-04", "-o", "site.ics").exit_code == 0


def test_split_writes_one_file_per_participant_without_a_calendar_name(study):
    """--split DIR: DIR/ID.ics, one per participant, no X-WR-CALNAME (the nurse's own calendar)."""
    folder = study(ROSTER, VISITS)
    result = export(folder, "--split", "out/each")
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in (folder / "out" / "each").iterdir())
    assert files == ["007.ics", "008.ics"]
    text = (folder / "out" / "each" / "007.ics").read_text("utf-8")
    assert "X-WR-CALNAME" not in text and text.count("BEGIN:VEVENT") == 8 and "-008-" not in text


def test_participant_option_picks_and_checks(study):
    """--participant may be repeated; an unknown ID is refused, exit 2."""
    folder = study(ROSTER + "009,Li Na,1,2010-09-03,,,01\n", VISITS)
    export(folder, "--participant", "007", "--participant", "009", "-o", "two.ics")
    uids = events_of(folder / "two.ics")
    assert {uid.split("-")[1] for uid in uids} == {"007", "009"}
    result = export(folder, "--participant", "7", "-o", "x.ics")
    assert result.exit_code == 2 and "--participant 7: not in participants.csv" in result.stderr
    assert not (folder / "x.ics").exists()


def test_a_destination_is_required(study):
    """Neither -o nor --split: a usage error, exit 2; -o must end in .ics."""
    folder = study(ROSTER, VISITS)
    assert export(folder).exit_code == 2
    assert export(folder, "-o", "site.csv").exit_code == 2


def test_sample_calendar_with_vobject(tmp_path: Path):
    """vobject parses the sample study's site calendar; every event's dates equal icalendar's."""
    import vobject

    folder = tmp_path / "s"
    shutil.copytree(SAMPLE, folder)
    result = export(folder, "--as-of", "2011-01-17", "-o", "site.ics")
    assert result.exit_code == 0
    parsed = vobject.readOne((folder / "site.ics").read_text("utf-8"))
    theirs = {e.uid.value: (e.dtstart.value.isoformat(), e.dtend.value.isoformat(), int(e.sequence.value))
              for e in parsed.vevent_list}
    ours = {uid: (e["dtstart"].dt.isoformat(), e["dtend"].dt.isoformat(), int(e["sequence"]))
            for uid, e in events_of(folder / "site.ics").items()}
    assert len(theirs) == 192 and theirs == ours


@pytest.mark.skipif(shutil.which("node") is None or not ICAL_JS.exists(),
                    reason="node or ical.js not installed (make test installs ical.js where npm exists)")
def test_sample_calendar_with_ical_js(tmp_path: Path):
    """Mozilla's ical.js (Thunderbird's parser) reads every event as an all-day date range."""
    folder = tmp_path / "s"
    shutil.copytree(SAMPLE, folder)
    export(folder, "--as-of", "2011-01-17", "-o", "site.ics")
    done = subprocess.run(["node", str(ROOT / "tests" / "ical_parse.cjs"), str(ICAL_JS), str(folder / "site.ics")],
                          capture_output=True, text=True, timeout=60, check=True)
    parsed = json.loads(done.stdout)["events"]
    ours = events_of(folder / "site.ics")
    assert len(parsed) == 192
    for event in parsed:
        mine = ours[event["uid"]]
        assert event["isDate"] is True
        assert (event["start"], event["end"]) == (mine["dtstart"].dt.isoformat(), mine["dtend"].dt.isoformat())
        assert event["summary"] == str(mine["summary"])


def test_a_look_back_does_not_count_as_changes(study):
    """Export as of 09-04, look back as of 09-02, export as of 09-04 again: the third file
    equals the first apart from DTSTAMP, and the look back leaves the state file alone."""
    folder = study(ROSTER, VISITS + "007,D0,2010-09-03,\n")
    export(folder, "--as-of", "2010-09-04", "-o", "a.ics")
    state = (folder / "calendar-state.json").read_text()
    result = export(folder, "--as-of", "2010-09-02", "-o", "b.ics")
    assert "before the last calendar export (as of 2010-09-04)" in result.stderr
    assert (folder / "calendar-state.json").read_text() == state
    assert sequence(folder / "b.ics", "007", "D7")[0] == 0
    export(folder, "--as-of", "2010-09-04", "-o", "c.ics")
    strip = lambda path: re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "", path.read_text("utf-8"))  # noqa: E731
    assert strip(folder / "a.ics") == strip(folder / "c.ics")


def test_calendar_names(study):
    """Escaped like any text; several sites listed; no name on a file of chosen participants."""
    folder = study(ROSTER.replace(",01\n008", ",01\n008").replace("2010-09-02,,,01", "2010-09-02,,,\"02, North; B\\A\""),
                   VISITS)
    export(folder, "-o", "site.ics")
    assert "X-WR-CALNAME:NCT01143168 visits (sites 01\\, 02\\, North\\; B\\\\A)" in (folder / "site.ics").read_text("utf-8")
    export(folder, "--participant", "007", "-o", "one.ics")
    assert "X-WR-CALNAME" not in (folder / "one.ics").read_text("utf-8")


def test_no_reminder_that_has_already_passed(study):
    """As of 09-07, D7 (opening 09-07, reminder 09-06) gets no alarm; D14 (opening 09-13) does."""
    folder = study(ROSTER, VISITS + "007,D0,2010-09-01,\n")
    export(folder, "--as-of", "2010-09-07", "-o", "site.ics")
    events = events_of(folder / "site.ics")
    assert events["NCT01143168-007-D7@visit-scheduler"].walk("VALARM") == []
    assert len(events["NCT01143168-007-D14@visit-scheduler"].walk("VALARM")) == 1


def test_uids_cannot_collide():
    """The "-" between the parts is never one inside them."""
    from scheduler.core.calendar import file_name_for, uid_for

    assert uid_for("S", "P1", "FU-1") != uid_for("S", "P1-FU", "1")
    assert uid_for("S", "P1", "FU-1") == "S-P1-FU%2D1@visit-scheduler"
    assert file_name_for("CON") == "CON_.ics" and file_name_for("a/b") == "a_b.ics"


def test_damaged_state_entries_and_an_empty_roster(study):
    """A state entry with an impossible LAST-MODIFIED restarts numbering; no participants:
    nothing to write, exit 2."""
    folder = study(ROSTER, VISITS)
    write(folder, "calendar-state.json", '{"as_of": "", "events": {"x": {"fingerprint": "f", '
                                         '"sequence": 3, "last_modified": "yesterday"}}}')
    assert export(folder, "-o", "site.ics").exit_code == 0
    folder = study("participant_id,enrollment_date\n", VISITS)
    result = export(folder, "-o", "empty.ics")
    assert result.exit_code == 2 and "no participants to put in a calendar" in result.stderr
    assert not (folder / "empty.ics").exists()
