"""A new study folder (init): the built-in protocol to edit, empty roster and visits files."""

from __future__ import annotations

from pathlib import Path

from scheduler.errors import OutputError
from scheduler.paths import label
from scheduler.sources.folder import PARTICIPANTS_FILE, PARTICIPANTS_HEADER, PROTOCOL_FILE, VISITS_FILE, VISITS_HEADER
from scheduler.storage.atomic import atomic_write, make_folder


def init_folder(folder: Path) -> list[str]:
    """A new study folder: the built-in protocol to edit and empty roster and visits files.

    Refuses (exit 2) to overwrite any of the three files: a study's records are never lost.
    """
    from scheduler.protocol import built_in_text  # the protocol package reads it

    files = {
        PROTOCOL_FILE: built_in_text(),
        f"{PARTICIPANTS_FILE}.csv": PARTICIPANTS_HEADER,
        f"{VISITS_FILE}.csv": VISITS_HEADER,
    }
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{label(folder)}: exists and is not a folder — choose another name")
    existing = [name for name in files if (folder / name).exists()]
    if existing:
        raise OutputError(f"{label(folder)}: already has {', '.join(existing)} — nothing was "
                          "changed; init makes a new study folder and never overwrites one")
    make_folder(folder)
    written = []
    for name, text in files.items():
        # The CSV files as Excel's "CSV UTF-8" (with a byte-order mark): Excel on Chinese
        # Windows then shows Chinese names and reasons typed into them correctly.
        with atomic_write(folder / name, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8") as stream:
            stream.write(text)
        written.append(label(folder / name))
    return written
