"""Pilot tests of the app shell: picker, stepping, step list, help, quit; at 80x24 and 40x12.
Also the typed lesson context the app hands to its screens, and what start-up does first."""

from pathlib import Path

import pytest

from screen_text import screen_text
from tui_tutor.context import LessonContext, RunResults
from tui_tutor.lesson.catalog import Catalog
from tui_tutor.lesson.model import Question
from tui_tutor.progress.store import ProgressStore
from tui_tutor.ui.app import AppOptions, TutorApp
from tui_tutor.ui.screens.help import HelpScreen
from tui_tutor.ui.screens.lesson import LessonScreen
from tui_tutor.ui.screens.picker import PickerScreen
from tui_tutor.ui.screens.review import ReviewScreen
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
        for key, what in [("n", "Next"), ("p", "Prev"), ("l", "Steps"), ("h", "Hint"), ("s", "Solution"), ("F1", "Help")]:
            assert any(line.split()[:1] == [key] and what in line for line in help_text.splitlines()), (key, help_text)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("escape")  # Esc never leaves a lesson: pressed once too often, it is harmless
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("q")
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
        await pilot.press("q")
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


# -- the lesson context and start-up order ------------------------------------------------

def _record_order(app: TutorApp, events: list[str]) -> None:
    """Note the first frame of a screen and the moment the store is opened, in order."""
    display, open_store = app._display, app._open_store

    def first_frame(screen, renderable):
        if renderable is not None and f"frame:{type(screen).__name__}" not in events:
            events.append(f"frame:{type(screen).__name__}")
        return display(screen, renderable)

    def opened():
        events.append("store")
        return open_store()

    app._display = first_frame  # type: ignore[method-assign]
    app.context._open_store = opened


async def test_picker_draws_before_the_store_opens_then_shows_progress(lessons_dir, tmp_path):
    app = TutorApp(AppOptions(lesson_paths=[lessons_dir], data_dir=tmp_path / "data", learner="tester"))
    events: list[str] = []
    _record_order(app, events)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):  # the progress column is filled a moment after the first frame
            await pilot.pause(0.02)
            if app.context.store_opened:
                break
        await pilot.pause()
        assert events[:2] == ["frame:PickerScreen", "store"], events
        assert app.context.store is not None
        assert "0/" in screen_text(app) and "done" in screen_text(app)  # the progress column filled in


async def test_a_lesson_opened_at_once_records_into_the_store(lessons_dir, tmp_path):
    """Enter pressed before the picker's progress arrived: the lesson opens the store itself."""
    app = TutorApp(AppOptions(lesson_paths=[lessons_dir], data_dir=tmp_path / "data", learner="tester"))
    events: list[str] = []
    _record_order(app, events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert events.count("store") == 1 and app.context.store is not None
        await pilot.press("n")
        await pilot.pause()
        assert app.context.store.position("tester", app.screen.lesson.id) == 1


async def test_a_lesson_file_opens_at_the_saved_step_in_its_first_frame(sample_dir, tmp_path):
    lesson_file = sample_dir / "sample.md"
    options = AppOptions(lesson_paths=[lesson_file], open_path=lesson_file, data_dir=tmp_path / "data", learner="tester")
    async with TutorApp(options).run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "n")
        await pilot.pause()
    app = TutorApp(options)
    events: list[str] = []
    _record_order(app, events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert events[:2] == ["store", "frame:LessonScreen"], events  # the saved step is known before drawing
        assert "Step 3 of 3" in screen_text(app) and "Third step" in screen_text(app)


def test_screen_constructors_do_no_io(sample_dir):
    """Screens keep what they are given; the store is opened by the app when a screen first reads it."""

    def no_store():
        raise AssertionError("a constructor opened the store")

    context = LessonContext("tester", open_store=no_store)
    catalog = Catalog.from_paths([sample_dir])
    LessonScreen(catalog.lessons[0], context, start=2)
    PickerScreen(catalog, context)
    ReviewScreen(catalog, context)
    assert not context.store_opened


def test_context_opens_the_store_once_even_when_it_fails():
    calls = []

    def failing():
        calls.append(1)
        return None

    context = LessonContext("tester", open_store=failing)
    assert context.store is None and context.store is None
    assert calls == [1] and context.store_opened
    assert LessonContext("tester").store_opened  # no opener: nothing to wait for


def test_run_results_feed_questions_about_a_run():
    runs = RunResults()
    about_run = Question(id="q", kind="numeric", line=1, prompt="Final loss?", run="xor-2")
    values = runs.for_question(about_run)
    assert values is not None and values() == {}  # before the first run
    runs.record("xor-2", {"final_loss": 0.25})
    runs.record("xor-2", {})  # a run that produced nothing keeps the last numbers
    assert values() == {"final_loss": 0.25} and "xor-2" in runs
    values()["final_loss"] = 9.0  # callers get copies
    assert runs.latest("xor-2") == {"final_loss": 0.25}
    assert runs.for_question(Question(id="p", kind="numeric", line=1, prompt="?")) is None


async def test_a_step_that_cannot_be_built_says_so_in_the_first_frame(sample_dir, tmp_path, monkeypatch):
    import tui_tutor.ui.screens.lesson as lesson_module

    def broken(items, lesson, context):
        raise RuntimeError("boom")

    monkeypatch.setattr(lesson_module, "build_items", broken)
    lesson_file = sample_dir / "sample.md"
    app = TutorApp(AppOptions(lesson_paths=[lesson_file], open_path=lesson_file, data_dir=tmp_path / "d"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "This step cannot be shown: RuntimeError: boom" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert "Step 2 of 3" in screen_text(app) and "cannot be shown" in screen_text(app)


RUN_LESSON = """---
title: A run lesson
---

## Train and answer

::: train
id: tiny
dataset: xor
layers:
  - {units: 2, activation: relu}
  - {units: 1, activation: sigmoid}
loss: binary_crossentropy
optimizer: adam
learning_rate: 0.05
epochs: 2
batch_size: 4
seed: 1
:::

::: question
id: final-loss
kind: numeric
run: tiny
prompt: What was the final loss of your run?
answer: final_loss
atol: 0.001
rtol: 0
:::
"""


async def test_a_question_about_a_run_is_graded_against_the_learners_run(tmp_path):
    """The lesson screen keeps a finished run's numbers in the context; the question reads them."""
    from tui_tutor.training.history import RunHistory
    from tui_tutor.ui.questions.panel import QuestionPanel
    from tui_tutor.ui.training.view import RunRecord, TrainView

    lesson_file = tmp_path / "run.md"
    lesson_file.write_text(RUN_LESSON)
    app = TutorApp(AppOptions(lesson_paths=[lesson_file], open_path=lesson_file, data_dir=tmp_path / "d"))
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen), screen_text(app)
        view = app.screen.query_one(TrainView)
        history = RunHistory()
        history.add(1, {"loss": 0.5})
        history.add(2, {"loss": 0.125})
        view.post_message(TrainView.RunEnded(view, RunRecord(1, {}, history, "finished")))
        await pilot.pause()
        assert app.context.runs.latest("tiny")["final_loss"] == 0.125
        session = app.screen.query_one(QuestionPanel).session
        assert session.check("0.125").status == "correct"


async def test_a_saved_step_without_questions_shows_before_the_store_is_opened(lessons_dir, tmp_path):
    """The saved step is read by a read-only peek, so the first frame needs no store open; the
    store opens when the lesson first writes (the next step), and records as always."""
    lesson_file = lessons_dir / "01-introduction.md"
    options = AppOptions(lesson_paths=[lesson_file], open_path=lesson_file, data_dir=tmp_path / "data", learner="tester")
    async with TutorApp(options).run_test(size=(80, 24)) as pilot:
        await pilot.press("n")  # step 2 of lesson 1 is prose only
        await pilot.pause()
    app = TutorApp(options)
    events: list[str] = []
    _record_order(app, events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert events == ["frame:LessonScreen"], events
        assert f"Step 2 of {len(app.catalog.lessons[0].steps)}" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert "store" in events
    with ProgressStore.open(tmp_path / "data" / "progress.sqlite3") as store:
        assert store.position("tester", app.catalog.lessons[0].id) == 2


async def test_a_damaged_store_is_not_peeked_but_opened_and_moved_aside(sample_dir, tmp_path):
    lesson_file = sample_dir / "sample.md"
    data = tmp_path / "data"
    data.mkdir()
    (data / "progress.sqlite3").write_bytes(b"not a database, but something the learner had" * 100)
    app = TutorApp(AppOptions(lesson_paths=[lesson_file], open_path=lesson_file, data_dir=data, learner="tester"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.context.store_opened and app.context.store is not None
        assert "Step 1 of 3" in screen_text(app)
    assert [p.name for p in data.iterdir() if ".corrupt-" in p.name]  # moved aside, not deleted
