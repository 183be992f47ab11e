"""SHA-256 of the files a report was made from, so the reader can tell which they were."""

from __future__ import annotations

import hashlib
from pathlib import Path

from scheduler.core.report import Source


def checksum(role: str, name: str, path: Path | None, text: str | None = None) -> Source:
    """A file's digest (or, without a path, the digest of ``text``: the built-in protocol)."""
    data = path.read_bytes() if path is not None else (text or "").encode("utf-8")
    return Source(role, name, hashlib.sha256(data).hexdigest())
