"""The visits file: records as read; problems with single records are the check's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.core.table import Table
from scheduler.sources.tables import read_date_column, read_table, text_column

VISIT_COLUMNS = ("participant_id", "visit_code", "actual_date")
VISIT_OPTIONAL = ("reason",)


def read_visits(path: Path, label: str, encoding: str | None = None, sheet: str | None = None,
                date_format: str | None = None) -> tuple[pd.DataFrame, Table]:
    """Visit records as read, with the reason each date could not be read.

    Columns out: participant_id, visit_code, actual_date (NaT when empty or unreadable),
    date_code (a scheduler.dates code), date_text, reason, line. Problems with single
    records are the check's business (scheduler.records): they do not stop the command.
    """
    table = read_table(path, label, VISIT_COLUMNS, VISIT_OPTIONAL, encoding, sheet)
    frame = table.frame
    actual, codes = datelib.parse_dates(frame["actual_date"], date_format)
    swapped = np.flatnonzero(codes == datelib.DAY_FIRST)
    if len(swapped):
        read_date_column(table, "actual_date", date_format, allow_empty=True)  # raises
    records = pd.DataFrame({
        "participant_id": text_column(frame["participant_id"]),
        "visit_code": text_column(frame["visit_code"]),
        "actual_date": actual,
        "date_code": codes,
        "date_text": text_column(frame["actual_date"]),
        "reason": text_column(frame["reason"]),
        "line": frame["line"].to_numpy(),
    })
    return records, table
