"""What the learner reads, built from a Result's data alone (no checker, no text parsing)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_tutor.grading import check
from tui_tutor.grading.result import PartResult, Result
from tui_tutor.grading.wording import headline, part_line, parts_lines, status_line, summary
from tui_tutor.lesson.model import Cell, Option, Question, Statement

TABLE = Question(id="t", kind="table", line=1, columns=("Prediction", "Squared error"),
                 rows=((Cell("1"), Cell(answer=9)), (Cell("2"), Cell(answer=0)), (Cell("3"), Cell(answer=1))))


def cell(row: int, ok: bool, given: str | None, feedback: str = "") -> PartResult:
    return PartResult("cell", row, ok, given=given, expected=9, column=1, feedback=feedback)


@pytest.mark.parametrize("result, words", [
    (Result("correct", 1.0, kind="numeric", given="1.25"), "Correct"),
    (Result("partial", 2 / 3, kind="table", parts=(cell(0, True, "9"), cell(1, True, "0"), cell(2, False, "2"))),
     "Partly right (2/3)"),
    (Result("partial", 0.8, kind="order", parts=tuple(PartResult("position", i, i != 0, given=(i + 1) % 10)
                                                       for i in range(10))), "Partly right (80%)"),
    (Result("wrong", 0.0, kind="text", given="or"), "Not yet"),
    (Result("saved", 0.0, kind="reflect"), "Saved"),
    (Result("invalid", 0.0, "Type a number.", reason="not_a_number"), "Could not check"),
])
def test_headline(result: Result, words: str) -> None:
    assert headline(result) == words


def test_optional_parts_do_not_count_in_the_headline() -> None:
    parts = (PartResult("statement", 0, True, "A", "A"), PartResult("statement", 1, False, "B", "C"),
             PartResult("statement", 2, False, None, "A", optional=True))
    result = Result("partial", 0.5, kind="matching", parts=parts)
    assert headline(result) == "Partly right (1/2)"
    assert status_line(result) == "Partly right (1/2): 1 of 2 statements are right (and 0 of 1 optional ones)."
    assert [part_line(p) for p in parts[1:]] == ["statement 2: should not be B", "statement 3 (optional): not answered"]


def test_numeric_lines_say_the_verdict_once() -> None:
    wrong = Result("wrong", 0.0, kind="numeric", given="0.25", targeted=("Add the bias.",))
    assert summary(wrong) == "Not quite: 0.25 is not the answer."
    assert status_line(wrong) == "Not yet: 0.25 is not the answer."
    worked = Result("correct", 1.0, kind="numeric", given="5/4", value=1.25)
    assert summary(worked) == status_line(worked) == "Correct (`5/4` = 1.25)."
    rounded = Result("wrong", 0.0, kind="numeric", given="0.62", reason="rounded")
    assert summary(rounded) == "Close: 0.62 is the answer rounded too much; give more decimal places."
    assert status_line(rounded) == "Not yet: 0.62 is the answer rounded too much; give more decimal places."


def test_invalid_says_why() -> None:
    result = check(TABLE, {(0, 1): "1,5"})
    assert result.status == "invalid" and result.reason == "unreadable"
    assert status_line(result).startswith("Row 1, Squared error: could not read `1,5` as a number")
    assert summary(result) == result.detail and parts_lines(result, TABLE, "X") == []


def test_part_lines_name_cells_by_heading_and_add_lesson_hints_once() -> None:
    parts = (cell(0, False, "3", "Square the error."), cell(1, True, "0"), cell(2, False, None))
    result = Result("partial", 1 / 3, kind="table", parts=parts, targeted=("Square the error.", "Mean of squares."))
    assert parts_lines(result, TABLE, "X") == [
        "X row 1, Squared error: 3 is not right. Square the error.",
        "X row 3, Squared error: not filled in",
        "Mean of squares.",
    ]


def test_long_part_lists_are_cut() -> None:
    parts = tuple(PartResult("position", i, False, given=i) for i in range(7))
    lines = parts_lines(Result("wrong", 0.0, kind="order", parts=parts), None, "X", limit=4)
    assert lines[:4] == [f"X position {i + 1}: item {i + 1} is out of place" for i in range(4)]
    assert lines[4:] == ["  ... and 3 more"]


def test_choice_and_multi_option_lines() -> None:
    choice = Question(id="c", kind="choice", line=1, options=(Option("a", correct=True), Option("b")))
    wrong = check(choice, "B")
    assert status_line(wrong) == "Not yet: B is not right."
    assert parts_lines(wrong, choice, "X") == ["X option B"]  # no feedback written: the summary says it
    multi = Question(id="m", kind="multi", line=1, options=(Option("a", correct=True), Option("b", feedback="No."),
                                                              Option("c", correct=True)))
    partly = check(multi, "A B")
    assert status_line(partly) == "Partly right (1/3): you picked 1 of the 2 right options and 1 wrong one."
    assert parts_lines(partly, multi, "X") == ["X option B: No.", "X option C: should be picked"]


QUESTIONS = [
    TABLE,
    Question(id="m", kind="multi", line=1, options=tuple(Option(str(i), correct=i < 2, feedback="f") for i in range(4))),
    Question(id="ma", kind="matching", line=1, match_options=(("A", "x"), ("B", "y")),
             statements=(Statement("s", "A"), Statement("t", "B", optional=True))),
    Question(id="o", kind="order", line=1, items=("a", "b", "c")),
    Question(id="n", kind="numeric", line=1, answer=0.5),
]
ANSWERS = st.one_of(st.text(max_size=6), st.lists(st.sampled_from(["A", "B", "C", None, 0, 1, 2]), max_size=4),
                    st.dictionaries(st.sampled_from([(0, 1), (1, 1), (2, 1), 0, 1]), st.text("0139.", max_size=3)))


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, len(QUESTIONS) - 1), answer=ANSWERS)
def test_every_result_has_words_and_survives_json(index: int, answer: object) -> None:
    question = QUESTIONS[index]
    result = check(question, answer)
    assert status_line(result) and summary(result)
    stored = json.loads(json.dumps(result.as_data(), allow_nan=False))
    assert Result.from_data(stored) == result


@pytest.mark.parametrize("data", [None, [], {"status": "great", "score": 1}, {"status": "correct", "score": 2},
                                  {"status": "wrong", "score": 0, "parts": [{"kind": "cell", "index": "1"}]},
                                  {"status": "wrong", "score": 0, "targeted": [3]}])
def test_odd_stored_results_are_none(data: object) -> None:
    assert Result.from_data(data) is None
