"""Site tables in: CSV or Excel, encodings, separators, headers, line numbers, date columns.

Everything a site file can get wrong is caught here, at the edge, and said with the file
and the line an editor shows (the header is line 1; in a workbook, the row and the sheet).
What comes out holds only the columns asked for: any other column (a name, a phone number)
is dropped here and never travels further.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.core.table import Table
from scheduler.errors import InputFileError, Problem
from scheduler.i18n import _, ngettext, pgettext
from scheduler.sources.text import decode, encoding_note, has_invisible, header_names, normal_id, separator_of

# A file written day-first has that form on every line: list the first few, not thousands.
MAX_LISTED = 20
# An Excel number format of zeros only ("000", "00000"): a whole number shown with leading
# zeros to that width, as IDs typed as numbers often are (7 shown as 007).
_ZEROS = re.compile(r"0+")


# pandas' words for a record it skipped as too long (read_csv on_bad_lines="warn").
SKIPPED = re.compile(r"Skipping line (\d+): expected \d+ fields, saw \d+")


class LongLine(NamedTuple):
    """A CSV line with more cells than the header (an unquoted comma): in the visits file a
    data problem for that record, which is left out. ``values``: the cells of the columns
    asked for, as the line has them (trimmed), for the problem's participant. A NamedTuple:
    a messy file has tens of thousands (made four times as fast as a frozen dataclass)."""

    line: int
    cells: int
    width: int
    values: dict[str, str]

    def problem(self, table: Table, participant: str) -> Problem:
        return table.problem(too_many_cells(self.cells, self.width), self.line,
                             participant=participant)


class UnnamedCell(NamedTuple):
    """A CSV value under a blank cell at the header's end (line 1 ends "…,reason,"): a notes
    column without a name, or what an unquoted comma pushed out of the last column ("late,
    rain" would leave the reason "late"). In the visits file a data problem of that record,
    which is used as it is. ``position`` counts the line's cells from 1."""

    line: int
    position: int
    value: str
    separator: str

    def problem(self, table: Table, participant: str) -> Problem:
        return table.problem(unnamed_cell(self.position), self.line, value=self.value,
                             fix=_("name that column in line 1, or put double quotes around a value holding "
                                   "{separator}; the record is used as it is").format(
                                       separator=separator_word(self.separator)),
                             participant=participant)


def unnamed_cell(position: int) -> str:
    # TRANSLATORS: {position} is the place of a cell in its line (5: the fifth).
    return _("cell {position} is under an empty cell of the header").format(position=position)


def separator_word(separator: str) -> str:
    """The separator as people name it, for a hint: a comma, a semicolon, a tab."""
    words = {",": _("a comma"), ";": _("a semicolon"), "\t": _("a tab")}
    return words.get(separator, f"'{separator}'")


def named_width(header: list[str]) -> int:
    """The header's cells less the blank ones at its end: the columns it names."""
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    return width


def too_many_cells(cells: int, width: int) -> str:
    return _("the line has {cells} cells where the header has {width} — "
             "a value holding a comma needs double quotes").format(cells=cells, width=width)


def _too_many_cells_at(label: str, line: int, cells: int, width: int) -> InputFileError:
    """The file refused at the first line with more cells than the header."""
    # TRANSLATORS: {cells} and {width} are numbers of cells (two or more, one or more).
    return InputFileError(_("{file}:{line}: the line has {cells} cells where the header has {width} — "
                            "a value holding a comma needs double quotes")
                          .format(file=label, line=line, cells=cells, width=width))


def read_table(path: Path, label: str, required: tuple[str, ...], optional: tuple[str, ...],
               encoding: str | None = None, sheet: str | None = None,
               notes: list[str] | None = None, long_lines: list[LongLine] | None = None,
               unnamed: list[UnnamedCell] | None = None) -> Table:
    """Read a CSV or .xlsx file into text columns; refuse it (exit 2) if it cannot be used.

    ``notes``, when given, gets one line for what the caller should say (the encoding of
    a file that is not UTF-8). ``long_lines``, when given, gets the CSV lines that have
    more cells than the header, which are then left out; without it they refuse the file."""
    if not path.exists():
        raise InputFileError(_("{file}: file not found — check the name and the folder "
                               "(--study names the study folder)").format(file=label))
    if path.is_dir():
        raise InputFileError(_("{file}: this is a folder, not a file — name the CSV or .xlsx file")
                             .format(file=label))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, sheet_name = _read_workbook(path, label, sheet, required + optional)
    elif suffix == ".xls":
        raise InputFileError(_("{file}: old Excel 97–2003 workbooks (.xls) cannot be read — "
                               "in Excel, Save As 'Excel Workbook (.xlsx)' or 'CSV UTF-8'").format(file=label))
    else:
        frame, sheet_name = _read_csv(path, label, encoding, required + optional, notes, long_lines, unnamed), None
    missing = [name for name in required if name not in frame.columns]
    if missing:
        present = frame.attrs.get("header") or [c for c in frame.columns if c != "line"]
        # TRANSLATORS: said where a header has no column at all ("columns found: none").
        found = ", ".join(present) or pgettext("columns found", "none")
        # TRANSLATORS: {guess} is a column of the file, {column} the required column it may be.
        guesses = [_("'{guess}' for {column}").format(guess=guess[0], column=name) for name in missing
                   if (guess := difflib.get_close_matches(name, present, n=1, cutoff=0.75))]
        # TRANSLATORS: {missing}, {found} and {required} are column names joined by ", ";
        # {guesses} are clauses such as "'enrolment_date' for enrollment_date".
        message = (ngettext("{file}: required column {missing} missing (columns found: {found}) — "
                            "the header line needs {required}; did you mean {guesses}?",
                            "{file}: required columns {missing} missing (columns found: {found}) — "
                            "the header line needs {required}; did you mean {guesses}?", len(missing))
                   if guesses else
                   ngettext("{file}: required column {missing} missing (columns found: {found}) — "
                            "the header line needs {required}",
                            "{file}: required columns {missing} missing (columns found: {found}) — "
                            "the header line needs {required}", len(missing)))
        raise InputFileError(message.format(file=label, missing=", ".join(missing), found=found,
                                            required=", ".join(required), guesses=", ".join(guesses)))
    for name in optional:
        if name not in frame.columns:
            frame[name] = ""
    keep = list(required) + list(optional) + ["line"]
    # Other columns (names, phone numbers…) stop here: they never reach the core.
    return Table(frame[keep].copy(), label, sheet_name)


def _read_csv(path: Path, label: str, encoding: str | None, wanted: tuple[str, ...],
              notes: list[str] | None = None, long_lines: list[LongLine] | None = None,
              unnamed: list[UnnamedCell] | None = None) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except OSError as error:
        # TRANSLATORS: {reason} is the system's own words ("Permission denied").
        raise InputFileError(_("{file}: cannot read the file ({reason})")
                             .format(file=label, reason=error.strerror)) from None
    decoded, codec = decode(raw, label, encoding)
    note = encoding_note(label, codec, given=bool(encoding))
    if note is not None and notes is not None:
        notes.append(note)
    # One kind of line break (Windows \r\n and old Mac \r become \n), so that pandas, the
    # csv module and the line numbers in messages all count lines the same way.
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise InputFileError(_("{file}: this is not a text file — save it as CSV or .xlsx").format(file=label))
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise InputFileError(_("{file}: the file is empty or its first line is blank — "
                               "the first line must be the header").format(file=label))
    separator = separator_of(first_line)
    # The header is read here, not by pandas, which would quietly rename a repeated column.
    header = next(csv.reader(io.StringIO(text), delimiter=separator), [])
    names = header_names(header, label)
    named = named_width(header) or len(names)
    frame, first_row_long, skipped = _parse_csv(text, separator, names, named, label, skip_long=long_lines is not None)
    if first_row_long and long_lines is None:
        raise _too_many_cells(text, separator, label)
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if (long_lines is not None and not first_row_long and skipped and physical == len(frame) + 1 + len(skipped)
            and not _first_record_long(text, separator, len(names))):
        # Every record is one line (no quoted line break), so the records pandas skipped as
        # too long are those lines: only they are read again, by the csv module, for the
        # message; every other line is a record, in order.
        frame["line"] = _long_lines_of(text, separator, names, wanted, skipped, physical, long_lines)
        one_line, left_out = True, skipped
    elif long_lines is not None and (first_row_long or physical != len(frame) + 1):
        # Lines that are not one record each: quoted line breaks, or records too long. The
        # csv module says where each record starts and which are too long; those are taken
        # out of the text and the rest read again, so that pandas reads every cell.
        starts, removed = _long_records(text, separator, names, wanted, long_lines)
        if removed:
            frame = _parse_csv(_without_lines(text, removed), separator, names, named, label, skip_long=False)[0]
        if len(starts) != len(frame):  # the csv module and pandas disagree: say what it sees
            raise _too_many_cells(text, separator, label)
        frame["line"] = np.asarray(starts, dtype=np.int64)
        one_line, left_out = False, None
    else:
        frame["line"] = _line_numbers(text, separator, len(frame), physical)
        one_line, left_out = physical == len(frame) + 1, None
    frame = _spilled(frame, named, names, separator, label, long_lines, unnamed)
    return _trim_and_drop_blank(frame, wanted, _spaces_at_edges(text, separator, one_line, left_out))


def _spilled(frame: pd.DataFrame, named: int, names: list[str], separator: str, label: str,
             long_lines: list[LongLine] | None, unnamed: list[UnnamedCell] | None) -> pd.DataFrame:
    """A header that ends with blank cells ("…,reason," as a spreadsheet may save it) names
    fewer columns than it has. A line with a value under them is said (``unnamed``: the
    visits file, where the record is used as it is, with its message), refusing a file that
    has no list to take them (the participants file); the lines longer than the whole
    header are counted against the ``named`` columns."""
    if named == len(names):
        return frame
    if long_lines:
        long_lines[:] = [LongLine(long.line, long.cells, named, long.values) if long.width == len(names) else long
                         for long in long_lines]
    if not len(frame):
        return frame
    first = np.zeros(len(frame), dtype=np.int64)  # the first cell with a value under a blank one (1 is the first)
    for position in range(len(names), named, -1):
        cells = frame[names[position - 1]].to_numpy(dtype=object)
        at = np.flatnonzero(cells != "")
        at = at[np.array([bool(str(cell).strip()) for cell in cells[at]], dtype=bool)]
        first[at] = position
    found = np.flatnonzero(first > 0)
    lines = frame["line"].to_numpy()
    values = [(int(lines[row]), int(first[row]), str(frame[names[first[row] - 1]].iat[row]).strip())
             for row in found.tolist()]
    if values and unnamed is None:
        line, position, value = values[0]
        raise InputFileError(_("{file}:{line}: {problem} (value '{value}') — name that column in line 1, or put "
                               "double quotes around a value holding {separator}").format(
                                   file=label, line=line, problem=unnamed_cell(position), value=value,
                                   separator=separator_word(separator)))
    if unnamed is not None:
        unnamed += [UnnamedCell(line, position, value, separator) for line, position, value in values]
    return frame


def _parse_csv(text: str, separator: str, names: list[str], named: int, label: str,
               skip_long: bool) -> tuple[pd.DataFrame, bool, list[int]]:
    """pandas' reading of the text as cells, whether its first record was too long (pandas
    then cuts it to the header's width, and takes that width for later records: the caller
    must not trust which later records it kept), and the records it skipped as too long
    (numbered as pandas counts them, the header being 1; lines when every record is one).
    Later too-long records are skipped (skip_long) or refuse the file; ``named``: the
    columns the header names, which a message counts the cells against."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(_source(text), sep=separator, dtype=object, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False, index_col=False,
                                header=0, names=names, engine="c", encoding="utf-8",
                                on_bad_lines="warn" if skip_long else "error")
    except pd.errors.ParserError as error:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if match:
            expected, line, saw = match.groups()
            # Counted against the ``named`` columns (the header's empty cells at its end name none).
            raise _too_many_cells_at(label, _physical_line(text, separator, int(line)), int(saw),
                                     int(expected) - (len(names) - named)) from None
        match = re.search(r"EOF inside string starting at row (\d+)", str(error))
        if match:
            raise InputFileError(
                _("{file}:{line}: a double quote (\") opens a value that is never closed — "
                  "close it, or remove it")
                .format(file=label, line=_physical_line(text, separator, int(match.group(1)) + 1))) from None
        # TRANSLATORS: {error} is the CSV reader's own words, in English.
        raise InputFileError(_("{file}: the file cannot be read as CSV ({error})")
                             .format(file=label, error=error)) from None
    except pd.errors.EmptyDataError:
        raise InputFileError(_("{file}: the file is empty — the first line must be the header")
                             .format(file=label)) from None
    first_row_long = False
    skipped: list[int] = []
    for warning in caught:
        if issubclass(warning.category, pd.errors.ParserWarning):
            found = SKIPPED.findall(str(warning.message))
            if found:  # "Skipping line 53: expected 4 fields, saw 5", one line per record
                skipped += [int(number) for number in found]
            else:
                first_row_long = True
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return frame, first_row_long, skipped


def _source(text: str) -> io.BytesIO | io.StringIO:
    """The text as pandas' C parser reads it fastest: its UTF-8 bytes (a fifth faster than
    from the text itself, which the parser encodes again piece by piece); the text where it
    has no UTF-8 form (half a UTF-16 pair, which the readers refuse before this)."""
    try:
        return io.BytesIO(text.encode("utf-8"))
    except UnicodeEncodeError:
        return io.StringIO(text)


def _first_record_long(text: str, separator: str, width: int) -> bool:
    """Whether the first record after the header has more cells than the header ("001,D0,
    2010-08-02,," ends with a comma): pandas then takes its width for every line and skips
    only longer ones, so the lines it skipped are not all the long lines."""
    reader = csv.reader(_lines(text), delimiter=separator)
    next(reader, None)
    return len(next(reader, [])) > width


def _lines(text: str) -> Iterator[str]:
    """The text's lines, one at a time (io.StringIO would copy all of it first)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _long_lines_of(text: str, separator: str, names: list[str], wanted: tuple[str, ...], skipped: list[int],
                   physical: int, long_lines: list[LongLine]) -> np.ndarray:
    """A file whose every record is one line: the lines pandas skipped as too long go into
    ``long_lines`` (their cells read by the csv module); the others' numbers, in order."""
    columns = [(at, name) for at, name in enumerate(names) if name in wanted]
    for number, row in zip(skipped, csv.reader(_lines_at(text, skipped), delimiter=separator)):
        long_lines.append(LongLine(number, len(row), len(names),
                                   {name: row[at].strip() for at, name in columns if at < len(row)}))
    kept = np.ones(physical + 1, dtype=bool)
    kept[[0, 1, *skipped]] = False  # position 0 unused, 1 the header
    return np.flatnonzero(kept)


def _lines_at(text: str, numbers: list[int]) -> list[str]:
    """The text's lines ``numbers`` (1 is the first), without their line breaks. In an ASCII
    text the breaks are found by numpy: no list of all 600,000 lines to take 19,000 from."""
    if not text.isascii():
        lines = text.split("\n")
        return [lines[number - 1] for number in numbers]
    breaks = np.flatnonzero(np.frombuffer(text.encode("ascii"), dtype=np.uint8) == ord("\n"))
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(text)]])
    at = np.asarray(numbers, dtype=np.int64) - 1
    return [text[start:end] for start, end in zip(starts[at].tolist(), ends[at].tolist())]


def _long_records(text: str, separator: str, names: list[str], wanted: tuple[str, ...],
                  long_lines: list[LongLine]) -> tuple[list[int], list[tuple[int, int]]]:
    """The first line of each record that is not too long, and the lines (first, last) of
    each that is, as the csv module reads the text; those go into ``long_lines``."""
    width = len(names)
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    next(reader, None)
    starts: list[int] = []
    removed: list[tuple[int, int]] = []
    previous = reader.line_num  # the header's last line
    for row in reader:
        if len(row) > width:
            long_lines.append(LongLine(previous + 1, len(row), width,
                                       {name: cell.strip() for name, cell in zip(names, row)
                                        if name in wanted}))
            removed.append((previous + 1, reader.line_num))
        else:
            starts.append(previous + 1)
        previous = reader.line_num
    return starts, removed


def _without_lines(text: str, removed: list[tuple[int, int]]) -> str:
    """The text less the lines (first, last; 1 is the header's) of the records removed."""
    lines = text.split("\n")
    keep = np.ones(len(lines), dtype=bool)
    for first, last in removed:
        keep[first - 1:last] = False
    return "\n".join(itertools.compress(lines, keep.tolist()))


def _too_many_cells(text: str, separator: str, label: str) -> InputFileError:
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    header = next(reader, [])
    start = 2
    for row in reader:
        if len(row) > len(header):
            return _too_many_cells_at(label, start, len(row), named_width(header) or len(header))
        start = reader.line_num + 1
    return InputFileError(_("{file}: the lines do not all have as many cells as the header").format(file=label))


def _physical_line(text: str, separator: str, record: int) -> int:
    """pandas counts records, not lines, when quoted values hold line breaks."""
    starts = _record_lines(text, separator)
    return starts[record - 1] if record - 1 < len(starts) else record


def _line_numbers(text: str, separator: str, rows: int, physical: int) -> np.ndarray:
    """The editor's line of each record (header = line 1); ``physical``: the file's lines."""
    if physical == rows + 1:
        return np.arange(2, rows + 2)
    # Quoted values hold line breaks: ask the csv module where each record starts.
    starts = _record_lines(text, separator)[1:]
    return np.asarray(starts[:rows] + [0] * (rows - len(starts)))


def _record_lines(text: str, separator: str) -> list[int]:
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    starts, previous = [], 0
    for _row in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    return starts


def participant_ids(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """IDs as typed, made one form (Unicode NFKC: the full-width ００９ a Chinese input method
    types is 009), and True where an ID holds a control or invisible character (refused).

    Each distinct ID is looked at once, and only when some ID is not plain printable ASCII
    (which NFKC leaves as it is): otherwise two passes in C over the joined IDs."""
    cells = values.to_numpy(dtype=object)
    joined = "".join(cells.tolist())  # the readers' cells are all text
    if joined.isascii() and joined.isprintable():
        return values, np.zeros(len(cells), dtype=bool)
    positions, uniques = pd.factorize(cells, use_na_sentinel=True)  # no missing cells here
    distinct: list[str] = uniques.tolist()
    normal = np.array([normal_id(unique) for unique in distinct], dtype=object)
    control = np.array([has_invisible(unique) for unique in distinct], dtype=bool)
    return pd.Series(normal[positions], index=values.index, dtype=object), control[positions]


def control_in_id(table: Table, line: int, value: str) -> Problem:
    return table.problem(_("the participant ID holds a line break or another control character"),
                         line, "participant_id", value,
                         _("retype the ID without it (it may be invisible)"), participant=value)


def text_column(column: pd.Series) -> pd.Series:
    """Text as plain Python strings (object dtype), not pandas 3's inferred "str" dtype,
    whose missing-value checks would cost a pass over every cell in later steps."""
    return pd.Series(column.to_numpy(dtype=object), dtype=object)


# A cell that begins with a space (as str.strip sees one: \s is the same set), in cells
# joined by NUL (which no CSV cell holds: such a file is refused). A pattern that begins
# with a literal is searched fast; the cells' ends are their beginnings in the reversed text.
EDGE_SPACE = re.compile(r"\x00\s")


def _edge_space(cells: np.ndarray) -> bool:
    """Whether some cell has surrounding spaces to trim (True when not all are text)."""
    try:
        joined = "\x00" + "\x00".join(cells.tolist()) + "\x00"
    except TypeError:
        return True
    return EDGE_SPACE.search(joined) is not None or EDGE_SPACE.search(joined[::-1]) is not None


# What str.strip takes off a cell: the code points str.isspace calls space (re's \s is the
# same set); a test holds this tuple to str.isspace over every code point.
SPACES = (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
          *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)


def _spaces_at_edges(text: str, separator: str, one_line: bool, left_out: list[int] | None = None) -> bool:
    """Whether some cell of a CSV text may begin or end with a space (as str.strip sees
    one): False means that no cell of any column has anything to trim, and no column needs
    a look of its own; True may be a false alarm, and then each column used is looked at
    (_edge_space). A few passes over the text's code points in numpy.

    A cell's first and last characters sit beside what ends it: a separator or a line
    break outside quotes, a double quote, or an end of the text. Which are inside quotes is
    told by the count of quotes before them, which holds only when every quote opens a cell
    or closes one (or is doubled inside it), as the CSV reader reads them: any other quote
    (5" tall) gives True. ``one_line``: every record is one line (no line break inside
    quotes); ``left_out``: lines then (1 is the header's) whose cells are not read."""
    if text.isascii():
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        low = codes <= 0x20
    else:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        low = (codes <= 0x20) | (codes == 0x85) | (codes >= 0xA0)
    size, sep = len(codes), ord(separator)
    quotes = np.flatnonzero(codes == 0x22) if '"' in text else np.empty(0, dtype=np.int64)
    if len(quotes) and not _quotes_as_read(codes, quotes, sep):
        return True
    ends = (sep,) if one_line else (sep, 0x0A)  # what ends a cell outside quotes, or is in one inside

    def outside(at: np.ndarray, near: np.ndarray) -> np.ndarray:
        """Where ``near`` (the code points at ``at``) is a separator or line break outside quotes."""
        maybe = np.flatnonzero(np.isin(near, ends))
        found = np.zeros(len(at), dtype=bool)
        found[maybe] = np.searchsorted(quotes, at[maybe]) % 2 == 0 if len(quotes) else True
        return found

    if one_line:
        low &= codes != 0x0A  # every line break ends a record
    at = np.flatnonzero(low)
    at = at[np.isin(codes[at], SPACES)]
    content = at[~outside(at, codes[at])]
    if left_out and len(content):
        line = np.searchsorted(np.flatnonzero(codes == 0x0A), content) + 1
        content = content[~np.isin(line, left_out)]
    if not len(content):
        return False
    if content[0] == 0 or content[-1] == size - 1:
        return True
    for beside in (content - 1, content + 1):
        near = codes[beside]
        if ((near == 0x22) | (near == 0x0A) if one_line else near == 0x22).any() or outside(beside, near).any():
            return True
    return False


def _quotes_as_read(codes: np.ndarray, quotes: np.ndarray, sep: int) -> bool:
    """Whether every double quote opens a quoted cell (at a cell's start, or doubling the
    quote just before it) or closes one (at its end, or doubled by the next), taking them
    in pairs; an odd count is a quote never closed."""
    if len(quotes) % 2:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    before = codes[np.maximum(opening - 1, 0)]
    after = codes[np.minimum(closing + 1, len(codes) - 1)]
    starts = (opening == 0) | (before == sep) | (before == 0x0A) | (before == 0x22)
    ends = (closing == len(codes) - 1) | (after == sep) | (after == 0x0A) | (after == 0x22)
    return bool(starts.all() and ends.all())


def _trim_and_drop_blank(frame: pd.DataFrame, wanted: tuple[str, ...], spaces: bool = True) -> pd.DataFrame:
    """Surrounding spaces off the cells of the columns used, then rows left all blank
    dropped (blank lines). The other columns (names, phone numbers…) are not trimmed: they
    only matter for telling a blank line from a line that has something in them — a line
    with a name but no participant_id is not blank, and must not silently disappear.

    Each distinct cell is trimmed once, and blankness is found from the distinct values'
    codes: a visits file of 600,000 lines holds a few thousand distinct cells a column.
    ``spaces`` False: the text was looked at whole and no cell has spaces to trim."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        if column == "line" or column not in wanted:
            continue
        cells = frame[column].to_numpy(dtype=object)
        if not spaces or not _edge_space(cells):  # nothing to trim (the usual file): one pass in C, no table of values
            blank &= cells == ""
            continue
        # The readers never produce missing cells: no na_value, no isna pass in factorize.
        positions, uniques = pd.factorize(frame[column].to_numpy(dtype=object), use_na_sentinel=True)
        trimmed = np.array([str(value).strip() for value in uniques], dtype=object)
        if len(uniques):
            frame[column] = pd.Series(trimmed[positions], index=frame.index, dtype=object)
            blank &= np.isin(positions, np.flatnonzero(trimmed == ""))
    others = [c for c in frame.columns if c != "line" and c not in wanted]
    candidates = np.flatnonzero(blank)
    for column in others:  # only the few rows blank in every column used
        if not len(candidates):
            break
        cells = frame[column].to_numpy(dtype=object)[candidates]
        filled = np.array([bool(str(cell).strip()) for cell in cells], dtype=bool)
        blank[candidates[filled]] = False
        candidates = candidates[~filled]
    kept = frame[[c for c in frame.columns if c == "line" or c in wanted]]
    kept = kept[~blank].reset_index(drop=True) if blank.any() else kept
    kept.attrs["header"] = [c for c in frame.columns if c != "line"]  # for messages
    return kept


def _read_workbook(path: Path, label: str, sheet: str | None,
                   wanted: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    import datetime
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        # TRANSLATORS: {error} is the workbook reader's own words, in English.
        raise InputFileError(_("{file}: cannot be opened as an Excel workbook ({error}) — "
                               "save it again from Excel as .xlsx").format(file=label, error=error)) from None
    try:
        if sheet is None:
            # The first sheet a person sees: a hidden first sheet (a lookup list, an old
            # version) is not the data. --sheet may still name any sheet, hidden or not.
            if not workbook.worksheets:
                raise InputFileError(_("{file}: the workbook has no sheet — "
                                       "save it again from Excel as .xlsx").format(file=label))
            visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
            worksheet = (visible or workbook.worksheets)[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            # TRANSLATORS: {sheets} are the workbook's sheet names, joined by ", ".
            raise InputFileError(_("{file}: no sheet named '{sheet}' (sheets: {sheets}) — check --sheet")
                                 .format(file=label, sheet=sheet, sheets=", ".join(workbook.sheetnames)))
        # Cells, not values only: a number's format says how Excel shows it (007).
        rows = worksheet.iter_rows()
        header = next(rows, None)
        if header is None or all(cell.value is None for cell in header):
            raise InputFileError(_("{file} (sheet {sheet}): the sheet is empty — row 1 must be the header")
                                 .format(file=label, sheet=worksheet.title))

        def text(cell: Any) -> str:
            """The cell as Excel shows it, for what can be text: a date as YYYY-MM-DD, a
            whole number without ".0", and with the leading zeros of a "000" format."""
            value = cell.value
            if value is None:
                return ""
            if isinstance(value, datetime.datetime):
                return value.date().isoformat()
            if isinstance(value, datetime.date):
                return value.isoformat()
            if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
                number = int(value)
                shown = cell.number_format
                if isinstance(shown, str) and _ZEROS.fullmatch(shown):
                    return ("-" if number < 0 else "") + str(abs(number)).zfill(len(shown))
                return str(number)
            return str(value)

        width = len(header)
        records = [[text(cell) for cell in row[:width]] + [""] * (width - len(row)) for row in rows]
        title = worksheet.title
    finally:
        workbook.close()
    # TRANSLATORS: where a problem is: a file and one of its sheets.
    columns = header_names([text(name) for name in header],
                           _("{file} (sheet {sheet})").format(file=label, sheet=title))
    frame = pd.DataFrame(records, columns=columns, dtype=object) if records else \
        pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    frame["line"] = np.arange(2, len(frame) + 2)
    return _trim_and_drop_blank(frame, wanted), title


def _refuse_form(table: Table, column: str, values: pd.Series, positions: np.ndarray,
                 headline: str, what: str, fix: str) -> None:
    """A date form that is the file's, not one value's: the whole file refused (exit 2),
    with the first few lines that have it. ``headline``: the whole message, with {file}
    and {count} (the dates that have the form) to fill in."""
    if not len(positions):
        return
    lines = table.frame["line"].to_numpy()
    count = len(positions)
    raise InputFileError(
        headline.format(file=table.label, count=count),
        [table.problem(what, int(lines[position]), column, values.iloc[position], fix)
         for position in positions[:MAX_LISTED]]
        + ([table.problem(_("and {count} more such dates").format(count=count - MAX_LISTED))]
           if count > MAX_LISTED else []))


def read_date_column(table: Table, column: str, date_format: str | None,
                     allow_empty: bool) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Parse one date column. A day-first form, or two-digit years where --date-format
    wants four, refuse the whole file (exit 2).

    Returns (dates, codes, problems): problems for values that are not dates (and for
    empty values when they are not allowed); the caller decides whether they stop it.
    """
    values = table.frame[column]
    parsed, codes = datelib.parse_dates(values, date_format)
    day_first = np.flatnonzero(codes == datelib.DAY_FIRST)
    _refuse_form(table, column, values, day_first,
                 ngettext("{file}: dates written day-first or month-first cannot be read safely, so "
                          "the whole file is refused ({count} such date)",
                          "{file}: dates written day-first or month-first cannot be read safely, so "
                          "the whole file is refused ({count} such dates)", len(day_first)),
                 _("a date written day-first or month-first"),
                 # TRANSLATORS: '%d/%m/%Y' and '%m/%d/%Y' are date forms to type as they are.
                 _("give the form with --date-format, for example "
                   "--date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)"))
    two_digit = np.flatnonzero(codes == datelib.TWO_DIGIT_YEAR)
    _refuse_form(table, column, values, two_digit,
                 ngettext("{file}: this file has two-digit years — re-save it with four: a year such "
                          "as 10 could be 1910 or 2010, so the whole file is refused ({count} such date)",
                          "{file}: this file has two-digit years — re-save it with four: a year such "
                          "as 10 could be 1910 or 2010, so the whole file is refused ({count} such dates)",
                          len(two_digit)),
                 datelib.what(datelib.TWO_DIGIT_YEAR), datelib.hint(datelib.TWO_DIGIT_YEAR))
    bad = codes != datelib.OK
    if allow_empty:
        bad &= codes != datelib.EMPTY
    problems = []
    lines = table.frame["line"].to_numpy()
    for position in np.flatnonzero(bad):
        code = int(codes[position])
        if code == datelib.EMPTY:
            problems.append(table.problem(_("the date is empty"), int(lines[position]), column,
                                          None, _("fill in the date as YYYY-MM-DD")))
        else:
            problems.append(table.problem(datelib.what(code), int(lines[position]), column,
                                          values.iloc[position], datelib.hint(code)))
    return parsed, codes, problems
