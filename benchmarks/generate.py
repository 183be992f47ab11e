"""Deterministic study folders for the benchmark: N participants, built-in NCT01143168 plan.

    python benchmarks/generate.py 100000 /tmp/study-100k          # participants.csv, visits.csv

Same N, same seed: byte-identical files. Everything is drawn with numpy at once (no loop over
participants), so 100,000 participants (about 700,000 visit records) take a few seconds.

What the data look like, a snapshot of the study's files on the data cut (2012-06-01 by
default, the as-of date the benchmark uses):

- IDs P000001 … in enrollment order; enrollment spread over the 22 months from 2010-08-01 to
  2012-05-31 (everyone is enrolled by the data cut); a fictional Chinese `name` column (a
  roster always has one; the scheduler must drop it); sites 01 … (one site per 1,000
  participants, at least one, at most 40).
- D0 on the enrollment day for 96 %, one to three days late for the rest; every other visit
  anchored on D0's actual date (the protocol's re-anchoring).
- Each later visit: 86 % in its window (most near the target), 4 % early, 6 % late (one to
  max(3, window) days outside), 2 % recorded as not done (empty date, a reason), 2 % with
  nothing recorded (missed, reason missing). Two thirds of early/late visits have a reason.
- 3 % of participants withdraw (20 to 360 days after enrollment, before the data cut), with
  a reason; nothing is recorded after the withdrawal.
- Only what had happened by the data cut is in visits.csv; rows are in the order they were
  entered (by date), as a site's file is.
- About 0.1 % of records entered twice (data problems: the check exits 1), most of them
  exact copies, some with the day typed one less.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 1143168
START = np.datetime64("2010-08-01")
LAST_ENROLLMENT = np.datetime64("2012-05-31")
DATA_CUT = np.datetime64("2012-06-01")

# The built-in NCT01143168 plan: (code, day from D0, minus, plus); D0 is day 0 from enrollment.
PLAN = (("D0", 0, 0, 0), ("D7", 7, 1, 1), ("D14", 14, 2, 2), ("M1", 30, 3, 3),
        ("M3", 90, 7, 7), ("M6", 180, 14, 14), ("M9", 270, 14, 14), ("M12", 365, 14, 14))

SURNAMES = np.array(list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"))
GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯琳雪晨欣怡"))

EARLY_LATE_REASONS = np.array([
    "participant travelling in the window", "fever; visit postponed", "public holiday",
    "clinic closed", "participant's request", "transport problem, rescheduled",
    "catheter lab unavailable", "family emergency"], dtype=object)
NOT_DONE_REASONS = np.array([
    "did not attend; phone unanswered", "hospitalised (unrelated)", "participant refused",
    "lost to follow-up", "travelling abroad, visit not possible"], dtype=object)
WITHDRAWAL_REASONS = np.array([
    "moved to another city", "withdrew consent", "adverse event, see AE log",
    "lost to follow-up", "investigator's decision"], dtype=object)
# Each reason's CDISC NCOMPLT category (the roster's withdrawal_category, which SDTM DS needs).
WITHDRAWAL_CATEGORIES = {"moved to another city": "WITHDRAWAL BY SUBJECT", "withdrew consent": "WITHDRAWAL BY SUBJECT",
                         "adverse event, see AE log": "ADVERSE EVENT", "lost to follow-up": "LOST TO FOLLOW-UP",
                         "investigator's decision": "PHYSICIAN DECISION", "": ""}


def _iso(days: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(days.astype("M8[D]"), unit="D").astype(object)
    text[np.isnat(days)] = ""
    return text


def make_study(n: int, seed: int = SEED, data_cut: np.datetime64 = DATA_CUT
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The participants and visits tables (text columns), as they are written."""
    rng = np.random.default_rng(seed)
    width = max(6, len(str(n)))
    ids = np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)
    span = int((LAST_ENROLLMENT - START) / np.timedelta64(1, "D")) + 1
    enrolled = START + np.sort(rng.integers(0, span, n)).astype("m8[D]")
    sites = max(1, min(40, n // 1000))
    site = np.char.zfill((rng.integers(0, sites, n) + 1).astype(str), 2).astype(object)
    given_two = rng.random(n) < 0.6
    name = np.char.add(SURNAMES[rng.integers(0, len(SURNAMES), n)],
                       GIVEN[rng.integers(0, len(GIVEN), n)])
    name = np.where(given_two, np.char.add(name, GIVEN[rng.integers(0, len(GIVEN), n)]), name)

    # Withdrawals: 3 %, 20 … 360 days after enrollment, only those before the data cut.
    withdraws = rng.random(n) < 0.03
    withdrawal = enrolled + rng.integers(20, 361, n).astype("m8[D]")
    withdraws &= withdrawal <= data_cut
    withdrawal = np.where(withdraws, withdrawal, np.datetime64("NaT"))
    withdrawal_reason = np.where(withdraws, WITHDRAWAL_REASONS[rng.integers(0, len(WITHDRAWAL_REASONS), n)], "")

    # The SDTM columns, from a generator of their own (the visits stay what they were):
    # sex, age 18–50, consent 1–14 days before enrollment; 1 % without sex (DM SEX U).
    more = np.random.default_rng(seed + 1)
    sex = np.where(more.random(n) < 0.5, "F", "M").astype(object)
    sex[more.random(n) < 0.01] = ""
    consent = enrolled - more.integers(1, 15, n).astype("m8[D]")
    participants = pd.DataFrame({
        "participant_id": ids, "name": name.astype(object), "enrollment_date": _iso(enrolled),
        "withdrawal_date": _iso(withdrawal), "withdrawal_reason": withdrawal_reason.astype(object),
        "site": site,
        "withdrawal_category": pd.Series(withdrawal_reason).map(WITHDRAWAL_CATEGORIES).to_numpy(dtype=object),
        "consent_date": _iso(consent), "sex": sex, "age": more.integers(18, 51, n),
    })

    # Visits: a participant × visit grid of actual dates, re-anchored on D0's actual date.
    visits = len(PLAN)
    offset = np.array([p[1] for p in PLAN])
    minus = np.array([p[2] for p in PLAN])
    plus = np.array([p[3] for p in PLAN])
    d0_late = np.where(rng.random(n) < 0.96, 0, rng.integers(1, 4, n))
    d0 = enrolled + d0_late.astype("m8[D]")
    target = d0[:, None] + offset[None, :].astype("m8[D]")

    shape = (n, visits)
    kind = rng.random(shape)  # in window / early / late / not done / nothing recorded
    early = (kind >= 0.86) & (kind < 0.90)
    late = (kind >= 0.90) & (kind < 0.96)
    not_done = (kind >= 0.96) & (kind < 0.98)
    nothing = kind >= 0.98
    # Inside the window, most visits are near the target: a rounded normal, clipped.
    jitter = np.clip(np.rint(rng.normal(0, 1, shape) * np.maximum(plus, 1) / 2.5), -minus, plus)
    outside = rng.integers(1, np.maximum(3, minus + plus)[None, :] + 1, shape)
    jitter = np.where(early, -minus - outside, np.where(late, plus + outside, jitter))
    # D0 is the enrollment-day transplant: always done, late only as drawn above.
    for mask in (early, late, not_done, nothing):
        mask[:, 0] = False
    jitter[:, 0] = 0
    actual = target + jitter.astype(np.int64).astype("m8[D]")
    window_close = target + plus[None, :].astype("m8[D]")

    reason = np.full(shape, "", dtype=object)
    deviating = early | late
    with_reason = deviating & (rng.random(shape) < 2 / 3)
    reason[with_reason] = EARLY_LATE_REASONS[rng.integers(0, len(EARLY_LATE_REASONS), shape)][with_reason]
    reason[not_done] = NOT_DONE_REASONS[rng.integers(0, len(NOT_DONE_REASONS), shape)][not_done]

    # What the file holds on the data cut: visits done by then, "not done" records whose
    # window had closed, nothing after a withdrawal.
    entered = np.where(not_done, window_close, actual)  # the day the record was written
    keep = ~nothing & (entered <= data_cut)
    keep &= np.isnat(withdrawal)[:, None] | (entered <= withdrawal[:, None])
    actual = np.where(not_done, np.datetime64("NaT"), actual)

    rows_p, rows_v = np.nonzero(keep)
    record_actual = actual[rows_p, rows_v]
    record_entered = entered[rows_p, rows_v]
    record_reason = reason[rows_p, rows_v]

    # Records entered twice: 0.1 %; 70 % exact copies, the rest with the day one less
    # (never for D0, which would then fall before enrollment).
    twice = np.flatnonzero(rng.random(len(rows_p)) < 0.001)
    typo = (rng.random(len(twice)) < 0.3) & (rows_v[twice] > 0) & ~np.isnat(record_actual[twice])
    dup_actual = record_actual[twice] - typo.astype(np.int64).astype("m8[D]")
    dup_entered = record_entered[twice] + rng.integers(0, 30, len(twice)).astype("m8[D]")
    dup_entered = np.minimum(dup_entered, data_cut)

    all_p = np.concatenate([rows_p, rows_p[twice]])
    all_v = np.concatenate([rows_v, rows_v[twice]])
    all_actual = np.concatenate([record_actual, dup_actual])
    all_entered = np.concatenate([record_entered, dup_entered])
    all_reason = np.concatenate([record_reason, record_reason[twice]])
    # Entry order: by the day written, then participant, then visit (stable, deterministic).
    order = np.lexsort((all_v, all_p, all_entered.astype(np.int64)))
    codes = np.array([p[0] for p in PLAN], dtype=object)
    visit_rows = pd.DataFrame({
        "participant_id": ids[all_p[order]],
        "visit_code": codes[all_v[order]],
        "actual_date": _iso(all_actual[order]),
        "reason": all_reason[order],
    })
    return participants, visit_rows


def generate(n: int, folder: Path, seed: int = SEED, data_cut: np.datetime64 = DATA_CUT) -> dict[str, int]:
    """Write FOLDER/participants.csv and FOLDER/visits.csv; return row counts."""
    participants, visit_rows = make_study(n, seed, data_cut)
    folder.mkdir(parents=True, exist_ok=True)
    participants.to_csv(folder / "participants.csv", index=False, lineterminator="\n")
    visit_rows.to_csv(folder / "visits.csv", index=False, lineterminator="\n")
    return {"participants": len(participants), "visits": len(visit_rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("participants", type=int, help="how many participants")
    parser.add_argument("folder", type=Path, help="the study folder to write")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data-cut", default=str(DATA_CUT),
                        help="the snapshot date: nothing after it is in the files (default %(default)s)")
    args = parser.parse_args(argv)
    if args.participants < 1:
        parser.error("at least one participant")
    started = time.perf_counter()
    counts = generate(args.participants, args.folder, args.seed, np.datetime64(args.data_cut, "D"))
    print(f"Wrote {args.folder}/participants.csv ({counts['participants']} rows) and "
          f"visits.csv ({counts['visits']} rows) in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
