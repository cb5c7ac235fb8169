"""The forward pass and the chain rule for every gradient, with the numbers, as LaTeX (amsmath). Imports no Rich.

Each gradient is written the way the course writes it on the board,
∂f/∂x = ∂f/∂q · ∂q/∂x = (−4)(1) = −4, one term per edge into the node (a
fan-out is a sum of terms), from the same steps as the terminal table.
"""
from __future__ import annotations

import re

from ..graph import CONST, VAR, Result
from ..ops import OPERATIONS
from ..text import visible
from . import ARRAY_ITEMS, Options, number
from . import rows as tables_of

MAX_TERMS = 6  # a fan-out sum longer than this is shortened with \cdots
PER_LINE = 3  # terms of a sum on one line before it is broken
SOURCE_WIDTH = 100  # longest source line quoted in the header

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}

NEEDS_PARENS = {"add", "sub", "mul", "neg", "pow"}  # forms where a negative number as input is parenthesised

_NUMBER = re.compile(r"(-?)(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?")
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}", "…": r"\ldots{}",
}


_FRACTION = re.compile(r"(-?)([0-9]+)/([0-9]+)")


def text(s: str) -> str:
    """Plain text escaped for LaTeX's text mode."""
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in s)


# Characters beyond ASCII that pdflatex (inputenc utf8, the OT1 fonts) sets without extra packages.
_MATH_CHARS = {
    "∂": r"\partial", "−": "-", "·": r"\cdot", "×": r"\times", "÷": r"\div", "≤": r"\leq", "≥": r"\geq",
    "→": r"\to", "Σ": r"\Sigma", "∑": r"\sum", "√": r"\surd", "∞": r"\infty", "±": r"\pm",
    "½": r"\tfrac{1}{2}",
}
_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0308": '"', "\u0304": "=", "\u0327": "c "}


def source_text(s: str) -> str:
    """A program's text for a document that must compile: text() for ASCII; accented letters as
    LaTeX accents, a few math signs in math mode, anything else (an emoji, a control character)
    shown as its code, [U+1F600]."""
    if s.isascii() and s.isprintable():
        return text(s)
    import unicodedata

    out = []
    for ch in s:
        if " " <= ch <= "~":
            out.append(_TEXT_ESCAPES.get(ch, ch))
        elif ch in _MATH_CHARS:
            out.append("\\ensuremath{" + _MATH_CHARS[ch] + "}")
        elif ch == "…":
            out.append(_TEXT_ESCAPES[ch])
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            base, marks = decomposed[:1], decomposed[1:]
            if base.isascii() and base.isalpha() and len(marks) == 1 and marks in _ACCENTS:
                out.append("{\\" + _ACCENTS[marks] + "{" + base + "}}")
            else:
                out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


def tex_number(shown: str) -> str:
    """A number as bpcalc.render.number wrote it, in math mode: 1e-05 as 1 \\times 10^{-5}.

    Anything that is not one plain number (a vector, one day) goes in \\text{}.
    """
    m = _NUMBER.fullmatch(shown)
    fraction = _FRACTION.fullmatch(shown)
    if fraction is not None:  # an exact fraction (--exact): 7/12 as \frac{7}{12}
        return f"{fraction.group(1)}\\frac{{{fraction.group(2)}}}{{{fraction.group(3)}}}"
    if m is None:
        if shown in ("inf", "-inf"):
            return shown.replace("inf", "\\infty")
        return "\\text{" + text(shown) + "}"
    sign, digits, exponent = m.groups()
    if exponent is None:
        return sign + digits
    return f"{sign}{digits} \\times 10^{{{int(exponent)}}}"


def tex_value(value, digits: int = 6) -> str:
    """A value in math mode: a number as tex_number writes it; a vector or a matrix as a bmatrix
    (a vector as a row, as the tables write it), a larger array as its first elements and its shape."""
    if not hasattr(value, "ravel"):
        return tex_number(number(value, digits))
    if value.ndim == 0:
        return tex_number(number(float(value), digits))
    if value.size > ARRAY_ITEMS:  # shortened as render.number shortens it
        first = " & ".join(tex_number(number(float(v), digits)) for v in value.ravel()[:4])
        shape = " \\times ".join(map(str, value.shape))
        return f"\\begin{{bmatrix}} {first} & \\cdots \\end{{bmatrix}} \\; ({shape})"
    return _matrix(value, digits)


def _matrix(value, digits: int) -> str:
    if value.ndim == 1:
        body = " & ".join(tex_number(number(float(v), digits)) for v in value)
    elif value.ndim == 2:
        body = " \\\\ ".join(" & ".join(tex_number(number(float(v), digits)) for v in row) for row in value)
    else:  # three axes or more: a row of the matrices along the first axis
        body = " & ".join(_matrix(part, digits) for part in value)
    return f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}"


def _is_array(value) -> bool:
    return hasattr(value, "ravel") and value.ndim > 0


def name(label: str) -> str:
    """A label in math mode: w1 as w_{1}, w1_2 as w_{1,2}, phi_2 as \\phi_{2}, loss as \\mathit{loss}.

    A name whose underscore has nothing before or after it (_w_, w_) is no subscript: it is
    shown whole, \\mathit{\\_w\\_}, rather than as an empty base or with the underscore lost."""
    base, sep, sub = label.partition("_")
    if sep and (not base or not sub):
        return "\\mathit{" + text(label) + "}"
    subs = [sub] if sub else []
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", base)
    if m:
        base, digits = m.groups()
        subs.insert(0, digits)
    if base in GREEK:
        shown = "\\" + base
    elif len(base) == 1:
        shown = base
    else:
        shown = "\\mathit{" + text(base) + "}"
    if subs:
        shown += "_{" + ",".join(s if s.isdigit() else "\\mathit{" + text(s) + "}" for s in subs) + "}"
    return shown


def _partial(top: str, bottom: str) -> str:
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"


def _factor(value, digits: int) -> str:
    """One factor of a product of numbers: (-4), or an array's bmatrix, which needs no parentheses."""
    shown = tex_value(value, digits)
    return shown if _is_array(value) else f"({shown})"


def _product(upstream, local, digits: int) -> str:
    """upstream times local: (−4)(1), or with two arrays their element-wise product, A ⊙ B."""
    if _is_array(upstream) and _is_array(local):
        return f"{tex_value(upstream, digits)} \\odot {tex_value(local, digits)}"
    return _factor(upstream, digits) + _factor(local, digits)


def _operand(result: Result, j: int, digits: int, parens: bool) -> str:
    node = result.graph.nodes[j]
    if node.op == CONST:
        shown = tex_value(result.values[j], digits)
        return f"({shown})" if parens and shown.startswith("-") else shown
    return name(node.label)


def forward_lines(result: Result, digits: int = 6) -> list[str]:
    """One line per operation: its label, the operation on its inputs' labels, its value."""
    graph = result.graph
    lines = []
    for i, node in enumerate(graph.nodes):
        if node.op in (VAR, CONST):
            continue
        form = OPERATIONS[node.op].tex or None  # ops.py holds each op's TeX form
        parens = node.op in NEEDS_PARENS
        operands = [_operand(result, j, digits, parens) for j in node.inputs]
        if form is None:
            applied = f"\\operatorname{{{text(node.op)}}}(" + ", ".join(operands) + ")"
        else:
            applied = form
            for key, operand in zip("ab", operands):
                applied = applied.replace("{" + key + "}", operand)
        lines.append(f"{name(node.label)} &= {applied} = {tex_value(result.values[i], digits)}")
    return lines


def backward_lines(result: Result, digits: int = 6) -> list[str]:
    """The chain rule for every node a gradient reaches, from the output back, with the numbers.

    A line whose numbers include a local derivative taken at a kink ends in \\tag*{kink N},
    N the kink's number in the notes (kink_notes).
    """
    graph = result.graph
    nodes = graph.nodes
    out = len(nodes) - 1
    f = name(result.output)
    found = tables_of.kinks(result)
    incoming: dict[int, list] = {}
    for step in result.steps:
        incoming.setdefault(step.input, []).append(step)
    lines = []
    for j in range(len(nodes) - 1, -1, -1):
        grad = result.grads[j]
        if grad is None:
            continue
        x = name(nodes[j].label)
        total = tex_value(grad, digits)
        lhs = _partial(f, x)
        if j == out:
            lines.append(f"{lhs} &= 1")
            continue
        received = sorted(incoming.get(j, []), key=lambda s: (s.node, s.position))  # in forward order
        if not received:  # reached by no edge: an unused value
            lines.append(f"{lhs} &= {total}")
            continue
        lines.extend(_chain(result, lhs, x, received, total, digits))
        at_kinks = sorted({found[step.node].number for step in received if step.node in found})
        if at_kinks:
            lines[-1] += f" \\tag*{{{tables_of.mark(at_kinks)}}}"
    return lines


def _chain(result: Result, lhs: str, x: str, received: list, total: str, digits: int) -> list[str]:
    """The lines of one gradient: its terms (one per edge into the node), their numbers, their sum."""
    nodes = result.graph.nodes
    out = len(nodes) - 1
    f = name(result.output)
    symbols, numbers = [], []
    for step in received:
        if step.node == out:
            # The output's own local derivative: ∂f/∂x where f uses x directly.
            local = _partial(f, x)
            symbols.append(local if len(received) == 1 else f"\\left.{local}\\right|_{{\\text{{local}}}}")
            numbers.append(_factor(step.local if step.local is not None else step.contribution, digits))
        else:
            q = name(nodes[step.node].label)
            symbols.append(f"{_partial(f, q)} \\, {_partial(q, x)}")
            if step.local is None:  # an array op's vector-Jacobian product: only the result is a number
                numbers.append(_factor(step.contribution, digits))
            else:
                numbers.append(_product(step.upstream, step.local, digits))
    if len(received) > MAX_TERMS:
        more = f"\\cdots \\text{{ ({len(received)} terms)}}"
        symbols = symbols[: MAX_TERMS - 1] + [more]
        numbers = numbers[: MAX_TERMS - 1] + [more]
    if len(received) == 1 and received[0].node == out:
        return [f"{lhs} &= {total}"]  # ∂f/∂x is the output's local derivative: nothing to chain
    if len(received) == 1 and received[0].local is None:
        return [f"{lhs} &= {symbols[0]} = {total}"]  # an array op's vjp: no product of two numbers to show
    if len(symbols) <= PER_LINE:
        return [f"{lhs} &= {' + '.join(symbols)} = {' + '.join(numbers)} = {total}"]
    # a wide fan-out: the terms three to a line, then the numbers, then the sum
    lines = _broken(f"{lhs} &= ", symbols) + _broken("&= ", numbers)
    lines[-1] += f" = {total}"
    return lines


def _broken(first: str, terms: list[str]) -> list[str]:
    """A long sum over several lines of an align*: PER_LINE terms each, continued with +."""
    chunks = [terms[k:k + PER_LINE] for k in range(0, len(terms), PER_LINE)]
    return [(first if n == 0 else "&\\quad + ") + " + ".join(chunk) for n, chunk in enumerate(chunks)]


def _prose(s: str, escape=source_text) -> str:
    """Text of a note: escaped, with "--" kept two hyphens (a text font sets -- as an en dash)."""
    return re.sub(r"-(?=-)", "-{}", escape(s))


def kink_notes(result: Result, escape=source_text) -> list[str]:
    """The kinks' warnings (errors.kink_notice) as a description list under their marks, kink N,
    and the tie rule under --tie split; none when neither applies. `escape` turns text into LaTeX."""
    found = tables_of.kinks(result)
    lines = []
    if found:
        lines.append(_prose(tables_of.KINKS_NOTE, escape))
        lines.append("\\begin{description}")
        lines += [f"\\item[{tables_of.mark([k.number])}] {_prose(k.message, escape)}" for k in found.values()]
        lines.append("\\end{description}")
    tie = tables_of.tie_note(result)
    if tie:
        lines.append(_prose(tie, escape))
    return lines


def _align(lines: list[str]) -> list[str]:
    if not lines:
        return []
    return ["\\begin{align*}", *[line + " \\\\" for line in lines[:-1]], lines[-1], "\\end{align*}"]


def _source_lines(result: Result) -> list[str]:
    shown = []
    for line in result.graph.source.strip().splitlines():
        if len(line) > SOURCE_WIDTH:
            line = line[: SOURCE_WIDTH - 1] + "…"
        shown.append(line)
    return shown


def _point(result: Result, digits: int) -> list[tuple[str, str]]:
    """The variables given a value, as (label, shown value); pi and e used as constants are not."""
    return [(label, number(value, digits)) for label, value in result.at.items()]


def render(result: Result, digits: int = 6, standalone: bool = False) -> str:
    """The forward pass and the chain rule, as two align* environments; `standalone` makes a whole document."""
    forward = _align(forward_lines(result, digits))
    backward = _align(backward_lines(result, digits))
    f = name(result.output)
    point = _point(result, digits)
    notes = kink_notes(result)
    if not standalone:
        header = ["% bpcalc: " + visible(line) for line in _source_lines(result)]
        if point:
            header.append("% at " + ", ".join(f"{label} = {value}" for label, value in point))
        body = header + ["% Forward pass", *forward, "% Backward pass: the chain rule for every gradient", *backward]
        body += ["% Kinks", *notes] if notes else []
        return "\n".join(body) + "\n"
    source = " \\\\\n".join(source_text(line) for line in _source_lines(result))
    at = "at $" + ", ".join(f"{name(label)} = {tex_value(value, digits)}" for label, value in result.at.items()) + "$"
    at = at if result.at else ""
    body = [
        "\\documentclass{article}",
        "\\usepackage[utf8]{inputenc}",
        "\\usepackage{amsmath}",
        "\\usepackage[margin=2cm]{geometry}",
        "\\allowdisplaybreaks",
        "\\begin{document}",
        "\\section*{Backpropagation, step by step}",
        "\\begin{flushleft}",
        "\\texttt{" + source + "}" + (" \\\\\n" + at if at else ""),
        "\\end{flushleft}",
        "\\subsection*{Forward pass}",
        *forward,
        f"\\subsection*{{Backward pass: the chain rule from ${f}$ back to the inputs}}",
        *backward,
        *(["\\subsection*{Kinks}", *notes] if notes else []),
        "\\end{document}",
    ]
    return "\n".join(body) + "\n"


def output(result: Result, options: Options) -> str:
    """The registry's entry."""
    return render(result, options.digits, options.standalone)
