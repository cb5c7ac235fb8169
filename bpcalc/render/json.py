"""Strict JSON (RFC 8259): flat lists of nodes and steps that refer to ids. Imports no Rich."""
from __future__ import annotations

import json
from typing import Any

from ..graph import Result
from ..ops import OPERATIONS

SCHEMA = "bpcalc.grad/1"
_EXACT_INT = 2**53


def number(value: float | None) -> float | int | str | None:
    """A float as JSON: exact, integers without '.0', -0.0 as 0, non-finite as "inf", "-inf", "nan"."""
    if value is None:
        return None
    if hasattr(value, "tolist"):  # a NumPy array: nested lists (the engine keeps arrays finite)
        return (value + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0
    if value - value == 0.0:  # finite
        if value.is_integer() and -_EXACT_INT < value < _EXACT_INT:
            return int(value)  # also turns -0.0 into 0
        return value
    return "nan" if value != value else "inf" if value > 0 else "-inf"


def to_dict(result: Result) -> dict[str, Any]:
    """The result as plain data, one entry per node and per step: never nested per node."""
    graph = result.graph
    labels = [node.label for node in graph.nodes]
    local_table = result.locals()
    nodes = []
    for i, node in enumerate(graph.nodes):
        entry: dict[str, Any] = {
            "id": i,
            "label": node.label,
            "op": node.op,
            "inputs": list(node.inputs),
            "span": [node.start, node.end],
            "shape": list(result.shapes[i]) if result.shapes is not None else [],
            "value": number(result.values[i]),
            "grad": number(result.grads[i]),
            "local": [number(v) for v in local_table[i]],
        }
        op = OPERATIONS.get(node.op)
        if op is not None:
            input_labels = [labels[j] for j in node.inputs]
            entry["formula"] = [op.show(k, input_labels) for k in range(len(node.inputs))]
        nodes.append(entry)
    steps = [
        {
            "node": s.node,
            "input": s.input,
            "position": s.position,
            "upstream": number(s.upstream),
            "local": number(s.local),
            "contribution": number(s.contribution),
            "grad": number(s.grad),
        }
        for s in result.steps
    ]
    return {
        "schema": SCHEMA,
        "expression": graph.source,
        "output": result.output,
        "value": number(result.value),
        "gradient": {name: number(g) for name, g in result.gradient.items()},
        "at": {name: number(value) for name, value in result.at.items()},
        "tie": result.tie,
        "nodes": nodes,
        "steps": steps,
        "warnings": [warning(w) for w in result.warnings],
    }


def warning(notice) -> dict[str, Any]:
    """A warning as JSON; the check reports use it too."""
    entry: dict[str, Any] = {"kind": notice.kind, "message": notice.message, "node": notice.node}
    if notice.one_sided is not None:
        entry["one_sided"] = [list(pair) for pair in notice.one_sided]
    return entry


def dumps(result: Result) -> str:
    return json.dumps(to_dict(result), allow_nan=False, ensure_ascii=False, separators=(",", ":"))
