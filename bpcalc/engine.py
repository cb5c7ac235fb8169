"""The forward and reverse passes: two loops over the graph's topologically ordered nodes."""
from __future__ import annotations

from math import isfinite
from typing import Iterable, Mapping

from .errors import InputError, MathError, MissingValuesError, suggest
from .graph import CONST, VAR, Graph, Notice, Result, Step
from .ops import CONSTANTS, INPUT_NAMES, OPERATIONS, Op

TIES = ("indicator", "split")


def run(graph: Graph, point: Mapping[str, float], *, wrt: Iterable[str] | None = None, tie: str = "indicator") -> Result:
    """Evaluate the graph at the point and backpropagate from its output."""
    if tie not in TIES:
        raise InputError(f"unknown tie convention '{tie}': use one of {', '.join(TIES)}")
    nodes = graph.nodes
    count = len(nodes)
    ops: list[Op | None] = [OPERATIONS.get(node.op) for node in nodes]
    warnings = list(graph.notices)
    wrt_names = _check_wrt(graph, wrt)

    # Leaves: variables take the point's values (pi and e fall back to constants).
    values = [0.0] * count
    wants = bytearray(count)  # 1 where the node depends on something we differentiate by
    missing = []
    for i, node in enumerate(nodes):
        if node.op == VAR:
            if node.label in point:
                values[i] = point[node.label]
                wants[i] = 1
            elif node.label in CONSTANTS:
                values[i] = CONSTANTS[node.label]
            else:
                missing.append(node.label)
        elif node.op == CONST:
            values[i] = node.literal
    if missing:
        raise MissingValuesError(missing, point)
    for name in wrt_names:
        wants[graph.names[name]] = 1
    warnings += _point_notices(graph, point)

    # Forward pass.
    for i, node in enumerate(nodes):
        op = ops[i]
        if op is None:
            continue
        inputs = node.inputs
        args = [values[j] for j in inputs]
        try:
            out = op.forward(*args)
        except (ArithmeticError, ValueError) as exc:
            raise _math_error(graph, i, op, args, _reason(exc, op)) from None
        if not isfinite(out):
            raise _math_error(graph, i, op, args, "the value overflows float64")
        values[i] = out
        for j in inputs:
            if wants[j]:
                wants[i] = 1
                break

    # Reverse pass: visit nodes from the output back; each passes upstream × local
    # to each input, and an input's gradient sums what all its consumers passed.
    grads: list[float | None] = [0.0 if w else None for w in wants]
    if wants[-1]:
        grads[-1] = 1.0
    locals_: list[tuple[float | None, ...]] = [(None,) * len(node.inputs) for node in nodes]
    steps: list[Step] = []
    for i in range(count - 1, -1, -1):
        op = ops[i]
        if op is None or not wants[i]:
            continue
        node = nodes[i]
        inputs = node.inputs
        args = [values[j] for j in inputs]
        out = values[i]
        upstream = grads[i]
        fixed = None
        if op.kink is not None and op.kink(*args):
            if tie == "split" and op.tie_split is not None:
                fixed = op.tie_split
            warnings.append(_kink_notice(graph, i, op, args, out, fixed))
        row = []
        for k, j in enumerate(inputs):
            if not wants[j]:
                row.append(None)
                continue
            if fixed is not None:
                local = fixed[k]
            else:
                try:
                    local = op.local[k](out, *args)
                except (ArithmeticError, ValueError):
                    local = float("inf")
                if not isfinite(local):
                    labels = [nodes[m].label for m in inputs]
                    raise _math_error(
                        graph, i, op, args,
                        f"the local derivative ∂{node.label}/∂{labels[k]} = {op.show(k, labels)} is undefined",
                    )
            contribution = upstream * local
            grad = grads[j] + contribution
            if not isfinite(grad):
                raise _math_error(graph, i, op, args, f"the gradient passed to {nodes[j].label} overflows float64")
            grads[j] = grad
            steps.append(Step(i, k, j, upstream, local, contribution, grad))
            row.append(local)
        locals_[i] = tuple(row)

    names = wrt_names or [name for name in graph.variables if name in point]
    gradient = {}
    for name in names:
        grad = grads[graph.names[name]]
        gradient[name] = 0.0 if grad is None else grad + 0.0  # + 0.0 turns -0.0 into 0.0
    return Result(graph, values, grads, locals_, steps, gradient, warnings, tie)


def _check_wrt(graph: Graph, wrt: Iterable[str] | None) -> list[str]:
    if wrt is None:
        return []
    names = []
    for name in wrt:
        if name not in graph.names:
            near = suggest(name, graph.names)
            raise InputError(
                f"--wrt {name}: the expression has no variable or named value '{name}'",
                f"did you mean '{near}'?" if near else "names: " + ", ".join(graph.names),
            )
        if name not in names:
            names.append(name)
    return names


def _point_notices(graph: Graph, point: Mapping[str, float]) -> list[Notice]:
    notices = []
    for name in point:
        if name in graph.variables:
            if name in CONSTANTS:
                notices.append(Notice("constant", f"the value given for '{name}' takes precedence over the constant {name} = {CONSTANTS[name]!r}"))
        elif name in graph.names:
            notices.append(Notice("unused", f"'{name}' is assigned in the program, so the value given for it is not used"))
        else:
            near = suggest(name, [v for v in graph.variables if v not in point])
            notices.append(Notice("unused", f"'{name}' is given a value but the expression does not use it" + (f" (did you mean '{near}'?)" if near else "")))
    return notices


def _reason(exc: Exception, op: Op) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "the value overflows float64"
    return f"{op.name} is undefined here (it needs {op.domain})" if op.domain else f"{op.name} is undefined here"


def _math_error(graph: Graph, i: int, op: Op, args: list[float], reason: str) -> MathError:
    node = graph.nodes[i]
    inputs = [(INPUT_NAMES[k], graph.text(j, 40), args[k]) for k, j in enumerate(node.inputs)]
    return MathError(reason, i, node.label, graph.text(i, 60), inputs)


def _kink_notice(graph: Graph, i: int, op: Op, args: list[float], out: float, fixed) -> Notice:
    node = graph.nodes[i]
    where = f"its inputs tie at {args[0]:.17g}" if len(args) == 2 else f"its input is {args[0]:.17g}"
    rule = "--tie split: 1/2 to each input" if fixed is not None else op.convention
    return Notice("kink", f"{node.label} = {graph.text(i, 60)} is at a kink ({where}); {rule}", i)
