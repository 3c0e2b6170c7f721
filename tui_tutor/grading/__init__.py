"""The UI-free grading engine: safe arithmetic, checkers, scoring and variants.

Nothing here imports Textual; everything is pure and safe to call from tests or a CLI.
"""

from tui_tutor.grading.checkers import check, key_text, read_number
from tui_tutor.grading.expr import Expr, ExprError, evaluate, format_number, names_in, parse
from tui_tutor.grading.result import PartResult, Result, Status
from tui_tutor.grading.scoring import Rules, Standing, apply, lesson_score, question_score, tally
from tui_tutor.grading.variants import VariantError, draw, render, validate_question, variant_seed

__all__ = [
    "Expr", "ExprError", "PartResult", "Result", "Rules", "Standing", "Status", "VariantError",
    "apply", "check", "draw", "evaluate", "format_number", "key_text", "lesson_score",
    "names_in", "parse", "question_score", "read_number", "render", "tally", "validate_question", "variant_seed",
]
