"""The arithmetic behind the terminal Playground: a small Dense network over the input plane.

A network here is a list of Dense layers given by their weights, in Keras' layout (kernel
rows by input, columns by unit), which is also what a finished training run reports. The
Playground evaluates it at every cell of a grid laid over two inputs (x1 across, x2 up)
and draws two kinds of maps from the numbers:

- the *output map*: the network's output at each cell; where it crosses 0.5 lies the
  decision boundary between the two classes;
- one *unit map* per hidden unit: what that unit outputs at each cell. A dead ReLU unit
  outputs 0 everywhere, so its map is flat, and so is the map of a unit whose input
  weights have shrunk to 0 (it outputs its bias, the same number everywhere).

Pure numpy, no Textual: the widget in `tui_tutor.ui.widgets.interactive.playground` only
turns these arrays into characters. Maps are arrays of shape (rows, cols), row 0 at the top
(the largest x2), as a screen shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Below this spread (largest minus smallest value over the plane) a map counts as flat.
FLAT_SPREAD = 1e-3

#: Shading ramps from low to high. ASCII only for terminals that are not UTF-8.
UTF8_RAMP = " ·░▒▓█"
ASCII_RAMP = " .:+*#"


def _act(name: str, z: FloatArray) -> FloatArray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free sigmoid
        return out
    if name == "tanh":
        return np.tanh(z)
    if name == "linear":
        return z
    raise ValueError(f"unknown activation {name!r}; expected relu, sigmoid, tanh or linear")


@dataclass(frozen=True)
class DenseLayer:
    """One Dense layer: `kernel[i][j]` is the weight from input i to unit j."""

    kernel: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    activation: str

    @property
    def inputs(self) -> int:
        return len(self.kernel)

    @property
    def units(self) -> int:
        return len(self.bias)


@dataclass(frozen=True)
class Network:
    """Dense layers in order; the last one is the output layer (one unit)."""

    layers: tuple[DenseLayer, ...]

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("a network needs at least one layer")
        width = 2
        for number, layer in enumerate(self.layers, start=1):
            if layer.inputs != width or any(len(row) != layer.units for row in layer.kernel):
                raise ValueError(f"layer {number} needs a kernel of {width} rows with {layer.units} weights each")
            _act(layer.activation, np.zeros(1))  # an unknown activation fails here
            width = layer.units
        if width != 1:
            raise ValueError("the last layer must have exactly one unit (the output)")

    @property
    def hidden(self) -> tuple[DenseLayer, ...]:
        return self.layers[:-1]

    def forward(self, x: npt.ArrayLike) -> list[FloatArray]:
        """Outputs of every layer for the rows of `x` (shape (n, 2)); the last is (n, 1)."""
        values = np.asarray(x, dtype=np.float64).reshape(-1, 2)
        outs = []
        for layer in self.layers:
            kernel = np.asarray(layer.kernel, dtype=np.float64)
            values = _act(layer.activation, values @ kernel + np.asarray(layer.bias, dtype=np.float64))
            outs.append(values)
        return outs

    def predict(self, x: npt.ArrayLike) -> FloatArray:
        """The output for each row of `x`, as a flat array."""
        return self.forward(x)[-1][:, 0]


def network_from_weights(weights: Sequence[Mapping[str, Any]], activations: Sequence[str]) -> Network:
    """A Network from Keras-style weights (`[{"kernel": [[...]], "bias": [...]}, ...]`).

    `activations` gives one name per layer. Raises ValueError when the shapes do not fit a
    network with two inputs and one output.
    """
    if len(weights) != len(activations):
        raise ValueError(f"{len(weights)} layers of weights but {len(activations)} activations")
    layers = []
    for layer, act in zip(weights, activations):
        kernel = tuple(tuple(float(w) for w in row) for row in layer["kernel"])
        bias = tuple(float(b) for b in layer["bias"])
        layers.append(DenseLayer(kernel, bias, str(act)))
    return Network(tuple(layers))


@dataclass(frozen=True)
class Plane:
    """The part of the input plane the maps show: x1 from left to right, x2 from bottom to top."""

    x1: tuple[float, float]
    x2: tuple[float, float]
    cols: int
    rows: int

    def __post_init__(self) -> None:
        if self.cols < 1 or self.rows < 1 or not self.x1[0] < self.x1[1] or not self.x2[0] < self.x2[1]:
            raise ValueError("a plane needs at least one cell and ranges from low to high")

    def centres(self) -> FloatArray:
        """The centre of every cell, row by row from the top: shape (rows * cols, 2)."""
        a1 = self.x1[0] + (np.arange(self.cols) + 0.5) * (self.x1[1] - self.x1[0]) / self.cols
        a2 = self.x2[1] - (np.arange(self.rows) + 0.5) * (self.x2[1] - self.x2[0]) / self.rows
        g1, g2 = np.meshgrid(a1, a2)
        return np.stack([g1.ravel(), g2.ravel()], axis=1)

    def cell(self, x1: float, x2: float) -> tuple[int, int] | None:
        """(row, col) of the cell holding the point, or None outside the plane."""
        col = int(np.floor((x1 - self.x1[0]) / (self.x1[1] - self.x1[0]) * self.cols))
        row = int(np.floor((self.x2[1] - x2) / (self.x2[1] - self.x2[0]) * self.rows))
        if 0 <= col < self.cols and 0 <= row < self.rows:
            return row, col
        return None


def plane_around(points: npt.ArrayLike, cols: int, rows: int, margin: float = 0.5) -> Plane:
    """A plane that holds every point with `margin` to spare on each side."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    lo, hi = p.min(axis=0) - margin, p.max(axis=0) + margin
    return Plane((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), cols, rows)


@dataclass(frozen=True)
class Maps:
    """Everything the Playground draws: the output map and one map per hidden unit."""

    plane: Plane
    output: FloatArray  # (rows, cols)
    units: tuple[FloatArray, ...]  # one (rows, cols) map per unit of the first hidden layer, in order

    def flat_units(self) -> tuple[bool, ...]:
        return tuple(is_flat(m) for m in self.units)


def compute_maps(net: Network, plane: Plane) -> Maps:
    """Evaluate the network over the plane (the unit maps are of the first hidden layer)."""
    outs = net.forward(plane.centres())
    shape = (plane.rows, plane.cols)
    output = outs[-1][:, 0].reshape(shape)
    units: tuple[FloatArray, ...] = ()
    if len(outs) > 1:
        first = outs[0]
        units = tuple(first[:, j].reshape(shape) for j in range(first.shape[1]))
    return Maps(plane, output, units)


def is_flat(values: npt.ArrayLike, spread: float = FLAT_SPREAD) -> bool:
    """True when a map hardly changes over the plane: the unit ignores its inputs."""
    v = np.asarray(values, dtype=np.float64)
    return bool(v.size == 0 or float(v.max() - v.min()) < spread)


def shade(values: npt.ArrayLike, lo: float, hi: float, ramp: str) -> list[str]:
    """Rows of characters: each value placed on `ramp` between `lo` and `hi` (clipped)."""
    v = np.asarray(values, dtype=np.float64)
    levels = len(ramp)
    if hi - lo <= 0:
        index = np.zeros(v.shape, dtype=int)
    else:
        index = np.clip(np.floor((v - lo) / (hi - lo) * levels), 0, levels - 1).astype(int)
    return ["".join(ramp[i] for i in row) for row in np.atleast_2d(index)]


def output_levels(output: npt.ArrayLike, ramp: str) -> list[str]:
    """The output map as characters: the lower half of the ramp below 0.5, the upper half from 0.5.

    Class-0 cells always take a character from the first half and class-1 cells one from the
    second, so the decision boundary is where the two halves meet, visible without colour.
    """
    v = np.clip(np.asarray(output, dtype=np.float64), 0.0, 1.0)
    half = len(ramp) // 2
    low = np.clip(np.floor(v / 0.5 * half), 0, half - 1)
    high = half + np.clip(np.floor((v - 0.5) / 0.5 * (len(ramp) - half)), 0, len(ramp) - half - 1)
    index = np.where(v < 0.5, low, high).astype(int)
    return ["".join(ramp[i] for i in row) for row in np.atleast_2d(index)]


def separates(net: Network, x: npt.ArrayLike, y: npt.ArrayLike, threshold: float = 0.5) -> bool:
    """True when every point lies on its own class's side of the decision boundary."""
    predicted = net.predict(x) >= threshold
    return bool(np.all(predicted == (np.asarray(y, dtype=np.float64).ravel() >= 0.5)))


# --------------------------------------------------------------------------- presets

#: The episode's XOR network (see source-material/xor-network.md): ReLU everywhere.
XOR_HAND = Network((
    DenseLayer(((1.0, 1.0), (1.0, 1.0)), (0.0, -1.0), "relu"),
    DenseLayer(((1.0,), (-2.0,)), (0.0,), "relu"),
))

#: A stuck XOR run, rounded from a real one (lesson 2's seed 2: 2 ReLU units, lr 0.05,
#: 500 epochs, loss 0.6931): unit 1's input weights have shrunk to 0, so it outputs its
#: bias, 0.36, everywhere; unit 2 is negative on the whole data, a dead ReLU.
STUCK_RUN = Network((
    DenseLayer(((0.0, -1.11), (0.0, -0.19)), (0.36, -0.73), "relu"),
    DenseLayer(((0.41,), (-0.78,)), (-0.15,), "sigmoid"),
))

#: A run that solved XOR, rounded from lesson 2's seed 1 (2 ReLU units): each hidden unit
#: fires for one of the two "exactly one input" corners.
SOLVED_RUN = Network((
    DenseLayer(((-3.3, 3.53), (3.3, -3.53)), (0.0, 0.0), "relu"),
    DenseLayer(((4.32,), (4.09,)), (-6.57,), "sigmoid"),
))

PRESETS: Mapping[str, Network] = {"xor-hand": XOR_HAND, "stuck-run": STUCK_RUN, "solved-run": SOLVED_RUN}
