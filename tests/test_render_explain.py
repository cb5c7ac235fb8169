"""Tests for bpcalc/render/explain.py: the steps `bpcalc explain` walks through, checked against passes by hand."""

from __future__ import annotations

import bpcalc
from bpcalc.render.explain import BACKWARD, DONE, FORWARD, apply, sentences, steps

# (x+y)*z at x=-2, y=5, z=-4, by hand: n1 = x + y = 3, f = n1·z = -12; back: f passes 1·z = -4 to n1
# and 1·n1 = 3 to z; n1 passes -4·1 to x and to y.
HEADLINE = [
    "x = -2, a variable given at the point.",
    "y = 5, a variable given at the point.",
    "n1 = x + y = -2 + 5 = 3.",
    "z = -4, a variable given at the point.",
    "f = n1 × z = 3 × -4 = -12.",
    "Backward pass: f starts with upstream ∂f/∂f = 1.",
    "f passes upstream 1 × local z = -4 = -4 to n1.",
    "f passes upstream 1 × local n1 = 3 = 3 to z.",
    "n1 passes upstream -4 × local 1 = -4 to x.",
    "n1 passes upstream -4 × local 1 = -4 to y.",
    "Done: f = -12; ∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3.",
]

# x*x + x at x=3: n1 = 9, f = 12. Backprop visits f first (1 to n1, 1 to x), then n1 (x = 3 to each of
# its two uses of x): x receives 1, then 3, then 3; the sums are written in the table's order, 3 + 3 + 1.
FANOUT = [
    "x = 3, a variable given at the point.",
    "n1 = x × x = 3 × 3 = 9.",
    "f = n1 + x = 9 + 3 = 12.",
    "Backward pass: f starts with upstream ∂f/∂f = 1.",
    "f passes upstream 1 × local 1 = 1 to n1.",
    "f passes upstream 1 × local 1 = 1 to x; x's grad so far: 1 (1 of 3 terms).",
    "n1 passes upstream 1 × local x = 3 = 3 to x; x's grad so far: 3 + 1 = 4 (2 of 3 terms).",
    "n1 passes upstream 1 × local x = 3 = 3 to x; x's grad: 3 + 3 + 1 = 7 (all 3 terms).",
    "Done: f = 12; ∂f/∂x = 7.",
]


def test_headline_sentences():
    assert sentences(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")) == HEADLINE


def test_fanout_running_sum():
    result = bpcalc.grad("x*x + x", at="x=3")
    assert sentences(result) == FANOUT
    into_x = [s for s in steps(result) if s.input == 0]
    assert [(s.grad, s.received, s.fan) for s in into_x] == [("1", 1, 3), ("3 + 1 = 4", 2, 3), ("3 + 3 + 1 = 7", 3, 3)]


def test_phases_nodes_and_positions():
    found = steps(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    assert [s.phase for s in found] == [FORWARD] * 5 + [BACKWARD] * 5 + [DONE]
    assert [s.node for s in found[:5]] == [0, 1, 2, 3, 4]
    # the start (no input), then f -> n1 (position 0), f -> z (1), n1 -> x (0), n1 -> y (1)
    assert [(s.node, s.input, s.position) for s in found[5:10]] == [
        (4, None, None),
        (4, 2, 0),
        (4, 3, 1),
        (2, 0, 0),
        (2, 1, 1),
    ]


def test_named_intermediates_keep_their_names():
    text = sentences(bpcalc.grad("q = x + y; f = q * z", at="x=-2,y=5,z=-4"))
    assert "q = x + y = -2 + 5 = 3." in text
    assert "f passes upstream 1 × local z = -4 = -4 to q." in text
    assert "q passes upstream -4 × local 1 = -4 to x." in text


def test_kink_is_marked_with_the_convention():
    # hinge at margin 1: max(0, 0) ties; the indicator rule gives 0 to n3
    result = bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1")
    found = steps(result)
    at_max = [s for s in found if s.node == len(result.graph.nodes) - 1 and s.phase != DONE]
    assert at_max[0].sentence == "f = max(0, n3) = max(0, 0) = 0, at a kink."
    back = [s for s in at_max if s.input is not None]
    assert len(back) == 1  # the constant 0 gets no gradient
    assert back[0].sentence.startswith(
        "f passes upstream 1 × local [0 < n3] = 0 = 0 to n3; at a kink: a tie gives 0 to both inputs"
    )
    assert back[0].kink.startswith("f = max(0, 1 - w*phi*y) is at a kink")
    split = steps(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1", tie="split"))
    assert any(
        s.sentence
        == "f passes upstream 1 × local [0 < n3] = 0.5 = 0.5 to n3; at a kink: --tie split: 1/2 to each input."
        for s in split
    )


def test_vectors_show_their_arrays():
    text = sentences(bpcalc.grad("max(0, 1 - (w @ phi)*y)", at="w=[0.5,-0.3],phi=[1,2],y=1"))
    assert "w = [0.5, -0.3], a variable given at the point." in text
    assert "n1 = w @ phi = -0.1." in text  # 0.5·1 - 0.3·2
    assert "n1 passes δ·phiᵀ = [-1, -2] to w (upstream δ = -1)." in text
    assert text[-1] == "Done: f = 1.1; ∂f/∂w = [-1, -2], ∂f/∂phi = [-0.5, 0.3], ∂f/∂y = 0.1."


def test_constants_and_nothing_to_backpropagate():
    assert sentences(bpcalc.grad("2+3", at={})) == [
        "2 is a constant.",
        "3 is a constant.",
        "f = 2 + 3 = 5.",
        "Backward pass: nothing flows back, f depends on no variable.",
        "Done: f = 5.",
    ]
    assert sentences(bpcalc.grad("pi*x", at="x=2"))[0] == "pi = 3.14159, the constant."


def test_long_summaries_are_shortened():
    names = [f"x{k}" for k in range(10)]
    result = bpcalc.grad(" + ".join(names), at=",".join(f"{n}=1" for n in names))
    assert sentences(result)[-1].endswith("∂f/∂x7 = 1, and 2 more in the summary table.")


def test_a_name_for_a_value():
    assert sentences(bpcalc.grad("q = x; f = q*x", at="x=3"))[1] == "q = x = 3."


def test_apply():
    assert apply("neg", ["x"]) == "-x"
    assert apply("sigmoid", ["n1"]) == "sigmoid(n1)"
    assert apply("array", ["a", "b"]) == "[a, b]"
    assert apply("index", ["W", "0", "1"]) == "W[0, 1]"
