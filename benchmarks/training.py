"""Training benchmark: the live training view in a real pty, next to plain Keras. One table.

    .venv/bin/python benchmarks/training.py            # the table
    .venv/bin/python benchmarks/training.py --json     # the same figures as JSON
    options: --repeats 4 --samples 40 --epochs 2000 --batch 1 --keras-window 8

About 2-2.5 minutes on a 2-core machine with light load from others; up to ~4 when other
processes take a core. Exit status 1 if a phase failed (its rows then say ERROR and why).

Rows (each with its goal and PASS/FAIL):

1. Throughput: a ``TrainingRun`` whose ``emit`` does what the view's does (wrap the event in a
   Textual ``Message`` and ``loop.call_soon_threadsafe(queue.put_nowait, ...)`` onto an asyncio
   loop in another thread, which consumes it) versus plain ``fit(verbose=0)`` of the same model,
   data and steps (``training_core.MOONS``, ``training_core.plain_grouped``). ``--repeats``
   interleaved pairs (the order alternates); the median of the pair ratios plain/run decides,
   the ratio of the best times is shown beside it. Goal >= 0.95x.
2. XOR to 100% accuracy: ``TrainingRun`` (same emit) versus naive ``fit(epochs=500)``, both after
   TensorFlow is loaded and warm (``training_core.naive_xor`` / ``run_spec``). Goal >= 30x.
3. Bytes per second written to an 80x24 pty during live training in the real app
   (``python -m tui_tutor tests/data/training/train.md``, TERM=xterm-256color, LANG=C.UTF-8, a
   temporary TUI_TUTOR_DATA_DIR). Epochs and batch size are raised/lowered with the keys
   (default 2000 epochs, batch 1) so the run lasts several seconds; bytes are counted from the
   first "Run 1, epoch" status to "Run 1 finished", no keys pressed meanwhile. Compared with
   Keras ``fit(..., verbose=1)`` of the same model, data, epochs and batch size on the same kind
   of pty (naive epochs: one Keras epoch per pass over the data), counted from "Epoch 2/" for
   ``--keras-window`` seconds (or to the end of fit). Goal <= 8 KB/s (1 KB = 1000 B) and below
   verbose=1.
4. Key-to-screen latency during training: in a second run, ``left``/``right`` alternately move
   the highlighted setting between ``[epochs N]`` and ``[batch B]`` (no effect on training);
   the latency is the time from writing the key to reading the bytes that complete the new
   bracketed text. ``--samples`` samples about 100 ms apart; goal p95 <= 20 ms.
5. RSS (VmRSS of /proc/PID/status) after 10 runs in the app (runs after the latency phase are
   stopped with x after their first logged epoch): the UI process (goal <= 90 MB: it never
   imports TensorFlow, training runs in the worker process) and the training worker (goal
   <= 700 MB and flat: at most 50 MB more after the last run than after the first measured).
   Also shown: the app's RSS after the first frame, and the real app's training steps/s
   against plain ``fit(verbose=0)`` of the same steps, both after their first logged epoch
   (informational; a single run each, so noisy on a shared machine).

The pty phases run first, before this process imports TensorFlow (no fork of a threaded
process). Every phase has a time limit and fails with a message naming it; child processes are
killed (by their process-group id) on any exit. Load on the machine (load average, CPU used by
other processes) is printed with the table: the machine is shared.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import fcntl
import json
import math
import os
import platform
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import training_core as core  # noqa: E402  (imports no TensorFlow at module level)

from tui_tutor.lesson.loader import load_lesson  # noqa: E402
from tui_tutor.lesson.model import TrainSpec  # noqa: E402
from tui_tutor.training.runner import plan_epochs, resolve_spec  # noqa: E402
from tui_tutor.training.settings import SETTINGS, initial_values, overrides, show, step_value  # noqa: E402

LESSON = ROOT / "tests" / "data" / "training" / "train.md"
ROWS, COLS = 24, 80
KEYS = {"left": b"\x1b[D", "right": b"\x1b[C", "plus": b"+", "minus": b"-", "t": b"t", "x": b"x", "quit": b"\x11"}

GOAL_THROUGHPUT = 0.95
GOAL_XOR_SPEEDUP = 30
GOAL_BYTES_PER_S = 8000.0
GOAL_LATENCY_P95_MS = 20
GOAL_RSS_AFTER_MB = 700.0
GOAL_RSS_BEFORE_MB = 90.0


# -- robustness: phases with time limits, children killed on exit --------------------------------
class PhaseError(RuntimeError):
    """A phase failed; the message names the phase."""


class PhaseTimeout(BaseException):
    """A phase ran out of time. A BaseException, so that TrainingRun (which turns every
    Exception into a Failed event) and Keras let it through."""


_children: dict[int, str] = {}  # pid -> what it is; each child leads its own process group


def _kill_children() -> None:
    for pid in list(_children):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)  # pty.fork makes the child a session (and group) leader
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        _children.pop(pid, None)


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through finally blocks; atexit kills the children


@contextlib.contextmanager
def phase(name: str, seconds: float):
    """Raise PhaseError if the block takes longer than `seconds` (SIGALRM; main thread only)."""

    def expire(signum, frame):
        raise PhaseTimeout(f"phase '{name}' timed out after {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- the pty (the pattern of benchmarks/startup.py, kept open for a conversation) --------------
class Pty:
    """A child on an 80x24 pty; every byte it writes is kept with the time it was read."""

    def __init__(self, argv: list[str], env: dict, what: str, cwd: Path = ROOT) -> None:
        self.what = what
        self.data = bytearray()
        self.marks: list[tuple[int, float]] = []  # (end offset of a chunk, time it was read)
        self.closed = False
        self.t_fork = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child
            try:
                os.chdir(cwd)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        _children[pid] = what
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))

    def pump(self, timeout: float) -> float | None:
        """Read what is there (waiting up to `timeout`); the time of the read, None if nothing."""
        if self.closed:
            time.sleep(max(0.0, timeout))
            return None
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return None
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            chunk = b""
        now = time.perf_counter()
        if not chunk:
            self.closed = True
            return None
        self.data += chunk
        self.marks.append((len(self.data), now))
        if b"\x1b[6n" in chunk:  # answer a cursor-position query if one is asked
            os.write(self.fd, b"\x1b[1;1R")
        return now

    def drain(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            self.pump(left)

    def wait_for(self, pattern: bytes | re.Pattern, since: int, timeout: float, phase_name: str):
        """(time, start, end) of the first match of `pattern` in the bytes from offset `since`."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        shown = (pattern.pattern if isinstance(pattern, re.Pattern) else pattern).decode("utf-8", "replace")
        deadline = time.perf_counter() + timeout
        scanned = since
        while True:
            match = regex.search(self.data, scanned)
            if match:
                return self.time_of(match.end()), match.start(), match.end()
            scanned = max(since, len(self.data) - 200)  # a match may straddle chunks
            left = deadline - time.perf_counter()
            if left <= 0 or self.closed:
                why = "the program exited" if self.closed else f"not seen within {timeout:.0f} s"
                raise PhaseError(f"phase '{phase_name}': {shown!r} {why}; "
                                 f"last screen text: {self.tail_text()!r}")
            self.pump(min(left, 0.5))

    def time_of(self, offset: int) -> float:
        """When the byte at `offset - 1` was read."""
        for end, when in reversed(self.marks):
            if end < offset:
                break
            found = when
        return found

    def tail_text(self, n: int = 600) -> str:
        text = re.sub(rb"\x1b\[[0-9;?<>=$]*[A-Za-z~]|\x1b\][^\x07]*\x07", b" ", bytes(self.data[-n:]))
        return re.sub(r"\s+", " ", text.decode("utf-8", "replace")).strip()[-200:]

    def send(self, key: str) -> float:
        now = time.perf_counter()
        os.write(self.fd, KEYS[key])
        return now

    def rss_mb(self, field: str = "VmRSS") -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return math.nan

    def cpu_seconds(self, main_thread_only: bool = False) -> float:
        """CPU seconds of the whole process, or of its main thread (Textual's event loop)."""
        path = f"/proc/{self.pid}/task/{self.pid}/stat" if main_thread_only else f"/proc/{self.pid}/stat"
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self, quit_key: bool = True, grace: float = 5.0) -> None:
        """Quit politely (ctrl+q), then kill the process group; always reaped."""
        try:
            if quit_key and not self.closed:
                with contextlib.suppress(OSError):
                    self.send("quit")
                end = time.perf_counter() + grace
                while time.perf_counter() < end:
                    self.pump(0.1)
                    done, _ = os.waitpid(self.pid, os.WNOHANG)
                    if done:
                        _children.pop(self.pid, None)
                        break
        except ChildProcessError:
            _children.pop(self.pid, None)
        finally:
            if self.pid in _children:
                with contextlib.suppress(OSError):
                    os.killpg(self.pid, signal.SIGKILL)
                with contextlib.suppress(OSError):
                    os.waitpid(self.pid, 0)
                _children.pop(self.pid, None)
            with contextlib.suppress(OSError):
                os.close(self.fd)


def child_env(data_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LC_ALL", "LC_CTYPE", "NO_COLOR", "COLUMNS", "LINES") and not k.startswith("TEXTUAL_")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", TUI_TUTOR_DATA_DIR=data_dir, PYTHONUNBUFFERED="1")
    return env


# -- the lesson's run and the keys that set it up ------------------------------------------------
def lesson_spec() -> TrainSpec:
    result = load_lesson(LESSON)
    if result.lesson is None:
        raise PhaseError(f"cannot load {LESSON}: {result.errors}")
    for step in result.lesson.steps:
        for item in step.items:
            if isinstance(item, TrainSpec):
                return item
    raise PhaseError(f"no train step in {LESSON}")


def setup_keys(spec: TrainSpec, epochs: int, batch: int) -> tuple[list[str], dict]:
    """Keys from the view's first state (first setting selected) to `epochs` and `batch`,
    leaving the batch setting selected; and the settings they give."""
    values = initial_values(spec)
    keys: list[str] = []
    selected = 0
    for key, target in (("epochs", epochs), ("batch_size", batch)):
        index = next(i for i, s in enumerate(SETTINGS) if s.key == key)
        keys += ["right"] * (index - selected)
        selected = index
        setting = SETTINGS[index]
        for _ in range(len(setting.ladder) + 2):
            if values[key] == target:
                break
            direction = 1 if target > values[key] else -1
            values[key] = step_value(setting, values[key], direction)
            keys.append("plus" if direction > 0 else "minus")
        if values[key] != target:
            raise PhaseError(f"the {setting.label} setting cannot reach {target} (ladder {setting.ladder})")
    return keys, values


def settings_label(key: str, values: dict) -> bytes:
    setting = next(s for s in SETTINGS if s.key == key)
    return f"[{setting.label} {show(values[key])}]".encode()


# -- phase A: the real app -------------------------------------------------------------------
@dataclasses.dataclass
class AppFigures:
    first_frame_s: float = math.nan
    rss_before_tf_mb: float = math.nan
    rss_after_run_mb: float = math.nan
    hwm_after_run_mb: float = math.nan
    run_bytes: int = 0
    run_window_s: float = math.nan
    run_fit_s: float = math.nan  # the app's own "Run 1 finished in X s"
    first_status_epoch: int = 0  # the epoch in the first "Run 1, epoch E/N" status
    tf_ready_s: float = math.nan  # from t to the first epoch status
    latencies_ms: list = dataclasses.field(default_factory=list)
    latency_timeouts: int = 0
    latency_runs: int = 0
    app_cpu_s: float = math.nan
    run_cores: float = math.nan  # whole app, CPU seconds per second during run 1's window
    run_ui_cores: float = math.nan  # its main thread (event loop, rendering) during that window
    settings: dict = dataclasses.field(default_factory=dict)
    runs_done: int = 0  # runs started in the app in all (for the RSS after 10 runs)
    rss_after_10_mb: float = math.nan  # the app (UI) process after 10 runs
    worker_rss_mb: list = dataclasses.field(default_factory=list)  # the worker after each extra run
    worker_pids: set = dataclasses.field(default_factory=set)


def worker_of(pid: int) -> int | None:
    """The training worker started by process ``pid`` (its child running tui_tutor.training.worker)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"tui_tutor.training.worker" in cmd:
            return int(entry.name)
    return None


def proc_rss_mb(pid: int | None) -> float:
    if pid is None:
        return math.nan
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


def app_phase(spec: TrainSpec, epochs: int, batch: int, samples: int, data_dir: str,
              command: list[str] | None = None) -> AppFigures:
    """`command` starts the app (default: this Python with ``-m tui_tutor``); the lesson is appended."""
    fig = AppFigures()
    keys, values = setup_keys(spec, epochs, batch)
    fig.settings = values
    argv = list(command or [sys.executable, "-m", "tui_tutor"]) + [str(LESSON.relative_to(ROOT))]
    app = Pty(argv, child_env(data_dir), "tui-tutor app")
    try:
        with phase("app: first frame", 40):
            t, _, _ = app.wait_for(b"Press t to train", 0, 35, "app: first frame")
            fig.first_frame_s = t - app.t_fork
            app.drain(0.3)
        with phase("app: settings keys", 20):
            for key in keys:
                app.send(key)
                app.drain(0.08)
            want = settings_label("batch_size", values)
            app.wait_for(want, 0, 5, "app: settings keys")
            app.drain(0.3)
            if settings_label("epochs", values)[1:-1] not in bytes(app.data[-4000:]):
                raise PhaseError(f"phase 'app: settings keys': epochs {epochs} not shown")
            fig.rss_before_tf_mb = app.rss_mb()

        # Run 1: bytes per second while training, no keys pressed.
        with phase("app: run 1 (TensorFlow import + training)", 240):
            since = len(app.data)
            t_key = app.send("t")
            t0, start, _ = app.wait_for(b"Run 1, epoch", since, 90, "app: run 1 first epoch")
            cpu0, ui0, c0 = app.cpu_seconds(), app.cpu_seconds(main_thread_only=True), time.perf_counter()
            fig.tf_ready_s = t0 - t_key
            end_pattern = re.compile(rb"Run 1 (finished in ([0-9.]+) s|stopped|diverged|reached the time cap|could not run)")
            t1, _, end = app.wait_for(end_pattern, start, 200, "app: run 1 end")
            c1 = time.perf_counter()
            fig.run_cores = (app.cpu_seconds() - cpu0) / (c1 - c0)
            fig.run_ui_cores = (app.cpu_seconds(main_thread_only=True) - ui0) / (c1 - c0)
            match = end_pattern.search(app.data, start)
            if not match.group(0).startswith(b"Run 1 finished"):
                raise PhaseError(f"phase 'app: run 1': the run ended with {match.group(0).decode()!r}: "
                                 f"{app.tail_text()!r}")
            fig.run_fit_s = float(match.group(2))
            fig.first_status_epoch = int(re.compile(rb"Run 1, epoch (\d+)/").search(app.data, start).group(1))
            fig.run_bytes = end - start
            fig.run_window_s = t1 - t0
            app.drain(1.0)
            fig.rss_after_run_mb = app.rss_mb()
            fig.hwm_after_run_mb = app.rss_mb("VmHWM")

        # Run 2 (and more if needed): key-to-screen latency while training.
        with phase("app: latency during training", 180):
            marks = {"left": settings_label("epochs", values), "right": settings_label("batch_size", values)}
            nxt = "left"  # the batch setting is selected: left moves to epochs, right back
            run = 1
            while len(fig.latencies_ms) < samples:
                run += 1
                if run > 6:
                    raise PhaseError("phase 'app: latency': runs too short to take the samples")
                fig.latency_runs += 1
                since = len(app.data)
                app.send("t")
                _, start, _ = app.wait_for(f"Run {run}, epoch".encode(), since, 60, f"app: run {run} start")
                end_re = re.compile(f"Run {run} (finished|stopped|diverged|reached|could not)".encode())
                while len(fig.latencies_ms) < samples and not end_re.search(app.data, start):
                    app.drain(0.1)
                    since = len(app.data)
                    t_send = app.send(nxt)
                    try:
                        t_seen, _, _ = app.wait_for(marks[nxt], since, 2.0, "app: latency sample")
                        fig.latencies_ms.append(1000 * (t_seen - t_send))
                    except PhaseError:
                        fig.latency_timeouts += 1
                        fig.latencies_ms.append(2000.0)
                    nxt = "right" if nxt == "left" else "left"
                if not end_re.search(app.data, start):
                    app.send("x")
                    app.wait_for(end_re, start, 30, f"app: run {run} stop")
            app.drain(0.3)
            fig.app_cpu_s = app.cpu_seconds()

        # More runs, each stopped after its first logged epoch, to 10 in all: RSS of both processes.
        with phase("app: runs to 10 (RSS)", 180):
            run = 1 + fig.latency_runs
            while run < 10:
                run += 1
                since = len(app.data)
                app.send("t")
                _, start, _ = app.wait_for(f"Run {run}, epoch".encode(), since, 60, f"app: run {run} start")
                app.send("x")
                app.wait_for(re.compile(f"Run {run} (finished|stopped|diverged|reached|could not)".encode()),
                             start, 30, f"app: run {run} end")
                app.drain(0.3)
                worker = worker_of(app.pid)
                fig.worker_pids.add(worker)
                fig.worker_rss_mb.append(proc_rss_mb(worker))
            fig.runs_done = run
            app.drain(1.0)
            fig.rss_after_10_mb = app.rss_mb()
    finally:
        app.close()
    return fig


# -- phase B: Keras verbose=1 on a pty ---------------------------------------------------------
KERAS_SCRIPT = r"""
import json, sys
sys.path.insert(0, "benchmarks")
from tui_tutor.lesson.model import LayerSpec, TrainSpec
from tui_tutor.training import datasets, tfload
import training_core as core
d = json.loads(sys.argv[1])
d["layers"] = tuple(LayerSpec(**layer) for layer in d["layers"])
d["metrics"] = tuple(d["metrics"])
spec = TrainSpec(**d)
keras = tfload.load_keras(2)
x, y = datasets.load(spec.dataset)
model = core.build(keras, spec)
print("FIT-START", flush=True)
model.fit(x, y, epochs=spec.epochs, batch_size=spec.batch_size, verbose=1)
print("FIT-END", flush=True)
"""


@dataclasses.dataclass
class KerasFigures:
    bytes: int = 0
    window_s: float = math.nan
    epochs_in_window: int = 0
    finished: bool = False


def keras_phase(spec: TrainSpec, window: float, data_dir: str) -> KerasFigures:
    fig = KerasFigures()
    payload = dataclasses.asdict(spec)
    argv = [sys.executable, "-c", KERAS_SCRIPT, json.dumps(payload)]
    proc = Pty(argv, child_env(data_dir), "keras verbose=1 script")
    try:
        with phase("keras verbose=1", 120 + window):
            t0, start, _ = proc.wait_for(b"Epoch 2/", 0, 100, "keras verbose=1: epoch 2")
            end_at = t0 + window
            while time.perf_counter() < end_at and not proc.closed:
                proc.pump(end_at - time.perf_counter())
                if b"FIT-END" in proc.data[-200:]:
                    fig.finished = True
                    break
            t1 = proc.marks[-1][1]
            stop = len(proc.data)
            if fig.finished:
                stop = proc.data.rfind(b"FIT-END")
            fig.bytes = stop - start
            fig.window_s = max(1e-6, t1 - t0)
            fig.epochs_in_window = proc.data.count(b"Epoch ", start, stop)
    finally:
        proc.close(quit_key=False)
    return fig


# -- phase C: in this process, after TensorFlow is loaded ----------------------------------------
class LoopEmit:
    """The view's emit: ``post_message`` from the worker thread, i.e. a Message put on the app
    loop's queue with ``call_soon_threadsafe``; a task on that loop consumes it."""

    def __init__(self) -> None:
        import asyncio

        from textual.message import Message

        class TrainEvent(Message):
            def __init__(self, event) -> None:
                super().__init__()
                self.event = event

        self._message = TrainEvent
        self.loop = asyncio.new_event_loop()
        self.received = 0
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(self.loop)
            self.queue = asyncio.Queue()
            task = self.loop.create_task(self._consume())
            self.loop.call_soon(ready.set)
            self.loop.run_forever()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                self.loop.run_until_complete(task)
            self.loop.close()

        self.thread = threading.Thread(target=main, name="fake-app-loop", daemon=True)
        self.thread.start()
        ready.wait(5)

    async def _consume(self) -> None:
        from tui_tutor.training.events import EpochEnd, Finished

        while True:
            message = await self.queue.get()
            if isinstance(message.event, (EpochEnd, Finished)):
                pass
            self.received += 1

    def __call__(self, event) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, self._message(event))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclasses.dataclass
class CoreFigures:
    import_s: float = math.nan
    plain_s: list = dataclasses.field(default_factory=list)
    run_s: list = dataclasses.field(default_factory=list)
    plain_cpu_s: list = dataclasses.field(default_factory=list)  # CPU seconds, incl. model build
    run_cpu_s: list = dataclasses.field(default_factory=list)
    steps: int = 0
    naive_s: float = math.nan
    naive_acc: float = math.nan
    xor_run_s: float = math.nan
    xor_acc: float = math.nan
    app_plain_s: float = math.nan
    app_plain_after_first_s: float = math.nan  # the same fit from the end of its first Keras epoch
    events: int = 0
    versions: dict = dataclasses.field(default_factory=dict)


def core_phase(repeats: int, app_spec: TrainSpec | None) -> CoreFigures:
    from tui_tutor.training import tfload

    fig = CoreFigures()
    emit = LoopEmit()
    try:
        with tfload.silence_fd2():
            with phase("core: TensorFlow import", 90):
                start = time.perf_counter()
                keras = tfload.load_keras(threads=2)
                fig.import_s = time.perf_counter() - start
                fig.versions = tfload.versions()
            with phase("core: warm-up", 60):
                core.run_spec(TrainSpec(id="warm", line=1, layers=core.XOR.layers, epochs=20, seed=2), emit)
            with phase("core: XOR naive fit(epochs=500)", 120):
                fig.naive_s, fig.naive_acc, _ = core.naive_xor(keras)
            with phase("core: XOR TrainingRun", 60):
                wall, _, final = core.run_spec(core.XOR, emit)
                fig.xor_run_s, fig.xor_acc = wall, final.history["accuracy"][-1]
            with phase("core: throughput pairs", 60 + 40 * repeats):
                spec = core.MOONS
                fig.steps = steps_of(spec)
                for i in range(max(1, repeats)):
                    order = ("plain", "run") if i % 2 == 0 else ("run", "plain")
                    for side in order:
                        cpu0 = time.process_time()  # every thread of this process, incl. the emit loop
                        if side == "plain":
                            fig.plain_s.append(core.plain_grouped(keras, spec))
                            fig.plain_cpu_s.append(time.process_time() - cpu0)
                        else:
                            fig.run_s.append(core.run_spec(spec, emit)[1])
                            fig.run_cpu_s.append(time.process_time() - cpu0)
            if app_spec is not None:
                with phase("core: plain fit of the app's run", 120):
                    ends: list[float] = []

                    class EpochTimes(keras.callbacks.Callback):  # epoch hooks only: no per-batch work
                        def on_epoch_end(self, epoch, logs=None):
                            ends.append(time.perf_counter())

                    fig.app_plain_s = core.plain_grouped(keras, app_spec, [EpochTimes()])
                    fig.app_plain_after_first_s = ends[-1] - ends[0]
        time.sleep(0.1)
        fig.events = emit.received
    finally:
        emit.close()
    return fig


def steps_of(spec: TrainSpec) -> int:
    """Training steps of a run of `spec`: epochs x batches per pass over the training rows."""
    x, y = core.datasets.load(spec.dataset)
    (xt, _), _ = core.datasets.split(x, y, spec.validation_split)
    return spec.epochs * -(-len(xt) // spec.batch_size)


# -- machine load ---------------------------------------------------------------------------
def cpu_snapshot() -> tuple[float, float]:
    """(machine busy CPU seconds, this process + reaped children CPU seconds)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    return busy, t.user + t.system + t.children_user + t.children_system


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- the table --------------------------------------------------------------------------------
def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def verdict(ok: bool | None) -> str:
    return "info" if ok is None else ("PASS" if ok else "FAIL")


def build_rows(app: AppFigures | None, kf: KerasFigures | None, cf: CoreFigures | None,
               app_spec: TrainSpec, errors: dict) -> list[dict]:
    rows: list[dict] = []

    def row(key, label, value, shown, goal, ok, detail=""):
        rows.append(dict(key=key, label=label, value=value, shown=shown, goal=goal,
                         result=verdict(ok), detail=detail))

    def missing(key, label, goal, phase_key):
        rows.append(dict(key=key, label=label, value=None, shown="-", goal=goal, result="ERROR",
                         detail=errors.get(phase_key, "not measured")))

    if cf and cf.plain_s and cf.run_s:
        pairs = [p / r for p, r in zip(cf.plain_s, cf.run_s)]
        med, best = statistics.median(pairs), min(cf.plain_s) / min(cf.run_s)
        cpu = statistics.median(p / r for p, r in zip(cf.plain_cpu_s, cf.run_cpu_s))
        row("throughput_ratio", "1 throughput: TrainingRun / plain fit", med, f"{med:.2f}x med, {best:.2f}x best",
            ">= 0.95x (med)", med >= GOAL_THROUGHPUT,
            f"{len(pairs)} interleaved pairs, {cf.steps} steps (moons 64-64); wall plain/run s: "
            + " ".join(f"{p:.1f}/{r:.1f}" for p, r in zip(cf.plain_s, cf.run_s))
            + f"; CPU-time ratio (med) {cpu:.2f}x")
    else:
        missing("throughput_ratio", "1 throughput: TrainingRun / plain fit", ">= 0.95x", "core")
    if cf and not math.isnan(cf.xor_run_s):
        ratio = cf.naive_s / cf.xor_run_s
        both = cf.naive_acc == 1.0 and cf.xor_acc == 1.0
        row("xor_speedup", "2 XOR to 100%: fit(500) / TrainingRun", ratio, f"{ratio:.1f}x", ">= 30x",
            ratio >= GOAL_XOR_SPEEDUP and both,
            f"naive {cf.naive_s:.2f} s (acc {cf.naive_acc:.2f}), run {cf.xor_run_s:.2f} s (acc {cf.xor_acc:.2f})")
    else:
        missing("xor_speedup", "2 XOR to 100%: fit(500) / TrainingRun", ">= 30x", "core")
    label3 = "3 pty bytes/s while training (app)"
    if app and app.run_bytes:
        rate = app.run_bytes / app.run_window_s
        keras_rate = kf.bytes / kf.window_s if kf and kf.bytes else math.nan
        ok = rate <= GOAL_BYTES_PER_S and (rate < keras_rate if not math.isnan(keras_rate) else False)
        per_epoch = app.run_bytes / app_spec.epochs
        short = " (run < 5 s!)" if app.run_window_s < 5 else ""
        row("app_bytes_per_s", label3, rate, f"{rate / 1000:.1f} KB/s", "<= 8 KB/s, < verbose=1", ok,
            f"{app.run_bytes / 1000:.1f} KB over {app.run_window_s:.1f} s{short}, {per_epoch:.0f} B/epoch")
    else:
        missing("app_bytes_per_s", label3, "<= 8 KB/s, < verbose=1", "app")
    if kf and kf.bytes:
        rate = kf.bytes / kf.window_s
        per_epoch = kf.bytes / max(1, kf.epochs_in_window)
        row("keras_verbose1_bytes_per_s", "  Keras fit(verbose=1), same run", rate, f"{rate / 1000:.1f} KB/s", "-",
            None, f"{kf.bytes / 1000:.1f} KB over {kf.window_s:.1f} s, {kf.epochs_in_window} epochs, "
            f"{per_epoch:.0f} B/epoch (~{per_epoch * app_spec.epochs / 1e6:.1f} MB for all {app_spec.epochs})")
    else:
        missing("keras_verbose1_bytes_per_s", "  Keras fit(verbose=1), same run", "-", "keras")
    if app and app.latencies_ms:
        lat = app.latencies_ms
        value = p95(lat)
        row("key_latency_p95_ms", "4 key-to-screen latency p95, training", value, f"{value:.0f} ms", "<= 20 ms",
            value <= GOAL_LATENCY_P95_MS,
            f"p50 {statistics.median(lat):.0f} ms, max {max(lat):.0f} ms, {len(lat)} samples in "
            f"{app.latency_runs} run(s), {app.latency_timeouts} timeouts (>2 s)")
    else:
        missing("key_latency_p95_ms", "4 key-to-screen latency p95, training", "<= 20 ms", "app")
    if app and not math.isnan(app.rss_after_10_mb):
        row("rss_ui_after_10_mb", "5 UI-process RSS after 10 runs", app.rss_after_10_mb, f"{app.rss_after_10_mb:.0f} MB",
            "<= 90 MB", app.rss_after_10_mb <= GOAL_RSS_BEFORE_MB,
            f"VmRSS after {app.runs_done} runs; after run 1 {app.rss_after_run_mb:.0f} MB (peak VmHWM {app.hwm_after_run_mb:.0f} MB)")
    else:
        missing("rss_ui_after_10_mb", "5 UI-process RSS after 10 runs", "<= 90 MB", "app")
    if app and app.worker_rss_mb and not math.isnan(app.worker_rss_mb[-1]):
        last = app.worker_rss_mb[-1]
        growth = app.worker_rss_mb[-1] - app.worker_rss_mb[0]
        row("rss_worker_after_10_mb", "  worker RSS after 10 runs", last, f"{last:.0f} MB", "<= 700 MB, flat",
            last <= GOAL_RSS_AFTER_MB and growth <= 50,
            "per run " + " ".join(f"{v:.0f}" for v in app.worker_rss_mb)
            + f" MB; {len(app.worker_pids)} worker process(es)")
    else:
        missing("rss_worker_after_10_mb", "  worker RSS after 10 runs", "<= 700 MB, flat", "app")
    if app and not math.isnan(app.rss_before_tf_mb):
        row("rss_before_tf_mb", "  app RSS before TF loads (info)", app.rss_before_tf_mb,
            f"{app.rss_before_tf_mb:.0f} MB", "<= 90 MB", app.rss_before_tf_mb <= GOAL_RSS_BEFORE_MB,
            f"after the first frame ({app.first_frame_s:.2f} s) and the settings keys")
    if app and cf and not math.isnan(app.run_fit_s) and not math.isnan(cf.app_plain_s):
        steps = steps_of(app_spec)
        per_epoch = steps / app_spec.epochs
        first_plain = plan_epochs(app_spec.epochs)[0]  # logical epochs in plain fit's first Keras epoch
        app_rate = (app_spec.epochs - app.first_status_epoch) * per_epoch / app.run_window_s
        plain_rate = (app_spec.epochs - first_plain) * per_epoch / cf.app_plain_after_first_s
        ratio = app_rate / plain_rate
        row("app_fit_vs_plain", "  real app steps/s vs plain fit (info)", ratio, f"{ratio:.2f}x", "-", None,
            f"after the first logged epoch: app {app_rate:.0f} steps/s, plain fit(verbose=0) {plain_rate:.0f}; "
            f"whole fit: app {app.run_fit_s:.1f} s, plain {cf.app_plain_s:.1f} s, {steps} steps; "
            f"CPU during run 1: app {app.run_cores:.2f} cores, its UI thread {app.run_ui_cores:.2f}; "
            f"key t to first epoch {app.tf_ready_s:.1f} s")
    return rows


def render_table(rows: list[dict], meta: dict, notes: list[str]) -> str:
    w_label = max(len(r["label"]) for r in rows)
    w_value = max(len(r["shown"]) for r in rows)
    w_goal = max(len(r["goal"]) for r in rows)
    lines = [
        f"tui-tutor training benchmark  (tensorflow {meta['tensorflow']}, keras {meta['keras']}, "
        f"python {meta['python']}, {meta['cores']} cores)",
        f"load avg start {meta['load_start']} / end {meta['load_end']}; other processes used "
        f"{meta['others_cores']:.2f} cores on average; wall {meta['wall_s']:.0f} s",
        f"{'measure':<{w_label}}  {'value':>{w_value}}  {'goal':<{w_goal}}  result  detail",
        "-" * (w_label + w_value + w_goal + 60),
    ]
    for r in rows:
        lines.append(f"{r['label']:<{w_label}}  {r['shown']:>{w_value}}  {r['goal']:<{w_goal}}  "
                     f"{r['result']:<6}  {r['detail']}")
    lines.append("")
    lines += [f"  {i}. {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of the table")
    parser.add_argument("--repeats", type=int, default=4, help="interleaved throughput pairs (default 4)")
    parser.add_argument("--samples", type=int, default=40, help="key-latency samples (default 40)")
    parser.add_argument("--epochs", type=int, default=2000, help="epochs of the app's run (a value of its ladder)")
    parser.add_argument("--batch", type=int, default=1, help="batch size of the app's run (a value of its ladder)")
    parser.add_argument("--keras-window", type=float, default=8.0, help="seconds of Keras verbose=1 output counted")
    args = parser.parse_args()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    wall0 = time.perf_counter()
    cpu0 = cpu_snapshot()
    load_start = loadavg()
    data_dir = tempfile.mkdtemp(prefix="tui-tutor-train-bench-")
    atexit.register(shutil.rmtree, data_dir, True)
    atexit.register(_kill_children)  # runs before the rmtree above (atexit is last-in, first-out)
    errors: dict[str, str] = {}
    spec = lesson_spec()
    try:
        _keys, values = setup_keys(spec, args.epochs, args.batch)
    except PhaseError as exc:
        parser.error(str(exc))
    app_spec = resolve_spec(spec, overrides(spec, values))
    if plan_epochs(app_spec.epochs)[2]:
        parser.error(f"--epochs {args.epochs}: choose a multiple of its grouping (e.g. 1000, 2000)")

    def attempt(name, fn, *a):
        try:
            return fn(*a)
        except (Exception, PhaseTimeout) as exc:  # noqa: BLE001 - reported in the table, the run goes on
            known = isinstance(exc, (PhaseError, PhaseTimeout))
            errors[name] = str(exc) if known else f"{type(exc).__name__}: {exc}"
            print(f"training benchmark: {errors[name]}", file=sys.stderr)
            return None

    app = attempt("app", app_phase, spec, args.epochs, args.batch, args.samples, data_dir)
    kf = attempt("keras", keras_phase, app_spec, args.keras_window, data_dir)
    cf = attempt("core", core_phase, args.repeats, app_spec)

    wall = time.perf_counter() - wall0
    cpu1 = cpu_snapshot()
    others = max(0.0, (cpu1[0] - cpu0[0]) - (cpu1[1] - cpu0[1])) / wall
    versions = (cf.versions if cf else {}) or {}
    meta = dict(tensorflow=versions.get("tensorflow", "?"), keras=versions.get("keras", "?"),
                python=platform.python_version(), cores=os.cpu_count(), load_start=load_start,
                load_end=loadavg(), others_cores=others, wall_s=wall,
                app_run=dict(epochs=app_spec.epochs, batch_size=app_spec.batch_size,
                             learning_rate=app_spec.learning_rate, seed=app_spec.seed,
                             layers=[dataclasses.asdict(layer) for layer in app_spec.layers]),
                errors=errors)
    rows = build_rows(app, kf, cf, app_spec, errors)
    hidden = app_spec.layers[0]
    run_desc = (f"XOR {hidden.units} {hidden.activation} + 1 sigmoid, {app_spec.optimizer} lr {app_spec.learning_rate:g}, "
                f"{app_spec.epochs} epochs, batch {app_spec.batch_size}, seed {app_spec.seed}")
    notes = [
        "Row 1: TrainingRun with an emit that wraps each event in a Textual Message and posts it with "
        "loop.call_soon_threadsafe to an asyncio queue drained by a loop thread (what post_message does from "
        "the worker), vs plain fit(verbose=0) over the same repeated tf.data set and steps per Keras epoch; "
        "pairs interleaved, order alternating. Verdict on the median pair ratio.",
        "Row 2: both after TF import and a warm-up run; both must reach accuracy 1.00.",
        f"Row 3: real app, 80x24 pty, TERM=xterm-256color, LANG=C.UTF-8; keys set {run_desc}; bytes from the "
        "first 'Run 1, epoch' status to 'Run 1 finished' (no keys meanwhile). Keras: a script on the same kind "
        "of pty runs model.fit(x, y, epochs, batch_size, verbose=1) of the same model/data/epochs/batch "
        "(naive epochs: one Keras epoch per pass), bytes counted from 'Epoch 2/' for "
        f"{args.keras_window:g} s (or to its end). 1 KB = 1000 B.",
        "Row 4: second run of the same settings; left/right alternately move the highlighted setting "
        "([epochs N] <-> [batch B]); latency = key written -> bytes completing the new bracketed text "
        "read from the pty master; ~100 ms between samples; run stopped with x after the last sample.",
        "Row 5: VmRSS from /proc/PID/status of the app process. Last row: steps/s of the real app's run 1 "
        "from its first epoch status to 'finished' (pty arrival times) vs plain fit(verbose=0) of the same "
        "steps in this process from the end of its first Keras epoch (an epoch-end timer callback); "
        "both leave out tracing and the first logged epoch.",
    ]
    if errors:
        notes.append("Errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    if args.json:
        print(json.dumps(dict(meta=meta, rows=rows, notes=notes,
                              raw=dict(app=dataclasses.asdict(app) if app else None,
                                       keras=dataclasses.asdict(kf) if kf else None,
                                       core=dataclasses.asdict(cf) if cf else None)), indent=2))
    else:
        print(render_table(rows, meta, notes))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
