"""Tests for bpcalc/render/__init__.py: the registry of formats, its one signature, the README's list of them."""
from __future__ import annotations

import inspect
import io
import json
import re
from pathlib import Path

import pytest

import bpcalc
from bpcalc.render import FORMATS, Format, Options, formats, notes, render
from bpcalc.render.json import to_dict

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
HEADLINE = ("(x+y)*z", "x=-2,y=5,z=-4")


def test_readme_documents_every_format():
    # Each command's option table lists its --format choices, in the registry's order, and
    # every format (also one reached by its own flag, as --tree) is named in the README.
    for command in ("grad", "graph"):
        names = "\\|".join(f.name for f in formats(command))
        assert f"| `--format {names}` |" in README, command
        assert f"--format {names.replace(chr(92), '')}" in README, command  # the usage line
    for f in FORMATS.values():
        if not f.commands:  # reached by a flag of its own
            assert f"| `--{f.name}` |" in README, f.name


def test_every_format_has_the_one_signature():
    for f in FORMATS.values():
        module, _, function = f.renderer.partition(":")
        found = getattr(__import__(f"bpcalc.render.{module}", fromlist=("output",)), function)
        assert list(inspect.signature(found).parameters) == ["result", "options"], f.name
        assert isinstance(found, type(test_readme_documents_every_format)), f.name


def test_render_dispatches_on_the_format():
    result = bpcalc.grad(*HEADLINE)
    data = json.loads("".join(render(result, Options(format="json"))))  # JSON comes in pieces
    assert data["value"] == -12 and data["gradient"] == {"x": -4, "y": -4, "z": 3}
    assert data == json.loads(json.dumps(to_dict(result)))
    markdown = render(result, Options(format="markdown"))
    assert "| `x` | -2 | -4 |\n| `y` | 5 | -4 |\n| `z` | -4 | 3 |" in markdown  # by hand: f = (x+y)z
    assert render(result, Options(format="dot")).startswith("digraph")
    assert "\nflowchart LR\n" in render(result, Options(format="mermaid"))
    latex = render(result, Options(format="latex", standalone=True))
    assert latex.startswith("\\documentclass") and latex.rstrip().endswith("\\end{document}")


def test_table_and_tree_are_what_the_terminal_shows(monkeypatch):
    # Rendered through Rich's capture: the same text Rich would print, at the terminal's width.
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr("sys.stdout", io.StringIO())
    result = bpcalc.grad(*HEADLINE)
    text = render(result, Options(format="table"))
    assert "f = -12" in text and "\x1b" not in text
    assert all(len(line) <= 100 for line in text.splitlines())
    tree = render(result, Options(format="tree"))
    assert tree.splitlines()[0].startswith("f")


def test_the_options_digits_reach_the_renderer():
    result = bpcalc.grad("x/3", at="x=1")
    assert "0.333" in render(result, Options(format="markdown", digits=3))
    assert "0.333333" not in render(result, Options(format="markdown", digits=3))


def test_a_new_format_is_one_registry_line(monkeypatch):
    monkeypatch.setitem(FORMATS, "value", Format("value", "json:output", "value (JSON)", ("grad",)))
    assert [f.name for f in formats("grad")][-1] == "value"
    result = bpcalc.grad(*HEADLINE)
    assert json.loads("".join(render(result, Options(format="value"))))["value"] == -12


def test_graph_formats_know_their_suffixes():
    suffixes = {s: f.name for f in formats("graph") for s in f.suffixes}
    assert suffixes == {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot",
                        ".mmd": "mermaid", ".mermaid": "mermaid"}
    assert [f.name for f in formats("graph") if f.binary] == ["png", "pdf"]


@pytest.mark.parametrize("terms, noted", [(10, False), (300, True)])
def test_mermaid_notes_its_edge_limit(terms, noted):
    # x*x + x*x + ...: each product uses x twice and each sum two terms, so edges grow past 500.
    expr = " + ".join(["x*x"] * terms)
    result = bpcalc.grad(expr, at="x=1")
    edges = sum(len(node.inputs) for node in result.graph.nodes) + 1
    found = notes(result, Options(format="mermaid"))
    assert bool(found) == noted == (edges > 500)
    if noted:
        assert re.fullmatch(rf"{edges} edges: Mermaid draws at most 500 unless its maxEdges is raised", found[0])
    assert notes(result, Options(format="dot")) == []
