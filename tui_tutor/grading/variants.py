"""Parameterised questions: draw a variant's numbers, fill them in, check a question.

As in PrairieLearn, a question with `params` is a generator: each practice gets fresh
numbers. Variant 0 uses the lesson's `first` values (the numbers of the episode the
lesson follows). Every formula goes through `expr`, parsed once and evaluated per draw.
Seeds come from sha256 (never `hash()`, which changes between processes), so a learner
sees the same variant after a restart.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from collections.abc import Mapping

from tui_tutor.grading.checkers import blank_cells, cell_key
from tui_tutor.grading.expr import CONSTANTS, KEYWORDS, MAX_MAGNITUDE, Expr, ExprError, format_number, parse
from tui_tutor.lesson.model import Cell, Param, Question
from tui_tutor.lesson.names import RUN_VALUE_NAMES

MAX_TRIES = 200
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class VariantError(ValueError):
    """No valid variant could be drawn (a problem in the lesson, reported by the validator)."""


def variant_seed(learner: str, lesson_id: str, question_id: str, number: int) -> int:
    """A 63-bit seed (it fits SQLite's signed INTEGER), the same in every process and on every machine."""
    text = "\x1f".join((learner, lesson_id, question_id, str(number)))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class _Plan:
    """A question's formulas, parsed once: derived values in dependency order."""

    params: tuple[Param, ...]
    derived: tuple[tuple[str, Expr], ...]
    where: tuple[Expr, ...]
    keys: tuple[Expr, ...]  # the answer / cell formulas every variant must be able to compute


def _derived_order(derived: tuple[tuple[str, str], ...], known: set[str]) -> tuple[list[tuple[str, Expr]], str]:
    """Derived values sorted so each comes after what it uses; ("", cycle message) on a cycle."""
    parsed = {name: parse(text) for name, text in derived}
    deps = {name: set(e.names) & set(parsed) for name, e in parsed.items()}
    done: list[tuple[str, Expr]] = []
    placed: set[str] = set()
    while len(done) < len(parsed):
        ready = [n for n, _ in derived if n not in placed and deps[n] <= placed]
        if not ready:
            return done, _cycle_text(deps, placed)
        for n in ready:
            done.append((n, parsed[n]))
            placed.add(n)
    return done, ""


def _cycle_text(deps: dict[str, set[str]], placed: set[str]) -> str:
    start = next(n for n in deps if n not in placed)
    path, seen = [start], {start}
    while True:
        nxt = sorted(d for d in deps[path[-1]] if d not in placed)[0]
        if nxt in seen:
            loop = path[path.index(nxt):] + [nxt]
            return "derived values depend on each other in a cycle: " + " -> ".join(loop)
        path.append(nxt)
        seen.add(nxt)


def _formula_cells(q: Question, known: set[str]) -> list[tuple[int, int, Expr]]:
    out = []
    for r, c, cell in blank_cells(q):
        if isinstance(cell.answer, str):
            try:
                e = parse(cell.answer)
            except ExprError:
                continue
            if e.names <= known:
                out.append((r, c, e))
    return out


def _build_plan(q: Question) -> _Plan:
    known = {p.name for p in q.params} | {n for n, _ in q.derived}
    try:
        derived, cycle = _derived_order(q.derived, known)
        if cycle:
            raise VariantError(cycle)
        where = tuple(parse(w) for w in q.where)
        keys = [parse(q.answer)] if q.kind == "numeric" and isinstance(q.answer, str) else []
    except ExprError as exc:
        raise VariantError(str(exc)) from None
    keys += [e for _, _, e in _formula_cells(q, known)]
    return _Plan(q.params, tuple(derived), where, tuple(keys))


@lru_cache(maxsize=512)
def _plan_cached(q: Question) -> _Plan:
    return _build_plan(q)


def _plan(q: Question) -> _Plan:
    try:
        return _plan_cached(q)
    except TypeError:  # an unhashable field (a list where a tuple was expected): no cache
        return _build_plan(q)


# --------------------------------------------------------------------------- draw


@lru_cache(maxsize=1024)
def _decimals(x: float) -> int:
    exponent = Decimal(repr(float(x))).normalize().as_tuple().exponent
    return min(15, max(0, -exponent)) if isinstance(exponent, int) else 0


def _as_float(value: float, what: str) -> float:
    """A finite float, or VariantError (a huge int would raise OverflowError in float())."""
    try:
        number = float(value)
    except (OverflowError, TypeError, ValueError):
        number = math.inf
    if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise VariantError(f"{what} is not a usable number")
    return number


def _sample(p: Param, rng: random.Random) -> float:
    """One value: from `choose`, or `low + k*step` rounded to the step's decimals."""
    if p.choose:
        return _as_float(rng.choice(p.choose), f"a `choose` value of parameter `{p.name}`")
    low = _as_float(p.low if p.low is not None else 0, f"the low end of parameter `{p.name}`")
    high = _as_float(p.high if p.high is not None else 0, f"the high end of parameter `{p.name}`")
    step = _as_float(p.step, f"the step of parameter `{p.name}`") if p.step else 1.0
    if step <= 0 or high < low:
        raise VariantError(f"parameter `{p.name}` has an unusable range")
    steps = (high - low) / step + 1e-9  # may be inf for a tiny step: capped below
    k = math.floor(min(steps, 1e9)) if math.isfinite(steps) else 10**9
    value = low + rng.randint(0, k) * step
    if not math.isfinite(value):
        raise VariantError(f"parameter `{p.name}` has an unusable range")
    return round(value, max(_decimals(low), _decimals(step))) + 0.0


def _params(plan: _Plan, rng: random.Random, first: Mapping[str, float]) -> dict[str, float]:
    return {p.name: _as_float(first[p.name], f"`first.{p.name}`") if p.name in first else _sample(p, rng)
            for p in plan.params}


def _complete(plan: _Plan, values: dict[str, float]) -> bool:
    """Add derived values; True if the `where` conditions hold and every key computes."""
    for name, expr in plan.derived:
        values[name] = expr.evaluate(values)
    if not all(w.evaluate(values) for w in plan.where):
        return False
    for key in plan.keys:
        key.evaluate(values)
    return True


def draw(question: Question, number: int, seed: int) -> dict[str, float]:
    """Parameter and derived values of variant `number` ({} for a plain question).

    Redraws (at most 200 times) until the `where` conditions hold and the answer can be
    computed; raises VariantError if that never happens. If variant 0's `first` values fail,
    it falls back to fresh draws (the validator reports the lesson problem).
    """
    if not question.params:
        return {}
    plan = _plan(question)
    rng = random.Random(seed)
    first = {k: v for k, v in question.first} if number == 0 else {}
    last = "the `where` conditions never held"
    for _ in range(MAX_TRIES):
        values = _params(plan, rng, first)
        try:
            if _complete(plan, values):
                return values
        except ExprError as exc:
            last = str(exc)
        if first and all(p.name in first for p in plan.params):
            first = {}  # the fixed values cannot change: draw fresh ones instead
    raise VariantError(f"no usable variant of `{question.id}` in {MAX_TRIES} draws: {last}")


# --------------------------------------------------------------------------- render


def fill(text: str, values: Mapping[str, float | str]) -> str:
    """Replace `{name}` for known names; other braces (Markdown, LaTeX) stay as they are."""
    if "{" not in text:
        return text

    def show(value: float | str) -> str:
        return value if isinstance(value, str) else format_number(value)

    return _PLACEHOLDER.sub(lambda m: show(values[m[1]]) if m[1] in values else m[0], text)


def _render_cell(cell: Cell, values: Mapping[str, float], shown: Mapping[str, float | str]) -> Cell:
    if not cell.is_blank:
        return replace(cell, value=fill(cell.value, shown))
    key = cell_key(cell, values)
    return replace(cell, value=fill(cell.value, shown), answer=fill(key, values) if isinstance(key, str) else key)


def _shown_values(question: Question, values: Mapping[str, float]) -> dict[str, float | str]:
    """What placeholders show: numbers, or the word a labelled parameter stands for."""
    shown: dict[str, float | str] = dict(values)
    for p in question.params:
        if p.labels and p.name in values:
            index = int(values[p.name])
            if 0 <= index < len(p.labels):
                shown[p.name] = p.labels[index]
    return shown


def render(question: Question, values: Mapping[str, float]) -> Question:
    """A copy with `{name}` placeholders filled and answers evaluated to numbers."""
    if not values:
        return question
    v = dict(values)
    shown = _shown_values(question, values)

    def f(text: str) -> str:
        return fill(text, shown)

    answer = question.answer
    if question.kind == "numeric" and answer is not None:
        try:
            answer = parse(str(answer)).evaluate(v) if isinstance(answer, str) else float(answer)
        except ExprError as exc:
            raise VariantError(f"the answer `{question.answer}`: {exc.detail}") from None
    try:
        rows = tuple(tuple(_render_cell(c, v, shown) for c in row) for row in question.rows)
    except Exception as exc:  # noqa: BLE001 - the checkers' lesson problem: a cell formula fails
        raise VariantError(str(exc)) from None
    return replace(
        question,
        prompt=f(question.prompt),
        hints=tuple(f(h) for h in question.hints),
        solution=f(question.solution),
        feedback=tuple(replace(fb, message=f(fb.message)) for fb in question.feedback),
        answer=answer,
        options=tuple(replace(o, text=f(o.text), feedback=f(o.feedback)) for o in question.options),
        match_options=tuple((k, f(t)) for k, t in question.match_options),
        statements=tuple(replace(s, text=f(s.text)) for s in question.statements),
        columns=tuple(f(c) for c in question.columns),
        rows=rows,
        items=tuple(f(i) for i in question.items),
    )


# --------------------------------------------------------------------------- validate


def _failure(exc: ExprError) -> str:
    if exc.code == "zero-division":
        return "divides by zero"
    if exc.code == "too-large":
        return "is too large to compute"
    if exc.code == "name":
        return f"uses {exc.detail}"
    return f"cannot be computed ({exc.detail})"


def _assignments(q: Question, values: Mapping[str, float]) -> str:
    return ", ".join(f"{p.name} = {format_number(values[p.name], 6)}" for p in q.params if p.name in values)


class _Report:
    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self._seen: set[str] = set()

    def add(self, line: int, message: str, key: str | None = None) -> None:
        key = key or message
        if key not in self._seen:
            self._seen.add(key)
            self.problems.append((line, message))


def _check_names(q: Question, rep: _Report) -> dict[str, Expr]:
    """Parse every formula and check its names; returns what parsed, by a label."""
    params = [p.name for p in q.params]
    derived = [n for n, _ in q.derived]
    known = set(params) | set(derived)
    if q.run:
        known |= set(RUN_VALUE_NAMES)
    line = q.line
    for p in q.params:
        if p.name in CONSTANTS or p.name in KEYWORDS or p.name == "answer":
            rep.add(p.line or line, f"parameter `{p.name}` uses a reserved name (pi, e, and, or, not, answer)")
        if not p.choose and (p.low is None or p.high is None or not p.step or p.step <= 0 or p.high < p.low):
            rep.add(p.line or line, f"parameter `{p.name}` needs `choose:` or `range: [low, high]` with a step above 0")
    for name in derived:
        if name in params:
            rep.add(line, f"derived `{name}` has the same name as a parameter")
        elif derived.count(name) > 1:
            rep.add(line, f"derived `{name}` is defined twice")
        if name in CONSTANTS or name in KEYWORDS or name == "answer":
            rep.add(line, f"derived `{name}` uses a reserved name (pi, e, and, or, not, answer)")
    for name, _ in q.first:
        if name not in params:
            rep.add(line, f"`first` sets `{name}`, which is not a parameter")

    formulas: list[tuple[str, str, int, set[str]]] = [(f"derived `{n}`", t, line, known) for n, t in q.derived]
    if q.kind == "numeric" and isinstance(q.answer, str):
        formulas.append(("the answer", q.answer, line, known))
    formulas += [(f"the `where` condition `{w}`", w, line, known) for w in q.where]
    formulas += [(f"the feedback condition `{fb.when}`", fb.when, fb.line or line, known | {"answer"})
                 for fb in q.feedback]
    for r, c, cell in blank_cells(q):
        text = cell.answer if isinstance(cell.answer, str) else ""
        if text and re.search(r"[0-9+*/^()-]", text):  # looks like a formula, not a text answer
            formulas.append((f"the answer of cell [{r}, {c}]", text, line, known))
    parsed: dict[str, Expr] = {}
    for label, text, where, allowed in formulas:
        try:
            expr = parse(text)
        except ExprError as exc:
            rep.add(where, f"{label}: {exc.detail}")
            continue
        unknown = sorted(expr.names - allowed)
        if unknown:
            names = ", ".join(f"`{n}`" for n in unknown)
            rep.add(where, f"{label} uses unknown name{'s' if len(unknown) > 1 else ''} {names}")
            continue
        parsed[label] = expr
    if q.derived and all(f"derived `{n}`" in parsed for n in derived):
        _, cycle = _derived_order(q.derived, known)
        if cycle:
            rep.add(line, cycle)
    return parsed


def _check_values(q: Question, values: dict[str, float], rep: _Report) -> bool:
    """Compute every key and feedback condition for one set of values; True if all worked."""
    ok = True

    def when() -> str:  # built only when there is something to report
        at = _assignments(q, values)
        return f" when {at}" if at else ""

    keys: dict[tuple[int, int] | None, float] = {}
    if q.kind == "numeric":
        try:
            keys[None] = parse(str(q.answer)).evaluate(values) if isinstance(q.answer, str) else float(q.answer or 0)
        except ExprError as exc:
            ok = False
            rep.add(q.line, f"the answer {_failure(exc)}{when()}", key="answer")
    for r, c, cell in blank_cells(q):
        try:
            key = cell_key(cell, values)
        except Exception as exc:  # noqa: BLE001 - the checkers' lesson problem
            ok = False
            rep.add(q.line, f"the answer of cell [{r}, {c}] cannot be computed{when()}: {exc}", key=f"cell{r},{c}")
            continue
        if not isinstance(key, str):
            keys[(r, c)] = key
    for fb in q.feedback:
        at = (fb.cell[0], fb.cell[1]) if fb.cell is not None else None
        if at not in keys:
            continue
        try:
            fires = parse(fb.when).evaluate({**values, "answer": keys[at]})
        except ExprError as exc:
            ok = False
            rep.add(fb.line or q.line, f"the feedback condition `{fb.when}` {_failure(exc)}{when()}", key=f"fb{fb.when}")
            continue
        if fires:  # the mistake it names gives the key here: a learner making it is marked right
            rep.add(fb.line or q.line, f"the feedback condition `{fb.when}` holds for the correct answer{when()}: "
                    "the mistake it names gives the key, so add a `where` condition that rules such "
                    "variants out", key=f"fb-key{at}{fb.when}")
    return ok


def validate_question(question: Question, draws: int = 300) -> list[tuple[int, str]]:
    """(line, message) for every problem with the question's formulas and variants."""
    q, rep = question, _Report()
    _check_names(q, rep)
    if rep.problems:
        return rep.problems  # drawing would only repeat these
    if not q.params:
        sample = {}
        if q.run:  # a question about the learner's run: check it against a typical run
            sample = {name: 0.25 for name in RUN_VALUE_NAMES} | {"epochs_run": 100.0, "best_val_epoch": 40.0, "best_loss_epoch": 100.0}
        _check_values(q, sample, rep)
        return rep.problems
    plan = _plan(q)
    try:
        first = {k: _as_float(v, f"`first.{k}`") for k, v in q.first}
    except VariantError as exc:
        rep.add(q.line, str(exc))
        return rep.problems
    satisfied, rendered = 0, False
    for i in range(draws):
        rng = random.Random(i)
        try:
            values = _params(plan, rng, first if i == 0 else {})
        except VariantError as exc:
            rep.add(q.line, str(exc))
            return rep.problems
        try:
            for name, expr in plan.derived:
                values[name] = expr.evaluate(values)
        except ExprError as exc:
            rep.add(q.line, f"derived `{name}` {_failure(exc)} when {_assignments(q, values)}", key=f"derived {name}")
            continue
        try:
            holds = all(w.evaluate(values) for w in plan.where)
        except ExprError as exc:
            rep.add(q.line, f"a `where` condition {_failure(exc)} when {_assignments(q, values)}", key="where")
            continue
        if not holds:
            if i == 0 and first:
                rep.add(q.line, f"the `first` values do not satisfy the `where` conditions ({_assignments(q, values)})")
            continue
        satisfied += 1
        if _check_values(q, values, rep) and not rendered:
            rendered = True
            try:
                render(q, values)
            except Exception as exc:  # noqa: BLE001 - report, do not crash the validator
                rep.add(q.line, f"the question cannot be filled in when {_assignments(q, values)}: {exc}")
    if q.where and satisfied == 0:
        rep.add(q.line, f"the `where` conditions never hold (0 of {draws} draws)")
    elif q.where and satisfied < 0.05 * draws:
        rep.add(q.line, f"the `where` conditions hold in only {satisfied} of {draws} draws: "
                        "a learner may get no variant")
    return rep.problems
