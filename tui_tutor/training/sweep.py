"""A seed sweep: one training setting run over many seeds, and what became of each seed.

Questions like "how often do 2 ReLU units solve XOR?" need many seeds, not one lucky run.
A sweep (a `train` block's `sweep:`) runs the block's setting with seeds 1..N: on a cluster
as one Slurm array job (`tui_tutor.slurm.sweep`), without one here, one seed after another
in the warm worker (`LocalSweep`). Either way each seed's events arrive tagged with the
seed, and a `SweepTally` keeps the outcome per seed: the table, the histogram of final
losses and the numbers a question about the sweep is graded against (`values`).

UI-free and Keras-free: a tally is plain data, stored with the run record (`to_dict`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.training.events import EpochEnd, Event, Failed, Finished, Started, Stopped
from tui_tutor.training.sources import Run, StartRun

#: The states of one seed: waiting for its turn (or in the queue), training, or ended.
QUEUED, RUNNING = "queued", "running"
ENDED_STATES = ("finished", "stopped", "failed")

#: A sweep's events: (seed, event), from any thread.
EmitSeed = Callable[[int, Event], None]


@dataclass
class SeedOutcome:
    """One seed of a sweep: its state and, once it has them, its final numbers."""

    seed: int
    state: str = QUEUED
    loss: float = math.nan
    accuracy: float = math.nan
    epochs: int = 0
    #: Why a seed failed or stopped, in a few words ("" otherwise).
    note: str = ""

    @property
    def ended(self) -> bool:
        return self.state in ENDED_STATES

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "state": self.state, "loss": self.loss, "accuracy": self.accuracy,
                "epochs": self.epochs, **({"note": self.note} if self.note else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedOutcome:
        def number(key: str) -> float:
            value = data.get(key)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan

        epochs = data.get("epochs")
        state = data.get("state")
        return cls(seed=int(data.get("seed") or 0), state=state if state in (QUEUED, RUNNING, *ENDED_STATES) else "failed",
                   loss=number("loss"), accuracy=number("accuracy"),
                   epochs=epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else 0,
                   note=str(data.get("note") or ""))


def _last(history: dict[str, list[float]], key: str) -> float:
    values = history.get(key) or []
    return float(values[-1]) if values else math.nan


@dataclass
class SweepTally:
    """The outcome of every seed of a sweep, built from its (seed, event) pairs."""

    seeds: list[int]
    #: A seed is solved when its final training loss is below this (None: no solved count).
    solved_loss: float | None = None
    outcomes: dict[int, SeedOutcome] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for seed in self.seeds:
            self.outcomes.setdefault(seed, SeedOutcome(seed))

    @classmethod
    def for_spec(cls, spec: TrainSpec) -> SweepTally:
        sweep = spec.sweep
        if sweep is None:
            return cls([spec.seed])
        return cls(sweep.seed_list, sweep.solved_loss)

    # -- building ---------------------------------------------------------------------------
    def observe(self, seed: int, event: Event) -> None:
        """Feed one event of `seed`'s run."""
        outcome = self.outcomes.get(seed)
        if outcome is None or outcome.ended:
            return
        if isinstance(event, Started):
            outcome.state = RUNNING
        elif isinstance(event, EpochEnd):
            outcome.state = RUNNING
            outcome.epochs = event.epoch
            outcome.loss = float(event.logs.get("loss", outcome.loss))
            outcome.accuracy = float(event.logs.get("accuracy", outcome.accuracy))
        elif isinstance(event, (Finished, Stopped, Failed)):
            history = event.history
            if history.get("loss"):
                outcome.loss = _last(history, "loss")
                outcome.accuracy = _last(history, "accuracy")
                outcome.epochs = int(_last(history, "epoch")) if history.get("epoch") else outcome.epochs
            if isinstance(event, Finished):
                outcome.state = "finished"
            elif isinstance(event, Stopped):
                outcome.state, outcome.note = "stopped", event.reason or "stopped"
            else:
                outcome.state, outcome.note = "failed", event.message or event.kind

    def mark(self, seed: int, state: str, note: str = "") -> None:
        """What the scheduler says of a seed that has no final event: queued, running, failed."""
        outcome = self.outcomes.get(seed)
        if outcome is not None and not outcome.ended:
            outcome.state, outcome.note = state, note or outcome.note

    # -- reading ----------------------------------------------------------------------------
    def solved(self, outcome: SeedOutcome) -> bool | None:
        """True/False for a finished seed when the sweep has a `solved_loss`; None otherwise."""
        if self.solved_loss is None or outcome.state != "finished" or math.isnan(outcome.loss):
            return None
        return outcome.loss < self.solved_loss

    @property
    def done(self) -> int:
        return sum(1 for o in self.outcomes.values() if o.ended)

    @property
    def running(self) -> int:
        return sum(1 for o in self.outcomes.values() if o.state == RUNNING)

    @property
    def finished(self) -> bool:
        return all(o.ended for o in self.outcomes.values())

    @property
    def outcome(self) -> str:
        """The sweep's outcome as a run's: "running" until every seed ended, then "finished"
        when every seed finished, "stopped" when any was stopped, else "failed"."""
        states = {o.state for o in self.outcomes.values()}
        if not self.finished:
            return "running"
        return "finished" if states == {"finished"} else "stopped" if "stopped" in states else "failed"

    @property
    def solved_count(self) -> int:
        return sum(1 for o in self.outcomes.values() if self.solved(o))

    def final_losses(self) -> list[float]:
        return [o.loss for o in self.outcomes.values() if o.state == "finished" and math.isfinite(o.loss)]

    def values(self) -> dict[str, float]:
        """The numbers a question with `run:` on a sweep block is graded against."""
        values = {"sweep_seeds": float(len(self.seeds)), "sweep_done": float(self.done)}
        if self.solved_loss is not None:
            values["sweep_solved"] = float(self.solved_count)
        losses = self.final_losses()
        if losses:
            values["sweep_median_loss"] = _median(losses)
        return values

    def summary(self) -> str:
        """One line: `12 of 30 seeds done, 3 running; solved 4 of 12 (loss < 0.1)`."""
        text = f"{self.done} of {len(self.seeds)} seeds done"
        if self.running:
            text += f", {self.running} running"
        if self.solved_loss is not None:
            finished = sum(1 for o in self.outcomes.values() if o.state == "finished")
            text += f"; solved {self.solved_count} of {finished} (loss < {self.solved_loss:g})"
        return text

    # -- as data ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"seeds": list(self.seeds), "solved_loss": self.solved_loss,
                "outcomes": [self.outcomes[seed].to_dict() for seed in self.seeds]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepTally:
        seeds = [s for s in data.get("seeds") or [] if isinstance(s, int) and not isinstance(s, bool)]
        solved = data.get("solved_loss")
        outcomes = {o.seed: o for o in (SeedOutcome.from_dict(d) for d in data.get("outcomes") or []
                                        if isinstance(d, dict)) if o.seed in seeds}
        return cls(seeds, float(solved) if isinstance(solved, (int, float)) else None, outcomes)


def _median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count); `statistics`
    would cost ~3 ms of start-up for this."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# --------------------------------------------------------------------------- drawing, as text
def loss_histogram(tally: SweepTally, width: int = 72, *, ascii: bool = False) -> list[str]:
    """Final losses of the finished seeds in bins of equal width, one line each:
    `0.30-0.40 ####  4`; the bars scale to `width` columns."""
    losses = tally.final_losses()
    if not losses:
        return []
    top = max(losses)
    step = _nice_step(top / 8) if top > 0 else 0.1
    bins = max(1, min(12, int(top // step) + 1))
    counts = [0] * bins
    for loss in losses:
        counts[min(bins - 1, int(loss // step))] += 1
    digits = 0 if step >= 1 else max(1, -math.floor(math.log10(step)))
    labels = [f"{i * step:.{digits}f}-{(i + 1) * step:.{digits}f}" for i in range(bins)]
    label_width = max(len(label) for label in labels)
    room = max(5, width - label_width - 6)
    most = max(counts)
    mark = "#" if ascii else "█"
    lines = []
    for label, count in zip(labels, counts):
        bar = mark * (0 if count == 0 else max(1, round(room * count / most)))
        lines.append(f"{label:>{label_width}} {bar} {count}".rstrip() if count else f"{label:>{label_width}}   0")
    return lines


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw`."""
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)


def seed_grid(tally: SweepTally, width: int = 72, *, ascii: bool = False) -> list[str]:
    """Every seed as a short cell, several to a line: `s7 ✓0.004`, `s2 ✗0.693`, `s9 …run`."""
    cells = []
    for seed in tally.seeds:
        outcome = tally.outcomes[seed]
        solved = tally.solved(outcome)
        if outcome.state == "finished":
            mark = {True: "+" if ascii else "✓", False: "x" if ascii else "✗", None: " "}[solved]
            text = f"{mark}{_short(outcome.loss)}"
        elif outcome.state == RUNNING:
            text = " run" + (f" {outcome.epochs}" if outcome.epochs else "")
        elif outcome.state == QUEUED:
            text = " queued"
        else:
            text = f" {outcome.state}"
        cells.append(f"s{seed:<3}{text}")
    cell_width = max(len(c) for c in cells) + 2
    per_line = max(1, width // cell_width)
    return ["".join(f"{c:<{cell_width}}" for c in cells[i:i + per_line]).rstrip()
            for i in range(0, len(cells), per_line)]


def _short(loss: float) -> str:
    if math.isnan(loss):
        return "-"
    return f"{loss:.3f}" if loss < 10 else f"{loss:.1e}"


# --------------------------------------------------------------------------- running it here
class SweepRun(Protocol):
    """A sweep as its caller drives it (like a `Run`, with events tagged by seed)."""

    tally: SweepTally

    def run(self) -> SweepTally:
        """Run (or follow) every seed, blocking; the tally at the end."""

    def stop(self) -> None:
        """End soon: the seed training now stops, seeds not started are not started."""


#: Makes a sweep, not yet going: (spec, the learner's overrides, where (seed, event) pairs go).
StartSweep = Callable[[TrainSpec, dict[str, Any], EmitSeed], SweepRun]


class LocalSweep:
    """The seeds one after another, each a run of `start_run` (by default the warm worker)."""

    def __init__(self, spec: TrainSpec, overrides: dict[str, Any], emit: EmitSeed, start_run: StartRun) -> None:
        self.spec = spec
        self.overrides = overrides
        self.emit = emit
        self.start_run = start_run
        self.tally = SweepTally.for_spec(spec)
        self._stop = threading.Event()
        self._current: Run | None = None
        self._lock = threading.Lock()

    def run(self) -> SweepTally:
        for seed in self.tally.seeds:
            if self._stop.is_set():
                break

            def emit(event: Event, seed: int = seed) -> None:
                self.tally.observe(seed, event)
                self.emit(seed, event)

            run = self.start_run(self.spec, {**self.overrides, "seed": seed}, emit)
            with self._lock:
                self._current = run
                if self._stop.is_set():
                    run.stop()
            run.run()
            with self._lock:
                self._current = None
        for seed in self.tally.seeds:  # seeds never started: stopped before their turn
            if not self.tally.outcomes[seed].ended:
                event = Stopped(f"{self.spec.id}-seed-{seed}", 0, {}, "stopped (sweep stopped)")
                self.tally.observe(seed, event)
                self.emit(seed, event)
        return self.tally

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._current is not None:
                self._current.stop()


def local_sweeps(start_run: StartRun) -> StartSweep:
    """A sweep source: seeds one after another through `start_run`."""

    def start(spec: TrainSpec, overrides: dict[str, Any], emit: EmitSeed) -> SweepRun:
        return LocalSweep(spec, overrides, emit, start_run)

    return start
