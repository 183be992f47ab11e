"""Invariants for any protocol, enrollment and actual dates (hypothesis), checked against a
plain one-visit-at-a-time reference written straight from PRODUCT.md's rules."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import os
import time

import numpy as np
import pandas as pd
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import clock
from scheduler.core.records import Records, record_order
from scheduler.core.status import DEVIATIONS, STATUSES, compute_check
from scheduler.protocol import Protocol, Visit

DAY = dt.timedelta(days=1)


@contextlib.contextmanager
def computer_zone(zone: str):
    """Run the block as if the computer's own time zone were ``zone``."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@st.composite
def protocols(draw):
    count = draw(st.integers(1, 6))
    visits = []
    for index in range(count):
        anchor = draw(st.sampled_from(["enrollment"] + [v.code for v in visits]))
        unit = draw(st.sampled_from(["day", "week", "month"]))
        amount = draw(st.integers(-3, 40) if unit != "day" else st.integers(-30, 400))
        visits.append(Visit(code=f"V{index}", name=f"Visit {index}", anchor=anchor, unit=unit,
                            amount=amount, minus=draw(st.integers(0, 20)), plus=draw(st.integers(0, 20))))
    return Protocol(study_id="P", timezone="Asia/Shanghai", visits=tuple(visits))


dates = st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2090, 12, 31))


@st.composite
def studies(draw):
    protocol = draw(protocols())
    people = draw(st.integers(1, 4))
    enrollment = [draw(dates) for _ in range(people)]
    withdrawal = [draw(st.none() | st.integers(0, 500)) for _ in range(people)]
    actual = [[draw(st.none() | st.integers(-60, 800)) for _ in protocol.visits] for _ in range(people)]
    as_of = draw(dates)
    return protocol, enrollment, withdrawal, actual, as_of


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def one_visit(visit, anchor, done, enrolled, withdrew, as_of):
    """One visit of one participant, in plain Python, from PRODUCT.md's wording: its target,
    window, status and days outside."""
    if visit.unit == "month":
        target = add_months(anchor, visit.amount)
    else:
        target = anchor + visit.amount * (7 if visit.unit == "week" else 1) * DAY
    opens, closes = target - visit.minus * DAY, target + visit.plus * DAY
    if done is not None:
        status = "early" if done < opens else "late" if done > closes else "in_window"
        days = (opens - done).days if status == "early" else (done - closes).days if status == "late" else 0
    elif withdrew is not None and withdrew <= closes:
        status, days = "withdrawn", None
    elif enrolled > as_of:
        status, days = "upcoming", None
    elif as_of > closes:
        status, days = "missed", (min(as_of, withdrew or as_of) - closes).days
    elif as_of >= opens:
        status, days = "due", None
    else:
        status, days = "upcoming", None
    return target, opens, closes, status, days


def reference(protocol, enrollment, withdrawal, actual, as_of):
    """One participant, one visit at a time (anchors on the anchor's actual date, else its
    target)."""
    rows = []
    for person, enrolled in enumerate(enrollment):
        withdrew = None if withdrawal[person] is None else enrolled + withdrawal[person] * DAY
        effective = {}
        for index, visit in enumerate(protocol.visits):
            anchor = enrolled if visit.anchor == "enrollment" else effective[visit.anchor]
            done = actual[person][index]
            target, opens, closes, status, days = one_visit(visit, anchor, done, enrolled, withdrew, as_of)
            effective[visit.code] = done if done is not None else target
            rows.append((target, opens, closes, status, days))
    return rows


def run_core(protocol, enrollment, withdrawal, actual, as_of):
    participants = pd.DataFrame({
        "participant_id": [f"P{i}" for i in range(len(enrollment))],
        "enrollment_date": np.array(enrollment, dtype="M8[D]"),
        "withdrawal_date": np.array([None if w is None else e + w * DAY for e, w in zip(enrollment, withdrawal)],
                                    dtype="M8[D]"),
    })
    cells = [(p, v, day) for p, row in enumerate(actual) for v, day in enumerate(row) if day is not None]
    records = Records(np.array([c[0] for c in cells], dtype=np.int64),
                      np.array([c[1] for c in cells], dtype=np.int64),
                      np.array([c[2] for c in cells], dtype="M8[D]"),
                      np.array([""] * len(cells), dtype=object), ())
    return compute_check(protocol, participants, records, np.datetime64(as_of, "D"))


def absolute_actuals(protocol, enrollment, actual):
    """Actual dates drawn as offsets from enrollment; keep them in a sane range."""
    return [[None if offset is None else enrolled + offset * DAY for offset in row]
            for enrolled, row in zip(enrollment, actual)]


@settings(max_examples=300, deadline=None)
@given(studies())
def test_vectorized_core_equals_the_reference(study):
    """Windows, statuses and days_outside equal the one-at-a-time reference, for any plan."""
    protocol, enrollment, withdrawal, actual, as_of = study
    actual = absolute_actuals(protocol, enrollment, actual)
    table = run_core(protocol, enrollment, withdrawal, actual, as_of)
    expected = reference(protocol, enrollment, withdrawal, actual, as_of)
    got = [(row.target_date.date(), row.window_open.date(), row.window_close.date(), row.status,
            None if pd.isna(row.days_outside) else int(row.days_outside)) for row in table.itertuples()]
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(studies())
def test_invariants(study):
    """open ≤ target ≤ close; one status per expected visit; days_outside ≥ 1 for every
    deviation, 0 in window, empty otherwise."""
    protocol, enrollment, withdrawal, actual, as_of = study
    actual = absolute_actuals(protocol, enrollment, actual)
    table = run_core(protocol, enrollment, withdrawal, actual, as_of)
    assert len(table) == len(enrollment) * len(protocol.visits)
    assert (table["window_open"] <= table["target_date"]).all()
    assert (table["target_date"] <= table["window_close"]).all()
    assert table["status"].isin(STATUSES).all()
    deviation = table["status"].isin(DEVIATIONS)
    assert (table.loc[deviation, "days_outside"] >= 1).all()
    assert (table.loc[table["status"] == "in_window", "days_outside"] == 0).all()
    assert table.loc[~deviation & (table["status"] != "in_window"), "days_outside"].isna().all()


@settings(max_examples=25, deadline=None)
@given(studies(), st.sampled_from(["UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Shanghai",
                                   "Pacific/Pago_Pago"]))
def test_statuses_do_not_depend_on_the_computers_time_zone(study, zone):
    """The same study gives the same table whatever TZ the computer runs in."""
    protocol, enrollment, withdrawal, actual, as_of = study
    actual = absolute_actuals(protocol, enrollment, actual)
    baseline = run_core(protocol, enrollment, withdrawal, actual, as_of)
    with computer_zone(zone):
        again = run_core(protocol, enrollment, withdrawal, actual, as_of)
    pd.testing.assert_frame_equal(baseline, again)


def test_today_is_the_study_zones_today_whatever_the_computers_zone():
    """At 2010-09-01 20:30 UTC it is already 09-02 in Shanghai, still 09-01 in Los Angeles."""
    moment = pendulum.datetime(2010, 9, 1, 20, 30, tz="UTC")
    with pendulum.travel_to(moment, freeze=True):
        for zone in ("UTC", "America/Los_Angeles", "Asia/Tokyo"):
            with computer_zone(zone):
                assert str(clock.today("Asia/Shanghai")) == "2010-09-02"
                assert str(clock.today("America/Los_Angeles")) == "2010-09-01"


@settings(max_examples=200, deadline=None)
@given(records=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.none() | st.integers(0, 60),
                                  st.sampled_from(["", "ill"])), max_size=12),
       as_of_day=st.integers(0, 70), today_day=st.integers(0, 70))
def test_record_rules_against_a_reference(records, as_of_day, today_day):
    """Which record is used for each visit, for any mix of dated, undated and repeated
    records: the earliest date on or before both today and the as-of date; else a "did not
    happen" record with its reason; an empty date without a reason is never used."""
    from scheduler.core.records import check_records
    from scheduler.core.table import Table
    from scheduler.protocol import load_built_in

    protocol = load_built_in()
    start = dt.date(2010, 9, 1)
    participants = pd.DataFrame({"participant_id": ["P0", "P1", "P2"],
                                 "enrollment_date": np.array([start] * 3, dtype="M8[D]"),
                                 "withdrawal_date": np.array([None] * 3, dtype="M8[D]")})
    frame = pd.DataFrame({
        "participant_id": [f"P{p}" for p, _, _, _ in records],
        "visit_code": [protocol.codes[v] for _, v, _, _ in records],
        "actual_date": np.array([None if d is None else start + d * DAY for _, _, d, _ in records], dtype="M8[D]"),
        "date_code": np.array([0 if d is not None else 1 for _, _, d, _ in records], dtype=np.int8),
        "date_text": ["" if d is None else str(start + d * DAY) for _, _, d, _ in records],
        "reason": [r for _, _, _, r in records],
        "line": np.arange(2, len(records) + 2),
    })
    today, as_of = start + today_day * DAY, start + as_of_day * DAY
    used = check_records(frame, Table(frame, "visits.csv"), participants, protocol,
                         np.datetime64(today, "D"), np.datetime64(as_of, "D"))
    got = {(int(p), int(v)): (None if np.isnat(d) else str(d), r)
           for p, v, d, r in zip(used.participant, used.visit, used.actual_date, used.reason)}
    expected = {}
    for p, v, d, r in records:
        if d is None and r == "":
            continue                                   # empty date without a reason
        if d is not None and start + d * DAY > min(today, as_of):
            continue                                   # after today (a problem) or after as-of
        day = None if d is None else str(start + d * DAY)
        best = expected.get((p, v))
        if best is None or (best[0] is None and day is not None) or (
                day is not None and best[0] is not None and day < best[0]):
            expected[(p, v)] = (day, r)
    assert got == expected


@given(st.dates(dt.date(1900, 1, 1), dt.date(2190, 12, 31)), st.integers(-240, 240))
def test_the_two_forms_of_the_month_rule_agree(day, months):
    """One month rule, two forms: the protocol's for one date and the core's for a column
    give the same day (2012-01-31 + 1 month = 2012-02-29 in both)."""
    from scheduler.months import add_months, add_months_to

    column = add_months(np.array([np.datetime64(day.isoformat(), "D")]), months)
    assert str(column[0]) == add_months_to(day, months).isoformat()
    assert add_months_to(dt.date(2012, 1, 31), 1) == dt.date(2012, 2, 29)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 7), st.one_of(st.none(), st.integers(0, 60))),
                max_size=60),
       st.booleans(), st.sampled_from([1, 2 ** 48]), st.randoms(use_true_random=False))
def test_records_are_ordered_as_lexsort_orders_them(rows, rising, scale, random):
    """record_order (one int64 key, sorted stably) is np.lexsort over participant, visit,
    dated first, date and line, whether the lines rise or not and whether the dates fit in
    the key or not (then it is lexsort itself)."""
    participant = np.array([row[0] for row in rows], dtype=np.intp)
    visit = np.array([row[1] for row in rows], dtype=np.intp)
    # Days from 2008-05-01 (14,000), or spread so far apart (scale 2**48) that no key holds them.
    actual = np.array([np.datetime64("NaT") if row[2] is None else np.datetime64(14000 + row[2] * scale, "D")
                       for row in rows],
                      dtype="M8[D]")
    lines = np.arange(2, len(rows) + 2)
    if not rising:
        random.shuffle(lines)
    expected = np.lexsort((lines, actual.astype(np.int64), np.isnat(actual), visit, participant))
    assert record_order(participant, visit, actual, lines, 8).tolist() == expected.tolist()
