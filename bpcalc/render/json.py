"""Strict JSON (RFC 8259): flat lists of nodes and steps that refer to ids. Imports no Rich."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, compress, repeat
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
    yield _encode(head)[:-1] + ',"nodes":['
    if result.shapes is not None:  # arrays: each node through the general encoder
        for first in range(0, len(nodes), size):
            pieces = [_array_node(result, i, labels, local_table) for i in range(first, min(first + size, len(nodes)))]
            yield ("," if first else "") + ",".join(pieces)
    else:
        formats: dict[str, tuple | None] = {}
        names = _names(labels)
        for first in range(0, len(nodes), size):
            last = min(first + size, len(nodes))
            yield ("," if first else "") + _scalar_nodes(result, first, last, names, local_table, formats)
    yield '],"steps":['
    for first in range(0, len(steps), size):
        yield ("," if first else "") + _steps(steps[first : first + size], result.shapes is None)
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


def _names(labels: list[str]) -> list[str]:
    """The labels as JSON writes them between quotes: themselves, unless one needs escaping."""
    everything = "".join(labels)
    if len(_string(everything)) == len(everything) + 2:  # nothing escaped (labels are names and numbers)
        return labels
    return [_string(label)[1:-1] for label in labels]


_NOT_AS_REPR = (".0", "f", "n")  # how float.__repr__ ends where _number writes otherwise: 3.0, inf, nan


def _texts(*columns: Iterable) -> dict:
    """The JSON text of every number in the columns, by value: float.__repr__ over them all at once.

    _number's text for each; _number itself only where the repr is not it (whole numbers,
    -0.0, inf, nan) or for what is not a float. Values recur (upstreams, locals): each
    distinct one is formatted once. -0.0 and 0.0 share a key, and both write 0.
    """
    new = set(chain.from_iterable(columns))
    new.discard(None)
    known = {None: "null"}
    try:
        texts = list(map(float.__repr__, new))
    except TypeError:  # not all floats (numbers of another type): one at a time, as _number writes them
        known.update(zip(new, map(_number, new)))
        return known
    known.update(zip(new, texts))
    for value in compress(new, map(str.endswith, texts, repeat(_NOT_AS_REPR))):
        known[value] = _number(value)
    return known


def _scalar_nodes(
    result: Result, first: int, last: int, names: list[str], local_table: list, formats: dict[str, tuple | None]
) -> str:
    """The entries of nodes first..last-1 of a graph of numbers, as JSON text.

    `names` are the labels as JSON writes them inside quotes; `formats` each op's entry
    template (_entry_format), made on first use.
    """
    nodes = result.graph.nodes[first:last]
    values, grads, rows = result.values[first:last], result.grads[first:last], local_table[first:last]
    text = _texts(values, grads, chain.from_iterable(rows)).__getitem__
    name = names.__getitem__
    pieces = []
    for i, node, value, grad, row in zip(range(first, last), nodes, values, grads, rows):
        inputs = node.inputs
        form = formats.get(node.op, ())
        if form == ():
            form = formats[node.op] = _entry_format(node.op, len(inputs))
        if form is None:  # no template for the op: each entry as it comes
            pieces.append(_entry(result, i, names, row, text))
            continue
        template, order = form
        if not inputs:  # a leaf: no inputs, locals or formulas to join
            pieces.append(template % (i, names[i], "", node.start, node.end, text(value), text(grad), ""))
            continue
        pieces.append(template % (
            i, names[i], ",".join(map(str, inputs)), node.start, node.end, text(value), text(grad),
            ",".join(map(text, row)), *map(name, map(inputs.__getitem__, order)),
        ))
    return ",".join(pieces)


_ENTRY = '{"id":%s,"label":"%s","op":%s,"inputs":[%s],"span":[%s,%s],"shape":[],"value":%s,"grad":%s,"local":[%s]'
_MARK = re.compile("\ue000([0-9]+)\ue001")  # a stand-in label: private-use characters that no label holds


def _entry_format(op_name: str, arity: int) -> tuple | None:
    """A node entry of the op as a %-template, and which input's label fills each place of its formulas.

    The formulas are op.show's own text with stand-in labels, each stand-in's place then a
    field. JSON escapes character by character, so an escaped label put in the escaped text
    is the escaped text of show with the label. None where show's text is no such template
    (a variadic op).
    """
    head = _ENTRY % ("%s", "%s", _string(op_name).replace("%", "%%"), *["%s"] * 6)  # the op's name put in
    op = OPERATIONS.get(op_name)
    if op is None:  # a leaf
        return head + "}", ()
    if op.variadic or op.arity != arity:
        return None
    marks = ["\ue000" + str(k) + "\ue001" for k in range(arity)]
    pieces = _MARK.split(",".join([_string(op.show(k, marks)) for k in range(arity)]))
    literal = [piece.replace("%", "%%") for piece in pieces[0::2]]
    if any("\ue000" in piece or "\ue001" in piece for piece in literal):
        return None
    order = tuple(int(k) for k in pieces[1::2])
    return head + ',"formula":[' + "%s".join(literal) + "]}", order


def _entry(result: Result, i: int, names: list[str], row: tuple, text: Callable[[Any], str]) -> str:
    """One node's entry as JSON text, without a template."""
    node = result.graph.nodes[i]
    entry = _ENTRY % (i, names[i], _string(node.op), ",".join(map(str, node.inputs)), node.start, node.end,
                      text(result.values[i]), text(result.grads[i]), ",".join(map(text, row)))
    op = OPERATIONS.get(node.op)
    if op is None:
        return entry + "}"
    input_labels = [result.graph.nodes[j].label for j in node.inputs]
    return entry + f',"formula":[{",".join([_string(op.show(k, input_labels)) for k in range(len(node.inputs))])}]}}'


_STEP = '{"node":%s,"input":%s,"position":%s,"upstream":%s,"local":%s,"contribution":%s,"grad":%s}'


def _steps(part: list, scalar: bool) -> str:
    """Steps as JSON text: their numbers formatted at once (_texts), or one by one with arrays."""
    if not part:
        return ""
    node, position, j, upstream, local, contribution, grad = zip(*part)
    if scalar:
        text = _texts(upstream, local, contribution, grad).__getitem__
    else:
        text = _number
    return ",".join(map(_STEP.__mod__, zip(node, j, position, map(text, upstream), map(text, local),
                                          map(text, contribution), map(text, grad))))


def _array_node(result: Result, i: int, labels: list[str], local_table: list) -> str:
    """One node's entry of a graph that holds arrays, through the general encoder."""
    node = result.graph.nodes[i]
    op = OPERATIONS.get(node.op)
    entry: dict[str, Any] = {
        "id": i,
        "label": node.label,
        "op": node.op,
        "inputs": list(node.inputs),
        "span": [node.start, node.end],
        "shape": list(result.shapes[i]),  # type: ignore[index]
        "value": number(result.values[i]),
        "grad": number(result.grads[i]),
        "local": [number(v) for v in local_table[i]],
    }
    if op is not None:
        input_labels = [labels[j] for j in node.inputs]
        entry["formula"] = [op.show(k, input_labels) for k in range(len(node.inputs))]
    return _encode(entry)


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
