"""Plain text for checks and grades: report lines, CSV, a Markdown or TOML answer key. Imports no Rich."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..text import csv_cell, toml_comment, toml_string, visible
from . import number, program_line

if TYPE_CHECKING:
    from ..assignment import Assignment, Graded, ProblemResult
    from ..check import Check, Row

VERDICT_WORDS = {"right": "right", "wrong": "wrong", "missing": "not answered"}
ROOT = "the likely root of the errors after it"


def root_text(row: Row) -> str:
    """Why a row is a likely root: the later wrong answers that follow from it."""
    labels = [ask.label for ask in row.explains]
    shown = labels if len(labels) <= 4 else labels[:3] + [f"{len(labels) - 3} more"]
    return f"{ROOT}: {labels_text(shown)} follow{'s' if len(labels) == 1 else ''} from it"


def labels_text(labels: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else "".join(labels)


def sentence(text: str) -> str:
    """A diagnosis as a sentence: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def source_line(source: str, limit: int = 60) -> str:
    """A program on one line for a title: without its comments, shortened with an ellipsis, control characters
    made visible."""
    text = visible(program_line(source))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def program_lines(source: str) -> list[str]:
    """A program as written, line by line (comments kept), for a key or report to show; control characters
    made visible, blank lines around it and spaces at line ends dropped."""
    lines = [visible(line, newlines=True).rstrip() for line in source.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def point_text(at: dict, digits: int = 6) -> str:
    return ", ".join(f"{name} = {number(value, digits)}" for name, value in at.items())


def score_text(value: float | None) -> str:
    """A score as people write it: 7.5, 7, 2.33."""
    if value is None:
        return "—"
    return format(round(value, 2) + 0.0, "g")


def given_text(row: Row, digits: int = 6) -> str:
    """The given answer for people: its number, or the text of one that is not a number, control characters shown."""
    return visible(row.given) if isinstance(row.given, str) else number(row.given, digits)


def row_lines(row: Row, digits: int = 6, root: bool = True) -> list[str]:
    """One checked item as text: the verdict line, then its diagnoses."""
    label = row.ask.label
    if row.verdict == "missing":
        lines = [f"{label}: not answered (right: {number(row.right, digits)})"]
    elif row.verdict == "right":
        lines = [f"{label} = {given_text(row, digits)}: right"]
    else:
        lines = [f"{label} = {given_text(row, digits)}: wrong, the right value is {number(row.right, digits)}"]
        if row.root and root:
            lines[0] += f" ({root_text(row)})"
    lines += [f"  {visible(sentence(d.message))}" if d.kind == "unreadable" else f"  {sentence(d.message)}"
              for d in row.diagnoses]
    return lines


def check_summary(check: Check) -> str:
    """One sentence under a check's rows."""
    total = len(check.rows)
    wrong, missing = check.count("wrong"), check.count("missing")
    if not wrong and not missing:
        return f"All {total} answers right." if total != 1 else "The answer is right."
    parts = []
    if wrong:
        parts.append(f"{wrong} wrong")
    if missing:
        parts.append(f"{missing} not answered")
    text = f"{total - wrong - missing} of {total} right, {' and '.join(parts)}."
    roots = check.roots
    if roots and wrong > 1:
        if len(roots) == 1:
            text += f" {roots[0].ask.label} is the likely root of the errors after it."
        else:
            text += f" {labels_text([r.ask.label for r in roots])} are the likely roots of the errors after them."
    return text


def problem_output(result: ProblemResult, digits: int = 6) -> str:
    """A problem's report for Gradescope's `output`: every item not right, with its diagnoses."""
    lines = []
    several = result.check.count("wrong") > 1
    for row in result.check.rows:
        if not row.ok:
            lines.extend(row_lines(row, digits, several))
    if not lines:
        lines.append("All answers right.")
    return "\n".join(lines)


# ---------------------------------------------------------------- grades as CSV


def wrong_items(graded: Graded) -> list[str]:
    """'1:df/dx' for every item not right, in problem and backprop order."""
    return [f"{problem.id}:{row.ask.key}" for problem, row in graded.wrong()]


def unreadable_items(graded: Graded) -> list[str]:
    """'1:df/dx: the reason' for every answer that is not a number (graded as wrong)."""
    return [
        f"{problem.id}:{row.ask.key}: {d.message}"
        for problem, row in graded.wrong()
        for d in row.diagnoses
        if d.kind == "unreadable"
    ]


def grades_csv(graded: Iterable[Graded], assignment: Assignment) -> str:
    """One row per student: score, the maximum, each problem's score, the items not right, an error."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    ids = [p.id for p in assignment.problems]
    # Every cell passes through csv_cell: a student's name or a file name may be a formula.
    writer.writerow(
        [
            csv_cell(c)
            for c in [
                "student", "file", "score", "max_score", *[f"problem {i}" for i in ids], "wrong", "error", "unreadable"
            ]
        ]
    )
    for g in graded:
        scores = {p.problem.id: p.score for p in g.problems}
        writer.writerow(
            [
                csv_cell(c)
                for c in [
                    g.student,
                    g.path,
                    score_text(g.score) if g.error is None else "",
                    score_text(g.max_score),
                    *[score_text(scores[i]) if i in scores else "" for i in ids],
                    " ".join(wrong_items(g)),
                    g.error or "",
                    " | ".join(unreadable_items(g)),
                ]
            ]
        )
    return buffer.getvalue()


# ---------------------------------------------------------------- the answer key


def key_markdown(assignment: Assignment, digits: int = 6) -> str:
    """The answer key as Markdown: a section and a table per problem; an answer taken at a kink is
    marked (kink N) and the problem's kinks are noted under its table, as grad --format markdown does."""
    from . import markdown
    from . import rows as tables_of

    lines = [f"# {markdown.prose(visible(assignment.title))}: answer key", ""]  # a heading is one line
    for problem in assignment.problems:
        heading = f"Problem {problem.id}" + (f": {problem.title}" if problem.title else "")
        points = score_text(problem.points)
        lines += [f"## {markdown.prose(visible(heading))} ({points} point{'s' if problem.points != 1 else ''})", ""]
        source = program_lines(problem.source)
        if len(source) > 1:
            lines += [*markdown.code_block(source), ""]
        else:
            lines += [markdown.code(source[0] if source else ""), ""]
        if problem.at:
            lines += [f"at {point_markdown(problem.at, digits)}", ""]
        lines += ["| asked | answer |", "|---|---|"]
        found = tables_of.kinks(problem.result)
        for ask, value in key_rows(problem):
            kinks = tables_of.gradient_kinks(problem.result, ask.node, found) if ask.kind != "value" else []
            shown = number(value, digits) + (f" ({tables_of.mark(kinks)})" if kinks else "")
            lines.append(f"| {ask_markdown(ask)} | {shown} |")
        lines.append("")
        if found:  # (a problem with no kink needs no word on --tie split)
            lines += [markdown.kink_notes(problem.result, tables_of.ANSWER_KINKS_NOTE)]
    return "\n".join(lines)


def ask_markdown(ask) -> str:
    """An asked item for Markdown, its names as code spans: `q`, ∂`f`/∂`q`."""
    from .markdown import code, partial

    return code(ask.name) if ask.kind == "value" else partial(ask.output, ask.name)


def point_markdown(at: dict, digits: int = 6) -> str:
    """A point for Markdown: each name a code span, each number as the tables write it."""
    from .markdown import code, prose

    return ", ".join(f"{code(name)} = {prose(number(value, digits))}" for name, value in at.items())


def key_rows(problem):
    """(ask, right value) in backprop order."""
    from ..check import order, right_answer

    return [(ask, right_answer(problem.result, ask)) for ask in order(problem.asks)]


def key_toml(assignment: Assignment, variant: str | None = None) -> str:
    """The answer key as an answer file (exact numbers): a submission that scores full marks; `variant`
    names the student's variant it is the key of, so that grading finds it again."""
    # One comment line whatever the title holds (a line break would end the comment)
    lines = [toml_comment(f"{assignment.title}: answer key, written by bpcalc key --toml")]
    ids = {p.id for p in assignment.problems}
    for field, text in (("student", "answer key"), ("variant", variant)):
        if text is not None and field not in ids:  # a problem of that id is a table of that name
            lines.append(f"{field} = {toml_string(text)}")
    lines.append("")
    for problem in assignment.problems:
        lines.append(f"[{toml_string(problem.id)}]")
        for ask, value in key_rows(problem):
            key = ask.key if ask.kind == "value" and _BARE_KEY.fullmatch(ask.key) else toml_string(ask.key)
            lines.append(f"{key} = {_toml_number(value)}")
        lines.append("")
    return "\n".join(lines)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # a TOML key without quotes


def _toml_number(value) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_number(v) for v in value) + "]"
    return repr(float(value) + 0.0)
