"""Lesson 3, "Classify penguins", as a learner meets it: played by keyboard in a pilot at
80x24, with both real training runs (in the training worker process, so this test process
never imports TensorFlow)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lesson_player import assert_steps_fit, keys_for, play_to_full_score
from tui_tutor.context import RunResults
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.session import QuestionSession
from tui_tutor.training.history import RunHistory
from tui_tutor.training.records import RunRecord
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.training.confusion import ConfusionView
from tui_tutor.ui.training.view import TrainView

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "03-classify-penguins.md"

#: Keys that answer the questions that do not read the learner's run (first variants).
RIGHT = {
    "majority-share": keys_for("0.44"),
    "chinstrap-features": ["a"],
    "rows-after-cleaning": keys_for("342"),
    "one-hot-gentoo": ["a"],
    "standardize-value": keys_for("(5800-4200)/800"),
    "scale-from-training": ["a"],
    "penguin-params": keys_for("83"),
    "why-standardize": ["a"],
    "read-matrix": ["a"],
}
#: Questions about a run: the run value that answers them, and how it is typed.
FROM_RUN = {"raw-test-accuracy": ("test_accuracy", "{:.2f}"), "std-test-accuracy": ("test_accuracy", "{:.2f}"),
            "test-errors": ("test_errors", "{:.0f}"), "chinstraps-as-adelies": ("cm_chinstrap_adelie", "{:.0f}"),
            "largest-mistake": ("cm_largest_error", "{:.0f}")}


def _app(tmp_path: Path) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "data", learner="tester"))


def test_lesson_validates_and_every_graded_question_has_an_answer_here():
    result = load_lesson(LESSON)
    assert not result.errors, [str(e) for e in result.errors]
    graded = {q.id for q in result.lesson.graded_questions()}
    assert graded == set(RIGHT) | set(FROM_RUN)
    assert "CC BY 4.0" in result.lesson.credits


#: Made-up confusion matrices of the standardized run (rows: true Adelie, Chinstrap, Gentoo;
#: columns: predicted). SEED_2 is what the lesson's run gives with seed 2.
SEED_2 = [[29, 1, 0], [3, 11, 0], [0, 0, 25]]
TURNED = [[27, 3, 0], [1, 13, 0], [0, 1, 24]]  # 3 Adelies as Chinstraps, 1 Chinstrap as Adelie
NO_MISTAKE = [[30, 0, 0], [0, 14, 0], [0, 0, 25]]


def _sessions():
    """Sessions for the questions about the standardized run's matrix, graded against the
    runs saved by `save(matrix)` (in memory, as the app keeps them without a store)."""
    lesson = load_lesson(LESSON).lesson
    runs = RunResults("tester")
    questions = {q.id: q for q in lesson.questions() if q.id in ("test-errors", "chinstraps-as-adelies", "largest-mistake")}
    assert all(q.run == "penguins" for q in questions.values())
    sessions = {qid: QuestionSession(q, lesson.id, "tester", None, runs=runs.of_question(q, lesson.id))
                for qid, q in questions.items()}
    numbers = iter(range(1, 100))

    def save(matrix: list[list[int]]) -> RunRecord:
        history = RunHistory()
        history.add(100, {"loss": 0.05, "accuracy": 0.97})
        record = RunRecord(next(numbers), {"seed": 2}, history, "finished", train_id="penguins",
                           confusion=matrix, classes=["Adelie", "Chinstrap", "Gentoo"],
                           test={"loss": 0.1, "accuracy": sum(matrix[i][i] for i in range(3)) / 69})
        return runs.save(lesson.id, record)

    return sessions, save


def test_the_matrix_questions_are_graded_against_the_learner_s_own_matrix():
    sessions, save = _sessions()
    cell, largest, errors = sessions["chinstraps-as-adelies"], sessions["largest-mistake"], sessions["test-errors"]
    assert cell.check("3").status == "invalid"  # no run yet: train first
    save(SEED_2)
    assert cell.check("3").status == "correct" and largest.check("3").status == "correct"
    assert errors.check("4").status == "correct"
    turned = cell.check("1")  # the transposed cell: Adelies labelled Chinstrap
    assert turned.status == "wrong" and any("other way round" in m for m in turned.targeted), turned.targeted
    total = cell.check("4")
    assert total.status == "wrong" and any("every mistake" in m for m in total.targeted), total.targeted
    bracket = cell.check("11")
    assert bracket.status == "wrong" and any("in brackets" in m for m in bracket.targeted), bracket.targeted
    summed = largest.check("4")
    assert summed.status == "wrong" and any("total of all the mistakes" in m for m in summed.targeted)
    assert any("brackets" in m for m in largest.check("25").targeted)
    assert any("right answers" in m for m in errors.check("65").targeted)

    save(TURNED)  # another matrix: the right answer for the first is wrong now
    assert cell.check("3").status == "wrong" and cell.check("1").status == "correct"
    assert errors.check("4").status == "wrong" and errors.check("5").status == "correct"
    assert largest.check("3").status == "correct"
    save(NO_MISTAKE)
    assert largest.check("3").status == "wrong" and largest.check("0").status == "correct"
    assert cell.check("1").status == "wrong" and cell.check("0").status == "correct"


def test_the_lesson_s_seed_2_numbers_are_the_matrix_the_test_uses():
    """The prose and solutions quote the seed-2 matrix (tests/test_penguins.py trains it for real)."""
    text = LESSON.read_text(encoding="utf-8")
    assert "3 Chinstraps for Adelies and 1 Adelie for a\nChinstrap" in text
    values = RunRecord(1, {}, confusion=SEED_2, classes=["Adelie", "Chinstrap", "Gentoo"]).values()
    assert (values["cm_chinstrap_adelie"], values["cm_adelie_chinstrap"], values["cm_largest_error"]) == (3, 1, 3)
    assert values["test_errors"] == 4 and values["test_rows"] == 69


def _keys(question, records) -> list[str]:
    """The keys that answer `question` (before Enter), from the learner's runs where it asks about one."""
    if question.id in FROM_RUN:
        name, form = FROM_RUN[question.id]
        return keys_for(form.format(records[question.run].values()[name]))
    return RIGHT[question.id]


async def _train(pilot, view: TrainView) -> None:
    await pilot.press("escape")
    view.focus()
    await pilot.press("t")
    deadline = time.monotonic() + 240
    while not (view.runs and view.runs[-1].outcome != "running"):
        assert time.monotonic() < deadline, "the run did not end in time"
        await pilot.pause(0.1)
    await pilot.pause()
    record = view.runs[-1]
    assert record.outcome == "finished", record.failure
    assert record.confusion and len(record.confusion) == 3
    shown = str(view.query_one(ConfusionView).render())
    assert "predicted as" in shown and ("Most confused" in shown or "No test row" in shown)
    assert max(len(line) for line in shown.splitlines()) <= view.content_size.width


@pytest.mark.slow
async def test_whole_lesson_with_real_runs_ends_at_full_score(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        answered = await play_to_full_score(pilot, _keys, _train)
        assert set(answered) == set(RIGHT) | set(FROM_RUN)


@pytest.mark.slow
async def test_every_step_fits_80_columns(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await assert_steps_fit(pilot)
