"""What the lesson screens need from the app, as one typed object: who is learning, where
progress goes, the learner's own training runs (store-backed), and the learner's settings.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

_T = TypeVar("_T")

if TYPE_CHECKING:  # typing only: importing the store costs start-up time (sqlite3), and runs are read later
    from tui_tutor.training.records import RunRecord
    from tui_tutor.lesson.model import Question
    from tui_tutor.progress.store import ProgressStore


@dataclass(frozen=True)
class StoreOpening:
    """What opening the learner's store gave: the store, or why progress is not saved, and
    any notice to show (a damaged file moved aside). Each front end says these its own way."""

    store: ProgressStore | None
    problem: str | None = None
    notice: str | None = None


def open_learner_store(data_dir: Path | None) -> StoreOpening:
    """Open the progress store in `data_dir`; a broken store never stops the lessons."""
    if data_dir is None:
        return StoreOpening(None)
    try:
        from tui_tutor.progress.paths import db_path
        from tui_tutor.progress.store import ProgressStore

        store = ProgressStore.open(db_path(data_dir))
    except Exception as exc:  # noqa: BLE001 - a broken store must not stop the lesson
        return StoreOpening(None, problem=f"Progress is not being saved: {exc}")
    return StoreOpening(store, notice=store.notice)


@dataclass(frozen=True)
class TrainingOptions:
    """Login-node manners for training runs: TensorFlow threads and a wall-time cap per run."""

    threads: int = 2
    max_seconds: float | None = 600


class RunResults:
    """The learner's training runs, for the training view (runs shown again when a step is
    revisited, or compared from an earlier step) and for questions about a run.

    Store-backed: a run that ends is saved in the progress store (`save`), and reads come
    from the store, so runs survive step changes and restarts. Without a store (or when it
    fails) the runs of this session are kept in memory and read from there. `record` and
    `latest` keep the older numbers-only interface: `latest` gives the numbers of the latest
    run of a `train` id, falling back to numbers recorded with `record`.
    """

    def __init__(self, learner: str = "", store: Callable[[], ProgressStore | None] | None = None) -> None:
        self.learner = learner
        self._store = store
        self._latest: dict[str, dict[str, float]] = {}
        #: Every run saved in this session, in order (with its store id once stored).
        self._kept: list[tuple[str, RunRecord]] = []
        #: A learner-facing sentence when saving or reading runs failed (None when fine).
        self.problem: str | None = None

    # -- the store, failures kept -----------------------------------------------------
    def _with_store(self, what: str, fn: Callable[[ProgressStore], _T]) -> _T | None:
        store = self._store() if self._store is not None else None
        if store is None:
            return None
        try:
            result = fn(store)
        except Exception as exc:  # noqa: BLE001 - a failing store must never lose the run on screen
            self.problem = f"Could not {what}: {exc}"
            return None
        self.problem = None
        return result

    # -- writing ----------------------------------------------------------------------
    def save(self, lesson_id: str, record: RunRecord) -> RunRecord:
        """Keep a run that ended (finished, stopped or failed): in the store when there is one,
        in memory always. Saving the same record again does nothing."""
        if any(kept is record for _, kept in self._kept):
            return record
        self._kept.append((lesson_id, record))
        if record.slurm_job and record.run_id:  # a run another tutor (or an earlier session) stored already is not stored twice
            rows = self._with_store("read your runs", lambda s: s.runs(self.learner, lesson_id, record.train_id))
            for row in rows or ():
                if row["run"].get("run_id") == record.run_id:
                    record.store_id = row["id"]
                    self.record(record.train_id, record.values())
                    return record
        data = record.to_dict()
        store_id = self._with_store("save the run", lambda s: s.record_run(self.learner, lesson_id, record.train_id, data))
        if store_id is not None:
            record.store_id = store_id
        self.record(record.train_id, record.values())
        return record

    def record(self, train_id: str, values: Mapping[str, float]) -> None:
        """Keep `values` as the latest numbers of `train_id` (an empty mapping keeps the old ones)."""
        if values:
            self._latest[train_id] = dict(values)

    # -- reading ----------------------------------------------------------------------
    def _memory(self, lesson_id: str | None, train_id: str) -> list[RunRecord]:
        return [r for lesson, r in self._kept if r.train_id == train_id and lesson_id in (None, lesson)]

    def runs(self, lesson_id: str | None, train_id: str) -> list[RunRecord]:
        """The runs of `train_id` (in lesson `lesson_id`; any lesson for None), oldest first:
        those in the store, then any of this session the store could not take."""
        rows = self._with_store("read your runs", lambda s: s.runs(self.learner, lesson_id, train_id))
        if rows is None:
            return self._memory(lesson_id, train_id)
        from tui_tutor.training.records import RunRecord

        stored = [RunRecord.from_dict(row["run"], store_id=row["id"]) for row in rows]
        for record in stored:
            record.train_id = record.train_id or train_id
        return stored + [r for r in self._memory(lesson_id, train_id) if r.store_id is None]

    def latest_run(self, train_id: str, lesson_id: str | None = None,
                   settings: tuple[tuple[str, Any], ...] = ()) -> RunRecord | None:
        """The learner's latest run of `train_id` (with `settings`, the latest trained with
        those settings), or None before the first."""
        if settings:
            matching = [r for r in self.runs(lesson_id, train_id) if _has_settings(r, settings)]
            return matching[-1] if matching else None
        kept = self._memory(lesson_id, train_id)
        if kept and kept[-1].store_id is None:  # the store did not take the latest (or there is none)
            return kept[-1]
        row = self._with_store("read your runs", lambda s: s.latest_run(self.learner, lesson_id, train_id))
        if row is not None:
            from tui_tutor.training.records import RunRecord

            return RunRecord.from_dict(row["run"], store_id=row["id"])
        return kept[-1] if kept else None

    def get(self, run_id: int) -> RunRecord | None:
        """The run saved with store id `run_id`, or None."""
        for _, record in self._kept:
            if record.store_id == run_id:
                return record
        row = self._with_store("read the run", lambda s: s.run(run_id))
        if row is None or row["learner"] != self.learner:
            return None
        from tui_tutor.training.records import RunRecord

        return RunRecord.from_dict(row["run"], store_id=row["id"])

    def latest(self, train_id: str) -> dict[str, float]:
        """A copy of the latest numbers of `train_id`; empty before its first run."""
        record = self.latest_run(train_id)
        if record is not None and record.values():
            return record.values()
        return dict(self._latest.get(train_id, {}))

    def __contains__(self, train_id: object) -> bool:
        return isinstance(train_id, str) and (train_id in self._latest or self.latest_run(train_id) is not None)

    def for_question(self, question: Question) -> Callable[[], dict[str, float]] | None:
        """What a `QuestionSession` reads at grading time: the latest numbers of the run the
        question is about, or None for a question about no run."""
        train_id = question.run
        if not train_id:
            return None
        if question.run_settings:
            settings = question.run_settings
            return lambda: (record.values() if (record := self.latest_run(train_id, None, settings)) else {})
        return lambda: self.latest(train_id)

    def of_question(self, question: Question, lesson_id: str) -> QuestionRuns | None:
        """The runs a question about a run is graded against (None for a question about no run)."""
        return QuestionRuns(self, lesson_id, question.run, question.run_settings) if question.run else None


def _has_settings(record: RunRecord, settings: tuple[tuple[str, Any], ...]) -> bool:
    """Whether `record` was trained with every one of `settings` (numbers compared as numbers)."""
    for key, wanted in settings:
        value = record.settings.get(key)
        if isinstance(wanted, (int, float)) and isinstance(value, (int, float)):
            if float(value) != float(wanted):
                return False
        elif value != wanted:
            return False
    return True


@dataclass(frozen=True)
class QuestionRuns:
    """The runs of one `train` block, as a `QuestionSession` asks for them: the latest (what a
    new answer is graded against) and any by its store id (what an old answer was graded against)."""

    results: RunResults
    lesson_id: str
    train_id: str
    #: The settings a run must have to count (`run_settings:`); () for any run.
    settings: tuple[tuple[str, Any], ...] = ()

    def latest(self) -> RunRecord | None:
        return self.results.latest_run(self.train_id, self.lesson_id, self.settings)

    def get(self, run_id: int) -> RunRecord | None:
        return self.results.get(run_id)


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
        #: The learner's training runs: in the store (opened on first use), else in memory.
        self.runs = RunResults(learner, lambda: self.store)
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
