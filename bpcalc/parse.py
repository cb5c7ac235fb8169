"""Text to graph: the Lark LALR parser builds nodes as it reduces, and the --at point parser."""
from __future__ import annotations

import math
import numbers
import os
import re
import threading
from collections.abc import Callable, Mapping
from itertools import chain
from operator import itemgetter

from .errors import (
    ArityError,
    AssignmentError,
    ExpressionSyntaxError,
    InputError,
    PointError,
    UnknownFunctionError,
    suggest,
)
from .graph import CONST, VAR, Graph, Node, Notice
from .ops import CONSTANTS, FUNCTIONS
from .text import clip

MAX_DIMS = 64  # NumPy's limit on an array's dimensions; deeper brackets are refused at once

UNICODE_MINUS = "\u2212"  # the minus sign PDFs and slides produce: read as '-' in programs, points and answers
FUNCTION_SPELLINGS = {"ln": "log", "logistic": "sigmoid"}  # other notations' names for bpcalc's functions
_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"}
_TIMES = "·×⋅∗•"

_HERE = os.path.dirname(os.path.abspath(__file__))
# The wheel carries the grammar inside the package; a source checkout or an
# editable install finds the top-level grammar/ folder beside the package.
_GRAMMAR_PATHS = (
    os.path.join(_HERE, "grammar", "bpcalc.lark"),
    os.path.join(os.path.dirname(_HERE), "grammar", "bpcalc.lark"),
)


def grammar_text() -> str:
    """The grammar file's text, from the wheel or from the source checkout."""
    for path in _GRAMMAR_PATHS:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    raise FileNotFoundError(f"bpcalc's grammar is missing: looked in {', '.join(_GRAMMAR_PATHS)}")


# ---------------------------------------------------------------- the builder


class _Builder:
    """Lark callbacks, one per rule alias: each makes a node as the parser reduces.

    A reduction happens only after its inputs were reduced, so appending nodes
    here yields a topological order in source order, without a parse tree and
    without recursion. Each callback returns (node id, start, end): the span of
    the text it covers, which for a parenthesised expression includes the
    parentheses while the node inside keeps its own. A token is the tuple
    (terminal, text, start, end) that _tokens makes.
    """

    def reset(self, source: str) -> None:
        self.source = source
        self.nodes: list[Node] = []
        self.names: dict[str, int] = {}  # name -> node id, as the program reads it
        self.used: dict[str, int] = {}  # variable -> position of its first use
        self.assigned: dict[str, int] = {}  # name -> position of its assignment
        self.read: set[str] = set()  # assigned names that a later statement reads
        self.depth: dict[int, int] = {}  # array literal node -> how deep its brackets nest

    def _node(self, op: str, inputs: tuple[int, ...], start: int, end: int) -> tuple[int, int, int]:
        self.nodes.append(Node(op, inputs, "", start, end))
        return len(self.nodes) - 1, start, end

    # Leaves

    def number(self, children):
        ((_, text, start, end),) = children
        value = float(text.replace(UNICODE_MINUS, "-"))  # a float from the start: no big-integer arithmetic
        if math.isinf(value):
            raise ExpressionSyntaxError(f"the number {text} is too large for float64", self.source, start)
        self.nodes.append(Node(CONST, (), text, start, end, literal=value))
        return len(self.nodes) - 1, start, end

    def name(self, children):
        ((_, name, start, end),) = children
        node_id = self.names.get(name)
        if name in self.assigned:
            self.read.add(name)
        if node_id is None:
            self.nodes.append(Node(VAR, (), name, start, end, named=True))
            node_id = self.names[name] = len(self.nodes) - 1
            self.used[name] = start
        return node_id, start, end

    # Operators

    def _binary(op: str):  # type: ignore[misc]  # makes a method, below
        def reduce(self, children):
            # (a, b), or (a, minus, b) for sub, whose MINUS token Lark keeps; one call per node
            a, b = children[0], children[-1]
            nodes = self.nodes
            nodes.append(Node(op, (a[0], b[0]), "", a[1], b[2]))
            return len(nodes) - 1, a[1], b[2]

        reduce.__name__ = op
        return reduce

    add = _binary("add")
    sub = _binary("sub")
    mul = _binary("mul")
    div = _binary("div")
    pow = _binary("pow")
    matmul = _binary("matmul")

    def array(self, children):
        lbracket, *items, rbracket = children
        items = [item for item in items if item is not None]  # [] gives a None placeholder
        if not items:
            raise ExpressionSyntaxError("an array needs at least one item", self.source, lbracket[2])
        # Refused as soon as the brackets pass NumPy's limit, before any shape is worked out
        # (each level's shape is as long as its depth: memory in the square of the depth).
        depth = 1 + max(self.depth.get(item[0], 0) for item in items)
        if depth > MAX_DIMS:
            raise ExpressionSyntaxError(
                f"arrays nest at most {MAX_DIMS} brackets deep (NumPy's limit)", self.source, lbracket[2]
            )
        made = self._node("array", tuple(item[0] for item in items), lbracket[2], rbracket[3])
        self.depth[made[0]] = depth
        return made

    def index(self, children):
        array, *indices, rbracket = children
        if len(indices) > 2:
            raise ExpressionSyntaxError("at most two indices, as in W[i, j]", self.source, indices[2][1])
        return self._node("index", (array[0], *(i[0] for i in indices)), array[1], rbracket[3])

    def neg(self, children):
        minus, a = children
        return self._node("neg", (a[0],), minus[2], a[2])

    def paren(self, children):
        lpar, inner, rpar = children
        return inner[0], lpar[2], rpar[3]

    def call(self, children):
        (_, name, start, _), *args, rpar = children
        args = [a for a in args if a is not None]  # f() gives a None placeholder
        op = FUNCTIONS.get(name)
        if op is None:
            near = FUNCTION_SPELLINGS.get(name) or suggest(name, FUNCTIONS)
            raise UnknownFunctionError(
                f"unknown function '{name}'",
                self.source,
                start,
                # a mistyped function gets its name; any other name before '(' may be a product
                f"did you mean '{near}'?" if near
                else "functions: " + ", ".join(sorted(FUNCTIONS)) + f" (for a product, write {name}*(...))",
            )
        if op.arity is not None and len(args) != op.arity:
            wanted = f"{op.arity} argument{'s' if op.arity > 1 else ''}"
            raise ArityError(
                f"{name}() takes {wanted}, got {len(args)}",
                self.source,
                start,
                f"write {name}({', '.join('ab'[: op.arity])})",
            )
        return self._node(op.name, tuple(a[0] for a in args), start, rpar[3])

    # Statements

    def assign(self, children):
        (_, name, pos, _), value = children
        if name in self.assigned:
            first_line = self.source.count("\n", 0, self.assigned[name]) + 1
            raise AssignmentError(
                f"'{name}' is assigned twice (first on line {first_line})",
                self.source,
                pos,
                "a name holds one value: give the second one another name",
            )
        if name in self.used:
            itself = self.used[name] > pos
            raise AssignmentError(
                f"'{name}' is used before it is assigned",
                self.source,
                self.used[name],
                f"a name cannot be defined in terms of itself: give the new value another name, e.g. {name}2 = ..."
                if itself
                else f"move the assignment '{name} = ...' before its first use",
            )
        node_id = value[0]
        if self.nodes[node_id].named:
            # q = x copies a variable or an earlier name: q gets a node of its own (an
            # identity), so ∂f/∂q is the gradient through q's uses, and q shows everywhere.
            node_id = self._node("id", (node_id,), value[1], value[2])[0]
        node = self.nodes[node_id]
        node.label = name
        node.named = True
        self.names[name] = node_id
        self.assigned[name] = pos
        return ("assign", name, node_id)

    def start(self, children):
        return children


_END = (0, "", 0, 0)  # the end of the input as the parse loop sees it: terminal 0 is always $END


class _Retry(Exception):
    """A syntax error found without Lark: Lark's own parser reads the program again to raise and explain it."""


def _tokens(pattern: re.Pattern, kinds: list, special: dict, text: str, leftover: Callable[[int], None]):
    """The tokens (terminal, text, start, end) of `text`, then leftover(position) if a character matches no terminal.

    `kinds` gives the terminal of each of the pattern's groups. `special` holds the
    groups the loop looks at: the change in bracket depth (a newline continues the
    expression inside brackets), 0 for a newline, None for an ignored one.
    """
    depth = end = 0
    for match in iter(pattern.scanner(text).match, None):  # type: ignore[attr-defined]  # re has it, typeshed not
        group = match.lastindex  # the token's group: it closes after the gap's and its own inner groups
        start, end = match.span(group)  # the token's own end is the match's end
        if group in special:
            change = special[group]
            if change is None:  # an ignored stretch with no token after it
                continue
            if change:
                depth += change
            elif depth > 0:  # a newline inside brackets
                continue
        yield kinds[group], text[start:end], start, end
    if end < len(text):
        leftover(end)


def _lexer_groups(pattern: re.Pattern, terminal_ids: Mapping[str, object], ignore) -> tuple[list, dict]:
    """(kinds, special) for _tokens: each group's terminal (from terminal_ids, by name), and the groups it looks at."""
    kinds: list = [None] * (pattern.groups + 1)
    special: dict = {}
    changes = {"LPAR": 1, "LBRACKET": 1, "RPAR": -1, "RBRACKET": -1, "_NL": 0, **dict.fromkeys(ignore)}
    for name, group in pattern.groupindex.items():
        kinds[group] = terminal_ids.get(name)
        if name in changes:
            special[group] = changes[name]
    return kinds, special


def _reduction(callback: Callable, size: int, builder: object):
    """What Lark's callback for a rule of `size` symbols does, as data (written into bpcalc/lark_tables.py).

    Lark wraps a transformer's method in a ChildFilter, which drops the filtered-out
    tokens (the "+" of `sum "+" product`), inlines the rules whose names start
    with "_" (their children take their place) and adds the None placeholders of
    an empty [...]. The reduction is
      ("call", method): the method with the children, as Lark calls it;
      ("pick", method, positions): the method with the children it keeps, picked from
        the top of the value stack by a C-level itemgetter (a rule that only drops tokens);
      ("child", i): the one child kept (a filter around Lark's ExpandSingleChild);
      ("filter", spec, append_none, method): Lark's ChildFilterLALR, an inlined rule's value
        being the list of its children (method None) where Lark makes a Tree only for its
        parent to take the children out.
    """
    if getattr(callback, "__self__", None) is builder:
        return ("call", callback.__name__)
    kind = type(callback).__name__
    if kind == "ChildFilterLALR_NoPlaceholders":
        spec, append_none = [(i, expand, 0) for i, expand in callback.to_include], 0  # type: ignore[attr-defined]
    elif kind == "ChildFilterLALR":
        spec, append_none = list(callback.to_include), callback.append_none  # type: ignore[attr-defined]
    else:
        raise TypeError(f"a callback bpcalc's parser does not know: {callback!r}")
    node_builder = callback.node_builder  # type: ignore[attr-defined]
    plain = not append_none and not any(expand or nones for _, expand, nones in spec)
    if getattr(node_builder, "__self__", None) is builder:
        if plain and len(spec) > 1:
            return ("pick", node_builder.__name__, tuple(i - size for i, _, _ in spec))
        return ("filter", spec, append_none, node_builder.__name__)
    if type(node_builder).__name__ == "ExpandSingleChild" and plain and len(spec) == 1:
        return ("child", spec[0][0])
    func, args = getattr(node_builder, "func", None), getattr(node_builder, "args", ())
    if getattr(func, "__name__", "") == "Tree" and args and str(args[0]).startswith("_"):
        return ("filter", spec, append_none, None)
    raise TypeError(f"a callback bpcalc's parser does not know: {callback!r}")


def _callable(how, builder) -> tuple[Callable | None, Callable | None]:
    """(call, pick) for a reduction: the value is call(pick(value stack)), or call(children) without a pick."""
    if how is None:
        return None, None  # the rule passes its one child through
    if how[0] == "call":
        return getattr(builder, how[1]), None
    if how[0] == "pick":
        return getattr(builder, how[1]), itemgetter(*how[2])
    if how[0] == "child":
        return itemgetter(how[1]), None
    _, spec, append_none, name = how
    method = getattr(builder, name) if name else None

    def filtered(children):  # Lark's ChildFilterLALR, an inlined child being a list rather than a Tree
        kept: list = []
        for i, expand, nones in spec:
            if nones:
                kept += [None] * nones
            if not expand:
                kept.append(children[i])
            elif kept:
                kept += children[i]
            else:
                kept = children[i]
        if append_none:
            kept += [None] * append_none
        return kept if method is None else method(kept)

    return filtered, None


def lalr_tables(rows: Mapping[int, Mapping[str, int]], reductions: list) -> dict:
    """Lark's parse table as _drive reads it (and grammar/make_parser.py writes it into bpcalc/lark_tables.py).

    `rows` is the table by symbol name (state -> symbol -> state, or ~rule index to
    reduce by), `reductions` each rule's (size, name, what it does; None where the rule
    hands back its one child, as the inlined `?power: atom` does). Symbols become
    integers: TERMINALS by name, $END first (it is 0), and NONTERMINALS by name.
    ACTIONS[state][terminal] is a shift (a state), a reduction (~rule index) or None
    (a syntax error). A reduction's goto, GOTOS[state below][nonterminal * len(TERMINALS)
    + terminal], already holds the run of one-child reductions that the next terminal
    makes after it: the state at the top once they are made (they change no value).
    """
    nonterminals = sorted({origin for _, origin, _ in reductions})
    terminals = sorted({symbol for row in rows.values() for symbol in row} - set(nonterminals) | {"$END"})
    assert terminals[0] == "$END" and sorted(rows) == list(range(len(rows)))  # rows become a tuple by state

    def through(below: int, top: int, terminal: str) -> int:
        while True:  # each one-child reduction is a goto from the same state below
            act = rows[top].get(terminal)
            if act is None or act >= 0 or reductions[~act][2] is not None:
                return top
            top = rows[below][reductions[~act][1]]

    width = len(terminals)
    return {
        "TERMINALS": tuple(terminals),
        "NONTERMINALS": tuple(nonterminals),
        "ACTIONS": tuple(tuple(rows[state].get(t) for t in terminals) for state in sorted(rows)),
        "GOTOS": tuple(
            {
                n * width + t: through(state, rows[state][origin], terminal)
                for n, origin in enumerate(nonterminals)
                if origin in rows[state]
                for t, terminal in enumerate(terminals)
            }
            for state in sorted(rows)
        ),
    }


def _rules(terminals: tuple, nonterminals: tuple, reductions: list, calls: list) -> list:
    """Rule index -> (size, its nonterminal * len(terminals), call, pick), as _drive reads them."""
    width = len(terminals)
    return [(size, nonterminals.index(origin) * width, *call) for (size, origin, _), call in zip(reductions, calls)]


def _drive(tokens, actions, gotos, rules: list, end: int, states: list, values: list, fail):
    """The LALR loop over Lark's parse table (as lalr_tables makes it), step for step as Lark's ParserState.feed_token.

    A token is (terminal, text, start, end); `rules` is what _rules makes: a reduction's
    value is call(pick(value stack)), or call(children) without a pick. A token the
    table has no action for goes to fail(token, states, values), which raises; the end
    of the input is the token _END. Only the start rule leads to the end state, at the
    end of the input.
    """
    top = states[-1]
    for token in chain(tokens, (_END,)):
        terminal = token[0]
        while True:
            act = actions[top][terminal]
            if act is None:
                fail(token, states, values)
                raise AssertionError("fail() must raise")  # pragma: no cover
            if act >= 0:  # shift
                states.append(act)
                values.append(token)
                top = act
                break
            size, goto, callback, pick = rules[~act]
            if size:  # the value takes the place of the children, the goto's state that of their states
                value = callback(values[-size:] if pick is None else pick(values))  # picked in C
                if size > 1:
                    del states[1 - size :]
                    del values[1 - size :]
                values[-1] = value
                top = gotos[states[-2]][goto + terminal]
                states[-1] = top
            else:
                values.append(callback([]))
                top = gotos[top][goto + terminal]
                states.append(top)
            if top == end:
                return values[-1]
    raise AssertionError("the parse table has no end")  # pragma: no cover


def _read_table(table, callbacks: Mapping, builder: _Builder, shift: object) -> tuple[dict, list, list, dict]:
    """Lark's parse table and rule callbacks as bpcalc reads them: (rows, reductions, calls, reduce_with).

    rows: state -> symbol -> state, or ~rule index (for lalr_tables); reductions: rule
    index -> (size, name, what the reduction does); calls: rule index -> (call, pick), as
    _callable makes them; reduce_with: rule -> its callback as (call, pick) makes it, for
    Lark's own feed_token.
    """
    calls: list = []
    reductions: list = []
    reduce_with: dict = {}
    index: dict = {}
    probe = object()
    rows: dict[int, dict[str, int]] = {}
    for state, row in table.states.items():
        rows[state] = {}
        for symbol, (action, arg) in row.items():
            if action is shift:
                rows[state][symbol] = arg
                continue
            if arg not in index:
                index[arg] = len(calls)
                callback = callbacks[arg]
                size = len(arg.expansion)
                through = size == 1 and arg.options.expand1 and not arg.alias
                try:
                    through = through and callback([probe]) is probe
                except Exception:
                    through = False
                how = None if through else _reduction(callback, size, builder)
                call, pick = _callable(how, builder)
                if call is None:  # Lark's feed_token calls it all the same: it hands back the child
                    reduce_with[arg] = callback
                else:
                    reduce_with[arg] = call if pick is None else (lambda ch, c=call, p=pick: c(p(ch)))
                calls.append((call, pick))
                reductions.append((size, arg.origin.name, how))
            rows[state][symbol] = ~index[arg]
    return rows, reductions, calls, reduce_with


def _lark_plugins(lark, builder: _Builder) -> dict:
    """bpcalc's lexer and LALR loop as plugins of Lark's parser (from the generated module `lark`), for `builder`.

    Lark's own parser, with these, reads a program only to raise and explain a syntax
    error (and grammar/make_parser.py reads the tables below from it).
    """

    class Lexer(lark.Lexer):
        """The lexer for bpcalc's grammar, handed to Lark's parser in place of its basic lexer.

        One compiled pattern over the terminals the grammar declares, built from
        the grammar's own terminal definitions (as the generated parser carries
        them) in the order Lark's basic lexer tries them.
        """

        def __init__(self, conf) -> None:
            # Lark's basic lexer tries the terminals in this order: priority, then the longest first.
            order = lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)  # noqa: E731
            terminals = sorted(conf.terminals, key=order)
            alternatives = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
            # One ignored stretch (spaces, a comment) may come before a token in the same match,
            # so the loop runs once per token rather than once more per gap. The stretch is
            # matched atomically (a lookahead, then a backreference to it), so no token is ever
            # found inside a comment, and it is optional, not repeated: no nested repetition.
            ignored = "|".join(t.pattern.to_regexp() for t in terminals if t.name in conf.ignore)
            gap = f"(?:(?=(?P<_gap>{ignored}))(?P=_gap))?" if ignored else ""
            self.pattern = re.compile(f"{gap}(?:{alternatives})", conf.g_regex_flags)
            self.ignore = sorted(conf.ignore)
            self.allowed = frozenset(t.name for t in terminals) - frozenset(conf.ignore)
            # tokens by terminal name: the LALR plugin below numbers them as its table does
            self.kinds, self.special = _lexer_groups(self.pattern, {name: name for name in self.allowed}, self.ignore)

        def lex(self, lexer_state, parser_state):
            text = lexer_state.text.text

            def leftover(end: int) -> None:
                raise lark.UnexpectedCharacters(text, end, None, None, allowed=self.allowed, state=parser_state)

            return _tokens(self.pattern, self.kinds, self.special, text, leftover)

    class LALR(lark.LALR_Parser):
        """Lark's LALR parser with bpcalc's loop (_drive), handed to Lark as its LALR_Parser plugin.

        The end of the input and every syntax error go to Lark's own feed_token,
        so Lark raises and explains errors exactly as it does on its own.
        """

        @classmethod
        def deserialize(cls, data, memo, callbacks, debug=False):
            inst = super().deserialize(data, memo, callbacks, debug)
            rows, reductions, calls, reduce_with = _read_table(inst._parse_table, callbacks, builder, lark.Shift)
            inst.tables = tables = lalr_tables(rows, reductions)  # grammar/make_parser.py writes them out
            inst.reductions, inst.callbacks, inst.reduce_with = reductions, callbacks, reduce_with
            inst.terminal_ids = {name: i for i, name in enumerate(tables["TERMINALS"])}
            inst.rules = _rules(tables["TERMINALS"], tables["NONTERMINALS"], reductions, calls)
            return inst

        def parse(self, lexer, start, on_error=None):
            if on_error is not None or any(isinstance(k, str) for k in self.callbacks):  # terminal callbacks
                return super().parse(lexer, start, on_error)  # as Lark does it
            state = lark.ParserState(lark.ParseConf(self._parse_table, self.reduce_with, start), lexer)
            last: list = [None]
            ids, names = self.terminal_ids, self.tables["TERMINALS"]

            def tokens():
                for name, *text_and_span in state.lexer.lex(state):
                    last[0] = token = (ids[name], *text_and_span)
                    yield token

            def lark_token(token):  # Lark's feed_token takes Lark's own tokens
                terminal, text, start, end = token
                return lark.Token(names[terminal], text, start_pos=start, end_pos=end)

            def fail(token, states, values):
                if token is _END:
                    before = last[0]  # the end borrows the last token's place, as in Lark
                    if before is None:
                        state.feed_token(lark.Token("$END", "", 0, 1, 1), True)
                    else:
                        state.feed_token(lark.Token.new_borrow_pos("$END", "", lark_token(before)), True)
                else:
                    state.feed_token(lark_token(token))  # Lark raises UnexpectedToken with what it expected

            end = self._parse_table.end_states[start]
            try:
                return _drive(tokens(), self.tables["ACTIONS"], self.tables["GOTOS"], self.rules, end,
                              state.state_stack, state.value_stack, fail)
            except lark.UnexpectedInput as e:
                e.interactive_parser = lark.InteractiveParser(self.parser, state, state.lexer)
                raise e

    return {"BasicLexer": Lexer, "LALR_Parser": LALR}


# ---------------------------------------------------------------- the parser

_lock = threading.Lock()  # one builder instance is wired into the parser's callbacks
_builder = _Builder()
_parser = None
_fast: tuple | None = None  # what _drive reads, from bpcalc/lark_tables.py


def lark_parser(lark, builder=None):
    """Lark's parser from the generated module `lark` (bpcalc/lark_standalone.py), with bpcalc's plugins."""
    builder = builder or _builder
    return lark.Lark_StandAlone(transformer=builder, _plugins=_lark_plugins(lark, builder))


def _get_parser():
    global _parser
    if _parser is None:
        # The LALR parser Lark generated from grammar/bpcalc.lark (see
        # grammar/make_parser.py): no grammar to analyse and no cache to load.
        from . import lark_standalone

        _parser = lark_parser(lark_standalone)
    return _parser


def _fast_tables() -> tuple:
    """The lexer's pattern and Lark's parse table for _drive, as grammar/make_parser.py wrote them from Lark."""
    global _fast
    if _fast is None:
        from . import lark_tables as t

        calls = [_callable(how, _builder) for _, _, how in t.REDUCTIONS]
        rules = _rules(t.TERMINALS, t.NONTERMINALS, t.REDUCTIONS, calls)
        pattern = re.compile(t.PATTERN, t.FLAGS)
        kinds, special = _lexer_groups(pattern, {name: i for i, name in enumerate(t.TERMINALS)}, t.IGNORE)
        _fast = pattern, kinds, special, t.ACTIONS, t.GOTOS, rules, t.END, t.START
    return _fast


def _retry(*_args) -> None:
    raise _Retry


def _parse_fast(source: str):
    """The statements, from the loop over the tables alone (no Lark runtime); raises _Retry at a syntax error."""
    pattern, kinds, special, actions, gotos, rules, end, start = _fast_tables()
    return _drive(_tokens(pattern, kinds, special, source, _retry), actions, gotos, rules, end, [start], [], _retry)


def _lark_errors() -> tuple:
    """Lark's UnexpectedInput, UnexpectedCharacters and UnexpectedToken, imported only for a syntax error."""
    from . import lark_standalone as lark

    return lark.UnexpectedInput, lark.UnexpectedCharacters, lark.UnexpectedToken


def _parse_lark(source: str):
    """The statements, from Lark's own parser (with bpcalc's plugins), which raises and explains a syntax error."""
    parser = _get_parser()
    unexpected_input = _lark_errors()[0]
    try:
        return parser.parse(source)
    except unexpected_input as exc:
        raise _syntax_error(exc, source, parser) from None


def parse(source: str) -> Graph:
    """Parse a program into a graph whose last node is the output; raises BpcalcError.

    The loop reads the parse table Lark generated without loading Lark's runtime; at a
    syntax error, Lark's own parser reads the program again, to raise and explain it.
    """
    with _lock:
        _builder.reset(source)
        try:
            statements = _parse_fast(source)
        except _Retry:
            _builder.reset(source)
            statements = _parse_lark(source)
        built = _builder.nodes, _builder.names, _builder.used, _builder.assigned, _builder.read
        _builder.reset("")  # drop references to this graph
    return _finish(source, statements, *built)


FUSED_LOGS = {"softmax": "log_softmax", "sigmoid": "logsigmoid", "softplus": "log_softplus"}  # log(inner) -> one op


def _finish(source, statements, nodes, names, used, assigned, read) -> Graph:
    """Keep the nodes the output depends on, renumber them, and label the unnamed ones."""
    if not statements:
        raise ExpressionSyntaxError(
            "the expression is empty", source, len(source), "write an expression such as (x+y)*z"
        )
    notices: list[Notice] = []
    last = statements[-1]
    output = last[2] if last[0] == "assign" else last[0]
    output_name = last[1] if last[0] == "assign" else None
    for statement in statements[:-1]:
        if statement[0] != "assign":
            node = nodes[statement[0]]
            notices.append(
                Notice(
                    "unused",
                    f"the statement '{source[node.start : node.end]}' is not the last and has no name, "
                    "so nothing uses it",
                )
            )
    for name in assigned:
        if name in CONSTANTS:
            notices.append(
                Notice(
                    "constant",
                    f"'{name}' is assigned in the program, which takes precedence over the constant "
                    f"{name} = {CONSTANTS[name]!r}",
                )
            )

    # log(softmax(z)) underflows to log(0) = -inf where log_softmax(z) is finite, and so do
    # log(sigmoid(x)) and log(softplus(x)) at x = -800: fuse them, unless the program named
    # the inner value (then it is a node the user asked for).
    for node in nodes:
        if node.op != "log":
            continue
        inner = nodes[node.inputs[0]]
        if inner.op in FUSED_LOGS and not inner.named:
            node.op, node.inputs = FUSED_LOGS[inner.op], inner.inputs
            notices.append(
                Notice("fused", f"'{source[node.start : node.end]}' is computed as {node.op}, which stays finite")
            )

    # Mark what the output depends on: one backward loop over the ids.
    keep = [False] * (output + 1)  # a list, not a bytearray: CPython specializes indexing lists
    keep[output] = True
    for i in range(output, -1, -1):
        if keep[i]:
            for j in nodes[i].inputs:
                keep[j] = True
    new_id: list[int] | range
    if not all(keep):  # some nodes are not used: drop them and renumber the rest
        new_id = [-1] * (output + 1)
        kept: list[Node] = []
        for i in range(output + 1):
            if keep[i]:
                node = nodes[i]
                node.inputs = tuple(new_id[j] for j in node.inputs)
                new_id[i] = len(kept)
                kept.append(node)
    else:  # every node up to the output is used (most programs): the ids stay
        new_id = range(output + 1)
        kept = nodes[: output + 1]

    live_names = {}
    for name, i in names.items():
        live = i <= output and keep[i]
        if live:
            live_names[name] = new_id[i]
        if name in assigned and name != output_name and not (live and name in read):
            notices.append(Notice("unused", f"'{name}' is assigned but the output does not use it"))

    # Generated labels n1, n2, ... must not collide with the program's names.
    prefix = "n"
    while any(name.startswith(prefix) and name[len(prefix) :].isdigit() for name in names):
        prefix = "_" + prefix
    count = 0
    for node in kept:
        if not node.named and node.op != CONST:
            count += 1
            node.label = f"{prefix}{count}"
    if not kept[-1].named:
        kept[-1].label = next(n for n in ("f", "out", "output", f"{prefix}{count}") if n not in names)
        live_names[kept[-1].label] = len(kept) - 1  # so --wrt f and check's df/df can name it

    variables = [name for name in used if name in live_names]
    return Graph(source, kept, live_names, variables, output_name or kept[-1].label, notices)


# ---------------------------------------------------------------- syntax errors

_TERMINAL_NAMES = {
    "NUMBER": "a number",
    "NAME": "a name",
    "_NL": "a new line",
    "_POW": "'^'",
    "MINUS": "'-'",
    "$END": "the end of the input",
}


def _describe(terminal: str, parser) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    try:
        pattern = parser.get_terminal(terminal).pattern
    except KeyError:
        return terminal
    return f"'{pattern.value}'" if pattern.type == "str" else terminal.lower()


def _syntax_error(exc, source: str, parser) -> ExpressionSyntaxError:
    _, unexpected_characters, unexpected_token = _lark_errors()

    pos = getattr(exc, "pos_in_stream", None)
    if pos is None or pos < 0:
        pos = len(source)
    # `accepts` is what the parser could take here; `expected` also holds the
    # terminals the post-lexer always accepts, such as the new line.
    terminals = getattr(exc, "accepts", None) or getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    expected = sorted({_describe(t, parser) for t in terminals})
    wanted = (
        f"expected {', '.join(expected[:-1])} or {expected[-1]}"
        if len(expected) > 1
        else (f"expected {expected[0]}" if expected else "")
    )

    if isinstance(exc, unexpected_characters):
        char = source[pos] if pos < len(source) else ""
        return ExpressionSyntaxError(f"unexpected character '{char}'", source, pos, _character_hint(source, pos, char))
    if not isinstance(exc, unexpected_token):
        return ExpressionSyntaxError(str(exc).strip().splitlines()[0], source, pos)
    token = exc.token
    if token.type == "$END":
        opened = source.count("(") - source.count(")")
        hint = f"{opened} '(' not closed" if opened > 0 else wanted
        return ExpressionSyntaxError("the expression ends too early", source, len(source), hint)
    if token.type == "_NL":
        return ExpressionSyntaxError(
            "the line ends before the statement is complete",
            source,
            pos,
            f"{wanted}; a new line ends a statement, except inside parentheses",
        )
    if token.type == "EQUAL":
        hint = (
            "bpcalc has no comparisons"
            if source.startswith("=", pos + 1) or source[pos - 1 : pos] == "="
            else "'=' names a value at the start of a statement, as in q = x + y"
        )
        return ExpressionSyntaxError("unexpected '='", source, pos, hint)
    before = source[:pos].rstrip(" \t")
    if token.type == "NAME" and before and (before[-1].isdigit() or before[-1] == "."):
        number = re.search(r"[\d.]+(?:[eE][+-]?\d+)?$", before[-80:])  # a bounded tail: search is not linear
        shown = number.group(0) if number else before[-1]
        return ExpressionSyntaxError(
            f"a number followed by a name: '{shown}{token}'", source, pos, f"write {shown}*{token} for a product"
        )
    if token.type == "RPAR" and source.count(")", 0, pos + 1) > source.count("(", 0, pos):
        return ExpressionSyntaxError("unexpected ')' with no '(' to close", source, pos)
    if token.type in ("NAME", "NUMBER", "LPAR") and "'+'" in expected:
        what = {"NAME": f"name '{token}'", "NUMBER": f"number {token}"}.get(token.type, f"'{token}'")
        return ExpressionSyntaxError(
            f"unexpected {what}: an operator is missing",
            source,
            pos,
            "join the two with an operator such as * or +",
        )
    return ExpressionSyntaxError(f"unexpected '{token}'", source, pos, wanted)


def _character_hint(source: str, pos: int, char: str) -> str:
    """What to write instead of a character other notations use: x², |x|, 2·x, ÷."""
    if char in _SUPERSCRIPTS:
        base = re.search(r"(?:[A-Za-z_][A-Za-z0-9_]*|[0-9.]+|\))$", source[max(0, pos - 40):pos])
        shown = base.group(0) if base and base.group(0) != ")" else "(...)" if base else "x"
        power = "".join(_SUPERSCRIPTS.get(c, "") for c in source[pos:pos + 4]).rstrip() or _SUPERSCRIPTS[char]
        return f"write {shown}^{power} for a power"
    if char == "|":
        end = source.find("|", pos + 1, pos + 200)
        inner = source[pos + 1:end].strip() if end > pos else "x"
        return f"write abs({inner or 'x'}) for an absolute value"
    if char in _TIMES:
        return "write * for a product"
    if char == "÷":
        return "write / for a division"
    return (
        "bpcalc reads numbers, names, + - * / ^ ** @, ( ), [ ], commas, ; or new lines between statements, "
        "= and # comments"
    )


# ---------------------------------------------------------------- the point

# ASCII digits only. Linear: no two quantifiers can share a digit (the digits after the
# point need the point), so a long run of digits followed by a letter fails in one pass.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ARRAY_TOKEN = re.compile(r"\s*(\[|\]|,|[^\[\],\s]+)")


def parse_point(items: str | Mapping[str, object] | list | tuple | None) -> dict[str, object]:
    """A point from 'x=-2,w=[0.5,-0.3]', a mapping of names to numbers or arrays, or a list of such.

    Values are floats, or float64 NumPy arrays for nested lists (NumPy is imported only then).
    """
    point: dict[str, object] = {}
    if items is None:
        return point
    if not isinstance(items, (str, Mapping, list, tuple)):
        raise PointError(f"a point is text such as 'x=-2,y=5' or a mapping of names to values, not {items!r}")
    if isinstance(items, Mapping):
        for name, value in items.items():
            _put(point, str(name), _to_value(str(name), value))
        return point
    for text in [items] if isinstance(items, str) else items:
        if isinstance(text, Mapping):
            for name, value in parse_point(text).items():
                _put(point, name, value)
            continue
        if not str(text).strip():
            continue  # no point at all (an empty --at "")
        for item in split_outside_brackets(str(text).replace(UNICODE_MINUS, "-")):
            item = item.strip()
            if not item:
                raise PointError(
                    f"an empty item in '{text}': two commas in a row, or one at the start or end",
                    "write e.g. --at x=-2,y=5",
                )
            name, eq, value = item.partition("=")
            name, value = name.strip(), value.strip()
            if not eq or not value:
                raise PointError(f"'{item}' is not of the form name=value", "write e.g. --at x=-2,y=5,w=[0.5,-0.3]")
            _put(point, name, _to_value(name, value))
    return point


def read_values(path: str | os.PathLike[str]) -> dict[str, object]:
    """A values file (--values): a JSON object of names to numbers or nested lists of numbers, for parse_point.

    Text such as "3" is refused: a number in quotes is a mistake in a data file.
    """
    import json

    from .files import loads_json, read_text

    text = read_text(path, kind="values")
    try:
        data = loads_json(text)
    except ValueError as exc:
        raise InputError(f"{path} is not JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{path} is not JSON we can read: nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(f'{path} must hold a JSON object of names to values, as in {{"w": [0.5, -0.3], "y": 1}}')
    for name, value in data.items():
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str):
                shown = json.dumps(item)[:40]
                raise InputError(
                    f"{path}: the value of {name[:40]} holds the text {shown}, not a number: "
                    "write numbers without quotes"
                )
    return data


def split_outside_brackets(text: str, separators: str = ",") -> list[str]:
    """Split 'x=1,w=[1,2]' at the separators outside brackets; check's answers use it too."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char in separators and depth <= 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def _put(point: dict[str, object], name: str, value: object) -> None:
    if not _NAME.fullmatch(name):
        raise PointError(f"'{name}' is not a name: names are letters, digits and _, not starting with a digit")
    if name in point:
        raise PointError(f"'{name}' is given a value twice")
    point[name] = value


def _to_value(name: str, value: object) -> object:
    if isinstance(value, str) and value.startswith("["):
        return _to_array(name, _nested_lists(name, value))
    if isinstance(value, (list, tuple)) or type(value).__module__ == "numpy" and getattr(value, "ndim", 0) > 0:
        return _to_array(name, value)
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        value = value.item()  # type: ignore[attr-defined]  # a 0-d array is a number
    return _to_float(name, value)


def _nested_lists(name: str, text: str) -> list:
    """'[[1, 2], [3, 4]]' as nested lists of number strings, with a stack rather than recursion."""
    stack: list[list] = []
    top: list | None = None
    expect_item = True
    pos = 0
    while pos < len(text):
        match = _ARRAY_TOKEN.match(text, pos)
        if match is None:
            break
        token, pos = match.group(1), match.end()
        if token == "[" and expect_item:
            if len(stack) >= MAX_DIMS:
                raise PointError(f"the value of {name} nests more than {MAX_DIMS} brackets deep (NumPy's limit)")
            stack.append([])
        elif token == "]" and stack and (not expect_item or not stack[-1]):
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            else:
                top = done
            expect_item = False
        elif token == "," and stack and not expect_item:
            expect_item = True
        elif _NUMBER.fullmatch(token) and stack and expect_item:
            stack[-1].append(float(token))
            expect_item = False
        else:
            break
        if top is not None:
            break
    if top is None or text[pos:].strip():
        raise PointError(
            f"the value of {name}, '{clip(text)}', is not a number or an array such as [1, 2] or [[1, 2], [3, 4]]"
        )
    return top


def _to_array(name: str, nested):
    import numpy as np

    try:
        array = np.array(nested)
        flat = np.array(nested, dtype=object).ravel() if isinstance(nested, (list, tuple)) else ()
    except (ValueError, TypeError, OverflowError, RecursionError):
        array, flat = None, ()
    if any(type(item) is bool for item in flat):
        raise PointError(f"the value of {name} holds true or false, not numbers")
    if array is None or array.dtype.kind not in "iuf":  # ragged, or booleans, strings, objects
        raise PointError(
            f"the value of {name} is not a rectangular array of numbers",
            "rows must have equal lengths, as in [[1, 2], [3, 4]]",
        )
    array = array.astype(float)
    if array.size == 0 or array.ndim == 0:
        raise PointError(f"the value of {name} is an empty array")
    if not np.isfinite(array).all():
        raise PointError(f"the value of {name} has numbers that are not finite float64 numbers")
    return array


def _to_float(name: str, value: object) -> float:
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value):
            raise PointError(
                f"the value of {name}, '{clip(value)}', is not a number", "numbers look like 3, -0.5, .5 or 1e-3"
            )
        number = float(value)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):  # also NumPy's scalars
        try:
            number = float(value)
        except OverflowError:
            raise PointError(f"the value of {name} is too large for float64") from None
    else:
        raise PointError(f"the value of {name}, {clip(repr(value))}, is not a number")
    if not math.isfinite(number):
        raise PointError(f"the value of {name}, {value}, is not a finite float64 number")
    return number
