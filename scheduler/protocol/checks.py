"""Every problem in a parsed protocol file, found at once; a frozen Protocol when none.

What is required and what a missing key defaults to come from ``schema.SCHEMA``: the
checker never states them a second time.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scheduler.errors import Problem
from scheduler.i18n import LANGUAGES, _, language_named, ngettext
from scheduler.protocol.locator import Locator
from scheduler.protocol.model import UNITS, Arm, Clinic, Criterion, Design, Protocol, Unit, Visit, VisitWords
from scheduler.protocol.schema import (
    CODE_PATTERN,
    ENROLLMENT,
    EPOCH_OF_KIND,
    MAX_OFFSET,
    SCHEMA,
    TABLES,
    TERMS,
    TRANSLATIONS,
    WEEKDAYS,
    Key,
)
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
                     table_name: str, occurrence: int, subtables: bool = False,
                     at: Callable[[str], int | None] | None = None, keys_of: str | None = None) -> None:
        """Keys the schema does not list; with ``subtables``, ``translations`` (the
        [T.translations.LANG] tables) is the table's own too. ``at`` (default: the key's line
        in ``table_name``) locates a key; ``keys_of`` names the table in the list of its keys."""
        names = [entry.name for entry in known]
        for key in table:
            if key not in names and not (subtables and key == TRANSLATIONS):
                guess = _close_matches(key, names)
                if guess:
                    fix = _("did you mean '{key}'?").format(key=guess[0])
                else:
                    # TRANSLATORS: {where} is a table ("[study]") or a visit ("visit 2 (D7)").
                    fix = _("the keys of {where} are: {keys}").format(where=keys_of or label,
                                                                      keys=", ".join(names))
                line = at(key) if at is not None else self.where.key_line(table_name, occurrence, key)
                # TRANSLATORS: {where} is a table ("[study]") or a visit ("visit 2 (D7)").
                self.add(_("{where}: unknown key '{key}'").format(where=label, key=key), line, fix)

    def text(self, table: dict[str, Any], key: str, label: str, table_name: str,
             occurrence: int = 0, schema_table: str | None = None,
             at: Callable[[str], int | None] | None = None) -> str | None:
        """A text key; None when it is absent (a problem when the schema requires it).
        ``table_name`` and ``occurrence`` locate it (or ``at``, given the key); ``schema_table``
        (default ``table_name``) is the table of SCHEMA that describes it."""
        spec_table = schema_table or table_name
        required = _spec(spec_table, key).required
        value = table.get(key)
        line = at(key) if at is not None else self.where.key_line(table_name, occurrence, key)
        if value is None:
            if required:
                self.add(_("{where}: '{key}' is missing").format(where=label, key=key),
                         self.where.table_line(table_name, occurrence),
                         _("add a line such as {key} = {example}").format(
                             key=key, example=_example(spec_table, key)))
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(_("{where}: '{key}' must be text in quotes").format(where=label, key=key), line,
                     _("write it as {key} = {example}").format(key=key, example=_example(spec_table, key)),
                     value)
            return None
        return value.strip()

    def text_list(self, table: dict[str, Any], key: str, label: str, line: int | None,
                  example: str) -> tuple[str, ...] | None:
        """A list-of-text key, its items stripped and empty ones left out; None when absent
        or not a list of text (a problem then)."""
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.add(_("{where}: '{key}' must be a list of text").format(where=label, key=key), line,
                     _("write it as {key} = {example}").format(key=key, example=example), value)
            return None
        return tuple(item.strip() for item in value if item.strip())

    def check(self, data: dict[str, Any], base_folder: Path | None) -> Protocol | None:
        for table in data:
            if table not in TABLES:
                guess = _close_matches(table, list(TABLES))
                fix = (_("did you mean [{table}]?").format(table=guess[0]) if guess
                       else _("a protocol file has [study] and [[visits]], and may have [clinic], "
                              "[[arms]], [unscheduled] and [[criteria]]"))
                self.add(_("unknown table '{table}'").format(table=table), self.where.table_line(table), fix)

        study = data.get("study")
        if not isinstance(study, dict):
            self.add(_("the [study] table is missing"), None,
                     _('add [study] with id = "…" and timezone = "…" (for example "Asia/Shanghai")'))
            study = {}
        else:
            self.unknown_keys(study, SCHEMA["study"], "[study]", "study", 0, subtables=True)
        study_id = self.text(study, "id", "[study]", "study")
        timezone = self.text(study, "timezone", "[study]", "study")
        if timezone is not None and not _is_timezone(timezone):
            self.add(_("[study]: 'timezone' is not a known IANA time-zone name"),
                     self.where.key_line("study", 0, "timezone"),
                     _('use a name such as "Asia/Shanghai" or "Europe/London"'), timezone)
            timezone = None
        title = self.text(study, "title", "[study]", "study") or _default("study", "title", str)
        site_id = self.text(study, "site_id", "[study]", "study") or _default("study", "site_id", str)
        language = self.language(study)
        version, effective = self.version(study)
        title_translations = {
            lang: words["title"]
            for lang, words in self.translations(study, "[study]", "study", 0).items()
            if "title" in words}

        clinic = self.check_clinic(data.get("clinic"), base_folder)
        arms, arm_codes = self.check_arms(data.get("arms"))
        visits = self.check_visits(data.get("visits"))
        self.check_visit_arms(visits, arm_codes, data.get("visits"))
        unscheduled = self.check_unscheduled(data.get("unscheduled"), visits)
        design = self.check_design(study, study_id, self.check_criteria(data.get("criteria")))

        day0 = self.text(study, "day0", "[study]", "study")
        codes = [visit.code for visit in visits]
        if day0 is not None and codes and day0 not in codes:
            self.add(_("[study]: 'day0' names no visit of the protocol"),
                     self.where.key_line("study", 0, "day0"),
                     _("use one of the visit codes: {codes}").format(codes=", ".join(codes)), day0)
        self.check_reach(visits)
        reference = day0 if day0 is not None else (codes[0] if codes else None)
        raw_visits = data.get("visits")
        every_visit = isinstance(raw_visits, list) and len(raw_visits) == len(visits)  # none left out
        if arms and every_visit and reference in codes:
            chosen = next(visit for visit in visits if visit.code == reference)
            if chosen.arms and not {arm.code for arm in arms} <= set(chosen.arms):
                self.add(_("[study]: the Day 0 visit is {visit}, which not every arm has").format(visit=reference),
                         self.where.key_line("study", 0, "day0") or self.where.table_line("visits", 0),
                         _("the Day 0 visit is every participant's SDTM reference date: choose a visit every "
                           "arm has with day0 = \"…\""))
        if self.problems or study_id is None or timezone is None or not visits:
            return None
        return Protocol(study_id=study_id, timezone=timezone, visits=tuple(visits), title=title,
                        site_id=site_id, day0=day0 or codes[0], clinic=clinic, source=self.source,
                        language=language, title_translations=title_translations, design=design,
                        arms=tuple(arms), unscheduled=unscheduled, version=version or "",
                        effective=effective)

    def version(self, study: dict[str, Any]) -> tuple[str | None, datetime.date | None]:
        """[study] version and effective: text and a TOML date, the one with the other."""
        version = self.text(study, "version", "[study]", "study")
        if version is not None and (version.startswith(("=", "+", "-", "@")) or not version.isprintable()):
            self.add(_("[study]: 'version' must begin with a letter or a digit, on one line"),
                     self.where.key_line("study", 0, "version"), _('write it as version = "2.0"'), version)
            version = None
        effective = study.get("effective")
        line = self.where.key_line("study", 0, "effective")
        if effective is not None and (not isinstance(effective, datetime.date)
                                      or isinstance(effective, datetime.datetime)):
            self.add(_("[study]: 'effective' must be a date, written without quotes (2011-03-01)"),
                     line, None, effective)
            return version, None
        if version is not None and effective is None:
            self.add(_("[study]: version {version} has no 'effective' date").format(version=version),
                     self.where.key_line("study", 0, "version"),
                     _("add effective = 2011-03-01 (the day this version takes effect) under [study]"))
        if effective is not None and "version" not in study:  # a version of the wrong kind is said above
            self.add(_("[study]: 'effective' without a 'version'"), line,
                     _('add version = "1.0" (the version this file is) under [study]'))
        return version, effective

    def check_arms(self, arms: Any) -> tuple[list[Arm], list[str] | None]:
        """[[arms]]: each a code (as a visit code: it travels into SDTM ARMCD and file names)
        and a name; codes distinct. The arms, and the usable codes written in [[arms]] (None
        without [[arms]]): an arm with another problem (an unknown key) is still an arm its
        visits may name."""
        if arms is None:
            return [], None
        if not isinstance(arms, list) or not all(isinstance(item, dict) for item in arms):
            self.add(_("'arms' must be written as [[arms]] tables"), self.where.table_line("arms"),
                     _("write each arm under its own [[arms]] header"))
            return [], []
        found: list[Arm] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(arms):
            code_value = raw.get("code")
            # TRANSLATORS: the 2nd [[arms]] table of the protocol file, whose code is B: "arm 2 (B)".
            label = (_("arm {number} ({code})").format(number=index + 1, code=code_value)
                     if isinstance(code_value, str) else _("arm {number}").format(number=index + 1))
            start = len(self.problems)
            self.unknown_keys(raw, SCHEMA["arms"], label, "arms", index, subtables=True)
            code = self.text(raw, "code", label, "arms", index)
            if code is not None:
                if not CODE_PATTERN.match(code):
                    self.add(_("{where}: 'code' has characters an arm code cannot hold").format(where=label),
                             self.where.key_line("arms", index, "code"),
                             _("start with a letter or digit; then letters, digits, _ . - ; at most 20"), code)
                elif code in seen:
                    self.add(_("{where}: arm code '{code}' is used twice (also arm {other})").format(
                                 where=label, code=code, other=seen[code] + 1),
                             self.where.key_line("arms", index, "code"), _("give every arm its own code"))
                else:
                    seen[code] = index
            name = self.text(raw, "name", label, "arms", index) or code or ""
            words = {language: given["name"] for language, given in
                     self.translations(raw, label, "arms", index).items() if "name" in given}
            if len(self.problems) == start and code is not None:
                found.append(Arm(code, name, words))
        return found, list(seen)

    def check_visit_arms(self, visits: list[Visit], arm_codes: list[str] | None, raw_visits: Any) -> None:
        """Each visit's `arms` names arms of [[arms]] (``arm_codes``: None without [[arms]]); a
        visit's anchor is a visit every one of its arms has (else a participant of that arm
        would have a window hung on nothing). A visit is named by its place in the file
        (``raw_visits``): a visit before it may have had problems of its own."""
        if arm_codes is not None and not arm_codes:
            return  # [[arms]] holds no usable code: said there
        codes = arm_codes or []
        places: dict[str, int] = {}
        for place, raw in enumerate(raw_visits if isinstance(raw_visits, list) else []):
            written = raw.get("code") if isinstance(raw, dict) else None
            if isinstance(written, str):
                places.setdefault(written.strip(), place)
        by_code = {visit.code: visit for visit in visits}
        for visit in visits:
            index = places[visit.code]
            label = _visit_label(index + 1, visit.code)
            line = self.where.key_line("visits", index, "arms")
            unknown = [arm for arm in visit.arms if arm not in codes]
            if unknown and not codes:
                self.add(_("{where}: 'arms' names arms, but the protocol has no [[arms]]").format(where=label),
                         line, _("add an [[arms]] table for each arm, or remove 'arms'"), list(visit.arms))
                continue
            if unknown:
                self.add(_("{where}: 'arms' names no arm of [[arms]]: {arms}").format(
                             where=label, arms=", ".join(unknown)), line,
                         _("use the codes of [[arms]]: {codes}").format(codes=", ".join(codes)), list(visit.arms))
                continue
            if visit.anchor == ENROLLMENT or visit.anchor not in by_code:
                continue
            mine = set(visit.arms or codes)
            anchor = by_code[visit.anchor]
            lacking = sorted(mine - set(anchor.arms or codes), key=codes.index) if codes else []
            if lacking:
                self.add(ngettext("{where}: anchored on {anchor}, which arm {arms} does not have",
                                  "{where}: anchored on {anchor}, which arms {arms} do not have",
                                  len(lacking)).format(where=label, anchor=anchor.code, arms=", ".join(lacking)),
                         self.where.key_line("visits", index, "anchor"),
                         _("anchor it on a visit every arm of it has, or give it only the arms {anchor} has").format(
                             anchor=anchor.code))

    def check_unscheduled(self, table: Any, visits: list[Visit]) -> tuple[str, ...]:
        """[unscheduled] codes: visit codes the visits file may use for unscheduled visits
        (default UNS), none of them a protocol visit's."""
        default: tuple[str, ...] = _default("unscheduled", "codes", tuple)
        if table is None:
            # A protocol written before unscheduled visits existed may have a planned visit
            # coded UNS: it stays a planned visit.
            return tuple(code for code in default if code not in {visit.code for visit in visits})
        line = self.where.table_line("unscheduled")
        if not isinstance(table, dict):
            self.add(_("'unscheduled' must be a table: [unscheduled]"), line)
            return default
        self.unknown_keys(table, SCHEMA["unscheduled"], "[unscheduled]", "unscheduled", 0)
        codes = self.text_list(table, "codes", "[unscheduled]", self.where.key_line("unscheduled", 0, "codes"),
                               '["UNS"]')
        planned = {visit.code for visit in visits}
        if codes is None:
            return tuple(code for code in default if code not in planned)
        for code in codes:
            key_line = self.where.key_line("unscheduled", 0, "codes")
            if not CODE_PATTERN.match(code) or code.casefold() == ENROLLMENT:
                self.add(_("[unscheduled]: '{code}' has characters a visit code cannot hold").format(code=code),
                         key_line, _("start with a letter or digit; then letters, digits, _ . - ; at most 20"))
            elif code in planned:
                self.add(_("[unscheduled]: '{code}' is also a planned visit's code").format(code=code), key_line,
                         _("give unscheduled visits a code of their own, such as UNS"))
        return tuple(dict.fromkeys(codes))

    def check_design(self, study: dict[str, Any], study_id: str | None,
                     criteria: tuple[Criterion, ...]) -> Design:
        """The [study] keys SDTM's TS and DM read; each absent one stays None."""
        def line(key: str) -> int | None:
            return self.where.key_line("study", 0, key)

        texts = {name: self.text(study, name, "[study]", "study")
                 for name in ("sponsor", "indication", "treatment", "registry_id")}
        terms = {name: self.term(study, name, "[study]", line(name), TERMS[name])
                 for name in ("phase", "study_type", "intervention_model", "blinding", "sex_population")}
        flags = {name: self.boolean(study, name, "[study]", line(name)) for name in ("randomized", "add_on")}
        numbers = {name: self.count(study, name, "[study]", line(name), 1 if name == "planned_subjects" else 0)
                   for name in ("planned_subjects", "age_min", "age_max")}
        if (numbers["age_min"] is not None and numbers["age_max"] is not None
                and numbers["age_min"] > numbers["age_max"]):
            self.add(_("[study]: 'age_min' is above 'age_max'"), line("age_min"), _("check both ages"),
                     numbers["age_min"])
        country = self.text(study, "country", "[study]", "study")
        if country is not None:
            country = country.upper()
            if not re.fullmatch(r"[A-Z]{3}", country):
                self.add(_("[study]: 'country' must be an ISO 3166 three-letter code"), line("country"),
                         _('for China write country = "CHN"'), country)
                country = None
        registry = texts["registry_id"]
        if registry is None and study_id is not None and re.fullmatch(r"NCT\d{8}", study_id):
            registry = study_id
        return Design(country=country, sponsor=texts["sponsor"], indication=texts["indication"],
                      treatment=texts["treatment"], registry_id=registry,
                      phase=terms["phase"], study_type=terms["study_type"],
                      intervention_model=terms["intervention_model"], blinding=terms["blinding"],
                      sex_population=terms["sex_population"], randomized=flags["randomized"],
                      add_on=flags["add_on"], planned_subjects=numbers["planned_subjects"],
                      age_min=numbers["age_min"], age_max=numbers["age_max"],
                      start_date=self.start_date(study, line("start_date")), criteria=criteria)

    def check_criteria(self, criteria: Any) -> tuple[Criterion, ...]:
        """[[criteria]]: each a category (INCLUSION / EXCLUSION) and a text of at most 200
        characters (an SDTM TI IETEST holds no more)."""
        if criteria is None:
            return ()
        if not isinstance(criteria, list) or not all(isinstance(item, dict) for item in criteria):
            self.add(_("'criteria' must be written as [[criteria]] tables"), self.where.table_line("criteria"),
                     _("write each criterion under its own [[criteria]] header"))
            return ()
        found: list[Criterion] = []
        for index, raw in enumerate(criteria):
            # TRANSLATORS: the 2nd [[criteria]] table of the protocol file: "criterion 2".
            label = _("criterion {number}").format(number=index + 1)
            start = len(self.problems)
            self.unknown_keys(raw, SCHEMA["criteria"], label, "criteria", index)
            category = self.term(raw, "category", label, self.where.key_line("criteria", index, "category"),
                                 TERMS["category"])
            if category is None and "category" not in raw:
                self.add(_("{where}: 'category' is missing").format(where=label),
                         self.where.table_line("criteria", index),
                         _('add a line such as category = "INCLUSION"'))
            text = self.text(raw, "text", label, "criteria", index)
            if text is not None and len(text) > 200:
                self.add(_("{where}: 'text' is longer than 200 characters ({count})").format(
                             where=label, count=len(text)),
                         self.where.key_line("criteria", index, "text"),
                         _("shorten it: SDTM keeps at most 200 characters of a criterion"))
            if len(self.problems) == start and category is not None and text is not None:
                found.append(Criterion(category, text))
        return tuple(found)

    def term(self, table: dict[str, Any], key: str, label: str, line: int | None,
             terms: tuple[str, ...]) -> str | None:
        """A controlled term, any case (stored upper-case); None when absent or not a term."""
        if key not in table:
            return None
        value = table[key]
        chosen = value.strip().upper() if isinstance(value, str) else None
        if chosen not in terms:
            self.add(_("{where}: '{key}' is not one of its CDISC terms").format(where=label, key=key), line,
                     _("use one of: {terms}").format(terms=", ".join(terms)), value)
            return None
        return chosen

    def boolean(self, table: dict[str, Any], key: str, label: str, line: int | None) -> bool | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, bool):
            self.add(_("{where}: '{key}' must be true or false").format(where=label, key=key), line,
                     _("write it without quotes: {key} = false").format(key=key), value)
            return None
        return value

    def count(self, table: dict[str, Any], key: str, label: str, line: int | None, least: int) -> int | None:
        """A whole number of at least ``least`` (planned subjects, ages)."""
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= 1_000_000:
            self.add(_("{where}: '{key}' must be a whole number of at least {least}").format(
                         where=label, key=key, least=least), line,
                     _("write it without quotes or decimals, for example {key} = {example}").format(
                         key=key, example=schema_key("study", key).example), value)
            return None
        return value

    def start_date(self, study: dict[str, Any], line: int | None) -> str | None:
        """[study] start_date: a TOML date, or "YYYY-MM" / "YYYY-MM-DD" text (a registry
        often gives only the month); as ISO 8601 text."""
        if "start_date" not in study:
            return None
        value = study["start_date"]
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()
        if isinstance(value, str):
            given = value.strip()
            try:
                if re.fullmatch(r"\d{4}-\d{2}", given):
                    datetime.date.fromisoformat(given + "-01")
                    return given
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", given):
                    return datetime.date.fromisoformat(given).isoformat()
            except ValueError:
                pass
        self.add(_("[study]: 'start_date' must be a date (2010-08-01) or a year and month in quotes "
                   "(\"2010-08\")"), line, None, value)
        return None

    def language(self, study: dict[str, Any]) -> str | None:
        """[study] language, as its canonical name ("zh_CN" → "zh-CN"); None when absent
        or unknown (a problem then)."""
        given = self.text(study, "language", "[study]", "study")
        if given is None:
            return None
        language = language_named(given)
        if language is None:
            self.add(_("[study]: 'language' is not a language visit-scheduler speaks"),
                     self.where.key_line("study", 0, "language"),
                     _("use one of the languages there are: {languages}").format(
                         languages=", ".join(LANGUAGES)), given)
        return language

    def translations(self, owner: dict[str, Any], label: str, table: str,
                     occurrence: int) -> dict[str, dict[str, Any]]:
        """The [TABLE.translations.LANG] tables of one table (``occurrence`` of ``table``):
        each language's checked keys (text stripped, lists as tuples), by canonical language.
        Unknown languages, keys and values of the wrong type are problems."""
        given = owner.get(TRANSLATIONS)
        if given is None:
            return {}
        schema_table = f"{table}.{TRANSLATIONS}"
        if not isinstance(given, dict):
            self.add(_("{where}: 'translations' must be tables such as [{table}.translations.zh-CN]").format(
                         where=label, table=table),
                     self.where.key_line(table, occurrence, TRANSLATIONS),
                     _("write each language's words under its own [{table}.translations.LANG] header").format(
                         table=table), given)
            return {}
        found: dict[str, dict[str, Any]] = {}
        spelled: dict[str, str] = {}
        for written, words in given.items():
            header = f"{schema_table}.{written}"
            # Where the words stand: their own header, else (an inline or dotted table) the
            # key "translations" of the table they belong to.
            within = self.where.table_within(header, table, occurrence)
            place = (header, within) if within is not None else (table, occurrence)
            line = (self.where.table_line(header, within) if within is not None
                    else self.where.key_line(table, occurrence, TRANSLATIONS))

            def at(key: str, header: str = header, within: int | None = within) -> int | None:
                if within is None:  # an inline or dotted table: the line of "translations"
                    return self.where.key_line(table, occurrence, TRANSLATIONS)
                return self.where.key_line(header, within, key)

            # "[study.translations.zh-CN]", "visit 2 (D7): [visits.translations.zh-CN]".
            where = f"[{header}]" if table == "study" else f"{label}: [{header}]"
            language = language_named(written)
            if language is None:
                self.add(_("{where}: '{language}' is not a language visit-scheduler speaks").format(
                             where=where, language=written), line,
                         _("use one of the languages there are: {languages}").format(
                             languages=", ".join(LANGUAGES)))
                continue
            if not isinstance(words, dict):
                self.add(_("{where}: the translation must be a table, under its own [{header}] header").format(
                             where=where, header=header), line, None, words)
                continue
            if language in spelled:
                self.add(_("{where}: a second translation into {language} (also [{other}])").format(
                             where=where, language=language, other=f"{schema_table}.{spelled[language]}"),
                         line, _("keep one table per language"))
                continue
            spelled[language] = written
            self.unknown_keys(words, SCHEMA[schema_table], where, *place, at=at,
                              keys_of=f"[{schema_table}.LANG]")
            checked: dict[str, Any] = {}
            for entry in SCHEMA[schema_table]:
                if entry.kind == "list of text":
                    value: Any = self.text_list(words, entry.name, where, at(entry.name), entry.example)
                else:
                    value = self.text(words, entry.name, where, *place, schema_table=schema_table, at=at)
                if value is not None:
                    checked[entry.name] = value
            found[language] = checked
        return found

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
                self.add(_("{where}: its window would close more than {years} years after enrollment, "
                           "beyond the dates a study can have (1900–2199)").format(
                             where=_visit_label(index + 1, visit.code), years=MAX_REACH_DAYS // 365),
                         self.where.table_line("visits", index),
                         _("check the offsets (day / week / month) of this visit and the visits it "
                           "hangs on"))
                return

    def check_clinic(self, clinic: Any, base_folder: Path | None) -> Clinic | None:
        if clinic is None:
            return None
        line = self.where.table_line("clinic")
        if not isinstance(clinic, dict):
            self.add(_("'clinic' must be a table: [clinic]"), line)
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
                self.add(_("[clinic]: 'weekdays' must be a list of weekday names"), key_line,
                         _('use names from {weekdays}, for example ["Mon", "Tue", "Wed", "Thu", "Fri"]').format(
                             weekdays=", ".join(WEEKDAYS)), value)
            elif len(set(value)) != len(value):
                self.add(_("[clinic]: 'weekdays' names a day twice"), key_line, _("list each day once"), value)
            else:
                weekdays = tuple(day for day in WEEKDAYS if day in value)
        closures_name = self.text(clinic, "closures", "[clinic]", "clinic")
        closures = None
        if closures_name is not None:
            closures = (base_folder or Path.cwd()) / closures_name
        return Clinic(country=country, weekdays=weekdays, closures=closures)

    def check_visits(self, visits: Any) -> list[Visit]:
        if visits is None:
            self.add(_("the protocol has no visits"), None,
                     _("add one [[visits]] table per visit, each with a code and one of day / week / month"))
            return []
        if not isinstance(visits, list) or not all(isinstance(v, dict) for v in visits):
            self.add(_("'visits' must be written as [[visits]] tables"), self.where.table_line("visits"),
                     _("write each visit under its own [[visits]] header"))
            return []
        result: list[Visit] = []
        seen: dict[str, int] = {}
        all_codes = [v.get("code") for v in visits]
        for index, raw in enumerate(visits):
            visit = self.check_visit(index, raw, seen, all_codes)
            if visit is not None:
                result.append(visit)
        numbers: dict[float, str] = {}
        for number, visit in enumerate(result, start=1):
            visitnum = visit.visitnum if visit.visitnum is not None else float(number)
            if visitnum in numbers:
                self.add(_("{where}: VISITNUM {number} is also the VISITNUM of {other}").format(
                             where=_visit_label(seen[visit.code] + 1, visit.code), number=f"{visitnum:g}",
                             other=numbers[visitnum]),
                         self.where.key_line("visits", seen[visit.code], "visitnum")
                         or self.where.table_line("visits", seen[visit.code]),
                         _("give each visit its own visitnum (a visit without one takes its place in the "
                           "file: 1, 2, 3 …)"))
            numbers[visitnum] = visit.code
        return result

    def check_visit(self, index: int, raw: dict[str, Any], seen: dict[str, int],
                    all_codes: list[Any]) -> Visit | None:
        number = index + 1
        code_value = raw.get("code")
        label = _visit_label(number, code_value if isinstance(code_value, str) else None)
        start = len(self.problems)

        def line(key: str) -> int | None:
            return self.where.key_line("visits", index, key)

        self.unknown_keys(raw, SCHEMA["visits"], label, "visits", index, subtables=True)
        code = self.text(raw, "code", label, "visits", index)
        if code is not None:
            if code.casefold() == ENROLLMENT:
                self.add(_("{where}: 'enrollment' cannot be a visit code").format(where=label), line("code"),
                         _('it is the word for the enrollment date in "anchor": choose another code'),
                         code)
            elif not CODE_PATTERN.match(code):
                self.add(_("{where}: 'code' has characters a visit code cannot hold").format(where=label),
                         line("code"),
                         _("start with a letter or digit; then letters, digits, _ . - ; at most 20"),
                         code)
            elif code in seen:
                self.add(_("{where}: visit code '{code}' is used twice (also visit {other})").format(
                             where=label, code=code, other=seen[code] + 1),
                         line("code"), _("give every visit its own code"))
            else:
                seen[code] = index

        offsets = [unit for unit in UNITS if unit in raw]
        unit: Unit | None = None
        amount = 0
        if len(offsets) != 1:
            if not offsets:
                message = _("{where}: needs exactly one of day / week / month (found none)")
            elif len(offsets) == 2:
                message = _("{where}: needs exactly one of day / week / month (found {first} and {second})")
            else:
                message = _("{where}: needs exactly one of day / week / month "
                            "(found {first} and {second} and {third})")
            self.add(message.format(where=label, **dict(zip(("first", "second", "third"), offsets,
                                                            strict=False))),
                     self.where.table_line("visits", index),
                     _("give the offset from the anchor once, for example day = 7"))
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
                self.add(_("{where}: 'anchor' must be text in quotes").format(where=label), line("anchor"),
                         _('write "enrollment" or the code of an earlier visit'), value)
            else:
                anchor = value.strip()
                if anchor != ENROLLMENT and (anchor not in seen or anchor == code):
                    if anchor == code:
                        self.add(_("{where}: the visit is anchored on itself").format(where=label),
                                 line("anchor"), _('anchor it on "enrollment" or on an earlier visit'), anchor)
                    elif anchor in all_codes:
                        self.add(_("{where}: anchored on '{anchor}', which comes later in the file").format(
                                     where=label, anchor=anchor),
                                 line("anchor"),
                                 _("move this visit below its anchor; a chain of anchors cannot loop"),
                                 anchor)
                    else:
                        known = [c for c in all_codes[:index] if isinstance(c, str)]
                        fix = (_('use "enrollment" or one of the earlier codes: {codes}').format(
                                   codes=", ".join(known)) if known
                               else _('use "enrollment" or one of the earlier codes: (none yet)'))
                        self.add(_("{where}: 'anchor' names no visit").format(where=label), line("anchor"),
                                 fix, anchor)

        name = self.text(raw, "name", label, "visits", index) or code or ""
        kind = self.text(raw, "kind", label, "visits", index) or _default("visits", "kind", str)
        if re.search(r"[,;]", kind):
            self.add(_("{where}: 'kind' cannot hold a comma or a semicolon").format(where=label), line("kind"),
                     _("Outlook splits calendar categories on them: use one word"), kind)
        procedures: tuple[str, ...] = _default("visits", "procedures", tuple)
        listed = self.text_list(raw, "procedures", label, line("procedures"), '["examinations", "HbA1c"]')
        if listed is not None:
            procedures = listed
        translations = {
            language: VisitWords(name=words.get("name", ""), procedures=words.get("procedures", ()))
            for language, words in self.translations(raw, label, "visits", index).items()}

        epoch = EPOCH_OF_KIND.get(kind.casefold(), "")
        given_epoch = self.text(raw, "epoch", label, "visits", index)
        if given_epoch is not None:
            epoch = given_epoch.upper()
            if not re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{0,39}", epoch):
                self.add(_("{where}: 'epoch' must be an SDTM epoch such as TREATMENT or FOLLOW-UP").format(
                             where=label), line("epoch"),
                         _("use letters, digits, spaces and hyphens; at most 40"), given_epoch)
        visit_arms = self.text_list(raw, "arms", label, line("arms"), '["A"]') or ()
        if "arms" in raw and isinstance(raw["arms"], list) and not visit_arms:
            self.add(_("{where}: 'arms' is empty: no participant would have the visit").format(where=label),
                     line("arms"), _("name the arms that have it, or leave 'arms' out for every arm"))
        visitnum: float | None = None
        if "visitnum" in raw:
            value = raw["visitnum"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 100_000:
                self.add(_("{where}: 'visitnum' must be a number above 0").format(where=label), line("visitnum"),
                         _("write it without quotes, for example visitnum = 2"), value)
            else:
                visitnum = float(value)

        if len(self.problems) > start or code is None or unit is None:
            return None
        return Visit(code=code, name=name, anchor=anchor, unit=unit, amount=amount,
                     minus=minus, plus=plus, kind=kind, procedures=procedures, translations=translations,
                     epoch=epoch, visitnum=visitnum, arms=tuple(dict.fromkeys(visit_arms)))

    def integer(self, raw: dict[str, Any], key: str, label: str, line: int | None,
                allow_negative: bool = False) -> int | None:
        if key not in raw:
            return None
        value = raw[key]
        # bool is an int in Python; `plus = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(_("{where}: '{key}' must be a whole number").format(where=label, key=key), line,
                     _("write it without quotes or decimals, for example {key} = 7").format(key=key), value)
            return None
        if value < 0 and not allow_negative:
            fix = (_("'{key}' counts days before the target: use 0 or more") if key == "minus"
                   else _("'{key}' counts days after the target: use 0 or more"))
            self.add(_("{where}: '{key}' cannot be negative").format(where=label, key=key), line,
                     fix.format(key=key), value)
            return None
        if abs(value) > MAX_OFFSET[key]:
            self.add(_("{where}: '{key}' is more than ten years' worth ({limit})").format(
                         where=label, key=key, limit=MAX_OFFSET[key]), line,
                     _("check the number"), value)
            return None
        return value


def _visit_label(number: int, code: str | None) -> str:
    """How messages name a visit: "visit 2 (D7)", or "visit 2" when it has no usable code."""
    if code is None:
        return _("visit {number}").format(number=number)
    # TRANSLATORS: the 2nd [[visits]] table of the file, whose code is D7: "visit 2 (D7)".
    return _("visit {number} ({code})").format(number=number, code=code)


def _close_matches(word: str, names: list[str]) -> list[str]:
    """The known name closest to a misspelt one (at most one), for "did you mean"."""
    import difflib  # only for a misspelt key: 1 ms of every start otherwise

    return difflib.get_close_matches(word, names, n=1)


def _show(value: Any) -> str:
    """A value as it is written in TOML, for messages."""
    import json  # only for a message: 1 ms of every start otherwise

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


_IANA_SHAPE = re.compile(r"(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)"
                         r"(?:/[A-Za-z0-9_+-]+){1,2}|UTC")


def _is_timezone(name: str) -> bool:
    # Only real IANA names: "localtime", "posixrules" or "Factory" would follow the computer.
    # A name of the usual shape (Asia/Shanghai) is looked up directly; listing every zone
    # (zoneinfo.available_timezones) costs 15 ms of every command's start.
    if _IANA_SHAPE.fullmatch(name):
        from scheduler.protocol.loading import system_zone

        if system_zone(name):
            return True
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return False
        return True
    return name in _timezones()


@functools.lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    # zoneinfo (with the tzdata package where the system has none) is what pendulum uses too.
    import zoneinfo

    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}



def country_problem(protocol: Protocol) -> Problem | None:
    """A [clinic] country that the holidays package does not know, said as a Problem.

    Checked by ``protocol`` and where clinic days are computed, not on every load; the
    package's registry is read without importing the package (protocol.countries)."""
    if protocol.clinic is None or protocol.clinic.country is None:
        return None
    from scheduler.protocol.countries import known

    if known(protocol.clinic.country):
        return None
    return Problem(protocol.source, _("[clinic]: 'country' is not a country the holidays package knows"),
                   value=protocol.clinic.country, fix=_("use an ISO 3166 two-letter code, such as CN"))
