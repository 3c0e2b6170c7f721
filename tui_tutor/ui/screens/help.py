"""Help: every key that works on the screen underneath, gathered from the BINDINGS of its widgets."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui_tutor.ui.key_footer import KeyFooter

_KEY_NAMES = {"question_mark": "?", "escape": "Esc", "enter": "Enter", "tab": "Tab", "shift+tab": "Shift+Tab",
              "plus": "+", "minus": "-", "up": "Up", "down": "Down", "left": "Left", "right": "Right",
              "space": "Space", "ctrl+q": "Ctrl+Q", "ctrl+c": "Ctrl+C", "shift+up": "Shift+Up",
              "shift+down": "Shift+Down", "equals_sign": "=", "f1": "F1"}


def key_label(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return "/".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def _bindings(cls: type) -> list[Binding]:
    out: list[Binding] = []
    for entry in getattr(cls, "BINDINGS", []):
        if isinstance(entry, Binding):
            out.append(entry)
        elif isinstance(entry, tuple) and len(entry) >= 2:
            out.append(Binding(*entry))
    return [b for b in out if b.description]


def help_sections(app: App[Any], screen: Screen[Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section title, [(keys, what it does)]) for the app, the screen and each widget class on it."""
    sections = [("Everywhere", [(key_label(b), b.description) for b in _bindings(type(app))])]
    sections.append((getattr(screen, "HELP_TITLE", type(screen).__name__.replace("Screen", " screen")),
                     [(key_label(b), b.description) for b in _bindings(type(screen))]))
    seen: set[type] = set()
    for widget in screen.query("*"):
        cls = type(widget)
        if cls in seen or cls.__module__.startswith("textual."):
            continue
        seen.add(cls)
        rows = [(key_label(b), b.description) for b in _bindings(cls)]
        if rows:
            sections.append((getattr(cls, "HELP_TITLE", cls.__name__), rows))
    return [(title, rows) for title, rows in sections if rows]


class HelpScreen(ModalScreen[None]):
    HELP_TITLE = "Help"
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close help")]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        lines = ["Keys (every action has one; the footer shows the main ones)",
                 "In a text field every printable key types: Enter checks, Esc leaves the field",
                 "and letters are commands again; Enter or Tab goes back in. F1: help anywhere.", ""]
        for title, rows in help_sections(self.app, self.under):
            lines.append(title)
            lines.extend(f"  {keys:<14} {what}" for keys, what in rows)
            lines.append("")
        lines.append("Answers: type numbers or expressions such as 5/4, 0.5*(-1)+1, max(0, 1.25).")
        with VerticalScroll(id="help-box"):
            yield Static("\n".join(lines), id="help-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)
