"""One pure checker per question kind, behind `check(question, answer, values)`.

`check` never raises on learner input: anything it cannot read gives status "invalid"
(which does not count as an attempt) with a plain message. `values` are the variant's
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
from functools import lru_cache
from typing import Any
from collections.abc import Callable

from tui_tutor.grading.expr import Expr, ExprError, Num, Unary, format_number, parse
from tui_tutor.grading.result import PartResult, Result, invalid, status_for
from tui_tutor.lesson.model import Cell, Feedback, Question

Values = Mapping[str, float]
MAX_TEXT = 200
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _LessonProblem(Exception):
    """The question itself cannot be graded (bad key); reported as invalid, not raised."""


def check(question: Question, answer: Any, values: Values | None = None) -> Result:
    """Grade `answer` to `question` (with the variant's `values`); never raises."""
    vals = dict(values or {})
    checker = _CHECKERS.get(question.kind)
    if checker is None:
        return invalid(f"This question has an unknown kind `{question.kind}` and cannot be graded.")
    try:
        return checker(question, answer, vals)
    except _LessonProblem as exc:
        return invalid(f"This question cannot be graded (a problem in the lesson): {exc}")
    except Exception as exc:  # noqa: BLE001 - last resort: a grading bug must not crash the tutor
        return invalid(f"This answer could not be graded ({type(exc).__name__}).")


# --------------------------------------------------------------------------- helpers


def letter(index: int) -> str:
    """Option label for a 0-based index: A, B, C, ..."""
    return _LETTERS[index] if 0 <= index < len(_LETTERS) else f"#{index + 1}"


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_plain_number(expr: Expr) -> bool:
    tree = expr.tree
    if isinstance(tree, Unary) and tree.op in "+-":
        tree = tree.operand
    return isinstance(tree, Num)


def read_number(answer: Any) -> tuple[float, bool]:
    """(value, typed as a plain number) of a learner's answer; ExprError with a learner message."""
    if isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
        raise ExprError("Type a number.")
    if isinstance(answer, (int, float)):
        if not abs(answer) <= 1e300:  # also nan and inf
            raise ExprError("That number is too large.")
        return float(answer), True
    text = answer.strip()
    if not text:
        raise ExprError("Type a number (or arithmetic such as 5/4).")
    expr = parse(text)  # raises "could not read `...` as a number: ..."
    try:
        return expr.evaluate({}), _is_plain_number(expr)
    except ExprError as exc:
        verb = "read" if exc.code == "name" else "work out"
        tail = " as a number" if exc.code == "name" else ""
        raise ExprError(f"could not {verb} `{text}`{tail}: {exc}", code=exc.code) from None


def _learner_number(answer: Any) -> tuple[float | None, bool, str]:
    try:
        value, plain = read_number(answer)
        return value, plain, ""
    except ExprError as exc:
        return None, False, _sentence(str(exc))


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


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return None


def _shown(text: Any) -> str:
    if _is_int(text) and abs(text) > 10**40:  # str() of a huge int is slow, or refused
        return "a very large number"
    if not isinstance(text, (str, int, float)):
        text = type(text).__name__  # never str() a learner's container: it may hold anything
    s = str(text).strip()
    return s if len(s) <= 40 else s[:37] + "..."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------- numeric


def check_numeric(q: Question, answer: Any, values: Values) -> Result:
    x, plain, err = _learner_number(answer)
    if x is None:
        return invalid(err)
    key = _key(q.answer, values)
    shown = _shown(answer) if plain or not isinstance(answer, str) else f"`{_shown(answer)}` = {format_number(x, 6)}"
    if within(x, key, q.rtol, q.atol):
        return Result("correct", 1.0, "Correct." if plain else f"Correct ({shown}).")
    message = _targeted(q.feedback, values, x, None)
    if plain and _rounded_key(answer, x, key):
        summary = f"Close: {shown} is the answer rounded too much; give more decimal places."
    else:
        summary = f"Not quite: {shown} is not the answer."
    return Result("wrong", 0.0, summary, targeted=(message,) if message else ())


def _rounded_key(answer: Any, x: float, key: float) -> bool:
    """True when the learner typed the key rounded to their number of decimals (0.62 for 0.6225)."""
    if not isinstance(answer, str) or "e" in answer.lower() or "." not in answer:
        return False
    decimals = len(answer.strip().split(".")[1])
    return decimals < 15 and math.isclose(round(key, decimals), x, rel_tol=0, abs_tol=1e-12)


# --------------------------------------------------------------------------- choice / multi


def _read_letter(token: Any, n: int) -> int | None:
    if _is_int(token):
        return token if 0 <= token < n else None
    if not isinstance(token, str):
        return None
    t = token.strip().strip("().[]").strip().upper()
    if len(t) == 1 and t in _LETTERS[:n]:
        return _LETTERS.index(t)
    return None


def _choices_hint(n: int) -> str:
    return f"choose a letter from A to {letter(n - 1)}" if n > 1 else "choose A"


def check_choice(q: Question, answer: Any, values: Values) -> Result:
    n = len(q.options)
    if isinstance(answer, str) and not answer.strip():
        return invalid(_sentence(f"Choose an option: {_choices_hint(n)}"))
    idx = _read_letter(answer, n)
    if idx is None and not isinstance(answer, str) and not _is_int(answer):
        return invalid(_sentence(f"Choose one option: {_choices_hint(n)}"))
    if idx is None:
        return invalid(_sentence(f"`{_shown(answer)}` is not an option: {_choices_hint(n)}"))
    opt = q.options[idx]
    label = f"option {letter(idx)}"
    if opt.correct:
        return Result("correct", 1.0, "Correct.", parts=(PartResult(label, True),))
    return Result("wrong", 0.0, f"{letter(idx)} is not right.", parts=(PartResult(label, False, opt.feedback),),
                  targeted=(opt.feedback,) if opt.feedback else ())


_SEPARATORS = re.compile(r"[\s,;/&+]+|\band\b", re.IGNORECASE)


def _read_picks(answer: Any, n: int) -> tuple[set[int], str]:
    tokens: list[Any]
    if isinstance(answer, str):
        if len(answer) > MAX_TEXT:
            return set(), "That answer is too long."
        tokens = []
        for word in _SEPARATORS.split(answer):
            word = word.strip("().[]")
            tokens.extend(word if word.isalpha() else [word] if word else [])
    elif isinstance(answer, (set, frozenset, list, tuple)):
        tokens = list(answer)
    else:
        return set(), _sentence(f"Choose options by letter: {_choices_hint(n)}")
    picks: set[int] = set()
    for token in tokens:
        idx = _read_letter(token, n)
        if idx is None and not isinstance(token, str) and not _is_int(token):
            return set(), _sentence(f"Choose options by letter: {_choices_hint(n)}")
        if idx is None:
            return set(), _sentence(f"`{_shown(token)}` is not an option: {_choices_hint(n)}")
        picks.add(idx)
    if not picks:
        return set(), _sentence(f"Choose at least one option: {_choices_hint(n)}")
    return picks, ""


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
    picks, err = _read_picks(answer, n)
    if err:
        return invalid(err)
    correct = {i for i, o in enumerate(q.options) if o.correct}
    score = multi_score(q.partial, picks, correct, n)
    parts, targeted = [], []
    for i, opt in enumerate(q.options):
        picked, right = i in picks, i in correct
        if picked == right:
            parts.append(PartResult(f"option {letter(i)}", True))
        elif picked:
            parts.append(PartResult(f"option {letter(i)}", False, opt.feedback or "should not be picked"))
            if opt.feedback:
                targeted.append(opt.feedback)
        else:
            parts.append(PartResult(f"option {letter(i)}", False, "should be picked"))
    t, f = len(picks & correct), len(picks - correct)
    if picks == correct:
        message = "Correct: you picked every right option and no other."
    else:
        message = f"You picked {t} of the {len(correct)} right options"
        message += f" and {_plural(f, 'wrong one')}." if f else "."
    return Result(status_for(score), score, message, tuple(parts), tuple(targeted))


# --------------------------------------------------------------------------- matching


def check_matching(q: Question, answer: Any, values: Values) -> Result:
    canon = {key.strip().upper(): key for key, _ in q.match_options}
    keys_hint = ", ".join(key for key, _ in q.match_options)
    if isinstance(answer, Mapping):
        pairs = list(answer.items())
    elif isinstance(answer, (list, tuple)):
        pairs = list(enumerate(answer))
    else:
        return invalid("Match each statement with an option.")
    given: dict[int, str] = {}
    for index, choice in pairs:
        if not _is_int(index) or not 0 <= index < len(q.statements):
            return invalid(f"There is no statement {_shown(index)}.")
        if choice is None or (isinstance(choice, str) and not choice.strip()):
            continue
        key = canon.get(choice.strip().upper()) if isinstance(choice, str) else None
        if key is None:
            return invalid(f"`{_shown(choice)}` is not an option (choose {keys_hint}).")
        given[index] = key
    if not given:
        return invalid("Match at least one statement with an option.")
    parts, right_req, right_opt = [], 0, 0
    for i, st in enumerate(q.statements):
        label = f"statement {i + 1}" + (" (optional)" if st.optional else "")
        mine = given.get(i)
        ok = mine is not None and mine.strip().upper() == st.answer.strip().upper()
        message = "" if ok else "not answered" if mine is None else f"should not be {mine}"
        parts.append(PartResult(label, ok, message))
        if ok and st.optional:
            right_opt += 1
        elif ok:
            right_req += 1
    n_opt = sum(1 for st in q.statements if st.optional)
    n_req = len(q.statements) - n_opt
    if n_req:
        score = right_req / n_req
        message = f"{right_req} of {n_req} statements are right"
        message += f" (and {right_opt} of {n_opt} optional ones)." if n_opt else "."
    else:  # only optional statements: grade them all
        score = right_opt / n_opt if n_opt else 0.0
        message = f"{right_opt} of {n_opt} statements are right."
    return Result(status_for(score), score, message, tuple(parts))


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


def cell_label(q: Question, row: int, col: int) -> str:
    """'row 2, Squared error' (rows counted from 1 for people)."""
    name = q.columns[col].strip() if col < len(q.columns) and q.columns[col].strip() else f"column {col + 1}"
    return f"row {row + 1}, {name}"


def blank_cells(q: Question) -> list[tuple[int, int, Cell]]:
    return [(r, c, cell) for r, row in enumerate(q.rows) for c, cell in enumerate(row) if cell.is_blank]


def check_table(q: Question, answer: Any, values: Values) -> Result:
    if not isinstance(answer, Mapping):
        return invalid("Fill in the table's empty cells.")
    typed: dict[tuple[int, int], Any] = {}
    for key, text in answer.items():
        if isinstance(key, (tuple, list)) and len(key) == 2 and all(_is_int(k) for k in key):
            typed[(key[0], key[1])] = text
    blanks = blank_cells(q)

    def filled(v: Any) -> bool:
        return v is not None and not (isinstance(v, str) and not v.strip())

    if not any(filled(typed.get((r, c))) for r, c, _ in blanks):
        return invalid("Fill in at least one cell.")
    parts, targeted, right = [], [], 0
    for r, c, cell in blanks:
        label, text = cell_label(q, r, c), typed.get((r, c))
        if not filled(text):
            parts.append(PartResult(label, False, "not filled in"))
            continue
        key = cell_key(cell, values)
        if isinstance(key, str):
            ok = isinstance(text, str) and normalise(text) == normalise(key)
            parts.append(PartResult(label, ok, "" if ok else f"{_shown(text)} is not right"))
        else:
            x, _, err = _learner_number(text)
            if x is None:
                return invalid(_sentence(f"{label}: {err[:1].lower()}{err[1:]}"))
            rtol = cell.rtol if cell.rtol is not None else q.rtol
            atol = cell.atol if cell.atol is not None else q.atol
            ok = within(x, key, rtol, atol)
            message = ""
            if not ok:
                hint = _targeted(q.feedback, values, x, (r, c))
                message = f"{_shown(text)} is not right" + (f". {hint}" if hint else "")
                if hint:
                    targeted.append(hint)
            parts.append(PartResult(label, ok, message))
        right += ok
    score = right / len(blanks) if blanks else 0.0
    message = "Correct: every cell is right." if right == len(blanks) else f"{right} of {_plural(len(blanks), 'cell')} are right."
    return Result(status_for(score), score, message, tuple(parts), tuple(targeted))


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
        return invalid(f"Put each of the {n} items in the list exactly once.")
    seq = list(answer)
    keep = longest_increasing(seq)
    score = max(0.0, 2 * len(keep) / n - 1) if n else 0.0
    parts = tuple(
        PartResult(f"position {pos + 1}", pos in keep, "" if pos in keep else f"“{_shown(q.items[item])}” is out of place")
        for pos, item in enumerate(seq))
    if seq == list(range(n)):
        message = "Correct: every item is in order."
    else:
        message = f"{len(keep)} of {n} items are in the right order; {_plural(n - len(keep), 'item')} out of place."
    return Result(status_for(score), score, message, parts)


# --------------------------------------------------------------------------- text / reflect


def text_matches(q: Question, text: str) -> bool:
    norm = normalise(text)
    if any(norm == normalise(a) for a in q.accepted):
        return True
    pattern = _pattern(q.pattern) if q.pattern else None
    return bool(pattern is not None and pattern.fullmatch(norm))


def check_text(q: Question, answer: Any, values: Values) -> Result:
    if not isinstance(answer, str) or not answer.strip():
        return invalid("Type an answer.")
    if len(answer) > MAX_TEXT:  # also bounds the work a lesson's pattern can do
        return invalid(f"That answer is too long (at most {MAX_TEXT} characters).")
    if text_matches(q, answer):
        return Result("correct", 1.0, "Correct.")
    return Result("wrong", 0.0, f"Not quite: “{_shown(answer)}” is not the answer.")


def check_reflect(q: Question, answer: Any, values: Values) -> Result:
    if not isinstance(answer, str) or not answer.strip():
        return invalid("Write a few words first.")
    return Result("saved", 0.0, "Saved.")


_CHECKERS: dict[str, Callable[[Question, Any, dict], Result]] = {
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
