"""Tests for bpcalc/render/tree.py: the graph as a Rich tree, the output at the root."""
from __future__ import annotations

import io

import bpcalc
from bpcalc.render.table import console
from bpcalc.render.tree import render


def text(result, **options) -> str:
    buffer = io.StringIO()
    console(file=buffer, width=120, color_system=None).print(render(result, **options))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


def test_headline_tree():
    assert text(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")) == "\n".join([
        "f  mul  (x+y)*z   value -12   ∂f/∂f 1",
        "├── n1  add  x+y   value 3   ∂f/∂n1 -4",
        "│   ├── x   value -2   ∂f/∂x -4",
        "│   └── y   value 5   ∂f/∂y -4",
        "└── z   value -4   ∂f/∂z 3",
    ])


def test_fan_out_shows_each_use_and_a_shared_value_once():
    shown = text(bpcalc.grad("a = x*y; b = a + x; a*b", at="x=2,y=3"))
    assert shown.count("a  mul  x*y") == 2
    assert shown.count("(inputs shown above)") == 1
    assert shown.count("y   value 3") == 1  # a's inputs drawn once
    assert "x   value 2   ∂f/∂x 48   this use 42" in shown


def test_kinks_and_constants():
    shown = text(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1"))
    assert shown.splitlines()[0].endswith("at a kink")
    assert "0  const   value 0" in shown


def test_long_trees_stop_at_max_rows():
    result = bpcalc.grad("x+" * 30 + "x", at="x=1")
    shown = text(result, max_rows=5)
    assert "the rest is not shown" in shown
    assert len(shown.splitlines()) == 6
    assert "the rest" not in text(result, max_rows=0)


def test_deep_trees_need_no_recursion():
    result = bpcalc.grad("(" * 3000 + "x" + "+1)" * 3000, at="x=1")
    assert "the rest is not shown" in text(result, max_rows=50)
