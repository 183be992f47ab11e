"""plan: the visit plan on paper, for the nurse to print and keep with the participant's file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.cli.base import as_of_option, cli, lang_option, pass_options, speaking, study_options
from scheduler.i18n import N_, _

if TYPE_CHECKING:
    import numpy as np

    from scheduler.app.study import StudyOptions

PLAN_FORMATS = (".pdf", ".html")


@cli.command(help=N_("One participant's visit plan, to print on one A4 page: the study, the participant's "
                    "ID and site, the enrollment date, and for every visit what is done, the target date, "
                    "the window, a suggested clinic day (on or after the as-of date) and, once done, the "
                    "actual date and status; a line to write the booked date and time on.\n"
                    "\n"
                    "PDF (fonts embedded) or HTML (prints from any browser without a header or footer). "
                    "Only the participant's ID is written: no other roster column (a name, a phone) leaves "
                    "the study folder. A plan is for paper, so -o is required; `visit-scheduler status ID` "
                    "shows the same on the screen."))
@click.argument("participant_id", metavar="[ID]", required=False)
@study_options
@as_of_option
@click.option("--all", "everyone", is_flag=True,
              help=N_("Every participant in the roster: one file each, DIR/ID.pdf (or .html), in the "
                      "folder -o names (created if needed; replaced as one set)."))
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="FILE|DIR",
              help=N_("FILE.pdf or FILE.html (the extension picks the format); with --all, the folder."))
@click.option("--format", "file_format", type=click.Choice(["pdf", "html"]),
              help=N_("With --all: the files' format (default: pdf)."))
@pass_options
@lang_option
def plan(options: StudyOptions, participant_id: str | None, as_of: np.datetime64 | None,
         everyone: bool, output: Path | None, file_format: str | None) -> None:
    from scheduler.app import paper

    if everyone and participant_id is not None:
        raise click.UsageError(_("give an ID or --all, not both (--all writes every participant's plan)"))
    if not everyone and participant_id is None:
        raise click.UsageError(_("give the participant's ID (visit-scheduler plan 007 -o plan-007.pdf), "
                                 "or --all -o DIR for everyone's"))
    if output is None:
        if everyone:
            raise click.UsageError(_("a plan is for paper: give -o DIR — "
                                     "visit-scheduler status ID shows the plan on the screen"))
        raise click.UsageError(_("a plan is for paper: give -o plan-{participant}.pdf (or .html) — "
                                 "visit-scheduler status ID shows the plan on the screen")
                               .format(participant=participant_id))
    if not everyone:
        if file_format is not None:
            raise click.UsageError(_("--format goes with --all; for one participant the extension of "
                                     "-o picks the format (.pdf or .html)"))
        if output.suffix.lower() not in PLAN_FORMATS:
            raise click.BadParameter(_("'{value}': the extension picks the format; use .pdf or .html")
                                     .format(value=output), param_hint="'-o' / '--output'")
    with speaking() as messages:
        code = paper.plan(options, participant_id if not everyone else None, as_of, output,
                          file_format or "pdf", messages)
    sys.exit(code)
