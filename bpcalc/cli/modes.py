"""What grad shows with --mode forward, --symbolic and --exact: the library calls and their renderers.

grad.py gathers the options and runs the float64 passes; this module adds the
forward-mode trace, the closed forms (SymPy, the symbolic extra) and the exact
fractions, and prints them. Nothing here is imported on grad's plain path.
"""
from __future__ import annotations

import json
from typing import Any

from .common import out, warn


def show_modes(
    result: Any, point: list, wrt: str | None, as_json: bool, fmt: str, *, forward: bool, symbolic: bool, exact: bool,
    precision: int, max_rows: int, standalone: bool, tree: bool,
) -> None:
    """Compute what the options ask beside the float run `result`, and print it in one output."""
    trace = forms = exact_result = None
    if forward:
        from ..forward_mode import trace as forward_trace

        trace = forward_trace(result)
    if symbolic:
        forms = _closed_forms(result)
    if exact:
        from ..exact import run as run_exact

        names = [name.strip() for name in wrt.split(",") if name.strip()] if wrt is not None else None
        exact_result = run_exact(result.graph, point, wrt=names, tie=result.tie)
        warn([w for w in exact_result.warnings if w.kind == "kink" and w not in result.warnings])
    if as_json:
        out(json.dumps(_json(result, trace, forms, exact_result), allow_nan=False, ensure_ascii=False,
                       separators=(",", ":")) + "\n")
        return
    shown = exact_result if exact_result is not None else result
    if fmt == "markdown":
        from ..render.markdown import render as markdown

        out(markdown(shown, precision, max_rows))
    elif fmt == "latex":
        from ..render.latex import render as latex

        out(latex(shown, precision, standalone))
    elif tree:
        from ..render.tree import print_tree

        print_tree(shown, precision, max_rows)
    else:
        _tables(shown, trace, forms, precision, max_rows)


def _closed_forms(result: Any) -> list[tuple[str, float, str, float]]:
    from ..symbolic import closed_forms, text

    return [(name, form.backprop, text(form.expr), form.value) for name, form in closed_forms(result).items()]


def _json(result: Any, trace: Any, forms: Any, exact_result: Any) -> dict[str, Any]:
    if trace is not None:
        from ..render.forward import to_json

        data = to_json(trace)
    else:
        from ..render.json import to_dict

        data = to_dict(result)
    if forms is not None:
        from ..render.diff import closed_forms_json

        data["symbolic"] = closed_forms_json(forms)
    if exact_result is not None:
        from ..exact import show

        data["exact"] = {
            "value": show(exact_result.value),
            "gradient": {name: show(g) for name, g in exact_result.gradient.items()},
        }
    return data


def _tables(shown: Any, trace: Any, forms: Any, precision: int, max_rows: int) -> None:
    from ..render import rows
    from ..render.table import print_tables

    if trace is not None:
        import shutil

        from ..render.forward import tables

        found = tables(trace, precision, max_rows, shutil.get_terminal_size((100, 24)).columns)
    else:
        found = rows.tables(shown, precision, max_rows)
    if forms is not None:
        from ..render.diff import closed_forms_table

        found.append(closed_forms_table(shown.output, forms, precision))
    print_tables(found)
