"""Tests for `bpcalc graph` and `bpcalc grad --format/--standalone/--tree`, through CliRunner and as processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner
from worked import needs_graphviz

import bpcalc
from bpcalc.cli import app
from bpcalc.render import latex, markdown

HEADLINE = ["(x+y)*z", "--at", "x=-2,y=5,z=-4"]
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def process(*args: str, env: dict | None = None, python: tuple = ()):
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, *python, "-m", "bpcalc", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=base,
        timeout=120,
    )


# ---------------------------------------------------------------- bpcalc graph: text


def test_default_is_dot_on_stdout():
    result = invoke("graph", *HEADLINE)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("digraph bpcalc {") and result.stderr == ""


def test_mermaid_on_stdout():
    result = invoke("graph", *HEADLINE, "--format", "mermaid")
    assert result.exit_code == 0
    assert "flowchart LR" in result.stdout and "∂ -4" in result.stdout


@pytest.mark.parametrize("suffix, start", [(".dot", "digraph"), (".gv", "digraph"), (".mmd", "%% bpcalc")])
def test_text_files_by_suffix(tmp_path, suffix, start):
    path = tmp_path / f"graph{suffix}"
    result = invoke("graph", *HEADLINE, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert path.read_text(encoding="utf-8").startswith(start)


def test_precision_and_format_override_the_suffix(tmp_path):
    path = tmp_path / "graph.txt"
    result = invoke("graph", "x/3", "--at", "x=1", "--precision", "3", "--format", "dot", "--output", str(path))
    assert result.exit_code == 0
    assert ">0.333<" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_kink_is_in_the_picture_and_on_stderr_as_grad_warns(fmt):
    graph = invoke("graph", "relu(x)", "--at", "x=0", "--format", fmt)
    grad = invoke("grad", "relu(x)", "--at", "x=0")
    assert graph.exit_code == 0 and "kink" in graph.stdout
    # the warning names the node, the one-sided derivatives and the convention (written out from ops.py's relu)
    expected = (
        "warning: f = relu(x) is at a kink (its input is 0; ∂f/∂x is 0 from below and 1 from above); "
        "relu'(0) = 0, as in the course, PyTorch and JAX\n"
    )
    assert graph.stderr == expected and grad.stderr == expected


def test_graph_to_a_file_warns_of_the_kink_with_tie_split(tmp_path):
    path = tmp_path / "g.dot"
    result = invoke("graph", "max(x, y)", "--at", "x=1,y=1", "--tie", "split", "-o", str(path))
    assert result.exit_code == 0 and result.stdout == ""
    assert "is at a kink" in result.stderr and "--tie split: 1/2 to each input" in result.stderr


# ---------------------------------------------------------------- bpcalc graph: images


@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF-")])
def test_images(tmp_path, fmt, magic):
    needs_graphviz()
    path = tmp_path / f"graph.{fmt}"
    result = invoke("graph", *HEADLINE, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert path.read_bytes().startswith(magic)


def test_svg_as_a_real_process_holds_the_numbers(tmp_path):
    needs_graphviz()
    path = tmp_path / "fanout.svg"
    proc = process("graph", "x*x + x", "--at", "x=3", "-o", str(path))
    assert proc.returncode == 0, proc.stderr
    svg = path.read_text(encoding="utf-8")
    assert "Σ 7" in svg and svg.count(">∂ 3<") == 2 and svg.count(">∂ 1<") == 3


def test_image_to_a_pipe(tmp_path):
    needs_graphviz()
    proc = subprocess.run(
        [sys.executable, "-m", "bpcalc", "graph", *HEADLINE, "--format", "png"], capture_output=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.startswith(b"\x89PNG")


def test_without_the_dot_program(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = process("graph", *HEADLINE, "-o", str(tmp_path / "graph.svg"), env={"PATH": str(empty)})
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: drawing an image needs Graphviz's dot program")
    assert "apt-get install graphviz" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "graph.svg").exists()
    # text formats still work
    for fmt in ("dot", "mermaid"):
        proc = process("graph", *HEADLINE, "--format", fmt, env={"PATH": str(empty)})
        assert proc.returncode == 0, proc.stderr


def test_without_the_graphviz_package(tmp_path):
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "from bpcalc.cli import main; sys.argv = ['bpcalc'] + sys.argv[1:]; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "graph", *HEADLINE, "-o", str(tmp_path / "g.png")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert 'pip install graphviz' in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- bpcalc graph: errors


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["-o", "graph.jpg"], 2, "cannot tell the format from 'graph.jpg'"),
        (["--fromat", "dot"], 2, "did you mean --format?"),
        (["--max-nodes", "3", "--format", "svg"], 2, "more than --max-nodes 3"),
        (["-o", "/nonexistent/folder/graph.dot"], 2, "cannot write /nonexistent/folder/graph.dot"),
    ],
)
def test_graph_errors(args, code, message):
    result = invoke("graph", *HEADLINE, *args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr and result.stdout == ""


def test_graph_input_errors():
    assert invoke("graph", "(x+y)*z", "--at", "x=1").exit_code == 2  # no value for y, z
    result = invoke("graph", "x", "+", "y", "--at", "x=1,y=2")
    assert result.exit_code == 2 and 'bpcalc graph "x + y"' in result.stderr
    assert invoke("graph", "log(x)", "--at", "x=-1").exit_code == 3


def test_graph_reads_a_file(tmp_path):
    program = tmp_path / "model.bp"
    program.write_text("q = x + y\nf = q * z\n", encoding="utf-8")
    result = invoke("graph", "--file", str(program), "--at", "x=-2,y=5,z=-4", "--format", "mermaid")
    assert result.exit_code == 0 and "<b>q</b>" in result.stdout


def test_graph_text_formats_import_neither_rich_nor_graphviz():
    proc = process("graph", *HEADLINE, "--format", "dot", python=("-X", "importtime"))
    assert proc.returncode == 0
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "bpcalc.render.dot" in modules
    assert not [m for m in modules if m.split(".")[0] in ("rich", "graphviz")]


# ---------------------------------------------------------------- bpcalc grad --format, --standalone, --tree


def test_grad_markdown():
    result = invoke("grad", *HEADLINE, "--format", "markdown")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == markdown.render(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))


def test_grad_latex_and_standalone():
    result = invoke("grad", "q = x + y; f = q * z", "--at", "x=-2,y=5,z=-4", "--format", "latex")
    assert result.exit_code == 0
    assert "= (-4)(1) = -4" in result.stdout and "\\documentclass" not in result.stdout
    result = invoke("grad", *HEADLINE, "--format", "latex", "--standalone", "--precision", "3")
    assert result.exit_code == 0
    assert result.stdout == latex.render(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"), 3, standalone=True)


def test_grad_tree():
    result = invoke("grad", *HEADLINE, "--tree")
    assert result.exit_code == 0
    assert "f  mul  (x+y)*z   value -12" in result.stdout and "└── z   value -4   ∂f/∂z 3" in result.stdout


def test_grad_format_json_is_json():
    result = invoke("grad", *HEADLINE, "--format", "json")
    assert result.exit_code == 0 and result.stdout.startswith('{"schema":"bpcalc.grad/1"')
    assert invoke("grad", *HEADLINE, "--format", "json", "--json").exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--json", "--tree"], "--json and --tree ask for different outputs"),
        (["--format", "markdown", "--json"], "--json and --format markdown"),
        (["--format", "latex", "--tree"], "--format latex and --tree"),
        (["--standalone"], "--standalone makes a whole LaTeX document"),
        (["--format", "markdown", "--standalone"], "use it with --format latex"),
    ],
)
def test_grad_output_options_conflict(args, message):
    result = invoke("grad", *HEADLINE, *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_grad_markdown_and_latex_import_no_rich():
    for fmt in ("markdown", "latex"):
        proc = process("grad", *HEADLINE, "--format", fmt, python=("-X", "importtime"))
        assert proc.returncode == 0
        modules = {
            line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
        }
        assert f"bpcalc.render.{fmt}" in modules
        assert not [m for m in modules if m.split(".")[0] in ("rich", "graphviz")], fmt


def test_help_lists_the_new_options_and_ends_with_examples():
    result = invoke("graph", "--help")
    assert result.exit_code == 0
    assert "Examples" in result.stdout and 'bpcalc graph "(x+y)*z" --at x=-2,y=5,z=-4 -o graph.svg' in result.stdout
    assert 'pip install ".[graph]"' in result.stdout
    text = invoke("grad", "--help").stdout
    for option in ("--format", "--standalone", "--tree"):
        assert option in text


# ---------------------------------------------------------------- values that are arrays


VECTOR = ["max(0, 1 - (w @ phi)*y)", "--at", "w=[0.5,-0.3],phi=[1,2],y=1"]


@pytest.mark.parametrize(
    "args",
    [
        ["graph", "--format", "dot"],
        ["graph", "--format", "mermaid"],
        ["grad", "--format", "markdown"],
        ["grad", "--format", "latex"],
        ["grad", "--tree"],
    ],
    ids=lambda a: " ".join(a),
)
def test_pictures_and_write_ups_show_arrays(args):
    """Every number goes through bpcalc.render.number, so a vector value or gradient shows as one."""
    try:
        bpcalc.grad(VECTOR[0], at=VECTOR[2])
    except bpcalc.BpcalcError:
        pytest.skip("this build has no vectors")
    result = invoke(args[0], VECTOR[0], *VECTOR[1:], *args[1:])
    assert result.exit_code == 0, result.stderr
    if "latex" in args:  # in math mode (issue 10 item 24): the point in the header comment, ∂f/∂w a bmatrix
        assert "% at w = [0.5, -0.3]" in result.stdout
        assert "\\begin{bmatrix} -1 & -2 \\end{bmatrix}" in result.stdout and "\\text{[" not in result.stdout
        return
    assert "[0.5, -0.3]" in result.stdout and "[-1, -2]" in result.stdout  # w and ∂f/∂w


@pytest.mark.parametrize("fmt, mark, split", [
    ("markdown", "`[0 < n3]` = 0.5 (kink 1)", "Computed with --tie split: 1/2 to each input at a max/min tie."),
    ("latex", "&= 0.5 \\tag*{kink 1}", "Computed with -{}-tie split: 1/2 to each input at a max/min tie."),
])
def test_grad_documents_at_a_kink_say_so_and_name_tie_split(fmt, mark, split):
    # the hinge at margin exactly 1: max(0, 0) ties, and --tie split gives ½ to each input
    result = invoke("grad", "max(0, 1 - w*phi*y)", "--at", "w=1,phi=1,y=1", "--tie", "split", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert mark in result.stdout and split in result.stdout
    assert "is at a kink" in result.stdout and "is at a kink" in result.stderr  # in the document and warned
