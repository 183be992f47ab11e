"""Tables to files: -o FILE picks the format from the extension.

Every file is written to a temporary file and renamed into place (studyfolder.atomic_write).
Dates are ISO text in CSV and JSON and real dates in Excel; JSON has null for empty values;
an Excel cell is always a value, never a formula (a reason typed as =1+1 stays text).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import dates as datelib
from scheduler.errors import OutputError
from scheduler.studyfolder import atomic_write, label

TABLE_FORMATS = (".csv", ".json", ".xlsx")


def _is_date(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series.dtype)


def _is_integer(series: pd.Series) -> bool:
    """Whole numbers (days_outside, days_left), nullable or not; never booleans."""
    return pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text: dates ISO, empty where there is none. Vectorized per column."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if _is_date(column):
            out[name] = datelib.iso(column.to_numpy())
        elif _is_integer(column):
            out[name] = column.astype("Int64").astype("string").fillna("").to_numpy(dtype=object)
        elif column.dtype == bool:
            out[name] = np.where(column.to_numpy(), "true", "false")
        else:
            out[name] = column.fillna("").astype(str).to_numpy(dtype=object)
    return pd.DataFrame(out, columns=frame.columns)


def write_table(frame: pd.DataFrame, path: Path, sheet: str = "Sheet1",
                highlight: pd.Series | None = None) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_write(path) as stream:
            as_text(frame).to_csv(stream, index=False, lineterminator="\n")
    elif suffix == ".json":
        with atomic_write(path) as stream:
            json.dump(_records(frame), stream, ensure_ascii=False, indent=1)
            stream.write("\n")
    elif suffix == ".xlsx":
        write_workbook({sheet: (frame, highlight)}, path)
    else:
        raise OutputError(f"{label(path)}: cannot write '{path.suffix or 'no extension'}' files "
                          f"here — use one of {', '.join(TABLE_FORMATS)}")


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    text = as_text(frame)
    records = []
    columns = list(frame.columns)
    integer = {name for name in columns if _is_integer(frame[name])}
    for row in zip(*(text[name] for name in columns)):
        record: dict[str, object] = {}
        for name, value in zip(columns, row):
            if value == "":
                record[name] = None
            elif name in integer:
                record[name] = int(value)
            else:
                record[name] = value
        records.append(record)
    return records


def write_workbook(sheets: dict[str, tuple[pd.DataFrame, pd.Series | None]], path: Path,
                   images: dict[str, bytes] | None = None) -> None:
    """One sheet per table: bold frozen header, filters, widths, real dates, values only.
    ``images`` adds a sheet per picture (PNG bytes)."""
    import datetime

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    flagged = PatternFill("solid", start_color="FFF4CCCC", end_color="FFF4CCCC")
    for title, (frame, highlight) in sheets.items():
        sheet = workbook.create_sheet(title[:31])
        text = as_text(frame)
        widths = [max([len(str(name))] + [len(v) for v in text[name].head(2000)]) + 2
                  for name in frame.columns]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60)
        sheet.freeze_panes = "A2"
        if len(frame.columns):
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
        header = []
        for name in frame.columns:
            cell = WriteOnlyCell(sheet, value=str(name))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        kinds = []
        for name in frame.columns:
            column = frame[name]
            kinds.append("date" if _is_date(column) else
                         "int" if _is_integer(column) else "text")
        marks = highlight.to_numpy() if highlight is not None else np.zeros(len(frame), dtype=bool)
        raw_columns = [frame[name].to_numpy(dtype=object) for name in frame.columns]
        for row_number, row in enumerate(zip(*(text[name] for name in frame.columns))):
            cells = []
            for kind, value, raw in zip(kinds, row, (column[row_number] for column in raw_columns)):
                if value == "":
                    cell = WriteOnlyCell(sheet, value=None)
                elif kind == "date":
                    cell = WriteOnlyCell(sheet, value=datetime.date.fromisoformat(value))
                    cell.number_format = "yyyy-mm-dd"
                elif kind == "int" or (isinstance(raw, (int, np.integer)) and not isinstance(raw, bool)):
                    cell = WriteOnlyCell(sheet, value=int(value))
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                if marks[row_number]:
                    cell.fill = flagged
                cells.append(cell)
            sheet.append(cells)
    for title, picture in (images or {}).items():
        import io

        from openpyxl.drawing.image import Image

        sheet = workbook.create_sheet(title[:31])
        sheet.add_image(Image(io.BytesIO(picture)), "A1")
    with atomic_write(path, mode="wb") as stream:
        workbook.save(stream)
