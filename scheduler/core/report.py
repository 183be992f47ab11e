"""The weekly deviation report: what went off protocol, what is overdue, what is coming.

Pure: it takes the check table and returns the report's tables and figures; the writers in
``scheduler.outputs.report_*`` turn them into HTML, Excel, CSV or Markdown.

The reporting week is an ISO week, Monday to Sunday, in the study's time zone.
``--week 2010-W37`` names it, and the report is as of the Monday after it (the day it is
made, so a window that closed on the Sunday counts as missed). ``--as-of DATE`` reports the
last complete week before DATE, as of DATE. Neither: as of today, the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.core.arms import row_participants
from scheduler.core.status import due_list, withdrawal_per_row
from scheduler.core.words import DEVIATIONS, JUDGED, Status
from scheduler.errors import OptionError
from scheduler.i18n import _

DUE_DAYS = 14


@dataclass(frozen=True)
class Week:
    """An ISO week: its name (2010-W37), Monday and Sunday."""

    name: str
    monday: dt.date
    sunday: dt.date

    @property
    def label(self) -> str:
        # TRANSLATORS: {week} is an ISO week (2010-W37), {monday} and {sunday} its first and
        # last days.
        return _("{week} (Monday {monday} to Sunday {sunday})").format(
            week=self.name, monday=self.monday, sunday=self.sunday)


def week_named(name: str) -> Week:
    """2010-W37 → that ISO week. Refuses anything else with the form to use (exit 2)."""
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", name.strip(), flags=re.IGNORECASE)
    if not match:
        # TRANSLATORS: {week} is the value given to the --week option.
        raise OptionError(_("--week {week}: write an ISO week as YYYY-Www, for example 2010-W37").format(
            week=name))
    year, number = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 2199:
        raise OptionError(_("--week {week}: the year is outside 1900–2199").format(week=name))
    try:
        monday = dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise OptionError(_("--week {week}: {year} has no week {number} (ISO years have 52 or 53 "
                            "weeks)").format(week=name, year=year, number=number)) from None
    return Week(f"{year}-W{number:02d}", monday, monday + dt.timedelta(days=6))


def week_before(day: dt.date) -> Week:
    """The last complete ISO week before ``day`` (on a Monday, the week that just ended)."""
    sunday = day - dt.timedelta(days=day.isoweekday())
    year, number, _weekday = sunday.isocalendar()
    return Week(f"{year}-W{number:02d}", sunday - dt.timedelta(days=6), sunday)


def reporting_week(week: str | None, as_of: dt.date | None, today: dt.date) -> tuple[Week, dt.date]:
    """The reporting week and the as-of date, from --week, --as-of or today."""
    if week is not None and as_of is not None:
        raise OptionError(_("give --week or --as-of, not both: --week reports as of the Monday "
                            "after that week"))
    if week is not None:
        chosen = week_named(week)
        monday_after = chosen.sunday + dt.timedelta(days=1)
        if monday_after > today:
            # As of a day still to come, windows open today would count as missed.
            # TRANSLATORS: {week} is an ISO week (2010-W37); {sunday}, {monday} and {today} dates.
            raise OptionError(_("--week {week} is not over until Sunday {sunday}: its report is "
                                "made on Monday {monday} (today is {today}); for the week so far, "
                                "use --as-of with today's date").format(
                week=chosen.name, sunday=chosen.sunday, monday=monday_after, today=today))
        return chosen, monday_after
    day = as_of if as_of is not None else today
    return week_before(day), day


@dataclass(frozen=True)
class Source:
    """A file the report was made from, and its SHA-256."""

    role: str
    name: str
    sha256: str


@dataclass(frozen=True)
class Report:
    study_id: str
    title: str
    site: str
    week: Week
    as_of: dt.date
    made_at: str
    sources: tuple[Source, ...]
    summary: tuple[tuple[str, int | float | str], ...]  # a float is a share of one (a rate)
    new_deviations: pd.DataFrame
    all_deviations: pd.DataFrame  # the check's columns + new_this_week
    due: pd.DataFrame
    compliance: pd.DataFrame  # compliance: in_window / visits_judged, a share of one (NaN: none judged)
    check: pd.DataFrame  # every expected visit of the enrolled participants, for the timeline
    # The unscheduled visits dated in the week (the check's columns, status "unscheduled";
    # ``arm`` with [[arms]]), by date, then participant: listed, never judged.
    unscheduled: pd.DataFrame
    notes: tuple[str, ...] = ()  # warnings the reader should see (no clinic day in a window)
    trail_head: str = ""  # the audit trail's line count and last hash, for the monitor to keep
    # With protocol versions: the moves to a later version dated in the week
    # (participant_id, protocol_version moved to, move_date), by date then participant.
    moves: pd.DataFrame | None = None


def _in(dates: pd.Series, week: Week) -> np.ndarray:
    days = dates.to_numpy().astype("M8[D]")
    return (days >= np.datetime64(week.monday)) & (days <= np.datetime64(week.sunday))


def build_report(check: pd.DataFrame, participants: pd.DataFrame, week: Week,
                 as_of: dt.date, *, study_id: str, title: str, site: str, made_at: str,
                 sources: tuple[Source, ...], notes: tuple[str, ...] = (), trail_head: str = "",
                 unscheduled: pd.DataFrame | None = None, arms: tuple[str, ...] = (),
                 versions: tuple[str, ...] = (), moves: pd.DataFrame | None = None) -> Report:
    """Every table of the report, from the check as of ``as_of``. ``unscheduled``: the
    records of unscheduled visits as check rows (``status.unscheduled_rows``); they are
    counted and listed for the week, never deviations, never in a rate. ``versions``: the
    protocol's versions in effective order (the deviations to date of each are counted);
    ``moves``: every move of the version history (those of the week are listed)."""
    status = check["status"]
    is_deviation = status.isin(DEVIATIONS).to_numpy()
    done = check["actual_date"].notna().to_numpy()
    new = is_deviation & np.where(done, _in(check["actual_date"], week),
                                  (status == Status.MISSED).to_numpy() & _in(check["window_close"], week))
    deviations = check[is_deviation].copy()
    deviations["new_this_week"] = new[is_deviation]

    enrollment = participants["enrollment_date"].to_numpy().astype("M8[D]")
    withdrawal = participants["withdrawal_date"].to_numpy().astype("M8[D]")
    day = np.datetime64(as_of, "D")
    enrolled = enrollment <= day
    withdrawn = enrolled & ~np.isnat(withdrawal) & (withdrawal <= day)
    judged = status.isin(JUDGED).to_numpy()
    untouched_missed = (status == Status.MISSED).to_numpy() & (check["reason"] == "").to_numpy()
    # Unscheduled visits are counted and listed for the week: never in a rate or a count above.
    extra = _unscheduled_in(check.iloc[:0] if unscheduled is None else unscheduled, week)
    # A share of one (a float, the writers show it as a percent), or words when there is none.
    rate: float | str = (float(is_deviation.sum() / judged.sum()) if judged.sum()
                         else _("no visit judged yet"))
    new_kinds = pd.Series(status[new]).value_counts()
    # The summary's labels are read by people (the report's table, the workbook's sheet); the
    # two leading spaces set a kind of new deviation under "new deviations this week".
    new_of_kind = {Status.EARLY: _("new early"), Status.LATE: _("new late"),
                   Status.MISSED: _("new missed")}
    summary: list[tuple[str, int | float | str]] = [
        (_("participants enrolled"), int(enrolled.sum())),
        (_("participants active"), int((enrolled & ~withdrawn).sum())),
        (_("participants withdrawn"), int(withdrawn.sum())),
        (_("visits done in the week"), int((done & _in(check["actual_date"], week)).sum())),
        # TRANSLATORS: a line of the report's summary: visits outside the protocol's plan
        # (status unscheduled, 计划外访视) dated in the reporting week.
        (_("unscheduled visits in the week"), len(extra)),
        (_("new deviations this week"), int(new.sum())),
        *(("  " + new_of_kind[kind], int(new_kinds.get(kind, 0))) for kind in DEVIATIONS),
        (_("missed visits still open (nothing recorded)"), int(untouched_missed.sum())),
        (_("deviations to date"), int(is_deviation.sum())),
        *_per_arm(check, is_deviation, arms),
        *_per_version(check, is_deviation, versions),
        (_("deviation rate per visit to date"), rate),
    ]
    moved = None
    if versions and moves is not None:
        moved = moves[_in(moves["move_date"], week)].sort_values(["move_date", "participant_id"], kind="stable")
        moved = moved.reset_index(drop=True)
        # TRANSLATORS: a line of the report's summary: participants moved to a later protocol
        # version (方案修订, an amendment they re-consented to) in the reporting week.
        summary.insert(4, (_("moves to a later protocol version in the week"), len(moved)))
    due = due_list(check, np.datetime64(as_of, "D"), DUE_DAYS, withdrawal_per_row(participants, check))
    # Compliance and the timeline are about participants enrolled as of the report's date.
    enrolled_rows = enrolled[row_participants(check)]
    compliance = _compliance(check[enrolled_rows], judged[enrolled_rows], is_deviation[enrolled_rows])
    return Report(study_id, title, site, week, as_of, made_at, sources, tuple(summary),
                  deviations[deviations["new_this_week"]].reset_index(drop=True),
                  deviations.reset_index(drop=True), due, compliance,
                  check[enrolled_rows].reset_index(drop=True), extra, notes, trail_head, moved)


def _unscheduled_in(rows: pd.DataFrame, week: Week) -> pd.DataFrame:
    """The unscheduled visits dated in the week, by date, then participant (the roster's
    order, as every table of the report), then the visits file's order."""
    in_week = rows[_in(rows["actual_date"], week)]
    return in_week.sort_values(["actual_date", "participant_id"], kind="stable").reset_index(drop=True)


def _per_arm(check: pd.DataFrame, is_deviation: np.ndarray,
             arms: tuple[str, ...]) -> list[tuple[str, int | float | str]]:
    """With [[arms]] (``arms``, the protocol's codes in its order): the deviations to date of
    each arm, under the total — every arm, 0 included — then "no arm assigned yet" when
    someone has none."""
    if not arms or "arm" not in check:
        return []
    counts = pd.Series(is_deviation).groupby(check["arm"].to_numpy(dtype=object), sort=False).sum()
    # TRANSLATORS: a line of the report's summary, under "deviations to date": {arm} is an arm's code.
    rows: list[tuple[str, int | float | str]] = [("  " + _("arm {arm}").format(arm=arm), int(counts.get(arm, 0)))
                                               for arm in arms]
    if "" in set(check["arm"].astype(object)):
        rows.append(("  " + _("no arm assigned yet"), int(counts.get("", 0))))
    return rows


def _per_version(check: pd.DataFrame, is_deviation: np.ndarray,
                 versions: tuple[str, ...]) -> list[tuple[str, int | float | str]]:
    """With protocol versions: the deviations to date judged against each version's windows
    (a row's protocol_version), under the total — every version, 0 included."""
    if len(versions) < 2 or "protocol_version" not in check:
        return []
    counts = pd.Series(is_deviation).groupby(check["protocol_version"].to_numpy(dtype=object), sort=False).sum()
    # TRANSLATORS: a line of the report's summary, under "deviations to date": the deviations
    # judged against the windows of protocol version {version}.
    return [("  " + _("protocol version {version}").format(version=version), int(counts.get(version, 0)))
            for version in versions]


def _compliance(check: pd.DataFrame, judged: np.ndarray, is_deviation: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"participant_id": check["participant_id"].to_numpy(),
                          "judged": judged, "deviation": is_deviation,
                          "in_window": (check["status"] == Status.IN_WINDOW).to_numpy()})
    grouped = frame.groupby("participant_id", sort=False).sum()
    out = pd.DataFrame({
        "participant_id": grouped.index.to_numpy(dtype=object),
        "visits_judged": grouped["judged"].to_numpy(dtype=np.int64),
        "in_window": grouped["in_window"].to_numpy(dtype=np.int64),
        "deviations": grouped["deviation"].to_numpy(dtype=np.int64),
    })
    # A share of one, a number (the workbook shows it in a percent format, the HTML and the
    # Markdown as text like 88%); empty (NaN) for a participant with no visit judged yet.
    judged_visits = out["visits_judged"].to_numpy()
    out["compliance"] = np.divide(out["in_window"].to_numpy(dtype=np.float64), judged_visits,
                                  out=np.full(len(out), np.nan), where=judged_visits > 0)
    return out
