"""The study folder's lock: one change at a time, whoever makes it.

Two nurses recording at the same moment both succeed, one after the other. The lock is a
file (``.visit-scheduler.lock``) held through the filelock package, which works the same on
Windows and Unix; the operating system releases it when a process dies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scheduler.errors import ChangeRefused
from scheduler.i18n import _
from scheduler.paths import label

LOCK_FILE = ".visit-scheduler.lock"
LOCK_TIMEOUT = 60  # seconds: a nurse waits at most this long for another nurse's change


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / LOCK_FILE), timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        # TRANSLATORS: {folder} is the study folder; {seconds} how long this command waited.
        raise ChangeRefused(_("{folder}: another change has held the study folder for "
                              "{seconds} s — nothing was changed; try again in a moment "
                              "(another visit-scheduler command is still at work)")
                            .format(folder=label(folder), seconds=LOCK_TIMEOUT)) from None
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
        raise ChangeRefused(_("the study folder {folder} cannot be written ({reason}) "
                              "— nothing changed; ask for write access to it, or work in a copy")
                            .format(folder=folder.resolve(), reason=error.strerror)) from None
    try:
        yield
    finally:
        lock.release()


def is_locked(folder: Path) -> bool:
    """Another command holds the folder's lock now (a change is being written)."""
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(folder / LOCK_FILE), timeout=0):
            return False
    except Timeout:
        return True
    except OSError:  # a folder we cannot write in: nobody can be changing it through us
        return False
