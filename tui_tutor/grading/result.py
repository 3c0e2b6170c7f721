"""What grading returns, as data: a status, a score in [0, 1], the graded parts, targeted feedback.

Kept apart from the checkers so the UI and the progress store can import it cheaply. A
Result holds no sentences of its own beyond the lesson author's messages: every word the
learner reads is built from it by `tui_tutor.grading.wording`, and `as_data`/`from_data`
turn it into JSON-able data (and back) so it can be stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeGuard, cast, get_args

#: "invalid" means the answer could not be read (see `Result.reason` and `Result.detail`).
#: "saved" is the outcome of a `reflect` question (kept, never graded).
Status = Literal["correct", "partial", "wrong", "invalid", "saved"]

#: What a part refers to: an option (choice, multi), a statement (matching), a table cell,
#: or a position in an order question.
PartKind = Literal["option", "statement", "cell", "position"]

#: What a part's `given` and `expected` may hold: JSON scalars only.
Scalar: TypeAlias = "str | float | int | bool | None"

_STATUSES: tuple[str, ...] = get_args(Status)
_PART_KINDS: tuple[str, ...] = get_args(PartKind)


@dataclass(frozen=True)
class PartResult:
    """One graded piece of an answer, as data.

    `index` is 0-based: the option, the statement, the position, or the cell's row (its
    column is in `column`). What `given` and `expected` hold depends on `kind`:

    * option: whether it was picked / should be picked (bools);
    * statement: the option key chosen (None: unanswered) / the right key;
    * cell: the typed text (None: not filled in) / the key (a number or a text);
    * position: the index of the item put there / the index of the item that belongs there
      (an order part is correct when its item is in the longest run kept in order, so
      `correct` is not simply `given == expected`).
    """

    kind: PartKind
    index: int
    correct: bool
    given: Scalar = None
    expected: Scalar = None
    column: int | None = None  # cell only
    optional: bool = False  # a matching statement that does not count in the score
    feedback: str = ""  # the lesson's own message for this part, when one fired

    @property
    def cell(self) -> tuple[int, int] | None:
        """(row, column) of a table cell; None for other kinds."""
        return (self.index, self.column) if self.kind == "cell" and self.column is not None else None


@dataclass(frozen=True)
class Result:
    """The outcome of checking one answer.

    `detail` is only set for "invalid": the sentence that says why the answer could not be
    read (written by `wording.unreadable`), with `reason` as its code. For a wrong numeric
    answer `reason` may be "rounded" (the key rounded too far).
    """

    status: Status
    score: float  # in [0, 1]
    detail: str = ""
    parts: tuple[PartResult, ...] = ()
    targeted: tuple[str, ...] = ()  # the lesson's targeted-feedback messages that fired, in order
    reason: str = ""
    kind: str = ""  # the question's kind
    given: str | float | None = None  # numeric and text: the learner's answer as typed
    value: float | None = None  # numeric: what typed arithmetic came to (None for a plain number)

    @property
    def message(self) -> str:
        """The one-line summary in words (`wording.summary`), for callers that want a sentence."""
        from tui_tutor.grading.wording import summary

        return summary(self)

    def as_data(self) -> dict[str, Any]:
        """JSON-able data (only non-default fields), the inverse of `from_data`."""
        data: dict[str, Any] = {"status": self.status, "score": self.score}
        for name in ("detail", "reason", "kind", "given", "value"):
            if getattr(self, name) not in ("", None):
                data[name] = getattr(self, name)
        if self.targeted:
            data["targeted"] = list(self.targeted)
        if self.parts:
            data["parts"] = [_part_data(p) for p in self.parts]
        return data

    @classmethod
    def from_data(cls, data: Any) -> Result | None:
        """A Result from `as_data` output; None for anything that is not one (an old or odd file)."""
        if not isinstance(data, Mapping) or data.get("status") not in _STATUSES:
            return None
        score = data.get("score")
        if not _is_number(score) or not 0.0 <= float(score) <= 1.0:
            return None
        parts = data.get("parts", [])
        targeted = data.get("targeted", [])
        if not isinstance(parts, list) or not isinstance(targeted, list):
            return None
        read = [_part_from(p) for p in parts]
        if any(p is None for p in read) or not all(isinstance(t, str) for t in targeted):
            return None
        given, value = data.get("given"), data.get("value")
        texts = [data.get(name, "") for name in ("detail", "reason", "kind")]
        if not all(isinstance(t, str) for t in texts):
            return None
        if not (given is None or isinstance(given, str) or _is_number(given)) or not (value is None or _is_number(value)):
            return None
        return cls(cast(Status, data["status"]), float(score), texts[0], tuple(p for p in read if p is not None),
                   tuple(targeted), texts[1], texts[2], given, None if value is None else float(value))


def _is_number(x: Any) -> TypeGuard[int | float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _part_data(part: PartResult) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": part.kind, "index": part.index, "correct": part.correct}
    for name in ("given", "expected", "column"):
        if getattr(part, name) is not None:
            data[name] = getattr(part, name)
    if part.optional:
        data["optional"] = True
    if part.feedback:
        data["feedback"] = part.feedback
    return data


def _part_from(data: Any) -> PartResult | None:
    if not isinstance(data, Mapping) or data.get("kind") not in _PART_KINDS:
        return None
    index, column, correct = data.get("index"), data.get("column"), data.get("correct")
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(correct, bool):
        return None
    if column is not None and (not isinstance(column, int) or isinstance(column, bool)):
        return None
    given, expected = data.get("given"), data.get("expected")
    if not all(v is None or isinstance(v, (str, int, float, bool)) for v in (given, expected)):
        return None
    optional, feedback = data.get("optional", False), data.get("feedback", "")
    if not isinstance(optional, bool) or not isinstance(feedback, str):
        return None
    return PartResult(cast(PartKind, data["kind"]), index, correct, given, expected, column, optional, feedback)


def status_for(score: float) -> Status:
    """correct at 1, wrong at 0, partial in between."""
    if score >= 1.0:
        return "correct"
    return "wrong" if score <= 0.0 else "partial"


def invalid(detail: str, reason: str = "", kind: str = "") -> Result:
    """An unreadable answer: `detail` says why in words, `reason` is its code."""
    return Result("invalid", 0.0, detail, reason=reason, kind=kind)
