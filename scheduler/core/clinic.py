"""Clinic working days and suggested dates inside each window.

A window is the protocol and never moves; the suggested date is only a help for booking:
the clinic working day inside the window closest to the target, the earlier of two equally
close days. Working days are the clinic's weekdays, minus the country's public holidays,
plus its official make-up working days on weekends (China moves weekend days around its
holidays: 2010-09-19 was a working Sunday), then the site's closures file on top.

Holidays and make-up days come from the ``holidays`` package, never from a table typed by
hand. Past the last year for which it lists a country's special days, a date is still
suggested from the weekdays and the fixed-rule holidays, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.core.dates import as_day
from scheduler.core.words import Status
from scheduler.errors import InputFileError
from scheduler.i18n import _
from scheduler.protocol import WEEKDAYS, Clinic

NOT_A_DATE = np.datetime64("NaT")


@dataclass(frozen=True)
class WorkingDays:
    """Every working day from ``first`` to ``last`` (sorted datetime64[D])."""

    days: np.ndarray
    first: np.datetime64
    last: np.datetime64
    country: str | None = None
    data_until: int | None = None  # last year the holiday data lists the country's special days

    def years_beyond_data(self, dates: np.ndarray) -> list[int]:
        if self.data_until is None:
            return []
        years = np.unique(dates[~np.isnat(dates)].astype("M8[Y]").astype(np.int64) + 1970)
        return [int(year) for year in years if year > self.data_until]


def every_day(first: np.datetime64, last: np.datetime64) -> WorkingDays:
    """No [clinic] table: every day is a working day."""
    return WorkingDays(np.arange(first, last + np.timedelta64(1, "D"), dtype="M8[D]"), first, last)


@dataclass(frozen=True)
class Closures:
    """The site's closures file: days the clinic is shut, and extra days it is open."""

    shut: np.ndarray
    opened: np.ndarray


# The closures file is read only when working days are needed at all, after the country's
# holidays: the caller passes how to read it, the core never opens it.
ClosuresLoader = Callable[[], "Closures | None"]


def working_days(clinic: Clinic | None, first: np.datetime64, last: np.datetime64,
                 closures: ClosuresLoader | None = None) -> WorkingDays:
    """The clinic's working days over [first, last] (a few days' margin is the caller's)."""
    if clinic is None:
        return every_day(first, last)
    all_days = np.arange(first, last + np.timedelta64(1, "D"), dtype="M8[D]")
    weekmask = "".join("1" if day in clinic.weekdays else "0" for day in WEEKDAYS)
    data_until = None
    closed: list[np.datetime64] = []
    extra: list[np.datetime64] = []
    if clinic.country:
        holidays, makeup, data_until = _country_days(clinic.country, first, last)
        closed += holidays
        extra += makeup
    working = np.is_busday(all_days, weekmask=weekmask)
    if closed:
        working &= ~np.isin(all_days, np.array(closed, dtype="M8[D]"))
    if extra:
        working |= np.isin(all_days, np.array(extra, dtype="M8[D]"))
    site = closures() if closures is not None else None
    if site is not None:
        working &= ~np.isin(all_days, site.shut)
        working |= np.isin(all_days, site.opened)
    return WorkingDays(all_days[working], first, last, clinic.country, data_until)


def _country_days(country: str, first: np.datetime64, last: np.datetime64
                  ) -> tuple[list[np.datetime64], list[np.datetime64], int | None]:
    import holidays

    years = range(int(str(first)[:4]), int(str(last)[:4]) + 1)
    try:
        calendar = holidays.country_holidays(country.upper(), years=years)
    except NotImplementedError:
        # TRANSLATORS: [clinic] is the protocol file's table and "country" its key, as written
        # there; {country} is the value given.
        raise InputFileError(_("[clinic] country '{country}': the holidays package knows no such "
                               "country — use an ISO 3166 code such as CN").format(country=country)) from None
    public: list[np.datetime64] = [np.datetime64(day, "D") for day in calendar]
    # Official make-up working days on weekends (China, and a few other countries).
    makeup: list[np.datetime64] = [np.datetime64(day, "D")
                                   for day in getattr(calendar, "weekend_workdays", ())
                                   if day.year in years]
    return public, makeup, _data_until(country)


# Countries that announce their holidays and make-up working days year by year, so that the
# holidays package can only know the years announced so far. Elsewhere holidays follow fixed
# rules that the package computes for any year.
ANNOUNCED_YEARLY = {"CN"}


def _data_until(country: str) -> int | None:
    """The last year for which the holidays package lists the country's announced days;
    None for a country whose holidays follow fixed rules."""
    import importlib

    import holidays

    if country.upper() not in ANNOUNCED_YEARLY:
        return None
    entity = holidays.country_holidays(country.upper())
    module = importlib.import_module(type(entity).__module__)
    years: set[int] = set()
    for name in dir(module):
        static = getattr(module, name)
        if isinstance(static, type) and name.endswith("StaticHolidays"):
            years |= set(getattr(static, "special_public_holidays", {}) or {})
    return max(years) if years else None


def suggest(calendar: WorkingDays, target: np.ndarray, earliest: np.ndarray,
            latest: np.ndarray) -> np.ndarray:
    """The working day in [earliest, latest] closest to ``target``; of two equally close
    days the earlier. NaT where the range holds no working day. Vectorized (searchsorted)."""
    target = np.asarray(target, dtype="M8[D]")
    earliest = np.asarray(earliest, dtype="M8[D]")
    latest = np.asarray(latest, dtype="M8[D]")
    days = calendar.days
    result = np.full(target.shape, NOT_A_DATE, dtype="M8[D]")
    if not len(days) or not len(target):
        return result
    # The closest day to the target inside [earliest, latest] is the closest to the target
    # clamped into that range.
    point = np.minimum(np.maximum(target, earliest), latest)
    at_or_before = np.searchsorted(days, point, side="right") - 1
    at_or_after = np.searchsorted(days, point, side="left")
    before = days[np.clip(at_or_before, 0, len(days) - 1)]
    after = days[np.clip(at_or_after, 0, len(days) - 1)]
    has_before = (at_or_before >= 0) & (before >= earliest) & (before <= latest)
    has_after = (at_or_after < len(days)) & (after <= latest) & (after >= earliest)
    take_before = has_before & (~has_after | ((target - before) <= (after - target)))
    result[take_before] = before[take_before]
    take_after = has_after & ~take_before
    result[take_after] = after[take_after]
    return result


def suggested_dates(check: pd.DataFrame, calendar: WorkingDays,
                    not_before: np.datetime64 | None = None) -> np.ndarray:
    """A suggested date for every visit still to do: no actual date, not withdrawn, not
    recorded as "did not happen". ``not_before`` (the worklist's as-of date) keeps passed
    days out."""
    opens = check["window_open"].to_numpy().astype("M8[D]")
    earliest = opens if not_before is None else np.maximum(opens, as_day(not_before))
    suggestion = suggest(calendar, check["target_date"].to_numpy(), earliest,
                         check["window_close"].to_numpy())
    suggestion[~_to_do(check)] = NOT_A_DATE
    return suggestion


def _to_do(check: pd.DataFrame) -> np.ndarray:
    """Visits that can still be booked: not done, not withdrawn, not recorded as not done,
    and not missed (their window has closed)."""
    return (check["actual_date"].isna().to_numpy()
            & ~check["status"].isin((Status.WITHDRAWN, Status.MISSED)).to_numpy()
            & (check["reason"] == "").to_numpy())


def calendar_for(clinic: Clinic | None, check: pd.DataFrame,
                 closures: ClosuresLoader | None = None) -> WorkingDays:
    """Working days covering every window of the check table."""
    if not len(check):
        today = np.datetime64("2000-01-01")
        return every_day(today, today)
    first = check["window_open"].min().to_datetime64().astype("M8[D]")
    last = check["window_close"].max().to_datetime64().astype("M8[D]")
    return working_days(clinic, first, last, closures)


def no_working_day(check: pd.DataFrame, suggestion: np.ndarray) -> pd.DataFrame:
    """Visits still to do whose window, not yet closed as of the check's date, holds no
    working day at all (a window long closed needs no booking)."""
    ahead = (check["window_close"].to_numpy().astype("M8[D]")
             >= check["as_of"].to_numpy().astype("M8[D]")) if "as_of" in check else True
    rows: np.ndarray = _to_do(check) & np.isnat(suggestion) & ahead
    return check[rows]
