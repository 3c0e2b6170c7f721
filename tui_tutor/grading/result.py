"""What grading returns: a status, a score in [0, 1], a one-line message and the parts.

Kept apart from the checkers so the UI and the progress store can import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: "invalid" means the answer could not be read: it does NOT count as an attempt.
#: "saved" is the outcome of a `reflect` question (kept, never graded).
Status = Literal["correct", "partial", "wrong", "invalid", "saved"]


@dataclass(frozen=True)
class PartResult:
    """One graded piece of an answer: a table cell, a statement, an option, a position."""

    label: str  # e.g. "row 2, Squared error", "statement 3", "option B", "position 4"
    correct: bool
    message: str = ""


@dataclass(frozen=True)
class Result:
    """The outcome of checking one answer."""

    status: Status
    score: float  # in [0, 1]
    message: str  # one-line summary for the learner, e.g. "3 of 4 cells are right."
    parts: tuple[PartResult, ...] = ()
    targeted: tuple[str, ...] = ()  # targeted-feedback messages that fired

    @property
    def counts_as_attempt(self) -> bool:
        """Unreadable answers and saved reflections are not attempts."""
        return self.status not in ("invalid", "saved")


def status_for(score: float) -> Status:
    """correct at 1, wrong at 0, partial in between."""
    if score >= 1.0:
        return "correct"
    return "wrong" if score <= 0.0 else "partial"


def invalid(message: str) -> Result:
    return Result("invalid", 0.0, message)
