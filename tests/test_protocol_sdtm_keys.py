"""The protocol keys SDTM reads ([study] design keys, [[criteria]], a visit's epoch and
visitnum): each validated with its line, each default what docs/protocol-file.md says."""

from __future__ import annotations

import pytest

from scheduler.errors import ProtocolError
from scheduler.protocol import load_built_in, parse_protocol

BASE = """\
[study]
id = "NCT00000001"
timezone = "UTC"
{study}
[[visits]]
code = "D0"
kind = "transplant"
day = 0
{visit}
[[visits]]
code = "M1"
kind = "follow-up"
day = 30
{criteria}"""


def protocol_of(study: str = "", visit: str = "", criteria: str = ""):
    return parse_protocol(BASE.format(study=study, visit=visit, criteria=criteria), source="p.toml")


def problems_of(study: str = "", visit: str = "", criteria: str = "") -> list[str]:
    with pytest.raises(ProtocolError) as raised:
        protocol_of(study, visit, criteria)
    return [str(problem) for problem in raised.value.problems]


def test_the_built_in_protocol_carries_the_registry_facts():
    """From the registry record: phase 1, single group, open label, 24 planned, 18–50, both
    sexes, started August 2010 (month only), 8 inclusion and 4 exclusion criteria."""
    design = load_built_in().design
    assert (design.country, design.phase, design.study_type, design.intervention_model, design.blinding) == (
        "CHN", "PHASE I TRIAL", "INTERVENTIONAL", "SINGLE GROUP", "OPEN LABEL")
    assert (design.randomized, design.add_on, design.planned_subjects, design.age_min, design.age_max) == (
        False, None, 24, 18, 50)
    assert (design.sex_population, design.registry_id, design.start_date) == ("BOTH", "NCT01143168", "2010-08")
    assert design.sponsor == "Cellonis Biotechnology Co. Ltd."
    categories = [criterion.category for criterion in design.criteria]
    assert categories == ["INCLUSION"] * 8 + ["EXCLUSION"] * 4
    assert [visit.epoch for visit in load_built_in().visits] == ["TREATMENT"] * 3 + ["FOLLOW-UP"] * 5


def test_defaults_when_the_protocol_is_silent():
    """Every design key None; registry_id from an NCT-shaped id; epochs from the kinds;
    VISITNUM the place in the file."""
    protocol = protocol_of()
    design = protocol.design
    assert design.registry_id == "NCT00000001"
    assert (design.country, design.phase, design.randomized, design.start_date, design.criteria) == (
        None, None, None, None, ())
    assert [visit.epoch for visit in protocol.visits] == ["TREATMENT", "FOLLOW-UP"]
    assert protocol.visit_numbers() == {"D0": 1.0, "M1": 2.0}
    assert parse_protocol(BASE.format(study="", visit="", criteria="").replace("NCT00000001", "TRIAL-7"),
                          source="p.toml").design.registry_id is None


def test_terms_are_upper_cased_and_checked():
    """Any case is read; a word outside the CDISC terms is named with its line and the terms."""
    assert protocol_of('phase = "phase i trial"\nblinding = "Open Label"').design.phase == "PHASE I TRIAL"
    assert problems_of('phase = "PHASE 1"') == [
        "p.toml:4: [study]: 'phase' is not one of its CDISC terms (value 'PHASE 1') — use one of: PHASE 0 TRIAL, "
        "PHASE I TRIAL, PHASE I/II TRIAL, PHASE II TRIAL, PHASE II/III TRIAL, PHASE III TRIAL, PHASE IV TRIAL, "
        "NOT APPLICABLE"]


def test_flags_numbers_country_and_start_date():
    """Each wrong form is a problem on its own line (study keys start on line 4)."""
    problems = problems_of('randomized = "no"\nplanned_subjects = 0\nage_min = 60\nage_max = 50\n'
                           'country = "CN"\nstart_date = "August 2010"')
    assert problems == [
        "p.toml:4: [study]: 'randomized' must be true or false (value 'no') — write it without quotes: "
        "randomized = false",
        "p.toml:5: [study]: 'planned_subjects' must be a whole number of at least 1 (value '0') — write it "
        "without quotes or decimals, for example planned_subjects = 24",
        "p.toml:6: [study]: 'age_min' is above 'age_max' (value '60') — check both ages",
        "p.toml:8: [study]: 'country' must be an ISO 3166 three-letter code (value 'CN') — for China write "
        "country = \"CHN\"",
        "p.toml:9: [study]: 'start_date' must be a date (2010-08-01) or a year and month in quotes "
        "(\"2010-08\") (value 'August 2010')",
    ]
    # A TOML date, a month in quotes, a day in quotes; 2010-02-30 does not exist.
    assert protocol_of("start_date = 2010-08-01").design.start_date == "2010-08-01"
    assert protocol_of('start_date = "2010-08"').design.start_date == "2010-08"
    assert problems_of('start_date = "2010-02-30"')[0].startswith("p.toml:4: [study]: 'start_date' must be")
    assert problems_of('start_date = "2010-13"')[0].startswith("p.toml:4: [study]: 'start_date' must be")
    assert protocol_of('country = "chn"').design.country == "CHN"


def test_criteria():
    """Numbered from 1 in messages; category checked; text at most 200 characters. Lines: the
    criteria start after the blank line 14 ([[criteria]] on 15, 19 and 23)."""
    good = '\n[[criteria]]\ncategory = "inclusion"\ntext = "Aged 18 or over"\n'
    assert [(c.category, c.text) for c in protocol_of(criteria=good).design.criteria] == [
        ("INCLUSION", "Aged 18 or over")]
    long = "x" * 201
    problems = problems_of(criteria=f'\n[[criteria]]\ncategory = "OTHER"\ntext = "A"\n'
                                    f'\n[[criteria]]\ncategory = "EXCLUSION"\ntext = "{long}"\n'
                                    '\n[[criteria]]\ntext = "B"\n')
    assert problems == [
        "p.toml:16: criterion 1: 'category' is not one of its CDISC terms (value 'OTHER') — use one of: "
        "INCLUSION, EXCLUSION",
        "p.toml:21: criterion 2: 'text' is longer than 200 characters (201) — shorten it: SDTM keeps at most "
        "200 characters of a criterion",
        "p.toml:23: criterion 3: 'category' is missing — add a line such as category = \"INCLUSION\"",
    ]


def test_epoch_and_visitnum():
    """An explicit epoch is upper-cased; a bad one and a VISITNUM used twice are problems;
    a visit whose kind gives no epoch has none (export sdtm refuses, protocol warns)."""
    protocol = protocol_of(visit='epoch = "screening"\nvisitnum = 0.5')
    assert protocol.visit("D0").epoch == "SCREENING" and protocol.visit_numbers() == {"D0": 0.5, "M1": 2.0}
    assert problems_of(visit='epoch = "TREATMENT; FOLLOW-UP"') == [
        "p.toml:9: visit 1 (D0): 'epoch' must be an SDTM epoch such as TREATMENT or FOLLOW-UP (value "
        "'TREATMENT; FOLLOW-UP') — use letters, digits, spaces and hyphens; at most 40"]
    # D0 takes visitnum 2, which M1 holds by its place in the file.
    assert problems_of(visit="visitnum = 2") == [
        "p.toml:10: visit 2 (M1): VISITNUM 2 is also the VISITNUM of D0 — give each visit its own visitnum "
        "(a visit without one takes its place in the file: 1, 2, 3 …)"]
    assert problems_of(visit='visitnum = "2"')[0].startswith("p.toml:9: visit 1 (D0): 'visitnum' must be a number")
    plain = parse_protocol('[study]\nid = "S"\ntimezone = "UTC"\n[[visits]]\ncode = "V1"\nday = 0\n', "p.toml")
    assert plain.visit("V1").epoch == ""
    assert plain.epoch_warnings() == [
        'visits V1 have no SDTM epoch: export sdtm needs one — add epoch = "TREATMENT" (or SCREENING, '
        "FOLLOW-UP, …) to each"]
