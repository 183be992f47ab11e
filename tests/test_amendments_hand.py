"""Protocol amendments (issue #19), checked through the real command from the rules alone,
every expected value worked out by hand beside it (month arithmetic clamps to the month's end).

Two versions of one study (days from D0 unless noted; 2011 is not a leap year):

| code | 1.0, effective 2010-08-01 | 2.0, effective 2011-03-01 (protocol.toml) |
| --- | --- | --- |
| D0 | enrollment + day 0 ± 0 | same |
| D7 | day 7 ± 1 | same |
| D14 | day 14 ± 2 | day 14 ± 4 (widened) |
| M1 | month 1 ± 7 | dropped |
| M2 | day 60 ± 3 | day 35 ± 2 (moved earlier) |
| W6 | — | week 6 ± 3 (added) |
| M3 | month 3 ± 14 | same |
| M6 | — | month 6 ± 14 (added) |

Roster: 101 enrolled 2011-02-01 (1.0), 102 and 104 2011-02-21 (1.0; 104's D0 done two days
late, 02-23), 103 2011-03-05 (after 2.0's effective: 2.0), 105 2011-02-10 (1.0, withdrew
2011-03-15), 106 2011-03-25 (2.0). The moves: 102 and 104 on 2011-03-10, 101 on 2011-03-20.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from scheduler.storage.lock import LOCK_FILE

from .conftest import CHECK_COLUMNS, DUE_COLUMNS, SCHEDULE_COLUMNS, run_cli

HEAD = '[study]\nid = "AMEND-DEMO"\ntitle = "Amendment example"\ntimezone = "Asia/Shanghai"\nday0 = "D0"\n'


def visit(code: str, kind: str, anchor: str, unit: str, n: int, minus: int, plus: int) -> str:
    return (f'\n[[visits]]\ncode = "{code}"\nname = "Visit {code}"\nkind = "{kind}"\nanchor = "{anchor}"\n'
            f"{unit} = {n}\nminus = {minus}\nplus = {plus}\n")


COMMON = visit("D0", "transplant", "enrollment", "day", 0, 0, 0) + visit("D7", "transplant", "D0", "day", 7, 1, 1)
V1_VISITS = (COMMON + visit("D14", "transplant", "D0", "day", 14, 2, 2) + visit("M1", "follow-up", "D0", "month", 1, 7, 7)
             + visit("M2", "follow-up", "D0", "day", 60, 3, 3) + visit("M3", "follow-up", "D0", "month", 3, 14, 14))
V2_VISITS = (COMMON + visit("D14", "transplant", "D0", "day", 14, 4, 4) + visit("M2", "follow-up", "D0", "day", 35, 2, 2)
             + visit("W6", "follow-up", "D0", "week", 6, 3, 3) + visit("M3", "follow-up", "D0", "month", 3, 14, 14)
             + visit("M6", "follow-up", "D0", "month", 6, 14, 14))
V1 = HEAD + 'version = "1.0"\neffective = 2010-08-01\n' + V1_VISITS
V2 = HEAD + 'version = "2.0"\neffective = 2011-03-01\n' + V2_VISITS

ROSTER = """\
participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site
101,2011-02-01,,,01
102,2011-02-21,,,01
103,2011-03-05,,,01
104,2011-02-21,,,01
105,2011-02-10,2011-03-15,moved away,01
106,2011-03-25,,,01
"""
VISITS = """\
participant_id,visit_code,actual_date,reason
101,D0,2011-02-01,
101,D7,2011-02-08,
102,D0,2011-02-21,
102,M1,2011-03-20,
103,D0,2011-03-05,
104,D0,2011-02-23,catheter lab busy
104,M2,2011-03-09,travelling
"""

# After the three moves: code → (target, window_open, window_close, protocol_version).
AFTER_MOVES = {
    "101": {  # enrolled and D0 02-01; moved on M = 03-20
        "D0": ("2011-02-01", "2011-02-01", "2011-02-01", "1.0"),  # opened 02-01 < M: old window
        "D7": ("2011-02-08", "2011-02-07", "2011-02-09", "1.0"),  # 02-01 + 7 ± 1; opened < M
        "D14": ("2011-02-15", "2011-02-13", "2011-02-17", "1.0"),  # 02-01 + 14 ± 2 (not ± 4); opened < M
        "M1": ("2011-03-01", "2011-02-22", "2011-03-08", "1.0"),  # 02-01 + 1 month ± 7; opened < M, kept
        # 1.0: 02-01 + 60 = 04-02 (03-01 is + 28) ± 3 = 03-30 … 04-05, opens after M; 2.0 would be
        # 02-01 + 35 = 03-08 ± 2 = 03-06 … 03-10, closed before M → the old window.
        "M2": ("2011-04-02", "2011-03-30", "2011-04-05", "1.0"),
        # W6 (2.0 only): 02-01 + 42 = 03-15 ± 3 = 03-12 … 03-18, closed before M → not expected.
        "M3": ("2011-05-01", "2011-04-17", "2011-05-15", "2.0"),  # 02-01 + 3 months ± 14; opens after M
        "M6": ("2011-08-01", "2011-07-18", "2011-08-15", "2.0"),  # 02-01 + 6 months ± 14
    },
    "102": {  # enrolled and D0 02-21; moved on M = 03-10
        "D0": ("2011-02-21", "2011-02-21", "2011-02-21", "1.0"),
        "D7": ("2011-02-28", "2011-02-27", "2011-03-01", "1.0"),  # 02-21 + 7 ± 1; opened < M
        "D14": ("2011-03-07", "2011-03-05", "2011-03-09", "1.0"),  # 02-21 + 14 ± 2; opened 03-05 < M
        # M1 (1.0 only): 02-21 + 1 month = 03-21 ± 7 = 03-14 … 03-28 opens after M, but it was
        # done (03-20): a visit done never disappears, it keeps the old window.
        "M1": ("2011-03-21", "2011-03-14", "2011-03-28", "1.0"),
        # 1.0: 02-21 + 60 = 04-22 ± 3 = 04-19 … 04-25 opens after M; 2.0: 02-21 + 35 = 03-28
        # (03-01 is + 8) ± 2 = 03-26 … 03-30, closes after M → the new window.
        "M2": ("2011-03-28", "2011-03-26", "2011-03-30", "2.0"),
        "W6": ("2011-04-04", "2011-04-01", "2011-04-07", "2.0"),  # 02-21 + 42 = 03-28 + 7 ± 3
        "M3": ("2011-05-21", "2011-05-07", "2011-06-04", "2.0"),  # 05-21 ± 14 (05-31 is + 10)
        "M6": ("2011-08-21", "2011-08-07", "2011-09-04", "2.0"),  # 08-21 ± 14 (08-31 is + 10)
    },
    "104": {  # enrolled 02-21, D0 done 02-23: the windows anchored on D0 hang on 02-23; M = 03-10
        "D0": ("2011-02-21", "2011-02-21", "2011-02-21", "1.0"),  # enrollment + 0; done late by 2
        "D7": ("2011-03-02", "2011-03-01", "2011-03-03", "1.0"),  # 02-23 + 7 (02-28 is + 5) ± 1
        "D14": ("2011-03-09", "2011-03-07", "2011-03-11", "1.0"),  # 02-23 + 14 ± 2; opened 03-07 < M
        # M1 (1.0 only): 02-23 + 1 month = 03-23 ± 7 = 03-16 … 03-30 opens after M, not done → gone.
        # M2 done 03-09 < M: judged against 1.0: 02-23 + 60 = 04-24 (03-01 is + 6, 04-01 + 37) ± 3.
        "M2": ("2011-04-24", "2011-04-21", "2011-04-27", "1.0"),
        "W6": ("2011-04-06", "2011-04-03", "2011-04-09", "2.0"),  # 02-23 + 42 (04-01 is + 37) ± 3
        "M3": ("2011-05-23", "2011-05-09", "2011-06-06", "2.0"),  # 05-23 ± 14 (05-31 is + 8)
        "M6": ("2011-08-23", "2011-08-09", "2011-09-06", "2.0"),
    },
}
# 103, enrolled 03-05 (D0 done that day) under 2.0 from the start.
ON_2_0 = {
    "D0": ("2011-03-05", "2011-03-05", "2011-03-05", "2.0"),
    "D7": ("2011-03-12", "2011-03-11", "2011-03-13", "2.0"),    # 03-05 + 7 ± 1
    "D14": ("2011-03-19", "2011-03-15", "2011-03-23", "2.0"),   # 03-05 + 14 ± 4
    "M2": ("2011-04-09", "2011-04-07", "2011-04-11", "2.0"),    # 03-05 + 35 (03-31 is + 26) ± 2
    "W6": ("2011-04-16", "2011-04-13", "2011-04-19", "2.0"),    # 03-05 + 42 ± 3
    "M3": ("2011-06-05", "2011-05-22", "2011-06-19", "2.0"),    # 06-05 ± 14 (05-31 is − 5)
    "M6": ("2011-09-05", "2011-08-22", "2011-09-19", "2.0"),    # 09-05 ± 14 (08-31 is − 5)
}


def make_study(folder: Path, roster: str = ROSTER, visits: str = VISITS, current: str = V2,
               earlier: dict[str, str] | None = None) -> Path:
    folder.mkdir()
    (folder / "participants.csv").write_text(roster, encoding="utf-8")
    (folder / "visits.csv").write_text(visits, encoding="utf-8")
    (folder / "protocol.toml").write_text(current, encoding="utf-8")
    for name, text in ({"1.0.toml": V1} if earlier is None else earlier).items():
        (folder / "protocols").mkdir(exist_ok=True)
        (folder / "protocols" / name).write_text(text, encoding="utf-8")
    return folder


def amend(folder: Path, *args: str):
    return run_cli("amend", "--study", str(folder), *args)


@pytest.fixture
def fresh(tmp_path):
    return make_study(tmp_path / "study")


@pytest.fixture
def moved(fresh):
    """The three moves: 102 and 104 on 2011-03-10, 101 on 2011-03-20."""
    for person, date in (("102", "2011-03-10"), ("104", "2011-03-10"), ("101", "2011-03-20")):
        result = amend(fresh, person, "--to", "2.0", "--date", date, "--reason", "re-consented")
        assert result.exit_code == 0, result.stderr
    return fresh


def table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def output(folder: Path, command: str, as_of: str, *more: str, code: int = 0) -> list[dict[str, str]]:
    out = folder.parent / f"{command}.csv"
    result = run_cli(command, "--study", str(folder), "--as-of", as_of, *more, "-o", str(out))
    assert result.exit_code == code, result.stderr
    return table(out)[1]


def plan(folder: Path, as_of: str, command: str = "schedule") -> dict[str, dict[str, tuple[str, ...]]]:
    """participant → code → (target, window_open, window_close, protocol_version)."""
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for r in output(folder, command, as_of):
        found.setdefault(r["participant_id"], {})[r["visit_code"]] = (
            r["target_date"], r["window_open"], r["window_close"], r["protocol_version"])
    return found


def judged(rows: list[dict[str, str]]) -> dict[tuple[str, str], tuple[str, str, str]]:
    return {(r["participant_id"], r["visit_code"]): (r["status"], r["days_outside"], r["protocol_version"])
            for r in rows}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != LOCK_FILE}


def audit_actions(folder: Path) -> set[tuple[str, str]]:
    return {(e["action"], e["participant_id"]) for e in table(folder / "audit.csv")[1] if e["participant_id"]}


def history(folder: Path) -> list[tuple[str, str, str]]:
    header, rows = table(folder / "versions.csv")
    assert header == ["participant_id", "protocol_version", "move_date"]
    return sorted((r["participant_id"], r["protocol_version"], r["move_date"]) for r in rows)


# ------------------------------------------------------------------ the windows after a move


def test_after_the_moves_every_window_follows_the_rules(moved):
    """The whole plan of the three moved participants (the table AFTER_MOVES, as of 04-01, after
    every move); the history file holds one row per move; the trail has them; verify passes."""
    found = plan(moved, "2011-04-01")
    assert {person: found[person] for person in AFTER_MOVES} == AFTER_MOVES
    assert history(moved) == [("101", "2.0", "2011-03-20"), ("102", "2.0", "2011-03-10"),
                              ("104", "2.0", "2011-03-10")]
    assert {("amend", "101"), ("amend", "102"), ("amend", "104")} <= audit_actions(moved)
    assert run_cli("verify", "--study", str(moved)).exit_code == 0


def test_a_window_opened_before_the_move_keeps_the_old_window(moved):
    """101's D14 opened 02-13 < M (03-20): ± 2, not 2.0's ± 4; not done, so as of 04-01 it is
    missed by 04-01 − 02-17 = 43 (11 to 02-28, 31 in March, 1), not 41 (from 02-19)."""
    found = judged(output(moved, "check", "2011-04-01"))
    assert found[("101", "D14")] == ("missed", "43", "1.0")
    assert found[("101", "M1")] == ("missed", "24", "1.0")     # kept; 04-01 − 03-08 = 23 + 1
    assert found[("101", "D7")] == ("in_window", "0", "1.0")


def test_a_visit_added_whose_new_window_closed_before_the_move_is_not_expected(moved):
    """101's W6 (2.0 only) closed 03-18 < M (03-20): no row in schedule nor check."""
    assert "W6" not in plan(moved, "2011-04-01")["101"]
    assert ("101", "W6") not in judged(output(moved, "check", "2011-04-01"))


def test_a_dropped_visit_whose_window_had_not_opened_disappears(moved):
    """104's M1 (1.0 only) would open 03-16 ≥ M (03-10) and was not done: no row."""
    assert "M1" not in plan(moved, "2011-04-01")["104"]
    assert ("104", "M1") not in judged(output(moved, "check", "2011-04-01"))


def test_a_dropped_visit_that_was_done_keeps_its_old_window(moved):
    """102's M1 (1.0 only) opens 03-14 ≥ M (03-10), but it was done 03-20: it stays, judged in
    the 1.0 window 03-14 … 03-28 (in window), and is not a data problem (exit 0)."""
    assert judged(output(moved, "check", "2011-04-01"))[("102", "M1")] == ("in_window", "0", "1.0")


def test_a_visit_done_before_the_move_is_judged_against_the_old_plan(moved):
    """104's M2 done 03-09 < M (03-10): 1.0's window 04-21 … 04-27 → early by 22 (to 03-31)
    + 21 = 43; not 2.0's 03-28 … 04-01 (that would be early by 19)."""
    assert judged(output(moved, "check", "2011-04-01"))[("104", "M2")] == ("early", "43", "1.0")


def test_a_visit_moved_earlier_whose_new_window_closed_before_the_move_keeps_the_old_one(moved):
    """101's M2: 2.0 moved it to day 35 (03-06 … 03-10, closed before M 03-20) while 1.0's
    window (03-30 … 04-05) opens after M: the old window, version 1.0; due on 04-01."""
    assert plan(moved, "2011-04-01")["101"]["M2"] == ("2011-04-02", "2011-03-30", "2011-04-05", "1.0")
    assert judged(output(moved, "check", "2011-04-01"))[("101", "M2")] == ("due", "", "1.0")


def test_the_new_versions_windows_hang_on_the_anchors_actual_date(moved):
    """102 and 104 were both enrolled 02-21 and moved 03-10; 104's D0 was done 02-23, so W6
    (2.0) is 02-23 + 42 = 04-06 ± 3, two days after 102's 02-21 + 42 = 04-04 ± 3."""
    found = plan(moved, "2011-04-01")
    assert found["102"]["W6"] == ("2011-04-04", "2011-04-01", "2011-04-07", "2.0")
    assert found["104"]["W6"] == ("2011-04-06", "2011-04-03", "2011-04-09", "2.0")


def test_a_participant_enrolled_after_the_amendment_starts_on_it(fresh):
    """103, enrolled 03-05 ≥ 2.0's effective 03-01, follows 2.0 with no amend: D14 ± 4, M2 at
    day 35, W6 and M6, no M1 — and no history file is written by reading."""
    assert plan(fresh, "2011-03-06")["103"] == ON_2_0
    assert not (fresh / "versions.csv").exists()


def test_a_look_back_before_the_move_ignores_it_and_on_the_move_counts_it(moved):
    """104, moved 03-10. As of 03-09: the 1.0 plan (M1 03-23 ± 7 upcoming, M2 day 60, M3 of 1.0,
    no W6 nor M6). As of 03-10 the move counts: no M1, W6 and M6 there, M3 of 2.0."""
    before = plan(moved, "2011-03-09", "check")["104"]
    assert before == {
        "D0": ("2011-02-21", "2011-02-21", "2011-02-21", "1.0"),
        "D7": ("2011-03-02", "2011-03-01", "2011-03-03", "1.0"),
        "D14": ("2011-03-09", "2011-03-07", "2011-03-11", "1.0"),
        "M1": ("2011-03-23", "2011-03-16", "2011-03-30", "1.0"),   # 02-23 + 1 month ± 7
        "M2": ("2011-04-24", "2011-04-21", "2011-04-27", "1.0"),
        "M3": ("2011-05-23", "2011-05-09", "2011-06-06", "1.0"),
    }
    statuses = judged(output(moved, "check", "2011-03-09"))
    assert statuses[("104", "M1")] == ("upcoming", "", "1.0")
    assert statuses[("104", "D7")] == ("missed", "6", "1.0")          # 03-09 − 03-03
    early = plan(moved, "2011-03-09")["101"]                           # 101 moves only on 03-20
    assert sorted(early) == ["D0", "D14", "D7", "M1", "M2", "M3"] and {v[3] for v in early.values()} == {"1.0"}
    assert early["M3"] == ("2011-05-01", "2011-04-17", "2011-05-15", "1.0")
    on_the_day = plan(moved, "2011-03-10", "check")["104"]
    assert sorted(on_the_day) == ["D0", "D14", "D7", "M2", "M3", "M6", "W6"]
    assert on_the_day["W6"] == ("2011-04-06", "2011-04-03", "2011-04-09", "2.0")
    assert on_the_day["M3"] == ("2011-05-23", "2011-05-09", "2011-06-06", "2.0")


# ------------------------------------------------------------------ amend: refusals, --all, --undo


@pytest.mark.parametrize("args", [
    ["101", "--to", "2.0", "--date", "2011-02-28", "--reason", "r"],   # before 2.0's effective 03-01
    ["101", "--to", "1.0", "--date", "2011-03-20", "--reason", "r"],   # 1.0 is what 101 follows
    ["103", "--to", "2.0", "--date", "2011-03-20", "--reason", "r"],   # 103 already follows 2.0
    ["101", "--to", "2.0", "--date", "2099-01-01", "--reason", "r"],   # after today
    ["103", "--to", "2.0", "--date", "2011-03-02", "--reason", "r"],   # before 103's enrollment (03-05)
    ["105", "--to", "2.0", "--date", "2011-03-15", "--reason", "r"],   # 105 withdrew on M
    ["105", "--to", "2.0", "--date", "2011-03-16", "--reason", "r"],   # 105 withdrew before M
    ["101", "--to", "9.9", "--date", "2011-03-20", "--reason", "r"],   # no such version
    ["101", "--to", "2.0", "--date", "2011-03-20"],                    # no --reason
    ["--all", "--to", "2.0", "--date", "2011-03-20"],                  # no --reason
    ["--all", "--to", "9.9", "--date", "2011-03-20", "--reason", "r"],  # no such version
    ["101", "--undo"],                                                 # no --reason
])
def test_a_refused_amend_exits_2_and_changes_nothing(fresh, args):
    before = snapshot(fresh)
    result = amend(fresh, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "No such command" not in result.stderr     # refused by amend, not by click
    assert snapshot(fresh) == before


def test_amend_all_moves_only_those_still_on_study_on_an_earlier_version(fresh):
    """102 and 104 moved on 03-10 one by one; `--all` on 03-20 moves 101 only: 102 and 104 are
    already on 2.0, 103 follows it since enrollment, 105 withdrew 03-15 ≤ 03-20, 106 enrolls
    03-25 > 03-20. Moving 102 again is refused (2.0 is not later than 2.0)."""
    for person in ("102", "104"):
        assert amend(fresh, person, "--to", "2.0", "--date", "2011-03-10", "--reason", "re-consented").exit_code == 0
    result = amend(fresh, "--all", "--to", "2.0", "--date", "2011-03-20", "--reason", "ethics approval")
    assert result.exit_code == 0, result.stderr
    assert history(fresh) == [("101", "2.0", "2011-03-20"), ("102", "2.0", "2011-03-10"),
                              ("104", "2.0", "2011-03-10")]
    actions = audit_actions(fresh)
    assert {person for action, person in actions if action == "amend"} == {"101", "102", "104"}
    assert {person: plan(fresh, "2011-04-01")[person] for person in AFTER_MOVES} == AFTER_MOVES
    before = snapshot(fresh)
    assert amend(fresh, "102", "--to", "2.0", "--date", "2011-03-25", "--reason", "again").exit_code == 2
    assert snapshot(fresh) == before
    assert run_cli("verify", "--study", str(fresh)).exit_code == 0


def test_undo_reverses_the_last_move_and_restores_the_old_plan(moved):
    """101 undone: back to 1.0 for every visit (M1 and M2 of 1.0, M3 of 1.0, no W6 nor M6);
    102's and 104's moves stay; the trail says "undo amend"; verify passes."""
    result = amend(moved, "101", "--undo", "--reason", "moved in error")
    assert result.exit_code == 0, result.stderr
    assert plan(moved, "2011-04-01")["101"] == {
        "D0": ("2011-02-01", "2011-02-01", "2011-02-01", "1.0"),
        "D7": ("2011-02-08", "2011-02-07", "2011-02-09", "1.0"),
        "D14": ("2011-02-15", "2011-02-13", "2011-02-17", "1.0"),
        "M1": ("2011-03-01", "2011-02-22", "2011-03-08", "1.0"),
        "M2": ("2011-04-02", "2011-03-30", "2011-04-05", "1.0"),
        "M3": ("2011-05-01", "2011-04-17", "2011-05-15", "1.0"),   # 02-01 + 3 months ± 14, of 1.0
    }
    assert history(moved) == [("102", "2.0", "2011-03-10"), ("104", "2.0", "2011-03-10")]
    assert ("undo amend", "101") in audit_actions(moved)
    assert run_cli("verify", "--study", str(moved)).exit_code == 0


# ------------------------------------------------------------------ data problems


def test_a_record_of_a_code_none_of_the_participants_versions_has_is_a_data_problem(tmp_path):
    """103 follows only 2.0, which has no M1: the record (visits.csv line 9) is listed naming
    the file and line, exit 1, and left out. 102's M1 is not a problem (102 followed 1.0)."""
    folder = make_study(tmp_path / "study", visits=VISITS + "103,M1,2011-04-05,\n")
    out = tmp_path / "check.csv"
    result = run_cli("check", "--study", str(folder), "--as-of", "2011-04-10", "-o", str(out))
    assert result.exit_code == 1, result.stderr
    rows = table(out)[1]
    problems = [line for line in result.stderr.splitlines() if "visits.csv:9" in line]
    assert len(problems) == 1 and "M1" in problems[0], result.stderr
    assert "visits.csv:5" not in result.stderr
    assert [r["visit_code"] for r in rows if r["participant_id"] == "103"].count("M1") == 0


def test_an_enrollment_before_every_effective_date_is_a_participants_file_problem(tmp_path):
    """107 enrolled 2010-07-15, before 1.0's effective 2010-08-01 (line 8): exit 2, nothing written."""
    folder = make_study(tmp_path / "study", roster=ROSTER + "107,2010-07-15,,,01\n")
    out = tmp_path / "check.csv"
    result = run_cli("check", "--study", str(folder), "--as-of", "2011-04-01", "-o", str(out))
    assert result.exit_code == 2
    assert "participants.csv:8" in result.stderr
    assert not out.exists()


# ------------------------------------------------------------------ outputs, protocol, status


def test_check_schedule_and_due_carry_protocol_version_after_the_contract(moved):
    """due as of 04-01, --days 5 (horizon 04-06): 101 M2 (1.0, closes 04-05: 4 days left), 102
    W6 (2.0, 04-07: 6), 104 W6 (2.0, 04-09: 8), 106 D7 (2.0, 03-25 + 7 ± 1 → 04-02: 1) and 106
    D14 (2.0, 04-08 ± 4 opens 04-04: 11). 103's M2 opens 04-07 and 105's (withdrew) 04-08: out."""
    for command, columns in (("check", CHECK_COLUMNS), ("schedule", SCHEDULE_COLUMNS), ("due", DUE_COLUMNS)):
        out = moved.parent / f"{command}.csv"
        result = run_cli(command, "--study", str(moved), "--as-of", "2011-04-01", "-o", str(out))
        assert result.exit_code == 0, result.stderr
        header = table(out)[0]
        assert header[:len(columns)] == columns and "protocol_version" in header[len(columns):], command
    due = output(moved, "due", "2011-04-01", "--days", "5")
    assert {(r["participant_id"], r["visit_code"]): (r["protocol_version"], r["days_left"]) for r in due} == {
        ("101", "M2"): ("1.0", "4"), ("102", "W6"): ("2.0", "6"), ("104", "W6"): ("2.0", "8"),
        ("106", "D7"): ("2.0", "1"), ("106", "D14"): ("2.0", "11")}


def test_without_any_version_the_protocol_version_column_is_empty(tmp_path):
    plain = V1.replace('version = "1.0"\neffective = 2010-08-01\n', "")
    folder = make_study(tmp_path / "study", roster=ROSTER.splitlines()[0] + "\n101,2011-02-01,,,01\n",
                        visits=VISITS.splitlines()[0] + "\n", current=plain, earlier={})
    out = tmp_path / "schedule.csv"
    assert run_cli("schedule", "--study", str(folder), "--as-of", "2011-02-02", "-o", str(out)).exit_code == 0
    header, rows = table(out)
    assert "protocol_version" in header[len(SCHEDULE_COLUMNS):]
    assert len(rows) == 6 and {r["protocol_version"] for r in rows} == {""}   # D0 D7 D14 M1 M2 M3


def test_protocol_diff_names_what_was_added_dropped_and_changed(fresh):
    """1.0 → 2.0: W6 and M6 added, M1 dropped, D14 widened, M2 moved; D7 and M3 unchanged."""
    result = run_cli("protocol", "--study", str(fresh), "--diff", "1.0", "2.0")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()

    def about(code: str) -> list[str]:
        return [line for line in lines if re.search(rf"\b{code}\b", line)]

    assert any("dropped" in line for line in about("M1")), result.stdout
    assert any("added" in line for line in about("W6")) and any("added" in line for line in about("M6"))
    assert about("D14") and about("M2")
    assert not about("D7") and not about("M3")
    assert run_cli("protocol", "--study", str(fresh), "--diff", "1.0", "9.9").exit_code == 2


def test_status_mentions_the_version_move(moved):
    result = run_cli("status", "101", "--study", str(moved), "--as-of", "2011-04-01")
    assert result.exit_code == 0, result.stderr
    assert "2.0" in result.stdout and "2011-03-20" in result.stdout
