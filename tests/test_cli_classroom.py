"""Tests for bpcalc/cli/classroom.py (autograder, variants) and grade's and key's classroom options."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bpcalc.cli import app

runner = CliRunner()

HOMEWORK = """
title = "Homework 3"
seed = 11

[[problems]]
id = "1"
expression = "f = w * x"
at = { x = 2 }
ask = ["f", "df/dx", "df/dw"]
[problems.random]
w = { min = 1, max = 9 }
"""

EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Homework 3 (77),Current Score\n"
    "    Points Possible,,,,,3,(read only)\n"
    '"Lovelace, Ada",101,S1,ada,A,,90\n'
    '"Turing, Alan",103,S3,alan,B,,70\n'
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "hw.toml").write_text(HOMEWORK)
    (tmp_path / "export.csv").write_text(EXPORT)
    return tmp_path


def _invoke(folder: Path, *args: str):
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        return runner.invoke(app, list(args))
    finally:
        os.chdir(here)


def _w(folder: Path, key: str) -> float:
    result = _invoke(folder, "key", "hw.toml", "--student", key, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["problems"][0]["at"]["w"]


def _right(w: float) -> str:
    # by hand: f = w*x = 2w, df/dx = w, df/dw = x = 2
    return f'f = {2 * w}\n"df/dx" = {w}\n"df/dw" = 2\n'


def test_autograder_command(folder):
    result = _invoke(
        folder, "autograder", "hw.toml", "-o", "ag.zip", "--visibility", "hidden", "--python-deps", "latest"
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(folder / "ag.zip") as archive:
        assert json.loads(archive.read("bpcalc-autograder.json"))["visibility"] == "hidden"
        assert archive.read("requirements.txt") == archive.read("requirements-ranges.txt")
    assert _invoke(folder, "autograder", "hw.toml", "-o", "ag.zip", "--visibility", "soon").exit_code == 2
    assert _invoke(folder, "autograder", "missing.toml", "-o", "x.zip").exit_code == 2


def test_variants_to_every_format(folder):
    result = _invoke(folder, "variants", "hw.toml", "--students", "export.csv")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["student"], line["variant"]) for line in lines] == [("Lovelace, Ada", "S1"), ("Turing, Alan", "S3")]
    for line in lines:
        w = line["problems"]["1"]["at"]["w"]
        assert line["problems"]["1"]["key"] == {"f": 2 * w, "df/dx": w, "df/dw": 2}
    assert _invoke(folder, "variants", "hw.toml", "--n", "4", "--to", "prairielearn", "-o", "pl").exit_code == 0
    assert sorted(p.name for p in (folder / "pl").iterdir()) == ["Homework_3-1"]
    again = _invoke(folder, "variants", "hw.toml", "--n", "4", "--to", "prairielearn", "-o", "pl")
    assert again.exit_code == 2 and "already exists" in again.output and "--force" in again.output
    assert (
        _invoke(folder, "variants", "hw.toml", "--n", "4", "--to", "prairielearn", "-o", "pl", "--force").exit_code == 0
    )
    assert _invoke(folder, "variants", "hw.toml", "--n", "4", "--to", "moodle", "-o", "m.xml").exit_code == 0
    assert ET.parse(folder / "m.xml").getroot().tag == "quiz"
    assert _invoke(folder, "variants", "hw.toml", "--n", "4", "--to", "canvas-qti", "-o", "q.zip").exit_code == 0
    assert "imsmanifest.xml" in zipfile.ZipFile(folder / "q.zip").namelist()
    sheets = _invoke(folder, "variants", "hw.toml", "--students", "export.csv", "--markdown", "md", "--latex", "tex")
    assert sheets.exit_code == 0 and sheets.stdout == ""
    assert sorted(p.name for p in (folder / "md").iterdir()) == ["Lovelace_Ada.md", "Turing_Alan.md"]
    assert 'sis_id = "S1"' in (folder / "md" / "Lovelace_Ada.md").read_text()
    assert (folder / "tex" / "Turing_Alan.tex").read_text().startswith("\\documentclass")


@pytest.mark.parametrize(
    "args, message",
    [
        (["variants", "hw.toml"], "either --students ROSTER or --n N"),
        (["variants", "hw.toml", "--n", "2", "--students", "export.csv"], "either --students"),
        (["variants", "hw.toml", "--n", "2", "--to", "moodle"], "needs -o PATH"),
        (["variants", "hw.toml", "--n", "2", "--to", "moodle", "-o", "hw.toml"], "is also an input"),
        (["variants", "hw.toml", "--students", "hw.toml"], "lacks the expected columns"),
    ],
)
def test_variants_bad_input(folder, args, message):
    result = _invoke(folder, *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert "[[problems]]" in (folder / "hw.toml").read_text()


def test_small_space_warns_and_reuses(folder):
    (folder / "small.toml").write_text(HOMEWORK.replace("max = 9", "max = 2"))
    result = _invoke(folder, "variants", "small.toml", "--n", "5")
    assert result.exit_code == 0 and "only 2 different variants for 5 students" in result.output
    assert len(result.stdout.splitlines()) == 5


def test_grade_fills_canvas_gradebook(folder):
    subs = folder / "subs"
    subs.mkdir()
    (subs / "ada.toml").write_text('sis_id = "S1"\n' + _right(_w(folder, "S1")))
    (subs / "alan.toml").write_text(
        'student = "Alan Turing"\n' + _right(_w(folder, "S3")).replace('"df/dw" = 2', '"df/dw" = 3')
    )
    (subs / "zed.toml").write_text('id = "999"\nf = 1\n')
    result = _invoke(folder, "grade", "hw.toml", "subs", "--roster", "export.csv", "--canvas", "grades.csv")
    assert result.exit_code == 0, result.output
    assert "zed.toml: no student of the roster matches it" in result.output
    rows = list(csv.reader(io.StringIO((folder / "grades.csv").read_text())))
    assert rows[2][5] == "3" and rows[3][5] == "2"  # Ada all right; Alan's df/dw wrong
    assert [r[:5] + r[6:] for r in rows] == [r[:5] + r[6:] for r in csv.reader(io.StringIO(EXPORT))]
    no_roster = _invoke(folder, "grade", "hw.toml", "subs/ada.toml", "--canvas", "-")
    assert no_roster.stdout.splitlines()[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Homework 3"
    excel = _invoke(folder, "grade", "hw.toml", "subs/ada.toml", "--csv", "g.csv", "--excel")
    assert excel.exit_code == 0 and (folder / "g.csv").read_bytes().startswith(b"\xef\xbb\xbfstudent,")


def test_grade_student_in_two_files(folder):
    subs = folder / "subs"
    subs.mkdir()
    (subs / "a.toml").write_text('sis_id = "S1"\n' + _right(_w(folder, "S1")))
    (subs / "b.toml").write_text('sis_id = "S1"\nf = 1\n')
    result = _invoke(folder, "grade", "hw.toml", "subs", "--roster", "export.csv", "--canvas", "grades.csv")
    assert result.exit_code == 2 and "is in 2 files" in result.output
    rows = list(csv.reader(io.StringIO((folder / "grades.csv").read_text())))
    assert rows[2][5] == ""


def test_grade_jobs_same_output(folder, monkeypatch):
    monkeypatch.setattr("bpcalc.assignment.PARALLEL_FROM", 0)  # two processes even for 40 files
    subs = folder / "subs"
    subs.mkdir()
    for i in range(40):
        (subs / f"s{i:02}.toml").write_text(f'id = "{i}"\n' + _right(_w(folder, str(i)) + (i % 2)))
    one = _invoke(folder, "grade", "hw.toml", "subs", "--jsonl", "-", "--jobs", "1")
    two = _invoke(folder, "grade", "hw.toml", "subs", "--jsonl", "-", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 40
    assert sum(json.loads(line)["score"] == 3 for line in one.stdout.splitlines()) == 20
    assert _invoke(folder, "grade", "hw.toml", "subs", "--jobs", "-1").exit_code == 2


def test_key_for_a_student_scores_full_marks(folder):
    result = _invoke(folder, "key", "hw.toml", "--student", "S3", "--toml")
    assert result.exit_code == 0 and 'variant = "S3"' in result.stdout
    (folder / "k.toml").write_text(result.stdout)
    graded = _invoke(folder, "grade", "hw.toml", "k.toml", "--jsonl", "-")
    assert json.loads(graded.stdout)["score"] == 3
