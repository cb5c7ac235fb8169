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
    assert "| `f` | mul | `n1`, `z` | `(x+y)*z` | -12 |" in text
    assert "| `f` | 1 | `n1` | `z` = -4 | 1 × -4 = -4 |" in text
    assert "| `x` | 3 + 3 + 1 = 7 |" in markdown.render(bpcalc.grad("x*x + x", at="x=3"))
    assert "|---|--:|--:|" in text  # numbers aligned right in the summary


def test_cells_are_escaped():
    assert markdown._cell("a|b", False) == "a\\|b"
    assert markdown._cell("[a > b] = 1", True) == "`[a > b]` = 1"
    assert markdown._cell("x # `y`", True) == "`` x # `y` ``"
    assert markdown._cell("x # ``y``", True) == "``` x # ``y`` ```"  # a fence longer than any run inside


# ---------------------------------------------------------------- names as code (issue 10 item 24)


def test_names_are_code_spans_so_underscores_stay_literal():
    text = markdown.render(bpcalc.grad("_w_ = x*y; f = _w_ + x", at="x=2,y=3"))
    assert "| `_w_` | mul | `x`, `y` | `x*y` | 6 |" in text  # not *w*, the emphasis _w_ would be
    assert "| `f` | add | `_w_`, `x` | `_w_ + x` | 8 |" in text
    assert "|  |  | `x` | `1` | 1 × 1 = 1 |" in text  # the input column too
    assert "| `_w_` | 6 | 1 |" not in text and "| `x` | 2 | 4 |" in text  # the summary: ∂f/∂x = y + 1
    for line in text.splitlines():  # outside code spans, no bare _ * ` that Markdown would read
        outside = "".join(part for k, part in enumerate(line.split("`")) if k % 2 == 0)
        assert "_" not in outside.replace("\\_", "") and "*" not in outside.replace("\\*", ""), line


def test_an_output_name_in_titles_and_headers_is_escaped():
    text = markdown.render(bpcalc.grad("_loss_ = x*x", at="x=3"))
    assert "### Backward pass: from \\_loss\\_ back to the inputs" in text
    assert "| node | upstream ∂\\_loss\\_/∂node | input | local ∂node/∂input | contribution |" in text
    assert "### \\_loss\\_ = 9" in text


def test_prose_escapes_markdown_and_code_spans_take_any_backticks():
    assert markdown.prose("a*b_c [x](y) <b> |$1 & #") == "a\\*b\\_c \\[x\\](y) \\<b\\> \\|\\$1 \\& \\#"
    assert markdown.code("a") == "`a`" and markdown.code("a`b") == "`` a`b ``" and markdown.code("``") == "``` `` ```"


# ---------------------------------------------------------------- kinks (issue 10 item 5)

HINGE = "max(0, 1 - w*phi*y)"  # the margin w·phi·y is exactly 1 at w = phi = y = 1: max(0, 0) ties
HINGE_AT = "w=1,phi=1,y=1"


def test_a_local_at_a_kink_is_marked_and_the_note_names_the_convention():
    text = markdown.render(bpcalc.grad(HINGE, at=HINGE_AT))
    # the course's indicator rule: [0 < n3] = 0 at the tie
    assert "| `f` | 1 | `n3` | `[0 < n3]` = 0 (kink 1) | 1 × 0 = 0 |" in text
    assert text.count("(kink ") == 1
    notes = text[text.index("### Kinks"):]
    item = next(line for line in notes.splitlines() if line.startswith("1. "))
    # errors.kink_notice's words (the node, the tie, the one-sided derivatives, the convention), escaped
    assert item == (
        "1. f = max(0, 1 - w\\*phi\\*y) is at a kink (its inputs tie at 0; ∂f/∂n3 is 0 from below and 1 from above); "
        "a tie gives 0 to both inputs, as the course's indicator rule does "
        "(--tie split gives 1/2 each, as PyTorch and JAX do)"
    )
    assert "Computed with --tie split" not in text


def test_tie_split_is_said_where_it_changes_the_numbers():
    text = markdown.render(bpcalc.grad(HINGE, at=HINGE_AT, tie="split"))
    assert "| `f` | 1 | `n3` | `[0 < n3]` = 0.5 (kink 1) | 1 × 0.5 = 0.5 |" in text  # ½ to each input of the tie
    assert "| `w` | 1 | -0.5 |" in text  # ∂f/∂w = ½ · (−phi·y)
    item = next(line for line in text.splitlines() if line.startswith("1. "))
    assert item.endswith("from above); --tie split: 1/2 to each input")
    assert text.endswith("\nComputed with --tie split: 1/2 to each input at a max/min tie.\n")
    # without a kink --tie split changes nothing, and the document still says which rule it follows
    smooth = markdown.render(bpcalc.grad("max(x, y)", at="x=2,y=1", tie="split"))
    assert "(kink" not in smooth
    assert smooth.endswith("### Kinks\n\nComputed with --tie split: 1/2 to each input at a max/min tie.\n")


def test_kinks_are_numbered_from_the_output_back():
    text = markdown.render(bpcalc.grad("relu(x) + abs(x) + max(x, y)", at="x=0,y=0"))
    assert "| `n4` | 1 | `x` | `[x > y]` = 0 (kink 1) |" in text and "|  |  | `y` | `[x < y]` = 0 (kink 1) |" in text
    assert "| `n2` | 1 | `x` | `sign(x)` = 0 (kink 2) |" in text
    assert "| `n1` | 1 | `x` | `[x > 0]` = 0 (kink 3) |" in text
    items = [line for line in text.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    assert [item.split(" = ")[0] for item in items] == ["1. n4", "2. n2", "3. n1"]
    assert "relu'(0) = 0" in items[2] and "abs'(0) = 0, the middle of the subgradient \\[-1, 1\\]" in items[1]


def test_no_kink_no_notes():
    assert "kink" not in markdown.render(bpcalc.grad(HINGE, at="w=0.5,phi=1,y=1")).lower()


def test_a_markdown_parser_shows_names_and_notes_as_written():
    """CommonMark with GFM tables (markdown-it-py, which Rich brings) reads no emphasis into names or notes."""
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark").enable("table")
    text = markdown.render(bpcalc.grad("_w_ = relu(x) + abs(x); _loss_ = max(_w_*y, y)", at="x=0,y=0", tie="split"))
    html = parser.render(text)
    assert "<em>" not in html and "<strong>" not in html and html.count("<table>") == 3
    assert "<td><code>_w_</code></td>" in html and "<h3>Backward pass: from _loss_ back to the inputs</h3>" in html
    assert "<td><code>[n3 &gt; y]</code> = 0.5 (kink 1)</td>" in html
    assert "<li>_loss_ = max(_w_*y, y) is at a kink (its inputs tie at 0; " in html
    assert "the middle of the subgradient [-1, 1] (JAX gives 1)</li>" in html
