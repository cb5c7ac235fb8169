"""Backpropagation as a list of steps to walk through: the one source of `bpcalc explain`'s page, terminal and text.

First the forward pass, one node at a time in topological order (the forward
table's rows); then the reverse pass, one contribution at a time in the order
Result.steps records them (the backward table's rows), starting from the
output's ∂out/∂out = 1; then the result. Each step carries its sentence in the
tables' vocabulary (value, upstream, local, contribution, grad), written with
the tables' numbers, and where a value fans out, the running sum of what it has
received so far: 1, then 3 + 1 = 4, then 3 + 3 + 1 = 7 for x in x*x + x (terms
in the table's order, the total Step.grad). Imports no Rich.
"""
from __future__ import annotations

from typing import NamedTuple

from ..errors import TIE_SPLIT
from ..graph import CONST, VAR, Result
from ..ops import CONSTANTS, OPERATIONS
from . import number
from .dot import kinks
from .rows import upstream_sum

FORWARD, BACKWARD, DONE = "forward", "backward", "done"
SUMMARY_NAMES = 8  # gradients named in the last step's sentence; the summary table has them all
SPLIT = TIE_SPLIT

# How a sentence writes an operation applied to its inputs; functions are name(a, b).
INFIX = {"add": "+", "sub": "-", "mul": "×", "div": "/", "pow": "^", "matmul": "@"}


class ExplainStep(NamedTuple):
    """One step: what happens, at which node (and input), in one sentence."""

    phase: str  # FORWARD, BACKWARD or DONE
    node: int  # the node computed (forward), visited (backward) or the output (done)
    sentence: str
    input: int | None = None  # backward: the input the contribution goes to (None: the output's start)
    position: int | None = None  # backward: which of the node's inputs
    grad: str = ""  # backward: the input's gradient so far, as its upstream cell writes it
    received: int = 0  # backward: contributions the input has received so far ...
    fan: int = 0  # ... out of this many
    kink: str = ""  # the kink warning, on the steps of a node evaluated at a kink


def apply(op: str, args: list[str]) -> str:
    """An operation applied to its inputs' texts: 'x + y', '-x', 'max(0, n3)', '[a, b]'."""
    if op in INFIX and len(args) == 2:
        return f"{args[0]} {INFIX[op]} {args[1]}"
    if op == "id":  # a name given to a value: q = x
        return args[0]
    if op == "neg":
        return f"-{args[0]}"
    if op == "array":
        return f"[{', '.join(args)}]"
    if op == "index":
        return f"{args[0]}[{', '.join(args[1:])}]"
    return f"{op}({', '.join(args)})"


def convention(result: Result, node: int) -> str:
    """The rule bpcalc used at the kink of this node."""
    op = OPERATIONS[result.graph.nodes[node].op]
    return SPLIT if result.tie == "split" and op.tie_split is not None else op.convention


def steps(result: Result, digits: int = 6) -> list[ExplainStep]:
    """Every step of both passes, in order, then the result."""
    marked = kinks(result)
    found = [_forward(result, i, digits, marked) for i in range(len(result.graph.nodes))]
    found.extend(_backward(result, digits, marked))
    found.append(_done(result, digits))
    return found


def sentences(result: Result, digits: int = 6) -> list[str]:
    """Every step's sentence, in order."""
    return [step.sentence for step in steps(result, digits)]


def _is_number(value) -> bool:
    return not hasattr(value, "ravel")


def _forward(result: Result, i: int, digits: int, marked: dict[int, str]) -> ExplainStep:
    graph = result.graph
    node = graph.nodes[i]
    value = number(result.values[i], digits)
    if node.op == VAR:
        return ExplainStep(FORWARD, i, f"{node.label} = {value}, a variable given at the point.")
    if node.op == CONST:
        if node.label in CONSTANTS:  # pi or e without a value at the point: the engine made it a constant
            return ExplainStep(FORWARD, i, f"{node.label} = {value}, the constant.")
        return ExplainStep(FORWARD, i, f"{node.label} is a constant.")
    inputs = node.inputs
    shown = apply(node.op, [graph.nodes[j].label for j in inputs])
    numbers = [result.values[j] for j in inputs]
    if all(map(_is_number, numbers)):
        substituted = apply(node.op, [number(v, digits) for v in numbers])
        if substituted not in (shown, value):
            shown += " = " + substituted
    sentence = f"{node.label} = {shown} = {value}"
    if i in marked:
        sentence += ", at a kink"
    return ExplainStep(FORWARD, i, sentence + ".", kink=marked.get(i, ""))


def _backward(result: Result, digits: int, marked: dict[int, str]) -> list[ExplainStep]:
    nodes = result.graph.nodes
    out = len(nodes) - 1
    f = result.output
    if result.grads[out] is None:
        return [ExplainStep(BACKWARD, out, f"Backward pass: nothing flows back, {f} depends on no variable.")]
    found = [ExplainStep(BACKWARD, out, f"Backward pass: {f} starts with upstream ∂{f}/∂{f} = 1.")]
    fan: dict[int, int] = {}
    for s in result.steps:
        fan[s.input] = fan.get(s.input, 0) + 1
    received: dict[int, list] = {}
    for s in result.steps:
        node = nodes[s.node]
        op = OPERATIONS[node.op]
        labels = [nodes[j].label for j in node.inputs]
        to = labels[s.position]
        formula = op.show(s.position, labels)
        contribution = number(s.contribution, digits)
        if s.local is None:  # an array op's vjp: a rule in δ, not a number
            sentence = (
                f"{node.label} passes {formula} = {contribution} to {to} (upstream δ = {number(s.upstream, digits)})"
            )
        else:
            local = number(s.local, digits)
            shown = formula if formula == local else f"{formula} = {local}"
            sentence = (
                f"{node.label} passes upstream {number(s.upstream, digits)} × local {shown} = {contribution} to {to}"
            )
        got = received.setdefault(s.input, [])
        got.append(s)
        terms = [t.contribution for t in sorted(got, key=lambda t: (t.node, t.position))]  # the table's order
        grad = upstream_sum(terms, s.grad, digits) if len(terms) > 1 else number(s.grad, digits)
        total = fan[s.input]
        if total > 1:
            sentence += (
                f"; {to}'s grad: {grad} (all {total} terms)"
                if len(got) == total
                else f"; {to}'s grad so far: {grad} ({len(got)} of {total} terms)"
            )
        if s.node in marked:
            sentence += f"; at a kink: {convention(result, s.node)}"
        found.append(
            ExplainStep(
                BACKWARD, s.node, sentence + ".", s.input, s.position, grad, len(got), total, marked.get(s.node, "")
            )
        )
    return found


def _done(result: Result, digits: int) -> ExplainStep:
    f = result.output
    names = list(result.gradient)
    parts = [f"∂{f}/∂{name} = {number(result.gradient[name], digits)}" for name in names[:SUMMARY_NAMES]]
    if len(names) > SUMMARY_NAMES:
        parts.append(f"and {len(names) - SUMMARY_NAMES} more in the summary table")
    tail = f"; {', '.join(parts)}" if parts else ""
    return ExplainStep(DONE, len(result.graph.nodes) - 1, f"Done: {f} = {number(result.value, digits)}{tail}.")
