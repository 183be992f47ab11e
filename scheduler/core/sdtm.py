"""CDISC SDTM exports for the sponsor's data manager: TV (trial visits), SV (subject
visits) and DV (protocol deviations), built from the protocol and the check table
(``outputs.sdtm_files`` writes them).

Study days. SDTM has no day 0: the reference date (RFSTDTC, the actual date of the
protocol's Day 0 visit, ``[study] day0``) is study day 1 and the day before is day −1. This
protocol counts from Day 0, so Day 7 is SDTM day 8. A participant whose Day 0 visit has no
actual date yet has no study days (empty SVSTDY, SVENDY, DVSTDY). VISITDY counts the
planned day the same way from the Day 0 visit's target (D7 → 8), and is empty for a visit
set in calendar months (or anchored on one): its day varies with the calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scheduler.core.words import DEVIATIONS, JUDGED, Status
from scheduler.protocol import ENROLLMENT, Protocol

DOMAIN_LABELS = {"TV": "Trial Visits", "SV": "Subject Visits", "DV": "Protocol Deviations"}
LABELS = {
    "STUDYID": "Study Identifier", "DOMAIN": "Domain Abbreviation",
    "USUBJID": "Unique Subject Identifier", "VISITNUM": "Visit Number", "VISIT": "Visit Name",
    "VISITDY": "Planned Study Day of Visit", "TVSTRL": "Visit Start Rule",
    "TVENRL": "Visit End Rule", "SVPRESP": "Pre-specified", "SVOCCUR": "Occurrence",
    "SVREASOC": "Reason for Occur Value", "SVSTDTC": "Start Date/Time of Visit",
    "SVENDTC": "End Date/Time of Visit", "SVSTDY": "Study Day of Start of Visit",
    "SVENDY": "Study Day of End of Visit", "SVUPDES": "Description of Unplanned Visit",
    "DVSEQ": "Sequence Number", "DVREFID": "Reference ID", "DVTERM": "Protocol Deviation Term",
    "DVDECOD": "Protocol Deviation Coded Term", "DVCAT": "Category for Protocol Deviation",
    "DVSTDTC": "Start Date/Time of Deviation", "DVSTDY": "Study Day of Start of Deviation",
}


def study_day(dates: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """SDTM study day: date − reference + 1 on or after the reference, date − reference
    before it (no day 0). NaN where either date is missing."""
    dates = np.asarray(dates, dtype="M8[D]")
    reference = np.asarray(reference, dtype="M8[D]")
    difference = (dates - reference).astype("m8[D]").astype(np.int64).astype(float)
    difference[np.isnat(dates) | np.isnat(reference)] = np.nan
    days: np.ndarray = np.where(difference >= 0, difference + 1, difference)
    return days


def planned_days(protocol: Protocol) -> dict[str, float]:
    """VISITDY per visit: its nominal day from the Day 0 visit's target, SDTM-style; NaN for
    a visit whose day depends on calendar months."""
    by_code = {visit.code: visit for visit in protocol.visits}

    def uses_months(code: str) -> bool:
        visit = by_code[code]
        return visit.unit == "month" or (visit.anchor != ENROLLMENT and uses_months(visit.anchor))

    nominal = protocol.nominal_targets()
    day0 = nominal[protocol.day0]
    days = {}
    for visit in protocol.visits:
        if uses_months(visit.code) or uses_months(protocol.day0):
            days[visit.code] = float("nan")
        else:
            offset = (nominal[visit.code] - day0).days
            days[visit.code] = float(offset + 1 if offset >= 0 else offset)
    return days


def _days(count: int) -> str:
    return f"{count} day" + ("" if count == 1 else "s")


def trial_visits(protocol: Protocol) -> pd.DataFrame:
    planned = planned_days(protocol)
    rows = []
    for number, visit in enumerate(protocol.visits, start=1):
        anchor = "enrollment" if visit.anchor == ENROLLMENT else visit.anchor
        rows.append({
            "STUDYID": protocol.study_id, "DOMAIN": "TV", "VISITNUM": float(number),
            "VISIT": visit.name, "VISITDY": planned[visit.code],
            "TVSTRL": (f"{visit.unit.capitalize()} {visit.amount} from {anchor} (the target); window "
                       f"{_days(visit.minus)} before to {_days(visit.plus)} after"),
            "TVENRL": "End of the same day",
        })
    return pd.DataFrame(rows)


def _usubjid(protocol: Protocol, check: pd.DataFrame, sites: pd.Series) -> np.ndarray:
    site = sites.where(sites != "", protocol.site_id).to_numpy(dtype=object)
    parts = [protocol.study_id + "-" + (s + "-" if s else "") for s in site]
    return np.array([prefix + pid for prefix, pid in zip(parts, check["participant_id"])], dtype=object)


def subject_visits(protocol: Protocol, check: pd.DataFrame, sites: pd.Series,
                   reference: np.ndarray) -> pd.DataFrame:
    """One record per visit done, and per planned visit missed as of the as-of date."""
    status = check["status"].to_numpy()
    keep = np.isin(status, JUDGED)
    number = {code: float(i) for i, code in enumerate(protocol.codes, start=1)}
    planned = planned_days(protocol)
    rows = check[keep]
    actual = rows["actual_date"].to_numpy().astype("M8[D]")
    days = study_day(actual, reference[keep])
    done = ~np.isnat(actual)
    dates = np.where(done, np.datetime_as_string(actual, unit="D"), "").astype(object)
    return pd.DataFrame({
        "STUDYID": protocol.study_id, "DOMAIN": "SV",
        "USUBJID": _usubjid(protocol, check, sites)[keep],
        "VISITNUM": rows["visit_code"].map(number).to_numpy(),
        "VISIT": rows["visit_name"].to_numpy(dtype=object),
        "SVPRESP": "Y",
        "SVOCCUR": np.where(done, "Y", "N").astype(object),
        "SVREASOC": np.where(done, "", rows["reason"].to_numpy(dtype=object)).astype(object),
        "VISITDY": rows["visit_code"].map(planned).to_numpy(),
        "SVSTDTC": dates, "SVENDTC": dates, "SVSTDY": days, "SVENDY": days, "SVUPDES": "",
    })


def deviations(protocol: Protocol, check: pd.DataFrame, sites: pd.Series,
               reference: np.ndarray) -> pd.DataFrame:
    """One record per early, late or missed visit as of the as-of date."""
    status = check["status"].to_numpy()
    keep = np.isin(status, DEVIATIONS)
    rows = check[keep]
    actual = rows["actual_date"].to_numpy().astype("M8[D]")
    closes = rows["window_close"].to_numpy().astype("M8[D]")
    start = np.where(np.isnat(actual), closes + np.timedelta64(1, "D"), actual)
    terms = []
    for name, state, days, closed in zip(rows["visit_name"], rows["status"], rows["days_outside"], closes):
        count = int(days)
        unit = "day" if count == 1 else "days"
        if state == Status.EARLY:
            terms.append(f"{name} done {count} {unit} before its window")
        elif state == Status.LATE:
            terms.append(f"{name} done {count} {unit} after its window")
        else:
            terms.append(f"{name} missed (window closed {np.datetime_as_string(closed, unit='D')})")
    usubjid = _usubjid(protocol, check, sites)[keep]
    sequence = pd.Series(usubjid).groupby(usubjid).cumcount().to_numpy() + 1
    return pd.DataFrame({
        "STUDYID": protocol.study_id, "DOMAIN": "DV", "USUBJID": usubjid,
        "DVSEQ": sequence.astype(float),
        "DVREFID": rows["visit_code"].to_numpy(dtype=object),
        "DVTERM": np.array(terms, dtype=object),
        "DVDECOD": np.where(status[keep] == Status.MISSED, "MISSED VISIT", "VISIT OUT OF WINDOW").astype(object),
        "DVCAT": "VISIT SCHEDULE",
        "DVSTDTC": np.datetime_as_string(start, unit="D").astype(object),
        "DVSTDY": study_day(start, reference[keep]),
    })


def build(protocol: Protocol, check: pd.DataFrame, participants: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """TV, SV and DV. The reference date is each participant's actual Day 0 date."""
    visits = len(protocol.visits)
    day0 = protocol.codes.index(protocol.day0)
    actual = check["actual_date"].to_numpy().astype("M8[D]").reshape(-1, visits)
    reference = np.repeat(actual[:, day0], visits)
    sites = pd.Series(np.repeat(participants["site"].to_numpy(dtype=object), visits))
    return {"TV": trial_visits(protocol),
            "SV": subject_visits(protocol, check, sites, reference),
            "DV": deviations(protocol, check, sites, reference)}


XPT_TEXT_LIMIT = 200  # SAS transport version 5: a character variable holds at most 200 bytes


def transport_warnings(domains: dict[str, pd.DataFrame]) -> list[str]:
    """What a SAS transport v5 file cannot hold as it is: non-ASCII text, long text."""
    notes = []
    for name, frame in domains.items():
        for column in frame.columns:
            if not pd.api.types.is_string_dtype(frame[column]) and frame[column].dtype != object:
                continue
            values = frame[column].astype(str)
            if not values.map(str.isascii).all():
                notes.append(f"{name}.{column} holds characters outside ASCII; SAS transport files "
                             "for a submission should be ASCII only")
            if len(values) and values.map(lambda v: len(v.encode("utf-8"))).max() > XPT_TEXT_LIMIT:
                notes.append(f"{name}.{column} holds text longer than {XPT_TEXT_LIMIT} bytes: it is "
                             f"cut to {XPT_TEXT_LIMIT} in the .xpt file (the CSV keeps it whole)")
    return notes
