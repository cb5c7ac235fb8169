"""explain's page in a real browser: Playwright for Python driving Debian's Chromium (one launch for the module).

Skipped when Playwright or Chromium is missing, unless BPCALC_REQUIRE_BROWSER=1
(as .ci/run sets), which makes them fail instead. The browser is /usr/bin/chromium
or $BPCALC_CHROMIUM; Playwright's own browser download is never used.
"""
from __future__ import annotations

import os
import shutil
import sys
import time

import pytest
from test_render_explain import FANOUT, HEADLINE
from worked import needs_graphviz

import bpcalc
from bpcalc.render.explain_html import NEEDS, PAGE_IDS, page, picture

REQUIRED = os.environ.get("BPCALC_REQUIRE_BROWSER") == "1"


def _chromium() -> str | None:
    return os.environ.get("BPCALC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        (pytest.fail if REQUIRED else pytest.skip)("Playwright for Python is not installed (pip install playwright)")
    path = _chromium()
    if path is None:
        (pytest.fail if REQUIRED else pytest.skip)("no Chromium: apt-get install chromium, or set BPCALC_CHROMIUM")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


class Page:
    """One page in an offline context that records every request and every script error."""

    def __init__(self, browser, path, hash: str = ""):
        self.context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = path.as_uri()
        self.page.goto(self.url + hash)

    def sentence(self) -> str:
        return self.page.inner_text("#bpcalc-step")

    def lit(self) -> set[str]:
        """Ids of the highlighted elements (the step list's item has none)."""
        return set(self.page.eval_on_selector_all(".bpx-on[id]", "els => els.map(e => e.id)"))

    def visible(self, selector: str) -> list[bool]:
        return self.page.eval_on_selector_all(
            selector, "els => els.map(e => getComputedStyle(e).visibility === 'visible')"
        )

    def texts(self, selector: str) -> list[str]:
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")

    def close(self):
        assert self.errors == []
        assert self.requests == [self.url] or set(self.requests) == {self.url}, self.requests  # the page itself only
        self.context.close()


def write(tmp_path, expr: str, at: str, graphviz: bool = True):
    result = bpcalc.grad(expr, at=at)
    svg, note = picture(result) if graphviz else (None, NEEDS)
    path = tmp_path / "page.html"
    path.write_text(page(result, 6, svg, note), encoding="utf-8")
    return path


def ids(*names: str) -> set[str]:
    return {PAGE_IDS + name for name in names}


# What each step of (x+y)*z highlights, by hand: nodes x0 y1 n1=2 z3 f4; e<node>_<input position>.
HEADLINE_LIT = [
    ids("n0", "f0"),
    ids("n1", "f1"),
    ids("n2", "e2_0", "e2_1", "f2"),
    ids("n3", "f3"),
    ids("n4", "e4_0", "e4_1", "f4"),
    ids("n4", "out", "b4_0"),  # the start: f's first backward row holds its upstream 1
    ids("n4", "n2", "e4_0", "b4_0", "b2_0"),
    ids("n4", "n3", "e4_1", "b4_1", "b3_n"),
    ids("n2", "n0", "e2_0", "b2_0", "b0_n"),
    ids("n2", "n1", "e2_1", "b2_1", "b1_n"),
    ids("n4", "out", "s0", "s1", "s2"),
]


def test_headline_step_by_step(browser, tmp_path):
    needs_graphviz()
    view = Page(browser, write(tmp_path, "(x+y)*z", "x=-2,y=5,z=-4"))
    grad_of = f"#{PAGE_IDS}e4_0 text[fill='#cf222e']"  # ∂ -4 on the edge n1 -> f
    for n, (sentence, lit) in enumerate(zip(HEADLINE, HEADLINE_LIT), 1):
        assert view.sentence() == sentence, n
        assert view.lit() == lit, n
        assert view.page.inner_text(".bpx-count") == f"Step {n} of 11"
        assert view.page.evaluate("location.hash") == ("" if n == 1 else f"#step={n}")
        # the value 3 of n1 shows on its edge from step 3 on; the gradient -4 on it from step 7 on
        assert view.visible(f"#{PAGE_IDS}e4_0 text[fill='#1a7f37']") == [n >= 3]
        assert view.visible(grad_of) == [n >= 7]
        assert view.visible(f"#{PAGE_IDS}f2 td.c") == [n >= 3]  # n1's value in the forward table
        if n < len(HEADLINE):
            view.page.get_by_role("button", name="Next step").click()
    assert view.page.get_by_role("button", name="Next step").is_disabled()
    view.page.keyboard.press("ArrowRight")  # on the last step: stays there
    assert view.sentence() == HEADLINE[-1]
    assert view.texts(grad_of) == ["∂ -4"]
    view.close()


def test_fanout_sum_grows(browser, tmp_path):
    needs_graphviz()
    view = Page(browser, write(tmp_path, "x*x + x", "x=3"))
    sigma = f"#{PAGE_IDS}n0 text[fill='#cf222e']"
    cell = f"#{PAGE_IDS}u0"
    seen = []
    for n, sentence in enumerate(FANOUT, 1):
        assert view.sentence() == sentence, n
        seen.append((view.visible(sigma)[0], view.texts(sigma)[0], view.visible(cell)[0], view.texts(cell)[0]))
        view.page.keyboard.press("ArrowRight")
    # x (node 0) receives 1 at step 6, then 3 at step 7 and 3 at step 8
    assert [s[1] for s in seen[5:]] == ["Σ 1", "Σ 4", "Σ 7", "Σ 7"] and not any(s[0] for s in seen[:5])
    assert [s[3] for s in seen[5:]] == ["1", "3 + 1 = 4", "3 + 3 + 1 = 7", "3 + 3 + 1 = 7"] and not any(
        s[2] for s in seen[:5]
    )
    # at step 7 the first of x's two edges into n1 (x*x) carries its ∂ 3, the second not yet
    view.page.goto(view.url + "#step=7")
    view.page.reload()
    assert view.visible(f"#{PAGE_IDS}e1_0 text[fill='#cf222e']") == [True]
    assert view.visible(f"#{PAGE_IDS}e1_1 text[fill='#cf222e']") == [False]
    assert view.lit() == ids("n1", "n0", "e1_0", "b1_0", "b0_n")
    view.close()


def test_keyboard_slider_and_address(browser, tmp_path):
    needs_graphviz()
    view = Page(browser, write(tmp_path, "(x+y)*z", "x=-2,y=5,z=-4"), "#step=7")
    p = view.page
    assert view.sentence() == HEADLINE[6]
    p.keyboard.press("ArrowRight")
    assert view.sentence() == HEADLINE[7] and p.evaluate("location.hash") == "#step=8"
    p.keyboard.press(" ")
    assert view.sentence() == HEADLINE[8]
    p.keyboard.press("ArrowLeft")
    p.keyboard.press("ArrowLeft")
    assert view.sentence() == HEADLINE[6]
    p.keyboard.press("End")
    assert view.sentence() == HEADLINE[10]
    p.keyboard.press("Home")
    assert view.sentence() == HEADLINE[0] and p.evaluate("location.hash") == "#step=1"
    p.get_by_role("button", name="Last step").click()
    assert view.sentence() == HEADLINE[10]
    p.get_by_role("button", name="First step").click()
    assert view.sentence() == HEADLINE[0] and p.get_by_role("button", name="Previous step").is_disabled()
    slider = p.get_by_role("slider", name="Step")
    slider.fill("5")
    assert view.sentence() == HEADLINE[4]
    slider.focus()
    p.keyboard.press("ArrowRight")  # the slider's own key: one step, not two
    assert view.sentence() == HEADLINE[5] and p.evaluate("location.hash") == "#step=6"
    p.reload()  # the address carries the step
    assert view.sentence() == HEADLINE[5]
    p.evaluate("location.hash = '#step=3'")
    p.wait_for_function("document.getElementById('bpcalc-step').textContent.startsWith('n1 =')")
    assert view.sentence() == HEADLINE[2]
    p.evaluate("location.hash = '#step=99'")  # past the end: the last step
    p.wait_for_function("document.getElementById('bpcalc-step').textContent.startsWith('Done')")
    # buttons are reachable with Tab and work with the keyboard
    p.keyboard.press("Home")
    p.get_by_role("button", name="Next step").focus()
    p.keyboard.press("Enter")
    assert view.sentence() == HEADLINE[1]
    p.keyboard.press(" ")  # space on a focused button presses that button, once
    assert view.sentence() == HEADLINE[2]
    assert p.get_attribute("#bpcalc-step", "aria-live") == "polite"
    view.close()


def test_without_graphviz_tables_and_stepper_work(browser, tmp_path):
    view = Page(browser, write(tmp_path, "x*x + x", "x=3", graphviz=False))
    assert 'pip install graphviz' in view.page.inner_text(".bpx-note")
    assert view.page.query_selector("svg") is None
    for sentence in FANOUT[:7]:
        assert view.sentence() == sentence
        view.page.keyboard.press("ArrowRight")
    assert view.texts(f"#{PAGE_IDS}u0") == ["3 + 3 + 1 = 7"]
    assert view.lit() == ids("b1_1", "b0_n")
    view.close()


def test_a_200_node_network_stays_responsive(browser, tmp_path):
    needs_graphviz()
    # a 4-6-6-1 tanh network: about 200 nodes, each weight used once, each hidden value fanned out
    xs = [f"x{i}" for i in range(4)]
    h1 = [f"h{j} = tanh({' + '.join(f'a{i}_{j}*{x}' for i, x in enumerate(xs))})" for j in range(6)]
    h2 = [f"g{j} = tanh({' + '.join(f'b{i}_{j}*h{i}' for i in range(6))})" for j in range(6)]
    out = "L = (" + " + ".join(f"c{j}*g{j}" for j in range(6)) + ")^2"
    program = "; ".join(h1 + h2 + [out])
    names = sorted(
        {
            w
            for w in program.replace("(", " ").replace(")", " ").replace("*", " ").split()
            if w[0] in "abcx" and w[1:2].isdigit()
        }
    )
    at = ",".join(f"{n}={0.1 * (k % 7 - 3)}" for k, n in enumerate(names))
    result = bpcalc.grad(program, at=at)
    assert 190 <= len(result.graph.nodes) <= 210
    path = tmp_path / "net.html"
    path.write_text(page(result, 6, *picture(result)), encoding="utf-8")
    assert path.stat().st_size < 1_500_000
    view = Page(browser, path)
    started = time.perf_counter()
    per_step = view.page.evaluate(
        """() => { const t = performance.now();
                   for (let i = 0; i < 200; i++) document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'}));
                   document.body.getBoundingClientRect();
                   return (performance.now() - t) / 200; }"""  # noqa: E501
    )
    assert per_step < 50, f"{per_step:.1f} ms a step"  # typically a few ms
    assert time.perf_counter() - started < 30
    assert view.page.inner_text(".bpx-count") == f"Step 201 of {len(view.texts('.bpx-list li'))}"
    view.close()


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("the browser tests use Debian's Chromium")


def test_two_notebook_displays_do_not_interfere(browser, tmp_path):
    from bpcalc.render import notebook

    needs_graphviz()
    shown = [notebook.html(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4")), notebook.html(bpcalc.grad("x*x + x", at="x=3"))]
    path = tmp_path / "notebook.html"
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        + "".join(shown)
        + '<p id="outside">text</p></body></html>'
    )
    view = Page(browser, path)
    p = view.page
    first, second = (p.locator(".bpx").nth(k) for k in (0, 1))
    sentence = lambda display: display.locator(".bpx-step").inner_text()  # noqa: E731
    assert (sentence(first), sentence(second)) == (HEADLINE[0], FANOUT[0])
    first.get_by_role("button", name="Next step").click()
    first.get_by_role("button", name="Next step").click()
    assert (sentence(first), sentence(second)) == (HEADLINE[2], FANOUT[0])
    p.keyboard.press("ArrowRight")  # focus is on the first display's button: only it moves
    assert (sentence(first), sentence(second)) == (HEADLINE[3], FANOUT[0])
    second.click(position={"x": 5, "y": 5})
    p.keyboard.press("End")
    assert (sentence(first), sentence(second)) == (HEADLINE[3], FANOUT[-1])
    assert p.evaluate("location.hash") == ""  # a notebook's address is not the stepper's
    p.locator("#outside").click()
    p.keyboard.press("ArrowRight")  # outside both displays: neither moves
    assert (sentence(first), sentence(second)) == (HEADLINE[3], FANOUT[-1])
    view.close()


def test_without_javascript_everything_shows(browser, tmp_path):
    needs_graphviz()
    context = browser.new_context(java_script_enabled=False, offline=True)
    p = context.new_page()
    p.goto(write(tmp_path, "x*x + x", "x=3").as_uri())
    hidden = p.eval_on_selector_all(
        "td, text", "els => els.filter(e => getComputedStyle(e).visibility !== 'visible').length"
    )
    assert hidden == 0 and "Σ 7" in p.text_content("svg")
    assert not p.is_visible(".bpx-controls") and not p.is_visible("#bpcalc-step")  # no stepper that cannot step
    assert p.locator(".bpx-list li").count() == len(FANOUT)
    context.close()
