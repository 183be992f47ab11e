"""Reading site files: IDs as text, encodings, workbooks, headers, date forms, roster problems."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.sources.roster import ID_PATTERN, _starts_well
from scheduler.sources.tables import SPACES, _edge_space, _spaces_at_edges

from .conftest import run_cli, run_process, write

HEADER = "participant_id,enrollment_date,withdrawal_date\n"


def schedule_rows(folder: Path, *extra: str) -> tuple[list[dict[str, str]], object]:
    result = run_cli("schedule", "-o", "s.csv", *extra, cwd=folder)
    if result.exit_code not in (0, 1):
        return [], result
    with open(folder / "s.csv", newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream)), result


def test_ids_stay_text(study):
    """"007" stays "007"; "7" is another participant."""
    rows, _ = schedule_rows(study(HEADER + "007,2010-09-01,\n7,2010-09-02,\n"))
    assert sorted({row["participant_id"] for row in rows}) == ["007", "7"]


def test_headers_ignore_case_and_spaces_cells_are_trimmed_blank_lines_skipped(study):
    """' Participant_ID ', ' 2010-09-01 ' and blank lines are read as meant."""
    folder = study(" Participant_ID , Enrollment_Date \n\n 007 , 2010-09-01 \n\n")
    rows, result = schedule_rows(folder)
    assert result.exit_code == 0
    assert rows[0]["participant_id"] == "007" and rows[0]["target_date"] == "2010-09-01"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings_are_found_without_options(tmp_path: Path, encoding: str):
    """UTF-8, UTF-8 with BOM (Excel "CSV UTF-8") and GBK/GB18030 (Excel on Chinese Windows)."""
    (tmp_path / "participants.csv").write_bytes(
        "participant_id,姓名,enrollment_date\n007,王芳,2010-09-01\n".encode(encoding))
    (tmp_path / "visits.csv").write_bytes(
        "participant_id,visit_code,actual_date,reason\n007,D0,2010-09-02,导管室不可用\n".encode(encoding))
    result = run_cli("check", "--as-of", "2010-09-03", "-o", "c.csv", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "c.csv").read_text("utf-8-sig")
    assert "007,D0,2010-09-01,2010-09-01,2010-09-01,2010-09-02,late,1,导管室不可用" in text
    assert "王芳" not in text


def test_encoding_option_overrides(tmp_path: Path):
    """--encoding names the encoding; a wrong one is explained, exit 2."""
    (tmp_path / "participants.csv").write_bytes(HEADER.encode() + b"007,2010-09-01,\n")
    assert run_cli("schedule", "--encoding", "latin-1", cwd=tmp_path).exit_code == 0
    result = run_cli("schedule", "--encoding", "klingon", cwd=tmp_path)
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.stderr


def test_year_first_forms_are_read(study):
    """2010-08-01, 2010/8/1, 2010.08.01, 20100801 and 2010年8月1日 are the same day."""
    folder = study(HEADER + "A,2010-08-01,\nB,2010/8/1,\nC,2010.08.01,\nD,20100801,\nE,2010年8月1日,\n")
    rows, result = schedule_rows(folder)
    assert result.exit_code == 0
    assert {row["target_date"] for row in rows if row["visit_code"] == "D0"} == {"2010-08-01"}


def test_day_first_dates_refuse_the_whole_file(study):
    """03/04/2010 could be either; 25/03/2010 too, since one file is never read two ways."""
    folder = study(HEADER + "A,25/03/2010,\nB,2010-03-04,\n")
    rows, result = schedule_rows(folder)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: participants.csv: dates written day-first or month-first cannot be read safely, "
        "so the whole file is refused (1 such date)",
        "participants.csv:2: column enrollment_date: a date written day-first or month-first "
        "(value '25/03/2010') — give the form with --date-format, for example "
        "--date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)",
    ]
    assert not (folder / "s.csv").exists()


def test_date_format_reads_day_first(study):
    """With --date-format '%d/%m/%Y': 03/04/2010 is 3 April; ISO dates are still read."""
    folder = study(HEADER + "A,03/04/2010,\nB,2010-03-04,\n")
    rows, result = schedule_rows(folder, "--date-format", "%d/%m/%Y")
    assert result.exit_code == 0
    d0 = {row["participant_id"]: row["target_date"] for row in rows if row["visit_code"] == "D0"}
    assert d0 == {"A": "2010-04-03", "B": "2010-03-04"}


def test_day_first_visits_file_is_refused_too(study):
    """The visits file is held to the same rule: exit 2, nothing written."""
    folder = study(HEADER + "A,2010-09-01,\n",
                   "participant_id,visit_code,actual_date\nA,D0,01/09/2010\n")
    result = run_cli("check", "-o", "c.csv", cwd=folder)
    assert result.exit_code == 2
    assert "visits.csv:2: column actual_date: a date written day-first or month-first" in result.stderr
    assert not (folder / "c.csv").exists()


def test_roster_problems_are_listed_at_once_and_stop_the_command(study):
    """Duplicate ID (both lines), empty or impossible enrollment date, formula-like ID,
    an Excel day number, withdrawal before enrollment: every one listed, exit 2, nothing written."""
    folder = study(HEADER + "001,2010-09-01,\n002,,\n001,2010-09-03,\n=cmd|' /C calc'!A0,2010-09-01,\n"
                            "004,2010-02-30,\n005,40391,\n006,2010-09-01,2010-08-01\n")
    rows, result = schedule_rows(folder)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:] == [
        "participants.csv:2: column participant_id: participant 001 is listed twice (also on line 4) (value '001') — keep one line per participant",
        "participants.csv:3: column enrollment_date: the date is empty — fill in the date as YYYY-MM-DD",
        "participants.csv:5: column participant_id: a participant ID must start with a letter or a digit (value '=cmd|' /C calc'!A0') — remove the leading sign or space",
        "participants.csv:6: column enrollment_date: a date that does not exist (value '2010-02-30') — this day does not exist in the calendar: check the day and the month",
        "participants.csv:7: column enrollment_date: a number where a date belongs (value '40391') — this looks like an Excel day number: format the column as a date (YYYY-MM-DD) in Excel before saving",
        "participants.csv:8: column withdrawal_date: withdrawal before enrollment (2010-09-01) (value '2010-08-01') — check both dates",
    ]
    assert result.stderr.startswith("Error: participants.csv: the participants file cannot be used "
                                    "until these 6 problems are fixed")
    assert not (folder / "s.csv").exists()


def test_missing_column_is_named_with_the_columns_found(study):
    """A roster without enrollment_date: the columns found are listed."""
    rows, result = schedule_rows(study("participant_id,enrolment\n001,2010-09-01\n"))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: participants.csv: required column enrollment_date missing (columns found: "
        "participant_id, enrolment) — the header line needs participant_id, enrollment_date; "
        "did you mean 'enrolment' for enrollment_date?")


def test_line_numbers_survive_quoted_line_breaks(study):
    """A reason with a line break inside quotes: later records keep their editor line."""
    visits = ('participant_id,visit_code,actual_date,reason\n'
              'A,D0,2010-09-03,"first line\nsecond line"\n'
              'A,D9,2010-09-08,\n')
    folder = study(HEADER + "A,2010-09-01,\n", visits)
    result = run_cli("check", "--as-of", "2010-09-10", cwd=folder)
    assert "visits.csv:4: column visit_code: visit code not in the protocol (value 'D9')" in result.stderr


def test_too_many_cells_names_the_line(study):
    """An unquoted comma inside a value: the line and the fix."""
    folder = study(HEADER + "A,2010-09-01,\nB,2010-09-01,,extra\n")
    rows, result = schedule_rows(folder)
    assert result.exit_code == 2
    assert "participants.csv:3: the line has 4 cells where the header has 3" in result.stderr


def make_workbook(path: Path, rows: list[list[object]], title: str = "Roster") -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def test_excel_workbooks_with_real_and_text_dates(tmp_path: Path):
    """Dates stored as real dates or as text, IDs as text or numbers; problems give the row and sheet."""
    make_workbook(tmp_path / "participants.xlsx", [
        ["Participant_ID", "Enrollment_Date", "Name"],
        ["007", dt.datetime(2010, 9, 1), "Wang Fang"],
        [8, "2010-09-02", "Li Na"],
    ])
    result = run_cli("schedule", "-o", "s.csv", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "s.csv").read_text("utf-8-sig")
    assert "007,D0,Transplantation 1 (pancreatic artery),2010-09-01" in text
    assert "8,D0,Transplantation 1 (pancreatic artery),2010-09-02" in text
    assert "Wang Fang" not in text
    make_workbook(tmp_path / "participants.xlsx", [["participant_id", "enrollment_date"],
                                                   ["007", "2010-02-30"]])
    result = run_cli("schedule", cwd=tmp_path)
    assert result.exit_code == 2
    assert "participants.xlsx (sheet Roster):2: column enrollment_date: a date that does not exist" in result.stderr


def test_sheet_option(tmp_path: Path):
    """--sheet picks the worksheet; an unknown one is named with the sheets there are."""
    make_workbook(tmp_path / "participants.xlsx", [["participant_id", "enrollment_date"],
                                                   ["A", dt.date(2010, 9, 1)]])
    result = run_cli("schedule", "--sheet", "Visits", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no sheet named 'Visits' (sheets: Roster)" in result.stderr
    assert run_cli("schedule", "--sheet", "Roster", cwd=tmp_path).exit_code == 0


def test_not_a_spreadsheet(tmp_path: Path):
    """Random bytes named .xlsx, an old .xls, a folder: each one clear line, exit 2, no traceback."""
    write(tmp_path, "participants.xlsx", "this is not a workbook")
    result = run_process("schedule", cwd=tmp_path)
    assert result.exit_code == 2 and "cannot be opened as an Excel workbook" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("schedule", "--participants", str(write(tmp_path, "old.xls", "x")))
    assert result.exit_code == 2 and "Excel 97–2003" in result.stderr


def test_windows_line_endings_keep_line_numbers(tmp_path: Path):
    """Excel on Windows writes CRLF; old Macs wrote CR: lines are counted as an editor does."""
    for ending in ("\r\n", "\r"):
        text = ending.join(["participant_id,enrollment_date", "001,2010-09-01", "002,2010-02-30", ""])
        (tmp_path / "participants.csv").write_bytes(text.encode())
        result = run_cli("schedule", cwd=tmp_path)
        assert result.exit_code == 2
        assert "participants.csv:3: column enrollment_date: a date that does not exist" in result.stderr


@pytest.mark.parametrize("pattern, why", [
    ("%Y", "the pattern has no day"),
    ("%d/%m", "the pattern has no year"),
    ("%d/%m/%y", "a two-digit year (%y) could be two centuries"),
    ("%Y-%m-%d%z", "%z is not allowed"),
    ("%d/%m/%Y %H:%M", "%H is not allowed"),
    ("%d/%Q/%m/%Y", "is not a pattern that reads dates back"),
])
def test_date_format_patterns_that_could_misread_are_refused(study, pattern, why):
    """A pattern that would fill in a missing part, shift across midnight or not parse: exit 2."""
    folder = study(HEADER + "A,2010-09-01,\n")
    result = run_cli("schedule", "--date-format", pattern, cwd=folder)
    assert result.exit_code == 2
    assert why in result.stderr


def test_a_column_repeated_in_the_header_refuses_the_file(study):
    """Two enrollment_date columns (one spelled "Enrollment Date"): which one is meant? exit 2."""
    rows, result = schedule_rows(study("participant_id,enrollment_date,Enrollment Date\n001,2010-09-01,2010-09-02\n"))
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: participants.csv:1: column enrollment_date appears twice "
                                     "in the header — keep one column of that name")


def test_blank_header_cells_in_a_workbook_are_ignored(tmp_path: Path):
    """Formatted but empty cells at the end of Excel's row 1 do not stop the roster."""
    make_workbook(tmp_path / "participants.xlsx", [["participant_id", "enrollment_date", None, None],
                                                   ["001", dt.date(2010, 9, 1), None, "note"]])
    result = run_cli("schedule", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr


def test_study_folder_files_are_found_whatever_the_capitals(tmp_path: Path):
    """Visits.CSV is the visits file; a .csv and an .xlsx of the same name refuse the command."""
    write(tmp_path, "participants.csv", HEADER + "001,2010-09-01,\n")
    write(tmp_path, "Visits.CSV", "participant_id,visit_code,actual_date\n001,D0,2010-09-01\n")
    result = run_cli("check", "--as-of", "2010-09-02", cwd=tmp_path)
    assert result.exit_code == 0 and "in 8 expected visits" in result.stdout
    assert "001             D0          2010-09-01   2010-09-01   2010-09-01    2010-09-01   in_window" in result.stdout
    make_workbook(tmp_path / "participants.xlsx", [["participant_id", "enrollment_date"], ["002", "2010-09-01"]])
    result = run_cli("check", "--as-of", "2010-09-02", cwd=tmp_path)
    assert result.exit_code == 2
    assert "has participants.csv and participants.xlsx — keep one, or name the one to use with --participants FILE" in result.stderr


def test_no_visits_file_is_said(study):
    """Without a visits file nothing counts as done: check says so (a warning, exit 0)."""
    folder = study(HEADER + "001,2010-09-01,\n")
    result = run_cli("check", "--as-of", "2010-09-02", cwd=folder)
    assert result.exit_code == 0
    assert "Warning: no visits file" in result.stderr
    assert "no visits file" not in run_cli("schedule", cwd=folder).stderr


def test_an_output_may_not_replace_an_input(study):
    """check -o visits.csv would destroy the nurse's records: refused, exit 2, file intact."""
    folder = study(HEADER + "001,2010-09-01,\n", "participant_id,visit_code,actual_date\n001,D0,2010-09-01\n")
    before = (folder / "visits.csv").read_bytes()
    result = run_cli("check", "-o", "visits.csv", cwd=folder)
    assert result.exit_code == 2 and "is one of the input files" in result.stderr
    assert (folder / "visits.csv").read_bytes() == before


def test_a_line_with_only_a_name_is_not_a_blank_line(study):
    """A roster line holding a name but no ID nor date is reported, not skipped as blank."""
    rows, result = schedule_rows(study("participant_id,name,enrollment_date\n001,Li,2010-09-01\n,Wang,\n"))
    assert result.exit_code == 2
    assert "participants.csv:3: column participant_id: the participant ID is empty" in result.stderr


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.sampled_from(["a", "7", ",", '"', " ", "\t", "\u3000", "\xa0", "\x1f", "\u2028", "中"]),
                        max_size=4), max_size=12))
def test_a_cell_to_trim_is_found_whatever_its_space(cells):
    """_edge_space (one search over the joined cells) says yes exactly when some cell has
    what str.strip takes off: an ideographic space (\\u3000), a no-break space, a tab."""
    assert _edge_space(np.array(cells, dtype=object)) == any(cell != cell.strip() for cell in cells)


def test_the_spaces_str_strip_takes_are_every_space():
    """SPACES is what str.isspace calls space, over every code point."""
    assert set(SPACES) == {code for code in range(sys.maxunicode + 1) if chr(code).isspace()}


def test_a_text_with_nothing_to_trim_is_said_so_whole():
    """The usual visits file — a quoted reason holding a comma and a space, spaces inside
    cells — has nothing to trim, told from the text alone; a cell that begins or ends with
    a space, anywhere, says yes, and so does a quote the reader takes as a letter."""
    header = "participant_id,visit_code,actual_date,reason\n"
    usual = header + 'P1,D0,2010-08-01,"transport problem, rescheduled"\nP2,D7,2010-08-08,public holiday\n'
    assert not _spaces_at_edges(usual, ",", True)
    assert not _spaces_at_edges(usual.replace("\n", "\n\n"), ",", True)  # blank lines
    assert not _spaces_at_edges(header + '"P1","D0","2010-08-01","late, a""b""c"\n', ",", True)
    for spaced in ("P1, D0,2010-08-01,\n", "P1,D0 ,2010-08-01,\n", "P1,D0,2010-08-01,late\u3000\n",
                   "P1,D0,2010-08-01,late \n", 'P1,D0,2010-08-01," late"\n', "\tP1,D0,2010-08-01,\n",
                   'P1,D0,2010-08-01,5" tall, late\n', "P1,D0,2010-08-01,late\xa0"):
        assert _spaces_at_edges(header + spaced, ",", True), spaced
    assert _spaces_at_edges(header + 'P1,D0,2010-08-01,"late\n"\n', ",", False)  # a quoted line break
    assert not _spaces_at_edges(header + 'P1,D0,2010-08-01,"late\nrain"\n', ",", False)
    # The lines left out (too many cells) are not looked at.
    assert not _spaces_at_edges(header + "P1,D0,2010-08-01,late, rain\nP2,D0,2010-08-02,\n", ",", True, [2])
    assert _spaces_at_edges(header + "P1,D0,2010-08-01,late, rain\nP2,D0,2010-08-02,\n", ",", True, [3])


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(["a", "7", ",", ";", "\t", '"', " ", "\n", "\u3000", "\xa0", "\x1f", "中"]),
               min_size=1, max_size=30), st.sampled_from([",", ";", "\t"]))
def test_no_space_to_trim_is_said_only_of_cells_without_one(text, separator):
    """Whatever the text, when _spaces_at_edges says no, no cell pandas reads from it
    begins or ends with a space (a yes may be a false alarm: the columns are then looked at
    one by one)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=object, header=None, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False, index_col=False, engine="c",
                                on_bad_lines="skip")
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if _spaces_at_edges(text, separator, physical == len(frame)):
        return
    cells = [str(cell) for cell in frame.to_numpy().ravel().tolist()]
    assert all(cell == cell.strip() for cell in cells), (text, cells)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(["a", "7", ",", ";", '"', " ", "\n", "\ufeff", "\xa0", "中", "é", "\U0001f600"]),
               min_size=1, max_size=30), st.sampled_from([",", ";"]))
def test_pandas_reads_the_same_cells_from_the_texts_bytes(text, separator):
    """_source hands pandas the text's UTF-8 bytes (faster): the cells, the lines skipped
    as too long and the errors are those of reading the text itself, a byte-order mark
    after the first line, Chinese and emoji included."""
    from scheduler.sources.tables import _source

    def read(source):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frame = pd.read_csv(source, sep=separator, dtype=object, header=0, names=["a", "b", "c"],
                                    keep_default_na=False, na_filter=False, skip_blank_lines=False,
                                    index_col=False, engine="c", encoding="utf-8", on_bad_lines="warn")
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
                return type(error).__name__
        return frame.to_numpy().tolist(), sorted(str(warning.message) for warning in caught)

    body = "a,b,c\n" + text  # the header is the readers' own: never a byte-order mark in it
    assert read(_source(body)) == read(io.StringIO(body))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=5), max_size=12))
def test_an_id_is_judged_by_its_first_character_alone(ids):
    """_starts_well (once per distinct first character) is ID_PATTERN matched on each ID."""
    expected = [re.match(ID_PATTERN, value) is not None for value in ids]
    assert _starts_well(np.array(ids, dtype=object)).tolist() == expected


def test_long_lines_say_what_each_says():
    """The problems of the lines with too many cells, each message made once per count of
    cells, are what each LongLine says (in a workbook's sheet too)."""
    from scheduler.core.table import Table
    from scheduler.sources.tables import LongLine
    from scheduler.sources.visits import _long_line_problems

    lines = [LongLine(2, 5, 4, {}), LongLine(3, 6, 4, {}), LongLine(7, 5, 4, {}), LongLine(9, 5, 3, {})]
    ids = ["P1", "P2", "P1", ""]
    for table in (Table(pd.DataFrame(), "visits.csv"), Table(pd.DataFrame(), "visits.xlsx", "Visits")):
        assert _long_line_problems(lines, ids, table) == [line.problem(table, pid) for line, pid in zip(lines, ids)]
