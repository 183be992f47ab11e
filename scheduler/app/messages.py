"""The warnings and data problems every command that reads a study gives, into ``Messages``."""

from __future__ import annotations

import pandas as pd

from scheduler.app.results import Messages
from scheduler.app.study import Study
from scheduler.core.suggestions import MAX_LISTED_WARNINGS, listed
from scheduler.core.words import DEVIATIONS
from scheduler.errors import EXIT_DATA_PROBLEMS, EXIT_OK


def report_problems(study: Study, messages: Messages, participant: str | None = None,
                    needs_visits: bool = True, participants: tuple[str, ...] = ()) -> int:
    """Warnings and data problems; the exit code they call for. ``participant`` (or
    ``participants``): only what is about the participants the command shows."""
    if participant is not None:
        participants = (participant,)
    wanted = set(participants)
    if needs_visits and study.visits_label is None:
        messages.warning("no visits file (visits.csv or visits.xlsx in the study folder, or "
                         "--visits FILE): no visit counts as done")
    for warning in study.roster_warnings:
        messages.warning(warning)
    later = [p for p in study.enrolled_after_as_of if not wanted or p in wanted]
    if later:
        messages.warning(f"enrolled after the as-of date {study.as_of}: {listed(later, len(later))} "
                         "— their visits are listed as upcoming (or withdrawn, after a withdrawal)")
    problems = [p for p in study.problems if not wanted or p.participant in wanted]
    if not problems:
        return EXIT_OK
    count = len(problems)
    messages.append(f"{study.visits_label}: {count} data problem{'s' if count != 1 else ''} "
                    "(each record named is left out, unless it says it is used):")
    messages.extend(f"  {problem}" for problem in problems)
    return EXIT_DATA_PROBLEMS


def warn_reason_missing(table: pd.DataFrame, messages: Messages) -> None:
    missing = table[table["status"].isin(DEVIATIONS) & (table["reason"] == "")]
    if not len(missing):
        return
    named = [f"{row.participant_id} {row.visit_code} ({row.status})"
             for row in missing.head(MAX_LISTED_WARNINGS).itertuples()]
    messages.warning(f"reason missing for {len(missing)} deviation"
                     f"{'s' if len(missing) != 1 else ''}: {listed(named, len(missing))} "
                     "— give each its reason: visit-scheduler correct ID VISIT DATE --reason \"…\" "
                     "--visit-reason \"…\" (the date it has)")


def with_reason_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """For tables people read: a deviation without a reason says so."""
    shown = frame.copy()
    missing = shown["status"].isin(DEVIATIONS) & (shown["reason"] == "")
    shown.loc[missing, "reason"] = "reason missing"
    return shown


__all__ = ["MAX_LISTED_WARNINGS", "listed", "report_problems", "warn_reason_missing", "with_reason_missing"]
