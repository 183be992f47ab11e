"""The status words, defined once. They are a contract: scripts and other tools read them
in CSV and JSON (PRODUCT.md, "Visit status, as of a date").

``Status`` is a ``StrEnum``: each member *is* its word (``Status.MISSED == "missed"``), so
columns hold plain text and comparisons with text read as they are written.

The roster's coded values (withdrawal categories, sex, age) are here too: the participants
reader and the commands that change a roster check them against one list.
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
    # A record of an unscheduled visit ([unscheduled] codes): listed, never judged.
    UNSCHEDULED = "unscheduled"


STATUSES: tuple[Status, ...] = tuple(Status)
# Protocol deviations: a visit done outside its window, or not done by its window's close.
DEVIATIONS: tuple[Status, ...] = (Status.EARLY, Status.LATE, Status.MISSED)
# A visit with an actual date.
DONE: tuple[Status, ...] = (Status.IN_WINDOW, Status.EARLY, Status.LATE)
# Visits the check has judged: done, or missed (the rates count these).
JUDGED: tuple[Status, ...] = (*DONE, Status.MISSED)
# Visits still to do: on the worklist once their window opens.
PENDING: tuple[Status, ...] = (Status.DUE, Status.UPCOMING)

# CDISC NCOMPLT (completion / reason for non-completion) terms a withdrawal is coded with:
# the roster's withdrawal_category and `withdraw --category` take only these (SDTM DS DSDECOD).
WITHDRAWAL_CATEGORIES: tuple[str, ...] = (
    "ADVERSE EVENT", "DEATH", "LACK OF EFFICACY", "LOST TO FOLLOW-UP", "PHYSICIAN DECISION",
    "PREGNANCY", "PROGRESSIVE DISEASE", "PROTOCOL DEVIATION", "RECOVERY", "SCREEN FAILURE",
    "SITE TERMINATED BY SPONSOR", "STUDY TERMINATED BY SPONSOR", "TECHNICAL PROBLEMS",
    "WITHDRAWAL BY PARENT/GUARDIAN", "WITHDRAWAL BY SUBJECT", "OTHER")

# The roster's sex codes (CDISC SEX, for SDTM DM), and the words a Chinese site types for
# them. Any case of a code is read as the code.
SEXES: tuple[str, ...] = ("M", "F", "U")
SEX_WORDS: dict[str, str] = {"男": "M", "女": "F"}

# A roster age (years at enrollment, SDTM DM AGE) is a whole number in this range.
AGE_RANGE = (0, 130)
