"""Styles-era (Jekyll, carpentries/styles) episodes -> the fenced divs the shared reader knows.

A styles-era special block is a blockquote followed by a kramdown class line:

    > ## Title
    > text
    >> ## Solution                (or `> > ## Solution`)
    >> text
    > {: .solution}
    {: .challenge}

It becomes `::: challenge Title` ... `:::` with the solution nested, so that one grammar
(tui_tutor.lesson.blocks) reads both dialects. Code blocks written as `~~~` followed by
`{: .language-python}` become ```` ```python ```` fences. Nothing here executes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CLASS_LINE = re.compile(r"^\s{0,3}\{:\s*\.(?P<cls>[A-Za-z][\w-]*)[^{}]*\}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\S*)")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.*)$")  # closing `#`s stripped in Python (no quadratic regex)
_LIQUID = re.compile(r"^\s*\{%.*%\}\s*$")

#: kramdown code classes -> fence info strings
_CODE_CLASSES = {"output": "output", "error": "error", "source": "", "bash": "bash", "python": "python", "r": "r"}


@dataclass
class StylesResult:
    """The converted lines, and what could not be converted (1-based source line, message)."""

    lines: list[str]
    #: For each output line, the source line it came from (for `path:line` in the report).
    origin: list[int]
    warnings: list[tuple[int, str]] = field(default_factory=list)


def is_styles_era(text: str) -> bool:
    """A styles-era episode has kramdown class lines (`{: .challenge}`) and no `:::` divs."""
    lines = text.splitlines()
    has_class_line = any(_CLASS_LINE.match(line.lstrip("> ")) for line in lines)
    has_divs = any(line.startswith(":::") for line in lines)
    return has_class_line and not has_divs


def convert_styles(lines: list[str], first_line: int = 1) -> StylesResult:
    """Convert the body lines of a styles-era episode (front matter removed)."""
    result = StylesResult(lines=[], origin=[])
    _convert(lines, list(range(first_line, first_line + len(lines))), result, depth=0)
    return result


def _strip_quote(line: str) -> str:
    """Remove one level of `>` (and the one space after it)."""
    stripped = line.lstrip(" ")
    if stripped.startswith(">"):
        stripped = stripped[1:]
        if stripped.startswith(" "):
            stripped = stripped[1:]
    return stripped


def _emit(result: StylesResult, line: str, origin: int) -> None:
    result.lines.append(line)
    result.origin.append(origin)


def _convert(lines: list[str], origins: list[int], result: StylesResult, depth: int) -> None:
    i = 0
    while i < len(lines):
        line, origin = lines[i], origins[i]
        fence = _FENCE.match(line)
        if fence:
            i = _code_block(lines, origins, i, fence.group(1), fence.group(2), result)
            continue
        if _QUOTE.match(line):
            end = _quote_end(lines, i)
            cls_match = _CLASS_LINE.match(lines[end]) if end < len(lines) else None
            if cls_match is None or depth >= 10:
                for j in range(i, end):  # a plain quotation: kept as it is
                    _emit(result, lines[j], origins[j])
                i = end
                continue
            inner = [_strip_quote(x) for x in lines[i:end]]
            inner_origins = origins[i:end]
            title = ""
            while inner and not inner[0].strip():  # leading blank quote lines
                inner, inner_origins = inner[1:], inner_origins[1:]
            heading = _HEADING.match(inner[0]) if inner else None
            if heading:
                title = heading.group("title").strip().rstrip("#").strip()
                inner, inner_origins = inner[1:], inner_origins[1:]
            colons = ":" * (3 + max(0, 6 - depth))  # outer blocks get longer fences, for the reader's eye only
            _emit(result, f"{colons} {cls_match.group('cls').lower()} {title}".rstrip(), origin)
            _convert(inner, inner_origins, result, depth + 1)
            _emit(result, colons, origins[end])
            i = end + 1
            continue
        if _LIQUID.match(line):  # `{% include links.md %}`: site machinery, not content
            i += 1
            continue
        cls_match = _CLASS_LINE.match(line)
        if cls_match:  # a class line after a paragraph or list: kramdown styling only
            result.warnings.append((origin, f"kramdown class line `{line.strip()}` dropped"))
            i += 1
            continue
        _emit(result, line, origin)
        i += 1


def _quote_end(lines: list[str], start: int) -> int:
    """Index after the last line of the blockquote at `start`; blank lines inside count when
    the quote goes on after them."""
    end = start
    while end < len(lines):
        if _QUOTE.match(lines[end]):
            end += 1
            continue
        if not lines[end].strip():
            look = end
            while look < len(lines) and not lines[look].strip():
                look += 1
            if look < len(lines) and _QUOTE.match(lines[look]):
                end = look
                continue
        break
    return end


def _code_block(lines: list[str], origins: list[int], start: int, fence: str, info: str, result: StylesResult) -> int:
    """Copy a fenced code block; a kramdown class line after it becomes the info string."""
    end = start + 1
    while end < len(lines):
        closing = _FENCE.match(lines[end])
        if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence) and not closing.group(2):
            break
        end += 1
    language = info
    after = end + 1
    if after < len(lines):
        cls_match = _CLASS_LINE.match(lines[after])
        if cls_match:
            cls = cls_match.group("cls").lower()
            language = cls.removeprefix("language-") if cls.startswith("language-") else _CODE_CLASSES.get(cls, cls)
    ticks = fence  # `~~~` stays `~~~`: the shared reader knows both fences
    _emit(result, f"{ticks}{language}", origins[start])
    for j in range(start + 1, min(end, len(lines))):
        _emit(result, lines[j], origins[j])
    if end < len(lines):
        _emit(result, ticks, origins[end])
    if after < len(lines) and _CLASS_LINE.match(lines[after]):
        return after + 1
    return end + 1
