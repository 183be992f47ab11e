"""The writers: CSV cells read back exactly as written, whatever they hold; ISO dates."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.core.dates import iso
from scheduler.outputs.files import write_csv

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(text, text, st.none() | st.integers(-5, 10**6)), min_size=0, max_size=20))
def test_csv_reads_back_what_was_written(rows):
    """Commas, quotes, line breaks, Chinese, formulas: csv.reader gives back every cell."""
    frame = pd.DataFrame({"a": [r[0] for r in rows], "b": [r[1] for r in rows],
                          "n": pd.array([r[2] for r in rows], dtype="Int64")})
    stream = io.StringIO()
    write_csv(frame, stream)
    back = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert back[0] == ["a", "b", "n"]
    assert back[1:] == [[a, b, "" if n is None else str(n)] for a, b, n in rows]


def test_iso_dates_and_gaps():
    """Every day from a table made once; NaT is empty; far-apart dates still right."""
    days = np.array(["2010-08-01", "NaT", "2012-02-29", "2010-08-01", "2199-12-31", "1900-01-01"], dtype="M8[D]")
    assert list(iso(days)) == ["2010-08-01", "", "2012-02-29", "2010-08-01", "2199-12-31", "1900-01-01"]
    assert list(iso(np.array(["NaT"], dtype="M8[D]"))) == [""]
