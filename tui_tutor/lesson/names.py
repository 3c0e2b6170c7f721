"""Names a lesson may use in `train` blocks and in questions about a run.

They live in the lesson layer because the loader checks lessons against them: the loader
must not import the training package (numpy, TensorFlow) or the grading engine to know
which words a lesson may write. Training and grading import these from here.
"""

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
#: Built-in datasets (see `training/datasets.py`; a test keeps the two in step).
DATASET_NAMES: tuple[str, ...] = ("xor", "moons", "noisy-sine", "penguins", "weather", "digits")
#: Datasets whose target is a class name: their classes, in the order of the one-hot columns.
DATASET_CLASSES: dict[str, tuple[str, ...]] = {"penguins": ("Adelie", "Chinstrap", "Gentoo"),
                                               "digits": tuple(str(d) for d in range(10))}
#: The shape of one input row (without the batch axis), for the loader's layer checks.
DATASET_INPUT_SHAPES: dict[str, tuple[int, ...]] = {
    "xor": (2,), "moons": (2,), "noisy-sine": (1,), "penguins": (4,), "weather": (6,), "digits": (8, 8, 1)}
#: Datasets with missing values: a `train` block on them needs `drop_missing: true`.
DATASETS_WITH_MISSING: frozenset[str] = frozenset({"penguins"})

#: Names a question with `run:` may use in its formulas, and what they mean.
RUN_VALUE_NAMES: dict[str, str] = {
    "final_loss": "training loss at the last logged epoch",
    "final_accuracy": "training accuracy at the last logged epoch",
    "final_val_loss": "validation loss at the last logged epoch",
    "final_val_accuracy": "validation accuracy at the last logged epoch",
    "best_val_loss": "lowest validation loss",
    "best_val_epoch": "epoch of the lowest validation loss",
    "best_loss_epoch": "epoch of the lowest training loss",
    "epochs_run": "epochs the run went through",
    "test_loss": "loss on the held-out test set (a `split:` run)",
    "test_accuracy": "accuracy on the held-out test set (a `split:` run)",
    "test_errors": "test rows the network got wrong (a `split:` run)",
    "test_rmse": "root mean squared error on the held-out test set (a `split:` run with loss mse)",
    "baseline_rmse": "root mean squared error of the dataset's baseline guess on the test set (weather: tomorrow = today)",
    "test_rows": "rows in the test set (a `split:` run)",
}
#: Hidden units of the first layer that get run values of their own (two-input networks).
MAX_NAMED_UNITS = 8
#: The four XOR inputs, as the run-value names write them: `10` is x1 = 1, x2 = 0.
XOR_INPUT_NAMES: tuple[str, ...] = ("00", "01", "10", "11")
for _unit in range(1, MAX_NAMED_UNITS + 1):
    for _point in XOR_INPUT_NAMES:
        RUN_VALUE_NAMES[f"h{_unit}_{_point}"] = (
            f"output of hidden unit {_unit} of the first layer for x1 = {_point[0]}, x2 = {_point[1]}, "
            "from the run's learned weights (a small two-input network)"
        )
    RUN_VALUE_NAMES[f"h{_unit}_w1"] = f"learned weight from x1 into hidden unit {_unit} of the first layer"
    RUN_VALUE_NAMES[f"h{_unit}_w2"] = f"learned weight from x2 into hidden unit {_unit} of the first layer"
    RUN_VALUE_NAMES[f"h{_unit}_b"] = f"learned bias of hidden unit {_unit} of the first layer"
del _unit, _point


def class_key(name: str) -> str:
    """A class name as part of a run-value name: `Chinstrap` -> `chinstrap`, `7` -> `7`."""
    key = "".join(c if c.isascii() and c.isalnum() else "_" for c in name.lower()).strip("_")
    while "__" in key:
        key = key.replace("__", "_")
    return key or "class"


RUN_VALUE_NAMES["cm_largest_error"] = "the count in the largest off-diagonal cell of the run's confusion matrix"
for _classes in DATASET_CLASSES.values():
    for _true in _classes:
        RUN_VALUE_NAMES[f"acc_{class_key(_true)}"] = f"share of the test rows of class {_true} the run labelled right"
        for _predicted in _classes:
            RUN_VALUE_NAMES[f"cm_{class_key(_true)}_{class_key(_predicted)}"] = (
                f"test rows of class {_true} the run labelled {_predicted} (its confusion matrix)")
del _classes, _true, _predicted
RUN_VALUE_NAMES.update({
    "sweep_seeds": "seeds in the learner's sweep (a `sweep:` block)",
    "sweep_done": "seeds of the sweep whose run has ended",
    "sweep_solved": "seeds of the sweep that solved the task (final training loss below the sweep's `solved_loss`)",
    "sweep_median_loss": "median final training loss of the sweep's finished seeds",
})

#: The settings a learner changes in a training view, as `run_settings:` names them, and the
#: short labels the views show ("units 2").
RUN_SETTING_LABELS: dict[str, str] = {"learning_rate": "lr", "hidden_units": "units", "hidden_activation": "act",
                                      "epochs": "epochs", "batch_size": "batch", "seed": "seed"}
