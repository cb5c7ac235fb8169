"""Forward mode's trace as plain rows (tables, Markdown) and JSON: values beside each seed's tangents."""
from __future__ import annotations

import json
from typing import Any

from ..graph import CONST, VAR
from . import number
from .json import number as json_number
from .json import to_dict
from .rows import MAX_ROWS, Table, elide


def tangent_cell(trace: Any, seed: str, i: int, digits: int) -> str:
    """v̇ = Σ local × v̇(input), in numbers: '0.5 × 1 = 0.5'; a seed is 1, a leaf 0."""
    graph, result = trace.result.graph, trace.result
    tangent = trace.tangents[seed]
    node = graph.nodes[i]
    if i == graph.names[seed]:
        return "1 (seed)"
    if node.op in (VAR, CONST):
        return "0"
    row = result.local[i] or ()
    terms = [
        f"{number(local, digits)} × {number(tangent[k], digits)}"
        for k, local in zip(node.inputs, row)
        if local is not None and tangent[k] != 0.0
    ]
    if not terms:
        return "0"
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return f"{text} = {number(tangent[i], digits)}"


def tables(trace: Any, digits: int = 6, max_rows: int = MAX_ROWS, width: int = 100) -> list[Table]:
    """The trace, a column per seed (or a table per seed where the columns would not fit `width`), then the summary."""
    seeds = trace.seeds
    together = _trace_table(trace, seeds, digits, max_rows)
    found = [together] if len(seeds) <= 1 or _width(together) <= width else [
        _trace_table(trace, [seed], digits, max_rows) for seed in seeds
    ]
    return [*found, summary(trace, digits, max_rows)]


def _width(table: Table) -> int:
    """About how wide the terminal table is: each column's widest cell, and the padding between."""
    cells = [table.headers, *(row for row in table.rows if row is not None)]
    return sum(max(len(row[k]) for row in cells) + 3 for k in range(len(table.headers)))


def _trace_table(trace: Any, seeds: list[str], digits: int, max_rows: int) -> Table:
    graph, result = trace.result.graph, trace.result
    ids = elide(list(range(len(graph.nodes))), max_rows)
    rows: list[tuple[str, ...] | None] = []
    for i in ids:
        if i is None:
            rows.append(None)
            continue
        node = graph.nodes[i]
        text = "" if node.op in (VAR, CONST) else graph.text(i, 30)
        cells = tuple(tangent_cell(trace, seed, i, digits) for seed in seeds)
        rows.append((node.label, node.op, text, number(result.values[i], digits), *cells))
    hidden = len(graph.nodes) - (len(ids) - 1) if None in ids else 0
    title = "Forward mode: v̇ = Σ local × v̇(input)" + (f", seeded at {seeds[0]}" if len(seeds) == 1 else "")
    headers = ("node", "op", "expression", "value", *(f"v̇ = ∂node/∂{seed}" for seed in seeds))
    numeric = (False, False, False, True, *(False for _ in seeds))
    return Table(title, headers, rows, hidden, numeric, len(graph.nodes), tuple(ids))


def summary(trace: Any, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """The output's value and, per seed, the output's tangent: the gradient."""
    result = trace.result
    graph, out = result.graph, result.output
    names = elide(list(trace.gradient), max_rows)
    rows: list[tuple[str, ...] | None] = [
        None if name is None
        else (name, number(result.values[graph.names[name]], digits), number(trace.gradient[name], digits))
        for name in names
    ]
    hidden = len(trace.gradient) - (len(names) - 1) if None in names else 0
    return Table(f"{out} = {number(result.value, digits)}", ("name", "value", f"∂{out}/∂name"), rows, hidden,
                 (False, True, True), len(trace.gradient), tuple(names))


def to_json(trace: Any) -> dict[str, Any]:
    """The reverse-mode JSON object, with "mode": "forward" and each seed's tangents in node order."""
    data = to_dict(trace.result)
    data["gradient"] = {name: json_number(g) for name, g in trace.gradient.items()}
    data["mode"] = "forward"
    data["tangents"] = {seed: [json_number(t) for t in tangent] for seed, tangent in trace.tangents.items()}
    return data


def dumps(trace: Any) -> str:
    return json.dumps(to_json(trace), allow_nan=False, ensure_ascii=False, separators=(",", ":"))
