"""CDISC SDTM export (issue #17), checked from the contract alone: every DM, DS, SE and TS row
of a five-participant study computed by hand, with the arithmetic beside each value; the
trial design datasets of the built-in protocol; EPOCH on SV and DV; SUPPDV; what the export
refuses (exit 2, nothing written); the three file formats and define.xml; and that no roster
column outside the contract (a name) reaches any exported file.

Written before the implementation, as an independent check: the expected values come from
the rules (the SDTM export contract and PRODUCT.md's date rules), not from running the code.

Study days (SDTM, no day 0): d − RFSTDTC + 1 on or after RFSTDTC, d − RFSTDTC before it.
"""

from __future__ import annotations

import csv
import json
import re
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scheduler.core.sdtm_spec import DATASETS

from .conftest import ROOT, run_cli

STUDYID = "NCT01143168"
AS_OF = "2011-09-30"
# [study] treatment of the built-in protocol: TS TRT, and the planned arm's name (ARM).
TREATMENT = "Autologous bone marrow mononuclear cells and umbilical cord mesenchymal stem cells"
TITLE = ("Transplantation of autologous bone marrow mononuclear cells and umbilical cord mesenchymal "
         "stem cells in type 1 diabetes")
# One file per dataset, in the contract's order, lower-case.
STEMS = ("ts", "ta", "te", "tv", "ti", "dm", "se", "ds", "sv", "dv", "suppdv")
# SOURCE_DATE_EPOCH for 2026-12-01T14:30:00Z: 20788 days × 86400 + 14.5 h × 3600 = 1796135400.
EPOCH_SECONDS = "1796135400"
CREATED = "2026-12-01T14:30:00Z"

# The roster: every column the contract names, plus `name`, which must reach no file.
# 001 late Day 0, then every visit to M12 (completed); 002 withdrawn by subject after D7
# (site 02; category in lower case); 003 died in follow-up (sex "m"); 004 enrolled on the
# as-of date, nothing done (sex 女); 005 no site, no sex, no age, no consent date.
ROSTER = """\
participant_id,enrollment_date,site,consent_date,sex,age,withdrawal_date,withdrawal_reason,withdrawal_category,name
001,2010-09-01,01,2010-08-30,M,34,,,,Wang Fang
002,2011-06-01,02,2011-05-30,F,27,2011-06-10,Moved to another city,withdrawal by subject,Li Na
003,2011-04-01,01,2011-04-01,m,45,2011-06-20,Road traffic accident,DEATH,Zhang Wei
004,2011-09-30,01,2011-09-28,女,19,,,,张伟
005,2011-07-01,,,,,,,,Chen Jing
"""
NAMES = ("Wang Fang", "Li Na", "Zhang Wei", "张伟", "Chen Jing")

# The built-in windows (PRODUCT.md, "The protocol"), each from the actual D0:
#   D7 ± 1, D14 ± 2, M1 = D0 + 30 ± 3, M3 + 90 ± 7, M6 + 180 ± 14, M9 + 270 ± 14, M12 + 365 ± 14.
#
# 001: enrolled 09-01, D0 window 09-01 … 09-01 (± 0); done 2010-09-03 → late by 2, no reason.
#   D7: 09-03 + 7 = 09-10 ± 1 → 09-09 … 09-11; done 09-10 (in window).
#   D14: 09-03 + 14 = 09-17 ± 2 → 09-15 … 09-19; done 09-17.
#   M1: 09-03 + 30 = 10-03 (27 days to 09-30, + 3) ± 3 → 09-30 … 10-06; done 10-04.
#   M3: 09-03 + 90 = 12-02 (09-30 is +27, 10-31 +58, 11-30 +88, + 2) ± 7 → 11-25 … 12-09; done 12-02.
#   M6: 09-03 + 180 = 2011-03-02 (12-31 +119, 01-31 +150, 02-28 +178, + 2) ± 14 → 02-16 … 03-16; done 03-01.
#   M9: 09-03 + 270 = 2011-05-31 (03-31 +209, 04-30 +239, 05-31 +270) ± 14 → 05-17 … 06-14; done 06-01.
#   M12: 09-03 + 365 = 2011-09-03 (no 29 February between) ± 14 → 08-20 … 09-17; done 09-05.
# 002: D0 2011-06-01 (in window); D7: 06-08 ± 1 → 06-07 … 06-09, done 06-06 → early by 1, no
#   reason; withdrawn 06-10; D14 window 06-13 … 06-17 closes after the withdrawal → withdrawn
#   (no SV, no DV), and so every later visit.
# 003: D0 2011-04-01; D7 04-08 (04-07 … 04-09); D14 04-15 (04-13 … 04-17); M1: 04-01 + 30 =
#   05-01 ± 3 → 04-28 … 05-04, done 05-02; died 06-20; M3: 04-01 + 90 = 06-30 ± 7 →
#   06-23 … 07-07 closes after 06-20 → withdrawn.
# 004: enrolled on the as-of date: D0 (window 09-30 … 09-30) is due; nothing else is due.
# 005: D0 2011-07-01; D7: 07-08 ± 1 → 07-07 … 07-09, done 07-11 → late by 2, with a reason;
#   D14: 07-15 ± 2 → 07-13 … 07-17, done 07-15; M1: 07-01 + 30 = 07-31 ± 3 → 07-28 … 08-03,
#   recorded not done with a reason → missed as of 09-30; M3: 07-01 + 90 = 09-29 ± 7 →
#   09-22 … 10-06 → due; M12: 07-01 + 365 = 2012-06-30 (29 February 2012 in between) → on study.
VISITS = """\
participant_id,visit_code,actual_date,reason
001,D0,2010-09-03,
001,D7,2010-09-10,
001,D14,2010-09-17,
001,M1,2010-10-04,
001,M3,2010-12-02,
001,M6,2011-03-01,
001,M9,2011-06-01,
001,M12,2011-09-05,
002,D0,2011-06-01,
002,D7,2011-06-06,
003,D0,2011-04-01,
003,D7,2011-04-08,
003,D14,2011-04-15,
003,M1,2011-05-02,
005,D0,2011-07-01,
005,D7,2011-07-11,Flooding closed the road
005,D14,2011-07-15,
005,M1,,In hospital elsewhere
"""

# USUBJID = STUDYID-SITEID-participant_id; 005 has no site: [study] site_id "01".
U1, U2, U3, U4, U5 = (f"{STUDYID}-01-001", f"{STUDYID}-02-002", f"{STUDYID}-01-003",
                      f"{STUDYID}-01-004", f"{STUDYID}-01-005")


def read(folder: Path, stem: str) -> list[dict[str, str]]:
    """One CSV dataset as a list of rows (every value text, as written)."""
    with open(folder / f"{stem}.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def header(folder: Path, stem: str) -> list[str]:
    with open(folder / f"{stem}.csv", newline="", encoding="utf-8") as stream:
        return next(csv.reader(stream))


def columns(rows: list[dict[str, str]], *names: str) -> list[tuple[str, ...]]:
    return [tuple(row[name] for name in names) for row in rows]


def export(folder: Path, *extra: str, as_of: str = AS_OF, output: str = "sdtm"):
    return run_cli("export", "sdtm", "-o", output, "--as-of", as_of, *extra, cwd=folder)


@pytest.fixture
def exported(study):
    """The five-participant study, exported as CSV as of 2011-09-30: (sdtm folder, run)."""
    folder = study(ROSTER, VISITS)
    result = export(folder)
    assert result.exit_code == 0, result.stderr
    return folder / "sdtm", result


# ---------------------------------------------------------------------------- the files


def test_one_lower_case_file_per_dataset_and_define_xml(exported):
    """CSV: ts.csv … suppdv.csv and define.xml, nothing else; UTF-8 without a byte-order mark;
    each header is the dataset's variables in the metadata's order."""
    sdtm, _ = exported
    assert sorted(path.name for path in sdtm.iterdir()) == sorted([f"{stem}.csv" for stem in STEMS]
                                                                   + ["define.xml"])
    for stem in STEMS:
        assert not (sdtm / f"{stem}.csv").read_bytes().startswith(b"\xef\xbb\xbf"), stem
        assert header(sdtm, stem) == list(DATASETS[stem.upper()].names), stem


# ---------------------------------------------------------------------------- trial design


def ts_row(parmcd: str, parm: str, value: str, code: str = "", reference: str = "") -> tuple[str, ...]:
    """A TS row: STUDYID, DOMAIN, TSSEQ 1, TSGRPID empty, …, TSVALNF empty, TSVCDVER empty."""
    return (STUDYID, "TS", "1", "", parmcd, parm, value, "", code, reference, "")


def ts_absent(parmcd: str, parm: str, study: str = STUDYID) -> tuple[str, ...]:
    """A parameter whose protocol key is absent: TSVAL empty, TSVALNF NI, no code, no reference."""
    return (study, "TS", "1", "", parmcd, parm, "", "NI", "", "", "")


TS_NAMES = ("STUDYID", "DOMAIN", "TSSEQ", "TSGRPID", "TSPARMCD", "TSPARM", "TSVAL", "TSVALNF", "TSVALCD",
            "TSVCDREF", "TSVCDVER")


def test_ts_of_the_built_in_protocol(exported):
    """Seventeen parameters sorted by TSPARMCD, TSSEQ 1 each; the built-in protocol has no
    add_on (the registry does not say), so ADDON is the only null flavour (NI)."""
    sdtm, _ = exported
    assert columns(read(sdtm, "ts"), *TS_NAMES) == [
        ts_absent("ADDON", "Added on to Existing Treatments"),           # no add_on key
        ts_row("AGEMAX", "Planned Maximum Age of Subjects", "P50Y", "", "ISO 8601"),      # age_max 50
        ts_row("AGEMIN", "Planned Minimum Age of Subjects", "P18Y", "", "ISO 8601"),      # age_min 18
        ts_row("INDIC", "Trial Disease/Condition Indication", "Type 1 Diabetes Mellitus"),
        ts_row("INTMODEL", "Intervention Model", "SINGLE GROUP", "C82640", "CDISC"),
        ts_row("PLANSUB", "Planned Number of Subjects", "24"),
        ts_row("RANDOM", "Trial is Randomized", "N", "C49487", "CDISC"),                   # randomized false
        ts_row("REGID", "Registry Identifier", "NCT01143168", "NCT01143168", "ClinicalTrials.gov"),
        ts_row("SDTIGVER", "SDTM IG Version", "3.4"),
        ts_row("SEXPOP", "Sex of Participants", "BOTH", "C49636", "CDISC"),
        ts_row("SPONSOR", "Clinical Study Sponsor", "Cellonis Biotechnology Co. Ltd."),
        # The earliest consent (001's 2010-08-30; the others 2011-04-01, 05-30, 09-28) before the
        # protocol's start_date "2010-08": the FDA's study start, so TS agrees with DM RFICDTC.
        ts_row("SSTDTC", "Study Start Date", "2010-08-30", "", "ISO 8601"),
        ts_row("STYPE", "Study Type", "INTERVENTIONAL", "C98388", "CDISC"),
        ts_row("TBLIND", "Trial Blinding Schema", "OPEN LABEL", "C49659", "CDISC"),
        ts_row("TITLE", "Trial Title", TITLE),
        ts_row("TPHASE", "Trial Phase Classification", "PHASE I TRIAL", "C15600", "CDISC"),
        ts_row("TRT", "Investigational Therapy or Treatment", TREATMENT),
    ]


def test_ta_and_te_of_the_built_in_protocol(exported):
    """One arm A named after the treatment; D0, D7, D14 (transplant) make the TREATMENT element
    TRT, M1 … M12 (follow-up) the FOLLOW-UP element FU, in the order of their first visit.
    TE is sorted by ETCD (FU before TRT)."""
    sdtm, _ = exported
    assert columns(read(sdtm, "ta"), *DATASETS["TA"].names) == [
        (STUDYID, "TA", "A", TREATMENT, "1", "TRT", "Treatment", "", "", "TREATMENT"),
        (STUDYID, "TA", "A", TREATMENT, "2", "FU", "Follow-up", "", "", "FOLLOW-UP"),
    ]
    assert columns(read(sdtm, "te"), *DATASETS["TE"].names) == [
        (STUDYID, "TE", "FU", "Follow-up", "First visit of the FOLLOW-UP epoch done (M1, M3, M6, M9, M12)",
         "End of participation (withdrawal or the last visit)", ""),
        (STUDYID, "TE", "TRT", "Treatment", "First visit of the TREATMENT epoch done (D0, D7, D14)",
         "First visit of the next element done", ""),
    ]


def test_tv_of_the_built_in_protocol(exported):
    """VISITNUM is the place in the file (the built-in protocol has no visitnum keys); VISITDY
    is the planned study day from D0's target (day N → N + 1); ARMCD empty."""
    sdtm, _ = exported

    def rule(day: int, anchor: str, minus: str, plus: str) -> str:
        return f"Day {day} from {anchor} (the target); window {minus} before to {plus} after"

    assert columns(read(sdtm, "tv"), *DATASETS["TV"].names) == [
        (STUDYID, "TV", "1", "Transplantation 1 (pancreatic artery)", "1", "",         # day 0 → 1
         rule(0, "enrollment", "0 days", "0 days"), "End of the same day"),
        (STUDYID, "TV", "2", "Transplantation 2 (intravenous)", "8", "",               # day 7 → 8
         rule(7, "D0", "1 day", "1 day"), "End of the same day"),
        (STUDYID, "TV", "3", "Transplantation 3 (intravenous)", "15", "",
         rule(14, "D0", "2 days", "2 days"), "End of the same day"),
        (STUDYID, "TV", "4", "Follow-up month 1", "31", "", rule(30, "D0", "3 days", "3 days"),
         "End of the same day"),
        (STUDYID, "TV", "5", "Follow-up month 3", "91", "", rule(90, "D0", "7 days", "7 days"),
         "End of the same day"),
        (STUDYID, "TV", "6", "Follow-up month 6", "181", "", rule(180, "D0", "14 days", "14 days"),
         "End of the same day"),
        (STUDYID, "TV", "7", "Follow-up month 9", "271", "", rule(270, "D0", "14 days", "14 days"),
         "End of the same day"),
        (STUDYID, "TV", "8", "Follow-up month 12 (end of study)", "366", "",
         rule(365, "D0", "14 days", "14 days"), "End of the same day"),
    ]


def test_ti_numbers_the_criteria_per_category_in_file_order(exported):
    """INCL01 … for the inclusion criteria and EXCL01 … for the exclusion ones, numbered in the
    protocol file's order, the text as written; sorted by IETESTCD (EXCL before INCL). The
    built-in protocol has 8 inclusion and 4 exclusion criteria."""
    sdtm, _ = exported
    with open(ROOT / "scheduler" / "protocol" / "nct01143168.toml", "rb") as stream:
        criteria = tomllib.load(stream)["criteria"]
    counts = {"INCLUSION": 0, "EXCLUSION": 0}
    expected = []
    for criterion in criteria:
        counts[criterion["category"]] += 1
        code = ("INCL" if criterion["category"] == "INCLUSION" else "EXCL") + f"{counts[criterion['category']]:02d}"
        expected.append((STUDYID, "TI", code, criterion["text"], criterion["category"]))
    assert counts == {"INCLUSION": 8, "EXCLUSION": 4}
    assert columns(read(sdtm, "ti"), *DATASETS["TI"].names) == sorted(expected, key=lambda row: row[2])


# ---------------------------------------------------------------------------- subjects


def test_dm_every_participant(exported):
    """One row per participant sorted by USUBJID (02-002 last); reference dates from the visits
    done, consent and death from the roster, SEX U when empty, COUNTRY from [study] country."""
    sdtm, _ = exported
    assert columns(read(sdtm, "dm"), *DATASETS["DM"].names) == [
        # 001: RFSTDTC = D0 done 2010-09-03; TREATMENT visits D0 09-03, D7 09-10, D14 09-17 →
        # RFXSTDTC 09-03, RFXENDTC = RFENDTC 09-17; not withdrawn → RFPENDTC = latest visit, M12 2011-09-05.
        (STUDYID, "DM", U1, "001", "2010-09-03", "2010-09-17", "2010-09-03", "2010-09-17", "2010-08-30",
         "2011-09-05", "", "", "01", "34", "YEARS", "M", "", "A", TREATMENT, "A", TREATMENT, "", "CHN"),
        # 003: D0 2011-04-01; TREATMENT 04-01 … 04-15; died 06-20 → RFPENDTC = DTHDTC 06-20, DTHFL Y; "m" → M.
        (STUDYID, "DM", U3, "003", "2011-04-01", "2011-04-15", "2011-04-01", "2011-04-15", "2011-04-01",
         "2011-06-20", "2011-06-20", "Y", "01", "45", "YEARS", "M", "", "A", TREATMENT, "A", TREATMENT, "",
         "CHN"),
        # 004: nothing done → no reference dates, no actual arm: ARMNRS ASSIGNED, NOT TREATED; 女 → F.
        (STUDYID, "DM", U4, "004", "", "", "", "", "2011-09-28", "", "", "", "01", "19", "YEARS", "F", "",
         "A", TREATMENT, "", "", "ASSIGNED, NOT TREATED", "CHN"),
        # 005: D0 07-01; TREATMENT 07-01 … 07-15 (D14); M1 not done → RFPENDTC = latest done, 07-15;
        # no site → SITEID 01 ([study] site_id); no age → AGE and AGEU empty; no sex → U.
        (STUDYID, "DM", U5, "005", "2011-07-01", "2011-07-15", "2011-07-01", "2011-07-15", "", "2011-07-15",
         "", "", "01", "", "", "U", "", "A", TREATMENT, "A", TREATMENT, "", "CHN"),
        # 002: D0 06-01; TREATMENT 06-01 (D0), 06-06 (D7); withdrawn 06-10 → RFPENDTC 06-10.
        (STUDYID, "DM", U2, "002", "2011-06-01", "2011-06-06", "2011-06-01", "2011-06-06", "2011-05-30",
         "2011-06-10", "", "", "02", "27", "YEARS", "F", "", "A", TREATMENT, "A", TREATMENT, "", "CHN"),
    ]


def test_dm_sex_unknown_is_a_warning_naming_the_participant(exported):
    """005 has no sex: SEX U, one warning on standard error naming 005, and the export still
    exits 0 (a warning)."""
    _, result = exported
    assert result.exit_code == 0
    assert "005" in result.stderr and "sex" in result.stderr.lower()


def test_se_elements_each_participant_entered(exported):
    """An element per epoch with a visit done; it ends where the next one starts; the last one
    ends at the withdrawal or the completion, else stays open. 004 (nothing done) has none."""
    sdtm, _ = exported
    assert columns(read(sdtm, "se"), *DATASETS["SE"].names) == [
        # 001: TRT from D0 09-03 (day 1) to FU's start, M1 10-04 (31 days on: day 32);
        #      FU from 10-04 to the completion, M12 2011-09-05 (367 days on: day 368).
        (STUDYID, "SE", U1, "1", "TRT", "Treatment", "1", "TREATMENT", "2010-09-03", "2010-10-04", "1", "32"),
        (STUDYID, "SE", U1, "2", "FU", "Follow-up", "2", "FOLLOW-UP", "2010-10-04", "2011-09-05", "32", "368"),
        # 003: TRT 04-01 → M1 05-02 (29 days to 04-30, + 2 = 31 on: day 32); FU 05-02 → death
        #      06-20 (04-30 +29, 05-31 +60, + 20 = 80 on: day 81).
        (STUDYID, "SE", U3, "1", "TRT", "Treatment", "1", "TREATMENT", "2011-04-01", "2011-05-02", "1", "32"),
        (STUDYID, "SE", U3, "2", "FU", "Follow-up", "2", "FOLLOW-UP", "2011-05-02", "2011-06-20", "32", "81"),
        # 005: TRT from 07-01, still in it (M1 not done: FU not started): no end.
        (STUDYID, "SE", U5, "1", "TRT", "Treatment", "1", "TREATMENT", "2011-07-01", "", "1", ""),
        # 002: TRT 06-01 → the withdrawal 06-10 (9 days on: day 10).
        (STUDYID, "SE", U2, "1", "TRT", "Treatment", "1", "TREATMENT", "2011-06-01", "2011-06-10", "1", "10"),
    ]


CONSENT = "INFORMED CONSENT OBTAINED"


def test_ds_consent_withdrawals_death_and_completion(exported):
    """Consent (a protocol milestone) for each consent_date; a disposition event for each
    withdrawal (DSTERM the reason, DSDECOD the category) and for the completion; on study (005)
    nothing; EPOCH the element the participant was in on the date."""
    sdtm, _ = exported
    assert columns(read(sdtm, "ds"), *DATASETS["DS"].names) == [
        # 001: consent 08-30, before TRT started (09-03): no EPOCH; 4 days before → day −4.
        (STUDYID, "DS", U1, "1", CONSENT, CONSENT, "PROTOCOL MILESTONE", "", "2010-08-30", "-4"),
        # 001: M12 (the visit with the latest window close) done 2011-09-05 → COMPLETED, its epoch; day 368.
        (STUDYID, "DS", U1, "2", "COMPLETED", "COMPLETED", "DISPOSITION EVENT", "FOLLOW-UP", "2011-09-05", "368"),
        # 003: consent on the D0 date 04-01 = TRT's start → on/after it: EPOCH TREATMENT; day 1.
        (STUDYID, "DS", U3, "1", CONSENT, CONSENT, "PROTOCOL MILESTONE", "TREATMENT", "2011-04-01", "1"),
        # 003: died 06-20, in FU (started 05-02); 80 days after 04-01 → day 81.
        (STUDYID, "DS", U3, "2", "Road traffic accident", "DEATH", "DISPOSITION EVENT", "FOLLOW-UP",
         "2011-06-20", "81"),
        # 004: consent 09-28; no element started, no RFSTDTC → no EPOCH, no study day.
        (STUDYID, "DS", U4, "1", CONSENT, CONSENT, "PROTOCOL MILESTONE", "", "2011-09-28", ""),
        # 002: consent 05-30, 2 days before D0 06-01 → day −2, no EPOCH.
        (STUDYID, "DS", U2, "1", CONSENT, CONSENT, "PROTOCOL MILESTONE", "", "2011-05-30", "-2"),
        # 002: withdrew 06-10 in TRT (06-01 …); "withdrawal by subject" → upper case; day 10.
        (STUDYID, "DS", U2, "2", "Moved to another city", "WITHDRAWAL BY SUBJECT", "DISPOSITION EVENT",
         "TREATMENT", "2011-06-10", "10"),
    ]


SV_NAMES = ("USUBJID", "VISITNUM", "VISIT", "SVOCCUR", "SVREASOC", "VISITDY", "EPOCH", "SVSTDTC", "SVSTDY")


def test_sv_carries_the_visit_epoch(exported):
    """A row per visit done or missed (not for visits cancelled by a withdrawal, nor due or
    upcoming ones), sorted by USUBJID and VISITNUM, each with its visit's EPOCH."""
    sdtm, _ = exported
    rows = read(sdtm, "sv")
    assert {(r["STUDYID"], r["DOMAIN"], r["SVPRESP"], r["SVUPDES"]) for r in rows} == {(STUDYID, "SV", "Y", "")}
    assert all(r["SVENDTC"] == r["SVSTDTC"] and r["SVENDY"] == r["SVSTDY"] for r in rows)
    t1, t2, t3 = ("Transplantation 1 (pancreatic artery)", "Transplantation 2 (intravenous)",
                  "Transplantation 3 (intravenous)")
    assert columns(rows, *SV_NAMES) == [
        # 001 from D0 2010-09-03: +7 → day 8, +14 → 15, +31 → 32, +90 → 91, +179 → 180, +271 → 272, +367 → 368.
        (U1, "1", t1, "Y", "", "1", "TREATMENT", "2010-09-03", "1"),
        (U1, "2", t2, "Y", "", "8", "TREATMENT", "2010-09-10", "8"),
        (U1, "3", t3, "Y", "", "15", "TREATMENT", "2010-09-17", "15"),
        (U1, "4", "Follow-up month 1", "Y", "", "31", "FOLLOW-UP", "2010-10-04", "32"),
        (U1, "5", "Follow-up month 3", "Y", "", "91", "FOLLOW-UP", "2010-12-02", "91"),
        (U1, "6", "Follow-up month 6", "Y", "", "181", "FOLLOW-UP", "2011-03-01", "180"),
        (U1, "7", "Follow-up month 9", "Y", "", "271", "FOLLOW-UP", "2011-06-01", "272"),
        (U1, "8", "Follow-up month 12 (end of study)", "Y", "", "366", "FOLLOW-UP", "2011-09-05", "368"),
        # 003 from 2011-04-01: 04-08 day 8, 04-15 day 15, 05-02 day 32; M3 withdrawn: no row.
        (U3, "1", t1, "Y", "", "1", "TREATMENT", "2011-04-01", "1"),
        (U3, "2", t2, "Y", "", "8", "TREATMENT", "2011-04-08", "8"),
        (U3, "3", t3, "Y", "", "15", "TREATMENT", "2011-04-15", "15"),
        (U3, "4", "Follow-up month 1", "Y", "", "31", "FOLLOW-UP", "2011-05-02", "32"),
        # 004: D0 due, the rest upcoming: no row.
        # 005 from 2011-07-01: 07-11 day 11, 07-15 day 15; M1 recorded not done: SVOCCUR N + reason.
        (U5, "1", t1, "Y", "", "1", "TREATMENT", "2011-07-01", "1"),
        (U5, "2", t2, "Y", "", "8", "TREATMENT", "2011-07-11", "11"),
        (U5, "3", t3, "Y", "", "15", "TREATMENT", "2011-07-15", "15"),
        (U5, "4", "Follow-up month 1", "N", "In hospital elsewhere", "31", "FOLLOW-UP", "", ""),
        # 002 from 2011-06-01: D7 06-06 → day 6; D14 on withdrawn: no row.
        (U2, "1", t1, "Y", "", "1", "TREATMENT", "2011-06-01", "1"),
        (U2, "2", t2, "Y", "", "8", "TREATMENT", "2011-06-06", "6"),
    ]


def test_a_visit_recorded_not_done_keeps_its_sv_row_whatever_its_status(study):
    """PRODUCT.md: a record of a visit not done keeps its SV row (SVOCCUR N) whatever its status:
    002's D14 (recorded not done, then withdrawn: status withdrawn) and 004's D0 (recorded not
    done on the as-of date: status due) each have one; neither is a deviation."""
    folder = study(ROSTER, VISITS + "002,D14,,Fever\n004,D0,,Catheter lab closed\n")
    assert export(folder).exit_code == 0
    sdtm = folder / "sdtm"
    rows = [row for row in read(sdtm, "sv") if row["USUBJID"] in (U2, U4)]
    assert columns(rows, "USUBJID", "VISITNUM", "SVOCCUR", "SVREASOC", "EPOCH", "SVSTDTC") == [
        (U4, "1", "N", "Catheter lab closed", "TREATMENT", ""),
        (U2, "1", "Y", "", "TREATMENT", "2011-06-01"),
        (U2, "2", "Y", "", "TREATMENT", "2011-06-06"),
        (U2, "3", "N", "Fever", "TREATMENT", ""),
    ]
    assert [row["DVREFID"] for row in read(sdtm, "dv") if row["USUBJID"] in (U2, U4)] == ["D7"]


def test_dv_carries_the_visit_epoch(exported):
    """A row per early, late or missed visit, sorted by USUBJID, DVSTDTC, DVREFID; DVSEQ per
    USUBJID in that order; EPOCH the visit's."""
    sdtm, _ = exported
    assert columns(read(sdtm, "dv"), *DATASETS["DV"].names) == [
        # 001 D0: window 09-01 … 09-01, done 09-03 → 2 days after; day 1 (the reference itself).
        (STUDYID, "DV", U1, "1", "D0", "Transplantation 1 (pancreatic artery) done 2 days after its window",
         "VISIT OUT OF WINDOW", "VISIT SCHEDULE", "TREATMENT", "2010-09-03", "1"),
        # 005 D7: window 07-07 … 07-09, done 07-11 → 2 days after; 10 days after 07-01 → day 11.
        (STUDYID, "DV", U5, "1", "D7", "Transplantation 2 (intravenous) done 2 days after its window",
         "VISIT OUT OF WINDOW", "VISIT SCHEDULE", "TREATMENT", "2011-07-11", "11"),
        # 005 M1: window closed 08-03 → the deviation starts 08-04, 34 days after 07-01 → day 35.
        # EPOCH: on 08-04 005 is still in TRT (no FOLLOW-UP visit done: SE says so), not M1's own.
        (STUDYID, "DV", U5, "2", "M1", "Follow-up month 1 missed (window closed 2011-08-03)",
         "MISSED VISIT", "VISIT SCHEDULE", "TREATMENT", "2011-08-04", "35"),
        # 002 D7: window 06-07 … 06-09, done 06-06 → 1 day before; 5 days after 06-01 → day 6.
        (STUDYID, "DV", U2, "1", "D7", "Transplantation 2 (intravenous) done 1 day before its window",
         "VISIT OUT OF WINDOW", "VISIT SCHEDULE", "TREATMENT", "2011-06-06", "6"),
    ]


def test_suppdv_holds_the_reasons_of_deviations_that_have_one(exported):
    """SUPPDV: one row per DV row whose visit record has a reason (005's late D7 and missed M1),
    tied by DVSEQ; 001's D0 and 002's D7 have no reason and no row."""
    sdtm, _ = exported
    assert columns(read(sdtm, "suppdv"), *DATASETS["SUPPDV"].names) == [
        (STUDYID, "DV", U5, "DVSEQ", "1", "DVREAS", "Reason for Deviation", "Flooding closed the road", "Collected", ""),
        (STUDYID, "DV", U5, "DVSEQ", "2", "DVREAS", "Reason for Deviation", "In hospital elsewhere", "Collected", ""),
    ]


# ---------------------------------------------------------------------------- formats


def every_file(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_no_roster_name_reaches_any_exported_file(study):
    """The roster's `name` column (Latin and Chinese names) is in no byte of any file of the
    export, in any of the three formats, define.xml included."""
    folder = study(ROSTER, VISITS)
    for file_format in ("csv", "xpt", "dataset-json"):
        result = export(folder, "--format", file_format, output=f"out-{file_format}")
        assert result.exit_code == 0, result.stderr
        files = every_file(folder / f"out-{file_format}")
        assert len(files) == len(STEMS) + 1
        for name, data in files.items():
            for person in NAMES:
                assert person.encode("utf-8") not in data, (file_format, name, person)


def test_xpt_files_are_lower_case_and_read_back_as_the_csv(study):
    """--format xpt: dm.xpt … suppdv.xpt (lower-case names) and define.xml; the SAS table name is
    upper-case (DM); DM reads back with the CSV's columns and values."""
    import pyreadstat

    folder = study(ROSTER, VISITS)
    assert export(folder, "--format", "xpt", output="xpt").exit_code == 0
    assert export(folder, output="csv").exit_code == 0
    assert sorted(path.name for path in (folder / "xpt").iterdir()) == sorted(
        [f"{stem}.xpt" for stem in STEMS] + ["define.xml"])
    frame, meta = pyreadstat.read_xport(str(folder / "xpt" / "dm.xpt"))
    assert meta.table_name == "DM"
    assert list(frame.columns) == list(DATASETS["DM"].names)
    expected = read(folder / "csv", "dm")
    for column in frame.columns:
        values = ["" if value != value else (str(int(value)) if isinstance(value, float) else value)
                  for value in frame[column]]   # NaN (missing) → "", 34.0 → "34"
        assert values == [row[column] for row in expected], column


def test_dataset_json_files_are_lower_case_and_hold_the_rows(study):
    """--format dataset-json: dm.json … and define.xml; dm.json is Dataset-JSON 1.1 with DM's
    columns and OIDs, five records in USUBJID order, AGE a number (null when missing), and no
    dbLastModifiedDateTime (the folder has no audit trail)."""
    folder = study(ROSTER, VISITS)
    assert export(folder, "--format", "dataset-json", output="json").exit_code == 0
    assert sorted(path.name for path in (folder / "json").iterdir()) == sorted(
        [f"{stem}.json" for stem in STEMS] + ["define.xml"])
    data = json.loads((folder / "json" / "dm.json").read_text("utf-8"))
    assert data["datasetJSONVersion"].startswith("1.1")
    assert (data["name"], data["label"], data["itemGroupOID"]) == ("DM", "Demographics", "IG.DM")
    names = [column["name"] for column in data["columns"]]
    assert names == list(DATASETS["DM"].names)
    assert data["columns"][names.index("USUBJID")]["itemOID"] == "IT.DM.USUBJID"
    assert data["records"] == len(data["rows"]) == 5
    assert [row[names.index("USUBJID")] for row in data["rows"]] == [U1, U3, U4, U5, U2]
    assert [row[names.index("AGE")] for row in data["rows"]] == [34, 45, 19, None, 27]
    assert "dbLastModifiedDateTime" not in data
    schema = ROOT / "tests" / "schemas" / "dataset.schema.json"
    if schema.exists():
        import jsonschema

        jsonschema.validate(data, json.loads(schema.read_text("utf-8")))


XLINK = "{http://www.w3.org/1999/xlink}href"


@pytest.mark.parametrize(("file_format", "extension"), [("csv", "csv"), ("xpt", "xpt"), ("dataset-json", "json")])
def test_define_xml_names_the_files_of_the_format_written(study, monkeypatch, file_format, extension):
    """define.xml is written whatever the format; its def:leaf hrefs name the files written
    (dm.csv, dm.xpt or dm.json); ODM/@CreationDateTime is SOURCE_DATE_EPOCH in UTC."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_SECONDS)
    folder = study(ROSTER, VISITS)
    assert export(folder, "--format", file_format).exit_code == 0
    root = ET.parse(folder / "sdtm" / "define.xml").getroot()
    assert root.tag.endswith("}ODM") and root.get("CreationDateTime") == CREATED
    leaves = {element.get(XLINK) for element in root.iter() if element.tag.endswith("}leaf")}
    assert leaves == {f"{stem}.{extension}" for stem in STEMS}


@pytest.mark.parametrize("file_format", ["csv", "xpt", "dataset-json"])
def test_two_exports_of_the_same_data_are_byte_identical(study, monkeypatch, file_format):
    """With SOURCE_DATE_EPOCH set, two exports a second apart are equal byte for byte, every
    file (the SAS transport header and the creation timestamps included)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_SECONDS)
    folder = study(ROSTER, VISITS)
    assert export(folder, "--format", file_format, output="first").exit_code == 0
    time.sleep(1.1)
    assert export(folder, "--format", file_format, output="second").exit_code == 0
    assert every_file(folder / "first") == every_file(folder / "second")
    if file_format == "dataset-json":
        data = json.loads((folder / "first" / "dm.json").read_text("utf-8"))
        assert data["datasetJSONCreationDateTime"] == CREATED


# ---------------------------------------------------------------------------- refusals


def names_line(text: str, number: int) -> bool:
    """The message names line ``number`` ("participants.csv:5", "line 5", "lines 3 and 5")."""
    return re.search(rf"(?<![\w.-]){number}(?![\w.-])", text) is not None


def test_two_participants_with_one_usubjid_refuse_the_export(study):
    """02-003 at site 01 and 003 at site 01-02 both make NCT01143168-01-02-003: exit 2, both
    participants and their roster lines (3 and 5) named, nothing written."""
    folder = study("participant_id,enrollment_date,site\n"
                   "001,2010-09-01,01\n"
                   "02-003,2010-09-01,01\n"
                   "004,2010-09-01,01\n"
                   "003,2010-09-01,01-02\n")
    result = export(folder, as_of="2010-09-25")
    assert result.exit_code == 2
    assert "02-003" in result.stderr
    assert re.search(r"(?<![\w-])003(?![\w-])", result.stderr), result.stderr
    assert names_line(result.stderr, 3) and names_line(result.stderr, 5), result.stderr
    assert sorted(path.name for path in folder.iterdir()) == ["participants.csv"]


@pytest.mark.parametrize("roster", [
    "participant_id,enrollment_date,withdrawal_date,withdrawal_reason\n"
    "001,2010-09-01,2010-09-20,Moved away\n",
    "participant_id,enrollment_date,withdrawal_date,withdrawal_reason,withdrawal_category\n"
    "001,2010-09-01,2010-09-20,Moved away,\n",
], ids=["no category column", "empty category"])
def test_a_withdrawal_without_a_category_refuses_the_export(study, roster):
    """A withdrawal (on or before the as-of date) with no withdrawal_category: exit 2, the
    participant named with the fix (correct … --withdrawal-category), nothing written."""
    folder = study(roster, "participant_id,visit_code,actual_date\n001,D0,2010-09-01\n")
    result = export(folder, as_of="2010-09-25")
    assert result.exit_code == 2
    assert "001" in result.stderr and "--withdrawal-category" in result.stderr
    assert sorted(path.name for path in folder.iterdir()) == ["participants.csv", "visits.csv"]


SMALL = """\
[study]
id = "S1"
title = "A small study"
timezone = "Asia/Shanghai"
site_id = "9"
day0 = "D0"
{clinic}
[[visits]]
code = "D0"
kind = "transplant"
day = 0
visitnum = 10

[[visits]]
code = "D7"
kind = "treatment"
anchor = "D0"
day = 7
plus = 1
visitnum = 20

[[visits]]
code = "X1"
kind = "lab"
{epoch}anchor = "D0"
day = 28
minus = 2
plus = 2
visitnum = 30

[[visits]]
code = "M2"
kind = "follow-up"
anchor = "D0"
day = 56
visitnum = 40
"""
CLINIC_CN = '[clinic]\ncountry = "CN"\n'
EXTENSION = 'epoch = "extension"\n'


def test_country_is_refused_when_the_protocol_gives_none(study):
    """Neither [study] country nor [clinic] country: exit 2 with the fix (add country = "CHN"
    to [study]), nothing written."""
    folder = study("participant_id,enrollment_date\nP1,2011-03-01\n", None,
                   SMALL.format(clinic="", epoch=EXTENSION))
    result = export(folder, as_of="2011-05-10")
    assert result.exit_code == 2
    assert 'country = "CHN"' in result.stderr
    assert not (folder / "sdtm").exists()


def test_a_visit_without_an_epoch_is_refused_by_the_export_and_a_warning_in_protocol(study):
    """X1 has kind "lab" (no default epoch) and no epoch key: `protocol` warns naming X1 (exit 0);
    `export sdtm` refuses naming X1 (exit 2, nothing written)."""
    folder = study("participant_id,enrollment_date\nP1,2011-03-01\n", None,
                   SMALL.format(clinic=CLINIC_CN, epoch=""))
    checked = run_cli("protocol", cwd=folder)
    assert checked.exit_code == 0 and "X1" in checked.stderr
    result = export(folder, as_of="2011-05-10")
    assert result.exit_code == 2 and "X1" in result.stderr
    assert not (folder / "sdtm").exists()


def test_two_visits_with_one_visitnum_are_refused(study):
    """visitnum values are unique: a protocol problem (exit 2), nothing written."""
    protocol = SMALL.format(clinic=CLINIC_CN, epoch=EXTENSION).replace("visitnum = 40", "visitnum = 30")
    folder = study("participant_id,enrollment_date\nP1,2011-03-01\n", None, protocol)
    result = export(folder, as_of="2011-05-10")
    assert result.exit_code == 2
    assert not (folder / "sdtm").exists()


# ---------------------------------------------------------------------------- a protocol of one's own

# P1 does every visit on its target; P2 only D0, and the others are missed by 2011-05-10.
# P1 from D0 2011-03-01: D7 03-08 (window 03-08 … 03-09), X1 03-01 + 28 = 03-29 (03-27 …
#   03-31), M2 03-01 + 56 = 04-26 (04-26 … 04-26).
# P2 from D0 2011-03-10: D7 03-17 … 03-18, X1 03-10 + 28 = 04-07 → 04-05 … 04-09, M2
#   03-10 + 56 = 05-05 → 05-05 … 05-05: all closed before 05-10 → missed.
SMALL_ROSTER = """\
participant_id,enrollment_date,consent_date,sex,age
P1,2011-03-01,2011-02-20,F,30
P2,2011-03-10,2011-02-25,M,40
"""
SMALL_VISITS = """\
participant_id,visit_code,actual_date
P1,D0,2011-03-01
P1,D7,2011-03-08
P1,X1,2011-03-29
P1,M2,2011-04-26
P2,D0,2011-03-10
"""


@pytest.fixture
def small(study):
    folder = study(SMALL_ROSTER, SMALL_VISITS, SMALL.format(clinic=CLINIC_CN, epoch=EXTENSION))
    result = export(folder, as_of="2011-05-10")
    assert result.exit_code == 0, result.stderr
    return folder / "sdtm"


def test_a_protocol_without_the_design_keys(small):
    """Every TS parameter without its key is NI (S1 is no NCT number: no REGID); SSTDTC is the
    earliest consent date (02-20); the title is the protocol's. TI and SUPPDV are written with
    their header only."""
    absent = {"ADDON": "Added on to Existing Treatments", "AGEMAX": "Planned Maximum Age of Subjects",
              "AGEMIN": "Planned Minimum Age of Subjects", "INDIC": "Trial Disease/Condition Indication",
              "INTMODEL": "Intervention Model", "PLANSUB": "Planned Number of Subjects",
              "RANDOM": "Trial is Randomized", "REGID": "Registry Identifier", "SEXPOP": "Sex of Participants",
              "SPONSOR": "Clinical Study Sponsor", "STYPE": "Study Type", "TBLIND": "Trial Blinding Schema",
              "TPHASE": "Trial Phase Classification", "TRT": "Investigational Therapy or Treatment"}
    present = {"SDTIGVER": ("S1", "TS", "1", "", "SDTIGVER", "SDTM IG Version", "3.4", "", "", "", ""),
               "SSTDTC": ("S1", "TS", "1", "", "SSTDTC", "Study Start Date", "2011-02-20", "", "", "ISO 8601", ""),
               "TITLE": ("S1", "TS", "1", "", "TITLE", "Trial Title", "A small study", "", "", "", "")}
    expected = {code: ts_absent(code, parm, "S1") for code, parm in absent.items()} | present
    assert columns(read(small, "ts"), *TS_NAMES) == [expected[code] for code in sorted(expected)]
    assert read(small, "ti") == [] and header(small, "ti") == list(DATASETS["TI"].names)
    assert read(small, "suppdv") == [] and header(small, "suppdv") == list(DATASETS["SUPPDV"].names)


def test_an_epoch_of_ones_own_and_visitnum_keys(small):
    """Epochs in the order of their first visit: TREATMENT (D0), EXTENSION (X1, "extension"
    upper-cased), FOLLOW-UP (M2); EXTENSION's element is its first 8 characters, EXTENSIO,
    "Extension" in sentence case. The arm without [study] treatment is "Single group".
    VISITNUM comes from the visitnum keys (10, 20, 30, 40)."""
    arm = "Single group"
    assert columns(read(small, "ta"), *DATASETS["TA"].names) == [
        ("S1", "TA", "A", arm, "1", "TRT", "Treatment", "", "", "TREATMENT"),
        ("S1", "TA", "A", arm, "2", "EXTENSIO", "Extension", "", "", "EXTENSION"),
        ("S1", "TA", "A", arm, "3", "FU", "Follow-up", "", "", "FOLLOW-UP"),
    ]
    nxt, last = "First visit of the next element done", "End of participation (withdrawal or the last visit)"
    assert columns(read(small, "te"), *DATASETS["TE"].names) == [
        ("S1", "TE", "EXTENSIO", "Extension", "First visit of the EXTENSION epoch done (X1)", nxt, ""),
        ("S1", "TE", "FU", "Follow-up", "First visit of the FOLLOW-UP epoch done (M2)", last, ""),
        ("S1", "TE", "TRT", "Treatment", "First visit of the TREATMENT epoch done (D0, D7)", nxt, ""),
    ]
    # VISITDY from D0's target: day 0 → 1, 7 → 8, 28 → 29, 56 → 57. VISIT is the code (no name).
    assert columns(read(small, "tv"), "VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL") == [
        ("10", "D0", "1", "", "Day 0 from enrollment (the target); window 0 days before to 0 days after"),
        ("20", "D7", "8", "", "Day 7 from D0 (the target); window 0 days before to 1 day after"),
        ("30", "X1", "29", "", "Day 28 from D0 (the target); window 2 days before to 2 days after"),
        ("40", "M2", "57", "", "Day 56 from D0 (the target); window 0 days before to 0 days after"),
    ]
    assert columns(read(small, "sv"), "USUBJID", "VISITNUM", "SVOCCUR", "EPOCH", "SVSTDTC", "SVSTDY") == [
        ("S1-9-P1", "10", "Y", "TREATMENT", "2011-03-01", "1"),
        ("S1-9-P1", "20", "Y", "TREATMENT", "2011-03-08", "8"),     # 7 days on
        ("S1-9-P1", "30", "Y", "EXTENSION", "2011-03-29", "29"),    # 28 days on
        ("S1-9-P1", "40", "Y", "FOLLOW-UP", "2011-04-26", "57"),    # 56 days on
        ("S1-9-P2", "10", "Y", "TREATMENT", "2011-03-10", "1"),
        ("S1-9-P2", "20", "N", "TREATMENT", "", ""),
        ("S1-9-P2", "30", "N", "EXTENSION", "", ""),
        ("S1-9-P2", "40", "N", "FOLLOW-UP", "", ""),
    ]
    # P2's missed visits start the day after each window: 03-19 (9 days after 03-10: day 10),
    # 04-10 (21 to 03-31, + 10 = 31: day 32), 05-06 (21 + 30 + 6 = 57: day 58). EPOCH: P2 only
    # ever began TRT (D0), so each deviation falls in TREATMENT, as SE has it.
    assert columns(read(small, "dv"), "USUBJID", "DVSEQ", "DVREFID", "DVDECOD", "EPOCH", "DVSTDTC", "DVSTDY") == [
        ("S1-9-P2", "1", "D7", "MISSED VISIT", "TREATMENT", "2011-03-19", "10"),
        ("S1-9-P2", "2", "X1", "MISSED VISIT", "TREATMENT", "2011-04-10", "32"),
        ("S1-9-P2", "3", "M2", "MISSED VISIT", "TREATMENT", "2011-05-06", "58"),
    ]


def test_completion_when_the_last_window_has_closed(small):
    """P1 did M2 (the last window): COMPLETED on its date. P2 missed it (its window closed 05-05,
    before the as-of date) after doing D0: COMPLETED on the last contact, D0's 03-10 (SDTMIG:
    RFPENDTC is the last known contact, and DS and SE end there too), in the epoch of the element
    P2 was in; COUNTRY CHN from [clinic] CN."""
    arm = "Single group"
    assert columns(read(small, "dm"), *DATASETS["DM"].names) == [
        # P1: TREATMENT visits D0 03-01, D7 03-08; latest visit M2 04-26.
        ("S1", "DM", "S1-9-P1", "P1", "2011-03-01", "2011-03-08", "2011-03-01", "2011-03-08", "2011-02-20",
         "2011-04-26", "", "", "9", "30", "YEARS", "F", "", "A", arm, "A", arm, "", "CHN"),
        # P2: only D0 03-10 done: every reference date, RFPENDTC included (the last contact), 03-10.
        ("S1", "DM", "S1-9-P2", "P2", "2011-03-10", "2011-03-10", "2011-03-10", "2011-03-10", "2011-02-25",
         "2011-03-10", "", "", "9", "40", "YEARS", "M", "", "A", arm, "A", arm, "", "CHN"),
    ]
    assert columns(read(small, "se"), *DATASETS["SE"].names) == [
        # P1: TRT 03-01 → X1 03-29 (day 29); EXTENSIO 03-29 → M2 04-26 (day 57); FU 04-26 → completion 04-26.
        ("S1", "SE", "S1-9-P1", "1", "TRT", "Treatment", "1", "TREATMENT", "2011-03-01", "2011-03-29", "1", "29"),
        ("S1", "SE", "S1-9-P1", "2", "EXTENSIO", "Extension", "2", "EXTENSION", "2011-03-29", "2011-04-26", "29",
         "57"),
        ("S1", "SE", "S1-9-P1", "3", "FU", "Follow-up", "3", "FOLLOW-UP", "2011-04-26", "2011-04-26", "57", "57"),
        # P2: TRT from 03-10, the only element started, ends at the completion, the last contact 03-10.
        ("S1", "SE", "S1-9-P2", "1", "TRT", "Treatment", "1", "TREATMENT", "2011-03-10", "2011-03-10", "1", "1"),
    ]
    assert columns(read(small, "ds"), *DATASETS["DS"].names) == [
        # P1 consent 02-20: 9 days before 03-01 (February 2011 has 28 days) → day −9.
        ("S1", "DS", "S1-9-P1", "1", CONSENT, CONSENT, "PROTOCOL MILESTONE", "", "2011-02-20", "-9"),
        ("S1", "DS", "S1-9-P1", "2", "COMPLETED", "COMPLETED", "DISPOSITION EVENT", "FOLLOW-UP", "2011-04-26", "57"),
        # P2 consent 02-25: 13 days before 03-10 → day −13; completion on the last contact 03-10 → day 1.
        ("S1", "DS", "S1-9-P2", "1", CONSENT, CONSENT, "PROTOCOL MILESTONE", "", "2011-02-25", "-13"),
        # EPOCH: the element P2 was in on 03-10 — TRT, the only one begun (not M2's FOLLOW-UP).
        ("S1", "DS", "S1-9-P2", "2", "COMPLETED", "COMPLETED", "DISPOSITION EVENT", "TREATMENT", "2011-03-10", "1"),
    ]


def test_study_start_falls_back_to_the_earliest_enrollment_with_a_warning(study):
    """No start_date and no consent dates: SSTDTC is the earliest enrollment date (P1's
    2011-03-01, though listed second) and a warning says so (it names SSTDTC or start_date)."""
    folder = study("participant_id,enrollment_date\nP2,2011-03-10\nP1,2011-03-01\n", None,
                   SMALL.format(clinic=CLINIC_CN, epoch=EXTENSION))
    result = export(folder, as_of="2011-05-10")
    assert result.exit_code == 0, result.stderr
    sstdtc = [row for row in read(folder / "sdtm", "ts") if row["TSPARMCD"] == "SSTDTC"]
    assert columns(sstdtc, "TSVAL", "TSVALNF", "TSVCDREF") == [("2011-03-01", "", "ISO 8601")]
    assert "SSTDTC" in result.stderr or "start_date" in result.stderr
