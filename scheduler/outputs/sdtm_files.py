"""SDTM datasets to files: CSV, SAS transport v5 (pyreadstat) or Dataset-JSON 1.1, always
with define.xml.

The datasets are one set: written into a temporary folder beside DIR, checked, and swapped
in whole (``storage.atomic.atomic_folder``), so DIR never holds a DM from this run beside an
SV from the last. The files the tool knows as its own in DIR are the dataset files by name
in any of the three formats (dm.csv, dm.xpt, dm.json …), define.xml, and the names 0.2
wrote (TV.csv, SV.xpt …): anything else there refuses the export. None of them outlives a
new export: define.xml describes the files of one format, so a dm.csv left beside a new
dm.xpt would be an earlier, undescribed copy.

Every format takes its cells from ``dataset_json.factorized``: numbers without ".0" when
whole (VISITNUM 1.01 stays 1.01), dates as ISO text, nothing where a value is missing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.core.sdtm import XPT_TEXT_LIMIT
from scheduler.core.sdtm_spec import DATASETS, ORDER, Package
from scheduler.errors import OutputError
from scheduler.i18n import _
from scheduler.outputs.dataset_json import DEFINE, Value, cells, dataset_json, factorized, frame_of, number_text
from scheduler.outputs.files import write_coded_csv
from scheduler.paths import label
from scheduler.storage.atomic import atomic_folder

FORMATS = ("csv", "xpt", "dataset-json")
EXTENSIONS = {"csv": ".csv", "xpt": ".xpt", "dataset-json": ".json"}
# What 0.2 wrote: TV, SV and DV under upper-case names, as CSV or SAS transport.
EARLIER_NAMES = frozenset(f"{name}.{extension}" for name in ("TV", "SV", "DV") for extension in ("csv", "xpt"))
OWN_NAMES = frozenset(dataset.file_stem + extension for dataset in DATASETS.values()
                      for extension in EXTENSIONS.values()) | {DEFINE} | EARLIER_NAMES

# SAS transport v5 headers: the library's and the member's created and modified times, 16
# characters each ("01DEC26:14:30:00") at these offsets; readstat writes the clock's time.
TRANSPORT_TIMES = (144, 160, 464, 480)
SAS_TIME = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


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
            path, shown = building / file, folder / file
            if file_format == "csv":
                _write_csv(package, name, path)
            elif file_format == "xpt":
                _write_transport(package, name, path, shown)
            else:
                path.write_bytes(dataset_json(package, name))
        (building / DEFINE).write_bytes(define_xml(package, file_format))
    return [folder / file for file in files]


def _write_csv(package: Package, name: str, path: Path) -> None:
    """A dataset's CSV, no BOM (for SAS and R): each variable factorized once, its distinct
    cells written as text and quoted once (outputs.files.write_coded_csv)."""
    dataset, frame = frame_of(package, name)
    coded = []
    for variable in dataset.variables:
        codes, uniques = factorized(frame[variable.name], variable.type)
        texts = [str(value) for value in uniques] if variable.type in ("text", "date") else \
            [number_text(value) for value in uniques]
        coded.append((np.where(codes < 0, len(texts), codes), np.array([*texts, ""], dtype=object)))
    with open(path, "wb") as stream:
        write_coded_csv(list(dataset.names), coded, stream)


def _transport_frame(package: Package, name: str) -> pd.DataFrame:
    """A dataset as pyreadstat writes it: text (dates too) cut to fit (``_fit_transport``),
    "" where missing (SAS has no missing text), in object columns (pyreadstat writes pandas'
    str columns twice as slowly); numbers as float64, NaN where missing (SAS's ".")."""
    dataset, frame = frame_of(package, name)
    columns: dict[str, pd.Series] = {}
    for variable in dataset.variables:
        codes, uniques = factorized(frame[variable.name], variable.type)
        if variable.type in ("text", "date"):
            columns[variable.name] = pd.Series(cells(codes, _fit_transport(uniques), ""), dtype=object)
        else:
            columns[variable.name] = pd.Series(cells(codes, uniques, np.nan), dtype=np.float64)
    return pd.DataFrame(columns, columns=list(dataset.names))


def _fit_transport(texts: list[Value]) -> list[Value]:
    """Each distinct text cut to the 200 bytes a v5 transport variable can hold (on a
    character boundary)."""
    return [str(text).encode("utf-8")[:XPT_TEXT_LIMIT].decode("utf-8", errors="ignore") for text in texts]


def _stamp_transport(path: Path, created: str) -> bool:
    """The headers' times set to the export's creation time, so that two exports of the same
    data are the same bytes (readstat writes the clock's time, to the second). False when
    the file is too short to hold them (cut short)."""
    when = datetime.fromisoformat(created)
    when = when.astimezone(UTC) if when.tzinfo is not None else when
    text = f"{when.day:02d}{MONTHS[when.month - 1]}{when.year % 100:02d}:{when:%H:%M:%S}".encode("ascii")
    with open(path, "r+b") as stream:
        head = stream.read(TRANSPORT_TIMES[-1] + len(text))
        if len(head) < TRANSPORT_TIMES[-1] + len(text):
            return False
        for offset in TRANSPORT_TIMES:
            if not SAS_TIME.fullmatch(head[offset:offset + len(text)]):
                raise RuntimeError(f"{path.name}: no SAS time at byte {offset} of the transport header "
                                   f"({head[offset:offset + len(text)]!r}): has pyreadstat changed its layout?")
            stream.seek(offset)
            stream.write(text)
    return True


def _write_transport(package: Package, name: str, path: Path, shown: Path) -> None:
    """One .xpt, read back: pyreadstat does not always report a write that failed (a full
    disk can leave a file cut short at a record boundary), so its last row must be there."""
    import pyreadstat

    dataset = DATASETS[name]
    frame = _transport_frame(package, name)
    try:
        pyreadstat.write_xport(frame, str(path), file_format_version=5,
                               table_name=dataset.name.upper(), file_label=dataset.label,
                               column_labels=[variable.label for variable in dataset.variables])
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as error:
        # TRANSLATORS: {reason} is pyreadstat's reason, in English.
        raise OutputError(_("{file}: writing failed ({reason}; is the disk full?) — nothing was replaced: "
                            "the earlier files, if any, are unchanged")
                          .format(file=label(shown), reason=error)) from None
    complete = _stamp_transport(path, package.created)
    if complete and len(frame):
        try:
            last, _meta = pyreadstat.read_xport(str(path), row_offset=len(frame) - 1, row_limit=1)
            complete = len(last) == 1
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError):
            complete = False
    if not complete:
        raise OutputError(_("{file}: came out cut short (is the disk full?) — nothing was replaced: the "
                            "earlier files, if any, are unchanged; free some space, then run the command "
                            "again").format(file=label(shown)))
