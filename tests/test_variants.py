"""Variants: stable seeds, draws, rendering and the lesson validator."""

from __future__ import annotations

import json
import math
import os
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from tui_tutor.grading import check, draw, key_text, render, validate_question, variant_seed
from tui_tutor.grading.variants import VariantError, fill
from tui_tutor.lesson.model import Cell, Feedback, Option, Param, Question

ROOT = Path(__file__).resolve().parent.parent
BIAS = "That is the weighted sum without the bias ({b})."

NEURON_VARIANT = Question(
    id="neuron-variant", kind="numeric", line=20,
    prompt="Inputs {x1}, {x2}, {x3}; weights {w1}, {w2}, {w3}; bias {b}. What is relu(z)? (not {other})",
    hints=("Start with {x1} * {w1}.",),
    solution="z = {z}, so relu(z) = {key}. In LaTeX: $\\frac{1}{2}$",
    answer="max(0, z)",
    feedback=(Feedback(when="abs(answer - (z - b)) < 1e-9 and b != 0", message=BIAS, line=30),),
    params=(
        Param("x1", choose=(0, 0.5, 1), line=21), Param("x2", choose=(0, 0.5, 1), line=22),
        Param("x3", choose=(0, 0.5, 1), line=23),
        Param("w1", low=-1, high=1, step=0.5, line=24), Param("w2", low=-1, high=1, step=0.5, line=25),
        Param("w3", low=-1, high=1, step=0.5, line=26), Param("b", low=-1, high=1, step=0.5, line=27),
    ),
    derived=(("key", "max(0, z)"), ("z", "x1*w1 + x2*w2 + x3*w3 + b")),  # any order: sorted by use
    # The named mistake (bias left out) must not give the key, or its feedback would fire on
    # the right answer: a negative bias on a zero weighted sum gives relu(z) = 0 = z - b.
    where=("z != 0", "b == 0 or abs((z - b) - key) > 1e-9"),
    first=(("x1", 0), ("x2", 0.5), ("x3", 1), ("w1", -1), ("w2", -0.5), ("w3", 0.5), ("b", 1)),
)


def test_seed_is_stable_and_distinct() -> None:
    assert variant_seed("ana", "intro", "q1", 3) == variant_seed("ana", "intro", "q1", 3)
    seeds = {variant_seed("ana", "intro", "q1", n) for n in range(50)}
    assert len(seeds) == 50
    assert variant_seed("ana", "intro", "q1", 1) != variant_seed("bob", "intro", "q1", 1)
    assert variant_seed("a", "bc", "q", 1) != variant_seed("ab", "c", "q", 1)


def _draw_in_subprocess(hash_seed: str) -> dict:
    code = (
        "import json, sys; sys.path.insert(0, 'tests');"
        "from test_variants import NEURON_VARIANT as q;"
        "from tui_tutor.grading import draw, variant_seed;"
        "print(json.dumps([variant_seed('ana', 'intro', q.id, n) for n in range(5)]"
        " + [draw(q, n, variant_seed('ana', 'intro', q.id, n)) for n in range(5)]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_same_variant_in_separate_processes() -> None:
    first, second = _draw_in_subprocess("1"), _draw_in_subprocess("2")
    assert first == second
    here = [variant_seed("ana", "intro", NEURON_VARIANT.id, n) for n in range(5)]
    here += [draw(NEURON_VARIANT, n, variant_seed("ana", "intro", NEURON_VARIANT.id, n)) for n in range(5)]
    assert json.loads(json.dumps(here)) == first


def test_variant_zero_uses_first_values() -> None:
    values = draw(NEURON_VARIANT, 0, seed=12345)
    assert values["z"] == pytest.approx(1.25) and values["key"] == pytest.approx(1.25)
    q = render(NEURON_VARIANT, values)
    assert q.answer == pytest.approx(1.25)
    assert q.prompt == "Inputs 0, 0.5, 1; weights -1, -0.5, 0.5; bias 1. What is relu(z)? (not {other})"
    assert q.hints == ("Start with 0 * -1.",)
    assert q.solution == "z = 1.25, so relu(z) = 1.25. In LaTeX: $\\frac{1}{2}$"
    assert q.feedback[0].message == "That is the weighted sum without the bias (1)."
    result = check(q, "0.25", values)
    assert result.status == "wrong" and result.targeted == ("That is the weighted sum without the bias (1).",)


def test_other_variants_differ_and_respect_where() -> None:
    draws = [draw(NEURON_VARIANT, n, variant_seed("ana", "intro", "q", n)) for n in range(1, 40)]
    assert len({tuple(sorted(d.items())) for d in draws}) > 20
    for d in draws:
        assert d["z"] != 0
        assert d["b"] == 0 or abs((d["z"] - d["b"]) - d["key"]) > 1e-9
        assert d["w1"] in (-1, -0.5, 0, 0.5, 1) and d["x1"] in (0, 0.5, 1)


def test_steps_round_cleanly() -> None:
    q = Question(id="s", kind="numeric", line=1, answer="x", prompt="x = {x}",
                 params=(Param("x", low=0, high=1, step=0.1),))
    seen = set()
    for n in range(1, 300):
        values = draw(q, n, n)
        seen.add(values["x"])
        assert "0000000" not in render(q, values).prompt
    assert seen == {round(k / 10, 1) for k in range(11)}


def test_fill_leaves_unknown_braces() -> None:
    assert fill("{a} {b} {{a}} {1} { a }", {"a": 0.1 + 0.2}) == "0.3 {b} {0.3} {1} { a }"


def test_render_plain_question_unchanged() -> None:
    q = Question(id="p", kind="numeric", line=1, answer=1.25, prompt="What is {x}?")
    assert draw(q, 3, 99) == {}
    assert render(q, {}) is q


def test_render_table_and_options() -> None:
    q = Question(
        id="t", kind="table", line=1, columns=("Prediction", "Expected", "Squared error"),
        rows=((Cell("{p}"), Cell("{y}"), Cell(answer="(p - y)^2")),), params=(
            Param("p", choose=(1, 2)), Param("y", choose=(-1,))),
        options=(Option("p is {p}"),),
    )
    values = draw(q, 1, 7)
    r = render(q, values)
    assert r.rows[0][0].value == str(int(values["p"]))
    assert r.rows[0][2].answer == (values["p"] + 1) ** 2
    assert r.options[0].text == f"p is {int(values['p'])}"
    assert check(r, {(0, 2): str((values["p"] + 1) ** 2)}, values).status == "correct"
    assert check(q, {(0, 2): str((values["p"] + 1) ** 2)}, values).status == "correct"


def test_draw_raises_when_where_never_holds() -> None:
    q = Question(id="w", kind="numeric", line=1, answer="x", params=(Param("x", choose=(1, 2)),), where=("x > 5",))
    with pytest.raises(VariantError, match="no usable variant"):
        draw(q, 1, 1)


def test_draw_skips_values_where_the_key_fails() -> None:
    q = Question(id="d", kind="numeric", line=1, answer="1/x", params=(Param("x", low=-2, high=2, step=1),))
    for n in range(200):
        assert draw(q, n, n)["x"] != 0


def test_bad_first_falls_back_to_fresh_draws() -> None:
    q = Question(id="f", kind="numeric", line=1, answer="x", params=(Param("x", choose=(1, 2)),),
                 where=("x > 1",), first=(("x", 1),))
    assert draw(q, 0, 5) == {"x": 2.0}
    assert any("`first` values do not satisfy" in m for _, m in validate_question(q))


# -- validate_question -----------------------------------------------------------------


def test_validate_good_question_is_clean() -> None:
    # Its speed is measured by benchmarks/validate.py, not asserted here (shared machines vary).
    assert validate_question(NEURON_VARIANT, draws=300) == []


def test_validate_reports_division_by_zero() -> None:
    q = Question(id="d", kind="numeric", line=7, answer="1 / (x - w)",
                 params=(Param("x", choose=(0, 1), line=8), Param("w", choose=(0, 1), line=9)))
    problems = validate_question(q)
    assert len(problems) == 1
    line, message = problems[0]
    assert line == 7
    assert message.startswith("the answer divides by zero when x = ")
    assert "w = " in message


def test_validate_reports_unknown_names_and_cycles() -> None:
    q = Question(id="u", kind="numeric", line=3, answer="max(0, zz)",
                 feedback=(Feedback(when="answer == y", message="m", line=5),),
                 params=(Param("x", choose=(1,), line=4),),
                 derived=(("a", "b + 1"), ("b", "a * x")), where=("q > 0",))
    messages = dict((m, line) for line, m in validate_question(q))
    assert messages["the answer uses unknown name `zz`"] == 3
    assert messages["the feedback condition `answer == y` uses unknown name `y`"] == 5
    assert "the `where` condition `q > 0` uses unknown name `q`" in messages
    cyclic = Question(id="c", kind="numeric", line=3, answer="a", params=(Param("x", choose=(1,)),),
                      derived=(("a", "b + 1"), ("b", "a * x")))
    assert validate_question(cyclic) == [(3, "derived values depend on each other in a cycle: a -> b -> a")]


def test_validate_where_never_holds_and_parse_errors() -> None:
    q = Question(id="w", kind="numeric", line=2, answer="x", params=(Param("x", choose=(1, 2)),), where=("x > 5",))
    assert validate_question(q) == [(2, "the `where` conditions never hold (0 of 300 draws)")]
    bad = Question(id="b", kind="numeric", line=2, answer="x,5", params=(Param("x", choose=(1,)),))
    [(line, message)] = validate_question(bad)
    assert line == 2 and message.startswith("the answer: unexpected ','")


def test_validate_plain_questions() -> None:
    good = Question(id="g", kind="numeric", line=1, answer="5/4",
                    feedback=(Feedback(when="abs(answer - 0.25) < 1e-9", message="bias", line=2),))
    assert validate_question(good) == []
    bad = Question(id="b", kind="numeric", line=1, answer="1/0",
                   feedback=(Feedback(when="answer == z", message="?", line=4),))
    assert validate_question(bad) == [(4, "the feedback condition `answer == z` uses unknown name `z`")]
    zero = Question(id="z", kind="numeric", line=6, answer="1/0")
    assert validate_question(zero) == [(6, "the answer divides by zero")]
    first = Question(id="f", kind="numeric", line=8, answer="1", params=(Param("x", choose=(1,)),), first=(("y", 1),))
    assert validate_question(first) == [(8, "`first` sets `y`, which is not a parameter")]
    reserved = Question(id="r", kind="numeric", line=8, answer="1", params=(Param("e", choose=(1,), line=9),))
    assert validate_question(reserved)[0][0] == 9


def test_nested_repeat_pattern_is_fine_with_re2() -> None:
    """RE2 matches `(a+)+$` in linear time, so the validator no longer needs to warn about it."""
    from tui_tutor.grading.checkers import text_matches

    q = Question(id="t", kind="text", line=3, accepted=("aaa",), pattern="(a+)+$")
    assert validate_question(q) == []
    assert text_matches(q, "a" * 150) and not text_matches(q, "a" * 150 + "!")


def test_thousand_draws_key_is_checkable() -> None:
    q = NEURON_VARIANT
    fractions = 0
    for n in range(1, 1001):
        values = draw(q, n, variant_seed("learner", "intro", q.id, n))
        shown = render(q, values)
        key = shown.answer
        assert isinstance(key, float) and math.isfinite(key)
        assert check(shown, repr(key), values).status == "correct"
        assert check(q, repr(key), values).status == "correct"
        assert check(shown, key_text(shown, values), values).status == "correct"
        exact = Fraction(key).limit_denominator(1000)
        if float(exact) == key and exact.denominator > 1:
            fractions += 1
            assert check(shown, f"{exact.numerator}/{exact.denominator}", values).status == "correct"
        assert check(shown, repr(key + 1), values).status == "wrong"
    assert fractions > 100
