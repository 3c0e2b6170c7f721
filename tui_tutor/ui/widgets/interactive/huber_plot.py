"""huber-plot: squared error against Huber loss, with delta and the error under the learner's keys.

By default the squared error is halved (e^2 / 2), as in Keras' Huber definition and the
episode's figure: then both curves agree for errors within +-delta, which is the point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.binding import Binding

from tui_tutor.neural.math import huber, squared_error
from tui_tutor.ui.widgets.interactive.base import InteractiveWidget, fmt
from tui_tutor.lesson.widget_options import huber_options

ERROR_RANGE = (-3.0, 3.0)
ERROR_STEP = 0.25
DELTA_STEP, DELTA_MIN, DELTA_MAX = 0.25, 0.25, 3.0
CURSOR = Binding.Group("error")
DELTA = Binding.Group("delta")


class HuberPlot(InteractiveWidget):
    """Move along the error axis and change delta; read both losses at the cursor."""

    PLOT_HEIGHT = 10
    BINDINGS = [
        Binding("left", "move(-1)", "error -", group=CURSOR),
        Binding("right", "move(1)", "error +", group=CURSOR),
        Binding("minus", "delta(-1)", "delta -", group=DELTA),
        Binding("plus,equals_sign", "delta(1)", "delta +", group=DELTA),
        Binding("r", "reset", "reset"),
    ]

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._initial, self.option_errors = huber_options(self.options)
        self.half = self._initial.half_squared
        self.action_reset(redraw=False)

    def action_reset(self, redraw: bool = True) -> None:
        self.delta = self._initial.delta
        self.error = self._initial.error
        if redraw:
            self.changed()

    def action_move(self, direction: int) -> None:
        lo, hi = ERROR_RANGE
        error = max(lo, min(hi, round(self.error + direction * ERROR_STEP, 2)))
        if error != self.error:
            self.error = error
            self.changed()

    def action_delta(self, direction: int) -> None:
        delta = max(DELTA_MIN, min(DELTA_MAX, round(self.delta + direction * DELTA_STEP, 2)))
        if delta != self.delta:
            self.delta = delta
            self.changed()

    def squared(self, e: float) -> float:
        se = squared_error(e, 0.0)
        return se / 2 if self.half else se

    def render_text(self) -> Text:
        e, d = self.error, self.delta
        sq_label = "e^2/2" if self.half else "e^2"
        hub_label = f"Huber d={fmt(d)}"
        out = Text("Loss against the error e = y_true - y_pred\n", style="dim")
        out.append(f"delta = {fmt(d)}", style="bold")
        out.append(f"   error e = {fmt(e)}   squared error e^2 = {fmt(squared_error(e, 0.0), 5)}")
        if self.half:
            out.append(f"   e^2/2 = {fmt(self.squared(e), 5)}")
        out.append("\n")
        h = huber(e, d)
        out.append(f"Huber loss = {fmt(h, 5)}", style="bold")
        inside = abs(e) <= d
        out.append("   |e| <= delta: quadratic, same as e^2/2\n" if inside else "   |e| > delta: grows only linearly\n")
        funcs = [(sq_label, self.squared), (hub_label, lambda x: huber(x, d))]
        out.append_text(self.plot(funcs, ERROR_RANGE, (e, h), tag=(d, self.half)))
        return out
