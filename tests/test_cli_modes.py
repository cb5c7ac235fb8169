"""The CLI of issue 13: grad --mode forward / --symbolic / --exact, bpcalc diff, bpcalc hessian, key --exact.

Expected numbers come from the documented formulas, written out here; JSON is read strictly.
"""
from __future__ import annotations

import json
import math
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bpcalc.cli import app

runner = CliRunner()
SURVEY = "log(x1) + x1*x2 - sin(x2)"
WORKED = json.loads((Path(__file__).parent / "data" / "worked_examples.json").read_text(encoding="utf-8"))


def invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env)


def strict(text: str):
    def refuse(name):
        raise ValueError(name)

    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------- grad --mode forward


def test_forward_mode_json_on_the_survey_example():
    r = invoke("grad", SURVEY, "--at", "x1=2,x2=5", "--mode", "forward", "--json")
    assert r.exit_code == 0, r.stderr
    data = strict(r.stdout)
    assert data["mode"] == "forward" and data["schema"] == "bpcalc.grad/1"
    assert math.isclose(data["value"], math.log(2) + 10 - math.sin(5), rel_tol=1e-12)
    assert data["gradient"]["x1"] == 5.5
    assert math.isclose(data["gradient"]["x2"], 2 - math.cos(5), rel_tol=1e-12)
    assert data["tangents"]["x1"][-1] == 5.5 and len(data["tangents"]["x2"]) == len(data["nodes"])


def test_forward_mode_table_shows_the_tangent_sums():
    r = invoke("grad", SURVEY, "--at", "x1=2,x2=5", "--mode", "forward", "--wrt", "x2", env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.stderr
    assert "seeded at x2" in r.stdout and "1 × 2 - 1 × 0.283662 = 1.71634" in r.stdout
    assert "Backward pass" not in r.stdout


def test_forward_mode_with_other_formats_is_refused():
    r = invoke("grad", "x*y", "--at", "x=1,y=2", "--mode", "forward", "--tree")
    assert r.exit_code == 2 and "--mode forward" in r.stderr


# ---------------------------------------------------------------- grad --symbolic


def test_symbolic_json_gives_each_closed_form_and_its_value():
    pytest.importorskip("sympy")
    r = invoke("grad", SURVEY, "--at", "x1=2,x2=5", "--symbolic", "--json")
    assert r.exit_code == 0, r.stderr
    symbolic = strict(r.stdout)["symbolic"]
    assert symbolic["x1"] == {"expr": "x2 + 1/x1", "value": 5.5}
    assert symbolic["x2"]["expr"] == "x1 - cos(x2)"
    assert math.isclose(symbolic["x2"]["value"], 2 - math.cos(5), rel_tol=1e-12)


def test_symbolic_table_sits_beside_the_summary():
    pytest.importorskip("sympy")
    r = invoke("grad", "max(0, 1 - w*phi*y)", "--at", "w=0.5,phi=1,y=1", "--symbolic")
    assert r.exit_code == 0, r.stderr
    assert "Closed forms" in r.stdout and "Heaviside(-phi*w*y + 1, 0)" in r.stdout


def test_a_closed_form_that_disagrees_is_exit_70(monkeypatch):
    pytest.importorskip("sympy")
    from bpcalc import symbolic

    monkeypatch.setitem(symbolic.SYMPY, "sin", lambda S, a: S.cos(a))  # a wrong rule: sin as cos
    r = invoke("grad", "sin(x)", "--at", "x=1", "--symbolic")
    assert r.exit_code == 70 and "one of them is wrong" in r.stderr and "bug" in r.stderr


# ---------------------------------------------------------------- grad --exact


def test_exact_json_has_the_fractions_beside_the_float_run():
    r = invoke("grad", "q = x + y; f = q * z", "--at", "x=1/3,y=0.25,z=-4", "--exact", "--json")
    assert r.exit_code == 0, r.stderr
    data = strict(r.stdout)
    x, y, z = F(1, 3), F(1, 4), F(-4)
    assert data["exact"] == {"value": str((x + y) * z), "gradient": {"x": str(z), "y": str(z), "z": str(x + y)}}
    assert data["exact"]["gradient"]["z"] == "7/12"
    plain = strict(invoke("grad", "q = x + y; f = q * z", "--at", f"x={1/3!r},y=0.25,z=-4", "--json").stdout)
    exact_fields = dict(data)
    del exact_fields["exact"]
    assert exact_fields == plain  # every float field is the float run's


@pytest.mark.parametrize("k", [0, 1, 3, 4, 5, 6, 8, 10])  # the worked examples whose numbers are all rational
def test_exact_on_the_worked_examples_matches_their_values(k):
    example = WORKED[k]
    at = ",".join(f"{name}={value!r}" for name, value in example["at"].items())
    r = invoke("grad", example["expr"], "--at", at, "--exact", "--json")
    assert r.exit_code == 0, r.stderr
    data = strict(r.stdout)
    assert F(data["exact"]["value"]) == F(repr(example["value"]))  # the documented decimals are the exact values
    for name, value in example["gradient"].items():
        assert F(data["exact"]["gradient"][name]) == F(repr(value)), name
    assert data["value"] == pytest.approx(example["value"], rel=1e-12)


def test_exact_tables_and_latex_show_fractions():
    r = invoke("grad", "(x+y)*z", "--at", "x=1/3,y=0.25,z=-4", "--exact")
    assert r.exit_code == 0 and "7/12" in r.stdout and "-7/3" in r.stdout
    r = invoke("grad", "(x+y)*z", "--at", "x=1/3,y=0.25,z=-4", "--exact", "--format", "latex")
    assert r.exit_code == 0 and "\\frac{7}{12}" in r.stdout and "-\\frac{7}{3}" in r.stdout


def test_exact_refuses_what_leaves_the_rationals_exit_2():
    r = invoke("grad", "sigmoid(w*x)", "--at", "w=1,x=2", "--exact")
    assert r.exit_code == 2 and "sigmoid leaves the rationals" in r.stderr and "node" in r.stderr
    r = invoke("grad", "(x+1/3)^100000", "--at", "x=1/2", "--exact")
    assert r.exit_code == 2 and "4096" in r.stderr


def test_key_exact(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text(
        'title = "hw"\n[[problems]]\nid = "1"\nexpression = "q = x + y; f = q * z"\nat = "x=0.1, y=0.25, z=-4"\n'
        'ask = ["q", "df/dz", "df/dx"]\n', encoding="utf-8")
    r = invoke("key", str(path), "--exact", "--json")
    assert r.exit_code == 0, r.stderr
    answers = {a["asked"]: a["exact"] for a in strict(r.stdout)["problems"][0]["answers"]}
    assert answers == {"q": str(F(1, 10) + F(1, 4)), "df/dz": "7/20", "df/dx": "-4"}
    r = invoke("key", str(path), "--exact")
    assert "7/20" in r.stdout


# ---------------------------------------------------------------- bpcalc diff


def test_diff_text_json_and_latex():
    pytest.importorskip("sympy")
    r = invoke("diff", SURVEY)
    assert r.exit_code == 0, r.stderr
    assert "∂f/∂x1 = x2 + 1/x1" in r.stdout and "∂f/∂x2 = x1 - cos(x2)" in r.stdout
    data = strict(invoke("diff", "max(0, 1 - w*phi*y)", "--wrt", "w", "--json").stdout)
    assert data["schema"] == "bpcalc.diff/1" and data["derivative"] == {"w": "-phi*y*Heaviside(-phi*w*y + 1, 0)"}
    assert "\\left[" in data["latex"]["w"]
    r = invoke("diff", SURVEY, "--format", "latex", "--standalone")
    assert r.exit_code == 0 and "\\begin{document}" in r.stdout and "\\frac{\\partial f}{\\partial x_{1}}" in r.stdout


def test_diff_keep_names_and_stats():
    pytest.importorskip("sympy")
    r = invoke("diff", "q = x + y; f = q * z", "--keep-names")
    assert "q(x, y) = x + y" in r.stdout and "Derivative(q(x, y), x)" in r.stdout
    program = "; ".join(f"l{i} = 4*l{i - 1}*(1-l{i - 1})" for i in range(1, 5))
    data = strict(invoke("diff", program, "--stats", "--json").stdout)
    assert data["stats"]["nodes"] == 21 and data["stats"]["derivative"]["l0"]["raw"] > 100
    r = invoke("diff", "; ".join(f"l{i} = 4*l{i - 1}*(1-l{i - 1})" for i in range(1, 13)), "--stats")
    assert r.exit_code == 2 and "stops at" in r.stderr


def test_diff_without_sympy_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    r = invoke("diff", "x*y")
    assert r.exit_code == 2 and 'pip install sympy' in r.stderr


# ---------------------------------------------------------------- bpcalc hessian


def test_hessian_json_on_the_survey_example():
    r = invoke("hessian", SURVEY, "--at", "x1=2,x2=5", "--json")
    assert r.exit_code == 0, r.stderr
    data = strict(r.stdout)
    assert data["schema"] == "bpcalc.hessian/1" and data["names"] == ["x1", "x2"]
    assert data["hessian"][0] == [-0.25, 1] and data["hessian"][1][0] == 1
    assert math.isclose(data["hessian"][1][1], math.sin(5), rel_tol=1e-12)
    assert data["gradient"]["x1"] == 5.5


def test_hessian_at_a_kink_warns():
    r = invoke("hessian", "relu(x)*y", "--at", "x=0,y=2")
    assert r.exit_code == 0 and "second derivatives" in r.stderr and "Hessian" in r.stdout
