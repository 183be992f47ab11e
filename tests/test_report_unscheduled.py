"""The weekly report lists the unscheduled visits of its week: a count in the summary and a
table in every format (Markdown, HTML, the workbook's sheet, the CSV's last rows), "reason
missing" where people read it, and not one deviation figure changed by them."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pendulum

from .conftest import ROOT, run_cli
from .test_report import EXPECTED, ROSTER, VISITS, Cells

# Reporting week 2010-W37: Monday 09-13 to Sunday 09-19, as of Monday 09-20. Two unscheduled
# visits in it (R3's on Tuesday 09-14 without a reason, R1's on Wednesday 09-15 with a reason
# that begins like a formula), one before it (R2's on 09-10, week W36).
UNSCHEDULED = """\
R1,UNS,2010-09-15,+39.5 fever
R2,UNS,2010-09-10,dizzy
R3,UNS,2010-09-14,
"""
WITH_UNSCHEDULED = VISITS + UNSCHEDULED
MADE = "2010-09-20T02:00:00+00:00"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def section(text: str, heading: str) -> list[str]:
    """The lines of a Markdown section, from its heading to the next one (both left out)."""
    lines = text.splitlines()
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start + 1:end] if line]


def figures(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\| ([a-z][^|]*?) \| ([^|]+?) \|$", text, flags=re.M))


def test_markdown_counts_and_lists_the_weeks_unscheduled_visits(study):
    """On the terminal: 2 in the week (R2's 09-10 is W36's), by date: R3 09-14 ("reason
    missing"), then R1 09-15; the summary line follows "visits done in the week" (which
    counts planned visits only: still 2); a warning names the one without a reason."""
    result = run_cli("report", "--week", "2010-W37", cwd=study(ROSTER, WITH_UNSCHEDULED))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    summary = section(text, "## Summary")
    done = summary.index("| visits done in the week | 2 |")
    assert summary[done + 1] == "| unscheduled visits in the week | 2 |"
    assert section(text, "## Unscheduled visits this week (2)") == [
        "| participant_id | visit_code | actual_date | reason |",
        "| --- | --- | --- | --- |",
        "| R3 | UNS | 2010-09-14 | reason missing |",
        "| R1 | UNS | 2010-09-15 | +39.5 fever |",
    ]
    assert "dizzy" not in text
    assert "reason missing for 1 unscheduled visit: R3 UNS 2010-09-14" in result.stderr


def test_deviation_figures_and_lists_are_unchanged_by_them(study):
    """The same report without the three unscheduled records: every line the same but the
    unscheduled count, its section and the visits file's checksum."""
    folder = study(ROSTER, VISITS)
    texts = []
    for visits in (VISITS, WITH_UNSCHEDULED):
        (folder / "visits.csv").write_text(visits, encoding="utf-8")
        with pendulum.travel_to(pendulum.parse(MADE), freeze=True):
            assert run_cli("report", "--week", "2010-W37", "-o", "r.md", cwd=folder).exit_code == 0
        texts.append((folder / "r.md").read_text("utf-8"))
    without, with_them = texts
    assert figures(without)["unscheduled visits in the week"] == "0"
    assert section(without, "## Unscheduled visits this week (0)") == ["None."]
    assert figures(with_them)["deviations to date"] == "8"
    assert figures(with_them)["deviation rate per visit to date"] == "42.1%"   # 8 of 19 judged, as without

    def planned_only(text: str) -> list[str]:
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("## Unscheduled visits this week"))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
        return [line for i, line in enumerate(lines)
                if not start <= i < end and not line.startswith("| unscheduled visits in the week |")
                and not line.startswith("Made from:")]

    assert planned_only(without) == planned_only(with_them)


def test_csv_ends_with_the_weeks_unscheduled_visits_as_recorded(study):
    """The CSV: the eight deviations as before, then the week's two unscheduled visits
    (status unscheduled, new_this_week false, no window); R3's reason stays empty and R1's,
    which begins like a formula, begins with a quote, as the report's other CSV text."""
    folder = study(ROSTER, WITH_UNSCHEDULED)
    assert run_cli("report", "--week", "2010-W37", "-o", "r.csv", cwd=folder).exit_code == 0
    rows = read_csv(folder / "r.csv")
    deviations, extra = rows[:-2], rows[-2:]
    assert {(r["participant_id"], r["visit_code"]): (r["status"], r["days_outside"], r["new_this_week"] == "true")
            for r in deviations} == EXPECTED
    assert [(r["participant_id"], r["visit_code"], r["actual_date"], r["status"], r["reason"], r["new_this_week"])
            for r in extra] == [("R3", "UNS", "2010-09-14", "unscheduled", "", "false"),
                                ("R1", "UNS", "2010-09-15", "unscheduled", "'+39.5 fever", "false")]
    assert all(r["target_date"] == r["window_open"] == r["window_close"] == r["days_outside"] == ""
               and r["as_of"] == "2010-09-20" for r in extra)


def test_workbook_sheet_and_summary(study):
    """Excel: a sheet "Unscheduled this week" after "New this week", real dates, the reason
    as typed (text, never a formula) or "reason missing"; the summary counts 2, and its
    deviation figures are those without them."""
    from openpyxl import load_workbook

    folder = study(ROSTER, WITH_UNSCHEDULED)
    assert run_cli("report", "--week", "2010-W37", "-o", "r.xlsx", cwd=folder).exit_code == 0
    book = load_workbook(folder / "r.xlsx")
    assert book.sheetnames == ["Summary", "New this week", "Unscheduled this week", "All deviations",
                               "Due next 14 days", "Compliance", "Timeline"]
    sheet = book["Unscheduled this week"]
    assert [cell.value for cell in sheet[1]] == ["participant_id", "visit_code", "actual_date", "reason"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D3"
    rows = list(sheet.iter_rows(min_row=2))
    assert [(r[0].value, r[1].value, r[2].value.date().isoformat(), r[3].value) for r in rows] == [
        ("R3", "UNS", "2010-09-14", "reason missing"), ("R1", "UNS", "2010-09-15", "+39.5 fever")]
    assert rows[1][2].is_date and rows[1][3].data_type == "s"
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["unscheduled visits in the week"] == 2
    assert summary["deviations to date"] == 8 and summary["new deviations this week"] == 4
    assert round(summary["deviation rate per visit to date"], 3) == 0.421
    assert len(list(book["All deviations"].iter_rows(min_row=2))) == 8


def test_html_section(study):
    """HTML: the section after this week's deviations, its rows escaped, "reason missing"
    marked as the deviations' is."""
    folder = study(ROSTER, WITH_UNSCHEDULED.replace("+39.5 fever", "<b>fever</b>"))
    assert run_cli("report", "--week", "2010-W37", "-o", "r.html", cwd=folder).exit_code == 0
    page = (folder / "r.html").read_text("utf-8")
    assert page.index("<h2>New deviations this week (4)</h2>") < page.index(
        "<h2>Unscheduled visits this week (2)</h2>") < page.index("<h2>Timeline</h2>")
    assert '<td>R3</td><td>UNS</td><td>2010-09-14</td><td class="missing">reason missing</td>' in page
    assert "<td>&lt;b&gt;fever&lt;/b&gt;</td>" in page
    parser = Cells()
    parser.feed(page)
    assert ["unscheduled visits in the week", "2"] in parser.rows


def test_a_week_without_any_says_none(study):
    """W38 (09-20 … 09-26): none of the three; every format says so, the CSV has only
    deviations, the sheet only its header."""
    from openpyxl import load_workbook

    folder = study(ROSTER, WITH_UNSCHEDULED)
    with pendulum.travel_to(pendulum.parse("2010-09-27T02:00:00+00:00"), freeze=True):
        for suffix in ("md", "html", "csv", "xlsx"):
            assert run_cli("report", "--week", "2010-W38", "-o", f"r.{suffix}", cwd=folder).exit_code == 0
    text = (folder / "r.md").read_text("utf-8")
    assert figures(text)["unscheduled visits in the week"] == "0"
    assert section(text, "## Unscheduled visits this week (0)") == ["None."]
    assert "<h2>Unscheduled visits this week (0)</h2>\n<p>None.</p>" in (folder / "r.html").read_text("utf-8")
    assert {r["status"] for r in read_csv(folder / "r.csv")} <= {"early", "late", "missed"}
    assert list(load_workbook(folder / "r.xlsx")["Unscheduled this week"].iter_rows(values_only=True)) == [
        ("participant_id", "visit_code", "actual_date", "reason")]


def test_with_arms_the_table_carries_the_arm(study):
    """With [[arms]] (docs/examples/two-arm.toml) the table has the arm after the reason."""
    protocol = (ROOT / "docs" / "examples" / "two-arm.toml").read_text("utf-8")
    roster = "participant_id,enrollment_date,arm\n301,2011-03-01,A\n302,2011-03-01,B\n"
    visits = ("participant_id,visit_code,actual_date,reason\n301,D0,2011-03-01,\n302,D0,2011-03-01,\n"
              "302,UNS,2011-03-09,fever\n301,UNS,2011-03-10,rash\n")
    folder = study(roster, visits, protocol)
    result = run_cli("report", "--week", "2011-W10", cwd=folder)   # 03-07 … 03-13
    assert result.exit_code == 0, result.stderr
    assert section(result.stdout, "## Unscheduled visits this week (2)") == [
        "| participant_id | visit_code | actual_date | reason | arm |",
        "| --- | --- | --- | --- | --- |",
        "| 302 | UNS | 2011-03-09 | fever | B |",
        "| 301 | UNS | 2011-03-10 | rash | A |",
    ]
