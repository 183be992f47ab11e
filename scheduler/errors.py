"""One exception hierarchy, translated to a message and an exit code in one place (cli.main).

Exit codes (documented in docs/exit-codes.md):
  0  the command did its job (warnings leave it at 0)
  1  it did its job but found data problems in the visits file (or deviations, with
     --fail-on-deviation)
  2  an input could not be used at all: nothing was written
  3  an internal error: a bug in visit-scheduler, never a problem with the data
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from scheduler.i18n import _, current

EXIT_OK = 0
EXIT_DATA_PROBLEMS = 1
EXIT_UNUSABLE_INPUT = 2
EXIT_INTERNAL_ERROR = 3


class Problem(NamedTuple):
    """One thing wrong in an input file, located as precisely as we can.

    Rendered as ``FILE:LINE: column COLUMN: what is wrong (value 'V') — how to fix it``.
    ``line`` is the line an editor shows (header = line 1) or, in a workbook, the row.
    A named tuple, not a dataclass: a visits file may hold 200,000 problems, and a tuple is
    made five times as fast.
    """

    file: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    fix: str | None = None
    sheet: str | None = None
    # The participant a visits-file problem is about (not shown: it is in the message).
    participant: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.sheet is not None:
            where = _problem_words().sheet.format(file=where, sheet=self.sheet)
        if self.line is not None:
            where += f":{self.line}"
        template = _problem_template(self.column is not None, self.value is not None, bool(self.fix))
        return template.format(where=where, column=self.column, message=self.message,
                               value=None if self.value is None else _quote(self.value), fix=self.fix)


@dataclass(frozen=True)
class _ProblemWords:
    sheet: str
    column: str
    plain: str
    value: str
    fix: str


_WORDS: dict[str, _ProblemWords] = {}
_TEMPLATES: dict[tuple[str, bool, bool, bool], str] = {}


def _problem_words() -> _ProblemWords:
    """The templates a problem is written with, in the current language, looked up once per
    language (a visits file may have tens of thousands of problems)."""
    language = current()
    words = _WORDS.get(language)
    if words is None:
        words = _WORDS[language] = _ProblemWords(
            # TRANSLATORS: {file} is a workbook's name, {sheet} the worksheet the problem is in.
            _("{file} (sheet {sheet})"),
            # TRANSLATORS: {where} is FILE:LINE, {column} a column's name (not translated),
            # {message} what is wrong.
            _("{where}: column {column}: {message}"),
            # TRANSLATORS: {where} is FILE:LINE, {message} what is wrong.
            _("{where}: {message}"),
            # TRANSLATORS: {problem} is a whole problem, {value} the value found, quoted.
            _("{problem} (value {value})"),
            # TRANSLATORS: {problem} is a whole problem, {fix} how to fix it.
            _("{problem} — {fix}"))
    return words


def _problem_template(column: bool, value: bool, fix: bool) -> str:
    """The whole message's template for a problem of this shape, in the current language:
    the pieces of _problem_words nested into one ({where}, {column}, {message}, {value},
    {fix}), so that each problem is one format call. Put together by replacing the
    {problem} field (not by format, which would undo a translation's escaped braces)."""
    key = (current(), column, value, fix)
    template = _TEMPLATES.get(key)
    if template is None:
        words = _problem_words()
        template = words.column if column else words.plain
        if value:
            template = words.value.replace("{problem}", template)
        if fix:
            template = words.fix.replace("{problem}", template)
        template = _TEMPLATES[key] = template
    return template


def _quote(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    # Control characters would garble a terminal; show them escaped.
    shown = shown.encode("unicode_escape").decode("ascii") if not shown.isprintable() else shown
    return f"'{shown}'"


class SchedulerError(Exception):
    """Base of every error a person can act on. Carries its exit code."""

    exit_code = EXIT_UNUSABLE_INPUT

    def __init__(self, message: str, problems: tuple[Problem, ...] | list[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)

    def __str__(self) -> str:
        lines = [self.message]
        lines.extend(str(problem) for problem in self.problems)
        return "\n".join(lines)


class ProtocolError(SchedulerError):
    """The protocol file cannot be used: every problem in it is listed."""


class InputFileError(SchedulerError):
    """A participants or visits file cannot be used at all (missing, unreadable, day-first...)."""


class OptionError(SchedulerError):
    """A command-line option cannot be used."""


class OutputError(SchedulerError):
    """An output cannot be written (missing folder, unknown format, permissions)."""


class ChangeRefused(SchedulerError):
    """A change to the study folder cannot be made: nothing was written."""


class ExportRefused(SchedulerError):
    """The study's data cannot make a valid export (two participants with one USUBJID, a
    withdrawal without its category…): nothing is written until it is fixed."""
