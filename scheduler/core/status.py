"""Every expected visit's status as of a date (PRODUCT.md, "Visit status, as of a date").

The first rule that applies, in this order:

| # | status    | when                                                         | days_outside            |
| - | --------- | ------------------------------------------------------------ | ----------------------- |
| 1 | in_window | actual date within the window                                | 0                       |
|   | early     | actual date before window_open                               | window_open − actual    |
|   | late      | actual date after window_close                               | actual − window_close   |
| 2 | withdrawn | no actual date, withdrawal_date ≤ window_close               | empty                   |
| 3 | upcoming  | the participant was enrolled after the as-of date            | empty                   |
| 4 | missed    | as_of > window_close                                         | min(as_of, withdrawal) − window_close |
| 5 | due       | window_open ≤ as_of ≤ window_close                           | empty                   |
| 6 | upcoming  | as_of < window_open                                          | empty                   |

Leaving the study is not a deviation: a visit whose window had not closed by the withdrawal
is ``withdrawn``; one whose window closed while the participant was on study is ``missed``,
its days counted to the withdrawal. A withdrawal applies whatever the as-of date.
Classification is one ``numpy.select`` over the grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scheduler.core.arms import arm_of, row_participants
from scheduler.core.dates import as_day
from scheduler.core.records import Records
from scheduler.core.schedule import Grid, compute_grid, expected_rows, long_frame, text
from scheduler.core.versions import Moves, version_on
from scheduler.core.words import DEVIATIONS, PENDING, STATUSES, Status
from scheduler.protocol import Protocol

NAT_DAY = np.datetime64("NaT", "D")

__all__ = ["CHECK_COLUMNS", "DEVIATIONS", "STATUSES", "Status", "classify", "compute_check",
           "due_list", "overdue", "unscheduled_rows", "with_unscheduled", "withdrawal_per_row"]
CHECK_COLUMNS = ("participant_id", "visit_code", "target_date", "window_open", "window_close",
                 "actual_date", "status", "days_outside", "reason", "as_of")


def classify(grid: Grid, enrollment: np.ndarray, withdrawal: np.ndarray,
             as_of: np.datetime64) -> tuple[pd.Categorical, np.ndarray]:
    """Status (a categorical, participant-major like the long frame) and days outside the
    window (the grid's shape; −1: no days_outside) for every cell of the grid."""
    as_of = as_day(as_of)
    enrollment = np.asarray(enrollment, dtype="M8[D]")[:, None]
    withdrawal = np.asarray(withdrawal, dtype="M8[D]")[:, None]
    actual, opens, closes = grid.actual, grid.window_open, grid.window_close
    done = ~np.isnat(actual)
    conditions = [
        done & (actual < opens),
        done & (actual > closes),
        done,
        ~np.isnat(withdrawal) & (withdrawal <= closes),
        np.broadcast_to(enrollment > as_of, actual.shape),
        as_of > closes,
        as_of >= opens,
    ]
    choices = [Status.EARLY, Status.LATE, Status.IN_WINDOW, Status.WITHDRAWN, Status.UPCOMING,
               Status.MISSED, Status.DUE]
    # Small integer codes, and the words as the categories of a categorical column.
    status = pd.Categorical.from_codes(
        np.select(conditions, list(range(len(choices))), default=choices.index(Status.UPCOMING)).ravel(),
        categories=pd.Index([str(choice) for choice in choices], dtype=object))
    # Differences of datetime64[D] are whole days; NaT cells are never chosen below. A missed
    # visit of a participant who withdrew later counts its days up to the withdrawal.
    counted_to = np.where(np.isnat(withdrawal), as_of, np.minimum(withdrawal, as_of))
    none = np.full(actual.shape, -1, dtype=np.int64)
    days = np.select(
        conditions[:6],
        [(opens - actual).astype(np.int64), (actual - closes).astype(np.int64),
         np.zeros(actual.shape, dtype=np.int64), none, none, (counted_to - closes).astype(np.int64)],
        default=-1,
    )
    return status, days


def compute_check(protocol: Protocol, participants: pd.DataFrame, records: Records,
                  as_of: np.datetime64, moves: Moves | None = None) -> pd.DataFrame:
    """The check table: the contract's columns (CHECK_COLUMNS), then visit_name, ``arm``
    (with arms) and protocol_version. ``moves``: the version history (the moves made after
    ``as_of`` are left out here)."""
    enrollment = participants["enrollment_date"].to_numpy()
    grid = compute_grid(protocol, enrollment, records, participants["participant_id"].to_numpy(dtype=object),
                        moves.until(as_of) if moves is not None else None,
                        arm_of(participants) if protocol.arms else None)
    status, days = classify(grid, enrollment, participants["withdrawal_date"].to_numpy(), as_of)
    frame = long_frame(protocol, participants, grid)
    days_outside = pd.array(days.ravel(), dtype="Int64")
    days_outside[days.ravel() < 0] = pd.NA
    frame["actual_date"] = grid.actual.ravel()
    frame["status"] = status
    frame["days_outside"] = days_outside
    frame["reason"] = text(grid.reason.ravel())
    frame["as_of"] = as_day(as_of)
    visit_name = frame.pop("visit_name")
    frame["visit_name"] = visit_name
    # Only the visits each participant is expected to have (arms, versions).
    return expected_rows(protocol, participants, grid, frame)


UNSCHEDULED_NAME = "Unscheduled visit"


def unscheduled_rows(protocol: Protocol, participants: pd.DataFrame, records: Records,
                     as_of: np.datetime64, moves: Moves | None = None) -> pd.DataFrame:
    """The records of unscheduled visits as rows of the check table: status "unscheduled",
    no window, their date and reason; in the check's columns (and ``arm`` with [[arms]])."""
    extra = records.unscheduled
    ids = pd.Index(participants["participant_id"].to_numpy(dtype=object), dtype=object)
    frame = pd.DataFrame({
        "participant_id": pd.Categorical.from_codes(extra.participant, categories=ids),
        "visit_code": text(extra.code),
        "target_date": np.full(len(extra.code), NAT_DAY),
        "window_open": np.full(len(extra.code), NAT_DAY),
        "window_close": np.full(len(extra.code), NAT_DAY),
        "actual_date": extra.actual_date.astype("M8[D]"),
        "status": text(np.full(len(extra.code), str(Status.UNSCHEDULED), dtype=object)),
        "days_outside": pd.array([pd.NA] * len(extra.code), dtype="Int64"),
        "reason": text(extra.reason),
        "as_of": as_day(as_of),
        "visit_name": text(np.full(len(extra.code), UNSCHEDULED_NAME, dtype=object)),
    })
    if protocol.arms:
        frame["arm"] = text(arm_of(participants)[extra.participant])
    if protocol.versions:
        frame["protocol_version"] = text(version_on(
            protocol, participants["enrollment_date"].to_numpy(), ids.to_numpy(dtype=object),
            (moves or Moves.empty()).until(as_of), extra.participant, extra.actual_date))
    else:
        frame["protocol_version"] = text(np.full(len(extra.code), protocol.version, dtype=object))
    return frame


def with_unscheduled(check: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """The check table with the unscheduled visits listed after each participant's planned
    visits (in date order): one table for the check's outputs and ``status``."""
    if not len(extra):
        return check
    combined = pd.concat([check.assign(visit_code=check["visit_code"].astype(object),
                                       status=check["status"].astype(object),
                                       visit_name=check["visit_name"].astype(object)), extra],
                         ignore_index=True)
    combined["participant_id"] = pd.Categorical(combined["participant_id"].astype(object),
                                                categories=check["participant_id"].cat.categories)
    kind = np.r_[np.zeros(len(check), dtype=np.int64), np.ones(len(extra), dtype=np.int64)]
    order = np.lexsort((np.arange(len(combined)), kind, row_participants(combined)))
    return combined.iloc[order].reset_index(drop=True)


def due_list(check: pd.DataFrame, as_of: np.datetime64, days: int,
             withdrawn_by: pd.Series | None = None) -> pd.DataFrame:
    """The worklist: visits not done whose window is open, or opens within ``days`` days
    (inclusive), most urgent first (window closes soonest).

    Not on it: a visit recorded as not done (no date, a reason: it will not happen), and
    every visit of a participant who withdrew on or before the as-of date (nobody can see
    them any more, even for a window that opened before the withdrawal; check still judges
    that window). ``withdrawn_by`` is each row's participant's withdrawal date."""
    as_of = as_day(as_of)
    horizon = as_of + np.timedelta64(days, "D")
    opens = check["window_open"].to_numpy().astype("M8[D]")
    closes = check["window_close"].to_numpy().astype("M8[D]")
    pending = check["status"].isin(PENDING).to_numpy() & (check["reason"] == "").to_numpy()
    if withdrawn_by is not None:
        withdrawal = withdrawn_by.to_numpy().astype("M8[D]")
        pending &= ~(~np.isnat(withdrawal) & (withdrawal <= as_of))
    selected = pending & (opens <= horizon) & (closes >= as_of)
    suggested = ["suggested_date"] if "suggested_date" in check.columns else []
    worklist = check.loc[selected, ["participant_id", "visit_code", "target_date", "window_open",
                                    "window_close", *suggested, "status", "visit_name",
                                    *(["arm"] if "arm" in check else []),
                                    *(["protocol_version"] if "protocol_version" in check else [])]].copy()
    worklist["days_left"] = ((worklist["window_close"].to_numpy().astype("M8[D]") - as_of)
                             // np.timedelta64(1, "D")).astype(np.int64)
    worklist["as_of"] = as_of
    worklist = worklist.sort_values(["window_close", "window_open", "participant_id", "visit_code"],
                                    kind="stable")
    columns = ["participant_id", "visit_code", "target_date", "window_open", "window_close",
               *suggested, "days_left", "as_of", "status", "visit_name", *(["arm"] if "arm" in worklist else []),
               *(["protocol_version"] if "protocol_version" in worklist else [])]
    return worklist[columns].reset_index(drop=True)


def overdue(check: pd.DataFrame) -> pd.DataFrame:
    """Missed visits with nothing recorded: neither a date nor a reason. The nurse's to-do."""
    return check[(check["status"] == Status.MISSED) & (check["reason"] == "")]


def withdrawal_per_row(participants: pd.DataFrame, check: pd.DataFrame) -> pd.Series:
    """Each check row's participant's withdrawal date."""
    return pd.Series(participants["withdrawal_date"].to_numpy()[row_participants(check)])
