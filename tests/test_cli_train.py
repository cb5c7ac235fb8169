"""bpcalc train on the command line: the report, JSON lines, exit codes, and the steps kept when one fails."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "xor"


def bpcalc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="120")
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "bpcalc", *args], capture_output=True, text=True, env=environment,
                          cwd=ROOT, timeout=120)


def test_the_table_report():
    done = bpcalc("train", "(w*x - y)^2", "--at", "w=0,x=2,y=4", "--params", "w", "--steps", "3")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "gradient descent (torch.optim.SGD(lr=lr)): lr = 0.1, λ = 0" in text
    assert "θ ← θ − lr·g" in text
    # f = (2w − 4)², f' = 8w − 16: w 0 → 1.6 → 1.92 → 1.984, losses 16, 0.64, 0.0256
    for cells in (["1", "16", "w", "0", "-16", "1.6", "1.6"], ["2", "0.64", "w", "1.6", "-3.2", "0.32", "1.92"],
                  ["3", "0.0256", "w", "1.92", "-0.64", "0.064", "1.984"]):
        assert any(line.split() == cells for line in text.splitlines()), cells
    assert "loss  █▁▁  16 → 0.0256 in 3 steps" in text
    assert "f = 0.001024 after the last step (at the point)" in text  # (2·1.984 − 4)² = 0.032² = 0.001024
    assert done.stderr == ""


def test_json_lines():
    done = bpcalc("train", "w^2", "--at", "w=1", "--params", "w", "--optimizer", "momentum", "--steps", "3", "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3]
    # as in test_optimizers: b = 2, 3.4, 3.98; w = 0.8, 0.46, 0.062; loss and gradient before each update
    assert [line["loss"] for line in lines] == pytest.approx([1, 0.64, 0.2116])
    assert [line["gradient"]["w"] for line in lines] == pytest.approx([2, 1.6, 0.92])
    assert [line["params"]["w"] for line in lines] == pytest.approx([0.8, 0.46, 0.062])
    assert [line["state"]["w"]["velocity"] for line in lines] == pytest.approx([2, 3.4, 3.98])
    assert list(lines[0]) == ["step", "loss", "gradient", "params", "state"]


def test_the_shipped_mlp_with_adam(tmp_path):
    done = bpcalc("train", "--file", str(EXAMPLE / "mlp.bp"), "--values", str(EXAMPLE / "init.json"),
                  "--params", "W1,b1,w2,b2", "--data", str(EXAMPLE / "xor.jsonl"), "--optimizer", "adam",
                  "--lr", "0.05", "--steps", "3", "--json")
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    assert len(first["params"]["W1"]) == 4 and len(first["params"]["W1"][0]) == 2
    # Adam's first step is lr·sign(g), up to ε effects
    for name in ("b1", "w2"):
        for g, before, after in zip(first["gradient"][name], json.loads((EXAMPLE / "init.json").read_text())[name],
                                    first["params"][name]):
            assert after - before == pytest.approx(-0.05 * (1 if g > 0 else -1), rel=1e-5)


def test_every_shows_first_multiples_and_last():
    done = bpcalc("train", "w^2", "--at", "w=1", "--params", "w", "--steps", "10", "--every", "4")
    steps = [line.split()[0] for line in done.stdout.splitlines() if line.strip().endswith(tuple("0123456789"))
             and line.split()[0].isdigit() and len(line.split()) == 7]
    assert steps == ["1", "4", "8", "10"]


def test_a_failing_step_keeps_the_steps_before_it():
    done = bpcalc("train", "f = w^2", "--at", "w=1", "--params", "w", "--lr", "10", "--steps", "500", "--json")
    assert done.returncode == 3
    assert len(done.stdout.splitlines()) == 121  # w = (−19)^t; w² overflows float64 at step 122
    assert "error: step 122: the value overflows float64 at node f = w^2" in done.stderr
    table = bpcalc("train", "f = w^2", "--at", "w=1", "--params", "w", "--lr", "10", "--steps", "500")
    assert table.returncode == 3
    assert "121" in table.stdout and "step 122" in table.stderr and "Traceback" not in table.stderr


@pytest.mark.parametrize("args, message", [
    (["w^2", "--at", "w=1", "--params", "v"], "the expression has no variable 'v'"),
    (["w^2", "--at", "w=1"], "--params is missing"),
    (["w^2", "--at", "w=1", "--params", "w", "--lr", "0"], "--lr 0.0: lr must be a positive number"),
    (["w^2", "--at", "w=1", "--params", "w", "--lr", "-0.5"], "lr must be a positive number"),
    (["w^2", "--at", "w=1", "--params", "w", "--beta1", "0.5"], "--beta1 is not a hyper-parameter of sgd"),
    (["w^2", "--at", "w=1", "--params", "w", "--batch", "4"], "--batch needs --data FILE"),
    (["w^2", "--at", "w=1", "--params", "w", "--plot", "loss.jpg"], "must end in .png, .svg, .pdf"),
    (["w^2", "--at", "w=1", "--params", "w", "--data", "/nonexistent.csv"], "/nonexistent.csv: cannot read the file"),
    (["w^2", "--at", "w=1", "--params", "w", "--lrr", "1"], "did you mean --lr"),
])
def test_bad_input_is_exit_2(args, message):
    done = bpcalc("train", *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_data_cell_names_row_and_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n2,four\n")
    done = bpcalc("train", "(w*x - y)^2", "--at", "w=0", "--params", "w", "--data", str(path))
    assert done.returncode == 2
    assert "row 2 (line 3), column y: 'four' is not a number" in done.stderr


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "path.svg"
    done = bpcalc("train", "(w - 1)^2 + (b + 2)^2", "--at", "w=0,b=0", "--params", "w,b", "--optimizer", "adam",
                  "--steps", "20", "--plot", str(target), "--json")
    assert done.returncode == 0, done.stderr
    assert target.read_text().lstrip().startswith("<?xml")


def test_the_json_path_imports_no_rich():
    code = ("import sys, runpy; sys.argv = ['bpcalc', 'train', 'w^2', '--at', 'w=1', '--params', 'w', '--json'];\n"
            "try:\n    runpy.run_module('bpcalc', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "assert not [m for m in sys.modules if m.startswith('rich')], 'rich imported'\n"
            "assert 'matplotlib' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr


def test_progress_bar_only_for_a_long_run_on_a_terminal(monkeypatch):
    from bpcalc.cli import train as command

    class Terminal:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

        def write(self, text):
            return len(text)

        def flush(self):
            pass

    monkeypatch.setattr(command.sys, "stderr", Terminal(False))
    with command._progress(10_000, json_out=False) as advance:
        assert advance.__name__ == "<lambda>" and advance(1) is None  # not a terminal: no bar
    monkeypatch.setattr(command.sys, "stderr", Terminal(True))
    monkeypatch.setattr(command.sys, "stdout", Terminal(False))
    with command._progress(command.PROGRESS_AT - 1, json_out=False) as advance:
        assert advance(1) is None  # a short run: no bar
    with command._progress(command.PROGRESS_AT, json_out=True) as advance:  # JSON to a file, bar on the terminal
        for done in range(1, command.PROGRESS_AT + 1):
            advance(done)
