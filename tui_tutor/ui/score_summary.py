"""The learner's score per exercise, shown with the key points at the end of a lesson."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.widgets import Static

from tui_tutor.lesson.model import Lesson
from tui_tutor.review import lesson_tally

if TYPE_CHECKING:
    from tui_tutor.ui.app import TutorApp


class ScoreSummary(Static):
    """Scores come from the store, where each answer was already scored by the one scoring rule;
    the lesson line is the same `Tally` the picker and `tui-tutor progress` show."""

    def __init__(self, lesson: Lesson) -> None:
        super().__init__(classes="block score-summary")
        self.lesson = lesson
        self.border_title = "Your scores"

    def on_mount(self) -> None:
        self.update(self.render_scores())

    def render_scores(self) -> str:
        app = cast("TutorApp", self.app)
        store, learner = app.store, app.learner
        states = store.lesson_states(learner, self.lesson.id) if store is not None else {}
        lines = []
        for question in self.lesson.questions():
            if not question.graded:
                continue
            state = states.get(question.id)
            answered = state is not None and state.attempts > 0
            shown = f"{float(state.best_score or 0.0) * 100:3.0f}%" if state is not None and answered else "not answered"
            if state is not None and state.mastered:
                shown += "  mastered"
            label = question.id + (" (optional)" if question.optional else "")
            lines.append(f"{label:<34} {shown}")
        if not lines:
            return "This lesson has no graded exercises."
        counts = lesson_tally(self.lesson, store, learner)
        lines.append(f"{'Lesson score':<34} {counts.score * 100:3.0f}%")
        return "\n".join(lines)
