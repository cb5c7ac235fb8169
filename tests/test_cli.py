"""Tests for bpcalc/cli/ (grad): `bpcalc grad` through Typer's CliRunner, and as a real `python -m bpcalc` process.

Typer 0.28's CliRunner keeps stdout and stderr apart (result.stdout,
result.stderr; result.output mixes both), so each test checks that data goes
to stdout and messages to stderr. Tests that depend on the process itself
(a terminal or not, NO_COLOR, imports, tracebacks) run a subprocess.
"""
from __future__ import annotations

import inspect
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bpcalc
from bpcalc.cli import app

HEADLINE = ["grad", "(x+y)*z", "--at", "x=-2,y=5,z=-4"]
WORKED_EXAMPLES = json.loads((Path(__file__).parent / "data" / "worked_examples.json").read_text(encoding="utf-8"))

runner = CliRunner()


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def bpcalc_process(*args: str, input: str | None = None, env: dict | None = None, python: tuple = ()):
    """`python -m bpcalc ARGS` as its own process; NO_COLOR and friends removed unless `env` sets them."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, *python, "-m", "bpcalc", *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=base,
        timeout=300,
    )


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, which are not JSON (RFC 8259)."""

    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9)


# ---------------------------------------------------------------- the headline


def test_headline_table():
    result = invoke(*HEADLINE)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "Forward pass" in out and "Backward pass" in out
    assert re.search(r"f\s+mul\s+n1, z\s+\(x\+y\)\*z\s+-12", out)  # the output node and its value
    assert re.search(r"n1\s+add\s+x, y\s+x\+y\s+3\b", out)
    assert "f = -12" in out
    for name, val, grad in [("x", -2, -4), ("y", 5, -4), ("z", -4, 3)]:  # the summary rows
        assert re.search(rf"^\s+{name}\s+{val}\s+{grad}\s*$", out, re.M), name


def test_headline_json():
    result = invoke(*HEADLINE, "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    data = strict_json(result.stdout)
    assert set(data) >= {
        "schema",
        "expression",
        "output",
        "value",
        "gradient",
        "at",
        "tie",
        "nodes",
        "steps",
        "warnings",
    }
    assert data["expression"] == "(x+y)*z"
    assert data["value"] == -12
    assert data["gradient"] == {"x": -4, "y": -4, "z": 3}
    assert data["at"] == {"x": -2, "y": 5, "z": -4}
    assert data["tie"] == "indicator"
    assert data["warnings"] == []
    assert len(data["nodes"]) == 5  # x, y, x+y, z, (x+y)*z
    for node in data["nodes"]:  # flat: scalars, or lists of scalars; never a nested object
        for key, val in node.items():
            assert not isinstance(val, dict), key
            if isinstance(val, list):
                assert all(v is None or isinstance(v, (int, float, str)) for v in val), key


def test_headline_as_a_real_process():
    proc = bpcalc_process(*HEADLINE, "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = strict_json(proc.stdout)
    assert (data["value"], data["gradient"]) == (-12, {"x": -4, "y": -4, "z": 3})


@pytest.mark.parametrize("example", WORKED_EXAMPLES, ids=[e["expr"][:40] for e in WORKED_EXAMPLES])
def test_worked_example_through_the_cli(example):
    at = ",".join(f"{name}={val!r}" for name, val in example["at"].items())
    result = invoke("grad", example["expr"], "--at", at, "--json")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert close(data["value"], example["value"]), data["value"]
    assert set(data["gradient"]) == set(example["gradient"])
    for name, expected in example["gradient"].items():
        assert close(data["gradient"][name], expected), (name, data["gradient"][name], expected)


# ---------------------------------------------------------------- errors and exit codes

ERRORS = [
    # id, arguments ({missing} and {file} are paths), exit code, words stderr must contain
    ("syntax", ["grad", "x + * y", "--at", "x=1,y=2"], 2, ["error: unexpected '*'", "  x + * y\n      ^"]),
    (
        "unknown function",
        ["grad", "sigmod(x)", "--at", "x=1"],
        2,
        ["unknown function 'sigmod'", "did you mean 'sigmoid'?"],
    ),
    ("arity", ["grad", "max(x)", "--at", "x=1"], 2, ["max() takes 2 arguments, got 1"]),
    ("assignment", ["grad", "x = x + 1", "--at", "x=1"], 2, ["used before it is assigned"]),
    ("missing values", ["grad", "x*y + z*w", "--at", "x=1"], 2, ["no value for"]),
    ("malformed --at", ["grad", "x", "--at", "x"], 2, ["'x' is not of the form name=value"]),
    ("--at not a number", ["grad", "x", "--at", "x=abc"], 2, ["'abc'", "not a number"]),
    ("--at twice", ["grad", "x", "--at", "x=1", "--at", "x=2"], 2, ["given a value twice"]),
    ("--wrt unknown", ["grad", "x*y", "--at", "x=1,y=2", "--wrt", "q"], 2, ["--wrt q"]),
    ("math: log", ["grad", "y = log(x); y*2", "--at", "x=-1"], 3, ["at node y = log(x)", "x = -1"]),
    ("math: division", ["grad", "x/(y-y)", "--at", "x=1,y=2"], 3, ["division by zero at node f = x/(y-y)"]),
    ("math: overflow", ["grad", "exp(x)", "--at", "x=1000"], 3, ["overflows", "at node f"]),
    ("--file missing", ["grad", "--file", "{missing}", "--at", "x=1"], 2, ["cannot read", "nope.bp"]),
    ("EXPR and --file", ["grad", "x", "--file", "{file}", "--at", "x=1"], 2, ["not both"]),
    ("no expression", ["grad", "--at", "x=1"], 2, ["no expression"]),
    ("unknown option after EXPR", ["grad", "x", "--at", "x=1", "--jsn"], 2, ["--jsn"]),
    (
        "mistyped option, no EXPR",
        ["grad", "--jsn", "--at", "x=1"],
        2,
        ["no such option: --jsn", "did you mean --json?"],
    ),
    ("mistyped option before EXPR", ["grad", "--jsn", "x", "--at", "x=1"], 2, ["--jsn", "did you mean --json?"]),
    ("bad --tie", ["grad", "x", "--at", "x=1", "--tie", "both"], 2, ["--tie"]),
    ("bad --precision", ["grad", "x", "--at", "x=1", "--precision", "0"], 2, ["--precision"]),
    ("unknown command", ["grda", "x"], 2, ["grad"]),
]


@pytest.fixture
def paths(tmp_path):
    program = tmp_path / "model.bp"
    program.write_text("x*2\n", encoding="utf-8")
    return {"missing": str(tmp_path / "nope.bp"), "file": str(program)}


@pytest.mark.parametrize("how", ["runner", "process"])
@pytest.mark.parametrize("args, code, words", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error_exit_code_and_message(how, args, code, words, paths):
    args = [a.format(**paths) for a in args]
    if how == "runner":
        result = invoke(*args)
        exit_code, stdout, stderr = result.exit_code, result.stdout, result.stderr
        assert isinstance(result.exception, SystemExit)  # not an exception escaping the command
    else:
        proc = bpcalc_process(*args)
        exit_code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    assert exit_code == code, stderr
    assert stdout == ""
    for word in words:
        assert word in stderr
    assert "Traceback" not in stderr


def test_missing_values_names_every_missing_variable():
    result = invoke("grad", "x*y + z*w", "--at", "x=1")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert "no value for" in first
    for name in ("y", "z", "w"):
        assert re.search(rf"\b{name}\b", first), name


def test_missing_value_suggests_a_near_name():
    result = invoke("grad", "alpha*x", "--at", "alpah=1,x=2")
    assert result.exit_code == 2
    assert "alpah" in result.stderr and "alpha" in result.stderr


def test_debug_shows_a_traceback():
    proc = bpcalc_process("grad", "x + * y", "--at", "x=1,y=2", "--debug")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert "ExpressionSyntaxError" in proc.stderr


# ---------------------------------------------------------------- how the expression arrives


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "-x^2", "--at", "x=3", "--json"],  # a leading '-' is still EXPR
        ["grad", "--at", "x=3", "-x^2", "--json"],
        ["grad", "--at", "x=3", "--json", "--", "-x^2"],
    ],
)
def test_expression_starting_with_minus(args):
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    assert strict_json(result.stdout)["value"] == -9  # -(3^2)


def test_dash_reads_standard_input():
    result = invoke("grad", "-", "--at", "x=-2,y=5,z=-4", "--json", input="(x+y)*z\n")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert data["value"] == -12 and data["gradient"] == {"x": -4, "y": -4, "z": 3}


def test_dash_reads_standard_input_in_a_process():
    proc = bpcalc_process("grad", "-", "--at", "x=2", "--json", input="q = x*x\nq + 1\n")
    assert proc.returncode == 0, proc.stderr
    assert strict_json(proc.stdout)["value"] == 5


PROGRAM = """\
# Example 10 of the worked examples: one tanh neuron, one sigmoid neuron, a squared loss.
h = tanh(w1*x + b1)        # hidden
o = sigmoid(w2*h +
            b2)            # a newline inside parentheses continues the line

L = (o - t)^2              # the last statement is the output
"""


def test_file_with_a_program_over_several_lines(tmp_path):
    path = tmp_path / "model.bp"
    path.write_text(PROGRAM, encoding="utf-8")
    example = next(e for e in WORKED_EXAMPLES if e["expr"].startswith("h = tanh"))
    at = ",".join(f"{k}={v!r}" for k, v in example["at"].items())
    result = invoke("grad", "--file", str(path), "--at", at, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # no notices: every name is used
    data = strict_json(result.stdout)
    assert data["output"] == "L"
    assert data["expression"] == PROGRAM
    assert close(data["value"], example["value"])
    for name, expected in example["gradient"].items():
        assert close(data["gradient"][name], expected), name


# ---------------------------------------------------------------- options


def test_at_may_repeat():
    result = invoke("grad", "q = x + y; f = q * z", "--at", "x=-2,y=5", "--at", "z=-4", "--json")
    assert result.exit_code == 0, result.stderr
    assert strict_json(result.stdout)["gradient"] == {"x": -4, "y": -4, "z": 3}


def test_wrt_limits_the_gradient_to_names_and_intermediates():
    result = invoke("grad", "q = x + y; f = q * z", "--at", "x=-2,y=5,z=-4", "--wrt", "x,q", "--json")
    assert result.exit_code == 0, result.stderr
    assert strict_json(result.stdout)["gradient"] == {"x": -4, "q": -4}  # ∂f/∂q = z


@pytest.mark.parametrize("tie, share", [("split", 0.5), ("indicator", 0)])
def test_tie_convention(tie, share):
    result = invoke("grad", "max(x,y)", "--at", "x=1,y=1", "--tie", tie, "--json")
    assert result.exit_code == 0
    data = strict_json(result.stdout)
    assert data["tie"] == tie
    assert data["gradient"] == {"x": share, "y": share}
    assert "warning:" in result.stderr and "kink" in result.stderr
    assert [w["kind"] for w in data["warnings"]] == ["kink"]


def test_tie_split_in_the_table():
    result = invoke("grad", "max(x,y)", "--at", "x=1,y=1", "--tie", "split")
    assert result.exit_code == 0
    assert "1 × 0.5 = 0.5" in result.stdout
    assert "warning:" in result.stderr and "warning" not in result.stdout


def test_precision_changes_the_table_digits():
    default = invoke("grad", "x/3", "--at", "x=1")
    three = invoke("grad", "x/3", "--at", "x=1", "--precision", "3")
    assert default.exit_code == three.exit_code == 0
    assert "0.333333" in default.stdout
    assert "0.333" in three.stdout and "0.3333" not in three.stdout


def test_precision_does_not_touch_the_json():
    result = invoke("grad", "x/3", "--at", "x=1", "--precision", "3", "--json")
    assert strict_json(result.stdout)["value"] == 1 / 3


def test_warnings_go_to_stderr_and_into_the_json():
    result = invoke("grad", "x + 1; y", "--at", "x=1,y=2", "--json")
    assert result.exit_code == 0
    data = strict_json(result.stdout)  # stdout holds nothing but the JSON
    messages = [w["message"] for w in data["warnings"]]
    assert len(messages) == 2  # the unused statement, and the unused value for x
    assert result.stderr.splitlines() == [f"warning: {m}" for m in messages]


def test_json_numbers_from_the_cli():
    # -x*0 at x=1 is -0.0: written as 0. An integral float is written without ".0".
    result = invoke("grad", "-x*0 + 2*y", "--at", "x=1,y=1.5", "--json")
    data = strict_json(result.stdout)
    n1 = next(n for n in data["nodes"] if n["op"] == "mul" and n["span"] == [0, 4])
    assert n1["value"] == 0 and type(n1["value"]) is int
    assert re.search(r'"value":\s*3\s*,', result.stdout) and "3.0" not in result.stdout
    assert data["at"] == {"x": 1, "y": 1.5}


# ---------------------------------------------------------------- version and help


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"bpcalc {bpcalc.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", bpcalc.__version__)


def test_version_as_a_real_process():
    proc = bpcalc_process("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"bpcalc {bpcalc.__version__}"


@pytest.mark.parametrize("args", [["--help"], ["grad", "--help"]])
def test_help(args):
    result = invoke(*args)
    assert result.exit_code == 0
    assert "Usage: bpcalc" in result.stdout
    assert "Example" in result.stdout


def test_no_arguments_shows_help():
    result = invoke()
    assert "Usage: bpcalc" in result.stdout + result.stderr
    assert "grad" in result.stdout + result.stderr


def test_grad_help_has_examples():
    result = invoke("grad", "--help")
    assert "Examples" in result.stdout
    assert 'bpcalc grad "(x+y)*z" --at x=-2,y=5,z=-4' in result.stdout


COMMANDS = [(info.name or info.callback.__name__.replace("_", "-"), info) for info in app.registered_commands]


def test_there_are_commands():
    names = [name for name, _ in COMMANDS]
    assert names[0] == "grad" and {"grad", "graph"} <= set(names) and len(names) == len(set(names))


@pytest.mark.parametrize("name, info", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_is_documented_with_an_example(name, info):
    """Like sqlite-utils' tests/test_docs.py: each command has help text that ends with an example."""
    assert (info.help or inspect.getdoc(info.callback) or "").strip(), f"{name} has no help text"
    assert "Example" in (info.epilog or ""), f"{name}'s help has no example"
    assert f"bpcalc {name} " in info.epilog
    result = invoke(name, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout


# ---------------------------------------------------------------- colour

ESCAPE = "\x1b["


def colour_codes(text: str) -> list[str]:
    """The SGR parameters that set a colour (30-38, 40-48, 90-107) in the text."""
    found = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        for p in params.split(";"):
            if p and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 107):
                found.append(p)
    return found


def test_piped_output_has_no_escapes():
    proc = bpcalc_process(*HEADLINE)
    assert proc.returncode == 0
    assert "Forward pass" in proc.stdout
    assert ESCAPE not in proc.stdout


def test_forced_terminal_has_colour():
    # Guard for the NO_COLOR tests: TTY_COMPATIBLE=1 makes Rich treat the pipe as a terminal.
    proc = bpcalc_process(*HEADLINE, env={"TTY_COMPATIBLE": "1", "TERM": "xterm-256color"})
    assert proc.returncode == 0
    assert colour_codes(proc.stdout)


def test_no_color_on_a_terminal_has_no_colour():
    proc = bpcalc_process(*HEADLINE, env={"TTY_COMPATIBLE": "1", "TERM": "xterm-256color", "NO_COLOR": "1"})
    assert proc.returncode == 0
    assert "Forward pass" in proc.stdout
    assert colour_codes(proc.stdout) == []


def test_no_color_on_a_terminal_has_no_escapes_at_all():
    proc = bpcalc_process(*HEADLINE, env={"TTY_COMPATIBLE": "1", "TERM": "xterm-256color", "NO_COLOR": "1"})
    assert proc.returncode == 0
    escapes = sorted(set(re.findall(r"\x1b\[[0-9;]*m", proc.stdout)))
    assert escapes == [], escapes


# ---------------------------------------------------------------- the JSON path stays light


def imported_modules(stderr: str) -> set[str]:
    """Module names from `python -X importtime` lines: 'import time: self | cumulative |   name'."""
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def test_json_path_imports_no_rich():
    proc = bpcalc_process(*HEADLINE, "--json", python=("-X", "importtime"))
    assert proc.returncode == 0
    modules = imported_modules(proc.stderr)
    assert "bpcalc.render.json" in modules  # the parsing of importtime's output works
    assert sorted(m for m in modules if m == "rich" or m.startswith("rich.")) == []


def test_table_path_imports_rich():
    # The counterpart: the same check sees Rich when it is there.
    proc = bpcalc_process(*HEADLINE, python=("-X", "importtime"))
    assert proc.returncode == 0
    assert "rich.table" in imported_modules(proc.stderr)


# ---------------------------------------------------------------- deep and long inputs

DEPTH = 100_000


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    deep = folder / "deep.bp"
    deep.write_text("x+(" * DEPTH + "x" + ")" * DEPTH, encoding="utf-8")  # right-nested: x+(x+(x+...))
    flat = folder / "flat.bp"
    flat.write_text("x+" * DEPTH + "x", encoding="utf-8")  # 200,001 characters
    return {"deep": deep, "flat": flat}


@pytest.mark.slow  # a 100,000-term input
@pytest.mark.parametrize("kind", ["deep", "flat"])
def test_big_input_from_a_file_as_json(kind, big_files):
    proc = bpcalc_process("grad", "--file", str(big_files[kind]), "--at", "x=1.5", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    data = strict_json(proc.stdout)
    terms = DEPTH + 1  # the sum has DEPTH + 1 x's
    assert data["value"] == 1.5 * terms
    assert data["gradient"] == {"x": terms}
    assert len(data["nodes"]) == 1 + DEPTH  # one x, DEPTH additions
    assert len(data["steps"]) == 2 * DEPTH


@pytest.mark.slow  # a 100,000-term input
def test_big_flat_sum_as_tables_is_elided(big_files):
    proc = bpcalc_process("grad", "--file", str(big_files["flat"]), "--at", "x=1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    nodes = 1 + DEPTH
    hidden = nodes - 400  # --max-rows defaults to 400
    assert re.search(rf"⋮\s+{hidden} more", proc.stdout)
    assert f"{hidden} of {nodes} rows not shown" in proc.stdout
    assert f"f = {DEPTH + 1}" in proc.stdout
    assert len(proc.stdout.splitlines()) < 2000


def test_tables_to_a_pipe_have_no_trailing_spaces():
    # issue 10 item 19: Rich pads every line to the table's width; a file or pipe gets none of it.
    for args in (HEADLINE, ["check", "x*y", "--at", "x=1,y=2", "--expect", "f=2, df/dx=3"], [*HEADLINE, "--tree"]):
        done = bpcalc_process(*args)
        assert done.stdout.strip(), done.stderr
        assert [line for line in done.stdout.splitlines() if line != line.rstrip()] == [], args


# ---------------------------------------------------------------- issue 10 items 1, 2, 8: how words reach Click


def run_both(*args: str, cwd=None):
    """The same command through CliRunner and as a real process: (exit code, stdout, stderr) of each."""
    inside = invoke(*args)
    outside = bpcalc_process(*args)
    return [(inside.exit_code, inside.stdout, inside.stderr), (outside.returncode, outside.stdout, outside.stderr)]


def test_graph_takes_an_expression_that_starts_with_a_minus():
    for code, stdout, stderr in run_both("graph", "-x*y + cos(c)", "--at", "x=1,y=2,c=0", "--format", "dot"):
        assert code == 0, stderr
        assert "-x*y + cos(c)" in stdout and "cos" in stdout


def test_graph_minus_log_with_an_output_file(tmp_path):
    path = tmp_path / "neglog.dot"
    inside = invoke("graph", "-log(x)", "--at", "x=2", "-o", str(path))
    assert inside.exit_code == 0, inside.stderr
    assert "-log(x)" in path.read_text(encoding="utf-8")
    path.unlink()
    outside = bpcalc_process("graph", "-log(x)", "--at", "x=2", "-o", str(path))
    assert outside.returncode == 0, outside.stderr
    assert "-log(x)" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["grad", "gradcheck", "explain"])
def test_every_command_takes_a_leading_minus(command):
    # -x^2 at x=3: -9, d/dx = -2x = -6
    for code, stdout, stderr in run_both(command, "-x^2", "--at", "x=3"):
        assert code == 0, stderr
        assert "-6" in stdout


def test_check_takes_a_leading_minus():
    for code, _, stderr in run_both("check", "-x^2", "--at", "x=3", "--expect", "f=-9, df/dx=-6"):
        assert code == 0, stderr


def test_a_single_dash_option_word_is_a_usage_error():
    for code, stdout, stderr in run_both("graph", "x", "--at", "x=1", "-output", "g.svg"):
        assert code == 2 and stdout == ""
        assert "did you mean --output?" in stderr
    assert not Path("g.svg").exists() and not Path("utput").exists()


@pytest.mark.parametrize("word, option", [("-at", "--at"), ("-j", "--json"), ("-wrt", "--wrt")])
def test_single_dash_spellings_of_options(word, option):
    for code, stdout, stderr in run_both("grad", "x*y", word, "x=1,y=2"):
        assert code == 2 and stdout == ""
        assert f"did you mean {option}?" in stderr


def test_everything_after_double_dash_is_the_expression():
    # --a is the double negation of a: 1 at a=1, d/da = 1
    for code, stdout, stderr in run_both("grad", "--at", "a=1", "--json", "--", "--a"):
        assert code == 0, stderr
        data = json.loads(stdout)
        assert data["value"] == 1 and data["gradient"] == {"a": 1}


@pytest.mark.parametrize("args", [["--at", "x=1", "y=2"], ["--at", "x=1,", "y=2"]])
def test_a_stray_name_value_word_gets_the_point_hint(args):
    # issue 10 item 8: the shell split the point at a space
    for code, stdout, stderr in run_both("grad", "x*y", *args):
        assert code == 2 and stdout == ""
        assert "'y=2' looks like part of the point" in stderr and "--at x=1,y=2" in stderr
        assert "quote the expression" not in stderr


@pytest.mark.parametrize(
    ("args", "word", "hint"),
    [
        (["x=1,y=2"], "x=1,y=2", "--at x=1,y=2"),  # --at forgotten: the whole point is the stray word
        (["--at", "x=1", "y=2,w=[1,2]"], "y=2,w=[1,2]", "--at y=2,w=[1,2]"),
    ],
)
def test_a_stray_word_of_several_items_gets_the_point_hint(args, word, hint):
    # It used to get "one expression expected ... quote the expression: bpcalc grad "x*y x=1,y=2"".
    for code, stdout, stderr in run_both("grad", "x*y", *args):
        assert code == 2 and stdout == ""
        assert f"'{word}' looks like part of the point" in stderr and hint in stderr, stderr
        assert "quote the expression" not in stderr


def test_every_install_hint_works_today():
    # issue 10 item 23: bpcalc is not on the package index, so `pip install "bpcalc[graph]"` fails
    root = Path(__file__).resolve().parent.parent
    texts = [
        (p, p.read_text(encoding="utf-8")) for p in (root / "bpcalc").rglob("*.py") if p.name != "lark_standalone.py"
    ]
    texts.append((root / "README.md", (root / "README.md").read_text(encoding="utf-8")))
    broken = [
        (str(p), m.group(0)) for p, text in texts for m in re.finditer(r"pip install [\"']?bpcalc(\\\\)?\[", text)
    ]
    assert broken == []
    from bpcalc.errors import install_hint

    assert install_hint("graphviz", "graph") == (
        'pip install graphviz (from a checkout of bpcalc: pip install ".[graph]"; '
        "under pipx: pipx inject bpcalc graphviz)"
    )


# ---------------------------------------------------------------- shell completion (issue 10 item 22)


def complete(shell: str, words: str, **env: str) -> list[str]:
    """What `bpcalc` answers the shell when completing `words` (its last word is the one being typed).

    This is how the scripts of `--show-completion` call it: Click's `_BPCALC_COMPLETE`
    variable with Typer's instruction names; bash passes COMP_WORDS/COMP_CWORD, zsh and
    fish the command line in _TYPER_COMPLETE_ARGS.
    """
    if shell == "bash":
        env |= {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": words}
    proc = bpcalc_process(env={"_BPCALC_COMPLETE": f"complete_{shell}", **env})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_help_offers_shell_completion():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


def test_completion_names_the_commands():
    assert complete("bash", "bpcalc ") == [name for name, _ in COMMANDS]
    assert complete("bash", "bpcalc gr") == ["grad", "graph", "grade", "gradcheck"]
    assert complete("bash", "bpcalc ke") == ["key"]


def test_completion_of_options_and_their_choices():
    assert complete("bash", "bpcalc grad --j") == ["--json"]
    assert complete("bash", "bpcalc key hw.toml --to") == ["--toml"]
    assert complete("bash", "bpcalc grad x --tie ") == ["indicator", "split"]


def test_completion_for_zsh_and_fish_carries_the_help():
    zsh = "\n".join(complete("zsh", "bpcalc ke"))
    assert '"key":"Print the answer key of an assignment' in zsh
    fish = complete("fish", "bpcalc grad --j", _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert fish == ["--json\tPrint one JSON object (schema in the README) instead of tables."]


@pytest.mark.parametrize(
    "shell, line",
    [
        ("bash", "complete -o default -F _bpcalc_completion bpcalc"),
        ("zsh", "compdef _bpcalc_completion bpcalc"),
        ("fish", "complete --command bpcalc"),
    ],
)
def test_show_completion_prints_the_shell_script(shell, line):
    # _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION: the shell is named, not detected from the parent process
    proc = bpcalc_process("--show-completion", shell, env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert proc.returncode == 0, proc.stderr
    assert line in proc.stdout and f"_BPCALC_COMPLETE=complete_{shell}" in proc.stdout


def test_install_completion_for_bash_writes_the_script_and_sources_it(tmp_path):
    env = {"HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    proc = bpcalc_process("--install-completion", "bash", env=env)
    assert proc.returncode == 0, proc.stderr
    script = tmp_path / ".bash_completions" / "bpcalc.sh"
    assert "_BPCALC_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_through_its_script(tmp_path):
    # The whole path: bash sources the script, and its function asks the `bpcalc` on PATH.
    root = Path(__file__).resolve().parent.parent
    tool = tmp_path / "bpcalc"
    tool.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bpcalc "$@"\n')
    tool.chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if k != "_BPCALC_COMPLETE"},
        "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(root),
        "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
    }
    script = (
        'source <(bpcalc --show-completion bash)\n'
        'COMP_WORDS=(bpcalc gra); COMP_CWORD=1; _bpcalc_completion bpcalc\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["grad", "graph", "grade", "gradcheck"]
