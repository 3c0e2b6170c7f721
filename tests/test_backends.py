"""Keras backends other than TensorFlow: ``KERAS_BACKEND=jax`` (or ``torch``) in a Slurm job.

The main test environment has TensorFlow and no JAX, so most tests here check the failures a
learner meets (a backend that is not installed, a backend the tutor does not know) through the
real worker process, and that TensorFlow's versions name their backend. One test trains with
JAX for real in another Python that has it: set ``TUI_TUTOR_JAX_PYTHON`` to that interpreter
(e.g. a venv with ``pip install jax keras numpy pyyaml platformdirs google-re2 textual plotext``
and this package installed with ``--no-deps``); it is skipped otherwise.

No test imports TensorFlow in the test process except those marked ``tf``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tui_tutor.lesson.model import LayerSpec, SplitSpec, TrainSpec
from tui_tutor.training.worker import make_request, worker_env

XOR = TrainSpec(
    id="xor-2",
    line=1,
    dataset="xor",
    layers=(LayerSpec(2, "relu"), LayerSpec(1, "sigmoid")),
    loss="binary_crossentropy",
    optimizer="adam",
    learning_rate=0.05,
    epochs=500,
    batch_size=4,
    seed=1,
)

PENGUINS = TrainSpec(
    id="penguins",
    line=1,
    dataset="penguins",
    drop_missing=True,
    one_hot=True,
    standardize=True,
    split=SplitSpec(test=0.2, stratify=True, seed=2),
    layers=(LayerSpec(10, "relu"), LayerSpec(3, "softmax")),
    loss="categorical_crossentropy",
    optimizer="adam",
    learning_rate=0.01,
    epochs=30,
    batch_size=32,
    seed=2,
)

JAX_PYTHON_VAR = "TUI_TUTOR_JAX_PYTHON"


def _run_worker(tmp_path: Path, spec: TrainSpec, env_changes: dict[str, str | None], *,
                python: str = sys.executable, timeout: float = 180) -> tuple[int, list[dict[str, Any]], str]:
    """``python -m tui_tutor.training.worker --run REQ --out EVENTS`` in a fresh process:
    (exit status, the event lines, stderr)."""
    request = tmp_path / f"{spec.id}.json"
    request.write_text(json.dumps(make_request(spec)), encoding="utf-8")
    out = tmp_path / f"{spec.id}.jsonl"
    env = worker_env()
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    done = subprocess.run([python, "-m", "tui_tutor.training.worker", "--run", str(request), "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return done.returncode, [json.loads(line) for line in lines], done.stderr


def _one_plain_sentence(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message
    assert len(message) < 400


def test_jax_without_jax_installed_fails_with_one_plain_sentence(tmp_path):
    """The main environment has no JAX: a job with ``keras_backend: jax`` says what to load."""
    import importlib.util

    if importlib.util.find_spec("jax") is not None:  # finds, imports nothing
        pytest.skip("jax is installed in this Python: its absence cannot be shown here")
    code, events, _ = _run_worker(tmp_path, XOR, {"KERAS_BACKEND": "jax"})
    assert code == 1
    assert [e["event"] for e in events] == ["Loading", "Failed"]
    failed = events[-1]
    assert failed["kind"] == "import"
    message = failed["message"]
    _one_plain_sentence(message)
    assert "KERAS_BACKEND=jax" in message and "jax is not installed" in message
    assert "module load JAX" in message and "pip install jax" in message


def test_an_unknown_backend_fails_with_a_sentence(tmp_path):
    code, events, _ = _run_worker(tmp_path, XOR, {"KERAS_BACKEND": "mxnet"})
    assert code == 1
    assert [e["event"] for e in events] == ["Loading", "Failed"]
    failed = events[-1]
    assert failed["kind"] == "import"
    _one_plain_sentence(failed["message"])
    assert "'mxnet'" in failed["message"] and "tensorflow, jax or torch" in failed["message"]


def test_the_unknown_backend_is_refused_before_anything_is_imported(monkeypatch):
    """In-process: the refusal needs no import at all (no ``tf`` marker: nothing is loaded)."""
    from tui_tutor.training import tfload

    monkeypatch.setattr(tfload, "_keras", None)
    monkeypatch.setattr(tfload, "_failure", None)
    monkeypatch.setenv("KERAS_BACKEND", "numpy")
    modules_before = set(sys.modules)
    with pytest.raises(tfload.TrainingUnavailable) as info:
        tfload.load_keras()
    assert "'numpy'" in info.value.message
    assert not {"keras", "tensorflow", "jax", "torch"} & (set(sys.modules) - modules_before)


def test_the_requested_backend_reads_the_environment(monkeypatch):
    from tui_tutor.training import tfload

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert tfload.requested_backend() == "tensorflow"
    for value, expected in (("", "tensorflow"), ("JAX", "jax"), (" torch ", "torch"), ("tensorflow", "tensorflow")):
        monkeypatch.setenv("KERAS_BACKEND", value)
        assert tfload.requested_backend() == expected


def test_jax_threads_are_capped_through_xla_flags_and_set_flags_win(monkeypatch):
    from tui_tutor.training import tfload

    monkeypatch.delenv("XLA_FLAGS", raising=False)
    tfload._xla_thread_flags(3)
    assert os.environ["XLA_FLAGS"].split() == ["--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=3"]
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true --xla_dump_to=/tmp/x")
    tfload._xla_thread_flags(2)
    assert os.environ["XLA_FLAGS"].split() == [
        "--xla_cpu_multi_thread_eigen=true", "--xla_dump_to=/tmp/x", "intra_op_parallelism_threads=2"]


@pytest.mark.tf
@pytest.mark.slow
def test_tensorflow_versions_name_the_backend(tmp_path):
    """Unset KERAS_BACKEND: TensorFlow, and the run's ``Loaded`` versions say so."""
    code, events, _ = _run_worker(tmp_path, XOR, {"KERAS_BACKEND": None})
    assert code == 0, events[-1:]
    loaded = next(e for e in events if e["event"] == "Loaded")
    versions = loaded["versions"]
    assert versions["backend"] == "tensorflow" and versions["tensorflow"][0].isdigit()
    assert {"keras", "numpy", "python"} <= set(versions)
    assert events[-1]["event"] == "Finished"


@pytest.mark.tf
def test_tensorflow_versions_name_the_backend_in_process(keras_loaded):
    from tui_tutor.training import tfload

    assert tfload.backend() == "tensorflow"
    assert tfload.versions()["backend"] == "tensorflow"


@pytest.fixture
def keras_loaded():
    from tui_tutor.training import tfload

    if tfload.requested_backend() != "tensorflow":
        pytest.skip("KERAS_BACKEND names another backend in this environment")
    with tfload.silence_fd2():
        return tfload.load_keras(threads=2)


def _jax_python() -> str:
    python = os.environ.get(JAX_PYTHON_VAR, "").strip()
    if not python:
        pytest.skip(f"set {JAX_PYTHON_VAR} to a Python that has jax and keras (and this package's "
                    "dependencies but not necessarily TensorFlow) to train with the JAX backend")
    if not Path(python).exists():
        pytest.fail(f"{JAX_PYTHON_VAR}={python!r}: no such file")
    return python


@pytest.mark.slow
def test_jax_trains_xor_and_penguins_for_real(tmp_path):
    """The real worker with ``KERAS_BACKEND=jax``: the same events and kinds of data as with
    TensorFlow (history, weights, test metrics, confusion matrix) and versions that name JAX."""
    python = _jax_python()
    env = {"KERAS_BACKEND": "jax", "PYTHONPATH": worker_env()["PYTHONPATH"]}

    code, events, err = _run_worker(tmp_path, XOR, env, python=python)
    assert code == 0, (events[-1:], err[-2000:])
    kinds = [e["event"] for e in events]
    assert kinds[:3] == ["Loading", "Loaded", "Started"] and kinds[-1] == "Finished"
    versions = events[1]["versions"]
    assert versions["backend"] == "jax" and versions["jax"][0].isdigit() and versions["jaxlib"][0].isdigit()
    assert "tensorflow" not in versions and {"keras", "numpy", "python"} <= set(versions)
    final = events[-1]
    assert final["history"]["epoch"][-1] == 500 and len(final["history"]["epoch"]) == 50
    assert final["history"]["loss"][-1] < 0.1 and final["history"]["accuracy"][-1] == 1.0
    assert [len(w["kernel"]) for w in final["weights"]] == [2, 2]
    epochs = [e for e in events if e["event"] == "EpochEnd"]
    assert len(epochs) == 50 and epochs[0]["epoch"] == 10 and epochs[0]["weights"]

    code, events, err = _run_worker(tmp_path, PENGUINS, env, python=python)
    assert code == 0, (events[-1:], err[-2000:])
    final = events[-1]
    assert final["event"] == "Finished"
    assert final["test"]["accuracy"] > 0.9 and final["test"]["loss"] < 0.5
    assert final["classes"] and len(final["confusion"]) == len(final["classes"]) == 3
    assert sum(map(sum, final["confusion"])) == 69


@pytest.mark.slow
def test_a_jax_run_stops_at_once_and_keeps_its_wall_time_cap(tmp_path):
    """SIGTERM (scancel) stops a JAX run within a batch, and ``max_seconds`` ends a long one."""
    import signal
    import time

    python = _jax_python()
    env = worker_env()
    env.update(KERAS_BACKEND="jax")
    long_run = TrainSpec(id="long", line=1, dataset="xor", layers=XOR.layers, learning_rate=0.05,
                         epochs=200000, batch_size=1, seed=1)
    request = tmp_path / "long.json"
    out = tmp_path / "long.jsonl"
    request.write_text(json.dumps(make_request(long_run, max_seconds=600)), encoding="utf-8")
    proc = subprocess.Popen([python, "-m", "tui_tutor.training.worker", "--run", str(request), "--out", str(out)],
                            env=env, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and '"EpochEnd"' not in (out.read_text() if out.exists() else ""):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    final = json.loads(out.read_text().splitlines()[-1])
    assert final["event"] == "Stopped" and final["reason"] == "stopped (cancelled)"

    out.unlink()
    request.write_text(json.dumps(make_request(long_run, max_seconds=2)), encoding="utf-8")
    done = subprocess.run([python, "-m", "tui_tutor.training.worker", "--run", str(request), "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    final = json.loads(out.read_text().splitlines()[-1])
    assert done.returncode == 1 and final["event"] == "Failed" and final["kind"] == "timeout"
