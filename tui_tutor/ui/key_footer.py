"""A one-line footer that tells the truth: only keys that work in the focused widget, help first.

Why not Textual's Footer: at 80 columns it cut its last keys (`? Help` was never seen), and it
listed letter commands while a text field had the focus, where those letters type. Here the
help key comes first and is never cut; while the focus is in a widget that takes typed text,
no printable key is listed; keys of the focused widget come before the screen's, and what does
not fit is left out (the help lists every key).
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content
from textual.keys import key_to_character
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

HELP = ("F1", "Help")
_NAMES = {"escape": "Esc", "enter": "Enter", "tab": "Tab", "shift+tab": "S-Tab", "question_mark": "?",
          "space": "Space", "up": "Up", "down": "Down", "left": "Left", "right": "Right",
          "plus": "+", "minus": "-", "equals_sign": "=", "f1": "F1", "delete": "Del", "backspace": "BkSp"}


def is_printable(key: str) -> bool:
    """True for a key that types a character (a letter, a digit, `?`, Space...)."""
    char = key_to_character(key)
    return char is not None and len(char) == 1 and char.isprintable()


def takes_text(widget: Widget | None) -> bool:
    """True while `widget` turns printable keys into text (a field, a table cell)."""
    return isinstance(widget, Input) or bool(getattr(widget, "takes_text", False))


def key_name(key: str, binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return _NAMES.get(key, key)


def footer_items(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(key, what it does) for the footer of `screen`, the help key first."""
    typing = takes_text(screen.focused)
    items, seen = [HELP], {"help", "app.help"}
    focused_first: list[tuple[int, str, str]] = []
    pairs = screen._modal_binding_chain  # focused widget first, the app last
    chain = [node for node, _ in pairs]
    active_bindings = screen.active_bindings
    for key, active in list(active_bindings.items()):
        binding = active.binding
        if not binding.show:  # a hidden binding of the focused widget (Enter in a list) may shadow
            shadowed = _shown_below(pairs, active.node, key)  # a shown one of the screen: say that
            if shadowed is not None:
                active = active._replace(node=shadowed[0], binding=shadowed[1])
                binding = shadowed[1]
        if not (binding.show and active.enabled and binding.description) or binding.action in seen:
            continue
        if typing and is_printable(key):
            continue  # it types into the field: not a command here
        seen.add(binding.action)
        depth = chain.index(active.node) if active.node in chain else len(chain)
        focused_first.append((depth, key_name(key, binding), binding.description))
    focused_first.sort(key=lambda item: item[0])  # stable: keeps each node's own order
    items.extend((key, what) for _, key, what in focused_first)
    return items


def _shown_below(pairs: list[tuple[Any, Any]], node: Any, key: str) -> tuple[Any, Binding] | None:
    """The first shown binding of `key` on a node above `node` in the binding chain."""
    nodes = [n for n, _ in pairs]
    if node not in nodes:
        return None
    for above, bindings in pairs[nodes.index(node) + 1:]:
        for binding in bindings.key_to_bindings.get(key, ()):
            if binding.show and binding.description:
                return above, binding
    return None


def footer_text(items: list[tuple[str, str]], width: int) -> Content:
    """The items that fit in `width` columns, in order (the first, help, always)."""
    parts: list[Content] = []
    used = 0
    for key, what in items:
        size = len(key) + 1 + len(what) + (2 if parts else 0)
        if parts and used + size > width:
            continue  # a later, shorter item may still fit
        if parts:
            parts.append(Content("  "))
        parts.append(Content.assemble((key, "bold reverse"), " ", what))
        used += size
    return Content("").join(parts)


class KeyFooter(Static):
    """The footer line; redrawn whenever the screen's keys change (focus moved, key enabled)."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._keys_changed)
        self.call_after_refresh(self._redraw)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._redraw()

    def _keys_changed(self, _screen: Screen[Any]) -> None:
        self._redraw()

    def _redraw(self) -> None:
        self.update(footer_text(footer_items(self.screen), self.size.width or 80))

    @property
    def shown(self) -> list[tuple[str, str]]:
        """What the footer lists now (read by tests)."""
        width = self.size.width or 80
        text = footer_text(footer_items(self.screen), width).plain
        return [item for item in footer_items(self.screen) if f"{item[0]} {item[1]}" in text]
