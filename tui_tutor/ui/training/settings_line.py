"""The settings line of a training view: each setting and its value, the chosen one in
[brackets], and the keys under it. Left/right choose, -/+ step along the setting's ladder
(`tui_tutor.training.settings`); the values are the view's own dict, changed in place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.widgets import Static

from tui_tutor.training.settings import Setting, show, step_value


class SettingsLine(Static):
    def __init__(self, settings: Sequence[Setting[Any]], values: dict[str, Any], keys: str) -> None:
        super().__init__("", classes="train-settings", markup=False)  # "[act relu]" is text, not markup
        self.settings = tuple(settings)
        self.values = values
        self.keys = keys
        self.selected = 0

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        parts = []
        for index, setting in enumerate(self.settings):
            text = f"{setting.label} {show(self.values[setting.key])}"
            parts.append(f"[{text}]" if index == self.selected else f" {text} ")
        self.update(" ".join(parts) + "\n" + self.keys)

    def select(self, direction: int) -> None:
        self.selected = (self.selected + direction) % len(self.settings)
        self.redraw()

    def change(self, direction: int) -> None:
        setting = self.settings[self.selected]
        self.values[setting.key] = step_value(setting, self.values[setting.key], direction)
        self.redraw()
