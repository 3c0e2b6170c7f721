"""Following a Slurm run: how soon the learner sees it, how fresh the events are, how often squeue is asked.

Starts a real single-node Slurm (munged, slurmctld, slurmd as root: ``tests/slurm_cluster.py``),
runs real training jobs on it through :class:`tui_tutor.slurm.follow.SlurmRun`, and prints one
markdown table of figures beside their goals. Everything it started is stopped at the end, also
on Ctrl+C, SIGTERM or an error.

    .venv/bin/python benchmarks/slurm.py    # as root [--runs 3] [--lines 100] [--steady 120]

Rows:

1. **Submit -> first epoch on screen**: from calling ``SlurmRun.run()`` (writes the run folder,
   calls sbatch) until the first ``EpochEnd`` reaches the ``emit`` callback, for lesson 2's
   ``xor-2`` run. Split into: submit -> job running (sbatch + scheduler; the job's start is
   stamped by a ``date +%s.%N`` preamble line of the site config), job start -> ``Loaded``
   (Python, the tutor's worker and the TensorFlow import on the node), ``Loaded`` -> first
   ``EpochEnd`` written (build, trace, the first logged epoch), and written -> emitted (the
   follower's share, which is bounded by ``file_interval``). When each line was written is
   taken from a watcher that checks the events file every 5 ms. The first run of all is
   reported on its own (cold imports); then ``--runs`` warm runs each with ``file_interval``
   1.0 s (SlurmRun's default) and 0.25 s, interleaved, medians shown.
   Goal: <= 2 s plus the node's backend import (job start -> ``Loaded``).
2. **Event-file lag**: a writer appends ``--lines`` event lines, each carrying its write time,
   at random intervals of 0.02-0.6 s; two :class:`EventFollower`\\ s driven like SlurmRun drives
   one (``poll()``, then wait ``file_interval``; 1.0 s and 0.25 s) record when each line is
   returned. Median and p95 of the lag. Goal: p95 <= 1 s. Measured while the row 3 job trains
   on one core (a loaded machine, as a busy login node is).
3. **Scheduler calls**: one long XOR job (100,000 epochs, batch 1, one CPU) followed by a SlurmRun whose
   :class:`SchedulerPoller` runs ``squeue`` through a counting wrapper. Calls in the first 60 s
   (goal <= 8) and the steady rate from 60 s to 60 s + ``--steady`` (goal <= ~1.2/min), then
   the job is stopped (``run.stop()``: ``scancel -b -s USR1``).

Why: a learner who sends a run to Slurm should see it start about as soon as a local run
would (the import aside), see each epoch within a second, and the tutor must not load the
controller (``man squeue``: do not poll squeue from loops). Takes about 4-5 minutes.
Exit status: 0 when every row was measured (a FAIL is still 0), 1 if a row could not be
measured, 2 if Slurm is missing or the cluster does not start, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tui_tutor.lesson.loader import load_lesson  # noqa: E402
from tui_tutor.lesson.model import Resources, TrainSpec, walk  # noqa: E402
from tui_tutor.slurm.follow import EventFollower, SchedulerPoller, SlurmRun  # noqa: E402
from tui_tutor.slurm.job import Job, SiteConfig  # noqa: E402
from tui_tutor.training.events import EpochEnd, Event, Loaded  # noqa: E402

LESSON = ROOT / "lessons" / "02-watch-a-network-learn.md"
TRAIN_ID = "xor-2"
#: The run folder file that the job's first script line writes (``date +%s.%N``).
START_MARK = "job-started"
INTERVALS = (1.0, 0.25)
WATCH_EVERY = 0.005
GOAL_FIRST_EPOCH_S = 2.0
GOAL_LAG_P95_S = 1.0
GOAL_FIRST_MINUTE = 8
GOAL_STEADY_PER_MIN = 1.2
RUN_LIMIT_S = 180.0

nan = math.nan


class Unavailable(Exception):
    """Slurm is not installed or the cluster does not start (one line)."""


# --------------------------------------------------------------------------- the cluster
def start_local_cluster() -> Any:
    """A running ``tests/slurm_cluster.SlurmCluster``; ``SLURM_CONF`` points at it from now on."""
    try:
        import slurm_cluster
    except ImportError as exc:  # it imports pytest (a dev dependency)
        raise Unavailable(f"cannot import tests/slurm_cluster.py ({exc}); install the dev dependencies") from None
    missing = slurm_cluster.missing_programs() + [p for p in ("sinfo",) if shutil.which(p) is None]
    if missing:
        raise Unavailable("Slurm is not installed (missing: " + ", ".join(missing) + "); "
                          "apt-get install --no-install-recommends slurmctld slurmd slurm-client munge")
    folder = Path(tempfile.mkdtemp(prefix="slurm-bench-", dir="/tmp"))  # short: munge's socket path
    try:
        cluster = slurm_cluster.start_cluster(folder)
    except (Exception, KeyboardInterrupt) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise Unavailable(f"the local Slurm cluster did not start: {first}") from None
    os.environ["SLURM_CONF"] = str(cluster.conf)
    return cluster


def slurm_version(cluster: Any) -> str:
    done = cluster.run("sinfo", "-V", timeout=10)
    return done.stdout.strip() or "?"


def wait_job_gone(cluster: Any, job_id: str | None, timeout: float = 15.0) -> None:
    """Until squeue no longer lists the job as pending, running or completing."""
    if job_id is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not cluster.run("squeue", "-h", "-j", job_id, "-o", "%T", timeout=10).stdout.strip():
            return
        time.sleep(0.1)


# --------------------------------------------------------------------------- small helpers
def xor_spec() -> TrainSpec:
    """Lesson 2's ``xor-2`` block, as the lesson loader reads it."""
    result = load_lesson(LESSON)
    if result.lesson is None:
        raise RuntimeError(f"cannot load {LESSON}: {result.errors}")
    for step in result.lesson.steps:
        for item in walk(step.items):
            if isinstance(item, TrainSpec) and item.id == TRAIN_ID:
                return item
    raise RuntimeError(f"no train block {TRAIN_ID} in {LESSON}")


def median(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else nan


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else nan


class LineWatcher(threading.Thread):
    """Notes when each kind of event first appears in a growing events file (checked every 5 ms)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.first: dict[str, float] = {}
        self._done = threading.Event()
        self._offset = 0
        self._partial = b""

    def run(self) -> None:
        while not self._done.wait(WATCH_EVERY):
            self._check()

    def _check(self) -> None:
        try:
            if os.stat(self.path).st_size <= self._offset:
                return
            with open(self.path, "rb") as stream:
                stream.seek(self._offset)
                chunk = stream.read()
        except OSError:
            return
        now = time.time()
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for raw in lines:
            try:
                kind = json.loads(raw)["event"]
            except (ValueError, KeyError, TypeError):
                continue
            self.first.setdefault(kind, now)

    def stop(self) -> None:
        self._done.set()
        self.join(2)


# --------------------------------------------------------------------------- row 1: submit -> first epoch
@dataclass
class FirstEpoch:
    """One run's wall-clock times (``time.time()``: the job's ``date`` stamp is on the same clock)."""

    interval: float
    called: float = nan
    submitted: float = nan
    job_start: float = nan
    lines: dict[str, float] = field(default_factory=dict)
    shown: float = nan
    tf_import: float = nan
    versions: dict[str, str] = field(default_factory=dict)
    final: str = ""

    def parts(self) -> dict[str, float]:
        loaded = self.lines.get("Loaded", nan)
        written = self.lines.get("EpochEnd", nan)
        return {
            "total": self.shown - self.called,
            "sbatch": self.submitted - self.called,
            "scheduler": self.job_start - self.called,
            "node_import": loaded - self.job_start,
            "python": self.lines.get("Loading", nan) - self.job_start,
            "tf_import": self.tf_import,
            "first_epoch": written - loaded,
            "follower": self.shown - written,
            "beyond_import": self.shown - self.called - (loaded - self.job_start),
        }


def time_first_epoch(spec: TrainSpec, interval: float, runs_dir: Path, cluster: Any) -> FirstEpoch:
    """One real run of ``spec``: the times from ``run()`` to its first ``EpochEnd`` on the emit callback."""
    record = FirstEpoch(interval)
    watchers: list[LineWatcher] = []

    def on_job(job: Job) -> None:
        record.submitted = time.time()
        watcher = LineWatcher(job.events_file)
        watcher.start()
        watchers.append(watcher)

    def emit(event: Event) -> None:
        if isinstance(event, EpochEnd) and math.isnan(record.shown):
            record.shown = time.time()
        elif isinstance(event, Loaded):
            record.tf_import, record.versions = event.seconds, dict(event.versions)

    site = SiteConfig(preamble=(f"date +%s.%N > {START_MARK}",))
    run = SlurmRun(spec, {}, emit, site=site, runs_dir=runs_dir, on_job=on_job, file_interval=interval)
    guard = threading.Timer(RUN_LIMIT_S, run.detach)
    guard.start()
    try:
        record.called = time.time()
        final = run.run()
    finally:
        guard.cancel()
        for watcher in watchers:
            watcher.stop()
    record.final = type(final).__name__ if final is not None else "none (timed out)"
    if run.job is None or final is None or math.isnan(record.shown):
        raise RuntimeError(f"the {TRAIN_ID} job did not show an epoch (final event: {record.final})")
    record.job_start = float((run.job.folder / START_MARK).read_text().strip())
    record.lines = dict(watchers[0].first) if watchers else {}
    wait_job_gone(cluster, run.job.job_id)
    return record


def first_epoch_runs(spec: TrainSpec, runs: int, runs_dir: Path, cluster: Any) -> list[FirstEpoch]:
    """A cold run (file_interval 1.0 s), then ``runs`` warm runs per interval, interleaved."""
    order = [INTERVALS[0]] + [interval for _ in range(runs) for interval in INTERVALS]
    results = []
    for number, interval in enumerate(order):
        record = time_first_epoch(spec, interval, runs_dir, cluster)
        kind = "cold" if number == 0 else "warm"
        print(f"  run {number + 1}/{len(order)} ({kind}, file_interval {interval:g} s): "
              f"first epoch on screen after {record.parts()['total']:.2f} s", file=sys.stderr)
        results.append(record)
    return results


# --------------------------------------------------------------------------- row 2: event-file lag
def follow_lines(path: Path, interval: float, expected: int, lags: list[float], done: threading.Event) -> None:
    """Drive an EventFollower as SlurmRun does (poll, then wait ``interval``); one lag per line."""
    follower = EventFollower(path)
    while len(lags) < expected and not done.is_set():
        for event in follower.poll():
            if isinstance(event, EpochEnd):
                lags.append(time.time() - event.logs["written"])
        done.wait(interval)


def event_file_lags(folder: Path, lines: int, seed: int = 1) -> dict[float, list[float]]:
    """Append ``lines`` timestamped EpochEnd lines at random intervals; each interval's lags."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "events.jsonl"
    path.touch()
    lags: dict[float, list[float]] = {interval: [] for interval in INTERVALS}
    done = threading.Event()
    readers = [threading.Thread(target=follow_lines, args=(path, interval, lines, lags[interval], done), daemon=True)
               for interval in INTERVALS]
    for reader in readers:
        reader.start()
    rng = random.Random(seed)
    try:
        with open(path, "a", encoding="utf-8") as stream:
            for epoch in range(1, lines + 1):
                time.sleep(rng.uniform(0.02, 0.6))
                event = {"event": "EpochEnd", "run_id": "lag", "epoch": epoch, "logs": {"written": time.time()}}
                stream.write(json.dumps(event, separators=(",", ":")) + "\n")
                stream.flush()  # as the worker writes its events
        for reader in readers:
            reader.join(max(INTERVALS) + 5)
    finally:
        done.set()
    return lags


# --------------------------------------------------------------------------- row 3: squeue calls
@dataclass
class SchedulerCalls:
    """When (seconds after ``run()``) the poller ran squeue, and how long each call took."""

    at: list[float] = field(default_factory=list)
    took: list[float] = field(default_factory=list)
    window: float = 0.0
    stop_to_final: float = nan
    final: str = ""
    ended_early: bool = False

    def first_minute(self) -> int:
        return sum(1 for t in self.at if t < 60)

    def steady(self) -> list[float]:
        return [t for t in self.at if 60 <= t < 60 + self.window]

    def steady_per_minute(self) -> float:
        """60 / the mean gap between the calls in the steady window (robust to where the window cuts)."""
        times = self.steady()
        if len(times) < 2:
            return nan
        return 60 / ((times[-1] - times[0]) / (len(times) - 1))


def counting_runner(calls: SchedulerCalls, origin: list[float]) -> Callable[[Sequence[str], float],
                                                                            subprocess.CompletedProcess[str]]:
    """What SchedulerPoller runs (as follow._run_command does), noting each call's time."""

    def run(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        start = time.monotonic()
        try:
            return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, check=False,
                                  stdin=subprocess.DEVNULL)
        finally:
            calls.at.append(start - origin[0])
            calls.took.append(time.monotonic() - start)

    return run


def long_spec(spec: TrainSpec) -> TrainSpec:
    """``spec`` at the lessons' largest epochs (100,000) and batch 1, on one CPU: about 4 minutes.

    Batch 1 takes Keras' own ``fit`` (Python between batches), not the compiled XOR loop, whose
    logged groups would last minutes at this length and hold off the job's USR1 handler.
    """
    return TrainSpec(id="xor-long", line=spec.line, dataset=spec.dataset, layers=spec.layers, loss=spec.loss,
                     optimizer=spec.optimizer, learning_rate=spec.learning_rate, epochs=100_000, batch_size=1,
                     seed=spec.seed, target="slurm", resources=Resources(cpus=1))


def count_scheduler_calls(spec: TrainSpec, runs_dir: Path, steady: float, lines: int,
                          lag_folder: Path) -> tuple[SchedulerCalls, dict[float, list[float]]]:
    """Row 3 (and row 2 while it waits): a long job followed for 60 s + ``steady``, then stopped."""
    calls = SchedulerCalls(window=steady)
    origin = [time.monotonic()]
    poller = SchedulerPoller(runner=counting_runner(calls, origin))
    finals: list[tuple[float, Event | None]] = []

    def emit(event: Event) -> None:
        pass

    run = SlurmRun(long_spec(spec), {}, emit, runs_dir=runs_dir, poller=poller)

    def follow() -> None:
        final = run.run()
        finals.append((time.monotonic(), final))

    thread = threading.Thread(target=follow, daemon=True)
    origin[0] = time.monotonic()
    thread.start()
    try:
        lags = event_file_lags(lag_folder, lines)
        time.sleep(max(0.0, origin[0] + 60 + steady - time.monotonic()))
        stopped = time.monotonic()
        calls.ended_early = bool(finals)
        run.stop()
        thread.join(60)
    finally:
        run.detach()
    if not finals or finals[0][1] is None:
        raise RuntimeError("the long job did not end within 60 s of run.stop()")
    calls.stop_to_final = finals[0][0] - stopped
    calls.final = type(finals[0][1]).__name__
    return calls, lags


# --------------------------------------------------------------------------- the table
def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("PASS" if ok else "FAIL")


def first_epoch_rows(records: list[FirstEpoch]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    cold, warm = records[:1], records[1:]
    groups = [(f"cold (first run), file_interval {INTERVALS[0]:g} s", cold)]
    groups += [(f"warm, file_interval {interval:g} s, median of {sum(r.interval == interval for r in warm)}",
                [r for r in warm if r.interval == interval]) for interval in INTERVALS]
    for title, group in groups:
        if not group:
            continue
        parts = {key: median([r.parts()[key] for r in group]) for key in group[0].parts()}
        over = parts["beyond_import"]
        spread = ", ".join(f"{r.parts()['total']:.2f}" for r in group)
        rows.append((f"1 submit -> first epoch on screen, {title}", f"{parts['total']:.2f} s",
                     f"<= {GOAL_FIRST_EPOCH_S:g} s + import", verdict(over <= GOAL_FIRST_EPOCH_S),
                     f"median {over:.2f} s beyond the node's import; runs: {spread} s"))
        rows.append(("&nbsp;&nbsp;submit -> job running (sbatch + scheduler)", f"{parts['scheduler']:.2f} s", "", "",
                     f"sbatch returned after {parts['sbatch']:.2f} s"))
        rows.append(("&nbsp;&nbsp;job start -> Loaded (import on the node)", f"{parts['node_import']:.2f} s", "", "",
                     f"Python + worker {parts['python']:.2f} s, then TensorFlow import {parts['tf_import']:.2f} s"))
        rows.append(("&nbsp;&nbsp;Loaded -> first EpochEnd written", f"{parts['first_epoch']:.2f} s", "", "",
                     "model build, trace, first logged epoch (10 passes)"))
        rows.append(("&nbsp;&nbsp;written -> on screen (follower)", f"{parts['follower']:.2f} s", "", "",
                     f"bounded by file_interval {group[0].interval:g} s"))
    return rows


def lag_rows(lags: dict[float, list[float]]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for interval in INTERVALS:
        values = lags.get(interval, [])
        if not values:
            rows.append((f"2 event-file lag, file_interval {interval:g} s", "ERROR", "p95 <= 1 s", "FAIL", "no lines"))
            continue
        high = p95(values)
        rows.append((f"2 event-file lag, file_interval {interval:g} s", f"p95 {high:.2f} s",
                     f"p95 <= {GOAL_LAG_P95_S:g} s", verdict(high <= GOAL_LAG_P95_S),
                     f"median {median(values):.2f} s, max {max(values):.2f} s, {len(values)} lines"))
    return rows


def call_rows(calls: SchedulerCalls) -> list[tuple[str, str, str, str, str]]:
    first = calls.first_minute()
    at = ", ".join(f"{t:.0f}" for t in calls.at)
    in_window = calls.steady()
    rate = calls.steady_per_minute()
    early = "; THE JOB ENDED BEFORE THE WINDOW DID" if calls.ended_early else ""
    return [
        ("3 squeue calls, first 60 s", str(first), f"<= {GOAL_FIRST_MINUTE}", verdict(first <= GOAL_FIRST_MINUTE),
         f"calls at {at} s; median {1000 * median(calls.took):.0f} ms each"),
        (f"3 squeue calls, steady state (60-{60 + calls.window:g} s)", f"{rate:.2f}/min", f"<= ~{GOAL_STEADY_PER_MIN:g}/min",
         verdict(not math.isnan(rate) and rate <= GOAL_STEADY_PER_MIN),
         f"{len(in_window)} calls in the window; run.stop() -> {calls.final} on screen {calls.stop_to_final:.2f} s"
         + early),
    ]


def render(rows: list[tuple[str, str, str, str, str]], header: list[str]) -> str:
    lines = [*header, "", "| measure | value | goal | result | detail |", "| --- | ---: | --- | --- | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def header_lines(cluster: Any, versions: dict[str, str], wall: float, load: tuple[str, str]) -> list[str]:
    backend = os.environ.get("KERAS_BACKEND") or "tensorflow"
    return [
        f"tui-tutor Slurm benchmark, {time.strftime('%Y-%m-%d %H:%M')}: {os.cpu_count()} cores, "
        f"{slurm_version(cluster)} (single-node cluster on this machine), Keras {versions.get('keras', '?')} "
        f"backend {backend}, TensorFlow {versions.get('tensorflow', '?')}, Python {versions.get('python', '?')}",
        f"load average start {load[0]} / end {load[1]}; wall {wall:.0f} s",
    ]


def loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------- main
def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def measure(args: argparse.Namespace, cluster: Any, errors: dict[str, str]) -> tuple[list, dict[str, str]]:
    """Every row; a row that cannot be measured says ERROR and why (``errors``)."""
    spec = xor_spec()
    runs_dir = Path(cluster.folder) / "runs"
    rows: list[tuple[str, str, str, str, str]] = []
    versions: dict[str, str] = {}
    print("row 1: submit -> first epoch ...", file=sys.stderr)
    try:
        records = first_epoch_runs(spec, args.runs, runs_dir, cluster)
        versions = records[-1].versions
        rows += first_epoch_rows(records)
    except Exception as exc:  # noqa: BLE001 - reported in the table, the other rows go on
        errors["row 1"] = f"{type(exc).__name__}: {exc}"
        rows.append(("1 submit -> first epoch on screen", "ERROR", "<= 2 s + import", "FAIL", errors["row 1"]))
    print(f"rows 2 and 3: event-file lag and squeue calls ({60 + args.steady:.0f} s) ...", file=sys.stderr)
    try:
        calls, lags = count_scheduler_calls(spec, runs_dir, args.steady, args.lines, Path(cluster.folder) / "lag")
        rows += lag_rows(lags) + call_rows(calls)
    except Exception as exc:  # noqa: BLE001
        errors["rows 2-3"] = f"{type(exc).__name__}: {exc}"
        rows.append(("2-3 event-file lag, squeue calls", "ERROR", "", "FAIL", errors["rows 2-3"]))
    return rows, versions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs per file_interval for row 1 (default 3)")
    parser.add_argument("--lines", type=int, default=100, help="lines the row 2 writer appends (default 100)")
    parser.add_argument("--steady", type=float, default=120.0,
                        help="seconds after the first minute over which row 3's steady rate is taken (default 120)")
    args = parser.parse_args()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGINT too: a background job may start with it ignored
        signal.signal(sig, _interrupt)
    wall0 = time.monotonic()
    load_start = loadavg()
    cluster = None
    try:
        cluster = start_local_cluster()
        errors: dict[str, str] = {}
        rows, versions = measure(args, cluster, errors)
        header = header_lines(cluster, versions, time.monotonic() - wall0, (load_start, loadavg()))
        print(render(rows, header))
        notes = [
            "Row 1: parts are medians of each part (they need not add up to the median total); the job's start is "
            "a `date +%s.%N` line the site config's preamble puts first in job.sh; line write times from a 5 ms watcher.",
            "Row 2: two EventFollowers on one file, each polled then waiting file_interval, as SlurmRun does "
            "(SlurmRun's squeue calls add their own few ms now and then); measured while the row 3 job trains.",
            "Row 3: steady rate = 60 / mean gap between the squeue calls inside the steady window; the first-minute "
            "count starts at run() (sbatch included).",
        ]
        print("\n" + "\n".join(notes))
        return 1 if errors else 0
    except Unavailable as exc:
        print(f"benchmarks/slurm.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("benchmarks/slurm.py: interrupted; stopping the cluster", file=sys.stderr)
        return 130
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
