"""Tests of bpcalc/engine.py: the forward and reverse passes, through bpcalc.grad.

The worked examples of the course are acceptance cases; random expressions are
checked against central finite differences of bpcalc's own values; mangled
input and extreme points must end in a Result or a BpcalcError, nothing else;
undefined math, missing values, --wrt, -0.0, very deep and very long inputs
and the order of the reverse pass each have their own tests.
"""
from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import bpcalc
from bpcalc.errors import MissingValuesError
from bpcalc.graph import Result
from bpcalc.ops import FUNCTIONS, OPERATIONS, SCALAR_OPERATIONS

EXAMPLES = json.loads((Path(__file__).resolve().parent / "data" / "worked_examples.json").read_text(encoding="utf-8"))


def close(got: float, expected: float) -> bool:
    return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)


def steps_into(result: Result, name: str):
    """The reverse pass's steps that pass a gradient to the named node, in visiting order."""
    node = result.graph.names[name]
    return [step for step in result.steps if step.input == node]


def assert_reverse_topological(result: Result) -> None:
    nodes = result.graph.nodes
    for i, node in enumerate(nodes):
        assert all(j < i for j in node.inputs), f"node {i} has an input that is not earlier"
    previous = len(nodes)
    for step in result.steps:
        assert step.node <= previous, "the reverse pass went forward"
        assert step.input < step.node
        assert nodes[step.node].inputs[step.position] == step.input
        previous = step.node


def assert_running_sums(result: Result) -> None:
    """Step.grad is the input's gradient so far: the running sum of its contributions."""
    sums: dict[int, float] = {}
    for step in result.steps:
        assert step.contribution == step.upstream * step.local
        sums[step.input] = sums.get(step.input, 0.0) + step.contribution
        assert step.grad == sums[step.input]
    for node, total in sums.items():
        assert result.grads[node] == total


def assert_no_negative_zero(result: Result) -> None:
    grads = list(result.gradient.values())
    grads += [g for g in result.grads if g is not None]
    grads += [step.grad for step in result.steps]
    for g in grads:
        if g == 0.0:
            assert math.copysign(1.0, g) == 1.0, "a gradient is -0.0"


# ---------------------------------------------------------------- worked examples


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{i + 1}:{e['expr']}" for i, e in enumerate(EXAMPLES)])
def test_worked_example(example):
    result = bpcalc.grad(example["expr"], at=example["at"])
    assert close(result.value, example["value"]), f"value {result.value!r}, expected {example['value']!r}"
    assert set(result.gradient) == set(example["gradient"])
    for name, expected in example["gradient"].items():
        assert close(result.gradient[name], expected), f"∂/∂{name} = {result.gradient[name]!r}, expected {expected!r}"
    assert_reverse_topological(result)
    assert_running_sums(result)
    assert_no_negative_zero(result)


def test_worked_example_count():
    assert len(EXAMPLES) == 11


def test_example_2_intermediate_q():
    example = EXAMPLES[1]
    assert example["expr"].startswith("q = x + y")
    result = bpcalc.grad(example["expr"], at=example["at"], wrt=["q", "x"])
    assert result.gradient == {"q": -4.0, "x": -4.0}
    assert result.values[result.graph.names["q"]] == 3.0
    # The same through the string form of wrt and of the point.
    again = bpcalc.grad(example["expr"], at="x=-2,y=5,z=-4", wrt="q, x")
    assert again.gradient == result.gradient


# ---------------------------------------------------------------- fan-out


def test_fan_out_adds_the_branches():
    result = bpcalc.grad("x*x + x", at={"x": 3})
    assert result.value == 12.0
    assert result.gradient == {"x": 7.0}
    steps = steps_into(result, "x")
    by_consumer = sorted(steps, key=lambda step: (step.node, step.position))
    assert [step.contribution for step in by_consumer] == [3.0, 3.0, 1.0]
    assert sum(step.contribution for step in steps) == 7.0
    # Step.grad is the running sum, in the order the steps were taken.
    running = 0.0
    for step in steps:
        running += step.contribution
        assert step.grad == running
    assert steps[-1].grad == 7.0
    # locals() reads the same steps back: x*x passes x to each side.
    table = result.locals()
    product = by_consumer[0].node
    assert list(table[product]) == [3.0, 3.0]


# ---------------------------------------------------------------- random expressions

VARIABLES = ("x", "y", "z")

# Variables three times as likely as any one constant, so most expressions use several.
leaves = st.sampled_from(list(VARIABLES) * 3 + ["0", "1", "2", "3", "0.5", "1.5", "0.25", "2.5"])

# Smooth functions, written so that every argument is in their domain.
SMOOTH_CALLS = [
    "sin({})", "cos({})", "tanh({})", "sigmoid({})", "softplus({})", "logsigmoid({})",
    "exp(tanh({}))", "log(1 + ({})^2)", "sqrt(1 + ({})^2)",
]


@st.composite
def expression(draw, depth: int) -> str:
    """A random smooth expression as text, at most `depth` operations deep."""
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(leaves)
    form = draw(st.sampled_from(["binary", "divide", "power", "negate", "call"]))
    a = draw(expression(depth - 1))
    if form == "binary":
        return f"({a}) {draw(st.sampled_from(['+', '-', '*']))} ({draw(expression(depth - 1))})"
    if form == "divide":  # only by something at least 1 away from zero
        return f"({a}) / (1 + ({draw(expression(depth - 1))})^2)"
    if form == "power":
        return f"({a})^{draw(st.integers(0, 3))}"
    if form == "negate":
        return f"-({a})"
    return draw(st.sampled_from(SMOOTH_CALLS)).format(a)


expressions = expression(4)
points = st.fixed_dictionaries({name: st.floats(min_value=-3.0, max_value=3.0, allow_nan=False) for name in VARIABLES})


def value_at(expr: str, point: dict[str, float]) -> float:
    return bpcalc.grad(expr, at=point).value


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expr=expressions, point=points)
def test_backprop_matches_finite_differences(expr, point):
    try:
        result = bpcalc.grad(expr, at=point)
    except bpcalc.MathError:
        assume(False)
    # Keep to well-scaled cases, where central differences are reliable.
    assume(all(abs(v) <= 100.0 for v in result.values))
    assume(all(abs(g) <= 1e4 for g in result.gradient.values()))
    assert set(result.gradient) == {name for name in VARIABLES if name in result.graph.variables}
    for name, g in result.gradient.items():
        x = point[name]
        h = 1e-6 * max(1.0, abs(x))
        up, down = dict(point), dict(point)
        up[name], down[name] = x + h, x - h
        try:
            numeric = (value_at(expr, up) - value_at(expr, down)) / (up[name] - down[name])
        except bpcalc.MathError:
            assume(False)
        assert math.isclose(g, numeric, rel_tol=1e-4, abs_tol=1e-5), (
            f"∂/∂{name} of {expr} at {point}: backprop {g!r}, finite differences {numeric!r}"
        )
    assert_reverse_topological(result)
    assert_running_sums(result)
    assert_no_negative_zero(result)


# ---------------------------------------------------------------- fuzz

EXTREMES = [0.0, -0.0, 1e308, -1e308, 5e-324, 800.0, -800.0, 1e-300, 1.0, -1.0]

fragments = st.sampled_from(
    list("abcxyzqe019_+-*/^(),.;=# \n")
    + ["1e308", "5e-324", "1e-300", "800", "**", "pi", "e", "E", "e-"]
    + sorted(OPERATIONS)
)
mangled = st.lists(fragments, max_size=40).map("".join)


@st.composite
def mangled_with_point(draw):
    """Mangled text, and extreme values for most of the names in it (some left out)."""
    text = draw(mangled)
    names = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)))
    point = {name: draw(st.sampled_from(EXTREMES)) for name in names if draw(st.integers(0, 9))}
    return text, point


def outcome(expr: str, at, **options):
    """bpcalc.grad's Result, or the BpcalcError it raised; any other exception propagates."""
    try:
        result = bpcalc.grad(expr, at=at, **options)
    except bpcalc.BpcalcError as error:
        assert isinstance(error.exit_code, int) and error.exit_code in (2, 3)
        assert str(error)
        return error
    assert isinstance(result, Result)
    assert math.isfinite(result.value)
    assert all(math.isfinite(g) for g in result.gradient.values())
    return result


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mangled_with_point(), tie=st.sampled_from(["indicator", "split"]))
def test_fuzz_mangled_text_and_extreme_points(case, tie):
    expr, at = case
    outcome(expr, at, tie=tie)


# Valid expressions at extreme points exercise the math rather than the parser.
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expr=expressions.map(lambda e: e.replace("z", "1e308*z")),
    at=st.fixed_dictionaries({v: st.sampled_from(EXTREMES) for v in VARIABLES}),
)
def test_fuzz_valid_expressions_at_extreme_points(expr, at):
    outcome(expr, at)


INFIX = {
    "add": "x + y",
    "sub": "x - y",
    "mul": "x * y",
    "div": "x / y",
    "pow": "x ^ y",
    "neg": "-x",
    "id": "q = x; q",
}  # an identity is made by naming a name


def op_expression(name: str) -> str:
    op = OPERATIONS[name]
    if not op.function:
        return INFIX[name]
    return f"{name}(x, y)" if op.arity == 2 else f"{name}(x)"


def test_every_operator_has_an_infix_form():
    assert {name for name, op in SCALAR_OPERATIONS.items() if not op.function} == set(INFIX)
    assert set(FUNCTIONS) == {name for name, op in OPERATIONS.items() if op.function}


@pytest.mark.parametrize("name", sorted(SCALAR_OPERATIONS))
def test_every_op_at_every_pair_of_extremes(name):
    op = OPERATIONS[name]
    expr = op_expression(name)
    # The op alone, and under an upstream gradient that is huge, zero or overflowing.
    statements, _, expr = expr.rpartition(";")
    before = f"{statements}; " if statements else ""
    forms = [before + form for form in (expr, f"1e308 * ({expr})", f"0 * ({expr})", f"({expr}) / 5e-324")]
    points = [{"x": a, "y": b} for a in EXTREMES for b in EXTREMES] if op.arity == 2 else [{"x": a} for a in EXTREMES]
    for at in points:
        for form in forms:
            for tie in ("indicator", "split"):
                try:
                    outcome(form, at, tie=tie)
                except AssertionError:
                    raise
                except Exception as error:  # name the case that escaped
                    raise AssertionError(
                        f"{form} at {at} (tie={tie}) raised {type(error).__name__}: {error}"
                    ) from error


# ---------------------------------------------------------------- undefined math


def math_error(expr: str, at) -> bpcalc.MathError:
    with pytest.raises(bpcalc.MathError) as caught:
        bpcalc.grad(expr, at=at)
    error = caught.value
    assert error.exit_code == 3 == bpcalc.ExitCode.MATH
    return error


def test_log_of_negative_names_the_node_and_value():
    error = math_error("log(x-2)", {"x": 1})
    assert error.text == "log(x-2)"
    assert "log(x-2)" in str(error)
    assert error.inputs[0][2] == -1.0
    assert "= -1" in str(error)


def test_division_by_zero():
    error = math_error("1/(x-3)", {"x": 3})
    assert "division by zero" in str(error)
    assert "1/(x-3)" in str(error)


def test_exp_overflow():
    error = math_error("exp(x)", {"x": 800})
    assert "overflow" in str(error)
    assert "800" in str(error)


def test_sqrt_at_zero_has_no_gradient():
    error = math_error("sqrt(x)", {"x": 0})
    assert "local derivative" in str(error) and "undefined" in str(error)
    result = bpcalc.grad("sqrt(x+1)", at={"x": 0})
    assert result.value == 1.0
    assert result.gradient == {"x": 0.5}


def test_power_of_a_negative_base():
    # (-2)^2 = 4 is defined, and so is its slope in the base ...
    result = bpcalc.grad("y = 2; f = x^y", at={"x": -2})
    assert result.value == 4.0
    assert result.gradient == {"x": -4.0}
    # ... but not its slope in the exponent: log(-2) is undefined.
    error = math_error("x^y", {"x": -2, "y": 2})
    assert "∂f/∂y" in str(error) and "undefined" in str(error)
    with pytest.raises(bpcalc.MathError):
        bpcalc.grad("y = 2; f = x^y", at={"x": -2}, wrt=["x", "y"])


def test_tower_of_powers_overflows_quickly():
    start = time.perf_counter()
    error = math_error("9^9^9", {})
    assert time.perf_counter() - start < 2.0
    assert "overflow" in str(error)


# ---------------------------------------------------------------- -0.0


@pytest.mark.parametrize(
    "expr, at",
    [
        ("max(0, 1 - w*phi*y)", {"w": 2, "phi": 1, "y": 1}),
        ("x*(-0)", {"x": 1}),
        ("-x*0", {"x": 5}),
        ("0*-x + relu(-y)", {"x": 1, "y": 2}),
        ("min(x, 0) * y", {"x": 1, "y": -1}),
    ],
)
def test_gradients_are_never_negative_zero(expr, at):
    result = bpcalc.grad(expr, at=at)
    assert all(g == 0.0 for g in result.gradient.values())
    assert_no_negative_zero(result)


# ---------------------------------------------------------------- missing and extra values


def test_missing_value_is_named():
    with pytest.raises(MissingValuesError) as caught:
        bpcalc.grad("x*y", at={"x": 1})
    assert caught.value.exit_code == 2
    assert caught.value.names == ["y"]
    assert "y" in str(caught.value)


def test_all_missing_values_at_once():
    with pytest.raises(bpcalc.BpcalcError) as caught:
        bpcalc.grad("a+b+c")
    assert caught.value.exit_code == 2
    assert caught.value.names == ["a", "b", "c"]
    assert "a, b, c" in str(caught.value)


def test_unused_value_warns():
    result = bpcalc.grad("x + 1", at={"x": 0, "q": 1})
    assert result.gradient == {"x": 1.0}
    unused = [w for w in result.warnings if w.kind == "unused"]
    assert len(unused) == 1 and "'q'" in unused[0].message


def test_pi_and_e_are_constants():
    result = bpcalc.grad("pi*e")
    assert result.value == math.pi * math.e
    assert result.gradient == {}
    assert result.warnings == []


def test_a_value_for_pi_overrides_the_constant():
    result = bpcalc.grad("pi*x", at={"x": 1, "pi": 3})
    assert result.value == 3.0
    assert result.gradient == {"pi": 1.0, "x": 3.0}
    assert [w.kind for w in result.warnings] == ["constant"]


# ---------------------------------------------------------------- wrt


def test_unknown_wrt_suggests_a_near_name():
    with pytest.raises(bpcalc.BpcalcError) as caught:
        bpcalc.grad("x*yy", at={"x": 1, "yy": 2}, wrt=["yyy"])
    assert caught.value.exit_code == 2
    assert "yyy" in str(caught.value)
    assert "did you mean 'yy'?" in str(caught.value)


def test_wrt_a_named_intermediate():
    result = bpcalc.grad("h = tanh(w*x); L = (h - t)^2", at={"w": 0.5, "x": 2, "t": 1}, wrt="h")
    h = math.tanh(1.0)
    assert result.gradient == {"h": pytest.approx(2 * (h - 1), rel=1e-12)}


# ---------------------------------------------------------------- deep and long inputs

DEPTH = 100_000


@pytest.mark.slow  # a 100,000-term input
def test_deep_affine_nesting():
    w, x = 1 - 1e-5, 0.5
    expr = "(" * DEPTH + "x" + "*w+1)" * DEPTH
    result = bpcalc.grad(expr, at={"x": x, "w": w})
    # Forward mode by hand: v <- v*w + 1, carrying dv/dx and dv/dw.
    v, dv_dx, dv_dw = x, 1.0, 0.0
    for _ in range(DEPTH):
        v, dv_dx, dv_dw = v * w + 1, dv_dx * w, dv_dw * w + v
    assert close(result.value, v)
    assert close(result.gradient["x"], dv_dx)
    assert close(result.gradient["w"], dv_dw)


@pytest.mark.slow  # a 100,000-term input
def test_deep_negation():
    result = bpcalc.grad("-" * DEPTH + "x", at={"x": 2.0})
    assert result.value == 2.0  # an even number of minus signs
    assert result.gradient == {"x": 1.0}


@pytest.mark.slow  # a 100,000-term input
def test_deep_sine():
    result = bpcalc.grad("sin(" * DEPTH + "x" + ")" * DEPTH, at={"x": 1.0})
    v, dv = 1.0, 1.0
    for _ in range(DEPTH):
        v, dv = math.sin(v), dv * math.cos(v)
    assert close(result.value, v)
    assert close(result.gradient["x"], dv)


def test_long_flat_sum():
    terms = ["x", "y", "2*x", "-y"]
    worth = {"x": (1.5, 1, 0), "y": (-0.25, 0, 1), "2*x": (3.0, 2, 0), "-y": (0.25, 0, -1)}
    chosen = []
    length = -1
    while length < 200_000:
        chosen.append(terms[len(chosen) % 4])
        length += len(chosen[-1]) + 1
    expr = "+".join(chosen)
    assert len(expr) >= 200_000
    result = bpcalc.grad(expr, at={"x": 1.5, "y": -0.25})
    value, dx, dy = 0.0, 0, 0
    for term in chosen:
        v, a, b = worth[term]
        value, dx, dy = value + v, dx + a, dy + b
    assert close(result.value, value)
    assert result.gradient == {"x": float(dx), "y": float(dy)}


# ---------------------------------------------------------------- order of the reverse pass


@settings(max_examples=100, deadline=None)
@given(expr=expressions, point=points)
def test_reverse_pass_is_in_reverse_topological_order(expr, point):
    try:
        result = bpcalc.grad(expr, at=point)
    except bpcalc.MathError:
        assume(False)
    assert_reverse_topological(result)
    # Every node that gets a gradient is visited after all its consumers.
    first_visit = {}
    for index, step in enumerate(result.steps):
        first_visit.setdefault(step.node, index)
    for index, step in enumerate(result.steps):
        if step.input in first_visit:
            assert first_visit[step.input] > index


def test_reverse_pass_order_on_a_program():
    result = bpcalc.grad(EXAMPLES[9]["expr"], at=EXAMPLES[9]["at"])
    assert_reverse_topological(result)
    assert result.steps[0].node == len(result.graph.nodes) - 1
    assert [step.node for step in result.steps] == sorted((step.node for step in result.steps), reverse=True)


# ---------------------------------------------------------------- issue 10: a name that copies a value


@pytest.mark.parametrize("program", ["q = x; f = q*x", "q = +x; f = q*x", "q = (x); f = q*x"])
def test_a_name_that_copies_a_value_keeps_its_own_node(program):
    # f = q*x with q = x: by hand, ∂f/∂q = x = 3 (q's own use only), ∂f/∂x = q + x·1 = 6.
    result = bpcalc.grad(program, "x=3", wrt="q,x")
    assert result.gradient == {"q": 3.0, "x": 6.0}
    q = result.graph.names["q"]
    assert result.graph.nodes[q].op == "id" and result.graph.nodes[q].label == "q"
    assert result.values[q] == 3.0 and result.grads[q] == 3.0


def test_a_name_copying_a_name_keeps_both_nodes():
    # k = r; f = k*k + r at r=2: ∂f/∂k = 2k = 4, ∂f/∂r = 4·1 + 1 = 5.
    result = bpcalc.grad("k = r; f = k*k + r", "r=2", wrt="k,r")
    assert result.gradient == {"k": 4.0, "r": 5.0}
    assert [node.label for node in result.graph.nodes if node.op == "id"] == ["k"]


# ---------------------------------------------------------------- issue 10 item 6: log of an underflowing value


def test_log_of_sigmoid_far_left_is_fused_and_finite():
    # log σ(x) = -log(1 + e^-x) = x - log1p(e^x) = x to float64 at x = -800; d/dx = 1 - σ(x) = 1.
    result = bpcalc.grad("log(sigmoid(x))", "x=-800")
    assert result.value == -800.0 and result.gradient == {"x": 1.0}
    assert [node.op for node in result.graph.nodes] == ["var", "logsigmoid"]
    (fused,) = [w for w in result.warnings if w.kind == "fused"]
    assert "logsigmoid" in fused.message


def test_log_of_softplus_far_left_is_fused_and_finite():
    # softplus(x) = e^x (1 - e^x/2 + ...) for x << 0, so log softplus(x) = x - e^x/2 + ... = -800;
    # d/dx = σ(x)/softplus(x) = 1 to float64 there.
    result = bpcalc.grad("log(softplus(x))", "x=-800")
    assert result.value == -800.0 and result.gradient == {"x": 1.0}
    assert [w.kind for w in result.warnings] == ["fused"]


@pytest.mark.parametrize("x", [-30.0, -19.5, -5.0, 0.0, 3.0, 40.0])
def test_log_softplus_matches_high_precision(x):
    from mpmath import mp, mpf

    mp.dps = 50
    sp = mp.log(1 + mp.exp(mpf(x)))
    result = bpcalc.grad("log(softplus(x))", {"x": x})
    assert math.isclose(result.value, float(mp.log(sp)), rel_tol=1e-14)
    assert math.isclose(result.gradient["x"], float(1 / (1 + mp.exp(-mpf(x))) / sp), rel_tol=1e-14)


def test_a_named_sigmoid_is_not_fused():
    result = bpcalc.grad("p = sigmoid(x); log(p)", "x=0.4")
    assert [node.op for node in result.graph.nodes] == ["var", "sigmoid", "log"]
    assert not [w for w in result.warnings if w.kind == "fused"]


# ---- the one reverse loop: its hot path, its replay, forward mode over its locals (issue 9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, points)
def test_the_hot_path_is_the_general_body(expr, point):
    """bpcalc.grad's fast case and the loop's general body (taken when steps are recorded)
    give the same locals and gradients to the last bit."""
    from bpcalc.engine import backward, forward, leaves
    from bpcalc.parse import parse

    graph = parse(expr)
    values, wants = leaves(graph, point)
    try:
        forward(graph, values, wants)
    except bpcalc.MathError:
        return
    steps: list = []
    try:
        fast = backward(graph, values, wants, "indicator", [])
    except bpcalc.MathError as error:  # the same error, at the same node, from the general body
        with pytest.raises(bpcalc.MathError) as general_error:
            backward(graph, values, wants, "indicator", [], steps=steps)
        assert str(general_error.value) == str(error)
        return
    general = backward(graph, values, wants, "indicator", [], steps=steps)
    assert fast.grads == general.grads
    assert fast.local == general.local
    assert [s.grad for s in steps] == [s.grad for s in bpcalc.grad(expr, at=point).steps]


@pytest.mark.parametrize(
    "expr, point, node",
    [
        # by hand: the values stay finite (1e-300 · 1e200 · 1e200 = 1e100) but ∂f/∂(x·1e-300) is
        # 1e200 · 1e200 = inf, first made at the node n2 = (x*1e-300)*1e200
        ("(x*1e-300)*1e200*1e200", {"x": 1.0}, "n2 = (x*1e-300)*1e200"),
        # the same overflow, then a general-body node (relu) downstream of it in the reverse pass
        ("relu(x*1e-300)*1e200*1e200", {"x": 1.0}, "n3 = relu(x*1e-300)*1e200"),
        # the overflow in a general-body node (sqrt: 1e200 · 0.5/1e-150), after fast-path nodes
        ("x*y + sqrt(z)*1e200*1e200", {"x": 1.0, "y": 2.0, "z": 1e-300}, "n3 = sqrt(z)*1e200"),
    ],
)
def test_an_overflowing_gradient_is_named_where_it_is_first_made(expr, point, node):
    # bpcalc.grad's loop checks its gradients once, after the loop, and then runs again checking
    # each one: the error must still name the first node whose gradient overflows
    with pytest.raises(bpcalc.MathError, match="overflows float64") as error:
        bpcalc.grad(expr, at=point)
    assert f"at node {node}," in str(error.value)


def test_gradients_whose_sum_overflows_are_no_error_and_warn_once():
    # ∂f/∂x = 1e308 + relu′(0)·(1 − 1) and ∂f/∂y = 1e308 (by hand) are finite, their sum is not: the
    # rerun that looks for the overflow finds none, and the kink of relu(x - x) is warned of once
    result = bpcalc.grad("1e308*x + 1e308*y + relu(x - x)", at={"x": 1e-10, "y": -1e-10})
    assert result.gradient == {"x": 1e308, "y": 1e308}
    assert len(result.warnings) == 1 and "kink" in result.warnings[0].message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, points)
def test_forward_mode_tangents_equal_the_reverse_gradient(expr, point):
    """Pushing a unit tangent forward through the recorded locals gives, at the output, the
    same partial derivative as the reverse pass (both are sums over the same paths)."""
    from bpcalc.engine import tangents

    try:
        result = bpcalc.grad(expr, at=point)
    except bpcalc.MathError:
        return
    for name in result.gradient:
        tangent, _ = tangents(result.graph, result.local, {result.graph.names[name]: 1.0})
        assert math.isclose(tangent[-1], result.gradient[name], rel_tol=1e-9, abs_tol=1e-12)


def test_wrt_differentiates_only_what_is_asked():
    # ∂f/∂n would need log(-2); --wrt x must not compute it (issue 10 item 4)
    result = bpcalc.grad("x^n", at="x=-2,n=3", wrt="x")
    assert result.gradient == {"x": 12.0}
    assert result.grads[result.graph.names["n"]] is None
    with pytest.raises(bpcalc.MathError):
        bpcalc.grad("x^n", at="x=-2,n=3")


def test_gradcheck_wrt_differentiates_only_what_is_asked():
    from bpcalc.gradcheck import gradcheck

    report = gradcheck("x^n", {"x": -2.0, "n": 3.0}, wrt=["x"])
    assert [(row.name, row.verdict) for row in report.rows] == [("x", "good")]


@pytest.mark.parametrize(
    "expr, at, words",
    [
        ("10^x", "x=308", "the local derivative ∂f/∂x = 10^x*log(10) overflows float64"),
        ("x/y", "x=1,y=1e-300", "the local derivative ∂f/∂y = -x/y^2 overflows float64"),
        ("x*y*z", "x=1e-300,y=1e300,z=1e300", "the gradient passed to x overflows float64: upstream 1e+300 × local"),
        ("sum([x, x])", "x=1e308", "the value overflows float64"),
        ("sum([[x]] @ [[y]])", "x=1e200,y=1e200", "the value overflows float64"),
    ],
)
def test_an_overflow_is_called_an_overflow(expr, at, words):
    # issue 10 item 7: say which number overflows float64, not that the math is undefined
    with pytest.raises(bpcalc.MathError) as caught:
        bpcalc.grad(expr, at=at)
    assert words in str(caught.value)
    assert "undefined" not in str(caught.value)


def test_outside_the_domain_is_still_undefined():
    with pytest.raises(bpcalc.MathError, match="is undefined"):
        bpcalc.grad("sqrt(x)", at="x=0")


# ---------------------------------------------------------------- issue 10 item 18: pi and e are constants


def test_pi_and_e_show_as_constants():
    from bpcalc.render.json import to_dict

    result = bpcalc.grad("pi*x + e", "x=2")
    data = to_dict(result)
    ops = {node["label"]: node["op"] for node in data["nodes"]}
    assert ops["pi"] == "const" and ops["e"] == "const" and ops["x"] == "var"
    # by hand: ∂(pi·x + e)/∂x = pi
    assert data["gradient"] == {"x": math.pi}


def test_wrt_a_constant_is_an_error():
    with pytest.raises(bpcalc.BpcalcError) as caught:
        bpcalc.grad("pi*x", "x=2", wrt="pi")
    assert caught.value.exit_code == 2
    assert "constant" in str(caught.value) and "--at pi=" in str(caught.value)


def test_pi_given_a_value_is_a_variable_again_on_the_same_graph():
    from bpcalc.engine import run
    from bpcalc.parse import parse

    graph = parse("pi*x")
    assert run(graph, {"x": 1.0}).gradient == {"x": math.pi}
    given = run(graph, {"x": 1.0, "pi": 3.0})
    assert given.gradient == {"pi": 1.0, "x": 3.0} and graph.nodes[0].op == "var"
    assert run(graph, {"x": 1.0}).graph.nodes[0].op == "const"


def test_repr_of_a_result_is_a_short_summary():
    # issue 10 item 20: (x+y)*z at x=-2, y=5, z=-4: f = -12, gradient x=-4, y=-4, z=3 (worked example 1)
    result = bpcalc.grad("(x+y)*z", "x=-2,y=5,z=-4")
    assert repr(result) == "<bpcalc Result: f = -12 at x=-2, y=5, z=-4; ∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3>"
    from bpcalc.render.notebook import bundle

    assert bundle(result, include={"text/plain"})["text/plain"] == repr(result)


@pytest.mark.parametrize("expr, at, words, absent", [
    ("log(x)", "x=0", "where a = x = 0", "0.0"),
    ("log(-3)", None, "where a = -3", "-3.0"),
    ("log(3.0 - 3)", None, "where a = 3.0 - 3 = 0", "0.0"),
])
def test_errors_print_numbers_as_the_tables_do(expr, at, words, absent):
    # issue 10 item 21: the tables write 0 and -3, not 0.0 and -3.0
    with pytest.raises(bpcalc.MathError) as caught:
        bpcalc.grad(expr, at=at)
    assert words in str(caught.value) and absent not in str(caught.value)
