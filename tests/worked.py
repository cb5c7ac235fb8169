"""Helpers for the golden tests of the picture and write-up renderers (DOT, Mermaid, Markdown, LaTeX).

Each worked example in tests/data/worked_examples.json has one golden file per
format under tests/golden/<format>/. To regenerate them after a deliberate change:

    BPCALC_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_render_dot.py tests/test_render_mermaid.py \
        tests/test_render_markdown.py tests/test_render_latex.py

then read the diff.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
REGEN = os.environ.get("BPCALC_REGEN_GOLDEN") == "1"
EXAMPLES = json.loads((HERE / "data" / "worked_examples.json").read_text(encoding="utf-8"))


def slug(index: int, example: dict) -> str:
    """A file name for a worked example: its number and the start of its expression."""
    words = re.sub(r"[^A-Za-z0-9]+", "-", example["expr"]).strip("-").lower()
    return f"{index + 1:02d}-{words[:28].rstrip('-')}"


CASES = [pytest.param(example, slug(k, example), id=slug(k, example)) for k, example in enumerate(EXAMPLES)]


def check_golden(folder: str, name: str, text: str) -> None:
    """Compare with tests/golden/<folder>/<name>, or write it when BPCALC_REGEN_GOLDEN=1."""
    path = GOLDEN / folder / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"wrote {path}")
    assert path.exists(), f"no golden file {path}: run with BPCALC_REGEN_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8")


def needs_graphviz():
    """Skip a test without Graphviz, unless CI (BPCALC_REQUIRE_GRAPHVIZ=1) says it must run."""
    required = os.environ.get("BPCALC_REQUIRE_GRAPHVIZ") == "1"
    try:
        import graphviz  # noqa: F401
        have_package = True
    except ImportError:
        have_package = False
    have_dot = shutil.which("dot") is not None
    if have_package and have_dot:
        return
    missing = "the graphviz package" if not have_package else "Graphviz's dot program"
    if required:
        pytest.fail(f"BPCALC_REQUIRE_GRAPHVIZ=1 but {missing} is missing")
    pytest.skip(f"{missing} is missing")


def mlp(hidden: int = 10, inputs: int = 4) -> tuple[str, str]:
    """A two-layer network with a cross-entropy loss, and a point: ~190 nodes at hidden=10."""
    lines, at = [], [f"x{k}={0.1 * k:.1f}" for k in range(1, inputs + 1)]
    for j in range(1, hidden + 1):
        terms = " + ".join(f"w{j}_{k}*x{k}" for k in range(1, inputs + 1))
        lines.append(f"h{j} = tanh({terms} + b{j})")
        at += [f"w{j}_{k}={((j * 7 + k * 3) % 11 - 5) / 10:.1f}" for k in range(1, inputs + 1)]
        at.append(f"b{j}=0.{j % 10}")
    lines.append(f"o = sigmoid({' + '.join(f'v{j}*h{j}' for j in range(1, hidden + 1))} + c)")
    lines.append("L = -(t*log(o) + (1 - t)*log(1 - o))")
    at += [f"v{j}={((j * 5) % 7 - 3) / 10:.1f}" for j in range(1, hidden + 1)] + ["c=0.1", "t=1"]
    return "\n".join(lines), ",".join(at)
