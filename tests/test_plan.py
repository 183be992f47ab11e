"""The visit plan on paper (issue 16): `plan ID -o plan.pdf|plan.html` and `plan --all -o DIR`,
through the real CLI on sample_data/ and on small rosters in temporary folders. The PDF is
read back with a second reader (pypdf): its text is searchable and holds the dates, the
font is embedded, the page is one A4 page. Only the participant's ID leaves the folder.

(The pages were also rendered to PNG, the PDF with pdftoppm and the HTML printed to PDF with
headless Chromium, and looked at by hand; the suite does not need either program.)"""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from .conftest import SAMPLE, imported, run_cli

AS_OF = "2011-01-17"

# Participant 007 (sample_data/README.md): enrolled 2010-09-01, D0 done 2010-09-03 (late 2:
# its window is 09-01 ± 0), so every later window hangs on 09-03. Done by 2011-01-17: D7 09-09,
# D14 09-17, M1 10-04, M3 12-02 (later records are after the as-of date: not yet happened).
#   D7   09-03 + 7   = 2010-09-10, ± 1  → 09-09 … 09-11
#   D14  09-03 + 14  = 2010-09-17, ± 2  → 09-15 … 09-19
#   M1   09-03 + 30  = 2010-10-03, ± 3  → 09-30 … 10-06
#   M3   09-03 + 90  = 2010-12-02, ± 7  → 11-25 … 12-09
#   M6   09-03 + 180 = 2011-03-02 (27 days to 09-30, +31 +30 +31 +31 +28 = 178 to 02-28, +2),
#        ± 14 → 2011-02-16 … 2011-03-16; a Wednesday: suggested 2011-03-02
#   M9   09-03 + 270 = 2011-05-31 (+31 March +30 April +31 May from 03-02… = 180 + 90),
#        ± 14 → 2011-05-17 … 2011-06-14; a Tuesday: suggested 2011-05-31
#   M12  09-03 + 365 = 2011-09-03, ± 14 → 2011-08-20 … 2011-09-17; a Saturday: the Friday
#        before (1 day off) beats the Monday after (2 days): suggested 2011-09-02
EXPECTED_007 = {
    "D0": ("2010-09-01", "2010-09-01", "2010-09-01", None, "2010-09-03", "late, 2 days"),
    "D7": ("2010-09-10", "2010-09-09", "2010-09-11", None, "2010-09-09", "in_window"),
    "D14": ("2010-09-17", "2010-09-15", "2010-09-19", None, "2010-09-17", "in_window"),
    "M1": ("2010-10-03", "2010-09-30", "2010-10-06", None, "2010-10-04", "in_window"),
    "M3": ("2010-12-02", "2010-11-25", "2010-12-09", None, "2010-12-02", "in_window"),
    "M6": ("2011-03-02", "2011-02-16", "2011-03-16", "2011-03-02", None, "upcoming"),
    "M9": ("2011-05-31", "2011-05-17", "2011-06-14", "2011-05-31", None, "upcoming"),
    "M12": ("2011-09-03", "2011-08-20", "2011-09-17", "2011-09-02", None, "upcoming"),
}
# What never leaves the folder: 007's name and phone (roster columns beyond the contract),
# the reason recorded for its D0, and 012's withdrawal reason.
PRIVATE = ("赵敏", "138-0000-0107", "catheter lab", "moved to another city")


def pdf_text(path: Path) -> str:
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


class Rows(html.parser.HTMLParser):
    """The plan's table as text: one list of cell texts per body row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_body = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.cell = []
        elif tag in ("br", "div") and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_rows(path: Path) -> list[list[str]]:
    parser = Rows()
    parser.feed(path.read_text("utf-8"))
    return parser.rows


def test_the_pdf_plan_of_007_holds_the_hand_computed_dates(tmp_path: Path):
    """PDF read back with pypdf: searchable text with every date, the ID, the study; one A4 page."""
    result = run_cli("plan", "007", "--study", str(SAMPLE), "--as-of", AS_OF, "-o", str(tmp_path / "plan.pdf"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Wrote {tmp_path / 'plan.pdf'} (participant 007, 8 visits, as of {AS_OF})\n"
    reader = PdfReader(tmp_path / "plan.pdf")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)   # A4 in points
    text = pdf_text(tmp_path / "plan.pdf")
    assert "Visit plan — participant 007" in text
    assert "NCT01143168" in text and "ENROLLED 2010-09-01" in text and f"AS OF {AS_OF}" in text
    assert "SITE 01" in text
    lines = text.splitlines()
    for code, (target, opens, closes, suggested, actual, status) in EXPECTED_007.items():
        row = next(i for i, line in enumerate(lines) if line.startswith(f"{code}  "))
        # The row's text, up to the next visit's: the cells in column order.
        following = next((i for i in range(row + 1, len(lines))
                          if re.match(r"(D|M)\d+  ", lines[i])), len(lines))
        cells = " ".join(lines[row:following])
        expected = [target, opens if opens == closes else f"{opens} – {closes}",
                    *([suggested] if suggested else []), *([actual] if actual else []), status]
        at = cells.index(target)   # each value after the one before it: the columns' order
        for value in expected:
            at = cells.find(value, at)
            assert at != -1, (code, value, cells)
    assert "examinations required by the protocol" in text and "HbA1c" in text   # procedures
    assert text.count("date / time") == 3   # a booking line for each visit still to do
    for private in PRIVATE:
        assert private not in text


def test_the_pdf_embeds_its_font(tmp_path: Path):
    """Every font on the page is embedded (a TrueType subset of DejaVu Sans, from matplotlib)."""
    run_cli("plan", "007", "--study", str(SAMPLE), "--as-of", AS_OF, "-o", str(tmp_path / "plan.pdf"))
    reader = PdfReader(tmp_path / "plan.pdf")
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for reference in fonts.values():
        font = reference.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor                       # the TrueType program is inside
        assert re.fullmatch(r"/[A-Z]{6}\+DejaVuSans.*", str(font["/BaseFont"]))   # a subset
    assert reader.metadata["/Creator"] == "visit-scheduler visit plan"


def test_the_html_plan_of_007_holds_the_same_dates_and_prints_on_a4(tmp_path: Path):
    """One row per visit, in protocol order, cell by cell; print CSS for one A4 page; nothing
    from outside the file (no script, no link, no picture)."""
    result = run_cli("plan", "007", "--study", str(SAMPLE), "--as-of", AS_OF, "-o", str(tmp_path / "plan.html"))
    assert result.exit_code == 0, result.stderr
    rows = html_rows(tmp_path / "plan.html")
    assert [row[0].split()[0] for row in rows] == list(EXPECTED_007)
    for row, (code, (target, opens, closes, suggested, actual, status)) in zip(rows, EXPECTED_007.items(),
                                                                             strict=True):
        window = opens if opens == closes else f"{opens} – {closes}"
        done = f"{actual} {status}" if actual else status
        booked = "" if actual else "date / time"
        assert row[1:] == [target, window, suggested or "", done, booked], code
    page = (tmp_path / "plan.html").read_text("utf-8")
    assert "@page { size: A4 portrait; margin: 0; }" in page
    assert "<script" not in page and "<link" not in page and "<img" not in page and "url(" not in page
    assert "Visit plan — participant 007" in page and "ENROLLED" not in page   # CSS capitalises
    for private in PRIVATE:
        assert private not in page


def test_a_name_column_never_reaches_the_plan(study):
    """A roster with name, phone and notes columns: none of their values is in the HTML or PDF."""
    folder = study("participant_id,name,phone,enrollment_date,site,notes\n"
                   "A01,Maria Keller,+41 79 321 09 87,2010-09-01,BE,allergic to latex\n")
    for name in ("a.pdf", "a.html"):
        result = run_cli("plan", "A01", "--as-of", "2010-09-20", "-o", name, cwd=folder)
        assert result.exit_code == 0, result.stderr
    text = pdf_text(folder / "a.pdf") + (folder / "a.html").read_text("utf-8")
    assert "A01" in text and "BE" in text
    for private in ("Maria", "Keller", "321 09", "latex"):
        assert private not in text


def test_the_suggested_day_is_never_before_the_as_of_date(study):
    """Enrolled 2010-09-01, D0 done that day: D7's target is 09-08 (a Wednesday), its window
    09-07 … 09-09. As of Thursday 09-09, D7 not done: the suggestion is 09-09 (on or after the
    as-of date, as every command), not the past target; D14 (target Wednesday 09-15, window
    09-13 … 09-17) keeps its target."""
    folder = study("participant_id,enrollment_date\nB01,2010-09-01\n",
                   "participant_id,visit_code,actual_date,reason\nB01,D0,2010-09-01,\n")
    result = run_cli("plan", "B01", "--as-of", "2010-09-09", "-o", "p.html", cwd=folder)
    assert result.exit_code == 0, result.stderr
    rows = html_rows(folder / "p.html")
    assert rows[1][1:] == ["2010-09-08", "2010-09-07 – 2010-09-09", "2010-09-09", "due", "date / time"]
    assert rows[2][1:] == ["2010-09-15", "2010-09-13 – 2010-09-17", "2010-09-15", "upcoming", "date / time"]


def test_missed_and_withdrawn_visits_have_no_booking_line(tmp_path: Path):
    """011's M6 was recorded as not done (its reason stays off the page); 012 withdrew on
    2010-12-20 (the header says so; the reason stays off the page): nothing to book for them."""
    run_cli("plan", "011", "--study", str(SAMPLE), "--as-of", "2011-06-20", "-o", str(tmp_path / "011.html"))
    rows = html_rows(tmp_path / "011.html")
    assert rows[5][4:] == ["missed (not done)", ""]
    assert "pneumonia" not in (tmp_path / "011.html").read_text("utf-8")
    run_cli("plan", "012", "--study", str(SAMPLE), "--as-of", "2011-06-20", "-o", str(tmp_path / "012.pdf"))
    text = pdf_text(tmp_path / "012.pdf")
    assert "WITHDREW 2010-12-20" in text
    assert text.count("withdrawn") == 4 and "date / time" not in text   # M3 … M12
    assert "moved to another city" not in text


def test_all_writes_one_one_page_file_per_participant(tmp_path: Path):
    """--all -o DIR: DIR/001.pdf … DIR/024.pdf, each one page, each its participant's; then
    --format html writes DIR/ID.html (the tool's earlier files are kept as they are)."""
    folder = tmp_path / "plans"
    result = run_cli("plan", "--all", "--study", str(SAMPLE), "--as-of", AS_OF, "-o", str(folder))
    assert result.exit_code == 0, result.stderr
    assert f"Wrote 24 visit plans (PDF, as of {AS_OF}) in {folder}" in result.stderr
    assert "enrolled after the as-of date 2011-01-17: 024" in result.stderr
    names = sorted(path.name for path in folder.iterdir())
    assert names == [f"{n:03d}.pdf" for n in range(1, 25)]
    for name in names:
        reader = PdfReader(folder / name)
        assert len(reader.pages) == 1, name
        text = reader.pages[0].extract_text()
        assert f"participant {name[:3]}" in text
        assert not re.search(r"138-0000|[\u4e00-\u9fff]", text)   # no phone, no (Chinese) name
    result = run_cli("plan", "--all", "--format", "html", "--study", str(SAMPLE), "--as-of", AS_OF,
                     "-o", str(folder))
    assert result.exit_code == 0, result.stderr
    assert len(list(folder.glob("*.html"))) == 24 and len(list(folder.glob("*.pdf"))) == 24
    assert html_rows(folder / "007.html")[0][-2] == "2010-09-03 late, 2 days"


def test_all_is_swapped_in_whole(tmp_path: Path, monkeypatch):
    """A failure while the set is built replaces nothing and leaves no temporary folder; a
    folder holding a file the tool did not write is refused, never emptied; a run left
    half-done (a building folder beside DIR) is tidied by the next one. On the sample's first
    eleven participants (001 … 011): the failure at 010 comes after nine files are built."""
    study = tmp_path / "study"
    study.mkdir()
    for name in ("participants.csv", "visits.csv"):
        lines = (SAMPLE / name).read_text("utf-8").splitlines(keepends=True)
        kept = [line for line in lines[1:] if line[:3] <= "011"]
        (study / name).write_text(lines[0] + "".join(kept), "utf-8")
    folder = tmp_path / "plans"
    assert run_cli("plan", "--all", "--study", str(study), "--as-of", AS_OF, "-o", str(folder)).exit_code == 0
    assert len(list(folder.iterdir())) == 11
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    import scheduler.outputs.plan_pdf as plan_pdf
    from scheduler.errors import OutputError

    real = plan_pdf.render

    def failing(plan):
        if plan.participant_id == "010":
            raise OutputError("the disk is full (simulated)")
        return real(plan)

    monkeypatch.setattr(plan_pdf, "render", failing)
    result = run_cli("plan", "--all", "--study", str(study), "--as-of", "2011-06-20", "-o", str(folder))
    assert result.exit_code == 2 and "the disk is full (simulated)" in result.stderr
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plans", "study"]
    monkeypatch.setattr(plan_pdf, "render", real)

    (folder / "notes.txt").write_text("the nurse's own notes")
    result = run_cli("plan", "--all", "--study", str(study), "--as-of", "2011-06-20", "-o", str(folder))
    assert result.exit_code == 2
    assert "holds notes.txt, which visit-scheduler did not write — nothing was written" in result.stderr
    assert {path.name: path.read_bytes() for path in folder.iterdir() if path.name != "notes.txt"} == before
    (folder / "notes.txt").unlink()

    (tmp_path / ".plans.visit-scheduler-new-abcd1234").mkdir()   # what a killed run leaves
    result = run_cli("plan", "--all", "--study", str(study), "--as-of", "2011-06-20", "-o", str(folder))
    assert result.exit_code == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plans", "study"]
    assert "AS OF 2011-06-20" in pdf_text(folder / "007.pdf")


def test_ids_that_one_file_system_cannot_tell_apart_are_refused(study):
    """a01 and A01 would be one file on Windows and macOS: refused before anything is written."""
    folder = study("participant_id,enrollment_date\nA01,2010-09-01\na01,2010-09-02\n")
    result = run_cli("plan", "--all", "-o", "plans", "--as-of", "2010-09-20", cwd=folder)
    assert result.exit_code == 2
    assert "participants A01 and a01 would both be written to a01.pdf" in result.stderr
    assert not (folder / "plans").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["007"], "a plan is for paper: give -o plan-007.pdf (or .html) — visit-scheduler status ID "
              "shows the plan on the screen"),
    (["--all"], "a plan is for paper: give -o DIR"),
    (["007", "-o", "plan.csv"], "'plan.csv': the extension picks the format; use .pdf or .html"),
    (["007", "--all", "-o", "plans"], "give an ID or --all, not both"),
    (["007", "--format", "html", "-o", "p.pdf"], "--format goes with --all"),
    (["-o", "p.pdf"], "give the participant's ID"),
    (["7", "-o", "p.pdf"], "participant '7' is not in"),
])
def test_what_plan_refuses(tmp_path: Path, args: list[str], message: str):
    """Each refusal says what to give, exit 2, nothing written."""
    result = run_cli("plan", *args, "--study", str(SAMPLE), cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_plan_never_writes_over_the_study_files(tmp_path: Path):
    """-o naming the roster (or the study folder itself, with --all): refused, exit 2."""
    import shutil

    folder = tmp_path / "study"
    shutil.copytree(SAMPLE, folder)
    before = (folder / "participants.csv").read_bytes()
    result = run_cli("plan", "--all", "--study", str(folder), "-o", str(folder))
    assert result.exit_code == 2 and "which visit-scheduler did not write" in result.stderr
    result = run_cli("plan", "--all", "--study", str(folder), "-o", str(folder / "audit"))
    assert result.exit_code == 2 and "the study folder keeps" in result.stderr
    assert (folder / "participants.csv").read_bytes() == before


def test_plan_help_imports_neither_pandas_nor_fpdf(tmp_path: Path):
    """`plan --help` starts as light as any command: no pandas, no fpdf2, no matplotlib."""
    for args in (["plan", "--help"], ["--help"]):
        assert imported(("pandas", "fpdf", "matplotlib"), *args, cwd=tmp_path) == set(), args


def test_a_pdf_prints_chinese_with_the_shipped_font(study):
    """The shipped Noto Sans SC subset carries Chinese: 受试者01 prints whole in the PDF, and
    the PDF's text layer (pypdf) reads it back."""
    from pypdf import PdfReader

    folder = study("participant_id,enrollment_date\n受试者01,2010-09-01\n")
    result = run_cli("plan", "受试者01", "--as-of", "2010-09-20", "-o", "p.pdf", cwd=folder)
    assert result.exit_code == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(folder / "p.pdf").pages)
    assert "受试者01" in text


def test_a_pdf_whose_fonts_lack_a_character_is_refused_not_printed_without_it(study):
    """Neither DejaVu Sans nor the Chinese subset has Hangul: a PDF would print 한국01 as "01".
    Refused, exit 2, nothing written; the HTML plan (printed with the computer's fonts)
    carries the ID whole."""
    folder = study("participant_id,enrollment_date\n한국01,2010-09-01\n")
    result = run_cli("plan", "한국01", "--as-of", "2010-09-20", "-o", "p.pdf", cwd=folder)
    assert result.exit_code == 2
    assert "cannot print (국한)" in result.stderr or "cannot print (한국)" in result.stderr, result.stderr
    assert "write it as HTML instead" in result.stderr
    assert not (folder / "p.pdf").exists()
    result = run_cli("plan", "한국01", "--as-of", "2010-09-20", "-o", "p.html", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "Visit plan — participant 한국01" in (folder / "p.html").read_text("utf-8")
