"""Pilot tests of the app shell: picker, stepping, step list, help, quit; at 80x24 and 40x12."""

from pathlib import Path

import pytest

from screen_text import screen_text
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.screens.help import HelpScreen
from tui_tutor.ui.screens.lesson import LessonScreen
from tui_tutor.ui.screens.picker import PickerScreen
from tui_tutor.ui.screens.steps import StepListScreen


def _app(sample_dir: Path, tmp_path: Path, **kw) -> TutorApp:
    return TutorApp(AppOptions(lesson_paths=[sample_dir], data_dir=tmp_path / "data", learner="tester", **kw))


@pytest.mark.parametrize("size", [(80, 24), (40, 12)])
async def test_open_step_jump_help_quit(sample_dir, tmp_path, size):
    app = _app(sample_dir, tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert "A sample lesson" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert "Step 1 of 3" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert "Step 2 of 3" in screen_text(app) and "Second step" in screen_text(app)
        await pilot.press("p")
        await pilot.pause()
        assert "Step 1 of 3" in screen_text(app)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, StepListScreen)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert "Step 3 of 3" in screen_text(app) and "Third step" in screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text").render())
        for key, what in [("n", "Next"), ("p", "Prev"), ("l", "Steps"), ("h", "Hint"), ("s", "Solution"), ("?", "Help")]:
            assert any(line.split()[:1] == [key] and what in line for line in help_text.splitlines()), (key, help_text)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)


async def test_hints_open_one_at_a_time_and_solution_on_key(sample_dir, tmp_path):
    app = _app(sample_dir, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "n")
        await pilot.pause()
        text = screen_text(app)
        assert "Hint number one" not in text and "press h to show it" in text
        await pilot.press("h")
        await pilot.pause()
        text = screen_text(app)
        assert "Hint number one" in text and "Hint number two" not in text
        await pilot.press("h", "s")
        await pilot.pause()
        text = screen_text(app)
        assert "Hint number two" in text and "The solution text" in text


async def test_resume_at_saved_step(sample_dir, tmp_path):
    app = _app(sample_dir, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "n", "n")
        await pilot.pause()
        assert "Step 3 of 3" in screen_text(app)
    again = _app(sample_dir, tmp_path)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert "Step 3 of 3" in screen_text(again)


async def test_opening_a_file_goes_straight_to_the_lesson(sample_dir, tmp_path):
    lesson_file = sample_dir / "sample.md"
    app = TutorApp(AppOptions(lesson_paths=[lesson_file], open_path=lesson_file, data_dir=tmp_path / "d"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert "Step 1 of 3" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert "A sample lesson" in screen_text(app)


async def test_ascii_mode_draws_ascii_borders(sample_dir, tmp_path):
    app = _app(sample_dir, tmp_path, ascii_mode=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "A note" in text
        assert "╭" not in text and "+- A note" in text


async def test_broken_lesson_folder_warns_and_still_opens(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "bad.md").write_text("---\ntitle: Half broken\n---\n## Fine step\nText.\n::: bogus\n:::\n")
    app = TutorApp(AppOptions(lesson_paths=[folder], data_dir=tmp_path / "d"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Half broken" in screen_text(app)
        notes = [n.message for n in app._notifications]
        assert any("bad.md:6: unknown block type `bogus`" in m for m in notes)
