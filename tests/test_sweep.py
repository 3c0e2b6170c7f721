"""Seed sweeps: the tally, its drawing, the `sweep:` key, the array job script, and the
sweep view in lesson 2 driven by keyboard with the real worker (30 real Keras runs)."""

import subprocess
import time
from pathlib import Path

import pytest

from lesson_player import focus_panel, keys_for
from screen_text import screen_text
from tui_tutor.grading import check
from tui_tutor.lesson.loader import load_lesson, parse_lesson
from tui_tutor.lesson.model import LayerSpec, SweepSpec, TrainSpec
from tui_tutor.slurm.follow import SchedulerPoller
from tui_tutor.slurm.job import Job, SiteConfig, job_script
from tui_tutor.slurm.sweep import SlurmSweep
from tui_tutor.training.events import EpochEnd, Failed, Finished, Started
from tui_tutor.training.records import RunRecord
from tui_tutor.training.sweep import SweepTally, loss_histogram, seed_grid

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "02-watch-a-network-learn.md"
SPEC = TrainSpec(id="sw", line=1, layers=(LayerSpec(2, "relu"), LayerSpec(1, "sigmoid")), sweep=SweepSpec(30, 0.1))


def _finished(loss: float) -> Finished:
    return Finished("r", {"epoch": [500], "loss": [loss], "accuracy": [1.0 if loss < 0.1 else 0.5]})


def _tally(losses: dict[int, float]) -> SweepTally:
    tally = SweepTally.for_spec(SPEC)
    for seed, loss in losses.items():
        tally.observe(seed, Started("r", {}, 500))
        tally.observe(seed, _finished(loss))
    return tally


def test_a_tally_counts_solved_seeds_and_survives_the_store_format():
    tally = _tally({1: 0.004, 2: 0.6931, 3: 0.3466, 4: 0.02})
    tally.observe(5, EpochEnd("r", 100, {"loss": 0.5}))
    tally.observe(6, Failed("r", "diverged", "loss is nan", {}))
    assert [tally.outcomes[s].state for s in (1, 5, 6, 7)] == ["finished", "running", "failed", "queued"]
    assert tally.values() == {"sweep_seeds": 30.0, "sweep_done": 5.0, "sweep_solved": 2.0,
                              "sweep_median_loss": pytest.approx((0.02 + 0.3466) / 2)}
    assert tally.summary() == "5 of 30 seeds done, 1 running; solved 2 of 4 (loss < 0.1)"
    tally.observe(1, _finished(0.9))  # a seed that has ended stays as it ended
    assert tally.outcomes[1].loss == 0.004
    record = RunRecord(1, {"hidden_units": 2}, train_id="sw", sweep=tally)
    back = RunRecord.from_dict(record.to_dict())
    assert back.sweep is not None and back.sweep.to_dict() == tally.to_dict()
    assert back.values()["sweep_solved"] == 2.0
    no_rule = SweepTally([1, 2])
    no_rule.observe(1, _finished(0.01))
    assert no_rule.solved(no_rule.outcomes[1]) is None and "sweep_solved" not in no_rule.values()


def test_histogram_and_grid_fit_the_view_and_read_in_ascii():
    tally = _tally({s: (0.003 if s % 4 == 0 else 0.6931 if s % 3 else 0.4774) for s in range(1, 25)})
    for ascii_mode in (False, True):
        lines = loss_histogram(tally, 68, ascii=ascii_mode) + seed_grid(tally, 72, ascii=ascii_mode)
        assert all(len(line) <= 72 for line in lines), lines
        if ascii_mode:
            assert all(line.isascii() for line in lines)
    histogram = loss_histogram(tally, 68)
    assert histogram[0].startswith("0.0-0.1") and histogram[0].endswith(" 6")  # 6 solved seeds
    grid = "\n".join(seed_grid(tally, 72, ascii=True))
    assert "s4  +0.003" in grid and "s5  x0.693" in grid and "s25  queued" in grid


def test_the_sweep_key_is_checked_with_its_line():
    text = """---\nid: t\ntitle: T\n---\n# S\n\n::: train\nid: a\nlayers:\n  - {units: 2, activation: relu}
  - {units: 1, activation: sigmoid}\nsweep: {seeds: 1000, solved_loss: -1, colour: red}\n:::\n"""
    problems = [f"{e.line}: {e.message}" for e in parse_lesson(text, Path("t.md")).errors]
    assert any("seeds" in p and "100" in p for p in problems), problems
    assert any("solved_loss" in p for p in problems) and any("colour" in p for p in problems)
    assert all(p.startswith("12:") for p in problems), problems
    sweep = next(t for s in load_lesson(LESSON).lesson.steps for t in s.items
                 if isinstance(t, TrainSpec) and t.sweep is not None)
    assert (sweep.id, sweep.sweep) == ("xor-sweep", SweepSpec(30, 0.1))
    assert TrainSpec.from_dict(sweep.to_dict()) == sweep


def test_an_array_job_script_runs_one_seed_per_task(tmp_path):
    job = Job(run_id="sw-1", folder=tmp_path)
    script = job_script(job, SPEC, SiteConfig(array_throttle=3), array=30)
    assert "#SBATCH --array=0-29%3" in script
    assert f"#SBATCH --output={tmp_path}/slurm-%a.out" in script
    assert f'--array-task "$SLURM_ARRAY_TASK_ID" --out {tmp_path}/events-"$SLURM_ARRAY_TASK_ID".jsonl' in script
    assert "--array" not in job_script(job, SPEC, SiteConfig())


def test_the_worker_refuses_an_array_task_without_a_seed(tmp_path):
    import json
    import sys

    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps({"spec": SPEC.to_dict(), "sweep_seeds": [1, 2]}))
    done = subprocess.run([sys.executable, "-m", "tui_tutor.training.worker", "--run", str(spec_file),
                           "--array-task", "5", "--out", str(tmp_path / "e.jsonl")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "array task 5 has no seed" in done.stderr


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_task_the_scheduler_forgets_without_a_final_event_fails_with_its_output(tmp_path):
    """Recorded squeue lines: task 0 finishes (its file says so), task 1 vanishes (OOM-killed, say)."""
    clock = _Clock()
    folder = tmp_path / "sw-1"
    folder.mkdir()
    job = Job("sw-1", folder, job_id="42")
    spec = TrainSpec(id="sw", line=1, layers=SPEC.layers, sweep=SweepSpec(2, 0.1))
    answers = ["42_0|tui-tutor-sw-1|RUNNING|None|0:03|15:00|N/A|/x\n42_1|tui-tutor-sw-1|RUNNING|None|0:03|15:00|N/A|/x\n",
               "42_0|tui-tutor-sw-1|COMPLETED|None|0:09|15:00|N/A|/x\n"]

    def runner(command, timeout):
        text = answers.pop(0) if len(answers) > 1 else answers[0]
        return subprocess.CompletedProcess(command, 0, text, "")

    seen = []
    sweep = SlurmSweep.attach(job, spec, lambda seed, event: seen.append((seed, event)),
                              poller=SchedulerPoller(clock=clock, runner=runner), clock=clock, file_interval=0)
    job.task_events(0).write_text(Started("r", {}, 5).to_json() + "\n" + _finished(0.01).to_json() + "\n")
    job.task_output(1).write_text("slurmstepd: error: Detected 1 oom_kill event\n")
    sweep._wake.wait = lambda timeout=None: clock.__setattr__("now", clock.now + 5.0) or True  # 5 s per poll
    tally = sweep.run()
    assert tally.outcomes[1].state == "finished" and tally.solved(tally.outcomes[1])
    failed = tally.outcomes[2]
    assert failed.state == "failed" and "42_1 ended without finishing" in failed.note and "oom_kill" in failed.note
    assert [type(e) for s, e in seen if s == 2] == [Failed]


@pytest.mark.tf
@pytest.mark.slow
async def test_lesson_two_sweep_runs_thirty_real_seeds_and_grades_the_count(tmp_path):
    from tui_tutor.ui.app import AppOptions, TutorApp
    from tui_tutor.ui.questions.panel import QuestionPanel
    from tui_tutor.ui.training.sweep_view import SweepView

    lesson = load_lesson(LESSON).lesson
    index = next(i for i, step in enumerate(lesson.steps)
                 if any(isinstance(t, TrainSpec) and t.sweep for t in step.items))
    options = AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "d", learner="t")
    app = TutorApp(options)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(index):
            app.screen.query_one("#step-body").focus()
            await pilot.press("n")
            await pilot.pause()
        view = app.screen.query_one(SweepView)
        view.focus()
        await pilot.press("t")
        halfway_seen = False
        deadline = time.monotonic() + 240
        while not (view.runs and view.runs[-1].outcome != "running"):
            assert time.monotonic() < deadline
            tally = view.runs[-1].sweep
            if tally is not None and 5 <= tally.done < 30 and "Final training loss" in str(
                    view.query_one(".sweep-histogram").render()):
                halfway_seen = True  # the histogram fills in while seeds are still to come
            await pilot.pause(0.1)
        assert halfway_seen
        record = view.runs[-1]
        assert record.outcome == "finished" and record.sweep is not None
        assert record.values()["sweep_solved"] == 7  # the lesson's claim: 7 of 30
        assert sorted(s for s, o in record.sweep.outcomes.items() if record.sweep.solved(o)) == [1, 6, 7, 10, 15, 20, 24]
        status = str(view.query_one(".train-status").render())
        assert "30 of 30 seeds done; solved 7 of 30" in status
        text = screen_text(app)
        assert all(len(line) <= 80 for line in text.splitlines())
        panel = next(p for p in app.screen.query(QuestionPanel) if p.session.base.id == "sweep-solved")
        await focus_panel(pilot, panel)
        await pilot.press(*keys_for("23"), "enter")
        await pilot.pause()
        assert panel.session.last_result.status == "wrong"
        assert "counts the seeds that failed" in str(panel.render()) or "failed" in screen_text(app)
        panel.query_one("Input").value = ""
        await pilot.press(*keys_for("7"), "enter")
        await pilot.pause()
        assert panel.session.last_result.status == "correct"
    # a restart opens the lesson at this step again and shows the stored sweep
    app = TutorApp(options)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.index == index
        view = app.screen.query_one(SweepView)
        assert view.runs and view.runs[-1].values()["sweep_solved"] == 7
        assert "solved 7 of 30" in str(view.query_one(".train-status").render())
        assert "s7  ✓" in str(view.query_one(".sweep-grid").render())


def test_the_sweep_question_is_graded_against_the_learners_sweep():
    q = next(q for q in load_lesson(LESSON).lesson.questions() if q.id == "sweep-solved")
    mine = RunRecord(1, {}, sweep=_tally({s: (0.01 if s in (2, 9, 11) else 0.69) for s in range(1, 31)})).values()
    assert check(q, "3", mine).status == "correct" and check(q, "7", mine).status == "wrong"
    result = check(q, "27", mine)
    assert result.status == "wrong" and "counts the seeds that failed" in " ".join(result.targeted)
    partial = RunRecord(1, {}, sweep=_tally({1: 0.01})).values()
    assert "not finished every seed" in " ".join(check(q, "5", partial).targeted)


def test_run_settings_pick_the_sweep_the_question_asks_about(tmp_path):
    """A learner who swept 2 units, then 4: the 2-unit question is graded on the 2-unit sweep;
    before any 2-unit sweep it says to train with those settings."""
    from tui_tutor.context import RunResults
    from tui_tutor.progress.store import ProgressStore
    from tui_tutor.session import QuestionSession

    lesson = load_lesson(LESSON).lesson
    q = next(q for q in lesson.questions() if q.id == "sweep-solved")
    assert q.run_settings == (("hidden_units", 2),)
    store = ProgressStore.open(tmp_path / "p.sqlite3")
    runs = RunResults("me", lambda: store)

    def sweep(number: int, units: int, solved: int) -> RunRecord:
        losses = {s: (0.01 if s <= solved else 0.69) for s in range(1, 31)}
        return RunRecord(number, {"hidden_units": units, "seed": 1}, train_id="xor-sweep", outcome="finished",
                         sweep=_tally(losses))

    def session() -> QuestionSession:
        return QuestionSession(q, lesson.id, "me", store, run_values=runs.for_question(q), runs=runs.of_question(q, lesson.id))

    runs.save(lesson.id, sweep(1, 4, 20))
    result = session().check("20")
    assert result.status == "invalid" and "your own run with units 2" in result.message
    runs.save(lesson.id, sweep(2, 2, 7))
    runs.save(lesson.id, sweep(3, 4, 20))
    first = session()
    assert first.check("20").status == "wrong"
    assert first.check("7").status == "correct"
    assert first.run_note.startswith("Graded against sweep 2: seeds 1 to 30, 2 units, 7 of 30 solved."), first.run_note
    store.close()


def test_run_settings_are_checked_with_their_line():
    text = """---\nid: t\ntitle: T\n---\n# S\n\n::: question\nid: q\nkind: numeric\nprompt: p\nanswer: 1
run_settings: {hidden_units: 2}\n:::\n\n::: question\nid: r\nkind: numeric\nprompt: p\nanswer: final_loss
run: nowhere\nrun_settings: {colour: 2}\n:::\n"""
    problems = [f"{e.line}: {e.message}" for e in parse_lesson(text, Path("t.md")).errors]
    assert any(p.startswith("12:") and "goes with `run:`" in p for p in problems), problems
    assert any("colour" in p for p in problems), problems
