"""Saved progress: a small SQLite store that survives kill -9, plus reports and exports.

UI-free (never imports textual): the CLI's `tui-tutor progress` uses it without a terminal.

The names below are loaded on first use (PEP 562 `__getattr__`): the command line needs
only `progress.paths` before the first frame, not SQLite, the store and the grading rules.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_tutor.progress.paths import data_dir, db_path, learner_name
    from tui_tutor.progress.store import ProgressStore, QuestionState, StoreError

_HOME = {
    "data_dir": "paths", "db_path": "paths", "learner_name": "paths",
    "ProgressStore": "store", "QuestionState": "store", "StoreError": "store",
}

__all__ = ["ProgressStore", "QuestionState", "StoreError", "data_dir", "db_path", "learner_name"]


if not TYPE_CHECKING:  # hidden from mypy, which checks the names through the imports above

    def __getattr__(name: str) -> Any:
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(f"{__name__}.{home}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
