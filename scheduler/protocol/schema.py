"""The protocol file's schema: one table that drives validation, defaults and the docs.

Every key the checker accepts is listed here with whether it is required and what it
defaults to; ``checks`` reads both from this table (never a second copy), and
``schema_markdown`` writes docs/protocol-file.md's key reference from it, so the validator
and the documentation cannot disagree. A test pins that each required key is refused when
missing and each default is what a loaded protocol holds.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from scheduler.i18n import LANGUAGES

# Offsets beyond ten years are typing mistakes, not visit plans.
MAX_OFFSET = {"day": 3660, "week": 522, "month": 120, "minus": 366, "plus": 366}

# A visit code travels into calendar UIDs, file names and SDTM: keep it to safe characters.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ENROLLMENT = "enrollment"

# A visit's SDTM epoch when it has no `epoch` key, from its kind.
EPOCH_OF_KIND = {"screening": "SCREENING", "transplant": "TREATMENT", "treatment": "TREATMENT",
                 "follow-up": "FOLLOW-UP"}
# The terms the TS keys take (CDISC controlled terminology); other values are refused.
TERMS = {
    "phase": ("PHASE 0 TRIAL", "PHASE I TRIAL", "PHASE I/II TRIAL", "PHASE II TRIAL", "PHASE II/III TRIAL",
              "PHASE III TRIAL", "PHASE IV TRIAL", "NOT APPLICABLE"),
    "study_type": ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED ACCESS"),
    "intervention_model": ("SINGLE GROUP", "PARALLEL", "CROSS-OVER", "FACTORIAL", "SEQUENTIAL"),
    "blinding": ("OPEN LABEL", "SINGLE BLIND", "DOUBLE BLIND"),
    "sex_population": ("BOTH", "F", "M"),
    "category": ("INCLUSION", "EXCLUSION"),
}

# A default that is not a fixed value (it is computed from other keys) is None here and
# explained in ``shown_default``.
Default = str | int | tuple[str, ...] | None


class Key(NamedTuple):
    """One key of the protocol file: what it holds, whether it is required, its default."""

    name: str
    kind: str  # "text", "integer", "list of text", "timezone", "visit code", "list of weekdays"
    required: bool
    default: Default
    shown_default: str
    help: str
    example: str


SCHEMA: dict[str, tuple[Key, ...]] = {
    "study": (
        Key("id", "text", True, None, "—", "The study identifier (SDTM STUDYID).", '"NCT01143168"'),
        Key("title", "text", False, "", "empty", "The study's title, for report headers.",
            '"A Pilot Study…"'),
        Key("timezone", "timezone", True, None, "—",
            'IANA time-zone name: decides what "today" is.', '"Asia/Shanghai"'),
        Key("site_id", "text", False, "", "empty",
            "Site identifier for SDTM USUBJID; a roster `site` column overrides it.", '"01"'),
        Key("day0", "visit code", False, None, "the first visit",
            "The visit whose actual date is study Day 0 (SDTM reference date).", '"D0"'),
        Key("language", "language", False, None, "the computer's locale, else en",
            'The language people read: "en" or "zh-CN" ("zh", "zh_CN" and "zh-cn" also mean '
            "zh-CN); the `--lang` option and VISIT_SCHEDULER_LANG override it.", '"zh-CN"'),
        # Amendments: the versions of one study's protocol (protocol.toml and protocols/*.toml).
        Key("version", "text", False, None, "none",
            "This protocol version (amendments: the current one in protocol.toml, earlier ones in "
            "`protocols/`; docs/how-to/amendments.md).", '"2.0"'),
        Key("effective", "date", False, None, "none (required with `version`)",
            "The date this version takes effect (ethics approval), one date for all sites.", "2011-03-01"),
        # What SDTM's DM and TS say of the study (export sdtm); docs/sdtm.md.
        Key("country", "country code", False, None, "from `[clinic] country`",
            "ISO 3166-1 alpha-3 country of the site (SDTM DM COUNTRY).", '"CHN"'),
        Key("sponsor", "text", False, None, "none", "The sponsor (SDTM TS SPONSOR).",
            '"Cellonis Biotechnology Co. Ltd."'),
        Key("phase", "term", False, None, "none",
            "The trial phase, a CDISC TPHASE term (SDTM TS TPHASE).", '"PHASE I TRIAL"'),
        Key("study_type", "term", False, None, "none",
            "INTERVENTIONAL, OBSERVATIONAL or EXPANDED ACCESS (SDTM TS STYPE).", '"INTERVENTIONAL"'),
        Key("intervention_model", "term", False, None, "none",
            "A CDISC INTMODEL term such as SINGLE GROUP or PARALLEL (SDTM TS INTMODEL).", '"SINGLE GROUP"'),
        Key("blinding", "term", False, None, "none",
            "OPEN LABEL, SINGLE BLIND or DOUBLE BLIND (SDTM TS TBLIND).", '"OPEN LABEL"'),
        Key("randomized", "true or false", False, None, "none",
            "Whether participants are randomized (SDTM TS RANDOM).", "false"),
        Key("add_on", "true or false", False, None, "none",
            "Whether the treatment is added on to existing treatment (SDTM TS ADDON).", "false"),
        Key("planned_subjects", "integer", False, None, "none",
            "The planned number of participants (SDTM TS PLANSUB).", "24"),
        Key("age_min", "integer", False, None, "none", "The youngest age eligible, in years (SDTM TS AGEMIN).",
            "18"),
        Key("age_max", "integer", False, None, "none", "The oldest age eligible, in years (SDTM TS AGEMAX).",
            "50"),
        Key("sex_population", "term", False, None, "none",
            "BOTH, F or M: who may take part (SDTM TS SEXPOP).", '"BOTH"'),
        Key("indication", "text", False, None, "none", "The disease or condition studied (SDTM TS INDIC).",
            '"Type 1 Diabetes Mellitus"'),
        Key("treatment", "text", False, None, "none",
            "The investigational treatment (SDTM TS TRT; the planned arm's name without `[[arms]]`).",
            '"Autologous BM-MNC + UC-MSC"'),
        Key("registry_id", "text", False, None, "the `id` when it is an NCT number",
            "The ClinicalTrials.gov identifier (SDTM TS REGID).", '"NCT01143168"'),
        Key("start_date", "date", False, None, "the earliest consent date, else enrollment date",
            "The study's start (SDTM TS SSTDTC): a date, or year and month in quotes.", '"2010-08"'),
    ),
    "study.translations": (
        Key("title", "text", False, None, "the study's `title`", "The study's title in LANG.",
            '"自体骨髓单个核细胞联合脐带间充质干细胞移植治疗1型糖尿病"'),
    ),
    "clinic": (
        Key("country", "text", False, None, "none",
            "ISO country code for public holidays and official make-up working days.", '"CN"'),
        Key("weekdays", "list of weekdays", False, WEEKDAYS[:5], '["Mon", "Tue", "Wed", "Thu", "Fri"]',
            "The clinic's working weekdays.", '["Mon", "Tue", "Wed", "Thu", "Fri"]'),
        Key("closures", "text", False, None, "none",
            "A CSV file beside the protocol: `date,open,note` (open = no/yes).", '"closures.csv"'),
    ),
    "visits": (
        Key("code", "visit code", True, None, "—",
            "Short unique code: a letter or digit, then letters, digits, `_`, `.` or `-` "
            "(at most 20 characters).", '"D7"'),
        Key("name", "text", False, None, "the code", "The visit's name as nurses say it.",
            '"Transplantation 2 (intravenous)"'),
        Key("kind", "text", False, "", "empty",
            "A free word for the calendar category (no commas or semicolons).", '"transplant"'),
        Key("procedures", "list of text", False, (), "[]", "What is done at the visit.",
            '["examinations", "BM-MNC + UC-MSC infusion"]'),
        Key("anchor", "visit code", False, ENROLLMENT, '"enrollment"',
            '"enrollment" or the code of an earlier visit.', '"D0"'),
        Key("day", "integer", False, None, "—",
            "Offset from the anchor in days (exactly one of day / week / month).", "7"),
        Key("week", "integer", False, None, "—", "Offset from the anchor in weeks (7 days).", "2"),
        Key("month", "integer", False, None, "—",
            "Offset from the anchor in calendar months, clamped to the month's end.", "3"),
        Key("minus", "integer", False, 0, "0", "Days before the target still in the window.", "1"),
        Key("plus", "integer", False, 0, "0", "Days after the target still in the window.", "1"),
        Key("epoch", "term", False, None, "from `kind` (screening, transplant or treatment, follow-up)",
            "The SDTM epoch the visit belongs to: SCREENING, TREATMENT, FOLLOW-UP, …; `export sdtm` "
            "needs one for every visit.", '"TREATMENT"'),
        Key("visitnum", "number", False, None, "the visit's place in the file (1, 2, 3 …)",
            "The SDTM VISITNUM, fixed per code so later protocol versions never renumber a transfer.", "2"),
        Key("arms", "list of arm codes", False, (), "every arm",
            "The arms that have this visit (`[[arms]]` codes); a participant of another arm does not.",
            '["A"]'),
    ),
    "arms": (
        Key("code", "arm code", True, None, "—",
            "Short unique code of the arm, as the roster's `arm` column gives it (SDTM ARMCD).", '"A"'),
        Key("name", "text", False, None, "the code", "The arm's name (SDTM ARM).", '"Three transplants"'),
    ),
    "arms.translations": (
        Key("name", "text", False, None, "the arm's `name`", "The arm's name in LANG.", '"三次移植"'),
    ),
    "unscheduled": (
        Key("codes", "list of visit codes", False, ("UNS",), '["UNS"]',
            "Codes of unscheduled visits in the visits file: any number per participant, never judged.",
            '["UNS", "AE"]'),
    ),
    "criteria": (
        Key("category", "term", True, None, "—", "INCLUSION or EXCLUSION.", '"INCLUSION"'),
        Key("text", "text", True, None, "—", "The criterion in at most 200 characters (SDTM TI IETEST).",
            '"Type 1 diabetes for at least 2 years"'),
    ),
    "visits.translations": (
        Key("name", "text", False, None, "the visit's `name`", "The visit's name in LANG, as nurses say it.",
            '"第2次移植（经静脉）"'),
        Key("procedures", "list of text", False, None, "the visit's `procedures`",
            "What is done at the visit, in LANG.", '["方案规定的检查", "经静脉移植 BM-MNC + UC-MSC"]'),
    ),
}

# The tables a file holds at its top level; "T.translations" is the schema of the optional
# [T.translations.LANG] tables inside table T (one per language, any of i18n.LANGUAGES).
TRANSLATIONS = "translations"
TABLES = tuple(table for table in SCHEMA if "." not in table)


def key(table: str, name: str) -> Key:
    """The schema entry of one key (a KeyError is a bug: every key used is in SCHEMA)."""
    for entry in SCHEMA[table]:
        if entry.name == name:
            return entry
    raise KeyError(f"{table}.{name}")


def schema_markdown() -> str:
    """The key reference of docs/protocol-file.md, generated from SCHEMA."""
    lines: list[str] = []
    languages = " or ".join(LANGUAGES)
    titles = {"study": "[study]",
              "study.translations": f"[study.translations.LANG] (optional; LANG: {languages})",
              "clinic": "[clinic] (optional)", "visits": "[[visits]] (one per visit)",
              "criteria": "[[criteria]] (optional, one per eligibility criterion; SDTM TI)",
              "arms": "[[arms]] (optional, one per arm; the roster's `arm` column names one)",
              "arms.translations": f"[arms.translations.LANG] (optional, after the arm's keys; LANG: {languages})",
              "unscheduled": "[unscheduled] (optional)",
              "visits.translations": f"[visits.translations.LANG] (optional, after the visit's keys; "
                                     f"LANG: {languages})"}
    for table, keys in SCHEMA.items():
        lines.append(f"### {titles[table]}")
        lines.append("")
        lines.append("| key | holds | required | default | meaning | example |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for entry in keys:
            lines.append(f"| `{entry.name}` | {entry.kind} | {'yes' if entry.required else 'no'} | "
                         f"{entry.shown_default} | {entry.help} | `{entry.example}` |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
