"""Small, dependency-free neural-network arithmetic used by the lessons' widgets and tests.

Plain Python floats rather than numpy: every computation here is a handful of numbers, and
the explorer widgets want each intermediate step, not just the result.
"""

from tui_tutor.neural.math import (
    ACTIVATION_DESCRIPTIONS,
    ACTIVATION_FORMULAS,
    ACTIVATIONS,
    XOR_NETWORK,
    NeuronTrace,
    XorNetwork,
    dense_params,
    huber,
    linear,
    mse,
    neuron,
    relu,
    sigmoid,
    squared_error,
    tanh,
    xor_forward,
)

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_DESCRIPTIONS",
    "ACTIVATION_FORMULAS",
    "XOR_NETWORK",
    "NeuronTrace",
    "XorNetwork",
    "dense_params",
    "huber",
    "linear",
    "mse",
    "neuron",
    "relu",
    "sigmoid",
    "squared_error",
    "tanh",
    "xor_forward",
]
