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
from tui_tutor.training.events import Finished

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
