"""The arithmetic of the episode: one neuron, the XOR network, and two regression losses.

Every function works on plain floats so a widget can show each intermediate step exactly
as a learner would write it on paper (products, weighted sum, plus bias, activation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

Activation = Callable[[float], float]


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), written so that large |x| never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    ex = math.exp(x)
    return ex / (1.0 + ex)


def relu(x: float) -> float:
    """max(0, x): the usual hidden-layer activation."""
    return x if x > 0 else 0.0


def linear(x: float) -> float:
    """The identity: Keras' default activation for a Dense layer."""
    return float(x)


def tanh(x: float) -> float:
    """Hyperbolic tangent: like sigmoid, but centred on 0 with outputs in (-1, 1)."""
    return math.tanh(x)


#: Activation functions by the names Keras uses for them.
ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {"relu": relu, "sigmoid": sigmoid, "linear": linear, "tanh": tanh}
)

#: Formulas as plain ASCII text, readable on any terminal.
ACTIVATION_FORMULAS: Mapping[str, str] = MappingProxyType(
    {
        "sigmoid": "f(x) = 1 / (1 + e^-x)",
        "relu": "f(x) = max(0, x)",
        "linear": "f(x) = x",
        "tanh": "f(x) = (e^x - e^-x) / (e^x + e^-x)",
    }
)

#: One-line descriptions, in the tutor's own words.
ACTIVATION_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "sigmoid": "Squashes any number into (0, 1): a yes/no probability at the output.",
        "relu": "0 for negative inputs, the input itself otherwise: cheap non-linearity.",
        "linear": "Passes the weighted sum through unchanged: the output of a regression.",
        "tanh": "An S-curve like sigmoid, centred on 0, with outputs from -1 to 1.",
    }
)


def _activation(activation: str | Activation) -> tuple[str, Activation]:
    if callable(activation):
        return getattr(activation, "__name__", "f"), activation
    try:
        return activation, ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}") from None


@dataclass(frozen=True)
class NeuronTrace:
    """Every intermediate value of one neuron, in the order the episode computes them."""

    inputs: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    activation: str
    products: tuple[float, ...]  # x_i * w_i
    weighted_sum: float  # sum of the products
    pre_activation: float  # weighted_sum + bias
    output: float  # activation(pre_activation)


def neuron(
    inputs: Sequence[float], weights: Sequence[float], bias: float, activation: str | Activation = "relu"
) -> NeuronTrace:
    """output = activation(sum(x_i * w_i) + bias), keeping each step for display."""
    if len(inputs) != len(weights):
        raise ValueError(f"{len(inputs)} inputs but {len(weights)} weights")
    name, f = _activation(activation)
    xs = tuple(float(x) for x in inputs)
    ws = tuple(float(w) for w in weights)
    products = tuple(x * w for x, w in zip(xs, ws))
    total = math.fsum(products)
    z = total + float(bias)
    return NeuronTrace(xs, ws, float(bias), name, products, total, z, f(z))


@dataclass(frozen=True)
class XorNetwork:
    """A 2-2-1 network: `weights[(source, target)]`, `biases[neuron]`, one activation for all."""

    weights: Mapping[tuple[str, str], float]
    biases: Mapping[str, float]
    activation: str = "relu"
    hidden: tuple[str, ...] = field(default=("h1", "h2"))
    inputs: tuple[str, ...] = field(default=("x1", "x2"))
    output: str = "y"


#: The network of the episode's exercise figure (see source-material/xor-network.md).
XOR_NETWORK = XorNetwork(
    weights=MappingProxyType(
        {
            ("x1", "h1"): 1.0,
            ("x2", "h1"): 1.0,
            ("x1", "h2"): 1.0,
            ("x2", "h2"): 1.0,
            ("h1", "y"): 1.0,
            ("h2", "y"): -2.0,
        }
    ),
    biases=MappingProxyType({"h1": 0.0, "h2": -1.0, "y": 0.0}),
)


def xor_forward(x1: float, x2: float, net: XorNetwork = XOR_NETWORK) -> tuple[float, float, float]:
    """Forward pass of the 2-2-1 network: returns (h1, h2, y)."""
    xs = (x1, x2)
    hs = tuple(
        neuron(xs, [net.weights[(i, h)] for i in net.inputs], net.biases[h], net.activation).output
        for h in net.hidden
    )
    y = neuron(hs, [net.weights[(h, net.output)] for h in net.hidden], net.biases[net.output], net.activation)
    return hs[0], hs[1], y.output


def squared_error(prediction: float, expected: float) -> float:
    """(prediction - expected)^2: one row of the episode's loss table."""
    return (prediction - expected) ** 2


def mse(pairs: Iterable[tuple[float, float]]) -> float:
    """Mean squared error over (prediction, expected) pairs, i.e. the rows of the episode's table."""
    errors = [squared_error(p, e) for p, e in pairs]
    if not errors:
        raise ValueError("mse of no samples")
    return math.fsum(errors) / len(errors)


def huber(error: float, delta: float = 1.0) -> float:
    """Huber loss as Keras defines it: error^2 / 2 inside +-delta, then growing only linearly."""
    if delta <= 0:
        raise ValueError("delta must be positive")
    a = abs(error)
    if a <= delta:
        return 0.5 * a * a
    return delta * (a - 0.5 * delta)


def dense_params(inputs: int, units: int) -> int:
    """Trainable parameters of a Dense layer: one weight per input per unit, plus one bias per unit."""
    if inputs < 0 or units < 0:
        raise ValueError("inputs and units must not be negative")
    return inputs * units + units
