"""Site text files as text: their encoding, separator and header names (no pandas, so that
the change commands and init start fast)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from scheduler.errors import InputFileError


def decode(raw: bytes, label: str, encoding: str | None) -> tuple[str, str]:
    """The text of a CSV file, and the codec that writes it back the same way."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise InputFileError(f"{label}: unknown encoding '{encoding}' — "
                                 "use utf-8, utf-8-sig or gb18030") from None
        except UnicodeDecodeError as error:
            raise InputFileError(f"{label}: the file is not {encoding} text (byte {error.start}) "
                                 "— leave out --encoding to let the file's encoding be found") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return _marked(raw, "utf-8-sig", "UTF-8", label), "utf-8-sig"  # Excel's "CSV UTF-8"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _marked(raw, "utf-16", "UTF-16", label), "utf-16"  # Excel's "Unicode Text"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel's plain "CSV" on Chinese Windows writes GBK; GB18030 is its superset.
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise InputFileError(f"{label}: the text encoding cannot be recognised — save the file "
                             "as 'CSV UTF-8' in Excel, or give --encoding") from None


def _marked(raw: bytes, codec: str, name: str, label: str) -> str:
    """A file whose byte-order mark says its encoding: a byte that does not fit is named
    with its line, never guessed around."""
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        line = raw[:error.start].decode(codec, errors="replace").count("\n") + 1
        raise InputFileError(f"{label}:{line}: the file says it is {name} text (its first bytes), but "
                             f"byte {error.start} is not — save it again from Excel as 'CSV UTF-8'") from None


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
            raise InputFileError(f"{label}:1: column {name} appears twice in the header — "
                                 "keep one column of that name")
        seen.add(name)
    return names
