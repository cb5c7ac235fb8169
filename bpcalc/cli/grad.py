"""bpcalc grad and bpcalc graph: an expression's passes as tables, JSON, Markdown, LaTeX, a tree or a picture."""
from __future__ import annotations

import sys
from enum import Enum
from itertools import chain
from pathlib import Path
from typing import Any

import typer

from ..errors import InputError
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
    out_pieces,
    point_of,
    read_source,
    say,
    warn,
    write_bytes,
)


class GradFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"


class Mode(str, Enum):
    reverse = "reverse"
    forward = "forward"


class GraphFormat(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"
    mermaid = "mermaid"


GRAD_OPTIONS = {"--at", "--values", "--wrt", "--json", "--format", "--standalone", "--tree", "--file", "--tie",
                "--precision", "--max-rows", "--mode", "--symbolic", "--exact", "--debug",
                "--help"}  # for "did you mean" on a mistyped option
GRAPH_OPTIONS = {"--at", "--values", "--file", "--output", "--format", "--tie", "--precision", "--max-nodes", "--debug",
                 "--help"}


@command(
    context_settings={"ignore_unknown_options": True},  # so "-x^2" is an expression, not an option
    epilog=(
        "Examples:\n\n"
        '  bpcalc grad "(x+y)*z" --at x=-2,y=5,z=-4\n\n'
        '  bpcalc grad "max(0, 1 - w*phi*y)" --at w=0.5,phi=1,y=1 --json | jq .gradient\n\n'
        '  bpcalc grad "q = x + y; f = q * z" --at x=-2,y=5 --at z=-4 --wrt q,x\n\n'
        '  bpcalc grad "-x^2" --at x=3\n\n'
        "  bpcalc grad --file model.bp --at x=1.5,w1=0.7\n\n"
        '  bpcalc grad "max(0, 1 - (w @ phi)*y)" --at "w=[0.5,-0.3],phi=[1,2],y=1"\n\n'
        '  bpcalc grad "cross_entropy(W @ a + b, y)" --values layer.json\n\n'
        '  bpcalc grad "q = x + y; f = q * z" --at x=-2,y=5,z=-4 --format latex --standalone > key.tex\n\n'
        '  bpcalc grad "x*x + x" --at x=3 --format markdown\n\n'
        '  bpcalc grad "(x+y)*z" --at x=-2,y=5,z=-4 --tree\n\n'
        '  bpcalc grad "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 --mode forward\n\n'
        '  bpcalc grad "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1 --symbolic\n\n'
        '  bpcalc grad "q = x + y; f = q * z" --at x=1/3,y=0.25,z=-4 --exact\n\n'
        "Exit codes: 0 ok, 2 bad input, 3 math undefined at the point, "
        "70 a bug (with --symbolic: a closed form that disagrees with backprop)."
    ),
)
def grad(
    # A list, so that a mistyped option or an unquoted expression gets a clear message
    # rather than Click's "unexpected extra argument".
    expr: list[str] | None = EXPR_ARGUMENT,
    at: list[str] | None = AT_OPTION,
    wrt: str | None = typer.Option(
        None,
        "--wrt",
        metavar="NAMES",
        help="Report gradients for these names only (variables or named values).",
        show_default=False,
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print one JSON object (schema in the README) instead of tables."
    ),
    fmt: GradFormat = typer.Option(
        GradFormat.table,
        "--format",
        help="table; json (as --json); markdown (the tables); latex (the chain rule, with numbers).",
    ),
    standalone: bool = typer.Option(
        False, "--standalone", help="With --format latex: a whole document, ready for pdflatex."
    ),
    tree: bool = typer.Option(
        False, "--tree", help="Show the graph as a tree, the output at the root, with values and gradients."
    ),
    file: Path | None = FILE_OPTION,
    values: Path | None = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    precision: int = typer.Option(
        6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the tables (JSON is exact)."
    ),
    max_rows: int = typer.Option(
        400, "--max-rows", min=0, metavar="N", help="Nodes per table before the middle is elided; 0 shows all."
    ),
    mode: Mode = typer.Option(
        Mode.reverse, "--mode", help="reverse (backprop) or forward: each node's tangent for each variable (or --wrt)."
    ),
    symbolic: bool = typer.Option(
        False, "--symbolic", help="Each gradient's closed form (SymPy) and its value, which must agree with backprop."
    ),
    exact: bool = typer.Option(
        False, "--exact",
        help="Exact fractions where every number and op is rational: --at x=1/3 gives 7/12, not 0.583.",
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Compute every node's value and gradient, and show backpropagation step by step."""
    with exit_codes(debug):
        check_grad_format(json_out, fmt, standalone, tree)
        check_modes(mode, symbolic, exact, json_out or fmt is GradFormat.json, fmt, tree)
        source = read_source(expr, file, command="grad", options=GRAD_OPTIONS)
        from .. import grad as compute

        point: Any = point_of(at, values)
        if exact:  # the exact fractions the point writes (1/3 too), and the float64 run at their nearest floats
            from ..exact import parse_point as exact_point

            point = exact_point(point)
        result = compute(source, at={k: float(v) for k, v in point.items()} if exact else point, wrt=wrt, tie=tie.value)
        warn(result.warnings)
        if mode is not Mode.reverse or symbolic or exact:
            from .modes import show_modes

            show_modes(result, point, wrt, json_out or fmt is GradFormat.json, fmt.value, forward=mode is Mode.forward,
                       symbolic=symbolic, exact=exact, precision=precision, max_rows=max_rows, standalone=standalone,
                       tree=tree)
        elif json_out or fmt is GradFormat.json:
            from ..render.json import chunks

            out_pieces(chain(chunks(result), ["\n"]))
        elif tree:
            from ..render.tree import print_tree

            print_tree(result, precision, max_rows)
        elif fmt is GradFormat.markdown:
            from ..render.markdown import render as markdown

            out(markdown(result, precision, max_rows))
        elif fmt is GradFormat.latex:
            from ..render.latex import render as latex

            out(latex(result, precision, standalone))
        else:
            from ..render.table import print_result

            print_result(result, precision, max_rows)


def check_modes(mode: Mode, symbolic: bool, exact: bool, as_json: bool, fmt: GradFormat, tree: bool) -> None:
    """The combinations of --mode forward, --symbolic and --exact with the output formats that bpcalc has."""
    if mode is Mode.forward and exact:
        raise InputError("--exact is for reverse mode: --mode forward computes its tangents in float64")
    plain = as_json or (fmt is GradFormat.table and not tree)
    if (mode is Mode.forward or symbolic) and not plain:
        chosen = "--mode forward" if mode is Mode.forward else "--symbolic"
        raise InputError(f"{chosen} shows tables or JSON: drop --tree or --format {fmt.value}")


def check_grad_format(json_out: bool, fmt: GradFormat, standalone: bool, tree: bool) -> None:
    """Refuse option combinations that ask for two outputs at once."""
    asked = (("--json", json_out), (f"--format {fmt.value}", fmt is not GradFormat.table), ("--tree", tree))
    chosen = [name for name, on in asked if on]
    if len(chosen) > 1 and chosen != ["--json", "--format json"]:
        raise InputError(f"{' and '.join(chosen)} ask for different outputs: choose one")
    if standalone and fmt is not GradFormat.latex:
        raise InputError("--standalone makes a whole LaTeX document: use it with --format latex")


IMAGE_SUFFIXES = {
    ".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"
}
MERMAID_MAX_EDGES = 500  # Mermaid's default maxEdges: beyond it a renderer refuses the chart


@command(
    context_settings={"ignore_unknown_options": True},  # so "-x^2" is an expression, not an option
    epilog=(
        "Examples:\n\n"
        '  bpcalc graph "(x+y)*z" --at x=-2,y=5,z=-4 -o graph.svg\n\n'
        '  bpcalc graph "x*x + x" --at x=3 -o fanout.png\n\n'
        "  bpcalc graph --file model.bp --at x=1.5,w1=0.7 -o model.pdf --precision 3\n\n"
        '  bpcalc graph "q = x + y; f = q * z" --at x=-2,y=5,z=-4 --format mermaid >> notes.md\n\n'
        '  bpcalc graph "(x+y)*z" --at x=-2,y=5,z=-4 --format dot | dot -Tpng > graph.png\n\n'
        # the backslash keeps Rich's help markup from taking [graph] for a style
        "Images (svg, png, pdf) need Graphviz: pip install \"bpcalc\\[graph]\" and the dot program "
        "(apt-get install graphviz, brew install graphviz); dot and mermaid text need neither.\n\n"
        "Exit codes: 0 ok, 2 bad input (also an image without Graphviz), 3 math undefined at the point."
    ),
)
def graph(
    expr: list[str] | None = EXPR_ARGUMENT,
    at: list[str] | None = AT_OPTION,
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="PATH",
        help="Write to PATH; its suffix (.svg .png .pdf .dot .mmd) gives the format. Without it, text goes to stdout.",
        show_default=False,
    ),
    fmt: GraphFormat | None = typer.Option(
        None, "--format", help="svg, png, pdf (drawn by Graphviz), dot or mermaid (text). Default: from -o, else dot.",
        show_default=False,
    ),
    file: Path | None = FILE_OPTION,
    values: Path | None = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    precision: int = typer.Option(
        6, "--precision", min=1, max=17, metavar="N", help="Significant digits on the edges."
    ),
    max_nodes: int = typer.Option(
        1000, "--max-nodes", min=0, metavar="N",
        help="Refuse to draw an image of more nodes (layout takes long); 0: no limit.",
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Draw the computational graph: each edge with its value (green) and the gradient passed back along it (red)."""
    with exit_codes(debug):
        kind = graph_format(fmt, output)
        source = read_source(expr, file, command="graph", options=GRAPH_OPTIONS)
        from .. import grad as compute

        result = compute(source, at=point_of(at, values), tie=tie.value)
        warn([w for w in result.warnings if w.kind != "kink"])  # kinks are marked in the picture
        if kind == "mermaid":
            from ..render.mermaid import render as mermaid

            data = mermaid(result, precision).encode("utf-8")
            uses = sum(len(node.inputs) for node in result.graph.nodes)
            if uses + 1 > MERMAID_MAX_EDGES:
                say(f"warning: {uses + 1} edges: Mermaid draws at most {MERMAID_MAX_EDGES} "
                    "unless its maxEdges is raised")
        elif kind == "dot":
            from ..render.dot import source as dot_source

            data = dot_source(result, precision).encode("utf-8")
        else:
            from ..render.dot import check_size, draw

            check_size(result, max_nodes)
            if output in (None, "-") and sys.stdout.isatty() and kind != "svg":
                raise InputError(f"a {kind.upper()} image is not for the terminal: give a file, e.g. -o graph.{kind}")
            data = draw(result, kind, precision)
        write_bytes(data, output)


def graph_format(fmt: GraphFormat | None, output: str | None) -> str:
    """The format asked for with --format, else the one -o's suffix names, else DOT text."""
    if fmt is not None:
        return fmt.value
    if output is None or output == "-":
        return "dot"
    suffix = Path(output).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise InputError(
            f"cannot tell the format from '{output}': use a name ending in {', '.join(IMAGE_SUFFIXES)}",
            "or give --format svg|png|pdf|dot|mermaid",
        )
    return IMAGE_SUFFIXES[suffix]
