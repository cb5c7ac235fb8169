"""The table of operations: each op's forward rule beside its local derivatives."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

# Forward rules raise ValueError (domain), ZeroDivisionError or OverflowError
# on bad math, never return a complex number or a silent inf; the engine turns
# those into bpcalc's MathError naming the node. Local rules take the node's
# output first (`out`, like autograd's `ans`) and then its inputs.


@dataclass(frozen=True)
class Op:
    """One operation: name (= grammar alias = JSON "op"), forward rule, local derivatives."""

    name: str
    forward: Callable[..., float]
    local: tuple[Callable[..., float], ...]  # ∂out/∂input_i as (out, *inputs) -> float
    formula: tuple[str, ...]  # each local derivative in the inputs' terms: {a}, {b}
    domain: str = ""  # where the forward rule is defined, for error messages
    kink: Callable[..., bool] | None = None  # (*inputs) -> True on a non-differentiable point
    convention: str = ""  # what `local` gives at a kink, and why
    tie_split: tuple[float, ...] | None = None  # locals at a kink under --tie split
    one_sided: tuple[tuple[float, float], ...] | None = None  # at a kink, per input: (from below, from above)
    function: bool = True  # called as name(...); False for the infix and prefix operators

    @property
    def arity(self) -> int:
        return len(self.local)

    def show(self, k: int, labels: list[str] | tuple[str, ...]) -> str:
        """The k-th local derivative's formula with the inputs' labels put in."""
        text = self.formula[k]
        for name, label in zip(INPUT_NAMES, labels):
            text = text.replace("{" + name + "}", label)
        return text


def _sigmoid(a: float) -> float:
    # Split by sign so exp never overflows: sigmoid(±800) is 1 and 0 exactly.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)


def _softplus(a: float) -> float:
    # log(1 + e^a) = max(a, 0) + log1p(e^-|a|): finite for every float a.
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _sech2(a: float) -> float:
    # 1 - tanh(a)^2 loses every digit once tanh(a) rounds to ±1 (|a| > 19);
    # 4t/(1+t)^2 with t = e^-2|a| is exact to rounding everywhere.
    t = math.exp(-2.0 * abs(a))
    return 4.0 * t / ((1.0 + t) * (1.0 + t))


def _pow(a: float, b: float) -> float:
    return math.pow(a, b)  # floats only: raises instead of going complex or big-integer


def _dpow_da(out: float, a: float, b: float) -> float:
    if b == 0.0:
        return 0.0  # a^0 is constant in a, even at a = 0 where b*a^(b-1) would be 0*inf
    return b * math.pow(a, b - 1.0)


def _dpow_db(out: float, a: float, b: float) -> float:
    if a > 0.0:
        return out * math.log(a)
    if a == 0.0 and b > 0.0:
        return 0.0  # 0^b is 0 for every b > 0
    raise ValueError("a^b is differentiable in b only where a > 0")


def _sign(a: float) -> float:
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0


_TIE = "a tie gives 0 to both inputs, as the course's indicator rule does (--tie split gives 1/2 each, as PyTorch and JAX do)"


OPERATIONS: dict[str, Op] = {
    op.name: op
    for op in (
        # ---- arithmetic: the infix and prefix operators ----
        Op("add", lambda a, b: a + b,
           local=(lambda out, a, b: 1.0, lambda out, a, b: 1.0),
           formula=("1", "1"), function=False),
        Op("sub", lambda a, b: a - b,
           local=(lambda out, a, b: 1.0, lambda out, a, b: -1.0),
           formula=("1", "-1"), function=False),
        Op("mul", lambda a, b: a * b,
           local=(lambda out, a, b: b, lambda out, a, b: a),
           formula=("{b}", "{a}"), function=False),
        Op("div", lambda a, b: a / b,
           local=(lambda out, a, b: 1.0 / b, lambda out, a, b: -out / b),
           formula=("1/{b}", "-{a}/{b}^2"), domain="b != 0", function=False),
        Op("pow", _pow,
           local=(_dpow_da, _dpow_db),
           formula=("{b}*{a}^({b}-1)", "{a}^{b}*log({a})"),
           domain="a > 0, or a = 0 with b >= 0, or b a whole number", function=False),
        Op("neg", lambda a: -a,
           local=(lambda out, a: -1.0,),
           formula=("-1",), function=False),
        # ---- kinks: piecewise-linear functions ----
        Op("max", lambda a, b: a if a >= b else b,
           local=(lambda out, a, b: float(a > b), lambda out, a, b: float(a < b)),
           formula=("[{a} > {b}]", "[{a} < {b}]"),
           kink=lambda a, b: a == b, convention=_TIE, tie_split=(0.5, 0.5), one_sided=((0.0, 1.0), (0.0, 1.0))),
        Op("min", lambda a, b: a if a <= b else b,
           local=(lambda out, a, b: float(a < b), lambda out, a, b: float(a > b)),
           formula=("[{a} < {b}]", "[{a} > {b}]"),
           kink=lambda a, b: a == b, convention=_TIE, tie_split=(0.5, 0.5), one_sided=((1.0, 0.0), (1.0, 0.0))),
        Op("relu", lambda a: a if a > 0 else 0.0,
           local=(lambda out, a: float(a > 0),),
           formula=("[{a} > 0]",),
           kink=lambda a: a == 0, convention="relu'(0) = 0, as in the course, PyTorch and JAX",
           one_sided=((0.0, 1.0),)),
        Op("abs", abs,
           local=(lambda out, a: _sign(a),),
           formula=("sign({a})",),
           kink=lambda a: a == 0, convention="abs'(0) = 0, the middle of the subgradient [-1, 1] (JAX gives 1)",
           one_sided=((-1.0, 1.0),)),
        # ---- smooth functions ----
        Op("exp", math.exp,
           local=(lambda out, a: out,),
           formula=("exp({a})",)),
        Op("log", math.log,
           local=(lambda out, a: 1.0 / a,),
           formula=("1/{a}",), domain="a > 0"),
        Op("sqrt", math.sqrt,
           local=(lambda out, a: 0.5 / out,),
           formula=("1/(2*sqrt({a}))",), domain="a >= 0"),
        Op("sigmoid", _sigmoid,
           # sigma(a)(1 - sigma(a)) written as sigma(a)sigma(-a): no cancellation for large a
           local=(lambda out, a: out * _sigmoid(-a),),
           formula=("sigmoid({a})*(1-sigmoid({a}))",)),
        Op("tanh", math.tanh,
           local=(lambda out, a: _sech2(a),),
           formula=("1-tanh({a})^2",)),
        Op("softplus", _softplus,
           local=(lambda out, a: _sigmoid(a),),
           formula=("sigmoid({a})",)),
        Op("logsigmoid", lambda a: -_softplus(-a),
           local=(lambda out, a: _sigmoid(-a),),
           formula=("1-sigmoid({a})",)),
        Op("sin", math.sin,
           local=(lambda out, a: math.cos(a),),
           formula=("cos({a})",)),
        Op("cos", math.cos,
           local=(lambda out, a: -math.sin(a),),
           formula=("-sin({a})",)),
        Op("tan", math.tan,
           local=(lambda out, a: 1.0 + out * out,),
           formula=("1+tan({a})^2",)),
    )
}

FUNCTIONS: dict[str, Op] = {name: op for name, op in OPERATIONS.items() if op.function}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

INPUT_NAMES = ("a", "b")  # how formulas and domains refer to an op's inputs
