"""Tests for bpcalc/gradcheck.py and `bpcalc gradcheck`: smooth points, kinks, domain edges, a planted bug."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bpcalc import ops
from bpcalc.cli import app
from bpcalc.errors import InputError
from bpcalc.gradcheck import STEP, gradcheck
from bpcalc.render.check_json import gradcheck_dict
from bpcalc.render.check_table import gradcheck_report, to_text

runner = CliRunner()
WORKED_EXAMPLES = json.loads((Path(__file__).parent / "data" / "worked_examples.json").read_text(encoding="utf-8"))


def rows(check):
    return {r.name: r for r in check.rows}


SMOOTH = [
    ("(x+y)*z", "x=-2,y=5,z=-4"),
    ("-y*log(sigmoid(w*x))", "x=0.5,w=0.8,y=1"),
    ("a*x^2 + b*y + c", "a=3,x=2,b=4,y=1,c=5"),
    ("sigmoid(a*x^2 + b*y + c + d)", "a=0.5,x=1,b=-1,y=2,c=0.25,d=0.5"),
    ("h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); L = (o - t)^2", "x=1.5,w1=0.7,b1=-0.2,w2=-1.3,b2=0.4,t=1"),
    ("x*x + x", "x=3"),
    ("max(0, 1 - w*phi*y)", "w=0.5,phi=1,y=1"),  # a kink function away from its kink
    ("sin(x)*exp(-x^2) + softplus(x)/sqrt(1 + x^2)", "x=-0.7"),
    ("x^y", "x=1.3,y=-2.5"),
    ("1000*x", "x=12345.678"),
]


@pytest.mark.parametrize("expr, at", SMOOTH)
def test_smooth_points_agree(expr, at):
    check = gradcheck(expr, at)
    assert check.ok
    for r in check.rows:
        assert r.verdict == "good", r
        assert r.kink is None
        assert r.rel_error <= 1e-7
        assert r.numeric == pytest.approx(r.backprop, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("example", WORKED_EXAMPLES, ids=[e["expr"][:30] for e in WORKED_EXAMPLES])
def test_every_worked_example_agrees(example):
    # the hinge at w=2 is away from its kink (margin 2): every example is a smooth point
    check = gradcheck(example["expr"], example["at"])
    assert check.ok and all(r.verdict == "good" for r in check.rows)
    assert {r.name: r.backprop for r in check.rows} == pytest.approx(example["gradient"], rel=1e-9, abs=1e-12)


def test_every_variable_by_default_and_wrt():
    assert [r.name for r in gradcheck("(x+y)*z", "x=-2,y=5,z=-4").rows] == ["x", "y", "z"]
    assert [r.name for r in gradcheck("(x+y)*z", "x=-2,y=5,z=-4", wrt="z,x").rows] == ["z", "x"]


def test_the_step_follows_the_variables_magnitude():
    r = rows(gradcheck("x*y", "x=1000,y=0.001"))
    assert r["x"].step == pytest.approx(STEP * 1000, rel=1e-6)
    assert r["y"].step == pytest.approx(STEP, rel=1e-6)  # below 1 the step stays at cbrt(ε)
    assert STEP == pytest.approx(6.055e-6, rel=1e-3)


def test_relative_error_is_symmetric():
    r = gradcheck("3*x", "x=2").rows[0]
    assert r.rel_error == abs(r.backprop - r.numeric) / max(abs(r.backprop), abs(r.numeric))


# ---------------------------------------------------------------- kinks


def test_relu_at_0():
    (r,) = gradcheck("relu(x)", "x=0").rows
    assert r.verdict == "kink" and r.ok
    assert r.kink.labels == ["f = relu(x)"]
    assert (r.kink.left, r.kink.right) == (0.0, 1.0)
    assert r.backprop == 0.0
    assert r.numeric == pytest.approx(0.5)  # the central difference averages both sides: a false failure avoided


def test_a_max_tie():
    check = gradcheck("max(x, y)", "x=1,y=1")
    assert check.ok
    for r in check.rows:
        assert r.verdict == "kink"
        assert (r.kink.left, r.kink.right) == (0.0, 1.0)
    assert gradcheck("max(x, y)", "x=1,y=1", tie="split").ok  # ½ lies between 0 and 1 too


def test_the_hinge_at_margin_1():
    check = gradcheck("max(0, 1 - w*phi*y)", "w=1,phi=1,y=1")
    assert check.ok
    for r in check.rows:
        assert r.verdict == "kink"
        assert r.kink.labels == ["f = max(0, 1 - w*phi*y)"]
        assert r.kink.left == pytest.approx(-1, rel=1e-6) and r.kink.right == 0
        assert r.backprop == 0


def test_abs_at_0_and_min():
    (r,) = gradcheck("abs(x)", "x=0").rows
    assert r.verdict == "kink" and (r.kink.left, r.kink.right) == (-1.0, 1.0)
    assert gradcheck("min(x, 2)", "x=2").ok


def test_a_kink_near_but_not_at_the_point():
    # relu's kink lies between x and x+h: backprop takes the left branch, which lies between
    (r,) = gradcheck("relu(x - 1e-7)", "x=0").rows
    assert r.verdict == "kink" and r.kink is not None


def test_a_tie_whose_rule_gives_no_one_sided_derivative_fails():
    # both inputs of max move with x; the indicator gives 0, outside [1, 2]
    (r,) = gradcheck("max(x, x^2)", "x=1").rows
    assert r.verdict == "wrong" and not r.ok
    assert r.kink.left == pytest.approx(1, rel=1e-4) and r.kink.right == pytest.approx(2, rel=1e-4)


def test_a_kink_only_in_another_variable_is_not_crossed():
    r = rows(gradcheck("max(x, y) + 3*z", "x=1,y=1,z=2"))
    assert r["z"].kink is None and r["z"].verdict == "good"


# ---------------------------------------------------------------- domain edges and noise


def test_near_the_edge_of_the_domain_the_step_shrinks():
    (r,) = gradcheck("log(x)", "x=1e-7").rows
    assert r.verdict == "good"
    assert r.step < 1e-7 and "step from |x| alone" in r.note
    (r,) = gradcheck("sqrt(x)", "x=1e-12").rows
    assert r.verdict == "good"


def test_rounding_noise_is_not_a_failure():
    (r,) = gradcheck("1e6 + x*1e-9", "x=1").rows
    assert r.verdict == "ok" and "rounding noise" in r.note


def test_a_planted_bug_is_caught(monkeypatch):
    sin = ops.OPERATIONS["sin"]
    monkeypatch.setitem(ops.OPERATIONS, "sin", dataclasses.replace(sin, local=(lambda out, a: -math.cos(a),)))
    (r,) = gradcheck("sin(x)", "x=0.3").rows
    assert r.verdict == "wrong" and not r.ok
    assert r.rel_error == pytest.approx(2.0)  # |c - (-c)| / |c|


def test_a_small_error_is_doubtful(monkeypatch):
    sin = ops.OPERATIONS["sin"]
    monkeypatch.setitem(ops.OPERATIONS, "sin", dataclasses.replace(sin, local=(lambda out, a: 1.001 * math.cos(a),)))
    (r,) = gradcheck("sin(x)", "x=0.3").rows
    assert r.verdict == "doubtful" and not r.ok


def test_wrt_a_named_value_or_an_unknown_name():
    with pytest.raises(InputError, match="named value, not a variable"):
        gradcheck("q = x + y; f = q * z", "x=1,y=2,z=3", wrt="q")
    with pytest.raises(InputError, match="did you mean 'x'"):
        gradcheck("(x+y)*z", "x=1,y=2,z=3", wrt="xx")


# ---------------------------------------------------------------- renderers and the command


def test_report_text():
    text = " ".join(to_text(gradcheck_report(gradcheck("max(0, 1 - w*phi*y)", "w=1,phi=1,y=1")), width=120).split())
    assert "kink crossed at node f = max(0, 1 - w*phi*y)" in text
    assert "Left derivative -1, right derivative 0; backprop's 0 lies between them." in text
    assert "All 3 gradients agree with central differences." in text


def test_json():
    data = gradcheck_dict(gradcheck("relu(x)*y", "x=0,y=2"))
    json.dumps(data, allow_nan=False)
    assert data["schema"] == "bpcalc.gradcheck/1" and data["ok"] is True
    x, y = data["rows"]
    assert x["verdict"] == "kink" and x["kink"]["left"] == 0 and x["kink"]["right"] == 2
    assert y["verdict"] == "good" and y["kink"] is None


def invoke(*args):
    return runner.invoke(app, list(args))


def test_cli_exit_codes():
    ok = invoke("gradcheck", "-y*log(sigmoid(w*x))", "--at", "x=0.5,w=0.8,y=1")
    assert ok.exit_code == 0 and "All 3 gradients agree" in ok.stdout
    kink = invoke("gradcheck", "relu(x)", "--at", "x=0", "--json")
    assert kink.exit_code == 0 and json.loads(kink.stdout)["rows"][0]["verdict"] == "kink"
    assert "kink" in kink.stderr  # grad's warning, with its one-sided derivatives
    assert "0 from below and 1 from above" in kink.stderr
    bad = invoke("gradcheck", "max(x, x^2)", "--at", "x=1")
    assert bad.exit_code == 1 and "does not lie between them" in " ".join(bad.stdout.split())
    assert invoke("gradcheck", "(x+y", "--at", "x=1").exit_code == 2
    assert invoke("gradcheck", "log(x)", "--at", "x=-1").exit_code == 3
    assert invoke("gradcheck", "x*y", "--at", "x=1,y=2", "--wrt", "q").exit_code == 2
    typo = invoke("gradcheck", "x", "--at", "x=1", "--wrtt", "x")
    assert typo.exit_code == 2 and "did you mean --wrt?" in typo.stderr


# ---------------------------------------------------------------- vectors and matrices


def test_a_vector_variable_gets_a_row_per_element():
    pytest.importorskip("numpy")
    check = gradcheck("max(0, 1 - (w @ phi)*y)", "w=[0.5,-0.3],phi=[1,2],y=1")
    assert [r.name for r in check.rows] == ["w[0]", "w[1]", "phi[0]", "phi[1]", "y"]
    assert check.ok and all(r.verdict == "good" for r in check.rows)
    assert rows(check)["w[1]"].backprop == -2


def test_a_kink_inside_an_array():
    pytest.importorskip("numpy")
    check = gradcheck("sum(relu(W @ x))", "W=[[1,-1],[0.5,2]],x=[1,1]")
    assert check.ok
    r = rows(check)
    assert r["W[0,0]"].verdict == "kink" and (r["W[0,0]"].kink.left, r["W[0,0]"].kink.right) == pytest.approx((0, 1))
    assert r["W[1,1]"].verdict == "good" and r["W[1,1]"].kink is None
    assert r["x[1]"].kink.left == pytest.approx(1) and r["x[1]"].kink.right == pytest.approx(2)
    assert r["x[1]"].backprop == 2


def test_cli_values_from_a_file(tmp_path):
    pytest.importorskip("numpy")
    values = tmp_path / "layer.json"
    values.write_text('{"w": [0.5, -0.3], "phi": [1, 2]}', encoding="utf-8")
    result = invoke("gradcheck", "max(0, 1 - (w @ phi)*y)", "--values", str(values), "--at", "y=1", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)["rows"]}
    # the worked example's gradients: ∂L/∂w = −φ·y = [−1, −2], ∂L/∂φ = −w·y = [−0.5, 0.3], ∂L/∂y = −w·φ = 0.1
    expected = {"w[0]": -1, "w[1]": -2, "phi[0]": -0.5, "phi[1]": 0.3, "y": 0.1}
    assert {name: round(r["backprop"], 12) for name, r in rows.items()} == expected
    assert all(r["verdict"] == "good" for r in rows.values())
    twice = invoke("gradcheck", "w @ phi", "--values", str(values), "--at", "w=[1,1]")
    assert twice.exit_code == 2 and "'w' is given a value twice" in twice.stderr
    assert "--values layer.json" in " ".join(invoke("gradcheck", "--help").stdout.split())


def test_cli_a_file_programs_comments_stay_out_of_the_title(tmp_path):
    # issue 10 item 15
    program = tmp_path / "p.bp"
    program.write_text("# the TA's notes\na = x*x   # the square\nf = a + x\n", encoding="utf-8")
    result = invoke("gradcheck", "--file", str(program), "--at", "x=3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Gradient check of a = x*x; f = a + x: backprop")
    assert "#" not in result.stdout and "square" not in result.stdout
