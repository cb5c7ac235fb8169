"""bpcalc diff: each partial derivative in closed form (SymPy, the optional extra bpcalc[symbolic])."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from .common import (
    DEBUG_OPTION,
    EXPR_ARGUMENT,
    FILE_OPTION,
    TIE_OPTION,
    Tie,
    command,
    exit_codes,
    out,
    read_source,
)


class DiffFormat(str, Enum):
    text = "text"
    latex = "latex"
    json = "json"


DIFF_OPTIONS = {"--wrt", "--format", "--json", "--keep-names", "--stats", "--standalone", "--file", "--tie", "--debug",
                "--help"}


@command(
    context_settings={"ignore_unknown_options": True},  # so "-x^2" is an expression, not an option
    epilog=(
        "Examples:\n\n"
        '  bpcalc diff "log(x1) + x1*x2 - sin(x2)"\n\n'
        '  bpcalc diff "max(0, 1 - w*phi*y)" --wrt w --format latex\n\n'
        '  bpcalc diff "q = x + y; f = q * z" --keep-names\n\n'
        '  bpcalc diff "l1 = 4*l0*(1-l0); l2 = 4*l1*(1-l1); l3 = 4*l2*(1-l2)" --stats\n\n'
        '  bpcalc diff "sigmoid(w*x + b)" --json | jq -r .derivative.w\n\n'
        'Needs SymPy: pip install sympy (from a checkout: pip install ".\\[symbolic]").\n\n'
        "Exit codes: 0 ok, 2 bad input (also without SymPy, or an expression too large for a closed form)."
    ),
)
def diff(
    expr: list[str] | None = EXPR_ARGUMENT,
    wrt: str | None = typer.Option(
        None, "--wrt", metavar="NAMES", help="Differentiate by these names only (variables or named values).",
        show_default=False,
    ),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", help="text (SymPy's notation), latex, or json."),
    json_out: bool = typer.Option(False, "--json", help="As --format json."),
    keep_names: bool = typer.Option(
        False, "--keep-names", help="Keep named intermediates as functions, q(x, y), rather than substituting them."
    ),
    stats: bool = typer.Option(
        False, "--stats", help="Sizes (SymPy's count_ops) raw, simplified and with cse, beside the graph's node count."
    ),
    standalone: bool = typer.Option(False, "--standalone", help="With --format latex: a whole document."),
    file: Path | None = FILE_OPTION,
    tie: Tie = TIE_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Each partial derivative of the output in closed form, simplified; kinks as explicit indicators."""
    with exit_codes(debug):
        from ..errors import InputError

        if json_out and fmt is DiffFormat.latex:
            raise InputError("--json and --format latex ask for different outputs: choose one")
        if standalone and fmt is not DiffFormat.latex:
            raise InputError("--standalone makes a whole LaTeX document: use it with --format latex")
        source = read_source(expr, file, command="diff", options=DIFF_OPTIONS)
        from ..parse import parse
        from ..render import diff as render
        from ..symbolic import diff as differentiate
        from ..symbolic import load_sympy, to_dict

        load_sympy()  # before parsing: a missing extra is said first
        names = [name.strip() for name in wrt.split(",") if name.strip()] if wrt is not None else None
        data = to_dict(differentiate(parse(source), names, tie=tie.value, keep_names=keep_names, stats=stats))
        if json_out or fmt is DiffFormat.json:
            out(render.dumps(data) + "\n")
        elif fmt is DiffFormat.latex:
            out(render.latex(data, standalone))
        else:
            out(render.text(data))
