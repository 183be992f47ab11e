"""SDTM datasets to files: CSV, SAS transport v5 (outputs.transport) or Dataset-JSON 1.1, always
with define.xml.

The datasets are one set: written into a temporary folder beside DIR, checked, and swapped
in whole (``storage.atomic.atomic_folder``), so DIR never holds a DM from this run beside an
SV from the last. The files the tool knows as its own in DIR are the dataset files by name
in any of the three formats (dm.csv, dm.xpt, dm.json …), define.xml, and the names 0.2
wrote (TV.csv, SV.xpt …): anything else there refuses the export. None of them outlives a
new export: define.xml describes the files of one format, so a dm.csv left beside a new
dm.xpt would be an earlier, undescribed copy.

Every format takes its cells from ``dataset_json.coded`` (each variable factorized once per
export, shared with define.xml and the warnings): numbers without ".0" when
whole (VISITNUM 1.01 stays 1.01), dates as ISO text, nothing where a value is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np

from scheduler.core.sdtm import XPT_TEXT_LIMIT
from scheduler.core.sdtm_spec import DATASETS, ORDER, Package
from scheduler.outputs.dataset_json import DEFINE, Value, coded, dataset_json, dataset_of, measured, written
from scheduler.outputs.files import write_coded_csv
from scheduler.outputs.transport import Column, write_transport
from scheduler.storage.atomic import atomic_folder

FORMATS = ("csv", "xpt", "dataset-json")
EXTENSIONS = {"csv": ".csv", "xpt": ".xpt", "dataset-json": ".json"}
# What 0.2 wrote: TV, SV and DV under upper-case names, as CSV or SAS transport.
EARLIER_NAMES = frozenset(f"{name}.{extension}" for name in ("TV", "SV", "DV") for extension in ("csv", "xpt"))
OWN_NAMES = frozenset(dataset.file_stem + extension for dataset in DATASETS.values()
                      for extension in EXTENSIONS.values()) | {DEFINE} | EARLIER_NAMES


def file_names(package: Package, file_format: str) -> dict[str, str]:
    """Dataset → its file name in DIR (dm.csv, dm.xpt, dm.json), in ORDER."""
    if file_format not in EXTENSIONS:
        raise ValueError(f"{file_format!r}: not one of {FORMATS}")
    return {name: DATASETS[name].file_stem + EXTENSIONS[file_format] for name in ORDER if name in package.datasets}


def _ours(path: Path) -> bool:
    return path.name in OWN_NAMES


def write(package: Package, folder: Path, file_format: str) -> list[Path]:
    """Every dataset of ``package`` and define.xml into ``folder``, replaced whole; the paths
    written, define.xml last."""
    from scheduler.outputs.define_xml import define_xml

    names = file_names(package, file_format)
    files = [*names.values(), DEFINE]
    # carry=False: the earlier files of another format (or 0.2's TV.csv …) go with the old set.
    with atomic_folder(folder, files, _ours, carry=False) as building:
        for name, file in names.items():
            path = building / file
            if file_format == "csv":
                _write_csv(package, name, path)
            elif file_format == "xpt":
                _write_transport(package, name, path)
            else:
                path.write_bytes(dataset_json(package, name))
        (building / DEFINE).write_bytes(define_xml(package, file_format))
    return [folder / file for file in files]


def _write_csv(package: Package, name: str, path: Path) -> None:
    """A dataset's CSV, no BOM (for SAS and R): each variable factorized once, its distinct
    cells written as text and quoted once (outputs.files.write_coded_csv)."""
    dataset = dataset_of(package, name)
    columns = []
    for variable in dataset.variables:
        codes, uniques = coded(package, name, variable)
        texts = written(uniques, variable.type)
        columns.append((codes, np.array([*texts, ""], dtype=object)))  # code -1 (none) takes the last, ""
    with open(path, "wb") as stream:
        write_coded_csv(list(dataset.names), columns, stream)


def _transport_columns(package: Package, name: str) -> list[Column]:
    """A dataset as the transport writer takes it: each text (dates too) variable's codes as
    every writer shares them (``coded``), its values cut to fit where they must
    (``_fit_transport``), a missing text blank (SAS has no missing text); numbers as float64,
    NaN where missing (SAS's "."): a float column as it is, others through their codes."""
    dataset = dataset_of(package, name)
    columns = []
    for variable in dataset.variables:
        if variable.type in ("text", "date"):
            codes, uniques = coded(package, name, variable)
            longest, ascii_only = measured(package, name, variable)  # measured once per export
            fits = ascii_only and longest <= XPT_TEXT_LIMIT
            columns.append(Column(variable.name, variable.label,
                                  cast("list[str]", uniques) if fits else _fit_transport(uniques), codes))
        elif (column := package.datasets[name][variable.name]).dtype == np.float64:
            # Floats as they are, NaN where missing: each the double its code would give
            # (factorized's int 8 is 8.0; -0.0, made 0 there, is IBM's 0 either way).
            columns.append(Column(variable.name, variable.label, None, column.to_numpy()))
        else:
            codes, uniques = coded(package, name, variable)
            numbers = np.array([*uniques, np.nan], dtype=np.float64)  # code -1 takes the NaN
            columns.append(Column(variable.name, variable.label, None, numbers[codes]))
    return columns


def _fit_transport(texts: list[Value]) -> list[str]:
    """Each distinct text cut to the 200 bytes a v5 transport variable can hold (on a
    character boundary). Called for the variables that need it: ``_transport_columns`` takes
    the others' values as they are, from the export's measures."""
    return [str(text).encode("utf-8")[:XPT_TEXT_LIMIT].decode("utf-8", errors="ignore") for text in texts]


def _write_transport(package: Package, name: str, path: Path) -> None:
    """One .xpt (outputs.transport: pyreadstat's bytes, made in numpy), its headers' times
    the export's creation time, so that two exports of the same data are the same bytes. A
    write that fails (a full disk) raises OSError, which atomic_folder turns into one message
    with nothing replaced."""
    dataset = DATASETS[name]
    when = datetime.fromisoformat(package.created)
    when = when.astimezone(UTC) if when.tzinfo is not None else when
    with open(path, "wb") as stream:
        write_transport(stream, dataset.name.upper(), dataset.label, when, _transport_columns(package, name),
                        len(package.datasets[name]))
