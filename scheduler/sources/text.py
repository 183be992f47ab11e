"""Site text files as text: their encoding, separator and header names (no pandas, so that
the change commands and init start fast)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Sequence

from scheduler.errors import InputFileError, Problem
from scheduler.i18n import _, ngettext

# A file that mixes encodings has that on a few lines: list the first few, not thousands.
MAX_LISTED = 20

# What a real UTF-8 line of a Chinese or European site holds beyond ASCII: CJK ideographs
# and punctuation, full-width forms, general punctuation, Latin-1 and Latin Extended-A
# letters. The bytes of a GBK line that happen to be valid UTF-8 decode to other things.
_COMMON = ((0x4E00, 0x9FFF), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x2000, 0x206F), (0x00A0, 0x017F))
# Multi-byte East Asian encodings (charset-normalizer's names): between these and GB18030
# its choice on a short file is a coin toss, so they never outvote GB18030 (the site's own).
_EAST_ASIAN = ["big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jisx0213",
               "euc_jp", "euc_kr", "gb18030", "gb2312", "gbk", "hz", "iso2022_jp", "iso2022_jp_1",
               "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_ext", "iso2022_kr",
               "johab", "shift_jis", "shift_jis_2004", "shift_jisx0213"]
# The encodings a European site's files are in (Windows code pages, ISO 8859, Mac, UTF-16
# without its mark): the ones named in a hint. charset-normalizer's other guesses on a short
# file (cp1006, cp874…) would only mislead.
_USUAL = ("cp125", "latin_1", "iso8859_", "mac_roman", "koi8_r", "utf_16")


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def decode(raw: bytes, label: str, encoding: str | None) -> tuple[str, str]:
    """The text of a CSV file, and the codec that writes it back the same way.

    Without --encoding: a byte-order mark's encoding, else UTF-8, else GB18030 (Excel's
    plain "CSV" on Chinese Windows) — unless the file is UTF-8 but for some lines (refused,
    naming them) or charset-normalizer clearly reads it as another encoding (refused,
    naming it: "Müller" in Latin-1 must not become "M黮ler")."""
    if encoding:
        try:
            text = raw.decode(encoding)
        except LookupError:
            raise InputFileError(_("{file}: unknown encoding '{encoding}' — "
                                   "use utf-8, utf-8-sig or gb18030").format(file=label, encoding=encoding)) from None
        except UnicodeDecodeError as error:
            # TRANSLATORS: {encoding} is the one --encoding gave; {byte} the position of the
            # first byte it cannot read (0 is the first).
            raise InputFileError(_("{file}: the file is not {encoding} text (byte {byte}) "
                                   "— leave out --encoding to let the file's encoding be found")
                                 .format(file=label, encoding=encoding, byte=error.start)) from None
        # A codec such as utf-7 or unicode_escape can give half a UTF-16 pair, which no text
        # file holds and no output could be written with.
        lone = None if text.isascii() else LONE_SURROGATE.search(text)
        if lone is not None:
            # TRANSLATORS: {position} counts the characters of the file read (0 is the first).
            raise InputFileError(_("{file}: read as {encoding}, the file holds a character that is not text "
                                   "(character {position}) — leave out --encoding to let the file's encoding "
                                   "be found").format(file=label, encoding=encoding, position=lone.start()))
        return text, encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return _marked(raw, "utf-8-sig", "UTF-8", label), "utf-8-sig"  # Excel's "CSV UTF-8"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _marked(raw, "utf-16", "UTF-16", label), "utf-16"  # Excel's "Unicode Text"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _not_utf8(raw, label), "gb18030"


def encoding_note(label: str, codec: str, given: bool) -> str | None:
    """One line naming the encoding a file was read in, when that is not UTF-8."""
    name = codecs.lookup(codec).name
    if name in ("utf-8", "utf-8-sig"):
        return None
    if given:
        return _("{file}: read as {encoding} text, as --encoding says").format(file=label, encoding=codec)
    if name == "gb18030":
        return _("{file}: the file is not UTF-8 text: read as GB18030 (Chinese Windows' encoding) "
                 "— if a name or reason looks wrong, give its encoding with --encoding").format(file=label)
    return (_("{file}: read as {encoding} text, as the file's first bytes (byte-order mark) say")
            .format(file=label, encoding=name.upper()))


def _not_utf8(raw: bytes, label: str) -> str:
    """The text of a file that is not UTF-8: GB18030, or refused with what to do."""
    bad, shown, utf8_lines, telling = _lines_not_utf8(raw)
    # Mostly UTF-8: more UTF-8 lines than others, or a few that can only be UTF-8 (a GBK
    # file may hold one by chance in thousands of lines, not one in twenty).
    if bad and (utf8_lines > bad or (telling and telling * 20 >= bad)):
        raise _mixed(label, bad, shown)
    try:
        text: str | None = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    other = _preferred_to_gb18030(raw, text)
    if text is not None and other is None:
        return text
    if text is None and utf8_lines:
        raise _mixed(label, bad, shown)
    if other is not None:
        # TRANSLATORS: {encoding} is an encoding's name (cp1252, latin_1…), also typed after
        # --encoding.
        message = (_("{file}: the file is neither UTF-8 nor Chinese (GB18030) text: it looks like "
                     "{encoding} text — give its encoding with --encoding, for example --encoding "
                     "{encoding}, or save it as 'CSV UTF-8' in Excel") if text is None else
                   _("{file}: the file is not UTF-8 text, and read as Chinese (GB18030) its letters "
                     "would be garbled: it looks like {encoding} text — give its encoding with "
                     "--encoding, for example --encoding {encoding}, or save it as 'CSV UTF-8' in Excel"))
        raise InputFileError(message.format(file=label, encoding=other))
    raise InputFileError(_("{file}: the text encoding cannot be recognised — save the file "
                           "as 'CSV UTF-8' in Excel, or give --encoding").format(file=label))


def _lines_not_utf8(raw: bytes) -> tuple[int, list[tuple[int, str]], int, int]:
    """How many lines are not UTF-8, and the first few of them (number, text with U+FFFD
    for what UTF-8 cannot read); how many lines beyond ASCII read as UTF-8 into common
    characters only; and whether some of those could only be UTF-8 (an ideograph or a sign
    beyond U+0800, in bytes that are no GB2312 text): a GBK line whose bytes happen to be
    valid UTF-8 reads as other things (住院 as Hebrew and Armenian letters).

    Only a file that is not UTF-8 comes here. What UTF-8 cannot read becomes U+FFFD; the
    code points are looked at with numpy, and only the few lines that could tell are
    looked at one by one."""
    import numpy as np

    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    breaks = np.flatnonzero(points == 10)
    lines = len(breaks) + 1
    beyond = np.flatnonzero(points >= 0x80)
    values = points[beyond]
    line = np.searchsorted(breaks, beyond)  # 0-based line of each character beyond ASCII
    unread = values == 0xFFFD
    common = np.zeros(len(values), dtype=bool)
    for low, high in _COMMON:
        common |= (values >= low) & (values <= high)
    bad = np.bincount(line[unread], minlength=lines) > 0
    plausible = (np.bincount(line, minlength=lines) > 0) & ~bad & ~(np.bincount(line[~common], minlength=lines) > 0)
    wide = np.bincount(line[values >= 0x800], minlength=lines) > 0
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(points)]))

    def line_text(number: int) -> str:
        return text[int(starts[number]):int(ends[number])]

    bad_lines = np.flatnonzero(bad)
    shown = [(int(number) + 1, line_text(int(number))) for number in bad_lines[:MAX_LISTED]]
    telling = 0
    for number in np.flatnonzero(plausible & wide):  # stops once one in twenty tells
        telling += not _reads_as_gb2312(line_text(int(number)))
        if telling * 20 >= len(bad_lines):
            break
    return len(bad_lines), shown, int(plausible.sum()), telling


def _reads_as_gb2312(line: str) -> bool:
    """Do the UTF-8 bytes of ``line`` also read as GB2312 text (as 眉 for ü)?"""
    try:
        line.encode("utf-8").decode("gb2312")
    except UnicodeDecodeError:
        return False
    return True


def _mixed(label: str, count: int, shown: list[tuple[int, str]]) -> InputFileError:
    problems = [Problem(label, _("this line is not UTF-8 text"), line=number, value=line,
                        fix=_("retype its text, then save the file as UTF-8 ('CSV UTF-8' in Excel)"))
                for number, line in shown]
    if count > len(shown):
        problems.append(Problem(label, _("and {count} more such lines").format(count=count - len(shown))))
    return InputFileError(
        ngettext("{file}: the file mixes two text encodings: it is UTF-8 but for {count} line "
                 "(another encoding, such as GBK, was pasted or appended) — nothing is read, since "
                 "either way some lines would be garbled",
                 "{file}: the file mixes two text encodings: it is UTF-8 but for {count} lines "
                 "(another encoding, such as GBK, was pasted or appended) — nothing is read, since "
                 "either way some lines would be garbled", count).format(file=label, count=count),
        problems)


def _preferred_to_gb18030(raw: bytes, text: str | None) -> str | None:
    """The encoding charset-normalizer clearly prefers to GB18030 (``text``, None when
    GB18030 cannot read the file), if any.

    Clearly: GB18030 reads the file as mostly uncommon characters (outside GB2312, as
    Latin-1's "Müller" becomes "M黮ler"), and charset-normalizer reads it in one of the
    usual European encodings with no more mess. Its first choice among encodings that read
    the text alike is named as Windows does (cp1252, not cp1250, when both read it alike)."""
    if b"\x00" in raw:
        return None  # not text at all: the reader says so
    if text is not None and not _mostly_uncommon(text):
        return None
    from charset_normalizer import from_bytes

    usual = [match for match in from_bytes(raw, cp_exclusion=_EAST_ASIAN)
             if match.encoding.startswith(_USUAL)]
    if not usual:
        return None
    if text is not None:
        gb18030 = from_bytes(raw, cp_isolation=["gb18030"], threshold=1.0).best()
        if gb18030 is not None and usual[0].chaos > gb18030.chaos:
            return None
    name = usual[0].encoding
    try:
        return "cp1252" if raw.decode("cp1252") == raw.decode(name) else name
    except UnicodeDecodeError:
        return name


def _mostly_uncommon(text: str) -> bool:
    """Are most of the characters beyond ASCII outside GB2312 (the common Chinese ones)?
    Counted on the first million characters, in C (a GB2312 character is two bytes)."""
    high = "".join(re.findall(r"[^\x00-\x7f]+", text[:1_000_000]))
    common = len(high.encode("gb2312", errors="ignore")) // 2
    return len(high) > 0 and common * 2 < len(high)


def _marked(raw: bytes, codec: str, name: str, label: str) -> str:
    """A file whose byte-order mark says its encoding: a byte that does not fit is named
    with its line, never guessed around."""
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        line = raw[:error.start].decode(codec, errors="replace").count("\n") + 1
        # TRANSLATORS: {encoding} is UTF-8 or UTF-16; {byte} the position of the byte (0 is
        # the first).
        raise InputFileError(_("{file}:{line}: the file says it is {encoding} text (its first bytes), "
                               "but byte {byte} is not — save it again from Excel as 'CSV UTF-8'")
                             .format(file=label, line=line, encoding=name, byte=error.start)) from None


# What never belongs in an ID and cannot be seen: control characters (a line break, a tab),
# format characters (a zero-width space, a direction mark), line and paragraph separators.
INVISIBLE = ("Cc", "Cf", "Zl", "Zp")


def normal_id(text: str) -> str:
    """An ID as one participant has one: Unicode NFKC (the full-width ００９ a Chinese input
    method types is 009), without surrounding spaces."""
    return unicodedata.normalize("NFKC", text).strip()


def has_invisible(text: str) -> bool:
    """Does ``text`` hold a control or invisible character (refused in an ID)?"""
    return any(unicodedata.category(char) in INVISIBLE for char in text)


def separator_of(header_line: str) -> str:
    """Comma, or the tab or semicolon of a header that has no comma (Excel in some locales)."""
    if "," in header_line:
        return ","
    return "\t" if "\t" in header_line else ";" if ";" in header_line else ","


def header_names(raw: Sequence[object], label: str) -> list[str]:
    """Header cells as column names: case, surrounding spaces, inner spaces and hyphens do
    not matter ("Enrollment Date" is enrollment_date); a blank cell becomes unnamed_N; a name
    used twice refuses the file (which of the two would be meant?)."""
    names = []
    for number, cell in enumerate(raw, start=1):
        name = re.sub(r"[\s-]+", "_", str(cell if cell is not None else "").lstrip("\ufeff").strip().lower())
        names.append(name or f"unnamed_{number}")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputFileError(_("{file}:1: column {column} appears twice in the header — "
                                   "keep one column of that name").format(file=label, column=name))
        seen.add(name)
    return names
