"""Typed answers (numeric, text, reflect): a one-line `Input` whose Enter asks for a check.

Why one module: the three differ only in placeholder and wording; grading (and the plain
"could not read ..." message for unreadable numbers) belongs to the grading engine.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import Input

from tui_tutor.grading.result import Result
from tui_tutor.ui.questions.base import AnswerMixin, SubmitAnswer

PLACEHOLDERS = {
    "numeric": "type a number or expression, e.g. 5/4",
    "text": "type your answer",
    "reflect": "write a few words; Enter saves them",
}


class TypedAnswer(AnswerMixin, Input):
    """An Input for numeric, text and reflect answers."""

    HELP_TITLE = "Typed answer"
    BINDINGS = [
        Binding("enter", "submit", "Check"),
    ]
    takes_text = True

    def __init__(self, kind: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDERS.get(kind, "type your answer"), id=id,
                         classes=f"answer answer-{kind}", select_on_focus=True)  # typing replaces a re-opened answer
        self.kind = kind
        # A blinking cursor redraws twice a second (~1.7 KB/s over SSH) while the learner thinks.
        self.cursor_blink = False

    async def action_submit(self) -> None:
        """Enter: the panel checks (or saves) the answer; no `Input.Submitted` is posted."""
        self.post_message(SubmitAnswer(self))

    def answer(self) -> Any:
        return self.value

    def restore(self, answer: Any) -> None:
        self.value = "" if answer is None else str(answer)
        self.cursor_position = len(self.value)

    def show_result(self, result: Result | None) -> None:
        self.set_class(result is not None and result.status == "correct", "-correct")
        self.set_class(result is not None and result.status in ("wrong", "partial"), "-wrong")


class ReflectAnswer(TypedAnswer):
    """The same field for `reflect`: Enter saves the words (never graded)."""

    HELP_TITLE = "Reflection"
    BINDINGS = [Binding("enter", "submit", "Save")]
