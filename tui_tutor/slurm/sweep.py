"""A seed sweep as one Slurm array job: one task per seed, followed like a single run.

Task ``i`` trains seed ``sweep_seeds[i]`` and appends its events to ``events-<i>.jsonl`` in
the run folder (``tui_tutor.slurm.job``). :class:`SlurmSweep` reads every task's file the way
:class:`~tui_tutor.slurm.follow.SlurmRun` reads one (fresh open, seek, partial lines kept),
asks the scheduler with the same rare, batched ``squeue`` (``-r``: one line per task, so
queued seeds show as queued), and decides that a seed has ended from its final event. A task
the scheduler forgets without a final event is failed after a grace period, with the tail of
its ``slurm-<i>.out``. Stop: ``stop-requested``, ``scancel -b -s USR1`` for the running
tasks (they stop after this batch and write a clean ``Stopped``), and the queued ones are
cancelled outright.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tui_tutor.lesson.model import TrainSpec
from tui_tutor.slurm.follow import (
    END_GRACE,
    EventFollower,
    JobFollowing,
    GROUP_WORDS,
    JobInfo,
    _tail,
    cancel,
    describe_reason,
)
from tui_tutor.slurm.job import Job, SiteConfig, SlurmError, prepare_job, submit
from tui_tutor.training.events import Failed, Stopped
from tui_tutor.training.sweep import QUEUED, RUNNING, EmitSeed, SweepTally


def task_of(info: JobInfo, job_id: str) -> int | None:
    """The array task a squeue line is about (``12_3`` -> 3), or None (another job, or the
    still-unsplit ``12_[4-9%2]`` line some Slurm versions print without ``-r``)."""
    head, _, task = info.job_id.partition("_")
    return int(task) if head == job_id and task.isdigit() else None


class SlurmSweep(JobFollowing):
    """A sweep's array job, driven like a `SweepRun`: `run` submits (or re-attaches) and follows."""

    def __init__(self, spec: TrainSpec, overrides: dict[str, Any], emit: EmitSeed, **options: Any) -> None:
        super().__init__(spec, overrides, **options)
        self.emit = emit
        self.tally = SweepTally.for_spec(spec)

    @classmethod
    def attach(cls, job: Job, spec: TrainSpec, emit: EmitSeed, **options: Any) -> SlurmSweep:
        """Follow an array job submitted earlier: every task's file is read from its start."""
        sweep = cls(spec, {}, emit, **options)
        sweep.job = job
        return sweep

    def _end_seed(self, seed: int, event: Failed | Stopped) -> None:
        self.tally.observe(seed, event)
        self.emit(seed, event)

    def run(self) -> SweepTally:
        if self.job is None or self.job.job_id is None:
            if self._stop.is_set():
                return self._stop_all_queued("stopped (sweep stopped)")
            try:
                job = prepare_job(self.spec, self.overrides, site=self.site, runs_dir=self.runs_dir,
                                  max_seconds=self.max_seconds, seeds=self.tally.seeds)
                self.job = submit(job, *self.sbatch_args)
            except SlurmError as exc:
                for seed in self.tally.seeds:
                    self._end_seed(seed, Failed(f"{self.spec.id}-seed-{seed}", "error", str(exc), {}))
                self._say(str(exc))
                return self.tally
            if self.on_job is not None:
                self.on_job(self.job)
            self._say(f"Slurm array job {self.job.job_id} submitted: {len(self.tally.seeds)} seeds ({self.job.folder})")
        else:
            self._say(f"Slurm array job {self.job.job_id} re-attached ({self.job.folder})")
        return self._follow(self.job)

    def _stop_all_queued(self, reason: str) -> SweepTally:
        for seed in self.tally.seeds:
            if not self.tally.outcomes[seed].ended:
                self._end_seed(seed, Stopped(f"{self.spec.id}-seed-{seed}", 0, {}, reason))
        return self.tally

    def _follow(self, job: Job) -> SweepTally:
        assert job.job_id is not None
        seeds = self.tally.seeds
        followers = {task: EventFollower(job.task_events(task)) for task in range(len(seeds))}
        gone_at: dict[int, float] = {}  # task -> when the scheduler stopped listing it
        seen: set[int] = set()
        while not self.tally.finished:
            if self._detached.is_set():
                return self.tally  # the job goes on; a later tutor re-attaches
            if self._stop.is_set() and not self._stop_sent:
                self._send_stop(job)
            for task, follower in followers.items():
                if follower.finished:
                    continue
                for event in follower.poll():
                    if event is follower.final and self._requeued(f"{job.job_id}_{task}", event):
                        follower.final = None  # this seed's task runs again into the same file
                        self.tally.mark(seeds[task], QUEUED, "requeued")
                        continue
                    self.tally.observe(seeds[task], event)
                    self.emit(seeds[task], event)
            jobs = self.poller.poll()
            if jobs is not None:
                tasks = {t: info for info in jobs.values() if (t := task_of(info, job.job_id)) is not None}
                pending = [info for info in tasks.values() if info.state == "PENDING"]
                for task, info in tasks.items():
                    seen.add(task)
                    gone_at.pop(task, None)
                    state = QUEUED if info.state == "PENDING" else RUNNING if not info.finished else None
                    if state is not None and not followers[task].finished:
                        self.tally.mark(seeds[task], state)
                for task in followers:
                    if task not in tasks and not followers[task].finished:
                        gone_at.setdefault(task, self.clock())
                self._say(self._status_line(job, pending))
            if self._stop.is_set():
                # seeds still queued never start now: the queued tasks were cancelled
                for task, follower in followers.items():
                    outcome = self.tally.outcomes[seeds[task]]
                    if not follower.finished and outcome.state == QUEUED and self._stop_sent:
                        self._end_seed(seeds[task], Stopped(f"{self.spec.id}-seed-{seeds[task]}", 0, {},
                                                            "stopped (sweep stopped)"))
            now = self.clock()
            for task, since in list(gone_at.items()):
                if followers[task].finished or self.tally.outcomes[seeds[task]].ended:
                    gone_at.pop(task)
                elif now - since > END_GRACE:
                    tail = _tail(job.task_output(task))
                    was = "" if task in seen else " (never seen running)"
                    self._end_seed(seeds[task], Failed(f"{self.spec.id}-seed-{seeds[task]}", "error",
                                                       f"array task {job.job_id}_{task} ended without finishing{was}"
                                                       + (f": {tail}" if tail else ""), {}))
                    gone_at.pop(task)
            if self.tally.finished:
                break
            self._wake.wait(self.file_interval)
            self._wake.clear()
        self._say(f"Slurm array job {job.job_id}: " + self.tally.summary())
        return self.tally

    def _status_line(self, job: Job, pending: list[JobInfo]) -> str:
        text = f"Slurm array job {job.job_id}: {self.tally.summary()}"
        if pending:
            group, words = describe_reason(pending[0].reason)
            text += f"; {len(pending)} queued, {GROUP_WORDS[group]}: {words}"
        return text

    def _send_stop(self, job: Job) -> None:
        self._stop_sent = True
        assert job.job_id is not None
        try:
            job.stop_marker.touch()
        except OSError:
            pass
        try:  # queued tasks: cancel outright; running ones: stop after this batch
            self.runner(["scancel", "--state=PENDING", job.job_id], 15.0)
            cancel(job.job_id, stop_after_epoch=True, runner=self.runner)
            self._say(f"Slurm array job {job.job_id}: stopping the running seeds after this batch...")
        except (SlurmError, OSError, subprocess.TimeoutExpired) as exc:
            self._say(f"could not stop Slurm array job {job.job_id}: {exc}")
        self.poller.reset()



def slurm_sweeps(*, site: SiteConfig | None = None, runs_dir: str | Path | None = None,
                 sbatch_args: Sequence[str] = (), on_status: Callable[[str], None] | None = None,
                 on_job: Callable[[Job], None] | None = None, file_interval: float = 1.0,
                 max_seconds: float | None = None) -> Callable[[TrainSpec, dict[str, Any], EmitSeed], SlurmSweep]:
    """A sweep source (`StartSweep`): each sweep is one Slurm array job."""

    def start(spec: TrainSpec, overrides: dict[str, Any], emit: EmitSeed) -> SlurmSweep:
        return SlurmSweep(spec, overrides, emit, site=site, runs_dir=runs_dir, sbatch_args=sbatch_args,
                          on_status=on_status, on_job=on_job, file_interval=file_interval, max_seconds=max_seconds)

    return start
