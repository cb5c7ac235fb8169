"""Strict JSON (RFC 8259): flat lists of nodes and steps that refer to ids. Imports no Rich."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, cast

from ..graph import Result
from ..ops import OPERATIONS
from . import Options

SCHEMA = "bpcalc.grad/1"
_EXACT_INT = 2**53


def number(value: float | None) -> float | int | str | None:
    """A float as JSON: exact, integers without '.0', -0.0 as 0, non-finite as "inf", "-inf", "nan"."""
    if value is None:
        return None
    if hasattr(value, "tolist"):  # a NumPy array: nested lists (the engine keeps arrays finite)
        return cast(Any, value + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0; cast: mypy takes value for a float
    if value - value == 0.0:  # finite
        if value.is_integer() and -_EXACT_INT < value < _EXACT_INT:
            return int(value)  # also turns -0.0 into 0
        return value
    return "nan" if value != value else "inf" if value > 0 else "-inf"


def to_dict(result: Result) -> dict[str, Any]:
    """The result as plain data, one entry per node and per step: never nested per node.

    Read back from the JSON text itself, so the data and the text are one thing.
    """
    return json.loads(dumps(result))


def dumps(result: Result) -> str:
    return "".join(chunks(result))


CHUNK = 256  # nodes or steps per piece of text: some 100 KB


def chunks(result: Result, size: int = CHUNK) -> Iterator[str]:
    """The JSON text of the result in pieces of `size` nodes or steps, to be written as they come.

    Strict JSON as json.dumps writes it (compact separators, ensure_ascii=False,
    allow_nan=False), but never a dict of the whole result nor its whole text in
    memory. Numbers of a scalar graph are formatted here directly; a node that
    holds an array goes through json.dumps.
    """
    graph = result.graph
    nodes = graph.nodes
    head = {
        "schema": SCHEMA,
        "expression": graph.source,
        "output": result.output,
        "value": number(result.value),
        "gradient": {name: number(g) for name, g in result.gradient.items()},
        "at": {name: number(value) for name, value in result.at.items()},
        "tie": result.tie,
    }
    steps = result.steps  # made before the first piece: what can fail fails before anything is written
    labels = [node.label for node in nodes]
    local_table = result.locals()
    scalar = result.shapes is None
    yield _encode(head)[:-1] + ',"nodes":['
    for first in range(0, len(nodes), size):
        num = _Numbers().__getitem__ if scalar else _number  # numbers only: each text made once a chunk
        pieces = [_node(result, i, labels, local_table, num) for i in range(first, min(first + size, len(nodes)))]
        yield ("," if first else "") + ",".join(pieces)
    yield '],"steps":['
    for first in range(0, len(steps), size):
        num = _Numbers().__getitem__ if scalar else _number
        pieces = [
            f'{{"node":{node},"input":{j},"position":{position},"upstream":{num(upstream)},'
            f'"local":{num(local)},"contribution":{num(contribution)},"grad":{num(grad)}}}'
            for node, position, j, upstream, local, contribution, grad in steps[first : first + size]
        ]
        yield ("," if first else "") + ",".join(pieces)
    yield '],"warnings":' + _encode([warning(w) for w in result.warnings]) + "}"


_encode = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode
_string = json.encoder.encode_basestring  # what the encoder above writes for a str


def _number(value: Any) -> str:
    """number(value) as JSON text, for a float or None (as json.dumps writes it)."""
    if type(value) is not float:
        return "null" if value is None else _encode(number(value))
    if value - value == 0.0:  # finite
        if value.is_integer() and -_EXACT_INT < value < _EXACT_INT:
            return str(int(value))
        return float.__repr__(value)
    return '"nan"' if value != value else '"inf"' if value > 0 else '"-inf"'


class _Numbers(dict):
    """Float (or None) -> its JSON text, made on first use: values recur (upstreams, locals)."""

    def __missing__(self, value: Any) -> str:
        text = self[value] = _number(value)
        return text


def _node(result: Result, i: int, labels: list[str], local_table: list, num: Callable[[Any], str]) -> str:
    """One node's entry as JSON text."""
    node = result.graph.nodes[i]
    op = OPERATIONS.get(node.op)
    if result.shapes is not None:  # arrays: the general encoder
        entry: dict[str, Any] = {
            "id": i,
            "label": node.label,
            "op": node.op,
            "inputs": list(node.inputs),
            "span": [node.start, node.end],
            "shape": list(result.shapes[i]),
            "value": number(result.values[i]),
            "grad": number(result.grads[i]),
            "local": [number(v) for v in local_table[i]],
        }
        if op is not None:
            input_labels = [labels[j] for j in node.inputs]
            entry["formula"] = [op.show(k, input_labels) for k in range(len(node.inputs))]
        return _encode(entry)
    text = (
        f'{{"id":{i},"label":{_string(node.label)},"op":{_string(node.op)},'
        f'"inputs":[{",".join(map(str, node.inputs))}],"span":[{node.start},{node.end}],"shape":[],'
        f'"value":{num(result.values[i])},"grad":{num(result.grads[i])},'
        f'"local":[{",".join([num(v) for v in local_table[i]])}]'
    )
    if op is None:
        return text + "}"
    input_labels = [labels[j] for j in node.inputs]
    return text + f',"formula":[{",".join([_string(op.show(k, input_labels)) for k in range(len(node.inputs))])}]}}'


def warning(notice) -> dict[str, Any]:
    """A warning as JSON; the check reports use it too."""
    entry: dict[str, Any] = {"kind": notice.kind, "message": notice.message, "node": notice.node}
    if notice.one_sided is not None:
        entry["one_sided"] = [list(pair) for pair in notice.one_sided]
    return entry


def output(result: Result, options: Options) -> Iterator[str]:
    """The registry's entry: one JSON object and a new line, in pieces as they are made (see chunks)."""
    yield from chunks(result)
    yield "\n"
