"""Slurm without a cluster: squeue parsing on recorded outputs, pending reasons, the poller's
backoff on an injected clock, the events-file follower, the site config and the job script."""

import itertools
import json
import subprocess
from pathlib import Path

import pytest

from tui_tutor.lesson.loader import parse_lesson
from tui_tutor.lesson.model import LayerSpec, Resources, TrainSpec
from tui_tutor.slurm.follow import (
    EventFollower,
    SchedulerPoller,
    SchedulerUnknown,
    describe_job,
    describe_reason,
    parse_squeue,
    query_jobs,
)
from tui_tutor.slurm.job import SiteConfig, SiteConfigError, SlurmError, parse_site_config, prepare_job
from tui_tutor.training.events import EpochEnd, Finished, Started

DATA = Path(__file__).parent / "data" / "slurm"
SPEC = TrainSpec(id="xor", line=1, layers=(LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")), epochs=3)


# --------------------------------------------------------------------------- squeue output
def test_parse_recorded_squeue_output():
    jobs = {job.name: job for job in parse_squeue((DATA / "squeue-mixed.txt").read_text())}
    assert jobs["tui-tutor-xor-held"].state == "PENDING" and jobs["tui-tutor-xor-held"].reason == "JobHeldUser"
    assert jobs["tui-tutor-xor-later"].reason == "BeginTime"
    assert jobs["tui-tutor-xor-big"].reason == "PartitionConfig"
    assert jobs["tui-tutor-xor-dep"].reason == "DependencyNeverSatisfied"
    assert jobs["tui-tutor-xor-running"].state == "CANCELLED" and jobs["tui-tutor-xor-running"].finished
    assert jobs["tui-tutor-xor-done"].state == "COMPLETED"
    assert jobs["tui-tutor-xor-done"].run_id == "xor-done"
    assert jobs["tui-tutor-xor-done"].folder == "/work/main"
    running = parse_squeue((DATA / "squeue-running-and-resources.txt").read_text())
    assert [(j.state, j.reason, j.time_limit) for j in running] == [
        ("PENDING", "Resources", "10:00"), ("RUNNING", "None", "5:00")]


def test_parse_skips_lines_that_do_not_fit():
    assert parse_squeue("garbage\n\n|||\n") == []


@pytest.mark.parametrize(("reason", "group"), [
    ("Resources", "waiting"), ("Priority", "waiting"), ("BeginTime", "waiting"), ("JobHeldUser", "waiting"),
    ("ReqNodeNotAvail, UnavailableNodes:node[1-2]", "waiting"),
    ("QOSMaxJobsPerUserLimit", "limit"), ("AssocGrpGRESMinutes", "limit"), ("QOSMaxWallDurationPerJobLimit", "limit"),
    ("PartitionConfig", "never"), ("DependencyNeverSatisfied", "never"),
])
def test_pending_reasons_in_plain_words(reason, group):
    found, words = describe_reason(reason)
    assert found == group
    assert words and reason.split(",")[0] not in ("",)


def test_describe_job_lines():
    jobs = {j.name: j for j in parse_squeue((DATA / "squeue-mixed.txt").read_text())}
    assert "queued, will never start" in describe_job(jobs["tui-tutor-xor-big"])
    assert "held by you" in describe_job(jobs["tui-tutor-xor-held"])
    assert "unknown" in describe_job(None)


def _answer(stdout="", stderr="", rc=0):
    def runner(command, timeout):
        assert timeout > 0  # every call is time-limited
        assert command[:3] == ["squeue", "--states=all", "-h"]
        return subprocess.CompletedProcess(command, rc, stdout, stderr)
    return runner


def test_query_keeps_only_tutor_jobs():
    jobs = query_jobs(user="me", runner=_answer((DATA / "squeue-mixed.txt").read_text()))
    assert "other-job" not in {j.name for j in jobs} and len(jobs) == 6


@pytest.mark.parametrize("name", ["squeue-socket-timeout.stderr", "squeue-unable-to-contact.stderr"])
def test_scheduler_errors_are_unknown_never_failed(name):
    with pytest.raises(SchedulerUnknown):
        query_jobs(user="me", runner=_answer(stderr=(DATA / name).read_text(), rc=1))
    poller = SchedulerPoller(runner=_answer(stderr=(DATA / name).read_text(), rc=1), clock=lambda: 0.0)
    assert poller.poll() is None and "slurm" in (poller.error or "").lower()


def test_a_timeout_is_unknown():
    def slow(command, timeout):
        raise subprocess.TimeoutExpired(command, timeout)
    assert SchedulerPoller(runner=slow, clock=lambda: 0.0).poll() is None


def test_poller_asks_rarely_for_one_running_job():
    now = [0.0]
    line = "12|tui-tutor-xor-1|RUNNING|None|0:10|10:00|2026-11-26T02:31:55|/runs/xor-1\n"
    poller = SchedulerPoller(runner=_answer(line), clock=lambda: now[0], user="me")
    seen = []
    while now[0] <= 60.0:  # the follower's loop ticks every 0.5 s for 60 s of simulated time
        jobs = poller.poll()
        seen.append(jobs)
        now[0] += 0.5
    assert poller.calls <= 8, poller.calls
    assert poller.calls >= 5
    assert all(jobs and jobs["12"].state == "RUNNING" for jobs in seen)


def test_poller_backs_off_to_about_a_minute_and_resets_on_change():
    now = [0.0]
    answers = ["1|tui-tutor-a|PENDING|Priority|0:00|5:00|N/A|/r\n"]
    poller = SchedulerPoller(runner=lambda c, t: subprocess.CompletedProcess(c, 0, answers[0], ""),
                             clock=lambda: now[0])
    times = []
    while now[0] < 400:
        if poller.due():
            poller.poll()
            times.append(now[0])
        now[0] += 0.25
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[:5] == pytest.approx([2, 4, 8, 16, 30], abs=0.3)
    assert all(50 <= gap <= 70 for gap in gaps[5:])
    answers[0] = "1|tui-tutor-a|RUNNING|None|0:01|5:00|N/A|/r\n"
    poller.poll(force=True)
    assert poller.delay() == 2.0


# --------------------------------------------------------------------------- the events file
def test_follower_keeps_a_partial_line_and_sees_the_end(tmp_path):
    path = tmp_path / "events.jsonl"
    follower = EventFollower(path)
    assert follower.poll() == []  # no file yet
    started = Started("r", {}, 3).to_json()
    epoch = EpochEnd("r", 1, {"loss": 0.5}, 0.1).to_json()
    path.write_text(started + "\n" + epoch[:10])
    assert [type(e) for e in follower.poll()] == [Started]
    with open(path, "a") as stream:
        stream.write(epoch[10:] + "\n")
    assert [type(e) for e in follower.poll()] == [EpochEnd]
    assert not follower.finished
    with open(path, "a") as stream:
        stream.write("not json\n" + json.dumps({**Finished("r").to_dict(), "extra": 1}) + "\n")
    assert [type(e) for e in follower.poll()] == [Finished]
    assert follower.finished and follower.bad_lines == 1


# --------------------------------------------------------------------------- site config and job
def test_site_config_reads_and_reports_path_and_line(tmp_path):
    path = tmp_path / "site.yaml"
    config = parse_site_config("partition: gpu\naccount: proj1\ntime: '00:30:00'\nkeras_backend: jax\n"
                               "sbatch: ['--constraint=a100']\npreamble: ['module load x']\n", path)
    assert config.partition == "gpu" and config.keras_backend == "jax" and config.sbatch == ("--constraint=a100",)
    with pytest.raises(SiteConfigError) as info:
        parse_site_config("partition: gpu\ntime: soon\nkeras_backend: mxnet\nsbatch: [constraint]\ncolour: red\n", path)
    problems = info.value.problems
    assert any(p.startswith(f"{path}:2:") and "time" in p for p in problems)
    assert any(p.startswith(f"{path}:3:") for p in problems)
    assert any(p.startswith(f"{path}:4:") and "sbatch" in p for p in problems)
    assert any(p.startswith(f"{path}:5:") and "colour" in p for p in problems)


def test_job_folder_spec_and_script(tmp_path):
    spec = TrainSpec(id="xor", line=1, layers=SPEC.layers, epochs=3, target="slurm",
                     resources=Resources(time="00:05:00", cpus=2, partition="debug"))
    site = SiteConfig(account="proj1", keras_backend="torch", sbatch=("--constraint=x",), preamble=("module load y",))
    job = prepare_job(spec, {"epochs": 2}, site=site, runs_dir=tmp_path, run_id="xor-1")
    assert job.folder == tmp_path / "xor-1"
    request = json.loads(job.spec_file.read_text())
    assert request["spec"]["epochs"] == 3 and request["overrides"] == {"epochs": 2}
    assert TrainSpec.from_dict(request["spec"]).resources == spec.resources
    script = job.script.read_text()
    for line in ("#SBATCH --job-name=tui-tutor-xor-1", f"#SBATCH --output={job.folder}/slurm.out",
                 "#SBATCH --open-mode=append", "#SBATCH --signal=B:USR1@", "#SBATCH --time=00:05:00",
                 "#SBATCH --cpus-per-task=2", "#SBATCH --partition=debug", "#SBATCH --account=proj1",
                 "#SBATCH --constraint=x", "module load y", "export KERAS_BACKEND=torch",
                 "-u -m tui_tutor.training.worker", "--run", "--out"):
        assert line in script, line
    with pytest.raises(SlurmError, match="cannot create the run folder"):
        prepare_job(spec, {}, runs_dir=tmp_path, run_id="xor-1")  # exists already
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SlurmError, match="cannot create the run folder"):
        prepare_job(spec, {}, runs_dir=blocker, run_id="x")


def test_the_default_run_folder_is_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_TUTOR_DATA_DIR", str(tmp_path / "d"))
    job = prepare_job(SPEC, {}, run_id="xor-2")
    assert job.folder == tmp_path / "d" / "runs" / "xor-2"


LESSON = """---
id: s
title: S
---
## Step

::: train
id: big
target: {target}
layers: [{{units: 1, activation: sigmoid}}]
resources:
  time: {time}
  cpus: 2
  gpus: 1
  partition: gpu
:::
"""


def test_loader_reads_target_and_resources():
    lesson, problems = _load(LESSON.format(target="slurm", time="'1:00:00'"))
    assert problems == []
    spec = lesson.steps[0].items[0]
    assert spec.target == "slurm" and spec.resources == Resources(time="1:00:00", cpus=2, gpus=1, partition="gpu")


def test_loader_reports_bad_target_and_time_at_their_lines():
    _, problems = _load(LESSON.format(target="cloud", time="soon"))
    text = "\n".join(problems)
    assert ":9:" in text and "target" in text
    assert ":12:" in text and "time" in text


def _load(text):
    result = parse_lesson(text, Path("s.md"))
    return result.lesson, [str(p) for p in result.errors]


def test_a_stopped_events_reason_is_kept_when_read_back():
    from tui_tutor.training.events import Stopped as StoppedEvent
    from tui_tutor.training.events import event_from_json as from_json
    from tui_tutor.training.records import RunRecord as Record

    line = '{"event": "Stopped", "run_id": "r", "epoch": 3, "history": {}, "reason": "stopped (time limit)"}'
    event = from_json(line)
    assert isinstance(event, StoppedEvent) and event.reason == "stopped (time limit)"
    assert "reason" not in StoppedEvent("r", 1).to_dict() and StoppedEvent("r", 1).to_dict()["epoch"] == 1
    record = Record(1, {})
    record.observe(event)
    assert record.failure == "stopped (time limit)"


def test_site_config_option_is_checked_and_passed_to_the_slurm_source(tmp_path, monkeypatch):
    from tui_tutor import cli
    from tui_tutor.slurm.job import SITE_CONFIG_ENV, load_site_config

    monkeypatch.delenv(SITE_CONFIG_ENV, raising=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("partition: gpu\ntime: soon\n")
    problem = cli._use_site_config(bad)
    assert problem is not None and f"{bad}:2:" in problem and SITE_CONFIG_ENV not in __import__("os").environ
    good = tmp_path / "site.yaml"
    good.write_text("partition: gpu\ntime: '00:10:00'\n")
    assert cli._use_site_config(good) is None
    site = load_site_config()  # what the training view's Slurm source reads
    assert site.partition == "gpu" and site.time == "00:10:00" and site.path == good
    assert cli._app_parser().parse_args(["--site-config", str(good)]).site_config == good


# --------------------------------------------------------------------------- following, with a fake scheduler
def test_while_events_flow_the_scheduler_is_asked_about_once_a_minute():
    now = [0.0]
    line = "12|tui-tutor-xor-1|RUNNING|None|0:10|10:00|2026-11-26T02:31:55|/runs/xor-1\n"
    poller = SchedulerPoller(runner=_answer(line), clock=lambda: now[0], user="me")
    poller.poll()
    poller.events_flowing()  # the follower saw the job's first events
    times = []
    while now[0] <= 180.0:
        if poller.due():
            poller.poll()
            times.append(now[0])
        now[0] += 0.5
    assert all(gap >= 50 for gap in (b - a for a, b in itertools.pairwise(times))), times
    assert len(times) <= 4


def test_a_slow_scheduler_never_holds_back_the_events(tmp_path):
    """A background poller answers at once with what it knew while squeue takes its time."""
    import threading
    import time

    release = threading.Event()

    def slow(command, timeout):
        release.wait(5)
        return subprocess.CompletedProcess(command, 0, "12|tui-tutor-x|RUNNING|None|0:01|5:00|N/A|/r\n", "")

    poller = SchedulerPoller(runner=slow, background=True)
    start = time.monotonic()
    assert poller.poll() is None  # nothing known yet; the query runs in its own thread
    assert poller.poll() is None  # no second query while the first runs
    assert time.monotonic() - start < 0.5
    release.set()
    deadline = time.monotonic() + 5
    while poller.jobs is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert poller.poll() is not None and poller.calls == 1


def test_stopping_a_job_whose_events_arrived_stops_it_even_if_squeue_still_says_pending(tmp_path):
    """The scheduler's word lags (a poll a minute): a job that already writes events is stopped
    after its batch (USR1), never cancelled as a job that never started."""
    from tui_tutor.slurm.follow import SlurmRun
    from tui_tutor.slurm.job import Job

    folder = tmp_path / "xor-1"
    folder.mkdir()
    job = Job("xor-1", folder, job_id="12")
    (folder / "events.jsonl").write_text(Started("xor-1", {}, 3).to_json() + "\n")
    commands = []

    def runner(command, timeout):
        commands.append(command)
        if command[0] == "squeue":
            return subprocess.CompletedProcess(command, 0, "12|tui-tutor-xor-1|PENDING|Priority|0:00|5:00|N/A|/r\n", "")
        with open(folder / "events.jsonl", "a") as stream:  # the job stops after its batch
            stream.write(json.dumps({"event": "Stopped", "run_id": "xor-1", "epoch": 1, "history": {},
                                     "reason": "stopped (by you)"}) + "\n")
        return subprocess.CompletedProcess(command, 0, "", "")

    run = SlurmRun.attach(job, SPEC, lambda event: None, poller=SchedulerPoller(runner=runner), runner=runner,
                          file_interval=0.01, clock=lambda: 0.0)
    run.stop()
    import threading

    done: list = []
    thread = threading.Thread(target=lambda: done.append(run.run()), daemon=True)
    thread.start()
    thread.join(10)
    run.detach()  # whatever happened, the follower ends
    assert done, "the stop never ended the run"
    final = done[0]
    assert final is not None and final.reason == "stopped (by you)"
    assert ["scancel", "-b", "-s", "USR1", "12"] in commands and ["scancel", "12"] not in commands
    assert (folder / "stop-requested").exists()
