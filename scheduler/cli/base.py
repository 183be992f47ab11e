"""The command group and what its commands share: options, messages, rendering, exit codes,
and the language people read (chosen before click reads the command line).

Heavy libraries (pandas, openpyxl) are imported inside the commands that use them, so
``--help``, ``protocol`` and ``init`` start in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scheduler import __version__, i18n
from scheduler.app.results import Messages
from scheduler.errors import EXIT_INTERNAL_ERROR, EXIT_UNUSABLE_INPUT, OptionError, SchedulerError
from scheduler.i18n import N_, _
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
        click.echo(_("Error: {message}").format(message=self.message), err=True)


def _one_study_once(ctx: click.Context, group: click.Group, args: list[str]) -> None:
    """A command that takes one study refuses --study given twice: click would silently use
    the last one, and a change would go into whichever folder came last."""
    given = [arg for arg in args if arg == "--study" or arg.startswith("--study=")]
    if len(given) < 2:
        return
    command: click.Command | None = None
    names: list[str] = []
    for arg in args:
        under = group if command is None else command
        if not isinstance(under, click.Group):
            break
        found = under.get_command(ctx, arg) if arg in under.list_commands(ctx) else None
        if found is not None:
            command = found
            names.append(arg)
    if command is None:
        return
    study = next((param for param in command.params if param.name == "study"), None)
    if study is not None and not getattr(study, "multiple", False):
        # TRANSLATORS: {command} is a command as typed ("record", "export sdtm").
        raise click.UsageError(_("--study is given {count} times, but {command} takes one study folder — give it "
                                 "once").format(count=len(given), command=" ".join(names)))


# Each command and the module of scheduler.cli that defines it, imported when the command is
# named (tests/test_cli.py holds the table to what the modules register).
COMMANDS = {
    "init": "study_commands", "protocol": "study_commands", "schedule": "study_commands",
    "check": "study_commands", "due": "study_commands", "status": "study_commands",
    "enroll": "change_commands", "record": "change_commands", "withdraw": "change_commands",
    "amend": "change_commands", "correct": "change_commands", "audit": "change_commands",
    "verify": "change_commands",
    "calendar": "output_commands", "report": "output_commands", "export": "output_commands",
    "plan": "paper_commands",
}


class _Group(click.Group):
    """Chooses the language first; translates every error into one message and an exit code:
    never a traceback. Imports a command's module only when the command is named
    (``COMMANDS``), so that ``protocol`` does not build the options of every other command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module = COMMANDS[cmd_name]
            # Built in English, as when every module was imported before the language was
            # chosen (click names a path's metavar, FILE or DIRECTORY, when the option is
            # made; its --help pads by characters, so a Chinese one would misalign the
            # columns), then translated like the commands loaded before.
            spoken = i18n.current()
            i18n.use(i18n.ENGLISH)
            try:
                importlib.import_module(f"scheduler.cli.{module}")
            finally:
                i18n.use(spoken)
            for name, defined_in in COMMANDS.items():
                if defined_in == module and name in self.commands:
                    translate_help(self.commands[name])
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                           list[str]]:
        # A name that is no command: every command loaded first, so that click's "Did you
        # mean 'check'?" has the names to choose from (it reads self.commands).
        if args and args[0] not in COMMANDS and args[0] not in self.commands:
            every_command()
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            # Before click reads anything: --help and usage errors are printed while it parses.
            speak(args, self)
            _one_study_once(ctx, self, args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SchedulerError as error:
            raise _Failure(error) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(_("Interrupted: nothing was written."), err=True)
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
    # TRANSLATORS: {kind} is the name of a Python exception (ValueError…), {error} its text.
    click.echo(_("Internal error (a bug in visit-scheduler, not a problem with your files): {kind}: {error}\n"
                 "Run again with VISIT_SCHEDULER_DEBUG=1 to see the details, and report it.")
               .format(kind=type(error).__name__, error=error), err=True)
    ctx.exit(EXIT_INTERNAL_ERROR)
    return error  # not reached: ctx.exit raises


# A disk (or the device behind standard output) that is full: said in one line, exit 2.
FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO}


def _cannot_write(error: OSError) -> None:
    """Standard output (or a file) could not be written: one line on standard error, exit 2."""
    stdout_to_devnull()
    with contextlib.suppress(OSError):
        # TRANSLATORS: {reason} is the system's own words ("No space left on device").
        sys.stderr.write(_("Error: the output cannot be written ({reason}) — free some space "
                           "(or write elsewhere with -o), then run the command again")
                         .format(reason=error.strerror) + "\n")
        sys.stderr.flush()
    raise SystemExit(EXIT_UNUSABLE_INPUT)


def every_command() -> dict[str, click.Command]:
    """Every command, its module imported (for the tests and the documentation checks)."""
    context = click.Context(cli)
    found = {name: cli.get_command(context, name) for name in cli.list_commands(context)}
    return {name: command for name, command in found.items() if command is not None}


# Objects made between two collections of the youngest generation (Python's default: 700).
# A run is short and makes many objects that live to its end (the modules, the rows' texts)
# and few cycles of garbage: collected a fourteenth as often, start-up spends about 1 ms less
# walking the imports' objects, and a 100,000-participant check no longer walks its rows'
# objects once every few hundred allocations. The older generations keep their thresholds.
YOUNG_COLLECTION_THRESHOLD = 10_000


def main() -> None:
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    unwind_on_terminate()
    try:
        cli(prog_name="visit-scheduler")
    except KeyboardInterrupt:  # before a command began (while Python still imported it)
        with contextlib.suppress(OSError):
            sys.stderr.write(_("Interrupted: nothing was written.") + "\n")
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


# --------------------------------------------------------------------------- the language


def speak(args: list[str], group: click.Command) -> None:
    """Choose the language of this run (PRODUCT.md "Languages"), from the raw command line
    read before click parses it, and put the help texts and click's own words in it. An
    unknown --lang or VISIT_SCHEDULER_LANG: one line, exit 2, nothing run."""
    _click_speaks_ours()
    option, studies, protocol = _scan(args)
    new_protocol = _scan(args, "--protocol-language")[0] if "init" in args else None

    def protocols() -> Iterator[str | None]:  # read only when neither option nor variable says
        from scheduler.app.plan import protocol_languages

        if new_protocol is not None:  # init DIR --protocol-language: the new study's language
            yield new_protocol
            return
        yield from protocol_languages(studies, protocol)

    try:
        language = i18n.choose(option, os.environ, protocols())
    except i18n.UnknownLanguage as unknown:
        # Said in the language chosen without the unknown one.
        rest = {name: value for name, value in os.environ.items()
                if name != "VISIT_SCHEDULER_LANG" or i18n.language_named(value)}
        i18n.use(i18n.choose(None, rest, protocols()))
        translate_help(group)
        raise _Failure(OptionError(unknown_language(unknown.given, unknown.where))) from None
    i18n.use(language)
    translate_help(group)


def unknown_language(given: str, where: str) -> str:
    # TRANSLATORS: {language} is what was given, {where} the option or variable that gave it
    # (--lang, VISIT_SCHEDULER_LANG), {languages} the language codes (en, zh-CN).
    return _("unknown language '{language}' ({where}) — the languages are: {languages}").format(
        language=given, where=where, languages=", ".join(i18n.LANGUAGES))


def _scan(args: list[str], lang_option: str = "--lang") -> tuple[str | None, list[Path], Path | None]:
    """What the raw command line says the language depends on: the last --lang, every
    --study and the last --protocol (``--name VALUE`` or ``--name=VALUE``, up to a lone ``--``)."""
    lang: str | None = None
    studies: list[Path] = []
    protocol: Path | None = None
    words = iter(args)
    for word in words:
        if word == "--":
            break
        name, equals, value = word.partition("=")
        if name not in (lang_option, "--study", "--protocol"):
            continue
        if not equals:
            following = next(words, None)
            if following is None:
                break
            value = following
        if name == lang_option:
            lang = value
        elif name == "--study":
            studies.append(Path(value))
        else:
            protocol = Path(value)
    return lang, studies, protocol


# The English help of each command and option, kept the first time it is translated: the
# language can change from one run to the next in one process (tests run the command so).
_COMMAND_HELP: dict[click.Command, tuple[str | None, str | None]] = {}
_OPTION_HELP: dict[click.Parameter, str | None] = {}


def translate_help(command: click.Command) -> None:
    """The help texts of ``command``, its options and every command under it, in the current
    language (each text is marked with N_ where it is written)."""
    english = _COMMAND_HELP.setdefault(command, (command.help, command.short_help))
    command.help, command.short_help = (_(text) if text else text for text in english)
    # click makes each command's --help option once and keeps it, with the words of the
    # language spoken then: made again, it speaks the current one.
    command._help_option = None
    for param in command.params:
        if isinstance(param, click.Option):
            text = _OPTION_HELP.setdefault(param, param.help)
            param.help = _(text) if text else text
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            translate_help(sub)


_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


def _click_gettext(message: str) -> str:
    return i18n._(message)


def _click_ngettext(singular: str, plural: str, count: int) -> str:
    return i18n.ngettext(singular, plural, count)


@functools.cache
def _click_speaks_ours() -> None:
    """click's own words ("Usage:", "Options:", "Show this message and exit.", "No such
    option"…) through our catalog. click's modules do ``from gettext import gettext as _``
    (and ``ngettext``): the standard library's global domain, which we never install (that
    would change the words of every library in the process). So each of those names is
    pointed at scheduler.i18n, which speaks the chosen language; our catalog holds click's
    messages too (extracted from click's sources). Done once."""
    import importlib

    # click imports its shell-completion module only when a shell asks for completions
    # (_VISIT_SCHEDULER_COMPLETE set): then, and only then, is it imported here too.
    completing = "_VISIT_SCHEDULER_COMPLETE" in os.environ
    for name in (*_CLICK_MODULES, "shell_completion") if completing else _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]
    # click names its value types in its messages ("'many' is not a valid integer range") and
    # in --help (INTEGER RANGE) with a plain class attribute: read in the current language.
    for kind, word in ((click.types.IntRange, N_("integer range")), (click.types.IntParamType, N_("integer")),
                       (click.types.FloatRange, N_("float range")), (click.types.FloatParamType, N_("float")),
                       (click.types.Choice, N_("choice")), (click.types.BoolParamType, N_("boolean")),
                       (click.types.StringParamType, N_("text")), (click.types.DateTime, N_("datetime"))):
        kind.name = _TypeName(word)  # type: ignore[assignment]
    # click marks a required option "[required]" with _(extra["required"]): a word Babel
    # cannot see in click's sources, so it is named here for the catalog.
    # TRANSLATORS: shown after a required option's help, in brackets: "[required]".
    N_("required")
    # click wraps help by characters; a Chinese character takes two columns on the screen.
    click.formatting.wrap_text = _wrap_text
    click.core.wrap_text = _wrap_text


class _TypeName:
    """A click type's name, translated each time it is read (a descriptor on the class)."""

    def __init__(self, english: str) -> None:
        self.english = english

    def __get__(self, instance: object, owner: type | None = None) -> str:
        return _(self.english)


_click_wrap_text = click.formatting.wrap_text
_CLOSING = set("，。、；：！？）」』】》…")


def _has_wide(text: str) -> bool:
    """Whether ``text`` holds a wide (East Asian wide or fullwidth) character. (Not a regular
    expression of the wide ranges: compiling one costs 3 ms of every start.)"""
    if text.isascii():
        return False
    import unicodedata

    return any(unicodedata.east_asian_width(char) in "WF" for char in set(text))


def _cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def _words(text: str) -> Iterator[str]:
    """``text`` (single spaces) as the pieces a line of Chinese breaks between: each CJK
    character or punctuation mark alone, a run of other characters (a Latin word, an option)
    whole, a space."""
    import itertools

    for kind, run in itertools.groupby(text, key=lambda char: 0 if _cjk(char) else 1 if char.isspace() else 2):
        if kind == 0:
            yield from run
        else:
            yield "".join(run)


def _wrap_text(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
               preserve_paragraphs: bool = False) -> str:
    """click's wrap_text, by display width when the text holds wide characters: a line of
    Chinese breaks between any two characters (never inside a Latin word or an option)."""
    if not _has_wide(text):  # no wide characters (± and — are not): click's own, no wcwidth
        return _click_wrap_text(text, width, initial_indent, subsequent_indent, preserve_paragraphs)
    from scheduler.outputs.people import display_width

    paragraphs = text.split("\n\n") if preserve_paragraphs else [text]
    out = []
    for paragraph in paragraphs:
        if paragraph.startswith("\b"):  # click's "do not rewrap" mark: the lines as written
            out.append("\n".join(initial_indent + line for line in paragraph.splitlines()[1:]))
            continue
        words = _words(" ".join(paragraph.split()))
        lines, line, indent = [], initial_indent, initial_indent
        for word in words:
            if word.isspace():
                if line.strip():
                    line += " "
                continue
            # Closing punctuation never begins a line (it stays with the word it closes).
            if display_width(line.rstrip() + word) > width and line.strip() and word not in _CLOSING:
                lines.append(line.rstrip())
                indent = subsequent_indent
                line = indent
            line += word
        if line.strip():
            lines.append(line.rstrip())
        out.append("\n".join(lines))
    return "\n\n".join(out)


# click's words through our catalog before the group below is made: click.version_option
# translates its help when it is applied, and the standard library's gettext it would call
# looks for catalogs on disk each time (1 ms of every start).
_click_speaks_ours()


LANG_HELP = N_("Language people read: en or zh-CN (default: VISIT_SCHEDULER_LANG, the study's [study] "
               "language, the locale, English).")


def lang_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--lang LANG, on the main command and on every command. Its value was read before click
    parsed anything (``speak``): here it is only accepted and listed in --help."""
    return click.option("--lang", metavar="LANG", expose_value=False, help=LANG_HELP)(func)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"],
                                           "max_content_width": 100},
             help=N_("Visit windows, calendars and protocol-deviation checks for a clinical trial.\n"
                     "\n"
                     "Run a command inside a study folder (or name it with --study DIR). The folder's "
                     "protocol.toml, participants.csv and visits.csv are used when they exist; without a "
                     "protocol file the built-in NCT01143168 protocol applies.\n"
                     "\n"
                     "Exit codes: 0 done; 1 done, but the visits file has data problems (or deviations, "
                     "with --fail-on-deviation); 2 an input or option cannot be used, nothing written; "
                     "3 an internal error."))
@click.version_option(__version__, prog_name="visit-scheduler")
@lang_option
def cli() -> None:
    pass


# --------------------------------------------------------------------------- shared options


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> np.datetime64 | None:
    if value is None:
        return None
    from scheduler.core.dates import parse_one

    parsed = parse_one(value)
    if parsed is None:
        raise click.BadParameter(_("'{value}' is not a date — write it as YYYY-MM-DD, "
                                   "for example 2010-09-13").format(value=value))
    return parsed


def _date_format(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A strftime pattern for whole calendar dates: a day, a month and a four-digit year,
    no time and no zone (a zone would move dates across midnight)."""
    if value is None:
        return None
    if "%y" in value:
        raise click.BadParameter(_("'{value}': a two-digit year (%y) could be two centuries — "
                                   "use %Y and four-digit years").format(value=value))
    needed = (
        (("%d", "%e"), _("'{value}': the pattern has no day (%d or %e), for example '%d/%m/%Y'")),
        (("%m", "%b", "%B"), _("'{value}': the pattern has no month (%m or %b or %B), for example '%d/%m/%Y'")),
        (("%Y",), _("'{value}': the pattern has no year (%Y), for example '%d/%m/%Y'")),
    )
    for names, missing in needed:
        if not any(name in value for name in names):
            raise click.BadParameter(missing.format(value=value))
    for directive in ("%z", "%Z", "%H", "%I", "%M", "%S", "%f", "%p", "%j", "%U", "%W", "%c", "%x"):
        if directive in value:
            # TRANSLATORS: {directive} is a strftime directive (%H, %z…).
            raise click.BadParameter(_("'{value}': {directive} is not allowed — dates in these "
                                       "files are calendar days: use only %d, %m and %Y")
                                     .format(value=value, directive=directive))
    import datetime as dt

    try:
        sample = dt.date(2010, 9, 25).strftime(value)
        if dt.datetime.strptime(sample, value).date() != dt.date(2010, 9, 25):
            raise ValueError
    except ValueError:
        raise click.BadParameter(_("'{value}' is not a pattern that reads dates back, "
                                   "for example '%d/%m/%Y'").format(value=value)) from None
    return value


STUDY_HELP = N_("The study folder (default: the current folder).")


def study_options(func: Callable[..., Any], several: bool = False) -> Callable[..., Any]:
    """--study, --protocol, --participants, --visits and how site files are read."""
    path = click.Path(path_type=Path, dir_okay=False)
    study_help = (N_("The study folder (default: the current folder). Repeat it, or name a site "
                     "folder (one whose subfolders are study folders), for several studies at once.")
                  if several else STUDY_HELP)
    options = [
        click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
                     multiple=several, help=study_help),
        click.option("--protocol", type=path,
                     help=N_("Protocol file (default: the study folder's protocol.toml, "
                             "else the built-in NCT01143168 protocol).")),
        click.option("--participants", type=path,
                     help=N_("Participants file, CSV or .xlsx (default: participants.csv).")),
        click.option("--visits", type=path,
                     help=N_("Visits file, CSV or .xlsx (default: visits.csv, when there is one).")),
        click.option("--date-format", metavar="PATTERN", callback=_date_format,
                     help=N_("strftime pattern for dates written day- or month-first, "
                             "e.g. '%d/%m/%Y'. Year-first dates need none.")),
        click.option("--encoding", metavar="NAME",
                     help=N_("Text encoding of CSV files (default: UTF-8 with or without BOM, "
                             "else GB18030).")),
        click.option("--sheet", metavar="NAME", help=N_("Worksheet to read in .xlsx files "
                                                        "(default: the first).")),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def studies_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """study_options with --study repeatable (due, check, calendar: several studies)."""
    return study_options(func, several=True)


def as_of_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", "as_of", callback=date_option, metavar="DATE",
                        help=N_("Judge as of this date (default: today in the study's time zone)."))(func)


# The help of -o for each set of formats (a whole text each, for the translator).
_OUTPUT_HELP = {
    (".csv", ".xlsx", ".json"): N_("Write to FILE; the extension picks the format (.csv, .xlsx, .json). "
                                   "Without it, a table on the terminal."),
    (".html", ".xlsx", ".csv", ".md"): N_("Write to FILE; the extension picks the format "
                                          "(.html, .xlsx, .csv, .md). Without it, a table on the terminal."),
}


def output_option(*formats: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def check_format(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in formats:
            # TRANSLATORS: {formats} are file extensions (.csv, .xlsx, .json).
            raise click.BadParameter(_("'{value}': the extension picks the format; use one of "
                                       "{formats}").format(value=value, formats=", ".join(formats)))
        return value

    return click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                        callback=check_format, metavar="FILE", help=_OUTPUT_HELP[formats])


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
        # In blocks of lines: a visits file with 20,000 problems is one write per block, not
        # one click.echo per line (a second at 100,000 participants).
        for start in range(0, len(messages), 2000):
            click.echo("\n".join(messages[start:start + 2000]), err=True)


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
