"""Tests for bpcalc/render/notebook.py: a Result shows itself in Jupyter as the picture and the step tables."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from worked import needs_graphviz

import bpcalc
from bpcalc.render import notebook


def test_import_bpcalc_imports_no_graphviz_and_no_rich():
    code = "import sys, bpcalc; print(sorted(m for m in sys.modules if m.split('.')[0] in ('graphviz', 'rich')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_bundle_holds_the_stepper_png_markdown_and_latex_and_the_svg_once():
    needs_graphviz()
    result = bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")
    data = result._repr_mimebundle_()
    # text/plain: issue 10 item 20
    assert set(data) == {"text/plain", "text/html", "image/png", "text/markdown", "text/latex"}
    html = data["text/html"]
    assert html.count("<svg") == 1 and "∂ &#45;4" in html  # Graphviz writes - as &#45;
    assert html.index("<svg") < html.index("Forward pass") < html.index("Backward pass")
    assert 'aria-live="polite"' in html and "<script>" in html
    assert data["image/png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert "| `f` | 1 | `n1` | `z` = -4 | 1 × -4 = -4 |" in data["text/markdown"]
    assert "\\begin{longtable}{lllll}" in data["text/latex"] and "1 \\ensuremath{\\times} -4 = -4" in data["text/latex"]
    # a frontend that takes no HTML gets the picture as SVG instead
    assert "image/svg+xml" in result._repr_mimebundle_(exclude={"text/html"})
    assert bpcalc.render.notebook.svg(result).startswith("<svg")


def test_two_displays_get_their_own_ids():
    needs_graphviz()
    result = bpcalc.grad("x*x + x", at="x=3")
    first, second = notebook.html(result), notebook.html(result)
    root = lambda html: re.match(r'<div id="(bpx[0-9a-f]{8})"', html).group(1)  # noqa: E731
    assert root(first) != root(second)
    assert f'id="{root(first)}_n0"' in first and f'id="{root(first)}_n0"' not in second
    assert "@@" not in first and 'id="bpcalc-step"' not in first  # that id is the page's alone
    assert f'id="{root(first)}-step"' in first


def test_text_columns_are_left_aligned_against_jupyterlab():
    html = bpcalc.grad("x*x + x", at="x=3")._repr_html_()
    root = re.match(r'<div id="(bpx[0-9a-f]{8})"', html).group(1)
    # JupyterLab's .jp-RenderedHTMLCommon td (specificity 0,1,1) right-aligns every cell; an id rule beats it
    assert f"#{root} table th,#{root} table td{{padding:2px 12px;text-align:left" in html
    assert '<td class="c r v">3</td>' in html  # numbers stay right-aligned (c: shown from its step on)


def test_without_graphviz_html_says_how_to_get_the_picture(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    result = bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")
    data = result._repr_mimebundle_()
    assert "image/png" not in data and "image/svg+xml" not in data
    html = data["text/html"]
    assert "<svg" not in html and 'pip install graphviz' in html and "Forward pass" in html
    assert 'pip install graphviz' in data["text/markdown"]


def test_big_graphs_get_the_tables_and_a_note(monkeypatch):
    assert notebook.MAX_NODES == 150
    result = bpcalc.grad(" + ".join(["x*2"] * 55), at="x=1")  # x, 55 twos, 55 products, 54 sums: 165 nodes
    data = result._repr_mimebundle_()
    assert "image/png" not in data and "<svg" not in data["text/html"]
    assert "165 nodes, too many to draw in a notebook cell" in data["text/html"] and "-o graph.svg" in data["text/html"]
    assert "Backward pass" in data["text/html"]


def test_kink_warnings_are_shown():
    result = bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1")
    data = result._repr_mimebundle_(exclude={"image/png"})
    assert "is at a kink" in data["text/html"] and 'class="bpx-kinkwarn"' in data["text/html"]
    assert "is at a kink" in data["text/markdown"] and "is at a kink" in data["text/latex"]


def test_kinks_are_marked_in_the_tables_and_listed_once(monkeypatch):
    result = bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1")  # the hinge at margin exactly 1
    md = notebook.markdown_text(result)
    tex = notebook.latex_text(result)
    assert "| `f` | 1 | `n3` | `[0 < n3]` = 0 (kink 1) | 1 × 0 = 0 |" in md  # the course's indicator: 0 at the tie
    assert "f & 1 & n3 & [0 < n3] = 0 (kink 1) & 1 \\ensuremath{\\times} 0 = 0 \\\\" in tex
    # the warning's words, once each (not again in the list of other warnings), with the convention
    assert md.count("is at a kink") == 1 and tex.count("is at a kink") == 1
    item = "1. f = max(0, 1 - w\\*phi\\*y) is at a kink (its inputs tie at 0; ∂f/∂n3 is 0 from below and 1 from above)"
    assert item in md
    assert "\\item[kink 1] f = max(0, 1 - w*phi*y) is at a kink" in tex
    assert "a tie gives 0 to both inputs, as the course's indicator rule does" in md
    assert "a tie gives 0 to both inputs, as the course's indicator rule does (-{}-tie split" in tex


def test_tie_split_is_said_in_the_notebook():
    result = bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1", tie="split")
    md, tex = notebook.markdown_text(result), notebook.latex_text(result)
    assert "`[0 < n3]` = 0.5 (kink 1)" in md and "[0 < n3] = 0.5 (kink 1)" in tex  # ½ to each input of the tie
    assert "Computed with --tie split: 1/2 to each input at a max/min tie." in md
    assert "Computed with -{}-tie split: 1/2 to each input at a max/min tie." in tex
    assert "from above); --tie split: 1/2 to each input" in md


def test_other_warnings_are_escaped_markdown():
    result = bpcalc.grad("_f_ = x*x; g = y*2", at="x=1,y=3")
    assert "'_f_' is assigned but the output does not use it" in [w.message for w in result.warnings]
    md = notebook.markdown_text(result)
    assert "- '\\_f\\_' is assigned but the output does not use it" in md  # not 'f' in italics


def test_cells_are_escaped():
    result = bpcalc.grad("max(x, y)", at="x=2,y=1")
    html = result._repr_html_()
    assert "[x &gt; y] = 1" in html and "[x > y]" not in html


def _executed_notebook(monkeypatch, tmp_path):
    """Three results displayed in a notebook run by a real kernel (nbclient, ipykernel)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = str(Path(__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('import bpcalc\nbpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")'),
        nbformat.v4.new_code_cell('bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1")'),
        nbformat.v4.new_code_cell('bpcalc.grad(" + ".join(["x*2"] * 55), at="x=1")'),
    ]
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return nb


def test_a_notebook_shows_results(monkeypatch, tmp_path):
    needs_graphviz()
    nb = _executed_notebook(monkeypatch, tmp_path)
    outputs = [cell.outputs for cell in nb.cells]
    assert all(len(o) == 1 and o[0].output_type == "execute_result" for o in outputs), outputs
    headline, kink, big = (o[0].data for o in outputs)
    assert set(headline) == {"text/html", "image/png", "text/markdown", "text/latex", "text/plain"}
    assert headline["text/html"].count("<svg") == 1  # the SVG stored once
    assert "image/svg+xml" not in headline
    assert "1 × -4 = -4" in headline["text/markdown"] and "longtable" in headline["text/latex"]
    roots = [re.match(r'<div id="(bpx[0-9a-f]{8})"', d["text/html"]).group(1) for d in (headline, kink, big)]
    assert len(set(roots)) == 3
    assert "is at a kink" in kink["text/html"] and "is at a kink" in kink["text/latex"]
    assert "image/png" not in big and "too many to draw in a notebook cell" in big["text/html"]
    nbformat = pytest.importorskip("nbformat")
    path = tmp_path / "shown.ipynb"
    nbformat.write(nb, str(path))
    nbconvert = pytest.importorskip("nbconvert")
    tex, _ = nbconvert.LatexExporter().from_notebook_node(nb)  # what --to pdf compiles
    assert tex.count("\\begin{longtable}{lllll}") == 3 and "\\ensuremath{\\partial}f/\\ensuremath{\\partial}node" in tex
    assert (
        "\\includegraphics{" not in tex and "\\adjustimage" not in tex
    )  # the tables, not an image (an SVG needs Inkscape)
    if shutil.which("xelatex"):  # nbconvert's PDF, where TeX is installed
        proc = subprocess.run(
            [sys.executable, "-m", "nbconvert", "--to", "pdf", str(path)], capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert (tmp_path / "shown.pdf").stat().st_size > 1000
