"""Tests for bpcalc/render/latex.py: golden LaTeX, the chain rule with its numbers, and a document that compiles."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from worked import CASES, check_golden, mlp

import bpcalc
from bpcalc.render import latex


@pytest.mark.parametrize("example, name", CASES)
def test_golden_latex(example, name):
    check_golden("latex", f"{name}.tex", latex.render(bpcalc.grad(example["expr"], at=example["at"])))


def P(top: str, bottom: str) -> str:
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"


def test_the_chain_rule_as_the_course_writes_it():
    # ∂f/∂x = ∂f/∂q · ∂q/∂x = (−4)(1) = −4
    lines = latex.backward_lines(bpcalc.grad("q = x + y; f = q * z", at="x=-2,y=5,z=-4"))
    assert f"{P('f', 'x')} &= {P('f', 'q')} \\, {P('q', 'x')} = (-4)(1) = -4" in lines
    assert f"{P('f', 'q')} &= -4" in lines  # the output's local derivative: nothing to chain
    assert lines[0] == f"{P('f', 'f')} &= 1"


def test_the_sum_at_a_fan_out():
    lines = latex.backward_lines(bpcalc.grad("x*x + x", at="x=3"))
    local = f"\\left.{P('f', 'x')}\\right|_{{\\text{{local}}}}"
    chain = f"{P('f', 'n_{1}')} \\, {P('n_{1}', 'x')}"
    assert lines[-1] == f"{P('f', 'x')} &= {chain} + {chain} + {local} = (1)(3) + (1)(3) + (1) = 7"


def test_a_wide_fan_out_is_shortened_and_broken_over_lines():
    lines = latex.backward_lines(bpcalc.grad("x*x*x*x*x*x*x*x", at="x=1"))
    x_lines = lines[lines.index(next(line for line in lines if line.startswith(P("f", "x")))):]
    assert "\\cdots \\text{ (8 terms)}" in x_lines[1]
    assert x_lines[2].startswith("&= (") and x_lines[-1].endswith("= 8")


def test_forward_lines():
    lines = latex.forward_lines(bpcalc.grad("h = tanh(w1*x + b1); L = (h - t)^2", at="x=1,w1=2,b1=0,t=1"))
    assert lines[0] == "n_{1} &= w_{1} \\cdot x = 2"
    assert "h &= \\tanh(n_{2}) = 0.964028" in lines
    assert lines[-1] == "L &= n_{3}^{2} = 0.00129401"  # (tanh(2) - 1)^2


@pytest.mark.parametrize(
    "label, shown",
    [
        ("x", "x"),
        ("w1", "w_{1}"),
        ("w1_2", "w_{1,2}"),
        ("phi_2", "\\phi_{2}"),
        ("loss", "\\mathit{loss}"),
        ("x_hat", "x_{\\mathit{hat}}"),
    ],
)
def test_names(label, shown):
    assert latex.name(label) == shown


@pytest.mark.parametrize(
    "shown, tex",
    [
        ("-4", "-4"),
        ("0.25", "0.25"),
        ("1e-05", "1 \\times 10^{-5}"),
        ("-2.5e+20", "-2.5 \\times 10^{20}"),
        ("[1, 2]", "\\text{[1, 2]}"),
    ],
)
def test_numbers(shown, tex):
    assert latex.tex_number(shown) == tex


def test_text_is_escaped():
    assert latex.text("a_b^2 # 50% {x} \\ ~") == "a\\_b\\^{}2 \\# 50\\% \\{x\\} \\textbackslash{} \\~{}"


def test_standalone_is_a_document():
    text = latex.render(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"), standalone=True)
    assert text.startswith("\\documentclass{article}") and text.rstrip().endswith("\\end{document}")
    assert "\\usepackage{amsmath}" in text and text.count("\\begin{align*}") == 2
    fragment = latex.render(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    assert "\\documentclass" not in fragment and fragment.startswith("% bpcalc: (x+y)*z")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("which", ["fan-out", "example 10", "200 nodes"])
def test_standalone_compiles(which, tmp_path):
    expr, at = {
        "fan-out": ("x*x + x  # a comment with $ & % _ ^ { } \\", "x=3"),
        "example 10": (
            "h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); L = (o - t)^2",
            "x=1.5,w1=0.7,b1=-0.2,w2=-1.3,b2=0.4,t=1",
        ),
        "200 nodes": mlp(10),
    }[which]
    (tmp_path / "key.tex").write_text(latex.render(bpcalc.grad(expr, at=at), standalone=True), encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "key.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "key.pdf").stat().st_size > 1000
    assert "Overfull \\hbox" not in proc.stdout
