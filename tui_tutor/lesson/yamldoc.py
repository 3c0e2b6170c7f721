"""YAML with line numbers, so every error in a block points at the line that caused it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

try:  # the C loader is several times faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class YamlProblem(Exception):
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
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                node = None
        if node is not None:
            best = self.first_line + node.start_mark.line
        return best


def load_yaml(text: str, first_line: int) -> YamlDoc:
    """Parse `text`, whose first line is line `first_line` of the file.

    Raises YamlProblem with the file line of the syntax error.
    """
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(line, f"bad YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(first_line, f"bad YAML: {exc}") from None
    return YamlDoc(data=data, node=node, first_line=first_line)
