"""The command line: each command parses its options, calls the core once, renders the result.

Heavy libraries (pandas, openpyxl) are imported inside the commands that use them, so
``--help``, ``protocol`` and ``init`` start in a fraction of a second.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scheduler import __version__
from scheduler.errors import (EXIT_DATA_PROBLEMS, EXIT_INTERNAL_ERROR, EXIT_OK, OptionError,
                              SchedulerError)

MAX_LISTED_WARNINGS = 20


class _Failure(click.ClickException):
    """A SchedulerError on its way out: its message on standard error, its exit code."""

    def __init__(self, error: SchedulerError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.message}", err=True)


class _Group(click.Group):
    """Translates every error into one message and an exit code: never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SchedulerError as error:
            raise _Failure(error) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted: nothing was written.", err=True)
            ctx.exit(130)
        except Exception as error:  # a bug: say so plainly, details only on request
            if os.environ.get("VISIT_SCHEDULER_DEBUG"):
                raise
            click.echo(f"Internal error (a bug in visit-scheduler, not a problem with your "
                       f"files): {type(error).__name__}: {error}\n"
                       "Run again with VISIT_SCHEDULER_DEBUG=1 to see the details, and report it.",
                       err=True)
            ctx.exit(EXIT_INTERNAL_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"],
                                           "max_content_width": 100})
@click.version_option(__version__, prog_name="visit-scheduler")
def cli() -> None:
    """Visit windows, calendars and protocol-deviation checks for a clinical trial.

    Run a command inside a study folder (or name it with --study DIR). The folder's
    protocol.toml, participants.csv and visits.csv are used when they exist; without a
    protocol file the built-in NCT01143168 protocol applies.

    Exit codes: 0 done; 1 done, but the visits file has data problems (or deviations,
    with --fail-on-deviation); 2 an input or option cannot be used, nothing written;
    3 an internal error.
    """


def main() -> None:
    unwind_on_terminate()
    cli(prog_name="visit-scheduler")


def unwind_on_terminate() -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written temporary file is removed."""
    import signal

    def terminated(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)


# --------------------------------------------------------------------------- shared options


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from scheduler.dates import parse_one

    parsed = parse_one(value)
    if parsed is None:
        raise click.BadParameter(f"'{value}' is not a date — write it as YYYY-MM-DD, "
                                 "for example 2010-09-13")
    return parsed


def _date_format(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A strftime pattern for whole calendar dates: a day, a month and a four-digit year,
    no time and no zone (a zone would move dates across midnight)."""
    if value is None:
        return None
    if "%y" in value:
        raise click.BadParameter(f"'{value}': a two-digit year (%y) could be two centuries — "
                                 "use %Y and four-digit years")
    for needed, names in (("day", ("%d", "%e")), ("month", ("%m", "%b", "%B")), ("year", ("%Y",))):
        if not any(name in value for name in names):
            raise click.BadParameter(f"'{value}': the pattern has no {needed} "
                                     f"({' or '.join(names)}), for example '%d/%m/%Y'")
    for directive in ("%z", "%Z", "%H", "%I", "%M", "%S", "%f", "%p", "%j", "%U", "%W", "%c", "%x"):
        if directive in value:
            raise click.BadParameter(f"'{value}': {directive} is not allowed — dates in these "
                                     "files are calendar days: use only %d, %m and %Y")
    import datetime as dt

    try:
        sample = dt.date(2010, 9, 25).strftime(value)
        if dt.datetime.strptime(sample, value).date() != dt.date(2010, 9, 25):
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a pattern that reads dates back, "
                                 "for example '%d/%m/%Y'") from None
    return value


def study_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--study, --protocol, --participants, --visits and how site files are read."""
    path = click.Path(path_type=Path, dir_okay=False)
    options = [
        click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
                     help="The study folder (default: the current folder)."),
        click.option("--protocol", type=path,
                     help="Protocol file (default: the study folder's protocol.toml, "
                          "else the built-in NCT01143168 protocol)."),
        click.option("--participants", type=path,
                     help="Participants file, CSV or .xlsx (default: participants.csv)."),
        click.option("--visits", type=path,
                     help="Visits file, CSV or .xlsx (default: visits.csv, when there is one)."),
        click.option("--date-format", metavar="PATTERN", callback=_date_format,
                     help="strftime pattern for dates written day- or month-first, "
                          "e.g. '%d/%m/%Y'. Year-first dates need none."),
        click.option("--encoding", metavar="NAME",
                     help="Text encoding of CSV files (default: UTF-8 with or without BOM, "
                          "else GB18030)."),
        click.option("--sheet", metavar="NAME", help="Worksheet to read in .xlsx files "
                                                     "(default: the first)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def as_of_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", "as_of", callback=_date, metavar="DATE",
                        help="Judge as of this date (default: today in the study's time zone).")(func)


def output_option(*formats: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def check_format(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in formats:
            raise click.BadParameter(f"'{value}': the extension picks the format; use one of "
                                     f"{', '.join(formats)}")
        return value

    return click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                        callback=check_format, metavar="FILE",
                        help=f"Write to FILE; the extension picks the format ({', '.join(formats)}). "
                             "Without it, a table on the terminal.")


def _inputs(study: Path | None, protocol: Path | None, participants: Path | None,
            visits: Path | None) -> Any:
    from scheduler.studyfolder import resolve

    if study is not None and not study.is_dir():
        raise OptionError(f"--study {study}: no such folder — "
                          "create one with: visit-scheduler init DIR")
    return resolve(study, protocol, participants, visits)


def _load(options: dict[str, Any], as_of: Any = None, use_visits: bool = True) -> Any:
    from scheduler.study import ReadOptions, load_study

    inputs = _inputs(options["study"], options["protocol"], options["participants"],
                     options["visits"])
    read = ReadOptions(options["date_format"], options["encoding"], options["sheet"])
    return load_study(inputs, as_of, read, use_visits=use_visits)


def _report_problems(study: Any, participant: str | None = None, needs_visits: bool = True) -> int:
    """Warnings and data problems on standard error; the exit code they call for."""
    if needs_visits and study.visits_label is None:
        click.echo("Warning: no visits file (visits.csv or visits.xlsx in the study folder, or "
                   "--visits FILE): no visit counts as done", err=True)
    for warning in study.roster_warnings:
        click.echo(f"Warning: {warning}", err=True)
    later = [p for p in study.enrolled_after_as_of if participant in (None, p)]
    if later:
        shown = ", ".join(later[:MAX_LISTED_WARNINGS])
        more = len(later) - MAX_LISTED_WARNINGS
        click.echo(f"Warning: enrolled after the as-of date {study.as_of}: {shown}"
                   f"{f' and {more} more' if more > 0 else ''} — their visits are listed as "
                   "upcoming (or withdrawn, after a withdrawal)", err=True)
    problems = [p for p in study.problems if participant in (None, p.participant)]
    if not problems:
        return EXIT_OK
    count = len(problems)
    click.echo(f"{study.visits_label}: {count} data problem{'s' if count != 1 else ''} "
               "(each record named is left out, unless it says it is used):", err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    return EXIT_DATA_PROBLEMS


def _echo_or_write(frame: Any, output: Path | None, title: str, sheet: str,
                   highlight: Any = None, colour_column: str | None = "status") -> None:
    if output is None:
        from scheduler.outputs.terminal import render

        click.echo(render(frame, title, colour_column))
        return
    from scheduler.outputs.files import write_table
    from scheduler.studyfolder import label

    write_table(frame, output, sheet=sheet, highlight=highlight)
    click.echo(f"Wrote {label(output)} ({len(frame)} rows)", err=True)


def _with_reason_missing(frame: Any) -> Any:
    """For tables people read: a deviation without a reason says so."""
    from scheduler.status import DEVIATIONS

    shown = frame.copy()
    missing = shown["status"].isin(DEVIATIONS) & (shown["reason"] == "")
    shown.loc[missing, "reason"] = "reason missing"
    return shown


def _pass_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Gather the study options into one dict so commands stay short."""
    names = ("study", "protocol", "participants", "visits", "date_format", "encoding", "sheet")

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name in names}
        return func(options, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- commands


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def init(folder: Path) -> None:
    """Make a new study folder FOLDER: protocol.toml (the built-in NCT01143168 plan, to
    edit) and empty participants.csv and visits.csv with their headers."""
    from scheduler.studyfolder import init_folder

    from scheduler.studyfolder import label

    for written in init_folder(folder):
        click.echo(f"Wrote {written}")
    click.echo(f"Next: add participants to {label(folder / 'participants.csv')}, then run "
               f"'visit-scheduler schedule --study {label(folder)}'.")


@cli.command()
@click.option("--protocol", type=click.Path(path_type=Path, dir_okay=False),
              help="Protocol file to check and show (default: the study folder's "
                   "protocol.toml, else the built-in NCT01143168 protocol).")
@click.option("--study", type=click.Path(path_type=Path, file_okay=False),
              help="The study folder (default: the current folder).")
def protocol(protocol: Path | None, study: Path | None) -> None:
    """Show the visit plan as a table ("Day 7 ± 1 from D0") after checking the protocol
    file; every problem in it is explained (exit 2)."""
    from scheduler.protocol import ENROLLMENT
    from scheduler.study import load_protocol_for

    inputs = _inputs(study, protocol, None, None)
    plan = load_protocol_for(inputs)
    for warning in plan.order_warnings():
        click.echo(f"Warning: {plan.source}: {warning}", err=True)
    rows = [("code", "visit", "when", "anchor", "window", "kind")]
    for visit in plan.visits:
        anchor = "enrollment" if visit.anchor == ENROLLMENT else visit.anchor
        width = visit.minus + visit.plus + 1
        rows.append((visit.code, visit.name, visit.timing, anchor,
                     f"{width} day{'s' if width > 1 else ''}", visit.kind))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    click.echo(f"{plan.study_id}: {len(plan.visits)} visits, time zone {plan.timezone}, "
               f"Day 0 = {plan.day0} ({plan.source})")
    for number, row in enumerate(rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if number == 0:
            click.echo("  ".join("-" * width for width in widths))


@cli.command()
@study_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@_pass_options
def schedule(options: dict[str, Any], as_of: Any, output: Path | None) -> None:
    """Every participant's visit windows: target date and window, per visit.

    When a visits file is present, windows anchored on a visit move with that visit's
    actual date (a late Day 0 moves Day 7, Day 14 …)."""
    from scheduler.schedule import SCHEDULE_COLUMNS
    from scheduler.status import compute_check

    study = _load(options, as_of)
    if output is not None:
        study.guard_output(output)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    table["suggested_date"] = _suggestions(study, table)
    columns = list(SCHEDULE_COLUMNS) + ["suggested_date"]
    if study.visits_label is not None:
        columns.append("as_of")
    code = _report_problems(study, needs_visits=False)
    title = f"Schedule, {study.protocol.study_id}" + (
        f", re-anchored on visits recorded up to {study.as_of}" if study.visits_label else "")
    _echo_or_write(table[columns], output, title, "Schedule", colour_column=None)
    sys.exit(code)


@cli.command()
@study_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@click.option("--deviations-only", is_flag=True, help="Only early, late and missed visits.")
@click.option("--fail-on-deviation", is_flag=True,
              help="Exit 1 when there is any deviation (for scripts).")
@_pass_options
def check(options: dict[str, Any], as_of: Any, output: Path | None, deviations_only: bool,
          fail_on_deviation: bool) -> None:
    """Every expected visit's status as of a date: in_window, early, late, missed, due,
    upcoming or withdrawn, with days outside the window and the recorded reason.

    Data problems in the visits file are listed on standard error and do not stop the
    check; the exit code is then 1."""
    from scheduler.status import CHECK_COLUMNS, DEVIATIONS, compute_check

    study = _load(options, as_of)
    if output is not None:
        study.guard_output(output)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    code = _report_problems(study)
    is_deviation = table["status"].isin(DEVIATIONS)
    count = int(is_deviation.sum())
    if deviations_only:
        table = table[is_deviation]
    table = table.reset_index(drop=True)
    _warn_reason_missing(table)
    if output is None:
        shown = _with_reason_missing(table)[list(CHECK_COLUMNS[:-1])]
        title = (f"{study.protocol.study_id}: as of {study.as_of}, {count} deviation"
                 f"{'s' if count != 1 else ''} in {len(is_deviation)} expected visits")
        _echo_or_write(shown, None, title, "Check")
    else:
        _echo_or_write(table, output, "", "Check", highlight=table["status"].isin(DEVIATIONS))
    if code == EXIT_OK and fail_on_deviation and count:
        code = EXIT_DATA_PROBLEMS
    sys.exit(code)


def _no_clinic_day_notes(study: Any, table: Any) -> list[str]:
    from scheduler.clinic import calendar_for, no_working_day, suggested_dates

    empty = no_working_day(table, suggested_dates(table, calendar_for(study.protocol.clinic, table)))
    return [f"No clinic day in the window of {row.participant_id} {row.visit_code} "
            f"({str(row.window_open)[:10]} to {str(row.window_close)[:10]}): book it by hand"
            for row in empty.itertuples()]


def _suggestions(study: Any, table: Any, not_before: Any = None) -> Any:
    """Suggested dates (clinic days) for the visits still to do, with their warnings."""
    from scheduler.clinic import calendar_for, no_working_day, suggested_dates

    calendar = calendar_for(study.protocol.clinic, table)
    suggestion = suggested_dates(table, calendar, not_before)
    empty = no_working_day(table, suggested_dates(table, calendar) if not_before is not None
                           else suggestion)
    if len(empty):
        named = ", ".join(f"{row.participant_id} {row.visit_code} ({str(row.window_open)[:10]} to "
                          f"{str(row.window_close)[:10]})"
                          for row in empty.head(MAX_LISTED_WARNINGS).itertuples())
        more = len(empty) - MAX_LISTED_WARNINGS
        click.echo(f"Warning: no clinic day in the window of {named}"
                   f"{f' and {more} more' if more > 0 else ''} — no date is suggested; "
                   "book these by hand", err=True)
    to_do = table["actual_date"].isna().to_numpy()
    beyond = calendar.years_beyond_data(table["window_close"].to_numpy()[to_do].astype("M8[D]"))
    if beyond:
        click.echo(f"Warning: the holiday data for {calendar.country} ends with {calendar.data_until}: "
                   f"suggested dates in {', '.join(map(str, beyond))} follow the weekdays and the "
                   "fixed-date holidays only — check them against the official calendar", err=True)
    return suggestion


def _warn_reason_missing(table: Any) -> None:
    from scheduler.status import DEVIATIONS

    missing = table[table["status"].isin(DEVIATIONS) & (table["reason"] == "")]
    if not len(missing):
        return
    named = [f"{row.participant_id} {row.visit_code} ({row.status})"
             for row in missing.head(MAX_LISTED_WARNINGS).itertuples()]
    more = len(missing) - len(named)
    click.echo(f"Warning: reason missing for {len(missing)} deviation"
               f"{'s' if len(missing) != 1 else ''}: {', '.join(named)}"
               f"{f' and {more} more' if more else ''} — add the reason in the visits file",
               err=True)


@cli.command()
@study_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@click.option("--days", default=14, show_default=True, type=click.IntRange(0, 3660),
              help="Also list windows that open within this many days.")
@_pass_options
def due(options: dict[str, Any], as_of: Any, output: Path | None, days: int) -> None:
    """The worklist: visits not yet done whose window is open, or opens within --days
    days, most urgent first (the window that closes soonest), with days left."""
    from scheduler.status import compute_check, due_list, overdue, withdrawal_per_row

    study = _load(options, as_of)
    if output is not None:
        study.guard_output(output)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    code = _report_problems(study)
    table["suggested_date"] = _suggestions(study, table, not_before=study.as_of)
    worklist = due_list(table, study.as_of, days,
                        withdrawal_per_row(study.participants, len(study.protocol.visits)))
    late = overdue(table)
    if len(late):
        named = ", ".join(f"{row.participant_id} {row.visit_code}"
                          for row in late.head(MAX_LISTED_WARNINGS).itertuples())
        more = len(late) - MAX_LISTED_WARNINGS
        click.echo(f"Note: {len(late)} missed visit{'s' if len(late) != 1 else ''} with nothing "
                   f"recorded (not on this list): {named}{f' and {more} more' if more > 0 else ''} "
                   "— record the date it was done, or why it did not happen "
                   "(visit-scheduler check --deviations-only)", err=True)
    if output is None:
        shown = worklist.drop(columns=["as_of"])
        title = (f"Due as of {study.as_of} (windows open now or within {days} days): "
                 f"{len(worklist)} visit{'s' if len(worklist) != 1 else ''}")
        _echo_or_write(shown, None, title, "Due")
    else:
        _echo_or_write(worklist, output, "", "Due")
    sys.exit(code)


@cli.command()
@click.argument("participant_id")
@study_options
@as_of_option
@_pass_options
def status(options: dict[str, Any], participant_id: str, as_of: Any) -> None:
    """One participant's year at a glance: every visit, its window, the actual date,
    status and reason."""
    from scheduler.status import DEVIATIONS, compute_check

    participant_id = participant_id.strip()
    study = _load(options, as_of)
    roster = study.participants
    match = roster[roster["participant_id"] == participant_id]
    if not len(match):
        close = [pid for pid in roster["participant_id"]
                 if pid.lstrip("0") == participant_id.lstrip("0")
                 or pid.casefold() == participant_id.casefold()]
        hint = f"did you mean {close[0]}?" if close else "check the ID in the participants file"
        raise OptionError(f"participant '{participant_id}' is not in {study.participants_label} — {hint}")
    table = compute_check(study.protocol, match.reset_index(drop=True), _records_for(study, match),
                          study.as_of)
    table["suggested_date"] = _suggestions(study, table)
    code = _report_problems(study, participant_id)
    person = match.iloc[0]
    click.echo(f"Participant {participant_id} — {study.protocol.study_id}, as of {study.as_of}")
    click.echo(f"  enrolled {str(person['enrollment_date'])[:10]}"
               + (f", site {person['site']}" if person["site"] else ""))
    if str(person["withdrawal_date"]) != "NaT":
        reason = person["withdrawal_reason"] or "reason not recorded"
        click.echo(f"  withdrew {str(person['withdrawal_date'])[:10]} ({reason})")
    counts = table["status"].value_counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in counts.index)
    deviations = int(table["status"].isin(DEVIATIONS).sum())
    click.echo(f"  {len(table)} visits: {summary}; {deviations} deviation{'s' if deviations != 1 else ''}")
    click.echo("")
    shown = _with_reason_missing(table)[["visit_code", "visit_name", "target_date", "window_open",
                                         "window_close", "suggested_date", "actual_date", "status",
                                         "days_outside", "reason"]]
    click.echo(render_table(shown))
    sys.exit(code)


def render_table(frame: Any) -> str:
    from scheduler.outputs.terminal import render

    return render(frame)


def _records_for(study: Any, match: Any) -> Any:
    """The study's used visit records for one participant, renumbered for a one-row roster."""
    from scheduler.records import Records

    position = int(match.index[0])
    records = study.records
    mine = records.participant == position
    return Records(records.participant[mine] * 0, records.visit[mine], records.actual_date[mine],
                   records.reason[mine], ())


@cli.command()
@study_options
@as_of_option
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.ics",
              callback=lambda ctx, param, value: _ics_only(value),
              help="One calendar for the whole site: a calendar of its own in Outlook.")
@click.option("--split", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="One file per participant, DIR/ID.ics, for the nurse's own calendar.")
@click.option("--participant", "participant_ids", multiple=True, metavar="ID",
              help="Only this participant (repeat for several).")
@click.option("--remind-days", default=1, show_default=True, type=click.IntRange(0, 60),
              help="Reminder at 09:00 this many days before a window opens (visits still to do).")
@_pass_options
def calendar(options: dict[str, Any], as_of: Any, output: Path | None, split: Path | None,
             participant_ids: tuple[str, ...], remind_days: int) -> None:
    """Calendar files (.ics) for Outlook: one all-day event per visit window.

    Each export of the same visit keeps the same identity (UID); SEQUENCE counts its changes
    (kept in calendar-state.json in the study folder). Only participant IDs and visit
    information are written."""
    import datetime as dt

    from scheduler.calendars import STATE_FILE, build_events, write_calendars
    from scheduler.status import compute_check
    from scheduler.studyfolder import label

    if output is None and split is None:
        raise click.UsageError("give -o FILE.ics (the whole site) or --split DIR (one file per "
                               "participant), or both")
    study = _load(options, as_of)
    if output is not None:
        study.guard_output(output)
    roster = study.participants
    if participant_ids:
        unknown = [pid for pid in participant_ids if pid not in set(roster["participant_id"])]
        if unknown:
            raise OptionError(f"--participant {unknown[0]}: not in {study.participants_label} — "
                              "check the ID (IDs are compared as text: 007 is not 7)")
    table = compute_check(study.protocol, roster, study.records, study.as_of)
    if participant_ids:
        table = table[table["participant_id"].isin(participant_ids)].reset_index(drop=True)
    table["suggested_date"] = _suggestions(study, table)
    code = _report_problems(study)
    events = build_events(study.protocol, table, study.as_of, remind_days)
    folder = options["study"] or Path(".")
    sites = sorted({s for s in roster["site"] if s}) or ([study.protocol.site_id]
                                                         if study.protocol.site_id else [])
    where = f" (site {sites[0]})" if len(sites) == 1 else f" (sites {', '.join(sites)})" if sites else ""
    # A file of chosen participants goes into the nurse's own calendar: no calendar name.
    name = None if participant_ids else f"{study.protocol.study_id} visits{where}"
    written, notes = write_calendars(events, folder / STATE_FILE, dt.datetime.now(dt.timezone.utc),
                                     study.as_of, remind_days, output, split, name)
    for note in notes:
        click.echo(f"Warning: {note}", err=True)
    if output is not None:
        click.echo(f"Wrote {label(output)} ({len(events)} events)", err=True)
    if split is not None:
        count = len(written) - (1 if output is not None else 0)
        click.echo(f"Wrote {count} participant calendar{'s' if count != 1 else ''} in {label(split)}",
                   err=True)
    sys.exit(code)


def _ics_only(value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() != ".ics":
        raise click.BadParameter(f"'{value}': a calendar file ends in .ics")
    return value


@cli.command()
@study_options
@click.option("--week", metavar="YYYY-Www",
              help="The ISO week to report, e.g. 2010-W37; the report is as of the Monday after it.")
@click.option("--as-of", "as_of", callback=_date, metavar="DATE",
              help="Report the last complete week before DATE, as of DATE (default: today in "
                   "the study's time zone).")
@output_option(".html", ".xlsx", ".csv", ".md")
@_pass_options
def report(options: dict[str, Any], week: str | None, as_of: Any, output: Path | None) -> None:
    """The weekly deviation report for the investigator and the monitor: summary figures,
    this week's deviations, every deviation to date, visits due in the next 14 days,
    compliance per participant and a timeline of everyone's year.

    HTML (self-contained, prints on A4 landscape), Excel, CSV (the list of deviations) or
    Markdown (without -o, on the terminal)."""
    import datetime as dt

    import numpy as np
    import pendulum

    from scheduler import report as weekly
    from scheduler.outputs.report_files import write_report
    from scheduler.status import compute_check
    from scheduler.studyfolder import label

    inputs = _inputs(options["study"], options["protocol"], options["participants"],
                     options["visits"])
    from scheduler.study import load_protocol_for

    protocol = load_protocol_for(inputs)
    today = pendulum.now(protocol.timezone).date()
    chosen, report_as_of = weekly.reporting_week(
        week, None if as_of is None else dt.date.fromisoformat(str(as_of)), today)
    study = _load(options, np.datetime64(report_as_of, "D"))
    if output is not None:
        study.guard_output(output)
    check_table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    check_table["suggested_date"] = _suggestions(study, check_table, not_before=study.as_of)
    code = _report_problems(study)
    _warn_reason_missing(check_table)
    sources = [weekly.checksum("protocol", study.protocol_label, inputs.protocol,
                               None if inputs.protocol else _built_in_text())]
    sources.append(weekly.checksum("participants", study.participants_label, inputs.participants))
    if inputs.visits is not None:
        sources.append(weekly.checksum("visits", study.visits_label, inputs.visits))
    site = study.protocol.site_id
    sites = sorted({s for s in study.participants["site"] if s})
    if len(sites) == 1:
        site = sites[0]
    made_at = pendulum.now(study.protocol.timezone).format("YYYY-MM-DD HH:mm Z")
    result = weekly.build_report(
        check_table, study.participants, len(study.protocol.visits), chosen, report_as_of,
        study_id=study.protocol.study_id, title=study.protocol.title, site=site, made_at=made_at,
        sources=tuple(sources), notes=tuple(_no_clinic_day_notes(study, check_table)))
    picture = None
    if output is not None and output.suffix.lower() in (".html", ".xlsx"):
        from scheduler.outputs.timeline import png_bytes, timeline_figure

        picture = png_bytes(timeline_figure(result.check, chosen.monday, chosen.sunday, report_as_of))
    text = write_report(result, output, picture)
    if text is not None:
        click.echo(text)
    else:
        click.echo(f"Wrote {label(output)} ({chosen.name}, as of {report_as_of}, "
                   f"{len(result.all_deviations)} deviations)", err=True)
    sys.exit(code)


def _built_in_text() -> str:
    from scheduler.protocol import built_in_text

    return built_in_text()


@cli.group()
def export() -> None:
    """Standard exports for the sponsor's data manager."""


@export.command("sdtm")
@study_options
@as_of_option
@click.option("-o", "--output", "folder", required=True, metavar="DIR",
              type=click.Path(path_type=Path, file_okay=False),
              help="The folder to write TV, SV and DV into (created if needed).")
@click.option("--format", "file_format", type=click.Choice(["csv", "xpt"]), default="csv",
              show_default=True, help="CSV, or SAS transport version 5 (.xpt).")
@_pass_options
def export_sdtm(options: dict[str, Any], as_of: Any, folder: Path, file_format: str) -> None:
    """CDISC SDTM TV (trial visits), SV (subject visits done or missed as of the date) and
    DV (protocol deviations) into DIR. Study days follow SDTM: no day 0, the actual date of
    the protocol's Day 0 visit is day 1."""
    from scheduler import sdtm
    from scheduler.status import compute_check
    from scheduler.studyfolder import label

    study = _load(options, as_of)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    code = _report_problems(study)
    domains = sdtm.build(study.protocol, table, study.participants)
    if file_format == "xpt":
        odd = sorted({column for name, frame in domains.items() for column in frame.columns
                      if frame[column].dtype == object
                      and not frame[column].map(lambda v: str(v).isascii()).all()})
        if odd:
            click.echo(f"Warning: {', '.join(odd)} hold characters outside ASCII; SAS transport "
                       "files for a submission should be ASCII only", err=True)
    written = sdtm.write(domains, folder, file_format)
    click.echo(f"Wrote {', '.join(label(path) for path in written)} "
               f"({len(domains['SV'])} subject visits, {len(domains['DV'])} deviations, as of "
               f"{study.as_of})", err=True)
    sys.exit(code)


# --------------------------------------------------------------------------- point of care


def change_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--by", metavar="NAME",
                        help="Who makes the change (default: the login name).")(func)
    return click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
                        help="The study folder (default: the current folder).")(func)


def _folder(study: Path | None) -> Path:
    folder = study if study is not None else Path(".")
    if not folder.is_dir():
        raise OptionError(f"--study {folder}: no such folder")
    return folder


@cli.command()
@click.argument("participant_id")
@click.option("--date", "day", required=True, metavar="DATE", help="The enrollment date.")
@click.option("--site", metavar="SITE", help="The participant's site.")
@change_options
def enroll(participant_id: str, day: str, site: str | None, study: Path | None, by: str | None) -> None:
    """Add a participant to participants.csv (with an audit-trail entry)."""
    from scheduler import recording

    click.echo(recording.enroll(_folder(study), participant_id.strip(),
                                recording.parse_day(day, "--date"), site, recording.who(by)))


@cli.command()
@click.argument("participant_id")
@click.argument("visit_code")
@click.argument("day", metavar="DATE", required=False)
@click.option("--not-done", is_flag=True, help="The visit did not happen (give --reason).")
@click.option("--reason", default="", help="Why the visit was out of window, or did not happen.")
@change_options
def record(participant_id: str, visit_code: str, day: str | None, not_done: bool, reason: str,
           study: Path | None, by: str | None) -> None:
    """Record the date a visit was done, and see at once where it falls against its window.

    A date outside the window needs a reason: asked for at a terminal, --reason otherwise.
    `record ID VISIT --not-done --reason …` records a visit that did not happen."""
    from scheduler import recording

    if not_done == (day is not None):
        raise click.UsageError("give the DATE the visit was done, or --not-done with --reason")

    def ask(placed: Any) -> str:
        if not sys.stdin.isatty():
            return ""
        click.echo(f"{participant_id} {visit_code} on {day} is {placed.describe()}.", err=True)
        return str(click.prompt("Reason (why out of window)", default="", show_default=False)).strip()

    placed, given = recording.record(
        _folder(study), participant_id.strip(), visit_code.strip(),
        None if not_done else recording.parse_day(str(day), "DATE"), reason.strip(),
        recording.who(by), ask)
    what = f"not done ({given})" if not_done else f"{day}: {placed.describe()}"
    click.echo(f"Recorded {participant_id} {visit_code} {what}")
    if placed.status in ("early", "late"):
        click.echo(f"  protocol deviation, reason: {given}")


@cli.command()
@click.argument("participant_id")
@click.option("--date", "day", required=True, metavar="DATE", help="The withdrawal date.")
@click.option("--reason", required=True, help="Why the participant withdrew.")
@change_options
def withdraw(participant_id: str, day: str, reason: str, study: Path | None, by: str | None) -> None:
    """Record a withdrawal in participants.csv (withdrawal_date, withdrawal_reason)."""
    from scheduler import recording

    click.echo(recording.withdraw(_folder(study), participant_id.strip(),
                                  recording.parse_day(day, "--date"), reason.strip(),
                                  recording.who(by)))


@cli.command()
@click.argument("participant_id")
@click.argument("visit_code")
@click.argument("day", metavar="DATE", required=False)
@click.option("--not-done", is_flag=True, help="Correct it to a visit that did not happen.")
@click.option("--reason", required=True, help="Why the record is corrected.")
@change_options
def correct(participant_id: str, visit_code: str, day: str | None, not_done: bool, reason: str,
            study: Path | None, by: str | None) -> None:
    """Correct a recorded visit's date; the old value stays in the audit trail."""
    from scheduler import recording

    if not_done == (day is not None):
        raise click.UsageError("give the corrected DATE, or --not-done")
    placed, _ = recording.correct(
        _folder(study), participant_id.strip(), visit_code.strip(),
        None if not_done else recording.parse_day(str(day), "DATE"), reason.strip(),
        recording.who(by))
    what = "not done" if not_done else f"{day}: {placed.describe()}"
    click.echo(f"Corrected {participant_id} {visit_code} to {what}")


@cli.command()
@click.argument("participant_id", required=False)
@click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
              help="The study folder (default: the current folder).")
def audit(participant_id: str | None, study: Path | None) -> None:
    """The audit trail (audit.csv): every change, who made it, when, old and new value, why."""
    import pandas as pd

    from scheduler import recording
    from scheduler.outputs.terminal import render

    entries = recording.read_audit(_folder(study))
    if participant_id:
        entries = [e for e in entries if e.get("participant_id") == participant_id.strip()]
    frame = pd.DataFrame(entries, columns=recording.AUDIT_COLUMNS).fillna("")
    shown = frame[["when_local", "who", "action", "participant_id", "visit_code", "field",
                   "old_value", "new_value", "reason"]]
    title = f"Audit trail{' of ' + participant_id if participant_id else ''}: {len(frame)} changes"
    click.echo(render(shown, title, colour_column=None))
