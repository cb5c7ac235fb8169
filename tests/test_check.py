"""Tests for bpcalc/check.py and `bpcalc check EXPR`: the answer notation, tolerances, diagnoses, the report."""
from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bpcalc
from bpcalc.check import (
    ATOL,
    RTOL,
    Tolerance,
    agrees,
    answer_items,
    answer_value,
    check,
    resolve,
    rounded,
)
from bpcalc.cli import app
from bpcalc.errors import AnswerError, ExitCode, InputError, MathError
from bpcalc.parse import parse
from bpcalc.render.check_json import check_dict
from bpcalc.render.check_table import check_report, to_text

runner = CliRunner()

HEADLINE = "q = x + y; f = q * z"
HEADLINE_AT = "x=-2,y=5,z=-4"
HEADLINE_ANSWERS = "q=3, f=-12, df/dq=-4, df/dx=-4, df/dy=-4, df/dz=3"
NEURON = "-y*log(sigmoid(w*x))"  # worked example 3
NEURON_AT = "x=0.5,w=0.8,y=1"
HINGE = "max(0, 1 - w*phi*y)"
LAYER = "y1 = x1*w11 + x2*w21 + x3*w31; y2 = x1*w12 + x2*w22 + x3*w32; L = (y1 - t1)^2 + (y2 - t2)^2"  # example 9
LAYER_AT = "x1=1, x2=2, x3=-1, w11=0.1, w21=0.4, w31=-0.5, w12=-0.2, w22=0.3, w32=0.6, t1=1, t2=0"
TANH = "h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); L = (o - t)^2"  # example 10
TANH_AT = "x=1.5,w1=0.7,b1=-0.2,w2=-1.3,b2=0.4,t=1"


def row(result, label):
    return next(r for r in result.rows if r.ask.label == label)


def kinds(result, label):
    return [d.kind for d in row(result, label).diagnoses]


# ---------------------------------------------------------------- the notation


@pytest.mark.parametrize(
    "key, kind, name",
    [
        ("q", "value", "q"),
        ("f", "value", "f"),
        ("x", "value", "x"),
        ("df/dq", "grad", "q"),
        ("d/dq", "grad", "q"),
        ("∂f/∂x", "grad", "x"),
        ("∂/∂z", "grad", "z"),
        (" df / dx ", "grad", "x"),
        ("df/df", "grad", "f"),
    ],
)
def test_keys(key, kind, name):
    graph = parse(HEADLINE)
    ask = resolve(key, graph)
    assert (ask.kind, ask.name) == (kind, name)
    assert ask.node == graph.names.get(name, graph.output)


def test_key_and_label():
    ask = resolve("d/dq", parse(HEADLINE))
    assert ask.key == "df/dq" and ask.label == "∂f/∂q"
    assert resolve("q", parse(HEADLINE)).key == "q"


def test_the_output_of_an_unnamed_expression_is_f():
    graph = parse("(x+y)*z")
    assert resolve("f", graph).node == graph.output
    assert resolve("df/dx", graph).name == "x"


def test_a_gradient_of_another_output_is_an_error():
    with pytest.raises(AnswerError, match="the output is called 'L', not 'f'") as info:
        resolve("df/dx", parse(TANH))
    assert "dL/dx" in info.value.hint


def test_a_wrong_output_and_a_wrong_case_get_one_hint_that_works():
    # issue 10 item 11: dL/dW for w*x (output f) used to be told "write df/dW", which fails again.
    graph = parse("w*x")
    with pytest.raises(AnswerError, match="the output is called 'f', not 'L'") as info:
        resolve("dL/dW", graph)
    assert "write df/dw (or d/dw)" in info.value.hint
    assert resolve("df/dw", graph).name == "w"  # what the hint says is accepted
    with pytest.raises(AnswerError, match="no variable or named value 'qq'") as info:
        resolve("dL/dqq", graph)  # no name to suggest: the name's own error, not "write df/dqq"
    with pytest.raises(AnswerError, match="unnamed sub-expression 'log[(]p[)]'") as info:
        resolve("dL/dn1", parse("log(p)*x"))
    assert "then answer df/d" in info.value.hint


def test_an_unknown_name_suggests_the_nearest():
    with pytest.raises(AnswerError, match="no variable or named value 'qq'") as info:
        resolve("df/dqq", parse(HEADLINE))
    assert "did you mean 'q'" in info.value.hint


def test_a_key_that_is_no_name():
    with pytest.raises(AnswerError, match="neither a name"):
        resolve("2q", parse(HEADLINE))


@pytest.mark.parametrize(
    "text, value",
    [
        ("3", 3.0),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("1e-3", 1e-3),
        ("-1/3", -1 / 3),
        ("1 / 4", 0.25),
        ("−4", -4.0),
        (7, 7.0),
        (2.5, 2.5),
    ],
)
def test_answer_values(text, value):
    assert answer_value(text, item="q") == value


@pytest.mark.parametrize("text", ["abc", "1/0", "", "3x", True, None, "nan", "inf", float("nan"), {"a": 1}])
def test_answer_values_that_are_not_numbers(text):
    with pytest.raises(AnswerError):
        answer_value(text, item="q")


def test_items_from_the_notation():
    assert answer_items("q=3, f=-12; df/dq=-4\n d/dx = -1/2") == [
        ("q", "3"),
        ("f", "-12"),
        ("df/dq", "-4"),
        ("d/dx", "-1/2"),
    ]


@pytest.mark.parametrize("text", ["q", "q=", "=3", "q=3, f"])
def test_malformed_items(text):
    with pytest.raises(AnswerError, match="not of the form name=number"):
        answer_items(text)


def test_items_from_a_mapping_with_a_grad_table():
    items = answer_items({"student": "ada", "q": 3, "df/dz": 3, "grad": {"x": -4, "q": -4}})
    assert items == [("q", 3), ("df/dz", 3), ("d/dx", -4), ("d/dq", -4)]


def test_a_mapping_with_problem_tables_needs_an_assignment():
    with pytest.raises(AnswerError, match="table of answers") as info:
        answer_items({"1": {"q": 3}})
    assert "--assignment" in info.value.hint


def test_an_answer_given_twice():
    with pytest.raises(AnswerError, match="answered twice"):
        check(HEADLINE, HEADLINE_AT, "df/dx=-4, ∂f/∂x=-4")


def test_no_answers():
    with pytest.raises(AnswerError, match="no answers"):
        check(HEADLINE, HEADLINE_AT, "")


# ---------------------------------------------------------------- tolerance


def test_the_defaults_suit_hand_computed_answers():
    assert (RTOL, ATOL) == (1e-2, 1e-3)
    result = check(NEURON, NEURON_AT, "f=0.513, df/dw=-0.2007, df/dx=-0.32, df/dy=0.51")
    assert result.ok, [(r.ask.label, r.given, r.right) for r in result.rows if not r.ok]


def test_the_defaults_reject_a_rounding_too_coarse():
    result = check(NEURON, NEURON_AT, "f=0.5, df/dw=-0.2")
    assert row(result, "f").verdict == "wrong"  # 2.5 % off
    assert row(result, "∂f/∂w").verdict == "right"  # 0.3 % off


@pytest.mark.parametrize(
    "given, right, rtol, atol, ok",
    [
        (101.0, 100.0, 0.01, 0.0, True),  # exactly at the edge: inclusive
        (101.0000001, 100.0, 0.01, 0.0, False),
        (99.0, 100.0, 0.01, 0.0, True),
        (101.0005, 100.0, 0.01, 0.001, True),
        (101.002, 100.0, 0.01, 0.001, False),
        (0.001, 0.0, 0.01, 0.001, True),  # near zero the absolute part decides
        (0.0011, 0.0, 0.01, 0.001, False),
        (0.0, 1e-4, 0.01, 0.001, True),
        (-1.0, 1.0, 0.01, 0.001, False),
        (5.0, 5.0, 0.0, 0.0, True),  # zero tolerance: equal only
        (5.000000001, 5.0, 0.0, 0.0, False),
    ],
)
def test_rtol_atol_edges(given, right, rtol, atol, ok):
    assert agrees(given, right, Tolerance(rtol, atol)) is ok


@pytest.mark.parametrize(
    "given, right, places, ok",
    [
        (0.12, 0.125, 2, True),  # at an exact half either neighbour is a rounding of the right value
        (0.13, 0.125, 2, True),
        (0.11, 0.125, 2, False),
        (0.14, 0.125, 2, False),
        (-0.13, -0.125, 2, True),
        (-0.12, -0.125, 2, True),
        (0.6, 0.5987, 2, True),
        (0.60, 0.598687, 2, True),
        (0.59, 0.5987, 2, False),
        (0.5987, 0.5987, 2, True),  # more digits than asked: rounded first
        (0.595, 0.5987, 2, True),  # 0.595 rounds to 0.60
        (0.1251, 0.1249, 2, False),  # 0.13 against 0.12
        (0.1201, 0.1249, 2, True),
        (2.68, 2.675, 2, True),  # 2.675 is 2.67499999... in binary: the decimal form decides
        (2.67, 2.675, 2, True),
        (2.675, 2.68, 2, True),  # the given 2.675 rounds half up to 2.68
        (2.0, 2.5, 0, True),
        (3.0, 2.5, 0, True),
        (4.0, 2.5, 0, False),
        (-12.0, -12.0, 0, True),
        (1234567.891, 1234567.89, 2, True),
        (1234567.9, 1234567.89, 2, False),
    ],
)
def test_places_edges(given, right, places, ok):
    assert agrees(given, right, Tolerance(places=places)) is ok


def test_rounded_is_half_up_on_the_decimal_form():
    assert rounded(2.675, 2) == 2.68
    assert rounded(-0.125, 2) == -0.13
    assert rounded(0.5, 0) == 1.0
    assert rounded(1e300, 2) == 1e300


def test_places_in_a_check():
    result = check(NEURON, NEURON_AT, "f=0.51, df/dw=-0.21, df/dx=-0.32", tolerance=Tolerance(places=2))
    verdicts = {r.ask.label: r.verdict for r in result.rows}
    assert verdicts == {"f": "right", "∂f/∂w": "wrong", "∂f/∂x": "right"}  # ∂f/∂w = -0.2007 rounds to -0.20


@pytest.mark.parametrize(
    "kwargs", [{"rtol": -1}, {"atol": float("inf")}, {"places": -1}, {"places": 13}, {"rtol": "x"}]
)
def test_bad_tolerances(kwargs):
    with pytest.raises(InputError):
        Tolerance(**kwargs)


def test_the_tolerance_describes_itself():
    assert Tolerance().describe() == "|given − right| ≤ 0.001 + 0.01·|right|"
    assert Tolerance(places=2).describe() == "equal after rounding to 2 decimal places"
    assert Tolerance(places=2).as_dict() == {"places": 2}


def test_arrays_compare_element_by_element_through_the_same_helper():
    np = pytest.importorskip("numpy")
    assert agrees([1.0, 2.0], np.array([1.0, 2.001]), Tolerance())
    assert not agrees([1.0, 2.5], np.array([1.0, 2.0]), Tolerance())
    assert not agrees([1.0, 2.0, 3.0], np.array([1.0, 2.0]), Tolerance())  # shapes differ
    assert not agrees(1.0, np.array([1.0, 1.0]), Tolerance())
    assert answer_value([1, 2.5], item="w").tolist() == [1.0, 2.5]
    with pytest.raises(AnswerError):
        answer_value([1, "a"], item="w")


# ---------------------------------------------------------------- the report


def test_all_right_in_backprop_order():
    result = check(HEADLINE, HEADLINE_AT, "df/dx=-4, df/dz=3, q=3, f=-12, df/dy=-4, df/dq=-4")
    assert result.ok
    # values in forward order, then gradients from the output back (z is visited before q)
    assert [r.ask.label for r in result.rows] == ["q", "f", "∂f/∂z", "∂f/∂q", "∂f/∂y", "∂f/∂x"]
    assert result.root is None
    assert result.count("right") == 6


def test_right_values_come_from_the_engine():
    result = check(TANH, TANH_AT, "h=0, o=0, L=0, dL/dh=0, dL/dx=0, dL/dt=0")
    expected = bpcalc.grad(TANH, TANH_AT, wrt="h,x,t")
    assert row(result, "∂L/∂h").right == expected.gradient["h"]
    assert row(result, "∂L/∂t").right == pytest.approx(1.24416194751929, rel=1e-12)
    assert row(result, "L").right == pytest.approx(0.386984737913751, rel=1e-12)


def test_a_gradient_blocked_by_a_max_is_0():
    result = check("max(x, 5) + y", "x=1,y=2", "df/dy=1, df/dx=0")
    assert result.ok


def test_the_first_wrong_gradient_is_the_root():
    result = check(HEADLINE, HEADLINE_AT, "q=3, f=-12, df/dz=3, df/dq=4, df/dx=4, df/dy=5")
    assert [r.root for r in result.rows] == [False, False, False, True, False, False]
    assert result.root.ask.label == "∂f/∂q"
    assert labels(result.root.explains) == ["∂f/∂x"]  # ∂f/∂y = 5 is a number of its own


def labels(asks):
    return [a.label for a in asks]


@pytest.mark.parametrize("expr", ["f = max(0, 1 - y*w*phi)", HINGE])
def test_independent_kink_answers_have_no_root(expr):
    # The hinge at margin exactly 1 (worked example 4 with w = phi = y = 1): the indicator rule
    # gives 0 to every gradient; the rule [a ≥ b] gives -phi*y, -w*y, -w*phi = -1 each. Each row
    # is its own kink mistake at max: none follows from another, so none is a root.
    result = check(expr, "w=1,phi=1,y=1", "f=0, df/dw=-1, df/dphi=-1, df/dy=-1")
    assert [r.verdict for r in result.rows] == ["right", "wrong", "wrong", "wrong"]
    assert all(kinds(result, label) == ["kink"] for label in ("∂f/∂w", "∂f/∂phi", "∂f/∂y"))
    assert result.roots == [] and result.root is None
    text = to_text(check_report(result), width=120)
    assert "root" not in text
    assert "1 of 4 right, 3 wrong.\n" in text


def test_swapped_locals_the_root_is_the_answer_the_others_follow_from():
    # f = q*z swapped: ∂f/∂z taken as z = -4 and ∂f/∂q as q = 3; then ∂f/∂x = ∂f/∂y = 3·1 follow
    # from ∂f/∂q = 3, not from ∂f/∂z (z feeds nothing below it).
    result = check(HEADLINE, HEADLINE_AT, "df/dz=-4, df/dq=3, df/dx=3, df/dy=3")
    assert kinds(result, "∂f/∂z") == ["swap"] and kinds(result, "∂f/∂q") == ["swap"]
    assert labels(r.ask for r in result.roots) == ["∂f/∂q"]
    assert labels(row(result, "∂f/∂q").explains) == ["∂f/∂y", "∂f/∂x"]
    assert not row(result, "∂f/∂z").root and row(result, "∂f/∂z").explains == []


def test_swapped_locals_without_a_named_product_input_have_no_root():
    # (x+y)*z: ∂f/∂x and ∂f/∂y are 3·1 each, from the unnamed x+y; every wrong row is the swap itself
    result = check("(x+y)*z", HEADLINE_AT, "df/dz=-4, df/dx=3, df/dy=3")
    assert all(kinds(result, label) == ["swap"] for label in ("∂f/∂z", "∂f/∂x", "∂f/∂y"))
    assert result.roots == []


def test_a_chain_after_an_independent_mistake():
    # ∂f/∂z = -4 (swapped) comes first but nothing depends on it; ∂f/∂q = 4 (a sign lost:
    # z = -4 taken as 4) carries to ∂f/∂x = ∂f/∂y = 4·1.
    result = check(HEADLINE, HEADLINE_AT, "df/dz=-4, df/dq=4, df/dx=4, df/dy=4")
    assert labels(r.ask for r in result.roots) == ["∂f/∂q"]
    assert labels(result.root.explains) == ["∂f/∂y", "∂f/∂x"]
    text = to_text(check_report(result), width=120)
    assert "∂f/∂q is the likely root of the errors after it." in text
    assert "The likely root of the errors after it: ∂f/∂y and ∂f/∂x follow from it." in text


def test_a_deeper_chain_has_one_root():
    # p = x*y = 6, q = p + 1 = 7, f = q*z: ∂f/∂q = z = -4, ∂f/∂p = -4, ∂f/∂x = -4·3, ∂f/∂y = -4·2.
    # With ∂f/∂q = 4 every later answer follows: ∂f/∂p = 4, ∂f/∂y = 4·2 = 8, ∂f/∂x = 4·3 = 12.
    result = check("p = x*y; q = p + 1; f = q*z", "x=2,y=3,z=-4", "df/dq=4, df/dp=4, df/dy=8, df/dx=12")
    assert kinds(result, "∂f/∂p") == ["carried"] and kinds(result, "∂f/∂x") == ["carried"]
    assert labels(r.ask for r in result.roots) == ["∂f/∂q"]  # not ∂f/∂p, which itself follows from ∂f/∂q
    assert labels(result.root.explains) == ["∂f/∂p", "∂f/∂y", "∂f/∂x"]


def test_two_independent_chains_have_two_roots():
    # u = x*y, v = z*w, f = u + v at x=2, y=3, z=5, w=7: ∂f/∂u = ∂f/∂v = 1.
    # ∂f/∂v = 3 carries to ∂f/∂z = 3·w = 21; ∂f/∂u = 2 carries to ∂f/∂x = 2·y = 6.
    result = check("u = x*y; v = z*w; f = u + v", "x=2,y=3,z=5,w=7", "df/dv=3, df/dz=21, df/du=2, df/dx=6")
    assert labels(r.ask for r in result.roots) == ["∂f/∂v", "∂f/∂u"]
    assert labels(row(result, "∂f/∂v").explains) == ["∂f/∂z"]
    assert labels(row(result, "∂f/∂u").explains) == ["∂f/∂x"]
    text = to_text(check_report(result), width=120)
    assert "∂f/∂v and ∂f/∂u are the likely roots of the errors after them." in text


def test_a_wrong_answer_that_explains_nothing_is_no_root():
    # ∂f/∂x = 1 is the local alone, ∂f/∂z = -4 swapped: two mistakes of their own
    result = check(HEADLINE, HEADLINE_AT, "df/dz=-4, df/dx=1")
    assert kinds(result, "∂f/∂x") == ["upstream"]
    assert result.roots == []


def test_a_wrong_value_is_the_root_when_the_gradients_follow_from_it():
    result = check(HEADLINE, HEADLINE_AT, "q=4, df/dz=4")
    assert row(result, "q").root and labels(row(result, "q").explains) == ["∂f/∂z"]
    assert kinds(result, "∂f/∂z") == ["carried"]
    assert "your answer q = 4" in row(result, "∂f/∂z").diagnoses[0].message


def test_missing_is_not_wrong_in_a_plain_check():
    # In a plain check every row was answered; "missing" appears with assignments (test_assignment.py).
    result = check(HEADLINE, HEADLINE_AT, "df/dx=-4")
    assert [r.verdict for r in result.rows] == ["right"]


# ---------------------------------------------------------------- diagnoses, one per kind


def test_fan_out_one_branch_only():
    result = check("x*x + x", "x=3", "df/dx=6")
    (diagnosis,) = row(result, "∂f/∂x").diagnoses
    assert diagnosis.kind == "fanout"
    assert "leaves out the branch through f" in diagnosis.message
    assert "3 + 3 + 1 = 7" in diagnosis.message
    assert kinds(check("x*x + x", "x=3", "df/dx=1"), "∂f/∂x") == ["fanout"]  # the f branch alone
    assert kinds(check("x*x + x", "x=3", "df/dx=4"), "∂f/∂x") == ["fanout"]  # d(x*x)/dx taken as x


def test_fan_out_in_a_layer():
    # x1 feeds y1 and y2: each branch gives 0.08, the sum is 0.16
    result = check(LAYER, LAYER_AT, "dL/dx1=0.08")
    (diagnosis,) = row(result, "∂L/∂x1").diagnoses
    assert diagnosis.kind == "fanout"
    assert "x1 is used in x1*w11 and in x1*w12" in diagnosis.message  # as written, not n1, n5
    assert "both branches: 0.08 + 0.08 = 0.16" in diagnosis.message


def test_fan_out_further_up_the_graph():
    # q = x*y is used twice; a student who drops one use of q gets half of df/dx
    result = check("q = x*y; f = q*q", "x=2,y=3", "df/dx=18")  # right: 2q*y = 36
    assert "fanout" in kinds(result, "∂f/∂x")
    assert "on the way to ∂f/∂x" in row(result, "∂f/∂x").diagnoses[0].message


def test_swapped_locals_of_a_product():
    result = check(HEADLINE, HEADLINE_AT, "df/dz=-4")
    (diagnosis,) = row(result, "∂f/∂z").diagnoses
    assert diagnosis.kind == "swap"
    assert "∂f/∂q is z = -4 and ∂f/∂z is q = 3" in diagnosis.message


def test_swapped_locals_in_the_sigmoid_neuron():
    # ∂L/∂w = ∂L/∂z · x; with w in place of x the student gets ∂L/∂z · w
    dz = bpcalc.grad(NEURON, NEURON_AT).gradient["w"] / 0.5
    result = check(NEURON, NEURON_AT, {"df/dw": dz * 0.8})
    assert kinds(result, "∂f/∂w") == ["swap"]


def test_a_sign_lost_names_the_subtraction():
    result = check(LAYER, LAYER_AT, "dL/dt1=0.8")
    (diagnosis,) = row(result, "∂L/∂t1").diagnoses
    assert diagnosis.kind == "sign"
    assert "∂(y1 - t1)/∂t1 = -1 taken as positive, in y1 - t1" in diagnosis.message  # as written, not n9


def test_a_sign_lost_on_a_chain_names_every_candidate():
    right = bpcalc.grad(TANH, TANH_AT, wrt="h").gradient["h"]
    (diagnosis,) = row(check(TANH, TANH_AT, {"dL/dh": -right}), "∂L/∂h").diagnoses
    assert diagnosis.kind == "sign"
    assert "one of the negative local derivatives" in diagnosis.message
    assert "w2 = -1.3" in diagnosis.message


def test_a_sign_lost_with_no_negative_local():
    result = check("x*x + x", "x=3", "df/dx=-7, f=-12")
    assert kinds(result, "∂f/∂x") == ["sign"]
    assert kinds(result, "f") == ["sign"]
    assert "the size is right" in row(result, "∂f/∂x").diagnoses[0].message


def test_the_upstream_factor_forgotten():
    result = check(HEADLINE, HEADLINE_AT, "df/dx=1")
    (diagnosis,) = row(result, "∂f/∂x").diagnoses
    assert diagnosis.kind == "upstream"
    assert "the local derivative ∂q/∂x = 1 alone" in diagnosis.message
    assert "∂f/∂q = -4" in diagnosis.message


def test_the_upstream_factor_forgotten_in_the_neuron():
    # ∂L/∂w taken as the local ∂z/∂w = x = 0.5 alone
    result = check(NEURON, NEURON_AT, "df/dw=0.5")
    assert kinds(result, "∂f/∂w") == ["upstream"]


def test_another_convention_at_a_max_tie():
    # the hinge at margin 1: the indicator rule gives 0; ½ at the tie gives -0.5
    result = check(HINGE, "w=1,phi=1,y=1", "df/dw=-0.5, df/dphi=-1")
    assert kinds(result, "∂f/∂w") == ["kink"]
    assert "½ to each input at the tie" in row(result, "∂f/∂w").diagnoses[0].message
    assert kinds(result, "∂f/∂phi") == ["kink"]
    assert "[a ≥ b]" in row(result, "∂f/∂phi").diagnoses[0].message


def test_another_convention_at_relu_0_and_abs_0():
    assert kinds(check("3*relu(x)", "x=0", "df/dx=3"), "∂f/∂x") == ["kink"]
    result = check("2*abs(x)", "x=0", "df/dx=2")
    assert kinds(result, "∂f/∂x") == ["kink"]
    assert "abs'(0) = 1" in row(result, "∂f/∂x").diagnoses[0].message


def test_the_indicator_answer_under_split_is_the_other_convention():
    result = check("max(x, y)", "x=1,y=1", "df/dx=0", tie="split")
    assert row(result, "∂f/∂x").right == 0.5
    assert kinds(result, "∂f/∂x") == ["kink"]


def test_an_error_carried_down_is_named_not_counted_as_a_new_mistake():
    result = check(HEADLINE, HEADLINE_AT, "df/dq=4, df/dx=4, df/dy=4")
    assert kinds(result, "∂f/∂q") == ["sign"]
    assert kinds(result, "∂f/∂x") == ["carried"] and kinds(result, "∂f/∂y") == ["carried"]
    assert "follows from your answer ∂f/∂q = 4: this step itself is right" in row(result, "∂f/∂x").diagnoses[0].message
    assert row(result, "∂f/∂q").root and not row(result, "∂f/∂x").root


def test_a_new_mistake_after_a_wrong_upstream_is_judged_from_the_students_numbers():
    # ∂f/∂q wrong (4), then ∂f/∂x = 1: the local alone, whatever the upstream was
    result = check(HEADLINE, HEADLINE_AT, "df/dq=4, df/dx=1")
    assert kinds(result, "∂f/∂x") == ["upstream"]


@pytest.mark.parametrize(
    "expr, at, key",
    [
        ("x*x + x", "x=3", "df/dx"),
        (HEADLINE, HEADLINE_AT, "df/dx"),
        (HEADLINE, HEADLINE_AT, "df/dz"),
        (HINGE, "w=1,phi=1,y=1", "df/dw"),
        (NEURON, NEURON_AT, "df/dw"),
        (LAYER, LAYER_AT, "dL/dx1"),
        (TANH, TANH_AT, "dL/dw1"),
        ("3*relu(x)", "x=0", "df/dx"),
    ],
)
def test_no_diagnosis_for_a_random_wrong_number(expr, at, key):
    rng = random.Random(f"{expr}{key}")
    for _ in range(20):
        given = rng.uniform(-50, 50)
        result = check(expr, at, {key: given})
        (r,) = result.rows
        if r.verdict == "wrong":
            assert r.diagnoses == [], (given, r.diagnoses)


def test_a_diagnosis_is_only_shown_when_the_number_matches_it():
    # 6.5 is near neither the fan-out sum's parts (6 leaves out the f branch) nor anything else
    assert row(check("x*x + x", "x=3", "df/dx=6.5"), "∂f/∂x").diagnoses == []


def test_a_right_answer_has_no_diagnosis():
    result = check("x*x + x", "x=3", "df/dx=7")
    assert row(result, "∂f/∂x").diagnoses == []


# ---------------------------------------------------------------- renderers


def test_table_text():
    result = check(HEADLINE, HEADLINE_AT, "q=3, f=-12, df/dz=-4, df/dq=3, df/dx=3")
    text = to_text(check_report(result), width=120)
    assert text.startswith("Checking q = x + y; f = q * z at x = -2, y = 5, z = -4\n")
    assert "The likely root of the errors after it: ∂f/∂x follows from it." in text
    assert "Follows from your answer ∂f/∂q = 3: this step itself is right." in text
    assert "2 of 5 right, 3 wrong. ∂f/∂q is the likely root of the errors after it." in text
    assert "Right when |given − right| ≤ 0.001 + 0.01·|right|." in text


def test_a_single_wrong_answer_is_not_called_a_root():
    text = to_text(check_report(check("x*x + x", "x=3", "df/dx=6")), width=120)
    assert "root" not in text


def test_json_is_the_verdicts_as_data():
    data = check_dict(check(HEADLINE, HEADLINE_AT, "q=3, df/dz=-4, df/dq=3, df/dx=3"))
    json.dumps(data, allow_nan=False)
    assert data["schema"] == "bpcalc.check/1"
    assert data["ok"] is False and (data["right"], data["wrong"], data["missing"]) == (1, 3, 0)
    assert data["at"] == {"x": -2, "y": 5, "z": -4}
    assert data["tolerance"] == {"rtol": 0.01, "atol": 0.001}
    z = data["rows"][1]
    assert z["asked"] == "df/dz" and z["label"] == "∂f/∂z" and z["given"] == -4 and z["right"] == 3
    assert z["verdict"] == "wrong" and z["root"] is False and z["explains"] == []
    assert z["diagnoses"][0]["kind"] == "swap" and z["diagnoses"][0]["value"] == -4
    q = data["rows"][2]
    assert q["asked"] == "df/dq" and q["root"] is True and q["explains"] == ["df/dx"]


# ---------------------------------------------------------------- the command


def invoke(*args):
    return runner.invoke(app, list(args))


def test_cli_all_right_exits_0():
    result = invoke("check", HEADLINE, "--at", HEADLINE_AT, "--expect", HEADLINE_ANSWERS)
    assert result.exit_code == 0, result.stderr
    assert "All 6 answers right." in result.stdout
    assert result.stderr == ""


def test_cli_a_wrong_answer_exits_1():
    result = invoke("check", HEADLINE, "--at", HEADLINE_AT, "--expect", "q=3, df/dz=-4")
    assert result.exit_code == ExitCode.WRONG == 1
    assert "swapped" in result.stdout


def test_cli_json():
    result = invoke("check", "x*x + x", "--at", "x=3", "--expect", "df/dx=6", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["rows"][0]["diagnoses"][0]["kind"] == "fanout"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--expect", "dL/dx=1"], "the output is called 'f'"),
        (["--expect", "df/dxx=1"], "did you mean 'x'?"),
        (["--expect", "df/dx"], "not of the form"),
        ([], "no answers to check"),
        (["--expect", "df/dx=1", "--places", "2", "--rtol", "0.1"], "either --places or --rtol/--atol"),
        (["--expct", "df/dx=1"], "did you mean --expect?"),
        (["--expect", "df/dx=1", "--answers", "/no/such/file.toml"], "cannot read the file"),
        (["--expect", "df/dx=1", "--rtol", "-1"], "--rtol must be"),
    ],
)
def test_cli_bad_input_exits_2(args, message):
    result = invoke("check", "(x+y)*z", "--at", "x=1,y=2,z=3", *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_cli_undefined_math_exits_3():
    result = invoke("check", "log(x)", "--at", "x=-1", "--expect", "f=0")
    assert result.exit_code == 3
    assert "log is undefined" in result.stderr


def test_cli_answers_from_files(tmp_path):
    toml = tmp_path / "mine.toml"
    toml.write_text('student = "ada"\nq = 3\nf = -12\n"df/dq" = -4\n[grad]\nx = -4\ny = -4\nz = 3\n', encoding="utf-8")
    result = invoke("check", HEADLINE, "--at", HEADLINE_AT, "--answers", str(toml))
    assert result.exit_code == 0, result.stderr
    assert "All 6 answers right." in result.stdout
    js = tmp_path / "mine.json"
    js.write_text('{"q": 3, "df/dz": -4}', encoding="utf-8")
    result = invoke("check", HEADLINE, "--at", HEADLINE_AT, "--answers", str(js), "--expect", "f=-12")
    assert result.exit_code == 1
    assert [
        r["asked"]
        for r in json.loads(invoke("check", HEADLINE, "--at", HEADLINE_AT, "--answers", str(js), "--json").stdout)[
            "rows"
        ]
    ] == ["q", "df/dz"]


def test_cli_a_malformed_answer_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[q = 3\n", encoding="utf-8")
    result = invoke("check", HEADLINE, "--at", HEADLINE_AT, "--answers", str(bad))
    assert result.exit_code == 2
    assert "not valid TOML" in result.stderr and "line 1" in result.stderr


def test_cli_places():
    args = ["check", NEURON, "--at", NEURON_AT, "--expect", "df/dw=-0.20"]
    assert invoke(*args).exit_code == 0
    assert invoke(*args, "--places", "2").exit_code == 0
    assert invoke(*args, "--places", "3").exit_code == 1
    assert invoke(*args, "--rtol", "0", "--atol", "1e-6").exit_code == 1
    assert "Right when equal after rounding to 3 decimal places." in invoke(*args, "--places", "3").stdout


def test_cli_tie_and_kink_warning():
    result = invoke("check", "max(x, y)", "--at", "x=1,y=1", "--expect", "df/dx=0.5", "--tie", "split")
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "kink" in result.stderr


def test_cli_expression_beginning_with_a_minus():
    assert invoke("check", "-x^2", "--at", "x=3", "--expect", "f=-9, d/dx=-6").exit_code == 0


# ---------------------------------------------------------------- vectors and matrices


ARRAY_HINGE = "max(0, 1 - (w @ phi)*y)"
ARRAY_AT = "w=[0.5,-0.3],phi=[1,2],y=1"


def test_array_answers_compare_element_by_element():
    pytest.importorskip("numpy")
    result = check(ARRAY_HINGE, ARRAY_AT, "f=1.1, df/dw=[-1, -2], df/dphi=[-0.5, 0.3], df/dy=0.1")
    assert result.ok, [(r.ask.label, r.given, r.right) for r in result.rows]
    result = check(ARRAY_HINGE, ARRAY_AT, {"grad": {"w": [1, 2], "phi": [-0.5, 0.3, 1], "y": [0.1]}})
    assert kinds(result, "∂f/∂w") == ["sign"]
    assert row(result, "∂f/∂phi").diagnoses[0].message == "the answer is a vector of 3, the right one a vector of 2"
    assert kinds(result, "∂f/∂y") == ["shape"]
    assert json.dumps(check_dict(result), allow_nan=False)


def test_array_notation_keeps_brackets_together():
    assert answer_items("df/dw=[-1, -2], f=1.1") == [("df/dw", "[-1, -2]"), ("f", "1.1")]
    assert answer_value("[[1, 0], [0, 1]]", item="W").tolist() == [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(AnswerError, match="not a list of numbers"):
        answer_value("[1, 2", item="w")


# ---------------------------------------------------------------- the JSON paths stay light


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize(
    "args",
    [
        ["check", HEADLINE, "--at", HEADLINE_AT, "--expect", "q=3, df/dz=-4", "--json"],
        ["gradcheck", "relu(x)*y", "--at", "x=0,y=2", "--json"],
        ["key", "HW", "--json"],
        ["grade", "HW", "ANSWERS", "--jsonl", "-"],
    ],
    ids=["check", "gradcheck", "key", "grade"],
)
def test_json_paths_import_no_rich(tmp_path, args):
    import os
    import subprocess
    import sys

    hw = tmp_path / "hw.toml"
    hw.write_text("[[problems]]\nexpression = 'x*x + x'\nat = 'x=3'\n", encoding="utf-8")
    answers = tmp_path / "a.json"
    answers.write_text('{"f": 12, "d/dx": 6}', encoding="utf-8")
    args = [str(hw) if a == "HW" else str(answers) if a == "ANSWERS" else a for a in args]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bpcalc", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    json.loads(proc.stdout.splitlines()[0])
    modules = _imported(proc.stderr)
    assert "bpcalc.render.check_json" in modules
    assert sorted(m for m in modules if m == "rich" or m.startswith("rich.")) == []


# ---------------------------------------------------------------- the replay and its linear shortcut


@pytest.mark.parametrize(
    "expr, at",
    [
        (HEADLINE, HEADLINE_AT),
        (LAYER, LAYER_AT),
        (TANH, TANH_AT),
        ("x*x + x", "x=3"),
        ("q = x*y; f = q*q + sin(q)", "x=2,y=3"),
    ],
)
def test_the_sensitivities_predict_every_replayed_change(expr, at):
    """Each diagnosis moves j's gradient by (change) × sensitivity; a full replay must agree."""
    from bpcalc.check import _Pass

    result = bpcalc.grad(expr, at)
    bp = _Pass(result)
    received, passed = bp.replay()
    assert received == [0.0 if g is None else g for g in result.grads][:-1] + [1.0]  # the replay is the engine's pass
    for j in range(len(result.graph.nodes)):
        if result.grads[j] is None or j == len(result.graph.nodes) - 1:
            continue
        into, out = bp.sensitivity(j, {}, ())
        for m in [j] + bp.above(j):
            for i, p in bp.incoming[m]:
                moved = bp.replay({(i, p): bp.rows[i][p] + 0.37})[0][j]
                assert moved == pytest.approx(received[j] + passed[i] * 0.37 * into[m], rel=1e-12, abs=1e-12)
            if m == j:
                continue
            moved = bp.replay(grad={m: passed[m] + 0.5})[0][j]
            assert moved == pytest.approx(received[j] + 0.5 * out[m], rel=1e-12, abs=1e-12)


def test_the_sensitivities_in_the_students_world():
    # the student's own ∂L/∂y1 = 2 is passed down instead of the sum: changes above y1 stop there
    from bpcalc.check import _Pass

    result = bpcalc.grad(LAYER, LAYER_AT)
    bp = _Pass(result)
    y1, x1 = result.graph.names["y1"], result.graph.names["x1"]
    world = {y1: 2.0}
    received, passed = bp.replay(grad=world)
    into, out = bp.sensitivity(x1, {}, world)
    assert into[y1] == 0.0 and out[y1] != 0.0
    for m in [x1] + bp.above(x1):
        for i, p in bp.incoming[m]:
            moved = bp.replay({(i, p): bp.rows[i][p] - 1.5}, world)[0][x1]
            assert moved == pytest.approx(received[x1] + passed[i] * -1.5 * into[m], rel=1e-12, abs=1e-12)


def test_a_name_that_copies_a_value_is_checked_as_its_own_node():
    # issue 10 item 3: q = x; f = q*x at x=3: by hand ∂f/∂q = x = 3, ∂f/∂x = q + x = 6.
    from bpcalc.check import check as run_check

    checked = run_check("q = x; f = q*x", "x=3", "q=3, df/dq=3, df/dx=6")
    assert checked.ok and [row.ask.label for row in checked.rows] == ["q", "∂f/∂q", "∂f/∂x"]


def test_pi_as_a_constant_is_checked():
    # issue 10 item 18: pi*x at x=2: ∂f/∂x = pi by hand; pi has no gradient of its own.
    from bpcalc.check import check as run_check

    assert run_check("pi*x", "x=2", "f=6.2832, df/dx=3.1416").ok
    assert run_check("pi*x", "x=2,pi=3", "f=6, df/dpi=2, df/dx=3").ok


def test_an_answer_in_another_case_gets_a_suggestion():
    # issue 10 item 11: dL/dW for a program whose weight is w.
    from bpcalc.check import check as run_check
    from bpcalc.errors import AnswerError

    with pytest.raises(AnswerError) as info:
        run_check("L = w*x", "w=2,x=3", "dL/dW=3")
    assert "did you mean 'w'?" in str(info.value)


# ---------------------------------------------------------------- nodes named as written (issue 10 item 13)

GENERATED = re.compile(r"\bn[0-9]+\b")  # bpcalc's labels for unnamed values: no student ever wrote one
NEURON_P = "p = sigmoid(w*x); L = -y*log(p)"
NEURON_P_AT = "w=0.8,x=0.5,y=2"


def messages(result):
    return [d.message for r in result.rows for d in r.diagnoses]


def test_the_chain_restarted_at_an_unnamed_node_is_named_by_its_text():
    # L = -y·log(p), p = σ(w·x): ∂L/∂log(p) = -y = -2 and ∂log(p)/∂w = (1/p)·p(1-p)·x = (1-p)·x.
    # Restarting the chain at log(p) gives (1-p)·x = 0.2007 instead of -2·(1-p)·x.
    p = 1 / (1 + math.exp(-0.8 * 0.5))
    result = check(NEURON_P, NEURON_P_AT, {"dL/dw": (1 - p) * 0.5})
    (diagnosis,) = row(result, "∂L/∂w").diagnoses
    assert diagnosis.kind == "upstream"
    assert diagnosis.message == (
        "the upstream factor forgotten: the chain restarted at log(p); multiply by the upstream ∂L/∂log(p) = -2"
    )
    assert (diagnosis.node, diagnosis.text) == (6, "log(p)")  # w, x, w*x, p, y, -y, log(p): node 6


def test_the_local_alone_at_an_unnamed_node():
    # L = -log(x*y) at x=2, y=3: ∂(x*y)/∂x = y = 3; the upstream ∂L/∂(x*y) = -1/(x*y) = -1/6
    result = check("L = -log(x*y)", "x=2,y=3", "dL/dx=3")
    (diagnosis,) = row(result, "∂L/∂x").diagnoses
    assert "the local derivative ∂(x*y)/∂x = 3 alone" in diagnosis.message
    assert "multiply by the upstream ∂L/∂(x*y) = -0.166667" in diagnosis.message


def test_swapped_locals_name_the_unnamed_factor_by_its_text():
    # (x+y)*z: ∂f/∂(x+y) = z = -4 and ∂f/∂z = x+y = 3, swapped
    result = check("(x+y)*z", HEADLINE_AT, "df/dz=-4, df/dx=3")
    for label in ("∂f/∂z", "∂f/∂x"):
        (diagnosis,) = row(result, label).diagnoses
        assert "∂f/∂(x+y) is z = -4 and ∂f/∂z is x+y = 3" in diagnosis.message
        assert "the product f = (x+y)*z" in diagnosis.message


def test_the_kink_names_the_unnamed_input_of_max():
    result = check("f = max(0, 1 - y*w*phi)", "w=1,phi=1,y=1", "df/dw=-1")
    (diagnosis,) = row(result, "∂f/∂w").diagnoses
    assert "at the kink of f = max(0, 1 - y*w*phi)" in diagnosis.message
    assert "∂f/∂(1 - y*w*phi) = 1, where bpcalc's rule gives ∂f/∂(1 - y*w*phi) = 0" in diagnosis.message


def test_a_fan_out_through_an_unnamed_node():
    # x feeds the unnamed x*x (twice) and f: at 3 the branches give 3 + 3 + 1 = 7, and 6 leaves out f's
    result = check("x*x + x", "x=3", "df/dx=6")
    (diagnosis,) = row(result, "∂f/∂x").diagnoses
    assert "x is used twice in x*x and in f = x*x + x" in diagnosis.message


@pytest.mark.parametrize(
    "expr, at, answers",
    [
        (NEURON_P, NEURON_P_AT, "dL/dw=0.200656, dL/dx=0.320"),
        (NEURON, NEURON_AT, "df/dw=0.5, df/dx=0.8, df/dy=-0.513"),
        (LAYER, LAYER_AT, "dL/dt1=0.8, dL/dx1=0.08, dL/dw11=0.4, dL/dy1=0.4"),
        (TANH, TANH_AT, "dL/dh=0.155, dL/dw1=-0.298, dL/dx=0.7"),
        ("f = max(0, 1 - y*w*phi)", "w=1,phi=1,y=1", "df/dw=-1, df/dphi=-0.5, df/dy=-1"),
        ("(x+y)*z", HEADLINE_AT, "df/dz=-4, df/dx=3, df/dy=1"),
        ("3*relu(x) + 2*abs(x)", "x=0", "df/dx=3"),
    ],
)
def test_no_diagnosis_shows_a_generated_label(expr, at, answers):
    result = check(expr, at, answers)
    found = messages(result)
    assert found  # each case has at least one diagnosis to look at
    for message in found:
        assert not GENERATED.search(message), message
    data = check_dict(result)
    for r in data["rows"]:
        for d in r["diagnoses"]:
            assert not GENERATED.search(d["message"])
            if d["node"] is not None:  # the stable id stays, beside the text as written
                assert d["text"] == written_text(result, d["node"])


def written_text(result, node):
    """A node as written, by the README's rule: its name, else its source text (these are short)."""
    graph = result.result.graph
    n = graph.nodes[node]
    return n.label if n.named or n.op in ("var", "const") or node == graph.output else graph.source[n.start:n.end]


def test_a_long_unnamed_sub_expression_is_clipped():
    long = " + ".join(f"x{i}" for i in range(30))  # 200 characters, unnamed
    at = ",".join(f"x{i}=1" for i in range(30)) + ",z=2"
    # f = (x0 + ... + x29)*z: ∂f/∂z = 30; swapped, ∂f/∂z is z = 2
    result = check(f"({long})*z", at, "df/dz=2")
    (diagnosis,) = row(result, "∂f/∂z").diagnoses
    assert diagnosis.kind == "swap"
    # clipped to 40 characters: the first 19, an ellipsis, the last 20
    assert "∂f/∂(x0 + x1 + x2 + x3 +…26 + x27 + x28 + x29) is z = 2" in diagnosis.message
    assert "the product f = (x0 + x1 + x2 + x3 …+ x27 + x28 + x29)*z swapped" in diagnosis.message
    assert len(diagnosis.message) < 300


@pytest.mark.parametrize(
    "key, sub, kind",
    [("dL/dn1", "-y", "grad"), ("∂L/∂n2", "log(p)", "grad"), ("n2", "log(p)", "value"), ("d/dn1", "-y", "grad")],
)
def test_asking_for_an_unnamed_node_says_what_it_is_and_how_to_name_it(key, sub, kind):
    # L = -y*log(p): n1 is -y, n2 is log(p) in bpcalc grad's tables
    with pytest.raises(AnswerError) as caught:
        check("L = -y*log(p)", "p=0.5,y=2", {key: 1})
    error = caught.value
    assert error.reason.endswith(
        f"{key[-2:]} is not a name in the expression but bpcalc's label for the unnamed sub-expression '{sub}', "
        "so it cannot be asked for"
    )
    program = "u = -y; L = u*log(p)" if sub == "-y" else "u = log(p); L = -y*u"
    asked = "dL/du" if kind == "grad" else "u"
    assert error.hint == (
        f"to ask for it, give it a name in the program: write '{program}' in place of 'L = -y*log(p)', "
        f"then answer {asked}"
    )


def test_naming_an_unnamed_node_as_the_hint_says_makes_it_answerable():
    # the hint's program, checked: ∂f/∂u for u = x+y, f = u*z is z = -4
    with pytest.raises(AnswerError) as caught:
        check("(x+y)*z", HEADLINE_AT, "df/dn1=-4")
    assert "write 'u = x+y; u*z' in place of '(x+y)*z', then answer df/du" in caught.value.hint
    assert check("u = x+y; u*z", HEADLINE_AT, "df/du=-4").ok


def test_an_unnamed_node_a_fresh_name_and_a_long_program():
    # u is taken, so the hint names it v; the statement is too long to write out, so it says how
    program = "u = x; f = sin(x*(y + u + " + " + ".join(["x"] * 30) + "))"
    with pytest.raises(AnswerError) as caught:
        check(program, "x=1,y=2", "df/dn1=1")
    assert "the unnamed sub-expression 'y + u'" in caught.value.reason
    assert caught.value.hint == (
        "to ask for it, give it a name in the program: write 'v = y + u' as a statement before the one that uses it, "
        "and put v in its place, then answer df/dv"
    )


def test_a_generated_label_that_is_no_node():
    with pytest.raises(AnswerError) as caught:
        check("L = -y*log(p)", "p=0.5,y=2", "dL/dn7=1")
    assert "labels such as n1, n2 are bpcalc's own for unnamed sub-expressions" in caught.value.reason
    assert caught.value.hint == "names: y, p, L"


def test_cli_explains_an_unnamed_node():
    result = invoke("check", "L = -y*log(p)", "--at", "p=0.5,y=2", "--expect", "dL/dn2=-4")
    assert result.exit_code == ExitCode.BAD_INPUT == 2
    assert "bpcalc's label for the unnamed sub-expression 'log(p)'" in result.stderr
    assert "write 'u = log(p); L = -y*u' in place of 'L = -y*log(p)', then answer dL/du" in result.stderr


# ---------------------------------------------------------------- the table of diagnoses (issue 9)


def test_every_diagnosis_is_a_kind_the_readme_documents():
    from bpcalc.check import DIAGNOSES, KINDS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("`kind` is `carried`"):][:200]
    for kind in ("carried", *DIAGNOSES):
        assert kind in KINDS
        assert f"`{kind}`" in listed


def test_a_new_diagnosis_is_one_entry(monkeypatch):
    """A throwaway mistake, 'doubled' (the answer is twice the right step), added as one entry
    of the table, is found and reported with no other change."""
    from bpcalc import check as check_module
    from bpcalc.check import DIAGNOSES, Diagnosis

    def doubled(c):
        value = 2 * c.expected
        return Diagnosis("doubled", "the step doubled", value) if c.matches(value) else None

    monkeypatch.setitem(DIAGNOSES, "doubled", doubled)
    monkeypatch.setattr(check_module, "KINDS", check_module.KINDS + ("doubled",))
    report = check("(x+y)*z", "x=-2,y=5,z=-4", "df/dx=-8")
    assert [d.kind for d in report.rows[0].diagnoses] == ["doubled"]
    assert report.rows[0].diagnoses[0].value == -8


# ---------------------------------------------------------------- --values FILE (as for bpcalc grad)


def test_cli_values_from_a_file(tmp_path):
    values = tmp_path / "point.json"
    values.write_text('{"w": [0.5, -0.3], "phi": [1, 2]}', encoding="utf-8")
    # the vector hinge loss of the worked examples: ∂L/∂w = −φ·y = [−1, −2], ∂L/∂φ = −w·y = [−0.5, 0.3]
    result = invoke("check", "max(0, 1 - (w @ phi)*y)", "--values", str(values), "--at", "y=1",
                    "--expect", "f=1.1, df/dw=[-1, -2], df/dphi=[-0.5, 0.3]", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["at"] == {"y": 1, "w": [0.5, -0.3], "phi": [1, 2]}
    assert [r["verdict"] for r in data["rows"]] == ["right"] * 3
    wrong = invoke("check", "max(0, 1 - (w @ phi)*y)", "--values", str(values), "--at", "y=1",
                   "--expect", "df/dw=[1, 2]")
    assert wrong.exit_code == 1 and "wrong" in wrong.stdout


@pytest.mark.parametrize(
    "text, args, message",
    [
        ('{"x": 1}', ["--at", "x=2"], "'x' is given a value twice"),
        ('{"x": "1"}', [], "not a number: write numbers without quotes"),
        ('[1, 2]', [], "must hold a JSON object"),
        ('{"x": 1, "x": 2}', [], 'the key "x" appears twice'),
        ("{x: 1}", [], "is not JSON"),
    ],
)
def test_cli_values_are_read_as_grad_reads_them(tmp_path, text, args, message):
    values = tmp_path / "v.json"
    values.write_text(text, encoding="utf-8")
    for command in (["check", "(x+y)*z", "--expect", "f=1"], ["grad", "(x+y)*z"]):
        result = invoke(*command, "--values", str(values), "--at", "y=1,z=1", *args)
        assert result.exit_code == 2, (command, result.output)
        assert message in result.stderr and result.stdout == ""


def test_cli_values_with_an_assignment_is_refused(tmp_path):
    values = tmp_path / "v.json"
    values.write_text('{"x": 1}', encoding="utf-8")
    result = invoke("check", "--assignment", str(tmp_path / "hw.toml"), "--answers", str(values),
                    "--values", str(values))
    assert result.exit_code == 2
    assert "drop EXPR, --file, --at and --values" in result.stderr


def test_cli_values_is_in_the_help():
    text = " ".join(invoke("check", "--help").stdout.split())
    assert "--values" in text and "--values point.json" in text


def test_cli_a_file_programs_comments_stay_out_of_the_title(tmp_path):
    # issue 10 item 15: the title is the program without its comments, its statements joined by '; '
    program = tmp_path / "p.bp"
    program.write_text("# homework 3, by the TA\na = x*x   # the square\nf = (a +\n  x)\n", encoding="utf-8")
    result = invoke("check", "--file", str(program), "--at", "x=3", "--expect", "f=12, df/dx=7")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Checking a = x*x; f = (a + x) at x = 3"
    assert json.loads(invoke("check", "--file", str(program), "--at", "x=3", "--expect", "f=12", "--json").stdout)[
        "expression"
    ] == program.read_text(encoding="utf-8")  # JSON: the program as written


# ---------------------------------------------------------------- answers that are not numbers (issue 10 item 14)


def test_an_answer_that_is_no_number_is_wrong_with_the_reason():
    # (x+y)*z at x=-2, y=5, z=-4: ∂f/∂x = ∂f/∂y = z = -4, ∂f/∂z = x+y = 3 (worked example 1)
    checked = check("(x+y)*z", "x=-2,y=5,z=-4", "df/dx=-4,0, df/dy=abc, df/dz=3")
    rows = {r.ask.key: r for r in checked.rows}
    assert rows["df/dz"].verdict == "right"
    assert (rows["df/dx"].verdict, rows["df/dx"].given) == ("wrong", "-4,0")
    assert [d.kind for d in rows["df/dx"].diagnoses] == ["unreadable"]
    assert "write -4.0, with a decimal point, not a comma" in rows["df/dx"].diagnoses[0].message
    assert (rows["df/dy"].verdict, rows["df/dy"].given) == ("wrong", "abc")
    assert "'abc', is not a number: numbers look like" in rows["df/dy"].diagnoses[0].message
    assert not any(r.root for r in checked.rows)  # an unreadable answer is the root of nothing
    assert (checked.count("right"), checked.count("wrong")) == (1, 2)


@pytest.mark.parametrize(
    "value, given",
    [(True, "true"), ("1" * 10_001, "1" * 39 + "…"), ([1, "a"], "[1, 'a']"), ("1/0", "1/0"), ("", "")],
)
def test_every_kind_of_unreadable_answer_is_a_wrong_row(value, given):
    checked = check("x*y", "x=2,y=3", {"df/dx": value, "f": 6})
    rows = {r.ask.key: r for r in checked.rows}
    assert rows["f"].verdict == "right"
    assert rows["df/dx"].verdict == "wrong" and rows["df/dx"].given.startswith(given[:20])
    assert rows["df/dx"].diagnoses[0].kind == "unreadable" and rows["df/dx"].diagnoses[0].value is None


def test_other_wrong_answers_keep_their_diagnoses_beside_an_unreadable_one():
    # headline program: ∂f/∂q = z = -4; 4 is its sign lost, and ∂f/∂x, ∂f/∂y follow from it
    checked = check(HEADLINE, HEADLINE_AT, "q=3, f=-12, df/dz=abc, df/dq=4, df/dx=4, df/dy=4")
    rows = {r.ask.key: r for r in checked.rows}
    assert rows["df/dz"].diagnoses[0].kind == "unreadable" and not rows["df/dz"].root
    assert rows["df/dq"].root and "sign" in [d.kind for d in rows["df/dq"].diagnoses]
    assert [d.kind for d in rows["df/dx"].diagnoses] == ["carried"]


def test_cli_an_answer_that_is_no_number_exits_1_with_the_reason(tmp_path):
    result = invoke("check", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--expect", "df/dx=-4,0, df/dy=abc, df/dz=3")
    assert result.exit_code == 1, result.stderr  # was 2: the whole check refused
    text = " ".join(result.stdout.split())
    assert "∂f/∂x -4,0 -4 wrong The answer for df/dx, '-4,0', is not a number: write -4.0" in text
    assert "1 of 3 right, 2 wrong." in text
    data = json.loads(invoke("check", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--expect", "df/dy=abc", "--json").stdout)
    assert data["rows"][0]["given"] == "abc" and data["rows"][0]["diagnoses"][0]["kind"] == "unreadable"
    assert data["rows"][0]["diagnoses"][0]["value"] is None


def test_cli_a_toml_answer_file_with_typos_is_checked_line_by_line(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text('student = "Ada"\nq = 3   # q = x + y\nf = -12\n"df/dq" = -4\n'
                    '"df/dx" = -4,0  # my answer\n"df/dy" = abc\n[grad]\nz = 3\n', encoding="utf-8")
    result = invoke("check", HEADLINE, "--at", HEADLINE_AT, "--answers", str(mine), "--json")
    assert result.exit_code == 1, result.stderr  # was 2: "not valid TOML"
    rows = {r["asked"]: r for r in json.loads(result.stdout)["rows"]}
    assert [rows[k]["verdict"] for k in ("q", "f", "df/dq", "df/dz")] == ["right"] * 4
    assert rows["df/dx"]["given"] == "-4,0" and "decimal point" in rows["df/dx"]["diagnoses"][0]["message"]
    assert rows["df/dy"]["given"] == "abc"


def test_cli_an_unreadable_answer_shows_its_control_characters():
    result = invoke("check", "x*y", "--at", "x=2,y=3", "--expect", "df/dx=\x1b[31mred")
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout


# ---------------------------------------------------------------- kink warnings as the student wrote them

RELU_KINK = (  # written out from the README's rule: an unnamed node by its source text, after ∂ in brackets
    "relu(x*y) is at a kink (its input is 0; ∂relu(x*y)/∂(x*y) is 0 from below and 1 from above); "
    "relu'(0) = 0, as in the course, PyTorch and JAX"
)


def test_a_kink_warning_names_unnamed_nodes_by_their_text():
    result = check("q = relu(x*y) + 1", "x=0,y=1", "q=1")
    assert [w.message for w in result.warnings] == [RELU_KINK]
    assert [w.node for w in result.warnings] == [3]  # x, y, x*y, relu(x*y): the same node id as grad --json
    (entry,) = check_dict(result)["warnings"]
    assert entry["message"] == RELU_KINK and entry["one_sided"] == [[0.0, 1.0]]


def test_a_kink_warning_names_the_unnamed_input_of_a_named_max():
    result = check("f = max(x*y, z)", "x=1,y=2,z=2", "f=2", tie="split")
    (warning,) = result.warnings
    assert warning.message == (
        "f = max(x*y, z) is at a kink (its inputs tie at 2; ∂f/∂(x*y) is 0 from below and 1 from above, "
        "∂f/∂z is 0 from below and 1 from above); --tie split: 1/2 to each input"
    )


def test_a_kink_warning_on_array_elements_names_the_node_by_its_text():
    pytest.importorskip("numpy")
    # relu(w*2) at w = [0, 1, 0]: its input w*2 = [0, 2, 0] is 0 at 2 of its 3 elements
    result = check("f = sum(relu(w * 2))", {"w": [0.0, 1.0, 0.0]}, "f=2")
    (warning,) = result.warnings
    assert warning.message.startswith(
        "relu(w * 2) is at a kink (at 2 of its 3 elements; ∂relu(w * 2)/∂(w * 2) is 0 from below and 1 from above)"
    )


def test_a_kink_warning_between_named_nodes_is_the_engines():
    # every node named: nothing to rename, so check says what grad says, byte for byte
    expr, at = "m = 1 - w*phi*y; f = max(0, m)", "w=1,phi=1,y=1"
    result = check(expr, at, "f=0")
    assert [w.message for w in result.warnings] == [w.message for w in bpcalc.grad(expr, at).warnings]
    assert result.warnings[0].message.startswith("f = max(0, m) is at a kink (its inputs tie at 0; ∂f/∂m is 0")


def test_cli_check_warns_with_source_text_and_grad_keeps_its_labels():
    args = ("q = relu(x*y) + 1", "--at", "x=0,y=1")
    checked = invoke("check", *args, "--expect", "q=1")
    assert checked.exit_code == 0 and checked.stderr == f"warning: {RELU_KINK}\n"
    data = json.loads(invoke("check", *args, "--expect", "q=1", "--json").stdout)
    assert [w["message"] for w in data["warnings"]] == [RELU_KINK]
    # grad, graph and gradcheck show n1, n2 in their tables: their warnings keep those labels
    graded = invoke("grad", *args)
    assert graded.stderr == (
        "warning: n2 = relu(x*y) is at a kink (its input is 0; ∂n2/∂n1 is 0 from below and 1 from above); "
        "relu'(0) = 0, as in the course, PyTorch and JAX\n"
    )


# ---------------------------------------------------------------- wrong values that follow from wrong values


def test_a_value_that_follows_from_a_wrong_value_is_carried_and_the_value_is_its_root():
    # q = x + y = 3 and f = q*z = -12 at z = -4; with the student's q = 4, f = 4·(-4) = -16: that step is right
    result = check(HEADLINE, HEADLINE_AT, "q=4, f=-16")
    assert kinds(result, "f") == ["carried"]
    assert row(result, "f").diagnoses[0].message == "follows from your answer q = 4: this step itself is right"
    assert row(result, "f").diagnoses[0].value == -16
    assert labels(r.ask for r in result.roots) == ["q"] and labels(row(result, "q").explains) == ["f"]
    text = to_text(check_report(result), width=120)
    assert "q is the likely root of the errors after it." in text


def test_a_value_carried_through_an_unnamed_node():
    # f = (q*z) + 1: right 3·(-4) + 1 = -11; from the student's q = 4, 4·(-4) + 1 = -15
    result = check("q = x + y; f = (q*z) + 1", HEADLINE_AT, "q=4, f=-15")
    assert kinds(result, "f") == ["carried"] and "your answer q = 4" in row(result, "f").diagnoses[0].message
    assert labels(r.ask for r in result.roots) == ["q"]


def test_a_chain_of_values_has_one_root():
    # r = q*z = -12 from q = 3; f = r + 1. With q = 4: r = -16 (carried), f = -15 follows from r = -16
    result = check("q = x + y; r = q*z; f = r + 1", HEADLINE_AT, "q=4, r=-16, f=-15")
    assert kinds(result, "r") == ["carried"] and kinds(result, "f") == ["carried"]
    assert "your answer r = -16" in row(result, "f").diagnoses[0].message
    assert labels(r.ask for r in result.roots) == ["q"] and labels(row(result, "q").explains) == ["r", "f"]


@pytest.mark.parametrize("answers", ["q=4, f=-20", "q=3, f=-16", "q=4, f=-12.5"])
def test_independent_value_mistakes_have_no_root(answers):
    # f = -20 and -12.5 are not 4·(-4) = -16; with q right, -16 follows from nothing the student wrote
    result = check(HEADLINE, HEADLINE_AT, answers)
    assert row(result, "f").verdict == "wrong" and "carried" not in kinds(result, "f")
    assert result.roots == []


def test_a_gradient_follows_from_a_wrong_value_through_an_unnamed_node():
    # f = sin(q*z): ∂f/∂z = cos(q*z)·q. With the student's q = 4 both factors move: cos(-16)·4 = -3.8306
    # (the right one is cos(-12)·3 = 2.5316); the unnamed q*z takes their q too
    given = math.cos(4 * -4) * 4
    result = check("q = x + y; f = sin(q*z)", HEADLINE_AT, {"q": 4, "df/dz": given})
    assert kinds(result, "∂f/∂z") == ["carried"]
    assert "your answer q = 4" in row(result, "∂f/∂z").diagnoses[0].message
    assert labels(r.ask for r in result.roots) == ["q"] and labels(row(result, "q").explains) == ["∂f/∂z"]


def test_a_gradient_names_the_value_its_local_is_made_of():
    # ∂f/∂z = q: with q = 4 and f = -16 it follows from q, not from f (f's value is in no local on the way)
    result = check(HEADLINE, HEADLINE_AT, "q=4, f=-16, df/dz=4")
    assert row(result, "∂f/∂z").diagnoses[0].message == "follows from your answer q = 4: this step itself is right"
    assert labels(row(result, "q").explains) == ["f", "∂f/∂z"]


def test_a_value_undefined_in_the_students_world_is_no_error():
    # log of the student's q = -1 is undefined: nothing follows from it, and the check still reports
    result = check("q = x + y; f = log(q) + y", "x=1,y=2", "q=-1, f=3, df/dq=-1")
    assert [r.verdict for r in result.rows] == ["wrong", "wrong", "wrong"]
    assert "carried" not in kinds(result, "f")


def test_an_undefined_gradient_nobody_asked_for_does_not_refuse_the_check():
    # issue 10 item 4, for check: x^n at x = -2, n = 3. ∂f/∂n = x^n·log(x) needs log(-2), but only
    # ∂f/∂x = n·x^(n-1) = 3·4 = 12 is asked (by hand), so the answers are checked, not refused (exit 3).
    from bpcalc.check import check as run_check

    checked = run_check("x^n", "x=-2,n=3", "f=-8, df/dx=-12")
    assert [(r.ask.label, r.right, r.verdict) for r in checked.rows] == [("f", -8, "right"), ("∂f/∂x", 12, "wrong")]
    with pytest.raises(MathError, match="log"):
        run_check("x^n", "x=-2,n=3", "df/dn=1")  # asked: still undefined


def test_values_alone_need_no_gradient_at_all():
    # x^n at x = -2, n = 3 with only the value asked: (-2)^3 = -8 by hand; no gradient is asked,
    # so the undefined ∂f/∂n (log(-2)) must not refuse the check; a value undefined itself still does.
    from bpcalc.check import check as run_check

    checked = run_check("x^n", "x=-2,n=3", "f=-7")
    assert [(r.ask.label, r.right, r.verdict) for r in checked.rows] == [("f", -8, "wrong")]
    with pytest.raises(MathError, match="log"):
        run_check("log(x)", "x=-2", "f=1")



def test_the_gradient_of_the_constant_pi_is_refused_as_grad_wrt_refuses_it():
    # issue 10 item 18, for check: df/dpi was "wrong, right 0" though pi has no gradient at all;
    # given a value, pi is a variable: ∂(pi*x)/∂pi = x = 2 by hand.
    from bpcalc.check import check as run_check

    with pytest.raises(AnswerError, match="pi is the constant 3.14159") as info:
        run_check("pi*x", "x=2", "df/dpi=2")
    assert "--at pi=" in info.value.hint
    assert [(r.right, r.verdict) for r in run_check("pi*x", "x=2,pi=3", "df/dpi=2").rows] == [(2, "right")]
