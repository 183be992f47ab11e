"""The writers: CSV cells read back exactly as written, whatever they hold; ISO dates."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.core.dates import iso
from scheduler.outputs.files import _encoded, write_csv

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


def test_json_is_what_json_dump_writes_of_the_records():
    """write_json against the plain reference: a dict per row (dates ISO, whole numbers as
    numbers, null where empty), json.dump(indent=1); quotes, backslashes, line breaks and
    Chinese in the text; an empty table."""
    import io
    import json

    import numpy as np
    import pandas as pd

    from scheduler.outputs.files import text_column, write_json

    frame = pd.DataFrame({
        "participant_id": pd.Categorical(["007", "007", "0042"]),
        "target_date": np.array(["2010-09-01", "NaT", "2012-02-29"], dtype="M8[D]"),
        "days_outside": pd.array([0, None, 12], dtype="Int64"),
        "reason": pd.Series(['say "hi" \\ 中文\nnext', "", "lab, closed"], dtype=object),
        "flag": [True, False, True],
    })

    def reference(table: pd.DataFrame) -> str:
        texts = {name: text_column(table[name]) for name in table.columns}
        integer = {"days_outside"}
        records = [{name: (None if texts[name][i] == "" else int(texts[name][i]) if name in integer
                           else texts[name][i]) for name in table.columns} for i in range(len(table))]
        return json.dumps(records, ensure_ascii=False, indent=1)

    with_nul = frame.assign(reason=frame["reason"].where(frame.index != 2, "nul\x00inside"))
    for table in (frame, frame.iloc[:0], with_nul, frame.iloc[:1]):
        written = io.StringIO()
        write_json(table, written, chunk=2)  # rows in chunks of two: the last chunk ends the list
        assert written.getvalue() == reference(table)
    assert json.loads(reference(frame))[1] == {"participant_id": "007", "target_date": None,
                                              "days_outside": None, "reason": None, "flag": "false"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=30),
                          st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)), max_size=40))
def test_words_are_encoded_as_numpy_encodes_them(words):
    """_encoded (ASCII words read as fixed-width Unicode, their code points taken as bytes)
    is the UTF-8 bytes numpy makes of each word, in the same width of slot."""
    expected = np.array([word.encode("utf-8") for word in words], dtype=bytes) if words else np.array([], "S1")
    found = _encoded(words)
    assert found.dtype == expected.dtype
    assert found.tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=10), max_size=30), st.booleans())
def test_json_values_are_what_json_dumps_writes(words, shortcut):
    """_json_values (text only put between quotes when the whole column holds no quote,
    backslash or unprintable character) against json.dumps of every word; "" is null."""
    import json

    from scheduler.outputs.files import _json_values

    if shortcut:  # a column the shortcut takes: printable, no quote, no backslash
        words = [word for word in words if word.isprintable() and '"' not in word and "\\" not in word]
    expected = ['  "k": ' + ("null" if word == "" else json.dumps(word, ensure_ascii=False)) for word in words]
    assert _json_values(words, '  "k": ', integer=False) == expected
    numbers = [str(len(word)) if word else "" for word in words]
    assert _json_values(numbers, "", integer=True) == ["null" if n == "" else n for n in numbers]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["", "", "", "late", "a,b", None, float("nan"), pd.NA, 7]), max_size=30))
def test_a_mostly_empty_column_is_the_text_of_its_cells(cells):
    """coded_column of a column of Python objects (the check's reasons: mostly empty, the
    empty cells left out of the hashing) is each cell's text, "" where missing, as
    text_column gives it."""
    from scheduler.outputs.files import coded_column, text_column

    column = pd.Series(cells, dtype=object)
    codes, words = coded_column(column)
    assert words[codes].tolist() == text_column(column).tolist()


def test_date_columns_are_their_iso_text_whatever_is_missing():
    """coded_column of dates (every day present, some missing, all missing, none at all)
    is text_column's ISO text, "" where missing."""
    from scheduler.outputs.files import coded_column, text_column

    for days in (["2010-08-01", "2012-02-29", "2010-08-01"], ["NaT", "2011-12-31", "NaT"], ["NaT", "NaT"], []):
        column = pd.Series(np.array(days, dtype="M8[D]").astype("M8[s]"))
        codes, words = coded_column(column)
        assert words[codes].tolist() == text_column(column).tolist() == [
            "" if day == "NaT" else day for day in days]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["", "", "", "", "late", "lab closed", "x", None, float("nan")]), max_size=40))
def test_texts_mostly_empty_factorize_as_pandas_does(cells):
    """dataset_json._factorized_texts (a mostly empty column: only the other cells hashed,
    "" put where it first appears) gives pd.factorize's codes and values, in its order."""
    from scheduler.outputs.dataset_json import _factorized_texts

    raw = np.array(cells, dtype=object)
    codes, uniques = _factorized_texts(raw)
    expected_codes, expected_uniques = pd.factorize(raw, use_na_sentinel=True)
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == list(expected_uniques)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 12).flatmap(lambda width: st.lists(
    st.text(st.characters(min_codepoint=1, max_codepoint=127), min_size=width, max_size=width), max_size=30)))
def test_words_of_one_length_are_encoded_as_numpy_encodes_them(words):
    """_encoded's shortcut for ASCII words all as long (IDs, dates: the joined bytes cut in
    slots) gives numpy's own bytes and slot width; "" words alone take a slot of one."""
    expected = np.array([word.encode("utf-8") for word in words], dtype=bytes) if words else np.array([], "S1")
    found = _encoded(words)
    assert found.dtype == expected.dtype or (not any(words) and found.dtype == np.dtype("S1"))
    assert found.tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["", "P001", "P002", "乙", "a" * 30, "x"]), unique=True, min_size=1, max_size=6)
       .flatmap(lambda categories: st.tuples(
           st.just(categories),
           st.lists(st.lists(st.integers(-1, len(categories) - 1), max_size=25), min_size=1, max_size=3))))
def test_categorical_columns_code_as_their_cells_and_share_one_table(case):
    """dataset_json's categorical path (USUBJID in seven datasets: the categories made text and
    measured once per export) against the plain reading of the same cells: each row's value
    (code -1 for none, "" included), only the values present, and measured's (longest, all
    ASCII) of those values; a second column with the same categories takes the table made for
    the first and gives what it gives alone."""
    from scheduler.outputs.dataset_json import _factorized_categorical

    categories, columns = case
    index = pd.Index(categories, dtype=object)
    tables: dict[int, object] = {}
    for codes in columns:
        column = pd.Series(pd.Categorical.from_codes(np.array(codes, dtype=np.int8), categories=index))
        assert column.cat.categories is index
        for shared in (tables, None):
            found, texts, (longest, ascii_only) = _factorized_categorical(column, shared)
            cells = [texts[code] if code >= 0 else "" for code in found.tolist()]
            assert cells == ["" if code < 0 else categories[code] for code in codes]
            assert "" not in [texts[code] for code in found.tolist() if code >= 0]  # "": code -1
            assert sorted(set(texts) - {""}) == sorted({categories[code] for code in codes if code >= 0} - {""})
            assert longest == max([len(text) for text in texts], default=0)
            assert ascii_only == "".join(texts).isascii()
    assert len(tables) == 1  # one table for the categories, whatever the columns


numbers = st.lists(st.one_of(st.integers(-400, 400).map(float), st.just(float("nan")), st.just(-0.0),
                             st.floats(-1e6, 1e6), st.sampled_from([1.01, 2.5, 2.0 ** 60, -(2.0 ** 60)])),
                   max_size=30)


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(["integer", "float"]))
def test_a_float_column_s_distinct_numbers_are_its_factorized_values(values, kind):
    """define.xml's numbers without codes (dataset_json._distinct_numbers: whole numbers a
    short range apart counted, others hashed) hold factorized's values, in any order, and say
    whether a row has none; an integer variable refuses a fraction, as factorized does."""
    from scheduler.outputs.dataset_json import _distinct_numbers, factorized

    column = pd.Series(np.array(values, dtype=np.float64))
    try:
        codes, expected = factorized(column, kind)
    except TypeError:
        with pytest.raises(TypeError):
            _distinct_numbers(column.to_numpy(), kind)
        return
    found, missing = _distinct_numbers(column.to_numpy(), kind)
    assert sorted(found) == sorted(expected)
    assert [type(value) for value in sorted(found)] == [type(value) for value in sorted(expected)]
    assert missing == bool((codes < 0).any())


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(["integer", "float"]))
def test_a_float_column_is_written_to_transport_as_its_codes_would_be(values, kind):
    """The transport writer takes a float column as it is (sdtm_files._transport_columns): the
    IBM doubles of its values are those of the values its codes give (factorized's 8 for 8.0,
    0 for -0.0), NaN SAS's missing."""
    from scheduler.outputs.dataset_json import factorized
    from scheduler.outputs.transport import _ibm_doubles

    column = np.array(values, dtype=np.float64)
    try:
        codes, uniques = factorized(pd.Series(column), kind)
    except TypeError:
        return  # an integer variable with a fraction: refused before any file is swapped in
    through_codes = np.array([*uniques, np.nan], dtype=np.float64)[codes]
    assert _ibm_doubles(column).tobytes() == _ibm_doubles(through_codes).tobytes()
