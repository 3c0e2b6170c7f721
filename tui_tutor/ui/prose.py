"""Markdown drawn by Rich inside one Static widget.

Several times cheaper to mount than Textual's Markdown widget, which builds a widget per
paragraph; lesson prose needs no links, no table of contents and no scrolling of its own.
"""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from textual.widgets import Static


def rich_markdown(text: str) -> RichMarkdown:
    return RichMarkdown(text, code_theme="ansi_dark", hyperlinks=False)


class ProseView(Static):
    def __init__(self, markdown: str = "", *, classes: str = "prose") -> None:
        super().__init__(rich_markdown(markdown), classes=classes)
        self.source = markdown

    def update_markdown(self, markdown: str) -> None:
        self.source = markdown
        self.update(rich_markdown(markdown))
