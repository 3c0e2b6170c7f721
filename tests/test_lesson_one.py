"""Lesson 1 as a learner meets it: played by keyboard in a pilot at 80x24."""

from pathlib import Path

import pytest

import re

from lesson_player import answer, assert_steps_fit, focus_panel, keys_for, order_by_keys
from lesson_player import right_answers
from screen_text import screen_text

from tui_tutor.lesson.loader import load_lesson
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.screens.lesson import LessonScreen
from tui_tutor.ui.widgets.interactive.base import InteractiveWidget

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "01-introduction.md"

def _app(tmp_path: Path) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON, data_dir=tmp_path / "data", learner="tester"))


def _step_of(question_id: str) -> int:
    lesson = load_lesson(LESSON).lesson
    for index, step in enumerate(lesson.steps):
        if any(q.id == question_id for q in step.questions()):
            return index
    raise KeyError(question_id)


async def _go_to(pilot, step: int) -> None:
    """Jump with the step list, as a learner would."""
    app = pilot.app
    app.screen.query_one("#step-body").focus()
    await pilot.press("l")
    await pilot.pause()
    current = app.screen.query_one("OptionList").highlighted
    key = "down" if step > current else "up"
    for _ in range(abs(step - current)):
        await pilot.press(key)
    await pilot.press("enter")
    await pilot.pause()
    assert f"Step {step + 1} of" in screen_text(app)


@pytest.mark.slow
async def test_whole_lesson_played_by_keyboard_ends_at_full_score(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        total = len(screen.lesson.steps)
        answered = []
        for _ in range(total):
            for panel in list(screen.query(QuestionPanel)):
                question = panel.session.base
                if question.kind == "order":
                    await focus_panel(pilot, panel)
                    await order_by_keys(pilot, panel, list(range(len(question.items))))
                    await pilot.press("enter")
                elif question.kind == "reflect":
                    await answer(pilot, panel, keys_for("a classifier for my microscope images") + ["enter"])
                else:
                    await answer(pilot, panel, right_answers(question.id))
                await pilot.pause()
                status = panel.session.last_result.status
                assert status == ("saved" if question.kind == "reflect" else "correct"), (question.id, status)
                answered.append(question.id)
            screen.query_one("#step-body").focus()
            await pilot.press("n")
            await pilot.pause()
        assert f"Step {total} of {total}" in screen_text(app)
        summary = str(screen.query_one(".score-summary").render())
        assert "Lesson score" in summary and "100%" in summary.splitlines()[-1]
        assert "not answered" not in summary
    graded = [q.id for q in load_lesson(LESSON).lesson.questions() if q.graded]
    assert set(graded) <= set(answered)
    # Reflections are kept with the learner's progress.
    from tui_tutor.progress.store import ProgressStore

    store = ProgressStore.open(tmp_path / "data" / "progress.sqlite3")
    assert store.question_state("tester", "intro-deep-learning", "workflow-reflect-1").last_answer == "a classifier for my microscope images"
    store.close()


@pytest.mark.parametrize(
    "question_id, wrong_keys, expected",
    [
        ("neuron-output", keys_for("0.25") + ["enter"], "Add the bias b = 1"),
        ("neuron-output", keys_for("0.25+1-2") + ["enter"], "subtracted the bias"),
        ("mse-table", ["3", "down", "0", "down", "1", "down", *keys_for("3.5"), "enter"], "Square it too"),
        ("mse-table", ["9", "down", "0", "down", "1", "down", *keys_for("14"), "enter"], "divide by the number of samples"),
        ("xor-table", ["0", "down", "1", "down", "1", "down", "1", "enter"], "work out h2 again"),
        ("xor-logic", keys_for("OR") + ["enter"], "Not yet"),
        ("dense-params", keys_for("14") + ["enter"], "Every unit has a weight for every input"),
        ("outlier-sensitivity", ["b", "enter"], "grows linearly"),
        ("dl-problems", ["a", "b", "e", "enter"], "ordinary code give the exact numbers"),
        ("activation-matching", ["b", "c", "b", "a", "b", "b", "c", "enter"], "statement 1"),
    ],
)
async def test_typical_mistakes_get_targeted_feedback(tmp_path, question_id, wrong_keys, expected):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _go_to(pilot, _step_of(question_id))
        panel = next(p for p in app.screen.query(QuestionPanel) if p.session.base.id == question_id)
        await answer(pilot, panel, wrong_keys)
        result = panel.session.last_result
        assert result.status in ("wrong", "partial")
        shown = str(panel.query_one(".q-status").render()) + str(panel.query_one(".q-parts").render())
        assert expected.lower() in shown.lower(), shown


@pytest.mark.slow
async def test_every_step_fits_80_columns_without_horizontal_scrolling(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await assert_steps_fit(pilot, drawn_text=True)


# -- nothing gives an answer away before its question ------------------------------------


def widget_texts(lesson_path: Path) -> list[list[str]]:
    """Per step, the text every interactive widget shows when the step opens."""
    import asyncio

    from textual.app import App

    from tui_tutor.lesson.model import Interactive, walk
    from tui_tutor.ui.widgets.interactive import CSS_FILE, make_widget

    lesson = load_lesson(lesson_path).lesson
    out: list[list[str]] = []

    class Host(App):
        CSS_PATH = [CSS_FILE]

        def __init__(self, items):
            super().__init__()
            self.items = items

        def compose(self):
            for item in self.items:
                yield make_widget(item.widget, item.options)

    async def texts(items) -> list[str]:
        app = Host(items)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            return [w.render().plain for w in app.query(InteractiveWidget)]

    for step in lesson.steps:
        items = [i for i in walk(step.items) if isinstance(i, Interactive) and i.widget != "install-check"]
        out.append(asyncio.run(texts(items)) if items else [])
    return out


def _fmt(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def give_aways(lesson_path: Path) -> list[tuple[str, int, str]]:
    """(question id, step, what was shown) for every answer a widget shows before its question."""
    from tui_tutor.grading import draw, render

    lesson = load_lesson(lesson_path).lesson
    shown = widget_texts(lesson_path)
    found = []
    for index, step in enumerate(lesson.steps):
        seen = "\n".join(t for texts in shown[: index + 1] for t in texts)
        for q in step.questions():
            patterns = []
            if q.kind in ("numeric", "table") and not q.run:
                r = render(q, draw(q, 0, 0))
                keys = [r.answer] if q.kind == "numeric" else [c.answer for row in r.rows for c in row if c.is_blank]
                for key in keys:
                    if isinstance(key, (int, float)) and abs(key) not in (0, 1, 2):
                        patterns.append(rf"= *{re.escape(_fmt(key))}(?![\d.])")
            if q.kind == "text":
                patterns += [rf"\b{re.escape(a)}\b" for a in q.accepted]
            if q.id == "xor-table":  # the table itself, or the computed outputs
                patterns += [r"x1 x2 \| h1 h2 \| y", r"output y = ", r"\bXOR\b"]
            for pattern in patterns:
                match = re.search(pattern, seen, re.I)
                if match:
                    found.append((q.id, index + 1, match.group(0)))
    return found


def test_no_widget_shows_an_answer_before_its_question():
    assert give_aways(LESSON) == []


def test_the_give_away_check_catches_the_old_presets(tmp_path):
    text = LESSON.read_text(encoding="utf-8")
    old = text.replace("inputs: [1, 2, 0.5]\nweights: [0.5, -0.5, 1]\nbias: 0.5", "inputs: [0, 0.5, 1]\nweights: [-1, -0.5, 0.5]\nbias: 1")
    old = old.replace("widget: xor-network\nvalues: false", "widget: xor-network\ntable: true")
    assert old != text
    path = tmp_path / "old.md"
    path.write_text(old, encoding="utf-8")
    found = {qid for qid, _, _ in give_aways(path)}
    assert {"neuron-output", "xor-table"} <= found, found
