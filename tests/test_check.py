"""The check: every status and days_outside by hand, at the window's edges; re-anchoring;
withdrawals; data problems listed with their lines; exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pendulum
import pytest

from .conftest import run_cli, run_process

# Everyone enrolled 2010-09-01 under the built-in plan, so with D0 on time:
#   D7  window 09-07 … 09-09 (target 09-08 = 09-01 + 7, ± 1)
#   D14 window 09-13 … 09-17 (target 09-15 = 09-01 + 14, ± 2)
ROSTER = """\
participant_id,enrollment_date,withdrawal_date,withdrawal_reason,name
A1,2010-09-01,,,Wang Fang
A2,2010-09-01,,,Li Na
A3,2010-09-01,,,Zhang Wei
A4,2010-09-01,,,Liu Yang
A5,2010-09-01,,,Chen Jing
B1,2010-09-01,,,Yang Lei
W1,2010-09-01,2010-09-07,moved away,Zhao Min
W2,2010-09-01,2010-09-06,consent withdrawn,Huang Yong
N1,2010-09-01,,,Zhou Jie
L1,2010-09-20,,,Wu Ting
"""
VISITS = """\
participant_id,visit_code,actual_date,reason
A1,D0,2010-09-01,
A1,D7,2010-09-07,
A2,D0,2010-09-01,
A2,D7,2010-09-09,
A3,D0,2010-09-01,
A3,D7,2010-09-06,travelling
A4,D0,2010-09-01,
A4,D7,2010-09-10,
A5,D0,2010-09-01,
B1,D0,2010-09-03,catheter lab busy
B1,D7,2010-09-11,
W1,D0,2010-09-01,
W2,D0,2010-09-01,
N1,D0,2010-09-01,
N1,D7,,refused the infusion
"""


def check(folder: Path, as_of: str, *extra: str) -> tuple[dict[tuple[str, str], dict[str, str]], object]:
    out = folder / "check.csv"
    result = run_cli("check", "--as-of", as_of, "-o", "check.csv", *extra, cwd=folder)
    with open(out, newline="", encoding="utf-8-sig") as stream:
        rows = {(row["participant_id"], row["visit_code"]): row for row in csv.DictReader(stream)}
    return rows, result


def state(rows, participant, visit):
    row = rows[(participant, visit)]
    return row["status"], row["days_outside"]


def test_statuses_at_the_window_edges(study):
    """On window_open and window_close: in window; one day outside either end: early 1, late 1."""
    rows, result = check(study(ROSTER, VISITS), "2010-09-10")
    assert result.exit_code == 0, result.stderr
    assert state(rows, "A1", "D7") == ("in_window", "0")   # 09-07 = window_open
    assert state(rows, "A2", "D7") == ("in_window", "0")   # 09-09 = window_close
    assert state(rows, "A3", "D7") == ("early", "1")       # 09-07 − 09-06
    assert state(rows, "A4", "D7") == ("late", "1")        # 09-10 − 09-09
    assert state(rows, "A5", "D7") == ("missed", "1")      # as of 09-10, closed 09-09
    assert state(rows, "A1", "D14") == ("upcoming", "")    # opens 09-13


def test_as_of_on_the_closing_day_is_due_not_missed(study):
    """As of 09-09 (D7's window_close) a D7 not yet done is due."""
    rows, _ = check(study(ROSTER, VISITS), "2010-09-09")
    assert state(rows, "A5", "D7") == ("due", "")
    rows, _ = check(study(ROSTER, VISITS), "2010-09-07")
    assert state(rows, "A5", "D7") == ("due", "")           # as of window_open: due too
    rows, _ = check(study(ROSTER, VISITS), "2010-09-06")
    assert state(rows, "A5", "D7") == ("upcoming", "")


def test_late_day0_re_anchors_the_windows(study):
    """B1: D0 done 09-03 is late 2; D7's window becomes 09-09 … 09-11, so 09-11 is in window."""
    rows, _ = check(study(ROSTER, VISITS), "2010-09-12")
    assert state(rows, "B1", "D0") == ("late", "2")
    b1 = rows[("B1", "D7")]
    assert (b1["window_open"], b1["target_date"], b1["window_close"]) == ("2010-09-09", "2010-09-10", "2010-09-11")
    assert state(rows, "B1", "D7") == ("in_window", "0")
    assert rows[("B1", "D14")]["target_date"] == "2010-09-17"   # 09-03 + 14


def test_withdrawals(study):
    """W1 withdrew 09-07, the day D7's window opened (09-07 … 09-09): the window had not
    closed by the withdrawal, so D7 is withdrawn, not missed; D14 too. W2 withdrew 09-06,
    before D7 opened: D7 and later are withdrawn, whatever the as-of date."""
    rows, _ = check(study(ROSTER, VISITS), "2010-09-20")
    assert state(rows, "W1", "D7") == ("withdrawn", "")     # 09-07 ≤ window_close 09-09
    assert state(rows, "W1", "D14") == ("withdrawn", "")
    assert state(rows, "W2", "D7") == ("withdrawn", "")
    assert state(rows, "W2", "M12") == ("withdrawn", "")
    rows, _ = check(study(ROSTER, VISITS), "2010-09-02")    # before either withdrawal date
    assert state(rows, "W2", "D7") == ("withdrawn", "")
    assert state(rows, "W1", "D7") == ("withdrawn", "")     # a withdrawal applies whatever the as-of date


def test_a_window_that_closed_before_the_withdrawal_is_missed_counted_to_it(study):
    """W3, enrolled 2010-09-01, D0 done that day, withdrew 2010-09-12: D7's window
    (09-07 … 09-09) closed while W3 was on study: missed, 3 days (09-12 − 09-09), not the
    11 days to the as-of date 09-20. D14's window (09-13 … 09-17) had not closed by the
    withdrawal: withdrawn. Before the withdrawal (as of 09-11) D7 is missed by 2 days."""
    folder = study("participant_id,enrollment_date,withdrawal_date,withdrawal_reason\n"
                   "W3,2010-09-01,2010-09-12,moved away\n",
                   "participant_id,visit_code,actual_date,reason\nW3,D0,2010-09-01,\n")
    rows, _ = check(folder, "2010-09-20")
    assert state(rows, "W3", "D7") == ("missed", "3")       # min(09-20, 09-12) − 09-09
    assert state(rows, "W3", "D14") == ("withdrawn", "")    # 09-12 ≤ window_close 09-17
    rows, _ = check(folder, "2010-09-11")
    assert state(rows, "W3", "D7") == ("missed", "2")       # 09-11 − 09-09
    assert state(rows, "W3", "D14") == ("withdrawn", "")    # a withdrawal applies whatever the as-of date


def test_a_visit_that_did_not_happen_carries_its_reason(study):
    """N1: D7 recorded with no date and a reason: due while open, missed once closed."""
    rows, _ = check(study(ROSTER, VISITS), "2010-09-08")
    assert state(rows, "N1", "D7") == ("due", "")
    rows, _ = check(study(ROSTER, VISITS), "2010-09-12")
    assert state(rows, "N1", "D7") == ("missed", "3")       # 09-12 − 09-09
    assert rows[("N1", "D7")]["reason"] == "refused the infusion"
    assert rows[("N1", "D7")]["actual_date"] == ""


def test_enrolled_after_the_as_of_date_is_upcoming_with_a_warning(study):
    """L1 enrolled 09-20: as of 09-10 all eight visits are upcoming; a warning, exit 0."""
    rows, result = check(study(ROSTER, VISITS), "2010-09-10")
    assert [rows[("L1", code)]["status"] for code in ("D0", "D7", "D14", "M1", "M3", "M6", "M9", "M12")] == ["upcoming"] * 8
    assert "Warning: enrolled after the as-of date 2010-09-10: L1" in result.stderr
    assert result.exit_code == 0


def test_every_expected_visit_has_one_row_and_the_contract_columns(study):
    """10 participants × 8 visits = 80 rows; the contract's columns first, as_of on every row."""
    rows, _ = check(study(ROSTER, VISITS), "2010-09-10")
    assert len(rows) == 80
    first = next(iter(rows.values()))
    assert list(first)[:10] == ["participant_id", "visit_code", "target_date", "window_open",
                                "window_close", "actual_date", "status", "days_outside", "reason",
                                "as_of"]
    assert {row["as_of"] for row in rows.values()} == {"2010-09-10"}


def test_no_roster_column_beyond_the_id_leaks(study):
    """The roster's name column never reaches any output."""
    folder = study(ROSTER, VISITS)
    for output in ("c.csv", "c.json", "c.xlsx"):
        run_cli("check", "--study", str(folder), "--as-of", "2010-09-10", "-o", str(folder / output))
    text = (folder / "c.csv").read_text("utf-8-sig") + (folder / "c.json").read_text("utf-8")
    import zipfile

    with zipfile.ZipFile(folder / "c.xlsx") as workbook:
        text += "".join(workbook.read(name).decode("utf-8") for name in workbook.namelist()
                        if name.endswith(".xml"))
    terminal = run_cli("check", "--study", str(folder), "--as-of", "2010-09-10")
    for name in ("Wang Fang", "Zhao Min", "Wu Ting"):
        assert name not in text
        assert name not in terminal.stdout + terminal.stderr


def test_json_uses_null_and_iso_dates(study):
    """JSON: a list of records, ISO date strings, null for empty values, integers for days."""
    folder = study(ROSTER, VISITS)
    run_cli("check", "--study", str(folder), "--as-of", "2010-09-10", "-o", str(folder / "c.json"))
    records = json.loads((folder / "c.json").read_text("utf-8"))
    a4 = next(r for r in records if (r["participant_id"], r["visit_code"]) == ("A4", "D7"))
    assert a4 == {"participant_id": "A4", "visit_code": "D7", "target_date": "2010-09-08",
                  "window_open": "2010-09-07", "window_close": "2010-09-09",
                  "actual_date": "2010-09-10", "status": "late", "days_outside": 1, "reason": None,
                  "as_of": "2010-09-10", "visit_name": "Transplantation 2 (intravenous)",
                  "protocol_version": None}


def test_deviations_only_and_reason_missing(study):
    """--deviations-only keeps early, late and missed; the table says "reason missing",
    the CSV keeps the reason cell as recorded (empty)."""
    folder = study(ROSTER, VISITS)
    rows, result = check(folder, "2010-09-10", "--deviations-only")
    # W1 withdrew 09-07, inside D7's window: withdrawn, not a deviation (PRODUCT.md rule 2).
    assert sorted(rows) == [("A3", "D7"), ("A4", "D7"), ("A5", "D7"), ("B1", "D0"), ("N1", "D7")]
    assert rows[("A4", "D7")]["reason"] == ""
    assert "Warning: reason missing for 2 deviations: A4 D7 (late), A5 D7 (missed)" in result.stderr
    table = run_cli("check", "--study", str(folder), "--as-of", "2010-09-10", "--deviations-only")
    assert "as of 2010-09-10, 5 deviations in 80 expected visits" in table.stdout
    a4 = next(line for line in table.stdout.splitlines() if line.startswith("A4"))
    assert a4.split()[-4:] == ["late", "1", "reason", "missing"]


def test_fail_on_deviation(study):
    """Deviations alone exit 0; with --fail-on-deviation, 1."""
    folder = study(ROSTER, VISITS)
    assert check(folder, "2010-09-10")[1].exit_code == 0
    assert check(folder, "2010-09-10", "--fail-on-deviation")[1].exit_code == 1
    # As of 09-01 B1's late D0 (09-03) had not happened and D0's window is still open.
    assert check(folder, "2010-09-01", "--fail-on-deviation")[1].exit_code == 0


PROBLEMS = """\
participant_id,visit_code,actual_date,reason
X99,D7,2010-09-08,
A1,d7,2010-09-08,
A1,D14,2010-02-30,
A1,M1,,
A2,D0,2010-09-01,
A2,D0,2010-09-02,
A1,M3,2099-01-01,
A3,D0,2010-08-30,
W2,D14,2010-09-15,
A4,D0,2010-09-01,
A4,D7,2010-09-08,
A4,D14,2010-09-07,
A5,D0,2010-09-25,
007,D0,2010-09-01,
"""


def test_a_visit_recorded_three_times_and_pairs_among_them(study):
    """Records of one visit side by side after sorting, whatever the file's order: a pair
    names the other's line, three records each name the two others (in the order they are
    ranked: the one used first, then by date); the earliest date is used, a dated record
    before a "not done" one (no date: the first record)."""
    visits = ("participant_id,visit_code,actual_date,reason\n"
              "A1,D0,2010-09-03,\n"        # line 2: A1 D0, three records (lines 2, 4, 6)
              "A2,D0,2010-09-01,\n"        # line 3: A2 D0, a pair (lines 3, 5)
              "A1,D0,2010-09-01,\n"        # line 4: A1 D0's earliest date: used
              "A2,D0,,not done\n"          # line 5: undated, after the dated one
              "A1,D0,2010-09-02,\n"        # line 6
              "A3,D7,,no transport\n"      # line 7: A3 D7, a pair of undated records (7, 8)
              "A3,D7,,patient ill\n")      # line 8
    rows, result = check(study(ROSTER, visits), "2010-09-20")
    lines = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    earliest = "keep one record per visit; the earliest date ({date}) is used"
    assert lines == [
        "visits.csv:2: column visit_code: 3 records for A1 D0 (also lines 4, 6) (value 'D0') — "
        + earliest.format(date="2010-09-01"),
        "visits.csv:3: column visit_code: 2 records for A2 D0 (also line 5) (value 'D0') — "
        + earliest.format(date="2010-09-01"),
        "visits.csv:4: column visit_code: 3 records for A1 D0 (also lines 6, 2) (value 'D0') — "
        + earliest.format(date="2010-09-01"),
        "visits.csv:5: column visit_code: 2 records for A2 D0 (also line 3) (value 'D0') — "
        + earliest.format(date="2010-09-01"),
        "visits.csv:6: column visit_code: 3 records for A1 D0 (also lines 4, 2) (value 'D0') — "
        + earliest.format(date="2010-09-01"),
        "visits.csv:7: column visit_code: 2 records for A3 D7 (also line 8) (value 'D7') — "
        "keep one record per visit; the first record is used",
        "visits.csv:8: column visit_code: 2 records for A3 D7 (also line 7) (value 'D7') — "
        "keep one record per visit; the first record is used",
    ]
    assert rows[("A1", "D0")]["actual_date"] == "2010-09-01"  # line 4, the earliest
    assert rows[("A2", "D0")]["actual_date"] == "2010-09-01"  # the dated one, not "not done"
    assert rows[("A3", "D7")]["reason"] == "no transport"  # undated: the first record (line 7)


def test_each_data_problem_is_named_and_the_check_goes_on(study):
    """Every kind of data problem: listed with file:line and a fix, record left out (out of
    order: used), the rest checked, exit 1."""
    roster = ROSTER + "007,2010-09-01,,,Sun Li\n"
    folder = study(roster, PROBLEMS)
    rows, result = check(folder, "2010-09-20")
    assert result.exit_code == 1
    lines = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    today = pendulum.now("Asia/Shanghai").date().isoformat()
    assert lines == [
        "visits.csv:2: column participant_id: participant not in the participants file (value 'X99') — check the ID, or add the participant to the participants file",
        "visits.csv:3: column visit_code: visit code not in the protocol (value 'd7') — did you mean D7? Visit codes are case-sensitive",
        "visits.csv:4: column actual_date: a date that does not exist (value '2010-02-30') — this day does not exist in the calendar: check the day and the month",
        "visits.csv:5: column actual_date: no date and no reason for A1 M1 — fill in the date the visit was done, or give in column reason why it did not happen",
        "visits.csv:6: column visit_code: 2 records for A2 D0 (also line 7) (value 'D0') — keep one record per visit; the earliest date (2010-09-01) is used",
        "visits.csv:7: column visit_code: 2 records for A2 D0 (also line 6) (value 'D0') — keep one record per visit; the earliest date (2010-09-01) is used",
        f"visits.csv:8: column actual_date: the date is after today ({today}) (value '2099-01-01') — a visit cannot be done in the future: check the year, month and day",
        "visits.csv:9: column actual_date: the date is before A3 was enrolled (2010-09-01) (value '2010-08-30') — check this date and the enrollment date",
        "visits.csv:10: column actual_date: visit recorded after W2 withdrew (2010-09-06) (value '2010-09-15') — check this date and the withdrawal date; the record is left out",
        "visits.csv:13: column actual_date: A4 D14 is dated before D7 (2010-09-08), which comes earlier in the protocol (value '2010-09-07') — check both dates; the record is used as it is",
    ]
    assert "visits.csv: 10 data problems" in result.stderr
    # Left out: A1 has no D14 / M1 / M3; A3 has no D0 (so D0 is missed as of 09-20).
    assert state(rows, "A3", "D0") == ("missed", "19")     # 09-20 − 09-01
    assert state(rows, "A1", "D14") == ("missed", "3")     # 09-20 − 09-17
    assert state(rows, "A2", "D0") == ("in_window", "0")   # the earliest of the two is used
    assert state(rows, "A4", "D14") == ("early", "6")      # used although out of order: 09-13 − 09-07
    assert state(rows, "W2", "D14") == ("withdrawn", "")
    # Dated 09-25, after the explicit as-of 09-20: simply not happened yet, and no problem.
    assert state(rows, "A5", "D0") == ("missed", "19")
    assert state(rows, "007", "D0") == ("in_window", "0")


def test_data_problems_through_the_real_process(study):
    """The installed command: problems on standard error, results written, exit 1, no traceback."""
    folder = study(ROSTER, PROBLEMS)
    result = run_process("check", "--as-of", "2010-09-20", "-o", "out.csv", cwd=folder)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "visits.csv:2: column participant_id" in result.stderr
    assert (folder / "out.csv").exists()


def test_missing_participants_file_exits_2(tmp_path: Path):
    """No roster anywhere: one message naming what to do, exit 2, nothing written."""
    result = run_cli("check", "--study", str(tmp_path), "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert "no participants file" in result.stderr
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("as_of", ["2010-13-01", "next week", "01/02/2010"])
def test_a_bad_as_of_date_is_a_usage_error(study, as_of):
    """--as-of must be a date: exit 2 with the form to use."""
    result = run_cli("check", "--study", str(study(ROSTER, VISITS)), "--as-of", as_of)
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr


def test_a_dated_record_wins_over_a_did_not_happen_record(study):
    """Two records for D7, one dated 09-08 and one "did not happen": the dated one is used
    (the earliest date), so D7 is in window; both lines are listed. Either order in the file."""
    roster = "participant_id,enrollment_date\n001,2010-09-01\n"
    for rows in (["001,D7,2010-09-08,", "001,D7,,patient ill"], ["001,D7,,patient ill", "001,D7,2010-09-08,"]):
        folder = study(roster, "participant_id,visit_code,actual_date,reason\n001,D0,2010-09-01,\n"
                       + "\n".join(rows) + "\n")
        got, result = check(folder, "2010-09-20")
        assert state(got, "001", "D7") == ("in_window", "0")
        assert got[("001", "D7")]["actual_date"] == "2010-09-08"
        assert "the earliest date (2010-09-08) is used" in result.stderr
        assert "visits.csv:3:" in result.stderr and "visits.csv:4:" in result.stderr


def test_of_two_dated_records_the_earliest_is_used_whatever_the_order(study):
    """09-09 listed before 09-07: 09-07 is used (in window, not "late")."""
    roster = "participant_id,enrollment_date\n001,2010-09-01\n"
    folder = study(roster, "participant_id,visit_code,actual_date,reason\n001,D0,2010-09-01,\n"
                           "001,D7,2010-09-10,\n001,D7,2010-09-07,\n")
    got, _ = check(folder, "2010-09-20")
    assert got[("001", "D7")]["actual_date"] == "2010-09-07"
    assert state(got, "001", "D7") == ("in_window", "0")


SCREENING = """\
[study]
id = "S"
timezone = "Asia/Shanghai"
[[visits]]
code = "SCR"
day = -14
minus = 7
[[visits]]
code = "D0"
day = 0
"""


def test_a_screening_visit_before_enrollment_is_judged_by_its_window(study):
    """SCR at day −14 (−7/+0) for an enrollment on 09-01: target 08-18, window 08-11 … 08-18.
    Done on 08-18: in window, not "before enrollment"; done on 08-08: early 3."""
    roster = "participant_id,enrollment_date\nA,2010-09-01\nB,2010-09-01\n"
    visits = ("participant_id,visit_code,actual_date,reason\n"
              "A,SCR,2010-08-18,\nA,D0,2010-09-01,\nB,SCR,2010-08-08,\nB,D0,2010-08-31,\n")
    folder = study(roster, visits, SCREENING)
    got, result = check(folder, "2010-09-10")
    assert state(got, "A", "SCR") == ("in_window", "0")
    assert state(got, "B", "SCR") == ("early", "3")          # 08-11 − 08-08
    # D0 cannot precede enrollment: B's D0 on 08-31 is a data problem, left out.
    assert "visits.csv:5: column actual_date: the date is before B was enrolled" in result.stderr
    assert result.exit_code == 1
