"""A training run sent to a real single-node Slurm (tests/slurm_cluster.py) and followed live.

No mock of sbatch, squeue or scancel: the jobs run the real worker (`python -m
tui_tutor.training.worker --run spec.json --out events.jsonl`), which imports TensorFlow in
the job's own process (the test process never does).
"""

import json
import threading
import time

import pytest
from slurm_cluster import slurm_cluster  # noqa: F401 - the fixture

from tui_tutor.lesson.model import LayerSpec, TrainSpec
from tui_tutor.slurm.follow import SlurmRun, query_jobs
from tui_tutor.training.events import EpochEnd, Finished, Loading, Started, Stopped, event_from_json

pytestmark = [pytest.mark.slurm, pytest.mark.slow, pytest.mark.xdist_group("slurm")]

XOR = TrainSpec(id="xor", line=1, layers=(LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")), epochs=5,
                target="slurm")


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _start(run):
    thread = threading.Thread(target=run.run, daemon=True)
    thread.start()
    return thread


def test_a_held_run_is_queued_with_its_reason_then_runs_to_the_end(slurm_cluster, tmp_path):  # noqa: F811
    events, statuses = [], []
    run = SlurmRun(XOR, {}, events.append, runs_dir=tmp_path / "runs", sbatch_args=("--hold",),
                   on_status=statuses.append, file_interval=0.2)
    thread = _start(run)
    _wait_for(lambda: any(" is queued" in s for s in statuses), 30, "a queued status")
    queued = next(s for s in statuses if " is queued" in s)
    assert "held by you" in queued and "waiting" in queued
    assert run.info is not None and (run.info.state, run.info.reason) == ("PENDING", "JobHeldUser")
    assert isinstance(events[0], Loading)
    assert not any(isinstance(e, Started) for e in events)

    released = slurm_cluster.run("scontrol", "release", run.job.job_id)
    assert released.returncode == 0, released.stderr
    thread.join(180)
    assert not thread.is_alive(), statuses
    kinds = [type(e) for e in events]
    assert Started in kinds and kinds.count(EpochEnd) == 5 and kinds[-1] is Finished
    assert isinstance(run.result, Finished)
    # the events file is complete: every line parses, the last is the final event
    lines = run.job.events_file.read_text().splitlines()
    assert [type(event_from_json(line)) for line in lines][-1] is Finished
    assert sum(json.loads(line)["event"] == "EpochEnd" for line in lines) == 5
    jobs = {j.job_id: j for j in query_jobs()}
    _wait_for(lambda: {j.job_id: j for j in query_jobs()}[run.job.job_id].state == "COMPLETED", 30, "COMPLETED")
    assert run.job.job_id in jobs


def test_a_run_stopped_mid_run_ends_with_a_clean_stopped_event(slurm_cluster, tmp_path):  # noqa: F811
    long = TrainSpec(id="xor-long", line=1, layers=XOR.layers, epochs=50_000, target="slurm")
    events, statuses = [], []
    run = SlurmRun(long, {}, events.append, runs_dir=tmp_path / "runs", on_status=statuses.append,
                   file_interval=0.2)
    thread = _start(run)
    _wait_for(lambda: sum(isinstance(e, EpochEnd) for e in events) >= 2, 120, "two epochs")
    run.stop()
    thread.join(60)
    assert not thread.is_alive(), statuses
    assert isinstance(run.result, Stopped) and run.result.epoch >= 2 and run.result.reason == "stopped (by you)"
    last = json.loads(run.job.events_file.read_text().splitlines()[-1])
    assert last["event"] == "Stopped" and last["reason"] == "stopped (by you)"
    _wait_for(lambda: {j.job_id: j for j in query_jobs()}[run.job.job_id].finished, 30, "the job to end")


def test_a_cancelled_pending_job_is_stopped_without_running(slurm_cluster, tmp_path):  # noqa: F811
    events, statuses = [], []
    run = SlurmRun(XOR, {}, events.append, runs_dir=tmp_path / "runs", sbatch_args=("--begin=now+600",),
                   on_status=statuses.append, file_interval=0.2)
    thread = _start(run)
    _wait_for(lambda: run.info is not None, 30, "the job's state")
    assert run.info.reason == "BeginTime"
    run.stop()
    thread.join(30)
    assert isinstance(run.result, Stopped) and run.result.epoch == 0
    _wait_for(lambda: {j.job_id: j for j in query_jobs()}[run.job.job_id].state == "CANCELLED", 30, "CANCELLED")


def test_jobs_command_lists_and_cancels(slurm_cluster, tmp_path):  # noqa: F811
    import io

    from tui_tutor.slurm.job import prepare_job, submit
    from tui_tutor.slurm.jobs import run_jobs_command

    job = submit(prepare_job(XOR, {}, runs_dir=tmp_path / "runs"), "--hold")
    out, err = io.StringIO(), io.StringIO()
    assert run_jobs_command(out, err) == 0, err.getvalue()
    line = next(line for line in out.getvalue().splitlines() if line.split()[0] == job.job_id)
    assert "PENDING" in line and "held by you" in line and str(job.folder) in line
    assert run_jobs_command(out, err, cancel_id=job.job_id) == 0, err.getvalue()
    _wait_for(lambda: {j.job_id: j for j in query_jobs()}[job.job_id].state == "CANCELLED", 30, "CANCELLED")
    assert run_jobs_command(out, err, cancel_id="999999") == 1


def test_a_requeued_job_starts_again_and_is_followed_to_its_new_end(slurm_cluster, tmp_path):  # noqa: F811
    """Preemption with requeue (here `scontrol requeue`): the job's worker gets SIGTERM and writes
    "stopped (cancelled)", then the job runs again into the same events file. The run is not
    ended there: the learner is told it was requeued, and the new attempt's epochs follow."""
    long = TrainSpec(id="xor-requeue", line=1, layers=XOR.layers, epochs=50_000, target="slurm")
    events, statuses = [], []
    run = SlurmRun(long, {}, events.append, runs_dir=tmp_path / "runs", on_status=statuses.append,
                   file_interval=0.2)
    thread = _start(run)
    _wait_for(lambda: sum(isinstance(e, EpochEnd) for e in events) >= 2, 120, "two epochs")
    requeued = slurm_cluster.run("scontrol", "requeue", run.job.job_id)
    assert requeued.returncode == 0, requeued.stderr
    _wait_for(lambda: any("was requeued" in s for s in statuses), 60, "the requeue to be noticed")
    # Slurm holds a requeued job back for a while (its begin time is set ahead): start it now
    slurm_cluster.run("scontrol", "update", f"JobId={run.job.job_id}", "StartTime=now")
    _wait_for(lambda: sum(isinstance(e, Started) for e in events) >= 2, 180, "the second attempt to start")
    _wait_for(lambda: isinstance(events[-1], EpochEnd), 60, "the second attempt's epochs")
    run.stop()
    thread.join(60)
    assert not thread.is_alive(), statuses[-3:]
    assert not any(isinstance(e, Stopped) and e.reason == "stopped (cancelled)" for e in events)  # held back
    assert isinstance(run.result, Stopped) and run.result.reason == "stopped (by you)"
    lines = [json.loads(line) for line in run.job.events_file.read_text().splitlines()]
    assert [line.get("reason") for line in lines if line["event"] == "Stopped"] == ["stopped (cancelled)",
                                                                                   "stopped (by you)"]
