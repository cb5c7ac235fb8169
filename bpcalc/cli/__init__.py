"""The command line: gather options, call bpcalc's API, pick a renderer, map errors to exit codes.

One module per command group: grad.py (grad, graph), check.py (check, grade, key),
gradcheck.py, classroom.py (autograder, variants) and train.py; common.py holds the parameters they
share, the input and output helpers and the one mapping from errors to exit codes
(`exit_codes`). To add a command: a module that defines it under `@common.command(...)`,
and one line in COMMANDS below.
"""
from __future__ import annotations

import sys
from typing import Any

import typer

from .. import __version__
from ..errors import ExitCode
from .common import REGISTERED, ExprCommand, open_standard_streams, report_io_fault

# Each command and the module that defines it, in the order `bpcalc --help` lists them.
COMMANDS = {
    "grad": "grad",
    "graph": "grad",
    "check": "check",
    "grade": "check",
    "key": "check",
    "gradcheck": "gradcheck",
    "explain": "explain",
    "autograder": "classroom",
    "variants": "classroom",
    "train": "train",
    "diff": "diff",
    "hessian": "hessian",
}


def _version(value: bool) -> None:
    if value:
        print(f"bpcalc {__version__}")
        raise typer.Exit()


def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Backpropagation step by step: the forward and reverse pass of an expression at a point."""


def build(names: list[str] | None = None) -> typer.Typer:
    """The Typer app with the named commands (by default all of them), importing only their modules."""
    built = typer.Typer(
        name="bpcalc",
        help="Backpropagation step by step: the forward and reverse pass of an expression at a point.",
        epilog="Example: bpcalc grad \"(x+y)*z\" --at x=-2,y=5,z=-4",
        # --install-completion and --show-completion; Click answers the shell when
        # _BPCALC_COMPLETE is set. Typer imports its completion modules either way:
        # turning this on adds no import to the start-up path (README: Shell completion).
        add_completion=True,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["--help"]},
    )
    built.callback()(_main)
    chosen = list(COMMANDS) if names is None else names
    for module in dict.fromkeys(COMMANDS[name] for name in chosen):
        __import__(f"{__name__}.{module}")  # not importlib.import_module: -X importtime sees this
    for name in chosen:
        callback, settings = REGISTERED[name]
        built.command(**{"cls": ExprCommand, **settings})(callback)  # EXPR may start with '-': see sort_words
    return built


def __getattr__(name: str) -> Any:
    # `bpcalc.cli.app`, every command in it, is built on first use: a one-shot call needs
    # only its own command (main below), and tests and tools get the whole app.
    if name == "app":
        whole = globals()["app"] = build()
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    # Typer builds every command's Click parameters on each call, about 1 ms a command;
    # a one-shot call needs only the command it runs (all of them for `bpcalc --help`
    # and for a mistyped command name, so that Click can suggest the near ones).
    open_standard_streams()
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        try:
            build([name] if name in COMMANDS else None)(prog_name="bpcalc")
        finally:
            sys.stdout.flush()  # --help and --version write outside the commands' exit_codes
    except (OSError, UnicodeEncodeError) as exc:
        report_io_fault(exc)
        sys.exit(int(ExitCode.IO))
