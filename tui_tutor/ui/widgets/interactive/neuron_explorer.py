"""neuron-explorer: change one input, weight or the bias and watch every step of a neuron.

The three steps are laid out exactly as the episode's solution writes them (products,
weighted sum, plus bias, activation), with a plot of the activation and the current point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.binding import Binding

from tui_tutor.neural.math import ACTIVATIONS, NeuronTrace, neuron
from tui_tutor.ui.widgets.interactive.base import InteractiveWidget, fmt, paren
from tui_tutor.lesson.widget_options import VALUE_LIMIT, neuron_options

ACTIVATION_CYCLE = ("relu", "sigmoid", "linear", "tanh")
SELECTED = "reverse bold"
ROW = Binding.Group("row")
STEP = Binding.Group("+-0.5")
FINE = Binding.Group("+-0.1")


class NeuronExplorer(InteractiveWidget):
    """One neuron, every intermediate value visible, each number adjustable from the keyboard."""

    BINDINGS = [
        Binding("up", "move(-1)", "row up", group=ROW),
        Binding("down", "move(1)", "row down", group=ROW),
        Binding("minus,left", "adjust(-0.5)", "-0.5", group=STEP),
        Binding("plus,equals_sign,right", "adjust(0.5)", "+0.5", group=STEP),
        Binding("left_square_bracket,shift+left", "adjust(-0.1)", "-0.1", group=FINE),
        Binding("right_square_bracket,shift+right", "adjust(0.1)", "+0.1", group=FINE),
        Binding("a", "cycle_activation", "activation"),
        Binding("r", "reset", "reset"),
    ]

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._initial, self.option_errors = neuron_options(self.options)
        self.row = 0
        self.reset_values()

    # -- state ---------------------------------------------------------------------
    def reset_values(self) -> None:
        o = self._initial
        self.inputs = list(o.inputs)
        self.weights = list(o.weights)
        self.bias = o.bias
        self.activation = o.activation

    @property
    def rows(self) -> list[str]:
        """Selectable rows in keyboard order: x1..xn, w1..wn, b, activation."""
        n = len(self.inputs)
        return [f"x{i + 1}" for i in range(n)] + [f"w{i + 1}" for i in range(n)] + ["b", "activation"]

    @property
    def selected(self) -> str:
        return self.rows[self.row]

    def trace(self) -> NeuronTrace:
        return neuron(self.inputs, self.weights, self.bias, self.activation)

    # -- actions -------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        self.row = (self.row + delta) % len(self.rows)
        self.changed()

    def action_adjust(self, step: float) -> None:
        name = self.selected
        if name == "activation":
            self._cycle(1 if step > 0 else -1)
            return
        if name == "b":
            self.bias = self._step(self.bias, step)
        else:
            values = self.inputs if name[0] == "x" else self.weights
            i = int(name[1:]) - 1
            values[i] = self._step(values[i], step)
        self.changed()

    def action_cycle_activation(self) -> None:
        self._cycle(1)

    def action_reset(self) -> None:
        self.reset_values()
        self.changed()

    @staticmethod
    def _step(value: float, step: float) -> float:
        """Add a step, rounded to 2 decimals so 0.1 steps never show 0.30000000000000004."""
        return max(-VALUE_LIMIT, min(VALUE_LIMIT, round(value + step, 2)))

    def _cycle(self, direction: int) -> None:
        names = [n for n in ACTIVATION_CYCLE if n in ACTIVATIONS]
        i = names.index(self.activation) if self.activation in names else 0
        self.activation = names[(i + direction) % len(names)]
        self.changed()

    # -- drawing -------------------------------------------------------------------
    def _cell(self, name: str, value: str, width: int = 9, label: str = "") -> Text:
        """`name = value`, the selected one bracketed and reversed (visible without colour)."""
        label = f"{label or name} = "
        if name == self.selected:
            return Text.assemble(label, (f"[{value}]", SELECTED), " " * max(0, width - len(value) - 2))
        return Text(label + f" {value} ".ljust(width))

    def render_text(self) -> Text:
        t = self.trace()
        out = Text("output = activation(x1*w1 + ... + b)\nUp/Down: choose a value; Left/Right or -/+: change it; a: activation\n",
                   style="dim")
        for i, (x, w, p) in enumerate(zip(t.inputs, t.weights, t.products)):
            n = i + 1
            out.append_text(self._cell(f"x{n}", fmt(x)))
            out.append("  ")
            out.append_text(self._cell(f"w{n}", fmt(w)))
            out.append(f"  x{n}*w{n} = {paren(x)}*{paren(w)} = {fmt(p)}\n")
        out.append_text(self._cell("b", fmt(t.bias), label="b "))
        out.append("  ")
        out.append_text(self._cell("activation", t.activation, width=0))
        out.append("\n")
        terms = " + ".join(paren(p) for p in t.products) + " = " if len(t.products) > 1 else ""
        out.append(f"weighted sum  = {terms}{fmt(t.weighted_sum)}\n")
        out.append(f"+ bias        = {fmt(t.weighted_sum)} + {paren(t.bias)} = {fmt(t.pre_activation)}\n")
        out.append(f"{t.activation}({fmt(t.pre_activation)}) = ", style="bold")
        out.append(fmt(t.output), style="bold")
        out.append("   <- output of the neuron\n")
        z = t.pre_activation
        lo, hi = min(-3.0, math.floor(z) - 1.0), max(3.0, math.ceil(z) + 1.0)
        out.append_text(self.plot([(t.activation, ACTIVATIONS[t.activation])], (lo, hi), (z, t.output)))
        return out
