"""Lesson 5, "Convolutional networks", as a learner meets it: played by keyboard in a pilot
at 80x24, with real training runs (in the training worker process, so this test process
never imports TensorFlow). The heavier variant is a `target: slurm` block; the playthrough
hides `sbatch` so it trains here, as it does wherever Slurm is not on the PATH (it is cheap:
about 5 seconds)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from lesson_player import assert_steps_fit, keys_for, play_to_full_score
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.lesson.model import Resources, TrainSpec, walk
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.training.confusion import ConfusionView
from tui_tutor.ui.training.images import MisclassifiedView
from tui_tutor.ui.training.view import TrainView

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "05-convolutional-networks.md"
HEAVY = "digits-cnn-big"

#: Keys that answer the questions that do not read the learner's run (first variants).
RIGHT = {
    "pixel-count": keys_for("64"),
    "image-dense-params": keys_for("650"),
    "conv-params": keys_for("80"),
    "cnn-shape": keys_for("72"),
    "confusion-reading": ["a"],
    "dropout-when": ["a"],
}
#: Questions about a run: the run value that answers them, and how it is typed.
FROM_RUN = {"cnn-test-accuracy": ("test_accuracy", "{:.2f}")}


def _app(tmp_path: Path) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "data", learner="tester"))


def test_lesson_validates_and_every_graded_question_has_an_answer_here():
    result = load_lesson(LESSON)
    assert not result.errors, [str(e) for e in result.errors]
    graded = {q.id for q in result.lesson.graded_questions()}
    assert graded == set(RIGHT) | set(FROM_RUN)
    assert "CC BY 4.0" in result.lesson.credits


def test_the_heavier_variant_asks_slurm_for_a_compute_node_and_no_question_needs_it():
    lesson = load_lesson(LESSON).lesson
    blocks = [item for step in lesson.steps for item in walk(step.items) if isinstance(item, TrainSpec)]
    assert [b.id for b in blocks] == ["digits-cnn", HEAVY]
    small, heavy = blocks
    assert small.target == "local" and heavy.target == "slurm"
    assert heavy.resources == Resources(time="00:15:00", cpus=4)
    convs = [layer for layer in heavy.layers if layer.type == "Conv2D"]
    assert len(convs) == 2 and all(c.filters > 8 for c in convs) and heavy.epochs > small.epochs
    assert heavy.split == small.split and heavy.dataset == small.dataset
    assert not [q.id for q in lesson.questions() if q.run == HEAVY]
    text = LESSON.read_text(encoding="utf-8")
    assert "40,138 parameters" in text and "about 5 seconds on two cores" in text


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
    assert not record.slurm_job  # trained on this machine, also the `target: slurm` block
    assert record.confusion and len(record.confusion) == 10
    shown = str(view.query_one(ConfusionView).render())
    assert "predicted as" in shown and ("Most confused" in shown or "No test row" in shown)
    assert max(len(line) for line in shown.splitlines()) <= view.content_size.width
    grid = str(view.query_one(MisclassifiedView).render())
    assert record.misclassified and "true " in grid and " as " in grid
    assert max(len(line) for line in grid.splitlines()) <= view.content_size.width


@pytest.fixture
def no_sbatch(monkeypatch):
    """Slurm's `sbatch` is not on the PATH (as on a laptop): a `target: slurm` block trains here."""
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None if name == "sbatch" else which(name, *args, **kwargs))


@pytest.mark.slow
async def test_whole_lesson_with_real_runs_ends_at_full_score(tmp_path, no_sbatch):
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


SLURM_BLOCK = """---
title: T
id: t
---

## S

::: train
id: x
layers:
  - {units: 2, activation: relu}
  - {units: 1, activation: sigmoid}
epochs: 5
target: slurm
:::
"""


async def _train_slurm_block(tmp_path: Path) -> tuple[str, Any]:
    """Press t on a small `target: slurm` block; (the toasts raised, joined; the run's record)."""
    lesson = tmp_path / "slurm.md"
    lesson.write_text(SLURM_BLOCK)
    app = TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=tmp_path / "d", learner="t"))
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.screen.query_one(TrainView)
        view.focus()
        await pilot.pause()
        await pilot.press("t")
        deadline = time.monotonic() + 120
        while not (view.runs and view.runs[-1].done):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        return " ".join(n.message for n in app._notifications), view.runs[-1]  # (Textual keeps toasts there)


def _sbatch_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """An `sbatch` first on PATH that runs `body` (a shell line): Slurm as a refusing site has it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(f"#!/bin/sh\n{body}\n")
    sbatch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


@pytest.mark.slow
async def test_a_slurm_block_without_sbatch_says_it_trains_here(tmp_path, no_sbatch):
    """The bigger CNN asks for a compute node; without Slurm the learner is told it trains here."""
    said, record = await _train_slurm_block(tmp_path)
    assert "sbatch is not on PATH here: training on this machine" in said
    assert record.outcome == "finished" and not record.slurm_job


@pytest.mark.slow
async def test_a_slurm_block_whose_job_is_refused_trains_here_and_says_why(tmp_path, monkeypatch):
    """sbatch is on PATH but refuses the job (Slurm not configured here, a bad partition...):
    the learner is told why and the run trains on this machine instead of failing."""
    _sbatch_on_path(tmp_path, monkeypatch,
                    "echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2; exit 1")
    said, record = await _train_slurm_block(tmp_path)
    assert "Slurm did not take this run" in said and "Invalid partition name" in said, said
    assert "training on this machine instead" in said
    assert record.outcome == "finished" and not record.slurm_job and record.history.last_epoch == 5


def test_a_convolutional_block_offers_no_hidden_units_to_change():
    """Its layers are the lesson's: the view and line mode offer lr, epochs, batch and seed only
    (the runner refuses units/act overrides for a network that is not all Dense)."""
    from tui_tutor.context import LessonContext
    from tui_tutor.line.training import TrainingWords
    from tui_tutor.training.settings import settings_for

    specs = {item.id: item for step in load_lesson(LESSON).lesson.steps for item in walk(step.items)
             if isinstance(item, TrainSpec)}
    cnn = specs["digits-cnn-big"]
    assert [s.key for s in settings_for(cnn)] == ["learning_rate", "epochs", "batch_size", "seed"]
    words = TrainingWords(cnn, LessonContext("t"), print)
    assert "units" not in words.settings_line() and "act" not in words.settings_line()
    assert "no Dense hidden layer" in words.set("units 8")[0]


@pytest.mark.slow
async def test_a_slurm_block_with_a_broken_site_config_trains_here_and_says_where(tmp_path, monkeypatch):
    site = tmp_path / "site.yaml"
    site.write_text("partition: gpu\ntime: forever\n")
    monkeypatch.setenv("TUI_TUTOR_SITE_CONFIG", str(site))
    _sbatch_on_path(tmp_path, monkeypatch, "echo 'never called: the site config is read first' >&2; exit 1")
    said, record = await _train_slurm_block(tmp_path)
    assert f"{site}:2:" in said and "training on this machine instead" in said, said
    assert record.outcome == "finished" and not record.slurm_job
