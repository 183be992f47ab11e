"""Arms (issue #18, first half), checked through the real command from the rules alone: each
participant has only their arm's visits in every command, the roster's `arm` column is
checked, and SDTM carries the arms. Every expected value is worked out by hand beside it.

The protocol is the two-arm example (docs/examples/two-arm.toml), written out here so that the
expectations do not move with the example: D0 (day 0), D7 (D0 + 7 ± 1), D14 (D0 + 14 ± 2, arm
A only), M1 (D0 + 30 ± 3), M3 (D0 + 90 ± 7), M6 (D0 + 180 ± 14, arm B only).

Enrolled 2011-03-01 (a Tuesday), with D0 done that day (so nothing re-anchors), the windows are:

| visit | arithmetic | target | window |
| --- | --- | --- | --- |
| D0 | 03-01 + 0 | 2011-03-01 | 03-01 … 03-01 |
| D7 | 03-01 + 7 | 2011-03-08 | 03-07 … 03-09 |
| D14 | 03-01 + 14 | 2011-03-15 | 03-13 … 03-17 |
| M1 | 03-01 + 30 (March has 31 days: 1 + 30 = 31) | 2011-03-31 | 03-28 … 04-03 |
| M3 | + 30 to 03-31, + 30 to 04-30, + 30 to 05-30 | 2011-05-30 | 05-23 … 06-06 |
| M6 | 05-30 is + 90; + 31 to 06-30, + 31 to 07-31, + 28 to 08-28 | 2011-08-28 | 08-14 … 09-11 |
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import icalendar
import pytest

from .conftest import CHECK_COLUMNS, DUE_COLUMNS, ROOT, SCHEDULE_COLUMNS, TWO_ARMS, run_cli, write

# The same visits with no [[arms]] and no visit's `arms`: every visit is everyone's.
NO_ARMS = TWO_ARMS.replace('arms = ["A"]\n', "").replace('arms = ["B"]\n', "")
NO_ARMS = NO_ARMS[:NO_ARMS.index("[[arms]]")] + NO_ARMS[NO_ARMS.index("[[visits]]"):]

# 301 in arm A, 302 in arm B, 303 not yet assigned; all enrolled 2011-03-01.
ROSTER = """\
participant_id,name,enrollment_date,site,arm
301,Wang Fang,2011-03-01,01,A
302,Li Na,2011-03-01,01,B
303,Zhang Wei,2011-03-01,01,
"""
# Judged as of 2011-09-20 (the windows in the module's docstring):
VISITS = """\
participant_id,visit_code,actual_date,reason
301,D0,2011-03-01,
301,D7,2011-03-08,
301,D14,2011-03-18,fever
301,M1,2011-03-31,
301,M3,2011-05-30,
302,D0,2011-03-01,
302,D7,2011-03-08,
302,M1,2011-04-04,clinic closed
302,M3,2011-05-30,
303,D0,2011-03-01,
303,D7,2011-03-08,
303,M1,2011-03-31,
"""
AS_OF = "2011-09-20"
# participant → visit → (status, days_outside), as of 2011-09-20:
STATUSES = {
    "301": {"D0": ("in_window", "0"), "D7": ("in_window", "0"),
            "D14": ("late", "1"),          # done 03-18, window closed 03-17
            "M1": ("in_window", "0"), "M3": ("in_window", "0")},
    "302": {"D0": ("in_window", "0"), "D7": ("in_window", "0"),
            "M1": ("late", "1"),           # done 04-04, window closed 04-03
            "M3": ("in_window", "0"),
            "M6": ("missed", "9")},        # closed 09-11; 09-20 − 09-11 = 9
    "303": {"D0": ("in_window", "0"), "D7": ("in_window", "0"), "M1": ("in_window", "0"),
            "M3": ("missed", "106")},      # closed 06-06; 24 (to 06-30) + 31 + 31 + 20 = 106
}
UNASSIGNED_WARNING = ("Warning: not yet assigned to an arm: 303 — until then they have only the visits "
                      "every arm has (visit-scheduler correct ID --arm ARM --reason …)")


@pytest.fixture
def two_arms(study):
    """The three participants of ROSTER, their visits, the two-arm protocol."""
    return study(ROSTER, VISITS, TWO_ARMS)


def table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV output of the tool (UTF-8 with a byte-order mark): its header and rows."""
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def sdtm(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / "sdtm" / f"{name}.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def visits_of(rows: list[dict[str, str]], participant: str) -> list[str]:
    return [row["visit_code"] for row in rows if row["participant_id"] == participant]


# ------------------------------------------------------------------ schedule


def test_schedule_rows_and_windows_per_arm(two_arms):
    """Arm A: D0 D7 D14 M1 M3; arm B: D0 D7 M1 M3 M6; not assigned: D0 D7 M1 M3. The windows
    are those of the module's table, the same for every arm that has the visit."""
    result = run_cli("schedule", "--as-of", "2011-03-02", "-o", "schedule.csv", cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    _, rows = table(two_arms / "schedule.csv")
    windows = {(row["participant_id"], row["visit_code"]): (row["target_date"], row["window_open"],
                                                            row["window_close"]) for row in rows}
    by_hand = {
        "D0": ("2011-03-01", "2011-03-01", "2011-03-01"),
        "D7": ("2011-03-08", "2011-03-07", "2011-03-09"),     # 03-01 + 7 ± 1
        "D14": ("2011-03-15", "2011-03-13", "2011-03-17"),    # 03-01 + 14 ± 2
        "M1": ("2011-03-31", "2011-03-28", "2011-04-03"),     # 03-01 + 30 ± 3
        "M3": ("2011-05-30", "2011-05-23", "2011-06-06"),     # 03-01 + 90 ± 7
        "M6": ("2011-08-28", "2011-08-14", "2011-09-11"),     # 03-01 + 180 ± 14
    }
    plans = {"301": ["D0", "D7", "D14", "M1", "M3"], "302": ["D0", "D7", "M1", "M3", "M6"],
             "303": ["D0", "D7", "M1", "M3"]}
    assert {person: visits_of(rows, person) for person in plans} == plans
    assert len(rows) == 5 + 5 + 4
    for person, codes in plans.items():
        for code in codes:
            assert windows[(person, code)] == by_hand[code], (person, code)
    # Suggested clinic days (Mon–Fri, China's holidays; none falls near these dates):
    # M6's target 08-28 is a Sunday (03-01 is a Tuesday, 180 = 25 weeks + 5 days); Friday
    # 08-26 is 2 days away, Monday 08-29 is 1: 08-29.
    suggested = {(row["participant_id"], row["visit_code"]): row["suggested_date"] for row in rows}
    assert suggested[("302", "M6")] == "2011-08-29"
    assert suggested[("301", "D14")] == "2011-03-15"       # a Tuesday, on target
    assert UNASSIGNED_WARNING in result.stderr


def test_schedule_carries_the_arm_after_the_contract_columns(two_arms):
    """With [[arms]], schedule has an `arm` column after the contract's (the participant's arm
    code; empty for one not yet assigned)."""
    result = run_cli("schedule", "--as-of", "2011-03-02", "-o", "schedule.csv", cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    header, rows = table(two_arms / "schedule.csv")
    assert header[:len(SCHEDULE_COLUMNS)] == SCHEDULE_COLUMNS
    assert "arm" in header[len(SCHEDULE_COLUMNS):]
    assert {row["participant_id"]: row["arm"] for row in rows} == {"301": "A", "302": "B", "303": ""}


# ------------------------------------------------------------------ check


def test_check_statuses_per_arm_and_the_arm_column(two_arms):
    """Only the arm's visits are judged: no D14 row for 302 (arm B) or 303 (not assigned),
    no M6 row for 301 (arm A) or 303; the `arm` column follows the contract's columns."""
    result = run_cli("check", "--as-of", AS_OF, "-o", "check.csv", cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    header, rows = table(two_arms / "check.csv")
    assert header[:len(CHECK_COLUMNS)] == CHECK_COLUMNS
    assert "arm" in header[len(CHECK_COLUMNS):]
    found = {person: {row["visit_code"]: (row["status"], row["days_outside"]) for row in rows
                      if row["participant_id"] == person} for person in STATUSES}
    assert found == STATUSES
    assert [row["visit_code"] for row in rows if row["participant_id"] == "302"] == ["D0", "D7", "M1", "M3", "M6"]
    assert {(row["participant_id"], row["arm"]) for row in rows} == {("301", "A"), ("302", "B"), ("303", "")}
    assert {row["as_of"] for row in rows} == {AS_OF}
    # The one warning naming the participant not yet assigned.
    assert result.stderr.count("not yet assigned to an arm") == 1
    assert UNASSIGNED_WARNING in result.stderr


def test_check_on_the_terminal_counts_only_the_arms_visits(two_arms):
    """The headline: 4 deviations (301 D14, 302 M1, 302 M6, 303 M3) in 14 expected visits
    (5 + 5 + 4, not 3 × 6 = 18)."""
    result = run_cli("check", "--as-of", AS_OF, cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    assert "as of 2011-09-20, 4 deviations in 14 expected visits" in result.stdout
    assert not re.search(r"^302\s+D14\b", result.stdout, re.M)
    assert not re.search(r"^301\s+M6\b", result.stdout, re.M)
    assert re.search(r"^302\s+M6\s+2011-08-28\s+2011-08-14\s+2011-09-11\s+missed\s+9\b", result.stdout, re.M)


def test_a_record_of_a_visit_the_arm_lacks_is_a_data_problem(study):
    """302 is in arm B, which has no D14: the record is a data problem naming the participant
    and the arm (exit 1), and it is left out (no D14 row for 302)."""
    visits = VISITS + "302,D14,2011-03-15,\n"      # line 14 of the visits file
    folder = study(ROSTER, visits, TWO_ARMS)
    result = run_cli("check", "--as-of", AS_OF, "-o", "check.csv", cwd=folder)
    assert result.exit_code == 1
    problem = [line for line in result.stderr.splitlines() if "visits.csv:14:" in line]
    assert len(problem) == 1, result.stderr
    assert "302" in problem[0] and "arm B" in problem[0] and "D14" in problem[0]
    _, rows = table(folder / "check.csv")
    assert visits_of(rows, "302") == ["D0", "D7", "M1", "M3", "M6"]


def test_recording_a_visit_the_arm_lacks_is_refused(two_arms):
    """`record 302 D14 …`: arm B has no D14, so the record is refused as an unknown visit code
    is (exit 2, naming the participant, the arm and the visit) and visits.csv is unchanged."""
    before = (two_arms / "visits.csv").read_bytes()
    result = run_cli("record", "302", "D14", "2011-03-15", cwd=two_arms)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "302" in result.stderr and "B" in result.stderr and "D14" in result.stderr
    assert (two_arms / "visits.csv").read_bytes() == before


def test_a_record_of_an_arm_only_visit_for_a_participant_not_assigned(study):
    """303 has no arm yet: a D14 record (only arm A has D14) is a data problem too, exit 1."""
    folder = study(ROSTER, VISITS + "303,D14,2011-03-15,\n", TWO_ARMS)   # line 14
    result = run_cli("check", "--as-of", AS_OF, cwd=folder)
    assert result.exit_code == 1
    problem = [line for line in result.stderr.splitlines() if "visits.csv:14:" in line]
    assert len(problem) == 1 and "303" in problem[0] and "D14" in problem[0], result.stderr


def test_an_arm_naming_no_arm_is_refused_with_every_line(study):
    """Every bad `arm` listed with its line (the header is line 1), exit 2, nothing written.
    Arm codes are exact: 'a' is not 'A', and an arm's name is not its code."""
    roster = """\
participant_id,enrollment_date,arm
301,2011-03-01,A
302,2011-03-01,C
303,2011-03-01,
304,2011-03-01,a
305,2011-03-01,Two transplants
"""
    folder = study(roster, "participant_id,visit_code,actual_date,reason\n", TWO_ARMS)
    result = run_cli("check", "--as-of", AS_OF, "-o", "check.csv", cwd=folder)
    assert result.exit_code == 2
    assert not (folder / "check.csv").exists()
    for line, value in [(3, "C"), (5, "a"), (6, "Two transplants")]:
        assert (f"participants.csv:{line}: column arm: not an arm of the protocol (value '{value}') — "
                "use one of: A, B") in result.stderr
    assert "participants.csv:2:" not in result.stderr and "participants.csv:4:" not in result.stderr


# ------------------------------------------------------------------ due and status


def test_due_lists_only_the_arms_visits(two_arms):
    """As of 2011-08-10 with 14 days ahead (up to 08-24): M6 opens 08-14, so 302 (arm B) has it
    on the worklist; 301 (arm A) and 303 (not assigned) have no M6, and everything else of
    theirs is done or closed. days_left = 09-11 − 08-10 = 21 + 11 = 32."""
    result = run_cli("due", "--as-of", "2011-08-10", "--days", "14", "-o", "due.csv", cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    header, rows = table(two_arms / "due.csv")
    assert [(row["participant_id"], row["visit_code"], row["window_open"], row["window_close"], row["days_left"])
            for row in rows] == [("302", "M6", "2011-08-14", "2011-09-11", "32")]
    assert header[:len(DUE_COLUMNS)] == DUE_COLUMNS


def test_due_on_day_14_has_arm_a_only(study):
    """Nothing done yet but D0 and D7; as of 2011-03-14 (14 days ahead: to 03-28): 301's D14
    (03-13 … 03-17) is due, days_left 03-17 − 03-14 = 3; M1 opens 03-28 (inclusive) for all
    three, days_left 04-03 − 03-14 = 17 + 3 = 20. No D14 for 302 or 303."""
    visits = "participant_id,visit_code,actual_date,reason\n" + "".join(
        f"{p},D0,2011-03-01,\n{p},D7,2011-03-08,\n" for p in ("301", "302", "303"))
    folder = study(ROSTER, visits, TWO_ARMS)
    result = run_cli("due", "--as-of", "2011-03-14", "--days", "14", "-o", "due.csv", cwd=folder)
    assert result.exit_code == 0, result.stderr
    header, rows = table(folder / "due.csv")
    assert sorted((row["participant_id"], row["visit_code"], row["days_left"]) for row in rows) == [
        ("301", "D14", "3"), ("301", "M1", "20"), ("302", "M1", "20"), ("303", "M1", "20")]
    assert "arm" in header[len(DUE_COLUMNS):]
    assert {row["participant_id"]: row["arm"] for row in rows} == {"301": "A", "302": "B", "303": ""}


def test_status_shows_only_the_arms_visits(two_arms):
    """`status 302`: five visits, M6 missed by 9, no D14; `status 301`: D14 late 1, no M6."""
    result = run_cli("status", "302", "--as-of", AS_OF, cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    codes = re.findall(r"^(D0|D7|D14|M1|M3|M6)\s", result.stdout, re.M)
    assert codes == ["D0", "D7", "M1", "M3", "M6"]
    assert re.search(r"^M6\s+Safety follow-up month 6\s+2011-08-28\s+2011-08-14\s+2011-09-11\s.*missed\s+9\b",
                     result.stdout, re.M), result.stdout
    assert "5 visits" in result.stdout and "2 deviations" in result.stdout    # M1 late, M6 missed
    result = run_cli("status", "301", "--as-of", AS_OF, cwd=two_arms)
    assert re.findall(r"^(D0|D7|D14|M1|M3|M6)\s", result.stdout, re.M) == ["D0", "D7", "D14", "M1", "M3"]
    assert "1 deviation" in result.stdout
    result = run_cli("status", "303", "--as-of", AS_OF, cwd=two_arms)
    assert re.findall(r"^(D0|D7|D14|M1|M3|M6)\s", result.stdout, re.M) == ["D0", "D7", "M1", "M3"]


# ------------------------------------------------------------------ calendar, report, plan


def test_calendar_has_no_event_for_a_visit_the_arm_lacks(two_arms):
    """One event per expected visit: 5 + 5 + 4 = 14; no D14 event for 302 or 303, no M6 event
    for 301 or 303. M6's event for 302 covers its window (DTEND is the day after 09-11)."""
    result = run_cli("calendar", "--as-of", "2011-03-02", "-o", "x.ics", cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    calendar = icalendar.Calendar.from_ical((two_arms / "x.ics").read_bytes())
    uids = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    pairs = sorted(tuple(uid.split("@")[0].split("-")[-2:]) for uid in uids)
    assert pairs == sorted([("301", c) for c in ("D0", "D7", "D14", "M1", "M3")]
                           + [("302", c) for c in ("D0", "D7", "M1", "M3", "M6")]
                           + [("303", c) for c in ("D0", "D7", "M1", "M3")])
    # The UID is STUDY-ID-VISIT@visit-scheduler, with the study's own hyphen escaped
    # (DEMO%2D2ARM) so that the parts stay apart.
    m6 = uids["DEMO%2D2ARM-302-M6@visit-scheduler"]
    assert (str(m6["dtstart"].dt), str(m6["dtend"].dt)) == ("2011-08-14", "2011-09-12")


def test_weekly_report_gives_deviations_per_arm(two_arms):
    """As of 2011-09-20 (a Tuesday: the week reported is 09-12 … 09-18): 4 deviations to date,
    arm A 1 (301 D14), arm B 2 (302 M1, 302 M6), not assigned 1 (303 M3); the rate counts only
    the visits the arms have: 4 of 14 judged visits = 28.6%."""
    result = run_cli("report", "--as-of", AS_OF, "-o", "r.md", cwd=two_arms)
    assert result.exit_code == 0, result.stderr
    text = (two_arms / "r.md").read_text("utf-8")
    summary = text[text.index("## Summary"):text.index("\n## ", text.index("## Summary") + 1)]
    lines = summary.splitlines()
    deviations = next(i for i, line in enumerate(lines) if line.startswith("| deviations to date |"))
    assert lines[deviations] == "| deviations to date | 4 |"
    below = lines[deviations + 1:]
    assert "| arm A | 1 |" in below and "| arm B | 2 |" in below
    assert below.index("| arm A | 1 |") < below.index("| arm B | 2 |")      # the protocol's order
    assert any(line.endswith("| 1 |") and "arm" in line and "A" not in line and "B" not in line for line in below)
    assert "| deviation rate per visit to date | 28.6% |" in lines
    assert "302 D14" not in text and "301 M6" not in text and "303 D14" not in text


def test_weekly_report_lists_the_arms_in_the_protocols_order(study):
    """The roster begins with an arm B participant: the summary still reads arm A, then arm B
    (the protocol's order, as TA and the `protocol` table have them), "not assigned" last.
    302's M6 missed (the only deviation): arm A 0, arm B 1."""
    roster = ("participant_id,enrollment_date,site,arm\n"
              "302,2011-03-01,01,B\n301,2011-03-01,01,A\n303,2011-03-01,01,\n")
    folder = study(roster, VISITS.replace("301,D14,2011-03-18,fever", "301,D14,2011-03-15,")
                   .replace("302,M1,2011-04-04,clinic closed", "302,M1,2011-03-31,") + "303,M3,2011-05-30,\n",
                   TWO_ARMS)
    result = run_cli("report", "--as-of", AS_OF, "-o", "r.md", cwd=folder)
    assert result.exit_code == 0, result.stderr
    lines = (folder / "r.md").read_text("utf-8").splitlines()
    start = lines.index("| deviations to date | 1 |")
    assert lines[start + 1:start + 4] == ["| arm A | 0 |", "| arm B | 1 |", "| no arm assigned yet | 0 |"]


def test_plan_shows_only_the_arms_visits(two_arms):
    """The paper plan of 302 (arm B) has M6 and no D14; 301's (arm A) has D14 and no M6;
    303's (not assigned) neither."""
    pages = {}
    for person in ("301", "302", "303"):
        result = run_cli("plan", person, "--as-of", "2011-03-02", "-o", f"p{person}.html", cwd=two_arms)
        assert result.exit_code == 0, result.stderr
        pages[person] = (two_arms / f"p{person}.html").read_text("utf-8")
        assert "Transplantation 1" in pages[person] and "Follow-up month 3" in pages[person]
    assert "Safety follow-up month 6" in pages["302"] and "Transplantation 3" not in pages["302"]
    assert "2011-08-14" in pages["302"]                                # M6's window opens
    assert "Transplantation 3" in pages["301"] and "Safety follow-up month 6" not in pages["301"]
    assert "Transplantation 3" not in pages["303"] and "Safety follow-up month 6" not in pages["303"]


# ------------------------------------------------------------------ SDTM


@pytest.fixture
def exported(study):
    """ROSTER plus 304 (arm B, enrolled 09-01, nothing done) and 305 (arm A, a screen failure on
    09-01), exported as of 2011-09-20."""
    roster = ("participant_id,name,enrollment_date,site,arm,withdrawal_date,withdrawal_category,withdrawal_reason\n"
              "301,Wang Fang,2011-03-01,01,A,,,\n"
              "302,Li Na,2011-03-01,01,B,,,\n"
              "303,Zhang Wei,2011-03-01,01,,,,\n"
              "304,Liu Yang,2011-09-01,01,B,,,\n"
              "305,Chen Jing,2011-09-01,01,A,2011-09-01,SCREEN FAILURE,not eligible\n")
    folder = study(roster, VISITS, TWO_ARMS)
    result = run_cli("export", "sdtm", "--as-of", AS_OF, "-o", "sdtm", cwd=folder)
    assert result.exit_code == 0, result.stderr
    return folder


def test_sdtm_dm_arm_variables(exported):
    """ARMCD/ARM the roster's arm (code / name); ACTARMCD/ACTARM the same once a TREATMENT visit
    is done; ARMNRS NOT ASSIGNED (no arm), ASSIGNED, NOT TREATED (304: nothing done), SCREEN
    FAILURE (305, whose arm variables are then empty)."""
    rows = {row["SUBJID"]: (row["ARMCD"], row["ARM"], row["ACTARMCD"], row["ACTARM"], row["ARMNRS"])
            for row in sdtm(exported, "dm")}
    assert rows == {
        "301": ("A", "Three transplants", "A", "Three transplants", ""),
        "302": ("B", "Two transplants", "B", "Two transplants", ""),
        "303": ("", "", "", "", "NOT ASSIGNED"),
        "304": ("B", "Two transplants", "", "", "ASSIGNED, NOT TREATED"),
        "305": ("", "", "", "", "SCREEN FAILURE"),
    }


def test_sdtm_ta_rows_per_arm(exported):
    """Each arm's elements: both arms have treatment visits (D0, D7) and follow-up visits (M1,
    M3), so each has TRT then FU."""
    rows = [(r["ARMCD"], r["ARM"], r["TAETORD"], r["ETCD"], r["ELEMENT"], r["EPOCH"]) for r in sdtm(exported, "ta")]
    assert rows == [
        ("A", "Three transplants", "1", "TRT", "Treatment", "TREATMENT"),
        ("A", "Three transplants", "2", "FU", "Follow-up", "FOLLOW-UP"),
        ("B", "Two transplants", "1", "TRT", "Treatment", "TREATMENT"),
        ("B", "Two transplants", "2", "FU", "Follow-up", "FOLLOW-UP"),
    ]


def test_sdtm_taetord_counts_per_arm(study):
    """An element only one arm has: D14 in an epoch of its own (BOOST) for arm A. Elements in
    the order of their epoch's first visit: TRT (D0), BOOST (D14), FU (M1). Arm A: TRT 1,
    BOOST 2, FU 3; arm B has no BOOST: TRT 1, FU 2. TE has every element; SE's TAETORD is the
    participant's arm's."""
    protocol = TWO_ARMS.replace('code = "D14"\nname = "Transplantation 3"\nkind = "treatment"\n',
                                'code = "D14"\nname = "Transplantation 3"\nkind = "boost"\nepoch = "BOOST"\n')
    assert protocol != TWO_ARMS
    folder = study(ROSTER, VISITS, protocol)
    result = run_cli("export", "sdtm", "--as-of", AS_OF, "-o", "sdtm", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert [(r["ARMCD"], r["TAETORD"], r["ETCD"]) for r in sdtm(folder, "ta")] == [
        ("A", "1", "TRT"), ("A", "2", "BOOST"), ("A", "3", "FU"), ("B", "1", "TRT"), ("B", "2", "FU")]
    assert sorted(r["ETCD"] for r in sdtm(folder, "te")) == ["BOOST", "FU", "TRT"]
    se = [(r["USUBJID"].split("-")[-1], r["ETCD"], r["TAETORD"]) for r in sdtm(folder, "se")]
    assert ("301", "FU", "3") in se and ("302", "FU", "2") in se


def test_sdtm_tv_rows_per_arm(exported):
    """A visit every arm has: one row, ARMCD empty; D14: one row ARMCD A; M6: one row ARMCD B.
    VISITNUM is the place in the protocol; VISITDY the planned day + 1 (no day 0 in SDTM).
    Sorted by ARMCD then VISITNUM: the empty ARMCD first."""
    rows = [(r["ARMCD"], r["VISITNUM"], r["VISIT"], r["VISITDY"]) for r in sdtm(exported, "tv")]
    assert rows == [
        ("", "1", "Transplantation 1", "1"),
        ("", "2", "Transplantation 2", "8"),
        ("", "4", "Follow-up month 1", "31"),
        ("", "5", "Follow-up month 3", "91"),
        ("A", "3", "Transplantation 3", "15"),
        ("B", "6", "Safety follow-up month 6", "181"),
    ]


def test_sdtm_no_dv_or_sv_for_a_visit_the_arm_lacks(exported):
    """DV: 301 D14 late, 302 M1 late, 302 M6 missed (DVSTDTC the day after 09-11), 303 M3
    missed (the day after 06-06); 304 D0 missed (closed 09-01) and D7 missed (closed 09-09).
    Nothing for 301 M6, 302 D14, 303 D14 or M6, although those windows closed long ago.
    305 is a screen failure on the day of enrollment: every visit withdrawn, no DV."""
    rows = sorted((r["USUBJID"].split("-")[-1], r["DVREFID"], r["DVDECOD"], r["DVSTDTC"]) for r in sdtm(exported, "dv"))
    assert rows == [
        ("301", "D14", "VISIT OUT OF WINDOW", "2011-03-18"),
        ("302", "M1", "VISIT OUT OF WINDOW", "2011-04-04"),
        ("302", "M6", "MISSED VISIT", "2011-09-12"),
        ("303", "M3", "MISSED VISIT", "2011-06-07"),
        ("304", "D0", "MISSED VISIT", "2011-09-02"),
        ("304", "D7", "MISSED VISIT", "2011-09-10"),
    ]
    m6 = next(r for r in sdtm(exported, "dv") if r["DVREFID"] == "M6")
    assert m6["DVTERM"] == "Safety follow-up month 6 missed (window closed 2011-09-11)"
    sv = {(r["USUBJID"].split("-")[-1], r["VISITNUM"]) for r in sdtm(exported, "sv")}
    assert ("302", "3") not in sv and ("303", "3") not in sv        # D14 is VISITNUM 3
    assert ("301", "6") not in sv and ("303", "6") not in sv        # M6 is VISITNUM 6
    assert ("302", "6") in sv                                       # missed: SVOCCUR N


def test_define_xml_describes_the_arm_values(exported):
    """define.xml says how ARMNRS is derived and lists the terms written: with arms it takes
    NOT ASSIGNED, ASSIGNED, NOT TREATED and SCREEN FAILURE (all three are in this DM)."""
    text = (exported / "sdtm" / "define.xml").read_text("utf-8")
    codelist = text[text.index('<CodeList OID="CL.ARMNRS"'):]
    codelist = codelist[:codelist.index("</CodeList>")]
    for term in ("NOT ASSIGNED", "ASSIGNED, NOT TREATED", "SCREEN FAILURE"):
        assert f'CodedValue="{term}"' in codelist, term
    method = text[text.index('<MethodDef OID="MT.DM.ARMNRS"'):]
    method = method[:method.index("</MethodDef>")]
    assert "NOT ASSIGNED" in method and "SCREEN FAILURE" in method, method


# ------------------------------------------------------------------ without arms


@pytest.mark.parametrize("protocol", [NO_ARMS, None], ids=["six-visits-no-arms", "built-in"])
def test_without_arms_the_arm_column_changes_nothing(tmp_path, protocol):
    """A protocol without [[arms]]: the roster's `arm` column is not checked (even 'C') and the
    check's output is the same byte for byte, on the terminal and in CSV; the only difference
    is one warning that the arms the roster gives change nothing."""
    outputs = []
    for name, roster in [("without", "participant_id,enrollment_date,site\n301,2011-03-01,01\n302,2011-03-01,01\n"),
                         ("with", "participant_id,enrollment_date,site,arm\n301,2011-03-01,01,C\n302,2011-03-01,01,\n")]:
        folder = tmp_path / name
        folder.mkdir()
        write(folder, "participants.csv", roster)
        write(folder, "visits.csv", "participant_id,visit_code,actual_date,reason\n301,D0,2011-03-01,\n"
                                     "302,D0,2011-03-01,\n302,D7,2011-03-10,\n")
        if protocol is not None:
            write(folder, "protocol.toml", protocol)
        terminal = run_cli("check", "--as-of", AS_OF, cwd=folder)
        written = run_cli("check", "--as-of", AS_OF, "-o", "check.csv", cwd=folder)
        assert terminal.exit_code == written.exit_code == 0, terminal.stderr
        outputs.append((terminal.stdout, terminal.stderr, (folder / "check.csv").read_bytes()))
    warning = ("Warning: the participants file gives arms, but the protocol has no [[arms]]: every participant "
               "has every visit (add [[arms]] to the protocol if the study has arms)\n")
    assert outputs[0][0] == outputs[1][0] and outputs[0][2] == outputs[1][2]
    assert outputs[1][1] == warning + outputs[0][1]
    assert b",arm" not in outputs[0][2].splitlines()[0]
    assert "not an arm" not in outputs[1][1] and "not yet assigned" not in outputs[1][1]


def test_without_arms_every_visit_is_everyones(study):
    """The six visits of the example, no [[arms]]: 301 has D14 and M6 alike (6 rows each)."""
    folder = study("participant_id,enrollment_date,arm\n301,2011-03-01,A\n302,2011-03-01,B\n",
                   "participant_id,visit_code,actual_date,reason\n", NO_ARMS)
    result = run_cli("schedule", "--as-of", "2011-03-02", "-o", "schedule.csv", cwd=folder)
    assert result.exit_code == 0, result.stderr
    header, rows = table(folder / "schedule.csv")
    assert "arm" not in header
    for person in ("301", "302"):
        assert visits_of(rows, person) == ["D0", "D7", "D14", "M1", "M3", "M6"]


# ------------------------------------------------------------------ the sample folder


SAMPLE_TWO_ARMS = ROOT / "sample_two_arms"


def test_the_sample_folder_reads_cleanly():
    """sample_two_arms as of 2011-06-30: no problems, one warning (206 not yet assigned);
    4 arm A participants × 5 + 3 arm B × 5 + 1 not assigned × 4 = 39 expected visits; one
    deviation, 203's D14 (window 03-27 … 03-31, done 04-01: late 1, with its reason)."""
    result = run_cli("check", "--study", str(SAMPLE_TWO_ARMS), "--as-of", "2011-06-30")
    assert result.exit_code == 0, result.stderr
    assert "as of 2011-06-30, 1 deviation in 39 expected visits" in result.stdout
    assert result.stderr.strip() == ("Warning: not yet assigned to an arm: 206 — until then they have only the "
                                     "visits every arm has (visit-scheduler correct ID --arm ARM --reason …)")
    assert re.search(r"^203\s+D14\s+2011-03-29\s+2011-03-27\s+2011-03-31\s+2011-04-01\s+late\s+1\s+fever",
                     result.stdout, re.M)
    assert re.search(r"^205\s+M3\s.*withdrawn", result.stdout, re.M)
    assert re.search(r"^206\s+M3\s+2011-07-05\s+2011-06-28\s+2011-07-12\s+due", result.stdout, re.M)


def test_the_sample_folder_m6_due_for_arm_b():
    """As of 2011-08-22: 201 (arm B, enrolled 03-01) has M6 due, window 08-14 … 09-11, days_left
    09-11 − 08-22 = 20; 204 (arm B, enrolled 03-22: M6 03-22 + 180 = 09-18, opens 09-04, within
    the 14 days) is next, days_left 10-02 − 08-22 = 9 + 30 + 2 = 41. No arm A participant has an M6."""
    result = run_cli("due", "--study", str(SAMPLE_TWO_ARMS), "--as-of", "2011-08-22")
    assert result.exit_code == 0, result.stderr
    rows = re.findall(r"^(\d{3})\s+(\w+)\s+\S+\s+(\S+)\s+(\S+)\s+\S+\s+(\d+)\b", result.stdout, re.M)
    assert rows == [("201", "M6", "2011-08-14", "2011-09-11", "20"), ("204", "M6", "2011-09-04", "2011-10-02", "41")]


def test_a_withdrawn_participant_without_an_arm_is_not_warned_about(tmp_path):
    """A screen failure withdrawn before any arm: never to be assigned, so no "not yet
    assigned" warning; a participant on study without an arm still gets one."""
    folder = tmp_path / "s"
    folder.mkdir()
    write(folder, "protocol.toml", (ROOT / "docs" / "examples" / "two-arm.toml").read_text("utf-8"))
    write(folder, "participants.csv", "participant_id,enrollment_date,arm,withdrawal_date,withdrawal_category\n"
                                      "301,2011-03-01,,2011-03-01,SCREEN FAILURE\n302,2011-03-01,,,\n")
    result = run_cli("check", "--as-of", "2011-03-02", cwd=folder)
    # The list would read "301, 302 —" with the screen failure in it.
    assert "not yet assigned to an arm: 302 —" in result.stderr
