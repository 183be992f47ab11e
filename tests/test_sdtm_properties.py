"""Invariants of the SDTM datasets for any study (hypothesis): the cross-dataset rules a
validator (CDISC CORE, Pinnacle 21) applies, checked on the core's output directly.

- no study day is 0; every --DY is the SDTM day of its date from RFSTDTC;
- SESEQ, DSSEQ, DVSEQ count 1, 2 … per USUBJID; SUPPDV's IDVARVAL names an existing DVSEQ;
- SE's elements follow each other without gap or overlap, the first starting at the first
  visit done, and none ending after RFPENDTC;
- the EPOCH of an SV, DV or DS record with a date agrees with the SE element the participant
  was in on that date (the element begun last on or before it);
- nothing dated after the as-of date; DM one row per participant enrolled by then;
- DS COMPLETED only for a participant with a visit done, never beside a withdrawal.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from itertools import pairwise

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.core import sdtm
from scheduler.core.records import Records
from scheduler.core.sdtm_spec import DATASETS
from scheduler.core.status import compute_check
from scheduler.protocol import Protocol, Visit
from scheduler.protocol.model import Design

DAY = dt.timedelta(days=1)
KINDS = ("screening", "treatment", "follow-up")


@st.composite
def studies(draw):
    count = draw(st.integers(2, 6))
    visits, day = [], draw(st.integers(-20, 0))
    for index in range(count):
        kind = KINDS[min(2, draw(st.integers(0, 2)) if index else 0)] if index else draw(st.sampled_from(KINDS))
        visits.append(Visit(code=f"V{index}", name=f"Visit {index}", anchor="enrollment", unit="day", amount=day,
                            minus=draw(st.integers(0, 5)), plus=draw(st.integers(0, 5)), kind=kind,
                            epoch={"screening": "SCREENING", "treatment": "TREATMENT",
                                   "follow-up": "FOLLOW-UP"}[kind]))
        day += draw(st.integers(1, 60))
    day0 = draw(st.sampled_from([visit.code for visit in visits]))
    protocol = Protocol(study_id="S", timezone="UTC", visits=tuple(visits), site_id="1", day0=day0,
                        design=Design(country="CHN"))
    people = draw(st.integers(1, 5))
    start = dt.date(2010, 1, 1)
    enrollment = [start + draw(st.integers(0, 90)) * DAY for _ in range(people)]
    withdrawal = [draw(st.none() | st.integers(0, 300)) for _ in range(people)]
    category = [draw(st.sampled_from(["WITHDRAWAL BY SUBJECT", "DEATH", "ADVERSE EVENT"])) for _ in range(people)]
    consent = [draw(st.none() | st.integers(-10, 3)) for _ in range(people)]
    # Per visit: not recorded, done some days off its target, or recorded not done.
    actual = [[draw(st.none() | st.integers(-8, 8) | st.just("not done")) for _ in visits] for _ in range(people)]
    as_of = start + draw(st.integers(0, 500)) * DAY
    return protocol, enrollment, withdrawal, category, consent, actual, as_of


def built(protocol, enrollment, withdrawal, category, consent, actual, as_of):
    withdrawn = [None if w is None else e + w * DAY for e, w in zip(enrollment, withdrawal)]
    participants = pd.DataFrame({
        "participant_id": [f"P{i}" for i in range(len(enrollment))],
        "enrollment_date": np.array(enrollment, dtype="M8[D]"),
        "withdrawal_date": np.array(withdrawn, dtype="M8[D]"),
        "withdrawal_reason": "", "site": "",
        "withdrawal_category": [c if w is not None else "" for c, w in zip(category, withdrawn)],
        # Never after the withdrawal: the roster refuses that.
        "consent_date": np.array([None if c is None else min(e + c * DAY, w or e + c * DAY)
                                  for e, c, w in zip(enrollment, consent, withdrawn)], dtype="M8[D]"),
        "sex": "F", "age": pd.array([30] * len(enrollment), dtype="Int64"), "line": range(2, 2 + len(enrollment)),
    })
    cells = []
    targets = {visit.code: visit.amount for visit in protocol.visits}
    for person, row in enumerate(actual):
        for index, offset in enumerate(row):
            if offset is None:
                continue
            if offset == "not done":
                cells.append((person, index, None, "did not come"))
                continue
            day = enrollment[person] + (targets[protocol.visits[index].code] + offset) * DAY
            # As the records reader does: nothing after the as-of date, the withdrawal, or
            # before enrollment (screening visits aside).
            if day > as_of or (withdrawn[person] is not None and day > withdrawn[person]):
                continue
            cells.append((person, index, day, "late" if abs(offset) > 3 else ""))
    records = Records(np.array([c[0] for c in cells], dtype=np.int64), np.array([c[1] for c in cells], dtype=np.int64),
                      np.array([c[2] for c in cells], dtype="M8[D]"), np.array([c[3] for c in cells], dtype=object), ())
    as_day = np.datetime64(as_of, "D")
    check = compute_check(protocol, participants, records, as_day)
    return sdtm.build(protocol, check, participants, as_day, "CHN").datasets, participants


def day_of(date: str, reference: str) -> float:
    if not date or not reference:
        return float("nan")
    difference = (dt.date.fromisoformat(date) - dt.date.fromisoformat(reference)).days
    return float(difference + 1 if difference >= 0 else difference)


# make test: 100 random studies; make campaign: VISIT_SCHEDULER_SDTM_STUDIES=500.
@settings(max_examples=int(os.environ.get("VISIT_SCHEDULER_SDTM_STUDIES", "100")), deadline=None)
@given(studies())
def test_the_datasets_agree_with_each_other(study):
    datasets, participants = built(*study)
    as_of = study[-1].isoformat()
    dm = datasets["DM"].set_index("USUBJID")
    enrolled = (participants["enrollment_date"] <= pd.Timestamp(study[-1])).sum()
    assert len(dm) == enrolled and dm.index.is_unique

    # Study days: never 0, and the day of their date.
    for name, pairs in {"SV": [("SVSTDTC", "SVSTDY")], "DV": [("DVSTDTC", "DVSTDY")], "DS": [("DSSTDTC", "DSSTDY")],
                        "SE": [("SESTDTC", "SESTDY"), ("SEENDTC", "SEENDY")]}.items():
        frame = datasets[name]
        for date, days in pairs:
            expected = [day_of(d, dm.loc[u, "RFSTDTC"]) for u, d in zip(frame["USUBJID"], frame[date])]
            assert np.array_equal(frame[days].to_numpy(dtype=float), np.array(expected), equal_nan=True), name
            assert not (frame[days] == 0).any(), name
        # Nothing dated after the as-of date.
        for date, _days in pairs:
            assert all(not d or d <= as_of for d in frame[date]), (name, date)

    # Every dataset's rows in the order of its keys (sdtm_spec: "the rows' order"), as a plain
    # sort puts them: text in code-point order ("" first), a missing value last.
    for name, frame in datasets.items():
        def key(value: object) -> tuple[int, object]:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return (1, "")
            return (0, value if isinstance(value, str) else float(value))
        rows = list(zip(*(map(key, frame[column].tolist()) for column in DATASETS[name].keys)))
        assert all(earlier <= later for earlier, later in pairwise(rows)), name

    # Sequence numbers 1 … n per participant; SUPPDV points at an existing DV record.
    for name, sequence in (("SE", "SESEQ"), ("DS", "DSSEQ"), ("DV", "DVSEQ")):
        frame = datasets[name]
        for _u, group in frame.groupby("USUBJID"):
            assert list(group[sequence]) == list(range(1, len(group) + 1)), name
    dv_keys = set(zip(datasets["DV"]["USUBJID"], datasets["DV"]["DVSEQ"].astype(int).astype(str)))
    assert set(zip(datasets["SUPPDV"]["USUBJID"], datasets["SUPPDV"]["IDVARVAL"])) <= dv_keys

    # SE: contiguous elements, the first from the first visit done, none past RFPENDTC.
    se = datasets["SE"]
    sv = datasets["SV"]
    ds = datasets["DS"]
    for usubjid, group in se.groupby("USUBJID"):
        starts, ends = list(group["SESTDTC"]), list(group["SEENDTC"])
        for end, following in zip(ends, starts[1:]):
            assert end == following
        done = [d for u, d in zip(sv["USUBJID"], sv["SVSTDTC"]) if u == usubjid and d]
        # Screening begins with the consent (when the protocol has a SCREENING epoch).
        consented = [d for u, d, c in zip(ds["USUBJID"], ds["DSSTDTC"], ds["DSDECOD"])
                     if u == usubjid and c == "INFORMED CONSENT OBTAINED"]
        screening = "SCREENING" in set(group["EPOCH"])
        assert min(starts) == min(done + (consented if screening else []))
        end_of_participation = dm.loc[usubjid, "RFPENDTC"]
        assert all(not e or e <= end_of_participation for e in ends)

    # EPOCH agrees with SE on the record's date.
    def element_on(usubjid: str, date: str) -> str:
        begun = se[(se["USUBJID"] == usubjid) & (se["SESTDTC"].astype(object) <= date)]  # as text (a categorical)
        return "" if begun.empty else begun.sort_values("SESTDTC", kind="stable").iloc[-1]["EPOCH"]

    for name, date in (("SV", "SVSTDTC"), ("DV", "DVSTDTC"), ("DS", "DSSTDTC")):
        frame = datasets[name]
        for usubjid, day, epoch in zip(frame["USUBJID"], frame[date], frame["EPOCH"]):
            inside = element_on(usubjid, day) if day else ""
            if inside:
                assert epoch == inside, (name, usubjid, day, epoch, inside)

    # COMPLETED only after a visit done, and never beside a withdrawal.
    ds = datasets["DS"]
    completed = set(ds.loc[ds["DSDECOD"] == "COMPLETED", "USUBJID"])
    withdrawn = set(ds.loc[ds["DSCAT"] == "DISPOSITION EVENT", "USUBJID"]) - completed
    assert not completed & withdrawn
    assert completed <= set(sv.loc[sv["SVOCCUR"] == "Y", "USUBJID"])
    assert (ds["DSCAT"] == "DISPOSITION EVENT").groupby(ds["USUBJID"]).sum().le(1).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["early", "late", "missed"]), st.integers(-30, 30),
                          st.integers(0, 400)), min_size=1, max_size=50),
       st.sampled_from([1, 2 ** 50]))
def test_deviations_are_told_apart_as_their_terms_are(rows, scale):
    """DV's shapes (one int64 key, or the tuples when the window closes lie too far apart
    for one: scale 2**50) number the rows as pd.factorize numbers (visit, status, days
    outside, the close written out when missed): one DVTERM per number."""
    from scheduler.core.dates import iso
    from scheduler.core.words import Status

    visit = np.array([row[0] for row in rows], dtype=np.intp)
    status = np.array([Status(row[1]) for row in rows], dtype=object)
    days = np.array([row[2] if row[1] != "missed" else 0 for row in rows], dtype=np.int64)
    closes = np.array([14000 + row[3] * scale for row in rows], dtype=np.int64).astype("M8[D]")
    closed = np.where(status == Status.MISSED, iso(closes), "").astype(object)
    expected = pd.factorize(pd.MultiIndex.from_arrays([visit, status.astype(object), days, closed]))[0]
    codes = sdtm._status_codes(pd.Series(status, dtype=object))  # as Subjects holds them
    assert sdtm._shapes(visit, codes, days, closes).tolist() == expected.tolist()
    nothing = np.zeros(0, dtype=np.intp)
    assert sdtm._shapes(nothing, codes[:0], days[:0], closes[:0]).tolist() == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=4), max_size=20))
def test_distinct_values_are_a_categorical_of_themselves(values):
    """SUBJID's column: its values in order, as a categorical when no two are the same (each
    row its own code), else as they are."""
    column = sdtm._distinct(np.array(values, dtype=object))
    assert list(column) == values
    assert isinstance(column, pd.Categorical) == (len(set(values)) == len(values))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4).flatmap(lambda elements: st.tuples(
    st.lists(st.lists(st.none() | st.integers(0, 6), min_size=elements, max_size=elements), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.none() | st.integers(0, 7)), max_size=12))))
def test_the_element_on_a_date_is_the_latest_begun(case):
    """_element_on (element by element) against the reference it replaced: of the elements
    begun on or before the date, the one with the latest start, the later in TA order on a
    tie; -1 when none had begun or there is no date (NaT on either side)."""
    import types

    from scheduler.core.sdtm import _element_on

    starts_list, picks = case
    day = np.datetime64("2010-08-01", "D")
    starts = np.array([[np.datetime64("NaT", "D") if s is None else day + s for s in row] for row in starts_list],
                      dtype="M8[D]")
    rows = np.array([who % len(starts) for who, _date in picks], dtype=np.intp)
    dates = np.array([np.datetime64("NaT", "D") if d is None else day + d for _who, d in picks], dtype="M8[D]")
    found = tuple(range(starts.shape[1]))

    def reference(starts: np.ndarray, dates: np.ndarray) -> list[int]:
        begun = ~np.isnat(starts) & ~np.isnat(dates)[:, None] & (starts <= dates[:, None])
        values = np.where(begun, starts.astype(np.int64), np.iinfo(np.int64).min)
        latest = len(found) - 1 - values[:, ::-1].argmax(axis=1)
        return np.where(begun.any(axis=1), latest, -1).tolist()

    people = types.SimpleNamespace(starts=starts)
    assert _element_on(people, dates, found, rows).tolist() == reference(starts[rows], dates)
    every = np.array([day + 3] * len(starts), dtype="M8[D]")  # one date per participant (rows None)
    assert _element_on(people, every, found).tolist() == reference(starts, every)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["D7", "D14", "M1", "D0", None])), max_size=30))
def test_a_categorical_key_sorts_as_its_text_does(rows):
    """_sorted by a categorical whose categories are not in text order (DVREFID: the protocol's
    codes, D0 D7 D14 M1) gives pandas' stable sort by the same values as text, missing last."""
    codes = ["D0", "D7", "D14", "M1"]
    who = [row[0] for row in rows]
    refid = [row[1] for row in rows]
    frame = pd.DataFrame({
        "USUBJID": pd.Categorical(who), "DVSEQ": np.nan,
        "DVREFID": pd.Categorical.from_codes([codes.index(r) if r else -1 for r in refid],
                                             categories=pd.Index(codes, dtype=object)),
        "row": range(len(rows))})
    plain = frame.assign(DVREFID=pd.Series(refid, dtype=object), USUBJID=pd.Series(who))
    expected = plain.sort_values(["USUBJID", "DVREFID"], kind="stable", na_position="last")["row"].tolist()
    assert sdtm._sorted(frame, ["USUBJID", "DVREFID"])["row"].tolist() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["early", "late", "missed", "in_window", "due", "upcoming", "withdrawn", None]),
                max_size=30))
def test_statuses_are_coded_alike_from_a_categorical_and_from_text(statuses):
    """_status_codes: each status's place in STATUSES, -1 for none, the same whether the check's
    column is its categorical or plain text."""
    from scheduler.core.words import STATUSES

    expected = [STATUSES.index(status) if status else -1 for status in statuses]
    text = pd.Series(statuses, dtype=object)
    categorical = pd.Series(pd.Categorical(statuses, categories=["early", "late", "in_window", "withdrawn",
                                                                 "upcoming", "missed", "due"]))
    assert sdtm._status_codes(text).tolist() == expected
    assert sdtm._status_codes(categorical).tolist() == expected
