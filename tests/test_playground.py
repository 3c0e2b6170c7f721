"""The terminal Playground: its numpy core (maps, flat units, boundaries) and its widget."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical

from tui_tutor.lesson.model import LayerSpec, TrainSpec
from tui_tutor.lesson.widget_options import PLAYGROUND_PRESETS, check_options, playground_options
from tui_tutor.neural import playground as pg
from tui_tutor.training import datasets
from tui_tutor.ui.widgets.interactive import CSS_FILE, make_widget
from tui_tutor.ui.widgets.interactive.playground import Playground

XOR_X, XOR_Y = datasets.load("xor")


# -- the numpy core ------------------------------------------------------------------
def test_presets_are_the_ones_the_options_name():
    assert set(pg.PRESETS) == set(PLAYGROUND_PRESETS)


def test_hand_made_network_gives_the_episode_table():
    h, y = pg.XOR_HAND.forward(XOR_X)
    assert h.tolist() == [[0, 0], [1, 0], [1, 0], [2, 1]]
    assert y[:, 0].tolist() == [0, 1, 1, 0]


def test_a_dead_units_map_is_flat_and_a_live_ones_is_not():
    plane = pg.plane_around(XOR_X, 22, 9)
    maps = pg.compute_maps(pg.STUCK_RUN, plane)
    assert maps.flat_units() == (True, True)  # unit 1 constant 0.36, unit 2 dead
    assert float(maps.units[1].max()) == 0.0  # dead: 0 everywhere on the plane shown
    assert maps.units[0] == pytest.approx(0.36)
    assert pg.is_flat(maps.output)
    live = pg.compute_maps(pg.XOR_HAND, plane)
    assert live.flat_units() == (False, False) and not pg.is_flat(live.output)


def test_a_solving_runs_boundary_separates_the_four_xor_points():
    for net in (pg.SOLVED_RUN, pg.XOR_HAND):
        assert pg.separates(net, XOR_X, XOR_Y)
        maps = pg.compute_maps(net, pg.plane_around(XOR_X, 22, 9))
        for (a, b), label in zip(XOR_X, XOR_Y[:, 0]):
            row, col = maps.plane.cell(float(a), float(b))
            assert (maps.output[row, col] >= 0.5) == (label == 1)
    assert not pg.separates(pg.STUCK_RUN, XOR_X, XOR_Y)


def test_network_from_keras_weights_checks_shapes():
    weights = [{"kernel": [[1, 1], [1, 1]], "bias": [0, -1]}, {"kernel": [[1], [-2]], "bias": [0]}]
    net = pg.network_from_weights(weights, ["relu", "relu"])
    assert net == pg.XOR_HAND
    with pytest.raises(ValueError):
        pg.network_from_weights(weights, ["relu"])
    with pytest.raises(ValueError):
        pg.network_from_weights([{"kernel": [[1, 1, 1]], "bias": [0, 0, 0]}, weights[1]], ["relu", "relu"])
    with pytest.raises(ValueError):
        pg.network_from_weights(weights, ["relu", "softmax"])


def test_output_levels_put_the_boundary_at_one_half():
    ramp = pg.ASCII_RAMP
    row = pg.output_levels(np.array([[0.0, 0.2, 0.49, 0.5, 0.8, 1.0]]), ramp)[0]
    half = len(ramp) // 2
    assert all(ramp.index(c) < half for c in row[:3]) and all(ramp.index(c) >= half for c in row[3:])


def test_plane_cells_and_centres_agree():
    plane = pg.Plane((-0.5, 1.5), (-0.5, 1.5), 20, 10)
    centres = plane.centres().reshape(10, 20, 2)
    for r in (0, 4, 9):
        for c in (0, 7, 19):
            assert plane.cell(*centres[r, c]) == (r, c)
    assert plane.cell(5, 5) is None


# -- options -------------------------------------------------------------------------
def test_playground_options_are_checked():
    assert check_options("playground", {"preset": "stuck-run", "run": "xor-2"}) == []
    good = {"layers": [{"kernel": [[1, 1], [1, 1]], "bias": [0, -1], "activation": "relu"},
                       {"kernel": [[1], [-2]], "bias": [0], "activation": "sigmoid"}]}
    options, errors = playground_options(good)
    assert errors == [] and len(options.layers) == 2
    assert check_options("playground", {"preset": "nope"})
    assert check_options("playground", {"dataset": "noisy-sine"})  # one input: no plane
    assert check_options("playground", {"layers": [{"kernel": [[1]], "bias": [0]}]})
    assert check_options("playground", {"layers": [{"kernel": [[1, 1], [1, 1]], "bias": [0, 0]}]})  # 2 outputs


# -- the widget ----------------------------------------------------------------------
class Host(App):
    CSS_PATH = [CSS_FILE]

    def __init__(self, options: dict, *, ascii_mode: bool = False, extra=None):
        super().__init__()
        self.options, self.ascii_mode, self.extra = options, ascii_mode, extra

    def compose(self) -> ComposeResult:
        with Vertical():
            yield make_widget("playground", self.options)
            if self.extra is not None:
                yield self.extra


def _text(app: App) -> str:
    return app.query_one(Playground).render().plain


async def test_stuck_preset_labels_its_flat_units():
    app = Host({"preset": "stuck-run"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = _text(app)
        assert "h1 flat" in text and "h2 dead" in text
        assert "2 of 4 points on their own side" in text


async def test_ascii_mode_draws_only_ascii():
    app = Host({"preset": "solved-run"}, ascii_mode=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert _text(app).isascii()
        assert "4 of 4 points" in _text(app)


async def test_probe_reads_the_hidden_units():
    app = Host({"preset": "xor-hand"})
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(Playground).focus()
        await pilot.pause()
        before = _text(app).splitlines()[-1]
        await pilot.press("right", "right", "up")
        after = _text(app).splitlines()[-1]
        assert before != after and "h1 = " in after and "output = " in after


def _fake_view(units: int):
    """A stand-in for TrainView: the Playground reads `spec` and finished `runs` from it."""
    from textual.widgets import Static

    from tui_tutor.ui.training.view import RunRecord, TrainView

    class FakeView(Static):
        RunEnded = TrainView.RunEnded

    view = FakeView("")
    view.spec = TrainSpec(id="xor-2", line=1, layers=(LayerSpec(units, "relu"), LayerSpec(1, "sigmoid")))
    view.runs = []
    weights = [{"kernel": [[-3.3, 3.53], [3.3, -3.53]], "bias": [0.0, 0.0]}, {"kernel": [[4.32], [4.09]], "bias": [-6.57]}]
    record = RunRecord(number=1, settings={"hidden_activation": "relu", "seed": 1}, outcome="finished", weights=weights)
    return view, record


async def test_a_finished_run_on_the_step_replaces_the_lesson_network(monkeypatch):
    from tui_tutor.ui.widgets.interactive import playground as module

    view, record = _fake_view(2)
    app = Host({"preset": "stuck-run", "run": "xor-2"}, extra=view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(Playground)
        monkeypatch.setattr(widget, "_train_view_class", type(view))
        assert "stuck" in _text(app)
        view.post_message(view.RunEnded(view, record))  # as TrainView posts it; it bubbles to the screen
        for _ in range(20):
            await pilot.pause()
            if widget.showing_run:
                break
        assert widget.showing_run and "your run 1 (seed 1, relu)" in _text(app)
        assert "4 of 4 points" in _text(app)
        widget.focus()
        await pilot.press("s")
        assert "stuck" in _text(app)
    assert module.Playground is Playground


async def test_runs_of_another_train_block_are_ignored(monkeypatch):
    view, record = _fake_view(2)
    app = Host({"preset": "stuck-run", "run": "other"}, extra=view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(Playground)
        monkeypatch.setattr(widget, "_train_view_class", type(view))
        view.post_message(view.RunEnded(view, record))
        await pilot.pause()
        await pilot.pause()
        assert not widget.showing_run


async def test_the_playground_follows_a_run_while_it_trains():
    """A replayed run of a small model: the maps change with its logged epochs, before RunEnded."""
    from dataclasses import replace
    from pathlib import Path

    from tui_tutor.lesson.loader import load_lesson
    from tui_tutor.training.events import EpochEnd, event_from_json
    from tui_tutor.ui.training.view import ReplayRun, TrainView

    root = Path(__file__).resolve().parent
    events = [event_from_json(line) for line in (root / "data" / "runs" / "xor2-seed2.jsonl").read_text().splitlines()]
    assert all(e.weights for e in events if isinstance(e, EpochEnd))  # a small model: every logged epoch
    lesson = load_lesson(root.parent / "lessons" / "02-watch-a-network-learn.md").lesson
    spec = next(item for step in lesson.steps for item in step.items if isinstance(item, TrainSpec) and item.id == "xor-2")
    # evenly spaced over 2 s: several redraws of the view (at most 2 a second) see new weights
    events = [replace(e, elapsed=0.04 * e.epoch / 10) if isinstance(e, EpochEnd) else e for e in events]
    view = TrainView(spec, start_run=lambda spec, overrides, emit: ReplayRun(events, emit, speed=1.0))
    view.values["seed"] = 2  # as the learner set it (the replay has seed 2 whatever the settings)
    app = Host({"preset": "xor-hand", "run": "xor-2"}, extra=view)
    ended = []
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        widget = app.query_one(Playground)
        app.screen.message_signal.subscribe(widget, lambda m: ended.append(m) if isinstance(m, TrainView.RunEnded) else None)
        view.action_train()
        seen: list[tuple[str, bytes]] = []
        while not ended:
            await pilot.pause(0.05)
            if widget.showing_run and not ended:
                shown = (widget.title, widget.maps().output.tobytes())
                if not seen or seen[-1] != shown:
                    seen.append(shown)
        assert len(seen) >= 2, seen  # at least two different networks drawn during the run
        assert all("your run 1 (seed 2, relu), epoch " in title for title, _ in seen)
        assert len({output for _, output in seen}) >= 2  # the maps themselves changed
        for _ in range(20):
            await pilot.pause()
            if "epoch" not in widget.title:
                break
        assert widget.title == "your run 1 (seed 2, relu)"  # the finished run's learned weights
        assert "h2 dead" in _text(app)
