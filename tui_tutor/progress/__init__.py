"""Saved progress: a small SQLite store that survives kill -9, plus reports and exports.

UI-free (never imports textual): the CLI's `tui-tutor progress` uses it without a terminal.
"""

from tui_tutor.progress.paths import data_dir, db_path, learner_name
from tui_tutor.progress.store import ProgressStore, QuestionState, StoreError

__all__ = ["ProgressStore", "QuestionState", "StoreError", "data_dir", "db_path", "learner_name"]
