"""What "today" and "now" are: in the study's time zone, never the computer's own zone.

The one place the clock is read. pendulum is used because it takes the zone explicitly and
tests can travel in time with ``pendulum.travel_to``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pendulum


def today_date(timezone: str) -> dt.date:
    """Today's calendar date in ``timezone`` (an IANA name)."""
    day: dt.date = pendulum.now(timezone).date()
    return dt.date(day.year, day.month, day.day)


def today(timezone: str) -> np.datetime64:
    """Today's calendar date in ``timezone``, as datetime64[D] (for the core's columns)."""
    return np.datetime64(today_date(timezone).isoformat(), "D")


def now_utc() -> dt.datetime:
    """This moment, in UTC (the audit trail's and the calendars' stamps)."""
    return dt.datetime.now(dt.UTC)


def stamp(timezone: str) -> str:
    """This moment in the study's zone, as a report's header shows it: 2010-11-29 09:00 +08:00."""
    return str(pendulum.now(timezone).format("YYYY-MM-DD HH:mm Z"))
