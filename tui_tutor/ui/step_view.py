"""Build the widgets of one step from its items: prose, blocks, questions, widgets, training runs."""

from __future__ import annotations

import re

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui_tutor.ui.prose import ProseView

from tui_tutor.lesson.model import Block, Interactive, Item, Lesson, Prose, Question, TrainSpec

_INLINE_MATH = re.compile(r"\$\$?([^$]+)\$\$?")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def prepare_markdown(markdown: str) -> str:
    """Drop HTML comments (author notes); show any `$...$` left from LaTeX sources as code text."""
    markdown = _COMMENT.sub("", markdown)
    return _INLINE_MATH.sub(lambda m: f"`{m.group(1).strip()}`", markdown)


class HiddenBlock(Vertical):
    """A hint or solution: a one-line notice until the learner opens it."""

    def __init__(self, block: Block, content: list[Widget]) -> None:
        super().__init__(classes=f"block block-{block.kind} -closed")
        self.block = block
        self._content = content
        self.border_title = block.title or block.kind.capitalize()

    def compose(self):
        key = "h" if self.block.kind == "hint" else "s"
        yield Static(f"({self.block.kind} hidden: press {key} to show it)", classes="hidden-notice")

    @property
    def is_open(self) -> bool:
        return not self.has_class("-closed")

    def open(self) -> None:
        if self.is_open:
            return
        self.remove_class("-closed")
        self.query(".hidden-notice").remove()
        self.mount_all(self._content)


def build_items(items: tuple[Item, ...], lesson: Lesson, app) -> list[Widget]:
    widgets: list[Widget] = []
    for item in items:
        widget = build_item(item, lesson, app)
        if widget is not None:
            widgets.append(widget)
    return widgets


def build_item(item: Item, lesson: Lesson, app) -> Widget | None:
    if isinstance(item, Prose):
        text = prepare_markdown(item.markdown)
        return ProseView(text) if text.strip() else None
    if isinstance(item, Block):
        if item.kind == "instructor":
            return None
        children = build_items(item.children, lesson, app)
        if item.hidden:
            return HiddenBlock(item, children)
        box = Vertical(*children, classes=f"block block-{item.kind}")
        box.border_title = item.title or item.kind.capitalize()
        return box
    if isinstance(item, Question):
        return _question_panel(item, lesson, app)
    if isinstance(item, Interactive):
        from tui_tutor.ui.widgets.interactive import make_widget

        return make_widget(item.widget, item.options)
    if isinstance(item, TrainSpec):
        return _train_view(item, app)
    return None


def _question_panel(question: Question, lesson: Lesson, app) -> Widget:
    from tui_tutor.session import QuestionSession
    from tui_tutor.ui.questions.panel import QuestionPanel

    run_values = (lambda: app.run_values.get(question.run, {})) if question.run else None
    session = QuestionSession(question, lesson.id, app.learner, app.store, mastery_n=lesson.mastery, run_values=run_values)
    return QuestionPanel(session)


def _train_view(spec: TrainSpec, app) -> Widget:
    from tui_tutor.ui.training.view import TrainView

    return TrainView(spec, threads=app.options.train_threads, max_seconds=app.options.train_max_seconds)
