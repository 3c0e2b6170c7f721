"""What every answer widget shares: the "check this" message, ASCII-safe marks, line wrapping.

Why a common base: the panel must treat eight kinds of answer alike (read the answer,
restore a saved one, show per-part marks), and every widget must render plain text that
reads right without colour and, in ASCII mode, without any non-ASCII glyph.
"""

from __future__ import annotations

import textwrap
from typing import Any

from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget

from tui_tutor.grading.result import Result

LETTERS = "abcdefghijklmnopqrstuvwxyz"


class SubmitAnswer(Message):
    """An answer widget asks its panel to check the current answer (Enter)."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget


def ascii_mode(widget: Widget) -> bool:
    """True when the app asked for plain ASCII output (non-UTF-8 terminals)."""
    try:
        return bool(getattr(widget.app, "ascii_mode", False))
    except Exception:  # noqa: BLE001 - no app yet (constructed outside a running app)
        return False


def mark(ok: bool, plain: bool) -> str:
    """A right/wrong mark that differs in shape, not colour."""
    if plain:
        return "ok" if ok else "X"
    return "\u2713" if ok else "\u2717"


def wrap(prefix: str, text: str, width: int) -> list[str]:
    """`prefix + text` wrapped to `width`, continuation lines indented under the text."""
    indent = " " * len(prefix)
    room = max(8, width)
    lines = textwrap.wrap(" ".join(str(text).split()), width=max(1, room - len(prefix)),
                          break_long_words=True, break_on_hyphens=False) or [""]
    return [prefix + lines[0]] + [indent + line for line in lines[1:]]


class AnswerMixin:
    """The interface the panel relies on; every answer widget implements it."""

    #: Widgets that take typed text (the panel forwards printable keys to them).
    takes_text: bool = False

    def answer(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def restore(self, answer: Any) -> None:  # pragma: no cover - interface
        """Show a saved answer (None: nothing saved)."""

    def show_result(self, result: Result | None) -> None:
        """Show per-part marks of `result` (None clears them)."""


class LinesWidget(AnswerMixin, Widget):
    """A focusable widget drawn as wrapped lines of text; subclasses provide `lines(width)`."""

    can_focus = True

    def lines(self, width: int) -> list[Content]:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def plain(self) -> bool:
        return ascii_mode(self)

    def render(self) -> Content:
        width = self.content_size.width or 76
        lines = self.lines(width)
        if self.plain:  # to_ascii maps one character to one, so style spans stay in place
            from tui_tutor.asciify import to_ascii

            lines = [Content(to_ascii(line.plain), list(line.spans)) for line in lines]
        return Content("\n").join(lines)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width)) if width else 0

    def changed(self) -> None:
        """Redraw after a change that may alter the height."""
        self.refresh(layout=True)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def row_style(self, is_cursor: bool) -> str:
        """The cursor row is reversed (visible without colour) while the widget has focus."""
        return "reverse" if is_cursor and self.has_focus else ""
