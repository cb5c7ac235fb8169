"""The forward and reverse passes: two loops over the graph's topologically ordered nodes."""
from __future__ import annotations

from typing import Iterable, Mapping

from .errors import InputError, MathError, MissingValuesError, suggest
from .graph import CONST, VAR, Graph, Notice, Result
from .ops import ARRAY_OPERATIONS, CONSTANTS, INPUT_NAMES, OPERATIONS, Op

TIES = ("indicator", "split")


def run(graph: Graph, point: Mapping[str, float], *, wrt: Iterable[str] | None = None, tie: str = "indicator") -> Result:
    """Evaluate the graph at the point and backpropagate from its output."""
    if tie not in TIES:
        raise InputError(f"unknown tie convention '{tie}': use one of {', '.join(TIES)}")
    wrt_names = _check_wrt(graph, wrt)
    values, wants = leaves(graph, point)
    for name in wrt_names:
        wants[graph.names[name]] = 1
    warnings = list(graph.notices) + _point_notices(graph, point)
    shapes = contributions = None
    if any(type(v) is not float for v in values) or any(node.op in ARRAY_OPERATIONS for node in graph.nodes):
        from . import arrays  # NumPy: only when an array appears

        shapes = arrays.shapes(graph, values)
        arrays.forward(graph, values, wants)
        grads, local, contributions = arrays.backward(graph, values, wants, shapes, tie, warnings)
    else:
        forward(graph, values, wants)
        grads, local = backward(graph, values, wants, tie, warnings)

    names = wrt_names or [name for name in graph.variables if name in point]
    gradient = {}
    for name in names:
        grad = grads[graph.names[name]]
        gradient[name] = 0.0 if grad is None else grad + 0.0  # + 0.0 turns -0.0 into 0.0
    at = {name: values[graph.names[name]] for name in graph.variables if name in point}
    return Result(graph, values, grads, local, gradient, warnings, tie, shapes, contributions, at)


def leaves(graph: Graph, point: Mapping[str, float]) -> tuple[list[float], bytearray]:
    """Values for the leaves: variables from the point (pi and e fall back to constants), literals.

    Also the start of `wants`, 1 where a node depends on something we differentiate by.
    """
    nodes = graph.nodes
    values = [0.0] * len(nodes)
    wants = bytearray(len(nodes))
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
    return values, wants


def forward(graph: Graph, values: list[float], wants: bytearray) -> None:
    """The forward pass: every operation's value, in topological order; fills `values` and `wants`."""
    operation = OPERATIONS.get
    get = values.__getitem__
    wanted = wants.__getitem__
    for i, node in enumerate(graph.nodes):
        op = operation(node.op)
        if op is None:
            continue  # a leaf
        inputs = node.inputs
        try:
            if len(inputs) == 2:  # binary ops unrolled: this loop and backward's are the hot path
                a, b = inputs
                out = op.forward(values[a], values[b])
                wants[i] |= wants[a] | wants[b]  # |=: a --wrt name is wanted even if made of constants
            else:
                out = op.forward(*map(get, inputs))
                wants[i] |= any(map(wanted, inputs))
        except (ArithmeticError, ValueError) as exc:
            raise _math_error(graph, i, op, values, _reason(exc, op)) from None
        if out - out != 0.0:  # inf or nan; cheaper than math.isfinite here
            raise _math_error(graph, i, op, values, "the value overflows float64")
        values[i] = out


def backward(
    graph: Graph, values: list[float], wants: bytearray, tie: str, warnings: list[Notice]
) -> tuple[list[float | None], list[tuple[float | None, ...] | None]]:
    """The reverse pass: from the output back, each node passes upstream × local to each input.

    An input's gradient sums what all its consumers passed. Returns the gradients
    and each visited node's local derivatives (None for inputs that need no
    gradient); Result.steps replays the contributions from them. Appends a
    warning for every node evaluated at a kink.
    """
    nodes = graph.nodes
    operation = OPERATIONS.get
    get = values.__getitem__
    grads: list[float | None] = [0.0 if w else None for w in wants]
    if wants[-1]:
        grads[-1] = 1.0
    local_rows: list[tuple[float | None, ...] | None] = [None] * len(nodes)
    for i in range(len(nodes) - 1, -1, -1):
        if not wants[i]:
            continue
        op = operation(nodes[i].op)
        if op is None:
            continue  # a leaf
        inputs = nodes[i].inputs
        out = values[i]
        upstream = grads[i]
        rules = op.local
        if op.kink is not None and op.kink(*map(get, inputs)):
            if tie == "split" and op.tie_split is not None:
                rules = tuple(_constant(local) for local in op.tie_split)
            warnings.append(_kink_notice(graph, i, op, values, rules is not op.local))
        if len(inputs) == 2:  # unrolled as in forward; the loop below is the same for any arity
            a, b = inputs
            va, vb = values[a], values[b]
            la = lb = None
            if wants[a]:
                try:
                    la = rules[0](out, va, vb)
                except (ArithmeticError, ValueError):
                    la = _UNDEFINED
                grads[a] = grad = grads[a] + upstream * la
                if grad - grad != 0.0:
                    raise _backward_error(graph, i, op, values, 0, la)
            if wants[b]:
                try:
                    lb = rules[1](out, va, vb)
                except (ArithmeticError, ValueError):
                    lb = _UNDEFINED
                grads[b] = grad = grads[b] + upstream * lb
                if grad - grad != 0.0:
                    raise _backward_error(graph, i, op, values, 1, lb)
            local_rows[i] = (la, lb)
            continue
        args = tuple(map(get, inputs))
        row = []
        for k, (j, rule) in enumerate(zip(inputs, rules)):
            local = None
            if wants[j]:
                try:
                    local = rule(out, *args)
                except (ArithmeticError, ValueError):
                    local = _UNDEFINED
                grads[j] = grad = grads[j] + upstream * local
                if grad - grad != 0.0:
                    raise _backward_error(graph, i, op, values, k, local)
            row.append(local)
        local_rows[i] = tuple(row)
    return grads, local_rows


_UNDEFINED = float("inf")  # a local rule that raised: reported as undefined


def _constant(value: float):
    return lambda *_: value


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


def _math_error(graph: Graph, i: int, op: Op, values: list[float], reason: str) -> MathError:
    node = graph.nodes[i]
    inputs = [(INPUT_NAMES[k], graph.text(j, 40), values[j]) for k, j in enumerate(node.inputs)]
    return MathError(reason, i, node.label, graph.text(i, 60), inputs)


def _backward_error(graph: Graph, i: int, op: Op, values: list[float], k: int, local: float) -> MathError:
    nodes = graph.nodes
    labels = [nodes[j].label for j in nodes[i].inputs]
    if local - local != 0.0:
        reason = f"the local derivative ∂{nodes[i].label}/∂{labels[k]} = {op.show(k, labels)} is undefined"
    else:
        reason = f"the gradient passed to {labels[k]} overflows float64"
    return _math_error(graph, i, op, values, reason)


def _kink_notice(graph: Graph, i: int, op: Op, values: list, split: bool, count: int = 1, size: int = 1) -> Notice:
    nodes = graph.nodes
    node = nodes[i]
    args = [values[j] for j in node.inputs]
    if any(type(a) is not float for a in args):  # element-wise on arrays
        where = f"at {count} of its {size} element{'s' if size > 1 else ''}"
    else:
        where = f"its inputs tie at {float(args[0]):.17g}" if len(args) == 2 else f"its input is {float(args[0]):.17g}"
    rule = "--tie split: 1/2 to each input" if split else op.convention
    sides = ""
    if op.one_sided is not None:
        sides = "; " + ", ".join(
            f"∂{node.label}/∂{nodes[j].label} is {below:g} from below and {above:g} from above"
            for j, (below, above) in zip(node.inputs, op.one_sided)
            if nodes[j].op != CONST
        )
    message = f"{node.label} = {graph.text(i, 60)} is at a kink ({where}{sides}); {rule}"
    return Notice("kink", message, i, op.one_sided)
