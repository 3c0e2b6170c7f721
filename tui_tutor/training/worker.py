"""Training in a worker process: the tutor's own process never imports TensorFlow.

Two halves, one module (the client half imports nothing heavy):

**The worker** (``python -m tui_tutor.training.worker``) reads requests, one JSON object a
line, on stdin and writes the events of :mod:`tui_tutor.training.events`, one JSON line each,
on its private event stream (the stdout it was started with; fd 1 itself is pointed at fd 2,
so a stray ``print`` in a library cannot corrupt the stream). It imports TensorFlow on the
first run and stays warm for later ones. Requests::

    {"op": "run", "seq": 3, "request": {"spec": {...}, "overrides": {...}, "max_seconds": 600}}
    {"op": "stop", "seq": 3}          # the run's stop flag: takes effect within one batch
    {"op": "versions", "seq": 4}      # Loading, then Loaded (versions) or Failed(kind="import")

Every event line carries the ``seq`` of its request (readers of events ignore unknown keys).
End of input ends the worker at once, even in the middle of the TensorFlow import: a tutor
that is gone leaves no worker behind: its pipe closes when it exits, however it exits. (Not
PR_SET_PDEATHSIG: that fires when the *thread* that started the worker ends.) Other forms::

    python -m tui_tutor.training.worker --versions        # one JSON line of versions; exit 1 without TF
    python -m tui_tutor.training.worker --run REQ.json [--out EVENTS.jsonl]   # one run, no loop

:func:`run_request` ("read a spec, emit events") is the whole of a run; :func:`run_to_stream`
writes its events to any text stream, which is what a batch job that appends to a file uses.
Keras is loaded by :mod:`tui_tutor.training.tfload`: TensorFlow, or JAX or PyTorch when
``KERAS_BACKEND`` says so (a Slurm job of a site without TensorFlow); the ``Loaded`` event's
versions name the backend (``"backend": "jax"``).

**The client** (:class:`TrainingWorker`, :func:`worker_runs`) starts the worker with
``subprocess`` (fork and exec of a fresh interpreter: nothing of the Textual process is
inherited but the environment), sends requests and turns the event lines back into events.
One worker is shared by every view (:func:`shared_worker`). A worker that dies mid-run gives a
``Failed`` event that says so, and the next run starts a fresh one; a worker whose resident
memory grew past ``max_rss_mb`` is ended between runs. :func:`shutdown` ends it at once
(SIGTERM, then SIGKILL): the app calls it when it exits.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.training.events import FINAL_EVENTS, Event, Failed, Loaded, Stopped, event_from_dict
from tui_tutor.training.sources import StartRun

#: A worker whose resident memory passed this (MB) is ended between runs; the next run starts a fresh one.
DEFAULT_MAX_RSS_MB = 1536
#: Seconds between SIGTERM and SIGKILL when ending a worker.
TERM_GRACE = 0.3


# --------------------------------------------------------------------------- the worker side
def make_request(spec: TrainSpec, overrides: dict[str, Any] | None = None, *,
                 max_seconds: float | None = 600) -> dict[str, Any]:
    """The JSON-able request for one run: what :func:`run_request` reads."""
    return {"spec": spec.to_dict(), "overrides": dict(overrides or {}), "max_seconds": max_seconds}


def run_request(request: dict[str, Any], emit: Callable[[Event], None], *, threads: int = 2,
                on_start: Callable[[Any], None] | None = None) -> Event:
    """Run one request in this process (loads Keras), emitting its events; the final event.

    ``on_start`` receives the :class:`~tui_tutor.training.runner.TrainingRun` before it runs
    (its ``stop()`` is the run's stop flag). A malformed request gives a ``Failed`` event.
    """
    from tui_tutor.training.runner import TrainingRun

    try:
        spec = TrainSpec.from_dict(request["spec"])
        overrides = dict(request.get("overrides") or {})
        max_seconds = request.get("max_seconds", 600)
        run = TrainingRun(spec, emit, overrides=overrides, threads=threads,
                          max_seconds=None if max_seconds is None else float(max_seconds))
    except Exception as exc:  # noqa: BLE001 - a bad request is reported as an event, never a crash
        failed = Failed("request", "error", f"a bad training request ({type(exc).__name__}: {exc})", {})
        emit(failed)
        return failed
    if on_start is not None:
        on_start(run)
    return run.run()


def run_to_stream(request: dict[str, Any], stream: IO[str], *, threads: int = 2,
                  extra: dict[str, Any] | None = None, on_start: Callable[[Any], None] | None = None,
                  decorate: Callable[[dict[str, Any]], None] | None = None) -> Event:
    """:func:`run_request` with each event written to ``stream`` as one JSON line, flushed.

    ``extra`` keys are added to every line (the worker adds the request's ``seq``);
    ``decorate`` may add keys to a line's data before it is written.
    """
    lock = threading.Lock()

    def emit(event: Event) -> None:
        data = event.to_dict()
        if extra:
            data.update(extra)
        if decorate is not None:
            decorate(data)
        line = json.dumps(data, separators=(",", ":")) + "\n"
        with lock:
            stream.write(line)
            stream.flush()

    return run_request(request, emit, threads=threads, on_start=on_start)


def versions_event(seq_id: str = "versions", *, threads: int = 2) -> Event:
    """Load Keras (the backend ``KERAS_BACKEND`` names; TensorFlow when unset); ``Loaded`` with the
    versions (``"backend"`` among them), or ``Failed(kind="import")``."""
    from tui_tutor.training import tfload

    start = time.perf_counter()
    try:
        tfload.load_keras(threads)
    except tfload.TrainingUnavailable as exc:
        return Failed(seq_id, "import", exc.message, {})
    return Loaded(seq_id, tfload.versions(), time.perf_counter() - start)


def _private_stdout() -> IO[str]:
    """The event stream on a private copy of fd 1; fd 1 itself then points at fd 2."""
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(os.dup(1), "w", encoding="utf-8", errors="replace")
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def serve(requests: IO[str], events: IO[str], *, threads: int = 2, exit_on_eof: bool = True) -> int:
    """The worker's loop: requests from ``requests``, events to ``events``; runs one at a time.

    A reader thread takes requests as they come, so ``stop`` reaches a run in progress; end of
    input ends the process at once (``exit_on_eof``), whatever it is doing.
    """
    import queue

    pending: queue.Queue[dict[str, Any] | None] = queue.Queue()
    lock = threading.Lock()
    state: dict[str, Any] = {"seq": None, "run": None, "stopped": set()}

    def reader() -> None:
        for line in requests:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if message.get("op") == "stop":
                with lock:
                    state["stopped"].add(message.get("seq"))
                    run = state["run"] if state["seq"] == message.get("seq") else None
                if run is not None:
                    run.stop()
            elif message.get("op") == "exit":
                break
            else:
                pending.put(message)
        if exit_on_eof:
            try:
                events.flush()
            finally:
                os._exit(0)
        pending.put(None)

    threading.Thread(target=reader, name="requests", daemon=True).start()
    write_lock = threading.Lock()

    def write(data: dict[str, Any]) -> None:
        line = json.dumps(data, separators=(",", ":")) + "\n"
        with write_lock:
            events.write(line)
            events.flush()

    while (message := pending.get()) is not None:
        seq = message.get("seq")
        if message.get("op") == "versions":
            write({**versions_event(f"versions-{seq}", threads=threads).to_dict(), "seq": seq})
            continue
        if message.get("op") != "run":
            write({**Failed(f"request-{seq}", "error", f"unknown request {message.get('op')!r}").to_dict(), "seq": seq})
            continue

        def started(run: Any, seq: Any = seq) -> None:
            with lock:
                state["seq"], state["run"] = seq, run
                stop_now = seq in state["stopped"]
            if stop_now:
                run.stop()

        run_to_stream(message.get("request") or {}, events, threads=threads, extra={"seq": seq}, on_start=started)
        with lock:
            state["seq"], state["run"] = None, None
            state["stopped"].discard(seq)
    return 0


#: A file in the run's folder that says the learner asked the job to stop (tui_tutor.slurm).
STOP_MARKER = "stop-requested"


def _run_once(spec_file: Path, out: str | None, *, threads: int, array_task: int | None = None) -> int:
    """``--run``: one request, events to ``out`` (appended) or the private stdout.

    SIGUSR1 (Slurm's ``--signal=B:USR1@N`` before the time limit, or ``scancel -b -s USR1``)
    and SIGTERM stop the run after the current batch; its ``Stopped`` line then carries a
    ``reason``: "stopped (time limit)", or "stopped (by you)" when the run folder holds
    ``stop-requested``, or "stopped (cancelled)" for SIGTERM.
    """
    request = json.loads(spec_file.read_text(encoding="utf-8"))
    if array_task is not None:  # one task of a seed sweep's array job: the task-th seed
        seeds = request.get("sweep_seeds") or []
        if not 0 <= array_task < len(seeds):
            sys.stderr.write(f"array task {array_task} has no seed in {spec_file}\n")
            return 2
        request["overrides"] = {**(request.get("overrides") or {}), "seed": seeds[array_task]}
    state: dict[str, Any] = {"run": None, "reason": None}

    def on_signal(signum: int, frame: Any) -> None:
        if signum == signal.SIGTERM:
            reason = "stopped (cancelled)"
        elif (spec_file.parent / STOP_MARKER).exists():
            reason = "stopped (by you)"
        else:
            reason = "stopped (time limit)"
        state["reason"] = state["reason"] or reason
        if state["run"] is not None:
            # Not here: a handler runs in the main thread between two bytecodes, maybe while
            # TensorFlow traces the compiled loop there, and stop() touches TF variables (in a
            # graph being built that fails). A thread of its own is always eager.
            threading.Thread(target=state["run"].stop, name="stop", daemon=True).start()

    def started(run: Any) -> None:
        state["run"] = run
        if state["reason"] is not None:
            run.stop()

    def decorate(data: dict[str, Any]) -> None:
        if data.get("event") == "Stopped" and state["reason"]:
            data["reason"] = state["reason"]

    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if out:
        with open(out, "a", encoding="utf-8") as stream:
            final = run_to_stream(request, stream, threads=threads, on_start=started, decorate=decorate)
    else:
        final = run_to_stream(request, _private_stdout(), threads=threads, on_start=started, decorate=decorate)
    return 0 if not isinstance(final, Failed) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui_tutor.training.worker", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="threads of the Keras backend (default 2)")
    parser.add_argument("--versions", action="store_true", help="print the versions as one JSON line and exit")
    parser.add_argument("--run", metavar="REQUEST", help="run one request (a JSON file) and exit")
    parser.add_argument("--out", metavar="EVENTS", help="with --run: append the events to this file")
    parser.add_argument("--array-task", type=int, metavar="N",
                        help="with --run: train the request's N-th sweep seed (a Slurm array task)")
    args = parser.parse_args(argv)
    if args.versions:
        event = versions_event(threads=args.threads)
        out = _private_stdout()
        if isinstance(event, Loaded):
            out.write(json.dumps(event.versions) + "\n")
            out.flush()
            return 0
        out.write(json.dumps({"error": getattr(event, "message", "")}) + "\n")
        out.flush()
        return 1
    if args.run:
        return _run_once(Path(args.run), args.out, threads=args.threads, array_task=args.array_task)
    events = _private_stdout()
    if not os.isatty(2):  # fd 2 is the tutor's log file (or /dev/null): library warnings go there
        import logging

        from tui_tutor.training import tfload

        tfload.attach_log_handler(logging.StreamHandler(sys.stderr), logging.WARNING)
    return serve(sys.stdin, events, threads=args.threads)


# --------------------------------------------------------------------------- the client side
def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def worker_command(*args: str) -> list[str]:
    """The command line that starts the worker with this Python."""
    return [sys.executable, "-m", "tui_tutor.training.worker", *args]


def worker_env() -> dict[str, str]:
    """The environment of a worker: this one, with the tutor's package importable."""
    env = dict(os.environ)
    root = _package_root()
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return env


def _stderr_target() -> int | None:
    """Where the worker's stderr goes: the tutor's fd 2 (its log file) unless that is a terminal."""
    try:
        return subprocess.DEVNULL if os.isatty(2) else None
    except OSError:
        return subprocess.DEVNULL


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS of /proc/PID/status); NaN if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return float("nan")


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "a signal"
        return f"killed by signal {-returncode}, {name}"
    return f"exit status {returncode}"


def crash_message(returncode: int | None) -> str:
    return f"the training process ended unexpectedly ({describe_exit(returncode)}); press t to try again"


class _Process:
    """One worker process and its pipes."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        # TensorFlow's autograph writes a source file per traced function into the temp folder
        # and leaves it behind when the process is ended by a signal: on a shared login node
        # the worker's temp files go in a folder of its own, removed when it ends.
        self.tmp = tempfile.mkdtemp(prefix="tui-tutor-worker-")
        env = worker_env()
        env["TMPDIR"] = self.tmp
        self.popen = subprocess.Popen(
            worker_command("--threads", str(threads)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=_stderr_target(),
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
            close_fds=True,
            start_new_session=True,  # no terminal signals (Ctrl-C, SIGHUP, job control) reach it
        )
        self.pid = self.popen.pid
        self._write_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> bool:
        stdin = self.popen.stdin
        if stdin is None:
            return False
        try:
            with self._write_lock:
                stdin.write(json.dumps(message, separators=(",", ":")) + "\n")
                stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def readline(self) -> str:
        stdout = self.popen.stdout
        if stdout is None:
            return ""
        try:
            return stdout.readline()
        except (OSError, ValueError):
            return ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, grace: float = TERM_GRACE) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; reaps the process; never raises."""
        popen = self.popen
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if popen.poll() is not None:
                break
            try:
                popen.send_signal(sig)
                popen.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            except OSError:
                break
        for stream in (popen.stdin, popen.stdout):
            try:
                if stream is not None:
                    stream.close()
            except (OSError, ValueError):
                pass
        if popen.poll() is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def returncode(self, wait: float = 1.0) -> int | None:
        try:
            return self.popen.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None


class TrainingWorker:
    """The client of one warm worker process, started on the first request; thread-safe.

    Runs go one at a time (a second waits for the first to end). ``max_rss_mb``: a worker that
    has grown past it is ended after a run (the next run starts a fresh one).
    """

    def __init__(self, *, threads: int = 2, max_rss_mb: float = DEFAULT_MAX_RSS_MB) -> None:
        self.threads = threads
        self.max_rss_mb = max_rss_mb
        self._process: _Process | None = None
        self._run_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._seq = 0
        self._closed = False
        self._retired = False
        #: Workers started so far (a crash or a recycle starts another).
        self.starts = 0
        #: Workers ended because they had grown past ``max_rss_mb``.
        self.recycled = 0

    @property
    def pid(self) -> int | None:
        """The pid of the live worker, if there is one."""
        process = self._process
        return process.pid if process is not None and process.alive() else None

    def _ensure(self) -> _Process | None:
        with self._state_lock:
            if self._retired:
                return None  # shut down for good: the app is exiting
            self._closed = False
            process = self._process
            if process is None or not process.alive():
                if process is not None:
                    process.kill()
                process = self._process = _Process(self.threads)
                self.starts += 1
            return process

    def _next_seq(self) -> int:
        with self._state_lock:
            self._seq += 1
            return self._seq

    def request(self, message: dict[str, Any], emit: Callable[[Event], None],
                started: Callable[[int], None] | None = None, final_types: tuple[type, ...] = FINAL_EVENTS) -> Event:
        """Send one request and emit its events until the final one (one of ``final_types``),
        which is returned."""
        with self._run_lock:
            process = self._ensure()
            seq = self._next_seq()
            run_id = f"run-{seq}"
            if process is None:
                final: Event = Stopped(run_id, 0, {})
                emit(final)
                return final
            if started is not None:
                started(seq)
            sent = process.send({**message, "seq": seq})
            while sent:
                line = process.readline()
                if not line:
                    break
                try:
                    data = json.loads(line)
                    if not isinstance(data, dict) or data.get("seq") != seq:
                        continue
                    event = event_from_dict(data)
                except (ValueError, TypeError):
                    continue
                run_id = getattr(event, "run_id", run_id)
                emit(event)
                if isinstance(event, final_types):
                    self._recycle_if_big(process)
                    return event
            # End of the event stream before the final event: the worker died or was ended.
            closing = self._closed
            code = process.returncode(wait=0.0 if closing else 2.0)
            with self._state_lock:
                if self._process is process:
                    self._process = None
            process.kill()
            if closing:
                final = Stopped(run_id, 0, {})
            else:
                final = Failed(run_id, "error", crash_message(code), {})
            emit(final)
            return final

    def send_stop(self, seq: int) -> None:
        process = self._process
        if process is not None:
            process.send({"op": "stop", "seq": seq})

    def _recycle_if_big(self, process: _Process) -> None:
        if rss_mb(process.pid) > self.max_rss_mb:
            with self._state_lock:
                if self._process is process:
                    self._process = None
            self.recycled += 1
            process.kill()

    def close(self, *, retire: bool = False) -> None:
        """End the worker now (SIGTERM, then SIGKILL); a run in progress ends with ``Stopped``.

        A later request starts a fresh worker, unless ``retire``: then every later request ends
        at once with ``Stopped`` (the app is exiting; nothing may start a process any more).
        """
        with self._state_lock:
            self._closed = True
            self._retired = self._retired or retire
            process, self._process = self._process, None
        if process is not None:
            process.kill()

    # -- runs ---------------------------------------------------------------------------
    def start_run(self, spec: TrainSpec, overrides: dict[str, Any], emit: Callable[[Event], None], *,
                  max_seconds: float | None = 600) -> WorkerRun:
        return WorkerRun(self, make_request(spec, overrides, max_seconds=max_seconds), emit)

    def versions(self) -> Event:
        """Load TensorFlow in the worker: ``Loaded`` with versions, or ``Failed``."""
        events: list[Event] = []
        return self.request({"op": "versions"}, events.append, final_types=(Loaded, Failed))


class WorkerRun:
    """One run in the worker, as a :class:`~tui_tutor.training.sources.Run`."""

    def __init__(self, worker: TrainingWorker, request: dict[str, Any], emit: Callable[[Event], None]) -> None:
        self.worker = worker
        self.request = request
        self.emit = emit
        self.result: Event | None = None
        self.seq: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _started(self, seq: int) -> None:
        with self._lock:
            self.seq = seq
        if self._stop.is_set():
            self.worker.send_stop(seq)

    def run(self) -> Event | None:
        if self._stop.is_set():  # stopped before it began
            self.result = Stopped(f"{self.request['spec'].get('id') or 'run'}-stopped", 0, {})
            self.emit(self.result)
            return self.result
        self.result = self.worker.request({"op": "run", "request": self.request}, self.emit, self._started)
        return self.result

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            seq = self.seq
        if seq is not None:
            self.worker.send_stop(seq)


_shared: TrainingWorker | None = None
_shared_lock = threading.Lock()


def shared_worker(threads: int = 2) -> TrainingWorker:
    """The process-wide worker client (one TensorFlow process for every view)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TrainingWorker(threads=threads)
            atexit.register(shutdown)
        return _shared


def shutdown() -> None:
    """End the shared worker for good, if one was made (the app calls this when it exits).

    Sources made before keep the retired client, so a run started by a view that is closing
    starts no process; sources made after (a new app in the same process) get a new one.
    """
    global _shared
    with _shared_lock:
        worker, _shared = _shared, None
    if worker is not None:
        worker.close(retire=True)


def worker_runs(*, threads: int = 2, max_seconds: float | None = 600,
                worker: TrainingWorker | None = None) -> StartRun:
    """A run source: runs in ``worker`` (default: :func:`shared_worker`, looked up now; no
    process starts before the first run)."""
    target = worker or shared_worker(threads)

    def start(spec: TrainSpec, overrides: dict[str, Any], emit: Callable[[Event], None]) -> WorkerRun:
        return target.start_run(spec, overrides, emit, max_seconds=max_seconds)

    return start


if __name__ == "__main__":
    sys.exit(main())
