"""Tests for bpcalc/render/mermaid.py: golden Mermaid for the worked examples, and its structure."""
from __future__ import annotations

import re

import pytest
from worked import CASES, check_golden

import bpcalc
from bpcalc.render import mermaid


@pytest.mark.parametrize("example, name", CASES)
def test_golden_mermaid(example, name):
    check_golden("mermaid", f"{name}.mmd", mermaid.render(bpcalc.grad(example["expr"], at=example["at"])))


def edge_labels(text: str) -> list[tuple[str, str, str, str]]:
    """(from, to, value, gradient) for every edge that carries both."""
    pattern = (
        r"^  (n\d+) -->\|\"<span style='color:#1a7f37'>([^<]*)</span><br/>"
        r"<span style='color:#cf222e'>∂ ([^<]*)</span>\"\| (n\d+|output)$"
    )
    return [(a, b, value, grad) for a, value, grad, b in re.findall(pattern, text, re.M)]


def test_headline_edges():
    text = mermaid.render(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    assert "\nflowchart LR\n" in text
    assert edge_labels(text) == [
        ("n0", "n2", "-2", "-4"),
        ("n1", "n2", "5", "-4"),
        ("n2", "n4", "3", "-4"),
        ("n3", "n4", "-4", "3"),
        ("n4", "output", "-12", "1"),
    ]
    assert '  n2(("+"))' in text and '  n4(("×"))' in text
    assert "  class n0,n1,n3 var" in text


def test_fan_out_named_values_and_kinks():
    text = mermaid.render(bpcalc.grad("x*x + x", at="x=3"))
    assert len([e for e in edge_labels(text) if e[0] == "n0"]) == 3
    assert "Σ 7" in text
    text = mermaid.render(bpcalc.grad("q = x + y; f = q * z", at="x=-2,y=5,z=-4"))
    assert '  n2(["<b>q</b><br/>+"])' in text
    text = mermaid.render(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1"))
    assert "  class n8 kink" in text and ">kink</span>" in text


def test_constants_have_dotted_unlabelled_edges():
    text = mermaid.render(bpcalc.grad("x^2", at="x=3"))
    assert '  n1["2"]' in text
    assert "  n1 -.-> n2" in text


def test_label_text_is_escaped():
    assert mermaid.text('say "hi" <b> #1') == "say #quot;hi#quot; #lt;b#gt; #35;1"
