"""The protocol: its schema, the frozen model, loading and every check of a protocol file.

    schema    the one table of keys: validation, defaults and docs/protocol-file.md
    model     Protocol, Visit, Clinic: frozen, what the core computes with
    checks    every problem in a parsed file, at once, each with its line
    locator   the line of a table or key in the text (tomllib keeps no positions)
    loading   reading the file (or the built-in NCT01143168 protocol); TOML errors

Imports neither pandas, numpy nor click. The names below are imported from their module
when first asked for (PEP 562): ``scheduler.protocol.loading`` alone (verify's light read
of a protocol's closures) does not build the model's classes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.protocol.checks import country_problem
    from scheduler.protocol.loading import (
        built_in_text,
        load_built_in,
        load_protocol,
        load_protocol_for,
        parse_protocol,
    )
    from scheduler.protocol.model import DEFAULT_KIND, UNITS, Clinic, Protocol, Unit, Visit
    from scheduler.protocol.schema import ENROLLMENT, SCHEMA, WEEKDAYS, schema_markdown

_HOME = {
    "country_problem": "checks",
    "built_in_text": "loading", "load_built_in": "loading", "load_protocol": "loading",
    "load_protocol_for": "loading", "parse_protocol": "loading",
    "DEFAULT_KIND": "model", "UNITS": "model", "Clinic": "model", "Protocol": "model", "Unit": "model",
    "Visit": "model",
    "ENROLLMENT": "schema", "SCHEMA": "schema", "WEEKDAYS": "schema", "schema_markdown": "schema",
}

__all__ = ["DEFAULT_KIND", "ENROLLMENT", "SCHEMA", "UNITS", "WEEKDAYS", "Clinic", "Protocol",
           "Unit", "Visit", "built_in_text", "country_problem", "load_built_in", "load_protocol",
           "load_protocol_for", "parse_protocol", "schema_markdown"]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # asked for once
    return value
