"""Recording at the point of care: enroll, record, withdraw, correct, the audit trail,
refusals that change nothing, two nurses at once, and a crash mid-write."""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.app import recording
from scheduler.storage.lock import LOCK_FILE

from .conftest import run_cli, write

ROSTER = "participant_id,name,phone,enrollment_date,withdrawal_date,withdrawal_reason,site\n" \
         "007,赵敏,138-0000-0107,2010-09-01,,,01\n"
VISITS = "participant_id,visit_code,actual_date,reason\n007,D0,2010-09-03,catheter lab busy\n"


def rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, newline="", encoding=encoding) as stream:
        return list(csv.DictReader(stream))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != LOCK_FILE}


def test_a_day_at_the_clinic(study):
    """Enroll, record in and out of window, not done, withdraw, correct: the files change as
    said, other columns and rows stay, and every change is in the audit trail."""
    folder = study(ROSTER, VISITS)
    assert run_cli("enroll", "008", "--date", "2010-09-02", "--site", "01", "--by", "nurse Li", cwd=folder).exit_code == 0
    # 007's D0 was done 09-03, so D7's window is 09-09 … 09-11.
    result = run_cli("record", "007", "D7", "2010-09-10", "--by", "nurse Li", cwd=folder)
    assert result.exit_code == 0
    assert result.stdout.strip() == ("Recorded 007 D7 2010-09-10: in window (window 2010-09-09 to "
                                     "2010-09-11, target 2010-09-10)")
    result = run_cli("record", "007", "D14", "2010-09-20", "--reason", "fever", "--by", "nurse Li", cwd=folder)
    assert "Recorded 007 D14 2010-09-20: LATE by 1 day (window 2010-09-15 to 2010-09-19" in result.stdout
    assert run_cli("record", "008", "D0", "--not-done", "--reason", "consent withdrawn", cwd=folder).exit_code == 0
    assert run_cli("withdraw", "008", "--date", "2010-09-03", "--reason", "consent withdrawn", cwd=folder).exit_code == 0
    result = run_cli("correct", "007", "D7", "2010-09-11", "--reason", "typed the wrong day", "--by", "Dr Shi", cwd=folder)
    assert result.exit_code == 0 and "in window" in result.stdout

    assert (folder / "participants.csv").read_text("utf-8") == (
        "participant_id,name,phone,enrollment_date,withdrawal_date,withdrawal_reason,site\n"
        "007,赵敏,138-0000-0107,2010-09-01,,,01\n"
        "008,,,2010-09-02,2010-09-03,consent withdrawn,01\n")
    assert (folder / "visits.csv").read_text("utf-8") == (
        "participant_id,visit_code,actual_date,reason\n"
        "007,D0,2010-09-03,catheter lab busy\n"
        "007,D7,2010-09-11,\n"
        "007,D14,2010-09-20,fever\n"
        "008,D0,,consent withdrawn\n")
    trail = [e for e in rows(folder / "audit.csv") if e["step"] == "value"]   # one line per value
    login = trail[0]["who"]
    assert login and all(e["who"] == login for e in trail)   # who: the login name, always
    assert [(e["action"], e["participant_id"], e["visit_code"], e["field"], e["old_value"], e["new_value"],
             e["reason"], e["on_behalf_of"]) for e in trail] == [
        ("enroll", "008", "", "enrollment_date", "", "2010-09-02", "", "nurse Li"),
        ("enroll", "008", "", "site", "", "01", "", "nurse Li"),
        ("record", "007", "D7", "actual_date", "", "2010-09-10", "", "nurse Li"),
        ("record", "007", "D14", "actual_date", "", "2010-09-20", "fever", "nurse Li"),
        ("record", "007", "D14", "reason", "", "fever", "fever", "nurse Li"),
        ("not done", "008", "D0", "actual_date", "", "", "consent withdrawn", ""),
        ("not done", "008", "D0", "reason", "", "consent withdrawn", "consent withdrawn", ""),
        ("withdraw", "008", "", "withdrawal_date", "", "2010-09-03", "consent withdrawn", ""),
        ("withdraw", "008", "", "withdrawal_reason", "", "consent withdrawn", "consent withdrawn", ""),
        ("correct", "007", "D7", "actual_date", "2010-09-10", "2010-09-11", "typed the wrong day", "Dr Shi"),
    ]
    stamp = dt.datetime.fromisoformat(trail[0]["when_utc"].replace("Z", "+00:00"))
    local = dt.datetime.fromisoformat(trail[0]["when_local"])
    assert stamp == local and local.utcoffset() == dt.timedelta(hours=8)   # Asia/Shanghai
    shown = run_cli("audit", "007", cwd=folder).stdout
    assert "Audit trail of 007: 3 changes" in shown and "typed the wrong day" in shown
    assert run_cli("verify", cwd=folder).exit_code == 0     # the trail explains every file


def test_the_reason_reaches_the_check_and_the_report(study):
    """A late visit recorded with its reason shows it in the check and the weekly report."""
    folder = study(ROSTER, VISITS)
    run_cli("record", "007", "D7", "2010-09-12", "--reason", "ward closed for cleaning", cwd=folder)
    check = run_cli("check", "--as-of", "2010-09-20", "--deviations-only", cwd=folder).stdout
    assert "late    1             ward closed for cleaning" in check
    report = run_cli("report", "--as-of", "2010-09-20", cwd=folder).stdout
    assert "007 D7: late 1 day (window 2010-09-09 to 2010-09-11, done 2010-09-12) — ward closed for cleaning" in report


@pytest.mark.parametrize("args, message", [
    (["record", "007", "D7", "2010-09-12"], "is LATE by 1 day (window 2010-09-09 to 2010-09-11, target 2010-09-10): "
                                            "a date outside the window needs a reason — give --reason"),
    (["record", "7", "D7", "2010-09-10"], "participant '7' is not in participants.csv — did you mean 007?"),
    (["record", "007", "D8", "2010-09-10"], "visit 'D8' is not in the protocol"),
    (["record", "007", "D0", "2010-09-03"], "007 D0 is already recorded (2010-09-03, visits.csv:2) — to change it, use "
                                            "visit-scheduler correct 007 D0 DATE"),
    (["record", "007", "D7", "2099-01-01"], "is after today"),
    (["record", "007", "D7", "2010-08-30"], "2010-08-30 is before 007 was enrolled (2010-09-01)"),
    (["record", "007", "D7", "--not-done"], "a visit that did not happen needs a reason"),
    (["record", "007", "D7"], "give either the DATE the visit was done, or --not-done with --reason"),
    (["enroll", "007", "--date", "2010-09-01"], "participant 007 is already enrolled (participants.csv:2)"),
    (["enroll", "=1+1", "--date", "2010-09-01"], "must start with a letter or a digit"),
    (["withdraw", "007", "--date", "2010-09-02", "--reason", "x"], "has visits recorded after 2010-09-02 (D0 on 2010-09-03)"),
    (["correct", "007", "D7", "2010-09-10", "--reason", "x"], "007 D7 has no record to correct"),
    (["record", "007", "D7", "10/09/2010"], "DATE '10/09/2010' is not a date"),
])
def test_refused_changes_change_nothing(study, args, message):
    """Each impossible entry: exit 2, the reason, and not a byte changed (no audit line)."""
    folder = study(ROSTER, VISITS)
    before = snapshot(folder)
    result = run_cli(*args, cwd=folder)
    assert result.exit_code == 2
    assert message in result.stderr
    assert snapshot(folder) == before


def test_after_a_withdrawal_no_visit_can_be_recorded(study):
    """Withdrew 09-05: a D7 dated 09-08 is refused."""
    folder = study(ROSTER, VISITS)
    run_cli("withdraw", "007", "--date", "2010-09-05", "--reason", "moved away", cwd=folder)
    result = run_cli("record", "007", "D7", "2010-09-08", cwd=folder)
    assert result.exit_code == 2 and "007 withdrew on 2010-09-05: no visit after that date" in result.stderr


def test_files_keep_their_encoding_and_line_ends(tmp_path: Path):
    """A GBK roster with Windows line ends stays GBK with CRLF: Excel on Chinese Windows opens it."""
    (tmp_path / "participants.csv").write_bytes(ROSTER.replace("\n", "\r\n").encode("gbk"))
    (tmp_path / "visits.csv").write_bytes(VISITS.encode("gbk"))
    assert run_cli("enroll", "009", "--date", "2010-09-05", cwd=tmp_path).exit_code == 0
    raw = (tmp_path / "participants.csv").read_bytes()
    assert raw.decode("gbk").endswith("\r\n009,,,2010-09-05,,,\r\n") and "赵敏".encode("gbk") in raw


def _record_many(folder: str, participants: list[str]) -> None:
    """One nurse's process: every visit of these participants, on its target date."""
    offsets = {"D0": 0, "D7": 7, "D14": 14, "M1": 30, "M3": 90, "M6": 180, "M9": 270, "M12": 365}
    for participant in participants:
        for code, days in offsets.items():
            recording.record(Path(folder), participant, code,
                             dt.date(2010, 1, 4) + dt.timedelta(days=days), "", f"nurse-{participants[0]}")


def test_two_nurses_recording_at_once_lose_nothing(tmp_path: Path):
    """Two processes record 64 visits each (8 participants × 8 visits) into one study folder
    at the same time: all 128 in the visits file, 128 lines in the audit trail, every line
    whole (each change rewrites the growing visits file under the lock: the two interleave
    scores of times). VISIT_SCHEDULER_NURSES=15 (make campaign) records 15 participants each."""
    each = int(os.environ.get("VISIT_SCHEDULER_NURSES", "8"))
    ids = [f"P{n:03d}" for n in range(2 * each)]
    write(tmp_path, "participants.csv", "participant_id,enrollment_date\n" + "".join(f"{p},2010-01-04\n" for p in ids))
    write(tmp_path, "visits.csv", "participant_id,visit_code,actual_date,reason\n")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_record_many, args=(str(tmp_path), ids[:each])),
               context.Process(target=_record_many, args=(str(tmp_path), ids[each:]))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
        assert worker.exitcode == 0
    visits = rows(tmp_path / "visits.csv")
    expected = 2 * each * 8   # two nurses × their participants × 8 visits: 2 × 8 × 8 = 128
    assert len(visits) == expected
    assert len({(v["participant_id"], v["visit_code"]) for v in visits}) == expected
    trail = [e for e in rows(tmp_path / "audit.csv") if e["step"] == "value"]
    assert len(trail) == expected and all(len(e) == 21 and e["new_value"] for e in trail)
    assert run_cli("verify", cwd=tmp_path).exit_code == 0
    result = run_cli("check", "--as-of", "2012-01-01", "--deviations-only", cwd=tmp_path)
    assert result.exit_code == 0 and f"0 deviations in {expected} expected visits" in result.stdout


def test_two_nurses_through_the_real_command(tmp_path: Path):
    """The same, smaller, with the installed command: two processes, 8 visits each."""
    write(tmp_path, "participants.csv", "participant_id,enrollment_date\nA,2010-01-04\nB,2010-01-04\n")
    offsets = {"D0": 0, "D7": 7, "D14": 14, "M1": 30, "M3": 90, "M6": 180, "M9": 270, "M12": 365}
    script = "; ".join(
        f"{sys.executable} -m scheduler record {{p}} {code} {dt.date(2010, 1, 4) + dt.timedelta(days=days)}"
        for code, days in offsets.items())
    runs = [subprocess.Popen(["bash", "-c", script.format(p=p)], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in "AB"]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()
    assert len(rows(tmp_path / "visits.csv")) == 16
    assert len([e for e in rows(tmp_path / "audit.csv") if e["step"] == "value"]) == 16
    assert run_cli("verify", cwd=tmp_path).exit_code == 0


def test_a_file_without_the_columns_is_refused(tmp_path: Path):
    """A visits file whose header lacks visit_code: refused, nothing written."""
    write(tmp_path, "participants.csv", "participant_id,enrollment_date\n007,2010-09-01\n")
    write(tmp_path, "visits.csv", "participant_id,visit,actual_date\n")
    before = snapshot(tmp_path)
    result = run_cli("record", "007", "D0", "2010-09-01", cwd=tmp_path)
    assert result.exit_code == 2 and "the header has no visit_code column" in result.stderr
    assert snapshot(tmp_path) == before


def test_an_audit_trail_that_cannot_be_written_stops_the_change(study):
    """audit.csv cannot be opened (here: a folder of that name): nothing is changed."""
    folder = study(ROSTER, VISITS)
    (folder / "audit.csv").mkdir()
    before = (folder / "visits.csv").read_bytes()
    result = run_cli("record", "007", "D7", "2010-09-10", cwd=folder)
    assert result.exit_code == 2 and "the audit trail cannot be written" in result.stderr
    assert (folder / "visits.csv").read_bytes() == before


def test_a_withdrawal_reason_typed_by_hand_stays_in_the_trail(study):
    """The old reason is the audit entry's old value, not lost."""
    folder = study(ROSTER.replace("2010-09-01,,,01", "2010-09-01,,adverse event: rash,01"), VISITS)
    run_cli("withdraw", "007", "--date", "2010-09-05", "--reason", "moved away", cwd=folder)
    trail = [e for e in rows(folder / "audit.csv") if e["step"] == "value"]
    assert [(e["field"], e["old_value"], e["new_value"]) for e in trail] == [
        ("withdrawal_date", "", "2010-09-05"), ("withdrawal_reason", "adverse event: rash", "moved away")]


def test_correcting_an_anchor_warns_about_visits_it_moves(study):
    """D0 corrected from 09-03 to 09-05 moves D7's window to 09-11 … 09-13: D7 done 09-10
    becomes early by 1 — a warning names it. The correction's reason is not the visit's."""
    folder = study(ROSTER, VISITS + "007,D7,2010-09-10,\n")
    result = run_cli("correct", "007", "D0", "2010-09-05", "--reason", "wrong day typed",
                     "--visit-reason", "catheter lab busy", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert ("Warning: 007 D7 (done 2010-09-10) is now early, was in window: its window moved with D0"
            in result.stderr)
    assert rows(folder / "visits.csv")[1]["reason"] == ""


def test_a_correction_into_a_deviation_needs_the_visits_own_reason(study):
    """D7 corrected to 09-12 (late 1) without a visit reason: refused, nothing changed."""
    folder = study(ROSTER, VISITS + "007,D7,2010-09-10,\n")
    before = (folder / "visits.csv").read_bytes()
    result = run_cli("correct", "007", "D7", "2010-09-12", "--reason", "typo", cwd=folder)
    assert result.exit_code == 2 and "give --visit-reason" in result.stderr
    assert (folder / "visits.csv").read_bytes() == before
    assert run_cli("correct", "007", "D7", "2010-09-12", "--reason", "typo", "--visit-reason", "ward full",
                   cwd=folder).exit_code == 0
    assert rows(folder / "visits.csv")[1]["reason"] == "ward full"


def test_correct_names_a_miscased_code(study):
    """correct 007 d7: the hint that visit codes are case-sensitive, exit 2 (not a crash)."""
    result = run_cli("correct", "007", "d7", "2010-09-10", "--reason", "x", cwd=study(ROSTER, VISITS))
    assert result.exit_code == 2 and "did you mean D7? Visit codes are case-sensitive" in result.stderr


def test_at_a_terminal_the_reason_is_asked_for_with_the_folder_unlocked(study, monkeypatch):
    """The prompt comes after the lock is released; the answer is recorded."""
    folder = study(ROSTER, VISITS)
    monkeypatch.setattr("scheduler.cli.change_commands.at_terminal", lambda: True)
    from click.testing import CliRunner

    from scheduler.cli import cli

    seen = []

    def prompt(*args, **kwargs):
        from filelock import FileLock

        lock = FileLock(str(folder / LOCK_FILE), timeout=0)
        with lock:                       # would time out if the command still held it
            seen.append("unlocked")
        return "ward full"

    monkeypatch.setattr("click.prompt", prompt)
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, ["record", "007", "D7", "2010-09-12"])
    assert seen == ["unlocked"]
    assert result.exit_code == 0, result.output
    assert rows(folder / "visits.csv")[-1]["reason"] == "ward full"


def test_a_roster_the_other_commands_refuse_is_not_changed(study):
    """Two lines for 001: enroll and withdraw refuse, as schedule does, and change nothing."""
    folder = study("participant_id,enrollment_date\n001,2010-09-01\n001,2010-09-02\n", VISITS)
    before = snapshot(folder)
    for args in (["enroll", "008", "--date", "2010-09-02"], ["withdraw", "001", "--date", "2010-09-05", "--reason", "x"]):
        result = run_cli(*args, cwd=folder)
        assert result.exit_code == 2 and "participant 001 is listed twice" in result.stderr
    assert snapshot(folder) == before


def test_day_first_rosters_are_explained_to_the_recording_commands(study):
    """The change commands have no --date-format: the message says what to do instead."""
    folder = study("participant_id,enrollment_date\n007,01/09/2010\n", VISITS)
    result = run_cli("record", "007", "D7", "2010-09-10", cwd=folder)
    assert result.exit_code == 2
    assert "the recording commands need them as YYYY-MM-DD" in result.stderr
    assert "participants.csv:2: column enrollment_date" in result.stderr


def test_a_visit_out_of_protocol_order_is_said_at_once(study):
    """D14 recorded before D7's date: recorded, with a warning (the check will list it)."""
    folder = study(ROSTER, VISITS + "007,D7,2010-09-10,\n")
    result = run_cli("record", "007", "D14", "2010-09-09", "--reason", "x", cwd=folder)
    assert result.exit_code == 0
    assert ("Warning: 007 D14 on 2010-09-09 is dated before D7 (2010-09-10), which comes earlier in "
            "the protocol") in result.stderr


def test_the_first_chinese_text_in_an_ascii_file_gets_excels_byte_order_mark(study):
    """An all-ASCII visits file and a Chinese reason: written as CSV UTF-8 with a BOM."""
    folder = study(ROSTER, VISITS)
    run_cli("record", "007", "D7", "2010-09-12", "--reason", "病房已满", cwd=folder)
    raw = (folder / "visits.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "病房已满".encode() in raw
    assert rows(folder / "visits.csv", "utf-8-sig")[-1]["reason"] == "病房已满"
