"""One participant's visit plan on paper (``plan ID``): what the page says, decided once for
the HTML and the PDF writers (``outputs.plan_html``, ``outputs.plan_pdf``). Pure: from the
check table of one participant (with its suggested dates) and the protocol, rows.

Only the participant's ID, site, enrollment and withdrawal dates (and arm, where the roster
has one) are taken from the roster (``ROSTER_FIELDS``): a name, a phone number or any other
column never reaches the page. A reason recorded for a visit stays off the page too (the
plan may be handed to the participant); the status says a deviation.

The page's own words are in ``WORDS``, once: catalog messages (``N_``), which ``word``
gives in the language people read. Visit names, procedures and the study title are the
protocol's words in that language (``name_in``, ``procedures_in``, ``title_in``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.core.arms import row_participants
from scheduler.core.calendar import file_names_for
from scheduler.core.words import DEVIATIONS, PENDING, Status
from scheduler.i18n import N_, _, ngettext, pgettext
from scheduler.protocol import Protocol, Visit

# The roster's columns a plan may show; every other column stays in the study folder.
ROSTER_FIELDS = ("participant_id", "site", "enrollment_date", "withdrawal_date", "arm")

FORMATS = ("pdf", "html")

# The plan's words: shown through ``word`` (or ``_``), in the language of the moment.
WORDS = {
    "heading": N_("Visit plan"),
    "participant": N_("Participant"),
    "site": N_("Site"),
    "enrolled": N_("Enrolled"),
    "arm": N_("Arm"),
    # TRANSLATORS: the plan's header: the protocol version the participant follows now (方案版本).
    "version": N_("Protocol version"),
    "withdrew": N_("Withdrew"),
    "as_of": N_("As of"),
    "visit": N_("Visit and what is done"),
    "target": N_("Target date"),
    "window": N_("Window"),
    "suggested": N_("Suggested clinic day"),
    "done": N_("Done on · status"),
    "booked": N_("Booked date and time"),
    "continued": N_("continued"),
    "note": N_("Dates are YYYY-MM-DD. A visit's window hangs on an earlier visit (or on the "
               "enrollment): once that visit is done, the windows that hang on it move with its "
               "actual date, so print the plan again after each visit. A suggested day is a "
               "clinic working day in the window, on or after the as-of date, closest to the "
               "target."),
    "footer": N_("Made by visit-scheduler from the study's files. Only the participant's ID is "
                 "written here."),
}


def word(name: str) -> str:
    """One of the plan's ``WORDS`` in the current language."""
    return _(WORDS[name])


@dataclass(frozen=True)
class PlanVisit:
    """One visit's line on the plan."""

    code: str
    name: str
    procedures: tuple[str, ...]
    timing: str                  # "Day 7 ± 1 from D0"
    target: dt.date
    window_open: dt.date
    window_close: dt.date
    suggested: dt.date | None    # for a visit still to do: on or after the as-of date
    actual: dt.date | None
    status: str                  # the status word (core.words)
    days_outside: int | None
    not_done: bool               # recorded as not done (no date, a reason)
    to_book: bool                # still to do: a line for the booked date and time

    @property
    def window_lines(self) -> tuple[str, ...]:
        """The window as two lines, "2010-09-09 –" over "2010-09-11" (each date whole on its
        line in a narrow column), or the one day of a window of ± 0."""
        if self.window_open == self.window_close:
            return (self.window_open.isoformat(),)
        return (f"{self.window_open.isoformat()} –", self.window_close.isoformat())

    @property
    def status_text(self) -> str:
        """The status word, with the days outside the window for a deviation ("late, 2 days")
        and "not done" for a visit recorded as not done (a missed visit's days keep growing:
        not shown). The status word is the one people read (the catalog's "status" words)."""
        text = pgettext("status", self.status)
        if self.status in (Status.EARLY, Status.LATE) and self.days_outside is not None:
            # TRANSLATORS: {status} is a status word (early, late), {count} the days outside
            # the window.
            text = ngettext("{status}, {count} day", "{status}, {count} days",
                            self.days_outside).format(status=text, count=self.days_outside)
        if self.not_done:
            # TRANSLATORS: {status} is a status word (missed, due…) of a visit recorded as not done.
            text = _("{status} (not done)").format(status=text)
        return text

    @property
    def is_deviation(self) -> bool:
        return self.status in DEVIATIONS


@dataclass(frozen=True)
class VisitPlan:
    """What one participant's page says."""

    study_id: str
    title: str
    participant_id: str
    site: str
    enrollment: dt.date
    arm: str
    withdrawal: dt.date | None
    as_of: dt.date
    visits: tuple[PlanVisit, ...]
    version: str = ""  # with protocol versions: the one the participant follows as of the date

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The header's labelled values, in order: participant, site, enrolled, arm, withdrew, as of."""
        shown = [(word("participant"), self.participant_id)]
        if self.site:
            shown.append((word("site"), self.site))
        shown.append((word("enrolled"), self.enrollment.isoformat()))
        if self.arm:
            shown.append((word("arm"), self.arm))
        if self.version:
            shown.append((word("version"), self.version))
        if self.withdrawal is not None:
            shown.append((word("withdrew"), self.withdrawal.isoformat()))
        shown.append((word("as_of"), self.as_of.isoformat()))
        return shown

    @property
    def heading(self) -> str:
        # TRANSLATORS: the plan's heading; {participant} is a participant ID.
        return _("Visit plan — participant {participant}").format(participant=self.participant_id)


def _date(value: object) -> dt.date | None:
    """A date of the check table or the roster (datetime64, Timestamp or NaT) as a date, or None."""
    text = str(value)
    if text in ("NaT", "None", "nan", "<NA>", ""):
        return None
    return dt.date.fromisoformat(text[:10])


def _count(value: object) -> int | None:
    """A whole number of the check table (Int64, empty as <NA>), or None."""
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else None


def _required(value: object) -> dt.date:
    day = _date(value)
    if day is None:
        raise ValueError("a plan's date is missing")  # the grid gives every visit its dates
    return day


def visit_plan(protocol: Protocol, participant: pd.Series, check: pd.DataFrame,
               as_of: np.datetime64, version: str = "") -> VisitPlan:
    """One participant's plan: ``participant`` is the roster's row (only ``ROSTER_FIELDS``
    are read), ``check`` that participant's rows of the check table, in protocol order, with
    a ``suggested_date`` column; ``version``: the protocol version they follow now (with
    versions, each visit's timing is the one of the version its window follows)."""
    person = {name: participant[name] for name in ROSTER_FIELDS if name in participant.index}
    visits = []
    for row in check.itertuples(index=False):
        visit = _as_followed(protocol, str(row.visit_code), str(getattr(row, "protocol_version", "")))
        status = str(row.status)
        reason = str(row.reason)
        actual = _date(row.actual_date)
        pending = status in PENDING
        visits.append(PlanVisit(
            code=visit.code, name=visit.name_in(), procedures=visit.procedures_in(),
            timing=visit.timing, target=_required(row.target_date),
            window_open=_required(row.window_open), window_close=_required(row.window_close),
            suggested=_date(row.suggested_date) if pending and not reason else None,
            actual=actual, status=status,
            days_outside=_count(row.days_outside),
            not_done=actual is None and bool(reason) and status not in (Status.WITHDRAWN,),
            to_book=pending and not reason))
    return VisitPlan(
        study_id=protocol.study_id, title=protocol.title_in(),
        participant_id=str(person["participant_id"]),
        site=str(person.get("site") or "") or protocol.site_id,
        enrollment=_required(person["enrollment_date"]),
        arm=_arm_shown(protocol, str(person.get("arm") or "")),
        withdrawal=_date(person.get("withdrawal_date")),
        as_of=_required(as_of), visits=tuple(visits), version=version)


def _as_followed(protocol: Protocol, code: str, version: str) -> Visit:
    """The visit as the version whose window a row follows defines it."""
    defined = protocol.version_named(version) if protocol.versions else None
    return defined.visit(code) if defined is not None and code in defined.codes else protocol.visit(code)


def _arm_shown(protocol: Protocol, code: str) -> str:
    """The arm as the plan prints it: "B (Two transplants)" in the reader's language; with
    [[arms]] and no arm yet, that it is not assigned; without arms, the roster's word as written."""
    if not protocol.arms:
        return code
    if not code:
        return _("not yet assigned")
    arm = next((arm for arm in protocol.arms if arm.code == code), None)
    if arm is None or arm.name_in() == code:
        return code
    # TRANSLATORS: an arm on the visit plan: its code, then its name ("B (Two transplants)").
    return _("{code} ({name})").format(code=code, name=arm.name_in())


def visit_plans(protocol: Protocol, roster: pd.DataFrame, check: pd.DataFrame,
                as_of: np.datetime64, versions: np.ndarray | None = None) -> list[VisitPlan]:
    """Every roster participant's plan, in roster order (``check`` in roster then protocol
    order, as ``compute_check`` gives it); ``versions``: each one's protocol version now."""
    # Each participant's rows, found by position (with arms, participants have different
    # numbers of visits): the rows are participant-major, so one split does it.
    people = row_participants(check)
    bounds = np.searchsorted(people, np.arange(len(roster) + 1))
    return [visit_plan(protocol, roster.iloc[position], check.iloc[bounds[position]:bounds[position + 1]], as_of,
                       str(versions[position]) if versions is not None else "")
            for position in range(len(roster))]


def plan_file_names(participant_ids: Iterable[str], file_format: str) -> dict[str, str]:
    """Each participant's file name in a ``plan --all`` folder (ID.pdf or ID.html, the ID
    made safe as for calendars); refuses two participants whose files would be one (Windows
    and macOS do not tell A01.pdf from a01.pdf)."""
    return file_names_for(participant_ids, file_format)
