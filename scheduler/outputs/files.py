"""Tables to files: -o FILE picks the format from the extension.

Every file is written to a temporary file and renamed into place (storage.atomic.atomic_write).
Dates are ISO text in CSV and JSON and real dates in Excel; JSON has null for empty values;
an Excel cell is always a value, never a formula (a reason typed as =1+1 stays text), and a
share (a rate, a compliance) is a number in a percent format. A workbook prints as a person
expects: landscape A4, fitted to the page's width, the header row on every page, the title,
the sheet and "Page n of N" in the margins; a picture on a page of its own, whole.
A table's CSV is Excel's "CSV UTF-8": UTF-8 with a byte-order mark, so that a double-click
opens Chinese text correctly (SDTM's CSVs, for SAS and R, have none: ``write_csv`` alone).
CSV and JSON keep the contract's English column names and status words; a workbook is for
people: its headings, status words and printed margins are in the reader's language, and in
Chinese every cell is set in Microsoft YaHei (columns as wide as their text is drawn).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.errors import OutputError
from scheduler.i18n import _, chinese
from scheduler.outputs.people import display_width, for_people
from scheduler.paths import label
from scheduler.storage.atomic import atomic_write

TABLE_FORMATS = (".csv", ".json", ".xlsx")


def _is_date(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series.dtype)


def _is_integer(series: pd.Series) -> bool:
    """Whole numbers (days_outside, days_left), nullable or not; never booleans."""
    return pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def text_column(column: pd.Series, convert: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """One column as text cells: dates ISO, whole numbers without ".0", booleans true/false,
    empty where there is none. Each distinct value is turned into text once (``convert``
    applied to it too, e.g. CSV quoting), then every cell takes its text by index."""
    if _is_date(column):
        return datelib.iso(column.to_numpy())  # ISO dates never need quoting
    if column.dtype == bool:
        return np.where(column.to_numpy(), "true", "false").astype(object)
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        words = np.array([str(v) for v in column.cat.categories] + [""], dtype=object)
        if convert is not None:
            words = convert(words)
        return words[codes]
    uniques: pd.Index | np.ndarray  # factorize gives an Index for a Series, an array for an array
    if _is_integer(column):
        values = column.astype("Int64")
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        words = np.array([str(int(v)) for v in uniques] + [""], dtype=object)
    else:
        codes, uniques = pd.factorize(column.to_numpy(dtype=object, na_value=""), use_na_sentinel=True)
        words = np.array([v if isinstance(v, str) else str(v) for v in uniques] + [""], dtype=object)
        if convert is not None:
            words = convert(words)
    return words[codes]  # code -1 (missing) takes the trailing ""


def coded_column(column: pd.Series, convert: Callable[[np.ndarray], np.ndarray] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``text_column`` as codes and words: ``words[codes]`` is the column's text (the last
    word is the empty one, for missing values). Dates: one word per day of their span."""
    if _is_date(column):
        days = np.asarray(column.to_numpy()).astype("M8[D]")
        missing = np.isnat(days)
        some_missing = bool(missing.any())
        if not len(days) or (some_missing and missing.all()):
            return np.zeros(len(days), dtype=np.int64), np.array([""], dtype=object)
        numbers = days.view(np.int64)
        present = numbers[~missing] if some_missing else numbers  # the targets and windows: every day there
        first, last = int(present.min()), int(present.max())
        if last - first > 200_000:  # not a study's dates
            codes, spelled = pd.factorize(datelib.iso(days))
            return codes, np.asarray(spelled, dtype=object)
        span = np.arange(first, last + 1).astype("M8[D]")
        words = np.append(np.datetime_as_string(span, unit="D").astype(object), "")
        return (np.where(missing, last - first + 1, numbers - first) if some_missing else numbers - first), words
    if column.dtype == bool:
        return np.where(column.to_numpy(), 0, 1), np.array(["true", "false"], dtype=object)
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = np.array([str(v) for v in column.cat.categories] + [""], dtype=object)
        return (np.asarray(column.cat.codes.to_numpy(), dtype=np.int64),
                convert(categories) if convert is not None else categories)
    if _is_integer(column):
        codes, uniques = pd.factorize(column.astype("Int64"), use_na_sentinel=True)
        return codes, np.array([str(int(v)) for v in uniques] + [""], dtype=object)
    empty = empty_texts(column.to_numpy()) if column.dtype == object else None
    if empty is not None and empty.sum() * 4 > len(column):
        # Mostly empty (the check's reasons): only the other cells are looked at and hashed
        # (a missing one, as pd.factorize finds it, and an empty one take code -1, the
        # trailing ""), not 800,000 cells searched for a missing value first.
        codes = np.full(len(column), -1, dtype=np.intp)
        codes[~empty], distinct = pd.factorize(column.to_numpy(dtype=object)[~empty], use_na_sentinel=True)
    else:
        codes, distinct = pd.factorize(column.to_numpy(dtype=object, na_value=""), use_na_sentinel=True)
    words = np.array([v if isinstance(v, str) else str(v) for v in distinct] + [""], dtype=object)
    return codes, convert(words) if convert is not None else words


def empty_texts(values: np.ndarray) -> np.ndarray | None:
    """Which cells of an array of Python objects are the empty text; None when one holds a
    value that cannot say whether it equals "" (pd.NA). Mostly empty columns (the check's
    reasons, SV's SVREASOC) are hashed by their other cells alone."""
    try:
        empty = values == ""
    except TypeError:  # bool(pd.NA == "") is ambiguous
        return None
    return empty if isinstance(empty, np.ndarray) and empty.dtype == bool else None


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text: dates ISO, empty where there is none. Vectorized per column."""
    return pd.DataFrame({name: text_column(frame[name]) for name in frame.columns},
                        columns=frame.columns)


def _csv_cell(text: str) -> str:
    """RFC 4180 quoting: only a value holding a comma, a quote or a line break is quoted."""
    if any(mark in text for mark in (",", '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_cells(words: np.ndarray) -> np.ndarray:
    """_csv_cell for an array of distinct values: the test for quoting in one pass (and
    none at all when no value holds a mark: 100,000 USUBJIDs searched as one text)."""
    joined = "\x00".join(words.tolist())
    if not any(mark in joined for mark in (",", '"', "\n", "\r")):
        return words
    needs = pd.Series(words, dtype=object).str.contains('[,"\r\n]', regex=True).to_numpy(dtype=bool)
    if needs.any():
        words = words.copy()
        words[needs] = [_csv_cell(word) for word in words[needs]]
    return words


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _defused(words: np.ndarray) -> np.ndarray:
    """Text cells a spreadsheet would run as a formula (=HYPERLINK(…), +1, -1, @SUM, or one
    hidden behind a tab or a carriage return) begin with a single quote instead (OWASP's
    advice for CSV injection): Excel then shows the text as it was typed."""
    starts = pd.Series(words, dtype=object).str.startswith(FORMULA_STARTS).to_numpy(dtype=bool)
    if starts.any():
        words = words.copy()
        words[starts] = ["'" + word for word in words[starts]]
    return words


# Rows are laid out in blocks of about this many bytes: small enough that a block is still in
# the processor's cache when its padding is squeezed out (a 20 MB block of JSON rows took a
# third longer, measured on 800,000 rows), large enough that the calls per block don't count.
BLOCK_BYTES = 1 << 20


def write_csv(frame: pd.DataFrame, stream: Any, chunk: int = 50_000, defuse: bool = False) -> None:
    """A CSV of text cells, written in chunks of rows: each distinct value is formatted,
    quoted and encoded once, and every chunk laid out as bytes with numpy (``_write_rows``)
    without a Python loop over rows (pandas' to_csv formats every cell in turn).
    ``defuse``: text cells that begin like a formula get a leading ' (the report's CSV)."""
    convert = (lambda words: _csv_cells(_defused(words))) if defuse else _csv_cells
    coded = [coded_column(frame[name], convert) for name in frame.columns]
    write = _bytes_writer(stream)
    write((",".join(_csv_cell(str(name)) for name in frame.columns) + "\n").encode("utf-8"))
    _write_rows(write, coded, b"", b",", b"\n", len(frame), chunk)


def write_coded_csv(names: list[str], coded: list[tuple[np.ndarray, np.ndarray]], stream: Any,
                    chunk: int = 50_000) -> None:
    """A CSV from columns already factorized: (codes, distinct text) per column, the text
    not yet quoted; a code -1 takes the last text (the empty one, for a missing value)."""
    quoted = [(codes, _csv_cells(words)) for codes, words in coded]
    write = _bytes_writer(stream)
    write((",".join(_csv_cell(name) for name in names) + "\n").encode("utf-8"))
    _write_rows(write, quoted, b"", b",", b"\n", len(coded[0][0]) if coded else 0, chunk)


def _write_rows(write: Callable[[bytes], object], coded: list[tuple[np.ndarray, np.ndarray]], before: bytes,
                between: bytes, after: bytes, rows: int, chunk: int, last_after: bytes | None = None) -> None:
    """Rows of cells as bytes: ``before``, the cells separated by ``between``, ``after`` —
    ``last_after`` ending the last row instead, when given. Each block of rows (at most
    ``chunk``, and about BLOCK_BYTES) is a numpy array of fixed-width slots, every cell
    filled from its column's table of encoded words, the padding squeezed out: no Python
    loop over rows. A word holding a NUL character (which the squeeze would lose) makes it
    join strings row by row instead."""
    words_of = [words.tolist() for _codes, words in coded]  # each column's words, as Python text
    if any("\x00" in "".join(words) for words in words_of):  # one search a column
        texts = [words[codes] for codes, words in coded]
        glue = [part.decode("utf-8") for part in (before, between, after)]
        for start in range(0, rows, chunk):
            chunk_rows = zip(*(column[start:start + chunk] for column in texts))
            text = "".join(glue[0] + glue[1].join(row) + glue[2] for row in chunk_rows)
            if last_after is not None and start + chunk >= rows:
                text = text[:len(text) - len(glue[2])] + last_after.decode("utf-8")
            write(text.encode("utf-8"))
        return
    if not coded:  # rows without cells: each one its start and its end
        data = (before + after) * rows
        write(data[:len(data) - len(after)] + last_after if last_after is not None and rows else data)
        return
    # Each column's cells framed with what comes before them (the row's start, or the
    # separator) and, in the last column, the row's end: a row is its cells' slots side by
    # side, one gather a column, padding squeezed out.
    last = len(coded) - 1
    tables = [_framed(_encoded(words), before if number == 0 else between, after if number == last else b"")
              for number, words in enumerate(words_of)]
    layout = np.dtype([(f"c{number}", table.dtype) for number, table in enumerate(tables)])
    chunk = max(1, min(chunk, BLOCK_BYTES // max(layout.itemsize, 1)))
    for start in range(0, rows, chunk):
        stop = min(rows, start + chunk)
        block = np.zeros(stop - start, dtype=layout)
        for number, ((codes, _words), table) in enumerate(zip(coded, tables)):
            # code −1 takes the last, empty word
            block[f"c{number}"] = table[np.asarray(codes[start:stop], dtype=np.int64)]
        flat = block.view(np.uint8)
        data = flat[flat != 0].tobytes()
        if last_after is not None and stop == rows:
            data = data[:len(data) - len(after)] + last_after
        write(data)


def _framed(table: np.ndarray, prefix: bytes, suffix: bytes) -> np.ndarray:
    """Each encoded word (numpy "S") with ``prefix`` before it and ``suffix`` after it."""
    if prefix:
        table = np.char.add(prefix, table)
    if suffix:
        table = np.char.add(table, suffix)
    return table


def _encoded(words: list[str]) -> np.ndarray:
    """The words as UTF-8 bytes (numpy "S"). ASCII ones: read by numpy as fixed-width
    Unicode, whose code points are then the bytes (np.array of 100,000 str to bytes takes
    twice as long); a word holding NUL (which "S" would drop at its end) never reaches here
    (``_write_rows``)."""
    if not words:
        return np.array([], dtype="S1")
    joined = "".join(words)
    if not joined.isascii():
        return np.array([word.encode("utf-8") for word in words], dtype=bytes)
    width = max(max(map(len, words)), 1)
    if width * len(words) == len(joined):  # every word as long (IDs, dates): the joined bytes, cut
        return np.frombuffer(joined.encode("ascii"), dtype=f"S{width}")
    table: np.ndarray = np.fromiter(words, dtype=f"U{width}", count=len(words)).view(np.uint32).astype(
        np.uint8).view(f"S{width}")
    return table


def _bytes_writer(stream: Any) -> Callable[[bytes], object]:
    """Write bytes to a binary stream, or underneath a text stream (UTF-8, no newline
    translation: what the CSV writers open) after what it holds is flushed."""
    if not isinstance(stream, io.TextIOBase):
        return stream.write  # type: ignore[no-any-return]
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text stream without bytes underneath (io.StringIO)
        return lambda data: stream.write(data.decode("utf-8"))
    stream.flush()
    return buffer.write  # type: ignore[no-any-return]


BOM = "\ufeff"


def write_table(frame: pd.DataFrame, path: Path, sheet: str = "Sheet1",
                highlight: pd.Series | None = None, defuse: bool = False) -> None:
    """``defuse``: a CSV whose text cells never begin like a formula (see ``write_csv``)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_write(path) as stream:
            stream.write(BOM)  # Excel's "CSV UTF-8"; written by hand, UTF-8 stays the fast path
            write_csv(frame, stream, defuse=defuse)
    elif suffix == ".json":
        with atomic_write(path) as stream:
            write_json(frame, stream)
            stream.write("\n")
    elif suffix == ".xlsx":
        write_workbook({sheet: (frame, highlight)}, path)
    else:
        formats = ", ".join(TABLE_FORMATS)
        if path.suffix:
            # TRANSLATORS: {extension} is a file name's ending (".txt"); {formats} lists ".csv, .json, .xlsx".
            raise OutputError(_("{file}: cannot write '{extension}' files here — use one of {formats}")
                              .format(file=label(path), extension=path.suffix, formats=formats))
        raise OutputError(_("{file}: cannot write 'no extension' files here — use one of {formats}")
                          .format(file=label(path), formats=formats))


def write_json(frame: pd.DataFrame, stream: Any, chunk: int = 50_000) -> None:
    """A list of records (ISO dates, whole numbers as numbers, null where empty), exactly as
    ``json.dump(records, ensure_ascii=False, indent=1)`` writes it: each distinct value of a
    column is encoded once with its key, and the rows laid out as bytes (``_write_rows``)
    — tests/test_outputs.py keeps json.dump as the reference."""
    write = _bytes_writer(stream)
    if not len(frame):
        write(b"[]")
        return
    coded = []
    for name in frame.columns:
        codes, words = coded_column(frame[name])
        key = "  " + json.dumps(str(name), ensure_ascii=False) + ": "
        coded.append((codes, np.array(_json_values(words.tolist(), key, _is_integer(frame[name])), dtype=object)))
    write(b"[\n")
    _write_rows(write, coded, b" {\n", b",\n", b"\n },\n", len(frame), chunk, last_after=b"\n }")
    write(b"\n]")


def _json_values(words: list[str], key: str, integer: bool) -> list[str]:
    """``key`` and each word as json.dumps(ensure_ascii=False) writes it: null for "", a
    whole number as it is, text quoted. Text without a quote, a backslash or a control
    character (a column's 100,000 IDs, searched as one text) is only put between quotes."""
    if integer:
        return [key + (word or "null") for word in words]
    joined = "".join(words)
    if '"' in joined or "\\" in joined or not joined.isprintable():
        return [key + ("null" if word == "" else json.dumps(word, ensure_ascii=False)) for word in words]
    return [key + (f'"{word}"' if word else "null") for word in words]


def write_workbook(sheets: dict[str, tuple[pd.DataFrame, pd.Series | None]], path: Path,
                   images: dict[str, bytes] | None = None, *, title: str | None = None,
                   percent: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """One sheet per table: bold frozen header, filters, widths, real dates, values only.
    ``images`` adds a sheet per picture (PNG bytes). ``title`` heads every printed page (the
    file's name without one). ``percent``: sheet → column → number format ("0%", "0.0%")
    for the fractional numbers of that column, shares of one (0.875 shows as 88%).

    The workbook is zipped in memory, then written in one go; whatever fails on the way (a
    full disk under openpyxl's temporary sheets, a folder gone), every sheet's streams are
    closed first, so that Python tidying up later prints nothing after the message."""
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    buffer = io.BytesIO()
    try:
        _fill(workbook, sheets, images or {}, title if title is not None else path.name, percent or {})
        workbook.save(buffer)
    finally:
        _discard(workbook)
    with atomic_write(path, mode="wb") as stream:
        stream.write(buffer.getbuffer())


# A4 landscape (297 × 210 mm = 11.69 × 8.27 in) less the margins below: a picture drawn at
# most this big (at 96 pixels an inch, as Excel and LibreOffice place them) prints whole.
A4_PAPER = 9  # the paperSize code of A4 in SpreadsheetML
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.75, "header": 0.3, "footer": 0.3}
PRINTABLE_PIXELS = (round((11.69 - 0.8 - 0.2) * 96), round((8.27 - 1.5 - 0.2) * 96))  # 0.2 in spare


def _header_text(text: str) -> str:
    """Text for a printed header: an & is doubled (a single one starts a code such as &P),
    and it is kept short (Excel allows 255 characters for the whole header)."""
    text = " ".join(text.split())
    return (text if len(text) <= 100 else text[:99] + "…").replace("&", "&&")


# Characters a sheet's name cannot hold (Excel refuses the workbook), and its longest name.
SHEET_NAME_MARKS = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))
SHEET_NAME_LENGTH = 31
# The font of every cell of a Chinese workbook (Excel's default, Calibri, has no Chinese).
CHINESE_FONT = "Microsoft YaHei"


def sheet_name(name: str) -> str:
    """A name Excel takes for a sheet: at most 31 characters, none of [ ] : * ? / \\."""
    return name.translate(SHEET_NAME_MARKS)[:SHEET_NAME_LENGTH]


def _print_setup(sheet: Any, title: str, one_page: bool) -> None:
    """Landscape A4, the title and the sheet's name above, "Page n of N" below. A table is
    fitted to the page's width and runs onto as many pages as it needs, its header row on
    each (``one_page``: the whole sheet scaled onto one page, for a picture)."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = A4_PAPER
    setup.fitToWidth = 1
    setup.fitToHeight = 1 if one_page else 0  # 0: as many pages down as the table needs
    sheet.page_margins = PageMargins(**MARGINS)
    sheet.oddHeader.left.text = _header_text(title)
    sheet.oddHeader.right.text = "&A"  # the sheet's name
    # TRANSLATORS: a printed page's footer: keep &P (this page's number) and &N (the number of pages).
    sheet.oddFooter.center.text = _("Page &P of &N")
    if not one_page:
        sheet.print_title_rows = "1:1"  # the header row on every printed page
        sheet.print_options.gridLines = True  # a long row stays readable across the page


def _fill(workbook: Any, sheets: dict[str, tuple[pd.DataFrame, pd.Series | None]],
          images: dict[str, bytes], title: str, percent: Mapping[str, Mapping[str, str]]) -> None:
    import datetime
    import io

    from openpyxl.cell import WriteOnlyCell
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    font = CHINESE_FONT if chinese() else None
    bold = Font(bold=True, name=font) if font else Font(bold=True)
    plain = Font(name=font) if font else None
    flagged = PatternFill("solid", start_color="FFF4CCCC", end_color="FFF4CCCC")
    for name, (frame, highlight) in sheets.items():
        sheet = workbook.create_sheet(sheet_name(name))
        _print_setup(sheet, title, one_page=False)
        formats = percent.get(name, {})
        # What people read: headings and status words in their language; the columns keep
        # their names here (the formats are keyed by them), the headings are taken by position.
        people = for_people(frame)
        headings = [str(heading) for heading in people.columns]
        text = as_text(people.set_axis(frame.columns, axis=1))
        widths = [max([display_width(heading)] + [display_width(v) for v in text[column_name].head(2000)]) + 2
                  for heading, column_name in zip(headings, frame.columns)]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60)
        sheet.freeze_panes = "A2"
        if len(frame.columns):
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
        header = []
        for heading in headings:
            cell = WriteOnlyCell(sheet, value=heading)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        kinds = []
        for column_name in frame.columns:
            column = frame[column_name]
            kinds.append("date" if _is_date(column) else
                         "bool" if column.dtype == bool else
                         "int" if _is_integer(column) else
                         "float" if pd.api.types.is_float_dtype(column.dtype) else "text")
        number_formats = [formats.get(str(column_name)) for column_name in frame.columns]
        marks = highlight.to_numpy() if highlight is not None else np.zeros(len(frame), dtype=bool)
        raw_columns = [frame[column_name].to_numpy(dtype=object) for column_name in frame.columns]
        for row_number, row in enumerate(zip(*(text[column_name] for column_name in frame.columns))):
            cells = []
            for kind, value, raw, number_format in zip(kinds, row, (column[row_number] for column in raw_columns),
                                                       number_formats):
                if value == "":
                    cell = WriteOnlyCell(sheet, value=None)
                elif kind == "date":
                    cell = WriteOnlyCell(sheet, value=datetime.date.fromisoformat(value))
                    cell.number_format = "yyyy-mm-dd"
                elif kind == "bool":
                    cell = WriteOnlyCell(sheet, value=bool(raw))  # Excel's TRUE / FALSE
                elif kind == "int" or (isinstance(raw, (int, np.integer)) and not isinstance(raw, bool)):
                    cell = WriteOnlyCell(sheet, value=int(value))
                elif kind == "float" or isinstance(raw, (float, np.floating)):
                    cell = WriteOnlyCell(sheet, value=float(raw))  # a number, never its text
                    if number_format is not None:
                        cell.number_format = number_format  # a share of one: 0.875 → 88%
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                if marks[row_number]:
                    cell.fill = flagged
                if plain is not None:
                    cell.font = plain
                cells.append(cell)
            sheet.append(cells)
    for name, picture in images.items():
        sheet = workbook.create_sheet(sheet_name(name))
        _print_setup(sheet, title, one_page=True)
        image = Image(io.BytesIO(picture))
        # Drawn no bigger than the printable part of the page (the sharp PNG kept inside):
        # it prints whole on one page at 100%, and fitting the sheet to one page makes sure.
        scale = min(1.0, PRINTABLE_PIXELS[0] / image.width, PRINTABLE_PIXELS[1] / image.height)
        image.width, image.height = round(image.width * scale), round(image.height * scale)
        sheet.add_image(image, "A1")


def _discard(workbook: Any) -> None:
    """Close every write-only sheet's streams and remove its temporary file, whatever state
    a failure left them in (after a save there is nothing left to do)."""
    import contextlib

    for sheet in workbook.worksheets:
        rows, writer = getattr(sheet, "_rows", None), getattr(sheet, "_writer", None)
        for stream in (rows, getattr(writer, "xf", None)):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()
