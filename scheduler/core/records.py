"""Visit records checked against the roster, the protocol, today and the as-of date.

Data problems never stop the check: each is listed (file:line, what, how to fix) and the
record is left out, except visits done out of protocol order, which are listed and used.
Which record is used, in order of the rules (PRODUCT.md, "Data problems"):

1. a line that cannot be a record as it is (more cells than the header, a control
   character in the ID: the reader's ``problem``), unknown participant, unknown visit
   code, a visit the participant's arm does not have (with [[arms]]), a visit none of the
   protocol versions the participant follows or followed has (with versions), a date that cannot be
   read or does not exist, an unscheduled visit without its date, an empty date without a
   reason, a date after today, before enrollment or after the participant withdrew: listed,
   left out;
2. a date after an explicit past as-of date: left out silently (it had not happened yet);
3. two records for the same visit: both listed, the earliest date used (a dated record
   before a "did not happen" record);
4. visits dated before a visit that comes earlier in the protocol: listed, used.

Records of unscheduled visits (``[unscheduled] codes``) are kept apart (``Unscheduled``): any
number per participant, rules 3 and 4 do not apply to them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import pandas as pd

from scheduler.core import dates as datelib
from scheduler.core.arms import arm_of, expected_visits
from scheduler.core.table import Table
from scheduler.core.versions import Moves, in_versions
from scheduler.errors import Problems, fill
from scheduler.i18n import _, ngettext
from scheduler.protocol import Protocol


@dataclass(frozen=True)
class Unscheduled:
    """Records of unscheduled visits ([unscheduled] codes): any number per participant,
    never judged, never an anchor. ``participant``: roster positions; ``line``: the visits
    file's lines (a correction names the record by its date)."""

    participant: np.ndarray
    code: np.ndarray
    actual_date: np.ndarray
    reason: np.ndarray
    line: np.ndarray

    @classmethod
    def empty(cls) -> Unscheduled:
        return cls(np.array([], dtype=np.int64), np.array([], dtype=object), np.array([], dtype="M8[D]"),
                   np.array([], dtype=object), np.array([], dtype=np.int64))

    def of_participant(self, position: int) -> Unscheduled:
        keep = self.participant == position
        return Unscheduled(np.zeros(int(keep.sum()), dtype=np.int64), self.code[keep], self.actual_date[keep],
                           self.reason[keep], self.line[keep])


@dataclass(frozen=True)
class Records:
    """The visit records the check uses: one per participant and visit at most.

    ``participant`` and ``visit`` are positions in the roster and in the protocol;
    ``actual_date`` is NaT for a visit recorded as not done (its ``reason`` says why).
    """

    participant: np.ndarray
    visit: np.ndarray
    actual_date: np.ndarray
    reason: np.ndarray
    problems: Problems
    unscheduled: Unscheduled = field(default_factory=Unscheduled.empty)

    @classmethod
    def empty(cls) -> Records:
        return cls(np.array([], dtype=np.int64), np.array([], dtype=np.int64),
                   np.array([], dtype="M8[D]"), np.array([], dtype=object), Problems.none())

    def of_participant(self, position: int) -> Records:
        """One participant's records, renumbered for a roster of that participant alone."""
        keep = self.participant == position
        return Records(np.zeros(int(keep.sum()), dtype=np.int64), self.visit[keep],
                       self.actual_date[keep], self.reason[keep], Problems.none(),
                       self.unscheduled.of_participant(position))


def check_records(records: pd.DataFrame, table: Table, participants: pd.DataFrame,
                  protocol: Protocol, today: np.datetime64, as_of: np.datetime64,
                  moves: Moves | None = None) -> Records:
    """Sort visit records into used and problems. Vectorized; loops only over problems.
    ``moves``: the version history (with protocol versions), as of ``as_of``."""
    roster_ids = pd.Index(participants["participant_id"])
    codes = pd.Index(protocol.codes)
    participant = _positions(roster_ids, records["participant_id"])
    visit = _positions(codes, records["visit_code"])
    actual = records["actual_date"].to_numpy().astype("M8[D]")
    date_code = records["date_code"].to_numpy()
    reason = records["reason"].to_numpy(dtype=object)
    lines = records["line"].to_numpy()
    known = participant >= 0
    # Unscheduled visits (a participant comes in for an adverse event): their own rules below.
    unscheduled = np.isin(records["visit_code"].to_numpy(dtype=object), list(protocol.unscheduled))
    # Lookups by roster position; an empty roster gets one empty row so that an unknown
    # participant's position (clipped to 0) indexes something (its values are never used).
    padded = participants if len(participants) else pd.DataFrame({
        "enrollment_date": np.array([np.datetime64("NaT")], dtype="M8[D]"),
        "withdrawal_date": np.array([np.datetime64("NaT")], dtype="M8[D]")})
    safe = np.clip(participant, 0, None)
    enrollment = np.where(known, padded["enrollment_date"].to_numpy().astype("M8[D]")[safe], np.datetime64("NaT"))
    withdrawal = np.where(known, padded["withdrawal_date"].to_numpy().astype("M8[D]")[safe], np.datetime64("NaT"))
    has_date = ~np.isnat(actual)
    # A visit whose window can open before enrollment (screening) is judged by its window.
    before_allowed = np.isin(visit, [protocol.codes.index(code) for code in protocol.may_precede_enrollment()])

    # The reader's problems with a line (a column only when it found some).
    unreadable = (records["problem"].notna().to_numpy() if "problem" in records.columns
                  else np.zeros(len(records), dtype=bool))

    # Each record gets the first rule it breaks; the order is the order of the checks.
    # With [[arms]], a visit the participant's arm does not have (D14 for an arm without a
    # third transplant): a record of it is a mistake, not a visit to judge.
    not_of_arm = np.zeros(len(records), dtype=bool)
    # With protocol versions, a visit none of the participant's versions has (one only 1.0
    # had, for a participant enrolled under 2.0); with arms too, one none of them has for
    # the participant's arm (each version says which arms have which visit).
    not_in_versions = np.zeros(len(records), dtype=bool)
    if protocol.versions and len(participants):
        candidates = known & (visit >= 0)
        found = (protocol, participants["enrollment_date"].to_numpy(), roster_ids.to_numpy(dtype=object),
                 moves if moves is not None else Moves.empty(), participant[candidates], visit[candidates])
        some = in_versions(*found)
        not_in_versions[candidates] = ~some
        if protocol.arms:
            not_of_arm[candidates] = some & ~in_versions(*found, arms=arm_of(participants))
    else:
        expected = expected_visits(protocol, participants)
        if expected is not None and len(participants):
            not_of_arm = known & (visit >= 0) & ~expected[safe, np.clip(visit, 0, None)]
    rules = [
        (unreadable, "read problem"),
        (~known, "unknown participant"),
        ((visit < 0) & ~unscheduled, "unknown visit"),
        (not_of_arm, "not of the arm"),
        (not_in_versions, "not in the versions"),
        (~np.isin(date_code, (datelib.OK, datelib.EMPTY)), "bad date"),
        (unscheduled & (date_code == datelib.EMPTY), "unscheduled without date"),
        ((date_code == datelib.EMPTY) & (reason == ""), "empty without reason"),
        (has_date & (actual > today), "after today"),
        (has_date & (actual < enrollment) & ~before_allowed, "before enrollment"),
        (has_date & ~np.isnat(withdrawal) & (actual > withdrawal), "after withdrawal"),
    ]
    broken = np.full(len(records), -1, dtype=np.int8)
    for number, (mask, _rule) in enumerate(rules):
        broken[(broken < 0) & mask] = number

    problems: list[Problems] = []  # rule by rule, in line order at the end
    describe = _Describer(table, records, participants, protocol, today)  # light until used
    for number, (_mask, rule) in enumerate(rules):
        positions = np.flatnonzero(broken == number)
        if len(positions):
            problems.append(describe.rule(rule, positions, enrollment[positions], withdrawal[positions]))

    # A value under no name in the header (the visits reader's note): said of a record that
    # breaks no rule, which is used as it is.
    if "note" in records.columns:
        noted = np.flatnonzero(records["note"].notna().to_numpy() & (broken < 0))
        if len(noted):
            problems.append(Problems.of(records["note"].to_numpy(dtype=object)[noted].tolist()))
    # Records dated after an explicit past as-of date had not happened yet: not problems.
    usable = (broken < 0) & ~(has_date & (actual > as_of))
    # Unscheduled visits are kept apart: the duplicate and order rules are for planned ones.
    extra = np.flatnonzero(usable & unscheduled)
    extra = extra[np.lexsort((lines[extra], actual[extra].astype(np.int64), participant[extra]))]
    kept = Unscheduled(participant[extra].astype(np.int64), records["visit_code"].to_numpy(dtype=object)[extra],
                       actual[extra], reason[extra], lines[extra].astype(np.int64))
    index = np.flatnonzero(usable & ~unscheduled)
    # Per participant and visit: dated records before a "did not happen" record (NaT), the
    # earliest date first, then the file's order. np.lexsort sorts by its LAST key first.
    index = index[record_order(participant[index], visit[index], actual[index], lines[index], len(codes))]
    # The records of one visit are side by side now: a record repeats the visit of the one
    # before it when their (participant, visit) cells are equal.
    cell = participant[index].astype(np.int64) * max(len(codes), 1) + visit[index]
    again = np.zeros(len(index), dtype=bool)
    again[1:] = cell[1:] == cell[:-1]
    repeated = again.copy()
    repeated[:-1] |= again[1:]
    if repeated.any():
        problems.append(describe.duplicates(index[repeated], again[repeated], actual))
    index = index[~again]

    used = Records(participant[index], visit[index], actual[index], reason[index], Problems.none())
    problems.append(describe.out_of_order(used, index, len(participants), len(codes)))
    return Records(used.participant, used.visit, used.actual_date, used.reason, Problems.joined(problems).by_line(),
                   kept)


def record_order(participant: np.ndarray, visit: np.ndarray, actual: np.ndarray, lines: np.ndarray,
                 visits: int) -> np.ndarray:
    """The order of ``np.lexsort((lines, actual, isnat(actual), visit, participant))``:
    by participant, visit, dated before not dated, date, line. When the lines rise (the
    file's order) and the keys fit, one int64 key sorted stably gives it: a tenth of
    lexsort's time for 640,000 records (participant and visit are positions, never -1)."""
    undated = np.isnat(actual)
    days = actual.astype(np.int64)
    low = int(days[~undated].min()) if (~undated).any() else 0
    span = int(days[~undated].max()) - low + 1 if (~undated).any() else 1
    people = int(participant.max()) + 1 if len(participant) else 1
    if people * max(visits, 1) * 2 * span >= 2 ** 62 or (len(lines) > 1 and not (np.diff(lines) > 0).all()):
        return np.lexsort((lines, days, undated, visit, participant))
    key = ((participant.astype(np.int64) * max(visits, 1) + visit) * 2 + undated) * span
    key += np.where(undated, 0, days - low)
    return np.argsort(key, kind="stable")


def _positions(index: pd.Index, cells: pd.Series) -> np.ndarray:
    """Each cell's position in ``index`` (-1 where it is not there): the cells' distinct
    values looked up, not every cell (a fifth fewer instructions for 650,000 records of
    100,000 participants)."""
    codes, distinct = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=True)
    if not len(distinct):
        return np.full(len(cells), -1, dtype=np.intp)
    found = np.append(index.get_indexer(pd.Index(distinct, dtype=object)), -1)  # code -1: not there
    return found[codes]


class _Describer:
    """Turns a broken rule into a message a nurse can act on. Runs per problem only."""

    def __init__(self, table: Table, records: pd.DataFrame, participants: pd.DataFrame,
                 protocol: Protocol, today: np.datetime64):
        self.table = table
        self.records = records
        self.participants = participants
        self.protocol = protocol
        self.today = today
        self.hints: dict[tuple[str, str], str] = {}

    @functools.cached_property
    def columns(self) -> dict[str, np.ndarray]:
        # Plain arrays: a problem's message reads a few cells, and pandas' .iloc per cell
        # would dominate a check with tens of thousands of problems.
        return {name: self.records[name].to_numpy(dtype=object)
                for name in ("participant_id", "visit_code", "date_text")}

    @functools.cached_property
    def lines(self) -> np.ndarray:
        return self.records["line"].to_numpy()

    @functools.cached_property
    def date_codes(self) -> np.ndarray:
        return self.records["date_code"].to_numpy()

    @functools.cached_property
    def roster(self) -> list[str]:
        return list(self.participants["participant_id"])

    @functools.cached_property
    def arms(self) -> dict[str, str]:
        """Each participant's arm ("" not yet assigned), for the "not of the arm" message."""
        if "arm" not in self.participants:
            return {}
        return dict(zip(self.roster, self.participants["arm"].fillna("").astype(str)))

    @functools.cached_property
    def by_stripped(self) -> dict[str, str]:
        # map and zip, not a comprehension: twice as fast for 100,000 IDs (the later wins alike)
        return dict(zip(map(str.lstrip, self.roster, repeat("0")), self.roster))

    @functools.cached_property
    def by_folded(self) -> dict[str, str]:
        return dict(zip(map(str.casefold, self.roster), self.roster))

    def _texts(self, column: str, positions: np.ndarray) -> list[str]:
        """The cells of ``column`` at ``positions``, as text."""
        return list(map(str, self.columns[column][positions].tolist()))

    def _problems(self, positions: np.ndarray, messages: Iterable[str], column: str,
                  values: Iterable[str | None], fixes: Iterable[str],
                  participants: list[str] | None = None) -> Problems:
        """One problem per record at ``positions`` (a rule's records, in file order);
        ``participants``: their IDs, when the caller has them already."""
        if participants is None:
            participants = self._texts("participant_id", positions)
        return Problems.made(self.table.label, self.table.sheet, self.lines[positions].tolist(), messages, column,
                             values, fixes, participants)

    def rule(self, rule: str, positions: np.ndarray, enrollment: np.ndarray,
             withdrawal: np.ndarray) -> Problems:
        """The problems of the records at ``positions``, which break ``rule`` (first of the
        rules): the texts made per record with no lookup that is not needed, the hints once
        per distinct value (a file with 19,000 unknown IDs may name a few hundred)."""
        if rule == "read problem":
            return Problems.of(self.records["problem"].to_numpy(dtype=object)[positions].tolist())
        participants = self._texts("participant_id", positions)
        # Only the cells a rule's messages name are made into text.
        codes = self._texts("visit_code", positions) if rule in _NAMING_THE_VISIT else []
        dates = self._texts("date_text", positions) if rule in _NAMING_THE_DATE else []
        rows = len(positions)
        if rule == "unknown participant":
            return self._problems(positions, repeat(_("participant not in the participants file"), rows),
                                  "participant_id", participants, self._id_hints(participants),
                                  participants=participants)
        if rule == "unknown visit":
            return self._problems(positions, repeat(_("visit code not in the protocol"), rows), "visit_code",
                                  codes, [self._code_hint(code) for code in codes], participants=participants)
        if rule == "unscheduled without date":
            return self._problems(positions, repeat(_("an unscheduled visit needs the date it took place"), rows),
                                  "actual_date", repeat(None, rows),
                                  repeat(_("fill in actual_date, or remove the line if the visit did not take "
                                           "place"), rows), participants=participants)
        if rule == "not of the arm":
            arms = [self.arms.get(participant, "") for participant in participants]
            assigned = _("{participant} is in arm {arm}, which does not have visit {visit}")
            unassigned = _("{participant} is not yet assigned to an arm, and not every arm has visit {visit}")
            assigned_fix = _("check the visit code, or the participant's arm (visit-scheduler correct ID "
                             "--arm ARM --reason …)")
            unassigned_fix = _("assign the arm first: visit-scheduler correct ID --arm ARM --reason …")
            return self._problems(
                positions,
                [(assigned if arm else unassigned).format(participant=participant, arm=arm, visit=code)
                 for participant, arm, code in zip(participants, arms, codes)],
                "visit_code", codes, [assigned_fix if arm else unassigned_fix for arm in arms],
                participants=participants)
        if rule == "not in the versions":
            # TRANSLATORS: {participant} is a participant ID, {visit} a visit code.
            template = _("visit {visit} is in none of the protocol versions {participant} follows")
            fix = _("check the visit code (an unscheduled visit is recorded as {codes}), or the participant's "
                    "version history (visit-scheduler status ID)").format(
                        codes=", ".join(self.protocol.unscheduled) or "UNS")
            return self._problems(positions, fill(template, rows, participant=participants, visit=codes),
                                  "visit_code", codes, repeat(fix, rows), participants=participants)
        if rule == "bad date":
            kinds = self.date_codes[positions].tolist()
            said = {kind: (datelib.what(kind), datelib.hint(kind)) for kind in set(kinds)}
            return self._problems(positions, [said[kind][0] for kind in kinds], "actual_date", dates,
                                  [said[kind][1] for kind in kinds], participants=participants)
        if rule == "empty without reason":
            # TRANSLATORS: {participant} is a participant ID, {visit} a visit code (D7).
            template = _("no date and no reason for {participant} {visit}")
            # TRANSLATORS: "reason" is the name of a column of the visits file.
            fix = _("fill in the date the visit was done, or give in column reason why it did not happen")
            return self._problems(positions, fill(template, rows, participant=participants, visit=codes),
                                  "actual_date", repeat(None, rows), repeat(fix, rows), participants=participants)
        if rule == "after today":
            return self._problems(positions, repeat(_("the date is after today ({date})").format(
                                      date=_day(self.today)), rows),
                                  "actual_date", dates,
                                  repeat(_("a visit cannot be done in the future: check the year, month and day"),
                                         rows), participants=participants)
        if rule == "before enrollment":
            template = _("the date is before {participant} was enrolled ({date})")
            return self._problems(positions, fill(template, rows, participant=participants, date=_days(enrollment)),
                                  "actual_date", dates, repeat(_("check this date and the enrollment date"), rows),
                                  participants=participants)
        template = _("visit recorded after {participant} withdrew ({date})")
        return self._problems(positions, fill(template, rows, participant=participants, date=_days(withdrawal)),
                              "actual_date", dates,
                              repeat(_("check this date and the withdrawal date; the record is left out"), rows),
                              participants=participants)

    def _hinted(self, kind: str, value: str, make: Callable[[str], str]) -> str:
        """A hint worked out once per distinct value (a file may have thousands of lines with
        one wrong ID or code)."""
        known = self.hints.get((kind, value))
        if known is None:
            known = self.hints[(kind, value)] = make(value)
        return known

    def _id_hints(self, participants: list[str]) -> list[str]:
        """``_id_hint_of`` of each participant, worked out once per distinct ID."""
        hints = {participant: self._id_hint_of(participant) for participant in dict.fromkeys(participants)}
        return list(map(hints.__getitem__, participants))

    def _id_hint_of(self, participant: str) -> str:
        candidate = self.by_stripped.get(participant.lstrip("0"))
        if candidate is not None and candidate != participant:
            # TRANSLATORS: {participant} is a participant ID of the roster; "Text" is Excel's
            # cell format of that name.
            return _("did you mean {participant}? IDs are compared as text (Excel drops "
                     "leading zeros: format the column as Text)").format(participant=candidate)
        candidate = self.by_folded.get(participant.casefold())
        if candidate is not None:
            return _("did you mean {participant}?").format(participant=candidate)
        return self.unknown_id_fix

    @functools.cached_property
    def unknown_id_fix(self) -> str:
        """Translated once: 19,000 unknown IDs may each need it."""
        return _("check the ID, or add the participant to the participants file")

    def _code_hint(self, code: str) -> str:
        return self._hinted("code", code, self._code_hint_of)

    def _code_hint_of(self, code: str) -> str:
        for candidate in self.protocol.codes:
            if candidate.casefold() == code.casefold():
                # TRANSLATORS: {visit} is a visit code of the protocol (D7).
                return _("did you mean {visit}? Visit codes are case-sensitive").format(visit=candidate)
        # TRANSLATORS: {codes} is the protocol's visit codes, separated by commas.
        return _("use one of the protocol's codes: {codes}").format(codes=", ".join(self.protocol.codes))

    def duplicates(self, index: np.ndarray, again: np.ndarray, actual: np.ndarray) -> Problems:
        """Both (every) records of one visit, each naming the others' lines. ``index``: the
        records of repeated visits, sorted so that each visit's records are together and the
        one used comes first; ``again``: whether a record repeats the visit of the one before."""
        starts = np.flatnonzero(~again)
        sizes = np.diff(np.r_[starts, len(index)])
        lines = self.lines[index]
        participants = self._texts("participant_id", index)
        codes = self._texts("visit_code", index)
        used = actual[index[starts]]
        earliest = _("keep one record per visit; the earliest date ({date}) is used")
        first = _("keep one record per visit; the first record is used")
        fixes = [first if undated else said for undated, said in
                 zip(np.isnat(used).tolist(), fill(earliest, len(used), date=_days(used)))]
        # A pair (the usual): each names the other's line, all at once.
        size = np.repeat(sizes, sizes)
        pair = np.flatnonzero(size == 2)
        messages: list[str] = [""] * len(index)
        if len(pair):
            other = np.where(again[pair], lines[pair - 1], lines[np.minimum(pair + 1, len(lines) - 1)])
            rows = pair.tolist()
            for row, text in zip(rows, fill(_records_for(1), len(rows), count="2",
                                            participant=list(map(participants.__getitem__, rows)),
                                            visit=list(map(codes.__getitem__, rows)),
                                            lines=list(map(str, other.tolist())))):
                messages[row] = text
        listed = lines.tolist()
        larger = np.flatnonzero(sizes != 2)  # three records of one visit or more: rare
        for start, count in zip(starts[larger].tolist(), sizes[larger].tolist()):
            members = listed[start:start + count]
            for at, own in enumerate(members, start=start):
                others = [str(line) for line in members if line != own]
                messages[at] = _records_for(len(others)).format(
                    count=count, participant=participants[at], visit=codes[at], lines=", ".join(others))
        return self._problems(index, messages, "visit_code", codes,
                              np.repeat(np.array(fixes, dtype=object), sizes).tolist())

    def out_of_order(self, used: Records, positions: np.ndarray, participants: int,
                     visits: int) -> Problems:
        """Visits dated before a visit that comes earlier in the protocol (D7 before D0).
        ``positions`` are the used records' rows in the visits file."""
        if not len(used.participant):
            return Problems.none()
        grid = np.full((participants, visits), np.datetime64("NaT"), dtype="M8[D]")
        grid[used.participant, used.visit] = used.actual_date
        # Latest date among the earlier visits of the protocol, per participant and visit,
        # and which visit has it (the first of them when two share it).
        filled = np.where(np.isnat(grid), np.datetime64("0001-01-01"), grid)
        before = np.maximum.accumulate(filled, axis=1)
        latest_earlier = np.concatenate(
            [np.full((participants, 1), np.datetime64("0001-01-01"), dtype="M8[D]"), before[:, :-1]],
            axis=1)
        rises = np.ones(filled.shape, dtype=bool)
        rises[:, 1:] = filled[:, 1:] > before[:, :-1]
        latest_visit = np.maximum.accumulate(np.where(rises, np.arange(visits), 0), axis=1)
        early = np.flatnonzero(~np.isnat(used.actual_date) & (
            used.actual_date < latest_earlier[used.participant, used.visit]))
        if not len(early):
            return Problems.none()
        rows, columns = used.participant[early], used.visit[early]
        earlier = latest_visit[rows, columns - 1]
        codes = self.protocol.codes
        # TRANSLATORS: {participant} is a participant ID; {visit} and {earlier} are
        # visit codes (D7, D0); {date} the earlier visit's date.
        template = _("{participant} {visit} is dated before {earlier} ({date}), which comes earlier in the protocol")
        roster = self.roster
        messages = fill(template, len(early), participant=list(map(roster.__getitem__, rows.tolist())),
                        visit=list(map(codes.__getitem__, columns.tolist())),
                        earlier=list(map(codes.__getitem__, earlier.tolist())), date=_days(grid[rows, earlier]))
        found = positions[early]
        return self._problems(found, messages, "actual_date",
                              self._texts("date_text", found),
                              repeat(_("check both dates; the record is used as it is"), len(early)))


# The rules whose messages name the visit code, and the date as written (``_Describer.rule``).
_NAMING_THE_VISIT = {"unknown visit", "not of the arm", "not in the versions", "empty without reason"}
_NAMING_THE_DATE = {"bad date", "after today", "before enrollment", "after withdrawal"}


def _records_for(others: int) -> str:
    """The message of a record of a visit recorded more than once, naming ``others`` lines."""
    # TRANSLATORS: {count} records (two or more) for a participant ID and a visit code;
    # {lines} is the other records' line numbers, separated by commas.
    return ngettext("{count} records for {participant} {visit} (also line {lines})",
                    "{count} records for {participant} {visit} (also lines {lines})", others)


def _day(value: np.datetime64) -> str:
    return str(datelib.as_day(value))


def _days(values: np.ndarray) -> list[str]:
    """Dates as _day writes them, each distinct date once."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    texts = [_day(value) for value in distinct]
    return [texts[code] for code in codes.tolist()]
