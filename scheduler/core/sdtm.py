"""CDISC SDTM (SDTMIG 3.4) from the protocol, the roster and the check table: the trial
design (TS, TA, TE, TV, TI) and the subjects (DM, SE, DS, SV, DV, SUPPDV). What each
dataset holds is ``sdtm_spec``; the rules are docs/sdtm.md; ``outputs.sdtm_files`` writes.

Everything is computed on participant × visit arrays (the check table's rows scattered into
them by participant and visit: with arms a participant has only their arm's visits, and the
cells of the others stay empty), element by element or visit by visit, never per
participant.

Study days. SDTM has no day 0: the reference date (RFSTDTC, the actual date of the
protocol's Day 0 visit, ``[study] day0``) is study day 1 and the day before is day −1. This
protocol counts from Day 0, so Day 7 is SDTM day 8. A participant whose Day 0 visit has no
actual date yet has no study days. VISITDY counts the planned day the same way from the Day
0 visit's target (D7 → 8), and is empty for a visit set in calendar months (or anchored on
one): its day varies with the calendar.

Values: text as str ("" when empty), dates as ISO 8601 text, numbers as float (NaN when
empty); the writers give each its type from ``sdtm_spec``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.core.arms import row_participants
from scheduler.core.records import Unscheduled
from scheduler.core.sdtm_spec import DATASETS, ORDER, SDTMIG_VERSION, SUPPLEMENTAL
from scheduler.core.words import DEVIATIONS, JUDGED, STATUSES, Status
from scheduler.errors import ExportRefused, Problem
from scheduler.i18n import _, ngettext
from scheduler.protocol import ENROLLMENT, Protocol

NAT = np.datetime64("NaT", "D")
TREATMENT = "TREATMENT"
SCREENING = "SCREENING"
# Elements of the known epochs: code and description (any other epoch: derived from it).
ELEMENTS = {"SCREENING": ("SCRN", "Screening"), "TREATMENT": ("TRT", "Treatment"),
            "FOLLOW-UP": ("FU", "Follow-up")}
# Without [[arms]] (issue #18), everyone is in one planned arm.
SINGLE_ARM_CODE = "A"


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    epoch: str
    visits: tuple[str, ...]


@dataclass
class Built:
    datasets: dict[str, pd.DataFrame]
    epochs: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)


def study_day(dates: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """SDTM study day: date − reference + 1 on or after the reference, date − reference
    before it (no day 0). NaN where either date is missing."""
    dates = np.asarray(dates, dtype="M8[D]")
    reference = np.asarray(reference, dtype="M8[D]")
    difference = (dates - reference).astype("m8[D]").astype(np.int64).astype(float)
    difference[np.isnat(dates) | np.isnat(reference)] = np.nan
    days: np.ndarray = np.where(difference >= 0, difference + 1, difference)
    return days


def _taken(values: np.ndarray, codes: np.ndarray) -> pd.Categorical | np.ndarray:
    """``values[codes]``, as a categorical when the values are distinct (SV's 650,000 VISIT
    cells are 8 names: the writers then take the codes as they are, no text hashed)."""
    if len(set(values.tolist())) == len(values):
        return pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype=object))
    taken: np.ndarray = values[codes]
    return taken


def _distinct(values: np.ndarray) -> pd.Categorical | np.ndarray:
    """Values all different (DM's SUBJID: the roster refuses an ID twice) as a categorical of
    them in their order, each row its own code: the writers take the codes as they are, no
    100,000 IDs hashed a second time; the values as they are if two are the same."""
    index = pd.Index(values, dtype=object)
    if not index.is_unique:
        return values
    return pd.Categorical.from_codes(np.arange(len(values)), categories=index)


def _days_iso(dates: np.ndarray) -> pd.Categorical | np.ndarray:
    """``iso(dates)`` as a categorical whose categories are in text order ("" first): each
    distinct day written once, and the writers and _sorted read its codes, not 100,000
    texts. Plain text where days and texts would not sort alike (a year beyond 9999)."""
    days = np.asarray(dates, dtype="M8[D]")
    codes, distinct = pd.factorize(days.view(np.int64), sort=True)  # NaT, the least, first
    index = pd.Index(iso(np.asarray(distinct, dtype=np.int64).view("M8[D]")), dtype=object)
    if not (index.is_unique and index.is_monotonic_increasing):
        return iso(days)
    return pd.Categorical.from_codes(codes, categories=index)


def iso(dates: np.ndarray) -> np.ndarray:
    """ISO 8601 text of each date, "" for none (each day's text made once: core.dates.iso)."""
    return datelib.iso(np.asarray(dates, dtype="M8[D]"))


def planned_days(protocol: Protocol) -> dict[str, float]:
    """VISITDY per visit: its nominal day from the Day 0 visit's target, SDTM-style; NaN for
    a visit whose day depends on calendar months."""
    by_code = {visit.code: visit for visit in protocol.visits}

    def uses_months(code: str) -> bool:
        visit = by_code[code]
        return visit.unit == "month" or (visit.anchor != ENROLLMENT and uses_months(visit.anchor))

    nominal = protocol.nominal_targets()
    day0 = nominal[protocol.day0]
    days = {}
    for visit in protocol.visits:
        if uses_months(visit.code) or uses_months(protocol.day0):
            days[visit.code] = float("nan")
        else:
            offset = (nominal[visit.code] - day0).days
            days[visit.code] = float(offset + 1 if offset >= 0 else offset)
    return days


def elements(protocol: Protocol) -> tuple[Element, ...]:
    """One element per epoch the visits have, in the order of each epoch's first visit."""
    found: dict[str, list[str]] = {}
    for visit in protocol.visits:
        found.setdefault(visit.epoch, []).append(visit.code)
    result: list[Element] = []
    taken: set[str] = set()
    for epoch, codes in found.items():
        # Another epoch: its letters and digits, at most 8 (LONG-TERM FOLLOW-UP → LONGTERM),
        # numbered when two would share one (FOLLOW-UP 1, FOLLOW-UP 2 → FOLLOWUP, FOLLOWU2).
        code, name = ELEMENTS.get(epoch, ("".join(ch for ch in epoch if ch.isalnum())[:8], epoch.capitalize()))
        number = 1
        while code in taken:
            number += 1
            code = code[:8 - len(str(number))] + str(number)
        taken.add(code)
        result.append(Element(code, name, epoch, tuple(codes)))
    return tuple(result)


def arm_name(protocol: Protocol) -> str:
    return protocol.design.treatment or "Single group"


def _days(count: int) -> str:
    return f"{count} day" + ("" if count == 1 else "s")


def _frame(name: str, columns: dict[str, object], rows: int | None = None) -> pd.DataFrame:
    """A dataset's frame with its columns in the spec's order (scalars broadcast; text ones
    made categoricals when ``rows`` is given)."""
    spec = DATASETS[name]
    missing = set(spec.names) - set(columns)
    if missing:
        raise KeyError(f"{name}: no value for {sorted(missing)}")
    ordered = {column: columns[column] for column in spec.names}
    frame = pd.DataFrame(ordered if rows is None else _constants(ordered, rows),
                         index=None if rows is None else pd.RangeIndex(rows))
    return frame


def _constants(columns: dict[str, object], rows: int) -> dict[str, object]:
    """The text scalars of a dataset's columns (STUDYID, DOMAIN…) as categoricals of one
    category, ``rows`` long: the writers take their codes as they are, with no cell looked
    at (SV's are 650,000 cells each)."""
    return {name: pd.Categorical.from_codes(np.zeros(rows, dtype=np.int8), categories=pd.Index([value], dtype=object))
            if isinstance(value, str) else _objects(value) for name, value in columns.items()}


def _objects(value: object) -> object:
    """A numpy column of Python objects kept as one (pandas 3 would check each of SV's
    650,000 cells to make it its "str" type, whose every later read checks them again)."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return pd.Series(value, dtype=object, copy=False)
    return value


def _status_codes(values: pd.Series) -> np.ndarray:
    """Each status as its place in STATUSES (int8), -1 for none or a word not among them:
    SV and DV pick their 800,000 participant × visit cells by small numbers, no text hashed."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # the check's: its categories placed once
        places = np.array([STATUSES.index(name) if name in STATUSES else -1 for name in values.cat.categories] + [-1],
                          dtype=np.int8)
        placed: np.ndarray = places[values.cat.codes.to_numpy()]  # code -1 (none): the last, -1
        return placed
    codes: np.ndarray = pd.Categorical(values.to_numpy(dtype=object), categories=list(STATUSES)).codes
    return codes.astype(np.int8)


def _with_status(status: np.ndarray, wanted: Iterable[Status]) -> np.ndarray:
    """Where ``status`` (_status_codes) is one of ``wanted``."""
    return np.isin(status, [STATUSES.index(name) for name in wanted])


def one_text(values: np.ndarray) -> bool:
    """Every cell holds the same text (STUDYID, DOMAIN): three cells looked at first, every
    cell only then. Such a column gives no order to sort by and needs no table of values."""
    if not len(values) or not isinstance(values[0], str):
        return False
    first = values[0]
    return bool(values[-1] == first and values[len(values) // 2] == first and (values == first).all())


def _sorted(frame: pd.DataFrame, keys: list[str], sequence: str | None = None) -> pd.DataFrame:
    """Rows in key order; ``sequence`` (DSSEQ, DVSEQ…) numbered 1, 2 … per USUBJID after.
    As pandas' stable sort_values (missing values last), but each text key sorted through
    its distinct values' codes: 800,000 SV rows sort on small integers."""
    columns = []
    for key in reversed(keys):  # np.lexsort sorts by its last key first
        values = frame[key]
        if (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)) and one_text(
                values.to_numpy(dtype=object)):
            continue  # STUDYID: the same in every row, no order to give
        if isinstance(values.dtype, pd.CategoricalDtype) and len(values.cat.categories) == 1 and \
                not (values.cat.codes.to_numpy() < 0).any():
            continue  # the same, made a categorical (_constants)
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()  # Subjects.ids: categories in text order
            if not values.cat.categories.is_monotonic_increasing:  # DVREFID: each category's rank
                ranks = pd.factorize(values.cat.categories.to_numpy(dtype=object), sort=True)[0]
                codes = np.where(codes < 0, -1, ranks[np.maximum(codes, 0)] if len(ranks) else -1)
            columns.append(np.where(codes < 0, np.iinfo(np.int64).max, codes))
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            codes, _uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
            columns.append(np.where(codes < 0, np.iinfo(np.int64).max, codes))
        else:
            columns.append(values.to_numpy())  # numbers: NaN sorts last, as in sort_values
    order = np.lexsort(columns) if columns else np.arange(len(frame))
    # Already in order (SV as built): no copy of every column.
    in_order = bool((order[1:] > order[:-1]).all())
    frame = (frame if in_order else frame.iloc[order]).reset_index(drop=True)
    if sequence is not None:
        # 1, 2 … within each USUBJID, whose rows are together now (a USUBJID begins with its
        # STUDYID, the first key): counted from where each run of one USUBJID begins.
        subject = frame["USUBJID"]
        codes = subject.cat.codes.to_numpy() if isinstance(subject.dtype, pd.CategoricalDtype) else \
            pd.factorize(subject)[0]
        rows = np.arange(len(frame))
        begins = np.ones(len(frame), dtype=bool)
        begins[1:] = codes[1:] != codes[:-1]
        frame[sequence] = (rows - np.maximum.accumulate(np.where(begins, rows, 0)) + 1).astype(float)
    return frame


# ---------------------------------------------------------------- trial design


def trial_summary(protocol: Protocol, start_date: str) -> pd.DataFrame:
    """TS: one row per parameter; an absent protocol key gives TSVALNF "NI"."""
    design = protocol.design

    def yes_no(flag: bool | None) -> tuple[str | None, str]:
        if flag is None:
            return None, ""
        return ("Y", "C49488") if flag else ("N", "C49487")

    coded = {"SINGLE GROUP": "C82640", "PARALLEL": "C82639", "OPEN LABEL": "C49659", "DOUBLE BLIND": "C15228",
             "SINGLE BLIND": "C28233", "BOTH": "C49636", "F": "C16576", "M": "C20197", "INTERVENTIONAL": "C98388",
             "OBSERVATIONAL": "C16084", "PHASE I TRIAL": "C15600", "PHASE II TRIAL": "C15601",
             "PHASE III TRIAL": "C15602", "PHASE IV TRIAL": "C15603"}

    def term(value: str | None) -> tuple[str | None, str]:
        return value, coded.get(value or "", "")

    add_on, random = yes_no(design.add_on), yes_no(design.randomized)
    # (TSPARMCD, TSPARM, value, TSVALCD, TSVCDREF)
    parameters: list[tuple[str, str, str | None, str, str]] = [
        ("ADDON", "Added on to Existing Treatments", add_on[0], add_on[1], "CDISC"),
        ("AGEMAX", "Planned Maximum Age of Subjects",
         None if design.age_max is None else f"P{design.age_max}Y", "", "ISO 8601"),
        ("AGEMIN", "Planned Minimum Age of Subjects",
         None if design.age_min is None else f"P{design.age_min}Y", "", "ISO 8601"),
        ("INDIC", "Trial Disease/Condition Indication", design.indication, "", ""),
        ("INTMODEL", "Intervention Model", *term(design.intervention_model), "CDISC"),
        ("PLANSUB", "Planned Number of Subjects",
         None if design.planned_subjects is None else str(design.planned_subjects), "", ""),
        ("RANDOM", "Trial is Randomized", random[0], random[1], "CDISC"),
        ("REGID", "Registry Identifier", design.registry_id, design.registry_id or "", "ClinicalTrials.gov"),
        ("SDTIGVER", "SDTM IG Version", SDTMIG_VERSION, "", ""),
        ("SEXPOP", "Sex of Participants", *term(design.sex_population), "CDISC"),
        ("SPONSOR", "Clinical Study Sponsor", design.sponsor, "", ""),
        ("SSTDTC", "Study Start Date", start_date or None, "", "ISO 8601"),
        ("STYPE", "Study Type", *term(design.study_type), "CDISC"),
        ("TBLIND", "Trial Blinding Schema", *term(design.blinding), "CDISC"),
        ("TITLE", "Trial Title", protocol.title or None, "", ""),
        ("TPHASE", "Trial Phase Classification", *term(design.phase), "CDISC"),
        ("TRT", "Investigational Therapy or Treatment", design.treatment, "", ""),
    ]
    rows = len(parameters)
    given = [value is not None for _code, _name, value, _cd, _ref in parameters]
    return _frame("TS", {
        "STUDYID": protocol.study_id, "DOMAIN": "TS", "TSSEQ": np.ones(rows), "TSGRPID": "",
        "TSPARMCD": [p[0] for p in parameters], "TSPARM": [p[1] for p in parameters],
        "TSVAL": [p[2] or "" for p in parameters],
        "TSVALNF": ["" if ok else "NI" for ok in given],
        "TSVALCD": [p[3] if ok else "" for p, ok in zip(parameters, given)],
        "TSVCDREF": [p[4] if ok and (p[3] or p[4] == "ISO 8601") else "" for p, ok in zip(parameters, given)],
        "TSVCDVER": "",
    }, rows)


def trial_elements(protocol: Protocol) -> pd.DataFrame:
    found = elements(protocol)
    rows = []
    for index, element in enumerate(found):
        last = index == len(found) - 1
        rows.append({
            "ETCD": element.code, "ELEMENT": element.name,
            "TESTRL": (f"Informed consent, or the first visit of the {element.epoch} epoch done "
                       f"({', '.join(element.visits)}) if earlier" if element.epoch == SCREENING else
                       f"First visit of the {element.epoch} epoch done ({', '.join(element.visits)})"),
            "TEENRL": ("End of participation (withdrawal or the last visit)" if last
                       else "First visit of the next element done"),
            "TEDUR": ""})
    frame = pd.DataFrame(rows, columns=["ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR"])
    frame.insert(0, "DOMAIN", "TE")
    frame.insert(0, "STUDYID", protocol.study_id)
    return _sorted(frame, ["STUDYID", "ETCD"])


def planned_arms(protocol: Protocol) -> list[tuple[str, str]]:
    """(ARMCD, ARM) of every planned arm: [[arms]], else the one single group."""
    if protocol.arms:
        return [(arm.code, arm.contract_name) for arm in protocol.arms]
    return [(SINGLE_ARM_CODE, arm_name(protocol))]


def trial_arms(protocol: Protocol) -> pd.DataFrame:
    """TA: per arm, the elements of the epochs its visits have, in element order."""
    found = elements(protocol)
    rows = []
    for code, name in planned_arms(protocol):
        epochs = {visit.epoch for visit in protocol.visits_of(code if protocol.arms else None)}
        mine = [element for element in found if element.epoch in epochs]
        for order, element in enumerate(mine, start=1):
            rows.append({"STUDYID": protocol.study_id, "DOMAIN": "TA", "ARMCD": code, "ARM": name,
                         "TAETORD": float(order), "ETCD": element.code, "ELEMENT": element.name, "TABRANCH": "",
                         "TATRANS": "", "EPOCH": element.epoch})
    return _sorted(pd.DataFrame(rows, columns=list(DATASETS["TA"].names)), ["STUDYID", "ARMCD", "TAETORD"])


def trial_visits(protocol: Protocol) -> pd.DataFrame:
    planned = planned_days(protocol)
    numbers = protocol.visit_numbers()
    rows = []
    every = set(protocol.arm_codes)
    for visit in protocol.visits:
        anchor = "enrollment" if visit.anchor == ENROLLMENT else visit.anchor
        # A visit every arm has: one row, ARMCD empty (SDTMIG: the timing does not depend on
        # the arm); a visit only some arms have: one row per such arm.
        arms = [""] if not visit.arms or every <= set(visit.arms) else [a for a in protocol.arm_codes
                                                                          if a in visit.arms]
        for arm in arms:
            rows.append({
                "STUDYID": protocol.study_id, "DOMAIN": "TV", "VISITNUM": numbers[visit.code],
                "VISIT": visit.contract_name, "VISITDY": planned[visit.code], "ARMCD": arm,
                "TVSTRL": (f"{visit.unit.capitalize()} {visit.amount} from {anchor} (the target); window "
                           f"{_days(visit.minus)} before to {_days(visit.plus)} after"),
                "TVENRL": "End of the same day",
            })
    return _sorted(pd.DataFrame(rows, columns=list(DATASETS["TV"].names)), ["STUDYID", "ARMCD", "VISITNUM"])


def trial_criteria(protocol: Protocol) -> pd.DataFrame:
    counted: dict[str, int] = {}
    rows = []
    for criterion in protocol.design.criteria:
        counted[criterion.category] = counted.get(criterion.category, 0) + 1
        prefix = "INCL" if criterion.category == "INCLUSION" else "EXCL"
        rows.append({"STUDYID": protocol.study_id, "DOMAIN": "TI",
                     "IETESTCD": f"{prefix}{counted[criterion.category]:02d}", "IETEST": criterion.text,
                     "IECAT": criterion.category})
    return _sorted(pd.DataFrame(rows, columns=list(DATASETS["TI"].names)), ["STUDYID", "IETESTCD"])


# ---------------------------------------------------------------- subjects


@dataclass(frozen=True)
class Subjects:
    """The participant × visit arrays every subject dataset is made from."""

    usubjid: np.ndarray  # (P,)
    site: np.ndarray  # (P,)
    actual: np.ndarray  # (P, V) M8[D], NaT when not done
    close: np.ndarray  # (P, V)
    status: np.ndarray  # (P, V) int8: each visit's status as its place in STATUSES, -1 for none
    reason: np.ndarray  # (P, V)
    reference: np.ndarray  # (P,) RFSTDTC
    withdrawn: np.ndarray  # (P,) M8[D]: the withdrawal date on or before the as-of date, else NaT
    starts: np.ndarray  # (P, E) each element's start, NaT when not started
    ends: np.ndarray  # (P, E)
    completed: np.ndarray  # (P,) M8[D]: the completion date, NaT when not completed
    completed_element: np.ndarray  # (P,) the element (its place in found) the study ended in, -1 when none
    consent: np.ndarray  # (P,) M8[D]: the informed consent on or before the as-of date, else NaT
    found: tuple[Element, ...] = ()  # the elements, in TA order (the columns of starts, ends)
    opens: np.ndarray | None = None  # (P, V) window_open, NaT for a visit not expected
    last_contact: np.ndarray | None = None  # (P,) the last visit done, consent or unscheduled visit

    @functools.cached_property
    def in_id_order(self) -> np.ndarray:
        """(P,) the participants (their positions) in USUBJID order (text order)."""
        if pd.Index(self.usubjid, dtype=object).is_monotonic_increasing:  # a roster in ID order: no sort
            return np.arange(len(self.usubjid))
        return np.argsort(self.usubjid.astype(str), kind="stable")

    @functools.cached_property
    def ranks(self) -> np.ndarray:
        """(P,) each participant's place in USUBJID order."""
        ranks = np.empty(len(self.in_id_order), dtype=np.int64)
        ranks[self.in_id_order] = np.arange(len(self.in_id_order))
        return ranks

    @functools.cached_property
    def _ids(self) -> pd.CategoricalDtype:
        return pd.CategoricalDtype(pd.Index(self.usubjid[self.in_id_order], dtype=object))

    def ids(self, index: np.ndarray | None = None) -> pd.Categorical:
        """The USUBJIDs of the participants at ``index`` (every one when None), as a
        categorical whose categories are in text order: sorting 800,000 SV rows by USUBJID
        sorts small integers, and each writer takes the codes as they are (no text hashed)."""
        return pd.Categorical.from_codes(self.ranks if index is None else self.ranks[index], dtype=self._ids)


def usubjids(protocol: Protocol, participants: pd.DataFrame, roster: str = "") -> tuple[np.ndarray, np.ndarray]:
    """USUBJID per participant (STUDYID-SITEID-ID, SITEID left out when empty) and the site;
    two participants with one USUBJID refuse the export, naming both."""
    given = participants["site"].to_numpy(dtype=object)
    site = np.where(given != "", given, protocol.site_id).astype(object)
    prefix = np.where(site != "", protocol.study_id + "-" + site.astype(str) + "-", protocol.study_id + "-")
    ids = participants["participant_id"].to_numpy(dtype=object).astype(str)
    # Joined as Python text (numpy's fixed-width strings made and unmade cost thrice as much).
    usubjid = np.array(list(map(str.__add__, prefix.tolist(), ids.tolist())), dtype=object)
    shared = pd.Series(usubjid).duplicated(keep=False).to_numpy()
    if shared.any():
        lines = participants["line"].to_numpy() if "line" in participants else np.zeros(len(ids), dtype=int)
        problems = []
        for value in pd.unique(usubjid[shared]):
            who = np.flatnonzero(usubjid == value)
            named = ", ".join(_("{participant} (site {site}, line {line})").format(
                participant=ids[i], site=site[i] or "—", line=int(lines[i])) for i in who)
            problems.append(Problem(roster, _("USUBJID {usubjid} would be given to {participants}").format(
                usubjid=value, participants=named),
                fix=_("change a site or an ID (visit-scheduler correct ID --site SITE --reason …) so "
                      "that each participant has a USUBJID of their own")))
        raise ExportRefused(ngettext(
            "the export would give two participants one USUBJID: nothing was written",
            "the export would give participants shared USUBJIDs ({count}): nothing was written",
            len(problems)).format(count=len(problems)), problems)
    return usubjid, site


def _extreme(dates: np.ndarray, mask: np.ndarray, latest: bool) -> np.ndarray:
    """Per row, the earliest (or latest) date where ``mask``; NaT when none."""
    chosen = np.where(mask, dates, NAT)
    values = chosen.astype(np.int64).astype(float)
    values[np.isnat(chosen)] = -np.inf if latest else np.inf
    if values.shape[1]:
        found = values.max(axis=1) if latest else values.min(axis=1)
    else:
        found = np.full(len(values), -np.inf if latest else np.inf)
    result = np.full(len(values), NAT)
    finite = np.isfinite(found)
    result[finite] = found[finite].astype(np.int64).astype("M8[D]")
    return result


def _first(dates: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return _extreme(dates, mask, latest=False)


def _last(dates: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return _extreme(dates, mask, latest=True)


def subjects(protocol: Protocol, check: pd.DataFrame, participants: pd.DataFrame,
             as_of: np.datetime64, roster: str = "", extra: Unscheduled | None = None) -> Subjects:
    count, visits = len(participants), len(protocol.visits)
    usubjid, site = usubjids(protocol, participants, roster)
    # The check's rows into participant × visit arrays; with arms, the cells of a visit the
    # participant's arm does not have stay empty (no date, no status: never judged).
    person = row_participants(check)
    column = np.asarray(check["visit_code"].cat.codes.to_numpy(), dtype=np.int64)
    actual = np.full((count, visits), NAT)
    actual[person, column] = check["actual_date"].to_numpy().astype("M8[D]")
    close = np.full((count, visits), NAT)
    close[person, column] = check["window_close"].to_numpy().astype("M8[D]")
    status = np.full((count, visits), -1, dtype=np.int8)
    status[person, column] = _status_codes(check["status"])
    reason = np.full((count, visits), "", dtype=object)
    reason[person, column] = check["reason"].to_numpy(dtype=object)
    opens = np.full((count, visits), NAT)
    opens[person, column] = check["window_open"].to_numpy().astype("M8[D]")
    done = ~np.isnat(actual)
    reference = actual[:, protocol.codes.index(protocol.day0)] if visits else np.full(count, NAT)
    withdrawal = participants["withdrawal_date"].to_numpy().astype("M8[D]")
    as_day = np.asarray(as_of).astype("M8[D]")
    withdrawn = np.where(~np.isnat(withdrawal) & (withdrawal <= as_day), withdrawal, NAT)
    consent = (participants["consent_date"].to_numpy().astype("M8[D]") if "consent_date" in participants
               else np.full(count, NAT))
    # As of a date, a consent given later had not happened yet (like a visit recorded later).
    consent = np.where(~np.isnat(consent) & (consent <= as_day), consent, NAT)

    # Completion: the last protocol visit (latest window close) done, or its window closed.
    last = np.argmax(np.where(np.isnat(close), np.datetime64("1900-01-01"), close), axis=1) if visits \
        else np.zeros(count, dtype=int)
    rows = np.arange(count)
    last_actual, last_close = actual[rows, last], close[rows, last]
    epochs = np.array([visit.epoch for visit in protocol.visits], dtype=object)
    found = elements(protocol)
    starts = np.full((count, len(found)), NAT)
    for index, element in enumerate(found):
        starts[:, index] = _first(actual, done & np.isin(epochs, element.epoch)[None, :])
        if element.epoch == SCREENING:
            # Screening begins with the informed consent (SDTMIG's usual TESTRL), so the
            # consent falls in the SCREENING epoch: DS has its EPOCH (FDA FB2201).
            given = ~np.isnat(consent)
            starts[given, index] = np.where(np.isnat(starts[given, index]), consent[given],
                                            np.minimum(starts[given, index], consent[given]))
    # Completed: the last visit done, or its window closed for a participant who began the
    # study (a visit done); one who did nothing at all has completed nothing (no record). The
    # date is the last contact: the last visit done (SDTMIG: RFPENDTC is the last known
    # contact; DS and SE end there too, so no dataset runs past it).
    last_contact = _last(actual, done)
    # The consent is a contact too (on the rare roster where it follows every visit).
    last_contact = np.where(~np.isnat(consent) & (np.isnat(last_contact) | (consent > last_contact)) & done.any(axis=1),
                            consent, last_contact)
    # An unscheduled visit is a contact too (SV has it: RFPENDTC and SE must not end before it).
    if extra is not None and len(extra.participant):
        latest = pd.Series(extra.actual_date.astype("M8[D]")).groupby(extra.participant).max()
        unscheduled_last = np.full(count, NAT)
        unscheduled_last[latest.index.to_numpy()] = latest.to_numpy().astype("M8[D]")
        later = ~np.isnat(unscheduled_last) & (np.isnat(last_contact) | (unscheduled_last > last_contact))
        last_contact = np.where(later, unscheduled_last, last_contact)
    finished = np.isnat(withdrawn) & (~np.isnat(last_actual) | ((last_close < as_day) & done.any(axis=1)))
    if protocol.arms:
        # A participant not yet assigned to an arm cannot have completed: an arm may add visits.
        finished &= _column(participants, "arm") != ""
    completed = np.where(finished, last_contact, NAT)
    ends = np.full_like(starts, NAT)
    following = np.full(count, NAT)
    final = np.where(np.isnat(withdrawn), completed, withdrawn)
    for index in range(len(found) - 1, -1, -1):
        started = ~np.isnat(starts[:, index])
        ends[:, index] = np.where(started, np.where(np.isnat(following), final, following), NAT)
        following = np.where(started, starts[:, index], following)
    people = Subjects(usubjid, site, actual, close, status, reason, reference, withdrawn, starts, ends,
                      completed, np.full(count, -1, dtype=np.intp), consent, found, opens, last_contact)
    # The element the participant was in when the study ended for them (DS EPOCH).
    return replace(people, completed_element=_element_on(people, completed, found))


def _epoch_on(subjects: Subjects, dates: np.ndarray, found: tuple[Element, ...],
              rows: np.ndarray | None = None) -> np.ndarray:
    """The epoch of the element each participant was in on ``dates``: the element begun last
    on or before the date, as SE says ("" when none had begun). ``rows``: the participant of
    each date (default: one date per participant)."""
    names = np.array([element.epoch for element in found] + [""], dtype=object)
    taken: np.ndarray = names[_element_on(subjects, dates, found, rows)]  # -1: the last, ""
    return taken


def _element_on(subjects: Subjects, dates: np.ndarray, found: tuple[Element, ...],
                rows: np.ndarray | None = None) -> np.ndarray:
    """_epoch_on's element: its place in ``found``, -1 when none had begun."""
    dates = np.asarray(dates, dtype="M8[D]")
    if not len(found) or not len(dates):
        return np.full(len(dates), -1, dtype=np.intp)
    # The latest start on or before the date; of two begun the same day, the later in TA
    # order (the earlier one lasted no time: on the day an element ends and the next begins,
    # the day is the next's). Element by element, each a column: a comparison with NaT, on
    # either side, is false.
    found_one = np.full(len(dates), -1, dtype=np.intp)
    latest = np.full(len(dates), NAT)
    for index in range(len(found)):
        start = subjects.starts[:, index] if rows is None else subjects.starts[rows, index]
        later = (start <= dates) & ~(start < latest)  # begun, and not before the latest so far
        found_one[later] = index
        latest = np.where(later, start, latest)
    return found_one


def _observed_epochs(people: Subjects, dates: np.ndarray, rows: np.ndarray, epochs: np.ndarray,
                     visits: np.ndarray) -> pd.Categorical:
    """_observed_epoch with each row's visit (``visits``, positions in ``epochs``, the
    visits' own epochs), as a categorical: SV's 650,000 EPOCH cells are a few names."""
    found = [element.epoch for element in people.found]
    names = list(dict.fromkeys([*found, *epochs.tolist(), ""]))
    place = {name: at for at, name in enumerate(names)}
    codes = np.array([place[name] for name in found] + [place[""]], dtype=np.intp)[
        _element_on(people, dates, people.found, rows)]
    none = codes == place[""]
    codes[none] = np.array([place[name] for name in epochs.tolist()], dtype=np.intp)[visits[none]]
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))


def _observed_epoch(people: Subjects, dates: np.ndarray, rows: np.ndarray, planned: np.ndarray) -> np.ndarray:
    """EPOCH of an observation (SV, DV): the element the participant was in on its date, so it
    agrees with SE (a D14 done after M1 belongs to FOLLOW-UP, where SE has the participant);
    the visit's own epoch where no element had begun by then, or the record has no date."""
    epoch = _epoch_on(people, dates, people.found, rows)
    none = epoch == ""
    epoch[none] = planned[none]
    return epoch


def demographics(protocol: Protocol, participants: pd.DataFrame, people: Subjects,
                 country: str) -> tuple[pd.DataFrame, list[str]]:
    count = len(participants)
    epochs = np.array([visit.epoch for visit in protocol.visits], dtype=object)
    done = ~np.isnat(people.actual)
    treated = done & (epochs == TREATMENT)[None, :]
    first_treatment, last_treatment = _first(people.actual, treated), _last(people.actual, treated)
    # End of participation, the last known contact: the withdrawal, else the last visit done,
    # planned or unscheduled (or the consent, where it came after every visit).
    assert people.last_contact is not None
    end = np.where(~np.isnat(people.withdrawn), people.withdrawn, people.last_contact)
    category = _column(participants, "withdrawal_category")
    dead = (category == "DEATH") & ~np.isnat(people.withdrawn)
    sex = _column(participants, "sex")
    unknown = sex == ""
    warnings = []
    if unknown.any():
        ids = participants["participant_id"].to_numpy(dtype=object)[unknown]
        warnings.append(ngettext(
            "DM SEX is U for {count} participant with no sex in the participants file: {participants}",
            "DM SEX is U for {count} participants with no sex in the participants file: {participants}",
            len(ids)).format(count=len(ids), participants=", ".join(ids[:20]) + (" …" if len(ids) > 20 else "")))
    age = participants["age"].to_numpy(dtype=float, na_value=np.nan) if "age" in participants \
        else np.full(count, np.nan)
    consent = people.consent
    is_treated = ~np.isnat(first_treatment)
    # A screen failure was never assigned to an arm (SDTMIG DM: ARMNRS SCREEN FAILURE).
    screened_out = (category == "SCREEN FAILURE") & ~np.isnat(people.withdrawn)
    first_visit = _first(people.actual, done)
    late_consent = ~np.isnat(consent) & ~np.isnat(first_visit) & (consent > first_visit)
    if late_consent.any():
        ids = participants["participant_id"].to_numpy(dtype=object)[late_consent]
        warnings.append(ngettext(
            "DM RFICDTC is after the first visit done for {count} participant: {participants} — check "
            "the consent date (a validator flags a visit before consent)",
            "DM RFICDTC is after the first visit done for {count} participants: {participants} — check "
            "the consent dates (a validator flags a visit before consent)",
            len(ids)).format(count=len(ids), participants=", ".join(ids[:20]) + (" …" if len(ids) > 20 else "")))
    # The planned arm: [[arms]]'s, from the roster (empty: not yet assigned); else the single group.
    names = dict(planned_arms(protocol))
    code = _column(participants, "arm") if protocol.arms else np.full(count, SINGLE_ARM_CODE, dtype=object)
    # Each arm code once, and its name: the four ARM columns are its codes (an arm not
    # planned has no name; the last place, "", is where a column has none).
    arm_of, found_codes = pd.factorize(code)
    arm_codes = np.asarray(found_codes, dtype=object).tolist()
    codes_text = np.array([*arm_codes, ""], dtype=object)
    names_text = np.array([*(names.get(value, "") for value in arm_codes), ""], dtype=object)
    unassigned = code == ""
    assigned = ~screened_out & ~unassigned
    nothing = len(arm_codes)

    def arm_column(texts: np.ndarray, given: np.ndarray) -> pd.Categorical | np.ndarray:
        return _taken(texts, np.where(given, arm_of, nothing))
    frame = _frame("DM", {
        "STUDYID": protocol.study_id, "DOMAIN": "DM", "USUBJID": people.ids(),
        "SUBJID": _distinct(participants["participant_id"].to_numpy(dtype=object)),
        "RFSTDTC": _days_iso(people.reference), "RFENDTC": _days_iso(last_treatment),
        "RFXSTDTC": _days_iso(first_treatment), "RFXENDTC": _days_iso(last_treatment),
        "RFICDTC": _days_iso(consent), "RFPENDTC": _days_iso(end),
        "DTHDTC": _days_iso(np.where(dead, people.withdrawn, NAT)),
        "DTHFL": _taken(np.array(["", "Y"], dtype=object), dead.astype(np.intp)),
        "SITEID": people.site, "AGE": age,
        "AGEU": _taken(np.array(["YEARS", ""], dtype=object), np.isnan(age).astype(np.intp)),
        "SEX": np.where(unknown, "U", sex).astype(object), "RACE": "",
        "ARMCD": arm_column(codes_text, assigned), "ARM": arm_column(names_text, assigned),
        "ACTARMCD": arm_column(codes_text, is_treated & assigned),
        "ACTARM": arm_column(names_text, is_treated & assigned),
        "ARMNRS": _taken(np.array(["SCREEN FAILURE", "NOT ASSIGNED", "", "ASSIGNED, NOT TREATED"], dtype=object),
                         np.select([screened_out, unassigned, is_treated], [0, 1, 2], 3)),
        "COUNTRY": country,
    }, count)
    return _sorted(frame, ["STUDYID", "USUBJID"]), warnings


def _column(participants: pd.DataFrame, name: str) -> np.ndarray:
    if name not in participants:
        return np.full(len(participants), "", dtype=object)
    return participants[name].fillna("").astype(str).to_numpy(dtype=object)


def subject_elements(protocol: Protocol, people: Subjects, participants: pd.DataFrame) -> pd.DataFrame:
    found = elements(protocol)
    # TAETORD: the element's order within the participant's arm, as TA numbers it.
    arms = _column(participants, "arm") if protocol.arms else np.full(len(participants), SINGLE_ARM_CODE, dtype=object)
    ta = trial_arms(protocol)
    order = {(arm, etcd): number for arm, etcd, number in zip(ta["ARMCD"], ta["ETCD"], ta["TAETORD"])}
    parts = []
    for index, element in enumerate(found):
        started = ~np.isnat(people.starts[:, index])
        start, end = people.starts[started, index], people.ends[started, index]
        reference = people.reference[started]
        per_arm = {arm: number for (arm, etcd), number in order.items() if etcd == element.code}
        taetord = pd.Series(arms[started], dtype=object).map(per_arm).to_numpy(dtype=float)
        parts.append(pd.DataFrame(_constants({
            "STUDYID": protocol.study_id, "DOMAIN": "SE", "who": np.flatnonzero(started),
            "SESEQ": np.nan, "element": np.full(len(start), index, dtype=np.intp), "TAETORD": taetord,
            "SESTDTC": start, "SEENDTC": end, "SESTDY": study_day(start, reference),
            "SEENDY": study_day(end, reference)}, len(start))))
    if not parts:
        return _sorted(pd.DataFrame(columns=list(DATASETS["SE"].names)), ["STUDYID", "USUBJID", "TAETORD", "SESTDTC"],
                       "SESEQ")
    # The participants' positions are put together, then made USUBJIDs once: pandas compares
    # the categories of every categorical it puts together (a hash of 100,000 USUBJIDs each).
    frame = pd.concat(parts, ignore_index=True)
    frame["USUBJID"] = people.ids(frame["who"].to_numpy())
    which = frame["element"].to_numpy()  # the element's texts by its place (its rows' codes)
    for name, texts in (("ETCD", [element.code for element in found]), ("ELEMENT", [element.name for element in found]),
                        ("EPOCH", [element.epoch for element in found])):
        frame[name] = _taken(np.array(texts, dtype=object), which)
    for name in ("SESTDTC", "SEENDTC"):  # the days made text once they are together
        frame[name] = _days_iso(frame[name].to_numpy())
    return _sorted(frame[list(DATASETS["SE"].names)], ["STUDYID", "USUBJID", "TAETORD", "SESTDTC"], "SESEQ")


def disposition(protocol: Protocol, participants: pd.DataFrame, people: Subjects,
                roster: str = "") -> pd.DataFrame:
    """DS: informed consent (a protocol milestone), then the withdrawal or the completion."""
    found = elements(protocol)
    consent = people.consent
    category = _column(participants, "withdrawal_category")
    reason = _column(participants, "withdrawal_reason")
    withdrew = ~np.isnat(people.withdrawn)
    missing = withdrew & (category == "")
    if missing.any():
        ids = participants["participant_id"].to_numpy(dtype=object)[missing]
        lines = participants["line"].to_numpy()[missing] if "line" in participants else np.zeros(len(ids), int)
        problems = [Problem(roster, _("{participant} withdrew with no withdrawal_category").format(
                        participant=ids[i]), line=int(lines[i]), column="withdrawal_category",
                        fix=_("visit-scheduler correct {participant} --withdrawal-category TERM --reason …").format(
                            participant=ids[i]))
                    for i in range(len(ids))]
        raise ExportRefused(ngettext(
            "SDTM DS needs the CDISC category of every withdrawal: {count} participant has none — "
            "nothing was written",
            "SDTM DS needs the CDISC category of every withdrawal: {count} participants have none — "
            "nothing was written", len(ids)).format(count=len(ids)), problems)
    given = ~np.isnat(consent)
    finished = ~np.isnat(people.completed)
    # The records: the consents, then the withdrawals, then the completions; each text column
    # the codes of its few texts (a column of the same in 100,000 rows is looked up once).
    kinds = (given, withdrew, finished)
    sizes = [int(rows.sum()) for rows in kinds]
    who = np.concatenate([np.flatnonzero(rows) for rows in kinds])
    dates = np.concatenate([consent[given], people.withdrawn[withdrew], people.completed[finished]]).astype("M8[D]")
    reference = np.concatenate([people.reference[rows] for rows in kinds]).astype("M8[D]")

    def column(consented: str, withdrawals: np.ndarray, completion: str) -> pd.Categorical | np.ndarray:
        codes, values = pd.factorize(withdrawals)
        texts = np.array([consented, completion, *np.asarray(values, dtype=object).tolist()], dtype=object)
        return _taken(texts, np.concatenate([np.zeros(sizes[0], dtype=np.intp), codes + 2,
                                             np.ones(sizes[2], dtype=np.intp)]))

    elements_ended = np.concatenate([_element_on(people, consent, found)[given],
                                     _element_on(people, people.withdrawn, found)[withdrew],
                                     people.completed_element[finished]])
    frame = pd.DataFrame(_constants({
        "STUDYID": protocol.study_id, "DOMAIN": "DS", "USUBJID": people.ids(who), "DSSEQ": np.nan,
        "DSTERM": column("INFORMED CONSENT OBTAINED", np.where(reason != "", reason, category)[withdrew], "COMPLETED"),
        "DSDECOD": column("INFORMED CONSENT OBTAINED", category[withdrew], "COMPLETED"),
        "DSCAT": _taken(np.array(["PROTOCOL MILESTONE", "DISPOSITION EVENT"], dtype=object),
                        np.repeat(np.array([0, 1, 1], dtype=np.intp), sizes)),
        # -1 (no element begun): the last, "".
        "EPOCH": _taken(np.array([element.epoch for element in found] + [""], dtype=object),
                        np.where(elements_ended < 0, len(found), elements_ended)),
        "DSSTDTC": _days_iso(dates), "DSSTDY": study_day(dates, reference)}, len(who)),
        index=pd.RangeIndex(len(who)))
    return _sorted(frame, ["STUDYID", "USUBJID", "DSSTDTC", "DSDECOD"], "DSSEQ")


def subject_visits(protocol: Protocol, check: pd.DataFrame, people: Subjects,
                   as_of: np.datetime64) -> pd.DataFrame:
    """One record per visit done, per planned visit missed as of the as-of date, and per visit
    recorded as not done (SVOCCUR N, its reason) whatever its status."""
    visits = len(protocol.visits)
    status = people.status.ravel()
    actual = people.actual.ravel()
    reason = people.reason.ravel()
    done = ~np.isnat(actual)
    # A record of a visit not done counts once its window has opened by the as-of date (a
    # look-back before then does not know of it, as it would not know of a later visit).
    assert people.opens is not None
    opened = people.opens.ravel() <= np.asarray(as_of).astype("M8[D]")
    keep = _with_status(status, JUDGED) | (~done & (reason != "") & opened)
    numbers = protocol.visit_numbers()
    visitnum = np.array([numbers[code] for code in protocol.codes], dtype=float)
    # The rows kept (positions in participant × visit), already in the dataset's key order
    # (USUBJID, VISITNUM): every column is made once, in place, with no sort of the frame after.
    # Participants in USUBJID order, each one's visits in VISITNUM order (ranks are distinct,
    # the sort of the visits stable): the lexsort of the rows kept, without sorting them.
    grid = (people.in_id_order[:, None] * visits + np.argsort(visitnum, kind="stable")[None, :]).ravel()
    rows = grid[keep[grid]]
    who, which = np.divmod(rows, visits)
    planned = planned_days(protocol)
    epochs = np.array([visit.epoch for visit in protocol.visits], dtype=object)
    names = np.array([visit.contract_name for visit in protocol.visits], dtype=object)
    dates = _days_iso(actual[rows])
    day = study_day(actual[rows], people.reference[who])
    frame = pd.DataFrame(_constants({
        "STUDYID": protocol.study_id, "DOMAIN": "SV", "USUBJID": people.ids(who),
        "VISITNUM": visitnum[which], "VISIT": _taken(names, which),
        "SVPRESP": "Y", "SVOCCUR": _taken(np.array(["N", "Y"], dtype=object), done[rows].astype(np.intp)),
        "SVREASOC": np.where(done[rows], "", reason[rows]).astype(object),
        "VISITDY": np.array([planned.get(code, np.nan) for code in protocol.codes], dtype=float)[which],
        "EPOCH": _observed_epochs(people, actual[rows], who, epochs, which),
        "SVSTDTC": dates, "SVENDTC": dates,
        "SVSTDY": day, "SVENDY": day, "SVUPDES": ""}, len(rows)), index=pd.RangeIndex(len(rows)))
    return frame  # in key order as made: USUBJID's codes are the ranks sorted by, then VISITNUM


def _shapes(visit: np.ndarray, status: np.ndarray, days: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """A number per distinct (visit, status, days outside, window close when missed) — a
    deviation's DVTERM — numbered as pd.factorize numbers them (in order of first
    appearance): one int64 key when they fit in it, else the tuples themselves. ``status``:
    _status_codes of early, late and missed."""
    kind = np.select([status == STATUSES.index(Status.EARLY), status == STATUSES.index(Status.LATE)], [0, 1], 2)
    missed = kind == 2
    close = np.where(missed, closes.astype("M8[D]").astype(np.int64), 0)
    low, span = (int(close[missed].min()), int(close[missed].max() - close[missed].min()) + 1) if missed.any() \
        else (0, 1)
    reach = int(days.max()) - min(int(days.min()), 0) + 1 if len(days) else 1
    if (int(visit.max()) + 1 if len(visit) else 1) * 3 * reach * span < 2 ** 62:
        key = ((visit.astype(np.int64) * 3 + kind) * reach + (days - min(int(days.min()), 0) if len(days) else days))
        key = key * span + np.where(missed, close - low, 0)
        shape: np.ndarray = pd.factorize(key)[0]
        return shape
    shape = pd.factorize(pd.MultiIndex.from_arrays([visit, kind, days, close]))[0]
    return shape


def deviations(protocol: Protocol, people: Subjects) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DV, one record per early, late or missed visit as of the as-of date, and SUPPDV: the
    reason recorded for it, where there is one (QNAM DVREAS)."""
    visits = max(len(protocol.visits), 1)
    keep = _with_status(people.status.ravel(), DEVIATIONS)
    kept = np.flatnonzero(keep)
    who, visit = np.divmod(kept, visits)  # each deviation's participant and visit (its place)
    actual = people.actual.ravel()[keep]
    closes = people.close.ravel()[keep]
    start = np.where(np.isnat(actual), closes + np.timedelta64(1, "D"), actual)
    # Days outside the window: before its open (early), after its close (late).
    opens = closes - np.array([item.minus + item.plus for item in protocol.visits], dtype="m8[D]")[visit]
    early_days = (opens - actual).astype("m8[D]").astype(np.int64)
    late_days = (actual - closes).astype("m8[D]").astype(np.int64)
    status = people.status.ravel()[keep]
    early, late, missed = (status == STATUSES.index(Status.EARLY), status == STATUSES.index(Status.LATE),
                           status == STATUSES.index(Status.MISSED))
    # "Week 2 done 3 days before its window", "… missed (window closed 2010-09-01)": each
    # distinct text made once (81,000 deviations hold a few hundred), the rows its codes.
    days = np.where(early, early_days, np.where(late, late_days, 0))
    shape = _shapes(visit, status, days, closes)
    first = np.unique(shape, return_index=True)[1].tolist()  # the first row of each shape, in shape order
    names = [item.contract_name for item in protocol.visits]
    closed = iso(closes[first]).tolist()
    made = [f"{names[visit[row]]} done {_days(int(days[row]))} before its window" if early[row]
            else f"{names[visit[row]]} done {_days(int(days[row]))} after its window" if late[row]
            else f"{names[visit[row]]} missed (window closed {close})" for row, close in zip(first, closed)]
    epochs = np.array([item.epoch for item in protocol.visits], dtype=object)
    frame = pd.DataFrame(_constants({
        "STUDYID": protocol.study_id, "DOMAIN": "DV", "USUBJID": people.ids(who),
        "DVSEQ": np.nan, "DVREFID": _taken(np.array(protocol.codes, dtype=object), visit),
        "DVTERM": _taken(np.array(made, dtype=object), shape),
        "DVDECOD": _taken(np.array(["VISIT OUT OF WINDOW", "MISSED VISIT"], dtype=object), missed.astype(np.intp)),
        "DVCAT": "VISIT SCHEDULE",
        "EPOCH": _observed_epochs(people, start, who, epochs, visit),
        "DVSTDTC": _days_iso(start), "DVSTDY": study_day(start, people.reference[who]),
        "reason": people.reason.ravel()[keep]}, len(kept)), index=pd.RangeIndex(len(kept)))
    frame = _sorted(frame, ["STUDYID", "USUBJID", "DVSTDTC", "DVREFID"], "DVSEQ")
    with_reason = frame[frame["reason"] != ""]
    label, _origin = SUPPLEMENTAL["DVREAS"]
    supplemental = pd.DataFrame(_constants({
        "STUDYID": protocol.study_id, "RDOMAIN": "DV", "USUBJID": with_reason["USUBJID"].array,
        "IDVAR": "DVSEQ", "IDVARVAL": with_reason["DVSEQ"].astype(int).astype(str).to_numpy(dtype=object),
        "QNAM": "DVREAS", "QLABEL": label, "QVAL": with_reason["reason"].to_numpy(dtype=object),
        "QORIG": "Collected", "QEVAL": ""}, len(with_reason)), index=pd.RangeIndex(len(with_reason)))
    return frame.drop(columns="reason"), supplemental


def start_date(protocol: Protocol, participants: pd.DataFrame) -> tuple[str, list[str]]:
    """TS SSTDTC: the earliest informed consent of a participant who was not a screen failure
    (the FDA's definition of the study start, so TS agrees with DM RFICDTC); without consent
    dates, [study] start_date; else the earliest enrollment, with a warning."""
    if "consent_date" in participants:
        # Screen failures are not enrolled participants: their consent does not start the study.
        screened_out = _column(participants, "withdrawal_category") == "SCREEN FAILURE"
        consents = participants["consent_date"][~screened_out]
        if consents.notna().any():
            return str(iso(np.array([consents.min()], dtype="M8[D]"))[0]), []
    if protocol.design.start_date:
        return protocol.design.start_date, []
    if not len(participants):
        return "", []
    earliest = str(iso(np.array([participants["enrollment_date"].min()], dtype="M8[D]"))[0])
    return earliest, [_("TS SSTDTC is the earliest enrollment date ({date}): add start_date to [study], or "
                        "consent dates to the participants file").format(date=earliest)]


def missing_epochs(protocol: Protocol) -> None:
    """Every visit needs an epoch for SV, DV and the elements."""
    missing = [visit.code for visit in protocol.visits if not visit.epoch]
    if missing:
        raise ExportRefused(_("{file}: visits {visits} have no SDTM epoch — add epoch = \"TREATMENT\" (or "
                              "SCREENING, FOLLOW-UP, …) to each, or a kind (screening, treatment, "
                              "follow-up): nothing was written").format(file=protocol.source,
                                                                        visits=", ".join(missing)))


def unscheduled_visits(protocol: Protocol, people: Subjects, extra: Unscheduled) -> pd.DataFrame:
    """SV rows of unscheduled visits: VISIT UNSCHEDULED, SVPRESP, SVOCCUR and VISITDY empty,
    SVUPDES the reason; VISITNUM the VISITNUM of the last planned visit done on or before the
    date + 0.01 × its rank since then (SDTMIG's convention: 2.01, 2.02 after visit 2; 0.01
    before any); EPOCH the element the participant was in that day (as SE has it)."""
    numbers = np.array([protocol.visit_numbers()[code] for code in protocol.codes], dtype=float)
    dates = extra.actual_date.astype("M8[D]")
    done = people.actual[extra.participant]  # (n, V)
    before = ~np.isnat(done) & (done <= dates[:, None])
    # The last one done: the latest date, of two on one day the later in the protocol.
    key = np.where(before, done.astype(np.int64) * 1_000 + np.arange(len(numbers))[None, :], np.iinfo(np.int64).min)
    last = key.argmax(axis=1) if len(numbers) else np.zeros(len(dates), dtype=int)
    base = np.where(before.any(axis=1), numbers[last] if len(numbers) else 0.0, 0.0)
    rank = pd.Series(base).groupby([extra.participant, base]).cumcount().to_numpy() + 1
    # The next planned VISITNUM above each base: n.01, n.02 … must stay below it (a protocol's
    # own fractional visitnum, 1.02, would otherwise be taken by a second unscheduled visit).
    ordered = np.sort(np.unique(numbers))
    above = ordered[np.minimum(np.searchsorted(ordered, base, side="right"), len(ordered) - 1)] if len(ordered) \
        else np.full(len(base), np.inf)
    above = np.where(above > base, above, np.inf)
    reach = np.round(base + 0.01 * rank, 2) >= np.round(above, 2)
    if len(rank) and (rank.max() >= 100 or reach.any()):
        crowded = int(np.flatnonzero((rank >= 100) | reach)[0])
        raise ExportRefused(_("{usubjid} has so many unscheduled visits after one planned visit that their "
                              "VISITNUM (n.01, n.02 …) would reach the next planned visit's — nothing was "
                              "written; check the visits file for records entered many times, or give the "
                              "planned visits whole visitnum values").format(
                                  usubjid=people.usubjid[extra.participant[crowded]]))
    planned = np.array([visit.epoch for visit in protocol.visits], dtype=object)
    fallback = np.where(before.any(axis=1), planned[last] if len(numbers) else "", "").astype(object)
    text = iso(dates)
    day = study_day(dates, people.reference[extra.participant])
    return pd.DataFrame(_constants({
        "STUDYID": protocol.study_id, "DOMAIN": "SV", "USUBJID": people.ids(extra.participant),
        "VISITNUM": np.round(base + 0.01 * rank, 2), "VISIT": "UNSCHEDULED", "SVPRESP": "", "SVOCCUR": "",
        "SVREASOC": "", "VISITDY": np.nan,
        "EPOCH": _observed_epoch(people, dates, extra.participant, fallback),
        "SVSTDTC": text, "SVENDTC": text, "SVSTDY": day, "SVENDY": day,
        "SVUPDES": extra.reason.astype(object)}, len(dates)), index=pd.RangeIndex(len(dates)))


def build(protocol: Protocol, check: pd.DataFrame, participants: pd.DataFrame, as_of: np.datetime64,
          country: str, roster: str = "", extra: Unscheduled | None = None) -> Built:
    """Every dataset in ORDER; refusals (ExportRefused) before anything is built. ``roster``
    names the participants file in messages; ``extra``: the records of unscheduled visits."""
    missing_epochs(protocol)
    extra = extra if extra is not None else Unscheduled.empty()
    # As of a date, a participant enrolled later was not in the study yet: in no dataset.
    enrolled = participants["enrollment_date"].to_numpy().astype("M8[D]") <= np.asarray(as_of).astype("M8[D]")
    if not enrolled.all():
        renumbered = np.cumsum(enrolled) - 1
        mine = enrolled[extra.participant]
        extra = Unscheduled(renumbered[extra.participant[mine]], extra.code[mine], extra.actual_date[mine],
                            extra.reason[mine], extra.line[mine])
        check = check[enrolled[row_participants(check)]].reset_index(drop=True)
        participants = participants[enrolled].reset_index(drop=True)
        # The rows' participant codes, renumbered for the shorter roster.
        check["participant_id"] = pd.Categorical(check["participant_id"].astype(object),
                                                 categories=pd.Index(participants["participant_id"], dtype=object))
    people = subjects(protocol, check, participants, as_of, roster, extra)
    sstdtc, warnings = start_date(protocol, participants)
    dm, sex_warnings = demographics(protocol, participants, people, country)
    dv, suppdv = deviations(protocol, people)
    datasets = {
        "TS": trial_summary(protocol, sstdtc), "TA": trial_arms(protocol), "TE": trial_elements(protocol),
        "TV": trial_visits(protocol), "TI": trial_criteria(protocol), "DM": dm,
        "SE": subject_elements(protocol, people, participants),
        "DS": disposition(protocol, participants, people, roster),
        "SV": _visits(subject_visits(protocol, check, people, as_of), unscheduled_visits(protocol, people, extra)),
        "DV": dv, "SUPPDV": _sorted(suppdv, ["USUBJID"]),
    }
    for name in ORDER:  # the spec's columns in its order, rows numbered 0, 1 … (copied only when not)
        frame, names = datasets[name], list(DATASETS[name].names)
        if list(frame.columns) != names:
            frame = frame[names]
        if not frame.index.equals(pd.RangeIndex(len(frame))):
            frame = frame.reset_index(drop=True)
        datasets[name] = frame
    return Built(datasets, tuple(element.epoch for element in elements(protocol)), warnings + sex_warnings)


def _visits(planned: pd.DataFrame, unscheduled: pd.DataFrame) -> pd.DataFrame:
    """SV: the planned visits' records (in key order) with the unscheduled ones among them."""
    if not len(unscheduled):
        return planned
    return _sorted(pd.concat([planned, unscheduled], ignore_index=True), ["STUDYID", "USUBJID", "VISITNUM"])


XPT_TEXT_LIMIT = 200  # SAS transport version 5: a character variable holds at most 200 bytes
SDTM_TEXT_LIMIT = 200  # SDTMIG: a text value holds at most 200 characters


def length_warnings(measures: Mapping[tuple[str, str], tuple[int, bool]]) -> list[str]:
    """Text longer than SDTM allows (200 characters), in any format: kept whole in CSV and
    Dataset-JSON, but a validator refuses it; shortened where it is recorded. ``measures``:
    each text variable's longest value and whether all are ASCII, by (dataset, variable), as
    outputs.dataset_json.text_measures gives them."""
    return [_("{dataset}.{variable} holds text longer than {limit} characters, more than SDTM "
              "allows — shorten it where it is recorded (a reason, the protocol's title)").format(
                  dataset=name, variable=column, limit=SDTM_TEXT_LIMIT)
            for (name, column), (longest, _ascii) in measures.items() if longest > SDTM_TEXT_LIMIT]


def transport_warnings(texts: Mapping[tuple[str, str], Sequence[str]],
                       measures: Mapping[tuple[str, str], tuple[int, bool]]) -> list[str]:
    """What a SAS transport v5 file cannot hold as it is: non-ASCII text, long text
    (``texts``: each text variable's distinct values, as outputs.dataset_json.distinct_texts
    gives them; ``measures`` as for length_warnings)."""
    notes = []
    for (name, column), values in texts.items():
        longest, ascii_only = measures[name, column]
        if not ascii_only:
            notes.append(_("{dataset}.{variable} holds characters outside ASCII; SAS transport files "
                           "for a submission should be ASCII only").format(dataset=name, variable=column))
        # The longest in characters: in bytes too when ASCII.
        if longest > XPT_TEXT_LIMIT or (not ascii_only and any(len(value.encode("utf-8")) > XPT_TEXT_LIMIT
                                                               for value in values)):
            notes.append(_("{dataset}.{variable} holds text longer than {limit} bytes: it is cut to "
                           "{limit} in the .xpt file (the CSV keeps it whole)").format(
                               dataset=name, variable=column, limit=XPT_TEXT_LIMIT))
    return notes
