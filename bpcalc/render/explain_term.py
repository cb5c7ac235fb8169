"""`bpcalc explain` in the terminal: the steps one at a time, the tables filling in (Rich), keys read raw.

Enter, → or space: next (past the last step: done); ←: previous; Home/End:
first/last; q, Esc or Ctrl-C: quit. The screen shows the step's sentence above
the table of its pass, its row marked ▶, the rows not yet reached blank, cut
to the terminal's height around the current row. When stdout is not a
terminal the CLI prints explain.sentences() instead, one per line.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..graph import Result
from . import number, rows
from .dot import caption
from .explain import BACKWARD, DONE, FORWARD, ExplainStep, steps
from .table import GRAD, VALUE, console

NEXT, PREV, FIRST, LAST, QUIT = "next", "prev", "first", "last", "quit"
KEYS = "Enter/→ next · ← back · Home/End first/last · q quit"
MARK = "▶"
TABLE_CHROME = 7  # a table's lines besides its rows: title, blank, header, rule, padding, two "⋮" rows


class Screens:
    """What each step shows: the pass's table with the cells reached so far."""

    def __init__(self, result: Result, digits: int = 6):
        self.result = result
        self.found = steps(result, digits)
        self.tables = rows.tables(result, digits, 0)
        self.caption = caption(result, digits)
        out = len(result.graph.nodes) - 1
        self.reached: dict = {}  # backward row key -> the step that fills it
        self.upstream: dict[int, list[tuple[int, str]]] = {}  # node -> (step, its upstream cell's text from then)
        for t, s in enumerate(self.found):
            if s.phase == BACKWARD and s.input is None and result.grads[out] is not None:
                self.upstream.setdefault(out, []).append((t, number(result.grads[out], digits)))
            elif s.phase == BACKWARD and s.input is not None:
                self.reached[(s.node, s.position)] = t
                self.upstream.setdefault(s.input, []).append((t, s.grad))

    def __len__(self) -> int:
        return len(self.found)

    def render(self, k: int, out: Console) -> Group:
        """Step k (from 0) as one renderable, its table cut to fit the console's height."""
        s = self.found[k]
        last = k == len(self.found) - 1
        texts = [
            Text(f"bpcalc explain   {self.caption}", style="bold"),
            Text(f"Step {k + 1} of {len(self.found)} · {_phase(s)}", style="dim"),
            Text(""),
            Text(s.sentence, style="bold"),
            *([Text(s.kink, style="dark_orange")] if s.kink else []),
        ]
        footer = Text(KEYS.replace("next", "done") if last else KEYS, style="dim")
        used = sum(len(t.wrap(out, out.width)) for t in [*texts, footer])
        table = self._table(k, s, max(3, out.height - used - TABLE_CHROME))
        return Group(*texts, table, footer)

    def _table(self, k: int, s: ExplainStep, room: int) -> Table:
        if s.phase == FORWARD:
            plain, cells, current = self._forward(k, s)
        elif s.phase == BACKWARD:
            plain, cells, current = self._backward(k, s)
        else:
            plain = self.tables[2]
            cells, current = [tuple(row) for row in plain.rows if row], list(range(len(plain.rows)))
        table = Table(title=plain.title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
        table.add_column("", no_wrap=True)
        for header, numeric in zip(plain.headers, plain.numeric):
            style = (
                VALUE
                if header == "value"
                else GRAD
                if header == "contribution" or header.startswith(("upstream", "∂"))
                else None
            )
            table.add_column(
                header,
                style=style,
                justify="right" if numeric else "left",
                no_wrap=header == "expression",
                overflow="ellipsis" if header == "expression" else "fold",
            )
        start, stop = _window(len(cells), current[0] if current else 0, room)
        if start:
            table.add_row("", "⋮", f"{start} rows above", style="dim")
        for n in range(start, stop):
            on = n in current
            table.add_row(MARK if on else "", *cells[n], style="bold" if on else None)
        if stop < len(cells):
            table.add_row("", "⋮", f"{len(cells) - stop} rows below", style="dim")
        return table

    def _forward(self, k: int, s: ExplainStep):
        plain = self.tables[0]
        cells = [row[:-1] + (row[-1] if i <= k else "",) for i, row in zip(plain.keys, plain.rows) if row]
        return plain, cells, [s.node]

    def _backward(self, k: int, s: ExplainStep):
        plain = self.tables[1]
        cells, current = [], []
        first = {}
        for n, (key, row) in enumerate(zip(plain.keys, plain.rows)):
            if row is None:  # no elision here (max_rows 0), but a row of None would be one
                continue
            i, position = key
            label, upstream = "", ""
            if row[0]:  # a node's first row: its label and its upstream gradient so far
                first[i] = n
                shown = [text for t, text in self.upstream.get(i, []) if t <= k]
                if shown:
                    label, upstream = row[0], shown[-1]
            filled = self.reached.get((i, position), len(self.found)) <= k
            cells.append((label, upstream, *(row[2:] if filled else ("", "", ""))))
            if position is not None and (i, position) == (s.node, s.position):
                current.append(n)
        if s.input is not None and s.input in first:
            current.append(first[s.input])  # where the contribution arrives
        elif s.input is None:
            current.append(first.get(s.node, 0))
        return plain, cells, current


def _phase(s: ExplainStep) -> str:
    return {FORWARD: "forward pass", BACKWARD: "backward pass", DONE: "result"}[s.phase]


def _window(total: int, at: int, room: int) -> tuple[int, int]:
    """Rows [start, stop) to show: all when they fit, else `room` rows around row `at`."""
    if total <= room:
        return 0, total
    start = max(0, min(at - room // 2, total - room))
    return start, start + room


def step_through(screens: Screens, read_key: Callable[[], str], out: Console | None = None) -> int:
    """Show the steps, moving on each key, until quit or past the last step; returns the last step shown (from 0)."""
    out = out or console()
    k = 0
    while True:
        out.clear()
        out.print(screens.render(k, out))
        key = read_key()
        if key == QUIT or (key == NEXT and k == len(screens) - 1):
            return k
        k = {NEXT: k + 1, PREV: k - 1, FIRST: 0, LAST: len(screens) - 1}.get(key, k)
        k = max(0, min(len(screens) - 1, k))


# ---- keys, read raw from the terminal ----

_SEQUENCES = {
    "\r": NEXT,
    "\n": NEXT,
    " ": NEXT,
    "n": NEXT,
    "\x1b[C": NEXT,
    "\x1bOC": NEXT,
    "\x1b[D": PREV,
    "\x1bOD": PREV,
    "p": PREV,
    "\x7f": PREV,
    "\b": PREV,
    "\x1b[H": FIRST,
    "\x1bOH": FIRST,
    "\x1b[1~": FIRST,
    "g": FIRST,
    "\x1b[F": LAST,
    "\x1bOF": LAST,
    "\x1b[4~": LAST,
    "G": LAST,
    "q": QUIT,
    "Q": QUIT,
    "\x1b": QUIT,
    "\x03": QUIT,
    "\x04": QUIT,
    "": QUIT,
}


def key_name(sequence: str) -> str | None:
    """What a key's bytes mean here, or None for a key that does nothing."""
    return _SEQUENCES.get(sequence)


def posix_keys(fd: int | None = None) -> tuple[Callable[[], str], Callable[[], None]]:
    """A key reader on the terminal (cbreak mode, no echo) and the function that restores the terminal."""
    import select
    import termios
    import tty

    fd = sys.stdin.fileno() if fd is None else fd
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def read() -> str:
        while True:
            sequence = os.read(fd, 1).decode("latin-1")
            if sequence == "\x1b":  # an escape sequence follows at once; Esc alone does not
                while select.select([fd], [], [], 0.05)[0]:
                    sequence += os.read(fd, 1).decode("latin-1")
                    if sequence[-1].isalpha() or sequence[-1] == "~":
                        break
            name = key_name(sequence)
            if name is not None:
                return name

    def restore() -> None:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    return read, restore


def windows_keys() -> tuple[Callable[[], str], Callable[[], None]]:  # pragma: no cover - Windows only
    import msvcrt

    arrows = {"M": NEXT, "K": PREV, "G": FIRST, "O": LAST}

    def read() -> str:
        while True:
            ch = msvcrt.getwch()  # type: ignore[attr-defined]
            if ch in ("\x00", "\xe0"):
                name = arrows.get(msvcrt.getwch())  # type: ignore[attr-defined]
            else:
                name = key_name(ch)
            if name is not None:
                return name

    return read, lambda: None


def run(result: Result, digits: int = 6) -> None:
    """Step through the result on the terminal (stdin and stdout both terminals)."""
    read, restore = windows_keys() if os.name == "nt" else posix_keys()
    try:
        step_through(Screens(result, digits), read)
    except KeyboardInterrupt:
        pass
    finally:
        restore()
