"""One lesson, one step at a time."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui_tutor.lesson.model import Lesson
from tui_tutor.ui.progress_line import ProgressLine
from tui_tutor.ui.step_view import HiddenBlock, build_items


class LessonScreen(Screen):
    BINDINGS = [
        Binding("n", "next_step", "Next"),
        Binding("p", "previous_step", "Prev"),
        Binding("l", "step_list", "Steps"),
        Binding("h", "open_hidden('hint')", "Hint", show=False),
        Binding("s", "open_hidden('solution')", "Solution", show=False),
        Binding("tab", "app.focus_next", "Next field", show=False),
        Binding("shift+tab", "app.focus_previous", "Prev field", show=False),
        Binding("escape,q", "leave", "Back"),
    ]

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson
        self.index = 0

    def compose(self) -> ComposeResult:
        yield Static(self.lesson.title, id="title-bar")
        with Horizontal(id="step-header"):
            yield Static("", id="step-counter")
            yield ProgressLine(id="step-progress")
        yield VerticalScroll(id="step-body", can_focus=True)
        yield Footer()

    async def on_mount(self) -> None:
        start = 0
        store = self.app.store
        if store is not None:
            saved = store.position(self.app.learner, self.lesson.id)
            if saved is not None and 0 <= saved < len(self.lesson.steps):
                start = saved
        await self.show_step(start, save=False)  # nothing to save yet: no write before the first frame

    # -- showing a step ----------------------------------------------------------
    async def show_step(self, index: int, save: bool = True) -> None:
        index = max(0, min(index, len(self.lesson.steps) - 1))
        self.index = index
        step = self.lesson.steps[index]
        body = self.query_one("#step-body", VerticalScroll)
        await body.remove_children()
        widgets = [Static(step.title, classes="step-title")]
        widgets.extend(build_items(step.items, self.lesson, self.app))
        if index == len(self.lesson.steps) - 1:
            from tui_tutor.ui.score_summary import ScoreSummary

            widgets.append(ScoreSummary(self.lesson))
        await body.mount_all(widgets)
        body.scroll_home(animate=False)
        total = len(self.lesson.steps)
        self.query_one("#step-counter", Static).update(f"Step {index + 1} of {total}")
        self.query_one("#step-progress", ProgressLine).set(index + 1, total)
        self._focus_first_interactive(body)
        if save:
            self._save_position()

    def _focus_first_interactive(self, body: VerticalScroll) -> None:
        for widget in body.query("*"):
            # Leave text fields unfocused so letter keys (n, p, ...) keep working.
            if widget.focusable and not isinstance(widget, (VerticalScroll, Input)):
                widget.focus()
                return
        body.focus()

    def _save_position(self) -> None:
        store = self.app.store
        if store is None:
            return
        try:
            store.set_position(self.app.learner, self.lesson.id, self.index)
        except Exception as exc:  # saving the position must never break the lesson
            self.notify(f"Could not save your place: {exc}", severity="warning")

    # -- actions -------------------------------------------------------------------
    async def action_next_step(self) -> None:
        if self.index < len(self.lesson.steps) - 1:
            await self.show_step(self.index + 1)
        else:
            self.notify("This is the last step. Press Esc to go back to the lessons.")

    async def action_previous_step(self) -> None:
        if self.index > 0:
            await self.show_step(self.index - 1)

    def action_step_list(self) -> None:
        from tui_tutor.ui.screens.steps import StepListScreen

        async def jump(choice: int | None) -> None:
            if choice is not None:
                await self.show_step(choice)

        self.app.push_screen(StepListScreen(self.lesson, self.index), jump)

    def action_open_hidden(self, kind: str) -> None:
        """Open the first closed hint (one at a time) or every solution of the step."""
        closed = [b for b in self.query(HiddenBlock) if b.block.kind == kind and not b.is_open]
        if not closed:
            self.notify(f"No more {kind}s in this step.")
            return
        for block in closed[:1] if kind == "hint" else closed:
            block.open()

    def on_train_view_run_ended(self, message) -> None:
        """Keep the run's numbers: questions about the learner's own run are graded against them."""
        from tui_tutor.training.history import run_values

        values = run_values(message.record.history)
        if values:
            self.app.run_values[message.view.spec.id] = values

    def action_leave(self) -> None:
        self.app.back_to_picker(self)
