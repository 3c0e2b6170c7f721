"""The one scoring rule of tui-tutor.

In plain English:

* A question's score is the best score among the learner's answers to it (partial credit
  counts), so trying again never lowers a score: attempts are counted but cost nothing,
  because learning by trying is encouraged.
* Each hint opened before that best answer costs 10% of it, at most 30% in all.
* Revealing the answer before answering correctly makes the score 0 for this variant;
  the learner can still practise (and score on) fresh variants.
* A question with variants is mastered after `mastery` (default 2) correct first tries in
  a row on fresh variants; a question without variants is mastered once answered
  correctly. Once mastered, it stays mastered.
* A lesson's score is the mean score of its graded questions that are not optional
  (unanswered questions count 0; reflect and optional questions do not count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

HINT_COST = 0.10
MAX_HINT_COST = 0.30


def question_score(best_raw: float, hints_used: int, revealed_before_correct: bool) -> float:
    """Best raw score minus 10% per hint (at most 30%); 0 if the answer was revealed first."""
    if revealed_before_correct:
        return 0.0
    raw = min(1.0, max(0.0, float(best_raw)))
    penalty = min(MAX_HINT_COST, HINT_COST * max(0, int(hints_used)))
    return round(raw * (1.0 - penalty), 10)


def mastered(first_try_results: Sequence[bool], n: int) -> bool:
    """True once `n` consecutive first tries (on fresh variants) were correct."""
    need, run = max(1, int(n)), 0
    for ok in first_try_results:
        run = run + 1 if ok else 0
        if run >= need:
            return True
    return False


def is_mastered(has_variants: bool, store_mastered: bool, best_score: float | None) -> bool:
    """Mastery as the rule above states it; the store keeps the streak of first tries."""
    if has_variants:
        return bool(store_mastered)
    return bool(store_mastered) or (best_score is not None and best_score >= 1.0)


def lesson_score(scores: Mapping[str, float], question_ids: Iterable) -> float:
    """Mean of `scores` over `question_ids` (missing ones count 0); 0.0 if there are none.

    `question_ids` may hold ids or `Question` objects; questions that are optional or not
    graded (reflect) are skipped, so `lesson.questions()` can be passed as is.
    """
    ids = []
    for q in question_ids:
        if isinstance(q, str):
            ids.append(q)
        elif getattr(q, "graded", True) and not getattr(q, "optional", False):
            ids.append(q.id)
    if not ids:
        return 0.0
    return sum(min(1.0, max(0.0, float(scores.get(i, 0.0)))) for i in ids) / len(ids)
