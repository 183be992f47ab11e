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
from scheduler.i18n import _, pgettext
from scheduler.protocol import Clinic

MAX_LISTED_WARNINGS = 20


def listed(names: list[str], total: int) -> str:
    """At most MAX_LISTED_WARNINGS names, then "and N more"."""
    more = total - min(total, MAX_LISTED_WARNINGS)
    shown = pgettext("list", ", ").join(names[:MAX_LISTED_WARNINGS])
    if more <= 0:
        return shown
    # TRANSLATORS: {names} is a list of names separated by commas; {count} how many more
    # there are, not listed.
    return _("{names} and {count} more").format(names=shown, count=more)


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
        # TRANSLATORS: a participant ID, a visit code and the visit's window (two dates).
        window = _("{participant} {visit} ({open} to {close})")
        named = [window.format(participant=row.participant_id, visit=row.visit_code,
                               open=str(row.window_open)[:10], close=str(row.window_close)[:10])
                 for row in gaps.head(MAX_LISTED_WARNINGS).itertuples()]
        # TRANSLATORS: {visits} lists visits as "007 D7 (2010-09-07 to 2010-09-09)", separated
        # by commas.
        warnings.append(_("no clinic day in the window of {visits} — no date is suggested; book "
                          "these by hand").format(visits=listed(named, len(gaps))))
    # Only the dates actually suggested can be wrong for want of holiday data.
    offered = suggestion if shown is None else suggestion[shown]
    beyond = calendar.years_beyond_data(np.asarray(offered, dtype="M8[D]"))
    if beyond:
        # TRANSLATORS: {country} is a country code (CN); {year} the last year of the holiday
        # data; {years} the years after it, separated by commas.
        warnings.append(_("the holiday data for {country} ends with {year}: suggested dates in "
                          "{years} follow the weekdays and the fixed-date holidays only — check "
                          "them against the official calendar").format(
            country=calendar.country, year=calendar.data_until, years=", ".join(map(str, beyond))))
    return Suggestions(suggestion, gaps, tuple(warnings))


def clinic_day_notes(gaps: pd.DataFrame) -> list[str]:
    """The report's lines for visits whose window holds no clinic day."""
    # TRANSLATORS: {participant} is a participant ID, {visit} a visit code, {open} and {close}
    # the window's first and last days.
    note = _("No clinic day in the window of {participant} {visit} ({open} to {close}): book it "
             "by hand")
    return [note.format(participant=row.participant_id, visit=row.visit_code,
                        open=str(row.window_open)[:10], close=str(row.window_close)[:10])
            for row in gaps.itertuples()]
