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
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.core.table import Table
from scheduler.errors import InputFileError, Problem
from scheduler.sources.text import decode, header_names, separator_of

# A file written day-first has that form on every line: list the first few, not thousands.
MAX_LISTED = 20


def read_table(path: Path, label: str, required: tuple[str, ...], optional: tuple[str, ...],
               encoding: str | None = None, sheet: str | None = None) -> Table:
    """Read a CSV or .xlsx file into text columns; refuse it (exit 2) if it cannot be used."""
    if not path.exists():
        raise InputFileError(f"{label}: file not found — check the name and the folder "
                             "(--study names the study folder)")
    if path.is_dir():
        raise InputFileError(f"{label}: this is a folder, not a file — name the CSV or .xlsx file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, sheet_name = _read_workbook(path, label, sheet, required + optional)
    elif suffix == ".xls":
        raise InputFileError(f"{label}: old Excel 97–2003 workbooks (.xls) cannot be read — "
                             "in Excel, Save As 'Excel Workbook (.xlsx)' or 'CSV UTF-8'")
    else:
        frame, sheet_name = _read_csv(path, label, encoding, required + optional), None
    missing = [name for name in required if name not in frame.columns]
    if missing:
        present = frame.attrs.get("header") or [c for c in frame.columns if c != "line"]
        found = ", ".join(present) or "none"
        guesses = [f"'{guess[0]}' for {name}" for name in missing
                   if (guess := difflib.get_close_matches(name, present, n=1, cutoff=0.75))]
        hint = f"; did you mean {', '.join(guesses)}?" if guesses else ""
        raise InputFileError(
            f"{label}: required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} missing (columns found: {found}) — "
            f"the header line needs {', '.join(required)}{hint}")
    for name in optional:
        if name not in frame.columns:
            frame[name] = ""
    keep = list(required) + list(optional) + ["line"]
    # Other columns (names, phone numbers…) stop here: they never reach the core.
    return Table(frame[keep].copy(), label, sheet_name)


def _read_csv(path: Path, label: str, encoding: str | None, wanted: tuple[str, ...]) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputFileError(f"{label}: cannot read the file ({error.strerror})") from None
    # One kind of line break (Windows \r\n and old Mac \r become \n), so that pandas, the
    # csv module and the line numbers in messages all count lines the same way.
    text = decode(raw, label, encoding)[0].replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise InputFileError(f"{label}: this is not a text file — save it as CSV or .xlsx")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise InputFileError(f"{label}: the file is empty or its first line is blank — "
                             "the first line must be the header")
    separator = separator_of(first_line)
    # The header is read here, not by pandas, which would quietly rename a repeated column.
    names = header_names(next(csv.reader(io.StringIO(text), delimiter=separator), []), label)
    try:
        with warnings.catch_warnings():
            # pandas would quietly turn the extra cells of a too-long first row into an index.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=object, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False, index_col=False,
                                header=0, names=names, engine="c")
    except pd.errors.ParserWarning:
        raise _too_many_cells(text, separator, label) from None
    except pd.errors.ParserError as error:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if match:
            expected, line, saw = match.groups()
            raise InputFileError(
                f"{label}:{_physical_line(text, separator, int(line))}: the line has {saw} cells "
                f"where the header has {expected} — a value holding a comma needs double quotes"
            ) from None
        match = re.search(r"EOF inside string starting at row (\d+)", str(error))
        if match:
            raise InputFileError(
                f"{label}:{_physical_line(text, separator, int(match.group(1)) + 1)}: a double "
                "quote (\") opens a value that is never closed — close it, or remove it") from None
        raise InputFileError(f"{label}: the file cannot be read as CSV ({error})") from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{label}: the file is empty — the first line must be the header") from None
    frame["line"] = _line_numbers(text, separator, len(frame))
    return _trim_and_drop_blank(frame, wanted)


def _too_many_cells(text: str, separator: str, label: str) -> InputFileError:
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    header = next(reader, [])
    start = 2
    for row in reader:
        if len(row) > len(header):
            return InputFileError(
                f"{label}:{start}: the line has {len(row)} cells where the header has "
                f"{len(header)} — a value holding a comma needs double quotes")
        start = reader.line_num + 1
    return InputFileError(f"{label}: the lines do not all have as many cells as the header")


def _physical_line(text: str, separator: str, record: int) -> int:
    """pandas counts records, not lines, when quoted values hold line breaks."""
    starts = _record_lines(text, separator)
    return starts[record - 1] if record - 1 < len(starts) else record


def _line_numbers(text: str, separator: str, rows: int) -> np.ndarray:
    """The editor's line of each record (header = line 1)."""
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical == rows + 1:
        return np.arange(2, rows + 2)
    # Quoted values hold line breaks: ask the csv module where each record starts.
    starts = _record_lines(text, separator)[1:]
    return np.asarray(starts[:rows] + [0] * (rows - len(starts)))


def _record_lines(text: str, separator: str) -> list[int]:
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    starts, previous = [], 0
    for _ in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    return starts


def text_column(column: pd.Series) -> pd.Series:
    """Text as plain Python strings (object dtype), not pandas 3's inferred "str" dtype,
    whose missing-value checks would cost a pass over every cell in later steps."""
    return pd.Series(column.to_numpy(dtype=object), dtype=object)


def _trim_and_drop_blank(frame: pd.DataFrame, wanted: tuple[str, ...]) -> pd.DataFrame:
    """Surrounding spaces off the cells of the columns used, then rows left all blank
    dropped (blank lines). The other columns (names, phone numbers…) are not trimmed: they
    only matter for telling a blank line from a line that has something in them — a line
    with a name but no participant_id is not blank, and must not silently disappear.

    Each distinct cell is trimmed once, and blankness is found from the distinct values'
    codes: a visits file of 600,000 lines holds a few thousand distinct cells a column."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        if column == "line" or column not in wanted:
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
        raise InputFileError(f"{label}: cannot be opened as an Excel workbook ({error}) — "
                             "save it again from Excel as .xlsx") from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise InputFileError(f"{label}: no sheet named '{sheet}' (sheets: "
                                 f"{', '.join(workbook.sheetnames)}) — check --sheet")
        rows = worksheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or all(cell is None for cell in header):
            raise InputFileError(f"{label} (sheet {worksheet.title}): the sheet is empty — "
                                 "row 1 must be the header")

        def text(cell: object) -> str:
            if cell is None:
                return ""
            if isinstance(cell, datetime.datetime):
                return cell.date().isoformat()
            if isinstance(cell, datetime.date):
                return cell.isoformat()
            if isinstance(cell, float) and cell.is_integer():
                return str(int(cell))
            return str(cell)

        width = len(header)
        records = [[text(cell) for cell in row[:width]] + [""] * (width - len(row)) for row in rows]
        title = worksheet.title
    finally:
        workbook.close()
    columns = header_names([text(name) for name in header], f"{label} (sheet {title})")
    frame = pd.DataFrame(records, columns=columns, dtype=object) if records else \
        pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    frame["line"] = np.arange(2, len(frame) + 2)
    return _trim_and_drop_blank(frame, wanted), title


def read_date_column(table: Table, column: str, date_format: str | None,
                     allow_empty: bool) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Parse one date column. A day-first form refuses the whole file (exit 2).

    Returns (dates, codes, problems): problems for values that are not dates (and for
    empty values when they are not allowed); the caller decides whether they stop it.
    """
    values = table.frame[column]
    parsed, codes = datelib.parse_dates(values, date_format)
    swapped = np.flatnonzero(codes == datelib.DAY_FIRST)
    if len(swapped):
        lines = table.frame["line"].to_numpy()
        raise InputFileError(
            f"{table.label}: dates written day-first or month-first cannot be read safely, "
            f"so the whole file is refused ({len(swapped)} such date{'s' if len(swapped) > 1 else ''})",
            [table.problem("a date written day-first or month-first", int(lines[position]), column,
                           values.iloc[position],
                           "give the form with --date-format, for example "
                           "--date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)")
             for position in swapped[:MAX_LISTED]]
            + ([table.problem(f"and {len(swapped) - MAX_LISTED} more such dates")]
               if len(swapped) > MAX_LISTED else []))
    bad = codes != datelib.OK
    if allow_empty:
        bad &= codes != datelib.EMPTY
    problems = []
    lines = table.frame["line"].to_numpy()
    for position in np.flatnonzero(bad):
        code = int(codes[position])
        if code == datelib.EMPTY:
            problems.append(table.problem("the date is empty", int(lines[position]), column,
                                          None, "fill in the date as YYYY-MM-DD"))
        else:
            problems.append(table.problem(datelib.WHAT[code], int(lines[position]), column,
                                          values.iloc[position], datelib.HINTS[code]))
    return parsed, codes, problems
