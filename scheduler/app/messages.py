"""The warnings and data problems every command that reads a study gives, into ``Messages``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scheduler.app.results import Messages
from scheduler.app.study import Study
from scheduler.core.suggestions import MAX_LISTED_WARNINGS, listed
from scheduler.core.words import DEVIATIONS
from scheduler.errors import EXIT_DATA_PROBLEMS, EXIT_OK
from scheduler.i18n import _, ngettext
from scheduler.outputs.people import status_word


def report_problems(study: Study, messages: Messages, participant: str | None = None,
                    needs_visits: bool = True, participants: tuple[str, ...] = ()) -> int:
    """Warnings and data problems; the exit code they call for. ``participant`` (or
    ``participants``): only what is about the participants the command shows."""
    if participant is not None:
        participants = (participant,)
    wanted = set(participants)
    if needs_visits and study.visits_label is None:
        messages.warning(_("no visits file (visits.csv or visits.xlsx in the study folder, or "
                           "--visits FILE): no visit counts as done"))
    for warning in study.roster_warnings:
        messages.warning(warning)
    later = [p for p in study.enrolled_after_as_of if not wanted or p in wanted]
    if later:
        # TRANSLATORS: {participants} is a list of participant IDs.
        messages.warning(_("enrolled after the as-of date {date}: {participants} "
                           "— their visits are listed as upcoming (or withdrawn, after a withdrawal)")
                         .format(date=study.as_of, participants=listed(later, len(later))))
    problems = study.problems.about(wanted) if wanted else study.problems
    if not problems:
        return EXIT_OK
    count = len(problems)
    messages.append(ngettext("{file}: {count} data problem (each record named is left out, unless it "
                             "says it is used):",
                             "{file}: {count} data problems (each record named is left out, unless it "
                             "says it is used):", count).format(file=study.visits_label, count=count))
    messages.extend(problems.texts(prefix="  "))
    return EXIT_DATA_PROBLEMS


def warn_reason_missing(table: pd.DataFrame, messages: Messages) -> None:
    # Only the rows named are taken out of the table (800,000 rows at 100,000 participants).
    # The reasons compared as the plain array (pandas' == on 800,000 objects takes thrice as long).
    rows = np.flatnonzero(table["status"].isin(DEVIATIONS).to_numpy()
                          & (table["reason"].to_numpy(dtype=object) == ""))
    if not len(rows):
        return
    named = [f"{row.participant_id} {row.visit_code} ({status_word(str(row.status))})"
             for row in table.iloc[rows[:MAX_LISTED_WARNINGS]].itertuples()]
    count = len(rows)
    # TRANSLATORS: {visits} lists "ID VISIT (status)"; the command line stays as it is.
    messages.warning(ngettext("reason missing for {count} deviation: {visits} — give each its reason: "
                              "visit-scheduler correct ID VISIT DATE --reason \"…\" --visit-reason \"…\" "
                              "(the date it has)",
                              "reason missing for {count} deviations: {visits} — give each its reason: "
                              "visit-scheduler correct ID VISIT DATE --reason \"…\" --visit-reason \"…\" "
                              "(the date it has)", count)
                     .format(count=count, visits=listed(named, count)))


def warn_unscheduled_reason(unscheduled: pd.DataFrame, messages: Messages) -> None:
    """An unscheduled visit without its reason (why the participant came): recommended, so a
    warning, never a problem."""
    missing = unscheduled[unscheduled["reason"] == ""]
    if not len(missing):
        return
    named = [f"{row.participant_id} {row.visit_code} {str(row.actual_date)[:10]}"
             for row in missing.head(MAX_LISTED_WARNINGS).itertuples()]
    count = len(missing)
    # TRANSLATORS: {visits} lists "ID CODE DATE"; the command line stays as it is.
    messages.warning(ngettext("reason missing for {count} unscheduled visit: {visits} — say why the participant "
                              "came: visit-scheduler correct ID CODE --date DATE --visit-reason \"…\" --reason \"…\"",
                              "reason missing for {count} unscheduled visits: {visits} — say why each participant "
                              "came: visit-scheduler correct ID CODE --date DATE --visit-reason \"…\" --reason \"…\"",
                              count).format(count=count, visits=listed(named, count)))


def with_reason_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """For tables people read: a deviation without a reason says so."""
    shown = frame.copy()
    missing = shown["status"].isin(DEVIATIONS) & (shown["reason"] == "")
    shown.loc[missing, "reason"] = _("reason missing")
    return shown


__all__ = ["MAX_LISTED_WARNINGS", "listed", "report_problems", "warn_reason_missing", "warn_unscheduled_reason",
           "with_reason_missing"]
