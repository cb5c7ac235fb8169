"""Tests for bpcalc/render/explain_html.py: explain's self-contained page (browser tests: test_explain_browser.py)."""

from __future__ import annotations

import json
import re
import sys

import pytest
from worked import needs_graphviz

import bpcalc
from bpcalc.render.explain_html import NEEDS, PAGE_IDS, page, picture

HEADLINE = ("(x+y)*z", "x=-2,y=5,z=-4")


def headline_page() -> str:
    result = bpcalc.grad(*HEADLINE)
    return page(result, 6, *picture(result))


def schedule(html: str) -> dict:
    data = re.search(r'<script type="application/json" class="bpx-data">\n(.*?)\n</script>', html, re.DOTALL).group(1)
    return json.loads(data)


def test_headline_page_is_small_and_self_contained():
    needs_graphviz()
    html = headline_page()
    assert len(html.encode("utf-8")) < 40_000  # the issue asks for well under 100 KB
    assert "<svg" in html and 'id="bpcalc-step"' in html and 'aria-live="polite"' in html
    # nothing to fetch: no src or link, no url() in styles, no href but the page's own steps
    assert not re.search(r"\bsrc\s*=|<link|@import|url\(", html, re.IGNORECASE)
    assert set(re.findall(r'href="([^"#]*)', html)) <= {""}
    # the only addresses are the SVG namespaces, which are names, not requests
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_svg_nodes_and_edges_carry_ids():
    needs_graphviz()
    svg, note = picture(bpcalc.grad(*HEADLINE))
    assert note == "" and svg.startswith("<svg")
    # Graphviz keeps the DOT ids: node 4 is f, e4_0 the edge into f's first input (n1), out the output's edge
    for name in ("n0", "n2", "n4", "e2_0", "e2_1", "e4_0", "e4_1", "out"):
        assert f'id="{PAGE_IDS}{name}"' in svg, name


def test_without_graphviz_the_page_says_what_the_picture_needs(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    result = bpcalc.grad(*HEADLINE)
    svg, note = picture(result)
    assert svg is None and note == NEEDS and 'pip install graphviz' in note
    html = page(result, 6, svg, note)
    assert "<svg" not in html and 'pip install graphviz' in html
    assert "Forward pass" in html and 'id="bpcalc-step"' in html and "<script>" in html


def test_schedule_of_the_headline():
    html = page(bpcalc.grad(*HEADLINE), 6, None, "")
    data = schedule(html)
    show = dict(data["show"])
    # steps from 0: x, y, n1, z, f forward (0-4); start (5); f->n1, f->z, n1->x, n1->y (6-9); done (10)
    assert show["f2"] == 2 and show["e2_0:v"] == 0 and show["e4_0:v"] == 2 and show["out:v"] == 4
    assert show["out:g"] == 5 and show["e4_0:g"] == 6 and show["e4_1:g"] == 7 and show["e2_1:g"] == 9
    assert show["b4_0"] == 6 and show["b2_1"] == 9 and show["s0"] == 10
    texts = dict(data["text"])
    assert texts["u4"] == [[5, "1"]] and texts["u2"] == [[6, "-4"]] and texts["u0"] == [[8, "-4"]]
    assert data["lights"][6] == ["n4", "n2", "e4_0", "b4_0", "b2_0"]
    assert len(data["lights"]) == 11


def test_fanout_sum_grows_in_the_table_and_the_picture():
    data = schedule(page(bpcalc.grad("x*x + x", at="x=3"), 6, None, ""))
    texts = dict(data["text"])
    # x receives 1 from f (step 5), then 3 and 3 from n1 (steps 6, 7)
    assert texts["u0"] == [[5, "1"], [6, "3 + 1 = 4"], [7, "3 + 3 + 1 = 7"]]
    assert texts["n0:s"] == [[5, "Σ 1"], [6, "Σ 4"], [7, "Σ 7"]]


def test_text_is_escaped():
    html = page(bpcalc.grad("max(x, y)", at="x=2,y=1"), 6, None, "")
    assert "[x &gt; y] = 1" in html and "[x > y]" not in html


def test_kinks_are_marked_on_their_steps():
    html = page(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1"), 6, None, "")
    assert html.count('class="k"') == 2  # the forward and the one backward step of f
    assert 'class="bpx-kinkwarn"' in html


def test_render_bounds_the_picture_and_the_page(monkeypatch):
    from bpcalc.errors import InputError
    from bpcalc.render import explain_html

    result = bpcalc.grad(" + ".join(f"x{k}" for k in range(10)), at=",".join(f"x{k}=1" for k in range(10)))  # 19 nodes
    html = explain_html.render(result, 6, max_nodes=5)
    assert "<svg" not in html and "19 nodes, more than --max-nodes 5: no picture" in html
    monkeypatch.setattr(explain_html, "PAGE_MAX_NODES", 10)
    with pytest.raises(InputError, match="19 nodes"):
        explain_html.render(result)
