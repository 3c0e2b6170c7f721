"""Practice to mastery and the review list (issue: variants, mastery, review)."""

from pathlib import Path

from lesson_player import focus_panel, keys_for
from screen_text import screen_text
from tui_tutor.grading.scoring import Rules
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.progress.store import ProgressStore
from tui_tutor.review import review_items
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.screens.review import DrillScreen, ReviewScreen

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "01-introduction.md"


def _neuron_panel(app) -> QuestionPanel:
    return next(p for p in app.screen.query(QuestionPanel) if p.session.base.id == "neuron-output")


def _shown_numbers(panel: QuestionPanel) -> str:
    return panel.query_one(".q-prompt").source


async def _leave_field(pilot) -> None:
    """Esc out of a text field (Esc elsewhere means "back")."""
    if type(pilot.app.focused).__name__ in ("Input", "TypedAnswer"):
        await pilot.press("escape")
        await pilot.pause()


async def _type_answer(pilot, panel: QuestionPanel, value: float) -> None:
    await focus_panel(pilot, panel)
    field = panel.query_one("Input")
    field.value = ""  # clear what the last variant left (ctrl+u would do it by keyboard too)
    await pilot.press(*keys_for(repr(float(value))), "enter")
    await pilot.pause()


async def test_wrong_reveal_new_variants_until_mastered_and_off_the_review_list(tmp_path):
    app = TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "d", learner="tester"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        step = next(i for i, s in enumerate(app.screen.lesson.steps) if any(q.id == "neuron-output" for q in s.questions()))
        await app.screen.show_step(step)
        await pilot.pause()
        panel = _neuron_panel(app)
        await focus_panel(pilot, panel)
        await pilot.press(*keys_for("0.25"), "enter")
        await pilot.pause()
        assert panel.session.last_result.status == "wrong"
        await _leave_field(pilot)
        await pilot.press("s")  # reveal
        await pilot.pause()
        assert panel.session.revealed and "1.25" in str(panel.query_one(".q-solution").source)
        first_numbers = _shown_numbers(panel)
        for expected_streak in (1, 2):
            await _leave_field(pilot)
            await pilot.press("v")  # a fresh variant
            await pilot.pause()
            panel = _neuron_panel(app)
            assert _shown_numbers(panel) != first_numbers, "new numbers on screen"
            first_numbers = _shown_numbers(panel)
            await _type_answer(pilot, panel, panel.session.question.answer)
            assert panel.session.last_result.status == "correct", screen_text(app)
            assert panel.session.streak == expected_streak
        assert panel.session.mastered
        # The review list no longer offers it.
        await _leave_field(pilot)
        await pilot.press("escape")  # back to the lessons
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        listed = [item.question.id for item in app.screen.items]
        assert "neuron-output" not in listed and "mse-table" in listed


async def test_review_drills_a_missed_question_with_fresh_numbers(tmp_path):
    lesson = load_lesson(LESSON).lesson
    store = ProgressStore.open(tmp_path / "d" / "progress.sqlite3")
    question = next(q for q in lesson.questions() if q.id == "neuron-output")
    store.record_answer("tester", lesson.id, question.id, answer="0.25", status="wrong", score=0.0)
    store.close()
    app = TutorApp(AppOptions(lesson_paths=[LESSON], data_dir=tmp_path / "d", learner="tester", start_review=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.items[0].question.id == "neuron-output"  # met but not right: first in line
        assert "neuron-output" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)
        assert app.screen.session.variant == 1  # already answered once: fresh numbers
        assert "X = (0, 0.5, 1)" not in app.screen.query_one(".q-prompt").source


def test_review_order_least_recently_correct_first(tmp_path):
    lesson = load_lesson(LESSON).lesson
    store = ProgressStore.open(tmp_path / "p.sqlite3")
    def rules(qid):
        return Rules.for_question(next(q for q in lesson.questions() if q.id == qid), lesson.mastery)

    store.record_answer("t", lesson.id, "xor-logic", answer="XOR", status="correct", score=1.0,
                        rules=rules("xor-logic"))  # mastered (no variants)
    store.record_answer("t", lesson.id, "xor-table", answer={}, status="wrong", score=0.0, rules=rules("xor-table"))  # never right
    store.record_answer("t", lesson.id, "neuron-output", answer="1.25", status="correct", score=1.0,
                        rules=rules("neuron-output"))  # one correct first try: not yet mastered
    items = [i.question.id for i in review_items([lesson], store, "t")]
    assert "xor-logic" not in items
    assert items[:2] == ["xor-table", "neuron-output"]  # never correct, then correct but not mastered
    store.close()
