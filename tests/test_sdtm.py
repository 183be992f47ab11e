"""CDISC SDTM TV, SV and DV: every column by hand, study days on both sides of the
reference date, and XPT files that read back equal to the CSVs. (DM, DS, SE, TS and the
rest: tests/test_sdtm_domains.py; the three file formats: tests/test_sdtm_formats.py.)"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from .conftest import run_cli

ROSTER = """\
participant_id,enrollment_date,site,name
A,2010-09-01,02,Wang Fang
B,2010-09-01,,Li Na
"""
# A: D0 done 09-03 (late 2; the reference date), D7 done 09-09 (window re-anchored to
#    09-09 … 09-11), D14 did not happen ("fever"). B: nothing done.
VISITS = """\
participant_id,visit_code,actual_date,reason
A,D0,2010-09-03,catheter lab busy
A,D7,2010-09-09,
A,D14,,fever
"""


def read(folder: Path, name: str, into: str = "sdtm") -> list[dict[str, str]]:
    with open(folder / into / f"{name.lower()}.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture
def exported(study):
    folder = study(ROSTER, VISITS)
    result = run_cli("export", "sdtm", "--as-of", "2010-09-25", "-o", "sdtm", cwd=folder)
    assert result.exit_code == 0, result.stderr
    return folder


def test_tv(exported):
    """VISITNUM is the place in the protocol; VISITDY counts from Day 0 with no day 0."""
    rows = read(exported, "TV")
    assert [(r["VISITNUM"], r["VISIT"], r["VISITDY"]) for r in rows] == [
        ("1", "Transplantation 1 (pancreatic artery)", "1"),   # Day 0 → 1
        ("2", "Transplantation 2 (intravenous)", "8"),         # Day 7 → 8
        ("3", "Transplantation 3 (intravenous)", "15"),
        ("4", "Follow-up month 1", "31"),
        ("5", "Follow-up month 3", "91"),
        ("6", "Follow-up month 6", "181"),
        ("7", "Follow-up month 9", "271"),
        ("8", "Follow-up month 12 (end of study)", "366"),
    ]
    assert {r["STUDYID"] for r in rows} == {"NCT01143168"} and {r["DOMAIN"] for r in rows} == {"TV"}
    assert rows[1]["TVSTRL"] == "Day 7 from D0 (the target); window 1 day before to 1 day after"
    assert list(rows[0]) == ["STUDYID", "DOMAIN", "VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL", "TVENRL"]


def test_sv(exported):
    """Visits done and planned visits missed as of 09-25; M1 and later are not yet due."""
    rows = read(exported, "SV")
    assert list(rows[0]) == ["STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT", "SVPRESP", "SVOCCUR",
                             "SVREASOC", "VISITDY", "EPOCH", "SVSTDTC", "SVENDTC", "SVSTDY", "SVENDY", "SVUPDES"]
    got = [(r["USUBJID"], r["VISITNUM"], r["SVPRESP"], r["SVOCCUR"], r["SVREASOC"], r["VISITDY"], r["EPOCH"],
            r["SVSTDTC"], r["SVENDTC"], r["SVSTDY"], r["SVENDY"]) for r in rows]
    assert got == [
        # Sorted by USUBJID: B (site 01) before A (site 02).
        # B has no site in the roster: the protocol's site_id 01. No D0 done: no study days.
        ("NCT01143168-01-B", "1", "Y", "N", "", "1", "TREATMENT", "", "", "", ""),
        ("NCT01143168-01-B", "2", "Y", "N", "", "8", "TREATMENT", "", "", "", ""),
        ("NCT01143168-01-B", "3", "Y", "N", "", "15", "TREATMENT", "", "", "", ""),
        # A's site is the roster's 02; the reference date is A's D0, 2010-09-03 (day 1).
        ("NCT01143168-02-A", "1", "Y", "Y", "", "1", "TREATMENT", "2010-09-03", "2010-09-03", "1", "1"),
        ("NCT01143168-02-A", "2", "Y", "Y", "", "8", "TREATMENT", "2010-09-09", "2010-09-09", "7", "7"),   # 6 days on: day 7
        ("NCT01143168-02-A", "3", "Y", "N", "fever", "15", "TREATMENT", "", "", "", ""),
    ]


def test_dv(exported):
    """One record per early, late or missed visit; a missed one starts the day after its window."""
    rows = read(exported, "DV")
    assert list(rows[0]) == ["STUDYID", "DOMAIN", "USUBJID", "DVSEQ", "DVREFID", "DVTERM", "DVDECOD",
                             "DVCAT", "EPOCH", "DVSTDTC", "DVSTDY"]
    got = [(r["USUBJID"], r["DVSEQ"], r["DVREFID"], r["DVTERM"], r["DVDECOD"], r["DVCAT"], r["EPOCH"],
            r["DVSTDTC"], r["DVSTDY"]) for r in rows]
    assert got == [
        # Sorted by USUBJID, then DVSTDTC: B (site 01) first.
        ("NCT01143168-01-B", "1", "D0", "Transplantation 1 (pancreatic artery) missed (window closed 2010-09-01)",
         "MISSED VISIT", "VISIT SCHEDULE", "TREATMENT", "2010-09-02", ""),
        ("NCT01143168-01-B", "2", "D7", "Transplantation 2 (intravenous) missed (window closed 2010-09-09)",
         "MISSED VISIT", "VISIT SCHEDULE", "TREATMENT", "2010-09-10", ""),
        ("NCT01143168-01-B", "3", "D14", "Transplantation 3 (intravenous) missed (window closed 2010-09-17)",
         "MISSED VISIT", "VISIT SCHEDULE", "TREATMENT", "2010-09-18", ""),
        ("NCT01143168-02-A", "1", "D0", "Transplantation 1 (pancreatic artery) done 2 days after its window",
         "VISIT OUT OF WINDOW", "VISIT SCHEDULE", "TREATMENT", "2010-09-03", "1"),
        # D14 window re-anchored: 09-15 … 09-19; the deviation starts 09-20, 17 days after 09-03: day 18.
        ("NCT01143168-02-A", "2", "D14", "Transplantation 3 (intravenous) missed (window closed 2010-09-19)",
         "MISSED VISIT", "VISIT SCHEDULE", "TREATMENT", "2010-09-20", "18"),
    ]


SCREENING = """\
[study]
id = "S1"
timezone = "Asia/Shanghai"
site_id = "9"
day0 = "D0"
country = "CHN"
[[visits]]
code = "SCR"
kind = "screening"
day = -14
minus = 7
[[visits]]
code = "D0"
kind = "treatment"
day = 0
[[visits]]
code = "M1"
kind = "follow-up"
anchor = "D0"
month = 1
plus = 5
"""


def test_study_days_before_the_reference_and_month_visits(study):
    """Screening done 2010-08-20, D0 2010-09-01: SCR is day −12 (no day 0: 12 days before is
    −12); VISITDY of SCR is −14; a visit set in months has no VISITDY."""
    folder = study("participant_id,enrollment_date\nA,2010-09-01\n",
                   "participant_id,visit_code,actual_date\nA,SCR,2010-08-20\nA,D0,2010-09-01\nA,M1,2010-10-01\n",
                   SCREENING)
    assert run_cli("export", "sdtm", "--as-of", "2010-10-10", "-o", "sdtm", cwd=folder).exit_code == 0
    tv = {r["VISITNUM"]: r["VISITDY"] for r in read(folder, "TV")}
    assert tv == {"1": "-14", "2": "1", "3": ""}
    sv = {r["VISITNUM"]: (r["SVSTDY"], r["USUBJID"]) for r in read(folder, "SV")}
    assert sv == {"1": ("-12", "S1-9-A"), "2": ("1", "S1-9-A"), "3": ("31", "S1-9-A")}   # 10-01 is 30 days on


def test_xpt_reads_back_equal_to_the_csv(exported):
    """SAS transport v5 through pyreadstat; pandas.read_sas gives the CSV's values."""
    # One format per folder (define.xml names that format's files): the XPT set goes beside.
    assert run_cli("export", "sdtm", "--as-of", "2010-09-25", "-o", "xpt", "--format", "xpt",
                   cwd=exported).exit_code == 0
    for name in ("tv", "sv", "dv"):
        from_xpt = pd.read_sas(exported / "xpt" / f"{name}.xpt", format="xport", encoding="utf-8")
        from_csv = pd.read_csv(exported / "sdtm" / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(from_xpt.columns) == list(from_csv.columns)
        assert all(len(column) <= 8 for column in from_xpt.columns)
        for column in from_csv.columns:
            values = from_xpt[column]
            if values.dtype == float:
                values = values.map(lambda v: "" if pd.isna(v) else str(int(v)))
            assert list(values) == list(from_csv[column]), (name, column)
    import pyreadstat

    _, meta = pyreadstat.read_xport(str(exported / "xpt" / "sv.xpt"))
    assert meta.table_name == "SV" and all(len(label) <= 40 for label in meta.column_labels)
    assert meta.column_names_to_labels["SVSTDY"] == "Study Day of Start of Visit"


def test_no_roster_column_reaches_the_export(exported):
    """Names stay in the study folder."""
    text = "".join(path.read_text("utf-8") for path in (exported / "sdtm").iterdir())
    assert "Wang Fang" not in text and "Li Na" not in text


def test_transport_warnings_for_non_ascii_and_long_text(study):
    """A Chinese reason and a 250-byte reason: both named; the .xpt holds at most 200 bytes."""
    long = "x" * 250
    folder = study(ROSTER, VISITS + f"B,D0,,发烧\nB,D7,,{long}\n")
    result = run_cli("export", "sdtm", "--as-of", "2010-09-25", "-o", "sdtm", "--format", "xpt", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "SV.SVREASOC holds characters outside ASCII" in result.stderr
    assert "SV.SVREASOC holds text longer than 200 bytes" in result.stderr
    from_xpt = pd.read_sas(folder / "sdtm" / "sv.xpt", format="xport", encoding="utf-8")
    assert from_xpt["SVREASOC"].str.len().max() == 200
    # In CSV the text is kept whole, with a warning that SDTM allows 200 characters (发烧 is 2).
    result = run_cli("export", "sdtm", "--as-of", "2010-09-25", "-o", "csv", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "SV.SVREASOC holds text longer than 200 characters, more than SDTM allows" in result.stderr
    assert "SV.SVREASOC holds characters outside ASCII" not in result.stderr  # only a transport file's limit
    assert max(len(r["SVREASOC"]) for r in read(folder, "SV", "csv")) == 250


def test_nothing_done_is_not_completed_and_a_later_consent_had_not_happened(study):
    """As of 2011-12-31 every window of C (enrolled 2010-09-01) has closed: M12's closed on
    2011-09-01 (D0 09-01 target + 365 = 2011-09-01, + 14 = 09-15) — but C did nothing, so C
    completed nothing: no DS record, DM ARMNRS "ASSIGNED, NOT TREATED". D consented on
    2011-01-05, after the as-of date of the second export (2010-12-31): as of then there was no
    consent (no DS milestone, RFICDTC empty), as a visit recorded later would not count."""
    folder = study("participant_id,enrollment_date,consent_date,sex\nC,2010-09-01,2010-08-30,F\n"
                   "D,2010-09-01,2011-01-05,M\n", "participant_id,visit_code,actual_date\n")
    assert run_cli("export", "sdtm", "--as-of", "2011-12-31", "-o", "late", cwd=folder).exit_code == 0
    ds = [(r["USUBJID"], r["DSDECOD"], r["DSSTDTC"]) for r in read(folder, "DS", "late")]
    assert ds == [("NCT01143168-01-C", "INFORMED CONSENT OBTAINED", "2010-08-30"),
                  ("NCT01143168-01-D", "INFORMED CONSENT OBTAINED", "2011-01-05")]
    dm = {r["SUBJID"]: (r["RFICDTC"], r["RFPENDTC"], r["ARMNRS"]) for r in read(folder, "DM", "late")}
    assert dm == {"C": ("2010-08-30", "", "ASSIGNED, NOT TREATED"), "D": ("2011-01-05", "", "ASSIGNED, NOT TREATED")}
    assert run_cli("export", "sdtm", "--as-of", "2010-12-31", "-o", "early", cwd=folder).exit_code == 0
    assert [r["USUBJID"] for r in read(folder, "DS", "early")] == ["NCT01143168-01-C"]
    assert {r["SUBJID"]: r["RFICDTC"] for r in read(folder, "DM", "early")} == {"C": "2010-08-30", "D": ""}


def test_a_look_back_knows_only_what_had_happened(study):
    """As of 2010-09-05: E (enrolled 09-10) was not in the study yet — in no dataset; F's M1
    is recorded not done, but its window (D0 09-01 + 30 = 10-01 ± 3 → 09-28 … 10-04) had not
    opened: no SV row yet. As of 2010-10-10 the record counts (SVOCCUR N, its reason)."""
    folder = study("participant_id,enrollment_date,consent_date,sex\nF,2010-09-01,2010-08-28,F\n"
                   "E,2010-09-10,2010-09-08,M\n",
                   "participant_id,visit_code,actual_date,reason\nF,D0,2010-09-01,\nF,M1,,moving away\n")
    assert run_cli("export", "sdtm", "--as-of", "2010-09-05", "-o", "early", cwd=folder).exit_code == 0
    for name in ("DM", "DS", "SE", "SV", "DV"):
        assert all(r["USUBJID"] != "NCT01143168-01-E" for r in read(folder, name, "early")), name
    assert [(r["VISITNUM"], r["SVOCCUR"]) for r in read(folder, "SV", "early")] == [("1", "Y")]
    assert run_cli("export", "sdtm", "--as-of", "2010-10-10", "-o", "later", cwd=folder).exit_code == 0
    f_rows = [(r["VISITNUM"], r["SVOCCUR"], r["SVREASOC"]) for r in read(folder, "SV", "later")
              if r["USUBJID"] == "NCT01143168-01-F"]
    # D0 done; D7 (09-07 … 09-09) and D14 (09-13 … 09-17) missed; M1 not done, with its reason.
    assert f_rows == [("1", "Y", ""), ("2", "N", ""), ("3", "N", ""), ("4", "N", "moving away")]


def test_a_screen_failure_has_no_arm_and_does_not_start_the_study(study):
    """G withdrew as a SCREEN FAILURE on the day of enrollment: DM ARMCD/ARM empty, ARMNRS
    SCREEN FAILURE (SDTMIG DM), and G's consent (08-20, the earliest) is not the study start:
    TS SSTDTC is H's consent, 08-25."""
    folder = study("participant_id,enrollment_date,consent_date,sex,withdrawal_date,withdrawal_category\n"
                   "G,2010-09-01,2010-08-20,F,2010-09-01,SCREEN FAILURE\nH,2010-09-01,2010-08-25,M,,\n",
                   "participant_id,visit_code,actual_date\nH,D0,2010-09-01\n")
    assert run_cli("export", "sdtm", "--as-of", "2010-09-05", "-o", "sdtm", cwd=folder).exit_code == 0
    dm = {r["SUBJID"]: (r["ARMCD"], r["ARM"] != "", r["ACTARMCD"], r["ARMNRS"]) for r in read(folder, "DM")}
    assert dm == {"G": ("", False, "", "SCREEN FAILURE"), "H": ("A", True, "A", "")}
    sstdtc = [r["TSVAL"] for r in read(folder, "TS") if r["TSPARMCD"] == "SSTDTC"]
    assert sstdtc == ["2010-08-25"]


def test_epoch_follows_the_element_the_participant_was_in(study):
    """J did M1 (10-01, FOLLOW-UP begins) before D14's late date 10-05: SE has J in FU from
    10-01, so D14's SV row and its DV row (late) carry FOLLOW-UP, agreeing with SE, not D14's
    planned TREATMENT. A consent after the first visit is warned about."""
    folder = study("participant_id,enrollment_date,consent_date,sex\nJ,2010-09-01,2010-09-02,M\n",
                   "participant_id,visit_code,actual_date,reason\nJ,D0,2010-09-01,\nJ,D7,2010-09-08,\n"
                   "J,M1,2010-10-01,\nJ,D14,2010-10-05,fever\n")
    result = run_cli("export", "sdtm", "--as-of", "2010-10-10", "-o", "sdtm", cwd=folder)
    assert result.exit_code == 1, result.stderr  # D14 after M1: out of protocol order, listed
    assert "RFICDTC is after the first visit done for 1 participant: J" in result.stderr
    sv = {r["VISITNUM"]: r["EPOCH"] for r in read(folder, "SV")}
    assert sv == {"1": "TREATMENT", "2": "TREATMENT", "3": "FOLLOW-UP", "4": "FOLLOW-UP"}
    se = [(r["ETCD"], r["SESTDTC"], r["SEENDTC"]) for r in read(folder, "SE")]
    assert se == [("TRT", "2010-09-01", "2010-10-01"), ("FU", "2010-10-01", "")]
    assert [(r["DVREFID"], r["EPOCH"]) for r in read(folder, "DV")] == [("D14", "FOLLOW-UP")]


def test_a_refused_export_still_lists_the_visits_files_problems(study):
    """A withdrawal without its category refuses the export; the visits file's problem (a date
    before enrollment) is listed first all the same, as every command lists it."""
    folder = study("participant_id,enrollment_date,withdrawal_date,withdrawal_reason\nA,2010-09-01,2010-09-20,moved\n",
                   "participant_id,visit_code,actual_date\nA,D0,2010-08-01\n")
    result = run_cli("export", "sdtm", "--as-of", "2010-09-25", "-o", "sdtm", cwd=folder)
    assert result.exit_code == 2
    assert "visits.csv:2" in result.stderr and "withdrawal_category" in result.stderr
    assert result.stderr.index("visits.csv:2") < result.stderr.index("SDTM DS needs")
