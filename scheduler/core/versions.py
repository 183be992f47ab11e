"""Which protocol version's window each participant follows (PRODUCT.md, amendments).

A participant follows the version in force on their enrollment date (the latest
``effective`` on or before it), until moved to a later one on a date M (versions.csv,
written by ``amend``). After a move on M, visit by visit:

1. a visit whose window under the version followed so far opened before M keeps it; so
   does a visit done before M (it is judged against the plan in force when it was done);
2. otherwise a visit the new version has follows the new version's window, unless that
   window closed before M: then it keeps the old window if the old version has the visit,
   else it is not expected;
3. otherwise (only the old version has it) it is not expected — unless it was done: a
   visit with an actual date never disappears; it keeps the window it had.

Anchors hang on the windows the participant follows (re-anchoring as everywhere). Moves
dated after the as-of date are ignored (a look-back before M sees the old plan).

Vectorized per version and per move step: the loops are over the visits (in the order
every version's anchors respect), the versions that have each visit and the participants'
move steps (at most one fewer than the versions), each step computing one column for every
participant at once. No loop over participants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.months import add_months
from scheduler.protocol import ENROLLMENT, Protocol, Visit

NOT_A_DATE = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class Moves:
    """The version history's moves (versions.csv): one row per move, in file order."""

    participant_id: np.ndarray  # object: text IDs
    version: np.ndarray  # object: the version moved to
    date: np.ndarray  # datetime64[D]: the move's date M
    line: np.ndarray  # int64: the line in versions.csv (header = 1)

    @classmethod
    def empty(cls) -> Moves:
        return cls(np.array([], dtype=object), np.array([], dtype=object),
                   np.array([], dtype="M8[D]"), np.array([], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.participant_id)

    def until(self, day: np.datetime64 | None) -> Moves:
        """The moves made on or before ``day`` (all of them for None)."""
        if day is None:
            return self
        keep = self.date <= np.asarray(day).astype("M8[D]")
        return Moves(self.participant_id[keep], self.version[keep], self.date[keep], self.line[keep])

    def ranks(self) -> np.ndarray:
        """Each move's place among its participant's moves, in date order (0: the first)."""
        order = np.lexsort((self.line, self.date, self.participant_id.astype(str)))
        ranks = np.empty(len(self), dtype=np.int64)
        ranks[order] = pd.Series(self.participant_id[order]).groupby(self.participant_id[order]).cumcount().to_numpy()
        return ranks

    def first(self, count: int) -> Moves:
        """Each participant's first ``count`` moves (the plan as it was before the later ones)."""
        keep = self.ranks() < count
        return Moves(self.participant_id[keep], self.version[keep], self.date[keep], self.line[keep])

    def of(self, participant_id: str) -> Moves:
        keep = self.participant_id == participant_id
        return Moves(self.participant_id[keep], self.version[keep], self.date[keep], self.line[keep])


def shift(dates: np.ndarray, visit: Visit) -> np.ndarray:
    """The target dates of ``visit`` for these anchor dates."""
    if visit.unit == "month":
        return add_months(dates, visit.amount)
    days = visit.amount * (7 if visit.unit == "week" else 1)
    return np.asarray(dates, dtype="M8[D]") + np.timedelta64(days, "D")


def versions_of(protocol: Protocol) -> tuple[Protocol, ...]:
    """Every version by effective date; the protocol alone when it has no earlier ones."""
    return protocol.versions or (protocol,)


def start_versions(protocol: Protocol, enrollment: np.ndarray) -> np.ndarray:
    """Each participant's version at enrollment: an index into ``versions_of`` (0 for an
    enrollment before every effective date, which the roster's reader refuses)."""
    versions = versions_of(protocol)
    if len(versions) == 1:
        return np.zeros(len(enrollment), dtype=np.int64)
    days = np.array([np.datetime64(each.effective, "D") for each in versions], dtype="M8[D]")
    found = np.searchsorted(days, np.asarray(enrollment, dtype="M8[D]"), side="right") - 1
    return np.asarray(np.maximum(found, 0), dtype=np.int64)


def move_steps(protocol: Protocol, ids: np.ndarray, moves: Moves) -> tuple[np.ndarray, np.ndarray]:
    """Moves as steps: ``to[k, p]`` the version index of participant p's k-th move (−1: none)
    and ``when[k, p]`` its date, in date order per participant."""
    positions = pd.Index(ids, dtype=object).get_indexer(pd.Index(moves.participant_id, dtype=object))
    names = [each.version for each in versions_of(protocol)]
    version = pd.Index(names, dtype=object).get_indexer(pd.Index(moves.version, dtype=object))
    keep = (positions >= 0) & (version >= 0)
    positions, version, dates = positions[keep], version[keep], moves.date[keep].astype("M8[D]")
    order = np.lexsort((dates, positions))
    positions, version, dates = positions[order], version[order], dates[order]
    rank = pd.Series(positions).groupby(positions).cumcount().to_numpy()
    steps = int(rank.max()) + 1 if len(rank) else 0
    to = np.full((steps, len(ids)), -1, dtype=np.int64)
    when = np.full((steps, len(ids)), NOT_A_DATE, dtype="M8[D]")
    to[rank, positions] = version
    when[rank, positions] = dates
    return to, when


@dataclass(frozen=True)
class Followed:
    """The windows each participant follows: participant × visit (the combined protocol's
    visits), and the index of the version each window comes from (−1: not expected)."""

    target: np.ndarray
    window_open: np.ndarray
    window_close: np.ndarray
    version: np.ndarray


def follow(protocol: Protocol, enrollment: np.ndarray, actual: np.ndarray, ids: np.ndarray,
           moves: Moves) -> Followed:
    """The rule above over every participant at once (``moves``: those in force as of the
    date the caller looks from)."""
    versions = versions_of(protocol)
    participants, count = actual.shape
    column = {code: index for index, code in enumerate(protocol.codes)}
    start = start_versions(protocol, enrollment)
    to, when = move_steps(protocol, ids, moves)
    everyone = np.arange(participants)
    enrollment = np.asarray(enrollment, dtype="M8[D]")
    has = np.array([[code in each.codes for code in protocol.codes] for each in versions], dtype=bool)
    # Each version's target of each visit for every participant (NaT where it has none):
    # the anchor of a visit a participant does not follow may still be needed by another.
    targets = np.full((len(versions), participants, count), NOT_A_DATE, dtype="M8[D]")
    minus = np.zeros((len(versions), count), dtype="m8[D]")
    plus = np.zeros((len(versions), count), dtype="m8[D]")
    followed = np.full((participants, count), -1, dtype=np.int64)
    chosen_target = np.full((participants, count), NOT_A_DATE, dtype="M8[D]")
    for index, code in enumerate(protocol.codes):
        done = ~np.isnat(actual[:, index])
        for number, each in enumerate(versions):
            if not has[number, index]:
                continue
            visit = each.visit(code)
            minus[number, index], plus[number, index] = visit.minus, visit.plus
            if visit.anchor == ENROLLMENT:
                base = enrollment
            else:
                at = column[visit.anchor]
                hung = np.where(followed[:, at] >= 0, chosen_target[:, at], targets[number, :, at])
                base = np.where(~np.isnat(actual[:, at]), actual[:, at], hung)
            targets[number, :, index] = shift(base, visit)
        opens = targets[:, :, index] - minus[:, index][:, None]
        closes = targets[:, :, index] + plus[:, index][:, None]
        current = np.where(has[start, index], start, -1)
        last, any_version = current.copy(), current.copy()
        for step in range(len(to)):
            new, moved_on = to[step], when[step]
            moving = new >= 0
            old_open = opens[np.maximum(current, 0), everyone]
            keep = (current >= 0) & ((old_open < moved_on) | (done & (actual[:, index] < moved_on)))
            new_has = moving & has[np.maximum(new, 0), index]
            new_ok = new_has & ~(closes[np.maximum(new, 0), everyone] < moved_on)
            after = np.where(keep, current, np.where(new_ok, new, np.where(new_has, current, -1)))
            current = np.where(moving, after, current)
            last = np.where(current >= 0, current, last)
            any_version = np.where(new_has, new, any_version)
        # A visit that was done never disappears: the window it had, else a version that has it.
        fallback = np.where(last >= 0, last, any_version)
        followed[:, index] = np.where(current >= 0, current, np.where(done, fallback, -1))
        chosen_target[:, index] = np.where(followed[:, index] >= 0,
                                           targets[np.maximum(followed[:, index], 0), everyone, index], NOT_A_DATE)
    pick = np.maximum(followed, 0)
    visits = np.arange(count)[None, :]
    expected = followed >= 0
    opens = np.where(expected, chosen_target - minus[pick, visits], NOT_A_DATE)
    closes = np.where(expected, chosen_target + plus[pick, visits], NOT_A_DATE)
    return Followed(chosen_target, opens, closes, followed)


def in_versions(protocol: Protocol, enrollment: np.ndarray, ids: np.ndarray, moves: Moves,
                participant: np.ndarray, visit: np.ndarray) -> np.ndarray:
    """For records (participant positions, visit columns): True where one of the versions
    the participant follows or followed has the visit."""
    versions = versions_of(protocol)
    has = np.array([[code in each.codes for code in protocol.codes] for each in versions], dtype=bool)
    chain = np.zeros((len(enrollment), len(versions)), dtype=bool)
    chain[np.arange(len(enrollment)), start_versions(protocol, enrollment)] = True
    to, _when = move_steps(protocol, ids, moves)
    for step in to:
        moving = step >= 0
        chain[np.flatnonzero(moving), step[moving]] = True
    return np.asarray((chain[participant] & has[:, visit].T).any(axis=1), dtype=bool)


def version_names(protocol: Protocol) -> pd.Index:
    return pd.Index([each.version for each in versions_of(protocol)], dtype=object)


def arms_allow(protocol: Protocol, arms: np.ndarray, followed: np.ndarray) -> np.ndarray:
    """Participant × visit: True where the followed version's visit belongs to the
    participant's arm (``arms``: each participant's code, "" not yet assigned)."""
    versions = versions_of(protocol)
    codes, uniques = pd.factorize(arms)
    allowed = np.zeros((max(len(uniques), 1), len(versions), len(protocol.codes)), dtype=bool)
    for a, arm in enumerate(uniques):
        for v, each in enumerate(versions):
            mine = {visit.code for visit in each.visits_of(str(arm))}
            allowed[a, v] = [code in mine for code in protocol.codes]
    visits = np.arange(len(protocol.codes))[None, :]
    return np.asarray(allowed[np.maximum(codes, 0)[:, None], np.maximum(followed, 0), visits], dtype=bool)


def version_on(protocol: Protocol, enrollment: np.ndarray, ids: np.ndarray, moves: Moves,
               participant: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """The version (its name) each participant (positions) followed on each date: the one at
    enrollment, or the last move made on or before that date."""
    names = version_names(protocol).to_numpy(dtype=object)
    current = start_versions(protocol, enrollment)[participant]
    to, when = move_steps(protocol, ids, moves)
    dates = np.asarray(dates, dtype="M8[D]")
    for step in range(len(to)):
        new, moved_on = to[step][participant], when[step][participant]
        current = np.where((new >= 0) & (moved_on <= dates), new, current)
    return np.asarray(names[current], dtype=object)
