"""`bpcalc train`'s terminal report: the rule, a table of the steps, the loss sparkline, the final parameters.

Rich is imported here only, so the --json path of `bpcalc train` never loads it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .. import optimizers
from . import ARRAY_ITEMS, number
from .table import GRAD, VALUE, console
from .train_text import sparkline


def header(training) -> Text:
    """The optimizer, its PyTorch equivalent, its settings and its rule; the data and the batches."""
    o, h = training.optimizer, training.hyper
    lines = [f"{o.title} ({o.torch}): {optimizers.settings(h)}"]
    lines += [f"  {line}" for line in optimizers.formula(o, h)]
    lines.append("  g = ∂loss/∂θ" + (", the mean over the batch" if training.data is not None else ""))
    data = training.data
    if data is not None:
        batch = (
            "all rows (full batch)"
            if training.batch == "all"
            else f"{training.batch} row{'s' if training.batch != 1 else ''}"
        )
        order = f", shuffled each epoch (seed {training.seed})" if training.shuffle else ", in order"
        lines.append(f"data: {data.path}, {len(data.rows)} rows; batch: {batch}{order}")
    return Text("\n".join(lines) + "\n")


def steps_table(training, shown: Sequence, digits: int = 6) -> Table:
    """One row per step and parameter: loss, value before, gradient, state, update, value after."""
    symbols = [symbol for _, symbol in training.optimizer.state]
    table = Table(title="Steps", box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    table.add_column("step", justify="right")
    if training.data is not None:
        table.add_column("rows", justify="left", overflow="fold")
    table.add_column("loss", justify="right")
    table.add_column("param", style="bold")
    table.add_column("value θ", style=VALUE, justify="right", overflow="fold")
    table.add_column("grad g", style=GRAD, justify="right", overflow="fold")
    for symbol in symbols:
        table.add_column(symbol, justify="right", overflow="fold")
    table.add_column("update", justify="right", overflow="fold")
    table.add_column("θ after", style=VALUE, justify="right", overflow="fold")
    keys = [key for key, _ in training.optimizer.state]
    for step in shown:
        lines = [
            (name, label, index) for name in training.params for label, index in _elements(name, step.before[name])
        ]
        for k, (name, label, index) in enumerate(lines):
            first = k == 0
            cells = [str(step.step) if first else ""]
            if training.data is not None:
                cells.append(_rows(step.rows) if first else "")
            cells += [number(step.loss, digits) if first else "", label]
            values = [
                step.before[name],
                step.gradient[name],
                *(step.state[name].get(key) for key in keys),
                step.update[name],
                step.after[name],
            ]
            cells += [number(_item(v, index), digits) for v in values]
            table.add_row(*cells, end_section=len(lines) > 1 and k == len(lines) - 1)
    return table


def _elements(name: str, value: Any) -> list[tuple[str, tuple | None]]:
    """A row per element for a small array (W[0,1]), so every number of the step has its own cell."""
    size = getattr(value, "size", 1)
    if isinstance(value, float) or size > ARRAY_ITEMS:
        return [(name, None)]
    import numpy as np  # only for arrays

    return [(f"{name}[{','.join(map(str, index))}]", index) for index in np.ndindex(value.shape)]


def _item(value: Any, index: tuple | None) -> Any:
    if index is None or value is None or isinstance(value, float):
        return value
    return float(value[index])


def _rows(rows: tuple[int, ...]) -> str:
    if len(rows) <= 4:
        return ", ".join(map(str, rows))
    return f"{rows[0]}, {rows[1]}, … {rows[-1]} ({len(rows)})"


def footer(
    training, losses: Sequence[float], final: dict[str, Any] | None, final_loss: float | None, digits: int = 6
) -> Group:
    """The loss curve as a sparkline, then the final parameters and loss."""
    parts: list[Any] = []
    if losses:
        count = f"{len(losses)} step{'s' if len(losses) != 1 else ''}"
        ends = f"{number(losses[0], digits)} → {number(losses[-1], digits)}"
        parts.append(Text(f"loss  {sparkline(losses)}  {ends} in {count}\n"))
    if final is not None:
        table = Table(title="Final parameters", box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
        table.add_column("param", style="bold")
        table.add_column("value", style=VALUE, justify="left", overflow="fold")
        for name in training.params:
            table.add_row(name, number(final[name], digits))
        parts.append(table)
    if final_loss is not None:
        where = f"the mean over all {len(training.data.rows)} rows" if training.data is not None else "at the point"
        parts.append(
            Text(f"{training.graph.output_label} = {number(final_loss, digits)} after the last step ({where})")
        )
    return Group(*parts)


def report(
    training, shown: Sequence, losses: Sequence[float], final: dict | None, final_loss: float | None, digits: int = 6
) -> Group:
    parts: list[Any] = [header(training)]
    if shown:
        parts.append(steps_table(training, shown, digits))
    parts.append(footer(training, losses, final, final_loss, digits))
    return Group(*parts)


def print_report(*args: Any, **kwargs: Any) -> None:
    console().print(report(*args, **kwargs))


def to_text(*args: Any, width: int = 120, **kwargs: Any) -> str:
    """The report as plain text at a fixed width, colour off: for the README and tests."""
    buffer = io.StringIO()
    console(file=buffer, width=width, color_system=None, force_terminal=False).print(report(*args, **kwargs))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
