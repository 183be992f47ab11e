"""Documentation has one source of truth: generated parts are current, every command has a page."""

from __future__ import annotations

import importlib.util
import re

from scheduler.cli import every_command

from .conftest import ROOT


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_current():
    """docs/cli.md and the protocol key tables equal what `make docs` would write."""
    for path, text in load_generator().expected().items():
        assert path.read_text("utf-8") == text, f"{path.name} is stale: run `make docs`"


def test_every_command_is_in_the_reference_and_a_how_to():
    """Each command has a section in docs/cli.md and is shown in a how-to page or the README."""
    reference = (ROOT / "docs" / "cli.md").read_text("utf-8")
    prose = (ROOT / "README.md").read_text("utf-8") + "".join(
        page.read_text("utf-8") for page in (ROOT / "docs" / "how-to").glob("*.md"))
    import click

    for name, command in every_command().items():
        assert f"## visit-scheduler {name}\n" in reference
        assert re.search(rf"visit-scheduler {name}\b", prose), name
        for sub in getattr(command, "commands", {}) if isinstance(command, click.Group) else {}:
            assert f"## visit-scheduler {name} {sub}\n" in reference


def test_readme_opens_with_the_two_commands():
    """The first code block of the README is `make run` and `make test`."""
    readme = (ROOT / "README.md").read_text("utf-8")
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_status_word_is_documented():
    """The date-rules page explains every status word the check can print."""
    from scheduler.core.status import STATUSES

    rules = (ROOT / "docs" / "date-rules.md").read_text("utf-8")
    for status in STATUSES:
        assert f"`{status}`" in rules
