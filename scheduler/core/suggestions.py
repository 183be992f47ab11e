"""The one suggestion policy: which visits get a suggested clinic day, and what the nurse
is told about windows that hold none.

A suggested date is a clinic working day inside the window, closest to the target (the
earlier of two), for a visit still to do (``clinic.suggested_dates``). ``not_before`` keeps
days already past out (the worklist, the report). Windows with no working day, and years
past the holiday data, are returned for warnings; ``shown`` limits them to the rows the
command shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.core.clinic import ClosuresLoader, calendar_for, no_working_day, suggested_dates
from scheduler.protocol import Clinic

MAX_LISTED_WARNINGS = 20


def listed(names: list[str], total: int) -> str:
    """At most MAX_LISTED_WARNINGS names, then "and N more"."""
    more = total - min(total, MAX_LISTED_WARNINGS)
    return ", ".join(names[:MAX_LISTED_WARNINGS]) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class Suggestions:
    """Suggested dates for every row, the rows whose window holds no clinic day, and
    warnings about both."""

    dates: np.ndarray
    gaps: pd.DataFrame
    warnings: tuple[str, ...]


def suggest_for(clinic: Clinic | None, closures: ClosuresLoader | None, table: pd.DataFrame,
                not_before: np.datetime64 | None = None,
                shown: np.ndarray | None = None) -> Suggestions:
    """Suggested dates for the check table's visits still to do."""
    calendar = calendar_for(clinic, table, closures)
    suggestion = suggested_dates(table, calendar, not_before)
    rows = table if shown is None else table[shown]
    # Whether a window holds a clinic day at all does not depend on the as-of date.
    reference = suggested_dates(table, calendar) if not_before is not None else suggestion
    gaps = no_working_day(rows, reference if shown is None else reference[shown])
    warnings = []
    if len(gaps):
        named = [f"{row.participant_id} {row.visit_code} ({str(row.window_open)[:10]} to "
                 f"{str(row.window_close)[:10]})" for row in gaps.head(MAX_LISTED_WARNINGS).itertuples()]
        warnings.append(f"no clinic day in the window of {listed(named, len(gaps))} — no date is "
                        "suggested; book these by hand")
    # Only the dates actually suggested can be wrong for want of holiday data.
    offered = suggestion if shown is None else suggestion[shown]
    beyond = calendar.years_beyond_data(np.asarray(offered, dtype="M8[D]"))
    if beyond:
        warnings.append(f"the holiday data for {calendar.country} ends with {calendar.data_until}: "
                        f"suggested dates in {', '.join(map(str, beyond))} follow the weekdays and the "
                        "fixed-date holidays only — check them against the official calendar")
    return Suggestions(suggestion, gaps, tuple(warnings))


def clinic_day_notes(gaps: pd.DataFrame) -> list[str]:
    """The report's lines for visits whose window holds no clinic day."""
    return [f"No clinic day in the window of {row.participant_id} {row.visit_code} "
            f"({str(row.window_open)[:10]} to {str(row.window_close)[:10]}): book it by hand"
            for row in gaps.itertuples()]
