"""schedule, check, due and status: the study as it stands, as tables.

Each controller loads the study, calls the core, writes the output file when one is named
(``-o``) and returns what the terminal shows. Messages go into ``messages``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import i18n
from scheduler.app.messages import (
    MAX_LISTED_WARNINGS,
    listed,
    report_problems,
    warn_reason_missing,
    warn_unscheduled_reason,
    with_reason_missing,
)
from scheduler.app.results import Messages, TableResult
from scheduler.app.study import Study, StudyOptions, load_study
from scheduler.core.dates import as_day
from scheduler.core.schedule import SCHEDULE_COLUMNS
from scheduler.core.status import (
    CHECK_COLUMNS,
    compute_check,
    due_list,
    overdue,
    unscheduled_rows,
    with_unscheduled,
    withdrawal_per_row,
)
from scheduler.core.suggestions import suggest_for
from scheduler.core.words import DEVIATIONS
from scheduler.errors import EXIT_DATA_PROBLEMS, EXIT_OK, OptionError
from scheduler.i18n import _, ngettext, pgettext
from scheduler.outputs.people import status_word
from scheduler.paths import label


def suggestions(study: Study, table: pd.DataFrame, messages: Messages,
                shown: np.ndarray | None = None) -> np.ndarray:
    """Suggested dates for the table's visits still to do, never before the as-of date (one
    rule for every command, PRODUCT.md "Suggested dates"); warnings into ``messages``."""
    result = suggest_for(study.protocol.clinic, study.closures, table, study.as_of, shown)
    for warning in result.warnings:
        messages.warning(warning)
    return result.dates


def named(frame: pd.DataFrame, studies: Sequence[Study]) -> pd.DataFrame:
    """For the screen and the workbooks: the visit names in the language people read (the
    protocol's translation, else its base name). CSV and JSON keep the contract's name."""
    if "visit_name" not in frame.columns or i18n.current() == i18n.ENGLISH or not studies:
        return frame
    shown = frame.copy()
    names: dict[object, str]
    if "study_id" in shown.columns:
        names = {(study.protocol.study_id, visit.code): visit.name_in()
                 for study in studies for visit in study.protocol.visits}
        keys = pd.Series(list(zip(shown["study_id"].astype(object), shown["visit_code"].astype(object))),
                         index=shown.index, dtype=object)
    elif studies[0].protocol.versions and "protocol_version" in shown.columns:
        # With protocol versions, each row's name as the version it follows has it.
        names = {(each.version, visit.code): visit.name_in()
                 for each in studies[0].protocol.versions for visit in each.visits}
        keys = pd.Series(list(zip(shown["protocol_version"].astype(object), shown["visit_code"].astype(object))),
                         index=shown.index, dtype=object)
    else:
        names = {visit.code: visit.name_in() for visit in studies[0].protocol.visits}
        keys = shown["visit_code"].astype(object)
    shown["visit_name"] = keys.map(names).where(keys.isin(list(names)), shown["visit_name"].astype(object))
    if "status" in shown.columns:
        # TRANSLATORS: the name shown for a record of an unscheduled visit (status unscheduled).
        shown.loc[shown["status"].astype(object) == "unscheduled", "visit_name"] = _("Unscheduled visit")
    return shown


def on_screen(frame: pd.DataFrame, studies: Sequence[Study]) -> pd.DataFrame:
    """A table for the terminal: ``named``, and the protocol_version column only where a
    study has protocol versions (CSV, JSON and workbooks always carry it: the contract)."""
    shown = named(frame, studies)
    if "protocol_version" in shown.columns and not any(study.protocol.versions for study in studies):
        shown = shown.drop(columns=["protocol_version"])
    return shown


def write_or_show(frame: pd.DataFrame, output: Path | None, title: str, sheet: str,
                  messages: Messages, highlight: pd.Series | None = None,
                  colour_column: str | None = "status", exit_code: int = EXIT_OK,
                  studies: Sequence[Study] = ()) -> TableResult:
    """Write ``frame`` to ``output``, or return it for the terminal (the workbook and the
    terminal with the visit names people read)."""
    if output is None:
        return TableResult(on_screen(frame, studies), title, colour_column, exit_code)
    from scheduler.outputs.files import write_table

    if output.suffix.lower() == ".xlsx":
        frame = named(frame, studies)

    write_table(frame, output, sheet=sheet, highlight=highlight)
    messages.append(_("Wrote {file} ({count} rows)").format(file=label(output), count=len(frame)))
    return TableResult(None, exit_code=exit_code)


def version_lines(study: Study, person: pd.DataFrame, participant_id: str) -> list[str]:
    """A participant's protocol versions in words: the one at enrollment, then each move (a
    move after the as-of date is said to come later, and not followed here)."""
    from scheduler.core.versions import start_versions, versions_of

    protocol = study.protocol
    if not protocol.version:
        return []
    first = versions_of(protocol)[int(start_versions(protocol, person["enrollment_date"].to_numpy())[0])]
    lines = [_("protocol version {version} from enrollment").format(version=first.version)]
    mine = study.moves.of(participant_id)
    for version, day in zip(mine.version, mine.date):
        if day <= study.as_of:
            lines.append(_("moved to protocol version {version} on {date}").format(version=version, date=day))
        else:
            lines.append(_("moves to protocol version {version} on {date} (after {as_of}: not followed here)")
                         .format(version=version, date=day, as_of=study.as_of))
    return lines


def schedule(options: StudyOptions, as_of: np.datetime64 | None, output: Path | None,
             messages: Messages) -> TableResult:
    """Every participant's windows (re-anchored on the visits recorded up to the as-of date)."""
    study = load_study(options, as_of)
    if output is not None:
        study.guard_output(output)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of, study.moves)
    table["suggested_date"] = suggestions(study, table, messages)
    columns = [*SCHEDULE_COLUMNS, "suggested_date", "as_of", *(["arm"] if "arm" in table else []),
               "protocol_version"]
    code = report_problems(study, messages, needs_visits=False)
    if study.visits_label:
        title = _("Schedule, {study}, re-anchored on visits recorded up to {date}").format(
            study=study.protocol.study_id, date=study.as_of)
    else:
        title = _("Schedule, {study}").format(study=study.protocol.study_id)
    return write_or_show(table[columns], output, title, pgettext("sheet", "Schedule"), messages,
                         colour_column=None, exit_code=code, studies=[study])


@dataclass
class Judged:
    """One study's check table (all rows, or only deviations), what it counts, its exit code."""

    table: pd.DataFrame
    deviations: int
    expected: int
    exit_code: int


def judge(study: Study, deviations_only: bool, messages: Messages) -> Judged:
    """A study's check: every expected visit's status, its warnings into ``messages``."""
    table = compute_check(study.protocol, study.participants, study.records, study.as_of, study.moves)
    code = report_problems(study, messages)
    is_deviation = table["status"].isin(DEVIATIONS)
    count = int(is_deviation.sum())
    if deviations_only:
        table = table[is_deviation]
    table = table.reset_index(drop=True)
    warn_reason_missing(table, messages)
    if not deviations_only:
        # Unscheduled visits: listed after each participant's planned ones, never judged.
        extra = unscheduled_rows(study.protocol, study.participants, study.records, study.as_of, study.moves)
        warn_unscheduled_reason(extra, messages)
        table = with_unscheduled(table, extra)
    return Judged(table, count, len(is_deviation), code)


def check(options: StudyOptions, as_of: np.datetime64 | None, output: Path | None,
          deviations_only: bool, fail_on_deviation: bool, messages: Messages) -> TableResult:
    """Every expected visit's status as of a date."""
    study = load_study(options, as_of)
    if output is not None:
        study.guard_output(output)
    judged = judge(study, deviations_only, messages)
    table, count, code = judged.table, judged.deviations, judged.exit_code
    if code == EXIT_OK and fail_on_deviation and count:
        code = EXIT_DATA_PROBLEMS
    if output is None:
        shown = with_reason_missing(table)[[*CHECK_COLUMNS[:-1], *(["protocol_version"] if study.protocol.versions
                                                                     else [])]]
        title = ngettext("{study}: as of {date}, {count} deviation in {expected} expected visits",
                         "{study}: as of {date}, {count} deviations in {expected} expected visits", count
                         ).format(study=study.protocol.study_id, date=study.as_of, count=count,
                                  expected=judged.expected)
        return TableResult(on_screen(shown, [study]), title, exit_code=code)
    return write_or_show(table, output, "", pgettext("sheet", "Check"), messages,
                         highlight=table["status"].isin(DEVIATIONS), exit_code=code, studies=[study])


def worklist_of(study: Study, days: int, messages: Messages) -> tuple[pd.DataFrame, int]:
    """A study's worklist (visits not done whose window is open or opens within ``days``
    days) and its exit code; warnings and the overdue note into ``messages``."""
    table = compute_check(study.protocol, study.participants, study.records, study.as_of, study.moves)
    code = report_problems(study, messages)
    horizon = as_day(study.as_of) + np.timedelta64(days, "D")
    on_list = ((table["window_open"].to_numpy().astype("M8[D]") <= horizon)
               & (table["window_close"].to_numpy().astype("M8[D]") >= as_day(study.as_of)))
    table["suggested_date"] = suggestions(study, table, messages, shown=on_list)
    worklist = due_list(table, study.as_of, days,
                        withdrawal_per_row(study.participants, table))
    late = overdue(table)
    if len(late):
        named = [f"{row.participant_id} {row.visit_code}"
                 for row in late.head(MAX_LISTED_WARNINGS).itertuples()]
        # TRANSLATORS: {visits} lists "ID VISIT"; the command line in brackets stays as it is.
        messages.note(ngettext("{count} missed visit with nothing recorded (not on this list): {visits} "
                               "— record the date it was done, or why it did not happen "
                               "(visit-scheduler check --deviations-only)",
                               "{count} missed visits with nothing recorded (not on this list): {visits} "
                               "— record the date it was done, or why it did not happen "
                               "(visit-scheduler check --deviations-only)", len(late))
                      .format(count=len(late), visits=listed(named, len(late))))
    return worklist, code


def due(options: StudyOptions, as_of: np.datetime64 | None, output: Path | None, days: int,
        messages: Messages) -> TableResult:
    """The worklist: visits not done whose window is open or opens within ``days`` days."""
    study = load_study(options, as_of)
    if output is not None:
        study.guard_output(output)
    worklist, code = worklist_of(study, days, messages)
    if output is None:
        title = ngettext("Due as of {date} (windows open now or within {days} days): {count} visit",
                         "Due as of {date} (windows open now or within {days} days): {count} visits",
                         len(worklist)).format(date=study.as_of, days=days, count=len(worklist))
        return TableResult(on_screen(worklist.drop(columns=["as_of"]), [study]), title, exit_code=code)
    return write_or_show(worklist, output, "", pgettext("sheet", "Due"), messages, exit_code=code,
                         studies=[study])


def status(options: StudyOptions, participant_id: str, as_of: np.datetime64 | None,
           messages: Messages) -> TableResult:
    """One participant's year at a glance."""
    study = load_study(options, as_of)
    roster = study.participants
    match = roster[roster["participant_id"] == participant_id]
    if not len(match):
        close = [pid for pid in roster["participant_id"]
                 if pid.lstrip("0") == participant_id.lstrip("0")
                 or pid.casefold() == participant_id.casefold()]
        raise OptionError(not_in_roster(participant_id, study.participants_label, close))
    table = compute_check(study.protocol, match.reset_index(drop=True),
                          study.records.of_participant(int(match.index[0])), study.as_of, study.moves)
    table["suggested_date"] = suggestions(study, table, messages)
    code = report_problems(study, messages, participant_id)
    person = match.iloc[0]
    enrolled = str(person["enrollment_date"])[:10]
    if person["site"]:
        enrollment = _("enrolled {date}, site {site}").format(date=enrolled, site=person["site"])
    else:
        enrollment = _("enrolled {date}").format(date=enrolled)
    lines = [_("Participant {participant} — {study}, as of {date}").format(
        participant=participant_id, study=study.protocol.study_id, date=study.as_of), "  " + enrollment]
    if str(person["withdrawal_date"]) != "NaT":
        reason = person["withdrawal_reason"] or _("reason not recorded")
        withdrew = str(person["withdrawal_date"])[:10]
        lines.append("  " + _("withdrew {date} ({reason})").format(date=withdrew, reason=reason))
    counts = table["status"].astype(object).value_counts()
    # TRANSLATORS: one part of a participant's summary, "4 in_window"; {status} is a status word.
    parts = [_("{count} {status}").format(count=counts[s], status=status_word(s)) for s in counts.index]
    # TRANSLATORS: what separates the parts of a list ("4 in_window, 3 upcoming").
    summary = pgettext("list", ", ").join(parts)
    deviations = int(table["status"].isin(DEVIATIONS).sum())
    # TRANSLATORS: {summary} is a list ("4 in_window, 3 upcoming, 1 late"), {deviations} a count
    # of deviations ("1 deviation").
    lines.append("  " + _("{count} visits: {summary}; {deviations}").format(
        count=len(table), summary=summary,
        deviations=ngettext("{count} deviation", "{count} deviations", deviations).format(count=deviations)))
    if "arm" in table and len(table):
        arm = str(table["arm"].iloc[0])
        lines.append("  " + (_("arm {arm}").format(arm=arm) if arm else _("no arm assigned yet")))
    lines += ["  " + line for line in version_lines(study, match.reset_index(drop=True), participant_id)]
    lines.append("")
    # Unscheduled visits after the planned ones: in the table, never in the counts above.
    position = int(match.index[0])
    extra = unscheduled_rows(study.protocol, match.reset_index(drop=True),
                             study.records.of_participant(position), study.as_of, study.moves)
    if len(extra):
        warn_unscheduled_reason(extra, messages)
        extra["suggested_date"] = np.datetime64("NaT", "D")
        table = with_unscheduled(table, extra)
    shown = with_reason_missing(table)[["visit_code", "visit_name", "target_date", "window_open",
                                         "window_close", "suggested_date", "actual_date", "status",
                                         "days_outside", "reason",
                                         *(["protocol_version"] if study.protocol.versions else [])]]
    return TableResult(named(shown, [study]), None, exit_code=code, lines=lines)


def not_in_roster(participant_id: str, roster_label: str, close: list[str]) -> str:
    """A participant ID the roster lacks, and the near miss when there is one."""
    if close:
        return _("participant '{participant}' is not in {file} — did you mean {suggestion}?").format(
            participant=participant_id, file=roster_label, suggestion=close[0])
    return _("participant '{participant}' is not in {file} — check the ID in the participants file").format(
        participant=participant_id, file=roster_label)
