"""One learner working on one question: the only place where a question, the grading engine,
its variants and the progress store meet.

Why a UI-free class: what is recorded and when must be the same whatever draws it, and
must be testable without a terminal. The screen only shows what this class decides. What
counts as an attempt, the score and mastery are not worked out here: they are the
`Standing` that `grading.scoring.apply` (the one rule) makes, kept by the store when there
is one, and in memory when there is none (or when it fails).

Durability: every graded answer is recorded *before* `check` returns, so what the screen
shows as checked is on disk. A failing store never loses the learner's work on screen: the
error is kept in `store_problem` and the session goes on in memory.

Questions about a training run (`run:`) are graded against the learner's latest run of that
`train` block (`runs.latest()`), and the answer names that run in the store. A restored
answer is checked again against the run it was answered with (`runs.get`), never a newer
one: a later run does not change an old verdict; answering again grades against the latest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tui_tutor.grading.checkers import check as grade
from tui_tutor.grading.checkers import key_text
from tui_tutor.grading.codec import decode_answer, encode_answer
from tui_tutor.grading.result import Result
from tui_tutor.grading.scoring import GRADED, Answered, Event, HintOpened, Revealed, Rules, Standing, VariantStarted, apply
from tui_tutor.grading.variants import VariantError, draw, render, variant_seed
from tui_tutor.grading.wording import graded_against, newer_run_note, run_name, settings_words, unreadable
from tui_tutor.lesson.model import Question
from tui_tutor.progress.store import ProgressStore, QuestionState, StoreError

if TYPE_CHECKING:
    from tui_tutor.training.records import RunRecord

_STORE_ERRORS = (sqlite3.Error, StoreError, OSError)
_T = TypeVar("_T")


class RunSource(Protocol):
    """The runs of the `train` block a question is about (see `context.QuestionRuns`)."""

    def latest(self) -> RunRecord | None:
        """The latest run: what a new answer is graded against (None before the first)."""

    def get(self, run_id: int) -> RunRecord | None:
        """The run with store id `run_id` (what an earlier answer was graded against)."""


def _same_run(a: RunRecord, b: RunRecord) -> bool:
    return a is b or (a.store_id is not None and a.store_id == b.store_id)


def describe_run(record: RunRecord) -> str:
    """"run 3: seed 2, 2 units, final loss 0.6931" (see `wording.run_name`)."""
    return run_name(record.number, record.settings, record.values())


class QuestionSession:
    """State and rules of one question for one learner; works without a store too."""

    def __init__(
        self,
        question: Question,
        lesson_id: str,
        learner: str,
        store: ProgressStore | None,
        mastery_n: int = 2,
        run_values: Callable[[], dict[str, float]] | None = None,
        runs: RunSource | None = None,
    ) -> None:
        self.base = question
        #: For questions about a training run: the numbers of the learner's latest run (used
        #: when `runs` has none, e.g. numbers recorded without a run record).
        self.run_values = run_values
        #: For questions about a training run: the runs of its `train` block.
        self.runs = runs
        #: The run the shown result was graded against (None: not about a run, or no record).
        self.graded_run: RunRecord | None = None
        self.lesson_id = lesson_id
        self.learner = learner
        self.store = store
        #: What the scoring rule needs to know about this question.
        self.rules = Rules.for_question(question, mastery_n)
        #: A learner-facing sentence when saving or reading progress failed (None when fine).
        self.store_problem: str | None = None
        #: A learner-facing sentence when the question's variants could not be drawn.
        self.variant_problem: str | None = None
        self._variant = 0
        self._seed: int | None = None
        self._values: dict[str, float] = {}
        self._question = question
        self._standing = Standing()
        self._last_answer: Any = None
        self._last_result: Result | None = None
        #: True once the store holds this variant's number and seed (so hints stick to it).
        self._pinned = False
        self._restore()

    # ------------------------------------------------------------------ restore

    def _restore(self) -> None:
        state = self._call(lambda s: s.question_state(self.learner, self.lesson_id, self.base.id))
        if not isinstance(state, QuestionState):
            self._use_variant(0, self._seed_for(0))
            self._standing = Standing(variant=0, seed=self._seed)
            return
        seed = state.seed if state.seed is not None else self._seed_for(state.variant)
        self._use_variant(state.variant, seed)
        self._pinned = state.seed is not None
        self._standing = state.standing
        answered_here = state.variant_attempts > 0 or state.last_status == "saved"
        if answered_here and state.last_answer is not None:
            answer = decode_answer(self.base.kind, state.last_answer)
            if answer is not None:
                self._last_answer = answer
                if self.base.run:  # against the run it was answered with, not the latest
                    self.graded_run = self._answered_run()
                    values = {**self._values, **(self.graded_run.values() if self.graded_run else self._run_numbers())}
                else:
                    values = self._grading_values()
                self._last_result = grade(self._question, answer, values)  # pure: not recorded again

    def _answered_run(self) -> RunRecord | None:
        """The run the stored last answer was graded against (the latest one when the answer
        names none: answers from before runs were stored)."""
        if self.runs is None:
            return None
        run_id = self._call(lambda s: s.answer_run(self.learner, self.lesson_id, self.base.id))
        found = self.runs.get(run_id) if isinstance(run_id, int) else None
        return found if found is not None else self.runs.latest()

    def _seed_for(self, number: int) -> int:
        return variant_seed(self.learner, self.lesson_id, self.base.id, number)

    def _use_variant(self, number: int, seed: int | None) -> None:
        self._variant, self._seed = number, seed
        self._values, self._question = {}, self.base
        if not self.base.params:
            return
        try:
            values = draw(self.base, number, seed if seed is not None else self._seed_for(number))
            self._question, self._values = render(self.base, values), values
            self.variant_problem = None
        except VariantError as exc:  # a lesson problem: show the question as written
            self.variant_problem = f"This question's numbers could not be filled in ({exc})."
        except Exception as exc:  # noqa: BLE001 - a bug in drawing must not stop the lesson
            self.variant_problem = f"This question's numbers could not be filled in ({type(exc).__name__})."

    # ------------------------------------------------------------------ store plumbing

    def _call(self, fn: Callable[[ProgressStore], _T]) -> _T | None:
        """Run one store operation; a failure is kept for the UI, never raised."""
        if self.store is None:
            return None
        try:
            result = fn(self.store)
        except _STORE_ERRORS as exc:
            self.store_problem = f"Progress was not saved: {exc}"
            return None
        except Exception as exc:  # noqa: BLE001 - any store bug: keep the learner's work on screen
            self.store_problem = f"Progress was not saved ({type(exc).__name__}: {exc})."
            return None
        self.store_problem = None
        return result

    def _record(self, event: Event, write: Callable[[ProgressStore], QuestionState]) -> None:
        """The one way the standing changes: the store applies the rule and keeps the result;
        without a store (or when it fails) the same rule is applied in memory."""
        state = self._call(write)
        if isinstance(state, QuestionState):  # the store's word wins (another tutor may share it)
            self._standing = state.standing
            self._pinned = True
        else:
            self._standing = apply(self._standing, event, self.rules)

    def _pin(self) -> None:
        """Before the first hint or reveal: store the variant in use, so they belong to it."""
        if not self._pinned and self.store is not None:
            variant, seed = self._variant, self._seed
            self._record(VariantStarted(variant, seed),
                         lambda s: s.start_variant(self.learner, self.lesson_id, self.base.id, variant, seed))
            self._pinned = self.store_problem is None

    # ------------------------------------------------------------------ read-only view

    @property
    def question(self) -> Question:
        """The current variant, with its numbers filled in."""
        return self._question

    @property
    def values(self) -> dict[str, float]:
        return dict(self._values)

    @property
    def variant(self) -> int:
        return self._variant

    @property
    def seed(self) -> int | None:
        return self._seed

    @property
    def standing(self) -> Standing:
        """The learner's standing on this question, as the one scoring rule left it."""
        return self._standing

    @property
    def attempts(self) -> int:
        """Graded answers over all variants (unreadable answers and reflections do not count)."""
        return self._standing.attempts

    @property
    def variant_attempts(self) -> int:
        return self._standing.variant_attempts

    @property
    def hints_shown(self) -> int:
        return min(self._standing.hints_used, len(self._question.hints))

    @property
    def hints(self) -> tuple[str, ...]:
        """The hints opened so far on this variant, in order."""
        return self._question.hints[: self.hints_shown]

    @property
    def hints_left(self) -> int:
        return len(self._question.hints) - self.hints_shown

    @property
    def revealed(self) -> bool:
        return self._standing.revealed

    @property
    def last_result(self) -> Result | None:
        return self._last_result

    @property
    def last_answer(self) -> Any:
        return self._last_answer

    @property
    def solved_variant(self) -> bool:
        """True once the current variant was answered correctly."""
        return self._standing.solved

    @property
    def mastered(self) -> bool:
        return self._standing.mastered

    @property
    def streak(self) -> int:
        return self._standing.streak

    @property
    def score(self) -> float:
        """The question's score: its best credit by the one rule (0 before a graded answer)."""
        return float(self._standing.best_score or 0.0)

    @property
    def graded(self) -> bool:
        return self.base.graded

    @property
    def can_vary(self) -> bool:
        return bool(self.base.params)

    # ------------------------------------------------------------------ actions

    def latest_run(self) -> RunRecord | None:
        """The learner's latest run of the question's `train` block (None: none, or not about a run)."""
        return self.runs.latest() if self.runs is not None and self.base.run else None

    def _run_numbers(self, record: RunRecord | None = None) -> dict[str, float]:
        """The numbers of `record`, else of the latest run."""
        record = record if record is not None else self.latest_run()
        if record is not None and record.values():
            return record.values()
        return (self.run_values() or {}) if self.run_values else {}

    def _grading_values(self) -> dict[str, float]:
        """The variant's values, plus the numbers of the learner's run for questions about one:
        the run the shown result was graded against, else the latest."""
        return {**self._values, **self._run_numbers(self.graded_run)} if self.base.run else self._values

    @property
    def run_note(self) -> str:
        """For a question about a run: which run the shown result was graded against, and
        whether a newer one can be answered against ("" when there is nothing to say)."""
        if not self.base.run or self._last_result is None or self.graded_run is None:
            return ""
        note = graded_against(describe_run(self.graded_run))
        latest = self.latest_run()
        if latest is not None and not _same_run(latest, self.graded_run):
            note += " " + newer_run_note(describe_run(latest))
        return note

    def check(self, answer: Any) -> Result:
        """Grade `answer` (about a run: against the latest run); record it (unless unreadable)
        before returning the result."""
        run: RunRecord | None = None
        if self.base.run:
            run = self.latest_run()
            if not self._run_numbers(run):
                needs = settings_words(self.base.run_settings)
                return Result("invalid", 0.0, unreadable(self.base.kind, "train_first", settings=needs),
                              reason="train_first", kind=self.base.kind)
        values = {**self._values, **self._run_numbers(run)} if self.base.run else self._values
        result = grade(self._question, answer, values)
        if result.status == "invalid":
            return result  # not an attempt, not stored; the previous feedback stays valid
        raw = result.score if result.status in GRADED else None
        event = Answered(result.status, raw, self._variant, self._seed)
        run_id = run.store_id if run is not None else None
        self._record(event, lambda s: s.record_answer(
            self.learner, self.lesson_id, self.base.id,
            answer=encode_answer(self.base.kind, answer), status=result.status, score=raw,
            variant=self._variant, seed=self._seed, rules=self.rules, run_id=run_id))
        self._last_answer, self._last_result = answer, result
        self.graded_run = run
        return result

    def next_hint(self) -> str | None:
        """Open the next hint (recorded); None when there is none left."""
        count = self.hints_shown + 1
        if count > len(self._question.hints):
            return None
        self._pin()
        self._record(HintOpened(count), lambda s: s.record_hint(self.learner, self.lesson_id, self.base.id, count))
        return self._question.hints[count - 1]

    def reveal(self) -> str:
        """The answer and the worked solution as Markdown; recorded once per variant."""
        if not self.revealed:
            self._pin()
            self._record(Revealed(), lambda s: s.record_reveal(self.learner, self.lesson_id, self.base.id))
        return self.solution_text()

    def solution_text(self) -> str:
        """What `reveal` shows: "**Answer:** ..." then the lesson's solution, if any."""
        has_run = not self.base.run or self._run_numbers(self.graded_run)
        key = key_text(self._question, self._grading_values()) if has_run else "(train the model first)"
        parts = []
        if key:
            parts.append(f"**Answer:**\n\n{key}" if "\n" in key else f"**Answer:** {key}")
        if self._question.solution.strip():
            parts.append(self._question.solution.strip())
        return "\n\n".join(parts) or "(This question has no written solution.)"

    def new_variant(self) -> Question:
        """Practise on fresh numbers: the next variant, with hints, reveal and feedback reset."""
        if not self.can_vary:
            return self._question
        number = self._variant + 1
        seed = self._seed_for(number)
        self._use_variant(number, seed)
        self._record(VariantStarted(number, seed),
                     lambda s: s.start_variant(self.learner, self.lesson_id, self.base.id, number, seed))
        self._pinned = self.store is not None and self.store_problem is None
        self._last_answer = self._last_result = None
        self.graded_run = None
        return self._question
