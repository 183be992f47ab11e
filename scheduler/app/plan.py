"""protocol and init: the visit plan, checked; a new study folder."""

from __future__ import annotations

import shlex
from pathlib import Path

from scheduler.app.results import Messages
from scheduler.errors import ProtocolError
from scheduler.paths import label


def protocol_plan(protocol_path: Path | None, folder: Path | None, messages: Messages) -> list[str]:
    """The plan as lines of a table, after every check of the protocol file (exit 2 when
    it cannot be used); warnings (visits not in time order) into ``messages``."""
    from scheduler.protocol import ENROLLMENT, country_problem, load_protocol_for
    from scheduler.sources.folder import resolve_study

    inputs = resolve_study(folder, protocol_path)
    plan = load_protocol_for(inputs.protocol)
    problem = country_problem(plan)
    if problem is not None:
        raise ProtocolError(f"{plan.source}: the protocol file cannot be used: 1 problem", [problem])
    for warning in plan.order_warnings() + plan.reach_warnings():
        messages.warning(f"{plan.source}: {warning}")
    rows = [("code", "visit", "when", "anchor", "window", "kind")]
    for visit in plan.visits:
        anchor = "enrollment" if visit.anchor == ENROLLMENT else visit.anchor
        width = visit.minus + visit.plus + 1
        rows.append((visit.code, visit.name, visit.timing, anchor,
                     f"{width} day{'s' if width > 1 else ''}", visit.kind))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"{plan.study_id}: {len(plan.visits)} visits, time zone {plan.timezone}, "
             f"Day 0 = {plan.day0} ({plan.source})"]
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def init(folder: Path) -> list[str]:
    """A new study folder; the lines that say what was written and what to do next."""
    from scheduler.protocol import load_protocol_for
    from scheduler.sources.folder import resolve
    from scheduler.storage.audit import AUDIT_FILE, who
    from scheduler.storage.change import RecordFiles, ensure_trail
    from scheduler.storage.study_folder import init_folder

    lines = [f"Wrote {written}" for written in init_folder(folder)]
    inputs = resolve(folder, None, None, None)
    protocol = load_protocol_for(inputs.protocol)
    ensure_trail(RecordFiles.of(inputs, protocol), protocol.timezone, who(),
                 "the study folder made by init: the trail's first line")
    lines.append(f"Wrote {label(folder / AUDIT_FILE)} (the audit trail, with its baseline in "
                 f"{label(folder / 'audit')})")
    # The folder as the shell needs it: a name with spaces is quoted, so the hint can be pasted.
    study = shlex.quote(label(folder))
    lines.append(f"Next: enroll participants (visit-scheduler enroll 001 --date YYYY-MM-DD --study "
                 f"{study}) or type them into {label(folder / 'participants.csv')}, then run: "
                 f"visit-scheduler schedule --study {study}")
    return lines

