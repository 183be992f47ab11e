"""Which protocol version's window each participant follows (PRODUCT.md, amendments).

A participant follows the version in force on their enrollment date (the latest
``effective`` on or before it), until moved to a later one on a date M (versions.csv,
written by ``amend``). After a move on M, visit by visit:

1. a visit whose window under the version followed so far opened before M keeps that
   version's rule; so does a visit done before M (it is judged against the plan in force
   when it was done);
2. otherwise a visit the new version has follows the new version, unless the new window
   closed before M: then it keeps the old version's rule if that version has the visit,
   else it is not expected;
3. otherwise (only the old version has it) it is not expected;
4. but a visit that was done never disappears: it keeps the version it had (else the new
   one).

"The old window" is the window the step before left (hung on the anchors as they were);
the new version's window is hung on the anchors as this step leaves them; the window a
visit ends with is its version's rule hung on its anchor as the participant follows it
(re-anchoring as everywhere: a visit kept under 1.0's rule still moves with its anchor).
With [[arms]], "has the visit" is per arm, as each version says. Moves dated after the
as-of date are ignored (a look-back before M sees the old plan). docs/date-rules.md.

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
        return self.where(self.date <= np.asarray(day).astype("M8[D]"))

    def ranks(self) -> np.ndarray:
        """Each move's place among its participant's moves, in date order (0: the first)."""
        order = np.lexsort((self.line, self.date, self.participant_id.astype(str)))
        ranks = np.empty(len(self), dtype=np.int64)
        ranks[order] = pd.Series(self.participant_id[order]).groupby(self.participant_id[order]).cumcount().to_numpy()
        return ranks

    def first(self, count: int) -> Moves:
        """Each participant's first ``count`` moves (the plan as it was before the later ones)."""
        return self.where(self.ranks() < count)

    def of(self, participant_id: str) -> Moves:
        return self.where(self.participant_id == participant_id)

    def where(self, keep: np.ndarray) -> Moves:
        """The moves where ``keep`` is True."""
        return Moves(self.participant_id[keep], self.version[keep], self.date[keep], self.line[keep])

    def added(self, participant_id: str, version: str, date: np.datetime64, line: int) -> Moves:
        """These moves and one more (a move about to be written, at ``line`` of versions.csv)."""
        return Moves(np.append(self.participant_id, participant_id).astype(object),
                     np.append(self.version, version).astype(object),
                     np.append(self.date, date).astype("M8[D]"), np.append(self.line, line).astype(np.int64))


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
    enrollment before every effective date, which app.study refuses — but for a change
    command, which may be the one that corrects it)."""
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
    version = version_names(protocol).get_indexer(pd.Index(moves.version, dtype=object))
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


def visits_had(protocol: Protocol, arms: np.ndarray | None = None) -> np.ndarray:
    """Participant × version × visit: True where the version has the visit for the
    participant's arm (``arms``: each participant's code, "" not yet assigned; None or a
    protocol without arms: every visit of the version). One row per distinct arm, then
    indexed: no loop over participants."""
    versions = versions_of(protocol)
    if arms is None or not protocol.arms:
        table = np.array([[code in each.codes for code in protocol.codes] for each in versions], dtype=bool)
        return table[None, :, :]
    codes, uniques = pd.factorize(arms)
    table = np.array([[[code in {visit.code for visit in each.visits_of(str(arm))} for code in protocol.codes]
                       for each in versions] for arm in uniques], dtype=bool).reshape(
                           len(uniques), len(versions), len(protocol.codes))
    return np.asarray(table[codes], dtype=bool)


def _had(has: np.ndarray, version: np.ndarray, index: int) -> np.ndarray:
    """For each participant, whether ``version`` (an index per participant, −1: none) has
    visit ``index`` for them (``has`` from visits_had: one row, or one per participant)."""
    rows = np.arange(len(version)) if has.shape[0] > 1 else np.zeros(len(version), dtype=np.int64)
    return np.asarray((version >= 0) & has[rows, np.maximum(version, 0), index], dtype=bool)


def follow(protocol: Protocol, enrollment: np.ndarray, actual: np.ndarray, ids: np.ndarray,
           moves: Moves, arms: np.ndarray | None = None) -> Followed:
    """The rule above over every participant at once (``moves``: those in force as of the
    date the caller looks from; ``arms``: each participant's arm, with [[arms]]).

    Step by step — the start versions, then each participant's first move, second move… —
    and in each step visit by visit in anchor order: a visit is judged by the windows the
    step before left (the old window) and by the new version's window hung on the anchors
    as this step leaves them; its window is then its rule hung on those anchors."""
    versions = versions_of(protocol)
    participants, count = actual.shape
    column = {code: index for index, code in enumerate(protocol.codes)}
    start = start_versions(protocol, enrollment)
    to, when = move_steps(protocol, ids, moves)
    everyone = np.arange(participants)
    enrollment = np.asarray(enrollment, dtype="M8[D]")
    has = visits_had(protocol, arms)
    exists = np.asarray(has.any(axis=0), dtype=bool)  # version × visit: the version has it for someone
    minus = np.array([[each.visit(code).minus if code in each.codes else 0 for code in protocol.codes]
                      for each in versions], dtype="m8[D]")
    plus = np.array([[each.visit(code).plus if code in each.codes else 0 for code in protocol.codes]
                     for each in versions], dtype="m8[D]")
    done = ~np.isnat(actual)
    followed = np.full((participants, count), -1, dtype=np.int64)
    target = np.full((participants, count), NOT_A_DATE, dtype="M8[D]")
    for step in range(len(to) + 1):
        new = to[step - 1] if step else None
        moved_on = when[step - 1] if step else None
        after = np.full((participants, count), -1, dtype=np.int64)
        hung_target = np.full((participants, count), NOT_A_DATE, dtype="M8[D]")
        # Each version's target of each visit under this step's anchors (NaT where it has
        # none): the anchor of a visit a participant does not follow may still be needed.
        hypothetical = np.full((len(versions), participants, count), NOT_A_DATE, dtype="M8[D]")
        for index, code in enumerate(protocol.codes):
            for number, each in enumerate(versions):
                if not exists[number, index]:
                    continue
                visit = each.visit(code)
                if visit.anchor == ENROLLMENT:
                    base = enrollment
                else:
                    at = column[visit.anchor]
                    hung = np.where(after[:, at] >= 0, hung_target[:, at], hypothetical[number, :, at])
                    base = np.where(done[:, at], actual[:, at], hung)
                hypothetical[number, :, index] = shift(base, visit)
            if new is None:  # the start: the version in force at enrollment, where it has the visit
                chosen = np.where(_had(has, start, index), start, -1)
            else:
                old = followed[:, index]
                moving = new >= 0
                old_open = target[:, index] - minus[np.maximum(old, 0), index]
                keep = (old >= 0) & ((old_open < moved_on) | (done[:, index] & (actual[:, index] < moved_on)))
                new_has = moving & _had(has, new, index)
                new_close = hypothetical[np.maximum(new, 0), everyone, index] + plus[np.maximum(new, 0), index]
                new_ok = new_has & ~(new_close < moved_on)
                chosen = np.where(keep, old, np.where(new_ok, new, np.where(new_has, old, -1)))
                # A visit that was done never disappears: the window it had, else the new one.
                chosen = np.where((chosen < 0) & done[:, index], np.where(old >= 0, old, np.where(new_has, new, -1)),
                                  chosen)
                chosen = np.where(moving, chosen, old)
            after[:, index] = chosen
            hung_target[:, index] = np.where(chosen >= 0, hypothetical[np.maximum(chosen, 0), everyone, index],
                                             NOT_A_DATE)
        followed, target = after, hung_target
    pick = np.maximum(followed, 0)
    visits = np.arange(count)[None, :]
    expected = followed >= 0
    opens = np.where(expected, target - minus[pick, visits], NOT_A_DATE)
    closes = np.where(expected, target + plus[pick, visits], NOT_A_DATE)
    return Followed(target, opens, closes, followed)


def in_versions(protocol: Protocol, enrollment: np.ndarray, ids: np.ndarray, moves: Moves,
                participant: np.ndarray, visit: np.ndarray, arms: np.ndarray | None = None) -> np.ndarray:
    """For records (participant positions, visit columns): True where one of the versions
    the participant follows or followed has the visit (for their arm, when ``arms``)."""
    versions = versions_of(protocol)
    has = visits_had(protocol, arms)
    chain = np.zeros((len(enrollment), len(versions)), dtype=bool)
    chain[np.arange(len(enrollment)), start_versions(protocol, enrollment)] = True
    to, _when = move_steps(protocol, ids, moves)
    for step in to:
        moving = step >= 0
        chain[np.flatnonzero(moving), step[moving]] = True
    rows = participant if has.shape[0] > 1 else np.zeros(len(participant), dtype=np.int64)
    return np.asarray((chain[participant] & has[rows, :, visit]).any(axis=1), dtype=bool)


def version_names(protocol: Protocol) -> pd.Index:
    return pd.Index([each.version for each in versions_of(protocol)], dtype=object)


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
