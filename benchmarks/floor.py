"""The floor for `visit-scheduler check`: the same work, written to be as fast as it can be.

    python benchmarks/floor.py --study DIR --as-of 2012-06-01 -o out.csv

It reads participants.csv and visits.csv with pandas' C parser, builds the participant ×
visit grid with numpy, re-anchors every window on D0's actual date, classifies each visit
(in_window, early, late, missed, due, upcoming, withdrawn, with days_outside) and writes the
check's CSV: the same columns in the same order (participant_id, visit_code, target_date,
window_open, window_close, actual_date, status, days_outside, reason, as_of, then visit_name
and protocol_version — empty: the built-in protocol has no versions — which the CLI also
writes). On the benchmark's data, tidy and messy (generate.py --messy), the file is
byte-for-byte the CLI's; the runner checks that, so the floor is known to do the same work.

It does the statuses, not the problem rules: it uses the records the CLI uses and drops the
ones it drops, without a word — lines with more cells than the header, unknown participants
and visit codes, dates that are not ISO days or do not exist (n/a, 2011-02-30), empty dates
without a reason, dates after the as-of date (after today too), before enrollment or after
the withdrawal; of two records for one visit, the earliest date (a dated record before a
"not done" one, then the file's order); visits out of protocol order are used.

What it leaves out, and the CLI does not: the protocol file (the built-in plan is written
below), encodings, other date forms, header spellings, line numbers and every message about
data problems. It is a measuring stick, not a tool.

The output is built without a Python loop over rows: every cell becomes bytes in a
fixed-width numpy array (dates and numbers from small lookup tables, text columns through
pd.factorize and their few distinct values), the row's cells are laid side by side with
the commas, and the padding bytes are squeezed out. Rows go out in chunks to bound memory.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

# The built-in NCT01143168 plan: code, name, anchor (None: enrollment), day, minus, plus.
PLAN = (
    ("D0", "Transplantation 1 (pancreatic artery)", None, 0, 0, 0),
    ("D7", "Transplantation 2 (intravenous)", "D0", 7, 1, 1),
    ("D14", "Transplantation 3 (intravenous)", "D0", 14, 2, 2),
    ("M1", "Follow-up month 1", "D0", 30, 3, 3),
    ("M3", "Follow-up month 3", "D0", 90, 7, 7),
    ("M6", "Follow-up month 6", "D0", 180, 14, 14),
    ("M9", "Follow-up month 9", "D0", 270, 14, 14),
    ("M12", "Follow-up month 12 (end of study)", "D0", 365, 14, 14),
)
COLUMNS = ("participant_id", "visit_code", "target_date", "window_open", "window_close",
           "actual_date", "status", "days_outside", "reason", "as_of", "visit_name", "protocol_version")
STATUSES = ("early", "late", "in_window", "withdrawn", "upcoming", "missed", "due")
CHUNK = 50_000  # output rows per write (smaller blocks stay in the CPU caches)


def read(study: str, as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Roster and the one used record per participant and visit, as a grid."""
    roster = pd.read_csv(f"{study}/participants.csv", dtype=object, keep_default_na=False,
                         usecols=["participant_id", "enrollment_date", "withdrawal_date"],
                         engine="c")
    ids = roster["participant_id"].to_numpy(dtype=object)
    enrollment = roster["enrollment_date"].to_numpy(dtype=object).astype("M8[D]")
    withdrawal = roster["withdrawal_date"].to_numpy(dtype=object).astype("M8[D]")

    # A line with more cells than the header (an unquoted comma) is left out, as the CLI
    # does: one column more than the header catches a line with one cell too many (pandas
    # would cut it to the header's width if it were the first), and pandas skips longer ones.
    with open(f"{study}/visits.csv", encoding="utf-8") as stream:
        header = stream.readline().rstrip("\n").split(",")
    records = pd.read_csv(f"{study}/visits.csv", dtype=object, keep_default_na=False, header=None,
                          skiprows=1, names=[*header, "\x00more"], index_col=False,
                          on_bad_lines="skip", engine="c")
    if (records["\x00more"] != "").any():
        records = records[(records["\x00more"] == "").to_numpy()]
    # Hash each column once (pd.factorize), then look up only its distinct values.
    codes, values = pd.factorize(records["participant_id"].to_numpy(dtype=object))
    participant = pd.Index(ids).get_indexer(values)[codes] if len(values) else codes
    codes, values = pd.factorize(records["visit_code"].to_numpy(dtype=object))
    visit = pd.Index([p[0] for p in PLAN]).get_indexer(values)[codes] if len(values) else codes
    # Each distinct date once; one that is not an ISO day (n/a, 2011-02-30) is left out.
    date_codes, date_values = pd.factorize(records["actual_date"].to_numpy(dtype=object))
    parsed = pd.to_datetime(pd.Series(date_values, dtype=object), format="%Y-%m-%d",
                            errors="coerce").to_numpy().astype("M8[D]")
    readable = ~np.isnat(parsed) | (date_values == "")
    actual = parsed[date_codes] if len(date_values) else \
        np.full(len(records), np.datetime64("NaT"), dtype="M8[D]")
    reason = records["reason"].to_numpy(dtype=object)
    dated = ~np.isnat(actual)
    known = participant >= 0
    safe = np.clip(participant, 0, None)
    usable = known & (visit >= 0) & (dated | (reason != ""))
    if len(date_values):
        usable &= readable[date_codes]
    usable &= ~(dated & ((actual > as_of) | (actual < enrollment[safe])
                         | (~np.isnat(withdrawal[safe]) & (actual > withdrawal[safe]))))
    keep = np.flatnonzero(usable)
    # Per participant and visit: dated before not done, earliest date, then file order.
    order = keep[np.lexsort((keep, actual[keep].view(np.int64), ~dated[keep], visit[keep],
                             participant[keep]))]
    cell = participant[order] * len(PLAN) + visit[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = cell[1:] != cell[:-1]
    order = order[first]
    grid_actual = np.full((len(ids), len(PLAN)), np.datetime64("NaT"), dtype="M8[D]")
    grid_reason = np.zeros((len(ids), len(PLAN)), dtype=np.int64)  # codes into reasons
    grid_actual[participant[order], visit[order]] = actual[order]
    reason_codes, reasons = pd.factorize(reason[order])
    reasons = np.concatenate([[""], reasons.astype(object)])
    grid_reason[participant[order], visit[order]] = reason_codes + 1
    return ids, enrollment, withdrawal, grid_actual, (grid_reason, reasons)


def windows(enrollment: np.ndarray, actual: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    target = np.empty(actual.shape, dtype="M8[D]")
    effective = np.empty(actual.shape, dtype="M8[D]")
    column = {p[0]: i for i, p in enumerate(PLAN)}
    for index, (_, _, anchor, day, _, _) in enumerate(PLAN):
        base = enrollment if anchor is None else effective[:, column[anchor]]
        target[:, index] = base + np.timedelta64(day, "D")
        effective[:, index] = np.where(np.isnat(actual[:, index]), target[:, index], actual[:, index])
    minus = np.array([p[4] for p in PLAN], dtype="m8[D]")
    plus = np.array([p[5] for p in PLAN], dtype="m8[D]")
    return target, target - minus, target + plus


def classify(actual, opens, closes, enrollment, withdrawal, as_of):
    done = ~np.isnat(actual)
    withdrawal = withdrawal[:, None]
    conditions = [done & (actual < opens), done & (actual > closes), done,
                  ~np.isnat(withdrawal) & (withdrawal <= closes),
                  np.broadcast_to((enrollment > as_of)[:, None], actual.shape),
                  as_of > closes, as_of >= opens]
    status = np.select(conditions, np.arange(len(STATUSES)), default=STATUSES.index("upcoming"))
    counted_to = np.where(np.isnat(withdrawal), as_of, np.minimum(withdrawal, as_of))  # days to the withdrawal
    days = np.select(conditions[:6], [(opens - actual).view(np.int64), (actual - closes).view(np.int64),
                                      0, -1, -1, (counted_to - closes).view(np.int64)], default=-1)
    return status, days


# --------------------------------------------------------------------------- writing


def _quoted(text: str) -> bytes:
    if any(c in text for c in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text.encode("utf-8")


def _table(values) -> np.ndarray:
    """Byte strings of distinct values, as a fixed-width numpy 'S' array."""
    return np.array([_quoted(str(v)) for v in values], dtype=bytes)


def _id_table(ids: np.ndarray) -> np.ndarray:
    """The roster's IDs as UTF-8 bytes, vectorized; quoted only where CSV needs it."""
    table = np.strings.encode(ids.astype(str), "utf-8")
    needs = np.flatnonzero(pd.Series(ids, dtype=object).str.contains('[,"\n\r]', regex=True)
                           .to_numpy(dtype=bool))
    if len(needs):
        table = table.astype(object)
        table[needs] = [_quoted(str(ids[n])) for n in needs]
        table = table.astype(bytes)
    return table


def _date_table(days: np.ndarray) -> tuple[np.ndarray, int]:
    """Every day from the first to the last as ISO bytes, then b"" for NaT; the first day."""
    as_int = days.view(np.int64)
    valid = ~np.isnat(days)
    low, high = (int(as_int[valid].min()), int(as_int[valid].max())) if valid.any() else (0, -1)
    text = np.datetime_as_string(np.arange(low, high + 1).astype("M8[D]"), unit="D")
    return np.concatenate([text.astype("S10"), np.array([b""], dtype="S10")]), low


def write(path: str, ids, grid, status, days, reasons_by_code, as_of) -> None:
    target, opens, closes, actual = grid
    grid_reason, reasons = reasons_by_code
    visits = len(PLAN)
    rows = len(ids) * visits
    id_table = _id_table(ids)  # roster IDs are unique: the roster is its own table
    date_table, low = _date_table(np.concatenate([d.ravel() for d in (target, opens, closes, actual)]))
    blank = len(date_table) - 1
    day_table = _table([""] + [str(n) for n in range(int(days.max(initial=0)) + 1)])
    columns = [
        ("participant", id_table, np.repeat(np.arange(len(ids)), visits)),
        ("code", _table([p[0] for p in PLAN]), np.tile(np.arange(visits), len(ids))),
        ("target", date_table, None, target), ("open", date_table, None, opens),
        ("close", date_table, None, closes), ("actual", date_table, None, actual),
        ("status", _table(STATUSES), status.ravel()),
        ("days", day_table, days.ravel() + 1),
        ("reason", _table(reasons), grid_reason.ravel()),
        ("as_of", _table([str(as_of)]), np.zeros(rows, dtype=np.int64)),
        ("name", _table([p[1] for p in PLAN]), np.tile(np.arange(visits), len(ids))),
        ("version", _table([""]), np.zeros(rows, dtype=np.int64)),
    ]
    widths = [column[1].itemsize for column in columns]
    line = sum(widths) + len(columns)  # a comma after each cell, the last one a newline
    with open(path, "wb") as stream:
        # Excel's "CSV UTF-8", as the CLI writes it: a byte-order mark, then the header.
        stream.write(b"\xef\xbb\xbf" + (",".join(COLUMNS) + "\n").encode())
        for start in range(0, rows, CHUNK):
            stop = min(rows, start + CHUNK)
            block = np.zeros((stop - start, line), dtype=np.uint8)
            at = 0
            for (_name, table, index, *dates), width in zip(columns, widths):
                if dates:
                    values = dates[0].ravel()[start:stop]
                    index = np.where(np.isnat(values), blank, values.view(np.int64) - low)
                else:
                    index = index[start:stop]
                block[:, at:at + width] = table[index].view(np.uint8).reshape(-1, width)
                at += width
                block[:, at] = ord(",")
                at += 1
            block[:, at - 1] = ord("\n")
            stream.write(block[block != 0].tobytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The check's work, as fast as it goes.")
    parser.add_argument("--study", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    as_of = np.datetime64(args.as_of, "D")
    ids, enrollment, withdrawal, actual, reasons = read(args.study, as_of)
    target, opens, closes = windows(enrollment, actual)
    status, days = classify(actual, opens, closes, enrollment, withdrawal, as_of)
    write(args.output, ids, (target, opens, closes, actual), status, days, reasons, as_of)
    return 0


if __name__ == "__main__":
    sys.exit(main())
