"""Loss curves as text: pure rendering (no Textual), called by the training view only when
there is new data, at most a few times a second.

The current run is drawn boldly (braille, or `*` in ASCII); earlier runs stay as fainter
dotted lines so a learner can compare settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from plotext._figure import _figure_class as _Figure

from tui_tutor.asciify import to_ascii
from tui_tutor.neural.plots import ANSI_RE, fmt_tick

#: Long runs are thinned to this many points per curve: plotext's build cost grows with points.
MAX_POINTS = 160


@dataclass(frozen=True)
class Curve:
    label: str
    epochs: tuple[int, ...]
    values: tuple[float, ...]
    faint: bool = False  # an earlier run
    validation: bool = False


def thin(epochs: tuple[int, ...], values: tuple[float, ...], limit: int = MAX_POINTS) -> tuple[list[int], list[float]]:
    """Every k-th point (and always the last), finite values only."""
    pairs = [(e, v) for e, v in zip(epochs, values) if math.isfinite(v)]
    if len(pairs) > limit:
        step = math.ceil(len(pairs) / limit)
        pairs = pairs[::step] + ([pairs[-1]] if (len(pairs) - 1) % step else [])
    return [e for e, _ in pairs], [v for _, v in pairs]


def render_loss_plot(curves: list[Curve], width: int, height: int, *, ascii: bool = False,
                     color: bool = True, max_epoch: int | None = None) -> str:
    """The curves against epochs; the x axis spans `max_epoch` when given (the planned run)."""
    width, height = max(20, int(width)), max(6, int(height))
    fig = _Figure()
    fig.plotsize(width, height)
    fig.theme("clear")
    all_values: list[float] = []
    top_epoch = max_epoch or 1
    for curve in curves:
        xs, ys = thin(curve.epochs, curve.values)
        if not xs:
            continue
        all_values.extend(ys)
        top_epoch = max(top_epoch, xs[-1])
        if curve.faint:
            marker = "."
        elif curve.validation:
            marker = "+"  # a plain character: sextant and block markers are missing from many fonts
        else:
            marker = "*" if ascii else "braille"
        kwargs: dict[str, Any] = {"marker": marker, "label": curve.label}
        if color:
            kwargs["color"] = "gray" if curve.faint else ("orange+" if curve.validation else "cyan+")
        fig.plot(xs, ys, **kwargs)
    if not all_values:
        all_values = [0.0, 1.0]
    low, high = min(all_values), max(all_values)
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    low = min(0.0, low) if low >= 0 and low < 0.2 * high else low
    fig.ylim(low, high)
    fig.xlim(0, top_epoch)
    ticks = [low + (high - low) * i / 3 for i in range(4)]
    fig.yticks(ticks, [fmt_tick(t) if abs(t) >= 0.01 or t == 0 else f"{t:.0e}" for t in ticks])
    xt = [round(top_epoch * i / 4) for i in range(5)]
    fig.xticks(xt, [str(t) for t in xt])
    fig.xlabel("epoch")
    text = fig.build()
    if not color:
        text = ANSI_RE.sub("", text)
    if ascii:
        text = to_ascii(ANSI_RE.sub("", text))
    return "\n".join(line.rstrip() for line in text.splitlines())
