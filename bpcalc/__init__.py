"""bpcalc: backpropagation step by step, from an expression and a point."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from . import render as _render  # noqa: F401  (registers a Result's notebook display)
from .errors import BpcalcError, ExitCode, MathError

if TYPE_CHECKING:
    from .graph import Result

__version__ = "0.1.0"
__all__ = ["grad", "BpcalcError", "MathError", "ExitCode", "__version__"]


def grad(
    expr: str,
    at: str | Mapping[str, object] | list | tuple | None = None,
    *,
    wrt: str | Iterable[str] | None = None,
    tie: str = "indicator",
) -> Result:
    """Parse `expr`, run the forward and reverse passes at the point `at`, and return every step.

    `at` is a mapping of names to numbers or the CLI's text form "x=-2,y=5" (or a list of these, as the CLI passes).
    `wrt` limits `result.gradient` to some variables or named intermediates.
    `tie` is the convention at a max/min tie: "indicator" (0 to both) or "split" (1/2 each).
    Raises a BpcalcError (with `.exit_code`) for bad input or undefined math.
    """
    import gc

    from .engine import run
    from .parse import parse, parse_point

    if isinstance(wrt, str):
        wrt = [name.strip() for name in wrt.split(",") if name.strip()]
    # The graph and the steps are millions of acyclic objects for a big input;
    # the cyclic collector would rescan them again and again as they are made.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run(parse(expr), parse_point(at), wrt=wrt, tie=tie)
    finally:
        if enabled:
            gc.enable()
