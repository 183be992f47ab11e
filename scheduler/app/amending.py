"""amend: a participant moves to a later protocol version (re-consent), or the move is
undone; ``amend --add-version`` records in the trail that a version was added.

Each move is one row of the study folder's version history (versions.csv: participant_id,
protocol_version, move_date), added or removed as an audited change like any other
(storage.change): the trail covers versions.csv with the roster and the visits. Which
window each visit then follows is the core's rule (core.versions).

Refused (exit 2, nothing written): no protocol versions; an unknown version; a move dated
before the version takes effect, before enrollment, after today, on or after the
participant's withdrawal, or before their last move; a version that is not later than the
one they follow on that date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.app.recording import (
    Aside,
    Folder,
    Said,
    _add,
    _changes_of,
    _commit,
    _needs_reason,
    _opened,
    _remove,
    free_text,
    identifier,
)
from scheduler.core.versions import Moves, version_names, version_on, versions_of
from scheduler.errors import ChangeRefused
from scheduler.i18n import _, ngettext
from scheduler.paths import label
from scheduler.protocol import Protocol
from scheduler.protocol.loading import VERSIONS_FOLDER
from scheduler.sources.folder import VERSIONS_FILE
from scheduler.sources.history import VERSION_COLUMNS, VERSIONS_HEADER
from scheduler.storage.change import changing
from scheduler.storage.csv_file import CsvFile


def _target(protocol: Protocol, version: str, day: dt.date, today: dt.date) -> Protocol:
    if not protocol.versions:
        raise ChangeRefused(_("the protocol has no earlier versions: amend moves participants between the "
                              "versions of protocol.toml and protocols/*.toml (docs/how-to/amendments.md)"))
    target = protocol.version_named(version)
    names = ", ".join(each.version for each in protocol.versions)
    if target is None:
        raise ChangeRefused(_("--to {version}: no protocol version of that name — the versions are {versions}")
                            .format(version=version, versions=names))
    if target.effective is not None and day < target.effective:
        raise ChangeRefused(_("{date} is before version {version} takes effect ({effective}): a participant "
                              "moves on or after that date").format(date=day, version=version,
                                                                     effective=target.effective))
    if day > today:
        raise ChangeRefused(_("{date} is after today ({today}): record a move on the day the participant "
                              "re-consents, or after").format(date=day, today=today))
    return target


def _history(study: Folder) -> CsvFile:
    return CsvFile.read(study.folder / VERSIONS_FILE, VERSIONS_HEADER, VERSION_COLUMNS)


def _version_on(study: Folder, positions: np.ndarray, day: dt.date, moves: Moves) -> np.ndarray:
    roster = study.study.participants
    return version_on(study.protocol, roster["enrollment_date"].to_numpy(),
                      roster["participant_id"].to_numpy(dtype=object), moves, positions,
                      np.full(len(positions), np.datetime64(day, "D")))


def amend(folder: Path, participant_id: str, version: str, day: dt.date, reason: str, who: str,
          by: str = "") -> Said:
    """Move one participant to ``version`` on ``day``; what it changes, in lines."""
    _needs_reason(reason)
    free_text(reason, "--reason")
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        target = _target(study.protocol, version, day, study.today())
        roster = study.roster()
        person = study.find(roster, participant_id)
        loaded = study.study  # the roster and the version history, checked
        position = loaded.position_of(participant_id)
        enrolled = loaded.participants["enrollment_date"].to_numpy().astype("M8[D]")[position]
        withdrew = loaded.participants["withdrawal_date"].to_numpy().astype("M8[D]")[position]
        when = np.datetime64(day, "D")
        if when < enrolled:
            raise ChangeRefused(_("{date} is before {participant} was enrolled ({enrollment})").format(
                date=day, participant=participant_id, enrollment=str(enrolled)))
        if not np.isnat(withdrew) and withdrew <= when:
            raise ChangeRefused(_("{participant} withdrew on {withdrawal} ({file}:{line}): a participant "
                                  "off study is not moved").format(
                participant=participant_id, withdrawal=str(withdrew), file=label(study.participants_path),
                line=roster.line_of(person)))
        mine = loaded.moves.of(participant_id)
        if len(mine) and mine.date.max() > when:
            raise ChangeRefused(_("{participant} moved to version {version} on {date}, after {day}: undo that "
                                  "move first (visit-scheduler amend {participant} --undo --reason …)").format(
                participant=participant_id, version=mine.version[-1], date=str(mine.date.max()), day=day))
        on = str(_version_on(study, np.array([position]), day, loaded.moves)[0])
        names = list(version_names(study.protocol))
        if names.index(on) >= names.index(target.version):
            raise ChangeRefused(_("{participant} follows version {current} on {date}: a move goes to a later "
                                  "version").format(participant=participant_id, current=on, date=day))
        history = _history(study)
        before = study._check(participant_id)
        edits = _add(history, participant_id, "", {"participant_id": participant_id,
                                                   "protocol_version": target.version,
                                                   "move_date": day.isoformat()})
        after = study._check(participant_id, moves=loaded.moves.added(participant_id, target.version, when,
                                                                     len(history.rows) + 1))
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            _commit(study, {history.path: history}, edits, "amend", reason, who, by, trail)
    said = _("Moved {participant} from protocol version {old} to {new} on {date} ({reason})").format(
        participant=participant_id, old=on, new=target.version, date=day, reason=reason)
    return Said(((settled,) if settled else ()) + (said,), _plan_changes(before, after))


def amend_all(folder: Path, version: str, day: dt.date, reason: str, who: str, by: str = "") -> Said:
    """Move every participant still on study on ``day`` whose version then is earlier."""
    _needs_reason(reason)
    free_text(reason, "--reason")
    with _opened(folder, who) as (study, settled):
        target = _target(study.protocol, version, day, study.today())
        study.roster()
        loaded = study.study
        roster = loaded.participants
        when = np.datetime64(day, "D")
        enrolled = roster["enrollment_date"].to_numpy().astype("M8[D]")
        withdrew = roster["withdrawal_date"].to_numpy().astype("M8[D]")
        positions = np.arange(len(roster))
        on = _version_on(study, positions, day, loaded.moves)
        names = version_names(study.protocol)
        rank = names.get_indexer(pd.Index(on, dtype=object))
        later_move = pd.Series(loaded.moves.date).groupby(loaded.moves.participant_id).max()
        last = later_move.reindex(roster["participant_id"].to_numpy(dtype=object)).to_numpy().astype("M8[D]")
        not_yet = enrolled > when
        off_study = ~np.isnat(withdrew) & (withdrew <= when)
        already = rank >= list(names).index(target.version)
        moved_later = ~np.isnat(last) & (last > when)
        chosen = ~(not_yet | off_study | already | moved_later)
        if not chosen.any():
            raise ChangeRefused(_("nobody to move: every participant is already on version {version} or later, "
                                  "off study, not yet enrolled on {date}, or moved on a later date").format(
                                      version=target.version, date=day))
        history = _history(study)
        edits = []
        for participant_id in roster["participant_id"].to_numpy(dtype=object)[chosen]:
            edits += _add(history, str(participant_id), "", {"participant_id": str(participant_id),
                                                             "protocol_version": target.version,
                                                             "move_date": day.isoformat()})
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            _commit(study, {history.path: history}, edits, "amend", reason, who, by, trail)
    count = int(chosen.sum())
    lines = [ngettext("Moved {count} participant to protocol version {version} on {date} ({reason})",
                      "Moved {count} participants to protocol version {version} on {date} ({reason})",
                      count).format(count=count, version=target.version, date=day, reason=reason)]
    said = np.zeros(len(roster), dtype=bool)  # each participant skipped is named once, for the first reason
    for mask, text in ((not_yet, _("not yet enrolled on {date}: {participants}")),
                       (off_study, _("off study by then (withdrawn): {participants}")),
                       (already, _("already on version {version} or later: {participants}")),
                       (moved_later, _("moved on a later date already: {participants}"))):
        skipped = roster["participant_id"].to_numpy(dtype=object)[mask & ~said]
        said |= mask
        if len(skipped):
            shown = ", ".join(str(pid) for pid in skipped[:10]) + (" …" if len(skipped) > 10 else "")
            lines.append("  " + _("not moved, {why}").format(why=text.format(
                version=target.version, date=day, participants=shown)))
    return Said(((settled,) if settled else ()) + tuple(lines))


def undo_amend(folder: Path, participant_id: str, reason: str, who: str, by: str = "") -> Said:
    """A move recorded in error: the participant's last move is removed (the trail keeps it)."""
    _needs_reason(reason)
    free_text(reason, "--reason")
    participant_id = identifier(participant_id)
    with _opened(folder, who) as (study, settled):
        roster = study.roster()
        study.find(roster, participant_id)
        loaded = study.study
        history = _history(study)
        rows = [row for row in history.rows if history.participant(row) == participant_id]
        if not rows:
            raise ChangeRefused(_("nothing to undo: {participant} has no move in {file}").format(
                participant=participant_id, file=label(history.path)))
        last = max(rows, key=lambda row: (history.value(row, "move_date"), history.line_of(row)))
        after_moves = loaded.moves.where(loaded.moves.line != history.line_of(last))  # lines are unique
        _refuse_orphans(study, participant_id, after_moves, history.value(last, "protocol_version"))
        before = study._check(participant_id)
        after = study._check(participant_id, moves=after_moves)
        version, moved_on = history.value(last, "protocol_version"), history.value(last, "move_date")
        edits = _remove(history, last, participant_id, "", VERSION_COLUMNS)
        history.rows.remove(last)
        with changing(study.record_files(), study.protocol.timezone, who) as trail:
            _commit(study, {history.path: history}, edits, "undo amend", reason, who, by, trail)
    said = _("Undid the move of {participant} to protocol version {version} on {date}").format(
        participant=participant_id, version=version, date=moved_on)
    return Said(((settled,) if settled else ()) + (said,), _plan_changes(before, after))


def _only_added(recorded: str, now: str) -> None:
    """A new version is an addition: every earlier version the trail recorded is unchanged,
    protocol.toml changed and at least one file was added to protocols/ (the version before
    it). Anything else — an earlier version edited in place, protocol.toml edited with no
    version kept — is refused: a correction is recorded with verify --accept."""
    was = dict(part.split("=", 1) for part in recorded.split(";") if "=" in part)
    has = dict(part.split("=", 1) for part in now.split(";") if "=" in part)
    edited = sorted(name for name in was if name.startswith(f"{VERSIONS_FOLDER}/") and has.get(name) != was[name])
    if edited:
        # TRANSLATORS: {files} lists protocol files (protocols/1.0.toml); the command is typed as it is.
        raise ChangeRefused(_("{files}: an earlier protocol version changed since the audit trail recorded it — "
                              "a version in use is never edited in place; if it was a correction, record it "
                              "with visit-scheduler verify --accept --reason \"…\"").format(files=", ".join(edited)))
    added = [name for name in has if name.startswith(f"{VERSIONS_FOLDER}/") and name not in was]
    if not added:
        raise ChangeRefused(_("protocol.toml changed, but no earlier version was added to protocols/ — an amendment "
                              "keeps the version before it there (docs/how-to/amendments.md); if protocol.toml "
                              "was corrected, record it with visit-scheduler verify --accept --reason \"…\""))


def _refuse_orphans(study: Folder, participant_id: str, moves: Moves, version: str) -> None:
    """An undo that would leave a recorded visit in none of the participant's versions (an
    M18 recorded under 2.0, the move to 2.0 undone) is refused: the record would drop out of
    every output."""
    from scheduler.core.arms import arm_of
    from scheduler.core.versions import in_versions

    loaded = study.study
    position = loaded.position_of(participant_id)
    records = loaded.records.of_participant(position)
    if not len(records.visit):
        return
    person = loaded.participants.iloc[[position]]
    kept = in_versions(study.protocol, person["enrollment_date"].to_numpy(), np.array([participant_id], dtype=object),
                       moves, np.zeros(len(records.visit), dtype=np.int64), records.visit,
                       arm_of(person) if study.protocol.arms else None)
    lost = [study.protocol.codes[visit] for visit in records.visit[~kept]]
    if lost:
        # TRANSLATORS: {visits} lists visit codes; the command is typed as it is.
        raise ChangeRefused(_("{participant} {visits}: recorded, and only protocol version {version} has them — "
                              "undoing the move would take the records out of every output; if they were "
                              "recorded in error, remove them first (visit-scheduler correct {participant} "
                              "VISIT --remove --reason …)").format(participant=participant_id,
                                                                   visits=", ".join(lost), version=version))


def _plan_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[str, ...]:
    """What a move changes in the participant's plan: windows that move, statuses that
    change, visits no longer expected and visits now expected (with their window)."""
    had, has = list(before["visit_code"].astype(str)), list(after["visit_code"].astype(str))
    both = [code for code in has if code in had]
    lines = [line for line, _window in _changes_of(
        before[before["visit_code"].astype(str).isin(both)].reset_index(drop=True),
        after[after["visit_code"].astype(str).isin(both)].reset_index(drop=True))]
    lines += [_("{visit} is no longer expected").format(visit=code) for code in had if code not in has]
    for code in has:
        if code not in had:
            row = after[after["visit_code"].astype(str) == code].iloc[0]
            lines.append(_("{visit} is now expected (window {window_open} to {window_close})").format(
                visit=code, window_open=str(row["window_open"])[:10], window_close=str(row["window_close"])[:10]))
    return tuple(lines)


def add_version(folder: Path, reason: str, who: str, by: str = "") -> Said:
    """Record in the audit trail that the protocol files changed because a new version was
    added (protocol.toml the new current version, the one before it in protocols/): checked
    together first; the lines keep the protocol digests before and after."""
    from scheduler.storage.audit import read_trail
    from scheduler.storage.change import record_protocol_change
    from scheduler.storage.lock import locked

    _needs_reason(reason)
    free_text(reason, "--reason")
    with locked(folder):
        study = Folder(folder)  # loads and checks every version: refused when they do not go together
        protocol = study.protocol
        if not protocol.version:
            raise ChangeRefused(_("the protocol has no version: give protocol.toml [study] version and effective, "
                                  "and keep each earlier version in protocols/ (docs/how-to/amendments.md)"))
        settled = study.settle(who, protocol_change=True)
        files = study.record_files()
        trail = read_trail(folder)
        if not trail.lines:
            raise ChangeRefused(_("{file}: no audit trail yet — nothing to record: the first change records the "
                                  "protocol versions as they are").format(file=label(trail.path)))
        if trail.last_protocol_digest() == files.protocol_digest():
            raise ChangeRefused(_("nothing to record: the protocol files are what the audit trail's last change "
                                  "recorded"))
        _only_added(trail.last_protocol_digest() or "", files.protocol_digest())
        from scheduler.app.recording import _commit_free

        change = _commit_free(lambda: record_protocol_change(files, protocol.timezone, who, by, reason, trail), by)
    current = protocol.current
    names = ", ".join(each.version for each in versions_of(protocol))
    # TRANSLATORS: {number} is the change's number in the audit trail; {versions} lists the
    # protocol versions ("1.0, 2.0").
    said = _("Recorded protocol version {version} (effective {date}) in the audit trail, change {number}: "
             "the study's versions are {versions}").format(version=current.version, date=current.effective,
                                                           number=change, versions=names)
    return Said(((Aside(settled),) if settled else ()) + (said,))
