"""The roster's columns for SDTM DM and DS (withdrawal_category, arm, consent_date, sex, age):
read and checked as the dates are (every bad value a problem with its line, the roster
refused), given and corrected through `enroll` and `correct` with their values in the audit
trail, and shown by no table, report, calendar or plan (the plan shows the arm only).

Dates by hand from the built-in plan: D0 on enrollment ± 0, D7 = D0 + 7 ± 1, D14 = D0 + 14 ± 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pendulum
import pytest

from scheduler.sources.roster import read_participants

from .conftest import run_cli, write

HEADER = "participant_id,enrollment_date,withdrawal_date,withdrawal_category,arm,consent_date,sex,age\n"
GOOD = "001,2010-09-01,,,,2010-08-30,M,34\n"   # line 2 of every roster below: no problem
REFUSED = ("participants.csv: the participants file cannot be used until this problem is fixed (a participant "
           "who cannot be scheduled must not silently drop out)")
TERMS = ("ADVERSE EVENT, DEATH, LACK OF EFFICACY, LOST TO FOLLOW-UP, PHYSICIAN DECISION, PREGNANCY, "
         "PROGRESSIVE DISEASE, PROTOCOL DEVIATION, RECOVERY, SCREEN FAILURE, SITE TERMINATED BY SPONSOR, "
         "STUDY TERMINATED BY SPONSOR, TECHNICAL PROBLEMS, WITHDRAWAL BY PARENT/GUARDIAN, "
         "WITHDRAWAL BY SUBJECT, OTHER")
SEX_FIX = "write M, F or U (男 and 女 are read as M and F), or leave it empty"
AGE = "the age must be a whole number of years, from 0 to 130"

ROSTER = ("participant_id,name,phone,enrollment_date,withdrawal_date,withdrawal_reason,site\n"
          "007,赵敏,138-0000-0107,2010-09-01,,,01\n")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def values(folder: Path) -> list[tuple[str, ...]]:
    """The trail's value lines: action, participant, field, old, new, reason."""
    return [(e["action"], e["participant_id"], e["field"], e["old_value"], e["new_value"], e["reason"])
            for e in rows(folder / "audit.csv") if e["step"] == "value"]


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "s")


# --------------------------------------------------------------------------- reading


def test_every_valid_form_is_read_as_its_code(tmp_path: Path):
    """Categories in any case → upper-case; m, 男, Ｍ (full width) → M, f, 女 → F, u → U; 34,
    "34.0", ３４, 0 and 130 → whole years; a consent before, after (re-consent) or on the day of
    the withdrawal is read, also written 2010/08/31; empty stays empty."""
    path = write(tmp_path, "participants.csv", HEADER +
                 "001,2010-09-01,,,A,2010-08-30,m,34\n"
                 "002,2010-09-01,2010-10-01,death,,2010-09-15,女,34.0\n"
                 "003,2010-09-01,2010-10-01,Withdrawal By Subject,B,2010-10-01,男,0\n"
                 "004,2010-09-01,,,,,u,130\n"
                 "005,2010-09-01,,,,2010/08/31,f,\n"
                 "006,2010-09-01,2010-09-20,lost to follow-up,,,Ｍ,３４\n")
    frame = read_participants(path, "participants.csv")
    assert list(frame.columns) == ["participant_id", "enrollment_date", "withdrawal_date", "withdrawal_reason",
                                   "site", "withdrawal_category", "arm", "consent_date", "sex", "age", "line"]
    assert frame["withdrawal_category"].tolist() == ["", "DEATH", "WITHDRAWAL BY SUBJECT", "", "",
                                                     "LOST TO FOLLOW-UP"]
    assert frame["arm"].tolist() == ["A", "", "B", "", "", ""]
    assert frame["sex"].tolist() == ["M", "F", "M", "U", "F", "M"]
    assert str(frame["age"].dtype) == "Int64"
    assert frame["age"].tolist() == [34, 34, 0, 130, pd.NA, 34]
    consent = frame["consent_date"].to_numpy()
    assert np.issubdtype(consent.dtype, np.datetime64)
    assert [str(value)[:10] for value in consent] == ["2010-08-30", "2010-09-15", "2010-10-01", "NaT",
                                                      "2010-08-31", "NaT"]
    result = run_cli("check", "--as-of", "2010-10-15", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr


def test_a_roster_without_the_columns_gives_them_empty(tmp_path: Path):
    """The columns are optional: empty text, NaT, and a missing Int64 age."""
    path = write(tmp_path, "participants.csv", "participant_id,enrollment_date\n001,2010-09-01\n")
    frame = read_participants(path, "participants.csv")
    assert (frame["withdrawal_category"].tolist(), frame["arm"].tolist(), frame["sex"].tolist()) == \
        ([""], [""], [""])
    assert np.isnat(frame["consent_date"].to_numpy()).all()
    assert str(frame["age"].dtype) == "Int64" and frame["age"].isna().all()


def test_an_excel_roster_holds_real_numbers_and_dates(tmp_path: Path):
    """In a workbook the age is a number (34.0 as Excel keeps it) and the consent a real date."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["participant_id", "enrollment_date", "consent_date", "sex", "age"])
    sheet.append(["001", dt.date(2010, 9, 1), dt.datetime(2010, 8, 30), "女", 34.0])
    sheet.append(["002", dt.date(2010, 9, 2), None, "m", 51])
    workbook.save(tmp_path / "participants.xlsx")
    frame = read_participants(tmp_path / "participants.xlsx", "participants.xlsx")
    assert frame["sex"].tolist() == ["F", "M"]
    assert frame["age"].tolist() == [34, 51]
    assert [str(value)[:10] for value in frame["consent_date"].to_numpy()] == ["2010-08-30", "NaT"]


@pytest.mark.parametrize(("line", "problem"), [
    ("002,2010-09-01,2010-10-01,QUIT,,,,\n",
     f"participants.csv:3: column withdrawal_category: not a CDISC NCOMPLT withdrawal category "
     f"(value 'QUIT') — use one of {TERMS}"),
    ("002,2010-09-01,,death,,,,\n",
     "participants.csv:3: column withdrawal_category: a withdrawal category without a withdrawal date "
     "(value 'death') — fill in the date the participant withdrew, or empty the category"),
    ("002,2010-09-01,,,,2010-13-01,,\n",
     "participants.csv:3: column consent_date: a date that does not exist (value '2010-13-01') — this day "
     "does not exist in the calendar: check the day and the month"),
    ("002,2010-09-01,2010-09-20,,,2010-09-21,,\n",
     "participants.csv:3: column consent_date: consent after the withdrawal (2010-09-20) "
     "(value '2010-09-21') — check both dates"),
    ("002,2010-09-01,,,,,X,\n", f"participants.csv:3: column sex: the sex must be M, F or U (value 'X') — {SEX_FIX}"),
    ("002,2010-09-01,,,,,Female,\n",
     f"participants.csv:3: column sex: the sex must be M, F or U (value 'Female') — {SEX_FIX}"),
    ("002,2010-09-01,,,,,男性,\n", f"participants.csv:3: column sex: the sex must be M, F or U (value '男性') — {SEX_FIX}"),
    ("002,2010-09-01,,,,,,34 years\n",
     f"participants.csv:3: column age: {AGE} (value '34 years') — write the number only, for example 34"),
    ("002,2010-09-01,,,,,,34.5\n",
     f"participants.csv:3: column age: {AGE} (value '34.5') — write the number only, for example 34"),
    ("002,2010-09-01,,,,,,131\n", f"participants.csv:3: column age: {AGE} (value '131') — check the age"),
    ("002,2010-09-01,,,,,,-1\n", f"participants.csv:3: column age: {AGE} (value '-1') — check the age"),
])
def test_each_bad_value_is_a_problem_on_its_line(study, line: str, problem: str):
    """The roster is refused (exit 2) with the problem's file, line, column, value and fix."""
    folder = study(HEADER + GOOD + line)
    result = run_cli("check", "--as-of", "2010-10-15", cwd=folder)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"Error: {REFUSED}", problem]
    assert not (folder / "out.csv").exists()


def test_every_problem_is_listed_at_once(study):
    """Seven bad values on four lines: one refusal listing all seven, in line order."""
    folder = study(HEADER + GOOD +
                   "002,2010-09-01,,Death,,,F,\n"
                   "003,2010-09-01,2010-09-10,retired,,2010-09-11,x,\n"
                   "004,2010-09-01,,,,2010-02-30,,34 years\n"
                   "005,2010-09-01,,,,,,200\n")
    result = run_cli("check", "--as-of", "2010-10-15", "-o", "out.csv", cwd=folder)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: participants.csv: the participants file cannot be used until these 7 problems are fixed "
        "(a participant who cannot be scheduled must not silently drop out)",
        "participants.csv:3: column withdrawal_category: a withdrawal category without a withdrawal date "
        "(value 'Death') — fill in the date the participant withdrew, or empty the category",
        "participants.csv:4: column consent_date: consent after the withdrawal (2010-09-10) (value '2010-09-11') "
        "— check both dates",
        f"participants.csv:4: column withdrawal_category: not a CDISC NCOMPLT withdrawal category "
        f"(value 'retired') — use one of {TERMS}",
        f"participants.csv:4: column sex: the sex must be M, F or U (value 'x') — {SEX_FIX}",
        "participants.csv:5: column consent_date: a date that does not exist (value '2010-02-30') — this day "
        "does not exist in the calendar: check the day and the month",
        f"participants.csv:5: column age: {AGE} (value '34 years') — write the number only, for example 34",
        f"participants.csv:6: column age: {AGE} (value '200') — check the age",
    ]
    assert not (folder / "out.csv").exists()


def test_a_day_first_consent_date_refuses_the_file_unless_its_form_is_given(study):
    """30/08/2010 could be read two ways: the whole file is refused, as for the other dates;
    with --date-format '%d/%m/%Y' it is read."""
    folder = study("participant_id,enrollment_date,consent_date\n001,2010-09-01,30/08/2010\n")
    result = run_cli("check", "--as-of", "2010-10-15", cwd=folder)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        "Error: participants.csv: dates written day-first or month-first cannot be read safely, so the whole "
        "file is refused (1 such date)",
        "participants.csv:2: column consent_date: a date written day-first or month-first (value '30/08/2010') "
        "— give the form with --date-format, for example --date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' "
        "(month first)"]
    frame = read_participants(folder / "participants.csv", "participants.csv", date_format="%d/%m/%Y")
    assert str(frame["consent_date"].iloc[0])[:10] == "2010-08-30"


# --------------------------------------------------------------------------- enroll and correct


def test_enroll_with_sex_age_and_consent_and_the_audit_shows_them(study):
    """enroll 008 --sex 女 --age 34.0 --consent-date 2010-08-30: the roster holds F, 34 and the
    date in new columns (007's line and its name untouched); the trail and `audit` show each."""
    folder = study(ROSTER)
    result = run_cli("enroll", "008", "--date", "2010-09-02", "--site", "01", "--sex", "女", "--age", "34.0",
                     "--consent-date", "2010-08-30", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert (folder / "participants.csv").read_text("utf-8-sig") == (
        "participant_id,name,phone,enrollment_date,withdrawal_date,withdrawal_reason,site,consent_date,sex,age\n"
        "007,赵敏,138-0000-0107,2010-09-01,,,01,,,\n"
        "008,,,2010-09-02,,,01,2010-08-30,F,34\n")
    assert values(folder) == [
        ("enroll", "008", "enrollment_date", "", "2010-09-02", ""),
        ("enroll", "008", "site", "", "01", ""),
        ("enroll", "008", "consent_date", "", "2010-08-30", ""),
        ("enroll", "008", "sex", "", "F", ""),
        ("enroll", "008", "age", "", "34", ""),
    ]
    shown = run_cli("audit", "008", cwd=folder)
    assert shown.exit_code == 0
    lines = [line.split() for line in shown.stdout.splitlines()]
    assert [line[-2:] for line in lines if line and line[-1] in ("2010-08-30", "F", "34")] == [
        ["consent_date", "2010-08-30"], ["sex", "F"], ["age", "34"]]
    assert run_cli("verify", cwd=folder).exit_code == 0


@pytest.mark.parametrize(("options", "message"), [
    (["--sex", "female"], "Error: --sex 'female' is not M, F or U — give M, F or U (男 and 女 are read as M and F)"),
    (["--age", "34 years"], "Error: --age '34 years' is not a whole number of years — give the number only, "
                            "for example 34"),
    (["--age", "131"], "Error: --age 131 is not from 0 to 130 years — check the age"),
    (["--consent-date", "30/08/2010"], "Error: --consent-date '30/08/2010' is not a date — write it as YYYY-MM-DD "
                                       "(day and month could be swapped in this form)"),
])
def test_enroll_refuses_a_bad_value_naming_its_option(study, options: list[str], message: str):
    """Refused before anything is written (exit 2): the roster and the trail stay as they were."""
    folder = study(ROSTER)
    before = (folder / "participants.csv").read_bytes()
    result = run_cli("enroll", "008", "--date", "2010-09-02", *options, cwd=folder)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert (folder / "participants.csv").read_bytes() == before and not (folder / "audit.csv").exists()


def test_corrected_sex_age_and_consent_are_audited_and_verify_passes(study):
    """correct 007 --sex 男 (empty → M), then --sex f --age 35 --consent-date 2010-08-25 with
    their reasons: each old and new value in the trail, the name never; verify explains it."""
    folder = study(ROSTER)
    result = run_cli("correct", "007", "--sex", "男", "--reason", "from the consent form", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["Corrected 007 sex: (empty) → M"]
    result = run_cli("correct", "007", "--sex", "f", "--age", "35", "--consent-date", "2010-08-25",
                     "--reason", "wrong form read", "--by", "Dr Shi", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["Corrected 007 consent_date: (empty) → 2010-08-25",
                                          "Corrected 007 sex: M → F", "Corrected 007 age: (empty) → 35"]
    assert rows(folder / "participants.csv")[0] == {
        "participant_id": "007", "name": "赵敏", "phone": "138-0000-0107", "enrollment_date": "2010-09-01",
        "withdrawal_date": "", "withdrawal_reason": "", "site": "01", "sex": "F", "consent_date": "2010-08-25",
        "age": "35"}
    assert values(folder) == [
        ("correct", "007", "sex", "", "M", "from the consent form"),
        ("correct", "007", "consent_date", "", "2010-08-25", "wrong form read"),
        ("correct", "007", "sex", "M", "F", "wrong form read"),
        ("correct", "007", "age", "", "35", "wrong form read"),
    ]
    trail = (folder / "audit.csv").read_text("utf-8-sig")
    assert "赵敏" not in trail and "138-0000-0107" not in trail
    verified = run_cli("verify", cwd=folder)
    assert verified.exit_code == 0, verified.stdout
    assert verified.stdout.startswith("verify: the audit trail explains the study files")


def test_a_consent_after_the_withdrawal_is_never_written(study):
    """007 consented again on 2010-09-25 (after enrollment: fine). A withdrawal on 09-20 would
    put the consent after it: refused; on 09-26 it is recorded. Then a consent on 09-27, or the
    withdrawal corrected to 09-24, are refused; the files stay as they were."""
    folder = study(ROSTER)
    assert run_cli("correct", "007", "--consent-date", "2010-09-25", "--reason", "re-consent",
                   cwd=folder).exit_code == 0
    refused = run_cli("withdraw", "007", "--date", "2010-09-20", "--reason", "moved away", cwd=folder)
    assert refused.exit_code == 2
    assert refused.stderr.strip() == ("Error: the consent (2010-09-25) would be after the withdrawal (2010-09-20) "
                                      "— check both dates")
    assert run_cli("withdraw", "007", "--date", "2010-09-26", "--reason", "moved away", "--category",
                   "withdrawal by subject", cwd=folder).exit_code == 0
    before = (folder / "participants.csv").read_bytes()
    for args, consent, withdrawal in ((["--consent-date", "2010-09-27"], "2010-09-27", "2010-09-26"),
                                      (["--withdrawal", "2010-09-24"], "2010-09-25", "2010-09-24")):
        refused = run_cli("correct", "007", *args, "--reason", "x", cwd=folder)
        assert refused.exit_code == 2
        assert refused.stderr.strip() == (f"Error: the consent ({consent}) would be after the withdrawal "
                                          f"({withdrawal}) — check both dates")
    assert (folder / "participants.csv").read_bytes() == before
    assert run_cli("check", "--as-of", "2010-10-15", cwd=folder).exit_code == 0


def test_what_correct_refuses(study):
    """The value already there: nothing to change. An age out of range, a sex not a code: the
    option named. With a VISIT: these options correct the participant, not the visit."""
    folder = study(ROSTER.replace(",site\n", ",site,sex,age\n").replace(",01\n", ",01,M,40\n"))
    for args, message in (
            (["--sex", "M"], "Error: nothing to change: 007 already has sex M"),
            (["--age", "40"], "Error: nothing to change: 007 already has age 40"),
            (["--age", "200"], "Error: --age 200 is not from 0 to 130 years — check the age"),
            (["--sex", ""], "Error: --sex '' is not M, F or U — give M, F or U (男 and 女 are read as M and F)"),
    ):
        result = run_cli("correct", "007", *args, "--reason", "x", cwd=folder)
        assert result.exit_code == 2, args
        assert result.stderr.strip() == message
    result = run_cli("correct", "007", "D7", "2010-09-08", "--sex", "F", "--reason", "x", cwd=folder)
    assert result.exit_code == 2
    assert ("--enrollment, --site, --sex, --age, --consent-date and the withdrawal options correct the "
            "participant: give them without a VISIT") in result.stderr
    assert not (folder / "audit.csv").exists()


def test_a_roster_with_a_bad_value_is_not_changed(study):
    """The recording commands read the roster as the others do: a bad sex refuses the change."""
    folder = study(ROSTER.replace(",site\n", ",site,sex\n").replace(",01\n", ",01,woman\n"))
    result = run_cli("enroll", "008", "--date", "2010-09-02", cwd=folder)
    assert result.exit_code == 2
    assert f"participants.csv:2: column sex: the sex must be M, F or U (value 'woman') — {SEX_FIX}" in result.stderr
    assert not (folder / "audit.csv").exists()


# --------------------------------------------------------------------------- privacy

PLAIN = ("participant_id,enrollment_date,withdrawal_date,withdrawal_reason,site\n"
         "007,2010-09-01,,,01\n"
         "008,2010-09-02,2010-09-20,moved away,01\n")
FULL = ("participant_id,name,enrollment_date,withdrawal_date,withdrawal_reason,withdrawal_category,site,"
        "consent_date,sex,age\n"
        "007,Zhao Min,2010-09-01,,,,01,2010-07-13,女,34.0\n"
        "008,Wang Fang,2010-09-02,2010-09-20,moved away,lost to follow-up,01,2010-08-31,m,97\n")
VISITS = ("participant_id,visit_code,actual_date,reason\n"
          "007,D0,2010-09-01,\n"
          "007,D7,2010-09-08,\n"
          "008,D0,2010-09-02,\n")
DIGEST = re.compile(r"\b[0-9a-f]{64}\b")


def outputs(folder: Path) -> dict[str, str]:
    """check, report, calendar and plan written to files, at one frozen moment."""
    with pendulum.travel_to(pendulum.parse("2010-10-12T02:00:00+00:00"), freeze=True):
        for args in (["check", "-o", "x.csv"], ["report", "--week", "2010-W40", "-o", "r.html"],
                     ["calendar", "-o", "c.ics"], ["plan", "007", "-o", "p.html"], ["plan", "008", "-o", "q.html"]):
            result = run_cli(*args, cwd=folder)
            assert result.exit_code == 0, (args, result.stderr)
    return {name: (folder / name).read_text("utf-8-sig") for name in ("x.csv", "r.html", "c.ics", "p.html", "q.html")}


def test_the_columns_and_a_name_reach_no_output(tmp_path: Path):
    """The same study with and without the name, category, consent, sex and age columns: the
    check CSV, calendar and plans are byte for byte the same, the report too but for the
    participants file's SHA-256; none holds a name, the category, a consent date or 女."""
    plain, full = tmp_path / "plain", tmp_path / "full"
    for folder, roster in ((plain, PLAIN), (full, FULL)):
        folder.mkdir()
        write(folder, "participants.csv", roster)
        write(folder, "visits.csv", VISITS)
    without, with_columns = outputs(plain), outputs(full)
    for name in ("x.csv", "c.ics", "p.html", "q.html"):
        assert with_columns[name] == without[name], name
    assert DIGEST.sub("…", with_columns["r.html"]) == DIGEST.sub("…", without["r.html"])
    for name, text in with_columns.items():
        for private in ("Zhao Min", "Wang Fang", "lost to follow-up", "2010-07-13", "2010-08-31", "女"):
            assert private.casefold() not in text.casefold(), (name, private)


def test_the_arm_is_shown_on_the_plan(study):
    """The arm is the one of these columns a plan shows (with its label); the check does not."""
    folder = study("participant_id,enrollment_date,arm\n007,2010-09-01,Cohort B\n")
    assert run_cli("plan", "007", "--as-of", "2010-09-20", "-o", "p.html", cwd=folder).exit_code == 0
    page = (folder / "p.html").read_text("utf-8")
    assert "Arm" in page and "Cohort B" in page
    assert run_cli("check", "--as-of", "2010-09-20", "-o", "x.csv", cwd=folder).exit_code == 0
    assert "Cohort B" not in (folder / "x.csv").read_text("utf-8-sig")
