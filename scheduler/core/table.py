"""A site file's cells, with what locates a problem in it (file label, sheet)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scheduler.errors import Problem


@dataclass(frozen=True)
class Table:
    """A site file read as text: normalised headers, trimmed cells, a `line` column."""

    frame: pd.DataFrame
    label: str
    sheet: str | None = None

    def problem(self, message: str, line: int | None = None, column: str | None = None,
                value: str | None = None, fix: str | None = None,
                participant: str | None = None) -> Problem:
        return Problem(self.label, message, line=line, column=column, value=value, fix=fix,
                       sheet=self.sheet, participant=participant)
