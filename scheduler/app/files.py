"""calendar, report and export sdtm: files for Outlook, the investigator and the sponsor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from scheduler import clock
from scheduler.app.messages import report_problems, warn_reason_missing
from scheduler.app.results import Messages
from scheduler.app.study import Study, StudyOptions, load_study
from scheduler.app.tables import suggestions
from scheduler.core.suggestions import clinic_day_notes, suggest_for
from scheduler.errors import OptionError, OutputError, SchedulerError
from scheduler.i18n import _, ngettext
from scheduler.paths import label

if TYPE_CHECKING:
    import pandas as pd

    from scheduler.core.calendar import CalendarEvent, Publication
    from scheduler.core.sdtm import Built
    from scheduler.core.sdtm_spec import Package
    from scheduler.protocol import Protocol


@dataclass
class StudyEvents:
    """One study's calendar events, what to publish of them, and its exit code."""

    study: Study
    events: list[CalendarEvent]
    publication: Publication
    exit_code: int


def study_events(study: Study, participant_ids: tuple[str, ...], remind_days: int, now: dt.datetime,
                 messages: Messages) -> StudyEvents:
    """A study's events (only these participants', when given) and their SEQUENCE numbers."""
    from scheduler.core.calendar import build_events, publish, vanished_events
    from scheduler.core.dates import as_day
    from scheduler.core.status import compute_check
    from scheduler.storage.calendar_state import STATE_FILE, load_state

    roster = study.participants
    if participant_ids:
        unknown = [pid for pid in participant_ids if pid not in set(roster["participant_id"])]
        if unknown:
            raise OptionError(_("--participant {participant}: not in {file} — "
                                "check the ID (IDs are compared as text: 007 is not 7)")
                              .format(participant=unknown[0], file=study.participants_label))
    table = compute_check(study.protocol, roster, study.records, study.as_of, study.moves)
    if participant_ids:
        table = table[table["participant_id"].isin(participant_ids)].reset_index(drop=True)
    table["suggested_date"] = suggestions(study, table, messages)
    code = report_problems(study, messages, participants=participant_ids)
    events = build_events(study.protocol, table, study.as_of, remind_days)
    state_path = study.inputs.folder / STATE_FILE
    stored = load_state(state_path)
    events += _dropped_by_moves(study, roster, table, participant_ids, set(stored.events))
    if not stored.as_of or str(as_day(study.as_of)) >= stored.as_of:  # a look-back cancels nothing
        events += vanished_events(study.protocol, stored, events, set(participant_ids) if participant_ids else None)
    publication = publish(stored, events, now, study.as_of, state_path.name)
    return StudyEvents(study, events, publication, code)


def _dropped_by_moves(study: Study, roster: pd.DataFrame, table: pd.DataFrame,
                      participant_ids: tuple[str, ...], published: set[str]) -> list[CalendarEvent]:
    """Cancelled events for the visits a move to a later version took out of a participant's
    plan, when an earlier export published them (Outlook then removes them)."""
    import pandas as pd

    from scheduler.core.calendar import dropped_events, uid_for
    from scheduler.core.status import compute_check

    moves = study.moves.until(study.as_of)
    if not study.protocol.versions or not len(moves) or not published:
        return []

    def keys(frame: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([frame["participant_id"].astype(object).to_numpy(),
                                          frame["visit_code"].astype(object).to_numpy()])

    now = keys(table)
    found = []
    # The plan before each participant's k-th move: rows it had that the plan now lacks.
    for count in range(int(moves.ranks().max()) + 1):
        earlier = compute_check(study.protocol, roster, study.records, study.as_of, moves.first(count))
        if participant_ids:
            earlier = earlier[earlier["participant_id"].isin(participant_ids)]
        found.append(earlier.loc[~keys(earlier).isin(now), ["participant_id", "visit_code", "window_open",
                                                            "window_close"]].astype({"participant_id": object,
                                                                                     "visit_code": object}))
    dropped = pd.concat(found, ignore_index=True).drop_duplicates(["participant_id", "visit_code"], keep="first")
    uids = [uid_for(study.protocol.study_id, str(pid), str(code))
            for pid, code in zip(dropped["participant_id"], dropped["visit_code"])]
    dropped = dropped[[uid in published for uid in uids]].reset_index(drop=True)
    last = moves.ranks() == pd.Series(moves.ranks()).groupby(moves.participant_id).transform("max").to_numpy()
    now_on = dict(zip(moves.participant_id[last].astype(str), moves.version[last].astype(str)))
    return dropped_events(study.protocol, dropped, now_on)


def _moves_frame(study: Study) -> pd.DataFrame:
    """The version history's moves up to the as-of date, as a table (participant_id,
    protocol_version, move_date)."""
    import pandas as pd

    moves = study.moves.until(study.as_of)
    return pd.DataFrame({"participant_id": pd.Series(moves.participant_id, dtype=object),
                         "protocol_version": pd.Series(moves.version, dtype=object),
                         "move_date": moves.date.astype("M8[D]")})


def keep_state(made: StudyEvents, messages: Messages) -> None:
    """The study's calendar state saved (a folder that cannot be written: a note)."""
    from scheduler.storage.calendar_state import STATE_FILE, save_state

    state_path = made.study.inputs.folder / STATE_FILE
    if made.publication.state is not None:
        try:
            save_state(state_path, made.publication.state)
        except OutputError:
            # A folder the nurse may read but not write (a shared drive): the calendar is
            # still written; only the change numbers are not kept for the next export.
            messages.note(_("{file} cannot be written in this folder: the calendar was "
                            "made, but its change numbers (SEQUENCE) are not kept — the next export "
                            "counts from the same numbers again").format(file=label(state_path)))
    for note in made.publication.warnings:
        messages.warning(note)


def calendar(options: StudyOptions, as_of: np.datetime64 | None, output: Path | None,
             split: Path | None, participant_ids: tuple[str, ...], remind_days: int,
             messages: Messages) -> int:
    """The site calendar and/or one calendar per participant; the state file updated."""
    from scheduler.outputs.ics import write_calendars

    study = load_study(options, as_of)
    if output is not None:
        study.guard_output(output)
    if split is not None:
        study.guard_output(split)
    now = clock.now_utc()
    made = study_events(study, participant_ids, remind_days, now, messages)
    # A file of chosen participants goes into the nurse's own calendar: no calendar name.
    name = None if participant_ids else _calendar_name(study)
    written = write_calendars(made.events, made.publication.events, now, remind_days, output, split, name)
    keep_state(made, messages)
    if output is not None:
        messages.append(_("Wrote {file} ({count} events)").format(file=label(output), count=len(made.events)))
    if split is not None:
        count = len(written) - (1 if output is not None else 0)
        messages.append(ngettext("Wrote {count} participant calendar in {folder}",
                                 "Wrote {count} participant calendars in {folder}", count)
                        .format(count=count, folder=label(split)))
    return made.exit_code


def _calendar_name(study: Study) -> str:
    """The site calendar's name in Outlook: "NCT01143168 visits (site 01)"."""
    site = study.site_label()
    if not site:
        # TRANSLATORS: the name of a calendar in Outlook; {study} is the study's id.
        return _("{study} visits").format(study=study.protocol.study_id)
    if ", " in site:
        # TRANSLATORS: the name of a calendar in Outlook; {sites} are sites' codes ("01, 02").
        return _("{study} visits (sites {sites})").format(study=study.protocol.study_id, sites=site)
    # TRANSLATORS: the name of a calendar in Outlook; {site} is the site's code ("01").
    return _("{study} visits (site {site})").format(study=study.protocol.study_id, site=site)


def report(options: StudyOptions, week: str | None, as_of: dt.date | None, output: Path | None,
           messages: Messages) -> tuple[str | None, int]:
    """The weekly report: written to ``output``, or its Markdown returned for the terminal."""
    from scheduler.app.messages import warn_unscheduled_reason
    from scheduler.core import report as weekly
    from scheduler.core.status import compute_check, unscheduled_rows
    from scheduler.outputs.report_files import write_report
    from scheduler.protocol import built_in_text, load_protocol_for
    from scheduler.sources.digests import checksum

    inputs = options.inputs()
    protocol = load_protocol_for(inputs.protocol)
    chosen, report_as_of = weekly.reporting_week(week, as_of, clock.today_date(protocol.timezone))
    study = load_study(options, np.datetime64(report_as_of, "D"), inputs=inputs)
    if output is not None:
        study.guard_output(output)
    check_table = compute_check(study.protocol, study.participants, study.records, study.as_of, study.moves)
    suggested = suggest_for(study.protocol.clinic, study.closures, check_table,
                            not_before=study.as_of)
    for warning in suggested.warnings:
        messages.warning(warning)
    check_table["suggested_date"] = suggested.dates
    code = report_problems(study, messages)
    warn_reason_missing(check_table, messages)
    # Unscheduled visits: counted and listed for the week, never judged (as `check` warns).
    extra = unscheduled_rows(study.protocol, study.participants, study.records, study.as_of, study.moves)
    warn_unscheduled_reason(extra, messages)
    sources = [checksum("protocol", study.protocol_label, inputs.protocol,
                        None if inputs.protocol else built_in_text())]
    from scheduler.storage.change import RecordFiles

    record_files = RecordFiles.of(inputs, study.protocol)
    for earlier in record_files.protocol_files() if study.protocol.versions else []:
        sources.append(checksum("protocol version", label(earlier), earlier))
    sources.append(checksum("participants", study.participants_label, inputs.participants))
    if inputs.visits is not None and study.visits_label is not None:
        sources.append(checksum("visits", study.visits_label, inputs.visits))
    if study.protocol.versions and record_files.history.exists():
        sources.append(checksum("version history", label(record_files.history), record_files.history))
    clinic = study.protocol.clinic
    if clinic is not None and clinic.closures is not None and clinic.closures.exists():
        sources.append(checksum("clinic closures", label(clinic.closures), clinic.closures))
    result = weekly.build_report(
        check_table, study.participants, chosen, report_as_of,
        study_id=study.protocol.study_id, title=study.protocol.title_in(), site=study.site_label(),
        made_at=clock.stamp(study.protocol.timezone), sources=tuple(sources),
        notes=tuple(clinic_day_notes(suggested.gaps)), trail_head=_trail_head(inputs.folder),
        unscheduled=extra, arms=study.protocol.arm_codes,
        versions=tuple(each.version for each in study.protocol.versions),
        moves=_moves_frame(study))
    if output is None or output.suffix.lower() != ".csv":  # people read it: their visit names
        from dataclasses import replace

        from scheduler.app.tables import named

        result = replace(result, new_deviations=named(result.new_deviations, [study]),
                         all_deviations=named(result.all_deviations, [study]), due=named(result.due, [study]))
    picture = None
    if output is not None and output.suffix.lower() in (".html", ".xlsx"):
        from scheduler.outputs.timeline import png_bytes, timeline_figure

        picture = png_bytes(timeline_figure(result.check, chosen.monday, chosen.sunday, report_as_of))
    text = write_report(result, output, picture)
    if text is None and output is not None:
        # TRANSLATORS: {week} is an ISO week (2010-W37).
        messages.append(ngettext("Wrote {file} ({week}, as of {date}, {count} deviation)",
                                 "Wrote {file} ({week}, as of {date}, {count} deviations)",
                                 len(result.all_deviations)).format(
            file=label(output), week=chosen.name, date=report_as_of, count=len(result.all_deviations)))
    return text, code


def export_sdtm(options: StudyOptions, as_of: np.datetime64 | None, folder: Path,
                file_format: str, messages: Messages) -> int:
    """The SDTM datasets and define.xml into ``folder`` (docs/sdtm.md)."""
    from scheduler.core import sdtm
    from scheduler.core.status import compute_check
    from scheduler.outputs.dataset_json import distinct_texts, text_measures
    from scheduler.outputs.sdtm_files import write

    study = load_study(options, as_of)
    study.guard_output(folder)
    table = compute_check(study.protocol, study.participants, study.records, study.as_of, study.moves)
    # The visits file's problems first: listed even when the export is then refused.
    code = report_problems(study, messages)
    country = _country(study.protocol)
    built = sdtm.build(study.protocol, table, study.participants, study.as_of, country,
                       study.participants_label, study.records.unscheduled)
    for note in built.warnings:
        messages.warning(note)
    package = _package(study, built)
    measures = text_measures(package)
    for note in sdtm.length_warnings(measures):
        messages.warning(note)
    if file_format == "xpt":
        for note in sdtm.transport_warnings(distinct_texts(package), measures):
            messages.warning(note)
    written = write(package, folder, file_format)
    visits, deviations = len(built.datasets["SV"]), len(built.datasets["DV"])
    subjects = len(built.datasets["DM"])
    # TRANSLATORS: {files} is the folder written, {subjects} "N participants", {visits} "N subject
    # visits", {deviations} "N deviations".
    messages.append(_("Wrote {files} ({subjects}, {visits}, {deviations}, as of {date})").format(
        files=_("{folder}: {count} files").format(folder=label(folder), count=len(written)),
        subjects=ngettext("{count} participant", "{count} participants", subjects).format(count=subjects),
        visits=ngettext("{count} subject visit", "{count} subject visits", visits).format(count=visits),
        deviations=ngettext("{count} deviation", "{count} deviations", deviations).format(count=deviations),
        date=study.as_of))
    return code


def _country(protocol: Protocol) -> str:
    """DM COUNTRY: [study] country, else the alpha-3 code of [clinic] country; else refused."""
    from scheduler.errors import ExportRefused

    if protocol.design.country:
        return protocol.design.country
    if protocol.clinic is not None and protocol.clinic.country:
        from scheduler.protocol.countries import alpha3

        code = alpha3(protocol.clinic.country)
        if code:
            return code
    raise ExportRefused(_("{file}: SDTM DM needs the study's country — add country = \"CHN\" (ISO 3166 "
                          "three letters) to [study]: nothing was written").format(file=protocol.source))


def _package(study: Study, built: Built) -> Package:
    """What the writers need besides the datasets: when, and what the trail last changed."""
    import os

    import pendulum

    from scheduler import __version__
    from scheduler.core.sdtm_spec import Package
    from scheduler.storage.audit import read_trail

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    created = (pendulum.from_timestamp(int(epoch), tz="UTC") if epoch.isdigit()
               else pendulum.now("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    modified = None
    try:
        trail = read_trail(study.inputs.folder)
    except SchedulerError:
        trail = None
    if trail is not None and trail.lines and trail.lines[-1]["when_utc"]:
        modified = trail.lines[-1]["when_utc"].replace(" ", "T")
        if not modified.endswith("Z") and "+" not in modified:
            modified += "Z"
        # Dataset-JSON: the data were last changed on or before the files were made (a
        # SOURCE_DATE_EPOCH in the past would otherwise put the change after the creation).
        if modified > created:
            modified = created
    return Package(datasets=built.datasets, study_id=study.protocol.study_id, title=study.protocol.title,
                   created=created, modified=modified, as_of=str(study.as_of), source_version=__version__,
                   epochs=built.epochs)


def _trail_head(folder: Path) -> str:
    """The audit trail's head for the report's header (the monitor keeps it)."""
    from scheduler.errors import SchedulerError
    from scheduler.storage.audit import AUDIT_FILE, read_trail

    try:
        trail = read_trail(folder)
    except SchedulerError as error:
        return error.message
    if not trail.lines:
        return _("none in this study folder yet (it begins with the first change made with the tool)")
    return f"{label(folder / AUDIT_FILE)} {trail.head()}"
