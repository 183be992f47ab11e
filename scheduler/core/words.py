"""The status words, defined once. They are a contract: scripts and other tools read them
in CSV and JSON (PRODUCT.md, "Visit status, as of a date").

``Status`` is a ``StrEnum``: each member *is* its word (``Status.MISSED == "missed"``), so
columns hold plain text and comparisons with text read as they are written.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    IN_WINDOW = "in_window"
    EARLY = "early"
    LATE = "late"
    MISSED = "missed"
    DUE = "due"
    UPCOMING = "upcoming"
    WITHDRAWN = "withdrawn"


STATUSES: tuple[Status, ...] = tuple(Status)
# Protocol deviations: a visit done outside its window, or not done by its window's close.
DEVIATIONS: tuple[Status, ...] = (Status.EARLY, Status.LATE, Status.MISSED)
# A visit with an actual date.
DONE: tuple[Status, ...] = (Status.IN_WINDOW, Status.EARLY, Status.LATE)
# Visits the check has judged: done, or missed (the rates count these).
JUDGED: tuple[Status, ...] = (*DONE, Status.MISSED)
# Visits still to do: on the worklist once their window opens.
PENDING: tuple[Status, ...] = (Status.DUE, Status.UPCOMING)
