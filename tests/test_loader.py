"""The lesson loader: a lesson file becomes steps; every problem is reported at its line."""

from pathlib import Path

from tui_tutor.lesson.loader import load_lesson, parse_lesson
from tui_tutor.lesson.model import Block, Prose, Question


def _load(text: str):
    return parse_lesson(text, Path("lesson.md"))


def _errors(text: str) -> list[str]:
    return [str(e) for e in _load(text).errors]


LESSON = """---
title: Demo
minutes: 7
---

Before the first heading.

## One

Text.

::::{challenge} Try it
Intro of the challenge.

::: question
id: q1
kind: numeric
prompt: What is 1 + 1?
answer: 2
:::

:::{solution} Solution
It is 2.
:::
::::

## Two

```
::: not a block inside code
```
"""


def test_headings_make_steps_and_blocks_nest():
    result = _load(LESSON)
    assert result.errors == []
    lesson = result.lesson
    assert [s.title for s in lesson.steps] == ["Demo", "One", "Two"]
    assert lesson.minutes == 7
    challenge = lesson.steps[1].items[1]
    assert isinstance(challenge, Block) and challenge.kind == "challenge" and challenge.title == "Try it"
    kinds = [type(c).__name__ for c in challenge.children]
    assert kinds == ["Prose", "Question", "Block"]
    question = challenge.children[1]
    assert isinstance(question, Question) and question.answer == 2 and question.line == 15
    # colons inside a code fence are text, not a block
    code = lesson.steps[2].items[0]
    assert isinstance(code, Prose) and "::: not a block" in code.markdown


def test_unknown_block_unclosed_block_and_stray_close():
    text = "---\ntitle: T\n---\n## S\n::: bogus\nx\n:::\n:::\n::: callout\nnever closed\n"
    errors = _errors(text)
    assert "lesson.md:5: unknown block type `bogus`" in errors[0]
    assert any(e.startswith("lesson.md:8: closing `:::` without an open block") for e in errors)
    assert any(e.startswith("lesson.md:9: `callout` block is never closed") for e in errors)


def test_bad_yaml_missing_and_mistyped_keys_and_duplicate_ids():
    text = """---
title: T
---
## S
::: question
id: a
kind: numeric
answer: 1
rtol: lots
:::
::: question
id: a
kind: numeric
answer: 2
:::
::: question
kind: choice
options:
  - text: x
    correct: true
  - text: y
:::
::: question
id: c
kind: numeric
prompt: [unclosed
:::
::: question
id: d
kind: numeric
colour: blue
:::
"""
    errors = _errors(text)
    assert "lesson.md:9: `rtol` in question `a` must be a number, got 'lots'" in errors
    assert "lesson.md:12: duplicate id `a` (first used on line 6)" in errors
    assert "lesson.md:17: the `question` block is missing the required key `id`" in errors
    assert any(e.startswith("lesson.md:26: bad YAML") or e.startswith("lesson.md:27: bad YAML") for e in errors)
    assert any(e.startswith("lesson.md:29: question `d` is missing the required key `answer`") for e in errors)
    assert any(e.startswith("lesson.md:31: unknown key `colour`") for e in errors)


def test_front_matter_required():
    errors = _errors("## no front matter\n")
    assert errors[0].startswith("lesson.md:1: a lesson must start with YAML front matter")


def test_broken_fixture_reports_each_error():
    path = Path(__file__).parent / "data" / "broken" / "broken.md"
    result = load_lesson(path)
    assert len(result.errors) >= 5
    assert all(str(e).startswith(f"{path}:") for e in result.errors)


# -- issue 13: bounded, never raising ----------------------------------------------------

QUESTION = "---\ntitle: T\n---\n\n## S\n\n::: question\n{body}\n:::\n"


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.md"
    path.write_bytes("\ufeff---\ntitle: T\n---\n\n## S\n\nText.\n".encode())
    result = load_lesson(path)
    assert result.errors == [] and result.lesson.title == "T"


def test_yaml_constructor_errors_are_messages_at_their_line():
    errors = _errors("---\ntitle: T\nminutes: !!float x\n---\n\n## S\n\nt\n")
    assert errors == ["lesson.md:3: bad YAML: `float` value `x` cannot be read (ValueError)"]
    assert _errors("---\ntitle: T\nminutes: " + "9" * 4400 + "\n---\n\n## S\n\nt\n")[0].startswith("lesson.md:3: bad YAML")


def test_aliases_are_refused_before_they_expand():
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nid: *b\nkind: reflect"
    assert _errors(QUESTION.format(body=bomb)) == [
        "lesson.md:8: bad YAML: anchors and aliases (`&name`, `*name`) are not allowed in lessons"]


def test_numbers_must_be_finite_and_bounded():
    assert "is too large" in _errors(QUESTION.format(body="id: q\nkind: numeric\nanswer: 1\nrtol: 1" + "0" * 400))[0]
    assert "not finite" in _errors(QUESTION.format(body="id: q\nkind: numeric\nanswer: .inf"))[0]
    assert "from 1 to 100" in _errors("---\ntitle: T\nmastery: 1000\n---\n\n## S\n\nt\n")[0]


def test_nesting_and_line_limits():
    deep = "---\ntitle: T\n---\n\n## S\n\n" + "::: note\n" * 500 + "x\n" + ":::\n" * 500
    assert _errors(deep) == ["lesson.md:17: blocks are nested more than 10 levels deep"]
    long = "---\ntitle: T\n---\n\n## S\n\n" + "x" * 10_001 + "\n"
    assert _errors(long) == ["lesson.md:7: the line is longer than 10,000 characters"]


def test_messages_are_one_line_and_ids_match_whole():
    errors = _errors(QUESTION.format(body='id: "abc\\n"\nkind: reflect'))
    assert errors == ["lesson.md:8: question id `abc ` may hold only letters, digits, `-`, `_` and `.`"]


def test_backtracking_pattern_is_allowed_and_back_references_are_not():
    assert _errors(QUESTION.format(body="id: q\nkind: text\npattern: '(a|a)*b'")) == []
    assert "back-references" in _errors(QUESTION.format(body="id: q\nkind: text\npattern: '(a)\\1'"))[0]
