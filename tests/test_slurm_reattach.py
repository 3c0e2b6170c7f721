"""Jobs outlive the tutor (issue 16): a run sent to Slurm with `S` keeps running when the tutor
quits; the next tutor on the same data folder re-attaches when the step is opened, shows what
happened meanwhile, and stores the finished run exactly once (the run folder's `stored` claim,
and the run id in the store). Real single-node Slurm (tests/slurm_cluster.py), real worker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from slurm_cluster import slurm_cluster  # noqa: F401 - the fixture

from tui_tutor.progress.store import ProgressStore
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.training.view import TrainView

pytestmark = [pytest.mark.slurm, pytest.mark.slow, pytest.mark.xdist_group("slurm")]

LESSON = """---
title: Slurm runs
id: slurm-runs
---

## Train on Slurm

::: train
id: xor
dataset: xor
layers:
  - {units: 4, activation: tanh}
  - {units: 1, activation: sigmoid}
loss: binary_crossentropy
optimizer: adam
learning_rate: 0.05
epochs: 4000
batch_size: 4
seed: 3
:::
"""


def _app(lesson: Path, data: Path) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=data, learner="tester"))


async def _wait(pilot, predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.1)


def _stored(data: Path) -> list[dict]:
    with ProgressStore.open(data / "progress.sqlite3") as store:
        return store.runs("tester", None, "xor")


async def test_a_job_outlives_the_tutor_and_is_reattached_and_stored_once(slurm_cluster, tmp_path):  # noqa: F811
    import os

    data = Path(os.environ["TUI_TUTOR_DATA_DIR"])
    lesson = tmp_path / "slurm.md"
    lesson.write_text(LESSON)

    app = _app(lesson, data)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(TrainView)
        view.focus()
        await pilot.pause()
        await pilot.press("S")
        await _wait(pilot, lambda: bool(view.runs) and view.runs[-1].slurm_job != "" and view.runs[-1].run_id != "", 60, "the job to be submitted")
        record = view.runs[-1]
        assert not record.done
        # quit at once: the job is queued or running, never followed to its end by this tutor
        state = slurm_cluster.run("squeue", "-h", "-j", record.slurm_job, "-o", "%T").stdout.strip()
        assert state in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "COMPLETED"), state
        run_id, job_id = record.run_id, record.slurm_job
    # the tutor quit mid-run: nothing was stored, the job goes on
    assert _stored(data) == []
    folder = data / "runs" / run_id
    assert (folder / "job-id").read_text().strip() == job_id and not (folder / "stored").exists()

    again = _app(lesson, data)
    async with again.run_test(size=(100, 30)) as pilot:
        view = again.screen.query_one(TrainView)
        await _wait(pilot, lambda: bool(view.runs) and view.runs[-1].run_id == run_id, 30, "the re-attached run")
        back = view.runs[-1]
        assert back.slurm_job == job_id and back.settings["epochs"] == 4000
        await _wait(pilot, lambda: back.done, 240, "the run to end")
        await pilot.pause(0.3)
        assert back.outcome == "finished" and back.history.last_epoch == 4000  # what happened meanwhile, too
        assert back.store_id is not None
    rows = _stored(data)
    assert [row["run"]["run_id"] for row in rows] == [run_id] and rows[0]["run"]["slurm_job"] == job_id
    assert (folder / "stored").exists()

    # a third tutor finds nothing to re-attach; the run shows as saved, stored once
    third = _app(lesson, data)
    async with third.run_test(size=(100, 30)) as pilot:
        view = third.screen.query_one(TrainView)
        await pilot.pause(0.5)
        assert not view.running and [r.run_id for r in view.runs] == [run_id]
    assert len(_stored(data)) == 1


async def test_the_view_shows_why_a_batch_run_stopped(tmp_path):
    """A Stopped event's reason (time limit / by you / cancelled) reaches the status line and the stored run."""
    import json

    from tui_tutor.training.events import EpochEnd, Started, Stopped
    from tui_tutor.ui.training.view import ReplayRun

    lesson = tmp_path / "slurm.md"
    lesson.write_text(LESSON)
    data = tmp_path / "d"
    events = [Started("r", {}, 4000), EpochEnd("r", 1, {"loss": 0.7}), EpochEnd("r", 2, {"loss": 0.6}),
              Stopped("r", 2, {"loss": [0.7, 0.6]}, reason="stopped (time limit)")]
    events = [type(e).from_json(json.dumps(e.to_dict())) for e in events]  # as read back from events.jsonl
    app = _app(lesson, data)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(TrainView)
        view.start_run = lambda spec, overrides, emit: ReplayRun(events, emit)
        view.focus()
        await pilot.pause()
        await pilot.press("t")
        await _wait(pilot, lambda: bool(view.runs) and view.runs[-1].done, 30, "the run to end")
        await pilot.pause(0.2)
        status = str(view.query_one(".train-status").render())
        assert "stopped at epoch 2 (time limit)" in status, status
        assert view.runs[-1].failure == "stopped (time limit)"
    assert _stored(data)[0]["run"]["failure"] == "stopped (time limit)"


async def test_every_unstored_job_of_the_step_is_kept_not_only_the_newest(slurm_cluster, tmp_path):  # noqa: F811
    """Two jobs ended while no tutor ran (the learner sent two runs and logged out): the next
    visit stores both, the older straight from its events file, the newer by re-attaching."""
    import json
    import os

    from tui_tutor.slurm.job import write_tutor_info, Job
    from tui_tutor.training.events import EpochEnd, Finished, Started

    data = Path(os.environ["TUI_TUTOR_DATA_DIR"])
    lesson = tmp_path / "slurm.md"
    lesson.write_text(LESSON)
    for number, (run_id, job_id, loss) in enumerate((("xor-old", "9001", 0.41), ("xor-new", "9002", 0.02)), 1):
        folder = data / "runs" / run_id
        folder.mkdir(parents=True)
        events = [Started(run_id, {}, 4000), EpochEnd(run_id, 4000, {"loss": loss}),
                  Finished(run_id, {"epoch": [4000], "loss": [loss]})]
        (folder / "events.jsonl").write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events))
        write_tutor_info(Job(run_id, folder, job_id), {"train_id": "xor", "number": number,
                                                         "settings": {"epochs": 4000, "seed": 3}})
        (folder / "job-id").write_text(job_id + "\n")
        os.utime(folder / "job-id", (1_000_000 + number, 1_000_000 + number))  # the older is older
    app = _app(lesson, data)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(TrainView)
        await _wait(pilot, lambda: len(view.runs) == 2 and all(r.done for r in view.runs), 30, "both runs")
        assert [(r.run_id, r.number, r.outcome) for r in view.runs] == [("xor-old", 1, "finished"),
                                                                          ("xor-new", 2, "finished")]
        assert [round(r.final("loss"), 2) for r in view.runs] == [0.41, 0.02]
    assert sorted(row["run"]["run_id"] for row in _stored(data)) == ["xor-new", "xor-old"]
    assert (data / "runs" / "xor-old" / "stored").exists() and (data / "runs" / "xor-new" / "stored").exists()
