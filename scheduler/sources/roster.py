"""The participants file (roster): every problem in it stops the command."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from scheduler.core.table import Table
from scheduler.core.words import AGE_RANGE, SEX_WORDS, SEXES, WITHDRAWAL_CATEGORIES
from scheduler.errors import InputFileError, Problem
from scheduler.i18n import _, ngettext
from scheduler.sources.tables import control_in_id, participant_ids, read_date_column, read_table, text_column

PARTICIPANT_COLUMNS = ("participant_id", "enrollment_date")
# withdrawal_category, consent_date, sex and age are for SDTM DM and DS: no other output shows
# them. The arm decides each participant's visits (with [[arms]]) and is shown with them.
PARTICIPANT_OPTIONAL = ("withdrawal_date", "withdrawal_reason", "site", "withdrawal_category", "arm",
                        "consent_date", "sex", "age")

# An ID starts with a letter or a digit: this also shuts the door on spreadsheet formulas
# (=, +, -, @) travelling from a roster into a report.
ID_PATTERN = r"^[^\W_]"
# A whole number of years, also as Excel may write it into a CSV ("34.0").
_WHOLE = re.compile(r"[-+]?[0-9]+(?:\.0*)?")
T = TypeVar("T")


def category_term(text: str) -> str | None:
    """A withdrawal category as its CDISC NCOMPLT term (any case, full-width letters as
    plain ones); "" when empty, None when it is not a term."""
    term = unicodedata.normalize("NFKC", text).strip().upper()
    return term if not term or term in WITHDRAWAL_CATEGORIES else None


def sex_code(text: str) -> str | None:
    """A sex as its code M, F or U (any case; 男 and 女, as a Chinese site writes them, are
    M and F); "" when empty, None when it is not one."""
    typed = unicodedata.normalize("NFKC", text).strip()
    code = SEX_WORDS.get(typed, typed.upper())
    return code if not code or code in SEXES else None


def whole_years(text: str) -> int | None:
    """An age typed as a whole number ("34", or "34.0" as Excel may save it); None when it
    is not one ("34 years", "34.5"). The range is the caller's to check."""
    typed = unicodedata.normalize("NFKC", text).strip()
    return int(typed.split(".")[0]) if _WHOLE.fullmatch(typed) else None


def age_in_range(years: int) -> bool:
    return AGE_RANGE[0] <= years <= AGE_RANGE[1]


def _starts_well(ids: np.ndarray) -> np.ndarray:
    """ID_PATTERN per ID, looked at once per distinct first character (100,000 IDs begin
    with a few)."""
    firsts = ids.astype("U1")  # each ID's first character ("" for an empty one)
    distinct, which = np.unique(firsts, return_inverse=True)
    good = np.array([re.match(ID_PATTERN, str(first)) is not None for first in distinct], dtype=bool)
    found: np.ndarray = good[which.reshape(-1)] if len(ids) else np.zeros(0, dtype=bool)
    return found


def read_participants(path: Path, label: str, encoding: str | None = None,
                      sheet: str | None = None, date_format: str | None = None,
                      notes: list[str] | None = None, arms: tuple[str, ...] = ()) -> pd.DataFrame:
    """The roster. Any problem in it stops the command (exit 2): nobody silently drops out.

    Columns out: participant_id (NFKC: ００９ is 009), enrollment_date, withdrawal_date
    (datetime64, NaT when none), withdrawal_reason, site, withdrawal_category (the NCOMPLT
    term, upper-case), arm, consent_date (datetime64, NaT when none), sex (M, F, U or ""),
    age (Int64, missing when none), line. ``notes``: see read_table.
    """
    table = read_table(path, label, PARTICIPANT_COLUMNS, PARTICIPANT_OPTIONAL, encoding, sheet,
                       notes)
    frame = table.frame
    problems: list[Problem] = []
    lines = frame["line"].to_numpy()
    ids, control = participant_ids(frame["participant_id"])

    for position in np.flatnonzero(control):
        problems.append(control_in_id(table, int(lines[position]), frame["participant_id"].iloc[position]))
    empty_id = (ids == "").to_numpy()
    bad_id = ~empty_id & ~control & ~_starts_well(ids.to_numpy(dtype=object))
    for position in np.flatnonzero(empty_id):
        problems.append(table.problem(_("the participant ID is empty"), int(lines[position]),
                                      "participant_id", None, _("give every participant an ID")))
    for position in np.flatnonzero(bad_id):
        problems.append(table.problem(_("a participant ID must start with a letter or a digit"),
                                      int(lines[position]), "participant_id", ids.iloc[position],
                                      _("remove the leading sign or space")))
    duplicated = ids.duplicated(keep=False).to_numpy() & ~empty_id & ~control
    if duplicated.any():
        typed = dict(zip(lines[duplicated], frame["participant_id"].to_numpy(dtype=object)[duplicated]))
        groups = pd.Series(lines[duplicated]).groupby(ids[duplicated].to_numpy()).agg(list)
        for participant, group_lines in groups.items():
            others = ", ".join(str(n) for n in group_lines[1:])
            # ００９ and 009 are one ID (NFKC): say so where the lines do not look alike.
            alike = all(typed[n] == participant for n in group_lines)
            # TRANSLATORS: {lines} are the other line numbers of the file, joined by ", ".
            listed = ngettext("participant {participant} is listed twice (also on line {lines})",
                              "participant {participant} is listed twice (also on lines {lines})",
                              len(group_lines) - 1)
            problems.append(table.problem(
                listed.format(participant=participant, lines=others),
                int(group_lines[0]), "participant_id", str(typed[group_lines[0]]),
                _("keep one line per participant") if alike else
                _("keep one line per participant (full-width digits and letters, as a Chinese "
                  "input method types them, are the same ID as plain ones)")))

    enrollment, _codes, enrollment_problems = read_date_column(table, "enrollment_date", date_format,
                                                               allow_empty=False)
    withdrawal, _codes, withdrawal_problems = read_date_column(table, "withdrawal_date", date_format,
                                                               allow_empty=True)
    consent, _codes, consent_problems = read_date_column(table, "consent_date", date_format,
                                                         allow_empty=True)
    problems += enrollment_problems + withdrawal_problems + consent_problems
    before = ~np.isnat(withdrawal) & ~np.isnat(enrollment) & (withdrawal < enrollment)
    for position in np.flatnonzero(before):
        # TRANSLATORS: {date} is the enrollment date, as the file has it.
        problems.append(table.problem(
            _("withdrawal before enrollment ({date})").format(date=frame["enrollment_date"].iloc[position]),
            int(lines[position]), "withdrawal_date", frame["withdrawal_date"].iloc[position],
            _("check both dates")))
    # A consent after enrollment is no problem (a participant may consent again, to an
    # amendment); a consent after the participant withdrew cannot be.
    late_consent = ~np.isnat(consent) & ~np.isnat(withdrawal) & (consent > withdrawal)
    for position in np.flatnonzero(late_consent):
        # TRANSLATORS: {date} is the withdrawal date, as the file has it.
        problems.append(table.problem(
            _("consent after the withdrawal ({date})").format(date=frame["withdrawal_date"].iloc[position]),
            int(lines[position]), "consent_date", frame["consent_date"].iloc[position],
            _("check both dates")))
    categories, sexes, ages, coded_problems = _coded_columns(table, (frame["withdrawal_date"] == "").to_numpy())
    problems += coded_problems
    if arms:
        # With [[arms]]: an arm the protocol does not have would put the participant on the
        # wrong visits, unnoticed.
        given = text_column(frame["arm"])
        for position in np.flatnonzero(((given != "") & ~given.isin(list(arms))).to_numpy()):
            problems.append(table.problem(_("not an arm of the protocol"), int(lines[position]), "arm",
                                          str(given.iloc[position]),
                                          _("use one of: {arms}").format(arms=", ".join(arms))))
    if problems:
        problems.sort(key=lambda problem: (problem.line or 0))
        count = len(problems)
        raise InputFileError(ngettext(
            "{file}: the participants file cannot be used until this problem is fixed "
            "(a participant who cannot be scheduled must not silently drop out)",
            "{file}: the participants file cannot be used until these {count} problems are fixed "
            "(a participant who cannot be scheduled must not silently drop out)",
            count).format(file=label, count=count), problems)
    return pd.DataFrame({
        "participant_id": text_column(ids),
        "enrollment_date": enrollment,
        "withdrawal_date": withdrawal,
        "withdrawal_reason": text_column(frame["withdrawal_reason"]),
        "site": text_column(frame["site"]),
        "withdrawal_category": categories,
        "arm": text_column(frame["arm"]),
        "consent_date": consent,
        "sex": sexes,
        "age": ages,
        "line": lines,
    })


def _coded_columns(table: Table, no_withdrawal: np.ndarray) -> tuple[pd.Series, pd.Series, pd.Series,
                                                                     list[Problem]]:
    """withdrawal_category, sex and age as their codes, and a problem for every value that
    is not one (and for a category without a withdrawal date): SDTM takes these as they are."""
    frame = table.frame
    lines = frame["line"].to_numpy()
    problems: list[Problem] = []

    categories, bad = _each_distinct(frame["withdrawal_category"], category_term)
    for position in np.flatnonzero(bad):
        problems.append(table.problem(
            _("not a CDISC NCOMPLT withdrawal category"), int(lines[position]), "withdrawal_category",
            frame["withdrawal_category"].iloc[position],
            # TRANSLATORS: {terms} are CDISC terms (never translated), joined by ", ".
            _("use one of {terms}").format(terms=", ".join(WITHDRAWAL_CATEGORIES))))
    undated = ~bad & (frame["withdrawal_category"] != "").to_numpy() & no_withdrawal
    for position in np.flatnonzero(undated):
        problems.append(table.problem(
            _("a withdrawal category without a withdrawal date"), int(lines[position]),
            "withdrawal_category", frame["withdrawal_category"].iloc[position],
            _("fill in the date the participant withdrew, or empty the category")))

    sexes, bad = _each_distinct(frame["sex"], sex_code)
    for position in np.flatnonzero(bad):
        problems.append(table.problem(
            _("the sex must be M, F or U"), int(lines[position]), "sex", frame["sex"].iloc[position],
            # TRANSLATORS: M, F, U, 男 and 女 are values to type as they are.
            _("write M, F or U (男 and 女 are read as M and F), or leave it empty")))

    years, bad = _each_distinct(frame["age"], _age)
    low, high = AGE_RANGE
    for position in np.flatnonzero(bad):
        typed = frame["age"].iloc[position]
        problems.append(table.problem(
            _("the age must be a whole number of years, from {low} to {high}").format(low=low, high=high),
            int(lines[position]), "age", typed,
            _("write the number only, for example 34") if whole_years(typed) is None else _("check the age")))
    return categories, sexes, _whole_numbers(years), problems


def _whole_numbers(years: pd.Series) -> pd.Series:
    """The ages read (int, or "" / None where there is none) as pandas' nullable Int64."""
    positions, uniques = pd.factorize(years.to_numpy(dtype=object), use_na_sentinel=False)
    distinct = pd.array([value if isinstance(value, int) else pd.NA for value in uniques], dtype="Int64")
    return pd.Series(distinct.take(positions))


def _age(text: str) -> int | str | None:
    """An age cell read: the years, "" when empty, None when it is not an age."""
    if not text:
        return ""
    years = whole_years(text)
    return years if years is not None and age_in_range(years) else None


def _each_distinct(column: pd.Series, read: Callable[[str], T | None]) -> tuple[pd.Series, np.ndarray]:
    """``read`` applied to each distinct cell once (a roster holds few distinct values a
    column); returns the values (object dtype) and where ``read`` said None."""
    positions, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    distinct = [read(str(unique)) for unique in uniques]
    values = np.empty(len(distinct), dtype=object)
    values[:] = distinct
    bad = np.array([value is None for value in distinct], dtype=bool)
    return pd.Series(values[positions], dtype=object), bad[positions]
