"""Tests for bpcalc/text.py: control characters made visible, CSV cells no spreadsheet runs, TOML strings."""

from __future__ import annotations

import csv
import io
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpcalc.text import csv_cell, toml_comment, toml_string, visible

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"),  # clear screen, retitle the window
        ("a\rb", "a\\rb"),  # a carriage return would overwrite the start of the line
        ("tab\there", "tab\\there"),
        ("nul\x00", "nul\\x00"),
        ("del\x7f c1\x9b", "del\\x7f c1\\x9b"),  # DEL, and the 8-bit CSI
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override (Trojan Source)
        ("line\u2028sep", "line\\u2028sep"),
        ("two\nlines", "two\\nlines"),
    ],
)
def test_visible_escapes_every_control_character(raw, shown):
    assert visible(raw) == shown


def test_visible_keeps_ordinary_text_and_optionally_new_lines():
    text = "Zoë ∂f/∂x = −4 😀 [bold]x[/bold]"
    assert visible(text) is text  # unchanged, not even copied
    assert visible("a\nb\x1bc\td\re", newlines=True) == "a\nb\\x1bc\td\\re"


def test_visible_is_linear_on_a_long_input():
    import time

    text = "\x1b" * 200_000 + "x" * 200_000
    start = time.perf_counter()
    assert visible(text).count("\\x1b") == 200_000
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil.example","x")', "@SUM(A1:A9)", "+1+1", "-2+3", "\t=1", "\r=1", "=1", "-", "@"],
)
def test_csv_cell_neutralises_formulas(cell):
    safe = csv_cell(cell)
    assert safe == "'" + cell
    # A spreadsheet sees the written cell; the first character decides.
    written = next(csv.reader(io.StringIO(_row([safe]))))[0]
    assert written[0] not in "=+-@\t\r"


@pytest.mark.parametrize(
    "cell, kept",
    [("alice", "alice"), ("-2.5", "-2.5"), ("-3", "-3"), ("1e-3", "1e-3"), ("", ""), (None, ""), (7.5, "7.5")],
)
def test_csv_cell_keeps_plain_text_and_numbers(cell, kept):
    assert csv_cell(cell) == kept


def _row(cells):
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


# ---------------------------------------------------------------- TOML (issue 10 item 15)

HOSTILE = [
    "Homework 3\nBackprop",  # a line break ended the key's comment line
    'say "hi"',
    "back\\slash \\n \\u0041",
    "#3 # not a comment",
    '"""',
    "\'\'\'",
    "ESC\x1b[2J BEL\x07 NUL\x00 DEL\x7f CR\r FF\x0c VT\x0b TAB\t C1\x85",
    "line\u2028sep bidi\u202e",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_toml_string_and_comment_are_valid_toml(text):
    # tomllib (the standard library's reader) is the reference: the text comes back as it was
    document = f"{toml_comment(text)}\nkey = {toml_string(text)}\n[{toml_string(text)}]\nx = 1\n"
    assert tomllib.loads(document) == {"key": text, text: {"x": 1}}
    assert "\n" not in toml_comment(text) and toml_comment(text).startswith("# ")


@given(st.text(st.characters(exclude_categories=["Cs"])))  # lone surrogates are no TOML (nor UTF-8) at all
def test_any_text_is_a_toml_string(text):
    assert tomllib.loads(f"{toml_comment(text)}\nkey = {toml_string(text)}") == {"key": text}


def test_toml_string_is_json_string_but_for_del():
    import json

    assert toml_string('df/dx "q"\t\n') == json.dumps('df/dx "q"\t\n', ensure_ascii=False)
    assert toml_string("\x7f") == '"\\u007f"'  # json.dumps leaves DEL raw, which TOML refuses
