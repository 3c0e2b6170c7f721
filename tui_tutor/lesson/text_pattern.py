"""Text-question patterns, matched by RE2: time linear in the answer, whatever the pattern.

Python's `re` backtracks: a lesson's `(a|a)*b` or `(.*a){25}` takes minutes on a short
answer and freezes the tutor. RE2 (google-re2, 4 ms to import) has no backtracking, so no
pattern can do that; the price is that back-references and look-arounds are not
available, and the loader reports a pattern that uses them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

#: Longest pattern a lesson may write.
MAX_PATTERN = 500
#: Memory RE2 may use for one compiled pattern (it refuses bigger ones instead of growing).
_MAX_MEM = 8 << 20


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # RE2 would print to standard error, under the tutor's screen
    options.max_mem = _MAX_MEM
    return options


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Any | None, str]:
    """(compiled pattern, "") or (None, why it cannot be used); never raises."""
    if len(pattern) > MAX_PATTERN:
        return None, f"is longer than {MAX_PATTERN} characters"
    try:
        return re2.compile(pattern, _options()), ""
    except Exception as exc:  # noqa: BLE001 - re2.error, and anything else the binding raises
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        why = f"is not a pattern the tutor can use: {detail}"
        if "escape sequence" in str(detail) or "perl operator" in str(detail):
            why += " (back-references and look-arounds are not supported)"
        return None, why


def pattern_matches(pattern: str, text: str) -> bool:
    """True if the whole of `text` matches `pattern` (case-insensitive); False if the pattern is unusable."""
    compiled, _ = compile_pattern(pattern)
    return bool(compiled is not None and compiled.fullmatch(text))
