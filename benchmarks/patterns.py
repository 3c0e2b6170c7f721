"""Text-question patterns that backtrack: time per grade with RE2 (what the tutor uses) and Python's re.

    .venv/bin/python benchmarks/patterns.py

A lesson's `pattern:` is matched with RE2 (tui_tutor/lesson/text_pattern.py), whose time is
linear in the answer whatever the pattern. For comparison, Python's `re` is timed on much
shorter answers in a subprocess that is killed after a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
import time

from tui_tutor.lesson.text_pattern import pattern_matches

PATTERNS = ["(a|a)*b", "((a+))+b", "(.*a){25}", "(a*)*b", r"(\w+\s?)+$", "^x-?or$"]
LONG = 10_000
RE_LENGTHS = (16, 24, 31)
RE_TIMEOUT = 5.0


def _re2_seconds(pattern: str, answer: str, repeats: int = 20) -> float:
    pattern_matches(pattern, "warm up the compiled-pattern cache")
    started = time.perf_counter()
    for _ in range(repeats):
        pattern_matches(pattern, answer)
    return (time.perf_counter() - started) / repeats


def _python_re_seconds(pattern: str, answer: str) -> float | None:
    """Python's re in a child process: None if it did not finish within RE_TIMEOUT."""
    code = ("import re, sys, time; p = re.compile(sys.argv[1], re.IGNORECASE); t = time.perf_counter(); "
            "p.fullmatch(sys.argv[2]); print(time.perf_counter() - t)")
    try:
        out = subprocess.run([sys.executable, "-c", code, pattern, answer], capture_output=True, text=True,
                             timeout=RE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout)


def _show(seconds: float | None) -> str:
    if seconds is None:
        return f"> {RE_TIMEOUT:.0f} s"
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.1f} s"


def main() -> None:
    answer = "a" * (LONG - 1) + "c"  # no `b`: every backtracking pattern must fail, the slow way for re
    header = ["pattern", f"RE2, {LONG:,} chars"] + [f"re, {n} chars" for n in RE_LENGTHS]
    rows = []
    for pattern in PATTERNS:
        row = [pattern, _show(_re2_seconds(pattern, answer))]
        for n in RE_LENGTHS:
            row.append(_show(_python_re_seconds(pattern, "a" * (n - 1) + "c")))
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)))


if __name__ == "__main__":
    main()
