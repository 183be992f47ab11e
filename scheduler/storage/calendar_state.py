"""What earlier calendar exports published (``calendar-state.json`` in the study folder),
so that SEQUENCE counts changes. Safe to delete: numbering then starts again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from scheduler.core.calendar import Published, State
from scheduler.storage.atomic import atomic_write

STATE_FILE = "calendar-state.json"


def load_state(path: Path) -> State:
    """A missing, unreadable or damaged file starts numbering again (never an error)."""
    try:
        raw = json.loads(path.read_text("utf-8"))
        events = {}
        for uid, entry in raw["events"].items():
            stamp = str(entry["last_modified"])
            dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            kept = (str(entry.get(name, "")) for name in ("participant", "visit", "start", "end"))
            events[str(uid)] = Published(str(entry["fingerprint"]), int(entry["sequence"]), stamp, *kept)
        as_of = str(raw.get("as_of", ""))
        if as_of:
            dt.date.fromisoformat(as_of)
        return State(events, as_of)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return State({})


def save_state(path: Path, state: State) -> None:
    payload = {"about": "What visit-scheduler's calendar exports published, so that SEQUENCE "
                        "counts changes. Safe to delete: numbering then starts again.",
               "as_of": state.as_of,
               "events": {uid: {"fingerprint": p.fingerprint, "sequence": p.sequence,
                                "last_modified": p.last_modified, "participant": p.participant,
                                "visit": p.visit, "start": p.start, "end": p.end}
                          for uid, p in sorted(state.events.items())}}
    with atomic_write(path) as stream:
        json.dump(payload, stream, indent=1)
        stream.write("\n")
