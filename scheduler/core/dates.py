"""Reading date columns, vectorized, with a reason for every value that cannot be read.

Accepted without options: ISO 8601 (2010-08-01) and the other year-first forms a site
types or an export writes: 2010/8/1, 2010.08.01, 20100801, 2010年8月1日. A form where day
and month could be swapped (03/04/2010, and 25/03/2010 too) is refused for the whole file
unless ``--date-format`` gives its strftime pattern: one file is never read two ways.

Dates are calendar days: numpy ``datetime64[D]`` arrays, NaT where there is none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scheduler.i18n import N_, _

# Why a value is not a date. OK means read (or empty, when the value is empty).
OK, EMPTY, UNREADABLE, NONEXISTENT, DAY_FIRST, SERIAL, IMPLAUSIBLE, TWO_DIGIT_YEAR = range(8)

FIRST_YEAR, LAST_YEAR = 1900, 2199

_YEAR_FIRST = (
    r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})$"
    r"|^(?P<year2>\d{4})(?P<month2>\d{2})(?P<day2>\d{2})$"
    r"|^(?P<year3>\d{4})\s*年\s*(?P<month3>\d{1,2})\s*月\s*(?P<day3>\d{1,2})\s*日?$"
)
_DAY_OR_MONTH_FIRST = r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}$"
# The same with a two-digit year (25/03/10): --date-format's %Y needs four digits.
_TWO_DIGIT_YEAR = r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2}$"
# An Excel serial day number (40391 is 2010-08-01) typed or exported into a CSV.
_SERIAL = r"^\d{4,5}(\.0+)?$"
# ISO with a midnight time, as some exports write a date: 2010-08-01 00:00:00
_MIDNIGHT = r"[T ]00:00(:00(\.0+)?)?$"

# What a person is told about a value that is not a date, and how to fix it: catalog
# messages (N_), translated where they are shown (``what``, ``hint``, or ``_`` on the value).
HINTS = {
    UNREADABLE: N_("write the date as YYYY-MM-DD, for example 2010-08-01"),
    NONEXISTENT: N_("this day does not exist in the calendar: check the day and the month"),
    # TRANSLATORS: --date-format and '%d/%m/%Y' are typed on the command line as they are.
    DAY_FIRST: N_("day and month could be swapped in this form; give --date-format, "
                  "for example --date-format '%d/%m/%Y'"),
    SERIAL: N_("this looks like an Excel day number: format the column as a date "
               "(YYYY-MM-DD) in Excel before saving"),
    # The years are FIRST_YEAR and LAST_YEAR (a catalog message holds them as text).
    IMPLAUSIBLE: N_("the year is outside 1900–2199: check for a typing mistake"),
    TWO_DIGIT_YEAR: N_("in Excel, format the column as a date with a four-digit year "
                       "(such as YYYY-MM-DD), then save the file again"),
}
WHAT = {
    UNREADABLE: N_("not a date"),
    NONEXISTENT: N_("a date that does not exist"),
    DAY_FIRST: N_("a date whose day and month could be swapped"),
    SERIAL: N_("a number where a date belongs"),
    IMPLAUSIBLE: N_("a date outside the years a study can have"),
    TWO_DIGIT_YEAR: N_("a date with a two-digit year"),
}


def what(code: int) -> str:
    """What a value that could not be read is, in the current language."""
    return _(WHAT[code])


def hint(code: int) -> str:
    """How to fix a value that could not be read, in the current language."""
    return _(HINTS[code])


def from_parts(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build datetime64[D] from integer parts; the second array is True where they form no date."""
    year = np.asarray(year, dtype=np.int64)
    month = np.asarray(month, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    bad_month = (month < 1) | (month > 12)
    month_start = (year - 1970).astype("M8[Y]").astype("M8[M]") + (np.clip(month, 1, 12) - 1)
    month_length = ((month_start + 1).astype("M8[D]") - month_start.astype("M8[D]")).astype(np.int64)
    invalid = bad_month | (day < 1) | (day > month_length)
    dates = month_start.astype("M8[D]") + (np.clip(day, 1, 31) - 1).astype("m8[D]")
    dates[invalid] = np.datetime64("NaT")
    return dates, invalid


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a column of text as dates.

    Returns ``(dates, codes)``: datetime64[D] (NaT where not read) and, per value, OK,
    EMPTY or the reason it was not read. Each distinct text is read once (a visits file of
    600,000 lines holds a few thousand different dates), then every cell takes its result.
    """
    cells = values.to_numpy(dtype=object)  # text as read (pandas' str dtype would add passes)
    positions, uniques = pd.factorize(cells, use_na_sentinel=True)  # no missing cells here
    distinct = pd.Series([u if isinstance(u, str) else str(u) for u in uniques], dtype=object)
    dates, codes = _parse_distinct(distinct, date_format)
    return dates[positions], codes[positions]


def _parse_distinct(values: pd.Series, date_format: str | None) -> tuple[np.ndarray, np.ndarray]:
    """parse_dates on distinct values. The ISO fast path is pandas' C parser; only the
    values it could not read go through the regular expressions."""
    text = values.astype("str").str.strip().to_numpy(dtype=object)
    count = len(text)
    dates = np.full(count, np.datetime64("NaT"), dtype="M8[D]")
    codes = np.full(count, UNREADABLE, dtype=np.int8)
    series = pd.Series(text, dtype=object)
    empty = (series == "").to_numpy()
    codes[empty] = EMPTY
    pending = ~empty

    if date_format:
        parsed = pd.to_datetime(series[pending], format=date_format, errors="coerce")
        found = parsed.notna().to_numpy()
        index = np.flatnonzero(pending)[found]
        dates[index] = parsed[found].to_numpy().astype("M8[D]")
        codes[index] = OK
        pending[index] = False
    else:
        # The fast path: ISO 8601 dates, parsed in C. What it cannot read (other forms,
        # and days that do not exist) goes on to the regular expressions below.
        parsed = pd.to_datetime(series[pending], format="%Y-%m-%d", errors="coerce")
        found = parsed.notna().to_numpy()
        index = np.flatnonzero(pending)[found]
        dates[index] = parsed[found].to_numpy().astype("M8[D]")
        codes[index] = OK
        pending[index] = False

    if pending.any():
        rest = series[pending].str.replace(_MIDNIGHT, "", regex=True)
        parts = rest.str.extract(_YEAR_FIRST)
        year = parts["year"].fillna(parts["year2"]).fillna(parts["year3"])
        month = parts["month"].fillna(parts["month2"]).fillna(parts["month3"])
        day = parts["day"].fillna(parts["day2"]).fillna(parts["day3"])
        matched = year.notna().to_numpy()
        index = np.flatnonzero(pending)
        if matched.any():
            built, invalid = from_parts(year[matched].astype(int).to_numpy(),
                                        month[matched].astype(int).to_numpy(),
                                        day[matched].astype(int).to_numpy())
            dates[index[matched]] = built
            codes[index[matched]] = np.where(invalid, NONEXISTENT, OK)
        unmatched = index[~matched]
        other = rest[~matched]
        # With --date-format, a day-first value the pattern could not read is a day that
        # does not exist (31/02/2010), or a two-digit year (25/03/10: the patterns allowed
        # take four); without it, the form itself is the problem.
        swapped_form = other.str.fullmatch(_DAY_OR_MONTH_FIRST).to_numpy(dtype=bool)
        codes[unmatched[swapped_form]] = NONEXISTENT if date_format else DAY_FIRST
        if date_format:
            two_digit = other.str.fullmatch(_TWO_DIGIT_YEAR).to_numpy(dtype=bool)
            codes[unmatched[two_digit]] = TWO_DIGIT_YEAR
        codes[unmatched[other.str.fullmatch(_SERIAL).to_numpy(dtype=bool)]] = SERIAL

    years = dates.astype("M8[Y]").astype(np.int64) + 1970
    implausible = (codes == OK) & ((years < FIRST_YEAR) | (years > LAST_YEAR))
    codes[implausible] = IMPLAUSIBLE
    dates[codes != OK] = np.datetime64("NaT")
    return dates, codes


def as_day(value: np.datetime64) -> np.datetime64:
    """One date as datetime64[D], as ``np.datetime64(value, "D")`` makes it: a time of day
    is dropped, NaT stays NaT. numpy's stubs give no (datetime64, unit) form of the
    constructor, so the value goes through its text, which numpy reads back to that day."""
    return np.datetime64(str(value), "D")


def parse_one(text: str) -> np.datetime64 | None:
    """One date typed on the command line (--as-of, --date): ISO and year-first forms only."""
    dates, codes = parse_dates(pd.Series([text], dtype=object))
    return dates[0] if codes[0] == OK else None


def iso(dates: np.ndarray) -> np.ndarray:
    """datetime64 → 'YYYY-MM-DD' text, '' for NaT.

    A study's dates span a few thousand days at most: each day's text is made once, and
    every cell takes its text from that table (a column of 800,000 dates holds about 2,000
    different days)."""
    days = np.asarray(dates).astype("M8[D]")
    missing = np.isnat(days)
    out = np.full(days.shape, "", dtype=object)
    if missing.all():
        return out
    numbers = days[~missing].astype(np.int64)
    first = numbers.min()
    span = numbers.max() - first + 1
    if span > 200_000:  # not a study's dates: format each one
        out[~missing] = np.datetime_as_string(days[~missing], unit="D").astype(object)
        return out
    table = np.datetime_as_string(np.arange(first, first + span).astype("M8[D]"), unit="D").astype(object)
    out[~missing] = table[numbers - first]
    return out
