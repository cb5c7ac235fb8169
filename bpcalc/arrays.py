"""The passes for graphs with vectors and matrices: NumPy, imported only when an array appears.

The same loops as engine.py's, over the same node list, with two more kinds of
step: a scalar op applied element-wise (its local rule per element, the
contribution summed back over broadcast axes) and an array op (its vjp rule
gives the contribution directly). engine.run comes here only when the point or
the program holds an array, so scalar expressions keep the unrolled fast path.
"""
from __future__ import annotations

import numpy as np

from .engine import _UNDEFINED, _kink_notice, _math_error, _reason
from .errors import ShapeError
from .graph import Graph, Notice
from .ops import OPERATIONS


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
def _raising() -> np.errstate:
    return np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")


def forward(graph: Graph, values: list, wants: bytearray) -> None:
    """The forward pass, as engine.forward, for values that may be arrays."""
    with _raising():
        for i, node in enumerate(graph.nodes):
            op = OPERATIONS.get(node.op)
            if op is None:
                continue
            args = [values[j] for j in node.inputs]
            try:
                if op.vjp is not None or all(type(a) is float for a in args):
                    out = op.forward(*args)
                else:
                    out = _elementwise(op.forward, args)
            except IndexError as exc:
                raise _shape_error(graph, i, [np.shape(a) for a in args], str(exc)) from None
            except (ArithmeticError, ValueError) as exc:
                where = _where(op.forward, args) if op.vjp is None else ""
                raise _math_error(graph, i, op, values, _reason(exc, op) + where) from None
            if np.ndim(out) == 0:
                out = float(out)
                if out - out != 0.0:
                    raise _math_error(graph, i, op, values, "the value overflows float64")
            elif not np.isfinite(out).all():
                raise _math_error(graph, i, op, values, "the value overflows float64")
            values[i] = out
            wants[i] |= any(wants[j] for j in node.inputs)  # |=: keep a --wrt name made of constants


def backward(graph: Graph, values: list, wants: bytearray, shapes: list[tuple], tie: str, warnings: list[Notice]):
    """The reverse pass, as engine.backward; also returns each contribution, which for an
    array op (a vjp rule) is not upstream × local."""
    nodes = graph.nodes
    grads: list = [0.0 if w else None for w in wants]
    if wants[-1]:
        grads[-1] = 1.0
    local_rows: list = [None] * len(nodes)
    contribution_rows: list = [None] * len(nodes)
    with _raising():
        for i in range(len(nodes) - 1, -1, -1):
            op = OPERATIONS.get(nodes[i].op)
            if op is None or not wants[i]:
                continue
            inputs = nodes[i].inputs
            args = [values[j] for j in inputs]
            out, upstream = values[i], grads[i]
            scalar = op.vjp is None and all(type(a) is float for a in args) and type(upstream) is float
            rules, kinks = op.local, None
            if op.kink is not None:
                kinks = op.kink(*args) if scalar else _elementwise(op.kink, args, bool)
                if np.any(kinks):
                    split = tie == "split" and op.tie_split is not None
                    warnings.append(_kink_notice(graph, i, op, values, split, np.count_nonzero(kinks), np.size(kinks)))
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
                            local = rules[k](out, *args) if scalar else _elementwise(rules[k], [out, *args])
                            if kinks is not None:
                                local = np.where(kinks, op.tie_split[k], local) if not scalar else op.tie_split[k]
                            contribution = _unbroadcast(upstream * local, shapes[j])
                    except (ArithmeticError, ValueError):
                        local = contribution = _UNDEFINED
                    if contribution is not None:
                        grad = grads[j] + contribution
                        if not np.isfinite(grad).all():
                            raise _math_error(graph, i, op, values, _undefined(graph, i, op, k, local, contribution))
                        grads[j] = float(grad) if np.ndim(grad) == 0 else grad
                locals_.append(local)
                contributions.append(contribution)
            local_rows[i] = tuple(locals_)
            contribution_rows[i] = tuple(contributions)
    return grads, local_rows, contribution_rows


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
    if contribution is _UNDEFINED or local is not None and not np.isfinite(local).all():
        return f"the local derivative ∂{graph.nodes[i].label}/∂{labels[k]} = {op.show(k, labels)} is undefined"
    return f"the gradient passed to {labels[k]} overflows float64"


def _shape_error(graph: Graph, i: int, shapes: list[tuple], reason: str) -> ShapeError:
    node = graph.nodes[i]
    inputs = [(graph.nodes[j].label, shape) for j, shape in zip(node.inputs, shapes)]
    return ShapeError(reason, i, node.label, graph.text(i, 60), inputs)
