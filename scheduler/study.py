"""Loading a study: protocol, roster and visit records, checked and ready for the core.

This is the one place that turns file paths into the core's inputs; commands call it and
then one core function. It never imports click.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import clock
from scheduler.errors import InputFileError, OptionError, Problem
from scheduler.protocol import Protocol, load_protocol_for
from scheduler.records import Records, check_records
from scheduler.sources import read_participants, read_visits
from scheduler.studyfolder import Inputs, label


@dataclass(frozen=True)
class ReadOptions:
    """How site files are read (--date-format, --encoding, --sheet)."""

    date_format: str | None = None
    encoding: str | None = None
    sheet: str | None = None


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
    roster_warnings: tuple[str, ...] = ()
    input_files: tuple[Path, ...] = ()

    def guard_output(self, path: Path) -> None:
        """Refuse to write over one of the files this study was read from."""
        target = path.resolve()
        for source in self.input_files:
            if source.resolve() == target:
                raise OptionError(f"-o {label(path)} is one of the input files — writing there "
                                  "would replace it; choose another name")

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.records.problems


def load_study(inputs: Inputs, as_of: np.datetime64 | None, options: ReadOptions,
               use_visits: bool = True) -> Study:
    """Read and check everything a command needs. Raises SchedulerError (exit 2) when an
    input cannot be used; data problems in the visits file are kept in ``records``."""
    protocol = load_protocol_for(inputs)
    if inputs.participants is None:
        raise InputFileError(
            f"{label(inputs.folder / 'participants.csv')}: no participants file — give "
            "--participants FILE, or --study DIR for a study folder that has participants.csv "
            "(visit-scheduler init DIR makes one)")
    participants_label = label(inputs.participants)
    participants = read_participants(inputs.participants, participants_label, options.encoding,
                                     options.sheet, options.date_format)
    today = clock.today(protocol.timezone)
    as_of = today if as_of is None else np.datetime64(as_of, "D")
    records = Records.empty()
    visits_label = None
    if use_visits and inputs.visits is not None:
        visits_label = label(inputs.visits)
        visit_rows, table = read_visits(inputs.visits, visits_label, options.encoding,
                                        options.sheet, options.date_format)
        records = check_records(visit_rows, table, participants, protocol, today, as_of)
    enrolled_later = participants.loc[
        participants["enrollment_date"].to_numpy().astype("M8[D]") > as_of, "participant_id"]
    reason_only = participants[(participants["withdrawal_reason"] != "")
                               & participants["withdrawal_date"].isna()]
    roster_warnings = tuple(
        f"{participants_label}:{row.line}: column withdrawal_date: a withdrawal reason without "
        f"a withdrawal date for {row.participant_id} — fill in the date the participant withdrew; "
        "until then they are scheduled as active" for row in reason_only.itertuples())
    return Study(protocol, participants, records, today, as_of,
                 protocol.source if inputs.protocol is None else label(inputs.protocol),
                 participants_label, visits_label, tuple(enrolled_later), roster_warnings,
                 tuple(p for p in (inputs.protocol, inputs.participants, inputs.visits) if p))
