"""Problems said many at once (errors.Problems, errors.fill; issue #20) are the very texts
each problem says alone (str(problem)), in both languages, whatever their fields hold; held
column by column they are the same problems, one by one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import i18n
from scheduler.errors import Problem, Problems, fill

# Any text, braces and control characters included; sometimes long (a value over 60
# characters is cut when quoted).
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
MAYBE = st.none() | TEXT
PROBLEM = st.builds(Problem, file=TEXT, message=TEXT, line=st.none() | st.integers(0, 10**7), column=MAYBE,
                    value=MAYBE, fix=MAYBE, sheet=MAYBE, participant=MAYBE)


@pytest.mark.parametrize("language", [i18n.ENGLISH, i18n.CHINESE])
@settings(max_examples=60, deadline=None)
@given(problems=st.lists(PROBLEM, max_size=30))
def test_problems_say_what_each_problem_says(language, problems):
    i18n.use(language)
    try:
        assert Problems.of(problems).texts() == [str(problem) for problem in problems]
    finally:
        i18n.use(i18n.ENGLISH)


@pytest.mark.parametrize("language", [i18n.ENGLISH, i18n.CHINESE])
@settings(max_examples=60, deadline=None)
@given(file=TEXT | st.sampled_from(["v{value}.csv", "{line}{where}{fix}.csv", "{{value}}.csv"]), rows=st.lists(st.tuples(st.integers(0, 10**7), TEXT, MAYBE, MAYBE, MAYBE), min_size=1, max_size=30),
       plain=st.booleans(), prefix=st.sampled_from(["", "  ", "{x} ", "{value} {line} "]))
def test_one_files_problems_say_what_each_says(language, file, rows, plain, prefix):
    """The usual visits file's problems (one file, each on a line, no sheet: the file's name
    and the quotes put in the template), with a prefix, in both languages; ``plain``: every
    value short and printable, as the template quotes them all at once."""
    if plain:
        rows = [(line, message, column, None if value is None else value[:60].replace("\n", " "), fix)
                for line, message, column, value, fix in rows]
        rows = [row for row in rows if row[3] is None or row[3].isprintable()] or [(1, "m", None, None, None)]
    problems = [Problem(file, message, line, column, value, fix) for line, message, column, value, fix in rows]
    i18n.use(language)
    try:
        assert Problems.of(problems).texts(prefix) == [prefix + str(problem) for problem in problems]
        assert Problems.of(problems).by_line().texts(prefix) == [
            prefix + str(problem) for problem in sorted(problems, key=lambda problem: problem.line or 0)]
    finally:
        i18n.use(i18n.ENGLISH)


@settings(max_examples=60, deadline=None)
@given(problems=st.lists(PROBLEM, max_size=30), wanted=st.sets(TEXT, max_size=3))
def test_problems_held_by_column_are_the_same_problems(problems, wanted):
    """Iterated, indexed, sliced, joined, put in line order (stable: no line counts as 0) and
    filtered by participant, they are what the list of tuples gives."""
    held = Problems.of(problems)
    assert list(held) == problems and len(held) == len(problems)
    assert [held[index] for index in range(len(problems))] == problems
    assert list(held[1:4]) == problems[1:4]
    assert list(Problems.joined([held, held[:2], Problems.none()])) == problems + problems[:2]
    in_lines = sorted(problems, key=lambda problem: problem.line or 0)
    assert list(held.by_line()) == in_lines
    assert list(held.about(wanted)) == [problem for problem in problems if problem.participant in wanted]
    # Reordered, they keep only the order (Problems._order): said together, taken one by one,
    # filtered after, joined after, they are still the problems in that order.
    assert Problems.of(problems).by_line().texts() == [str(problem) for problem in in_lines]
    assert len(Problems.of(problems).by_line()) == len(problems)
    about = Problems.of(problems).by_line().about(wanted)
    expected = [problem for problem in in_lines if problem.participant in wanted]
    assert about.texts() == [str(problem) for problem in expected] and list(about) == expected
    assert list(Problems.joined([Problems.of(problems).by_line(), held])) == in_lines + problems


def test_problems_by_hand():
    """Each shape once: with column, value (quoted, cut at 60, control characters escaped)
    and fix; without each; in a workbook's sheet; with no line."""
    problems = Problems.of([
        Problem("visits.csv", "visit code not in the protocol", 7, "visit_code", "D9", "use D0"),
        Problem("visits.csv", "no date", 8, "actual_date", None, "fill it in"),
        Problem("visits.csv", "odd", 9, None, "x" * 70, ""),
        Problem("visits.xlsx", "odd {braces}", None, None, "a\tb", None, sheet="Visits"),
    ])
    assert problems.texts() == [
        "visits.csv:7: column visit_code: visit code not in the protocol (value 'D9') — use D0",
        "visits.csv:8: column actual_date: no date — fill it in",
        "visits.csv:9: odd (value '" + "x" * 57 + "...')",
        "visits.xlsx (sheet Visits): odd {braces} (value 'a\\tb')",
    ]
    assert Problems.none().texts() == [] and not Problems.none()
    # One file, every problem on a line (the name and the quotes go in the template): 60
    # characters are shown whole, 61 cut to 57 and "..."; a name with braces kept as it is.
    one_file = [Problem("{v}.csv", "odd", 2, None, "x" * 60), Problem("{v}.csv", "odd", 3, None, "y" * 61)]
    assert Problems.of(one_file).texts("  ") == [f"  {{v}}.csv:2: odd (value '{'x' * 60}')",
                                                 f"  {{v}}.csv:3: odd (value '{'y' * 57}...')"]
    assert Problems.of(one_file[:1]).texts() == [f"{{v}}.csv:2: odd (value '{'x' * 60}')"]
    # A name or a prefix holding the template's own field names stays text (found by review:
    # "v{value}.csv" was an internal error).
    named = [Problem("v{value}.csv", "bad {where}", 2, "c", "x", "fix {fix}")]
    assert Problems.of(named).texts("{value} {line} ") == [
        "{value} {line} v{value}.csv:2: column c: bad {where} (value 'x') — fix {fix}"]
    made = Problems.made("visits.csv", None, [3, 2], ["m", "n"], "actual_date", ["v", None], ["f", "g"], ["P1", "P2"])
    assert list(made) == [Problem("visits.csv", "m", 3, "actual_date", "v", "f", None, "P1"),
                          Problem("visits.csv", "n", 2, "actual_date", None, "g", None, "P2")]


@settings(max_examples=80, deadline=None)
@given(template=st.text(st.sampled_from("ab {}xy:!>3"), max_size=20),
       rows=st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=8))
def test_fill_is_format_row_by_row(template, rows):
    """fill(template, n, x=…, y=…) gives [template.format(x=…, y=…) …] (a field twice
    included), and refuses a template that format refuses (an unknown field, a lone brace,
    {} with no position): perhaps for another of its faults ("{}{": format stops at the {},
    fill at the {)."""
    xs, ys = [x for x, _y in rows], [y for _x, y in rows]
    try:
        expected = [template.format(x=x, y=y) for x, y in zip(xs, ys)]
    except (ValueError, KeyError, IndexError):
        with pytest.raises((ValueError, KeyError, IndexError)):
            fill(template, len(rows), x=xs, y=ys)
        return
    assert fill(template, len(rows), x=xs, y=ys) == expected
    assert fill(template, len(rows), x="same", y=ys) == [template.format(x="same", y=y) for y in ys]
