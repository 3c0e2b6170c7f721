"""One lesson, one step at a time.

The screen reads the learner, the store and run results from its `LessonContext`, never from
the app; its constructor only keeps what it is given, and the saved position is read in
`on_mount`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from tui_tutor.context import LessonContext
from tui_tutor.lesson.model import Lesson
from tui_tutor.ui.app import load_widget_css, tutor_app
from tui_tutor.ui.key_footer import KeyFooter
from tui_tutor.ui.progress_line import ProgressLine
from tui_tutor.ui.step_view import HiddenBlock, build_items, needs_widget_css

if TYPE_CHECKING:  # the training view is imported when a step has one
    from tui_tutor.ui.questions.panel import QuestionPanel
    from tui_tutor.ui.training.view import TrainView


class LessonScreen(Screen[None]):
    # Letters are commands only while no text field has the focus (a field takes every printable
    # key itself). Esc never leaves the lesson: in a field it leaves the field, elsewhere it does
    # nothing, so pressing it once too often is harmless; q leaves.
    BINDINGS = [
        Binding("n", "next_step", "Next"),
        Binding("p", "previous_step", "Prev"),
        Binding("l", "step_list", "Steps"),
        Binding("h", "open_hidden('hint')", "Hint", show=False),
        Binding("s", "open_hidden('solution')", "Solution", show=False),
        Binding("tab", "app.focus_next", "Next field", show=False),
        Binding("shift+tab", "app.focus_previous", "Prev field", show=False),
        Binding("q", "leave", "Lessons"),
    ]

    def __init__(self, lesson: Lesson, context: LessonContext, start: int = 0) -> None:
        super().__init__()
        self.lesson = lesson
        self.context = context
        #: The step on screen; the app passes the saved one (it reads the store, not the constructor).
        self.index = self._clamp(start)

    def compose(self) -> ComposeResult:
        # The first step is composed with the screen, so the first frame already shows it.
        yield Static(self.lesson.title, id="title-bar", markup=False)
        with Horizontal(id="step-header"):
            yield Static(self._counter(), id="step-counter")
            progress = ProgressLine(id="step-progress")
            progress.set(self.index + 1, len(self.lesson.steps))
            yield progress
        with VerticalScroll(id="step-body", can_focus=True):
            yield from self._step_widgets(self.index)
        yield KeyFooter()

    def on_mount(self) -> None:
        # Nothing to save: the step shown is the saved one, so no write before the first frame.
        self._focus_first_interactive(self.query_one("#step-body", VerticalScroll))

    # -- showing a step ----------------------------------------------------------
    def _clamp(self, index: int) -> int:
        return max(0, min(index, len(self.lesson.steps) - 1))

    def _counter(self) -> str:
        return f"Step {self.index + 1} of {len(self.lesson.steps)}"

    def _step_widgets(self, index: int) -> list[Widget]:
        """The widgets of step `index`; a step that cannot be built says so in its place."""
        step = self.lesson.steps[index]
        try:
            if needs_widget_css(step.items):
                load_widget_css(self.app)
            widgets: list[Widget] = [Static(step.title, classes="step-title", markup=False)]
            widgets.extend(build_items(step.items, self.lesson, self.context))
            if index == len(self.lesson.steps) - 1:
                from tui_tutor.ui.score_summary import ScoreSummary

                widgets.append(ScoreSummary(self.lesson))
        except Exception as exc:  # noqa: BLE001 - one broken step must not stop the tutor: say so in its place
            return [self._broken_step(exc)]
        return widgets

    def _broken_step(self, exc: Exception) -> Static:
        return Static(f"This step cannot be shown: {type(exc).__name__}: {exc}. "
                      f"Press n or p for another step; `tui-tutor validate {self.lesson.path}` "
                      "checks the lesson file.", classes="step-error", markup=False)

    async def show_step(self, index: int, save: bool = True) -> None:
        index = self._clamp(index)
        self.index = index
        body = self.query_one("#step-body", VerticalScroll)
        await body.remove_children()
        try:
            await body.mount_all(self._step_widgets(index))
        except Exception as exc:  # noqa: BLE001 - a widget that fails to mount must not stop the tutor either
            await body.remove_children()
            await body.mount(self._broken_step(exc))
        body.scroll_home(animate=False)
        self.query_one("#step-counter", Static).update(self._counter())
        self.query_one("#step-progress", ProgressLine).set(index + 1, len(self.lesson.steps))
        self._focus_first_interactive(body)
        if save:
            self._save_position()

    def _focus_first_interactive(self, body: VerticalScroll) -> None:
        """The first question not yet done takes the focus (its field, for a typed answer, so that
        typing goes straight in); with every question done, the first widget that is no field
        (so that letter keys are commands)."""
        # A step opens at its title, not half-way down: no focus scrolls the view.
        for panel in self._question_panels(body):
            if not panel.done:
                answer = panel.query_one("#answer")
                shown = all(node.display for node in answer.ancestors_with_self if isinstance(node, Widget))
                if answer.focusable and shown:
                    answer.focus(scroll_visible=False)
                    return
        for widget in body.query("*"):
            if widget.focusable and not isinstance(widget, (VerticalScroll, Input)):
                widget.focus(scroll_visible=False)
                return
        body.focus(scroll_visible=False)

    def _question_panels(self, body: VerticalScroll) -> list[QuestionPanel]:
        """The step's question panels. A step without questions has none, and then the question
        widgets are not imported: a lesson that opens on prose draws its first frame ~15 ms sooner."""
        if not self.lesson.steps[self.index].questions():
            return []
        from tui_tutor.ui.questions.panel import QuestionPanel

        return list(body.query(QuestionPanel))

    def _save_position(self) -> None:
        store = self.context.store
        if store is None:
            return
        try:
            store.set_position(self.context.learner, self.lesson.id, self.index)
        except Exception as exc:  # noqa: BLE001 - saving the position must never break the lesson
            self.notify(f"Could not save your place: {exc}", severity="warning")

    # -- actions -------------------------------------------------------------------
    async def action_next_step(self) -> None:
        if self.index < len(self.lesson.steps) - 1:
            await self.show_step(self.index + 1)
        else:
            self.notify("This is the last step. Press q to go back to the lessons.")

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

    def on_question_panel_answered(self, message: object) -> None:
        """Another question answered: each panel's "next step" line says what is left."""
        from tui_tutor.ui.questions.panel import QuestionPanel

        panels = list(self.query(QuestionPanel))
        for panel in panels:
            panel.refresh_next()
        answered = getattr(message, "panel", None)
        if answered is not None and answered.done and answered.focusable:  # a typed answer
            left = [p for p in panels if not p.done and p.query_one("#answer").focusable]
            after = [p for p in left if panels.index(p) > panels.index(answered)]
            if after or left:  # on to the next question of the step, ready to type
                (after or left)[0].focus_answer()

    def on_train_view_run_ended(self, message: TrainView.RunEnded) -> None:
        """Keep the run (the view has saved it already; saving again does nothing): questions about
        the learner's own run are graded against it. Panels on the step say the run is newer."""
        record = message.record
        record.train_id = record.train_id or message.view.spec.id
        self.context.runs.save(self.lesson.id, record)
        if self.context.runs.problem:
            self.notify(self.context.runs.problem, severity="warning")
        if self.lesson.steps[self.index].questions():
            from tui_tutor.ui.questions.panel import QuestionPanel

            for panel in self.query(QuestionPanel):
                panel.refresh_next()

    def action_leave(self) -> None:
        tutor_app(self).back_to_picker(self)
