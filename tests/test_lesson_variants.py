"""Every parameterised question in lessons/: many variants, each graded against itself.

The questions are discovered by loading every lesson (no ids are listed for the generic
checks). For each, 1000 variants are drawn with `variant_seed`, as the tutor draws them:
each must render, have a finite key that the checker accepts (typed plainly and as an
expression or a fraction), and refuse a clearly wrong value. Questions with targeted
feedback get the mistakes their messages name, built from the drawn values, and must
answer them with that message. Lesson-specific knowledge (the mistakes, an independent
oracle for the key, the episode's numbers as variant 0) is keyed by question id below;
a parameterised question with feedback but no mistakes here fails the suite.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from collections.abc import Callable

import pytest

from tui_tutor.grading import check, draw, render, variant_seed
from tui_tutor.grading.checkers import blank_cells
from tui_tutor.lesson.loader import discover, load_lesson
from tui_tutor.lesson.model import Lesson, Question
from tui_tutor.neural import math as nm

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
DRAWS = 1000
LEARNER = "variant-tester"

Key = tuple[int, int] | None  # None: the answer of a numeric question; (row, col): a table cell


# --------------------------------------------------------------------------- discovery


def _lessons() -> list[Lesson]:
    out = []
    for path in discover([LESSONS]):
        result = load_lesson(path)
        assert result.lesson is not None and not result.errors, (path, [str(e) for e in result.errors])
        out.append(result.lesson)
    return out


LESSON_LIST = _lessons()
PARAMETERISED = [(lesson, q) for lesson in LESSON_LIST for q in lesson.questions() if q.has_variants]
IDS = [f"{lesson.id}/{q.id}" for lesson, q in PARAMETERISED]


def test_lessons_have_parameterised_questions() -> None:
    assert PARAMETERISED, "no lesson question has params"


@dataclass(frozen=True)
class Variant:
    number: int
    values: dict
    question: Question  # rendered
    keys: dict  # Key -> float


def _keys(rendered: Question) -> dict:
    if rendered.kind == "numeric":
        return {None: float(rendered.answer)}
    if rendered.kind == "table":
        return {(r, c): cell.answer for r, c, cell in blank_cells(rendered) if not isinstance(cell.answer, str)}
    return {}


@cache
def _variants(index: int) -> tuple[Variant, ...]:
    """DRAWS variants of PARAMETERISED[index], drawn as the tutor does (cached for all tests)."""
    lesson, q = PARAMETERISED[index]
    out = []
    for n in range(DRAWS):
        values = draw(q, n, variant_seed(LEARNER, lesson.id, q.id, n))
        rendered = render(q, values)
        out.append(Variant(n, values, rendered, _keys(rendered)))
    return tuple(out)


def _answer(v: Variant, key: Key, typed: str) -> object:
    """The learner's answer with `typed` at `key` (other table cells filled in correctly)."""
    if key is None:
        return typed
    return {k: (typed if k == key else repr(value)) for k, value in v.keys.items()}


def _cell_correct(v: Variant, key: Key, typed: str) -> tuple[bool, object]:
    result = check(v.question, _answer(v, key, typed), v.values)
    if key is None:
        return result.status == "correct", result
    cell = tuple(key)
    part = next(p for p in result.parts if p.cell == cell)
    return part.correct, result


def _exact_forms(key: float) -> list[str]:
    forms = [f"({key!r})*1"]
    if key == int(key):
        forms.append(f"{int(key) * 2}/2")
    else:
        frac = Fraction(key).limit_denominator(64)
        if float(frac) == key:
            forms.append(f"{frac.numerator}/{frac.denominator}")
    return forms


# --------------------------------------------------------------------------- generic checks


@pytest.mark.parametrize("index", range(len(PARAMETERISED)), ids=IDS)
def test_every_variant_renders_and_grades_its_own_key(index: int) -> None:
    _lesson, q = PARAMETERISED[index]
    names = "|".join(re.escape(p.name) for p in q.params)
    placeholder = re.compile(rf"\{{({names})\}}")
    distinct = set()
    for v in _variants(index):
        if q.kind in ("numeric", "table"):
            assert v.keys, (q.id, v.number, "no numeric key")
        texts = [v.question.prompt, v.question.solution, *v.question.hints,
                 *(c.value for row in v.question.rows for c in row)]
        assert not any(placeholder.search(t) for t in texts), (q.id, v.number, "a placeholder was not filled in")
        distinct.add(tuple(sorted((k, v.values[k]) for k in (p.name for p in q.params))))
        for key, value in v.keys.items():
            assert isinstance(value, float) and math.isfinite(value), (q.id, v.number, key, value)
            for typed in [repr(value), *_exact_forms(value)]:
                ok, result = _cell_correct(v, key, typed)
                assert ok, (q.id, v.number, key, typed, result)
            wrong = value + 1 + abs(value)
            ok, result = _cell_correct(v, key, repr(wrong))
            assert not ok and result.status in ("wrong", "partial"), (q.id, v.number, key, wrong, result)
        if v.keys and q.kind in ("numeric", "table"):
            whole = check(v.question, {k: repr(x) for k, x in v.keys.items()} if q.kind == "table"
                          else repr(v.keys[None]), v.values)
            assert whole.status == "correct" and whole.score == 1.0, (q.id, v.number, whole)
    assert len(distinct) >= 20, (q.id, "variants hardly differ", len(distinct))


# --------------------------------------------------------------------------- lesson knowledge

ACTS = ("relu", "sigmoid", "linear")


def _act(v: dict) -> Callable[[float], float]:
    return nm.ACTIVATIONS[ACTS[int(v["act"])]]


def _neuron_parts(v: dict) -> tuple[float, float]:
    z_nobias = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["x3"] * v["w3"]
    return z_nobias, z_nobias + v["b"]


def _network(v: dict) -> tuple[float, float, float, float, float]:
    s1 = v["w11"] * v["x1"] + v["w12"] * v["x2"] + v["b1"]
    s2 = v["w21"] * v["x1"] + v["w22"] * v["x2"] + v["b2"]
    return s1, s2, max(0.0, s1), max(0.0, s2), v["c"]


def _xor_net(v: dict) -> nm.XorNetwork:
    w = {("x1", "h1"): v["w11"], ("x2", "h1"): v["w12"], ("x1", "h2"): v["w21"], ("x2", "h2"): v["w22"],
         ("h1", "y"): v["v1"], ("h2", "y"): v["v2"]}
    return nm.XorNetwork(weights=w, biases={"h1": v["b1"], "h2": v["b2"], "y": v["c"]})


def _pairs(v: dict) -> list[tuple[float, float]]:
    return [(v[f"p{i}"], v[f"t{i}"]) for i in range(1, 5)]


#: question id -> Key -> the key worked out independently (tui_tutor.neural.math), from the params.
ORACLES: dict[str, Callable[[dict], dict]] = {
    "neuron-output": lambda v: {None: nm.neuron([v["x1"], v["x2"], v["x3"]], [v["w1"], v["w2"], v["w3"]],
                                                v["b"], ACTS[int(v["act"])]).output},
    "network-output": lambda v: {None: nm.xor_forward(v["x1"], v["x2"], _xor_net(v))[2]},
    "dense-params": lambda v: {None: nm.dense_params(int(v["inputs"]), int(v["units"]))},
    "huber-vs-squared": lambda v: {(0, 2): v["err"] ** 2, (1, 2): nm.huber(v["err"], v["delta"])},
    "mse-table": lambda v: {**{(i, 2): nm.squared_error(*_pairs(v)[i]) for i in (1, 2, 3)},
                            (4, 2): nm.mse(_pairs(v))},
}

#: question id -> (Key -> key) of variant 0: the episode's own numbers.
FIRST = {
    "neuron-output": {None: 1.25},
    "mse-table": {(1, 2): 9, (2, 2): 0, (3, 2): 1, (4, 2): 3.5},
    "network-output": {None: 0},
    "dense-params": {None: 50},  # 4 inputs, 10 units: every named mistake gives another number
    "huber-vs-squared": {(0, 2): 9, (1, 2): 2.5},
}


@dataclass(frozen=True)
class Mistake:
    """A named mistake: the value a learner who makes it types (None: not applicable here)."""

    key: Key
    value: Callable[[dict], float | None]
    says: str  # a phrase of the targeted message it must bring up


def _nz(value: float | None) -> float | None:
    return None if value is None or value == 0 else value


def _neuron_mistakes() -> list[Mistake]:
    def when(cond: Callable[[dict], bool], f: Callable[[dict], float]) -> Callable[[dict], float | None]:
        return lambda v: f(v) if cond(v) else None

    zn = lambda v: _neuron_parts(v)[0]  # noqa: E731
    z = lambda v: _neuron_parts(v)[1]  # noqa: E731
    has_b = lambda v: v["b"] != 0  # noqa: E731
    absz = lambda v: abs(v["x1"] * v["w1"]) + abs(v["x2"] * v["w2"]) + abs(v["x3"] * v["w3"]) + v["b"]  # noqa: E731
    added = lambda v: v["x1"] + v["w1"] + v["x2"] + v["w2"] + v["x3"] + v["w3"] + v["b"]  # noqa: E731
    return [
        Mistake(None, when(has_b, zn), "That is the weighted sum alone. Add the bias"),
        Mistake(None, when(has_b, lambda v: _act(v)(zn(v))), "left out the bias"),
        Mistake(None, when(lambda v: v["act"] == 0 and z(v) < 0, z), "ReLU turns every negative value into 0"),
        Mistake(None, when(lambda v: v["act"] == 1, z), "you stopped there"),
        Mistake(None, when(has_b, lambda v: _nz(zn(v) - v["b"])), "subtracted the bias"),
        Mistake(None, when(has_b, lambda v: _nz(_act(v)(zn(v) - v["b"]))), "subtracted the bias"),
        Mistake(None, lambda v: _act(v)(absz(v)), "Check the signs of the products"),
        Mistake(None, lambda v: _act(v)(added(v)), "added each input to its weight"),
        Mistake(None, when(lambda v: v["act"] != 0, lambda v: max(0.0, z(v))), "You applied ReLU"),
        Mistake(None, when(lambda v: v["act"] != 1, lambda v: nm.sigmoid(z(v))), "You applied sigmoid"),
        Mistake(None, when(lambda v: v["act"] == 0 and z(v) > 0, lambda v: 0.0),
                "ReLU leaves positive values unchanged"),
    ]


def _mse_mistakes() -> list[Mistake]:
    out = []
    for row in (1, 2, 3):
        def err(v: dict, row: int = row) -> float:
            p, t = _pairs(v)[row]
            return t - p

        out += [
            Mistake((row, 2), lambda v, err=err: err(v) if err(v) ** 2 != abs(err(v)) else None, "Square it too"),
            Mistake((row, 2), lambda v, err=err: -abs(err(v)) if err(v) ** 2 != abs(err(v)) else None, "Square it too"),
            Mistake((row, 2), lambda v, err=err: -(err(v) ** 2) or None, "Squaring never gives a negative number"),
        ]
    sse = lambda v: sum(nm.squared_error(p, t) for p, t in _pairs(v))  # noqa: E731
    errors = lambda v: [t - p for p, t in _pairs(v)]  # noqa: E731
    out += [
        Mistake((4, 2), sse, "divide by the number of samples"),
        Mistake((4, 2), lambda v: sse(v) / 3, "You divided by 3"),
        Mistake((4, 2), lambda v: round(sse(v) / 3, 2), "You divided by 3"),
        Mistake((4, 2), lambda v: sse(v) / 5, "You divided by 5"),
        Mistake((4, 2), lambda v: sum(errors(v)) / 4, "mean of the errors without squaring"),
        Mistake((4, 2), lambda v: sum(map(abs, errors(v))) / 4, "mean of the errors without squaring"),
    ]
    return out


def _network_mistakes() -> list[Mistake]:
    def y_of(v: dict, h1: float, h2: float, c: float | None = None) -> float:
        return max(0.0, v["v1"] * h1 + v["v2"] * h2 + (v["c"] if c is None else c))

    def y(v: dict) -> float:
        _, _, h1, h2, _ = _network(v)
        return y_of(v, h1, h2)

    def raw1(v: dict) -> float | None:
        s1, _, _, h2, _ = _network(v)
        return y_of(v, s1, h2) if s1 < 0 else None

    def raw2(v: dict) -> float | None:
        _, s2, h1, _, _ = _network(v)
        return y_of(v, h1, s2) if s2 < 0 else None

    def no_out_relu(v: dict) -> float | None:
        _, _, h1, h2, c = _network(v)
        s = v["v1"] * h1 + v["v2"] * h2 + c
        return s if s < 0 else None

    def no_out_bias(v: dict) -> float | None:
        _, _, h1, h2, c = _network(v)
        return y_of(v, h1, h2, 0.0) if c != 0 else None

    def unweighted(v: dict) -> float:
        _, _, h1, h2, c = _network(v)
        return max(0.0, h1 + h2 + c)

    return [
        Mistake(None, lambda v: 0.0 if y(v) > 0 else None, "passes it on unchanged"),
        Mistake(None, raw1, "ReLU turns it into h1 = 0"),
        Mistake(None, raw2, "ReLU turns it into h2 = 0"),
        Mistake(None, no_out_relu, "y uses ReLU too"),
        Mistake(None, no_out_bias, "left out the output neuron's own bias"),
        Mistake(None, unweighted, "Multiply each hidden output by its weight"),
    ]


def _dense_mistakes() -> list[Mistake]:
    i = lambda v: int(v["inputs"])  # noqa: E731
    u = lambda v: int(v["units"])  # noqa: E731
    return [
        Mistake(None, lambda v: i(v) * u(v), "You forgot the biases: one per unit"),
        Mistake(None, lambda v: i(v) * u(v) + i(v) if i(v) != u(v) else None, "one bias per input"),
        Mistake(None, lambda v: i(v) * u(v) + 1 if u(v) != 1 else None, "not one for the whole layer"),
        Mistake(None, lambda v: i(v) + u(v), "Every unit has a weight for every input"),
        Mistake(None, lambda v: i(v) + 2 * u(v), "Every unit has a weight for every input"),
    ]


def _standardize_mistakes() -> list[Mistake]:  # lesson 3
    return [
        Mistake(None, lambda v: v["mass"] / v["sd"], "Subtract the mean first"),
        Mistake(None, lambda v: v["mass"] - v["mean"], "Divide it by the standard deviation"),
    ]


def _penguin_params_mistakes() -> list[Mistake]:  # lesson 3
    i, h, c = (lambda v: int(v["inputs"])), (lambda v: int(v["hidden"])), (lambda v: int(v["classes"]))
    return [
        Mistake(None, lambda v: i(v) * h(v) + h(v) * c(v), "You counted the weights only"),
        Mistake(None, lambda v: i(v) * h(v) + h(v), "That is the hidden layer alone"),
        Mistake(None, lambda v: i(v) * h(v) * c(v), "The layers are not multiplied"),
    ]


def _huber_mistakes() -> list[Mistake]:
    a = lambda v: abs(v["err"])  # noqa: E731
    d = lambda v: v["delta"]  # noqa: E731
    outside = lambda v: a(v) > d(v)  # noqa: E731
    return [
        Mistake((0, 2), lambda v: 0.5 * v["err"] ** 2, "That is half the squared error"),
        Mistake((0, 2), lambda v: -(v["err"] ** 2), "A square is never negative"),
        Mistake((0, 2), lambda v: 2 * a(v), "not 2 times e"),
        Mistake((0, 2), a, "That is the size of the error"),
        Mistake((1, 2), lambda v: 0.5 * v["err"] ** 2 if outside(v) else None, "is larger than delta"),
        Mistake((1, 2), lambda v: d(v) * (a(v) - 0.5 * d(v)) if not outside(v) else None, "is not larger than delta"),
        Mistake((1, 2), lambda v: v["err"] ** 2, "That is the squared error"),
        Mistake((1, 2), lambda v: d(v) * a(v) if outside(v) else None, "subtract 0.5 * delta from |e|"),
        Mistake((1, 2), lambda v: d(v) * (a(v) - d(v)) if outside(v) else None, "Subtract half of delta"),
    ]


def _image_mistakes() -> dict[str, list[Mistake]]:  # lesson 5
    n = lambda v, k: int(v[k])  # noqa: E731
    return {
        "pixel-count": [
            Mistake(None, lambda v: n(v, "side") ** 2 if n(v, "channels") > 1 else None, "That is one channel"),
            Mistake(None, lambda v: n(v, "side") * n(v, "channels"), "multiply the height by the width"),
        ],
        "image-dense-params": [
            Mistake(None, lambda v: n(v, "side") ** 2 * n(v, "channels") * n(v, "units"), "Those are the weights only"),
            Mistake(None, lambda v: (n(v, "side") ** 2 + 1) * n(v, "units") if n(v, "channels") > 1 else None,
                    "Count every channel"),
        ],
        "conv-params": [
            Mistake(None, lambda v: n(v, "filters") * n(v, "kernel") ** 2 * n(v, "channels"), "Each filter also has one bias"),
            Mistake(None, lambda v: n(v, "filters") * (n(v, "kernel") ** 2 + 1) if n(v, "channels") > 1 else None,
                    "A filter covers all channels"),
        ],
    }


#: question id -> its named mistakes, in the order of its feedback conditions.
MISTAKES: dict[str, list[Mistake]] = {
    "neuron-output": _neuron_mistakes(),
    "mse-table": _mse_mistakes(),
    "network-output": _network_mistakes(),
    "dense-params": _dense_mistakes(),
    "huber-vs-squared": _huber_mistakes(),
    "standardize-value": _standardize_mistakes(),
    "penguin-params": _penguin_params_mistakes(),
    **_image_mistakes(),
}


def test_lesson_knowledge_names_existing_questions() -> None:
    ids = Counter(q.id for _, q in PARAMETERISED)
    for qid in {*MISTAKES, *ORACLES, *FIRST}:
        assert ids[qid] == 1, f"`{qid}` should name exactly one parameterised question, not {ids[qid]}"
    missing = [q.id for _, q in PARAMETERISED if q.feedback and q.id not in MISTAKES]
    assert not missing, f"parameterised questions with feedback but no mistakes in this test: {missing}"


def _index(qid: str) -> int:
    return next(i for i, (_, q) in enumerate(PARAMETERISED) if q.id == qid)


@pytest.mark.parametrize("qid", sorted(ORACLES))
def test_keys_match_the_neural_math(qid: str) -> None:
    for v in _variants(_index(qid)):
        expected = ORACLES[qid](v.values)
        assert set(expected) == set(v.keys), (qid, v.number)
        for key, value in expected.items():
            assert v.keys[key] == pytest.approx(value, rel=1e-12, abs=1e-12), (qid, v.number, key)


@pytest.mark.parametrize("qid", sorted(FIRST))
def test_variant_zero_is_the_episode(qid: str) -> None:
    lesson, q = PARAMETERISED[_index(qid)]
    for seed in (0, 1, variant_seed("someone", lesson.id, q.id, 0)):
        v = draw(q, 0, seed)
        assert _keys(render(q, v)) == pytest.approx(FIRST[qid]), (qid, seed)


def _typed(qid: str, values: dict, value: float) -> str:
    """How a learner types the value: a sigmoid output to 3 decimals, everything else in full."""
    if qid == "neuron-output" and values["act"] == 1:
        return f"{value:.3f}"
    return repr(float(value))


@pytest.mark.parametrize("qid", sorted(MISTAKES))
def test_targeted_feedback_fires_on_the_mistakes_it_names(qid: str) -> None:
    mistakes = MISTAKES[qid]
    fired, overshadowed = Counter(), Counter()
    for v in _variants(_index(qid)):
        seen: dict[Key, list[float]] = {}
        for m_index, m in enumerate(mistakes):
            value = m.value(v.values)
            if value is None:
                continue
            earlier = seen.setdefault(m.key, [])
            clash = any(abs(value - e) < 1e-3 for e in earlier)
            earlier.append(value)
            typed = _typed(qid, v.values, value)
            ok, result = _cell_correct(v, m.key, typed)
            if ok:  # the mistake gives the right answer in this variant: nothing to correct
                continue
            if clash:  # an earlier condition catches the same number first
                overshadowed[m_index] += 1
                continue
            targeted = " | ".join(result.targeted)
            assert m.says.lower() in targeted.lower(), (qid, v.number, m.says, typed, v.values, result)
            fired[m_index] += 1
    for m_index, m in enumerate(mistakes):
        assert fired[m_index] >= 5, (qid, m.says, "fired only", fired[m_index], "times in", DRAWS)


def test_sigmoid_outputs_rounded_to_three_decimals_are_accepted_and_two_refused() -> None:
    """The rule the prompt states: 3 decimals, rounded. Two decimals are refused in every
    variant where they differ from the 3-decimal answer, with a message that says why."""
    sigmoid_variants = [v for v in _variants(_index("neuron-output")) if v.values["act"] == 1]
    assert len(sigmoid_variants) > 200
    for v in sigmoid_variants:
        key = v.keys[None]
        for typed in (f"{key:.3f}", f"sigmoid({v.values['z']!r})"):
            assert check(v.question, typed, v.values).status == "correct", (v.number, key, typed)
        for typed in (f"{key + 0.01:.3f}", f"{key - 0.01:.3f}"):
            assert check(v.question, typed, v.values).status == "wrong", (v.number, key, typed)
        two = f"{key:.2f}"
        if abs(float(two) - key) > 0.00051:
            result = check(v.question, two, v.values)
            assert result.status == "wrong", (v.number, key, two)
            assert "3 decimal" in " ".join(result.targeted), (v.number, result)


def test_validator_catches_feedback_that_fires_on_the_key(tmp_path: Path) -> None:
    """The old first variant of dense-params (2 inputs, 2 units): "inputs + 2*units" is 6, the key."""
    from tui_tutor.grading.variants import validate_question

    text = """---
title: Coinciding mistake
---

## A step

::: question
id: params
kind: numeric
params:
  inputs: {range: [1, 20], step: 1}
  units: {range: [1, 20], step: 1}
first: {inputs: 2, units: 2}
prompt: "{inputs} inputs, {units} units: how many parameters?"
answer: inputs * units + units
feedback:
  - when: answer == inputs + 2*units
    message: Every unit has a weight for every input.
:::
"""
    path = tmp_path / "coincide.md"
    path.write_text(text, encoding="utf-8")
    question = load_lesson(path).lesson.questions()[0]
    problems = [m for _, m in validate_question(question)]
    assert any("holds for the correct answer" in m and "inputs = 2, units = 2" in m for m in problems), problems
    fixed = question.__class__(**{**question.__dict__, "where": ("inputs * units != inputs + units",)})
    assert not [m for _, m in validate_question(fixed) if "correct answer" in m]


# --------------------------------------------------------------------------- stable variants


_SUBPROCESS = """
import json, sys
from tui_tutor.grading import draw, variant_seed
from tui_tutor.lesson.loader import discover, load_lesson
out = {}
for path in discover([sys.argv[1]]):
    lesson = load_lesson(path).lesson
    for q in lesson.questions():
        if q.has_variants:
            out[f"{lesson.id}/{q.id}"] = [draw(q, n, variant_seed("ana", lesson.id, q.id, n)) for n in (0, 1, 2, 17, 999)]
print(json.dumps(out, sort_keys=True))
"""


def _draws_in_subprocess(hash_seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", _SUBPROCESS, str(LESSONS)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_same_learner_question_and_number_give_the_same_values_in_separate_processes() -> None:
    first, second = _draws_in_subprocess("1"), _draws_in_subprocess("4242")
    assert first == second
    here = {f"{lesson.id}/{q.id}": [draw(q, n, variant_seed("ana", lesson.id, q.id, n)) for n in (0, 1, 2, 17, 999)]
            for lesson, q in PARAMETERISED}
    assert json.loads(json.dumps(here, sort_keys=True)) == first
    assert set(first) == set(IDS)
    for name, draws in first.items():  # different numbers give different variants
        assert len({json.dumps(d, sort_keys=True) for d in draws}) >= 3, name


def test_a_stored_seed_reproduces_the_variant(tmp_path: Path) -> None:
    from tui_tutor.progress.store import ProgressStore

    store = ProgressStore.open(tmp_path / "progress.sqlite3")
    try:
        expected = {}
        for lesson, q in PARAMETERISED:
            number = 7
            seed = variant_seed("bea", lesson.id, q.id, number)
            values = draw(q, number, seed)
            expected[(lesson.id, q.id)] = values
            store.record_answer("bea", lesson.id, q.id, answer="1", status="wrong", score=0.0,
                                variant=number, seed=seed)
    finally:
        store.close()
    store = ProgressStore.open(tmp_path / "progress.sqlite3")
    try:
        for (lesson_id, qid), values in expected.items():
            state = store.question_state("bea", lesson_id, qid)
            assert state is not None and state.variant == 7 and state.seed is not None
            assert draw(PARAMETERISED[_index(qid)][1], state.variant, state.seed) == values
    finally:
        store.close()


# --------------------------------------------------------------------------- validator


BROKEN = """---
title: Broken variants
---

## A step

Some text.

::: question
id: inverse
kind: numeric
params:
  x: {choose: [0, 1, 2]}
prompt: What is 1 / ({x} - 1)?
answer: 1/(x - 1)
:::
"""


def test_validator_reports_an_answer_that_divides_by_zero(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text(BROKEN, encoding="utf-8")
    question = load_lesson(path).lesson.questions()[0]
    lines = BROKEN.splitlines()
    assert question.line in (lines.index("::: question") + 1, lines.index("id: inverse") + 1)
    done = subprocess.run([sys.executable, "-m", "tui_tutor", "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{path}:{question.line}:" in done.stdout, done.stdout
    assert "divides by zero" in done.stdout and "x = 1" in done.stdout, done.stdout
