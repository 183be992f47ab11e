"""Reading a protocol file (or the built-in one) and turning TOML errors into messages.

The only module of the protocol package that opens a file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.errors import Problem, ProtocolError
from scheduler.i18n import _, ngettext

if TYPE_CHECKING:
    import tomllib

    from scheduler.protocol.model import Protocol

BUILT_IN_NAME = "nct01143168.toml"
# The folder beside protocol.toml that holds the study's earlier protocol versions.
VERSIONS_FOLDER = "protocols"


def built_in_text() -> str:
    """The text of the built-in NCT01143168 protocol file shipped inside the package (a file
    beside this module: importlib.resources would cost 5 ms of every start for the same)."""
    return Path(__file__).with_name(BUILT_IN_NAME).read_text("utf-8")


def holidays_registry_text() -> str:
    """The text of the holidays package's registry of countries (holidays/registry.py), found
    without importing the package (protocol.countries reads it); "" when it cannot be read."""
    from importlib.util import find_spec

    try:
        spec = find_spec("holidays")  # a top-level name: found, not imported
    except (ImportError, ValueError):
        return ""
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not folders:
        return ""
    try:
        return (Path(folders[0]) / "registry.py").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def load_built_in() -> Protocol:
    """The built-in protocol, its tables read from protocol.built_in (the .toml file's data,
    made by `make docs`, held to the file by the tests): no TOML reader imported."""
    from scheduler.protocol.built_in import data

    # The label people read where a file's name would be (messages, the report's sources).
    return _checked(data(), built_in_text(), _("built-in NCT01143168 protocol"))


def load_protocol_for(path: Path | None) -> Protocol:
    """The study's protocol: its file, else (``None``) the built-in one. With earlier
    versions beside it (a ``protocols/`` folder of .toml files), all of them combined
    (protocol.versions)."""
    if path is None:
        return load_built_in()
    current = load_protocol(path)
    folder = path.parent / VERSIONS_FOLDER
    if not folder.is_dir():
        return current
    try:
        files = version_files(path)
    except OSError as error:
        raise ProtocolError(_("{file}: cannot read the protocol versions ({reason})").format(
            file=folder, reason=error.strerror)) from None
    if not files:
        return current
    from scheduler.protocol.versions import combine

    earlier = []
    problems: list[Problem] = []
    for file in files:
        try:
            earlier.append(load_protocol(file))
        except ProtocolError as error:
            problems += error.problems or [Problem(str(file), error.message)]
    if problems:
        raise ProtocolError(ngettext("{file}: {count} problem in the earlier protocol versions",
                                     "{file}: {count} problems in the earlier protocol versions",
                                     len(problems)).format(file=folder, count=len(problems)), problems)
    return combine(current, earlier)


def version_files(path: Path) -> list[Path]:
    """The earlier protocol versions beside the protocol file ``path``: protocols/*.toml, by
    name (OSError when the folder cannot be read; none when there is no such folder)."""
    folder = path.parent / VERSIONS_FOLDER
    if not folder.is_dir():
        return []
    # Not the hidden files a Mac leaves on a shared drive (._1.0.toml) nor Office's lock files (~$…).
    return sorted(entry for entry in folder.iterdir() if entry.suffix.lower() == ".toml" and entry.is_file()
                  and not entry.name.startswith((".", "~$")))


def load_protocol(path: Path) -> Protocol:
    """Read and validate a protocol file; raise ProtocolError naming every problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProtocolError(
            _("{file}: protocol file not found — check the path, or leave out --protocol "
              "to use the study folder's protocol.toml or the built-in protocol").format(file=path)
        ) from None
    except OSError as error:
        # TRANSLATORS: {reason} is the system's own words ("Permission denied").
        raise ProtocolError(_("{file}: cannot read the protocol file ({reason})").format(
            file=path, reason=error.strerror)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProtocolError(
            _("{file}: the protocol file is not UTF-8 text — save it as UTF-8 "
              "(in Notepad: Save as, Encoding UTF-8)").format(file=path)
        ) from None
    return parse_protocol(text, source=str(path), base_folder=path.parent)


def parse_protocol(text: str, source: str, base_folder: Path | None = None) -> Protocol:
    """Validate protocol TOML text. Every problem is collected before anything is raised."""
    import tomllib  # here: verify of a study on the built-in protocol reads no TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError(
            _("{file}: the protocol file cannot be used").format(file=source),
            [Problem(source, _toml_message(error), line=_toml_line(error),
                     fix=_toml_fix(error, text))],
        ) from None
    return _checked(data, text, source, base_folder)


def _checked(data: dict[str, Any], text: str, source: str, base_folder: Path | None = None) -> Protocol:
    """The protocol of a file's tables (``data``, read from ``text``): every problem
    collected before anything is raised."""
    from scheduler.protocol.checks import Checker

    checker = Checker(source, text)
    protocol = checker.check(data, base_folder)
    if checker.problems or protocol is None:
        # In file order, as the reader goes through the file; problems of the whole file first.
        checker.problems.sort(key=lambda problem: problem.line or 0)
        count = len(checker.problems)
        raise ProtocolError(
            ngettext("{file}: the protocol file cannot be used: {count} problem",
                     "{file}: the protocol file cannot be used: {count} problems", count).format(
                file=source, count=count),
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
        return _('write text between straight quotes ("…"), not curly ones (“…”)')
    if "overwrite" in str(error) or "declare" in str(error).lower():
        return _("a table or key appears twice: each visit goes under its own [[visits]] header, "
                 "with two brackets")
    return _("fix the TOML syntax (visit-scheduler init DIR writes a complete protocol file to copy from)")


def _toml_message(error: tomllib.TOMLDecodeError) -> str:
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
    # TRANSLATORS: {reason} is the TOML reader's own words, in English ("expected '=' after a key").
    return _("not valid TOML: {reason}").format(reason=f"{message[:1].lower()}{message[1:]}")




def closures_named(path: Path | None) -> Path | None:
    """The clinic's closures file a protocol names (``[clinic] closures``, beside the
    protocol), read from its TOML alone, without the checks: what ``verify`` needs of the
    protocol (the files the trail covers). A file that cannot be read so is loaded whole,
    which says what is wrong with it (ProtocolError); the built-in protocol (None) names none."""
    if path is None:
        return None
    import tomllib

    try:
        clinic = tomllib.loads(path.read_bytes().decode("utf-8-sig")).get("clinic", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        clinic = None
    name = clinic.get("closures") if isinstance(clinic, dict) else None
    if isinstance(clinic, dict) and (name is None or (isinstance(name, str) and name.strip())):
        return path.parent / name.strip() if name is not None else None  # as checks.Checker.text reads it
    found = load_protocol(path).clinic  # raises, naming the problem; else as the checks read it
    return found.closures if found is not None else None


# Where zoneinfo looks first on Linux and macOS (CPython's default TZPATH).
SYSTEM_ZONES = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")


def system_zone(name: str) -> bool:
    """Whether the system's time-zone folder holds ``name`` (a TZif file, as zoneinfo would
    read it): a yes without importing zoneinfo (3 ms of ``protocol``'s start). No means
    "ask zoneinfo", which also knows the tzdata package (Windows) and PYTHONTZPATH. ``name``
    has the IANA shape (Asia/Shanghai: letters, digits, _ + -), never a path of its own."""
    import os

    if "PYTHONTZPATH" in os.environ:  # even empty: zoneinfo's own search path then
        return False
    for folder in SYSTEM_ZONES:
        try:
            with open(f"{folder}/{name}", "rb") as file:
                if file.read(4) == b"TZif":
                    return True
        except OSError:
            continue
    return False


def declared_language(path: Path) -> str | None:
    """A protocol file's ``[study] language``, read quickly before anything else (the
    language is chosen before the command runs); None when it has none or cannot be read —
    the protocol's own check then explains the file's problems."""
    import tomllib

    try:
        with path.open("rb") as file:
            study = tomllib.load(file).get("study")
    except (OSError, ValueError):
        return None
    value = study.get("language") if isinstance(study, dict) else None
    return value if isinstance(value, str) else None
