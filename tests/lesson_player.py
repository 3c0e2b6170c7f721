"""Play a lesson's questions by keyboard in a pilot, as a learner would: used by the lesson tests."""

from __future__ import annotations

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
