"""The protocol as the core sees it: frozen, validated objects (``checks`` builds them).

Imports neither pandas nor numpy nor click: ``visit-scheduler protocol`` must start fast.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from scheduler.i18n import N_, _, current, pgettext
from scheduler.months import add_months_to
from scheduler.protocol.schema import ENROLLMENT, WEEKDAYS

Unit = Literal["day", "week", "month"]
UNITS: tuple[Unit, ...] = ("day", "week", "month")

# The calendar category of a visit without a kind.
DEFAULT_KIND = "visit"

NOMINAL_ENROLLMENT = datetime.date(2001, 1, 1)

# A visit's timing as a nurse reads it, per unit, for a symmetric window ("± 1") and an
# asymmetric one ("−0/+10"). {anchor} is a visit code ("D0") or the word "enrollment".
_TIMING: dict[tuple[Unit, bool], str] = {
    ("day", True): N_("Day {amount} ± {minus} from {anchor}"),
    ("day", False): N_("Day {amount} −{minus}/+{plus} from {anchor}"),
    ("week", True): N_("Week {amount} ± {minus} from {anchor}"),
    ("week", False): N_("Week {amount} −{minus}/+{plus} from {anchor}"),
    ("month", True): N_("Month {amount} ± {minus} from {anchor}"),
    ("month", False): N_("Month {amount} −{minus}/+{plus} from {anchor}"),
}


# The small records are NamedTuples (as immutable, compared and hashed by value as frozen
# dataclasses, and a third of the cost to define: every command that reads a protocol
# defines them at start-up); the classes with fields left out of comparisons stay dataclasses.
class VisitWords(NamedTuple):
    """A visit's words in one language (``[visits.translations.LANG]``)."""

    name: str = ""
    procedures: tuple[str, ...] = ()


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
    # SDTM: the epoch ("" when neither `epoch` nor the kind gives one) and a fixed VISITNUM
    # (None: the visit's place in the file).
    epoch: str = ""
    visitnum: float | None = None
    # The arms that have the visit (`arms = [...]`); empty: every arm.
    arms: tuple[str, ...] = ()
    # [visits.translations.LANG]: the name and procedures people read in LANG.
    translations: dict[str, VisitWords] = field(default_factory=dict, compare=False, hash=False)

    def name_in(self, language: str | None = None) -> str:
        """The name people read in ``language`` (default: the current one): its translation,
        else the base name (in whatever language the protocol is written)."""
        words = self.translations.get(language or current())
        return words.name if words is not None and words.name else self.name

    def procedures_in(self, language: str | None = None) -> tuple[str, ...]:
        words = self.translations.get(language or current())
        return words.procedures if words is not None and words.procedures else self.procedures

    @property
    def contract_name(self) -> str:
        """The name in CSV, JSON and SDTM: the ``en`` translation, else the base name."""
        return self.name_in("en")

    @property
    def timing(self) -> str:
        """The visit's place in the plan as a nurse reads it: "Day 7 ± 1 from D0"."""
        # TRANSLATORS: the anchor of a visit's timing: "Day 0 ± 0 from enrollment".
        anchor = pgettext("anchor", "enrollment") if self.anchor == ENROLLMENT else self.anchor
        return _(_TIMING[self.unit, self.minus == self.plus]).format(
            amount=self.amount, minus=self.minus, plus=self.plus, anchor=anchor)

    @property
    def category(self) -> str:
        """The calendar category: the visit's kind, else "visit"."""
        return self.kind or DEFAULT_KIND


@dataclass(frozen=True)
class Arm:
    """One arm ([[arms]]): a group of participants with its own visits."""

    code: str
    name: str
    translations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def name_in(self, language: str | None = None) -> str:
        return self.translations.get(language or current()) or self.name

    @property
    def contract_name(self) -> str:
        return self.name_in("en")


class Criterion(NamedTuple):
    """One eligibility criterion ([[criteria]], SDTM TI)."""

    category: str  # INCLUSION or EXCLUSION
    text: str


class Design(NamedTuple):
    """What SDTM's TS and DM say of the study ([study] keys; None when the protocol is silent)."""

    country: str | None = None
    sponsor: str | None = None
    phase: str | None = None
    study_type: str | None = None
    intervention_model: str | None = None
    blinding: str | None = None
    randomized: bool | None = None
    add_on: bool | None = None
    planned_subjects: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    sex_population: str | None = None
    indication: str | None = None
    treatment: str | None = None
    registry_id: str | None = None
    start_date: str | None = None  # ISO 8601: "2010-08" or "2010-08-01"
    criteria: tuple[Criterion, ...] = ()


class Clinic(NamedTuple):
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
    # [study] language: the language people read unless the option or variable says otherwise.
    language: str | None = None
    # [study.translations.LANG] title.
    title_translations: dict[str, str] = field(default_factory=dict, compare=False)
    design: Design = field(default_factory=Design)
    arms: tuple[Arm, ...] = ()
    # [unscheduled] codes: records of visits between the planned ones, never judged.
    unscheduled: tuple[str, ...] = ("UNS",)
    # Amendments: this file's `version` and `effective` date; ``versions`` every version of
    # the study (protocol.toml and protocols/*.toml) by effective date, when the folder has
    # earlier ones. Then ``visits`` is every code any version has (versions.combine).
    version: str = ""
    effective: datetime.date | None = None
    versions: tuple[Protocol, ...] = field(default=(), repr=False, compare=False)
    _by_code: dict[str, Visit] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_code.update({visit.code: visit for visit in self.visits})

    @property
    def current(self) -> Protocol:
        """The current version (protocol.toml): the protocol itself without earlier versions."""
        return self.versions[-1] if self.versions else self

    def version_named(self, version: str) -> Protocol | None:
        return next((each for each in self.versions or (self,) if each.version == version), None)

    def title_in(self, language: str | None = None) -> str:
        """The title people read in ``language`` (default: the current one)."""
        return self.title_translations.get(language or current()) or self.title

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
                warnings.append(_("visit {visit} is listed after {earlier} but falls before it: "
                                  "visits done on time will be reported as out of protocol order — "
                                  "list the visits in time order").format(visit=visit.code, earlier=latest[0]))
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
        furthest = max(close for _code, close in far)
        span = (furthest - NOMINAL_ENROLLMENT).days / 365.25
        # TRANSLATORS: {visits} is a list of visit codes ("M240, M300"); {span} a number of years.
        return [_("the window of {visits} closes more than {years} years after enrollment (the last about "
                  "{span:.0f} years after) — check the offsets if that is not the plan").format(
                    visits=", ".join(code for code, _close in far), years=years, span=span)]

    @property
    def arm_codes(self) -> tuple[str, ...]:
        return tuple(arm.code for arm in self.arms)

    def visits_of(self, arm: str | None) -> tuple[Visit, ...]:
        """The visits a participant of ``arm`` has: every visit without arms; with arms, those
        that name it, and for a participant not yet assigned (None or ""), the visits every
        arm has."""
        if not self.arms:
            return self.visits
        if not arm:
            every = set(self.arm_codes)
            return tuple(visit for visit in self.visits if not visit.arms or every <= set(visit.arms))
        return tuple(visit for visit in self.visits if not visit.arms or arm in visit.arms)

    def visit_numbers(self) -> dict[str, float]:
        """SDTM VISITNUM per code: the visit's `visitnum`, else its place in the file."""
        return {visit.code: visit.visitnum if visit.visitnum is not None else float(number)
                for number, visit in enumerate(self.visits, start=1)}

    def epoch_warnings(self) -> list[str]:
        """Visits without an SDTM epoch (no `epoch` key, a kind that gives none): the plan
        works, `export sdtm` refuses until each has one."""
        missing = [visit.code for visit in self.visits if not visit.epoch]
        if not missing:
            return []
        # TRANSLATORS: {visits} is a list of visit codes ("V1, V2").
        return [_("visits {visits} have no SDTM epoch: export sdtm needs one — add epoch = \"TREATMENT\" "
                  "(or SCREENING, FOLLOW-UP, …) to each").format(visits=", ".join(missing))]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(visit.code for visit in self.visits)
