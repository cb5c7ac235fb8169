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
        # an underscore with nothing before or after it: the name whole (was an empty base \\mathit{}_{...},
        # and w_ lost its underscore, so that it read as w)
        ("_w_", "\\mathit{\\_w\\_}"),
        ("_w", "\\mathit{\\_w}"),
        ("w_", "\\mathit{w\\_}"),
        ("_", "\\mathit{\\_}"),
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


# ---------------------------------------------------------------- kinks (issue 10 item 5)

HINGE = "max(0, 1 - w*phi*y)"  # at w = phi = y = 1 the margin is exactly 1: max(0, 0) ties
HINGE_AT = "w=1,phi=1,y=1"


def test_a_local_at_a_kink_is_tagged_and_the_note_names_the_convention():
    text = latex.render(bpcalc.grad(HINGE, at=HINGE_AT))
    # ∂f/∂n3 is the output's own local at the tie: [0 < n3] = 0 by the course's indicator rule
    assert f"{P('f', 'n_{3}')} &= 0 \\tag*{{kink 1}} \\\\" in text.splitlines()
    assert text.count("\\tag*") == 1  # the chain through n3 multiplies by 0, but takes no local at the kink
    notes = text[text.index("% Kinks"):]
    item = next(line for line in notes.splitlines() if line.startswith("\\item[kink 1] "))
    # errors.kink_notice's words, escaped: the node, the tie, the one-sided derivatives, the convention
    assert item.startswith("\\item[kink 1] f = max(0, 1 - w*phi*y) is at a kink (its inputs tie at 0; ")
    assert "\\ensuremath{\\partial}f/\\ensuremath{\\partial}n3 is 0 from below and 1 from above" in item
    assert "a tie gives 0 to both inputs, as the course's indicator rule does (-{}-tie split gives 1/2 each" in item
    assert "\\begin{description}" in notes and "\\end{description}" in notes


def test_tie_split_is_said_and_its_numbers_are_tagged():
    text = latex.render(bpcalc.grad(HINGE, at=HINGE_AT, tie="split"), standalone=True)
    lines = text.splitlines()
    assert f"{P('f', 'n_{3}')} &= 0.5 \\tag*{{kink 1}} \\\\" in lines  # ½ to each input of the tie
    assert f"{P('f', 'n_{2}')} &= {P('f', 'n_{3}')} \\, {P('n_{3}', 'n_{2}')} = (0.5)(-1) = -0.5 \\\\" in lines
    assert "\\subsection*{Kinks}" in lines
    item = next(line for line in lines if line.startswith("\\item[kink 1] "))
    assert item.endswith("; -{}-tie split: 1/2 to each input")
    assert "Computed with -{}-tie split: 1/2 to each input at a max/min tie." in lines
    # without a kink, --tie split still says which rule the document follows
    smooth = latex.render(bpcalc.grad("max(x, y)", at="x=2,y=1", tie="split"))
    assert "\\tag*" not in smooth
    assert smooth.endswith("% Kinks\nComputed with -{}-tie split: 1/2 to each input at a max/min tie.\n")


def test_several_kinks_on_one_line():
    # x feeds relu, abs and max at their kinks: ∂f/∂x sums three locals taken at kinks
    text = latex.render(bpcalc.grad("relu(x) + abs(x) + max(x, y)", at="x=0,y=0"))
    x_line = next(line for line in text.splitlines() if line.startswith(P("f", "x")))
    assert x_line.endswith("\\tag*{kinks 1, 2, 3}")
    items = [line for line in text.splitlines() if line.startswith("\\item[")]
    # numbered from the output back: max (the last node), then abs, then relu
    assert [item.split("] ")[1].split(" = ")[0] for item in items] == ["n4", "n2", "n1"]
    assert "relu'(0) = 0" in items[2] and "abs'(0) = 0" in items[1]


def test_no_kink_no_notes():
    text = latex.render(bpcalc.grad(HINGE, at="w=0.5,phi=1,y=1"))
    assert "kink" not in text.lower() and "\\tag" not in text


# ---------------------------------------------------------------- arrays in math mode (issue 10 item 24)


def test_vectors_and_matrices_are_bmatrices_and_matmul_is_cdot():
    text = latex.render(bpcalc.grad("max(0, 1 - (w @ phi)*y)", at="w=[0.5,-0.3],phi=[1,2],y=1"), standalone=True)
    assert "\\text{[" not in text and "@" not in text.split("\\begin{flushleft}")[1].split("\\end{flushleft}")[1]
    point = "w = \\begin{bmatrix} 0.5 & -0.3 \\end{bmatrix}, \\phi = \\begin{bmatrix} 1 & 2 \\end{bmatrix}, y = 1"
    assert f"at ${point}$" in text
    assert "n_{1} &= w \\cdot \\phi = -0.1 \\\\" in text  # w·φ = 0.5 - 0.6
    # ∂f/∂w = -φ·y = [-1, -2], ∂f/∂φ = -w·y = [-0.5, 0.3] (the worked examples' vector hinge)
    chain = f"{P('f', 'n_{1}')} \\, {P('n_{1}', 'w')}"
    assert f"{P('f', 'w')} &= {chain} = \\begin{{bmatrix}} -1 & -2 \\end{{bmatrix}}" in text
    assert "\\begin{bmatrix} -0.5 & 0.3 \\end{bmatrix}" in text


def test_a_matrix_has_rows_and_an_elementwise_product_is_odot():
    result = bpcalc.grad("sum(relu(W @ a))", at="W=[[1,-2],[3,4]],a=[1,1]")
    lines = latex.render(result).splitlines()
    assert "n_{1} &= W \\cdot a = \\begin{bmatrix} -1 & 7 \\end{bmatrix} \\\\" in lines  # [1-2, 3+4]
    # relu'(n1) = [0, 1]; ∂f/∂W = relu'(n1) aᵀ = [[0, 0], [1, 1]]
    odot = (
        "\\begin{bmatrix} 1 & 1 \\end{bmatrix} \\odot \\begin{bmatrix} 0 & 1 \\end{bmatrix}"
        " = \\begin{bmatrix} 0 & 1 \\end{bmatrix}"
    )
    assert any(line.endswith(odot + " \\\\") for line in lines)
    assert lines[-2].endswith("= \\begin{bmatrix} 0 & 0 \\\\ 1 & 1 \\end{bmatrix}")


def test_a_large_array_is_shortened_with_its_shape():
    import numpy as np

    assert latex.tex_value(np.arange(15.0).reshape(3, 5)) == (
        "\\begin{bmatrix} 0 & 1 & 2 & 3 & \\cdots \\end{bmatrix} \\; (3 \\times 5)"
    )
    assert latex.tex_value(np.array([[[1.0, -2.0]], [[3.0, 4.0]]])) == (
        "\\begin{bmatrix} \\begin{bmatrix} 1 & -2 \\end{bmatrix} & \\begin{bmatrix} 3 & 4 \\end{bmatrix} \\end{bmatrix}"
    )


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("which", ["fan-out", "example 10", "200 nodes", "kinks, --tie split", "arrays"])
def test_standalone_compiles(which, tmp_path):
    expr, at = {
        "fan-out": ("x*x + x  # a comment with $ & % _ ^ { } \\", "x=3"),
        "example 10": (
            "h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); L = (o - t)^2",
            "x=1.5,w1=0.7,b1=-0.2,w2=-1.3,b2=0.4,t=1",
        ),
        "200 nodes": mlp(10),
        "kinks, --tie split": ("a = relu(x) + abs(x) + max(x, y); f = a*a", "x=0,y=0"),
        "arrays": ("sum(relu(W @ a)) + sum(relu(a)*a) + sum(V @ a)", "W=[[1,-2],[3,4]],a=[0,1],V=[[1,2]]"),
    }[which]
    result = bpcalc.grad(expr, at=at, tie="split" if "split" in which else "indicator")
    (tmp_path / "key.tex").write_text(latex.render(result, standalone=True), encoding="utf-8")
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
