"""What the lesson screens need from the app, as one typed object: who is learning, where
progress goes, the numbers of the learner's own training runs, and the learner's settings.

Why an object of its own: screens and the step builder used to read these from an untyped
`self.app` (a dict of run numbers, a lambda, attributes set here and there), which no type
checker could follow and no test could build without a running app. The app builds one
`LessonContext` and hands it to every screen and to `step_view.build_items` explicitly.

UI-free (no Textual type): a test builds one as easily as the app does. The store is opened
on first use (see `LessonContext.store`), so start-up need not open it before the first frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing only: importing the store costs start-up time (sqlite3)
    from tui_tutor.lesson.model import Question
    from tui_tutor.progress.store import ProgressStore


@dataclass(frozen=True)
class TrainingOptions:
    """Login-node manners for training runs: TensorFlow threads and a wall-time cap per run."""

    threads: int = 2
    max_seconds: float | None = 600


class RunResults:
    """The numbers of the learner's latest run per `train` id, for questions about their run.

    Kept for the app's lifetime (not saved): a question with `run: ID` is graded against the
    run the learner has just watched.
    """

    def __init__(self) -> None:
        self._latest: dict[str, dict[str, float]] = {}

    def record(self, train_id: str, values: Mapping[str, float]) -> None:
        """Keep `values` as the latest numbers of `train_id` (an empty mapping keeps the old ones)."""
        if values:
            self._latest[train_id] = dict(values)

    def latest(self, train_id: str) -> dict[str, float]:
        """A copy of the latest numbers of `train_id`; empty before its first run."""
        return dict(self._latest.get(train_id, {}))

    def __contains__(self, train_id: object) -> bool:
        return train_id in self._latest

    def for_question(self, question: Question) -> Callable[[], dict[str, float]] | None:
        """What a `QuestionSession` reads at grading time: the latest numbers of the run the
        question is about, or None for a question about no run."""
        train_id = question.run
        if not train_id:
            return None
        return lambda: self.latest(train_id)


class LessonContext:
    """Everything a lesson, picker or review screen reads besides the lesson itself.

    The store is opened on first use, by `open_store` (the app's, which also tells the
    learner when progress cannot be saved). A screen that asks for `store` gets it open, so
    an answer is recorded before its feedback shows; the picker, which only shows progress,
    can draw its first frame before the store is opened (`store_opened`).
    """

    def __init__(
        self,
        learner: str,
        store: ProgressStore | None = None,
        *,
        open_store: Callable[[], ProgressStore | None] | None = None,
        training: TrainingOptions | None = None,
        ascii_mode: bool = False,
    ) -> None:
        self.learner = learner
        #: The numbers of the learner's latest training runs (kept while the app runs).
        self.runs = RunResults()
        self.training = training or TrainingOptions()
        #: Plain ASCII borders and plot markers (the terminal is not UTF-8, or `--ascii`).
        self.ascii_mode = ascii_mode
        self._open_store = open_store
        self._store = store
        self._store_opened = store is not None or open_store is None

    @property
    def store(self) -> ProgressStore | None:
        """The progress store, opened on first use; None when there is none or it could not be opened."""
        if not self._store_opened:
            self._store_opened = True  # once, even if opening fails: no retry loop on a broken disk
            assert self._open_store is not None
            self._store = self._open_store()
        return self._store

    @property
    def store_opened(self) -> bool:
        """Whether `store` has been opened (or found missing): reading it now does no I/O."""
        return self._store_opened

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None
