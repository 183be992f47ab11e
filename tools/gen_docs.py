"""Regenerates the generated parts of docs/ (run `make docs`); tests/test_docs.py fails when
they are stale.

- docs/cli.md: the whole command-line reference, from each command's --help.
- docs/protocol-file.md: the key tables between the GENERATED markers, from the schema that
  validates protocol files (scheduler.protocol.schema.SCHEMA).
- scheduler/protocol/built_in.py: the built-in protocol file (nct01143168.toml) as Python
  data, what tomllib reads from it, so that a command on the built-in protocol imports no
  TOML reader.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEGIN = "<!-- BEGIN GENERATED: do not edit; run `make docs` -->"
END = "<!-- END GENERATED -->"


def cli_reference() -> str:
    from click.testing import CliRunner

    from scheduler.cli import cli

    # The reference is English whatever the computer's locale or a protocol's language.
    runner = CliRunner(env={"VISIT_SCHEDULER_LANG": "en"})
    parts = ["# Command-line reference", "",
             "Generated from `--help` by `make docs`; the tests fail when it is out of date.", ""]

    def section(title: str, args: list[str]) -> None:
        result = runner.invoke(cli, args, terminal_width=100)
        text = result.output.replace("Usage: cli", "Usage: visit-scheduler")
        parts.extend([f"## {title}", "", "```text", text.rstrip(), "```", ""])

    import click

    section("visit-scheduler", ["--help"])
    for name in sorted(cli.commands):
        section(f"visit-scheduler {name}", [name, "--help"])
        command = cli.commands[name]
        if isinstance(command, click.Group):  # export → export sdtm
            for sub in sorted(command.commands):
                section(f"visit-scheduler {name} {sub}", [name, sub, "--help"])
    return "\n".join(parts)


def replace_generated(text: str, generated: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n\n" + generated.rstrip() + "\n\n" + text[end:]


def built_in_module() -> str:
    """scheduler/protocol/built_in.py: the built-in protocol's data as a Python literal."""
    import pprint
    import tomllib

    from scheduler.protocol.loading import built_in_text

    literal = pprint.pformat(tomllib.loads(built_in_text()), indent=1, width=90, sort_dicts=False)
    first, *rest = literal.splitlines()
    body = "\n".join(["    return " + first, *(" " * 11 + line for line in rest)])  # under the brace
    return (
        '"""The built-in NCT01143168 protocol (nct01143168.toml beside this file) as Python data:\n'
        "what tomllib reads from that file, written out by `make docs` (tools/gen_docs.py), so that\n"
        "a command on the built-in protocol imports no TOML reader (3 ms of its start). Do not\n"
        "edit: change the .toml file and run `make docs`; tests/test_docs.py fails when this is stale.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import Any\n\n\n"
        "def data() -> dict[str, Any]:\n"
        '    """The protocol file\'s tables and keys, made anew at each call (the checks may keep them)."""\n'
        f"{body}\n")


def expected() -> dict[Path, str]:
    from scheduler.protocol import schema_markdown

    protocol_page = ROOT / "docs" / "protocol-file.md"
    return {
        ROOT / "docs" / "cli.md": cli_reference(),
        protocol_page: replace_generated(protocol_page.read_text("utf-8"), schema_markdown()),
        ROOT / "scheduler" / "protocol" / "built_in.py": built_in_module(),
    }


def main() -> None:
    for path, text in expected().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
