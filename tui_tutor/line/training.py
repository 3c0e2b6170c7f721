"""A training step in words: the settings, one sentence every few epochs (or 10 s), the
final numbers; Ctrl+C stops the run and the lesson goes on.

Runs come from a `tui_tutor.training.sources.StartRun` (by default the warm worker process,
so this process never imports TensorFlow; Keras in this process where there is no worker).
The run goes in a thread; this thread waits on its events, so Ctrl+C (KeyboardInterrupt,
which Python raises only in the main thread) asks the run to stop instead of ending the
tutor. Each run that ends (finished, stopped by Ctrl+C, or failed) is saved as a
`RunRecord` through `LessonContext.runs`, numbered on from the stored runs, as the
full-screen view saves it: the view shows it after a restart, and a question about the
learner's run is graded against it (and names it).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from tui_tutor.context import LessonContext
from tui_tutor.lesson.model import TrainSpec
from tui_tutor.training.events import EpochEnd, Event, Failed, Finished, Loaded, Loading, Started, Stopped
from tui_tutor.training.records import RunRecord
from tui_tutor.training.settings import initial_values, settings_for
from tui_tutor.training.settings import overrides as changed_settings
from tui_tutor.training.sources import StartRun

REPORT_SECONDS = 10.0
REPORTS_PER_RUN = 5
#: How many of the learner's earlier runs the step names when it opens (the latest ones).
EARLIER_SHOWN = 3
#: A failed run's outcome by the failure's kind, as the full-screen view names it.
FAILED_OUTCOMES = {"diverged": "diverged", "import": "no TensorFlow", "timeout": "time cap"}

#: Setting names the learner types, the runner's override names, and how to read a value.
SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "lr": ("learning_rate", float),
    "units": ("hidden_units", int),
    "act": ("hidden_activation", str),
    "epochs": ("epochs", int),
    "batch": ("batch_size", int),
    "seed": ("seed", int),
}
LIMITS: dict[str, tuple[float, float]] = {
    "learning_rate": (1e-6, 1000.0), "hidden_units": (1, 64), "epochs": (1, 5000), "batch_size": (1, 64), "seed": (0, 10**6),
}
HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")


def default_source(threads: int, max_seconds: float | None) -> StartRun:
    """The worker-backed source; Keras in this process when the worker is not available."""
    from tui_tutor.training import sources

    try:
        return sources.default_runs(threads=threads, max_seconds=max_seconds)
    except ImportError:
        return sources.keras_runs(threads=threads, max_seconds=max_seconds)


def _num(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:.3f}" if abs(x) >= 0.001 or x == 0 else f"{x:.2e}"


class TrainingWords:
    """One `train` block in line mode."""

    def __init__(self, spec: TrainSpec, context: LessonContext, say: Callable[..., None],
                 start_run: StartRun | None = None, lesson_id: str = "") -> None:
        self.spec, self.context, self.say = spec, context, say
        self.lesson_id = lesson_id
        self._start_run = start_run
        self.values: dict[str, Any] = initial_values(spec)
        self.runs = 0

    def overrides(self) -> dict[str, Any]:
        """Only what differs from the lesson's spec (the full-screen view's rule)."""
        return changed_settings(self.spec, self.values)

    def settings_line(self) -> str:
        v = self.values
        bits = [f"lr {v['learning_rate']:g}"]
        if self._hidden_settable():
            bits += [f"units {v['hidden_units']}", f"act {v['hidden_activation']}"]
        bits += [f"epochs {v['epochs']}", f"batch {v['batch_size']}", f"seed {v['seed']}"]
        return "Settings: " + ", ".join(bits) + "."

    def _hidden_settable(self) -> bool:
        """Whether units and act can change here (every hidden layer Dense): `settings_for`'s rule."""
        return any(setting.key == "hidden_units" for setting in settings_for(self.spec))

    def stored_runs(self) -> list[RunRecord]:
        """The learner's stored runs of this block (in this lesson), oldest first."""
        return self.context.runs.runs(self.lesson_id, self.spec.id)

    def earlier_line(self, runs: list[RunRecord] | None = None) -> str:
        """"Your runs of xor-2: run 1 finished, loss 0.0009; ..." ("" before the first run)."""
        runs = self.stored_runs() if runs is None else runs
        if not runs:
            return ""
        said = []
        for record in runs[-EARLIER_SHOWN:]:
            loss = record.final("loss")
            said.append(f"run {record.number} {record.outcome}" + (f", loss {_num(loss)}" if math.isfinite(loss) else ""))
        more = len(runs) - len(said)
        lead = f"Your runs of {self.spec.id}" + (f" ({more} earlier not shown)" if more else "")
        return f"{lead}: " + "; ".join(said) + "."

    def lines(self) -> list[str]:
        layers = ", then ".join(f"{layer.units} {layer.activation} unit{'s' if layer.units != 1 else ''}"
                                for layer in self.spec.layers)
        earlier = self.earlier_line()
        return [
            f"Training run `{self.spec.id}`: the {self.spec.dataset} data, layers of {layers}; "
            f"loss {self.spec.loss}, optimizer {self.spec.optimizer}.",
            self.settings_line(),
            *([earlier] if earlier else []),
            *([f"This is a seed sweep: train trains this setting with seeds 1 to {self.spec.sweep.seeds}, "
               "one after another, and counts how many solve it."] if self.spec.sweep else []),
            "Type train to train (Ctrl+C stops a run), set NAME VALUE to change a setting "
            "(lr, units, act, epochs, batch, seed), or press Enter to go on.",
        ]

    def set(self, arg: str) -> list[str]:
        name, _, value = arg.strip().partition(" ")
        if name not in SETTINGS or not value.strip():
            return ["Settings: " + ", ".join(SETTINGS) + "; for example set lr 0.1."]
        key, read = SETTINGS[name]
        if key in ("hidden_units", "hidden_activation") and not self._hidden_settable():
            return ["This model's hidden layers are the lesson's own (no Dense hidden layer to change)."]
        try:
            parsed = read(value.strip())
        except ValueError:
            return [f"{name} takes a {'whole ' if read is int else ''}number."]
        if key == "hidden_activation" and parsed not in HIDDEN_ACTIVATIONS:
            return [f"act is one of {', '.join(HIDDEN_ACTIVATIONS)}."]
        if key in LIMITS and not LIMITS[key][0] <= parsed <= LIMITS[key][1]:
            lo, hi = LIMITS[key]
            return [f"{name} goes from {lo:g} to {hi:g}."]
        self.values[key] = parsed
        return [self.settings_line()]

    # ------------------------------------------------------------------ a run
    def train(self) -> list[str]:
        """Run once, reporting as it goes; returns the closing lines (the run's numbers)."""
        if self.spec.sweep is not None:
            return self.sweep()
        start = self._start_run or default_source(self.context.training.threads, self.context.training.max_seconds)
        events: queue.Queue[Event | BaseException] = queue.Queue()
        number = max((r.number for r in self.stored_runs()), default=0) + 1
        record = RunRecord(number=number, settings=dict(self.values), train_id=self.spec.id,
                           overrides=self.overrides(), started=time.time())
        run = start(self.spec, record.overrides, events.put)

        def go() -> None:
            try:
                run.run()
            except BaseException as exc:  # noqa: BLE001 - reported to the learner, never lost in a thread
                events.put(exc)

        thread = threading.Thread(target=go, name="line-training", daemon=True)
        total = int(self.values["epochs"])
        every = max(1, total // REPORTS_PER_RUN)
        last_report_at, last_epoch, last_loss = time.monotonic(), 0, None
        stopping = False
        self.say("Training... (Ctrl+C stops the run)")
        thread.start()
        final: Event | None = None
        while final is None:
            try:
                try:
                    event = events.get(timeout=0.25)
                except queue.Empty:
                    if not thread.is_alive() and events.empty():
                        final = Failed(self.spec.id, "error", "The run ended without a word.")
                    continue
                if isinstance(event, BaseException):
                    final = Failed(self.spec.id, "error", f"{type(event).__name__}: {event}")
                    break
                record.observe(event)
                if isinstance(event, Loading):
                    self.say("Loading TensorFlow (a few seconds the first time)...")
                elif isinstance(event, Loaded):
                    pass
                elif isinstance(event, Started):
                    total = event.epochs or total
                    every = max(1, total // REPORTS_PER_RUN)
                    self.say(f"Started: {total} epochs.")
                elif isinstance(event, EpochEnd):
                    now = time.monotonic()
                    if event.epoch % every == 0 or now - last_report_at >= REPORT_SECONDS:
                        loss = event.logs.get("loss")
                        self.say(self._progress(event, total, loss, last_epoch, last_loss))
                        last_report_at, last_epoch, last_loss = now, event.epoch, loss
                elif isinstance(event, (Finished, Stopped, Failed)):
                    final = event
            except KeyboardInterrupt:
                if not stopping:
                    stopping = True
                    run.stop()
                    self.say("Stopping the run (Ctrl+C)...")
        thread.join(timeout=5)
        self.runs += 1
        if isinstance(final, Failed) and not record.failure:  # a failure the run did not report itself
            record.observe(final)
        self._save(record, final)
        return self._closing(final, total, record.values(), record.number)

    # ------------------------------------------------------------------ a seed sweep
    def sweep(self) -> list[str]:
        """A `sweep:` block: every seed in turn on this machine, a sentence as each one ends
        (solved or not, its final loss), then the counts; Ctrl+C stops the sweep. Kept as the
        full-screen sweep view keeps it, so a question about the sweep is graded the same."""
        from tui_tutor.training.sweep import LocalSweep, SweepTally

        start = self._start_run or default_source(self.context.training.threads, self.context.training.max_seconds)
        ended: queue.Queue[tuple[int, Event] | BaseException] = queue.Queue()
        number = max((r.number for r in self.stored_runs()), default=0) + 1
        tally = SweepTally.for_spec(self.spec)
        record = RunRecord(number=number, settings=dict(self.values), train_id=self.spec.id,
                           overrides=self.overrides(), started=time.time(), sweep=tally)
        sweep = LocalSweep(self.spec, record.overrides, lambda seed, event: ended.put((seed, event)), start)

        def go() -> None:
            try:
                sweep.run()
            except BaseException as exc:  # noqa: BLE001 - reported to the learner, never lost in a thread
                ended.put(exc)

        thread = threading.Thread(target=go, name="line-sweep", daemon=True)
        self.say(f"Sweeping seeds 1 to {len(tally.seeds)}, one after another... (Ctrl+C stops the sweep)")
        thread.start()
        stopping = False
        while thread.is_alive() or not ended.empty():
            try:
                try:
                    item = ended.get(timeout=0.25)
                except queue.Empty:
                    continue
                if isinstance(item, BaseException):
                    self.say(f"The sweep stopped: {type(item).__name__}: {item}")
                    break
                seed, event = item
                tally.observe(seed, event)
                if isinstance(event, (Finished, Stopped, Failed)):
                    outcome = tally.outcomes[seed]
                    solved = tally.solved(outcome)
                    verdict = {True: "solved", False: "not solved", None: outcome.state}[solved]
                    loss = f", final loss {_num(outcome.loss)}" if math.isfinite(outcome.loss) else ""
                    self.say(f"Seed {seed}: {verdict}{loss} ({tally.done} of {len(tally.seeds)} done).")
            except KeyboardInterrupt:
                if not stopping:
                    stopping = True
                    sweep.stop()
                    self.say("Stopping the sweep (Ctrl+C)...")
        thread.join(timeout=5)
        self.runs += 1
        record.outcome = tally.outcome if tally.finished else "stopped"
        record.ended = time.time()
        self.context.runs.save(self.lesson_id, record)
        if self.context.runs.problem:
            self.say(f"{self.context.runs.problem} The sweep is kept for this session.")
        return [f"Sweep {number} {record.outcome}: {tally.summary()}."]

    def _save(self, record: RunRecord, final: Event) -> None:
        """Mark how the run ended and keep it, as the full-screen view does."""
        if isinstance(final, Finished):
            record.outcome = "finished"
        elif isinstance(final, Stopped):
            record.outcome = "stopped"
        else:
            kind = final.kind if isinstance(final, Failed) else "error"
            record.outcome = FAILED_OUTCOMES.get(kind, "failed")
        record.ended = time.time()
        self.context.runs.save(self.lesson_id, record)
        if self.context.runs.problem:
            self.say(f"{self.context.runs.problem} The run is kept for this session.")

    def _progress(self, event: EpochEnd, total: int, loss: float | None, last_epoch: int, last_loss: float | None) -> str:
        text = f"Epoch {event.epoch} of {total}"
        if loss is None:
            return text + "."
        text += f": loss {_num(loss)}"
        if last_loss is not None and last_epoch:
            change = loss - last_loss
            text += f", {'down' if change <= 0 else 'up'} {_num(abs(change))} since epoch {last_epoch}"
        accuracy = event.logs.get("accuracy")
        if accuracy is not None:
            text += f", accuracy {round(accuracy * 100)}%"
        return text + "."

    def _closing(self, final: Event, total: int, values: dict[str, float], number: int) -> list[str]:
        numbers = []
        if "final_loss" in values:
            numbers.append(f"final loss {_num(values['final_loss'])}")
        if "final_accuracy" in values:
            numbers.append(f"accuracy {round(values['final_accuracy'] * 100)}%")
        if "final_val_loss" in values:
            numbers.append(f"validation loss {_num(values['final_val_loss'])}")
        said = ("; " + ", ".join(numbers)) if numbers else ""
        if isinstance(final, Finished):
            return [f"Run {number} finished: {total} epochs in {final.elapsed:.1f} s{said}."]
        if isinstance(final, Stopped):
            return [f"Run {number} stopped at epoch {final.epoch} of {total}{said}.",
                    "Type train to run again, or press Enter to go on."]
        assert isinstance(final, Failed)
        return [f"Run {number} failed: {' '.join(final.message.split())[:300] or final.kind}{said}."]
