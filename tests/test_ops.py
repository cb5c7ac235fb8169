"""Tests of bpcalc/ops.py, the table of operations.

Each op's local derivatives are checked against central finite differences of
the op's own forward rule, inside the op's smooth domain; the kinks and their
conventions are checked at the kink; the numerically delicate functions
(sigmoid, softplus, logsigmoid, tanh) are checked against references computed
with the `decimal` module from their textbook definitions; and the forward
rules' error contract (raise, never go complex) is checked at bad points.
"""
from __future__ import annotations

import math
import re
import sys
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bpcalc
from bpcalc.ops import INPUT_NAMES, OPERATIONS, SCALAR_OPERATIONS

README = Path(__file__).resolve().parent.parent / "README.md"


# ---------------------------------------------------------------- test points


def reals(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    """|x| in [lo, hi], either sign."""
    return st.builds(lambda x, negative: -x if negative else x, reals(lo, hi), st.booleans())


def one(strategy: st.SearchStrategy[float]) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(strategy)


def apart(lo: float, hi: float, gap: float) -> st.SearchStrategy[tuple[float, float]]:
    """Two numbers in [lo, hi] at least `gap` apart (no tie within a difference step)."""
    return st.tuples(reals(lo, hi), reals(lo, hi)).filter(lambda ab: abs(ab[0] - ab[1]) >= gap)


def tan_point(a: float) -> bool:
    return abs(math.cos(a)) > 0.2  # well away from the poles at pi/2 + k*pi


# op name -> a strategy for a tuple of its inputs, inside the smooth domain:
# away from kinks, poles and domain edges (finite differences use a step of at
# most 1e-6 * max(1, |x|), which stays below every gap kept here).
SMOOTH_POINTS: dict[str, st.SearchStrategy[tuple[float, ...]]] = {
    "add": st.tuples(reals(-1e3, 1e3), reals(-1e3, 1e3)),
    "sub": st.tuples(reals(-1e3, 1e3), reals(-1e3, 1e3)),
    "mul": st.tuples(reals(-1e3, 1e3), reals(-1e3, 1e3)),
    "div": st.tuples(reals(-1e3, 1e3), away_from_zero(0.1, 1e3)),
    "pow": st.tuples(reals(0.1, 10.0), reals(-3.0, 3.0)),
    "neg": one(reals(-1e6, 1e6)),
    "id": one(reals(-1e6, 1e6)),
    "max": apart(-100.0, 100.0, 1e-3),
    "min": apart(-100.0, 100.0, 1e-3),
    "relu": one(away_from_zero(1e-3, 1e3)),
    "abs": one(away_from_zero(1e-3, 1e3)),
    "exp": one(reals(-50.0, 50.0)),
    "log": one(reals(1e-3, 1e3)),
    "sqrt": one(reals(1e-3, 1e3)),
    "sigmoid": one(reals(-50.0, 50.0)),
    "tanh": one(reals(-50.0, 50.0)),
    "softplus": one(reals(-50.0, 50.0)),
    "logsigmoid": one(reals(-50.0, 50.0)),
    "log_softplus": one(reals(-50.0, 50.0)),
    "sin": one(reals(-100.0, 100.0)),
    "cos": one(reals(-100.0, 100.0)),
    "tan": one(reals(-10.0, 10.0).filter(tan_point)),
}

# The ops with a non-differentiable point, and the only ones with a kink rule.
KINKED = {"max", "min", "relu", "abs"}

REL_TOL = 1e-5  # central differences with h ~ 1e-6 are good to ~1e-8 relative; leave room
ABS_TOL = 1e-7


def central_difference(forward, inputs: tuple[float, ...], k: int) -> float:
    """∂forward/∂input_k by central differences, the step scaled to the input."""
    x = inputs[k]
    h = 1e-6 * max(1.0, abs(x))
    up = list(inputs)
    down = list(inputs)
    up[k] = x + h
    down[k] = x - h
    # Divide by the step actually taken (x ± h is rounded).
    return (forward(*up) - forward(*down)) / (up[k] - down[k])


# ---------------------------------------------------------------- local derivatives


@pytest.mark.parametrize("name", sorted(SCALAR_OPERATIONS))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_local_derivatives_match_finite_differences(name, data):
    op = OPERATIONS[name]
    inputs = data.draw(SMOOTH_POINTS[name], label="inputs")
    out = op.forward(*inputs)
    assert op.kink is None or not op.kink(*inputs), "a smooth test point is at a kink"
    for k in range(op.arity):
        local = op.local[k](out, *inputs)
        numeric = central_difference(op.forward, inputs, k)
        assert math.isclose(local, numeric, rel_tol=REL_TOL, abs_tol=ABS_TOL), (
            f"{name}: ∂/∂{INPUT_NAMES[k]} at {inputs} is {local!r}, finite differences give {numeric!r}"
        )


# ---------------------------------------------------------------- completeness


def test_every_op_has_test_points():
    assert set(SMOOTH_POINTS) == set(SCALAR_OPERATIONS), (
        "ops without test points: "
        f"{sorted(set(SCALAR_OPERATIONS) - set(SMOOTH_POINTS))}; test points for no op: "
        f"{sorted(set(SMOOTH_POINTS) - set(SCALAR_OPERATIONS))}"
    )


@pytest.mark.parametrize("name", sorted(SCALAR_OPERATIONS))
def test_op_is_described_consistently(name):
    op = OPERATIONS[name]
    assert op.name == name
    assert 1 <= op.arity <= len(INPUT_NAMES)
    assert len(op.formula) == op.arity, "one formula per input"
    allowed = set(INPUT_NAMES[: op.arity])
    for k, formula in enumerate(op.formula):
        placeholders = set(re.findall(r"\{([^{}]*)\}", formula))
        assert placeholders <= allowed, f"{name}: formula {formula!r} uses {placeholders - allowed}"
        # No stray braces once the placeholders are filled in.
        filled = op.show(k, ["p", "q"][: op.arity])
        assert "{" not in filled and "}" not in filled, f"{name}: formula {formula!r}"


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_op_is_in_readme_table(name):
    # The README documents every op in a table row that starts with its name.
    # (`log` must not be satisfied by a `logsigmoid` row, nor `tan` by `tanh`.)
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    row = re.compile(r"^\| `" + re.escape(name) + r"(?![A-Za-z0-9_])", re.MULTILINE)
    assert row.search(text), f"README.md has no table row starting with | `{name}"


# ---------------------------------------------------------------- kinks


def test_kinked_ops_are_exactly_max_min_relu_abs():
    assert {name for name, op in OPERATIONS.items() if op.kink is not None} == KINKED
    for name in KINKED:
        assert OPERATIONS[name].convention, f"{name} must say what it does at its kink"


@pytest.mark.parametrize("name", ["max", "min"])
@given(a=reals(-1e300, 1e300))
def test_tie_gives_zero_to_both_inputs(name, a):
    op = OPERATIONS[name]
    out = op.forward(a, a)
    assert out == a
    assert op.kink(a, a)
    assert tuple(rule(out, a, a) for rule in op.local) == (0.0, 0.0)


@pytest.mark.parametrize("name", ["max", "min"])
def test_tie_split_is_half_each(name):
    assert OPERATIONS[name].tie_split == (0.5, 0.5)


def test_only_max_and_min_have_a_tie_split():
    assert {name for name, op in OPERATIONS.items() if op.tie_split is not None} == {"max", "min"}


@pytest.mark.parametrize("name", ["max", "min"])
@given(a=reals(-1e300, 1e300), b=reals(-1e300, 1e300))
def test_max_min_kink_exactly_at_a_tie(name, a, b):
    op = OPERATIONS[name]
    assert op.kink(a, b) == (a == b)
    assert op.kink(a, a)


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_relu_and_abs_derivative_at_zero_is_zero(zero):
    for name in ("relu", "abs"):
        op = OPERATIONS[name]
        out = op.forward(zero)
        assert out == 0.0
        assert op.kink(zero)
        assert op.local[0](out, zero) == 0.0


@pytest.mark.parametrize("name", ["relu", "abs"])
@given(a=reals(-1e300, 1e300))
def test_relu_abs_kink_exactly_at_zero(name, a):
    assert OPERATIONS[name].kink(a) == (a == 0)


def test_relu_and_abs_one_sided_derivatives():
    relu, absolute = OPERATIONS["relu"], OPERATIONS["abs"]
    for a in (5e-324, 1e-300, 1.0, 1e300):
        assert relu.local[0](relu.forward(a), a) == 1.0
        assert relu.local[0](relu.forward(-a), -a) == 0.0
        assert absolute.local[0](absolute.forward(a), a) == 1.0
        assert absolute.local[0](absolute.forward(-a), -a) == -1.0


def test_max_tie_through_the_api_indicator():
    result = bpcalc.grad("max(x, y)", at={"x": 1, "y": 1})
    assert result.value == 1.0
    assert result.gradient == {"x": 0.0, "y": 0.0}
    kinks = [w for w in result.warnings if w.kind == "kink"]
    assert len(kinks) == 1
    assert "max(x, y)" in kinks[0].message


def test_max_tie_through_the_api_split():
    result = bpcalc.grad("max(x, y)", at={"x": 1, "y": 1}, tie="split")
    assert result.gradient == {"x": 0.5, "y": 0.5}
    assert [w.kind for w in result.warnings] == ["kink"]


def test_no_kink_warning_away_from_the_kink():
    result = bpcalc.grad("max(x, y) + relu(x) + abs(y)", at={"x": 1, "y": 2})
    assert result.gradient == {"x": 1.0, "y": 2.0}
    assert [w for w in result.warnings if w.kind == "kink"] == []


# ---------------------------------------------------------------- numerical stability

# References in decimal arithmetic, from the textbook definitions (not the
# code's stable rewrites). The working precision is high enough that
# 1 + e^-800 (about 1 + 1e-348) keeps the e^-800, so every reference is good
# to well over 50 significant digits.
WORKING_DIGITS = 450


def _decimal(f):
    def reference(a: float) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = WORKING_DIGITS
            return f(Decimal(a))  # Decimal(float) is exact

    return reference


@_decimal
def ref_sigmoid(a):
    return 1 / (1 + (-a).exp())


@_decimal
def ref_sigmoid_prime(a):
    return (-a).exp() / (1 + (-a).exp()) ** 2


@_decimal
def ref_softplus(a):
    return (1 + a.exp()).ln()


@_decimal
def ref_logsigmoid(a):
    return (1 / (1 + (-a).exp())).ln()


@_decimal
def ref_logsigmoid_prime(a):
    return 1 / (1 + a.exp())


@_decimal
def ref_tanh(a):
    return ((2 * a).exp() - 1) / ((2 * a).exp() + 1)


@_decimal
def ref_tanh_prime(a):
    return 4 / (a.exp() + (-a).exp()) ** 2


STABILITY_POINTS = [
    -800.0, -745.0, -700.0, -100.0, -40.0, -20.0, -5.0, -1.0, -1e-8, -1e-300,
    0.0, 1e-300, 1e-8, 0.5, 1.0, 5.0, 20.0, 30.0, 40.0, 100.0, 700.0, 800.0,
]

SUBNORMAL_ULP = 5e-324


def assert_accurate(got: float, reference: Decimal, what: str) -> None:
    """Relative error < 1e-14 where the reference is a normal float64; exact rounding
    (to within a few subnormal steps) where it underflows or rounds to 0 or 1."""
    assert isinstance(got, float), f"{what} is {type(got).__name__}, not float"
    assert math.isfinite(got), f"{what} = {got!r}"
    nearest = float(reference)  # correctly rounded
    if abs(nearest) >= sys.float_info.min:
        error = abs((Decimal(got) - reference) / reference)
        assert error < Decimal("1e-14"), f"{what} = {got!r}, reference {nearest!r} (relative error {float(error):.3g})"
    else:
        assert abs(got - nearest) <= 4 * SUBNORMAL_ULP, f"{what} = {got!r}, reference {nearest!r}"


STABLE_CASES = {
    # op name: (reference value, reference derivative)
    "sigmoid": (ref_sigmoid, ref_sigmoid_prime),
    "softplus": (ref_softplus, ref_sigmoid),
    "logsigmoid": (ref_logsigmoid, ref_logsigmoid_prime),
    "tanh": (ref_tanh, ref_tanh_prime),
}


@pytest.mark.parametrize("a", STABILITY_POINTS)
@pytest.mark.parametrize("name", sorted(STABLE_CASES))
def test_stable_functions_against_high_precision(name, a):
    op = OPERATIONS[name]
    value_ref, derivative_ref = STABLE_CASES[name]
    out = op.forward(a)
    assert_accurate(out, value_ref(a), f"{name}({a!r})")
    assert_accurate(op.local[0](out, a), derivative_ref(a), f"{name}'({a!r})")


def test_stability_examples_spelled_out():
    sigmoid, softplus = OPERATIONS["sigmoid"], OPERATIONS["softplus"]
    assert sigmoid.forward(800.0) == 1.0
    assert sigmoid.forward(-800.0) == 0.0  # e^-800 is below the smallest subnormal
    assert softplus.forward(800.0) == 800.0
    assert softplus.forward(-800.0) == 0.0
    # sigmoid'(40) = e^-40/(1+e^-40)^2 ~ 4.248e-18: 1 - sigmoid(40) rounds to 0, this must not.
    d40 = sigmoid.local[0](sigmoid.forward(40.0), 40.0)
    assert d40 > 0.0
    assert math.isclose(d40, float(ref_sigmoid_prime(40.0)), rel_tol=1e-14)
    assert 4.24e-18 < d40 < 4.25e-18
    # tanh'(20) = 4e-40/(1+e-40)^2 ~ 1.7e-17 where 1 - tanh(20)^2 is 0.
    tanh = OPERATIONS["tanh"]
    assert math.isclose(tanh.local[0](tanh.forward(20.0), 20.0), float(ref_tanh_prime(20.0)), rel_tol=1e-14)


# ---------------------------------------------------------------- domain errors

BAD_POINTS = [
    ("log", (0.0,), ValueError),
    ("log", (-0.0,), ValueError),
    ("log", (-1.0,), ValueError),
    ("sqrt", (-1.0,), ValueError),
    ("sqrt", (-5e-324,), ValueError),
    ("div", (1.0, 0.0), ZeroDivisionError),
    ("div", (0.0, 0.0), ZeroDivisionError),
    ("div", (1.0, -0.0), ZeroDivisionError),
    ("pow", (-8.0, 1.0 / 3.0), ValueError),
    ("pow", (0.0, -1.0), ValueError),
    ("pow", (10.0, 400.0), OverflowError),
    ("exp", (1000.0,), OverflowError),
]


@pytest.mark.parametrize("name, inputs, error", BAD_POINTS, ids=[f"{n}{i}" for n, i, _ in BAD_POINTS])
def test_forward_raises_outside_the_domain(name, inputs, error):
    with pytest.raises(error):
        OPERATIONS[name].forward(*inputs)


ANY_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
FORWARD_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


@pytest.mark.parametrize("name", sorted(SCALAR_OPERATIONS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_never_complex(name, data):
    """Forward and local rules return a float or raise: never a complex number."""
    op = OPERATIONS[name]
    inputs = tuple(data.draw(ANY_FLOAT, label=INPUT_NAMES[k]) for k in range(op.arity))
    try:
        out = op.forward(*inputs)
    except FORWARD_ERRORS:
        return
    assert isinstance(out, float) and not isinstance(out, complex), f"{name}{inputs} = {out!r}"
    assume(math.isfinite(out))  # the engine rejects inf itself
    for k in range(op.arity):
        try:
            local = op.local[k](out, *inputs)
        except FORWARD_ERRORS:
            continue
        assert isinstance(local, float) and not isinstance(local, complex), f"{name}'{inputs} = {local!r}"


def test_identity_is_one_entry_with_local_one():
    op = OPERATIONS["id"]
    assert op.forward(-2.5) == -2.5 and op.local[0](-2.5, -2.5) == 1.0 and op.formula == ("1",)
    assert not op.function  # written as q = x, not called
