"""Every problem in a parsed protocol file, found at once; a frozen Protocol when none.

What is required and what a missing key defaults to come from ``schema.SCHEMA``: the
checker never states them a second time.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from pathlib import Path
from typing import Any

from scheduler.errors import Problem
from scheduler.protocol.locator import Locator
from scheduler.protocol.model import UNITS, Clinic, Protocol, Unit, Visit
from scheduler.protocol.schema import CODE_PATTERN, ENROLLMENT, MAX_OFFSET, SCHEMA, WEEKDAYS, Key
from scheduler.protocol.schema import key as schema_key

# No participant enrolled in 1900–2199 could have a window closing this long after enrollment.
MAX_REACH_DAYS = 300 * 365


class Checker:
    """Collects every problem in a parsed protocol file."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.where = Locator(text)
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None, fix: str | None = None,
            value: Any = None) -> None:
        shown = None if value is None else _show(value)
        self.problems.append(Problem(self.source, message, line=line, value=shown, fix=fix))

    def unknown_keys(self, table: dict[str, Any], known: tuple[Key, ...], label: str,
                     table_name: str, occurrence: int) -> None:
        names = [entry.name for entry in known]
        for key in table:
            if key not in names:
                guess = difflib.get_close_matches(key, names, n=1)
                fix = f"did you mean '{guess[0]}'?" if guess else f"the keys of {label} are: {', '.join(names)}"
                self.add(f"{label}: unknown key '{key}'",
                         self.where.key_line(table_name, occurrence, key), fix)

    def text(self, table: dict[str, Any], key: str, label: str, table_name: str,
             occurrence: int = 0) -> str | None:
        """A text key; None when it is absent (a problem when the schema requires it)."""
        required = _spec(table_name, key).required
        value = table.get(key)
        line = self.where.key_line(table_name, occurrence, key)
        if value is None:
            if required:
                self.add(f"{label}: '{key}' is missing", self.where.table_line(table_name, occurrence),
                         f"add a line such as {key} = {_example(table_name, key)}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(f"{label}: '{key}' must be text in quotes", line,
                     f"write it as {key} = {_example(table_name, key)}", value)
            return None
        return value.strip()

    def check(self, data: dict[str, Any], base_folder: Path | None) -> Protocol | None:
        for table in data:
            if table not in SCHEMA:
                guess = difflib.get_close_matches(table, list(SCHEMA), n=1)
                fix = (f"did you mean [{guess[0]}]?" if guess
                       else "a protocol file has [study], an optional [clinic] and [[visits]]")
                self.add(f"unknown table '{table}'", self.where.table_line(table), fix)

        study = data.get("study")
        if not isinstance(study, dict):
            self.add("the [study] table is missing", None,
                     'add [study] with id = "…" and timezone = "…" (for example "Asia/Shanghai")')
            study = {}
        else:
            self.unknown_keys(study, SCHEMA["study"], "[study]", "study", 0)
        study_id = self.text(study, "id", "[study]", "study")
        timezone = self.text(study, "timezone", "[study]", "study")
        if timezone is not None and not _is_timezone(timezone):
            self.add("[study]: 'timezone' is not a known IANA time-zone name",
                     self.where.key_line("study", 0, "timezone"),
                     'use a name such as "Asia/Shanghai" or "Europe/London"', timezone)
            timezone = None
        title = self.text(study, "title", "[study]", "study") or _default("study", "title", str)
        site_id = self.text(study, "site_id", "[study]", "study") or _default("study", "site_id", str)

        clinic = self.check_clinic(data.get("clinic"), base_folder)
        visits = self.check_visits(data.get("visits"))

        day0 = self.text(study, "day0", "[study]", "study")
        codes = [visit.code for visit in visits]
        if day0 is not None and codes and day0 not in codes:
            self.add("[study]: 'day0' names no visit of the protocol",
                     self.where.key_line("study", 0, "day0"),
                     f"use one of the visit codes: {', '.join(codes)}", day0)
        self.check_reach(visits)
        if self.problems or study_id is None or timezone is None or not visits:
            return None
        return Protocol(study_id=study_id, timezone=timezone, visits=tuple(visits), title=title,
                        site_id=site_id, day0=day0 or codes[0], clinic=clinic, source=self.source)

    def check_reach(self, visits: list[Visit]) -> None:
        """A plan whose windows, anchor on anchor, end further from enrollment than dates
        are read (1900–2199): no participant could be scheduled. An upper bound in days
        (a month counted as 31) is enough, and cannot overflow."""
        reach: dict[str, int] = {}
        for index, visit in enumerate(visits):
            start = 0 if visit.anchor == ENROLLMENT else reach.get(visit.anchor, 0)
            step = visit.amount * (31 if visit.unit == "month" else 7 if visit.unit == "week" else 1)
            reach[visit.code] = start + max(step, 0)
            if reach[visit.code] + visit.plus > MAX_REACH_DAYS:
                self.add(f"visit {index + 1} ({visit.code}): its window would close more than "
                         f"{MAX_REACH_DAYS // 365} years after enrollment, beyond the dates a study "
                         "can have (1900–2199)",
                         self.where.table_line("visits", index),
                         "check the offsets (day / week / month) of this visit and the visits it "
                         "hangs on")
                return

    def check_clinic(self, clinic: Any, base_folder: Path | None) -> Clinic | None:
        if clinic is None:
            return None
        line = self.where.table_line("clinic")
        if not isinstance(clinic, dict):
            self.add("'clinic' must be a table: [clinic]", line)
            return None
        self.unknown_keys(clinic, SCHEMA["clinic"], "[clinic]", "clinic", 0)
        country = self.text(clinic, "country", "[clinic]", "clinic")
        if country is not None:
            # Whether the holidays package knows it is checked by `protocol` and where clinic
            # days are computed, not here: importing it would slow every command down.
            country = country.upper()
        weekdays: tuple[str, ...] = _default("clinic", "weekdays", tuple)
        if "weekdays" in clinic:
            value = clinic["weekdays"]
            key_line = self.where.key_line("clinic", 0, "weekdays")
            if (not isinstance(value, list) or not value
                    or not all(isinstance(day, str) and day in WEEKDAYS for day in value)):
                self.add("[clinic]: 'weekdays' must be a list of weekday names", key_line,
                         f"use names from {', '.join(WEEKDAYS)}, for example "
                         '["Mon", "Tue", "Wed", "Thu", "Fri"]', value)
            elif len(set(value)) != len(value):
                self.add("[clinic]: 'weekdays' names a day twice", key_line, "list each day once", value)
            else:
                weekdays = tuple(day for day in WEEKDAYS if day in value)
        closures_name = self.text(clinic, "closures", "[clinic]", "clinic")
        closures = None
        if closures_name is not None:
            closures = (base_folder or Path.cwd()) / closures_name
        return Clinic(country=country, weekdays=weekdays, closures=closures)

    def check_visits(self, visits: Any) -> list[Visit]:
        if visits is None:
            self.add("the protocol has no visits", None,
                     "add one [[visits]] table per visit, each with a code and one of day / week / month")
            return []
        if not isinstance(visits, list) or not all(isinstance(v, dict) for v in visits):
            self.add("'visits' must be written as [[visits]] tables", self.where.table_line("visits"),
                     "write each visit under its own [[visits]] header")
            return []
        result: list[Visit] = []
        seen: dict[str, int] = {}
        all_codes = [v.get("code") for v in visits]
        for index, raw in enumerate(visits):
            visit = self.check_visit(index, raw, seen, all_codes)
            if visit is not None:
                result.append(visit)
        return result

    def check_visit(self, index: int, raw: dict[str, Any], seen: dict[str, int],
                    all_codes: list[Any]) -> Visit | None:
        number = index + 1
        code_value = raw.get("code")
        label = f"visit {number}" + (f" ({code_value})" if isinstance(code_value, str) else "")
        start = len(self.problems)

        def line(key: str) -> int | None:
            return self.where.key_line("visits", index, key)

        self.unknown_keys(raw, SCHEMA["visits"], label, "visits", index)
        code = self.text(raw, "code", label, "visits", index)
        if code is not None:
            if code.casefold() == ENROLLMENT:
                self.add(f"{label}: 'enrollment' cannot be a visit code", line("code"),
                         'it is the word for the enrollment date in "anchor": choose another code',
                         code)
            elif not CODE_PATTERN.match(code):
                self.add(f"{label}: 'code' has characters a visit code cannot hold", line("code"),
                         "start with a letter or digit; then letters, digits, _ . - ; at most 20",
                         code)
            elif code in seen:
                self.add(f"{label}: visit code '{code}' is used twice (also visit {seen[code] + 1})",
                         line("code"), "give every visit its own code")
            else:
                seen[code] = index

        offsets = [unit for unit in UNITS if unit in raw]
        unit: Unit | None = None
        amount = 0
        if len(offsets) != 1:
            found = " and ".join(offsets) if offsets else "none"
            self.add(f"{label}: needs exactly one of day / week / month (found {found})",
                     self.where.table_line("visits", index),
                     "give the offset from the anchor once, for example day = 7")
        else:
            unit = offsets[0]
            amount_value = self.integer(raw, unit, label, line(unit), allow_negative=True)
            amount = amount_value if amount_value is not None else 0
        minus = self.integer(raw, "minus", label, line("minus")) or _default("visits", "minus", int)
        plus = self.integer(raw, "plus", label, line("plus")) or _default("visits", "plus", int)

        anchor = _default("visits", "anchor", str)
        if "anchor" in raw:
            value = raw["anchor"]
            if not isinstance(value, str) or not value.strip():
                self.add(f"{label}: 'anchor' must be text in quotes", line("anchor"),
                         'write "enrollment" or the code of an earlier visit', value)
            else:
                anchor = value.strip()
                if anchor != ENROLLMENT and (anchor not in seen or anchor == code):
                    if anchor == code:
                        self.add(f"{label}: the visit is anchored on itself", line("anchor"),
                                 'anchor it on "enrollment" or on an earlier visit', anchor)
                    elif anchor in all_codes:
                        self.add(f"{label}: anchored on '{anchor}', which comes later in the file",
                                 line("anchor"),
                                 "move this visit below its anchor; a chain of anchors cannot loop",
                                 anchor)
                    else:
                        known = [c for c in all_codes[:index] if isinstance(c, str)]
                        self.add(f"{label}: 'anchor' names no visit", line("anchor"),
                                 'use "enrollment" or one of the earlier codes: '
                                 + (", ".join(known) if known else "(none yet)"), anchor)

        name = self.text(raw, "name", label, "visits", index) or code or ""
        kind = self.text(raw, "kind", label, "visits", index) or _default("visits", "kind", str)
        if re.search(r"[,;]", kind):
            self.add(f"{label}: 'kind' cannot hold a comma or a semicolon", line("kind"),
                     "Outlook splits calendar categories on them: use one word", kind)
        procedures: tuple[str, ...] = _default("visits", "procedures", tuple)
        if "procedures" in raw:
            value = raw["procedures"]
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                self.add(f"{label}: 'procedures' must be a list of text", line("procedures"),
                         'write it as procedures = ["examinations", "HbA1c"]', value)
            else:
                procedures = tuple(p.strip() for p in value if p.strip())

        if len(self.problems) > start or code is None or unit is None:
            return None
        return Visit(code=code, name=name, anchor=anchor, unit=unit, amount=amount,
                     minus=minus, plus=plus, kind=kind, procedures=procedures)

    def integer(self, raw: dict[str, Any], key: str, label: str, line: int | None,
                allow_negative: bool = False) -> int | None:
        if key not in raw:
            return None
        value = raw[key]
        # bool is an int in Python; `plus = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(f"{label}: '{key}' must be a whole number", line,
                     f"write it without quotes or decimals, for example {key} = 7", value)
            return None
        if value < 0 and not allow_negative:
            self.add(f"{label}: '{key}' cannot be negative", line,
                     f"'{key}' counts days {'before' if key == 'minus' else 'after'} the target: "
                     "use 0 or more", value)
            return None
        if abs(value) > MAX_OFFSET[key]:
            self.add(f"{label}: '{key}' is more than ten years' worth ({MAX_OFFSET[key]})", line,
                     "check the number", value)
            return None
        return value


def _show(value: Any) -> str:
    """A value as it is written in TOML, for messages."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def _example(table: str, name: str) -> str:
    return _spec(table, name).example


def _spec(table: str, name: str) -> Key:
    return schema_key(table, name)


def _default(table: str, name: str, kind: type[Any]) -> Any:
    """A key's default from the schema, checked to be of the kind the model holds."""
    value = _spec(table, name).default
    if not isinstance(value, kind):
        raise TypeError(f"schema default of {table}.{name} is not {kind.__name__}")
    return value


def _is_timezone(name: str) -> bool:
    # Only real IANA names: "localtime", "posixrules" or "Factory" would follow the computer.
    return name in _timezones()


@functools.lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    # zoneinfo (with the tzdata package where the system has none) is what pendulum uses too.
    import zoneinfo

    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}



def country_problem(protocol: Protocol) -> Problem | None:
    """A [clinic] country that the holidays package does not know, said as a Problem.

    Checked by ``protocol`` and where clinic days are computed, not on every load:
    importing the holidays package would slow every command down."""
    if protocol.clinic is None or protocol.clinic.country is None:
        return None
    import holidays

    registry = getattr(getattr(holidays, "registry", None), "COUNTRIES", None)
    # The registry maps module names to (class name, ISO code, …); fall back to the full list.
    known = ({entry[1] for entry in registry.values() if len(entry) > 1} if registry
             else set(holidays.list_supported_countries()))
    if protocol.clinic.country in known:
        return None
    return Problem(protocol.source, "[clinic]: 'country' is not a country the holidays package knows",
                   value=protocol.clinic.country, fix="use an ISO 3166 two-letter code, such as CN")
