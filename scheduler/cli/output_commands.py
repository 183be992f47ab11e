"""calendar, report, export sdtm: files for Outlook, the investigator and the sponsor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.cli.base import (
    as_date,
    as_of_option,
    cli,
    date_option,
    lang_option,
    output_option,
    pass_options,
    pass_studies,
    speaking,
    studies_options,
    study_options,
)
from scheduler.i18n import N_, _

if TYPE_CHECKING:
    import numpy as np

    from scheduler.app.study import StudyOptions


def _ics_only(value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() != ".ics":
        raise click.BadParameter(_("'{value}': a calendar file ends in .ics").format(value=value))
    return value


@cli.command(help=N_("Calendar files (.ics) for Outlook: one all-day event per visit window.\n"
                    "\n"
                    "Each export of the same visit keeps the same identity (UID); SEQUENCE counts its "
                    "changes (kept in calendar-state.json in the study folder). Only participant IDs and "
                    "visit information are written."))
@studies_options
@as_of_option
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.ics",
              callback=lambda ctx, param, value: _ics_only(value),
              help=N_("One calendar for the whole site: a calendar of its own in Outlook."))
@click.option("--split", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help=N_("One file per participant, DIR/ID.ics, for the nurse's own calendar."))
@click.option("--participant", "participant_ids", multiple=True, metavar="ID",
              help=N_("Only this participant (repeat for several; STUDY/ID with several studies)."))
@click.option("--remind-days", default=1, show_default=True, type=click.IntRange(0, 60),
              help=N_("Reminder at 09:00 this many days before a window opens (visits still to do)."))
@pass_studies
@lang_option
def calendar(studies: list[StudyOptions], several: bool, as_of: np.datetime64 | None,
             output: Path | None, split: Path | None, participant_ids: tuple[str, ...],
             remind_days: int) -> None:
    from scheduler.app import files

    if output is None and split is None:
        raise click.UsageError(_("give -o FILE.ics (the whole site) or --split DIR (one file per "
                                 "participant), or both"))
    from scheduler.app import several as many

    with speaking() as messages:
        if several:
            code = many.calendar(studies, as_of, output, split, participant_ids, remind_days, messages)
        else:
            code = files.calendar(studies[0], as_of, output, split, participant_ids, remind_days, messages)
    sys.exit(code)


@cli.command(help=N_("The weekly deviation report for the investigator and the monitor: summary figures, "
                    "this week's deviations, every deviation to date, visits due in the next 14 days, "
                    "compliance per participant and a timeline of everyone's year.\n"
                    "\n"
                    "HTML (self-contained, prints on A4 landscape), Excel, CSV (the list of deviations) or "
                    "Markdown (without -o, on the terminal)."))
@study_options
@click.option("--week", metavar="YYYY-Www",
              help=N_("The ISO week to report, e.g. 2010-W37; the report is as of the Monday after it."))
@click.option("--as-of", "as_of", callback=date_option, metavar="DATE",
              help=N_("Report the last complete week before DATE, as of DATE (default: today in "
                      "the study's time zone)."))
@output_option(".html", ".xlsx", ".csv", ".md")
@pass_options
@lang_option
def report(options: StudyOptions, week: str | None, as_of: np.datetime64 | None,
           output: Path | None) -> None:
    from scheduler.app import files

    with speaking() as messages:
        text, code = files.report(options, week, as_date(as_of), output, messages)
    if text is not None:
        click.echo(text)
    sys.exit(code)


@cli.group(help=N_("Standard exports for the sponsor's data manager."))
@lang_option
def export() -> None:
    pass


@export.command("sdtm", help=N_("CDISC SDTM (SDTMIG 3.4) into DIR, with define.xml 2.1: the trial design "
                               "(TS, TA, TE, TV, TI) and the participants (DM, SE, DS, SV, DV, SUPPDV) as of "
                               "the date. Study days follow SDTM: no day 0, the actual date of the "
                               "protocol's Day 0 visit is day 1."))
@study_options
@as_of_option
@click.option("-o", "--output", "folder", required=True, metavar="DIR",
              type=click.Path(path_type=Path, file_okay=False),
              help=N_("The folder to write the datasets and define.xml into (created if needed)."))
@click.option("--format", "file_format", type=click.Choice(["csv", "xpt", "dataset-json"]), default="csv",
              show_default=True,
              help=N_("CSV, SAS transport version 5 (.xpt) or Dataset-JSON 1.1 (.json)."))
@pass_options
@lang_option
def export_sdtm(options: StudyOptions, as_of: np.datetime64 | None, folder: Path,
                file_format: str) -> None:
    from scheduler.app import files

    with speaking() as messages:
        code = files.export_sdtm(options, as_of, folder, file_format, messages)
    sys.exit(code)
