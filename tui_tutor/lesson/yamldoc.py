"""YAML with line numbers and hard limits: every problem is a `YamlProblem` at a file line.

Lesson YAML is read with the safe loader, and first as a stream of events (libyaml's
parser keeps its own stack, so no input can exhaust Python's), which bounds nesting and
size and refuses anchors and aliases before any node is built: an alias bomb ("billion
laughs") never expands. Then each value is built on its own, so a value its tag cannot
make (`!!float x`, an integer of 5,000 digits) is reported at its line rather than raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

from tui_tutor.lesson.limits import MAX_NUMBER, MAX_YAML_DEPTH, MAX_YAML_NODES, MAX_YAML_TEXT

try:  # the C loader is several times faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class YamlProblem(Exception):
    """A problem in a YAML block, at a line of the lesson file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class YamlDoc:
    """Parsed YAML plus its node tree; `line(path)` finds the line of any key or item."""

    data: Any
    node: yaml.Node | None
    first_line: int

    def line(self, *path: str | int) -> int:
        node = self.node
        best = self.first_line
        for part in path:
            if node is None:
                break
            best = self.first_line + node.start_mark.line
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
            else:
                node = None
        if node is not None:
            best = self.first_line + node.start_mark.line
        return best


def _line_of(mark: Any, first_line: int) -> int:
    return first_line + (mark.line if mark is not None else 0)


def _check_events(text: str, first_line: int) -> None:
    """Depth, size and no anchors or aliases, from the event stream (nothing is built yet)."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlProblem(_line_of(event.start_mark, first_line),
                              "bad YAML: anchors and aliases (`&name`, `*name`) are not allowed in lessons")
        if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise YamlProblem(_line_of(event.start_mark, first_line),
                                  f"bad YAML: the block holds more than {MAX_YAML_NODES} values")
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise YamlProblem(_line_of(event.start_mark, first_line),
                                  f"bad YAML: lists and mappings nested more than {MAX_YAML_DEPTH} levels deep")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_YAML_TEXT:
            raise YamlProblem(_line_of(event.start_mark, first_line),
                              f"bad YAML: a value is longer than {MAX_YAML_TEXT} characters")


def _check_values(loader: Any, root: yaml.Node, first_line: int) -> None:
    """Build every scalar on its own, so a bad one is reported at its line; bound numbers."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
            continue
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
            continue
        line = _line_of(node.start_mark, first_line)
        try:
            value = loader.construct_object(node)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # noqa: BLE001 - ValueError, KeyError, ... from a tag's constructor
            raise YamlProblem(line, f"bad YAML: `{node.tag.rsplit(':', 1)[-1]}` value {_brief(node.value)} "
                                    f"cannot be read ({type(exc).__name__})") from None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise YamlProblem(line, f"the number {_brief(node.value)} is not finite: lessons use finite numbers")
            if abs(value) > MAX_NUMBER:
                raise YamlProblem(line, f"the number {_brief(node.value)} is too large (at most {MAX_NUMBER:.0e} in size)")


def _brief(text: str) -> str:
    text = " ".join(str(text).split())
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}...`"


def load_yaml(text: str, first_line: int) -> YamlDoc:
    """Parse `text`, whose first line is line `first_line` of the file.

    Raises YamlProblem (and nothing else) with the file line of the problem.
    """
    try:
        _check_events(text, first_line)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_values(loader, node, first_line)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(_line_of(mark, first_line), f"bad YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a control character
        line = first_line + text.count("\n", 0, max(0, exc.position))
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise YamlProblem(line, f"bad YAML: character #x{char:02x} is not allowed ({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(first_line, f"bad YAML: {' '.join(str(exc).split())}") from None
    except Exception as exc:  # noqa: BLE001 - whatever else PyYAML may raise must not escape
        raise YamlProblem(first_line, f"bad YAML: {type(exc).__name__}") from None
    return YamlDoc(data=data, node=node, first_line=first_line)
