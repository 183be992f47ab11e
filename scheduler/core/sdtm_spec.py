"""What each SDTM dataset holds (SDTMIG 3.4): one table that the builder, the three file
writers (CSV, SAS transport, Dataset-JSON) and define.xml all read, so they cannot disagree.

Per dataset: its label, class, structure and keys; per variable: its label, type, role,
core (Req / Exp / Perm), origin, and the controlled terminology it takes. Lengths are not
here: each writer takes a text variable's length from the longest value it holds (at least
1), as the FDA's technical conformance guide asks.

Types: ``text``; ``integer`` (a whole number: study days, sequence numbers, AGE); ``float``
(VISITNUM, which may hold 1.01 for an unscheduled visit); ``date`` (ISO 8601 text: a
complete date here, or a partial one such as TS's "2010-08" in a text variable).

OIDs, shared by define.xml and Dataset-JSON: ``IG.DM`` for a dataset, ``IT.DM.USUBJID``
for a variable, ``CL.SEX`` for a codelist; the value-level metadata of SUPPDV.QVAL where
QNAM is DVREAS is ``IT.SUPPDV.QVAL.DVREAS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from numpy import ndarray
    from pandas import DataFrame

Type = Literal["text", "integer", "float", "date"]
Core = Literal["Req", "Exp", "Perm"]
# define.xml 2.1 def:Origin Type; "Collected" values come from the study folder's files
# (the site, the investigator's staff), "Protocol" ones from the protocol file.
Origin = Literal["Collected", "Derived", "Assigned", "Protocol"]

SDTMIG_VERSION = "3.4"
SDTM_VERSION = "2.0"
DATASET_JSON_VERSION = "1.1.0"
DEFINE_VERSION = "2.1.0"
METADATA_VERSION_OID = "MDV.SDTMIG.3.4"


@dataclass(frozen=True)
class Variable:
    name: str
    label: str  # at most 40 characters (SAS transport v5)
    type: Type
    role: str  # Identifier, Topic, Timing, Grouping Qualifier, Synonym Qualifier, Record Qualifier, Rule
    core: Core
    origin: Origin
    codelist: str | None = None  # a key of CODELISTS
    # What define.xml says of a derived or assigned value (a def:MethodDef or a comment).
    method: str = ""


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    sdtm_class: str  # def:Class: TRIAL DESIGN, SPECIAL PURPOSE, EVENTS, RELATIONSHIP
    structure: str
    keys: tuple[str, ...]  # define.xml KeySequence, Dataset-JSON keySequence, the rows' order
    variables: tuple[Variable, ...]
    reference: bool = False  # IsReferenceData: the trial design datasets

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(variable.name for variable in self.variables)

    def variable(self, name: str) -> Variable:
        return next(variable for variable in self.variables if variable.name == name)

    @property
    def file_stem(self) -> str:
        """The file name without its extension: dm (dm.xpt, dm.json, dm.csv), suppdv."""
        return self.name.lower()


STUDY_DAY = ("the study day: date − RFSTDTC + 1 on or after RFSTDTC, date − RFSTDTC before it "
             "(no day 0); empty when either date is missing")


def _common(domain: str, usubjid: bool = True) -> tuple[Variable, ...]:
    first: tuple[Variable, ...] = (Variable("STUDYID", "Study Identifier", "text", "Identifier", "Req", "Protocol"),
             Variable("DOMAIN", "Domain Abbreviation", "text", "Identifier", "Req", "Assigned"),)
    if usubjid:
        first += (Variable("USUBJID", "Unique Subject Identifier", "text", "Identifier", "Req", "Derived",
                           method="STUDYID-SITEID-participant_id (SITEID left out when empty)"),)
    return first


def _epoch(method: str) -> Variable:
    return Variable("EPOCH", "Epoch", "text", "Timing", "Exp", "Derived", "EPOCH", method)


DATASETS: dict[str, Dataset] = {dataset.name: dataset for dataset in (
    Dataset("TS", "Trial Summary", "TRIAL DESIGN", "One record per trial summary parameter value",
            ("STUDYID", "TSPARMCD", "TSSEQ"), (*_common("TS", usubjid=False),
                Variable("TSSEQ", "Sequence Number", "integer", "Identifier", "Req", "Assigned"),
                Variable("TSGRPID", "Group ID", "text", "Identifier", "Perm", "Assigned"),
                Variable("TSPARMCD", "Trial Summary Parameter Short Name", "text", "Topic", "Req", "Assigned",
                         "TSPARMCD"),
                Variable("TSPARM", "Trial Summary Parameter", "text", "Synonym Qualifier", "Req", "Assigned",
                         "TSPARM"),
                Variable("TSVAL", "Parameter Value", "text", "Result Qualifier", "Exp", "Protocol"),
                Variable("TSVALNF", "Parameter Null Flavor", "text", "Result Qualifier", "Perm", "Assigned"),
                Variable("TSVALCD", "Parameter Value Code", "text", "Result Qualifier", "Exp", "Assigned"),
                Variable("TSVCDREF", "Name of the Reference Terminology", "text", "Result Qualifier", "Exp",
                         "Assigned"),
                Variable("TSVCDVER", "Version of the Reference Terminology", "text", "Result Qualifier", "Exp",
                         "Assigned"),
            ), reference=True),
    Dataset("TA", "Trial Arms", "TRIAL DESIGN", "One record per planned Element per Arm",
            ("STUDYID", "ARMCD", "TAETORD"), (*_common("TA", usubjid=False),
                Variable("ARMCD", "Planned Arm Code", "text", "Topic", "Req", "Protocol"),
                Variable("ARM", "Description of Planned Arm", "text", "Synonym Qualifier", "Req", "Protocol"),
                Variable("TAETORD", "Planned Order of Element within Arm", "integer", "Timing", "Req",
                         "Protocol"),
                Variable("ETCD", "Element Code", "text", "Record Qualifier", "Req", "Protocol"),
                Variable("ELEMENT", "Description of Element", "text", "Synonym Qualifier", "Perm", "Protocol"),
                Variable("TABRANCH", "Branch", "text", "Rule", "Exp", "Protocol"),
                Variable("TATRANS", "Transition Rule", "text", "Rule", "Exp", "Protocol"),
                Variable("EPOCH", "Epoch", "text", "Timing", "Req", "Protocol", "EPOCH"),
            ), reference=True),
    Dataset("TE", "Trial Elements", "TRIAL DESIGN", "One record per planned Element",
            ("STUDYID", "ETCD"), (*_common("TE", usubjid=False),
                Variable("ETCD", "Element Code", "text", "Topic", "Req", "Protocol"),
                Variable("ELEMENT", "Description of Element", "text", "Synonym Qualifier", "Req", "Protocol"),
                Variable("TESTRL", "Rule for Start of Element", "text", "Rule", "Req", "Protocol"),
                Variable("TEENRL", "Rule for End of Element", "text", "Rule", "Perm", "Protocol"),
                Variable("TEDUR", "Planned Duration of Element", "text", "Timing", "Perm", "Protocol"),
            ), reference=True),
    Dataset("TV", "Trial Visits", "TRIAL DESIGN", "One record per planned Visit per Arm",
            ("STUDYID", "ARMCD", "VISITNUM"), (*_common("TV", usubjid=False),
                Variable("VISITNUM", "Visit Number", "float", "Topic", "Req", "Protocol"),
                Variable("VISIT", "Visit Name", "text", "Synonym Qualifier", "Perm", "Protocol"),
                Variable("VISITDY", "Planned Study Day of Visit", "integer", "Timing", "Perm", "Protocol"),
                Variable("ARMCD", "Planned Arm Code", "text", "Record Qualifier", "Exp", "Protocol"),
                Variable("TVSTRL", "Visit Start Rule", "text", "Rule", "Req", "Protocol"),
                Variable("TVENRL", "Visit End Rule", "text", "Rule", "Perm", "Protocol"),
            ), reference=True),
    Dataset("TI", "Trial Inclusion/Exclusion Criteria", "TRIAL DESIGN", "One record per I/E criterion",
            ("STUDYID", "IETESTCD"), (*_common("TI", usubjid=False),
                Variable("IETESTCD", "Incl/Excl Criterion Short Name", "text", "Topic", "Req", "Assigned",
                         method="INCL01, INCL02 … and EXCL01 … in the protocol file's order"),
                Variable("IETEST", "Inclusion/Exclusion Criterion", "text", "Synonym Qualifier", "Req",
                         "Protocol"),
                Variable("IECAT", "Inclusion/Exclusion Category", "text", "Grouping Qualifier", "Req", "Protocol",
                         "IECAT"),
            ), reference=True),
    Dataset("DM", "Demographics", "SPECIAL PURPOSE", "One record per subject",
            ("STUDYID", "USUBJID"), (*_common("DM"),
                Variable("SUBJID", "Subject Identifier for the Study", "text", "Topic", "Req", "Collected"),
                Variable("RFSTDTC", "Subject Reference Start Date/Time", "date", "Record Qualifier", "Exp",
                         "Derived", method="the actual date of the Day 0 visit ([study] day0)"),
                Variable("RFENDTC", "Subject Reference End Date/Time", "date", "Record Qualifier", "Exp",
                         "Derived", method="equal to RFXENDTC: the last TREATMENT visit done"),
                Variable("RFXSTDTC", "Date/Time of First Study Treatment", "date", "Record Qualifier", "Exp",
                         "Derived", method="the earliest actual date of a TREATMENT-epoch visit"),
                Variable("RFXENDTC", "Date/Time of Last Study Treatment", "date", "Record Qualifier", "Exp",
                         "Derived", method="the latest actual date of a TREATMENT-epoch visit"),
                Variable("RFICDTC", "Date/Time of Informed Consent", "date", "Record Qualifier", "Exp",
                         "Collected"),
                Variable("RFPENDTC", "Date/Time of End of Participation", "date", "Record Qualifier", "Exp",
                         "Derived", method="the withdrawal date, else the completion date, else the latest actual date "
                                "of any visit"),
                Variable("DTHDTC", "Date/Time of Death", "date", "Record Qualifier", "Exp", "Derived",
                         method="the withdrawal date of a participant withdrawn with category DEATH"),
                Variable("DTHFL", "Subject Death Flag", "text", "Record Qualifier", "Exp", "Derived", "NY",
                         method="Y for a withdrawal with category DEATH, else empty"),
                Variable("SITEID", "Study Site Identifier", "text", "Record Qualifier", "Req", "Collected",
                         method="the roster's site, else [study] site_id"),
                Variable("AGE", "Age", "integer", "Record Qualifier", "Exp", "Collected"),
                Variable("AGEU", "Age Units", "text", "Variable Qualifier", "Exp", "Assigned", "AGEU"),
                Variable("SEX", "Sex", "text", "Record Qualifier", "Req", "Collected", "SEX"),
                Variable("RACE", "Race", "text", "Record Qualifier", "Exp", "Collected", "RACE"),
                Variable("ARMCD", "Planned Arm Code", "text", "Record Qualifier", "Exp", "Assigned"),
                Variable("ARM", "Description of Planned Arm", "text", "Synonym Qualifier", "Exp", "Assigned"),
                Variable("ACTARMCD", "Actual Arm Code", "text", "Record Qualifier", "Exp", "Derived",
                         method="the planned arm once a TREATMENT visit is done, else empty"),
                Variable("ACTARM", "Description of Actual Arm", "text", "Synonym Qualifier", "Exp", "Derived",
                         method="the planned arm's description once a TREATMENT visit is done, else empty"),
                Variable("ARMNRS", "Reason Arm and/or Actual Arm is Null", "text", "Record Qualifier", "Exp",
                         "Derived", "ARMNRS",
                         method="NOT ASSIGNED while the roster gives no arm; SCREEN FAILURE for a withdrawal with "
                                "that category; ASSIGNED, NOT TREATED while no TREATMENT visit is done; "
                                "else empty"),
                Variable("COUNTRY", "Country", "text", "Record Qualifier", "Req", "Protocol", "COUNTRY"),
            )),
    Dataset("SE", "Subject Elements", "SPECIAL PURPOSE", "One record per actual Element per subject",
            ("STUDYID", "USUBJID", "TAETORD", "SESTDTC"), (*_common("SE"),
                Variable("SESEQ", "Sequence Number", "integer", "Identifier", "Req", "Derived",
                         method="1, 2, 3 … per USUBJID in the order of the dataset's keys"),
                Variable("ETCD", "Element Code", "text", "Topic", "Req", "Derived",
                         method="the element of the epoch whose visits the participant has begun (TE)"),
                Variable("ELEMENT", "Description of Element", "text", "Synonym Qualifier", "Perm", "Derived",
                         method="the element's description in TE"),
                Variable("TAETORD", "Planned Order of Element within Arm", "integer", "Timing", "Perm", "Derived",
                         method="the element's order in TA"),
                _epoch("the element's epoch"),
                Variable("SESTDTC", "Start Date/Time of Element", "date", "Timing", "Req", "Derived",
                         method="the earliest actual date of a visit of the element's epoch (SCREENING: the "
                                "informed consent, when earlier)"),
                Variable("SEENDTC", "End Date/Time of Element", "date", "Timing", "Exp", "Derived",
                         method="the next element's start; for the last, the end of participation once "
                                "the participant has withdrawn or completed, else empty"),
                Variable("SESTDY", "Study Day of Start of Element", "integer", "Timing", "Perm", "Derived",
                         method=STUDY_DAY),
                Variable("SEENDY", "Study Day of End of Element", "integer", "Timing", "Perm", "Derived",
                         method=STUDY_DAY),
            )),
    Dataset("DS", "Disposition", "EVENTS", "One record per disposition status or protocol milestone per subject",
            ("STUDYID", "USUBJID", "DSSTDTC", "DSDECOD"), (*_common("DS"),
                Variable("DSSEQ", "Sequence Number", "integer", "Identifier", "Req", "Derived",
                         method="1, 2, 3 … per USUBJID in the order of the dataset's keys"),
                Variable("DSTERM", "Reported Term for the Disposition Event", "text", "Topic", "Req", "Collected"),
                Variable("DSDECOD", "Standardized Disposition Term", "text", "Synonym Qualifier", "Req", "Assigned",
                         "DSDECOD"),
                Variable("DSCAT", "Category for Disposition Event", "text", "Grouping Qualifier", "Exp",
                         "Assigned", "DSCAT"),
                _epoch("the epoch of the element the participant was in on DSSTDTC"),
                Variable("DSSTDTC", "Start Date/Time of Disposition Event", "date", "Timing", "Exp", "Derived",
                         method="the consent date; the withdrawal date; for COMPLETED, the last protocol "
                                "visit's date, else the day its window closed"),
                Variable("DSSTDY", "Study Day of Start of Disposition Event", "integer", "Timing", "Perm",
                         "Derived", method=STUDY_DAY),
            )),
    Dataset("SV", "Subject Visits", "SPECIAL PURPOSE", "One record per actual or planned visit per subject",
            ("STUDYID", "USUBJID", "VISITNUM"), (*_common("SV"),
                Variable("VISITNUM", "Visit Number", "float", "Topic", "Req", "Protocol"),
                Variable("VISIT", "Visit Name", "text", "Synonym Qualifier", "Perm", "Protocol"),
                Variable("SVPRESP", "Pre-specified", "text", "Variable Qualifier", "Perm", "Assigned", "NY"),
                Variable("SVOCCUR", "Occurrence", "text", "Record Qualifier", "Perm", "Collected", "NY"),
                Variable("SVREASOC", "Reason for Occur Value", "text", "Record Qualifier", "Perm", "Collected"),
                Variable("VISITDY", "Planned Study Day of Visit", "integer", "Timing", "Perm", "Protocol"),
                _epoch("the visit's epoch ([[visits]] epoch)"),
                Variable("SVSTDTC", "Start Date/Time of Visit", "date", "Timing", "Exp", "Collected"),
                Variable("SVENDTC", "End Date/Time of Visit", "date", "Timing", "Exp", "Collected"),
                Variable("SVSTDY", "Study Day of Start of Visit", "integer", "Timing", "Perm", "Derived",
                         method=STUDY_DAY),
                Variable("SVENDY", "Study Day of End of Visit", "integer", "Timing", "Perm", "Derived",
                         method=STUDY_DAY),
                Variable("SVUPDES", "Description of Unplanned Visit", "text", "Record Qualifier", "Perm",
                         "Collected"),
            )),
    Dataset("DV", "Protocol Deviations", "EVENTS", "One record per protocol deviation per subject",
            ("STUDYID", "USUBJID", "DVSTDTC", "DVREFID"), (*_common("DV"),
                Variable("DVSEQ", "Sequence Number", "integer", "Identifier", "Req", "Derived",
                         method="1, 2, 3 … per USUBJID in the order of the dataset's keys"),
                Variable("DVREFID", "Reference ID", "text", "Identifier", "Perm", "Derived",
                         method="the code of the visit the deviation concerns"),
                Variable("DVTERM", "Protocol Deviation Term", "text", "Topic", "Req", "Derived",
                         method="the visit and how it deviated, in words: done N days before or after its "
                                "window, or missed (window closed DATE)"),
                Variable("DVDECOD", "Protocol Deviation Coded Term", "text", "Synonym Qualifier", "Perm", "Assigned"),
                Variable("DVCAT", "Category for Protocol Deviation", "text", "Grouping Qualifier", "Perm", "Assigned"),
                _epoch("the epoch of the visit the deviation concerns"),
                Variable("DVSTDTC", "Start Date/Time of Deviation", "date", "Timing", "Perm", "Derived",
                         method="the actual date of a visit out of window; the day after the window "
                                "closed for a missed visit"),
                Variable("DVSTDY", "Study Day of Start of Deviation", "integer", "Timing", "Perm", "Derived",
                         method=STUDY_DAY),
            )),
    Dataset("SUPPDV", "Supplemental Qualifiers for DV", "RELATIONSHIP",
            "One record per IDVAR, IDVARVAL, and QNAM value per subject",
            ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"), (
                Variable("STUDYID", "Study Identifier", "text", "Identifier", "Req", "Protocol"),
                Variable("RDOMAIN", "Related Domain Abbreviation", "text", "Identifier", "Req", "Assigned"),
                Variable("USUBJID", "Unique Subject Identifier", "text", "Identifier", "Req", "Derived",
                         method="STUDYID-SITEID-participant_id (SITEID left out when empty)"),
                Variable("IDVAR", "Identifying Variable", "text", "Identifier", "Exp", "Assigned"),
                Variable("IDVARVAL", "Identifying Variable Value", "text", "Identifier", "Exp", "Derived",
                         method="the DVSEQ of the DV record the reason belongs to"),
                Variable("QNAM", "Qualifier Variable Name", "text", "Topic", "Req", "Assigned"),
                Variable("QLABEL", "Qualifier Variable Label", "text", "Synonym Qualifier", "Req", "Assigned"),
                Variable("QVAL", "Data Value", "text", "Result Qualifier", "Req", "Collected"),
                Variable("QORIG", "Origin", "text", "Record Qualifier", "Req", "Assigned"),
                Variable("QEVAL", "Evaluator", "text", "Record Qualifier", "Exp", "Assigned"),
            )),
)}

# The order the datasets are written and listed in define.xml: trial design, then subjects.
ORDER = ("TS", "TA", "TE", "TV", "TI", "DM", "SE", "DS", "SV", "DV", "SUPPDV")

# The supplemental qualifiers (value-level metadata on SUPPDV.QVAL).
SUPPLEMENTAL = {"DVREAS": ("Reason for Deviation", "the reason recorded in the visits file for a "
                                                   "visit out of window or not done")}

# Controlled terminology: codelist → (name, {term: NCI C-code or "" when not given here}).
# Only the terms this tool writes; "" where the tool does not state the code (the data
# manager's terminology package does).
CODELISTS: dict[str, tuple[str, dict[str, str]]] = {
    "NY": ("No Yes Response", {"Y": "C49488", "N": "C49487"}),
    "SEX": ("Sex", {"F": "C16576", "M": "C20197", "U": "C17998"}),
    "AGEU": ("Age Unit", {"YEARS": "C29848"}),
    "DSCAT": ("Category for Disposition Event", {"DISPOSITION EVENT": "C74590", "PROTOCOL MILESTONE": "C74588"}),
    "IECAT": ("Category for Inclusion/Exclusion", {"INCLUSION": "C25532", "EXCLUSION": "C25370"}),
    "ARMNRS": ("Reason Arm and/or Actual Arm is Null", {"NOT ASSIGNED": "", "ASSIGNED, NOT TREATED": "",
                                                        "SCREEN FAILURE": ""}),
    "EPOCH": ("Epoch", {}),
    # NCOMPLT (completion / reason for non-completion) and the protocol milestone DS uses.
    "DSDECOD": ("Completion/Reason for Non-Completion; Protocol Milestone", {
        "COMPLETED": "C25250", "ADVERSE EVENT": "C41331", "DEATH": "C28554", "LOST TO FOLLOW-UP": "C48227",
        "PHYSICIAN DECISION": "C48250", "WITHDRAWAL BY SUBJECT": "C49634", "INFORMED CONSENT OBTAINED": "C16735"}),
    "RACE": ("Race", {}),
    "COUNTRY": ("ISO 3166-1 alpha-3", {}),
    "TSPARMCD": ("Trial Summary Parameter Test Code", {}),
    "TSPARM": ("Trial Summary Parameter Test Name", {}),
}


@dataclass(frozen=True)
class Package:
    """One export as the writers see it: the datasets (every one in ORDER, each frame with
    exactly its dataset's columns, rows already sorted) and what define.xml and
    Dataset-JSON say about the study and the files."""

    datasets: dict[str, DataFrame]
    study_id: str
    title: str
    created: str  # ISO 8601 date-time in UTC ("2026-12-01T14:30:00Z"): when the files are made
    modified: str | None  # the audit trail's last change (Dataset-JSON dbLastModifiedDateTime)
    as_of: str  # the as-of date of the statuses ("2010-09-25")
    source_version: str  # visit-scheduler's version, for Dataset-JSON sourceSystem
    epochs: tuple[str, ...] = ()  # the EPOCH terms used, in element order (codelist EPOCH)
    # (dataset, variable) → the column's codes and distinct values, made once per export by
    # outputs.dataset_json.coded and read by every writer, define.xml and the warnings.
    codes: dict[tuple[str, str], tuple[ndarray, list[str | int | float]]] = field(
        default_factory=dict, compare=False, repr=False)
    # (dataset, variable) → a text or date variable's longest value in characters and whether
    # all its values are ASCII (outputs.dataset_json.measured): for define.xml and the warnings.
    measures: dict[tuple[str, str], tuple[int, bool]] = field(default_factory=dict, compare=False, repr=False)
    # id of a categorical's categories → what outputs.dataset_json made of them once (their
    # texts, lengths): the 100,000 USUBJIDs every subject dataset shares, made text once.
    categories: dict[int, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def study_oid(self) -> str:
        return f"STDY.{self.study_id}"
