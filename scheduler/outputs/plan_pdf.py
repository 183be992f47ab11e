"""The visit plan as a PDF written directly with fpdf2 (``plan ID -o plan.pdf``): one A4
portrait page for a protocol of about a dozen visits, its font embedded (a subset of a
TrueType font, so the text prints the same everywhere and can be searched and copied).

The font is chosen in one place, ``FONT_FILES``: DejaVu Sans, which matplotlib (already a
dependency) ships in ``matplotlib/mpl-data/fonts/ttf/``. Its folder is found without
importing matplotlib. DejaVu Sans has no Chinese: a plan with Chinese text (the Chinese
interface's words, or a protocol's or a participant's) draws those characters in Noto Sans SC,
the font the package ships (``outputs.people.font_file``), as fpdf2's fallback font. Without
that file, such a plan is refused, naming the characters, rather than printed without them.

A plan longer than a page goes on to the next, the table's heading row repeated there.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from scheduler.core.paper import WORDS, PlanVisit, VisitPlan, word
from scheduler.errors import OutputError
from scheduler.i18n import _, chinese, pgettext
from scheduler.outputs.people import CJK_FONT_NAME, font_file
from scheduler.paths import label
from scheduler.storage.atomic import atomic_path, write_set

if TYPE_CHECKING:
    from fpdf import FPDF

# The one font choice: each style's file in matplotlib's font folder.
FONT_FAMILY = "PlanSans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT_NAME = "DejaVu Sans"
# The characters DejaVu Sans lacks (Chinese), drawn in the shipped Noto Sans SC (one style).
FALLBACK_FAMILY = "PlanCJK"
CREATOR = "visit-scheduler visit plan"  # also how the tool knows its own files (made_here)

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # mm, A4 portrait
LEFT, RIGHT, TOP, BOTTOM = 13.0, 13.0, 12.0, 10.0
WIDTH = PAGE_WIDTH - LEFT - RIGHT  # 184 mm
# Column widths (mm): visit and what is done, target, window, suggested, done, booked.
COLUMNS = (58.0, 22.0, 24.0, 22.0, 24.0, 34.0)
PAD = 1.4       # mm inside a cell, left and right
ROW_PAD = 1.8   # mm above a row's text; a little less below
TEXT = (17, 17, 17)
GREY = (85, 85, 85)
RULE = (170, 170, 170)
DEVIATION = (165, 0, 33)
MM_PER_PT = 25.4 / 72
DATE = 8.5  # pt: a whole ISO date fits a 22 mm column


def font_folder() -> Path:
    """matplotlib's TrueType folder (mpl-data/fonts/ttf), found without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise OutputError(_("the PDF font (DejaVu Sans, from matplotlib) cannot be found — reinstall "
                            "visit-scheduler, or write the plan as HTML (-o plan.html)"))
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


def _line_height(size: float) -> float:
    return size * MM_PER_PT * 1.25


@dataclass(frozen=True)
class _Text:
    """A run of text in a cell: its size, style and colour."""

    text: str
    size: float = 9.0
    style: str = ""
    colour: tuple[int, int, int] = TEXT
    gap: float = 0.0  # mm above it


class _Page:
    """fpdf2 with what the plan draws: blocks of text in a column, rules, the heading row."""

    def __init__(self, plan: VisitPlan):
        from fpdf import FPDF

        folder = font_folder()
        self.pdf: FPDF = FPDF(orientation="P", unit="mm", format="A4")
        for style, name in FONT_FILES.items():
            path = folder / name
            if not path.is_file():
                # TRANSLATORS: {font} is a font's file name (DejaVuSans.ttf), {folder} where it should be.
                raise OutputError(_("the PDF font {font} is missing from {folder} — reinstall "
                                    "matplotlib, or write the plan as HTML (-o plan.html)")
                                  .format(font=name, folder=label(folder)))
            self.pdf.add_font(FONT_FAMILY, style, str(path))
        self.pdf.set_margins(LEFT, TOP, RIGHT)
        self.pdf.set_auto_page_break(False)
        self.pdf.c_margin = 0
        self.pdf.set_title(f"{plan.heading} · {plan.study_id}")
        self.pdf.set_subject(plan.study_id)
        self.pdf.set_creator(CREATOR)
        self.pdf.set_lang("zh-CN" if chinese() else "en")
        self.pdf.add_page()
        self.fallback = False

    def add_fallback(self, path: Path) -> None:
        """Draw the characters DejaVu Sans lacks in the font of ``path`` (any style: Noto Sans
        SC has one, the bold text's Chinese is drawn in it too)."""
        self.pdf.add_font(FALLBACK_FAMILY, "", str(path))
        self.pdf.set_fallback_fonts([FALLBACK_FAMILY], exact_match=False)
        self.fallback = True

    # Line breaks depend only on the text, the font and the width: kept for the next plan
    # (every participant's plan repeats the protocol's names and procedures).
    _breaks: ClassVar[dict[tuple[str, float, str, float, bool], tuple[str, ...]]] = {}

    def lines(self, run: _Text, width: float) -> tuple[str, ...]:
        key = (run.text, run.size, run.style, width, self.fallback)
        found = self._breaks.get(key)
        if found is None:
            self.pdf.set_font(FONT_FAMILY, run.style, run.size)
            found = tuple(cast("list[str]", self.pdf.multi_cell(
                width, _line_height(run.size), run.text, dry_run=True, output="LINES")))
            self._breaks[key] = found
        return found

    def height(self, runs: Sequence[_Text], width: float) -> float:
        return sum(run.gap + len(self.lines(run, width)) * _line_height(run.size) for run in runs)

    def draw(self, runs: Sequence[_Text], x: float, y: float, width: float) -> float:
        """The runs one under the other from (x, y), each broken into lines that fit
        ``width``; the y below them."""
        for run in runs:
            y += run.gap
            self.pdf.set_font(FONT_FAMILY, run.style, run.size)
            self.pdf.set_text_color(*run.colour)
            for line in self.lines(run, width):
                self.pdf.set_xy(x, y)
                if self.fallback:
                    # fpdf2 (2.8) sets the font of a line drawn partly in the fallback font
                    # inside the line's own q … Q, then believes it still set for the next
                    # line, which would be drawn in the wrong font: each line sets it anew.
                    self.pdf.current_font_is_set_on_page = False
                self.pdf.cell(width, _line_height(run.size), line)
                y += _line_height(run.size)
        return y

    def rule(self, y: float, width: float, colour: tuple[int, int, int], x: float = LEFT,
             length: float = WIDTH) -> None:
        self.pdf.set_draw_color(*colour)
        self.pdf.set_line_width(width)
        self.pdf.line(x, y, x + length, y)


def _cells(visit: PlanVisit) -> list[list[_Text]]:
    """What each column of a visit's row says."""
    what = [_Text(f"{visit.code}  {visit.name}", 9, "B"), _Text(visit.timing, 7.5, colour=GREY, gap=0.3)]
    if visit.procedures:
        what.append(_Text(pgettext("list", "; ").join(visit.procedures), 7.5, gap=0.5))
    window = [_Text(line, DATE) for line in visit.window_lines]
    suggested = [_Text(visit.suggested.isoformat(), DATE, "B")] if visit.suggested else []
    done = [_Text(visit.actual.isoformat(), DATE)] if visit.actual else []
    done.append(_Text(visit.status_text, 8, "B" if visit.is_deviation else "",
                      DEVIATION if visit.is_deviation else GREY))
    return [what, [_Text(visit.target.isoformat(), DATE)], window, suggested, done, []]


BOOKING_LINE = 7.5  # mm from the row's top to the line the nurse writes on
HEADS = ("visit", "target", "window", "suggested", "done", "booked")


def _date_time() -> str:
    # TRANSLATORS: under the line where the nurse writes the booked visit's date and time.
    return _("date / time")


def _heading_row(page: _Page, y: float) -> float:
    runs = [[_Text(word(name), 7.5, "B", GREY)] for name in HEADS]
    height = max(page.height(cell, width - 2 * PAD) for cell, width in zip(runs, COLUMNS, strict=True))
    x = LEFT
    for cell, width in zip(runs, COLUMNS, strict=True):
        # Bottom-aligned, as a table's heading row reads.
        page.draw(cell, x + PAD, y + height - page.height(cell, width - 2 * PAD), width - 2 * PAD)
        x += width
    y += height + 1.2
    page.rule(y, 0.42, (51, 51, 51))
    return y


def _next_page(page: _Page, plan: VisitPlan) -> float:
    """A new page that says whose plan it continues (a loose sheet is still known); its top."""
    page.pdf.add_page()
    continued = word("continued")
    return page.draw([_Text(f"{plan.heading} · {plan.study_id} ({continued})", 8, colour=GREY)],
                     LEFT, TOP, WIDTH) + 2.0


def _visit_row(page: _Page, plan: VisitPlan, visit: PlanVisit, y: float) -> float:
    """One visit's row from y, on this page or (when it does not fit) the next; the y below it."""
    cells = _cells(visit)
    inner = [width - 2 * PAD for width in COLUMNS]
    height = max([page.height(cell, width) for cell, width in zip(cells, inner, strict=True)]
                 + [BOOKING_LINE + 3.0 if visit.to_book else 0.0]) + ROW_PAD + 1.6
    if y + height > PAGE_HEIGHT - BOTTOM:
        y = _heading_row(page, _next_page(page, plan))
    x = LEFT
    for cell, width in zip(cells, COLUMNS, strict=True):
        page.draw(cell, x + PAD, y + ROW_PAD, width - 2 * PAD)
        x += width
    if visit.to_book:
        left = LEFT + sum(COLUMNS[:-1]) + PAD
        page.rule(y + ROW_PAD + BOOKING_LINE, 0.28, (34, 34, 34), left, COLUMNS[-1] - 2 * PAD)
        page.draw([_Text(_date_time(), 6.5, colour=GREY)], left, y + ROW_PAD + BOOKING_LINE + 0.3,
                  COLUMNS[-1] - 2 * PAD)
    y += height
    page.rule(y, 0.18, RULE)
    return y


def _facts(page: _Page, plan: VisitPlan, y: float) -> float:
    """The participant's facts in a box: LABEL value, side by side, wrapping when needed."""
    pdf = page.pdf
    x, top = LEFT + 3.0, y
    row = _line_height(10)
    y += 2.0
    for name, value in plan.facts:
        pdf.set_font(FONT_FAMILY, "", 7)
        caption = name.upper()
        caption_width = pdf.get_string_width(caption) + 1.5
        pdf.set_font(FONT_FAMILY, "B", 10)
        value_width = pdf.get_string_width(value)
        if x + caption_width + value_width > LEFT + WIDTH - 3.0 and x > LEFT + 3.0:
            x, y = LEFT + 3.0, y + row + 1.2
        page.draw([_Text(caption, 7, colour=GREY)], x, y + 0.9, caption_width + 1)
        page.draw([_Text(value, 10, "B")], x + caption_width, y, value_width + 1)
        x += caption_width + value_width + 7.0
    y += row + 2.0
    pdf.set_draw_color(153, 153, 153)
    pdf.set_line_width(0.21)
    pdf.rect(LEFT, top, WIDTH, y - top, round_corners=True, corner_radius=1.0)
    return y


def _missing_characters(page: _Page, plan: VisitPlan) -> list[str]:
    """The characters of the plan that a style of the font cannot draw (fpdf2 would leave
    them out, and "受试者01" would print as "01"), before any fallback font is added."""
    texts = [plan.heading, plan.study_id, plan.title, *(text for fact in plan.facts for text in fact),
             *(word(name) for name in WORDS), _date_time()]
    for visit in plan.visits:
        texts += [visit.code, visit.name, visit.timing, *visit.procedures, visit.status_text]
    wanted = {char for char in "".join(texts) if not char.isspace()}
    missing: set[str] = set()
    for font in page.pdf.fonts.values():
        cmap: dict[int, str] = getattr(font, "cmap", {})
        missing |= {char for char in wanted if ord(char) not in cmap}
    return sorted(missing)


def _fallen_back(page: _Page, missing: list[str]) -> list[str]:
    """With the shipped Chinese font as the fallback (when there is the file), the characters
    still missing: those it lacks too."""
    path = font_file()
    if not missing or path is None:
        return missing
    page.add_fallback(path)
    fallback = page.pdf.fonts[FALLBACK_FAMILY.lower()]
    cmap: dict[int, str] = getattr(fallback, "cmap", {})
    return [char for char in missing if ord(char) not in cmap]


def render(plan: VisitPlan) -> bytes:
    """The plan's PDF: heading, study, facts, one row per visit, the note. Refuses a plan
    with characters the fonts (DejaVu Sans, and the shipped Chinese font where there is
    one) do not have, rather than print it without them."""
    page = _Page(plan)
    missing = _fallen_back(page, _missing_characters(page, plan))
    if missing:
        shown = "".join(missing[:8]) + ("…" if len(missing) > 8 else "")
        values = {"participant": plan.participant_id, "characters": shown}
        if page.fallback:
            # TRANSLATORS: {font} and {fallback} are the PDF's fonts (DejaVu Sans, Noto Sans SC),
            # {characters} the characters both lack; -o plan.html and --format html with --all
            # are options of the command.
            raise OutputError(_("the plan of participant {participant} has characters the PDF fonts ({font}, "
                                "{fallback}) cannot print ({characters}) — write it as HTML instead (-o "
                                "plan.html, or --format html with --all), which the browser prints with the "
                                "computer's fonts; nothing was written").format(
                font=FONT_NAME, fallback=CJK_FONT_NAME, **values))
        # TRANSLATORS: {font} is the PDF's font (DejaVu Sans), {characters} the characters it
        # lacks; -o plan.html and --format html with --all are options of the command.
        raise OutputError(_("the plan of participant {participant} has characters the PDF font ({font}) "
                            "cannot print ({characters}) — write it as HTML instead (-o plan.html, or "
                            "--format html with --all), which the browser prints with the computer's "
                            "fonts; nothing was written").format(font=FONT_NAME, **values))
    y = page.draw([_Text(plan.heading, 15, "B")], LEFT, TOP, WIDTH)
    study = f"{plan.study_id} · {plan.title}" if plan.title else plan.study_id
    y = page.draw([_Text(study, 9, colour=(51, 51, 51))], LEFT, y + 1.0, WIDTH)
    y = _facts(page, plan, y + 2.5)
    y = _heading_row(page, y + 4.0)
    for visit in plan.visits:
        y = _visit_row(page, plan, visit, y)
    closing = [_Text(word("note"), 7.5, colour=(51, 51, 51)),
               _Text(word("footer"), 7, colour=GREY, gap=1.5)]
    if y + 3.5 + page.height(closing, WIDTH) > PAGE_HEIGHT - BOTTOM:
        y = _next_page(page, plan) - 3.5
    page.draw(closing, LEFT, y + 3.5, WIDTH)
    return bytes(page.pdf.output())


def write_plan(plan: VisitPlan, output: Path) -> None:
    """One plan, written to a temporary file and renamed into place."""
    content = render(plan)
    with atomic_path(output) as temporary:
        temporary.write_bytes(content)


def write_plans(plans: Sequence[VisitPlan], names: Mapping[str, str], folder: Path,
                ours: Callable[[Path], bool]) -> None:
    """Every plan into ``folder`` (``names``: each participant's file name), swapped in whole."""
    write_set(folder, {names[plan.participant_id]: partial(render, plan) for plan in plans}, ours)


SIGNATURE = f"/Creator ({CREATOR})".encode("ascii")


def made_here(path: Path) -> bool:
    """A plan visit-scheduler wrote: a .pdf file whose information near its end names the
    tool as its creator (fpdf2 writes that dictionary just before the cross-reference table)."""
    if path.suffix.lower() != ".pdf":
        return False
    try:
        with open(path, "rb") as stream:
            if stream.read(5) != b"%PDF-":
                return False
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - 4096))
            tail = stream.read()
    except OSError:
        return False
    return SIGNATURE in tail and b"%%EOF" in tail[-16:]
