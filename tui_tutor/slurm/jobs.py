"""``tui-tutor jobs``: the learner's tutor jobs (state, reason, elapsed, run folder); ``--cancel ID``."""

from __future__ import annotations

from typing import TextIO

from tui_tutor.slurm.follow import GROUP_WORDS, SchedulerUnknown, cancel, describe_reason, query_jobs
from tui_tutor.slurm.job import SlurmError, sbatch_available


def run_jobs_command(out: TextIO, err: TextIO, *, cancel_id: str | None = None, stop: bool = False) -> int:
    """List the tutor's jobs (one squeue call), or cancel one of them; the exit status."""
    if not sbatch_available():
        err.write("tui-tutor jobs: Slurm's commands (sbatch, squeue) are not on PATH on this machine\n")
        return 2
    try:
        jobs = query_jobs()
    except SchedulerUnknown as exc:
        err.write(f"tui-tutor jobs: the scheduler did not answer ({exc}); try again in a minute\n")
        return 1
    if cancel_id is not None:
        if cancel_id not in {job.job_id for job in jobs}:
            err.write(f"tui-tutor jobs: {cancel_id} is not one of your tutor jobs\n")
            return 1
        try:
            cancel(cancel_id, stop_after_epoch=stop)
        except SlurmError as exc:
            err.write(f"tui-tutor jobs: {exc}\n")
            return 1
        out.write(f"{'stopping' if stop else 'cancelled'} job {cancel_id}\n")
        return 0
    if not jobs:
        out.write("No tutor jobs (Slurm forgets finished jobs after a few minutes; their run folders stay).\n")
        return 0
    out.write(f"{'JOB':>8}  {'STATE':<10} {'ELAPSED':>9}  {'REASON':<40} RUN FOLDER\n")
    for job in sorted(jobs, key=lambda j: int(j.job_id) if j.job_id.isdigit() else 0):
        if job.state == "PENDING":
            group, words = describe_reason(job.reason)
            reason = f"{GROUP_WORDS[group]}: {words}"
        else:
            reason = "" if job.reason in ("None", "") else job.reason
        out.write(f"{job.job_id:>8}  {job.state:<10} {job.elapsed:>9}  {reason[:40]:<40} {job.folder}\n")
    return 0
