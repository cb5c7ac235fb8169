"""Tests for bpcalc/cli/explain.py: bpcalc explain as sentences, as a page, and on a real terminal (a pty)."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_render_explain import FANOUT, HEADLINE
from typer.testing import CliRunner
from worked import needs_graphviz

from bpcalc.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["explain", *args])


def test_without_a_terminal_every_sentence_one_per_line():
    result = invoke("(x+y)*z", "--at", "x=-2,y=5,z=-4")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == HEADLINE
    assert invoke("x*x + x", "--at", "x=3").stdout.splitlines() == FANOUT


def test_the_page(tmp_path):
    needs_graphviz()
    path = tmp_path / "page.html"
    result = invoke("(x+y)*z", "--at", "x=-2,y=5,z=-4", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and 'id="bpcalc-step"' in html
    assert len(html.encode("utf-8")) < 100_000
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left behind


def test_the_page_to_stdout():
    result = invoke("x*x + x", "--at", "x=3", "-o", "-", "--max-nodes", "1")
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>") and "more than --max-nodes 1: no picture" in result.stdout


def test_warnings_and_errors(tmp_path):
    result = invoke("x*x", "--at", "x=3,y=1")
    assert result.exit_code == 0 and "'y' is given a value but the expression does not use it" in result.stderr
    assert invoke("log(x)", "--at", "x=-1").exit_code == 3
    assert invoke("x +", "--at", "x=1").exit_code == 2
    assert invoke("x", "--at", "x=1", "--bogus").exit_code == 2
    program = tmp_path / "model.bp"
    program.write_text("x*x\n")
    result = invoke("--file", str(program), "--at", "x=1", "-o", str(program))
    assert result.exit_code == 2 and "also an input" in result.stderr
    assert program.read_text() == "x*x\n"


def test_kink_steps_name_the_convention_and_are_not_repeated_on_stderr():
    result = invoke("max(0, 1 - w*phi*y)", "--at", "w=1,phi=1,y=1")
    assert result.exit_code == 0 and result.stderr == ""
    assert any("at a kink: a tie gives 0 to both inputs" in line for line in result.stdout.splitlines())


def test_help_has_an_example():
    result = runner.invoke(app, ["explain", "--help"])
    assert result.exit_code == 0 and 'bpcalc explain "(x+y)*z" --at x=-2,y=5,z=-4 -o page.html' in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")
def test_on_a_terminal_keys_step_through():
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "LINES": "40", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "bpcalc", "explain", "(x+y)*z", "--at", "x=-2,y=5,z=-4"],
                            stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    seen = b""

    def until(text: str, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text.encode() not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} on the screen: {seen[-2000:]!r}"
            if select.select([leader], [], [], left)[0]:
                try:
                    seen += os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
        assert text.encode() in seen, seen[-2000:]
        seen = seen[seen.index(text.encode()) + len(text):]

    try:
        until("Step 1 of 11")
        until(HEADLINE[0])
        os.write(leader, b"\r")  # Enter
        until("Step 2 of 11")
        os.write(leader, b"\x1b[C")  # →
        until("Step 3 of 11")
        until("n1 = x + y = -2 + 5 = 3.")
        os.write(leader, b"\x1b[D")  # ←
        until("Step 2 of 11")
        os.write(leader, b"\x1b[F")  # End
        until("Step 11 of 11")
        until("Done: f = -12")
        os.write(leader, b"q")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
