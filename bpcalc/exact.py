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
            raise PointError(f"{what}, '{text}', is not a number", "with --exact, numbers look like 3, -0.25, 1/3 or 1e-3")
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
