"""bpcalc hessian's output: the gradient and the matrix of second derivatives, as a table or JSON."""
from __future__ import annotations

import json
from typing import Any

from . import number
from .json import number as json_number
from .json import warning
from .rows import Table

SCHEMA = "bpcalc.hessian/1"


def tables(h: Any, digits: int = 6) -> list[Table]:
    """The value and gradient per name, then the Hessian, one row per name."""
    result, names = h.result, h.names
    out = result.output
    graph = result.graph
    gradient_rows: list[tuple[str, ...] | None] = [
        (name, number(result.values[graph.names[name]], digits), number(h.gradient[name], digits)) for name in names
    ]
    first = Table(f"{out} = {number(h.value, digits)}", ("name", "value", f"∂{out}/∂name"), gradient_rows, 0,
                  (False, True, True), len(names), tuple(names))
    matrix_rows: list[tuple[str, ...] | None] = [
        (name, *(number(v, digits) for v in row)) for name, row in zip(names, h.matrix)
    ]
    second = Table(
        f"Hessian ∂²{out}/∂row∂column", ("", *names), matrix_rows, 0,
        (False, *(True for _ in names)), len(names), tuple(names),
    )
    return [first, second]


def to_json(h: Any) -> dict[str, Any]:
    """{"schema": "bpcalc.hessian/1", "names", "value", "gradient", "hessian", ...}."""
    result = h.result
    return {
        "schema": SCHEMA,
        "expression": result.graph.source,
        "output": result.output,
        "names": h.names,
        "value": json_number(h.value),
        "gradient": {name: json_number(h.gradient[name]) for name in h.names},
        "hessian": [[json_number(v) for v in row] for row in h.matrix],
        "at": {name: json_number(v) for name, v in result.at.items()},
        "tie": result.tie,
        "warnings": [warning(w) for w in h.warnings],
    }


def dumps(h: Any) -> str:
    return json.dumps(to_json(h), allow_nan=False, ensure_ascii=False, separators=(",", ":"))
