"""The training bridge: declarative Keras runs that speak only in events.

Importing this package does not import TensorFlow or Keras (that takes 3-6 s and ~600 MB);
``tfload.load_keras()`` does, the first time a run starts. Public API::

    from tui_tutor.training import TrainingRun, RunHistory, events, datasets
    run = TrainingRun(spec, emit=print, overrides={"learning_rate": 0.1})
    final_event = run.run()          # blocking; run.stop() from another thread
"""

from __future__ import annotations

from typing import Any

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

_EVENTS = ("BatchEnd", "EpochEnd", "Event", "Failed", "Finished", "Loaded", "Loading", "Started", "Stopped", "event_from_json")
_LAZY = {
    **{name: ("tui_tutor.training.events", name) for name in _EVENTS},
    "RunHistory": ("tui_tutor.training.history", "RunHistory"),
    "TrainingRun": ("tui_tutor.training.runner", "TrainingRun"),
    "TrainingUnavailable": ("tui_tutor.training.tfload", "TrainingUnavailable"),
}


def __getattr__(name: str) -> Any:
    # Nothing is imported until used: the lesson loader reads `training.names` at start-up.
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
