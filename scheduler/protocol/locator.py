"""Where a table or key stands in the protocol text, for messages.

tomllib keeps no positions; the protocol format is simple enough (tables, arrays of tables,
one key per line) for a line scan to find them.
"""

from __future__ import annotations

import re


class Locator:
    """The lines of the tables and keys of one protocol text."""

    # A header's later parts may be quoted: [visits.translations."zh-CN"].
    _header = re.compile(r"""^\s*(\[\[?)\s*([A-Za-z0-9_-]+(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)"""
                         r"""\s*\]\]?\s*(#.*)?$""")
    # A dotted key (translations.zh-CN.name = …) is found by its first part.
    _key = re.compile(r"""^\s*["']?([A-Za-z0-9_-]+)["']?\s*(?:\.[^=]*)?=""")

    def __init__(self, text: str) -> None:
        self.tables: list[tuple[str, int, int]] = []  # (name, occurrence, line)
        self.keys: dict[tuple[str, int], dict[str, int]] = {}
        counts: dict[str, int] = {}
        current = ("", 0)
        self.keys[current] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._header.match(line)
            if header:
                name = re.sub(r"\s*\.\s*", ".", header.group(2)).replace('"', "").replace("'", "")
                occurrence = counts.get(name, 0)
                counts[name] = occurrence + 1
                current = (name, occurrence)
                self.tables.append((name, occurrence, number))
                self.keys.setdefault(current, {})
                continue
            key = self._key.match(line)
            if key:
                self.keys[current].setdefault(key.group(1), number)

    def table_line(self, table: str, occurrence: int = 0) -> int | None:
        for name, index, line in self.tables:
            if name == table and index == occurrence:
                return line
        return None

    def table_within(self, table: str, parent: str, parent_occurrence: int) -> int | None:
        """The occurrence of ``table`` that belongs to one ``parent`` table: the first one
        after the parent's header and before the parent's next one ([visits.translations.LANG]
        belongs to the [[visits]] above it); None when the file has none there."""
        start = self.table_line(parent, parent_occurrence)
        if start is None:
            return None
        end = self.table_line(parent, parent_occurrence + 1)
        for name, index, line in self.tables:
            if name == table and start < line and (end is None or line < end):
                return index
        return None

    def key_line(self, table: str, occurrence: int, key: str) -> int | None:
        found = self.keys.get((table, occurrence), {}).get(key)
        return found if found is not None else self.table_line(table, occurrence)

