"""Shared helpers: write a study's files into a temporary folder and run the real CLI."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# The contract's columns (PRODUCT.md, "File formats"), written out here rather than taken
# from the code: a test that compares with them catches a renamed or moved column.
CHECK_COLUMNS = ["participant_id", "visit_code", "target_date", "window_open", "window_close", "actual_date",
                 "status", "days_outside", "reason", "as_of"]
SCHEDULE_COLUMNS = ["participant_id", "visit_code", "visit_name", "target_date", "window_open", "window_close",
                    "suggested_date"]
DUE_COLUMNS = ["participant_id", "visit_code", "target_date", "window_open", "window_close", "suggested_date",
               "days_left"]


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Every test starts in English whatever the machine's locale (a CI runner may be set to
    zh_CN), and leaves English behind: the language is process-wide, and in-process runs of
    the command choose it anew. Tests of the Chinese interface ask for it explicitly."""
    from scheduler import i18n

    monkeypatch.delenv("VISIT_SCHEDULER_LANG", raising=False)
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    i18n.use(i18n.ENGLISH)
    yield
    i18n.use(i18n.ENGLISH)


def run_cli(*args: str, cwd: Path | None = None) -> Run:
    """Invoke the click command in-process (fast), with stdout and stderr apart."""
    runner = CliRunner()
    if cwd is not None:
        import os

        old = os.getcwd()
        os.chdir(cwd)
        try:
            result = runner.invoke(cli, list(args), catch_exceptions=False)
        finally:
            os.chdir(old)
    else:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str, cwd: Path | None = None) -> Run:
    """Run the installed command as a separate process, as a nurse would."""
    done = subprocess.run([sys.executable, "-m", "scheduler", *args], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    return Run(done.returncode, done.stdout, done.stderr)


# A command run in a process of its own, then which of the libraries named (one argument,
# space-separated, before the command's) it imported.
_IMPORTED = """
import runpy, sys
libraries = sys.argv[1].split()
sys.argv = ["visit-scheduler", *sys.argv[2:]]
try:
    runpy.run_module("scheduler", run_name="__main__")
except SystemExit:
    pass
print("IMPORTED", *sorted(name for name in libraries if name in sys.modules))
"""


def imported(libraries: tuple[str, ...], *args: str, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> set[str]:
    """Which of ``libraries`` the command ``args`` imports, run as a process of its own."""
    done = subprocess.run([sys.executable, "-c", _IMPORTED, " ".join(libraries), *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)
    line = next(text for text in done.stdout.splitlines() if text.startswith("IMPORTED"))
    return set(line.split()[1:])


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def study(tmp_path: Path):
    """A factory: study(participants=..., visits=..., protocol=...) writes the files."""

    def make(participants: str, visits: str | None = None, protocol: str | None = None) -> Path:
        write(tmp_path, "participants.csv", participants)
        if visits is not None:
            write(tmp_path, "visits.csv", visits)
        if protocol is not None:
            write(tmp_path, "protocol.toml", protocol)
        return tmp_path

    return make


# The two-arm example of the arms tests (docs/examples/two-arm.toml without procedures and the
# visits' translations): D14 is arm A's only, M6 arm B's only.
TWO_ARMS = """\
[study]
id = "DEMO-2ARM"
title = "Two-arm example: three transplants or two"
timezone = "Asia/Shanghai"
day0 = "D0"

[clinic]
country = "CN"
weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]

[[arms]]
code = "A"
name = "Three transplants"

[arms.translations.zh-CN]
name = "三次移植"

[[arms]]
code = "B"
name = "Two transplants"

[arms.translations.zh-CN]
name = "两次移植"

[[visits]]
code = "D0"
name = "Transplantation 1"
kind = "treatment"
anchor = "enrollment"
day = 0

[[visits]]
code = "D7"
name = "Transplantation 2"
kind = "treatment"
anchor = "D0"
day = 7
minus = 1
plus = 1

[[visits]]
code = "D14"
name = "Transplantation 3"
kind = "treatment"
anchor = "D0"
day = 14
minus = 2
plus = 2
arms = ["A"]

[[visits]]
code = "M1"
name = "Follow-up month 1"
kind = "follow-up"
anchor = "D0"
day = 30
minus = 3
plus = 3

[[visits]]
code = "M3"
name = "Follow-up month 3"
kind = "follow-up"
anchor = "D0"
day = 90
minus = 7
plus = 7

[[visits]]
code = "M6"
name = "Safety follow-up month 6"
kind = "follow-up"
anchor = "D0"
day = 180
minus = 14
plus = 14
arms = ["B"]
"""
