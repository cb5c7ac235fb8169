"""Symbolic derivatives with SymPy (the optional extra bpcalc[symbolic]): a graph as closed forms.

SymPy is imported here only, and only when a closed form is asked for. The
graph becomes one SymPy expression per node in one loop over its topologically
ordered nodes (no recursion), by the rules in SYMPY below, one per op name of
ops.OPERATIONS; SymPy's own `diff` then differentiates the output.

Kinks follow bpcalc's convention, spelled out rather than left to SymPy: max,
min and relu are written with bpcalc's own functions whose derivatives are the
indicators [a > b], [a < b], [a > 0], written `Heaviside(u, 0)` (0 at u = 0, not
SymPy's default Heaviside(0) = 1/2); under --tie split a max/min tie gives
`Heaviside(u, 1/2)`; abs'(a) is sign(a), 0 at 0. The indicators' own derivatives
are 0, so second derivatives at a kink are 0 too, as in the engine.
"""
from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .engine import TIES
from .errors import BpcalcError, ExitCode, InputError, install_hint, suggest
from .graph import CONST, VAR, Graph, Result
from .ops import CONSTANTS

INSTALL = install_hint("sympy", "symbolic")
MAX_NODES = 5_000  # graph nodes: SymPy recurses over expressions, so deep inputs are refused up front
MAX_TREE = 5_000  # terms of the output written out as a tree (shared subexpressions counted each time)
MAX_DERIVATIVE_TREE = 60_000  # the same for a derivative, before count_ops, cse and simplify walk it
DIFF_SECONDS = 30.0  # all of SymPy's work for one bpcalc diff
SIMPLIFY_OPS = 300  # simplify only derivatives of at most this many operations (count_ops)
SIMPLIFY_SECONDS = 5.0  # and give up simplifying one after this long, keeping the unsimplified form
RTOL = 1e-12  # grad --symbolic: closed form against backprop, relative
MAX_POW_EXPONENT = 1024  # a number to a whole-number power larger than this stays a float (9^9^9)


class SymbolicMismatch(BpcalcError):
    """A closed form's value disagrees with backprop's: one of them is wrong, so a bug in bpcalc."""

    exit_code = ExitCode.INTERNAL


def load_sympy() -> Any:
    """SymPy, or a clear error (exit 2) saying what to install."""
    try:
        import sympy  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(f"symbolic derivatives need SymPy: {INSTALL}") from None
    return sympy


# ---------------------------------------------------------------- the rules, one per op
# Each rule is (S, *inputs) -> the op applied to its inputs' SymPy expressions,
# where S holds SymPy's functions and bpcalc's kink functions. None: the op has
# no closed form here (arrays). A completeness test checks this table against
# ops.OPERATIONS.

Rule = Callable[..., Any]

SYMPY: dict[str, Rule | None] = {
    # ---- arithmetic ----
    "add": lambda S, a, b: a + b,
    "sub": lambda S, a, b: a - b,
    "mul": lambda S, a, b: a * b,
    "div": lambda S, a, b: a / b,
    "pow": lambda S, a, b: S.power(a, b),
    "neg": lambda S, a: -a,
    "id": lambda S, a: a,
    # ---- kinks: bpcalc's own functions, whose derivatives are the indicators ----
    "max": lambda S, a, b: S.Max(a, b),
    "min": lambda S, a, b: S.Min(a, b),
    "relu": lambda S, a: S.Relu(a),
    "abs": lambda S, a: S.Abs(a),
    # ---- smooth functions ----
    "exp": lambda S, a: S.exp(a),
    "log": lambda S, a: S.log(a),
    "sqrt": lambda S, a: S.sqrt(a),
    "sigmoid": lambda S, a: 1 / (1 + S.exp(-a)),
    "tanh": lambda S, a: S.tanh(a),
    "softplus": lambda S, a: S.log(1 + S.exp(a)),
    "logsigmoid": lambda S, a: -S.log(1 + S.exp(-a)),
    "log_softplus": lambda S, a: S.log(S.log(1 + S.exp(a))),
    "sin": lambda S, a: S.sin(a),
    "cos": lambda S, a: S.cos(a),
    "tan": lambda S, a: S.tan(a),
    # ---- arrays: no closed form here ----
    "array": None,
    "index": None,
    "matmul": None,
    "dot": None,
    "outer": None,
    "transpose": None,
    "sum": None,
    "mean": None,
    "softmax": None,
    "log_softmax": None,
    "logsumexp": None,
    "cross_entropy": None,
}


class _Namespace:
    """SymPy's functions and bpcalc's kink functions, as the rules see them (S)."""

    def __init__(self, sp: Any, tie: str):
        self.sp = sp
        self.exp, self.log, self.sqrt = sp.exp, sp.log, sp.sqrt
        self.sin, self.cos, self.tan, self.tanh = sp.sin, sp.cos, sp.tan, sp.tanh
        self.Max, self.Min, self.Relu, self.Abs, self.Step, self.TieStep, self.Sign = _kink_functions(sp)
        self.tie_value = sp.Rational(1, 2) if tie == "split" else sp.Integer(0)

    def power(self, a: Any, b: Any) -> Any:
        sp = self.sp
        if a.is_Number and b.is_Integer and abs(b) > MAX_POW_EXPONENT and abs(a) != 1 and a != 0:
            # An exact 9^(9^9) would not finish: bpcalc computes in float64 anyway.
            try:
                return sp.Float(math.pow(float(a), float(b)))
            except (OverflowError, ValueError):
                raise InputError(f"the constant {a}^{b} is too large for float64") from None
        return a**b

    def finish(self, expr: Any) -> Any:
        """bpcalc's kink functions replaced by SymPy's: Max, Min, Heaviside(u, 0), sign."""
        sp = self.sp
        # Indicators and abs first: SymPy's Max and Min compare their arguments as they are made.
        return (
            expr.replace(self.Step, lambda u: sp.Heaviside(u, 0))
            .replace(self.TieStep, lambda u: sp.Heaviside(u, self.tie_value))
            .replace(self.Sign, sp.sign)
            .replace(self.Abs, sp.Abs)
            .replace(self.Relu, lambda a: sp.Max(a, 0))
            .replace(self.Max, sp.Max)
            .replace(self.Min, sp.Min)
        )


_KINKS: tuple | None = None


def _kink_functions(sp: Any) -> tuple:
    """bpcalc's max, min, relu and abs as SymPy functions whose derivatives follow bpcalc's rules."""
    global _KINKS
    if _KINKS is not None:
        return _KINKS

    class Kink(sp.Function):
        """A real function that evaluates on numbers (so Max and Min can compare it) and whose
        derivative is bpcalc's local rule."""

        numeric: Callable[..., Any] = staticmethod(lambda *args: None)

        @classmethod
        def eval(cls, *args):
            if all(a.is_Number for a in args):
                return cls.numeric(*args)
            return None

        def _eval_is_real(self):
            return True

    class bpcalc_step(Kink):  # [u > 0], 0 at u = 0 (relu'(0) = 0)
        nargs = 1
        numeric = staticmethod(lambda u: sp.Integer(1 if u > 0 else 0))

        def fdiff(self, argindex=1):
            return sp.Integer(0)

    class bpcalc_tie(Kink):  # [u > 0] at a max/min: 0 at a tie, or 1/2 under --tie split (put in by finish)
        nargs = 1

        def fdiff(self, argindex=1):
            return sp.Integer(0)

    class bpcalc_sign(Kink):  # sign(u), with derivative 0 (the engine's second derivative)
        nargs = 1
        numeric = staticmethod(sp.sign)

        def fdiff(self, argindex=1):
            return sp.Integer(0)

    class bpcalc_max(Kink):
        nargs = 2
        numeric = staticmethod(sp.Max)

        def fdiff(self, argindex=1):
            a, b = self.args
            return bpcalc_tie(a - b) if argindex == 1 else bpcalc_tie(b - a)  # [a > b], [a < b]

    class bpcalc_min(Kink):
        nargs = 2
        numeric = staticmethod(sp.Min)

        def fdiff(self, argindex=1):
            a, b = self.args
            return bpcalc_tie(b - a) if argindex == 1 else bpcalc_tie(a - b)  # [a < b], [a > b]

    class bpcalc_relu(Kink):
        nargs = 1
        numeric = staticmethod(lambda a: sp.Max(a, 0))

        def fdiff(self, argindex=1):
            return bpcalc_step(self.args[0])

    class bpcalc_abs(Kink):
        nargs = 1
        numeric = staticmethod(sp.Abs)

        def fdiff(self, argindex=1):
            return bpcalc_sign(self.args[0])

    _KINKS = (bpcalc_max, bpcalc_min, bpcalc_relu, bpcalc_abs, bpcalc_step, bpcalc_tie, bpcalc_sign)
    return _KINKS


# ---------------------------------------------------------------- graph -> expressions


@dataclass
class Expressions:
    """Each node's SymPy expression, and what --keep-names kept as functions."""

    nodes: list[Any]  # one expression per node, in node order
    symbols: dict[str, Any]  # name -> its SymPy symbol
    definitions: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # kept name -> (q(x, y), its expression)


def expressions(
    graph: Graph,
    namespace: _Namespace,
    *,
    variables: Iterable[str],
    keep_names: bool = False,
    cut: int | None = None,
) -> Expressions:
    """One SymPy expression per node, in one loop over the nodes in topological order.

    `variables` become real symbols; other names the graph reads (pi, e) are
    constants. `cut` makes that node a symbol of its own (differentiating by a
    named intermediate). `keep_names` writes each named intermediate as a
    function of its variables, q(x, y), rather than substituting it.
    """
    sp = namespace.sp
    wanted = set(variables)
    symbols: dict[str, Any] = {}
    exprs: list[Any] = [None] * len(graph.nodes)
    definitions: dict[str, tuple[Any, Any]] = {}
    last = len(graph.nodes) - 1
    for i, node in enumerate(graph.nodes):
        if i == cut:
            exprs[i] = symbols.setdefault(node.label, sp.Symbol(node.label, real=True))
            continue
        if node.op == VAR:
            if node.label in wanted or node.label not in CONSTANTS:
                exprs[i] = symbols.setdefault(node.label, sp.Symbol(node.label, real=True))
            else:
                exprs[i] = sp.pi if node.label == "pi" else sp.E
            continue
        if node.op == CONST:
            exprs[i] = _literal(sp, graph.source[node.start:node.end], node.literal)
            continue
        rule = SYMPY[node.op]
        if rule is None:
            raise InputError(
                f"{node.op} at node {node.label} = {graph.text(i, 60)} works on arrays, which have no closed form here",
                "symbolic derivatives are for expressions of numbers",
            )
        expr = rule(namespace, *(exprs[j] for j in node.inputs))
        if keep_names and node.named and i != last and expr.free_symbols:
            args = sorted(expr.free_symbols - {s for s in expr.free_symbols if not s.is_Symbol}, key=str)
            kept = sp.Function(node.label)(*args)
            definitions[node.label] = (kept, expr)
            expr = kept
        exprs[i] = expr
    return Expressions(exprs, symbols, definitions)


def _literal(sp: Any, text: str, value: float) -> Any:
    """A number literal as the exact rational it writes ('0.1' is 1/10), within float64's range."""
    _, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > 400:  # 1e-99999999 is 0.0 in float64; not a 10^99999999 denominator
        return sp.Rational(value)
    return sp.Rational(text)


# ---------------------------------------------------------------- sizes


def tree_size(expr: Any) -> int:
    """Nodes of the expression written out as a tree, without writing it out: shared parts count each time.

    A loop with a stack (no recursion), memoised on the shared subexpressions,
    so it takes time linear in the DAG however large the tree is.
    """
    sizes: dict[int, int] = {}
    keep = []  # the expressions whose ids are keys, kept alive
    stack = [(expr, False)]
    while stack:
        e, done = stack.pop()
        key = id(e)
        if key in sizes:
            continue
        if done:
            sizes[key] = 1 + sum(sizes[id(a)] for a in e.args)
            keep.append(e)
            continue
        stack.append((e, True))
        stack.extend((a, False) for a in e.args if id(a) not in sizes)
    return sizes[id(expr)]


@dataclass
class Size:
    """How large a derivative is, in SymPy's count_ops."""

    raw: int  # as SymPy's diff gives it
    simplified: int | None  # after simplify (None: not simplified)
    cse: int  # with common subexpressions written once
    cse_terms: int  # how many common subexpressions


def _cse_ops(sp: Any, expr: Any) -> tuple[int, int]:
    replacements, reduced = sp.cse(expr)
    return sum(sp.count_ops(v) for _, v in replacements) + sp.count_ops(reduced[0]), len(replacements)


_DEADLINES: list[float] = []  # the time limits in force, innermost last


class Expired(Exception):
    """A time limit passed; carries that limit's deadline, so only its own `with` catches it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[float]:
    """Raise Expired(deadline) after `seconds`, where the platform allows (Unix, main thread).

    Limits nest: the alarm is set for the nearest deadline, and the handler names
    it, so an inner limit's expiry does not end the outer computation.
    """
    deadline = time.monotonic() + seconds
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield deadline
        return

    def expire(signum, frame):
        raise Expired(min(_DEADLINES))

    previous = signal.signal(signal.SIGALRM, expire) if not _DEADLINES else None
    _DEADLINES.append(deadline)
    signal.setitimer(signal.ITIMER_REAL, max(min(_DEADLINES) - time.monotonic(), 1e-3))
    try:
        yield deadline
    finally:
        _DEADLINES.pop()
        if _DEADLINES:
            signal.setitimer(signal.ITIMER_REAL, max(min(_DEADLINES) - time.monotonic(), 1e-3))
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- diff


@dataclass
class Derivative:
    """∂output/∂name in closed form."""

    name: str
    expr: Any  # simplified where it was small enough, else as SymPy's diff gave it
    simplified: bool
    note: str = ""  # why it was not simplified
    size: Size | None = None


@dataclass
class Diff:
    """What bpcalc diff shows: the output's closed form and each derivative's."""

    graph: Graph
    tie: str
    function: Any  # the output's expression
    derivatives: dict[str, Derivative]
    definitions: dict[str, tuple[Any, Any]]  # --keep-names: q -> (q(x, y), its expression)
    symbols: list[str]  # the names that are symbols, for reading the text back with sympify
    function_size: int = 0  # count_ops of the output's expression (with --stats)
    nodes: int = 0  # the graph's node count

    @property
    def indicators(self) -> bool:
        """Whether a derivative holds a kink's indicator (the text then says what it means)."""
        sp = load_sympy()
        return any(d.expr.has(sp.Heaviside) for d in self.derivatives.values())


def diff(
    graph: Graph,
    wrt: Iterable[str] | None = None,
    *,
    tie: str = "indicator",
    keep_names: bool = False,
    simplify: bool = True,
    stats: bool = False,
    symbols: Iterable[str] | None = None,
) -> Diff:
    """Each ∂output/∂name in closed form: every variable, or the `wrt` names (variables or named values).

    pi and e are SymPy's constants unless `wrt` or `symbols` names them.
    """
    if tie not in TIES:
        raise InputError(f"unknown tie convention '{tie}': use one of {', '.join(TIES)}")
    sp = load_sympy()
    _check_size(graph)
    names = _wrt(graph, wrt)
    namespace = _Namespace(sp, tie)
    chosen = set(names) | set(symbols or ())
    variables = [n for n in graph.variables if n not in CONSTANTS or n in chosen]
    try:
        with time_limit(DIFF_SECONDS) as deadline:
            whole = expressions(graph, namespace, variables=variables, keep_names=keep_names)
            output = whole.nodes[-1]
            _check_tree(tree_size(output), "the output")
            derivatives = {}
            for name in names:
                derivatives[name] = _derivative(
                    sp, graph, namespace, whole, name, variables, keep_names, simplify, stats
                )
            function = namespace.finish(output)
            function_size = sp.count_ops(function) if stats else 0
    except RecursionError:
        raise InputError(
            "the expression is nested too deeply for SymPy",
            f"bpcalc diff handles graphs of up to about {MAX_NODES} nodes",
        ) from None
    except Expired as exc:
        if exc.args[0] != deadline:
            raise
        raise InputError(
            f"SymPy took more than {DIFF_SECONDS:g} s over the closed forms",
            "bpcalc grad computes the gradient on the graph, in time linear in its size",
        ) from None
    return Diff(
        graph,
        tie,
        function,
        derivatives,
        {name: (kept, namespace.finish(e)) for name, (kept, e) in whole.definitions.items()},
        sorted(whole.symbols),
        function_size,
        len(graph.nodes),
    )


def _derivative(sp, graph, namespace, whole, name, variables, keep_names, simplify, stats) -> Derivative:
    node = graph.names[name]
    if graph.nodes[node].op == VAR:
        raw = sp.diff(whole.nodes[-1], whole.symbols[name])
    else:  # a named value: cut the graph there, differentiate by its symbol, put its expression back
        cut = expressions(graph, namespace, variables=variables, keep_names=keep_names, cut=node)
        symbol = cut.symbols[name]
        raw = sp.diff(cut.nodes[-1], symbol)
        value = whole.definitions[name][0] if name in whole.definitions else whole.nodes[node]
        raw = raw.xreplace({symbol: value})
    _check_tree(tree_size(raw), f"∂/∂{name}")
    raw = namespace.finish(raw)
    expr, simplified, note = raw, False, ""
    if simplify:
        expr, simplified, note = _simplify(sp, raw)
    size = None
    if stats:
        size = Size(sp.count_ops(raw), sp.count_ops(expr) if simplified else None, *_cse_ops(sp, expr))
    return Derivative(name, expr, simplified, note, size)


def _simplify(sp: Any, expr: Any) -> tuple[Any, bool, str]:
    ops = sp.count_ops(expr)
    if ops > SIMPLIFY_OPS:
        return expr, False, f"not simplified: {ops} operations (bpcalc simplifies up to {SIMPLIFY_OPS})"
    try:
        with time_limit(SIMPLIFY_SECONDS) as deadline:
            simpler = sp.simplify(expr)
    except Expired as exc:
        if exc.args[0] != deadline:
            raise
        return expr, False, f"not simplified: SymPy took more than {SIMPLIFY_SECONDS:g} s"
    if sp.count_ops(simpler) > ops:
        simpler = expr  # simplify may choose a longer form; keep the shorter
    return simpler, True, ""


def _check_size(graph: Graph) -> None:
    if len(graph.nodes) > MAX_NODES:
        raise InputError(
            f"{len(graph.nodes)} nodes is too large for a closed form (bpcalc diff takes up to {MAX_NODES})",
            "bpcalc grad computes the gradient of any size",
        )


def _check_tree(size: int, what: str) -> None:
    limit = MAX_TREE if what == "the output" else MAX_DERIVATIVE_TREE
    if size > limit:
        raise InputError(
            f"{what} written out in closed form has {size:,} terms (bpcalc diff stops at {limit:,}): "
            "the expression swells where the graph shares values",
            "bpcalc grad computes the same gradient on the graph, in time linear in its size",
        )


def _wrt(graph: Graph, wrt: Iterable[str] | None) -> list[str]:
    if wrt is None:
        return [n for n in graph.variables if n not in CONSTANTS]
    names = []
    for name in wrt:
        if name not in graph.names:
            near = suggest(name, graph.names)
            raise InputError(
                f"--wrt {name}: the expression has no variable or named value '{name}'",
                f"did you mean '{near}'?" if near else "names: " + ", ".join(graph.names),
            )
        if name not in names:
            names.append(name)
    return names


# ---------------------------------------------------------------- printing


def text(expr: Any) -> str:
    """SymPy's text, which sympify reads back; Heaviside always with its value at 0 spelled out."""
    sp = load_sympy()
    return _printer(sp, "str").doprint(expr)


def latex(expr: Any) -> str:
    """LaTeX, the indicators as Iverson brackets: Heaviside(u, 0) is [u > 0]."""
    sp = load_sympy()
    return _printer(sp, "latex").doprint(expr)


_PRINTERS: dict[str, Any] = {}


def _printer(sp: Any, kind: str) -> Any:
    if kind in _PRINTERS:
        return _PRINTERS[kind]
    from sympy.printing.latex import LatexPrinter  # type: ignore[import-untyped]
    from sympy.printing.str import StrPrinter  # type: ignore[import-untyped]

    class Text(StrPrinter):
        def _print_Heaviside(self, expr):
            arg, at_zero = expr.args[0], expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
            return f"Heaviside({self._print(arg)}, {self._print(at_zero)})"

    class Latex(LatexPrinter):
        def _print_Heaviside(self, expr, exp=None):
            arg, at_zero = expr.args[0], expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
            inside = f"{self._print(arg)} > 0"
            tex = (
                rf"\left[{inside}\right]"
                if at_zero == 0
                else rf"H_{{{self._print(at_zero)}}}\left({self._print(arg)}\right)"
            )
            return f"{tex}^{{{exp}}}" if exp else tex

    _PRINTERS["str"], _PRINTERS["latex"] = Text(), Latex()
    return _PRINTERS[kind]


# ---------------------------------------------------------------- grad --symbolic


@dataclass
class ClosedForm:
    """One gradient's closed form and that form's value at the point."""

    name: str
    expr: Any
    value: float
    backprop: float


def closed_forms(result: Result) -> dict[str, ClosedForm]:
    """Each gradient of a grad result in closed form, evaluated at its point (30 digits, then float64).

    Raises SymbolicMismatch (exit 70) where a value disagrees with backprop's by
    more than 1e-12 relative, relative to the larger of the two and of the
    largest contribution summed into that gradient (a sum that cancels to
    about 0 keeps the rounding of its terms).
    """
    graph = result.graph
    if result.shapes is not None:
        raise InputError("--symbolic: closed forms are for expressions of numbers, not arrays")
    sp = load_sympy()
    names = list(result.gradient)
    given = set(result.at)
    symbolic = diff(graph, names, tie=result.tie, simplify=False, symbols=given)
    point = {sp.Symbol(name, real=True): sp.Float(value, 30) for name, value in result.at.items()}
    largest = _largest_contributions(result)
    forms = {}
    for name in names:
        expr = symbolic.derivatives[name].expr
        try:
            exact = expr.evalf(30, subs=point)
            value = float(exact)
        except (TypeError, ValueError, OverflowError):
            raise SymbolicMismatch(
                f"the closed form of ∂{result.output}/∂{name}, {text(expr)}, has no number at the point"
            ) from None
        backprop = result.gradient[name]
        scale = max(abs(value), abs(backprop), largest.get(graph.names[name], 0.0))
        if abs(value - backprop) > RTOL * scale:
            raise SymbolicMismatch(
                f"∂{result.output}/∂{name}: backprop gives {backprop!r} but its closed form {text(expr)} "
                f"gives {value!r} at the point; one of them is wrong",
                "this is a bug in bpcalc; please report it with the command you ran",
            )
        forms[name] = ClosedForm(name, expr, value, backprop)
    return forms


def _largest_contributions(result: Result) -> dict[int, float]:
    largest: dict[int, float] = {}
    for step in result.steps:
        size = abs(step.contribution)
        if size > largest.get(step.input, 0.0):
            largest[step.input] = size
    return largest


# ---------------------------------------------------------------- plain data for the renderers

DIFF_SCHEMA = "bpcalc.diff/1"


def to_dict(d: Diff) -> dict[str, Any]:
    """A Diff as plain data (strings, numbers): the JSON object, and what render/diff.py formats.

    "derivative" holds SymPy's text, which `sympy.sympify` reads back (with
    `locals={name: Symbol(name, real=True) for name in data["symbols"]}` for the
    very same symbols, and for names SymPy gives a meaning, such as E, I or gamma).
    """
    sp = load_sympy()
    output = d.graph.output_label
    data: dict[str, Any] = {
        "schema": DIFF_SCHEMA,
        "expression": d.graph.source,
        "output": output,
        "tie": d.tie,
        "function": text(d.function),
        "derivative": {name: text(v.expr) for name, v in d.derivatives.items()},
        "latex": {name: latex(v.expr) for name, v in d.derivatives.items()},
        "simplified": {name: v.simplified for name, v in d.derivatives.items()},
        "symbols": d.symbols,
        "tex_names": {name: sp.latex(sp.Symbol(name)) for name in [output, *d.derivatives]},
        "function_latex": latex(d.function),
        "definitions": {
            name: {"function": text(kept), "expr": text(e), "latex": latex(e), "function_latex": latex(kept)}
            for name, (kept, e) in d.definitions.items()
        },
        "notes": [f"∂{output}/∂{name}: {v.note}" for name, v in d.derivatives.items() if v.note],
        "indicators": d.indicators,
    }
    if any(v.size is not None for v in d.derivatives.values()):
        data["stats"] = {
            "nodes": d.nodes,
            "function": d.function_size,
            "derivative": {
                name: {
                    "raw": v.size.raw,
                    "simplified": v.size.simplified,
                    "cse": v.size.cse,
                    "cse_terms": v.size.cse_terms,
                }
                for name, v in d.derivatives.items()
                if v.size is not None
            },
        }
    return data
