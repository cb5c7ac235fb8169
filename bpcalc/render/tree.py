"""The graph as a Rich tree for the terminal: the output at the root, each node's inputs below it.

A value used several times (fan-out) is drawn in full once; later uses point
back to it, so a shared subexpression does not multiply the tree. Built with an
explicit stack: no recursion, however deep the expression.
"""
from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from ..graph import CONST, VAR, Result
from . import Options, number
from .rows import MAX_ROWS, TEXT_WIDTH
from .table import GRAD, VALUE, console

KINK = "yellow"


def _line(result: Result, i: int, digits: int, along, kink: bool, seen: bool) -> Text:
    """One node: label, op, source text, value, gradient; `along` is the gradient passed along this edge."""
    graph = result.graph
    node = graph.nodes[i]
    out = result.output
    line = Text()
    line.append(node.label, style="bold")
    if node.op not in (VAR, CONST):
        line.append(f"  {node.op}", style="cyan")
        if node.end - node.start != len(node.label) or node.label != graph.text(i):  # lengths first: no copy
            line.append(f"  {graph.text(i, TEXT_WIDTH)}", style="dim")
    elif node.op == CONST:
        line.append("  const", style="dim")
    line.append("   value ")
    line.append(number(result.values[i], digits), style=VALUE)
    grad = result.grads[i]
    if grad is not None:
        line.append(f"   ∂{out}/∂{node.label} ")
        line.append(number(grad, digits), style=GRAD)
        if along is not None and number(along, digits) != number(grad, digits):  # one use of a fan-out
            line.append("   this use ")
            line.append(number(along, digits), style=GRAD)
    if kink:
        line.append("   at a kink", style=KINK)
    if seen:
        line.append("   (inputs shown above)", style="dim")
    return line


def render(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Tree:
    """The tree, with at most `max_rows` nodes drawn (0: all)."""
    nodes = result.graph.nodes
    out = len(nodes) - 1
    along = {(s.node, s.position): s.contribution for s in result.steps}
    kinked = {w.node for w in result.warnings if w.kind == "kink"}
    root = Tree(_line(result, out, digits, None, out in kinked, False), guide_style="dim")
    expanded = {out}
    stack = [(j, out, k, root) for k, j in reversed(list(enumerate(nodes[out].inputs)))]
    drawn = 1
    while stack:
        if max_rows and drawn >= max_rows:
            root.add(Text(f"⋮ the rest is not shown ({max_rows} rows drawn): --max-rows 0 shows all", style="dim"))
            break
        j, parent, k, branch = stack.pop()
        leaf = not nodes[j].inputs
        seen = j in expanded and not leaf
        child = branch.add(_line(result, j, digits, along.get((parent, k)), j in kinked, seen))
        drawn += 1
        if seen or leaf:
            continue
        expanded.add(j)
        stack.extend((i, j, m, child) for m, i in reversed(list(enumerate(nodes[j].inputs))))
    return root


def print_tree(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> None:
    console().print(render(result, digits, max_rows))


def output(result: Result, options: Options) -> str:
    """The registry's entry: the tree as the terminal shows it."""
    return console().text(render(result, options.digits, options.max_rows))
