"""The command group and what its commands share: options, messages, rendering, exit codes.

Heavy libraries (pandas, openpyxl) are imported inside the commands that use them, so
``--help``, ``protocol`` and ``init`` start in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scheduler import __version__
from scheduler.app.results import Messages
from scheduler.errors import EXIT_INTERNAL_ERROR, EXIT_UNUSABLE_INPUT, SchedulerError
from scheduler.outputs.streams import stdout_to_devnull

if TYPE_CHECKING:
    from types import FrameType

    import numpy as np

    from scheduler.app.results import TableResult


class _Failure(click.ClickException):
    """A SchedulerError on its way out: its message on standard error, its exit code."""

    def __init__(self, error: SchedulerError):
        super().__init__(str(error))
        # click types exit_code as a ClassVar, yet reads it from the instance it catches: this
        # error exits with its own code.
        self.exit_code = error.exit_code  # type: ignore[misc]

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
            stdout_to_devnull()
            ctx.exit(EXIT_PIPE_CLOSED)
        except OSError as error:
            if error.errno not in FULL:
                raise _bug(ctx, error) from None
            _cannot_write(error)
        except Exception as error:  # a bug: say so plainly, details only on request
            raise _bug(ctx, error) from None


def _bug(ctx: click.Context, error: Exception) -> Exception:
    """A bug: said plainly, details only on request (VISIT_SCHEDULER_DEBUG=1)."""
    if os.environ.get("VISIT_SCHEDULER_DEBUG"):
        return error
    click.echo(f"Internal error (a bug in visit-scheduler, not a problem with your "
               f"files): {type(error).__name__}: {error}\n"
               "Run again with VISIT_SCHEDULER_DEBUG=1 to see the details, and report it.",
               err=True)
    ctx.exit(EXIT_INTERNAL_ERROR)
    return error  # not reached: ctx.exit raises


# A disk (or the device behind standard output) that is full: said in one line, exit 2.
FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO}


def _cannot_write(error: OSError) -> None:
    """Standard output (or a file) could not be written: one line on standard error, exit 2."""
    stdout_to_devnull()
    with contextlib.suppress(OSError):
        sys.stderr.write(f"Error: the output cannot be written ({error.strerror}) — free some space "
                         "(or write elsewhere with -o), then run the command again\n")
        sys.stderr.flush()
    raise SystemExit(EXIT_UNUSABLE_INPUT)


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
    except KeyboardInterrupt:  # before a command began (while Python still imported it)
        with contextlib.suppress(OSError):
            sys.stderr.write("Interrupted: nothing was written.\n")
        raise SystemExit(130) from None
    except OSError as error:  # click's own output (--help, usage) to a full device
        if error.errno not in FULL:
            raise
        _cannot_write(error)
    except SystemExit:
        try:
            sys.stdout.flush()  # the last of the output, while the exit code can still change
        except BrokenPipeError:
            stdout_to_devnull()
            raise SystemExit(EXIT_PIPE_CLOSED) from None
        except OSError as error:
            if error.errno not in FULL:
                raise
            _cannot_write(error)
        raise


EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, as the shell reports a reader that stopped reading


def unwind_on_terminate() -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written temporary file is removed."""
    import signal

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)


# --------------------------------------------------------------------------- shared options


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> np.datetime64 | None:
    if value is None:
        return None
    from scheduler.core.dates import parse_one

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


def study_options(func: Callable[..., Any], several: bool = False) -> Callable[..., Any]:
    """--study, --protocol, --participants, --visits and how site files are read."""
    path = click.Path(path_type=Path, dir_okay=False)
    study_help = ("The study folder (default: the current folder). Repeat it, or name a site "
                  "folder (one whose subfolders are study folders), for several studies at once."
                  if several else "The study folder (default: the current folder).")
    options = [
        click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
                     multiple=several, help=study_help),
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


def studies_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """study_options with --study repeatable (due, check, calendar: several studies)."""
    return study_options(func, several=True)


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


def pass_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Gather the study options into one StudyOptions so commands stay short."""
    names = ("study", "protocol", "participants", "visits", "date_format", "encoding", "sheet")

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        from scheduler.app.study import StudyOptions

        values = [kwargs.pop(name) for name in names]
        return func(StudyOptions(*values), **kwargs)

    return wrapper


def pass_studies(func: Callable[..., Any]) -> Callable[..., Any]:
    """With studies_options: the studies named (a list of StudyOptions, site folders
    expanded) and whether they are several."""
    names = ("protocol", "participants", "visits", "date_format", "encoding", "sheet")

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        from scheduler.app.several import studies_in
        from scheduler.app.study import StudyOptions

        folders = kwargs.pop("study") or (None,)
        values = [kwargs.pop(name) for name in names]
        studies, several = studies_in([StudyOptions(folder, *values) for folder in folders])
        return func(studies, several, **kwargs)

    return wrapper


@contextlib.contextmanager
def speaking() -> Iterator[Messages]:
    """The messages a controller gathers, printed on standard error at the end — also when
    the command fails, so that what was said before the failure is not lost."""
    messages = Messages()
    try:
        yield messages
    finally:
        for line in messages:
            click.echo(line, err=True)


def show(result: TableResult) -> None:
    """A controller's table on the terminal (nothing when it wrote a file), then its exit code."""
    for line in result.lines:
        click.echo(line)
    if result.table is not None:
        from scheduler.outputs.terminal import render

        click.echo(render(result.table, result.title, result.colour_column))
    sys.exit(result.exit_code)


def as_date(value: np.datetime64 | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(str(value))
