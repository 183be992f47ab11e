"""The SDTM file writers (issue #17): one Package written as CSV, SAS transport v5 and
Dataset-JSON 1.1 reads back the same value by value, Dataset-JSON passes CDISC's own schema
(tests/schemas/), the bytes do not change between runs, and DIR is replaced whole."""

from __future__ import annotations

import json
import math
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pyreadstat
import pytest

from scheduler.core.sdtm_spec import DATASETS, METADATA_VERSION_OID, ORDER, Package
from scheduler.errors import OutputError
from scheduler.outputs.dataset_json import dataset_json
from scheduler.outputs.sdtm_files import FORMATS, write

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "dataset.schema.json").read_text(encoding="utf-8"))
EPOCH = 1796135400  # SOURCE_DATE_EPOCH: 2026-12-01T14:30:00Z
CREATED = datetime.fromtimestamp(EPOCH, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
STUDY = "NCT01143168"
REASON = "患者出差，未能按时回访"  # a Chinese reason (SUPPDV.QVAL)
EXTENSIONS = {"csv": ".csv", "xpt": ".xpt", "dataset-json": ".json"}


@pytest.fixture(autouse=True)
def define_xml(monkeypatch):
    """The real define.xml writer where it is there; a stub until it is."""
    try:
        import scheduler.outputs.define_xml  # noqa: F401
    except ImportError:
        stub = types.ModuleType("scheduler.outputs.define_xml")
        stub.define_xml = lambda package, file_format: b"<ODM/>"  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "scheduler.outputs.define_xml", stub)


def frame(name: str, *rows: dict[str, object]) -> pd.DataFrame:
    """A dataset's frame: every variable of sdtm_spec, the ones a row leaves out missing
    ("" for text and dates, None for numbers: pandas makes those NaN)."""
    dataset = DATASETS[name]
    common = {"STUDYID": STUDY, "DOMAIN": name}
    full = []
    for row in rows:
        values = {}
        for variable in dataset.variables:
            default = common.get(variable.name, "" if variable.type in ("text", "date") else None)
            values[variable.name] = row.get(variable.name, default)
        assert set(row) <= set(values), set(row) - set(values)
        full.append(values)
    return pd.DataFrame(full, columns=list(dataset.names))


def package(modified: str | None = "2010-09-25T08:15:00Z", **changed: pd.DataFrame) -> Package:
    """Rows in every dataset but TI (no criteria: zero rows), missing values of each type, a
    VISITNUM 1.01, a Chinese reason, text with a comma and quotes."""
    first, second = f"{STUDY}-01-007", f"{STUDY}-01-008"
    datasets = {
        "TS": frame("TS",
                    {"TSSEQ": 1, "TSPARMCD": "ADDON", "TSPARM": "Added on to Existing Treatments", "TSVAL": "N",
                     "TSVALCD": "C49487", "TSVCDREF": "CDISC"},
                    {"TSSEQ": 1, "TSPARMCD": "SPONSOR", "TSPARM": "Clinical Study Sponsor", "TSVALNF": "NI"},
                    {"TSSEQ": 1, "TSPARMCD": "SSTDTC", "TSPARM": "Study Start Date", "TSVAL": "2010-08",
                     "TSVCDREF": "ISO 8601"}),
        "TA": frame("TA",
                    {"ARMCD": "A", "ARM": "Single group", "TAETORD": 1, "ETCD": "SCRN", "ELEMENT": "Screening",
                     "EPOCH": "SCREENING"},
                    {"ARMCD": "A", "ARM": "Single group", "TAETORD": 2, "ETCD": "TRT", "ELEMENT": "Treatment",
                     "EPOCH": "TREATMENT"}),
        "TE": frame("TE",
                    {"ETCD": "SCRN", "ELEMENT": "Screening",
                     "TESTRL": "First visit of the SCREENING epoch done (S)",
                     "TEENRL": "First visit of the next element done"},
                    {"ETCD": "TRT", "ELEMENT": "Treatment", "TESTRL": "First visit of the TREATMENT epoch done (D0, D7)",
                     "TEENRL": "End of participation (withdrawal or the last visit)"}),
        "TV": frame("TV",
                    {"VISITNUM": 1.0, "VISIT": "Screening", "TVSTRL": "Day -7 from D0", "TVENRL": "End of the same day"},
                    {"VISITNUM": 1.01, "VISIT": "Unscheduled", "TVSTRL": "Unplanned"},
                    {"VISITNUM": 2.0, "VISIT": "Day 0", "VISITDY": 1, "TVSTRL": "Day 0, the reference"}),
        "TI": frame("TI"),
        "DM": frame("DM",
                    {"USUBJID": first, "SUBJID": "007", "RFSTDTC": "2010-09-03", "RFICDTC": "2010-08-27",
                     "SITEID": "01", "AGE": 34, "AGEU": "YEARS", "SEX": "F", "ARMCD": "A", "ARM": "Single group",
                     "ACTARMCD": "A", "ACTARM": "Single group", "COUNTRY": "CHN"},
                    {"USUBJID": second, "SUBJID": "008", "SITEID": "01", "SEX": "U", "ARMCD": "A",
                     "ARM": "Single group", "ARMNRS": "ASSIGNED, NOT TREATED", "COUNTRY": "CHN"}),
        "SE": frame("SE",
                    {"USUBJID": first, "SESEQ": 1, "ETCD": "SCRN", "ELEMENT": "Screening", "TAETORD": 1,
                     "EPOCH": "SCREENING", "SESTDTC": "2010-08-27", "SEENDTC": "2010-09-03", "SESTDY": -7,
                     "SEENDY": 1},
                    {"USUBJID": first, "SESEQ": 2, "ETCD": "TRT", "ELEMENT": "Treatment", "TAETORD": 2,
                     "EPOCH": "TREATMENT", "SESTDTC": "2010-09-03", "SESTDY": 1}),
        "DS": frame("DS",
                    {"USUBJID": first, "DSSEQ": 1, "DSTERM": "INFORMED CONSENT OBTAINED",
                     "DSDECOD": "INFORMED CONSENT OBTAINED", "DSCAT": "PROTOCOL MILESTONE", "DSSTDTC": "2010-08-27",
                     "DSSTDY": -7},
                    {"USUBJID": second, "DSSEQ": 1, "DSTERM": "Moved away", "DSDECOD": "LOST TO FOLLOW-UP",
                     "DSCAT": "DISPOSITION EVENT", "EPOCH": "SCREENING", "DSSTDTC": "2010-09-01"}),
        "SV": frame("SV",
                    {"USUBJID": first, "VISITNUM": 1, "VISIT": "Screening", "SVPRESP": "Y", "SVOCCUR": "Y",
                     "EPOCH": "SCREENING", "SVSTDTC": "2010-08-27", "SVENDTC": "2010-08-27", "SVSTDY": -7,
                     "SVENDY": -7},
                    {"USUBJID": first, "VISITNUM": 1.01, "VISIT": "Unscheduled", "SVOCCUR": "Y",
                     "EPOCH": "SCREENING", "SVSTDTC": "2010-08-30", "SVENDTC": "2010-08-30", "SVSTDY": -4,
                     "SVENDY": -4},
                    {"USUBJID": second, "VISITNUM": 2, "VISIT": "Day 0", "SVPRESP": "Y", "SVOCCUR": "N",
                     "SVREASOC": REASON, "VISITDY": 1, "EPOCH": "TREATMENT"}),
        "DV": frame("DV",
                    {"USUBJID": first, "DVSEQ": 1, "DVREFID": "D7", "DVTERM": 'Day 7 done 2 days after its window, "late"',
                     "DVDECOD": "VISIT OUT OF WINDOW", "DVCAT": "VISIT SCHEDULE", "EPOCH": "TREATMENT",
                     "DVSTDTC": "2010-09-12", "DVSTDY": 10},
                    {"USUBJID": second, "DVSEQ": 1, "DVREFID": "D0", "DVTERM": "Day 0 missed (window closed 2010-09-05)",
                     "DVDECOD": "MISSED VISIT", "DVCAT": "VISIT SCHEDULE", "EPOCH": "TREATMENT",
                     "DVSTDTC": "2010-09-06"}),
        "SUPPDV": frame("SUPPDV",
                        {"RDOMAIN": "DV", "USUBJID": second, "IDVAR": "DVSEQ", "IDVARVAL": "1", "QNAM": "DVREAS",
                         "QLABEL": "Reason for Deviation", "QVAL": REASON, "QORIG": "CRF"}),
    }
    datasets.update(changed)
    return Package(datasets=datasets, study_id=STUDY, title="BM-MNC and UC-MSC for type 1 diabetes",
                   created=CREATED, modified=modified, as_of="2010-09-25", source_version="0.3.0",
                   epochs=("SCREENING", "TREATMENT"))


def shown(value: object) -> str:
    """A cell as text, the way the test expects every format to hold it: nothing where
    missing, whole numbers without ".0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def expected(data: Package, name: str) -> list[list[str]]:
    return [[shown(value) for value in row] for row in data.datasets[name].itertuples(index=False)]


def read_back(folder: Path, name: str, file_format: str) -> tuple[list[str], list[list[str]]]:
    """A dataset file's column names and cells as text, read by an independent reader."""
    path = folder / (name.lower() + EXTENSIONS[file_format])
    if file_format == "csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        return list(table.columns), table.to_numpy().tolist()
    if file_format == "xpt":
        table, _meta = pyreadstat.read_xport(str(path))
        return list(table.columns), [[shown(value) for value in row] for row in table.itertuples(index=False)]
    document = json.loads(path.read_bytes())
    return [column["name"] for column in document["columns"]], [[shown(v) for v in row] for row in document["rows"]]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One Package written in each format: format → folder."""
    data = package()
    folders = {}
    for file_format in FORMATS:
        folder = tmp_path_factory.mktemp(file_format) / "sdtm"
        write(data, folder, file_format)
        folders[file_format] = folder
    return data, folders


@pytest.mark.parametrize("file_format", FORMATS)
def test_every_dataset_and_define_xml_are_written_under_lower_case_names(tmp_path, file_format):
    """dm.csv / dm.xpt / dm.json … in ORDER, then define.xml; nothing else in DIR."""
    paths = write(package(), tmp_path / "sdtm", file_format)
    names = [name.lower() + EXTENSIONS[file_format] for name in ORDER]
    assert [path.name for path in paths] == [*names, "define.xml"]
    assert sorted(path.name for path in (tmp_path / "sdtm").iterdir()) == sorted([*names, "define.xml"])


@pytest.mark.parametrize("name", ORDER)
def test_the_three_formats_read_back_equal_value_by_value(written, name):
    """CSV (pandas, as text), SAS transport (pyreadstat) and Dataset-JSON (json) hold the
    same cells as the Package: VISITNUM 1.01 stays 1.01, 1.0 is 1, a missing value is empty."""
    data, folders = written
    for file_format, folder in folders.items():
        columns, rows = read_back(folder, name, file_format)
        assert columns == list(DATASETS[name].names), file_format
        assert rows == expected(data, name), file_format


def test_the_numbers_and_the_empty_dataset_are_as_written(written):
    """The cells the formats most often get wrong, pinned: 1.01 and 1 (not 1.0) in the CSV, a
    JSON number for VISITNUM and an integer for DVSEQ, null for missing, zero rows for TI."""
    _data, folders = written
    assert (folders["csv"] / "tv.csv").read_text(encoding="utf-8").splitlines()[1:3] == [
        f"{STUDY},TV,1,Screening,,,Day -7 from D0,End of the same day",
        f"{STUDY},TV,1.01,Unscheduled,,,Unplanned,"]
    assert (folders["csv"] / "ti.csv").read_text(encoding="utf-8") == "STUDYID,DOMAIN,IETESTCD,IETEST,IECAT\n"
    assert not (folders["csv"] / "dm.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # no BOM
    sv = json.loads((folders["dataset-json"] / "sv.json").read_bytes())
    assert [row[3] for row in sv["rows"]] == [1, 1.01, 2]
    missed = dict(zip(DATASETS["SV"].names, sv["rows"][2]))
    assert isinstance(sv["rows"][1][3], float)
    assert missed["SVSTDTC"] is None and missed["SVSTDY"] is None and missed["SVUPDES"] is None
    dv = json.loads((folders["dataset-json"] / "dv.json").read_bytes())
    assert [row[3] for row in dv["rows"]] == [1, 1] and all(isinstance(row[3], int) for row in dv["rows"])
    ti = json.loads((folders["dataset-json"] / "ti.json").read_bytes())
    assert ti["records"] == 0 and ti["rows"] == []
    frame, meta = pyreadstat.read_xport(str(folders["xpt"] / "ti.xpt"))
    assert len(frame) == 0 and list(frame.columns) == list(DATASETS["TI"].names)


@pytest.mark.parametrize("name", ORDER)
def test_every_dataset_json_file_passes_cdiscs_schema(written, name):
    """Each file is valid against CDISC's Dataset-JSON 1.1 schema (draft 2019-09)."""
    _data, folders = written
    document = json.loads((folders["dataset-json"] / f"{name.lower()}.json").read_bytes())
    validator = jsonschema.validators.validator_for(SCHEMA)
    validator.check_schema(SCHEMA)
    validator(SCHEMA).validate(document)


@pytest.mark.parametrize("damage", ["columns", "records", "datasetJSONCreationDateTime", "text type", "version"])
def test_a_damaged_dataset_json_file_fails_the_schema(written, damage):
    """The schema check can fail: a file without its columns (or records, or creation time),
    with a dataType the standard does not have, or of another version is refused."""
    _data, folders = written
    document = json.loads((folders["dataset-json"] / "dm.json").read_bytes())
    if damage == "text type":
        document["columns"][0]["dataType"] = "text"
    elif damage == "version":
        document["datasetJSONVersion"] = "1.0.0"
    else:
        del document[damage]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(document)


def test_the_dataset_json_metadata(written):
    """The top-level attributes in the specification's order, the OIDs shared with
    define.xml (IG.DM, IT.DM.USUBJID), data types, lengths in characters, key sequence."""
    _data, folders = written
    raw = (folders["dataset-json"] / "suppdv.json").read_bytes()
    document = json.loads(raw)
    assert list(document) == [
        "datasetJSONCreationDateTime", "datasetJSONVersion", "fileOID", "dbLastModifiedDateTime", "originator",
        "sourceSystem", "studyOID", "metaDataVersionOID", "metaDataRef", "itemGroupOID", "records", "name",
        "label", "columns", "rows"]
    assert {key: value for key, value in document.items() if key not in ("columns", "rows")} == {
        "datasetJSONCreationDateTime": "2026-12-01T14:30:00Z", "datasetJSONVersion": "1.1.0",
        "fileOID": f"STDY.{STUDY}.SUPPDV", "dbLastModifiedDateTime": "2010-09-25T08:15:00Z",
        "originator": "visit-scheduler", "sourceSystem": {"name": "visit-scheduler", "version": "0.3.0"},
        "studyOID": f"STDY.{STUDY}", "metaDataVersionOID": METADATA_VERSION_OID, "metaDataRef": "define.xml",
        "itemGroupOID": "IG.SUPPDV", "records": 1, "name": "SUPPDV", "label": "Supplemental Qualifiers for DV"}
    qval = next(column for column in document["columns"] if column["name"] == "QVAL")
    assert qval == {"itemOID": "IT.SUPPDV.QVAL", "name": "QVAL", "label": "Data Value", "dataType": "string",
                    "length": len(REASON)}  # characters, not the 33 bytes of its UTF-8
    assert REASON.encode("utf-8") in raw  # UTF-8 as it is, not \u escapes
    qeval = next(column for column in document["columns"] if column["name"] == "QEVAL")
    assert qeval["length"] == 1  # empty everywhere: at least 1
    for name in ORDER:
        document = json.loads((folders["dataset-json"] / f"{name.lower()}.json").read_bytes())
        dataset = DATASETS[name]
        assert [column["itemOID"] for column in document["columns"]] == [f"IT.{name}.{v}" for v in dataset.names]
        keys = {column["name"]: column["keySequence"] for column in document["columns"] if "keySequence" in column}
        assert keys == {key: number for number, key in enumerate(dataset.keys, start=1)}
        types_ = {column["name"]: column["dataType"] for column in document["columns"]}
        assert types_ == {variable.name: {"text": "string", "integer": "integer", "float": "float",
                                          "date": "date"}[variable.type] for variable in dataset.variables}
        assert all(("length" in column) == (column["dataType"] == "string") for column in document["columns"])
    sv = json.loads((folders["dataset-json"] / "sv.json").read_bytes())
    assert next(c for c in sv["columns"] if c["name"] == "SVREASOC")["length"] == len(REASON)


def test_without_an_audit_trail_there_is_no_db_last_modified():
    document = json.loads(dataset_json(package(modified=None), "DM"))
    assert "dbLastModifiedDateTime" not in document and document["originator"] == "visit-scheduler"


def test_the_transport_files_name_and_label_their_tables(written):
    """Table names upper-case (DM) in lower-case files (dm.xpt); the labels of sdtm_spec."""
    _data, folders = written
    for name in ORDER:
        _frame, meta = pyreadstat.read_xport(str(folders["xpt"] / f"{name.lower()}.xpt"), metadataonly=True)
        assert meta.table_name == name
        assert meta.file_label == DATASETS[name].label
        assert meta.column_labels == [variable.label for variable in DATASETS[name].variables]
        # the export's creation time, not the clock's: the same data gives the same bytes
        assert meta.creation_time == meta.modification_time == datetime(2026, 12, 1, 14, 30)


def test_long_text_is_cut_to_200_bytes_in_the_transport_file_only(tmp_path):
    """A 250-byte Chinese reason: the .xpt holds its first 200 bytes (whole characters),
    CSV and Dataset-JSON keep it whole."""
    long = "原因" * 42  # 84 characters, 252 bytes
    data = package()
    suppdv = data.datasets["SUPPDV"].assign(QVAL=long)
    data = package(SUPPDV=suppdv)
    write(data, tmp_path / "xpt", "xpt")
    write(data, tmp_path / "csv", "csv")
    frame, _meta = pyreadstat.read_xport(str(tmp_path / "xpt" / "suppdv.xpt"))
    assert frame["QVAL"].tolist() == [long[:66]]  # 66 characters × 3 bytes = 198 ≤ 200
    assert pd.read_csv(tmp_path / "csv" / "suppdv.csv", dtype=str)["QVAL"].tolist() == [long]
    assert json.loads(dataset_json(data, "SUPPDV"))["rows"][0][7] == long


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_same_package_gives_the_same_bytes(tmp_path, file_format):
    """Written twice, every file is byte for byte the same (the creation time is fixed here)."""
    first, second = tmp_path / "first", tmp_path / "second"
    write(package(), first, file_format)
    write(package(), second, file_format)
    assert {path.name: path.read_bytes() for path in first.iterdir()} == \
           {path.name: path.read_bytes() for path in second.iterdir()}


def test_missing_numbers_and_text_may_come_in_any_spelling(tmp_path):
    """NaN, None, pd.NA, "" and nullable integers: the same files."""
    data = package()
    sv = data.datasets["SV"]
    spelled = sv.assign(SVSTDY=sv["SVSTDY"].astype("Int64"), SVENDY=sv["SVENDY"].astype(object),
                        VISITDY=sv["VISITDY"].astype(object).where(sv["VISITDY"].notna(), ""),
                        SVREASOC=sv["SVREASOC"].where(sv["SVREASOC"] != "", None),
                        SVSTDTC=pd.to_datetime(sv["SVSTDTC"].replace("", None)))
    for file_format in FORMATS:
        write(data, tmp_path / "plain", file_format)
        write(package(SV=spelled), tmp_path / "spelled", file_format)
        name = "sv" + EXTENSIONS[file_format]
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "spelled" / name).read_bytes(), file_format


def test_a_folder_of_0_2_files_is_replaced_and_its_files_are_gone(tmp_path):
    """TV.csv, SV.csv, DV.csv (and TV.xpt …) from 0.2: the tool's, so replaced; none is left
    beside the new set. Another format's files from an earlier export go too."""
    folder = tmp_path / "sdtm"
    folder.mkdir()
    for name in ("TV.csv", "SV.csv", "DV.csv", "TV.xpt", "SV.xpt", "DV.xpt", ".SV.csv.k2j4h5g6.tmp"):
        (folder / name).write_text("from 0.2.0\n", encoding="utf-8")
    write(package(), folder, "xpt")
    assert sorted(path.name for path in folder.iterdir()) == sorted([f"{n.lower()}.xpt" for n in ORDER] + ["define.xml"])
    write(package(), folder, "csv")
    assert sorted(path.name for path in folder.iterdir()) == sorted([f"{n.lower()}.csv" for n in ORDER] + ["define.xml"])
    assert not list(tmp_path.glob(".sdtm*"))  # nothing left beside it


@pytest.mark.parametrize("stranger", ["notes.txt", "DM.csv", "dm.csv.bak"])
def test_a_folder_holding_a_file_the_tool_did_not_write_is_refused(tmp_path, stranger):
    """Nothing written, nothing removed, the file named."""
    folder = tmp_path / "sdtm"
    folder.mkdir()
    (folder / "TV.csv").write_text("from 0.2.0\n", encoding="utf-8")
    (folder / stranger).write_text("the sponsor's notes\n", encoding="utf-8")
    with pytest.raises(OutputError) as raised:
        write(package(), folder, "dataset-json")
    assert str(raised.value).startswith(f"sdtm holds {stranger}, which visit-scheduler did not write — nothing "
                                        "was written") or f"holds {stranger}, which" in str(raised.value)
    assert sorted(path.name for path in folder.iterdir()) == sorted(["TV.csv", stranger])
    assert not list(tmp_path.glob(".sdtm*"))


def test_a_frame_without_its_columns_is_a_bug_named():
    data = package(DM=package().datasets["DM"].drop(columns=["COUNTRY"]))
    with pytest.raises(ValueError, match=r"DM: the columns differ from sdtm_spec \(missing \['COUNTRY'\]"):
        dataset_json(data, "DM")


def test_a_format_the_writers_do_not_have_is_a_bug_named(tmp_path):
    with pytest.raises(ValueError, match="'sas7bdat': not one of"):
        write(package(), tmp_path / "sdtm", "sas7bdat")
    assert not (tmp_path / "sdtm").exists()
