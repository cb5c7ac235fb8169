"""Tests of vector and matrix support (issue 6): bpcalc/arrays.py, the array ops of
bpcalc/ops.py, array points in bpcalc/parse.py, and arrays in the renderers and CLI.

What is checked, and against what:

1. The vector rows of ../shared/worked-examples.md ("Vector and layer forms"),
   through bpcalc.grad and the CLI's JSON: the hinge loss with vectors, a layer
   z = W·a + b (∂L/∂W = δ·aᵀ, ∂L/∂b = δ, ∂L/∂a = Wᵀ·δ, with δ obtained separately),
   softmax with cross-entropy (∂L/∂z = ŷ − y), a two-layer MLP against a NumPy
   delta-rule implementation written here, and one SGD step.
2. Every op, array ops and scalar ops applied element-wise with broadcasting,
   against central finite differences of bpcalc's own values on random shapes and
   values drawn by hypothesis (loss = sum(c * op(...)) with a random weight c).
3. Broadcasting: gradients have their input's shape; sums over stretched axes,
   checked against an explicit loop over the output's elements.
4. Shape errors (ShapeError, exit code 2, naming the node and the shapes).
5. Numerical stability of softmax, log_softmax, logsumexp, cross_entropy and
   the fused log(softmax(z)).
6. Array points: parse_point, --values FILE, and malformed arrays.
7. Array literals and indexing in expressions.
8. Kinks element-wise and --tie split.
9. Output: the table (shape column, nested lists, long arrays shortened) and JSON.
10. NumPy is imported only when an array appears.
11. A 1000×1000 matrix product and its gradients.

Reference numbers are the worked examples' or are derived here independently
(NumPy formulas, hand-written loops, finite differences); none are copied from
bpcalc's output.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from typer.testing import CliRunner

import bpcalc
from bpcalc.cli import app
from bpcalc.errors import PointError, ShapeError
from bpcalc.ops import ARRAY_OPERATIONS, OPERATIONS, SCALAR_OPERATIONS
from bpcalc.parse import parse_point
from bpcalc.render.json import dumps
from bpcalc.render.table import to_text

runner = CliRunner()


# ---------------------------------------------------------------- helpers


def invoke(*args: str):
    """`bpcalc ARGS` in this process (Typer's CliRunner keeps stdout and stderr apart)."""
    return runner.invoke(app, list(args))


def bpcalc_process(*args: str, python: tuple = ()):
    """`python -m bpcalc ARGS` as its own process."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    return subprocess.run(
        [sys.executable, *python, "-m", "bpcalc", *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=300,
    )


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, which are not JSON (RFC 8259)."""

    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def assert_array(got, expected, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """Same shape (np.shape: a float for a scalar) and the same numbers to rtol."""
    expected = np.asarray(expected, dtype=float)
    assert np.shape(got) == expected.shape, f"shape {np.shape(got)}, expected {expected.shape}"
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=rtol, atol=atol)


def node_value(result, op: str):
    """The value of the (first) node with this op."""
    (i,) = [i for i, node in enumerate(result.graph.nodes) if node.op == op][:1]
    return result.values[i]


def assert_clean_cli_error(result, code: int = 2) -> str:
    """A CLI failure: the exit code, nothing on stdout, one paragraph on stderr, no traceback."""
    assert isinstance(result.exception, SystemExit), result.exception  # no exception escaped the command
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    stderr = result.stderr
    assert stderr.startswith("error:"), stderr
    assert "Traceback" not in stderr
    assert "\n\n" not in stderr.strip(), f"more than one paragraph:\n{stderr}"
    return stderr


def central_difference(expr: str, point: dict, name: str) -> np.ndarray | float:
    """∂value/∂name by central differences of bpcalc.grad's values, one element at a time."""
    base = np.array(point[name], dtype=float)
    fd = np.zeros(base.shape)
    for index in np.ndindex(base.shape):
        x = base[index]
        h = 1e-6 * max(1.0, abs(x))
        up, down = x + h, x - h
        values = []
        for moved in (up, down):
            perturbed = base.copy()
            perturbed[index] = moved
            at = dict(point)
            at[name] = perturbed if base.ndim else float(perturbed)
            values.append(bpcalc.grad(expr, at=at).value)
        fd[index] = (values[0] - values[1]) / (up - down)
    return fd if base.ndim else float(fd)


def assert_matches_finite_differences(expr: str, point: dict, names) -> None:
    result = bpcalc.grad(expr, at=point)
    for name in names:
        got = result.gradient[name]
        shapes = f"∂/∂{name} has shape {np.shape(got)}, its input {np.shape(point[name])}"
        assert np.shape(got) == np.shape(point[name]), shapes
        if np.ndim(point[name]) == 0:
            assert isinstance(got, float), f"∂/∂{name} of a number is {type(got).__name__}, not a float"
        fd = central_difference(expr, point, name)
        scale = 1.0 + float(np.max(np.abs(fd)))
        np.testing.assert_allclose(
            got,
            fd,
            rtol=1e-5,
            atol=1e-6 * scale,
            err_msg=f"{expr} at {point}: ∂/∂{name} differs from central differences",
        )


def softmax(z: np.ndarray) -> np.ndarray:
    """An independent softmax for reference values (shifted, as any stable one must be)."""
    e = np.exp(z - np.max(z))
    return e / e.sum()


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def write_json(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


# ================================================================ 1. worked examples: vector and layer forms

HINGE_POINT = "w=[0.5,-0.3],phi=[1,2],y=1"
HINGE_FORMS = ["max(0, 1 - (w @ phi)*y)", "max(0, 1 - dot(w, phi)*y)", "max(0, 1 - w @ phi * y)"]
# worked-examples.md: w·φ = −0.1, loss = 1.1, ∂L/∂w = −φ·y, ∂L/∂φ = −w·y; ∂L/∂y = −w·φ = 0.1 (scalar row 6)
HINGE_VALUE = 1.1
HINGE_GRADIENT = {"w": [-1.0, -2.0], "phi": [-0.5, 0.3], "y": 0.1}


@pytest.mark.parametrize("expr", HINGE_FORMS)
def test_hinge_with_vectors_through_the_api(expr):
    result = bpcalc.grad(expr, at=HINGE_POINT)
    assert math.isclose(result.value, HINGE_VALUE, rel_tol=1e-9)
    assert list(result.gradient) == ["w", "phi", "y"]
    for name, expected in HINGE_GRADIENT.items():
        assert_array(result.gradient[name], expected)
    assert isinstance(result.gradient["y"], float)


@pytest.mark.parametrize("expr", HINGE_FORMS[:2])
def test_hinge_with_vectors_through_the_cli_json(expr):
    result = invoke("grad", expr, "--at", HINGE_POINT, "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert math.isclose(data["value"], HINGE_VALUE, rel_tol=1e-9)
    assert data["at"]["w"] == [0.5, -0.3] and data["at"]["phi"] == [1, 2]
    for name, expected in HINGE_GRADIENT.items():
        assert_array(data["gradient"][name], expected)


def test_hinge_with_vectors_as_a_real_process():
    proc = bpcalc_process("grad", HINGE_FORMS[0], "--at", HINGE_POINT, "--json")
    assert proc.returncode == 0, proc.stderr
    data = strict_json(proc.stdout)
    assert math.isclose(data["value"], HINGE_VALUE, rel_tol=1e-9)
    for name, expected in HINGE_GRADIENT.items():
        assert_array(data["gradient"][name], expected)


def test_hinge_with_vectors_beyond_the_margin_is_flat():
    # (w·φ)·y = 2 > 1: the loss is 0 and so is every gradient (the vector form of row 5)
    result = bpcalc.grad("max(0, 1 - (w @ phi)*y)", at="w=[2,0],phi=[1,2],y=1")
    assert result.value == 0.0
    assert_array(result.gradient["w"], [0.0, 0.0])
    assert_array(result.gradient["phi"], [0.0, 0.0])
    assert result.gradient["y"] == 0.0


LAYER_PROGRAM = "z = W @ a + b; L = sum(c * sigmoid(z))"


def _layer_point(seed: int = 0, n: int = 3, k: int = 4) -> dict:
    rng = np.random.default_rng(seed)
    return {"W": rng.normal(size=(n, k)), "a": rng.normal(size=k), "b": rng.normal(size=n), "c": rng.normal(size=n)}


def _check_layer_identities(gradient: dict, point: dict) -> None:
    W, a, b, c = (np.asarray(point[name], dtype=float) for name in "Wabc")
    delta = np.asarray(gradient["z"])
    # δ = ∂L/∂z by hand: L = Σ c·σ(z), so δ = c·σ(z)(1 − σ(z))
    s = sigmoid(W @ a + b)
    assert_array(delta, c * s * (1 - s))
    assert_array(gradient["W"], np.outer(delta, a))  # ∂L/∂W = δ·aᵀ
    assert_array(gradient["b"], delta)  # ∂L/∂b = δ
    assert_array(gradient["a"], W.T @ delta)  # ∂L/∂a = Wᵀ·δ


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layer_identities_through_the_api(seed):
    point = _layer_point(seed)
    result = bpcalc.grad(LAYER_PROGRAM, at=point, wrt="z,W,a,b")
    assert list(result.gradient) == ["z", "W", "a", "b"]
    W, a, b, c = (point[name] for name in "Wabc")
    assert math.isclose(result.value, float(c @ sigmoid(W @ a + b)), rel_tol=1e-12)
    _check_layer_identities(result.gradient, point)


def test_layer_identities_through_the_cli_with_values_file(tmp_path):
    point = _layer_point(7)
    path = write_json(tmp_path, "layer.json", {name: value.tolist() for name, value in point.items()})
    result = invoke("grad", LAYER_PROGRAM, "--values", path, "--wrt", "z,W,a,b", "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    _check_layer_identities(data["gradient"], point)


def test_layer_table_shows_the_local_rules_as_formulas():
    # issue 6: "the local rule as a formula (∂L/∂W = δ·aᵀ, ∂L/∂a = Wᵀ·δ ...)"
    text = to_text(bpcalc.grad(LAYER_PROGRAM, at=_layer_point(0)), width=200)
    assert "δ·aᵀ" in text
    assert "Wᵀ·δ" in text


SOFTMAX_CE_FORMS = [
    "cross_entropy(z, y)",
    "-sum(y * log(softmax(z)))",
    "-sum(y * log_softmax(z))",
    "L = -sum(y * log(softmax(z)))",
]
TARGETS = {
    "one-hot": [0.0, 1.0, 0.0, 0.0],
    "distribution": [0.1, 0.2, 0.3, 0.4],
}


@pytest.mark.parametrize("target", TARGETS, ids=list(TARGETS))
@pytest.mark.parametrize("expr", SOFTMAX_CE_FORMS)
def test_softmax_cross_entropy_gradient_is_yhat_minus_y(expr, target):
    z = np.array([1.5, -0.3, 0.8, 2.0])
    y = np.array(TARGETS[target])
    result = bpcalc.grad(expr, at={"z": z, "y": y})
    yhat = softmax(z)
    assert math.isclose(result.value, float(-np.sum(y * np.log(yhat))), rel_tol=1e-12)
    assert_array(result.gradient["z"], yhat - y)
    assert_array(result.gradient["y"], -np.log(yhat))  # ∂L/∂y = −log ŷ


def test_softmax_cross_entropy_after_a_layer():
    rng = np.random.default_rng(3)
    W, a, b = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    y = np.array([0.0, 0.0, 1.0, 0.0])
    result = bpcalc.grad("z = W @ a + b; L = cross_entropy(z, y)", at={"W": W, "a": a, "b": b, "y": y}, wrt="z,W,a,b")
    delta = softmax(W @ a + b) - y  # ŷ − y
    assert_array(result.gradient["z"], delta)
    assert_array(result.gradient["W"], np.outer(delta, a))
    assert_array(result.gradient["b"], delta)
    assert_array(result.gradient["a"], W.T @ delta)


def test_softmax_cross_entropy_through_the_cli():
    result = invoke("grad", "cross_entropy(z, y)", "--at", "z=[1,2,3],y=[0,0,1]", "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    z, y = np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0])
    assert math.isclose(data["value"], float(-np.log(softmax(z))[2]), rel_tol=1e-12)
    assert_array(data["gradient"]["z"], softmax(z) - y)


# The MLP: two layers, with an independent NumPy backprop written as the delta rule
# δᵢ⁽ˡ⁻¹⁾ = Σⱼ δⱼ⁽ˡ⁾ · wⱼᵢ⁽ˡ⁾ · θ′(sᵢ⁽ˡ⁻¹⁾), with explicit loops (W[j, i] is wᵢⱼ of the notes).

ACTIVATIONS = {
    "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
    "sigmoid": (sigmoid, lambda s: sigmoid(s) * (1.0 - sigmoid(s))),
}


def numpy_mlp_backprop(p: dict, hidden: str, loss: str) -> dict:
    theta, dtheta = ACTIVATIONS[hidden]
    W1, b1, W2, b2, x, t = (p[k] for k in ("W1", "b1", "W2", "b2", "x", "t"))
    s1 = W1 @ x + b1
    h = theta(s1)
    s2 = W2 @ h + b2
    if loss == "squared":  # L = Σ (σ(s2) − t)²
        o = sigmoid(s2)
        delta2 = 2.0 * (o - t) * o * (1.0 - o)
        g_t = -2.0 * (o - t)
    else:  # L = cross_entropy(s2, t)
        delta2 = softmax(s2) - t
        g_t = -np.log(softmax(s2))
    delta1 = np.zeros_like(s1)
    for i in range(len(s1)):
        delta1[i] = sum(delta2[j] * W2[j, i] for j in range(len(s2))) * dtheta(s1[i])
    grads = {
        "W2": np.array([[delta2[j] * h[i] for i in range(len(h))] for j in range(len(s2))]),
        "b2": delta2,
        "W1": np.array([[delta1[i] * x[m] for m in range(len(x))] for i in range(len(s1))]),
        "b1": delta1,
        "x": np.array([sum(delta1[i] * W1[i, m] for i in range(len(s1))) for m in range(len(x))]),
        "t": g_t,
    }
    return grads


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("hidden, loss", [("tanh", "squared"), ("sigmoid", "cross_entropy"), ("tanh", "cross_entropy")])
def test_mlp_against_a_numpy_delta_rule(hidden, loss, seed):
    rng = np.random.default_rng(seed)
    p = {
        "x": rng.normal(size=3),
        "W1": rng.normal(size=(4, 3)),
        "b1": rng.normal(size=4),
        "W2": rng.normal(size=(2, 4)),
        "b2": rng.normal(size=2),
    }
    p["t"] = np.array([1.0, 0.0]) if loss == "cross_entropy" else rng.uniform(size=2)
    output = "L = sum((sigmoid(s2) - t)^2)" if loss == "squared" else "L = cross_entropy(s2, t)"
    program = f"s1 = W1 @ x + b1\nh = {hidden}(s1)\ns2 = W2 @ h + b2\n{output}\n"
    result = bpcalc.grad(program, at=p)
    expected = numpy_mlp_backprop(p, hidden, loss)
    for name, grad in expected.items():
        assert_array(result.gradient[name], grad, rtol=1e-9, atol=1e-13)


def test_one_sgd_step_from_the_gradient():
    # w_new = w − η·∂L/∂w on the vector hinge loss: the loss falls to 1 − (w_new·φ)·y
    eta = 0.1
    phi, y = np.array([1.0, 2.0]), 1.0
    w = np.array([0.5, -0.3])
    result = invoke("grad", HINGE_FORMS[0], "--at", HINGE_POINT, "--json")
    assert result.exit_code == 0, result.stderr
    gradient = np.array(strict_json(result.stdout)["gradient"]["w"])
    w_new = w - eta * gradient
    assert_array(w_new, [0.6, -0.1])
    after = bpcalc.grad(HINGE_FORMS[0], at={"w": w_new, "phi": phi, "y": y})
    assert math.isclose(after.value, max(0.0, 1.0 - float(w_new @ phi) * y), rel_tol=1e-12)
    assert after.value < HINGE_VALUE


# ================================================================ 2. every op against finite differences

VALUES = st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False)
POSITIVE = st.floats(0.5, 3.0)
AWAY_FROM_ZERO = st.builds(lambda m, s: m * s, st.floats(0.5, 2.0), st.sampled_from([-1.0, 1.0]))
# a grid on which the two inputs of max/min never tie (|a − b| ≥ 1/8) and relu/abs never see 0
GRID = st.integers(-8, 8).map(lambda k: k / 4)
OFF_GRID = st.integers(-8, 7).map(lambda k: k / 4 + 1 / 8)
SMALL = st.floats(-1.2, 1.2)  # tan stays away from its poles
WEIGHTS = st.one_of(st.floats(0.25, 2.0), st.floats(-2.0, -0.25))

# op -> (expression with {a}, {b}, element strategy for each input)
SCALAR_CASES = {
    "add": ("{a} + {b}", VALUES, VALUES),
    "sub": ("{a} - {b}", VALUES, VALUES),
    "mul": ("{a} * {b}", VALUES, VALUES),
    "div": ("{a} / {b}", VALUES, AWAY_FROM_ZERO),
    "pow": ("{a} ^ {b}", POSITIVE, VALUES),
    "neg": ("-{a}", VALUES),
    "id": ("q = {a}; q", VALUES),  # a statement: an identity is made by naming a name
    "max": ("max({a}, {b})", GRID, OFF_GRID),
    "min": ("min({a}, {b})", OFF_GRID, GRID),
    "relu": ("relu({a})", OFF_GRID),
    "abs": ("abs({a})", OFF_GRID),
    "exp": ("exp({a})", VALUES),
    "log": ("log({a})", POSITIVE),
    "sqrt": ("sqrt({a})", POSITIVE),
    "sigmoid": ("sigmoid({a})", VALUES),
    "tanh": ("tanh({a})", VALUES),
    "softplus": ("softplus({a})", VALUES),
    "logsigmoid": ("logsigmoid({a})", VALUES),
    "log_softplus": ("log_softplus({a})", VALUES),
    "sin": ("sin({a})", VALUES),
    "cos": ("cos({a})", VALUES),
    "tan": ("tan({a})", SMALL),
}

FD_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def draw_array(draw, shape: tuple, elements=VALUES):
    """An array of the shape, or a float for shape ()."""
    value = draw(hnp.arrays(np.float64, shape, elements=elements))
    return value if value.ndim else float(value)


def weighted_loss(draw, core: str, inputs: dict, out_shape: tuple):
    """sum(c * core) with a random weight c of the core's shape, so no two elements cancel."""
    point = dict(inputs)
    point["c"] = draw_array(draw, out_shape, WEIGHTS)
    statements, _, core = core.rpartition(";")
    return (f"{statements}; " if statements else "") + f"sum(c * ({core}))", point


def test_every_op_has_a_finite_difference_case():
    assert set(SCALAR_CASES) == set(SCALAR_OPERATIONS)
    assert set(ARRAY_CASES) == set(ARRAY_OPERATIONS)
    assert set(SCALAR_CASES) | set(ARRAY_CASES) == set(OPERATIONS)


@FD_SETTINGS
@given(data=st.data())
@pytest.mark.parametrize("op", [name for name, case in SCALAR_CASES.items() if len(case) == 2])
def test_unary_scalar_op_element_wise_matches_finite_differences(op, data):
    template, elements = SCALAR_CASES[op]
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), label="shape")
    a = draw_array(data.draw, shape, elements)
    expr, point = weighted_loss(data.draw, template.format(a="a"), {"a": a}, shape)
    assert_matches_finite_differences(expr, point, ["a"])


@FD_SETTINGS
@given(data=st.data())
@pytest.mark.parametrize("op", [name for name, case in SCALAR_CASES.items() if len(case) == 3])
def test_binary_scalar_op_with_broadcasting_matches_finite_differences(op, data):
    template, elements_a, elements_b = SCALAR_CASES[op]
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), label="shapes"
    )
    (shape_a, shape_b), out_shape = shapes.input_shapes, shapes.result_shape
    a = draw_array(data.draw, shape_a, elements_a)
    b = draw_array(data.draw, shape_b, elements_b)
    expr, point = weighted_loss(data.draw, template.format(a="a", b="b"), {"a": a, "b": b}, out_shape)
    assert_matches_finite_differences(expr, point, ["a", "b"])


# the broadcasting pairs named in the issue, for every binary op, with fixed seeds
NAMED_PAIRS = [
    ((3,), (2, 3)),
    ((2, 3), (3,)),
    ((), (3,)),
    ((2, 2), ()),
    ((2, 1), (1, 3)),
    ((1, 3), (2, 1)),
    ((2, 1), (2, 3)),
]


def sample(rng: np.random.Generator, elements, shape: tuple):
    """Values from the same ranges as the hypothesis strategies above, drawn with NumPy for a fixed case."""
    if elements is GRID:
        values = rng.integers(-8, 9, size=shape) / 4
    elif elements is OFF_GRID:
        values = rng.integers(-8, 8, size=shape) / 4 + 1 / 8
    elif elements is AWAY_FROM_ZERO:
        values = rng.uniform(0.5, 2, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    elif elements is POSITIVE:
        values = rng.uniform(0.5, 3, size=shape)
    else:
        assert elements is VALUES
        values = rng.uniform(-2, 2, size=shape)
    return values if np.ndim(values) else float(values)


@pytest.mark.parametrize("shape_a, shape_b", NAMED_PAIRS, ids=[f"{a}-{b}" for a, b in NAMED_PAIRS])
@pytest.mark.parametrize("op", [name for name, case in SCALAR_CASES.items() if len(case) == 3])
def test_binary_scalar_op_on_named_broadcast_pairs(op, shape_a, shape_b):
    template, elements_a, elements_b = SCALAR_CASES[op]
    rng = np.random.default_rng(zlib.crc32(repr((op, shape_a, shape_b)).encode()))
    point = {"a": sample(rng, elements_a, shape_a), "b": sample(rng, elements_b, shape_b)}
    out_shape = np.broadcast_shapes(shape_a, shape_b)
    point["c"] = rng.uniform(0.25, 2, size=out_shape) * rng.choice([-1.0, 1.0], size=out_shape)
    expr = f"sum(c * ({template.format(a='a', b='b')}))"
    assert_matches_finite_differences(expr, point, ["a", "b"])


# array ops: each case draws (core expression, inputs, the core's shape)

SIDES = st.integers(1, 4)


@st.composite
def case_array(draw):
    count = draw(st.integers(1, 3))
    item = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    inputs = {f"a{k}": draw_array(draw, item) for k in range(count)}
    # items may be expressions too: [a0, 2*a1, ...]
    core = "[" + ", ".join(name if k % 2 == 0 else f"2*{name}" for k, name in enumerate(inputs)) + "]"
    return core, inputs, (count, *item)


@st.composite
def case_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    count = draw(st.integers(1, len(shape)))
    indices = [draw(st.integers(-size, size - 1)) for size in shape[:count]]
    core = "x[" + ", ".join(map(str, indices)) + "]"
    return core, {"x": draw_array(draw, shape)}, shape[count:]


@st.composite
def case_matmul(draw):
    n, k, m = draw(SIDES), draw(SIDES), draw(SIDES)
    form = draw(st.sampled_from(["matrix @ matrix", "matrix @ vector", "vector @ matrix", "vector @ vector"]))
    shape_a = (n, k) if form.startswith("matrix") else (k,)
    shape_b = (k, m) if form.endswith("matrix") else (k,)
    inputs = {"A": draw_array(draw, shape_a), "B": draw_array(draw, shape_b)}
    return "A @ B", inputs, np.shape(np.ones(shape_a) @ np.ones(shape_b))


@st.composite
def case_dot(draw):
    k = draw(SIDES)
    return "dot(u, v)", {"u": draw_array(draw, (k,)), "v": draw_array(draw, (k,))}, ()


@st.composite
def case_outer(draw):
    n, m = draw(SIDES), draw(SIDES)
    return "outer(u, v)", {"u": draw_array(draw, (n,)), "v": draw_array(draw, (m,))}, (n, m)


@st.composite
def case_transpose(draw):
    # arrays of any rank; a number (README: "any") has its own test below
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    return "transpose(A)", {"A": draw_array(draw, shape)}, shape[::-1]


def _reduction(name: str):
    @st.composite
    def case(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
        return f"{name}(A)", {"A": draw_array(draw, shape)}, ()

    return case()


def _vector_op(name: str, out_is_vector: bool):
    @st.composite
    def case(draw):
        k = draw(SIDES)
        return f"{name}(z)", {"z": draw_array(draw, (k,))}, (k,) if out_is_vector else ()

    return case()


@st.composite
def case_cross_entropy(draw):
    k = draw(SIDES)
    # y need not be a distribution: the rule δ·(softmax(z)·Σy − y) holds for any y
    return "cross_entropy(z, y)", {"z": draw_array(draw, (k,)), "y": draw_array(draw, (k,), st.floats(0.0, 1.0))}, ()


ARRAY_CASES = {
    "array": case_array(),
    "index": case_index(),
    "matmul": case_matmul(),
    "dot": case_dot(),
    "outer": case_outer(),
    "transpose": case_transpose(),
    "sum": _reduction("sum"),
    "mean": _reduction("mean"),
    "softmax": _vector_op("softmax", True),
    "log_softmax": _vector_op("log_softmax", True),
    "logsumexp": _vector_op("logsumexp", False),
    "cross_entropy": case_cross_entropy(),
}


@FD_SETTINGS
@given(data=st.data())
@pytest.mark.parametrize("op", list(ARRAY_CASES))
def test_array_op_matches_finite_differences(op, data):
    core, inputs, out_shape = data.draw(ARRAY_CASES[op], label="case")
    expr, point = weighted_loss(data.draw, core, inputs, tuple(out_shape))
    assert_matches_finite_differences(expr, point, list(inputs))


def test_transpose_of_a_number_is_the_number():
    # README: transpose takes "any" shape; a number is its own transpose
    result = bpcalc.grad("3 * transpose(x)", at={"x": 2.0})
    assert result.value == 6.0
    assert result.gradient["x"] == 3.0


def test_a_chain_of_array_ops_matches_finite_differences():
    rng = np.random.default_rng(11)
    point = {
        "W": rng.normal(size=(3, 2)),
        "v": rng.normal(size=2),
        "u": rng.normal(size=3),
        "y": np.array([0.2, 0.5, 0.3]),
    }
    expr = (
        "h = tanh(W @ v) + u; s = softmax(h); "
        "L = cross_entropy(h, y) + dot(s, u)^2 + mean(outer(u, v)) + sum(transpose(W) @ u)"
    )
    assert_matches_finite_differences(expr, point, ["W", "v", "u", "y"])


# ================================================================ 3. broadcasting: shapes and sums


def reference_broadcast_gradient(weights: np.ndarray, shape: tuple, factor=None) -> np.ndarray:
    """∂/∂a of Σₒ weights[o]·(a[o→a] ·factor[o]), by a loop over every output element o
    mapping it to the element of a that broadcasting read (size-1 axes read index 0)."""
    out = np.zeros(shape)
    for o in np.ndindex(weights.shape):
        trailing = o[len(o) - len(shape) :] if shape else ()
        source = tuple(0 if size == 1 else i for i, size in zip(trailing, shape))
        out[source] += weights[o] * (1.0 if factor is None else np.broadcast_to(factor, weights.shape)[o])
    return out


BROADCAST_PAIRS = [
    ((), (2, 3)),
    ((3,), (2, 3)),
    ((2, 1), (2, 3)),
    ((2, 1), (1, 3)),
    ((1, 3), (2, 1)),
    ((1,), (4,)),
    ((1, 1), (3,)),
    ((3, 1, 2), (4, 1)),
    ((2, 3), (2, 3)),
]


@pytest.mark.parametrize("op", ["+", "*", "-"])
@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_PAIRS, ids=[f"{a}-{b}" for a, b in BROADCAST_PAIRS])
def test_gradients_have_their_inputs_shapes_and_sum_over_stretched_axes(shape_a, shape_b, op):
    rng = np.random.default_rng(len(shape_a) * 7 + len(shape_b))
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    out_shape = np.broadcast_shapes(shape_a, shape_b)
    c = rng.normal(size=out_shape)
    point = {"a": a if a.ndim else float(a), "b": b if b.ndim else float(b), "c": c}
    result = bpcalc.grad(f"sum(c * (a {op} b))", at=point)
    factor_a = {"+": None, "-": None, "*": b}[op]
    factor_b = {"+": None, "-": -1.0, "*": a}[op]
    for name, shape, factor in (("a", shape_a, factor_a), ("b", shape_b, factor_b)):
        got = result.gradient[name]
        assert np.shape(got) == shape, f"∂/∂{name} has shape {np.shape(got)}, its input {shape}"
        if shape == ():
            assert type(got) is float
        assert_array(got, reference_broadcast_gradient(c, shape, factor))


def test_a_scalar_receiving_from_arrays_gets_a_float():
    result = bpcalc.grad(
        "sum(s * v) + mean(W * s) + s", at={"s": 2.0, "v": np.array([1.0, 2.0, 3.0]), "W": np.ones((2, 2))}
    )
    assert type(result.gradient["s"]) is float
    assert result.gradient["s"] == 6.0 + 1.0 + 1.0


def test_a_bias_column_sums_over_the_batch_axis():
    # Z = X @ W + b with b of shape (1, 3): ∂L/∂b sums δ over the rows
    rng = np.random.default_rng(5)
    X, W, b = rng.normal(size=(4, 2)), rng.normal(size=(2, 3)), rng.normal(size=(1, 3))
    C = rng.normal(size=(4, 3))
    result = bpcalc.grad("sum(C * (X @ W + b))", at={"X": X, "W": W, "b": b, "C": C})
    assert_array(result.gradient["b"], C.sum(axis=0, keepdims=True))
    assert_array(result.gradient["W"], X.T @ C)
    assert_array(result.gradient["X"], C @ W.T)


# ================================================================ 4. shape errors

# (expression, point, words the message must contain)
SHAPE_ERRORS = [
    ("matmul misfit", "sum(W @ a)", "W=[[1,2,3],[4,5,6]],a=[1,2]", ["W @ a", "(2, 3)", "(2,)"]),
    ("matmul of a number", "sum(W @ s)", "W=[[1,2],[3,4]],s=2", ["W @ s", "(2, 2)", "()"]),
    ("element-wise misfit", "sum(u + v)", "u=[1,2],v=[1,2,3]", ["u + v", "(2,)", "(3,)"]),
    (
        "element-wise misfit of matrices",
        "sum(A * B)",
        "A=[[1,2],[3,4]],B=[[1,2,3],[4,5,6]]",
        ["A * B", "(2, 2)", "(2, 3)"],
    ),
    ("dot of different lengths", "dot(u, v)", "u=[1,2],v=[1,2,3]", ["dot(u, v)", "(2,)", "(3,)"]),
    ("dot of a matrix", "dot(A, v)", "A=[[1,2],[3,4]],v=[1,2]", ["dot(A, v)", "(2, 2)"]),
    ("softmax of a matrix", "sum(softmax(A))", "A=[[1,2],[3,4]]", ["softmax(A)", "(2, 2)"]),
    ("log_softmax of a matrix", "sum(log_softmax(A))", "A=[[1,2],[3,4]]", ["log_softmax(A)", "(2, 2)"]),
    ("logsumexp of a number", "logsumexp(s)", "s=1", ["logsumexp(s)", "()"]),
    (
        "cross_entropy of different lengths",
        "cross_entropy(z, y)",
        "z=[1,2,3],y=[0,1]",
        ["cross_entropy(z, y)", "(3,)", "(2,)"],
    ),
    ("outer of a matrix", "sum(outer(A, v))", "A=[[1,2],[3,4]],v=[1,2]", ["outer(A, v)", "(2, 2)"]),
    ("vector output", "2*w", "w=[1,2]", ["2*w", "(2,)", "sum"]),
    ("matrix output", "W @ W", "W=[[1,2],[3,4]]", ["W @ W", "(2, 2)", "sum"]),
    ("index out of range", "x[5]", "x=[1,2,3]", ["x[5]", "(3,)", "5"]),
    ("negative index out of range", "x[-4]", "x=[1,2,3]", ["x[-4]", "(3,)"]),
    ("non-integer index", "x[0.5]", "x=[1,2,3]", ["x[0.5]", "0.5"]),
    ("non-integer index from the point", "x[i]", "x=[1,2,3],i=1.5", ["x[i]", "1.5"]),
    ("second index out of range", "W[1, 2]", "W=[[1,2],[3,4]]", ["W[1, 2]", "(2, 2)", "2"]),
    ("too many indices", "x[0, 0]", "x=[1,2]", ["x[0, 0]", "(2,)"]),
    ("index into a number", "s[0]", "s=2", ["s[0]", "()"]),
    ("an array as an index", "x[v]", "x=[1,2],v=[0,1]", ["x[v]", "(2,)"]),
    ("ragged array of names", "sum([a, b])", "a=[1,2],b=[1,2,3]", ["[a, b]", "(2,)", "(3,)"]),
    ("ragged array literal", "sum([[1,2],[3]])", "", ["[[1,2],[3]]", "(2,)", "(1,)"]),
    ("number and vector in one array", "sum([s, v])", "s=1,v=[1,2]", ["[s, v]", "()", "(2,)"]),
]


def _literal_shape(label: str, point: dict):
    """The true shape of a leaf named in an error: a variable's from the point, a literal's ()."""
    if label in point:
        return np.shape(point[label])
    if re.fullmatch(r"[\d.]+([eE][+-]?\d+)?", label):
        return ()
    return None  # an intermediate: not checked here


@pytest.mark.parametrize("expr, at, words", [e[1:] for e in SHAPE_ERRORS], ids=[e[0] for e in SHAPE_ERRORS])
def test_shape_error_through_the_api(expr, at, words):
    with pytest.raises(ShapeError) as caught:
        bpcalc.grad(expr, at=at)
    error = caught.value
    assert error.exit_code == 2
    message = str(error)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    # every "label has shape S" that names a leaf tells that leaf's true shape
    point = parse_point(at)
    for label, shape in error.inputs:
        true = _literal_shape(label, point)
        if true is not None:
            assert tuple(shape) == true, f"the message says {label} has shape {shape}; it has {true}: {message!r}"


def test_vector_output_error_tells_to_reduce_and_names_the_output_shape():
    with pytest.raises(ShapeError) as caught:
        bpcalc.grad("2*w", at="w=[1,2]")
    message = str(caught.value)
    assert "reduce" in message and "sum(" in message
    # the literal 2 is a number: the message must not say it has the output's shape
    assert "2 has shape (2,)" not in message, message


@pytest.mark.parametrize("expr, at, words", [e[1:] for e in SHAPE_ERRORS], ids=[e[0] for e in SHAPE_ERRORS])
def test_shape_error_through_the_cli(expr, at, words):
    args = ["grad", expr] + (["--at", at] if at else [])
    stderr = assert_clean_cli_error(invoke(*args), 2)
    for word in words:
        assert word in stderr


def test_shape_error_as_a_real_process():
    proc = bpcalc_process("grad", "sum(W @ a)", "--at", "W=[[1,2,3],[4,5,6]],a=[1,2]")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
    assert "W @ a" in proc.stderr and "(2, 3)" in proc.stderr and "(2,)" in proc.stderr


def test_shapes_are_checked_before_evaluating():
    # log(-1) would be a MathError (exit 3); the misfit after it is found first
    with pytest.raises(ShapeError):
        bpcalc.grad("sum(log(u) + v)", at="u=[-1,-2],v=[1,2,3]")


# ================================================================ 5. numerical stability


def test_softmax_of_large_logits():
    result = bpcalc.grad("sum(c * softmax(z))", at="z=[1000,0],c=[1,2]")
    assert_array(node_value(result, "softmax"), [1.0, 0.0], atol=0)
    assert np.all(np.isfinite(result.gradient["z"]))
    result = bpcalc.grad("sum(c * softmax(z))", at="z=[1000,1000],c=[1,2]")
    assert_array(node_value(result, "softmax"), [0.5, 0.5])
    assert_array(result.gradient["z"], [-0.25, 0.25])  # s⊙(c − c·s) with s = [½, ½]


def test_log_softmax_of_large_logits():
    result = bpcalc.grad("sum(c * log_softmax(z))", at="z=[1000,0],c=[1,2]")
    assert_array(node_value(result, "log_softmax"), [0.0, -1000.0])
    assert math.isclose(result.value, -2000.0)
    assert_array(result.gradient["z"], [1 - 3, 2 - 0])  # c − softmax(z)·Σc = c − [3, 0]


@pytest.mark.parametrize("big", [1000.0, -1000.0, 1e300])
def test_logsumexp_of_large_equal_logits(big):
    result = bpcalc.grad("logsumexp(z)", at={"z": np.array([big, big])})
    assert result.value == pytest.approx(big + math.log(2), rel=1e-15, abs=1e-12)
    assert_array(result.gradient["z"], [0.5, 0.5])


def test_log_of_softmax_is_fused_and_finite():
    result = bpcalc.grad("sum(c * log(softmax(z)))", at="z=[1000,0],c=[1,2]")
    assert math.isclose(result.value, -2000.0)
    assert np.all(np.isfinite(result.gradient["z"]))
    assert_array(result.gradient["z"], [-2.0, 2.0])
    fused = [w for w in result.warnings if w.kind == "fused"]
    assert len(fused) == 1 and "log_softmax" in fused[0].message


def test_fused_notice_is_in_the_json():
    result = invoke("grad", "-sum(y * log(softmax(z)))", "--at", "z=[1000,0],y=[0,1]", "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert data["value"] == 1000
    assert [w["kind"] for w in data["warnings"]] == ["fused"]


def test_fusion_keeps_a_named_softmax():
    # README: named intermediates keep their names and can be asked for with --wrt;
    # s is used (by log), so no "assigned but not used" notice either
    z, y = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, 0.0])
    result = bpcalc.grad("s = softmax(z); L = -sum(y * log(s))", at={"z": z, "y": y}, wrt="s,z")
    assert not [w for w in result.warnings if w.kind == "unused"], [w.message for w in result.warnings]
    assert_array(result.gradient["s"], -y / softmax(z))  # ∂/∂s of −Σ y·log s
    assert_array(result.gradient["z"], softmax(z) - y)


@pytest.mark.parametrize(
    "z, y, value, grad_z",
    [
        ([1000, 0], [0, 1], 1000.0, [1.0, -1.0]),
        ([1000, 0], [1, 0], 0.0, [0.0, 0.0]),
        ([-1000, 1000], [1, 0], 2000.0, [-1.0, 1.0]),
        ([500, 500, -500], [0, 0, 1], 1000.0 + math.log(2), [0.5, 0.5, -1.0]),
    ],
)
def test_cross_entropy_at_extreme_logits(z, y, value, grad_z):
    result = bpcalc.grad("cross_entropy(z, y)", at={"z": z, "y": y})
    assert result.value == pytest.approx(value, rel=1e-15, abs=1e-12)
    assert_array(result.gradient["z"], grad_z, atol=1e-300)  # ŷ − y, with ŷ one-hot to float64
    assert np.all(np.isfinite(result.gradient["y"]))


@pytest.mark.parametrize(
    "expr, at, words",
    [
        ("sum(log(v))", "v=[1,-1]", ["log(v)", "[1]"]),
        ("sum(1/v)", "v=[1,0]", ["1/v", "division by zero", "[1]"]),
        ("sum(exp(v))", "v=[1,1000]", ["exp(v)", "overflow", "[1]"]),
    ],
)
def test_undefined_math_element_wise_is_a_math_error(expr, at, words):
    with pytest.raises(bpcalc.MathError) as caught:
        bpcalc.grad(expr, at=at)
    assert caught.value.exit_code == 3
    for word in words:
        assert word in str(caught.value)
    assert_clean_cli_error(invoke("grad", expr, "--at", at), 3)


# ================================================================ 6. array points


def test_parse_point_with_vectors():
    point = parse_point("w=[0.5,-0.3],phi=[1,2],y=1")
    assert list(point) == ["w", "phi", "y"]
    assert isinstance(point["w"], np.ndarray) and point["w"].dtype == np.float64
    assert_array(point["w"], [0.5, -0.3])
    assert_array(point["phi"], [1.0, 2.0])
    assert type(point["y"]) is float and point["y"] == 1.0


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("W=[[1,2],[3,4]]", "W", [[1, 2], [3, 4]]),
        ("W=[[1,2,3]]", "W", [[1, 2, 3]]),
        ("W=[[1],[2]]", "W", [[1], [2]]),
        ("T=[[[1,2],[3,4]],[[5,6],[7,8]]]", "T", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
        ("  w = [ 0.5 , -0.3 ] ", "w", [0.5, -0.3]),
        ("W = [ [1, 2] , [ 3,4 ] ]", "W", [[1, 2], [3, 4]]),
        ("v=[.5,1e-3,-2.5E+2,+3]", "v", [0.5, 1e-3, -250.0, 3.0]),
        ("v=[7]", "v", [7.0]),
    ],
)
def test_parse_point_with_matrices_and_whitespace(text, name, expected):
    point = parse_point(text + ",x=2")
    assert_array(point[name], expected)
    assert point["x"] == 2.0


@pytest.mark.parametrize(
    "mapping",
    [
        {"w": [0.5, -0.3], "W": [[1, 2], [3, 4]]},
        {"w": (0.5, -0.3), "W": ((1, 2), (3, 4))},
        {"w": np.array([0.5, -0.3]), "W": np.array([[1, 2], [3, 4]])},  # an int array becomes float64
        {"w": np.array([0.5, -0.3], dtype=np.float32).astype(float), "W": np.array([[1.0, 2.0], [3.0, 4.0]])},
    ],
)
def test_parse_point_from_a_mapping_of_arrays(mapping):
    point = parse_point(mapping)
    assert point["W"].dtype == np.float64
    assert_array(point["w"], [0.5, -0.3], rtol=1e-7)
    assert_array(point["W"], [[1, 2], [3, 4]])


@pytest.mark.parametrize("value", [np.float64(3.0), np.int64(3), np.float32(3.0), np.array(3.0)], ids=repr)
def test_numpy_numbers_are_numbers(value):
    # e.g. an index from np.argmax, or a number from an array: at={"i": np.argmax(p)}
    result = bpcalc.grad("x * 2", at={"x": value})
    assert result.value == 6.0


@pytest.mark.parametrize(
    "at",
    [
        "w=[[1,2],[3]]",
        "w=[]",
        "w=[[]]",
        "w=[1,a]",
        "w=[1,,2]",
        "w=[1,2",
        "w=[1,2]]",
        "w=[1 2]",
        "w=[1,]",
        "w=[nan,1]",
        "w=[1e999]",
        {"w": [[1, 2], [3]]},
        {"w": []},
        {"w": [["a", 1]]},
        {"w": [1, None]},
        {"w": [float("nan")]},
        {"w": np.array([1.0, np.inf])},
        {"w": np.zeros((2, 0))},
    ],
    ids=repr,
)
def test_malformed_arrays_are_point_errors(at):
    with pytest.raises(PointError) as caught:
        bpcalc.grad("sum(w)", at=at)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("at", ["w=[[1,2],[3]]", "w=[]", "w=[1,a]", "w=[1,2"])
def test_malformed_arrays_through_the_cli(at):
    stderr = assert_clean_cli_error(invoke("grad", "sum(w)", "--at", at), 2)
    assert "w" in stderr


def test_values_file_through_the_cli(tmp_path):
    path = write_json(tmp_path, "values.json", {"w": [0.5, -0.3], "phi": [1, 2], "y": 1})
    result = invoke("grad", HINGE_FORMS[0], "--values", path, "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert math.isclose(data["value"], HINGE_VALUE, rel_tol=1e-9)
    for name, expected in HINGE_GRADIENT.items():
        assert_array(data["gradient"][name], expected)


def test_values_file_combined_with_at(tmp_path):
    path = write_json(tmp_path, "values.json", {"w": [0.5, -0.3], "phi": [1, 2]})
    result = invoke("grad", HINGE_FORMS[0], "--values", path, "--at", "y=1", "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert math.isclose(data["value"], HINGE_VALUE, rel_tol=1e-9)
    assert_array(data["gradient"]["w"], HINGE_GRADIENT["w"])


def test_values_file_and_at_giving_one_name_twice(tmp_path):
    path = write_json(tmp_path, "values.json", {"w": [0.5, -0.3], "phi": [1, 2], "y": 1})
    stderr = assert_clean_cli_error(invoke("grad", HINGE_FORMS[0], "--values", path, "--at", "y=1"), 2)
    assert "y" in stderr and "twice" in stderr


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"w": [0.5, -0.3], ', ["not JSON"]),
        ("[1, 2]", ["object"]),
        ('"w"', ["object"]),
        ('{"w": [[1, 2], [3]]}', ["w"]),
        ('{"w": []}', ["w", "empty"]),
        ('{"w": {"x": 1}}', ["w"]),
        ('{"1w": [1, 2]}', ["1w"]),
    ],
    ids=["malformed", "a list", "a string", "ragged", "empty", "an object", "a bad name"],
)
def test_bad_values_file(tmp_path, content, words):
    path = tmp_path / "values.json"
    path.write_text(content, encoding="utf-8")
    stderr = assert_clean_cli_error(invoke("grad", "sum(w)", "--values", str(path)), 2)
    for word in words:
        assert word in stderr


def test_missing_values_file(tmp_path):
    stderr = assert_clean_cli_error(invoke("grad", "sum(w)", "--values", str(tmp_path / "nope.json")), 2)
    assert "nope.json" in stderr


# ================================================================ 7. array literals and indexing


def test_array_literal_stacks_numbers_and_passes_gradients_back():
    result = bpcalc.grad("sum(c * [x, 2*y])", at="x=1.5,y=-2,c=[3,4]")
    assert result.value == 3 * 1.5 + 4 * 2 * -2
    assert result.gradient["x"] == 3.0  # c[0]
    assert result.gradient["y"] == 8.0  # c[1] · 2
    assert type(result.gradient["x"]) is float and type(result.gradient["y"]) is float
    assert result.shapes[[n.op for n in result.graph.nodes].index("array")] == (2,)


def test_nested_array_literal_times_a_vector():
    v = np.array([1.5, -2.0])
    result = bpcalc.grad("sum([[1,2],[3,4]] @ v)", at={"v": v})
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert result.value == float(np.sum(M @ v))
    assert_array(result.gradient["v"], M.T @ np.ones(2))


def test_array_literal_of_vectors_gives_a_matrix():
    result = bpcalc.grad("sum(C * [u, 2*v])", at="u=[1,2,3],v=[4,5,6],C=[[1,2,3],[4,5,6]]")
    assert result.value == 1 + 4 + 9 + 2 * (16 + 25 + 36)
    assert_array(result.gradient["u"], [1, 2, 3])
    assert_array(result.gradient["v"], [8, 10, 12])


@pytest.mark.parametrize(
    "expr, name, value, gradient",
    [
        ("x[0]", "x", 10.0, [1, 0, 0]),
        ("x[2]", "x", 30.0, [0, 0, 1]),
        ("x[-1]", "x", 30.0, [0, 0, 1]),
        ("x[-3]", "x", 10.0, [1, 0, 0]),
        ("W[1, 0]", "W", 3.0, [[0, 0], [1, 0]]),
        ("W[-1, -2]", "W", 3.0, [[0, 0], [1, 0]]),
        ("W[0, 1] * W[1, 1]", "W", 8.0, [[0, 4], [0, 2]]),
        ("sum(W[1])", "W", 7.0, [[0, 0], [1, 1]]),
        ("x[0] * x[0] + x[1]", "x", 120.0, [20, 1, 0]),
        ("x[1 + 1]", "x", 30.0, [0, 0, 1]),
    ],
)
def test_indexing(expr, name, value, gradient):
    result = bpcalc.grad(expr, at="x=[10,20,30],W=[[1,2],[3,4]]")
    assert result.value == value
    assert_array(result.gradient[name], gradient)


def test_index_given_by_a_variable():
    result = bpcalc.grad("x[i] * 2", at="x=[10,20,30],i=1")
    assert result.value == 40.0
    assert_array(result.gradient["x"], [0, 2, 0])
    assert result.gradient["i"] == 0.0  # the index is locally constant


def test_index_given_by_a_variable_through_the_cli():
    result = invoke("grad", "x[i] * 2", "--at", "x=[10,20,30],i=1", "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert data["value"] == 40
    assert data["gradient"]["x"] == [0, 2, 0]
    assert data["gradient"]["i"] == 0


# ================================================================ 8. kinks element-wise


def test_relu_kink_warning_counts_the_elements():
    result = bpcalc.grad("sum(relu(z))", at="z=[0,1,-1,0]")
    assert_array(result.gradient["z"], [0, 1, 0, 0])  # relu'(0) = 0
    kinks = [w for w in result.warnings if w.kind == "kink"]
    assert len(kinks) == 1
    assert re.search(r"\b2 of (its |the )?4 elements\b", kinks[0].message), kinks[0].message


def test_no_kink_warning_away_from_kinks():
    result = bpcalc.grad("sum(relu(z))", at="z=[0.5,1,-1,-0.5]")
    assert not [w for w in result.warnings if w.kind == "kink"]


@pytest.mark.parametrize(
    "tie, grad_a, grad_b",
    [("indicator", [0, 1, 0, 0], [0, 0, 0, 1]), ("split", [0.5, 1, 0.5, 0], [0.5, 0, 0.5, 1])],
)
def test_max_ties_element_wise(tie, grad_a, grad_b):
    at = "a=[1,2,3,0],b=[1,0,3,5]"
    result = bpcalc.grad("sum(max(a, b))", at=at, tie=tie)
    assert_array(result.gradient["a"], grad_a)
    assert_array(result.gradient["b"], grad_b)
    kinks = [w for w in result.warnings if w.kind == "kink"]
    assert len(kinks) == 1 and re.search(r"\b2 of (its |the )?4 elements\b", kinks[0].message)
    cli = invoke("grad", "sum(max(a, b))", "--at", at, "--tie", tie, "--json")
    assert cli.exit_code == 0, cli.stderr
    data = strict_json(cli.stdout)
    assert data["gradient"] == {"a": grad_a, "b": grad_b}
    assert "kink" in cli.stderr


def test_max_with_a_broadcast_zero_splits_per_element():
    result = bpcalc.grad("sum(max(0, z))", at="z=[0,2,-1]", tie="split")
    assert_array(result.gradient["z"], [0.5, 1, 0])


# ================================================================ 9. output: table and JSON


def test_table_shows_shapes_and_small_arrays_as_nested_lists():
    text = to_text(bpcalc.grad("sum(W @ v)", at="W=[[0,1,2],[3,4,5]],v=[1,2,3]"), width=160)
    header = next(line for line in text.splitlines() if line.split()[:2] == ["node", "op"])
    assert "shape" in header.split()
    w_row = next(line for line in text.splitlines() if line.split()[:2] == ["W", "var"])
    assert re.search(r"2\s*[×x,]\s*3", w_row), w_row
    assert "[[0, 1, 2], [3, 4, 5]]" in w_row
    f_row = next(line for line in text.splitlines() if line.split()[:2] == ["f", "sum"])
    assert f_row.split()[-1] == "34"
    # gradients too: ∂f/∂W = δ·vᵀ with δ = [1, 1]
    assert "[[1, 2, 3], [1, 2, 3]]" in text
    assert "[3, 5, 7]" in text  # Wᵀ·δ


def test_table_shortens_large_arrays():
    text = to_text(bpcalc.grad("sum(v * v)", at={"v": np.arange(100.0)}), width=160)
    v_row = next(line for line in text.splitlines() if line.split()[:2] == ["v", "var"])
    assert "…" in v_row
    assert "100" in v_row  # its shape
    assert "99" not in v_row  # not every element
    assert len(v_row) < 160


def test_json_carries_shapes_and_nested_lists():
    result = invoke("grad", "sum(W @ a + b)", "--at", "W=[[1,2],[3,4],[5,6]],a=[1,-1],b=[0.5,0,1]", "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    nodes = {node["label"]: node for node in data["nodes"]}
    assert nodes["W"]["shape"] == [3, 2] and nodes["a"]["shape"] == [2] and nodes["f"]["shape"] == []
    assert nodes["W"]["value"] == [[1, 2], [3, 4], [5, 6]]
    assert data["at"]["W"] == [[1, 2], [3, 4], [5, 6]]
    assert data["gradient"]["W"] == [[1, -1], [1, -1], [1, -1]]  # δ·aᵀ with δ = 1
    assert data["gradient"]["a"] == [9, 12]  # Wᵀ·1
    assert data["gradient"]["b"] == [1, 1, 1]
    for node in data["nodes"]:
        assert isinstance(node["shape"], list)
        assert np.shape(node["value"]) == tuple(node["shape"])
        if node["grad"] is not None:
            assert np.shape(node["grad"]) == tuple(node["shape"])
    ops = {node["id"]: node["op"] for node in data["nodes"]}
    for step in data["steps"]:
        shape = tuple(data["nodes"][step["input"]]["shape"])
        assert np.shape(step["contribution"]) == shape
        if ops[step["node"]] in ARRAY_OPERATIONS:
            assert step["local"] is None  # an array op's vjp: no local derivative on its own
    matmul_steps = [s for s in data["steps"] if ops[s["node"]] == "matmul"]
    assert len(matmul_steps) == 2 and all(isinstance(s["contribution"], list) for s in matmul_steps)


# one expression per array op, for the renderers
EVERY_ARRAY_OP = [
    ("array", "sum(c * [x, 2*y])", "x=1,y=2,c=[3,4]"),
    ("index", "x[i] + W[1, 0]", "x=[1,2,3],i=2,W=[[1,2],[3,4]]"),
    ("matmul", "sum(W @ v)", "W=[[1,2],[3,4]],v=[1,-1]"),
    ("dot", "dot(u, v)", "u=[1,2],v=[3,4]"),
    ("outer", "sum(outer(u, v))", "u=[1,2],v=[3,4,5]"),
    ("transpose", "sum(transpose(W) @ v)", "W=[[1,2],[3,4]],v=[1,-1]"),
    ("sum", "sum(u)", "u=[1,2]"),
    ("mean", "mean(u)", "u=[1,2]"),
    ("softmax", "sum(c * softmax(z))", "z=[1,2],c=[1,-1]"),
    ("log_softmax", "sum(c * log_softmax(z))", "z=[1,2],c=[1,-1]"),
    ("logsumexp", "logsumexp(z)", "z=[1,2]"),
    ("cross_entropy", "cross_entropy(z, y)", "z=[1,2],y=[0,1]"),
]


def test_every_array_op_has_a_rendering_case():
    assert {op for op, _, _ in EVERY_ARRAY_OP} == set(ARRAY_OPERATIONS)


@pytest.mark.parametrize("expr, at", [e[1:] for e in EVERY_ARRAY_OP], ids=[e[0] for e in EVERY_ARRAY_OP])
def test_every_array_op_renders_as_json_and_table(expr, at):
    result = bpcalc.grad(expr, at=at)
    data = strict_json(dumps(result))
    assert data["value"] == pytest.approx(result.value)
    for node in data["nodes"]:
        if node["op"] in OPERATIONS:
            assert len(node["formula"]) == len(node["inputs"])
    text = to_text(result, width=160)
    assert "shape" in text
    cli = invoke("grad", expr, "--at", at, "--json")
    assert cli.exit_code == 0, cli.stderr
    assert strict_json(cli.stdout)["schema"] == "bpcalc.grad/1"
    cli = invoke("grad", expr, "--at", at)
    assert cli.exit_code == 0, cli.stderr


def test_json_has_no_nan_and_no_negative_zero():
    result = bpcalc.grad("sum(c * relu(z))", at="z=[-1,2],c=[1,-1]")
    text = dumps(result)
    data = strict_json(text)
    assert data["gradient"]["z"] == [0, -1]
    assert "-0.0" not in text


# ================================================================ 10. NumPy only when an array appears


def _imported_modules(*args: str) -> set[str]:
    proc = bpcalc_process(*args, python=("-X", "importtime"))
    assert proc.returncode == 0, proc.stderr
    modules = set()
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+\s+\|\s+\d+\s+\|\s+(\S.*)$", line)
        if match:
            modules.add(match.group(1).strip())
    assert modules, "no -X importtime log on stderr"
    return modules


def test_scalar_expressions_do_not_import_numpy():
    modules = _imported_modules("grad", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--json")
    assert not {m for m in modules if m == "numpy" or m.startswith("numpy.")}


def test_array_expressions_import_numpy():
    modules = _imported_modules("grad", "sum(w)", "--at", "w=[1,2]", "--json")
    assert "numpy" in modules


# ================================================================ 11. large arrays


def test_large_matrix_product_and_its_gradients():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(1000, 1000)), rng.normal(size=(1000, 1000))
    result = bpcalc.grad("sum(A @ B)", at={"A": A, "B": B})
    ones = np.ones((1000, 1000))
    assert math.isclose(result.value, float(A.sum(axis=0) @ B.sum(axis=1)), rel_tol=1e-9, abs_tol=1e-6)
    assert_array(result.gradient["A"], ones @ B.T, rtol=1e-9, atol=1e-9)
    assert_array(result.gradient["B"], A.T @ ones, rtol=1e-9, atol=1e-9)


def test_mean_of_huge_numbers_does_not_overflow():
    # mean([1e308, 1e308]) = 1e308, and ∂mean/∂a_i = 1/n = 1/2, though the sum overflows.
    result = bpcalc.grad("mean(a)", at="a=[1e308,1e308]")
    assert result.value == 1e308
    assert_array(result.gradient["a"], [0.5, 0.5])
    assert bpcalc.grad("mean(a)", at="a=[1,2,4]").value == 7 / 3  # the usual sum/n when it fits
