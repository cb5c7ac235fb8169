"""Tests for bpcalc/hessian.py: forward over reverse against SymPy, central differences and hand formulas."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpcalc
from bpcalc.errors import InputError
from bpcalc.hessian import SYMMETRY, Dual, hessian
from bpcalc.ops import OPERATIONS, SCALAR_OPERATIONS
from bpcalc.parse import parse

SURVEY = "log(x1) + x1*x2 - sin(x2)"


def H(expr: str, **at: float):
    return hessian(parse(expr), at)


def central_hessian(expr: str, at: dict, names: list[str]) -> list[list[float]]:
    """Central differences of backprop's gradient: column j is (∇f(x + h e_j) − ∇f(x − h e_j)) / 2h."""
    columns = []
    for name in names:
        h = 1e-5 * max(1.0, abs(at[name]))
        up, down = dict(at), dict(at)
        up[name] += h
        down[name] -= h
        g_up, g_down = bpcalc.grad(expr, at=up).gradient, bpcalc.grad(expr, at=down).gradient
        columns.append([(g_up[n] - g_down[n]) / (2 * h) for n in names])
    return [[columns[j][i] for j in range(len(names))] for i in range(len(names))]


def test_every_scalar_op_has_second_derivatives_and_array_ops_none():
    for name, op in OPERATIONS.items():
        if name in SCALAR_OPERATIONS:
            assert op.second is not None and len(op.second) == len(op.local), name
            assert all(len(row) == len(op.local) for row in op.second), name
        else:
            assert op.second is None, name


def test_survey_example_hessian_by_hand():
    # ∂²/∂x1² = -1/x1², ∂²/∂x1∂x2 = 1, ∂²/∂x2² = sin(x2)
    h = H(SURVEY, x1=2.0, x2=5.0)
    assert h.names == ["x1", "x2"]
    assert h.matrix[0][0] == pytest.approx(-1 / 4, rel=1e-12)
    assert h.matrix[0][1] == h.matrix[1][0] == 1.0
    assert h.matrix[1][1] == pytest.approx(math.sin(5), rel=1e-12)
    assert h.gradient["x1"] == pytest.approx(5.5, rel=1e-12)


# Each op's second derivative by its hand-written formula, at a point inside its domain.
x0 = 0.7
SECOND = {
    "exp": ("exp(x)", math.exp(x0)), "log": ("log(x)", -1 / x0**2), "sqrt": ("sqrt(x)", -0.25 * x0**-1.5),
    "sigmoid": ("sigmoid(x)", (s := 1 / (1 + math.exp(-x0))) * (1 - s) * (1 - 2 * s)),
    "tanh": ("tanh(x)", -2 * math.tanh(x0) * (1 - math.tanh(x0) ** 2)),
    "softplus": ("softplus(x)", s * (1 - s)), "logsigmoid": ("logsigmoid(x)", -s * (1 - s)),
    "log_softplus": ("log_softplus(x)", s * (1 - s) / math.log1p(math.exp(x0)) - (s / math.log1p(math.exp(x0))) ** 2),
    "sin": ("sin(x)", -math.sin(x0)), "cos": ("cos(x)", -math.cos(x0)),
    "tan": ("tan(x)", 2 * math.tan(x0) * (1 + math.tan(x0) ** 2)),
    "pow": ("x^3.5", 3.5 * 2.5 * x0**1.5), "div": ("1/x", 2 / x0**3), "mul": ("x*x", 2.0),
    "add": ("x + x", 0.0), "sub": ("x - 2", 0.0), "neg": ("-x", 0.0), "id": ("q = x; q", 0.0),
    "max": ("max(x, 0.2)", 0.0), "min": ("min(x, 0.2)", 0.0), "relu": ("relu(x)", 0.0), "abs": ("abs(x)", 0.0),
}


def test_the_second_derivative_table_covers_every_scalar_op():
    assert set(SECOND) == set(SCALAR_OPERATIONS)


@pytest.mark.parametrize("name", sorted(SECOND))
def test_each_ops_second_derivative(name):
    expr, expected = SECOND[name]
    assert H(expr, x=x0).matrix[0][0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_pow_in_both_inputs():
    a, b = 1.3, 2.2
    h = H("a^b", a=a, b=b)
    assert h.matrix[0][0] == pytest.approx(b * (b - 1) * a ** (b - 2), rel=1e-12)
    assert h.matrix[0][1] == pytest.approx(a ** (b - 1) * (1 + b * math.log(a)), rel=1e-12)
    assert h.matrix[1][1] == pytest.approx(a**b * math.log(a) ** 2, rel=1e-12)


def test_second_derivative_is_zero_at_a_kink_with_the_warning():
    h = H("relu(x)*x + max(x, y)*y", x=0.0, y=0.0)
    assert h.matrix == [[0.0, 0.0], [0.0, 0.0]]  # [x > 0]·1 + 0, ... all indicators 0 at the tie
    assert any("second derivatives" in w.message and w.kind == "kink" for w in h.warnings)


def test_named_values_are_not_hessian_variables():
    with pytest.raises(InputError, match="named value"):
        hessian(parse("q = x*y; q*q"), {"x": 1.0, "y": 2.0}, wrt=["q"])


def test_arrays_are_refused():
    with pytest.raises(InputError, match="numbers"):
        hessian(parse("sum(w*w)"), bpcalc.parse.parse_point("w=[1,2]"))


def test_dual_arithmetic():
    d = Dual(2.0, 3.0) * Dual(5.0, 7.0) + 1.0
    assert (d.value, d.tangent) == (11.0, 2.0 * 7.0 + 3.0 * 5.0)
    assert (2.0 * Dual(1.0, 1.0)).tangent == 2.0


# ---------------------------------------------------------------- against SymPy and central differences

LEAVES = st.sampled_from(["x", "y", "0.5", "2"])
UNARY = ["sin({})", "cos({})", "tanh({})", "sigmoid({})", "softplus({})", "exp(tanh({}))", "-({})", "({})^2",
         "log(1 + ({})^2)", "sqrt(2 + sin({}))", "({})^3"]
BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (2 + cos({}))"]


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: t[0].format(t[1], t[2])),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=7).map(lambda e: f"({e}) + 0*x*y")  # both variables, always
VALUES = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(EXPRESSIONS, VALUES, VALUES)
def test_hessian_is_symmetric_and_equals_central_differences_of_the_gradient(expr, x, y):
    at = {"x": x, "y": y}
    h = hessian(parse(expr), at)
    assert h.asymmetry <= SYMMETRY, expr
    numeric = central_hessian(expr, at, h.names)
    scale = max(1.0, max(abs(v) for row in h.matrix for v in row))
    for i in range(2):
        for j in range(2):
            assert abs(h.matrix[i][j] - numeric[i][j]) <= 1e-5 * scale, (expr, at, h.matrix, numeric)


@settings(max_examples=25, deadline=None)
@given(EXPRESSIONS, VALUES, VALUES)
def test_hessian_equals_sympys(expr, x, y):
    sp = pytest.importorskip("sympy")
    from bpcalc import symbolic

    h = hessian(parse(expr), {"x": x, "y": y})
    first = symbolic.diff(parse(expr), simplify=False).derivatives
    X, Y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    point = {X: sp.Float(x, 30), Y: sp.Float(y, 30)}
    for i, a in enumerate(h.names):
        for j, b in enumerate(h.names):
            exact = float(sp.diff(first[a].expr, {"x": X, "y": Y}[b]).evalf(30, subs=point))
            assert math.isclose(h.matrix[i][j], exact, rel_tol=1e-9, abs_tol=1e-12), (expr, a, b, h.matrix[i][j], exact)
