"""The settings a learner may change between runs, as ladders of sensible values.

Plain data, UI-free: the training view and line mode show them and turn them into the
runner's overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tui_tutor.lesson.model import TrainSpec

#: A ladder holds numbers (ints count as floats here) or names, never both.
V = TypeVar("V", float, str)

LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 1000.0)
UNITS = (1, 2, 3, 4, 6, 8, 16, 32, 64)
ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
EPOCHS = (10, 20, 50, 100, 200, 300, 500, 1000, 2000)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)
SEEDS = tuple(range(1, 21))


@dataclass(frozen=True)
class Setting(Generic[V]):
    key: str  # the runner's override name
    label: str
    ladder: tuple[V, ...]


SETTINGS: tuple[Setting[Any], ...] = (
    Setting("learning_rate", "lr", LEARNING_RATES),
    Setting("hidden_units", "units", UNITS),
    Setting("hidden_activation", "act", ACTIVATIONS),
    Setting("epochs", "epochs", EPOCHS),
    Setting("batch_size", "batch", BATCH_SIZES),
    Setting("seed", "seed", SEEDS),
)


def settings_for(spec: TrainSpec) -> tuple[Setting[Any], ...]:
    """The settings a learner can change for `spec`: hidden units and activation only when every
    hidden layer is Dense (a convolutional network's layers are the lesson's to choose: the
    runner refuses those two overrides for it)."""
    hidden = spec.layers[:-1]
    if hidden and all(layer.dense for layer in hidden):
        return SETTINGS
    return tuple(s for s in SETTINGS if s.key not in ("hidden_units", "hidden_activation"))


def initial_values(spec: TrainSpec) -> dict[str, Any]:
    hidden = spec.layers[:-1]
    return {
        "learning_rate": spec.learning_rate,
        "hidden_units": hidden[0].units if hidden else 0,
        "hidden_activation": hidden[0].activation if hidden else "linear",
        "epochs": spec.epochs,
        "batch_size": spec.batch_size,
        "seed": spec.seed,
    }


def step_value(setting: Setting[V], current: V, direction: int) -> V:
    """The next value up or down the ladder from `current` (which need not be on it)."""
    ladder = setting.ladder
    if current in ladder:
        index = ladder.index(current) + direction
        return ladder[max(0, min(len(ladder) - 1, index))]
    if isinstance(current, str):
        return ladder[0]
    bigger = [v for v in ladder if v > current]
    smaller = [v for v in ladder if v < current]
    if direction > 0:
        return bigger[0] if bigger else current
    return smaller[-1] if smaller else current


def show(value: float | str) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def overrides(spec: TrainSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the lesson's spec, so a run with untouched settings is the lesson's run."""
    base = initial_values(spec)
    out = {k: v for k, v in values.items() if v != base.get(k)}
    if len(spec.layers) < 2:  # no hidden layer: nothing to change there
        out.pop("hidden_units", None)
        out.pop("hidden_activation", None)
    return out
