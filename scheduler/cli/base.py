"""The command group and what its commands share: options, loading, messages, exit codes.

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
        except BrokenPipeError:  # `… | head`: the reader stopped reading; not an error of ours
            _stdout_to_devnull()
            ctx.exit(EXIT_PIPE_CLOSED)
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
    try:
        cli(prog_name="visit-scheduler")
    except SystemExit:
        try:
            sys.stdout.flush()  # the last of the output, while the exit code can still change
        except BrokenPipeError:
            _stdout_to_devnull()
            raise SystemExit(EXIT_PIPE_CLOSED) from None
        raise


EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, as the shell reports a reader that stopped reading


def _stdout_to_devnull() -> None:
    """Nothing more can reach the closed pipe; keep Python from complaining at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def unwind_on_terminate() -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written temporary file is removed."""
    import signal

    def terminated(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)


# --------------------------------------------------------------------------- shared options


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
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
    return click.option("--as-of", "as_of", callback=date_option, metavar="DATE",
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


def resolve_inputs(study: Path | None, protocol: Path | None, participants: Path | None,
            visits: Path | None) -> Any:
    from scheduler.studyfolder import resolve

    if study is not None and not study.is_dir():
        raise OptionError(f"--study {study}: no such folder — "
                          "create one with: visit-scheduler init DIR")
    return resolve(study, protocol, participants, visits)


def load(options: dict[str, Any], as_of: Any = None, use_visits: bool = True) -> Any:
    from scheduler.study import ReadOptions, load_study

    inputs = resolve_inputs(options["study"], options["protocol"], options["participants"],
                     options["visits"])
    read = ReadOptions(options["date_format"], options["encoding"], options["sheet"])
    return load_study(inputs, as_of, read, use_visits=use_visits)


def report_problems(study: Any, participant: str | None = None, needs_visits: bool = True) -> int:
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


def echo_or_write(frame: Any, output: Path | None, title: str, sheet: str,
                   highlight: Any = None, colour_column: str | None = "status") -> None:
    if output is None:
        from scheduler.outputs.terminal import render

        click.echo(render(frame, title, colour_column))
        return
    from scheduler.outputs.files import write_table
    from scheduler.studyfolder import label

    write_table(frame, output, sheet=sheet, highlight=highlight)
    click.echo(f"Wrote {label(output)} ({len(frame)} rows)", err=True)


def with_reason_missing(frame: Any) -> Any:
    """For tables people read: a deviation without a reason says so."""
    from scheduler.status import DEVIATIONS

    shown = frame.copy()
    missing = shown["status"].isin(DEVIATIONS) & (shown["reason"] == "")
    shown.loc[missing, "reason"] = "reason missing"
    return shown


def pass_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Gather the study options into one dict so commands stay short."""
    names = ("study", "protocol", "participants", "visits", "date_format", "encoding", "sheet")

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name in names}
        return func(options, **kwargs)

    return wrapper


def clinic_day_notes(gaps: Any) -> list[str]:
    """The report's lines for visits whose window holds no clinic day."""
    return [f"No clinic day in the window of {row.participant_id} {row.visit_code} "
            f"({str(row.window_open)[:10]} to {str(row.window_close)[:10]}): book it by hand"
            for row in gaps.itertuples()]


def site_label(study: Any) -> str:
    """The site(s) the roster names, else the protocol's site_id: "01" or "01, 02"."""
    sites = sorted({s for s in study.participants["site"] if s})
    return ", ".join(sites) if sites else study.protocol.site_id


def suggestions(study: Any, table: Any, not_before: Any = None, warn_rows: Any = None) -> Any:
    """Suggested dates (clinic days) for the visits still to do, with their warnings."""
    return suggestions_and_gaps(study, table, not_before, warn_rows)[0]


def suggestions_and_gaps(study: Any, table: Any, not_before: Any = None,
                         warn_rows: Any = None) -> tuple[Any, Any]:
    """Suggested dates, and the visits whose window holds no clinic day (warned about on
    standard error); ``warn_rows`` limits the warnings to the rows the command shows."""
    from scheduler.clinic import calendar_for, no_working_day, suggested_dates

    calendar = calendar_for(study.protocol.clinic, table)
    suggestion = suggested_dates(table, calendar, not_before)
    shown = table if warn_rows is None else table[warn_rows]
    empty = no_working_day(shown, (suggested_dates(table, calendar) if not_before is not None
                                   else suggestion)[warn_rows if warn_rows is not None else slice(None)])
    if len(empty):
        named = ", ".join(f"{row.participant_id} {row.visit_code} ({str(row.window_open)[:10]} to "
                          f"{str(row.window_close)[:10]})"
                          for row in empty.head(MAX_LISTED_WARNINGS).itertuples())
        more = len(empty) - MAX_LISTED_WARNINGS
        click.echo(f"Warning: no clinic day in the window of {named}"
                   f"{f' and {more} more' if more > 0 else ''} — no date is suggested; "
                   "book these by hand", err=True)
    to_do = shown["actual_date"].isna().to_numpy()
    beyond = calendar.years_beyond_data(shown["window_close"].to_numpy()[to_do].astype("M8[D]"))
    if beyond:
        click.echo(f"Warning: the holiday data for {calendar.country} ends with {calendar.data_until}: "
                   f"suggested dates in {', '.join(map(str, beyond))} follow the weekdays and the "
                   "fixed-date holidays only — check them against the official calendar", err=True)
    return suggestion, empty


def warn_reason_missing(table: Any) -> None:
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
