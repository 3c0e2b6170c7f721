"""A seed sweep as one real Slurm array job (tests/slurm_cluster.py), followed task by task.

The array's tasks run the real worker (`--array-task N`), each training its own seed; the
follower reads one events file per task and the tally fills in as tasks end.
"""

import threading
import time

import pytest
from slurm_cluster import slurm_cluster  # noqa: F401 - the fixture

from tui_tutor.lesson.model import LayerSpec, SweepSpec, TrainSpec
from tui_tutor.slurm.follow import query_jobs
from tui_tutor.slurm.job import SiteConfig
from tui_tutor.slurm.sweep import SlurmSweep
from tui_tutor.training.events import Finished, Stopped

pytestmark = [pytest.mark.slurm, pytest.mark.slow, pytest.mark.xdist_group("slurm")]

SWEEP = TrainSpec(id="xor-sweep", line=1, layers=(LayerSpec(2, "relu"), LayerSpec(1, "sigmoid")), learning_rate=0.05,
                  epochs=500, batch_size=4, target="slurm", sweep=SweepSpec(10, 0.1))


def test_a_ten_seed_array_sweep_fills_in_as_its_tasks_end(slurm_cluster, tmp_path):  # noqa: F811
    seen: list[tuple[float, int, object]] = []
    statuses: list[str] = []
    sweep = SlurmSweep(SWEEP, {}, lambda seed, event: seen.append((time.monotonic(), seed, event)),
                       site=SiteConfig(array_throttle=2), runs_dir=tmp_path / "runs", on_status=statuses.append,
                       file_interval=0.2)
    thread = threading.Thread(target=sweep.run, daemon=True)
    thread.start()
    thread.join(240)
    assert not thread.is_alive(), statuses[-3:]
    job = sweep.job
    assert job is not None and job.job_id is not None
    script = job.script.read_text()
    assert "#SBATCH --array=0-9%2" in script and "--array-task" in script
    # every seed ended with its own Finished, read from its own events file
    finals = {seed: event for _, seed, event in seen if isinstance(event, Finished)}
    assert sorted(finals) == list(range(1, 11))
    assert all(job.task_events(task).stat().st_size > 0 for task in range(10))
    tally = sweep.tally
    assert tally.finished and tally.done == 10
    # the same seeds as lesson 2's claim (tests/test_lesson_claims.py): 1, 6, 7, 10 solve XOR
    assert sorted(s for s, o in tally.outcomes.items() if tally.solved(o)) == [1, 6, 7, 10]
    assert tally.values()["sweep_solved"] == 4
    # the outcomes arrived over time, not all at once at the end (throttle 2: several rounds)
    times = sorted(t for t, _, event in seen if isinstance(event, Finished))
    assert times[-1] - times[0] > 1.0
    # while it ran, the status line counted seeds as they ended, and said some were queued
    assert any("queued" in s for s in statuses)
    assert any("3 of 10 seeds done" in s or "4 of 10 seeds done" in s for s in statuses)
    assert "10 of 10 seeds done" in statuses[-1] and "solved 4 of 10" in statuses[-1]
    ids = {j.job_id.partition("_")[0] for j in query_jobs()}
    assert job.job_id in ids  # the scheduler listed the array's tasks under the job's id


def test_stopping_a_sweep_cancels_queued_seeds_and_stops_running_ones(slurm_cluster, tmp_path):  # noqa: F811
    long = TrainSpec(id="xor-sweep-long", line=1, layers=SWEEP.layers, epochs=50_000, target="slurm",
                     sweep=SweepSpec(6, 0.1))
    seen: list[tuple[int, object]] = []
    sweep = SlurmSweep(long, {}, lambda seed, event: seen.append((seed, event)), site=SiteConfig(array_throttle=2),
                       runs_dir=tmp_path / "runs", file_interval=0.2)
    thread = threading.Thread(target=sweep.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sweep.tally.running < 1:
        time.sleep(0.2)
    assert sweep.tally.running >= 1
    sweep.stop()
    thread.join(120)
    assert not thread.is_alive()
    outcomes = sweep.tally.outcomes
    assert all(o.state == "stopped" for o in outcomes.values()), outcomes
    assert any(o.note == "stopped (by you)" for o in outcomes.values())  # a running seed, stopped cleanly
    assert any(o.note == "stopped (sweep stopped)" for o in outcomes.values())  # a queued one, never started


SWEEP_LESSON = """---
title: Slurm sweeps
id: slurm-sweeps
---

## Sweep on Slurm

::: train
id: xs
dataset: xor
layers:
  - {units: 2, activation: relu}
  - {units: 1, activation: sigmoid}
learning_rate: 0.05
epochs: 500
batch_size: 4
sweep: {seeds: 10, solved_loss: 0.1}
:::
"""


async def test_a_sweep_sent_with_S_fills_in_outlives_the_tutor_and_is_stored_once(slurm_cluster, tmp_path):  # noqa: F811
    import os
    from pathlib import Path

    from tui_tutor.progress.store import ProgressStore
    from tui_tutor.ui.app import AppOptions, TutorApp
    from tui_tutor.ui.training.sweep_view import SweepView

    data = Path(os.environ["TUI_TUTOR_DATA_DIR"])
    lesson = tmp_path / "sweep.md"
    lesson.write_text(SWEEP_LESSON)

    def app() -> TutorApp:
        return TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=data, learner="tester"))

    async def wait(pilot, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await pilot.pause(0.1)

    first = app()
    async with first.run_test(size=(80, 24)) as pilot:
        view = first.screen.query_one(SweepView)
        view.focus()
        await pilot.pause()
        await pilot.press("S")
        await wait(pilot, lambda: bool(view.runs) and view.runs[-1].slurm_job != "", 60, "the array job")
        record = view.runs[-1]
        await wait(pilot, lambda: record.sweep is not None and 1 <= record.sweep.done, 120, "a first seed")
        assert record.sweep.done < 10
        await pilot.pause(0.6)  # one redraw tick
        assert "Final training loss" in str(view.query_one(".sweep-histogram").render())  # filling in
        assert "Slurm array job" in str(view.query_one(".train-status").render())
        run_id, job_id = record.run_id, record.slurm_job
    with ProgressStore.open(data / "progress.sqlite3") as store:
        assert store.runs("tester", None, "xs") == []  # quit mid-sweep: nothing stored yet

    second = app()
    async with second.run_test(size=(80, 24)) as pilot:
        view = second.screen.query_one(SweepView)
        await wait(pilot, lambda: bool(view.runs) and view.runs[-1].run_id == run_id, 30, "the re-attached sweep")
        back = view.runs[-1]
        assert back.slurm_job == job_id
        await wait(pilot, lambda: back.done, 240, "the sweep to end")
        await pilot.pause(0.3)
        assert back.outcome == "finished" and back.values()["sweep_solved"] == 4  # seeds 1, 6, 7, 10
        assert "solved 4 of 10" in str(view.query_one(".train-status").render())
    with ProgressStore.open(data / "progress.sqlite3") as store:
        rows = store.runs("tester", None, "xs")
    assert [row["run"]["run_id"] for row in rows] == [run_id]
    assert rows[0]["run"]["sweep"]["outcomes"][0]["state"] == "finished"


def test_a_requeued_seed_runs_again_and_is_not_counted_as_cancelled(slurm_cluster, tmp_path):  # noqa: F811
    from tui_tutor.training.events import EpochEnd, Started

    long = TrainSpec(id="xor-sweep-requeue", line=1, layers=SWEEP.layers, epochs=50_000, target="slurm",
                     sweep=SweepSpec(2, 0.1))
    seen: list[tuple[int, object]] = []
    sweep = SlurmSweep(long, {}, lambda seed, event: seen.append((seed, event)), site=SiteConfig(array_throttle=2),
                       runs_dir=tmp_path / "runs", file_interval=0.2)
    thread = threading.Thread(target=sweep.run, daemon=True)
    thread.start()

    def wait(predicate, what, timeout=120.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    wait(lambda: any(s == 1 and isinstance(e, EpochEnd) for s, e in seen), "seed 1's epochs")
    task = f"{sweep.job.job_id}_0"
    assert slurm_cluster.run("scontrol", "requeue", task).returncode == 0
    wait(lambda: sweep.tally.outcomes[1].note == "requeued", "the requeue to be noticed", 60)
    slurm_cluster.run("scontrol", "update", f"JobId={task}", "StartTime=now")  # no waiting for its begin time
    wait(lambda: sum(s == 1 and isinstance(e, Started) for s, e in seen) >= 2, "seed 1 to start again", 120)
    sweep.stop()
    thread.join(120)
    assert not thread.is_alive()
    assert sweep.tally.outcomes[1].state == "stopped" and sweep.tally.outcomes[1].note == "stopped (by you)", sweep.tally.outcomes
    assert not any(isinstance(e, Stopped) and e.reason == "stopped (cancelled)" for _, e in seen)
