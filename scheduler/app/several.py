"""Several studies at once (PRODUCT.md, "Several studies"): `due`, `check` and `calendar`
for a nurse who works on more than one trial.

The studies are named with `--study A --study B`, or by a site folder (a folder holding
neither participants.csv nor protocol.toml, whose subfolders are study folders). Each study
is read as if alone — its protocol, time zone, "today", clinic days, problems naming its own
files — and only then are the results put together: one worklist sorted by urgency, one
table, one calendar, with a `study_id` column first (the one exception to "more columns
follow the contract's"). A study that cannot be used stops the command (exit 2, nothing
written); two folders with one `[study] id` are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.app.messages import with_reason_missing
from scheduler.app.plan import is_study_folder
from scheduler.app.results import Messages, TableResult
from scheduler.app.study import Study, StudyOptions, load_study
from scheduler.core.status import CHECK_COLUMNS
from scheduler.core.words import DEVIATIONS
from scheduler.errors import EXIT_DATA_PROBLEMS, EXIT_OK, OptionError
from scheduler.i18n import _, ngettext, pgettext
from scheduler.paths import label


def studies_in(options: list[StudyOptions]) -> tuple[list[StudyOptions], bool]:
    """The studies the options name, and whether they are several (a site folder, or more
    than one --study): then the study_id column comes first."""
    expanded: list[StudyOptions] = []
    site = False
    for one in options:
        folder = one.folder
        if folder is not None and folder.is_dir() and not is_study_folder(folder):
            subfolders = sorted(path for path in folder.iterdir() if path.is_dir() and is_study_folder(path))
            if subfolders:
                site = True
                expanded += [dataclasses.replace(one, folder=path) for path in subfolders]
                continue
        expanded.append(one)
    several = site or len(expanded) > 1
    if several and any(one.protocol or one.participants or one.visits for one in expanded):
        raise OptionError(_("--protocol, --participants and --visits take one study: with several "
                            "studies each study folder's own files are read"))
    return expanded, several


def load_studies(options: list[StudyOptions], as_of: np.datetime64 | None) -> list[Study]:
    """Each study read as if alone; two folders with one [study] id are refused."""
    studies = [load_study(one, as_of) for one in options]
    seen: dict[str, Study] = {}
    for study in studies:
        study_id = study.protocol.study_id
        if study_id in seen:
            raise OptionError(_("{folder} and {other} are both study {study} ([study] id) — give each "
                                "study its own id, or name one of the two folders")
                              .format(folder=label(seen[study_id].inputs.folder),
                                      other=label(study.inputs.folder), study=study_id))
        seen[study_id] = study
    return studies


def tagged(study: Study, table: pd.DataFrame) -> pd.DataFrame:
    """The table with the study's id as its first column."""
    out = table.copy()
    out.insert(0, "study_id", study.protocol.study_id)
    return out


class Prefixed(Messages):
    """A study's own messages, each said with the study's id in front, into ``target``."""

    def __init__(self, target: Messages, study_id: str) -> None:
        super().__init__()
        self.target = target
        self.prefix = f"[{study_id}] "

    def append(self, line: str) -> None:
        self.target.append(self.prefix + line)

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.append(line)


def each(study: Study, messages: Messages) -> Messages:
    return Prefixed(messages, study.protocol.study_id)


def check(options: list[StudyOptions], as_of: np.datetime64 | None, output: Path | None,
          deviations_only: bool, fail_on_deviation: bool, messages: Messages) -> TableResult:
    """Every expected visit of every study, one table."""
    from scheduler.app.tables import judge, on_screen, write_or_show

    studies = load_studies(options, as_of)
    if output is not None:
        for study in studies:
            study.guard_output(output)
    tables, code, count, expected = [], EXIT_OK, 0, 0
    for study in studies:
        judged = judge(study, deviations_only, each(study, messages))
        tables.append(tagged(study, judged.table))
        code, count, expected = max(code, judged.exit_code), count + judged.deviations, expected + judged.expected
    table = pd.concat(tables, ignore_index=True)
    if code == EXIT_OK and fail_on_deviation and count:
        code = EXIT_DATA_PROBLEMS
    if output is None:
        shown = with_reason_missing(table)[["study_id", *CHECK_COLUMNS[:-1]]]
        days = sorted({str(study.as_of) for study in studies})
        # TRANSLATORS: {studies} lists the studies' ids, {dates} their as-of dates ("2010-09-13 / …").
        title = ngettext("{number} studies ({studies}): as of {dates}, {count} deviation in {expected} "
                         "expected visits",
                         "{number} studies ({studies}): as of {dates}, {count} deviations in {expected} "
                         "expected visits", count).format(
            number=len(studies), studies=", ".join(s.protocol.study_id for s in studies),
            dates=" / ".join(days), count=count, expected=expected)
        return TableResult(on_screen(shown, studies), title, exit_code=code)
    return write_or_show(table, output, "", pgettext("sheet", "Check"), messages,
                         highlight=table["status"].isin(DEVIATIONS), exit_code=code, studies=studies)


def due(options: list[StudyOptions], as_of: np.datetime64 | None, output: Path | None, days: int,
        messages: Messages) -> TableResult:
    """One worklist across the studies, most urgent first (the window that closes soonest)."""
    from scheduler.app.tables import on_screen, worklist_of, write_or_show

    studies = load_studies(options, as_of)
    if output is not None:
        for study in studies:
            study.guard_output(output)
    lists, code = [], EXIT_OK
    for study in studies:
        worklist, study_code = worklist_of(study, days, each(study, messages))
        lists.append(tagged(study, worklist))
        code = max(code, study_code)
    worklist = pd.concat(lists, ignore_index=True).sort_values(
        ["window_close", "window_open", "study_id", "participant_id", "visit_code"], kind="stable")
    worklist = worklist.reset_index(drop=True)
    worklist["participant_id"] = worklist["participant_id"].astype(object)
    worklist["visit_code"] = worklist["visit_code"].astype(object)
    if output is None:
        title = ngettext("Due in {number} studies (windows open now or within {days} days): {count} visit",
                         "Due in {number} studies (windows open now or within {days} days): {count} visits",
                         len(worklist)).format(number=len(studies), days=days, count=len(worklist))
        return TableResult(on_screen(worklist.drop(columns=["as_of"]), studies), title, exit_code=code)
    return write_or_show(worklist, output, "", pgettext("sheet", "Due"), messages, exit_code=code,
                         studies=studies)


def calendar(options: list[StudyOptions], as_of: np.datetime64 | None, output: Path | None,
             split: Path | None, participant_ids: tuple[str, ...], remind_days: int,
             messages: Messages) -> int:
    """One calendar for every study (-o), and/or one file per participant in a folder per
    study (--split DIR writes DIR/STUDY/ID.ics); --participant takes STUDY/ID."""
    import re

    from scheduler import clock
    from scheduler.app.files import keep_state, study_events
    from scheduler.outputs.ics import write_calendars

    studies = load_studies(options, as_of)
    for study in studies:
        for target in (output, split):
            if target is not None:
                study.guard_output(target)
    chosen: dict[str, list[str]] = {}
    known = {study.protocol.study_id for study in studies}
    for given in participant_ids:
        study_id, _slash, participant = given.partition("/")
        if not participant or study_id not in known:
            raise OptionError(_("--participant {given}: with several studies, name the study too, as "
                                "STUDY/ID — the studies are {studies}")
                              .format(given=given, studies=", ".join(sorted(known))))
        chosen.setdefault(study_id, []).append(participant)
    if participant_ids:
        studies = [study for study in studies if study.protocol.study_id in chosen]
    now = clock.now_utc()
    made = [study_events(study, tuple(chosen.get(study.protocol.study_id, ())), remind_days, now,
                         each(study, messages)) for study in studies]
    events = [event for one in made for event in one.events]
    published = {uid: entry for one in made for uid, entry in one.publication.events.items()}
    # TRANSLATORS: the calendar's name in Outlook; {studies} lists the studies' ids.
    name = None if participant_ids else _("Visits, {studies}").format(
        studies=", ".join(one.study.protocol.study_id for one in made))
    if output is not None:
        write_calendars(events, published, now, remind_days, output, None, name)
    written = 0
    if split is not None:
        for one in made:
            folder = split / re.sub(r"[^A-Za-z0-9._-]", "_", one.study.protocol.study_id)
            written += len(write_calendars(one.events, one.publication.events, now, remind_days, None,
                                           folder, None))
    for one in made:
        keep_state(one, each(one.study, messages))
    if output is not None:
        messages.append(_("Wrote {file} ({count} events, {number} studies)").format(
            file=label(output), count=len(events), number=len(made)))
    if split is not None:
        messages.append(ngettext("Wrote {count} participant calendar in {folder}, a folder per study",
                                 "Wrote {count} participant calendars in {folder}, a folder per study", written)
                        .format(count=written, folder=label(split)))
    return max((one.exit_code for one in made), default=EXIT_OK)
