"""The study folder: which files a command reads, and writing files safely.

Each of --protocol, --participants and --visits defaults to the study folder's
protocol.toml, participants.csv and visits.csv when that file exists (an .xlsx of the same
name is taken when there is no .csv). Without a protocol file the built-in NCT01143168
protocol applies.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from scheduler.errors import OptionError, OutputError

PROTOCOL_FILE = "protocol.toml"
PARTICIPANTS_FILE = "participants"
VISITS_FILE = "visits"


@dataclass(frozen=True)
class Inputs:
    """The files a command reads; None where the study folder has none."""

    folder: Path
    protocol: Path | None
    participants: Path | None
    visits: Path | None


def _default(folder: Path, stem: str) -> Path | None:
    """The study folder's STEM.csv or STEM.xlsx, whatever the capitals (Visits.CSV too).

    Two candidates (a .csv and an .xlsx) refuse the command: taking one silently could mean
    taking the stale one. An old .xls is returned so that reading it explains the fix."""
    try:
        entries = [entry for entry in folder.iterdir() if entry.is_file()]
    except OSError:
        return None
    found = sorted(entry for entry in entries
                   if entry.name.lower() in (f"{stem}.csv", f"{stem}.xlsx", f"{stem}.xls"))
    if len(found) > 1:
        raise OptionError(f"{label(folder)} has {' and '.join(e.name for e in found)} — keep one, "
                          f"or name the one to use with --{stem} FILE")
    return found[0] if found else None


def resolve(folder: Path | None, protocol: Path | None, participants: Path | None,
            visits: Path | None) -> Inputs:
    folder = folder if folder is not None else Path(".")
    if protocol is None and (folder / PROTOCOL_FILE).is_file():
        protocol = folder / PROTOCOL_FILE
    return Inputs(
        folder=folder,
        protocol=protocol,
        participants=participants if participants is not None else _default(folder, PARTICIPANTS_FILE),
        visits=visits if visits is not None else _default(folder, VISITS_FILE),
    )


def label(path: Path) -> str:
    """A path as messages show it: relative to the current folder when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def make_folder(folder: Path) -> None:
    """Create an output folder (and its parents); explain when it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{label(folder)}: cannot create the folder ({error.strerror})") from None


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed into place when the block succeeds.

    A run that fails or is interrupted leaves the earlier file as it was and no partial
    file behind: the rename is atomic on the same file system."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{label(path)}: the folder {label(folder)} does not exist — "
                          "create it first, or write somewhere else with -o")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise OutputError(f"{label(path)}: cannot write in {label(folder)} ({error.strerror})") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())
        try:
            os.replace(temporary, path)
        except PermissionError:
            raise OutputError(f"{label(path)}: cannot replace the file — close it if it is open "
                              "in Excel, then run the command again") from None
    except OSError as error:
        raise OutputError(f"{label(path)}: writing failed ({error.strerror or error}) — "
                          "the earlier file, if any, is unchanged") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = "") -> Iterator[IO]:
    """Write through a stream into a temporary file that replaces ``path`` at the end."""
    with atomic_path(path) as temporary:
        if "b" in mode:
            stream = open(temporary, mode)
        else:
            stream = open(temporary, mode, encoding=encoding, newline=newline)
        with stream:
            yield stream


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


PARTICIPANTS_HEADER = "participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site\n"
VISITS_HEADER = "participant_id,visit_code,actual_date,reason\n"


def init_folder(folder: Path) -> list[str]:
    """A new study folder: the built-in protocol to edit and empty roster and visits files.

    Refuses (exit 2) to overwrite any of the three files: a study's records are never lost.
    """
    from scheduler.protocol import built_in_text

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
