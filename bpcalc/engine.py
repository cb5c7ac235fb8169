"""The forward and reverse passes: two loops over the graph's topologically ordered nodes."""
from __future__ import annotations

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
    get = values.__getitem__
    for i, node in enumerate(nodes):
        op = ops[i]
        if op is None:
            continue
        inputs = node.inputs
        args = tuple(map(get, inputs))
        try:
            out = op.forward(*args)
        except (ArithmeticError, ValueError) as exc:
            raise _math_error(graph, i, op, args, _reason(exc, op)) from None
        if out - out != 0.0:  # inf or nan: faster than math.isfinite in this loop
            raise _math_error(graph, i, op, args, "the value overflows float64")
        values[i] = out
        if any(map(wants.__getitem__, inputs)):
            wants[i] = 1

    # Reverse pass: visit nodes from the output back; each passes upstream × local
    # to each input, and an input's gradient sums what all its consumers passed.
    grads: list[float | None] = [0.0 if w else None for w in wants]
    if wants[-1]:
        grads[-1] = 1.0
    steps: list[Step] = []
    record = steps.append
    new_step = tuple.__new__  # Step(...) without NamedTuple's Python-level __new__
    for i in range(count - 1, -1, -1):
        op = ops[i]
        if op is None or not wants[i]:
            continue
        inputs = nodes[i].inputs
        args = tuple(map(get, inputs))
        out = values[i]
        upstream = grads[i]
        rules = op.local
        if op.kink is not None and op.kink(*args):
            if tie == "split" and op.tie_split is not None:
                rules = tuple((lambda local: lambda *_: local)(local) for local in op.tie_split)
            warnings.append(_kink_notice(graph, i, op, args, rules is not op.local))
        for k, j in enumerate(inputs):
            if not wants[j]:
                continue
            try:
                local = rules[k](out, *args)
            except (ArithmeticError, ValueError):
                local = float("inf")
            contribution = upstream * local
            grad = grads[j] + contribution
            if grad - grad != 0.0:
                raise _backward_error(graph, i, op, args, k, local)
            grads[j] = grad
            record(new_step(Step, (i, k, j, upstream, local, contribution, grad)))

    names = wrt_names or [name for name in graph.variables if name in point]
    gradient = {}
    for name in names:
        grad = grads[graph.names[name]]
        gradient[name] = 0.0 if grad is None else grad + 0.0  # + 0.0 turns -0.0 into 0.0
    return Result(graph, values, grads, steps, gradient, warnings, tie)


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
    variables = set(graph.variables)
    for name in point:
        if name in variables:
            if name in CONSTANTS:
                notices.append(Notice("constant", f"the value given for '{name}' takes precedence over the constant {name} = {CONSTANTS[name]!r}"))
        elif name in graph.names:
            notices.append(Notice("unused", f"'{name}' is assigned in the program, so the value given for it is not used"))
        else:
            near = suggest(name, [v for v in graph.variables if v not in point]) if len(point) < 100 else None
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


def _backward_error(graph: Graph, i: int, op: Op, args, k: int, local: float) -> MathError:
    nodes = graph.nodes
    labels = [nodes[j].label for j in nodes[i].inputs]
    if local - local != 0.0:
        reason = f"the local derivative ∂{nodes[i].label}/∂{labels[k]} = {op.show(k, labels)} is undefined"
    else:
        reason = f"the gradient passed to {labels[k]} overflows float64"
    return _math_error(graph, i, op, args, reason)


def _kink_notice(graph: Graph, i: int, op: Op, args, split: bool) -> Notice:
    node = graph.nodes[i]
    where = f"its inputs tie at {args[0]:.17g}" if len(args) == 2 else f"its input is {args[0]:.17g}"
    rule = "--tie split: 1/2 to each input" if split else op.convention
    return Notice("kink", f"{node.label} = {graph.text(i, 60)} is at a kink ({where}); {rule}", i)
