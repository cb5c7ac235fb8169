"""bpcalc grad and bpcalc graph: an expression's passes as tables, JSON, Markdown, LaTeX, a tree or a picture."""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from ..errors import InputError
from ..render import FORMATS, Options, formats
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
    point_of,
    read_source,
    show,
    warn,
)

# --format's choices and their help, from the registry of formats (bpcalc/render/__init__.py)
GradFormat = Enum("GradFormat", {f.name: f.name for f in formats("grad")}, type=str)  # type: ignore[misc]
GraphFormat = Enum("GraphFormat", {f.name: f.name for f in formats("graph")}, type=str)  # type: ignore[misc]
GRAD_FORMATS_HELP = "; ".join(f.help for f in formats("grad")) + "."
_graph_helps = [f.help for f in formats("graph")]
GRAPH_FORMATS_HELP = f"{', '.join(_graph_helps[:-1])} or {_graph_helps[-1]}. Default: from -o, else dot."


class Mode(str, Enum):
    reverse = "reverse"
    forward = "forward"



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
    fmt: GradFormat = typer.Option(GradFormat["table"], "--format", help=GRAD_FORMATS_HELP),
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
        name = grad_format(json_out, fmt.value, standalone, tree)
        check_modes(mode, symbolic, exact, name == "json", fmt, tree)
        source = read_source(expr, file)
        from .. import grad as compute

        point: Any = point_of(at, values)
        if exact:  # the exact fractions the point writes (1/3 too), and the float64 run at their nearest floats
            from ..exact import parse_point as exact_point

            point = exact_point(point)
        result = compute(source, at={k: float(v) for k, v in point.items()} if exact else point, wrt=wrt, tie=tie.value)
        warn(result.warnings)
        if mode is not Mode.reverse or symbolic or exact:
            from .modes import show_modes

            show_modes(result, point, wrt, name == "json", fmt.value, forward=mode is Mode.forward,
                       symbolic=symbolic, exact=exact, precision=precision, max_rows=max_rows, standalone=standalone,
                       tree=tree)
        else:
            show(result, Options(format=name, digits=precision, max_rows=max_rows, standalone=standalone))


def check_modes(mode: Mode, symbolic: bool, exact: bool, as_json: bool, fmt: GradFormat, tree: bool) -> None:
    """The combinations of --mode forward, --symbolic and --exact with the output formats that bpcalc has."""
    if mode is Mode.forward and exact:
        raise InputError("--exact is for reverse mode: --mode forward computes its tangents in float64")
    plain = as_json or (fmt is GradFormat["table"] and not tree)
    if (mode is Mode.forward or symbolic) and not plain:
        chosen = "--mode forward" if mode is Mode.forward else "--symbolic"
        raise InputError(f"{chosen} shows tables or JSON: drop --tree or --format {fmt.value}")


def grad_format(json_out: bool, fmt: str, standalone: bool, tree: bool) -> str:
    """The format --json, --format and --tree ask for; refuse combinations that ask for two at once."""
    asked = (("--json", json_out), (f"--format {fmt}", fmt != "table"), ("--tree", tree))
    chosen = [name for name, on in asked if on]
    if len(chosen) > 1 and chosen != ["--json", "--format json"]:
        raise InputError(f"{' and '.join(chosen)} ask for different outputs: choose one")
    if standalone and fmt != "latex":
        raise InputError("--standalone makes a whole LaTeX document: use it with --format latex")
    return "json" if json_out else "tree" if tree else fmt


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
        "Images (svg, png, pdf) need Graphviz: pip install graphviz "
        "(from a checkout: pip install \".\\[graph]\") and the dot program "
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
    fmt: GraphFormat | None = typer.Option(None, "--format", help=GRAPH_FORMATS_HELP, show_default=False),
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
        kind = graph_format(fmt.value if fmt is not None else None, output)
        source = read_source(expr, file)
        from .. import grad as compute

        result = compute(source, at=point_of(at, values), tie=tie.value)
        options = Options(format=kind, digits=precision, max_nodes=max_nodes)
        warn(result.warnings)  # kinks too, as grad: the picture marks them, but a file or a pipe hides it
        if FORMATS[kind].binary and output in (None, "-") and sys.stdout.isatty():
            from ..render.dot import check_size

            check_size(result, max_nodes)  # the larger problem first
            raise InputError(f"a {kind.upper()} image is not for the terminal: give a file, e.g. -o graph.{kind}")
        show(result, options, output)


def graph_format(fmt: str | None, output: str | None) -> str:
    """The format asked for with --format, else the one -o's suffix names, else DOT text."""
    if fmt is not None:
        return fmt
    if output is None or output == "-":
        return "dot"
    suffix = Path(output).suffix.lower()
    by_suffix = {suffix: f.name for f in formats("graph") for suffix in f.suffixes}
    if suffix not in by_suffix:
        raise InputError(
            f"cannot tell the format from '{output}': use a name ending in {', '.join(by_suffix)}",
            f"or give --format {'|'.join(f.name for f in formats('graph'))}",
        )
    return by_suffix[suffix]
