"""Following a Slurm run: its events file, and the scheduler, asked rarely.

* :class:`EventFollower` reads a run's ``events.jsonl`` by re-opening it and seeking on each
  poll (on NFS only a fresh open sees new data reliably), keeps a partial last line for the
  next poll, and knows the run is over from its final event (``Finished``/``Stopped``/``Failed``),
  never from the scheduler.
* :func:`parse_squeue` reads ``squeue --states=all -h -o FORMAT`` lines into :class:`JobInfo`.
* :class:`SchedulerPoller`: one ``squeue`` for all of the learner's tutor jobs (job-name prefix
  and user), at 0, 2, 6, 14, 30, 60 s and then about every 60 s (with jitter) while nothing
  changes; each call is time-limited, and an answer such as "Socket timed out" or "Unable to
  contact slurm controller" means *unknown*, never failed.
* :func:`describe_reason`: a pending reason in plain words, grouped ``waiting`` / ``limit``
  (blocked by a limit) / ``never`` (will never start).
* :class:`SlurmRun` and :func:`slurm_runs`: a run source (a ``StartRun``) whose runs are batch
  jobs; the training view shows them like local runs.
"""

from __future__ import annotations

import getpass
import json
import os
import random
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.slurm.job import JOB_PREFIX, Job, SiteConfig, SlurmError, prepare_job, submit
from tui_tutor.training.events import FINAL_EVENTS, Event, Failed, Loading, Stopped, event_from_dict

# --------------------------------------------------------------------------- the events file


class EventFollower:
    """New events of a growing JSON-lines file, read by re-opening it on each :meth:`poll`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.offset = 0
        self.partial = b""
        self.final: Event | None = None
        self.final_data: dict[str, Any] = {}
        self.bad_lines = 0

    @property
    def finished(self) -> bool:
        return self.final is not None

    def poll(self) -> list[Event]:
        try:
            with open(self.path, "rb") as stream:  # a fresh open each time: NFS close-to-open
                stream.seek(self.offset)
                chunk = stream.read()
        except FileNotFoundError:
            return []
        if not chunk:
            return []
        self.offset += len(chunk)
        data = self.partial + chunk
        lines = data.split(b"\n")
        self.partial = lines.pop()  # b"" when the chunk ended with a newline
        events: list[Event] = []
        for raw in lines:
            if not raw.strip():
                continue
            try:
                parsed = json.loads(raw.decode("utf-8", errors="replace"))
                event = event_from_dict(parsed)
            except (ValueError, TypeError):
                self.bad_lines += 1
                continue
            events.append(event)
            if isinstance(event, FINAL_EVENTS) and self.final is None:
                self.final, self.final_data = event, parsed
        return events


# --------------------------------------------------------------------------- squeue
#: ``squeue -o`` fields, ``|``-separated: id, name, state, reason, elapsed, limit, start, work dir.
SQUEUE_FORMAT = "%i|%j|%T|%r|%M|%l|%S|%Z"
FINISHED_STATES = frozenset({"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
                             "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED"})
#: A requeued job (preempted, `scontrol requeue`): it waits to run again from its start.
REQUEUED_STATES = frozenset({"REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED"})
#: Errors of a busy or unreachable controller: the job's state is unknown, not failed.
TRANSIENT_ERRORS = ("socket timed out", "unable to contact", "connection refused", "slurm_load_jobs error",
                    "resource temporarily unavailable", "communication connection failure")


@dataclass(frozen=True)
class JobInfo:
    job_id: str
    name: str
    state: str
    reason: str
    elapsed: str
    time_limit: str
    start: str
    folder: str

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def run_id(self) -> str:
        return self.name[len(JOB_PREFIX):] if self.name.startswith(JOB_PREFIX) else self.name


def parse_squeue(text: str) -> list[JobInfo]:
    """Lines of ``squeue -h -o SQUEUE_FORMAT``; lines that do not fit are skipped."""
    jobs = []
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 8 or not parts[0].strip():
            continue
        # a work dir could hold "|": everything after the 7th separator is the folder
        job_id, name, state, reason, elapsed, limit, start = (p.strip() for p in parts[:7])
        jobs.append(JobInfo(job_id, name, state, reason, elapsed, limit, start, "|".join(parts[7:]).strip()))
    return jobs


REASONS: dict[str, tuple[str, str]] = {
    "None": ("waiting", "waiting for the scheduler"),
    "Resources": ("waiting", "waiting for a free node with the resources it asks for"),
    "Priority": ("waiting", "waiting for jobs with a higher priority to start first"),
    "BeginTime": ("waiting", "waiting for its start time"),
    "Dependency": ("waiting", "waiting for another job to finish"),
    "JobHeldUser": ("waiting", "held by you: release it with `scontrol release ID`"),
    "JobHeldAdmin": ("limit", "held by an administrator"),
    "ReqNodeNotAvail": ("waiting", "the nodes it needs are not available now (down, drained or reserved)"),
    "Reservation": ("waiting", "waiting for its reservation to start"),
    "QOSMaxJobsPerUserLimit": ("limit", "you already run as many jobs as your QOS allows: it starts when one ends"),
    "QOSMaxSubmitJobPerUserLimit": ("limit", "you have submitted as many jobs as your QOS allows"),
    "AssocGrpCpuLimit": ("limit", "your account's group is using all the CPUs it may"),
    "AssocGrpGRES": ("limit", "your account's group is using all the GPUs it may"),
    "AssocMaxJobsLimit": ("limit", "you already run as many jobs as your account allows"),
    "PartitionConfig": ("never", "it asks for more than the partition has (CPUs, GPUs or memory): it will never start"),
    "PartitionTimeLimit": ("never", "its time limit is longer than the partition allows: it will never start"),
    "PartitionNodeLimit": ("never", "it asks for more nodes than the partition allows: it will never start"),
    "DependencyNeverSatisfied": ("never", "the job it depends on failed: it will never start"),
    "InvalidAccount": ("never", "the account is not valid: it will never start"),
    "InvalidQOS": ("never", "the QOS is not valid: it will never start"),
    "BadConstraints": ("never", "its constraints cannot be met: it will never start"),
}
GROUP_WORDS = {"waiting": "waiting", "limit": "blocked by a limit", "never": "will never start"}


def describe_reason(reason: str) -> tuple[str, str]:
    """``(group, plain words)`` for a pending reason; group is ``waiting``, ``limit`` or ``never``."""
    key = reason.strip().strip("()").split(",")[0].strip()
    if key in REASONS:
        return REASONS[key]
    if key.endswith("Limit") or key.startswith(("QOS", "Assoc")):
        return "limit", f"blocked by a limit ({key})"
    return "waiting", f"waiting ({key or 'no reason given'})"


def describe_job(info: JobInfo | None) -> str:
    """One status line for a job."""
    if info is None:
        return "Slurm: the job's state is unknown for now (the scheduler did not answer)"
    if info.state == "PENDING":
        group, words = describe_reason(info.reason)
        return f"Slurm job {info.job_id} is queued, {GROUP_WORDS[group]}: {words}"
    if info.state in ("RUNNING", "COMPLETING", "CONFIGURING"):
        return f"Slurm job {info.job_id} is running ({info.elapsed} of {info.time_limit})"
    return f"Slurm job {info.job_id} ended: {info.state.lower()}"


Runner = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]


def _run_command(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)


class SchedulerUnknown(Exception):
    """The scheduler did not answer (timeout, "Socket timed out", not reachable): state unknown."""


def user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def squeue_command(user: str | None = None) -> list[str]:
    # -r: one line per array task, so each queued seed of a sweep shows as its own line (12_3)
    return ["squeue", "--states=all", "-h", "-r", "-u", user or user_name(), "-o", SQUEUE_FORMAT]


def query_jobs(*, user: str | None = None, prefix: str = JOB_PREFIX, timeout: float = 15.0,
               runner: Runner = _run_command) -> list[JobInfo]:
    """One ``squeue`` for every job of ``user`` whose name starts with ``prefix``.

    Raises :class:`SchedulerUnknown` when the scheduler does not answer.
    """
    try:
        done = runner(squeue_command(user), timeout)
    except subprocess.TimeoutExpired:
        raise SchedulerUnknown(f"squeue did not answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise SchedulerUnknown(f"squeue could not run ({exc})") from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout or "").strip()
        raise SchedulerUnknown(message.splitlines()[-1] if message else f"squeue exit status {done.returncode}")
    return [job for job in parse_squeue(done.stdout) if job.name.startswith(prefix)]


#: Seconds between scheduler queries while nothing changes; then about STEADY_DELAY.
BACKOFF = (2.0, 4.0, 8.0, 16.0, 30.0)
STEADY_DELAY = 60.0


class SchedulerPoller:
    """Asks squeue about the tutor's jobs no more often than the backoff allows.

    :meth:`due` says whether a query is due at ``clock()``; :meth:`poll` queries (if due, or
    ``force``), and returns the jobs by id (None when the answer is unknown). A change of any
    job's state or reason starts the backoff again.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, runner: Runner = _run_command,
                 user: str | None = None, timeout: float = 15.0, jitter: float = 0.1,
                 rng: random.Random | None = None, background: bool = False) -> None:
        self.clock = clock
        self.runner = runner
        self.user = user
        self.timeout = timeout
        self.jitter = jitter
        self.rng = rng or random.Random()
        self.calls = 0
        self.quiet_rounds = 0
        self.next_at: float | None = None
        self.jobs: dict[str, JobInfo] | None = None
        self.error: str | None = None
        #: Ask in a thread of its own, so a slow controller (up to `timeout`) never holds
        #: back the events file: `poll` then answers with what the last query found.
        self.background = background
        self._query: threading.Thread | None = None
        self._lock = threading.Lock()

    def delay(self) -> float:
        if self.quiet_rounds < len(BACKOFF):
            return BACKOFF[self.quiet_rounds]
        return STEADY_DELAY * (1 + self.rng.uniform(-self.jitter, self.jitter))

    def due(self) -> bool:
        return self.next_at is None or self.clock() >= self.next_at

    def reset(self) -> None:
        """Ask again soon (a job was just submitted, released or cancelled)."""
        self.quiet_rounds = 0
        self.next_at = self.clock() + BACKOFF[0] if self.next_at is not None else None

    def events_flowing(self) -> None:
        """The run's events are arriving: the file says it runs, so the scheduler is needed only
        to notice a job that died: ask about once a minute (a state change asks sooner again)."""
        self.quiet_rounds = max(self.quiet_rounds, len(BACKOFF))

    def poll(self, *, force: bool = False) -> dict[str, JobInfo] | None:
        if not self.background:
            return self._poll(force=force)
        with self._lock:
            busy = self._query is not None and self._query.is_alive()
            if not busy and (force or self.due()):
                self.next_at = self.clock() + self.timeout  # no second query while this one runs
                self._query = threading.Thread(target=self._poll, kwargs={"force": True}, daemon=True,
                                               name="squeue")
                self._query.start()
        return self.jobs if self.error is None else None

    def _poll(self, *, force: bool = False) -> dict[str, JobInfo] | None:
        if not (force or self.due()):
            return self.jobs
        self.calls += 1
        try:
            found = {job.job_id: job for job in query_jobs(user=self.user, timeout=self.timeout, runner=self.runner)}
        except SchedulerUnknown as exc:
            self.error = str(exc)
            self.next_at = self.clock() + self.delay()
            self.quiet_rounds += 1
            return None
        self.error = None
        before = self.jobs
        changed = before is not None and {k: (j.state, j.reason) for k, j in found.items()} != {
            k: (j.state, j.reason) for k, j in before.items()}
        self.quiet_rounds = 0 if changed else self.quiet_rounds + (0 if before is None else 1)
        self.jobs = found
        self.next_at = self.clock() + self.delay()
        return found


# --------------------------------------------------------------------------- a run source
#: After the scheduler says a job ended, how long to keep reading for its final event (NFS lag).
END_GRACE = 30.0


def cancel(job_id: str, *, stop_after_epoch: bool = True, timeout: float = 15.0,
           runner: Runner = _run_command) -> None:
    """``scancel -b -s USR1 ID`` (the worker stops after this batch), or a plain ``scancel ID``."""
    command = ["scancel", "-b", "-s", "USR1", job_id] if stop_after_epoch else ["scancel", job_id]
    try:
        done = runner(command, timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SlurmError(f"scancel did not work ({exc})") from None
    if done.returncode != 0:
        raise SlurmError("scancel: " + ((done.stderr or done.stdout).strip() or f"exit status {done.returncode}"))


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " / ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


class JobFollowing:
    """What a run and a seed sweep sent to Slurm share: where the job goes (site config, runs
    folder, extra sbatch options), the scheduler poller, the status line (`on_status`, said
    only when it changes), and `stop` / `detach`, which may be called from any thread."""

    def __init__(self, spec: TrainSpec, overrides: dict[str, Any], *,
                 site: SiteConfig | None = None, runs_dir: str | Path | None = None,
                 sbatch_args: Sequence[str] = (), on_status: Callable[[str], None] | None = None,
                 on_job: Callable[[Job], None] | None = None, poller: SchedulerPoller | None = None,
                 file_interval: float = 1.0, max_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic, runner: Runner = _run_command) -> None:
        self.spec = spec
        self.overrides = overrides
        self.site = site
        self.runs_dir = runs_dir
        self.sbatch_args = tuple(sbatch_args)
        self.on_status = on_status
        self.on_job = on_job
        self.poller = poller or SchedulerPoller(clock=clock, runner=runner, background=True)
        self.file_interval = file_interval
        self.max_seconds = max_seconds
        self.clock = clock
        self.runner = runner
        self.job: Job | None = None
        self._stop = threading.Event()
        self._detached = threading.Event()
        self._wake = threading.Event()
        self._stop_sent = False
        self._status = ""

    def _say(self, text: str) -> None:
        if text != self._status:
            self._status = text
            if self.on_status is not None:
                self.on_status(text)

    def _requeued(self, job_id: str, event: Event, *, wait: float = 10.0) -> bool:
        """A `Stopped` written on SIGTERM ("stopped (cancelled)") that the learner did not ask
        for: cancelled for good, or requeued (preemption, `scontrol requeue`), when the job
        runs again into the same events file? Asks the scheduler until it says (at most
        `wait` seconds): pending or requeued again means requeued. `job_id` may name an
        array task (`12_3`)."""
        if not isinstance(event, Stopped) or event.reason != "stopped (cancelled)" or self._stop_sent:
            return False
        deadline = self.clock() + wait
        while True:
            try:
                found = {info.job_id: info for info in query_jobs(runner=self.runner)}
            except SchedulerUnknown:
                found = {}
            info = found.get(job_id)
            if info is not None and (info.state in REQUEUED_STATES or info.state == "PENDING"):
                return True
            if (info is not None and info.finished) or self.clock() >= deadline:
                return False
            self._wake.wait(1.0)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def detach(self) -> None:
        """Stop following, leave the job running (the tutor quits or the learner leaves the step)."""
        self._detached.set()
        self._wake.set()


class SlurmRun(JobFollowing):
    """One run as a Slurm batch job, driven like a local run (a ``Run``).

    :meth:`run` writes the run folder, submits it, then follows: the events file every
    ``file_interval`` seconds, the scheduler by :class:`SchedulerPoller`'s backoff. While the job
    waits it emits ``Loading`` and calls ``on_status`` with a line such as "Slurm job 12 is
    queued, waiting: ...". The run's own events follow as the job writes them. :meth:`stop`
    writes ``stop-requested`` and sends ``scancel -b -s USR1``: the job stops after this batch.
    """

    def __init__(self, spec: TrainSpec, overrides: dict[str, Any], emit: Callable[[Event], None],
                 **options: Any) -> None:
        super().__init__(spec, overrides, **options)
        self.emit = emit
        self.info: JobInfo | None = None
        self.result: Event | None = None
        self._started = False  # the job's first event arrived (the scheduler's word may lag)

    def _final(self, event: Event) -> Event:
        self.result = event
        self.emit(event)
        return event

    @classmethod
    def attach(cls, job: Job, spec: TrainSpec, emit: Callable[[Event], None], **options: Any) -> SlurmRun:
        """Follow a job submitted earlier (by this tutor or one that has quit): its events file
        is read from the start, so what happened meanwhile is shown first."""
        run = cls(spec, {}, emit, **options)
        run.job = job
        return run

    def run(self) -> Event | None:
        run_id = f"{self.spec.id}-slurm"
        if self.job is not None and self.job.job_id is not None:
            job = self.job
            self.emit(Loading(job.run_id))
            self._say(f"Slurm job {job.job_id} re-attached ({job.folder})")
            return self._follow(job)
        if self._stop.is_set():
            return self._final(Stopped(run_id, 0, {}))
        try:
            job = prepare_job(self.spec, self.overrides, site=self.site, runs_dir=self.runs_dir,
                              max_seconds=self.max_seconds)
            self.job = job = submit(job, *self.sbatch_args)
        except SlurmError as exc:
            return self._final(Failed(run_id, "error", str(exc), {}))
        if self.on_job is not None:
            self.on_job(job)
        assert job.job_id is not None
        self.emit(Loading(job.run_id))
        self._say(f"Slurm job {job.job_id} submitted ({job.folder})")
        return self._follow(job)

    def _follow(self, job: Job) -> Event | None:
        assert job.job_id is not None
        follower = EventFollower(job.events_file)
        ended_at: float | None = None
        self._started = False
        missing = 0
        while True:
            if self._detached.is_set():
                return None  # the job goes on without us; a later tutor re-attaches
            if self._stop.is_set() and not self._stop_sent:
                self._send_stop()
            events = follower.poll()
            for event in events:
                self._started = True
                if event is follower.final and self._requeued(job.job_id, event):
                    follower.final = None  # the job starts again: its new events follow in the same file
                    self._say(f"Slurm job {job.job_id} was requeued (preempted, or by an administrator): "
                              "it waits to start again and will train from the beginning")
                    continue
                self.emit(event)
            if events:
                self.poller.events_flowing()
            if follower.final is not None:
                self.result = follower.final
                return follower.final
            jobs = self.poller.poll()
            if jobs is not None:
                info = jobs.get(job.job_id)
                if info is None and ended_at is None:
                    missing += 1
                    if missing >= 2:  # Slurm forgot it (MinJobAge): it ended while no tutor followed it
                        ended_at = self.clock()
                if info is not None:
                    missing = 0
                    self.info = info
                    if not self._started or info.finished:
                        self._say(describe_job(info))
                    if info.finished and ended_at is None:
                        ended_at = self.clock()
                        self.poller.reset()
            elif not self._started:
                self._say(describe_job(None))
            if self.info is not None and self.info.state == "PENDING" and self._stop.is_set() and not self._started:
                # a job that never started: cancelling it outright is the stop
                self._cancel_pending()
                return self._final(Stopped(job.run_id, 0, {}))
            if ended_at is not None and self.clock() - ended_at > END_GRACE:
                state = self.info.state.lower() if self.info else "ended"
                tail = _tail(job.output_file)
                return self._final(Failed(job.run_id, "error",
                                          f"the Slurm job {job.job_id} {state} without finishing the run"
                                          + (f": {tail}" if tail else f" (see {job.output_file})"), {}))
            self._wake.wait(self.file_interval)
            self._wake.clear()

    def _cancel_pending(self) -> None:
        if self.job is not None and self.job.job_id is not None:
            try:
                cancel(self.job.job_id, stop_after_epoch=False, runner=self.runner)
            except SlurmError as exc:
                self._say(str(exc))

    def _send_stop(self) -> None:
        self._stop_sent = True
        job = self.job
        if job is None or job.job_id is None:
            return
        if self.info is not None and self.info.state == "PENDING" and not self._started:
            return  # handled in the loop: cancelled outright
        try:
            job.stop_marker.touch()
            cancel(job.job_id, stop_after_epoch=True, runner=self.runner)
            self._say(f"Slurm job {job.job_id}: stopping after this batch...")
        except (SlurmError, OSError) as exc:
            self._say(f"could not stop Slurm job {job.job_id}: {exc}")



def slurm_runs(*, site: SiteConfig | None = None, runs_dir: str | Path | None = None,
               sbatch_args: Sequence[str] = (), on_status: Callable[[str], None] | None = None,
               file_interval: float = 1.0, max_seconds: float | None = None,
               on_job: Callable[[Job], None] | None = None) -> Callable[..., SlurmRun]:
    """A run source (``StartRun``): each run is a Slurm batch job (see :class:`SlurmRun`)."""

    def start(spec: TrainSpec, overrides: dict[str, Any], emit: Callable[[Event], None]) -> SlurmRun:
        return SlurmRun(spec, overrides, emit, site=site, runs_dir=runs_dir, sbatch_args=sbatch_args,
                        on_status=on_status, file_interval=file_interval, max_seconds=max_seconds,
                        on_job=on_job)

    return start
