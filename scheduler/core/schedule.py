"""Every participant's visit windows at once, with re-anchoring on actual dates.

The computation is a grid: one row per participant, one column per protocol visit. The
only loop is over the protocol's visits (a handful), in file order, which is anchor order
(validation guarantees that every anchor is an earlier visit). Each column is computed for
all participants at once with numpy:

    anchor date = enrollment, or the anchor visit's actual date when it has one, else its
                  target date (re-anchoring: a late Day 0 moves every window hung on it)
    target      = anchor date + offset (days, weeks, or calendar months clamped to the
                  month's end: 2011-01-31 + 1 month = 2011-02-28; scheduler.months)
    window      = target − minus … target + plus, both ends inclusive

The grid is then laid out long (participant × visit, in roster and protocol order).

With protocol versions (amendments) the columns are every code any version has, in the one
order all versions' anchors respect, and which version's window each participant follows
is core.versions' rule (``follow``), vectorized the same way per version and move step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.core.arms import arm_of, expected_visits, row_participants
from scheduler.core.dates import LAST_YEAR
from scheduler.core.records import Records
from scheduler.core.versions import Moves, follow, shift, version_names
from scheduler.errors import ProtocolError
from scheduler.i18n import _
from scheduler.months import add_months

__all__ = ["SCHEDULE_COLUMNS", "Grid", "Moves", "add_months", "compute_grid", "compute_schedule",
           "expected_rows", "expected_visits", "long_frame", "row_participants", "shift", "text"]
from scheduler.protocol import ENROLLMENT, Protocol

NOT_A_DATE = np.datetime64("NaT")
LAST_DAY = np.datetime64(f"{LAST_YEAR}-12-31", "D")


def text(values: np.ndarray) -> pd.Series:
    """A column of text kept as plain Python strings (object dtype). pandas 3 would infer
    its "str" dtype, whose missing-value checks cost a pass over every cell in each later
    operation: a second of a 100,000-participant check."""
    return pd.Series(values, dtype=object)


@dataclass(frozen=True)
class Grid:
    """Windows and actual dates as participant × visit arrays of datetime64[D]."""

    target: np.ndarray
    window_open: np.ndarray
    window_close: np.ndarray
    actual: np.ndarray
    reason: np.ndarray
    # With protocol versions: the index (protocol.versions) of the version each window comes
    # from, −1 where the visit is not expected (core.versions); None without versions.
    version: np.ndarray | None = None


def compute_grid(protocol: Protocol, enrollment: np.ndarray, records: Records,
                 ids: np.ndarray | None = None, moves: Moves | None = None,
                 arms: np.ndarray | None = None) -> Grid:
    """Windows for every participant and visit; anchors hang on actual dates where known.
    With protocol versions, the windows each participant follows under their version
    history (``moves``: the moves in force as of the date looked from; core.versions)."""
    participants, visits = len(enrollment), len(protocol.visits)
    actual = np.full((participants, visits), NOT_A_DATE, dtype="M8[D]")
    actual[records.participant, records.visit] = records.actual_date
    reason = np.full((participants, visits), "", dtype=object)
    reason[records.participant, records.visit] = records.reason
    if protocol.versions:
        followed = follow(protocol, enrollment, actual,
                          ids if ids is not None else np.arange(participants).astype(str).astype(object),
                          moves if moves is not None else Moves.empty(), arms)
        _check_reach(protocol, followed.window_close, ids)
        return Grid(followed.target, followed.window_open, followed.window_close, actual, reason, followed.version)
    target = np.empty((participants, visits), dtype="M8[D]")
    # The date each visit's dependants hang on: its actual date, or its target until done.
    effective = np.empty((participants, visits), dtype="M8[D]")
    column = {code: index for index, code in enumerate(protocol.codes)}
    enrollment = np.asarray(enrollment, dtype="M8[D]")
    for index, visit in enumerate(protocol.visits):
        anchor = enrollment if visit.anchor == ENROLLMENT else effective[:, column[visit.anchor]]
        target[:, index] = shift(anchor, visit)
        done = ~np.isnat(actual[:, index])
        effective[:, index] = np.where(done, actual[:, index], target[:, index])
    minus = np.array([visit.minus for visit in protocol.visits], dtype="m8[D]")
    plus = np.array([visit.plus for visit in protocol.visits], dtype="m8[D]")
    closes = target + plus
    _check_reach(protocol, closes, ids)
    return Grid(target, target - minus, closes, actual, reason)


def _check_reach(protocol: Protocol, closes: np.ndarray, ids: np.ndarray | None) -> None:
    """A window closing after the last day dates are read is a protocol mistake."""
    if len(closes) and (closes > LAST_DAY).any():
        person, visit = np.argwhere(closes > LAST_DAY)[0]
        details = {"file": protocol.source, "visit": protocol.codes[visit],
                   "date": closes[person, visit], "last": LAST_DAY}
        if ids is not None:
            # TRANSLATORS: {file} is the protocol file, {visit} a visit code, {participant} a
            # participant ID, {date} the day the window would close, {last} the last day read.
            message = _("{file}: the window of visit {visit} for participant {participant} would "
                        "close on {date}, after {last}, the last day dates are read — check the "
                        "offsets of that visit and of the visits it hangs on").format(
                participant=ids[person], **details)
        else:
            # TRANSLATORS: {row} is a row number of the participants file.
            message = _("{file}: the window of visit {visit} for the participant on roster row "
                        "{row} would close on {date}, after {last}, the last day dates are read — "
                        "check the offsets of that visit and of the visits it hangs on").format(
                row=person + 1, **details)
        raise ProtocolError(message)


def _visit_names(protocol: Protocol, participants: int) -> pd.Series:
    """The visit_name column: a categorical when the names are distinct (they usually are).
    The contract's names (CSV, JSON): the screens show each visit's name in their language."""
    names = [visit.contract_name for visit in protocol.visits]
    codes = np.tile(np.arange(len(names)), participants)
    if len(set(names)) == len(names):
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object)))
    return text(np.array(names, dtype=object)[codes])


def long_frame(protocol: Protocol, participants: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """One row per participant and visit, roster order then protocol order."""
    visits = len(protocol.visits)
    ids = participants["participant_id"].to_numpy(dtype=object)
    # Categoricals: each ID and code is one string, and every row an index into them, so
    # comparing, sorting and writing work on small integers (roster and protocol order).
    return pd.DataFrame({
        "participant_id": pd.Categorical.from_codes(np.repeat(np.arange(len(ids)), visits),
                                                    categories=pd.Index(ids, dtype=object)),
        "visit_code": pd.Categorical.from_codes(np.tile(np.arange(visits), len(ids)),
                                                categories=pd.Index(protocol.codes, dtype=object)),
        "visit_name": _visit_names(protocol, len(ids)),
        "target_date": grid.target.ravel(),
        "window_open": grid.window_open.ravel(),
        "window_close": grid.window_close.ravel(),
    })


SCHEDULE_COLUMNS = ("participant_id", "visit_code", "visit_name", "target_date", "window_open",
                    "window_close")


def compute_schedule(protocol: Protocol, participants: pd.DataFrame,
                     records: Records | None = None, moves: Moves | None = None) -> pd.DataFrame:
    """The schedule table: participant_id, visit_code, visit_name, target_date, window_open,
    window_close — re-anchored on the actual dates in ``records`` when given — then arm
    (with arms) and protocol_version."""
    grid = compute_grid(protocol, participants["enrollment_date"].to_numpy(),
                        records if records is not None else Records.empty(),
                        participants["participant_id"].to_numpy(dtype=object), moves,
                        arm_of(participants) if protocol.arms else None)
    frame = long_frame(protocol, participants, grid)
    return expected_rows(protocol, participants, grid, frame)


def expected_rows(protocol: Protocol, participants: pd.DataFrame, grid: Grid, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the participant × visit frame that each participant is expected to have
    (their arm's visits, under their version history), with ``arm`` (with arms) and
    ``protocol_version`` after the contract's columns."""
    # With versions the grid already says which visits each participant has (their arm's,
    # under their history); without, the arm's visits (None: every visit is everyone's).
    expected = expected_visits(protocol, participants) if grid.version is None else grid.version >= 0
    # protocol_version: a categorical over the version names (one category without versions):
    # a column of small integers, not a Python string per row.
    if grid.version is None:
        names = pd.Index([protocol.version], dtype=object)
        versions = np.zeros(len(frame), dtype=np.int8)
    else:
        names = version_names(protocol)
        followed = np.maximum(grid.version, 0)
        versions = followed.ravel()
        if "visit_name" in frame.columns:
            # Each row's name as the version it follows has it (1.0's "Follow-up month 12 (end
            # of study)" for a participant still on 1.0, 2.0's "Follow-up month 12" after a move).
            table = np.array([[(each.visit(code) if code in each.codes else protocol.visit(code)).contract_name
                               for code in protocol.codes] for each in protocol.versions], dtype=object)
            by_version = table[followed, np.arange(len(protocol.codes))[None, :]].ravel()
            if (by_version != frame["visit_name"].to_numpy(dtype=object)).any():
                frame["visit_name"] = text(by_version)
    if expected is not None:
        keep = np.asarray(expected, dtype=bool).ravel()
        frame = frame[keep].reset_index(drop=True)
        versions = versions[keep]
    if protocol.arms:
        frame["arm"] = text(arm_of(participants)[row_participants(frame)])
    frame["protocol_version"] = pd.Categorical.from_codes(versions, categories=names)
    return frame
