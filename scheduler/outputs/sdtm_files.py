"""SDTM domains to files: CSV, or SAS transport v5 through pyreadstat."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scheduler.core.sdtm import DOMAIN_LABELS, LABELS, XPT_TEXT_LIMIT
from scheduler.outputs.files import write_csv
from scheduler.storage.atomic import atomic_path, atomic_write, make_folder


def _fit_transport(frame: pd.DataFrame) -> pd.DataFrame:
    """Cut text to the 200 bytes a v5 transport variable can hold (on a character boundary)."""
    fitted = frame.copy()
    for column in fitted.columns:
        if pd.api.types.is_string_dtype(fitted[column]) or fitted[column].dtype == object:
            fitted[column] = fitted[column].astype(str).map(
                lambda v: v.encode("utf-8")[:XPT_TEXT_LIMIT].decode("utf-8", errors="ignore"))
    return fitted


def write(domains: dict[str, pd.DataFrame], folder: Path, file_format: str) -> list[Path]:
    """DIR/TV.csv … or DIR/TV.xpt … (SAS transport v5 through pyreadstat)."""
    make_folder(folder)
    written = []
    for name, frame in domains.items():
        path = folder / f"{name}.{file_format}"
        if file_format == "csv":
            # SDTM numbers here are whole: write 8, not 8.0, and nothing for a missing one.
            shown = frame.apply(lambda column: column.astype("Int64") if column.dtype == float else column)
            with atomic_write(path) as stream:
                write_csv(shown, stream)
        else:
            import pyreadstat

            with atomic_path(path) as temporary:  # pyreadstat writes to a path, not a stream
                pyreadstat.write_xport(_fit_transport(frame), str(temporary), file_format_version=5,
                                       table_name=name,
                                       file_label=DOMAIN_LABELS[name],
                                       column_labels=[LABELS[c] for c in frame.columns])
        written.append(path)
    return written
