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


def _version(value: bool) -> None:
    if value:
        print(f"bpcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Backpropagation step by step: the forward and reverse pass of an expression at a point."""


MAX_WARNINGS = 20  # on stderr; the JSON has every one
GRAD_OPTIONS = {"--values", "--at", "--wrt", "--json", "--file", "--tie", "--precision", "--max-rows", "--debug", "--help"}


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
        "Exit codes: 0 ok, 2 bad input, 3 math undefined at the point."
    ),
)
def grad(
    # A list, so that a mistyped option or an unquoted expression gets a clear message
    # rather than Click's "unexpected extra argument".
    expr: Optional[List[str]] = typer.Argument(
        None, metavar="EXPR", help="Expression or program ('q = x+y; q*z'); '-' reads standard input.", show_default=False
    ),
    at: Optional[List[str]] = typer.Option(
        None, "--at", metavar="NAME=VALUE,...", help="Values of the variables; may repeat.", show_default=False
    ),
    wrt: Optional[str] = typer.Option(
        None, "--wrt", metavar="NAMES", help="Report gradients for these names only (variables or named values).", show_default=False
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object (schema in the README) instead of tables."),
    file: Optional[Path] = typer.Option(None, "--file", metavar="PATH", help="Read the program from a file.", show_default=False),
    values: Optional[Path] = typer.Option(
        None, "--values", metavar="FILE", help="Read values from a JSON object of names to numbers or nested lists.", show_default=False
    ),
    tie: Tie = typer.Option(Tie.indicator, "--tie", help="Rule at a max/min tie: indicator gives 0 to both inputs, split 1/2 each."),
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the tables (JSON is exact)."),
    max_rows: int = typer.Option(
        400, "--max-rows", min=0, metavar="N", help="Nodes per table before the middle is elided; 0 shows all."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for errors."),
) -> None:
    """Compute every node's value and gradient, and show backpropagation step by step."""
    # A one-shot process that builds millions of acyclic objects for a big
    # input: the cyclic collector would only rescan them (up to a third of the run).
    gc.disable()
    try:
        source = _read_source(expr, file)
        from . import grad as compute

        point = list(at or []) + ([_read_values(values)] if values is not None else [])
        result = compute(source, at=point, wrt=wrt, tie=tie.value)
        for warning in result.warnings[:MAX_WARNINGS]:
            _say(f"warning: {warning.message}")
        if len(result.warnings) > MAX_WARNINGS:
            _say(f"warning: … and {len(result.warnings) - MAX_WARNINGS} more (--json lists them all)")
        if json_out:
            from .render.json import dumps

            sys.stdout.buffer.write((dumps(result) + "\n").encode("utf-8"))
        else:
            from .render.table import print_result

            print_result(result, precision, max_rows)
    except BpcalcError as exc:
        if debug:
            raise
        _fail(exc)
    except Exception as exc:  # a bug in bpcalc, not bad input: say so briefly
        if debug:
            raise
        _fail_internal(exc)


def _read_source(words: Optional[List[str]], file: Optional[Path]) -> str:
    for word in words or ():
        if word.startswith("--") and word[2:3].isalpha():
            # Unknown options arrive here because "-x^2" must be allowed as EXPR.
            option = word.split("=", 1)[0]
            near = suggest(option, GRAD_OPTIONS)
            raise InputError(f"no such option: {option}", f"did you mean {near}?" if near else "see bpcalc grad --help")
    if words and len(words) > 1:
        raise InputError(
            f"one expression expected, got {len(words)} arguments: {' '.join(words)}",
            f'quote the expression: bpcalc grad "{" ".join(words)}" --at ...',
        )
    expr = words[0] if words else None
    if expr is not None and file is not None:
        raise InputError("give the expression either as EXPR or with --file, not both")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {file}: {exc.strerror if isinstance(exc, OSError) else exc}") from None
    if expr is None:
        raise InputError(
            "no expression: give one as EXPR, '-' for standard input, or --file PATH",
            'e.g. bpcalc grad "(x+y)*z" --at x=-2,y=5,z=-4',
        )
    if expr == "-":
        return sys.stdin.read()
    return expr


def _read_values(path: Path) -> dict:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:  # also UnicodeDecodeError
        raise InputError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a JSON object of names to values, as in {{\"w\": [0.5, -0.3], \"y\": 1}}")
    return data


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")


def _fail(exc: BpcalcError) -> None:
    _say(f"error: {exc}")
    raise typer.Exit(int(exc.exit_code))


def _fail_internal(exc: Exception) -> None:
    _say(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in bpcalc; please report it with the command you ran (--debug shows the traceback)."
    )
    raise typer.Exit(int(ExitCode.INTERNAL))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="bpcalc")
