"""Names a lesson's `train` block may use: plain data, so the lesson loader can check them
without importing numpy or TensorFlow."""

from __future__ import annotations

#: Optimizer names a ``train`` block may use.
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd", "rmsprop", "adamw", "adagrad", "nadam")
#: Loss names a ``train`` block may use (Keras' own names).
LOSSES: tuple[str, ...] = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mse",
    "mean_squared_error",
    "mae",
    "mean_absolute_error",
    "huber",
)
#: Activation names a layer may use.
ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "elu",
    "selu",
    "gelu",
    "leaky_relu",
    "softplus",
    "swish",
)
#: Built-in datasets (see `datasets.py`; a test keeps the two in step).
DATASET_NAMES: tuple[str, ...] = ("xor", "moons", "noisy-sine")
