"""Holes hostile testing found (issue 14): each ends with the right result or one clear
message, exit 2, nothing written, the earlier file unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLE, run_cli

ROSTER = "participant_id,enrollment_date\n007,2010-09-01\n"
VISITS = "participant_id,visit_code,actual_date,reason\n007,D0,2010-09-01,\n"
SETPRIV = shutil.which("setpriv")
AS_NOBODY = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups"] if SETPRIV else []


def as_nobody(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command as an unprivileged user (root ignores permission bits)."""
    return subprocess.run([*AS_NOBODY, sys.executable, "-m", "scheduler", *args], cwd=folder,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": "/tmp"})


def _nobody_can_run_us() -> bool:
    """Root, setpriv, and a Python (and this checkout) an unprivileged user may enter."""
    if os.geteuid() != 0 or not SETPRIV:
        return False
    done = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import scheduler"], capture_output=True,
                          timeout=60, cwd="/tmp")
    return done.returncode == 0


needs_nobody = pytest.mark.skipif(not _nobody_can_run_us(),
                                  reason="needs root, setpriv and a checkout an unprivileged user may read")


@pytest.fixture
def read_only(tmp_path: Path):
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "participants.csv").write_text(ROSTER, "utf-8")
    (folder / "visits.csv").write_text(VISITS, "utf-8")
    tmp_path.chmod(0o755)
    folder.chmod(0o555)
    for path in folder.iterdir():
        path.chmod(0o444)
    yield folder
    folder.chmod(0o755)


@needs_nobody
def test_a_change_in_a_read_only_folder_is_refused_in_one_line(read_only):
    """record in a folder the nurse cannot write: exit 2, "cannot be written — nothing
    changed", no traceback, the files as they were."""
    before = (read_only / "visits.csv").read_bytes()
    done = as_nobody(read_only, "record", "007", "D7", "2010-09-08")
    assert done.returncode == 2, done.stderr
    assert f"the study folder {read_only} cannot be written (Permission denied) — nothing changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert (read_only / "visits.csv").read_bytes() == before


@needs_nobody
def test_reading_commands_work_in_a_read_only_folder(read_only, tmp_path: Path):
    """check works; calendar writes its file elsewhere and leaves its state alone, with a note."""
    assert as_nobody(read_only, "check", "--as-of", "2010-09-20").returncode == 0
    out = Path("/tmp") / f"visit-scheduler-test-{os.getpid()}"   # a folder nobody may enter
    out.mkdir(exist_ok=True)
    out.chmod(0o777)
    done = as_nobody(read_only, "calendar", "-o", str(out / "site.ics"), "--as-of", "2010-09-20")
    assert done.returncode == 0, done.stderr
    assert "calendar-state.json cannot be written in this folder" in done.stderr
    assert (out / "site.ics").exists() and not (read_only / "calendar-state.json").exists()
    shutil.rmtree(out)
    private = tmp_path / "private"          # below pytest's own folder, which nobody may enter
    private.mkdir()
    done = as_nobody(read_only, "calendar", "-o", str(private / "site.ics"), "--as-of", "2010-09-20")
    assert done.returncode == 2 and "cannot write in" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [["--help"], ["check", "--study", str(SAMPLE), "--as-of", "2011-01-17"],
                                  ["protocol"]])
def test_standard_output_on_a_full_disk_is_one_line(args):
    """`… > /dev/full`: exit 2 and one line on standard error, never a traceback."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "scheduler", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Error: the output cannot be written (No space left on device)" in done.stderr
    assert "Traceback" not in done.stderr


def chained(count: int, months: int) -> str:
    """A plan of ``count`` visits, each ``months`` after the one before."""
    text = '[study]\nid = "FAR"\ntimezone = "UTC"\n'
    anchor = "enrollment"
    for number in range(count):
        text += f'\n[[visits]]\ncode = "V{number}"\nanchor = "{anchor}"\nmonth = {months}\n'
        anchor = f"V{number}"
    return text


def test_a_plan_past_twenty_years_is_warned_about(study):
    """Five visits 60 months apart: V4 closes 25 years after enrollment (warning, exit 0)."""
    folder = study("participant_id,enrollment_date\n001,2010-01-01\n", protocol=chained(5, 60))
    result = run_cli("protocol", cwd=folder)
    assert result.exit_code == 0
    assert ("Warning: protocol.toml: the window of V4 closes more than 20 years after enrollment "
            "(the last about 25 years after)") in result.stderr


def test_a_window_closing_after_2199_is_refused_naming_the_visit(study):
    """25 visits 120 months apart from 2010-01-01: V18's target is 2010 + 19 × 10 years =
    2200-01-01, after the last day dates are read: refused (exit 2), not a crash."""
    folder = study("participant_id,enrollment_date\n001,2010-01-01\n", protocol=chained(25, 120))
    for command in (["schedule"], ["check"], ["calendar", "-o", "x.ics"], ["report", "--as-of", "2010-06-01"]):
        result = run_cli(*command, cwd=folder)
        assert result.exit_code == 2, (command, result.stderr)
        assert ("the window of visit V18 for participant 001 would close on 2200-01-01, after 2199-12-31"
                in result.stderr)


def test_a_plan_no_participant_could_fit_is_refused_by_protocol(study):
    """40 visits 120 months apart reach 400 years past enrollment: `protocol` refuses it at
    the first visit beyond 300 years (V29: 30 × 10 years), instead of overflowing."""
    folder = study("participant_id,enrollment_date\n001,2010-01-01\n", protocol=chained(40, 120))
    result = run_cli("protocol", cwd=folder)
    assert result.exit_code == 2
    assert "visit 30 (V29): its window would close more than 300 years after enrollment" in result.stderr


def test_contradictory_closure_lines_are_refused(study):
    """2010-09-08 closed on line 2 and open on line 3: refused (exit 2) naming both lines."""
    from scheduler.protocol import built_in_text

    protocol = built_in_text().replace('[clinic]\n', '[clinic]\nclosures = "closures.csv"\n', 1)
    folder = study("participant_id,enrollment_date\n007,2010-09-01\n", protocol=protocol)
    (folder / "closures.csv").write_text("date,open,note\n2010-09-08,no,moving\n2010-09-08,yes,open day\n", "utf-8")
    result = run_cli("schedule", cwd=folder)
    assert result.exit_code == 2
    assert ("closures.csv:3: column open: 2010-09-08 is said to be open here and closed on line 2 "
            "(value 'yes') — keep one line for each date") in result.stderr


def test_an_impossible_date_says_which_option_and_why(study):
    """withdraw --date 2010-02-30: the option named, the day said not to exist."""
    folder = study(ROSTER, VISITS)
    result = run_cli("withdraw", "007", "--date", "2010-02-30", "--reason", "x", cwd=folder)
    assert result.exit_code == 2
    assert ("--date '2010-02-30' is not a date — this day does not exist in the calendar: check the day "
            "and the month") in result.stderr


def test_a_bad_date_in_the_visits_file_does_not_block_a_withdrawal(study):
    """A visits line dated 2010-09-31 (a data problem the check lists) does not stop
    withdraw with an unreadable message: the withdrawal is recorded."""
    folder = study(ROSTER, VISITS + "007,D7,2010-09-31,\n")
    result = run_cli("withdraw", "007", "--date", "2010-09-20", "--reason", "moved away", cwd=folder)
    assert result.exit_code == 0, result.stderr


def test_calendar_for_chosen_participants_warns_only_about_them(study):
    """calendar --participant 007: the warning about 009 (enrolled after the as-of date)
    does not apply to this file and is not shown."""
    folder = study(ROSTER + "009,2010-10-01\n", VISITS)
    result = run_cli("calendar", "--participant", "007", "-o", "c.ics", "--as-of", "2010-09-20", cwd=folder)
    assert result.exit_code == 0
    assert "enrolled after the as-of date" not in result.stderr
    result = run_cli("calendar", "-o", "c.ics", "--as-of", "2010-09-20", cwd=folder)
    assert "Warning: enrolled after the as-of date 2010-09-20: 009" in result.stderr


def test_full_width_ids_are_one_participant_for_the_changes_too(study):
    """The roster holds ００９ (typed with a Chinese input method): record 009 finds it,
    enroll 009 is refused as already enrolled, and verify explains the folder."""
    folder = study("participant_id,enrollment_date\n００９,2010-09-01\n", VISITS.replace("007", "００９"))
    result = run_cli("record", "009", "D7", "2010-09-08", cwd=folder)
    assert result.exit_code == 0, result.stderr
    result = run_cli("enroll", "009", "--date", "2010-09-02", cwd=folder)
    assert result.exit_code == 2 and "participant 009 is already enrolled" in result.stderr
    assert run_cli("verify", cwd=folder).exit_code == 0


@pytest.mark.parametrize("name", ["audit.csv", "calendar-state.json", "participants.csv", "Visits.csv",
                                  "audit/copy.csv"])
def test_no_output_is_written_over_a_file_the_study_keeps(study, name):
    """-o naming the trail, its copies, the calendar state or a study file: refused, exit 2,
    the file untouched."""
    folder = study(ROSTER, VISITS)
    assert run_cli("record", "007", "D7", "2010-09-08", cwd=folder).exit_code == 0   # a trail exists
    target = folder / name
    before = target.read_bytes() if target.exists() else None
    result = run_cli("check", "--as-of", "2010-09-20", "-o", name, cwd=folder)
    assert result.exit_code == 2, result.stderr
    assert "which the study folder keeps" in result.stderr or "is one of the input files" in result.stderr
    assert (target.read_bytes() if target.exists() else None) == before
    result = run_cli("audit", "-o", name, cwd=folder)
    assert result.exit_code == 2


def test_the_closures_file_is_never_an_output(study):
    """-o closures.csv, the closures file the protocol names: refused."""
    from scheduler.protocol import built_in_text

    folder = study(ROSTER, VISITS, built_in_text().replace("[clinic]\n", '[clinic]\nclosures = "closures.csv"\n', 1))
    (folder / "closures.csv").write_text("date,open,note\n2010-09-08,no,moving\n", "utf-8")
    result = run_cli("check", "--as-of", "2010-09-20", "-o", "closures.csv", cwd=folder)
    assert result.exit_code == 2 and "the clinic closures file, which the study folder keeps" in result.stderr


@pytest.mark.parametrize("data", [b"\xef\xbb\xbfparticipant_id,enrollment_date\n007,2010-09-01\n00\xff,2010-09-02\n",
                                  "participant_id,enrollment_date\n007,2010-09-01\n".encode("utf-16")[:-3]])
def test_a_byte_order_mark_with_a_bad_byte_is_refused_naming_the_line(tmp_path: Path, data: bytes):
    """UTF-8 with a BOM, or UTF-16, holding a byte that does not fit: exit 2 naming the
    file and the line, not an internal error."""
    (tmp_path / "participants.csv").write_bytes(data)
    result = run_cli("check", cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert "participants.csv:" in result.stderr and "the file says it is UTF-" in result.stderr
