"""Tests for bpcalc/forward_mode.py: forward mode's tangents against hand-worked traces and reverse mode."""
from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpcalc
from bpcalc.errors import InputError
from bpcalc.forward_mode import trace
from bpcalc.render.forward import tables, to_json

SURVEY = "log(x1) + x1*x2 - sin(x2)"  # Baydin et al. (2018), "Automatic Differentiation in Machine Learning: a Survey"


def test_survey_example_forward_trace_as_in_the_paper():
    # The paper's forward tangent trace (its Table 2) at (x1, x2) = (2, 5), seeded at x1,
    # written out from the formulas: v1 = ln x1, v2 = x1·x2, v3 = sin x2, v4 = v1 + v2, y = v4 - v3.
    t = trace(bpcalc.grad(SURVEY, at="x1=2,x2=5"))
    x1 = t.tangents["x1"]
    assert x1 == [1.0, 1 / 2, 0.0, 5.0, 1 / 2 + 5, 0.0, 5.5]  # nodes: x1, ln x1, x2, x1*x2, +, sin x2, y
    x2 = t.tangents["x2"]
    assert x2[3] == 2.0 and x2[5] == pytest.approx(math.cos(5), rel=1e-12)
    assert t.result.value == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-12)  # 11.652
    assert t.gradient["x1"] == pytest.approx(1 / 2 + 5, rel=1e-12)  # 5.5
    assert t.gradient["x2"] == pytest.approx(2 - math.cos(5), rel=1e-12)  # 1.716
    assert round(t.result.value, 3) == 11.652 and round(t.gradient["x2"], 3) == 1.716


def test_survey_example_reverse_mode_as_in_the_paper():
    result = bpcalc.grad(SURVEY, at="x1=2,x2=5")
    assert result.value == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-12)
    assert result.gradient["x1"] == pytest.approx(5.5, rel=1e-12)
    assert result.gradient["x2"] == pytest.approx(2 - math.cos(5), rel=1e-12)


def test_the_trace_table_shows_each_tangent_as_a_sum_of_local_times_tangent():
    t = trace(bpcalc.grad(SURVEY, at="x1=2,x2=5"))
    first = tables(t, width=200)[0]
    assert first.headers[-2:] == ("v̇ = ∂node/∂x1", "v̇ = ∂node/∂x2")
    by_label = {row[0]: row for row in first.rows if row is not None}
    assert by_label["x1"][-2:] == ("1 (seed)", "0")
    assert by_label["n1"][-2] == "0.5 × 1 = 0.5"  # ∂ln(x1)/∂x1 = 1/x1 = 0.5, times ẋ1 = 1
    assert by_label["f"][-1] == "1 × 2 - 1 × 0.283662 = 1.71634"  # v̇4 − v̇3, the paper's last row


def test_seeds_that_do_not_fit_the_width_get_a_table_each():
    t = trace(bpcalc.grad("a*b*c", at="a=1,b=2,c=3"))
    assert len(tables(t, width=200)) == 2  # the trace with a column per seed, and the summary
    found = tables(t, width=60)
    assert [tb.headers[-1] for tb in found[:-1]] == ["v̇ = ∂node/∂a", "v̇ = ∂node/∂b", "v̇ = ∂node/∂c"]


def test_json_adds_the_mode_and_the_tangents_in_node_order():
    data = to_json(trace(bpcalc.grad("q = x + y; f = q * z", at="x=-2,y=5,z=-4", wrt=["q", "x"])))
    assert data["mode"] == "forward"
    assert data["tangents"] == {"q": [0, 0, 1, 0, -4], "x": [1, 0, 1, 0, -4]}
    assert data["gradient"] == {"q": -4, "x": -4}


def test_arrays_are_refused():
    with pytest.raises(InputError, match="numbers"):
        trace(bpcalc.grad("sum(w)", at="w=[1,2]"))


# ---------------------------------------------------------------- forward = reverse on random expressions

LEAVES = st.sampled_from(["x", "y", "z", "0.5", "3"])
UNARY = ["sin({})", "cos({})", "tanh({})", "sigmoid({})", "softplus({})", "exp(tanh({}))", "-({})", "({})^2",
         "abs({})", "relu({})", "log(1 + ({})^2)", "sqrt(2 + sin({}))"]
BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (2 + cos({}))", "max({}, {})", "min({}, {})"]


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: t[0].format(t[1], t[2])),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=10)
VALUES = st.floats(min_value=-3, max_value=3, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(EXPRESSIONS, VALUES, VALUES, VALUES)
def test_forward_mode_equals_reverse_mode(expr, x, y, z):
    result = bpcalc.grad(expr, at={"x": x, "y": y, "z": z})
    t = trace(result)
    assert set(t.gradient) == set(result.gradient)
    for name, reverse in result.gradient.items():
        assert math.isclose(t.gradient[name], reverse, rel_tol=1e-12, abs_tol=1e-12), (expr, name)


# ---------------------------------------------------------------- golden: the survey example in both modes

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_survey_example_golden_tables(mode):
    from bpcalc.render.table import tables_to_text, to_text

    result = bpcalc.grad(SURVEY, at="x1=2,x2=5")
    text = tables_to_text(tables(trace(result), width=130), 130) if mode == "forward" else to_text(result)
    path = GOLDEN / f"survey_{mode}.txt"
    if os.environ.get("BPCALC_REGEN_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
