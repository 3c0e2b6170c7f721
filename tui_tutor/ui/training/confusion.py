"""The confusion matrix of a finished run: which classes its test rows were taken for.

Drawn with characters only, so it reads the same in ASCII, without colour and over a slow
link: counts in a table (rows: the true class, columns: what the network predicted), the
right answers of the diagonal in brackets, and each class's share right at the end of its
row. Three classes take 56 columns; class names are cut to 10 characters, so up to four
classes fit the 72 columns the training view has in an 80-column terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

from tui_tutor.training.records import RunRecord

#: Class names are cut to this many characters in the table.
NAME_WIDTH = 10


def render_confusion(matrix: Sequence[Sequence[int]], classes: Sequence[str], *, title: str = "") -> str:
    """The matrix as lines of plain text; "" for an empty or ragged matrix."""
    n = len(matrix)
    if n == 0 or any(len(row) != n for row in matrix):
        return ""
    names = [_cut(classes[i] if i < len(classes) else str(i)) for i in range(n)]
    total = sum(sum(row) for row in matrix)
    right = sum(matrix[i][i] for i in range(n))
    counts = max(len(str(value)) for row in matrix for value in row) + 2  # room for [ ]
    width = max(counts, *(len(name) for name in names)) + 1
    label = max(len("true"), *(len(name) for name in names))
    share = f"{right / total:.1%}" if total else "-"
    lines = [f"{title}{right} of {total} test rows right ({share})."]
    lines.append(f"{'':<{label}}  predicted as")
    lines.append(f"{'true':<{label}}" + "".join(f"{name:>{width}}" for name in names) + "   right")
    digits = max(len(str(sum(row))) for row in matrix)
    for i, row in enumerate(matrix):
        cells = "".join(f"{f'[{v}]' if j == i else str(v):>{width}}" for j, v in enumerate(row))
        count = sum(row)
        mark = f"{row[i]:>{digits}}/{count:<{digits}} {row[i] / count:>4.0%}" if count else "-"
        lines.append(f"{names[i]:<{label}}{cells}   {mark}")
    worst = max(((matrix[i][j], i, j) for i in range(n) for j in range(n) if i != j), default=(0, 0, 0))
    if worst[0]:
        count, i, j = worst
        lines.append(f"Most confused: {count} {names[i]} taken for {names[j]}. [n] = right.")
    else:
        lines.append("No test row was taken for another class. [n] = right.")
    return "\n".join(lines)


def _cut(name: str) -> str:
    name = " ".join(str(name).split())
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "."


class ConfusionView(Static):
    """Under the training view: the confusion matrix of the run shown, if it has one."""

    def __init__(self) -> None:
        super().__init__("", markup=False, classes="train-confusion")
        self.display = False  # takes no line until a run has a matrix to show

    def show_run(self, record: RunRecord | None) -> None:
        text = ""
        if record is not None and record.confusion:
            text = render_confusion(record.confusion, record.classes, title=f"Run {record.number} on the test set: ")
        self.update(text)
        self.display = bool(text)
