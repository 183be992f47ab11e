"""What keeps --help, protocol and verify quick (issue #20) says what the slow way said.

The light commands do not import the holidays package (its registry is read as text), nor
wcwidth for Chinese and Latin text (blocks of known width), nor pendulum to read the trail;
each short cut is held here to the library it stands in for, over every code point or
every country it covers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.cli.base import _has_wide, _words
from scheduler.outputs import people
from scheduler.protocol import countries

from .conftest import SAMPLE
from .conftest import imported as imported_by


def test_the_registry_read_as_text_is_the_package_registry():
    import holidays

    package = {entry[1]: entry[2] for entry in holidays.registry.COUNTRIES.values()}
    assert countries._registry_text() == package
    assert len(package) > 200
    assert countries.alpha3("CN") == "CHN" and countries.known("CN")
    assert countries.alpha3("XX") is None and not countries.known("XX")


def test_a_registry_that_cannot_be_read_as_text_is_asked_of_the_package(monkeypatch):
    """The text can only say yes: when it says nothing, the package answers (CN still known,
    XX still not)."""
    monkeypatch.setattr(countries, "_registry_text", lambda: {})
    assert countries.known("CN") and countries.alpha3("CN") == "CHN"
    assert not countries.known("XX")


def test_each_known_block_is_as_wide_as_wcwidth_says():
    """Every code point of the blocks measured without wcwidth: its width there is
    wcwidth's; the two-column blocks are East Asian Wide or Fullwidth, the one-column ones
    never are (so the help's "holds wide characters" agrees too)."""
    from wcwidth import wcwidth

    wrong = []
    for start, end, width in people._BLOCKS:
        for point in range(start, end + 1):
            char = chr(point)
            wide = unicodedata.east_asian_width(char) in "WF"
            if wcwidth(char) != width or wide != (width == 2):
                wrong.append(f"U+{point:04X}")
    assert not wrong, wrong[:20]


def _reference_width(text: str, ambiguous_wide: bool) -> int:
    """The width as it was measured before the blocks: wcwidth for every character."""
    from wcwidth import wcwidth

    total = 0
    for char in text:
        width = wcwidth(char)
        if width < 0:
            width = 1
        elif width == 1 and ambiguous_wide and unicodedata.east_asian_width(char) == "A":
            width = 2
        total += width
    return total


# Text as the screens hold it: Latin, Chinese, punctuation of both, and now and then a
# character of no known block (a combining mark, an emoji, Hangul, a control).
SCREEN_TEXT = st.text(st.sampled_from(
    "Day 7 ± 1 from D0 — → … “” · ✓ 访视窗计划日期（）：，。、《》ｘＡ１ é ß ñ Ω ́ 😀 한 \u200b \t"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=SCREEN_TEXT, chinese=st.booleans())
def test_width_is_the_wcwidth_width(text, chinese):
    people._width.cache_clear()
    assert people._width(text, chinese) == _reference_width(text, chinese)


@settings(max_examples=300, deadline=None)
@given(text=SCREEN_TEXT)
def test_help_words_and_wide_test_are_the_regular_expressions_they_replace(text):
    """The pieces a Chinese help line breaks between, and whether a text holds wide
    characters, as the regular expressions said (compiling them cost 3 ms of every start)."""
    flat = " ".join(text.split())
    pieces = re.findall(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uff00-\uffef"
                        r"\u3000-\u303f]+|\s+", flat)
    assert list(_words(flat)) == pieces
    assert _has_wide(text) == any(unicodedata.east_asian_width(char) in "WF" for char in text)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_light_commands_leave_the_heavy_libraries_alone(tmp_path: Path, language: str):
    """--help, protocol and verify on the sample study (its trail holding one enroll), in
    both languages: none of the libraries they do not need is imported."""
    import shutil

    study = tmp_path / "s"
    shutil.copytree(SAMPLE, study)
    env = {"VISIT_SCHEDULER_LANG": language, "PATH": "/usr/bin:/bin"}

    heavy = ("holidays", "wcwidth", "pendulum", "numpy", "importlib.resources", "difflib", "calendar")

    def imported(*args: str) -> set[str]:
        return imported_by(heavy, *args, cwd=study, env=env)

    subprocess.run([sys.executable, "-m", "scheduler", "enroll", "900", "--date", "2011-02-15"], cwd=study,
                   env=env, check=True, capture_output=True, timeout=120)
    assert imported("--help") == set()
    assert imported("protocol") == set()
    assert imported("verify") == set()
    # verify reads and hashes: neither the protocol's model and checks (the sample study has
    # the built-in protocol: no TOML read) nor the modules of writing (a copy, a temporary
    # file, the login name).
    writing = ("scheduler.protocol.model", "scheduler.protocol.checks", "tomllib", "shutil", "tempfile",
               "getpass")
    assert imported_by(writing, "verify", cwd=study, env=env) == set()
    # protocol on the built-in protocol: its tables from protocol.built_in, no TOML reader.
    assert imported_by(("tomllib",), "protocol", cwd=study, env=env) == set()
    # protocol in English: its zone found in the system's zone folder (no zoneinfo), its
    # table measured without the Unicode database ("±" is one column in English).
    if language == "en":
        assert imported_by(("zoneinfo", "unicodedata"), "protocol", cwd=study, env=env) == (
            {"zoneinfo"} if not Path("/usr/share/zoneinfo/Asia/Shanghai").is_file() else set())


def test_a_zone_in_the_system_folder_is_one_zoneinfo_knows():
    """system_zone says yes only of names zoneinfo loads (it never says no for zoneinfo: a
    no asks it); PYTHONTZPATH set, it leaves the answer to zoneinfo."""
    import os
    import zoneinfo

    from scheduler.protocol.loading import SYSTEM_ZONES, system_zone

    for name in ("Asia/Shanghai", "Europe/Paris", "America/Argentina/Buenos_Aires", "UTC", "Asia/Nowhere"):
        if system_zone(name):
            zoneinfo.ZoneInfo(name)  # raises if not a zone
    assert not system_zone("Asia/Nowhere")
    if Path(SYSTEM_ZONES[0], "Asia", "Shanghai").is_file():
        assert system_zone("Asia/Shanghai")
        for path in ("/nowhere", ""):  # set, even empty: zoneinfo's search path decides
            os.environ["PYTHONTZPATH"] = path
            try:
                assert not system_zone("Asia/Shanghai")
            finally:
                del os.environ["PYTHONTZPATH"]


def test_the_catalog_read_where_it_lies_says_what_gnutranslations_says():
    """Every message of the Chinese catalog — singular, plural (for several counts) and with
    context — and one it does not hold, as the standard library's reader gives them."""
    import gettext
    import io

    from scheduler import i18n

    data = i18n.compile_catalog(i18n.catalog_files(i18n.CHINESE)[0])
    ours, theirs = i18n.Catalog(data), gettext.GNUTranslations(io.BytesIO(data))
    assert len(theirs._catalog) > 1000  # type: ignore[attr-defined]
    wrong = []
    for key in theirs._catalog:  # type: ignore[attr-defined]
        if isinstance(key, tuple):  # (singular, form): a plural message (asked for alone too)
            pairs = [(ours.ngettext(key[0], "many", n), theirs.ngettext(key[0], "many", n)) for n in (0, 1, 2, 7)]
            pairs.append((ours.gettext(key[0]), theirs.gettext(key[0])))
        elif "\x04" in key:  # context \x04 message
            context, message = key.split("\x04", 1)
            pairs = [(ours.pgettext(context, message), theirs.pgettext(context, message))]
        else:
            pairs = [(ours.gettext(key), theirs.gettext(key))]
        wrong += [key for mine, standard in pairs if mine != standard]
    assert not wrong, wrong[:5]
    assert ours.gettext("not in the catalog") == "not in the catalog"
    assert ours.ngettext("one thing", "{n} things", 1) == "one thing"
    assert ours.ngettext("one thing", "{n} things", 3) == "{n} things"
    assert ours.pgettext("heading", "nowhere") == "nowhere"


def test_a_catalog_not_as_babel_writes_it_is_read_by_the_standard_library():
    """A big-endian .mo (GNU msgfmt on some machines) is left to GNUTranslations."""
    import gettext
    import struct

    from scheduler import i18n

    header = b"Content-Type: text/plain; charset=UTF-8\n"
    # Two messages: the header ("") and "yes" → "是", big-endian.
    originals, translations = [b"", b"yes"], [header, "是".encode()]
    start = 28 + 16 * 2
    table, body = b"", b""
    offsets = []
    for text in originals + translations:
        offsets.append((len(text), start + len(body)))
        body += text + b"\x00"
    for length, offset in offsets:
        table += struct.pack(">2I", length, offset)
    data = struct.pack(">7I", 0x950412DE, 0, 2, 28, 28 + 16, 0, 0) + table + body
    read = i18n._read_catalog(data)
    assert type(read) is gettext.GNUTranslations and read.gettext("yes") == "是"


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.sampled_from("ab,\n é\r\t访"), max_size=40), data=st.data())
def test_lines_cut_out_at_the_breaks_are_the_lines_split_gives(text, data):
    """tables._lines_at (numpy's line breaks in an ASCII text, else str.split) takes the
    lines a list of every line would give, in the order asked, repeated or not."""
    from scheduler.sources.tables import _lines_at

    every = text.split("\n")
    numbers = data.draw(st.lists(st.integers(1, len(every)), max_size=8))
    assert _lines_at(text, numbers) == [every[number - 1] for number in numbers]
