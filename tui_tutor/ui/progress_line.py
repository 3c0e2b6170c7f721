"""A one-line progress bar with no timer of its own.

Textual's ProgressBar runs a once-a-second timer for its ETA for as long as it is mounted;
on a shared login node an idle lesson screen should wake nothing up, so the tutor draws its
bars itself and redraws them only when the numbers change. Done and undone differ in their
characters, not only in shade: `━━━───` in UTF-8, `###---` in plain ASCII.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class ProgressLine(Widget):
    done: reactive[float] = reactive(0.0)
    total: reactive[float] = reactive(1.0)
    suffix: reactive[str] = reactive("")

    def set(self, done: float, total: float, suffix: str = "") -> None:
        self.total = max(total, 1e-9)
        self.done = max(0.0, min(done, self.total))
        self.suffix = suffix

    def render(self) -> Text:
        tail = f" {self.suffix}" if self.suffix else ""
        width = max(1, self.content_size.width - len(tail))
        filled = round(width * self.done / self.total)
        done, undone = self.glyphs()
        bar = Text(done * filled, style="bold") + Text(undone * (width - filled), style="dim")
        return bar + Text(tail)

    def glyphs(self) -> tuple[str, str]:
        """Done and undone: different characters, so the bar reads without colour or shades
        (in plain ASCII both lines would become `-`)."""
        if getattr(self.app, "ascii_mode", False):
            return "#", "-"
        return "━", "─"
