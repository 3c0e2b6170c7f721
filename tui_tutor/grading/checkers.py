"""One pure checker per question kind, behind `check(question, answer, values)`.

`check` never raises on learner input: anything it cannot read gives status "invalid"
with a reason code and a sentence from `wording.unreadable`. Otherwise a Result is data
only (which option, cell, statement or position; what was given; the lesson's own
messages that fired): `wording` turns it into words. `values` are the variant's
parameter values; learners' own answers are read with no names at all, so typing `z`
never reveals a derived value.

Answer shapes (what the UI passes):

* numeric: the typed text (any arithmetic, see `expr`); a number is accepted too.
  Correct iff ``abs(x - key) <= atol + rtol * abs(key)`` (PrairieLearn's "relabs").
  On a wrong answer the question's `feedback` entries (without `cell`) are checked in
  order with `answer` = x and the *first* that holds is reported: one clear message.
* choice: a letter ("b", " B ") or a 0-based option index.
* multi: letters as text ("A, E", "ae", "a and e") or a collection of letters/indices.
* matching: {statement index: option key} or a list of keys in statement order
  (None or "" = unanswered).
* table: {(row, col): typed text} for the blank cells (0-based, as in `Feedback.cell`).
* order: the learner's sequence of indices into `question.items`.
* text, reflect: the typed text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from collections.abc import Callable

from tui_tutor.grading.expr import Expr, ExprError, Num, Unary, format_number, parse
from tui_tutor.grading.result import PartResult, Result, invalid, status_for
from tui_tutor.grading.wording import LETTERS as _LETTERS
from tui_tutor.grading.wording import cell_label as cell_label  # re-exported: the revealed key's words
from tui_tutor.grading.wording import letter as letter
from tui_tutor.grading.wording import unreadable
from tui_tutor.lesson.model import Cell, Feedback, Question
from tui_tutor.lesson.text_pattern import pattern_matches

Values = Mapping[str, float]
MAX_TEXT = 200


class _LessonProblem(Exception):
    """The question itself cannot be graded (bad key); reported as invalid, not raised."""


class _Unreadable(Exception):
    """The learner's answer cannot be read: `reason` code and the facts `wording.unreadable` needs."""

    def __init__(self, reason: str, **facts: Any) -> None:
        super().__init__(reason)
        self.reason, self.facts = reason, facts


def check(question: Question, answer: Any, values: Values | None = None) -> Result:
    """Grade `answer` to `question` (with the variant's `values`); never raises."""
    vals = dict(values or {})
    kind = question.kind
    checker = _CHECKERS.get(kind)
    try:
        if checker is None:
            raise _Unreadable("unknown_kind")
        return checker(question, answer, vals)
    except _Unreadable as exc:
        return invalid(unreadable(kind, exc.reason, **exc.facts), exc.reason, kind)
    except _LessonProblem as exc:
        return invalid(unreadable(kind, "lesson", problem=str(exc)), "lesson", kind)
    except Exception as exc:  # noqa: BLE001 - last resort: a grading bug must not crash the tutor
        return invalid(unreadable(kind, "internal", error=type(exc).__name__), "internal", kind)


# --------------------------------------------------------------------------- helpers


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_plain_number(expr: Expr) -> bool:
    tree = expr.tree
    if isinstance(tree, Unary) and tree.op in "+-":
        tree = tree.operand
    return isinstance(tree, Num)


def _read(answer: Any) -> tuple[float, bool]:
    """(value, typed as a plain number) of a learner's answer; _Unreadable when it is not one."""
    if isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
        raise _Unreadable("not_a_number")
    if isinstance(answer, (int, float)):
        if not abs(answer) <= 1e300:  # also nan and inf
            raise _Unreadable("too_large")
        return float(answer), True
    text = answer.strip()
    if not text:
        raise _Unreadable("empty")
    try:
        expr = parse(text)  # raises "could not read `...` as a number: ..."
    except ExprError as exc:
        raise _Unreadable("unreadable", problem=str(exc)) from None
    try:
        return expr.evaluate({}), _is_plain_number(expr)
    except ExprError as exc:
        verb = "read" if exc.code == "name" else "work out"
        tail = " as a number" if exc.code == "name" else ""
        raise _Unreadable("unreadable", problem=f"could not {verb} `{text}`{tail}: {exc}") from None


def read_number(answer: Any) -> tuple[float, bool]:
    """(value, typed as a plain number) of a learner's answer; ExprError with a learner message."""
    try:
        return _read(answer)
    except _Unreadable as exc:
        raise ExprError(unreadable("numeric", exc.reason, **exc.facts)) from None


def within(x: float, key: float, rtol: float, atol: float) -> bool:
    """PrairieLearn's "relabs" comparison."""
    return abs(x - key) <= atol + rtol * abs(key)


def _key(answer: Any, values: Values) -> float:
    if answer is None:
        raise _LessonProblem("it has no answer")
    try:
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            if not abs(answer) <= 1e300:
                raise ExprError("the answer is not a finite number")
            return float(answer)
        return parse(str(answer)).evaluate(values)
    except ExprError as exc:
        raise _LessonProblem(f"its answer `{answer}`: {exc.detail}") from None


def _targeted(feedback: Iterable[Feedback], values: Values, x: float, cell: tuple[int, int] | None) -> str:
    """The first feedback message (for this cell, or question-wide when cell is None) that holds."""
    env = {**values, "answer": x}
    for fb in feedback:
        fb_cell = tuple(fb.cell) if fb.cell is not None else None
        if fb_cell != cell:
            continue
        try:
            if parse(fb.when).evaluate(env):
                return fb.message
        except ExprError:
            continue  # a broken condition is the validator's business, not the learner's
    return ""


def normalise(text: str) -> str:
    """Case-folded, stripped, internal whitespace collapsed."""
    return " ".join(text.split()).casefold()


def _scalar(value: Any) -> str | float | None:
    """A learner's value as JSON-able data for a Result (containers and huge ints by name only)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 2**53):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 1e300:
        return float(value)
    return type(value).__name__


# --------------------------------------------------------------------------- numeric


def check_numeric(q: Question, answer: Any, values: Values) -> Result:
    x, plain = _read(answer)
    key = _key(q.answer, values)
    given, value = _scalar(answer), None if plain or not isinstance(answer, str) else x
    if within(x, key, q.rtol, q.atol):
        return Result("correct", 1.0, kind="numeric", given=given, value=value)
    message = _targeted(q.feedback, values, x, None)
    reason = "rounded" if plain and _rounded_key(answer, x, key) else ""
    return Result("wrong", 0.0, targeted=(message,) if message else (), reason=reason, kind="numeric",
                  given=given, value=value)


def _rounded_key(answer: Any, x: float, key: float) -> bool:
    """True when the learner typed the key rounded to their number of decimals (0.62 for 0.6225)."""
    if not isinstance(answer, str) or "e" in answer.lower() or "." not in answer:
        return False
    decimals = len(answer.strip().split(".")[1])
    return decimals < 15 and math.isclose(round(key, decimals), x, rel_tol=0, abs_tol=1e-12)


# --------------------------------------------------------------------------- choice / multi


def _read_letter(token: Any, n: int) -> int | None:
    if _is_int(token):
        return int(token) if 0 <= token < n else None
    if not isinstance(token, str):
        return None
    t = token.strip().strip("().[]").strip().upper()
    if len(t) == 1 and t in _LETTERS[:n]:
        return _LETTERS.index(t)
    return None


def check_choice(q: Question, answer: Any, values: Values) -> Result:
    n = len(q.options)
    if isinstance(answer, str) and not answer.strip():
        raise _Unreadable("empty", options=n)
    idx = _read_letter(answer, n)
    if idx is None and not isinstance(answer, str) and not _is_int(answer):
        raise _Unreadable("shape", options=n)
    if idx is None:
        raise _Unreadable("not_an_option", given=answer, options=n)
    opt = q.options[idx]
    part = PartResult("option", idx, opt.correct, given=True, expected=opt.correct,
                      feedback="" if opt.correct else opt.feedback)
    said = (opt.feedback,) if opt.feedback else ()  # the author's word on the option picked, right or wrong
    if opt.correct:
        return Result("correct", 1.0, parts=(part,), targeted=said, kind="choice")
    return Result("wrong", 0.0, parts=(part,), targeted=said, kind="choice")


_SEPARATORS = re.compile(r"[\s,;/&+]+|\band\b", re.IGNORECASE)


def _read_picks(answer: Any, n: int) -> set[int]:
    tokens: list[Any]
    if isinstance(answer, str):
        if len(answer) > MAX_TEXT:
            raise _Unreadable("too_long")
        tokens = []
        for word in _SEPARATORS.split(answer):
            word = word.strip("().[]")
            tokens.extend(word if word.isalpha() else [word] if word else [])
    elif isinstance(answer, (set, frozenset, list, tuple)):
        tokens = list(answer)
    else:
        raise _Unreadable("shape", options=n)
    picks: set[int] = set()
    for token in tokens:
        idx = _read_letter(token, n)
        if idx is None and not isinstance(token, str) and not _is_int(token):
            raise _Unreadable("shape", options=n)
        if idx is None:
            raise _Unreadable("not_an_option", given=token, options=n)
        picks.add(idx)
    if not picks:
        raise _Unreadable("empty", options=n)
    return picks


def multi_score(method: str, picks: set[int], correct: set[int], n: int) -> float:
    """Partial credit as PrairieLearn's pl-checkbox `partial-credit` attribute defines it.

    From docs/elements/pl-checkbox.md (PrairieLearn/PrairieLearn), with t = right picks,
    f = wrong picks, c = number of correct options, n = number of options:

    * `edc` ("each-answer", Every Decision Counts): each option is a true/false decision
      worth 1/n; score = (t + options correctly left unpicked) / n.
    * `pc` ("net-correct"): (t - f) / c, not below 0.
    * `cov` ("coverage"): (t / c) * (t / number of picks).
    * `none` ("off"): 1 if the picks are exactly the correct options, else 0.
    """
    t, f, c = len(picks & correct), len(picks - correct), len(correct)
    if method == "none":
        return 1.0 if picks == correct else 0.0
    if method == "pc":
        return max(0.0, (t - f) / c) if c else (1.0 if not picks else 0.0)
    if method == "cov":
        return (t / c) * (t / len(picks)) if c and picks else (1.0 if picks == correct else 0.0)
    right_unpicked = (n - c) - f
    return (t + right_unpicked) / n if n else 0.0


def check_multi(q: Question, answer: Any, values: Values) -> Result:
    n = len(q.options)
    picks = _read_picks(answer, n)
    correct = {i for i, o in enumerate(q.options) if o.correct}
    score = multi_score(q.partial, picks, correct, n)
    parts = tuple(PartResult("option", i, (i in picks) == opt.correct, given=i in picks, expected=opt.correct,
                             feedback=opt.feedback if i in picks and not opt.correct else "")
                  for i, opt in enumerate(q.options))
    targeted = tuple(p.feedback for p in parts if p.feedback)
    return Result(status_for(score), score, parts=parts, targeted=targeted, kind="multi")


# --------------------------------------------------------------------------- matching


def check_matching(q: Question, answer: Any, values: Values) -> Result:
    canon = {key.strip().upper(): key for key, _ in q.match_options}
    keys = tuple(key for key, _ in q.match_options)
    if isinstance(answer, Mapping):
        pairs = list(answer.items())
    elif isinstance(answer, (list, tuple)):
        pairs = list(enumerate(answer))
    else:
        raise _Unreadable("shape")
    given: dict[int, str] = {}
    for index, choice in pairs:
        if not _is_int(index) or not 0 <= index < len(q.statements):
            raise _Unreadable("no_statement", given=index)
        if choice is None or (isinstance(choice, str) and not choice.strip()):
            continue
        key = canon.get(choice.strip().upper()) if isinstance(choice, str) else None
        if key is None:
            raise _Unreadable("not_an_option", given=choice, keys=keys)
        given[index] = key
    if not given:
        raise _Unreadable("empty")
    parts = []
    for i, st in enumerate(q.statements):
        mine = given.get(i)
        ok = mine is not None and mine.strip().upper() == st.answer.strip().upper()
        parts.append(PartResult("statement", i, ok, given=mine, expected=st.answer, optional=st.optional))
    required = [p for p in parts if not p.optional]
    counted = required or parts  # only optional statements: grade them all
    score = sum(p.correct for p in counted) / len(counted) if counted else 0.0
    return Result(status_for(score), score, parts=tuple(parts), kind="matching")


# --------------------------------------------------------------------------- table


def cell_key(cell: Cell, values: Values) -> float | str:
    """A blank cell's key: a number (literal or formula over the values) or text.

    A string answer is a formula when it parses and uses only known names (the values and
    constants such as `pi`); otherwise (`MSE`, `exclusive or`) it is a text answer.
    """
    answer = cell.answer
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        return float(answer)
    text = str(answer)
    try:
        expr = parse(text)
    except ExprError:
        return text
    if not expr.names <= set(values):
        return text
    try:
        return expr.evaluate(values)
    except ExprError as exc:
        raise _LessonProblem(f"the cell answer `{text}`: {exc.detail}") from None


def _cell_key_or_none(cell: Cell, values: Values) -> float | str | None:
    """The key of a cell left blank, for the record; a broken key there does not stop grading."""
    try:
        return cell_key(cell, values)
    except _LessonProblem:
        return None


def blank_cells(q: Question) -> list[tuple[int, int, Cell]]:
    return [(r, c, cell) for r, row in enumerate(q.rows) for c, cell in enumerate(row) if cell.is_blank]


def check_table(q: Question, answer: Any, values: Values) -> Result:
    if not isinstance(answer, Mapping):
        raise _Unreadable("shape")
    typed: dict[tuple[int, int], Any] = {}
    for key, text in answer.items():
        if isinstance(key, (tuple, list)) and len(key) == 2 and all(_is_int(k) for k in key):
            typed[(key[0], key[1])] = text
    blanks = blank_cells(q)

    def filled(v: Any) -> bool:
        return v is not None and not (isinstance(v, str) and not v.strip())

    if not any(filled(typed.get((r, c))) for r, c, _ in blanks):
        raise _Unreadable("empty")
    parts, targeted = [], []
    for r, c, cell in blanks:
        text = typed.get((r, c))
        if not filled(text):
            parts.append(PartResult("cell", r, False, given=None, expected=_cell_key_or_none(cell, values), column=c))
            continue
        key = cell_key(cell, values)
        hint = ""
        if isinstance(key, str):
            ok = isinstance(text, str) and normalise(text) == normalise(key)
        else:
            try:
                x, _ = _read(text)
            except _Unreadable as exc:
                raise _Unreadable("unreadable", cell=cell_label(q, r, c),
                                  problem=unreadable("numeric", exc.reason, **exc.facts)) from None
            rtol = cell.rtol if cell.rtol is not None else q.rtol
            atol = cell.atol if cell.atol is not None else q.atol
            ok = within(x, key, rtol, atol)
            hint = "" if ok else _targeted(q.feedback, values, x, (r, c))
        if hint:
            targeted.append(hint)
        parts.append(PartResult("cell", r, ok, given=_scalar(text), expected=key, column=c, feedback=hint))
    right = sum(p.correct for p in parts)
    score = right / len(blanks) if blanks else 0.0
    return Result(status_for(score), score, parts=tuple(parts), targeted=tuple(targeted), kind="table")


# --------------------------------------------------------------------------- order


def longest_increasing(seq: list[int]) -> set[int]:
    """Positions of one longest increasing subsequence of `seq`.

    For a permutation of 0..n-1 this is the longest common subsequence with the correct
    order 0, 1, ..., n-1; the other positions are the fewest items to move.
    """
    n = len(seq)
    best = [1] * n
    prev = [-1] * n
    for i in range(n):
        for j in range(i):
            if seq[j] < seq[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    if not n:
        return set()
    i = max(range(n), key=lambda k: (best[k], -k))
    out = set()
    while i != -1:
        out.add(i)
        i = prev[i]
    return out


def check_order(q: Question, answer: Any, values: Values) -> Result:
    """Score as PrairieLearn's pl-order-blocks with `partial-credit="lcs"`: max(0, (n - d) / n).

    d is the LCS edit distance (insertions + deletions) to the correct order; for a full
    permutation d = 2 * (n - LCS), so the score is max(0, 2*LCS/n - 1): one item moved out
    of ten scores 0.8, and a reversed (or random) order earns nothing.
    """
    n = len(q.items)
    if not isinstance(answer, (list, tuple)) or not all(_is_int(i) for i in answer) or sorted(answer) != list(range(n)):
        raise _Unreadable("shape", items=n)
    seq = [int(i) for i in answer]
    keep = longest_increasing(seq)
    score = max(0.0, 2 * len(keep) / n - 1) if n else 0.0
    parts = tuple(PartResult("position", pos, pos in keep, given=item, expected=pos) for pos, item in enumerate(seq))
    return Result(status_for(score), score, parts=parts, kind="order")


# --------------------------------------------------------------------------- text / reflect


def text_matches(q: Question, text: str) -> bool:
    norm = normalise(text)
    if any(norm == normalise(a) for a in q.accepted):
        return True
    return bool(q.pattern) and pattern_matches(q.pattern, norm)  # RE2: linear time, no backtracking


def check_text(q: Question, answer: Any, values: Values) -> Result:
    if not isinstance(answer, str) or not answer.strip():
        raise _Unreadable("empty")
    if len(answer) > MAX_TEXT:  # also bounds the work a lesson's pattern can do
        raise _Unreadable("too_long", limit=MAX_TEXT)
    ok = text_matches(q, answer)
    return Result("correct" if ok else "wrong", 1.0 if ok else 0.0, kind="text", given=answer)


def check_reflect(q: Question, answer: Any, values: Values) -> Result:
    if not isinstance(answer, str) or not answer.strip():
        raise _Unreadable("empty")
    return Result("saved", 0.0, kind="reflect")


_CHECKERS: dict[str, Callable[[Question, Any, Values], Result]] = {
    "numeric": check_numeric,
    "choice": check_choice,
    "multi": check_multi,
    "matching": check_matching,
    "table": check_table,
    "order": check_order,
    "text": check_text,
    "reflect": check_reflect,
}


# --------------------------------------------------------------------------- key text


def _key_number_text(key: float, rtol: float, atol: float) -> str:
    """The shortest compact text of `key` that the checker itself accepts."""
    for digits in range(3, 18):
        text = format_number(key, digits)
        try:
            if within(parse(text).evaluate({}), key, rtol, atol):
                return text
        except ExprError:
            break
    return repr(key)


def key_text(question: Question, values: Values | None = None) -> str:
    """The revealed answer as text, for every kind ("" for reflect or an ungradable key)."""
    q, vals = question, dict(values or {})
    try:
        if q.kind == "numeric":
            return _key_number_text(_key(q.answer, vals), q.rtol, q.atol)
        if q.kind == "choice":
            return ", ".join(letter(i) for i, o in enumerate(q.options) if o.correct)
        if q.kind == "multi":
            return ", ".join(letter(i) for i, o in enumerate(q.options) if o.correct)
        if q.kind == "matching":
            return ", ".join(f"{i + 1} {st.answer}" for i, st in enumerate(q.statements))
        if q.kind == "table":
            out = []
            for r, c, cell in blank_cells(q):
                key = cell_key(cell, vals)
                rtol = cell.rtol if cell.rtol is not None else q.rtol
                atol = cell.atol if cell.atol is not None else q.atol
                out.append(f"{cell_label(q, r, c)}: {key if isinstance(key, str) else _key_number_text(key, rtol, atol)}")
            return "; ".join(out)
        if q.kind == "order":
            return "\n".join(f"{i + 1}. {item}" for i, item in enumerate(q.items))
        if q.kind == "text":
            return q.accepted[0] if q.accepted else q.pattern
    except _LessonProblem:
        return ""
    return ""
