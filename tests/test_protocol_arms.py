"""Arms ([[arms]], a visit's `arms`) and [unscheduled] in the protocol file: each mistake
named with its line, the visits each arm has, and the `protocol` command's arms table."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.errors import ProtocolError
from scheduler.protocol import load_built_in, load_protocol, parse_protocol

from .conftest import ROOT, run_cli, run_process, write

EXAMPLE = ROOT / "docs" / "examples" / "two-arm.toml"

# Lines: [[arms]] on 5 and 12, the visits on 16, 21 and 28.
BASE = """\
[study]
id = "S"
timezone = "UTC"

[[arms]]
code = "A"
name = "Three transplants"

[arms.translations.zh-CN]
name = "三次移植"

[[arms]]
code = "B"
name = "Two transplants"

[[visits]]
code = "D0"
kind = "treatment"
day = 0

[[visits]]
code = "D14"
kind = "treatment"
anchor = "D0"
day = 14
arms = ["A"]

[[visits]]
code = "M1"
kind = "follow-up"
anchor = "D0"
day = 30
"""


def changed(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProtocolError) as raised:
        parse_protocol(text, source="p.toml")
    return [str(problem) for problem in raised.value.problems]


# ------------------------------------------------------------------ the model


def test_arms_are_read_with_their_names_and_translations():
    """Each arm's code and name (default: the code) and its names in other languages; a
    visit's `arms` (default: every arm, as an empty tuple)."""
    protocol = parse_protocol(changed('name = "Two transplants"\n', ""), "p.toml")
    assert protocol.arm_codes == ("A", "B")
    first, second = protocol.arms
    assert (first.name, first.name_in("zh-CN"), first.name_in("en"), first.contract_name) == (
        "Three transplants", "三次移植", "Three transplants", "Three transplants")
    assert (second.name, second.name_in("zh-CN")) == ("B", "B")
    assert [(visit.code, visit.arms) for visit in protocol.visits] == [("D0", ()), ("D14", ("A",)), ("M1", ())]


def test_the_two_arm_example():
    """docs/examples/two-arm.toml is the example the rules describe: DEMO-2ARM in Shanghai,
    clinic days of China, arms A and B, D14 arm A's only and M6 arm B's only, epochs from the
    kinds, Chinese for the title, both arms and every visit."""
    protocol = load_protocol(EXAMPLE)
    assert (protocol.study_id, protocol.timezone, protocol.day0) == ("DEMO-2ARM", "Asia/Shanghai", "D0")
    assert protocol.clinic is not None and protocol.clinic.country == "CN"
    assert protocol.title_in("zh-CN") != protocol.title
    assert [(arm.code, arm.name, arm.name_in("zh-CN")) for arm in protocol.arms] == [
        ("A", "Three transplants", "三次移植"), ("B", "Two transplants", "两次移植")]
    plan = [(visit.code, visit.anchor, visit.amount, visit.minus, visit.plus, visit.kind, visit.epoch, visit.arms)
            for visit in protocol.visits]
    assert plan == [
        ("D0", "enrollment", 0, 0, 0, "treatment", "TREATMENT", ()),
        ("D7", "D0", 7, 1, 1, "treatment", "TREATMENT", ()),
        ("D14", "D0", 14, 2, 2, "treatment", "TREATMENT", ("A",)),
        ("M1", "D0", 30, 3, 3, "follow-up", "FOLLOW-UP", ()),
        ("M3", "D0", 90, 7, 7, "follow-up", "FOLLOW-UP", ()),
        ("M6", "D0", 180, 14, 14, "follow-up", "FOLLOW-UP", ("B",)),
    ]
    assert all(visit.name_in("zh-CN") != visit.name for visit in protocol.visits)
    assert protocol.unscheduled == ("UNS",)


def test_the_visits_each_arm_has():
    """A: D14, not M6; B: M6, not D14; not yet assigned ("" or None): the visits both have.
    Without [[arms]], every visit is everyone's whatever the arm."""
    protocol = load_protocol(EXAMPLE)

    def codes(arm: str | None) -> list[str]:
        return [visit.code for visit in protocol.visits_of(arm)]

    assert codes("A") == ["D0", "D7", "D14", "M1", "M3"]
    assert codes("B") == ["D0", "D7", "M1", "M3", "M6"]
    assert codes("") == ["D0", "D7", "M1", "M3"]
    assert codes(None) == ["D0", "D7", "M1", "M3"]
    built_in = load_built_in()
    assert built_in.arms == () and built_in.visits_of("A") == built_in.visits_of("") == built_in.visits


def test_a_visit_naming_every_arm_is_one_an_unassigned_participant_has():
    """arms = ["A", "B"] with arms A and B is every arm: a participant not yet assigned has it."""
    protocol = parse_protocol(changed('arms = ["A"]', 'arms = ["B", "A"]'), "p.toml")
    assert [visit.code for visit in protocol.visits_of("")] == ["D0", "D14", "M1"]


# ------------------------------------------------------------------ mistakes in [[arms]]


def test_an_arm_without_a_code():
    """The missing code is named on the arm's header line; a visit naming the arm it would
    have been names no arm."""
    assert problems_of(changed('code = "A"\nname', "name")) == [
        "p.toml:5: arm 1: 'code' is missing — add a line such as code = \"A\"",
        "p.toml:25: visit 2 (D14): 'arms' names no arm of [[arms]]: A (value '[\"A\"]') — use the codes of "
        "[[arms]]: B",
    ]


def test_an_arm_code_with_characters_a_code_cannot_hold():
    """An arm code is kept to a visit code's characters (it travels into SDTM ARMCD)."""
    assert problems_of(changed('code = "A"\nname', 'code = "A 1"\nname').replace('["A"]', '["B"]')) == [
        "p.toml:6: arm 1 (A 1): 'code' has characters an arm code cannot hold (value 'A 1') — start with "
        "a letter or digit; then letters, digits, _ . - ; at most 20"]


def test_an_arm_code_used_twice():
    """The second arm with the code is named, with the arm that has it first."""
    assert problems_of(changed('code = "B"', 'code = "A"')) == [
        "p.toml:13: arm 2 (A): arm code 'A' is used twice (also arm 1) — give every arm its own code"]


def test_an_unknown_key_in_an_arm():
    """A key [[arms]] does not have, with the keys it has (or the one meant)."""
    assert problems_of(changed('name = "Two transplants"', 'name = "Two transplants"\nlabel = "2x"')) == [
        "p.toml:15: arm 2 (B): unknown key 'label' — the keys of arm 2 (B) are: code, name"]
    assert problems_of(changed('name = "Two transplants"', 'nmae = "Two transplants"')) == [
        "p.toml:14: arm 2 (B): unknown key 'nmae' — did you mean 'name'?"]


def test_mistakes_in_an_arms_translations():
    """[arms.translations.zh-CN] name: text, the only key; an unknown language is named. The
    arm is still one its visits may name (D14 names A: no second problem)."""
    assert problems_of(changed('name = "三次移植"', "name = 3")) == [
        "p.toml:10: arm 1 (A): [arms.translations.zh-CN]: 'name' must be text in quotes (value '3') — "
        "write it as name = \"三次移植\""]
    assert problems_of(changed('name = "三次移植"', 'nom = "三次移植"')) == [
        "p.toml:10: arm 1 (A): [arms.translations.zh-CN]: unknown key 'nom' — the keys of "
        "[arms.translations.LANG] are: name"]
    [problem] = problems_of(changed("[arms.translations.zh-CN]", "[arms.translations.fr]"))
    assert problem.startswith("p.toml:9: arm 1 (A): ") and "'fr'" in problem


def test_arms_written_as_a_single_table():
    """[arms] (not [[arms]]) is one table, not a list of arms."""
    text = changed("[[arms]]\ncode = \"B\"\nname = \"Two transplants\"\n\n", "",
                   changed("[[arms]]\ncode = \"A\"", "[arms]\ncode = \"A\""))
    assert problems_of(text) == [
        "p.toml:5: 'arms' must be written as [[arms]] tables — write each arm under its own [[arms]] header"]


# ------------------------------------------------------------------ a visit's arms


def test_a_visit_naming_no_arm():
    """Each code not in [[arms]] is named, with the codes there are."""
    assert problems_of(changed('arms = ["A"]', 'arms = ["A", "C", "D"]')) == [
        "p.toml:26: visit 2 (D14): 'arms' names no arm of [[arms]]: C, D (value '[\"A\", \"C\", \"D\"]') — "
        "use the codes of [[arms]]: A, B"]


def test_arms_on_a_visit_without_arms_in_the_protocol():
    """A visit's `arms` needs [[arms]]."""
    text = BASE[:BASE.index("[[arms]]")] + BASE[BASE.index("[[visits]]"):]
    assert problems_of(text) == [
        "p.toml:15: visit 2 (D14): 'arms' names arms, but the protocol has no [[arms]] (value '[\"A\"]') — "
        "add an [[arms]] table for each arm, or remove 'arms'"]


def test_arms_must_be_a_list_of_codes():
    """arms = "A" is a mistake, with the form to write."""
    assert problems_of(changed('arms = ["A"]', 'arms = "A"')) == [
        "p.toml:26: visit 2 (D14): 'arms' must be a list of text (value 'A') — write it as arms = [\"A\"]"]


def test_an_anchor_one_of_the_visits_arms_lacks():
    """M1 (every arm) anchored on D14 (arm A's only): arm B would hang M1 on nothing. M1
    given to arm A only, it may."""
    anchored = changed('code = "M1"\nkind = "follow-up"\nanchor = "D0"', 'code = "M1"\nkind = "follow-up"\nanchor = "D14"')
    assert problems_of(anchored) == [
        "p.toml:31: visit 3 (M1): anchored on D14, which arm B does not have — anchor it on a visit every "
        "arm of it has, or give it only the arms D14 has"]
    only_a = parse_protocol(anchored + 'arms = ["A"]\n', "p.toml")
    assert only_a.visit("M1").anchor == "D14"


def test_a_visit_is_named_by_its_place_in_the_file():
    """A visit before it with a problem of its own does not shift the number and line of an
    arms problem (visit 2, line 26; visit 3, line 31)."""
    broken_first = changed('code = "D0"\nkind = "treatment"', 'code = "D0"\nkind = "treatment"\nminsu = 1')
    assert problems_of(changed('arms = ["A"]', 'arms = ["C"]', broken_first)) == [
        "p.toml:19: visit 1 (D0): unknown key 'minsu' — did you mean 'minus'?",
        "p.toml:27: visit 2 (D14): 'arms' names no arm of [[arms]]: C (value '[\"C\"]') — use the codes of "
        "[[arms]]: A, B",
    ]
    anchored = changed('code = "M1"\nkind = "follow-up"\nanchor = "D0"',
                       'code = "M1"\nkind = "follow-up"\nanchor = "D14"', broken_first)
    assert problems_of(anchored) == [
        "p.toml:19: visit 1 (D0): unknown key 'minsu' — did you mean 'minus'?",
        "p.toml:32: visit 3 (M1): anchored on D14, which arm B does not have — anchor it on a visit every "
        "arm of it has, or give it only the arms D14 has",
    ]


# ------------------------------------------------------------------ [unscheduled]


def test_unscheduled_codes_default_to_uns():
    """Without [unscheduled]: ("UNS",); given: the codes, each once, in the file's order."""
    assert parse_protocol(BASE, "p.toml").unscheduled == ("UNS",)
    given = parse_protocol(BASE + '\n[unscheduled]\ncodes = ["UNS", "AE", "UNS"]\n', "p.toml")
    assert given.unscheduled == ("UNS", "AE")


def test_unscheduled_codes_that_cannot_be_used():
    """A code a visit code could not be, the word enrollment, a planned visit's code: each
    named on the line of `codes` (line 35)."""
    text = BASE + '\n[unscheduled]\ncodes = ["UNS", "un scheduled", "enrollment", "M1"]\n'
    assert problems_of(text) == [
        "p.toml:35: [unscheduled]: 'un scheduled' has characters a visit code cannot hold — start with a "
        "letter or digit; then letters, digits, _ . - ; at most 20",
        "p.toml:35: [unscheduled]: 'enrollment' has characters a visit code cannot hold — start with a "
        "letter or digit; then letters, digits, _ . - ; at most 20",
        "p.toml:35: [unscheduled]: 'M1' is also a planned visit's code — give unscheduled visits a code of "
        "their own, such as UNS",
    ]


def test_unscheduled_written_wrong():
    """codes as one text, a misspelt key, [unscheduled] as a value (without a line, as for
    [clinic]: the locator finds tables by their headers)."""
    assert problems_of(BASE + '\n[unscheduled]\ncodes = "UNS"\n') == [
        "p.toml:35: [unscheduled]: 'codes' must be a list of text (value 'UNS') — write it as codes = [\"UNS\"]"]
    assert problems_of(BASE + '\n[unscheduled]\ncode = ["UNS"]\n') == [
        "p.toml:35: [unscheduled]: unknown key 'code' — did you mean 'codes'?"]
    assert problems_of('unscheduled = "UNS"\n' + BASE) == [
        "p.toml: 'unscheduled' must be a table: [unscheduled]"]


def test_the_arm_keys_are_in_the_schema():
    """[[arms]], [arms.translations.LANG] and [unscheduled] are in SCHEMA, so
    docs/protocol-file.md lists their keys."""
    from scheduler.protocol.schema import SCHEMA, schema_markdown

    assert [key.name for key in SCHEMA["arms"]] == ["code", "name"]
    assert [key.name for key in SCHEMA["arms.translations"]] == ["name"]
    assert [key.name for key in SCHEMA["unscheduled"]] == ["codes"]
    page = schema_markdown()
    assert "### [[arms]] (optional, one per arm; the roster's `arm` column names one)" in page
    assert "| `arms` | list of arm codes | no | every arm |" in page


# ------------------------------------------------------------------ the protocol command


ARMS_TABLE = [
    "2 arms: ✓ the arm has the visit, – it does not",
    "code  visit                     A (Three transplants)  B (Two transplants)",
    "----  ------------------------  ---------------------  -------------------",
    "D0    Transplantation 1         ✓                      ✓",
    "D7    Transplantation 2         ✓                      ✓",
    "D14   Transplantation 3         ✓                      –",
    "M1    Follow-up month 1         ✓                      ✓",
    "M3    Follow-up month 3         ✓                      ✓",
    "M6    Safety follow-up month 6  –                      ✓",
]


def test_the_protocol_command_shows_the_arms_side_by_side():
    """Below the plan and a blank line: the number of arms, then one row per visit and one
    column per arm (code and name), ✓ where the arm has the visit, – where not."""
    result = run_cli("protocol", "--protocol", str(EXAMPLE))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"DEMO-2ARM: 6 visits, time zone Asia/Shanghai, Day 0 = D0 ({EXAMPLE})",
        "code  visit                     when                       anchor      window   kind",
        "----  ------------------------  -------------------------  ----------  -------  ---------",
        "D0    Transplantation 1         Day 0 ± 0 from enrollment  enrollment  1 day    treatment",
        "D7    Transplantation 2         Day 7 ± 1 from D0          D0          3 days   treatment",
        "D14   Transplantation 3         Day 14 ± 2 from D0         D0          5 days   treatment",
        "M1    Follow-up month 1         Day 30 ± 3 from D0         D0          7 days   follow-up",
        "M3    Follow-up month 3         Day 90 ± 7 from D0         D0          15 days  follow-up",
        "M6    Safety follow-up month 6  Day 180 ± 14 from D0       D0          29 days  follow-up",
        "",
        *ARMS_TABLE,
    ]


def test_the_arms_table_in_chinese():
    """In zh-CN: the visits' and arms' Chinese names, columns padded as a Chinese console
    draws them (a Chinese character two columns, – two as well, ✓ one)."""
    result = run_cli("--lang", "zh-CN", "protocol", "--protocol", str(EXAMPLE))
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[9:] == [
        "",
        "2 个组别：✓ 表示该组别有此访视，– 表示没有",
        "访视代码  访视名称           A（三次移植）  B（两次移植）",
        "--------  -----------------  -------------  -------------",
        "D0        第1次移植          ✓              ✓",
        "D7        第2次移植          ✓              ✓",
        "D14       第3次移植          ✓              –",
        "M1        随访第1个月        ✓              ✓",
        "M3        随访第3个月        ✓              ✓",
        "M6        安全性随访第6个月  –             ✓",
    ]


def test_an_arm_without_a_name_is_headed_by_its_code(tmp_path: Path):
    """An arm whose name is its code (no `name`) is headed by the code alone; an arm without
    a Chinese name keeps its own in zh-CN."""
    path = write(tmp_path, "p.toml", changed('name = "Two transplants"\n', ""))
    lines = run_cli("protocol", "--protocol", str(path)).stdout.splitlines()
    assert lines[lines.index("") + 1:] == [
        "2 arms: ✓ the arm has the visit, – it does not",
        "code  visit  A (Three transplants)  B",
        "----  -----  ---------------------  -",
        "D0    D0     ✓                      ✓",
        "D14   D14    ✓                      –",
        "M1    M1     ✓                      ✓",
    ]
    path = write(tmp_path, "q.toml", BASE)
    chinese = run_cli("--lang", "zh-CN", "protocol", "--protocol", str(path)).stdout.splitlines()
    assert chinese[chinese.index("") + 2] == "访视代码  访视名称  A（三次移植）  B（Two transplants）"


def test_the_example_is_valid_as_a_nurse_runs_it():
    """The real command on the example: exit 0, nothing on standard error (no warning)."""
    result = run_process("protocol", "--protocol", str(EXAMPLE))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[-len(ARMS_TABLE):] == ARMS_TABLE


BUILT_IN_PLAN = """\
NCT01143168: 8 visits, time zone Asia/Shanghai, Day 0 = D0 (built-in NCT01143168 protocol)
code  visit                                  when                       anchor      window   kind
----  -------------------------------------  -------------------------  ----------  -------  ----------
D0    Transplantation 1 (pancreatic artery)  Day 0 ± 0 from enrollment  enrollment  1 day    transplant
D7    Transplantation 2 (intravenous)        Day 7 ± 1 from D0          D0          3 days   transplant
D14   Transplantation 3 (intravenous)        Day 14 ± 2 from D0         D0          5 days   transplant
M1    Follow-up month 1                      Day 30 ± 3 from D0         D0          7 days   follow-up
M3    Follow-up month 3                      Day 90 ± 7 from D0         D0          15 days  follow-up
M6    Follow-up month 6                      Day 180 ± 14 from D0       D0          29 days  follow-up
M9    Follow-up month 9                      Day 270 ± 14 from D0       D0          29 days  follow-up
M12   Follow-up month 12 (end of study)      Day 365 ± 14 from D0       D0          29 days  follow-up
"""


def test_without_arms_the_plan_is_as_before(tmp_path: Path):
    """The built-in protocol has no [[arms]]: the plan alone, byte for byte as before arms."""
    result = run_cli("protocol", cwd=tmp_path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, BUILT_IN_PLAN, "")
