"""The computational graph as a Mermaid flowchart, for Markdown that renders Mermaid (GitHub, GitLab, many notes apps).

The same picture as render/dot.py, without Graphviz: inputs on the left, each
edge labelled with its value (green) above the gradient passed back along it
(red, marked ∂ so it reads without colour too). Imports no Rich and no Graphviz.
"""
from __future__ import annotations

from ..graph import CONST, VAR, Result
from ..text import visible
from . import Options, number
from .dot import GRAD, KINK, VALUE, caption, edges, fan_out, kinks, symbol


def text(s: str) -> str:
    """Text for a quoted Mermaid label: quotes and angle brackets as entity codes, new lines as <br/>,
    other control characters shown as escapes."""
    s = visible(s, newlines=True).replace("\t", " ")
    return (
        s.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("\n", "<br/>")
    )


def comment(s: str) -> str:
    """Text for a `%%` comment line: one line, control characters shown, and no `%%` inside it,
    since Mermaid reads `%%{init: ...}%%` anywhere as a directive that changes the chart."""
    s = visible(" ".join(s.splitlines()))
    while "%%" in s:
        s = s.replace("%%", "% %")
    return s


def _coloured(shown: str, colour: str) -> str:
    return f"<span style='color:{colour}'>{text(shown)}</span>"


def _edge_label(value, grad, digits: int) -> str:
    shown = _coloured(number(value, digits), VALUE)
    if grad is not None:
        shown += "<br/>" + _coloured("∂ " + number(grad, digits), GRAD)
    return f'|"{shown}"|'


def render(result: Result, digits: int = 6) -> str:
    """The graph as `flowchart LR`; node n<i> is node i of the result, `output` the output's name."""
    graph = result.graph
    nodes = graph.nodes
    out = len(nodes) - 1
    marked = kinks(result)
    fans = fan_out(result)
    f = result.output
    lines = [
        "%% bpcalc: " + comment(caption(result, digits)),
        f"%% edges: the value passed forward (green) above the gradient of {f} passed back along the edge (red, ∂)",
        "flowchart LR",
    ]
    variables, constants = [], []
    for i, node in enumerate(nodes):
        grad = result.grads[i]
        extra = ""
        if fans.get(i, 0) > 1 and grad is not None:
            extra = "<br/>" + _coloured("Σ " + number(grad, digits), GRAD)
        if node.op == VAR:
            lines.append(f'  n{i}("<b>{text(node.label)}</b>{extra}")')
            variables.append(f"n{i}")
        elif node.op == CONST:
            lines.append(f'  n{i}["{text(number(result.values[i], digits))}"]')
            constants.append(f"n{i}")
        else:
            label = text(symbol(node.op))
            if node.named and i != out:
                label = f"<b>{text(node.label)}</b><br/>{label}"
            if i in marked:
                label += "<br/>" + _coloured("kink", KINK)
            if label == text(symbol(node.op)) and not extra and len(label) <= 2:
                lines.append(f'  n{i}(("{label}"))')  # an operator alone: a small circle, as in the course
            else:
                lines.append(f'  n{i}(["{label}{extra}"])')  # Mermaid's circles do not grow to fit two lines
    lines.append(f'  output["<b>{text(f)}</b>"]')
    for j, i, _k, value, along in edges(result):
        if nodes[j].op == CONST:
            lines.append(f"  n{j} -.-> n{i}")
        elif along is None:
            lines.append(f"  n{j} -.->{_edge_label(value, None, digits)} n{i}")
        else:
            lines.append(f"  n{j} -->{_edge_label(value, along, digits)} n{i}")
    lines.append(f"  n{out} -->{_edge_label(result.values[out], result.grads[out], digits)} output")
    lines.append("  classDef var fill:#f6f8fa,stroke:#8c959f")
    lines.append("  classDef const fill:none,stroke:none,color:#57606a")
    lines.append("  classDef out fill:none,stroke:none")
    lines.append(f"  classDef kink fill:#fff1e5,stroke:{KINK},stroke-width:3px")
    if variables:
        lines.append(f"  class {','.join(variables)} var")
    if constants:
        lines.append(f"  class {','.join(constants)} const")
    lines.append("  class output out")
    if marked:
        lines.append(f"  class {','.join(f'n{i}' for i in sorted(marked))} kink")
    return "\n".join(lines) + "\n"


MAX_EDGES = 500  # Mermaid's default maxEdges: beyond it a renderer refuses the chart


def output(result: Result, options: Options) -> str:
    """The registry's entry."""
    return render(result, options.digits)


def notes(result: Result, options: Options) -> list[str]:
    """Mermaid's own limit: more edges than its default maxEdges are not drawn."""
    edges = sum(len(node.inputs) for node in result.graph.nodes) + 1  # and the edge to the output
    if edges > MAX_EDGES:
        return [f"{edges} edges: Mermaid draws at most {MAX_EDGES} unless its maxEdges is raised"]
    return []
