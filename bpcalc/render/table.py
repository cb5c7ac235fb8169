"""The step-by-step tables for the terminal: the only module that imports rich.table."""
from __future__ import annotations

import io
import os

from rich import box
from rich.console import Console, Group
from rich.table import Table

from ..graph import CONST, VAR, Result
from ..ops import OPERATIONS
from . import number

MAX_TERMS = 6  # a fan-out sum longer than this is shown shortened
MAX_ROWS = 400  # nodes per table before the middle is elided: Rich takes ~1 ms a row
TEXT_WIDTH = 30  # longest source text shown for a node

# The course draws values in green and gradients in red.
VALUE = "green"
GRAD = "red"


def _sum(terms: list[float], total: float, digits: int) -> str:
    shown = [number(t, digits) for t in terms]
    if len(shown) > MAX_TERMS:
        shown = shown[: MAX_TERMS - 1] + [f"… ({len(terms)} terms)"]
    text = shown[0]
    for term in shown[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return f"{text} = {number(total, digits)}"


def _shape(shape: tuple) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"


def _elide(items: list, limit: int):
    """The items, or for a long list its first and last limit/2 with None marking the gap."""
    if limit <= 0 or len(items) <= limit:
        return items
    half = limit // 2
    return items[:half] + [None] + items[len(items) - half:]


def _gap(table: Table, shown: int, total: int) -> None:
    table.add_row("⋮", f"{total - shown} more", style="dim")
    table.caption = f"{total - shown} of {total} rows not shown: --max-rows 0 shows all, --json has every step"


def forward_table(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """Every node in topological order: label, op, inputs, source text, value."""
    graph = result.graph
    table = Table(title="Forward pass", box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    table.add_column("node", style="bold")
    table.add_column("op")
    table.add_column("inputs")
    table.add_column("expression", no_wrap=True, overflow="ellipsis")
    if result.shapes is not None:
        table.add_column("shape")
    table.add_column("value", justify="right", style=VALUE)
    ids = _elide(list(range(len(graph.nodes))), max_rows)
    for i in ids:
        if i is None:
            _gap(table, len(ids) - 1, len(graph.nodes))
            continue
        node = graph.nodes[i]
        inputs = ", ".join(graph.nodes[j].label for j in node.inputs)
        text = "" if node.op in (VAR, CONST) else graph.text(i, TEXT_WIDTH)
        shape = [_shape(result.shapes[i])] if result.shapes is not None else []
        table.add_row(node.label, node.op, inputs, text, *shape, number(result.values[i], digits))
    return table


def backward_table(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """The reverse pass in visiting order: each node's upstream gradient and what it passes down."""
    graph = result.graph
    nodes = graph.nodes
    out = result.output
    incoming: dict[int, list] = {}
    for step in result.steps:
        incoming.setdefault(step.input, []).append(step)
    by_node: dict[int, list] = {}
    for step in result.steps:
        by_node.setdefault(step.node, []).append(step)

    table = Table(
        title=f"Backward pass: from {out} back to the inputs", box=box.SIMPLE_HEAD, title_justify="left", title_style="bold"
    )
    table.add_column("node", style="bold")
    table.add_column(f"upstream ∂{out}/∂node", style=GRAD)
    table.add_column("input")
    table.add_column("local ∂node/∂input")
    table.add_column("contribution", style=GRAD)
    visited = [i for i in range(len(nodes) - 1, -1, -1) if result.grads[i] is not None]
    ids = _elide(visited, max_rows)
    for i in ids:
        if i is None:
            _gap(table, len(ids) - 1, len(visited))
            continue
        grad = result.grads[i]
        node = nodes[i]
        received = sorted(incoming.get(i, []), key=lambda s: (s.node, s.position))  # in forward order
        upstream = _sum([s.contribution for s in received], grad, digits) if len(received) > 1 else number(grad, digits)
        steps = by_node.get(i, [])
        if not steps:
            table.add_row(node.label, upstream, "", "", "")
            continue
        op = OPERATIONS[node.op]
        labels = [nodes[j].label for j in node.inputs]
        for n, step in enumerate(steps):
            formula = op.show(step.position, labels)
            local = number(step.local, digits)
            shown_local = formula if formula == local or step.local is None else f"{formula} = {local}"
            if isinstance(step.local, float) and isinstance(step.upstream, float):
                contribution = f"{number(step.upstream, digits)} × {local} = {number(step.contribution, digits)}"
            else:  # an array op's vjp, or an element-wise product with arrays
                contribution = number(step.contribution, digits)
            table.add_row(node.label if n == 0 else "", upstream if n == 0 else "", labels[step.position], shown_local, contribution)
    return table


def summary_table(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """The output's value and the gradient for every variable (or --wrt)."""
    graph = result.graph
    out = result.output
    table = Table(
        title=f"{out} = {number(result.value, digits)}", box=box.SIMPLE_HEAD, title_justify="left", title_style="bold"
    )
    table.add_column("name", style="bold")
    table.add_column("value", justify="right", style=VALUE)
    table.add_column(f"∂{out}/∂name", justify="right", style=GRAD)
    names = _elide(list(result.gradient), max_rows)
    for name in names:
        if name is None:
            _gap(table, len(names) - 1, len(result.gradient))
            continue
        value = result.values[graph.names[name]]
        table.add_row(name, number(value, digits), number(result.gradient[name], digits))
    return table


def render(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Group:
    """All three tables, forward, backward and summary, as one renderable."""
    return Group(
        forward_table(result, digits, max_rows),
        backward_table(result, digits, max_rows),
        summary_table(result, digits, max_rows),
    )


def console(**options) -> Console:
    """A console for our tables: cells are plain text (a formula such as [a > b] is not
    Rich markup), and NO_COLOR turns off every style, bold included, not only colour."""
    if os.environ.get("NO_COLOR"):
        options.setdefault("color_system", None)
    return Console(markup=False, highlight=False, **options)


def print_result(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> None:
    console().print(render(result, digits, max_rows))


def to_text(result: Result, digits: int = 6, width: int = 100, max_rows: int = MAX_ROWS) -> str:
    """The tables as plain text at a fixed width, colour off: for files and golden tests."""
    buffer = io.StringIO()
    console(file=buffer, width=width, color_system=None, force_terminal=False).print(render(result, digits, max_rows))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
