"""Holes hostile testing found in the readers, each closed and tried through the real CLI:
mixed and foreign encodings, Excel's "000" number formats, hidden sheets, IDs with control
characters or full-width digits, two-digit years under --date-format, and visits lines with
an unquoted comma."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from .conftest import run_cli, write

ROSTER = "participant_id,enrollment_date\n007,2010-09-10\n008,2010-09-10\n"
VISITS_HEADER = "participant_id,visit_code,actual_date,reason\n"
GB18030_NOTE = ("the file is not UTF-8 text: read as GB18030 (Chinese Windows' encoding) — "
                "if a name or reason looks wrong, give its encoding with --encoding")


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def check(folder: Path, *extra: str):
    return run_cli("check", "--as-of", "2010-09-20", "-o", "c.csv", *extra, cwd=folder)


def statuses(folder: Path) -> dict[tuple[str, str], str]:
    return {(row["participant_id"], row["visit_code"]): row["status"] for row in rows_of(folder / "c.csv")}


# 1. Encodings ---------------------------------------------------------------------------

def test_a_utf8_file_with_a_gbk_line_is_refused_naming_the_line(tmp_path: Path):
    """Mostly UTF-8, one line pasted in GBK: reading it all as GB18030 would garble every
    other line, so nothing is read (exit 2) and the line is named."""
    write(tmp_path, "participants.csv", ROSTER)
    (tmp_path / "visits.csv").write_bytes(
        (VISITS_HEADER + "007,D0,2010-09-11,导管室不可用\n").encode("utf-8")
        + "008,D0,2010-09-11,患者出差\n".encode("gbk") + b"007,D7,2010-09-17,\n")
    result = check(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: visits.csv: the file mixes two text encodings: it is UTF-8 but for 1 line (another "
        "encoding, such as GBK, was pasted or appended) — nothing is read, since either way some "
        "lines would be garbled",
        "visits.csv:3: this line is not UTF-8 text (value '008,D0,2010-09-11,���߳���') — retype its "
        "text, then save the file as UTF-8 ('CSV UTF-8' in Excel)",
    ]
    assert not (tmp_path / "c.csv").exists()


def test_a_roster_mixing_encodings_is_refused_too(tmp_path: Path):
    """The participants file: same rule, every such line listed."""
    (tmp_path / "participants.csv").write_bytes(
        "participant_id,name,enrollment_date\n001,王芳,2010-09-10\n002,李娜,2010-09-10\n".encode()
        + "003,张伟,2010-09-10\n".encode("gbk") + "004,刘洋,2010-09-10\n".encode("gbk"))
    result = check(tmp_path)
    assert result.exit_code == 2
    assert "it is UTF-8 but for 2 lines" in result.stderr
    assert [line.split(":")[1] for line in result.stderr.splitlines()[1:]] == ["4", "5"]


def test_a_gbk_file_is_read_and_its_encoding_named(tmp_path: Path):
    """A file that is GBK throughout (Excel's plain CSV on Chinese Windows) is read as
    GB18030, and one line says so, for each file."""
    (tmp_path / "participants.csv").write_bytes(
        "participant_id,姓名,enrollment_date\n007,王芳,2010-09-10\n".encode("gbk"))
    (tmp_path / "visits.csv").write_bytes((VISITS_HEADER + "007,D0,2010-09-11,导管室不可用\n").encode("gbk"))
    result = check(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert f"Warning: participants.csv: {GB18030_NOTE}" in result.stderr.splitlines()
    assert f"Warning: visits.csv: {GB18030_NOTE}" in result.stderr.splitlines()
    assert rows_of(tmp_path / "c.csv")[0]["reason"] == "导管室不可用"


def test_a_latin1_file_is_not_read_as_chinese(tmp_path: Path):
    """Latin-1 "Müller" would become "M黮ler" as GB18030: refused with --encoding named;
    with --encoding it is read, and that is said."""
    (tmp_path / "participants.csv").write_bytes(
        "participant_id,name,enrollment_date\n007,Müller,2010-09-10\n008,Sánchez,2010-09-10\n".encode("latin-1"))
    (tmp_path / "visits.csv").write_bytes((VISITS_HEADER + "007,D0,2010-09-10,\n").encode("latin-1"))
    result = check(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: participants.csv: the file is not UTF-8 text, and read as Chinese (GB18030) its letters "
        "would be garbled: it looks like cp1252 text — give its encoding with --encoding, for example "
        "--encoding cp1252, or save it as 'CSV UTF-8' in Excel"]
    result = check(tmp_path, "--encoding", "cp1252")
    assert result.exit_code == 0, result.stderr
    assert "Warning: participants.csv: read as cp1252 text, as --encoding says" in result.stderr.splitlines()


def test_a_file_with_a_byte_order_mark_names_utf16(tmp_path: Path):
    """Excel's "Unicode Text" (UTF-16 with its mark) is read, and named."""
    (tmp_path / "participants.csv").write_bytes("participant_id,姓名,enrollment_date\n007,王芳,2010-09-10\n"
                                                .encode("utf-16"))
    result = check(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert ("Warning: participants.csv: read as UTF-16 text, as the file's first bytes (byte-order mark) say"
            in result.stderr.splitlines())


def test_utf8_files_say_nothing_about_their_encoding(tmp_path: Path):
    write(tmp_path, "participants.csv", "participant_id,姓名,enrollment_date\n007,王芳,2010-09-10\n")
    result = check(tmp_path)
    assert result.exit_code == 0 and "UTF-8" not in result.stderr and "GB18030" not in result.stderr


# 2 and 3. Workbooks ----------------------------------------------------------------------

def roster_workbook(path: Path) -> None:
    """A hidden first sheet (an old list), then the roster, whose IDs are numbers shown
    through "000" (and "00000") number formats."""
    from openpyxl import Workbook

    workbook = Workbook()
    old = workbook.active
    old.title = "Old"
    old.append(["participant_id", "enrollment_date"])
    old.append(["X1", dt.date(2009, 1, 1)])
    old.sheet_state = "hidden"
    roster = workbook.create_sheet("Roster")
    roster.append(["participant_id", "enrollment_date", "site"])
    roster.append([7, dt.date(2010, 9, 10), 1])
    roster.append([8, dt.date(2010, 9, 10), 1])
    roster.append([12, dt.date(2010, 9, 10), 2])
    roster.append([13.0, dt.date(2010, 9, 10), 2])
    for cell in ("A2", "A3", "C2", "C3", "C4", "C5"):
        roster[cell].number_format = "000" if cell[0] == "A" else "00"
    roster["A4"].number_format = "00000"
    workbook.save(path)


def test_excel_ids_shown_through_a_zeros_format_are_read_as_shown(tmp_path: Path):
    """7 shown as 007 is 007 (and matches the visits file's 007); 12 through "00000" is
    00012; a number without such a format stays as it is (13)."""
    roster_workbook(tmp_path / "participants.xlsx")
    write(tmp_path, "visits.csv", VISITS_HEADER + "007,D0,2010-09-10,\n008,D0,2010-09-10,\n")
    result = check(tmp_path)
    assert result.exit_code == 0, result.stderr
    found = statuses(tmp_path)
    assert found[("007", "D0")] == found[("008", "D0")] == "in_window"
    assert {row["participant_id"] for row in rows_of(tmp_path / "c.csv")} == {"007", "008", "00012", "13"}


def test_a_visits_workbook_reads_its_cells_as_shown_too(tmp_path: Path):
    """Every text cell of a workbook, the visits file's too: 7 shown as 007 is roster's 007."""
    from openpyxl import Workbook

    write(tmp_path, "participants.csv", ROSTER)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["participant_id", "visit_code", "actual_date"])
    sheet.append([7, "D0", dt.date(2010, 9, 10)])
    sheet.append([8, "D0", dt.date(2010, 9, 10)])
    sheet["A2"].number_format = "000"
    workbook.save(tmp_path / "visits.xlsx")
    result = check(tmp_path)
    assert result.exit_code == 1
    assert statuses(tmp_path)[("007", "D0")] == "in_window"
    assert ("visits.xlsx (sheet Sheet):3: column participant_id: participant not in the participants file "
            "(value '8') — did you mean 008?") in result.stderr


def test_a_hidden_first_sheet_is_skipped_and_sheet_still_names_any(tmp_path: Path):
    """Without --sheet the first visible sheet is read; --sheet Old reads the hidden one."""
    roster_workbook(tmp_path / "participants.xlsx")
    result = check(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "X1" not in {row["participant_id"] for row in rows_of(tmp_path / "c.csv")}
    result = run_cli("check", "--as-of", "2010-09-20", "-o", "old.csv", "--sheet", "Old", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert {row["participant_id"] for row in rows_of(tmp_path / "old.csv")} == {"X1"}


# 4. IDs ----------------------------------------------------------------------------------

def test_full_width_ids_are_the_same_participant(tmp_path: Path):
    """００９ (typed with a Chinese input method) is 009, in the roster and the visits file."""
    write(tmp_path, "participants.csv", "participant_id,enrollment_date\n００９,2010-09-10\nＡ１０,2010-09-10\n")
    write(tmp_path, "visits.csv", VISITS_HEADER + "009,D0,2010-09-10,\nA10,D0,2010-09-10,\n００９,D7,2010-09-17,\n")
    result = check(tmp_path)
    assert result.exit_code == 0, result.stderr
    found = statuses(tmp_path)
    assert found[("009", "D0")] == found[("009", "D7")] == found[("A10", "D0")] == "in_window"
    assert {row["participant_id"] for row in rows_of(tmp_path / "c.csv")} == {"009", "A10"}


def test_a_full_width_and_a_plain_id_are_one_participant_listed_twice(tmp_path: Path):
    write(tmp_path, "participants.csv", "participant_id,enrollment_date\n００９,2010-09-10\n009,2010-09-11\n")
    result = check(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        "participants.csv:2: column participant_id: participant 009 is listed twice (also on line 3) "
        "(value '００９') — keep one line per participant (full-width digits and letters, as a Chinese "
        "input method types them, are the same ID as plain ones)")


def test_roster_ids_with_control_characters_refuse_the_roster(tmp_path: Path):
    """A line break (quoted), a tab, a zero-width space inside an ID: each line listed, exit 2."""
    write(tmp_path, "participants.csv",
          'participant_id,enrollment_date\n001,2010-09-10\n"00\n2",2010-09-10\n0\t03,2010-09-10\n0\u200b04,2010-09-10\n')
    result = check(tmp_path)
    assert result.exit_code == 2
    fix = "— retype the ID without it (it may be invisible)"
    what = "column participant_id: the participant ID holds a line break or another control character"
    assert result.stderr.splitlines()[1:] == [
        f"participants.csv:3: {what} (value '00\\n2') {fix}",
        f"participants.csv:5: {what} (value '0\\t03') {fix}",
        f"participants.csv:6: {what} (value '0\\u200b04') {fix}",
    ]
    assert not (tmp_path / "c.csv").exists()


def test_visits_ids_with_control_characters_are_data_problems(tmp_path: Path):
    """In the visits file such a record is listed and left out; the others are used (exit 1)."""
    write(tmp_path, "participants.csv", ROSTER)
    write(tmp_path, "visits.csv", VISITS_HEADER + '007,D0,2010-09-10,\n"00\n8",D0,2010-09-10,\n008\x00,D7,2010-09-17,\n')
    result = check(tmp_path)
    assert result.exit_code == 2  # a NUL byte: not a text file at all
    write(tmp_path, "visits.csv", VISITS_HEADER + '007,D0,2010-09-10,\n"00\n8",D0,2010-09-10,\n00\u20288,D7,2010-09-17,\n')
    result = check(tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "visits.csv: 2 data problems (each record named is left out, unless it says it is used):",
        "  visits.csv:3: column participant_id: the participant ID holds a line break or another control "
        "character (value '00\\n8') — retype the ID without it (it may be invisible)",
        "  visits.csv:5: column participant_id: the participant ID holds a line break or another control "
        "character (value '00\\u20288') — retype the ID without it (it may be invisible)",
    ]
    assert statuses(tmp_path)[("007", "D0")] == "in_window"
    assert statuses(tmp_path)[("008", "D0")] == "missed"


# 5. Two-digit years ----------------------------------------------------------------------

def test_two_digit_years_under_a_four_digit_date_format_are_named(tmp_path: Path):
    """--date-format '%d/%m/%Y' on 25/03/10: not "a date that does not exist" but what it is."""
    write(tmp_path, "participants.csv", "participant_id,enrollment_date\n007,10/09/10\n008,10/09/2010\n")
    result = run_cli("check", "--date-format", "%d/%m/%Y", "--as-of", "2010-09-20", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: participants.csv: this file has two-digit years — re-save it with four: a year such as 10 "
        "could be 1910 or 2010, so the whole file is refused (1 such date)",
        "participants.csv:2: column enrollment_date: a date with a two-digit year (value '10/09/10') — in "
        "Excel, format the column as a date with a four-digit year (such as YYYY-MM-DD), then save the "
        "file again",
    ]


def test_two_digit_years_in_the_visits_file_are_named_too(tmp_path: Path):
    write(tmp_path, "participants.csv", "participant_id,enrollment_date\n007,10/09/2010\n")
    write(tmp_path, "visits.csv", VISITS_HEADER + "007,D0,10/09/2010,\n007,D7,17/09/10,\n")
    result = run_cli("check", "--date-format", "%d/%m/%Y", "--as-of", "2010-09-20", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: visits.csv: this file has two-digit years — re-save it with four")
    assert "visits.csv:3: column actual_date: a date with a two-digit year (value '17/09/10')" in result.stderr
    # A day that does not exist is still said as such.
    write(tmp_path, "visits.csv", VISITS_HEADER + "007,D0,31/09/2010,\n")
    result = run_cli("check", "--date-format", "%d/%m/%Y", "--as-of", "2010-09-20", cwd=tmp_path)
    assert result.exit_code == 1
    assert "column actual_date: a date that does not exist (value '31/09/2010')" in result.stderr


def test_an_encoding_that_gives_half_a_character_is_refused_with_a_message(tmp_path: Path):
    """utf-7 (or unicode_escape) can read bytes as half a UTF-16 pair, which no output can
    be written with: the file is refused naming where (it was an internal error, exit 3)."""
    write(tmp_path, "participants.csv", ROSTER)
    write(tmp_path, "visits.csv", VISITS_HEADER + "007,D0,2010-09-10,a+2D0-b\n")
    result = check(tmp_path, "--encoding", "utf-7")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: visits.csv: read as utf-7, the file holds a character that is not "
                                     "text (character 64) — leave out --encoding to let the file's encoding be "
                                     "found")


# 6. An unquoted comma in the visits file -------------------------------------------------

def test_a_visits_line_with_too_many_cells_is_a_data_problem(tmp_path: Path):
    """That record is listed and left out; the others are used, with their own lines (a
    quoted line break before it, a too-long first record too)."""
    write(tmp_path, "participants.csv", ROSTER)
    write(tmp_path, "visits.csv", VISITS_HEADER
          + "008,D0,2010-09-10,bus late, rain\n"
          + '007,D0,2010-09-11,"catheter lab\nclosed"\n'
          + "007,D7,2010-09-17,,\n"
          + "008,D7,2010-09-17,a,b,c\n"
          + "007,D9,2010-09-17,\n")
    result = check(tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:5] == [
        "visits.csv: 4 data problems (each record named is left out, unless it says it is used):",
        "  visits.csv:2: the line has 5 cells where the header has 4 — a value holding a comma needs double quotes",
        "  visits.csv:5: the line has 5 cells where the header has 4 — a value holding a comma needs double quotes",
        "  visits.csv:6: the line has 6 cells where the header has 4 — a value holding a comma needs double quotes",
        "  visits.csv:7: column visit_code: visit code not in the protocol (value 'D9') — use one of the "
        "protocol's codes: D0, D7, D14, M1, M3, M6, M9, M12",
    ]
    found = statuses(tmp_path)
    assert found[("007", "D0")] == "late" and found[("008", "D0")] == "missed"
    assert found[("007", "D7")] == found[("008", "D7")] == "missed"


@pytest.mark.parametrize("quoted_break", [False, True])
def test_long_lines_are_named_by_their_line_whichever_way_the_file_is_read(tmp_path: Path, quoted_break: bool):
    """Every record one line: the lines pandas skips are the long ones (read once); with a
    quoted line break first (records and lines differ), the csv module says where each
    record starts. Both give the same problems, the second two lines further down."""
    first = '007,M1,,"catheter lab\nclosed"\n' if quoted_break else ""
    shift = 2 if quoted_break else 0  # that record takes lines 2 and 3
    write(tmp_path, "participants.csv", ROSTER)
    write(tmp_path, "visits.csv", VISITS_HEADER + first
          + "007,D0,2010-09-11,\n"              # line 2: used (late: D0 ± 0 on 2010-09-10)
          + "008,D0,2010-09-10,bus late, rain\n"  # line 3: 5 cells
          + '007,D7,2010-09-17,"a, b",\n'        # line 4: 5 cells, one of them quoted
          + "008,D7,2010-09-17,a,b,c\n"           # line 5: 6 cells
          + "007,D9,2010-09-17,\n"                # line 6: no such visit
          + '008,D14,2010-09-25,"a, b"\n')        # line 7: 4 cells, a quoted comma (after as-of: left out)
    result = check(tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:5] == [
        f"  visits.csv:{3 + shift}: the line has 5 cells where the header has 4 — a value holding a comma needs "
        "double quotes",
        f"  visits.csv:{4 + shift}: the line has 5 cells where the header has 4 — a value holding a comma needs "
        "double quotes",
        f"  visits.csv:{5 + shift}: the line has 6 cells where the header has 4 — a value holding a comma needs "
        "double quotes",
        f"  visits.csv:{6 + shift}: column visit_code: visit code not in the protocol (value 'D9') — use one of "
        "the protocol's codes: D0, D7, D14, M1, M3, M6, M9, M12",
    ]
    found = statuses(tmp_path)
    assert found[("007", "D0")] == "late" and found[("008", "D0")] == "missed"
    assert found[("007", "D7")] == found[("008", "D7")] == "missed"


def test_a_first_line_ending_in_a_comma_is_a_long_line_too(tmp_path: Path):
    """pandas takes a first record with a comma at its end (5 cells) as the width of every
    line and skips only longer ones: the lines it skips are then not all the long lines, and
    the csv module reads the file (found by review: the quick way left line 2 in)."""
    write(tmp_path, "participants.csv", ROSTER)
    write(tmp_path, "visits.csv", VISITS_HEADER
          + "007,D0,2010-09-11,,\n"               # line 2: 5 cells (the last empty)
          + "008,D0,2010-09-10,\n"                # line 3: used
          + "008,D7,2010-09-17,late, traffic, rain\n")  # line 4: 6 cells
    result = check(tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:3] == [
        "  visits.csv:2: the line has 5 cells where the header has 4 — a value holding a comma needs double quotes",
        "  visits.csv:4: the line has 6 cells where the header has 4 — a value holding a comma needs double quotes",
    ]
    found = statuses(tmp_path)
    assert found[("007", "D0")] == "missed" and found[("008", "D0")] == "in_window"


UNNAMED_FIX = "name that column in line 1, or put double quotes around a value holding a comma"


def test_a_value_under_an_empty_header_cell_is_said_and_the_record_used(tmp_path: Path):
    """A header saved with a comma at its end ("…,reason,") has an empty fifth cell: lines
    that end with an empty cell are as they should be, but "late,rain" (an unquoted comma)
    or a note in a column without a name puts a value under no name — the reason would be
    "late" without a word. The line is listed, its record used as it is (the date is right:
    a missed visit would be wrong); a line longer than the whole header is counted against
    the four names, whether or not other lines follow."""
    write(tmp_path, "participants.csv", ROSTER)
    write(tmp_path, "visits.csv", VISITS_HEADER.replace("reason\n", "reason,\n")
          + "007,D0,2010-09-11,,\n"             # line 2: late (D0 ± 0 on 2010-09-10)
          + "008,D0,2010-09-10,late,rain\n"     # line 3: a value under the empty cell
          + "008,D7,2010-09-17,seen\n"          # line 4: 4 cells, in window (2010-09-17 ± 1)
          + "007,D7,2010-09-17,a,b,c\n")        # line 5: 6 cells
    result = check(tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "visits.csv: 2 data problems (each record named is left out, unless it says it is used):",
        f"  visits.csv:3: cell 5 is under an empty cell of the header (value 'rain') — {UNNAMED_FIX}; "
        "the record is used as it is",
        "  visits.csv:5: the line has 6 cells where the header has 4 — a value holding a comma needs double quotes",
    ]
    found = statuses(tmp_path)
    assert found[("007", "D0")] == "late" and found[("008", "D0")] == "in_window"
    assert found[("008", "D7")] == "in_window" and found[("007", "D7")] == "missed"
    rows = {(row["participant_id"], row["visit_code"]): row for row in rows_of(tmp_path / "c.csv")}
    assert rows[("008", "D0")]["reason"] == "late" and rows[("008", "D7")]["reason"] == "seen"
    status = run_cli("status", "008", "--as-of", "2010-09-20", cwd=tmp_path)
    assert status.exit_code == 1 and "visits.csv:3: cell 5 is under an empty cell" in status.stderr
    assert "cell 5" not in run_cli("status", "007", "--as-of", "2010-09-20", cwd=tmp_path).stderr
    # Every line ending in an empty cell under it: nothing to say.
    write(tmp_path, "visits.csv", VISITS_HEADER.replace("reason\n", "reason,\n") + "007,D0,2010-09-10,,\n")
    result = check(tmp_path)
    assert result.exit_code == 0 and "cell" not in result.stderr
    # A long line alone (no record left beside it) is counted against the names too.
    write(tmp_path, "visits.csv", VISITS_HEADER.replace("reason\n", "reason,\n") + "007,D0,2010-09-10,a,b,c\n")
    assert "visits.csv:2: the line has 6 cells where the header has 4" in check(tmp_path).stderr


def test_a_roster_value_under_an_empty_header_cell_refuses_the_file(tmp_path: Path):
    """In the participants file (where every problem stops the command) the same value
    refuses the file, named by its line and the separator the file uses; a line longer than
    the whole header is counted against the names."""
    write(tmp_path, "participants.csv", "participant_id;enrollment_date;\n007;2010-09-10;\n008;2010-09-10;x\n")
    write(tmp_path, "visits.csv", VISITS_HEADER)
    result = check(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: participants.csv:3: cell 3 is under an empty cell of the header "
                                     "(value 'x') — name that column in line 1, or put double quotes around a "
                                     "value holding a semicolon")
    for roster in ("participant_id,enrollment_date,\n007,2010-09-10,,x\n",
                   "participant_id,enrollment_date,\n007,2010-09-10,\n008,2010-09-10,,x\n"):
        write(tmp_path, "participants.csv", roster)  # the long line first, or after another
        assert "the line has 4 cells where the header has 2" in check(tmp_path).stderr


def test_status_of_one_participant_lists_only_their_long_lines(tmp_path: Path):
    write(tmp_path, "participants.csv", ROSTER)
    write(tmp_path, "visits.csv", VISITS_HEADER + "007,D0,2010-09-10,\n008,D0,2010-09-10,x,y\n")
    result = run_cli("status", "007", "--as-of", "2010-09-20", cwd=tmp_path)
    assert result.exit_code == 0 and "cells" not in result.stderr
    result = run_cli("status", "008", "--as-of", "2010-09-20", cwd=tmp_path)
    assert result.exit_code == 1 and "visits.csv:3: the line has 5 cells" in result.stderr


def test_the_participants_file_still_refuses_such_a_line(tmp_path: Path):
    write(tmp_path, "participants.csv", ROSTER + "009,2010-09-10,x\n")
    result = check(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: participants.csv:4: the line has 3 cells where the header has 2 — "
                                     "a value holding a comma needs double quotes")
