"""The live training view: a real Keras run, drawn as it learns.

The view only ever sees training events (plain data posted from the worker thread); it
never holds a Keras object, so the same view could follow a run in another process or a
batch job. Where runs come from is its `start_run` (a `StartRun`, tui_tutor.training.sources): by default `worker_runs`,
Keras in this process; `ReplayRun` plays back events recorded as JSON lines (what a worker
process or a batch job writes). The plot is redrawn by a timer at most twice a second, and
only when new data arrived; the timer is paused while no run is going, so an idle view
costs nothing. The same tick posts `WeightsChanged` when a small model's run reported new
weights, so a Playground on the step draws the network as it learns.
"""

from __future__ import annotations

import math
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.training.events import EpochEnd, Event, Failed, Finished, Loaded, Loading, Started, Stopped
from tui_tutor.training.sources import ReplayRun, Run, StartRun, default_runs, keras_runs  # noqa: F401  (re-exported)
from tui_tutor.training.records import RunRecord as RunRecord  # moved to the core; still importable from here
from tui_tutor.ui.progress_line import ProgressLine
from tui_tutor.ui.training.settings_line import SettingsLine
from tui_tutor.ui.training.confusion import ConfusionView
from tui_tutor.ui.training.scatter import ScatterView
from tui_tutor.ui.training.images import MisclassifiedView
from tui_tutor.training.settings import initial_values, overrides, settings_for, show

if TYPE_CHECKING:
    from tui_tutor.ui.training.sweep_view import SweepView

#: Redraws per second while training. Each redraw of plot, status and progress is ~2.4 KB at
#: 80x24: 4/s measured 6-10 KB/s over a pty, 2/s 3.4-4.3 KB/s (benchmarks/training.py).
REDRAW_HZ = 2
PLOT_HEIGHT = 10


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
        Binding("S", "train_slurm", "Train on Slurm", show=False),
    ]

    class TrainEvent(Message):
        """A training event, posted from the worker thread (post_message is thread-safe)."""

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    class RunEnded(Message):
        """A run (or a seed sweep) finished, stopped or failed: lets the lesson grade questions about it."""

        def __init__(self, view: TrainView | SweepView, record: RunRecord) -> None:
            super().__init__()
            self.view, self.record = view, record

    class WeightsChanged(Message):
        """A small model's run reported new weights (logged epochs carry them); posted at most
        `REDRAW_HZ` times a second, by the redraw timer, so a Playground can follow the run."""

        def __init__(self, view: TrainView, record: RunRecord, weights: list[dict[str, list[Any]]], epoch: int) -> None:
            super().__init__()
            self.view, self.record, self.weights, self.epoch = view, record, weights, epoch

    def __init__(self, spec: TrainSpec, *, threads: int = 2, max_seconds: float | None = 600,
                 start_run: StartRun | None = None, saved_runs: Sequence[RunRecord] = (),
                 compare: Sequence[tuple[str, Sequence[RunRecord]]] = (),
                 persist: Callable[[RunRecord], object] | None = None) -> None:
        super().__init__(classes="train-view")
        self.spec = spec
        self.threads = threads
        self.max_seconds = max_seconds
        #: Where runs come from; read when `t` is pressed, so it may be replaced after mounting.
        self.start_run: StartRun = start_run or default_runs(threads=threads, max_seconds=max_seconds)
        #: `S` (or `target: slurm` with the default source): the next run is a Slurm batch job.
        #: `S` was pressed: the next run is a Slurm batch job.
        self._slurm_next = False
        #: The source this view was made with: a `target: slurm` block goes to Slurm only while
        #: it is still the one in use (a test or a caller that sets its own source keeps it).
        self._default_start = self.start_run if start_run is None else None
        self.values = initial_values(spec)
        #: This block's runs, oldest first: those saved earlier (restored), then this visit's.
        self.runs: list[RunRecord] = list(saved_runs)
        #: Runs of earlier `train` blocks of the lesson to compare with (`compare:`), by id.
        self.compare: list[tuple[str, list[RunRecord]]] = [(train_id, list(runs)) for train_id, runs in compare]
        #: Called with every run as it ends (finishes, stops or fails): it is saved there.
        self.persist = persist
        if self.runs:  # coming back: the settings of the last run, ready to change and train again
            self.values.update({k: v for k, v in self.runs[-1].settings.items() if k in self.values})
        self._run: Run | None = None  # the run in progress (owned by the worker thread)
        self._stopped_by_learner = False  # x (or leaving) during the run: no fallback run after it
        self._site_problem = ""  # the site config's first problem, when it could not be read
        self.last_run: Run | None = None  # kept for its counters (batches after stop); holds no model
        self._dirty = False
        self._new_weights: tuple[int, list[dict[str, list[Any]]]] | None = None  # (epoch, weights) not yet posted
        self._timer: Timer | None = None
        self._started_at = 0.0
        self._planned_epochs = int(self.values["epochs"])
        self._plot_width = 0  # the width the plot on screen was drawn for
        self.border_title = f"Training: {spec.id}"

    def compose(self) -> ComposeResult:
        yield SettingsLine(settings_for(self.spec), self.values, "left/right choose, -/+ change, t train, x stop")
        yield Static("Press t to train.", classes="train-status")
        yield ProgressLine(classes="train-progress")
        yield Static("", classes="train-plot")
        yield Static("", classes="train-runs")
        yield Static("", classes="train-weights")
        yield ConfusionView()
        yield ScatterView()
        yield MisclassifiedView()

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / REDRAW_HZ, self._flush, pause=True)
        self._draw_plot()
        if self.runs:
            last = self.runs[-1]
            self._show_runs()
            self._show_weights(last)
            self.query_one(ConfusionView).show_run(last)
            self.query_one(ScatterView).show_run(last)
            self.query_one(MisclassifiedView).show_run(last)
            numbers = self._numbers(last)
            self._set_status(f"Run {last.number} {last.outcome}" + (f": {numbers}" if numbers else ".")
                             + " Press t to train again.")
            self._show_progress(last.history.last_epoch, done=True, note="" if last.outcome == "finished" else last.outcome)
        elif self.compare:
            self._show_runs()
        self._reattach()

    def _reattach(self) -> None:
        """A Slurm job of this block submitted earlier whose run is not stored yet (the tutor
        quit, or the connection dropped, while it ran): show it again and follow it to its end."""
        if self.running or shutil.which("sbatch") is None:
            return
        try:
            from tui_tutor.slurm.job import load_site_config, runs_folder, unstored_jobs

            folder = runs_folder(load_site_config())
            jobs = unstored_jobs(folder, self.spec.id, {r.run_id for r in self.runs if r.run_id})
        except Exception:  # noqa: BLE001 - a broken site config or runs folder must not break the view
            return
        if not jobs:
            return
        for older in jobs[:-1]:  # ended while no tutor followed them: store what their files say
            self._store_ended_job(older)
        job = jobs[-1]
        record = self._record_for_job(job)
        number = record.number
        self.runs.append(record)
        epochs = record.settings.get("epochs", self._planned_epochs)
        self._planned_epochs = int(epochs) if isinstance(epochs, (int, float)) else self._planned_epochs
        self._started_at = time.monotonic()
        self._set_status(f"Re-attaching to Slurm job {job.job_id} (run {number}, submitted earlier)...")
        if self._timer is not None:
            self._timer.resume()
        self._start_worker(record, job)

    def _record_for_job(self, job: Any) -> RunRecord:
        """A run record for a job submitted earlier, from what its `tutor.json` kept."""
        info = job.extra
        settings = info.get("settings")
        number = info.get("number")
        taken = {r.number for r in self.runs}
        if not isinstance(number, int) or number in taken:
            number = max(taken, default=0) + 1
        started = info.get("started")
        values = dict(settings) if isinstance(settings, dict) else dict(self.values)
        return RunRecord(number=number, settings=values, train_id=self.spec.id, run_id=job.run_id,
                         overrides=overrides(self.spec, values),
                         started=float(started) if isinstance(started, (int, float)) else time.time(),
                         slurm_job=job.job_id or "")

    def _store_ended_job(self, job: Any) -> None:
        """An older unstored job whose events file ends with its final event: keep it as it ended
        (a job still going is left for a later visit, once the newest is followed)."""
        from tui_tutor.slurm.follow import EventFollower

        follower = EventFollower(job.events_file)
        events = follower.poll()
        if follower.final is None:
            return
        record = self._record_for_job(job)
        for event in events:
            record.observe(event)
        final = follower.final
        record.outcome = ("finished" if isinstance(final, Finished) else "stopped" if isinstance(final, Stopped)
                          else "failed")
        record.ended = time.time()
        self.runs.append(record)
        self._show_runs()
        if claim_job_store(job.folder):
            self._save(record)

    def on_unmount(self) -> None:
        record = self.runs[-1] if self.runs else None
        run = self._run
        detach = getattr(run, "detach", None)
        if callable(detach):
            # A Slurm job outlives the view (and the tutor): stop following it, leave it running;
            # the next visit of this step re-attaches and stores its result.
            detach()
            return
        self.stop_run()
        if self.running and record is not None and not record.done:
            # Leaving the step mid-run: the run's own Stopped event will find no view, so the
            # run is kept now, as stopped at the last epoch shown.
            record.outcome, record.failure, record.ended = "stopped", "stopped: the learner left the step", time.time()
            self._save(record)

    def _save(self, record: RunRecord) -> None:
        save_run(self, self.persist, record, "run")

    def on_resize(self) -> None:
        """A plot drawn for the old width would be cut or wrapped: draw it again for this one."""
        if self._plot_width != self._width_for_plot():
            self._draw_plot()

    # -- settings ------------------------------------------------------------------
    def action_select(self, direction: int) -> None:
        self.query_one(SettingsLine).select(direction)

    def action_change(self, direction: int) -> None:
        self.query_one(SettingsLine).change(direction)

    # -- running -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._run is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "train_slurm":
            return shutil.which("sbatch") is not None  # shown only where Slurm is
        return True

    def action_train_slurm(self) -> None:
        """Send a run with the current settings to Slurm as a batch job, and follow it here."""
        if shutil.which("sbatch") is None:
            self._set_status("Slurm's sbatch is not on PATH here: press t to train on this machine.")
            return
        self._slurm_next = True
        self.action_train()

    def _target_slurm(self) -> bool:
        """A `target: slurm` block with the view's own source, where sbatch is found now (a
        module loaded after the step opened counts)."""
        return (self.spec.target == "slurm" and self.start_run is self._default_start
                and shutil.which("sbatch") is not None)

    def _slurm_source(self, record: RunRecord, attach: Any = None) -> StartRun | None:
        from tui_tutor.slurm.follow import SlurmRun, slurm_runs
        from tui_tutor.slurm.job import Job, SlurmError, load_site_config, remember_run

        try:
            site = load_site_config()
        except SlurmError as exc:
            self._site_problem = str(exc).splitlines()[0]
            self.app.call_from_thread(self._set_status, f"Slurm site config: {self._site_problem}")
            return None

        def status(text: str) -> None:
            self.app.call_from_thread(self._set_status, text)

        def remember(job: Job) -> None:
            record.slurm_job = job.job_id or ""
            record.run_id = job.run_id  # the run folder's name: the key that stores it once
            remember_run(job, self.spec.id, record.number, record.settings, record.started)

        if isinstance(attach, Job):
            job = attach

            def reattach(spec: TrainSpec, _overrides: dict[str, Any], emit: Callable[[Event], None]) -> Run:
                return SlurmRun.attach(job, spec, emit, site=site, on_status=status)

            return reattach
        return slurm_runs(site=site, on_status=status, on_job=remember)

    def action_train(self) -> None:
        """Start a run with the current settings; a run in progress is stopped first."""
        self.stop_run()
        number = max((r.number for r in self.runs), default=0) + 1
        record = RunRecord(number=number, settings=dict(self.values), train_id=self.spec.id,
                           overrides=overrides(self.spec, self.values), started=time.time())
        self.runs.append(record)
        self._planned_epochs = int(self.values["epochs"])
        self._started_at = time.monotonic()
        self._new_weights = None
        self._show_progress(0)
        self._set_status("Starting...")
        if self._timer is not None:
            self._timer.resume()
        self._start_worker(record)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def _start_worker(self, record: RunRecord, attach: Any = None) -> None:
        def emit(event: Event) -> None:
            self.post_message(self.TrainEvent(event))

        by_key = self._slurm_next or attach is not None  # `S`, or a job submitted earlier
        slurm = by_key or self._target_slurm()
        self._slurm_next = False
        if self.spec.target == "slurm" and not slurm and self.start_run is self._default_start:
            self.app.call_from_thread(self.notify, "This run asks for a compute node, but Slurm's sbatch is not "
                                      "on PATH here: training on this machine instead.", timeout=8)
        fallback = slurm and not by_key  # a `target: slurm` block trains here when Slurm cannot take it
        start_run = self._slurm_source(record, attach) if slurm else self.start_run
        if start_run is None:  # the site config is broken (the status line says where)
            if not fallback:
                return
            self.app.call_from_thread(self.notify, f"The Slurm site config has a problem ({self._site_problem}): "
                                      "training on this machine instead.", timeout=10)
            start_run, slurm, fallback = self.start_run, False, False
        submitted = threading.Event()

        def slurm_emit(event: Event) -> None:
            """A `target: slurm` run's events, once the job is submitted (its `Loading`): a
            submission that fails falls back to this machine instead of ending the run."""
            if isinstance(event, Loading):
                submitted.set()
            if submitted.is_set():
                emit(event)

        self._drive(start_run(self.spec, overrides(self.spec, record.settings), slurm_emit if fallback else emit))
        result = getattr(self.last_run, "result", None)
        if fallback and not submitted.is_set() and isinstance(result, Failed) and not self._stopped_by_learner:
            self.app.call_from_thread(self.notify, f"Slurm did not take this run ({result.message}): training on "
                                      "this machine instead.", timeout=10)
            self._drive(self.start_run(self.spec, overrides(self.spec, record.settings), emit))

    def _drive(self, run: Run) -> None:
        """Run `run` in this (worker) thread; it is the view's run while it goes."""
        self._stopped_by_learner = False
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
            self._stopped_by_learner = True
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
            record.observe(event)
            self._set_status(_backend_ready(event.versions))
        elif isinstance(event, Started):
            record.observe(event)
            self._planned_epochs = int(event.epochs or self._planned_epochs)
            self._started_at = time.monotonic()
            self._show_progress(0)
            self._set_status(f"Training run {record.number}...")
        elif isinstance(event, EpochEnd):
            record.observe(event)
            if event.weights:
                self._new_weights = (event.epoch, event.weights)
            self._dirty = True
        elif isinstance(event, (Finished, Stopped, Failed)):
            record.observe(event)
            self._end(record, event)

    def _end(self, record: RunRecord, event: Finished | Stopped | Failed) -> None:
        if self._timer is not None:
            self._timer.pause()
        self._dirty = True
        self._flush()
        if isinstance(event, Finished):
            record.outcome = "finished"
            self._set_status(f"Run {record.number} finished in {event.elapsed:.1f} s: {self._numbers(record)}")
            self._show_progress(self._planned_epochs, done=True)
        elif isinstance(event, Stopped):
            record.outcome = "stopped"
            numbers = self._numbers(record)
            why = event.reason.removeprefix("stopped").strip() if event.reason else ""
            self._set_status(f"Run {record.number} stopped at epoch {event.epoch}" + (f" {why}" if why else "") + "."
                             + (f" {numbers}" if numbers else ""))
            self._show_progress(event.epoch, done=True, note="stopped")
        else:
            record.outcome = {"diverged": "diverged", "import": "no TensorFlow", "timeout": "time cap"}.get(event.kind, "failed")
            lead = {"diverged": "diverged", "timeout": "reached the time cap"}.get(event.kind, "could not run")
            self._set_status(f"Run {record.number} {lead}: {event.message}")
            self._show_progress(record.history.last_epoch, done=True, note=record.outcome)
        record.ended = time.time()
        self._show_runs()
        self._show_weights(record)
        self.query_one(ConfusionView).show_run(record)
        self.query_one(ScatterView).show_run(record)
        self.query_one(MisclassifiedView).show_run(record)
        job = getattr(self.last_run, "job", None)
        folder = getattr(job, "folder", None)
        if claim_job_store(folder):  # a Slurm run is stored by one tutor only
            self._save(record)
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
        if "accuracy" in record.test:
            parts.append(f"test accuracy {record.test['accuracy']:.4f}")
        if "rmse" in record.test:
            parts.append(f"test RMSE {record.test['rmse']:.2f}")
        if "baseline_rmse" in record.test:
            parts.append(f"baseline RMSE {record.test['baseline_rmse']:.2f}")
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
        if self._new_weights is not None:
            epoch, weights = self._new_weights
            self._new_weights = None
            self.post_message(self.WeightsChanged(self, record, weights, epoch))

    def _draw_plot(self) -> None:
        from tui_tutor.training.lossplot import Curve, render_loss_plot

        curves = []
        for train_id, runs in self.compare:  # the latest run of each block compared with, faint
            shown = [r for r in runs if r.history]
            if shown:
                curves.append(Curve(f"{train_id} run {shown[-1].number}", tuple(shown[-1].history.epochs),
                                    tuple(shown[-1].history.metrics.get("loss", [])), faint=True))
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
        the view has in an 80-column terminal; a narrower view cuts lines (training.tcss).
        Then the last three runs of each block this one compares with (`compare:`)."""
        compared = [(train_id, runs[-3:]) for train_id, runs in self.compare if runs]
        if not self.runs and not compared:
            return
        lines = [f"{'run':>3} {'lr':>6} {'units':>5} {'act':<7} {'epochs':>6} {'batch':>5} {'seed':>4} "
                 f"{'loss':>6} {'best val @ep':>12} result"]
        lines.extend(_run_line(record) for record in self.runs[-5:])
        for train_id, runs in compared:
            lines.append(f"runs of {train_id}, to compare:")
            lines.extend(_run_line(record) for record in runs)
        self.query_one(".train-runs", Static).update("\n".join(lines))


def _backend_ready(versions: dict[str, str]) -> str:
    """"TensorFlow 2.21.0 ready." (or "Keras 3.15.1 on jax 0.10.2 ready." for another backend)."""
    backend = versions.get("backend", "tensorflow")
    if backend == "tensorflow":
        return f"TensorFlow {versions.get('tensorflow', '?')} ready."
    return f"Keras {versions.get('keras', '?')} on {backend} {versions.get(backend, '?')} ready."


def save_run(view: Widget, persist: Callable[[RunRecord], object] | None, record: RunRecord, what: str) -> None:
    """Keep a run (or a sweep) that ended through `persist`; a failure is a warning, never a crash."""
    if persist is not None:
        try:
            persist(record)
        except Exception as exc:  # noqa: BLE001 - saving must never break the view
            view.notify(f"The {what} was not saved: {exc}", severity="warning")


def claim_job_store(folder: object) -> bool:
    """Whether this tutor stores the run of a Slurm job's folder (one tutor only: `claim_store`);
    True for a run that had no job folder."""
    if folder is None:
        return True
    from pathlib import Path

    from tui_tutor.slurm.job import claim_store

    return claim_store(Path(str(folder)))


def _run_line(record: RunRecord) -> str:
    """One row of the runs table."""
    s = record.settings
    best_val = record.best("val_loss")
    best_at = "-" if math.isnan(best_val) else f"{_loss(best_val)} @{record.history.best_epoch('val_loss')}"
    lr = s.get("learning_rate")
    return (
        f"{record.number:>3} {show(lr) if isinstance(lr, (int, float, str)) else '-':>6} {s.get('hidden_units', '-'):>5} "
        f"{s.get('hidden_activation', '-'):<7} {s.get('epochs', '-'):>6} {s.get('batch_size', '-'):>5} "
        f"{s.get('seed', '-'):>4} {_loss(record.final('loss')):>6} {best_at:>12} {record.outcome}"
    )


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
