"""bpcalc explain: backprop one step at a time, as a self-contained HTML page, in the terminal, or as sentences."""
from __future__ import annotations

import sys
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


@command(
    context_settings={"ignore_unknown_options": True},  # so "-x^2" is an expression, not an option
    epilog=(
        "Examples:\n\n"
        '  bpcalc explain "(x+y)*z" --at x=-2,y=5,z=-4 -o page.html\n\n'
        '  bpcalc explain "x*x + x" --at x=3\n\n'
        '  bpcalc explain "max(0, 1 - w*phi*y)" --at w=1,phi=1,y=1 > steps.txt\n\n'
        "  bpcalc explain --file model.bp --at x=1.5,w1=0.7 -o model.html --precision 3\n\n"
        "Without -o on a terminal: Enter or → next, ← back, q quit. Otherwise every step's sentence, one per line.\n\n"
        # the backslash keeps Rich's help markup from taking [graph] for a style
        "The page's picture needs Graphviz: pip install graphviz "
        "(from a checkout: pip install \".\\[graph]\") and the dot program; "
        "without it the page has the tables and the stepper.\n\n"
        "Exit codes: 0 ok, 2 bad input, 3 math undefined at the point."
    ),
)
def explain(
    expr: list[str] | None = EXPR_ARGUMENT,
    at: list[str] | None = AT_OPTION,
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="PATH",
        help="Write the page (one self-contained HTML file) to PATH; '-' writes it to stdout.",
        show_default=False,
    ),
    file: Path | None = FILE_OPTION,
    values: Path | None = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits."),
    max_nodes: int = typer.Option(
        1000, "--max-nodes", min=0, metavar="N", help="Leave the picture out of a page of more nodes; 0: no limit."
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Step through backpropagation: forward one node at a time, then back one contribution at a time."""
    with exit_codes(debug):
        source = read_source(expr, file)
        from .. import grad as compute

        result = compute(source, at=point_of(at, values), tie=tie.value)
        others = [w for w in result.warnings if w.kind != "kink"]  # kinks are marked on their steps
        if output is not None:
            from ..files import write_file
            from ..render import Options, render

            warn(others)
            page = str(render(result, Options(format="html", digits=precision, max_nodes=max_nodes)))
            if output == "-":
                out(page)
            else:
                write_file(output, page, inputs=[p for p in (file, values) if p is not None])
        elif sys.stdout.isatty() and sys.stdin.isatty():
            from ..render.explain_term import run

            run(result, precision)
            warn(others)  # after the stepper, which clears the screen
        else:
            from ..render.explain import sentences

            warn(others)
            out("".join(sentence + "\n" for sentence in sentences(result, precision)))
