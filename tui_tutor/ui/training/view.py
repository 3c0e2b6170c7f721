"""The live training view: a real Keras run, drawn as it learns.

The view only ever sees training events (plain data posted from the worker thread); it
never holds a Keras object, so the same view could follow a run in another process or a
batch job. Where runs come from is its `start_run` (a `StartRun`): by default `keras_runs`,
Keras in this process; `ReplayRun` plays back events recorded as JSON lines (what a worker
process or a batch job writes). The plot is redrawn by a timer at most twice a second, and
only when new data arrived; the timer is paused while no run is going, so an idle view
costs nothing.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.training.events import (
    EpochEnd, Event, Failed, Finished, Loaded, Loading, Started, Stopped, event_from_json,
)
from tui_tutor.training.history import RunHistory
from tui_tutor.ui.progress_line import ProgressLine
from tui_tutor.ui.training.settings import SETTINGS, initial_values, overrides, show, step_value

#: Redraws per second while training. Each redraw of plot, status and progress is ~2.4 KB at
#: 80x24: 4/s measured 6-10 KB/s over a pty, 2/s 3.4-4.3 KB/s (benchmarks/training.py).
REDRAW_HZ = 2
PLOT_HEIGHT = 10


class Run(Protocol):
    """One training run as the view drives it."""

    def run(self) -> Event | None:
        """Emit the run's events, blocking (the view calls it in a worker thread); the last event."""

    def stop(self) -> None:
        """Ask the run to end soon with `Stopped`; called from any thread, more than once."""


#: Makes a run, not yet going: (the lesson's spec, the learner's overrides, where events go).
StartRun = Callable[[TrainSpec, dict[str, Any], Callable[[Event], None]], Run]


def keras_runs(*, threads: int = 2, max_seconds: float | None = 600) -> StartRun:
    """Real runs: Keras in this process, loaded on the first run (seconds, ~0.5 GB)."""

    def start(spec: TrainSpec, overrides: dict[str, Any], emit: Callable[[Event], None]) -> Run:
        from tui_tutor.training.runner import TrainingRun

        return TrainingRun(spec, emit, overrides=overrides, threads=threads, max_seconds=max_seconds)

    return start


class ReplayRun:
    """A recorded run played back: the events a real run emitted, e.g. read from JSON lines.

    `speed` None plays them as fast as they are taken; otherwise each `EpochEnd` and the
    final event wait for their recorded `elapsed` time divided by `speed` (1.0: as recorded).
    `stop` ends the replay at once with a `Stopped` event at the last epoch played, as a real
    run would. The settings of the replayed run are those recorded, whatever the overrides.
    """

    def __init__(self, events: Iterable[Event], emit: Callable[[Event], None], *, speed: float | None = None) -> None:
        self.events = list(events)
        self.emit = emit
        self.speed = speed
        self.history = RunHistory()
        self.result: Event | None = None
        self._stop = threading.Event()

    @classmethod
    def from_jsonl(cls, path: Path, emit: Callable[[Event], None], *, speed: float | None = None) -> ReplayRun:
        """Events as `tui_tutor.training.events` writes them: one JSON object a line."""
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return cls((event_from_json(line) for line in lines if line.strip()), emit, speed=speed)

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> Event | None:
        start = time.monotonic()
        for event in self.events:
            due = getattr(event, "elapsed", None)
            if self.speed and isinstance(due, (int, float)):
                self._stop.wait(max(0.0, start + due / self.speed - time.monotonic()))
            if self._stop.is_set():
                run_id = getattr(event, "run_id", "replay")
                self.result = Stopped(run_id, self.history.last_epoch, self.history.to_dict())
                self.emit(self.result)
                return self.result
            self.history.observe(event)
            self.result = event
            self.emit(event)
        return self.result


@dataclass
class RunRecord:
    """What the view keeps of a run: its settings and numbers, never the model."""

    number: int
    settings: dict[str, Any]
    history: RunHistory = field(default_factory=RunHistory)
    outcome: str = "running"
    weights: list[dict[str, list[Any]]] = field(default_factory=list)

    def final(self, metric: str) -> float:
        try:
            return self.history.final(metric)
        except (KeyError, ValueError):
            return math.nan

    def best(self, metric: str) -> float:
        try:
            return self.history.best(metric)
        except (KeyError, ValueError):
            return math.nan


class TrainView(Vertical, can_focus=True):
    HELP_TITLE = "Training view"
    BINDINGS = [
        Binding("t", "train", "Train"),
        Binding("x", "stop", "Stop"),
        Binding("left", "select(-1)", "Prev setting", show=False),
        Binding("right", "select(1)", "Next setting", show=False),
        Binding("minus", "change(-1)", "Less", key_display="-"),
        Binding("plus,equals_sign", "change(1)", "More", key_display="+"),
        Binding("c", "clear_runs", "Clear runs", show=False),
    ]

    class TrainEvent(Message):
        """A training event, posted from the worker thread (post_message is thread-safe)."""

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    class RunEnded(Message):
        """A run finished, stopped or failed: lets the lesson grade questions about it."""

        def __init__(self, view: TrainView, record: RunRecord) -> None:
            super().__init__()
            self.view, self.record = view, record

    def __init__(self, spec: TrainSpec, *, threads: int = 2, max_seconds: float | None = 600,
                 start_run: StartRun | None = None) -> None:
        super().__init__(classes="train-view")
        self.spec = spec
        self.threads = threads
        self.max_seconds = max_seconds
        #: Where runs come from; read when `t` is pressed, so it may be replaced after mounting.
        self.start_run: StartRun = start_run or keras_runs(threads=threads, max_seconds=max_seconds)
        self.values = initial_values(spec)
        self.selected = 0
        self.runs: list[RunRecord] = []
        self._run: Run | None = None  # the run in progress (owned by the worker thread)
        self.last_run: Run | None = None  # kept for its counters (batches after stop); holds no model
        self._dirty = False
        self._timer: Timer | None = None
        self._started_at = 0.0
        self._planned_epochs = spec.epochs
        self._plot_width = 0  # the width the plot on screen was drawn for
        self.border_title = f"Training: {spec.id}"

    def compose(self) -> ComposeResult:
        yield Static("", classes="train-settings", markup=False)  # "[act relu]" is text, not markup
        yield Static("Press t to train.", classes="train-status")
        yield ProgressLine(classes="train-progress")
        yield Static("", classes="train-plot")
        yield Static("", classes="train-runs")
        yield Static("", classes="train-weights")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / REDRAW_HZ, self._flush, pause=True)
        self._show_settings()
        self._draw_plot()

    def on_unmount(self) -> None:
        self.stop_run()

    def on_resize(self) -> None:
        """A plot drawn for the old width would be cut or wrapped: draw it again for this one."""
        if self._plot_width != self._width_for_plot():
            self._draw_plot()

    # -- settings ------------------------------------------------------------------
    def _show_settings(self) -> None:
        parts = []
        for index, setting in enumerate(SETTINGS):
            text = f"{setting.label} {show(self.values[setting.key])}"
            parts.append(f"[{text}]" if index == self.selected else f" {text} ")
        keys = "left/right choose, -/+ change, t train, x stop"
        self.query_one(".train-settings", Static).update(" ".join(parts) + "\n" + keys)

    def action_select(self, direction: int) -> None:
        self.selected = (self.selected + direction) % len(SETTINGS)
        self._show_settings()

    def action_change(self, direction: int) -> None:
        setting = SETTINGS[self.selected]
        self.values[setting.key] = step_value(setting, self.values[setting.key], direction)
        self._show_settings()

    # -- running -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._run is not None

    def action_train(self) -> None:
        """Start a run with the current settings; a run in progress is stopped first."""
        self.stop_run()
        record = RunRecord(number=len(self.runs) + 1, settings=dict(self.values))
        self.runs.append(record)
        self._planned_epochs = int(self.values["epochs"])
        self._started_at = time.monotonic()
        self._show_progress(0)
        self._set_status("Starting...")
        if self._timer is not None:
            self._timer.resume()
        self._start_worker(record)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def _start_worker(self, record: RunRecord) -> None:
        def emit(event: Event) -> None:
            self.post_message(self.TrainEvent(event))

        run = self.start_run(self.spec, overrides(self.spec, record.settings), emit)
        self._run = self.last_run = run
        # The training thread holds the GIL in long stretches; a shorter switch interval lets
        # the UI thread answer keys promptly during a run (p95 key latency ~70 -> ~45 ms).
        switch = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        try:
            run.run()
        finally:
            sys.setswitchinterval(switch)
            if self._run is run:
                self._run = None

    def stop_run(self) -> None:
        run = self._run
        if run is not None:
            run.stop()

    def action_stop(self) -> None:
        if self.running:
            self.stop_run()
            self._set_status("Stopping after this batch...")
        else:
            self.notify("No run is going. Press t to train.")

    def action_clear_runs(self) -> None:
        if self.running:
            return
        self.runs = self.runs[-1:]
        self._draw_plot()
        self._show_runs()

    # -- events from the worker --------------------------------------------------------
    def on_train_view_train_event(self, message: TrainView.TrainEvent) -> None:
        message.stop()
        event = message.event
        record = self.runs[-1] if self.runs else None
        if record is None:
            return
        if isinstance(event, Loading):
            self._set_status("Loading TensorFlow (3-6 s the first time)...")
        elif isinstance(event, Loaded):
            self._set_status(f"TensorFlow {event.versions.get('tensorflow', '?')} ready.")
        elif isinstance(event, Started):
            record.history.observe(event)
            self._planned_epochs = int(event.epochs or self._planned_epochs)
            self._started_at = time.monotonic()
            self._show_progress(0)
            self._set_status(f"Training run {record.number}...")
        elif isinstance(event, EpochEnd):
            record.history.observe(event)
            self._dirty = True
        elif isinstance(event, (Finished, Stopped, Failed)):
            record.history.observe(event)
            self._end(record, event)

    def _end(self, record: RunRecord, event: Finished | Stopped | Failed) -> None:
        if self._timer is not None:
            self._timer.pause()
        self._dirty = True
        self._flush()
        if isinstance(event, Finished):
            record.outcome = "finished"
            record.weights = list(event.weights)
            self._set_status(f"Run {record.number} finished in {event.elapsed:.1f} s: {self._numbers(record)}")
            self._show_progress(self._planned_epochs, done=True)
        elif isinstance(event, Stopped):
            record.outcome = "stopped"
            numbers = self._numbers(record)
            self._set_status(f"Run {record.number} stopped at epoch {event.epoch}." + (f" {numbers}" if numbers else ""))
            self._show_progress(event.epoch, done=True, note="stopped")
        else:
            record.outcome = {"diverged": "diverged", "import": "no TensorFlow", "timeout": "time cap"}.get(event.kind, "failed")
            lead = {"diverged": "diverged", "timeout": "reached the time cap"}.get(event.kind, "could not run")
            self._set_status(f"Run {record.number} {lead}: {event.message}")
            self._show_progress(record.history.last_epoch, done=True, note=record.outcome)
        self._show_runs()
        self._show_weights(record)
        self.post_message(self.RunEnded(self, record))

    # -- drawing -------------------------------------------------------------------------
    def _set_status(self, text: str) -> None:
        self.query_one(".train-status", Static).update(text)

    def _show_progress(self, epoch: int, done: bool = False, note: str = "") -> None:
        """The bar and its tail: `41%, ETA 4 s` while running; a run that ended early says how
        (`41%, stopped`), never an ETA."""
        total = max(1, self._planned_epochs)
        elapsed = time.monotonic() - self._started_at
        if note:
            tail = f", {note}"
        elif done or epoch <= 0:
            tail = ""
        else:
            tail = f", ETA {max(0.0, elapsed * (total - epoch) / epoch):.0f} s"
        self.query_one(".train-progress", ProgressLine).set(epoch, total, f"{100 * min(epoch, total) // total}%{tail}")

    def _numbers(self, record: RunRecord) -> str:
        parts = []
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            value = record.final(name)
            if not math.isnan(value):
                parts.append(f"{name} {value:.4f}")
        return ", ".join(parts)

    def _flush(self) -> None:
        """Timer tick: redraw only when new epochs arrived since the last tick."""
        if not self._dirty or not self.runs:
            return
        self._dirty = False
        record = self.runs[-1]
        epoch = record.history.last_epoch
        self._show_progress(epoch)
        if record.outcome == "running":
            self._set_status(f"Run {record.number}, epoch {epoch}/{self._planned_epochs}: {self._numbers(record)}")
        self._draw_plot()

    def _draw_plot(self) -> None:
        from tui_tutor.training.lossplot import Curve, render_loss_plot

        curves = []
        for record in self.runs[-4:-1]:  # up to three earlier runs, faint
            if record.history:
                curves.append(Curve(f"run {record.number}", tuple(record.history.epochs),
                                    tuple(record.history.metrics.get("loss", [])), faint=True))
        if self.runs and self.runs[-1].history:
            history = self.runs[-1].history
            curves.append(Curve("loss", tuple(history.epochs), tuple(history.metrics.get("loss", []))))
            if "val_loss" in history.metrics:
                curves.append(Curve("val_loss", tuple(history.epochs), tuple(history.metrics["val_loss"]), validation=True))
        width = self._plot_width = self._width_for_plot()
        ascii_mode = bool(getattr(self.app, "ascii_mode", False))
        color = not ascii_mode and not getattr(self.app, "no_color", False)
        text = render_loss_plot(curves, width, PLOT_HEIGHT, ascii=ascii_mode, color=color, max_epoch=self._planned_epochs)
        from rich.text import Text

        self.query_one(".train-plot", Static).update(Text.from_ansi(text, no_wrap=True) if color else Text(text, no_wrap=True))

    def _width_for_plot(self) -> int:
        """The plot's width: the view's, less a column (72 before the first layout)."""
        return max(20, (self.content_size.width or 73) - 1)

    def _show_weights(self, record: RunRecord) -> None:
        """Small networks show what they learned, to compare with weights set by hand."""
        weights = record.weights
        count = sum(len(layer.get("bias", [])) + sum(len(row) for row in layer.get("kernel", [])) for layer in weights)
        if not weights or count > 40:
            self.query_one(".train-weights", Static).update("")
            return
        lines = [f"Learned weights of run {record.number} (w: one weight per input):"]
        for number, layer in enumerate(weights, start=1):
            kernel, bias = layer.get("kernel", []), layer.get("bias", [])
            for unit, b in enumerate(bias):
                w = ", ".join(_weight(row[unit]) for row in kernel)
                lines.append(f"  layer {number} unit {unit + 1}: w = ({w})  b = {_weight(b)}")
        self.query_one(".train-weights", Static).update("\n".join(lines))

    def _show_runs(self) -> None:
        """The last five runs, a line each: 71 columns with an 8-letter outcome, within the 72
        the view has in an 80-column terminal; a narrower view cuts lines (training.tcss)."""
        if not self.runs:
            return
        lines = [f"{'run':>3} {'lr':>6} {'units':>5} {'act':<7} {'epochs':>6} {'batch':>5} {'seed':>4} "
                 f"{'loss':>6} {'best val @ep':>12} result"]
        for record in self.runs[-5:]:
            s = record.settings
            best_val = record.best("val_loss")
            best_at = "-" if math.isnan(best_val) else f"{_loss(best_val)} @{record.history.best_epoch('val_loss')}"
            lines.append(
                f"{record.number:>3} {show(s['learning_rate']):>6} {s['hidden_units']:>5} {s['hidden_activation']:<7} "
                f"{s['epochs']:>6} {s['batch_size']:>5} {s['seed']:>4} {_loss(record.final('loss')):>6} "
                f"{best_at:>12} {record.outcome}"
            )
        self.query_one(".train-runs", Static).update("\n".join(lines))


def _loss(value: float) -> str:
    """A loss in at most 7 characters: 0.3470, 123.46, 1.2e+12; `-` when there is none."""
    if math.isnan(value):
        return "-"
    if abs(value) < 10:
        return f"{value:.4f}"
    if abs(value) < 1000:
        return f"{value:.2f}"
    return f"{value:.1e}"


def _weight(value: float) -> str:
    """A learned weight to 2 decimals with its sign; one that rounds to zero is 0.00, not -0.00."""
    return "0.00" if round(value, 2) == 0 else f"{value:+.2f}"
