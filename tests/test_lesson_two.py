"""Lesson 2: questions graded against the learner's own training run."""

import time
from pathlib import Path

import pytest

from lesson_player import focus_panel, keys_for
from tui_tutor.training.history import RunHistory, run_values
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.training.view import TrainView

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "02-watch-a-network-learn.md"


def test_run_values_read_the_history():
    history = RunHistory()
    for epoch, (loss, val) in enumerate([(0.9, 0.8), (0.5, 0.4), (0.3, 0.5)], start=1):
        history.add(epoch * 5, {"loss": loss, "val_loss": val})
    values = run_values(history)
    assert values["final_loss"] == 0.3 and values["best_val_epoch"] == 10.0 and values["best_val_loss"] == 0.4
    assert values["epochs_run"] == 15.0 and "final_accuracy" not in values


async def test_final_loss_question_is_graded_against_the_learners_run(tmp_path):
    app = TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "d", learner="t"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        panel = next(p for p in app.screen.query(QuestionPanel) if p.session.base.id == "xor-final-loss")
        await focus_panel(pilot, panel)
        await pilot.press(*keys_for("0.5"), "enter")
        await pilot.pause()
        assert panel.session.last_result is None  # not an attempt: there is no run yet
        assert "train the model first" in str(panel.query_one(".q-status").render())
        view = app.screen.query_one(TrainView)
        await pilot.press("escape")
        view.focus()
        await pilot.press("t")
        deadline = time.monotonic() + 120
        while not (view.runs and view.runs[-1].outcome != "running"):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        assert view.runs[-1].outcome == "finished"
        final = view.runs[-1].final("loss")
        await focus_panel(pilot, panel)
        panel.query_one("Input").value = ""
        await pilot.press(*keys_for(f"{final + 0.05:.2f}"), "enter")
        await pilot.pause()
        assert panel.session.last_result.status == "wrong"
        panel.query_one("Input").value = ""
        await pilot.press(*keys_for(f"{final:.2f}"), "enter")
        await pilot.pause()
        assert panel.session.last_result.status == "correct"


def test_no_widget_shows_an_answer_before_its_question():
    from test_lesson_one import give_aways

    assert give_aways(LESSON) == []


@pytest.mark.parametrize("qid, right, wrong, says", [
    ("constant-half-loss", "0.693", "2.773", "sum over the four samples"),
    ("constant-half-loss", "log(2)", "0.301", "base-10 logarithm"),
    ("plateau-loss", "0.347", "0.693", "mean over all four"),
    ("hand-weights-loss", "0.503", "2.013", "their mean"),
])
def test_loss_questions_take_the_computed_value_and_name_the_usual_slips(qid, right, wrong, says):
    from tui_tutor.grading import check
    from tui_tutor.lesson.loader import load_lesson

    q = next(q for q in load_lesson(LESSON).lesson.questions() if q.id == qid)
    assert check(q, right, {}).status == "correct"
    result = check(q, wrong, {})
    assert result.status == "wrong" and says in " ".join(result.targeted), result


RUNS = Path(__file__).resolve().parent / "data" / "runs"


def _stored_seed_two_run():
    """Lesson 2's stuck run (xor-2, seed 2), replayed from its recorded events and read back
    from the form the progress store keeps."""
    from tui_tutor.training.events import event_from_json
    from tui_tutor.training.records import RunRecord

    record = RunRecord(number=3, settings={"seed": 2, "hidden_activation": "relu", "hidden_units": 2}, train_id="xor-2")
    for line in (RUNS / "xor2-seed2.jsonl").read_text(encoding="utf-8").splitlines():
        record.observe(event_from_json(line))
    record.outcome = "finished"
    return RunRecord.from_dict(record.to_dict())


def test_hidden_unit_values_come_from_the_runs_weights():
    values = _stored_seed_two_run().values()
    w1, w2, b = values["h1_w1"], values["h1_w2"], values["h1_b"]
    assert values["h1_10"] == pytest.approx(max(0.0, w1 + b)) and values["h1_01"] == pytest.approx(max(0.0, w2 + b))
    assert values["h1_11"] == pytest.approx(max(0.0, w1 + w2 + b)) and values["h1_00"] == pytest.approx(max(0.0, b))
    assert values["h2_10"] == 0.0 and values["h2_w1"] + values["h2_b"] < 0  # the dead unit
    assert "h3_10" not in values  # two units only
    assert not any(name.startswith("h1_") for name in run_values(RunHistory.from_dict({"epoch": [1], "loss": [0.5]})))


def test_own_weights_question_is_graded_against_the_stored_seed_two_run():
    from tui_tutor.grading import check
    from tui_tutor.lesson.loader import load_lesson

    q = next(q for q in load_lesson(LESSON).lesson.questions() if q.id == "own-h1")
    assert q.run == "xor-2"
    values = _stored_seed_two_run().values()
    h1 = values["h1_10"]
    assert h1 == pytest.approx(0.36, abs=0.01)  # this recording: weights 0.00, bias +0.36
    assert check(q, f"{h1:.2f}", values).status == "correct"
    result = check(q, "0", values)  # weights only: the bias forgotten
    assert result.status == "wrong" and "bias is missing" in " ".join(result.targeted), result
    # another run, whose h1 sum is negative at (1, 0): leaving out ReLU is named
    other = {**values, "h1_w1": -0.8, "h1_b": 0.3, "h1_10": 0.0, "h1_01": 0.3}
    result = check(q, "-0.5", other)
    assert result.status == "wrong" and "ReLU" in " ".join(result.targeted), result
    assert check(q, "0", other).status == "correct"
