"""Practice to mastery and the review list (issue: variants, mastery, review)."""

import re
from pathlib import Path

from lesson_player import focus_panel, keys_for
from screen_text import screen_text
from tui_tutor.grading.scoring import Rules
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.progress.store import ProgressStore
from tui_tutor.review import plain_text, review, review_items
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.screens.review import DrillScreen, ReviewScreen

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "01-introduction.md"
LESSON_TWO = LESSON.parent / "02-watch-a-network-learn.md"


def _neuron_panel(app) -> QuestionPanel:
    return next(p for p in app.screen.query(QuestionPanel) if p.session.base.id == "neuron-output")


def _shown_numbers(panel: QuestionPanel) -> str:
    return panel.query_one(".q-prompt").source


async def _leave_field(pilot) -> None:
    """Esc out of a text field (Esc elsewhere means "back")."""
    if type(pilot.app.focused).__name__ in ("Input", "TypedAnswer", "TableAnswer"):
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
        await pilot.press("q")  # back to the lessons
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
        shown = screen_text(app)
        assert "Introduction to deep learning" in shown and "A neuron has inputs X = (0, 0.5, 1)" in shown
        assert "neuron-output" not in shown  # titles and prompts, not ids
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


# -- issue 12 item 6: what the review lists, and the practice screen's keys -------------------

def _answer_everything_wrongly(data_dir: Path, lessons: list[Path]) -> None:
    """Every counted question of `lessons` answered once, wrongly (so all are in the review)."""
    store = ProgressStore.open(data_dir / "progress.sqlite3")
    for path in lessons:
        lesson = load_lesson(path).lesson
        for question in lesson.questions():
            store.record_answer("tester", lesson.id, question.id, answer="0.25", status="wrong", score=0.0)
    store.close()


def test_questions_about_a_training_run_are_not_offered(tmp_path):
    _answer_everything_wrongly(tmp_path, [LESSON_TWO])
    lessons = [load_lesson(LESSON_TWO).lesson]
    store = ProgressStore.open(tmp_path / "progress.sqlite3")
    found = review(lessons, store, "tester")
    store.close()
    about_runs = {i.question.id for i in found.about_runs}
    assert about_runs == {q.id for q in lessons[0].questions() if q.run} == {"xor-final-loss", "own-h1", "sweep-solved", "overfit-best-epoch"}
    assert not any(i.question.run for i in found.items) and found.items


async def test_the_list_shows_titles_and_rendered_prompts_within_80_columns(tmp_path):
    _answer_everything_wrongly(tmp_path / "d", [LESSON, LESSON_TWO])
    app = TutorApp(AppOptions(lesson_paths=[LESSON, LESSON_TWO], data_dir=tmp_path / "d", learner="tester",
                              start_review=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        shown = screen_text(app)
        lines = shown.splitlines()
        assert all(len(line) <= 80 for line in lines)
        # Not offered, and the review says why in one line.
        assert "Train the network above" not in shown
        note = [line for line in lines if "training run" in line]
        assert len(note) == 1 and "Not here: 4 questions" in note[0], note
        assert not any(item.question.run for item in screen.items)
        # Lesson titles as headings, each question one line: its status and its prompt as plain text.
        assert "Introduction to deep learning" in shown and "Watch a network learn" in shown
        assert not any(item.question.id in shown for item in screen.items), "no ids"
        assert "{" not in shown and "*" not in shown and "`" not in shown, "no templates, no Markdown"
        assert re.search(r"A Dense layer has \d+ units and receives \d+ inputs", shown)  # the variant's numbers
        assert "An outlier is" in shown  # `*outlier*` in the lesson
        rows = [line for line in lines if "not yet right" in line]
        assert rows and all(line.rstrip(" ▎|").endswith("…") or len(line.rstrip()) < 76 for line in rows)
        assert len(screen.rows) == len(screen.items) + 2  # two lesson titles
        # The rows also fit a narrow terminal: cut again for its width.
        await pilot.resize_terminal(50, 24)
        await pilot.pause()
        assert all(len(line) <= 50 for line in screen_text(app).splitlines())
        assert any("not yet right" in line and line.rstrip(" ▎|").endswith("…") for line in screen_text(app).splitlines())


async def test_the_practice_screen_names_keys_that_work(tmp_path):
    """After a right answer the practice screen says "n" for the next question, and n does that
    (it is not typed into the field); q goes back to the review."""
    _answer_everything_wrongly(tmp_path / "d", [LESSON])
    app = TutorApp(AppOptions(lesson_paths=[LESSON], data_dir=tmp_path / "d", learner="tester", start_review=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        review_screen = app.screen
        assert isinstance(review_screen, ReviewScreen)
        neuron = next(i for i, row in enumerate(review_screen.rows) if row and row.question.id == "neuron-output")
        review_screen.query_one("OptionList").highlighted = neuron
        await pilot.press("enter")
        await pilot.pause()
        drill = app.screen
        assert isinstance(drill, DrillScreen) and drill.item.question.id == "neuron-output"
        panel = drill.query_one(QuestionPanel)
        await pilot.press(*keys_for(repr(float(panel.session.question.answer))), "enter")
        await pilot.pause()
        assert panel.session.last_result.status == "correct"
        next_line = str(panel.query_one(".q-next").render())
        assert "n for the next question" in next_line and "next step" not in next_line, next_line
        field = panel.query_one("#answer")
        typed = str(getattr(field, "value", ""))
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        assert str(getattr(field, "value", "")) == typed, "n was not typed into the field"
        assert isinstance(app.screen, DrillScreen) and app.screen is not drill, "n opened the next question"
        assert app.screen.item.question.id != "neuron-output"
        await _leave_field(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is review_screen, (app.screen.item.question.id, app.focused)


def test_plain_text_of_markdown_prompts():
    assert plain_text("Which point is an *outlier*?") == "Which point is an outlier?"
    assert plain_text("**Bold**, __strong__, _it_ and [a link](https://x.org)") == "Bold, strong, it and a link"
    assert plain_text("Type `max(0, 2*0.5 - 1)` or $w x + b$; it costs $5") == "Type max(0, 2*0.5 - 1) or w x + b; it costs $5"
    assert plain_text("# Heading\n\n- one\n- two <!-- note -->\n> quoted") == "Heading one two quoted"
    assert plain_text("snake_case and 2*3*4 and \\*literal\\*") == "snake_case and 2*3*4 and *literal*"
