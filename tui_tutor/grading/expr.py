"""A small, safe arithmetic engine for learners' answers and lesson formulas.

Why not `eval`: answers are typed by learners and formulas come from lesson files that
anyone may share, so nothing they contain may ever run as Python. This module has its own
tokenizer and Pratt parser for a tiny grammar, and compiles the tree into plain closures so
that one parsed expression can be evaluated thousands of times (variants) cheaply.

Grammar, loosest binding first::

    or  <  and  <  not  <  comparisons (< <= > >= == !=, one at a time)
        <  + -  <  * /  <  unary - +  <  ^ ** (right-assoc)  <  calls, numbers, names, (...)

so `-2^2` is -4 and `2^-1` is 0.5. Unicode `−ₓ×÷·` are read as `- * /`. Conditions give
1.0 (true) or 0.0 (false); `==` and `!=` compare with a tiny tolerance (1e-9 relative), so
`answer == 0.3` holds when a learner types `0.1 + 0.2`.

Limits keep every call fast: at most 500 characters, 50 levels of nesting, powers whose
result would pass 1e300 (or whose exponent passes 10 000) are refused before computing,
and every result must be a finite number.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache
from collections.abc import Callable, Mapping

MAX_LENGTH = 500
MAX_DEPTH = 50
MAX_EXPONENT = 10_000
MAX_MAGNITUDE = 1e300

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
KEYWORDS = frozenset({"and", "or", "not"})

Env = Mapping[str, float]
Fn = Callable[[Env], float]


class ExprError(ValueError):
    """A plain, learner-facing reason why an expression cannot be read or worked out.

    `detail` is the reason without the "could not read ..." prefix (for lesson validators),
    `position` is 1-based when known, and `code` is one of "syntax", "name",
    "zero-division", "too-large", "domain".
    """

    def __init__(self, message: str, *, detail: str | None = None, position: int | None = None, code: str = "syntax"):
        super().__init__(message)
        self.detail = detail if detail is not None else message
        self.position = position
        self.code = code


# --------------------------------------------------------------------------- tokens

_TRANSLATE = {"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u22c5": "*", "\u00b7": "*", "\u2217": "*", "\u00f7": "/",
              "\u2264": "<=", "\u2265": ">=", "\u2260": "!="}
_DIGITS = frozenset("0123456789")
_OPERATORS = ("**", "<=", ">=", "==", "!=", "+", "-", "*", "/", "^", "<", ">", "(", ")", ",")


class _Tok:
    __slots__ = ("kind", "pos", "text", "value")

    def __init__(self, kind: str, text: str, pos: int, value: float = 0.0):
        self.kind, self.text, self.pos, self.value = kind, text, pos, value  # kind: num name op end


def _show(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    """Tokenizer + Pratt parser; errors carry the 1-based column in the original text."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokenize()
        self.i = 0
        self.depth = -1  # the top-level expression is level 0

    def fail(self, detail: str, pos: int | None) -> ExprError:
        where = f" at position {pos + 1}" if pos is not None else ""
        full = detail.replace("{where}", where) if "{where}" in detail else detail + where
        return ExprError(f"could not read `{_show(self.text)}` as a number: {full}", detail=full,
                         position=None if pos is None else pos + 1)

    # -- tokenizer ------------------------------------------------------------
    def _tokenize(self) -> list[_Tok]:
        s, n, i, out = self.text, len(self.text), 0, []
        while i < n:
            c = s[i]
            if c.isspace():
                i += 1
            elif c in _DIGITS or (c == "." and i + 1 < n and s[i + 1] in _DIGITS):
                j = i
                while j < n and s[j] in _DIGITS:
                    j += 1
                if j < n and s[j] == ".":
                    j += 1
                    while j < n and s[j] in _DIGITS:
                        j += 1
                if j < n and s[j] in "eE":
                    k = j + 1
                    if k < n and s[k] in "+-":
                        k += 1
                    if k < n and s[k] in _DIGITS:
                        while k < n and s[k] in _DIGITS:
                            k += 1
                        j = k
                value = float(s[i:j])
                if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
                    raise self.fail("the number{where} is too large", i)
                out.append(_Tok("num", s[i:j], i, value))
                i = j
            elif c.isascii() and (c.isalpha() or c == "_"):
                j = i
                while j < n and s[j].isascii() and (s[j].isalnum() or s[j] == "_"):
                    j += 1
                out.append(_Tok("name", s[i:j], i))
                i = j
            elif c in _TRANSLATE:
                out.append(_Tok("op", _TRANSLATE[c], i))
                i += 1
            else:
                for op in _OPERATORS:
                    if s.startswith(op, i):
                        out.append(_Tok("op", op, i))
                        i += len(op)
                        break
                else:
                    raise self.fail(self._unexpected_char(c), i)
        out.append(_Tok("end", "", n))
        return out

    @staticmethod
    def _unexpected_char(c: str) -> str:
        if c == ",":
            return "unexpected ','{where} (write decimals with a point, e.g. 2.5, and no thousands separators)"
        if c == "=":
            return "unexpected '='{where} (use == to compare)"
        if c in "'\"":
            return "unexpected quote{where}: only numbers and arithmetic are allowed"
        if c == ".":
            return "unexpected '.'{where}"
        if c == "%":
            return "unexpected '%'{where} (write 25% as 0.25)"
        return f"unexpected {c!r}{{where}}"

    # -- parser -----------------------------------------------------------------
    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str, why: str) -> None:
        tok = self.peek()
        if tok.text != text or tok.kind not in ("op",):
            raise self.fail(f"expected '{text}' {why}" + (" but the text ended" if tok.kind == "end" else ", found "
                            + repr(tok.text) + "{where}"), None if tok.kind == "end" else tok.pos)
        self.take()

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("there is nothing to read", None)
        node = self.expression(0)
        tok = self.peek()
        if tok.kind != "end":
            raise self.fail(self._unexpected_token(tok), tok.pos)
        return node

    def _unexpected_token(self, tok: _Tok) -> str:
        prev = self.tokens[self.i - 1] if self.i else None
        if tok.text == ",":
            return self._unexpected_char(",")
        after_value = prev is not None and (prev.kind in ("num", "name") or prev.text == ")")
        if after_value and prev is not None and (
                tok.kind == "name" or tok.text == "(" or (tok.kind == "num" and prev.kind != "num")):
            return f"unexpected {tok.text!r}{{where}} (write * to multiply)"
        if tok.text == ")":
            return "unexpected ')'{where}: there is no '(' to close"
        return f"unexpected {tok.text!r}{{where}}"

    _INFIX = {"or": 10, "and": 20, "<": 40, "<=": 40, ">": 40, ">=": 40, "==": 40, "!=": 40,
              "+": 50, "-": 50, "*": 60, "/": 60, "^": 80, "**": 80}

    def expression(self, rbp: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)", None)
        left = self.prefix()
        while True:
            tok = self.peek()
            op = tok.text if tok.kind in ("op", "name") else ""
            bp = self._INFIX.get(op, -1)
            if bp <= rbp:
                break
            self.take()
            if bp == 80:
                right = self.expression(bp - 1)
            else:
                right = self.expression(bp)
            if bp == 40 and self._INFIX.get(self.peek().text, 0) == 40:
                raise self.fail("compare two values at a time (write `a < b and b < c`){where}", self.peek().pos)
            left = Binary("^" if op == "**" else op, left, right)
        self.depth -= 1
        return left

    def prefix(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return Num(tok.value)
        if tok.kind == "op" and tok.text in ("-", "+"):
            operand = self.expression(70)
            return Unary(tok.text, operand)
        if tok.kind == "name" and tok.text == "not":
            return Unary("not", self.expression(30))
        if tok.kind == "op" and tok.text == "(":
            if self.peek().text == ")":
                raise self.fail("empty parentheses{where}", tok.pos)
            inner = self.expression(0)
            self.expect(")", "to close the '(' at position " + str(tok.pos + 1))
            return inner
        if tok.kind == "name":
            if tok.text in KEYWORDS:
                raise self.fail(f"unexpected `{tok.text}`{{where}}", tok.pos)
            if self.peek().text == "(":
                return self.call(tok)
            return Name(tok.text)
        if tok.kind == "end":
            raise self.fail("the expression ends too early", None)
        raise self.fail(f"unexpected {tok.text!r}{{where}}", tok.pos)

    def call(self, name: _Tok) -> Node:
        spec = FUNCTIONS.get(name.text)
        if spec is None:
            raise self.fail(f"unknown function `{_show(name.text)}`{{where}}", name.pos)
        self.take()  # (
        args: list[Node] = []
        if self.peek().text != ")":
            while True:
                args.append(self.expression(0))
                if self.peek().text != ",":
                    break
                self.take()
        self.expect(")", f"to close `{name.text}(`")
        low, high = spec[0], spec[1]
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} or more" if high > 99 else f"{low} to {high}"
            raise self.fail(f"`{name.text}`{{where}} needs {want} value(s), not {len(args)}", name.pos)
        return Call(name.text, tuple(args))


# --------------------------------------------------------------------------- tree


class Num:
    __slots__ = ("value",)

    def __init__(self, value: float):
        self.value = value


class Name:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Unary:
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Node):
        self.op, self.operand = op, operand


class Binary:
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Node, right: Node):
        self.op, self.left, self.right = op, left, right


class Call:
    __slots__ = ("args", "func")

    def __init__(self, func: str, args: tuple[Node, ...]):
        self.func, self.args = func, args


Node = Num | Name | Unary | Binary | Call


# --------------------------------------------------------------------------- arithmetic


def _err(detail: str, code: str) -> ExprError:
    return ExprError(detail, code=code)


def _finite(x: float) -> float:
    if not abs(x) <= MAX_MAGNITUDE:  # also catches nan
        raise _err("the result is too large", "too-large")
    return x


def _power(base: float, exp: float) -> float:
    """Refuse, before computing, any power whose result could not be a sensible number."""
    if abs(exp) > MAX_EXPONENT:
        raise _err(f"the exponent {format_number(exp)} is too large", "too-large")
    if base == 0:
        if exp < 0:
            raise _err("division by zero", "zero-division")
        return 1.0 if exp == 0 else 0.0
    if base < 0 and exp != int(exp):
        raise _err("a negative number to a fractional power is not a real number", "domain")
    if exp * math.log10(abs(base)) > 300:
        raise _err("the result is too large", "too-large")
    try:
        return _finite(math.pow(base, exp))
    except OverflowError:
        raise _err("the result is too large", "too-large") from None


def _div(a: float, b: float) -> float:
    if b == 0:
        raise _err("division by zero", "zero-division")
    return _finite(a / b)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: _finite(a + b),
    "-": lambda a, b: _finite(a - b),
    "*": lambda a, b: _finite(a * b),
    "/": _div,
    "^": _power,
    "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b or _close(a, b)),
    ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b or _close(a, b)),
    "==": lambda a, b: float(_close(a, b)),
    "!=": lambda a, b: float(not _close(a, b)),
}


def _exp(x: float) -> float:
    if x > 690:
        raise _err("the result is too large", "too-large")
    return math.exp(x)


def _log(x: float) -> float:
    if x <= 0:
        raise _err("log of zero" if x == 0 else "log of a negative number", "domain")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise _err("square root of a negative number", "domain")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _round(x: float, n: float = 0.0) -> float:
    """Round half away from zero on the shortest decimal form (2.5 -> 3, 1.005 -> 1.01)."""
    if n != int(n) or not -15 <= n <= 15:
        raise _err("round(x, n) needs a whole number n between -15 and 15", "domain")
    if abs(x) >= 1e15:
        return x
    try:
        q = Decimal(repr(x)).quantize(Decimal(1).scaleb(-int(n)), rounding=ROUND_HALF_UP, context=Context(prec=60))
    except InvalidOperation:  # pragma: no cover - guarded by the magnitude check above
        return x
    return float(q) + 0.0


def _huber(err: float, delta: float) -> float:
    if delta <= 0:
        raise _err("huber(err, delta) needs delta above 0", "domain")
    a = abs(err)
    return _finite(0.5 * err * err if a <= delta else delta * (a - 0.5 * delta))


def _minmax(f: Callable[[tuple[float, ...]], float]) -> Callable[..., float]:
    return lambda *xs: f(xs)


#: name -> (min args, max args, implementation); `if` is lazy and handled by the compiler.
FUNCTIONS: dict[str, tuple[int, int, Callable[..., float] | None]] = {
    "max": (1, 1000, _minmax(max)),
    "min": (1, 1000, _minmax(min)),
    "abs": (1, 1, abs),
    "exp": (1, 1, _exp),
    "log": (1, 1, _log),
    "ln": (1, 1, _log),
    "sqrt": (1, 1, _sqrt),
    "relu": (1, 1, lambda x: x if x > 0 else 0.0),
    "sigmoid": (1, 1, _sigmoid),
    "tanh": (1, 1, math.tanh),
    "round": (1, 2, _round),
    "huber": (2, 2, _huber),
    "if": (3, 3, None),
}


# --------------------------------------------------------------------------- compiler


def _compile(node: Node) -> Fn:
    """Turn the tree into nested closures: no Python source is ever produced or run."""
    if isinstance(node, Num):
        value = node.value
        return lambda env: value
    if isinstance(node, Name):
        name = node.name
        const = CONSTANTS.get(name)

        def lookup(env: Env) -> float:
            try:
                v = env[name]
            except KeyError:
                if const is not None:
                    return const
                raise _err(f"unknown name `{_show(name)}`", "name") from None
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise _err(f"`{name}` is not a number", "name") from None
            if not math.isfinite(v):
                raise _err(f"`{name}` is not a finite number", "too-large")
            return v

        return lookup
    if isinstance(node, Unary):
        inner = _compile(node.operand)
        if node.op == "-":
            return lambda env: -inner(env)
        if node.op == "+":
            return inner
        return lambda env: 0.0 if inner(env) else 1.0
    if isinstance(node, Binary):
        left, right = _compile(node.left), _compile(node.right)
        if node.op == "and":
            return lambda env: 1.0 if left(env) and right(env) else 0.0
        if node.op == "or":
            return lambda env: 1.0 if left(env) or right(env) else 0.0
        op = _BINARY[node.op]
        return lambda env: op(left(env), right(env))
    if isinstance(node, Call):
        args = tuple(_compile(a) for a in node.args)
        if node.func == "if":
            cond, yes, no = args
            return lambda env: yes(env) if cond(env) else no(env)
        impl = FUNCTIONS[node.func][2]
        assert impl is not None
        if len(args) == 1:
            only = args[0]
            return lambda env: _finite(float(impl(only(env))))
        return lambda env: _finite(float(impl(*(a(env) for a in args))))
    raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover


def _free_names(node: Node, out: set[str]) -> None:
    if isinstance(node, Name):
        if node.name not in CONSTANTS:
            out.add(node.name)
    elif isinstance(node, Unary):
        _free_names(node.operand, out)
    elif isinstance(node, Binary):
        _free_names(node.left, out)
        _free_names(node.right, out)
    elif isinstance(node, Call):
        for a in node.args:
            _free_names(a, out)


class Expr:
    """A parsed expression: parse once, evaluate many times with different names."""

    __slots__ = ("_fn", "names", "text", "tree")

    def __init__(self, text: str, tree: Node):
        self.text = text
        self.tree = tree
        found: set[str] = set()
        _free_names(tree, found)
        #: Free variable names (constants such as `pi` are not included).
        self.names: frozenset[str] = frozenset(found)
        self._fn = _compile(tree)

    @property
    def is_name(self) -> bool:
        """True for a bare identifier such as `MSE` (useful to tell text from formulas)."""
        return isinstance(self.tree, Name)

    def evaluate(self, names: Env | None = None) -> float:
        """The value as a finite float; raises ExprError (and nothing else) on failure."""
        try:
            return float(self._fn(names if names is not None else {}))
        except ExprError:
            raise
        except (OverflowError, ZeroDivisionError, ValueError, TypeError, RecursionError) as exc:
            raise _err(f"could not work this out ({type(exc).__name__})", "domain") from None

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Expr:
    return Expr(text, _Reader(text).parse())


def _not_text() -> ExprError:
    return ExprError("could not read the answer: it is not text", code="syntax")


def parse(text: str) -> Expr:
    """Parse `text`; raise ExprError with a plain message (and column) if it is not arithmetic."""
    if not isinstance(text, str):
        raise _not_text()
    if len(text) > MAX_LENGTH:
        raise ExprError(f"could not read the answer: it is too long (at most {MAX_LENGTH} characters)",
                        detail=f"too long (at most {MAX_LENGTH} characters)")
    return _parse_cached(text)


def evaluate(text_or_expr: str | Expr | int | float, names: Env | None = None) -> float:
    """Evaluate a number, an expression text or a parsed Expr to a finite float."""
    if isinstance(text_or_expr, Expr):
        return text_or_expr.evaluate(names)
    if isinstance(text_or_expr, (int, float)) and not isinstance(text_or_expr, bool):
        try:
            return _finite(float(text_or_expr))
        except OverflowError:  # an int past float's range
            raise _err("the number is too large", "too-large") from None
    if not isinstance(text_or_expr, str):  # a bool is not a number here
        raise _not_text()
    return parse(text_or_expr).evaluate(names)


def names_in(text: str | Expr) -> set[str]:
    """Free variable names of an expression (for validators); raises ExprError if unreadable."""
    expr = text if isinstance(text, Expr) else parse(text)
    return set(expr.names)


def format_number(x: float, digits: int = 3) -> str:
    """Compact text for a number: 0.5, -1, 1.25, 0.333 — never 0.30000000000000004.

    Numbers with at most 6 significant digits (after removing float noise) are shown in
    full; longer ones are rounded to `digits` significant digits.
    """
    try:
        x = float(x)
    except OverflowError:  # an int past float's range: its digits would be no use to a learner
        return "a very large number"
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    clean = float(f"{x:.12g}")
    text = f"{clean:.12g}"
    mantissa = text.split("e")[0].replace("-", "").replace(".", "").strip("0")
    if len(mantissa) > 6:
        whole = len(str(int(abs(x)))) if 1 <= abs(x) < 1e6 else 0
        text = f"{x:.{max(digits, whole)}g}"
    if "e" in text:
        mant, ex = text.split("e")
        text = f"{mant}e{int(ex)}"
    return text
