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
