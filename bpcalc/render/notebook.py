"""How a Result shows itself in Jupyter: the graph picture (SVG, when Graphviz is there) and the step tables (HTML).

Result._repr_svg_ and Result._repr_html_ import this module only when a
notebook asks, so `import bpcalc` imports neither Graphviz nor Rich.
Frontends show the HTML (picture and tables together) and fall back to the SVG.
"""
from __future__ import annotations

import html as escape
import weakref

from ..errors import BpcalcError
from ..graph import Result
from . import rows
from .dot import GRAD, VALUE, draw

DIGITS = 6
NEEDS = "Graphviz: sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS), winget install graphviz (Windows)."
MAX_NODES = 400  # larger graphs get the tables only: the layout would keep the notebook waiting
MAX_ROWS = 200  # rows per table before the middle is elided

STYLE = ".bpcalc th, .bpcalc td {padding: 2px 12px; text-align: left} .bpcalc summary {margin-top: 0.6em}"

_pictures: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Jupyter asks for SVG and HTML: lay out once


def _picture(result: Result) -> tuple[str | None, str]:
    """The SVG markup, or None and the reason there is none."""
    if result in _pictures:
        return _pictures[result]
    n = len(result.graph.nodes)
    if n > MAX_NODES:
        found: tuple[str | None, str] = (None, f"The graph has {n} nodes, too many to draw here; bpcalc graph draws it to a file.")
    else:
        try:
            data = draw(result, "svg", DIGITS).decode("utf-8")
            found = (data[data.find("<svg"):], "")  # without the XML prolog, so it can sit inside HTML
        except BpcalcError as exc:
            found = (None, f"No picture here: {exc.message}. {NEEDS}")
        except Exception as exc:  # a broken Graphviz must not hide the tables
            found = (None, f"Graphviz could not draw the graph: {type(exc).__name__}: {exc}")
    _pictures[result] = found
    return found


def svg(result: Result) -> str | None:
    """The picture as SVG markup, or None (IPython then shows the next representation)."""
    return _picture(result)[0]


def _table(t: rows.Table) -> str:
    colours = [VALUE if h == "value" else GRAD if h.startswith(("upstream", "∂")) or h == "contribution" else "" for h in t.headers]
    head = "".join(f"<th>{escape.escape(h)}</th>" for h in t.headers)
    body = []
    for row in t.rows:
        if row is None:
            body.append(f'<tr><td>⋮</td><td colspan="{len(t.headers) - 1}">{t.hidden} more</td></tr>')
            continue
        cells = []
        for cell, colour, numeric in zip(row, colours, t.numeric):
            style = ";".join(s for s in (f"color:{colour}" if colour else "", "text-align:right" if numeric else "") if s)
            cells.append(f'<td style="{style}">{escape.escape(cell)}</td>' if style else f"<td>{escape.escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<details open><summary><b>{escape.escape(t.title)}</b></summary>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></details>"
    )


def html(result: Result) -> str:
    """The picture above the forward, backward and summary tables."""
    picture, reason = _picture(result)
    parts = ['<div class="bpcalc">', f"<style>{STYLE}</style>"]
    parts.append(f"<div>{picture}</div>" if picture else f"<p><i>{escape.escape(reason)}</i></p>")
    parts.extend(_table(t) for t in rows.tables(result, DIGITS, MAX_ROWS))
    parts.append("</div>")
    return "".join(parts)
