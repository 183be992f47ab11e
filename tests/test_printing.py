"""Workbooks that print (issue 16): landscape A4, fitted to the page's width and running onto
more pages down, the header row on every page, the title and "Page n of N" in the margins;
the report's picture whole on one page; shares stored as numbers in a percent format. Read
back with openpyxl from files the real CLI wrote. And two messages a nurse meets at the desk:
`record` without a DATE, and `init`'s "Next:" hint for a folder whose name has spaces.

(A workbook was also rendered to PDF with LibreOffice by hand; the suite does not need it.)"""

from __future__ import annotations

import html.parser
import re
import shlex
from pathlib import Path

import pytest

from .conftest import run_cli

A4 = 9  # paperSize in SpreadsheetML

# Everyone enrolled 2010-09-01 but R8 (09-20: nothing judged yet as of 09-20). Reporting week
# 2010-W37 (09-13 … 09-19), as of Monday 09-20. D0 09-01; D7 09-07 … 09-09; D14 09-13 … 09-17.
ROSTER = """\
participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site
R1,2010-09-01,,,R&D
R2,2010-09-01,,,R&D
R3,2010-09-01,,,R&D
R4,2010-09-01,,,R&D
R5,2010-09-01,,,R&D
R6,2010-09-01,,,R&D
R7,2010-09-01,2010-09-06,moved away,R&D
R8,2010-09-20,,,R&D
"""
VISITS = """\
participant_id,visit_code,actual_date,reason
R1,D0,2010-09-01,
R1,D7,2010-09-08,
R1,D14,2010-09-14,
R2,D0,2010-09-01,
R2,D7,2010-09-10,bus strike
R2,D14,2010-09-18,flu
R3,D0,2010-09-01,
R3,D7,2010-09-08,
R3,D14,2010-09-12,
R4,D0,2010-09-01,
R4,D7,2010-09-08,
R5,D0,2010-09-01,
R6,D0,2010-09-03,catheter lab busy
R6,D7,2010-09-11,
R7,D0,2010-09-01,
"""
# Compliance by hand, as of 09-20: in-window visits / visits judged (done, or missed).
COMPLIANCE = {
    "R1": (3, 3, 1.0),      # D0, D7 09-08, D14 09-14: all in window
    "R2": (3, 1, 1 / 3),    # D7 late (09-10 > 09-09), D14 late (09-18 > 09-17)
    "R3": (3, 2, 2 / 3),    # D14 early (09-12 < 09-13)
    "R4": (3, 2, 2 / 3),    # D14 missed (closed 09-17)
    "R5": (3, 1, 1 / 3),    # D7 and D14 missed
    "R6": (3, 1, 1 / 3),    # D0 late (09-03); D7 re-anchored 09-09 … 09-11, done 09-11; D14 missed
    "R7": (1, 1, 1.0),      # withdrew 09-06: D7 onwards withdrawn, not judged
    "R8": (0, 0, None),     # enrolled 09-20: D0 due today, nothing judged
}
# 8 deviations (R2 ×2, R3, R4, R5 ×2, R6 ×2) in 19 judged visits (15 done + 4 missed).
RATE = 8 / 19   # 42.1 %


def assert_prints_as_a_table(sheet, title: str) -> None:
    """Landscape A4, one page wide and as many down as needed, row 1 on every page."""
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize)) == ("landscape", A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.print_options.gridLines is True
    assert sheet.oddHeader.left.text == title
    assert sheet.oddHeader.right.text == "&A"            # the sheet's name
    assert sheet.oddFooter.center.text == "Page &P of &N"


@pytest.mark.parametrize("command, sheet_name", [
    (["check", "--as-of", "2010-09-20"], "Check"),
    (["schedule", "--as-of", "2010-09-20"], "Schedule"),
    (["due", "--as-of", "2010-09-20"], "Due"),
])
def test_table_workbooks_print_landscape_a4_fitted_to_the_width(study, command, sheet_name):
    """check, schedule and due: the page setup read back; the title is the file's name."""
    from openpyxl import load_workbook

    folder = study(ROSTER, VISITS)
    name = f"{command[0]}.xlsx"
    result = run_cli(*command, "-o", name, cwd=folder)
    assert result.exit_code in (0, 1), result.stderr
    book = load_workbook(folder / name)
    assert book.sheetnames == [sheet_name]
    sheet = book[sheet_name]
    assert_prints_as_a_table(sheet, name)
    assert sheet.freeze_panes == "A2"                    # as before: the screen view is kept
    assert [cell.value for cell in sheet[1]][:2] == ["participant_id", "visit_code"]


def report_workbook(study):
    from openpyxl import load_workbook

    folder = study(ROSTER, VISITS)
    result = run_cli("report", "--week", "2010-W37", "-o", "r.xlsx", cwd=folder)
    assert result.exit_code == 0, result.stderr
    return folder, load_workbook(folder / "r.xlsx")


def test_the_report_workbook_prints_every_table_the_same_way(study):
    """Every table sheet; the title is the report's heading, an & doubled so that it prints
    as one & (a single & starts a code such as &P)."""
    _, book = report_workbook(study)
    title = "Weekly deviation report — NCT01143168 (site R&&D), week 2010-W37"
    for name in ["Summary", "New this week", "All deviations", "Due next 14 days", "Compliance"]:
        assert_prints_as_a_table(book[name], title)


def test_compliance_and_the_rate_are_numbers_in_a_percent_format(study):
    """Compliance 0.333… shown as 33% (format 0%), the rate 8/19 as 42.1% (format 0.0%);
    nothing judged: an empty cell. Counts stay whole numbers in the General format."""
    _, book = report_workbook(study)
    sheet = book["Compliance"]
    header = [cell.value for cell in sheet[1]]
    assert header == ["participant_id", "visits_judged", "in_window", "deviations", "compliance"]
    got = {}
    for row in sheet.iter_rows(min_row=2):
        share = row[4]
        assert share.data_type == "n"                    # a number, never the text "33%"
        assert share.value is None or share.number_format == "0%"
        got[row[0].value] = (row[1].value, row[2].value, share.value)
    assert got.keys() == COMPLIANCE.keys()
    for participant, (judged, in_window, share) in COMPLIANCE.items():
        assert got[participant][:2] == (judged, in_window)
        assert got[participant][2] == (pytest.approx(share) if share is not None else None)
    rows = {row[0].value: row for row in book["Summary"].iter_rows(min_row=2)}
    rate = rows["deviation rate per visit to date"][1]
    assert (rate.data_type, rate.number_format) == ("n", "0.0%")
    assert rate.value == pytest.approx(RATE)
    deviations = rows["deviations to date"][1]
    assert (deviations.value, deviations.number_format) == (8, "General")


def test_the_timeline_is_on_a_page_of_its_own_and_whole(study):
    """The picture's sheet is fitted onto one landscape A4 page, and the picture is drawn no
    bigger than that page's printable part (96 pixels an inch), its shape kept."""
    _, book = report_workbook(study)
    assert book.sheetnames[-1] == "Timeline"
    sheet = book["Timeline"]
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize)) == ("landscape", A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 1)
    assert sheet.print_title_rows is None
    assert sheet.oddFooter.center.text == "Page &P of &N"
    (picture,) = sheet._images
    anchor = picture.anchor
    assert (anchor._from.col, anchor._from.row) == (0, 0)           # at A1
    width, height = anchor.ext.width / 9525, anchor.ext.height / 9525  # EMU → pixels
    margins = sheet.page_margins
    assert width <= (11.69 - margins.left - margins.right) * 96      # A4 landscape: 11.69 in wide
    assert height <= (8.27 - margins.top - margins.bottom) * 96      # and 8.27 in high
    assert width / height == pytest.approx(picture.width / picture.height, rel=0.01)  # the PNG's shape


class Rows(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_and_markdown_still_show_percent_text(study):
    """The same shares as text, as before: 33%, 100%, empty where nothing is judged; 42.1%."""
    folder = study(ROSTER, VISITS)
    text = run_cli("report", "--week", "2010-W37", cwd=folder).stdout
    assert "| deviation rate per visit to date | 42.1% |" in text
    assert "| R2 | 3 | 1 | 2 | 33% |" in text
    assert "| R3 | 3 | 2 | 1 | 67% |" in text
    assert run_cli("report", "--week", "2010-W37", "-o", "r.html", cwd=folder).exit_code == 0
    parser = Rows()
    parser.feed((folder / "r.html").read_text("utf-8"))
    cells = {row[0]: row[1:] for row in parser.rows if row}
    assert cells["deviation rate per visit to date"] == ["42.1%"]
    assert cells["R1"] == ["3", "3", "0", "100%"]
    assert cells["R2"] == ["3", "1", "2", "33%"]
    assert cells["R8"] == ["0", "0", "0", ""]


def test_record_without_a_date_says_what_to_give(study):
    """Today's date is not assumed: the message gives both forms, and nothing changes."""
    folder = study(ROSTER, VISITS)
    before = (folder / "visits.csv").read_bytes()
    result = run_cli("record", "R8", "D0", cwd=folder)
    assert result.exit_code == 2
    assert "today's date is not assumed" in result.stderr
    assert "visit-scheduler record R8 D0 DATE" in result.stderr
    assert 'visit-scheduler record R8 D0 --not-done --reason "' in result.stderr
    assert (folder / "visits.csv").read_bytes() == before
    assert not (folder / "audit.csv").exists()
    # The second form, as the message gives it, records the visit.
    done = run_cli("record", "R8", "D0", "--not-done", "--reason", "unwell", cwd=folder)
    assert done.exit_code == 0, done.stderr
    assert "Recorded R8 D0 not done (unwell)" in done.stdout


def test_init_hint_quotes_a_folder_name_with_spaces(tmp_path: Path):
    """The two commands of the "Next:" line, pasted as they are, work in a folder 'my trial'."""
    result = run_cli("init", "my trial", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    hint = next(line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Next:"))
    assert "--study 'my trial'" in hint
    enroll = shlex.split(re.search(r"\((visit-scheduler enroll [^)]*)\)", hint).group(1))
    assert enroll[enroll.index("--study") + 1] == "my trial"
    enroll[enroll.index("YYYY-MM-DD")] = "2010-09-01"
    assert run_cli(*enroll[1:], cwd=tmp_path).exit_code == 0
    schedule = shlex.split(hint.split("then run: ", 1)[1])
    assert schedule == ["visit-scheduler", "schedule", "--study", "my trial"]
    shown = run_cli(*schedule[1:], "--as-of", "2010-09-01", cwd=tmp_path)
    assert shown.exit_code == 0, shown.stderr
    assert "001" in shown.stdout
    plain = run_cli("init", "trial", cwd=tmp_path)
    assert "--study trial)" in plain.stdout + plain.stderr           # nothing to quote, no quotes
