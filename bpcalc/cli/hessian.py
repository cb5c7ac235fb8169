"""bpcalc hessian: second derivatives by forward over reverse on bpcalc's own graph."""
from __future__ import annotations

from pathlib import Path

import typer

from .common import (
    AT_OPTION,
    DEBUG_OPTION,
    EXPR_ARGUMENT,
    FILE_OPTION,
    TIE_OPTION,
    VALUES_OPTION,
    Tie,
    command,
    exit_codes,
    out,
    point_of,
    read_source,
    warn,
)

HESSIAN_OPTIONS = {"--at", "--values", "--wrt", "--json", "--file", "--tie", "--precision", "--debug", "--help"}


@command(
    context_settings={"ignore_unknown_options": True},  # so "-x^2" is an expression, not an option
    epilog=(
        "Examples:\n\n"
        '  bpcalc hessian "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5\n\n'
        '  bpcalc hessian "h = tanh(w*x + b); (h - t)^2" --at w=0.5,x=1,b=0,t=1 --wrt w,b\n\n'
        '  bpcalc hessian "x^2*y + sin(y)" --at x=1,y=2 --json | jq .hessian\n\n'
        "Exit codes: 0 ok, 2 bad input, 3 math undefined at the point."
    ),
)
def hessian(
    expr: list[str] | None = EXPR_ARGUMENT,
    at: list[str] | None = AT_OPTION,
    wrt: str | None = typer.Option(
        None, "--wrt", metavar="NAMES", help="Second derivatives by these variables only.", show_default=False
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object (schema bpcalc.hessian/1)."),
    file: Path | None = FILE_OPTION,
    values: Path | None = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    precision: int = typer.Option(
        6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the tables (JSON is exact)."
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """The Hessian, ∂²f/∂xi∂xj for every pair of variables, by forward over reverse; 0 across a kink."""
    with exit_codes(debug):
        source = read_source(expr, file, command="hessian", options=HESSIAN_OPTIONS)
        from ..hessian import hessian as second_derivatives
        from ..parse import parse, parse_point
        from ..render import hessian as render

        names = [name.strip() for name in wrt.split(",") if name.strip()] if wrt is not None else None
        h = second_derivatives(parse(source), parse_point(point_of(at, values)), wrt=names, tie=tie.value)
        warn(h.warnings)
        if json_out:
            out(render.dumps(h) + "\n")
        else:
            from ..render.table import print_tables

            print_tables(render.tables(h, precision))
