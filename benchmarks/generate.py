"""Deterministic study folders for the benchmark: N participants, built-in NCT01143168 plan.

    python benchmarks/generate.py 100000 /tmp/study-100k          # participants.csv, visits.csv
    python benchmarks/generate.py 100000 /tmp/messy-100k --messy  # the same study, as sites send it

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

`--messy`: the same study (the same participants.csv, byte for byte; the same visits drawn)
as sites really send it. The visits.csv rows are shuffled (seeded), and each kind of data
problem PRODUCT.md lists ("Conventions every command follows" → Data problems) is planted
in about 3 % of the tidy file's records (`--rate`), each record given one problem at most,
drawn at random from a random-number stream of its own (same N, same seed: same bytes):

- duplicates, 3 % more lines: copies of records, two thirds exact, a third (of those with a
  date, D0 aside) with the day one less;
- dates before enrollment, 3 %: 1 to 120 days before the participant's enrollment;
- visits out of protocol order, 3 %: dated 1 to 3 days before the visit just before them
  in the protocol (D14 before D7; D7 before D0 where D0 was done late, never before the
  enrollment), which the check lists and still uses;
- unknown visit codes, 3 %: d7, D07, M 3, m1, V2, M24, Day14, D28;
- unknown participant IDs, 3 %: the zeros Excel drops (P123), lower case (p000123), no
  prefix (000123), or a participant not on the roster;
- dates that cannot be read or do not exist, 3 %: half a day past the month's end
  (2011-04-31, 2011-02-30), half text (n/a, unknown, ?, not done, 2011-13-05);
- empty dates without a reason, 3 %;
- dates after the withdrawal, as many as the 3 % of withdrawn participants allow (about
  1.7 % at 100,000): the visits they had after withdrawing, added as lines, then some of
  their records moved 1 to 60 days past the withdrawal (never past the data cut);
- dates after today, a few (a tenth of the rate, 0.3 %): the year typed as 2099 — the
  benchmark's --as-of is in 2012, and a date after it but before the real today is simply
  not counted, not a problem;
- lines with more cells than the header, 3 %: a reason with an unquoted comma
  ("fever, visit postponed").

At 100,000 participants that is 665,521 lines, a quarter of them problems. The generator
prints how many of each kind it planted.
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


def _draw(n: int, seed: int, data_cut: np.datetime64) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The participants table, and the visit records as arrays (positions, not text) with
    what the messy study needs to plant its problems: the participant × visit grid."""
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

    drawn = {
        "ids": ids, "enrolled": enrolled, "withdrawal": withdrawal, "grid_actual": actual,
        "grid_entered": entered, "grid_reason": reason, "grid_kept": keep, "not_done": not_done,
        "nothing": nothing,
        "p": np.concatenate([rows_p, rows_p[twice]]),
        "v": np.concatenate([rows_v, rows_v[twice]]),
        "actual": np.concatenate([record_actual, dup_actual]),
        "entered": np.concatenate([record_entered, dup_entered]),
        "reason": np.concatenate([record_reason, record_reason[twice]]),
    }
    return participants, drawn


CODES = np.array([p[0] for p in PLAN], dtype=object)


def make_study(n: int, seed: int = SEED, data_cut: np.datetime64 = DATA_CUT
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The participants and visits tables (text columns), as they are written."""
    participants, d = _draw(n, seed, data_cut)
    # Entry order: by the day written, then participant, then visit (stable, deterministic).
    order = np.lexsort((d["v"], d["p"], d["entered"].astype(np.int64)))
    visit_rows = pd.DataFrame({
        "participant_id": d["ids"][d["p"][order]],
        "visit_code": CODES[d["v"][order]],
        "actual_date": _iso(d["actual"][order]),
        "reason": d["reason"][order],
    })
    return participants, visit_rows


# --------------------------------------------------------------------------- the messy study

RATE = 0.03  # of the tidy file's records, for each kind of problem (--messy)
FUTURE_SHARE = 0.1  # dates after the real today: a tenth of RATE ("a few")
BAD_CODES = np.array(["d7", "D07", "M 3", "m1", "V2", "M24", "Day14", "D28"], dtype=object)
BAD_DATES = np.array(["n/a", "unknown", "?", "2011-13-05", "not done"], dtype=object)
MARK = "\x1f"  # around a reason to write unquoted (numpy would drop a trailing NUL)
COMMA_REASONS = np.array([  # written unquoted: one cell more than the header
    "fever, visit postponed", "seen early, participant travelling", "late, clinic closed",
    "participant's request, rescheduled"], dtype=object)
KINDS = ("duplicate, exact copy", "duplicate, a day earlier", "date before enrollment",
         "out of protocol order", "unknown visit code", "unknown participant ID",
         "date that cannot be read or does not exist", "empty date without reason",
         "date after withdrawal", "date after today (2099)", "more cells than the header")


def make_messy_study(n: int, seed: int = SEED, data_cut: np.datetime64 = DATA_CUT, rate: float = RATE
                     ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """The tidy study's files as a site sends them: rows in random order, and each kind of
    data problem planted in about ``rate`` of the records (see the module's docstring).
    Returns the tables (the reasons of over-long lines marked with MARK, which
    ``write_messy`` turns into unquoted commas) and how many of each kind were planted."""
    participants, d = _draw(n, seed, data_cut)
    rng = np.random.default_rng([seed, 20])  # a stream of its own: the tidy study is unchanged
    p, v, actual, reason = d["p"].copy(), d["v"].copy(), d["actual"].copy(), d["reason"].copy()
    ids, enrolled, withdrawal = d["ids"], d["enrolled"], d["withdrawal"]
    records = len(p)
    m = round(rate * records)
    code_text = CODES[v]
    id_text = ids[p]
    date_text = _iso(actual)
    dated = ~np.isnat(actual)
    taken = np.zeros(records, dtype=bool)  # one problem per record (rules would mask others)

    def pick(eligible: np.ndarray, count: int) -> np.ndarray:
        """``count`` records drawn at random from those eligible and not yet taken."""
        pool = np.flatnonzero(eligible & ~taken)
        chosen = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
        taken[chosen] = True
        return chosen

    planted: dict[str, int] = {}

    # Out of protocol order first (it needs the visit before it untouched): a visit dated
    # 1-3 days before the visit that comes just before it in the protocol (D14 before D7;
    # D7 before D0 where D0 was done late, never before the enrollment).
    cell = np.full((len(ids), len(PLAN)), -1, dtype=np.int64)
    cell[p, v] = np.arange(records)  # a record entered twice: one of its copies
    previous = np.where(v > 0, cell[p, np.maximum(v - 1, 0)], -1)
    room = np.zeros(records, dtype=np.int64)  # days the date can go back, down to the enrollment
    has_previous = dated & (previous >= 0)
    has_previous[has_previous] &= dated[previous[has_previous]]
    room[has_previous] = np.minimum(3, (actual[previous[has_previous]] - enrolled[p[has_previous]])
                                    .astype(np.int64))
    chosen = pick(has_previous & (room >= 1), m)
    taken[previous[chosen]] = True
    back = np.minimum(rng.integers(1, 4, len(chosen)), room[chosen])
    date_text[chosen] = _iso(actual[previous[chosen]] - back.astype("m8[D]"))
    planted[KINDS[3]] = len(chosen)

    # Duplicates: copies added as new lines, two thirds exact, a third with the day one less.
    chosen = pick(np.ones(records, dtype=bool), m)
    day_off = (rng.random(len(chosen)) < 1 / 3) & dated[chosen] & (v[chosen] > 0)
    dup_date = date_text[chosen].copy()
    dup_date[day_off] = _iso(actual[chosen[day_off]] - np.timedelta64(1, "D"))
    extra_rows = [(chosen, dup_date, reason[chosen].copy())]
    planted[KINDS[0]], planted[KINDS[1]] = int((~day_off).sum()), int(day_off.sum())

    # Dates before enrollment: 1-120 days before.
    chosen = pick(np.ones(records, dtype=bool), m)
    date_text[chosen] = _iso(enrolled[p[chosen]] - rng.integers(1, 121, len(chosen)).astype("m8[D]"))
    planted[KINDS[2]] = len(chosen)

    # Unknown visit codes (a typo, a code of another study).
    chosen = pick(np.ones(records, dtype=bool), m)
    code_text[chosen] = BAD_CODES[rng.integers(0, len(BAD_CODES), len(chosen))]
    planted[KINDS[4]] = len(chosen)

    # Unknown participant IDs: Excel's lost zeros, lower case, no prefix, someone not enrolled.
    chosen = pick(np.ones(records, dtype=bool), m)
    form = rng.integers(0, 4, len(chosen))
    known_id = ids[p[chosen]].astype(str)
    stripped = np.char.add("P", np.char.lstrip(np.char.lstrip(known_id, "P"), "0"))
    width = len(ids[0]) - 1 if len(ids) else 6
    stranger = np.char.add("P", np.char.zfill((n + 1 + rng.integers(0, max(1, n), len(chosen))).astype(str), width))
    id_text[chosen] = np.select([form == 0, form == 1, form == 2],
                                [stripped, np.char.lower(known_id), np.char.lstrip(known_id, "P")],
                                stranger).astype(object)
    planted[KINDS[5]] = len(chosen)

    # Dates that cannot be read or do not exist: half a day past the month's end (2011-04-31,
    # 2011-02-29), half text (n/a, unknown, a thirteenth month).
    chosen = pick(np.ones(records, dtype=bool), m)
    base = np.where(dated[chosen], actual[chosen], enrolled[p[chosen]])
    month = base.astype("M8[M]")
    length = ((month + 1).astype("M8[D]") - month.astype("M8[D]")).astype(np.int64)
    month_text = np.datetime_as_string(month, unit="M")  # 2011-04
    year_text = np.datetime_as_string(base.astype("M8[Y]"), unit="Y")  # 2011
    nonexistent = np.where(length == 31, np.char.add(year_text, "-02-30"),  # no 32nd day: 30 February
                           np.char.add(np.char.add(month_text, "-"), (length + 1).astype(str)))
    text = BAD_DATES[rng.integers(0, len(BAD_DATES), len(chosen))]
    date_text[chosen] = np.where(rng.random(len(chosen)) < 0.5, nonexistent.astype(object), text)
    planted[KINDS[6]] = len(chosen)

    # Empty date, no reason.
    chosen = pick(np.ones(records, dtype=bool), m)
    date_text[chosen] = ""
    reason[chosen] = ""
    planted[KINDS[7]] = len(chosen)

    # Dates after the withdrawal: the visits a withdrawn participant had after it (new
    # lines), then records of withdrawn participants moved 1-60 days past it, up to the share.
    grid_after = (~np.isnat(withdrawal)[:, None] & ~d["nothing"] & ~d["not_done"]
                  & (d["grid_actual"] > withdrawal[:, None]) & (d["grid_actual"] <= data_cut))
    after_p, after_v = np.nonzero(grid_after)
    keep = np.sort(rng.permutation(len(after_p))[:m])
    after_p, after_v = after_p[keep], after_v[keep]
    late_lines = (after_p, after_v, _iso(d["grid_actual"][after_p, after_v]))
    withdrawn_before_cut = ~np.isnat(withdrawal[p]) & (withdrawal[p] < data_cut)
    chosen = pick(withdrawn_before_cut & (v > 0), m - len(after_p))
    moved = withdrawal[p[chosen]] + rng.integers(1, 61, len(chosen)).astype("m8[D]")
    date_text[chosen] = _iso(np.minimum(moved, data_cut))
    planted[KINDS[8]] = len(after_p) + len(chosen)

    # Dates after today: the year typed as 2099 (the benchmark's --as-of is in 2012, so only
    # a date after the real today is this problem). A few: FUTURE_SHARE of the others.
    chosen = pick(dated, round(m * FUTURE_SHARE))
    offset = (actual[chosen] - START).astype(np.int64) % 365
    date_text[chosen] = _iso(np.datetime64("2099-01-01") + offset.astype("m8[D]"))
    planted[KINDS[9]] = len(chosen)

    # More cells than the header: a comma typed in the reason, unquoted.
    chosen = pick(np.ones(records, dtype=bool), m)
    reason[chosen] = [MARK + text + MARK for text in COMMA_REASONS[rng.integers(0, len(COMMA_REASONS), len(chosen))]]
    planted[KINDS[10]] = len(chosen)

    dup_index, dup_date, dup_reason = extra_rows[0]
    late_p, late_v, late_date = late_lines
    frame = pd.DataFrame({
        "participant_id": np.concatenate([id_text, id_text[dup_index], ids[late_p]]),
        "visit_code": np.concatenate([code_text, code_text[dup_index], CODES[late_v]]),
        "actual_date": np.concatenate([date_text, dup_date, late_date]),
        "reason": np.concatenate([reason, dup_reason, np.full(len(late_p), "", dtype=object)]),
    })
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)  # as sites send it
    return participants, frame, planted


def write_messy(frame: pd.DataFrame, path: Path) -> None:
    """The visits table as CSV, the MARK-ed reasons with their comma unquoted."""
    text = frame.to_csv(index=False, lineterminator="\n")
    path.write_text(text.replace('"' + MARK, "").replace(MARK + '"', ""), "utf-8")


def generate(n: int, folder: Path, seed: int = SEED, data_cut: np.datetime64 = DATA_CUT,
             messy: bool = False, rate: float = RATE) -> dict[str, int]:
    """Write FOLDER/participants.csv and FOLDER/visits.csv; return row counts (and, for the
    messy study, how many problems of each kind were planted)."""
    folder.mkdir(parents=True, exist_ok=True)
    if messy:
        participants, visit_rows, planted = make_messy_study(n, seed, data_cut, rate)
        write_messy(visit_rows, folder / "visits.csv")
    else:
        participants, visit_rows = make_study(n, seed, data_cut)
        planted = {}
        visit_rows.to_csv(folder / "visits.csv", index=False, lineterminator="\n")
    participants.to_csv(folder / "participants.csv", index=False, lineterminator="\n")
    return {"participants": len(participants), "visits": len(visit_rows), **planted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("participants", type=int, help="how many participants")
    parser.add_argument("folder", type=Path, help="the study folder to write")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data-cut", default=str(DATA_CUT),
                        help="the snapshot date: nothing after it is in the files (default %(default)s)")
    parser.add_argument("--messy", action="store_true",
                        help="visits in random order with data problems of every kind planted")
    parser.add_argument("--rate", type=float, default=RATE,
                        help="with --messy: the share of records for each kind of problem (default %(default)s)")
    args = parser.parse_args(argv)
    if args.participants < 1:
        parser.error("at least one participant")
    started = time.perf_counter()
    counts = generate(args.participants, args.folder, args.seed, np.datetime64(args.data_cut, "D"),
                      args.messy, args.rate)
    print(f"Wrote {args.folder}/participants.csv ({counts.pop('participants')} rows) and "
          f"visits.csv ({counts.pop('visits')} rows) in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    for kind, count in counts.items():
        print(f"  planted {count:>7} x {kind}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
