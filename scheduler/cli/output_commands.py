"""calendar, report, export sdtm: files for Outlook, the investigator and the sponsor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scheduler.cli.base import (as_of_option, cli, clinic_day_notes, date_option, load, site_label,
                                output_option, pass_options, report_problems, resolve_inputs,
                                study_options, suggestions, suggestions_and_gaps,
                                warn_reason_missing)
from scheduler.errors import OptionError


@cli.command()
@study_options
@as_of_option
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.ics",
              callback=lambda ctx, param, value: _ics_only(value),
              help="One calendar for the whole site: a calendar of its own in Outlook.")
@click.option("--split", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="One file per participant, DIR/ID.ics, for the nurse's own calendar.")
@click.option("--participant", "participant_ids", multiple=True, metavar="ID",
              help="Only this participant (repeat for several).")
@click.option("--remind-days", default=1, show_default=True, type=click.IntRange(0, 60),
              help="Reminder at 09:00 this many days before a window opens (visits still to do).")
@pass_options
def calendar(options: dict[str, Any], as_of: Any, output: Path | None, split: Path | None,
             participant_ids: tuple[str, ...], remind_days: int) -> None:
    """Calendar files (.ics) for Outlook: one all-day event per visit window.

    Each export of the same visit keeps the same identity (UID); SEQUENCE counts its changes
    (kept in calendar-state.json in the study folder). Only participant IDs and visit
    information are written."""
    import datetime as dt

    from scheduler.calendars import STATE_FILE, build_events, write_calendars
    from scheduler.status import compute_check
    from scheduler.studyfolder import label

    if output is None and split is None:
        raise click.UsageError("give -o FILE.ics (the whole site) or --split DIR (one file per "
                               "participant), or both")
    study = load(options, as_of)
    if output is not None:
        study.guard_output(output)
    roster = study.participants
    if participant_ids:
        unknown = [pid for pid in participant_ids if pid not in set(roster["participant_id"])]
        if unknown:
            raise OptionError(f"--participant {unknown[0]}: not in {study.participants_label} — "
                              "check the ID (IDs are compared as text: 007 is not 7)")
    table = compute_check(study.protocol, roster, study.records, study.as_of)
    if participant_ids:
        table = table[table["participant_id"].isin(participant_ids)].reset_index(drop=True)
    table["suggested_date"] = suggestions(study, table)
    code = report_problems(study)
    events = build_events(study.protocol, table, study.as_of, remind_days)
    folder = options["study"] or Path(".")
    site = site_label(study)
    where = f" (site{'s' if ', ' in site else ''} {site})" if site else ""
    # A file of chosen participants goes into the nurse's own calendar: no calendar name.
    name = None if participant_ids else f"{study.protocol.study_id} visits{where}"
    written, notes = write_calendars(events, folder / STATE_FILE, dt.datetime.now(dt.timezone.utc),
                                     study.as_of, remind_days, output, split, name)
    for note in notes:
        click.echo(f"Warning: {note}", err=True)
    if output is not None:
        click.echo(f"Wrote {label(output)} ({len(events)} events)", err=True)
    if split is not None:
        count = len(written) - (1 if output is not None else 0)
        click.echo(f"Wrote {count} participant calendar{'s' if count != 1 else ''} in {label(split)}",
                   err=True)
    sys.exit(code)


def _ics_only(value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() != ".ics":
        raise click.BadParameter(f"'{value}': a calendar file ends in .ics")
    return value


@cli.command()
@study_options
@click.option("--week", metavar="YYYY-Www",
              help="The ISO week to report, e.g. 2010-W37; the report is as of the Monday after it.")
@click.option("--as-of", "as_of", callback=date_option, metavar="DATE",
              help="Report the last complete week before DATE, as of DATE (default: today in "
                   "the study's time zone).")
@output_option(".html", ".xlsx", ".csv", ".md")
@pass_options
def report(options: dict[str, Any], week: str | None, as_of: Any, output: Path | None) -> None:
    """The weekly deviation report for the investigator and the monitor: summary figures,
    this week's deviations, every deviation to date, visits due in the next 14 days,
    compliance per participant and a timeline of everyone's year.

    HTML (self-contained, prints on A4 landscape), Excel, CSV (the list of deviations) or
    Markdown (without -o, on the terminal)."""
    import datetime as dt

    import numpy as np
    import pendulum

    from scheduler import report as weekly
    from scheduler.outputs.report_files import write_report
    from scheduler.status import compute_check
    from scheduler.studyfolder import label

    inputs = resolve_inputs(options["study"], options["protocol"], options["participants"],
                     options["visits"])
    from scheduler.protocol import load_protocol_for

    protocol = load_protocol_for(inputs)
    today = pendulum.now(protocol.timezone).date()
    chosen, report_as_of = weekly.reporting_week(
        week, None if as_of is None else dt.date.fromisoformat(str(as_of)), today)
    study = load(options, np.datetime64(report_as_of, "D"))
    if output is not None:
        study.guard_output(output)
    check_table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    check_table["suggested_date"], gaps = suggestions_and_gaps(study, check_table, not_before=study.as_of)
    code = report_problems(study)
    warn_reason_missing(check_table)
    sources = [weekly.checksum("protocol", study.protocol_label, inputs.protocol,
                               None if inputs.protocol else _built_in_text())]
    sources.append(weekly.checksum("participants", study.participants_label, inputs.participants))
    if inputs.visits is not None:
        sources.append(weekly.checksum("visits", study.visits_label, inputs.visits))
    clinic = study.protocol.clinic
    if clinic is not None and clinic.closures is not None and clinic.closures.exists():
        sources.append(weekly.checksum("clinic closures", label(clinic.closures), clinic.closures))
    site = site_label(study)
    made_at = pendulum.now(study.protocol.timezone).format("YYYY-MM-DD HH:mm Z")
    result = weekly.build_report(
        check_table, study.participants, len(study.protocol.visits), chosen, report_as_of,
        study_id=study.protocol.study_id, title=study.protocol.title, site=site, made_at=made_at,
        sources=tuple(sources), notes=tuple(clinic_day_notes(gaps)))
    picture = None
    if output is not None and output.suffix.lower() in (".html", ".xlsx"):
        from scheduler.outputs.timeline import png_bytes, timeline_figure

        picture = png_bytes(timeline_figure(result.check, chosen.monday, chosen.sunday, report_as_of))
    text = write_report(result, output, picture)
    if text is not None:
        click.echo(text)
    else:
        click.echo(f"Wrote {label(output)} ({chosen.name}, as of {report_as_of}, "
                   f"{len(result.all_deviations)} deviations)", err=True)
    sys.exit(code)


def _built_in_text() -> str:
    from scheduler.protocol import built_in_text

    return built_in_text()


@cli.group()
def export() -> None:
    """Standard exports for the sponsor's data manager."""


@export.command("sdtm")
@study_options
@as_of_option
@click.option("-o", "--output", "folder", required=True, metavar="DIR",
              type=click.Path(path_type=Path, file_okay=False),
              help="The folder to write TV, SV and DV into (created if needed).")
@click.option("--format", "file_format", type=click.Choice(["csv", "xpt"]), default="csv",
              show_default=True, help="CSV, or SAS transport version 5 (.xpt).")
@pass_options
def export_sdtm(options: dict[str, Any], as_of: Any, folder: Path, file_format: str) -> None:
    """CDISC SDTM TV (trial visits), SV (subject visits done or missed as of the date) and
    DV (protocol deviations) into DIR. Study days follow SDTM: no day 0, the actual date of
    the protocol's Day 0 visit is day 1."""
    from scheduler import sdtm
    from scheduler.status import compute_check
    from scheduler.studyfolder import label

    study = load(options, as_of)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of)
    code = report_problems(study)
    domains = sdtm.build(study.protocol, table, study.participants)
    if file_format == "xpt":
        for note in sdtm.transport_warnings(domains):
            click.echo(f"Warning: {note}", err=True)
    written = sdtm.write(domains, folder, file_format)
    click.echo(f"Wrote {', '.join(label(path) for path in written)} "
               f"({len(domains['SV'])} subject visit{'s' if len(domains['SV']) != 1 else ''}, "
               f"{len(domains['DV'])} deviation{'s' if len(domains['DV']) != 1 else ''}, as of "
               f"{study.as_of})", err=True)
    sys.exit(code)
