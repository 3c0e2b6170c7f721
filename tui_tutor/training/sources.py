"""Where training runs come from: the seam between whoever shows a run and whoever trains it.

A *run source* is a `StartRun`: given the lesson's `TrainSpec`, the learner's overrides and a
callback for events, it returns a `Run` that is not yet going. Whoever drives it (the Textual
view in a thread, a line-mode loop, a test) calls `Run.run()`, which blocks and emits the
events of `tui_tutor.training.events`, and may call `Run.stop()` from any thread.

Sources:

* `worker_runs` (the default): runs are requests to one warm worker process
  (`tui_tutor.training.worker`) that imports TensorFlow; the calling process never does.
* `keras_runs`: Keras in this process (tests of the runner, benchmarks, a batch job).
* `ReplayRun`: events recorded as JSON lines, played back (tests, snapshots, a batch job's
  output file).

UI-free: nothing here imports Textual, and nothing here imports TensorFlow at import time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.training.events import Event, Stopped, event_from_json
from tui_tutor.training.history import RunHistory


class Run(Protocol):
    """One training run as a caller drives it."""

    def run(self) -> Event | None:
        """Emit the run's events, blocking (callers run it in a thread); the last event."""

    def stop(self) -> None:
        """Ask the run to end soon with `Stopped`; called from any thread, more than once."""


#: Makes a run, not yet going: (the lesson's spec, the learner's overrides, where events go).
StartRun = Callable[[TrainSpec, dict[str, Any], Callable[[Event], None]], Run]


def keras_runs(*, threads: int = 2, max_seconds: float | None = 600) -> StartRun:
    """Runs with Keras in this process, loaded on the first run (seconds, ~0.5 GB)."""

    def start(spec: TrainSpec, overrides: dict[str, Any], emit: Callable[[Event], None]) -> Run:
        from tui_tutor.training.runner import TrainingRun

        return TrainingRun(spec, emit, overrides=overrides, threads=threads, max_seconds=max_seconds)

    return start


def worker_runs(*, threads: int = 2, max_seconds: float | None = 600) -> StartRun:
    """Runs in the shared warm worker process (started on the first run); see `tui_tutor.training.worker`."""
    from tui_tutor.training.worker import worker_runs as _worker_runs

    return _worker_runs(threads=threads, max_seconds=max_seconds)


def default_runs(*, threads: int = 2, max_seconds: float | None = 600) -> StartRun:
    """The source the tutor uses when none is given: `worker_runs`."""
    return worker_runs(threads=threads, max_seconds=max_seconds)


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
