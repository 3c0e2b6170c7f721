"""Lesson Markdown as plain wrapped lines: what line mode prints instead of Rich's rendering.

Headings become their words on a line of their own, list items keep a plain `-` or their
number, emphasis, code and link marks go (a link keeps its words), code blocks and
indented blocks stay exactly as written (they hold formulas and ASCII drawings), and HTML
comments (author notes) are dropped. No escape sequence ever comes out: control characters
in lesson text are replaced, so whatever a lesson holds cannot move the cursor or colour
the terminal.
"""

from __future__ import annotations

import re
import textwrap

from tui_tutor.review import plain_text

WIDTH = 78

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,3})[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>\s]+)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """`text` without control characters (ESC, CSI, BEL...): nothing in a lesson moves the cursor."""
    return _CONTROL.sub("?", text.replace("\t", "    "))


def inline(text: str) -> str:
    """One paragraph's Markdown as one line of words (marks, links and code reduced to words)."""
    return clean(plain_text(_AUTOLINK.sub(r"\1", text)))


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> list[str]:
    """`text` wrapped to `width` columns; `first` is the first line's indent (default `indent`)."""
    first = indent if first is None else first
    lines = textwrap.wrap(text, width=max(20, width), initial_indent=first, subsequent_indent=indent,
                          break_long_words=True, break_on_hyphens=False)
    return lines or ([first.rstrip()] if first.strip() else [])


def _drop_comments(markdown: str) -> str:
    out, start = [], 0
    while True:
        open_at = markdown.find("<!--", start)
        close_at = markdown.find("-->", open_at + 4) if open_at >= 0 else -1
        if open_at < 0 or close_at < 0:
            break
        out.append(markdown[start:open_at])
        start = close_at + 3
    out.append(markdown[start:])
    return "".join(out)


def markdown_lines(markdown: str, width: int = WIDTH) -> list[str]:
    """Markdown as plain lines of at most `width` columns (code blocks as written), paragraphs
    separated by one empty line, no empty line first or last."""
    out: list[str] = []
    para: list[str] = []
    item: tuple[str, str, list[str]] | None = None  # (first-line marker, indent, words)

    def flush() -> None:
        nonlocal item
        if para:
            out.extend(wrap(inline(" ".join(para)), width))
            para.clear()
        if item is not None:
            marker, indent, words = item
            out.extend(wrap(inline(" ".join(words)), width, indent=indent, first=marker))
            item = None

    def gap() -> None:
        flush()
        if out and out[-1] != "":
            out.append("")

    lines = _drop_comments(markdown).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):  # a fenced block: as written, indented a little
            gap()
            fence = _FENCE.match(line)
            assert fence is not None
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence.group(1)):
                out.append(clean("  " + lines[i]).rstrip())
                i += 1
            i += 1
            gap()
            continue
        if not line.strip():
            gap()
            i += 1
            continue
        if line.startswith(("    ", "\t")) and not para and item is None:  # an indented code block
            gap()
            while i < len(lines) and (lines[i].startswith(("    ", "\t")) or not lines[i].strip()):
                out.append(clean("  " + lines[i].expandtabs(4)[4:]).rstrip())
                i += 1
            while out and out[-1] == "":
                out.pop()
            gap()
            continue
        heading = _HEADING.match(line)
        bullet, numbered, quote = _BULLET.match(line), _NUMBERED.match(line), _QUOTE.match(line)
        if _RULE.match(line):
            gap()
        elif heading:
            gap()
            out.extend(wrap(inline(heading.group(1)), width))
            gap()
        elif bullet:
            flush()
            depth = "  " * min(3, len(bullet.group(1)) // 2)
            item = (f"{depth}- ", depth + "  ", [bullet.group(2)])
        elif numbered:
            flush()
            depth = "  " * min(3, len(numbered.group(1)) // 2)
            marker = f"{depth}{numbered.group(2)}. "
            item = (marker, " " * len(marker), [numbered.group(3)])
        elif quote:
            flush()
            para.append(quote.group(1))
        elif item is not None:
            item[2].append(line.strip())
        else:
            para.append(line.strip())
        i += 1
    flush()
    while out and out[-1] == "":
        out.pop()
    while out and out[0] == "":
        out.pop(0)
    return out
