"""Small grey images drawn with characters: a digit of the `digits` dataset, and the grid of
test images a finished run got wrong, each with its true and predicted class.

Each pixel takes two characters (terminal cells are about twice as tall as wide), darker
ink a denser character: " .:-=+*#%@" in ASCII, shade blocks in UTF-8. An 8x8 digit is 16
columns wide; four fit side by side in the 72 columns the training view has at 80.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

from tui_tutor.training.records import RunRecord

#: From no ink to full ink.
ASCII_SHADES = " .:-=+*#%@"
UTF8_SHADES = " ░▒▓█"
#: Images side by side in the grid, and columns between them.
PER_ROW = 4
GAP = 2
#: Datasets whose rows are images the grid can draw.
IMAGE_DATASETS = ("digits",)


def render_image(pixels: Sequence[Sequence[float]], *, ascii_only: bool = False) -> list[str]:
    """One line per pixel row; values from 0 (blank) to 1 (full ink), clipped."""
    shades = ASCII_SHADES if ascii_only else UTF8_SHADES
    top = len(shades) - 1
    lines = []
    for row in pixels:
        chars = []
        for value in row:
            level = min(top, max(0, round(float(value) * top)))
            chars.append(shades[level] * 2)
        lines.append("".join(chars))
    return lines


def render_grid(images: Sequence[Sequence[Sequence[float]]], labels: Sequence[str], *,
                ascii_only: bool = False, per_row: int = PER_ROW) -> str:
    """Images side by side, `per_row` to a row, each with its label line under it."""
    blocks = []
    for image, label in zip(images, labels, strict=True):
        lines = render_image(image, ascii_only=ascii_only)
        width = max((len(line) for line in lines), default=0)
        blocks.append([line.ljust(width) for line in lines] + [label[:width].ljust(width)])
    out: list[str] = []
    for start in range(0, len(blocks), per_row):
        group = blocks[start:start + per_row]
        height = max(len(block) for block in group)
        for i in range(height):
            out.append((" " * GAP).join(block[i] if i < len(block) else "" for block in group).rstrip())
        out.append("")
    return "\n".join(out).rstrip("\n")


def misclassified_text(record: RunRecord, *, ascii_only: bool = False) -> str:
    """The grid of the run's misclassified test images; "" when it has none to draw."""
    dataset = str(record.effective.get("dataset", record.settings.get("dataset", "")))
    if dataset not in IMAGE_DATASETS or not record.misclassified:
        return ""
    from tui_tutor.training import datasets  # numpy, and the file read, only once a run has images

    try:
        x, _ = datasets.load(dataset)
    except (KeyError, OSError):
        return ""
    classes = record.classes
    images, labels = [], []
    for row, true, predicted in record.misclassified:
        if not 0 <= row < len(x):
            continue
        images.append(x[row][:, :, 0].tolist())
        labels.append(f"true {_name(classes, true)} as {_name(classes, predicted)}")
    if not images:
        return ""
    head = f"Test images run {record.number} got wrong ({len(images)} shown; true class as predicted):"
    return head + "\n" + render_grid(images, labels, ascii_only=ascii_only)


def _name(classes: Sequence[str], index: int) -> str:
    return classes[index] if 0 <= index < len(classes) else str(index)


class MisclassifiedView(Static):
    """Under the confusion matrix: the test images the run shown got wrong, for image data."""

    def __init__(self) -> None:
        super().__init__("", markup=False, classes="train-misclassified")
        self.display = False

    def show_run(self, record: RunRecord | None) -> None:
        ascii_only = bool(getattr(self.app, "ascii_mode", False))
        text = misclassified_text(record, ascii_only=ascii_only) if record is not None else ""
        self.update(text)
        self.display = bool(text)
