"""Build the widgets of one step from its items: prose, blocks, questions, widgets, training runs."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from tui_tutor.ui.prose import ProseView

from tui_tutor.context import LessonContext
from tui_tutor.lesson.model import Block, Interactive, Item, Lesson, Prose, Question, TrainSpec

_INLINE_MATH = re.compile(r"\$\$?([^$]+)\$\$?")


def _drop_comments(markdown: str) -> str:
    """Remove `<!-- ... -->` in one pass (a regex like `<!--.*?-->` is quadratic on many `<!--`)."""
    out, start = [], 0
    while True:
        open_at = markdown.find("<!--", start)
        if open_at < 0:
            break
        close_at = markdown.find("-->", open_at + 4)
        if close_at < 0:
            break  # an unclosed comment stays as text
        out.append(markdown[start:open_at])
        start = close_at + 3
    out.append(markdown[start:])
    return "".join(out)


def prepare_markdown(markdown: str) -> str:
    """Drop HTML comments (author notes); show any `$...$` left from LaTeX sources as code text."""
    markdown = _drop_comments(markdown)
    return _INLINE_MATH.sub(lambda m: f"`{m.group(1).strip()}`", markdown)


def literal(text: str) -> Content:
    """Lesson text as shown: never read as Textual markup (a title like `Step [/]` would crash it)."""
    return Content(text)


class HiddenBlock(Vertical):
    """A hint or solution: a one-line notice until the learner opens it."""

    def __init__(self, block: Block, content: list[Widget]) -> None:
        super().__init__(classes=f"block block-{block.kind} -closed")
        self.block = block
        self._content = content
        self.border_title = literal(block.title or block.kind.capitalize())

    def compose(self) -> ComposeResult:
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


def needs_widget_css(items: tuple[Item, ...]) -> bool:
    """Whether the items hold a question, a training run or an interactive widget (whose styles
    are read on first use, see `tui_tutor.ui.app.load_widget_css`), in a block or not."""
    for item in items:
        if isinstance(item, (Question, Interactive, TrainSpec)):
            return True
        if isinstance(item, Block) and needs_widget_css(item.children):
            return True
    return False


def build_items(items: tuple[Item, ...], lesson: Lesson, context: LessonContext) -> list[Widget]:
    """The widgets of a step's items; questions read and record through `context`."""
    widgets: list[Widget] = []
    for item in items:
        widget = build_item(item, lesson, context)
        if widget is not None:
            widgets.append(widget)
    return widgets


def build_item(item: Item, lesson: Lesson, context: LessonContext) -> Widget | None:
    if isinstance(item, Prose):
        text = prepare_markdown(item.markdown)
        return ProseView(text) if text.strip() else None
    if isinstance(item, Block):
        if item.kind == "instructor":
            return None
        children = build_items(item.children, lesson, context)
        if item.hidden:
            return HiddenBlock(item, children)
        classes = f"block block-{item.kind}"
        box: Widget
        only = children[0] if len(children) == 1 else None
        if type(only) is ProseView:
            # Prose alone (objectives, a callout): the prose widget is the box, drawn the same
            # (the border and padding of `.block` go round the same text) with one widget, not two.
            box = ProseView(only.source, classes=classes)
        else:
            box = Vertical(*children, classes=classes)
        box.border_title = literal(item.title or item.kind.capitalize())
        return box
    if isinstance(item, Question):
        return _question_panel(item, lesson, context)
    if isinstance(item, Interactive):
        from tui_tutor.ui.widgets.interactive import make_widget

        return make_widget(item.widget, item.options)
    if isinstance(item, TrainSpec):
        return _train_view(item, lesson, context)
    return None


def _question_panel(question: Question, lesson: Lesson, context: LessonContext) -> Widget:
    from tui_tutor.session import QuestionSession
    from tui_tutor.ui.questions.panel import QuestionPanel

    session = QuestionSession(question, lesson.id, context.learner, context.store, mastery_n=lesson.mastery,
                              run_values=context.runs.for_question(question),
                              runs=context.runs.of_question(question, lesson.id))
    return QuestionPanel(session)


def _train_view(spec: TrainSpec, lesson: Lesson, context: LessonContext) -> Widget:
    """The training view, with the block's saved runs (coming back shows them) and those of the
    blocks it compares with; each run that ends is saved through the context."""
    from tui_tutor.ui.training.view import TrainView

    runs = context.runs
    if spec.sweep is not None:
        from tui_tutor.ui.training.sweep_view import SweepView

        return SweepView(spec, threads=context.training.threads, max_seconds=context.training.max_seconds,
                         saved_runs=runs.runs(lesson.id, spec.id), persist=lambda record: runs.save(lesson.id, record))
    return TrainView(spec, threads=context.training.threads, max_seconds=context.training.max_seconds,
                     saved_runs=runs.runs(lesson.id, spec.id),
                     compare=[(other, runs.runs(lesson.id, other)) for other in spec.compare],
                     persist=lambda record: runs.save(lesson.id, record))
