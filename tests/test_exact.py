"""Tests for bpcalc/exact.py: both passes in fractions.Fraction, against Fraction arithmetic written out by hand."""
from __future__ import annotations

from fractions import Fraction as F

import pytest

from bpcalc import exact
from bpcalc.errors import ExitCode, InputError, MathError, PointError
from bpcalc.ops import MAX_BITS, OPERATIONS, SCALAR_OPERATIONS
from bpcalc.parse import parse


def run(expr: str, at: str, **options):
    return exact.run(parse(expr), at, **options)


def test_which_ops_keep_rationals():
    keep = {name for name, op in OPERATIONS.items() if op.exact is not None}
    assert keep == {"add", "sub", "mul", "div", "pow", "neg", "id", "max", "min", "abs", "relu"}
    assert keep <= set(SCALAR_OPERATIONS)


def test_decimals_and_fractions_are_the_exact_numbers_they_write():
    assert exact.fraction("0.1") == F(1, 10) and exact.fraction("1/3") == F(1, 3)
    assert exact.fraction("-2.5e-3") == F(-1, 400) and exact.fraction(".5") == F(1, 2)
    assert exact.parse_point("x=1/3,y=0.25") == {"x": F(1, 3), "y": F(1, 4)}
    with pytest.raises(PointError):
        exact.fraction("1e-99999999")  # a hundred million digits: refused, not computed
    with pytest.raises(PointError):
        exact.parse_point("x=1/0")


def test_headline_at_a_rational_point():
    # (x+y)*z at x = 1/3, y = 1/4, z = -4: q = 7/12, f = -7/3; ∂f/∂x = ∂f/∂y = z, ∂f/∂z = x + y
    r = run("(x+y)*z", "x=1/3,y=0.25,z=-4")
    assert r.value == F(-7, 3) and type(r.value) is F
    assert r.gradient == {"x": F(-4), "y": F(-4), "z": F(7, 12)}
    assert all(type(v) is F for v in r.values)
    assert all(type(s.contribution) is F and type(s.grad) is F for s in r.steps)


def test_worked_example_2_with_the_intermediate():
    r = run("q = x + y; f = q * z", "x=-2,y=5,z=-4", wrt=["q", "x"])
    assert r.values[r.graph.names["q"]] == F(3) and r.gradient == {"q": F(-4), "x": F(-4)}


def test_worked_examples_4_and_5_hinge():
    r = run("max(0, 1 - w*phi*y)", "w=0.5,phi=1,y=1")
    assert r.value == F(1, 2) and r.gradient == {"w": F(-1), "phi": F(-1, 2), "y": F(-1, 2)}
    r = run("max(0, 1 - w*phi*y)", "w=2,phi=1,y=1")
    assert r.value == 0 and r.gradient == {"w": 0, "phi": 0, "y": 0}


def test_worked_example_6_hinge_with_two_features():
    w1, w2, phi1, phi2, y = F(1, 2), F(-3, 10), F(1), F(2), F(1)
    margin = (w1 * phi1 + w2 * phi2) * y  # -1/10
    r = run("max(0, 1 - (w1*phi1 + w2*phi2)*y)", "w1=0.5,w2=-0.3,phi1=1,phi2=2,y=1")
    assert r.value == 1 - margin == F(11, 10)
    expected = {"w1": -phi1 * y, "w2": -phi2 * y, "phi1": -w1 * y, "phi2": -w2 * y, "y": -(w1 * phi1 + w2 * phi2)}
    assert r.gradient == expected


def test_worked_example_7_polynomial():
    r = run("a*x^2 + b*y + c", "a=3,x=2,b=4,y=1,c=5")
    assert r.value == 21 and r.gradient == {"a": 4, "x": 12, "b": 1, "y": 4, "c": 1}


def test_worked_example_9_linear_layer_with_squared_error():
    x1, x2, x3 = F(1), F(2), F(-1)
    w11, w21, w31, w12, w22, w32 = F("0.1"), F("0.4"), F("-0.5"), F("-0.2"), F("0.3"), F("0.6")
    t1, t2 = F(1), F(0)
    y1 = x1 * w11 + x2 * w21 + x3 * w31  # 1.4
    y2 = x1 * w12 + x2 * w22 + x3 * w32  # -0.2
    d1, d2 = 2 * (y1 - t1), 2 * (y2 - t2)  # ∂L/∂y1, ∂L/∂y2
    r = run(
        "y1 = x1*w11 + x2*w21 + x3*w31; y2 = x1*w12 + x2*w22 + x3*w32; L = (y1 - t1)^2 + (y2 - t2)^2",
        "x1=1,x2=2,x3=-1,w11=0.1,w21=0.4,w31=-0.5,w12=-0.2,w22=0.3,w32=0.6,t1=1,t2=0",
    )
    assert r.value == (y1 - t1) ** 2 + (y2 - t2) ** 2 == F(1, 5)
    assert r.gradient == {
        "x1": d1 * w11 + d2 * w12, "x2": d1 * w21 + d2 * w22, "x3": d1 * w31 + d2 * w32,
        "w11": d1 * x1, "w21": d1 * x2, "w31": d1 * x3, "w12": d2 * x1, "w22": d2 * x2, "w32": d2 * x3,
        "t1": -d1, "t2": -d2,
    }
    assert r.gradient["x1"] == F(4, 25)  # 0.16, as the worked example says


def test_worked_example_11_fan_out():
    r = run("x*x + x", "x=1/3")
    assert r.value == F(1, 9) + F(1, 3) and r.gradient == {"x": 2 * F(1, 3) + 1}


def test_division_abs_relu_and_whole_powers():
    x, y = F(1, 3), F(-1, 7)
    r = run("x^2/y - relu(x - y) + abs(y) + x^-2", "x=1/3,y=-1/7")
    assert r.value == x**2 / y - (x - y) + abs(y) + x**-2
    assert r.gradient == {"x": 2 * x / y - 1 - 2 * x**-3, "y": -(x**2) / y**2 + 1 - 1}


def test_a_tie_under_split_gives_exactly_one_half():
    r = run("max(x, y)", "x=1/2,y=0.5", tie="split")
    assert r.gradient == {"x": F(1, 2), "y": F(1, 2)}
    assert [w.kind for w in r.warnings] == ["kink"]


def test_a_kink_on_fractions_is_named_as_a_number_not_an_array():
    r = run("max(x, y) + relu(z)", "x=1/3,y=1/3,z=0")
    messages = sorted(w.message for w in r.warnings)
    assert len(messages) == 2
    assert messages[0].startswith("n1 = max(x, y) is at a kink (its inputs tie at 1/3; ")
    assert messages[1].startswith("n2 = relu(z) is at a kink (its input is 0; ")
    assert not any("element" in m for m in messages)


def test_ops_that_leave_the_rationals_are_named_exit_2():
    for expr in ("exp(x)", "x^0.5", "sigmoid(x) + x", "x^y"):
        with pytest.raises(InputError) as caught:
            run(expr, "x=4,y=2")
        assert caught.value.exit_code == ExitCode.BAD_INPUT and "node" in str(caught.value), expr
    with pytest.raises(InputError, match="pi"):
        run("pi*x", "x=1")
    with pytest.raises(InputError, match="arrays"):
        run("sum([x, x])", "x=1")


def test_sizes_are_bounded_not_slow():
    big = run("(x+1/3)^1000", "x=1/2")  # (5/6)^1000: about 2600 bits, within the bound
    assert big.value == F(5, 6) ** 1000 and big.gradient["x"] == 1000 * F(5, 6) ** 999
    with pytest.raises(InputError, match=str(MAX_BITS)):
        run("(x+1/3)^100000", "x=1/2")  # refused before computing
    with pytest.raises(InputError, match="bits"):
        run("*".join(["x"] * 3000), "x=12345678901/3")  # the products grow past the bound


def test_division_by_zero_is_undefined_math():
    with pytest.raises(MathError):
        run("x/(y-y)", "x=1,y=2")


def test_showing_fractions():
    assert exact.show(F(7, 12)) == "7/12" and exact.show(F(-3)) == "-3"
    assert exact.tex(F(-7, 12)) == "-\\frac{7}{12}" and exact.tex(F(4)) == "4"
