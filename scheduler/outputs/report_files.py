"""The weekly report as Markdown, HTML, Excel or CSV.

Every format lists every deviation to date, one row or line each, with its participant_id
and visit_code, those new this week marked, and the unscheduled visits of the week (never
deviations). The CSV is exactly that list, as Excel's "CSV UTF-8": the deviations, then the
week's unscheduled visits (status unscheduled, new_this_week false), with a cell that begins
like a formula (= + - @, a tab, a carriage return) begun with a single quote: people open it
in Excel. Only participant IDs appear: the report is built
from the check table, which holds no roster column. Text in the Markdown (heading, cells,
list lines) is escaped so that it stays text when an e-mail renders it.

The HTML, the Excel workbook and the Markdown are for people: their words are the reader's
language, headings and status words through ``outputs.people``. The CSV is the contract's:
English column names and status words, whatever the language.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pandas as pd

from scheduler.core.report import Report
from scheduler.core.status import CHECK_COLUMNS
from scheduler.i18n import _, chinese, ngettext, pgettext
from scheduler.outputs.files import as_text, write_table, write_workbook
from scheduler.outputs.people import CJK_FONTS, for_people, html_language, status_word
from scheduler.storage.atomic import atomic_write

DEVIATION_COLUMNS = ["participant_id", "visit_code", "visit_name", "window_open", "window_close",
                     "actual_date", "status", "days_outside", "reason"]


UNSCHEDULED_COLUMNS = ["participant_id", "visit_code", "actual_date", "reason"]


def _shown_columns(report: Report) -> list[str]:
    """The deviation tables' columns; with protocol versions, the version each was judged by."""
    return [*DEVIATION_COLUMNS, *(["protocol_version"] if report.moves is not None else [])]


def deviations_csv_frame(report: Report) -> pd.DataFrame:
    """The CSV: the check's columns plus new_this_week (true or false). After the deviations,
    the week's unscheduled visits: status unscheduled, new_this_week false (not a deviation,
    so never a new one), the reason as recorded."""
    columns = [*CHECK_COLUMNS, "new_this_week", "protocol_version"]
    deviations = report.all_deviations[columns]
    if not len(report.unscheduled):
        return deviations
    extra = report.unscheduled[[*CHECK_COLUMNS, "protocol_version"]].assign(new_this_week=False)[columns]
    return pd.concat([deviations.astype({"visit_code": object, "status": object}), extra], ignore_index=True)


def _unscheduled_shown(report: Report) -> pd.DataFrame:
    """The week's unscheduled visits for people: "reason missing" where none was given (why
    the participant came is expected), with the arm after the others' columns under [[arms]]."""
    columns = [*UNSCHEDULED_COLUMNS, *(["arm"] if "arm" in report.unscheduled.columns else [])]
    return _reason_shown(report.unscheduled)[columns]


def _suggested(frame: pd.DataFrame) -> list[str]:
    return ["suggested_date"] if "suggested_date" in frame.columns else []


def _reason_missing() -> str:
    """What a deviation (or an unscheduled visit) without a reason shows in the reason's place."""
    return _("reason missing")


def _reason_shown(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.copy()
    shown["reason"] = shown["reason"].where(shown["reason"] != "", _reason_missing())
    return shown


def _role(role: str) -> str:
    """What an input file of the report is ("participants", "visits" …), in the reader's words."""
    roles = {"protocol": pgettext("input", "protocol"), "participants": pgettext("input", "participants"),
             "visits": pgettext("input", "visits"), "clinic closures": pgettext("input", "clinic closures"),
             # TRANSLATORS: an input of the report: an earlier protocol version (protocols/1.0.toml).
             "protocol version": pgettext("input", "earlier protocol version"),
             # TRANSLATORS: an input of the report: versions.csv, who moved to which protocol version.
             "version history": pgettext("input", "version history")}
    return roles.get(role, role)


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
    if not report.site:
        return _("Weekly deviation report — {study}").format(study=report.study_id)
    sites = report.site.count(", ") + 1
    # TRANSLATORS: {site} is one site's ID, or several separated by commas ("01, 02").
    return ngettext("Weekly deviation report — {study} (site {site})",
                    "Weekly deviation report — {study} (sites {site})", sites).format(
        study=report.study_id, site=report.site)


def _week_line(week: str, as_of: str, made: str, markup: bool = False) -> str:
    """The report's week, date and time made (``markup``: the values are HTML, the sentence
    is escaped around them)."""
    # TRANSLATORS: {week} is an ISO week with its days ("2010-W37 (Monday 2010-09-13 to Sunday
    # 2010-09-19)"), {date} the report's as-of date, {made} when the report was made.
    sentence = _("Reporting week {week}; as of {date}. Made {made}.")
    return (_text(sentence) if markup else sentence).format(week=week, date=as_of, made=made)


def _trail_line(head: str, keep: bool, markup: bool = False) -> str:
    """The audit trail's head; ``keep``: with the reason to keep the line (``markup`` as above)."""
    if keep:
        # TRANSLATORS: {head} is the audit trail's line count and last SHA-256.
        sentence = _("Audit trail: {head} — keep this line: it anchors the trail outside the folder.")
    else:
        sentence = _("Audit trail: {head}")
    return (_text(sentence) if markup else sentence).format(head=head)


def _deviation_line(participant: str, visit: str, status: str, days: str, window_open: str,
                    window_close: str, actual: str, reason: str) -> str:
    """One deviation of the list to date: its status, days outside, window, actual date, reason."""
    values = {"participant": participant, "visit": visit, "status": status, "open": window_open,
              "close": window_close, "actual": actual, "reason": reason}
    if not days:
        if actual:
            return _("{participant} {visit}: {status} (window {open} to {close}, done {actual}) — {reason}"
                     ).format(**values)
        return _("{participant} {visit}: {status} (window {open} to {close}) — {reason}").format(**values)
    count = int(days)
    if actual:
        # TRANSLATORS: {status} is a status word (late, early, missed), {count} the days outside
        # the window, {open} and {close} the window's dates, {actual} the visit's date.
        return ngettext("{participant} {visit}: {status} {count} day (window {open} to {close}, done {actual})"
                        " — {reason}",
                        "{participant} {visit}: {status} {count} days (window {open} to {close}, done {actual})"
                        " — {reason}", count).format(count=days, **values)
    return ngettext("{participant} {visit}: {status} {count} day (window {open} to {close}) — {reason}",
                    "{participant} {visit}: {status} {count} days (window {open} to {close}) — {reason}",
                    count).format(count=days, **values)


def _unscheduled_heading(count: int) -> str:
    # TRANSLATORS: the heading of the report's list of unscheduled visits (计划外访视) dated in
    # the reporting week; {count} is how many.
    return _("Unscheduled visits this week ({count})").format(count=count)


def _moves_heading(count: int) -> str:
    # TRANSLATORS: the heading of the report's list of participants moved to a later protocol
    # version (方案修订) in the reporting week; {count} is how many.
    return _("Moves to a later protocol version this week ({count})").format(count=count)


def _new_mark() -> str:
    # TRANSLATORS: the mark of a deviation that arose in the reporting week (the report explains it).
    return pgettext("report", "NEW")


def _moves_html(report: Report, heading: str, none: str) -> str:
    if report.moves is None:
        return ""
    return f"<h2>{heading}</h2>\n" + (_html_table(report.moves) if len(report.moves) else none)


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
    text = for_people(as_text(frame))
    lines = ["| " + " | ".join(_md(name) for name in text.columns) + " |", "|" + " --- |" * len(text.columns)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in text.itertuples(index=False)]
    return lines


def markdown(report: Report) -> str:
    """Short enough to paste into an e-mail: the figures, this week's deviations, every
    deviation to date on one line each, and counts for the rest."""
    none = _("None.")
    lines = [f"# {_md(_heading(report))}", "",
             _week_line(report.week.label, str(report.as_of), report.made_at), "",
             _trail_line(_md(report.trail_head), keep=False), ""]
    lines += ["## " + _("Summary"), "", "| | |", "| --- | --- |"]
    lines += [f"| {_md(name.strip())} | {_figure(value)} |" for name, value in report.summary]
    new = _reason_shown(report.new_deviations)
    lines += ["", "## " + _("New deviations this week ({count})").format(count=len(new)), ""]
    lines += _md_table(new[_shown_columns(report)]) if len(new) else [none]
    unscheduled = _unscheduled_shown(report)
    lines += ["", "## " + _unscheduled_heading(len(unscheduled)), ""]
    lines += _md_table(unscheduled) if len(unscheduled) else [none]
    if report.moves is not None:
        lines += ["", "## " + _moves_heading(len(report.moves)), ""]
        lines += _md_table(report.moves) if len(report.moves) else [none]
    # TRANSLATORS: {mark} is the mark of a deviation new this week (NEW).
    lines += ["", "## " + _("All deviations to date ({count}; {mark} = new this week)").format(
        count=len(report.all_deviations), mark=_new_mark()), ""]
    for row in as_text(_reason_shown(report.all_deviations)).itertuples(index=False):
        mark = _new_mark() + " " if row.new_this_week == "true" else ""
        lines.append("- " + mark + _deviation_line(
            _md(row.participant_id), _md(row.visit_code), status_word(str(row.status)), str(row.days_outside),
            str(row.window_open), str(row.window_close), str(row.actual_date), _md(row.reason)))
    if not len(report.all_deviations):
        lines.append(none)
    # TRANSLATORS: {count} is a number of visits (English says "visits" even for one).
    lines += ["", "## " + _("Due in the next 14 days: {count} visits").format(count=len(report.due)), ""]
    if len(report.due):
        lines += _md_table(report.due[["participant_id", "visit_code", "window_open", "window_close",
                                       *_suggested(report.due), "days_left"]])
    lines += [f"- {_md(note)}" for note in report.notes]
    compliance = _compliance_shown(report)
    off = compliance[compliance["deviations"] > 0]
    # TRANSLATORS: {count} participants with deviations of {total} enrolled.
    lines += ["", "## " + _("Compliance: {count} of {total} enrolled participants with deviations").format(
        count=len(off), total=len(compliance)), ""]
    if len(off):
        lines += _md_table(off)
    # TRANSLATORS: what separates the report's inputs in "Made from: …" (a semicolon and a space).
    lines += ["", _("Made from: {sources}").format(sources=pgettext("list", "; ").join(
        _source(_role(s.role), _md(s.name), s.sha256[:12]) for s in report.sources)), ""]
    return "\n".join(lines)


def _source(role: str, name: str, digest: str) -> str:
    # TRANSLATORS: {role} says which input ("participants"), {file} is its file, {digest} its SHA-256.
    return _("{role} {file} (sha256 {digest})").format(role=role, file=name, digest=digest)


# --------------------------------------------------------------------------- HTML

LATIN_FONTS = '"Segoe UI", "Microsoft YaHei", Arial'
CHINESE_FONTS = f'"Segoe UI", Arial, {CJK_FONTS}'
CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: FONTS, sans-serif; font-size: 10pt; color: #111; margin: 1.5em; }
h1 { font-size: 16pt; margin-bottom: 0.2em; } h2 { font-size: 12pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.4em 0; } th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } tr.deviation td { background: #f8d7d7; } tr.new td { font-weight: bold; }
.meta { color: #444; } .figure img { width: 100%; max-width: 27cm; }
td.num { text-align: right; } .missing { color: #b00; font-style: italic; }
@media print { h2 { break-after: avoid; } table, .figure { break-inside: auto; } tr { break-inside: avoid; } }
"""


def _css() -> str:
    """The style sheet; in Chinese, the fonts that draw Chinese follow the Latin ones."""
    return CSS.replace("FONTS", CHINESE_FONTS if chinese() else LATIN_FONTS)


def _text(value: str) -> str:
    """Text for an element's content: <, > and & escaped (quotes as they are)."""
    return html.escape(value, quote=False)


def _attribute(value: str) -> str:
    """Text for an attribute written between double quotes."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def _html_table(frame: pd.DataFrame, row_class: pd.Series | None = None) -> str:
    text = as_text(frame)
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in for_people(text).columns)
    text = for_people(text).set_axis(text.columns, axis=1)  # status words; the columns by name
    missing = _reason_missing()
    rows = []
    classes = row_class.tolist() if row_class is not None else [""] * len(text)
    for css, row in zip(classes, text.itertuples(index=False)):
        cells = []
        for name, cell in zip(text.columns, row):
            if name == "reason" and cell == missing:
                cells.append(f'<td class="missing">{html.escape(missing)}</td>')
            else:
                cells.append(f"<td>{html.escape(str(cell))}</td>")
        rows.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def html_page(report: Report, picture: bytes) -> str:
    """Self-contained (the picture is embedded), opens offline, prints on A4 landscape."""
    escape = html.escape
    summary = "".join(f"<tr><th>{escape(name.strip())}</th><td class='num'>{escape(_figure(value))}</td></tr>"
                      for name, value in report.summary)
    sources = "".join(f"<tr><td>{escape(_role(s.role))}</td><td>{escape(s.name)}</td><td><code>{s.sha256}</code></td></tr>"
                      for s in report.sources)
    new = _reason_shown(report.new_deviations)
    every = _reason_shown(report.all_deviations)
    unscheduled = _unscheduled_shown(report)
    every_classes = every["new_this_week"].map({True: "deviation new", False: "deviation"})
    every_shown = every[_shown_columns(report)].assign(new_this_week=every["new_this_week"].map({True: _new_mark(), False: ""}))
    image = base64.b64encode(picture).decode("ascii")
    title = escape(_heading(report))
    none_text = _text(_("None."))
    none = f"<p>{none_text}</p>"
    # The page's headings, out of the template (a _() inside an f-string never reaches the catalog).
    headings = {
        "summary": _text(_("Summary")),
        "new": _text(_("New deviations this week ({count})").format(count=len(new))),
        "unscheduled": _text(_unscheduled_heading(len(unscheduled))),
        "moves": _text(_moves_heading(len(report.moves) if report.moves is not None else 0)),
        "timeline": _text(_("Timeline")),
        "every": _text(_("All deviations to date ({count})").format(count=len(every))),
        "due": _text(_("Due in the next 14 days ({count})").format(count=len(report.due))),
        "compliance": _text(_("Compliance per participant")),
        "sources": _text(_("Made from")),
        "input": _text(pgettext("sources", "input")),
        "file": _text(pgettext("sources", "file")),
    }
    week = _week_line(f"<b>{escape(report.week.label)}</b>", f"<b>{report.as_of}</b>", escape(report.made_at), markup=True)
    trail = _trail_line(f"<code>{escape(report.trail_head)}</code>", keep="sha256" in report.trail_head, markup=True)
    # TRANSLATORS: the timeline picture's text for those who cannot see it.
    picture_text = _attribute(_("Every participant's visit windows (bars), visits done (dots), deviations in red, the reporting week shaded"))
    return f"""<!DOCTYPE html>
<html lang="{html_language()}"><head><meta charset="utf-8"><title>{title} — {escape(report.week.name)}</title>
<style>{_css()}</style></head><body>
<h1>{title}</h1>
<p class="meta">{escape(report.title)}</p>
<p class="meta">{week}</p>
<p class="meta">{trail}</p>
<h2>{headings["summary"]}</h2><table>{summary}</table>
<h2>{headings["new"]}</h2>
{_html_table(new[_shown_columns(report)], pd.Series(["deviation new"] * len(new))) if len(new) else none}
<h2>{headings["unscheduled"]}</h2>
{_html_table(unscheduled) if len(unscheduled) else none}
{_moves_html(report, headings["moves"], none)}
<h2>{headings["timeline"]}</h2>
<div class="figure"><img alt="{picture_text}" src="data:image/png;base64,{image}"></div>
<h2>{headings["every"]}</h2>
{_html_table(every_shown, every_classes) if len(every) else none}
<h2>{headings["due"]}</h2>
{_html_table(report.due[["participant_id", "visit_code", "target_date", "window_open", "window_close", *_suggested(report.due), "days_left", "status"]]) if len(report.due) else none}
{"".join(f"<p class='missing'>{escape(note)}</p>" for note in report.notes)}
<h2>{headings["compliance"]}</h2>
{_html_table(_compliance_shown(report))}
<h2>{headings["sources"]}</h2><table><thead><tr><th>{headings["input"]}</th><th>{headings["file"]}</th><th>SHA-256</th></tr></thead><tbody>{sources}</tbody></table>
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
            [(pgettext("summary", "study"), report.study_id), (pgettext("summary", "site"), report.site),
             (pgettext("summary", "reporting week"), report.week.label),
             (pgettext("summary", "as of"), str(report.as_of)), (pgettext("summary", "made"), report.made_at),
             (pgettext("summary", "audit trail"), report.trail_head)]
            + [(name.strip(), value) for name, value in report.summary]
            # TRANSLATORS: {role} says which input ("participants"), {file} is its file.
            + [(_("{role} {file}").format(role=_role(s.role), file=s.name), f"sha256 {s.sha256}")
               for s in report.sources]
            + [(pgettext("summary", "note"), note) for note in report.notes],
            columns=["item", "value"])
        every = _reason_shown(report.all_deviations)
        new = _reason_shown(report.new_deviations)
        # Sheet names: at most 31 characters, none of [ ] : * ? / \ (Excel's rule).
        summary_sheet, compliance_sheet = pgettext("sheet", "Summary"), pgettext("sheet", "Compliance")
        write_workbook({
            summary_sheet: (summary, None),
            pgettext("sheet", "New this week"): (new[_shown_columns(report)], pd.Series([True] * len(new))),
            # TRANSLATORS: a sheet's name (at most 31 characters): the unscheduled visits of the week.
            pgettext("sheet", "Unscheduled this week"): (_unscheduled_shown(report), None),
            # TRANSLATORS: a sheet's name (at most 31 characters): the moves to a later protocol
            # version in the week.
            **({pgettext("sheet", "Version moves this week"): (report.moves, None)}
               if report.moves is not None else {}),
            pgettext("sheet", "All deviations"): (every[[*_shown_columns(report), "new_this_week"]],
                                                  pd.Series([True] * len(every))),
            pgettext("sheet", "Due next 14 days"): (report.due, None),
            compliance_sheet: (report.compliance, report.compliance["deviations"] > 0),
        }, path, images={pgettext("sheet", "Timeline"): picture} if picture else None,
            # TRANSLATORS: a printed page's header: {heading} is the report's heading, {week} an ISO week (2010-W37).
            title=_("{heading}, week {week}").format(heading=_heading(report), week=report.week.name),
            # Shares of one stay numbers, shown as the HTML and the Markdown show them.
            percent={summary_sheet: {"value": "0.0%"}, compliance_sheet: {"compliance": "0%"}})
    return None
