"""Tests for bpcalc/symbolic.py: closed forms by SymPy, checked against hand-written formulas,
central differences and the exact values of documented formulas (never against bpcalc itself)."""
from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpcalc
from bpcalc import symbolic
from bpcalc.errors import ExitCode, InputError
from bpcalc.ops import OPERATIONS, SCALAR_OPERATIONS
from bpcalc.parse import parse

sp = pytest.importorskip("sympy")  # bpcalc.symbolic imports SymPy only when it runs

SURVEY = "log(x1) + x1*x2 - sin(x2)"  # Baydin et al. (2018), Table 2 and 3, at (x1, x2) = (2, 5)


def real(*names: str):
    return [sp.Symbol(name, real=True) for name in names]


def derivatives(expr: str, wrt=None, **options) -> dict:
    return {name: d.expr for name, d in symbolic.diff(parse(expr), wrt, **options).derivatives.items()}


def same(a, b) -> bool:
    """Equal as functions: SymPy proves it, or they agree to 25 digits at several points."""
    difference = sp.sympify(a - b)
    if sp.simplify(difference.rewrite(sp.exp)) == 0:
        return True
    points = [0.7, 1.3, 2.9, 0.45]
    symbols = sorted(difference.free_symbols, key=str)
    return all(
        abs(difference.evalf(40, subs={s: points[(k + j) % 4] for k, s in enumerate(symbols)})) < 1e-25
        for j in range(4)
    )


# ---------------------------------------------------------------- the table


def test_every_op_has_a_sympy_rule_or_says_it_has_none():
    assert set(symbolic.SYMPY) == set(OPERATIONS)
    for name in SCALAR_OPERATIONS:
        assert symbolic.SYMPY[name] is not None, name  # every scalar op has a closed form


# Each scalar op's derivative, written out by hand from the README's table of local derivatives.
x, y = real("x", "y")
HAND = {
    "add": ("x + y", 1),
    "sub": ("x - y", 1),
    "mul": ("x * y", y),
    "div": ("x / y", 1 / y),
    "pow": ("x ^ y", y * x ** (y - 1)),
    "neg": ("-x", -1),
    "id": ("q = x; q", 1),
    "exp": ("exp(x)", sp.exp(x)),
    "log": ("log(x)", 1 / x),
    "sqrt": ("sqrt(x)", 1 / (2 * sp.sqrt(x))),
    "sigmoid": ("sigmoid(x)", sp.exp(-x) / (1 + sp.exp(-x)) ** 2),
    "tanh": ("tanh(x)", 1 - sp.tanh(x) ** 2),
    "softplus": ("softplus(x)", 1 / (1 + sp.exp(-x))),
    "logsigmoid": ("logsigmoid(x)", 1 - 1 / (1 + sp.exp(-x))),
    "log_softplus": ("log_softplus(x)", 1 / (1 + sp.exp(-x)) / sp.log(1 + sp.exp(x))),
    "sin": ("sin(x)", sp.cos(x)),
    "cos": ("cos(x)", -sp.sin(x)),
    "tan": ("tan(x)", 1 + sp.tan(x) ** 2),
    "max": ("max(x, y)", sp.Heaviside(x - y, 0)),
    "min": ("min(x, y)", sp.Heaviside(y - x, 0)),
    "relu": ("relu(x)", sp.Heaviside(x, 0)),
    "abs": ("abs(x)", sp.sign(x)),
}


def test_the_hand_table_covers_every_scalar_op():
    assert set(HAND) == set(SCALAR_OPERATIONS)


@pytest.mark.parametrize("name", sorted(HAND))
def test_each_ops_derivative_matches_its_hand_written_formula(name):
    expr, expected = HAND[name]
    got = derivatives(expr, ["x"])["x"]
    assert same(got, expected), (got, expected)


# ---------------------------------------------------------------- the survey example


def test_survey_example_closed_forms_and_values():
    x1, x2 = real("x1", "x2")
    d = symbolic.diff(parse(SURVEY))
    assert same(d.function, sp.log(x1) + x1 * x2 - sp.sin(x2))
    assert same(d.derivatives["x1"].expr, 1 / x1 + x2)
    assert same(d.derivatives["x2"].expr, x1 - sp.cos(x2))
    forms = symbolic.closed_forms(bpcalc.grad(SURVEY, at="x1=2,x2=5"))
    assert forms["x1"].value == pytest.approx(1 / 2 + 5, rel=1e-12)  # 5.5
    assert forms["x2"].value == pytest.approx(2 - math.cos(5), rel=1e-12)  # 1.716
    assert round(forms["x2"].value, 3) == 1.716


# ---------------------------------------------------------------- kinks, spelled out


def test_a_max_tie_is_an_explicit_indicator_zero_at_the_tie():
    d = derivatives("max(x, y)")
    assert d["x"] == sp.Heaviside(x - y, 0) and d["y"] == sp.Heaviside(y - x, 0)
    assert "Heaviside(x - y, 0)" in symbolic.text(d["x"])
    assert d["x"].subs({x: 1, y: 1}) == 0


def test_tie_split_gives_one_half_at_a_tie_and_says_so():
    d = derivatives("max(x, y)", tie="split")
    assert d["x"].subs({x: 1, y: 1}) == sp.Rational(1, 2)
    assert symbolic.text(d["x"]) == "Heaviside(x - y, 1/2)"  # not SymPy's bare Heaviside(x - y)


def test_relu_and_abs_give_zero_at_zero_also_under_split():
    for tie in ("indicator", "split"):
        d = derivatives("relu(x) + abs(y)", tie=tie)
        assert d["x"].subs(x, 0) == 0 and d["y"].subs(y, 0) == 0


def test_second_derivative_of_a_kink_is_zero():
    raw = symbolic.diff(parse("relu(x)*x"), simplify=False).derivatives["x"].expr
    assert raw.has(sp.Heaviside)
    assert sp.diff(derivatives("max(x, 0)^2")["x"], x).subs(x, 1) == 2


def test_latex_writes_the_indicator_as_an_iverson_bracket():
    assert symbolic.latex(sp.Heaviside(x - y, 0)) == r"\left[x - y > 0\right]"


# ---------------------------------------------------------------- programs, names, constants


def test_named_intermediates_are_substituted_and_can_be_differentiated_by():
    (z,) = real("z")
    d = derivatives("q = x + y; f = q * z", ["q", "x", "z"])
    assert same(d["q"], z) and same(d["x"], z) and same(d["z"], x + y)


def test_a_named_value_used_twice_gets_the_sum_of_its_paths():
    d = derivatives("q = x*y; f = q*q + q", ["q"])
    assert same(d["q"], 2 * x * y + 1)


def test_keep_names_keeps_intermediates_as_functions():
    result = symbolic.diff(parse("q = x + y; f = q * z"), ["x"], keep_names=True)
    q = sp.Function("q")(x, y)
    (z,) = real("z")
    assert result.derivatives["x"].expr == z * sp.Derivative(q, x)
    assert result.definitions["q"] == (q, x + y)


def test_pi_and_e_are_constants_unless_named():
    assert derivatives("pi*x + e")["x"] == sp.pi
    assert "pi" in derivatives("pi*x", ["pi"])


def test_literals_are_the_exact_fractions_they_write():
    assert derivatives("0.1*x^2")["x"] == x / 5
    assert derivatives("x^0.5")["x"] == 1 / (2 * sp.sqrt(x))


def test_text_reads_back_with_sympify():
    expressions = ["max(0, 1 - w*phi*y)", "sigmoid(w*x + b)", SURVEY, "min(x, y)^2 + relu(x)", "abs(x)/y"]
    for expr in expressions:
        d = symbolic.diff(parse(expr), tie="split")
        names = {name: sp.Symbol(name, real=True) for name in d.symbols}
        for derivative in d.derivatives.values():
            assert sp.sympify(symbolic.text(derivative.expr), locals=names) == derivative.expr


# ---------------------------------------------------------------- guards


def logistic(n: int) -> str:
    return "; ".join(f"l{i} = 4*l{i - 1}*(1-l{i - 1})" for i in range(1, n + 1))


def test_tree_size_counts_shared_parts_each_time_without_recursion():
    (a,) = real("a")
    expr = a
    for _ in range(3):
        expr = sp.sin(expr) * sp.cos(expr)  # each level uses the one below twice
    # a tree of sizes s(k) = 1 (Mul) + 2 * (1 + s(k-1)) (sin and cos over the level below)
    size = 1
    for _ in range(3):
        size = 1 + 2 * (1 + size)
    assert symbolic.tree_size(expr) == size
    deep, g = a, sp.Function("g")
    for _ in range(5000):
        deep = g(deep)  # deeper than Python's recursion limit
    assert symbolic.tree_size(deep) == 5001


def test_expression_swell_is_counted_and_stopped():
    small = symbolic.diff(parse(logistic(4)), stats=True)
    size = small.derivatives["l0"].size
    assert small.nodes == 21  # 5 nodes per step and l0
    assert size.raw > 5 * small.nodes and size.cse < size.raw
    with pytest.raises(InputError, match="stops at"):
        symbolic.diff(parse(logistic(12)))


def test_big_derivatives_are_left_unsimplified_with_a_note():
    d = symbolic.diff(parse(logistic(6)))
    assert not d.derivatives["l0"].simplified and "not simplified" in d.derivatives["l0"].note


def test_huge_constants_do_not_hang():
    with pytest.raises(InputError, match="too large"):
        symbolic.diff(parse("9^9^9 + x"))
    assert derivatives("1e-99999999*x + x")["x"] == 1


def test_deep_graphs_are_refused_up_front():
    with pytest.raises(InputError, match="too large"):
        symbolic.diff(parse("+".join(["x"] * 6000)))


def test_arrays_have_no_closed_form():
    with pytest.raises(InputError, match="arrays"):
        symbolic.diff(parse("sum(w)"))


def test_nestedtime_limits_name_their_own_deadline():
    with symbolic.time_limit(5) as outer, pytest.raises(symbolic.Expired) as caught, symbolic.time_limit(0.05):
        while True:
            pass
    assert caught.value.args[0] != outer


def test_without_sympy_a_clear_message_and_exit_2(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(InputError) as caught:
        symbolic.load_sympy()
    assert "pip install sympy" in str(caught.value) and caught.value.exit_code == ExitCode.BAD_INPUT


# ---------------------------------------------------------------- grad --symbolic


def test_closed_forms_at_a_kink_agree_with_backprop():
    forms = symbolic.closed_forms(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1"))
    assert {name: f.value for name, f in forms.items()} == {"w": 0.0, "phi": 0.0, "y": 0.0}
    split = symbolic.closed_forms(bpcalc.grad("3*max(x, y)", at="x=2,y=2", tie="split"))
    assert split["x"].value == 1.5


def test_a_sum_that_cancels_is_not_a_mismatch():
    forms = symbolic.closed_forms(bpcalc.grad("sin(x)^2 + cos(x)^2", at="x=1.3"))
    assert forms["x"].value == 0.0


def test_a_disagreement_is_an_internal_error():
    result = bpcalc.grad("x*y", at="x=2,y=3")
    result.gradient["x"] = 3.0000001
    with pytest.raises(symbolic.SymbolicMismatch) as caught:
        symbolic.closed_forms(result)
    assert caught.value.exit_code == ExitCode.INTERNAL


def test_a_given_pi_is_a_variable():
    forms = symbolic.closed_forms(bpcalc.grad("pi*x", at="x=1,pi=3"))
    assert forms["x"].value == 3.0 and forms["pi"].value == 1.0


# ---------------------------------------------------------------- symbolic = numeric on random expressions
# Expressions defined everywhere on the reals, so every drawn point is in the domain.

LEAVES = st.sampled_from(["x", "y", "0.5", "2", "x", "y"])
UNARY = [
    "sin({})",
    "cos({})",
    "tanh({})",
    "sigmoid({})",
    "softplus({})",
    "logsigmoid({})",
    "exp(tanh({}))",
    "log(1 + ({})^2)",
    "sqrt(1 + ({})^2)",
    "-({})",
    "({})^2",
    "abs({})",
    "relu({})",
]
BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (1 + ({})^2)", "max({}, {})", "min({}, {})"]


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: t[0].format(t[1], t[2])),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=8)
POINTS = st.floats(min_value=-2, max_value=2, allow_nan=False).map(lambda v: round(v, 3))


def _central(expr: str, at: dict, name: str) -> float:
    h = 1e-6
    up, down = dict(at), dict(at)
    up[name] += h
    down[name] -= h
    return (bpcalc.grad(expr, at=up).value - bpcalc.grad(expr, at=down).value) / (2 * h)


@settings(max_examples=40, deadline=None)
@given(EXPRESSIONS, POINTS, POINTS)
def test_symbolic_equals_numeric_on_random_expressions(expr, vx, vy):
    at = {"x": vx, "y": vy}
    result = bpcalc.grad(expr, at=at)
    forms = symbolic.closed_forms(result)  # raises where the closed form and backprop disagree
    for name, form in forms.items():
        if any(w.kind == "kink" for w in result.warnings):
            continue  # central differences average two slopes there
        numeric = _central(expr, at, name)
        assert abs(form.value - numeric) <= 1e-4 * max(1.0, abs(numeric)), (expr, at, name, form.value, numeric)
