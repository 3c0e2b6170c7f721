"""Training in a worker process: real worker processes, real Keras in them, none in this one.

None of these tests imports TensorFlow in the test process (no `tf` marker: the conftest check
would fail them if one did); the workers they start import it. Tests marked `tf` import it in
the test process and run after every other test of that process (conftest.py), so this one is
free of TensorFlow when these tests begin: `no_tensorflow_here` checks it stays so.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tui_tutor.lesson.model import LayerSpec, TrainSpec
from tui_tutor.training.events import EpochEnd, Failed, Finished, Loaded, Started, Stopped, event_from_json
from tui_tutor.training.worker import (
    TrainingWorker,
    crash_message,
    make_request,
    worker_command,
    worker_env,
)

ROOT = Path(__file__).resolve().parents[1]
LESSON_TWO = ROOT / "lessons" / "02-watch-a-network-learn.md"

XOR = TrainSpec(
    id="xor", line=1, dataset="xor", layers=(LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")),
    learning_rate=0.05, epochs=500, batch_size=4, seed=2,
)


def _gone(pid: int) -> bool:
    """The process has ended and been reaped (or is a zombie of someone else's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


@pytest.fixture
def no_tensorflow_here():
    """A check that TensorFlow and Keras are not loaded in this process (the UI's process).

    Only what this test loaded counts: were one loaded by an earlier test in this process
    (a `tf` test run out of the order conftest.py gives), no later test could unload it.
    """
    heavy = ("tensorflow", "keras")
    before = {name for name in heavy if name in sys.modules}

    def check() -> None:
        loaded = sorted(name for name in heavy if name in sys.modules and name not in before)
        assert not loaded, f"loaded in the test process: {loaded}"

    return check


def _wait(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_train_spec_round_trips_as_json():
    spec = TrainSpec(id="m", line=3, dataset="moons", layers=(LayerSpec(8, "tanh"), LayerSpec(1, "sigmoid")),
                     metrics=("accuracy",), steps_per_epoch=7, validation_split=0.25)
    assert TrainSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_crash_message_names_the_signal():
    assert crash_message(-9) == (
        "the training process ended unexpectedly (killed by signal 9, SIGKILL); press t to try again"
    )
    assert "exit status 3" in crash_message(3)


def test_a_bad_request_is_a_failed_event_not_a_crash():
    """`run_request` is what a batch job reuses; a malformed spec comes back as an event."""
    out = subprocess.run(
        [*worker_command(), "--run", "/dev/stdin"], input='{"spec": {"layers": [{"nounits": 1}]}}',
        capture_output=True, text=True, env=worker_env(), timeout=60,
    )
    assert out.returncode == 1
    event = event_from_json(out.stdout.strip().splitlines()[-1])
    assert isinstance(event, Failed) and "bad training request" in event.message


def test_one_run_as_a_job_appends_events_to_a_file(tmp_path):
    """The worker's `--run REQUEST --out EVENTS` form: what a batch job runs."""
    request = tmp_path / "request.json"
    request.write_text(json.dumps(make_request(XOR, {"epochs": 50})))
    events = tmp_path / "events.jsonl"
    out = subprocess.run([*worker_command(), "--run", str(request), "--out", str(events)],
                         capture_output=True, text=True, env=worker_env(), timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout == ""
    read = [event_from_json(line) for line in events.read_text().splitlines()]
    assert isinstance(read[-1], Finished) and read[-1].history["epoch"][-1] == 50
    assert [type(e).__name__ for e in read[:3]] == ["Loading", "Loaded", "Started"]


def test_runs_stop_crash_and_recycle_in_a_real_worker(no_tensorflow_here):
    worker = TrainingWorker(threads=1)
    try:
        # A run, then a second one in the same warm process.
        seen: list = []
        final = worker.start_run(XOR, {}, seen.append).run()
        assert isinstance(final, Finished) and final.history["accuracy"][-1] == 1.0
        pid = worker.pid
        assert pid is not None
        no_tensorflow_here()
        again: list = []
        second = worker.start_run(XOR, {}, again.append).run()
        assert worker.pid == pid and worker.starts == 1
        assert second.history == final.history  # same seed, same numbers, warm or not
        # No second import: the warm worker's load is a fraction of the cold one's (seconds).
        assert isinstance(seen[1], Loaded) and isinstance(again[1], Loaded)
        assert again[1].seconds < seen[1].seconds / 4

        # Stop reaches a run in progress through a stop message (within one batch in the worker).
        events: list = []
        first_epoch = threading.Event()

        def emit(event):
            events.append(event)
            if isinstance(event, EpochEnd):
                first_epoch.set()

        run = worker.start_run(XOR, {"epochs": 200_000}, emit)
        thread = threading.Thread(target=run.run)
        thread.start()
        assert first_epoch.wait(60)
        run.stop()
        thread.join(60)
        assert not thread.is_alive() and isinstance(events[-1], Stopped)
        assert events[-1].epoch < 200_000 and worker.pid == pid

        # SIGKILL mid-run: a plain Failed event, and the next run starts a fresh worker.
        events = []
        started = threading.Event()

        def emit_started(event):
            events.append(event)
            if isinstance(event, Started):
                started.set()

        run = worker.start_run(XOR, {"epochs": 200_000}, emit_started)
        thread = threading.Thread(target=run.run)
        thread.start()
        assert started.wait(60)
        os.kill(pid, signal.SIGKILL)
        thread.join(60)
        assert isinstance(events[-1], Failed)
        assert events[-1].message == crash_message(-9)
        assert "press t to try again" in events[-1].message
        assert _gone(pid) and worker.pid is None
        third = worker.start_run(XOR, {"epochs": 20}, [].append).run()
        assert isinstance(third, Finished) and worker.starts == 2
        new_pid = worker.pid
        assert new_pid not in (None, pid)

        # A worker grown past the memory limit is ended after the run; the next starts fresh.
        worker.max_rss_mb = 1  # any TensorFlow process is bigger
        assert isinstance(worker.start_run(XOR, {"epochs": 20}, [].append).run(), Finished)
        assert worker.recycled == 1 and worker.pid is None and _gone(new_pid)
        worker.max_rss_mb = 1536
        assert isinstance(worker.start_run(XOR, {"epochs": 20}, [].append).run(), Finished)
        assert worker.starts == 3
    finally:
        last = worker.pid
        worker.close()
        assert last is None or _gone(last)
    no_tensorflow_here()


def test_versions_come_from_the_worker_and_a_missing_tensorflow_is_plain(monkeypatch):
    worker = TrainingWorker()
    try:
        event = worker.versions()
        assert isinstance(event, Loaded) and event.versions["tensorflow"][0].isdigit()
    finally:
        worker.close()
    out = subprocess.run([*worker_command(), "--versions"], capture_output=True, text=True,
                         env=worker_env(), timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)["keras"][0].isdigit()
    # A real failure, no stand-in: the worker is told to use a backend the tutor refuses.
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    broken = TrainingWorker()
    try:
        event = broken.versions()
        assert isinstance(event, Failed) and event.kind == "import" and "KERAS_BACKEND" in event.message
    finally:
        broken.close()


def test_end_of_input_ends_the_worker_even_during_the_import():
    """A tutor that is gone (its pipe closed) leaves no worker, even one busy importing."""
    proc = subprocess.Popen([*worker_command()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=worker_env(), text=True)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps({"op": "versions", "seq": 1}) + "\n")
    proc.stdin.flush()
    time.sleep(0.5)  # the import has begun (it takes seconds)
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0  # at once; the bound is for a loaded machine


def test_stray_prints_in_the_worker_do_not_reach_the_event_stream():
    out = subprocess.run(
        [sys.executable, "-c", "from tui_tutor.training import worker; s = worker._private_stdout(); "
         "print('noise'); s.write('{}\\n'); s.flush()"],
        capture_output=True, text=True, env=worker_env(), timeout=60,
    )
    assert out.stdout == "{}\n" and "noise" in out.stderr


def test_run_to_stream_is_the_whole_run(no_tensorflow_here):
    """`run_to_stream` in-process would import TensorFlow here; check only its bad-input path."""
    from tui_tutor.training.worker import run_to_stream

    stream = io.StringIO()
    final = run_to_stream({"spec": "not a spec"}, stream, extra={"seq": 7})
    line = json.loads(stream.getvalue())
    assert isinstance(final, Failed) and line["seq"] == 7 and line["event"] == "Failed"
    no_tensorflow_here()


# -- through the app ----------------------------------------------------------------------
def _app(tmp_path):
    from tui_tutor.ui.app import AppOptions, TutorApp

    return TutorApp(AppOptions(lesson_paths=[LESSON_TWO], open_path=LESSON_TWO, data_dir=tmp_path / "d", learner="t"))


async def _train_view(app, pilot):
    from tui_tutor.ui.training.view import TrainView

    await pilot.pause()
    for _ in range(10):
        views = list(app.screen.query(TrainView))
        if views:
            return views[0]
        await pilot.press("n")
        await pilot.pause()
    raise AssertionError("no training step found")


async def test_a_real_run_through_the_app_leaves_no_tensorflow_in_the_ui_process(tmp_path, no_tensorflow_here):
    from tui_tutor.training import worker as worker_module

    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _train_view(app, pilot)
        view.focus()
        await pilot.press("t")
        deadline = time.monotonic() + 120
        while not (view.runs and view.runs[-1].outcome != "running"):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        assert view.runs[-1].outcome == "finished", view.query_one(".train-status").render()
        shared = worker_module._shared
        assert shared is not None
        pid = shared.pid
        assert pid is not None
    no_tensorflow_here()
    _wait(lambda: _gone(pid), 5)  # quitting the app ended the worker


async def test_sigkill_of_the_worker_mid_run_shows_a_failure_and_the_next_run_works(tmp_path):
    from tui_tutor.training import worker as worker_module

    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _train_view(app, pilot)
        view.focus()
        view.values["epochs"] = 200_000
        await pilot.press("t")
        deadline = time.monotonic() + 120
        while not (view.runs and view.runs[-1].history):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        pid = worker_module._shared.pid
        os.kill(pid, signal.SIGKILL)
        while view.runs[-1].outcome == "running":
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        status = str(view.query_one(".train-status").render())
        assert "the training process ended unexpectedly (killed by signal 9" in status
        assert "press t to try again" in status
        view.values["epochs"] = 20
        await pilot.press("t")
        while not (len(view.runs) == 2 and view.runs[-1].outcome != "running"):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        assert view.runs[-1].outcome == "finished" and app.is_running
        assert worker_module._shared.pid not in (None, pid)


@pytest.mark.slow
def test_quitting_during_the_tensorflow_import_returns_within_a_second(tmp_path):
    """The real tutor in a pty: press t, quit while the worker imports; no worker is left."""
    import pty
    import select

    pid_file = tmp_path / "pids"
    script = f"""
import os, sys, threading, time
from tui_tutor.training import worker
original = worker._Process.__init__
def tracked(self, *a, **k):
    original(self, *a, **k)
    with open({str(pid_file)!r}, "a") as f:
        f.write(f"{{self.pid}}\\n")
worker._Process.__init__ = tracked
from tui_tutor.cli import main
sys.argv = ["tui-tutor", {str(LESSON_TWO)!r}]
sys.exit(main())
"""
    env = {**worker_env(), "TUI_TUTOR_DATA_DIR": str(tmp_path / "data"), "TERM": "xterm-256color",
           "COLUMNS": "80", "LINES": "24"}
    env.pop("TEXTUAL", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    screen = bytearray()

    def read(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    screen.extend(os.read(master, 65536))
                except OSError:
                    return

    try:
        read(0)
        deadline = time.monotonic() + 60
        while b"Training" not in screen:  # page through to the training step
            assert time.monotonic() < deadline, screen[-2000:]
            os.write(master, b"n")
            read(0.5)
        os.write(master, b"\t")
        read(0.3)
        for _ in range(20):  # focus the training view and press t until the worker starts
            os.write(master, b"t")
            read(0.3)
            if pid_file.exists():
                break
            os.write(master, b"\t")
        assert pid_file.exists(), "the worker did not start"
        worker_pid = int(pid_file.read_text().split()[0])
        assert not _gone(worker_pid)
        start = time.monotonic()
        os.write(master, b"\x11")  # ctrl+q
        while proc.poll() is None and time.monotonic() - start < 10:
            read(0.02)
        took = time.monotonic() - start
        assert proc.poll() is not None
        assert took < 1.0, f"quitting took {took:.2f} s"
        assert _gone(worker_pid)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)


# -- the install check and a missing TensorFlow, through real workers ------------------------
def _without_tensorflow(tmp_path, monkeypatch) -> None:
    """Workers started from now on find a `tensorflow` that fails to import, as on a machine
    without it (a real ImportError in a real process; this process is untouched)."""
    from tui_tutor.training import worker as worker_module

    shadow = tmp_path / "no-tf" / "tensorflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("No module named tensorflow", name="tensorflow")\n')
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(shadow.parent), os.environ.get("PYTHONPATH")])))
    worker_module.shutdown()  # the next request starts a worker with this environment


def _install_check_app():
    from textual.app import App

    from tui_tutor.ui.widgets.interactive import make_widget

    class Host(App):
        def compose(self):
            yield make_widget("install-check", {})

    return Host()


async def _check_result(app, pilot):
    from tui_tutor.ui.widgets.interactive.base import InteractiveWidget

    widget = app.query_one(InteractiveWidget)
    deadline = time.monotonic() + 120
    while widget.checking:
        assert time.monotonic() < deadline
        await pilot.pause(0.1)
    await pilot.pause()
    return widget.render().plain


async def test_install_check_asks_the_worker_and_loads_no_tensorflow_here(no_tensorflow_here):
    from tui_tutor.training import worker as worker_module
    from tui_tutor.ui.widgets.interactive.base import InteractiveWidget

    worker_module.shutdown()  # a cold worker: the check takes seconds, and says so meanwhile
    app = _install_check_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Checking your installation" in app.query_one(InteractiveWidget).render().plain
            text = await _check_result(app, pilot)
            assert "Your installation can run the training steps" in text, text
            for name in ("tensorflow", "keras", "numpy"):
                assert f"  {name:<11} " in text and "not found" not in text
            pid = worker_module._shared.pid
            await pilot.press("r")
            text = await _check_result(app, pilot)
            assert "Your installation can run the training steps" in text
            assert worker_module._shared.pid == pid  # the same warm worker answered again
    finally:
        worker_module.shutdown()
    no_tensorflow_here()


async def test_install_check_without_tensorflow_says_how_to_install_it(tmp_path, monkeypatch):
    from tui_tutor.training import worker as worker_module

    _without_tensorflow(tmp_path, monkeypatch)
    app = _install_check_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            text = await _check_result(app, pilot)
            assert "TensorFlow could not be loaded" in text and "tensorflow is not installed" in text
            assert "pip install" in text and "The rest of the lesson works without it" in text
    finally:
        worker_module.shutdown()


async def test_a_run_without_tensorflow_is_reported_and_the_lesson_goes_on(tmp_path, monkeypatch):
    _without_tensorflow(tmp_path, monkeypatch)
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _train_view(app, pilot)
        view.focus()
        await pilot.press("t")
        deadline = time.monotonic() + 120
        while not (view.runs and view.runs[-1].outcome != "running"):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        assert view.runs[-1].outcome == "no TensorFlow"
        status = str(view.query_one(".train-status").render())
        assert "tensorflow is not installed" in status and "pip install" in status
        assert app.is_running


def test_the_worker_leaves_no_files_in_the_shared_temp_folder(no_tensorflow_here):
    """TensorFlow's autograph writes a file per traced function to the temp folder and leaves it
    when the process is ended by a signal; on a login node /tmp is shared, so the worker gets a
    folder of its own, removed when it ends."""
    import tempfile

    shared = Path(tempfile.gettempdir())
    worker = TrainingWorker(threads=1)
    try:
        assert isinstance(worker.start_run(XOR, {}, lambda event: None).run(), Finished)
        private = Path(worker._process.tmp)
        assert private.parent == shared and private.name.startswith("tui-tutor-worker-")
        written = [p.name for p in private.iterdir()]
        assert any(name.startswith("__autograph_generated") for name in written)  # they went there
    finally:
        worker.close()  # SIGTERM: the way that left autograph's files behind
    assert not private.exists()
    # (other tests running beside this one may write to the shared folder: only ours are checked)
    assert not any((shared / name).exists() for name in written)
