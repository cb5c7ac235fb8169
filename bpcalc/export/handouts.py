"""Problem sheets, one per variant: the program, the student's point, the items to answer (Markdown or LaTeX)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..check import order
from ..text import toml_string
from . import exact, unique_slugs

if TYPE_CHECKING:
    from ..assignment import Assignment
    from . import Variant


def identity_line(variant: Variant) -> str:
    """The line a student puts at the top of the answer file, so grading finds their numbers."""
    if variant.field == "variant" and variant.key.startswith("#") and variant.key[1:].isdigit():
        return f"variant = {variant.key[1:]}"
    field = "student" if variant.field == "name" else variant.field  # the answer file names a student so
    return f"{field} = {toml_string(variant.key)}"


def _points(value: float) -> str:
    from ..render.check_text import score_text

    return f"{score_text(value)} point{'s' if value != 1 else ''}"


def markdown_sheet(variant: Variant) -> str:
    """A variant's sheet as Markdown: names and the program as code, the title and headings escaped."""
    from ..render.check_text import ask_markdown
    from ..render.markdown import code, code_block, prose

    a = variant.assignment
    lines = [f"# {prose(a.title)}", ""]
    if variant.student:
        lines += [f"For {prose(variant.student)}.", ""]
    lines += [f"Put this line at the top of your answer file: {code(identity_line(variant))}", ""]
    for p in a.problems:
        heading = f"Problem {p.id}" + (f": {p.title}" if p.title else "")
        lines += [f"## {prose(heading)} ({_points(p.points)})", ""]
        lines += [*code_block(p.source.strip().split("\n")), ""]
        if p.at:
            lines += ["at " + ", ".join(f"{code(k)} = {prose(exact(v))}" for k, v in p.at.items()), ""]
        lines += ["Give: " + ", ".join(ask_markdown(ask) for ask in order(p.asks)), ""]
    return "\n".join(lines)


def _verb(line: str) -> str:
    """The line as \\verb, its delimiter a character the line lacks (an id may hold a |)."""
    delimiter = next((c for c in "|!+=@~^:;" if c not in line), None)
    if delimiter is None or "\n" in line:
        from ..render.latex import text

        return r"\texttt{" + text(line) + "}"
    return f"\\verb{delimiter}{line}{delimiter}"


def _verbatim(source: str) -> str:
    return source.strip().replace("\\end{verbatim}", "\\end {verbatim}")  # a comment cannot close the block


def latex_sheet(variant: Variant) -> str:
    from ..render.latex import name, text

    a = variant.assignment
    lines = [
        r"\documentclass{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{amsmath}",
        r"\begin{document}",
        r"\section*{" + text(a.title) + "}",
    ]
    if variant.student:
        lines.append("For " + text(variant.student) + r".\par")
    lines.append(r"Put this line at the top of your answer file: " + _verb(identity_line(variant)) + r"\par")
    for p in a.problems:
        heading = f"Problem {p.id}" + (f": {p.title}" if p.title else "") + f" ({_points(p.points)})"
        lines += [r"\subsection*{" + text(heading) + "}", r"\begin{verbatim}", _verbatim(p.source), r"\end{verbatim}"]
        if p.at:
            lines.append("at $" + ",\\ ".join(f"{name(k)} = {text(exact(v))}" for k, v in p.at.items()) + "$\\par")
        asked = []
        for ask in order(p.asks):
            asked.append(
                f"${name(ask.name)}$"
                if ask.kind == "value"
                else f"$\\partial {name(ask.output)}/\\partial {name(ask.name)}$"
            )
        lines.append("Give: " + ", ".join(asked) + r".\par")
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def _sheets(variants: list[Variant], suffix: str, render) -> dict[str, bytes]:
    names = unique_slugs(v.student or v.key.lstrip("#") for v in variants)
    return {f"{n}{suffix}": render(v).encode("utf-8") for n, v in zip(names, variants)}


def markdown(assignment: Assignment, variants: list[Variant]) -> dict[str, bytes]:
    return _sheets(variants, ".md", markdown_sheet)


def latex(assignment: Assignment, variants: list[Variant]) -> dict[str, bytes]:
    return _sheets(variants, ".tex", latex_sheet)
