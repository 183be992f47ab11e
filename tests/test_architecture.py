"""The layers hold: which module may import which, and who may open a file.

Data flows one way: sources → core → outputs, orchestrated by app, driven by cli. The core
never imports click nor reaches a file; only sources, outputs, storage and the protocol's
loading open files. The scan reads the package's source (ast), so a new module is covered
the day it is added.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scheduler"

# What each layer may import from the package (besides itself). Third-party libraries are
# checked separately where it matters (click, the heavy ones).
ALLOWED = {
    "core": {"core", "protocol", "errors", "months", "paths", "i18n"},
    "protocol": {"protocol", "errors", "months", "i18n"},
    "sources": {"sources", "core", "protocol", "errors", "paths", "i18n"},
    "storage": {"storage", "sources", "core", "protocol", "errors", "paths", "i18n"},
    "outputs": {"outputs", "storage", "core", "protocol", "errors", "paths", "i18n"},
    "app": {"app", "core", "protocol", "sources", "storage", "outputs", "errors", "paths", "clock", "__version__",
            "months", "i18n"},
    # The command line calls controllers and renders: the core only to read an option's date.
    "cli": {"cli", "app", "outputs", "errors", "core.dates", "__version__", "i18n"},
    # The small helpers at the top depend on nothing of the package but the errors (and the
    # language: errors' words are translated).
    "errors": {"i18n"}, "clock": set(), "months": set(), "paths": {"i18n"}, "i18n": set(),
    "__init__": set(), "__main__": {"cli"},
}
# The modules that may open, write, rename or remove a file.
FILE_LAYERS = {"sources", "outputs", "storage"}
FILE_MODULES = {"protocol/loading.py", "i18n.py"}
FILE_METHODS = {"read_bytes", "read_text", "write_bytes", "write_text", "mkstemp", "load_workbook",
                "write_xport", "unlink", "mkdir", "touch", "rmdir", "rmtree", "copyfile", "fsync"}
FILE_OS_CALLS = {"open", "replace", "rename", "remove", "fsync", "makedirs"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imports(tree: ast.AST) -> set[str]:
    """Every module a source imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def file_calls(tree: ast.AST) -> list[str]:
    """Calls that open, write, rename or remove a file: open(), Path.read_text() and the like,
    os.open/replace/rename/remove, workbook.save()."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id == "open":
            found.append(f"line {node.lineno}: open()")
        elif isinstance(function, ast.Attribute):
            owner = function.value
            if function.attr in FILE_METHODS:
                found.append(f"line {node.lineno}: .{function.attr}()")
            elif isinstance(owner, ast.Name) and owner.id in ("os", "shutil", "io") \
                    and function.attr in FILE_OS_CALLS:
                found.append(f"line {node.lineno}: {owner.id}.{function.attr}()")
            elif function.attr == "open" and not (isinstance(owner, ast.Name) and owner.id == "webbrowser"):
                found.append(f"line {node.lineno}: .open()")
            elif function.attr == "save" and node.args:
                found.append(f"line {node.lineno}: .save()")
    return found


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text("utf-8"), str(path))


@pytest.mark.parametrize("path", [p for p in modules() if layer_of(p) == "core"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_never_imports_click(path: Path):
    """No core module imports click, or the command line, or anything that reads files."""
    names = imports(parsed(path))
    assert not {name for name in names if name == "click" or name.startswith("click.")}
    assert not {name for name in names if name.startswith(("scheduler.cli", "scheduler.app",
                                                           "scheduler.sources", "scheduler.storage",
                                                           "scheduler.outputs"))}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_layer_imports_only_the_layers_below_it(path: Path):
    """sources → core → outputs, app over them, cli over app: nothing runs back up."""
    layer = layer_of(path)
    assert layer in ALLOWED, f"{layer}: a new layer — say in ALLOWED (and docs/architecture.md) what it may import"
    allowed = ALLOWED[layer] | {layer}
    reached = set()
    for name in imports(parsed(path)):
        if not name.startswith("scheduler."):
            continue
        parts = name.split(".")
        if parts[1] in allowed or ".".join(parts[1:3]) in allowed:
            continue
        reached.add(".".join(parts[1:3]))
    assert not reached, f"{layer} imports {sorted(reached)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_sources_outputs_storage_and_protocol_loading_open_files(path: Path):
    """Files are opened at the edge only: the core, app and cli never open one themselves."""
    relative = str(path.relative_to(PACKAGE))
    if layer_of(path) in FILE_LAYERS or relative in FILE_MODULES:
        return
    assert file_calls(parsed(path)) == [], relative


def test_every_package_folder_is_a_package():
    """setuptools' find: packages skips a folder without __init__.py: an install without it
    would lack that layer (the editable install in tests would not notice)."""
    from setuptools import find_packages

    folders = {str(path.parent.relative_to(PACKAGE.parent)).replace("/", ".")
               for path in PACKAGE.rglob("*.py")}
    assert folders <= set(find_packages(str(PACKAGE.parent), include=["scheduler", "scheduler.*"]))


def test_the_scan_finds_what_it_looks_for():
    """The scanner is not blind: planted imports and file calls are found."""
    tree = ast.parse("import click\nfrom scheduler.storage.atomic import atomic_write\n"
                     "def f(path):\n    import os\n    os.replace(path, path)\n"
                     "    path.read_text()\n    open(path)\n    book.save(path)\n")
    assert {"click", "scheduler.storage.atomic"} <= imports(tree)
    assert file_calls(tree) == ["line 5: os.replace()", "line 6: .read_text()", "line 7: open()",
                                "line 8: .save()"]
    assert file_calls(ast.parse("text.replace('a', 'b')\nname.strip()\n")) == []
