"""The visit plan as one self-contained HTML page that prints on one A4 sheet (``plan ID -o
plan.html``): no script, no picture, no file beside it; the print rules in its own CSS.

The page has no margin of its own (``@page { margin: 0 }``) and the sheet carries the
margins as padding: browsers then print no header or footer of their own (the address, the
date), whatever the print dialog says, and a nurse only presses Print. Should a protocol's
plan run longer than a page, the padding repeats on the next sheet (``box-decoration-break``)
and so does the table's heading row.

The page's words are the reader's language (``lang`` says which); in Chinese the fonts that
draw Chinese follow the Latin ones in the style sheet.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from scheduler.core.paper import PlanVisit, VisitPlan, word
from scheduler.i18n import _, chinese, pgettext
from scheduler.outputs.people import CJK_FONTS, html_language
from scheduler.storage.atomic import atomic_path, file_head, write_set

GENERATOR = "visit-scheduler visit plan"
SIGNATURE = f'<meta name="generator" content="{GENERATOR}">'.encode("ascii")

CSS = """
@page { size: A4 portrait; margin: 0; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #111; font: 9pt/1.3 FONTS, sans-serif; }
.sheet { width: 210mm; padding: 12mm 13mm 10mm; margin: 0 auto;
         -webkit-box-decoration-break: clone; box-decoration-break: clone; }
@media screen { body { background: #e8e8e8; }
                .sheet { background: #fff; margin: 6mm auto; min-height: 297mm;
                         box-shadow: 0 0 3mm rgba(0, 0, 0, .25); } }
h1 { font-size: 15pt; margin: 0 0 1mm; }
.study { margin: 0 0 3mm; font-size: 9pt; color: #333; }
.facts { display: flex; flex-wrap: wrap; gap: 1.5mm 7mm; margin: 0 0 4mm; padding: 2mm 3mm;
         border: .6pt solid #999; border-radius: 1mm; }
.facts div { white-space: nowrap; }
.facts span { color: #555; font-size: 7.5pt; text-transform: uppercase; letter-spacing: .03em;
              margin-right: 1.5mm; }
.facts b { font-size: 10pt; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
thead { display: table-header-group; }
th { text-align: left; vertical-align: bottom; font-size: 7.5pt; font-weight: bold; color: #333;
     padding: 0 1.4mm 1.2mm; border-bottom: 1.2pt solid #333; }
td { vertical-align: top; padding: 1.8mm 1.4mm 1.6mm; border-bottom: .5pt solid #aaa; }
tr { break-inside: avoid; page-break-inside: avoid; }
.date { white-space: nowrap; font-size: 8.5pt; font-variant-numeric: tabular-nums; }
.name { font-weight: bold; }
.code { display: inline-block; min-width: 8.5mm; }
.timing { color: #555; font-size: 7.5pt; }
.procedures { color: #333; font-size: 7.5pt; margin-top: .5mm; }
.small { color: #555; font-size: 7.5pt; }
.deviation { color: #a50021; font-weight: bold; font-size: 8pt; }
.line { border-bottom: .8pt solid #222; height: 7.5mm; }
.hint { color: #777; font-size: 6.5pt; }
.note { margin: 3.5mm 0 0; font-size: 7.5pt; color: #333; }
.footer { margin: 1.5mm 0 0; font-size: 7pt; color: #666; }
"""

# The style sheet's fonts: the Latin ones first (the English page's, as they always were).
LATIN_FONTS = ('"DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial,\n'
               '       "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC"')
CHINESE_FONTS = f'"DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial,\n       {CJK_FONTS}'


def _css() -> str:
    """The style sheet; in Chinese, the fonts that draw Chinese follow the Latin ones."""
    return CSS.replace("FONTS", CHINESE_FONTS if chinese() else LATIN_FONTS)


# Column widths (mm of the 184 mm between the margins): visit, target, window, suggested,
# done, booked.
COLUMNS = (58, 22, 24, 22, 24, 34)


def _visit_row(visit: PlanVisit) -> str:
    escape = html.escape
    procedures = pgettext("list", "; ").join(visit.procedures)
    what = (f'<div class="name"><span class="code">{escape(visit.code)}</span> {escape(visit.name)}</div>'
            f'<div class="timing">{escape(visit.timing)}</div>'
            + (f'<div class="procedures">{escape(procedures)}</div>' if procedures else ""))
    window = "<br>".join(f'<span class="date">{escape(line)}</span>' for line in visit.window_lines)
    suggested = f'<b class="date">{visit.suggested}</b>' if visit.suggested else ""
    status_class = "deviation" if visit.is_deviation else "small"
    done = ((f'<span class="date">{visit.actual}</span><br>' if visit.actual else "")
            + f'<span class="{status_class}">{escape(visit.status_text)}</span>')
    # TRANSLATORS: under the line where the nurse writes the booked visit's date and time.
    hint = escape(_("date / time"))
    booked = f'<div class="line"></div><div class="hint">{hint}</div>' if visit.to_book else ""
    return (f"<tr><td>{what}</td><td><span class=\"date\">{visit.target}</span></td><td>{window}</td>"
            f"<td>{suggested}</td><td>{done}</td><td>{booked}</td></tr>")


def render(plan: VisitPlan) -> str:
    """The page: the study, the participant's facts, one row per visit, the note."""
    escape = html.escape
    facts = "".join(f"<div><span>{escape(name)}</span><b>{escape(value)}</b></div>"
                    for name, value in plan.facts)
    heads = ("visit", "target", "window", "suggested", "done", "booked")
    columns = "".join(f'<col style="width: {width / sum(COLUMNS) * 100:.2f}%">' for width in COLUMNS)
    header = "".join(f"<th>{escape(word(name))}</th>" for name in heads)
    rows = "".join(_visit_row(visit) for visit in plan.visits)
    study = f"<b>{escape(plan.study_id)}</b>" + (f" · {escape(plan.title)}" if plan.title else "")
    return f"""<!DOCTYPE html>
<html lang="{html_language()}"><head><meta charset="utf-8">
{SIGNATURE.decode("ascii")}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(plan.heading)} · {escape(plan.study_id)}</title>
<style>{_css()}</style></head>
<body><div class="sheet">
<h1>{escape(plan.heading)}</h1>
<p class="study">{study}</p>
<div class="facts">{facts}</div>
<table><colgroup>{columns}</colgroup>
<thead><tr>{header}</tr></thead>
<tbody>{rows}</tbody></table>
<p class="note">{escape(word("note"))}</p>
<p class="footer">{escape(word("footer"))}</p>
</div></body></html>
"""


def write_plan(plan: VisitPlan, output: Path) -> None:
    """One plan, written to a temporary file and renamed into place."""
    with atomic_path(output) as temporary:
        temporary.write_bytes(render(plan).encode("utf-8"))


def write_plans(plans: Sequence[VisitPlan], names: Mapping[str, str], folder: Path,
                ours: Callable[[Path], bool]) -> None:
    """Every plan into ``folder`` (``names``: each participant's file name), swapped in whole."""
    write_set(folder, {names[plan.participant_id]: partial(_encoded, plan) for plan in plans}, ours)


def _encoded(plan: VisitPlan) -> bytes:
    return render(plan).encode("utf-8")


def made_here(path: Path) -> bool:
    """A plan visit-scheduler wrote: an .html file whose head carries its generator line."""
    head = file_head(path, ".html", 512)
    return head is not None and head.startswith(b"<!DOCTYPE html>") and SIGNATURE in head
