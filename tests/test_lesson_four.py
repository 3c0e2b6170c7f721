"""Lesson 4, "Monitor the training", as a learner meets it: played by keyboard in a pilot at
80x24, with its real training runs (in the training worker process, so this test process
never imports TensorFlow)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from lesson_player import assert_steps_fit, keys_for, play_to_full_score
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.training.scatter import ScatterView
from tui_tutor.ui.training.view import TrainView

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "04-monitor-the-training.md"

#: Keys that answer the questions that do not read the learner's run.
RIGHT = {
    "rmse-by-hand": keys_for("sqrt(14/3)"),
    "overfit-sign": ["a"],
    "why-validation": ["a"],
}
#: Questions about a run: the formula over its run values that answers them, and how it is typed.
FROM_RUN = {
    "best-val-epoch": (lambda v: v["best_val_epoch"], "{:.0f}"),
    "big-vs-baseline": (lambda v: v["test_rmse"] - v["baseline_rmse"], "{:.2f}"),
    "early-epochs": (lambda v: v["epochs_run"], "{:.0f}"),
    "early-vs-baseline": (lambda v: v["test_rmse"], "{:.2f}"),
    "dropout-rmse": (lambda v: v["test_rmse"], "{:.2f}"),
}


def _app(tmp_path: Path) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "data", learner="tester"))


def test_lesson_validates_and_every_graded_question_has_an_answer_here():
    result = load_lesson(LESSON)
    assert not result.errors, [str(e) for e in result.errors]
    lesson = result.lesson
    assert lesson is not None
    assert {q.id for q in lesson.graded_questions()} == set(RIGHT) | set(FROM_RUN)
    assert "CC BY 4.0" in lesson.credits and "NOAA" in lesson.credits and "vega_datasets" in lesson.credits


def test_train_blocks_carry_early_stopping_and_dropout_to_the_worker():
    from tui_tutor.lesson.model import TrainSpec, walk

    lesson = load_lesson(LESSON).lesson
    assert lesson is not None
    specs = {item.id: item for step in lesson.steps for item in walk(step.items) if isinstance(item, TrainSpec)}
    assert set(specs) == {"weather-big", "weather-early", "weather-dropout"}
    assert specs["weather-early"].patience == 10 and specs["weather-big"].patience is None
    again = TrainSpec.from_dict(specs["weather-early"].to_dict())
    assert again.patience == 10 and again == dataclasses.replace(specs["weather-early"], compare=())
    assert [layer.type for layer in specs["weather-dropout"].layers].count("Dropout") == 3


def test_early_stopping_needs_a_validation_split():
    from tui_tutor.lesson.loader import parse_lesson

    text = LESSON.read_text(encoding="utf-8").replace("validation_split: 0.25\n", "", 1)
    text = text.replace("epochs: 200\nbatch_size: 32\nseed: 1\n:::", "epochs: 200\nbatch_size: 32\nseed: 1\n"
                        "early_stopping: {patience: 5}\n:::", 1)
    result = parse_lesson(text, LESSON)
    assert any("early_stopping" in str(e) and "validation_split" in str(e) for e in result.errors)


def _keys(question, records) -> list[str]:
    """The keys that answer `question` (before Enter), from the learner's runs where it asks about one."""
    if question.id in FROM_RUN:
        formula, form = FROM_RUN[question.id]
        return keys_for(form.format(formula(records[question.run].values())))
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
    assert record.predictions and "rmse" in record.test and "baseline_rmse" in record.test
    shown = str(view.query_one(ScatterView).render())
    assert "predicted = true" in shown
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
