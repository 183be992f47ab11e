"""The protocol as the core sees it: frozen, validated objects (``checks`` builds them).

Imports neither pandas nor numpy nor click: ``visit-scheduler protocol`` must start fast.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from scheduler.months import add_months_to
from scheduler.protocol.schema import ENROLLMENT, WEEKDAYS

Unit = Literal["day", "week", "month"]
UNITS: tuple[Unit, ...] = ("day", "week", "month")

# The calendar category of a visit without a kind.
DEFAULT_KIND = "visit"

NOMINAL_ENROLLMENT = datetime.date(2001, 1, 1)


@dataclass(frozen=True)
class Visit:
    """One protocol visit. Its window is anchor date + offset, minus ``minus``, plus ``plus``."""

    code: str
    name: str
    anchor: str
    unit: Unit
    amount: int
    minus: int = 0
    plus: int = 0
    kind: str = ""
    procedures: tuple[str, ...] = ()

    @property
    def timing(self) -> str:
        """The visit's place in the plan as a nurse reads it: "Day 7 ± 1 from D0"."""
        window = f"± {self.minus}" if self.minus == self.plus else f"−{self.minus}/+{self.plus}"
        return f"{self.unit.capitalize()} {self.amount} {window} from {self.anchor}"

    @property
    def category(self) -> str:
        """The calendar category: the visit's kind, else "visit"."""
        return self.kind or DEFAULT_KIND


@dataclass(frozen=True)
class Clinic:
    """The clinic's working days, used for suggested dates."""

    country: str | None = None
    weekdays: tuple[str, ...] = WEEKDAYS[:5]
    closures: Path | None = None


@dataclass(frozen=True)
class Protocol:
    """A validated protocol: visits in file order, every anchor an earlier visit."""

    study_id: str
    timezone: str
    visits: tuple[Visit, ...]
    title: str = ""
    site_id: str = ""
    day0: str = ""
    clinic: Clinic | None = None
    source: str = "built-in"
    _by_code: dict[str, Visit] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_code.update({visit.code: visit for visit in self.visits})

    def visit(self, code: str) -> Visit:
        return self._by_code[code]

    def nominal_targets(self) -> dict[str, datetime.date]:
        """Each visit's target for an enrollment on 2001-01-01 with no actual dates (a
        reference for checks of the plan itself, never for a participant's dates)."""
        nominal: dict[str, datetime.date] = {}
        for visit in self.visits:
            anchor = NOMINAL_ENROLLMENT if visit.anchor == ENROLLMENT else nominal[visit.anchor]
            if visit.unit == "month":
                nominal[visit.code] = add_months_to(anchor, visit.amount)
            else:
                days = visit.amount * (7 if visit.unit == "week" else 1)
                nominal[visit.code] = anchor + datetime.timedelta(days=days)
        return nominal

    def may_precede_enrollment(self) -> tuple[str, ...]:
        """Visits whose window can open before enrollment (a screening visit at day −14):
        their dates are judged against the window only, not refused as "before enrollment"."""
        nominal = self.nominal_targets()
        return tuple(visit.code for visit in self.visits
                     if nominal[visit.code] - datetime.timedelta(days=visit.minus) < NOMINAL_ENROLLMENT)

    def order_warnings(self) -> list[str]:
        """Visits listed after a visit whose nominal target comes later.

        "Out of protocol order" follows the file's order, so a file not in time order makes
        visits done on time look out of order."""
        nominal = self.nominal_targets()
        warnings = []
        latest: tuple[str, datetime.date] | None = None
        for visit in self.visits:
            target = nominal[visit.code]
            if latest is not None and target < latest[1]:
                warnings.append(f"visit {visit.code} is listed after {latest[0]} but falls before it: "
                                f"visits done on time will be reported as out of protocol order — "
                                "list the visits in time order")
            if latest is None or target >= latest[1]:
                latest = (visit.code, target)
        return warnings

    def reach_warnings(self, years: int = 20) -> list[str]:
        """Visits whose window closes more than ``years`` after enrollment: possible (cell
        therapy follows participants for 15 years), but more often a typing mistake."""
        nominal = self.nominal_targets()
        limit = NOMINAL_ENROLLMENT.replace(year=NOMINAL_ENROLLMENT.year + years)
        far = [(visit.code, nominal[visit.code] + datetime.timedelta(days=visit.plus))
               for visit in self.visits if nominal[visit.code] + datetime.timedelta(days=visit.plus) > limit]
        if not far:
            return []
        furthest = max(close for _, close in far)
        span = (furthest - NOMINAL_ENROLLMENT).days / 365.25
        return [f"the window of {', '.join(code for code, _ in far)} closes more than {years} years after "
                f"enrollment (the last about {span:.0f} years after) — check the offsets if that is not the plan"]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(visit.code for visit in self.visits)
