"""Writes sample_data/: a realistic NCT01143168 study, the same every time.

24 participants enrolled from August 2010 to February 2011 under the built-in protocol.
Every visit is recorded as done on or near its target, inside its window, except the
deviations planted below (documented in sample_data/README.md and used by the tests).
Run: python tools/make_sample_data.py
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sample_data"

# participant, enrollment, fictional name, fictional phone
ROSTER = [
    ("001", "2010-08-02", "王芳", "138-0000-0101"), ("002", "2010-08-04", "李娜", "138-0000-0102"),
    ("003", "2010-08-11", "张伟", "138-0000-0103"), ("004", "2010-08-18", "刘洋", "138-0000-0104"),
    ("005", "2010-08-25", "陈静", "138-0000-0105"), ("006", "2010-08-30", "杨磊", "138-0000-0106"),
    ("007", "2010-09-01", "赵敏", "138-0000-0107"), ("008", "2010-09-08", "黄勇", "138-0000-0108"),
    ("009", "2010-09-15", "周杰", "138-0000-0109"), ("010", "2010-09-27", "吴婷", "138-0000-0110"),
    ("011", "2010-10-11", "徐强", "138-0000-0111"), ("012", "2010-10-18", "孙丽", "138-0000-0112"),
    ("013", "2010-10-25", "马超", "138-0000-0113"), ("014", "2010-11-01", "朱红", "138-0000-0114"),
    ("015", "2010-11-10", "胡军", "138-0000-0115"), ("016", "2010-11-17", "郭雪", "138-0000-0116"),
    ("017", "2010-11-24", "何平", "138-0000-0117"), ("018", "2010-12-01", "林芳", "138-0000-0118"),
    ("019", "2010-12-08", "高峰", "138-0000-0119"), ("020", "2010-12-15", "罗兰", "138-0000-0120"),
    ("021", "2010-12-22", "郑凯", "138-0000-0121"), ("022", "2011-01-05", "梁燕", "138-0000-0122"),
    ("023", "2011-01-12", "宋涛", "138-0000-0123"), ("024", "2011-02-14", "谢琳", "138-0000-0124"),
]
WITHDRAWALS = {"012": ("2010-12-20", "moved to another city", "WITHDRAWAL BY SUBJECT")}
# For SDTM DM and DS: sex (from the fictional names), age at enrollment (18–50), and the
# informed consent, 3 to 10 days before enrollment (a generator of its own, so the visits
# stay what they were before these columns existed).
SEXES = "FFMMFMFMMFMFMFMFMFMFMFMF"

# (day offset from D0, minus, plus) of the built-in protocol
PLAN = {"D0": (0, 0, 0), "D7": (7, 1, 1), "D14": (14, 2, 2), "M1": (30, 3, 3), "M3": (90, 7, 7),
        "M6": (180, 14, 14), "M9": (270, 14, 14), "M12": (365, 14, 14)}

# Planted: (participant, visit) -> (actual date or None for "did not happen", reason)
PLANTED = {
    ("007", "D0"): ("2010-09-03", "catheter lab unavailable on the enrollment day"),  # late 2
    ("003", "D14"): ("2010-08-28", "fever; transplant postponed one day"),  # late 1
    ("005", "M3"): ("2010-11-14", "participant travelling in the window"),  # early 2
    ("009", "M1"): ("2010-10-20", ""),  # late 2, reason missing
    ("013", "M1"): (None, "did not attend; phone unanswered"),  # missed, reason recorded
    ("011", "M6"): (None, "hospitalised (unrelated pneumonia)"),  # missed, reason recorded
    ("020", "D7"): ("2010-12-20", "holiday travel; participant's request"),  # early 1
}
NOT_RECORDED = {("016", "M9")}  # missed, and nobody recorded why


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def main() -> None:
    rng = random.Random(1143168)
    OUT.mkdir(exist_ok=True)
    with open(OUT / "participants.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["participant_id", "name", "phone", "enrollment_date", "withdrawal_date",
                         "withdrawal_reason", "site", "withdrawal_category", "consent_date", "sex", "age"])
        people = random.Random(20100802)
        for (participant, enrolled, name, phone), sex in zip(ROSTER, SEXES):
            withdrawn, why, category = WITHDRAWALS.get(participant, ("", "", ""))
            consent = (day(enrolled) - dt.timedelta(days=people.randint(3, 10))).isoformat()
            writer.writerow([participant, name, phone, enrolled, withdrawn, why, "01", category, consent, sex,
                             people.randint(18, 50)])

    rows = []
    for participant, enrolled, _, _ in ROSTER:
        withdrawn = WITHDRAWALS.get(participant, (None,))[0]
        day0 = None
        for code, (offset, minus, plus) in PLAN.items():
            if (participant, code) in NOT_RECORDED:
                continue
            if (participant, code) in PLANTED:
                actual, reason = PLANTED[(participant, code)]
            else:
                target = day(enrolled) if code == "D0" else day0 + dt.timedelta(days=offset)
                jitter = 0 if code == "D0" else rng.choice([0, 0, 0, -1, 1, 1])
                jitter = max(-minus, min(plus, jitter))
                actual, reason = (target + dt.timedelta(days=jitter)).isoformat(), ""
            if code == "D0":
                day0 = day(actual)
            if withdrawn and actual and day(actual) > day(withdrawn):
                break
            rows.append((actual or "", participant, code, reason))
    rows.sort(key=lambda row: (row[0] or "9999", row[1]))
    with open(OUT / "visits.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["participant_id", "visit_code", "actual_date", "reason"])
        for actual, participant, code, reason in rows:
            writer.writerow([participant, code, actual, reason])


if __name__ == "__main__":
    main()
