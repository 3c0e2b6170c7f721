"""One-answer (`choice`) and several-answer (`multi`) questions as a keyboard list.

Why letters: options are labelled A, B, C... in lessons and in solutions, so the key that
picks an option is its letter. Selection is shown with "(*)"/"( )" or "[x]"/"[ ]" so it
reads without colour; the cursor row has a ">" and is reversed while focused.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content

from tui_tutor.grading.result import Result
from tui_tutor.lesson.model import Question
from tui_tutor.ui.questions.base import LETTERS, LinesWidget, SubmitAnswer, mark, wrap


def letter_bindings(action: str, description: str) -> list[Binding]:
    """`a` shown as "a-z" with the description; b..z hidden (the help lists one line)."""
    first = Binding("a", f"{action}('a')", description, key_display="a-z")
    return [first] + [Binding(c, f"{action}('{c}')", "", show=False) for c in LETTERS[1:]]


class ChoiceAnswer(LinesWidget):
    """Options "A. text"; a letter picks (choice) or toggles (multi) that option."""

    HELP_TITLE = "Choice (one answer)"
    BINDINGS = [
        *letter_bindings("letter", "Pick option"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("space", "pick_cursor", "Select"),
        Binding("enter", "check", "Check"),
    ]

    def __init__(self, question: Question, *, id: str | None = None) -> None:
        super().__init__(id=id, classes=f"answer answer-{question.kind}")
        self.question = question
        self.multi = question.kind == "multi"
        self.cursor = 0
        self.selected: set[int] = set()
        self.marks: dict[int, bool] = {}

    # -- keys --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "letter":
            return LETTERS.index(str(parameters[0])) < len(self.question.options)
        return True

    def action_letter(self, key: str) -> None:
        index = LETTERS.index(key)
        self.cursor = index
        self._pick(index)

    def action_move(self, delta: int) -> None:
        self.cursor = max(0, min(len(self.question.options) - 1, self.cursor + delta))
        self.changed()

    def action_pick_cursor(self) -> None:
        self._pick(self.cursor)

    def action_check(self) -> None:
        if not self.multi:
            self.selected = {self.cursor}
            self.changed()
        self.post_message(SubmitAnswer(self))

    def _pick(self, index: int) -> None:
        if self.multi:
            self.selected ^= {index}
        else:
            self.selected = {index}
        self.marks = {}
        self.changed()

    # -- answer --------------------------------------------------------------------
    def answer(self) -> Any:
        letters = [LETTERS[i].upper() for i in sorted(self.selected)]
        if self.multi:
            return letters
        return letters[0] if letters else ""

    def restore(self, answer: Any) -> None:
        picks = answer if isinstance(answer, (list, tuple, set)) else [answer] if answer is not None else []
        self.selected = set()
        for pick in picks:
            if isinstance(pick, int) and not isinstance(pick, bool):
                index = pick
            elif isinstance(pick, str) and len(pick.strip()) == 1:
                index = LETTERS.find(pick.strip().lower())
            else:
                continue
            if 0 <= index < len(self.question.options):
                self.selected.add(index)
        if self.selected:
            self.cursor = min(self.selected)
        self.changed()

    def show_result(self, result: Result | None) -> None:
        self.marks = {part.index: part.correct for part in (result.parts if result is not None else ())
                      if part.kind == "option" and 0 <= part.index < len(self.question.options)}
        self.changed()

    # -- drawing -------------------------------------------------------------------
    def lines(self, width: int) -> list[Content]:
        plain, out = self.plain, list[Content]()
        on, off = ("[x]", "[ ]") if self.multi else ("(*)", "( )")
        for i, option in enumerate(self.question.options):
            pointer = ">" if i == self.cursor else " "
            prefix = f"{pointer}{on if i in self.selected else off} {LETTERS[i].upper()}. "
            text = option.text
            if i in self.marks:
                text = f"{text}  {mark(self.marks[i], plain)}"
            style = self.row_style(i == self.cursor)
            out.extend(Content.styled(line, style) for line in wrap(prefix, text, width))
        return out


class MultiAnswer(ChoiceAnswer):
    """The same list for `multi`: letters and Space toggle, Enter checks the ticked set."""

    HELP_TITLE = "Choice (several answers)"
    BINDINGS = [
        *letter_bindings("letter", "Tick / untick option"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("space", "pick_cursor", "Tick"),
        Binding("enter", "check", "Check"),
    ]
