"""The step tables as GitHub-flavoured Markdown: the terminal table's cells, for answer keys. Imports no Rich."""
from __future__ import annotations

from ..graph import Result
from . import Options
from . import rows as tables_of

# Columns whose cells are program text: shown as code, so `*` and `_` stay literal.
CODE_COLUMNS = {"expression", "local ∂node/∂input"}


def _cell(text: str, code: bool) -> str:
    text = text.replace("\n", " ")
    if not text:
        return ""
    if code:
        # A formula cell reads "z = -4": the formula as code, its number as text.
        formula, sep, value = text.rpartition(" = ") if " = " in text else (text, "", "")
        fence = "``" if "`" in formula else "`"  # a comment inside the text may hold a backtick
        pad = " " if len(fence) == 2 else ""
        shown = f"{fence}{pad}{formula}{pad}{fence}" + (f" = {value}" if sep else "")
    else:
        shown = text
    return shown.replace("|", "\\|")  # GFM needs \| even inside a code span


def table(t: tables_of.Table) -> str:
    """One table: a heading, the header row, an alignment row, the rows; elided rows as one ⋮ row."""
    lines = [f"### {t.title}", ""]
    lines.append("| " + " | ".join(t.headers) + " |")
    lines.append("|" + "|".join("--:" if numeric else "---" for numeric in t.numeric) + "|")
    code = [header in CODE_COLUMNS for header in t.headers]
    for row in t.rows:
        if row is None:
            gap = ["⋮", f"{t.hidden} more"] + [""] * (len(t.headers) - 2)
            lines.append("| " + " | ".join(gap) + " |")
            continue
        lines.append("| " + " | ".join(_cell(cell, c) for cell, c in zip(row, code)) + " |")
    if t.hidden:
        lines += ["", f"*{t.hidden} rows not shown: --max-rows 0 shows all, --json has every step.*"]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render(result: Result, digits: int = 6, max_rows: int = tables_of.MAX_ROWS) -> str:
    """The forward, backward and summary tables, separated by blank lines."""
    return "\n".join(table(t) for t in tables_of.tables(result, digits, max_rows))


def output(result: Result, options: Options) -> str:
    """The registry's entry."""
    return render(result, options.digits, options.max_rows)
