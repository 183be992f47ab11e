"""Which language the command speaks (PRODUCT.md "Languages"), chosen before click parses.

--lang (on the main command or any command), else VISIT_SCHEDULER_LANG, else the study's
[study] language (several studies: only when they agree), else the locale (LC_ALL,
LC_MESSAGES, LANG), else English. These tests look at the language chosen
(``i18n.current()`` after an in-process run) and, with a stand-in catalog that marks every
text it translates, at the help texts and click's own words going through it — not at
Chinese words, which are the catalog's business (tests/test_catalog.py).
"""

from __future__ import annotations

import gettext
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler import i18n
from scheduler.cli import cli, every_command
from scheduler.cli.base import _scan, translate_help
from scheduler.storage.study_folder import with_language

LOCALE = ("LC_ALL", "LC_MESSAGES", "LANG", "VISIT_SCHEDULER_LANG")


class Marked(gettext.NullTranslations):
    """A stand-in catalog: every text it is asked for comes back as «text»."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"«{singular if n == 1 else plural}»"

    def pgettext(self, context: str, message: str) -> str:
        return f"«{message}»"


@pytest.fixture(autouse=True)
def stand_in_catalog(monkeypatch):
    """Chinese is spoken through the stand-in catalog; afterwards English again, help too."""
    monkeypatch.setattr(i18n, "_catalog_of", lambda language: (
        gettext.NullTranslations() if language == i18n.ENGLISH else Marked()))
    yield
    i18n.use(i18n.ENGLISH)
    translate_help(cli)


def run(*args: str, cwd: Path | None = None, **environ: str):  # type: ignore[no-untyped-def]
    """The command in-process, with only the locale variables given set."""
    env: dict[str, str | None] = dict.fromkeys(LOCALE)
    env.update(environ)
    runner = CliRunner(env=env)
    if cwd is None:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def study(folder: Path, language: str | None) -> Path:
    """A study folder whose protocol.toml says ``language`` (or nothing)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "[study]\n" + (f'language = "{language}"\n' if language else "")
    (folder / "protocol.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("option", "variable", "protocol", "locale", "expected"), [
    ("en", "zh-CN", "zh-CN", "zh_CN.UTF-8", "en"),       # the option first
    ("zh-CN", "en", "en", "C", "zh-CN"),
    (None, "zh-CN", "en", "C", "zh-CN"),                 # then the variable
    (None, "en", "zh-CN", "zh_CN.UTF-8", "en"),
    (None, None, "zh-CN", "C", "zh-CN"),                 # then the protocol
    (None, None, "en", "zh_CN.UTF-8", "en"),
    (None, None, None, "zh_CN.UTF-8", "zh-CN"),          # then the locale
    (None, None, None, "C.UTF-8", "en"),                 # else English
])
def test_the_language_is_chosen_in_order(tmp_path: Path, option, variable, protocol, locale, expected):
    folder = study(tmp_path / "s", protocol)
    environ = {"LC_ALL": locale} | ({"VISIT_SCHEDULER_LANG": variable} if variable else {})
    result = run(*(["--lang", option] if option else []), "--help", cwd=folder, **environ)
    assert result.exit_code == 0, result.output
    assert i18n.current() == expected


def test_the_locale_is_lc_all_then_lc_messages_then_lang(tmp_path: Path):
    assert run("--help", cwd=tmp_path, LC_MESSAGES="zh_CN.UTF-8", LANG="en_US.UTF-8").exit_code == 0
    assert i18n.current() == "zh-CN"
    run("--help", cwd=tmp_path, LC_ALL="en_US.UTF-8", LANG="zh_CN.UTF-8")
    assert i18n.current() == "en"
    run("--help", cwd=tmp_path, LANG="zh_CN.GB18030")
    assert i18n.current() == "zh-CN"


@pytest.mark.parametrize("spelling", ["zh", "zh_CN", "zh-cn", "zh_CN.UTF-8", "zh-CN"])
def test_spellings_of_chinese(tmp_path: Path, spelling: str):
    assert run("--lang", spelling, "--help", cwd=tmp_path).exit_code == 0
    assert i18n.current() == "zh-CN"
    run("--help", cwd=tmp_path)
    assert i18n.current() == "en"
    assert run("--help", cwd=tmp_path, VISIT_SCHEDULER_LANG=spelling).exit_code == 0
    assert i18n.current() == "zh-CN"


def test_an_unknown_language_in_the_option_stops_before_anything_runs(tmp_path: Path):
    result = run("--lang", "fr", "init", "s", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "Error: unknown language 'fr' (--lang) — the languages are: en, zh-CN\n"
    assert result.stdout == ""
    assert not (tmp_path / "s").exists()
    # Not even --help is printed.
    result = run("check", "--help", "--lang=klingon", cwd=tmp_path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: unknown language 'klingon' (--lang) — the languages are: en, zh-CN\n"


def test_an_unknown_language_in_the_variable_is_refused_too(tmp_path: Path):
    result = run("--help", cwd=tmp_path, VISIT_SCHEDULER_LANG="fr_FR")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: unknown language 'fr_FR' (VISIT_SCHEDULER_LANG) — the languages "
                             "are: en, zh-CN\n")
    # The option is read first: a good option with a bad variable is fine.
    assert run("--lang", "en", "--help", cwd=tmp_path, VISIT_SCHEDULER_LANG="fr_FR").exit_code == 0


def test_the_refusal_is_said_in_the_language_chosen_without_it(tmp_path: Path):
    result = run("--lang", "fr", "--help", cwd=tmp_path, VISIT_SCHEDULER_LANG="zh-CN")
    assert result.exit_code == 2
    assert i18n.current() == "zh-CN"
    assert result.stderr == "«Error: «unknown language 'fr' (--lang) — the languages are: en, zh-CN»»\n"


@pytest.mark.parametrize("locale", ["fr_FR.UTF-8", "de", "klingon", "C", "POSIX"])
def test_an_unknown_locale_is_english_silently(tmp_path: Path, locale: str):
    result = run("--help", cwd=tmp_path, LC_ALL=locale)
    assert result.exit_code == 0 and result.stderr == ""
    assert i18n.current() == "en"


def test_several_studies_speak_their_language_only_when_they_agree(tmp_path: Path):
    site = tmp_path / "site"
    study(site / "a", "zh-CN")
    study(site / "b", "zh")
    run("check", "--study", str(site), "--help", LC_ALL="C")
    assert i18n.current() == "zh-CN"                           # a site folder whose studies agree
    study(site / "b", "en")
    for locale, expected in (("C", "en"), ("zh_CN.UTF-8", "zh-CN")):  # disagreeing: the locale
        run("check", "--study", str(site), "--help", LC_ALL=locale)
        assert i18n.current() == expected
        run("due", "--study", str(site / "a"), "--study", str(site / "b"), "--help", LC_ALL=locale)
        assert i18n.current() == expected
    study(site / "b", None)                                    # one without a language: the locale
    run("check", "--study", str(site), "--help", LC_ALL="C")
    assert i18n.current() == "en"
    run("due", "--study", str(site / "a"), "--help", LC_ALL="C")
    assert i18n.current() == "zh-CN"


def test_the_option_overrides_the_protocol(tmp_path: Path):
    folder = study(tmp_path / "s", "zh-CN")
    run("protocol", "--protocol", str(folder / "protocol.toml"), "--help", LC_ALL="C")
    assert i18n.current() == "zh-CN"
    run("--lang", "en", "protocol", "--protocol", str(folder / "protocol.toml"), "--help")
    assert i18n.current() == "en"
    run("schedule", "--study", str(folder), "--help", "--lang", "en")
    assert i18n.current() == "en"


def test_lang_after_the_command_and_the_last_one_wins(tmp_path: Path):
    result = run("protocol", "--lang", "zh-CN", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert i18n.current() == "zh-CN"
    assert run("--lang", "zh-CN", "protocol", "--lang=en", cwd=tmp_path).exit_code == 0
    assert i18n.current() == "en"
    assert run("export", "sdtm", "--lang", "zh-CN", "--help", cwd=tmp_path).exit_code == 0
    assert i18n.current() == "zh-CN"


def test_the_raw_command_line_is_read_up_to_a_lone_dash_dash():
    assert _scan(["--lang", "zh", "check", "--study", "a", "--study=b", "--protocol", "p.toml",
                  "--", "--lang", "fr", "--study", "c"]) == ("zh", [Path("a"), Path("b")], Path("p.toml"))
    assert _scan(["record", "001", "--lang"]) == (None, [], None)
    assert _scan(["init", "s", "--protocol-language", "zh-CN"]) == (None, [], None)


@pytest.mark.parametrize("args", [["check", "--help", "--lang", "zh-CN"], ["--lang", "zh-CN", "check", "--help"],
                                  ["--lang", "zh-CN", "--help"], ["check", "--lang", "zh-CN", "-h"]])
def test_help_speaks_the_language_wherever_lang_is(tmp_path: Path, args: list[str]):
    result = run(*args, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert i18n.current() == "zh-CN"
    assert "--lang" in result.stdout
    # Our help texts and click's own words went through the catalog at run time...
    assert "«Language people read:" in result.stdout
    assert "«Usage:»" in result.stdout and "«Show this message and exit.»" in result.stdout
    # ... and the next run in English has them back, word for word.
    english = run(*[arg for arg in args if arg not in ("--lang", "zh-CN")], cwd=tmp_path)
    assert "«" not in english.stdout
    assert ("Language people read: en or zh-CN (default: VISIT_SCHEDULER_LANG, the study's [study] "
            "language, the locale, English).") in " ".join(english.stdout.split())
    assert english.stdout.startswith("Usage: ")


def test_every_command_takes_lang():
    every_command()  # each command's module imported, so that group.commands holds them all

    def commands(group):  # type: ignore[no-untyped-def]
        for command in group.commands.values():
            yield command
            if hasattr(command, "commands"):
                yield from commands(command)

    for command in [cli, *commands(cli)]:
        assert "--lang" in [opt for param in command.params for opt in getattr(param, "opts", [])], command.name


def test_click_errors_go_through_the_catalog(tmp_path: Path):
    result = run("--lang", "zh-CN", "check", "--bogus", cwd=tmp_path)
    assert result.exit_code == 2
    assert "«No such option" in result.stderr
    result = run("check", "--bogus", cwd=tmp_path)
    assert "Error: No such option '--bogus'." in result.stderr and "«" not in result.stderr


def test_init_writes_the_protocol_language(tmp_path: Path):
    result = run("init", "s", "--protocol-language", "zh_CN", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    written = (tmp_path / "s" / "protocol.toml").read_text(encoding="utf-8")
    assert tomllib.loads(written)["study"]["language"] == "zh-CN"      # the canonical spelling
    assert 'language = "zh-CN"\n' in written
    # The study then speaks it, and its protocol is one the tool reads.
    result = run("protocol", cwd=tmp_path / "s", LC_ALL="C")
    assert result.exit_code == 0, result.output
    assert i18n.current() == "zh-CN"
    assert run("protocol", "--lang", "en", cwd=tmp_path / "s").exit_code == 0


def test_init_without_the_option_writes_no_language(tmp_path: Path):
    assert run("init", "s", cwd=tmp_path).exit_code == 0
    assert "language" not in tomllib.loads((tmp_path / "s" / "protocol.toml").read_text(encoding="utf-8"))["study"]


def test_init_refuses_an_unknown_protocol_language(tmp_path: Path):
    result = run("init", "s", "--protocol-language", "fr", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "Error: unknown language 'fr' (--protocol-language) — the languages are: en, zh-CN\n"
    assert not (tmp_path / "s").exists()


def test_with_language_puts_the_key_in_the_study_table():
    text = "# a protocol\n[study]\nid = \"X\"\n\n[clinic]\ncountry = \"CN\"\n"
    assert with_language(text, "en") == "# a protocol\n[study]\nid = \"X\"\nlanguage = \"en\"\n\n[clinic]\ncountry = \"CN\"\n"
