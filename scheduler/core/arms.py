"""Arms ([[arms]]): which visits each participant has, and where each participant's rows are.

With arms, a participant has only their arm's visits, so the check table (participant-major,
protocol order) no longer has one row per participant and visit: consumers find a row's
participant through its categorical ``participant_id`` (``row_participants``), never by a
fixed stride.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scheduler.protocol import Protocol


def arm_of(participants: pd.DataFrame) -> np.ndarray:
    """Each participant's arm code as text ("" when not yet assigned, or no arm column)."""
    if "arm" not in participants:
        return np.full(len(participants), "", dtype=object)
    return participants["arm"].fillna("").astype(str).to_numpy(dtype=object)


def expected_visits(protocol: Protocol, participants: pd.DataFrame) -> np.ndarray | None:
    """Participant × visit: True where the participant's arm has the visit (the roster's
    ``arm``; not yet assigned: the visits every arm has). None without [[arms]]: every visit
    is everyone's. One row of the answer per distinct arm, then indexed: no loop over
    participants."""
    if not protocol.arms:
        return None
    codes, uniques = pd.factorize(arm_of(participants))
    per_arm = np.array([[visit in protocol.visits_of(str(arm)) for visit in protocol.visits] for arm in uniques],
                       dtype=bool).reshape(len(uniques), len(protocol.visits))
    return per_arm[codes]


def row_participants(frame: pd.DataFrame) -> np.ndarray:
    """Each row's participant as a roster position (the participant_id column is a categorical
    over the roster's IDs in order): rows are participant-major, but with arms a participant
    has only their arm's visits, so positions are looked up, never computed from a stride."""
    column = frame["participant_id"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.codes.to_numpy(), dtype=np.int64)
    raise TypeError("row_participants needs the check table's categorical participant_id")
