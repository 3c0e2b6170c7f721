"""Which questions a learner has not mastered yet, across all lessons: the review list.

UI-free, so `tui-tutor review` and tests can use it without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_tutor.grading.scoring import is_mastered
from tui_tutor.lesson.model import Lesson, Question


@dataclass(frozen=True)
class ReviewItem:
    lesson: Lesson
    question: Question
    attempts: int
    last_correct: float | None  # unix time of the last correct answer, None if never


def review_items(lessons: list[Lesson], store, learner: str) -> list[ReviewItem]:
    """Graded questions not yet mastered, least recently answered correctly first.

    Questions never answered come after those answered but not mastered: a review is for
    what the learner has met and not yet made their own.
    """
    items: list[ReviewItem] = []
    for lesson in lessons:
        states = store.lesson_states(learner, lesson.id) if store is not None else {}
        for question in lesson.questions():
            if not question.graded or question.optional:
                continue
            state = states.get(question.id)
            if state is not None and is_mastered(question.has_variants, state.mastered, state.best_score):
                continue
            items.append(ReviewItem(lesson, question, state.attempts if state else 0, state.last_correct if state else None))
    met = [i for i in items if i.attempts > 0]
    unmet = [i for i in items if i.attempts == 0]
    met.sort(key=lambda i: (i.last_correct is not None, i.last_correct or 0.0))
    return met + unmet


def mastery_counts(lesson: Lesson, store, learner: str) -> tuple[int, int, int]:
    """(answered, mastered, total) over the lesson's graded, non-optional questions."""
    graded = lesson.graded_questions()
    states = store.lesson_states(learner, lesson.id) if store is not None else {}
    answered = mastered = 0
    for question in graded:
        state = states.get(question.id)
        if state is None or not state.attempts:
            continue
        answered += 1
        mastered += is_mastered(question.has_variants, state.mastered, state.best_score)
    return answered, mastered, len(graded)
