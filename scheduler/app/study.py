"""Loading a study: protocol, roster and visit records, checked and ready for the core.

The one place that turns the command line's file options into the core's inputs. Never
imports click.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import clock
from scheduler.core.clinic import Closures
from scheduler.core.dates import as_day
from scheduler.core.records import Records, check_records
from scheduler.core.suggestions import listed
from scheduler.core.versions import Moves
from scheduler.errors import InputFileError, OptionError, Problems, SchedulerError
from scheduler.i18n import _
from scheduler.paths import label
from scheduler.protocol import Protocol, load_protocol_for
from scheduler.sources.folder import Inputs, resolve_study
from scheduler.sources.roster import read_participants
from scheduler.sources.visits import read_visits
from scheduler.storage.change import RecordFiles


@dataclass(frozen=True)
class StudyOptions:
    """Where a study's files are (--study, --protocol, --participants, --visits) and how
    site files are read (--date-format, --encoding, --sheet)."""

    folder: Path | None = None
    protocol: Path | None = None
    participants: Path | None = None
    visits: Path | None = None
    date_format: str | None = None
    encoding: str | None = None
    sheet: str | None = None

    def inputs(self) -> Inputs:
        """The files to read; refuses a --study folder that does not exist."""
        return resolve_study(self.folder, self.protocol, self.participants, self.visits)


@dataclass(frozen=True)
class Study:
    protocol: Protocol
    participants: pd.DataFrame
    records: Records
    today: np.datetime64
    as_of: np.datetime64
    protocol_label: str
    participants_label: str
    visits_label: str | None
    enrolled_after_as_of: tuple[str, ...]
    roster_warnings: tuple[str, ...]
    inputs: Inputs
    # The version history (versions.csv), every move: each computation takes those made on
    # or before its as-of date (Moves.until).
    moves: Moves = field(default_factory=Moves.empty)

    @property
    def input_files(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.inputs.protocol, self.inputs.participants, self.inputs.visits) if p)

    def guard_output(self, path: Path) -> None:
        """Refuse to write over one of the files this study was read from."""
        target = path.resolve()
        for source in self.input_files:
            if source.resolve() == target:
                raise OptionError(_("-o {file} is one of the input files — writing there "
                                    "would replace it; choose another name").format(file=label(path)))
        guard_output(self.inputs.folder, path, self.protocol.clinic.closures if self.protocol.clinic else None)

    @property
    def problems(self) -> Problems:
        return self.records.problems

    def closures(self) -> Closures | None:
        """The clinic's closures file, read when the protocol names one."""
        clinic = self.protocol.clinic
        if clinic is None or clinic.closures is None:
            return None
        from scheduler.sources.closures import read_closures

        return read_closures(clinic.closures)

    def site_label(self) -> str:
        """The site(s) the roster names, else the protocol's site_id: "01" or "01, 02"."""
        sites = sorted({s for s in self.participants["site"] if s})
        return ", ".join(sites) if sites else self.protocol.site_id

    def position_of(self, participant_id: str) -> int:
        """A participant's row in the roster (the ID must be there)."""
        return int(np.flatnonzero(self.participants["participant_id"].to_numpy() == participant_id)[0])


def guard_output(folder: Path, path: Path, closures: Path | None = None) -> None:
    """Refuse -o naming a file the study folder keeps (the trail, its copies, the state)."""
    from scheduler.sources.folder import kept_by_study

    what = kept_by_study(folder, path, closures)
    if what is not None:
        # TRANSLATORS: {what} names the kept file ("the audit trail", "the calendar state"…).
        raise OptionError(_("-o {file} is {what}, which the study folder keeps — writing there "
                            "would replace it; choose another name").format(file=label(path), what=what))


def trail_warnings(inputs: Inputs, protocol: Protocol) -> tuple[str, ...]:
    """One line when the study files do not match the audit trail's head (edited outside
    the tool), or when a change was interrupted and the folder is not locked by another one.
    Nothing for a folder without a trail (``verify`` says that)."""
    from scheduler.storage.audit import AUDIT_FILE, read_trail
    from scheduler.storage.lock import is_locked

    if not (inputs.folder / AUDIT_FILE).exists():
        return ()
    try:
        trail = read_trail(inputs.folder)
    except SchedulerError as error:
        return (error.message,)
    if not trail.lines:
        return ()
    shown = label(inputs.folder / AUDIT_FILE)
    if trail.unfinished():
        if is_locked(inputs.folder):
            return ()
        return (_("{file}: a change was interrupted and is not settled yet — the files are read as "
                  "they are; the next change (enroll, record, correct…) completes or rolls it back")
                .format(file=shown),)
    from scheduler.storage.audit import breaks

    if breaks(trail) or trail.problems:
        return (_("{file} does not follow from itself (a line changed by hand?) — run visit-scheduler verify")
                .format(file=shown),)
    head = trail.last_files_digest()
    files = RecordFiles.of(inputs, protocol)
    if head is not None and head != files.digest():
        return (_("the study files do not match the audit trail's last change ({file}): they were "
                  "changed outside the tool — run visit-scheduler verify").format(file=shown),)
    recorded = trail.last_protocol_digest()
    if recorded is not None and recorded != files.protocol_digest():
        return (_("the protocol (or the closures file) has changed since the last change in {file} — "
                  "a change to a protocol in use is an amendment; run visit-scheduler verify")
                .format(file=shown),)
    return ()


def check_arms(protocol: Protocol, participants: pd.DataFrame) -> tuple[str, ...]:
    """The roster's arms, in words: with [[arms]], participants with no arm yet (an arm naming
    no arm is a roster problem, found by the reader); without [[arms]], an arm column that
    names arms changes nothing, which is said once."""
    if "arm" not in participants:
        return ()
    arms = participants["arm"].fillna("").astype(str)
    if not protocol.arms:
        if (arms != "").any():
            return (_("the participants file gives arms, but the protocol has no [[arms]]: every participant "
                      "has every visit (add [[arms]] to the protocol if the study has arms)"),)
        return ()
    # Withdrawn participants (a screen failure) will not be assigned: no warning for them.
    waiting = participants.loc[(arms == "") & participants["withdrawal_date"].isna(), "participant_id"].tolist()
    if not waiting:
        return ()
    # TRANSLATORS: {participants} lists participant IDs; the command line stays as it is.
    return (_("not yet assigned to an arm: {participants} — until then they have only the visits every arm "
              "has (visit-scheduler correct ID --arm ARM --reason …)").format(
                  participants=listed(waiting, len(waiting))),)


def load_study(options: StudyOptions, as_of: np.datetime64 | None = None,
               inputs: Inputs | None = None,
               participants: pd.DataFrame | None = None, check_trail: bool = True,
               for_change: bool = False) -> Study:
    """Read and check everything a command needs. Raises SchedulerError (exit 2) when an
    input cannot be used; data problems in the visits file are kept in ``records``.
    ``participants``: the roster, when the caller has already read it. ``for_change``: read
    for a change command, which may be the one that corrects an enrollment dated before
    every protocol version (the change itself is checked: recording._check_history)."""
    inputs = inputs if inputs is not None else options.inputs()
    protocol = load_protocol_for(inputs.protocol)
    if inputs.participants is None:
        raise InputFileError(_(
            "{file}: no participants file — give "
            "--participants FILE, or --study DIR for a study folder that has participants.csv "
            "(visit-scheduler init DIR makes one)").format(file=label(inputs.folder / "participants.csv")))
    participants_label = label(inputs.participants)
    notes: list[str] = []  # what the readers say (the encoding of a file that is not UTF-8)
    if participants is None:
        participants = read_participants(inputs.participants, participants_label, options.encoding,
                                         options.sheet, options.date_format, notes, protocol.arm_codes)
    arm_notes = check_arms(protocol, participants)
    moves = Moves.empty()
    if protocol.versions or protocol.effective is not None:
        from scheduler.sources.history import enrolled_before_versions, read_moves

        if not for_change:
            enrolled_before_versions(protocol, participants, participants_label)
        moves = read_moves(inputs.folder, protocol, participants, clock.today_date(protocol.timezone))
    today = clock.today(protocol.timezone)
    as_of = today if as_of is None else as_day(as_of)
    records = Records.empty()
    visits_label = None
    if inputs.visits is not None:
        visits_label = label(inputs.visits)
        visit_rows, table = read_visits(inputs.visits, visits_label, options.encoding,
                                        options.sheet, options.date_format, notes)
        records = check_records(visit_rows, table, participants, protocol, today, as_of, moves.until(as_of))
    enrolled_later = participants.loc[
        participants["enrollment_date"].to_numpy().astype("M8[D]") > as_of, "participant_id"]
    reason_only = participants[(participants["withdrawal_reason"] != "")
                               & participants["withdrawal_date"].isna()]
    roster_warnings = tuple(notes) + (trail_warnings(inputs, protocol) if check_trail else ()) + tuple(
        _("{file}:{line}: column withdrawal_date: a withdrawal reason without "
          "a withdrawal date for {participant} — fill in the date the participant withdrew; "
          "until then they are scheduled as active").format(file=participants_label, line=row.line,
                                                            participant=row.participant_id)
        for row in reason_only.itertuples()) + arm_notes
    return Study(protocol, participants, records, today, as_of,
                 protocol.source if inputs.protocol is None else label(inputs.protocol),
                 participants_label, visits_label, tuple(enrolled_later), roster_warnings, inputs, moves)
