"""SDTM domains to files: CSV, or SAS transport v5 through pyreadstat.

The domains are one set: written into a temporary folder beside DIR, checked, and swapped in
whole (``storage.atomic.atomic_folder``), so DIR never holds a TV from this run beside an SV
from the last. The files the tool knows as its own in DIR are the domain files by name, in
either format (TV.csv, TV.xpt, …): anything else there refuses the export.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scheduler.core.sdtm import DOMAIN_LABELS, LABELS, XPT_TEXT_LIMIT
from scheduler.errors import OutputError
from scheduler.outputs.files import write_csv
from scheduler.paths import label
from scheduler.storage.atomic import atomic_folder

FORMATS = ("csv", "xpt")
UNCHANGED = "nothing was replaced: the earlier files, if any, are unchanged"


def _fit_transport(frame: pd.DataFrame) -> pd.DataFrame:
    """Cut text to the 200 bytes a v5 transport variable can hold (on a character boundary)."""
    fitted = frame.copy()
    for column in fitted.columns:
        if pd.api.types.is_string_dtype(fitted[column]) or fitted[column].dtype == object:
            fitted[column] = fitted[column].astype(str).map(
                lambda v: v.encode("utf-8")[:XPT_TEXT_LIMIT].decode("utf-8", errors="ignore"))
    return fitted


def file_names(domains: dict[str, pd.DataFrame], file_format: str) -> dict[str, str]:
    return {name: f"{name}.{file_format}" for name in domains}


def write(domains: dict[str, pd.DataFrame], folder: Path, file_format: str) -> list[Path]:
    """DIR/TV.csv … or DIR/TV.xpt … (SAS transport v5 through pyreadstat), replaced whole."""
    names = file_names(domains, file_format)
    ours = {f"{name}.{extension}" for name in domains for extension in FORMATS}
    ours |= {f"{name.lower()}.xpt" for name in domains}
    with atomic_folder(folder, list(names.values()), lambda path: path.name in ours) as building:
        for name, frame in domains.items():
            path = building / names[name]
            if file_format == "csv":
                # SDTM numbers here are whole: write 8, not 8.0, and nothing for a missing one.
                shown = frame.apply(lambda column: column.astype("Int64") if column.dtype == float else column)
                with open(path, "w", encoding="utf-8", newline="") as stream:  # no BOM: for SAS and R
                    write_csv(shown, stream)
            else:
                _write_transport(frame, name, path, folder / names[name])
    return [folder / name for name in names.values()]


def _write_transport(frame: pd.DataFrame, name: str, path: Path, shown: Path) -> None:
    """One .xpt, read back: pyreadstat does not always report a write that failed (a full
    disk can leave a file cut short at a record boundary), so its last row must be there."""
    import pyreadstat

    try:
        pyreadstat.write_xport(_fit_transport(frame), str(path), file_format_version=5, table_name=name,
                               file_label=DOMAIN_LABELS[name],
                               column_labels=[LABELS[c] for c in frame.columns])
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as error:
        raise OutputError(f"{label(shown)}: writing failed ({error}; is the disk full?) — {UNCHANGED}") from None
    if not len(frame):
        return
    try:
        last, _ = pyreadstat.read_xport(str(path), row_offset=len(frame) - 1, row_limit=1)
        complete = len(last) == 1
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError):
        complete = False
    if not complete:
        raise OutputError(f"{label(shown)}: came out cut short (is the disk full?) — {UNCHANGED}; "
                          "free some space, then run the command again")
