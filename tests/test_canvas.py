"""Tests for bpcalc/canvas.py: rosters, matching answer files to students, the gradebook CSV; and grade --jobs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bpcalc.assignment import grade, load_assignment
from bpcalc.canvas import (
    CANVAS_COLUMNS,
    fill_gradebook,
    match,
    new_gradebook,
    read_roster,
)
from bpcalc.errors import AnswerError, BpcalcError
from bpcalc.render.check_json import grades_jsonl
from bpcalc.render.check_text import grades_csv

HOMEWORK = """
title = "Homework 3"

[[problems]]
id = "1"
expression = "q = x + y; f = q * z"
at = "x=-2, y=5, z=-4"
ask = ["q", "f", "df/dx", "df/dz"]
"""

# As Canvas exports a gradebook (Grades, Export): a BOM, CRLF, a Points Possible row, read-only columns.
EXPORT = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Homework 3 (1234),Quiz 1 (999),Current Score,Final Score\r\n"
    "    Points Possible,,,,,4,10,(read only),(read only)\r\n"
    '"Lovelace, Ada",101,S1,ada,Sec A,,9,90,90\r\n'
    '"Babbage, Charles",102,S2,charles,Sec A,,8,80,80\r\n'
    '"Turing, Alan",103,S3,alan@uni.edu,Sec B,,7,70,70\r\n'
    "Test Student,999,,abc123,Sec A,,,,\r\n"
)

# by hand: q = 3, f = -12, df/dx = z = -4, df/dz = q = 3
FULL = '"q" = 3\nf = -12\n"df/dx" = -4\n"df/dz" = 3\n'


@pytest.fixture
def setup(tmp_path: Path):
    (tmp_path / "hw.toml").write_text(HOMEWORK, encoding="utf-8")
    roster = tmp_path / "export.csv"
    roster.write_bytes(EXPORT.encode("utf-8"))
    subs = tmp_path / "subs"
    subs.mkdir()
    return load_assignment(tmp_path / "hw.toml"), roster, subs


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_roster_reads_students_not_canvas_rows(setup):
    _, roster_path, _ = setup
    roster = read_roster(roster_path)
    assert [s.name for s in roster.students] == ["Lovelace, Ada", "Babbage, Charles", "Turing, Alan", "Test Student"]
    assert roster.bom and roster.newline == "\r\n"
    assert roster.students[0].sis_id == "S1" and roster.students[2].login == "alan@uni.edu"


def test_fill_keeps_everything_else(setup):
    homework, roster_path, subs = setup
    (subs / "a.toml").write_text('sis_id = "S1"\n' + FULL)  # all right: 4
    (subs / "c.toml").write_text('student = "Charles Babbage"\nq = 3\nf = 12\n')  # by name, Canvas's "Last, First": 1
    (subs / "t.toml").write_text('email = "ALAN@uni.edu"\n' + FULL.replace("-12", "-11"))  # email as login: 3
    (subs / "x.toml").write_text("id = 555\n" + FULL)  # nobody on the roster
    graded = grade(homework, sorted(subs.iterdir()))
    roster = read_roster(roster_path)
    paired = match(roster, graded)
    assert [Path(g.path).name for g in paired.unmatched] == ["x.toml"]
    assert [s.name for s in paired.missing] == ["Test Student"]
    out = fill_gradebook(roster, paired, homework)
    assert out.startswith(b"\xef\xbb\xbf") and b"\r\n" in out
    before, after = _rows(EXPORT.encode()), _rows(out)
    assert len(before) == len(after)
    column = before[0].index("Homework 3 (1234)")
    for old, new in zip(before, after):
        assert old[:column] + old[column + 1 :] == new[:column] + new[column + 1 :]
    assert [row[column] for row in after[2:]] == ["4", "1", "3", ""]
    assert after[1] == before[1]  # Points Possible, as exported


def test_student_in_two_files_is_set_aside(setup):
    homework, roster_path, subs = setup
    (subs / "a1.toml").write_text('id = "101"\n' + FULL)
    (subs / "a2.toml").write_text("id = 101\nq = 3\n")
    roster = read_roster(roster_path)
    paired = match(roster, grade(homework, sorted(subs.iterdir())))
    ((student, files),) = paired.twice
    assert student.id == "101" and len(files) == 2
    column = _rows(EXPORT.encode())[0].index("Homework 3 (1234)")
    assert _rows(fill_gradebook(roster, paired, homework))[2][column] == ""


def test_roster_without_expected_columns(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("first,last\nAda,Lovelace\n")
    with pytest.raises(AnswerError, match="lacks the expected columns.*'first', 'last'"):
        read_roster(bad)
    with pytest.raises(BpcalcError, match="none.csv"):
        read_roster(tmp_path / "none.csv")
    with pytest.raises(BpcalcError, match="folder"):
        read_roster(tmp_path)
    (tmp_path / "latin1.csv").write_bytes("Student,ID\nJos\xe9,1\n".encode("latin-1"))
    with pytest.raises(AnswerError, match="not UTF-8"):
        read_roster(tmp_path / "latin1.csv")


def test_assignment_column_by_title_or_option(setup, tmp_path):
    homework, roster_path, subs = setup
    roster = read_roster(roster_path)
    other = tmp_path / "other.toml"
    other.write_text(HOMEWORK.replace("Homework 3", "Homework 4"))
    with pytest.raises(AnswerError, match="no column for the assignment 'Homework 4'"):
        fill_gradebook(roster, match(roster, []), load_assignment(other))
    with pytest.raises(AnswerError) as info:
        fill_gradebook(roster, match(roster, []), load_assignment(other))
    assert "Homework 3 (1234), Quiz 1 (999)" in info.value.hint
    with pytest.raises(AnswerError, match="no column 'Quiz 2'"):
        fill_gradebook(roster, match(roster, []), load_assignment(other), column="Quiz 2")
    out = fill_gradebook(roster, match(roster, []), load_assignment(other), column="Quiz 1")
    assert _rows(out) == _rows(EXPORT.encode())  # nobody matched: nothing changes


def test_new_gradebook_has_canvas_columns_and_no_formulas(setup):
    homework, _, subs = setup
    (subs / "a.toml").write_text('student = "=HYPERLINK(\\"http://x\\")"\nid = "101"\nsis_id = "S1"\n' + FULL)
    (subs / "b.toml").write_text("[q = 1")  # not graded: not written
    rows = _rows(new_gradebook(grade(homework, sorted(subs.iterdir())), homework, bom=True))
    assert rows[0] == [*CANVAS_COLUMNS, "Homework 3"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "4"
    assert rows[2] == ['\'=HYPERLINK("http://x")', "101", "S1", "", "", "4"]
    assert len(rows) == 3


def test_jobs_give_the_same_output(setup, monkeypatch):
    monkeypatch.setattr("bpcalc.assignment.PARALLEL_FROM", 0)  # two processes even for 71 files
    homework, _, subs = setup
    for i in range(70):
        wrong = FULL.replace("-4", str(-4 + i % 3)).replace("-12", str(-12 + i % 2))
        (subs / f"s{i:03}.toml").write_text(f'id = "{i}"\n' + wrong)
    (subs / "broken.toml").write_text("[q = 1")
    files = sorted(subs.iterdir())
    one = grade(homework, files)
    two = grade(homework, files, jobs=2)
    assert grades_jsonl(one) == grades_jsonl(two)
    assert grades_csv(one, homework) == grades_csv(two, homework)
    assert [g.path for g in two] == [str(f) for f in files]


def test_same_name_in_two_files_is_a_student_in_two_files(setup):
    homework, roster_path, subs = setup
    (subs / "a.toml").write_text('student = "Ada Lovelace"\n' + FULL)
    (subs / "b.toml").write_text('student = "Ada Lovelace"\nq = 3\n')
    graded = grade(homework, sorted(subs.iterdir()))
    assert graded[0].student != graded[1].student  # the table tells them apart by file
    paired = match(read_roster(roster_path), graded)
    assert [s.id for s, _ in paired.twice] == ["101"] and not paired.unmatched


def test_new_gradebook_leaves_out_a_student_in_two_files(setup):
    homework, _, subs = setup
    (subs / "a.toml").write_text('sis_id = "S1"\n' + FULL)
    (subs / "b.toml").write_text('sis_id = "s1"\nq = 3\n')
    (subs / "c.toml").write_text('sis_id = "S2"\nq = 3\n')
    graded = grade(homework, sorted(subs.iterdir()))
    rows = _rows(new_gradebook(graded, homework))
    assert [r[2] for r in rows[2:]] == ["S2"]
