"""Snapshots of six screens at 80x24, in UTF-8 and in ASCII: what a learner's terminal shows.

Each test drives the app by keyboard (pytest-textual-snapshot's `snap_compare`) and compares
an SVG of the screen with the one accepted under tests/__snapshots__/test_snapshots/. A
change to how a screen looks fails here until a person has looked at it and accepted it:

    .venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update    # then review the SVGs

Everything shown is fixed: the learner's name (variants are drawn from it), a fresh data
folder per test, a replayed training run (tests/data/runs/), and no clock time on screen.
In ASCII mode the screenshot goes through the table the ASCII driver writes with
(`tui_tutor.asciify.to_ascii`), so it is what a terminal that is not UTF-8 receives.

`snap_compare` runs the app itself: the tests are plain `def`, and every `run_before` starts
with `await pilot.pause()` (the first screen is mounted by then).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from lesson_player import focus_panel, keys_for
from tui_tutor.asciify import to_ascii
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.progress.paths import db_path
from tui_tutor.progress.store import ProgressStore
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.training.view import ReplayRun, TrainView

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
LESSONS = ROOT / "lessons"
LESSON_ONE = LESSONS / "01-introduction.md"
SAMPLE = TESTS / "data" / "sample" / "sample.md"
TRAINING = TESTS / "data" / "training" / "train.md"
RUNS = TESTS / "data" / "runs"
LEARNER = "snapshot-learner"
SIZE = (80, 24)
NEURON_QUESTION = "neuron-output"

modes = pytest.mark.parametrize("ascii_mode", [False, True], ids=["utf8", "ascii"])


class AsciiTerminalApp(TutorApp):
    """The tutor as a terminal that is not UTF-8 receives it: each glyph mapped as AsciiDriver maps it."""

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        return to_ascii(super().export_screenshot(title=title, simplify=simplify))


def _app(tmp_path: Path, ascii_mode: bool, **options) -> TutorApp:
    app_class = AsciiTerminalApp if ascii_mode else TutorApp
    return app_class(AppOptions(data_dir=tmp_path / "data", learner=LEARNER, ascii_mode=ascii_mode, **options))


def _lesson(path: Path, **options) -> dict:
    return dict(lesson_paths=[path], open_path=path, **options)


@modes
def test_prose_step(snap_compare, tmp_path, ascii_mode):
    """Step 1 of the sample lesson: prose, a list, a table and a callout."""

    async def run_before(pilot) -> None:
        await pilot.pause()

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(SAMPLE)), terminal_size=SIZE, run_before=run_before)


@modes
def test_question_with_feedback_on_a_wrong_answer(snap_compare, tmp_path, ascii_mode):
    """The neuron exercise of lesson 1 after the weighted sum alone (0.25) was checked."""
    steps = load_lesson(LESSON_ONE).lesson.steps
    target = next(i for i, step in enumerate(steps) if any(q.id == NEURON_QUESTION for q in step.questions()))

    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("l")  # the step list, at step 1
        await pilot.pause()
        await pilot.press(*["down"] * target, "enter")
        await pilot.pause()
        panel = next(p for p in pilot.app.screen.query(QuestionPanel) if p.session.base.id == NEURON_QUESTION)
        await focus_panel(pilot, panel)
        await pilot.press(*keys_for("0.25"), "enter")
        await pilot.pause()
        assert panel.session.last_result.status == "wrong"

    app = _app(tmp_path, ascii_mode, **_lesson(LESSON_ONE))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@modes
def test_training_view_after_a_run(snap_compare, tmp_path, ascii_mode):
    """The XOR run of the training sample, replayed from its recording, finished: plot, table, weights."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        view = pilot.app.screen.query_one(TrainView)
        view.start_run = lambda spec, overrides, emit: ReplayRun.from_jsonl(RUNS / "xor.jsonl", emit)
        await pilot.press("t")
        deadline = time.monotonic() + 30
        while not (view.runs and view.runs[-1].outcome != "running"):
            assert time.monotonic() < deadline, "the replayed run did not end"
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(TRAINING)), terminal_size=SIZE, run_before=run_before)


@modes
def test_lesson_picker(snap_compare, tmp_path, ascii_mode):
    """The bundled lessons, one question of lesson 1 answered right."""
    lesson = load_lesson(LESSON_ONE).lesson
    with ProgressStore.open(db_path(tmp_path / "data")) as store:
        store.record_answer(LEARNER, lesson.id, NEURON_QUESTION, answer="5/4", status="correct", score=1.0)

    async def run_before(pilot) -> None:
        await pilot.pause()

    assert snap_compare(_app(tmp_path, ascii_mode, lesson_paths=[LESSONS]), terminal_size=SIZE, run_before=run_before)


@modes
def test_help_screen(snap_compare, tmp_path, ascii_mode):
    """`?` on a lesson step: every key of that screen."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(SAMPLE)), terminal_size=SIZE, run_before=run_before)


@modes
def test_review_screen(snap_compare, tmp_path, ascii_mode):
    """`tui-tutor review` after one wrong answer in lesson 1: that question first, then the unmet ones."""
    lesson = load_lesson(LESSON_ONE).lesson
    with ProgressStore.open(db_path(tmp_path / "data")) as store:
        store.record_answer(LEARNER, lesson.id, NEURON_QUESTION, answer="0.25", status="wrong", score=0.0)

    async def run_before(pilot) -> None:
        await pilot.pause()

    app = _app(tmp_path, ascii_mode, lesson_paths=[LESSON_ONE], start_review=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


PLAYGROUND_LESSON = """---
title: Playground
---

## A stuck run

::: interactive
widget: playground
preset: stuck-run
:::
"""


@modes
def test_playground_shows_a_stuck_run(snap_compare, tmp_path, ascii_mode):
    """The Playground widget with lesson 2's stuck run: the output map, one flat and one dead unit."""
    path = tmp_path / "playground.md"
    path.write_text(PLAYGROUND_LESSON, encoding="utf-8")

    async def run_before(pilot) -> None:
        await pilot.pause()
        from tui_tutor.ui.widgets.interactive.playground import Playground

        pilot.app.screen.query_one(Playground).focus()
        await pilot.pause()
        await pilot.press("right", "right", "up")  # the probe moves off the data point
        await pilot.pause()

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(path)), terminal_size=SIZE, run_before=run_before)


PENGUIN_LESSON = """---
title: Penguins
---

## Read the confusion matrix

::: train
id: penguins
dataset: penguins
drop_missing: true
one_hot: true
standardize: true
split: {test: 0.2, stratify: true, seed: 2}
layers:
  - {units: 10, activation: relu}
  - {units: 3, activation: softmax}
loss: categorical_crossentropy
learning_rate: 0.001
epochs: 100
batch_size: 32
seed: 2
:::
"""


def _replayed_run_before(events: Callable[[], list]) -> Callable[[Any], Awaitable[None]]:
    """A `run_before` that trains the step's `train` block on a replay of `events()` (no
    TensorFlow), waits for the run to end, and scrolls the step to its end."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        view = pilot.app.screen.query_one(TrainView)
        view.start_run = lambda spec, overrides, emit: ReplayRun(events(), emit)
        await pilot.press("t")
        deadline = time.monotonic() + 30
        while not (view.runs and view.runs[-1].outcome != "running"):
            assert time.monotonic() < deadline, "the replayed run did not end"
            await pilot.pause(0.05)
        await pilot.pause()
        pilot.app.screen.query_one("#step-body").scroll_end(animate=False)
        await pilot.pause()

    return run_before


def _penguin_events() -> list:
    """A finished penguin run, fixed numbers (those of seed 2 rounded): no TensorFlow needed."""
    from tui_tutor.training.events import EpochEnd, Finished, Loaded, Loading, Started

    run = "penguins-1-snap"
    losses = [1.05 * 0.955 ** epoch for epoch in range(0, 100, 2)]
    events: list = [Loading(run), Loaded(run, {"tensorflow": "2.21.0"}, 2.0),
                    Started(run, {"dataset": "penguins", "epochs": 100, "seed": 2}, 100)]
    for index, loss in enumerate(losses):
        events.append(EpochEnd(run, 2 * (index + 1), {"loss": loss, "accuracy": min(0.99, 0.4 + index / 50)}, index * 0.02))
    history = {"epoch": [2 * (i + 1) for i in range(len(losses))], "loss": losses}
    events.append(Finished(run, history, [], 1.0, {"loss": 0.111, "accuracy": 65 / 69},
                           [[29, 1, 0], [3, 11, 0], [0, 0, 25]], ["Adelie", "Chinstrap", "Gentoo"]))
    return events


@modes
def test_confusion_matrix_after_a_penguin_run(snap_compare, tmp_path, ascii_mode):
    """A finished penguin run, scrolled to its confusion matrix: counts, [diagonal], share right per class."""
    path = tmp_path / "penguins.md"
    path.write_text(PENGUIN_LESSON, encoding="utf-8")

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(path)), terminal_size=SIZE,
                        run_before=_replayed_run_before(_penguin_events))


WEATHER_LESSON = """---
title: Weather
---

## Predicted against true

::: train
id: weather
dataset: weather
standardize: true
split: {test: 0.2, seed: 1}
validation_split: 0.25
layers:
  - {units: 10, activation: relu}
  - {units: 1, activation: linear}
loss: mse
metrics: []
learning_rate: 0.001
epochs: 100
batch_size: 32
seed: 1
:::
"""


def _weather_events() -> list:
    """A finished weather run with fixed, made-up numbers: no TensorFlow needed."""
    from tui_tutor.training.events import EpochEnd, Finished, Loaded, Loading, Started

    run = "weather-1-snap"
    events: list = [Loading(run), Loaded(run, {"tensorflow": "2.21.0"}, 2.0),
                    Started(run, {"dataset": "weather", "epochs": 100, "seed": 1}, 100)]
    losses = [60 * 0.9 ** epoch + 7 for epoch in range(0, 100, 2)]
    val = [55 * 0.9 ** epoch + 7.5 for epoch in range(0, 100, 2)]
    for index, (loss, val_loss) in enumerate(zip(losses, val, strict=True)):
        events.append(EpochEnd(run, 2 * (index + 1), {"loss": loss, "val_loss": val_loss}, index * 0.02))
    history = {"epoch": [2 * (i + 1) for i in range(len(losses))], "loss": losses, "val_loss": val}
    pairs = []
    for i in range(120):
        true = 3 + 30 * ((i * 0.6180339887) % 1.0)
        pairs.append([round(true, 2), round(true + ((i * 7) % 11 - 5) * 0.6, 2)])
    events.append(Finished(run, history, [], 1.0, {"loss": 9.0, "rmse": 3.0, "baseline_rmse": 2.89},
                           predictions=pairs))
    return events


@modes
def test_scatter_of_predicted_against_true_after_a_weather_run(snap_compare, tmp_path, ascii_mode):
    """A finished regression run, scrolled to its predicted-against-true plot with the diagonal."""
    path = tmp_path / "weather.md"
    path.write_text(WEATHER_LESSON, encoding="utf-8")

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(path)), terminal_size=SIZE,
                        run_before=_replayed_run_before(_weather_events))


DIGITS_LESSON = """---
title: Digits
---

## The digits it got wrong

::: train
id: digits-cnn
dataset: digits
one_hot: true
split: {test: 0.2, stratify: true, seed: 1}
layers:
  - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
  - {type: MaxPooling2D, pool_size: 2}
  - {type: Flatten}
  - {units: 10, activation: softmax}
loss: categorical_crossentropy
optimizer: adam
learning_rate: 0.01
epochs: 10
batch_size: 32
validation_split: 0.2
seed: 1
:::
"""


def _digits_events() -> list:
    """A finished digits run with fixed, made-up numbers and real test rows: no TensorFlow needed."""
    from tui_tutor.training.events import EpochEnd, Finished, Loaded, Loading, Started

    run = "digits-1-snap"
    events: list = [Loading(run), Loaded(run, {"tensorflow": "2.21.0"}, 2.0),
                    Started(run, {"dataset": "digits", "epochs": 10, "seed": 1}, 10)]
    losses = [2.3 * 0.7 ** epoch for epoch in range(10)]
    for epoch, loss in enumerate(losses, 1):
        events.append(EpochEnd(run, epoch, {"loss": loss, "accuracy": 1 - loss / 3}, epoch * 0.05))
    history = {"epoch": list(range(1, 11)), "loss": losses, "accuracy": [1 - x / 3 for x in losses]}
    confusion = [[36 if i == j else 0 for j in range(10)] for i in range(10)]
    confusion[8][1], confusion[8][8] = 2, 34
    confusion[9][5], confusion[9][9] = 1, 35
    wrong = [[13, 3, 8], [25, 5, 9], [38, 8, 1], [50, 9, 5]]
    events.append(Finished(run, history, [], 0.7, {"loss": 0.15, "accuracy": 0.96}, confusion,
                           [str(d) for d in range(10)], misclassified=wrong))
    return events


@modes
def test_misclassified_digits_after_a_cnn_run(snap_compare, tmp_path, ascii_mode):
    """A finished digits run, scrolled to the grid of test images it got wrong (shaded characters)."""
    path = tmp_path / "digits.md"
    path.write_text(DIGITS_LESSON, encoding="utf-8")

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(path)), terminal_size=SIZE,
                        run_before=_replayed_run_before(_digits_events))


SWEEP_LESSON = """---
title: Sweeps
id: sweeps
---

## Count over seeds

::: train
id: xor-sweep
dataset: xor
layers:
  - {units: 2, activation: relu}
  - {units: 1, activation: sigmoid}
learning_rate: 0.05
epochs: 500
sweep: {seeds: 30, solved_loss: 0.1}
:::
"""
#: Final losses of lesson 2's real 30-seed sweep (2 ReLU units), rounded: 7 of 30 solved.
SWEEP_LOSSES = {1: 0.001, 2: 0.693, 3: 0.477, 4: 0.693, 5: 0.347, 6: 0.001, 7: 0.002, 8: 0.693, 9: 0.478,
                10: 0.002, 11: 0.478, 12: 0.693, 13: 0.477, 14: 0.693, 15: 0.002, 16: 0.693, 17: 0.693,
                18: 0.347, 19: 0.693, 20: 0.002, 21: 0.477, 22: 0.693, 23: 0.347, 24: 0.002, 25: 0.477,
                26: 0.693, 27: 0.347, 28: 0.477, 29: 0.693, 30: 0.477}


@modes
def test_seed_sweep_coming_back_to_a_finished_sweep(snap_compare, tmp_path, ascii_mode):
    """A stored 30-seed sweep shown again: status, the loss histogram, the seed grid (solved or not)."""
    from tui_tutor.training.events import Finished
    from tui_tutor.training.records import RunRecord
    from tui_tutor.training.sweep import SweepTally

    path = tmp_path / "sweeps.md"
    path.write_text(SWEEP_LESSON, encoding="utf-8")
    tally = SweepTally(list(range(1, 31)), 0.1)
    for seed, loss in SWEEP_LOSSES.items():
        tally.observe(seed, Finished("r", {"epoch": [500], "loss": [loss]}))
    record = RunRecord(1, {"learning_rate": 0.05, "hidden_units": 2, "hidden_activation": "relu", "epochs": 500,
                           "batch_size": 4, "seed": 1}, train_id="xor-sweep", outcome="finished", sweep=tally)
    (tmp_path / "data").mkdir()
    with ProgressStore.open(db_path(tmp_path / "data")) as store:
        store.record_run(LEARNER, "sweeps", "xor-sweep", record.to_dict())

    async def run_before(pilot) -> None:
        await pilot.pause()
        pilot.app.screen.query_one("#step-body").scroll_end(animate=False)
        await pilot.pause()

    assert snap_compare(_app(tmp_path, ascii_mode, **_lesson(path)), terminal_size=SIZE, run_before=run_before)
