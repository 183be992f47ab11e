"""Arms ([[arms]]) for any protocol, roster and actual dates (hypothesis): the vectorized core
against a plain one-participant, one-visit-at-a-time reference written from PRODUCT.md's
rule ("a visit with `arms = [...]` belongs only to those arms … an empty `arm` means not yet
assigned: only the visits every arm has … Without arms, every visit applies to everyone")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.core.records import Records
from scheduler.core.status import CHECK_COLUMNS, compute_check
from scheduler.protocol import Protocol, Visit
from scheduler.protocol.model import Arm
from tests.test_properties import DAY, dates, one_visit, protocols

CODES = ("A", "B", "C")


@st.composite
def arm_protocols(draw: st.DrawFn) -> Protocol:
    """1–3 arms; each visit for a random non-empty subset of them, or () (every arm); each
    anchor enrollment or an earlier visit that every arm of this visit has."""
    codes = CODES[:draw(st.integers(1, 3))]
    visits: list[Visit] = []
    owners: dict[str, set[str]] = {}                   # the arms that have each visit
    for index in range(draw(st.integers(1, 6))):
        arms: tuple[str, ...] = draw(st.just(()) | st.lists(st.sampled_from(codes), min_size=1, unique=True)
                                     .map(tuple))
        mine = set(arms) or set(codes)
        anchor = draw(st.sampled_from(["enrollment"] + [v.code for v in visits if mine <= owners[v.code]]))
        unit = draw(st.sampled_from(["day", "week", "month"]))
        amount = draw(st.integers(-3, 40) if unit != "day" else st.integers(-30, 400))
        code = f"V{index}"
        visits.append(Visit(code=code, name=f"Visit {index}", anchor=anchor, unit=unit, amount=amount,
                            minus=draw(st.integers(0, 20)), plus=draw(st.integers(0, 20)), arms=arms))
        owners[code] = mine
    return Protocol(study_id="P", timezone="Asia/Shanghai", visits=tuple(visits),
                    arms=tuple(Arm(code=code, name=f"Arm {code}") for code in codes))


@st.composite
def arm_studies(draw: st.DrawFn) -> tuple[Any, ...]:
    protocol = draw(arm_protocols())
    people = draw(st.integers(1, 4))
    roster_arms = [draw(st.sampled_from((*protocol.arm_codes, ""))) for _ in range(people)]
    # A roster whose participants are all not yet assigned may have no arm column at all.
    with_column = draw(st.booleans()) if all(arm == "" for arm in roster_arms) else True
    enrollment = [draw(dates) for _ in range(people)]
    withdrawal = [draw(st.none() | st.integers(0, 500)) for _ in range(people)]
    actual = [[draw(st.none() | st.integers(-60, 800)) for _ in protocol.visits] for _ in range(people)]
    as_of = draw(dates)
    return protocol, roster_arms, with_column, enrollment, withdrawal, actual, as_of


def has_visit(protocol: Protocol, arm: str, visit: Visit) -> bool:
    """PRODUCT.md's rule, in plain set logic: a visit without `arms` is every arm's; an
    assigned participant has the visits naming their arm; one not yet assigned ("") only
    the visits that every arm has."""
    if not visit.arms:
        return True
    if arm == "":
        return {a.code for a in protocol.arms} <= set(visit.arms)
    return arm in visit.arms


def reference(protocol: Protocol, roster_arms: list[str], enrollment: list[dt.date],
              withdrawal: list[int | None], actual: list[list[dt.date | None]],
              as_of: dt.date) -> list[tuple[Any, ...]]:
    """Per participant, the protocol's visits in order, skipping those their arm does not
    have; windows and statuses as tests/test_properties.py's reference computes them."""
    rows = []
    for person, enrolled in enumerate(enrollment):
        withdrew = None if withdrawal[person] is None else enrolled + withdrawal[person] * DAY
        effective: dict[str, dt.date] = {}
        for index, visit in enumerate(protocol.visits):
            if not has_visit(protocol, roster_arms[person], visit):
                continue
            anchor = enrolled if visit.anchor == "enrollment" else effective[visit.anchor]
            done = actual[person][index]
            target, opens, closes, status, days = one_visit(visit, anchor, done, enrolled, withdrew, as_of)
            effective[visit.code] = done if done is not None else target
            rows.append((f"P{person}", visit.code, target, opens, closes, done, status, days, roster_arms[person]))
    return rows


def roster(enrollment: list[dt.date], withdrawal: list[int | None], arms: list[str] | None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "participant_id": [f"P{i}" for i in range(len(enrollment))],
        "enrollment_date": np.array(enrollment, dtype="M8[D]"),
        "withdrawal_date": np.array([None if w is None else e + w * DAY for e, w in zip(enrollment, withdrawal)],
                                    dtype="M8[D]"),
    })
    if arms is not None:
        frame["arm"] = pd.Series(arms, dtype=object)
    return frame


def records(actual: list[list[dt.date | None]]) -> Records:
    cells = [(p, v, day) for p, row in enumerate(actual) for v, day in enumerate(row) if day is not None]
    return Records(np.array([c[0] for c in cells], dtype=np.int64),
                   np.array([c[1] for c in cells], dtype=np.int64),
                   np.array([c[2] for c in cells], dtype="M8[D]"),
                   np.array([""] * len(cells), dtype=object), ())


def day_or_none(value: Any) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


@settings(max_examples=150, deadline=None)
@given(arm_studies())
def test_each_participant_has_their_arms_visits_as_the_reference_says(study):
    """With [[arms]]: only the visits of each participant's arm (not yet assigned: those of
    every arm), participant-major in protocol order, windows and statuses as without arms
    (anchors on the anchor's actual date, else its target), and the arm after the contract."""
    protocol, roster_arms, with_column, enrollment, withdrawal, offsets, as_of = study
    # Dates only for the participant's own visits: a record of another arm's visit is a
    # visits-file problem ("not of the arm"), refused before the core sees it.
    actual = [[None if offset is None or not has_visit(protocol, roster_arms[person], visit)
               else enrollment[person] + offset * DAY for visit, offset in zip(protocol.visits, row)]
              for person, row in enumerate(offsets)]
    table = compute_check(protocol, roster(enrollment, withdrawal, roster_arms if with_column else None),
                          records(actual), np.datetime64(as_of, "D"))
    assert list(table.columns[:len(CHECK_COLUMNS)]) == list(CHECK_COLUMNS)
    assert list(table.columns[-2:]) == ["arm", "protocol_version"] and "arm" not in table.columns[:-2]
    got = [(str(row.participant_id), str(row.visit_code), day_or_none(row.target_date),
            day_or_none(row.window_open), day_or_none(row.window_close), day_or_none(row.actual_date),
            str(row.status), None if pd.isna(row.days_outside) else int(row.days_outside), row.arm)
           for row in table.itertuples()]
    assert got == reference(protocol, roster_arms, enrollment, withdrawal, actual, as_of)


@settings(max_examples=75, deadline=None)
@given(protocols(), st.integers(1, 4).flatmap(lambda people: st.tuples(
    st.lists(dates, min_size=people, max_size=people),
    st.lists(st.none() | st.integers(0, 500), min_size=people, max_size=people),
    st.lists(st.sampled_from(["", "A", "B", "Z", None]), min_size=people, max_size=people))),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(-60, 800)), max_size=8), dates)
def test_without_arms_an_arm_column_changes_nothing(protocol, people, cells, as_of):
    """Without [[arms]] every visit applies to everyone: the check is the same table whether
    or not the roster has an `arm` column, whatever it holds (and gets no `arm` column)."""
    assert not protocol.arms
    enrollment, withdrawal, arms = people
    actual: list[list[dt.date | None]] = [[None] * len(protocol.visits) for _ in enrollment]
    for person, visit, offset in cells:
        if person < len(enrollment) and visit < len(protocol.visits):
            actual[person][visit] = enrollment[person] + offset * DAY
    plain = compute_check(protocol, roster(enrollment, withdrawal, None), records(actual), np.datetime64(as_of, "D"))
    armed = compute_check(protocol, roster(enrollment, withdrawal, arms), records(actual), np.datetime64(as_of, "D"))
    assert "arm" not in plain.columns
    pd.testing.assert_frame_equal(plain, armed)
