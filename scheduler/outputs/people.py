"""What a person reads of a table: its headings and status words in their language.

The column names and status words are a contract in CSV and JSON (English, always); the
terminal, the workbooks, the report and the plan show them through ``heading`` and
``status_word``. In English both are the contract's words themselves, so English screens
keep the names scripts read.

How wide a text is drawn (``display_width``, ``pad``) is decided here too, once: a Chinese
character takes two columns of a terminal (and of a spreadsheet's width), and a Chinese
console draws the East Asian "ambiguous" characters (± … − “ ”) two columns wide as well.
The pages' fonts (``CJK_FONTS``, ``font_file``) are chosen here for the same reason.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.i18n import chinese, pgettext

if TYPE_CHECKING:
    import pandas as pd


def headings() -> dict[str, str]:
    """Each column's heading in the current language (English: the column's name)."""
    return {
        "study_id": pgettext("heading", "study_id"),
        "participant_id": pgettext("heading", "participant_id"),
        "site": pgettext("heading", "site"),
        "arm": pgettext("heading", "arm"),
        "protocol_version": pgettext("heading", "protocol_version"),
        "move_date": pgettext("heading", "move_date"),
        "enrollment_date": pgettext("heading", "enrollment_date"),
        "withdrawal_date": pgettext("heading", "withdrawal_date"),
        "withdrawal_reason": pgettext("heading", "withdrawal_reason"),
        "withdrawal_category": pgettext("heading", "withdrawal_category"),
        "visit_code": pgettext("heading", "visit_code"),
        "visit_name": pgettext("heading", "visit_name"),
        "target_date": pgettext("heading", "target_date"),
        "window_open": pgettext("heading", "window_open"),
        "window_close": pgettext("heading", "window_close"),
        "suggested_date": pgettext("heading", "suggested_date"),
        "actual_date": pgettext("heading", "actual_date"),
        "status": pgettext("heading", "status"),
        "days_outside": pgettext("heading", "days_outside"),
        "days_left": pgettext("heading", "days_left"),
        "reason": pgettext("heading", "reason"),
        "as_of": pgettext("heading", "as_of"),
        "new_this_week": pgettext("heading", "new_this_week"),
        "timing": pgettext("heading", "timing"),
        "anchor": pgettext("heading", "anchor"),
        "window": pgettext("heading", "window"),
        "kind": pgettext("heading", "kind"),
        "procedures": pgettext("heading", "procedures"),
        "change_id": pgettext("heading", "change_id"),
        "when_local": pgettext("heading", "when_local"),
        "who": pgettext("heading", "who"),
        "on_behalf_of": pgettext("heading", "on_behalf_of"),
        "action": pgettext("heading", "action"),
        "file": pgettext("heading", "file"),
        "line": pgettext("heading", "line"),
        "column": pgettext("heading", "column"),
        "old_value": pgettext("heading", "old_value"),
        "new_value": pgettext("heading", "new_value"),
        "step": pgettext("heading", "step"),
        "when_utc": pgettext("heading", "when_utc"),
        "field": pgettext("heading", "field"),
        "op": pgettext("heading", "op"),
        "accepted_by": pgettext("heading", "accepted_by"),
        "file_modified": pgettext("heading", "file_modified"),
        # The compliance table of the weekly report.
        "visits_judged": pgettext("heading", "visits_judged"),
        "in_window": pgettext("heading", "in_window"),
        "deviations": pgettext("heading", "deviations"),
        "compliance": pgettext("heading", "compliance"),
        # The summary sheet of the weekly report's workbook.
        "item": pgettext("heading", "item"),
        "value": pgettext("heading", "value"),
    }


def heading(column: str) -> str:
    return headings().get(column, column)


def status_words() -> dict[str, str]:
    """Each status word in the current language (English: the contract's word)."""
    return {
        "in_window": pgettext("status", "in_window"),
        "early": pgettext("status", "early"),
        "late": pgettext("status", "late"),
        "missed": pgettext("status", "missed"),
        "due": pgettext("status", "due"),
        "upcoming": pgettext("status", "upcoming"),
        "withdrawn": pgettext("status", "withdrawn"),
        "unscheduled": pgettext("status", "unscheduled"),
    }


def status_word(status: str) -> str:
    return status_words().get(status, status)


def for_people(frame: pd.DataFrame, status_column: str | None = "status") -> pd.DataFrame:
    """``frame`` with its headings and status words in the current language (a copy)."""
    shown = frame.copy()
    # In English the status words are the contract's own: nothing to map.
    if chinese() and status_column is not None and status_column in shown.columns:
        words = status_words()
        column = shown[status_column].astype(object)
        shown[status_column] = column.map(words).where(column.isin(list(words)), column)
    names = headings()
    return shown.rename(columns={column: names.get(column, column) for column in shown.columns})


# ------------------------------------------------------------------ how wide a text is drawn


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: a Chinese (wide) character two; in Chinese,
    an East Asian ambiguous one (± … − “ ”) two as well, as Chinese consoles draw them. A
    character the terminal does not draw as such (a control) counts one, as ``len`` did."""
    if text.isascii():
        return len(text)
    return _width(text, chinese())


@lru_cache(maxsize=65536)
def _width(text: str, ambiguous_wide: bool) -> int:
    return sum(_char_width(char, ambiguous_wide) for char in text)


@cache
def _char_width(char: str, ambiguous_wide: bool) -> int:
    width = _known_width(ord(char))
    if width is None:  # anything else is wcwidth's to say (combining marks, emoji, other scripts)
        from wcwidth import wcwidth

        width = wcwidth(char)
        if width < 0:
            width = 1
    if width == 1 and ambiguous_wide:
        import unicodedata  # here: an English table (± in "Day 7 ± 1") needs no Unicode database

        if unicodedata.east_asian_width(char) == "A":
            width = 2
    return width


# Blocks whose every character wcwidth draws one column (1) or two (2), so that a line of
# Chinese or of Latin text is measured without importing wcwidth (20 ms of the start of
# --help and protocol in Chinese): one column, whatever the terminal's language, Latin-1 and
# Latin Extended letters, general punctuation, arrows, the minus sign, check marks (East
# Asian ambiguous ones are two in Chinese, above); two, CJK symbols and ideographs and the
# fullwidth forms. tests/test_start_up.py holds each to wcwidth, character by character.
# (start, end, width), in order.
_BLOCKS = ((0x0020, 0x007E, 1), (0x00A0, 0x02FF, 1), (0x2010, 0x2027, 1),
           (0x2030, 0x205E, 1), (0x2190, 0x21FF, 1), (0x2212, 0x2212, 1), (0x2713, 0x2717, 1),
           (0x3000, 0x3029, 2), (0x3030, 0x303E, 2), (0x3400, 0x4DBF, 2), (0x4E00, 0x9FFF, 2),
           (0xFF01, 0xFF60, 2), (0xFFE0, 0xFFE6, 2))
_STARTS = [start for start, _end, _width in _BLOCKS]


def _known_width(point: int) -> int | None:
    """The width of code point ``point`` when one of _BLOCKS holds it, else None."""
    index = bisect_right(_STARTS, point) - 1
    return _BLOCKS[index][2] if index >= 0 and point <= _BLOCKS[index][1] else None


def pad(text: str, width: int) -> str:
    """``text`` followed by the spaces that make it ``width`` columns wide (as ``str.ljust``,
    counted in columns drawn)."""
    return text + " " * (width - display_width(text))


# ------------------------------------------------------------------ fonts of the pages

# After the Latin fonts of a page's style sheet, in Chinese: the fonts that draw Chinese on
# Windows, macOS and Linux.
CJK_FONTS = '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC"'
# The Chinese font the package ships (SIL Open Font Licence), for the timeline and the PDF.
CJK_FONT_NAME = "Noto Sans SC"
SHIPPED_CJK_FONT = Path(__file__).resolve().parent.parent / "fonts" / "NotoSansSC-Regular.ttf"


def font_file() -> Path | None:
    """The shipped Chinese font, or None when this install has none."""
    return SHIPPED_CJK_FONT if SHIPPED_CJK_FONT.is_file() else None


def html_language() -> str:
    """The ``lang`` of a page: zh-CN in Chinese, else en."""
    return "zh-CN" if chinese() else "en"
