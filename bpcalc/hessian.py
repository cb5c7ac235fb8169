"""Second derivatives (bpcalc hessian): forward over reverse, on the engine's own loops.

For each variable x_j: forward mode gives every node's tangent in x_j (the engine's
tangent loop over the recorded locals); each local derivative then gets its own
tangent from the op table's second derivatives (`Op.second`); and the engine's one
reverse loop replays the recorded pass with those (local, tangent) pairs as dual
numbers, so every gradient comes out with its tangent: ∂/∂x_j of ∂f/∂x_i, the
Hessian's column j. At a kink the indicator's second derivative is 0, the same
convention as its first, and the kink warning says so.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .engine import backward, run, tangents
from .errors import InputError, MathError, Notice, math_error
from .graph import VAR, Graph, Result
from .ops import OPERATIONS

SYMMETRY = 1e-9  # |H[i][j] - H[j][i]| at most this, relative to the largest |H| entry (tests check it)


class Dual:
    """value + tangent·ε with ε² = 0: what the reverse loop's sums and products carry here."""

    __slots__ = ("tangent", "value")

    def __init__(self, value: float, tangent: float):
        self.value = value
        self.tangent = tangent

    def __add__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            return Dual(self.value + other.value, self.tangent + other.tangent)
        return Dual(self.value + other, self.tangent)

    __radd__ = __add__

    def __mul__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            return Dual(self.value * other.value, self.value * other.tangent + self.tangent * other.value)
        return Dual(self.value * other, self.tangent * other)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"


@dataclass
class Hessian:
    """The value, the gradient and the matrix of second derivatives, in the order of `names`."""

    result: Result  # the grad result the Hessian differentiates (values, locals, warnings)
    names: list[str]
    matrix: list[list[float]]  # matrix[i][j] = ∂²f/∂names[i]∂names[j]
    warnings: list[Notice]

    @property
    def value(self) -> float:
        return self.result.value

    @property
    def gradient(self) -> dict[str, float]:
        return self.result.gradient

    @property
    def asymmetry(self) -> float:
        """The largest |H[i][j] − H[j][i]|, relative to the largest entry (0 for a symmetric matrix)."""
        n = len(self.names)
        scale = max((abs(v) for row in self.matrix for v in row), default=0.0) or 1.0
        gaps = (abs(self.matrix[i][j] - self.matrix[j][i]) for i in range(n) for j in range(i))
        return max(gaps, default=0.0) / scale


def hessian(
    graph: Graph, point: Mapping[str, Any], *, wrt: Iterable[str] | None = None, tie: str = "indicator"
) -> Hessian:
    """∂²f/∂x_i∂x_j for every variable (or the --wrt variables), by forward over reverse."""
    names = list(wrt) if wrt is not None else None
    for name in names or ():
        if name in graph.names and graph.nodes[graph.names[name]].op != VAR:
            raise InputError(f"--wrt {name}: the Hessian is by variables, and '{name}' is a named value")
    result = run(graph, point, wrt=names, tie=tie)
    if result.shapes is not None:
        raise InputError("bpcalc hessian is for expressions of numbers; vectors and matrices are not supported yet")
    for node in graph.nodes:
        op = OPERATIONS.get(node.op)
        if op is not None and op.second is None:
            raise InputError(f"{node.op} has no second derivatives in bpcalc")
    chosen = list(result.gradient)
    matrix_columns = []
    for name in chosen:
        seed = graph.names[name]
        tangent, _ = tangents(graph, result.local, {seed: 1.0})
        rows = dual_locals(graph, result, tangent)
        record = backward(graph, result.values, [], replay=(rows, None))
        matrix_columns.append([_tangent(record.grads[graph.names[other]]) for other in chosen])
    matrix = [[matrix_columns[j][i] for j in range(len(chosen))] for i in range(len(chosen))]
    warnings = list(result.warnings)
    for notice in result.warnings:
        if notice.kind == "kink":
            label = graph.nodes[notice.node].label if notice.node is not None else "a node"
            message = f"the second derivatives at {label}'s kink are 0: its indicator is constant on each side"
            warnings.append(Notice("kink", message, notice.node))
    return Hessian(result, chosen, matrix, warnings)


def dual_locals(graph: Graph, result: Result, tangent: list[float]) -> list:
    """Each recorded local as Dual(local, its tangent) where an input moves, else the local itself."""
    rows: list = []
    values = result.values
    for i, (node, row) in enumerate(zip(graph.nodes, result.local)):
        if row is None:
            rows.append(None)
            continue
        moving = [k for k, j in enumerate(node.inputs) if tangent[j] != 0.0]
        if not moving:
            rows.append(row)
            continue
        op = OPERATIONS[node.op]
        args = [values[j] for j in node.inputs]
        duals: list[Dual | None] = []
        second = op.second or ()
        for p, local in enumerate(row):
            if local is None:
                duals.append(None)
                continue
            try:
                change = sum(second[p][k](values[i], *args) * tangent[node.inputs[k]] for k in moving)
            except (ArithmeticError, ValueError):
                raise _undefined(graph, i, values) from None
            duals.append(Dual(local, change))
        rows.append(tuple(duals))
    return rows


def _tangent(grad: Any) -> float:
    if isinstance(grad, Dual):
        return grad.tangent + 0.0
    return 0.0  # no second-order term reached it


def _undefined(graph: Graph, i: int, values: list) -> MathError:
    return math_error(graph, i, values, "a second derivative is undefined here")
