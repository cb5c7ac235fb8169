"""The step-by-step tables for the terminal: the only module that imports rich.table.

The cells come from rows.py, as Markdown's and the notebook's do, so the
formats cannot disagree; this module only adds Rich's layout and colours.
"""
from __future__ import annotations

import io
import os
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table

from ..graph import Result
from . import Options, rows
from .rows import MAX_ROWS

# The course draws values in green and gradients in red.
VALUE = "green"
GRAD = "red"


def _style(header: str) -> str | None:
    if header in ("node", "name"):
        return "bold"
    if header == "value":
        return VALUE
    if header == "contribution" or header.startswith(("upstream", "∂")):
        return GRAD
    return None


def _rich(plain: rows.Table) -> Table:
    """A rows.Table laid out by Rich: elided rows as one '⋮ N more' row and a caption."""
    table = Table(title=plain.title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    for header, numeric in zip(plain.headers, plain.numeric):
        expression = header == "expression"  # long source text is cut, not wrapped
        table.add_column(header, style=_style(header), justify="right" if numeric else "left",
                         no_wrap=expression, overflow="ellipsis" if expression else "fold")
    for row in plain.rows:
        if row is None:
            table.add_row("⋮", f"{plain.hidden} more", style="dim")
        else:
            table.add_row(*row)
    if plain.hidden:
        table.caption = f"{plain.hidden} of {plain.total} rows not shown: --max-rows 0 shows all, --json has every step"
    return table


def forward_table(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """Every node in topological order: label, op, inputs, source text, value."""
    return _rich(rows.forward(result, digits, max_rows))


def backward_table(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """The reverse pass in visiting order: each node's upstream gradient and what it passes down."""
    return _rich(rows.backward(result, digits, max_rows))


def summary_table(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Table:
    """The output's value and the gradient for every variable (or --wrt)."""
    return _rich(rows.summary(result, digits, max_rows))


def render(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> Group:
    """All three tables, forward, backward and summary, as one renderable."""
    return Group(*(_rich(table) for table in rows.tables(result, digits, max_rows)))


class _Console(Console):
    """Rich's console, except that output to a file or pipe has no trailing spaces
    (Rich pads every line of a table to its width)."""

    def text(self, *objects: Any, **kwargs: Any) -> str:
        """What print() writes, as a string."""
        with self.capture() as captured:
            super().print(*objects, **kwargs)
        text = captured.get()
        return text if self.is_terminal else "\n".join(line.rstrip(" ") for line in text.split("\n"))

    def print(self, *objects, **kwargs) -> None:
        if self.is_terminal:
            super().print(*objects, **kwargs)
            return
        self.file.write(self.text(*objects, **kwargs))
        self.file.flush()


def console(**options: Any) -> _Console:
    """A console for our tables: cells are plain text (a formula such as [a > b] is not
    Rich markup), and NO_COLOR turns off every style, bold included, not only colour."""
    if os.environ.get("NO_COLOR"):
        options.setdefault("color_system", None)
    return _Console(markup=False, highlight=False, **options)


def print_result(result: Result, digits: int = 6, max_rows: int = MAX_ROWS) -> None:
    console().print(render(result, digits, max_rows))


def to_text(result: Result, digits: int = 6, width: int = 100, max_rows: int = MAX_ROWS) -> str:
    """The tables as plain text at a fixed width, colour off: for files and golden tests."""
    buffer = io.StringIO()
    console(file=buffer, width=width, color_system=None, force_terminal=False).print(render(result, digits, max_rows))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def print_tables(tables: list[rows.Table]) -> None:
    """Plain tables (forward mode's trace, closed forms, a Hessian) laid out by Rich on stdout."""
    console().print(Group(*(_rich(table) for table in tables)))


def tables_to_text(tables: list[rows.Table], width: int = 100) -> str:
    """Plain tables as text at a fixed width, colour off: for files and golden tests."""
    buffer = io.StringIO()
    console(file=buffer, width=width, color_system=None, force_terminal=False).print(
        Group(*(_rich(table) for table in tables))
    )
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def output(result: Result, options: Options) -> str:
    """The registry's entry: what print_result prints, as text (colour and width from stdout)."""
    return console().text(render(result, options.digits, options.max_rows))
