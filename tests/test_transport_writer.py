"""The numpy SAS transport v5 writer (outputs.transport, issue #20) against pyreadstat, the
writer it replaced: for hand-made cases, random frames and the SDTM datasets of the sample
study, its bytes are pyreadstat's after ``stamped`` set the headers' times (as the export
did until 0.3), and pyreadstat reads its files back as the values written."""

from __future__ import annotations

import io
import math
import re
import shutil
import struct
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.core.sdtm_spec import DATASETS, Package
from scheduler.outputs import sdtm_files
from scheduler.outputs.dataset_json import cells, coded
from scheduler.outputs.sdtm_files import _fit_transport, _write_transport, file_names
from scheduler.outputs.transport import Column, write_transport
from tests.conftest import SAMPLE, run_cli
from tests.test_sdtm_formats import package as hand_package

CREATED = "2026-12-01T14:30:00Z"
WHEN = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
HEADER = 8 * 80  # the library and member headers and the NAMESTR header record
NAMESTR = struct.Struct(">HHHH8s40s8sHHH2s8sHHI32sH18s")
# The headers' created and modified times, 16 characters each ("01DEC26:14:30:00") at these
# offsets: readstat writes the clock's time.
TRANSPORT_TIMES = (144, 160, 464, 480)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def stamped(path: Path, created: str) -> bool:
    """pyreadstat's file with the headers' times set to ``created``, as the export did until
    0.3 (False when the file is too short to hold them)."""
    when = datetime.fromisoformat(created)
    when = when.astimezone(UTC) if when.tzinfo is not None else when
    text = f"{when.day:02d}{MONTHS[when.month - 1]}{when.year % 100:02d}:{when:%H:%M:%S}".encode("ascii")
    with open(path, "r+b") as stream:
        head = stream.read(TRANSPORT_TIMES[-1] + len(text))
        if len(head) < TRANSPORT_TIMES[-1] + len(text):
            return False
        for offset in TRANSPORT_TIMES:
            assert re.fullmatch(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d", head[offset:offset + len(text)]), offset
            stream.seek(offset)
            stream.write(text)
    return True


def reference_frame(package: Package, name: str) -> pd.DataFrame:
    """A dataset as the export gave it to pyreadstat until 0.3: text (dates too) cut to 200
    bytes, "" where missing, in object columns; numbers as float64, NaN where missing."""
    columns: dict[str, pd.Series] = {}
    for variable in DATASETS[name].variables:
        codes, uniques = coded(package, name, variable)
        if variable.type in ("text", "date"):
            columns[variable.name] = pd.Series(cells(codes, _fit_transport(uniques), ""), dtype=object)
        else:
            columns[variable.name] = pd.Series(cells(codes, uniques, np.nan), dtype=np.float64)
    return pd.DataFrame(columns, columns=list(DATASETS[name].names))


def pyreadstat_dataset(package: Package, name: str) -> bytes:
    """One dataset as pyreadstat wrote it for the export until 0.3 (then stamped)."""
    dataset = DATASETS[name]
    return theirs(reference_frame(package, name), [variable.label for variable in dataset.variables],
                  dataset.name.upper(), dataset.label, package.created)


def ours(columns: list[Column], rows: int, table: str = "DM", file_label: str = "Demographics") -> bytes:
    """Our writer's file."""
    stream = io.BytesIO()
    write_transport(stream, table, file_label, WHEN, columns, rows)
    return stream.getvalue()


def theirs(frame: pd.DataFrame, labels: list[str], table: str = "DM", file_label: str = "Demographics",
           created: str = CREATED) -> bytes:
    """pyreadstat's file, written as the export wrote it until 0.3, then stamped."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dataset.xpt"
        pyreadstat.write_xport(frame, str(path), file_format_version=5, table_name=table, file_label=file_label,
                               column_labels=labels)
        assert stamped(path, created)
        return path.read_bytes()


def text(name: str, values: list[str | None], label: str = "") -> tuple[Column, pd.Series]:
    """A text column for both writers: ours coded (None: code -1), pyreadstat's with "" for None."""
    texts = list(dict.fromkeys(value for value in values if value is not None))
    codes = np.array([-1 if value is None else texts.index(value) for value in values], dtype=np.int64)
    return Column(name, label, texts, codes), pd.Series(["" if v is None else v for v in values], dtype=object)


def number(name: str, values: list[float], label: str = "") -> tuple[Column, pd.Series]:
    """A number column for both writers (NaN: missing)."""
    return Column(name, label, None, np.array(values, dtype=np.float64)), pd.Series(values, dtype=np.float64)


def both(made: list[tuple[Column, pd.Series]], **names: str) -> tuple[bytes, bytes]:
    """The same columns written by both writers: (ours, pyreadstat's)."""
    columns = [column for column, _series in made]
    frame = pd.DataFrame({column.name: series for column, series in made}, columns=[c.name for c in columns])
    rows = len(frame)
    return ours(columns, rows, **names), theirs(frame, [column.label for column in columns], **names)


def observations(data: bytes, variables: int) -> bytes:
    """The bytes after the OBS header record."""
    start = HEADER + math.ceil(variables * NAMESTR.size / 80) * 80 + 80
    assert data[start - 80:start].startswith(b"HEADER RECORD*******OBS     ")
    return data[start:]


def namestr(data: bytes, index: int) -> tuple[object, ...]:
    return NAMESTR.unpack_from(data, HEADER + index * NAMESTR.size)


def test_numbers_are_ibm_doubles_and_missing_is_a_dot():
    """0, 1, -1, 1.01, NaN, -5, 365 as IBM 370 doubles (exponent base 16, excess 64, a
    56-bit fraction): 1 is 0x41 then 0x10 (1/16 × 16¹); NaN is "." (0x2E) then zeros."""
    mine, reference = both([number("VISITNUM", [0.0, 1.0, -1.0, 1.01, math.nan, -5.0, 365.0])])
    assert reference == mine
    cells = observations(mine, 1)
    assert [cells[i:i + 8].hex() for i in range(0, 56, 8)] == [
        "0000000000000000", "4110000000000000", "c110000000000000", "411028f5c28f5c29",
        "2e00000000000000", "c150000000000000", "4316d00000000000"]
    assert cells[56:] == b" " * 24  # the last record padded with spaces to 80 bytes


def test_numbers_beyond_ibms_range_are_the_largest_ibm_number_or_zero():
    """readstat's ieee2xpt: ±infinity and anything from 2**249 up become 0x7F/0xFF then seven
    0xFF; subnormals, -0.0 and anything under 2**-260 become 0; 2**-260 itself survives."""
    values = [math.inf, -math.inf, 2.0 ** 249, -1e300, 5e-324, -0.0, 2.0 ** -261, 2.0 ** -260, 1e-300]
    mine, reference = both([number("X", values)])
    assert reference == mine
    cells = observations(mine, 1)
    assert [cells[i:i + 8].hex() for i in range(0, 72, 8)] == [
        "7fffffffffffffff", "ffffffffffffffff", "7fffffffffffffff", "ffffffffffffffff",
        "0000000000000000", "0000000000000000", "0000000000000000", "0010000000000000", "0000000000000000"]


def test_a_number_namestr():
    """A number: type 1, length 8, right-aligned (nfj 1), no format (8 spaces), at position 0."""
    mine, reference = both([number("VISITNUM", [1.0], "Visit Number")])
    assert reference == mine
    assert namestr(mine, 0) == (1, 0, 8, 1, b"VISITNUM", b"Visit Number".ljust(40), b" " * 8, 0, 0, 1, b"\0\0",
                                b" " * 8, 0, 0, 0, b"\0" * 32, 0, b"\0" * 18)


def test_text_is_as_wide_as_its_longest_value_in_bytes_and_missing_is_blank():
    """"", missing, ASCII, Chinese and a 200-byte text: the width is the longest in UTF-8
    bytes (200), each value padded with spaces, "" and missing both blanks."""
    long = "患" * 66 + "ab"  # 198 + 2 = 200 bytes
    values = ["", None, "SCREENING", "患者出差，未能按时回访", long]
    mine, reference = both([text("SVREASOC", values, "Reason for Occur Value")])
    assert reference == mine
    assert namestr(mine, 0)[:4] == (2, 0, 200, 1)  # text, 200 bytes, variable 1
    assert namestr(mine, 0)[9] == 0  # left-aligned
    cells = observations(mine, 1)
    assert len(cells) == 1040  # 5 × 200 bytes, padded to 13 records
    assert [cells[i:i + 200] for i in range(0, 1000, 200)] == [
        b" " * 200, b" " * 200, b"SCREENING".ljust(200), "患者出差，未能按时回访".encode().ljust(200), long.encode()]


@pytest.mark.parametrize("values", [[], ["", None], [None]], ids=["no rows", "empty and missing", "missing"])
def test_text_with_no_value_is_one_byte_wide(values):
    """pyreadstat measures at least 1 byte, whatever the column holds."""
    mine, reference = both([text("SVUPDES", values)])
    assert reference == mine
    assert namestr(mine, 0)[2] == 1


def test_a_value_no_row_takes_does_not_widen_the_column():
    """pyreadstat sees the cells, not the distinct values: an unused one does not count."""
    column = Column("ARM", "", ["A", "a much longer text"], np.array([0, 0, -1]))
    assert ours([column], 3) == theirs(pd.DataFrame({"ARM": pd.Series(["A", "A", ""], dtype=object)}), [""])
    assert namestr(ours([column], 3), 0)[2] == 1


def test_columns_lie_side_by_side():
    """Text (3 bytes) then a number: positions 0 and 3, a 11-byte observation."""
    mine, reference = both([text("DOMAIN", ["SV", "DVX"]), number("VISITDY", [-5.0, 365.0])])
    assert reference == mine
    assert [namestr(mine, i)[14] for i in (0, 1)] == [0, 3]
    assert observations(mine, 2)[:22] == b"SV " + bytes.fromhex("c150000000000000") + b"DVX" + \
        bytes.fromhex("4316d00000000000")


def test_a_dataset_of_no_rows_ends_at_the_obs_header():
    """TI with no criteria: the headers, the NAMESTRs, the OBS header, nothing after it."""
    mine, reference = both([text("STUDYID", []), number("TISEQ", [])], table="TI", file_label="Trial Inclusion")
    assert reference == mine
    assert len(mine) == HEADER + 4 * 80 + 80  # two NAMESTRs (280 bytes) in 4 records
    assert observations(mine, 2) == b""


def test_the_headers_name_the_table_label_the_file_and_carry_the_time():
    """SAS, SASLIB 6.06 bsd4.2 and the time from ``when`` (UTC) in the library header; the
    table's name and the file's label in the member header; the variable's label."""
    when = datetime(2026, 12, 2, 6, 30, 5, tzinfo=timezone(timedelta(hours=8)))  # Beijing: 22:30:05 UTC
    stream = io.BytesIO()
    write_transport(stream, "DM", "Demographics", when, [Column("AGE", "Age", None, np.array([1.0]))], 1)
    data = stream.getvalue()
    stamp = b"01DEC26:22:30:05"
    assert data[:80] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
    assert data[80:160] == b"SAS     SAS     SASLIB  6.06    bsd4.2  " + b" " * 24 + stamp
    assert data[160:240] == stamp.ljust(80)
    assert data[240:320] == b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
    assert data[400:480] == b"SAS     DM      SASDATA 6.06    bsd4.2  " + b" " * 24 + stamp
    assert data[480:560] == stamp + b" " * 16 + b"Demographics".ljust(40) + b" " * 8
    assert data[560:640] == b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000000100000000000000000000  "
    assert namestr(data, 0)[5] == b"Age".ljust(40)


def test_non_ascii_labels_are_utf_8_cut_at_40_bytes_as_readstat_cuts_them():
    """A Chinese file label and variable labels longer than 40 bytes: the first 40 bytes, cut
    inside a character as pyreadstat cuts them (its quirk, copied); a NUL ends a label."""
    made = [text("QVAL", ["患者"], "数据值" * 5), number("N", [1.0], "a\0b")]
    mine, reference = both(made, table="SUPPDV", file_label="补充" * 8)
    assert reference == mine
    assert mine[480 + 32:480 + 72] == ("补充" * 8).encode()[:40]
    assert namestr(mine, 0)[5] == ("数据值" * 5).encode()[:40]
    assert namestr(mine, 1)[5] == b"a".ljust(40)


def test_no_table_name_is_dataset_and_text_stops_at_a_nul():
    """readstat's defaults: a table without a name is DATASET; a text is a C string, blank
    after a NUL (the NUL and what follows still count in the width)."""
    mine, reference = both([text("T", ["a\0bc", "d"])], table="", file_label="")
    assert reference == mine
    assert mine[400:416] == b"SAS     DATASET "
    assert observations(mine, 1)[:8] == b"a   d   "


@pytest.mark.parametrize("name", ["", "TOOLONGNAME", "1ST", "NAME-X", "名字", "_N_"])
def test_a_name_sas_would_refuse_is_refused_where_the_column_is_made(name):
    """Not a letter or _ first, not letters, digits and _, more than 8: stopped, named."""
    with pytest.raises(ValueError, match="SAS version 5 name"):
        Column(name, "", None, np.array([1.0]))


def test_codes_that_do_not_fit_the_column_are_refused():
    """Integers for text, within -1 … len(texts) - 1; floats for numbers; one per row."""
    with pytest.raises(ValueError, match="outside"):
        Column("A", "", ["x"], np.array([1]))
    with pytest.raises(ValueError, match="integers"):
        Column("A", "", ["x"], np.array([0.0]))
    with pytest.raises(ValueError, match="floats"):
        Column("A", "", None, np.array([1]))
    with pytest.raises(ValueError, match="for 3 rows"):
        ours([Column("A", "", None, np.array([1.0]))], 3)


# Hypothesis: random frames. Text of any Unicode but surrogates (not UTF-8), a NUL included.
UNICODE = st.characters(exclude_categories=("Cs",))
NAMES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,7}", fullmatch=True).filter(lambda name: name not in ("_N_", "_ERROR_"))
TEXTS = st.one_of(st.text(UNICODE, max_size=12), st.text(st.sampled_from("患者出差ab "), min_size=60, max_size=80)) \
    .map(lambda value: value.encode("utf-8")[:200].decode("utf-8", errors="ignore"))  # as _fit_transport cuts
NUMBERS = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1.01, -5.0, 365.0, math.nan, 1e-300, 1e300]))


@st.composite
def frames(draw: st.DrawFn) -> tuple[list[Column], pd.DataFrame, int]:
    """1–6 columns of 0–50 rows, text (codes into distinct values, -1 missing) or numbers."""
    rows = draw(st.integers(0, 50))
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    columns, series = [], {}
    for name in names:
        label = draw(st.text(UNICODE, max_size=45))
        if draw(st.booleans()):
            texts = draw(st.lists(TEXTS, min_size=1, max_size=6, unique=True))
            codes = np.array(draw(st.lists(st.integers(-1, len(texts) - 1), min_size=rows, max_size=rows)), dtype=np.int64)
            columns.append(Column(name, label, texts, codes))
            series[name] = pd.Series([texts[code] if code >= 0 else "" for code in codes], dtype=object)
        else:
            values = np.array(draw(st.lists(NUMBERS, min_size=rows, max_size=rows)), dtype=np.float64)
            columns.append(Column(name, label, None, values))
            series[name] = pd.Series(values, dtype=np.float64)
    return columns, pd.DataFrame(series, columns=names), rows


def read_back_expected(column: Column, rows: int) -> list[object]:
    """What pyreadstat reads back of the first ``rows``: text up to a NUL without its trailing
    spaces; numbers as IBM can hold them (infinite from 2**249, 0 under 2**-260), NaN missing."""
    if column.texts is not None:
        return [column.texts[code].split("\0")[0].rstrip(" ") if code >= 0 else "" for code in column.codes[:rows]]
    values = column.codes[:rows]
    held = np.where(np.abs(values) >= 2.0 ** 249, np.copysign(math.inf, values), values)
    return list(np.where(np.abs(held) < 2.0 ** -260, 0.0, held))


def rows_read(data: bytes, columns: list[Column], rows: int) -> int:
    """How many rows pyreadstat reads back: where an observation is shorter than a record, its
    reader takes trailing observations of nothing but spaces for the last record's padding
    (TS-140 cannot tell them apart) and drops them; from 80 bytes on it keeps them (as seen
    from pyreadstat 1.3.8: the same for its own files)."""
    length = sum(int(namestr(data, index)[2]) for index in range(len(columns)))  # nlng: the widths
    cells = observations(data, len(columns))
    while length < 80 and rows and cells[(rows - 1) * length:rows * length] == b" " * length:
        rows -= 1
    return rows


def whole_characters(label: str) -> bool:
    """A label's first 40 bytes (what readstat writes) are whole UTF-8 characters."""
    try:
        label.encode("utf-8").split(b"\0")[0][:40].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(frames(), NAMES, st.text(UNICODE, max_size=45))
def test_random_frames_are_pyreadstats_bytes_and_read_back(made, table, file_label):
    """Any frame of text and numbers, unicode, missing values: pyreadstat's bytes, and
    pyreadstat reads our file back as the values written (where it can read it at all: a
    label it cut inside a character is not UTF-8, and its reader refuses the file)."""
    columns, frame, rows = made
    mine = ours(columns, rows, table=table, file_label=file_label)
    assert theirs(frame, [column.label for column in columns], table=table, file_label=file_label) == mine
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ours.xpt"
        path.write_bytes(mine)
        if not all(whole_characters(label) for label in [file_label, *(column.label for column in columns)]):
            with pytest.raises(UnicodeDecodeError):
                pyreadstat.read_xport(str(path))
            return
        back, meta = pyreadstat.read_xport(str(path))
    assert list(back.columns) == [column.name for column in columns]
    assert meta.table_name == table
    kept = rows_read(mine, columns, rows)
    assert len(back) == kept
    for column in columns:
        expected, got = read_back_expected(column, kept), list(back[column.name])
        if column.texts is None:
            np.testing.assert_array_equal(np.array(expected, dtype=np.float64), np.array(got, dtype=np.float64))
        else:
            assert expected == got


def test_the_sample_studys_sdtm_export_is_pyreadstats_bytes(tmp_path, monkeypatch):
    """``export sdtm --format xpt`` of sample_data/: every dataset file it wrote is the bytes
    pyreadstat makes of the same package, as the export wrote them until 0.3."""
    folder = tmp_path / "study"
    shutil.copytree(SAMPLE, folder)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796135400")
    packages: list[Package] = []
    real_write = sdtm_files.write

    def keeping(package: Package, out: Path, file_format: str) -> list[Path]:
        packages.append(package)
        return real_write(package, out, file_format)

    monkeypatch.setattr(sdtm_files, "write", keeping)
    result = run_cli("export", "sdtm", "--as-of", "2011-01-17", "-o", "sdtm", "--format", "xpt", cwd=folder)
    assert result.exit_code == 0, result.stderr
    [package] = packages
    names = file_names(package, "xpt")
    assert len(names) >= 10 and len(package.datasets["SV"]) > 50
    for name, file in names.items():
        assert (folder / "sdtm" / file).read_bytes() == pyreadstat_dataset(package, name), name


def test_the_hand_made_packages_datasets_are_pyreadstats_bytes(tmp_path):
    """test_sdtm_formats' package (a VISITNUM 1.01, a Chinese reason, TI of no rows, missing
    values of each type), each dataset through _write_transport and through pyreadstat."""
    package = hand_package()
    for name, file in file_names(package, "xpt").items():
        path = tmp_path / file
        _write_transport(package, name, path)
        assert path.read_bytes() == pyreadstat_dataset(package, name), name


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.text(st.sampled_from(["a", "Z", " ", "9", ",", "é", "\0"]), max_size=6), max_size=8,
                      unique=True),
       picks=st.lists(st.integers(-1, 7), max_size=12))
def test_text_cells_the_quick_way_and_the_long_way_agree(texts, picks):
    """ASCII columns are laid out by numpy in one step; others value by value: both give
    readstat's cells (the longest value a row takes, at least 1; blanks after a NUL; an
    unused longer value cut; a last row of blanks)."""
    from scheduler.outputs.transport import _text_cells

    codes = np.array([pick for pick in picks if pick < len(texts)], dtype=np.int64)
    encoded = [text.encode("utf-8") for text in texts]
    used = {int(code) for code in codes if code >= 0}
    width = max([1, *(len(encoded[code]) for code in used)])
    expected = [value.split(b"\0", 1)[0][:width].ljust(width) for value in encoded] + [b" " * width]
    cells = _text_cells(Column("X", "", texts, codes))
    assert [bytes(row) for row in cells] == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12).flatmap(lambda size: st.lists(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=size, max_size=size),
    min_size=1, max_size=6, unique=True)), st.data())
def test_values_all_as_long_are_pyreadstats_bytes(texts, data):
    """A text column whose values are all as long (USUBJIDs, dates: laid out from their
    joined bytes), some unused or missing rows included: pyreadstat's bytes."""
    rows = data.draw(st.integers(0, 20))
    codes = np.array(data.draw(st.lists(st.integers(-1, len(texts) - 1), min_size=rows, max_size=rows)),
                     dtype=np.int64)
    columns = [Column("USUBJID", "Unique Subject Identifier", texts, codes)]
    frame = pd.DataFrame({"USUBJID": pd.Series([texts[code] if code >= 0 else "" for code in codes], dtype=object)})
    assert theirs(frame, ["Unique Subject Identifier"]) == ours(columns, rows)
