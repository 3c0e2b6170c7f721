"""What every interactive widget shares: options, ASCII/colour awareness, redraw-on-change.

Widgets draw themselves as one Rich `Text` from their state in `render()`; nothing runs on
a timer, so an idle widget costs no CPU and sends no bytes. State changes call `changed()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget


def fmt(v: float, digits: int = 4) -> str:
    """A number as a learner writes it: 1.25, -0.5, 0 (never -0, no trailing zeros)."""
    s = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def paren(v: float) -> str:
    """fmt(), bracketed when negative so '0.5*(-1)' reads right."""
    s = fmt(v)
    return f"({s})" if s.startswith("-") else s


class InteractiveWidget(Widget, can_focus=True):
    """Base of the lesson widgets; subclasses implement `render_text()`."""

    #: Tallest plot that still fits an 80x24 terminal next to the widget's text.
    PLOT_HEIGHT = 8
    MAX_WIDTH = 74

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options: dict[str, Any] = dict(options or {})
        self.option_errors: list[str] = []
        self._plot_cache: tuple[tuple[object, ...], Text] | None = None
        self._layout_width = 0

    @property
    def ascii_mode(self) -> bool:
        return bool(getattr(self.app, "ascii_mode", False))

    @property
    def use_color(self) -> bool:
        return not (self.ascii_mode or getattr(self.app, "no_color", False))

    @property
    def text_width(self) -> int:
        """Width to lay text out in: the width being measured for, else the current one.

        The measured width is used only while Textual measures: a scroll bar that appears
        later narrows the widget, and drawing must follow the real width."""
        w = self._layout_width or self.content_size.width
        return min(w, self.MAX_WIDTH) if w > 0 else self.MAX_WIDTH

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Textual measures height before it resizes us: lay out for the width it asks about.
        self._layout_width = width
        try:
            return super().get_content_height(container, viewport, width)
        finally:
            self._layout_width = 0

    def on_mount(self) -> None:
        self.set_class(self.ascii_mode, "-ascii")

    def changed(self) -> None:
        """Redraw after a state change (layout too: the number of lines may differ)."""
        self.refresh(layout=True)

    def plot(
        self,
        funcs: Sequence[tuple[str, Callable[[float], float]]],
        x_range: tuple[float, float],
        point: tuple[float, float] | None,
        tag: object = None,
    ) -> Text:
        """A function plot as Text, rebuilt only when labels, range, point, `tag` or size change."""
        key = (tuple(label for label, _ in funcs), x_range, point, tag,
               self.text_width, self.PLOT_HEIGHT, self.ascii_mode, self.use_color)
        if self._plot_cache is None or self._plot_cache[0] != key:
            from tui_tutor.neural.plots import render_function_plot  # plotext: only widgets that plot

            raw = render_function_plot(funcs, x_range, self.text_width, self.PLOT_HEIGHT,
                                       ascii=self.ascii_mode, point=point, color=self.use_color)
            text = Text.from_ansi(raw, no_wrap=True) if self.use_color else Text(raw, no_wrap=True)
            self._plot_cache = (key, text)
        return self._plot_cache[1].copy()

    def errors_text(self) -> Text:
        """The option problems a lesson author needs to see (empty when there are none)."""
        if not self.option_errors:
            return Text()
        return Text("\n" + "\n".join(f"lesson option ignored: {e}" for e in self.option_errors), style="italic")

    def render_text(self) -> Text:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self) -> Text:
        text = self.render_text()
        text.append_text(self.errors_text())
        text.no_wrap = True
        text.overflow = "crop"
        return text
