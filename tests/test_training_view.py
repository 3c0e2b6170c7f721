"""The live training view, driven by keyboard in a pilot, on recorded runs.

The view only consumes training events, so these tests replay runs recorded once from real
Keras runs (tests/data/runs/*.jsonl, made by tests/data/runs/record.py) through its
`start_run` seam: no TensorFlow here. Real Keras runs are tested in tests/test_training.py
and tests/test_lesson_two.py.
"""

import re
import time
from dataclasses import replace
from pathlib import Path

from screen_text import screen_text
from tui_tutor.training.events import EpochEnd, Finished, event_from_json
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.training.view import ReplayRun, TrainView

LESSON = Path(__file__).resolve().parent / "data" / "training" / "train.md"
RUNS = Path(__file__).resolve().parent / "data" / "runs"


def _app(tmp_path: Path) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "d"))


def recorded_runs(spec, overrides, emit) -> ReplayRun:
    """The recording of this spec's run; the sine run at learning rate 1000 is the diverging one."""
    name = "sine-diverged" if spec.id == "sine" and overrides.get("learning_rate") == 1000.0 else spec.id
    return ReplayRun.from_jsonl(RUNS / f"{name}.jsonl", emit)


def _recording(name: str) -> list:
    return [event_from_json(line) for line in (RUNS / name).read_text().splitlines()]


async def _view(pilot, start_run=recorded_runs) -> TrainView:
    await pilot.pause()
    view = pilot.app.screen.query_one(TrainView)
    view.start_run = start_run
    return view


async def _wait(pilot, predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def _ended(view: TrainView, runs: int = 1):
    return lambda: len(view.runs) == runs and view.runs[-1].outcome != "running"


async def test_a_run_draws_its_loss_and_lists_it(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(pilot)
        assert app.focused is view
        await pilot.press("t")
        await _wait(pilot, _ended(view))
        record = view.runs[-1]
        assert record.outcome == "finished"
        assert len(record.history) >= 10 and record.history.last_epoch == 200
        plot = str(view.query_one(".train-plot").render())
        assert "loss" in plot and "epoch" in plot
        table = str(view.query_one(".train-runs").render())
        assert "finished" in table and f"{record.final('loss'):.4f}" in table
        recorded = _recording("xor.jsonl")[-1]
        assert isinstance(recorded, Finished)
        status = str(view.query_one(".train-status").render())
        assert f"finished in {recorded.elapsed:.1f} s" in status and f"loss {recorded.history['loss'][-1]:.4f}" in status
        assert "Learned weights of run 1" in str(view.query_one(".train-weights").render())
        # A second run with other settings: the first stays for comparison.
        await pilot.press("right", "plus", "t")  # 4 hidden units -> 6
        await _wait(pilot, _ended(view, 2))
        assert view.runs[1].settings["hidden_units"] == 6
        assert "run 1" in str(view.query_one(".train-plot").render())  # the earlier run, faint
        assert len(str(view.query_one(".train-runs").render()).splitlines()) == 3


async def test_stop_ends_the_run_at_the_last_epoch_shown(tmp_path):
    """A run still going (here: a recording whose later epochs are an hour away) stops on `x`."""
    events = _recording("xor.jsonl")
    started = next(i for i, e in enumerate(events) if isinstance(e, EpochEnd))
    slow = events[: started + 2] + [
        replace(e, elapsed=e.elapsed + 3600) if isinstance(e, (EpochEnd, Finished)) else e for e in events[started + 2:]
    ]
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(pilot, lambda spec, overrides, emit: ReplayRun(slow, emit, speed=1.0))
        await pilot.press("t")
        await _wait(pilot, lambda: view.runs and len(view.runs[-1].history) >= 2)
        assert view.running
        await pilot.press("x")
        await _wait(pilot, _ended(view))
        assert view.runs[-1].outcome == "stopped"
        assert not view.running
        last = slow[started + 1].epoch
        assert f"stopped at epoch {last}." in str(view.query_one(".train-status").render())
        assert view.runs[-1].history.last_epoch == last


async def test_a_diverging_run_is_reported_and_the_ui_lives_on(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", "n")  # the regression step
        view = await _view(pilot)
        assert view.spec.id == "sine"
        for _ in range(12):
            await pilot.press("plus")  # learning rate up to 1000
        assert view.values["learning_rate"] == 1000.0
        await pilot.press("t")
        await _wait(pilot, _ended(view))
        assert view.runs[-1].outcome == "diverged"
        status = str(view.query_one(".train-status").render())
        assert "NaN" in status or "diverged" in status
        assert "far too large" in status
        await pilot.press("p")  # the app still answers keys
        await pilot.pause()
        assert "Step 2 of 3" in screen_text(app)


def test_a_replay_emits_the_recorded_events_in_order():
    emitted = []
    final = ReplayRun.from_jsonl(RUNS / "xor.jsonl", emitted.append).run()
    assert emitted == _recording("xor.jsonl")
    assert final is emitted[-1] and isinstance(final, Finished)


async def test_every_setting_is_shown_including_bracketed_ones(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TrainView)
        for label in ("lr", "units", "act", "epochs", "batch", "seed"):
            text = str(view.query_one(".train-settings").render())
            assert f"[{label} " in text, text  # the highlighted setting, in brackets, is visible
            await pilot.press("right")
            await pilot.pause()


# -- issue 12 item 7: status, table, weights and plot at the terminal's width ------------------

LESSON_TWO = Path(__file__).resolve().parents[1] / "lessons" / "02-watch-a-network-learn.md"


def _xor_replay(spec, overrides, emit) -> ReplayRun:
    return ReplayRun.from_jsonl(RUNS / "xor.jsonl", emit)


async def test_a_stopped_run_shows_no_eta(tmp_path):
    """After `x` the bar says where the run stopped, not how long it would still take."""
    events = _recording("xor.jsonl")
    started = next(i for i, e in enumerate(events) if isinstance(e, EpochEnd))
    slow = events[: started + 2] + [
        replace(e, elapsed=e.elapsed + 3600) if isinstance(e, (EpochEnd, Finished)) else e for e in events[started + 2:]
    ]
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(pilot, lambda spec, overrides, emit: ReplayRun(slow, emit, speed=1.0))
        await pilot.press("t")
        await _wait(pilot, lambda: view.runs and len(view.runs[-1].history) >= 2)
        await pilot.press("x")
        await _wait(pilot, _ended(view))
        await pilot.pause()
        last = slow[started + 1].epoch
        status = str(view.query_one(".train-status").render())
        progress = str(view.query_one(".train-progress").render())
        assert f"Run 1 stopped at epoch {last}." in status
        assert "ETA" not in progress and "stopped" in progress, progress
        assert f"{100 * last // view.runs[-1].settings['epochs']}%" in progress
        shown = screen_text(app)
        assert "ETA" not in shown and "stopped" in shown


async def test_the_run_table_fits_80_columns(tmp_path):
    """Lesson two's XOR view (a scrollbar beside it): each run is one line, outcome included."""
    app = TutorApp(AppOptions(lesson_paths=[LESSON_TWO], open_path=LESSON_TWO, data_dir=tmp_path / "d"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        view = await _view(pilot, _xor_replay)
        view.focus()
        await pilot.pause()
        for runs in (1, 2):
            await pilot.press("t")
            await _wait(pilot, _ended(view, runs))
        await pilot.pause()
        table = str(view.query_one(".train-runs").render()).splitlines()
        width = view.content_size.width
        assert len(table) == 3, table
        assert all(len(line) <= width for line in table), (width, table)
        assert all(line.rstrip().endswith("finished") for line in table[1:]), table
        view.query_one(".train-runs").scroll_visible(animate=False)
        await pilot.pause()
        shown = screen_text(app).splitlines()
        rows = [line for line in shown if re.search(r"\s[12]\s+0\.05\s", line)]
        assert len(rows) == 2 and all("finished" in row for row in rows), rows  # not wrapped onto a line of its own
        assert not any(re.fullmatch(r"\W*finished\W*", line) for line in shown)
        assert all(len(line) <= 80 for line in screen_text(app).splitlines())


async def test_learned_weights_never_show_minus_zero(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(pilot)
        await pilot.press("t")
        await _wait(pilot, _ended(view))
        recorded = _recording("xor.jsonl")[-1]
        tiny = [b for layer in recorded.weights for b in layer["bias"] if round(b, 2) == 0]
        assert tiny, "the recording has a weight that rounds to zero"
        weights = str(view.query_one(".train-weights").render())
        assert "-0.00" not in weights and "+0.00" not in weights and "b = 0.00" in weights, weights


def _plot_lines(view: TrainView) -> list[str]:
    return str(view.query_one(".train-plot").render()).splitlines()


async def test_the_plot_is_redrawn_for_a_new_width(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(pilot)
        await pilot.press("t")
        await _wait(pilot, _ended(view))
        wide = _plot_lines(view)
        assert max(map(len, wide)) > 60
        await pilot.resize_terminal(40, 24)
        await _wait(pilot, lambda: max(map(len, _plot_lines(view))) <= view.content_size.width)
        narrow = _plot_lines(view)
        assert len(narrow) == len(wide), "as many lines as before: nothing wrapped"
        assert "epoch" in narrow[-1]
        assert all(len(line) <= 40 for line in screen_text(app).splitlines())
        await pilot.resize_terminal(80, 24)
        await _wait(pilot, lambda: max(map(len, _plot_lines(view))) > 60)
