"""enroll, record, withdraw, correct, audit, verify: changes at the point of care, and proof."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from scheduler.cli.base import STUDY_HELP, cli, date_option, lang_option, output_option, speaking
from scheduler.errors import ChangeRefused, OptionError
from scheduler.i18n import N_, _

if TYPE_CHECKING:
    import numpy as np

    from scheduler.app.recording import Outcome, Said

T = TypeVar("T")


def _checked_by(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    """--by checked before the command does anything (a refused change writes nothing, not
    even the trail's first line)."""
    if value:
        from scheduler.app.recording import free_text

        free_text(value.strip(), "--by")
    return value


def change_options(func: Callable[..., object]) -> Callable[..., object]:
    func = click.option("--by", metavar="NAME", default="", callback=_checked_by,
                        help=N_("On whose behalf the change is made (your login name is always "
                                "recorded as who made it)."))(func)
    return click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
                        help=STUDY_HELP)(func)


def _folder(study: Path | None) -> Path:
    folder = study if study is not None else Path(".")
    if not folder.is_dir():
        raise OptionError(_("--study {folder}: no such folder").format(folder=folder))
    return folder


def _login() -> str:
    from scheduler.app.recording import login

    return login()


@cli.command(help=N_("Add a participant to participants.csv (with an audit-trail entry)."))
@click.argument("participant_id")
@click.option("--date", "day", required=True, metavar="DATE", help=N_("The enrollment date."))
@click.option("--site", metavar="SITE", help=N_("The participant's site."))
@click.option("--arm", metavar="ARM", help=N_("The participant's arm: a code of the protocol's [[arms]] "
                                              "(none given: not yet assigned)."))
@click.option("--sex", metavar="M|F|U", help=N_("The participant's sex: M, F or U (for SDTM DM)."))
@click.option("--age", metavar="N", help=N_("The participant's age at enrollment, in whole years (for SDTM DM)."))
@click.option("--consent-date", "consent", metavar="DATE",
              help=N_("The date of the informed consent (for SDTM DM and DS)."))
@change_options
@lang_option
def enroll(participant_id: str, day: str, site: str | None, arm: str | None, sex: str | None,
           age: str | None, consent: str | None, study: Path | None, by: str) -> None:
    from scheduler.app import recording

    _say(recording.enroll(_folder(study), participant_id.strip(), recording.parse_day(day, "--date"),
                          site, _login(), by.strip(), sex=sex, age=age,
                          consent=recording.parse_day(consent, "--consent-date") if consent is not None else None,
                          arm=arm))


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
        # TRANSLATORS: {summary} says where the date falls ("003 D14 on 2010-08-28 is LATE by 1 day …").
        click.echo(_("{summary}.").format(summary=needed.summary), err=True)
        try:
            answer = str(click.prompt(question, default="", show_default=False)).strip()
        except click.Abort:
            raise ChangeRefused(_("nothing was recorded")) from None
        if not answer:
            # TRANSLATORS: {refusal} says why a reason is needed (the visit and its window).
            raise ChangeRefused(_("{refusal} (no reason given: nothing was recorded)")
                                .format(refusal=needed)) from None
        return attempt(answer)


def _report_moved(outcome: Outcome) -> None:
    from scheduler.app import recording

    if outcome.shifted:
        click.echo("  " + _("windows that move with it (export the calendar again):"))
        for line in outcome.shifted:
            click.echo(f"    {line}")
    for note in outcome.moved:
        if isinstance(note, recording.Aside):  # already a whole line: a warning, a settled change
            click.echo(note, err=True)
        else:
            click.echo(_("Warning: {message}").format(message=note), err=True)


def _say(said: Said) -> None:
    from scheduler.app import recording

    for line in said.lines:
        click.echo(line, err=isinstance(line, recording.Aside))
    if said.moved:
        click.echo("  " + _("what this moves:"))
        for line in said.moved:
            click.echo(f"    {line}")


@cli.command(help=N_("Record the date a visit was done, and see at once where it falls against its window.\n"
                    "\n"
                    "A date outside the window needs a reason: asked for at a terminal, --reason "
                    "otherwise. `record ID VISIT --not-done --reason …` records a visit that did not happen; "
                    "`record ID UNS DATE --reason …` an unscheduled visit (the protocol's [unscheduled] codes: "
                    "any number, never judged)."))
@click.argument("participant_id")
@click.argument("visit_code")
@click.argument("day", metavar="[DATE]", required=False)
@click.option("--not-done", is_flag=True, help=N_("The visit did not happen (give --reason)."))
@click.option("--reason", default="", help=N_("Why the visit was out of window, or did not happen."))
@change_options
@lang_option
def record(participant_id: str, visit_code: str, day: str | None, not_done: bool, reason: str,
           study: Path | None, by: str) -> None:
    from scheduler.app import recording

    if day is None and not not_done:
        # Today's date is never assumed: a visit entered the day after would be dated wrongly.
        import shlex

        which = f"{shlex.quote(participant_id.strip())} {shlex.quote(visit_code.strip())}"
        # TRANSLATORS: two command lines to copy; {ids} is the participant's ID and the visit
        # code as typed. Translate only the words in brackets and in quotes.
        raise click.UsageError(_(
            "give either the DATE the visit was done, or --not-done with --reason "
            "(today's date is not assumed):\n"
            "  visit-scheduler record {ids} DATE        (DATE as YYYY-MM-DD)\n"
            "  visit-scheduler record {ids} --not-done --reason \"why it did not happen\"").format(ids=which))
    if not_done and day is not None:
        raise click.UsageError(_("give either the DATE the visit was done, or --not-done with "
                                 "--reason — one of the two, not both"))
    folder, who = _folder(study), _login()
    when = None if not_done else recording.parse_day(str(day), "DATE")
    outcome = _with_reason(
        lambda why: recording.record(folder, participant_id.strip(), visit_code.strip(), when, why,
                                     who, by.strip()),
        reason.strip(), _("Reason (why out of window)"))
    if not_done:
        said = _("Recorded {participant} {visit} not done ({reason})").format(
            participant=participant_id, visit=visit_code, reason=outcome.reason)
    else:
        # TRANSLATORS: {placement} says where the date falls ("in window (window … to …)").
        said = _("Recorded {participant} {visit} {date}: {placement}").format(
            participant=participant_id, visit=visit_code, date=when, placement=outcome.placed.describe())
    click.echo(said)
    if outcome.placed.status in recording.OUT_OF_WINDOW:
        click.echo("  " + _("protocol deviation, reason: {reason}").format(reason=outcome.reason))
    _report_moved(outcome)


@cli.command(help=N_("Record a withdrawal in participants.csv (withdrawal_date, withdrawal_reason, and the "
                    "category), or undo one recorded in error (--undo)."))
@click.argument("participant_id")
@click.option("--date", "day", metavar="DATE", help=N_("The withdrawal date."))
@click.option("--reason", default="", help=N_("Why the participant withdrew (with --undo: why the "
                                              "withdrawal is undone)."))
@click.option("--category", metavar="TERM",
              help=N_("The CDISC reason for non-completion (NCOMPLT), e.g. 'WITHDRAWAL BY SUBJECT', "
                      "'ADVERSE EVENT', 'LOST TO FOLLOW-UP'."))
@click.option("--undo", is_flag=True, help=N_("The withdrawal was recorded in error: undo it."))
@change_options
@lang_option
def withdraw(participant_id: str, day: str | None, reason: str, category: str | None, undo: bool,
             study: Path | None, by: str) -> None:
    from scheduler.app import recording

    folder = _folder(study)
    if undo:
        if day is not None or category is not None:
            raise click.UsageError(_("--undo takes only --reason (why the withdrawal is undone)"))
        _say(recording.undo_withdrawal(folder, participant_id.strip(), reason.strip(), _login(), by.strip()))
        return
    if day is None:
        raise click.UsageError(_("give --date DATE (the withdrawal date) and --reason"))
    if not reason.strip():
        raise click.UsageError(_("give --reason: why the participant withdrew"))
    _say(recording.withdraw(folder, participant_id.strip(), recording.parse_day(day, "--date"),
                            reason.strip(), _login(), by.strip(), category))


@cli.command(help=N_("Move a participant to a later protocol version (an amendment they re-consented to), "
                    "every participant still on study (--all), or undo a move recorded in error (--undo).\n"
                    "\n"
                    "\b\n"
                    "One:    amend ID --to VERSION --date DATE --reason …\n"
                    "All:    amend --all --to VERSION --date DATE --reason …\n"
                    "Undo:   amend ID --undo --reason …\n"
                    "New:    amend --add-version --reason …   (after adding a protocol version)"))
@click.argument("participant_id", required=False)
@click.option("--to", "version", metavar="VERSION", help=N_("The protocol version to move to, e.g. 2.0."))
@click.option("--date", "day", metavar="DATE", help=N_("The date of the move (the re-consent)."))
@click.option("--all", "everyone", is_flag=True,
              help=N_("Every participant still on study on that date whose version is earlier."))
@click.option("--undo", is_flag=True, help=N_("The participant's last move was recorded in error: undo it."))
@click.option("--add-version", "add_version", is_flag=True,
              help=N_("Record in the audit trail that a protocol version was added (protocol.toml now the new "
                      "version, the earlier one in protocols/)."))
@click.option("--reason", default="", help=N_("Why (required): the amendment and the re-consent, or why a move "
                                              "is undone."))
@change_options
@lang_option
def amend(participant_id: str | None, version: str | None, day: str | None, everyone: bool, undo: bool,
          add_version: bool, reason: str, study: Path | None, by: str) -> None:
    from scheduler.app import amending, recording

    folder = _folder(study)
    if not reason.strip():
        raise click.UsageError(_("give --reason: why the participant moves (or why the move is undone)"))
    if add_version:
        if everyone or undo or version is not None or day is not None or participant_id:
            raise click.UsageError(_("--add-version takes --reason only (the amendment and its approval)"))
        _say(amending.add_version(folder, reason.strip(), _login(), by.strip()))
        return
    if undo:
        if everyone or version is not None or day is not None or not participant_id:
            raise click.UsageError(_("--undo takes a participant ID and --reason only"))
        _say(amending.undo_amend(folder, participant_id.strip(), reason.strip(), _login(), by.strip()))
        return
    if version is None or day is None:
        raise click.UsageError(_("give --to VERSION and --date DATE (and a participant ID, or --all)"))
    if everyone == bool(participant_id):
        raise click.UsageError(_("give a participant ID or --all, not both"))
    when = recording.parse_day(day, "--date")
    if everyone:
        _say(amending.amend_all(folder, version.strip(), when, reason.strip(), _login(), by.strip()))
    else:
        _say(amending.amend(folder, str(participant_id).strip(), version.strip(), when, reason.strip(),
                            _login(), by.strip()))


@cli.command(help=N_("Correct a record; the old value stays in the audit trail, with who, when and why.\n"
                    "\n"
                    "\b\n"
                    "A visit:        correct ID VISIT DATE | --not-done | --remove [--line N] --reason …\n"
                    "A participant:  correct ID --enrollment DATE | --site SITE | --arm ARM\n"
                    "                | --withdrawal DATE | --withdrawal-reason TEXT\n"
                    "                | --withdrawal-category TERM | --sex M|F|U | --age N\n"
                    "                | --consent-date DATE --reason …\n"
                    "Enrolled in error: correct ID --remove --reason …"))
@click.argument("participant_id")
@click.argument("visit_code", required=False)
@click.argument("day", metavar="[DATE]", required=False)
@click.option("--not-done", is_flag=True, help=N_("Correct it to a visit that did not happen."))
@click.option("--remove", is_flag=True,
              help=N_("With VISIT: a record entered in error, removed. Without: a participant "
                      "enrolled in error, removed with their visit records. The trail keeps them."))
@click.option("--line", type=click.IntRange(2), metavar="N",
              help=N_("Which of two records of the visit: its line in the visits file."))
@click.option("--enrollment", metavar="DATE", help=N_("The corrected enrollment date."))
@click.option("--site", metavar="SITE", help=N_("The corrected site (the SDTM USUBJID changes)."))
@click.option("--arm", metavar="ARM", help=N_("The corrected arm: a code of the protocol's [[arms]], or \"\" "
                                              "for not yet assigned (the visits it moves are said)."))
@click.option("--withdrawal", metavar="DATE", help=N_("The corrected withdrawal date."))
@click.option("--withdrawal-reason", metavar="TEXT", help=N_("The corrected withdrawal reason."))
@click.option("--withdrawal-category", metavar="TERM", help=N_("The corrected CDISC NCOMPLT category."))
@click.option("--sex", metavar="M|F|U", help=N_("The corrected sex: M, F or U."))
@click.option("--age", metavar="N", help=N_("The corrected age at enrollment, in whole years."))
@click.option("--consent-date", "consent", metavar="DATE", help=N_("The corrected date of the informed consent."))
@click.option("--reason", default="", help=N_("Why the record is corrected (kept in the audit trail; "
                                              "required)."))
@click.option("--visit-reason", default="",
              help=N_("The visit's own reason (why out of window, or not done), when it needs one."))
@click.option("--date", "on", metavar="OLD",
              help=N_("An unscheduled visit's record, named by the date it has (a participant may have "
                      "several): correct ID UNS NEWDATE --date OLD, or --remove."))
@change_options
@lang_option
def correct(participant_id: str, visit_code: str | None, day: str | None, not_done: bool, remove: bool,
            line: int | None, enrollment: str | None, site: str | None, arm: str | None, withdrawal: str | None,
            withdrawal_reason: str | None, withdrawal_category: str | None, sex: str | None,
            age: str | None, consent: str | None, reason: str, visit_reason: str, on: str | None,
            study: Path | None, by: str) -> None:
    from scheduler.app import recording

    if not reason.strip():
        raise click.UsageError(_("give --reason: why the record is corrected (it is kept in the audit trail)"))
    folder, who, why, on_behalf = _folder(study), _login(), reason.strip(), by.strip()
    participant_id = participant_id.strip()
    roster_values = (enrollment, site, arm, withdrawal, withdrawal_reason, withdrawal_category, sex, age,
                     consent)
    if visit_code is None:
        if not_done or line is not None or visit_reason:
            raise click.UsageError(_("--not-done, --line and --visit-reason go with a VISIT"))
        if remove:
            if any(value is not None for value in roster_values):
                raise click.UsageError(_("--remove takes the participant out: give no other value"))
            _say(recording.remove_participant(folder, participant_id, why, who, on_behalf))
            return
        if all(value is None for value in roster_values):
            raise click.UsageError(_("say what to correct: a VISIT and its DATE, or --enrollment, --site, "
                                     "--arm, --withdrawal, --withdrawal-reason, --withdrawal-category, "
                                     "--sex, --age, --consent-date, or --remove"))
        _say(recording.correct_participant(
            folder, participant_id, why, who, on_behalf,
            enrollment=recording.parse_day(enrollment, "--enrollment") if enrollment else None,
            site=site, withdrawal=recording.parse_day(withdrawal, "--withdrawal") if withdrawal else None,
            withdrawal_reason=withdrawal_reason, withdrawal_category=withdrawal_category, sex=sex, age=age,
            consent=recording.parse_day(consent, "--consent-date") if consent is not None else None,
            arm=arm))
        return
    if any(value is not None for value in roster_values):
        raise click.UsageError(_("--enrollment, --site, --sex, --age, --consent-date and the withdrawal "
                                 "options correct the participant: give them without a VISIT"))
    if on is not None:
        # An unscheduled visit's record, named by its date (a participant may have several).
        if not_done:
            raise click.UsageError(_("--date names an unscheduled visit's record: give no --not-done"))
        if remove and day is not None:
            raise click.UsageError(_("--remove takes the record out: give no DATE and no --not-done"))
        _say(recording.correct_unscheduled(
            folder, participant_id, visit_code.strip(), recording.parse_day(on, "--date"),
            recording.parse_day(str(day), "DATE") if day is not None else None, why, who, visit_reason.strip(),
            on_behalf, remove=remove, line=line))
        return
    if remove:
        if day is not None or not_done:
            raise click.UsageError(_("--remove takes the record out: give no DATE and no --not-done"))
        _say(recording.remove_visit(folder, participant_id, visit_code.strip(), why, who, on_behalf, line))
        return
    if not_done and day is not None:
        raise click.UsageError(_("give either the corrected DATE, or --not-done — one of the two, "
                                 "not both"))
    if not not_done and day is None:
        raise click.UsageError(_("give the corrected DATE (the date it has, to add or change only the "
                                 "visit's reason with --visit-reason), or --not-done, or --remove"))
    when = None if not_done else recording.parse_day(str(day), "DATE")
    outcome = _with_reason(
        lambda visit_why: recording.correct(folder, participant_id, visit_code.strip(), when, why, who,
                                            visit_why, on_behalf, line),
        visit_reason.strip(), _("The visit's reason (why out of window, or not done)"))
    if not_done:
        said = _("Corrected {participant} {visit} to not done").format(participant=participant_id,
                                                                       visit=visit_code)
    else:
        # TRANSLATORS: {placement} says where the date falls ("in window (window … to …)").
        said = _("Corrected {participant} {visit} to {date}: {placement}").format(
            participant=participant_id, visit=visit_code, date=when, placement=outcome.placed.describe())
    click.echo(said)
    _report_moved(outcome)


@cli.command(help=N_("The audit trail (audit.csv): every change, who made it, when, old and new value, why "
                    "— for one participant or a range of days, on the terminal or as a file."))
@click.argument("participant_id", required=False)
@click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
              help=STUDY_HELP)
@click.option("--from", "start", callback=date_option, metavar="DATE",
              help=N_("Only changes made on or after this day (study time)."))
@click.option("--to", "end", callback=date_option, metavar="DATE",
              help=N_("Only changes made on or before this day (study time)."))
@output_option(".csv", ".xlsx", ".json")
@lang_option
def audit(participant_id: str | None, study: Path | None, start: np.datetime64 | None,
          end: np.datetime64 | None, output: Path | None) -> None:
    from scheduler.app.recording import audit_table
    from scheduler.outputs.terminal import render

    participant_id = participant_id.strip() if participant_id else None
    with speaking() as messages:
        shown, title = audit_table(_folder(study), participant_id, start, end, output, messages)
    if shown is not None:
        click.echo(render(shown, title, colour_column=None))


@cli.command(help=N_("Replay the audit trail from its baseline and compare it with the study files: does "
                    "the trail explain them? Exit 0 when it does, 1 when it does not (every difference named).\n"
                    "\n"
                    "Prints the trail's head (line count, last hash): keep it outside the folder."))
@click.option("--study", "study", type=click.Path(path_type=Path, file_okay=False),
              help=STUDY_HELP)
@click.option("--accept", is_flag=True,
              help=N_("Record every difference found as a change made outside the tool (give --reason)."))
@click.option("--reason", default="", help=N_("With --accept: why the outside changes are accepted."))
@click.option("--yes", is_flag=True, help=N_("With --accept at a terminal: do not ask first."))
@lang_option
def verify(study: Path | None, accept: bool, reason: str, yes: bool) -> None:
    from scheduler.app import verify as proof

    folder = _folder(study)
    if accept and not reason.strip():
        raise click.UsageError(_("give --reason: why the changes made outside the tool are accepted"))
    if (reason or yes) and not accept:
        raise click.UsageError(_("--reason and --yes go with --accept"))
    with speaking() as messages:
        result = proof.verify(folder, messages)
    for line in result.lines:
        click.echo(line)
    if accept and not result.explained:
        if at_terminal() and not yes and not click.confirm(_("Record these differences in the audit trail?")):
            raise ChangeRefused(_("nothing was recorded"))
        with speaking() as messages:
            lines = proof.accept(folder, reason.strip(), _login(), messages)
        for line in lines:
            click.echo(line)
        sys.exit(0)
    sys.exit(0 if result.explained else 1)
