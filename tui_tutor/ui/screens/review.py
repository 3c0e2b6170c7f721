"""Review: the questions not yet mastered across all lessons, drilled with fresh variants.

The list shows each question as the learner met it, in one line of plain text (numbers
filled in, Markdown marks gone, cut with an ellipsis to the list's width) under the title of
its lesson. A question about the learner's own training run is offered once the learner has
a run of its `train` block (saved in the store): the practice screen names the run it grades
against (the latest). Until then it is left out, and the review says so in one line.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_tutor.context import LessonContext
from tui_tutor.lesson.catalog import Catalog
from rich.text import Text

from tui_tutor.grading.result import Result
from tui_tutor.review import ReviewItem, about_runs_note, fit, review, shown_prompt
from tui_tutor.grading.wording import practice_no_run, practice_run
from tui_tutor.session import QuestionSession, describe_run
from tui_tutor.ui.app import tutor_app
from tui_tutor.ui.key_footer import KeyFooter
from tui_tutor.ui.questions.base import ascii_mode
from tui_tutor.ui.questions.panel import QuestionPanel

#: The status column of a row: "never answered", "not yet right", "practise again".
STATUS_WIDTH = 14


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
        #: Questions left out because they are about a training run (see tui_tutor/review.py).
        self.about_runs: list[ReviewItem] = []
        #: The item of each row of the list; None for a lesson's title.
        self.rows: list[ReviewItem | None] = []
        self._width = 0  # the width the rows were cut for

    def compose(self) -> ComposeResult:
        yield Static("Review: questions you have not mastered yet", id="title-bar")
        yield Static("", id="review-hint")
        yield OptionList(id="review-list")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_items()
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        self.refresh_items()

    def refresh_items(self) -> None:
        runs = self.context.runs
        found = review(self.catalog.lessons, self.context.store, self.context.learner,
                       has_run=lambda lesson_id, train_id: runs.latest_run(train_id, lesson_id) is not None)
        self.items, self.about_runs = found.items, found.about_runs
        self._fill_list()
        self._show_hint()

    def _show_hint(self) -> None:
        hint = self.query_one("#review-hint", Static)
        lines = [f"{len(self.items)} to go. Enter practises the highlighted question with fresh numbers."
                 if self.items else "Everything you have met is mastered. Well done!"]
        if note := about_runs_note(len(self.about_runs)):
            lines.append(note)
        width = max(20, self.app.size.width - 2)  # the screen's, less the hint's padding (an empty list is narrow)
        hint.update(Text("\n".join(fit(line, width, self._ellipsis()) for line in lines)))

    def on_resize(self) -> None:
        if self._width and self._width != self._row_width():
            self._fill_list()
            self._show_hint()

    def _ellipsis(self) -> str:
        return "..." if self.context.ascii_mode else "…"

    def _row_width(self) -> int:
        """Characters a row may take: the list's width inside its border and padding."""
        options = self.query_one(OptionList)
        inner = options.scrollable_content_region.width
        return inner - 1 if inner > 10 else max(20, self.app.size.width - 6)

    def _fill_list(self) -> None:
        """One line per question, under the title of its lesson; lessons in the order of their
        most pressing question, questions in the order `review` gives."""
        options = self.query_one(OptionList)
        current = self._highlighted_item()
        width = self._width = self._row_width()
        ellipsis = self._ellipsis()
        groups: dict[str, list[ReviewItem]] = {}
        for item in self.items:
            groups.setdefault(item.lesson.id, []).append(item)
        options.clear_options()
        self.rows = []
        for group in groups.values():
            options.add_option(Option(Text(fit(group[0].lesson.title, width, ellipsis), style="bold"), disabled=True))
            self.rows.append(None)
            for item in group:
                line = f"  {item.status:<{STATUS_WIDTH}} {shown_prompt(item, self.context.learner)}"
                options.add_option(Option(Text(fit(line, width, ellipsis), no_wrap=True)))
                self.rows.append(item)
        if self.items:
            keep = [i for i, row in enumerate(self.rows) if row is not None and current is not None and _same(row, current)]
            options.highlighted = keep[0] if keep else self.rows.index(self.items[0])

    def _highlighted_item(self) -> ReviewItem | None:
        index = self.query_one(OptionList).highlighted
        return self.rows[index] if index is not None and 0 <= index < len(self.rows) else None

    def action_drill(self) -> None:
        item = self._highlighted_item()
        if item is not None:
            self._drill(item)

    def _drill(self, item: ReviewItem) -> None:
        before = list(self.items)

        def after(result: str | None) -> None:
            if result == "next":
                self._drill_next(item, before)

        self.app.push_screen(DrillScreen(item, self._session(item)), callback=after)

    def _drill_next(self, done: ReviewItem, before: list[ReviewItem]) -> None:
        """After `n` in the practice screen: the question that came after `done` in the list as
        it was, if it is still to go; else the first other one; else back to the list."""
        self.refresh_items()
        left = [i for i in self.items if not _same(i, done)]
        later = before[next((n for n, i in enumerate(before) if _same(i, done)), len(before)) + 1:]
        nxt = next((i for b in later for i in left if _same(i, b)), left[0] if left else None)
        if nxt is None:
            self.notify("That was the last question to practise here.")
            return
        self.query_one(OptionList).highlighted = self.rows.index(nxt)
        self._drill(nxt)

    def _session(self, item: ReviewItem) -> QuestionSession:
        """The item's question for this learner; one already met starts on a fresh variant."""
        lesson, question = item.lesson, item.question
        session = QuestionSession(question, lesson.id, self.context.learner, self.context.store, mastery_n=lesson.mastery,
                                  run_values=self.context.runs.for_question(question),
                                  runs=self.context.runs.of_question(question, lesson.id))
        if session.can_vary and (session.variant_attempts or session.revealed):
            session.new_variant()  # fresh numbers: a revealed or answered variant proves nothing
        return session

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_drill()

    def action_leave(self) -> None:
        tutor_app(self).back_to_picker(self)


def _same(a: ReviewItem, b: ReviewItem) -> bool:
    return (a.lesson.id, a.question.id) == (b.lesson.id, b.question.id)


class DrillPanel(QuestionPanel):
    """The question panel, with a last line that names the keys of the practice screen."""

    def _show(self, result: Result | None) -> None:
        super()._show(result)
        line = self.query_one(".q-next", Static)
        last = self.session.last_result
        if last is None or last.status not in ("correct", "saved"):
            return
        text = "Press n for the next question, or q to go back to the review."
        if self.session.can_vary and last.status == "correct":
            text = "Press n for the next question, v for new numbers, q for the review."
        line.update(self._content(text, ascii_mode(self)))
        line.display = True


class DrillScreen(Screen[str | None]):
    """One question on its own, with the session the review screen made for it (fresh numbers
    for a question already met)."""

    HELP_TITLE = "Practice"
    BINDINGS = [
        Binding("q", "leave", "Back to review"),  # Esc only leaves the field (as in a lesson)
        Binding("n", "next_question", "Next question"),
    ]

    def __init__(self, item: ReviewItem, session: QuestionSession) -> None:
        super().__init__()
        self.item = item
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static(f"Practice: {self.item.lesson.title}", id="title-bar")
        with VerticalScroll(id="step-body"):
            if self.item.question.run:  # which of the learner's runs a new answer is graded against
                yield Static(self._run_line(), id="drill-run", markup=False)
            yield DrillPanel(self.session)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(QuestionPanel).focus_answer()

    def _run_line(self) -> str:
        latest = self.session.latest_run()
        if latest is None:
            return practice_no_run(self.item.question.run)
        return practice_run(self.item.question.run, describe_run(latest))

    def on_question_panel_answered(self, event: QuestionPanel.Answered) -> None:
        if event.session.mastered:
            self.notify("Mastered! It leaves the review list.")

    def action_leave(self) -> None:
        self.dismiss()

    def action_next_question(self) -> None:
        """The next question of the review (the review screen picks it and opens it)."""
        self.dismiss("next")
