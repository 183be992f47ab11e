"""The command line as a new user meets it: init, help, python -m, outputs, exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pendulum

from scheduler.cli import COMMANDS, cli, every_command

from .conftest import SAMPLE, run_cli, run_process, write
from .conftest import imported as imported_by


def test_init_makes_a_study_folder_the_other_commands_use(tmp_path: Path):
    """init → add a participant → schedule and check run without file options."""
    folder = tmp_path / "trial"
    result = run_cli("init", str(folder))
    assert result.exit_code == 0
    # init also begins the audit trail: audit.csv and its baseline copies in audit/.
    assert sorted(p.name for p in folder.iterdir()) == ["audit", "audit.csv", "participants.csv",
                                                        "protocol.toml", "visits.csv"]
    assert (folder / "participants.csv").read_text("utf-8-sig") == (
        "participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site\n")
    assert (folder / "participants.csv").read_bytes().startswith(b"\xef\xbb\xbf")   # Excel's CSV UTF-8
    assert (folder / "visits.csv").read_text("utf-8-sig") == "participant_id,visit_code,actual_date,reason\n"
    assert run_cli("protocol", cwd=folder).stdout.startswith("NCT01143168: 8 visits")
    with open(folder / "participants.csv", "a") as stream:
        stream.write("001,2010-09-01,,,01\n")
    result = run_cli("check", "--as-of", "2010-09-08", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "as of 2010-09-08, 1 deviation in 8 expected visits" in result.stdout   # D0 missed


def test_init_never_overwrites(tmp_path: Path):
    """A second init on the same folder changes nothing, exit 2."""
    run_cli("init", str(tmp_path / "s"))
    write(tmp_path / "s", "participants.csv", "participant_id,enrollment_date\n001,2010-09-01\n")
    result = run_cli("init", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert "already has protocol.toml, participants.csv, visits.csv" in result.stderr
    assert "001,2010-09-01" in (tmp_path / "s" / "participants.csv").read_text()


def test_every_command_has_help():
    """Each command explains itself; the group lists them all."""
    result = run_cli("--help")
    assert result.exit_code == 0
    for name, command in every_command().items():
        assert name in result.stdout
        assert command.help and len(command.help) > 20
        assert run_cli(name, "--help").exit_code == 0


def test_each_command_is_imported_only_when_named():
    """The table of commands (scheduler.cli.COMMANDS) names every command a module registers,
    and the module that registers it; a command not yet named has not been built."""
    import subprocess
    import sys

    every = every_command()
    assert sorted(every) == sorted(COMMANDS)
    assert {name: command.callback.__module__ for name, command in every.items()  # type: ignore[union-attr]
            } == {name: f"scheduler.cli.{module}" for name, module in COMMANDS.items()}
    script = ("import sys, runpy; sys.argv = ['visit-scheduler', 'protocol']\n"
              "try:\n    runpy.run_module('scheduler', run_name='__main__')\nexcept SystemExit:\n    pass\n"
              "print('LOADED', *sorted(m for m in sys.modules if m.startswith('scheduler.cli.')))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    loaded = next(line for line in done.stdout.splitlines() if line.startswith("LOADED")).split()[1:]
    assert loaded == ["scheduler.cli.base", "scheduler.cli.study_commands"]


def test_a_misspelt_command_is_named_with_the_commands_it_may_mean():
    """click suggests from the commands it has: all are loaded for a name that is none (a
    process of its own: in this one, other tests have loaded them already)."""
    result = run_process("chek")
    assert result.exit_code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in result.stderr
    result = run_process("exprt")
    assert "(Did you mean one of: 'export', 'report'?)" in result.stderr


def test_python_dash_m_runs_the_command():
    """`python -m scheduler` is the same program."""
    result = run_process("--version")
    assert result.exit_code == 0 and "visit-scheduler" in result.stdout


def test_xlsx_output_has_real_dates_frozen_header_and_no_formulas(study):
    """Excel: dates are dates, the header is frozen with filters, deviations highlighted,
    a reason typed as a formula stays text."""
    from openpyxl import load_workbook

    folder = study("participant_id,enrollment_date\n001,2010-09-01\n",
                   "participant_id,visit_code,actual_date,reason\n001,D0,2010-09-03,=1+1\n")
    result = run_cli("check", "--as-of", "2010-09-10", "-o", "c.xlsx", cwd=folder)
    assert result.exit_code == 0, result.stderr
    sheet = load_workbook(folder / "c.xlsx").active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L9"  # the contract's 10 columns, visit_name, protocol_version
    header = [cell.value for cell in sheet[1]]
    assert header[:10] == ["participant_id", "visit_code", "target_date", "window_open", "window_close",
                           "actual_date", "status", "days_outside", "reason", "as_of"]
    d0 = [cell for cell in sheet[2]]
    assert d0[5].value.date().isoformat() == "2010-09-03" and d0[5].is_date
    assert d0[6].value == "late" and d0[7].value == 2
    assert d0[8].value == "=1+1" and d0[8].data_type == "s"
    assert d0[0].fill.start_color.rgb == "FFF4CCCC"
    assert sheet["A3"].fill.start_color.rgb != "FFF4CCCC"


def test_output_into_a_missing_folder_is_explained(study):
    """-o into a folder that does not exist: a clear message, exit 2."""
    folder = study("participant_id,enrollment_date\n001,2010-09-01\n")
    result = run_cli("schedule", "-o", "nowhere/s.csv", cwd=folder)
    assert result.exit_code == 2
    assert "the folder nowhere does not exist" in result.stderr


def test_a_failed_write_leaves_the_earlier_file_untouched(study, monkeypatch):
    """A run that fails while writing keeps the previous good file and leaves no partial file."""
    folder = study("participant_id,enrollment_date\n001,2010-09-01\n")
    run_cli("schedule", "-o", "s.csv", cwd=folder)
    before = (folder / "s.csv").read_bytes()

    def broken(frame, stream, *args, **kwargs):
        stream.write("participant_id,visit_code\n001,")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("scheduler.outputs.files.write_csv", broken)
    write(folder, "participants.csv", "participant_id,enrollment_date\n002,2011-01-01\n")
    result = run_cli("schedule", "-o", "s.csv", cwd=folder)
    assert result.exit_code == 2
    assert "s.csv: writing failed (No space left on device) — the earlier file, if any, is unchanged" in result.stderr
    assert (folder / "s.csv").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["participants.csv", "s.csv"]


def test_internal_errors_are_one_plain_message(study, monkeypatch):
    """A bug says so in one message with exit 3: no traceback for the nurse."""
    import scheduler.app.tables

    def boom(*args, **kwargs):
        raise ValueError("something impossible")

    monkeypatch.setattr(scheduler.app.tables, "compute_check", boom)
    folder = study("participant_id,enrollment_date\n001,2010-09-01\n")
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["check", "--study", str(folder)])
    assert result.exit_code == 3
    assert "Internal error (a bug in visit-scheduler" in result.stderr
    assert "Traceback" not in result.stderr


def test_today_is_the_default_as_of_date_in_the_study_zone(study):
    """At 2010-09-09 17:00 UTC it is 2010-09-10 in Shanghai: as_of is 09-10, so a D7 not
    done (window closed 09-09) is missed, and a visit dated 09-11 is "after today"."""
    folder = study("participant_id,enrollment_date\n001,2010-09-01\n",
                   "participant_id,visit_code,actual_date,reason\n001,D0,2010-09-01,\n001,D14,2010-09-11,\n")
    with pendulum.travel_to(pendulum.datetime(2010, 9, 9, 17, 0, tz="UTC"), freeze=True):
        result = run_cli("check", "-o", "c.csv", cwd=folder)
    assert result.exit_code == 1
    assert ("visits.csv:3: column actual_date: the date is after today (2010-09-10) "
            "(value '2010-09-11')") in result.stderr
    with open(folder / "c.csv", newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert rows[1]["as_of"] == "2010-09-10"
    assert (rows[1]["visit_code"], rows[1]["status"], rows[1]["days_outside"]) == ("D7", "missed", "1")


def test_make_run_commands_work_on_the_sample_study(tmp_path: Path):
    """What `make run` runs, on sample_data/, exits 0 and writes its files."""
    for command in (["schedule", "-o", str(tmp_path / "s.csv")], ["check", "-o", str(tmp_path / "c.xlsx")],
                    ["due"], ["check", "--deviations-only"]):
        result = run_cli(*command, "--study", str(SAMPLE), "--as-of", "2011-01-17")
        assert result.exit_code == 0, (command, result.stderr)
    assert (tmp_path / "s.csv").stat().st_size > 0


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from scheduler.cli import unwind_on_terminate
from scheduler.storage.atomic import atomic_write
unwind_on_terminate()
with atomic_write(Path(sys.argv[1])) as stream:
    stream.write("participant_id,visit_code\\n001,")
    stream.flush()
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))
"""


def test_a_run_killed_while_writing_leaves_the_earlier_file(tmp_path: Path):
    """Terminated mid-write: the earlier file is intact and the temporary file removed.
    Killed outright (SIGKILL, nothing can run): the earlier file is still intact."""
    import subprocess
    import sys

    target = tmp_path / "check.csv"
    target.write_text("the earlier good file\n")
    for signal_name in ("SIGTERM", "SIGKILL"):
        done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target), signal_name],
                              capture_output=True, text=True)
        assert done.returncode != 0
        assert target.read_text() == "the earlier good file\n"
        if signal_name == "SIGTERM":
            assert sorted(p.name for p in tmp_path.iterdir()) == ["check.csv"]


def test_light_commands_import_only_what_they_use(tmp_path: Path):
    """--help, protocol and init never import numpy, pandas or matplotlib (numpy alone is 60 ms of
    start-up); calendar never matplotlib."""
    heavy = ("numpy", "pandas", "matplotlib", "openpyxl", "icalendar")

    def imported(*args: str) -> set[str]:
        return imported_by(heavy, *args, cwd=tmp_path)

    assert imported("--help") == set()
    assert imported("protocol") == set()
    assert imported("init", "s") == set()
    (tmp_path / "s" / "participants.csv").write_text("participant_id,enrollment_date\n001,2010-09-01\n")
    assert "matplotlib" not in imported("calendar", "--study", "s", "-o", "s/site.ics")


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path):
    """`status 007 | head -1`: no internal error, no complaint, the shell's 141."""
    import subprocess
    import sys

    script = (f"{sys.executable} -m scheduler status 007 --study {SAMPLE} --as-of 2011-01-17 | head -1; "
              "exit ${PIPESTATUS[0]}")
    for _ in range(3):
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
        assert done.stdout.startswith("Participant 007")
        assert done.stderr == "" and done.returncode in (0, 141)
