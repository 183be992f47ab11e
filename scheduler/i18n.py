"""The language people read: English or Simplified Chinese, from gettext catalogs.

Every text a person reads goes through ``_`` (or ``ngettext`` where English has a plural,
``pgettext`` where a short word needs its context), with named ``{placeholders}`` filled by
``str.format`` after translation — never an f-string inside ``_``, which could not be
looked up (ruff's INT rules refuse it). Texts defined at import time (table headings,
option help) are marked with ``N_`` and translated where they are shown.

The catalogs live in ``scheduler/locale/LANG/LC_MESSAGES/visit_scheduler.po``, managed with
Babel (``make catalog`` extracts and updates; the build and ``make`` compile them). A
catalog whose compiled ``.mo`` is missing or older than its ``.po`` (a fresh checkout) is
compiled in memory, so the tool never speaks a stale language.

The language is chosen once per command (``cli`` calls ``use``): see ``choose``.
CSV, JSON, the audit trail and SDTM never go through here: their words are a contract.
"""

from __future__ import annotations

import gettext
import io
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "visit_scheduler"
ENGLISH = "en"
CHINESE = "zh-CN"
LANGUAGES = (ENGLISH, CHINESE)
# The gettext folder name of each language.
_FOLDER = {CHINESE: "zh_CN"}

# Spellings people and systems use for each language (compared lower-case, "_" as "-").
_ALIASES = {
    "en": ENGLISH, "en-us": ENGLISH, "en-gb": ENGLISH, "english": ENGLISH, "c": ENGLISH,
    "posix": ENGLISH,
    "zh": CHINESE, "zh-cn": CHINESE, "zh-sg": CHINESE, "zh-hans": CHINESE, "zh-hans-cn": CHINESE,
    "zh-hans-sg": CHINESE, "chinese": CHINESE,
}

_current = ENGLISH
_catalog: gettext.NullTranslations = gettext.NullTranslations()
_loaded: dict[str, gettext.NullTranslations] = {}


def language_named(name: str | None) -> str | None:
    """The language a spelling means ("zh", "zh_CN", "zh-cn", "zh_CN.UTF-8" → "zh-CN"), or
    None when it is none of ours."""
    if not name:
        return None
    word = name.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    return _ALIASES.get(word)


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """The language of the computer's locale: LC_ALL, LC_MESSAGES, LANG (the first that is
    set); on Windows, the display language. Anything not ours is English, silently."""
    environ = os.environ if environ is None else environ
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable)
        if value:
            return language_named(value) or ENGLISH
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return language_named(_windows_display_language()) or ENGLISH
    return ENGLISH


def _windows_display_language() -> str | None:  # pragma: no cover - Windows only
    import ctypes
    import locale

    try:
        language_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        return locale.windows_locale.get(language_id)
    except (AttributeError, OSError):
        return None


def choose(option: str | None, environ: Mapping[str, str] | None = None,
           protocol: Iterable[str | None] = ()) -> str:
    """The language a command speaks: ``--lang``, else VISIT_SCHEDULER_LANG, else the study
    protocols' ``[study] language`` (only when they agree), else the locale, else English.

    An unknown language in the option or the variable raises ``UnknownLanguage``; unknown
    languages in protocols are reported by the protocol's own check, here they are passed by.
    """
    environ = os.environ if environ is None else environ
    for given, where in ((option, "--lang"), (environ.get("VISIT_SCHEDULER_LANG"), "VISIT_SCHEDULER_LANG")):
        if given:
            named = language_named(given)
            if named is None:
                raise UnknownLanguage(given, where)
            return named
    wanted = {language_named(value) for value in protocol}
    if len(wanted) == 1 and None not in wanted:
        return wanted.pop()  # type: ignore[return-value]
    return locale_language(environ)


class UnknownLanguage(ValueError):
    def __init__(self, given: str, where: str):
        super().__init__(given)
        self.given = given
        self.where = where


def use(language: str) -> None:
    """Speak ``language`` (one of LANGUAGES) from now on."""
    global _current, _catalog
    _current = language
    _catalog = _catalog_of(language)


def current() -> str:
    return _current


def _catalog_of(language: str) -> gettext.NullTranslations:
    if language == ENGLISH:
        return gettext.NullTranslations()
    if language not in _loaded:
        _loaded[language] = _load(language)
    return _loaded[language]


def catalog_files(language: str) -> tuple[Path, Path]:
    """The catalog (.po) and its compiled form (.mo) of a language."""
    folder = LOCALE_DIR / _FOLDER[language] / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def _load(language: str) -> gettext.NullTranslations:
    source, compiled = catalog_files(language)
    if compiled.exists() and (not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime):
        return _read_catalog(compiled.read_bytes())
    if not source.exists():  # an install without its catalogs: a bug of the packaging
        raise RuntimeError(f"the {language} catalog is missing from {LOCALE_DIR}")
    return _read_catalog(compile_catalog(source))


def _read_catalog(data: bytes) -> gettext.NullTranslations:
    """A compiled catalog: looked up where it lies (``Catalog``), or read by the standard
    library when it is not the little-endian UTF-8 catalog Babel writes."""
    try:
        return Catalog(data)
    except ValueError:
        return gettext.GNUTranslations(io.BytesIO(data))


class Catalog(gettext.NullTranslations):
    """A compiled catalog (.mo) whose messages are decoded when they are asked for.

    gettext.GNUTranslations decodes every one of the catalog's thousand messages when it is
    opened (2 ms of every start in Chinese, more than the rest of ``--help``); a command says
    a few dozen. The same answers: tests/test_start_up.py holds it to GNUTranslations for
    every message of the catalog, singular, plural and with context."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        import struct

        if len(data) < 28 or data[:4] != b"\xde\x12\x04\x95":  # little-endian, as Babel writes
            raise ValueError("not a little-endian .mo catalog")
        version, count, originals, translations = struct.unpack("<4I", data[4:20])
        if version >> 16 not in (0, 1):
            raise ValueError("unknown .mo version")
        keys = struct.unpack(f"<{2 * count}I", data[originals:originals + 8 * count])
        self._places = struct.unpack(f"<{2 * count}I", data[translations:translations + 8 * count])
        self._data = data
        # Each original (bytes) → its number in the tables; a plural one by its singular.
        texts = [data[start:start + length] for length, start in zip(keys[0::2], keys[1::2])]
        self._singular = dict(zip(texts, range(count)))
        self._plural = {texts[number].split(b"\x00", 1)[0]: number
                        for number in range(count) if b"\x00" in texts[number]}
        header = self._text(self._singular[b""]) if b"" in self._singular else ""
        fields = dict(line.split(":", 1) for line in header.splitlines() if ":" in line)
        if "charset=utf-8" not in fields.get("Content-Type", "").replace(" ", "").lower():
            raise ValueError("not a UTF-8 catalog")
        forms = fields.get("Plural-Forms", "").split(";")
        rule = next((form.split("=", 1)[1].strip() for form in forms if form.strip().startswith("plural=")), None)
        self._choose = (lambda count: int(count != 1)) if rule is None else (
            (lambda count: 0) if rule == "0" else gettext.c2py(rule))

    def _text(self, number: int) -> str:
        length, start = self._places[2 * number], self._places[2 * number + 1]
        return self._data[start:start + length].decode("utf-8")

    def gettext(self, message: str) -> str:
        place = self._singular.get(message.encode())
        if place is None:  # a plural message asked for alone: its form for one, as GNUTranslations
            return self._form(self._plural.get(message.encode()), 1, message, message)
        return self._text(place)

    def _form(self, number: int | None, n: int, msgid1: str, msgid2: str) -> str:
        """The form for ``n`` of plural message ``number`` (English when there is none)."""
        if number is None:
            return msgid1 if n == 1 else msgid2
        forms = self._text(number).split("\x00")
        index = self._choose(n)
        return forms[index] if index < len(forms) else (msgid1 if n == 1 else msgid2)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._form(self._plural.get(msgid1.encode()), n, msgid1, msgid2)

    def pgettext(self, context: str, message: str) -> str:
        key = f"{context}\x04{message}".encode()
        place = self._singular.get(key)
        if place is None:
            return self._form(self._plural.get(key), 1, message, message)
        return self._text(place)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self._form(self._plural.get(f"{context}\x04{msgid1}".encode()), n, msgid1, msgid2)


def compile_catalog(source: Path) -> bytes:
    """A .po catalog compiled to .mo bytes with Babel (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as file:
        catalog = read_po(file)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _(message: str) -> str:
    """``message`` in the current language."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for ``count`` ("1 deviation", "2 deviations"), in the current language."""
    return _catalog.ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """A short word whose meaning depends on ``context`` ("heading", "status"…)."""
    return _catalog.pgettext(context, message)


def N_(message: str) -> str:
    """Marks a text for the catalog where it is defined; ``_`` translates it where shown."""
    return message


def chinese() -> bool:
    return _current == CHINESE
