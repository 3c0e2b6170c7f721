"""Play a lesson's questions by keyboard in a pilot, as a learner would: used by the lesson tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from tui_tutor.ui.questions.panel import QuestionPanel


def keys_for(text: str) -> list[str]:
    """Pilot key names for typing `text`."""
    names = {".": "full_stop", "/": "slash", " ": "space", "-": "minus", "+": "plus", "*": "asterisk",
             "(": "left_parenthesis", ")": "right_parenthesis", ",": "comma"}
    return [names.get(ch, ch) for ch in text]


async def focus_panel(pilot: Pilot, panel: QuestionPanel) -> None:
    """Tab until the focus is inside `panel` (keyboard only); on the box itself (command mode)
    of a typed question, Enter goes into its answer field."""
    for _ in range(12):
        focused = pilot.app.focused
        if focused is panel and getattr(panel.answer_widget, "takes_text", False):
            await pilot.press("enter")
            await pilot.pause()
            return
        if focused is not None and (focused is panel or panel in focused.ancestors):
            return
        await pilot.press("tab")
        await pilot.pause()
    raise AssertionError(f"could not reach question {panel.session.base.id} with Tab")


async def order_by_keys(pilot: Pilot, panel: QuestionPanel, target: list[int]) -> None:
    """Move items with the cursor and `u`/`d` until the widget shows `target` (item indices)."""
    from tui_tutor.ui.questions.order import OrderAnswer

    widget = panel.query_one(OrderAnswer)
    for position, item in enumerate(target):
        where = widget.order.index(item)
        while widget.cursor < where:
            await pilot.press("down")
        while widget.cursor > where:
            await pilot.press("up")
        for _ in range(where - position):
            await pilot.press("u")
        await pilot.pause()
    assert list(widget.order) == target, widget.order


async def answer(pilot: Pilot, panel: QuestionPanel, keys: list[str]) -> None:
    await focus_panel(pilot, panel)
    await pilot.press(*keys)
    await pilot.pause()


def right_answers(question_id: str) -> list[str] | None:
    """Key presses that answer the first lesson's questions correctly (None: ordering)."""
    return {
        "activation-matching": ["a", "c", "b", "a", "b", "b", "c", "enter"],
        "neuron-output": keys_for("5/4") + ["enter"],
        "xor-table": ["0", "down", "1", "down", "1", "down", "0", "enter"],
        "xor-logic": keys_for("XOR") + ["enter"],
        "mse-table": ["9", "down", "0", "down", "1", "down", *keys_for("3.5"), "enter"],
        "outlier-sensitivity": ["a", "enter"],
        "dl-problems": ["a", "e", "enter"],
        "network-output": ["0", "enter"],
        "dense-params": [*keys_for("50"), "enter"],  # first variant: 4 inputs, 10 units
        "augment-data": ["a", "enter"],
        "why-keras": ["a", "enter"],
        "huber-vs-squared": ["9", "down", *keys_for("2.5"), "enter"],
    }.get(question_id)


async def assert_steps_fit(pilot: Pilot, drawn_text: bool = False) -> None:
    """Go through every step of the open lesson with `n`, checking that no step scrolls
    sideways (it fits the terminal's width, 80 columns in the lesson tests); with
    `drawn_text`, also that the text each interactive widget draws fits within the widget."""
    from textual.containers import ScrollableContainer

    from tui_tutor.ui.widgets.interactive.base import InteractiveWidget

    screen = pilot.app.screen
    for index in range(len(screen.lesson.steps)):
        body = screen.query_one("#step-body")
        scrollers = [w for w in [body, *body.query(ScrollableContainer)] if w.max_scroll_x > 0]
        assert not scrollers, (index + 1, [type(w).__name__ for w in scrollers])
        if drawn_text:
            for widget in body.query(InteractiveWidget):  # drawn text (plots, diagrams) within the widget's width
                widest = max(len(line) for line in widget.render().plain.splitlines())
                assert widest <= widget.content_size.width, (index + 1, type(widget).__name__, widest)
        body.focus()
        await pilot.press("n")
        await pilot.pause()


async def play_to_full_score(
    pilot: Pilot,
    keys: Callable[[Any, dict[str, Any]], list[str]],
    train: Callable[[Pilot, Any], Awaitable[None]],
) -> list[str]:
    """Play the open lesson from its first step to its last: on each step, run every `train`
    block with `train(pilot, view)`, then answer every question with `keys(question, records)`
    and Enter (`records`: the latest run of each `train` block, by id), checking each answer
    is correct; at the end, check the lesson score is 100%. Returns the ids answered."""
    from screen_text import screen_text
    from tui_tutor.ui.screens.lesson import LessonScreen
    from tui_tutor.ui.training.view import TrainView

    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    total = len(screen.lesson.steps)
    answered = []
    records: dict[str, Any] = {}  # the latest run of each `train` block, by id
    for _ in range(total):
        for view in list(screen.query(TrainView)):
            await train(pilot, view)
            records[view.spec.id] = view.runs[-1]
        for panel in list(screen.query(QuestionPanel)):
            question = panel.session.base
            await answer(pilot, panel, [*keys(question, records), "enter"])
            await pilot.pause()
            assert panel.session.last_result.status == "correct", (question.id, panel.session.last_result)
            answered.append(question.id)
        screen.query_one("#step-body").focus()
        await pilot.press("n")
        await pilot.pause()
    assert f"Step {total} of {total}" in screen_text(pilot.app)
    summary = str(screen.query_one(".score-summary").render())
    assert "Lesson score" in summary and "100%" in summary.splitlines()[-1]
    return answered
