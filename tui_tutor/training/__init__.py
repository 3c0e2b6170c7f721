"""The training bridge: declarative Keras runs that speak only in events.

Importing this package does not import TensorFlow or Keras (that takes 3-6 s and ~600 MB);
``tfload.load_keras()`` does, the first time a run starts. Public API::

    from tui_tutor.training import TrainingRun, RunHistory, events, datasets
    run = TrainingRun(spec, emit=print, overrides={"learning_rate": 0.1})
    final_event = run.run()          # blocking; run.stop() from another thread
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui_tutor.training.events import (
    BatchEnd,
    EpochEnd,
    Event,
    Failed,
    Finished,
    Loaded,
    Loading,
    Started,
    Stopped,
    event_from_json,
)
from tui_tutor.training.history import RunHistory

if TYPE_CHECKING:  # pragma: no cover
    from tui_tutor.training.runner import TrainingRun
    from tui_tutor.training.tfload import TrainingUnavailable

__all__ = [
    "BatchEnd",
    "EpochEnd",
    "Event",
    "Failed",
    "Finished",
    "Loaded",
    "Loading",
    "RunHistory",
    "Started",
    "Stopped",
    "TrainingRun",
    "TrainingUnavailable",
    "event_from_json",
]

_LAZY = {
    "TrainingRun": ("tui_tutor.training.runner", "TrainingRun"),
    "TrainingUnavailable": ("tui_tutor.training.tfload", "TrainingUnavailable"),
}


def __getattr__(name: str) -> Any:
    # numpy (datasets, runner) is imported only when these are first used.
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
