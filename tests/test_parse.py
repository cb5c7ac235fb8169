"""Tests for bpcalc/parse.py: the grammar's precedence, programs, every syntax error, the --at point parser.

Expected values are worked out by hand in the tables below (the comment on a
row says how), and each expression's shape is checked as an S-expression
rebuilt from the flat node list, so a precedence mistake fails even where two
readings happen to give the same number.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import math
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bpcalc
import bpcalc.parse as parse_module
from bpcalc.errors import (
    ArityError,
    AssignmentError,
    BpcalcError,
    ExitCode,
    ExpressionSyntaxError,
    PointError,
    UnknownFunctionError,
)
from bpcalc.graph import CONST, VAR, Graph
from bpcalc.ops import FUNCTIONS
from bpcalc.parse import parse, parse_point


def sexpr(graph: Graph, node_id: int | None = None) -> str:
    """The graph below a node as a fully parenthesised S-expression: '(mul (add x y) z)'."""
    node = graph.nodes[graph.output if node_id is None else node_id]
    if node.op == VAR:
        return node.label
    if node.op == CONST:
        return f"{node.literal:g}"
    return "(" + " ".join([node.op] + [sexpr(graph, j) for j in node.inputs]) + ")"


def value(source: str, at: str = "") -> float:
    return bpcalc.grad(source, at=at).value


# ---------------------------------------------------------------- precedence and associativity

PRECEDENCE = [
    # expression, point, value worked out by hand, shape
    ("a-b-c", "a=10,b=3,c=2", 5.0, "(sub (sub a b) c)"),  # (10-3)-2; right-assoc would give 9
    ("a/b/c", "a=24,b=4,c=2", 3.0, "(div (div a b) c)"),  # (24/4)/2; right-assoc would give 12
    ("a-b+c", "a=1,b=2,c=3", 2.0, "(add (sub a b) c)"),  # (1-2)+3
    ("a+b*c", "a=1,b=2,c=3", 7.0, "(add a (mul b c))"),  # 1+6
    ("(a+b)*c", "a=1,b=2,c=3", 9.0, "(mul (add a b) c)"),  # 3*3
    ("a*b^c", "a=2,b=3,c=2", 18.0, "(mul a (pow b c))"),  # 2*9
    ("x^2*3", "x=2", 12.0, "(mul (pow x 2) 3)"),  # 4*3
    ("2^3^2", "", 512.0, "(pow 2 (pow 3 2))"),  # 2^9; left-assoc would give 64
    ("x**2^3", "x=2", 256.0, "(pow x (pow 2 3))"),  # x^8 = 256 at x = 2
    ("-x^2", "x=3", -9.0, "(neg (pow x 2))"),  # -(3^2)
    ("(-x)^2", "x=3", 9.0, "(pow (neg x) 2)"),
    ("-2^2", "", -4.0, "(neg (pow 2 2))"),
    ("(-2)^2", "", 4.0, "(pow (neg 2) 2)"),
    ("x^-1", "x=4", 0.25, "(pow x (neg 1))"),
    ("2^-1", "", 0.5, "(pow 2 (neg 1))"),
    ("2^-x^2", "x=1", 0.5, "(pow 2 (neg (pow x 2)))"),  # 2^(-(1^2))
    ("-2^-2", "", -0.25, "(neg (pow 2 (neg 2)))"),  # -(2^(-2))
    ("2*-3", "", -6.0, "(mul 2 (neg 3))"),
    ("-x*y", "x=2,y=3", -6.0, "(mul (neg x) y)"),  # unary minus binds tighter than *
    ("+x", "x=7", 7.0, "x"),  # unary plus makes no node
    ("x - -y", "x=1,y=2", 3.0, "(sub x (neg y))"),
    ("--x", "x=5", 5.0, "(neg (neg x))"),
    ("exp(x)^2", "x=1", math.e * math.e, "(pow (exp x) 2)"),  # a call is an atom
    ("max(a, b*c)", "a=1,b=2,c=3", 6.0, "(max a (mul b c))"),
    # numbers
    ("3", "", 3.0, "3"),
    ("0.5", "", 0.5, "0.5"),
    (".5", "", 0.5, "0.5"),
    ("5.", "", 5.0, "5"),
    ("1e-3", "", 0.001, "0.001"),
    ("2.5E+4", "", 25000.0, "25000"),
    ("1E2", "", 100.0, "100"),
    ("007", "", 7.0, "7"),
]


@pytest.mark.parametrize("source, at, expected, shape", PRECEDENCE)
def test_precedence_and_associativity(source, at, expected, shape):
    assert sexpr(parse(source)) == shape
    assert value(source, at) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "source, nodes, last_op",
    [
        ("(x+y)*z", 5, "mul"),  # x, y, x+y, z, product
        ("x*x", 2, "mul"),  # one node for x, used twice
        ("2^3^2", 5, "pow"),  # each literal is its own node
        ("-x^2", 4, "neg"),  # x, 2, x^2, -(x^2)
        ("((((x))))", 1, VAR),  # parentheses make no nodes
        ("sigmoid(w*x)", 4, "sigmoid"),
    ],
)
def test_graph_shape(source, nodes, last_op):
    graph = parse(source)
    assert len(graph.nodes) == nodes
    assert graph.nodes[-1].op == last_op


def test_nodes_are_in_topological_order_with_source_spans():
    source = "(x+y)*z"
    graph = parse(source)
    for i, node in enumerate(graph.nodes):
        assert all(j < i for j in node.inputs)
    texts = [graph.text(i) for i in range(len(graph.nodes))]
    assert texts == ["x", "y", "x+y", "z", "(x+y)*z"]


# ---------------------------------------------------------------- programs


@pytest.mark.parametrize(
    "source",
    [
        "q = x + y; f = q * z",
        "q = x + y\nf = q * z",
        "q = x + y;\n\n;f = q * z;\n",  # empty statements are allowed
        "# the course's first example\nq = x + y  # named intermediate\n\nf = q * z  # the output\n",
        "q = x + y\r\nf = q * z\r\n",  # Windows line ends
    ],
)
def test_program_with_separators_and_comments(source):
    graph = parse(source)
    assert graph.nodes[-1].label == "f"
    assert sexpr(graph) == "(mul (add x y) z)"
    assert [n.label for n in graph.nodes if n.op != CONST] == ["x", "y", "q", "z", "f"]
    assert value(source, "x=-2,y=5,z=-4") == -12.0


@pytest.mark.parametrize(
    "source, shape",
    [
        ("f = (x +\n y) * z", "(mul (add x y) z)"),
        ("f = max(x,\n        y)", "(max x y)"),
        ("f = sigmoid(\n  x\n)", "(sigmoid x)"),
        ("f = (x  # a comment inside parentheses\n + y)", "(add x y)"),
    ],
)
def test_newline_inside_parentheses_continues_the_expression(source, shape):
    graph = parse(source)
    assert sexpr(graph) == shape
    assert graph.notices == []


def test_newline_outside_parentheses_ends_the_statement():
    # "x" and "+ y" are two statements: the output is +y, and x is reported unused.
    graph = parse("x\n+ y")
    assert sexpr(graph) == "y"
    assert [n.kind for n in graph.notices] == ["unused"]


def test_last_statement_is_the_output():
    graph = parse("a = x*2; b = a + 1; a")
    assert graph.nodes[-1].label == "a"
    assert sexpr(graph) == "(mul x 2)"


@pytest.mark.parametrize(
    "source, label",
    [
        ("x*2", "f"),  # an unnamed output is called f
        ("f = x*2; f + 1", "out"),  # ... unless the program uses f
        ("f = x*2; out = f + 1; out*3", "output"),
        ("L = (x - 1)^2", "L"),  # an assignment's name labels the output
    ],
)
def test_output_label(source, label):
    assert parse(source).nodes[-1].label == label


def test_named_intermediates_keep_their_names():
    graph = parse("h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); L = (o - t)^2")
    labels = [n.label for n in graph.nodes]
    assert {"h", "o", "L"} <= set(labels)
    assert graph.nodes[graph.names["h"]].op == "tanh"
    assert graph.nodes[graph.names["o"]].op == "sigmoid"
    assert graph.variables == ["w1", "x", "b1", "w2", "b2", "t"]  # in order of first use


@pytest.mark.parametrize("source", ["n1*x + y", "n1 = x*y; n1 + x*y", "n1 = x; n2 = y; n1*n2 + x*y", "n1 + _n1*x*y"])
def test_generated_labels_do_not_collide_with_user_names(source):
    graph = parse(source)
    labels = [n.label for n in graph.nodes if n.op != CONST]
    assert len(labels) == len(set(labels)), labels


def test_generated_labels_are_n1_n2_in_order():
    graph = parse("(x+y)*(x-y) + z")
    generated = [n.label for n in graph.nodes if n.op not in (VAR, CONST)]
    assert generated == ["n1", "n2", "n3", "f"]


def test_same_name_twice_is_one_node():
    graph = parse("x*x + x")
    xs = [i for i, n in enumerate(graph.nodes) if n.label == "x"]
    assert len(xs) == 1
    assert sexpr(graph) == "(add (mul x x) x)"
    product = graph.nodes[-1].inputs[0]
    assert graph.nodes[product].inputs == (xs[0], xs[0])
    q = parse("q = x + y; q*q")
    assert q.nodes[-1].inputs == (q.names["q"], q.names["q"])


def test_unused_assignment_gives_a_notice():
    graph = parse("a = x*2; b = y*3; b")
    messages = [n.message for n in graph.notices if n.kind == "unused"]
    assert len(messages) == 1 and "'a'" in messages[0]
    assert graph.variables == ["y"]  # x is dropped with a: no value is asked for it


def test_unused_statement_gives_a_notice():
    graph = parse("x + 1; y")
    assert [n.kind for n in graph.notices] == ["unused"]
    assert "x + 1" in graph.notices[0].message


def test_unused_alias_gives_a_notice():
    # r names the same node as q, but nothing reads r.
    graph = parse("q = x*y; r = q; q*2")
    messages = [n.message for n in graph.notices if n.kind == "unused"]
    assert any("'r'" in m for m in messages), graph.notices


def test_used_assignments_give_no_notice():
    assert parse("q = x + y; f = q * z").notices == []


# ---------------------------------------------------------------- errors

ERRORS = [
    # source, error class, words the message must contain, (line, column) or None
    ("x + * y", ExpressionSyntaxError, ["unexpected '*'"], (1, 5)),
    ("a = 1\nb = a +* 2\nb", ExpressionSyntaxError, ["unexpected '*'", "line 2, column 8"], (2, 8)),
    ("*x", ExpressionSyntaxError, ["unexpected '*'"], (1, 1)),
    ("x y", ExpressionSyntaxError, ["operator is missing"], (1, 3)),
    ("2x", ExpressionSyntaxError, ["'2x'", "2*x"], (1, 2)),
    ("2.5x", ExpressionSyntaxError, ["2.5*x"], (1, 4)),
    ("1e3x", ExpressionSyntaxError, ["1e3*x"], (1, 4)),
    ("sigmod(x)", UnknownFunctionError, ["unknown function 'sigmod'", "did you mean 'sigmoid'?"], (1, 1)),
    ("y + foo(x)", UnknownFunctionError, ["unknown function 'foo'", "sigmoid"], (1, 5)),  # lists the functions
    ("max(x)", ArityError, ["max() takes 2 arguments, got 1", "max(a, b)"], (1, 1)),
    ("exp(x, y)", ArityError, ["exp() takes 1 argument, got 2", "exp(a)"], (1, 1)),
    ("exp()", ArityError, ["exp() takes 1 argument, got 0"], (1, 1)),
    ("q = x; q = y; q", AssignmentError, ["'q' is assigned twice"], (1, 8)),
    ("q = x\nq = y\nq", AssignmentError, ["'q' is assigned twice (first on line 1)"], (2, 1)),
    ("y = q*2; q = x; y", AssignmentError, ["'q' is used before it is assigned", "move the assignment"], (1, 5)),
    ("x = x + 1", AssignmentError, ["'x' is used before it is assigned", "in terms of itself"], (1, 5)),
    ("", ExpressionSyntaxError, ["empty"], None),
    ("# only a comment", ExpressionSyntaxError, ["empty"], None),
    ("# two\n# comments\n", ExpressionSyntaxError, ["empty"], None),
    (" ;\n; ", ExpressionSyntaxError, ["empty"], None),
    ("((x)", ExpressionSyntaxError, ["ends too early", "1 '(' not closed"], (1, 5)),
    ("(x", ExpressionSyntaxError, ["ends too early", "'(' not closed"], (1, 3)),
    ("(x))", ExpressionSyntaxError, ["')' with no '(' to close"], (1, 4)),
    ("x)", ExpressionSyntaxError, ["')' with no '(' to close"], (1, 2)),
    ("x^", ExpressionSyntaxError, ["ends too early"], (1, 3)),
    ("1e999", ExpressionSyntaxError, ["1e999", "too large"], (1, 1)),
    ("x * 1e999", ExpressionSyntaxError, ["too large"], (1, 5)),
    ("x & y", ExpressionSyntaxError, ["unexpected character '&'"], (1, 3)),
    ("x\n  $ y", ExpressionSyntaxError, ["unexpected character '$'"], (2, 3)),
]


@pytest.mark.parametrize("source, error, words, where", ERRORS)
def test_error_class_message_and_place(source, error, words, where):
    with pytest.raises(BpcalcError) as info:
        parse(source)
    exc = info.value
    assert type(exc) is error
    assert exc.exit_code == ExitCode.BAD_INPUT == 2
    for word in words:
        assert word in str(exc)
    if where is not None:
        assert (exc.line, exc.column) == where
        at = f"line {where[0]}, column {where[1]}" if "\n" in source else f"column {where[1]}"
        assert f"(at {at})" in str(exc)


@pytest.mark.parametrize(
    "source, context",
    [
        ("x + * y", "  x + * y\n      ^"),
        ("2x", "  2x\n   ^"),
        ("a = 1\nb = a +* 2\nb", "  b = a +* 2\n         ^"),  # only the line with the error
        ("sigmod(x)", "  sigmod(x)\n  ^"),
    ],
)
def test_error_shows_the_line_and_a_caret(source, context):
    with pytest.raises(BpcalcError) as info:
        parse(source)
    assert info.value.context == context
    assert context in str(info.value)


def test_caret_on_a_long_line_stays_in_a_window():
    source = "x + " * 60 + "* y"  # the error is at column 241
    with pytest.raises(ExpressionSyntaxError) as info:
        parse(source)
    text, caret = info.value.context.splitlines()
    assert info.value.column == 241
    assert len(text) < 80
    assert text[caret.index("^")] == "*"


def test_line_ending_after_an_operator():
    # The message's first line should be one readable sentence naming the place.
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("x +\ny")
    first_line = str(info.value).splitlines()[0]
    assert first_line.endswith("(at line 1, column 4)"), repr(str(info.value))


def test_expected_tokens_are_only_ones_that_fit():
    # After "x +" a new line is itself a syntax error (see the test above), so
    # the list of what was expected must not offer one.
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("x + * y")
    assert "a new line" not in str(info.value)


def test_expected_tokens_use_no_internal_terminal_names():
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("x = 3 = 4")
    assert "_pow" not in str(info.value).lower(), str(info.value)


def test_comparison_gets_a_hint():
    # parse.py has a hint for '=' outside an assignment ("bpcalc has no comparisons").
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("x == y")
    assert "no comparisons" in str(info.value), str(info.value)


# ---------------------------------------------------------------- the point


@pytest.mark.parametrize(
    "items, expected",
    [
        ("x=-2,y=5", {"x": -2.0, "y": 5.0}),
        (" x = -2 , y=5 ", {"x": -2.0, "y": 5.0}),
        ("x=+3,y=.5,z=5.,w=1e-3,v=2.5E+4", {"x": 3.0, "y": 0.5, "z": 5.0, "w": 0.001, "v": 25000.0}),
        (["x=-2,y=5", "z=-4"], {"x": -2.0, "y": 5.0, "z": -4.0}),  # --at repeated
        (("x=1", {"y": 2}), {"x": 1.0, "y": 2.0}),
        ({"x": -2, "y": 5.5, "z": "3"}, {"x": -2.0, "y": 5.5, "z": 3.0}),
        ({"_a1": 0}, {"_a1": 0.0}),
        ("", {}),
        (None, {}),
        ([], {}),
    ],
)
def test_parse_point(items, expected):
    point = parse_point(items)
    assert point == expected
    assert list(point) == list(expected)  # order kept
    assert all(type(v) is float for v in point.values())


@pytest.mark.parametrize(
    "items, words",
    [
        ("x", ["'x' is not of the form name=value"]),
        ("x=", ["'x=' is not of the form name=value"]),
        ("=3", ["is not a name"]),
        ("x=abc", ["'abc'", "is not a number"]),
        ("x=1,x=2", ["'x' is given a value twice"]),
        (["x=1", "x=2"], ["'x' is given a value twice"]),
        (["x=1", {"x": 2}], ["'x' is given a value twice"]),
        ("1x=3", ["'1x' is not a name"]),
        ("x y=1", ["is not a name"]),
        ("x=nan", ["not a number"]),
        ("x=inf", ["not a number"]),
        ("x=-inf", ["not a number"]),
        ("x=0x10", ["not a number"]),
        ("x=1e999", ["not a finite"]),
        ("x=1=2", ["not a number"]),
        ({"x": 10**400}, ["too large"]),
        ({"x": float("nan")}, ["not a finite"]),
        ({"x": float("inf")}, ["not a finite"]),
        ({"x": True}, ["not a number"]),
        ({"x": False}, ["not a number"]),
        ({"x": None}, ["not a number"]),
        ({"1x": 2}, ["not a name"]),
    ],
)
def test_parse_point_errors(items, words):
    with pytest.raises(BpcalcError) as info:
        parse_point(items)
    assert type(info.value) is PointError
    assert info.value.exit_code == 2
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------- deep and long inputs
# The parser builds nodes as LALR reduces: no recursion, so depth is no limit.

DEPTH = 100_000


@pytest.mark.slow  # a 100,000-term input
def test_deeply_nested_parentheses():
    graph = parse("(" * DEPTH + "x" + ")" * DEPTH)
    assert len(graph.nodes) == 1 and graph.nodes[0].label == "x"


@pytest.mark.slow  # a 100,000-term input
def test_deeply_nested_unary_minus():
    graph = parse("-" * DEPTH + "x")
    assert len(graph.nodes) == DEPTH + 1
    assert all(node.op == "neg" and node.inputs == (i,) for i, node in enumerate(graph.nodes[1:]))


def test_long_flat_sum():
    terms = 100_001
    source = "+".join(["x"] * terms)
    assert len(source) >= 200_000
    graph = parse(source)
    assert len(graph.nodes) == 1 + (terms - 1)  # one x, one add per '+'
    assert graph.nodes[-1].inputs == (len(graph.nodes) - 2, 0)  # left-associative: (...+x)+x


# ---------------------------------------------------------------- the generated parser
# bpcalc parses with the LALR parser Lark's standalone tool generates from
# grammar/bpcalc.lark (bpcalc/lark_standalone.py) and a lexer of its own. The
# reference is the parser bpcalc used before: Lark itself, loading the grammar,
# with Lark's basic lexer and a post-lexer that drops newlines inside brackets.


ROOT = Path(__file__).resolve().parent.parent


def test_generated_parser_is_current():
    """bpcalc/lark_standalone.py is what grammar/make_parser.py writes from the grammar today."""
    lark = pytest.importorskip("lark")
    spec = importlib.util.spec_from_file_location("make_parser", ROOT / "grammar" / "make_parser.py")
    make_parser = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_parser)
    fresh = make_parser.generate()
    committed = (ROOT / "bpcalc" / "lark_standalone.py").read_text(encoding="utf-8")
    start = "\nDATA = ("  # from here on: the grammar's terminals, rules and parse table
    stale = "bpcalc/lark_standalone.py is stale: run python grammar/make_parser.py"
    assert committed[committed.index(start) :] == fresh[fresh.index(start) :], stale
    if f'__version__ = "{lark.__version__}"' in committed:  # the same Lark: the whole file, byte for byte
        assert committed == fresh, stale
    tables = (ROOT / "bpcalc" / "lark_tables.py").read_text(encoding="utf-8")
    stale = "bpcalc/lark_tables.py is stale: run python grammar/make_parser.py"
    assert tables == make_parser.generate_tables(committed), stale


def test_no_lark_grammar_loading_or_cache_at_run_time(tmp_path):
    code = (
        "import sys, bpcalc; bpcalc.grad('(x+y)*z', at='x=1,y=2,z=3'); "
        "print(sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.') or m == 'pickle'))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    assert not (tmp_path / "cache").exists()  # nothing written: there is no cache


def test_lexer_pattern_tries_terminals_in_lark_order():
    # A string terminal that a regex terminal also matches (a keyword) would need
    # Lark's re-typing callbacks, which bpcalc's lexer does not have.
    parser = parse_module._get_parser()
    terminals = parser.terminals
    for s in (t for t in terminals if t.pattern.type == "str"):
        for r in (t for t in terminals if t.pattern.type == "re"):
            assert not re.fullmatch(r.pattern.to_regexp(), s.pattern.value), (s.name, r.name)


class _JoinLinesInParens:
    """The post-lexer bpcalc used with Lark's own lexer: a newline inside brackets continues the expression."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        for token in stream:
            if token.type in ("LPAR", "LBRACKET"):
                depth += 1
            elif token.type in ("RPAR", "RBRACKET"):
                depth -= 1
            elif token.type == "_NL" and depth > 0:
                continue
            yield token


class _BuilderOnLarkTokens:
    """bpcalc's builder behind Lark's own parser: Lark's tokens become bpcalc's (terminal, text, start, end)."""

    def __init__(self, lark) -> None:
        self.token = lark.Token

    def __getattr__(self, rule: str):
        method = getattr(parse_module._builder, rule)  # an AttributeError here tells Lark the rule has no callback
        token = self.token

        def call(children):
            return method([(c.type, str(c), c.start_pos, c.end_pos) if isinstance(c, token) else c for c in children])

        return call


@functools.cache
def _lark_reference():
    lark = pytest.importorskip("lark")
    return lark, lark.Lark(
        parse_module.grammar_text(),
        parser="lalr",
        lexer="basic",
        transformer=_BuilderOnLarkTokens(lark),
        postlex=_JoinLinesInParens(),
        maybe_placeholders=True,
    )


@contextmanager
def lark_parser():
    """parse() as it was: Lark loading grammar/bpcalc.lark, with its basic lexer and the post-lexer."""
    lark, reference = _lark_reference()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse_module, "_get_parser", lambda: reference)
        names = ("UnexpectedInput", "UnexpectedCharacters", "UnexpectedToken")
        errors = tuple(getattr(lark.exceptions, name) for name in names)
        patch.setattr(parse_module, "_lark_errors", lambda: errors)

        def no_fast_path(source):
            raise parse_module._Retry  # every program goes to the (reference) Lark parser

        patch.setattr(parse_module, "_parse_fast", no_fast_path)
        yield


def outcome(source: str):
    """Everything a parse gives: the node list with spans, names and notices, or the error in full."""
    try:
        graph = parse(source)
    except BpcalcError as exc:
        return ("error", type(exc).__name__, str(exc), exc.line, exc.column, exc.context)
    nodes = [(n.op, n.inputs, n.label, n.start, n.end, n.literal, n.named) for n in graph.nodes]
    return ("graph", nodes, graph.names, graph.variables, graph.output, [(n.kind, n.message) for n in graph.notices])


EXAMPLES = (
    [row[0] for row in PRECEDENCE]
    + [row[0] for row in ERRORS]
    + [
        "q = x + y; f = q * z",
        "q = x + y;\n\n;f = q * z;\n",
        "# c\nq = x + y  # n\n\nf = q * z  # o\n",
        "q = x + y\r\nf = q * z\r\n",
        "f = (x +\n y) * z",
        "f = sigmoid(\n  x\n)",
        "f = (x  # c\n + y)",
        "x\n+ y",
        "h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); L = (o - t)^2",
        "n1 = x; n2 = y; n1*n2 + x*y",
        "q = x*y; r = q; q*2",
        "W @ [1, 2] + b",
        "[[1, 2], [3, 4]][1, 0] * x",
        "w[0]\n+ [x,\n y][1]",
        "[]",
        "f()",
        "x[0, 1, 2]",
        "log(softmax(z))[0]",
        "x +\ny",
        "x = 3 = 4",
        "x == y",
        "(x]",
        "[x)",
        "f(x,)",
        "x ** ** 2",
        "x\n)",
        "((x\n)\n",
        "2 x",
        "1.5.5",
        "x y z",
        "x\x00",
        "é + x",
    ]
)


@pytest.mark.parametrize("source", EXAMPLES)
def test_same_parse_as_lark_on_the_examples(source):
    new = outcome(source)
    with lark_parser():
        old = outcome(source)
    assert new == old


def test_same_parse_as_lark_on_the_worked_examples():
    examples = json.loads((ROOT / "tests" / "data" / "worked_examples.json").read_text(encoding="utf-8"))
    sources = [e["expr"] for e in examples if "expr" in e]
    assert sources
    new = [outcome(s) for s in sources]
    with lark_parser():
        old = [outcome(s) for s in sources]
    assert new == old


# Programs from the grammar, and token soups that are mostly syntax errors.

_gap = st.sampled_from(["", " ", "  ", "\t", " # c\n"])
_leaf = st.one_of(
    st.sampled_from(["x", "y", "z", "w1", "_b", "pi", "e", "n1", "f"]),
    st.sampled_from(["0", "2", "3.5", ".5", "5.", "1e-3", "2.5E+4", "007", "1e999"]),
)


def _compound(inner):
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", "**", "@"]), inner).map("".join)
    spaced = st.tuples(inner, _gap, st.sampled_from(["+", "-", "*"]), _gap, inner).map("".join)
    unary = st.tuples(st.sampled_from(["-", "+", "--"]), inner).map("".join)
    paren = st.tuples(st.sampled_from(["(", "( ", "(\n"]), inner, st.sampled_from([")", "\n)", " )"])).map("".join)
    call = st.tuples(st.sampled_from(sorted(FUNCTIONS) + ["foo"]), st.lists(inner, min_size=0, max_size=3)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    )
    array = st.lists(inner, min_size=0, max_size=3).map(lambda items: "[" + ",\n".join(items) + "]")
    index = st.tuples(inner, st.lists(inner, min_size=1, max_size=3)).map(lambda t: f"{t[0]}[{', '.join(t[1])}]")
    return st.one_of(binary, spaced, unary, paren, call, array, index)


_expression = st.recursive(_leaf, _compound, max_leaves=12)
_assignment = st.tuples(st.sampled_from(["q", "r", "x", "f", "n1"]), st.just(" = "), _expression).map("".join)
_statements = st.lists(st.one_of(_expression, _assignment), min_size=0, max_size=4)
_program = st.tuples(st.sampled_from(["; ", "\n", ";\n", "\r\n"]), _statements).map(lambda t: t[0].join(t[1]))
_soup = st.lists(
    st.sampled_from(
        ["x", "y", "2", "1e3", ".5", "+", "-", "*", "/", "^", "**", "@", "(", ")", "[", "]", ",", ";", "\n", "=", "==",
         "#c\n", " ", "sin", "max", "exp", "f", "&", "$", "2x", "\r", "\t", "é"]
    ),
    max_size=14,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_program, _soup))
def test_same_parse_as_lark_on_generated_programs(source):
    new = outcome(source)
    with lark_parser():
        old = outcome(source)
    assert new == old


# ---------------------------------------------------------------- issue 10 items 10, 11: common spellings


@pytest.mark.parametrize(
    "source, hint",
    [
        ("ln(x)", "did you mean 'log'?"),
        ("x²", "write x^2"),
        ("x³ + 1", "write x^3"),
        ("|x|", "write abs(x)"),
        ("2·x", "write * for a product"),
        ("2 × x", "write * for a product"),
    ],
)
def test_common_spellings_get_a_suggestion(source, hint):
    with pytest.raises(BpcalcError) as info:
        parse(source)
    assert hint in str(info.value)
    assert "for a product, write" not in str(info.value)


def test_a_mistyped_function_gets_no_product_hint():
    with pytest.raises(UnknownFunctionError) as info:
        parse("sigmod(x)")
    assert "did you mean 'sigmoid'?" in str(info.value) and "for a product" not in str(info.value)


def test_an_unknown_name_before_a_parenthesis_still_gets_the_product_hint():
    with pytest.raises(UnknownFunctionError) as info:
        parse("q(x+1)")
    assert "for a product, write q*(...)" in str(info.value)


def test_unicode_minus_is_a_minus_everywhere():
    # U+2212 from PDFs and slides: x − y at x=1, y=3 is -2; --at x=−1 is -1; 1e−3 is 0.001.
    graph = parse("x − y")
    assert [node.op for node in graph.nodes] == ["var", "var", "sub"]
    assert [node.op for node in parse("−x").nodes] == ["var", "neg"]
    assert parse("1e−3").nodes[0].literal == 0.001
    assert parse_point("x=−1,w=[−0.5, 2]")["x"] == -1.0
    assert parse_point("w=[−0.5, 2]")["w"].tolist() == [-0.5, 2.0]


def test_a_name_in_another_case_is_noticed():
    # issue 10 item 11: X*y --at x=1,y=2: the expression says X, the point x.
    from bpcalc.errors import MissingValuesError

    with pytest.raises(MissingValuesError) as info:
        bpcalc.grad("X*y", "x=1,y=2")
    assert "'x' was given a value: did you mean 'X'?" in str(info.value)


@pytest.mark.parametrize("text", ["x=1,,y=2", "x=1,y=2,", ",x=1"])
def test_an_empty_item_in_the_point_is_an_error(text):
    # issue 10 item 9: the README says a malformed item is an error
    with pytest.raises(PointError) as info:
        parse_point(text)
    assert "empty item" in str(info.value)

# ---------------------------------------------------------------- values files (--values)


def test_read_values_gives_the_object_for_parse_point(tmp_path):
    from bpcalc.parse import parse_point, read_values

    path = tmp_path / "v.json"
    path.write_text('{"w": [0.5, -0.3], "y": 1}', encoding="utf-8")
    point = parse_point(read_values(path))
    assert point["y"] == 1.0 and list(point["w"]) == [0.5, -0.3]


@pytest.mark.parametrize("text, words", [("[1, 2]", "must hold a JSON object"), ("{", "is not JSON"),
                                         ("[" * 100_000, "nested too deeply")])
def test_read_values_refuses_what_is_not_an_object(tmp_path, text, words):
    from bpcalc.errors import InputError
    from bpcalc.parse import read_values

    path = tmp_path / "v.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words):
        read_values(path)


def test_a_program_parses_without_executing_lark_runtime():
    # start-up (issue 16): the loop reads bpcalc/lark_tables.py; Lark's runtime is loaded for a syntax error only
    code = (
        "import sys, bpcalc\n"
        "bpcalc.grad('q = (x+y)*z; [q, 2][0] + sin(x)', at='x=1,y=2,z=3')\n"
        "print('bpcalc.lark_standalone' in sys.modules)\n"
        "try:\n    bpcalc.grad('(x+', at='x=1')\nexcept bpcalc.BpcalcError as exc:\n    print(exc.column)\n"
        "print('bpcalc.lark_standalone' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "4", "True"], out.stdout
