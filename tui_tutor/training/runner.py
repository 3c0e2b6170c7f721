"""Build, fit and report one declarative Keras run, speaking only in events.

``TrainingRun(spec, emit).run()`` blocks (the UI calls it from a thread worker) and calls
``emit`` with the events of :mod:`tui_tutor.training.events`; no Keras object ever leaves this
module. ``stop()`` may be called from any thread (or from inside ``emit``) and takes effect
within one batch.

Small data, fast. Keras spends several milliseconds per epoch outside the training step, so
``fit(epochs=500)`` on the four XOR rows is dominated by that overhead. The spec's ``epochs``
stay "passes over the data", but they are logged in at most ``MAX_LOGGED_EPOCHS`` groups of
``passes_per_log`` passes (no more points than the view's plot can show): ``EpochEnd.epoch`` is
the logical epoch (10, 20, 30, ... for 500 epochs), and the training metrics it carries are those
of that epoch's own pass (the metrics are reset at the start of the last pass of each group), so
they equal what ``fit(epochs=500)`` would log at that epoch.

* Data in one batch without validation (XOR): a compiled loop (one ``tf.function``) calls the
  model's own Keras ``train_step`` for a group's passes; the stop flag and a finite loss are
  checked inside the loop before every step. ~50x faster than ``fit(epochs=500)`` when warm.
* Everything else: Keras' own ``fit`` over a repeated ``tf.data`` set, one Keras epoch per
  group (``steps_per_epoch = passes_per_log * steps_per_pass``), with a callback.
* Under another Keras backend (``KERAS_BACKEND=jax`` or ``torch``, see ``tfload``) every run
  takes the backend-neutral path: Keras' own ``fit`` over NumPy batches from a generator
  (shuffled per pass with the run's seed), the same groups, callback and events; no
  ``tf.data`` and no compiled loop.

The last compiled model is reused by the next run of the same network (weights from the
seeded new model, optimizer state zeroed, metrics reset), so its traced step is not traced
again (~0.25 s, longer than a whole XOR run).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
import uuid
from dataclasses import replace
from types import ModuleType
from typing import Any, Protocol
from collections.abc import Callable

from tui_tutor.lesson.model import LayerSpec, TrainSpec
from tui_tutor.training import datasets, tfload
from tui_tutor.training.events import (
    BatchEnd,
    EpochEnd,
    Event,
    Failed,
    Finished,
    Loaded,
    Loading,
    Started,
    Stopped,
)
from tui_tutor.training.history import RunHistory
from tui_tutor.training.records import MAX_KEPT_WEIGHTS
from tui_tutor.lesson.names import ACTIVATIONS, LOSSES, OPTIMIZERS  # re-exported for callers

log = logging.getLogger("tui_tutor.training")

#: Keys the UI may override (everything else comes from the lesson's spec).
OVERRIDE_KEYS: tuple[str, ...] = (
    "learning_rate",
    "hidden_units",
    "hidden_activation",
    "epochs",
    "batch_size",
    "optimizer",
    "seed",
)

#: At most this many Keras epochs (= EpochEnd events) per run.
MAX_LOGGED_EPOCHS = 50
#: A BatchEnd event is sent only when no event was sent for this many seconds.
BATCH_EVENT_INTERVAL = 0.5

# Keras seeds and TensorFlow's thread pools are process-wide: one run at a time.
_RUN_LOCK = threading.Lock()
_run_counter = itertools.count(1)


class SettingsError(ValueError):
    """A spec or override value that cannot be trained; the message is for the learner."""


def resolve_spec(spec: TrainSpec, overrides: dict[str, Any] | None = None) -> TrainSpec:
    """The spec with the UI's overrides applied and checked; raises :class:`SettingsError`.

    ``hidden_units`` is an int (every hidden layer gets that many units) or a list (one entry
    per hidden layer; its length may differ from the spec's). ``hidden_activation`` applies to
    every hidden layer. The output layer (the spec's last layer) never changes.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(OVERRIDE_KEYS))
    if unknown:
        raise SettingsError(f"unknown override {', '.join(unknown)}; allowed: {', '.join(OVERRIDE_KEYS)}")
    if not spec.layers:
        raise SettingsError("the run has no layers")
    hidden = list(spec.layers[:-1])
    output = spec.layers[-1]
    changes: dict[str, Any] = {}
    if not all(layer.dense for layer in hidden) and ({"hidden_units", "hidden_activation"} & set(overrides)):
        raise SettingsError("hidden units and activation can be changed only in a network of Dense layers")
    if "hidden_units" in overrides:
        units = overrides["hidden_units"]
        default_act = hidden[-1].activation if hidden else "relu"
        if isinstance(units, (list, tuple)):
            acts = [hidden[i].activation if i < len(hidden) else default_act for i in range(len(units))]
            hidden = [LayerSpec(_int(u, "hidden_units", 1), a) for u, a in zip(units, acts, strict=True)]
        else:
            hidden = [LayerSpec(_int(units, "hidden_units", 1), h.activation) for h in hidden]
    if "hidden_activation" in overrides:
        act = str(overrides["hidden_activation"])
        hidden = [LayerSpec(h.units, act) for h in hidden]
    changes["layers"] = tuple(hidden) + (output,)
    for key in ("learning_rate", "epochs", "batch_size", "optimizer", "seed"):
        if key in overrides:
            changes[key] = overrides[key]
    resolved = replace(spec, **changes)
    _check(resolved)
    return resolved


def _int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < low:
        raise SettingsError(f"{name} must be a whole number of at least {low}, not {value!r}")
    return int(value)


def _check(spec: TrainSpec) -> None:
    try:
        lr = float(spec.learning_rate)
    except (TypeError, ValueError):
        raise SettingsError(f"learning_rate must be a number, not {spec.learning_rate!r}") from None
    if not (lr > 0 and math.isfinite(lr)):
        raise SettingsError(f"learning_rate must be a positive number, not {spec.learning_rate!r}")
    _int(spec.epochs, "epochs", 1)
    _int(spec.batch_size, "batch_size", 1)
    _int(spec.seed, "seed", 0)
    if spec.steps_per_epoch is not None:
        _int(spec.steps_per_epoch, "steps_per_epoch", 1)
    if spec.optimizer.lower() not in OPTIMIZERS:
        raise SettingsError(f"unknown optimizer {spec.optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
    if spec.loss not in LOSSES:
        raise SettingsError(f"unknown loss {spec.loss!r}; use one of {', '.join(LOSSES)}")
    for i, layer in enumerate(spec.layers, 1):
        if layer.dense:
            _int(layer.units, f"units of layer {i}", 1)
        if layer.activation not in ACTIVATIONS:
            raise SettingsError(
                f"unknown activation {layer.activation!r} in layer {i}; use one of {', '.join(ACTIVATIONS)}"
            )
    if not 0.0 <= float(spec.validation_split) < 1.0:
        raise SettingsError(f"validation_split must be at least 0 and below 1, not {spec.validation_split}")
    datasets.info(spec.dataset)  # KeyError with the known names


def plan_epochs(epochs: int, max_logged: int | None = None) -> tuple[int, int, int]:
    """``(passes_per_log, full_groups, remainder)``: ``epochs`` passes logged in at most
    ``max_logged`` Keras epochs of ``passes_per_log`` passes, plus one shorter last epoch of
    ``remainder`` passes when ``epochs`` is not a multiple."""
    if max_logged is None:
        max_logged = MAX_LOGGED_EPOCHS
    per_log = max(1, math.ceil(epochs / max_logged))
    full, rest = divmod(epochs, per_log)
    if full + (1 if rest else 0) > max_logged:  # cannot happen with ceil, kept as a guard
        per_log += 1
        full, rest = divmod(epochs, per_log)
    return per_log, full, rest


def _fmt(value: float) -> str:
    """A learning rate as a person writes it: 0.01, 1000000, 1e-05."""
    return format(value, ".10g")


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if len(text) > 240:
        text = text[:237] + "..."
    if isinstance(exc, (SettingsError, KeyError)) and text:
        return text.strip("'\"")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class TrainingRun:
    """One training run of a lesson's ``train`` block.

    ``emit`` receives every event; it must be cheap (the UI passes ``post_message``) and is
    called from the thread that runs :meth:`run`. ``overrides`` may change
    :data:`OVERRIDE_KEYS`. ``threads`` caps TensorFlow's thread pools (effective for the
    first run in a process). ``max_seconds`` caps the fitting wall time (``None``: no cap).
    """

    def __init__(
        self,
        spec: TrainSpec,
        emit: Callable[[Event], None],
        *,
        overrides: dict[str, Any] | None = None,
        threads: int = 2,
        max_seconds: float | None = 600,
    ) -> None:
        unknown = sorted(set(overrides or {}) - set(OVERRIDE_KEYS))
        if unknown:
            raise ValueError(f"unknown override {', '.join(unknown)}; allowed: {', '.join(OVERRIDE_KEYS)}")
        self.spec = spec
        self.emit = emit
        self.overrides = dict(overrides or {})
        self.threads = threads
        self.max_seconds = max_seconds
        self.run_id = f"{spec.id or 'run'}-{next(_run_counter)}-{uuid.uuid4().hex[:6]}"
        self.history = RunHistory()
        #: Training steps (batches) completed so far.
        self.batches_done = 0
        #: The event that ended the run, once ``run`` returned.
        self.result: Event | None = None
        self._stop = threading.Event()
        self._stop_at_batch: int | None = None
        self._loop: _StepLoop | None = None  # the compiled loop of a small run, while it trains
        self._started = False

    # -- control -----------------------------------------------------------------
    def stop(self) -> None:
        """Ask the run to stop; thread-safe, idempotent. The run ends with ``Stopped``."""
        if not self._stop.is_set():
            loop = self._loop
            self._stop.set()
            if loop is not None:
                loop.request_stop()  # first: the steps counted after this are those after the stop
            self._stop_at_batch = self.batches_done if loop is None else loop.steps_done()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def batches_after_stop(self) -> int | None:
        """Training steps that ran after ``stop()`` was first called (None if it was not)."""
        if self._stop_at_batch is None:
            return None
        return self.batches_done - self._stop_at_batch

    # -- running -----------------------------------------------------------------
    def run(self) -> Event:
        """Load Keras, train, and emit events; returns the final event.

        Every problem becomes a ``Failed`` event; the only exception raised is
        ``RuntimeError`` for a second call (a ``TrainingRun`` runs once).
        """
        if self._started:
            raise RuntimeError("a TrainingRun runs once; make a new one")
        self._started = True
        try:
            self.result = self._run()
        except Exception as exc:
            log.warning("training run %s failed", self.run_id, exc_info=True)
            self.result = Failed(self.run_id, "error", _one_line(exc), self.history.to_dict())
        try:
            self.emit(self.result)
        except Exception:
            log.warning("emit failed for the final event of %s", self.run_id, exc_info=True)
        return self.result

    def _run(self) -> Event:
        self.emit(Loading(self.run_id))
        start = time.perf_counter()
        try:
            keras = tfload.load_keras(self.threads)
        except tfload.TrainingUnavailable as exc:
            return Failed(self.run_id, "import", exc.message, {})
        self.emit(Loaded(self.run_id, tfload.versions(), time.perf_counter() - start))
        spec = resolve_spec(self.spec, self.overrides)
        if self._stop.is_set():
            return Stopped(self.run_id, 0, {})
        with _RUN_LOCK:
            return self._fit(keras, spec)

    def _fit(self, keras: ModuleType, spec: TrainSpec) -> Event:
        import numpy as np

        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(int(spec.seed))

        prepared = _prepare(spec)
        x, y = prepared.x_train, prepared.y_train
        (x_train, y_train), val = datasets.split(x, y, float(spec.validation_split))
        out_units = int(spec.layers[-1].units)
        if spec.loss != "sparse_categorical_crossentropy" and out_units != y.shape[1]:
            raise SettingsError(
                f"the output layer has {out_units} units but dataset {spec.dataset!r} has "
                f"{y.shape[1]} target column{'s' if y.shape[1] != 1 else ''}: give the last layer {y.shape[1]}"
            )
        n_train = len(x_train)
        batch_size = min(int(spec.batch_size), n_train)
        steps_per_pass = int(spec.steps_per_epoch or math.ceil(n_train / batch_size))
        epochs = int(spec.epochs)
        per_log, full_groups, remainder = plan_epochs(epochs, MAX_LOGGED_EPOCHS)

        tensorflow = tfload.backend() == "tensorflow"
        val_data: Any = None
        fit_extra: dict[str, Any] = {}
        if tensorflow:
            import tensorflow as tf

            if batch_size >= n_train:
                data = tf.data.Dataset.from_tensors((x_train, y_train))
            else:
                data = (
                    tf.data.Dataset.from_tensor_slices((x_train, y_train))
                    .shuffle(n_train, seed=int(spec.seed), reshuffle_each_iteration=True)
                    .batch(batch_size)
                )
            data = data.repeat()
            if val is not None:
                # A tf.data set, not arrays: Keras makes a new iterator for every validation pass,
                # ~10 ms for a small tf.data set but ~100 ms for numpy arrays.
                n_val = len(val[0])
                if n_val <= 4096:
                    val_data = tf.data.Dataset.from_tensors(val)
                else:
                    val_data = tf.data.Dataset.from_tensor_slices(val).batch(1024)
        else:  # JAX or PyTorch: NumPy batches, validated in the same batches as above
            data = _numpy_batches(x_train, y_train, batch_size, int(spec.seed))
            if val is not None:
                val_data = val
                fit_extra["validation_batch_size"] = len(val[0]) if len(val[0]) <= 4096 else 1024

        model = keras.Sequential(name="tutor")
        model.add(keras.Input(shape=x_train.shape[1:]))
        for i, layer in enumerate(spec.layers, 1):
            model.add(_keras_layer(keras, layer, f"layer_{i}"))
        model = _compiled(keras, model, spec, (spec.dataset, float(spec.validation_split), batch_size))

        settings = {
            "dataset": spec.dataset,
            "layers": [layer.to_dict() for layer in spec.layers],
            "loss": spec.loss,
            "optimizer": spec.optimizer.lower(),
            "learning_rate": float(spec.learning_rate),
            "epochs": epochs,
            "batch_size": batch_size,
            "validation_split": float(spec.validation_split),
            "seed": int(spec.seed),
            "metrics": list(spec.metrics),
            "train_rows": n_train,
            "validation_rows": 0 if val is None else len(val[0]),
            "steps_per_pass": steps_per_pass,
            "passes_per_log": per_log,
            **({"early_stopping": {"patience": int(spec.patience)}} if spec.patience is not None else {}),
        }
        if prepared.test is not None or spec.drop_missing or spec.one_hot or spec.standardize:
            settings.update(drop_missing=spec.drop_missing, one_hot=spec.one_hot, standardize=spec.standardize,
                            dropped_rows=prepared.dropped, test_rows=0 if prepared.test is None else len(prepared.test[0]))
            if spec.split is not None:
                settings["split"] = {"test": spec.split.test, "stratify": spec.split.stratify, "seed": spec.split.seed}
        self.emit(Started(self.run_id, settings, epochs))

        if tensorflow and val_data is None and batch_size >= n_train:
            callback: _Callback = self._fit_small(model, x_train, y_train, steps_per_pass, per_log, full_groups, remainder)
        else:
            callback = self._fit_keras(model, data, val_data, steps_per_pass, per_log, full_groups, remainder,
                                       patience=spec.patience if val_data is not None else None, **fit_extra)
        elapsed = time.perf_counter() - callback.t0
        history = self.history.to_dict()

        outcome = callback.outcome
        if outcome == "stopped":
            return Stopped(self.run_id, self.history.last_epoch, history)
        if outcome == "timeout":
            return Failed(
                self.run_id,
                "timeout",
                f"stopped after {self.max_seconds:g} s at epoch {callback.epoch_in_progress}: long runs do not "
                "belong on a login node; run bigger training jobs on a compute node with srun or salloc",
                history,
            )
        if outcome == "diverged":
            return Failed(self.run_id, "diverged", self._diverged_message(spec, callback), history)

        weights = []
        if all(layer.dense for layer in spec.layers):  # the weight views read Dense kernels only
            for layer in model.layers:
                kernel, bias = layer.get_weights()
                weights.append({"kernel": np.asarray(kernel).tolist(), "bias": np.asarray(bias).tolist()})
        if prepared.test is None:
            return Finished(self.run_id, history, weights, elapsed)
        test, confusion, classes, wrong = _evaluate(keras, model, spec, prepared)
        return Finished(self.run_id, history, weights, elapsed, test, confusion, classes, wrong,
                        predictions=_predictions(model, prepared) if "rmse" in test else [])

    def _fit_small(self, model: Any, x: Any, y: Any, steps_per_pass: int, per_log: int, full_groups: int,
                   remainder: int) -> _Callback:
        """Small data in one batch, no validation (XOR): a compiled loop of Keras' own
        ``train_step``, a logged epoch's passes per call. Keras' ``fit`` spends ~0.5 ms of Python
        per step around a step of a few microseconds. Stop and divergence are checked inside the
        loop before every step (within one batch, as with ``fit``); the time cap per logged epoch."""
        import tensorflow as tf

        x, y = tf.constant(x), tf.constant(y)
        loop = _step_loop(model)
        state = _LoopState(steps_per_pass)
        self._loop = loop
        loop.reset()
        if self._stop.is_set():  # also a stop() that came between the two lines above
            loop.request_stop()
        try:
            groups = [per_log] * full_groups + ([remainder] if remainder else [])
            for passes in groups:
                state.group, state.step = passes, 0
                for steps, reset in (((passes - 1) * steps_per_pass, False), (steps_per_pass, True)):
                    if not steps:
                        continue
                    if reset:  # the logged metrics are those of the group's last pass
                        model.reset_metrics()
                    before = loop.steps_done()
                    finite = loop.run(steps, x, y)
                    self.batches_done = loop.steps_done()
                    state.step += self.batches_done - before
                    if self._stop.is_set():
                        state.outcome = "stopped"
                    elif not finite:
                        state.outcome = "diverged"
                        state.bad_loss = float(model.get_metrics_result().get("loss", math.nan))
                    elif self.max_seconds is not None and time.perf_counter() - state.t0 > self.max_seconds:
                        state.outcome = "timeout"
                    if state.outcome is not None:
                        return state
                logs = {k: float(v) for k, v in model.get_metrics_result().items()}
                bad = [k for k, v in logs.items() if "loss" in k and not math.isfinite(v)]
                if bad:
                    state.outcome, state.bad_loss = "diverged", logs[bad[0]]
                    return state
                state.passes_before += passes
                self.history.add(state.passes_before, logs)
                self.emit(EpochEnd(self.run_id, state.passes_before, logs, time.perf_counter() - state.t0,
                                   _small_weights(model)))
                if self._stop.is_set():
                    state.outcome = "stopped"
                    return state
            return state
        finally:
            self._loop = None

    def _fit_keras(self, model: Any, data: Any, val_data: Any, steps_per_pass: int, per_log: int,
                   full_groups: int, remainder: int, *, patience: int | None = None, **extra: Any) -> _Callback:
        """Keras' own loop; with ``patience``, Keras' ``EarlyStopping`` on the validation loss
        (restoring the best weights), its patience counted in logged epochs of ``per_log`` passes.
        ``extra``: more arguments of ``fit`` (the NumPy path's ``validation_batch_size``)."""
        callback = _EventCallback(self, steps_per_pass, per_log)
        callback.t0 = time.perf_counter()
        callbacks: list[Any] = [callback]
        early = None
        if patience is not None:
            early = self.keras_early_stopping(math.ceil(patience / per_log))
            callbacks.append(early)
        fit_args = dict(verbose=0, shuffle=False, callbacks=callbacks, validation_data=val_data, **extra)
        if full_groups:
            model.fit(data, steps_per_epoch=per_log * steps_per_pass, epochs=full_groups, **fit_args)
        if early is not None and early.stopped_epoch > 0:
            return callback
        if remainder and callback.outcome is None:
            callback.start_group(remainder)
            model.fit(
                data,
                steps_per_epoch=remainder * steps_per_pass,
                initial_epoch=full_groups,
                epochs=full_groups + 1,
                **fit_args,
            )
        return callback

    def keras_early_stopping(self, patience: int) -> Any:
        keras = tfload.load_keras(self.threads)  # loaded already: cached
        return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)

    def _diverged_message(self, spec: TrainSpec, callback: _Callback) -> str:
        lr = float(spec.learning_rate)
        what = "NaN (not a number)" if math.isnan(callback.bad_loss) else "infinite"
        if lr > float(self.spec.learning_rate) and math.isfinite(float(self.spec.learning_rate)):
            suggestion = float(self.spec.learning_rate)
        else:
            suggestion = 10.0 ** (math.floor(math.log10(lr)) - 2)
        size = "far too large" if lr >= 1 else "too large for this network"
        return (
            f"the loss became {what} at epoch {callback.epoch_in_progress}: the learning rate "
            f"{_fmt(lr)} is {size}; try {_fmt(suggestion)}"
        )


def _numpy_batches(x: Any, y: Any, batch_size: int, seed: int) -> Any:
    """Endless ``(x, y)`` batches of NumPy arrays for ``fit`` under a non-TensorFlow backend:
    what the TensorFlow path's repeated ``tf.data`` set gives (the whole data as one batch when
    ``batch_size`` covers it; else a new shuffle of the rows every pass, seeded by ``seed``,
    cut into batches, the last one possibly smaller)."""
    import numpy as np

    n = len(x)
    if batch_size >= n:
        while True:
            yield x, y
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for begin in range(0, n, batch_size):
            rows = order[begin:begin + batch_size]
            yield x[rows], y[rows]


def _small_weights(model: Any) -> list[dict[str, list[Any]]]:
    """The model's weights now, in ``Finished``'s layout, for a small model (at most
    ``MAX_KEPT_WEIGHTS`` numbers, the limit for kept learned weights); ``[]`` for a larger one.
    Sent with every logged epoch (at most ``MAX_LOGGED_EPOCHS`` a run), so views can follow them."""
    import numpy as np

    if int(model.count_params()) > MAX_KEPT_WEIGHTS or any(len(layer.get_weights()) != 2 for layer in model.layers):
        return []
    weights = []
    for layer in model.layers:
        kernel, bias = layer.get_weights()
        weights.append({"kernel": np.asarray(kernel).tolist(), "bias": np.asarray(bias).tolist()})
    return weights


def _prepare(spec: TrainSpec) -> datasets.Prepared:
    """The spec's dataset after its preparing steps; a step that does not fit is a SettingsError."""
    split = spec.split
    try:
        return datasets.prepare(
            spec.dataset, drop_missing=spec.drop_missing, one_hot=spec.one_hot, standardize=spec.standardize,
            test=0.0 if split is None else float(split.test), stratify=bool(split and split.stratify),
            split_seed=0 if split is None else int(split.seed),
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _evaluate(keras: ModuleType, model: Any, spec: TrainSpec,
              prepared: datasets.Prepared) -> tuple[dict[str, float], list[list[int]], list[str], list[list[int]]]:
    """Test loss and accuracy after training, and for a classifier the confusion matrix of
    counts (row: true class, column: predicted class) and the first few test rows it got
    wrong, as ``[dataset row, true, predicted]``."""
    import numpy as np

    assert prepared.test is not None
    x_test, y_test = prepared.test
    probs = _as_numpy(model(x_test, training=False))
    loss = float(np.mean(_as_numpy(keras.losses.get(spec.loss)(y_test, probs))))
    test = {"loss": loss}
    if spec.loss == "sparse_categorical_crossentropy":
        true, predicted = y_test[:, 0].astype(np.int64), probs.argmax(axis=1)
    elif probs.shape[1] > 1:
        true, predicted = y_test.argmax(axis=1), probs.argmax(axis=1)
    elif spec.loss == "binary_crossentropy":
        true, predicted = (y_test[:, 0] > 0.5).astype(np.int64), (probs[:, 0] > 0.5).astype(np.int64)
    else:  # regression: no classes to confuse; the error in y's units, and the baseline's
        if spec.loss in ("mse", "mean_squared_error"):
            test["rmse"] = math.sqrt(loss)
        if prepared.baseline_rmse is not None:
            test["baseline_rmse"] = float(prepared.baseline_rmse)
        return test, [], [], []
    classes = list(prepared.classes) or ["0", "1"]
    n = len(classes)
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (true, predicted), 1)
    test["accuracy"] = float(np.trace(confusion) / max(1, len(true)))
    wrong: list[list[int]] = []
    if prepared.test_index is not None:
        for k in np.flatnonzero(true != predicted)[:MAX_MISCLASSIFIED]:
            wrong.append([int(prepared.test_index[k]), int(true[k]), int(predicted[k])])
    return test, confusion.tolist(), classes, wrong


def _predictions(model: Any, prepared: datasets.Prepared) -> list[list[float]]:
    """A regression run's test rows as ``[true, predicted]`` (first output column), for the
    predicted-against-true plot; at most ``MAX_PREDICTIONS`` rows."""

    assert prepared.test is not None
    x_test, y_test = prepared.test[0][:MAX_PREDICTIONS], prepared.test[1][:MAX_PREDICTIONS]
    predicted = _as_numpy(model(x_test, training=False))[:, 0]
    return [[round(float(t), 4), round(float(p), 4)] for t, p in zip(y_test[:, 0], predicted, strict=True)]


def _as_numpy(value: Any) -> Any:
    """A backend tensor as a float64 NumPy array (a PyTorch tensor may need a gradient or live
    on a GPU: Keras' own conversion handles that)."""
    import numpy as np

    if tfload.backend() != "tensorflow":
        from keras import ops

        value = ops.convert_to_numpy(value)
    return np.asarray(value, dtype=np.float64)


#: Test rows a regression run reports with their predictions.
MAX_PREDICTIONS = 2000


#: Misclassified test rows a finished run reports (the image view shows them).
MAX_MISCLASSIFIED = 12


def _keras_layer(keras: ModuleType, layer: LayerSpec, name: str) -> Any:
    """The Keras layer a `LayerSpec` describes."""
    if layer.type == "Conv2D":
        size = int(layer.kernel_size)
        return keras.layers.Conv2D(int(layer.filters), (size, size), activation=layer.activation, name=name)
    if layer.type == "MaxPooling2D":
        return keras.layers.MaxPooling2D((int(layer.pool_size), int(layer.pool_size)), name=name)
    if layer.type == "Flatten":
        return keras.layers.Flatten(name=name)
    if layer.type == "Dropout":
        return keras.layers.Dropout(float(layer.rate), name=name)
    return keras.layers.Dense(int(layer.units), activation=layer.activation, name=name)


class _LoopState:
    """What a compiled-loop run reports like the Keras callback does (see ``_Callback``)."""

    def __init__(self, steps_per_pass: int) -> None:
        self.steps_per_pass = steps_per_pass
        self.t0 = time.perf_counter()
        self.outcome: str | None = None
        self.bad_loss = math.nan
        self.passes_before = 0
        self.group = 1
        self.step = 0

    @property
    def epoch_in_progress(self) -> int:
        return self.passes_before + min(self.group, self.step // self.steps_per_pass + 1)

    def start_group(self, passes: int) -> None:
        self.group = passes


class _StepLoop:
    """``run(n, x, y)``: up to ``n`` calls of the model's ``train_step`` on ``(x, y)`` in one
    ``tf.function``; before each step it checks the stop flag and that the last loss was finite.
    Returns whether the loss stayed finite. ``request_stop`` may be called from any thread."""

    def __init__(self, model: Any) -> None:
        import tensorflow as tf

        self._stop = tf.Variable(False, trainable=False)
        self._count = tf.Variable(0, dtype=tf.int64, trainable=False)
        stop, count = self._stop, self._count

        @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]  # TensorFlow is untyped
        def run(n: Any, x: Any, y: Any) -> Any:
            finite = tf.constant(True)
            for _ in tf.range(n):
                if tf.logical_or(stop.read_value(), tf.logical_not(finite)):
                    break
                logs = model.train_step((x, y))
                count.assign_add(1)
                finite = tf.reduce_all(tf.math.is_finite(logs["loss"]))
            return finite

        self._run = run

    def reset(self) -> None:
        self._stop.assign(False)
        self._count.assign(0)

    def run(self, steps: int, x: Any, y: Any) -> bool:
        import tensorflow as tf

        return bool(self._run(tf.constant(steps, dtype=tf.int64), x, y))

    def steps_done(self) -> int:
        return int(self._count.numpy())

    def request_stop(self) -> None:
        self._stop.assign(True)


_loop_of: tuple[Any, _StepLoop] | None = None


def _step_loop(model: Any) -> _StepLoop:
    """The compiled loop of ``model`` (kept with the reusable model: traced once per network)."""
    global _loop_of
    if _loop_of is None or _loop_of[0] is not model:
        _loop_of = None
        _loop_of = (model, _StepLoop(model))
    return _loop_of[1]


#: The last compiled model and what it was compiled for: the next run of the same network
#: (same layers, loss, optimizer, metrics and data shapes) trains it again instead of a new
#: model. Keras traces a new model's training step, which takes ~0.25 s: longer than a whole
#: warm XOR run. One model only: the memory of a warm worker does not grow with the runs.
_reusable: tuple[tuple[Any, ...], Any] | None = None


def _compiled(keras: ModuleType, fresh: Any, spec: TrainSpec, data_key: tuple[Any, ...]) -> Any:
    """A compiled model that starts from ``fresh``'s (seeded) weights with a new optimizer
    state and empty metrics: the last model when it fits, with its traced training step."""
    global _reusable
    import numpy as np

    key = (
        data_key,
        tuple(tuple(sorted(layer.to_dict().items())) for layer in spec.layers),
        spec.loss,
        spec.optimizer.lower(),
        tuple(spec.metrics),
    )
    if _reusable is not None and _reusable[0] == key:
        model = _reusable[1]
        model.set_weights(fresh.get_weights())
        optimizer = model.optimizer
        for variable in optimizer.variables:  # iterations, slots (momentum, ...), learning rate
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        optimizer.learning_rate = float(spec.learning_rate)
        model.reset_metrics()
        return model
    global _loop_of
    _reusable = _loop_of = None  # the old model and its graphs can go before the new one is built
    optimizer = keras.optimizers.get(
        {"class_name": spec.optimizer.lower(), "config": {"learning_rate": float(spec.learning_rate)}}
    )
    fresh.compile(optimizer=optimizer, loss=spec.loss, metrics=list(spec.metrics))
    _reusable = (key, fresh)
    return fresh


class _Callback(Protocol):
    """What a run reads and sets on its Keras callback (the class needs Keras to be defined)."""

    t0: float
    outcome: str | None
    bad_loss: float

    @property
    def epoch_in_progress(self) -> int: ...

    def start_group(self, passes: int) -> None: ...


#: Builds the callback for ``(run, steps_per_pass, per_log)``: the class from ``_callback_class``.
_CallbackFactory = Callable[["TrainingRun", int, int], _Callback]


def _callback_class(keras: ModuleType) -> _CallbackFactory:
    # Keras is untyped: its Callback is Any, and a base found on a module object is not a static name.
    class EventCallback(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        """Turns Keras' callback calls into events; checks stop, time and divergence per batch."""

        def __init__(self, run: TrainingRun, steps_per_pass: int, per_log: int) -> None:
            super().__init__()
            self.run = run
            self.steps_per_pass = steps_per_pass
            self.per_log = per_log
            self.group = per_log  # passes in the current Keras epoch
            self.passes_before = 0  # logical epochs completed before the current Keras epoch
            self.step = 0  # step within the current Keras epoch
            self.outcome: str | None = None
            self.bad_loss = math.nan
            self.t0 = time.perf_counter()
            self.last_event = self.t0

        @property
        def epoch_in_progress(self) -> int:
            return self.passes_before + min(self.group, self.step // self.steps_per_pass + 1)

        def start_group(self, passes: int) -> None:
            self.group = passes

        def _end(self, outcome: str) -> None:
            if self.outcome is None:
                self.outcome = outcome
            self.model.stop_training = True

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.step = 0

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            # Reset the running means at the start of the group's last pass: the epoch's logs
            # are then those of one pass, as plain fit(epochs=N) would report them.
            if self.group > 1 and self.step == (self.group - 1) * self.steps_per_pass:
                # JAX's fit keeps the metrics' values in its own state during an epoch: put
                # them back on the model first (fit then reads the reset ones from the model).
                sync = getattr(self.model, "jax_state_sync", None)
                if sync is not None:
                    sync()
                self.model.reset_metrics()

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            run = self.run
            run.batches_done += 1
            self.step += 1
            if run._stop.is_set():
                self._end("stopped")
                return
            loss = logs.get("loss") if logs else None
            if isinstance(loss, float) and not math.isfinite(loss):
                self.bad_loss = loss
                self._end("diverged")
                return
            now = time.perf_counter()
            if run.max_seconds is not None and now - self.t0 > run.max_seconds:
                self._end("timeout")
                return
            if now - self.last_event >= BATCH_EVENT_INTERVAL and isinstance(loss, float):
                self.last_event = now
                pass_index = (self.step - 1) // self.steps_per_pass
                run.emit(
                    BatchEnd(
                        run.run_id,
                        self.passes_before + pass_index + 1,
                        (self.step - 1) % self.steps_per_pass + 1,
                        loss,
                    )
                )

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            run = self.run
            if self.outcome is not None or self.step < self.group * self.steps_per_pass:
                return  # a cut-short Keras epoch is not logged
            self.passes_before += self.group
            clean = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float))}
            bad = [k for k, v in clean.items() if "loss" in k and not math.isfinite(v)]
            if bad:
                self.bad_loss = clean[bad[0]]
                self.passes_before -= self.group
                self._end("diverged")
                return
            run.history.add(self.passes_before, clean)
            now = time.perf_counter()
            self.last_event = now
            run.emit(EpochEnd(run.run_id, self.passes_before, clean, now - self.t0, _small_weights(self.model)))
            if run._stop.is_set():
                self._end("stopped")

    return EventCallback


_callback_cls: _CallbackFactory | None = None


def _EventCallback(run: TrainingRun, steps_per_pass: int, per_log: int) -> _Callback:
    """Create the Keras callback (its class is built once Keras is imported)."""
    global _callback_cls
    if _callback_cls is None:
        _callback_cls = _callback_class(tfload.load_keras(run.threads))
    return _callback_cls(run, steps_per_pass, per_log)
