"""Runs are stored (issue 14 items 1-2, and the review): every run that ends is saved with the
learner's progress, comes back with its step and after a restart, can be compared from a later
step, and questions about a run name the run they were graded against.

Runs are replayed recordings (tests/data/runs/*.jsonl) through the view's `start_run` seam,
so no TensorFlow is loaded; the store is a real SQLite file.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

from lesson_player import focus_panel, keys_for
from screen_text import screen_text
from tui_tutor.context import RunResults
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.lesson.model import Question, TrainSpec, walk
from tui_tutor.progress.store import ProgressStore
from tui_tutor.review import review
from tui_tutor.session import QuestionSession
from tui_tutor.training.events import EpochEnd, Failed, Finished, Loaded, Started, event_from_json
from tui_tutor.training.history import RunHistory
from tui_tutor.training.records import RunRecord
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.screens.review import DrillScreen, ReviewScreen
from tui_tutor.ui.training.scatter import ScatterView
from tui_tutor.ui.training.view import ReplayRun, TrainView

RUNS = Path(__file__).resolve().parent / "data" / "runs"
LESSON_TWO = Path(__file__).resolve().parents[1] / "lessons" / "02-watch-a-network-learn.md"

RUN_LESSON = """---
title: Stored runs
id: stored-runs
---

## Train and answer

::: train
id: xor
dataset: xor
layers:
  - {units: 4, activation: relu}
  - {units: 1, activation: sigmoid}
loss: binary_crossentropy
optimizer: adam
learning_rate: 0.05
epochs: 200
batch_size: 4
seed: 3
:::

::: question
id: final-loss
kind: numeric
run: xor
prompt: What was the final loss of your run, to 4 decimals?
answer: final_loss
atol: 0.00006
rtol: 0
:::

## Somewhere else

Nothing to train here.
"""


def _events(scale: float = 1.0) -> list:
    """The recorded XOR run; `scale` multiplies every loss (another run, another final loss)."""
    events = [event_from_json(line) for line in (RUNS / "xor.jsonl").read_text().splitlines() if line.strip()]
    if scale == 1.0:
        return events
    out = []
    for event in events:
        if isinstance(event, EpochEnd):
            event = replace(event, logs={**event.logs, "loss": event.logs["loss"] * scale})
        elif isinstance(event, Finished):
            event = replace(event, history={**event.history, "loss": [v * scale for v in event.history["loss"]]})
        out.append(event)
    return out


def _replay(scale: float = 1.0):
    return lambda spec, overrides, emit: ReplayRun(_events(scale), emit)


def _final_loss(scale: float = 1.0) -> float:
    final = _events(scale)[-1]
    assert isinstance(final, Finished)
    return final.history["loss"][-1]


def _app(lesson: Path, data: Path, **options) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=data, learner="tester", **options))


def _run_lesson(tmp_path: Path) -> Path:
    path = tmp_path / "runs.md"
    path.write_text(RUN_LESSON)
    return path


async def _wait(pilot, predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def _train(pilot, view: TrainView, start_run) -> RunRecord:
    """Press t in `view` with runs from `start_run`; the record once the run has ended (and been saved)."""
    before = len(view.runs)
    view.start_run = start_run
    view.focus()
    await pilot.pause()
    await pilot.press("t")
    await _wait(pilot, lambda: len(view.runs) == before + 1 and view.runs[-1].done)
    await pilot.pause()
    return view.runs[-1]


def _plot_data(view: TrainView) -> list[tuple[int, list[int], list[float], str]]:
    return [(r.number, list(r.history.epochs), list(r.history.metrics["loss"]), r.outcome) for r in view.runs]


def _text(widget) -> str:
    return str(widget.render())


# --------------------------------------------------------------------------- the record as data


def test_a_record_round_trips_through_json_data():
    record = RunRecord(2, {"learning_rate": 0.05, "hidden_units": 2, "hidden_activation": "relu", "epochs": 500,
                           "batch_size": 4, "seed": 2}, train_id="xor-2", overrides={"seed": 2}, started=10.0)
    for event in (Loaded("r", {"tensorflow": "2.21.0", "keras": "3.15.1"}),
                  Started("r", {"seed": 2, "layers": [{"units": 2, "activation": "relu"}]}, 500),
                  EpochEnd("r", 5, {"loss": 0.7, "accuracy": 0.5}),
                  EpochEnd("r", 10, {"loss": float("nan"), "accuracy": 0.5}),
                  Failed("r", "diverged", "the loss is NaN", {})):
        record.observe(event)
    record.outcome, record.ended = "diverged", 12.5
    data = record.to_dict()
    import json

    back = RunRecord.from_dict(json.loads(json.dumps(data)), store_id=7)
    assert back.store_id == 7 and back.number == 2 and back.train_id == "xor-2" and back.run_id == "r"
    assert back.settings == record.settings and back.overrides == {"seed": 2} and back.seed == 2
    assert back.effective["layers"] == [{"units": 2, "activation": "relu"}]
    assert back.versions["keras"] == "3.15.1" and back.backend == "tensorflow"
    assert back.history.epochs == [5, 10] and math.isnan(back.history.metrics["loss"][1])
    assert back.outcome == "diverged" and back.failure == "diverged: the loss is NaN"
    assert (back.started, back.ended) == (10.0, 12.5)


def test_weights_are_kept_only_for_small_models():
    small = RunRecord(1, {})
    small.observe(Finished("r", {}, [{"kernel": [[1.0, 2.0]], "bias": [0.0, 0.5]}]))
    assert small.weights
    big = RunRecord(1, {})
    big.observe(Finished("r", {}, [{"kernel": [[0.1] * 64 for _ in range(64)], "bias": [0.0] * 64}]))
    assert big.weights == []


# --------------------------------------------------------------------------- the store


def test_runs_are_stored_and_answers_name_their_run(tmp_path):
    path = tmp_path / "progress.sqlite3"
    with ProgressStore.open(path) as store:
        first = store.record_run("tester", "l", "xor", {"number": 1, "outcome": "finished", "started": 1.0, "ended": 2.0,
                                                       "history": {"epoch": [1], "loss": [0.5]}})
        second = store.record_run("tester", "l", "xor", {"number": 2, "outcome": "stopped", "ended": 3.0})
        store.record_run("other", "l", "xor", {"number": 1, "outcome": "finished"})
        assert [r["number"] for r in store.runs("tester", "l", "xor")] == [1, 2]
        assert store.latest_run("tester", "l", "xor")["id"] == second
        assert store.latest_run("tester", None, "xor")["id"] == second
        assert store.run(first)["run"]["history"]["loss"] == [0.5] and store.run(first)["status"] == "finished"
        assert store.answer_run("tester", "l", "q") is None
        store.record_answer("tester", "l", "q", answer="0.5", status="correct", score=1.0, run_id=first)
        assert store.answer_run("tester", "l", "q") == first
        store.record_answer("tester", "l", "q", answer="0.4", status="wrong", score=0.0, run_id=second)
        assert store.answer_run("tester", "l", "q") == second
        assert [a["run_id"] for a in store.answers("tester")] == [first, second]
        assert "other" in store.learners()
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE runs SET status = 'x'")
        raise AssertionError("runs must be append-only")
    except sqlite3.DatabaseError as exc:
        assert "append-only" in str(exc)
    finally:
        conn.close()
    with ProgressStore.open(path, readonly=True) as store:  # `tui-tutor progress` reads them too
        assert len(store.runs()) == 3


def test_a_format_3_file_gets_runs_and_a_read_only_open_reads_it_as_it_is(tmp_path, monkeypatch):
    import tui_tutor.progress.store as store_mod

    path = tmp_path / "progress.sqlite3"
    saved = store_mod.MIGRATIONS
    monkeypatch.setattr(store_mod, "MIGRATIONS", saved[:3])
    with ProgressStore.open(path) as old:
        old.record_hint("tester", "l", "q", 1)
    conn = sqlite3.connect(path)  # an answer as format 3 wrote it (no run_id column)
    with conn:
        conn.execute("""INSERT INTO answers (learner, lesson, question, variant, answer, status, score, hints_used,
                            revealed, first_try, created) VALUES ('tester', 'l', 'q', 0, '"1"', 'correct', 1, 1, 0, 1, 0)""")
    conn.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", saved)
    before = path.read_bytes()
    with ProgressStore.open(path, readonly=True) as reader:  # a format-3 file as it is: no runs yet
        assert reader.runs() == [] and reader.latest_run("tester", "l", "xor") is None
        assert reader.answer_run("tester", "l", "q") is None and reader.answers()[0]["run_id"] is None
    assert path.read_bytes() == before
    with ProgressStore.open(path) as store:  # migrated: the answer kept, runs can be stored
        assert store.question_state("tester", "l", "q").hints_used == 1 and store.answers()[0]["run_id"] is None
        run_id = store.record_run("tester", "l", "xor", {"number": 1, "outcome": "finished"})
        assert store.latest_run("tester", "l", "xor")["id"] == run_id


def test_run_results_keep_runs_in_memory_without_a_store():
    runs = RunResults("tester")
    history = RunHistory()
    history.add(1, {"loss": 0.25})
    record = runs.save("l", RunRecord(1, {"seed": 1}, history, "finished", train_id="xor"))
    assert record.store_id is None and runs.runs("l", "xor") == [record] and runs.latest_run("xor", "l") is record
    assert runs.latest("xor") == {"epochs_run": 1.0, "final_loss": 0.25, "best_loss_epoch": 1.0}
    runs.save("l", record)  # saving again changes nothing
    assert runs.runs("l", "xor") == [record] and runs.runs("other", "xor") == []


def test_a_session_grades_against_the_run_it_was_answered_with(tmp_path):
    """UI-free: run 2 does not change run 1's verdict, on screen or restored; answering again does."""
    store = ProgressStore.open(tmp_path / "progress.sqlite3")
    runs = RunResults("tester", lambda: store)
    question = Question(id="q", kind="numeric", line=1, prompt="Final loss?", run="xor", answer="final_loss",
                        atol=0.00005, rtol=0.0)

    def run(number: int, loss: float) -> RunRecord:
        history = RunHistory()
        history.add(1, {"loss": loss})
        return runs.save("l", RunRecord(number, {"seed": number, "hidden_units": 2}, history, "finished", train_id="xor"))

    session = QuestionSession(question, "l", "tester", store, runs=runs.of_question(question, "l"))
    assert session.check("0.5").status == "invalid"  # no run yet: not an attempt
    first = run(1, 0.5)
    assert session.check("0.5").status == "correct"
    assert session.run_note == "Graded against run 1: seed 1, 2 units, final loss 0.5000."
    run(2, 0.6931)
    assert session.last_result.status == "correct" and "run 2" in session.run_note  # the newer run is named
    restored = QuestionSession(question, "l", "tester", store, runs=runs.of_question(question, "l"))
    assert restored.last_result.status == "correct" and restored.graded_run.store_id == first.store_id
    assert restored.run_note.startswith("Graded against run 1:")
    assert restored.check("0.5").status == "wrong"  # answering again grades against run 2
    assert restored.check("0.6931").status == "correct" and restored.run_note == (
        "Graded against run 2: seed 2, 2 units, final loss 0.6931.")
    assert [a["run_id"] for a in store.answers("tester")] == [first.store_id, first.store_id + 1, first.store_id + 1]
    store.close()


# --------------------------------------------------------------------------- in the app


async def test_runs_come_back_with_the_step_and_after_a_restart(tmp_path):
    lesson = _run_lesson(tmp_path)
    data = tmp_path / "d"
    app = _app(lesson, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        await _train(pilot, view, _replay())
        await pilot.press("right", "plus")  # 4 hidden units -> 6
        await _train(pilot, view, _replay(2.0))
        assert [r.store_id is not None for r in view.runs] == [True, True]
        shown = _plot_data(view)
        table = _text(view.query_one(".train-runs"))
        assert view.runs[-1].settings["hidden_units"] == 6
        await pilot.press("n")  # leave the step
        await pilot.pause()
        assert not app.screen.query(TrainView)
        await pilot.press("p")  # and come back
        await pilot.pause()
        back = app.screen.query_one(TrainView)
        assert back is not view
        assert _plot_data(back) == shown and _text(back.query_one(".train-runs")) == table
        assert back.values["hidden_units"] == 6  # the last run's settings
        assert "run 1" in _text(back.query_one(".train-plot"))  # the earlier run, faint
        assert "Run 2 finished" in _text(back.query_one(".train-status"))
        # A third run numbers on from the saved ones.
        record = await _train(pilot, back, _replay())
        assert record.number == 3
        shown = _plot_data(back)
    again = _app(lesson, data)  # a restart: a new app on the same store
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = again.screen.query_one(TrainView)
        assert _plot_data(view) == shown
        assert [r.number for r in view.runs] == [1, 2, 3]
        assert "Learned weights of run 3" in _text(view.query_one(".train-weights"))
        saved = view.runs[-1]
        assert saved.versions.get("tensorflow") and saved.backend == "tensorflow"
        assert saved.effective["seed"] == 3 and saved.settings["hidden_units"] == 6 and saved.started and saved.ended
    with ProgressStore.open(data / "progress.sqlite3", readonly=True) as store:
        rows = store.runs("tester", "stored-runs", "xor")
    assert [(r["number"], r["status"]) for r in rows] == [(1, "finished"), (2, "finished"), (3, "finished")]
    assert rows[1]["run"]["history"]["loss"][-1] == _final_loss(2.0)


async def test_a_run_stopped_by_leaving_the_step_is_kept(tmp_path):
    lesson = _run_lesson(tmp_path)
    slow = _events()
    started = next(i for i, e in enumerate(slow) if isinstance(e, EpochEnd))
    slow = slow[: started + 2] + [replace(e, elapsed=e.elapsed + 3600) if isinstance(e, (EpochEnd, Finished)) else e
                                  for e in slow[started + 2:]]
    app = _app(lesson, tmp_path / "d")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        view.start_run = lambda spec, overrides, emit: ReplayRun(slow, emit, speed=1.0)
        view.focus()
        await pilot.press("t")
        await _wait(pilot, lambda: view.runs and len(view.runs[-1].history) >= 2)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        back = app.screen.query_one(TrainView)
        assert [r.outcome for r in back.runs] == ["stopped"] and len(back.runs[0].history) >= 2
        assert "left the step" in back.runs[0].failure


async def test_a_later_step_compares_the_runs_of_an_earlier_one(tmp_path):
    """Lesson two: the four-neuron step shows the two-neuron runs (`compare: [xor-2]`)."""
    app = _app(LESSON_TWO, tmp_path / "d")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lesson = app.screen.lesson
        step_of = {item.id: i for i, step in enumerate(lesson.steps) for item in walk(step.items) if isinstance(item, TrainSpec)}
        await app.screen.show_step(step_of["xor-2"])
        await pilot.pause()
        two = app.screen.query_one(TrainView)
        await _train(pilot, two, _replay())
        await pilot.press("right", "right", "right", "right", "right", "plus")  # seed 1 -> 2
        await _train(pilot, two, _replay(2.0))
        await app.screen.show_step(step_of["xor-4"])
        await pilot.pause()
        four = app.screen.query_one(TrainView)
        assert four.spec.id == "xor-4" and four.runs == []
        assert [(train_id, [r.number for r in runs]) for train_id, runs in four.compare] == [("xor-2", [1, 2])]
        table = _text(four.query_one(".train-runs")).splitlines()
        assert "runs of xor-2, to compare:" in table
        rows = table[table.index("runs of xor-2, to compare:") + 1:]
        assert len(rows) == 2 and rows[1].split()[6] == "2" and rows[1].rstrip().endswith("finished")  # seed 2
        assert "xor-2 run 2" in _text(four.query_one(".train-plot"))
        # Its own run joins them; the comparison stays.
        await _train(pilot, four, _replay(0.5))
        assert "xor-2 run 2" in _text(four.query_one(".train-plot"))
        table = _text(four.query_one(".train-runs"))
        assert table.index("runs of xor-2") > table.index("finished")
        assert all(len(line) <= 80 for line in screen_text(app).splitlines())


async def _answer(pilot, panel: QuestionPanel, text: str) -> None:
    await focus_panel(pilot, panel)
    field = panel.query_one("Input")
    field.value = ""
    await pilot.press(*keys_for(text), "enter")
    await pilot.pause()


async def test_a_run_question_keeps_its_verdict_after_a_newer_run_and_names_its_run(tmp_path):
    lesson = _run_lesson(tmp_path)
    data = tmp_path / "d"
    app = _app(lesson, data)
    one, two = _final_loss(), _final_loss(2.0)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        panel = app.screen.query_one(QuestionPanel)
        first = await _train(pilot, view, _replay())
        await _answer(pilot, panel, f"{one:.4f}")
        assert panel.session.last_result.status == "correct"
        status = _text(panel.query_one(".q-status"))
        assert f"Graded against run 1: seed 3, 4 units, final loss {one:.4f}." in status
        await pilot.press("escape")
        await _train(pilot, view, _replay(2.0))  # run 2: another final loss
        assert panel.session.last_result.status == "correct"  # the verdict stands
        status = _text(panel.query_one(".q-status"))
        assert "Correct" in status and "Graded against run 1:" in status
        assert f"Your newer run 2: seed 3, 4 units, final loss {two:.4f} does not change this verdict" in status
    with ProgressStore.open(data / "progress.sqlite3", readonly=True) as store:
        assert [a["run_id"] for a in store.answers("tester")] == [first.store_id]
    again = _app(lesson, data)  # restart: the panel grades again against run 1, not the latest
    async with again.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        panel = again.screen.query_one(QuestionPanel)
        assert panel.session.last_result.status == "correct"
        assert "Graded against run 1:" in _text(panel.query_one(".q-status"))
        await _answer(pilot, panel, f"{two:.4f}")  # the learner answers again, about run 2
        assert panel.session.last_result.status == "correct"
        assert f"Graded against run 2: seed 3, 4 units, final loss {two:.4f}." in _text(panel.query_one(".q-status"))
        assert "newer" not in _text(panel.query_one(".q-status"))


async def test_the_review_grades_a_run_question_against_a_stored_run(tmp_path):
    lesson = _run_lesson(tmp_path)
    data = tmp_path / "d"
    loaded = load_lesson(lesson).lesson
    with ProgressStore.open(data / "progress.sqlite3") as store:
        assert [i.question.id for i in review([loaded], store, "tester").about_runs] == ["final-loss"]
    app = _app(lesson, data)
    async with app.run_test(size=(80, 24)) as pilot:  # no run yet: not offered, and the review says why
        await pilot.pause()
        app.show_review()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and not app.screen.items
        assert "train in the lesson first" in screen_text(app)
    app = _app(lesson, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        record = await _train(pilot, app.screen.query_one(TrainView), _replay(2.0))
    with ProgressStore.open(data / "progress.sqlite3") as store:
        found = review([loaded], store, "tester")
        assert [i.question.id for i in found.items] == ["final-loss"] and not found.about_runs
    app = _app(lesson, data, start_review=True)
    loss = _final_loss(2.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and [i.question.id for i in app.screen.items] == ["final-loss"]
        assert "train in the lesson first" not in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)
        line = _text(app.screen.query_one("#drill-run"))
        assert f"latest run of xor, run 1: seed 3, 4 units, final loss {loss:.4f}" in line
        assert "About your training" in screen_text(app) and all(len(row) <= 80 for row in screen_text(app).splitlines())
        await pilot.press(*keys_for(f"{loss:.4f}"), "enter")
        await pilot.pause()
        panel = app.screen.query_one(QuestionPanel)
        assert panel.session.last_result.status == "correct"
        assert "Graded against run 1:" in _text(panel.query_one(".q-status"))
    with ProgressStore.open(data / "progress.sqlite3", readonly=True) as store:
        assert [a["run_id"] for a in store.answers("tester")] == [record.store_id]


# --------------------------------------------------------------------------- a regression run's scatter

SINE_LESSON = """---
title: Stored scatter
id: stored-scatter
---

## Fit a curve

::: train
id: sine
dataset: noisy-sine
layers:
  - {units: 8, activation: relu}
  - {units: 1, activation: linear}
loss: mse
metrics: []
split: {test: 0.2, seed: 1}
epochs: 20
batch_size: 16
seed: 1
:::

## Somewhere else

Nothing to train here.
"""

#: [true, predicted] test rows of a made-up regression run (kept as stored: 4 decimals).
PREDICTIONS = [[round(0.1 * i - 2, 4), round(0.1 * i - 2 + (0.3 if i % 3 else -0.2), 4)] for i in range(40)]


def _sine_events() -> list:
    history = {"epoch": [10, 20], "loss": [0.4, 0.12]}
    return [Loaded("s", {"tensorflow": "2.21.0", "keras": "3.15.1"}),
            Started("s", {"dataset": "noisy-sine", "seed": 1}, 20),
            EpochEnd("s", 10, {"loss": 0.4}), EpochEnd("s", 20, {"loss": 0.12}),
            Finished("s", history, [], 0.5, test={"loss": 0.1, "rmse": 0.27}, predictions=PREDICTIONS)]


def test_a_regression_run_s_predictions_come_back_from_the_store_after_reopening(tmp_path):
    path = tmp_path / "progress.sqlite3"
    record = RunRecord(1, {"seed": 1}, train_id="sine")
    for event in _sine_events():
        record.observe(event)
    record.outcome = "finished"
    assert record.predictions == PREDICTIONS
    with ProgressStore.open(path) as store:
        RunResults("tester", lambda: store).save("l", record)
    with ProgressStore.open(path) as store:  # reopened: a restart
        back = RunResults("tester", lambda: store).latest_run("sine", "l")
    assert back is not None and back is not record and back.store_id is not None
    assert back.predictions == PREDICTIONS and back.values()["test_rmse"] == 0.27


async def test_the_scatter_of_a_regression_run_comes_back_on_a_revisit_and_after_a_restart(tmp_path):
    lesson = tmp_path / "sine.md"
    lesson.write_text(SINE_LESSON)
    assert not load_lesson(lesson).errors
    data = tmp_path / "d"
    app = _app(lesson, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        assert not view.query_one(ScatterView).display  # nothing to show before a run
        record = await _train(pilot, view, lambda spec, overrides, emit: ReplayRun(_sine_events(), emit))
        assert record.outcome == "finished" and record.store_id is not None
        drawn = _text(view.query_one(ScatterView))
        assert view.query_one(ScatterView).display and drawn.startswith("Run 1: 40 test rows, RMSE")
        await pilot.press("n")  # leave the step
        await pilot.pause()
        assert not app.screen.query(TrainView)
        await pilot.press("p")  # and come back
        await pilot.pause()
        back = app.screen.query_one(TrainView)
        assert back is not view and back.query_one(ScatterView).display
        assert _text(back.query_one(ScatterView)) == drawn
    again = _app(lesson, data)  # a restart: a new app on the same store
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = again.screen.query_one(TrainView)
        assert [r.number for r in view.runs] == [1] and view.runs[0].predictions == PREDICTIONS
        scatter = view.query_one(ScatterView)
        assert scatter.display and _text(scatter) == drawn
        assert max(len(line) for line in drawn.splitlines()) <= view.content_size.width
