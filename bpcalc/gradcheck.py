"""Gradient check: each backprop gradient against central differences, aware of kinks.

Where x−h and x+h fall on different sides of a kink (a max/min changes its
winner, relu or abs changes branch), the central difference averages two
slopes and proves nothing; the check then takes the one-sided derivatives and
asks whether backprop's value lies between them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from .engine import array_support, forward, leaves, run
from .errors import InputError, MathError, suggest
from .graph import Graph, Result
from .ops import OPERATIONS

EPS = 2.0 ** -52
STEP = EPS ** (1 / 3)  # central differences are most accurate with h ≈ cbrt(ε) × the variable's scale
# The usual thresholds for the relative error |a−n| / max(|a|,|n|) (CS231n's notes).
GOOD = 1e-7
OK = 1e-4
DOUBTFUL = 1e-2
AGREE = ("good", "ok", "kink")


@dataclass
class Kink:
    """The kinks that x−h and x+h straddle, and the one-sided derivatives around x."""

    nodes: list[int]
    labels: list[str]  # "n3 = max(0, 1 - w*phi*y)"
    left: float
    right: float


@dataclass
class Row:
    """One variable: backprop's gradient against the numerical one."""

    name: str
    value: float
    step: float
    backprop: float
    numeric: float | None  # None when f is undefined on both sides
    rel_error: float | None
    verdict: str  # good, ok, doubtful, wrong, kink (lies between the one-sided derivatives), undefined
    kink: Kink | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict in AGREE


@dataclass
class GradCheck:
    """Every variable's row, with the backprop run they check."""

    result: Result
    rows: list[Row] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)


def gradcheck(
    expr: str | Graph, at: Any = None, *, wrt: str | Iterable[str] | None = None, tie: str = "indicator"
) -> GradCheck:
    """Compare backprop with central differences for each variable (or each of `wrt`) at the point."""
    from .parse import parse, parse_point

    graph = parse(expr) if isinstance(expr, str) else expr
    point = parse_point(at)
    if isinstance(wrt, str):
        wrt = [w.strip() for w in wrt.split(",") if w.strip()]
    names = _names(graph, point, wrt)
    result = run(graph, point, wrt=names or None, tie=tie)
    check = GradCheck(result)
    for name in names:
        x = point[name]
        if isinstance(x, float):
            check.rows.append(
                _row(graph, point, result, name, x, result.gradient[name], lambda t, name=name: {**point, name: t})
            )
            continue
        # A vector or matrix: one row per element, w[0], W[1,2], each moved on its own.
        import numpy as np

        grad = np.asarray(result.gradient[name], dtype=float)
        array = np.asarray(x)  # already a float64 array (parse_point): no copy
        for index in np.ndindex(*array.shape):

            def moved(t, name=name, index=index):
                array = np.array(point[name], dtype=float)
                array[index] = t
                return {**point, name: array}

            label = f"{name}[{','.join(map(str, index))}]"
            check.rows.append(_row(graph, point, result, label, float(array[index]), float(grad[index]), moved))
    return check


def _names(graph: Graph, point: dict, wrt: Iterable[str] | None) -> list[str]:
    variables = [v for v in graph.variables if v in point]
    if wrt is None:
        return variables
    names = []
    for name in wrt:
        if name not in variables:
            if name in graph.names:
                raise InputError(
                    f"--wrt {name}: '{name}' is a named value, not a variable; gradcheck moves the variables",
                    "use bpcalc grad --wrt for the gradients of named values",
                )
            near = suggest(name, variables)
            raise InputError(
                f"--wrt {name}: the expression has no variable '{name}'",
                f"did you mean '{near}'?" if near else "variables: " + ", ".join(variables),
            )
        if name not in names:
            names.append(name)
    return names


def evaluate(graph: Graph, point: dict) -> list | None:
    """Every node's value at a point (the forward pass alone), or None where the math is undefined."""
    try:
        values, wants = leaves(graph, point)
        forward(graph, values, wants, array_support(graph, values))
    except MathError:
        return None
    return values


def _piece(graph: Graph, values: list, k: int):
    """Which smooth piece kink node k is on, as its op's entry tells (element by element for arrays)."""
    piece = OPERATIONS[graph.nodes[k].op].piece
    assert piece is not None, "every op with a kink has a piece rule (ops.py)"
    args = [values[j] for j in graph.nodes[k].inputs]
    if all(isinstance(a, float) for a in args):
        return piece(*args)
    import numpy as np

    return tuple(np.frompyfunc(piece, len(args), 1)(*args).ravel().tolist())


def _row(graph: Graph, point: dict, result: Result, name: str, x: float, backprop: float, moved) -> Row:
    """One number's row: `moved(t)` is the point with this number set to t."""
    h = STEP * max(1.0, abs(x))
    h = (x + h) - x  # a step that x + h represents exactly

    def at(t: float) -> list | None:
        return evaluate(graph, moved(t))

    f0 = result.values[-1]
    plus, minus = at(x + h), at(x - h)
    note = ""
    if (plus is None or minus is None) and x != 0:
        # Near the edge of the domain (log, sqrt close to 0): a step from |x| alone keeps both sides inside.
        small = STEP * abs(x)
        small = (x + small) - x
        plus_small, minus_small = at(x + small), at(x - small)
        if plus_small is not None and minus_small is not None:
            h, plus, minus = small, plus_small, minus_small
            note = f"step from |{name}| alone, as one from max(1, |{name}|) leaves the domain"
    if plus is not None and minus is not None:
        numeric = (plus[-1] - minus[-1]) / (2 * h)
        scale = max(abs(plus[-1]), abs(minus[-1]), abs(f0))
    elif plus is not None or minus is not None:
        # Undefined on one side even so: a one-sided difference of second order.
        sign = 1.0 if plus is not None else -1.0
        near, far = (plus, at(x + 2 * h)) if plus is not None else (cast(list, minus), at(x - 2 * h))  # cast: the elif
        if far is None:
            return Row(
                name, x, h, backprop, None, None, "undefined", note="the expression is undefined near this point"
            )
        numeric = sign * (-3 * f0 + 4 * near[-1] - far[-1]) / (2 * h)
        scale = max(abs(near[-1]), abs(far[-1]), abs(f0))
        note = f"one-sided: the expression is undefined at {name}{'−' if plus is not None else '+'}h"
    else:
        return Row(
            name, x, h, backprop, None, None, "undefined", note="the expression is undefined at both x−h and x+h"
        )

    difference = abs(backprop - numeric)
    biggest = max(abs(backprop), abs(numeric))
    rel = 0.0 if biggest == 0 else difference / biggest
    noise = 16 * EPS * scale / h  # rounding error of the difference quotient
    if difference <= noise and rel > GOOD:
        verdict = "ok"  # the difference cannot be told from rounding: no evidence either way
        note = note or f"the difference is within the finite difference's rounding noise (±{noise:.1g})"
    else:
        verdict = "good" if rel <= GOOD else "ok" if rel <= OK else "doubtful" if rel <= DOUBTFUL else "wrong"

    kink = None
    if plus is not None and minus is not None:
        crossed = [
            k
            for k, node in enumerate(graph.nodes)
            if node.op in OPERATIONS
            and OPERATIONS[node.op].piece is not None
            and _piece(graph, minus, k) != _piece(graph, plus, k)
        ]
        if crossed:
            left = (f0 - minus[-1]) / h
            right = (plus[-1] - f0) / h
            labels = [f"{graph.nodes[k].label} = {graph.text(k, 40)}" for k in crossed]
            kink = Kink(crossed, labels, left, right)
            low, high = min(left, right), max(left, right)
            slack = OK * max(abs(left), abs(right), abs(backprop)) + 2 * noise
            verdict = "kink" if low - slack <= backprop <= high + slack else "wrong"
    return Row(name, x, h, backprop, numeric, rel, verdict, kink, note)
