"""The audit trail that proves itself: corrections through the tool with their lines and
what they move, changes killed at every step and settled by the next one, tampering found
by verify with its place and accepted into the trail.

Dates are hand-computed from the built-in plan: D0 on enrollment ± 0, D7 = D0 + 7 ± 1,
D14 = D0 + 14 ± 2, M1 = D0 + 30 ± 3.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import run_cli, run_process

ROSTER = ("participant_id,name,phone,enrollment_date,withdrawal_date,withdrawal_reason,site\n"
          "007,赵敏,138-0000-0107,2010-09-01,,,01\n"
          "008,王芳,139-0000-0108,2010-09-02,,,01\n")
VISITS = ("participant_id,visit_code,actual_date,reason\n"
          "007,D0,2010-09-03,catheter lab busy\n"
          "007,D7,2010-09-10,\n")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def values(folder: Path) -> list[tuple[str, ...]]:
    """The trail's value lines: action, participant, visit, field, old, new, reason."""
    return [(e["action"], e["participant_id"], e["visit_code"], e["field"], e["old_value"], e["new_value"],
             e["reason"]) for e in rows(folder / "audit.csv") if e["step"] == "value"]


def verified(folder: Path) -> tuple[int, str]:
    result = run_cli("verify", cwd=folder)
    return result.exit_code, result.stdout


@pytest.fixture
def folder(study):
    return study(ROSTER, VISITS)


# --------------------------------------------------------------------------- corrections


def test_a_corrected_enrollment_date_moves_the_windows_anchored_on_it(folder):
    """007 enrolled 09-01 → corrected to 09-02: D0's window (enrollment ± 0) moves from
    09-01 … 09-01 to 09-02 … 09-02; D0 done 09-03 stays late (by 2 days, then by 1). D7 hangs
    on D0's actual date (09-03), so it does not move. The trail keeps the old value."""
    result = run_cli("correct", "007", "--enrollment", "2010-09-02", "--reason", "typed the wrong day",
                     "--by", "Dr Shi", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Corrected 007 enrollment_date: 2010-09-01 → 2010-09-02",
        "  what this moves:",
        "    D0 window 2010-09-01 to 2010-09-01 → 2010-09-02 to 2010-09-02",
    ]
    assert values(folder) == [("correct", "007", "", "enrollment_date", "2010-09-01", "2010-09-02",
                               "typed the wrong day")]
    line = next(e for e in rows(folder / "audit.csv") if e["step"] == "value")
    assert line["on_behalf_of"] == "Dr Shi" and line["who"] not in ("", "Dr Shi")   # the login, always
    run_cli("check", "--as-of", "2010-09-20", "-o", str(folder.parent / "check.json"), cwd=folder)
    d0 = next(r for r in json.loads((folder.parent / "check.json").read_text("utf-8"))
              if (r["participant_id"], r["visit_code"]) == ("007", "D0"))
    assert (d0["window_open"], d0["window_close"], d0["status"], d0["days_outside"]) == (
        "2010-09-02", "2010-09-02", "late", 1)                                     # 09-03 − 09-02
    assert verified(folder)[0] == 0


def test_correcting_to_the_value_already_there_is_refused(folder):
    """Nothing to change: exit 2, not a line in the trail."""
    result = run_cli("correct", "007", "--enrollment", "2010-09-01", "--reason", "x", cwd=folder)
    assert result.exit_code == 2 and "nothing to change: 007 already has enrollment_date 2010-09-01" in result.stderr
    result = run_cli("correct", "007", "D7", "2010-09-10", "--reason", "x", cwd=folder)
    assert result.exit_code == 2 and "nothing to change: 007 D7 is already 2010-09-10" in result.stderr
    assert values(folder) == [] if (folder / "audit.csv").exists() else True


def test_one_of_two_records_is_removed_with_its_line(study):
    """Two D7 records (lines 3 and 4): a correction without --line names them; --remove
    --line 4 takes that one out, the trail keeps what it was."""
    folder = study(ROSTER, VISITS + "007,D7,2010-09-11,\n")
    result = run_cli("correct", "007", "D7", "2010-09-11", "--reason", "x", cwd=folder)
    assert result.exit_code == 2
    assert "007 D7 has 2 records (lines 3, 4 of visits.csv) — name the one to correct with --line N" in result.stderr
    result = run_cli("correct", "007", "D7", "--remove", "--line", "4", "--reason", "entered twice", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "Removed 007 D7 (2010-09-11, visits.csv:4); the audit trail keeps it" in result.stdout
    assert [r["actual_date"] for r in rows(folder / "visits.csv")] == ["2010-09-03", "2010-09-10"]
    assert values(folder) == [("remove", "007", "D7", "actual_date", "2010-09-11", "", "entered twice")]
    assert verified(folder)[0] == 0


def test_a_participant_enrolled_in_error_leaves_every_output(folder):
    """correct 007 --remove: the roster line and both visit records go; no output names 007;
    the trail keeps every value — but never the name or the phone."""
    result = run_cli("correct", "007", "--remove", "--reason", "enrolled in error", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "Removed participant 007 and 2 visit records; the audit trail keeps every value" in result.stdout
    assert [r["participant_id"] for r in rows(folder / "participants.csv")] == ["008"]
    assert rows(folder / "visits.csv") == []
    check = run_cli("check", "--as-of", "2010-09-20", cwd=folder)
    assert "007" not in check.stdout and check.exit_code == 0
    assert values(folder) == [
        ("remove", "007", "", "enrollment_date", "2010-09-01", "", "enrolled in error"),
        ("remove", "007", "", "site", "01", "", "enrolled in error"),
        ("remove", "007", "D0", "actual_date", "2010-09-03", "", "enrolled in error"),
        ("remove", "007", "D0", "reason", "catheter lab busy", "", "enrolled in error"),
        ("remove", "007", "D7", "actual_date", "2010-09-10", "", "enrolled in error"),
    ]
    trail = (folder / "audit.csv").read_text("utf-8-sig")
    assert "赵敏" not in trail and "138-0000-0107" not in trail
    assert verified(folder)[0] == 0


def test_a_withdrawal_corrected_and_undone(folder):
    """008 withdrew 09-20 (category coded), the date corrected to 09-18, then undone: each
    step in the trail; undoing says which visits are expected again."""
    assert run_cli("withdraw", "008", "--date", "2010-09-20", "--reason", "moved away",
                   "--category", "withdrawal by subject", cwd=folder).exit_code == 0
    assert rows(folder / "participants.csv")[1]["withdrawal_category"] == "WITHDRAWAL BY SUBJECT"
    result = run_cli("correct", "008", "--withdrawal", "2010-09-18", "--reason", "wrong day", cwd=folder)
    assert result.exit_code == 0, result.stderr
    # 008 enrolled 09-02: D14's window is 09-14 … 09-18 (target 09-16): it had not closed by
    # either date, so it stays withdrawn; no status changes.
    assert "Corrected 008 withdrawal_date: 2010-09-20 → 2010-09-18" in result.stdout
    result = run_cli("withdraw", "008", "--undo", "--reason", "recorded for the wrong participant", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "Undid the withdrawal of 008: on study again" in result.stdout
    assert "D0 withdrawn → missed" not in result.stdout     # D0's window closed 09-02, before the withdrawal
    assert rows(folder / "participants.csv")[1]["withdrawal_date"] == ""
    assert [v[3] for v in values(folder)] == ["withdrawal_date", "withdrawal_reason", "withdrawal_category",
                                              "withdrawal_date",
                                              "withdrawal_date", "withdrawal_reason", "withdrawal_category"]
    bad = run_cli("correct", "008", "--withdrawal-reason", "x", "--reason", "y", cwd=folder)
    assert bad.exit_code == 2 and "008 has not withdrawn" in bad.stderr
    assert verified(folder)[0] == 0


def test_a_site_correction_says_the_usubjid_changes(folder):
    """Site 01 → 02: the SDTM USUBJID changes from NCT01143168-01-007 to NCT01143168-02-007."""
    result = run_cli("correct", "007", "--site", "02", "--reason", "site typed wrong", cwd=folder)
    assert result.exit_code == 0
    assert ("Warning: the SDTM USUBJID of 007 changes from NCT01143168-01-007 to NCT01143168-02-007 — "
            "tell the data manager before the next transfer") in result.stderr


def test_free_text_that_excel_would_run_is_refused_where_it_is_entered(folder):
    """A reason beginning with = is refused, with the hint; nothing written."""
    before = (folder / "visits.csv").read_bytes()
    result = run_cli("record", "007", "D14", "2010-09-20", "--reason", "=HYPERLINK(\"x\")", cwd=folder)
    assert result.exit_code == 2 and "which Excel reads as the start of a formula" in result.stderr
    assert (folder / "visits.csv").read_bytes() == before


# --------------------------------------------------------------------------- never half-applied

KILL = """
import os, signal, sys
import scheduler.storage.change as change
point = sys.argv[1]
real_replace, real_append = os.replace, change.Appender.append
renames = []
def replace(source, target):
    if str(target).endswith(("participants.csv", "visits.csv")):   # a record file, not a copy
        renames.append(target)
        if point == "before-rename" or (point == "between-renames" and len(renames) == 2):
            os.kill(os.getpid(), signal.SIGKILL)
        if point == "sigterm-while-writing":
            os.kill(os.getpid(), signal.SIGTERM)
        if point == "second-rename-refused" and len(renames) == 2:
            raise PermissionError(13, "Permission denied")   # Excel holds the file open
    return real_replace(source, target)
def append(self, rows, now=None):
    if point == "before-done" and rows[0]["step"] == "done" and rows[0]["action"] != "baseline":
        os.kill(os.getpid(), signal.SIGKILL)
    return real_append(self, rows, now)
change.os.replace = replace
change.Appender.append = append
from scheduler.cli import main
sys.argv = ["visit-scheduler", *sys.argv[2:]]
main()
"""


def killed(folder: Path, point: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", KILL, point, *args], cwd=folder, capture_output=True,
                          text=True, timeout=120)


def test_killed_after_its_intent_the_change_is_rolled_back(folder):
    """SIGKILL after the intent line, before any file is replaced: the files are as they
    were; the next change rolls it back, says so, and verify passes."""
    before = (folder / "visits.csv").read_bytes()
    assert run_cli("record", "007", "D14", "2010-09-17", cwd=folder).exit_code == 0   # the trail begins
    before = (folder / "visits.csv").read_bytes()
    assert killed(folder, "before-rename", "record", "007", "M1", "2010-10-03").returncode == -9
    assert (folder / "visits.csv").read_bytes() == before
    warned = run_cli("check", "--as-of", "2010-10-05", cwd=folder)
    assert "a change was interrupted and is not settled yet" in warned.stderr
    result = run_cli("record", "008", "D0", "2010-09-02", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "An interrupted change was rolled back: change 3, record by" in result.stderr
    assert "007 M1 actual_date (empty) → 2010-10-03 — none of it had reached the files" in result.stderr
    assert [(r["participant_id"], r["visit_code"]) for r in rows(folder / "visits.csv")][-2:] == [
        ("007", "D14"), ("008", "D0")]
    assert not list((folder / "audit").glob("pending-*"))
    assert verified(folder)[0] == 0


def test_killed_before_its_done_line_the_change_is_completed(folder):
    """SIGKILL after the file is replaced, before the done line: the file holds the change;
    the next command that takes the lock completes it (a line says so); verify passes."""
    assert killed(folder, "before-done", "record", "007", "D14", "2010-09-17").returncode == -9
    assert rows(folder / "visits.csv")[-1]["visit_code"] == "D14"
    result = run_cli("correct", "007", "D14", "2010-09-16", "--reason", "typo", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "An interrupted change was completed" in result.stderr and "its files had been written" in result.stderr
    steps = [e["step"] for e in rows(folder / "audit.csv")]
    assert steps.count("completed") == 1
    assert verified(folder)[0] == 0


def test_a_two_file_change_killed_between_its_files_is_completed(folder):
    """correct 007 --remove changes the roster and the visits file; killed after the first
    rename, the next change renames the second from its staged copy."""
    assert killed(folder, "between-renames", "correct", "007", "--remove", "--reason", "error").returncode == -9
    result = run_cli("enroll", "009", "--date", "2010-09-05", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "part of it had reached the files; the rest was written now" in result.stderr
    assert [r["participant_id"] for r in rows(folder / "participants.csv")] == ["008", "009"]
    assert rows(folder / "visits.csv") == []
    assert verified(folder)[0] == 0


def test_sigterm_while_a_change_is_written_waits_and_tells_the_truth(folder):
    """SIGTERM arrives mid-change: the change is finished first, then the command stops with
    130 and says the change is complete (not "nothing was written")."""
    done = killed(folder, "sigterm-while-writing", "record", "007", "D14", "2010-09-17")
    assert done.returncode == 130, done.stderr
    assert "interrupted — the change had been written and is complete (change 2 in audit.csv)" in done.stderr
    assert rows(folder / "visits.csv")[-1]["visit_code"] == "D14"
    assert verified(folder)[0] == 0


def test_changes_killed_at_random_instants_leave_a_trail_that_explains_the_folder(tmp_path: Path):
    """Many record/correct runs of the real command, each SIGKILLed at a random instant (or
    not at all): after the next change settles what was interrupted, verify exits 0. Set
    VISIT_SCHEDULER_KILL_RUNS for a longer campaign (make test runs a short one)."""
    runs = int(os.environ.get("VISIT_SCHEDULER_KILL_RUNS", "8"))
    folder = tmp_path
    (folder / "participants.csv").write_text(
        "participant_id,enrollment_date\n" + "".join(f"P{n},2010-01-04\n" for n in range(6)), "utf-8")
    (folder / "visits.csv").write_text("participant_id,visit_code,actual_date,reason\n", "utf-8")
    rng = random.Random(1143168)
    offsets = {"D0": 0, "D7": 7, "D14": 14, "M1": 30}
    recorded: set[tuple[str, str]] = set()
    for number in range(runs):
        participant, code = f"P{rng.randrange(6)}", rng.choice(list(offsets))
        day = f"2010-01-{4 + offsets[code]:02d}" if offsets[code] < 28 else "2010-02-03"
        if (participant, code) in recorded:
            args = ["correct", participant, code, day, "--reason", f"run {number}"]
        else:
            args = ["record", participant, code, day]
        process = subprocess.Popen([sys.executable, "-m", "scheduler", *args], cwd=folder,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.2, 1.2))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=120)
        visits = {(r["participant_id"], r["visit_code"]) for r in rows(folder / "visits.csv")}
        recorded = visits
    settle = run_process("enroll", "LAST", "--date", "2010-01-04", cwd=folder)
    assert settle.exit_code == 0, settle.stderr
    result = run_process("verify", cwd=folder)
    assert result.exit_code == 0, result.stdout + result.stderr
    trail = rows(folder / "audit.csv")
    changes = {e["change_id"] for e in trail}
    ends = {e["change_id"] for e in trail if e["step"] in ("done", "completed", "rolled back")}
    assert changes == ends          # every change in the trail is whole


# --------------------------------------------------------------------------- tampering


@pytest.fixture
def proven(folder):
    """A folder with a trail of three changes."""
    assert run_cli("record", "007", "D14", "2010-09-17", cwd=folder).exit_code == 0
    assert run_cli("record", "008", "D0", "2010-09-02", cwd=folder).exit_code == 0
    assert run_cli("correct", "007", "D14", "2010-09-18", "--reason", "typo", cwd=folder).exit_code == 0
    assert verified(folder)[0] == 0
    return folder


def accepted(folder: Path) -> None:
    result = run_cli("verify", "--accept", "--reason", "checked with the site: typed in Excel", cwd=folder)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "as made outside the tool" in result.stdout
    assert verified(folder)[0] == 0


def test_a_date_changed_by_hand_is_found_with_its_place(proven):
    """visits.csv line 4 (007 D14) edited in a text editor: verify names file, line,
    participant, visit, column and both values; every reading command warns in one line."""
    path = proven / "visits.csv"
    path.write_bytes(path.read_bytes().replace(b"007,D14,2010-09-18", b"007,D14,2010-09-15"))
    code, out = verified(proven)
    assert code == 1
    assert "visits.csv:4: 007 D14: column actual_date: the trail says '2010-09-18', the file has '2010-09-15'" in out
    check = run_cli("check", "--as-of", "2010-09-20", cwd=proven)
    assert ("Warning: the study files do not match the audit trail's last change (audit.csv): they were "
            "changed outside the tool — run visit-scheduler verify") in check.stderr
    accepted(proven)
    line = next(e for e in rows(proven / "audit.csv") if e["who"] == "outside the tool")
    assert (line["field"], line["old_value"], line["new_value"]) == ("actual_date", "2010-09-18", "2010-09-15")
    assert line["accepted_by"] and line["file_modified"].endswith("Z")
    assert "do not match" not in run_cli("check", "--as-of", "2010-09-20", cwd=proven).stderr


def test_a_line_added_and_a_line_deleted_by_hand_are_found(proven):
    """A record typed into the file, another deleted: both named."""
    path = proven / "visits.csv"
    text = path.read_text("utf-8").replace("008,D0,2010-09-02,\n", "") + "008,D7,2010-09-09,\n"
    path.write_text(text, "utf-8")
    code, out = verified(proven)
    assert code == 1
    assert "visits.csv:5: 008 D7: a row the trail does not have (actual_date 2010-09-09) — added outside the tool" in out
    assert "visits.csv: 008 D0: the trail has this row (actual_date 2010-09-02), the file does not — removed outside the tool" in out
    accepted(proven)


def test_a_file_saved_again_in_another_form_is_one_note(proven):
    """The same values saved with Windows line ends and as UTF-16 (Excel's "Unicode text"):
    one note about the form, no value differences."""
    path = proven / "visits.csv"
    path.write_bytes(path.read_text("utf-8").replace("\n", "\r\n").encode("utf-16"))
    code, out = verified(proven)
    assert code == 1
    assert "visits.csv: the values are what the trail says, but the file differs in form" in out
    assert out.count("visits.csv") == 1 + out.count("Head:") * 0
    accepted(proven)


def test_a_line_removed_from_the_trail_breaks_the_chain_there(proven):
    """The done line of change 2 deleted from audit.csv: the chain breaks at the next line,
    which verify names; --accept records the break and verify passes again."""
    path = proven / "audit.csv"
    lines = path.read_text("utf-8-sig").splitlines(keepends=True)
    number = next(i for i, text in enumerate(lines) if text.startswith("3,done,"))
    del lines[number]
    path.write_text("".join(lines), "utf-8-sig")
    code, out = verified(proven)
    assert code == 1
    assert f"audit.csv:{number + 1}: the chain breaks here" in out
    accepted(proven)
    assert any(e["field"] == "chain" for e in rows(path))


def test_a_changed_protocol_is_named_as_an_amendment(proven):
    """protocol.toml edited after the last change: verify names it."""
    from scheduler.protocol import built_in_text

    (proven / "protocol.toml").write_text(built_in_text().replace("plus = 1", "plus = 2", 1), "utf-8")
    code, out = verified(proven)
    assert code == 1
    assert "protocol.toml: changed since the last change recorded in the trail — a change to a protocol " \
           "in use is an amendment: add a version" in out


def test_a_folder_without_a_trail_is_noted_by_verify_only(study):
    """No audit.csv: verify exits 1 and says so; check says nothing about it."""
    folder = study(ROSTER, VISITS)
    code, out = verified(folder)
    assert code == 1 and "no audit trail yet" in out
    assert "audit" not in run_cli("check", "--as-of", "2010-09-20", cwd=folder).stderr


def test_an_older_trail_stays_and_a_provable_one_begins_below_it(study):
    """An audit.csv written by 0.1.0: its lines stay as they were (not provable); the first
    change writes a new header, a baseline and itself; verify passes and notes the old lines."""
    folder = study(ROSTER, VISITS)
    old = ("when_utc,when_local,who,action,participant_id,visit_code,field,old_value,new_value,reason\n"
           "2010-09-10T02:00:00Z,2010-09-10T10:00:00+0800,li,record,007,D7,actual_date,,2010-09-10,\n")
    (folder / "audit.csv").write_text(old, "utf-8")
    assert run_cli("record", "007", "D14", "2010-09-17", cwd=folder).exit_code == 0
    text = (folder / "audit.csv").read_text("utf-8")
    assert text.startswith(old)
    result = run_cli("verify", cwd=folder)
    assert result.exit_code == 0, result.stdout
    assert "the first 1 lines were written before the trail could prove itself" in result.stderr
    shown = run_cli("audit", "007", cwd=folder).stdout
    assert "Audit trail of 007: 2 changes" in shown


def test_the_weekly_report_prints_the_trails_head(proven):
    """The monitor keeps the head from each report: line count and last hash."""
    from scheduler.storage.audit import read_trail

    head = read_trail(proven).head()
    report = run_cli("report", "--as-of", "2010-09-20", cwd=proven).stdout
    assert f"Audit trail: audit.csv {head}" in report


def test_recording_day_0_late_says_which_windows_move(folder):
    """008 enrolled 09-02, D0 done 09-03 (late by 1): every window hanging on D0 moves a day —
    D7 09-08 … 09-10 → 09-09 … 09-11 (D0 + 7 ± 1), D14 09-14 … 09-18 → 09-15 … 09-19."""
    result = run_cli("record", "008", "D0", "2010-09-03", "--reason", "lab busy", cwd=folder)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2] == "  windows that move with it (export the calendar again):"
    assert lines[3] == "    D7 window 2010-09-08 to 2010-09-10 → 2010-09-09 to 2010-09-11"
    assert lines[4] == "    D14 window 2010-09-14 to 2010-09-18 → 2010-09-15 to 2010-09-19"
    assert len(lines) == 3 + 7          # D7, D14, M1, M3, M6, M9, M12 all hang on D0


# --------------------------------------------------------------------------- holes a hostile tester found


def test_lines_forged_between_two_headers_break_the_chain(proven):
    """An older header, a forged line and the trail's own header typed into the middle of
    audit.csv: every one of them is a line of the chain, so verify finds them."""
    path = proven / "audit.csv"
    lines = path.read_text("utf-8-sig").splitlines(keepends=True)
    forged = ["when_utc,when_local,who,action,participant_id,visit_code,field,old_value,new_value,reason\n",
              "2010-09-10T02:00:00Z,2010-09-10T10:00:00+0800,drshi,correct,007,D7,actual_date,,2010-09-09,\n",
              lines[0].lstrip("\ufeff")]
    path.write_text("".join(lines[:8] + forged + lines[8:]), "utf-8-sig")
    code, out = verified(proven)
    assert code == 1
    assert "audit.csv:9: a header line inside the trail" in out
    assert "the chain breaks here" in out


def test_an_accepted_break_does_not_cover_a_later_edit_of_the_same_line(proven):
    """Line 6 edited, the break accepted; line 6 edited again: found again."""
    path = proven / "audit.csv"

    def edit(old: str, new: str) -> None:
        lines = path.read_text("utf-8-sig").splitlines(keepends=True)
        lines[5] = lines[5].replace(old, new)
        path.write_text("".join(lines), "utf-8-sig")

    login = rows(path)[4]["who"]
    edit(f",{login},", ",r00t,")
    assert verified(proven)[0] == 1
    accepted(proven)
    edit(",r00t,", ",drshi,")
    code, out = verified(proven)
    assert code == 1 and "audit.csv:7: the chain breaks here" in out


def test_no_change_is_made_on_top_of_an_outside_edit_or_a_changed_protocol(proven):
    """A date edited by hand, then a correction: refused (the trail would blame the nurse's
    change); the protocol edited, then a record: refused, and the check warns."""
    from scheduler.protocol import built_in_text

    path = proven / "visits.csv"
    before = path.read_bytes()
    path.write_bytes(before.replace(b"007,D7,2010-09-10", b"007,D7,2010-09-09"))
    result = run_cli("correct", "007", "D7", "2010-09-08", "--reason", "x", cwd=proven)
    assert result.exit_code == 2 and "the study files were changed outside the tool" in result.stderr
    path.write_bytes(before)
    (proven / "protocol.toml").write_text(built_in_text().replace("plus = 1", "plus = 5", 1), "utf-8")
    result = run_cli("record", "008", "D7", "2010-09-09", cwd=proven)
    assert result.exit_code == 2 and "a change to a protocol in use is an amendment" in result.stderr
    check = run_cli("check", "--as-of", "2010-09-20", cwd=proven)
    assert "the protocol (or the closures file) has changed since the last change" in check.stderr
    assert verified(proven)[0] == 1


def test_verify_reads_of_the_protocol_only_the_closures_file_it_names(folder):
    """verify needs of the protocol the closures file it names (the trail covers it) and no
    more: a closures file edited is found; a protocol key misspelt does not stop the record
    from being proved (its digest is compared: found too); a protocol that is not TOML is
    still explained, as by every command."""
    from scheduler.protocol import built_in_text

    text = built_in_text().replace("[clinic]\n", '[clinic]\nclosures = " closures.csv "\n', 1)
    (folder / "protocol.toml").write_text(text, "utf-8")
    (folder / "closures.csv").write_text("date,open,note\n2010-09-08,no,moving the clinic\n", "utf-8")
    assert run_cli("record", "007", "D14", "2010-09-17", cwd=folder).exit_code == 0
    assert verified(folder)[0] == 0
    (folder / "closures.csv").write_text("date,open,note\n2010-09-09,no,moving the clinic\n", "utf-8")
    code, out = verified(folder)
    assert code == 1 and "closures.csv" in out
    (folder / "closures.csv").write_text("date,open,note\n2010-09-08,no,moving the clinic\n", "utf-8")
    assert verified(folder)[0] == 0
    (folder / "protocol.toml").write_text(text.replace("timezone", "time_zone", 1), "utf-8")
    assert run_cli("check", "--as-of", "2010-09-20", cwd=folder).exit_code == 2  # the protocol's own problem
    code, out = verified(folder)
    assert code == 1 and "protocol.toml" in out
    (folder / "protocol.toml").write_text(text.replace("[clinic]", "[clinic", 1), "utf-8")
    result = run_cli("verify", cwd=folder)
    assert result.exit_code == 2 and "not valid TOML" in result.stderr


def test_a_line_break_in_free_text_is_refused_and_an_old_one_is_read(proven):
    """A reason with a carriage return is refused where it is typed; a trail that holds a
    quoted line break (written by hand) is still read by every command, never a crash."""
    result = run_cli("correct", "007", "D7", "2010-09-09", "--reason", "a\rb", cwd=proven)
    assert result.exit_code == 2 and "holds a line break or another control character" in result.stderr
    assert run_cli("enroll", "009\nx", "--date", "2010-09-05", cwd=proven).exit_code == 2
    path = proven / "audit.csv"
    path.write_text(path.read_text("utf-8-sig").replace("typo", '"two\nlines"'.strip('"')), "utf-8-sig")
    for command in (["check", "--as-of", "2010-09-20"], ["audit"], ["verify"]):
        result = run_cli(*command, cwd=proven)
        assert result.exit_code in (0, 1), (command, result.stderr)


def test_a_two_file_change_killed_then_a_visit_recorded_brings_nothing_back(folder):
    """Killed between the roster and the visits file of correct 008 --remove (after a first
    change so that the trail exists); the next record settles it *before* reading the files:
    008's rows stay gone and verify passes."""
    assert run_cli("record", "008", "D0", "2010-09-02", cwd=folder).exit_code == 0
    assert killed(folder, "between-renames", "correct", "008", "--remove", "--reason", "error").returncode == -9
    result = run_cli("record", "007", "D14", "2010-09-16", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "008" not in {r["participant_id"] for r in rows(folder / "visits.csv")}
    assert verified(folder)[0] == 0


def test_the_first_enroll_in_an_empty_folder_is_proven(tmp_path: Path):
    """No participants.csv nor visits.csv: enroll creates the roster; verify exits 0."""
    assert run_cli("enroll", "001", "--date", "2010-09-01", cwd=tmp_path).exit_code == 0
    assert verified(tmp_path)[0] == 0


def test_a_deleted_trail_is_not_quietly_begun_again(proven):
    """audit.csv deleted while audit/ holds its copies: the next change is refused."""
    (proven / "audit.csv").unlink()
    result = run_cli("record", "008", "D7", "2010-09-09", cwd=proven)
    assert result.exit_code == 2 and "audit.csv is missing, but audit holds the copies" in result.stderr


def test_a_line_dated_before_the_one_above_it_is_found(proven):
    """Lines are only ever appended: a line whose time goes backwards is named."""
    path = proven / "audit.csv"
    lines = path.read_text("utf-8-sig").splitlines(keepends=True)
    stamp = rows(path)[-1]["when_utc"]
    lines[-1] = lines[-1].replace(stamp, "2010-01-01T00:00:00Z")
    path.write_text("".join(lines), "utf-8-sig")
    code, out = verified(proven)
    assert code == 1 and "is dated 2010-01-01T00:00:00Z, before the line above it" in out


def test_a_file_that_cannot_be_replaced_midway_is_completed_by_the_next_change(folder):
    """The visits file held open (Windows: Excel) when correct 007 --remove replaces it,
    after the roster: exit 2 saying so; the staged copy stays, and the next change
    completes the removal; verify passes."""
    done = killed(folder, "second-rename-refused", "correct", "007", "--remove", "--reason", "error")
    assert done.returncode == 2 and "cannot replace the file — close it if it is open in Excel" in done.stderr
    result = run_cli("enroll", "010", "--date", "2010-09-05", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "An interrupted change was completed" in result.stderr
    assert "007" not in {r["participant_id"] for r in rows(folder / "visits.csv")}
    assert verified(folder)[0] == 0
