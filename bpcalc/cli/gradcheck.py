"""bpcalc gradcheck: every backprop gradient against central differences, kink-aware."""
from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ExitCode
from .common import (
    AT_OPTION,
    DEBUG_OPTION,
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


@command(
    context_settings={"ignore_unknown_options": True},
    epilog=(
        "Examples:\n\n"
        '  bpcalc gradcheck "-y*log(sigmoid(w*x))" --at x=0.5,w=0.8,y=1\n\n'
        '  bpcalc gradcheck "max(0, 1 - w*phi*y)" --at w=1,phi=1,y=1\n\n'
        '  bpcalc gradcheck "relu(x)" --at x=0 --json | jq .rows\n\n'
        '  bpcalc gradcheck "cross_entropy(W @ a + b, y)" --values layer.json\n\n'
        "Exit codes: 0 every gradient agrees, 1 some does not, 2 bad input, 3 math undefined at the point."
    ),
)
def gradcheck(
    expr: list[str] | None = typer.Argument(
        None, metavar="EXPR", help="Expression or program; '-' reads standard input.", show_default=False
    ),
    at: list[str] | None = AT_OPTION,
    wrt: str | None = typer.Option(
        None, "--wrt", metavar="NAMES", help="Check these variables only.", show_default=False
    ),
    file: Path | None = FILE_OPTION,
    values: Path | None = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Print the rows as one JSON object."),
    precision: int = typer.Option(
        6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the table (JSON is exact)."
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Compare every backprop gradient with central differences; at a kink, with the one-sided derivatives."""
    with exit_codes(debug):
        source = read_source(expr, file)
        from ..gradcheck import gradcheck as run_gradcheck

        checked = run_gradcheck(source, point_of(at, values), wrt=wrt, tie=tie.value)
        warn(checked.result.warnings)
        if json_out:
            from ..render.check_json import dumps, gradcheck_dict

            out(dumps(gradcheck_dict(checked)) + "\n")
        else:
            from ..render.check_table import gradcheck_report, print_renderable

            print_renderable(gradcheck_report(checked, precision))
        if not checked.ok:
            raise typer.Exit(int(ExitCode.WRONG))
