"""Text plots of one-variable functions, for the activation and loss widgets.

Pure rendering (no Textual): a string in, a string out, so it is easy to test and cheap to
call only when something changed. Each call builds a fresh private plotext figure, so no
state leaks between calls or into other users of plotext's global figure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from plotext._figure import _figure_class as _Figure

from tui_tutor.asciify import to_ascii

MAX_POINTS = 200
MIN_WIDTH, MIN_HEIGHT = 16, 5

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

ASCII_MARKERS = ("*", "+", "o", "x", "#")
COLORS = ("blue+", "green+", "magenta+", "cyan+", "yellow+")
POINT_COLOR = "red+"


def _nice_step(span: float, count: int) -> float:
    """A 1-2-2.5-5 x 10^k step giving about `count` ticks over `span`."""
    raw = span / max(count, 1)
    if raw <= 0:
        return 1.0
    power: float = 10 ** math.floor(math.log10(raw))  # an int when it is 1 or more, as before
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def _ticks(lo: float, hi: float, count: int) -> list[float]:
    step = _nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9) * step
    out: list[float] = []
    t = first
    while t <= hi + 1e-9 and len(out) < 12:
        out.append(0.0 if abs(t) < step * 1e-6 else t)
        t += step
    return out


def fmt_tick(v: float) -> str:
    """Short tick label: no trailing zeros, never '-0'."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def render_function_plot(
    funcs: Sequence[tuple[str, Callable[[float], float]]],
    x_range: tuple[float, float],
    width: int,
    height: int,
    *,
    ascii: bool = False,
    point: tuple[float, float] | None = None,
    color: bool = False,
    legend: bool = True,
) -> str:
    """Plot each (label, f) over x_range in a width x height character box; mark `point` if given.

    ascii=True uses '*'/'+' markers and '+-|' frames (nothing outside ASCII); otherwise a lone
    or coloured curve is drawn in braille. color=False strips every escape sequence.
    """
    width, height = max(int(width), MIN_WIDTH), max(int(height), MIN_HEIGHT)
    lo, hi = float(x_range[0]), float(x_range[1])
    if hi <= lo:
        raise ValueError("x_range must be increasing")
    # Braille is sharp but every braille curve looks alike: use it only when colour (or being
    # alone) tells the curves apart. Braille packs 2 samples per column, character markers one.
    braille = not ascii and (color or len(funcs) == 1)
    n = max(2, min(MAX_POINTS, width * (2 if braille else 1)))
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]

    fig = _Figure()
    fig.plotsize(width, height)
    fig.theme("clear")
    ys_all: list[float] = []
    for i, (label, f) in enumerate(funcs):
        ys = [float(f(x)) for x in xs]
        ys_all.extend(y for y in ys if math.isfinite(y))
        kwargs: dict[str, Any] = {"marker": "braille" if braille else ASCII_MARKERS[i % len(ASCII_MARKERS)]}
        if legend and label:
            kwargs["label"] = label
        if color:
            kwargs["color"] = COLORS[i % len(COLORS)]
        fig.plot(xs, ys, **kwargs)
    if point is not None and all(math.isfinite(v) for v in point):
        px, py = float(point[0]), float(point[1])
        ys_all.append(py)
        kwargs = {"marker": "@" if ascii else "●"}
        if color:
            kwargs["color"] = POINT_COLOR
        fig.scatter([min(max(px, lo), hi)], [py], **kwargs)

    ymin, ymax = (min(ys_all), max(ys_all)) if ys_all else (0.0, 1.0)
    if ymax - ymin < 1e-9:
        ymin, ymax = ymin - 1.0, ymax + 1.0
    # Widen the y range to round numbers so the ends read well (sigmoid spans exactly 0..1).
    ystep = _nice_step(ymax - ymin, 4)
    ymin, ymax = math.floor(ymin / ystep + 1e-9) * ystep, math.ceil(ymax / ystep - 1e-9) * ystep
    yt = _ticks(ymin, ymax, max(1, min(4, (height - 3) // 2)))
    if len(yt) < 2:
        yt = sorted({ymin, *yt, ymax})
    xt = _ticks(lo, hi, max(2, min(8, width // 10)))
    fig.yticks(yt, [fmt_tick(v) for v in yt])
    fig.xticks(xt, [fmt_tick(v) for v in xt])
    fig.ylim(ymin, ymax)
    fig.xlim(lo, hi)

    text = fig.build()
    if not color:
        text = ANSI_RE.sub("", text)
    if ascii:
        text = to_ascii(ANSI_RE.sub("", text))
    return "\n".join(line.rstrip() for line in text.splitlines())
