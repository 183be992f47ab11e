"""define.xml (Define-XML 2.1) from a small SDTM package built by hand: valid against CDISC's
schema, OIDs as Dataset-JSON names them, lengths from the data, keys, leaves per format,
codelists with only the terms present, the value-level metadata of SUPPDV, the same bytes for
the same package — and a schema check that does catch a broken document."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from scheduler.core.sdtm_spec import DATASETS, ORDER, Package
from scheduler.errors import OutputError
from scheduler.outputs.define_xml import define_xml, validate

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
HREF = "{http://www.w3.org/1999/xlink}href"
STUDY = "NCT01143168"


def frame(name: str, *rows: dict[str, object]) -> pd.DataFrame:
    """A dataset with exactly its columns, in order: what a row leaves out is missing ("" for
    text, NaN for a number), STUDYID and DOMAIN are filled in."""
    dataset = DATASETS[name]
    columns: dict[str, list[object]] = {variable: [] for variable in dataset.names}
    for row in rows:
        assert set(row) <= set(dataset.names), set(row) - set(dataset.names)
        full = {"STUDYID": STUDY, "DOMAIN": name, **row}
        for variable in dataset.variables:
            missing = "" if variable.type in ("text", "date") else float("nan")
            columns[variable.name].append(full.get(variable.name, missing))
    return pd.DataFrame(columns)


def package() -> Package:
    """Two participants; TI has no rows (no criteria); one SUPPDV record whose reason is in Chinese."""
    datasets = {
        "TS": frame("TS",
                    {"TSSEQ": 1.0, "TSPARMCD": "ADDON", "TSPARM": "Added on to Existing Treatments",
                     "TSVAL": "N", "TSVALCD": "C49487", "TSVCDREF": "CDISC"},
                    {"TSSEQ": 1.0, "TSPARMCD": "SSTDTC", "TSPARM": "Study Start Date", "TSVAL": "2010-08",
                     "TSVCDREF": "ISO 8601"}),
        "TA": frame("TA",
                    {"ARMCD": "A", "ARM": "Single group", "TAETORD": 1.0, "ETCD": "SCRN", "ELEMENT": "Screening",
                     "EPOCH": "SCREENING"},
                    {"ARMCD": "A", "ARM": "Single group", "TAETORD": 2.0, "ETCD": "TRT", "ELEMENT": "Treatment",
                     "EPOCH": "TREATMENT"}),
        "TE": frame("TE",
                    {"ETCD": "SCRN", "ELEMENT": "Screening", "TESTRL": "First visit of the SCREENING epoch done (SCR)",
                     "TEENRL": "First visit of the next element done"},
                    {"ETCD": "TRT", "ELEMENT": "Treatment", "TESTRL": "First visit of the TREATMENT epoch done (D0)",
                     "TEENRL": "End of participation (withdrawal or the last visit)"}),
        "TV": frame("TV",
                    {"VISITNUM": 1.0, "VISIT": "Screening", "TVSTRL": "Day -7 from D0", "TVENRL": "End of the same day"},
                    {"VISITNUM": 2.0, "VISIT": "Transplantation 1", "VISITDY": 1.0, "TVSTRL": "Day 0",
                     "TVENRL": "End of the same day"}),
        "TI": frame("TI"),
        "DM": frame("DM",
                    {"USUBJID": "NCT01143168-01-001", "SUBJID": "001", "RFSTDTC": "2010-09-03", "SITEID": "01",
                     "AGE": 34.0, "AGEU": "YEARS", "SEX": "M", "ARMCD": "A", "ARM": "Single group",
                     "ACTARMCD": "A", "ACTARM": "Single group", "COUNTRY": "CHN"},
                    {"USUBJID": "NCT01143168-02-0017", "SUBJID": "0017", "SITEID": "02", "SEX": "F", "ARMCD": "A",
                     "ARM": "Single group", "ARMNRS": "ASSIGNED, NOT TREATED", "COUNTRY": "CHN"}),
        "SE": frame("SE",
                    {"USUBJID": "NCT01143168-01-001", "SESEQ": 1.0, "ETCD": "TRT", "ELEMENT": "Treatment",
                     "TAETORD": 2.0, "EPOCH": "TREATMENT", "SESTDTC": "2010-09-03", "SESTDY": 1.0}),
        "DS": frame("DS",
                    {"USUBJID": "NCT01143168-01-001", "DSSEQ": 1.0, "DSTERM": "INFORMED CONSENT OBTAINED",
                     "DSDECOD": "INFORMED CONSENT OBTAINED", "DSCAT": "PROTOCOL MILESTONE", "DSSTDTC": "2010-08-27",
                     "DSSTDY": -7.0},
                    {"USUBJID": "NCT01143168-02-0017", "DSSEQ": 1.0, "DSTERM": "moved away",
                     "DSDECOD": "PROTOCOL DEVIATION", "DSCAT": "DISPOSITION EVENT", "DSSTDTC": "2010-09-20"}),
        "SV": frame("SV",
                    {"USUBJID": "NCT01143168-01-001", "VISITNUM": 2.0, "VISIT": "Transplantation 1", "SVPRESP": "Y",
                     "SVOCCUR": "Y", "VISITDY": 1.0, "EPOCH": "TREATMENT", "SVSTDTC": "2010-09-03",
                     "SVENDTC": "2010-09-03", "SVSTDY": 1.0, "SVENDY": 1.0},
                    {"USUBJID": "NCT01143168-01-001", "VISITNUM": 2.01, "VISIT": "Unscheduled 2.01", "SVPRESP": "Y",
                     "SVOCCUR": "N", "SVREASOC": "fever", "EPOCH": "TREATMENT"}),
        "DV": frame("DV",
                    {"USUBJID": "NCT01143168-01-001", "DVSEQ": 1.0, "DVREFID": "D0", "DVTERM": "Day 0 visit done late",
                     "DVDECOD": "VISIT OUT OF WINDOW", "DVCAT": "VISIT WINDOW", "EPOCH": "TREATMENT",
                     "DVSTDTC": "2010-09-03", "DVSTDY": 1.0}),
        "SUPPDV": frame("SUPPDV",
                        {"RDOMAIN": "DV", "USUBJID": "NCT01143168-01-001", "IDVAR": "DVSEQ", "IDVARVAL": "1",
                         "QNAM": "DVREAS", "QLABEL": "Reason for Deviation", "QVAL": "导管室忙", "QORIG": "CRF"}),
    }
    return Package(datasets=datasets, study_id=STUDY, title="Stem cell transplantation in type 1 diabetes",
                   created="2026-12-01T14:30:00Z", modified=None, as_of="2010-09-25", source_version="0.2.0",
                   epochs=("SCREENING", "TREATMENT"))


@pytest.fixture(scope="module")
def documents() -> dict[str, bytes]:
    """The package's define.xml for each format, made once for the module."""
    made = package()
    return {file_format: define_xml(made, file_format) for file_format in ("csv", "xpt", "dataset-json")}


def parse(document: bytes) -> ET.Element:
    return ET.fromstring(document)


def item_def(root: ET.Element, oid: str) -> ET.Element:
    found = root.find(f".//odm:ItemDef[@OID='{oid}']", NS)
    assert found is not None, oid
    return found


def item_ref(root: ET.Element, group: str, oid: str) -> ET.Element:
    found = root.find(f".//odm:ItemGroupDef[@OID='{group}']/odm:ItemRef[@ItemOID='{oid}']", NS)
    assert found is not None, oid
    return found


def terms(root: ET.Element, oid: str) -> list[tuple[str, str | None]]:
    codelist = root.find(f".//odm:CodeList[@OID='{oid}']", NS)
    assert codelist is not None, oid
    found = []
    for item in codelist.findall("odm:EnumeratedItem", NS):
        alias = item.find("odm:Alias[@Context='nci:ExtCodeID']", NS)
        found.append((item.get("CodedValue", ""), None if alias is None else alias.get("Name")))
    return found


def test_valid_against_the_define_21_schema(documents):
    """Each format's document passes CDISC's Define-XML 2.1 schema, with the header odmlib
    was asked for."""
    for document in documents.values():
        assert validate(document) == []
        assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ODM ')
    root = parse(documents["xpt"])
    assert (root.get("FileOID"), root.get("CreationDateTime"), root.get("Originator"), root.get("SourceSystemVersion"),
            root.get(f"{DEF}Context")) == ("DEFINE.NCT01143168.2010-09-25", "2026-12-01T14:30:00Z",
                                           "visit-scheduler", "0.2.0", "Submission")
    study = root.find("odm:Study", NS)
    assert study is not None and study.get("OID") == "STDY.NCT01143168"
    assert [element.text for element in study.find("odm:GlobalVariables", NS)] == [
        "NCT01143168", "Stem cell transplantation in type 1 diabetes", "NCT01143168"]
    version = study.find("odm:MetaDataVersion", NS)
    assert version is not None
    assert (version.get("OID"), version.get(f"{DEF}DefineVersion")) == ("MDV.SDTMIG.3.4", "2.1.0")
    assert [standard.attrib for standard in version.iterfind("def:Standards/def:Standard", NS)] == [
        {"OID": "STD.SDTMIG.3.4", "Name": "SDTMIG", "Type": "IG", "Version": "3.4", "Status": "Final"}]


def test_the_oids_dataset_json_names_are_all_there(documents):
    """IG.<dataset> in ORDER and IT.<dataset>.<variable> for every column; every reference in
    the document leads to a definition (the schema does not check that)."""
    root = parse(documents["dataset-json"])
    groups = [group.get("OID") for group in root.iterfind(".//odm:ItemGroupDef", NS)]
    assert groups == ["IG.TS", "IG.TA", "IG.TE", "IG.TV", "IG.TI", "IG.DM", "IG.SE", "IG.DS", "IG.SV", "IG.DV",
                      "IG.SUPPDV"]
    items = {item.get("OID") for item in root.iterfind(".//odm:ItemDef", NS)}
    expected = {f"IT.{name}.{variable}" for name in ORDER for variable in DATASETS[name].names}
    assert {"IT.DM.USUBJID", "IT.TS.TSVAL", "IT.SUPPDV.QNAM", "IT.SV.VISITNUM"} <= expected
    assert items == expected | {"IT.SUPPDV.QVAL.DVREAS"}
    dm = [ref.get("ItemOID") for ref in root.iterfind(".//odm:ItemGroupDef[@OID='IG.DM']/odm:ItemRef", NS)]
    assert dm[:4] == ["IT.DM.STUDYID", "IT.DM.DOMAIN", "IT.DM.USUBJID", "IT.DM.SUBJID"]
    assert len(dm) == len(DATASETS["DM"].names)

    defined = {element.get("OID") for element in root.iter() if element.get("OID")}
    leaves = {leaf.get("ID") for leaf in root.iterfind(".//def:leaf", NS)}
    for element in root.iter():
        for attribute in ("ItemOID", "CodeListOID", "MethodOID", "WhereClauseOID", "ValueListOID",
                          f"{DEF}ItemOID", f"{DEF}CommentOID", f"{DEF}StandardOID"):
            if element.get(attribute):
                assert element.get(attribute) in defined, (element.tag, element.get(attribute))
        if element.get(f"{DEF}ArchiveLocationID"):
            assert element.get(f"{DEF}ArchiveLocationID") in leaves


def test_lengths_are_the_longest_values(documents):
    """Text: the longest value in characters (in bytes for a transport file, as SAS counts);
    at least 1 for an empty column; integers their digits and sign; VISITNUM a float with
    its decimals; dates no length, and a partial date says so."""
    csv, xpt = parse(documents["csv"]), parse(documents["xpt"])
    assert item_def(csv, "IT.DM.USUBJID").get("Length") == "19"   # NCT01143168-02-0017
    assert item_def(csv, "IT.TE.TEENRL").get("Length") == "51"    # End of participation (withdrawal or the last visit)
    assert item_def(csv, "IT.DM.RACE").get("Length") == "1"       # no value at all
    assert item_def(csv, "IT.DS.DSSTDY").get("Length") == "2"     # -7
    assert item_def(csv, "IT.DM.AGE").get("Length") == "2"        # 34 (and one missing)
    assert item_def(csv, "IT.SUPPDV.QVAL").get("Length") == "4"   # 导管室忙: 4 characters …
    assert item_def(xpt, "IT.SUPPDV.QVAL").get("Length") == "12"  # … 12 bytes in UTF-8
    assert item_def(xpt, "IT.SUPPDV.QVAL.DVREAS").get("Length") == "12"
    visitnum = item_def(csv, "IT.SV.VISITNUM")
    assert (visitnum.get("DataType"), visitnum.get("Length"), visitnum.get("SignificantDigits")) == ("float", "4", "2")
    tv = item_def(csv, "IT.TV.VISITNUM")
    assert (tv.get("Length"), tv.get("SignificantDigits")) == ("1", "0")   # 1 and 2
    rfstdtc = item_def(csv, "IT.DM.RFSTDTC")
    assert (rfstdtc.get("DataType"), rfstdtc.get("Length")) == ("date", None)
    assert item_def(csv, "IT.DM.SEX").get("DataType") == "text"
    assert item_def(csv, "IT.TS.TSVAL").get("DataType") == "text"   # "2010-08" in a text variable stays text


def test_key_sequence_follows_the_keys(documents):
    """KeySequence numbers the dataset's keys in their order, wherever the columns stand;
    Mandatory is Yes for a Req variable; Role from the spec."""
    root = parse(documents["csv"])

    def keys(group: str) -> dict[str, str]:
        return {ref.get("ItemOID", ""): ref.get("KeySequence", "")
                for ref in root.iterfind(f".//odm:ItemGroupDef[@OID='{group}']/odm:ItemRef", NS)
                if ref.get("KeySequence")}

    assert keys("IG.TV") == {"IT.TV.STUDYID": "1", "IT.TV.ARMCD": "2", "IT.TV.VISITNUM": "3"}
    assert keys("IG.DS") == {"IT.DS.STUDYID": "1", "IT.DS.USUBJID": "2", "IT.DS.DSSTDTC": "3", "IT.DS.DSDECOD": "4"}
    assert keys("IG.SUPPDV") == {"IT.SUPPDV.STUDYID": "1", "IT.SUPPDV.RDOMAIN": "2", "IT.SUPPDV.USUBJID": "3",
                                 "IT.SUPPDV.IDVAR": "4", "IT.SUPPDV.IDVARVAL": "5", "IT.SUPPDV.QNAM": "6"}
    sex = item_ref(root, "IG.DM", "IT.DM.SEX")
    assert (sex.get("Mandatory"), sex.get("Role")) == ("Yes", "Record Qualifier")
    assert item_ref(root, "IG.DM", "IT.DM.AGE").get("Mandatory") == "No"


def test_the_datasets_described(documents):
    """Each ItemGroupDef says what the dataset is; DM and the trial design do not repeat;
    SUPPDV belongs to DV; an empty dataset and an empty column are flagged HasNoData."""
    root = parse(documents["csv"])
    dm = root.find(".//odm:ItemGroupDef[@OID='IG.DM']", NS)
    assert dm is not None
    assert {key: dm.get(key) for key in ("Name", "Domain", "Repeating", "IsReferenceData", "SASDatasetName",
                                         "Purpose", f"{DEF}Structure", f"{DEF}StandardOID")} == {
        "Name": "DM", "Domain": "DM", "Repeating": "No", "IsReferenceData": "No", "SASDatasetName": "DM",
        "Purpose": "Tabulation", f"{DEF}Structure": "One record per subject", f"{DEF}StandardOID": "STD.SDTMIG.3.4"}
    assert dm.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == "Demographics"
    assert dm.find("def:Class", NS).get("Name") == "SPECIAL PURPOSE"
    sv = root.find(".//odm:ItemGroupDef[@OID='IG.SV']", NS)
    ts = root.find(".//odm:ItemGroupDef[@OID='IG.TS']", NS)
    assert (sv.get("Repeating"), ts.get("Repeating"), ts.get("IsReferenceData")) == ("Yes", "No", "Yes")
    supp = root.find(".//odm:ItemGroupDef[@OID='IG.SUPPDV']", NS)
    assert (supp.get("Domain"), supp.find("odm:Alias", NS).attrib) == (
        "DV", {"Context": "DomainDescription", "Name": "Protocol Deviations"})
    ti = root.find(".//odm:ItemGroupDef[@OID='IG.TI']", NS)
    assert (ti.get(f"{DEF}HasNoData"), dm.get(f"{DEF}HasNoData")) == ("Yes", None)
    assert item_ref(root, "IG.DM", "IT.DM.RACE").get(f"{DEF}HasNoData") == "Yes"
    assert item_ref(root, "IG.DM", "IT.DM.SEX").get(f"{DEF}HasNoData") is None


def test_leaf_hrefs_follow_the_format(documents):
    """ts.csv, ts.xpt, ts.json …: the files of the format written, in lower case."""
    for file_format, extension in (("csv", "csv"), ("xpt", "xpt"), ("dataset-json", "json")):
        root = parse(documents[file_format])
        leaves = [(leaf.get("ID"), leaf.get(HREF), leaf.findtext("def:title", namespaces=NS))
                  for leaf in root.iterfind(".//odm:ItemGroupDef/def:leaf", NS)]
        assert leaves[0] == ("LF.TS", f"ts.{extension}", f"ts.{extension}")
        assert leaves[-1] == ("LF.SUPPDV", f"suppdv.{extension}", f"suppdv.{extension}")
        assert len(leaves) == len(ORDER)
    with pytest.raises(OutputError, match="sas7bdat"):
        define_xml(package(), "sas7bdat")


def test_codelists_hold_only_the_terms_present(documents):
    """Only the terms the data hold, with their C-codes where the spec gives one; a term the
    spec does not know (PROTOCOL DEVIATION) is listed without a code; EPOCH is the package's
    epochs; COUNTRY refers to ISO 3166; a codelist no value uses (RACE, IECAT) is left out."""
    root = parse(documents["csv"])
    assert terms(root, "CL.SEX") == [("F", "C16576"), ("M", "C20197")]          # no U in the data
    assert terms(root, "CL.NY") == [("Y", "C49488"), ("N", "C49487")]
    assert terms(root, "CL.DSDECOD") == [("INFORMED CONSENT OBTAINED", "C16735"), ("PROTOCOL DEVIATION", None)]
    assert terms(root, "CL.ARMNRS") == [("ASSIGNED, NOT TREATED", None)]
    assert terms(root, "CL.EPOCH") == [("SCREENING", None), ("TREATMENT", None)]
    assert terms(root, "CL.TSPARMCD") == [("ADDON", None), ("SSTDTC", None)]
    country = root.find(".//odm:CodeList[@OID='CL.COUNTRY']/odm:ExternalCodeList", NS)
    assert country is not None and country.get("Dictionary") == "ISO 3166-1 alpha-3"
    codelists = [codelist.get("OID") for codelist in root.iterfind(".//odm:CodeList", NS)]
    assert codelists == ["CL.NY", "CL.SEX", "CL.AGEU", "CL.DSCAT", "CL.ARMNRS", "CL.EPOCH", "CL.DSDECOD",
                         "CL.COUNTRY", "CL.TSPARMCD", "CL.TSPARM"]
    assert item_def(root, "IT.DM.SEX").find("odm:CodeListRef", NS).get("CodeListOID") == "CL.SEX"
    assert item_def(root, "IT.SV.SVOCCUR").find("odm:CodeListRef", NS).get("CodeListOID") == "CL.NY"
    assert item_def(root, "IT.DM.RACE").find("odm:CodeListRef", NS) is None


def test_origins_methods_and_comments(documents):
    """def:Origin from the spec (Collected from the investigator, the rest the sponsor's); one
    MethodDef per distinct derivation (the study-day rule once), referenced from each Derived
    variable's ItemRef; a method text on a variable not Derived is a comment."""
    root = parse(documents["csv"])
    assert item_def(root, "IT.DM.SEX").find("def:Origin", NS).attrib == {"Type": "Collected", "Source": "Investigator"}
    assert item_def(root, "IT.TV.VISIT").find("def:Origin", NS).attrib == {"Type": "Protocol", "Source": "Sponsor"}
    assert item_def(root, "IT.DM.RFSTDTC").find("def:Origin", NS).attrib == {"Type": "Derived", "Source": "Sponsor"}
    study_day = {item_ref(root, group, oid).get("MethodOID") for group, oid in (
        ("IG.SE", "IT.SE.SESTDY"), ("IG.SE", "IT.SE.SEENDY"), ("IG.DS", "IT.DS.DSSTDY"), ("IG.SV", "IT.SV.SVSTDY"),
        ("IG.SV", "IT.SV.SVENDY"), ("IG.DV", "IT.DV.DVSTDY"))}
    assert study_day == {"MT.SE.SESTDY"}
    method = root.find(".//odm:MethodDef[@OID='MT.SE.SESTDY']", NS)
    assert method.get("Type") == "Computation"
    assert method.findtext("odm:Description/odm:TranslatedText", namespaces=NS).startswith("the study day: ")
    assert item_ref(root, "IG.DM", "IT.DM.RFSTDTC").get("MethodOID") == "MT.DM.RFSTDTC"
    assert item_ref(root, "IG.DM", "IT.DM.SEX").get("MethodOID") is None
    assert item_ref(root, "IG.DM", "IT.DM.SITEID").get("MethodOID") is None   # Collected: a comment instead
    assert item_def(root, "IT.DM.SITEID").get(f"{DEF}CommentOID") == "COM.DM.SITEID"
    comment = root.find(".//def:CommentDef[@OID='COM.DM.SITEID']", NS)
    assert comment.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == \
        "the roster's site, else [study] site_id"


def test_value_level_metadata_for_the_deviation_reason(documents):
    """SUPPDV.QVAL where QNAM = DVREAS: a ValueListDef, its where clause on IT.SUPPDV.QNAM,
    its own ItemDef, and the QVAL ItemDef pointing to the list."""
    root = parse(documents["csv"])
    value_list = root.find(".//def:ValueListDef[@OID='VL.SUPPDV.QVAL']", NS)
    assert value_list is not None
    refs = value_list.findall("odm:ItemRef", NS)
    assert [(ref.get("ItemOID"), ref.get("Mandatory"), ref.get(f"{DEF}HasNoData"),
             ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")) for ref in refs] == [
        ("IT.SUPPDV.QVAL.DVREAS", "Yes", None, "WC.SUPPDV.QNAM.DVREAS")]
    check = root.find(".//def:WhereClauseDef[@OID='WC.SUPPDV.QNAM.DVREAS']/odm:RangeCheck", NS)
    assert (check.get("Comparator"), check.get(f"{DEF}ItemOID")) == ("EQ", "IT.SUPPDV.QNAM")
    assert [value.text for value in check.findall("odm:CheckValue", NS)] == ["DVREAS"]
    assert item_def(root, "IT.SUPPDV.QVAL").find("def:ValueListRef", NS).get("ValueListOID") == "VL.SUPPDV.QVAL"
    reason = item_def(root, "IT.SUPPDV.QVAL.DVREAS")
    assert (reason.get("Name"), reason.get("DataType"), reason.get("Length")) == ("DVREAS", "text", "4")
    assert reason.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == "Reason for Deviation"


def test_an_export_with_no_rows_at_all():
    """Every dataset empty (a study with no participants yet): still valid; every dataset and
    the DVREAS definition flagged HasNoData; no codelist but COUNTRY's reference to ISO 3166."""
    empty = {name: frame(name) for name in ORDER}
    made = Package(datasets=empty, study_id="S1", title="", created="2026-12-01T14:30:00Z", modified=None,
                   as_of="2026-12-01", source_version="0.2.0")
    document = define_xml(made, "xpt")
    assert validate(document) == []
    root = parse(document)
    assert {group.get(f"{DEF}HasNoData") for group in root.iterfind(".//odm:ItemGroupDef", NS)} == {"Yes"}
    reason = root.find(".//def:ValueListDef/odm:ItemRef", NS)
    assert reason.get(f"{DEF}HasNoData") == "Yes"
    assert item_def(root, "IT.SUPPDV.QVAL.DVREAS").get("Length") == "1"
    assert [codelist.get("OID") for codelist in root.iterfind(".//odm:CodeList", NS)] == ["CL.COUNTRY"]


def test_the_same_package_gives_the_same_bytes(documents):
    """Built again from a new package of the same values: byte for byte the same, even once
    another odmlib model (Define-XML 2.0) has rebound odmlib's shared namespace registry."""
    import odmlib.ns_registry as registry

    assert define_xml(package(), "csv") == documents["csv"]
    saved = (dict(registry.Borg.namespaces), dict(registry.Borg.default_namespace))
    try:
        registry.NamespaceRegistry(prefix="def", uri="http://www.cdisc.org/ns/def/v2.0")
        assert define_xml(package(), "csv") == documents["csv"]
    finally:
        registry.Borg.namespaces, registry.Borg.default_namespace = saved


def test_validate_reports_a_broken_document(documents):
    """A missing required attribute, a value outside the schema's list, and text that is not
    XML at all are each reported; the untouched document is not."""
    document = documents["csv"]
    structure = b' def:Structure="One record per subject"'
    assert structure in document
    errors = validate(document.replace(structure, b"", 1))
    assert len(errors) == 1 and "Structure" in errors[0] and "ItemGroupDef" in errors[0]
    errors = validate(document.replace(b'DataType="integer"', b'DataType="number"', 1))
    assert errors and "DataType" in errors[0]
    assert validate(document[: len(document) // 2])[0].startswith("not well-formed XML")
    assert validate(document) == []


def test_a_transport_length_is_the_text_as_the_file_holds_it():
    """A transport file cuts text to 200 bytes on a character boundary: 67 Chinese characters
    are 201 bytes, cut to 66 characters = 198 bytes — the length define.xml gives, as the
    .xpt variable has it (200 would disagree with the file)."""
    made = package()
    supp = made.datasets["SUPPDV"].copy()
    supp.loc[0, "QVAL"] = "导" * 67
    made = Package(**{**made.__dict__, "datasets": {**made.datasets, "SUPPDV": supp}})
    xpt = parse(define_xml(made, "xpt"))
    assert item_def(xpt, "IT.SUPPDV.QVAL").get("Length") == "198"      # 66 × 3 bytes
    assert item_def(xpt, "IT.SUPPDV.QVAL.DVREAS").get("Length") == "198"
    assert item_def(parse(define_xml(made, "csv")), "IT.SUPPDV.QVAL").get("Length") == "67"
