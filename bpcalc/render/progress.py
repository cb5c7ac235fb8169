"""bpcalc grade's progress bar on stderr: when to show it, and the bar (Rich, imported only then)."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PROGRESS_AT = 20  # submissions before a progress bar shows on a terminal


def wanted(asked: bool | None, total: int) -> bool:
    """--progress/--no-progress if given, else from PROGRESS_AT items when stderr is a terminal."""
    return asked if asked is not None else (total >= PROGRESS_AT and sys.stderr.isatty())


@contextmanager
def bar(total: int, asked: bool | None = None) -> Iterator[Callable[[int], None] | None]:
    """A callback that moves the bar to n items done; None when no bar is wanted."""
    if not wanted(asked, total):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as shown:
        task = shown.add_task("grading", total=total)
        yield lambda n: shown.update(task, completed=n)
