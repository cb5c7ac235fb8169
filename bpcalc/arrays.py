"""Vectors and matrices in the passes: NumPy, imported only when an array appears.

engine.py's two loops hand every node of a graph that holds arrays to this module:
a scalar op applies element-wise (its local rule per element, the contribution
summed back over broadcast axes), an array op gives the contribution with its vjp
rule. Shapes are inferred for the whole graph before anything is evaluated.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import NOT_DEFINED, Notice, ShapeError, Undefined, failure_reason, kink_notice, math_error
from .graph import Graph
from .ops import OPERATIONS, Op


def shapes(graph: Graph, values: list) -> list[tuple]:
    """Every node's shape, found before any evaluation; a misfit is a ShapeError naming the node."""
    nodes = graph.nodes
    result: list[tuple] = [()] * len(nodes)
    for i, node in enumerate(nodes):
        op = OPERATIONS.get(node.op)
        if op is None:
            result[i] = np.shape(values[i])
            continue
        inputs = [result[j] for j in node.inputs]
        try:
            if op.shape is not None:
                result[i] = op.shape(*inputs)
            else:  # a scalar op: element-wise, with NumPy's broadcasting
                result[i] = np.broadcast_shapes(*inputs)
        except ValueError as exc:
            reason = str(exc) if op.shape is not None else f"shapes {' and '.join(map(str, inputs))} do not broadcast"
            raise _shape_error(graph, i, inputs, reason) from None
    if result[-1] != ():
        output = len(nodes) - 1
        raise ShapeError(
            f"the output is an array of shape {result[-1]}, and backpropagation starts from a number",
            output, nodes[output].label, graph.text(output, 60), [(nodes[output].label, result[-1])],
            "reduce it to one, e.g. sum(...), mean(...), an element [i], or a loss such as cross_entropy",
        )
    return result


# NumPy's overflow, division by zero and 0/0 raise FloatingPointError, an ArithmeticError,
# as math's do; underflow to 0 is right (softmax([1000, 0]) is [1, 0]).
def raising() -> np.errstate:
    return np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")


def finite(value: Any) -> bool:
    return bool(np.isfinite(value).all())


def evaluate(graph: Graph, i: int, op: Op, values: Sequence) -> Any:
    """Node i's value: its op's forward rule, element-wise for a scalar op on arrays.

    A failure of the scalar rule names the first element where it fails.
    """
    args = [values[j] for j in graph.nodes[i].inputs]
    try:
        if op.vjp is not None or all(type(a) is float for a in args):
            out = op.forward(*args)
        else:
            out = _elementwise(op.forward, args)
    except IndexError as exc:
        raise _shape_error(graph, i, [np.shape(a) for a in args], str(exc)) from None
    except (ArithmeticError, ValueError) as exc:
        where = _where(op.forward, args) if op.vjp is None else ""
        raise math_error(graph, i, values, failure_reason(exc, op) + where) from None
    if np.ndim(out) == 0:
        out = float(out)
        if out - out != 0.0:
            raise math_error(graph, i, values, "the value overflows float64")
    elif not np.isfinite(out).all():
        raise math_error(graph, i, values, "the value overflows float64")
    return out


def pullback(
    graph: Graph, i: int, op: Op, values: Sequence, upstream: Any, wants: Sequence[bool],
    shapes: list[tuple], tie: str, warnings: list[Notice] | None,
) -> tuple[tuple, tuple]:
    """Node i's locals and contributions for the reverse loop: a vjp rule's contribution, or
    upstream × the element-wise local summed back to the input's shape (None: no gradient)."""
    inputs = graph.nodes[i].inputs
    args = [values[j] for j in inputs]
    out = values[i]
    scalar = op.vjp is None and all(type(a) is float for a in args) and type(upstream) is float
    kinks = None
    if op.kink is not None:
        kinks = op.kink(*args) if scalar else _elementwise(op.kink, args, bool)
        if np.any(kinks):
            split = tie == "split" and op.tie_split is not None
            if warnings is not None:
                warnings.append(kink_notice(graph, i, op, values, split, int(np.count_nonzero(kinks)), np.size(kinks)))
            if not split:
                kinks = None
        else:
            kinks = None
    locals_, contributions = [], []
    for k, j in enumerate(inputs):
        local = contribution = None
        if wants[j]:
            try:
                if op.vjp is not None:
                    rule = op.vjp[0] if op.variadic else op.vjp[k]
                    contribution = rule(upstream, out, k) if op.variadic else rule(upstream, out, *args)
                else:
                    local = op.local[k](out, *args) if scalar else _elementwise(op.local[k], [out, *args])
                    if kinks is not None:
                        local = np.where(kinks, op.tie_split[k], local) if not scalar else op.tie_split[k]  # type: ignore[index]
                    contribution = _unbroadcast(upstream * local, shapes[j])
            except (ArithmeticError, ValueError):
                local = contribution = NOT_DEFINED
            if contribution is not None and not np.isfinite(contribution).all():
                raise math_error(graph, i, values, _undefined(graph, i, op, k, local, contribution))
        locals_.append(local)
        contributions.append(contribution)
    return tuple(locals_), tuple(contributions)


def kink_count(op: Op, args: list) -> tuple[int, int]:
    """At how many of its elements an element-wise op's inputs are at its kink, and of how many."""
    kinks = _elementwise(op.kink, args, bool)
    return int(np.count_nonzero(kinks)), int(np.size(kinks))


def _elementwise(rule, args: list, kind=float):
    """A scalar rule applied to every element, broadcasting as NumPy does: one table, one meaning."""
    return np.frompyfunc(rule, len(args), 1)(*args).astype(kind)


def _unbroadcast(contribution, shape: tuple):
    """Sum a contribution over the axes broadcasting added, back to its input's shape."""
    if np.shape(contribution) == shape:
        return contribution
    if shape == ():
        return float(np.sum(contribution))
    extra = np.ndim(contribution) - len(shape)
    total = np.sum(contribution, axis=tuple(range(extra))) if extra else contribution
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and total.shape[axis] != 1)
    return np.sum(total, axis=stretched, keepdims=True) if stretched else total


def _where(rule, args: list) -> str:
    """For an element-wise failure: the first element where the scalar rule fails."""
    if all(type(a) is float for a in args):
        return ""
    broadcast = np.broadcast_arrays(*args)
    for index in np.ndindex(broadcast[0].shape):
        scalars = [float(a[index]) for a in broadcast]
        try:
            rule(*scalars)
        except (ArithmeticError, ValueError):
            shown = ", ".join(f"{s:.17g}" for s in scalars)
            return f" (first at element {list(index)}: {shown})"
    return ""


def _undefined(graph: Graph, i: int, op, k: int, local, contribution) -> str:
    labels = [graph.nodes[j].label for j in graph.nodes[i].inputs]
    partial = f"∂{graph.nodes[i].label}/∂{labels[k]}"
    if isinstance(contribution, Undefined):
        return f"the local derivative {partial} = {op.show(k, labels)} is undefined"
    if local is not None and not np.isfinite(local).all():
        return f"the local derivative {partial} = {op.show(k, labels)} overflows float64"
    return f"the gradient passed to {labels[k]} overflows float64"


def _shape_error(graph: Graph, i: int, shapes: list[tuple], reason: str) -> ShapeError:
    node = graph.nodes[i]
    inputs = [(graph.nodes[j].label, shape) for j, shape in zip(node.inputs, shapes)]
    return ShapeError(reason, i, node.label, graph.text(i, 60), inputs)
