"""The nurse's worklist (due) and one participant's year (status)."""

from __future__ import annotations

import csv

from .conftest import SAMPLE, run_cli

# As of 2010-09-08 with --days 7 (horizon 09-15):
#   P1 enrolled 09-01: D7 09-07…09-09 (due, 1 day left), D14 09-13…09-17 (opens in window)
#   P2 enrolled 09-03: D7 09-09…09-11, D14 09-15…09-19 (opens on the horizon: inclusive)
#   P3 enrolled 09-10 (after the as-of date): D0 09-10; D7 opens 09-16, after the horizon
#   P4 withdrew 08-20: nothing of theirs is due; P5's D7 was recorded as not done.
ROSTER = """\
participant_id,enrollment_date,withdrawal_date
P1,2010-09-01,
P2,2010-09-03,
P3,2010-09-10,
P4,2010-08-01,2010-08-20
P5,2010-09-01,
"""
VISITS = """\
participant_id,visit_code,actual_date,reason
P1,D0,2010-09-01,
P2,D0,2010-09-03,
P4,D0,2010-08-01,
P4,D7,2010-08-08,
P4,D14,2010-08-15,
P5,D0,2010-09-01,
P5,D7,,admitted to another hospital
"""


def test_due_lists_open_and_opening_windows_most_urgent_first(study):
    """Ordered by window_close; days_left = window_close − as_of."""
    folder = study(ROSTER, VISITS)
    result = run_cli("due", "--as-of", "2010-09-08", "--days", "7", "-o", "due.csv", cwd=folder)
    assert result.exit_code == 0, result.stderr
    with open(folder / "due.csv", newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0])[:8] == ["participant_id", "visit_code", "target_date", "window_open",
                                 "window_close", "suggested_date", "days_left", "as_of"]
    # Ties on window_close (P1 and P5 D14, both 09-17) go by window_open, then participant.
    # P5's D14 still hangs on its D0 (09-01); its D7 was recorded as not done: not listed.
    # P2 D14 opens 09-15 = as_of + 7: included. days_left = window_close − 09-08.
    got = [(r["participant_id"], r["visit_code"], r["days_left"]) for r in rows]
    assert got == [("P1", "D7", "1"), ("P3", "D0", "2"), ("P2", "D7", "3"), ("P1", "D14", "9"),
                   ("P5", "D14", "9"), ("P2", "D14", "11")]


def test_due_with_zero_days_is_only_open_windows(study):
    """--days 0: only windows open on the as-of date."""
    folder = study(ROSTER, VISITS)
    result = run_cli("due", "--as-of", "2010-09-08", "--days", "0", cwd=folder)
    lines = [line for line in result.stdout.splitlines() if line.startswith("P")]
    assert [line.split()[:2] for line in lines] == [["P1", "D7"]]
    assert "Due as of 2010-09-08 (windows open now or within 0 days): 1 visit" in result.stdout


def test_status_shows_one_participants_year(study):
    """Every visit of one participant with window, actual date, status and reason."""
    folder = study(ROSTER, VISITS)
    result = run_cli("status", "P5", "--as-of", "2010-09-12", cwd=folder)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Participant P5 — NCT01143168, as of 2010-09-12"
    assert lines[1] == "  enrolled 2010-09-01"
    assert lines[2] == "  8 visits: 6 upcoming, 1 in_window, 1 missed; 1 deviation"
    d7 = next(line for line in lines if line.startswith("D7 "))
    assert d7.split()[-7:] == ["2010-09-09", "missed", "3", "admitted", "to", "another", "hospital"]
    assert len([line for line in lines if line[:3].rstrip() in
                ("D0", "D7", "D14", "M1", "M3", "M6", "M9", "M12")]) == 8


def test_status_of_a_withdrawn_participant(study):
    """P4 withdrew: the date and the visits it cancelled are shown."""
    result = run_cli("status", "P4", "--as-of", "2010-09-12", cwd=study(ROSTER, VISITS))
    assert "  withdrew 2010-08-20 (reason not recorded)" in result.stdout
    assert "5 withdrawn" in result.stdout


def test_status_of_an_unknown_participant_suggests_the_id(study):
    """Leading zeros dropped by Excel: the right ID is suggested, exit 2."""
    result = run_cli("status", "7", "--study", str(SAMPLE))
    assert result.exit_code == 2
    assert "participant '7' is not in" in result.stderr and "did you mean 007?" in result.stderr


def test_sample_study_re_anchors_participant_007():
    """In sample_data, 007's D0 was done 2010-09-03 (enrolled 09-01): late 2, D7 hangs on 09-03."""
    result = run_cli("status", "007", "--study", str(SAMPLE), "--as-of", "2011-01-17")
    lines = result.stdout.splitlines()
    d0 = next(line for line in lines if line.startswith("D0 "))
    d7 = next(line for line in lines if line.startswith("D7 "))
    assert "2010-09-03   late       2" in d0
    assert "2010-09-10   2010-09-09   2010-09-11" in d7


def test_status_lists_only_that_participants_data_problems(study):
    """status P1 does not print, or exit 1 for, another participant's bad record."""
    folder = study(ROSTER, VISITS + "P2,D7,2010-02-30,\n")
    assert run_cli("status", "P1", "--as-of", "2010-09-12", cwd=folder).exit_code == 0
    result = run_cli("status", "P2", "--as-of", "2010-09-12", cwd=folder)
    assert result.exit_code == 1 and "visits.csv:9: column actual_date" in result.stderr
