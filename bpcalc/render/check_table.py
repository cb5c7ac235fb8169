"""Tables for the terminal: answer checks, scores, answer keys and gradient checks (Rich)."""
from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..text import visible
from . import number
from .check_text import (
    check_summary,
    given_text,
    key_rows,
    point_text,
    program_lines,
    root_text,
    score_text,
    sentence,
    source_line,
    wrong_items,
)
from .table import console

if TYPE_CHECKING:
    from ..assignment import Assignment, Graded
    from ..check import Check
    from ..gradcheck import GradCheck

RIGHT = "green"
WRONG = "red"
MISSING = "yellow"
STYLE = {"right": RIGHT, "wrong": WRONG, "missing": MISSING, "good": RIGHT, "ok": RIGHT, "kink": RIGHT,
         "doubtful": MISSING, "undefined": MISSING}


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD)


def _heading(text: str) -> Text:
    return Text(visible(text), style="bold")  # titles and ids come from the assignment file


def _program(source: str, at: str) -> list[RenderableType]:
    """A problem's program as written and its point: one line for a one-line program, else the lines, then the point."""
    lines = program_lines(source)
    if len(lines) <= 1:
        return [Text((lines[0] if lines else "") + (f" at {at}" if at else ""))]
    return [Text("\n".join(lines)), *([Text(f"at {at}")] if at else [])]


def check_table(check: Check, digits: int = 6) -> Table:
    """One row per answer in backprop order: asked, given, right, verdict, and the diagnoses."""
    table = _table()
    table.add_column("asked", style="bold", no_wrap=True)
    table.add_column("given", justify="right", no_wrap=True)
    table.add_column("right", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("why", ratio=1, overflow="fold")
    several = check.count("wrong") > 1  # a root only means something with errors after it
    for row in check.rows:
        # an unreadable answer's reason quotes the student's file: its control characters are shown
        why = [visible(sentence(d.message)) if d.kind == "unreadable" else sentence(d.message) for d in row.diagnoses]
        if row.root and several:
            why.insert(0, sentence(root_text(row)))
        verdict = Text("not answered" if row.verdict == "missing" else row.verdict, style=STYLE[row.verdict])
        table.add_row(row.ask.label, Text(given_text(row, digits)), number(row.right, digits), verdict, "\n".join(why))
    return table


def check_report(check: Check, digits: int = 6) -> RenderableType:
    graph = check.result.graph
    point = point_text(check.result.at, digits)
    title = f"Checking {source_line(graph.source, 80)}" + (f" at {point}" if point else "")
    return Group(
        _heading(title),
        check_table(check, digits),
        Text(check_summary(check)),
        Text(f"Right when {check.tolerance.describe()}.", style="dim"),
    )


def graded_report(graded: Graded, assignment: Assignment, digits: int = 6) -> RenderableType:
    """One student's answers to every problem, a table each, and the score."""
    parts: list[RenderableType] = []
    for p in graded.problems:
        problem = p.problem
        name = f"Problem {problem.id}" + (f": {problem.title}" if problem.title else "")
        at = point_text(problem.at, digits)
        title = f"{name} — {score_text(p.score)} of {score_text(p.max_score)} point{'s' if p.max_score != 1 else ''}"
        parts += [
            _heading(title),
            *_program(problem.source, at),
            check_table(p.check, digits),
            Text(check_summary(p.check)),
            Text(""),
        ]
    parts.append(
        Text(
            f"{visible(graded.student)}: {score_text(graded.score)} of {score_text(graded.max_score)} points",
            style="bold",
        )
    )
    if graded.problems:
        parts.append(Text(f"Right when {graded.problems[0].problem.tolerance.describe()}.", style="dim"))
    return Group(*parts)


def grades_table(graded: Iterable[Graded], assignment: Assignment) -> Table:
    """The score table of `bpcalc grade`: one row per submission."""
    graded = list(graded)
    table = Table(
        title=f"{visible(assignment.title)}: {len(graded)} submission{'s' if len(graded) != 1 else ''}",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    table.add_column("student", style="bold")
    table.add_column("score", justify="right")
    table.add_column("of", justify="right")
    table.add_column("%", justify="right")
    table.add_column("not right", ratio=1, overflow="fold")
    for g in graded:
        if g.error is not None:
            table.add_row(
                visible(g.student),
                Text("—", style=WRONG),
                score_text(g.max_score),
                "",
                Text(f"not graded: {visible(g.error)}", style=WRONG),
            )
            continue
        score = cast(float, g.score)  # graded (no error), so a number
        percent = f"{100 * score / g.max_score:.0f}" if g.max_score else ""
        table.add_row(
            visible(g.student), score_text(g.score), score_text(g.max_score), percent, visible(" ".join(wrong_items(g)))
        )
    return table


def key_report(assignment: Assignment, digits: int = 6) -> RenderableType:
    """The answer key: a table per problem."""
    parts: list[RenderableType] = [_heading(f"{assignment.title}: answer key"), Text("")]
    for problem in assignment.problems:
        name = f"Problem {problem.id}" + (f": {problem.title}" if problem.title else "")
        at = point_text(problem.at, digits)
        title = f"{name} ({score_text(problem.points)} point{'s' if problem.points != 1 else ''})"
        parts += [_heading(title), *_program(problem.source, at)]
        table = _table()
        table.add_column("asked", style="bold")
        table.add_column("answer", justify="right")
        for ask, value in key_rows(problem):
            table.add_row(ask.label, number(value, digits))
        parts.append(table)
    return Group(*parts)


def gradcheck_report(check: GradCheck, digits: int = 6) -> RenderableType:
    """Per variable: backprop, central differences, relative error, verdict; kinks explained below."""
    result = check.result
    table = _table()
    table.add_column("name", style="bold")
    table.add_column("value", justify="right")
    table.add_column("step h", justify="right", no_wrap=True)
    table.add_column("backprop", justify="right")
    table.add_column("numerical", justify="right")
    table.add_column("rel. error", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    notes: list[str] = []
    for r in check.rows:
        rel = "" if r.rel_error is None else f"{r.rel_error:.1e}"
        verdict = "kink: ok" if r.verdict == "kink" else r.verdict
        table.add_row(
            r.name,
            number(r.value, digits),
            f"{r.step:.2g}",
            number(r.backprop, digits),
            number(r.numeric, digits),
            rel,
            Text(verdict, style=STYLE.get(r.verdict, WRONG)),
        )
        if r.kink is not None:
            where = ", ".join(r.kink.labels)
            inside = "lies between them" if r.verdict == "kink" else "does not lie between them"
            notes.append(
                f"{r.name}: kink crossed at node {where}: {r.name}−h and {r.name}+h fall on different sides. "
                f"Left derivative {number(r.kink.left, digits)}, right derivative {number(r.kink.right, digits)}; "
                f"backprop's {number(r.backprop, digits)} {inside}."
            )
        if r.note:
            notes.append(f"{r.name}: {r.note}.")
    bad = [r for r in check.rows if not r.ok]
    if not bad:
        summary = (
            f"All {len(check.rows)} gradients agree with central differences."
            if len(check.rows) != 1
            else "The gradient agrees with central differences."
        )
    else:
        summary = (
            f"{len(bad)} of {len(check.rows)} gradients disagree: {', '.join(r.name for r in bad)}."
            if len(check.rows) != 1
            else "The gradient disagrees with central differences."
        )
    legend = "Relative error |a−n| / max(|a|,|n|): good ≤ 1e-7, ok ≤ 1e-4, doubtful ≤ 1e-2, wrong above."
    title = f"Gradient check of {source_line(result.graph.source, 80)}: backprop against central differences"
    return Group(_heading(title), table, *[Text(n) for n in notes], Text(""), Text(summary), Text(legend, style="dim"))


def print_renderable(renderable: RenderableType) -> None:
    console().print(renderable)


def to_text(renderable: RenderableType, width: int = 100) -> str:
    """Plain text at a fixed width, colour off: for tests."""
    buffer = io.StringIO()
    console(file=buffer, width=width, color_system=None, force_terminal=False).print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
