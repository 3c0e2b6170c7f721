"""The learner's score per exercise, shown with the key points at the end of a lesson."""

from __future__ import annotations

from textual.widgets import Static

from tui_tutor.grading.scoring import lesson_score
from tui_tutor.lesson.model import Lesson


class ScoreSummary(Static):
    """Scores come from the store, where each answer was already scored by the one scoring rule."""

    def __init__(self, lesson: Lesson) -> None:
        super().__init__(classes="block score-summary")
        self.lesson = lesson
        self.border_title = "Your scores"

    def on_mount(self) -> None:
        self.update(self.render_scores())

    def render_scores(self) -> str:
        store = self.app.store
        states = store.lesson_states(self.app.learner, self.lesson.id) if store is not None else {}
        scores: dict[str, float] = {}
        lines = []
        for question in self.lesson.questions():
            if not question.graded:
                continue
            state = states.get(question.id)
            answered = state is not None and state.attempts > 0
            scores[question.id] = float(state.best_score or 0.0) if answered else 0.0
            shown = f"{scores[question.id] * 100:3.0f}%" if answered else "not answered"
            if answered and state.mastered:
                shown += "  mastered"
            label = question.id + (" (optional)" if question.optional else "")
            lines.append(f"{label:<34} {shown}")
        if not lines:
            return "This lesson has no graded exercises."
        lines.append(f"{'Lesson score':<34} {lesson_score(scores, self.lesson.questions()) * 100:3.0f}%")
        return "\n".join(lines)
