"""xor-network: the episode's 2-2-1 ReLU network drawn in text, with inputs you toggle.

Options: `values: false` draws the weights and biases only (the learner works out what the
neurons compute: lesson 1 asks for it in the next step); `table: true` adds the table of all
four input pairs. Neither the table nor the name of the operation is shown by default.

The drawing is made once in box-drawing characters on a small canvas and mapped to ASCII
for terminals that are not UTF-8; the values come from `xor_forward`, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.binding import Binding

from tui_tutor.neural.math import XOR_NETWORK, xor_forward
from tui_tutor.ui.widgets.interactive.base import InteractiveWidget, fmt
from tui_tutor.lesson.widget_options import xor_options

TO_ASCII = str.maketrans({"─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "├": "+",
                          "┤": "+", "▶": ">", "╲": "\\", "╱": "/", "╳": "X"})
ACTIVE = "bold"
TABLE_LEFT = 38  # column where the truth table starts, right of the equations
DIAGRAM_WIDTH = 65


class Canvas:
    """A grid of characters with a style per cell: enough to draw boxes and arrows."""

    def __init__(self, width: int, height: int) -> None:
        self.chars = [[" "] * width for _ in range(height)]
        self.styles: list[list[str]] = [[""] * width for _ in range(height)]

    def put(self, row: int, col: int, text: str, style: str = "") -> None:
        for i, ch in enumerate(text):
            if 0 <= row < len(self.chars) and 0 <= col + i < len(self.chars[row]):
                self.chars[row][col + i] = ch
                self.styles[row][col + i] = style

    def box(self, top: int, left: int, width: int, lines: list[str], style: str = "") -> None:
        self.put(top, left, "┌" + "─" * (width - 2) + "┐", style)
        for i, line in enumerate(lines):
            self.put(top + 1 + i, left, "│" + line[: width - 2].ljust(width - 2) + "│", style)
        self.put(top + 1 + len(lines), left, "└" + "─" * (width - 2) + "┘", style)

    def to_text(self, ascii: bool) -> Text:
        out = Text()
        for chars, styles in zip(self.chars, self.styles):
            line = "".join(chars).rstrip()
            if ascii:
                line = line.translate(TO_ASCII)
            for i, ch in enumerate(line):
                out.append(ch, styles[i] or None)
            out.append("\n")
        return out


def _edge(weight: float) -> str:
    return f" {fmt(weight)} "


def _sum_terms(pairs: list[tuple[float, float]], bias: float) -> str:
    """'1*1 + 1*0 - 1': weights times values, with the sign of negative weights pulled out."""
    parts = []
    for i, (w, v) in enumerate(pairs):
        sign = "-" if w < 0 else "+"
        term = f"{fmt(abs(w))}*{fmt(v)}"
        parts.append(term if i == 0 and sign == "+" else (f"-{term}" if i == 0 else f" {sign} {term}"))
    parts.append(f" {'-' if bias < 0 else '+'} {fmt(abs(bias))}")
    return "".join(parts)


class XorNetworkView(InteractiveWidget):
    """Toggle the two inputs and follow the signal through h1, h2 to y."""

    BINDINGS = [
        Binding("1", "toggle_input(1)", "toggle x1"),
        Binding("2", "toggle_input(2)", "toggle x2"),
    ]

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.settings, self.option_errors = xor_options(self.options)
        self.net = XOR_NETWORK
        self.x1 = 0
        self.x2 = 0

    # Not `action_toggle`: Textual's DOMNode.action_toggle(attribute_name) flips a bool attribute.
    def action_toggle_input(self, which: int) -> None:
        if which == 1:
            self.x1 = 1 - self.x1
        else:
            self.x2 = 1 - self.x2
        self.changed()

    def diagram(self, h1: float, h2: float, y: float) -> Canvas:
        w, b = self.net.weights, self.net.biases

        shown = self.settings.values

        def on(v: float) -> str:
            return ACTIVE if v and shown else ""

        def val(v: float) -> str:
            return fmt(v) if shown else "?"

        hx, bw = 26, 13  # hidden boxes: left column, width (inputs are 10 wide at column 0)
        jx = hx + bw + 6  # column of the jog on the way to y
        yx = jx + 7  # output box
        c = Canvas(DIAGRAM_WIDTH, 9)
        c.box(0, 0, 10, [f" x1 = {fmt(self.x1)}"], on(self.x1))
        c.box(6, 0, 10, [f" x2 = {fmt(self.x2)}"], on(self.x2))
        c.box(0, hx, bw, [f" h1 = {val(h1)}", f" b={fmt(b['h1'])} relu"], on(h1))
        c.box(5, hx, bw, [f" h2 = {val(h2)}", f" b={fmt(b['h2'])} relu"], on(h2))
        c.box(2, yx, bw, [f" y  = {val(y)}", f" b={fmt(b['y'])} relu", ""], on(y))
        # x1 -> h1 and x2 -> h2: straight along the boxes' middle rows.
        c.put(1, 9, "├" + _edge(w[("x1", "h1")]).center(hx - 11, "─") + "▶", on(self.x1))
        c.put(7, 9, "├" + _edge(w[("x2", "h2")]).center(hx - 11, "─") + "▶", on(self.x2))
        # x1 -> h2 and x2 -> h1: two diagonals crossing at (4, 17), then into the boxes' other rows.
        for k in range(5):
            c.put(2 + k, 15 + k, "╲", on(self.x1))
            c.put(6 - k, 15 + k, "╱", on(self.x2))
        c.put(4, 17, "╳", on(self.x1 or self.x2))
        c.put(6, 20, _edge(w[("x1", "h2")]).center(hx - 21, "─") + "▶", on(self.x1))
        c.put(2, 20, _edge(w[("x2", "h1")]).center(hx - 21, "─") + "▶", on(self.x2))
        # h1 -> y and h2 -> y: out of the hidden boxes, a jog, into y's first and last rows.
        right = hx + bw - 1
        c.put(2, right, "┤" + _edge(w[("h1", "y")]).center(jx - right - 1, "─") + "┐", on(h1))
        c.put(3, jx, "└" + "─" * (yx - jx - 2) + "▶", on(h1))
        c.put(6, right, "┤" + _edge(w[("h2", "y")]).center(jx - right - 1, "─") + "┘", on(h2))
        c.put(5, jx, "┌" + "─" * (yx - jx - 2) + "▶", on(h2))
        return c

    def equations(self, h1: float, h2: float, y: float) -> list[str]:
        w, b = self.net.weights, self.net.biases
        x = {"x1": self.x1, "x2": self.x2, "h1": h1, "h2": h2}
        lines = []
        for name, value, sources in (("h1", h1, ("x1", "x2")), ("h2", h2, ("x1", "x2")), ("y ", y, ("h1", "h2"))):
            terms = _sum_terms([(w[(s, name.strip())], x[s]) for s in sources], b[name.strip()])
            lines.append(f"{name} = relu({terms}) = {fmt(value)}")
        return lines

    def table(self) -> list[tuple[str, bool]]:
        rows = [(" x1 x2 | h1 h2 | y", False)]
        for a in (0, 1):
            for bb in (0, 1):
                h1, h2, y = xor_forward(a, bb, self.net)
                current = (a, bb) == (self.x1, self.x2)
                mark = ">" if current else " "
                rows.append((f"{mark}{a:>2} {bb:>2} | {fmt(h1):>2} {fmt(h2):>2} | {fmt(y)}", current))
        return rows

    def render_text(self) -> Text:
        h1, h2, y = xor_forward(self.x1, self.x2, self.net)
        if not self.settings.values:
            out = Text("Numbers on arrows are weights; b is a neuron's bias. Every neuron applies\n"
                       "relu(z) = max(0, z) to its weighted sum plus bias.\n", style="dim")
            if self.text_width >= DIAGRAM_WIDTH:
                out.append_text(self.diagram(h1, h2, y).to_text(self.ascii_mode))
            else:
                out.append(f"(the drawing needs {DIAGRAM_WIDTH} columns)\n", style="dim")
            out.append(f"Inputs x1 = {self.x1}, x2 = {self.x2} (1/2 toggle them); the ? are yours to work out.")
            return out
        out = Text("1/2 toggle x1/x2. Numbers on arrows are weights, b is the bias.\n", style="dim")
        if self.text_width >= DIAGRAM_WIDTH:
            out.append_text(self.diagram(h1, h2, y).to_text(self.ascii_mode))
        else:
            out.append(f"(the drawing needs {DIAGRAM_WIDTH} columns)\n", style="dim")
        eqs = ["relu(z) = max(0, z)", *self.equations(h1, h2, y)]
        table = self.table() if self.settings.table else []
        side = bool(table) and self.text_width >= TABLE_LEFT + 20
        if side:  # side by side
            lines = [(eqs[i] if i < len(eqs) else "", row) for i, row in enumerate(table)]
        else:  # stacked, for narrow terminals
            lines = [(e, ("", False)) for e in eqs] + [("", row) for row in table]
        for left, (row, current) in lines:
            out.append(left.ljust(TABLE_LEFT) if side and row else left)
            style = "reverse bold" if current else ("underline" if row.startswith(" x1") else "")
            out.append(row, style=style)
            out.append("\n")
        out.append(f"output y = {fmt(y)} for x1 = {self.x1}, x2 = {self.x2}", style="bold")
        return out
