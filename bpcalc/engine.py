"""The passes: one forward loop and one reverse loop over the graph's topologically ordered nodes.

Every mode calls these two loops with what differs passed in: `run` (bpcalc.grad),
`Result.steps` (the reverse pass replayed from its recorded locals, recording each
step), check's replay with a student's own locals and upstream values, forward-mode
tangents (`tangents`, the same locals pushed forward), gradcheck's evaluations and
the optimizer steps of `bpcalc train`. Numbers and arrays go through the same loops:
an array node hands its op to bpcalc/arrays.py (NumPy, imported only when an array
appears), which applies the op table's scalar rules element-wise or its vjp rules.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from functools import partial
from typing import Any, NamedTuple

from .errors import (
    NOT_DEFINED,
    OVERFLOWED,
    InputError,
    MissingValuesError,
    Notice,
    Undefined,
    failure_reason,
    kink_notice,
    math_error,
    suggest,
)
from .graph import CONST, VAR, Graph, Result, Step
from .ops import ARRAY_OPERATIONS, CONSTANTS, OPERATIONS, Op

TIES = ("indicator", "split")
_NONE: Mapping = {}


class Pass(NamedTuple):
    """What one run of the reverse loop leaves: every node's summed gradient, the upstream it
    passed down, its local derivatives and (where a vjp gives them) its contributions."""

    grads: list  # ∂out/∂node summed over fan-out; None where no gradient flows
    upstreams: list  # what each node passed down as its upstream (its grad, or a replay's own number)
    local: list  # per visited node, ∂node/∂input for each input (None where no gradient flows)
    contributions: list | None  # with arrays: each input's contribution, as a vjp may give it


class Numbers(NamedTuple):
    """Numbers other than float64 for the passes (bpcalc.exact's fractions): what the loops need to know."""

    ops: Mapping[str, Op]  # the op table whose rules compute in these numbers
    one: Any  # the output's gradient with respect to itself
    literal: Callable[[Graph, int], Any]  # a number literal's value (node id -> value)
    finite: Callable[[Any], bool]  # whether a gradient is still a number we can use (may raise its own error)


def run(
    graph: Graph,
    point: Mapping[str, Any],
    *,
    wrt: Iterable[str] | None = None,
    tie: str = "indicator",
    numbers: Numbers | None = None,
) -> Result:
    """Evaluate the graph at the point and backpropagate from its output.

    With `wrt`, only those names (and what depends on them) are differentiated: a
    gradient nobody asked for cannot make the call fail. With `numbers`, the passes
    compute in those numbers (exact fractions) by their op table.
    """
    if tie not in TIES:
        raise InputError(f"unknown tie convention '{tie}': use one of {', '.join(TIES)}")
    wrt_names = _check_wrt(graph, wrt)
    values, wants = leaves(graph, point, wrt_names or None)
    for name in wrt_names:
        if graph.nodes[graph.names[name]].op == CONST and name in CONSTANTS:
            raise InputError(
                f"--wrt {name}: {name} is the constant {CONSTANTS[name]!r}, and a constant has no gradient",
                f"to differentiate by it, give it a value: --at {name}={CONSTANTS[name]!r}",
            )
    warnings = list(graph.notices) + _point_notices(graph, point)
    if numbers is not None:
        for i, node in enumerate(graph.nodes):
            if node.op == CONST:
                values[i] = numbers.literal(graph, i)
        forward(graph, values, wants, ops=numbers.ops)
        record = backward(graph, values, wants, tie, warnings, ops=numbers.ops, one=numbers.one, finite=numbers.finite)
        return _result(graph, point, wrt_names, values, record, warnings, tie, None, numbers.one)
    arrays = array_support(graph, values)
    shapes = arrays.shapes(graph, values) if arrays is not None else None
    forward(graph, values, wants, arrays)
    record = backward(graph, values, wants, tie, warnings, shapes=shapes, arrays=arrays)
    return _result(graph, point, wrt_names, values, record, warnings, tie, shapes, 1.0)


def _result(
    graph: Graph, point: Mapping[str, Any], wrt_names: list[str], values: list, record: Pass, warnings: list[Notice],
    tie: str, shapes: list[tuple] | None, one: Any,
) -> Result:
    """The Result of a run: the gradient summary, the point, and the steps to replay on demand."""
    names = wrt_names or [name for name in graph.variables if name in point]
    gradient = {}
    zero = one - one
    for name in names:
        grad = record.grads[graph.names[name]]
        gradient[name] = zero if grad is None else grad + zero  # + 0.0 turns -0.0 into 0.0
    at = {name: values[graph.names[name]] for name in graph.variables if name in point}
    replay = partial(record_steps, graph, values, record.local, record.contributions, one=one)
    return Result(
        graph, values, record.grads, record.local, gradient, warnings, tie, shapes, record.contributions, at, replay
    )


def record_steps(
    graph: Graph, values: Sequence, local_rows: Sequence, contribution_rows: Sequence | None, one: Any = 1.0
) -> list[Step]:
    """The reverse pass replayed from its recorded locals, every contribution kept as a Step."""
    steps: list[Step] = []
    backward(graph, values, [], replay=(local_rows, contribution_rows), steps=steps, one=one)
    return steps


def leaves(graph: Graph, point: Mapping[str, Any], wrt: Iterable[str] | None = None) -> tuple[list, list[bool]]:
    """Values for the leaves: variables from the point (pi and e fall back to constants), literals.

    Also the start of `wants`: True where a node is differentiated by, i.e. every variable
    given a value, or with `wrt` only those names.
    """
    nodes = graph.nodes
    values: list = [0.0] * len(nodes)
    wants = [False] * len(nodes)  # a list: the loops read it by index, which CPython specializes for lists
    missing = []
    for i, node in enumerate(nodes):
        op = node.op
        if op != VAR and op != CONST:
            continue  # an operation: the forward pass gives its value
        if op == VAR or node.label in CONSTANTS:
            # pi and e read as names: a constant (op const, no gradient) unless the point
            # gives them a value, and then a variable; the same graph may be run both ways.
            if node.label in point:
                node.op = VAR
                values[i] = point[node.label]
                wants[i] = wrt is None
            elif node.label in CONSTANTS:
                node.op, node.literal = CONST, CONSTANTS[node.label]
                values[i] = node.literal
            else:
                missing.append(node.label)
        else:
            values[i] = node.literal
    if missing:
        raise MissingValuesError(missing, point)
    for name in wrt or ():
        wants[graph.names[name]] = True
    return values, wants


def array_support(graph: Graph, values: Sequence) -> Any:
    """bpcalc.arrays when the point or the program holds an array, else None (numbers only)."""
    if any(type(v) is not float for v in values) or any(node.op in ARRAY_OPERATIONS for node in graph.nodes):
        from . import arrays  # NumPy: only when an array appears

        return arrays
    return None


def forward(
    graph: Graph, values: list, wants: list[bool], arrays: Any = None, *, ops: Mapping[str, Op] = OPERATIONS
) -> None:
    """The forward pass: every operation's value, in topological order; fills `values` and `wants`.

    `arrays` is bpcalc.arrays when values may be arrays (see array_support); `ops` an op
    table for other numbers (Numbers.ops).
    """
    operation = ops.get
    with arrays.raising() if arrays is not None else nullcontext():
        for i, node in enumerate(graph.nodes):
            op = operation(node.op)
            if op is None:
                continue  # a leaf
            inputs = node.inputs
            try:
                if arrays is None and op.binary:  # binary ops unrolled: the hot path, as in backward
                    a, b = inputs
                    out = op.forward(values[a], values[b])
                    if wants[a] or wants[b]:
                        wants[i] = True
                else:
                    out = arrays.evaluate(graph, i, op, values) if arrays is not None else op.forward(
                        *[values[j] for j in inputs])
                    for j in inputs:
                        if wants[j]:
                            wants[i] = True  # set, never cleared: a --wrt name is wanted even if made of constants
                            break
            except (ArithmeticError, ValueError) as exc:
                raise math_error(graph, i, values, failure_reason(exc, op)) from None
            if arrays is None and out - out != 0.0:  # inf or nan; cheaper than math.isfinite here
                raise math_error(graph, i, values, "the value overflows float64")
            values[i] = out


def backward(
    graph: Graph,
    values: Sequence,
    wants: Sequence[bool],
    tie: str = "indicator",
    warnings: list[Notice] | None = None,
    *,
    shapes: list[tuple] | None = None,
    arrays: Any = None,
    replay: tuple[Sequence, Sequence | None] | None = None,
    changed: Mapping[tuple[int, int], float] = _NONE,
    upstream: Mapping[int, float] = _NONE,
    steps: list[Step] | None = None,
    ops: Mapping[str, Op] = OPERATIONS,
    one: Any = 1.0,
    finite: Callable[[Any], bool] | None = None,
) -> Pass:
    """The reverse pass: from the output back, each node passes upstream × local to each input.

    An input's gradient sums what all its consumers passed. The locals come from the op
    table's rules (kinks through the entry's kink hook, --tie split through its
    `tie_split`), or with `replay=(local rows, contribution rows)` from a recorded pass,
    with `changed` locals put in (node, position) -> local. A node in `upstream` passes
    that number down instead of its sum (a student's own answer). With `steps`, every
    contribution is appended as a Step as it is made. Other numbers (Numbers) come with
    their op table `ops`, their `one` and their `finite` test of a gradient.
    """
    nodes = graph.nodes
    n = len(nodes)
    operation = ops.get
    grads, local_rows, contribution_rows = _start(wants, n, arrays, replay, one)
    upstreams: list = [None] * n
    plain = replay is None and arrays is None and not upstream and steps is None and finite is None  # bpcalc.grad's
    warned_before = len(warnings) if warnings is not None else 0
    visit = wants if replay is None else [row is not None for row in local_rows]  # replay: every recorded node
    with arrays.raising() if arrays is not None else nullcontext():
        for i, node, go in zip(range(n - 1, -1, -1), reversed(nodes), reversed(visit)):
            if not go:
                continue
            op = operation(node.op)
            if op is None:
                continue  # a leaf
            inputs = node.inputs
            up = grads[i]
            if plain and op.binary and op.kink is None:
                # The hot path, bpcalc.grad's binary ops unrolled: the general body below with its
                # cases fixed (test_engine checks that the two agree to the last bit). The op
                # table's facts spare the rule calls: add's and sub's locals are constants,
                # mul's each the other input.
                upstreams[i] = up
                a, b = inputs
                wa, wb = wants[a], wants[b]
                row = op.constant_local
                if row is None:
                    if op.factors:
                        row = (values[b], values[a])
                    else:
                        la: Any = None
                        lb: Any = None
                        if wa:
                            try:
                                la = op.local[0](values[i], values[a], values[b])
                            except OverflowError:
                                la = OVERFLOWED
                            except (ArithmeticError, ValueError):
                                la = NOT_DEFINED
                        if wb:
                            try:
                                lb = op.local[1](values[i], values[a], values[b])
                            except OverflowError:
                                lb = OVERFLOWED
                            except (ArithmeticError, ValueError):
                                lb = NOT_DEFINED
                        row = (la, lb)
                la, lb = row
                if wa:
                    grads[a] = grads[a] + up * la
                if wb:
                    grads[b] = grads[b] + up * lb
                local_rows[i] = row if wa and wb else (la if wa else None, lb if wb else None)
                continue
            if upstream:
                up = upstream.get(i, up)
            upstreams[i] = up
            if replay is not None:
                row = local_rows[i]
                if changed:
                    row = tuple([changed.get((i, p), local) for p, local in enumerate(row)])
                given = contribution_rows[i] if contribution_rows is not None else None
            elif arrays is not None:
                row, given = local_rows[i], contribution_rows[i] = arrays.pullback(  # type: ignore[index]
                    graph, i, op, values, up, wants, shapes, tie, warnings)
            else:
                row = local_rows[i] = _locals(graph, i, op, values, wants, tie, warnings)
                given = None
            for p, j in enumerate(inputs):
                if given is not None:
                    contribution = given[p]
                    if contribution is None:
                        continue
                else:
                    local = row[p]
                    if local is None:
                        continue
                    contribution = up * local
                grads[j] = grad = grads[j] + contribution  # not +=: that would change an array in place
                if replay is None and not plain and (
                    not finite(grad) if finite is not None
                    else grad - grad != 0.0 if type(grad) is float
                    else not arrays.finite(grad)
                ):
                    raise _backward_error(graph, i, op, values, p, row[p], up, contribution)
                if steps is not None:
                    steps.append(Step(i, p, j, up, row[p], contribution, grad))
    if plain and _overflowed(grads):
        # bpcalc.grad's loop checks its gradients once, here: an overflow never turns back into a
        # number (inf + x, inf * y stay inf or nan), so one stays in grads. The loop then runs again
        # checking each gradient as it is made (the general body, through `finite`), to name the node.
        if warnings is not None:
            del warnings[warned_before:]
        return backward(graph, values, wants, tie, warnings, shapes=shapes, ops=ops, one=one, finite=_finite)
    return Pass(grads, upstreams, local_rows, contribution_rows)


def _overflowed(grads: list) -> bool:
    """Whether a gradient is inf or nan: their sum is then (or overflowed itself, and the rerun finds nothing)."""
    total = sum(filter(None, grads))  # in C; drops the None of nodes without a gradient (and zeros)
    return total - total != 0.0


def _start(
    wants: Sequence[bool], n: int, arrays: Any, replay: tuple | None, one: Any = 1.0
) -> tuple[list, list, list | None]:
    """The reverse loop's starting gradients (`one` at the output) and its rows of locals and contributions."""
    zero = one - one
    if replay is not None:  # every recorded node takes part
        grads = [zero] * n
        grads[-1] = one
        contributions = list(replay[1]) if replay[1] is not None else None
        return grads, list(replay[0]), contributions
    grads = [zero if w else None for w in wants]
    if wants[-1]:
        grads[-1] = one
    return grads, [None] * n, [None] * n if arrays is not None else None


def _locals(
    graph: Graph, i: int, op: Op, values: Sequence, wants: Sequence[bool], tie: str, warnings: list | None
) -> tuple:
    """A scalar node's local derivatives from its op's rules; None for inputs that need no gradient."""
    inputs = graph.nodes[i].inputs
    out = values[i]
    if len(inputs) == 2:  # unrolled: the common case on the hot path
        a, b = inputs
        args: tuple = (values[a], values[b])
    else:
        args = tuple([values[j] for j in inputs])
    rules = op.local
    if op.kink is not None and op.kink(*args):
        split = tie == "split" and op.tie_split is not None
        if warnings is not None:
            warnings.append(kink_notice(graph, i, op, values, split))
        if split:
            return tuple(op.tie_split[p] if wants[j] else None for p, j in enumerate(inputs))  # type: ignore[index]
    row = []
    for p, j in enumerate(inputs):
        local = None
        if wants[j]:
            try:
                local = rules[p](out, *args)
            except OverflowError:
                local = OVERFLOWED  # inf: reported as the local derivative overflowing
            except (ArithmeticError, ValueError):
                local = NOT_DEFINED
        row.append(local)
    return tuple(row)




def tangents(
    graph: Graph,
    local_rows: Sequence,
    seeds: Mapping[int, float],
    *,
    changed: Mapping[tuple[int, int], float] = _NONE,
    cut: Iterable[int] = (),
) -> tuple[list[float], list[float]]:
    """Forward mode over the recorded locals: each node's tangent, Σ local × tangent of its input.

    `seeds` give the starting tangents (∂x/∂x = 1 for forward mode in x). A node in `cut`
    passes 0 on (a student's own number stands there). Returns (tangent, reaching): what
    each node passes on, and what reaches it from its inputs before any cut. Linear in
    the locals, this also gives check how far a changed local or upstream moves an answer.
    """
    nodes = graph.nodes
    tangent = [0.0] * len(nodes)
    reaching = [0.0] * len(nodes)
    for j, seed in seeds.items():
        tangent[j] = seed
    cut = set(cut)
    for i in range(min(seeds, default=len(nodes)) + 1, len(nodes)):
        row = local_rows[i]
        if row is None or i in seeds:
            continue
        total = 0.0
        for p, (k, local) in enumerate(zip(nodes[i].inputs, row)):
            if local is not None and tangent[k] != 0.0:
                total += changed.get((i, p), local) * tangent[k] if changed else local * tangent[k]
        reaching[i] = total
        tangent[i] = 0.0 if i in cut else total
    return tangent, reaching


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


def _point_notices(graph: Graph, point: Mapping[str, Any]) -> list[Notice]:
    notices = []
    variables = set(graph.variables)
    for name in point:
        if name in variables:
            if name in CONSTANTS:
                notices.append(
                    Notice(
                        "constant",
                        f"the value given for '{name}' takes precedence over the constant {name} = {CONSTANTS[name]!r}",
                    )
                )
        elif name in graph.names:
            notices.append(
                Notice("unused", f"'{name}' is assigned in the program, so the value given for it is not used")
            )
        else:
            near = suggest(name, [v for v in graph.variables if v not in point]) if len(point) < 100 else None
            notices.append(
                Notice(
                    "unused",
                    f"'{name}' is given a value but the expression does not use it"
                    + (f" (did you mean '{near}'?)" if near else ""),
                )
            )
    return notices


def _backward_error(graph: Graph, i: int, op: Op, values: Sequence, p: int, local: Any, up: Any, contribution: Any):
    """Which number of the step overflowed or was undefined: the local, the contribution or the sum."""
    nodes = graph.nodes
    labels = [nodes[j].label for j in nodes[i].inputs]
    partial = f"∂{nodes[i].label}/∂{labels[p]}"
    if isinstance(local, Undefined):
        text = f"the local derivative {partial} = {op.show(p, labels)} is undefined"
    elif local is not None and not _finite(local):
        text = f"the local derivative {partial} = {op.show(p, labels)} overflows float64"
    elif not _finite(contribution):
        text = (
            f"the gradient passed to {labels[p]} overflows float64: "
            f"upstream {_show(up)} × local {partial} = {_show(local)}"
        )
    else:
        text = f"the gradient passed to {labels[p]} overflows float64 when summed over its uses"
    return math_error(graph, i, values, text)


def _finite(value: Any) -> bool:
    if type(value) is float or isinstance(value, float):
        return value - value == 0.0
    import numpy as np

    return bool(np.isfinite(value).all())


def _show(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else "an array"
