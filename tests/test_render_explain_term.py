"""Tests for bpcalc/render/explain_term.py: the terminal stepper's screens and keys (a tty: test_cli_explain.py)."""

from __future__ import annotations

import io

from test_render_explain import FANOUT, HEADLINE

import bpcalc
from bpcalc.render.explain_term import FIRST, LAST, NEXT, PREV, QUIT, Screens, key_name, step_through
from bpcalc.render.table import console


def screen(screens: Screens, k: int, height: int = 40, width: int = 100) -> list[str]:
    buffer = io.StringIO()
    out = console(file=buffer, width=width, height=height, color_system=None, force_terminal=False)
    out.print(screens.render(k, out))
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


def rows_of(lines: list[str]) -> list[list[str]]:
    """The table's body rows split on runs of spaces (cells hold single spaces only); a row not reached is []."""
    start = next(n for n, line in enumerate(lines) if line.lstrip().startswith("─")) + 1
    stop = next(n for n, line in enumerate(lines) if line.startswith("Enter"))
    body = [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines[start:stop]]
    while body and not body[-1]:
        body.pop()  # the table's padding
    return body


def test_forward_rows_fill_in():
    screens = Screens(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    lines = screen(screens, 2)
    assert lines[1] == "Step 3 of 11 · forward pass" and lines[3] == HEADLINE[2]
    # x and y have their values, n1 is computed now (marked), z and f are not reached yet
    assert rows_of(lines) == [
        ["x", "var", "-2"],
        ["y", "var", "5"],
        ["▶", "n1", "add", "x, y", "x+y", "3"],
        ["z", "var"],
        ["f", "mul", "n1, z", "(x+y)*z"],
    ]


def test_backward_rows_and_the_running_sum():
    screens = Screens(bpcalc.grad("x*x + x", at="x=3"))
    lines = screen(screens, 6)
    assert lines[3] == FANOUT[6] and lines[1] == "Step 7 of 9 · backward pass"
    assert rows_of(lines) == [
        ["f", "1", "n1", "1", "1 × 1 = 1"],
        ["x", "1", "1 × 1 = 1"],
        ["▶", "n1", "1", "x", "x = 3", "1 × 3 = 3"],  # the contribution made now ...
        [],  # (n1's second contribution, not yet made)
        ["▶", "x", "3 + 1 = 4"],  # ... and where it arrives: x's sum so far, two of three terms
    ]
    assert rows_of(screen(screens, 7))[-1] == ["▶", "x", "3 + 3 + 1 = 7"]


def test_the_last_step_is_the_summary():
    screens = Screens(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    lines = screen(screens, 10)
    assert lines[3] == HEADLINE[10]
    assert rows_of(lines) == [["▶", "x", "-2", "-4"], ["▶", "y", "5", "-4"], ["▶", "z", "-4", "3"]]


def test_kinks_show_the_warning():
    screens = Screens(bpcalc.grad("max(0, 1 - w*phi*y)", at="w=1,phi=1,y=1"))
    k = next(n for n, s in enumerate(screens.found) if s.kink and s.input is not None)
    lines = screen(screens, k, width=300)
    assert lines[3].endswith(
        "to n3; at a kink: a tie gives 0 to both inputs, as the course's indicator rule does "
        "(--tie split gives 1/2 each, as PyTorch and JAX do)."
    )
    assert any(line.startswith("f = max(0, 1 - w*phi*y) is at a kink") for line in lines)


def test_long_tables_are_cut_around_the_current_row():
    result = bpcalc.grad(" + ".join(f"x{k}" for k in range(60)), at=",".join(f"x{k}=1" for k in range(60)))
    screens = Screens(result)
    lines = screen(screens, 70, height=20)
    assert len(lines) <= 20
    body = rows_of(lines)
    assert body[0][0] == "⋮" and body[-1][0] == "⋮" and any(row[0] == "▶" for row in body)


def test_keys():
    assert [
        key_name(k) for k in ("\r", "\n", " ", "\x1b[C", "\x1b[D", "\x1b[H", "\x1b[F", "q", "\x1b", "\x03", "")
    ] == [NEXT, NEXT, NEXT, NEXT, PREV, FIRST, LAST, QUIT, QUIT, QUIT, QUIT]
    assert key_name("x") is None


def test_step_through_follows_the_keys():
    screens = Screens(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    buffer = io.StringIO()
    out = console(file=buffer, width=100, height=40, color_system=None, force_terminal=False)
    keys = iter([NEXT, NEXT, PREV, LAST, PREV, FIRST, PREV, QUIT])
    assert step_through(screens, lambda: next(keys), out) == 0
    shown = [line for line in buffer.getvalue().splitlines() if line.startswith("Step ")]
    assert [line.split(" · ")[0] for line in shown] == [f"Step {n} of 11" for n in (1, 2, 3, 2, 11, 10, 1, 1)]
    keys = iter([LAST, NEXT])  # next on the last step: done
    assert step_through(screens, lambda: next(keys), out) == 10
