"""activation-plot: flip between activation functions, one at a time, large, with its formula.

One curve at a time keeps the plot readable without colour and on a slow link.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.binding import Binding

from tui_tutor.neural.math import ACTIVATION_DESCRIPTIONS, ACTIVATION_FORMULAS, ACTIVATIONS
from tui_tutor.ui.widgets.interactive.base import InteractiveWidget
from tui_tutor.lesson.widget_options import activation_plot_options

PICK = Binding.Group("function")
TURN = Binding.Group("prev/next")
X_RANGE = (-4.0, 4.0)


class ActivationPlot(InteractiveWidget):
    """Shows one of the lesson's activation functions: name, formula, description, plot."""

    PLOT_HEIGHT = 10
    BINDINGS = [
        *(Binding(str(n), f"show({n - 1})", f"function {n}", group=PICK) for n in range(1, 5)),
        Binding("left", "turn(-1)", "previous", group=TURN),
        Binding("right", "turn(1)", "next", group=TURN),
    ]

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.functions, self.option_errors = activation_plot_options(self.options)
        self.index = 0

    @property
    def current(self) -> str:
        return self.functions[self.index]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide number keys beyond the lesson's list of functions."""
        if action == "show" and parameters and int(parameters[0]) >= len(self.functions):  # type: ignore[call-overload]
            return False
        return True

    def action_show(self, index: int) -> None:
        if 0 <= index < len(self.functions) and index != self.index:
            self.index = index
            self.changed()

    def action_turn(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.functions)
        self.changed()

    def render_text(self) -> Text:
        out = Text()
        for i, name in enumerate(self.functions):
            label = f"{i + 1} {name}"
            if i == self.index:
                out.append(f"[{label}]", style="reverse bold")
            else:
                out.append(f" {label} ")
            out.append(" ")
        out.append("\n")
        name = self.current
        out.append(f"{name}: ", style="bold")
        out.append(ACTIVATION_FORMULAS[name] + "\n", style="bold")
        out.append("\n".join(textwrap.wrap(ACTIVATION_DESCRIPTIONS[name], max(20, self.text_width))) + "\n")
        out.append_text(self.plot([(name, ACTIVATIONS[name])], X_RANGE, None))
        return out
