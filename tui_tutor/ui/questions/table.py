"""Table questions: a grid of shown cells and blanks, with a tiny in-place cell editor.

Why a hand-made grid and not DataTable + Input: the blanks must be edited where they sit,
with arrows/Tab moving between blanks only, and the grid must fit the lesson view (74
columns at 80x24, fewer on small terminals): widths are computed, long headings wrap.
The cell being edited reads `[9_]` (a bracket and a cursor), so it is visible without colour.
"""

from __future__ import annotations

import textwrap
from typing import Any

from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.content import Content

from tui_tutor.grading.result import Result
from tui_tutor.lesson.model import Question
from tui_tutor.ui.questions.base import LinesWidget, SubmitAnswer, mark

MAX_CELL = 24  # characters a learner may type into one cell
MIN_BLANK = 4  # inner width of an empty blank: "[    ]"


def _shown(value: str) -> str:
    """A fixed cell's text without Markdown emphasis (lessons copy `**MSE:**` from tables)."""
    text = " ".join(str(value).split())
    return text.strip("*_ ") if text.startswith(("**", "__")) else text


def _fit(text: str, width: int, plain: bool) -> str:
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + ("~" if plain else "\u2026")


class TableAnswer(LinesWidget):
    """A grid; blanks are edited in place: type, Backspace; arrows/Tab move between blanks."""

    HELP_TITLE = "Table"
    BINDINGS = [
        Binding("left", "step(-1)", "Previous blank", show=False),
        Binding("right", "step(1)", "Next blank", show=False),
        Binding("up", "row(-1)", "Blank above", show=False),
        Binding("down", "row(1)", "Blank below", show=False),
        Binding("tab", "tab(1)", "Next blank", show=False),
        Binding("shift+tab", "tab(-1)", "Previous blank", show=False),
        Binding("backspace", "backspace", "Delete character", show=False),
        Binding("delete,ctrl+u", "clear", "Clear cell", show=False),
        Binding("enter", "check", "Check"),
    ]
    takes_text = True

    def __init__(self, question: Question, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="answer answer-table")
        self.question = question
        self.blanks = [(r, c) for r, row in enumerate(question.rows) for c, cell in enumerate(row) if cell.is_blank]
        self.texts: dict[tuple[int, int], str] = {rc: "" for rc in self.blanks}
        self.current = 0
        self.marks: dict[tuple[int, int], bool] = {}
        self.ncols = max([len(question.columns)] + [len(row) for row in question.rows] + [1])
        #: After a wrong answer the next key typed replaces the cell's text (as a selected field).
        self.replace_next = False

    # -- editing -------------------------------------------------------------------
    @property
    def cell(self) -> tuple[int, int] | None:
        return self.blanks[self.current] if self.blanks else None

    def type_text(self, text: str) -> None:
        """Append typed characters to the current blank (also used by the panel)."""
        cell = self.cell
        if cell is None:
            return
        if self.replace_next:
            self.texts[cell] = ""
            self.replace_next = False
        self.texts[cell] = (self.texts[cell] + text)[:MAX_CELL]
        self.marks.pop(cell, None)
        self.changed()

    def on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character and event.key not in ("enter", "tab"):
            event.stop()
            event.prevent_default()
            self.type_text(event.character)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        self.type_text(" ".join(event.text.split()))

    def on_blur(self) -> None:  # LinesWidget.on_blur redraws too (Textual calls both)
        self.replace_next = False

    def action_backspace(self) -> None:
        cell = self.cell
        if cell is not None and self.replace_next:
            self.replace_next = False
            self.action_clear()
        elif cell is not None and self.texts[cell]:
            self.texts[cell] = self.texts[cell][:-1]
            self.marks.pop(cell, None)
            self.changed()

    def action_clear(self) -> None:
        cell = self.cell
        if cell is not None:
            self.texts[cell] = ""
            self.marks.pop(cell, None)
            self.changed()

    def action_step(self, delta: int) -> None:
        self.replace_next = False
        if self.blanks:
            self.current = max(0, min(len(self.blanks) - 1, self.current + delta))
            self.changed()

    def action_tab(self, delta: int) -> None:
        """Tab walks the blanks, then leaves the table (so Tab never traps the focus)."""
        self.replace_next = False
        target = self.current + delta
        if not 0 <= target < len(self.blanks):
            raise SkipAction()
        self.current = target
        self.changed()

    def action_row(self, delta: int) -> None:
        cell = self.cell
        if cell is None:
            return
        r, c = cell
        rows = sorted({rr for rr, _ in self.blanks}, reverse=delta < 0)
        for rr in rows:
            if (rr - r) * delta > 0:
                nearest = min((bc for br, bc in self.blanks if br == rr), key=lambda bc: abs(bc - c))
                self.current = self.blanks.index((rr, nearest))
                self.changed()
                return

    def action_check(self) -> None:
        self.post_message(SubmitAnswer(self))

    # -- answer --------------------------------------------------------------------
    def answer(self) -> Any:
        return dict(self.texts)

    def restore(self, answer: Any) -> None:
        if isinstance(answer, dict):
            for key, text in answer.items():
                if key in self.texts:
                    self.texts[key] = "" if text is None else str(text)[:MAX_CELL]
            self.changed()

    def show_result(self, result: Result | None) -> None:
        self.marks = {part.cell: part.correct for part in (result.parts if result is not None else ())
                      if part.cell is not None and part.cell in self.texts}
        self.changed()

    # -- drawing -------------------------------------------------------------------
    def _blank_text(self, rc: tuple[int, int], editing: bool) -> str:
        text = self.texts[rc] + ("_" if editing else "")
        shown = f"[{text.ljust(MIN_BLANK)}]"
        if rc in self.marks:
            shown += " " + mark(self.marks[rc], self.plain)
        return shown

    def _grid(self, editing: tuple[int, int] | None) -> tuple[list[list[str]], list[list[bool]]]:
        """The text of every cell (blanks drawn as `[..]`) and which cells are blanks."""
        body, blanks = [], []
        for r, row in enumerate(self.question.rows):
            cells = [row[c] if c < len(row) else None for c in range(self.ncols)]
            flags = [cell is not None and cell.is_blank for cell in cells]
            body.append([self._blank_text((r, c), editing == (r, c)) if flag else _shown(cell.value if cell else "")
                         for c, (cell, flag) in enumerate(zip(cells, flags))])
            blanks.append(flags)
        return body, blanks

    def _widths(self, width: int, body: list[list[str]], blanks: list[list[bool]]) -> list[int]:
        """Natural column widths, shrunk (widest first) until a row fits `width`.

        Blank cells are never cut (what is typed must stay readable); headings wrap and
        shown cells are cut with a marker instead.
        """
        cols = range(self.ncols)
        floor = [max([len(row[c]) for row, flags in zip(body, blanks) if flags[c]] + [3]) for c in cols]
        widths = [max([len(row[c]) for row in body] + [len(self._header(c)), 1]) for c in cols]
        while sum(widths) + 3 * (self.ncols - 1) > width:
            c = max(cols, key=lambda i: (widths[i] - floor[i], widths[i]))
            if widths[c] <= floor[c]:
                break
            widths[c] -= 1
        return widths

    def _header(self, c: int) -> str:
        return _shown(self.question.columns[c]) if c < len(self.question.columns) else ""

    def lines(self, width: int) -> list[Content]:
        plain = self.plain
        bar, cross, dash = (" | ", "-+-", "-") if plain else (" \u2502 ", "\u2500\u253c\u2500", "\u2500")
        editing = self.cell if self.has_focus else None
        body, blanks = self._grid(editing)
        widths = self._widths(width, body, blanks)
        heads = [textwrap.wrap(self._header(c), widths[c]) or [""] for c in range(self.ncols)]
        out: list[Content] = []
        for i in range(max(len(h) for h in heads)):
            text = bar.join((h[i] if i < len(h) else "").ljust(w) for h, w in zip(heads, widths))
            out.append(Content.styled(text.rstrip(), "bold"))
        out.append(Content(cross.join(dash * w for w in widths)))
        for r, cells in enumerate(body):
            parts: list[Content | str] = []
            for c, (text, w) in enumerate(zip(cells, widths)):
                shown = _fit(text, w, plain)
                parts += [bar] if c else []
                parts.append(Content.styled(shown, "reverse") if editing == (r, c) else shown)
                parts.append(" " * (w - len(shown)))
            out.append(Content.assemble(*parts).rstrip())
        return out
