"""A change to the study's record, never half-applied, and its lines in the audit trail.

A change is a list of ``Edit``s (add a row, set a value, remove a row) to the record files.
The same ``apply_edits`` makes the change now and replays it later (``verify``), so the
trail is exactly what the files went through. ``commit`` writes it in this order, holding
the study folder's lock:

1. the new content of every file it changes, staged under ``audit/`` and flushed to disk;
2. an ``intent`` line carrying the digest the files will have, and one ``value`` line per
   changed value, in one write flushed to disk;
3. each staged file renamed over its file, the folder flushed;
4. a ``done`` line.

Ctrl-C and SIGTERM wait while steps 2–4 run. After a crash (power cut, SIGKILL) the next
change, under the lock, finds the intent without its end and ``recover`` settles it: when
the files already hold the change (or some of them do, and the rest are staged) it is
completed; when none of them does, it is rolled back — nothing of it had reached the files.
Either way a line says which.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from scheduler.errors import ChangeRefused, SchedulerError
from scheduler.i18n import _
from scheduler.paths import label
from scheduler.protocol.loading import VERSIONS_FOLDER
from scheduler.sources.folder import VERSIONS_FILE, Inputs
from scheduler.storage.atomic import SignalsHeld, fsync_folder
from scheduler.storage.audit import AUDIT_FOLDER, Appender, Line, Trail, read_trail, sha256_bytes, sha256_text
from scheduler.storage.csv_file import CsvFile

if TYPE_CHECKING:
    from scheduler.protocol import Protocol

ADD, SET, REMOVE = "add", "set", "remove"


class Edit(NamedTuple):
    """One changed value of one row of one record file."""

    file: str  # the file's name in the study folder
    op: str  # add | set | remove
    line: int  # the row's line (header = 1): before the change for set and remove, after for add
    participant_id: str
    visit_code: str
    field: str
    old: str
    new: str

    def trail_row(self) -> dict[str, str]:
        return {"file": self.file, "op": self.op, "line": str(self.line),
                "participant_id": self.participant_id, "visit_code": self.visit_code,
                "field": self.field, "old_value": self.old, "new_value": self.new}

    @classmethod
    def from_line(cls, line: Line) -> Edit:
        try:
            number = int(line["line"])
        except ValueError:
            number = 0
        return cls(line["file"], line["op"], number, line["participant_id"], line["visit_code"],
                   line["field"], line["old_value"], line["new_value"])


class ReplayError(SchedulerError):
    """An edit does not fit the file it names (the trail and the files disagree)."""


def apply_edits(file: CsvFile, edits: list[Edit]) -> None:
    """Apply one change's edits to one file: values set first (lines as before the change),
    then rows removed (from the bottom up), then rows added (lines as after the change).
    Raises ReplayError when an edit does not fit: a line that is not there, an old value
    that is not the file's."""
    for edit in edits:
        if edit.op == SET:
            row = _row(file, edit)
            if file.value(row, edit.field) != edit.old:
                raise ReplayError(_mismatch(file, row, edit))
            file.set(row, edit.field, edit.new)
    removed = sorted({edit.line for edit in edits if edit.op == REMOVE}, reverse=True)
    for edit in (e for e in edits if e.op == REMOVE):
        row = _row(file, edit)
        if file.value(row, edit.field) != edit.old:
            raise ReplayError(_mismatch(file, row, edit))
    for line in removed:
        del file.rows[line - 2]
    added: dict[int, list[str]] = {}
    for edit in (e for e in edits if e.op == ADD):
        if edit.line not in added:
            if edit.line != len(file.rows) + 2:
                # TRANSLATORS: {count} is the number of lines the file had (its header included).
                raise ReplayError(_("{file}:{line}: a row added at this line, but the "
                                    "file then had {count} lines")
                                  .format(file=edit.file, line=edit.line, count=len(file.rows) + 1))
            keys = {"participant_id": edit.participant_id}
            if "visit_code" in file.names:
                keys["visit_code"] = edit.visit_code
            added[edit.line] = file.new_row(**keys)
            file.rows.append(added[edit.line])
        file.set(added[edit.line], edit.field, edit.new)


def _mismatch(file: CsvFile, row: list[str], edit: Edit) -> str:
    # TRANSLATORS: {field} is a column name (never translated); {value} the file's value,
    # {expected} the value the audit trail says it had.
    return _("{file}:{line}: {field} is '{value}', the trail says '{expected}'").format(
        file=edit.file, line=edit.line, field=edit.field, value=file.value(row, edit.field),
        expected=edit.old)


def _row(file: CsvFile, edit: Edit) -> list[str]:
    position = edit.line - 2
    if not 0 <= position < len(file.rows):
        # TRANSLATORS: {count} is the number of lines the file has (its header included).
        raise ReplayError(_("{file}:{line}: no such line (the file has {count})")
                          .format(file=edit.file, line=edit.line, count=len(file.rows) + 1))
    row = file.rows[position]
    if file.participant(row) != edit.participant_id:
        # TRANSLATORS: {participant} is the participant ID in the file, {expected} the one in the trail.
        raise ReplayError(_("{file}:{line}: the row is participant '{participant}', the trail says "
                            "'{expected}'").format(file=edit.file, line=edit.line,
                                                   participant=file.value(row, "participant_id"),
                                                   expected=edit.participant_id))
    return row


# --------------------------------------------------------------------------- the record files


class RecordFiles(NamedTuple):
    """The files the trail covers, and the protocol files it records the digests of."""

    folder: Path
    participants: Path
    visits: Path
    protocol: Path | None  # None: the built-in protocol (its text is given instead)
    built_in_protocol: str = ""
    closures: Path | None = None
    versions: Path | None = None  # the version history (amend), versions.csv

    @property
    def history(self) -> Path:
        return self.versions or self.folder / VERSIONS_FILE

    @classmethod
    def of(cls, inputs: Inputs, protocol: Protocol) -> RecordFiles:
        """The files the audit trail covers in this study folder, and the protocol in use."""
        clinic = protocol.clinic
        return cls.named(inputs, clinic.closures if clinic is not None else None)

    @classmethod
    def named(cls, inputs: Inputs, closures: Path | None) -> RecordFiles:
        """``of``, given the clinic's closures file instead of the protocol (verify reads no
        more of the protocol: protocol.loading.closures_named)."""
        from scheduler.protocol.loading import built_in_text

        return cls(inputs.folder, inputs.participants or inputs.folder / "participants.csv",
                   inputs.visits or inputs.folder / "visits.csv", inputs.protocol,
                   "" if inputs.protocol is not None else built_in_text(),
                   closures, inputs.folder / VERSIONS_FILE)

    @property
    def record(self) -> tuple[Path, ...]:
        """The files the trail covers: roster, visits and the version history."""
        return (self.participants, self.visits, self.history)

    def protocol_files(self) -> list[Path]:
        """The earlier protocol versions beside the protocol (protocols/*.toml)."""
        from scheduler.protocol.loading import version_files

        if self.protocol is None:
            return []
        try:
            return version_files(self.protocol)
        except OSError:
            return []

    def digest(self, replaced: dict[Path, bytes | None] | None = None) -> str:
        """One SHA-256 over every record file (name and content); ``replaced`` gives the
        content some files are about to have."""
        return files_digest({path: (replaced or {}).get(path, file_bytes(path)) for path in self.record})

    def protocol_digest(self) -> str:
        """The protocol (and clinic closures) files in use, as name=sha256;…"""
        parts = []
        if self.protocol is not None:
            parts.append(f"{self.protocol.name}={sha256_bytes(file_bytes(self.protocol) or b'')}")
        else:
            parts.append(f"built-in={sha256_text(self.built_in_protocol)}")
        for earlier in self.protocol_files():
            parts.append(f"{VERSIONS_FOLDER}/{earlier.name}={sha256_bytes(file_bytes(earlier) or b'')}")
        if self.closures is not None and self.closures.exists():
            parts.append(f"{self.closures.name}={sha256_bytes(file_bytes(self.closures) or b'')}")
        return ";".join(parts)


def files_digest(contents: dict[Path, bytes | None]) -> str:
    """SHA-256 over "name<TAB>sha256-of-content" lines, in the order given; "-" for a file
    that does not exist — but for a version history that does not exist, which is left out
    (so that the digests of folders from before amendments stay what their trails say)."""
    lines = [f"{path.name}\t{sha256_bytes(data) if data is not None else '-'}\n"
             for path, data in contents.items() if data is not None or path.name != VERSIONS_FILE]
    return sha256_text("".join(lines))


def file_bytes(path: Path) -> bytes | None:
    """A file's content, None when there is no such file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        # TRANSLATORS: {reason} is the operating system's reason ("Permission denied").
        raise ChangeRefused(_("{file}: cannot be read ({reason})")
                            .format(file=label(path), reason=error.strerror)) from None


def store_copy(folder: Path, data: bytes, suffix: str = ".csv") -> str:
    """Keep a copy of a file's content under audit/, named by its digest; the digest."""
    digest = sha256_bytes(data)
    store = folder / AUDIT_FOLDER
    store.mkdir(exist_ok=True)
    path = store / f"{digest}{suffix}"
    if not path.exists():
        temporary = store / f".{digest}.tmp"
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        fsync_folder(store)
    return digest


def stored_copy(folder: Path, digest: str, suffix: str = ".csv") -> bytes | None:
    path = folder / AUDIT_FOLDER / f"{digest}{suffix}"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if sha256_bytes(data) == digest else None


class InterruptedAfterChange(SchedulerError):
    """Ctrl-C or SIGTERM arrived while the change was written: it was finished first."""

    exit_code = 130


# --------------------------------------------------------------------------- the trail's lines


def _base(change_id: int, step: str, action: str, who: str, on_behalf_of: str,
          reason: str = "") -> dict[str, str]:
    return {"change_id": str(change_id), "step": step, "action": action, "who": who,
            "on_behalf_of": on_behalf_of, "reason": reason}


def ensure_trail(files: RecordFiles, timezone: str, who: str, reason: str = "") -> Trail:
    """A trail that can prove itself: when the folder has none (or only 0.1.0's lines), a
    baseline — copies of the record files under audit/, named by their digest — is written
    first. Returns the trail as it then is."""
    trail = read_trail(files.folder)
    if trail.lines:
        return trail
    write_baseline(files, timezone, who, "baseline",
                   reason or ("the trail's first line: the files as they were"
                              + (f"; the {len(trail.old_lines)} lines above it were written before "
                                 "the trail could prove itself" if trail.old_lines else "")),
                   trail)
    return read_trail(files.folder)


def write_baseline(files: RecordFiles, timezone: str, who: str, action: str, reason: str,
                   trail: Trail, accepted: list[dict[str, str]] | None = None,
                   now: dt.datetime | None = None) -> None:
    """Copies of the record files as they are, and the lines that name them: the point a
    replay starts from (or, after verify --accept, carries on from)."""
    change_id = trail.next_change
    rows = []
    for extra in accepted or []:
        rows.append({**_base(change_id, "value", action, who, "", reason), **extra})
    for path in files.record:
        data = file_bytes(path)
        if data is None and path == files.history:
            continue  # no version history (yet): nothing to copy, nothing in the digest
        digest = store_copy(files.folder, data) if data is not None else ""
        rows.append({**_base(change_id, "baseline", action, who, "", reason), "file": path.name,
                     "new_value": digest})
    rows.append({**_base(change_id, "done", action, who, "", reason),
                 "files_sha256": files.digest(), "protocol_sha256": files.protocol_digest()})
    appender = Appender(files.folder, timezone, trail)
    try:
        appender.append(rows, now)
    finally:
        appender.close()


class Committed(NamedTuple):
    change_id: int
    interrupted: bool  # Ctrl-C or SIGTERM arrived while it was written


def commit(files: RecordFiles, changed: dict[Path, CsvFile], edits: list[Edit], action: str,
           reason: str, who: str, on_behalf_of: str, timezone: str, trail: Trail,
           now: dt.datetime | None = None) -> Committed:
    """Write one change: staged files, intent and value lines, renames, done (see above)."""
    if not edits:
        raise ChangeRefused(_("nothing to change: the values are already what was given"))
    change_id = trail.next_change
    contents = {path: file.content() for path, file in changed.items()}
    expected = files.digest(dict(contents))
    appender = Appender(files.folder, timezone, trail)  # refuses before anything is written
    staged: dict[Path, Path] = {}
    settled = True  # False from the intent to the done line: the staged files are then kept
    try:
        store = files.folder / AUDIT_FOLDER
        try:
            store.mkdir(exist_ok=True)
            for path, data in contents.items():
                stage = store / f"pending-{change_id}-{path.name}"
                with open(stage, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
                staged[path] = stage
            fsync_folder(store)
        except OSError as error:
            # TRANSLATORS: {reason} is the operating system's reason ("No space left on device").
            raise ChangeRefused(_("{folder}: cannot write there ({reason}) — "
                                  "nothing was changed").format(folder=label(store), reason=error.strerror)) from None
        rows = [{**_base(change_id, "intent", action, who, on_behalf_of, reason),
                 "files_sha256": expected, "protocol_sha256": files.protocol_digest()}]
        rows += [{**_base(change_id, "value", action, who, on_behalf_of, reason), **edit.trail_row()}
                 for edit in edits]
        with SignalsHeld() as deferred:
            appender.append(rows, now)
            settled = False
            for path, stage in staged.items():
                try:
                    os.replace(stage, path)
                except PermissionError:
                    raise ChangeRefused(_("{file}: cannot replace the file — close it if it "
                                          "is open in Excel; the next change will settle this one "
                                          "(the trail has its intent)").format(file=label(path))) from None
            fsync_folder(files.folder)
            appender.append([{**_base(change_id, "done", action, who, on_behalf_of, reason),
                              "files_sha256": expected, "protocol_sha256": files.protocol_digest()}],
                            now)
            settled = True
    finally:
        appender.close()
        # An intent without its done line (a file that could not be replaced, a disk that
        # filled): the staged files stay, so that the next change can complete this one.
        for stage in staged.values() if settled else ():
            with contextlib.suppress(OSError):
                stage.unlink()
    return Committed(change_id, deferred.received is not None)


def describe(lines: list[Line]) -> str:
    """An interrupted change in words: what it was, by whom, when."""
    intent = lines[0]
    values = [line for line in lines if line["step"] == "value"]
    # TRANSLATORS: an empty value in a changed field ("001 V2 visit_date (empty) → 2024-03-01").
    empty = _("(empty)")
    what = "; ".join(f"{line['participant_id']} {line['visit_code']} {line['field']} "
                     f"{line['old_value'] or empty} → {line['new_value'] or empty}".replace("  ", " ")
                     for line in values[:3])
    if len(values) > 3:
        # TRANSLATORS: {number} is the change's number in the audit trail; {action} its action word
        # (enroll, record, correct…, never translated), {who} a login name, {when} a local time,
        # {changes} the first three changed values, {count} how many more.
        text = _("change {number}, {action} by {who} at {when}: {changes} and {count} more")
    else:
        # TRANSLATORS: {number} is the change's number in the audit trail; {action} its action word
        # (enroll, record, correct…, never translated), {who} a login name, {when} a local time,
        # {changes} the changed values.
        text = _("change {number}, {action} by {who} at {when}: {changes}")
    return text.format(number=intent.change, action=intent["action"], who=intent["who"],
                       when=intent["when_local"], changes=what, count=len(values) - 3)


def recover(files: RecordFiles, timezone: str, who: str, trail: Trail,
            now: dt.datetime | None = None) -> str | None:
    """Settle a change interrupted by a crash (under the lock): complete or roll back, and
    append the line that says which. Returns what to tell the person, or None."""
    lines = trail.unfinished()
    if not lines or lines[0]["step"] != "intent":
        _clean_staging(files.folder, None)
        return None
    intent = lines[0]
    change_id = intent.change
    expected = intent["files_sha256"]
    before = trail_digest_before(trail, change_id)
    current = files.digest()
    staged = {path: files.folder / AUDIT_FOLDER / f"pending-{change_id}-{path.name}" for path in files.record}
    step = said = ""
    if current == expected:
        # TRANSLATORS: {change} describes the change (its number, action, who, when, values).
        step, said = "completed", _("An interrupted change was completed: {change} — its files had "
                                    "been written, so it stands.")
    else:
        # Some files renamed, the rest staged: finish the renames.
        contents: dict[Path, bytes | None] = {}
        for path in files.record:
            stage = staged[path]
            contents[path] = stage.read_bytes() if stage.exists() else file_bytes(path)
        if files.digest(contents) == expected and current != before:
            for path in files.record:
                if staged[path].exists():
                    os.replace(staged[path], path)
            fsync_folder(files.folder)
            # TRANSLATORS: {change} describes the change (its number, action, who, when, values).
            step, said = "completed", _("An interrupted change was completed: {change} — part of it "
                                        "had reached the files; the rest was written now.")
        elif current == before:
            # TRANSLATORS: {change} describes the change (its number, action, who, when, values).
            step, said = "rolled back", _("An interrupted change was rolled back: {change} — none of "
                                          "it had reached the files — record it again if it happened.")
    if not step:
        # TRANSLATORS: {change} describes the change; "visit-scheduler verify" and
        # "verify --accept" are commands, typed as they are.
        raise ChangeRefused(_("an interrupted change ({change}) can neither be completed "
                              "nor rolled back: the files have changed since — run visit-scheduler "
                              "verify, then verify --accept").format(change=describe(lines)))
    appender = Appender(files.folder, timezone, trail)
    try:
        appender.append([{**_base(change_id, step, intent["action"], who, "",
                                  "interrupted before it was done; settled by the next command"),
                          "files_sha256": files.digest(), "protocol_sha256": files.protocol_digest()}],
                        now)
    finally:
        appender.close()
    _clean_staging(files.folder, None)
    return said.format(change=describe(lines))


def trail_digest_before(trail: Trail, change_id: int) -> str | None:
    """files_sha256 as the trail had it before ``change_id``."""
    digest = None
    for line in trail.lines:
        if line.change >= change_id:
            break
        if line["step"] in ("done", "completed", "rolled back", "baseline") and line["files_sha256"]:
            digest = line["files_sha256"]
    return digest


def _clean_staging(folder: Path, keep: int | None) -> None:
    """Staged files of changes that never reached their intent are of no use."""
    store = folder / AUDIT_FOLDER
    if not store.is_dir():
        return
    for stage in store.glob("pending-*"):
        if keep is not None and stage.name.startswith(f"pending-{keep}-"):
            continue
        with contextlib.suppress(OSError):
            stage.unlink()


def settle(files: RecordFiles, timezone: str, who: str, outside_accepted: bool = False,
           protocol_change: bool = False) -> str | None:
    """Under the lock, before the change reads anything: an interrupted change is settled
    (completed or rolled back), so that the change reads the files as they now are; then
    the files must be what the trail's last change left — a change is never made on top of
    an edit made outside the tool, nor under a protocol changed since (``verify --accept``
    first: it is the one change allowed then, ``outside_accepted``)."""
    trail = read_trail(files.folder)
    if not trail.lines:
        _refuse_a_lost_trail(files, trail)
        return None
    said = recover(files, timezone, who, trail)
    if said is None:
        _clean_staging(files.folder, None)
    else:
        trail = read_trail(files.folder)
    if not outside_accepted:
        _refuse_unexplained(files, trail, protocol_change)
    return said


def record_protocol_change(files: RecordFiles, timezone: str, who: str, on_behalf_of: str, reason: str,
                           trail: Trail, action: str = "add version") -> int:
    """A new protocol version (protocol.toml and protocols/ changed) recorded in the trail:
    one line with the protocol digests before and after, and the change's end carrying the
    new digest. No record file changes, so nothing is staged. Returns the change's number."""
    recorded = trail.last_protocol_digest() or ""
    change_id = trail.next_change
    new = files.protocol_digest()
    appender = Appender(files.folder, timezone, trail)
    try:
        appender.append([{**_base(change_id, "value", action, who, on_behalf_of, reason), "file": "protocol",
                          "op": SET, "field": "protocol_sha256", "old_value": recorded, "new_value": new},
                         {**_base(change_id, "done", action, who, on_behalf_of, reason),
                          "files_sha256": files.digest(), "protocol_sha256": new}])
    finally:
        appender.close()
    return change_id


def _refuse_unexplained(files: RecordFiles, trail: Trail, protocol_change: bool = False) -> None:
    from scheduler.storage.audit import breaks

    broken = breaks(trail)
    if broken:
        # TRANSLATORS: {line} is a line of the audit trail; the commands are typed as they are.
        raise ChangeRefused(_("{file} does not follow from itself (line {line}: changed by hand?) — "
                              "nothing was changed; run visit-scheduler verify, then visit-scheduler verify "
                              "--accept --reason \"…\"").format(file=label(trail.path), line=broken[0].line))
    if trail.problems:
        # TRANSLATORS: {problem} is what is wrong with a line of the audit trail ("audit.csv:7: a
        # header line inside the trail"); the commands are typed as they are.
        raise ChangeRefused(_("{file} does not follow from itself ({problem}: changed by hand?) — "
                              "nothing was changed; run visit-scheduler verify, then visit-scheduler verify "
                              "--accept --reason \"…\"").format(file=label(trail.path), problem=trail.problems[0]))
    head = trail.last_files_digest()
    if head is not None and head != files.digest():
        # TRANSLATORS: the commands are typed as they are.
        raise ChangeRefused(_("the study files were changed outside the tool since the last change in "
                              "{file} — nothing was changed; run visit-scheduler verify to see "
                              "what changed, then visit-scheduler verify --accept --reason \"…\"")
                            .format(file=label(trail.path)))
    recorded = trail.last_protocol_digest()
    if recorded is not None and recorded != files.protocol_digest() and not protocol_change:
        # TRANSLATORS: the commands are typed as they are.
        raise ChangeRefused(_("the protocol (or the closures file) has changed since the last change in "
                              "{file} — nothing was changed; a change to a protocol in use is "
                              "an amendment: add a version and record it with visit-scheduler amend "
                              "--add-version --reason \"…\", or if it was a correction, record it with "
                              "visit-scheduler verify --accept --reason \"…\"").format(file=label(trail.path)))


def _refuse_a_lost_trail(files: RecordFiles, trail: Trail) -> None:
    """audit.csv gone while audit/ still holds an earlier trail's copies: starting a new
    trail quietly would hide whatever happened."""
    store = files.folder / AUDIT_FOLDER
    if trail.exists or not store.is_dir() or not any(store.glob("*.csv")):
        return
    # TRANSLATORS: {folder} is the audit folder (audit/); audit.csv is a file name.
    raise ChangeRefused(_("{file} is missing, but {folder} holds the copies of an "
                          "earlier audit trail — restore audit.csv from a backup; nothing was changed "
                          "(if the trail is truly lost, move the audit folder aside: a new trail then begins)")
                        .format(file=label(trail.path), folder=label(store)))


@contextlib.contextmanager
def changing(files: RecordFiles, timezone: str, who: str) -> Iterator[Trail]:
    """Under the lock, after ``settle``: a trail that can prove itself (a baseline first
    when the folder has none)."""
    trail = read_trail(files.folder)
    if not trail.lines:
        _refuse_a_lost_trail(files, trail)
        trail = ensure_trail(files, timezone, who)
    yield trail
