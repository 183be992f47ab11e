"""The gallery of bad files (tests/gallery/): each case gets exactly the message in its
expected.txt (first line: the exit code), from the real CLI, and never a traceback.

Each case folder is a study folder; the command is `check --as-of 2010-09-20` run inside it.
To add a case: make the folder, write its files, and write expected.txt by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

GALLERY = ROOT / "tests" / "gallery"
CASES = sorted(path.name for path in GALLERY.iterdir() if path.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_gallery_case_gets_its_exact_message(case: str, tmp_path: Path):
    """Exit code and standard error are exactly as recorded; nothing is written on exit 2."""
    folder = tmp_path / case
    shutil.copytree(GALLERY / case, folder)
    expected = (folder / "expected.txt").read_text("utf-8")
    (folder / "expected.txt").unlink()
    result = run_cli("check", "--as-of", "2010-09-20", "-o", "out.csv", cwd=folder)
    exit_line, _, stderr = expected.partition("\n")
    written = "Wrote out.csv (" in result.stderr
    got = result.stderr
    if written:  # the line that says the output was written is not part of the gallery
        got = "\n".join(line for line in got.splitlines() if not line.startswith("Wrote out.csv")) + "\n"
    assert f"exit {result.exit_code}" == exit_line
    assert got == stderr
    assert "Traceback" not in result.stderr
    assert (folder / "out.csv").exists() == (result.exit_code != 2)


def test_the_gallery_covers_every_kind_of_bad_input():
    """At least the kinds issue #8 names are there."""
    assert {"roster-missing-column", "roster-duplicate-id", "roster-day-first", "roster-excel-serial",
            "roster-formula-id", "roster-unclosed-quote", "roster-extra-cells", "roster-empty-file",
            "roster-not-text", "roster-bad-dates", "visits-day-first", "visits-missing-column",
            "visits-data-problems", "protocol-mistakes"} <= set(CASES)
