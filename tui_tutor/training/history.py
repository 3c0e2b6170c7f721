"""The learner's own run as numbers, for plots and for questions graded against it.

``RunHistory`` collects ``EpochEnd`` logs. Epoch numbers are the logical, 1-based epochs
(passes over the training data) that the events carry; a long run logs every few epochs, so
the logged epochs may be 5, 10, 15, ...
"""

from __future__ import annotations

import math
from typing import Any, Literal
from collections.abc import Callable, Iterable, Mapping, Sequence

from tui_tutor.lesson.names import MAX_NAMED_UNITS, XOR_INPUT_NAMES
from tui_tutor.lesson.names import RUN_VALUE_NAMES as RUN_VALUE_NAMES  # defined with the other lesson names
from tui_tutor.training.events import EpochEnd, Failed, Finished, Started, Stopped


def run_values(history: RunHistory, weights: Sequence[Mapping[str, Any]] = (),
               activation: str = "relu") -> dict[str, float]:
    """The RUN_VALUE_NAMES this run can give (a run without validation has no val_ values).

    With the run's learned ``weights`` (``Finished``'s layout) of a network with two inputs
    and ``activation`` in its first layer, also each first-layer unit's weights and bias
    (``h1_w1``, ``h1_w2``, ``h1_b``) and its output at the four XOR inputs (``h1_10``: x1 = 1,
    x2 = 0), for its first ``MAX_NAMED_UNITS`` units.
    """
    out: dict[str, float] = {}
    if not history:
        return out
    out.update(hidden_values(weights, activation))
    out["epochs_run"] = float(history.last_epoch)
    for metric in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if metric in history.metrics:
            try:
                value = history.final(metric)
            except ValueError:
                continue
            if math.isfinite(value):
                out[f"final_{metric}"] = value
    for metric, name in (("val_loss", "val"), ("loss", "loss")):
        if metric in history.metrics:
            try:
                out[f"best_{name}_epoch"] = float(history.best_epoch(metric))
                if metric == "val_loss":
                    out["best_val_loss"] = history.best(metric)
            except ValueError:
                pass
    return out


def hidden_values(weights: Sequence[Mapping[str, Any]], activation: str = "relu") -> dict[str, float]:
    """``h1_w1``, ``h1_w2``, ``h1_b`` and ``h1_00`` ... ``h1_11`` for each unit of the first
    layer (see ``run_values``); empty when there are no weights, the first layer does not take
    two inputs, or its activation is one the tutor cannot compute."""
    if not weights:
        return {}
    try:
        kernel = [[float(w) for w in row] for row in weights[0]["kernel"]]
        bias = [float(b) for b in weights[0]["bias"]]
    except (KeyError, TypeError, ValueError):
        return {}
    if len(kernel) != 2 or any(len(row) != len(bias) for row in kernel):
        return {}
    act = _ACTIVATIONS.get(activation)
    if act is None:
        return {}
    out: dict[str, float] = {}
    for unit in range(min(len(bias), MAX_NAMED_UNITS)):
        w1, w2, b = kernel[0][unit], kernel[1][unit], bias[unit]
        name = f"h{unit + 1}"
        out[f"{name}_w1"], out[f"{name}_w2"], out[f"{name}_b"] = w1, w2, b
        for point in XOR_INPUT_NAMES:
            out[f"{name}_{point}"] = act(w1 * int(point[0]) + w2 * int(point[1]) + b)
    return {k: v for k, v in out.items() if math.isfinite(v)}


def _sigmoid(z: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * z))


_ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "relu": lambda z: max(z, 0.0),
    "linear": lambda z: z,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
}


class RunHistory:
    """Metric values per logged epoch, in the order they arrived."""

    def __init__(self) -> None:
        self.epochs: list[int] = []
        self.metrics: dict[str, list[float]] = {}

    # -- building ------------------------------------------------------------
    def add(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one logged epoch. A metric missing from some epochs is padded with NaN."""
        n = len(self.epochs)
        self.epochs.append(int(epoch))
        for name, value in logs.items():
            series = self.metrics.setdefault(name, [math.nan] * n)
            series.append(float(value))
        for series in self.metrics.values():
            if len(series) < n + 1:
                series.append(math.nan)

    def observe(self, event: object) -> None:
        """Feed any training event: ``Started`` clears, ``EpochEnd`` appends, final events
        that carry a history replace it (so a listener that missed events catches up)."""
        if isinstance(event, Started):
            self.clear()
        elif isinstance(event, EpochEnd):
            self.add(event.epoch, event.logs)
        elif isinstance(event, (Finished, Stopped, Failed)) and event.history:
            fresh = RunHistory.from_dict(event.history)
            self.epochs, self.metrics = fresh.epochs, fresh.metrics

    def clear(self) -> None:
        self.epochs = []
        self.metrics = {}

    @classmethod
    def from_events(cls, events: Iterable[object]) -> RunHistory:
        history = cls()
        for event in events:
            history.observe(event)
        return history

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> RunHistory:
        """From ``Finished.history`` and friends (``"epoch"`` plus one list per metric)."""
        history = cls()
        metrics = {k: [float(v) for v in vals] for k, vals in data.items() if k != "epoch"}
        length = max((len(v) for v in metrics.values()), default=0)
        epochs = data.get("epoch")
        history.epochs = [int(e) for e in epochs] if epochs is not None else list(range(1, length + 1))
        history.metrics = metrics
        return history

    def to_dict(self) -> dict[str, list[float]]:
        """``{"epoch": [...], "loss": [...], ...}``: the shape final events carry."""
        out: dict[str, list[float]] = {"epoch": list(self.epochs)}
        for name, series in self.metrics.items():
            out[name] = list(series)
        return out

    # -- reading -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.epochs)

    def __bool__(self) -> bool:
        return bool(self.epochs)

    @property
    def last_epoch(self) -> int:
        """The last logged epoch, 0 before the first."""
        return self.epochs[-1] if self.epochs else 0

    def names(self) -> list[str]:
        return list(self.metrics)

    def series(self, metric: str) -> list[float]:
        try:
            return self.metrics[metric]
        except KeyError:
            raise KeyError(
                f"the run logged no {metric!r}; it logged: {', '.join(self.metrics) or 'nothing'}"
            ) from None

    def final(self, metric: str) -> float:
        """The last logged value of ``metric`` (e.g. ``final("val_loss")``)."""
        values = self.series(metric)
        if not values:
            raise ValueError(f"no {metric!r} was logged yet")
        return values[-1]

    def best_epoch(self, metric: str, mode: Literal["min", "max"] = "min") -> int:
        """The 1-based logical epoch of the lowest (``mode="min"``) or highest value.

        NaN values are skipped; a tie goes to the earliest epoch.
        """
        if mode not in ("min", "max"):
            raise ValueError("mode is 'min' or 'max'")
        best_i = -1
        best = math.nan
        for i, value in enumerate(self.series(metric)):
            if math.isnan(value):
                continue
            if best_i < 0 or (value < best if mode == "min" else value > best):
                best_i, best = i, value
        if best_i < 0:
            raise ValueError(f"no finite {metric!r} was logged")
        return self.epochs[best_i]

    def best(self, metric: str, mode: Literal["min", "max"] = "min") -> float:
        """The best value itself (the value at ``best_epoch``)."""
        return self.at(metric, self.best_epoch(metric, mode))

    def at(self, metric: str, epoch: int) -> float:
        """The value logged at logical epoch ``epoch``."""
        try:
            i = self.epochs.index(int(epoch))
        except ValueError:
            raise KeyError(f"epoch {epoch} was not logged") from None
        return self.series(metric)[i]
