"""enroll, record, withdraw, correct, audit: changes at the point of care."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from scheduler.cli.base import cli
from scheduler.errors import ChangeRefused, OptionError

if TYPE_CHECKING:
    from scheduler.app.recording import Outcome

T = TypeVar("T")


def change_options(func: Callable[..., object]) -> Callable[..., object]:
    func = click.option("--by", metavar="NAME",
                        help="Who makes the change (default: the login name).")(func)
    return click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
                        help="The study folder (default: the current folder).")(func)


def _folder(study: Path | None) -> Path:
    folder = study if study is not None else Path(".")
    if not folder.is_dir():
        raise OptionError(f"--study {folder}: no such folder")
    return folder


@cli.command()
@click.argument("participant_id")
@click.option("--date", "day", required=True, metavar="DATE", help="The enrollment date.")
@click.option("--site", metavar="SITE", help="The participant's site.")
@change_options
def enroll(participant_id: str, day: str, site: str | None, study: Path | None, by: str | None) -> None:
    """Add a participant to participants.csv (with an audit-trail entry)."""
    from scheduler.app import recording
    from scheduler.storage.audit import who

    click.echo(recording.enroll(_folder(study), participant_id.strip(),
                                recording.parse_day(day, "--date"), site, who(by)))


def at_terminal() -> bool:
    """Is a person there to answer? (Scripts and CI are not.)"""
    return sys.stdin.isatty()


def _with_reason(attempt: Callable[[str], T], given: str, question: str) -> T:
    """Run ``attempt(reason)``; when it needs a reason and none was given, ask at a
    terminal (with the study folder unlocked, so other nurses are not held up) and try
    again. Not at a terminal, the refusal stands."""
    from scheduler.app import recording

    try:
        return attempt(given)
    except recording.ReasonNeeded as needed:
        if given or not at_terminal():
            raise
        click.echo(str(needed).split(": a ")[0] + ".", err=True)
        try:
            answer = str(click.prompt(question, default="", show_default=False)).strip()
        except click.Abort:
            raise ChangeRefused("nothing was recorded") from None
        if not answer:
            raise ChangeRefused(f"{needed} (no reason given: nothing was recorded)") from None
        return attempt(answer)


def _report_moved(outcome: Outcome) -> None:
    for note in outcome.moved:
        click.echo(f"Warning: {note}", err=True)


@cli.command()
@click.argument("participant_id")
@click.argument("visit_code")
@click.argument("day", metavar="[DATE]", required=False)
@click.option("--not-done", is_flag=True, help="The visit did not happen (give --reason).")
@click.option("--reason", default="", help="Why the visit was out of window, or did not happen.")
@change_options
def record(participant_id: str, visit_code: str, day: str | None, not_done: bool, reason: str,
           study: Path | None, by: str | None) -> None:
    """Record the date a visit was done, and see at once where it falls against its window.

    A date outside the window needs a reason: asked for at a terminal, --reason otherwise.
    `record ID VISIT --not-done --reason …` records a visit that did not happen."""
    from scheduler.app import recording
    from scheduler.storage.audit import who as login

    if not_done == (day is not None):
        raise click.UsageError("give either the DATE the visit was done, or --not-done with "
                               "--reason — one of the two, not both")
    folder, who = _folder(study), login(by)
    when = None if not_done else recording.parse_day(str(day), "DATE")
    outcome = _with_reason(
        lambda why: recording.record(folder, participant_id.strip(), visit_code.strip(), when, why, who),
        reason.strip(), "Reason (why out of window)")
    what = f"not done ({outcome.reason})" if not_done else f"{when}: {outcome.placed.describe()}"
    click.echo(f"Recorded {participant_id} {visit_code} {what}")
    if outcome.placed.status in recording.OUT_OF_WINDOW:
        click.echo(f"  protocol deviation, reason: {outcome.reason}")
    _report_moved(outcome)


@cli.command()
@click.argument("participant_id")
@click.option("--date", "day", required=True, metavar="DATE", help="The withdrawal date.")
@click.option("--reason", required=True, help="Why the participant withdrew.")
@change_options
def withdraw(participant_id: str, day: str, reason: str, study: Path | None, by: str | None) -> None:
    """Record a withdrawal in participants.csv (withdrawal_date, withdrawal_reason)."""
    from scheduler.app import recording
    from scheduler.storage.audit import who

    click.echo(recording.withdraw(_folder(study), participant_id.strip(),
                                  recording.parse_day(day, "--date"), reason.strip(), who(by)))


@cli.command()
@click.argument("participant_id")
@click.argument("visit_code")
@click.argument("day", metavar="[DATE]", required=False)
@click.option("--not-done", is_flag=True, help="Correct it to a visit that did not happen.")
@click.option("--reason", required=True, help="Why the record is corrected (kept in the audit trail).")
@click.option("--visit-reason", default="",
              help="The visit's own reason (why out of window, or not done), when it needs one.")
@change_options
def correct(participant_id: str, visit_code: str, day: str | None, not_done: bool, reason: str,
            visit_reason: str, study: Path | None, by: str | None) -> None:
    """Correct a recorded visit's date; the old value stays in the audit trail."""
    from scheduler.app import recording
    from scheduler.storage.audit import who as login

    if not_done == (day is not None):
        raise click.UsageError("give either the corrected DATE, or --not-done — one of the two, "
                               "not both")
    folder, who = _folder(study), login(by)
    when = None if not_done else recording.parse_day(str(day), "DATE")
    outcome = _with_reason(
        lambda why: recording.correct(folder, participant_id.strip(), visit_code.strip(), when,
                                      reason.strip(), who, why),
        visit_reason.strip(), "The visit's reason (why out of window, or not done)")
    what = "not done" if not_done else f"{when}: {outcome.placed.describe()}"
    click.echo(f"Corrected {participant_id} {visit_code} to {what}")
    _report_moved(outcome)


@cli.command()
@click.argument("participant_id", required=False)
@click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
              help="The study folder (default: the current folder).")
def audit(participant_id: str | None, study: Path | None) -> None:
    """The audit trail (audit.csv): every change, who made it, when, old and new value, why."""
    from scheduler.app.recording import audit_table
    from scheduler.outputs.terminal import render

    participant_id = participant_id.strip() if participant_id else None
    shown = audit_table(_folder(study), participant_id)
    title = f"Audit trail{' of ' + participant_id if participant_id else ''}: {len(shown)} changes"
    if participant_id and not len(shown):
        click.echo(f"Note: no change recorded for '{participant_id}' (IDs are compared as text: "
                   "007 is not 7)", err=True)
    click.echo(render(shown, title, colour_column=None))
