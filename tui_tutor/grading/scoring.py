"""The one scoring rule of tui-tutor.

In plain English:

* An attempt is a graded answer. Unreadable answers and saved reflections are not attempts
  (a reflection is kept work, not a graded try, so an ungraded question never shows "1 try").
* A question's score is the best credit among the learner's answers to it (partial credit
  counts), so trying again never lowers a score and attempts cost nothing in themselves.
* Each hint opened before an answer costs 10% of that answer's credit, at most 30% in all.
* Revealing the solution before answering the variant correctly makes every later answer to
  that variant earn 0; fresh variants can still be practised and scored.
* Guessing earns nothing: on a single-answer choice question each wrong try on a variant
  lowers the credit still open on that variant by 1/(number of wrong options), so trying
  every option before the right one earns 0 (one wrong try of four options leaves 67%).
  This is PrairieLearn's decreasing points list for retried exam questions (`autoPoints`
  such as [10, 7, 5, 2]), with the steps sized as the classic correction for guessing.
* A question with variants is mastered after `mastery` (default 2, set per lesson) correct,
  unaided (no hint, no solution shown) first tries in a row on fresh variants. A question
  without variants is mastered by a correct answer that earns credit: hints are allowed
  (they already cost score), but not an answer after the solution was shown, nor one reached
  by trying every option. Once mastered, it stays mastered.
* A lesson counts its graded questions that are not optional: "done" is those with an
  attempt, "mastered" those mastered, and its score is their mean score (unanswered ones
  count 0; reflections and optional questions do not count).

`apply(standing, event, rules)` is the rule as code: every view (panel, picker, review list,
`tui-tutor progress`, exports) reads a `Standing` made by it, in memory or from the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

HINT_COST = 0.10
MAX_HINT_COST = 0.30
#: The statuses of a graded answer; "saved" (a reflection) and "invalid" are not attempts.
GRADED = frozenset({"correct", "partial", "wrong"})


@dataclass(frozen=True)
class Rules:
    """What the rule needs to know about the question (not part of the learner's state)."""

    mastery: int = 2
    has_variants: bool = True
    #: For a single-answer choice question: how many of its options are wrong (0 otherwise).
    wrong_options: int = 0

    def __post_init__(self) -> None:
        if self.mastery < 1:
            raise ValueError(f"mastery must be at least 1, not {self.mastery!r}")

    @classmethod
    def for_question(cls, question: Any, mastery: int = 2) -> Rules:
        """The rules of a lesson `Question` (duck-typed: kind, options, has_variants)."""
        wrong = 0
        if question.kind == "choice":
            wrong = sum(1 for option in question.options if not option.correct)
        return cls(mastery=max(1, int(mastery)), has_variants=bool(question.has_variants), wrong_options=wrong)


@dataclass(frozen=True)
class Standing:
    """A learner's state on one question, as the rule leaves it after each event.

    Per variant (reset when a variant starts): hints_used, revealed, revealed_first,
    variant_attempts, misses, solved. Over all variants: the rest.
    """

    attempts: int = 0  # graded answers
    best_score: float | None = None  # None until a graded answer
    hints_used: int = 0
    revealed: bool = False
    #: The solution was shown before this variant was answered correctly.
    revealed_first: bool = False
    hints_total: int = 0
    reveals_total: int = 0
    variant: int = 0
    seed: int | None = None
    variant_attempts: int = 0
    #: Graded answers to this variant that were not correct, before it was solved.
    misses: int = 0
    #: This variant has been answered correctly.
    solved: bool = False
    streak: int = 0  # correct, unaided first tries in a row on fresh variants
    mastered: bool = False
    last_status: str | None = None
    #: The credit of the last graded answer (None before one).
    last_score: float | None = None


@dataclass(frozen=True)
class Answered:
    """An answer was checked. `raw_score` is the grader's score (None for a saved reflection)."""

    status: str
    raw_score: float | None
    variant: int = 0
    seed: int | None = None


@dataclass(frozen=True)
class HintOpened:
    """`count` hints of the current variant are now open."""

    count: int


@dataclass(frozen=True)
class Revealed:
    """The solution of the current variant was shown."""


@dataclass(frozen=True)
class VariantStarted:
    """A fresh variant was drawn: its hints, solution and first try start from zero."""

    number: int
    seed: int | None


Event = Answered | HintOpened | Revealed | VariantStarted


def question_score(best_raw: float, hints_used: int, revealed_before_correct: bool) -> float:
    """Raw score minus 10% per hint (at most 30%); 0 if the solution was revealed first."""
    if revealed_before_correct:
        return 0.0
    raw = min(1.0, max(0.0, float(best_raw)))
    penalty = min(MAX_HINT_COST, HINT_COST * max(0, int(hints_used)))
    return round(raw * (1.0 - penalty), 10)


def guess_cap(misses: int, wrong_options: int) -> float:
    """The credit still open after `misses` wrong tries on a choice question (1.0 for other kinds)."""
    if wrong_options <= 0:
        return 1.0
    return max(0.0, 1.0 - max(0, misses) / wrong_options)


def credit(standing: Standing, raw_score: float, rules: Rules) -> float:
    """What an answer with grader score `raw_score` earns, given the standing before it."""
    scored = question_score(raw_score, standing.hints_used, standing.revealed_first)
    return round(scored * guess_cap(standing.misses, rules.wrong_options), 10)


def _start(standing: Standing, number: int, seed: int | None) -> Standing:
    return replace(standing, variant=int(number), seed=None if seed is None else int(seed), hints_used=0,
                   revealed=False, revealed_first=False, variant_attempts=0, misses=0, solved=False)


def _answered(s: Standing, event: Answered, rules: Rules) -> Standing:
    if event.status == "invalid":
        return s
    if (event.variant, event.seed) != (s.variant, s.seed):
        s = _start(s, event.variant, event.seed)
    if event.status not in GRADED:  # a saved reflection: kept, not an attempt
        return replace(s, last_status=event.status)
    if event.raw_score is None or not (math.isfinite(event.raw_score) and 0.0 <= event.raw_score <= 1.0):
        raise ValueError(f"score must be between 0 and 1, not {event.raw_score!r}")
    correct = event.status == "correct"
    earned = credit(s, event.raw_score, rules)
    streak, mastered = s.streak, s.mastered
    if s.variant_attempts == 0:  # the first try on this variant
        unaided = s.hints_used == 0 and not s.revealed
        streak = streak + 1 if correct and unaided else 0
    if rules.has_variants:
        mastered = mastered or streak >= rules.mastery
    else:
        mastered = mastered or (correct and earned > 0.0)
    return replace(
        s,
        attempts=s.attempts + 1,
        best_score=earned if s.best_score is None else max(s.best_score, earned),
        variant_attempts=s.variant_attempts + 1,
        misses=s.misses + (not correct and not s.solved),
        solved=s.solved or correct,
        streak=streak,
        mastered=mastered,
        last_status=event.status,
        last_score=earned,
    )


def apply(standing: Standing, event: Event, rules: Rules) -> Standing:
    """The standing after `event`: the whole scoring rule, pure."""
    if isinstance(event, Answered):
        return _answered(standing, event, rules)
    if isinstance(event, HintOpened):
        if event.count < 0:
            raise ValueError(f"hints_used must not be negative, not {event.count!r}")
        opened = max(0, event.count - standing.hints_used)
        return replace(standing, hints_used=standing.hints_used + opened, hints_total=standing.hints_total + opened)
    if isinstance(event, Revealed):
        if standing.revealed:
            return standing
        return replace(standing, revealed=True, revealed_first=not standing.solved,
                       reveals_total=standing.reveals_total + 1)
    return _start(standing, event.number, event.seed)


# --------------------------------------------------------------------------- lessons


@dataclass(frozen=True)
class Tally:
    """A lesson's counts, the same wherever they are shown."""

    total: int  # graded questions that are not optional
    done: int  # of those, with at least one attempt
    mastered: int
    score: float  # mean score over `total`, unanswered counting 0; 0.0 if total is 0


def counted(question: Any) -> bool:
    """Whether a question counts toward its lesson: graded and not optional."""
    return bool(getattr(question, "graded", True)) and not getattr(question, "optional", False)


def tally(questions: Iterable[Any], standings: Mapping[str, Standing]) -> Tally:
    """Counts of a lesson from its questions (`Question` objects) and the learner's standings."""
    total = done = mastered = 0
    points = 0.0
    for question in questions:
        if not counted(question):
            continue
        total += 1
        standing = standings.get(question.id)
        if standing is None:
            continue
        done += standing.attempts > 0
        mastered += standing.mastered
        points += min(1.0, max(0.0, float(standing.best_score or 0.0)))
    return Tally(total, done, mastered, points / total if total else 0.0)


def lesson_score(scores: Mapping[str, float], question_ids: Iterable[Any]) -> float:
    """Mean of `scores` over `question_ids` (missing ones count 0); 0.0 if there are none.

    `question_ids` may hold ids or `Question` objects; questions that are optional or not
    graded (reflect) are skipped, so `lesson.questions()` can be passed as is.
    """
    ids = [q if isinstance(q, str) else q.id for q in question_ids if isinstance(q, str) or counted(q)]
    if not ids:
        return 0.0
    return sum(min(1.0, max(0.0, float(scores.get(i, 0.0)))) for i in ids) / len(ids)
