"""One exception hierarchy, translated to a message and an exit code in one place (cli.main).

Exit codes (documented in docs/exit-codes.md):
  0  the command did its job (warnings leave it at 0)
  1  it did its job but found data problems in the visits file (or deviations, with
     --fail-on-deviation)
  2  an input could not be used at all: nothing was written
  3  an internal error: a bug in visit-scheduler, never a problem with the data
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, NamedTuple, overload

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


class _ProblemWords(NamedTuple):
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


class Problems(Sequence[Problem]):
    """Many problems of input files, held column by column: the check of a visits file may
    find 200,000, and said together (``texts``) they cost a third of saying each alone.
    Taken one by one (iterating, indexing) they are Problem tuples, as ever.

    Put in another order (``by_line``, ``about``), the columns stay as they were and only the
    order is kept: said together, the texts are made in the columns' order and only they are
    put in the new one (one list moved, not eight)."""

    FIELDS = Problem._fields

    def __init__(self, columns: Sequence[Sequence[Any]], order: list[int] | None = None) -> None:
        """``columns``: one sequence per field of Problem, in its order, all as long (a list
        is kept as it is, not copied). ``order``: the rows of the columns these problems are,
        in their order (default: every row, as it is)."""
        self._columns = [column if isinstance(column, list) else list(column) for column in columns]
        if len(self._columns) != len(self.FIELDS) or len({len(column) for column in self._columns}) > 1:
            raise ValueError("Problems: one column per field of Problem, all as long")
        self._order = order

    def _ordered(self) -> list[list[Any]]:
        """The columns in these problems' order (taken once, when a problem is looked at)."""
        if self._order is not None:
            self._columns = [_taken(column, self._order) for column in self._columns]
            self._order = None
        return self._columns

    @classmethod
    def made(cls, file: str, sheet: str | None, lines: Sequence[int], messages: Iterable[str], column: str,
             values: Iterable[str | None], fixes: Iterable[str | None],
             participants: Iterable[str | None]) -> Problems:
        """Problems of one file and column: one a line."""
        count = len(lines)
        return cls([[file] * count, list(messages), list(lines), [column] * count, list(values), list(fixes),
                    [sheet] * count, list(participants)])

    @classmethod
    def none(cls) -> Problems:
        return cls([[] for _field in cls.FIELDS])

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> Problems:
        rows = list(problems)
        return cls([list(map(itemgetter(field), rows)) for field in range(len(cls.FIELDS))])

    @classmethod
    def joined(cls, parts: Sequence[Problems]) -> Problems:
        columns = [part._ordered() for part in parts]
        return cls([list(chain.from_iterable(part[field] for part in columns)) for field in range(len(cls.FIELDS))])

    def __len__(self) -> int:
        return len(self._columns[0]) if self._order is None else len(self._order)

    @overload
    def __getitem__(self, index: int) -> Problem: ...

    @overload
    def __getitem__(self, index: slice) -> Problems: ...

    def __getitem__(self, index: int | slice) -> Problem | Problems:
        if isinstance(index, slice):
            return Problems([column[index] for column in self._ordered()])
        return Problem(*(column[index] for column in self._ordered()))

    def __iter__(self) -> Iterator[Problem]:
        return map(Problem, *self._ordered())

    def _rows(self) -> list[int]:
        return list(range(len(self._columns[0]))) if self._order is None else self._order

    def by_line(self) -> Problems:
        """In line order (a problem without a line first), problems of one line as they were."""
        lines = self._columns[2]
        rows = self._rows()
        if self._order is None and None not in lines:
            # Every problem on a line (a visits file's): the lines sorted by numpy, stably.
            import numpy as np

            order: list[int] = np.argsort(np.fromiter(lines, dtype=np.int64, count=len(lines)), kind="stable").tolist()
            return Problems(self._columns, order)
        return Problems(self._columns, sorted(rows, key=lambda row: lines[row] or 0))  # sorted is stable

    def about(self, participants: Collection[str]) -> Problems:
        """Those about these participants."""
        who = self._columns[7]
        return Problems(self._columns, [row for row in self._rows() if who[row] in participants])

    def texts(self, prefix: str = "") -> list[str]:
        """``[prefix + str(problem) for problem in self]``, the same texts made together:
        grouped by shape (with a column, a value, a fix or not), each group joined at once
        (``fill``). The usual visits file's problems (one file, every one on a line, values
        short and printable) put the file's name and the quotes in the template itself."""
        if self._order is not None and len(self._order) * 2 >= len(self._columns[0]):
            # Most rows in another order (by_line): said in the columns' order, then put in this one.
            return _taken(Problems(self._columns).texts(prefix), self._order)
        self._ordered()  # a few rows (about one participant): only those are said
        files, messages, lines, columns, values, fixes, sheets, _participants = self._columns
        if not files:
            return []
        count = len(files)
        if sheets.count(None) == count and None not in lines and files.count(files[0]) == count:
            # One file, no sheet, every problem on a line: FILE:{line}, the name's braces doubled.
            place = files[0].replace("{", "{{").replace("}", "}}") + ":{line}"
            where: dict[str, list[str]] = {"line": list(map(str, lines))}
        else:
            sheet_words = _problem_words().sheet
            place = "{where}"
            where = {"where": [(file if sheet is None else sheet_words.format(file=file, sheet=sheet))
                               + ("" if line is None else f":{line}")
                               for file, line, sheet in zip(files, lines, sheets)]}
        said: list[str] = [""] * count
        for (column, value, fix), rows in _shapes(columns, values, fixes).items():
            template = _problem_template(column, value, fix)
            shown = _among(values, rows) if value else []
            if value and max(map(len, shown)) <= 60 and "".join(shown).isprintable():
                # _quoted's usual case, for all at once: in the template alone, before the file's
                # name and the prefix go in (their doubled braces may hold the text "{value}").
                template = template.replace("{value}", "'{value}'")
            else:
                shown = [_quoted(text) for text in shown]
            template = prefix.replace("{", "{{").replace("}", "}}") + template.replace("{where}", place)
            made = fill(template, count if rows is None else len(rows),
                        message=_among(messages, rows), column=_among(columns, rows) if column else "",
                        value=shown if value else "", fix=_among(fixes, rows) if fix else "",
                        **{name: _among(cells, rows) for name, cells in where.items()})
            if rows is None:
                return made
            for row, text in zip(rows, made):
                said[row] = text
        return said


def _among(cells: list[Any], rows: list[int] | None) -> list[Any]:
    """The cells of these rows; all of them for None."""
    return cells if rows is None else _taken(cells, rows)


def _shapes(columns: list[str | None], values: list[str | None], fixes: list[str | None]
            ) -> dict[tuple[bool, bool, bool], list[int] | None]:
    """The rows of each shape of problem (with a column, a value, a fix or not); None for
    "every row", when all have one shape (the usual case, told without a loop)."""
    count = len(columns)
    column_none, value_none = columns.count(None), values.count(None)
    if column_none in (0, count) and value_none in (0, count) and (all(fixes) or not any(fixes)):
        return {(column_none == 0, value_none == 0, bool(fixes[0])): None}
    import numpy as np

    code = ((np.array(columns, dtype=object) != None).astype(np.int8) * 4  # noqa: E711 (elementwise)
            + (np.array(values, dtype=object) != None).astype(np.int8) * 2  # noqa: E711
            + np.array(fixes, dtype=object).astype(bool))
    return {(bool(shape & 4), bool(shape & 2), bool(shape & 1)): np.flatnonzero(code == shape).tolist()
            for shape in np.unique(code).tolist()}


def _taken(cells: list[Any], rows: list[int]) -> list[Any]:
    """The cells of these rows."""
    return list(map(cells.__getitem__, rows))


def fill(template: str, count: int, /, **fields: Sequence[str] | str) -> list[str]:
    """``[template.format(**row) for row in rows]`` for ``count`` rows at once: each field
    is one text for every row or a sequence of ``count`` texts. The template's literal
    pieces and fields are found once, then each row is joined from them in one step
    (str.format costs four times as much a row). A field with a conversion or a format
    spec ({x!r}, {n:>3}) is left to str.format, row by row."""
    import string

    pieces = list(string.Formatter().parse(template))
    if any(conversion or spec or (name is not None and not name.isidentifier())
           for _literal, name, spec, conversion in pieces):
        keys = list(fields)
        columns = [repeat(value, count) if isinstance(value, str) else value for value in fields.values()]
        return [template.format(**dict(zip(keys, row, strict=False))) for row in zip(*columns)]
    parts: list[Iterable[str]] = []
    for literal, name, _spec, _conversion in pieces:
        if literal:  # parse has undone the escaped braces ({{ is {)
            parts.append(repeat(literal, count))
        if name is not None:
            value = fields[name]  # a field twice in the template: an iterator of its own each time
            parts.append(repeat(value, count) if isinstance(value, str) else value)
    if not parts:
        return [""] * count
    return list(map("".join, zip(*parts)))


def _quoted(value: str) -> str:
    """_quote, the usual case (short, printable) first."""
    return f"'{value}'" if len(value) <= 60 and value.isprintable() else _quote(value)


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
