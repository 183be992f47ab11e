"""init, protocol, schedule, check, due, status: the study as it stands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scheduler.cli.base import (MAX_LISTED_WARNINGS, as_of_option, cli, echo_or_write, load,
                                output_option, pass_options, report_problems, resolve_inputs,
                                study_options, suggestions, warn_reason_missing,
                                with_reason_missing)
from scheduler.errors import EXIT_DATA_PROBLEMS, EXIT_OK, OptionError


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def init(folder: Path) -> None:
    """Make a new study folder FOLDER: protocol.toml (the built-in NCT01143168 plan, to
    edit) and empty participants.csv and visits.csv with their headers."""
    from scheduler.studyfolder import init_folder

    from scheduler.studyfolder import label

    for written in init_folder(folder):
        click.echo(f"Wrote {written}")
    click.echo(f"Next: enroll participants (visit-scheduler enroll 001 --date YYYY-MM-DD --study "
               f"{label(folder)}) or type them into {label(folder / 'participants.csv')}, then run "
               f"'visit-scheduler schedule --study {label(folder)}'.")


@cli.command()
@click.option("--protocol", type=click.Path(path_type=Path, dir_okay=False),
              help="Protocol file to check and show (default: the study folder's "
                   "protocol.toml, else the built-in NCT01143168 protocol).")
@click.option("--study", type=click.Path(path_type=Path, file_okay=False),
              help="The study folder (default: the current folder).")
def protocol(protocol: Path | None, study: Path | None) -> None:
    """Show the visit plan as a table ("Day 7 ± 1 from D0") after checking the protocol
    file; every problem in it is explained (exit 2)."""
    from scheduler.protocol import ENROLLMENT
    from scheduler.errors import ProtocolError
    from scheduler.protocol import country_problem, load_protocol_for

    inputs = resolve_inputs(study, protocol, None, None)
    plan = load_protocol_for(inputs)
    problem = country_problem(plan)
    if problem is not None:
        raise ProtocolError(f"{plan.source}: the protocol file cannot be used: 1 problem", [problem])
    for warning in plan.order_warnings():
        click.echo(f"Warning: {plan.source}: {warning}", err=True)
    rows = [("code", "visit", "when", "anchor", "window", "kind")]
    for visit in plan.visits:
        anchor = "enrollment" if visit.anchor == ENROLLMENT else visit.anchor
        width = visit.minus + visit.plus + 1
        rows.append((visit.code, visit.name, visit.timing, anchor,
                     f"{width} day{'s' if width > 1 else ''}", visit.kind))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    click.echo(f"{plan.study_id}: {len(plan.visits)} visits, time zone {plan.timezone}, "
               f"Day 0 = {plan.day0} ({plan.source})")
    for number, row in enumerate(rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if number == 0:
            click.echo("  ".join("-" * width for width in widths))


@cli.command()
@study_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@pass_options
def schedule(options: dict[str, Any], as_of: Any, output: Path | None) -> None:
    """Every participant's visit windows: target date and window, per visit.

    When a visits file is present, windows anchored on a visit move with that visit's
    actual date (a late Day 0 moves Day 7, Day 14 …)."""
    from scheduler.schedule import SCHEDULE_COLUMNS
    from scheduler.status import compute_check

    study = load(options, as_of)
    if output is not None:
        study.guard_output(output)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    table["suggested_date"] = suggestions(study, table)
    columns = list(SCHEDULE_COLUMNS) + ["suggested_date"]
    if study.visits_label is not None:
        columns.append("as_of")
    code = report_problems(study, needs_visits=False)
    title = f"Schedule, {study.protocol.study_id}" + (
        f", re-anchored on visits recorded up to {study.as_of}" if study.visits_label else "")
    echo_or_write(table[columns], output, title, "Schedule", colour_column=None)
    sys.exit(code)


@cli.command()
@study_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@click.option("--deviations-only", is_flag=True, help="Only early, late and missed visits.")
@click.option("--fail-on-deviation", is_flag=True,
              help="Exit 1 when there is any deviation (for scripts).")
@pass_options
def check(options: dict[str, Any], as_of: Any, output: Path | None, deviations_only: bool,
          fail_on_deviation: bool) -> None:
    """Every expected visit's status as of a date: in_window, early, late, missed, due,
    upcoming or withdrawn, with days outside the window and the recorded reason.

    Data problems in the visits file are listed on standard error and do not stop the
    check; the exit code is then 1."""
    from scheduler.status import CHECK_COLUMNS, DEVIATIONS, compute_check

    study = load(options, as_of)
    if output is not None:
        study.guard_output(output)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    code = report_problems(study)
    is_deviation = table["status"].isin(DEVIATIONS)
    count = int(is_deviation.sum())
    if deviations_only:
        table = table[is_deviation]
    table = table.reset_index(drop=True)
    warn_reason_missing(table)
    if output is None:
        shown = with_reason_missing(table)[list(CHECK_COLUMNS[:-1])]
        title = (f"{study.protocol.study_id}: as of {study.as_of}, {count} deviation"
                 f"{'s' if count != 1 else ''} in {len(is_deviation)} expected visits")
        echo_or_write(shown, None, title, "Check")
    else:
        echo_or_write(table, output, "", "Check", highlight=table["status"].isin(DEVIATIONS))
    if code == EXIT_OK and fail_on_deviation and count:
        code = EXIT_DATA_PROBLEMS
    sys.exit(code)


@cli.command()
@study_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@click.option("--days", default=14, show_default=True, type=click.IntRange(0, 3660),
              help="Also list windows that open within this many days.")
@pass_options
def due(options: dict[str, Any], as_of: Any, output: Path | None, days: int) -> None:
    """The worklist: visits not yet done whose window is open, or opens within --days
    days, most urgent first (the window that closes soonest), with days left."""
    from scheduler.status import compute_check, due_list, overdue, withdrawal_per_row

    study = load(options, as_of)
    if output is not None:
        study.guard_output(output)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    code = report_problems(study)
    import numpy as np

    horizon = np.datetime64(study.as_of, "D") + np.timedelta64(days, "D")
    on_list = ((table["window_open"].to_numpy().astype("M8[D]") <= horizon)
               & (table["window_close"].to_numpy().astype("M8[D]") >= np.datetime64(study.as_of, "D")))
    table["suggested_date"] = suggestions(study, table, not_before=study.as_of, warn_rows=on_list)
    worklist = due_list(table, study.as_of, days,
                        withdrawal_per_row(study.participants, len(study.protocol.visits)))
    late = overdue(table)
    if len(late):
        named = ", ".join(f"{row.participant_id} {row.visit_code}"
                          for row in late.head(MAX_LISTED_WARNINGS).itertuples())
        more = len(late) - MAX_LISTED_WARNINGS
        click.echo(f"Note: {len(late)} missed visit{'s' if len(late) != 1 else ''} with nothing "
                   f"recorded (not on this list): {named}{f' and {more} more' if more > 0 else ''} "
                   "— record the date it was done, or why it did not happen "
                   "(visit-scheduler check --deviations-only)", err=True)
    if output is None:
        shown = worklist.drop(columns=["as_of"])
        title = (f"Due as of {study.as_of} (windows open now or within {days} days): "
                 f"{len(worklist)} visit{'s' if len(worklist) != 1 else ''}")
        echo_or_write(shown, None, title, "Due")
    else:
        echo_or_write(worklist, output, "", "Due")
    sys.exit(code)


@cli.command()
@click.argument("participant_id")
@study_options
@as_of_option
@pass_options
def status(options: dict[str, Any], participant_id: str, as_of: Any) -> None:
    """One participant's year at a glance: every visit, its window, the actual date,
    status and reason."""
    from scheduler.status import DEVIATIONS, compute_check

    participant_id = participant_id.strip()
    study = load(options, as_of)
    roster = study.participants
    match = roster[roster["participant_id"] == participant_id]
    if not len(match):
        close = [pid for pid in roster["participant_id"]
                 if pid.lstrip("0") == participant_id.lstrip("0")
                 or pid.casefold() == participant_id.casefold()]
        hint = f"did you mean {close[0]}?" if close else "check the ID in the participants file"
        raise OptionError(f"participant '{participant_id}' is not in {study.participants_label} — {hint}")
    table = compute_check(study.protocol, match.reset_index(drop=True),
                          study.records.of_participant(int(match.index[0])), study.as_of)
    table["suggested_date"] = suggestions(study, table)
    code = report_problems(study, participant_id)
    person = match.iloc[0]
    click.echo(f"Participant {participant_id} — {study.protocol.study_id}, as of {study.as_of}")
    click.echo(f"  enrolled {str(person['enrollment_date'])[:10]}"
               + (f", site {person['site']}" if person["site"] else ""))
    if str(person["withdrawal_date"]) != "NaT":
        reason = person["withdrawal_reason"] or "reason not recorded"
        click.echo(f"  withdrew {str(person['withdrawal_date'])[:10]} ({reason})")
    counts = table["status"].astype(object).value_counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in counts.index)
    deviations = int(table["status"].isin(DEVIATIONS).sum())
    click.echo(f"  {len(table)} visits: {summary}; {deviations} deviation{'s' if deviations != 1 else ''}")
    click.echo("")
    shown = with_reason_missing(table)[["visit_code", "visit_name", "target_date", "window_open",
                                         "window_close", "suggested_date", "actual_date", "status",
                                         "days_outside", "reason"]]
    from scheduler.outputs.terminal import render

    click.echo(render(shown))
    sys.exit(code)
