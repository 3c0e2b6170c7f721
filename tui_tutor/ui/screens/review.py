"""Review: the questions not yet mastered across all lessons, drilled with fresh variants."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui_tutor.context import LessonContext
from tui_tutor.lesson.catalog import Catalog
from tui_tutor.review import ReviewItem, review_items
from tui_tutor.session import QuestionSession
from tui_tutor.ui.app import tutor_app
from tui_tutor.ui.questions.panel import QuestionPanel


def _first_line(text: str, width: int = 44) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= width else line[: width - 3] + "..."


class ReviewScreen(Screen[None]):
    HELP_TITLE = "Review"
    BINDINGS = [
        Binding("enter", "drill", "Practise", show=True),
        Binding("escape,q", "leave", "Back"),
    ]

    def __init__(self, catalog: Catalog, context: LessonContext) -> None:
        super().__init__()
        self.catalog = catalog
        self.context = context
        self.items: list[ReviewItem] = []

    def compose(self) -> ComposeResult:
        yield Static("Review: questions you have not mastered yet", id="title-bar")
        yield Static("", id="review-hint")
        yield OptionList(id="review-list")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_items()
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        self.refresh_items()

    def refresh_items(self) -> None:
        self.items = review_items(self.catalog.lessons, self.context.store, self.context.learner)
        options = self.query_one(OptionList)
        options.clear_options()
        for item in self.items:
            status = "never answered" if not item.attempts else ("not yet right" if item.last_correct is None else "practise again")
            options.add_option(Option(f"{item.question.id:<22} {status:<15} {_first_line(item.question.prompt, 36)}"))
        hint = self.query_one("#review-hint", Static)
        if self.items:
            hint.update(f"{len(self.items)} to go. Enter practises the highlighted question with fresh numbers.")
            options.highlighted = 0
        else:
            hint.update("Everything you have met is mastered. Well done!")

    def action_drill(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and 0 <= index < len(self.items):
            self.app.push_screen(DrillScreen(self.items[index], self._session(self.items[index])))

    def _session(self, item: ReviewItem) -> QuestionSession:
        """The item's question for this learner; one already met starts on a fresh variant."""
        lesson, question = item.lesson, item.question
        session = QuestionSession(question, lesson.id, self.context.learner, self.context.store, mastery_n=lesson.mastery,
                                  run_values=self.context.runs.for_question(question))
        if session.can_vary and (session.variant_attempts or session.revealed):
            session.new_variant()  # fresh numbers: a revealed or answered variant proves nothing
        return session

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_drill()

    def action_leave(self) -> None:
        tutor_app(self).back_to_picker(self)


class DrillScreen(Screen[None]):
    """One question on its own, with the session the review screen made for it (fresh numbers
    for a question already met)."""

    HELP_TITLE = "Practice"
    BINDINGS = [Binding("escape,q", "leave", "Back to review")]

    def __init__(self, item: ReviewItem, session: QuestionSession) -> None:
        super().__init__()
        self.item = item
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static(f"Practice: {self.item.lesson.title}", id="title-bar")
        with VerticalScroll(id="step-body"):
            yield QuestionPanel(self.session)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QuestionPanel).focus_answer()

    def on_question_panel_answered(self, event: QuestionPanel.Answered) -> None:
        if event.session.mastered:
            self.notify("Mastered! It leaves the review list.")

    def action_leave(self) -> None:
        self.dismiss()
