"""define.xml (Define-XML 2.1) for the SDTM export: what each dataset and variable is, for the
reviewer who opens the files and for the tools that check them against it.

The metadata come from ``core.sdtm_spec`` (one table for every writer), the rest from the data
itself: a text variable's Length is its longest value, a codelist lists only the terms the
datasets hold. The OIDs are sdtm_spec's (``IG.DM``, ``IT.DM.USUBJID``, ``CL.SEX``), so the
itemOIDs of a Dataset-JSON file resolve here. odmlib builds the document (CDISC's object model:
element order, namespaces and value sets are its business); the document is checked with the
Define-XML 2.1 schema odmlib ships (``validate``).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from odmlib.define_2_1 import model as define

from scheduler.core.sdtm_spec import (
    CODELISTS,
    DATASETS,
    DEFINE_VERSION,
    METADATA_VERSION_OID,
    ORDER,
    SDTMIG_VERSION,
    SUPPLEMENTAL,
    Dataset,
    Package,
    Variable,
)
from scheduler.errors import OutputError
from scheduler.i18n import _
from scheduler.outputs.dataset_json import Value, cells, coded, measured, numbers_present, written

if TYPE_CHECKING:
    import xmlschema
    from pandas import DataFrame

# The extension of each format's files, which the def:leaf hrefs name.
EXTENSIONS = {"csv": "csv", "xpt": "xpt", "dataset-json": "json"}

ODM_NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NAMESPACE = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"

STANDARD_OID = f"STD.SDTMIG.{SDTMIG_VERSION}"
# A character variable in a SAS transport v5 file holds at most 200 bytes (the writer cuts
# longer text there), and its length is counted in bytes, not characters.
TRANSPORT_TEXT_LIMIT = 200
# The value-level metadata: SUPPDV.QVAL has one definition per QNAM (sdtm_spec.SUPPLEMENTAL).
SUPPLEMENTAL_DATASET = "SUPPDV"
COMPLETE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

SCHEMA = Path("schemas") / "define" / "2.1" / "define2-1-0.xsd"


def item_oid(dataset: str, variable: str) -> str:
    """IT.DM.USUBJID: one ItemDef per variable of each dataset, as Dataset-JSON names it."""
    return f"IT.{dataset}.{variable}"


def value_list_item_oid(qnam: str) -> str:
    """IT.SUPPDV.QVAL.DVREAS: SUPPDV.QVAL where QNAM is DVREAS."""
    return f"{item_oid(SUPPLEMENTAL_DATASET, 'QVAL')}.{qnam}"


@dataclass(frozen=True)
class _Note:
    """A method's or a comment's text, with the variables it is about (one MethodDef or
    CommentDef per distinct text: the study-day rule is written once, not six times)."""

    oid: str
    text: str
    variables: tuple[str, ...]


def define_xml(package: Package, file_format: str) -> bytes:
    """The define.xml of one export, its leaves naming the files of `file_format` ("csv",
    "xpt" or "dataset-json"): UTF-8 with its XML declaration, the same bytes for the same
    package."""
    if file_format not in EXTENSIONS:
        # TRANSLATORS: {format} is the file format asked for, as given (csv, xpt and
        # dataset-json are option values: not translated).
        raise OutputError(_("define.xml cannot name files of format {format}: use csv, xpt or "
                            "dataset-json").format(format=file_format))
    values = _Values(package)
    methods = _notes("MT", derived=True)
    comments = _notes("COM", derived=False)
    codelists = _codelists(package, values)

    version = define.MetaDataVersion(
        OID=METADATA_VERSION_OID,
        Name=f"SDTM datasets of {package.study_id}",
        Description=f"SDTMIG {SDTMIG_VERSION} datasets of study {package.study_id}, statuses as of "
                    f"{package.as_of}",
        DefineVersion=DEFINE_VERSION)
    version.Standards = define.Standards(Standard=[define.Standard(
        OID=STANDARD_OID, Name="SDTMIG", Type="IG", Version=SDTMIG_VERSION, Status="Final")])
    version.ValueListDef = [_value_list(values)]
    version.WhereClauseDef = [_where_clause(qnam) for qnam in SUPPLEMENTAL]
    version.ItemGroupDef = [_item_group(DATASETS[name], package.datasets[name], file_format, values, methods)
                            for name in ORDER]
    version.ItemDef = [_item_def(DATASETS[name], variable, values, file_format, codelists, comments)
                       for name in ORDER for variable in DATASETS[name].variables]
    version.ItemDef += [_value_item_def(qnam, values, file_format) for qnam in SUPPLEMENTAL]
    version.CodeList = [_codelist(key, terms) for key, terms in codelists.items()]
    version.MethodDef = [define.MethodDef(OID=method.oid, Name=f"Algorithm to derive {', '.join(method.variables)}",
                                          Type="Computation", Description=_description(method.text))
                         for method in methods.values()]
    version.CommentDef = [define.CommentDef(OID=comment.oid, Description=_description(comment.text))
                          for comment in comments.values()]

    study = define.Study(OID=package.study_oid, GlobalVariables=define.GlobalVariables(
        StudyName=define.StudyName(_content=package.study_id),
        StudyDescription=define.StudyDescription(_content=package.title),
        ProtocolName=define.ProtocolName(_content=package.study_id)))
    study.MetaDataVersion = version
    root = define.ODM(
        FileType="Snapshot", FileOID=f"DEFINE.{package.study_id}.{package.as_of}",
        CreationDateTime=package.created, ODMVersion="1.3.2", Originator="visit-scheduler",
        SourceSystem="visit-scheduler", SourceSystemVersion=package.source_version, Context="Submission",
        Study=study)
    return _serialise(root)


def _serialise(root: define.ODM) -> bytes:
    """odmlib's tree, indented, with the three namespaces declared on the root.

    odmlib's own to_xml_string writes one long line and takes its namespaces from a
    process-wide registry (which another odmlib model imported in the same process, Define
    2.0 or ODM 2.0, rebinds); the tree it builds names its prefixes literally (def:, xlink:,
    xml:), so declaring them here keeps the document right whatever else was imported."""
    element = root.to_xml()
    assert element is not None  # a top-level to_xml() returns the root it made
    declared = {"xmlns": ODM_NAMESPACE, "xmlns:xlink": XLINK_NAMESPACE, "xmlns:def": DEF_NAMESPACE}
    attributes = {**declared, **element.attrib}
    element.attrib.clear()
    element.attrib.update(attributes)
    ET.indent(element, space="  ")
    body: bytes = ET.tostring(element, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


class _Values(dict[tuple[str, str], list[str | None]]):
    """``_values`` by (dataset, variable), each made when first asked for: a text variable
    without a codelist is described by its measure alone (``dataset_json.measured``: its
    length, whether it has data), and its list of 100,000 USUBJIDs is never made."""

    def __init__(self, package: Package) -> None:
        super().__init__()
        self.package = package

    def __missing__(self, key: tuple[str, str]) -> list[str | None]:
        name, column = key
        found = self[key] = _values(self.package, name, DATASETS[name].variable(column))
        return found

    def measure(self, name: str, variable: Variable) -> tuple[int, bool] | None:
        """A text or date variable's longest value and whether all are ASCII; None for numbers."""
        return measured(self.package, name, variable) if variable.type in ("text", "date") else None

    def no_data(self, name: str, variable: Variable) -> bool:
        """No row has a value: for text, its longest value is empty."""
        measure = self.measure(name, variable)
        if measure is not None:
            return measure[0] == 0
        return all(text is None for text in self[name, variable.name])


def _values(package: Package, name: str, variable: Variable) -> list[str | None]:
    """A variable's distinct values as its files write them (8, not 8.0; 1.01), None
    where missing: lengths, digits and terms need no more (800,000 SV rows hold a few
    thousand values), from the codes every writer shares (``dataset_json.coded``). SUPPDV:
    one value per row, in order (its QVAL length is taken per QNAM)."""
    if variable.type in ("integer", "float") and name != SUPPLEMENTAL_DATASET:
        # Numbers: their distinct values alone (no codes: the transport writer takes floats as they are).
        numbers, missing = numbers_present(package, name, variable)
        written_numbers: list[str | None] = list(written(numbers, variable.type))
        return [*written_numbers, None] if missing else written_numbers
    codes, uniques = coded(package, name, variable)
    texts: list[str | None] = [text or None for text in written(uniques, variable.type)]  # "": no code points there
    if name == SUPPLEMENTAL_DATASET:
        listed: list[str | None] = cells(codes, cast("list[Value]", texts), None).tolist()
        return listed
    return [*texts, None] if (codes < 0).any() else texts


def _measured_length(measure: tuple[int, bool] | None, file_format: str) -> int | None:
    """``_length`` from a variable's measure (longest, all ASCII: ``dataset_json.measured``),
    None when it cannot say: no measure, or a transport file of non-ASCII text (its bytes)."""
    if measure is None or (file_format == "xpt" and not measure[1]):
        return None
    return max(1, min(TRANSPORT_TEXT_LIMIT, measure[0]) if file_format == "xpt" else measure[0])


def _length(texts: Sequence[str | None], file_format: str) -> int:
    """The longest value, at least 1: in bytes for a transport file (SAS counts bytes, up to
    200), in characters otherwise."""
    # filter(None, …): the texts present (neither None nor ""), with no list made of them.
    if file_format == "xpt" and "".join(filter(None, texts)).isascii():  # a byte a character
        return max(1, min(TRANSPORT_TEXT_LIMIT, max(map(len, filter(None, texts)), default=0)))
    if file_format == "xpt":
        # As the transport file holds it: cut to 200 bytes on a character boundary (198 for a
        # Chinese text whose 67th character would straddle the limit).
        return max([len(text.encode("utf-8")[:TRANSPORT_TEXT_LIMIT].decode("utf-8", errors="ignore").encode("utf-8"))
                    for text in texts if text] + [1])
    return max(1, max(map(len, filter(None, texts)), default=0))


def _notes(prefix: str, derived: bool) -> dict[str, _Note]:
    """The method texts of Derived variables (MethodDefs) or of the others (CommentDefs),
    keyed by text, each named after the first variable that has it."""
    found: dict[str, _Note] = {}
    for name in ORDER:
        for variable in DATASETS[name].variables:
            if not variable.method or (variable.origin == "Derived") != derived:
                continue
            known = found.get(variable.method)
            if known is None:
                found[variable.method] = _Note(f"{prefix}.{name}.{variable.name}", variable.method,
                                               (variable.name,))
            elif variable.name not in known.variables:
                found[variable.method] = _Note(known.oid, known.text, (*known.variables, variable.name))
    return found


def _codelists(package: Package, values: dict[tuple[str, str], list[str | None]]) -> dict[str, list[str]]:
    """Each codelist the variables take, with the terms the data hold: sdtm_spec's order for
    the terms it knows, then the others alphabetically (EPOCH: the package's epochs, in element
    order). A codelist no value uses is left out (a CodeList needs one item at least); COUNTRY
    stays, as a reference to ISO 3166."""
    present: dict[str, set[str]] = {}
    for name in ORDER:
        for variable in DATASETS[name].variables:
            if variable.codelist is not None:
                present.setdefault(variable.codelist, set()).update(
                    text for text in values[name, variable.name] if text is not None)
    chosen: dict[str, list[str]] = {}
    for key, (_name, codes) in CODELISTS.items():
        if key not in present:
            continue
        first = list(package.epochs) if key == "EPOCH" else [term for term in codes if term in present[key]]
        terms = first + sorted(present[key] - set(first))
        if terms or key == "COUNTRY":
            chosen[key] = terms
    return chosen


def _description(text: str) -> define.Description:
    return define.Description(TranslatedText=[define.TranslatedText(lang="en", _content=text)])


def _origin(variable: Variable, description: str = "") -> define.Origin:
    """Collected values come from the site's files (the investigator), the others from the
    sponsor's protocol and this tool."""
    origin = define.Origin(Type=variable.origin,
                           Source="Investigator" if variable.origin == "Collected" else "Sponsor")
    if description:
        origin.Description = _description(description)
    return origin


def _where_clause_oid(qnam: str) -> str:
    return f"WC.{SUPPLEMENTAL_DATASET}.QNAM.{qnam}"


def _value_list(values: dict[tuple[str, str], list[str | None]]) -> define.ValueListDef:
    """SUPPDV.QVAL, one definition per QNAM (flagged HasNoData when no row has that QNAM)."""
    refs = []
    for number, qnam in enumerate(SUPPLEMENTAL, start=1):
        ref = define.ItemRef(ItemOID=value_list_item_oid(qnam), OrderNumber=number, Mandatory="Yes")
        if qnam not in values[SUPPLEMENTAL_DATASET, "QNAM"]:
            ref.HasNoData = "Yes"
        ref.WhereClauseRef = [define.WhereClauseRef(WhereClauseOID=_where_clause_oid(qnam))]
        refs.append(ref)
    return define.ValueListDef(OID=f"VL.{SUPPLEMENTAL_DATASET}.QVAL", ItemRef=refs)


def _where_clause(qnam: str) -> define.WhereClauseDef:
    """The rows of SUPPDV whose QNAM is `qnam`."""
    return define.WhereClauseDef(OID=_where_clause_oid(qnam), RangeCheck=[define.RangeCheck(
        Comparator="EQ", SoftHard="Soft", ItemOID=item_oid(SUPPLEMENTAL_DATASET, "QNAM"),
        CheckValue=[define.CheckValue(_content=qnam)])])


def _value_item_def(qnam: str, values: dict[tuple[str, str], list[str | None]], file_format: str) -> define.ItemDef:
    """QVAL where QNAM is `qnam`: its label, and its length from those rows alone."""
    label, description = SUPPLEMENTAL[qnam]
    rows = zip(values[SUPPLEMENTAL_DATASET, "QNAM"], values[SUPPLEMENTAL_DATASET, "QVAL"])
    texts = [value for name, value in rows if name == qnam]
    item = define.ItemDef(OID=value_list_item_oid(qnam), Name=qnam, DataType="text",
                          Length=_length(texts, file_format), SASFieldName=qnam, Description=_description(label))
    item.Origin = [_origin(DATASETS[SUPPLEMENTAL_DATASET].variable("QVAL"), description)]
    return item


def _item_group(dataset: Dataset, frame: DataFrame, file_format: str,
                values: _Values, methods: dict[str, _Note]) -> define.ItemGroupDef:
    """A dataset: what it is, its variables in order with keys, roles and methods, its file."""
    file_name = f"{dataset.file_stem}.{EXTENSIONS[file_format]}"
    supplemental = dataset.name.startswith("SUPP")
    domain = dataset.name[4:] if supplemental else dataset.name
    # One record per subject (DM) or trial design data: not repeating.
    repeating = "No" if dataset.reference or dataset.structure == "One record per subject" else "Yes"
    group = define.ItemGroupDef(
        OID=f"IG.{dataset.name}", Name=dataset.name, Domain=domain, Repeating=repeating,
        IsReferenceData="Yes" if dataset.reference else "No", SASDatasetName=dataset.name,
        Structure=dataset.structure, Purpose="Tabulation", StandardOID=STANDARD_OID,
        ArchiveLocationID=f"LF.{dataset.name}", Description=_description(dataset.label))
    if len(frame) == 0:
        group.HasNoData = "Yes"
    refs = []
    for number, variable in enumerate(dataset.variables, start=1):
        ref = define.ItemRef(ItemOID=item_oid(dataset.name, variable.name), OrderNumber=number,
                             Mandatory="Yes" if variable.core == "Req" else "No")
        if variable.name in dataset.keys:
            ref.KeySequence = dataset.keys.index(variable.name) + 1
        if variable.origin == "Derived" and variable.method:
            ref.MethodOID = methods[variable.method].oid
        ref.Role = variable.role
        if values.no_data(dataset.name, variable):
            ref.HasNoData = "Yes"
        refs.append(ref)
    group.ItemRef = refs
    if supplemental:
        group.Alias = [define.Alias(Context="DomainDescription", Name=DATASETS[domain].label)]
    group.Class = define.Class(Name=dataset.sdtm_class)
    group.leaf = define.leaf(ID=f"LF.{dataset.name}", href=file_name, title=define.title(_content=file_name))
    return group


def _item_def(dataset: Dataset, variable: Variable, values: _Values, file_format: str,
              codelists: dict[str, list[str]], comments: dict[str, _Note]) -> define.ItemDef:
    """A variable: its type and length from the data, its label, terms, origin and method."""
    key = (dataset.name, variable.name)
    data_type: str = variable.type
    if variable.type == "date" and any(text is not None and not COMPLETE_DATE.fullmatch(text)
                                       for text in values[key]):
        data_type = "partialDate"  # "2010-08"
    item = define.ItemDef(OID=item_oid(dataset.name, variable.name), Name=variable.name, DataType=data_type)
    if variable.type in ("text", "integer", "float"):
        length = _measured_length(values.measure(dataset.name, variable), file_format)
        item.Length = length if length is not None else _length(values[key], file_format)
    if variable.type == "float":
        item.SignificantDigits = max([len(text.partition(".")[2]) for text in values[key] if text] + [0])
    item.SASFieldName = variable.name
    if variable.origin != "Derived" and variable.method:
        item.CommentOID = comments[variable.method].oid
    item.Description = _description(variable.label)
    if variable.codelist is not None and variable.codelist in codelists:
        item.CodeListRef = define.CodeListRef(CodeListOID=f"CL.{variable.codelist}")
    item.Origin = [_origin(variable)]
    if dataset.name == SUPPLEMENTAL_DATASET and variable.name == "QVAL":
        item.ValueListRef = define.ValueListRef(ValueListOID=f"VL.{SUPPLEMENTAL_DATASET}.QVAL")
    return item


def _codelist(key: str, terms: list[str]) -> define.CodeList:
    """The terms with their NCI C-codes where sdtm_spec gives one; COUNTRY refers to ISO 3166."""
    name, codes = CODELISTS[key]
    codelist = define.CodeList(OID=f"CL.{key}", Name=name, DataType="text")
    if key == "COUNTRY":
        codelist.ExternalCodeList = define.ExternalCodeList(Dictionary="ISO 3166-1 alpha-3",
                                                            href="https://www.iso.org/iso-3166-country-codes.html")
        return codelist
    items = []
    for term in terms:
        item = define.EnumeratedItem(CodedValue=term)
        if codes.get(term):
            item.Alias = [define.Alias(Context="nci:ExtCodeID", Name=codes[term])]
        items.append(item)
    codelist.EnumeratedItem = items
    return codelist


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """CDISC's Define-XML 2.1 schema (with ODM 1.3.2 under it), as odmlib ships it: loaded
    once per process (about half a second)."""
    import odmlib
    import xmlschema

    return xmlschema.XMLSchema(str(Path(odmlib.__file__).parent / SCHEMA))


def validate(document: bytes) -> list[str]:
    """What the schema finds wrong with a define.xml, one short line each; empty when valid."""
    import io

    import xmlschema

    try:
        return [f"{error.path}: {error.reason}" if error.path else str(error.reason)
                for error in schema().iter_errors(io.BytesIO(document))]
    except (ET.ParseError, xmlschema.XMLResourceError) as error:
        return [f"not well-formed XML: {error}"]
