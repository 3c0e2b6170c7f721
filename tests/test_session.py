"""QuestionSession, without a terminal: what is recorded, what is restored, how it scores."""

from __future__ import annotations

import sqlite3

import pytest

from tui_tutor.lesson.model import Cell, Feedback, Option, Param, Question
from tui_tutor.progress.store import ProgressStore, StoreError
from tui_tutor.session import QuestionSession, decode_answer, encode_answer

NEURON = Question(
    id="neuron", kind="numeric", line=1, prompt="relu({x1}*{w1} + {b})?",
    params=(Param("x1", choose=(0, 0.5, 1, 1.5, 2)), Param("w1", low=-1, high=1, step=0.5),
            Param("b", low=-1, high=1, step=0.5)),
    derived=(("z", "x1*w1 + b"),), first=(("x1", 1), ("w1", 0.5), ("b", 1)),
    answer="max(0, z)", hints=("Multiply first.", "Then add {b}."), solution="It is {z}.",
    feedback=(Feedback(when="abs(answer - x1*w1) < 1e-9", message="You left out the bias."),),
)
PLAIN = Question(id="plain", kind="numeric", line=1, prompt="2 + 2?", answer=4, hints=("Count.",))
TABLE = Question(
    id="mse", kind="table", line=1, columns=("Prediction", "Expected value", "Squared error"),
    rows=((Cell("2"), Cell("-1"), Cell(answer=9)), (Cell(""), Cell("MSE"), Cell(answer=3.5))),
)
CHOICE = Question(id="pick", kind="choice", line=1,
                  options=(Option("yes", correct=True), Option("no", feedback="Think again.")))
REFLECT = Question(id="why", kind="reflect", line=1, prompt="Why?")


@pytest.fixture
def store(tmp_path):
    s = ProgressStore.open(tmp_path / "progress.sqlite3")
    yield s
    s.close()


def test_first_variant_uses_the_lesson_numbers_and_plain_questions_have_no_values():
    s = QuestionSession(NEURON, "l1", "ada", None)
    assert s.variant == 0 and s.values["z"] == 1.5
    assert s.question.prompt == "relu(1*0.5 + 1)?" and s.question.answer == 1.5
    assert s.can_vary
    p = QuestionSession(PLAIN, "l1", "ada", None)
    assert p.values == {} and p.question is PLAIN and not p.can_vary
    assert p.new_variant() is PLAIN and p.variant == 0


def test_check_records_before_returning_and_state_comes_back(store, tmp_path):
    s = QuestionSession(NEURON, "l1", "ada", store)
    wrong = s.check("0.5")  # x1*w1: the bias left out
    assert wrong.status == "wrong" and wrong.targeted == ("You left out the bias.",)
    assert store.question_state("ada", "l1", "neuron").attempts == 1  # on disk already
    assert s.next_hint() == "Multiply first."
    right = s.check("3/2")
    assert right.status == "correct" and s.attempts == 2
    assert s.score == pytest.approx(0.9)  # one hint opened before the best answer: -10%
    # A second tutor (or the same learner after quitting) sees the same state.
    with ProgressStore.open(tmp_path / "progress.sqlite3") as again:
        back = QuestionSession(NEURON, "l1", "ada", again)
        assert (back.variant, back.seed, back.values) == (s.variant, s.seed, s.values)
        assert back.attempts == 2 and back.hints_shown == 1 and back.hints == ("Multiply first.",)
        assert back.last_answer == "3/2" and back.last_result.status == "correct"
        assert back.score == pytest.approx(0.9) and not back.revealed


def test_invalid_answers_are_not_attempts_and_not_stored(store):
    s = QuestionSession(PLAIN, "l1", "ada", store)
    result = s.check("1,2.5")
    assert result.status == "invalid" and "could not read" in result.message.lower()
    assert s.attempts == 0 and s.last_result is None
    assert store.question_state("ada", "l1", "plain") is None
    assert store.answers("ada") == []


def test_hints_and_reveal_are_recorded_and_reveal_first_scores_zero(store):
    s = QuestionSession(NEURON, "l1", "ada", store)
    assert s.next_hint() == "Multiply first." and s.next_hint() == "Then add 1."
    assert s.next_hint() is None and s.hints_shown == 2
    text = s.reveal()
    assert "**Answer:** 1.5" in text and "It is 1.5." in text
    state = store.question_state("ada", "l1", "neuron")
    assert state.hints_used == 2 and state.revealed
    assert s.check("1.5").status == "correct"
    assert s.score == 0.0  # revealed before answering correctly
    back = QuestionSession(NEURON, "l1", "ada", store)
    assert back.revealed and back.hints_shown == 2 and back.score == 0.0


def test_new_variant_changes_numbers_is_reproducible_and_resets_help(store):
    s = QuestionSession(NEURON, "l1", "ada", store)
    s.next_hint()
    s.reveal()
    first_values = s.values
    q = s.new_variant()
    assert s.variant == 1 and s.hints_shown == 0 and not s.revealed and s.last_result is None
    assert q is s.question and s.values != first_values
    twin = QuestionSession(NEURON, "l1", "ada", None)
    twin.new_variant()
    assert twin.values == s.values and twin.seed == s.seed  # same learner, lesson, number: same draw
    other = QuestionSession(NEURON, "l1", "bob", None)
    other.new_variant()
    assert other.seed != s.seed
    state = store.question_state("ada", "l1", "neuron")
    assert (state.variant, state.seed, state.hints_used, state.revealed) == (1, s.seed, 0, False)
    assert s.check(str(s.values["z"] if s.values["z"] > 0 else 0)).status == "correct"
    assert s.score == 1.0  # a fresh variant scores afresh
    back = QuestionSession(NEURON, "l1", "ada", store)
    assert back.variant == 1 and back.values == s.values and back.last_result.status == "correct"


def test_new_variant_without_an_answer_does_not_restore_the_old_answer(store):
    s = QuestionSession(NEURON, "l1", "ada", store)
    s.check("1")
    s.new_variant()
    back = QuestionSession(NEURON, "l1", "ada", store)
    assert back.variant == 1 and back.last_answer is None and back.last_result is None


def test_mastery_needs_correct_unaided_first_tries_on_fresh_variants(store):
    s = QuestionSession(NEURON, "l1", "ada", store, mastery_n=2)
    key = lambda: str(max(0.0, s.values["z"]))  # noqa: E731
    assert s.check(key()).status == "correct" and s.streak == 1 and not s.mastered
    s.new_variant()
    s.check(key())
    assert s.streak == 2 and s.mastered
    assert QuestionSession(NEURON, "l1", "ada", store).mastered
    mem = QuestionSession(NEURON, "l2", "ada", None, mastery_n=2)
    mem.check("1.5")
    mem.new_variant()
    mem.next_hint()  # a hint: this first try cannot count
    mem.check(str(max(0.0, mem.values["z"])))
    assert mem.streak == 0 and not mem.mastered


def test_table_answers_round_trip_through_the_store(store):
    s = QuestionSession(TABLE, "l1", "ada", store)
    result = s.check({(0, 2): "3", (1, 2): "3.5"})
    assert result.status == "partial" and [p.correct for p in result.parts] == [False, True]
    back = QuestionSession(TABLE, "l1", "ada", store)
    assert back.last_answer == {(0, 2): "3", (1, 2): "3.5"} and back.last_result.status == "partial"
    assert back.score == pytest.approx(0.5)
    assert decode_answer("table", encode_answer("table", {(1, 2): "x"})) == {(1, 2): "x"}
    assert decode_answer("multi", encode_answer("multi", {"E", "A"})) == ["A", "E"]
    assert decode_answer("table", ["garbage"]) is None


def test_reflect_is_saved_not_graded(store):
    s = QuestionSession(REFLECT, "l1", "ada", store)
    assert s.check("  ").status == "invalid"
    assert s.check("Because it learns.").status == "saved"
    assert s.score == 0.0 and not s.graded
    back = QuestionSession(REFLECT, "l1", "ada", store)
    assert back.last_answer == "Because it learns." and back.last_result.status == "saved"


class BrokenStore:
    """Every call fails as a full disk or a locked file would."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            if name == "record_hint":
                raise sqlite3.OperationalError("database is locked")
            raise StoreError("Could not save the answer: disk I/O error.")
        return fail


def test_a_failing_store_keeps_the_answer_and_says_so():
    s = QuestionSession(CHOICE, "l1", "ada", BrokenStore())  # type: ignore[arg-type]
    assert s.store_problem and "disk I/O error" in s.store_problem
    result = s.check("b")
    assert result.status == "wrong" and result.targeted == ("Think again.",)
    assert s.last_answer == "b" and s.attempts == 1 and "not saved" in s.store_problem.lower()
    assert s.check("a").status == "correct" and s.attempts == 2 and s.solved_variant
    assert s.score == 0.0  # the rule still applies in memory: both options tried, nothing earned
    s2 = QuestionSession(PLAIN, "l1", "ada", BrokenStore())  # type: ignore[arg-type]
    assert s2.next_hint() == "Count." and "locked" in s2.store_problem


def test_without_a_store_everything_works_in_memory():
    s = QuestionSession(CHOICE, "l1", "ada", None)
    assert s.store_problem is None
    assert s.check("A").status == "correct"
    assert s.attempts == 1 and s.score == 1.0 and s.mastered and s.store_problem is None


FOUR = Question(id="four", kind="choice", line=1,
                options=(Option("a"), Option("b"), Option("c", correct=True), Option("d")))


@pytest.mark.parametrize("wrong_first, score", [([], 1.0), (["a"], 2 / 3), (["a", "b"], 1 / 3), (["a", "b", "d"], 0.0)])
def test_guessing_through_a_choice_question_earns_nothing(store, wrong_first, score):
    s = QuestionSession(FOUR, "l1", "ada", store)
    for letter in wrong_first:
        assert s.check(letter).status == "wrong"
    assert s.check("c").status == "correct"
    assert s.score == pytest.approx(score)
    assert s.check("c").status == "correct" and s.score == pytest.approx(score)  # answering again adds nothing
    assert s.mastered == (score > 0)  # no variants: a correct answer that earns credit masters it
    assert QuestionSession(FOUR, "l1", "ada", store).score == pytest.approx(score)


def test_a_question_without_variants_is_mastered_when_answered_correctly_unless_the_solution_was_shown(store):
    hinted = QuestionSession(PLAIN, "l1", "ada", store)
    hinted.next_hint()
    assert hinted.check("3").status == "wrong" and not hinted.mastered
    assert hinted.check("4").status == "correct" and hinted.mastered and hinted.score == pytest.approx(0.9)
    assert QuestionSession(PLAIN, "l1", "ada", store).mastered  # the panel and the picker read the same
    shown = QuestionSession(PLAIN, "l2", "ada", store)
    shown.reveal()
    assert shown.check("4").status == "correct" and not shown.mastered and shown.score == 0.0


def test_a_saved_reflection_is_not_an_attempt(store):
    s = QuestionSession(REFLECT, "l1", "ada", store)
    assert s.check("Because it learns.").status == "saved"
    assert s.attempts == 0 and not s.mastered
    state = store.question_state("ada", "l1", "why")
    assert state.attempts == 0 and state.last_answer == "Because it learns."
    assert [a["status"] for a in store.answers("ada")] == ["saved"]  # kept in the history all the same
