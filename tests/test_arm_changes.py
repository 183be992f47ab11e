"""A participant's arm at the point of care: `enroll --arm` and `correct --arm`, audited like
--site; the value one of the protocol's [[arms]]; a corrected arm says the visits it moves."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scheduler.storage.lock import LOCK_FILE

from .conftest import TWO_ARMS, run_cli

# The same plan without [[arms]] (and so without any visit's `arms`).
NO_ARMS = TWO_ARMS.split("[[arms]]")[0] + "[[visits]]" + TWO_ARMS.split("[[visits]]", 1)[1]
NO_ARMS = NO_ARMS.replace('arms = ["A"]\n', "").replace('arms = ["B"]\n', "")

ROSTER = "participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site\n" \
         "001,2010-09-01,,,01\n"
ROSTER_WITH_ARMS = "participant_id,enrollment_date,site,arm\n" \
                   "001,2010-09-01,01,A\n" \
                   "002,2010-09-01,01,\n"
VISITS = "participant_id,visit_code,actual_date,reason\n" \
         "001,D0,2010-09-01,\n" \
         "001,D7,2010-09-08,\n" \
         "001,D14,2010-09-15,\n"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != LOCK_FILE}


def trail(folder: Path) -> list[tuple[str, str, str, str, str, str]]:
    return [(e["action"], e["participant_id"], e["field"], e["old_value"], e["new_value"], e["reason"])
            for e in rows(folder / "audit.csv") if e["step"] == "value"]


def test_enroll_with_an_arm_is_audited_and_verified(study):
    """enroll --arm A writes the arm column (added to a roster without one), the trail holds
    it as it holds the site, audit shows it, verify finds the trail explains the files; an
    arm typed in another case is written as [[arms]] writes it."""
    folder = study(ROSTER, VISITS, TWO_ARMS)
    result = run_cli("enroll", "002", "--date", "2010-09-02", "--site", "01", "--arm", "A", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Enrolled 002 on 2010-09-02\n"
    assert run_cli("enroll", "003", "--date", "2010-09-03", "--arm", "b", cwd=folder).exit_code == 0
    assert run_cli("enroll", "004", "--date", "2010-09-03", cwd=folder).exit_code == 0   # not yet assigned
    assert [(r["participant_id"], r["arm"]) for r in rows(folder / "participants.csv")] == [
        ("001", ""), ("002", "A"), ("003", "B"), ("004", "")]
    assert trail(folder) == [
        ("enroll", "002", "enrollment_date", "", "2010-09-02", ""),
        ("enroll", "002", "site", "", "01", ""),
        ("enroll", "002", "arm", "", "A", ""),
        ("enroll", "003", "enrollment_date", "", "2010-09-03", ""),
        ("enroll", "003", "arm", "", "B", ""),
        ("enroll", "004", "enrollment_date", "", "2010-09-03", ""),
    ]
    shown = run_cli("audit", "002", cwd=folder)
    assert shown.exit_code == 0
    assert "Audit trail of 002: 1 change, 3 values" in shown.stdout
    assert [line.split()[-2:] for line in shown.stdout.splitlines() if " arm " in line] == [["arm", "A"]]
    verified = run_cli("verify", cwd=folder)
    assert verified.exit_code == 0, verified.stdout
    assert "the audit trail explains the study files" in verified.stdout


def test_correcting_the_arm_says_the_visits_it_moves(study):
    """001 of arm A, D14 done: moved to arm B, D14 is no longer expected and M6 is now
    expected, with its window, and a warning says D14's record (kept in the visits file) is
    now a problem of that file; cleared (--arm ""), M6 goes too. Each value is in the trail
    with the correction's reason, and verify passes."""
    folder = study(ROSTER_WITH_ARMS, VISITS, TWO_ARMS)
    result = run_cli("correct", "001", "--arm", "B", "--reason", "randomisation list misread",
                     "--by", "Dr Shi", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Corrected 001 arm: A → B\n"
        "  what this moves:\n"
        "    D14 is no longer expected\n"
        "    M6 is now expected (window 2011-02-14 to 2011-03-14)\n")
    assert ("Warning: 001 D14 is recorded (visits.csv:4), and arm B does not have the visit: every command "
            "will list the record as a problem and leave it out — if it was recorded in error: "
            "visit-scheduler correct 001 D14 --remove --reason …\n") in result.stderr
    result = run_cli("correct", "001", "--arm", "", "--reason", "not randomised yet", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("Corrected 001 arm: B → (empty)\n"
                             "  what this moves:\n"
                             "    M6 is no longer expected\n")
    assert "Warning: 001 D14" not in result.stderr     # D14 was lost already: said once
    # 002, not yet assigned, gains D14; with its enrollment date corrected too, D14's window
    # is the one the new date gives, after the windows that move.
    result = run_cli("correct", "002", "--arm", "A", "--enrollment", "2010-09-02", "--reason", "both typed wrong",
                     cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["Corrected 002 enrollment_date: 2010-09-01 → 2010-09-02",
                                              "Corrected 002 arm: (empty) → A"]
    assert result.stdout.splitlines()[-2:] == ["    M3 window 2010-11-23 to 2010-12-07 → 2010-11-24 to 2010-12-08",
                                               "    D14 is now expected (window 2010-09-14 to 2010-09-18)"]
    assert [(r["participant_id"], r["arm"]) for r in rows(folder / "participants.csv")] == [("001", ""),
                                                                                           ("002", "A")]
    assert rows(folder / "visits.csv")[2] == {"participant_id": "001", "visit_code": "D14",
                                              "actual_date": "2010-09-15", "reason": ""}
    assert trail(folder) == [
        ("correct", "001", "arm", "A", "B", "randomisation list misread"),
        ("correct", "001", "arm", "B", "", "not randomised yet"),
        ("correct", "002", "enrollment_date", "2010-09-01", "2010-09-02", "both typed wrong"),
        ("correct", "002", "arm", "", "A", "both typed wrong"),
    ]
    assert [e["on_behalf_of"] for e in rows(folder / "audit.csv") if e["step"] == "value"][0] == "Dr Shi"
    assert run_cli("verify", cwd=folder).exit_code == 0


@pytest.mark.parametrize("protocol, args, message", [
    (TWO_ARMS, ["enroll", "003", "--date", "2010-09-01", "--arm", "C"],
     "Error: --arm 'C' is not an arm of the protocol — use one of: A, B\n"),
    (TWO_ARMS, ["correct", "001", "--arm", "C", "--reason", "typo"],
     "Error: --arm 'C' is not an arm of the protocol — use one of: A, B\n"),
    (NO_ARMS, ["enroll", "003", "--date", "2010-09-01", "--arm", "A"],
     "Error: the protocol has no [[arms]]: --arm cannot be used\n"),
    (NO_ARMS, ["correct", "001", "--arm", "", "--reason", "typo"],
     "Error: the protocol has no [[arms]]: --arm cannot be used\n"),
    (TWO_ARMS, ["correct", "001", "--arm", "B"],
     "give --reason: why the record is corrected (it is kept in the audit trail)"),
    (TWO_ARMS, ["correct", "001", "D7", "--arm", "B", "--reason", "typo"],
     "options correct the participant: give them without a VISIT"),
    (TWO_ARMS, ["correct", "001", "--arm", "A", "--reason", "typo"],
     "Error: nothing to change: 001 already has arm A\n"),
    (TWO_ARMS, ["correct", "002", "--arm", "", "--reason", "typo"],
     "Error: nothing to change: 002 already has arm (empty)\n"),
])
def test_refused_arm_changes_change_nothing(study, protocol, args, message):
    """An arm not of the protocol, --arm with a protocol without [[arms]], no reason, with a
    visit, the arm already there: exit 2, the reason, and not a byte changed."""
    folder = study(ROSTER_WITH_ARMS, VISITS, protocol)
    before = snapshot(folder)
    result = run_cli(*args, cwd=folder)
    assert result.exit_code == 2
    assert message in result.stderr
    assert snapshot(folder) == before


def test_clearing_the_arm_warns_about_records_of_visits_not_every_arm_has(study):
    """001 of arm A with D14 recorded, cleared to not yet assigned: D14 is no longer expected,
    and the warning says its record is left out until an arm with D14 is given."""
    folder = study(ROSTER_WITH_ARMS, VISITS, TWO_ARMS)
    result = run_cli("correct", "001", "--arm", "", "--reason", "not randomised yet", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("Corrected 001 arm: A → (empty)\n"
                             "  what this moves:\n"
                             "    D14 is no longer expected\n")
    assert ("Warning: 001 D14 is recorded (visits.csv:4), and not every arm has the visit: until 001 is in an "
            "arm that has it, every command will list the record as a problem and leave it out\n") in result.stderr
    assert rows(folder / "participants.csv")[0]["arm"] == ""
