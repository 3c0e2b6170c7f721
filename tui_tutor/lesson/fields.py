"""Typed reads of YAML mappings that record `line: message` problems instead of raising.

The loader reads every key through a `Fields`, so a mistyped or missing key is reported at
its own line, and all problems of a file are reported in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tui_tutor.lesson.limits import MAX_NUMBER
from tui_tutor.lesson.yamldoc import YamlDoc

_MISSING = object()


class Fields:
    """One YAML mapping being read; remembers which keys were used to flag unknown ones."""

    def __init__(self, doc: YamlDoc, path: tuple[str | int, ...], data: Any, what: str, errors: list[tuple[int, str]]) -> None:
        self.doc = doc
        self.path = path
        self.what = what
        self.errors = errors
        self.used: set[str] = set()
        if not isinstance(data, dict):
            self.error(f"{what} must be a mapping of `key: value` lines, got {_kind(data)}")
            data = {}
        self.data: dict[Any, Any] = data

    # -- bookkeeping -------------------------------------------------------------
    def line(self, *key: str | int) -> int:
        return self.doc.line(*self.path, *key)

    def error(self, message: str, *key: str | int) -> None:
        self.errors.append((self.line(*key), message))

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def sub(self, key: str | int, data: Any, what: str) -> Fields:
        return Fields(self.doc, (*self.path, key), data, what, self.errors)

    def check_unknown(self, known: set[str] | tuple[str, ...]) -> None:
        for key in self.data:
            if key not in known:
                hint = ", ".join(sorted(known))
                self.error(f"unknown key `{key}` in {self.what} (known keys: {hint})", key)

    # -- typed reads -------------------------------------------------------------
    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                self.error(f"{self.what} is missing the required key `{key}`")
            return _MISSING
        return self.data[key]

    def text(self, key: str, default: str = "", required: bool = False) -> str:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        self.error(f"`{key}` in {self.what} must be text, got {_kind(value)}", key)
        return default

    def number(self, key: str, default: float | None = None, required: bool = False,
               minimum: float | None = None, maximum: float | None = None) -> float | None:
        """A finite number, within [minimum, maximum] when they are given."""
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not is_number(value):
            self.error(f"`{key}` in {self.what} must be a number, got {_show(value)}", key)
            return default
        if not _within(value, minimum, maximum):
            self.error(f"`{key}` in {self.what} must be {_range_text(minimum, maximum)}, got {_show(value)}", key)
            return default
        return float(value) if isinstance(value, float) else int(value)

    def integer(self, key: str, default: int | None = None, required: bool = False,
                minimum: int | None = None, maximum: int | None = None) -> int | None:
        """A whole number, within [minimum, maximum] when they are given."""
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(f"`{key}` in {self.what} must be a whole number, got {_show(value)}", key)
            return default
        if not _within(value, minimum, maximum):
            self.error(f"`{key}` in {self.what} must be {_range_text(minimum, maximum)}, got {_show(value)}", key)
            return default
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if isinstance(value, bool):
            return value
        self.error(f"`{key}` in {self.what} must be true or false, got {_show(value)}", key)
        return default

    def number_or_expr(self, key: str, required: bool = False) -> float | str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if isinstance(value, str):
            return value
        if not is_number(value):
            self.error(f"`{key}` in {self.what} must be a finite number or an expression, got {_show(value)}", key)
            return None
        return float(value) if isinstance(value, float) else int(value)

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if isinstance(value, str) and value in options:
            return value
        self.error(f"`{key}` in {self.what} must be one of {', '.join(options)}; got {_show(value)}", key)
        return default

    def items(self, key: str, required: bool = False) -> list[Any]:
        value = self._get(key, required)
        if value is _MISSING:
            return []
        if isinstance(value, list):
            return value
        self.error(f"`{key}` in {self.what} must be a list (lines starting with `- `), got {_kind(value)}", key)
        return []

    def texts(self, key: str, required: bool = False) -> tuple[str, ...]:
        out = []
        for index, item in enumerate(self.items(key, required)):
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                out.append(str(item))
            else:
                self.error(f"item {index + 1} of `{key}` in {self.what} must be text, got {_kind(item)}", key, index)
        return tuple(out)

    def mapping(self, key: str, required: bool = False) -> dict[Any, Any]:
        value = self._get(key, required)
        if value is _MISSING:
            return {}
        if isinstance(value, dict):
            return value
        self.error(f"`{key}` in {self.what} must be a mapping, got {_kind(value)}", key)
        return {}

    def each(self, key: str, read: Callable[[Fields, int], Any], what: str, required: bool = False) -> list[Any]:
        """Read a list of mappings, each through `read`; skips items that are not mappings."""
        out = []
        for index, item in enumerate(self.items(key, required)):
            if not isinstance(item, dict):
                self.error(f"item {index + 1} of `{key}` must be a mapping of `key: value` lines, got {_kind(item)}", key, index)
                continue
            value = read(Fields(self.doc, (*self.path, key, index), item, what, self.errors), index)
            if value is not None:
                out.append(value)
        return out


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool) no larger than any number a lesson may hold."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_NUMBER  # no float(): a huge int would overflow it
    return math.isfinite(value) and abs(value) <= MAX_NUMBER


def _within(value: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"at least {minimum:g}"
    return f"at most {maximum:g}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    kinds = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A value as echoed in a message: short, on one line, never a whole huge number."""
    if isinstance(value, (dict, list)) or value is None:
        return _kind(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        return "a very large number"
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."
