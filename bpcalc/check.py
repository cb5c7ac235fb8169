"""Checking answers: read them, compare them with the engine's numbers, and name common mistakes.

Each diagnosis is one small change to the recorded reverse pass -- a fan-out
branch dropped, a product's two locals swapped, a negative local's sign
flipped, an upstream factor replaced by 1, another rule at a kink -- applied
to the engine's locals. The pass is linear in what it passes down, so each
change moves an answer's gradient by the change times a sensitivity computed
once per answer (_Pass.sensitivity); a diagnosis is shown only when the number
it gives matches the answer. Later answers are judged against what follows
from the student's own earlier answers, so an error carried down the graph is
named as such.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property, partial
from itertools import product
from typing import Any, cast

from .engine import backward, forward, tangents
from .errors import AnswerError, InputError, MathError, Notice, kink_notice, suggest
from .graph import CONST, VAR, Graph, Result
from .ops import CONSTANTS, INPUT_NAMES, OPERATIONS
from .parse import split_outside_brackets
from .text import clip

# Hand-computed answers carry 3 or 4 significant digits: 1 % relative
# accepts -0.2 for -0.2007 and 0.51 for 0.513, and rejects every mistake
# below (they change a number by a factor, a sign or a whole term). The
# absolute part lets 0 pass for a right value within 0.001 of it.
RTOL = 1e-2
ATOL = 1e-3
MAX_PLACES = 12
MAX_ANSWER_CHARS = 10_000  # one answer's text (a 30×30 matrix written out fits); longer is refused unread
DIAGNOSE_NODES = 400  # graphs up to this size get every diagnosis; larger ones only "a sign lost"
OUTPUT_ALIASES = ("",)  # d/dx: the output's name left out

VALUE = "value"
GRAD = "grad"


# ---------------------------------------------------------------- tolerance


@dataclass(frozen=True)
class Tolerance:
    """When a given number counts as right: |given − right| ≤ atol + rtol·|right|, or equal to `places` decimals."""

    rtol: float = RTOL
    atol: float = ATOL
    places: int | None = None

    def __post_init__(self):
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise InputError(f"--{name} must be a finite number ≥ 0, not {value!r}")
        if self.places is not None and not (isinstance(self.places, int) and 0 <= self.places <= MAX_PLACES):
            raise InputError(f"--places must be a whole number from 0 to {MAX_PLACES}, not {self.places!r}")

    def describe(self) -> str:
        if self.places is not None:
            return f"equal after rounding to {self.places} decimal place{'s' if self.places != 1 else ''}"
        return f"|given − right| ≤ {self.atol:g} + {self.rtol:g}·|right|"

    def as_dict(self) -> dict[str, Any]:
        if self.places is not None:
            return {"places": self.places}
        return {"rtol": self.rtol, "atol": self.atol}


def agrees(given: Any, right: Any, tolerance: Tolerance) -> bool:
    """Whether a given answer matches the right one: the single comparison every check goes through.

    Numbers compare directly; arrays element by element, and only when the shapes are equal.
    """
    if isinstance(given, (int, float)) and isinstance(right, (int, float)):
        return _close(float(given), float(right), tolerance)
    import numpy as np  # only for array answers

    g, r = np.asarray(given, dtype=float), np.asarray(right, dtype=float)
    if g.shape != r.shape:
        return False
    return all(_close(a, b, tolerance) for a, b in zip(g.ravel().tolist(), r.ravel().tolist()))


def rounded(value: float, places: int) -> float:
    """The number rounded to `places` decimals, half away from zero, from its shortest decimal form (2.675 -> 2.68)."""
    try:
        return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
    except InvalidOperation:  # more digits than Decimal's context holds: already coarser than the places
        return value


def _close(given: float, right: float, tolerance: Tolerance) -> bool:
    if not (math.isfinite(given) and math.isfinite(right)):
        return given == right
    if tolerance.places is None:
        return abs(given - right) <= tolerance.atol + tolerance.rtol * abs(right)
    # Right when the given number, rounded to N places, is a rounding of the right
    # value to N places: either neighbour at an exact half (0.12 and 0.13 for 0.125).
    half = 0.5 * 10.0 ** -tolerance.places
    return abs(rounded(given, tolerance.places) - right) <= half * (1 + 1e-9) + 4e-16 * abs(right)


# ---------------------------------------------------------------- what is asked


@dataclass(frozen=True)
class Ask:
    """One thing asked: the value of a name, or the gradient of the output with respect to a name."""

    kind: str  # VALUE or GRAD
    name: str
    node: int
    output: str  # the output's name, for labels

    @property
    def key(self) -> str:
        """The answer notation's form: q, df/dq."""
        return self.name if self.kind == VALUE else f"d{self.output}/d{self.name}"

    @property
    def label(self) -> str:
        """For people: q, ∂f/∂q."""
        return self.name if self.kind == VALUE else f"∂{self.output}/∂{self.name}"


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# Every pattern on answer text is linear: no two quantifiers over the same characters
# meet (`\s*(name)?\s*` would try every split of a run of spaces: quadratic).
_GRAD_KEY = re.compile(rf"[d∂]\s*(?:(?P<out>{_NAME})\s*)?/\s*[d∂]\s*(?P<name>{_NAME})")
_VALUE_KEY = re.compile(_NAME)
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)
_FRACTION_RE = re.compile(rf"({_NUMBER})\s*/\s*({_NUMBER})")
_DECIMAL_COMMA = re.compile(r"([+-]?[0-9]+),([0-9]+)")  # -4,0: a decimal comma, as many countries write it
_GRAD_TABLES = ("grad",)  # [grad] x = -4 in a file: ∂out/∂x
_METADATA = ("student", "id", "sis_id", "login", "email", "variant")  # who, not answers


def names(graph: Graph) -> dict[str, int]:
    """Every name an answer may use: variables, named intermediates, and the output's name."""
    found = dict(graph.names)
    found.setdefault(graph.output_label, graph.output)
    return found


# ---------------------------------------------------------------- nodes as the student wrote them

SHOWN_CHARS = 40  # an unnamed node's source text in a message, clipped in the middle beyond this


def has_name(graph: Graph, i: int) -> bool:
    """Whether node i has a name the student knows: a variable, a number, a named value or the output."""
    node = graph.nodes[i]
    return node.named or node.op in (VAR, CONST) or i == graph.output


def written(graph: Graph, i: int, limit: int = SHOWN_CHARS) -> str:
    """Node i as the student wrote it: its name, or for an unnamed value its source text
    (log(p), on one line, clipped): a generated label n1, n2 appears in no table they see."""
    if has_name(graph, i):
        return graph.nodes[i].label
    return source_text(graph, i, limit)


def source_text(graph: Graph, i: int, limit: int = SHOWN_CHARS) -> str:
    """Node i's source text on one line, clipped in the middle to `limit` characters."""
    node = graph.nodes[i]
    text = graph.text(i) if node.end - node.start <= 4 * limit else graph.text(i, 4 * limit)
    return clip(" ".join(text.split()), limit)


def written_ref(graph: Graph, i: int, limit: int = SHOWN_CHARS) -> str:
    """Node i inside a formula or after ∂: its name, or its source text in parentheses unless
    that is one call or bracket ((x+y) in ∂f/∂(x+y), log(p) in ∂f/∂log(p))."""
    text = written(graph, i, limit)
    if has_name(graph, i) or _one_term(text):
        return text
    return f"({text})"


def _one_term(text: str) -> bool:
    """Whether text is a name or number, or a call or bracket that closes at its last character."""
    if _VALUE_KEY.fullmatch(text) or _NUMBER_RE.fullmatch(text):
        return True
    head = _VALUE_KEY.match(text)
    k = head.end() if head else 0
    if k >= len(text) or text[k] not in "([":
        return False
    depth = 0
    for position in range(k, len(text)):  # one scan: where the first bracket closes
        char = text[position]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                return position == len(text) - 1
    return False


def resolve(key: str, graph: Graph, *, path: str | None = None) -> Ask:
    """An answer's left-hand side (q, df/dq, d/dq, ∂f/∂q) as an Ask on this graph."""
    text = clip(key.strip(), MAX_ANSWER_CHARS + 1)
    known = names(graph)
    output = graph.output_label
    match = _GRAD_KEY.fullmatch(text)
    if match:
        kind, name, out = GRAD, match["name"], match["out"] or ""
        if out not in OUTPUT_ALIASES and out != output:
            fixed = name if name in known else suggest(name, known)  # dL/dW for w: the hint says df/dw
            if fixed is None:  # the name is wrong too: its error, whose hint writes d{output}/d...
                raise _unknown(text, kind, name, graph, path)
            raise AnswerError(
                f"'{clip(text)}': the output is called '{output}', not '{clip(out)}'",
                f"write d{output}/d{fixed} (or d/d{fixed}) for the gradient of the output",
                path=path, item=text,
            )
    elif _VALUE_KEY.fullmatch(text):
        kind, name = VALUE, text
    else:
        raise AnswerError(
            f"'{clip(text)}' is neither a name (q) nor a gradient (d{output}/dq, d/dq)",
            path=path, item=text,
        )
    if name not in known:
        raise _unknown(text, kind, name, graph, path)
    return Ask(kind, name, known[name], output)


_GENERATED = re.compile(r"_*n[0-9]+")  # the labels parse gives unnamed values: n1, n2 (_n1 if the program has an n1)
_FRESH = ("u", "v", "h", "g", "s", "t", "a", "b", "c", "p", "q", "r")


def _unknown(text: str, kind: str, name: str, graph: Graph, path: str | None) -> AnswerError:
    """The error for an answer about a name the expression does not have; for a generated label
    (n1), which sub-expression it is and how to give it a name."""
    known = names(graph)
    output = graph.output_label
    node = None
    if _GENERATED.fullmatch(name):
        node = next((i for i, n in enumerate(graph.nodes) if n.label == name and not has_name(graph, i)), None)
    if node is not None:
        sub = written(graph, node)
        new = next((n for n in _FRESH if n not in known), None) or next(
            f"u{k}" for k in range(1, len(known) + 2) if f"u{k}" not in known
        )
        asked = new if kind == VALUE else f"d{output}/d{new}"
        change = _named_in_place(graph, node, new)
        how = (
            f"write '{change[1]}' in place of '{change[0]}'"
            if change
            else f"write '{new} = {sub}' as a statement before the one that uses it, and put {new} in its place"
        )
        return AnswerError(
            f"'{clip(text)}': {name} is not a name in the expression but bpcalc's label for the unnamed "
            f"sub-expression '{sub}', so it cannot be asked for",
            f"to ask for it, give it a name in the program: {how}, then answer {asked}",
            path=path, item=text,
        )
    near = suggest(name, known)
    if _GENERATED.fullmatch(name):
        explained = (
            " (labels such as n1, n2 are bpcalc's own for unnamed sub-expressions; "
            "name a value in the program to ask for it: q = x + y)"
        )
    else:
        explained = ""
    return AnswerError(
        f"'{clip(text)}': the expression has no variable or named value '{clip(name)}'{explained}",
        f"did you mean '{near}'?" if near else "names: " + ", ".join(known),
        path=path, item=text,
    )


def _named_in_place(graph: Graph, k: int, new: str, limit: int = 80) -> tuple[str, str] | None:
    """The statement that holds node k, and the same with k named `new` first ('u = log(p); L = -y*u');
    None when either would be longer than `limit` or span lines."""
    source, nodes = graph.source, graph.nodes
    node = nodes[k]
    # Statements' spans do not overlap: the one holding k is the assigned value or output whose span does.
    statement = next(
        (
            i
            for i in range(k + 1, len(nodes))
            if (nodes[i].named and nodes[i].op != VAR or i == graph.output)
            and nodes[i].start <= node.start and node.end <= nodes[i].end
        ),
        None,
    )
    if statement is None:
        return None
    top = nodes[statement]
    begin = max(source.rfind(";", 0, top.start), source.rfind("\n", 0, top.start)) + 1
    start, end = node.start, node.end
    while start > begin and end < top.end and source[start - 1] == "(" and source[end] == ")":
        start, end = start - 1, end + 1  # (x+y)*z becomes u*z: a name needs no brackets
    before, after = source[begin:start], source[end:top.end]
    old = source[begin:top.end].strip()
    changed = f"{new} = {source[node.start:node.end]}; " + (before + new + after).strip()
    if len(changed) > limit or "\n" in changed or "#" in changed:
        return None
    return old, changed


def answer_value(value: Any, *, item: str, path: str | None = None) -> Any:
    """A given answer as a number: a number, or text such as -0.25, 1e-3, -1/3 (a list, later, an array)."""
    if isinstance(value, bool):
        raise AnswerError(f"the answer for {item}, {value!r}, is not a number", path=path, item=item)
    if isinstance(value, str) and len(value) > MAX_ANSWER_CHARS:
        raise AnswerError(
            f"the answer for {item} is {len(value):,} characters long: "
            f"bpcalc reads answers of up to {MAX_ANSWER_CHARS:,}",
            path=path, item=item,
        )
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float64
            raise AnswerError(f"the answer for {item} is too large for float64", path=path, item=item) from None
    elif isinstance(value, str):
        text = value.strip().replace("−", "-")  # a minus sign pasted from a PDF
        fraction = _FRACTION_RE.fullmatch(text)
        if text.startswith("["):  # a vector or matrix written as a list: [-1, -2], [[1, 0], [0, 1]]
            import json

            try:
                return answer_value(json.loads(text), item=item, path=path)
            except (ValueError, RecursionError):
                raise AnswerError(
                    f"the answer for {item}, '{clip(value)}', is not a list of numbers", path=path, item=item
                ) from None
        if _NUMBER_RE.fullmatch(text):
            number = float(text)
        elif fraction and float(fraction[2]) != 0:
            number = float(fraction[1]) / float(fraction[2])
        else:
            comma = _DECIMAL_COMMA.fullmatch(text)
            raise AnswerError(
                f"the answer for {item}, '{clip(value)}', is not a number",
                f"write {comma[1]}.{comma[2]}, with a decimal point, not a comma" if comma
                else "numbers look like 3, -0.5, .5, 1e-3 or -1/3",
                path=path,
                item=item,
            )
    elif isinstance(value, (list, tuple)):
        if _holds_bool(value):
            raise AnswerError(f"the answer for {item} holds true or false, not numbers", path=path, item=item)
        try:
            import numpy as np

            array = np.asarray(value, dtype=float)
        except (ImportError, ValueError, TypeError, OverflowError, RecursionError):
            raise AnswerError(
                f"the answer for {item} is a list but not a list of numbers", path=path, item=item
            ) from None
        if not np.isfinite(array).all():
            raise AnswerError(f"the answer for {item} holds a number that is not finite", path=path, item=item)
        return array
    else:
        raise AnswerError(f"the answer for {item}, {clip(repr(value))}, is not a number", path=path, item=item)
    if not math.isfinite(number):
        raise AnswerError(f"the answer for {item}, {value}, is not a finite number", path=path, item=item)
    return number


def _holds_bool(value: list | tuple) -> bool:
    """Whether nested lists hold a boolean anywhere (NumPy would take true as 1); a stack, not recursion."""
    stack: list = [value]
    while stack:
        for item in stack.pop():
            if isinstance(item, bool):
                return True
            if isinstance(item, (list, tuple)):
                stack.append(item)
    return False


@dataclass(frozen=True)
class Unreadable:
    """An answer that is not a number (-4,0 or abc): graded as wrong, with the reason, rather than
    sinking the other answers."""

    text: str  # what was given, as text and shortened
    reason: str  # what could not be read, and how to write it


def read_answer(value: Any, *, item: str, path: str | None = None) -> Any:
    """A given answer as answer_value reads it, or an Unreadable that says why it is not a number."""
    try:
        return answer_value(value, item=item, path=path)
    except AnswerError as exc:
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = clip(value.strip() if isinstance(value, str) else repr(value))
        return Unreadable(text, f"{exc.reason}: {exc.hint}" if exc.hint else exc.reason)


def answer_items(answers: Any, *, path: str | None = None) -> list[tuple[str, Any]]:
    """(key, value) pairs from the notation ("q=3, df/dq=-4"), a mapping (a file), or a list of either.

    In a mapping, a table `grad` holds gradients by name ({"grad": {"x": -4}} is df/dx = -4),
    and a text `student` is the student's name, not an answer.
    """
    if answers is None:
        return []
    if isinstance(answers, str):
        items: list[tuple[str, Any]] = []
        for part in split_outside_brackets(answers, ",;\n"):  # df/dw=[-1, -2] is one item
            part = part.strip()
            if not part:
                continue
            key, eq, value = part.partition("=")
            if not eq and items and part[:1].isdigit():  # df/dx=-4,0: a decimal comma split the number
                items[-1] = (items[-1][0], f"{items[-1][1]},{part}")
                continue
            if not eq or not key.strip() or not value.strip():
                raise AnswerError(
                    f"'{part}' is not of the form name=number",
                    'write e.g. --expect "q=3, f=-12, df/dq=-4, df/dx=-4"',
                    path=path,
                    item=part,
                )
            items.append((key.strip(), value.strip()))
        return items
    if isinstance(answers, Mapping):
        items = []
        for key, value in answers.items():
            key = str(key)
            if key in _METADATA and isinstance(value, str):
                continue
            if key in _GRAD_TABLES and isinstance(value, Mapping):
                items.extend((f"d/d{name}", v) for name, v in value.items())
            elif isinstance(value, Mapping):
                raise AnswerError(
                    f"'{key}' is a table of answers, as for a problem of an assignment",
                    "check it with --assignment FILE, or give the answers as name = number",
                    path=path,
                    item=key,
                )
            else:
                items.append((key, value))
        return items
    items = []
    if not isinstance(answers, (list, tuple)):
        raise AnswerError(
            f'answers are text such as "q=3, df/dq=-4", a mapping or a list of them, not {clip(repr(answers))}',
            path=path,
        )
    for part in answers:
        items.extend(answer_items(part, path=path))
    return items


def resolve_answers(items: Iterable[tuple[str, Any]], graph: Graph, *, path: str | None = None) -> dict[Ask, Any]:
    """Answers by what they answer; an unknown name or an answer given twice is an error."""
    given: dict[Ask, Any] = {}
    written: dict[Ask, str] = {}
    for key, value in items:
        ask = resolve(key, graph, path=path)
        if ask in given:
            raise AnswerError(f"{ask.label} is answered twice ('{written[ask]}' and '{key}')", path=path, item=key)
        given[ask] = read_answer(value, item=key, path=path)
        written[ask] = key
    return given


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class Diagnosis:
    """A common mistake whose number matches a wrong answer."""

    kind: str  # carried, fanout, swap, upstream, sign, kink; shape for an array of another shape;
    # unreadable for an answer that is not a number
    message: str
    value: Any  # the number the mistake gives (None for an unreadable answer)
    node: int | None = None  # the node where the mistake was made, when it is one node (its id in grad --json)
    text: str | None = None  # that node as the student wrote it: its name, or its source text


KINDS = ("carried", "fanout", "swap", "upstream", "sign", "kink", "shape", "unreadable")


@dataclass
class Row:
    """One asked item: the given number against the right one."""

    ask: Ask
    given: Any  # None when not answered
    right: Any
    verdict: str  # "right", "wrong" or "missing"
    root: bool = False  # a likely root: later wrong answers follow from this one (see `explains`)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    explains: list[Ask] = field(default_factory=list)  # for a root: the later wrong answers that follow from it

    @property
    def ok(self) -> bool:
        return self.verdict == "right"


@dataclass
class Check:
    """All rows for one expression, in backprop order, with what they were checked against."""

    result: Result
    rows: list[Row]
    tolerance: Tolerance
    notes: list[str] = field(default_factory=list)  # answers not checked, and why

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def count(self, verdict: str) -> int:
        return sum(row.verdict == verdict for row in self.rows)

    @property
    def root(self) -> Row | None:
        """The first likely root, if any."""
        return next((row for row in self.rows if row.root), None)

    @property
    def roots(self) -> list[Row]:
        """Every wrong answer that later wrong answers follow from, in backprop order."""
        return [row for row in self.rows if row.root]

    @cached_property
    def warnings(self) -> list[Notice]:
        """The run's warnings as check shows them: kinks name unnamed nodes as the student wrote them."""
        return named_warnings(self.result)


def named_warnings(result: Result) -> list[Notice]:
    """The result's warnings, each kink at or next to an unnamed node said again with that node's
    source text (max(a, b) is at a kink …; ∂max(a, b)/∂a …) where the engine says n3."""
    graph = result.graph
    found = []
    for notice in result.warnings:
        i = notice.node
        op = OPERATIONS.get(graph.nodes[i].op) if notice.kind == "kink" and i is not None else None
        if op is None or i is None or all(has_name(graph, k) for k in (i, *graph.nodes[i].inputs)):
            found.append(notice)
            continue
        args = [result.values[j] for j in graph.nodes[i].inputs]
        count, size = 1, 1
        if any(getattr(a, "ndim", 0) for a in args):
            from .arrays import kink_count  # NumPy: the values are arrays already

            count, size = kink_count(op, args)
        split = result.tie == "split" and op.tie_split is not None
        head = None if has_name(graph, i) else written(graph, i)
        ref = partial(written_ref, graph)
        found.append(kink_notice(graph, i, op, result.values, split, count, size, head=head, ref=ref))
    return found


def order(asks: Iterable[Ask]) -> list[Ask]:
    """Backprop order: values in the forward pass's order, then gradients from the output back."""
    return sorted(asks, key=lambda a: (0, a.node) if a.kind == VALUE else (1, -a.node))


def right_answer(result: Result, ask: Ask) -> Any:
    """The engine's number for an asked item."""
    if ask.kind == VALUE:
        return result.values[ask.node]
    if ask.node == result.graph.output:
        return 1.0
    grad = result.grads[ask.node]
    return 0.0 if grad is None else grad + (grad - grad)  # turns -0.0 into 0.0, and keeps an exact fraction exact


_NO_POINT: Mapping[str, Any] = {}


def wrt_for(graph: Graph, asks: Iterable[Ask], point: Mapping[str, Any] = _NO_POINT) -> list[str]:
    """The --wrt the engine needs so every asked gradient is computed (named values included).

    pi and e are constants, with no gradient, unless the point gives them a value.
    """
    def differentiable(name: str) -> bool:
        return name not in CONSTANTS or name in point

    wanted = [name for name in graph.variables if differentiable(name)]
    for ask in asks:
        if ask.kind == GRAD and ask.name in graph.names and ask.name not in wanted and differentiable(ask.name):
            wanted.append(ask.name)
    return wanted


def evaluate(graph: Graph, point: Mapping[str, Any], asks: Iterable[Ask], tie: str = "indicator") -> Result:
    """The pass that checking needs: every gradient (the diagnoses compare with them all), or, when one
    that was not asked is undefined (x^n at x = -2: ∂f/∂n needs log(-2)), only the asked ones (none
    when only values are asked)."""
    from .engine import run

    asks = list(asks)
    for ask in asks:
        if ask.kind == GRAD and ask.name in CONSTANTS and ask.name not in point:  # as grad --wrt pi says
            raise AnswerError(
                f"'{ask.label}': {ask.name} is the constant {CONSTANTS[ask.name]!r}, and a constant has no gradient",
                f"to differentiate by it, give it a value: --at {ask.name}={CONSTANTS[ask.name]!r}",
                item=ask.label,
            )
    wrt = wrt_for(graph, asks, point)
    try:
        return run(graph, point, wrt=wrt, tie=tie)
    except MathError:
        asked = [name for name in wrt if any(a.kind == GRAD and a.name == name for a in asks)]
        if not any(a.kind == GRAD for a in asks):  # values only: the output's own gradient is the one needed
            asked = [graph.output_label]
        if asked == wrt:  # nothing narrower to try
            raise
        return run(graph, point, wrt=asked, tie=tie)


def compare(result: Result, asks: Iterable[Ask], given: Mapping[Ask, Any], tolerance: Tolerance) -> list[Row]:
    """A row per asked item in backprop order; wrong ones carry the diagnoses their numbers match."""
    rows = []
    for ask in order(asks):
        right = right_answer(result, ask)
        if ask not in given:
            rows.append(Row(ask, None, right, "missing"))
        elif isinstance(given[ask], Unreadable):  # wrong, and the reason is its diagnosis
            rows.append(Row(ask, given[ask].text, right, "wrong", diagnoses=[unreadable(given[ask])]))
        else:
            rows.append(Row(ask, given[ask], right, "right" if agrees(given[ask], right, tolerance) else "wrong"))
    if any(row.verdict == "wrong" for row in rows):
        _diagnose(result, rows, tolerance)
    return rows


def unreadable(answer: Unreadable) -> Diagnosis:
    """The diagnosis of an answer that is not a number: what could not be read, and how to write it."""
    return Diagnosis("unreadable", answer.reason, None)


def is_unreadable(row: Row) -> bool:
    """Whether a row's answer could not be read as a number (its given is the text)."""
    return any(d.kind == "unreadable" for d in row.diagnoses)


def check(
    expr: str | Graph,
    at: Any = None,
    answers: Any = None,
    *,
    tolerance: Tolerance | None = None,
    tie: str = "indicator",
) -> Check:
    """Check answers to one expression at a point: the library call behind `bpcalc check EXPR`.

    `answers` is the notation ("q=3, df/dq=-4"), a mapping such as a parsed answer file, or a list of them.
    """
    from .parse import parse, parse_point

    graph = parse(expr) if isinstance(expr, str) else expr
    point = parse_point(at)
    given = resolve_answers(answer_items(answers), graph)
    if not given:
        raise AnswerError(
            "no answers to check",
            'give them with --expect, e.g. --expect "f=-12, df/dx=-4", or --answers FILE',
        )
    result = evaluate(graph, point, given, tie)
    tolerance = tolerance or Tolerance()
    return Check(result, compare(result, given, given, tolerance), tolerance)


# ---------------------------------------------------------------- diagnoses


def _num(value: float) -> str:
    return "0" if value == 0 else format(value, ".6g")


class _Pass:
    """The recorded reverse pass, replayable with some locals or gradients changed."""

    def __init__(self, result: Result):
        self.result = result
        self.graph = result.graph
        self.nodes = result.graph.nodes
        self.rows = result.local
        # incoming[m]: the steps (node, position) that pass a contribution down to m
        self.incoming: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
        for i in range(len(self.nodes) - 1, -1, -1):
            row = self.rows[i]
            if row is not None:
                for p, (j, local) in enumerate(zip(self.nodes[i].inputs, row)):
                    if local is not None:
                        self.incoming[j].append((i, p))
        self.kinks = sorted({w.node for w in result.warnings if w.kind == "kink" and w.node is not None})

    def replay(
        self, local: Mapping[tuple[int, int], float] = {}, grad: Mapping[int, float] = {}
    ) -> tuple[list[float], list[float]]:
        """The reverse pass again from the recorded locals, with `local` changed. A node in `grad`
        passes that number down instead of its sum. Returns each node's sum and what it passed down."""
        done = backward(
            self.graph, self.result.values, [], replay=(self.rows, None), changed=local, upstream=grad
        )
        return done.grads, [0.0 if up is None else up for up in done.upstreams]

    def sensitivity(
        self, j: int, local: Mapping[tuple[int, int], float], fixed: Iterable[int]
    ) -> tuple[list[float], list[float]]:
        """How much j's summed gradient moves per unit change of each node's sum (`into`) and of
        what each node passes down (`out`): the products of the locals along the paths down to j,
        forward-mode tangents seeded at j.

        The reverse pass is linear in the gradients it passes, so a changed local, a dropped
        branch or a forgotten upstream factor moves j's gradient by exactly
        (change passed down) × out, or (change of a sum) × into. A node in `fixed` passes a
        number of its own (the student's answer), so a change of its sum goes no further.
        """
        return tangents(self.graph, self.rows, {j: 1.0}, changed=local, cut=fixed)

    def above(self, j: int) -> list[int]:
        """The nodes whose gradient flows into j's, in topological order (j's consumers, theirs, ...)."""
        seen = {j}
        stack = [j]
        while stack:
            m = stack.pop()
            for i, _ in self.incoming[m]:
                if i not in seen:
                    seen.add(i)
                    stack.append(i)
        seen.discard(j)
        return sorted(seen)

    def node(self, i: int) -> str:
        """A node for messages: a named operation with its text (q = x + y), else as written (x, log(p))."""
        node = self.nodes[i]
        if node.op in (VAR, CONST) or not has_name(self.graph, i):
            return written(self.graph, i)
        return f"{node.label} = {source_text(self.graph, i)}"

    def name(self, i: int) -> str:
        """A node as the student wrote it (its name, or its source text)."""
        return written(self.graph, i)

    def ref(self, i: int) -> str:
        """A node inside a formula or after ∂ (its name, or its source text in parentheses)."""
        return written_ref(self.graph, i)

    def partial(self, i: int, j: int) -> str:
        """∂i/∂j, the nodes as the student wrote them."""
        return f"∂{self.ref(i)}/∂{self.ref(j)}"

    def uses(self, m: int) -> str:
        """Where a fanned-out node is used: 'in f and twice in n1 = x*x'."""
        counts: dict[int, int] = {}
        for i, _ in reversed(self.incoming[m]):
            counts[i] = counts.get(i, 0) + 1
        words = {2: "twice", 3: "three times"}
        parts = [(f"{words.get(c, f'{c} times')} in " if c > 1 else "in ") + self.node(i) for i, c in counts.items()]
        if len(parts) > 6:
            parts = parts[:5] + [f"{len(parts) - 5} more nodes"]
        return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]

    def branch(self, i: int, p: int) -> str:
        """One consumer of an input, naming the argument when the input is used twice there."""
        inputs = self.nodes[i].inputs
        if inputs.count(inputs[p]) > 1:
            return f"{self.name(i)} (as its argument {INPUT_NAMES[p]})"
        return self.name(i)


def _diagnose(result: Result, rows: list[Row], tolerance: Tolerance) -> None:
    """Fill in each wrong row's diagnoses and mark the likely root."""
    # With arrays the locals are not all recorded numbers: compare, but search no mistakes.
    # Each search replays the reverse pass, so beyond DIAGNOSE_NODES it is skipped: checking
    # stays linear in the number of answers (a lost sign is still recognised).
    replayable = (
        getattr(result, "shapes", None) is None
        and all(isinstance(v, float) for v in result.values)
        and len(result.graph.nodes) <= DIAGNOSE_NODES
    )
    bp = _Pass(result) if replayable else None
    wrong_grads: dict[int, float] = {}  # the student's wrong gradients, by node
    known: dict[int, float] = {}  # the values answered as the student used them: their number if wrong, else right
    world_local: dict[tuple[int, int], float] = {}
    earlier: list[Row] = []
    for row in rows:
        wrong = row.verdict == "wrong" and not is_unreadable(row)  # an unreadable answer has its diagnosis already
        if row.ask.kind == VALUE:
            if wrong:
                row.diagnoses = _value_diagnoses(bp, row, tolerance, known, earlier)
            if isinstance(row.given, float) and row.verdict != "missing" and row.ask.node not in known:
                known[row.ask.node] = row.given if wrong else row.right
                if bp is not None and any(r.ask.kind == VALUE for r in earlier + [row] * wrong):
                    world_local = _world_locals(bp, known)  # (no wrong value yet: every local is the engine's)
        elif wrong and bp is not None and isinstance(row.given, float):
            row.diagnoses = diagnoses(Context(bp, row, tolerance, world_local, wrong_grads, earlier, known))
            wrong_grads.setdefault(row.ask.node, row.given)
        elif wrong:
            row.diagnoses = _sign(row.given, row.right, tolerance)
        if wrong:
            earlier.append(row)
    if bp is not None:
        _mark_roots(bp, rows, tolerance, known, wrong_grads)


def _wrong_values(rows: Iterable[Row]) -> list[int]:
    """The nodes of the wrong values among these rows."""
    return [row.ask.node for row in rows if row.ask.kind == VALUE and row.verdict == "wrong"]


def _value_diagnoses(
    bp: _Pass | None, row: Row, tolerance: Tolerance, known: Mapping[int, float], earlier: list[Row]
) -> list[Diagnosis]:
    """A wrong value: carried when it is what the student's own earlier values give (the forward
    pass again with their numbers, through the nodes they did not answer), else a sign lost."""
    j = row.ask.node
    if bp is not None and isinstance(row.given, float):
        others = {i: v for i, v in known.items() if i != j}
        expected = _student_values(bp, others)[j]
        if agrees(row.given, expected, tolerance) and not agrees(expected, row.right, tolerance):
            sources = _sources(bp.nodes, [j], others)
            return [_carried([r for r in earlier if r.ask.kind == VALUE and r.ask.node in sources], expected)]
    return _sign(row.given, row.right, tolerance)


def _carried(causes: list[Row], expected: float) -> Diagnosis:
    """The diagnosis of a number that follows from the student's earlier answers `causes`."""
    shown = " and ".join(f"{r.ask.label} = {_num(r.given)}" for r in causes) or "earlier answers"
    yours = "your answer" if len(causes) == 1 else "your answers"
    return Diagnosis("carried", f"follows from {yours} {shown}: this step itself is right", expected)


def _sources(nodes: list, starts: Iterable[int], known: Mapping[int, Any]) -> set[int]:
    """The answered nodes that the values at `starts` are made from, through nodes not answered
    (a start that is answered is its own source); a stack, not recursion."""
    found: set[int] = set()
    seen: set[int] = set()
    stack = list(starts)
    while stack:
        k = stack.pop()
        if k in seen:
            continue
        seen.add(k)
        if k in known:
            found.add(k)
        else:
            stack.extend(nodes[k].inputs)
    return found


def _student_values(bp: _Pass, fixed: Mapping[int, float]) -> list[float]:
    """Every node's value as the student's own numbers make it: the engine's forward pass again,
    on a copy of the graph in which each answered node is a leaf holding their number. A value
    their numbers leave undefined (the log of their negative value) is nan, as is all made from it."""
    graph = bp.graph
    values = list(bp.result.values)
    nodes = list(graph.nodes)
    for i, value in fixed.items():
        nodes[i] = replace(nodes[i], op=CONST, inputs=(), literal=value)
        values[i] = value
    if not fixed:
        return values
    while True:  # each failure makes the failing node and all made from it leaves: it ends
        try:
            forward(replace(graph, nodes=nodes), values, [False] * len(nodes))
            return values
        except MathError as exc:
            bad = {exc.node}
            for i in range(exc.node, len(nodes)):
                if i in bad or any(j in bad for j in nodes[i].inputs):
                    bad.add(i)
                    nodes[i] = replace(nodes[i], op=CONST, inputs=(), literal=math.nan)
                    values[i] = math.nan


def _mark_roots(
    bp: _Pass,
    rows: list[Row],
    tolerance: Tolerance,
    known: Mapping[int, float],
    wrong_grads: Mapping[int, float],
) -> None:
    """Mark the wrong answers that later wrong answers follow from, through the graph.

    The followers are the errors carried down (their numbers are what the student's own
    earlier answers give), values and gradients alike. Both passes are replayed with the other
    answers only, the followers' numbers left to follow: a follower follows from r when it is
    what that replay gives, and no longer is once r's wrong number is taken out. A mistake with
    a diagnosis of its own that no later answer needs is no root; without followers there is none.
    """
    followers = [row for row in rows if any(d.kind == "carried" for d in row.diagnoses)]
    if not followers:
        return
    values = {i: v for i, v in known.items() if i not in _wrong_values(followers)}
    carried = {row.ask.node for row in followers if row.ask.kind == GRAD}
    grads = {i: g for i, g in wrong_grads.items() if i not in carried}

    def world(values: Mapping[int, float], grads: Mapping[int, float]) -> dict[str, list[float]]:
        """Each node's value and gradient as these answers of the student's make them."""
        return {VALUE: _student_values(bp, values), GRAD: bp.replay(_world_locals(bp, values), grads)[0]}

    def follows(s: Row, made: dict[str, list[float]]) -> bool:
        return agrees(s.given, made[s.ask.kind][s.ask.node], tolerance)

    everything = world(values, grads)
    followers = [s for s in followers if follows(s, everything)]
    position = {id(row): k for k, row in enumerate(rows)}
    for r in rows:
        node = r.ask.node
        if r.verdict != "wrong":
            continue
        if r.ask.kind == VALUE and values.get(node) is r.given:
            without = world({i: v for i, v in values.items() if i != node}, grads)
        elif r.ask.kind == GRAD and grads.get(node) is r.given:
            without = world(values, {i: g for i, g in grads.items() if i != node})
        else:
            continue  # a follower, or a second answer for a node (the first one is carried)
        r.explains = [s.ask for s in followers if position[id(s)] > position[id(r)] and not follows(s, without)]
        r.root = bool(r.explains)


def _sign(given: Any, expected: Any, tolerance: Tolerance) -> list[Diagnosis]:
    """The right number's opposite (numbers or arrays alike); or, for arrays, a shape that differs."""
    given_shape, shape = getattr(given, "shape", ()), getattr(expected, "shape", ())
    if given_shape != shape:
        return [Diagnosis("shape", f"the answer is {_shape(given_shape)}, the right one {_shape(shape)}", expected)]
    if agrees(-expected, expected, tolerance) or not agrees(given, -expected, tolerance):
        return []
    return [Diagnosis("sign", "a sign lost: the size is right, the sign is not", -expected)]


def _shape(shape: tuple) -> str:
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    article = "an" if str(shape[0])[0] == "8" else "a"
    return f"{article} {'×'.join(map(str, shape))} {'matrix' if len(shape) == 2 else 'array'}"


def _world_locals(bp: _Pass, known: Mapping[int, float]) -> dict[tuple[int, int], float]:
    """Locals as the student's own values make them (∂(a·b)/∂a with their b), their numbers
    carried forward through the nodes they did not answer (sin(q*z)'s local with their q)."""
    result, nodes = bp.result, bp.nodes
    world = _student_values(bp, known)
    changed: dict[tuple[int, int], float] = {}
    for i, row in enumerate(bp.rows):
        if row is None:
            continue
        node = nodes[i]
        if all(world[k] == result.values[k] for k in (i, *node.inputs)):
            continue  # the student's numbers are the right ones here (nan, undefined, differs from all)
        op = OPERATIONS.get(node.op)
        out, args = world[i], [world[j] for j in node.inputs]
        if op is None or math.isnan(out) or any(math.isnan(a) for a in args):
            continue  # undefined in the student's world: the recorded local stays
        for p, local in enumerate(row):
            if local is None:
                continue
            try:
                value = op.local[p](out, *args)
            except (ArithmeticError, ValueError):
                continue
            if value != local:
                changed[(i, p)] = value
    return changed


@dataclass
class Context:
    """What every diagnosis reads: one wrong gradient and the reverse pass as the student's
    earlier wrong answers make it (their gradients passed down, their values in the locals).

    Every candidate mistake is one change to that pass and moves j's gradient by the change
    times a sensitivity (see _Pass.sensitivity): `moved` gives the number it would give.
    """

    bp: _Pass
    row: Row
    tolerance: Tolerance
    world_local: Mapping[tuple[int, int], float]  # the locals with the student's wrong values put in
    wrong_grads: Mapping[int, float]  # the student's wrong gradients, by node
    earlier: list[Row]
    known: Mapping[int, float] = field(default_factory=dict)  # the values answered, as the student used them
    expected: float = 0.0  # j's gradient in the student's world: what this step should have given
    passed: list[float] = field(default_factory=list)  # what each node passed down (its upstream)
    into: list[float] = field(default_factory=list)  # how far j's gradient moves per unit of a node's sum
    out: list[float] = field(default_factory=list)  # ... per unit of what a node passes down
    scope: list[int] = field(default_factory=list)  # the nodes whose gradient flows into j's
    steps: list[tuple[int, int]] = field(default_factory=list)  # the steps (node, position) on the way to j
    step_nodes: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        bp, j = self.bp, self.row.ask.node
        received, self.passed = bp.replay(self.world_local, self.wrong_grads)
        self.expected = received[j]
        self.into, self.out = bp.sensitivity(j, self.world_local, self.wrong_grads)
        self.scope = bp.above(j)
        self.steps = [s for m in sorted({*self.scope, j}) for s in bp.incoming[m]]
        self.step_nodes = {i for i, _ in self.steps}

    def local(self, i: int, p: int) -> float:
        """The local of step (i, p) in the student's world; asked only of recorded steps."""
        recorded = cast(tuple, self.bp.rows[i])[p]
        return self.world_local.get((i, p), recorded)

    def moved(self, changes: Iterable[tuple[int, int, float]]) -> float:
        """j's gradient with some locals changed, (node, position, new local), all at one level."""
        nodes, passed, into = self.bp.nodes, self.passed, self.into
        moves = (passed[i] * (new - self.local(i, p)) * into[nodes[i].inputs[p]] for i, p, new in changes)
        return self.expected + sum(moves)

    def matches(self, value: float) -> bool:
        """The student's answer is this mistake's number, and the mistake changes something."""
        return agrees(self.row.given, value, self.tolerance) and not agrees(value, self.expected, self.tolerance)


def carried(c: Context) -> Diagnosis | None:
    """An error carried down from the student's earlier answers: this step itself is right."""
    row, nodes = c.row, c.bp.nodes
    if agrees(c.expected, row.right, c.tolerance) or not agrees(row.given, c.expected, c.tolerance):
        return None
    relevant = {*c.scope, row.ask.node}
    # the values that changed a local on the way, through the nodes the student did not answer
    world = _student_values(c.bp, c.known)
    made_from = [k for i, p in c.steps if (i, p) in c.world_local for k in _moving(c.bp, i, p, world)]
    sources = _sources(nodes, made_from, c.known)
    causes = [
        r
        for r in c.earlier
        if (r.ask.kind == GRAD and r.ask.node in relevant) or (r.ask.kind == VALUE and r.ask.node in sources)
    ]
    return _carried(causes, c.expected)


def _moving(bp: _Pass, i: int, p: int, world: list[float]) -> list[int]:
    """The nodes among i and its inputs whose value in the student's world moves the local (i, p):
    put back to the right value one at a time, the local is the recorded one again."""
    node, values = bp.nodes[i], bp.result.values
    op = OPERATIONS[node.op]
    here = [i, *node.inputs]
    changed = [(m, k) for m, k in enumerate(here) if world[k] != values[k]]
    found = []
    for m, k in changed:
        numbers = [values[n] if q == m else world[n] for q, n in enumerate(here)]
        try:
            back = op.local[p](*numbers) == cast(tuple, bp.rows[i])[p]
        except (ArithmeticError, ValueError):
            back = True  # cannot tell: counted
        if back:
            found.append(k)
    return found or [k for _, k in changed]  # none alone: all of them together


def fanout(c: Context) -> Diagnosis | None:
    """A fan-out sum left out: only one branch (or all branches but one) of a value used several times."""
    bp, row = c.bp, c.row
    j = row.ask.node
    for m in [j] + c.scope[::-1]:
        branches = bp.incoming[m]
        if len(branches) < 2 or c.into[m] == 0.0:
            continue
        terms = [c.passed[i] * c.local(i, p) for i, p in branches]
        total = sum(terms)
        for (i, p), term in zip(branches, terms):
            only = c.expected - c.into[m] * (total - term)
            left_out = c.expected - c.into[m] * term
            for value, text in ((only, "takes only"), (left_out, "leaves out")):
                if text == "leaves out" and len(branches) == 2:
                    continue  # with two branches, leaving one out is taking the other only
                if c.matches(value):
                    where = (
                        row.ask.label if m == j else f"∂{row.ask.output}/∂{bp.ref(m)}, on the way to {row.ask.label},"
                    )
                    shown = list(reversed(terms))
                    summed = " + ".join(_num(t) for t in shown[:6]).replace("+ -", "- ") + (
                        " + …" if len(shown) > 6 else ""
                    )
                    count = "both branches" if len(branches) == 2 else f"all {len(branches)} branches"
                    return Diagnosis(
                        "fanout",
                        f"a fan-out sum left out: {where} {text} the branch through {bp.branch(i, p)}; "
                        f"{bp.name(m)} is used {bp.uses(m)}, and its gradient adds {count}: {summed} = {_num(total)}",
                        value,
                        m,
                    )
    return None


def swap(c: Context) -> Diagnosis | None:
    """The two local derivatives of a product swapped: ∂(a·b)/∂a taken as a instead of b."""
    bp, nodes, values = c.bp, c.bp.nodes, c.bp.result.values
    for i in sorted(c.step_nodes, reverse=True):
        node = nodes[i]
        if not OPERATIONS[node.op].factors or bp.rows[i] is None:
            continue
        a, b = node.inputs
        va, vb = values[a], values[b]
        if va == vb:
            continue
        value = c.moved((i, p, values[node.inputs[p]]) for p, loc in enumerate(bp.rows[i] or ()) if loc is not None)
        if c.matches(value):
            return Diagnosis(
                "swap",
                f"the two local derivatives of the product {bp.node(i)} swapped: "
                f"{bp.partial(i, a)} is {bp.name(b)} = {_num(vb)} and {bp.partial(i, b)} is {bp.name(a)} = {_num(va)}, "
                "not the other way round",
                value,
                i,
            )
    return None


def upstream(c: Context) -> Diagnosis | None:
    """The upstream factor forgotten: the local derivative alone, or the chain restarted at a node."""
    bp, row, nodes = c.bp, c.row, c.bp.nodes
    j = row.ask.node
    for m in c.scope:
        if m == len(nodes) - 1 or c.passed[m] in (0.0, 1.0):
            continue  # nothing to forget; a zero upstream is a local 0 ignored further up (see kinks)
        value = c.expected + (1.0 - c.passed[m]) * c.out[m]
        if c.matches(value):
            direct = [p for i, p in bp.incoming[j] if i == m]
            if direct and len(bp.incoming[j]) == 1:
                text = f"the local derivative {bp.partial(m, j)} = {_num(c.local(m, direct[0]))} alone"
            else:
                text = f"the chain restarted at {bp.node(m)}"
            return Diagnosis(
                "upstream",
                f"the upstream factor forgotten: {text}; "
                f"multiply by the upstream ∂{row.ask.output}/∂{bp.ref(m)} = {_num(c.passed[m])}",
                value,
                m,
            )
    return None


def sign(c: Context) -> Diagnosis | None:
    """A sign lost: a negative local derivative (a minus, a subtraction) taken as positive.

    On a chain every such flip gives the same number: then all of them are named.
    """
    nodes = c.bp.nodes
    flips = []
    for i, p in sorted(c.steps, key=lambda s: (not OPERATIONS[nodes[s[0]].op].minus, -s[0], s[1])):
        loc = c.local(i, p)
        if not loc < 0:
            continue
        value = c.moved([(i, p, -loc)])
        if c.matches(value):
            node = nodes[i]
            formula = OPERATIONS[node.op].show(p, [c.bp.ref(k) for k in node.inputs])
            shown = formula if formula == _num(loc) else f"{formula} = {_num(loc)}"
            flips.append((f"{c.bp.partial(i, node.inputs[p])} = {shown}", c.bp.node(i), value, i))
            if len(flips) > 4:
                break
    if len(flips) == 1:
        text, where, value, i = flips[0]
        return Diagnosis("sign", f"a sign lost: {text} taken as positive, in {where}", value, i)
    if flips:
        listed = "; ".join(f"{text} in {where}" for text, where, _, _ in flips[:4]) + ("; …" if len(flips) > 4 else "")
        return Diagnosis(
            "sign",
            f"a sign lost: one of the negative local derivatives on the way taken as positive: {listed}",
            flips[0][2],
        )
    return next(iter(_sign(c.row.given, c.expected, c.tolerance)), None)


def kink(c: Context) -> Diagnosis | None:
    """Another convention at a kink: each input's one-sided derivatives or their middle (the op's
    entry names the known ones: ½ at a tie, [a ≥ b], relu'(0) = 1, abs'(0) = ±1)."""
    bp, nodes = c.bp, c.bp.nodes
    kinks = [k for k in bp.kinks if k in c.step_nodes]
    for k in kinks:
        for changes, text in _conventions(bp, k, c.local):
            value = c.moved(changes)
            if c.matches(value):
                return Diagnosis("kink", f"another convention at the kink of {bp.node(k)}: {text}", value, k)
    if len(kinks) < 2:
        return None
    # every tie split at once: the kinks may lie on one path, so replay rather than add
    split = {
        (k, p): 0.5
        for k in kinks
        if OPERATIONS[nodes[k].op].tie_split is not None
        for p, loc in enumerate(bp.rows[k] or ())
        if loc is not None
    }
    if split:
        value = bp.replay({**c.world_local, **split}, c.wrong_grads)[0][c.row.ask.node]
        if c.matches(value):
            return Diagnosis(
                "kink",
                "another convention at the kinks: ½ to each input at every tie (--tie split, as PyTorch and JAX do)",
                value,
            )
    return None


# The mistakes looked for in a wrong gradient, in the order a report lists them: each a small
# function of the Context that returns its Diagnosis or None. Adding one is one entry here
# (and its kind in KINDS); an error carried down from earlier answers is judged first.
DIAGNOSES: dict[str, Callable[[Context], Diagnosis | None]] = {
    "fanout": fanout,
    "swap": swap,
    "upstream": upstream,
    "sign": sign,
    "kink": kink,
}


def diagnoses(context: Context) -> list[Diagnosis]:
    """The mistakes whose numbers match a wrong gradient, in KINDS order: an error carried down
    from the student's earlier answers alone, else every entry of DIAGNOSES that matches."""
    first = carried(context)
    if first is not None:
        return [first]
    found = [diagnosis for diagnose in DIAGNOSES.values() if (diagnosis := diagnose(context)) is not None]
    graph = context.bp.graph
    found = [d if d.node is None else replace(d, text=written(graph, d.node)) for d in found]
    return sorted(found, key=lambda d: KINDS.index(d.kind))


def _conventions(bp: _Pass, k: int, local) -> list[tuple[list[tuple[int, int, float]], str]]:
    """The other rules at the kink node k: each input's one-sided derivatives and their middle."""
    node = bp.nodes[k]
    op = OPERATIONS[node.op]
    row = bp.rows[k]
    if op.one_sided is None or row is None:
        return []
    positions = [p for p, loc in enumerate(row) if loc is not None]
    options = []
    for p in positions:
        below, above = op.one_sided[p]
        options.append(sorted({below, above, (below + above) / 2}))
    current = tuple(local(k, p) for p in positions)
    labels = [bp.partial(k, j) for j in node.inputs]
    used = ", ".join(f"{labels[p]} = {_num(v)}" for p, v in zip(positions, current))
    found = []
    for combo in product(*options):
        if combo == current:
            continue
        named = dict(op.conventions).get(combo[0]) if len(set(combo)) == 1 else None
        given = ", ".join(f"{labels[p]} = {_num(v)}" for p, v in zip(positions, combo))
        text = f"{named}: {given}" if named else given
        found.append(([(k, p, v) for p, v in zip(positions, combo)], f"{text}, where bpcalc's rule gives {used}"))
    return found
