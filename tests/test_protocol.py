"""Protocol files: the built-in plan, the nurse's table, and validation of every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.errors import ProtocolError
from scheduler.protocol import load_built_in, load_protocol, parse_protocol

from .conftest import run_cli, run_process, write

DEMO = """\
[study]
id = "DEMO"
timezone = "Europe/London"

[[visits]]
code = "BL"
day = 0

[[visits]]
code = "W2"
anchor = "BL"
week = 2
minus = 2

[[visits]]
code = "M1"
anchor = "BL"
month = 1
plus = 3

[[visits]]
code = "M2"
anchor = "M1"
month = 1
minus = 1
plus = 1

[[visits]]
code = "M13"
anchor = "BL"
month = 13
plus = 10
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProtocolError) as raised:
        parse_protocol(text, source="protocol.toml")
    return [str(problem) for problem in raised.value.problems]


def test_built_in_protocol_is_the_registry_plan():
    """The built-in plan: Day 0, Day 7 ± 1 and Day 14 ± 2 transplants, then the follow-up."""
    protocol = load_built_in()
    assert protocol.study_id == "NCT01143168"
    assert protocol.timezone == "Asia/Shanghai"
    assert protocol.day0 == "D0"
    plan = [(v.code, v.anchor, v.unit, v.amount, v.minus, v.plus) for v in protocol.visits]
    assert plan == [
        ("D0", "enrollment", "day", 0, 0, 0),
        ("D7", "D0", "day", 7, 1, 1),
        ("D14", "D0", "day", 14, 2, 2),
        ("M1", "D0", "day", 30, 3, 3),
        ("M3", "D0", "day", 90, 7, 7),
        ("M6", "D0", "day", 180, 14, 14),
        ("M9", "D0", "day", 270, 14, 14),
        ("M12", "D0", "day", 365, 14, 14),
    ]


def test_the_built_in_protocol_is_its_file_read_with_tomllib():
    """load_built_in takes the .toml file's tables from protocol.built_in (no TOML reader at
    start-up): the same protocol as reading the file itself, translations and SDTM keys too."""
    from scheduler.protocol.built_in import data
    from scheduler.protocol.loading import built_in_text, parse_protocol

    read = parse_protocol(built_in_text(), source=load_built_in().source)
    assert load_built_in() == read
    assert [visit.translations for visit in load_built_in().visits] == [visit.translations for visit in read.visits]
    assert load_built_in().title_translations == read.title_translations
    assert data() is not data() and data() == data()  # made anew: the checks may keep or change it


def test_timing_reads_as_a_nurse_says_it():
    """Symmetric windows read "± n", asymmetric ones "−minus/+plus"."""
    protocol = parse_protocol(DEMO, "demo")
    timings = {v.code: v.timing for v in protocol.visits}
    assert timings["W2"] == "Week 2 −2/+0 from BL"
    assert timings["M13"] == "Month 13 −0/+10 from BL"
    assert load_built_in().visit("D7").timing == "Day 7 ± 1 from D0"


def test_defaults_name_anchor_window():
    """name defaults to the code, anchor to enrollment, minus and plus to 0, day0 to the first visit."""
    protocol = parse_protocol(DEMO, "demo")
    baseline = protocol.visit("BL")
    assert (baseline.name, baseline.anchor, baseline.minus, baseline.plus) == ("BL", "enrollment", 0, 0)
    assert protocol.day0 == "BL"
    assert protocol.clinic is None


def test_every_problem_is_listed_at_once_with_its_line():
    """Several mistakes: each is named with its line and a fix, in one error."""
    text = """\
[study]
id = "X"
timezone = "Asia/Shangai"

[[visits]]
code = "D0"
day = 0

[[visits]]
code = "D7"
anchor = "D0"
day = 7
pluss = 1

[[visits]]
code = "D7"
anchor = "D0"
day = 14
week = 2

[[visits]]
code = "M1"
anchor = "M3"
day = 30
minus = -3

[[visits]]
code = "M3"
anchor = "V9"
day = 90
"""
    assert problems_of(text) == [
        "protocol.toml:3: [study]: 'timezone' is not a known IANA time-zone name "
        "(value 'Asia/Shangai') — use a name such as \"Asia/Shanghai\" or \"Europe/London\"",
        "protocol.toml:13: visit 2 (D7): unknown key 'pluss' — did you mean 'plus'?",
        "protocol.toml:15: visit 3 (D7): needs exactly one of day / week / month "
        "(found day and week) — give the offset from the anchor once, for example day = 7",
        "protocol.toml:16: visit 3 (D7): visit code 'D7' is used twice (also visit 2) — "
        "give every visit its own code",
        "protocol.toml:23: visit 4 (M1): anchored on 'M3', which comes later in the file "
        "(value 'M3') — move this visit below its anchor; a chain of anchors cannot loop",
        "protocol.toml:25: visit 4 (M1): 'minus' cannot be negative (value '-3') — "
        "'minus' counts days before the target: use 0 or more",
        "protocol.toml:29: visit 5 (M3): 'anchor' names no visit (value 'V9') — "
        "use \"enrollment\" or one of the earlier codes: D0, D7, D7, M1",
    ]


def test_a_visit_anchored_on_itself_is_a_cycle():
    """anchor = its own code cannot be resolved."""
    text = '[study]\nid = "X"\ntimezone = "UTC"\n[[visits]]\ncode = "A"\nanchor = "A"\nday = 1\n'
    assert problems_of(text) == [
        "protocol.toml:6: visit 1 (A): the visit is anchored on itself (value 'A') — "
        "anchor it on \"enrollment\" or on an earlier visit"]


def test_missing_study_and_visits_and_unknown_table():
    """An empty-ish file names what is missing, and an unknown table gets a suggestion."""
    problems = problems_of("[studdy]\nid = 'X'\n")
    assert problems == [
        "protocol.toml: the [study] table is missing — add [study] with id = \"…\" and "
        "timezone = \"…\" (for example \"Asia/Shanghai\")",
        "protocol.toml: [study]: 'id' is missing — add a line such as id = \"NCT01143168\"",
        "protocol.toml: [study]: 'timezone' is missing — add a line such as timezone = \"Asia/Shanghai\"",
        "protocol.toml: the protocol has no visits — add one [[visits]] table per visit, each "
        "with a code and one of day / week / month",
        "protocol.toml:1: unknown table 'studdy' — did you mean [study]?",
    ]


def test_wrong_types_are_named():
    """A number in quotes, a fraction, a boolean, a list of numbers: each explained."""
    text = """\
[study]
id = "X"
timezone = "UTC"
[[visits]]
code = "A"
day = "7"
minus = 1.5
plus = true
procedures = [1, 2]
kind = "a,b"
"""
    assert problems_of(text) == [
        "protocol.toml:6: visit 1 (A): 'day' must be a whole number (value '7') — "
        "write it without quotes or decimals, for example day = 7",
        "protocol.toml:7: visit 1 (A): 'minus' must be a whole number (value '1.5') — "
        "write it without quotes or decimals, for example minus = 7",
        "protocol.toml:8: visit 1 (A): 'plus' must be a whole number (value 'true') — "
        "write it without quotes or decimals, for example plus = 7",
        "protocol.toml:9: visit 1 (A): 'procedures' must be a list of text (value '[1, 2]') — "
        "write it as procedures = [\"examinations\", \"HbA1c\"]",
        "protocol.toml:10: visit 1 (A): 'kind' cannot hold a comma or a semicolon (value 'a,b') — "
        "Outlook splits calendar categories on them: use one word",
    ]


def test_toml_syntax_error_names_the_line():
    """A broken TOML file gets one message with its line."""
    problems = problems_of('[study]\nid = "X\ntimezone = "UTC"\n')
    assert len(problems) == 1
    assert problems[0].startswith("protocol.toml:2: not valid TOML:")


def test_day0_must_name_a_visit_and_clinic_keys_are_checked():
    """[study] day0 names a visit; [clinic] weekdays are weekday names."""
    text = ('[study]\nid = "X"\ntimezone = "UTC"\nday0 = "V1"\n[clinic]\nweekdays = ["Mon", "Funday"]\n'
            'country = "CN"\n[[visits]]\ncode = "A"\nday = 0\n')
    assert problems_of(text) == [
        "protocol.toml:4: [study]: 'day0' names no visit of the protocol (value 'V1') — "
        "use one of the visit codes: A",
        "protocol.toml:6: [clinic]: 'weekdays' must be a list of weekday names "
        "(value '[\"Mon\", \"Funday\"]') — use names from Mon, Tue, Wed, Thu, Fri, Sat, Sun, "
        "for example [\"Mon\", \"Tue\", \"Wed\", \"Thu\", \"Fri\"]",
    ]


def test_protocol_command_shows_the_plan(tmp_path: Path):
    """`protocol` prints one line per visit with its timing."""
    result = run_cli("protocol", "--protocol", str(write(tmp_path, "p.toml", DEMO)))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("DEMO: 5 visits, time zone Europe/London, Day 0 = BL")
    assert any("W2" in line and "Week 2 −2/+0 from BL" in line and "3 days" in line for line in lines)
    assert any("M13" in line and "Month 13 −0/+10 from BL" in line and "11 days" in line for line in lines)


def test_protocol_command_with_mistakes_exits_2_without_traceback(tmp_path: Path):
    """The real process: every problem on standard error, exit 2, no traceback."""
    bad = write(tmp_path, "protocol.toml", DEMO.replace("minus = 2", "minus = -2").replace(
        'anchor = "M1"', 'anchor = "M9"'))
    result = run_process("protocol", "--protocol", str(bad))
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "2 problems" in result.stderr
    assert "'minus' cannot be negative" in result.stderr
    assert "'anchor' names no visit (value 'M9')" in result.stderr
    assert result.stdout == ""


def test_missing_protocol_file_is_explained(tmp_path: Path):
    """A --protocol path that does not exist: one line, exit 2."""
    with pytest.raises(ProtocolError, match="protocol file not found"):
        load_protocol(tmp_path / "nope.toml")
    result = run_cli("protocol", "--protocol", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2


def test_study_folder_protocol_is_used(tmp_path: Path):
    """Without --protocol, the study folder's protocol.toml wins over the built-in one."""
    write(tmp_path, "protocol.toml", DEMO)
    result = run_cli("protocol", "--study", str(tmp_path))
    assert result.stdout.startswith("DEMO:")


def test_reserved_word_unreal_zones_and_huge_offsets_are_refused():
    """'enrollment' cannot be a code; "localtime" is not a study zone; day = 100000 is a typo."""
    text = ('[study]\nid = "X"\ntimezone = "localtime"\n[[visits]]\ncode = "Enrollment"\nday = 0\n'
            '[[visits]]\ncode = "V2"\nday = 100000\n')
    assert problems_of(text) == [
        "protocol.toml:3: [study]: 'timezone' is not a known IANA time-zone name (value 'localtime') "
        "— use a name such as \"Asia/Shanghai\" or \"Europe/London\"",
        "protocol.toml:5: visit 1 (Enrollment): 'enrollment' cannot be a visit code (value 'Enrollment') "
        "— it is the word for the enrollment date in \"anchor\": choose another code",
        "protocol.toml:9: visit 2 (V2): 'day' is more than ten years' worth (3660) (value '100000') "
        "— check the number",
    ]


def test_a_plan_not_in_time_order_is_warned_about(tmp_path: Path):
    """W2 listed after M13: `protocol` warns, since "out of protocol order" follows the file."""
    text = DEMO.replace('code = "W2"', 'code = "W2X"')
    shuffled = text.split("[[visits]]")
    reordered = "[[visits]]".join([shuffled[0], shuffled[1], shuffled[3], shuffled[4], shuffled[5], shuffled[2]])
    result = run_cli("protocol", "--protocol", str(write(tmp_path, "p.toml", reordered)))
    assert result.exit_code == 0
    assert ("Warning: " in result.stderr and "visit W2X is listed after M13 but falls before it"
            in result.stderr)
    # In time order: no order warning; only the note that its visits have no SDTM epoch
    # (DEMO's visits have no kind), which export sdtm needs.
    stderr = run_cli("protocol", "--protocol", str(write(tmp_path, "q.toml", DEMO))).stderr
    assert stderr.splitlines() == [
        f"Warning: {tmp_path / 'q.toml'}: visits BL, W2, M1, M2, M13 have no SDTM epoch: export sdtm needs "
        "one — add epoch = \"TREATMENT\" (or SCREENING, FOLLOW-UP, …) to each"]


def test_clinic_country_must_be_known(tmp_path: Path):
    """`protocol` refuses "XX" (exit 2); lower case "cn" is read as CN."""
    base = '[study]\nid = "X"\ntimezone = "UTC"\n[clinic]\ncountry = "{}"\n[[visits]]\ncode = "A"\nday = 0\n'
    result = run_cli("protocol", "--protocol", str(write(tmp_path, "p.toml", base.format("XX"))))
    assert result.exit_code == 2
    assert ("p.toml: [clinic]: 'country' is not a country the holidays package knows (value 'XX') "
            "— use an ISO 3166 two-letter code, such as CN") in result.stderr
    assert parse_protocol(base.format("cn"), "p").clinic.country == "CN"
    assert run_cli("protocol", "--protocol", str(write(tmp_path, "q.toml", base.format("cn")))).exit_code == 0


MINIMAL = """\
[study]
id = "S"
timezone = "Europe/London"

[clinic]
country = "GB"

[[arms]]
code = "A"

[[visits]]
code = "BL"
day = 0

[[criteria]]
category = "INCLUSION"
text = "Aged 18 or over"
"""


def test_every_required_key_of_the_schema_is_refused_when_missing():
    """The validator's "required" is the schema's: remove each required key from a minimal
    file and the problem names that key."""
    from scheduler.protocol.schema import SCHEMA

    required = [(table, key.name) for table, keys in SCHEMA.items() for key in keys if key.required]
    assert required == [("study", "id"), ("study", "timezone"), ("visits", "code"), ("arms", "code"),
                        ("criteria", "category"), ("criteria", "text")]
    for table, name in required:
        lines = MINIMAL.splitlines()
        header = f"[[{table}]]" if table in ("visits", "arms", "criteria") else f"[{table}]"
        start = lines.index(header)
        kept = [line for number, line in enumerate(lines)
                if not (number > start and line.startswith(f"{name} ="))
                or any(lines[k].startswith("[") for k in range(start + 1, number))]
        assert any(f"'{name}' is missing" in problem for problem in problems_of("\n".join(kept) + "\n"))


def test_every_default_of_the_schema_is_what_a_loaded_protocol_holds():
    """The validator's defaults are the schema's: a minimal file loads with each default."""
    from scheduler.protocol.schema import SCHEMA

    protocol = parse_protocol(MINIMAL, "minimal")
    visit = protocol.visits[0]
    holders = {"study": protocol, "clinic": protocol.clinic, "visits": visit, "unscheduled": protocol}
    model_name = {"id": "study_id", "codes": "unscheduled"}
    checked = []
    for table, keys in SCHEMA.items():
        for key in keys:
            if key.required or key.default is None:
                continue
            assert getattr(holders[table], model_name.get(key.name, key.name)) == key.default
            checked.append(f"{table}.{key.name}")
    assert checked == ["study.title", "study.site_id", "clinic.weekdays", "visits.kind",
                       "visits.procedures", "visits.anchor", "visits.minus", "visits.plus", "visits.arms",
                       "unscheduled.codes"]
    # Defaults computed from other keys (shown in the docs, None in the schema):
    assert visit.name == "BL"            # name: the code
    assert protocol.day0 == "BL"         # day0: the first visit


TRANSLATED = """\
[study]
id = "T"
title = "Stem cells in type 1 diabetes"
timezone = "Asia/Shanghai"
language = "zh_CN"

[study.translations.zh]
title = "干细胞治疗1型糖尿病"

[[visits]]
code = "D0"
name = "Transplantation 1"
procedures = ["examinations", "transplantation"]
day = 0

[visits.translations.zh-CN]
name = "第1次移植"
procedures = ["方案规定的检查", " 移植 ", ""]

[visits.translations.en]
name = "Transplantation 1 (pancreatic artery)"

[[visits]]
code = "M1"
name = "随访第1个月"
anchor = "D0"
day = 30
translations = { en = { name = "Follow-up month 1" } }

[[visits]]
code = "M3"
anchor = "D0"
day = 90

[visits.translations.zh-CN]
procedures = ["C肽"]
"""


def test_translations_load_under_their_canonical_language():
    """[study] language and each [*.translations.LANG] are stored by the canonical language
    ("zh_CN", "zh" → "zh-CN"); text is stripped and empty procedures left out, as the base's."""
    from scheduler.protocol.model import VisitWords

    protocol = parse_protocol(TRANSLATED, "protocol.toml")
    assert protocol.language == "zh-CN"
    assert protocol.title_translations == {"zh-CN": "干细胞治疗1型糖尿病"}
    d0, m1, m3 = protocol.visits
    assert d0.translations == {"zh-CN": VisitWords("第1次移植", ("方案规定的检查", "移植")),
                               "en": VisitWords("Transplantation 1 (pancreatic artery)", ())}
    assert m1.translations == {"en": VisitWords("Follow-up month 1", ())}   # an inline table
    assert m3.translations == {"zh-CN": VisitWords("", ("C肽",))}


@pytest.mark.parametrize("written", ["zh", "zh_CN", "zh-cn", "zh-CN", "ZH_cn"])
def test_language_aliases_are_stored_canonical(written: str):
    """`zh`, `zh_CN`, `zh-cn` all mean zh-CN, in [study] language and as a translation's LANG."""
    text = (f'[study]\nid = "X"\ntimezone = "UTC"\nlanguage = "{written}"\n'
            f'[study.translations.{written}]\ntitle = "标题"\n[[visits]]\ncode = "A"\nday = 0\n'
            f'[visits.translations."{written}"]\nname = "甲"\n')
    protocol = parse_protocol(text, "p")
    assert protocol.language == "zh-CN"
    assert protocol.title_translations == {"zh-CN": "标题"}
    assert protocol.visits[0].name_in("zh-CN") == "甲"
    assert parse_protocol(text.replace(f'language = "{written}"\n', 'language = "en"\n'), "p").language == "en"
    assert parse_protocol(text.replace(f'language = "{written}"\n', ""), "p").language is None


def test_an_unknown_language_is_refused_with_its_line():
    """An unknown [study] language or translation LANG names the file, the line and the
    languages there are."""
    text = """\
[study]
id = "X"
timezone = "UTC"
language = "fr"

[study.translations.de]
title = "Titel"

[[visits]]
code = "A"
day = 0

[visits.translations.fr]
name = "Visite A"
"""
    assert problems_of(text) == [
        "protocol.toml:4: [study]: 'language' is not a language visit-scheduler speaks (value 'fr') "
        "— use one of the languages there are: en, zh-CN",
        "protocol.toml:6: [study.translations.de]: 'de' is not a language visit-scheduler speaks "
        "— use one of the languages there are: en, zh-CN",
        "protocol.toml:13: visit 1 (A): [visits.translations.fr]: 'fr' is not a language "
        "visit-scheduler speaks — use one of the languages there are: en, zh-CN",
    ]


def test_an_unknown_key_in_a_translation_is_refused_with_its_line():
    """A key the translation schema does not list: its line and a suggestion, or the keys."""
    text = """\
[study]
id = "X"
timezone = "UTC"

[study.translations.zh-CN]
titel = "标题"

[[visits]]
code = "A"
day = 0

[visits.translations.zh-CN]
name = "甲"
title = "访视甲"
procedure = ["检查"]
"""
    assert problems_of(text) == [
        "protocol.toml:6: [study.translations.zh-CN]: unknown key 'titel' — did you mean 'title'?",
        "protocol.toml:14: visit 1 (A): [visits.translations.zh-CN]: unknown key 'title' — the keys "
        "of [visits.translations.LANG] are: name, procedures",
        "protocol.toml:15: visit 1 (A): [visits.translations.zh-CN]: unknown key 'procedure' — "
        "did you mean 'procedures'?",
    ]


def test_a_translation_of_the_wrong_type_is_refused_with_its_line():
    """Text that is not text, a list that is not a list of text, a translation that is not a
    table, a language translated twice: each with its line."""
    text = """\
[study]
id = "X"
timezone = "UTC"
translations = "zh-CN"

[[visits]]
code = "A"
day = 0

[visits.translations.zh-CN]
name = 7
procedures = "检查"

[visits.translations.zh]
name = "甲"

[[visits]]
code = "B"
day = 1
translations.en = "B"
"""
    assert problems_of(text) == [
        "protocol.toml:4: [study]: 'translations' must be tables such as [study.translations.zh-CN] "
        "(value 'zh-CN') — write each language's words under its own [study.translations.LANG] header",
        "protocol.toml:11: visit 1 (A): [visits.translations.zh-CN]: 'name' must be text in quotes "
        "(value '7') — write it as name = \"第2次移植（经静脉）\"",
        "protocol.toml:12: visit 1 (A): [visits.translations.zh-CN]: 'procedures' must be a list of "
        "text (value '检查') — write it as procedures = [\"方案规定的检查\", \"经静脉移植 BM-MNC + UC-MSC\"]",
        "protocol.toml:14: visit 1 (A): [visits.translations.zh]: a second translation into zh-CN "
        "(also [visits.translations.zh-CN]) — keep one table per language",
        "protocol.toml:20: visit 2 (B): [visits.translations.en]: the translation must be a table, "
        "under its own [visits.translations.en] header (value 'B')",
    ]


def test_name_in_falls_back_to_the_base_words(monkeypatch):
    """name_in / procedures_in / title_in: the translation when there is one, else the base
    text; by default in the current language."""
    from scheduler import i18n

    protocol = parse_protocol(TRANSLATED, "p")
    d0, m1, m3 = protocol.visits
    assert d0.name_in("zh-CN") == "第1次移植"
    assert d0.name_in("en") == "Transplantation 1 (pancreatic artery)"
    assert d0.name_in() == "Transplantation 1 (pancreatic artery)"   # the tests speak English
    assert m1.name_in("zh-CN") == "随访第1个月"          # no zh-CN translation: the base name
    assert m3.name_in("zh-CN") == "M3"                   # a translation without a name: the base (the code)
    assert m3.procedures_in("zh-CN") == ("C肽",)
    assert m3.procedures_in("en") == ()
    assert d0.procedures_in("en") == ("examinations", "transplantation")  # en has no procedures
    assert protocol.title_in("en") == "Stem cells in type 1 diabetes"
    assert protocol.title_in("zh-CN") == "干细胞治疗1型糖尿病"
    monkeypatch.setattr(i18n, "_current", i18n.CHINESE)
    assert (d0.name_in(), d0.procedures_in(), protocol.title_in()) == (
        "第1次移植", ("方案规定的检查", "移植"), "干细胞治疗1型糖尿病")


def test_contract_name_is_the_en_translation_whatever_the_language(monkeypatch):
    """CSV, JSON and SDTM use the en translation when there is one, else the base name."""
    from scheduler import i18n

    protocol = parse_protocol(TRANSLATED, "p")
    names = [visit.contract_name for visit in protocol.visits]
    assert names == ["Transplantation 1 (pancreatic artery)", "Follow-up month 1", "M3"]
    monkeypatch.setattr(i18n, "_current", i18n.CHINESE)
    assert [visit.contract_name for visit in protocol.visits] == names
    assert [visit.contract_name for visit in load_built_in().visits] == [
        visit.name for visit in load_built_in().visits]


def test_built_in_protocol_speaks_chinese():
    """Every built-in visit has a zh-CN name and procedures, in the Beijing site's words;
    the abbreviations stay as clinicians write them. English is unchanged."""
    protocol = load_built_in()
    assert protocol.language is None
    assert protocol.title_in("zh-CN") == "自体骨髓单个核细胞联合脐带间充质干细胞移植治疗1型糖尿病"
    assert protocol.title_in("en") == protocol.title
    for visit in protocol.visits:
        words = visit.translations["zh-CN"]
        assert words.name and words.name != visit.name, visit.code
        assert len(words.procedures) == len(visit.procedures), visit.code
        assert visit.name_in("en") == visit.name
    zh = {visit.code: visit.name_in("zh-CN") for visit in protocol.visits}
    assert zh["D0"] == "第1次移植（经胰腺动脉）"
    assert zh["M1"] == "随访第1个月"
    assert zh["M12"] == "随访第12个月（研究结束）"
    assert protocol.visit("D0").procedures_in("zh-CN") == (
        "方案规定的检查", "经皮胰腺动脉途径移植 BM-MNC + UC-MSC")
    assert protocol.visit("M6").procedures_in("zh-CN") == (
        "糖化血红蛋白（HbA1c）", "空腹及餐后血糖（FBG、PBG）", "C肽", "胰岛素用量", "不良事件评估")


def test_the_translation_keys_come_from_the_schema():
    """The translation tables are in SCHEMA, so docs/protocol-file.md lists their keys."""
    from scheduler.protocol.schema import SCHEMA, TABLES, schema_markdown

    assert TABLES == ("study", "clinic", "visits", "arms", "unscheduled", "criteria")
    assert [key.name for key in SCHEMA["study.translations"]] == ["title"]
    assert [key.name for key in SCHEMA["visits.translations"]] == ["name", "procedures"]
    page = schema_markdown()
    assert "### [study.translations.LANG] (optional; LANG: en or zh-CN)" in page
    assert "### [visits.translations.LANG]" in page
    assert "| `language` | language | no |" in page


def test_timing_from_enrollment_reads_the_word():
    """A visit anchored on enrollment reads "from enrollment" in English."""
    assert load_built_in().visit("D0").timing == "Day 0 ± 0 from enrollment"


def test_the_quick_time_zone_check_agrees_with_the_list_of_every_zone():
    """_is_timezone looks a name of the usual shape up directly: the same answer as the list
    of every IANA zone for each of them, and for names that look like one and are not."""
    import zoneinfo

    from scheduler.protocol.checks import _is_timezone, _timezones

    for name in sorted(zoneinfo.available_timezones()):
        assert _is_timezone(name) == (name in _timezones()), name
    for name in ("Asia/Shangai", "asia/shanghai", "Asia/Shanghai/", "Europe/../etc", "localtime", "posixrules",
                 "Factory", "posix/Asia/Shanghai", "right/UTC", ""):
        assert not _is_timezone(name), name
