"""The floor for `visit-scheduler calendar`: pandas and icalendar, the events and nothing else.

    python benchmarks/floor_calendar.py --study DIR --as-of 2012-06-01 -o site.ics

Reads participants.csv with pandas, lays out 8 visit windows per participant (targets from
enrollment, no re-anchoring, no visit records) and builds and serialises one all-day
icalendar event per window with the properties the CLI writes: UID, DTSTAMP, SEQUENCE,
LAST-MODIFIED, DTSTART/DTEND as dates, SUMMARY, a DESCRIPTION of the same length and
lines, CATEGORIES, STATUS, TRANSP, the two Microsoft properties, and a VALARM for every
window that had not closed by the as-of date (the CLI reminds of visits still to do).
What it leaves out: reading visits, statuses, the calendar-state.json bookkeeping.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import icalendar
import pandas as pd

# code, name, kind, day from D0, minus, plus, procedures
FOLLOW_UP = "HbA1c; FBG and PBG; C-peptide; insulin dose; adverse-event review"

PLAN = (
    ("D0", "Transplantation 1 (pancreatic artery)", "transplant", 0, 0, 0,
     "examinations required by the protocol; BM-MNC + UC-MSC transplantation through the "
     "pancreatic artery, percutaneously"),
    ("D7", "Transplantation 2 (intravenous)", "transplant", 7, 1, 1,
     "examinations required by the protocol; BM-MNC + UC-MSC transplantation, intravenously"),
    ("D14", "Transplantation 3 (intravenous)", "transplant", 14, 2, 2,
     "examinations required by the protocol; BM-MNC + UC-MSC transplantation, intravenously"),
    ("M1", "Follow-up month 1", "follow-up", 30, 3, 3, FOLLOW_UP),
    ("M3", "Follow-up month 3", "follow-up", 90, 7, 7, FOLLOW_UP),
    ("M6", "Follow-up month 6", "follow-up", 180, 14, 14, FOLLOW_UP),
    ("M9", "Follow-up month 9", "follow-up", 270, 14, 14, FOLLOW_UP),
    ("M12", "Follow-up month 12 (end of study)", "follow-up", 365, 14, 14, FOLLOW_UP),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="icalendar events for every visit window.")
    parser.add_argument("--study", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)
    roster = pd.read_csv(f"{args.study}/participants.csv", dtype=object, keep_default_na=False,
                         usecols=["participant_id", "enrollment_date"], engine="c")
    enrollment = roster["enrollment_date"].to_numpy(dtype=object).astype("M8[D]")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//visit-scheduler benchmark floor//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "NCT01143168 visits")
    for participant, enrolled in zip(roster["participant_id"], enrollment.tolist()):
        for code, name, kind, day, minus, plus, procedures in PLAN:
            target = enrolled + dt.timedelta(days=day)
            opens, closes = target - dt.timedelta(days=minus), target + dt.timedelta(days=plus)
            summary = f"{participant} {code} target {target}"
            event = icalendar.Event()
            event.add("uid", f"NCT01143168-{participant}-{code}@visit-scheduler")
            event.add("dtstamp", now)
            event.add("sequence", 0)
            event.add("last-modified", now)
            event.add("dtstart", opens)
            event.add("dtend", closes + dt.timedelta(days=1))
            event.add("summary", summary)
            event.add("description", "\n".join([
                f"Participant {participant}, visit {code}: {name}",
                f"Window: {opens} to {closes} (Day {day} ± {plus} from D0)",
                f"Target: {target}", "Anchored on: D0 target (not done yet)",
                f"Procedures: {procedures}", "Status: to do",
                "Study NCT01143168. Made by visit-scheduler."]))
            event.add("categories", [kind])
            event.add("status", "CONFIRMED")
            event.add("transp", "TRANSPARENT")
            event.add("x-microsoft-cdo-busystatus", "FREE")
            event.add("x-microsoft-cdo-alldayevent", "TRUE")
            if closes >= as_of:
                alarm = icalendar.Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", summary)
                alarm.add("trigger", dt.timedelta(days=-1))
                event.add_component(alarm)
            calendar.add_component(event)
    with open(args.output, "wb") as stream:
        stream.write(calendar.to_ical())
    return 0


if __name__ == "__main__":
    sys.exit(main())
