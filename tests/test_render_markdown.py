"""Tests for bpcalc/render/markdown.py and render/rows.py: golden Markdown, and the same cells as the terminal table."""
from __future__ import annotations

import pytest
from worked import CASES, EXAMPLES, check_golden

import bpcalc
from bpcalc.render import markdown, rows
from bpcalc.render.table import backward_table, forward_table, summary_table


@pytest.mark.parametrize("example, name", CASES)
def test_golden_markdown(example, name):
    check_golden("markdown", f"{name}.md", markdown.render(bpcalc.grad(example["expr"], at=example["at"])))


def rich_cells(table) -> list[tuple[str, ...]]:
    columns = [[str(cell) for cell in column.cells] for column in table.columns]
    return [tuple(column[i] for column in columns) for i in range(table.row_count)]


@pytest.mark.parametrize(
    "example", EXAMPLES + [{"expr": "x^2 + 2*3 + max(x, 3)", "at": {"x": 3}}], ids=lambda e: e["expr"][:30]
)
def test_rows_are_the_terminal_tables_cells(example):
    """Markdown, HTML and the terminal read the same step data: every cell is the same string."""
    result = bpcalc.grad(example["expr"], at=example["at"])
    for ours, theirs in [
        (rows.forward(result, 4), forward_table(result, 4)),
        (rows.backward(result, 4), backward_table(result, 4)),
        (rows.summary(result, 4), summary_table(result, 4)),
    ]:
        assert ours.headers == tuple(str(c.header) for c in theirs.columns)
        assert ours.rows == rich_cells(theirs)
        assert ours.title == str(theirs.title)


def test_elided_rows_match_the_terminal():
    result = bpcalc.grad("x+" * 9 + "x", at="x=1")
    ours, theirs = rows.forward(result, 6, 4), rich_cells(forward_table(result, 6, 4))
    assert ours.rows.index(None) == 2 and ours.hidden == 6
    assert [r for r in ours.rows if r is not None] == [r for r in theirs if r[0] != "⋮"]
    assert "| ⋮ | 6 more |" in markdown.render(result, max_rows=4)


def test_headline_markdown():
    text = markdown.render(bpcalc.grad("(x+y)*z", at="x=-2,y=5,z=-4"))
    assert "| f | mul | n1, z | `(x+y)*z` | -12 |" in text
    assert "| f | 1 | n1 | `z` = -4 | 1 × -4 = -4 |" in text
    assert "| x | 3 + 3 + 1 = 7 |" in markdown.render(bpcalc.grad("x*x + x", at="x=3"))
    assert "|---|--:|--:|" in text  # numbers aligned right in the summary


def test_cells_are_escaped():
    assert markdown._cell("a|b", False) == "a\\|b"
    assert markdown._cell("[a > b] = 1", True) == "`[a > b]` = 1"
    assert markdown._cell("x # `y`", True) == "`` x # `y` ``"
