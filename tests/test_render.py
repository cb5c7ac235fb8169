"""Tests for bpcalc/render/: golden text for the tables, table content, and the flat JSON.

The golden files under tests/golden/ are to_text() at width 100, colour off.
To regenerate them after a deliberate change, run

    BPCALC_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py

then read the diff: every number in them was checked by hand once.
"""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bpcalc
from bpcalc.render.json import number as json_number
from bpcalc.render.json import to_dict
from bpcalc.render.table import backward_table, forward_table, summary_table, to_text

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("BPCALC_REGEN_GOLDEN") == "1"

EXAMPLE_10 = "h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); L = (o - t)^2"
EXAMPLE_10_AT = "x=1.5,w1=0.7,b1=-0.2,w2=-1.3,b2=0.4,t=1"


def cells(table, header: str) -> list[str]:
    """One column of a Rich table, by its header, as the strings it was given."""
    column = next(c for c in table.columns if c.header == header)
    return [str(cell) for cell in column.cells]


def rows(table) -> list[dict[str, str]]:
    columns = [(c.header, [str(cell) for cell in c.cells]) for c in table.columns]
    return [{h: values[i] for h, values in columns} for i in range(table.row_count)]


# ---------------------------------------------------------------- golden text


@pytest.mark.parametrize(
    "name, expr, at",
    [
        ("headline", "(x+y)*z", "x=-2,y=5,z=-4"),
        ("fanout", "x*x + x", "x=3"),
        ("example10", EXAMPLE_10, EXAMPLE_10_AT),
    ],
)
def test_golden_tables(name, expr, at):
    text = to_text(bpcalc.grad(expr, at=at), width=100)
    path = GOLDEN / f"{name}.txt"
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"wrote {path}")
    assert text == path.read_text(encoding="utf-8")


def test_golden_text_has_no_escapes_and_fits_the_width():
    text = to_text(bpcalc.grad(EXAMPLE_10, at=EXAMPLE_10_AT), width=100)
    assert "\x1b[" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_fanout_upstream_shows_the_sum():
    text = to_text(bpcalc.grad("x*x + x", at="x=3"), width=100)
    # x feeds x*x twice (3 each: the other factor) and the sum once (1).
    assert "3 + 3 + 1 = 7" in text


# ---------------------------------------------------------------- table content


def test_forward_table_lists_nodes_in_topological_order():
    table = forward_table(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    assert cells(table, "node") == ["x", "y", "n1", "z", "f"]
    assert cells(table, "value") == ["-2", "5", "3", "-4", "-12"]
    assert cells(table, "inputs") == ["", "", "x, y", "", "n1, z"]


@pytest.mark.parametrize(
    "expr, at",
    [
        ("(x+y)*z", "x=-2,y=5,z=-4"),
        ("x*x + x", "x=3"),
        (EXAMPLE_10, EXAMPLE_10_AT),
        ("a = x*y; b = a + x; a*b", "x=2,y=3"),
    ],
)
def test_backward_table_visits_nodes_in_reverse_topological_order(expr, at):
    result = bpcalc.grad(expr, at=at)
    nodes = result.graph.nodes
    listed = [label for label in cells(backward_table(result), "node") if label]
    assert len(listed) == len(set(listed))  # each node once
    assert set(listed) == {n.label for i, n in enumerate(nodes) if result.grads[i] is not None}
    position = {label: k for k, label in enumerate(listed)}
    for node in nodes:  # every consumer comes before what it consumes
        for j in node.inputs:
            if node.label in position and nodes[j].label in position:
                assert position[node.label] < position[nodes[j].label], (node.label, nodes[j].label)
    assert listed[0] == result.output


def test_headline_backward_rows():
    table = backward_table(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    got = [(r["node"], r["input"], r["local ∂node/∂input"], r["contribution"]) for r in rows(table)]
    assert got == [
        ("f", "n1", "z = -4", "1 × -4 = -4"),  # ∂f/∂n1 = z
        ("", "z", "n1 = 3", "1 × 3 = 3"),  # ∂f/∂z = n1 = x+y
        ("z", "", "", ""),
        ("n1", "x", "1", "-4 × 1 = -4"),
        ("", "y", "1", "-4 × 1 = -4"),
        ("y", "", "", ""),
        ("x", "", "", ""),
    ]


@pytest.mark.parametrize(
    "expr, at, shown",
    [
        ("x*y", "x=2,y=3", ["y = 3", "x = 2"]),
        ("x/y", "x=1,y=4", ["1/y = 0.25", "-x/y^2 = -0.0625"]),
        ("x^3", "x=2", ["3*x^(3-1) = 12"]),
        ("x^y", "x=2,y=3", ["x^y*log(x) = 5.54518"]),  # 8 ln 2
        ("x - y", "x=2,y=3", ["-1"]),
        ("exp(x)", "x=0", ["exp(x) = 1"]),
        ("log(x)", "x=4", ["1/x = 0.25"]),
        ("sigmoid(x)", "x=0", ["sigmoid(x)*(1-sigmoid(x)) = 0.25"]),
        ("tanh(x)", "x=0", ["1-tanh(x)^2 = 1"]),
        ("sin(x)", "x=0", ["cos(x) = 1"]),
        ("max(x, y)", "x=2,y=1", ["[x > y] = 1", "[x < y] = 0"]),
        ("min(x, y)", "x=2,y=1", ["[x < y] = 0", "[x > y] = 1"]),
        ("relu(x)", "x=2", ["[x > 0] = 1"]),
        ("abs(x)", "x=-2", ["sign(x) = -1"]),
    ],
)
def test_formulas_with_input_labels_in_the_text(expr, at, shown):
    text = to_text(bpcalc.grad(expr, at=at), width=120)
    for formula in shown:
        assert formula in text, formula


def test_summary_table():
    table = summary_table(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    assert str(table.title) == "f = -12"
    assert [(r["name"], r["value"], r["∂f/∂name"]) for r in rows(table)] == [
        ("x", "-2", "-4"),
        ("y", "5", "-4"),
        ("z", "-4", "3"),
    ]


def test_digits():
    text = to_text(bpcalc.grad("x/3", at="x=1"), digits=3)
    assert "0.333" in text and "0.3333" not in text


def test_long_tables_are_elided():
    result = bpcalc.grad("x+" * 9 + "x", at="x=1")  # 10 nodes: x and nine additions
    text = to_text(result, max_rows=4)
    assert "6 more" in text  # 4 of the 10 rows shown
    assert "6 of 10 rows not shown" in text
    assert "6 more" not in to_text(result, max_rows=0)  # 0 shows all
    assert len(to_text(result, max_rows=0).splitlines()) > len(text.splitlines())


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    "value, encoded",
    [
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (float("nan"), "nan"),
        (-0.0, 0),
        (0.0, 0),
        (3.0, 3),
        (-12.0, -12),
        (2.0**53 - 1, 2**53 - 1),
        (0.1, 0.1),
        (1 / 3, 1 / 3),
        (None, None),
    ],
)
def test_json_number(value, encoded):
    got = json_number(value)
    assert got == encoded and type(got) is type(encoded)


def test_json_minus_zero_is_written_as_0():
    assert json.dumps(json_number(-0.0)) == "0"
    assert json.dumps([json_number(v) for v in (3.0, -12.0, 25000.0)]) == "[3, -12, 25000]"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_json_number_round_trips_exactly(value):
    text = json.dumps(json_number(value), allow_nan=False)
    back = float(json.loads(text))
    assert back == value
    if value != 0:
        assert math.copysign(1, back) == math.copysign(1, value)


@pytest.mark.parametrize("value", [2.0**53, 1e20, -1e300, 5e-324, sys.float_info.max, 0.5])
def test_json_number_round_trips_at_the_edges(value):
    assert float(json.loads(json.dumps(json_number(value)))) == value


CASES = [
    ("(x+y)*z", "x=-2,y=5,z=-4"),
    ("x^2", "x=3"),
    ("x*x + x", "x=3"),
    ("x + 2*3", "x=1"),
    ("max(x, y)", "x=1,y=1"),
    (EXAMPLE_10, EXAMPLE_10_AT),
]


@pytest.mark.parametrize("expr, at", CASES)
def test_json_is_flat_and_refers_to_valid_ids(expr, at):
    result = bpcalc.grad(expr, at=at)
    data = to_dict(result)
    nodes, steps = data["nodes"], data["steps"]
    assert len(nodes) == len(result.graph.nodes)
    assert len(steps) == len(result.steps)
    assert [n["id"] for n in nodes] == list(range(len(nodes)))
    for node in nodes:
        assert all(0 <= j < node["id"] for j in node["inputs"])  # topological
        assert len(node["local"]) == len(node["inputs"])
        if node["op"] in ("var", "const"):
            assert "formula" not in node and node["inputs"] == []
        else:
            assert len(node["formula"]) == len(node["inputs"])
            assert all(isinstance(f, str) and f for f in node["formula"])
        assert not any(isinstance(v, dict) for v in node.values())
    for step in steps:
        node = nodes[step["node"]]
        assert node["inputs"][step["position"]] == step["input"]
        assert node["local"][step["position"]] == step["local"]
    json.dumps(data, allow_nan=False)  # strict JSON


def test_json_headline_counts():
    data = to_dict(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    assert len(data["nodes"]) == 5  # x, y, x+y, z, the product
    assert len(data["steps"]) == 4  # two inputs each for the product and the sum
    f = data["nodes"][-1]
    assert (f["label"], f["op"], f["local"], f["formula"]) == ("f", "mul", [-4, 3], ["z", "n1"])


def test_json_constant_inputs_have_no_local():
    data = to_dict(bpcalc.grad("x^2", at="x=3"))
    pow_node = data["nodes"][-1]
    assert pow_node["op"] == "pow"
    assert pow_node["local"] == [6, None]  # 2*x at x = 3; the exponent is a constant
    assert data["nodes"][1]["grad"] is None  # nothing flows into the literal 2
    assert [s["input"] for s in data["steps"]] == [0]


def test_json_constant_subexpression_has_null_grad():
    data = to_dict(bpcalc.grad("x + 2*3", at="x=1"))
    product = next(n for n in data["nodes"] if n["op"] == "mul")
    assert product["value"] == 6 and product["grad"] is None and product["local"] == [None, None]


# ---------------------------------------------------------------- the JSON text, written in pieces
# render/json.py writes the text itself, a chunk of nodes or steps at a time. The
# reference is what bpcalc wrote before: the whole result as one dict, given to
# json.dumps with the same options.


def _reference_json(result) -> str:
    from bpcalc.ops import OPERATIONS

    number = json_number
    graph = result.graph
    labels = [node.label for node in graph.nodes]
    nodes = []
    for i, (node, row) in enumerate(zip(graph.nodes, result.locals())):
        entry = {
            "id": i,
            "label": node.label,
            "op": node.op,
            "inputs": list(node.inputs),
            "span": [node.start, node.end],
            "shape": list(result.shapes[i]) if result.shapes is not None else [],
            "value": number(result.values[i]),
            "grad": number(result.grads[i]),
            "local": [number(v) for v in row],
        }
        op = OPERATIONS.get(node.op)
        if op is not None:
            entry["formula"] = [op.show(k, [labels[j] for j in node.inputs]) for k in range(len(node.inputs))]
        nodes.append(entry)
    steps = [
        {"node": s.node, "input": s.input, "position": s.position, "upstream": number(s.upstream),
         "local": number(s.local), "contribution": number(s.contribution), "grad": number(s.grad)}
        for s in result.steps
    ]
    from bpcalc.render.json import warning

    whole = {
        "schema": "bpcalc.grad/1",
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
    return json.dumps(whole, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


_WORKED = json.loads((Path(__file__).parent / "data" / "worked_examples.json").read_text(encoding="utf-8"))
_MANY = {**{f"x{k}": k / 7 for k in range(300)}, **{f"y{k}": -k for k in range(7)}}
_JSON_CASES = [(e["expr"], e.get("at")) for e in _WORKED] + [
    (EXAMPLE_10, EXAMPLE_10_AT),
    ("max(x, y) + min(x, y) + relu(x) + abs(y)", "x=1,y=1"),  # kinks: warnings with one-sided locals
    # text to escape, or not: quotes, backslash, non-ASCII, an emoji, tab, control characters
    ("# caf\u00e9 \"quoted\" \\ \u2202f/\u2202x \U0001f600 \t tab\nq = x*x  # \u0001 \u007f\nq / 3", "x=0.1"),
    ("x^0.5 + 1e300*x - 2^-1074*x + 1/3*x", "x=2"),  # shortest round-trip floats, tiny and huge
    ("x*2^53 + x*2^54 + -x", "x=1"),  # integers at the edge of exactness
    ("x - x + 0*x", "x=-0.0"),  # negative zero written as 0
    ("sum(W @ a + b)", {"W": [[1, 2], [3, 4]], "a": [1, -1], "b": [0.5, 2]}),
    ("cross_entropy(z, y) + sum(softmax(z)) * z[0]", {"z": [1.0, 2.0, 3.0], "y": [0, 1, 0]}),
    ("sum(sigmoid(A) * 2)", {"A": [[0.5, -1.5], [2.0, 0.0]]}),
    ("+".join(f"x{k}*y{k % 7}" for k in range(300)), _MANY),
]


@pytest.mark.parametrize("expr, at", _JSON_CASES)
def test_json_text_is_the_reference_byte_for_byte(expr, at):
    from bpcalc.errors import BpcalcError
    from bpcalc.render.json import chunks, dumps

    try:
        result = bpcalc.grad(expr, at=at)
    except BpcalcError:
        return
    expected = _reference_json(result)
    assert dumps(result) == expected
    assert "".join(chunks(result, size=1)) == expected  # any chunk size gives the same text
    assert "".join(chunks(result, size=7)) == expected
    assert to_dict(result) == json.loads(expected)


def test_json_is_written_in_pieces():
    from bpcalc.render.json import chunks

    terms = 2500
    result = bpcalc.grad("+".join(f"x{k % 10}" for k in range(terms)), at={f"x{k}": k for k in range(10)})
    pieces = list(chunks(result, size=1000))
    assert len(pieces) >= 2 * (terms // 1000)  # nodes and steps each in several pieces
    assert max(len(p) for p in pieces) < len("".join(pieces)) / 3


@pytest.mark.parametrize(
    "source, line",
    [
        ("q = x + y; f = q * z", "q = x + y; f = q * z"),
        ("# notes\n\na = x*x   # the square\nf = a + x\n", "a = x*x; f = a + x"),
        ("f = (a +\n   b) * [1,\n 2]\ng = f", "f = (a + b) * [1, 2]; g = f"),  # inside brackets: one statement
        ("a = 1;\nb = 2  # c\n", "a = 1; b = 2"),
        ("# only a comment\nx", "x"),
    ],
)
def test_program_line_is_the_program_without_comments(source, line):
    from bpcalc.render import program_line

    assert program_line(source) == line


def test_json_text_escapes_labels_and_formulas_as_the_reference():
    # Parsed labels never need escaping; a label that does is written as json.dumps writes it,
    # in its entry and inside the formulas of the nodes that use it.
    result = bpcalc.grad("x*y + x", at="x=2,y=3")
    result.graph.nodes[0].label = 'x"\\\u0001é'
    from bpcalc.render.json import chunks

    assert "".join(chunks(result, size=2)) == _reference_json(result)


def test_json_text_of_an_op_without_a_formula_template(monkeypatch):
    # The writer makes each op's formulas once, from op.show with stand-in labels; an op whose
    # show does more than put the labels in (here: writes them backwards), or a variadic op,
    # is written entry by entry, still as the reference writes it.
    from dataclasses import dataclass, replace

    from bpcalc import ops
    from bpcalc.render.json import chunks

    @dataclass(frozen=True)
    class Backwards(ops.Op):
        def show(self, k, labels):
            return super().show(k, [label[::-1] for label in labels])

    result = bpcalc.grad("xa*yb + xa", at="xa=2,yb=3")
    add = ops.OPERATIONS["add"]
    monkeypatch.setitem(ops.OPERATIONS, "mul", Backwards(**{f: getattr(ops.OPERATIONS["mul"], f) for f in (
        "name", "forward", "local", "formula", "factors")}))
    monkeypatch.setitem(ops.OPERATIONS, "add", replace(add, variadic=True, formula=("δ{k}",)))
    expected = _reference_json(result)
    assert '"formula":["by","ax"]' in expected and '"formula":["δ0","δ1"]' in expected
    assert "".join(chunks(result, size=3)) == expected
