"""Hostile input end to end: files, paths, encodings and environment faults, as an autograder meets them.

In an autograder every answer file is a student's upload and bpcalc runs as the
grader (issue 11). Each test here is an attack that once worked; unit tests of
the helpers are in tests/test_text.py and tests/test_files.py.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bpcalc.cli import app

runner = CliRunner()

ONE_PROBLEM = '''
title = "HW"
[[problems]]
id = "1"
expression = "q = x + y; f = q * z"
at = "x=-2, y=5, z=-4"
ask = ["q", "f", "df/dx"]
'''
GOOD = "q = 3\nf = -12\n\"df/dx\" = -4\n"


def invoke(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


@pytest.fixture
def homework(tmp_path: Path) -> Path:
    path = tmp_path / "hw.toml"
    path.write_text(ONE_PROBLEM, encoding="utf-8")
    return path


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "good.toml").write_text(GOOD, encoding="utf-8")
    return folder


def toml_text(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string for these characters


# ---------------------------------------------------------------- spreadsheets and terminals


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","x")', "@SUM(A1:A2)", "+1+1", "-2+3"])
def test_csv_cells_never_start_a_formula(homework, subs, name):
    (subs / "evil.toml").write_text(f"student = {toml_text(name)}\n{GOOD}", encoding="utf-8")
    (subs / "=cmd.toml").write_text(GOOD, encoding="utf-8")  # a file name is a cell too
    result = invoke("grade", homework, subs, "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    cells = [cell for row in rows for cell in row]
    assert any(name in cell for cell in cells)  # the name is kept, only disarmed
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell.startswith("-") and not cell[1:].replace(".", "").isdigit())]


ESCAPE = "\x1b[2J\x1b]0;pwned\x07"


def test_grade_table_and_warnings_show_escapes(homework, subs):
    (subs / "evil.toml").write_text(f"student = {toml_text(ESCAPE)}\n{GOOD}{toml_text(ESCAPE + 'k')} = 1\n", encoding="utf-8")
    result = invoke("grade", homework, subs)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b[2J" in result.stdout  # shown, not hidden
    assert "\\x1b" in result.stderr  # the unknown key's warning


def test_check_assignment_shows_escapes(homework, tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text(f"student = {toml_text(ESCAPE)}\n{GOOD}{toml_text(ESCAPE)} = 1\n", encoding="utf-8")
    result = invoke("check", "--assignment", homework, "--answers", answers)
    assert "\x1b" not in result.stdout + result.stderr and "\\x1b" in result.stdout + result.stderr
