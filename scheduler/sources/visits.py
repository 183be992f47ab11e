"""The visits file: records as read; problems with single records are the check's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.core.table import Table
from scheduler.errors import Problem
from scheduler.sources.tables import (
    LongLine,
    UnnamedCell,
    control_in_id,
    participant_ids,
    read_date_column,
    read_table,
    text_column,
)
from scheduler.sources.text import normal_id

VISIT_COLUMNS = ("participant_id", "visit_code", "actual_date")
VISIT_OPTIONAL = ("reason",)


def read_visits(path: Path, label: str, encoding: str | None = None, sheet: str | None = None,
                date_format: str | None = None,
                notes: list[str] | None = None) -> tuple[pd.DataFrame, Table]:
    """Visit records as read, with the reason each date could not be read.

    Columns out: participant_id (NFKC, as the roster's), visit_code, actual_date (NaT when
    empty or unreadable), date_code (a scheduler.dates code), date_text, reason, line; and
    ``problem`` (a Problem, else None) when a line cannot be a record as it is: an ID with a
    control character, more cells than the header. Problems with single records are the
    check's business (scheduler.records): they do not stop the command. ``notes``: see
    read_table.
    """
    long_lines: list[LongLine] = []
    unnamed: list[UnnamedCell] = []
    table = read_table(path, label, VISIT_COLUMNS, VISIT_OPTIONAL, encoding, sheet, notes, long_lines, unnamed)
    frame = table.frame
    ids, control = participant_ids(frame["participant_id"])
    actual, codes = datelib.parse_dates(frame["actual_date"], date_format)
    if ((codes == datelib.DAY_FIRST) | (codes == datelib.TWO_DIGIT_YEAR)).any():
        read_date_column(table, "actual_date", date_format, allow_empty=True)  # raises
    lines = frame["line"].to_numpy()
    records = pd.DataFrame({
        "participant_id": text_column(ids),
        "visit_code": text_column(frame["visit_code"]),
        "actual_date": actual,
        "date_code": codes,
        "date_text": text_column(frame["actual_date"]),
        "reason": text_column(frame["reason"]),
        "line": lines,
    })
    if control.any() or long_lines:
        problems = np.full(len(records), None, dtype=object)
        for position in np.flatnonzero(control):
            problems[position] = control_in_id(table, int(lines[position]),
                                               frame["participant_id"].iloc[position])
        records["problem"] = problems
    if unnamed:  # used as they are, with their message (core.records)
        at = pd.Index(lines).get_indexer([cell.line for cell in unnamed])
        said = np.full(len(records), None, dtype=object)
        said[at] = [cell.problem(table, str(ids.iloc[row])) for cell, row in zip(unnamed, at.tolist())]
        records["note"] = said
    if long_lines:
        records = pd.concat([records, _long_line_records(long_lines, table)], ignore_index=True)
    return records, table


def _long_line_records(long_lines: list[LongLine], table: Table) -> pd.DataFrame:
    """A record for each line with too many cells: its participant (for status ID), the
    problem, and nothing else (which cell is which is not known)."""
    ids = [normal_id(line.values.get("participant_id", "")) for line in long_lines]
    count = len(long_lines)
    return pd.DataFrame({
        "participant_id": pd.Series(ids, dtype=object),
        "visit_code": pd.Series([""] * count, dtype=object),
        "actual_date": np.full(count, np.datetime64("NaT"), dtype="M8[D]"),
        "date_code": np.full(count, datelib.EMPTY, dtype=np.int8),
        "date_text": pd.Series([""] * count, dtype=object),
        "reason": pd.Series([""] * count, dtype=object),
        "line": np.asarray([line.line for line in long_lines], dtype=np.int64),
        "problem": pd.Series(_long_line_problems(long_lines, ids, table), dtype=object),
    })


def _long_line_problems(long_lines: list[LongLine], ids: list[str], table: Table) -> list[Problem]:
    """``line.problem(table, participant)`` for each line, each message made once per count
    of cells (a messy file has 19,000 such lines, with a few different counts)."""
    said: dict[tuple[int, int], str] = {}
    problems = []
    for line, participant in zip(long_lines, ids):
        message = said.get((line.cells, line.width))
        if message is None:
            message = said[line.cells, line.width] = line.problem(table, participant).message
        problems.append(Problem(table.label, message, line.line, None, None, None, table.sheet, participant))
    return problems
