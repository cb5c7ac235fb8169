"""The computational graph as a picture: Graphviz DOT text, and images drawn from it by Graphviz.

Inputs are on the left and the output on the right. Each edge carries the
value flowing forward (green, above) and the gradient flowing back along it
(red, below): ∂out/∂(that use of the value), the contribution of that step, so
the edges leaving a node that fans out add up to its gradient, which the node
shows as Σ. The DOT text is built here without Graphviz; only drawing an image
imports the `graphviz` package (`pip install graphviz`, or `pip install ".[graph]"` from a checkout), which runs the
`dot` program. Imports no Rich.
"""
from __future__ import annotations

from ..errors import BpcalcError, ExitCode, InputError, install_hint
from ..graph import CONST, VAR, Result
from ..ops import OPERATIONS
from ..text import visible
from . import Options, number, program_line

VALUE = "#1a7f37"  # green: forward values
GRAD = "#cf222e"  # red: gradients
KINK = "#bc4c00"  # orange: nodes evaluated at a kink
MUTED = "#57606a"  # constants and what carries no gradient
FONT = "Helvetica,Arial,sans-serif"

IMAGE_FORMATS = ("svg", "png", "pdf")
SOURCE_WIDTH = 90  # longest source shown in the caption
MAX_NODES = 1000  # beyond this a layout can take minutes and a picture is unreadable; `--max-nodes 0` lifts it
LARGE = 300  # nodes; from here the layout's iterations are capped (see source)
SPREAD = 6  # a leaf whose uses are more steps apart than this is drawn once per use (see spread_leaves)


INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz); --format dot and --format mermaid write the graph as text without it"
)


def symbol(op: str) -> str:
    """How an operation is labelled in a picture: + − × ÷ ^ for operators, the name for functions."""
    entry = OPERATIONS.get(op)
    return entry.symbol if entry is not None and entry.symbol else op


def html(text: str) -> str:
    """Text for a Graphviz HTML-like label: escaped, new lines as <br/> (a printed array has several).

    Control characters (NUL, ESC, from a comment) are shown as escapes: XML, which the label is, has no place for them.
    """
    escaped = visible(text, newlines=True).replace("\t", " ")
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\n", '<br align="left"/>') if "\n" in escaped else escaped


def quoted(text: str) -> str:
    """Text for a double-quoted DOT attribute (a tooltip): on one line, quotes and backslashes escaped."""
    one_line = visible(" ".join(text.splitlines()))  # a program's node may span lines: (x +\n y)
    escaped = one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\\", "\\\\")


def edges(result: Result) -> list[tuple[int, int, int, object, object]]:
    """Every use of a value: (input, node, position, value, gradient along it or None), in forward order."""
    along = {(s.node, s.position): s.contribution for s in result.steps}
    found: list[tuple[int, int, int, object, object]] = []
    for i, node in enumerate(result.graph.nodes):
        for k, j in enumerate(node.inputs):
            found.append((j, i, k, result.values[j], along.get((i, k))))
    return found


def kinks(result: Result) -> dict[int, str]:
    """Nodes evaluated at a kink, with the warning's message."""
    return {w.node: w.message for w in result.warnings if w.kind == "kink" and w.node is not None}


def fan_out(result: Result) -> dict[int, int]:
    """How many gradient-carrying edges leave each node (the output's own edge not counted)."""
    count: dict[int, int] = {}
    for s in result.steps:
        count[s.input] = count.get(s.input, 0) + 1
    return count


def caption(result: Result, digits: int = 6) -> str:
    """The program on one line and the point, each shortened: a picture's title."""
    source = program_line(result.graph.source)  # no comments
    point = ", ".join(f"{label} = {number(value, digits)}" for label, value in result.at.items())
    return _shorten(source) + (f"   at {_shorten(point)}" if point else "")


def _shorten(text: str) -> str:
    return text if len(text) <= SOURCE_WIDTH else text[: SOURCE_WIDTH - 1] + "…"


def _edge_label(value, grad, digits: int) -> str:
    shown = f'<font color="{VALUE}">{html(number(value, digits))}</font>'
    if grad is not None:
        shown += f'<br/><font color="{GRAD}">∂ {html(number(grad, digits))}</font>'
    return f"<{shown}>"


def spread_leaves(result: Result) -> set[int]:
    """Leaves (variables, constants) whose uses lie far apart: drawn once per use.

    One node with edges to every step of a long chain (x in x+x+...+x) makes
    Graphviz route each edge through every rank between: quadratic work that
    takes minutes at a hundred uses, for a picture nobody can follow. Each
    use then gets its own copy of the leaf, dashed, beside the node using it.
    Uses count as far apart when they are so both with every node as early as
    it can be and as late as it can be: Graphviz places a node between the two.
    """
    nodes = result.graph.nodes
    early = [0] * len(nodes)
    for i, node in enumerate(nodes):
        if node.inputs:
            early[i] = 1 + max(early[j] for j in node.inputs)
    late = [early[-1]] * len(nodes)
    for i in range(len(nodes) - 1, -1, -1):
        for j in nodes[i].inputs:
            late[j] = min(late[j], late[i] - 1)
    consumers: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        for j in node.inputs:
            if not nodes[j].inputs:
                consumers.setdefault(j, []).append(i)
    spread = set()
    for j, users in consumers.items():
        span_early = max(early[i] for i in users) - min(early[i] for i in users)
        span_late = max(late[i] for i in users) - min(late[i] for i in users)
        if min(span_early, span_late) > SPREAD:
            spread.add(j)
    return spread


def _node(result: Result, i: int, digits: int, fans: dict[int, int], marked: dict[int, str]) -> tuple[str, list[str]]:
    """A node's HTML label and its attributes."""
    graph = result.graph
    node = graph.nodes[i]
    out = len(graph.nodes) - 1
    attrs = []
    grad = result.grads[i]
    extra = ""
    if fans.get(i, 0) > 1 and grad is not None:
        extra = f'<br/><font color="{GRAD}" point-size="11">Σ {html(number(grad, digits))}</font>'
    if node.op == VAR:
        label = f"<b>{html(node.label)}</b>{extra}"
        attrs.append('shape=box, style="rounded,filled", fillcolor="#f6f8fa", color="#8c959f", width=0.4, height=0.3')
    elif node.op == CONST:
        label = f"{html(number(result.values[i], digits))}"
        attrs.append(f'shape=plaintext, fontcolor="{MUTED}", fontsize=12, width=0, height=0, margin=0.02')
    else:
        op = html(symbol(node.op))
        if node.named and i != out:  # the output's name is at the end of its edge
            label = f'<b>{html(node.label)}</b><br/><font point-size="11">{op}</font>{extra}'
        else:
            label = f"{op}{extra}"
        short = bool(OPERATIONS[node.op].symbol) and not (node.named and i != out) and not extra and i not in marked
        attrs.append("shape=circle, fixedsize=true, width=0.5" if short else "shape=ellipse")
        tooltip = f"{node.label} = {graph.text(i, 60)}"
        if i in marked:
            label += f'<br/><font color="{KINK}" point-size="10">kink</font>'
            attrs.append(f'style=filled, fillcolor="#fff1e5", color="{KINK}", penwidth=2.5')
            tooltip = marked[i]
        attrs.append(f'tooltip="{quoted(tooltip)}"')
    return label, attrs


def source(result: Result, digits: int = 6, ids: str = "") -> str:
    """The graph in Graphviz's DOT language, laid out left to right.

    With `ids`, every node and edge gets an `id` that the SVG keeps, for a page's
    script: {ids}n3 for node 3, {ids}n3_1 for the first drawn copy of a spread
    leaf, {ids}e4_0 for the edge into input 0 of node 4, {ids}out for the output's edge.
    """
    nodes = result.graph.nodes
    out = len(nodes) - 1
    marked = kinks(result)
    fans = fan_out(result)
    spread = spread_leaves(result)
    f = result.output
    legend = (
        f'<font color="{VALUE}">green: the value passed forward</font> · '
        f'<font color="{GRAD}">red ∂: the gradient of {html(f)} passed back along the edge</font>'
        + (" · Σ: the sum at a fan-out" if any(n > 1 for n in fans.values()) else "")
        + (" · dashed box: one of a value's uses, drawn apart" if spread else "")
        + (f' · <font color="{KINK}">orange: at a kink</font>' if marked else "")
    )
    lines = [
        "digraph bpcalc {",
        *([f'  id="{ids}graph";'] if ids else []),
        "  rankdir=LR; ordering=in; nodesep=0.3; ranksep=0.45; newrank=true;",
        # Long edges make the x-coordinate pass (network simplex) grow with the square of the
        # graph; capping its iterations keeps a 2000-node layout to seconds, at a small cost in
        # straightness that small graphs, which converge well before the cap, do not pay.
        *(["  nslimit=1; nslimit1=1;"] if len(nodes) > LARGE else []),
        f'  graph [fontname="{FONT}", fontsize=12, labelloc=b, labeljust=l,',
        f'         label=<{html(caption(result, digits))}<br/><font point-size="10">{legend}</font>>];',
        f'  node [fontname="{FONT}", fontsize=14, margin="0.06,0.03"];',
        f'  edge [fontname="{FONT}", fontsize=11, arrowsize=0.6, color="#6e7781"];',
    ]
    for i in range(len(nodes)):
        if i not in spread:
            label, attrs = _node(result, i, digits, fans, marked)
            lines.append(f"  n{i} [label=<{label}>, {', '.join(attrs)}{_id(ids, f'n{i}')}];")
    uses: dict[int, int] = {}
    total: dict[int, int] = {}
    for node in nodes:
        for j in node.inputs:
            total[j] = total.get(j, 0) + 1
    for j, i, k, value, grad in edges(result):
        start = f"n{j}"
        if j in spread:  # a copy of the leaf for this use
            uses[j] = uses.get(j, 0) + 1
            start = f"n{j}_{uses[j]}"
            label, attrs = _node(result, j, digits, fans, marked)
            tooltip = f"{quoted(nodes[j].label)}: use {uses[j]} of {total[j]}"
            attrs.append(f'style="rounded,dashed,filled", tooltip="{tooltip}"')
            lines.append(f"  {start} [label=<{label}>, {', '.join(attrs)}{_id(ids, start)}];")
        tip = f'tooltip="{quoted(nodes[j].label)} → {quoted(nodes[i].label)}"' + _id(
            ids, f"e{i}_{k}"
        )  # SVG hover text; else "n0->n2"
        if nodes[j].op == CONST:
            lines.append(f'  {start} -> n{i} [style=dashed, color="{MUTED}", {tip}];')  # the node shows its value
        elif grad is None:
            lines.append(
                f'  {start} -> n{i} [label={_edge_label(value, None, digits)}, style=dashed, color="{MUTED}", {tip}];'
            )
        else:
            lines.append(f"  {start} -> n{i} [label={_edge_label(value, grad, digits)}, {tip}];")
    # The output leaves to the right, carrying its value and ∂out/∂out = 1, as the course draws it.
    lines.append(f"  output [shape=plaintext, label=<<b>{html(f)}</b>>];")
    lines.append(
        f"  n{out} -> output [label={_edge_label(result.values[out], result.grads[out], digits)}{_id(ids, 'out')}];"
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _id(ids: str, name: str) -> str:
    return f', id="{ids}{name}"' if ids else ""


def check_size(result: Result, max_nodes: int = MAX_NODES) -> None:
    """Refuse a graph too big to lay out in reasonable time; max_nodes 0 means no limit."""
    n = len(result.graph.nodes)
    if max_nodes and n > max_nodes:
        raise InputError(
            f"the graph has {n} nodes, more than --max-nodes {max_nodes}: Graphviz would take long "
            "to lay it out and the picture would be unreadable",
            "draw it anyway with --max-nodes 0, or use bpcalc grad for the tables",
        )


def draw(result: Result, fmt: str, digits: int = 6) -> bytes:
    """The picture as SVG, PNG or PDF bytes, laid out by Graphviz's dot program."""
    return render_source(source(result, digits), fmt)


def render_source(text: str, fmt: str) -> bytes:
    """DOT text drawn by Graphviz; a missing graphviz package or dot program is bad input (exit 2)."""
    if fmt not in IMAGE_FORMATS:
        raise InputError(f"unknown image format '{fmt}': use one of {', '.join(IMAGE_FORMATS)}")
    try:
        import graphviz  # lazily: ~45 ms, and an optional dependency
    except ImportError:
        raise InputError(
            "drawing an image needs the graphviz Python package: " + install_hint("graphviz", "graph"),
            "and Graphviz's dot program: " + INSTALL_GRAPHVIZ,
        ) from None
    try:
        return graphviz.Source(text, engine="dot").pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise InputError(
            "drawing an image needs Graphviz's dot program, which is not on PATH", INSTALL_GRAPHVIZ
        ) from None
    except graphviz.CalledProcessError as exc:
        stderr = (
            exc.stderr.decode("utf-8", "replace").strip() if isinstance(exc.stderr, bytes) else str(exc.stderr or "")
        )
        raise GraphvizError(f"Graphviz's dot program failed: {stderr or exc}") from None


class GraphvizError(BpcalcError):
    """The dot program ran and failed on text bpcalc wrote: a bug, or a broken Graphviz."""

    exit_code = ExitCode.INTERNAL


def output(result: Result, options: Options) -> str:
    """The registry's entry for DOT text."""
    return source(result, options.digits)


def image(result: Result, options: Options) -> bytes:
    """The registry's entry for svg, png and pdf: refused beyond options.max_nodes nodes."""
    check_size(result, options.max_nodes)
    return draw(result, options.format, options.digits)
