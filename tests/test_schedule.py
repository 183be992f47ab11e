"""The schedule: hand-computed windows for the built-in plan and for protocol files with
weeks, calendar months, asymmetric windows and chains of anchors; re-anchoring."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.core.records import Records
from scheduler.core.schedule import add_months, compute_schedule
from scheduler.protocol import load_built_in, parse_protocol

from .conftest import run_cli, write
from .test_protocol import DEMO

ROSTER_HEADER = "participant_id,enrollment_date\n"


def roster(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame({
        "participant_id": [pid for pid, _ in rows],
        "enrollment_date": np.array([day for _, day in rows], dtype="M8[D]"),
        "withdrawal_date": np.full(len(rows), np.datetime64("NaT"), dtype="M8[D]"),
    })


def windows(table: pd.DataFrame, participant: str) -> dict[str, tuple[str, str, str]]:
    mine = table[table["participant_id"] == participant]
    return {row.visit_code: (str(row.window_open)[:10], str(row.target_date)[:10],
                             str(row.window_close)[:10]) for row in mine.itertuples()}


def test_month_arithmetic_clamps_to_the_month_end():
    """2011-01-31 + 1 month = 2011-02-28; 2012-01-31 + 1 month = 2012-02-29 (leap year)."""
    days = np.array(["2011-01-31", "2012-01-31", "2010-08-31", "2011-03-15", "2011-12-31"], dtype="M8[D]")
    assert [str(d) for d in add_months(days, 1)] == [
        "2011-02-28", "2012-02-29", "2010-09-30", "2011-04-15", "2012-01-31"]
    # −1 month from 2011-03-31: February 2011 has 28 days.
    assert str(add_months(np.array(["2011-03-31"], dtype="M8[D]"), -1)[0]) == "2011-02-28"
    # +12 months from a leap day: 2013 has no 29 February.
    assert str(add_months(np.array(["2012-02-29"], dtype="M8[D]"), 12)[0]) == "2013-02-28"


def test_built_in_plan_for_the_product_example():
    """Enrolled 2010-09-01: every window by hand (Day 0 = enrollment, offsets from D0)."""
    table = compute_schedule(load_built_in(), roster(("007", "2010-09-01")))
    assert windows(table, "007") == {
        "D0": ("2010-09-01", "2010-09-01", "2010-09-01"),
        "D7": ("2010-09-07", "2010-09-08", "2010-09-09"),    # 09-01 + 7 = 09-08, ± 1
        "D14": ("2010-09-13", "2010-09-15", "2010-09-17"),   # 09-01 + 14 = 09-15, ± 2
        "M1": ("2010-09-28", "2010-10-01", "2010-10-04"),    # 29 days to 09-30, +1 = 10-01; ± 3
        "M3": ("2010-11-23", "2010-11-30", "2010-12-07"),    # 29 (Sep) + 31 (Oct) + 30 = 11-30; ± 7
        "M6": ("2011-02-14", "2011-02-28", "2011-03-14"),    # 11-30 + 90: 31 (Dec) + 31 (Jan) + 28 = 02-28; ± 14
        "M9": ("2011-05-15", "2011-05-29", "2011-06-12"),    # 02-28 + 90: 31 (Mar) + 30 (Apr) + 29 = 05-29; ± 14
        "M12": ("2011-08-18", "2011-09-01", "2011-09-15"),   # 2011 is not a leap year: + 365 = 2011-09-01; ± 14
    }
    # protocol_version follows the contract's columns, empty without [study] version.
    assert list(table.columns) == ["participant_id", "visit_code", "visit_name", "target_date",
                                   "window_open", "window_close", "protocol_version"]
    assert set(table["protocol_version"]) == {""}


def test_year_end():
    """Enrolled 2010-12-28: windows run into 2011."""
    table = compute_schedule(load_built_in(), roster(("001", "2010-12-28")))
    got = windows(table, "001")
    assert got["D7"] == ("2011-01-03", "2011-01-04", "2011-01-05")   # 3 days to 12-31, 4 more
    assert got["D14"] == ("2011-01-09", "2011-01-11", "2011-01-13")
    assert got["M1"] == ("2011-01-24", "2011-01-27", "2011-01-30")   # 3 + 27 = 30
    assert got["M3"] == ("2011-03-21", "2011-03-28", "2011-04-04")   # 3 + 31 + 28 + 28 = 90
    assert got["M12"] == ("2011-12-14", "2011-12-28", "2012-01-11")  # + 365 in a common year; close crosses the year


def test_leap_day():
    """Enrolled 2012-02-22: Day 7 is 29 February; + 365 days lands on 2013-02-21."""
    table = compute_schedule(load_built_in(), roster(("001", "2012-02-22")))
    got = windows(table, "001")
    assert got["D7"] == ("2012-02-28", "2012-02-29", "2012-03-01")
    assert got["D14"] == ("2012-03-05", "2012-03-07", "2012-03-09")   # 7 days to 02-29, 7 more
    assert got["M12"] == ("2013-02-07", "2013-02-21", "2013-03-07")   # 366 days would be 2013-02-22


def test_weeks_months_asymmetric_windows_and_chains():
    """The DEMO plan: W2 = BL + 14 days (−2/+0); M1 = BL + 1 month clamped (−0/+3);
    M2 = M1 + 1 month (a chain, ± 1); M13 = BL + 13 months clamped (−0/+10)."""
    protocol = parse_protocol(DEMO, "demo")
    table = compute_schedule(protocol, roster(("A", "2011-01-31"), ("B", "2012-01-31"), ("C", "2010-12-31")))
    assert windows(table, "A") == {
        "BL": ("2011-01-31", "2011-01-31", "2011-01-31"),
        "W2": ("2011-02-12", "2011-02-14", "2011-02-14"),
        "M1": ("2011-02-28", "2011-02-28", "2011-03-03"),   # 2011-02-31 clamps to 02-28; +3 → 03-03
        "M2": ("2011-03-27", "2011-03-28", "2011-03-29"),   # from M1's target 02-28, not from BL
        "M13": ("2012-02-29", "2012-02-29", "2012-03-10"),  # 2012-02-31 clamps to the leap day
    }
    assert windows(table, "B") == {
        "BL": ("2012-01-31", "2012-01-31", "2012-01-31"),
        "W2": ("2012-02-12", "2012-02-14", "2012-02-14"),
        "M1": ("2012-02-29", "2012-02-29", "2012-03-03"),   # leap year: 02-29 + 3 = 03-03
        "M2": ("2012-03-28", "2012-03-29", "2012-03-30"),
        "M13": ("2013-02-28", "2013-02-28", "2013-03-10"),
    }
    assert windows(table, "C")["M1"] == ("2011-01-31", "2011-01-31", "2011-02-03")  # across the year


def test_re_anchoring_on_actual_dates():
    """D0 done 2010-09-03 (enrolled 09-01): D7's window is 09-09 … 09-11 (PRODUCT.md's example)."""
    protocol = load_built_in()
    records = Records(np.array([0]), np.array([0]), np.array(["2010-09-03"], dtype="M8[D]"),
                      np.array([""], dtype=object), ())
    got = windows(compute_schedule(protocol, roster(("007", "2010-09-01")), records), "007")
    assert got["D0"] == ("2010-09-01", "2010-09-01", "2010-09-01")   # D0 hangs on enrollment
    assert got["D7"] == ("2010-09-09", "2010-09-10", "2010-09-11")
    assert got["D14"] == ("2010-09-15", "2010-09-17", "2010-09-19")
    assert got["M1"] == ("2010-09-30", "2010-10-03", "2010-10-06")    # 27 days to 09-30, 3 more


def test_chain_re_anchors_on_the_middle_visit():
    """DEMO: M1 done 2011-03-02 moves M2 to 2011-04-02 (± 1); W2 and M13 stay on BL."""
    protocol = parse_protocol(DEMO, "demo")
    records = Records(np.array([0]), np.array([2]), np.array(["2011-03-02"], dtype="M8[D]"),
                      np.array([""], dtype=object), ())
    got = windows(compute_schedule(protocol, roster(("A", "2011-01-31")), records), "A")
    assert got["M2"] == ("2011-04-01", "2011-04-02", "2011-04-03")
    assert got["W2"] == ("2011-02-12", "2011-02-14", "2011-02-14")
    assert got["M13"] == ("2012-02-29", "2012-02-29", "2012-03-10")


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def test_schedule_command_writes_exact_windows(tmp_path: Path):
    """The real command on real files: IDs keep leading zeros, windows as by hand."""
    participants = write(tmp_path, "roster.csv", ROSTER_HEADER + "007,2010-09-01\n0042,2012-02-22\n")
    # As of the first enrollment: every window is still ahead, so every visit gets a suggestion.
    result = run_cli("schedule", "--participants", str(participants), "--as-of", "2010-09-01",
                     "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.stderr
    rows = read_csv(tmp_path / "out.csv")
    assert [row["participant_id"] for row in rows] == ["007"] * 8 + ["0042"] * 8
    # schedule carries as_of (PRODUCT.md, "Suggested dates": they are never before it).
    assert list(rows[0]) == ["participant_id", "visit_code", "visit_name", "target_date",
                             "window_open", "window_close", "suggested_date", "as_of", "protocol_version"]
    # 2010-09-08 is a Wednesday, a clinic day: the target itself is suggested.
    assert rows[1] == {"participant_id": "007", "visit_code": "D7",
                       "visit_name": "Transplantation 2 (intravenous)", "target_date": "2010-09-08",
                       "window_open": "2010-09-07", "window_close": "2010-09-09",
                       "suggested_date": "2010-09-08", "as_of": "2010-09-01", "protocol_version": ""}
    assert (rows[9]["target_date"], rows[9]["window_open"], rows[9]["window_close"]) == (
        "2012-02-29", "2012-02-28", "2012-03-01")


def test_schedule_command_re_anchors_with_visits(tmp_path: Path):
    """With --visits the anchored windows move with D0's actual date; as_of is shown."""
    participants = write(tmp_path, "roster.csv", ROSTER_HEADER + "007,2010-09-01\n")
    visits = write(tmp_path, "v.csv", "participant_id,visit_code,actual_date,reason\n"
                                      "007,D0,2010-09-03,catheter lab busy\n")
    out = tmp_path / "out.csv"
    result = run_cli("schedule", "--participants", str(participants), "--visits", str(visits),
                     "--as-of", "2010-09-05", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    rows = read_csv(out)
    assert (rows[1]["window_open"], rows[1]["target_date"], rows[1]["window_close"]) == (
        "2010-09-09", "2010-09-10", "2010-09-11")
    assert rows[1]["as_of"] == "2010-09-05"
    # As of 2010-09-02 the late D0 had not happened: D7 hangs on the target again.
    run_cli("schedule", "--participants", str(participants), "--visits", str(visits),
            "--as-of", "2010-09-02", "-o", str(out))
    assert read_csv(out)[1]["target_date"] == "2010-09-08"


def test_schedule_command_with_a_protocol_file(tmp_path: Path):
    """A site protocol with months: the CSV holds the clamped dates."""
    protocol = write(tmp_path, "p.toml", DEMO)
    participants = write(tmp_path, "r.csv", ROSTER_HEADER + "A,2011-01-31\n")
    out = tmp_path / "s.json"
    result = run_cli("schedule", "--protocol", str(protocol), "--participants", str(participants),
                     "-o", str(out))
    assert result.exit_code == 0
    import json

    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["visit_code"], r["target_date"]) for r in rows] == [
        ("BL", "2011-01-31"), ("W2", "2011-02-14"), ("M1", "2011-02-28"), ("M2", "2011-03-28"),
        ("M13", "2012-02-29")]
