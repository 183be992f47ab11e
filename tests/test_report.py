"""The weekly deviation report: the reporting week, hand-computed deviations in every
format, the picture, escaping, and the same report for the same data and week."""

from __future__ import annotations

import csv
import datetime as dt
import html.parser
import re
from pathlib import Path

import pendulum
import pytest

from scheduler.core.report import week_before, week_named

from .conftest import run_cli

# Everyone enrolled 2010-09-01 (D7 window 09-07 … 09-09, D14 09-13 … 09-17, M1 09-28 … 10-04).
# Reporting week 2010-W37: Monday 09-13 to Sunday 09-19; the report is as of Monday 09-20.
ROSTER = """\
participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site,name
R1,2010-09-01,,,01,Wang Fang
R2,2010-09-01,,,01,Li Na
R3,2010-09-01,,,01,Zhang Wei
R4,2010-09-01,,,01,Liu Yang
R5,2010-09-01,,,01,Chen Jing
R6,2010-09-01,,,01,Yang Lei
R7,2010-09-01,2010-09-06,moved away,01,Zhao Min
"""
VISITS = """\
participant_id,visit_code,actual_date,reason
R1,D0,2010-09-01,
R1,D7,2010-09-08,
R1,D14,2010-09-14,
R2,D0,2010-09-01,
R2,D7,2010-09-10,<script>alert(1)</script>
R2,D14,2010-09-18,=1+1
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
# Every deviation as of 09-20, by hand (NEW: arose in the week):
EXPECTED = {
    ("R2", "D7"): ("late", "1", False),     # done 09-10, closed 09-09 (in W36)
    ("R2", "D14"): ("late", "1", True),     # done 09-18 (in the week), closed 09-17
    ("R3", "D14"): ("early", "1", False),   # done Sunday 09-12, opened 09-13: W36
    ("R4", "D14"): ("missed", "3", True),   # closed 09-17 in the week; 09-20 − 09-17
    ("R5", "D7"): ("missed", "11", False),  # closed 09-09; 09-20 − 09-09
    ("R5", "D14"): ("missed", "3", True),
    ("R6", "D0"): ("late", "2", False),     # done 09-03, enrolled 09-01
    ("R6", "D14"): ("missed", "1", True),   # re-anchored on 09-03: closed Sunday 09-19
}


def test_weeks():
    """ISO weeks: W37 of 2010 is 09-13 … 09-19; the last complete week before a date;
    the year's end; a week a year does not have."""
    assert (week_named("2010-W37").monday, week_named("2010-W37").sunday) == (dt.date(2010, 9, 13), dt.date(2010, 9, 19))
    assert week_before(dt.date(2010, 9, 20)).name == "2010-W37"    # a Monday: the week just ended
    assert week_before(dt.date(2010, 9, 22)).name == "2010-W37"    # a Wednesday
    assert week_before(dt.date(2010, 9, 19)).name == "2010-W36"    # a Sunday: its week is not over
    assert (week_named("2010-W52").monday, week_named("2010-W52").sunday) == (dt.date(2010, 12, 27), dt.date(2011, 1, 2))
    assert week_named("2009-W53").monday == dt.date(2009, 12, 28)   # 2009 had 53 ISO weeks
    assert week_before(dt.date(2011, 1, 3)).name == "2010-W52"


@pytest.mark.parametrize("args, message", [
    (["--week", "2010-W53"], "2010 has no week 53"),
    (["--week", "37"], "write an ISO week as YYYY-Www"),
    (["--week", "2010-W37", "--as-of", "2010-09-20"], "give --week or --as-of, not both"),
])
def test_bad_week_options(study, args, message):
    """Each refused with the form to use, exit 2."""
    result = run_cli("report", *args, cwd=study(ROSTER, VISITS))
    assert result.exit_code == 2 and message in result.stderr


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def test_csv_lists_exactly_the_deviations(study):
    """The CSV is the list of every deviation to date: the check's columns + new_this_week."""
    folder = study(ROSTER, VISITS)
    result = run_cli("report", "--week", "2010-W37", "-o", "r.csv", cwd=folder)
    assert result.exit_code == 0, result.stderr
    rows = read_csv(folder / "r.csv")
    assert list(rows[0]) == ["participant_id", "visit_code", "target_date", "window_open", "window_close",
                             "actual_date", "status", "days_outside", "reason", "as_of", "new_this_week",
                             "protocol_version"]  # after the check's columns: empty without versions
    got = {(r["participant_id"], r["visit_code"]): (r["status"], r["days_outside"], r["new_this_week"] == "true")
           for r in rows}
    assert got == EXPECTED
    assert {r["as_of"] for r in rows} == {"2010-09-20"}
    # The report's CSV is opened in Excel: a reason that would run as a formula is neutralised
    # with a leading quote (PRODUCT.md, Outputs); the check's CSV keeps it as recorded.
    assert next(r for r in rows if r["visit_code"] == "D14" and r["participant_id"] == "R2")["reason"] == "'=1+1"


def test_as_of_reports_the_last_complete_week(study):
    """--as-of 2010-09-22 (a Wednesday): week W37, as of 09-22."""
    folder = study(ROSTER, VISITS)
    run_cli("report", "--as-of", "2010-09-22", "-o", "r.csv", cwd=folder)
    rows = read_csv(folder / "r.csv")
    assert {r["as_of"] for r in rows} == {"2010-09-22"}
    assert sorted((r["participant_id"], r["visit_code"]) for r in rows if r["new_this_week"] == "true") == [
        ("R2", "D14"), ("R4", "D14"), ("R5", "D14"), ("R6", "D14")]


def test_markdown_summary_and_every_deviation(study):
    """Without -o: Markdown with the hand-computed figures and one line per deviation."""
    result = run_cli("report", "--week", "2010-W37", cwd=study(ROSTER, VISITS))
    text = result.stdout
    assert "Reporting week 2010-W37 (Monday 2010-09-13 to Sunday 2010-09-19); as of 2010-09-20." in text
    figures = dict(re.findall(r"^\| ([a-z][^|]*?) \| ([^|]+?) \|$", text, flags=re.M))
    assert figures["participants enrolled"] == "7"
    assert figures["participants active"] == "6"
    assert figures["participants withdrawn"] == "1"
    assert figures["visits done in the week"] == "2"          # R1 D14 09-14, R2 D14 09-18
    assert figures["new deviations this week"] == "4"
    assert (figures["new early"], figures["new late"], figures["new missed"]) == ("0", "1", "3")
    assert figures["missed visits still open (nothing recorded)"] == "4"
    assert figures["deviations to date"] == "8"
    assert figures["deviation rate per visit to date"] == "42.1%"   # 8 of 15 done + 4 missed
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == 8
    assert "- NEW R6 D14: missed 1 day (window 2010-09-15 to 2010-09-19) — reason missing" in lines
    assert "- R6 D0: late 2 days (window 2010-09-01 to 2010-09-01, done 2010-09-03) — catheter lab busy" in lines
    assert "## Due in the next 14 days: 6 visits" in text    # M1 of R1 … R6; R7 withdrew
    assert "Wang Fang" not in text


class Cells(html.parser.HTMLParser):
    """Collects table rows' cell texts and <script> tags."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.scripts = 0
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "script":
            self.scripts += 1
        elif tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_lists_every_deviation_escaped_with_the_picture(study):
    """HTML: every deviation a row (participant_id and visit_code), values escaped, the
    picture embedded, A4 landscape print rule, no roster column."""
    folder = study(ROSTER, VISITS)
    assert run_cli("report", "--week", "2010-W37", "-o", "r.html", cwd=folder).exit_code == 0
    page = (folder / "r.html").read_text("utf-8")
    parser = Cells()
    parser.feed(page)
    assert parser.scripts == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    rows = [row for row in parser.rows if len(row) == 10 and row[0].startswith("R")]   # all deviations
    assert {(row[0], row[1]) for row in rows} == set(EXPECTED)
    assert {(row[0], row[1]) for row in rows if row[9] == "NEW"} == {k for k, v in EXPECTED.items() if v[2]}
    assert len(parser.images) == 1 and parser.images[0].startswith("data:image/png;base64,")
    assert "size: A4 landscape" in page
    for private in ("Wang Fang", "Li Na", "Zhao Min"):
        assert private not in page


def test_workbook(study):
    """Excel: a sheet per table, frozen header, filters, real dates, deviation rows
    highlighted, formulas stay text, the picture on its own sheet."""
    from openpyxl import load_workbook

    folder = study(ROSTER, VISITS)
    assert run_cli("report", "--week", "2010-W37", "-o", "r.xlsx", cwd=folder).exit_code == 0
    book = load_workbook(folder / "r.xlsx")
    assert book.sheetnames == ["Summary", "New this week", "Unscheduled this week", "All deviations",
                               "Due next 14 days", "Compliance", "Timeline"]
    sheet = book["All deviations"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J9"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    header = [cell.value for cell in sheet[1]]
    got = {(r[0], r[1]): (r[header.index("status")], r[header.index("days_outside")],
                          r[header.index("new_this_week")]) for r in rows}
    assert {type(r[header.index("new_this_week")]) for r in rows} == {bool}   # Excel TRUE / FALSE
    assert got == {k: (s, int(d), new) for k, (s, d, new) in EXPECTED.items()}
    r2 = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "R2" and row[1].value == "D14")
    assert r2[header.index("reason")].value == "=1+1" and r2[header.index("reason")].data_type == "s"
    assert r2[header.index("actual_date")].is_date
    assert r2[0].fill.start_color.rgb == "FFF4CCCC"
    assert len(book["Timeline"]._images) == 1
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["deviations to date"] == 8 and summary["reporting week"].startswith("2010-W37")


def test_the_picture_has_a_bar_per_visit_and_the_week_shaded():
    """One bar per expected visit of the enrolled participants; the week shaded from Monday
    to the end of Sunday."""
    import matplotlib.dates as mdates
    import numpy as np
    import pandas as pd

    from scheduler.core.records import Records
    from scheduler.core.status import compute_check
    from scheduler.outputs.timeline import timeline_figure
    from scheduler.protocol import load_built_in

    participants = pd.DataFrame({"participant_id": ["A", "B", "C"],
                                 "enrollment_date": np.array(["2010-09-01"] * 3, dtype="M8[D]"),
                                 "withdrawal_date": np.array([None] * 3, dtype="M8[D]")})
    check = compute_check(load_built_in(), participants, Records.empty(), np.datetime64("2010-09-20"))
    figure = timeline_figure(check, dt.date(2010, 9, 13), dt.date(2010, 9, 19), dt.date(2010, 9, 20))
    axes = figure.axes[0]
    bars = next(c for c in axes.collections if c.get_gid() == "windows")
    assert len(bars.get_paths()) == 24                         # 3 participants × 8 visits
    d7 = bars.get_paths()[1].vertices                          # A's D7: 09-07 … 09-09 (3 days)
    assert (mdates.num2date(d7[:, 0].min()).date(), d7[:, 0].max() - d7[:, 0].min()) == (dt.date(2010, 9, 7), 3.0)
    shaded = list(axes.patches)
    assert len(shaded) == 1
    left, right = shaded[0].get_x(), shaded[0].get_x() + shaded[0].get_width()
    assert (left, right) == (mdates.date2num(np.datetime64("2010-09-13")),
                             mdates.date2num(np.datetime64("2010-09-20")))


def test_same_data_and_week_give_the_same_report(study):
    """Made at two different times: identical apart from the time it was made."""
    folder = study(ROSTER, VISITS)
    outputs = []
    for moment in ("2010-09-20T02:00:00+00:00", "2010-09-27T09:30:00+00:00"):
        with pendulum.travel_to(pendulum.parse(moment), freeze=True):
            for suffix in ("html", "md", "csv"):
                run_cli("report", "--week", "2010-W37", "-o", f"r.{suffix}", cwd=folder)
        outputs.append({s: (folder / f"r.{s}").read_text("utf-8") for s in ("html", "md", "csv")})
    made = re.compile(r"Made \d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d")
    for suffix in ("html", "md", "csv"):
        first, second = (made.sub("Made …", out[suffix]) for out in outputs)
        assert first == second
    assert outputs[0]["md"] != outputs[1]["md"]    # the time made differs


def test_a_week_not_yet_over_is_refused(study):
    """On Wednesday 2010-09-15, W37 is not over: its report would call open windows missed."""
    folder = study(ROSTER, VISITS)
    with pendulum.travel_to(pendulum.parse("2010-09-15T04:00:00+00:00"), freeze=True):
        result = run_cli("report", "--week", "2010-W37", cwd=folder)
    assert result.exit_code == 2
    assert "--week 2010-W37 is not over until Sunday 2010-09-19" in result.stderr


def test_several_sites_are_named_and_ids_with_dollars_are_drawn_as_text(study):
    """A roster with sites 02 and 03: the header says so. An ID like A$1$ is plain text."""
    roster = ROSTER.replace("R1,2010-09-01,,,01", "A$1$,2010-09-01,,,03").replace(",01,", ",02,")
    folder = study(roster, VISITS.replace("R1,", "A$1$,"))
    result = run_cli("report", "--week", "2010-W37", "-o", "r.html", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "Weekly deviation report — NCT01143168 (sites 02, 03)" in (folder / "r.html").read_text("utf-8")
