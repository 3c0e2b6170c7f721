"""A list of the lesson's steps to jump to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_tutor.lesson.model import Lesson
from tui_tutor.ui.key_footer import KeyFooter


class StepListScreen(ModalScreen[int | None]):
    BINDINGS = [
        Binding("enter", "choose", "Go to step", show=True),
        Binding("escape,l", "close", "Close"),
    ]

    def __init__(self, lesson: Lesson, current: int) -> None:
        super().__init__()
        self.lesson = lesson
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="step-list-box"):
            yield Static(f"Steps of {self.lesson.title}", classes="dialog-title", markup=False)
            yield OptionList(  # titles are literal text: `[/bold]` in a title is shown, not parsed
                *(Option(Content(f"{i + 1:>2}. {s.title}" + ("  <- you are here" if i == self.current else "")),
                         id=str(i))
                  for i, s in enumerate(self.lesson.steps)),
                id="step-options",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = self.current
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_index)

    def action_choose(self) -> None:
        index = self.query_one(OptionList).highlighted
        self.dismiss(index)

    def action_close(self) -> None:
        self.dismiss(None)
