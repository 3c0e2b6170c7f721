"""First pass over a lesson file: front matter, then a tree of fenced-div blocks.

Kept apart from the typed loader so the syntax (colons, nesting, code fences) and the
meaning of each block (YAML keys, question kinds) can change independently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui_tutor.lesson.limits import MAX_BLOCK_DEPTH

#: `::: challenge Title`, `::::{challenge} Title`, `::: {.challenge}`, `:::::note`, and the
#: other spellings of Carpentries Workbench (sandpaper/pegboard) and pandoc: `::: .challenge`,
#: `::: {.challenge #an-id key="value"}` (the first class names the block; the attributes are
#: kept), `::: challenge Title :::` (pandoc's optional closing colons after the opener).
#: (The title is stripped in Python: a lazy `.*?` before `\s*$` is quadratic on a line of spaces.)
_OPEN = re.compile(
    r"^(?P<fence>:{3,})\s*(?:\{\s*\.?(?P<braced>[A-Za-z][\w-]*)(?P<attrs>\s[^{}]*)?\}"
    r"|\.?(?P<bare>[A-Za-z][\w-]*))(?P<title>.*)$"
)
#: Pandoc's rule: a fence without attributes always closes (the innermost open block), whatever
#: its number of colons, so opening and closing fences need not have the same length.
_CLOSE = re.compile(r"^:{3,}\s*$")
_ATTR = re.compile(r"""(?P<key>[A-Za-z_][\w-]*)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S+))""")
_CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


@dataclass
class Node:
    """A block: its class, title, the 1-based line of its opening fence, and its content."""

    kind: str
    title: str
    line: int
    #: Content in order: plain text lines as (line_number, text) runs, or child Nodes.
    children: list[Node | TextRun] = field(default_factory=list)
    end_line: int = 0
    #: Colons of the opening fence (closing fences need not match: see `_CLOSE`).
    colons: int = 3
    #: `key=value` attributes of a braced opener (`{.callout title="Note"}`); `#id` as "id".
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class TextRun:
    """Consecutive lines of plain Markdown that belong to one parent."""

    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class ParsedFile:
    front_matter: str
    front_matter_line: int
    body: list[Node | TextRun]
    errors: list[tuple[int, str]]


def split_front_matter(lines: list[str]) -> tuple[str, int, int, list[tuple[int, str]]]:
    """Return (yaml text, its first line, index of the first body line, errors)."""
    if not lines or lines[0].strip() != "---":
        return "", 0, 0, [(1, "a lesson must start with YAML front matter between two `---` lines")]
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2, index + 1, []
    return "", 0, len(lines), [(1, "front matter opened with `---` is never closed")]


def parse_blocks(text: str) -> ParsedFile:
    """Split a lesson into front matter and a block tree; collect syntax errors with lines."""
    lines = text.splitlines()
    front, front_line, start, errors = split_front_matter(lines)
    root = Node(kind="", title="", line=0)
    stack: list[Node] = [root]
    code_fence: str | None = None
    too_deep = 0  # blocks opened past MAX_BLOCK_DEPTH: reported once, their fences only counted

    def add_text(number: int, line: str) -> None:
        children = stack[-1].children
        if children and isinstance(children[-1], TextRun):
            children[-1].lines.append(line)
        else:
            children.append(TextRun(line=number, lines=[line]))

    for index in range(start, len(lines)):
        number, line = index + 1, lines[index]
        fence = _CODE_FENCE.match(line)
        if code_fence is not None:
            if fence and fence.group(1)[0] == code_fence[0] and len(fence.group(1)) >= len(code_fence):
                code_fence = None
            add_text(number, line)
            continue
        if fence:
            code_fence = fence.group(1)
            add_text(number, line)
            continue
        if _CLOSE.match(line):
            if too_deep:
                too_deep -= 1
            elif len(stack) == 1:
                errors.append((number, "closing `:::` without an open block"))
            else:
                stack.pop().end_line = number
            continue
        opened = _OPEN.match(line)
        if opened:
            if len(stack) > MAX_BLOCK_DEPTH:
                if not too_deep:
                    errors.append((number, f"blocks are nested more than {MAX_BLOCK_DEPTH} levels deep"))
                too_deep += 1
                continue
            kind = (opened.group("braced") or opened.group("bare")).lower()
            title = _strip_closing_colons(opened.group("title").strip())
            node = Node(kind=kind, title=title, line=number, colons=len(opened.group("fence")),
                        attrs=_attributes(opened.group("attrs") or ""))
            stack[-1].children.append(node)
            stack.append(node)
            continue
        add_text(number, line)

    if code_fence is not None:
        errors.append((len(lines), f"code block opened with {code_fence} is never closed"))
    if too_deep:
        errors.append((len(lines), f"{too_deep} block(s) nested too deeply are never closed"))
    for node in stack[1:]:
        errors.append((node.line, f"`{node.kind}` block is never closed (add a line of `:::`)"))
    return ParsedFile(front_matter=front, front_matter_line=front_line, body=root.children, errors=errors)


def _attributes(text: str) -> dict[str, str]:
    """`#id key="value" .other` of a braced opener, as a mapping (`#id` under "id")."""
    if not text.strip():
        return {}
    attrs: dict[str, str] = {}
    for word in text.split():
        if word.startswith("#") and len(word) > 1:
            attrs.setdefault("id", word[1:])
    for match in _ATTR.finditer(text):
        value = match.group("dq")
        if value is None:
            value = match.group("sq") if match.group("sq") is not None else match.group("bare")
        attrs[match.group("key")] = value
    return attrs


def _strip_closing_colons(title: str) -> str:
    """`Title :::` -> `Title` (pandoc allows colons after an opener); `a:::` stays."""
    bare = title.rstrip(":")
    if len(title) - len(bare) >= 3 and (not bare or bare[-1].isspace()):
        return bare.rstrip()
    return title
