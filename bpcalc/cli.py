"""The command line: gather options, call bpcalc's API, pick a renderer, map errors to exit codes."""
from __future__ import annotations

import gc
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import BpcalcError, ExitCode, InputError, suggest
from .text import visible

app = typer.Typer(
    name="bpcalc",
    help="Backpropagation step by step: the forward and reverse pass of an expression at a point.",
    epilog="Example: bpcalc grad \"(x+y)*z\" --at x=-2,y=5,z=-4",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["--help"]},
)


class Tie(str, Enum):
    indicator = "indicator"
    split = "split"


class GradFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"


class GraphFormat(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"
    mermaid = "mermaid"


def _version(value: bool) -> None:
    if value:
        print(f"bpcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Backpropagation step by step: the forward and reverse pass of an expression at a point."""


# Parameters several commands share, defined once.
EXPR_ARGUMENT = typer.Argument(
    None, metavar="EXPR", help="Expression or program ('q = x+y; q*z'); '-' reads standard input.", show_default=False
)
AT_OPTION = typer.Option(
    None, "--at", metavar="NAME=VALUE,...", help="Values of the variables; may repeat.", show_default=False
)
FILE_OPTION = typer.Option(None, "--file", metavar="PATH", help="Read the program from a file.", show_default=False)
VALUES_OPTION = typer.Option(
    None, "--values", metavar="FILE", help="Read values from a JSON object of names to numbers or nested lists.", show_default=False
)
TIE_OPTION = typer.Option(Tie.indicator, "--tie", help="Rule at a max/min tie: indicator gives 0 to both inputs, split 1/2 each.")
DEBUG_OPTION = typer.Option(False, "--debug", help="Show Python tracebacks for errors.")


MAX_WARNINGS = 20  # on stderr; the JSON has every one
GRAD_OPTIONS = {"--at", "--values", "--wrt", "--json", "--format", "--standalone", "--tree", "--file", "--tie",
                "--precision", "--max-rows", "--debug", "--help"}  # for "did you mean" on a mistyped option
GRAPH_OPTIONS = {"--at", "--values", "--file", "--output", "--format", "--tie", "--precision", "--max-nodes", "--debug", "--help"}


@app.command(
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
        "Exit codes: 0 ok, 2 bad input, 3 math undefined at the point."
    ),
)
def grad(
    # A list, so that a mistyped option or an unquoted expression gets a clear message
    # rather than Click's "unexpected extra argument".
    expr: Optional[List[str]] = EXPR_ARGUMENT,
    at: Optional[List[str]] = AT_OPTION,
    wrt: Optional[str] = typer.Option(
        None, "--wrt", metavar="NAMES", help="Report gradients for these names only (variables or named values).", show_default=False
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object (schema in the README) instead of tables."),
    fmt: GradFormat = typer.Option(
        GradFormat.table, "--format", help="table; json (as --json); markdown (the tables); latex (the chain rule, with numbers)."
    ),
    standalone: bool = typer.Option(False, "--standalone", help="With --format latex: a whole document, ready for pdflatex."),
    tree: bool = typer.Option(False, "--tree", help="Show the graph as a tree, the output at the root, with values and gradients."),
    file: Optional[Path] = FILE_OPTION,
    values: Optional[Path] = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the tables (JSON is exact)."),
    max_rows: int = typer.Option(
        400, "--max-rows", min=0, metavar="N", help="Nodes per table before the middle is elided; 0 shows all."
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Compute every node's value and gradient, and show backpropagation step by step."""

    def body() -> None:
        _check_grad_format(json_out, fmt, standalone, tree)
        source = _read_source(expr, file)
        from . import grad as compute

        point = list(at or []) + ([_read_values(values)] if values is not None else [])
        result = compute(source, at=point, wrt=wrt, tie=tie.value)
        _warn(result.warnings)
        if json_out or fmt is GradFormat.json:
            from .render.json import dumps

            _out(dumps(result) + "\n")
        elif tree:
            from .render.tree import print_tree

            print_tree(result, precision, max_rows)
        elif fmt is GradFormat.markdown:
            from .render.markdown import render as markdown

            _out(markdown(result, precision, max_rows))
        elif fmt is GradFormat.latex:
            from .render.latex import render as latex

            _out(latex(result, precision, standalone))
        else:
            from .render.table import print_result

            print_result(result, precision, max_rows)

    _guard(debug, body)


IMAGE_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
MERMAID_MAX_EDGES = 500  # Mermaid's default maxEdges: beyond it a renderer refuses the chart


@app.command(
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
    expr: Optional[List[str]] = EXPR_ARGUMENT,
    at: Optional[List[str]] = AT_OPTION,
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="PATH",
        help="Write to PATH; its suffix (.svg .png .pdf .dot .mmd) gives the format. Without it, text goes to stdout.",
        show_default=False,
    ),
    fmt: Optional[GraphFormat] = typer.Option(
        None, "--format", help="svg, png, pdf (drawn by Graphviz), dot or mermaid (text). Default: from -o, else dot.",
        show_default=False,
    ),
    file: Optional[Path] = FILE_OPTION,
    values: Optional[Path] = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits on the edges."),
    max_nodes: int = typer.Option(
        1000, "--max-nodes", min=0, metavar="N", help="Refuse to draw an image of more nodes (layout takes long); 0: no limit."
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Draw the computational graph: each edge with its value (green) and the gradient passed back along it (red)."""

    def body() -> None:
        kind = _graph_format(fmt, output)
        source = _read_source(expr, file, command="graph", options=GRAPH_OPTIONS)
        from . import grad as compute

        point = list(at or []) + ([_read_values(values)] if values is not None else [])
        result = compute(source, at=point, tie=tie.value)
        _warn([w for w in result.warnings if w.kind != "kink"])  # kinks are marked in the picture
        if kind == "mermaid":
            from .render.mermaid import render as mermaid

            data = mermaid(result, precision).encode("utf-8")
            uses = sum(len(node.inputs) for node in result.graph.nodes)
            if uses + 1 > MERMAID_MAX_EDGES:
                _say(f"warning: {uses + 1} edges: Mermaid draws at most {MERMAID_MAX_EDGES} unless its maxEdges is raised")
        elif kind == "dot":
            from .render.dot import source as dot_source

            data = dot_source(result, precision).encode("utf-8")
        else:
            from .render.dot import check_size, draw

            check_size(result, max_nodes)
            if output in (None, "-") and sys.stdout.isatty() and kind != "svg":
                raise InputError(f"a {kind.upper()} image is not for the terminal: give a file, e.g. -o graph.{kind}")
            data = draw(result, kind, precision)
        _write_output(data, output)

    _guard(debug, body)


def _graph_format(fmt: Optional[GraphFormat], output: Optional[str]) -> str:
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


def _write_output(data: bytes, output: Optional[str]) -> None:
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from .files import write_atomic

    write_atomic(output, data)


def _check_grad_format(json_out: bool, fmt: GradFormat, standalone: bool, tree: bool) -> None:
    """Refuse option combinations that ask for two outputs at once."""
    chosen = [name for name, on in (("--json", json_out), (f"--format {fmt.value}", fmt is not GradFormat.table), ("--tree", tree)) if on]
    if len(chosen) > 1 and chosen != ["--json", "--format json"]:
        raise InputError(f"{' and '.join(chosen)} ask for different outputs: choose one")
    if standalone and fmt is not GradFormat.latex:
        raise InputError("--standalone makes a whole LaTeX document: use it with --format latex")


def _read_source(
    words: Optional[List[str]], file: Optional[Path], *, command: str = "grad", options: set = GRAD_OPTIONS
) -> str:
    for word in words or ():
        if word.startswith("--") and word[2:3].isalpha():
            # Unknown options arrive here because "-x^2" must be allowed as EXPR.
            option = word.split("=", 1)[0]
            if option in options:  # a real option, so it came after "--", which ends the options
                raise InputError(
                    f"{option} comes after '--', so it is read as part of the expression",
                    f'put the options first: bpcalc {command} {option} ... -- "{words[0]}" '
                    f'(an expression that starts with a minus sign also works without --)',
                )
            near = suggest(option, options)
            raise InputError(f"no such option: {option}", f"did you mean {near}?" if near else f"see bpcalc {command} --help")
    if words and len(words) > 1:
        raise InputError(
            f"one expression expected, got {len(words)} arguments: {' '.join(words)}",
            f'quote the expression: bpcalc {command} "{" ".join(words)}" --at ...',
        )
    expr = words[0] if words else None
    if expr is not None and file is not None:
        raise InputError("give the expression either as EXPR or with --file, not both")
    if file is not None:
        from .files import read_text

        return read_text(file, kind="program")  # a byte-order mark from Windows editors is not code
    if expr is None:
        raise InputError(
            "no expression: give one as EXPR, '-' for standard input, or --file PATH",
            f'e.g. bpcalc {command} "(x+y)*z" --at x=-2,y=5,z=-4',
        )
    if expr == "-":
        from .files import read_stream

        return read_stream(sys.stdin.buffer, kind="program")
    return expr


def _read_values(path: Path) -> dict:
    import json

    from .files import read_text

    text = read_text(path, kind="values")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path} is not JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{path} is not JSON we can read: nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a JSON object of names to values, as in {{\"w\": [0.5, -0.3], \"y\": 1}}")
    return data


def _say(message: str) -> None:
    """A message on stderr; what it quotes from files (names, keys, answers) shows its control characters."""
    sys.stderr.write(visible(message, newlines=True) + "\n")


def _fail(exc: BpcalcError) -> None:
    _say(f"error: {exc}")
    raise typer.Exit(int(exc.exit_code))


def _fail_internal(exc: Exception) -> None:
    _say(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in bpcalc; please report it with the command you ran (--debug shows the traceback)."
    )
    raise typer.Exit(int(ExitCode.INTERNAL))


# ---------------------------------------------------------------- check, grade, key, gradcheck
# Answers, assignments and gradient checks (issue 4): each command gathers its
# options, calls bpcalc.check, bpcalc.assignment or bpcalc.gradcheck, and hands
# the result to a renderer in bpcalc/render/check_*.py.

CHECK_OPTIONS = {
    "--at", "--expect", "--answers", "--assignment", "--file", "--rtol", "--atol", "--places",
    "--tie", "--json", "--precision", "--debug", "--help",
}
GRADCHECK_OPTIONS = {"--at", "--wrt", "--file", "--tie", "--json", "--precision", "--debug", "--help"}
PROGRESS_AT = 20  # submissions before `grade` shows a progress bar on a terminal


def _tolerance(rtol: Optional[float], atol: Optional[float], places: Optional[int]) -> dict:
    """The tolerance settings the options give, field by field: each overrides only its own."""
    if places is not None and (rtol is not None or atol is not None):
        raise InputError("give either --places or --rtol/--atol, not both")
    given = {"rtol": rtol, "atol": atol, "places": places}
    return {name: value for name, value in given.items() if value is not None}


def _warn(warnings) -> None:
    for warning in warnings[:MAX_WARNINGS]:
        _say(f"warning: {warning.message}")
    if len(warnings) > MAX_WARNINGS:
        _say(f"warning: … and {len(warnings) - MAX_WARNINGS} more (--json lists them all)")


def _out(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def _write(path: str, text: str) -> None:
    """Write an output file; '-' is standard output."""
    if path == "-":
        _out(text)
        return
    from .files import write_atomic

    write_atomic(path, text.encode("utf-8"))


def _guard(debug: bool, body) -> None:
    """Run a command's body: bad input and undefined math as one paragraph, a bug as an internal error."""
    # A big input builds millions of acyclic objects that the cyclic collector would
    # only rescan, up to a third of the run: paused for the command, then restored.
    collecting = gc.isenabled()
    gc.disable()
    try:
        body()
    except BpcalcError as exc:
        if debug:
            raise
        _fail(exc)
    except typer.Exit:
        raise
    except Exception as exc:  # a bug in bpcalc, not bad input: say so briefly
        if debug:
            raise
        _fail_internal(exc)
    finally:
        if collecting:
            gc.enable()


@app.command(
    context_settings={"ignore_unknown_options": True},
    epilog=(
        "Examples:\n\n"
        '  bpcalc check "q = x + y; f = q * z" --at x=-2,y=5,z=-4 --expect "q=3, f=-12, df/dq=-4, df/dx=-4, df/dy=-4, df/dz=3"\n\n'
        '  bpcalc check "x*x + x" --at x=3 --expect "d/dx=6"\n\n'
        '  bpcalc check "max(0, 1 - w*phi*y)" --at w=0.5,phi=1,y=1 --answers mine.toml --places 2\n\n'
        "  bpcalc check --assignment hw.toml --answers student1.toml\n\n"
        "Answers: a name for a value (q=3), df/dq or d/dq for the gradient of the output f.\n\n"
        "Exit codes: 0 all right, 1 some answer wrong or missing, 2 bad input, 3 math undefined at the point."
    ),
)
def check(
    expr: Optional[List[str]] = typer.Argument(
        None, metavar="[EXPR]", help="Expression or program; '-' reads standard input.", show_default=False
    ),
    at: Optional[List[str]] = AT_OPTION,
    expect: Optional[List[str]] = typer.Option(
        None, "--expect", metavar="ANSWERS", help='The answers to check: "q=3, f=-12, df/dq=-4"; may repeat.', show_default=False
    ),
    answers: Optional[Path] = typer.Option(
        None, "--answers", metavar="FILE", help="Answers from a TOML or JSON file.", show_default=False
    ),
    assignment: Optional[Path] = typer.Option(
        None, "--assignment", metavar="FILE", help="Check --answers against every problem of this assignment (TOML).", show_default=False
    ),
    file: Optional[Path] = FILE_OPTION,
    rtol: Optional[float] = typer.Option(
        None, "--rtol", metavar="R", help="Relative tolerance: right when |given − right| ≤ atol + rtol·|right| (default 0.01).", show_default=False
    ),
    atol: Optional[float] = typer.Option(None, "--atol", metavar="A", help="Absolute tolerance (default 0.001).", show_default=False),
    places: Optional[int] = typer.Option(
        None, "--places", min=0, max=12, metavar="N", help="Instead: right when equal after rounding to N decimals.", show_default=False
    ),
    tie: Optional[Tie] = typer.Option(
        None, "--tie", help="Rule at a max/min tie (default indicator, or the assignment's).", show_default=False
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the verdicts as one JSON object."),
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the table (JSON is exact)."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Check hand-computed values and gradients, and name the mistakes behind wrong ones."""
    outcome = {"ok": True}

    def body() -> None:
        tolerance = _tolerance(rtol, atol, places)
        if assignment is not None:
            if expr or file is not None or at:
                raise InputError("with --assignment, the expressions and points come from the assignment: drop EXPR, --file and --at")
            if expect:
                raise InputError("with --assignment, the answers come from a file: use --answers FILE, not --expect")
            if answers is None:
                raise InputError("--assignment needs the student's answers: add --answers FILE")
            from .assignment import check_submission, load_assignment, read_submission

            homework = load_assignment(assignment, tolerance=tolerance, tie=tie.value if tie else None)
            graded = check_submission(homework, read_submission(answers, homework))
            for note in graded.notes:
                _say(f"warning: {note}")
            if json_out:
                from .render.check_json import dumps, graded_dict

                _out(dumps(graded_dict(graded)) + "\n")
            else:
                from .render.check_table import graded_report, print_renderable

                print_renderable(graded_report(graded, homework, precision))
            outcome["ok"] = graded.ok
            return
        source = _read_source(expr, file, command="check", options=CHECK_OPTIONS)
        items: list = list(expect or [])
        if answers is not None:
            from .assignment import read_data

            items.append(read_data(answers))
        from .check import Tolerance
        from .check import check as run_check

        checked = run_check(source, at or [], items, tolerance=Tolerance(**tolerance), tie=tie.value if tie else "indicator")
        _warn(checked.result.warnings)
        if json_out:
            from .render.check_json import check_dict, dumps

            _out(dumps(check_dict(checked)) + "\n")
        else:
            from .render.check_table import check_report, print_renderable

            print_renderable(check_report(checked, precision))
        outcome["ok"] = checked.ok

    _guard(debug, body)
    if not outcome["ok"]:
        raise typer.Exit(int(ExitCode.WRONG))


@app.command(
    epilog=(
        "Examples:\n\n"
        "  bpcalc grade hw.toml submissions/\n\n"
        "  bpcalc grade hw.toml submissions/ --csv grades.csv --jsonl grades.jsonl\n\n"
        "  bpcalc grade hw.toml alice.toml bob.json --csv -\n\n"
        "  bpcalc grade hw.toml /autograder/submission --gradescope /autograder/results/results.json\n\n"
        "Exit codes: 0 every submission graded, 2 bad input (the assignment, or a submission that could not be read: "
        "the others are still graded and written), 3 math undefined in a problem."
    ),
)
def grade(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment (TOML).", show_default=False),
    submissions: List[Path] = typer.Argument(
        ..., metavar="SUBMISSIONS...", help="Answer files (TOML or JSON), or folders of them.", show_default=False
    ),
    csv_out: Optional[str] = typer.Option(None, "--csv", metavar="FILE", help="Write the scores as CSV ('-' for standard output).", show_default=False),
    jsonl: Optional[str] = typer.Option(None, "--jsonl", metavar="FILE", help="Write one JSON line per student ('-' for standard output).", show_default=False),
    gradescope: Optional[str] = typer.Option(
        None, "--gradescope", metavar="FILE", help="Write Gradescope's results.json for the one submission.", show_default=False
    ),
    rtol: Optional[float] = typer.Option(None, "--rtol", metavar="R", help="Override the assignment's relative tolerance.", show_default=False),
    atol: Optional[float] = typer.Option(None, "--atol", metavar="A", help="Override the assignment's absolute tolerance.", show_default=False),
    places: Optional[int] = typer.Option(
        None, "--places", min=0, max=12, metavar="N", help="Override: right when equal after rounding to N decimals.", show_default=False
    ),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help=f"A progress bar on stderr (default: from {PROGRESS_AT} submissions, on a terminal).", show_default=False
    ),
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits in reports."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Grade many students' answer files against an assignment: a score table, CSV, JSON lines, Gradescope."""
    outcome = {"broken": 0}

    def body() -> None:
        from .assignment import grade as grade_all
        from .assignment import load_assignment, submission_files

        from .files import refuse_inputs

        # Before anything is written: never an output over an input, nor over any file in a graded folder.
        inputs = [assignment, *submissions]
        inputs += [entry for folder in submissions if folder.is_dir() for entry in folder.iterdir()]
        for out in (csv_out, jsonl, gradescope):
            if out is not None and out != "-":
                refuse_inputs(out, inputs)
        homework = load_assignment(assignment, tolerance=_tolerance(rtol, atol, places))
        try:
            files = submission_files(submissions, exclude=[assignment])
            if gradescope is not None and len(files) != 1:
                raise InputError(
                    f"--gradescope writes the results of one submission, and {len(files)} answer files were found",
                    "give one file, or a folder that holds one",
                )
        except BpcalcError as exc:
            if gradescope is not None:  # the student still sees why on Gradescope
                from .render.check_json import dumps

                reason = f"{exc.message}: {exc.hint}" if exc.hint else exc.message
                _write(gradescope, dumps({"score": 0, "output": f"Your submission could not be graded: {reason}", "tests": []}) + "\n")
            raise
        show = progress if progress is not None else (len(files) >= PROGRESS_AT and sys.stderr.isatty())
        if show:
            from rich.console import Console
            from rich.progress import Progress

            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("grading", total=len(files))
                graded = grade_all(homework, files, progress=lambda n: bar.update(task, completed=n))
        else:
            graded = grade_all(homework, files)
        for g in graded:
            if g.error is not None:
                _say(f"error: {g.path}: {g.error} (not graded; the others are)")
            for note in g.notes:
                _say(f"warning: {g.path}: {note}")
        outcome["broken"] = sum(g.error is not None for g in graded)
        if csv_out is not None:
            from .render.check_text import grades_csv

            _write(csv_out, grades_csv(graded, homework))
        if jsonl is not None:
            from .render.check_json import grades_jsonl

            _write(jsonl, grades_jsonl(graded))
        if gradescope is not None:
            from .render.check_json import dumps
            from .render.check_json import gradescope as results

            _write(gradescope, dumps(results(graded[0], precision)) + "\n")
        if "-" not in (csv_out, jsonl, gradescope):
            from .render.check_table import grades_table, print_renderable

            print_renderable(grades_table(graded, homework))

    _guard(debug, body)
    if outcome["broken"]:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


@app.command(
    epilog=(
        "Examples:\n\n"
        "  bpcalc key hw.toml\n\n"
        "  bpcalc key hw.toml --markdown > key.md\n\n"
        "  bpcalc key hw.toml --json | jq '.problems[0].answers'\n\n"
        "  bpcalc key hw.toml --toml > key.toml   # an answer file that scores full marks\n\n"
        "Exit codes: 0 ok, 2 bad input, 3 math undefined in a problem."
    ),
)
def key(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment (TOML).", show_default=False),
    json_out: bool = typer.Option(False, "--json", help="Print the key as one JSON object (exact numbers)."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the key as Markdown."),
    toml: bool = typer.Option(False, "--toml", help="Print the key as an answer file (TOML, exact numbers)."),
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the table and Markdown."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Print the answer key of an assignment: every asked value and gradient."""

    def body() -> None:
        if json_out + markdown + toml > 1:
            raise InputError("give one of --json, --markdown and --toml")
        from .assignment import load_assignment

        homework = load_assignment(assignment)
        if json_out:
            from .render.check_json import dumps, key_dict

            _out(dumps(key_dict(homework)) + "\n")
        elif markdown:
            from .render.check_text import key_markdown

            _out(key_markdown(homework, precision))
        elif toml:
            from .render.check_text import key_toml

            _out(key_toml(homework))
        else:
            from .render.check_table import key_report, print_renderable

            print_renderable(key_report(homework, precision))

    _guard(debug, body)


@app.command(
    context_settings={"ignore_unknown_options": True},
    epilog=(
        "Examples:\n\n"
        '  bpcalc gradcheck "-y*log(sigmoid(w*x))" --at x=0.5,w=0.8,y=1\n\n'
        '  bpcalc gradcheck "max(0, 1 - w*phi*y)" --at w=1,phi=1,y=1\n\n'
        '  bpcalc gradcheck "relu(x)" --at x=0 --json | jq .rows\n\n'
        "Exit codes: 0 every gradient agrees, 1 some does not, 2 bad input, 3 math undefined at the point."
    ),
)
def gradcheck(
    expr: Optional[List[str]] = typer.Argument(
        None, metavar="EXPR", help="Expression or program; '-' reads standard input.", show_default=False
    ),
    at: Optional[List[str]] = AT_OPTION,
    wrt: Optional[str] = typer.Option(None, "--wrt", metavar="NAMES", help="Check these variables only.", show_default=False),
    file: Optional[Path] = FILE_OPTION,
    tie: Tie = TIE_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Print the rows as one JSON object."),
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the table (JSON is exact)."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Compare every backprop gradient with central differences; at a kink, with the one-sided derivatives."""
    outcome = {"ok": True}

    def body() -> None:
        source = _read_source(expr, file, command="gradcheck", options=GRADCHECK_OPTIONS)
        from .gradcheck import gradcheck as run_gradcheck

        checked = run_gradcheck(source, at or [], wrt=wrt, tie=tie.value)
        _warn(checked.result.warnings)
        if json_out:
            from .render.check_json import dumps, gradcheck_dict

            _out(dumps(gradcheck_dict(checked)) + "\n")
        else:
            from .render.check_table import gradcheck_report, print_renderable

            print_renderable(gradcheck_report(checked, precision))
        outcome["ok"] = checked.ok

    _guard(debug, body)
    if not outcome["ok"]:
        raise typer.Exit(int(ExitCode.WRONG))


def main() -> None:
    """Console-script entry point."""
    # Typer builds every command's Click parameters on each call, about 1 ms a
    # command; a one-shot call needs only the command it runs (the others stay
    # for `bpcalc --help` and for a mistyped command name).
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    chosen = [command for command in app.registered_commands if (command.name or command.callback.__name__) == name]
    if chosen:
        app.registered_commands = chosen
    app(prog_name="bpcalc")
