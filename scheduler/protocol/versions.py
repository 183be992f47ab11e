"""Protocol versions (amendments): the current protocol.toml and the earlier protocols/*.toml.

``combine`` checks the versions together and gives the protocol the core computes with: the
current version's study, clinic, arms and words, with ``visits`` = every code any version
has, in one order that every version's anchors respect, each code described by the latest
version that has it, and ``versions`` = every version by effective date. Which window a
participant follows is the core's (core/versions.py); what changed between two versions
is ``differences``.

Imports neither pandas nor numpy (``protocol`` must start fast).
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from typing import NamedTuple

from scheduler.errors import Problem, ProtocolError
from scheduler.i18n import _, ngettext
from scheduler.protocol.model import Protocol, Visit
from scheduler.protocol.schema import ENROLLMENT


def combine(current: Protocol, earlier: list[Protocol]) -> Protocol:
    """The study's protocol over all its versions; ProtocolError naming every problem."""
    problems: list[Problem] = []
    every = [*earlier, current]
    for each in every:
        if not each.version:
            problems.append(Problem(each.source, _("[study] has no 'version': with earlier versions in "
                                                   "protocols/, every protocol file names its version"),
                                    fix=_('add version = "1.0" and effective = 2010-08-01 under [study]')))
        if each.study_id != current.study_id:
            problems.append(Problem(each.source, _("[study] id is '{id}', the current protocol's is '{current}': "
                                                   "the versions of one study share its id").format(
                                                       id=each.study_id, current=current.study_id)))
        if each.timezone != current.timezone:
            problems.append(Problem(each.source, _("[study] timezone is '{zone}', the current protocol's is "
                                                   "'{current}': the versions of one study share its time zone")
                                    .format(zone=each.timezone, current=current.timezone)))
    seen: dict[str, str] = {}
    for each in every:
        if each.version and each.version in seen:
            problems.append(Problem(each.source, _("version {version} is also {file}'s: each file is a "
                                                   "version of its own").format(version=each.version,
                                                                               file=seen[each.version])))
        seen.setdefault(each.version, each.source)
    dated = [each for each in every if each.effective is not None]
    for each in earlier:
        if each.effective is not None and current.effective is not None and each.effective >= current.effective:
            problems.append(Problem(each.source, _("version {version} takes effect on {date}, not before the "
                                                   "current protocol's {current} ({effective}): protocol.toml is "
                                                   "the latest version").format(
                                                       version=each.version, date=each.effective,
                                                       current=current.version, effective=current.effective)))
    days = [each.effective for each in dated]
    for each in dated:
        if days.count(each.effective) > 1 and each is not current:
            problems.append(Problem(each.source, _("two versions take effect on {date}: each version has "
                                                   "its own effective date").format(date=each.effective)))
    if problems:
        raise _refused(current, problems)
    ordered = tuple(sorted(every, key=lambda each: each.effective or datetime.date.max))
    visits = _union(ordered, problems)
    if problems:
        raise _refused(current, problems)
    return dataclasses.replace(current, visits=visits, versions=ordered, _by_code={})


def _refused(current: Protocol, problems: list[Problem]) -> ProtocolError:
    count = len(problems)
    return ProtocolError(ngettext("{file}: the protocol versions cannot be used together: {count} problem",
                                  "{file}: the protocol versions cannot be used together: {count} problems",
                                  count).format(file=current.source, count=count), problems)


def _union(versions: tuple[Protocol, ...], problems: list[Problem]) -> tuple[Visit, ...]:
    """Every code of every version, in time order (each code's nominal target in the latest
    version that has it; ties in the order the versions list them), every anchor before the
    visits that hang on it in every version; each code described by the latest version that
    has it; VISITNUM fixed per code (its `visitnum`, else its place in this order)."""
    seen: list[str] = []
    nominal = {}
    hangs: dict[str, set[str]] = {}
    for each in versions:
        nominal.update(each.nominal_targets())
        for visit in each.visits:
            if visit.code not in seen:
                seen.append(visit.code)
            hangs.setdefault(visit.code, set())
            if visit.anchor != ENROLLMENT:
                hangs[visit.code].add(visit.anchor)
    order: list[str] = []
    waiting = list(seen)
    while waiting:
        ready = [code for code in waiting if hangs[code] <= set(order)]
        if not ready:
            problems.append(Problem(versions[-1].source, _("visits {visits} hang on each other in a circle across "
                                                           "the versions (A on B in one version, B on A in "
                                                           "another) — keep one order of the visits in every "
                                                           "version").format(visits=", ".join(waiting))))
            return ()
        chosen = min(ready, key=lambda code: (nominal[code], seen.index(code)))
        order.append(chosen)
        waiting.remove(chosen)
    numbers: dict[str, tuple[float, str]] = {}
    for each in versions:
        for visit in each.visits:
            if visit.visitnum is None:
                continue
            earlier = numbers.setdefault(visit.code, (visit.visitnum, each.version))
            if earlier[0] != visit.visitnum:
                problems.append(Problem(each.source, _("visit {visit} has visitnum {number}, version {version} "
                                                       "gave it {earlier}: a code keeps its SDTM VISITNUM across "
                                                       "versions").format(
                                                           visit=visit.code, number=_number(visit.visitnum),
                                                           version=earlier[1], earlier=_number(earlier[0]))))
    latest = {visit.code: visit for each in versions for visit in each.visits}
    return tuple(dataclasses.replace(latest[code], visitnum=numbers[code][0] if code in numbers else float(index))
                 for index, code in enumerate(order, start=1))


def _number(value: float) -> str:
    return f"{value:g}"


def meaning_warnings(protocol: Protocol) -> list[str]:
    """Codes whose anchor, unit or kind changes between versions: allowed (the windows follow
    the rule), but more often a code reused for another visit."""
    warnings = []
    for code in protocol.codes:
        described = [(each.version, each.visit(code)) for each in protocol.versions if code in each.codes]
        for (before, old), (after, new) in itertools.pairwise(described):
            changed = [name for name, differs in (("anchor", old.anchor != new.anchor), ("unit", old.unit != new.unit),
                                                 ("kind", old.kind != new.kind)) if differs]
            if changed:
                # TRANSLATORS: {what} lists protocol keys (anchor, unit, kind), never translated.
                warnings.append(_("visit {visit} changes its {what} from version {before} to {after}: if it is "
                                  "another visit now, give it a code of its own").format(
                                      visit=code, what=", ".join(changed), before=before, after=after))
    return warnings


def numbering_warnings(protocol: Protocol) -> list[str]:
    """Visits without `visitnum` whose VISITNUM over all versions differs from the one an
    earlier version gave them alone: an SDTM transfer made while that version was the only
    protocol.toml numbered them otherwise."""
    combined = protocol.visit_numbers()
    moved: list[str] = []
    for each in protocol.versions[:-1]:
        alone = each.visit_numbers()
        moved += [visit.code for visit in each.visits if visit.visitnum is None and visit.code not in moved
                  and alone[visit.code] != combined[visit.code]]
    if not moved:
        return []
    # TRANSLATORS: {visits} lists visit codes ("M3, M6").
    return [ngettext("visit {visits} is numbered over all versions (SDTM VISITNUM), not as an earlier version "
                     "alone numbered it — if an SDTM transfer was made before, give it its visitnum",
                     "visits {visits} are numbered over all versions (SDTM VISITNUM), not as an earlier version "
                     "alone numbered them — if an SDTM transfer was made before, give each its visitnum",
                     len(moved)).format(visits=", ".join(moved))]


class Difference(NamedTuple):
    """One visit's change between two versions: added, dropped, or changed (how, in words)."""

    code: str
    change: str  # "added", "dropped", "changed" (never translated: the column's words)
    before: str  # the timing as a nurse reads it, "" when added
    after: str  # "" when dropped
    notes: tuple[str, ...] = ()  # in words: "window widened", "target moved", "renamed"…


def differences(old: Protocol, new: Protocol) -> list[Difference]:
    """What changed from version ``old`` to version ``new``, visit by visit, in the order of
    the new version (dropped visits after the one they followed)."""
    found = []
    codes = list(new.codes)
    for index, code in enumerate(old.codes):
        if code not in codes:
            before = old.codes[index - 1] if index else None
            codes.insert(codes.index(before) + 1 if before in codes else 0, code)
    for code in codes:
        if code not in old.codes:
            found.append(Difference(code, "added", "", new.visit(code).timing))
        elif code not in new.codes:
            found.append(Difference(code, "dropped", old.visit(code).timing, ""))
        else:
            notes = _changes(old.visit(code), new.visit(code))
            if notes:
                found.append(Difference(code, "changed", old.visit(code).timing, new.visit(code).timing,
                                        tuple(notes)))
    return found


def _changes(old: Visit, new: Visit) -> list[str]:
    notes = []
    if (old.anchor, old.unit, old.amount) != (new.anchor, new.unit, new.amount):
        notes.append(_("target moved"))
    width_old, width_new = old.minus + old.plus, new.minus + new.plus
    if (old.minus, old.plus) != (new.minus, new.plus):
        if width_new > width_old:
            notes.append(_("window widened"))
        elif width_new < width_old:
            notes.append(_("window narrowed"))
        else:
            notes.append(_("window shifted"))
    if old.name != new.name:
        notes.append(_("renamed"))
    if old.kind != new.kind:
        notes.append(_("kind changed"))
    if old.procedures != new.procedures:
        notes.append(_("procedures changed"))
    if old.arms != new.arms:
        notes.append(_("arms changed"))
    return notes
