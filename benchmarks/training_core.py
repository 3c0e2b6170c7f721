"""Core-level benchmark of the training bridge (no UI): prints one plain-text table.

    .venv/bin/python benchmarks/training_core.py [--repeats 3]

Rows:
* TF import: seconds for ``tfload.load_keras()`` in this fresh process.
* XOR: naive ``model.fit(x, y, epochs=500, batch_size=4)`` versus a ``TrainingRun`` of the same
  network, seed and 500 epochs (grouped epochs over a repeated tf.data set), both after TF is
  loaded, each to 100% accuracy; the speed-up must be >= 30x.
* Throughput: a ``TrainingRun`` (events, stop/time/divergence checks per batch) versus a plain
  ``fit(verbose=0)`` without callbacks over the same repeated tf.data set, the same
  steps per Keras epoch and the same validation data; ratio = plain time / run time, must be
  >= 0.95. Runs alternate; the ratio of the best times of ``--repeats`` pairs is the figure
  (least disturbed by other load on a shared machine), the median ratio is shown beside it.
* Time spent inside the run's own callback methods during one run (per-batch checks, metric
  resets, events): the overhead itself, which the ratio above measures only through noise.
* RSS after the runs (VmRSS from /proc/self/status).

TensorFlow's C++ output on fd 2 goes to /dev/null (``silence_fd2``); the table goes to stdout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui_tutor.lesson.model import LayerSpec, TrainSpec
from tui_tutor.training import datasets, tfload
from tui_tutor.training.events import Finished
from tui_tutor.training.runner import TrainingRun, plan_epochs

XOR = TrainSpec(
    id="xor",
    line=1,
    dataset="xor",
    layers=(LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")),
    loss="binary_crossentropy",
    optimizer="adam",
    learning_rate=0.05,
    epochs=500,
    batch_size=4,
    seed=2,
)

MOONS = TrainSpec(
    id="moons",
    line=1,
    dataset="moons",
    layers=(LayerSpec(64, "relu"), LayerSpec(64, "relu"), LayerSpec(1, "sigmoid")),
    loss="binary_crossentropy",
    optimizer="adam",
    learning_rate=0.01,
    epochs=200,
    batch_size=16,
    validation_split=0.3,
    seed=1,
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_spec(spec: TrainSpec, emit=None) -> tuple[float, float, Finished]:
    """(wall seconds of run(), seconds of fitting alone, final event).

    ``emit`` receives the run's events (default: dropped); ``benchmarks/training.py`` passes one
    that posts them to an event loop's queue from the training thread, as the UI does.
    """
    start = time.perf_counter()
    final = TrainingRun(spec, emit or (lambda event: None)).run()
    wall = time.perf_counter() - start
    assert isinstance(final, Finished), final
    return wall, final.elapsed, final


def build(keras, spec: TrainSpec):
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(spec.seed)
    model = keras.Sequential([keras.Input((datasets.load(spec.dataset)[0].shape[1],))])
    for layer in spec.layers:
        model.add(keras.layers.Dense(layer.units, activation=layer.activation))
    optimizer = keras.optimizers.get(
        {"class_name": spec.optimizer, "config": {"learning_rate": spec.learning_rate}}
    )
    model.compile(optimizer=optimizer, loss=spec.loss, metrics=list(spec.metrics))
    return model


def naive_xor(keras) -> tuple[float, float, float]:
    """Seconds, final accuracy and loss of fit(epochs=500) on the XOR arrays."""
    x, y = datasets.load("xor")
    model = build(keras, XOR)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=4, epochs=XOR.epochs, verbose=0).history
    return time.perf_counter() - start, history["accuracy"][-1], history["loss"][-1]


def plain_grouped(keras, spec: TrainSpec, callbacks=None) -> float:
    """The same steps as a TrainingRun of ``spec`` with plain fit(verbose=0), no callbacks
    (``callbacks``: extra ones, e.g. an epoch-end timer in ``benchmarks/training.py``)."""
    import tensorflow as tf

    x, y = datasets.load(spec.dataset)
    (xt, yt), val = datasets.split(x, y, spec.validation_split)
    steps_per_pass = -(-len(xt) // spec.batch_size)
    per_log, groups, rest = plan_epochs(spec.epochs)
    assert rest == 0
    data = (
        tf.data.Dataset.from_tensor_slices((xt, yt))
        .shuffle(len(xt), seed=spec.seed, reshuffle_each_iteration=True)
        .batch(spec.batch_size)
        .repeat()
    )
    val_data = tf.data.Dataset.from_tensors(val) if val is not None else None
    model = build(keras, spec)
    start = time.perf_counter()
    model.fit(
        data,
        steps_per_epoch=per_log * steps_per_pass,
        epochs=groups,
        validation_data=val_data,
        shuffle=False,
        verbose=0,
        callbacks=list(callbacks or []),
    )
    return time.perf_counter() - start


def callback_share(keras, spec: TrainSpec) -> tuple[float, float]:
    """Seconds spent inside the run's Keras callback methods during one run, and its fit time."""
    from tui_tutor.training import runner

    cls = runner._callback_class(keras)
    spent = [0.0]
    for name in ("on_epoch_begin", "on_train_batch_begin", "on_train_batch_end", "on_epoch_end"):
        method = getattr(cls, name)

        def timed(self, *args, _method=method, **kwargs):
            start = time.perf_counter()
            try:
                return _method(self, *args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start

        setattr(cls, name, timed)
    saved, runner._callback_cls = runner._callback_cls, cls
    try:
        fit_s = run_spec(spec)[1]
    finally:
        runner._callback_cls = saved
    return spent[0], fit_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="pairs of throughput runs")
    args = parser.parse_args()

    rows: list[tuple[str, str, str]] = []
    with tfload.silence_fd2():
        start = time.perf_counter()
        keras = tfload.load_keras(threads=2)
        import_s = time.perf_counter() - start
        rows.append(("TF import (load_keras, this process)", f"{import_s:.2f} s", f"RSS {rss_mb():.0f} MB"))

        # Warm-up so neither side pays first-use costs of TF itself.
        run_spec(TrainSpec(id="warm", line=1, layers=XOR.layers, epochs=20, seed=2))

        naive_s, naive_acc, naive_loss = naive_xor(keras)
        cpu0 = time.process_time()
        run_s, fit_s, final = run_spec(XOR)
        cpu_s = time.process_time() - cpu0
        acc = final.history["accuracy"][-1]
        rows.append(
            ("XOR naive fit(epochs=500)", f"{naive_s:.2f} s", f"acc {naive_acc:.2f}, loss {naive_loss:.4f}")
        )
        rows.append(
            (
                "XOR TrainingRun, 500 epochs",
                f"{run_s:.2f} s",
                f"acc {acc:.2f}, loss {final.history['loss'][-1]:.4f}; fit {fit_s:.2f} s, CPU {cpu_s:.2f} s",
            )
        )
        ratio = naive_s / run_s
        rows.append(
            (
                "XOR speed-up (naive / run)",
                f"{ratio:.1f}x",
                "target >= 30x " + ("OK" if ratio >= 30 else "MISSED"),
            )
        )

        plain_times, run_times = [], []
        for _ in range(max(1, args.repeats)):
            plain_times.append(plain_grouped(keras, MOONS))
            run_times.append(run_spec(MOONS)[1])
        plain_med, run_med = statistics.median(plain_times), statistics.median(run_times)
        steps = MOONS.epochs * -(-84 // MOONS.batch_size)
        best = min(plain_times) / min(run_times)
        med = plain_med / run_med
        rows.append(
            (
                f"moons 64-64, {steps} steps: plain fit(verbose=0)",
                f"{min(plain_times):.2f} s",
                f"best of {len(plain_times)}; median {plain_med:.2f} s",
            )
        )
        rows.append(
            (
                "  same steps in a TrainingRun",
                f"{min(run_times):.2f} s",
                f"best of {len(run_times)}; median {run_med:.2f} s",
            )
        )
        verdict = "OK" if best >= 0.95 else "MISSED"
        rows.append(
            (
                "throughput, run vs plain (best-of ratio)",
                f"{best:.2f}x",
                f"target >= 0.95 {verdict}; median ratio {med:.2f}x",
            )
        )
        own, fit_s = callback_share(keras, MOONS)
        rows.append(
            (
                "  time inside the run's own callbacks",
                f"{own:.3f} s",
                f"{100 * own / fit_s:.1f}% of that run's {fit_s:.2f} s fit (stable, unlike the ratios)",
            )
        )
        rows.append(("RSS after the runs", f"{rss_mb():.0f} MB", "VmRSS"))

    load = os.getloadavg()[0]
    versions = tfload.versions()
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(
        f"training core benchmark  (tensorflow {versions.get('tensorflow')}, keras {versions.get('keras')}, "
        f"{os.cpu_count()} cores, load avg {load:.2f})"
    )
    print("-" * (width + vwidth + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>{vwidth}}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
