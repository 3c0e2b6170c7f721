"""The safe arithmetic engine: grammar, errors, limits."""

from __future__ import annotations

import math

import pytest

from tui_tutor.grading.expr import ExprError, evaluate, format_number, names_in, parse


@pytest.mark.parametrize(
    "text, value",
    [
        ("1", 1), (".25", 0.25), ("1.", 1), ("1e-3", 0.001), ("2.5E+2", 250), ("1/4", 0.25),
        ("5/4", 1.25), ("0*(-1)+0.5*(-0.5)+1*0.5+1", 1.25), ("max(0, 0.25+1)", 1.25),
        ("2^3", 8), ("2**3", 8), ("2^3^2", 512), ("2**3**2", 512), ("-2^2", -4), ("-2**2", -4),
        ("2^-1", 0.5), ("(-2)^2", 4), ("+3", 3), ("--3", 3), ("2*-3", -6),
        ("3 \u2212 1", 2), ("2 \u00d7 3", 6), ("6 \u00f7 4", 1.5), ("2 \u00b7 3", 6),
        ("min(3, 1, 2)", 1), ("abs(-2.5)", 2.5), ("exp(0)", 1), ("log(e)", 1), ("sqrt(16)", 4),
        ("relu(-3)", 0), ("relu(2)", 2), ("sigmoid(0)", 0.5), ("tanh(0)", 0),
        ("round(2.5)", 3), ("round(-2.5)", -3), ("round(1.005, 2)", 1.01), ("round(1234, -2)", 1200),
        ("huber(0.5, 1)", 0.125), ("huber(3, 1)", 2.5), ("pi", math.pi), ("2*e", 2 * math.e),
        ("1 < 2", 1), ("2 <= 1", 0), ("1 == 1", 1), ("0.1 + 0.2 == 0.3", 1), ("1 != 1", 0),
        ("1 < 2 and 2 < 3", 1), ("1 > 2 or 0", 0), ("not 0", 1), ("not 1 < 2", 0),
        ("if(1 > 0, 5, 1/0)", 5), ("if(0, 1/0, 7)", 7), ("0 and 1/0", 0), ("1 or 1/0", 1),
        ("  1.25  ", 1.25),
    ],
)
def test_values(text: str, value: float) -> None:
    assert evaluate(text) == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_names_and_reuse() -> None:
    expr = parse("max(0, x1*w1 + b)")
    assert expr.names == {"x1", "w1", "b"}
    assert expr.evaluate({"x1": 1, "w1": 2, "b": -1}) == 1
    assert expr.evaluate({"x1": 1, "w1": -2, "b": 0.5}) == 0
    assert evaluate(expr, {"x1": 0.5, "w1": 1, "b": 0}) == 0.5
    assert parse("max(0, x1*w1 + b)") is expr  # parsed once, cached
    assert names_in("pi * r^2 + e") == {"r"}
    assert names_in("answer == 22") == {"answer"}


def test_names_shadow_constants() -> None:
    assert evaluate("e + 1", {"e": 1}) == 2


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1,2.5", "could not read `1,2.5` as a number: unexpected ',' at position 2"),
        ("1,2.5", "decimals with a point"),
        ("", "nothing to read"),
        ("abc", "unknown name `abc`"),
        ("1/0", "division by zero"),
        ("0^-1", "division by zero"),
        ("2x", "write * to multiply"),
        ("2(3)", "write * to multiply"),
        ("(1+2", "expected ')'"),
        ("1+", "ends too early"),
        ("1)", "no '(' to close"),
        ("x = 1", "use == to compare"),
        ("1 < 2 < 3", "two values at a time"),
        ("foo(1)", "unknown function `foo`"),
        ("max()", "needs 1 or more value(s)"),
        ("huber(1)", "needs 2 value(s)"),
        ("sqrt(-1)", "square root of a negative number"),
        ("log(0)", "log of zero"),
        ("(-8)^(1/3)", "fractional power"),
        ("exp(1000)", "too large"),
        ("1e999", "too large"),
        ("1e200 * 1e200", "too large"),
        ("9**9**9", "too large"),
        ("a.b", "unexpected '.' at position 2"),
        ("x[0]", "unexpected '['"),
        ("'s'", "quote"),
        ("25%", "0.25"),
        ("round(1, 0.5)", "whole number"),
        ("()", "empty parentheses"),
        ("1" * 501, "too long"),
    ],
)
def test_errors_are_plain(text: str, fragment: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(text)
    assert fragment in str(info.value)
    assert "Traceback" not in str(info.value)


def test_error_position_and_detail() -> None:
    with pytest.raises(ExprError) as info:
        parse("1 + 2 $ 3")
    assert info.value.position == 7
    assert info.value.detail.startswith("unexpected '$' at position 7")
    with pytest.raises(ExprError) as info:
        evaluate("1/x", {"x": 0})
    assert info.value.code == "zero-division"


def test_depth_limit() -> None:
    assert evaluate("(" * 50 + "1" + ")" * 50) == 1
    with pytest.raises(ExprError, match="nested too deeply"):
        evaluate("(" * 51 + "1" + ")" * 51)
    with pytest.raises(ExprError, match="nested too deeply"):
        evaluate("-" * 200 + "1")


def test_long_flat_sums_are_fine() -> None:
    assert evaluate("+".join(["1"] * 240)) == 240


def test_non_finite_names_refused() -> None:
    with pytest.raises(ExprError):
        evaluate("x + 1", {"x": float("inf")})
    with pytest.raises(ExprError):
        evaluate("x + 1", {"x": float("nan")})


@pytest.mark.parametrize(
    "value, text",
    [(0.5, "0.5"), (-1.0, "-1"), (1.25, "1.25"), (1 / 3, "0.333"), (0.1 + 0.2, "0.3"), (2.0, "2"),
     (0.0, "0"), (-0.0, "0"), (1e-5, "1e-5"), (123456.7, "123457"), (3.14159, "3.14159"), (2 / 3, "0.667")],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_format_number_digits() -> None:
    assert format_number(1 / 3, 6) == "0.333333"


@pytest.mark.parametrize("text", ["a.b", "x[0]", "'s'", "\"s\"", "lambda: 1", "__import__(1)",
                                  "__import__('os')", "().__class__", "x if 1 else 2", "{1}", "1;2"])
def test_python_syntax_fails_at_parse_time(text: str) -> None:
    with pytest.raises(ExprError):
        parse(text)
