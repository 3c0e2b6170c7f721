"""Matching questions: one row per statement, each showing the option chosen for it.

Why this shape: a learner reads a statement, presses the option's letter, and the cursor
moves on to the next row, so seven statements take seven key presses. Chosen options are
shown as "[A]" / "[ ]", wrong rows get a mark after checking: no colour needed.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content

from tui_tutor.grading.result import Result
from tui_tutor.lesson.model import Question
from tui_tutor.ui.questions.base import LETTERS, LinesWidget, SubmitAnswer, mark, wrap
from tui_tutor.ui.questions.choice import letter_bindings


class MatchingAnswer(LinesWidget):
    """Rows of statements; a letter sets the current row's option and moves down."""

    HELP_TITLE = "Matching"
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("k", "row_key('k')", "Row up", show=False),
        Binding("j", "row_key('j')", "Row down", show=False),
        *letter_bindings("set", "Set option of row"),
        Binding("backspace,delete", "clear", "Clear row", show=False),
        Binding("enter", "check", "Check"),
    ]

    def __init__(self, question: Question, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="answer answer-matching")
        self.question = question
        self.keys = [key for key, _ in question.match_options]
        single = all(len(k.strip()) == 1 and k.strip().lower() in LETTERS for k in self.keys)
        #: keyboard letter -> option key: the key's own letter, else A, B, C... by position.
        self.by_letter = ({k.strip().lower(): k for k in self.keys} if single
                          else {LETTERS[i]: k for i, k in enumerate(self.keys[:26])})
        self.cursor = 0
        self.chosen: list[str | None] = [None] * len(question.statements)
        self.marks: dict[int, bool] = {}

    # -- keys --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "set":
            return str(parameters[0]) in self.by_letter
        return True

    def action_row_key(self, key: str) -> None:
        """j/k move between rows, unless the lesson has options named J or K."""
        if key in self.by_letter:
            self.action_set(key)
        else:
            self.action_move(1 if key == "j" else -1)

    def action_move(self, delta: int) -> None:
        self.cursor = max(0, min(len(self.chosen) - 1, self.cursor + delta))
        self.changed()

    def action_set(self, key: str) -> None:
        if not self.chosen:
            return
        self.chosen[self.cursor] = self.by_letter[key]
        self.marks.pop(self.cursor, None)
        self.cursor = min(len(self.chosen) - 1, self.cursor + 1)
        self.changed()

    def action_clear(self) -> None:
        if self.chosen:
            self.chosen[self.cursor] = None
            self.changed()

    def action_check(self) -> None:
        self.post_message(SubmitAnswer(self))

    # -- answer --------------------------------------------------------------------
    def answer(self) -> Any:
        return list(self.chosen)

    def restore(self, answer: Any) -> None:
        items = answer.items() if isinstance(answer, dict) else enumerate(answer or [])
        for index, key in items:
            try:
                i = int(index)
            except (TypeError, ValueError):
                continue
            if 0 <= i < len(self.chosen):
                self.chosen[i] = key if key in self.keys else None
        self.changed()

    def show_result(self, result: Result | None) -> None:
        self.marks = {part.index: part.correct for part in (result.parts if result is not None else ())
                      if part.kind == "statement" and 0 <= part.index < len(self.chosen)}
        self.changed()

    # -- drawing -------------------------------------------------------------------
    def lines(self, width: int) -> list[Content]:
        plain = self.plain
        legend = "Options: " + ", ".join(f"{k} = {t}" for k, t in self.question.match_options)
        out = [Content(line) for line in wrap("", legend, width)]
        slot = max([len(k) for k in self.keys] + [1])
        for i, statement in enumerate(self.question.statements):
            pointer = ">" if i == self.cursor else " "
            choice = (self.chosen[i] or "").ljust(slot)
            prefix = f"{pointer}[{choice}] {i + 1}. "
            text = statement.text + (" (optional)" if statement.optional else "")
            if i in self.marks:
                text = f"{text}  {mark(self.marks[i], plain)}"
            style = self.row_style(i == self.cursor)
            out.extend(Content.styled(line, style) for line in wrap(prefix, text, width))
        return out
