"""Exact fractions (grad --exact, key --exact): both passes over fractions.Fraction values.

Where every input and literal is rational and every op keeps rationals (the ops
whose entry in ops.py has an `exact` rule: + − × ÷, whole-number powers, neg,
max, min, abs, relu), the engine's one forward and one reverse loop run on
Fractions with the op table's exact rules (ops.EXACT_OPERATIONS). An op that
leaves the rationals is an error naming the node (exit 2), and so is a fraction
whose numerator or denominator has more than MAX_BITS bits, so that
`(x+1/3)^100000` is refused at once rather than crawling.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from .errors import InputError, PointError
from .ops import MAX_BITS

_RATIONAL = re.compile(r"[+-]?[0-9]+/[0-9]+")  # 1/3, -7/12
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE]([+-]?[0-9]+))?")  # ASCII digits only
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_EXPONENT = 400  # 1e-400 is a 1330-bit denominator; 1e-99999999 would be a hundred million digits


def fraction(text: str, what: str = "a number") -> Fraction:
    """The exact rational a decimal or p/q writes: '0.1' is 1/10, '1/3' is 1/3, '2.5e-3' is 1/400."""
    text = text.strip()
    if _RATIONAL.fullmatch(text):
        numerator, denominator = text.split("/")
        if int(denominator) == 0:
            raise PointError(f"{what}, '{text}', divides by zero")
        value = Fraction(int(numerator), int(denominator))
    else:
        match = _DECIMAL.fullmatch(text)
        if match is None:
            raise PointError(
                f"{what}, '{text}', is not a number", "with --exact, numbers look like 3, -0.25, 1/3 or 1e-3"
            )
        if match.group(3) is not None and abs(int(match.group(3))) > MAX_EXPONENT:
            raise PointError(f"{what}, '{text}', has an exponent beyond ±{MAX_EXPONENT}")
        value = Fraction(text)
    check_size(value, what)
    return value


def check_size(value: Fraction, what: str = "a value") -> Fraction:
    """The value itself, or an error if its numerator or denominator has more than MAX_BITS bits."""
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise InputError(f"{what} has more than {MAX_BITS} bits in its numerator or denominator (the --exact bound)")
    return value


def parse_point(items: str | Mapping[str, Any] | Iterable[str] | None) -> dict[str, Fraction]:
    """'x=1/3,y=0.25' (or a list of such, or a mapping) as exact fractions."""
    from .parse import split_outside_brackets

    point: dict[str, Fraction] = {}
    if items is None:
        return point
    if isinstance(items, Mapping):
        pairs = [(str(name), value) for name, value in items.items()]
    else:
        pairs = []
        for text in [items] if isinstance(items, str) else items:
            if isinstance(text, Mapping):
                pairs.extend((str(name), value) for name, value in text.items())
                continue
            for item in split_outside_brackets(str(text)):
                if not item.strip():
                    continue
                name, eq, value = item.partition("=")
                if not eq or not value.strip():
                    raise PointError(f"'{item.strip()}' is not of the form name=value", "write e.g. --at x=1/3,y=0.25")
                pairs.append((name.strip(), value.strip()))
    for name, value in pairs:
        if not _NAME.fullmatch(name):
            raise PointError(f"'{name}' is not a name: names are letters, digits and _, not starting with a digit")
        if name in point:
            raise PointError(f"'{name}' is given a value twice")
        point[name] = _value(name, value)
    return point


def _value(name: str, value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return check_size(value, f"the value of {name}")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PointError(f"the value of {name}, {value!r}, is not a number", "--exact takes numbers, not arrays")
    if isinstance(value, float):
        return check_size(Fraction(value), f"the value of {name}")  # a float is the binary fraction it holds
    return fraction(str(value), f"the value of {name}")


# ---------------------------------------------------------------- showing fractions


def show(value: Any) -> str:
    """A fraction as 7/12 (or -3 when whole)."""
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def tex(value: Any) -> str:
    r"""A fraction in TeX: \frac{7}{12}, -\frac{7}{12}, or 3 when whole."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


# ---------------------------------------------------------------- the passes over fractions


def run(graph: Any, at: Any, *, wrt: Iterable[str] | None = None, tie: str = "indicator") -> Any:
    """Both passes in exact fractions: a Result whose values, locals, steps and gradients are Fractions.

    `at` is a point as parse_point takes it. Refuses (exit 2, naming the node) a graph
    with an op that leaves the rationals, pi or e as constants, arrays, and an exponent
    that is differentiated; a fraction past MAX_BITS is an error too.
    """
    from .engine import Numbers
    from .engine import run as run_engine
    from .errors import MathError
    from .ops import TooLarge, exact_operations

    point = parse_point(at)
    wanted = list(wrt) if wrt is not None else None
    _check_rational(graph, point, wanted)
    numbers = Numbers(exact_operations(), Fraction(1), _literal, _finite)
    try:
        return run_engine(graph, point, wrt=wanted, tie=tie, numbers=numbers)
    except TooLarge as exc:
        raise InputError(f"--exact: {exc.reason}", "without --exact, bpcalc computes in float64") from None
    except MathError as exc:
        if "--exact" in exc.reason or "rational" in exc.reason:
            raise InputError(str(exc), "without --exact, bpcalc computes in float64") from None
        raise


def _literal(graph: Any, i: int) -> Fraction:
    node = graph.nodes[i]
    return fraction(graph.source[node.start:node.end], f"the number {graph.text(i, 40)}")


def _finite(value: Any) -> bool:
    if type(value) is Fraction or type(value) is int:
        check_size(Fraction(value), "a gradient summed in the reverse pass")
        return True
    return False  # inf: a local that was undefined (the engine names it)


def _check_rational(graph: Any, point: Mapping[str, Fraction], wrt: list[str] | None) -> None:
    """Refuse what cannot stay rational, before computing: naming the node, exit 2."""
    from .graph import VAR
    from .ops import ARRAY_OPERATIONS, CONSTANTS, OPERATIONS

    seeds = set(wrt) if wrt is not None else set(point)
    moving = [False] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        where = f"at node {node.label} = {graph.text(i, 60)}"
        if node.op == VAR:
            if node.label not in point and node.label in CONSTANTS:
                raise InputError(
                    f"--exact: {node.label} is not a rational number",
                    f"give it a value, e.g. --at {node.label}=355/113",
                )
            moving[i] = node.label in seeds
            continue
        if node.label in seeds:
            moving[i] = True
        op = OPERATIONS.get(node.op)
        if op is None:
            continue
        if node.op in ARRAY_OPERATIONS:
            raise InputError(f"--exact is for numbers, not arrays: {node.op} {where}")
        if op.exact is None:
            raise InputError(
                f"--exact: {node.op} leaves the rationals {where}",
                "--exact takes + - * /, whole-number powers, neg, max, min, abs and relu",
            )
        if node.op == "pow" and moving[node.inputs[1]]:
            raise InputError(
                f"--exact: the exponent is differentiated {where}, and ∂(a^b)/∂b = a^b·log(a) is not rational",
                "--exact takes a constant whole-number exponent",
            )
        moving[i] = moving[i] or any(moving[j] for j in node.inputs)


def exact_key(assignment: Any) -> Any:
    """The assignment with each problem's answers in exact fractions (bpcalc key --exact).

    A problem's point is read as the shortest decimals of its numbers (0.1 is 1/10).
    """
    from dataclasses import replace

    from .check import wrt_for

    problems = []
    for problem in assignment.problems:
        at = {name: fraction(repr(float(value)), f"the value of {name}") if not hasattr(value, "tolist") else value
              for name, value in problem.at.items()}
        try:
            result = run(problem.graph, at, wrt=wrt_for(problem.graph, problem.asks), tie=problem.tie)
        except InputError as exc:
            raise InputError(f"problem {problem.id}: {exc.message}", exc.hint) from None
        problems.append(replace(problem, result=result))
    return replace(assignment, problems=problems)
