"""Stored answers: each kind's codec round-trips through JSON and grades the same afterwards."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_tutor.grading import check
from tui_tutor.grading.codec import CODECS, decode_answer, encode_answer
from tui_tutor.lesson.model import Cell, Option, Question, Statement

QUESTIONS = {
    "numeric": Question(id="n", kind="numeric", line=1, answer=1.25),
    "choice": Question(id="c", kind="choice", line=1, options=(Option("a"), Option("b", correct=True), Option("c"))),
    "multi": Question(id="m", kind="multi", line=1, options=tuple(Option(str(i), correct=i in (0, 3)) for i in range(5))),
    "matching": Question(id="ma", kind="matching", line=1, match_options=(("A", "x"), ("B", "y"), ("C", "z")),
                         statements=tuple(Statement(str(i), k, optional=i > 2) for i, k in enumerate("ACBAB"))),
    "table": Question(id="t", kind="table", line=1, columns=("a", "b", "c"),
                      rows=((Cell("1"), Cell(answer=9), Cell(answer="xor")), (Cell("2"), Cell(answer=3.5), Cell("x")))),
    "order": Question(id="o", kind="order", line=1, items=tuple(f"step {i}" for i in range(6))),
    "text": Question(id="x", kind="text", line=1, accepted=("XOR",)),
    "reflect": Question(id="r", kind="reflect", line=1),
}

typed = st.text(alphabet="0123456789.,+-*/^() xorXOR", max_size=12)
letters = st.sampled_from(list("ABCDEabcde"))
keys = st.one_of(st.none(), st.just(""), st.sampled_from(list("ABCabc")))
cells = st.sampled_from([(0, 1), (0, 2), (1, 1)])

# What the answer widgets (and the checkers' other accepted shapes) give, per kind.
ANSWERS = {
    "numeric": st.one_of(typed, st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False)),
    "choice": st.one_of(letters, st.integers(-1, 4)),
    "multi": st.one_of(st.lists(letters, max_size=6), st.sets(st.one_of(letters, st.integers(0, 4)), max_size=5),
                       st.frozensets(st.integers(-1, 6), max_size=5), st.tuples(letters, st.integers(0, 4)), typed),
    "matching": st.one_of(st.lists(keys, max_size=6), st.dictionaries(st.integers(-1, 6), keys, max_size=6)),
    "table": st.dictionaries(cells, st.one_of(typed, st.just("")), max_size=3),
    "order": st.one_of(st.permutations(list(range(6))), st.lists(st.integers(-1, 7), max_size=7)),
    "text": st.text(max_size=30),
    "reflect": st.text(max_size=30),
}


def _through_json(kind: str, answer: object) -> object:
    stored = encode_answer(kind, answer)
    text = json.dumps(stored, allow_nan=False)  # what the store writes: plain JSON
    return decode_answer(kind, json.loads(text))


def test_every_kind_has_a_codec() -> None:
    assert set(CODECS) == set(QUESTIONS)


@pytest.mark.parametrize("kind", sorted(ANSWERS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_round_trip_grades_the_same(kind: str, data: st.DataObject) -> None:
    answer = data.draw(ANSWERS[kind])
    back = _through_json(kind, answer)
    before, after = check(QUESTIONS[kind], answer), check(QUESTIONS[kind], back)
    if before.status == "invalid":  # which bad pick of a set is named first is the set's own order
        assert (after.status, after.reason) == (before.status, before.reason), (answer, back)
    else:
        assert after == before, (answer, back)
    assert encode_answer(kind, back) == json.loads(json.dumps(encode_answer(kind, answer)))  # stable once stored


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=12,
)


@pytest.mark.parametrize("kind", [*sorted(ANSWERS), "essay"])
@settings(max_examples=150, deadline=None)
@given(stored=json_values)
def test_decode_never_raises_and_gives_a_gradable_answer(kind: str, stored: object) -> None:
    answer = decode_answer(kind, stored)  # an old, hand-edited or foreign file
    if kind in QUESTIONS:
        assert check(QUESTIONS[kind], answer).status in ("correct", "partial", "wrong", "invalid", "saved")


def test_older_files_still_read() -> None:
    # The shapes the tutor wrote before the codecs: table keys "r,c", multi as a sorted list.
    assert decode_answer("table", {"0,1": "9", "1,1": None, "bad": "x", "2": "y"}) == {(0, 1): "9", (1, 1): ""}
    assert decode_answer("multi", ["A", "E"]) == ["A", "E"]
    assert decode_answer("matching", ["A", None, "B"]) == ["A", None, "B"]
    assert decode_answer("order", [2, 0, 1]) == [2, 0, 1]
    assert decode_answer("numeric", "5/4") == "5/4"


def test_odd_data_is_no_answer() -> None:
    assert decode_answer("table", ["garbage"]) is None
    assert decode_answer("order", [True, 1]) is None
    assert decode_answer("choice", {"a": 1}) is None
    assert decode_answer("matching", {"x": "A"}) is None
    assert decode_answer("numeric", None) is None


def test_encoded_answers_are_plain_json() -> None:
    assert encode_answer("table", {(1, 2): "x"}) == {"1,2": "x"}
    assert encode_answer("multi", {"E", "A", 0}) == [0, "A", "E"]
    assert encode_answer("matching", {0: "A", 3: None}) == {"0": "A", "3": None}
    assert decode_answer("matching", {"0": "A", "3": None}) == {0: "A", 3: None}
    assert encode_answer("numeric", float("nan")) is None
