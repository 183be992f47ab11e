"""Every command on the sample study in zh-CN: what people read holds no English left over
(issue #15). IDs, visit codes, file names, abbreviations, command lines and options inside
hints, column names a message points at, and the study's own data (English reasons in the
sample files) aside; CSV and JSON stay English (the contract).
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE, run_cli

AS_OF = "2011-01-17"

# Words a Chinese screen may carry: abbreviations, formats and names the glossary keeps.
KEPT = {
    "BM-MNC", "UC-MSC", "HbA1c", "FBG", "PBG", "Outlook", "Excel", "CSV", "SDTM", "USUBJID", "UTF-8",
    "GB18030", "ISO", "YYYY-MM-DD", "sha256", "visit-scheduler", "JSON", "HTML", "PDF", "xlsx", "ics",
    "Dataset-JSON", "define.xml", "Noto", "Sans", "SC", "CJK", "Microsoft", "YaHei", "UTC", "Asia",
    "Shanghai", "Asia/Shanghai", "NCOMPLT", "CDISC", "SDTMIG", "ID", "IDs", "VISIT_SCHEDULER_LANG",
    "VISIT_SCHEDULER_DEBUG", "en", "zh-CN", "zh", "LANG", "LC_ALL", "strftime", "BOM", "A4",
    "SAS", "transport", "Markdown", "YYYY-Www", "xpt", "pdf", "html", "csv", "json", "md", "toml", "SEQUENCE", "UID",
    "dataset-json",  # the value of export sdtm --format
    # the command's name in a test run (click's CliRunner calls it so) and the subcommands' names
    "cli", "amend", "audit", "calendar", "check", "correct", "due", "enroll", "export", "init", "plan",
    "protocol", "record", "report", "schedule", "status", "verify", "withdraw", "sdtm",
    # the built-in protocol's kinds: free words of the protocol (calendar categories), its data
    "transplant", "follow-up",
}
# protocol.toml's keys and tables: a message about the protocol names them as written there.
PROTOCOL_KEYS = {
    "study", "visits", "clinic", "timezone", "code", "day", "week", "month", "minus", "plus",
    "anchor", "name", "kind", "procedures", "title", "language", "translations", "id", "site_id",
    "day0", "country", "weekdays", "closures", "enrollment", "epoch", "visitnum", "criteria", "arms",
    "version", "effective",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*[a-z][A-Za-z0-9'’-]*")
CJK = re.compile(r"[\u3400-\u9fff]")


def data_words(folder: Path) -> set[str]:
    """The study's own words (reasons, names typed by the site): they are data, not interface."""
    words: set[str] = set()
    for name in ("participants.csv", "visits.csv"):
        with (folder / name).open(encoding="utf-8-sig") as file:
            for row in csv.reader(file):
                for cell in row:
                    words.update(WORD.findall(cell))
    return words


def scrub(text: str) -> str:
    """What is left of a text once the kept kinds of English are taken out."""
    text = re.sub(r"visit-scheduler[^\u3400-\u9fff\n（]*", " ", text)  # a command line in a hint
    text = re.sub(r"[\w.-]+\.(csv|xlsx|toml|ics|html|md|json|pdf|xpt|txt|lock|xml)\b", " ", text)
    text = re.sub(r"(?<![\w-])--?[A-Za-z][\w-]*", " ", text)  # options
    text = re.sub(r"'[^'\n]*'", " ", text)  # values quoted back to the person who typed them
    text = re.sub(r"\S*[/\\]\S*", " ", text)  # paths, time zones
    text = re.sub(r"\b[0-9a-f]{12,64}\b", " ", text)  # SHA-256 digests (whole or their start)
    text = re.sub(r"\[study\] *\n? *language", " ", text)
    text = re.sub(r"\b\w+_\w+\b", " ", text)  # column names a message points at (actual_date)
    text = re.sub(r"%[a-zA-Z]", " ", text)  # strftime directives
    text = re.sub(r"\[[a-z_.]+\]", " ", text)  # [study], [visits.translations.zh-CN]
    return text


def english_left(text: str, allowed: set[str]) -> list[str]:
    found = []
    for line in text.splitlines():
        for word in WORD.findall(scrub(line)):
            if word not in allowed and word.strip("'’-") not in allowed:
                found.append(f"{word!r} in {line.strip()[:160]!r}")
    return found


def html_text(path: Path) -> str:
    page = path.read_text("utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<img[^>]*>', " ", page)
    page = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape(page)


def workbook_text(path: Path) -> str:
    book = load_workbook(path, read_only=True)
    lines = []
    for sheet in book.worksheets:
        lines.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            lines.extend(str(value) for value in row if isinstance(value, str))
    return "\n".join(lines)


def calendar_text(path: Path) -> str:
    unfolded = re.sub(r"\r?\n[ \t]", "", path.read_text("utf-8"))
    kept = [line.split(":", 1)[1] for line in unfolded.splitlines()
            if line.split(";")[0].split(":")[0] in ("SUMMARY", "DESCRIPTION", "LOCATION", "X-WR-CALNAME")]
    return "\n".join(kept).replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")


@pytest.fixture
def chinese(tmp_path, monkeypatch):
    folder = tmp_path / "study"
    shutil.copytree(SAMPLE, folder)
    (folder / "calendar-state.json").unlink(missing_ok=True)
    monkeypatch.setenv("VISIT_SCHEDULER_LANG", "zh-CN")
    return folder


def said(folder: Path, *args: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    result = run_cli(*args, cwd=folder)
    assert result.exit_code in (0, 1, 2), result
    text = result.stdout + "\n" + result.stderr
    assert CJK.search(text), f"{args}: no Chinese at all:\n{text[:400]}"
    return english_left(text, KEPT | data_words(folder) | set(allowed))


def test_reading_commands_speak_chinese_only(chinese):
    left = []
    for args in (["protocol"], ["schedule", "--as-of", AS_OF], ["check", "--as-of", AS_OF],
                 ["check", "--as-of", AS_OF, "--deviations-only"], ["due", "--as-of", AS_OF],
                 ["status", "007", "--as-of", AS_OF], ["status", "024", "--as-of", AS_OF],
                 ["verify"], ["audit"]):
        left += [f"{' '.join(args)}: {word}" for word in said(chinese, *args)]
    assert not left, "English left on the screen:\n" + "\n".join(left)


def test_every_help_speaks_chinese(chinese):
    import click

    from scheduler.cli import every_command

    left = []
    every = every_command()
    commands = [[name] for name in sorted(every)]
    commands += [[name, sub] for name, group in sorted(every.items()) if isinstance(group, click.Group)
                 for sub in sorted(group.commands)]
    for command in [[], *commands]:
        args = [*command, "--help"]
        left += [f"{' '.join(command) or 'visit-scheduler'} --help: {word}" for word in said(chinese, *args)]
        # click's "[required]" looks like a TOML table to scrub(): checked by itself.
        if "[required]" in run_cli(*args, cwd=chinese).stdout:
            left.append(f"{' '.join(command)} --help: [required]")
    assert not left, "English left in --help:\n" + "\n".join(left)


def test_the_files_people_read_speak_chinese(chinese):
    outputs = chinese / "out"
    outputs.mkdir()
    for args in (["report", "--as-of", AS_OF, "-o", "out/report.html"],
                 ["report", "--as-of", AS_OF, "-o", "out/report.md"],
                 ["report", "--as-of", AS_OF, "-o", "out/report.xlsx"],
                 ["check", "--as-of", AS_OF, "-o", "out/check.xlsx"],
                 ["due", "--as-of", AS_OF, "-o", "out/due.xlsx"],
                 ["calendar", "--as-of", AS_OF, "-o", "out/site.ics"],
                 ["plan", "007", "--as-of", AS_OF, "-o", "out/plan.html"]):
        result = run_cli(*args, cwd=chinese)
        assert result.exit_code in (0, 1), result
    allowed = KEPT | data_words(chinese)
    left = []
    for path, text in ((outputs / "report.html", html_text(outputs / "report.html")),
                       (outputs / "report.md", (outputs / "report.md").read_text("utf-8")),
                       (outputs / "report.xlsx", workbook_text(outputs / "report.xlsx")),
                       (outputs / "check.xlsx", workbook_text(outputs / "check.xlsx")),
                       (outputs / "due.xlsx", workbook_text(outputs / "due.xlsx")),
                       (outputs / "site.ics", calendar_text(outputs / "site.ics")),
                       (outputs / "plan.html", html_text(outputs / "plan.html"))):
        assert CJK.search(text), path.name
        left += [f"{path.name}: {word}" for word in english_left(text, allowed)]
    assert not left, "English left in the files:\n" + "\n".join(left)
    assert '<html lang="zh-CN"' in (outputs / "report.html").read_text("utf-8")


def test_csv_and_json_keep_the_contract_in_chinese(chinese):
    assert run_cli("check", "--as-of", AS_OF, "-o", "check.csv", cwd=chinese).exit_code == 0
    assert run_cli("check", "--as-of", AS_OF, "-o", "check.json", cwd=chinese).exit_code == 0
    header = (chinese / "check.csv").read_text("utf-8-sig").splitlines()[0]
    assert header.startswith("participant_id,visit_code,target_date,window_open,window_close,actual_date,"
                             "status,days_outside,reason,as_of")
    assert not CJK.search((chinese / "check.json").read_text("utf-8").replace("受试者", ""))


def test_changes_and_problems_speak_chinese(chinese):
    left = []
    # A change at the point of care: a late visit needs its reason; with it, recorded.
    left += said(chinese, "record", "024", "D0", "2011-01-20")
    left += said(chinese, "enroll", "025", "--date", "2011-01-10")
    left += said(chinese, "record", "025", "D0", "2011-01-12", "--reason", "导管室排期")
    left += said(chinese, "withdraw", "025", "--date", "2011-01-14", "--reason", "受试者本人要求",
                 "--category", "WITHDRAWAL BY SUBJECT")
    # A data problem, located in its file and line.
    with (chinese / "visits.csv").open("a", encoding="utf-8") as file:
        file.write("001,M3,2010-13-45,\n")
    problems = said(chinese, "check", "--as-of", AS_OF)
    left += problems
    result = run_cli("check", "--as-of", AS_OF, cwd=chinese)
    assert result.exit_code == 1
    assert re.search(r"visits\.csv:\d+", result.stderr)
    # A bad option and a bad protocol.
    left += said(chinese, "due", "--days", "many")
    left += said(chinese, "check", "--as-of", "next week")
    (chinese / "protocol.toml").write_text('[study]\nid = "X"\ntimezone = "Mars/Base"\n\n[[visits]]\n'
                                           'code = "D0"\nday = 0\nminus = -1\nlanguage = "fr"\n', "utf-8")
    result = run_cli("check", "--as-of", AS_OF, cwd=chinese)
    assert result.exit_code == 2
    assert "protocol.toml:3" in result.stderr
    left += said(chinese, "protocol", allowed=PROTOCOL_KEYS)
    assert not left, "English left:\n" + "\n".join(left)


def test_amendments_speak_chinese_only(tmp_path, monkeypatch):
    """protocol (its versions line), --diff, status with a move, amend and its refusals, on
    the amendment sample (sample_amendment/)."""
    folder = tmp_path / "study"
    shutil.copytree(SAMPLE.parent / "sample_amendment", folder)
    monkeypatch.setenv("VISIT_SCHEDULER_LANG", "zh-CN")
    left = []
    for args in (["protocol"], ["protocol", "--diff", "1.0", "2.0"], ["protocol", "--diff", "1.0", "9.9"],
                 ["status", "301", "--as-of", "2011-04-01"],
                 ["amend", "302", "--undo", "--reason", "录入错误"],
                 ["amend", "302", "--to", "2.0", "--date", "2011-03-16", "--reason", "重新知情同意"],
                 ["amend", "304", "--to", "2.0", "--date", "2011-03-21", "--reason", "重新知情同意"],
                 ["amend", "--all", "--to", "2.0", "--date", "2011-03-20", "--reason", "方案修订"],
                 ["report", "--week", "2011-W11"]):
        left += [f"{' '.join(args)}: {word}" for word in said(folder, *args)]
    assert not left, "English left on the screen:\n" + "\n".join(left)
