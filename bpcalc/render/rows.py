"""The three step tables as rows of plain strings, for the renderers that are not Rich (Markdown, HTML).

The cells are the terminal table's, built from the same Result (values, grads,
steps), so a Markdown or notebook table and `bpcalc grad`'s table cannot
disagree; tests/test_render_markdown.py checks that they match cell for cell.
Imports no Rich.
"""
from __future__ import annotations

from typing import NamedTuple

from ..errors import TIE_SPLIT
from ..graph import CONST, VAR, Result
from ..ops import OPERATIONS
from ..text import clip, visible
from . import number

MAX_TERMS = 6  # a fan-out sum longer than this is shown shortened, as in the terminal table
MAX_ROWS = 400  # rows per table before the middle is elided, as in the terminal table
TEXT_WIDTH = 30  # longest source text shown for a node
LABEL_WIDTH = 30  # longest name shown (a name of a million letters is cut in the middle, as long text is)


def _label(label: str) -> str:
    return clip(label, LABEL_WIDTH)


class Table(NamedTuple):
    """One table: a title, column headers, and rows of cells; a row of None marks elided rows."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...] | None]
    hidden: int  # how many rows the elision left out (0: none)
    numeric: tuple[bool, ...]  # columns of numbers, aligned right
    total: int = 0  # how many rows there are before elision (nodes, or names in the summary)
    keys: tuple = ()  # what each row is about: a node id (forward), (node, position or None) (backward), a name


def upstream_sum(terms: list, total, digits: int) -> str:
    """A fan-out sum as the terminal table writes it: '3 + 3 + 1 = 7'."""
    shown = [number(t, digits) for t in terms]
    if len(shown) > MAX_TERMS:
        shown = shown[: MAX_TERMS - 1] + [f"… ({len(terms)} terms)"]
    text = shown[0]
    for term in shown[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return f"{text} = {number(total, digits)}"


def _scalar(value) -> bool:
    """A number (a float, or an exact fraction under --exact), not an array or None."""
    return value is not None and not hasattr(value, "ravel")


def _shape(shape: tuple) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"


def elide(items: list, limit: int) -> list:
    if limit <= 0 or len(items) <= limit:
        return items
    half = limit // 2
    return items[:half] + [None] + items[len(items) - half:]


def forward(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """Every node in topological order: label, op, inputs, source text, value."""
    graph = result.graph
    shapes = getattr(result, "shapes", None)  # set when the graph holds arrays
    ids = elide(list(range(len(graph.nodes))), max_rows)
    rows: list[tuple[str, ...] | None] = []
    for i in ids:
        if i is None:
            rows.append(None)
            continue
        node = graph.nodes[i]
        inputs = ", ".join(_label(graph.nodes[j].label) for j in node.inputs)
        # A node's text may span lines or hold a comment's control characters: one line, shown.
        text = "" if node.op in (VAR, CONST) else visible(graph.text(i, TEXT_WIDTH).replace("\n", " "))
        shape = (_shape(shapes[i]),) if shapes is not None else ()
        rows.append((_label(node.label), node.op, inputs, text, *shape, number(result.values[i], digits)))
    hidden = len(graph.nodes) - (len(ids) - 1) if None in ids else 0
    extra = ("shape",) if shapes is not None else ()
    return Table("Forward pass", ("node", "op", "inputs", "expression", *extra, "value"), rows, hidden,
                 (False, False, False, False, *(False for _ in extra), True), len(graph.nodes), tuple(ids))


def backward(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """The reverse pass in visiting order: each node's upstream gradient and what it passes down."""
    nodes = result.graph.nodes
    out = _label(result.output)
    incoming: dict[int, list] = {}
    by_node: dict[int, list] = {}
    for step in result.steps:
        incoming.setdefault(step.input, []).append(step)
        by_node.setdefault(step.node, []).append(step)
    visited = [i for i in range(len(nodes) - 1, -1, -1) if result.grads[i] is not None]
    ids = elide(visited, max_rows)
    rows: list[tuple[str, ...] | None] = []
    keys: list = []
    for i in ids:
        if i is None:
            rows.append(None)
            keys.append(None)
            continue
        grad = result.grads[i]
        node = nodes[i]
        received = sorted(incoming.get(i, []), key=lambda s: (s.node, s.position))  # in forward order
        upstream = (
            upstream_sum([s.contribution for s in received], grad, digits)
            if len(received) > 1
            else number(grad, digits)
        )
        steps = by_node.get(i, [])
        if not steps:
            rows.append((_label(node.label), upstream, "", "", ""))
            keys.append((i, None))
            continue
        op = OPERATIONS[node.op]
        labels = [_label(nodes[j].label) for j in node.inputs]
        for n, step in enumerate(steps):
            formula = op.show(step.position, labels)
            local = number(step.local, digits)
            shown_local = formula if formula == local or step.local is None else f"{formula} = {local}"
            if _scalar(step.local) and _scalar(step.upstream):
                contribution = f"{number(step.upstream, digits)} × {local} = {number(step.contribution, digits)}"
            else:  # an array op's vjp, or an element-wise product with arrays
                contribution = number(step.contribution, digits)
            rows.append(
                (
                    _label(node.label) if n == 0 else "",
                    upstream if n == 0 else "",
                    labels[step.position],
                    shown_local,
                    contribution,
                )
            )
            keys.append((i, step.position))
    hidden = len(visited) - (len(ids) - 1) if None in ids else 0
    return Table(
        f"Backward pass: from {out} back to the inputs",
        ("node", f"upstream ∂{out}/∂node", "input", "local ∂node/∂input", "contribution"),
        rows,
        hidden,
        (False, False, False, False, False),
        len(visited),
        tuple(keys),
    )


def summary(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """The output's value and the gradient for every variable (or --wrt)."""
    graph = result.graph
    out = _label(result.output)
    names = elide(list(result.gradient), max_rows)
    rows: list[tuple[str, ...] | None] = []
    for name in names:
        if name is None:
            rows.append(None)
            continue
        value, grad = result.values[graph.names[name]], result.gradient[name]
        rows.append((_label(name), number(value, digits), number(grad, digits)))
    hidden = len(result.gradient) - (len(names) - 1) if None in names else 0
    return Table(
        f"{out} = {number(result.value, digits)}",
        ("name", "value", f"∂{out}/∂name"),
        rows,
        hidden,
        (False, True, True),
        len(result.gradient),
        tuple(names),
    )


# ---------------------------------------------------------------- kinks, for the documents
# A document (Markdown, LaTeX, a notebook's tables) marks each local taken at a kink with
# "kink N" and lists the kinks' warnings (errors.kink_notice: the node, its one-sided
# derivatives, the convention used) under the tables, numbered as the marks.


def kinks_note(what: str) -> str:
    """The sentence above a document's kink notes: what the marks stand beside ('A local derivative', 'An answer')."""
    return (
        f"{what} marked kink N is taken where the function is not differentiable: "
        "its number is the one that the convention named below gives."
    )


KINKS_NOTE = kinks_note("A local derivative")
ANSWER_KINKS_NOTE = kinks_note("An answer")  # an answer key's: the gradients that pass through a kink


class Kink(NamedTuple):
    """A node evaluated at a kink: its number in the document's notes, and its warning."""

    number: int
    message: str


def kinks(result: Result) -> dict[int, Kink]:
    """The nodes evaluated at a kink, numbered 1, 2, … from the output back (the backward table's order)."""
    messages: dict[int, str] = {}
    for w in result.warnings:
        if w.kind == "kink" and w.node is not None:
            messages.setdefault(w.node, w.message)
    return {node: Kink(n, messages[node]) for n, node in enumerate(sorted(messages, reverse=True), 1)}


def mark(numbers: list[int]) -> str:
    """The mark beside a number taken at a kink (or at several): 'kink 1', 'kinks 1, 2'."""
    return ("kinks " if len(numbers) > 1 else "kink ") + ", ".join(map(str, numbers))


def tie_note(result: Result) -> str:
    """A sentence that says --tie split gave the numbers at max/min ties, or '' under the default."""
    return f"Computed with {TIE_SPLIT} at a max/min tie." if result.tie == "split" else ""


def backward_marks(table: Table, found: dict[int, Kink]) -> dict[int, str]:
    """Row index -> mark, for the backward table's rows whose local derivative was taken at a kink."""
    marks = {}
    for k, key in enumerate(table.keys):
        if key is not None and key[1] is not None and key[0] in found:
            marks[k] = mark([found[key[0]].number])
    return marks


def gradient_kinks(result: Result, node: int, found: dict[int, Kink]) -> list[int]:
    """The numbers of the kinks whose local derivatives enter ∂out/∂node: the kink nodes above `node`
    (those that use it, directly or through others), in the notes' order. A loop over the nodes, no recursion."""
    nodes = result.graph.nodes
    above = bytearray(len(nodes))
    above[node] = 1
    hit = []
    for i in range(node + 1, len(nodes)):
        if any(above[j] for j in nodes[i].inputs):
            above[i] = 1
            if i in found:
                hit.append(found[i].number)
    return sorted(hit)


def tables(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> list[Table]:
    """Forward, backward and summary, in the order the terminal prints them."""
    return [forward(result, digits, max_rows), backward(result, digits, max_rows), summary(result, digits, max_rows)]
