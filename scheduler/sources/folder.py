"""The study folder: which files a command reads, and the headers of a new one.

Each of --protocol, --participants and --visits defaults to the study folder's
protocol.toml, participants.csv and visits.csv when that file exists (an .xlsx of the same
name is taken when there is no .csv). Without a protocol file the built-in NCT01143168
protocol applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from scheduler.errors import OptionError
from scheduler.i18n import N_, _
from scheduler.paths import label

PROTOCOL_FILE = "protocol.toml"
VERSIONS_FILE = "versions.csv"  # the version history (amend): sources.history reads it
PARTICIPANTS_FILE = "participants"
VISITS_FILE = "visits"


class Inputs(NamedTuple):
    """The files a command reads; None where the study folder has none."""

    folder: Path
    protocol: Path | None
    participants: Path | None
    visits: Path | None


def _default(folder: Path, stem: str) -> Path | None:
    """The study folder's STEM.csv or STEM.xlsx, whatever the capitals (Visits.CSV too).

    Two candidates (a .csv and an .xlsx) refuse the command: taking one silently could mean
    taking the stale one. An old .xls is returned so that reading it explains the fix."""
    try:
        entries = [entry for entry in folder.iterdir() if entry.is_file()]
    except OSError:
        return None
    found = sorted(entry for entry in entries
                   if entry.name.lower() in (f"{stem}.csv", f"{stem}.xlsx", f"{stem}.xls"))
    if len(found) > 1:
        # TRANSLATORS: two file names of a list ("visits.csv and visits.xlsx"); a third is
        # joined the same way ("visits.csv and visits.xlsx and Visits.CSV").
        names = _join_names([entry.name for entry in found], _("{first} and {second}"))
        # TRANSLATORS: {files} are file names joined by "and"; {option} is the command-line
        # option (--participants or --visits), FILE stays as it is.
        raise OptionError(_("{folder} has {files} — keep one, or name the one to use with {option} FILE")
                          .format(folder=label(folder), files=names, option=f"--{stem}"))
    return found[0] if found else None


def _join_names(names: list[str], pair: str) -> str:
    """Names joined two by two with ``pair`` ("{first} and {second}")."""
    joined = names[0]
    for name in names[1:]:
        joined = pair.format(first=joined, second=name)
    return joined


def resolve_study(folder: Path | None, protocol: Path | None = None,
                  participants: Path | None = None, visits: Path | None = None) -> Inputs:
    """The files a command reads; refuses a --study folder that does not exist."""
    if folder is not None and not folder.is_dir():
        raise OptionError(_("--study {folder}: no such folder — "
                            "create one with: visit-scheduler init DIR").format(folder=folder))
    return resolve(folder, protocol, participants, visits)


def resolve(folder: Path | None, protocol: Path | None, participants: Path | None,
            visits: Path | None) -> Inputs:
    """Each file named by its option, else the study folder's own (None where there is none)."""
    folder = folder if folder is not None else Path(".")
    if protocol is None and (folder / PROTOCOL_FILE).is_file():
        protocol = folder / PROTOCOL_FILE
    if protocol is None and ((folder / "protocols").is_dir() or (folder / VERSIONS_FILE).exists()):
        # Never the built-in protocol for a study that has versions: its moves would vanish.
        from scheduler.errors import ProtocolError

        # TRANSLATORS: {file} is protocol.toml in the study folder; protocols/ and versions.csv are names.
        raise ProtocolError(_("{file} is missing, but the study folder has protocol versions (protocols/ or "
                              "versions.csv) — restore protocol.toml, the current version; nothing was read")
                            .format(file=label(folder / PROTOCOL_FILE)))
    return Inputs(
        folder=folder,
        protocol=protocol,
        participants=participants if participants is not None else _default(folder, PARTICIPANTS_FILE),
        visits=visits if visits is not None else _default(folder, VISITS_FILE),
    )


PARTICIPANTS_HEADER = "participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site\n"
VISITS_HEADER = "participant_id,visit_code,actual_date,reason\n"
VERSIONS_HEADER = "participant_id,protocol_version,move_date\n"

# The columns of each record file whose values the audit trail records.
ROSTER_FIELDS = ("participant_id", "enrollment_date", "withdrawal_date", "withdrawal_reason",
                 "withdrawal_category", "site", "arm", "consent_date", "sex", "age")
VISIT_FIELDS = ("participant_id", "visit_code", "actual_date", "reason")
VERSION_COLUMNS = ("participant_id", "protocol_version", "move_date")


# Files and folders the study folder keeps, besides the roster, the visits and the protocol:
# no output may be written over them (PRODUCT.md, Outputs).
# What each is, as a message names it ("-o audit.csv is the audit trail, which…"): marked
# here, translated where returned.
KEPT_NAMES = {"audit.csv": N_("the audit trail"), "audit": N_("the audit trail's copies"),
              "calendar-state.json": N_("the calendar state"), ".visit-scheduler.lock": N_("the lock"),
              "protocols": N_("the protocol versions"), "versions.csv": N_("the version history")}
_STUDY_FILES = {PARTICIPANTS_FILE: N_("the study's participants file"),
                VISITS_FILE: N_("the study's visits file")}


def kept_by_study(folder: Path, output: Path, closures: Path | None = None) -> str | None:
    """What ``output`` is, when it is a file the study folder keeps (None otherwise)."""
    target = output.resolve()
    base = folder.resolve()
    # Compared without case: on Windows (and a Mac) AUDIT.CSV is audit.csv.
    first = target.relative_to(base).parts[0].lower() if base in target.parents else None
    for name, what in KEPT_NAMES.items():
        if first == name.lower():
            return _(what)
    for stem in (PARTICIPANTS_FILE, VISITS_FILE):
        if target.parent == base and target.name.lower() in (f"{stem}.csv", f"{stem}.xlsx"):
            return _(_STUDY_FILES[stem])
    if target == (base / PROTOCOL_FILE):
        return _("the protocol")
    if closures is not None and target == closures.resolve():
        return _("the clinic closures file")
    return None
