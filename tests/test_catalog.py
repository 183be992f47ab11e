"""The Chinese catalog is complete and true to the code (issue #15).

A message without its translation, a translation that drops or changes a placeholder, a
fuzzy entry, a text in the code that the catalog lacks (someone forgot `make catalog`), or
a word PRODUCT.md's glossary forbids: each fails here, naming the entry.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import click
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from scheduler import i18n

ROOT = Path(__file__).resolve().parent.parent
PO, _MO = i18n.catalog_files(i18n.CHINESE)
CLICK_FILES = ("core.py", "decorators.py", "exceptions.py", "formatting.py", "parser.py",
               "termui.py", "types.py", "utils.py")


def catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as file:
        return read_po(file)


def entries():  # type: ignore[no-untyped-def]
    return [message for message in catalog() if message.id]


def key(message) -> tuple[str | None, str]:  # type: ignore[no-untyped-def]
    first = message.id[0] if isinstance(message.id, tuple) else message.id
    return (message.context, first)


def placeholders(text: str) -> set[str]:
    """{name} fields (str.format, ours and click's) and %(name)s ones."""
    found = set()
    try:
        for _literal, field, spec, _conversion in string.Formatter().parse(text):
            if field is not None:
                found.add(f"{{{field}{':' + spec if spec else ''}}}")
    except ValueError:
        found.add("<unbalanced braces>")
    found.update(re.findall(r"%\(\w+\)[sdr]", text))
    return found


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = []
    fuzzy = []
    for message in entries():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(key(message)[1])
        if message.fuzzy:
            fuzzy.append(key(message)[1])
    assert not untranslated, f"{len(untranslated)} without a translation, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (check and clear the flag), e.g. {fuzzy[:5]}"


def test_every_translation_keeps_its_placeholders():
    wrong = []
    for message in entries():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # Chinese has one plural form: it carries the plural's placeholders.
        wanted = placeholders(ids[-1])
        for translated in strings:
            if translated and placeholders(translated) != wanted:
                wrong.append(f"{ids[-1]!r} → {translated!r}")
    assert not wrong, "placeholders dropped, added or renamed:\n" + "\n".join(wrong)


def code_messages() -> set[tuple[str | None, str]]:
    """Every (context, text) the code marks for translation: ours and click's."""
    files = sorted((ROOT / "scheduler").rglob("*.py"))
    files += [Path(click.__file__).parent / name for name in CLICK_FILES]
    found = set()
    for path in files:
        for _line, text, _comments, context in extract_from_file("python", path, DEFAULT_KEYWORDS):
            first = text[0] if isinstance(text, tuple) else text
            if first:
                found.add((context, first))
    return found


def test_the_catalog_has_every_text_of_the_code_and_nothing_else():
    in_code = code_messages()
    in_catalog = {key(message) for message in entries()}
    missing = sorted(text for _context, text in in_code - in_catalog)
    stale = sorted(text for _context, text in in_catalog - in_code)
    assert not missing, (f"{len(missing)} texts are not in the catalog — run `make catalog`, then "
                         f"translate them: {missing[:8]}")
    assert not stale, f"{len(stale)} catalog entries no longer in the code — run `make catalog`: {stale[:8]}"


def test_the_plural_header_is_chinese():
    assert catalog().plural_forms == "nplurals=1; plural=0;"


GLOSSARY = {  # PRODUCT.md, "Languages": the words of Chinese GCP and the site
    ("status", "in_window"): "窗内", ("status", "early"): "提前", ("status", "late"): "延后",
    ("status", "missed"): "缺失访视", ("status", "due"): "待访视", ("status", "upcoming"): "未到访视窗",
    ("status", "withdrawn"): "已退出", ("status", "unscheduled"): "计划外访视",
}


def test_status_words_are_the_glossarys():
    translated = {key(message): message.string for message in entries()}
    for entry, word in GLOSSARY.items():
        assert translated.get(entry) == word, entry


@pytest.mark.parametrize("forbidden", ["脱落", "失访", "方案违背"])
def test_no_forbidden_word(forbidden):
    # 脱落 and 失访 mean drop-out and lost to follow-up, never a withdrawal; 方案违背 (violation)
    # is never an early or late visit. (缺失访视, missed, holds 失访 by chance: not that word.)
    using = [message.string for message in entries()
             if forbidden in "".join(message.string if isinstance(message.string, tuple)
                                     else (message.string,)).replace("缺失访视", "")]
    assert not using, using


def test_the_compiled_catalog_speaks_chinese():
    compiled = i18n.compile_catalog(PO)
    assert compiled[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")  # a GNU .mo
    try:
        i18n.use(i18n.CHINESE)
        assert i18n.pgettext("status", "late") == "延后"
        assert i18n._("Usage:") != "Usage:"  # click's own words are in the catalog too
    finally:
        i18n.use(i18n.ENGLISH)
    assert i18n.pgettext("status", "late") == "late"


GETTEXT_NAMES = {"_", "ngettext", "pgettext", "N_"}


def test_no_translation_call_hides_inside_an_f_string():
    """Babel reads an f-string as one string: a _() inside it never reaches the catalog, and the
    text stays English. Each such call is taken out of the f-string into a name first."""
    import ast

    hidden = []
    for path in sorted((ROOT / "scheduler").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
                            and inner.func.id in GETTEXT_NAMES):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not hidden, "translation calls inside f-strings (Babel cannot see them): " + ", ".join(hidden)
