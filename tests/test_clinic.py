"""Suggested dates: the clinic working day inside the window closest to the target.

Beijing site calendar (built-in protocol: Monday to Friday, China's holidays and make-up
working days, from the holidays package). By hand, from the official 2010–2011 notices:
  Mid-Autumn 2010:   09-22 … 09-24 off; Sunday 09-19 and Saturday 09-25 worked
  National Day 2010: 10-01 … 10-07 off; Sunday 09-26 and Saturday 10-09 worked
  Spring Festival:   2011-02-02 … 02-08 off; Sunday 2011-01-30 and Saturday 02-12 worked
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from scheduler.core.clinic import WorkingDays, suggest

from .conftest import run_cli, write

HEADER = "participant_id,enrollment_date\n"


def suggestions(folder: Path, *extra: str) -> tuple[dict[tuple[str, str], str], object]:
    result = run_cli("schedule", "-o", "s.csv", *extra, cwd=folder)
    with open(folder / "s.csv", newline="", encoding="utf-8-sig") as stream:
        rows = {(r["participant_id"], r["visit_code"]): r["suggested_date"] for r in csv.DictReader(stream)}
    return rows, result


def test_china_holidays_and_make_up_days(study):
    """Hand-computed suggestions around the 2010 holidays and the 2011 Spring Festival."""
    folder = study(HEADER + "\n".join([
        "A,2010-09-12",   # D7 target Sunday 09-19: a make-up working day → 09-19 itself
        "B,2010-09-16",   # D7 target 09-23, window 09-22 … 09-24: all Mid-Autumn holiday → none
        "C,2010-09-03",   # M1 target 10-03, window 09-30 … 10-06: only Thursday 09-30 works
        "D,2011-01-04",   # M1 target 2011-02-03 (holiday), window 01-31 … 02-06 → Tuesday 02-01
        "E,2011-01-23",   # D7 target Sunday 2011-01-30: a make-up working day → 01-30
        "F,2010-09-20",   # D14 target 10-04, window 10-02 … 10-06: all National Day → none
    ]) + "\n")
    # As of a day before every window: the windows without a clinic day are still ahead.
    got, result = suggestions(folder, "--as-of", "2010-09-01")
    assert result.exit_code == 0, result.stderr
    assert got[("A", "D7")] == "2010-09-19"
    assert got[("B", "D7")] == ""
    assert got[("C", "M1")] == "2010-09-30"
    assert got[("D", "M1")] == "2011-02-01"   # 2 days before the target; 02-07 and 02-08 are off too
    assert got[("E", "D7")] == "2011-01-30"
    assert got[("F", "D14")] == ""
    assert got[("A", "D0")] == ""             # 2010-09-12 is a Sunday and D0 is ± 0: no clinic day
    assert ("Warning: no clinic day in the window of A D0 (2010-09-12 to 2010-09-12), "
            "B D7 (2010-09-22 to 2010-09-24)") in result.stderr
    assert "F D14 (2010-10-02 to 2010-10-06)" in result.stderr


def test_the_window_target_and_status_never_move(study):
    """Suggested dates are an extra column: windows and statuses are those of the rules."""
    folder = study(HEADER + "B,2010-09-16\n", "participant_id,visit_code,actual_date\nB,D0,2010-09-16\n")
    result = run_cli("check", "--as-of", "2010-09-25", "-o", "c.csv", cwd=folder)
    with open(folder / "c.csv", newline="", encoding="utf-8-sig") as stream:
        d7 = [r for r in csv.DictReader(stream) if r["visit_code"] == "D7"][0]
    assert (d7["window_open"], d7["target_date"], d7["window_close"], d7["status"], d7["days_outside"]) == (
        "2010-09-22", "2010-09-23", "2010-09-24", "missed", "1")
    assert result.exit_code == 0


def test_ties_go_to_the_earlier_day():
    """Target on a closed Wednesday with Tuesday and Thursday open: Tuesday."""
    days = np.array(["2010-09-14", "2010-09-16"], dtype="M8[D]")   # Tue, Thu
    calendar = WorkingDays(days, days[0], days[-1])
    target = np.array(["2010-09-15"], dtype="M8[D]")
    assert str(suggest(calendar, target, target - 3, target + 3)[0]) == "2010-09-14"
    # Not before a given day (the worklist's as-of): Thursday.
    assert str(suggest(calendar, target, np.array(["2010-09-15"], dtype="M8[D]"), target + 3)[0]) == "2010-09-16"


def test_no_command_suggests_a_day_that_has_passed(study):
    """D14 target Wednesday 09-15 (window 09-13 … 09-17); as of Thursday 09-16 the worklist
    and the schedule both suggest 09-16 (one rule for every command: on or after the as-of
    date, closest to the target)."""
    folder = study(HEADER + "A,2010-09-01\n", "participant_id,visit_code,actual_date\nA,D0,2010-09-01\nA,D7,2010-09-08\n")
    run_cli("due", "--as-of", "2010-09-16", "-o", "due.csv", cwd=folder)
    with open(folder / "due.csv", newline="", encoding="utf-8-sig") as stream:
        row = next(r for r in csv.DictReader(stream) if r["visit_code"] == "D14")
    assert row["suggested_date"] == "2010-09-16"
    got, _ = suggestions(folder, "--as-of", "2010-09-16")
    assert got[("A", "D14")] == "2010-09-16"


CLOSED_PROTOCOL = """\
[study]
id = "S"
timezone = "Asia/Shanghai"
[clinic]
country = "CN"
closures = "closures.csv"
[[visits]]
code = "D0"
day = 0
[[visits]]
code = "D7"
anchor = "D0"
day = 7
minus = 1
plus = 1
"""


def test_a_closures_file_changes_the_suggestion(study):
    """Closed on Wednesday 09-08 (D7's target): tie between Tuesday 09-07 and Thursday 09-09
    → 09-07. Open on Sunday 09-05 (an extra day): enrolled that day, D0 gets it."""
    folder = study(HEADER + "A,2010-09-01\nB,2010-09-05\n", None, CLOSED_PROTOCOL)
    write(folder, "closures.csv", "date,open,note\n2010-09-08,no,moving the clinic\n2010-09-05,yes,open day\n")
    got, result = suggestions(folder, "--as-of", "2010-09-01")
    assert result.exit_code == 0, result.stderr
    assert got[("A", "D7")] == "2010-09-07"
    assert got[("B", "D0")] == "2010-09-05"


def test_a_bad_closures_file_is_explained(study):
    """A bad date and a bad open value: both named with their lines, exit 2, nothing written."""
    folder = study(HEADER + "A,2010-09-01\n", None, CLOSED_PROTOCOL)
    write(folder, "closures.csv", "date,open,note\n2010-09-31,no,x\n2010-09-05,maybe,y\n")
    result = run_cli("schedule", "-o", "s.csv", cwd=folder)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: closures.csv: the clinic closures file cannot be used",
        "closures.csv:2: column date: a date that does not exist (value '2010-09-31') — this day does not exist in the calendar: check the day and the month",
        "closures.csv:3: column open: open must be yes or no (value 'maybe') — no = the clinic is closed that day; yes = open on an extra day",
    ]
    assert not (folder / "s.csv").exists()


def test_dates_past_the_holiday_data_are_warned_about(study, monkeypatch):
    """Say China's data ended with 2010: windows in 2011 get the warning, naming the years."""
    monkeypatch.setattr("scheduler.core.clinic._data_until", lambda country: 2010)
    folder = study(HEADER + "A,2010-09-01\n")   # M6 … M12 fall in 2011
    _, result = suggestions(folder, "--as-of", "2010-09-01")
    assert ("Warning: the holiday data for CN ends with 2010: suggested dates in 2011 follow the "
            "weekdays and the fixed-date holidays only") in result.stderr


def test_which_countries_have_a_last_year():
    """China announces year by year (the installed data reaches at least 2026); countries
    with fixed-rule holidays have no last year."""
    from scheduler.core.clinic import _data_until

    assert _data_until("CN") >= 2026
    assert _data_until("US") is None and _data_until("GB") is None


def test_without_a_clinic_table_every_day_works(study):
    """No [clinic]: the target itself, even on a Sunday or a holiday."""
    protocol = CLOSED_PROTOCOL.replace('[clinic]\ncountry = "CN"\nclosures = "closures.csv"\n', "")
    folder = study(HEADER + "A,2010-09-26\n", None, protocol)     # a Sunday
    got, _ = suggestions(folder, "--as-of", "2010-09-01")
    assert got[("A", "D0")] == "2010-09-26" and got[("A", "D7")] == "2010-10-03"


def test_no_suggestion_once_the_window_has_closed(study):
    """A missed visit (window closed, nothing recorded) gets no suggested date."""
    folder = study(HEADER + "A,2010-09-01\n")
    got, _ = suggestions(folder, "--as-of", "2010-09-10")
    assert got[("A", "D7")] == ""              # window 09-07 … 09-09: missed as of 09-10
    assert got[("A", "D14")] == "2010-09-15"   # window 09-13 … 09-17, target a Wednesday


def test_due_warns_only_about_its_own_rows(study):
    """A window without a clinic day years ahead is not the worklist's business."""
    folder = study(HEADER + "A,2010-09-16\nB,2010-08-02\n")   # A's D7 window: all Mid-Autumn holiday
    near = run_cli("due", "--as-of", "2010-09-16", "--days", "14", cwd=folder)
    assert "no clinic day in the window of A D7" in near.stderr
    far = run_cli("due", "--as-of", "2010-08-02", "--days", "3", cwd=folder)
    assert "no clinic day" not in far.stderr
