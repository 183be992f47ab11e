"""The weekly report as Markdown, HTML, Excel or CSV.

Every format lists every deviation to date, one row or line each, with its participant_id
and visit_code, those new this week marked. The CSV is exactly that list, as Excel's "CSV
UTF-8", with a cell that begins like a formula (= + - @, a tab, a carriage return) begun with
a single quote: people open it in Excel. Only participant IDs appear: the report is built
from the check table, which holds no roster column. Text in the Markdown (heading, cells,
list lines) is escaped so that it stays text when an e-mail renders it.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pandas as pd

from scheduler.core.report import Report
from scheduler.core.status import CHECK_COLUMNS
from scheduler.outputs.files import as_text, write_table, write_workbook
from scheduler.storage.atomic import atomic_write

DEVIATION_COLUMNS = ["participant_id", "visit_code", "visit_name", "window_open", "window_close",
                     "actual_date", "status", "days_outside", "reason"]


def deviations_csv_frame(report: Report) -> pd.DataFrame:
    """The CSV: the check's columns plus new_this_week (true or false)."""
    return report.all_deviations[[*CHECK_COLUMNS, "new_this_week"]]


def _suggested(frame: pd.DataFrame) -> list[str]:
    return ["suggested_date"] if "suggested_date" in frame.columns else []


def _reason_shown(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.copy()
    shown["reason"] = shown["reason"].where(shown["reason"] != "", "reason missing")
    return shown


def _figure(value: int | float | str) -> str:
    """A summary figure as text: a share of one (a float) as a percent with one decimal."""
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def _compliance_shown(report: Report) -> pd.DataFrame:
    """The compliance table with its shares as text (88%; empty where nothing was judged),
    for the HTML and the Markdown; the workbook keeps the numbers."""
    shown = report.compliance.copy()
    shown["compliance"] = [f"{value:.0%}" if pd.notna(value) else "" for value in shown["compliance"]]
    return shown


def _heading(report: Report) -> str:
    site = f" (site{'s' if ', ' in report.site else ''} {report.site})" if report.site else ""
    return f"Weekly deviation report — {report.study_id}{site}"


# --------------------------------------------------------------------------- Markdown


MARKUP = re.compile(r"[`*\[\]~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _md(text: object) -> str:
    """Text that stays text when the Markdown is rendered (an e-mail may render HTML): in a
    table cell, a list line or the heading. HTML is escaped; so are the marks of emphasis,
    code, links and strike-through (an underscore inside a word, as in in_window, is not
    emphasis and stays as it is); a line break becomes a space."""
    escaped = (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
               .replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return MARKUP.sub(lambda mark: "\\" + mark.group(0), escaped)


def _md_table(frame: pd.DataFrame) -> list[str]:
    text = as_text(frame)
    lines = ["| " + " | ".join(text.columns) + " |", "|" + " --- |" * len(text.columns)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in text.itertuples(index=False)]
    return lines


def markdown(report: Report) -> str:
    """Short enough to paste into an e-mail: the figures, this week's deviations, every
    deviation to date on one line each, and counts for the rest."""
    lines = [f"# {_md(_heading(report))}", "",
             f"Reporting week {report.week.label}; as of {report.as_of}. Made {report.made_at}.", "",
             f"Audit trail: {_md(report.trail_head)}", ""]
    lines += ["## Summary", "", "| | |", "| --- | --- |"]
    lines += [f"| {_md(name.strip())} | {_figure(value)} |" for name, value in report.summary]
    new = _reason_shown(report.new_deviations)
    lines += ["", f"## New deviations this week ({len(new)})", ""]
    lines += _md_table(new[DEVIATION_COLUMNS]) if len(new) else ["None."]
    lines += ["", f"## All deviations to date ({len(report.all_deviations)}; NEW = new this week)", ""]
    for row in as_text(_reason_shown(report.all_deviations)).itertuples(index=False):
        days = f" {row.days_outside} day{'s' if row.days_outside != '1' else ''}"
        actual = f", done {row.actual_date!s}" if row.actual_date else ""
        mark = "NEW " if row.new_this_week == "true" else ""
        lines.append(f"- {mark}{_md(row.participant_id)} {_md(row.visit_code)}: {row.status}{days} "
                     f"(window {row.window_open} to {row.window_close}{actual}) — {_md(row.reason)}")
    if not len(report.all_deviations):
        lines.append("None.")
    lines += ["", f"## Due in the next 14 days: {len(report.due)} visits", ""]
    if len(report.due):
        lines += _md_table(report.due[["participant_id", "visit_code", "window_open", "window_close",
                                       *_suggested(report.due), "days_left"]])
    lines += [f"- {_md(note)}" for note in report.notes]
    compliance = _compliance_shown(report)
    off = compliance[compliance["deviations"] > 0]
    lines += ["", f"## Compliance: {len(off)} of {len(compliance)} enrolled participants "
                  "with deviations", ""]
    if len(off):
        lines += _md_table(off)
    lines += ["", "Made from: " + "; ".join(f"{s.role} {_md(s.name)} (sha256 {s.sha256[:12]})"
                                           for s in report.sources), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML

CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Segoe UI", "Microsoft YaHei", Arial, sans-serif; font-size: 10pt; color: #111; margin: 1.5em; }
h1 { font-size: 16pt; margin-bottom: 0.2em; } h2 { font-size: 12pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.4em 0; } th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } tr.deviation td { background: #f8d7d7; } tr.new td { font-weight: bold; }
.meta { color: #444; } .figure img { width: 100%; max-width: 27cm; }
td.num { text-align: right; } .missing { color: #b00; font-style: italic; }
@media print { h2 { break-after: avoid; } table, .figure { break-inside: auto; } tr { break-inside: avoid; } }
"""


def _html_table(frame: pd.DataFrame, row_class: pd.Series | None = None) -> str:
    text = as_text(frame)
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in text.columns)
    rows = []
    classes = row_class.tolist() if row_class is not None else [""] * len(text)
    for css, row in zip(classes, text.itertuples(index=False)):
        cells = []
        for name, cell in zip(text.columns, row):
            if name == "reason" and cell == "reason missing":
                cells.append('<td class="missing">reason missing</td>')
            else:
                cells.append(f"<td>{html.escape(str(cell))}</td>")
        rows.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def html_page(report: Report, picture: bytes) -> str:
    """Self-contained (the picture is embedded), opens offline, prints on A4 landscape."""
    escape = html.escape
    summary = "".join(f"<tr><th>{escape(name.strip())}</th><td class='num'>{escape(_figure(value))}</td></tr>"
                      for name, value in report.summary)
    sources = "".join(f"<tr><td>{escape(s.role)}</td><td>{escape(s.name)}</td><td><code>{s.sha256}</code></td></tr>"
                      for s in report.sources)
    new = _reason_shown(report.new_deviations)
    every = _reason_shown(report.all_deviations)
    every_classes = every["new_this_week"].map({True: "deviation new", False: "deviation"})
    every_shown = every[DEVIATION_COLUMNS].assign(new_this_week=every["new_this_week"].map({True: "NEW", False: ""}))
    image = base64.b64encode(picture).decode("ascii")
    title = escape(_heading(report))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — {escape(report.week.name)}</title>
<style>{CSS}</style></head><body>
<h1>{title}</h1>
<p class="meta">{escape(report.title)}</p>
<p class="meta">Reporting week <b>{escape(report.week.label)}</b>; as of <b>{report.as_of}</b>. Made {escape(report.made_at)}.</p>
<p class="meta">Audit trail: <code>{escape(report.trail_head)}</code>{" — keep this line: it anchors the trail outside the folder." if "sha256" in report.trail_head else ""}</p>
<h2>Summary</h2><table>{summary}</table>
<h2>New deviations this week ({len(new)})</h2>
{_html_table(new[DEVIATION_COLUMNS], pd.Series(["deviation new"] * len(new))) if len(new) else "<p>None.</p>"}
<h2>Timeline</h2>
<div class="figure"><img alt="Every participant's visit windows (bars), visits done (dots), deviations in red, the reporting week shaded" src="data:image/png;base64,{image}"></div>
<h2>All deviations to date ({len(every)})</h2>
{_html_table(every_shown, every_classes) if len(every) else "<p>None.</p>"}
<h2>Due in the next 14 days ({len(report.due)})</h2>
{_html_table(report.due[["participant_id", "visit_code", "target_date", "window_open", "window_close", *_suggested(report.due), "days_left", "status"]]) if len(report.due) else "<p>None.</p>"}
{"".join(f"<p class='missing'>{escape(note)}</p>" for note in report.notes)}
<h2>Compliance per participant</h2>
{_html_table(_compliance_shown(report))}
<h2>Made from</h2><table><thead><tr><th>input</th><th>file</th><th>SHA-256</th></tr></thead><tbody>{sources}</tbody></table>
</body></html>
"""


# --------------------------------------------------------------------------- writing


def write_report(report: Report, path: Path | None, picture: bytes | None) -> str | None:
    """Write the report to ``path`` (format from the extension); without a path, return the
    Markdown for the terminal."""
    if path is None:
        return markdown(report)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # People open it in Excel: a reason typed as =HYPERLINK(…) must not run there.
        write_table(deviations_csv_frame(report), path, defuse=True)
    elif suffix == ".md":
        with atomic_write(path) as stream:
            stream.write(markdown(report))
    elif suffix == ".html":
        with atomic_write(path) as stream:
            stream.write(html_page(report, picture or b""))
    elif suffix == ".xlsx":
        summary = pd.DataFrame(
            [("study", report.study_id), ("site", report.site), ("reporting week", report.week.label),
             ("as of", str(report.as_of)), ("made", report.made_at), ("audit trail", report.trail_head)]
            + [(name.strip(), value) for name, value in report.summary]
            + [(f"{s.role} {s.name}", f"sha256 {s.sha256}") for s in report.sources]
            + [("note", note) for note in report.notes],
            columns=["item", "value"])
        every = _reason_shown(report.all_deviations)
        new = _reason_shown(report.new_deviations)
        write_workbook({
            "Summary": (summary, None),
            "New this week": (new[DEVIATION_COLUMNS], pd.Series([True] * len(new))),
            "All deviations": (every[[*DEVIATION_COLUMNS, "new_this_week"]],
                               pd.Series([True] * len(every))),
            "Due next 14 days": (report.due, None),
            "Compliance": (report.compliance, report.compliance["deviations"] > 0),
        }, path, images={"Timeline": picture} if picture else None,
            title=f"{_heading(report)}, week {report.week.name}",
            # Shares of one stay numbers, shown as the HTML and the Markdown show them.
            percent={"Summary": {"value": "0.0%"}, "Compliance": {"compliance": "0%"}})
    return None
