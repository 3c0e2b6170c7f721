"""The UI-free grading engine: safe arithmetic, checkers, scoring and variants.

Nothing here imports Textual; everything is pure and safe to call from tests or a CLI.

The names below are loaded on first use (PEP 562 `__getattr__`): the progress store needs
only `grading.scoring`, and importing the checkers, the expression parser and RE2 with it
would cost the app's first frame about 15 ms.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_tutor.grading.checkers import check, key_text, read_number
    from tui_tutor.grading.expr import Expr, ExprError, evaluate, format_number, names_in, parse
    from tui_tutor.grading.result import PartResult, Result, Status
    from tui_tutor.grading.scoring import Rules, Standing, apply, lesson_score, question_score, tally
    from tui_tutor.grading.variants import VariantError, draw, render, validate_question, variant_seed

_HOME = {
    "check": "checkers", "key_text": "checkers", "read_number": "checkers",
    "Expr": "expr", "ExprError": "expr", "evaluate": "expr", "format_number": "expr", "names_in": "expr", "parse": "expr",
    "PartResult": "result", "Result": "result", "Status": "result",
    "Rules": "scoring", "Standing": "scoring", "apply": "scoring", "lesson_score": "scoring",
    "question_score": "scoring", "tally": "scoring",
    "VariantError": "variants", "draw": "variants", "render": "variants", "validate_question": "variants",
    "variant_seed": "variants",
}

__all__ = [
    "Expr", "ExprError", "PartResult", "Result", "Rules", "Standing", "Status", "VariantError",
    "apply", "check", "draw", "evaluate", "format_number", "key_text", "lesson_score",
    "names_in", "parse", "question_score", "read_number", "render", "tally", "validate_question", "variant_seed",
]


if not TYPE_CHECKING:  # hidden from mypy, which checks the names through the imports above

    def __getattr__(name: str) -> Any:
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(f"{__name__}.{home}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
