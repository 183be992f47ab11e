"""init, protocol, schedule, check, due, status: the study as it stands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.cli.base import (
    STUDY_HELP,
    as_of_option,
    cli,
    lang_option,
    output_option,
    pass_options,
    pass_studies,
    show,
    speaking,
    studies_options,
    study_options,
    unknown_language,
)
from scheduler.errors import OptionError
from scheduler.i18n import N_, language_named

if TYPE_CHECKING:
    import numpy as np

    from scheduler.app.study import StudyOptions


@cli.command(help=N_("Make a new study folder FOLDER: protocol.toml (the built-in NCT01143168 plan, to "
                    "edit) and empty participants.csv and visits.csv with their headers."))
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--protocol-language", metavar="LANG",
              help=N_("Write [study] language = LANG into the new protocol.toml (en or zh-CN): the "
                      "language people read for this study."))
@lang_option
def init(folder: Path, protocol_language: str | None) -> None:
    from scheduler.app.plan import init as make

    language = None
    if protocol_language is not None:
        language = language_named(protocol_language)
        if language is None:
            raise OptionError(unknown_language(protocol_language, "--protocol-language"))
    for line in make(folder, language):
        click.echo(line)


@cli.command(help=N_('Show the visit plan as a table ("Day 7 ± 1 from D0") after checking the protocol '
                    "file; every problem in it is explained (exit 2)."))
@click.option("--protocol", type=click.Path(path_type=Path, dir_okay=False),
              help=N_("Protocol file to check and show (default: the study folder's "
                      "protocol.toml, else the built-in NCT01143168 protocol)."))
@click.option("--study", type=click.Path(path_type=Path, file_okay=False),
              help=STUDY_HELP)
@click.option("--diff", nargs=2, metavar="OLD NEW",
              help=N_("Show what changed between two protocol versions (visits added or dropped, "
                      "targets moved, windows widened or narrowed), e.g. --diff 1.0 2.0."))
@lang_option
def protocol(protocol: Path | None, study: Path | None, diff: tuple[str, str] | None) -> None:
    from scheduler.app.plan import protocol_diff, protocol_plan

    with speaking() as messages:
        lines = (protocol_diff(protocol, study, diff[0].strip(), diff[1].strip()) if diff
                 else protocol_plan(protocol, study, messages))
    for line in lines:
        click.echo(line)


@cli.command(help=N_("Every participant's visit windows: target date and window, per visit.\n"
                    "\n"
                    "When a visits file is present, windows anchored on a visit move with that visit's "
                    "actual date (a late Day 0 moves Day 7, Day 14 …)."))
@study_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@pass_options
@lang_option
def schedule(options: StudyOptions, as_of: np.datetime64 | None, output: Path | None) -> None:
    from scheduler.app import tables

    with speaking() as messages:
        result = tables.schedule(options, as_of, output, messages)
    show(result)


@cli.command(help=N_("Every expected visit's status as of a date: in_window, early, late, missed, due, "
                    "upcoming or withdrawn, with days outside the window and the recorded reason.\n"
                    "\n"
                    "Data problems in the visits file are listed on standard error and do not stop the "
                    "check; the exit code is then 1."))
@studies_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@click.option("--deviations-only", is_flag=True, help=N_("Only early, late and missed visits."))
@click.option("--fail-on-deviation", is_flag=True,
              help=N_("Exit 1 when there is any deviation (for scripts)."))
@pass_studies
@lang_option
def check(studies: list[StudyOptions], several: bool, as_of: np.datetime64 | None,
          output: Path | None, deviations_only: bool, fail_on_deviation: bool) -> None:
    from scheduler.app import several as many
    from scheduler.app import tables

    with speaking() as messages:
        if several:
            result = many.check(studies, as_of, output, deviations_only, fail_on_deviation, messages)
        else:
            result = tables.check(studies[0], as_of, output, deviations_only, fail_on_deviation, messages)
    show(result)


@cli.command(help=N_("The worklist: visits not yet done whose window is open, or opens within --days days, "
                    "most urgent first (the window that closes soonest), with days left."))
@studies_options
@as_of_option
@output_option(".csv", ".xlsx", ".json")
@click.option("--days", default=14, show_default=True, type=click.IntRange(0, 3660),
              help=N_("Also list windows that open within this many days."))
@pass_studies
@lang_option
def due(studies: list[StudyOptions], several: bool, as_of: np.datetime64 | None, output: Path | None,
        days: int) -> None:
    from scheduler.app import several as many
    from scheduler.app import tables

    with speaking() as messages:
        if several:
            result = many.due(studies, as_of, output, days, messages)
        else:
            result = tables.due(studies[0], as_of, output, days, messages)
    show(result)


@cli.command(help=N_("One participant's year at a glance: every visit, its window, the actual date, status "
                    "and reason."))
@click.argument("participant_id")
@study_options
@as_of_option
@pass_options
@lang_option
def status(options: StudyOptions, participant_id: str, as_of: np.datetime64 | None) -> None:
    from scheduler.app import tables

    with speaking() as messages:
        result = tables.status(options, participant_id.strip(), as_of, messages)
    show(result)
