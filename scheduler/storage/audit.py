"""The audit trail, ``audit.csv``: one line per changed value — when (UTC and the study's
zone), who, what, the old and new value, and why. Lines are only ever appended."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pendulum

from scheduler.errors import ChangeRefused
from scheduler.paths import label
from scheduler.sources.tables import decode

AUDIT_FILE = "audit.csv"
AUDIT_COLUMNS = ["when_utc", "when_local", "who", "action", "participant_id", "visit_code",
                 "field", "old_value", "new_value", "reason"]


def who(by: str | None) -> str:
    """--by, else the login name (getpass works without a terminal)."""
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no login name at all (a bare container): say so in the trail
        return "unknown"


@dataclass(frozen=True)
class Entry:
    """One changed value."""

    action: str
    participant_id: str
    visit_code: str
    field: str
    old_value: str
    new_value: str
    reason: str


class AuditTrail:
    """audit.csv, opened for appending *before* a data file is changed: if it cannot be
    written (open in Excel on Windows, a folder of that name…), nothing is changed."""

    def __init__(self, folder: Path, by: str, timezone: str) -> None:
        self.path = folder / AUDIT_FILE
        self.by = by
        self.timezone = timezone
        try:
            self.new = not self.path.exists() or self.path.stat().st_size == 0
            self.descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as error:
            raise ChangeRefused(f"{label(self.path)}: the audit trail cannot be written "
                                f"({error.strerror}) — close it if it is open in Excel; nothing "
                                "was changed") from None

    def append(self, entries: list[Entry], now: dt.datetime | None = None) -> None:
        """One line per changed value, in a single write."""
        moment = pendulum.instance(now) if now is not None else pendulum.now("UTC")
        utc = moment.in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss") + "Z"
        local = moment.in_timezone(self.timezone).format("YYYY-MM-DDTHH:mm:ssZ")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if self.new:
            writer.writerow(AUDIT_COLUMNS)
        for entry in entries:
            writer.writerow([utc, local, self.by, entry.action, entry.participant_id,
                             entry.visit_code, entry.field, entry.old_value, entry.new_value,
                             entry.reason])
        try:
            os.write(self.descriptor, buffer.getvalue().encode("utf-8"))
            os.fsync(self.descriptor)
        finally:
            os.close(self.descriptor)



def read_audit(folder: Path) -> list[dict[str, str]]:
    path = folder / AUDIT_FILE
    if not path.exists():
        return []
    text, _ = decode(path.read_bytes(), label(path), None)  # Excel may have saved it as GBK
    return list(csv.DictReader(io.StringIO(text.replace("\r\n", "\n"))))
