"""The keyboard model in a pilot at 80x24: where the focus goes, what the footer offers, what Esc does.

The footer of every screen fits 80 columns, always shows the help key, and never lists a
printable key while the focus is in a widget that types (a field, a table cell).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lesson_player import keys_for
from screen_text import screen_text
from tui_tutor.lesson.loader import load_lesson
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.key_footer import KeyFooter, is_printable, takes_text
from tui_tutor.ui.questions.panel import QuestionPanel
from tui_tutor.ui.screens.lesson import LessonScreen

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "lessons" / "01-introduction.md"


def _app(tmp_path: Path, *, open_lesson: bool = True) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[LESSON], open_path=LESSON if open_lesson else None,
                               data_dir=tmp_path / "data", learner="tester"))


def _step_of(kind: str) -> int:
    lesson = load_lesson(LESSON).lesson
    for index, step in enumerate(lesson.steps):
        if any(q.kind == kind for q in step.questions()):
            return index
    raise KeyError(kind)


def _check_footer(app: TutorApp) -> str:
    footer = app.screen.query_one(KeyFooter)
    lines = [line for line in screen_text(app).splitlines() if line.strip()]
    last = lines[-1]
    assert len(last) <= 80
    assert last.startswith("F1 Help"), last
    if takes_text(app.focused):
        printable = [key for key, _ in footer.shown if key != "F1" and is_printable(key.lower())]
        assert not printable, f"the footer offers {printable} while {type(app.focused).__name__} types"
    return last


async def _open_step(pilot, index: int) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    await screen.show_step(index)
    await pilot.pause()


async def test_picker_and_review_footers(tmp_path):
    app = _app(tmp_path, open_lesson=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Open lesson" in _check_footer(app)
        await pilot.press("f1")
        await pilot.pause()
        assert "Keys" in screen_text(app)
        _check_footer(app)
        await pilot.press("escape")
        await pilot.press("r")
        await pilot.pause()
        assert "Review" in screen_text(app)
        _check_footer(app)


async def test_prose_step_steps_list_and_help_footers(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = _check_footer(app)
        for label in ("n Next", "p Prev", "l Steps", "q Lessons"):
            assert label in footer
        await pilot.press("l")
        await pilot.pause()
        assert "Go to step" in _check_footer(app)
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        _check_footer(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)


@pytest.mark.parametrize("kind", ["numeric", "text", "reflect", "table", "choice", "multi", "matching", "order"])
async def test_each_question_kind_gets_the_focus_and_an_honest_footer(tmp_path, kind):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _open_step(pilot, _step_of(kind))
        panel = app.screen.query(QuestionPanel).first()
        assert app.focused is panel.query_one("#answer"), f"{kind}: the answer widget has no focus"
        assert app.screen.query_one("#step-body").scroll_y == 0, "the step opens at its title"
        footer = _check_footer(app)
        if takes_text(app.focused):
            assert "Esc Commands" in footer
            await pilot.press("escape")
            await pilot.pause()
            assert app.focused is panel
            footer = _check_footer(app)
            assert "Enter Answer" in footer and "h Hint" in footer
            await pilot.press("escape", "escape")  # once too often: harmless
            await pilot.pause()
            assert isinstance(app.screen, LessonScreen)


async def test_typed_letters_never_run_commands(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        step = _step_of("numeric")
        await _open_step(pilot, step)
        field = app.screen.query(QuestionPanel).first().query_one("#answer")
        await pilot.press(*keys_for("sqrt(2) quit previous lhsvnp?"))
        await pilot.pause()
        assert field.value == "sqrt(2) quit previous lhsvnp?"
        assert isinstance(app.screen, LessonScreen) and app.screen.index == step
        assert not app.screen.query(QuestionPanel).first().session.revealed


async def test_wrong_answer_is_selected_so_typing_replaces_it(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _open_step(pilot, _step_of("numeric"))
        field = app.screen.query(QuestionPanel).first().query_one("#answer")
        await pilot.press("3", "0", "0", "enter")
        await pilot.pause()
        assert "Not yet" in screen_text(app)
        assert app.focused is field
        await pilot.press("1", "9", "5")
        await pilot.pause()
        assert field.value == "195"


async def test_next_line_waits_for_every_question_of_the_step(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _open_step(pilot, _step_of("reflect"))
        panels = list(app.screen.query(QuestionPanel))
        assert len(panels) == 2
        await pilot.press(*keys_for("a first thought"), "enter")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Press n for the next step" not in text
        assert app.focused is panels[1].query_one("#answer"), "the focus moves on to the next question"
        await pilot.press(*keys_for("a second one"), "enter")
        await pilot.pause()
        assert panels[1].done and panels[0].done


async def test_a_paste_into_the_question_box_goes_into_the_field(tmp_path):
    from textual import events

    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _open_step(pilot, _step_of("numeric"))
        panel = app.screen.query(QuestionPanel).first()
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is panel
        app.post_message(events.Paste("5/4"))
        await pilot.pause()
        assert panel.query_one("#answer").value == "5/4"


async def test_a_resize_keeps_the_place_in_the_step(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _open_step(pilot, _step_of("numeric"))
        body = app.screen.query_one("#step-body")
        body.scroll_to(y=8, animate=False)
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.resize_terminal(80, 22)  # the step still does not fit: no reason to move
        await pilot.pause()
        assert body.scroll_y > 0, "a resize jumped the step back to its top"
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert body.scroll_y > 0, "a resize jumped the step back to its top"


async def test_step_titles_are_literal_text(tmp_path):
    lesson = tmp_path / "odd.md"
    lesson.write_text("---\nid: odd\ntitle: T [/bold]\n---\n\n## A [/bold] step\n\nText.\n\n## [b]Two\n\nMore.\n")
    app = TutorApp(AppOptions(lesson_paths=[lesson], open_path=lesson, data_dir=tmp_path / "data"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        text = screen_text(app)
        assert "Steps of T [/bold]" in text and "A [/bold] step" in text
