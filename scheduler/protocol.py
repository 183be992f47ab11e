"""Protocol files: the schema, loading, validation and the frozen model.

A protocol file is TOML (format in docs/protocol-file.md, generated from ``SCHEMA`` below
so the documentation and the validator cannot disagree). Loading reads the file once,
checks *every* key and value, and either returns a frozen :class:`Protocol` or raises one
:class:`~scheduler.errors.ProtocolError` listing every problem, each with its line.

This module imports neither pandas nor click: ``visit-scheduler protocol`` must start fast.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from scheduler.errors import Problem, ProtocolError

Unit = Literal["day", "week", "month"]
UNITS: tuple[Unit, ...] = ("day", "week", "month")
ENROLLMENT = "enrollment"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BUILT_IN_NAME = "nct01143168.toml"

NOMINAL_ENROLLMENT = datetime.date(2001, 1, 1)
# Offsets beyond ten years are typing mistakes, not visit plans.
MAX_OFFSET = {"day": 3660, "week": 522, "month": 120, "minus": 366, "plus": 366}

# A visit code travels into calendar UIDs, file names and SDTM: keep it to safe characters.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")


@dataclass(frozen=True)
class Key:
    """One key of the protocol file: what it holds, whether it is required, its default."""

    name: str
    kind: str  # "text", "integer", "list of text", "timezone"
    required: bool
    default: str
    help: str
    example: str


# The schema: the single source of truth for validation and for docs/protocol-file.md.
SCHEMA: dict[str, tuple[Key, ...]] = {
    "study": (
        Key("id", "text", True, "—", "The study identifier (SDTM STUDYID).", '"NCT01143168"'),
        Key("title", "text", False, "empty", "The study's title, for report headers.", '"A Pilot Study…"'),
        Key("timezone", "timezone", True, "—",
            'IANA time-zone name: decides what "today" is.', '"Asia/Shanghai"'),
        Key("site_id", "text", False, "empty",
            "Site identifier for SDTM USUBJID; a roster `site` column overrides it.", '"01"'),
        Key("day0", "visit code", False, "the first visit",
            "The visit whose actual date is study Day 0 (SDTM reference date).", '"D0"'),
    ),
    "clinic": (
        Key("country", "text", False, "none",
            "ISO country code for public holidays and official make-up working days.", '"CN"'),
        Key("weekdays", "list of weekdays", False, '["Mon", "Tue", "Wed", "Thu", "Fri"]',
            "The clinic's working weekdays.", '["Mon", "Tue", "Wed", "Thu", "Fri"]'),
        Key("closures", "text", False, "none",
            "A CSV file beside the protocol: `date,open,note` (open = no/yes).", '"closures.csv"'),
    ),
    "visits": (
        Key("code", "visit code", True, "—",
            "Short unique code: a letter or digit, then letters, digits, `_`, `.` or `-` "
            "(at most 20 characters).", '"D7"'),
        Key("name", "text", False, "the code", "The visit's name as nurses say it.",
            '"Transplantation 2 (intravenous)"'),
        Key("kind", "text", False, "empty",
            "A free word for the calendar category (no commas or semicolons).", '"transplant"'),
        Key("procedures", "list of text", False, "[]", "What is done at the visit.",
            '["examinations", "BM-MNC + UC-MSC infusion"]'),
        Key("anchor", "visit code", False, '"enrollment"',
            '"enrollment" or the code of an earlier visit.', '"D0"'),
        Key("day", "integer", False, "—", "Offset from the anchor in days (exactly one of day / week / month).", "7"),
        Key("week", "integer", False, "—", "Offset from the anchor in weeks (7 days).", "2"),
        Key("month", "integer", False, "—",
            "Offset from the anchor in calendar months, clamped to the month's end.", "3"),
        Key("minus", "integer", False, "0", "Days before the target still in the window.", "1"),
        Key("plus", "integer", False, "0", "Days after the target still in the window.", "1"),
    ),
}


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
        if self.minus == self.plus:
            window = f"± {self.minus}"
        else:
            window = f"−{self.minus}/+{self.plus}"
        return f"{self.unit.capitalize()} {self.amount} {window} from {self.anchor}"


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
        import calendar

        nominal: dict[str, datetime.date] = {}
        for visit in self.visits:
            anchor = NOMINAL_ENROLLMENT if visit.anchor == ENROLLMENT else nominal[visit.anchor]
            if visit.unit == "month":
                year, month = divmod(anchor.year * 12 + anchor.month - 1 + visit.amount, 12)
                day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
                nominal[visit.code] = datetime.date(year, month + 1, day)
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

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(visit.code for visit in self.visits)


# --------------------------------------------------------------------------- loading


def built_in_text() -> str:
    """The text of the built-in NCT01143168 protocol file shipped inside the package."""
    return resources.files("scheduler.protocols").joinpath(BUILT_IN_NAME).read_text("utf-8")


def load_built_in() -> Protocol:
    return parse_protocol(built_in_text(), source="built-in NCT01143168 protocol")


def country_problem(protocol: Protocol) -> Problem | None:
    """A [clinic] country that the holidays package does not know, said as a Problem."""
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


def load_protocol_for(inputs: Any) -> Protocol:
    """The study's protocol: its file (``inputs.protocol``), else the built-in one."""
    return load_protocol(inputs.protocol) if inputs.protocol is not None else load_built_in()


def load_protocol(path: Path) -> Protocol:
    """Read and validate a protocol file; raise ProtocolError naming every problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProtocolError(
            f"{path}: protocol file not found — check the path, or leave out --protocol "
            "to use the study folder's protocol.toml or the built-in protocol"
        ) from None
    except OSError as error:
        raise ProtocolError(f"{path}: cannot read the protocol file ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProtocolError(
            f"{path}: the protocol file is not UTF-8 text — save it as UTF-8 "
            "(in Notepad: Save as, Encoding UTF-8)"
        ) from None
    return parse_protocol(text, source=str(path), base_folder=path.parent)


def parse_protocol(text: str, source: str, base_folder: Path | None = None) -> Protocol:
    """Validate protocol TOML text. Every problem is collected before anything is raised."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError(
            f"{source}: the protocol file cannot be used",
            [Problem(source, _toml_message(error), line=_toml_line(error),
                     fix=_toml_fix(error, text))],
        ) from None
    checker = _Checker(source, text)
    protocol = checker.check(data, base_folder)
    if checker.problems or protocol is None:
        # In file order, as the reader goes through the file; problems of the whole file first.
        checker.problems.sort(key=lambda problem: problem.line or 0)
        count = len(checker.problems)
        raise ProtocolError(
            f"{source}: the protocol file cannot be used: "
            f"{count} problem{'s' if count != 1 else ''}",
            checker.problems,
        )
    return protocol


def _toml_line(error: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"at line (\d+)", str(error))
    return int(match.group(1)) if match else None


def _toml_fix(error: tomllib.TOMLDecodeError, text: str) -> str:
    line_number = _toml_line(error)
    lines = text.splitlines()
    line = lines[line_number - 1] if line_number and line_number <= len(lines) else ""
    if any(mark in line for mark in "“”‘’"):
        return 'write text between straight quotes ("…"), not curly ones (“…”)'
    if "overwrite" in str(error) or "declare" in str(error).lower():
        return ("a table or key appears twice: each visit goes under its own [[visits]] header, "
                "with two brackets")
    return "fix the TOML syntax (visit-scheduler init DIR writes a complete protocol file to copy from)"


def _toml_message(error: tomllib.TOMLDecodeError) -> str:
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
    return f"not valid TOML: {message[:1].lower()}{message[1:]}"


class _Locator:
    """Finds the line of a table or key in the protocol text, for messages.

    tomllib keeps no positions; the protocol format is simple enough (tables, arrays of
    tables, one key per line) for a line scan to find them.
    """

    _header = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(#.*)?$")
    _key = re.compile(r"""^\s*["']?([A-Za-z0-9_-]+)["']?\s*=""")

    def __init__(self, text: str):
        self.tables: list[tuple[str, int, int]] = []  # (name, occurrence, line)
        self.keys: dict[tuple[str, int], dict[str, int]] = {}
        counts: dict[str, int] = {}
        current = ("", 0)
        self.keys[current] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._header.match(line)
            if header:
                name = header.group(2)
                occurrence = counts.get(name, 0)
                counts[name] = occurrence + 1
                current = (name, occurrence)
                self.tables.append((name, occurrence, number))
                self.keys.setdefault(current, {})
                continue
            key = self._key.match(line)
            if key:
                self.keys[current].setdefault(key.group(1), number)

    def table_line(self, table: str, occurrence: int = 0) -> int | None:
        for name, index, line in self.tables:
            if name == table and index == occurrence:
                return line
        return None

    def key_line(self, table: str, occurrence: int, key: str) -> int | None:
        found = self.keys.get((table, occurrence), {}).get(key)
        return found if found is not None else self.table_line(table, occurrence)


class _Checker:
    """Collects every problem in a parsed protocol file."""

    def __init__(self, source: str, text: str):
        self.source = source
        self.where = _Locator(text)
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None, fix: str | None = None,
            value: Any = None) -> None:
        shown = None if value is None else _show(value)
        self.problems.append(Problem(self.source, message, line=line, value=shown, fix=fix))

    def unknown_keys(self, table: dict[str, Any], known: tuple[Key, ...], label: str,
                     table_name: str, occurrence: int) -> None:
        names = [key.name for key in known]
        for key in table:
            if key not in names:
                guess = difflib.get_close_matches(key, names, n=1)
                fix = f"did you mean '{guess[0]}'?" if guess else f"the keys of {label} are: {', '.join(names)}"
                self.add(f"{label}: unknown key '{key}'",
                         self.where.key_line(table_name, occurrence, key), fix)

    def text(self, table: dict[str, Any], key: str, label: str, table_name: str,
             occurrence: int = 0, required: bool = False) -> str | None:
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
        study_id = self.text(study, "id", "[study]", "study", required=True)
        timezone = self.text(study, "timezone", "[study]", "study", required=True)
        if timezone is not None and not _is_timezone(timezone):
            self.add("[study]: 'timezone' is not a known IANA time-zone name",
                     self.where.key_line("study", 0, "timezone"),
                     'use a name such as "Asia/Shanghai" or "Europe/London"', timezone)
            timezone = None
        title = self.text(study, "title", "[study]", "study") or ""
        site_id = self.text(study, "site_id", "[study]", "study") or ""

        clinic = self.check_clinic(data.get("clinic"), base_folder)
        visits = self.check_visits(data.get("visits"))

        day0 = self.text(study, "day0", "[study]", "study")
        codes = [visit.code for visit in visits]
        if day0 is not None and codes and day0 not in codes:
            self.add("[study]: 'day0' names no visit of the protocol",
                     self.where.key_line("study", 0, "day0"),
                     f"use one of the visit codes: {', '.join(codes)}", day0)
        if self.problems or study_id is None or timezone is None or not visits:
            return None
        return Protocol(study_id=study_id, timezone=timezone, visits=tuple(visits), title=title,
                        site_id=site_id, day0=day0 or codes[0], clinic=clinic, source=self.source)

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
        weekdays: tuple[str, ...] = WEEKDAYS[:5]
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
        code = self.text(raw, "code", label, "visits", index, required=True)
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
        minus = self.integer(raw, "minus", label, line("minus")) or 0
        plus = self.integer(raw, "plus", label, line("plus")) or 0

        anchor = ENROLLMENT
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
        kind = self.text(raw, "kind", label, "visits", index) or ""
        if re.search(r"[,;]", kind):
            self.add(f"{label}: 'kind' cannot hold a comma or a semicolon", line("kind"),
                     "Outlook splits calendar categories on them: use one word", kind)
        procedures: tuple[str, ...] = ()
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


def _example(table: str, key: str) -> str:
    for entry in SCHEMA.get(table, ()):
        if entry.name == key:
            return entry.example
    return '"…"'


def _is_timezone(name: str) -> bool:
    # Only real IANA names: "localtime", "posixrules" or "Factory" would follow the computer.
    return name in _timezones()


@functools.lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    # zoneinfo (with the tzdata package where the system has none) is what pendulum uses too.
    import zoneinfo

    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}


def schema_markdown() -> str:
    """The key reference of docs/protocol-file.md, generated from SCHEMA."""
    lines: list[str] = []
    titles = {"study": "[study]", "clinic": "[clinic] (optional)", "visits": "[[visits]] (one per visit)"}
    for table, keys in SCHEMA.items():
        lines.append(f"### {titles[table]}")
        lines.append("")
        lines.append("| key | holds | required | default | meaning | example |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for key in keys:
            lines.append(f"| `{key.name}` | {key.kind} | {'yes' if key.required else 'no'} | "
                         f"{key.default} | {key.help} | `{key.example}` |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
