"""playground: what a small network computes over the whole input plane, drawn in characters.

A terminal cousin of TensorFlow Playground. The big map is the network's output over two
inputs (x1 across, x2 up) with the data points on it: cells below 0.5 take the light half
of a shading ramp, cells from 0.5 up the dark half, so the decision boundary is where the
two halves meet, readable without colour. Each small map is one hidden unit: a unit that
ignores its inputs (a dead ReLU) has a flat map and is labelled so.

The numbers come from `tui_tutor.neural.playground` (numpy, no Textual). The network is the
lesson's (`preset:` or `layers:` options) until a training run on the same step starts
reporting weights: then the Playground shows that run's weights (`s` switches back and
forth). It listens on the screen's message signal for the training view's messages, so it
needs no wiring in the lesson screen: `WeightsChanged` during a run of a small model (at the
view's redraw rate, at most twice a second) and `RunEnded` with the learned weights of a
finished run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from tui_tutor.lesson.widget_options import playground_options
from tui_tutor.neural import playground as pg
from tui_tutor.ui.widgets.interactive.base import InteractiveWidget, fmt

if TYPE_CHECKING:
    from tui_tutor.ui.training.view import RunRecord, TrainView

MAIN_COLS, MAIN_ROWS = 22, 9  # the output map, inside its frame
UNIT_COLS, UNIT_ROWS = 9, 4  # one hidden unit's map, inside its frame
UNITS_PER_ROW = 4
MAX_UNIT_MAPS = 8
GAP = 2
#: Styles of the two classes' halves (colour terminals only; the characters carry the meaning).
CLASS_STYLES = ("blue", "dark_orange")

FRAME_UTF8 = ("┌", "─", "┐", "│", "└", "┘")
FRAME_ASCII = ("+", "-", "+", "|", "+", "+")

PRESET_TITLES = {
    "xor-hand": "lesson 1's XOR network, set by hand",
    "stuck-run": "a stuck XOR run (loss 0.693)",
    "solved-run": "an XOR run that learned",
}
PROBE = Binding.Group("probe")


def _round_weights(net: pg.Network) -> str:
    units = net.layers[0].units
    return f"{units} hidden unit{'s' if units != 1 else ''}, {net.layers[0].activation}"


class Playground(InteractiveWidget):
    """The output map with the data, one map per hidden unit, and a probe to read values."""

    BINDINGS = [
        Binding("left", "probe(-1, 0)", "probe", group=PROBE),
        Binding("right", "probe(1, 0)", "probe", group=PROBE),
        Binding("up", "probe(0, -1)", "probe", group=PROBE),
        Binding("down", "probe(0, 1)", "probe", group=PROBE),
        Binding("s", "switch", "lesson net / your run"),
        Binding("r", "reset", "reset probe"),
    ]

    class NetworkShown(Message):
        """The Playground now shows another network (tests wait for it)."""

    def __init__(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.settings, self.option_errors = playground_options(self.options)
        from tui_tutor.training import datasets  # numpy only: no TensorFlow

        self.x, self.y = datasets.load(self.settings.dataset)
        if self.settings.layers:
            self.lesson_net = pg.network_from_weights(
                [{"kernel": layer.kernel, "bias": layer.bias} for layer in self.settings.layers],
                [layer.activation for layer in self.settings.layers])
            self.lesson_title = "the lesson's network"
        else:
            self.lesson_net = pg.PRESETS[self.settings.preset]
            self.lesson_title = PRESET_TITLES[self.settings.preset]
        margin = 0.5 if self.settings.dataset == "xor" else 0.3
        self.plane = pg.plane_around(self.x, MAIN_COLS, MAIN_ROWS, margin)
        self.run_net: pg.Network | None = None
        self.run_title = ""
        self.showing_run = False
        self.probe: tuple[int, int] = self._start_probe()
        self._maps_cache: tuple[pg.Network, pg.Maps] | None = None
        #: The run whose live weights are shown: (its view, its number); None between runs.
        self._live_run: tuple[TrainView, int] | None = None

    # -- the network shown ---------------------------------------------------------------
    @property
    def net(self) -> pg.Network:
        return self.run_net if self.showing_run and self.run_net is not None else self.lesson_net

    @property
    def title(self) -> str:
        return self.run_title if self.showing_run and self.run_net is not None else self.lesson_title

    def maps(self) -> pg.Maps:
        net = self.net
        if self._maps_cache is None or self._maps_cache[0] is not net:
            self._maps_cache = (net, pg.compute_maps(net, self.plane))
        return self._maps_cache[1]

    def show_run(self, weights: list[dict[str, list[Any]]], activations: list[str], title: str,
                 switch: bool = True) -> bool:
        """Show a run's learned weights; False (and nothing changes) when they do not fit the plane.
        With `switch` False the learner's choice (`s`) of lesson net or run stays."""
        try:
            net = pg.network_from_weights(weights, activations)
        except (ValueError, KeyError, TypeError):
            return False
        self.run_net, self.run_title = net, title
        self.showing_run = self.showing_run or switch
        self.changed()
        self.post_message(self.NetworkShown())
        return True

    # -- following training runs ---------------------------------------------------------
    def on_mount(self) -> None:
        super().on_mount()
        if not self.settings.follow:
            return
        from tui_tutor.ui.training.view import TrainView

        self._train_view_class = TrainView
        try:
            self.screen.message_signal.subscribe(self, self._on_screen_message, immediate=True)
        except Exception:  # noqa: BLE001 - no screen (a bare host): the lesson network only
            return
        self.call_after_refresh(self._take_earlier_runs)

    def _follows(self, view: TrainView) -> bool:
        return not self.settings.run or view.spec.id == self.settings.run

    def _on_screen_message(self, message: Message) -> None:
        """Every message the screen handles passes here: keep only finished runs we follow."""
        run_ended = getattr(self._train_view_class, "RunEnded", None)
        if run_ended is not None and isinstance(message, run_ended) and self._follows(message.view):
            self.call_next(self._take_run, message.view, message.record)
        weights_changed = getattr(self._train_view_class, "WeightsChanged", None)
        if weights_changed is not None and isinstance(message, weights_changed) and self._follows(message.view):
            self.call_next(self._take_live, message.view, message.record, message.weights, message.epoch)

    def _take_earlier_runs(self) -> None:
        """A run finished before this widget was mounted (the learner came back to the step)."""
        for view in self.screen.query(self._train_view_class):
            if self._follows(view):
                finished = [r for r in view.runs if r.outcome == "finished" and r.weights]
                if finished:
                    self._take_run(view, finished[-1])

    def _take_run(self, view: TrainView, record: RunRecord) -> None:
        if record.outcome != "finished" or not record.weights:
            return
        acts, title = self._run_net(view, record, record.weights)
        self.show_run(record.weights, acts, title, switch=self._live_run != (view, record.number))
        self._live_run = None

    def _take_live(self, view: TrainView, record: RunRecord, weights: list[dict[str, list[Any]]], epoch: int) -> None:
        """A run in progress reported new weights: draw them (the first time, switch to the run)."""
        if not weights:
            return
        acts, title = self._run_net(view, record, weights)
        first = self._live_run != (view, record.number)
        if self.show_run(weights, acts, f"{title}, epoch {epoch}", switch=first):
            self._live_run = (view, record.number)

    def _run_net(self, view: TrainView, record: RunRecord,
                 weights: list[dict[str, list[Any]]]) -> tuple[list[str], str]:
        """The activations of a run's layers and the title of its network."""
        layers = view.spec.layers
        hidden_act = str(record.settings.get("hidden_activation", layers[0].activation if layers else "relu"))
        acts = [hidden_act] * (len(weights) - 1) + [layers[-1].activation if layers else "sigmoid"]
        seed = record.settings.get("seed", "?")
        return acts, f"your run {record.number} (seed {seed}, {hidden_act})"

    # -- keys -----------------------------------------------------------------------------
    def _start_probe(self) -> tuple[int, int]:
        return MAIN_ROWS // 2, MAIN_COLS // 2

    def action_probe(self, dx: int, dy: int) -> None:
        row, col = self.probe
        self.probe = (min(MAIN_ROWS - 1, max(0, row + dy)), min(MAIN_COLS - 1, max(0, col + dx)))
        self.changed()

    def action_switch(self) -> None:
        if self.run_net is None:
            self.notify("Train the network on this step first: then s switches to your run.")
            return
        self.showing_run = not self.showing_run
        self.changed()

    def action_reset(self) -> None:
        self.probe = self._start_probe()
        self.changed()

    # -- drawing --------------------------------------------------------------------------
    @property
    def ramp(self) -> str:
        return pg.ASCII_RAMP if self.ascii_mode else pg.UTF8_RAMP

    @property
    def frame(self) -> tuple[str, ...]:
        return FRAME_ASCII if self.ascii_mode else FRAME_UTF8

    def _output_block(self, maps: pg.Maps) -> list[Text]:
        """The framed output map with the data points (their class digit) and the probe."""
        tl, h, tr, v, bl, br = self.frame
        chars = [list(row) for row in pg.output_levels(maps.output, self.ramp)]
        half = len(self.ramp) // 2
        marks: dict[tuple[int, int], str] = {}
        for (a, b), label in zip(self.x, self.y[:, 0]):
            cell = self.plane.cell(float(a), float(b))
            if cell is not None:
                marks[cell] = "1" if label >= 0.5 else "0"
        lines = [Text(tl + h * MAIN_COLS + tr)]
        for r in range(MAIN_ROWS):
            line = Text(v)
            for c in range(MAIN_COLS):
                ch = marks.get((r, c), chars[r][c])
                style = ""
                if (r, c) in marks:
                    style = "bold reverse"
                elif self.use_color:
                    style = CLASS_STYLES[0] if self.ramp.index(chars[r][c]) < half else CLASS_STYLES[1]
                if (r, c) == self.probe:
                    ch, style = ("+" if (r, c) not in marks else ch), "bold underline reverse"
                line.append(ch, style or None)
            line.append(v)
            lines.append(line)
        lines.append(Text(bl + h * MAIN_COLS + br))
        return lines

    def _unit_blocks(self, maps: pg.Maps) -> list[list[Text]]:
        """One framed block per hidden unit: a label line, then its map."""
        tl, h, tr, v, bl, br = self.frame
        units = maps.units[:MAX_UNIT_MAPS]
        if not units:
            return []
        lo = min(float(m.min()) for m in units)
        hi = max(float(m.max()) for m in units)
        blocks = []
        for number, values in enumerate(units, start=1):
            small = _resize(values, UNIT_ROWS, UNIT_COLS)
            flat = pg.is_flat(values)
            label = f"h{number} " + (("dead" if float(values.max()) == 0.0 else "flat") if flat else "")
            rows = pg.shade(small, lo, hi, self.ramp)
            block = [Text(label[: UNIT_COLS + 2].ljust(UNIT_COLS + 2), style="bold" if flat else "")]
            block.append(Text(tl + h * UNIT_COLS + tr))
            block += [Text(v + row + v) for row in rows]
            block.append(Text(bl + h * UNIT_COLS + br))
            blocks.append(block)
        return blocks

    def _probe_line(self) -> str:
        centres = self.plane.centres().reshape(MAIN_ROWS, MAIN_COLS, 2)
        row, col = self.probe
        point = centres[row, col]
        outs = self.net.forward(point[None, :])
        parts = [f"x1 = {fmt(float(point[0]), 2)}, x2 = {fmt(float(point[1]), 2)}:"]
        if len(outs) > 1:
            parts += [f"h{j + 1} = {fmt(float(value), 2)}" for j, value in enumerate(outs[0][0][:MAX_UNIT_MAPS])]
        parts.append(f"output = {fmt(float(outs[-1][0, 0]), 3)}")
        return " ".join(parts[:1]) + " " + ", ".join(parts[1:])

    def render_text(self) -> Text:
        maps = self.maps()
        ramp = self.ramp
        half = len(ramp) // 2
        out = Text(f"Showing {self.title}: {_round_weights(self.net)}.\n", style="bold")
        out.append(f"Output: blank '{ramp[1:half]}' below 0.5, '{ramp[half:]}' from 0.5; 0 and 1: the data "
                   "points.\n", style="dim")
        left = self._output_block(maps)
        blocks = self._unit_blocks(maps)
        right: list[Text] = []
        if blocks:
            right.append(Text("hidden units (x1 across, x2 up)", style="dim"))
            for start in range(0, len(blocks), UNITS_PER_ROW):
                group = blocks[start:start + UNITS_PER_ROW]
                for i in range(len(group[0])):
                    line = Text()
                    for block in group:
                        line.append_text(block[i])
                        line.append(" ")
                    right.append(line)
        side = bool(right) and self.text_width >= MAIN_COLS + 2 + GAP + UNITS_PER_ROW * (UNIT_COLS + 3)
        if side:
            for i in range(max(len(left), len(right))):
                line = left[i].copy() if i < len(left) else Text(" " * (MAIN_COLS + 2))
                line.append(" " * GAP)
                if i < len(right):
                    line.append_text(right[i])
                out.append_text(line)
                out.append("\n")
        else:
            for line in [*left, *right]:
                out.append_text(line)
                out.append("\n")
        correct = int(np.sum((self.net.predict(self.x) >= 0.5) == (self.y[:, 0] >= 0.5)))
        keys = "arrows move the probe (+)"
        keys += "; s: lesson net or your run" if self.run_net is not None else ""
        out.append(f"{correct} of {len(self.x)} points on their own side; {keys}.\n", style="dim")
        out.append(f"Probe at {self._probe_line()}"[: self.text_width])
        return out


def _resize(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Sample a map at `rows` x `cols` evenly spaced cells (nearest neighbour)."""
    r = np.linspace(0, values.shape[0] - 1, rows).round().astype(int)
    c = np.linspace(0, values.shape[1] - 1, cols).round().astype(int)
    return values[np.ix_(r, c)]
