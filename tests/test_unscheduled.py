"""Unscheduled visits through the real command: records of an [unscheduled] code (default
UNS), any number per participant, listed after the planned visits with status
"unscheduled", never judged, never an anchor, never on the worklist; their SDTM SV rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .conftest import run_cli

ROSTER = "participant_id,enrollment_date,sex,consent_date\nP1,2010-09-01,F,2010-08-30\nP2,2010-09-01,M,2010-08-30\n"
# P1: D0 09-01 and D7 09-08 done; three unscheduled visits, the second without a reason.
# P2: an unscheduled visit before enrollment (a problem), one without a date (a problem).
VISITS = """\
participant_id,visit_code,actual_date,reason
P1,D0,2010-09-01,
P1,UNS,2010-09-04,fever
P1,UNS,2010-09-06,
P1,D7,2010-09-08,
P1,UNS,2010-09-10,rash
P2,UNS,2010-08-30,dizzy
P2,UNS,,headache
"""
AS_OF = "2010-09-12"


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def test_check_lists_them_after_the_planned_visits_and_judges_none(study):
    """P1's three unscheduled visits follow its eight planned ones, by date; the deviation
    count is the planned visits' alone; two records of P2 are data problems (exit 1); the
    one without a reason is warned about, not a problem."""
    folder = study(ROSTER, VISITS)
    result = run_cli("check", "--as-of", AS_OF, "-o", "c.csv", cwd=folder)
    assert result.exit_code == 1, result.stderr
    rows = read(folder / "c.csv")
    p1 = [(r["visit_code"], r["actual_date"], r["status"], r["reason"]) for r in rows if r["participant_id"] == "P1"]
    assert [code for code, *_ in p1] == ["D0", "D7", "D14", "M1", "M3", "M6", "M9", "M12", "UNS", "UNS", "UNS"]
    assert p1[8:] == [("UNS", "2010-09-04", "unscheduled", "fever"), ("UNS", "2010-09-06", "unscheduled", ""),
                      ("UNS", "2010-09-10", "unscheduled", "rash")]
    # Unscheduled rows have no window and no days outside.
    assert all(r["target_date"] == r["window_open"] == r["window_close"] == r["days_outside"] == ""
               for r in rows if r["status"] == "unscheduled")
    # P2 has no unscheduled row: both of its records are problems.
    assert [r["status"] for r in rows if r["participant_id"] == "P2"].count("unscheduled") == 0
    assert ("visits.csv:7: column actual_date: the date is before P2 was enrolled (2010-09-01) (value "
            "'2010-08-30')") in result.stderr
    assert "visits.csv:8: column actual_date: an unscheduled visit needs the date it took place" in result.stderr
    assert "reason missing for 1 unscheduled visit: P1 UNS 2010-09-06" in result.stderr
    # As of 09-12: P2's D0 (09-01) and D7 (09-07 … 09-09) are missed: 2 deviations; P1: none
    # (D0 on 09-01, D7 on 09-08 inside 09-07 … 09-09; D14's window 09-13 … 09-17 not open).
    terminal = run_cli("check", "--as-of", AS_OF, cwd=folder)
    assert "as of 2010-09-12, 2 deviations in 16 expected visits" in terminal.stdout


def test_they_are_never_anchors_nor_on_the_worklist(study):
    """P1's D14 hangs on D0's actual date 09-01 (+ 14 = 09-15), not on an unscheduled visit;
    `due` lists planned visits only."""
    folder = study(ROSTER, VISITS)
    result = run_cli("due", "--as-of", AS_OF, "-o", "d.csv", cwd=folder)
    rows = read(folder / "d.csv")
    assert {r["visit_code"] for r in rows} <= {"D0", "D7", "D14", "M1"} and rows, result.stderr
    d14 = next(r for r in rows if (r["participant_id"], r["visit_code"]) == ("P1", "D14"))
    assert d14["target_date"] == "2010-09-15"


def test_json_has_null_for_their_empty_cells(study):
    folder = study(ROSTER, VISITS)
    run_cli("check", "--as-of", AS_OF, "-o", "c.json", cwd=folder)
    extra = [r for r in json.loads((folder / "c.json").read_text("utf-8")) if r["status"] == "unscheduled"]
    assert extra[1] == {"participant_id": "P1", "visit_code": "UNS", "target_date": None, "window_open": None,
                        "window_close": None, "actual_date": "2010-09-06", "status": "unscheduled",
                        "days_outside": None, "reason": None, "as_of": AS_OF, "visit_name": "Unscheduled visit",
                        "protocol_version": None}


def test_sdtm_sv_rows(study):
    """VISITNUM: the last planned visit done on or before the date, + 0.01 per unscheduled
    visit since: 09-04 and 09-06 after D0 (VISITNUM 1) → 1.01, 1.02; 09-10 after D7 (2) →
    2.01. VISIT UNSCHEDULED, SVPRESP/SVOCCUR/VISITDY empty, SVUPDES the reason; study days
    from D0 09-01: 09-04 is day 4, 09-06 day 6, 09-10 day 10. Never in DV."""
    folder = study(ROSTER, VISITS)
    assert run_cli("export", "sdtm", "--as-of", AS_OF, "-o", "sdtm", cwd=folder).exit_code == 1
    sv = [r for r in read(folder / "sdtm" / "sv.csv") if r["USUBJID"] == "NCT01143168-01-P1"]
    got = [(r["VISITNUM"], r["VISIT"], r["SVPRESP"], r["SVOCCUR"], r["VISITDY"], r["EPOCH"], r["SVSTDTC"],
            r["SVSTDY"], r["SVUPDES"]) for r in sv]
    assert got == [
        ("1", "Transplantation 1 (pancreatic artery)", "Y", "Y", "1", "TREATMENT", "2010-09-01", "1", ""),
        ("1.01", "UNSCHEDULED", "", "", "", "TREATMENT", "2010-09-04", "4", "fever"),
        ("1.02", "UNSCHEDULED", "", "", "", "TREATMENT", "2010-09-06", "6", ""),
        ("2", "Transplantation 2 (intravenous)", "Y", "Y", "8", "TREATMENT", "2010-09-08", "8", ""),
        ("2.01", "UNSCHEDULED", "", "", "", "TREATMENT", "2010-09-10", "10", "rash"),
    ]
    assert not [r for r in read(folder / "sdtm" / "dv.csv") if r["DVREFID"] == "UNS"]


def test_the_calendar_has_no_event_for_them(study):
    folder = study(ROSTER, VISITS)
    run_cli("calendar", "--as-of", AS_OF, "-o", "site.ics", cwd=folder)
    text = (folder / "site.ics").read_text("utf-8")
    assert "P1 D0" in text and "UNS" not in text


def test_codes_of_ones_own(study):
    """[unscheduled] codes = ["AE"]: AE records are unscheduled visits, and UNS is then an
    unknown code (a data problem)."""
    protocol = ('[study]\nid = "S"\ntimezone = "UTC"\ncountry = "CHN"\n[unscheduled]\ncodes = ["AE"]\n'
                '[[visits]]\ncode = "V0"\nkind = "treatment"\nday = 0\n')
    folder = study("participant_id,enrollment_date\nP1,2010-09-01\n",
                   "participant_id,visit_code,actual_date,reason\nP1,V0,2010-09-01,\nP1,AE,2010-09-03,rash\n"
                   "P1,UNS,2010-09-04,x\n", protocol)
    result = run_cli("check", "--as-of", AS_OF, "-o", "c.csv", cwd=folder)
    assert result.exit_code == 1
    assert [(r["visit_code"], r["status"]) for r in read(folder / "c.csv")] == [("V0", "in_window"),
                                                                                ("AE", "unscheduled")]
    assert "visits.csv:4: column visit_code: visit code not in the protocol" in result.stderr


def test_record_and_correct_them(study):
    """record ID UNS DATE: any number (the same date twice refused); without a reason, a
    warning; correct ID UNS NEWDATE --date OLD, --visit-reason, --remove; verify explains it."""
    folder = study(ROSTER, "participant_id,visit_code,actual_date,reason\nP1,D0,2010-09-01,\n")
    assert run_cli("record", "P1", "UNS", "2010-09-04", "--reason", "fever", cwd=folder).exit_code == 0
    result = run_cli("record", "P1", "UNS", "2010-09-06", cwd=folder)
    assert result.exit_code == 0 and "Warning: no reason recorded for P1 UNS on 2010-09-06" in result.stderr
    assert "an unscheduled visit (no window: never judged)" in result.stdout
    again = run_cli("record", "P1", "UNS", "2010-09-06", cwd=folder)
    assert again.exit_code == 2 and "P1 UNS on 2010-09-06 is already recorded (visits.csv:4)" in again.stderr
    before = run_cli("record", "P1", "UNS", "2010-08-20", cwd=folder)
    assert before.exit_code == 2 and "before the enrollment (2010-09-01)" in before.stderr
    moved = run_cli("correct", "P1", "UNS", "2010-09-07", "--date", "2010-09-06", "--visit-reason", "rash",
                    "--reason", "typed the wrong day", cwd=folder)
    assert moved.exit_code == 0, moved.stderr
    assert "Corrected P1 UNS actual_date: 2010-09-06 → 2010-09-07" in moved.stdout
    assert "Corrected P1 UNS reason: (empty) → rash" in moved.stdout
    unnamed = run_cli("correct", "P1", "UNS", "2010-09-08", "--reason", "x", cwd=folder)
    assert unnamed.exit_code == 2 and "--date OLD" in unnamed.stderr and "2010-09-04, 2010-09-07" in unnamed.stderr
    removed = run_cli("correct", "P1", "UNS", "--date", "2010-09-04", "--remove", "--reason", "entered twice",
                      cwd=folder)
    assert removed.exit_code == 0, removed.stderr
    rows = read(folder / "visits.csv")
    assert [(r["visit_code"], r["actual_date"], r["reason"]) for r in rows] == [
        ("D0", "2010-09-01", ""), ("UNS", "2010-09-07", "rash")]
    assert run_cli("verify", cwd=folder).exit_code == 0
    planned = run_cli("correct", "P1", "D0", "2010-09-02", "--date", "2010-09-01", "--reason", "x", cwd=folder)
    assert planned.exit_code == 2 and "is a planned visit" in planned.stderr


def test_a_planned_visit_coded_uns_stays_planned():
    """A protocol without [unscheduled] whose visit is coded UNS (written before unscheduled
    visits existed): no unscheduled codes, the visit is planned as before."""
    from scheduler.protocol import parse_protocol

    protocol = parse_protocol('[study]\nid = "S"\ntimezone = "UTC"\n[[visits]]\ncode = "UNS"\nday = 0\n', "p.toml")
    assert protocol.unscheduled == () and protocol.codes == ("UNS",)


def test_an_unscheduled_visit_is_a_contact_for_rfpendtc(study):
    """P1's last planned visit done is D7 (09-08); its unscheduled visit of 09-10 is a later
    contact: DM RFPENDTC 2010-09-10, so no SV record falls after the end of participation."""
    folder = study(ROSTER, VISITS)
    run_cli("export", "sdtm", "--as-of", AS_OF, "-o", "sdtm", cwd=folder)
    dm = {r["SUBJID"]: r["RFPENDTC"] for r in read(folder / "sdtm" / "dm.csv")}
    assert dm["P1"] == "2010-09-10"


def test_a_correction_cannot_make_two_records_of_one_day_and_two_are_told_apart(study):
    """Moving 09-04 onto 09-06 (taken) is refused; two records typed on one day need --line."""
    folder = study(ROSTER, "participant_id,visit_code,actual_date,reason\nP1,D0,2010-09-01,\n"
                           "P1,UNS,2010-09-04,fever\nP1,UNS,2010-09-06,rash\nP1,UNS,2010-09-06,rash again\n")
    taken = run_cli("correct", "P1", "UNS", "2010-09-06", "--date", "2010-09-04", "--reason", "x", cwd=folder)
    assert taken.exit_code == 2 and "P1 UNS on 2010-09-06 is already recorded" in taken.stderr
    which = run_cli("correct", "P1", "UNS", "--date", "2010-09-06", "--remove", "--reason", "twice", cwd=folder)
    assert which.exit_code == 2 and "has 2 records on 2010-09-06 (lines 4, 5 of visits.csv)" in which.stderr
    chosen = run_cli("correct", "P1", "UNS", "--date", "2010-09-06", "--line", "5", "--remove", "--reason",
                     "twice", cwd=folder)
    assert chosen.exit_code == 0, chosen.stderr
    assert [r["reason"] for r in read(folder / "visits.csv") if r["visit_code"] == "UNS"] == ["fever", "rash"]


def test_a_one_study_command_refuses_two_studies(study, tmp_path):
    """`record … --study A --study B` wrote into B, the last one, silently: refused now (exit
    2, nothing written); `due`, `check` and `calendar` still take several."""
    folder = study(ROSTER, "participant_id,visit_code,actual_date,reason\n")
    before = (folder / "visits.csv").read_bytes()
    result = run_cli("record", "P1", "UNS", "2010-09-04", "--study", str(folder), "--study", str(folder))
    assert result.exit_code == 2
    assert "--study is given 2 times, but record takes one study folder" in result.stderr
    assert (folder / "visits.csv").read_bytes() == before
    exported = run_cli("export", "sdtm", "-o", str(tmp_path / "x"), "--study", str(folder), "--study", str(folder))
    assert exported.exit_code == 2 and "but export sdtm takes one study folder" in exported.stderr


def test_an_empty_unscheduled_table_keeps_a_planned_uns_planned():
    from scheduler.protocol import parse_protocol

    protocol = parse_protocol('[study]\nid = "S"\ntimezone = "UTC"\n[unscheduled]\n[[visits]]\ncode = "UNS"\n'
                              'day = 0\n', "p.toml")
    assert protocol.unscheduled == ()


def test_unscheduled_visitnum_never_reaches_a_fractional_planned_one(study):
    """D0 visitnum 1, D7 visitnum 1.02: a second unscheduled visit after D0 would be 1.02 too
    (the SV key USUBJID + VISITNUM twice): the export is refused, exit 2, nothing written."""
    protocol = ('[study]\nid = "S"\ntimezone = "UTC"\ncountry = "CHN"\n[[visits]]\ncode = "D0"\nkind = "treatment"\n'
                'day = 0\nvisitnum = 1\n[[visits]]\ncode = "D7"\nkind = "treatment"\nanchor = "D0"\nday = 7\n'
                'visitnum = 1.02\n')
    folder = study("participant_id,enrollment_date,sex\nP1,2010-09-01,F\n",
                   "participant_id,visit_code,actual_date,reason\nP1,D0,2010-09-01,\nP1,UNS,2010-09-02,a\n"
                   "P1,UNS,2010-09-03,b\n", protocol)
    result = run_cli("export", "sdtm", "--as-of", AS_OF, "-o", "sdtm", cwd=folder)
    assert result.exit_code == 2 and "would reach the next planned visit's" in result.stderr
    assert not (folder / "sdtm").exists()


def test_an_empty_roster_with_visits_lists_them(study):
    """No participant at all, one visit line: a data problem (unknown participant), no crash."""
    folder = study("participant_id,enrollment_date\n", "participant_id,visit_code,actual_date,reason\n999,D0,2011-03-01,\n")
    result = run_cli("check", cwd=folder)
    assert result.exit_code == 1 and "participant not in the participants file" in result.stderr
