"""verify: does the audit trail explain the study files? And --accept: record what does not.

The trail is replayed from its baseline (copies of the files under audit/, named by their
digest) with the same ``apply_edits`` that made each change; every change must reproduce
the digest it recorded, and the result must equal the files: value by value, keyed by
participant and visit, then byte for byte. The chain of hashes must hold from the first
line to the last. What verify cannot prove: that nobody rewrote the files *and* the whole
trail consistently — hence the head (line count, last hash) it prints, which the monitor
keeps outside the folder and compares at the next visit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

from scheduler.app.results import Messages
from scheduler.errors import SchedulerError
from scheduler.i18n import _, ngettext
from scheduler.paths import label
from scheduler.sources.folder import (
    PARTICIPANTS_HEADER,
    ROSTER_FIELDS,
    VERSION_COLUMNS,
    VERSIONS_HEADER,
    VISIT_FIELDS,
    VISITS_HEADER,
)
from scheduler.storage.audit import AUDIT_FILE, ENDS, OUTSIDE, Line, Trail, breaks, read_trail
from scheduler.storage.change import (
    Edit,
    RecordFiles,
    ReplayError,
    apply_edits,
    file_bytes,
    files_digest,
    stored_copy,
    write_baseline,
)
from scheduler.storage.csv_file import CsvFile
from scheduler.storage.lock import locked

KEYS = ("participant_id", "visit_code")  # said with the row, not among its values


class Finding(NamedTuple):
    """One thing the trail does not explain. ``accept`` turns it into a trail line."""

    text: str
    file: str = ""
    line: int = 0
    participant_id: str = ""
    visit_code: str = ""
    field: str = ""
    old: str = ""  # what the trail says
    new: str = ""  # what the file has
    op: str = "set"


class Verified(NamedTuple):
    lines: list[str]
    explained: bool
    findings: tuple[Finding, ...] = ()


def _files(folder: Path) -> RecordFiles:
    # Light on purpose: verify replays text files and never needs pandas (it starts fast),
    # nor more of the protocol than the closures file it names: a protocol with problems
    # (a key misspelt) does not stop the record from being proved, and its digest is compared.
    from scheduler.protocol.loading import closures_named
    from scheduler.sources.folder import resolve

    inputs = resolve(folder, None, None, None)
    return RecordFiles.named(inputs, closures_named(inputs.protocol))


def verify(folder: Path, messages: Messages) -> Verified:
    """Replay and compare; the lines to print and whether the trail explains the folder."""
    files = _files(folder)
    trail = read_trail(folder)
    shown = label(folder / AUDIT_FILE)
    if not trail.exists:
        return Verified([_("{file}: no audit trail yet — it begins with the first change made with "
                           "visit-scheduler (enroll, record, withdraw, correct, amend) or with init").format(
                               file=shown)], False)
    if not trail.lines:
        return Verified([_("{file}: {count} lines written before the trail could prove itself "
                           "(visit-scheduler 0.1.0), and no baseline yet — the next change writes "
                           "one").format(file=shown, count=len(trail.old_lines)),
                         # TRANSLATORS: the head is the trail's line count and last hash.
                         _("Head: {head}").format(head=trail.head())], False)
    findings = [Finding(problem) for problem in trail.problems]
    findings += _chain(trail, shown)
    state, replay_findings, changes = _replay(files, trail)
    findings += replay_findings
    findings += _compare(files, state)
    findings += _protocol(files, trail)
    lines = [finding.text for finding in findings]
    if trail.old_lines:
        messages.note(_("{file}: the first {count} lines were written before the trail could prove "
                        "itself (visit-scheduler 0.1.0): kept, not provable").format(
                            file=shown, count=len(trail.old_lines)))
    if findings:
        count = len(findings)
        lines.append(ngettext("verify: the audit trail does NOT explain the study files: {count} difference "
                              "— find out who changed what, then record it with: visit-scheduler verify "
                              "--accept --reason \"…\"",
                              "verify: the audit trail does NOT explain the study files: {count} differences "
                              "— find out who changed what, then record it with: visit-scheduler verify "
                              "--accept --reason \"…\"", count).format(count=count))
    else:
        lines.append(ngettext("verify: the audit trail explains the study files ({count} change replayed "
                              "from the baseline)",
                              "verify: the audit trail explains the study files ({count} changes replayed "
                              "from the baseline)", changes).format(count=changes))
    lines.append(_head(shown, trail))
    return Verified(lines, not findings, tuple(findings))


def _head(shown: str, trail: Trail) -> str:
    # TRANSLATORS: the head is the trail's line count and last hash, which the monitor keeps.
    return _("Head: {file} {head}").format(file=shown, head=trail.head())


def _chain(trail: Trail, shown: str) -> list[Finding]:
    """The chain's breaks and backward times (storage.audit.breaks), as findings."""
    findings = []
    for found in breaks(trail):
        if found.kind == "chain":
            findings.append(Finding(_("{file}:{line}: the chain breaks here — this line does not follow "
                                      "from the line above it (a line was removed, changed or added by "
                                      "hand)").format(file=shown, line=found.line),
                                    AUDIT_FILE, found.line, field="chain",
                                    old=found.expected, new=found.found))
        else:
            # TRANSLATORS: {time} and {previous} are the times of this line and of the line above.
            findings.append(Finding(_("{file}:{line}: this line is dated {time}, before the line above it "
                                      "({previous}) — lines are only ever appended").format(
                                          file=shown, line=found.line, time=found.found,
                                          previous=found.expected),
                                    AUDIT_FILE, found.line, field="(time)", old=found.expected,
                                    new=found.found))
    return findings


def _changes(trail: Trail) -> list[list[Line]]:
    grouped: dict[int, list[Line]] = {}
    for line in trail.lines:
        grouped.setdefault(line.change, []).append(line)
    return list(grouped.values())


State = dict[Path, "CsvFile | None"]  # None: the file did not exist (and no change made it)


def _kinds(files: RecordFiles) -> tuple[tuple[Path, tuple[str, ...], str, str], ...]:
    """Each record file: its path, the fields the trail records, its header, and the column
    (besides participant_id) that keys its rows ("" for the roster)."""
    return ((files.participants, ROSTER_FIELDS, PARTICIPANTS_HEADER, ""),
            (files.visits, VISIT_FIELDS, VISITS_HEADER, "visit_code"),
            (files.history, VERSION_COLUMNS, VERSIONS_HEADER, "protocol_version"))


def _empty(path: Path, files: RecordFiles) -> CsvFile:
    header = next(header for each, _fields, header, _key in _kinds(files) if each == path)
    return CsvFile.from_bytes(path, None, header, ())


def _snapshot(files: RecordFiles, lines: list[Line]) -> tuple[State, list[Finding]]:
    """The record files as a baseline's copies hold them."""
    state: State = {}
    findings = []
    digests = {line["file"]: line["new_value"] for line in lines if line["step"] == "baseline"}
    for path, _fields, header, _key in _kinds(files):
        digest = digests.get(path.name, "")
        data = stored_copy(files.folder, digest) if digest else None
        if digest and data is None:
            findings.append(Finding(_("{copy}: the baseline copy of {file} is missing or changed — the "
                                      "replay cannot start from it").format(copy=f"audit/{digest}.csv",
                                                                            file=path.name)))
        state[path] = CsvFile.from_bytes(path, data, header, ()) if data is not None else None
    return state, findings


def _replay(files: RecordFiles, trail: Trail) -> tuple[State, list[Finding], int]:
    """The files as the trail says they are, the findings on the way, the changes replayed."""
    state: State = {}
    findings: list[Finding] = []
    pending: list[Finding] = []  # findings a later accept may have recorded
    count = 0
    for lines in _changes(trail):
        steps = {line["step"] for line in lines}
        if "baseline" in steps:
            if lines[0]["action"] == "accept":
                pending = []  # what the accept found is in its own lines
            findings += pending
            pending = []
            state, missing = _snapshot(files, lines)
            pending += missing  # a later accept starts from a new copy
            continue
        if not state:
            pending.append(Finding(_("{file}:{line}: a change before any baseline").format(
                file=AUDIT_FILE, line=lines[0].number)))
            continue
        if "rolled back" in steps:
            continue
        if not steps & set(ENDS):
            pending.append(Finding(_("{file}:{line}: change {change} was interrupted and is not settled "
                                     "yet — the next change completes or rolls it back").format(
                                         file=AUDIT_FILE, line=lines[0].number, change=lines[0].change)))
            continue
        edits = [Edit.from_line(line) for line in lines if line["step"] == "value"]
        try:
            for path in list(state):
                mine = [edit for edit in edits if edit.file == path.name]
                if mine:
                    file = state[path] or _empty(path, files)  # a change makes a file that was not there
                    apply_edits(file, mine)
                    state[path] = file
        except ReplayError as error:
            # TRANSLATORS: {error} says why the change's edits do not apply to the files.
            pending.append(Finding(_("{file}:{line}: change {change} does not replay: {error}").format(
                file=AUDIT_FILE, line=lines[0].number, change=lines[0].change, error=error.message)))
            continue
        count += 1
        end = next(line for line in lines if line["step"] in ENDS)
        digest = files_digest({path: file.content() if file is not None else None
                               for path, file in state.items()})
        if end["files_sha256"] and digest != end["files_sha256"]:
            pending.append(Finding(_("{file}:{line}: change {change} does not reproduce the digest it "
                                     "recorded — its lines were changed by hand").format(
                                         file=AUDIT_FILE, line=end.number, change=end.change)))
    findings += pending
    return state, findings, count


def _keyed(file: CsvFile, column: str) -> dict[tuple[str, ...], tuple[int, list[str]]]:
    """Rows by participant (and visit or version, and which row of it): line and row."""
    keyed: dict[tuple[str, ...], tuple[int, list[str]]] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(file.rows, start=2):
        participant = file.value(row, "participant_id")
        if column:
            code = file.value(row, column)
            occurrence = seen.get((participant, code), 0)
            seen[(participant, code)] = occurrence + 1
            keyed[(participant, code, str(occurrence))] = (number, row)
        else:
            key: tuple[str, ...] = (participant,)
            if key in keyed:  # a second line for one participant: keep both apart
                key = (participant, f"line {number}")
            keyed[key] = (number, row)
    return keyed


def _compare(files: RecordFiles, state: State) -> list[Finding]:
    """The replayed files against the files: values by key, then other columns, then bytes."""
    findings: list[Finding] = []
    for path, fields, header, visits in _kinds(files):
        if path not in state:
            continue
        expected = state[path]
        actual_bytes = file_bytes(path)
        if actual_bytes == (expected.content() if expected is not None else None):
            continue
        if expected is None:
            expected = _empty(path, files)
        if actual_bytes is None:
            findings.append(Finding(_("{file}: the file is gone — the trail has {count} rows in it").format(
                file=label(path), count=len(expected.rows)), path.name))
            continue
        try:
            actual = CsvFile.from_bytes(path, actual_bytes, header, ())
        except SchedulerError as error:
            findings.append(Finding(_("{file}: cannot be read as CSV — {error}").format(
                file=label(path), error=error.message), path.name))
            continue
        differences = _values(path, fields, expected, actual, visits)
        findings += differences
        if not differences:
            findings.append(Finding(_("{file}: the values are what the trail says, but the file differs "
                                      "in form (encoding, line ends, quoting or row order) — saved by "
                                      "another program?").format(file=label(path)),
                                    path.name, field="(form)", op="form"))
    return findings


def _values(path: Path, fields: tuple[str, ...], expected: CsvFile, actual: CsvFile,
            visits: str) -> list[Finding]:
    findings = []
    shown = label(path)
    was, now = _keyed(expected, visits), _keyed(actual, visits)
    columns = [name for name in fields if name in expected.names or name in actual.names]
    for name in actual.names:
        if name not in expected.names:
            findings.append(Finding(_("{file}: column {column} added (its values are not recorded in the "
                                      "trail)").format(file=shown, column=name),
                                    path.name, 1, field=name, new="added", op="column"))
    for name in expected.names:
        if name not in actual.names:
            findings.append(Finding(_("{file}: column {column} removed").format(file=shown, column=name),
                                    path.name, 1, field=name, old="removed", op="column"))
    for key, (number, row) in now.items():
        participant, code = key[0], key[1] if visits else ""
        who = f"{participant} {code}".strip()
        if key not in was:
            values = {name: actual.value(row, name) for name in columns
                      if actual.value(row, name) and name not in KEYS}
            # TRANSLATORS: {who} is the participant (and visit) of the row; {values} lists its
            # columns and values, as "actual_date 2010-09-10, reason lab busy".
            findings.append(Finding(_("{file}:{line}: {who}: a row the trail does not have ({values}) — "
                                      "added outside the tool").format(file=shown, line=number, who=who,
                                                                       values=_listed(values)),
                                    path.name, number, participant, code,
                                    ",".join(values), "", "; ".join(values.values()), "add"))
            continue
        old_row = was[key][1]
        for name in columns:
            old, new = expected.value(old_row, name), actual.value(row, name)
            if old != new:
                findings.append(Finding(_("{file}:{line}: {who}: column {column}: the trail says '{old}', "
                                          "the file has '{new}'").format(file=shown, line=number, who=who,
                                                                         column=name, old=old, new=new),
                                        path.name, number, participant, code, name, old, new))
        others = [name for name in actual.names if name not in fields]
        for name in others:
            if name in expected.names and expected.value(old_row, name) != actual.value(row, name):
                findings.append(Finding(_("{file}:{line}: {who}: column {column} changed (not a column the "
                                          "trail records the values of)").format(file=shown, line=number,
                                                                                  who=who, column=name),
                                        path.name, number, participant, code, name, "", "changed"))
    for key, (number, row) in was.items():
        if key not in now:
            participant, code = key[0], key[1] if visits else ""
            values = {name: expected.value(row, name) for name in columns
                      if expected.value(row, name) and name not in KEYS}
            where = f"{shown}: {participant} {code}".rstrip()
            # TRANSLATORS: {where} is the file and the participant (and visit) of the row;
            # {values} lists its columns and values, as "actual_date 2010-09-10, reason lab busy".
            findings.append(Finding(_("{where}: the trail has this row ({values}), the file does not — "
                                      "removed outside the tool").format(where=where, values=_listed(values)),
                                    path.name, number, participant, code,
                                    ",".join(values), "; ".join(values.values()), "", "remove"))
    return findings


def _listed(values: dict[str, str]) -> str:
    """A row's columns and values, as a finding names them (column names stay as they are)."""
    return ", ".join(f"{name} {value}" for name, value in values.items())


def _protocol(files: RecordFiles, trail: Trail) -> list[Finding]:
    recorded = trail.last_protocol_digest()
    current = files.protocol_digest()
    if recorded is None or recorded == current:
        return []
    was = dict(part.split("=", 1) for part in recorded.split(";") if "=" in part)
    now = dict(part.split("=", 1) for part in current.split(";") if "=" in part)
    changed = sorted(name for name in set(was) | set(now) if was.get(name) != now.get(name))
    # TRANSLATORS: the command is typed as it is.
    return [Finding(_("{file}: changed since the last change recorded in the trail — a change to a "
                      "protocol in use is an amendment: add a version, then record it with visit-scheduler "
                      "amend --add-version --reason \"…\"").format(file=name),
                    name, field="(protocol)", old=was.get(name, ""), new=now.get(name, ""), op="protocol")
            for name in changed]


def accept(folder: Path, reason: str, who: str, messages: Messages) -> list[str]:
    """Record every difference verify finds as a change made outside the tool, accepted by
    ``who`` with ``reason``; then a new baseline of the files as they are. Never rewrites a
    line. Files the other commands refuse are refused here too."""
    from scheduler.app.study import StudyOptions, load_study
    from scheduler.storage.change import changing

    with locked(folder):
        from scheduler.app.recording import Folder

        study = Folder(folder)
        settled = study.settle(who, outside_accepted=True)
        if settled:
            messages.append(settled)
        load_study(StudyOptions(folder), inputs=study.inputs)  # refuses what the commands refuse
        files = study.record_files()
        with changing(files, study.protocol.timezone, who):
            found = verify(folder, Messages())
            if found.explained:
                return [_("Nothing to accept: the audit trail explains the study files.")]
            rows = []
            for finding in found.findings:
                path = folder / finding.file if finding.file else None
                modified = ""
                if path is not None and path.exists():
                    modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) \
                        .strftime("%Y-%m-%dT%H:%M:%SZ")
                rows.append({"who": OUTSIDE, "accepted_by": who, "file": finding.file,
                             "line": str(finding.line or ""), "participant_id": finding.participant_id,
                             "visit_code": finding.visit_code, "field": finding.field, "op": finding.op,
                             "old_value": finding.old, "new_value": finding.new,
                             "file_modified": modified})
            write_baseline(files, study.protocol.timezone, who, "accept", reason, read_trail(folder), rows)
    count = len(found.findings)
    # TRANSLATORS: {who} is the login name of who accepted; {reason} is the reason they gave.
    return [ngettext("Accepted {count} difference as made outside the tool (accepted by {who}: {reason}); "
                     "the files as they are now are the new baseline",
                     "Accepted {count} differences as made outside the tool (accepted by {who}: {reason}); "
                     "the files as they are now are the new baseline", count).format(
                         count=count, who=who, reason=reason),
            _head(label(folder / AUDIT_FILE), read_trail(folder))]
