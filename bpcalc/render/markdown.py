"""The step tables as GitHub-flavoured Markdown: the terminal table's cells, for answer keys. Imports no Rich.

Program text and names are code spans, so that `*` and `_` stay literal (`_w_`
is not *w*); the prose around them (titles, headers, notes) has Markdown's
characters escaped. A local derivative taken at a kink is marked "kink N", and
the kinks' warnings are listed under the tables with that number.
"""
from __future__ import annotations

import re

from ..graph import Result
from . import Options
from . import rows as tables_of

# Columns whose cells are program text: shown as code, so `*` and `_` stay literal.
CODE_COLUMNS = {"expression", "local ∂node/∂input"}
# Columns whose cells are names (a comma-separated list of them in "inputs"): each name a code span.
NAME_COLUMNS = {"node", "inputs", "input", "name"}
LOCAL = "local ∂node/∂input"

_ACTIVE = re.compile(r"([\\`*_\[\]<>|~$&#])")  # what Markdown (or a notebook's MathJax: $) could read as markup
_TICKS = re.compile(r"`+")


def prose(text: str) -> str:
    """Text that Markdown shows as it is: its markup characters backslash-escaped, one line."""
    return _ACTIVE.sub(r"\\\1", text.replace("\n", " "))


def _longest_ticks(text: str) -> int:
    return max((len(run) for run in _TICKS.findall(text)), default=0)


def code(text: str) -> str:
    """A code span: fenced with one backtick more than the longest run inside, padded when it holds one."""
    longest = _longest_ticks(text)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(lines: list[str]) -> list[str]:
    """A fenced code block: its fence (three backticks at least) longer than any run of them inside
    (CommonMark), so that a comment's ``` cannot close it."""
    fence = "`" * max(3, max((_longest_ticks(line) for line in lines), default=0) + 1)
    return [fence, *lines, fence]


def partial(top: str, bottom: str) -> str:
    """∂top/∂bottom with the names as code spans: ∂`f`/∂`w_1`."""
    return f"∂{code(top)}/∂{code(bottom)}"


def _cell(text: str, code_cell: bool, names: bool = False) -> str:
    text = text.replace("\n", " ")
    if not text:
        return ""
    if names:
        shown = ", ".join(code(name) for name in text.split(", "))
    elif code_cell:
        # A formula cell reads "z = -4": the formula as code, its number as text.
        formula, sep, value = text.rpartition(" = ") if " = " in text else (text, "", "")
        shown = code(formula) + (f" = {value}" if sep else "")
    else:
        shown = text
    return shown.replace("|", "\\|")  # GFM needs \| even inside a code span


def table(t: tables_of.Table, marks: dict[int, str] | None = None) -> str:
    """One table: a heading, the header row, an alignment row, the rows; elided rows as one ⋮ row.

    `marks` puts a mark (kink 1) after the local derivative of the rows it names (by index).
    """
    lines = [f"### {prose(t.title)}", ""]
    lines.append("| " + " | ".join(prose(h) for h in t.headers) + " |")
    lines.append("|" + "|".join("--:" if numeric else "---" for numeric in t.numeric) + "|")
    code_cells = [header in CODE_COLUMNS for header in t.headers]
    names = [header in NAME_COLUMNS for header in t.headers]
    local = t.headers.index(LOCAL) if LOCAL in t.headers else -1
    for k, row in enumerate(t.rows):
        if row is None:
            gap = ["⋮", f"{t.hidden} more"] + [""] * (len(t.headers) - 2)
            lines.append("| " + " | ".join(gap) + " |")
            continue
        cells = [_cell(cell, c, n) for cell, c, n in zip(row, code_cells, names)]
        if marks and k in marks and local >= 0:
            cells[local] += f" ({marks[k]})"
        lines.append("| " + " | ".join(cells) + " |")
    if t.hidden:
        lines += ["", f"*{t.hidden} rows not shown: --max-rows 0 shows all, --json has every step.*"]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def kink_notes(result: Result, lead: str = tables_of.KINKS_NOTE) -> str:
    """The kinks' warnings, numbered as the marks, and the tie rule under --tie split; '' when neither applies.

    `lead` is the sentence that says what the marks stand beside (rows.KINKS_NOTE: the local derivatives)."""
    found = tables_of.kinks(result)
    tie = tables_of.tie_note(result)
    if not found and not tie:
        return ""
    lines = ["### Kinks", ""]
    if found:
        lines += [prose(lead), ""]
        lines += [f"{kink.number}. {prose(kink.message)}" for kink in found.values()]
    if tie:
        lines += ([""] if found else []) + [prose(tie)]
    return "\n".join(lines) + "\n"


def render(result: Result, digits: int = 6, max_rows: int = tables_of.MAX_ROWS) -> str:
    """The forward, backward and summary tables, separated by blank lines; then the kinks, if any."""
    forward, backward, summary = tables_of.tables(result, digits, max_rows)
    marks = tables_of.backward_marks(backward, tables_of.kinks(result))
    parts = [table(forward), table(backward, marks), table(summary)]
    notes = kink_notes(result)
    return "\n".join(parts + ([notes] if notes else []))


def output(result: Result, options: Options) -> str:
    """The registry's entry."""
    return render(result, options.digits, options.max_rows)
