"""One SDTM dataset as a CDISC Dataset-JSON 1.1 file, and the typed values every SDTM
writer (CSV, SAS transport, Dataset-JSON) takes its cells from, so the three cannot differ.

Choices the specification leaves open (doc/dataset-json1-1.md of
github.com/cdisc-org/DataExchange-DatasetJson):

- VISITNUM is ``float`` (a JSON number), as define.xml's DataType says and as CDISC's own
  SDTM examples write it: 1.01 is written ``1.01`` (the shortest text that reads back as the
  same double) and a whole number as ``1``. ``decimal`` (a JSON string) would disagree with
  define.xml and make every reader convert the text.
- ``length`` is in characters, as the specification defines it ("the number of characters
  allowed for the variable value when it is represented as a text"): the longest value, at
  least 1; none for numbers and dates (CDISC's examples give none). A .xpt file measures in
  bytes: a Chinese reason is longer there.
- A missing value is ``null`` in every column, an empty text included: SDTM has no empty
  text distinct from a missing one (SAS has neither), and one spelling keeps the files
  comparable.
- Dates are ISO 8601 text (``dataType`` "date", no targetDataType: SDTM, not ADaM).
"""

from __future__ import annotations

import json
from typing import NamedTuple, cast

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.core.sdtm import one_text
from scheduler.core.sdtm_spec import (
    DATASET_JSON_VERSION,
    DATASETS,
    METADATA_VERSION_OID,
    Dataset,
    Package,
    Type,
    Variable,
)
from scheduler.outputs.files import empty_texts

ORIGINATOR = "visit-scheduler"
DEFINE = "define.xml"  # metaDataRef: define.xml beside the datasets
DATA_TYPES: dict[Type, str] = {"text": "string", "integer": "integer", "float": "float", "date": "date"}
ROWS_AT_ONCE = 10_000  # rows turned into JSON per step: only one step's lists and text are held at once

Value = str | int | float  # a cell's value; a missing one is None


def dataset_of(package: Package, name: str) -> Dataset:
    """A dataset's metadata, its frame's columns checked against them: a frame whose columns
    differ from sdtm_spec is a bug in the builder, stopped here, named. The writers take the
    columns by name (``coded``), in the metadata's order."""
    dataset = DATASETS[name]
    frame = package.datasets[name]
    if set(frame.columns) != set(dataset.names) or len(frame.columns) != len(dataset.names):
        missing = [column for column in dataset.names if column not in frame.columns]
        extra = [str(column) for column in frame.columns if column not in dataset.names]
        raise ValueError(f"{name}: the columns differ from sdtm_spec (missing {missing}, not expected {extra})")
    return dataset


def factorized(column: pd.Series, kind: Type) -> tuple[np.ndarray, list[Value]]:
    """A column as codes into its distinct values (Python str, int or float; code -1 where
    it has none, an empty text included), so each writer makes each distinct cell once:
    800,000 rows hold a few thousand different values."""
    if kind in ("integer", "float") and column.dtype.kind in "fiu":  # numpy numbers, NaN where missing
        return _factorized_numbers(column.to_numpy(), kind)
    if kind in ("integer", "float"):
        values = column
        if values.dtype == object:
            values = values.mask(values.eq(""))  # "" from a builder that writes text: missing
        # Int64 refuses a fraction (a builder's bug) rather than cutting it.
        numbers = values.astype("Int64" if kind == "integer" else "Float64")
        codes, present = pd.factorize(numbers, use_na_sentinel=True)
        if kind == "integer":
            return codes, [int(value) for value in present]
        return codes, [int(value) if float(value).is_integer() else float(value) for value in present]
    if isinstance(column.dtype, pd.CategoricalDtype):  # USUBJID (core.sdtm Subjects.ids): codes as they are
        taken = _factorized_categorical(column, None)
        return taken[0], taken[1]
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        column = pd.Series(datelib.iso(column.to_numpy()), index=column.index, dtype=object)
    raw = column.to_numpy(dtype=object)
    if one_text(raw):  # STUDYID, DOMAIN …: one value in every row, no table to look it up in
        codes, uniques = np.zeros(len(raw), dtype=np.intp), raw[:1]
    else:
        codes, uniques = _factorized_texts(raw)
    texts = _as_texts(uniques)
    if "" in texts:
        codes = np.where(codes == texts.index(""), -1, codes)
    return codes, texts


def _as_texts(values: np.ndarray) -> list[Value]:
    """Distinct values as a list of text: as they are when they are text already (the
    builders' columns), else each made text."""
    listed: list[Value] = values.tolist()
    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return listed
    return [value if isinstance(value, str) else str(value) for value in listed]


class _Categories(NamedTuple):
    """A categorical's categories as the writers take them, made once per export and shared
    by every column that has them (the 100,000 USUBJIDs of the seven subject datasets)."""

    categories: pd.Index  # held, so that the id they are found by is theirs
    words: np.ndarray  # each as text, Python objects
    texts: list[Value]  # the same, a list
    lengths: np.ndarray  # each text's length in characters
    ascii: bool  # every one ASCII
    empty: int  # the place of "" among them, -1 when none


def _categories(index: pd.Index, tables: dict[int, object] | None) -> _Categories:
    """``index`` as _Categories, from ``tables`` (Package.categories) when made before."""
    found = tables.get(id(index)) if tables is not None else None
    if isinstance(found, _Categories) and found.categories is index:
        return found
    texts = _as_texts(index.to_numpy(dtype=object))
    words = np.array(texts, dtype=object)
    strings = cast("list[str]", texts)
    made = _Categories(index, words, texts, np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)),
                       "".join(strings).isascii(), texts.index("") if "" in texts else -1)
    if tables is not None:
        tables[id(index)] = made
    return made


def _factorized_categorical(column: pd.Series, tables: dict[int, object] | None
                            ) -> tuple[np.ndarray, list[Value], tuple[int, bool]]:
    """``factorized`` of a categorical text or date column (code -1 where it has none, ""
    included; only the categories present), with ``measured``'s measure: the codes as they
    are, the categories made text once per export (``tables``)."""
    table = _categories(column.cat.categories, tables)
    codes = column.cat.codes.to_numpy().astype(np.intp)
    # Which categories the rows take: counted (code -1, none, counted apart), not marked.
    used = np.bincount(codes + 1, minlength=len(table.texts) + 1)[1:] > 0
    empty = table.empty
    if used.all():
        texts, longest, ascii_only = table.texts, int(table.lengths.max(initial=0)), table.ascii
    else:  # only the values present, as pd.factorize gives them
        renumbered = np.cumsum(used) - 1
        codes = np.where(codes >= 0, renumbered[np.maximum(codes, 0)], -1)
        present = table.words[used]
        texts = present.tolist()
        longest = int(table.lengths[used].max(initial=0))
        ascii_only = table.ascii or "".join(cast("list[str]", texts)).isascii()
        empty = int(renumbered[empty]) if empty >= 0 and used[empty] else -1
    if empty >= 0:
        codes = np.where(codes == empty, -1, codes)
    return codes, texts, (longest, ascii_only)


def _factorized_texts(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(raw)``, the same codes and values in the same order. A column mostly
    "" (SV's SVREASOC: a reason only for the visits not done) has only its other cells
    hashed, and "" put among the values where it first appears."""
    empty = empty_texts(raw)
    if empty is None or empty.sum() * 4 <= len(raw):
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object)
    others = np.flatnonzero(~empty)
    found, values = pd.factorize(raw[others], use_na_sentinel=True)
    # "" comes after the values first seen before the first empty cell: as many as the
    # codes those cells take (factorize numbers values in order of first appearance).
    before = found[:int(np.searchsorted(others, int(np.argmax(empty))))]
    place = int(before.max()) + 1 if len(before) and before.max() >= 0 else 0
    codes = np.full(len(raw), place, dtype=np.intp)
    codes[others] = np.where(found >= place, found + 1, found)  # -1 (missing) stays
    uniques = np.concatenate([np.asarray(values[:place], dtype=object), np.array([""], dtype=object),
                              np.asarray(values[place:], dtype=object)])
    return codes, uniques


def _factorized_numbers(values: np.ndarray, kind: Type) -> tuple[np.ndarray, list[Value]]:
    """``factorized`` of a numpy column of numbers (NaN where missing): as through pandas'
    Int64 and Float64, without making them (a third of the time of SV's study days)."""
    codes, present = pd.factorize(values, use_na_sentinel=True)
    if kind == "integer":
        if present.dtype.kind == "f" and not np.array_equal(present, np.trunc(present)):
            raise TypeError("cannot safely cast non-equivalent float64 to int64")  # as Int64 refuses
        return codes, [int(value) for value in present.tolist()]
    return codes, [int(value) if float(value).is_integer() else float(value) for value in present.tolist()]


def coded(package: Package, name: str, variable: Variable) -> tuple[np.ndarray, list[Value]]:
    """``factorized`` of one variable of one dataset, made once per package: the CSV, the
    transport file, Dataset-JSON, define.xml and the length warnings all read the same
    codes (factorizing 800,000 SV rows once per variable instead of four times)."""
    key = (name, variable.name)
    found = package.codes.get(key)
    if found is None:
        column = package.datasets[name][variable.name]
        if variable.type in ("text", "date") and isinstance(column.dtype, pd.CategoricalDtype):
            codes, texts, measure = _factorized_categorical(column, package.categories)
            package.measures[key] = measure  # measured, from the categories' lengths
            found = package.codes[key] = (codes, texts)
        else:
            found = package.codes[key] = factorized(column, variable.type)
    return found


def numbers_present(package: Package, name: str, variable: Variable) -> tuple[list[Value], bool]:
    """A number variable's distinct values (``factorized``'s, in any order) and whether a row
    has none: from its codes when a writer made them (CSV, Dataset-JSON), else from the
    column itself. The transport writer takes a column of floats as it is, with no codes,
    and define.xml needs no more than these (SV's study days: 650,000 rows, a few hundred
    values)."""
    column = package.datasets[name][variable.name]
    if (name, variable.name) not in package.codes and column.dtype == np.float64:
        return _distinct_numbers(column.to_numpy(), variable.type)
    codes, uniques = coded(package, name, variable)
    return uniques, bool((codes < 0).any())


def _distinct_numbers(values: np.ndarray, kind: Type) -> tuple[list[Value], bool]:
    """``numbers_present`` of a numpy column of floats (NaN where missing): whole numbers a
    short range apart counted (bincount), others hashed; an integer variable refuses a
    fraction as ``factorized`` does (a builder's bug)."""
    present = values[~np.isnan(values)]
    whole = bool(np.array_equal(present, np.trunc(present)))
    if kind == "integer" and not whole:
        raise TypeError("cannot safely cast non-equivalent float64 to int64")  # as Int64 refuses
    low, high = (float(present.min()), float(present.max())) if len(present) else (0.0, 0.0)
    if whole and high - low < 1 << 20:
        distinct = np.flatnonzero(np.bincount((present - low).astype(np.int64))) + low
    else:
        distinct = pd.unique(present)
    listed = distinct.tolist()
    numbers: list[Value] = [int(value) for value in listed] if kind == "integer" else \
        [int(value) if float(value).is_integer() else float(value) for value in listed]
    return numbers, len(present) < len(values)


def written(uniques: list[Value], kind: Type) -> list[str]:
    """A variable's distinct values (``factorized``) as the text files write them: 8, not
    8.0; 1.01 as 1.01; text as it is."""
    if kind in ("text", "date"):
        return cast("list[str]", uniques)  # factorized gives a text variable's values as str
    return [number_text(value) for value in uniques]


def measured(package: Package, name: str, variable: Variable) -> tuple[int, bool]:
    """A text or date variable's longest value in characters (0 when it has none) and
    whether every value is ASCII, made once per export from its distinct values: the length
    warnings and define.xml's lengths read them (100,000 USUBJIDs in each of seven datasets)."""
    key = (name, variable.name)
    found = package.measures.get(key)
    if found is None:
        texts = cast("list[str]", coded(package, name, variable)[1])
        found = package.measures.get(key)  # a categorical's, made with its codes
        if found is None:
            found = package.measures[key] = (max(map(len, texts), default=0), "".join(texts).isascii())
    return found


def text_measures(package: Package) -> dict[tuple[str, str], tuple[int, bool]]:
    """``measured`` of every text and date variable, by (dataset, variable)."""
    return {(name, variable.name): measured(package, name, variable)
            for name in package.datasets for variable in DATASETS[name].variables
            if variable.type in ("text", "date")}


def distinct_texts(package: Package) -> dict[tuple[str, str], list[str]]:
    """Every text and date variable's distinct values, present ones only, by (dataset,
    variable): what core.sdtm's length and transport warnings read."""
    # factorized gives a text or date variable's values as str already.
    return {(name, variable.name): cast("list[str]", coded(package, name, variable)[1])
            for name in package.datasets for variable in DATASETS[name].variables
            if variable.type in ("text", "date")}


def cells(codes: np.ndarray, uniques: list[Value], missing: object) -> np.ndarray:
    """The cells of a factorized column: each code's value, ``missing`` for code -1."""
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = uniques
    table[-1] = missing
    taken: np.ndarray = table[codes]
    return taken


def number_text(value: Value) -> str:
    """A number as SDTM's text files write it: 8, not 8.0; 1.01 as 1.01 (Python's shortest
    text that reads back as the same double)."""
    return str(value) if isinstance(value, int) else repr(value)


def _column(dataset: Dataset, variable: Variable, uniques: list[Value]) -> dict[str, object]:
    """One entry of ``columns``, its attributes in the specification's order."""
    column: dict[str, object] = {"itemOID": f"IT.{dataset.name}.{variable.name}", "name": variable.name,
                                 "label": variable.label, "dataType": DATA_TYPES[variable.type]}
    if variable.type == "text":
        column["length"] = max([1, *(len(str(value)) for value in uniques)])
    if variable.name in dataset.keys:
        column["keySequence"] = dataset.keys.index(variable.name) + 1
    return column


def _dumps(value: object) -> str:
    """JSON text, the same bytes every time: compact, UTF-8 as it is (ensure_ascii off), no
    NaN (not JSON: a missing value must have become null)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dataset_json(package: Package, name: str) -> bytes:
    """The Dataset-JSON 1.1 file of dataset ``name``: the metadata attributes in the order
    the specification recommends (a streaming reader finds them before the rows), then the
    rows as arrays."""
    dataset = dataset_of(package, name)
    rows = len(package.datasets[name])
    matrix = np.empty((rows, len(dataset.variables)), dtype=object)
    columns = []
    for index, variable in enumerate(dataset.variables):
        codes, uniques = coded(package, name, variable)
        matrix[:, index] = cells(codes, uniques, None)
        columns.append(_column(dataset, variable, uniques))  # factorize: only the values present
    head: dict[str, object] = {
        "datasetJSONCreationDateTime": package.created,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{package.study_oid}.{name}",
    }
    if package.modified is not None:
        head["dbLastModifiedDateTime"] = package.modified
    head |= {
        "originator": ORIGINATOR,
        "sourceSystem": {"name": ORIGINATOR, "version": package.source_version},
        "studyOID": package.study_oid,
        "metaDataVersionOID": METADATA_VERSION_OID,
        "metaDataRef": DEFINE,
        "itemGroupOID": f"IG.{name}",
        "records": rows,
        "name": name,
        "label": dataset.label,
        "columns": columns,
    }
    steps = (_dumps(matrix[start:start + ROWS_AT_ONCE].tolist())[1:-1].encode("utf-8")
             for start in range(0, len(matrix), ROWS_AT_ONCE))
    return _dumps(head)[:-1].encode("utf-8") + b',"rows":[' + b",".join(steps) + b"]}\n"
