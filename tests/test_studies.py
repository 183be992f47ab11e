"""Several studies at once (PRODUCT.md, "Several studies"): one worklist sorted by urgency,
one table, one calendar, a study_id column first; each study read as if alone."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from scheduler.protocol import built_in_text

from .conftest import SAMPLE, run_cli

B_ROSTER = "participant_id,enrollment_date\n007,2011-01-10\nB2,2011-01-12\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder: A is the sample study (NCT01143168); B a second trial, PILOT-B, with
    the same plan, its own 007 (enrolled 2011-01-10) and B2 (2011-01-12), no visits yet."""
    shutil.copytree(SAMPLE, tmp_path / "site" / "A")
    b = tmp_path / "site" / "B"
    b.mkdir()
    (b / "participants.csv").write_text(B_ROSTER, "utf-8")
    (b / "protocol.toml").write_text(built_in_text().replace('id = "NCT01143168"', 'id = "PILOT-B"', 1), "utf-8")
    return tmp_path / "site"


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def test_one_worklist_sorted_by_urgency_across_studies(site: Path, tmp_path: Path):
    """As of 2011-01-17: PILOT-B 007's D7 (D0 target 01-10 + 7 = 01-17 ± 1, window 01-16 …
    01-18) closes first: days_left 1. Then two windows closing 01-20: NCT01143168 023 D7 and
    PILOT-B B2 D7 (01-12 + 7 = 01-19 ± 1), both opening 01-18: the study id decides."""
    result = run_cli("due", "--study", str(site), "--as-of", "2011-01-17", "-o", str(tmp_path / "due.csv"))
    assert result.exit_code == 0, result.stderr
    rows = read(tmp_path / "due.csv")
    assert list(rows[0])[:3] == ["study_id", "participant_id", "visit_code"]
    assert [(r["study_id"], r["participant_id"], r["visit_code"], r["window_close"], r["days_left"])
            for r in rows[:3]] == [
        ("PILOT-B", "007", "D7", "2011-01-18", "1"),
        ("NCT01143168", "023", "D7", "2011-01-20", "3"),
        ("PILOT-B", "B2", "D7", "2011-01-20", "3"),
    ]
    closes = [r["window_close"] for r in rows]
    assert closes == sorted(closes)
    # Each study's messages say which study they are about.
    assert "[PILOT-B] Warning: no visits file" in result.stderr
    assert "[NCT01143168] Warning: enrolled after the as-of date 2011-01-17: 024" in result.stderr


def test_the_same_id_in_two_studies_stays_two_participants(site: Path, tmp_path: Path):
    """007 is in both studies: the check lists both, the calendar gives them different UIDs
    (the "-" of PILOT-B percent-encoded, so it cannot be mistaken for the separator),
    --split writes DIR/STUDY/007.ics for each, and --participant takes STUDY/ID."""
    result = run_cli("check", "--study", str(site / "A"), "--study", str(site / "B"), "--as-of", "2011-01-17",
                     "-o", str(tmp_path / "check.csv"))
    assert result.exit_code == 0, result.stderr
    rows = read(tmp_path / "check.csv")
    assert {r["study_id"] for r in rows if r["participant_id"] == "007"} == {"NCT01143168", "PILOT-B"}
    split = tmp_path / "calendars"
    result = run_cli("calendar", "--study", str(site), "--as-of", "2011-01-17", "--split", str(split),
                     "--participant", "PILOT-B/007", "--participant", "NCT01143168/007",
                     "-o", str(tmp_path / "two.ics"))
    assert result.exit_code == 0, result.stderr
    assert sorted(str(p.relative_to(split)) for p in split.rglob("*.ics")) == [
        "NCT01143168/007.ics", "PILOT-B/007.ics"]
    text = (tmp_path / "two.ics").read_text("utf-8")
    assert "UID:PILOT%2DB-007-D7@visit-scheduler" in text and "UID:NCT01143168-007-D7@visit-scheduler" in text
    assert text.count("BEGIN:VEVENT") == 16            # 8 visits each
    bare = run_cli("calendar", "--study", str(site), "--participant", "007", "-o", str(tmp_path / "x.ics"))
    assert bare.exit_code == 2 and "name the study too, as STUDY/ID" in bare.stderr


def test_two_folders_with_one_study_id_are_refused(site: Path):
    """B renamed to the same [study] id as A: refused, naming both folders, nothing written."""
    (site / "B" / "protocol.toml").write_text(built_in_text(), "utf-8")
    result = run_cli("due", "--study", str(site), "--as-of", "2011-01-17")
    assert result.exit_code == 2 and "are both study NCT01143168" in result.stderr


def test_a_study_that_cannot_be_used_stops_the_command(site: Path, tmp_path: Path):
    """B's roster lists 007 twice: the whole command stops (exit 2), naming B's file."""
    (site / "B" / "participants.csv").write_text(B_ROSTER + "007,2011-01-11\n", "utf-8")
    result = run_cli("check", "--study", str(site), "-o", str(tmp_path / "c.csv"))
    assert result.exit_code == 2 and "participant 007 is listed twice" in result.stderr
    assert not (tmp_path / "c.csv").exists()


def test_file_options_take_one_study(site: Path):
    """--visits with several studies is refused: each study folder's own files are read."""
    result = run_cli("check", "--study", str(site), "--visits", str(site / "A" / "visits.csv"))
    assert result.exit_code == 2 and "take one study" in result.stderr


def test_one_study_is_as_before(site: Path):
    """A single study folder: no study_id column (the contract's columns first)."""
    result = run_cli("due", "--study", str(site / "A"), "--as-of", "2011-01-17")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].startswith("participant_id")
