"""A new study folder (init): the built-in protocol to edit, empty roster and visits files."""

from __future__ import annotations

from pathlib import Path

from scheduler.errors import OutputError
from scheduler.i18n import _
from scheduler.paths import label
from scheduler.sources.folder import PARTICIPANTS_FILE, PARTICIPANTS_HEADER, PROTOCOL_FILE, VISITS_FILE, VISITS_HEADER
from scheduler.storage.atomic import atomic_write, make_folder


def init_folder(folder: Path, language: str | None = None) -> list[str]:
    """A new study folder: the built-in protocol to edit (with ``[study] language`` when
    ``language`` is given) and empty roster and visits files.

    Refuses (exit 2) to overwrite any of the three files: a study's records are never lost.
    """
    from scheduler.protocol import built_in_text  # the protocol package reads it

    protocol = built_in_text()
    files = {
        PROTOCOL_FILE: protocol if language is None else with_language(protocol, language),
        f"{PARTICIPANTS_FILE}.csv": PARTICIPANTS_HEADER,
        f"{VISITS_FILE}.csv": VISITS_HEADER,
    }
    if folder.exists() and not folder.is_dir():
        raise OutputError(_("{folder}: exists and is not a folder — choose another name")
                          .format(folder=label(folder)))
    existing = [name for name in files if (folder / name).exists()]
    if existing:
        # TRANSLATORS: {files} are file names (protocol.toml, participants.csv…).
        raise OutputError(_("{folder}: already has {files} — nothing was changed; init makes a new "
                            "study folder and never overwrites one")
                          .format(folder=label(folder), files=", ".join(existing)))
    make_folder(folder)
    written = []
    for name, text in files.items():
        # The CSV files as Excel's "CSV UTF-8" (with a byte-order mark): Excel on Chinese
        # Windows then shows Chinese names and reasons typed into them correctly.
        with atomic_write(folder / name, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8") as stream:
            stream.write(text)
        written.append(label(folder / name))
    return written


def with_language(protocol: str, language: str) -> str:
    """A protocol file's text with ``language = "LANG"`` as the last key of its [study] table."""
    lines = protocol.splitlines(keepends=True)
    end = lines.index("[study]\n") + 1
    while end < len(lines) and lines[end].strip() and not lines[end].startswith(("[", "#")):
        end += 1
    lines.insert(end, f'language = "{language}"\n')
    return "".join(lines)
