"""Tests for bpcalc/render/dot.py: golden DOT for the worked examples, and real SVG, PNG and PDF from Graphviz.

The image tests skip without Graphviz, except in CI, which installs it and sets
BPCALC_REQUIRE_GRAPHVIZ=1 so that they must run.
"""
from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import pytest
from worked import CASES, check_golden, mlp, needs_graphviz

import bpcalc
from bpcalc.errors import BpcalcError, ExitCode
from bpcalc.render import dot

HEADLINE = ("(x+y)*z", "x=-2,y=5,z=-4")


def svg_texts(data: bytes) -> list[str]:
    """Every piece of text in an SVG, in document order."""
    root = ET.fromstring(data)
    return ["".join(el.itertext()).strip() for el in root.iter("{http://www.w3.org/2000/svg}text")]


# ---------------------------------------------------------------- DOT text (no Graphviz needed)


@pytest.mark.parametrize("example, name", CASES)
def test_golden_dot(example, name):
    check_golden("dot", f"{name}.dot", dot.source(bpcalc.grad(example["expr"], at=example["at"])))


def test_every_edge_carries_its_value_and_gradient():
    result = bpcalc.grad(*HEADLINE)
    text = dot.source(result)
    labels = re.findall(
        r'(n\d+) -> (n\d+|output) \[label=<<font color="#1a7f37">([^<]*)</font><br/>'
        r'<font color="#cf222e">∂ ([^<]*)</font>>[,\]]',
        text,
    )
    assert labels == [
        ("n0", "n2", "-2", "-4"),  # x into x+y: value -2, ∂f/∂x = -4
        ("n1", "n2", "5", "-4"),
        ("n2", "n4", "3", "-4"),  # x+y into the product
        ("n3", "n4", "-4", "3"),  # z
        ("n4", "output", "-12", "1"),  # the output leaves to the right with ∂f/∂f = 1
    ]


def test_left_to_right_and_labels():
    text = dot.source(bpcalc.grad("q = x + y; f = q * z", at="x=-2,y=5,z=-4"))
    assert "rankdir=LR" in text
    assert 'n2 [label=<<b>q</b><br/><font point-size="11">+</font>>' in text  # a named intermediate: name and op
    assert "n4 [label=<×>" in text  # the output's op; its name is at the end of its edge
    assert "output [shape=plaintext, label=<<b>f</b>>]" in text
    assert "n0 [label=<<b>x</b>>, shape=box" in text


def test_fan_out_is_one_edge_per_use_and_the_node_shows_the_sum():
    text = dot.source(bpcalc.grad("x*x + x", at="x=3"))
    assert len(re.findall(r"^  n0 -> ", text, re.M)) == 3  # x*x uses x twice, the sum once
    assert len(re.findall(r"^  n0 -> n1 ", text, re.M)) == 2
    assert "Σ 7" in text  # 3 + 3 + 1


def test_leaves_used_far_apart_are_drawn_once_per_use():
    result = bpcalc.grad("+".join(["x"] * 12), at="x=1")
    assert dot.spread_leaves(result) == {0}
    text = dot.source(result)
    assert "  n0 [" not in text and len(re.findall(r"^  n0_\d+ \[", text, re.M)) == 12
    assert text.count("Σ 12") == 12 and "dashed box: one of a value's uses" in text
    assert 'tooltip="x: use 12 of 12"' in text
    # close uses stay one node, so fan-out shows as edges leaving it
    assert dot.spread_leaves(bpcalc.grad("x*x + x", at="x=3")) == set()
    assert dot.spread_leaves(bpcalc.grad("+".join(["x"] * 7), at="x=1")) == set()


def test_long_chains_are_laid_out_in_seconds():
    needs_graphviz()
    import time

    start = time.perf_counter()
    dot.draw(bpcalc.grad("+".join(["x"] * 400), at="x=1"), "svg")  # took minutes before the leaf was spread
    assert time.perf_counter() - start < 30


def test_kink_nodes_are_marked():
    result = bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1")  # 1 - 1 = 0: a tie
    assert [w.kind for w in result.warnings] == ["kink"]
    text = dot.source(result)
    line = next(line for line in text.splitlines() if line.startswith("  n8 ["))
    assert "kink" in line and f'color="{dot.KINK}"' in line
    assert "orange: at a kink" in text
    assert "kink" not in dot.source(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=0.5,phi=1,y=1"))


def test_constants_and_edges_without_gradient():
    text = dot.source(bpcalc.grad("x^2 + 2*3", at="x=3"))
    assert "n1 [label=<2>, shape=plaintext" in text  # a literal shows its value
    assert re.search(r"n1 -> n2 \[style=dashed", text)  # and its edge carries no numbers
    # 2*3 depends on no variable: its edge has a value and no gradient
    assert re.search(r'n5 -> n6 \[label=<<font color="#1a7f37">6</font>>, style=dashed', text)
    assert 'tooltip="n1 → f"' in text  # hover text in an SVG names the edge's ends


def test_precision():
    text = dot.source(bpcalc.grad("x/3", at="x=1"), digits=3)
    assert ">0.333<" in text and "0.3333" not in text


def test_labels_are_escaped():
    assert dot.html('a<b & "c"') == "a&lt;b &amp; &quot;c&quot;"
    assert "<br" in dot.html("[[1, 2],\n [3, 4]]")  # a printed array with several lines


def test_an_unknown_op_is_labelled_by_name():
    assert dot.symbol("softmax") == "softmax" and dot.symbol("some_future_op") == "some_future_op"
    assert dot.symbol("mul") == "×"


def test_big_graphs_are_refused_before_layout():
    result = bpcalc.grad("x+" * 50 + "x", at="x=1")
    dot.check_size(result, 100)
    with pytest.raises(BpcalcError) as info:
        dot.check_size(result, 20)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert "--max-nodes 0" in str(info.value)
    dot.check_size(result, 0)  # no limit


# ---------------------------------------------------------------- without Graphviz


def test_missing_graphviz_package_is_a_clear_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError
    with pytest.raises(BpcalcError) as info:
        dot.draw(bpcalc.grad(*HEADLINE), "svg")
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert 'pip install graphviz' in str(info.value)
    assert "apt-get install graphviz" in str(info.value)


def test_missing_dot_program_is_a_clear_input_error(monkeypatch, tmp_path):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot
    with pytest.raises(BpcalcError) as info:
        dot.draw(bpcalc.grad(*HEADLINE), "png")
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert "dot program" in str(info.value) and "brew install graphviz" in str(info.value)


# ---------------------------------------------------------------- images, drawn by Graphviz


def test_svg_holds_the_values_and_gradients():
    needs_graphviz()
    data = dot.draw(bpcalc.grad(*HEADLINE), "svg")
    assert data.lstrip().startswith(b"<?xml") and b"<svg" in data
    texts = svg_texts(data)
    for shown in ["x", "y", "z", "+", "×", "f", "-2", "5", "3", "-4", "-12"]:
        assert shown in texts, shown
    assert sorted(t for t in texts if t.startswith("∂")) == ["∂ -4", "∂ -4", "∂ -4", "∂ 1", "∂ 3"]


def test_svg_of_a_fan_out_and_a_kink():
    needs_graphviz()
    texts = svg_texts(dot.draw(bpcalc.grad("x*x + x", at="x=3"), "svg"))
    assert "Σ 7" in texts
    assert sorted(t for t in texts if t.startswith("∂")) == ["∂ 1", "∂ 1", "∂ 1", "∂ 3", "∂ 3"]
    texts = svg_texts(dot.draw(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1"), "svg"))
    assert "kink" in texts


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF-")])
def test_png_and_pdf(fmt, magic):
    needs_graphviz()
    data = dot.draw(bpcalc.grad(*HEADLINE), fmt)
    assert data.startswith(magic)
    assert len(data) > 1000


def test_a_200_node_graph_is_drawn_with_every_number():
    needs_graphviz()
    expr, at = mlp(10)
    result = bpcalc.grad(expr, at=at)
    assert 150 <= len(result.graph.nodes) <= 250
    texts = svg_texts(dot.draw(result, "svg", digits=4))
    gradients = [t for t in texts if t.startswith("∂ ")]
    assert len(gradients) == len(result.steps) + 1  # one per step, and the output's own edge
    for name, grad in result.gradient.items():  # each variable's gradient: on its one edge, or as Σ at a fan-out
        shown = bpcalc.render.number(grad, 4)
        assert f"∂ {shown}" in texts or f"Σ {shown}" in texts, name
    assert "L" in texts and "tanh" in texts and "sigmoid" in texts


def test_dot_failure_is_reported(monkeypatch):
    needs_graphviz()
    with pytest.raises(BpcalcError) as info:
        dot.render_source("digraph { this is not DOT", "svg")
    assert "dot program failed" in str(info.value)


def test_the_caption_leaves_out_comments():
    # issue 10 item 15: a comment at a line's end too, and a line continued inside brackets joins with a space
    result = bpcalc.grad("# notes\na = x*x  # the square\nf = (a +\n  x)\n", at={"x": 3})
    assert dot.caption(result) == "a = x*x; f = (a + x)   at x = 3"
