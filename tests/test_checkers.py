"""Checkers against the keys of the first lesson (and their bad inputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_tutor.grading import check, key_text, lesson_score, question_score
from tui_tutor.grading.checkers import multi_score
from tui_tutor.grading.result import PartResult
from tui_tutor.grading.wording import part_line, summary
from tui_tutor.lesson.model import Cell, Feedback, Option, Question, Statement

BIAS = "You left out the bias: add b = 1 to the weighted sum."

NEURON = Question(
    id="neuron-output", kind="numeric", line=10, answer=1.25,
    feedback=(Feedback(when="abs(answer - 0.25) < 1e-9", message=BIAS, line=14),
              Feedback(when="answer < 0", message="ReLU never gives a negative number.", line=16)),
)


def test_neuron_accepts_equivalent_forms() -> None:
    for typed in ("1.25", "5/4", "0*(-1)+0.5*(-0.5)+1*0.5+1", "max(0, 0.25+1)", " 1.25 ", "1.2500", "125e-2", "1.25001"):
        result = check(NEURON, typed)
        assert result.status == "correct", typed
        assert result.score == 1.0
    assert check(NEURON, 1.25).status == "correct"


def test_neuron_forgot_bias_gets_targeted_message() -> None:
    result = check(NEURON, "0.25")
    assert result.status == "wrong"
    assert result.score == 0.0
    assert result.targeted == (BIAS,)
    assert (result.kind, result.given, result.value) == ("numeric", "0.25", None)
    assert "0.25" in summary(result)


def test_neuron_first_matching_feedback_only() -> None:
    assert check(NEURON, "-1").targeted == ("ReLU never gives a negative number.",)
    assert check(NEURON, "7").targeted == ()


def test_numeric_expression_key_over_values() -> None:
    q = Question(id="q", kind="numeric", line=1, answer="max(0, x*w + b)",
                 feedback=(Feedback(when="abs(answer - x*w) < 1e-9", message="bias!"),))
    values = {"x": 0.5, "w": 2.0, "b": 0.25}
    assert check(q, "1.25", values).status == "correct"
    assert check(q, "1", values).targeted == ("bias!",)


def test_numeric_tolerance_relabs() -> None:
    q = Question(id="q", kind="numeric", line=1, answer=100, rtol=0.01, atol=0.5)
    assert check(q, "101.4").status == "correct"      # 1.4 <= 0.5 + 1
    assert check(q, "101.6").status == "wrong"
    z = Question(id="z", kind="numeric", line=1, answer=0, rtol=1e-4, atol=1e-9)
    assert check(z, "1e-10").status == "correct"
    assert check(z, "1e-6").status == "wrong"


@pytest.mark.parametrize("typed, fragment", [
    ("1,2.5", "unexpected ',' at position 2"),
    ("", "Type a number"),
    ("   ", "Type a number"),
    ("abc", "unknown name `abc`"),
    ("1/0", "division by zero"),
    ("z", "unknown name `z`"),  # learners get no access to the variant's names
])
def test_numeric_bad_input_is_invalid(typed: str, fragment: str) -> None:
    result = check(NEURON, typed, {"z": 1.25})
    assert result.status == "invalid"
    assert result.score == 0.0
    assert result.reason in ("unreadable", "empty")
    assert fragment in result.detail


def test_numeric_comma_message_is_plain() -> None:
    message = check(NEURON, "1,2.5").message
    assert message.startswith("Could not read `1,2.5` as a number: unexpected ',' at position 2")
    assert "point" in message


def test_numeric_rounded_too_much() -> None:
    q = Question(id="s", kind="numeric", line=1, answer="sigmoid(0.5)")
    result = check(q, "0.62")
    assert result.status == "wrong" and result.reason == "rounded" and "decimal places" in summary(result)
    assert check(q, key_text(q)).status == "correct"


def test_broken_key_is_invalid_not_raised() -> None:
    q = Question(id="q", kind="numeric", line=1, answer="1/x")
    result = check(q, "1", {"x": 0})
    assert result.status == "invalid" and result.reason == "lesson" and "lesson" in result.detail


# -- table: squared errors and MSE ------------------------------------------------

MSE_TABLE = Question(
    id="mse", kind="table", line=30,
    columns=("Prediction", "Expected value", "Squared error"),
    rows=(
        (Cell("1"), Cell("-1"), Cell("4")),
        (Cell("2"), Cell("-1"), Cell(answer=9)),
        (Cell("0"), Cell("0"), Cell(answer=0)),
        (Cell("-1"), Cell("0"), Cell(answer=1)),
        (Cell(""), Cell("MSE"), Cell(answer=3.5, rtol=1e-3)),
    ),
    feedback=(Feedback(cell=(1, 2), when="answer == 3", message="Square the error: 3 squared is 9."),),
)
RIGHT_MSE = {(1, 2): "9", (2, 2): "0", (3, 2): "1", (4, 2): "3.5"}


def test_table_all_right() -> None:
    result = check(MSE_TABLE, RIGHT_MSE)
    assert result.status == "correct" and result.score == 1.0
    assert [p.cell for p in result.parts] == [(1, 2), (2, 2), (3, 2), (4, 2)]
    assert [p.expected for p in result.parts] == [9, 0, 1, 3.5]
    assert all(p.correct for p in result.parts)
    assert check(MSE_TABLE, {(1, 2): "3^2", (2, 2): "0", (3, 2): "(-1-0)^2", (4, 2): "14/4"}).status == "correct"


def test_table_per_cell_parts_and_targeted() -> None:
    result = check(MSE_TABLE, {**RIGHT_MSE, (1, 2): "3"})
    assert result.status == "partial"
    assert result.score == pytest.approx(0.75)
    assert summary(result) == "3 of 4 cells are right."
    wrong = [p for p in result.parts if not p.correct]
    assert wrong == [PartResult("cell", 1, False, given="3", expected=9, column=2,
                                feedback="Square the error: 3 squared is 9.")]
    assert part_line(wrong[0], MSE_TABLE) == "row 2, Squared error: 3 is not right. Square the error: 3 squared is 9."
    assert result.targeted == ("Square the error: 3 squared is 9.",)


def test_table_cell_tolerance_and_blanks() -> None:
    assert check(MSE_TABLE, {**RIGHT_MSE, (4, 2): "3.502"}).score == 1.0   # rtol 1e-3 on that cell
    assert check(MSE_TABLE, {**RIGHT_MSE, (1, 2): "9.01"}).score == 0.75   # default rtol 1e-4
    partly = check(MSE_TABLE, {(1, 2): "9"})
    assert partly.score == 0.25
    assert [p.given for p in partly.parts] == ["9", None, None, None]
    assert [part_line(p, MSE_TABLE) for p in partly.parts][1:] == [
        f"row {r}, Squared error: not filled in" for r in (3, 4, 5)]


@pytest.mark.parametrize("answer, fragment", [
    ({}, "Fill in at least one cell"),
    ({(1, 2): "  "}, "Fill in at least one cell"),
    ({(1, 2): "1,5"}, "Row 2, Squared error: could not read `1,5`"),
    ("9, 0, 1, 3.5", "Fill in"),
])
def test_table_invalid(answer: object, fragment: str) -> None:
    result = check(MSE_TABLE, answer)
    assert result.status == "invalid" and fragment in result.detail


XOR_TABLE = Question(
    id="xor", kind="table", line=50, columns=("x1", "x2", "x1 XOR x2"),
    rows=tuple((Cell(str(a)), Cell(str(b)), Cell(answer=a ^ b)) for a in (0, 1) for b in (0, 1)),
)


def test_xor_column() -> None:
    assert check(XOR_TABLE, {(0, 2): "0", (1, 2): "1", (2, 2): "1", (3, 2): "0"}).status == "correct"
    result = check(XOR_TABLE, {(0, 2): "0", (1, 2): "1", (2, 2): "1", (3, 2): "1"})  # OR, not XOR
    assert result.score == 0.75
    assert [p.cell for p in result.parts if not p.correct] == [(3, 2)]
    assert key_text(XOR_TABLE) == ("row 1, x1 XOR x2: 0; row 2, x1 XOR x2: 1; "
                                   "row 3, x1 XOR x2: 1; row 4, x1 XOR x2: 0")


def test_table_text_cell() -> None:
    q = Question(id="t", kind="table", line=1, columns=("Task", "Kind"),
                 rows=((Cell("predict a price"), Cell(answer="regression")),
                       (Cell("spot a bird"), Cell(answer="classification"))))
    result = check(q, {(0, 1): " Regression ", (1, 1): "clustering"})
    assert result.score == 0.5
    assert part_line(result.parts[1], q) == "row 2, Kind: clustering is not right"
    assert key_text(q) == "row 1, Kind: regression; row 2, Kind: classification"


# -- matching: activation functions ----------------------------------------------

MATCH_KEY = "ACBABBC"
MATCHING = Question(
    id="activations", kind="matching", line=60,
    match_options=(("A", "Sigmoid"), ("B", "ReLU"), ("C", "Linear")),
    statements=tuple(Statement(text=f"statement {i + 1}", answer=k, optional=i >= 4) for i, k in enumerate(MATCH_KEY)),
)


def test_matching_all_right() -> None:
    answer = {i: k for i, k in enumerate(MATCH_KEY)}
    result = check(MATCHING, answer)
    assert result.status == "correct" and result.score == 1.0
    assert check(MATCHING, list("acbabbc")).status == "correct"
    assert key_text(MATCHING) == "1 A, 2 C, 3 B, 4 A, 5 B, 6 B, 7 C"


def test_matching_optional_statements_do_not_lower_score() -> None:
    result = check(MATCHING, {0: "A", 1: "C", 2: "B", 3: "A"})
    assert result.status == "correct" and result.score == 1.0
    assert [p.correct for p in result.parts] == [True] * 4 + [False] * 3
    assert result.parts[4] == PartResult("statement", 4, False, given=None, expected="B", optional=True)
    assert part_line(result.parts[4]) == "statement 5 (optional): not answered"
    wrong_optional = check(MATCHING, {0: "A", 1: "C", 2: "B", 3: "A", 6: "A"})
    assert wrong_optional.score == 1.0


def test_matching_partial_does_not_leak_key() -> None:
    result = check(MATCHING, {0: "A", 1: "B", 2: "B", 3: "C"})
    assert result.status == "partial"
    assert result.score == 0.5
    assert summary(result).startswith("2 of 4 statements are right")
    lines = [part_line(p, MATCHING) for p in result.parts]
    assert lines[1] == "statement 2: should not be B"
    assert lines[3] == "statement 4: should not be C"
    assert all("A" not in line and "C" not in line.replace("should not be C", "") for line in lines[:3])


@pytest.mark.parametrize("answer, fragment", [
    ({}, "at least one"), ({0: "Z"}, "`Z` is not an option"), ({9: "A"}, "no statement 9"),
    ("ACB", "Match each statement"), ([None, ""], "at least one"),
])
def test_matching_invalid(answer: object, fragment: str) -> None:
    result = check(MATCHING, answer)
    assert result.status == "invalid" and fragment in result.detail


# -- multi: what deep learning is good for ------------------------------------------

PROBLEMS = [
    ("Recognising whether or not a picture contains a bird.", True, ""),
    ("Calculating the median and interquartile range of a dataset.", False,
     "A simple formula does that with far less computing."),
    ("Identifying MRI images of a rare disease when only one or two examples exist.", False,
     "Deep learning needs many examples."),
    ("Identifying people in pictures after being trained only on cats and dogs.", False, ""),
    ("Translating English into French.", True, ""),
]


def multi(partial: str) -> Question:
    return Question(id="dl-problems", kind="multi", line=70, partial=partial,
                    options=tuple(Option(text=t, correct=c, feedback=f) for t, c, f in PROBLEMS))


# Worked by hand: 5 options, correct = {A, E} (problems 1 and 5).
#   picks  t f | edc (right decisions/5)  pc max(0,(t-f)/2)  cov (t/2)*(t/picks)  none
#   A E    2 0 | 5/5 = 1                  1                  1                    1
#   A      1 0 | 4/5 = 0.8                0.5                0.5                  0
#   A B    1 1 | 3/5 = 0.6                0                  0.25                 0
#   A B E  2 1 | 4/5 = 0.8                0.5                2/3                  0
#   all    2 3 | 2/5 = 0.4                0                  0.4                  0
#   B      0 1 | 2/5 = 0.4                0                  0                    0
HAND = {
    "A, E": (1, 1, 1, 1), "A": (0.8, 0.5, 0.5, 0), "A B": (0.6, 0, 0.25, 0),
    "abe": (0.8, 0.5, 2 / 3, 0), "ABCDE": (0.4, 0, 0.4, 0), "B": (0.4, 0, 0, 0),
}


@pytest.mark.parametrize("typed", list(HAND))
def test_multi_partial_methods_by_hand(typed: str) -> None:
    for method, expected in zip(("edc", "pc", "cov", "none"), HAND[typed]):
        result = check(multi(method), typed)
        assert result.score == pytest.approx(expected), (typed, method)
        assert result.status == ("correct" if expected == 1 else "wrong" if expected == 0 else "partial")


def test_multi_answer_shapes() -> None:
    q = multi("edc")
    for answer in ("A, E", "ae", "a and e", "E;A", {"A", "E"}, ["e", "a"], (0, 4), frozenset({0, "E"})):
        assert check(q, answer).status == "correct", answer
    assert key_text(q) == "A, E"


def test_multi_parts_and_option_feedback() -> None:
    result = check(multi("edc"), "A, B")
    assert [(p.kind, p.index) for p in result.parts] == [("option", i) for i in range(5)]
    assert [p.correct for p in result.parts] == [True, False, True, True, False]
    assert [p.given for p in result.parts] == [True, True, False, False, False]
    assert [p.expected for p in result.parts] == [True, False, False, False, True]
    assert result.parts[1].feedback == PROBLEMS[1][2]
    assert part_line(result.parts[1]) == f"option B: {PROBLEMS[1][2]}"
    assert part_line(result.parts[4]) == "option E: should be picked"
    assert result.targeted == (PROBLEMS[1][2],)
    assert summary(result) == "You picked 1 of the 2 right options and 1 wrong one."


@pytest.mark.parametrize("answer", ["", "  ", "F", "1, 5", "A, Z", [], 7, None, ["AE"]])
def test_multi_invalid(answer: object) -> None:
    assert check(multi("edc"), answer).status == "invalid"


def test_multi_score_function_directly() -> None:
    assert multi_score("pc", {0, 1, 2}, {0}, 4) == 0.0
    assert multi_score("cov", {0}, {0, 1}, 4) == 0.5
    assert multi_score("edc", set(), {0}, 4) == 0.75


# -- choice ------------------------------------------------------------------------

CHOICE = Question(id="c", kind="choice", line=80, options=(
    Option("Linear"), Option("ReLU", correct=True), Option("Sigmoid", feedback="Sigmoid squashes to (0, 1).")))


def test_choice() -> None:
    for answer in ("B", "b", " b ", "(B)", 1):
        assert check(CHOICE, answer).status == "correct", answer
    wrong = check(CHOICE, "C")
    assert wrong.status == "wrong" and wrong.targeted == ("Sigmoid squashes to (0, 1).",)
    assert wrong.parts == (PartResult("option", 2, False, given=True, expected=False, feedback="Sigmoid squashes to (0, 1)."),)
    assert summary(wrong) == "C is not right."
    for bad in ("", "D", "BC", 3, -1, True, None, 1.0):
        assert check(CHOICE, bad).status == "invalid", bad
    assert key_text(CHOICE) == "B"


# -- order: the deep-learning workflow ------------------------------------------------

STEPS = ("Formulate the problem", "Identify inputs and outputs", "Prepare the data",
         "Choose a pretrained model or build a new architecture", "Choose a loss function and optimizer",
         "Train the model", "Make predictions", "Measure performance", "Refine the model", "Share the model")
ORDER = Question(id="workflow", kind="order", line=90, items=STEPS)


def test_order_correct() -> None:
    result = check(ORDER, list(range(10)))
    assert result.status == "correct" and result.score == 1.0
    assert key_text(ORDER).splitlines()[0] == "1. Formulate the problem"


def test_order_lcs_partial_credit() -> None:
    swapped = [1, 0, 2, 3, 4, 5, 6, 7, 8, 9]          # LCS 9
    assert check(ORDER, swapped).score == pytest.approx(0.8)   # PrairieLearn: (n - d)/n, d = 2
    moved = [9, 0, 1, 2, 3, 4, 5, 6, 7, 8]            # last step first: LCS 9
    result = check(ORDER, moved)
    assert result.score == pytest.approx(0.8)
    assert [p.correct for p in result.parts] == [False] + [True] * 9
    assert (result.parts[0].kind, result.parts[0].given) == ("position", 9)
    assert part_line(result.parts[0], ORDER) == "position 1: “Share the model” is out of place"
    assert summary(result) == "9 of 10 items are in the right order; 1 item out of place."
    assert check(ORDER, list(range(9, -1, -1))).score == 0.0   # reversed: LCS 1, d = 18
    assert check(ORDER, [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]).score == pytest.approx(0.2)  # LCS 6 (0 2 4 6 8 9)


@pytest.mark.parametrize("answer", [[], list(range(9)), [0] * 10, list(range(1, 11)), "0123456789", None,
                                    [True] + list(range(1, 10))])
def test_order_invalid(answer: object) -> None:
    assert check(ORDER, answer).status == "invalid"


# -- text / reflect -------------------------------------------------------------------

TEXT = Question(id="xor-name", kind="text", line=100, accepted=("XOR", "exclusive or"), pattern="^x-?or$")


def test_text() -> None:
    for typed in ("XOR", "xor", "  Exclusive   OR ", "x-or", "X-OR"):
        assert check(TEXT, typed).status == "correct", typed
    assert check(TEXT, "or").status == "wrong"
    assert check(TEXT, "").status == "invalid"
    assert check(TEXT, "x" * 201).status == "invalid"
    assert check(TEXT, 3).status == "invalid"
    assert key_text(TEXT) == "XOR"


def test_reflect() -> None:
    q = Question(id="r", kind="reflect", line=110)
    result = check(q, "Neurons are weighted sums.")
    assert (result.status, result.score, summary(result)) == ("saved", 0.0, "Saved.")
    assert check(q, " ").status == "invalid"
    assert key_text(q) == ""


def test_unknown_kind() -> None:
    assert check(Question(id="u", kind="essay", line=1), "x").status == "invalid"


# -- scoring ------------------------------------------------------------------------------


def test_question_score_rule() -> None:
    assert question_score(1.0, 0, False) == 1.0
    assert question_score(1.0, 1, False) == 0.9
    assert question_score(1.0, 2, False) == 0.8
    assert question_score(1.0, 5, False) == 0.7          # at most 30%
    assert question_score(0.5, 1, False) == 0.45
    assert question_score(1.0, 0, True) == 0.0
    assert question_score(1.7, -3, False) == 1.0          # clamped


def test_lesson_score() -> None:
    qs = [NEURON, MSE_TABLE, Question(id="r", kind="reflect", line=1),
          Question(id="opt", kind="numeric", line=1, answer=1, optional=True)]
    assert lesson_score({"neuron-output": 1.0, "mse": 0.5, "opt": 0.0}, qs) == 0.75
    assert lesson_score({"a": 1.0}, ["a", "b"]) == 0.5
    assert lesson_score({}, []) == 0.0


# -- the shipped first lesson, through the real loader ------------------------------------

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "01-introduction.md"


def test_first_lesson_keys() -> None:
    from tui_tutor.grading import draw, render, validate_question
    from tui_tutor.lesson.loader import load_lesson

    loaded = load_lesson(LESSON)
    assert loaded.errors == [] and loaded.lesson is not None
    questions = {q.id: q for q in loaded.lesson.questions()}
    for q in questions.values():
        assert validate_question(q) == [], q.id

    neuron = questions["neuron-output"]
    values = draw(neuron, 0, seed=1)
    shown = render(neuron, values)
    assert shown.answer == 1.25
    for typed in ("1.25", "5/4", "0*(-1)+0.5*(-0.5)+1*0.5+1", "max(0, 0.25+1)"):
        assert check(shown, typed, values).status == "correct"
    wrong = check(shown, "0.25", values)
    assert wrong.status == "wrong" and "bias" in wrong.targeted[0]

    mse_values = draw(questions["mse-table"], 0, seed=1)  # variant 0: the episode's numbers
    mse = render(questions["mse-table"], mse_values)
    assert check(mse, {(1, 2): "9", (2, 2): "0", (3, 2): "1", (4, 2): "3.5"}, mse_values).status == "correct"
    three = check(mse, {(1, 2): "3", (2, 2): "0", (3, 2): "1", (4, 2): "3.5"}, mse_values)
    assert three.score == 0.75 and "Square it" in three.targeted[0]

    assert check(questions["activation-matching"], dict(enumerate("ACBA"))).status == "correct"
    assert check(questions["activation-matching"], dict(enumerate("ACBABBC"))).score == 1.0
    assert check(questions["xor-table"], {(0, 2): "0", (1, 2): "1", (2, 2): "1", (3, 2): "0"}).status == "correct"
    assert check(questions["xor-logic"], "exclusive or").status == "correct"
    assert check(questions["dl-problems"], "A, E").status == "correct"
    assert check(questions["dl-problems"], "A").score == pytest.approx(0.8)
    assert check(questions["workflow-order"], list(range(10))).status == "correct"
    assert check(questions["outlier-sensitivity"], "A").status == "correct"
