"""How a Result shows itself in Jupyter: explain's stepper (HTML), and PNG, Markdown and LaTeX for other frontends.

Result._repr_mimebundle_ imports this module only when a notebook asks, so
`import bpcalc` imports neither Graphviz nor Rich. The bundle holds:
- text/html: the stepper of `bpcalc explain`'s page (explain_html.fragment)
  under a root id of its own, so two results in one notebook do not interfere;
  the SVG picture sits inside it, so it is stored once;
- image/png: the picture, for frontends and converters that take an image
  (`jupyter nbconvert --to pdf` needs no Inkscape);
- text/markdown and text/latex: the step tables (LaTeX's is what nbconvert's
  PDF shows), with the warnings;
- image/svg+xml only when the frontend excludes HTML.
Graphs of more than MAX_NODES nodes get the tables and a note on how to draw
the picture to a file.
"""
from __future__ import annotations

import re
import secrets
import weakref

from ..errors import BpcalcError
from ..graph import Result
from . import latex, markdown, rows
from .dot import draw, render_source
from .dot import source as dot_source
from .explain_html import NEEDS, fragment

DIGITS = 6
MAX_NODES = 150  # larger graphs get the tables only: a picture squeezed into a cell cannot be read
MAX_ROWS = 200  # rows per table before the middle is elided (Markdown and LaTeX; the stepper has all)
PLACEHOLDER = "@@bpcalc@@"  # the ids' prefix in the cached SVG; each display puts its own in
TOO_BIG = (
    "The graph has {n} nodes, too many to draw in a notebook cell. Draw it to a file: "
    "bpcalc graph EXPR --at ... -o graph.svg (or bpcalc explain ... -o page.html for this stepper with the picture), "
    'or from Python: open("graph.svg", "wb").write(bpcalc.render.dot.draw(result, "svg")).'
)

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # result -> {kind: (data or None, note)}


def _cached(result: Result, kind: str, make):
    store = _cache.setdefault(result, {})
    if kind not in store:
        store[kind] = make()
    return store[kind]


def _draw(result: Result, kind: str) -> tuple[object, str]:
    """SVG (with placeholder ids) or PNG bytes, or None and the reason there is none."""
    n = len(result.graph.nodes)
    if n > MAX_NODES:
        return None, TOO_BIG.format(n=n)
    try:
        if kind == "svg":
            data = render_source(dot_source(result, DIGITS, PLACEHOLDER), "svg").decode("utf-8")
            return data[data.find("<svg"):], ""  # without the XML prolog, so it can sit inside HTML
        return draw(result, "png", DIGITS), ""
    except BpcalcError as exc:
        if "graphviz" in exc.message.lower() or "dot program" in exc.message:
            return None, NEEDS
        return None, f"No picture: {exc.message}"
    except Exception as exc:  # a broken Graphviz must not hide the tables
        return None, f"Graphviz could not draw the graph: {type(exc).__name__}: {exc}"


def _svg(result: Result) -> tuple[str | None, str]:
    return _cached(result, "svg", lambda: _draw(result, "svg"))


def _png(result: Result) -> tuple[bytes | None, str]:
    return _cached(result, "png", lambda: _draw(result, "png"))


_ID = re.compile(r'id="(a_)?' + re.escape(PLACEHOLDER))


def html(result: Result) -> str:
    """The stepper with the picture and the tables, under a fresh root id."""
    root = "bpx" + secrets.token_hex(4)  # fresh per display: outputs of earlier kernels stay in the notebook
    ids = root + "_"
    picture, note = _svg(result)
    if picture is not None:
        picture = _ID.sub(lambda m: f'id="{m.group(1) or ""}{ids}', picture)
    return fragment(result, root, ids, DIGITS, picture, note, standalone=False)


def svg(result: Result) -> str | None:
    """The picture alone as SVG markup, or None."""
    picture, _ = _svg(result)
    return None if picture is None else _ID.sub(lambda m: f'id="{m.group(1) or ""}', picture)


def bundle(result: Result, include=None, exclude=None) -> dict:
    """The MIME bundle IPython shows; `include` and `exclude` are IPython's."""
    def wanted(kind: str) -> bool:
        return (include is None or kind in include) and not (exclude and kind in exclude)

    data: dict = {"text/plain": repr(result)} if wanted("text/plain") else {}
    if wanted("text/html"):
        data["text/html"] = html(result)
    elif wanted("image/svg+xml") and svg(result) is not None:
        data["image/svg+xml"] = svg(result)
    if wanted("image/png"):
        png, _ = _png(result)
        if png is not None:
            data["image/png"] = png
    if wanted("text/markdown"):
        data["text/markdown"] = markdown_text(result)
    if wanted("text/latex"):
        data["text/latex"] = latex_text(result)
    return data


def _notes(result: Result) -> list[str]:
    """The warnings other than kinks (the tables mark those and list them, numbered), and the picture's note."""
    notes = [w.message for w in result.warnings if w.kind != "kink"]
    picture_note = _svg(result)[1]
    return notes + ([picture_note] if picture_note else [])


def markdown_text(result: Result) -> str:
    """The tables as Markdown with their kinks (markdown.render), then the other warnings."""
    text = markdown.render(result, DIGITS, MAX_ROWS)
    notes = _notes(result)
    return text + ("\n" + "\n".join(f"- {markdown.prose(note)}" for note in notes) + "\n" if notes else "")


# Characters the tables use that a LaTeX text font may lack: written in math mode.
_MATH = {"∂": r"\partial", "×": r"\times", "Σ": r"\Sigma", "δ": r"\delta", "ᵀ": r"^{\top}", "⊙": r"\odot",
         "·": r"\cdot", "⋮": r"\vdots", "−": "-", "≠": r"\neq"}


def _tex(cell: str) -> str:
    out = []
    for ch in latex.text(cell.replace("\n", " ")):
        out.append(f"\\ensuremath{{{_MATH[ch]}}}" if ch in _MATH and _MATH[ch].startswith("\\") else _MATH.get(ch, ch))
    return "".join(out)


def latex_text(result: Result) -> str:
    """The tables as LaTeX longtables (booktabs), a local taken at a kink marked as in Markdown, then the
    kinks (latex.kink_notes) and the other warnings: what nbconvert's PDF shows."""
    parts = []
    found = rows.kinks(result)
    for t in rows.tables(result, DIGITS, MAX_ROWS):
        marks = rows.backward_marks(t, found) if t.title.startswith("Backward") else {}
        local = t.headers.index(markdown.LOCAL) if markdown.LOCAL in t.headers else -1
        spec = "".join("r" if numeric else "l" for numeric in t.numeric)
        lines = [
            f"\\begin{{longtable}}{{{spec}}}",
            f"\\multicolumn{{{len(t.headers)}}}{{l}}{{\\textbf{{{_tex(t.title)}}}}} \\\\",
            "\\toprule",
            " & ".join(_tex(h) for h in t.headers) + " \\\\",
            "\\midrule",
        ]
        for k, row in enumerate(t.rows):
            cells = (r"\ensuremath{\vdots}", f"{t.hidden} more") + ("",) * (len(t.headers) - 2) if row is None else row
            shown = [_tex(c) for c in cells]
            if k in marks and local >= 0:
                shown[local] += f" ({marks[k]})"
            lines.append(" & ".join(shown) + " \\\\")
        lines += ["\\bottomrule", "\\end{longtable}"]
        parts.append("\n".join(lines))
    kinks = latex.kink_notes(result, _tex)
    if kinks:
        parts.append("\n".join(kinks))
    notes = _notes(result)
    if notes:
        parts.append("\\begin{itemize}\n" + "\n".join(f"\\item {_tex(note)}" for note in notes) + "\n\\end{itemize}")
    return "\n\n".join(parts) + "\n"
