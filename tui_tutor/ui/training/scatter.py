"""Predicted against true values of a finished regression run, as a text scatter plot.

Characters only, so it reads the same in ASCII and over a slow link: one mark per cell that
holds test rows (more marks for more rows), and the diagonal "predicted = true" drawn where
no row sits. A perfect model puts every mark on the diagonal; marks above it are rows the
network guessed too high. Both axes share one range, so the diagonal runs corner to corner.
The default size takes 60 columns for the plot plus 8 for the labels: it fits the 72 columns
the training view has in an 80-column terminal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual.widgets import Static

from tui_tutor.training.records import RunRecord

#: Marks for 1, 2-3 and 4 or more rows in a cell, and the diagonal.
UTF8_MARKS = ("·", "•", "●", "╱")
ASCII_MARKS = (".", "o", "@", "/")
LABEL_WIDTH = 7


def render_scatter(true: Sequence[float], predicted: Sequence[float], *, width: int = 60, height: int = 16,
                   ascii_only: bool = False, unit: str = "", title: str = "") -> str:
    """The pairs as lines of plain text; "" when there is nothing finite to plot."""
    pairs = [(float(t), float(p)) for t, p in zip(true, predicted, strict=False)
             if math.isfinite(float(t)) and math.isfinite(float(p))]
    if not pairs or width < 10 or height < 4:
        return ""
    one, few, many, diagonal = ASCII_MARKS if ascii_only else UTF8_MARKS
    low = min(min(t, p) for t, p in pairs)
    high = max(max(t, p) for t, p in pairs)
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    span = high - low

    def column(value: float) -> int:
        return min(width - 1, int((value - low) / span * width))

    def row(value: float) -> int:
        return min(height - 1, int((value - low) / span * height))

    counts = [[0] * width for _ in range(height)]
    for t, p in pairs:
        counts[row(p)][column(t)] += 1
    grid = [[" "] * width for _ in range(height)]
    for x in range(width):
        y = min(height - 1, int((x + 0.5) / width * height))
        grid[y][x] = diagonal
    for y in range(height):
        for x in range(width):
            n = counts[y][x]
            if n:
                grid[y][x] = one if n == 1 else few if n <= 3 else many
    error = math.sqrt(sum((p - t) ** 2 for t, p in pairs) / len(pairs))
    suffix = f" {unit}" if unit else ""
    lines = [f"{title}{len(pairs)} test rows, RMSE {error:.2f}{suffix}. Predicted (up) against true (across):"]
    marks = {0: low, height // 2: (low + high) / 2, height - 1: high}  # as the x axis: ends and middle
    for y in range(height - 1, -1, -1):
        label = f"{marks[y]:{LABEL_WIDTH}.1f}" if y in marks else " " * LABEL_WIDTH
        lines.append(f"{label}|{''.join(grid[y])}".rstrip())
    lines.append(" " * LABEL_WIDTH + "+" + "-" * width)
    left, right = f"{low:.1f}", f"{high:.1f}"
    lines.append(" " * (LABEL_WIDTH + 1) + left + " " * max(1, width - len(left) - len(right)) + right)
    lines.append(f"{' ' * (LABEL_WIDTH + 1)}{one} 1 row  {few} 2-3  {many} 4+  {diagonal} predicted = true")
    return "\n".join(lines)


class ScatterView(Static):
    """Under the training view: predicted against true test values of a finished regression run."""

    def __init__(self) -> None:
        super().__init__("", markup=False, classes="train-scatter")
        self.display = False  # takes no line until a run has predictions to show

    def show_run(self, record: RunRecord | None) -> None:
        text = ""
        if record is not None and record.predictions:
            true = [row[0] for row in record.predictions if len(row) >= 2]
            predicted = [row[1] for row in record.predictions if len(row) >= 2]
            text = render_scatter(true, predicted, ascii_only=bool(getattr(self.app, "ascii_mode", False)),
                                  title=f"Run {record.number}: ")
        self.update(text)
        self.display = bool(text)
