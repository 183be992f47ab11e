"""Protocol versions (amendments) for any set of versions, roster, version history and actual
dates (hypothesis): the vectorized core against a plain one-participant, one-visit-at-a-time
reference written from PRODUCT.md's rule ("After a move on M: a visit whose old window_open
< M keeps the old window; any other visit the new version has follows the new version,
unless its new window_close < M — then it keeps the old window if it has one, else it is not
expected; any other visit only the old version has is not expected. Anchors use the windows
the participant follows. A look-back (`--as-of`) before M ignores the move")."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from scheduler.core.records import Records
from scheduler.core.status import compute_check
from scheduler.core.versions import Moves
from scheduler.errors import ProtocolError
from scheduler.protocol import Protocol, Visit
from scheduler.protocol.versions import combine
from tests.test_properties import DAY, add_months, one_visit

# One master order of visit codes: every version takes some of them, in this order, and each
# anchor is enrollment or an earlier code of the same version, so the versions always agree
# on one order of the visits (combine succeeds).
POOL = ("V0", "V1", "V2", "V3", "V4")
NAMES = ("1.0", "2.0", "3.0", "4.0")


@st.composite
def shapes(draw: st.DrawFn) -> tuple[str, int, int, int]:
    unit = draw(st.sampled_from(["day", "week", "month"]))
    amount = draw({"day": st.integers(-20, 300), "week": st.integers(-3, 40), "month": st.integers(-3, 12)}[unit])
    return unit, amount, draw(st.integers(0, 20)), draw(st.integers(0, 20))


@st.composite
def version_lists(draw: st.DrawFn) -> list[Protocol]:
    """1–4 versions drawn from one pool of visit definitions: each version keeps some codes
    (at least one), each kept code its pool definition or a changed offset, window or anchor."""
    pool = {}
    for index, code in enumerate(POOL):
        pool[code] = (draw(st.sampled_from(["enrollment", *POOL[:index]])), *draw(shapes()))
    count = draw(st.sampled_from((1, 2, 2, 3, 3, 4)))
    first = draw(st.dates(dt.date(1995, 1, 1), dt.date(2060, 12, 31)))
    effective = [first]
    for _ in range(count - 1):
        effective.append(effective[-1] + draw(st.integers(1, 400)) * DAY)
    versions = []
    for number in range(count):
        kept = [code for code in POOL if draw(st.integers(0, 3))] or [draw(st.sampled_from(POOL))]
        visits: list[Visit] = []
        for code in kept:
            anchor, unit, amount, minus, plus = pool[code]
            if draw(st.booleans()):                                 # changed in this version
                unit, amount, minus, plus = draw(shapes()) if draw(st.booleans()) else (
                    unit, amount, draw(st.integers(0, 20)), draw(st.integers(0, 20)))
            earlier = [visit.code for visit in visits]
            if anchor not in earlier or draw(st.integers(0, 5)) == 0:
                anchor = draw(st.sampled_from(["enrollment", *earlier]))
            visits.append(Visit(code=code, name=f"Visit {code} v{NAMES[number]}", anchor=anchor, unit=unit,
                                amount=amount, minus=minus, plus=plus))
        versions.append(Protocol(study_id="P", timezone="Asia/Shanghai", visits=tuple(visits),
                                 version=NAMES[number], effective=effective[number],
                                 source=f"v{number + 1}.toml"))
    return versions


@dataclass
class Study:
    versions: list[Protocol]          # by effective date
    enrollment: list[dt.date]
    withdrawal: list[dt.date | None]
    history: list[list[tuple[int, dt.date]]]   # per participant: (version index, move date), in date order
    order: list[int]                  # the participant of each line of versions.csv, in file order
    offsets: list[dict[str, int | None]]   # per participant: each code's actual date, days from enrollment
    as_of: dt.date


def start_of(versions: list[Protocol], enrolled: dt.date) -> int:
    """The version in force on the enrollment date: the latest effective on or before it."""
    return max(k for k, each in enumerate(versions) if each.effective <= enrolled)


def shifted(day: dt.date, visit: Visit) -> dt.date:
    """The target for this anchor date (the month rule as tests/test_properties.py's)."""
    if visit.unit == "month":
        return add_months(day, visit.amount)
    return day + visit.amount * (7 if visit.unit == "week" else 1) * DAY


def edges(versions: list[Protocol], enrolled: dt.date, done: dict[str, dt.date]) -> list[dt.date]:
    """Every version's window edges for this participant (anchors on the anchor's actual
    date, else its target under the same version) and their actual dates: move dates drawn on
    them test the rule's < and ≤."""
    days = [*done.values()]
    for each in versions:
        anchor: dict[str, dt.date] = {}
        for visit in each.visits:
            target = shifted(enrolled if visit.anchor == "enrollment" else anchor[visit.anchor], visit)
            anchor[visit.code] = done.get(visit.code, target)
            days += [target - visit.minus * DAY, target + visit.plus * DAY]
    return sorted(set(days))


@st.composite
def studies(draw: st.DrawFn) -> Study:
    versions = draw(version_lists())
    first = versions[0].effective
    people = draw(st.integers(1, 4))
    enrollment, withdrawal, history, offsets = [], [], [], []
    for _ in range(people):
        # Mostly soon after an effective date other than the last (room for moves).
        since_effective = draw(st.sampled_from(versions[:-1] or versions)).effective
        enrolled = draw(st.sampled_from([since_effective, first])) + draw(st.integers(0, 60) | st.integers(0, 900)) * DAY
        gap = draw(st.integers(0, 600)) if draw(st.integers(0, 3)) == 0 else None    # a quarter withdrawn
        withdrew = None if gap is None else enrolled + gap * DAY
        # Actual dates anywhere, or on a window's edge under some version.
        near = [(day - enrolled).days + shift for day in edges(versions, enrolled, {}) for shift in (-1, 0, 1)]
        offsets.append({code: draw(st.none() | st.integers(-60, 800) | st.sampled_from(near)) for code in POOL})
        done = {code: enrolled + days * DAY for code, days in offsets[-1].items() if days is not None}
        current, since, moves = start_of(versions, enrolled), enrolled, []
        for _ in range(draw(st.integers(0, 3))):
            if current == len(versions) - 1:
                break
            # Only valid histories: to a strictly later version, on or after its effective
            # date, the enrollment and the previous move, before the withdrawal.
            to = draw(st.just(current + 1) | st.integers(current + 1, len(versions) - 1))
            earliest = max(since, versions[to].effective)
            # The move dated anywhere, or on an edge of the window left or the one moved to.
            later = [day for day in edges([versions[current], versions[to]], enrolled, done) if day > earliest]
            if later and draw(st.integers(0, 2)):
                day = draw(st.sampled_from(later))
            else:
                day = earliest + draw(st.just(0) | st.integers(0, 250)) * DAY
            if withdrew is not None and day >= withdrew:
                break
            moves.append((to, day))
            current, since = to, day
        enrollment.append(enrolled)
        withdrawal.append(withdrew)
        history.append(moves)
    order = draw(st.permutations([p for p, moves in enumerate(history) for _ in moves]))
    # Mostly after the last move or enrollment, sometimes before (a look-back).
    last = max([*enrollment, *(day for moves in history for _, day in moves)])
    as_of = draw(st.sampled_from([last, last, last, first])) + draw(st.integers(-100, 800)) * DAY
    return Study(versions, enrollment, withdrawal, history, list(order), offsets, as_of)


def combined_of(study: Study) -> Protocol:
    try:
        combined = combine(study.versions[-1], study.versions[:-1])
    except ProtocolError:
        assume(False)
        raise
    assert [each.version for each in combined.versions] == [each.version for each in study.versions]
    return combined


# --- the plain reference ----------------------------------------------------------------------

def in_force(study: Study, person: int, as_of: dt.date) -> list[tuple[int, dt.date]]:
    """The participant's moves made on or before ``as_of``, in date order."""
    return [(to, day) for to, day in study.history[person] if day <= as_of]


def chain(study: Study, person: int, as_of: dt.date) -> list[int]:
    """The versions the participant follows one after the other, as of ``as_of``."""
    return [start_of(study.versions, study.enrollment[person])] + [to for to, _ in in_force(study, person, as_of)]


def actual_dates(study: Study, person: int, as_of: dt.date) -> dict[str, dt.date]:
    """Actual dates only for the codes some version of the participant's chain has."""
    codes = {code for v in chain(study, person, as_of) for code in study.versions[v].codes}
    return {code: study.enrollment[person] + offset * DAY
            for code, offset in study.offsets[person].items() if offset is not None and code in codes}


def reference(study: Study, codes: tuple[str, ...], as_of: dt.date) -> list[tuple[Any, ...]]:
    """Every participant in roster order, each as ``one_participant`` says."""
    return [row for person in range(len(study.enrollment)) for row in one_participant(study, person, codes, as_of)]


def one_participant(study: Study, person: int, codes: tuple[str, ...], as_of: dt.date) -> list[tuple[Any, ...]]:
    """One participant, step by step: the start version, then each move in date order; in
    each step one code at a time in the combined order. A code is judged by the window the
    step before left it (the old window) and by the new version's window hung on the anchors
    as this step leaves them; its window is then its version's rule hung on those anchors."""
    versions = study.versions
    enrolled, withdrew = study.enrollment[person], study.withdrawal[person]
    done = actual_dates(study, person, as_of)
    line = chain(study, person, as_of)

    def target_of(code: str, v: int, followed: dict[str, int | None], targets: dict[str, dt.date]) -> dt.date:
        """``code``'s target under version ``v``, hung on this step's anchors."""
        visit = versions[v].visit(code)
        if visit.anchor == "enrollment":
            anchor = enrolled
        elif visit.anchor in done:
            anchor = done[visit.anchor]
        elif followed.get(visit.anchor) is not None:            # the anchor's followed window
            anchor = targets[visit.anchor]
        else:                                                   # not followed: its target under v
            anchor = target_of(visit.anchor, v, followed, targets)
        return one_visit(visit, anchor, None, enrolled, withdrew, as_of)[0]

    followed: dict[str, int | None] = {}
    targets: dict[str, dt.date] = {}
    for code in codes:                                          # the start version
        followed[code] = line[0] if code in versions[line[0]].codes else None
        if followed[code] is not None:
            targets[code] = target_of(code, line[0], followed, targets)
    for to, day in in_force(study, person, as_of):
        now: dict[str, int | None] = {}
        hung: dict[str, dt.date] = {}
        for code in codes:
            f = followed[code]
            old_open = targets[code] - versions[f].visit(code).minus * DAY if f is not None else None
            if f is not None and (old_open < day or (code in done and done[code] < day)):
                g = f                                           # keeps the old window
            elif code in versions[to].codes:
                close = target_of(code, to, now, hung) + versions[to].visit(code).plus * DAY
                g = to if close >= day else f                   # a new window closed before: the old one
            else:
                g = None                                        # only the old version has it
            if g is None and code in done:                      # a done visit never disappears
                g = f if f is not None else (to if code in versions[to].codes else None)
            now[code] = g
            if g is not None:
                hung[code] = target_of(code, g, now, hung)
        followed, targets = now, hung
    rows = []
    for code in codes:
        f = followed[code]
        if f is not None:
            target, opens, closes, status, days = _judged(versions[f].visit(code), targets[code], done.get(code),
                                                          enrolled, withdrew, as_of)
            rows.append((f"P{person}", code, target, opens, closes, done.get(code), status, days,
                         versions[f].version))
    return rows


def _judged(visit: Visit, target: dt.date, actual: dt.date | None, enrolled: dt.date, withdrew: dt.date | None,
            as_of: dt.date) -> tuple[Any, ...]:
    """The window around ``target`` and its status, as the shared reference judges a visit:
    one_visit on a day-0 copy of the visit anchored on the target itself."""
    at_target = dataclasses.replace(visit, unit="day", amount=0)
    return one_visit(at_target, target, actual, enrolled, withdrew, as_of)


# --- the core ---------------------------------------------------------------------------------

def roster(study: Study, people: list[int] | None = None) -> pd.DataFrame:
    people = list(range(len(study.enrollment))) if people is None else people
    return pd.DataFrame({
        "participant_id": pd.Series([f"P{p}" for p in people], dtype=object),
        "enrollment_date": np.array([study.enrollment[p] for p in people], dtype="M8[D]"),
        "withdrawal_date": np.array([study.withdrawal[p] for p in people], dtype="M8[D]"),
        "site": pd.Series([""] * len(people), dtype=object),
    })


def records(study: Study, protocol: Protocol, as_of: dt.date, people: list[int] | None = None) -> Records:
    people = list(range(len(study.enrollment))) if people is None else people
    cells = [(row, protocol.codes.index(code), day) for row, p in enumerate(people)
             for code, day in actual_dates(study, p, as_of).items() if code in protocol.codes]
    return Records(np.array([c[0] for c in cells], dtype=np.int64),
                   np.array([c[1] for c in cells], dtype=np.int64),
                   np.array([c[2] for c in cells], dtype="M8[D]"),
                   np.array([""] * len(cells), dtype=object), ())


def moves_of(study: Study) -> Moves:
    """versions.csv: each participant's moves in date order, interleaved in the drawn order."""
    pending = [list(moves) for moves in study.history]
    lines = [(p, *pending[p].pop(0)) for p in study.order]
    return Moves(np.array([f"P{p}" for p, _, _ in lines], dtype=object),
                 np.array([study.versions[to].version for _, to, _ in lines], dtype=object),
                 np.array([day for _, _, day in lines], dtype="M8[D]"),
                 np.arange(2, len(lines) + 2, dtype=np.int64))


def check(protocol: Protocol, study: Study, as_of: dt.date, moves: Moves | None,
          people: list[int] | None = None) -> pd.DataFrame:
    return compute_check(protocol, roster(study, people), records(study, protocol, as_of, people),
                         np.datetime64(as_of, "D"), moves)


def day_or_none(value: Any) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def rows_of(table: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [(str(row.participant_id), str(row.visit_code), day_or_none(row.target_date),
             day_or_none(row.window_open), day_or_none(row.window_close), day_or_none(row.actual_date),
             str(row.status), None if pd.isna(row.days_outside) else int(row.days_outside),
             str(row.protocol_version)) for row in table.itertuples()]


# --- the properties ---------------------------------------------------------------------------

def by_hand(days: tuple[int | None, ...], actual: int | None, moves: tuple[int, ...]) -> Study:
    """Versions 1.0, 2.0, … taking effect 2020-01-01, 01-02, …, each with visit V0 on day
    ``days[k]`` ± 2 from enrollment (None: the version lacks it) and V1 on day 100; one
    participant enrolled 2020-01-01 under 1.0, V0 done on day ``actual`` (or not), moved to
    2.0, 3.0, … on the days ``moves``: the rule's edges met exactly."""
    start = dt.date(2020, 1, 1)
    versions = [Protocol(study_id="P", timezone="Asia/Shanghai", version=NAMES[number],
                         effective=start + number * DAY, source=f"v{number + 1}.toml",
                         visits=(*(() if day is None else (Visit(code="V0", name="Visit V0", anchor="enrollment",
                                                                 unit="day", amount=day, minus=2, plus=2),)),
                                 Visit(code="V1", name="Visit V1", anchor="enrollment", unit="day", amount=100)))
                for number, day in enumerate(days)]
    history = [(number, start + day * DAY) for number, day in enumerate(moves, start=1)]
    return Study(versions, [start], [None], [history], [0] * len(moves), [{"V0": actual, "V1": None}],
                 dt.date(2020, 6, 1))


@settings(max_examples=150, deadline=None)
@given(studies())
@example(by_hand((30, 40), None, (28,)))        # moved on the old window's opening day: the new window
@example(by_hand((30, 40), 19, (19,)))          # moved the day the visit was done (before its window): the new window
@example(by_hand((30, 10), None, (12,)))        # moved on the new window's closing day: the new window
@example(by_hand((30, None, 10), 50, (5, 20)))  # dropped, then back but closed; done later: the window it had
def test_the_check_under_a_version_history_equals_the_reference(study):
    """Row for row: the expected visits (participant-major, combined order), their windows,
    statuses, days outside and the version each window comes from."""
    combined = combined_of(study)
    table = check(combined, study, study.as_of, moves_of(study))
    assert rows_of(table) == reference(study, combined.codes, study.as_of)


@settings(max_examples=50, deadline=None)
@given(studies())
def test_without_moves_each_participant_follows_their_start_version_alone(study):
    """No moves: the same windows and statuses as the check of the version in force at each
    participant's enrollment, computed on that version's protocol alone."""
    combined = combined_of(study)
    empty = Moves.empty()
    table = {(row[0], row[1]): row[2:] for row in rows_of(check(combined, study, study.as_of, empty))}
    alone = {}
    for person, enrolled in enumerate(study.enrollment):
        version = study.versions[start_of(study.versions, enrolled)]
        assert not version.versions                         # the version as a protocol of its own
        for row in rows_of(check(version, study, study.as_of, None, [person])):
            alone[(f"P{person}", row[1])] = row[2:]
    assert table == alone


@settings(max_examples=40, deadline=None)
@given(studies(), st.integers(1, 400))
def test_a_look_back_before_the_first_move_ignores_the_history(study, before):
    """as_of before every move: the very table of no moves at all."""
    assume(any(study.history))
    combined = combined_of(study)
    as_of = min(day for moves in study.history for _, day in moves) - before * DAY
    with_history = check(combined, study, as_of, moves_of(study))
    pd.testing.assert_frame_equal(with_history, check(combined, study, as_of, None))
    pd.testing.assert_frame_equal(with_history, check(combined, study, as_of, Moves.empty()))


@settings(max_examples=60, deadline=None)
@given(studies())
def test_every_window_is_one_its_version_defines(study):
    """Each row's window is its protocol_version's visit: open = target − minus, close =
    target + plus, target = its anchor's date (enrollment, else the anchor row's actual date,
    else its target) + the offset."""
    combined = combined_of(study)
    rows = rows_of(check(combined, study, study.as_of, moves_of(study)))
    by_key = {(row[0], row[1]): row for row in rows}
    for pid, code, target, opens, closes, _, _, _, version in rows:
        each = combined.version_named(version)
        assert each is not None and code in each.codes
        visit = each.visit(code)
        assert opens == target - visit.minus * DAY
        assert closes == target + visit.plus * DAY
        if visit.anchor == "enrollment":
            assert target == shifted(study.enrollment[int(pid[1:])], visit)
        elif (pid, visit.anchor) in by_key:
            anchor = by_key[(pid, visit.anchor)]
            assert target == shifted(anchor[5] or anchor[2], visit)
