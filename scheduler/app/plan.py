"""protocol and init: the visit plan, checked; a new study folder; the protocols' languages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.app.results import Messages
from scheduler.errors import ProtocolError
from scheduler.i18n import _, ngettext, pgettext
from scheduler.paths import label

if TYPE_CHECKING:
    from scheduler.protocol import Protocol


def protocol_plan(protocol_path: Path | None, folder: Path | None, messages: Messages) -> list[str]:
    """The plan as lines of a table, after every check of the protocol file (exit 2 when
    it cannot be used); warnings (visits not in time order) into ``messages``. A protocol
    with [[arms]] has a second table below: which arm has which visit."""
    from scheduler.protocol import ENROLLMENT, country_problem, load_protocol_for
    from scheduler.protocol.versions import meaning_warnings, numbering_warnings
    from scheduler.sources.folder import resolve_study

    inputs = resolve_study(folder, protocol_path)
    combined = load_protocol_for(inputs.protocol)
    plan = combined.current
    problem = country_problem(plan)
    if problem is not None:
        raise ProtocolError(ngettext("{file}: the protocol file cannot be used: {count} problem",
                                     "{file}: the protocol file cannot be used: {count} problems", 1)
                            .format(file=plan.source, count=1), [problem])
    for warning in (plan.order_warnings() + plan.reach_warnings() + plan.epoch_warnings()
                    + meaning_warnings(combined) + numbering_warnings(combined)):
        messages.warning(f"{plan.source}: {warning}")
    rows = [(pgettext("heading", "code"), pgettext("heading", "visit"), pgettext("heading", "when"),
             pgettext("heading", "anchor"), pgettext("heading", "window"), pgettext("heading", "kind"))]
    for visit in plan.visits:
        # TRANSLATORS: the anchor of a visit counted from the participant's enrollment.
        anchor = pgettext("anchor", "enrollment") if visit.anchor == ENROLLMENT else visit.anchor
        width = visit.minus + visit.plus + 1
        rows.append((visit.code, visit.name_in(), visit.timing, anchor,
                     ngettext("{count} day", "{count} days", width).format(count=width), visit.kind))
    # TRANSLATORS: the plan's first line; {source} is the protocol file (or "built-in …").
    lines = [_("{study}: {count} visits, time zone {timezone}, Day 0 = {day0} ({source})").format(
        study=plan.study_id, count=len(plan.visits), timezone=plan.timezone, day0=plan.day0,
        source=plan.source)]
    if plan.version:
        lines.append(_versions_line(combined))
    lines.extend(_table(rows))
    if plan.arms:
        lines.append("")
        lines.extend(_arms_table(plan))
    return lines


def _versions_line(combined: Protocol) -> str:
    """The protocol's versions in one line: "versions: 1.0 from 2010-08-01 (protocols/1.0.toml),
    2.0 from 2011-03-01 (protocol.toml, current)"."""
    parts = []
    for each in combined.versions or (combined,):
        # TRANSLATORS: one version in the list of versions: {version} its name, {date} its
        # effective date, {source} its file.
        parts.append(_("{version} from {date} ({source})").format(
            version=each.version, date=each.effective, source=label(Path(each.source))))
    # TRANSLATORS: {versions} is the list of versions; the last is the one shown.
    return _("protocol versions: {versions}; the plan below is version {current}").format(
        versions=pgettext("list", ", ").join(parts), current=combined.current.version)


def protocol_diff(protocol_path: Path | None, folder: Path | None, old: str, new: str) -> list[str]:
    """What changed between two versions of the study's protocol, visit by visit, as lines
    of a table (exit 2 naming the versions there are when one is unknown)."""
    from scheduler.errors import OptionError
    from scheduler.protocol import load_protocol_for
    from scheduler.protocol.versions import differences
    from scheduler.sources.folder import resolve_study

    inputs = resolve_study(folder, protocol_path)
    combined = load_protocol_for(inputs.protocol)
    names = [each.version for each in combined.versions or (combined,) if each.version]
    found = []
    for wanted in (old, new):
        version = combined.version_named(wanted) if wanted else None
        if version is None:
            if not names:
                raise OptionError(_("--diff {version}: the protocol has no versions ([study] version and "
                                    "effective; earlier versions in protocols/)").format(version=wanted))
            raise OptionError(_("--diff {version}: no protocol version of that name — the versions are "
                                "{versions}").format(version=wanted, versions=", ".join(names)))
        found.append(version)
    changes = differences(found[0], found[1])
    words = {"added": pgettext("change", "added"), "dropped": pgettext("change", "dropped"),
             "changed": pgettext("change", "changed")}
    # TRANSLATORS: the first line of protocol --diff: {old} and {new} are version names.
    first = ngettext("from version {old} to version {new}: {count} visit differs",
                     "from version {old} to version {new}: {count} visits differ", len(changes)).format(
                         old=old, new=new, count=len(changes))
    if not changes:
        return [first]
    rows = [(pgettext("heading", "code"), pgettext("heading", "change"), pgettext("heading", "before"),
             pgettext("heading", "after"), pgettext("heading", "what changed"))]
    for change in changes:
        rows.append((change.code, words[change.change], change.before or "–", change.after or "–",
                     pgettext("list", ", ").join(change.notes)))
    return [first, *_table(rows)]


# The marks of the arms table: the arm has the visit, or not.
HAS_VISIT = "✓"
LACKS_VISIT = "–"


def _arms_table(plan: Protocol) -> list[str]:
    """The arms side by side: one row per visit, one column per arm (its code and name in
    the reader's language), ✓ where the arm has the visit, – where it does not."""
    headings = [pgettext("heading", "code"), pgettext("heading", "visit")]
    for arm in plan.arms:
        name = arm.name_in()
        # TRANSLATORS: an arm's column heading in the protocol's arms table: its code and its
        # name, "A (Three transplants)".
        headings.append(arm.code if name == arm.code else _("{code} ({name})").format(code=arm.code, name=name))
    rows = [tuple(headings)]
    has = [{visit.code for visit in plan.visits_of(arm.code)} for arm in plan.arms]
    for visit in plan.visits:
        rows.append((visit.code, visit.name_in(),
                     *(HAS_VISIT if visit.code in codes else LACKS_VISIT for codes in has)))
    count = len(plan.arms)
    # TRANSLATORS: the first line of the arms table, below the plan; keep the marks ✓ and –
    # (the table's cells).
    first = ngettext("{count} arm: ✓ the arm has the visit, – it does not",
                     "{count} arms: ✓ the arm has the visit, – it does not", count).format(count=count)
    return [first, *_table(rows)]


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """``rows`` (the first the headings) as lines, each column as wide as its widest cell
    drawn on a terminal, a line of dashes under the headings."""
    from scheduler.outputs.people import display_width, pad

    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(pad(cell, width) for cell, width in zip(row, widths)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def init(folder: Path, language: str | None = None) -> list[str]:
    """A new study folder (its protocol in ``language`` when given: ``[study] language``);
    the lines that say what was written and what to do next."""
    from scheduler.protocol import load_protocol_for
    from scheduler.sources.folder import resolve
    from scheduler.storage.audit import AUDIT_FILE, who
    from scheduler.storage.change import RecordFiles, ensure_trail
    from scheduler.storage.study_folder import init_folder

    lines = [_("Wrote {file}").format(file=written) for written in init_folder(folder, language)]
    inputs = resolve(folder, None, None, None)
    protocol = load_protocol_for(inputs.protocol)
    ensure_trail(RecordFiles.of(inputs, protocol), protocol.timezone, who(),
                 "the study folder made by init: the trail's first line")
    lines.append(_("Wrote {file} (the audit trail, with its baseline in {folder})").format(
        file=label(folder / AUDIT_FILE), folder=label(folder / "audit")))
    # The folder as the shell needs it: a name with spaces is quoted, so the hint can be pasted.
    import shlex

    study = shlex.quote(label(folder))
    # TRANSLATORS: {study} is a folder name inside two command lines; keep the commands as they are.
    lines.append(_("Next: enroll participants (visit-scheduler enroll 001 --date YYYY-MM-DD --study "
                   "{study}) or type them into {file}, then run: visit-scheduler schedule --study {study}")
                 .format(study=study, file=label(folder / "participants.csv")))
    return lines


# ------------------------------------------------------------------ the protocols' languages
# Light on purpose (the command line asks before anything else, --help too): no pandas.


def is_study_folder(folder: Path) -> bool:
    """A folder holding participants.csv (or .xlsx) or protocol.toml."""
    from scheduler.sources.folder import PARTICIPANTS_FILE, PROTOCOL_FILE

    try:
        names = {entry.name.lower() for entry in folder.iterdir() if entry.is_file()}
    except OSError:
        return False
    return PROTOCOL_FILE in names or any(name in names for name in (
        f"{PARTICIPANTS_FILE}.csv", f"{PARTICIPANTS_FILE}.xlsx"))


def protocol_languages(studies: Sequence[Path], protocol: Path | None) -> list[str | None]:
    """The ``[study] language`` of each protocol a command is about to read (None for one
    without the key, or a study on the built-in protocol), read before the command runs: the
    language is chosen first. ``--protocol FILE``, else each ``--study DIR``'s protocol.toml,
    or, for a site folder (neither protocol.toml nor participants.csv), each of its study
    folders'; without --study, the current folder's protocol.toml."""
    from scheduler.sources.folder import PROTOCOL_FILE

    def declared_language(path: Path) -> str | None:
        # The protocol package only when there is a protocol to read (--help stays quick).
        from scheduler.protocol.loading import declared_language

        return declared_language(path)

    if protocol is not None:
        return [declared_language(protocol)]

    def declared(folder: Path) -> str | None:
        own = folder / PROTOCOL_FILE
        return declared_language(own) if own.is_file() else None

    if not studies:  # the current folder: never a site folder (as the commands read it)
        return [declared(Path("."))]
    found: list[str | None] = []
    for folder in studies:
        if not folder.is_dir() or is_study_folder(folder):
            found.append(declared(folder))
            continue
        try:
            subfolders = sorted(path for path in folder.iterdir() if path.is_dir() and is_study_folder(path))
        except OSError:
            subfolders = []
        found.extend(declared(path) for path in subfolders)
    return found
