"""Writing files so that a crash never leaves half of one: a temporary file beside the
target, renamed into place when it is complete.

A run that fails or is interrupted leaves the earlier file as it was and no partial file
behind: the rename is atomic on the same file system. ``durable=True`` (the study folder's
own files: the roster, the visits, the trail) also flushes the file and its folder to disk
before the rename is reported, so a power cut after "Recorded" cannot take the change back.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from scheduler.errors import OutputError
from scheduler.paths import label


def make_folder(folder: Path) -> None:
    """Create an output folder (and its parents); explain when it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{label(folder)}: cannot create the folder ({error.strerror})") from None


@contextlib.contextmanager
def atomic_path(path: Path, durable: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed into place when the block succeeds."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        exists = folder.is_dir()
    except OSError as error:  # a folder above it that we may not enter
        raise OutputError(f"{label(path)}: cannot write in {label(folder)} ({error.strerror}) — "
                          "write somewhere else with -o") from None
    if not exists:
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
        if durable:
            _fsync_file(temporary)
        try:
            os.replace(temporary, path)
        except PermissionError:
            raise OutputError(f"{label(path)}: cannot replace the file — close it if it is open "
                              "in Excel, then run the command again") from None
        if durable:
            fsync_folder(folder)
    except OSError as error:
        raise OutputError(f"{label(path)}: writing failed ({error.strerror or error}) — "
                          "the earlier file, if any, is unchanged") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = "", durable: bool = False) -> Iterator[IO[Any]]:
    """Write through a stream into a temporary file that replaces ``path`` at the end."""
    with atomic_path(path, durable) as temporary:
        if "b" in mode:
            stream: IO[Any] = open(temporary, mode)
        else:
            stream = open(temporary, mode, encoding=encoding, newline=newline)
        with stream:
            yield stream


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename) to disk, where the system allows it (not Windows)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
