"""What the commands share: the command registry, parameters defined once, input and output helpers,
and the one place that maps errors to exit codes."""
from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand
from typer.main import get_current_context

from ..errors import BpcalcError, ExitCode, InputError, IOFault, suggest
from ..text import visible

# ---------------------------------------------------------------- the command registry
# Each command module adds its commands here as it is imported; bpcalc.cli builds the
# Typer app from the ones it needs (all for --help, the invoked one for a one-shot call).
REGISTERED: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}


def command(**settings: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a command: its function, and the settings Typer's app.command() takes."""

    def register(callback: Callable[..., Any]) -> Callable[..., Any]:
        REGISTERED[settings.get("name") or callback.__name__] = (callback, settings)
        return callback

    return register


# ---------------------------------------------------------------- how words reach Click
# EXPR may begin with a minus (-x^2, -log(x), --a): Click would read such a word as
# bundled short options (-o swallowing the rest as a path). Before Click parses, each
# command's words are sorted: its own options (with their values) stay in front, and
# every other word, and everything after '--', goes behind one '--' as EXPR.


def _option_names(params: Any) -> dict[str, bool]:
    """Every option name of the command (--help included) -> whether it takes a value."""
    names: dict[str, bool] = {}
    for param in params:
        if param.param_type_name == "option":  # typer vendors Click: no public Option class to test
            for name in (*param.opts, *param.secondary_opts):
                names[name] = not param.is_flag and not param.count
    return names


def _mistyped_option(word: str, names: dict[str, bool]) -> str | None:
    """The option a word such as --jsn, -output, -at or -j was meant to be, or '' if none is near."""
    if word.startswith("--") and word[2:3].isalpha():
        return suggest(word.split("=", 1)[0], [n for n in names if n.startswith("--")]) or ""
    body = word[1:].split("=", 1)[0]
    if body.isalpha() and len(body) > 0:  # -output, -at, -j: letters only, as an option is
        longs = [n for n in names if n.startswith("--" + body)]
        if longs:
            return longs[0]
    return None  # -x^2, -log(x), -x: an expression


def sort_words(command: str, params: Any, args: list[str]) -> list[str]:
    """The command's words with every EXPR word after one '--' (see above); a mistyped option is a usage error."""
    names = _option_names(params)
    options: list[str] = []
    expr: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            expr.extend(args[i + 1:])
            break
        name = word.split("=", 1)[0] if word.startswith("--") else word
        if name in names:
            options.append(word)
            if names[name] and "=" not in word and i + 1 < len(args):
                options.append(args[i + 1])  # the option's value, even one that starts with '-'
                i += 1
        elif word.startswith("-") and word != "-" and (near := _mistyped_option(word, names)) is not None:
            hint = f"did you mean {near}?" if near else f"see bpcalc {command} --help"
            # a usage error, as Click's own: typer.BadParameter is Click's UsageError with the command's usage
            raise typer.BadParameter(f"no such option: {word.split('=', 1)[0]} ({hint})")
        else:
            expr.append(word)
        i += 1
    return options + (["--", *expr] if expr else [])


class ExprCommand(TyperCommand):
    """A command with EXPR: its words are sorted (sort_words) before Click parses them."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if any(param.name == "expr" for param in self.params):
            args = sort_words(self.name or "", self.get_params(ctx), list(args))
        return super().parse_args(ctx, args)


# ---------------------------------------------------------------- parameters several commands share


class Tie(str, Enum):
    indicator = "indicator"
    split = "split"  # type: ignore[assignment]  # the CLI's value; shadows str.split, which no one calls on a Tie


EXPR_ARGUMENT = typer.Argument(
    None, metavar="EXPR", help="Expression or program ('q = x+y; q*z'); '-' reads standard input.", show_default=False
)
AT_OPTION = typer.Option(
    None, "--at", metavar="NAME=VALUE,...", help="Values of the variables; may repeat.", show_default=False
)
FILE_OPTION = typer.Option(None, "--file", metavar="PATH", help="Read the program from a file.", show_default=False)
VALUES_OPTION = typer.Option(
    None,
    "--values",
    metavar="FILE",
    help="Read values from a JSON object of names to numbers or nested lists.",
    show_default=False,
)
TIE_OPTION = typer.Option(
    Tie.indicator, "--tie", help="Rule at a max/min tie: indicator gives 0 to both inputs, split 1/2 each."
)
DEBUG_OPTION = typer.Option(False, "--debug", help="Show Python tracebacks for errors.")

MAX_WARNINGS = 20  # on stderr; the JSON has every one


# ---------------------------------------------------------------- input


_POINT_ITEM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=[^=\s]+")


def _point_like(word: str) -> bool:
    """Whether a word reads as items of a point: y=2, or x=1,y=2 (--at forgotten), w=[1,2] included."""
    first, *rest = word.strip(" ,").split(",")
    return _POINT_ITEM.fullmatch(first) is not None and all(
        _POINT_ITEM.fullmatch(piece.strip()) or "=" not in piece for piece in rest
    )


def read_source(
    words: Sequence[str] | None, file: Path | None, *, command: str | None = None, options: Iterable[str] | None = None
) -> str:
    """The program: EXPR (one word), '-' for standard input, or --file.

    `command` and `options` (its own option names) default to the running command's, read from Click.
    """
    ctx = get_current_context(silent=True)
    if command is None:
        command = ctx.info_name if ctx is not None else "grad"
    if options is None:
        options = _option_names(ctx.command.get_params(ctx)) if ctx is not None else ()
    options = set(options)
    # Every word here is EXPR (sort_words sent mistyped options back as usage errors);
    # one of the command's own options among them came after '--', which ends the options.
    for word in words or ():
        option = word.split("=", 1)[0]
        if option in options and option.startswith("--") and len(words or ()) > 1:
            raise InputError(
                f"{option} comes after '--', so it is read as part of the expression",
                f'put the options first: bpcalc {command} {option} ... -- "{(words or [""])[0]}" '
                f"(an expression that starts with a minus sign also works without --)",
            )
    stray = [w for w in (words or ())[1:] if _point_like(w)]
    if stray:  # --at x=1 y=2: the shell split the point at a space
        items = ",".join(w.strip(" ,") for w in stray)
        raise InputError(
            f"'{stray[0].strip(' ,')}' looks like part of the point, but it is a word of its own",
            "write the point as one word, without spaces (--at x=1,y=2, not --at x=1 y=2), "
            f'quote it (--at "x=1, y=2"), or give --at once per item (--at {items})',
        )
    if words and len(words) > 1:
        raise InputError(
            f"one expression expected, got {len(words)} arguments: {' '.join(words)}",
            f'quote the expression: bpcalc {command} "{" ".join(words)}" --at ...',
        )
    expr = words[0] if words else None
    if expr is not None and file is not None:
        raise InputError("give the expression either as EXPR or with --file, not both")
    if file is not None:
        from ..files import read_text

        return read_text(file, kind="program")  # a byte-order mark from Windows editors is not code
    if expr is None:
        raise InputError(
            "no expression: give one as EXPR, '-' for standard input, or --file PATH",
            f'e.g. bpcalc {command} "(x+y)*z" --at x=-2,y=5,z=-4',
        )
    if expr == "-":
        from ..files import read_stream

        return read_stream(sys.stdin.buffer, kind="program")
    return expr


def point_of(at: Sequence[str] | None, values: Path | None) -> list[Any]:
    """The --at items, then the --values file's object."""
    from ..parse import read_values

    return list(at or []) + ([read_values(values)] if values is not None else [])


def tolerance(rtol: float | None, atol: float | None, places: int | None) -> dict[str, Any]:
    """The tolerance settings the options give, field by field: each overrides only its own."""
    if places is not None and (rtol is not None or atol is not None):
        raise InputError("give either --places or --rtol/--atol, not both")
    given = {"rtol": rtol, "atol": atol, "places": places}
    return {name: value for name, value in given.items() if value is not None}


# ---------------------------------------------------------------- output


def say(message: str) -> None:
    """A message on stderr; what it quotes from files (names, keys, answers) shows its control characters."""
    sys.stderr.write(visible(message, newlines=True) + "\n")


def warn(warnings: Sequence[Any]) -> None:
    """The first MAX_WARNINGS warnings on stderr."""
    for warning in warnings[:MAX_WARNINGS]:
        say(f"warning: {warning.message}")
    if len(warnings) > MAX_WARNINGS:
        say(f"warning: … and {len(warnings) - MAX_WARNINGS} more (--json lists them all)")


def out(text: str) -> None:
    """Text on stdout, UTF-8 whatever the locale."""
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def out_pieces(pieces: Iterable[str], batch: int = 1 << 16) -> None:
    """Text on stdout as it is made, some 64 KB at a time: a large JSON result is never whole
    in memory, and a small one is one write, as with out()."""
    write_bytes = sys.stdout.buffer.write
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= batch:
            write_bytes("".join(held).encode("utf-8"))
            held, size = [], 0
    write_bytes("".join(held).encode("utf-8"))
    sys.stdout.flush()


def write(path: str, text: str) -> None:
    """Write an output file; '-' is standard output."""
    if path == "-":
        out(text)
        return
    from ..files import write_atomic

    write_atomic(path, text.encode("utf-8"))


def show(result: Any, options: Any, output: str | None = None) -> None:
    """A Result in the format options.format names, to stdout or to the file `output`; the format's notes on stderr."""
    from ..render import FORMATS, notes, render

    data = render(result, options)
    for note in notes(result, options):
        say(f"warning: {note}")
    if isinstance(data, str) and FORMATS[options.format].terminal and output is None:
        sys.stdout.write(data)  # in the terminal's encoding, as Rich prints
        sys.stdout.flush()
        return
    if not isinstance(data, (str, bytes)):  # pieces of a large text, written as they are made
        if output is None:
            out_pieces(data)
            return
        data = "".join(data)
    write_bytes(data.encode("utf-8") if isinstance(data, str) else data, output)


def write_bytes(data: bytes, output: str | None) -> None:
    """Write bytes to a file, or to stdout without one (or with '-')."""
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from ..files import write_atomic

    write_atomic(output, data)


# ---------------------------------------------------------------- errors -> exit codes


def io_fault(exc: OSError | UnicodeEncodeError) -> IOFault:
    """What an I/O failure means for the user, in one line."""
    if isinstance(exc, UnicodeEncodeError):
        char = exc.object[exc.start : exc.start + 1]
        if "\ud800" <= char <= "\udfff":  # no encoding writes it: the only advice is where it came from
            return IOFault(
                f"the output holds {ascii(char)}, a lone surrogate, which is not a character and which no "
                "encoding can write: it came from the input (a word on the command line that is not UTF-8, "
                "or a \\uD800-\\uDFFF escape in a JSON file); write that text as UTF-8"
            )
        return IOFault(
            f"the output holds {ascii(char)}, which standard output's encoding ({exc.encoding}) cannot show: "
            "set PYTHONIOENCODING=utf-8 (or a UTF-8 locale), or use --json, which is written as UTF-8 "
            "whatever the locale"
        )
    if isinstance(exc.strerror, str) and exc.strerror.endswith(" is closed"):  # see ClosedStream
        return IOFault(f"{exc.strerror}: bpcalc needs it open")
    return IOFault(f"cannot write the output: {exc.strerror or exc}")


class ClosedStream:
    """Stands for standard input or output when the process started with it closed (`>&-`, `<&-`)."""

    def __init__(self, name: str):
        self.name = name

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        import errno

        raise OSError(errno.EBADF, f"{self.name} is closed")

    write = read = readline = fileno = _fail
    encoding = "utf-8"

    @property
    def buffer(self) -> Any:
        return self._fail()

    def flush(self) -> None:
        """Nothing is ever buffered, so the flush at exit has nothing to fail on."""

    def isatty(self) -> bool:
        return False


def open_standard_streams() -> None:
    """Give a closed stdin or stdout a stand-in that says so when used, rather than losing output silently;
    with stderr closed too, the exit code alone tells."""
    import os

    if sys.stdout is None:
        sys.stdout = ClosedStream("standard output")
    if sys.stdin is None:
        sys.stdin = ClosedStream("standard input")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the rest of the process


def report_io_fault(exc: OSError | UnicodeEncodeError) -> None:
    """Say what failed in one line; stdout goes to /dev/null, so the flush at exit cannot fail again."""
    say(f"error: {io_fault(exc)}")
    _discard_stdout()


def _flush() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def _discard_stdout() -> None:
    """After a failed write, point stdout at /dev/null, so the flush at exit does not fail a second time."""
    import os

    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError, BpcalcError):
        pass


@contextmanager
def exit_codes(debug: bool) -> Iterator[None]:
    """Run a command's body: bad input and undefined math as one paragraph, a bug as an internal error."""
    # A big input builds millions of acyclic objects that the cyclic collector would
    # only rescan, up to a third of the run: paused for the command, then restored.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            yield
        finally:
            _flush()  # a full disk or a closed pipe shows here, inside the command, not at exit
    except BpcalcError as exc:
        if debug:
            raise
        say(f"error: {exc}")
        raise typer.Exit(int(exc.exit_code)) from None
    except typer.Exit:
        raise
    except (OSError, UnicodeEncodeError) as exc:  # the environment failed, not bpcalc: exit 74 (EX_IOERR)
        if debug:
            raise
        report_io_fault(exc)
        raise typer.Exit(int(ExitCode.IO)) from None
    except Exception as exc:  # a bug in bpcalc, not bad input: say so briefly
        if debug:
            raise
        say(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in bpcalc; please report it with the command you ran (--debug shows the traceback)."
        )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None
    finally:
        if collecting:
            gc.enable()
