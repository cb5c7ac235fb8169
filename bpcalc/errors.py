"""bpcalc's errors, each carrying its data, and the exit codes they map to."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any, NamedTuple

INPUT_NAMES = ("a", "b", "c")  # how formulas, domains and messages refer to an op's inputs


class ExitCode(IntEnum):
    """Process exit codes; the README's table is generated from the same meanings."""

    OK = 0
    WRONG = 1  # a check found a wrong answer (bpcalc check, gradcheck)
    BAD_INPUT = 2  # usage, syntax, unknown function or name, wrong arity, malformed --at
    MATH = 3  # the math is undefined at the point: domain, division by zero, overflow
    INTERNAL = 70  # a bug in bpcalc (EX_SOFTWARE from sysexits.h)
    IO = 74  # the environment failed: stdout or stdin closed, disk full, an encoding that cannot show it (EX_IOERR)


class BpcalcError(Exception):
    """Base of every error bpcalc reports; `str()` is the whole message."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class InputError(BpcalcError):
    """Bad input that is not about a place in the program: options, files, --wrt."""


class FileError(InputError):
    """A file that cannot be read or written as asked (missing, not a regular file, too large, not UTF-8)."""

    def __init__(self, path: str, reason: str, hint: str = "", *, writing: bool = False):
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}" if writing else f"{path}: {reason}", hint)


class IOFault(BpcalcError):
    """The environment failed, not the input: standard output closed or full, an encoding that cannot show it."""

    exit_code = ExitCode.IO


class PointError(BpcalcError):
    """A malformed point: --at items, duplicate names, values that are not numbers."""


class MissingValuesError(BpcalcError):
    """Variables the program reads that have no value."""

    def __init__(self, names: list[str], given: Iterable[str] = ()):
        self.names = names
        listed = ", ".join(names)
        hints = []
        for name in names:
            near = suggest(name, given)
            if near:
                hints.append(f"'{near}' was given a value: did you mean '{name}'?")
        super().__init__(
            f"no value for {listed}: give {'it' if len(names) == 1 else 'each'} a value, "
            f"e.g. --at {','.join(f'{n}=1' for n in names)}",
            "\n".join(hints),
        )


class SourceError(BpcalcError):
    """A problem at a place in the program text; shows that line with a caret under it."""

    def __init__(self, message: str, source: str, pos: int, hint: str = ""):
        self.source = source
        self.pos = pos
        self.line = source.count("\n", 0, pos) + 1
        line_start = source.rfind("\n", 0, pos) + 1
        self.column = pos - line_start + 1
        line_end = source.find("\n", pos)
        text = source[line_start:line_end if line_end >= 0 else len(source)]
        # Keep a long line readable: a window of 70 characters around the caret.
        left = max(0, self.column - 1 - 35)
        shown = text[left:left + 70]
        prefix = "…" if left > 0 else ""
        suffix = "…" if left + 70 < len(text) else ""
        self.context = f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + self.column - 1 - left)}^"
        where = f"line {self.line}, column {self.column}" if "\n" in source else f"column {self.column}"
        super().__init__(f"{message} (at {where})\n{self.context}", hint)


class ExpressionSyntaxError(SourceError):
    """The text does not follow the grammar."""


class UnknownFunctionError(SourceError):
    """A call to a function bpcalc does not have."""


class ArityError(SourceError):
    """A function called with the wrong number of arguments."""


class AssignmentError(SourceError):
    """A name assigned twice, or used before its assignment."""


class MathError(BpcalcError):
    """The math is undefined at the point: names the node, its text and its inputs' values."""

    exit_code = ExitCode.MATH

    def __init__(self, reason: str, node: int, label: str, text: str, inputs: list[tuple[str, str, float]]):
        self.reason = reason
        self.node = node
        self.label = label
        self.text = text
        self.inputs = inputs  # (a or b, the input's text, its value)
        shown = ", ".join(
            f"{name} = {_show(value)}" if _same(text, value) else f"{name} = {text} = {_show(value)}"
            for name, text, value in inputs
        )
        super().__init__(f"{reason} at node {label} = {text}" + (f", where {shown}" if shown else ""))


class ShapeError(BpcalcError):
    """Shapes that do not fit, found before evaluating: names the node and its inputs' shapes."""

    def __init__(self, reason: str, node: int, label: str, text: str, inputs: list[tuple[str, tuple]], hint: str = ""):
        self.reason = reason
        self.node = node
        self.label = label
        self.text = text
        self.inputs = inputs  # (the input's label, its shape)
        shown = ", ".join(f"{name} has shape {shape}" for name, shape in inputs)
        super().__init__(f"{reason} at node {label} = {text}, where {shown}", hint)


def _number(value: float) -> str:
    """A number as the tables write it (bpcalc.render.number): 6 significant digits, 0 for -0.0."""
    return "0" if value == 0 else format(value, ".6g")


def _show(value) -> str:
    """A number as the tables write it, or a short array."""
    if isinstance(value, float):
        return _number(value)
    if not hasattr(value, "ravel"):
        text = str(value)  # an exact fraction (--exact): 7/12
        return text if len(text) <= 60 else f"{text[:24]}…{text[-24:]} ({len(text)} characters)"
    items = value.ravel().tolist()
    text = ", ".join(_number(v) for v in items[:6]) + (", …" if len(items) > 6 else "")
    return f"[{text}] (shape {value.shape})"


def _same(text: str, value) -> bool:
    """Whether an input's text is its value already (3 for 3.0): then it is shown once."""
    if text == _show(value):
        return True
    try:
        return isinstance(value, float) and float(text) == value
    except ValueError:
        return False


class AnswerError(BpcalcError):
    """A malformed answer, answer file or assignment file: names the file and the item."""

    def __init__(self, message: str, hint: str = "", *, path: str | None = None, item: str | None = None):
        self.reason = message
        self.path = path  # the file, or None for --expect
        self.item = item  # the answer or field at fault, when there is one
        super().__init__(f"{path}: {message}" if path else message, hint)


def install_hint(package: str, extra: str) -> str:
    """How to install an optional dependency, in commands that work today: bpcalc is not on the package index."""
    return (
        f"pip install {package} "
        f'(from a checkout of bpcalc: pip install ".[{extra}]"; under pipx: pipx inject bpcalc {package})'
    )


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a mistyped name, as Typer does for commands."""
    import difflib  # only on the error path

    choices = list(choices)
    same = [c for c in choices if c.lower() == name.lower() and c != name]
    if same:
        return same[0]  # X for x: difflib sees two one-letter names with nothing in common
    near = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if not near:  # W1 for w1, Phi for phi
        lowered = {c.lower(): c for c in choices}
        near = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)]
    return near[0] if near else None


class StepError(BpcalcError):
    """Training stopped at a step where the math is undefined: names the step, the data row and the node."""

    exit_code = ExitCode.MATH

    def __init__(
        self, step: int, message: str, row: int | None = None, cause: BpcalcError | None = None, hint: str = ""
    ):
        self.step = step  # counting from 1; 0 for the final loss, after the last step
        self.row = row  # the data row (from 1) whose pass failed, or None
        self.cause = cause  # the MathError of the pass, when a pass failed
        where = f"step {step}" if step else "after the last step"
        where += f", data row {row}" if row is not None else ""
        super().__init__(f"{where}: {message}", hint)


class Notice(NamedTuple):
    """A warning: something the user should know that does not stop the calculation."""

    kind: str  # "kink", "unused", "constant"
    message: str
    node: int | None = None
    one_sided: tuple[tuple[float, float], ...] | None = None  # kink: ∂node/∂input from below and above


# ---- helpers for the passes: the error or notice for node i of a graph (duck-typed: graph.py
# and ops.py sit above this module), so that every pass words them alike.


def math_error(graph: Any, i: int, values: Sequence, reason: str) -> MathError:
    """The MathError for node i: its label and text, and its inputs' texts and values."""
    node = graph.nodes[i]
    inputs = [(INPUT_NAMES[k], graph.text(j, 40), values[j]) for k, j in enumerate(node.inputs)]
    return MathError(reason, i, node.label, graph.text(i, 60), inputs)


TIE_SPLIT = "--tie split: 1/2 to each input"  # the rule a max/min tie follows under --tie split, in words


def kink_notice(
    graph: Any, i: int, op: Any, values: Sequence, split: bool, count: int = 1, size: int = 1,
    *, head: str | None = None, ref: Callable[[int], str] | None = None,
) -> Notice:
    """The warning for node i evaluated at its op's kink (at `count` of `size` elements for arrays).

    `head` names node i where the message starts (its label and text, n3 = max(a, b), by default)
    and `ref` a node after ∂ (its label): check names unnamed nodes by their source text instead.
    """
    nodes = graph.nodes
    node = nodes[i]
    name = ref if ref is not None else (lambda k: nodes[k].label)
    args = [values[j] for j in node.inputs]
    if any(getattr(a, "ndim", 0) for a in args):  # element-wise on arrays
        where = f"at {count} of its {size} element{'s' if size > 1 else ''}"
    else:
        # a float in full; an exact fraction (--exact) as it is, 1/3
        shown = f"{args[0]:.17g}" if isinstance(args[0], float) else str(args[0])
        where = f"its inputs tie at {shown}" if len(args) == 2 else f"its input is {shown}"
    rule = TIE_SPLIT if split else op.convention
    sides = ""
    if op.one_sided is not None:
        sides = "; " + ", ".join(
            f"∂{name(i)}/∂{name(j)} is {below:g} from below and {above:g} from above"
            for j, (below, above) in zip(node.inputs, op.one_sided)
            if nodes[j].op != "const"
        )
    start = head if head is not None else f"{node.label} = {graph.text(i, 60)}"
    message = f"{start} is at a kink ({where}{sides}); {rule}"
    return Notice("kink", message, i, op.one_sided)


class Undefined(float):
    """The local of a rule that raised outside its domain: inf, marked so that the error says undefined."""


NOT_DEFINED = Undefined("inf")  # a local (or, with arrays, a contribution) whose rule raised
OVERFLOWED = float("inf")  # a local whose rule overflowed float64


def failure_reason(exc: Exception, op: Any) -> str:
    """Why an op's rule failed, in words: an overflow, a division by zero, or outside its domain."""
    reason = getattr(exc, "reason", None)  # an op's own words (--exact's NotRational, TooLarge)
    if isinstance(reason, str) and isinstance(exc, (ArithmeticError, ValueError)) and not isinstance(exc, UnicodeError):
        return reason
    if isinstance(exc, ZeroDivisionError) or "divide by zero" in str(exc):
        return "division by zero"
    if isinstance(exc, OverflowError) or "overflow" in str(exc):  # NumPy says "overflow encountered in ..."
        return "the value overflows float64"
    return f"{op.name} is undefined here (it needs {op.domain})" if op.domain else f"{op.name} is undefined here"
