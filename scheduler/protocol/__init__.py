"""The protocol: its schema, the frozen model, loading and every check of a protocol file.

    schema    the one table of keys: validation, defaults and docs/protocol-file.md
    model     Protocol, Visit, Clinic: frozen, what the core computes with
    checks    every problem in a parsed file, at once, each with its line
    locator   the line of a table or key in the text (tomllib keeps no positions)
    loading   reading the file (or the built-in NCT01143168 protocol); TOML errors

Imports neither pandas, numpy nor click.
"""

from scheduler.protocol.checks import country_problem
from scheduler.protocol.loading import built_in_text, load_built_in, load_protocol, load_protocol_for, parse_protocol
from scheduler.protocol.model import DEFAULT_KIND, UNITS, Clinic, Protocol, Unit, Visit
from scheduler.protocol.schema import ENROLLMENT, SCHEMA, WEEKDAYS, schema_markdown

__all__ = ["DEFAULT_KIND", "ENROLLMENT", "SCHEMA", "UNITS", "WEEKDAYS", "Clinic", "Protocol",
           "Unit", "Visit", "built_in_text", "country_problem", "load_built_in", "load_protocol",
           "load_protocol_for", "parse_protocol", "schema_markdown"]
