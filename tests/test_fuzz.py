"""Hostile input: random bytes and random date text fed to the readers through the real CLI
always give a result or a clear message (exit 0, 1 or 2), never an internal error."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import run_cli

ROSTER = b"participant_id,enrollment_date,withdrawal_date\n001,2010-09-01,\n"
cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=14)


def run_in(files: dict[str, bytes]):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for file_name, content in files.items():
            (folder / file_name).write_bytes(content)
        return run_cli("check", "--as-of", "2010-09-20", cwd=folder)


def assert_handled(result) -> None:
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "Internal error" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith(("Error:", "Usage:")) and len(result.stderr.strip()) > 10


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_as_the_participants_file(content: bytes):
    """Any bytes at all as participants.csv."""
    assert_handled(run_in({"participants.csv": content}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_after_a_good_visits_header(content: bytes):
    """A good header, then any bytes, as visits.csv."""
    assert_handled(run_in({"participants.csv": ROSTER,
                           "visits.csv": b"participant_id,visit_code,actual_date,reason\n" + content}))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enrollment=cells, withdrawal=cells, actual=cells)
def test_random_date_text(enrollment: str, withdrawal: str, actual: str):
    """Any text where dates belong: read, or a message naming the line."""
    for bad in ('"', ",", "\n", "\r", "\x00"):
        enrollment, withdrawal, actual = (v.replace(bad, "") for v in (enrollment, withdrawal, actual))
    roster = f"participant_id,enrollment_date,withdrawal_date\n001,{enrollment},{withdrawal}\n"
    visits = f"participant_id,visit_code,actual_date,reason\n001,D0,{actual},\n"
    result = run_in({"participants.csv": roster.encode(), "visits.csv": visits.encode()})
    assert_handled(result)
    if result.exit_code == 2:  # only the roster's dates can stop the command: named with line 2
        assert "participants.csv:2: column " in result.stderr


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=__import__("datetime").date(1900, 1, 1),
                max_value=__import__("datetime").date(2199, 12, 31)),
       st.sampled_from(["{:%Y-%m-%d}", "{:%Y/%m/%d}", "{:%Y.%m.%d}", "{:%Y%m%d}", "{d.year}年{d.month}月{d.day}日",
                        "{d.year}/{d.month}/{d.day}"]))
def test_every_year_first_form_reads_back_the_same_day(day, form):
    """Any real date written in any accepted form is read as that very day."""
    import pandas as pd

    from scheduler.core.dates import OK, parse_dates

    text = form.format(day, d=day)
    dates, codes = parse_dates(pd.Series([text], dtype=object))
    assert codes[0] == OK and str(dates[0]) == day.isoformat()
