"""A site CSV edited in place: its rows as text, written back exactly as it was but for the
change (encoding, separator, line ends, other columns such as a name or a phone number), so
a site can go on opening it in Excel."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from scheduler.errors import ChangeRefused
from scheduler.i18n import _
from scheduler.paths import label
from scheduler.sources.text import decode, header_names, normal_id, separator_of
from scheduler.storage.atomic import atomic_write


@dataclass
class CsvFile:
    """A site CSV read for editing: its rows as text, its header, how to write it back."""

    path: Path
    encoding: str
    header: list[str]
    names: list[str]  # normalised column names
    rows: list[list[str]]
    newline: str = "\n"  # kept as the file had it (Excel on Windows writes \r\n)
    separator: str = ","  # kept too: a semicolon or tab file stays one
    ascii_only: bool = True  # an all-ASCII file could have been any encoding

    @classmethod
    def read(cls, path: Path, default_header: str, required: tuple[str, ...]) -> CsvFile:
        if path.suffix.lower() != ".csv":
            # TRANSLATORS: 'CSV UTF-8' is the name of Excel's file type in its "Save as" list.
            raise ChangeRefused(_("{file}: changes are written to CSV files only — save the "
                                  "workbook as 'CSV UTF-8' and use that").format(file=label(path)))
        return cls.from_bytes(path, path.read_bytes() if path.exists() else None, default_header,
                              required)

    @classmethod
    def from_bytes(cls, path: Path, raw: bytes | None, default_header: str,
                   required: tuple[str, ...]) -> CsvFile:
        """The file at ``path`` as these bytes would make it (None: no such file yet)."""
        shown = label(path)
        header = default_header.strip().split(",")
        if raw is None:
            return cls(path, "utf-8", header, header_names(header, shown), [])
        text, encoding = decode(raw, shown, None)
        newline = "\r\n" if "\r\n" in text else "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        separator = separator_of(text.split("\n", 1)[0])
        rows = list(csv.reader(io.StringIO(text), delimiter=separator))
        if not rows:
            return cls(path, encoding, header, header_names(header, shown), [], newline, separator)
        file = cls(path, encoding, rows[0], header_names(rows[0], shown), rows[1:], newline, separator,
                   raw.isascii())
        missing = [name for name in required if name not in file.names]
        if missing:
            # TRANSLATORS: {columns} and {found} are column names (participant_id, …), never translated.
            raise ChangeRefused(_("{file}: the header has no {columns} column — "
                                  "columns found: {found}; nothing was changed")
                                .format(file=shown, columns=", ".join(missing), found=", ".join(file.names)))
        return file

    def column(self, name: str) -> int:
        """The position of a column, added at the end when the file does not have it yet."""
        if name not in self.names:
            self.names.append(name)
            self.header.append(name)
        return self.names.index(name)

    def value(self, row: list[str], name: str) -> str:
        position = self.names.index(name) if name in self.names else -1
        return row[position].strip() if 0 <= position < len(row) else ""

    def participant(self, row: list[str]) -> str:
        """The row's participant ID as the readers read it (NFKC: ００９ is 009)."""
        return normal_id(self.value(row, "participant_id"))

    def set(self, row: list[str], name: str, value: str) -> None:
        position = self.column(name)
        row.extend([""] * (position + 1 - len(row)))
        row[position] = value

    def new_row(self, **values: str) -> list[str]:
        row = [""] * len(self.header)
        for name, value in values.items():
            self.set(row, name, value)
        return row

    def line_of(self, row: list[str]) -> int:
        """The row's line (header = 1); the row itself, not an equal one, is looked for."""
        return next(number for number, candidate in enumerate(self.rows, start=2) if candidate is row)

    def content(self) -> bytes:
        """The file's bytes as it will be written."""
        width = len(self.header)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.separator, lineterminator=self.newline)
        writer.writerow(self.header)
        writer.writerows(row + [""] * (width - len(row)) for row in self.rows)
        content = buffer.getvalue()
        encoding = self.encoding
        if encoding == "utf-8" and self.ascii_only and not content.isascii():
            # The first Chinese text in a plain-ASCII file: write Excel's "CSV UTF-8" (with
            # a byte-order mark), which Excel on Chinese Windows opens correctly.
            encoding = "utf-8-sig"
        return content.encode(encoding)

    def write(self) -> None:
        with atomic_write(self.path, mode="wb", durable=True) as stream:
            stream.write(self.content())


