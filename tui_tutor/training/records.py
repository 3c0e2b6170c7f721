"""What is kept of one training run: its settings and numbers, never the model.

A `RunRecord` is built from the run's events as they arrive (`observe`) and outlives the
view that showed it: `to_dict` turns it into plain JSON-able data that the progress store
keeps (the store holds runs as JSON and never imports this module; `tui_tutor.context`
joins the two), and `from_dict` reads it back, so a run survives step changes and restarts.

What a record holds: the `train` block's id, the learner's settings in the view and the
overrides sent to the run, the full effective settings the run reported (`Started`), its
seed, the backend and versions (`Loaded`), the history of every metric per logged epoch,
the outcome (and why a run failed), the learned weights of small models, and its wall-clock
start and end (Unix time). `store_id` is its row in the progress store once saved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tui_tutor.lesson.names import class_key
from tui_tutor.training.events import Failed, Finished, Loaded, Started, Stopped
from tui_tutor.training.history import RunHistory, run_values
from tui_tutor.training.sweep import SweepTally

#: Learned weights are kept (and stored) only for models with at most this many numbers.
MAX_KEPT_WEIGHTS = 200
#: A regression run's [true, predicted] test rows are stored up to this many (rounded to 4 digits).
MAX_KEPT_PREDICTIONS = 2000
#: The outcomes of a run that has ended.
ENDED = ("finished", "stopped", "diverged", "no TensorFlow", "time cap", "failed")


def weight_count(weights: list[dict[str, list[Any]]]) -> int:
    """How many numbers (kernels and biases) `weights` hold."""
    total = 0
    for layer in weights:
        total += len(layer.get("bias", []))
        total += sum(len(row) if isinstance(row, list) else 1 for row in layer.get("kernel", []))
    return total


@dataclass
class RunRecord:
    """One run: what the training view shows of it and what the progress store keeps."""

    number: int
    #: The learner's settings in the view: learning_rate, hidden_units, hidden_activation,
    #: epochs, batch_size, seed.
    settings: dict[str, Any]
    history: RunHistory = field(default_factory=RunHistory)
    #: "running", then one of ENDED.
    outcome: str = "running"
    weights: list[dict[str, list[Any]]] = field(default_factory=list)
    #: The `train` block this run belongs to.
    train_id: str = ""
    #: The run's own id in its events.
    run_id: str = ""
    #: What differed from the lesson's spec (what the runner was sent).
    overrides: dict[str, Any] = field(default_factory=dict)
    #: The full settings the run used, as its `Started` event reported them.
    effective: dict[str, Any] = field(default_factory=dict)
    #: Versions of the stack that trained it (tensorflow, keras, numpy, python).
    versions: dict[str, str] = field(default_factory=dict)
    backend: str = ""
    #: Why a run that did not finish ended ("" for a finished run).
    failure: str = ""
    started: float | None = None
    ended: float | None = None
    #: Its row in the progress store, once saved (None before, or without a store).
    store_id: int | None = None
    #: On the held-out test set, once a run with `split:` finished: {"loss", "accuracy"}.
    test: dict[str, float] = field(default_factory=dict)
    #: Counts of (true class, predicted class) on the test set, in the order of `classes`.
    confusion: list[list[int]] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    #: A few misclassified test rows, each [dataset row, true class, predicted class].
    misclassified: list[list[int]] = field(default_factory=list)
    #: A regression run's test rows as [true, predicted] (at most MAX_KEPT_PREDICTIONS are stored).
    predictions: list[list[float]] = field(default_factory=list)
    #: The Slurm job that ran it ("" for a run on this machine); its run id is the store's key.
    slurm_job: str = ""
    #: A seed sweep (`sweep:` blocks): every seed's outcome; None for a single run.
    sweep: SweepTally | None = None

    # -- building from events --------------------------------------------------------
    def observe(self, event: object) -> None:
        """Feed a training event: the history grows, and the metadata the events carry is kept."""
        run_id = getattr(event, "run_id", None)
        if isinstance(run_id, str) and run_id and not self.run_id:
            self.run_id = run_id
        if isinstance(event, Loaded):
            self.versions = dict(event.versions)
            self.backend = str(event.versions.get("backend")
                               or ("tensorflow" if "tensorflow" in event.versions else self.backend))
        elif isinstance(event, Started):
            self.effective = dict(event.settings)
        if isinstance(event, Finished):
            self.weights = list(event.weights) if weight_count(list(event.weights)) <= MAX_KEPT_WEIGHTS else []
            self.test = dict(event.test)
            self.confusion = [list(row) for row in event.confusion]
            self.classes = list(event.classes)
            self.misclassified = [list(row) for row in event.misclassified]
            self.predictions = [list(row) for row in event.predictions]
        elif isinstance(event, Failed):
            self.failure = f"{event.kind}: {event.message}" if event.message else event.kind
        elif isinstance(event, Stopped) and not self.failure:
            self.failure = event.reason or "stopped by the learner"
        self.history.observe(event)

    # -- reading ------------------------------------------------------------------------
    @property
    def seed(self) -> int | None:
        value = self.settings.get("seed", self.effective.get("seed"))
        return int(value) if isinstance(value, (int, float)) else None

    @property
    def done(self) -> bool:
        return self.outcome != "running"

    def final(self, metric: str) -> float:
        try:
            return self.history.final(metric)
        except (KeyError, ValueError):
            return math.nan

    def best(self, metric: str) -> float:
        try:
            return self.history.best(metric)
        except (KeyError, ValueError):
            return math.nan

    def values(self) -> dict[str, float]:
        """The numbers a question about this run is graded against (see `run_values`), and
        its test-set numbers when it has them."""
        layers = self.effective.get("layers")
        first = layers[0] if isinstance(layers, list) and layers and isinstance(layers[0], dict) else {}
        activation = str(first.get("activation") or self.settings.get("hidden_activation") or "relu")
        values = run_values(self.history, self.weights, activation)
        for name in ("loss", "accuracy", "rmse"):
            if isinstance(self.test.get(name), (int, float)) and math.isfinite(self.test[name]):
                values[f"test_{name}"] = float(self.test[name])
        baseline = self.test.get("baseline_rmse")
        if isinstance(baseline, (int, float)) and math.isfinite(baseline):
            values["baseline_rmse"] = float(baseline)
        if self.confusion:
            values.update(confusion_values(self.confusion, self.classes))
        if self.sweep is not None:
            values.update(self.sweep.values())
        return values

    # -- as data ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (a diverged loss stays NaN: Python's json reads it back)."""
        return {
            "number": self.number, "train_id": self.train_id, "run_id": self.run_id,
            "settings": dict(self.settings), "overrides": dict(self.overrides), "effective": dict(self.effective),
            "seed": self.seed, "backend": self.backend, "versions": dict(self.versions),
            "history": self.history.to_dict(), "final": self.values(), "outcome": self.outcome,
            "failure": self.failure, "weights": list(self.weights), "started": self.started, "ended": self.ended,
            **({"test": dict(self.test)} if self.test else {}),
            **({"confusion": self.confusion, "classes": list(self.classes)} if self.confusion else {}),
            **({"misclassified": self.misclassified} if self.misclassified else {}),
            **({"predictions": [[round(float(t), 4), round(float(p), 4)] for t, p in
                                self.predictions[:MAX_KEPT_PREDICTIONS]]} if self.predictions else {}),
            **({"slurm_job": self.slurm_job} if self.slurm_job else {}),
            **({"sweep": self.sweep.to_dict()} if self.sweep is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, store_id: int | None = None) -> RunRecord:
        """What `to_dict` wrote; unknown keys are ignored, missing ones take their defaults."""
        def mapping(key: str) -> dict[str, Any]:
            value = data.get(key)
            return dict(value) if isinstance(value, dict) else {}

        history = data.get("history")
        weights = data.get("weights")
        started, ended = data.get("started"), data.get("ended")
        return cls(
            number=int(data.get("number") or 0),
            settings=mapping("settings"),
            history=RunHistory.from_dict(history) if isinstance(history, dict) else RunHistory(),
            outcome=str(data.get("outcome") or "failed"),
            weights=list(weights) if isinstance(weights, list) else [],
            train_id=str(data.get("train_id") or ""),
            run_id=str(data.get("run_id") or ""),
            overrides=mapping("overrides"),
            effective=mapping("effective"),
            versions={str(k): str(v) for k, v in mapping("versions").items()},
            backend=str(data.get("backend") or ""),
            failure=str(data.get("failure") or ""),
            started=float(started) if isinstance(started, (int, float)) else None,
            ended=float(ended) if isinstance(ended, (int, float)) else None,
            store_id=store_id,
            test={str(k): float(v) for k, v in mapping("test").items() if isinstance(v, (int, float))},
            confusion=_matrix(data.get("confusion")),
            classes=[str(c) for c in data.get("classes") or [] if isinstance(c, str)],
            misclassified=[[int(n) for n in row] for row in data.get("misclassified") or []
                           if isinstance(row, list) and len(row) == 3
                           and all(isinstance(n, int) and not isinstance(n, bool) for n in row)],
            predictions=_pairs(data.get("predictions")),
            slurm_job=str(data.get("slurm_job") or ""),
            sweep=SweepTally.from_dict(data["sweep"]) if isinstance(data.get("sweep"), dict) else None,
        )


def confusion_values(confusion: list[list[int]], classes: list[str]) -> dict[str, float]:
    """Numbers a question can ask about the learner's own confusion matrix.

    `test_rows`, `test_errors`; `cm_<true>_<predicted>` for every cell (`cm_chinstrap_adelie`:
    Chinstrap penguins labelled Adelie); `acc_<class>` the share of a class's test rows
    labelled right; `cm_largest_error`, the count in the largest off-diagonal cell (0 when
    every row is right).
    """
    size = len(confusion)
    names = [class_key(c) for c in classes] if len(classes) == size else [str(i) for i in range(size)]
    rows = sum(sum(row) for row in confusion)
    right = sum(confusion[i][i] for i in range(size))
    values = {"test_rows": float(rows), "test_errors": float(rows - right)}
    largest = 0
    for i, row in enumerate(confusion):
        for j, count in enumerate(row):
            values[f"cm_{names[i]}_{names[j]}"] = float(count)
            if i != j:
                largest = max(largest, count)
        if sum(row):
            values[f"acc_{names[i]}"] = row[i] / sum(row)
    values["cm_largest_error"] = float(largest)
    return values


def _pairs(value: Any) -> list[list[float]]:
    """Stored [true, predicted] rows; anything else is dropped."""
    if not isinstance(value, list):
        return []
    return [[float(row[0]), float(row[1])] for row in value
            if isinstance(row, list) and len(row) == 2
            and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in row)]


def _matrix(value: Any) -> list[list[int]]:
    """A stored confusion matrix: a square list of lists of counts, or [] for anything else."""
    if not isinstance(value, list) or not all(isinstance(row, list) and len(row) == len(value) for row in value):
        return []
    if not all(isinstance(n, int) and not isinstance(n, bool) for row in value for n in row):
        return []
    return [list(row) for row in value]
