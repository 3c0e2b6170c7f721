"""What a learner has done and mastered, per lesson and across lessons: the review list and
the counts the picker shows.

UI-free, so `tui-tutor review`, `tui-tutor progress` and tests use the same functions. The
counting itself is `grading.scoring.tally`; this module only fetches the standings.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_tutor.grading.scoring import Standing, Tally, counted, tally
from tui_tutor.lesson.model import Lesson, Question
from tui_tutor.progress.store import ProgressStore, QuestionState


@dataclass(frozen=True)
class ReviewItem:
    lesson: Lesson
    question: Question
    attempts: int
    last_correct: float | None  # unix time of the last correct answer, None if never


def _states(store: ProgressStore | None, learner: str, lesson: Lesson) -> dict[str, QuestionState]:
    return store.lesson_states(learner, lesson.id) if store is not None else {}


def lesson_tally(lesson: Lesson, store: ProgressStore | None, learner: str) -> Tally:
    """Done, mastered, total and score of one lesson, by the one rule."""
    states: dict[str, Standing] = dict(_states(store, learner, lesson))
    return tally(lesson.questions(), states)


def review_items(lessons: list[Lesson], store: ProgressStore | None, learner: str) -> list[ReviewItem]:
    """Counted questions (graded, not optional) not yet mastered, least recently right first.

    Questions never answered come after those answered but not mastered: a review is for
    what the learner has met and not yet made their own.
    """
    items: list[ReviewItem] = []
    for lesson in lessons:
        states = _states(store, learner, lesson)
        for question in lesson.questions():
            if not counted(question):
                continue
            state = states.get(question.id)
            if state is not None and state.mastered:
                continue
            items.append(ReviewItem(lesson, question, state.attempts if state else 0, state.last_correct if state else None))
    met = [i for i in items if i.attempts > 0]
    unmet = [i for i in items if i.attempts == 0]
    met.sort(key=lambda i: (i.last_correct is not None, i.last_correct or 0.0))
    return met + unmet
