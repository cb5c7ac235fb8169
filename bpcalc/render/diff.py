"""bpcalc diff's output as text, LaTeX or JSON, from symbolic.to_dict's plain data (no SymPy here)."""
from __future__ import annotations

import json
from typing import Any

INDICATOR = {
    "indicator": "Heaviside(u, 0) is the indicator [u > 0]: 1 where u > 0 and 0 where u <= 0, so at a kink "
    "(u = 0) it gives 0, the course's convention (relu'(0) = 0; a max/min tie gives 0 to both inputs).",
    "split": "Heaviside(u, 1/2) is 1 where u > 0, 0 where u < 0 and 1/2 at a max/min tie (--tie split); "
    "Heaviside(u, 0) is relu's indicator [u > 0], 0 at u = 0.",
}


def text(data: dict[str, Any]) -> str:
    """Each definition, the output's closed form, and each partial derivative, one per line."""
    output = data["output"]
    lines = [f"{d['function']} = {d['expr']}" for d in data["definitions"].values()]
    lines.append(f"{output} = {data['function']}")
    lines.append("")
    lines.extend(f"∂{output}/∂{name} = {expr}" for name, expr in data["derivative"].items())
    if data["indicators"]:
        lines += ["", INDICATOR[data["tie"]]]
    if data["notes"]:
        lines += ["", *data["notes"]]
    if "stats" in data:
        lines += ["", *stats_table(data)]
    return "\n".join(lines) + "\n"


def stats_table(data: dict[str, Any]) -> list[str]:
    """Sizes in SymPy's count_ops beside the graph's node count: the expression swell, shown."""
    stats, output = data["stats"], data["output"]
    rows = [("", "operations", "simplified", "with cse", "cse terms")]
    rows.append((output, str(stats["function"]), "", "", ""))
    for name, size in stats["derivative"].items():
        simplified = "-" if size["simplified"] is None else str(size["simplified"])
        rows.append((f"∂{output}/∂{name}", str(size["raw"]), simplified, str(size["cse"]), str(size["cse_terms"])))
    widths = [max(len(row[k]) for row in rows) for k in range(5)]
    lines = [f"Sizes (SymPy's count_ops); the graph has {stats['nodes']} nodes"]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  " + "   ".join(cells).rstrip())
    return lines


def latex(data: dict[str, Any], standalone: bool = False) -> str:
    """An align* environment: definitions, the output and each partial derivative."""
    tex = data["tex_names"]
    output = tex[data["output"]]
    lines = [f"{d['function_latex']} &= {d['latex']}" for d in data["definitions"].values()]
    lines.append(f"{output} &= {data['function_latex']}")
    lines.extend(
        f"\\frac{{\\partial {output}}}{{\\partial {tex[name]}}} &= {expr}" for name, expr in data["latex"].items()
    )
    body = "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"
    if data["indicators"]:
        body += (
            "where $[u > 0]$ is 1 for $u > 0$ and 0 otherwise"
            + (", and $H_{\\frac{1}{2}}(u)$ is $\\frac{1}{2}$ at $u = 0$" if data["tie"] == "split" else "")
            + ".\n"
        )
    if standalone:
        body = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + body + "\\end{document}\n"
    return body


def dumps(data: dict[str, Any]) -> str:
    """The JSON object: schema bpcalc.diff/1 (the README lists the keys)."""
    keys = ("schema", "expression", "output", "tie", "function", "derivative", "latex", "simplified", "symbols",
            "definitions", "notes")
    shown = {key: data[key] for key in keys}
    if "stats" in data:
        shown["stats"] = data["stats"]
    return json.dumps(shown, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# ---------------------------------------------------------------- grad --symbolic


def closed_forms_table(output: str, forms: list[tuple[str, float, str, float]], digits: int = 6) -> Any:
    """grad --symbolic's table: each gradient beside its closed form and that form's value at the point.

    `forms` holds (name, backprop's gradient, the closed form's text, its value).
    """
    from . import number
    from .rows import Table

    rows: list[tuple[str, ...] | None] = [
        (name, number(backprop, digits), text, number(value, digits)) for name, backprop, text, value in forms
    ]
    return Table(
        "Closed forms (SymPy), at the point",
        ("name", f"∂{output}/∂name", "closed form", "its value"), rows, 0, (False, True, False, True), len(rows),
        tuple(name for name, *_ in forms),
    )


def closed_forms_json(forms: list[tuple[str, float, str, float]]) -> dict[str, Any]:
    """The "symbolic" entry of grad's JSON: {name: {"expr": SymPy's text, "value": its value}}."""
    from .json import number as json_number

    return {name: {"expr": text, "value": json_number(value)} for name, _, text, value in forms}
