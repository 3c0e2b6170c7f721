"""The learner's score per exercise, shown with the key points at the end of a lesson."""

from __future__ import annotations

from textual.widgets import Static

from tui_tutor.lesson.model import Lesson


class ScoreSummary(Static):
    def __init__(self, lesson: Lesson) -> None:
        super().__init__(classes="block score-summary")
        self.lesson = lesson
        self.border_title = "Your scores"

    def on_mount(self) -> None:
        self.update(self.render_scores())

    def render_scores(self) -> str:
        from tui_tutor.grading.scoring import question_score

        store = self.app.store
        states = store.lesson_states(self.app.learner, self.lesson.id) if store is not None else {}
        lines, total, counted = [], 0.0, 0
        for question in self.lesson.questions():
            if not question.graded:
                continue
            state = states.get(question.id)
            if state is None or not state.attempts:
                score, text = 0.0, "not answered"
            else:
                score = question_score(state.best_score, state.hints_used, state.revealed and state.best_score < 1)
                text = f"{score * 100:3.0f}%"
            label = question.id + (" (optional)" if question.optional else "")
            lines.append(f"{label:<32} {text}")
            if not question.optional:
                total += score
                counted += 1
        if counted:
            lines.append(f"{'Lesson score':<32} {total / counted * 100:3.0f}%")
        return "\n".join(lines) or "This lesson has no graded exercises."
