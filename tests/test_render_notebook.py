"""Tests for bpcalc/render/notebook.py: a Result shows itself in Jupyter as the picture and the step tables."""
from __future__ import annotations

import subprocess
import sys

import bpcalc
from bpcalc.render import notebook
from worked import needs_graphviz


def test_import_bpcalc_imports_no_graphviz_and_no_rich():
    code = "import sys, bpcalc; print(sorted(m for m in sys.modules if m.split('.')[0] in ('graphviz', 'rich')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_repr_svg_is_the_picture():
    needs_graphviz()
    result = bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")
    svg = result._repr_svg_()
    assert svg.startswith("<svg") and "∂ &#45;4" in svg  # Graphviz writes - as &#45;
    assert result._repr_svg_() is svg  # laid out once, though Jupyter asks for SVG and HTML


def test_repr_html_has_the_picture_and_the_tables():
    needs_graphviz()
    html = bpcalc.grad("x*x + x", at="x=3")._repr_html_()
    assert html.index("<svg") < html.index("Forward pass") < html.index("Backward pass")
    assert "<td style=\"color:#cf222e\">3 + 3 + 1 = 7</td>" in html
    assert "<td>x = 3</td>" in html


def test_without_graphviz_html_says_how_to_get_the_picture(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    result = bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")
    assert result._repr_svg_() is None  # IPython then uses the HTML
    html = result._repr_html_()
    assert "<svg" not in html and "bpcalc[graph]" in html and "Forward pass" in html


def test_big_graphs_get_the_tables_only(monkeypatch):
    monkeypatch.setattr(notebook, "MAX_NODES", 10)
    result = bpcalc.grad("x+" * 20 + "x", at="x=1")
    assert result._repr_svg_() is None
    assert "too many to draw here" in result._repr_html_()


def test_cells_are_escaped():
    result = bpcalc.grad("max(x, y)", at="x=2,y=1")
    html = result._repr_html_()
    assert "[x &gt; y] = 1" in html and "[x > y]" not in html
