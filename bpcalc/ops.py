"""The table of operations: each op's forward rule beside its local derivatives."""
from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import INPUT_NAMES

# Forward rules raise ValueError (domain), ZeroDivisionError or OverflowError
# on bad math, never return a complex number or a silent inf; the engine turns
# those into bpcalc's MathError naming the node. Local rules take the node's
# output first (`out`, like autograd's `ans`) and then its inputs.


@dataclass(frozen=True)
class Op:
    """One operation: name (= grammar alias = JSON "op"), forward rule, local derivatives.

    A scalar op has `local` rules and applies element-wise to arrays, with NumPy
    broadcasting. An array op has instead `vjp` rules, (δ, out, *inputs) -> the
    contribution to one input given the upstream gradient δ (None where no
    gradient flows), and a `shape` rule.
    """

    name: str
    forward: Callable[..., float]
    local: tuple[Callable[..., float], ...] = ()  # ∂out/∂input_i as (out, *inputs) -> float
    formula: tuple[str, ...] = ()  # each local derivative (or vjp) in the inputs' terms: {a}, {b}
    domain: str = ""  # where the forward rule is defined, for error messages
    kink: Callable[..., bool] | None = None  # (*inputs) -> True on a non-differentiable point
    convention: str = ""  # what `local` gives at a kink, and why
    tie_split: tuple[float, ...] | None = None  # locals at a kink under --tie split
    one_sided: tuple[tuple[float, float], ...] | None = None  # at a kink, per input: (from below, from above)
    piece: Callable[..., float] | None = None  # (*inputs) -> which smooth piece they are on; gradcheck's kink test
    # other rules at the kink: (the local every input gets, who uses it)
    factors: bool = False  # its two locals are each other's input (a·b): a student may swap them
    # its locals are these numbers at every point (add: 1, 1); with `factors` or this, `local`
    # is made from the fact (not written out), and the reverse loop's hot path reads the fact
    # instead of calling a rule per input
    constant_local: tuple[float, ...] | None = None
    # made from the entry, never given: a scalar op of two inputs, the passes' unrolled case
    binary: bool = field(init=False, repr=False, compare=False, default=False)
    minus: bool = False  # it carries a minus sign a student may lose (−a, a − b)
    conventions: tuple[tuple[float, str], ...] = ()
    function: bool = True  # called as name(...); False for the infix and prefix operators
    vjp: tuple[Callable, ...] | None = None  # array ops: (δ, out, *inputs) -> contribution
    shape: Callable[..., tuple] | None = None  # array ops: (*input shapes) -> output shape, or ValueError
    variadic: bool = False  # any number of inputs; vjp[0] is (δ, out, k) for input k
    symbol: str = ""  # how a picture labels an operator (+, ×); empty: by its name
    tex: str = ""  # the op applied to its inputs in TeX ({a}, {b}); empty: \operatorname{name}(a, b)
    # second derivatives, for Hessians (forward over reverse): second[p][k] is ∂(local p)/∂(input k)
    # as (out, *inputs) -> float; None where there are none (arrays). Kinks' indicators are
    # constant on each piece, so theirs are 0, also at the kink itself.
    second: tuple[tuple[Callable[..., float], ...], ...] | None = None
    # exact fractions (--exact): the forward rule on fractions.Fraction values, for the ops that
    # keep rationals (None: the op leaves them), and local rules on Fractions where `local`'s
    # give floats (None: `local` keeps Fractions as it is).
    exact: Callable[..., object] | None = None
    exact_local: tuple[Callable[..., object], ...] | None = None

    def __post_init__(self) -> None:
        if not self.local and self.constant_local is not None:
            object.__setattr__(self, "local", tuple(_constant(v) for v in self.constant_local))
        elif not self.local and self.factors:
            object.__setattr__(self, "local", (_second_input, _first_input))
        object.__setattr__(self, "binary", self.vjp is None and not self.variadic and len(self.local) == 2)

    @property
    def arity(self) -> int | None:
        if self.variadic:
            return None
        return len(self.vjp) if self.vjp is not None else len(self.local)

    def show(self, k: int, labels: list[str] | tuple[str, ...]) -> str:
        """The k-th local derivative's formula with the inputs' labels put in."""
        if self.variadic:
            return self.formula[0].replace("{k}", str(k))
        text = self.formula[k]
        for name, label in zip(INPUT_NAMES, labels):
            text = text.replace("{" + name + "}", label)
        return text


def _constant(value: float) -> Callable[..., float]:
    """A local rule that is `value` everywhere (Op.constant_local)."""
    return lambda out, *inputs: value


def _first_input(out: float, a: float, b: float) -> float:
    return a  # ∂(a·b)/∂b (Op.factors)


def _second_input(out: float, a: float, b: float) -> float:
    return b  # ∂(a·b)/∂a (Op.factors)


def _sigmoid(a: float) -> float:
    # Split by sign so exp never overflows: sigmoid(±800) is 1 and 0 exactly.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)


def _softplus(a: float) -> float:
    # log(1 + e^a) = max(a, 0) + log1p(e^-|a|): finite for every float a.
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _log_softplus(a: float) -> float:
    # log(softplus(a)); softplus(a) = e^a (1 - e^a/2 + e^2a/3 - ...) underflows for a << 0,
    # where the series gives log softplus(a) = a + log1p(-e^a/2 + e^2a/3), exact to rounding.
    if a > -20.0:
        return math.log(_softplus(a))
    t = math.exp(a)
    return a + math.log1p(t * (t / 3.0 - 0.5))


def _dlog_softplus(out: float, a: float) -> float:
    # sigmoid(a)/softplus(a) = 1 / ((1 + e^-a)·softplus(a)); for a << 0 both underflow,
    # and the ratio is 1 / ((1 + e^a)(1 - e^a/2 + e^2a/3)).
    if a > -20.0:
        return _sigmoid(a) / _softplus(a)
    t = math.exp(a)
    return 1.0 / ((1.0 + t) * (1.0 + t * (t / 3.0 - 0.5)))


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


# ---- second derivatives (Hessians) and exact rules (--exact): helpers ----


def _zero(*_: float) -> float:
    return 0.0


def _one(*_: float) -> float:
    return 1.0


_FLAT1 = ((_zero,),)  # a linear or piecewise-linear op of one input
_FLAT2 = ((_zero, _zero), (_zero, _zero))


def _d2pow_aa(out: float, a: float, b: float) -> float:
    if b == 0.0 or b == 1.0:
        return 0.0  # b(b-1)a^(b-2) is 0 for every a, also a = 0
    return b * (b - 1.0) * math.pow(a, b - 2.0)


def _d2pow_ab(out: float, a: float, b: float) -> float:
    if a <= 0.0:
        raise ValueError("a^b is twice differentiable in b only where a > 0")
    return math.pow(a, b - 1.0) * (1.0 + b * math.log(a))  # ∂/∂b of b·a^(b-1), = ∂/∂a of a^b·log(a)


def _d2pow_bb(out: float, a: float, b: float) -> float:
    if a <= 0.0:
        raise ValueError("a^b is twice differentiable in b only where a > 0")
    return out * math.log(a) ** 2


MAX_BITS = 4096  # --exact: the most bits a fraction's numerator or denominator may have


class NotRational(ValueError):
    """--exact: an op's result would leave the rationals; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TooLarge(ArithmeticError):
    """--exact: a fraction past MAX_BITS; `reason` says which bound."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _exact_pow(a, b):
    if b.denominator != 1:
        raise NotRational(f"a^b with b = {b} is not rational: --exact takes whole-number powers")
    n = b.numerator
    bits = max(a.numerator.bit_length(), a.denominator.bit_length()) * abs(n)
    if bits > MAX_BITS + abs(n):  # the estimate before computing: (x+1/3)^100000 is refused at once
        raise TooLarge(f"a^b would have about {bits} bits, past the --exact bound of {MAX_BITS}")
    if a == 0 and n < 0:
        raise ZeroDivisionError("0 to a negative power")
    return a**n


def _exact_dpow_da(out, a, b):
    return b * 0 if b == 0 else b * _exact_pow(a, b - 1)


def _exact_dpow_db(out, a, b):
    if a == 1 or (a == 0 and b > 0):
        return a * 0  # a^b·log(a) is 0 there
    raise NotRational("∂(a^b)/∂b = a^b·log(a) is not rational: --exact takes a constant exponent")


def _ones(n: int) -> tuple:
    return tuple(lambda out, *inputs: 1 for _ in range(n))


_SPLIT = "½ to each input at the tie, as PyTorch and JAX do (bpcalc --tie split)"
_TIE = (
    "a tie gives 0 to both inputs, as the course's indicator rule does "
    "(--tie split gives 1/2 each, as PyTorch and JAX do)"
)


SCALAR_OPERATIONS: dict[str, Op] = {
    op.name: op
    for op in (
        # ---- arithmetic: the infix and prefix operators ----
        # forward rules of the operators: Python's own (operator.add is a + b), no frame per call
        Op("add", operator.add, symbol="+", tex="{a} + {b}",
           constant_local=(1.0, 1.0),
           formula=("1", "1"), function=False,
           second=_FLAT2, exact=lambda a, b: a + b, exact_local=_ones(2)),
        Op("sub", operator.sub, symbol="−", tex="{a} - {b}",
           constant_local=(1.0, -1.0),
           formula=("1", "-1"), function=False, minus=True,
           second=_FLAT2, exact=lambda a, b: a - b, exact_local=(lambda out, a, b: 1, lambda out, a, b: -1)),
        Op("mul", operator.mul, symbol="×", tex="{a} \\cdot {b}",
           formula=("{b}", "{a}"), function=False, factors=True,
           second=((_zero, _one), (_one, _zero)), exact=lambda a, b: a * b),
        Op("div", operator.truediv, symbol="÷", tex="\\frac{{a}}{{b}}",
           local=(lambda out, a, b: 1.0 / b, lambda out, a, b: -out / b),
           formula=("1/{b}", "-{a}/{b}^2"), domain="b != 0", function=False,
           second=((_zero, lambda out, a, b: -1.0 / (b * b)),
                   (lambda out, a, b: -1.0 / (b * b), lambda out, a, b: 2.0 * out / (b * b))),
           exact=lambda a, b: a / b, exact_local=(lambda out, a, b: 1 / b, lambda out, a, b: -out / b)),
        Op("pow", _pow, symbol="^", tex="{a}^{{b}}",
           local=(_dpow_da, _dpow_db),
           formula=("{b}*{a}^({b}-1)", "{a}^{b}*log({a})"),
           domain="a > 0, or a = 0 with b >= 0, or b a whole number", function=False,
           second=((_d2pow_aa, _d2pow_ab), (_d2pow_ab, _d2pow_bb)),
           exact=_exact_pow, exact_local=(_exact_dpow_da, _exact_dpow_db)),
        # q = x: a name for a copy of a value keeps a node of its own (∂f/∂q is q's uses only)
        Op("id", lambda a: a, symbol="id", tex="{a}",
           constant_local=(1.0,),
           formula=("1",), function=False,
           second=_FLAT1, exact=lambda a: a, exact_local=_ones(1)),
        Op("neg", operator.neg, symbol="−x", tex="-{a}",
           constant_local=(-1.0,),
           formula=("-1",), function=False, minus=True,
           second=_FLAT1, exact=lambda a: -a, exact_local=(lambda out, a: -1,)),
        # ---- kinks: piecewise-linear functions ----
        Op("max", lambda a, b: a if a >= b else b, tex="\\max({a}, {b})",
           local=(lambda out, a, b: float(a > b), lambda out, a, b: float(a < b)),
           formula=("[{a} > {b}]", "[{a} < {b}]"),
           kink=lambda a, b: a == b, convention=_TIE, tie_split=(0.5, 0.5), one_sided=((0.0, 1.0), (0.0, 1.0)),
           piece=lambda a, b: _sign(a - b),
           conventions=((0.5, _SPLIT), (1.0, "1 to both inputs at the tie, as the rule [a ≥ b] gives")),
           second=_FLAT2, exact=max,
           exact_local=(lambda out, a, b: int(a > b), lambda out, a, b: int(a < b))),
        Op("min", lambda a, b: a if a <= b else b, tex="\\min({a}, {b})",
           local=(lambda out, a, b: float(a < b), lambda out, a, b: float(a > b)),
           formula=("[{a} < {b}]", "[{a} > {b}]"),
           kink=lambda a, b: a == b, convention=_TIE, tie_split=(0.5, 0.5), one_sided=((1.0, 0.0), (1.0, 0.0)),
           piece=lambda a, b: _sign(a - b),
           conventions=((0.5, _SPLIT), (1.0, "1 to both inputs at the tie, as the rule [a ≤ b] gives")),
           second=_FLAT2, exact=min,
           exact_local=(lambda out, a, b: int(a < b), lambda out, a, b: int(a > b))),
        Op("relu", lambda a: a if a > 0 else 0.0,
           local=(lambda out, a: float(a > 0),),
           formula=("[{a} > 0]",),
           kink=lambda a: a == 0, convention="relu'(0) = 0, as in the course, PyTorch and JAX",
           one_sided=((0.0, 1.0),), piece=_sign,
           conventions=((1.0, "relu'(0) = 1, as PyTorch's clamp(x, min=0) gives"), (0.5, "relu'(0) = ½")),
           second=_FLAT1, exact=lambda a: a if a > 0 else a - a, exact_local=(lambda out, a: int(a > 0),)),
        Op("abs", abs, tex="\\lvert {a} \\rvert",
           local=(lambda out, a: _sign(a),),
           formula=("sign({a})",),
           kink=lambda a: a == 0, convention="abs'(0) = 0, the middle of the subgradient [-1, 1] (JAX gives 1)",
           one_sided=((-1.0, 1.0),), piece=_sign,
           conventions=((1.0, "abs'(0) = 1, as JAX gives"), (-1.0, "abs'(0) = -1")),
           second=_FLAT1, exact=abs, exact_local=(lambda out, a: (a > 0) - (a < 0),)),
        # ---- smooth functions ----
        Op("exp", math.exp, tex="\\exp({a})",
           local=(lambda out, a: out,),
           formula=("exp({a})",),
           second=((lambda out, a: out,),)),
        Op("log", math.log, tex="\\log({a})",
           local=(lambda out, a: 1.0 / a,),
           formula=("1/{a}",), domain="a > 0",
           second=((lambda out, a: -1.0 / (a * a),),)),
        Op("sqrt", math.sqrt, tex="\\sqrt{{a}}",
           local=(lambda out, a: 0.5 / out,),
           formula=("1/(2*sqrt({a}))",), domain="a >= 0",
           second=((lambda out, a: -0.25 / (out * out * out),),)),
        Op("sigmoid", _sigmoid, tex="\\sigma({a})",
           # sigma(a)(1 - sigma(a)) written as sigma(a)sigma(-a): no cancellation for large a
           local=(lambda out, a: out * _sigmoid(-a),),
           formula=("sigmoid({a})*(1-sigmoid({a}))",),
           second=((lambda out, a: out * _sigmoid(-a) * (_sigmoid(-a) - out),),)),
        Op("tanh", math.tanh, tex="\\tanh({a})",
           local=(lambda out, a: _sech2(a),),
           formula=("1-tanh({a})^2",),
           second=((lambda out, a: -2.0 * out * _sech2(a),),)),
        Op("softplus", _softplus,
           local=(lambda out, a: _sigmoid(a),),
           formula=("sigmoid({a})",),
           second=((lambda out, a: _sigmoid(a) * _sigmoid(-a),),)),
        Op("logsigmoid", lambda a: -_softplus(-a), tex="\\log \\sigma({a})",
           local=(lambda out, a: _sigmoid(-a),),
           formula=("1-sigmoid({a})",),
           second=((lambda out, a: -_sigmoid(a) * _sigmoid(-a),),)),
        # log(softplus(a)), which log(softplus(...)) is fused to: finite where softplus underflows
        Op("log_softplus", _log_softplus, tex="\\log \\operatorname{softplus}({a})",
           local=(_dlog_softplus,),
           formula=("sigmoid({a})/softplus({a})",),
           second=((lambda out, a: _dlog_softplus(out, a) * (_sigmoid(-a) - _dlog_softplus(out, a)),),)),
        Op("sin", math.sin, tex="\\sin({a})",
           local=(lambda out, a: math.cos(a),),
           formula=("cos({a})",),
           second=((lambda out, a: -math.sin(a),),)),
        Op("cos", math.cos, tex="\\cos({a})",
           local=(lambda out, a: -math.sin(a),),
           formula=("-sin({a})",),
           second=((lambda out, a: -math.cos(a),),)),
        Op("tan", math.tan, tex="\\tan({a})",
           local=(lambda out, a: 1.0 + out * out,),
           formula=("1+tan({a})^2",),
           second=((lambda out, a: 2.0 * out * (1.0 + out * out),),)),
    )
}

# ---- arrays: NumPy, imported only when an array appears ----
# Shape rules take and return shape tuples (() for a scalar) and raise
# ValueError with the reason a shape does not fit.


def _vector(shape: tuple, what: str = "a") -> tuple:
    if len(shape) != 1:
        raise ValueError(f"{what} must be a vector, not an array of shape {shape}")
    return shape


def _to_scalar(a: tuple) -> tuple:
    _vector(a)
    return ()


def _pair_to_scalar(a: tuple, b: tuple) -> tuple:
    if _vector(a) != _vector(b, "b"):
        raise ValueError(f"the vectors' lengths differ: {a} and {b}")
    return ()


def _outer_shape(a: tuple, b: tuple) -> tuple:
    return _vector(a) + _vector(b, "b")


def _stack_shape(*items: tuple) -> tuple:
    if len(set(items)) > 1:
        raise ValueError(f"the items' shapes differ: {', '.join(map(str, items))}")
    return (len(items),) + items[0]


def _matmul_shape(a: tuple, b: tuple) -> tuple:
    if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2):
        raise ValueError(f"@ needs vectors or matrices, got {a} @ {b}")
    if a[-1] != b[0]:
        raise ValueError(f"{a} @ {b} does not fit: {a[-1]} columns against {b[0]} rows")
    return a[:-1] + b[1:]


def _matmul_da(g, out, a, b):
    import numpy as np

    if b.ndim == 1:
        return np.outer(g, b) if a.ndim == 2 else g * b  # W @ v: ∂L/∂W = δ·vᵀ
    return g @ b.T


def _matmul_db(g, out, a, b):
    import numpy as np

    if a.ndim == 1:
        return np.outer(a, g) if b.ndim == 2 else g * a
    return a.T @ g  # W @ v: ∂L/∂v = Wᵀ·δ


def _softmax(z):
    import numpy as np

    e = np.exp(z - z.max())  # shifted so exp never overflows: softmax([1000, 0]) is right
    return e / e.sum()


def _logsumexp(z) -> float:
    import numpy as np

    top = z.max()
    return float(top + np.log(np.exp(z - top).sum()))


def _sum(a) -> float:
    import numpy as np

    return float(np.sum(a))


def _mean(a) -> float:
    import numpy as np

    n = _size(a)
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(a))
    if total - total == 0.0:
        return total / n
    return float(np.sum(np.asarray(a) / n))  # the sum overflows, the mean need not: mean([1e308, 1e308])


def _fill(g, like, scale: float = 1.0):
    import numpy as np

    return np.full(np.shape(like), g * scale) if np.ndim(like) else g * scale


def _stack(*items):
    import numpy as np

    return np.array(items, dtype=float)


def _index_shape(x: tuple, *indices: tuple) -> tuple:
    if any(i != () for i in indices):
        raise ValueError("indices must be numbers")
    if len(indices) > len(x):
        raise ValueError(f"{len(indices)} ind{'ices' if len(indices) > 1 else 'ex'} into an array of shape {x}")
    return x[len(indices):]


def _index(x, *indices):
    import numpy as np

    at = []
    for i, size in zip(indices, np.shape(x)):
        if i != int(i) or not -size <= i < size:
            raise IndexError(f"index {i:g} is not a whole number in [{-size}, {size - 1}]")
        at.append(int(i))
    item = x[tuple(at)]
    return item if np.ndim(item) else float(item)


def _index_vjp(g, out, x, *indices):
    import numpy as np

    grad = np.zeros(np.shape(x))
    grad[tuple(int(i) for i in indices)] = g
    return grad


def _no_gradient(*_):
    return None  # an index is locally constant: no gradient flows into it


ARRAY_OPERATIONS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("array", _stack, formula=("δ[{k}]",), function=False, variadic=True,
           vjp=(lambda g, out, k: g[k] if g.ndim > 1 else float(g[k]),), shape=_stack_shape),
        Op("index", _index, formula=("δ at the index, 0 elsewhere", "none", "none"), function=False,
           vjp=(_index_vjp, _no_gradient, _no_gradient), shape=_index_shape),
        Op("matmul", lambda a, b: a @ b, formula=("δ·{b}ᵀ", "{a}ᵀ·δ"), function=False, symbol="@",
           tex="{a} \\cdot {b}", vjp=(_matmul_da, _matmul_db), shape=_matmul_shape),
        Op("dot", lambda a, b: float(a @ b), formula=("δ·{b}", "δ·{a}"),
           vjp=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
           shape=_pair_to_scalar),
        Op("outer", lambda a, b: _outer(a, b), formula=("δ·{b}", "δᵀ·{a}"),
           vjp=(lambda g, out, a, b: g @ b, lambda g, out, a, b: g.T @ a),
           shape=_outer_shape),
        Op("transpose", lambda a: _transpose(a), formula=("δᵀ",), tex="{a}^{\\top}",
           vjp=(lambda g, out, a: _transpose(g),), shape=lambda a: a[::-1]),
        Op("sum", _sum, formula=("δ for every element",),
           vjp=(lambda g, out, a: _fill(g, a),), shape=lambda a: ()),
        Op("mean", lambda a: _mean(a), formula=("δ/n for every element",),
           vjp=(lambda g, out, a: _fill(g, a, 1.0 / _size(a)),), shape=lambda a: ()),
        Op("softmax", _softmax, formula=("softmax({a})⊙(δ − δ·softmax({a}))",),
           vjp=(lambda g, out, a: out * (g - g @ out),), shape=_vector),
        Op("log_softmax", lambda a: a - _logsumexp(a), formula=("δ − softmax({a})·Σδ",),
           vjp=(lambda g, out, a: g - _softmax(a) * g.sum(),), shape=_vector),
        Op("logsumexp", _logsumexp, formula=("δ·softmax({a})",),
           vjp=(lambda g, out, a: g * _softmax(a),), shape=_to_scalar),
        # cross_entropy(z, y) = -Σ y·log softmax(z): z are logits, y a target distribution
        Op("cross_entropy", lambda z, y: -_sum(y * (z - _logsumexp(z))),
           formula=("δ·(softmax({a})·Σ{b} − {b})", "−δ·log_softmax({a})"),
           vjp=(lambda g, out, z, y: g * (_softmax(z) * y.sum() - y), lambda g, out, z, y: -g * (z - _logsumexp(z))),
           shape=_pair_to_scalar),
    )
}


def _transpose(a):
    import numpy as np

    return np.transpose(a) if np.ndim(a) else a


def _outer(a, b):
    import numpy as np

    return np.outer(a, b)


def _size(a) -> int:
    import numpy as np

    return int(np.size(a))


OPERATIONS: dict[str, Op] = {**SCALAR_OPERATIONS, **ARRAY_OPERATIONS}

FUNCTIONS: dict[str, Op] = {name: op for name, op in OPERATIONS.items() if op.function}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def exact_operations() -> dict[str, Op]:
    """The op table for --exact: each op with its exact rules, every result within MAX_BITS.

    An op that leaves the rationals gets a forward rule that says so (bpcalc.exact
    refuses such a graph before running, naming the node).
    """
    global _EXACT
    if _EXACT is None:
        from dataclasses import replace
        from fractions import Fraction

        table = {}
        for name, op in OPERATIONS.items():
            if op.exact is None:
                table[name] = replace(op, forward=_leaves_rationals(name))
                continue
            split: Any = tuple(Fraction(v) for v in op.tie_split) if op.tie_split is not None else None
            local = tuple(_bounded(rule) for rule in (op.exact_local or op.local))
            table[name] = replace(op, forward=_bounded(op.exact), local=local, tie_split=split, constant_local=None)
        _EXACT = table
    return _EXACT


_EXACT: dict[str, Op] | None = None


def _leaves_rationals(name: str) -> Callable[..., float]:
    def refuse(*_):
        raise NotRational(f"{name} leaves the rationals")

    return refuse


def _bounded(rule: Callable) -> Callable:
    """An exact rule whose result may have at most MAX_BITS bits above and below the line."""

    def bounded(*args):
        value = rule(*args)
        if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
            raise TooLarge(f"the exact value would have more than {MAX_BITS} bits (the --exact bound)")
        return value

    return bounded

