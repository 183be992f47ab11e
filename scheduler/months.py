"""Calendar-month arithmetic, one rule in one place: add the months, then clamp the day to
the month's end (2011-01-31 + 1 month = 2011-02-28; 2012-01-31 + 1 month = 2012-02-29).

Two forms of the same rule: ``add_months`` for a column of dates (numpy, the schedule's hot
path) and ``add_months_to`` for one date (pure Python: the protocol's nominal plan, which
must not import numpy so that ``protocol`` and ``--help`` start fast). A property test pins
that the two agree on every date.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def add_months_to(day: datetime.date, months: int) -> datetime.date:
    """One date plus ``months`` calendar months, clamped to the month's end."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    # The month's last day: the day before the next month's first (no calendar module,
    # which is 1 ms of the start of ``protocol``).
    following = datetime.date(year + 1, 1, 1) if month == 11 else datetime.date(year, month + 2, 1)
    last = (following - datetime.timedelta(days=1)).day
    return datetime.date(year, month + 1, min(day.day, last))


def add_months(dates: npt.ArrayLike, months: int) -> np.ndarray:
    """A column of datetime64[D] plus ``months`` calendar months, clamped to the month's end."""
    import numpy as np

    days = np.asarray(dates, dtype="M8[D]")
    month_start = days.astype("M8[M]")
    day_of_month = days - month_start.astype("M8[D]")
    target_month = month_start + np.timedelta64(months, "M")
    month_length = (target_month + 1).astype("M8[D]") - target_month.astype("M8[D]")
    result: np.ndarray = target_month.astype("M8[D]") + np.minimum(
        day_of_month, month_length - np.timedelta64(1, "D"))
    return result
