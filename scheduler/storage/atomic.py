"""Writing files so that a crash never leaves half of one: a temporary file beside the
target, renamed into place when it is complete; a set of files built in a temporary folder
beside the target folder and swapped in whole (``atomic_folder``).

A run that fails or is interrupted leaves the earlier file as it was and no partial file
behind: the rename is atomic on the same file system. ``durable=True`` (the study folder's
own files: the roster, the visits, the trail) also flushes the file and its folder to disk
before the rename is reported, so a power cut after "Recorded" cannot take the change back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import IO, Any

from scheduler.errors import OutputError
from scheduler.i18n import _, ngettext
from scheduler.paths import label


def make_folder(folder: Path) -> None:
    """Create an output folder (and its parents); explain when it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
        raise OutputError(_("{folder}: cannot create the folder ({reason})")
                          .format(folder=label(folder), reason=error.strerror)) from None


@contextlib.contextmanager
def atomic_path(path: Path, durable: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed into place when the block succeeds."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        exists = folder.is_dir()
    except OSError as error:  # a folder above it that we may not enter
        # TRANSLATORS: {reason} is the operating system's reason; -o is the output option.
        raise OutputError(_("{file}: cannot write in {folder} ({reason}) — "
                            "write somewhere else with -o")
                          .format(file=label(path), folder=label(folder), reason=error.strerror)) from None
    if not exists:
        raise OutputError(_("{file}: the folder {folder} does not exist — "
                            "create it first, or write somewhere else with -o")
                          .format(file=label(path), folder=label(folder)))
    import tempfile  # here, not at the top: verify and the readers start without it

    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
        raise OutputError(_("{file}: cannot write in {folder} ({reason})")
                          .format(file=label(path), folder=label(folder), reason=error.strerror)) from None
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
            raise OutputError(_("{file}: cannot replace the file — close it if it is open "
                                "in Excel, then run the command again").format(file=label(path))) from None
        if durable:
            fsync_folder(folder)
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("No space left on device").
        raise OutputError(_("{file}: writing failed ({reason}) — "
                            "the earlier file, if any, is unchanged")
                          .format(file=label(path), reason=error.strerror or error)) from None
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
    # Windows flushes only a file opened for writing (FlushFileBuffers); Unix any descriptor.
    descriptor = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
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


# --------------------------------------------------------------------------- sets of files
#
# A set of files (the SDTM domains, one calendar per participant) is replaced whole or not at
# all. The files are written into ``.NAME.visit-scheduler-new-XXXXXXXX``, a sibling of the
# folder NAME, checked (every file there and not empty, nothing else) and flushed; the tool's
# files in NAME that this run does not write (the other format's domains, the calendars of
# participants not exported this time) are carried over as they are (hard links, else
# copies); then the folders are swapped: in one step where the system can (Linux: renameat2
# RENAME_EXCHANGE), else the earlier folder is renamed aside to ``.NAME.visit-scheduler-old``
# and the new one renamed in. The earlier folder is removed last. A run killed during the
# swap leaves the old or the new set at NAME — or, between the two renames, the old set
# aside — and the next run that writes NAME settles it first: an aside folder beside NAME is
# removed (the new set was in), or renamed back when NAME is missing (the swap had not
# happened); folders left building are removed.

NEW_MARK = ".visit-scheduler-new-"  # .NAME.visit-scheduler-new-XXXXXXXX: a set being built
OLD_MARK = ".visit-scheduler-old"   # .NAME.visit-scheduler-old: the earlier set, set aside
FEW_FILES = 64  # up to this many files each is flushed; more: one flush of the file system
# What atomic_path leaves when a run is killed outright: .NAME.XXXXXXXX.tmp (tempfile's names).
LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
AT_FDCWD = -100
RENAME_EXCHANGE = 2


class InterruptedAfterWriting(OutputError):
    """Ctrl-C or SIGTERM arrived while a set of files was swapped in: it was finished first."""

    exit_code = 130


@contextlib.contextmanager
def atomic_folder(folder: Path, names: Collection[str], ours: Callable[[Path], bool],
                  carry: bool = True) -> Iterator[Path]:
    """A temporary folder beside ``folder``; when the block has written ``names`` into it,
    they replace those in ``folder`` all at once. ``folder`` (and its parents) is created
    when missing.

    ``ours`` tells the files an earlier run may have left in ``folder``: they are kept unless
    this run writes them again (with ``carry`` False, none is kept: the new set replaces the
    whole folder, as an SDTM export whose define.xml describes exactly its files); a folder
    holding any other file (or a folder) is refused before anything is written, never
    emptied. Ctrl-C or SIGTERM waits while the folders are swapped."""
    import shutil  # the modules of writing, imported where one writes: verify starts without them
    import tempfile

    target = Path(os.path.realpath(folder))  # a link to a folder: the folder it names is replaced
    if target.parent == target:
        raise OutputError(_("{folder}: cannot be replaced whole — name a folder inside it with -o")
                          .format(folder=label(folder)))
    make_folder(target.parent)
    try:
        _settle(target)
    except OSError as error:
        # TRANSLATORS: {aside} is the folder holding the earlier files, {name} the name it should
        # have again, {reason} the operating system's reason.
        raise OutputError(_("{folder}: an earlier run was interrupted while replacing it, and "
                            "its earlier files (in {aside}) cannot be put back "
                            "({reason}) — rename that folder to {name}, "
                            "then run the command again")
                          .format(folder=label(folder), aside=label(_aside(target)),
                                  reason=error.strerror or error, name=target.name)) from None
    seen = _check_target(target, folder, ours, {})
    try:
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}{NEW_MARK}", dir=target.parent))
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason; -o is the output option.
        raise OutputError(_("{file}: cannot write in {folder} ({reason}) "
                            "— write somewhere else with -o")
                          .format(file=label(folder), folder=label(target.parent),
                                  reason=error.strerror)) from None
    try:
        yield building
        _check_built(building, folder, names)
        seen = _check_target(target, folder, ours, seen)  # a file may have been added meanwhile
        if carry:
            _carry_over(target, building, [name for name, kept in seen.items() if kept and name not in names])
        _flush(building, names)
        # mkdtemp makes it private: the earlier folder's permissions, else the usual ones.
        os.chmod(building, os.stat(target).st_mode & 0o7777 if target.is_dir() else 0o777 & ~_umask())
        _swap(target, building, folder)
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("No space left on device").
        raise OutputError(_("{folder}: writing failed ({reason}) — nothing was "
                            "replaced: the earlier files, if any, are unchanged")
                          .format(folder=label(folder), reason=error.strerror or error)) from None
    finally:
        shutil.rmtree(building, ignore_errors=True)  # gone once swapped in


def _aside(target: Path) -> Path:
    return target.with_name(f".{target.name}{OLD_MARK}")


def _settle(target: Path) -> None:
    """Finish or reverse a swap an earlier run did not complete; remove its leftovers."""
    import shutil

    aside = _aside(target)
    if os.path.lexists(aside):
        if os.path.lexists(target):
            shutil.rmtree(aside, ignore_errors=True)  # the new set was in: finish
        else:
            os.rename(aside, target)  # the new set never came in: reverse
            fsync_folder(target.parent)
    prefix = f".{target.name}{NEW_MARK}"
    leftovers = []
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:  # unreadable: nothing to tidy
        leftovers = [entry.path for entry in entries
                     if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)]
    for leftover in leftovers:
        shutil.rmtree(leftover, ignore_errors=True)


def _check_target(target: Path, folder: Path, ours: Callable[[Path], bool],
                  seen: dict[str, bool]) -> dict[str, bool]:
    """The names in ``target``, each True when it is kept (the tool's file) and False when it
    is a leftover temporary file; refuses a file, the current folder, and a folder holding
    anything the tool did not write. ``seen``: names already checked."""
    if not os.path.lexists(target):
        return {}
    if not target.is_dir():
        raise OutputError(_("{folder} is a file, not a folder — name a folder with -o "
                            "(nothing was written)").format(folder=label(folder)))
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder was removed: it cannot be the target
        here = Path("/")
    if here == target or target in here.parents:
        raise OutputError(_("{folder} is the folder you are working in (or holds it): it cannot "
                            "be replaced — name another folder with -o, or run the command from "
                            "elsewhere (nothing was written)").format(folder=label(folder)))
    found: dict[str, bool] = {}
    strangers = []
    try:
        entries = list(os.scandir(target))
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
        raise OutputError(_("{folder}: cannot read the folder ({reason}) — nothing was "
                            "written; ask for access to it, or name another folder with -o")
                          .format(folder=label(folder), reason=error.strerror)) from None
    for entry in entries:
        if entry.name in seen:
            found[entry.name] = seen[entry.name]
        elif not entry.is_file(follow_symlinks=False):
            strangers.append(entry.name)
        elif LEFTOVER.fullmatch(entry.name):
            found[entry.name] = False
        elif ours(Path(entry.path)):
            found[entry.name] = True
        else:
            strangers.append(entry.name)
    if strangers:
        strangers.sort()
        names = ", ".join(strangers[:3])
        if len(strangers) > 3:
            # TRANSLATORS: {names} are the first three file names found, {count} how many more.
            message = _("{folder} holds {names} and {count} more, which visit-scheduler did not write — "
                        "nothing was written: the tool replaces its files there as one set, so "
                        "move them elsewhere, or name another folder with -o")
        else:
            # TRANSLATORS: {names} are the file names found (one, two or three of them).
            message = ngettext("{folder} holds {names}, which visit-scheduler did not write — "
                               "nothing was written: the tool replaces its files there as one set, so "
                               "move it elsewhere, or name another folder with -o",
                               "{folder} holds {names}, which visit-scheduler did not write — "
                               "nothing was written: the tool replaces its files there as one set, so "
                               "move them elsewhere, or name another folder with -o", len(strangers))
        raise OutputError(message.format(folder=label(folder), names=names, count=len(strangers) - 3))
    return found


def _carry_over(target: Path, building: Path, names: list[str]) -> None:
    """The tool's earlier files this run does not write, into the new folder as they are."""
    import shutil

    for name in names:
        try:
            os.link(target / name, building / name, follow_symlinks=False)
        except OSError:  # a file system without hard links (FAT, some shares): a copy
            shutil.copy2(target / name, building / name)


def _check_built(building: Path, folder: Path, names: Collection[str]) -> None:
    """Every file written and not empty, nothing else: else nothing is replaced."""
    expected = set(names)
    with os.scandir(building) as entries:
        sizes = {entry.name: entry.stat(follow_symlinks=False).st_size for entry in entries}
    missing = sorted(expected - set(sizes))
    if missing:
        # TRANSLATORS: {written} of {count} files of the set were written.
        raise OutputError(_("{file}: was not written ({written} of {count} files were) — nothing was "
                            "replaced: the earlier files, if any, are unchanged")
                          .format(file=label(folder / missing[0]), written=len(set(sizes) & expected),
                                  count=len(expected)))
    empty = sorted(name for name in expected if sizes[name] == 0)
    if empty:
        raise OutputError(_("{file}: came out empty (is the disk full?) — nothing was replaced: the "
                            "earlier files, if any, are unchanged; free some space, then run the "
                            "command again").format(file=label(folder / empty[0])))
    extra = sorted(set(sizes) - expected)
    if extra:
        raise OutputError(_("{folder}: {file} was written but not expected (a bug in visit-scheduler; "
                            "please report it) — nothing was replaced: the earlier files, if any, are "
                            "unchanged").format(folder=label(folder), file=extra[0]))


def _flush(building: Path, names: Collection[str]) -> None:
    """The files and the folder on disk before the swap: each file when there are few; for
    thousands (a calendar per participant), one flush of the file system where the system
    has it (Linux syncfs) — a flush per file would cost seconds."""
    if len(names) <= FEW_FILES:
        for name in names:
            _fsync_file(building / name)
    else:
        _sync_file_system(building)
    fsync_folder(building)


def _sync_file_system(folder: Path) -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        syncfs(descriptor)
    finally:
        os.close(descriptor)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where the system
    or the file system cannot (then the caller renames twice)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    number = ctypes.get_errno()
    if number in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(number, os.strerror(number), str(second))


def _swap(target: Path, building: Path, folder: Path) -> None:
    """``building`` becomes ``target``; the earlier ``target``, if any, is removed."""
    import shutil

    aside = _aside(target)
    with SignalsHeld() as held:
        try:
            if not os.path.lexists(target):
                os.rename(building, target)
                earlier = None
            elif _exchange(building, target):
                earlier = building  # now holds the earlier set
            else:
                os.rename(target, aside)
                try:
                    os.rename(building, target)
                except OSError:
                    os.rename(aside, target)
                    raise
                earlier = aside
        except PermissionError:
            raise OutputError(_("{folder}: cannot replace the folder — close any file of it that "
                                "is open (in Excel, a viewer or a window showing the folder), then run "
                                "the command again (nothing was replaced)").format(folder=label(folder))) from None
        fsync_folder(target.parent)
        if earlier is not None:
            shutil.rmtree(earlier, ignore_errors=True)  # what a kill leaves, the next run removes
    if held.received is not None:
        raise InterruptedAfterWriting(_("interrupted after {folder} was replaced whole: the new "
                                        "files are in place, but the command stopped there — run it "
                                        "again to be sure the rest is done").format(folder=label(folder)))


class SignalsHeld:
    """Ctrl-C and SIGTERM wait while the folders are swapped (a few renames)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> SignalsHeld:
        import signal

        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, OSError):  # not the main thread: nothing to hold
                self.previous[number] = signal.signal(number, self._hold)
        return self

    def _hold(self, number: int, frame: FrameType | None) -> None:
        self.received = number

    def __exit__(self, *exc: object) -> None:
        import signal

        for number, handler in self.previous.items():
            signal.signal(number, handler)


def write_set(folder: Path, files: Mapping[str, Callable[[], bytes]], ours: Callable[[Path], bool]) -> None:
    """A set of files (name → how to make its bytes) written into ``folder`` as one set,
    swapped in whole (``atomic_folder``); ``ours`` tells the tool's earlier files there."""
    with atomic_folder(folder, list(files), ours) as building:
        for name, make in files.items():
            data = make()
            try:
                (building / name).write_bytes(data)
            except OSError as error:
                # TRANSLATORS: {reason} is the operating system's reason ("No space left on device").
                raise OutputError(_("{file}: writing failed ({reason}) "
                                    "— nothing was replaced: the earlier files, if any, are unchanged")
                                  .format(file=label(folder / name), reason=error.strerror or error)) from None


def file_head(path: Path, suffix: str, size: int) -> bytes | None:
    """The first ``size`` bytes of a file with this suffix (None: another suffix, or no file):
    how the writers recognise the files they made."""
    if path.suffix.lower() != suffix:
        return None
    try:
        with open(path, "rb") as stream:
            return stream.read(size)
    except OSError:
        return None
