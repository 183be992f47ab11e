"""Amendments end to end on the sample study (sample_amendment/): the trail, a kill in the
middle of a move, verify, the calendar, the report, SDTM and the checks of a version set.

The sample: protocols/1.0.toml is the built-in NCT01143168 protocol as version 1.0
(effective 2010-08-01); protocol.toml a made-up 2.0 (effective 2011-03-01): D14 ± 2 → ± 3,
M9 (Day 270 ± 14) dropped, M18 (Day 545 ± 14) added. 301, 302 and 303 moved on 2011-03-15.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.test_trail import killed

SAMPLE = ROOT / "sample_amendment"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "study"
    shutil.copytree(SAMPLE, copy)
    return copy


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def plan(folder: Path, participant: str, as_of: str = "2011-04-01") -> dict[str, tuple[str, str, str]]:
    result = run_cli("check", "--as-of", as_of, "-o", "c.csv", cwd=folder)
    assert result.exit_code == 0, result.stderr
    return {r["visit_code"]: (r["window_open"], r["window_close"], r["protocol_version"])
            for r in rows(folder / "c.csv") if r["participant_id"] == participant}


def test_the_sample_follows_the_rule(folder):
    """301 (D0 2010-09-01) moved 2011-03-15: M9's 1.0 target 2010-09-01 + 270 = 2011-05-29,
    its window opens 05-29 − 14 = 05-15, after the move → dropped; M18
    (2.0) = + 545 = 2012-02-28 ± 14 → expected. 303 (D0 2011-02-20): D14's 1.0 window
    03-06 ± 2 = 03-04 … 03-08 opened before the move → keeps ± 2. 304 enrolled 2011-03-20,
    after 2.0 took effect: D14 = 04-03 ± 3 = 03-31 … 04-06 under 2.0."""
    p301 = plan(folder, "301")
    assert "M9" not in p301
    assert p301["M18"] == ("2012-02-14", "2012-03-13", "2.0")
    assert p301["M6"] == ("2011-02-14", "2011-03-14", "1.0")        # opened before the move
    assert plan(folder, "303")["D14"] == ("2011-03-04", "2011-03-08", "1.0")
    assert plan(folder, "304")["D14"] == ("2011-03-31", "2011-04-06", "2.0")
    # 305 withdrew 2011-02-01 and was never moved: 1.0's plan, M9 included, no M18.
    p305 = plan(folder, "305")
    assert "M9" in p305 and "M18" not in p305 and {v for _o, _c, v in p305.values()} == {"1.0"}


def test_a_move_killed_before_its_done_line_is_completed_and_verify_passes(folder):
    """304 cannot move (already 2.0); 302 is undone then moved again, killed after the file
    was written: the next change completes it, and the trail replays."""
    assert run_cli("amend", "302", "--undo", "--reason", "moved in error", cwd=folder).exit_code == 0
    assert [r["participant_id"] for r in rows(folder / "versions.csv")] == ["301", "303"]
    done = killed(folder, "before-done", "amend", "302", "--to", "2.0", "--date", "2011-03-16",
                  "--reason", "re-consented")
    assert done.returncode == -9
    result = run_cli("enroll", "306", "--date", "2011-03-21", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "An interrupted change was completed" in result.stderr
    assert rows(folder / "versions.csv")[-1] == {"participant_id": "302", "protocol_version": "2.0",
                                                 "move_date": "2011-03-16"}
    assert run_cli("verify", cwd=folder).exit_code == 0


def test_verify_names_a_move_removed_by_hand(folder):
    assert run_cli("amend", "302", "--undo", "--reason", "moved in error", cwd=folder).exit_code == 0
    assert run_cli("amend", "302", "--to", "2.0", "--date", "2011-03-16", "--reason", "re-consented",
                   cwd=folder).exit_code == 0
    lines = (folder / "versions.csv").read_text("utf-8").splitlines()
    (folder / "versions.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    result = run_cli("verify", cwd=folder)
    assert result.exit_code == 1
    assert "versions.csv: 302 2.0: the trail has this row (protocol_version 2.0, move_date 2011-03-16)" in result.stdout
    refused = run_cli("amend", "302", "--to", "2.0", "--date", "2011-03-16", "--reason", "again", cwd=folder)
    assert refused.exit_code == 2 and "changed outside the tool" in refused.stderr


def test_the_calendar_cancels_a_visit_the_move_dropped_and_updates_a_moved_window(folder):
    """302 undone (back on 1.0, M9 2011-10-07 ± 14 published), then moved on 2011-03-16: M9
    comes back CANCELLED with SEQUENCE 1; D14 was done, so its event does not change."""
    assert run_cli("amend", "302", "--undo", "--reason", "moved in error", cwd=folder).exit_code == 0
    assert run_cli("calendar", "--as-of", "2011-03-15", "-o", "one.ics", cwd=folder).exit_code == 0
    first = (folder / "one.ics").read_text("utf-8")
    assert "302 M9 target 2011-10-07" in first and "302 M18" not in first
    assert run_cli("amend", "302", "--to", "2.0", "--date", "2011-03-16", "--reason", "re-consented",
                   cwd=folder).exit_code == 0
    assert run_cli("calendar", "--as-of", "2011-03-16", "-o", "two.ics", cwd=folder).exit_code == 0
    events = (folder / "two.ics").read_text("utf-8").replace("\r\n ", "").split("BEGIN:VEVENT")
    m9 = next(e for e in events if "302-M9@" in e)
    assert "STATUS:CANCELLED" in m9 and "SEQUENCE:1" in m9
    assert "302 M9 cancelled (not in protocol version 2.0)" in m9
    m18 = next(e for e in events if "302-M18@" in e)
    assert "STATUS:CONFIRMED" in m18 and "SEQUENCE:0" in m18


def test_the_report_lists_the_weeks_moves_and_counts_deviations_per_version(folder):
    """The week 2011-W11 (03-14 … 03-20) holds the three moves of 2011-03-15."""
    result = run_cli("report", "--week", "2011-W11", "-o", "r.md", cwd=folder)
    assert result.exit_code == 0, result.stderr
    text = (folder / "r.md").read_text("utf-8")
    assert "| moves to a later protocol version in the week | 3 |" in text
    assert "## Moves to a later protocol version this week (3)" in text
    assert "| 301 | 2.0 | 2011-03-15 |" in text
    assert "| protocol version 1.0 |" in text and "| protocol version 2.0 |" in text
    assert run_cli("report", "--week", "2011-W11", "-o", "r.csv", cwd=folder).exit_code == 0
    header = (folder / "r.csv").read_text("utf-8-sig").splitlines()[0].split(",")
    assert header[-2:] == ["new_this_week", "protocol_version"]


def test_sdtm_numbers_every_code_of_every_version_once(folder):
    """VISITNUM over all versions in time order: D0 1, D7 2, D14 3, M1 4, M3 5, M6 6, M9 7,
    M12 8, M18 9 — the same for every participant whichever version they follow."""
    result = run_cli("export", "sdtm", "--as-of", "2011-04-01", "-o", "sdtm", cwd=folder)
    assert result.exit_code == 0, result.stderr
    tv = {r["VISIT"].split(" (")[0]: r["VISITNUM"] for r in rows(folder / "sdtm" / "tv.csv")}
    assert list(tv.values()) == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    sv = rows(folder / "sdtm" / "sv.csv")
    assert {r["VISITNUM"] for r in sv if r["USUBJID"].endswith("-305")} <= {"1", "2", "3", "4", "5", "6", "7", "8"}


@pytest.mark.parametrize(("change", "said"), [
    (("id = \"NCT01143168\"", "id = \"OTHER\""), "the versions of one study share its id"),
    (("version = \"1.0\"", "version = \"2.0\""), "version 2.0 is also"),
    (("effective = 2010-08-01", "effective = 2011-06-01"), "protocol.toml is the latest version"),
    (("effective = 2010-08-01\n", ""), "version 1.0 has no 'effective' date"),
    (("code = \"D7\"\n", "code = \"D7\"\nvisitnum = 12\n"), "a code keeps its SDTM VISITNUM across versions"),
])
def test_versions_that_cannot_be_used_together_are_refused_naming_the_file(folder, change, said):
    path = folder / "protocols" / "1.0.toml"
    text = path.read_text("utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    if "visitnum" in change[1]:
        current = folder / "protocol.toml"
        current.write_text(current.read_text("utf-8").replace("code = \"D7\"\n", "code = \"D7\"\nvisitnum = 2\n", 1),
                           encoding="utf-8")
    result = run_cli("check", "--as-of", "2011-04-01", cwd=folder)
    assert result.exit_code == 2
    assert said in result.stderr
    assert "1.0.toml" in result.stderr or "protocol.toml" in result.stderr


def test_a_code_that_changes_its_anchor_is_a_warning_of_protocol(folder):
    path = folder / "protocol.toml"
    text = path.read_text("utf-8")
    start = text.index('code = "M3"')
    path.write_text(text[:start] + text[start:].replace('anchor = "D0"', 'anchor = "D14"', 1), encoding="utf-8")
    result = run_cli("protocol", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "visit M3 changes its anchor from version 1.0 to 2.0" in result.stderr


def test_no_output_is_written_over_the_version_history_or_the_versions(folder):
    for target in ("versions.csv", "protocols/out.csv"):
        result = run_cli("check", "--as-of", "2011-04-01", "-o", target, cwd=folder)
        assert result.exit_code == 2, target
    assert rows(folder / "versions.csv")[0]["participant_id"] == "301"


def test_json_carries_the_version_of_each_row(folder):
    assert run_cli("due", "--as-of", "2011-04-01", "-o", "d.json", cwd=folder).exit_code == 0
    due = json.loads((folder / "d.json").read_text("utf-8"))
    # 304's D14 (2.0: 03-31 … 04-06) is due; 302's M3 (1.0 and 2.0 alike, 2011-04-10 ± 7, opened
    # 04-03 after the move: 2.0) opens within 14 days.
    assert {(r["participant_id"], r["visit_code"], r["protocol_version"]) for r in due} >= {
        ("304", "D14", "2.0"), ("302", "M3", "2.0")}


def test_adding_a_version_to_a_folder_with_a_trail_is_recorded_by_amend_add_version(tmp_path):
    """A study on 1.0 with a trail; the nurse keeps 1.0 in protocols/ and puts 2.0 in
    protocol.toml: changes are refused until amend --add-version records it; verify then
    passes, and the trail's line keeps the protocol digests before and after."""
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(SAMPLE / "protocols" / "1.0.toml", folder / "protocol.toml")
    (folder / "participants.csv").write_text(
        "participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site\n301,2010-09-01,,,01\n", "utf-8")
    (folder / "visits.csv").write_text("participant_id,visit_code,actual_date,reason\n", "utf-8")
    assert run_cli("record", "301", "D0", "2010-09-01", cwd=folder).exit_code == 0
    (folder / "protocols").mkdir()
    shutil.copy(folder / "protocol.toml", folder / "protocols" / "1.0.toml")
    shutil.copy(SAMPLE / "protocol.toml", folder / "protocol.toml")
    refused = run_cli("record", "301", "D7", "2010-09-08", cwd=folder)
    assert refused.exit_code == 2 and "amend --add-version" in refused.stderr
    assert run_cli("verify", cwd=folder).exit_code == 1
    added = run_cli("amend", "--add-version", "--reason", "amendment 2.0 approved 2011-02-20", cwd=folder)
    assert added.exit_code == 0, added.stderr
    assert "Recorded protocol version 2.0 (effective 2011-03-01)" in added.stdout
    assert run_cli("verify", cwd=folder).exit_code == 0
    line = [r for r in rows(folder / "audit.csv") if r["action"] == "add version" and r["step"] == "value"][0]
    assert line["reason"] == "amendment 2.0 approved 2011-02-20"
    assert line["old_value"].startswith("protocol.toml=") and "protocols/1.0.toml=" in line["new_value"]
    again = run_cli("amend", "--add-version", "--reason", "twice", cwd=folder)
    assert again.exit_code == 2 and "nothing to record" in again.stderr
    assert run_cli("record", "301", "D7", "2010-09-08", cwd=folder).exit_code == 0


def test_a_visit_the_plan_no_longer_has_is_refused_by_record_with_the_way_out(folder):
    """301 moved to 2.0, which has no M9: record refuses it and names UNS."""
    before = (folder / "visits.csv").read_bytes()
    result = run_cli("record", "301", "M9", "2011-05-29", cwd=folder)
    assert result.exit_code == 2
    assert ("M9 is not in 301's plan: protocol version 2.0, which 301 follows, does not have it" in result.stderr
            and "visit-scheduler record 301 UNS DATE" in result.stderr)
    assert (folder / "visits.csv").read_bytes() == before


def test_an_enrollment_before_every_version_is_refused_by_enroll(folder):
    before = (folder / "participants.csv").read_bytes()
    result = run_cli("enroll", "306", "--date", "2010-07-15", cwd=folder)
    assert result.exit_code == 2
    assert "before the first protocol version takes effect (2010-08-01)" in result.stderr
    assert (folder / "participants.csv").read_bytes() == before


def test_a_withdrawal_before_a_move_is_refused_naming_the_move(folder):
    result = run_cli("withdraw", "301", "--date", "2011-03-10", "--reason", "moved away", cwd=folder)
    assert result.exit_code == 2
    assert "the move is dated on or after the participant's withdrawal (value '2011-03-15')" in result.stderr


def _study(tmp_path: Path, earlier: str, current: str, roster: str, visits: str = "") -> Path:
    folder = tmp_path / "small"
    (folder / "protocols").mkdir(parents=True)
    (folder / "protocols" / "1.0.toml").write_text(earlier, "utf-8")
    (folder / "protocol.toml").write_text(current, "utf-8")
    (folder / "participants.csv").write_text(roster, "utf-8")
    (folder / "visits.csv").write_text("participant_id,visit_code,actual_date,reason\n" + visits, "utf-8")
    return folder


def _visit(code: str, anchor: str, day: int, plus: int, arms: str = "") -> str:
    return (f'[[visits]]\ncode = "{code}"\nname = "{code}"\nkind = "follow-up"\nanchor = "{anchor}"\n'
            f"day = {day}\nminus = {plus}\nplus = {plus}\n{arms}\n")


HEAD = '[study]\nid = "SMALL"\ntimezone = "Asia/Shanghai"\nversion = "{v}"\neffective = {e}\n{extra}\n'


def test_a_visit_kept_under_the_old_rule_hangs_on_its_anchor_as_the_participant_follows_it(tmp_path):
    """1.0: A Day 30 ± 2 from enrollment; B = A + 1 ± 10. 2.0 (from 2011-03-20): A Day 60 ± 2,
    no B. Enrolled 2011-03-01: A 03-31 (03-29 … 04-02), B 04-01 (03-22 … 04-11). Moved on
    03-25: A's old window opens 03-29, after the move → 2.0: 03-01 + 60 = 04-30 (04-28 …
    05-02). B's old window opened 03-22, before the move → it keeps 1.0's rule (judged by
    the window it had, not by one hung on A's new target), hung on A as followed now:
    04-30 + 1 = 05-01 (04-21 … 05-11)."""
    folder = _study(tmp_path, HEAD.format(v="1.0", e="2011-01-01", extra="") + _visit("A", "enrollment", 30, 2)
                    + _visit("B", "A", 1, 10),
                    HEAD.format(v="2.0", e="2011-03-20", extra="") + _visit("A", "enrollment", 60, 2),
                    "participant_id,enrollment_date\np1,2011-03-01\n")
    assert run_cli("amend", "p1", "--to", "2.0", "--date", "2011-03-25", "--reason", "re-consent",
                   cwd=folder).exit_code == 0
    assert plan(folder, "p1", "2011-03-26") == {"A": ("2011-04-28", "2011-05-02", "2.0"),
                                                "B": ("2011-04-21", "2011-05-11", "1.0")}


ARMS = '[[arms]]\ncode = "A"\nname = "A"\n\n[[arms]]\ncode = "B"\nname = "B"\n\n'


def test_arms_per_version_decide_which_visits_each_participant_has(tmp_path):
    """1.0: D0 for both arms, D14 (Day 14 ± 2) for arm A only, M6 (Day 180 ± 14) for arm B
    only. 2.0 (from 2011-03-10): D14 for both arms, M6 for arm A only. b1 (arm B, enrolled
    2011-03-01) moves on 03-12: 2.0's D14 (03-13 … 03-17) is still open → b1 has it, 2.0.
    b2 (arm B, enrolled 2011-03-02, still on 1.0) has M6 (1.0, arm B): its record is used."""
    arm_a, arm_b = 'arms = ["A"]\n', 'arms = ["B"]\n'
    folder = _study(tmp_path,
                    HEAD.format(v="1.0", e="2011-01-01", extra="") + ARMS + _visit("D0", "enrollment", 0, 0)
                    + _visit("D14", "D0", 14, 2, arm_a) + _visit("M6", "D0", 180, 14, arm_b),
                    HEAD.format(v="2.0", e="2011-03-10", extra="") + ARMS + _visit("D0", "enrollment", 0, 0)
                    + _visit("D14", "D0", 14, 2) + _visit("M6", "D0", 180, 14, arm_a),
                    "participant_id,enrollment_date,arm\nb1,2011-03-01,B\nb2,2011-03-02,B\n",
                    "b2,M6,2011-08-29,\n")
    assert run_cli("amend", "b1", "--to", "2.0", "--date", "2011-03-12", "--reason", "re-consent",
                   cwd=folder).exit_code == 0
    b1 = plan(folder, "b1", "2011-09-01")
    assert b1["D14"] == ("2011-03-13", "2011-03-17", "2.0") and "M6" not in b1
    result = run_cli("check", "--as-of", "2011-09-01", "-o", "c.csv", cwd=folder)
    assert result.exit_code == 0, result.stderr            # b2's M6 record is no data problem
    b2 = {r["visit_code"]: r["status"] for r in rows(folder / "c.csv") if r["participant_id"] == "b2"}
    assert b2 == {"D0": "missed", "M6": "in_window"}        # 03-02 + 180 = 08-29


def test_record_follows_the_arms_of_the_version_in_force(tmp_path):
    """The same two versions as above: b2 (arm B, on 1.0) records M6, which 1.0 gives arm B."""
    arm_a, arm_b = 'arms = ["A"]\n', 'arms = ["B"]\n'
    folder = _study(tmp_path,
                    HEAD.format(v="1.0", e="2011-01-01", extra="") + ARMS + _visit("D0", "enrollment", 0, 0)
                    + _visit("M6", "D0", 180, 14, arm_b),
                    HEAD.format(v="2.0", e="2011-03-10", extra="") + ARMS + _visit("D0", "enrollment", 0, 0)
                    + _visit("M6", "D0", 180, 14, arm_a),
                    "participant_id,enrollment_date,arm\nb2,2011-03-02,B\n")
    result = run_cli("record", "b2", "M6", "2011-08-29", cwd=folder)
    assert result.exit_code == 0, result.stderr


def test_add_version_refuses_an_earlier_version_edited_in_place(folder):
    """The sample with a trail (the first change writes it); protocols/1.0.toml then edited
    (D14 ± 2 → ± 9): not an addition — refused, pointing to verify --accept."""
    assert run_cli("amend", "302", "--undo", "--reason", "moved in error", cwd=folder).exit_code == 0
    earlier = folder / "protocols" / "1.0.toml"
    text = earlier.read_text("utf-8")
    start = text.index('code = "D14"')
    earlier.write_text(text[:start] + text[start:].replace("minus = 2", "minus = 9", 1), "utf-8")
    result = run_cli("amend", "--add-version", "--reason", "typo", cwd=folder)
    assert result.exit_code == 2
    assert "protocols/1.0.toml: an earlier protocol version changed since the audit trail recorded it" in result.stderr
    assert run_cli("verify", cwd=folder).exit_code == 1


def test_a_missing_protocol_toml_beside_versions_is_refused_never_the_built_in(folder):
    (folder / "protocol.toml").unlink()
    result = run_cli("check", "--as-of", "2011-04-01", cwd=folder)
    assert result.exit_code == 2
    assert "protocol.toml is missing, but the study folder has protocol versions" in result.stderr


def test_undo_refuses_to_orphan_a_visit_recorded_under_the_new_version(folder):
    """301 moved to 2.0 and its M18 (2.0 only) recorded: undoing the move would drop it."""
    assert run_cli("record", "301", "M18", "2012-02-28", cwd=folder).exit_code == 0
    before = (folder / "versions.csv").read_bytes()
    result = run_cli("amend", "301", "--undo", "--reason", "wrong", cwd=folder)
    assert result.exit_code == 2 and "301 M18: recorded, and only protocol version 2.0 has them" in result.stderr
    assert (folder / "versions.csv").read_bytes() == before


def test_a_refused_by_writes_nothing_not_even_the_trails_first_line(folder):
    result = run_cli("amend", "301", "--undo", "--reason", "ok", "--by", "=x", cwd=folder)
    assert result.exit_code == 2
    assert not (folder / "audit.csv").exists() and not (folder / "audit").exists()


@pytest.mark.parametrize(("line", "said"), [
    ("301,2.0,2027-03-15", "the move is dated after today"),
    ("301,2.0,2011-03-15,extra", "the line has more cells than the header"),
])
def test_a_version_history_edited_by_hand_is_refused_naming_the_line(folder, line, said):
    (folder / "versions.csv").write_text(f"participant_id,protocol_version,move_date\n{line}\n", "utf-8")
    result = run_cli("check", "--as-of", "2011-04-01", cwd=folder)
    assert result.exit_code == 2 and "versions.csv:2" in result.stderr and said in result.stderr


def test_hidden_and_lock_files_in_protocols_are_not_versions(folder):
    (folder / "protocols" / "._1.0.toml").write_bytes(b"\x00\x05\x16\x07 Mac metadata")
    (folder / "protocols" / "~$1.0.toml").write_bytes(b"lock")
    assert run_cli("check", "--as-of", "2011-04-01", cwd=folder).exit_code == 0


def test_a_version_name_like_a_formula_is_refused(folder):
    path = folder / "protocol.toml"
    path.write_text(path.read_text("utf-8").replace('version = "2.0"', 'version = "=HYPERLINK(1)"'), "utf-8")
    result = run_cli("protocol", cwd=folder)
    assert result.exit_code == 2 and "'version' must begin with a letter or a digit" in result.stderr


def test_the_calendar_cancels_a_published_visit_an_undo_took_out_of_the_plan(folder):
    """301 on 2.0 has M18 (published); the move undone: M18 comes back CANCELLED, once."""
    assert run_cli("calendar", "--as-of", "2011-04-01", "-o", "one.ics", cwd=folder).exit_code == 0
    assert "301 M18 target 2012-02-28" in (folder / "one.ics").read_text("utf-8")
    assert run_cli("amend", "301", "--undo", "--reason", "moved in error", cwd=folder).exit_code == 0
    for name in ("two.ics", "three.ics"):
        assert run_cli("calendar", "--as-of", "2011-04-01", "-o", name, cwd=folder).exit_code == 0
        events = (folder / name).read_text("utf-8").replace("\r\n ", "").split("BEGIN:VEVENT")
        m18 = next(e for e in events if "-301-M18@" in e)
        assert "STATUS:CANCELLED" in m18 and "SEQUENCE:1" in m18
        assert "301 M18 cancelled (no longer in the plan)" in m18
