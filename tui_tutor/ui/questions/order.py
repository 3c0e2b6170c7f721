"""Order questions: put a shuffled list back in order by moving one item at a time.

Why both shift+arrows and u/d: vt100-style terminals (and some SSH clients) send no
shifted arrows. The first order is shuffled with a seed taken from the question id, so it
is the same every time the learner comes back, and it is never already correct.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content

from tui_tutor.grading.result import Result
from tui_tutor.lesson.model import Question
from tui_tutor.lesson.order import initial_order
from tui_tutor.ui.questions.base import LinesWidget, SubmitAnswer, mark, wrap


class OrderAnswer(LinesWidget):
    """A numbered list; the cursor picks an item, u/d (or shift+up/down) move it."""

    HELP_TITLE = "Order"
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("u,shift+up", "shift(-1)", "Move item up", key_display="u"),
        Binding("d,shift+down", "shift(1)", "Move item down", key_display="d"),
        Binding("enter", "check", "Check"),
    ]

    def __init__(self, question: Question, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="answer answer-order")
        self.question = question
        self.order = initial_order(question)
        self.cursor = 0
        self.marks: dict[int, bool] = {}

    def action_move(self, delta: int) -> None:
        self.cursor = max(0, min(len(self.order) - 1, self.cursor + delta))
        self.changed()

    def action_shift(self, delta: int) -> None:
        target = self.cursor + delta
        if not 0 <= target < len(self.order):
            return
        self.order[self.cursor], self.order[target] = self.order[target], self.order[self.cursor]
        self.cursor = target
        self.marks = {}
        self.changed()

    def action_check(self) -> None:
        self.post_message(SubmitAnswer(self))

    def answer(self) -> Any:
        return list(self.order)

    def restore(self, answer: Any) -> None:
        if isinstance(answer, (list, tuple)) and sorted(answer) == list(range(len(self.question.items))):
            self.order = [int(i) for i in answer]
            self.changed()

    def show_result(self, result: Result | None) -> None:
        self.marks = {part.index: part.correct for part in (result.parts if result is not None else ())
                      if part.kind == "position" and 0 <= part.index < len(self.order)}
        self.changed()

    def lines(self, width: int) -> list[Content]:
        plain, out = self.plain, list[Content]()
        digits = len(str(len(self.order)))
        for pos, item in enumerate(self.order):
            pointer = ">" if pos == self.cursor else " "
            prefix = f"{pointer}{str(pos + 1).rjust(digits)}. "
            text = self.question.items[item]
            if pos in self.marks:
                text = f"{text}  {mark(self.marks[pos], plain)}"
            style = self.row_style(pos == self.cursor)
            out.extend(Content.styled(line, style) for line in wrap(prefix, text, width))
        return out
