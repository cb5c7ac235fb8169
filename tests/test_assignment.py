"""Tests for bpcalc/assignment.py and the commands around it: `check --assignment`, `grade`, `key`."""
from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bpcalc.assignment import (
    check_submission,
    grade,
    load_assignment,
    read_data,
    read_submission,
    submission_files,
)
from bpcalc.check import Tolerance
from bpcalc.cli import app
from bpcalc.errors import AnswerError, MathError
from bpcalc.render.check_json import graded_dict, grades_jsonl, gradescope, key_dict
from bpcalc.render.check_table import grades_table, key_report, to_text
from bpcalc.render.check_text import grades_csv, key_markdown, key_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

runner = CliRunner()

HOMEWORK = '''
title = "Homework 3"

[[problems]]
id = "1"
title = "the (x+y)*z graph"
expression = "q = x + y; f = q * z"
at = "x=-2, y=5, z=-4"
ask = ["q", "f", "df/dq", "df/dx", "df/dy", "df/dz"]

[[problems]]
id = "2"
title = "hinge loss"
expression = "max(0, 1 - w*phi*y)"
at = { w = 0.5, phi = 1, y = 1 }
ask = "f, df/dw, df/dphi"
points = 3

[[problems]]
id = "fanout"
program = """
a = x*x
f = a + x
"""
at = "x=3"
'''

ALICE = '''
[1]
q = 3
f = -12
"df/dq" = -4
"df/dx" = -4
"df/dy" = -4
"df/dz" = 3
[2]
f = 0.5
grad = { w = -1, phi = -0.5 }
[fanout]
f = 12
"d/dx" = 7
'''

BOB = {
    "student": "Bob B.",
    "1": {"q": 3, "f": -12, "df/dq": 3, "df/dx": 3, "df/dy": 3, "df/dz": -4},
    "2": "f=0.5, df/dw=1, df/dphi=-0.5",
    "fanout": {"f": 12, "df/dx": 6},
}


@pytest.fixture
def homework(tmp_path) -> Path:
    path = tmp_path / "hw.toml"
    path.write_text(HOMEWORK, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path, homework) -> Path:
    """A folder of submissions: two good ones, a malformed one, a file that is not an answer file."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.toml").write_text(ALICE, encoding="utf-8")
    (subs / "bob.json").write_text(json.dumps(BOB), encoding="utf-8")
    (subs / "carol.toml").write_text("[1]\nq = 3\n[f = -12\n", encoding="utf-8")
    (subs / "README.txt").write_text("not an answer file\n", encoding="utf-8")
    (subs / ".hidden.toml").write_text("junk = = 1\n", encoding="utf-8")
    return subs


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


# ---------------------------------------------------------------- assignments


def test_load(homework):
    hw = load_assignment(homework)
    assert hw.title == "Homework 3"
    assert [p.id for p in hw.problems] == ["1", "2", "fanout"]
    assert [a.key for a in hw.problems[0].asks] == ["q", "f", "df/dq", "df/dx", "df/dy", "df/dz"]
    assert [a.key for a in hw.problems[1].asks] == ["f", "df/dw", "df/dphi"]
    # no ask: the output's value and its gradient for every variable
    assert [a.key for a in hw.problems[2].asks] == ["f", "df/dx"]
    assert [p.points for p in hw.problems] == [6, 3, 2]
    assert hw.max_score == 11
    assert hw.problems[1].at == {"w": 0.5, "phi": 1.0, "y": 1.0}
    assert hw.problems[0].result.value == -12


def test_settings_in_the_file_and_overrides(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text('places = 2\ntie = "split"\n[[problems]]\nexpression = "max(x, y)"\nat = "x=1,y=1"\n'
                    '[[problems]]\nexpression = "x"\nat = "x=1"\nrtol = 0.1\natol = 0\n', encoding="utf-8")
    hw = load_assignment(path)
    assert [p.id for p in hw.problems] == ["1", "2"]  # ids default to the position
    assert hw.problems[0].tolerance == Tolerance(places=2)
    assert hw.problems[0].tie == "split"
    assert hw.problems[1].tolerance.places == 2  # a file-wide setting reaches every problem ...
    assert load_assignment(path, tolerance={"rtol": 0.5, "atol": 0}).problems[0].tolerance == Tolerance(0.5, 0)
    assert load_assignment(path, tie="indicator").problems[0].tie == "indicator"


def test_an_override_changes_only_its_own_field(tmp_path):
    # --rtol alone keeps the file's atol (and drops its rounding, which it replaces).
    path = tmp_path / "hw.toml"
    path.write_text('atol = 0.5\n[[problems]]\nexpression = "x"\nat = "x=1"\n', encoding="utf-8")
    assert load_assignment(path, tolerance={"rtol": 0.02}).problems[0].tolerance == Tolerance(0.02, 0.5)
    path.write_text('places = 2\natol = 0.5\n[[problems]]\nexpression = "x"\nat = "x=1"\n', encoding="utf-8")
    assert load_assignment(path, tolerance={"rtol": 0.02}).problems[0].tolerance == Tolerance(0.02, 0.5)
    assert load_assignment(path, tolerance={"places": 3}).problems[0].tolerance.places == 3


def test_problem_settings_override_the_file(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text('rtol = 0.05\n[[problems]]\nexpression = "x"\nat = "x=1"\natol = 0\n', encoding="utf-8")
    assert load_assignment(path).problems[0].tolerance == Tolerance(0.05, 0)


@pytest.mark.parametrize(
    "text, message",
    [
        ('title = "x"\n', "no problems"),
        ("[[problem]]\nexpression = 'x'\n", "unknown key 'problem'"),
        ("[[problems]]\nexpresion = 'x'\n", "did you mean 'expression'"),
        ("[[problems]]\nat = 'x=1'\n", "give the expression"),
        ("[[problems]]\nexpression = 'x'\nprogram = 'x'\n", "give the expression"),
        (
            "[[problems]]\nid = 'a'\nexpression = 'x'\nat = 'x=1'\n"
            "[[problems]]\nid = 'a'\nexpression = 'x'\nat = 'x=1'\n",
            "two problems have the id 'a'",
        ),
        ("[[problems]]\nexpression = 'x'\nat = 'x=1'\nask = ['df/dy']\n", "problem 1: ask: 'df/dy'"),
        ("[[problems]]\nexpression = 'x'\nat = 'x=1'\nask = ['x', 'x']\n", "lists x twice"),
        ("[[problems]]\nexpression = 'x'\nat = 'x=1'\nask = 3\n", "ask must be a list"),
        ("[[problems]]\nexpression = 'x'\nat = 'x=1'\npoints = -1\n", "points must be a number"),
        ("[[problems]]\nexpression = '(x'\nat = 'x=1'\n", "problem 1: the expression ends too early"),
        ("[[problems]]\nexpression = 'x*y'\nat = 'x=1'\n", "problem 1: no value for y"),
        ("[[problems]]\nexpression = 'x'\nat = 'x=1'\nplaces = 99\n", "--places must be"),
        ("[[problems]]\nexpression = 'x'\nat = 'x=1'\ntie = 'half'\n", "unknown tie convention"),
        ("[[problems]\n", "not valid TOML"),
    ],
)
def test_bad_assignments(tmp_path, text, message):
    path = tmp_path / "hw.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception) as info:
        load_assignment(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert info.value.exit_code == 2


def test_undefined_math_in_a_problem_keeps_exit_code_3(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text("[[problems]]\nid = 'logs'\nexpression = 'log(x)'\nat = 'x=-1'\n", encoding="utf-8")
    with pytest.raises(MathError, match="problem logs: log is undefined"):
        load_assignment(path)
    result = invoke("key", path)
    assert result.exit_code == 3


def test_json_assignment(tmp_path):
    path = tmp_path / "hw.json"
    path.write_text(json.dumps({"problems": [{"expression": "x*y", "at": {"x": 2, "y": 3}}]}), encoding="utf-8")
    assert load_assignment(path).problems[0].result.value == 6


def test_an_assignment_asking_only_a_defined_gradient_loads(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text('[[problems]]\nexpression = "x^n"\nat = "x=-2, n=3"\nask = ["df/dx"]\n', encoding="utf-8")
    from bpcalc.render.check_text import key_rows

    assert [(a.label, v) for a, v in key_rows(load_assignment(path).problems[0])] == [("∂f/∂x", 12)]



def test_an_ask_for_the_gradient_of_pi_names_the_file_and_problem(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text('[[problems]]\nexpression = "pi*x"\nat = "x=2"\nask = ["df/dpi"]\n', encoding="utf-8")
    with pytest.raises(AnswerError, match="problem 1: '∂f/∂pi': pi is the constant") as info:
        load_assignment(path)
    assert info.value.path == str(path)


# ---------------------------------------------------------------- files


def test_read_data_by_suffix_and_by_content(tmp_path):
    (tmp_path / "a.toml").write_text("q = 3\n", encoding="utf-8")
    (tmp_path / "a.json").write_text('{"q": 3}', encoding="utf-8")
    (tmp_path / "a.txt").write_text('{"q": 3}', encoding="utf-8")
    (tmp_path / "b.txt").write_text("q = 3\n", encoding="utf-8")
    for name in ("a.toml", "a.json", "a.txt", "b.txt"):
        assert read_data(tmp_path / name) == {"q": 3}


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("a.json", '{"q": 3,}', "not valid JSON"),
        ("a.json", '{"q": NaN}', "not valid JSON"),
        ("a.json", "[1, 2]", "must be an object"),
        ("a.toml", "[1\nq = 3\n", "not valid TOML"),
        ("a.toml", "import numpy as np\nq = 3\n", "not valid TOML"),
    ],
)
def test_read_data_errors(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnswerError, match=message):
        read_data(path)


def test_read_data_from_a_folder_or_nothing(tmp_path):
    with pytest.raises(AnswerError, match="is a folder"):
        read_data(tmp_path)
    with pytest.raises(AnswerError, match="cannot read"):
        read_data(tmp_path / "missing.toml")


# ---------------------------------------------------------------- submissions


def test_read_submission(homework, tmp_path):
    hw = load_assignment(homework)
    path = tmp_path / "alice.toml"
    path.write_text(ALICE, encoding="utf-8")
    sub = read_submission(path, hw)
    assert sub.student == "alice"
    assert sorted(sub.answers) == ["1", "2", "fanout"]
    assert ("d/dw", -1) in sub.answers["2"]


def test_a_submission_names_its_student_and_answers_in_the_notation(homework, tmp_path):
    hw = load_assignment(homework)
    path = tmp_path / "b.json"
    path.write_text(json.dumps({**BOB, "4": {"x": 1}}), encoding="utf-8")
    sub = read_submission(path, hw)
    assert sub.student == "Bob B."
    assert sub.answers["2"] == [("f", "0.5"), ("df/dw", "1"), ("df/dphi", "-0.5")]
    assert any("'4' is not a problem" in n for n in sub.notes)


def test_one_problem_answers_at_the_top(tmp_path):
    hw_path = tmp_path / "hw.toml"
    hw_path.write_text("[[problems]]\nexpression = 'x*x + x'\nat = 'x=3'\n", encoding="utf-8")
    hw = load_assignment(hw_path)
    path = tmp_path / "s.toml"
    path.write_text("f = 12\n[grad]\nx = 7\n", encoding="utf-8")
    graded = check_submission(hw, read_submission(path, hw))
    assert graded.score == 2 and graded.ok


def test_check_submission_scores_and_diagnoses(homework, tmp_path):
    hw = load_assignment(homework)
    path = tmp_path / "bob.json"
    path.write_text(json.dumps(BOB), encoding="utf-8")
    graded = check_submission(hw, read_submission(path, hw))
    scores = [p.score for p in graded.problems]
    assert scores == [2, 2, 1]  # 2 of 6 items at 1 point; 2 of 3 at 1; 1 of 2 at 1
    assert graded.score == 5 and graded.max_score == 11 and not graded.ok
    wrong = {(p.id, r.ask.key): [d.kind for d in r.diagnoses] for p, r in graded.wrong()}
    assert wrong == {
        ("1", "df/dz"): ["swap"],
        ("1", "df/dq"): ["swap"],
        ("1", "df/dy"): ["carried"],
        ("1", "df/dx"): ["carried"],
        ("2", "df/dw"): ["upstream", "sign"],  # phi = y = 1: both mistakes give 1
        ("fanout", "df/dx"): ["fanout"],
    }


def test_missing_and_not_asked_answers(homework, tmp_path):
    hw = load_assignment(homework)
    path = tmp_path / "s.toml"
    path.write_text('[1]\nq = 3\nz = -4\n"df/dw" = 1\n', encoding="utf-8")
    graded = check_submission(hw, read_submission(path, hw))
    first = graded.problems[0]
    assert first.score == 1
    assert [r.verdict for r in first.check.rows] == ["right"] + ["missing"] * 5
    assert all(r.diagnoses == [] for r in first.check.rows)
    assert "problem 1: z is not asked; not graded" in graded.notes
    assert any("no variable or named value 'w'" in n for n in graded.notes)
    assert graded.problems[1].score == 0


NEURON_HW = '''
title = "Homework 4"

[[problems]]
id = "1"
expression = "p = sigmoid(w*x); L = -y*log(p)"
at = "w=0.8, x=0.5, y=2"
ask = ["dL/dp", "dL/dw"]
'''


def test_gradescope_output_names_unnamed_nodes_by_their_text(tmp_path):
    # L = -y·log(p), p = σ(0.4): ∂L/∂log(p) = -y = -2; restarting the chain at log(p) gives
    # ∂log(p)/∂w = (1-p)·x = 0.200656 for ∂L/∂w (issue 10 item 13: no "n3", no "∂L/∂n3")
    hw_path = tmp_path / "hw.toml"
    hw_path.write_text(NEURON_HW, encoding="utf-8")
    hw = load_assignment(hw_path)
    path = tmp_path / "s.toml"
    path.write_text('student = "Ann"\n[1]\n"dL/dw" = 0.200656\n"dL/dn3" = -2\n', encoding="utf-8")
    graded = check_submission(hw, read_submission(path, hw))
    (test,) = gradescope(graded)["tests"]
    assert "The upstream factor forgotten: the chain restarted at log(p); multiply by the upstream ∂L/∂log(p) = -2." \
        in test["output"]
    assert not re.search(r"\bn[0-9]+\b", test["output"])
    assert any(
        "n3 is not a name in the expression but bpcalc's label for the unnamed sub-expression 'log(p)'" in note
        for note in graded.notes
    )


def test_an_assignment_that_asks_for_an_unnamed_node(tmp_path):
    hw_path = tmp_path / "hw.toml"
    hw_path.write_text(NEURON_HW.replace('"dL/dp", "dL/dw"', '"dL/dp", "dL/dn3"'), encoding="utf-8")
    with pytest.raises(AnswerError) as caught:
        load_assignment(hw_path)
    assert "n3 is not a name in the expression but bpcalc's label for the unnamed sub-expression 'log(p)'" in str(
        caught.value
    )
    assert "write 'u = log(p); L = -y*u' in place of 'L = -y*log(p)', then answer dL/du" in caught.value.hint


def test_an_answer_that_is_no_number_is_wrong_and_the_rest_is_graded(homework, tmp_path):
    hw = load_assignment(homework)
    path = tmp_path / "s.toml"
    path.write_text('[1]\nq = "three"\nf = -12\n', encoding="utf-8")
    graded = check_submission(hw, read_submission(path, hw))  # it raised AnswerError before issue 10 item 14
    rows = {r.ask.key: r for r in graded.problems[0].check.rows}
    assert rows["q"].verdict == "wrong" and rows["q"].given == "three"
    assert [d.kind for d in rows["q"].diagnoses] == ["unreadable"]
    assert "'three', is not a number" in rows["q"].diagnoses[0].message
    assert rows["f"].verdict == "right"
    assert graded.error is None and graded.score == 1  # f: one of problem 1's 6 points


def test_points_split_evenly(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text(
        "[[problems]]\nexpression = 'x*y'\nat = 'x=2,y=3'\nask = ['f', 'df/dx', 'df/dy']\npoints = 1\n",
        encoding="utf-8",
    )
    hw = load_assignment(path)
    sub = tmp_path / "s.toml"
    sub.write_text('[1]\nf = 6\n"df/dx" = 3\n', encoding="utf-8")
    assert check_submission(hw, read_submission(sub, hw)).score == pytest.approx(2 / 3)


# ---------------------------------------------------------------- bulk grading


def test_submission_files_skip_other_files_and_the_assignment(folder, homework):
    (folder / "hw.toml").write_text(homework.read_text(), encoding="utf-8")
    names = [f.name for f in submission_files([folder], exclude=[folder / "hw.toml"])]
    assert names == ["alice.toml", "bob.json", "carol.toml"]
    assert [f.name for f in submission_files([folder / "bob.json", folder / "README.txt"])] == [
        "bob.json",
        "README.txt",
    ]


def test_submission_files_errors(tmp_path):
    with pytest.raises(AnswerError, match="no such file or folder"):
        submission_files([tmp_path / "nope"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AnswerError, match="no .toml or .json"):
        submission_files([empty])


def test_grade_a_folder_with_a_malformed_file(folder, homework):
    hw = load_assignment(homework)
    seen = []
    graded = grade(hw, submission_files([folder]), progress=seen.append)
    assert seen == [1, 2, 3]
    assert [g.student for g in graded] == ["alice", "Bob B.", "carol"]
    assert [g.score for g in graded] == [11, 5, None]
    assert graded[2].error.startswith("not valid TOML") and "line 3" in graded[2].error
    assert graded[0].ok


def test_two_files_of_one_student_keep_apart(tmp_path, homework):
    hw = load_assignment(homework)
    for name in ("ann.toml", "ann.json"):
        (tmp_path / name).write_text(
            'student = "Ann"\n' if name.endswith("toml") else '{"student": "Ann"}', encoding="utf-8"
        )
    graded = grade(hw, [tmp_path / "ann.toml", tmp_path / "ann.json"])
    assert [g.student for g in graded] == ["Ann (ann.toml)", "Ann (ann.json)"]


def test_csv_and_jsonl(folder, homework):
    hw = load_assignment(homework)
    graded = grade(hw, submission_files([folder]))
    rows = list(csv.DictReader(io.StringIO(grades_csv(graded, hw))))
    assert [r["student"] for r in rows] == ["alice", "Bob B.", "carol"]
    assert rows[0]["score"] == "11" and rows[0]["max_score"] == "11" and rows[0]["wrong"] == ""
    assert rows[1]["problem 1"] == "2" and rows[1]["wrong"].split() == [
        "1:df/dz",
        "1:df/dq",
        "1:df/dy",
        "1:df/dx",
        "2:df/dw",
        "fanout:df/dx",
    ]
    assert rows[2]["score"] == "" and "not valid TOML" in rows[2]["error"]
    lines = [json.loads(line) for line in grades_jsonl(graded).splitlines()]
    assert lines[0] == {
        "student": "alice",
        "file": str(folder / "alice.toml"),
        "score": 11,
        "max_score": 11,
        "problems": {"1": 6, "2": 3, "fanout": 2},
        "wrong": [],
        "error": None,
    }
    assert lines[1]["wrong"][0] == {
        "problem": "1",
        "asked": "df/dz",
        "given": -4,
        "right": 3,
        "verdict": "wrong",
        "diagnoses": ["swap"],
    }
    assert lines[2]["score"] is None and lines[2]["error"]


def test_grades_table(folder, homework):
    hw = load_assignment(homework)
    text = to_text(grades_table(grade(hw, submission_files([folder])), hw), width=160)
    assert "Homework 3: 3 submissions" in text
    assert "not graded: not valid TOML" in text
    assert "1:df/dz" in text


def test_gradescope_results(homework, folder):
    hw = load_assignment(homework)
    (graded,) = grade(hw, [folder / "bob.json"])
    results = gradescope(graded)
    json.dumps(results, allow_nan=False)
    assert results["score"] == 5
    assert [t["name"] for t in results["tests"]] == [
        "Problem 1: the (x+y)*z graph",
        "Problem 2: hinge loss",
        "Problem fanout",
    ]
    assert [(t["score"], t["max_score"], t["status"]) for t in results["tests"]] == [
        (2, 6, "failed"),
        (2, 3, "failed"),
        (1, 2, "failed"),
    ]
    first = results["tests"][0]["output"]
    # ∂f/∂x and ∂f/∂y follow from ∂f/∂q = 3, not from ∂f/∂z = -4 (item 12 of issue 10)
    assert "∂f/∂z = -4: wrong, the right value is 3\n" in first
    assert "∂f/∂q = 3: wrong, the right value is -4 (the likely root of the errors after it: ∂f/∂y and ∂f/∂x" in first
    assert "Follows from your answer ∂f/∂q = 3: this step itself is right." in first
    assert "A fan-out sum left out" in results["tests"][2]["output"]
    assert "root" not in results["tests"][2]["output"]  # a single wrong answer is no root of others
    (good,) = grade(hw, [folder / "alice.toml"])
    assert gradescope(good)["score"] == 11 and all(t["status"] == "passed" for t in gradescope(good)["tests"])
    (broken,) = grade(hw, [folder / "carol.toml"])
    assert gradescope(broken) == {
        "score": 0,
        "output": f"Your answer file could not be graded: {broken.error}",
        "tests": [],
    }


# ---------------------------------------------------------------- the key


def test_key_renderers_and_a_full_marks_round_trip(homework, tmp_path):
    hw = load_assignment(homework)
    data = key_dict(hw)
    assert data["schema"] == "bpcalc.key/1" and data["max_score"] == 11
    answers = {a["asked"]: a["value"] for a in data["problems"][0]["answers"]}
    assert answers == {"q": 3, "f": -12, "df/dz": 3, "df/dq": -4, "df/dy": -4, "df/dx": -4}
    md = key_markdown(hw)
    assert md.startswith("# Homework 3: answer key\n")
    assert "## Problem 1: the (x+y)\\*z graph (6 points)" in md and "| ∂`f`/∂`z` | 3 |" in md
    assert "```\na = x*x\nf = a + x\n```" in md
    text = to_text(key_report(hw))
    assert "Problem 2: hinge loss (3 points)" in text and "∂f/∂w" in text
    key = tmp_path / "key.toml"
    key.write_text(key_toml(hw), encoding="utf-8")
    graded = check_submission(hw, read_submission(key, hw))
    assert graded.ok and graded.score == hw.max_score and graded.student == "answer key"


# ---------------------------------------------------------------- hostile titles, programs as written (item 15)

# As written: comments, a line that continues inside brackets, a comment holding a Markdown fence.
PROGRAM = "# the fan-out example\na = x*x   # a square, not ``` the end\nf = (a +\n     x)\n"
HOSTILE_TITLES = [
    "Homework 3\nBackprop",  # the line break that broke the key's comment line
    'say "hi"',
    "back\\slash \\n",
    "#3 # hash",
    '"""',
    "\'\'\'",
    "ESC\x1b[2J BEL\x07 NUL\x00 DEL\x7f CR\r TAB\t",
]


def _hostile(tmp_path: Path, title: str) -> Path:
    """An assignment whose title, problem id and problem title are `title` (written by json.dumps, not bpcalc)."""
    path = tmp_path / "hw.json"
    data = {
        "title": title,
        "problems": [
            {"id": title or "1", "title": title, "expression": "x*y", "at": "x=2, y=5"},
            {"id": "fanout", "title": title, "program": PROGRAM, "at": "x=3"},
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_key_toml_is_valid_toml_whatever_the_title(tmp_path, title):
    hw = _hostile(tmp_path, title)
    result = invoke("key", hw, "--toml")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# ") and lines[1] == 'student = "answer key"'  # the title is one comment line
    # tomllib is the reference reader; f = x*y at (2, 5): 10, ∂f/∂x = y = 5, ∂f/∂y = x = 2;
    # f = x*x + x at 3: 12, ∂f/∂x = 2x + 1 = 7
    assert tomllib.loads(result.stdout) == {
        "student": "answer key",
        title: {"f": 10.0, "df/dx": 5.0, "df/dy": 2.0},
        "fanout": {"f": 12.0, "df/dx": 7.0},
    }
    key = tmp_path / "key.toml"
    key.write_text(result.stdout, encoding="utf-8")
    graded = check_submission(load_assignment(hw), read_submission(key, load_assignment(hw)))
    assert graded.ok and graded.score == 5  # the key scores full marks


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_key_markdown_headings_are_one_line_and_the_program_is_as_written(tmp_path, title):
    md = invoke("key", _hostile(tmp_path, title), "--markdown").stdout
    lines = md.splitlines()
    assert lines[0].startswith("# ") and lines[0].endswith(": answer key") and lines[1] == ""
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    assert len(headings) == 2 and all(lines[i + 1] == "" for i in headings)
    assert not any(c in md for c in "\x00\x07\x1b\x7f\r")  # control characters shown as escapes
    # the program in a fenced block that its own ``` cannot close (CommonMark: a longer fence)
    start = lines.index("````")
    assert lines[start + 1:start + 6] == [*PROGRAM.splitlines(), "````"]


def test_key_and_report_tables_show_the_program_as_written(homework, tmp_path):
    written = "\n".join(PROGRAM.splitlines())
    hw = _hostile(tmp_path, "HW")
    key = invoke("key", hw).stdout
    assert written + "\nat x = 3\n" in key
    assert "x*y at x = 2, y = 5\n" in key  # a one-line program as before
    answers = tmp_path / "a.toml"
    answers.write_text('[1]\nf = 10\n[fanout]\nf = 12\n"df/dx" = 6\n', encoding="utf-8")
    report = invoke("check", "--assignment", hw, "--answers", answers).stdout
    assert written + "\nat x = 3\n" in report


def test_a_program_with_windows_line_ends_is_shown_as_lines(tmp_path):
    path = tmp_path / "hw.json"  # JSON keeps a "\r\n" (a TOML multi-line string reads it as "\n")
    path.write_text(json.dumps({"problems": [{"program": "a = x*x\r\nf = a + x\r\n", "at": "x=3"}]}))
    assert "a = x*x\nf = a + x\nat x = 3\n" in invoke("key", path).stdout
    assert "```\na = x*x\nf = a + x\n```" in invoke("key", path, "--markdown").stdout


# ---------------------------------------------------------------- the key's Markdown: names as code, kinks stated

MD_HINGE = """title = "Homework *3* _w_"
tie = "{tie}"

[[problems]]
id = "hinge"
title = "The _hinge_ at its **kink**"
expression = "max(0, 1 - w_1*x_2*y)"
at = {{ w_1 = 1, x_2 = 1, y = 1 }}
ask = ["f", "df/dw_1", "df/dy"]

[[problems]]
id = "smooth"
program = "_w_ = x*y\\nf = _w_ * x_2"
at = {{ x = 2, y = 3, x_2 = 4 }}
ask = ["_w_", "df/d_w_", "df/dx"]
"""


@pytest.mark.parametrize("tie, grad", [("indicator", "0"), ("split", "-0.5")])
def test_key_markdown_names_are_code_and_an_answer_at_a_kink_states_its_convention(tmp_path, tie, grad):
    """A CommonMark parser (markdown-it-py, Rich's) reads no emphasis into the key's names or titles; the
    gradients through the hinge's kink are marked and the kink's warning (the engine's) is quoted."""
    markdown_it = pytest.importorskip("markdown_it")
    path = tmp_path / "hw.toml"
    path.write_text(MD_HINGE.format(tie=tie), encoding="utf-8")
    result = invoke("key", path, "--markdown")
    assert result.exit_code == 0, result.stderr
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(result.stdout)
    assert "<em>" not in html and "<strong>" not in html
    assert "<h1>Homework *3* _w_: answer key</h1>" in html
    assert "<h2>Problem hinge: The _hinge_ at its **kink** (3 points)</h2>" in html
    assert "<p>at <code>w_1</code> = 1, <code>x_2</code> = 1, <code>y</code> = 1</p>" in html
    assert "<code>max(0, 1 - w_1*x_2*y)</code>" in html
    # At w_1 = x_2 = y = 1 the hinge's inputs tie (1 - 1 = 0): the indicator rule gives ∂f/∂w_1 = 0, the
    # split ½·(-x_2·y) = -0.5; f = 0 is a value, the same either way, and is not marked.
    assert "<td><code>f</code></td>\n<td>0</td>" in html
    assert f"<td>∂<code>f</code>/∂<code>w_1</code></td>\n<td>{grad} (kink 1)</td>" in html
    assert f"<td>∂<code>f</code>/∂<code>y</code></td>\n<td>{grad} (kink 1)</td>" in html
    hinge, smooth = html.split("<h2>Problem smooth")
    notice = next(w.message for w in load_assignment(path).problems[0].result.warnings if w.kind == "kink")
    assert f"<li>{notice}</li>" in hinge.replace("&gt;", ">")  # the engine's warning, quoted whole
    assert ("--tie split: 1/2 to each input" in notice) == (tie == "split")
    assert ("Computed with --tie split" in hinge) == (tie == "split")
    # the smooth problem: no kink, no marks; _w_ as code (was *w* in a name cell)
    assert "kink" not in smooth.lower() and "<td><code>_w_</code></td>\n<td>6</td>" in smooth
    assert "<td>∂<code>f</code>/∂<code>_w_</code></td>\n<td>4</td>" in smooth  # ∂f/∂_w_ = x_2 = 4
    assert "<pre><code>_w_ = x*y\nf = _w_ * x_2\n</code></pre>" in smooth



def test_key_markdown_marks_only_the_gradients_whose_chain_rule_passes_a_kink(tmp_path):
    # q = relu(x) at x = 0 is a kink. ∂f/∂q = y = 3 takes no local of relu (q is the kink itself, not
    # below it): unmarked. ∂f/∂x = y·relu'(0) goes through it, and through abs at 0: both kinks.
    # ∂f/∂y = q + |x| = 0 takes no kink's local either.
    path = tmp_path / "hw.toml"
    path.write_text(
        '[[problems]]\nprogram = "q = relu(x)\\nf = (q + abs(x)) * y"\nat = "x=0, y=3"\n'
        'ask = ["q", "df/dq", "df/dx", "df/dy"]\n',
        encoding="utf-8",
    )
    md = invoke("key", path, "--markdown").stdout
    assert "| `q` | 0 |\n" in md and "| ∂`f`/∂`q` | 3 |\n" in md and "| ∂`f`/∂`y` | 0 |\n" in md
    assert "| ∂`f`/∂`x` | 0 (kinks 1, 2) |\n" in md  # relu'(0) = 0 and abs'(0) = 0: 3·0 + 3·0
    items = [line for line in md.splitlines() if line[:3] in ("1. ", "2. ")]
    assert len(items) == 2 and "abs(x)" in items[0] and "q = relu(x)" in items[1]  # numbered from the output back


def test_json_keeps_the_program_as_written(tmp_path):
    hw = _hostile(tmp_path, "HW")
    assert json.loads(invoke("key", hw, "--json").stdout)["problems"][1]["expression"] == PROGRAM
    answers = tmp_path / "a.toml"
    answers.write_text('[fanout]\nf = 12\n', encoding="utf-8")
    data = json.loads(invoke("check", "--assignment", hw, "--answers", answers, "--json").stdout)
    assert data["problems"][1]["expression"] == PROGRAM


def test_key_toml_for_a_problem_called_student(tmp_path):
    # `student = "answer key"` beside a table ["student"] was a key defined twice: not TOML
    hw = tmp_path / "hw.toml"
    hw.write_text('[[problems]]\nid = "student"\nexpression = "x*y"\nat = "x=2,y=5"\n', encoding="utf-8")
    result = invoke("key", hw, "--toml")
    assert tomllib.loads(result.stdout) == {"student": {"f": 10.0, "df/dx": 5.0, "df/dy": 2.0}}
    key = tmp_path / "key.toml"
    key.write_text(result.stdout, encoding="utf-8")
    assert check_submission(load_assignment(hw), read_submission(key, load_assignment(hw))).score == 3


def test_key_toml_for_a_student_names_the_variant_in_valid_toml(tmp_path):
    hw = tmp_path / "hw.toml"
    hw.write_text('[[problems]]\nexpression = "x*y"\nat = "y=2"\nrandom = { x = [1, 9] }\n', encoding="utf-8")
    result = invoke("key", hw, "--toml", "--student", 'S"1\x7f')
    assert result.exit_code == 0, result.stderr
    assert tomllib.loads(result.stdout)["variant"] == 'S"1\x7f'
    assert "\x7f" not in result.stdout  # TOML 1.0 wants DEL escaped in a string (tomllib lets it pass)


# ---------------------------------------------------------------- the commands


def test_cli_check_assignment(homework, folder):
    result = invoke("check", "--assignment", homework, "--answers", folder / "alice.toml")
    assert result.exit_code == 0, result.stderr
    assert "alice: 11 of 11 points" in result.stdout
    result = invoke("check", "--assignment", homework, "--answers", folder / "bob.json")
    assert result.exit_code == 1
    assert "Problem 1: the (x+y)*z graph — 2 of 6 points" in result.stdout
    data = json.loads(invoke("check", "--assignment", homework, "--answers", folder / "bob.json", "--json").stdout)
    assert data["schema"] == "bpcalc.submission/1" and data["score"] == 5
    assert data["problems"][0]["rows"][2]["diagnoses"][0]["kind"] == "swap"
    assert invoke("check", "--assignment", homework, "--answers", folder / "carol.toml").exit_code == 2


def test_cli_check_assignment_overrides_the_tolerance(homework, tmp_path):
    sub = tmp_path / "s.toml"
    sub.write_text('[fanout]\nf = 12.4\n"df/dx" = 7\n', encoding="utf-8")
    data = json.loads(invoke("check", "--assignment", homework, "--answers", sub, "--json").stdout)
    assert data["problems"][2]["rows"][0]["verdict"] == "wrong"  # 3 % off
    data = json.loads(invoke("check", "--assignment", homework, "--answers", sub, "--json", "--rtol", "0.05").stdout)
    assert data["problems"][2]["rows"][0]["verdict"] == "right"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--assignment", "HW"], "add --answers FILE"),
        (["x", "--assignment", "HW", "--answers", "HW"], "drop EXPR"),
        (["--assignment", "HW", "--expect", "f=1"], "use --answers FILE"),
    ],
)
def test_cli_check_assignment_usage(homework, args, message):
    result = invoke("check", *[str(homework) if a == "HW" else a for a in args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_grade(folder, homework, tmp_path):
    out_csv, out_jsonl = tmp_path / "g.csv", tmp_path / "g.jsonl"
    result = invoke("grade", homework, folder, "--csv", out_csv, "--jsonl", out_jsonl)
    assert result.exit_code == 2  # carol's file is broken ...
    assert "alice" in result.stdout and "Bob B." in result.stdout  # ... and the others are graded
    assert "carol.toml: not valid TOML" in result.stderr and "the others are" in result.stderr
    assert len(out_csv.read_text().splitlines()) == 4
    assert len(out_jsonl.read_text().splitlines()) == 3
    assert "Traceback" not in result.stderr


def test_cli_grade_to_stdout(folder, homework):
    result = invoke("grade", homework, folder / "alice.toml", folder / "bob.json", "--csv", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "student,file,score,max_score,problem 1,problem 2,problem fanout,wrong,error,unreadable\n"
    )
    result = invoke("grade", homework, folder / "alice.toml", "--jsonl", "-")
    assert json.loads(result.stdout)["score"] == 11


def test_cli_grade_progress(folder, homework):
    result = invoke("grade", homework, folder / "alice.toml", folder / "bob.json", "--progress")
    assert result.exit_code == 0
    assert "Bob B." in result.stdout


def test_cli_gradescope(folder, homework, tmp_path):
    results = tmp_path / "results.json"
    one = tmp_path / "submission"
    one.mkdir()
    (one / "answers.json").write_text(json.dumps(BOB), encoding="utf-8")
    result = invoke("grade", homework, one, "--gradescope", results)
    assert result.exit_code == 0, result.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 5 and len(data["tests"]) == 3
    result = invoke("grade", homework, folder, "--gradescope", results)
    assert result.exit_code == 2 and "one submission" in result.stderr


def test_cli_grade_errors(homework, tmp_path):
    assert invoke("grade", homework, tmp_path / "nope").exit_code == 2
    assert invoke("grade", tmp_path / "nope.toml", tmp_path).exit_code == 2
    assert invoke("grade", homework).exit_code == 2  # no submissions: usage


def test_cli_key(homework):
    result = invoke("key", homework)
    assert result.exit_code == 0 and "Homework 3: answer key" in result.stdout
    assert json.loads(invoke("key", homework, "--json").stdout)["problems"][2]["answers"][1]["value"] == 7
    assert invoke("key", homework, "--markdown").stdout.startswith("# Homework 3: answer key")
    assert '"df/dz" = 3.0' in invoke("key", homework, "--toml").stdout
    bad = invoke("key", homework, "--json", "--markdown")
    assert bad.exit_code == 2 and "one of --json, --markdown and --toml" in bad.stderr


def test_graded_dict_is_strict_json(folder, homework):
    hw = load_assignment(homework)
    for g in grade(hw, submission_files([folder])):
        json.dumps(graded_dict(g), allow_nan=False)


def test_cli_gradescope_without_an_answer_file_still_writes_results(homework, tmp_path):
    results = tmp_path / "results.json"
    empty = tmp_path / "submission"
    empty.mkdir()
    (empty / "answers.txt").write_text("f = 12\n", encoding="utf-8")
    result = invoke("grade", homework, empty, "--gradescope", results)
    assert result.exit_code == 2
    data = json.loads(results.read_text())
    assert data["score"] == 0 and "no .toml or .json answer files" in data["output"] and data["tests"] == []


def test_cli_gradescope_with_a_broken_file(homework, folder, tmp_path):
    results = tmp_path / "results.json"
    result = invoke("grade", homework, folder / "carol.toml", "--gradescope", results)
    assert result.exit_code == 2
    data = json.loads(results.read_text())
    assert data["score"] == 0 and "not valid TOML" in data["output"]


# ---------------------------------------------------------------- one bad answer, not a bad file (issue 10 item 14)

TYPOS = '''student = "Ann"
[1]
q = 3
f = -12            # right
"df/dq" = -4
"df/dx" = -4,0     # a decimal comma
"df/dy" = abc
"df/dz" = 3
[2]
f = 0.5
grad = { w = -1, phi = -0.5 }
[fanout]
f = 12
"d/dx" = 7
'''


def test_a_typo_in_toml_makes_one_answer_wrong(homework, tmp_path):
    hw = load_assignment(homework)
    path = tmp_path / "ann.toml"
    path.write_text(TYPOS, encoding="utf-8")
    (graded,) = grade(hw, [path])
    assert graded.error is None and graded.student == "Ann"
    # problem 1: 6 points for 6 items, df/dx and df/dy wrong; problems 2 (3 points) and fanout (2) all right
    assert [p.score for p in graded.problems] == [4, 3, 2] and graded.score == 9
    rows = {r.ask.key: r for r in graded.problems[0].check.rows}
    assert (rows["df/dx"].given, rows["df/dy"].given) == ("-4,0", "abc")
    assert rows["f"].verdict == "right"  # its comment was no part of it


@pytest.mark.parametrize(
    "text, data",
    [
        ('q = abc\n', {"q": "abc"}),
        ('q = -4,0 # mine\n', {"q": "-4,0"}),
        ('"df/dx" = = -4\n', {"df/dx": "= -4"}),
        ('a.b = 1 2\n', {"a": {"b": "1 2"}}),
        ('[1]\nq = 3\nf = twelve\n', {"1": {"q": 3, "f": "twelve"}}),
        ('q = "unclosed\n', {"q": '"unclosed'}),
        ('q = a\x7fb\n', {"q": "a\x7fb"}),
        ('student = Ada\nq = 3\n', {"student": "Ada", "q": 3}),
    ],
)
def test_toml_lines_that_are_not_toml_are_read_as_text(tmp_path, text, data):
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    assert read_data(path) == data


@pytest.mark.parametrize(
    "text",
    [
        "[1\nq = 3\n",  # a table header
        "grad = { x = -4, y = abc }\n",  # an inline table holds answers: not taken as one text
        "import numpy as np\nq = 3\n",  # no answer file at all
        "q = [1,\n2, abc]\n",  # a line of a longer value
        "".join(f"q{i} = abc\n" for i in range(51)),  # more than 50 lines to read as text
    ],
)
def test_toml_that_is_not_an_answer_file_stays_unreadable(tmp_path, text):
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnswerError, match="not valid TOML"):
        read_data(path)


def test_an_assignment_is_never_read_as_text(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text('title = Homework\n[[problems]]\nexpression = "x"\n', encoding="utf-8")
    with pytest.raises(AnswerError, match="not valid TOML"):
        load_assignment(path)


def test_wholly_unreadable_submissions_stay_not_graded(homework, tmp_path):
    hw = load_assignment(homework)
    (tmp_path / "bin.toml").write_bytes(b"\x00\xff\xfe binary")
    (tmp_path / "big.toml").write_text("q = 3\n" + "#" * (1 << 20), encoding="utf-8")
    (tmp_path / "script.json").write_text("import json\n", encoding="utf-8")
    graded = grade(hw, [tmp_path / "bin.toml", tmp_path / "big.toml", tmp_path / "script.json"])
    assert [g.score for g in graded] == [None, None, None]
    assert all(g.error for g in graded)


def test_unreadable_answers_in_csv_jsonl_and_the_grades_table(homework, tmp_path):
    hw = load_assignment(homework)
    path = tmp_path / "ann.toml"
    path.write_text(TYPOS, encoding="utf-8")
    graded = grade(hw, [path])
    (row,) = csv.DictReader(io.StringIO(grades_csv(graded, hw)))
    assert (row["score"], row["problem 1"], row["error"]) == ("9", "4", "")
    assert row["wrong"].split() == ["1:df/dy", "1:df/dx"]
    assert row["unreadable"] == (
        "1:df/dy: the answer for df/dy, 'abc', is not a number: numbers look like 3, -0.5, .5, 1e-3 or -1/3"
        " | 1:df/dx: the answer for df/dx, '-4,0', is not a number: write -4.0, with a decimal point, not a comma"
    )
    (line,) = [json.loads(text) for text in grades_jsonl(graded).splitlines()]
    assert line["score"] == 9 and line["error"] is None
    assert line["wrong"][1] == {
        "problem": "1",
        "asked": "df/dx",
        "given": "-4,0",
        "right": -4,
        "verdict": "wrong",
        "diagnoses": ["unreadable"],
        "unreadable": "the answer for df/dx, '-4,0', is not a number: write -4.0, with a decimal point, not a comma",
    }
    results = gradescope(graded[0])
    assert results["score"] == 9 and [t["score"] for t in results["tests"]] == [4, 3, 2]


def test_cli_grade_says_which_answers_are_not_numbers(homework, tmp_path):
    path = tmp_path / "ann.toml"
    path.write_text(TYPOS, encoding="utf-8")
    result = invoke("grade", homework, path)
    assert result.exit_code == 0, result.stderr  # graded: a typo is a wrong answer, not bad input
    assert "2 answers are not numbers, graded as wrong: 1:df/dy, 1:df/dx" in result.stderr
    assert "Ann" in result.stdout and "82" in result.stdout  # 9 of 11


# ---------------------------------------------------------------- grade's rows and outputs (issue 10 item 16)


@pytest.mark.parametrize(
    "name, text",
    [
        ("cleo.toml", 'student = "Cleo Clark"\n[1\nq = 3\n'),  # not valid TOML
        ("cleo.json", '{"student": "Cleo Clark", "1": {"q": 3,}}'),  # not valid JSON
        ("cleo.toml", 'student = "Cleo Clark"\n[1]\n"df/dx" = 1\n"d/dx" = 2\n'),  # answered twice
    ],
)
def test_a_not_graded_row_names_the_student_the_file_names(homework, tmp_path, name, text):
    hw = load_assignment(homework)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (graded,) = grade(hw, [path])
    assert graded.error is not None and graded.score is None
    assert graded.student == "Cleo Clark"  # was the file's stem, "cleo"
    (row,) = csv.DictReader(io.StringIO(grades_csv([graded], hw)))
    assert row["student"] == "Cleo Clark" and row["error"]


def test_a_not_graded_row_without_a_name_keeps_the_stem(homework, tmp_path):
    hw = load_assignment(homework)
    (tmp_path / "dan.toml").write_text('student = """\n[1\n', encoding="utf-8")
    (tmp_path / "eve.toml").write_bytes(b'student = "Eve"\n\xff')  # not UTF-8: not read at all
    graded = grade(hw, [tmp_path / "dan.toml", tmp_path / "eve.toml"])
    assert [g.student for g in graded] == ["dan", "eve"] and all(g.error for g in graded)


def test_the_same_file_twice_is_graded_once(folder, homework, tmp_path):
    alice = folder / "alice.toml"
    (tmp_path / "link.toml").symlink_to(alice)
    (tmp_path / "hard.toml").hardlink_to(folder / "bob.json")
    spelled = tmp_path / "subs" / ".." / "subs" / "alice.toml"
    result = invoke("grade", homework, alice, spelled, tmp_path / "link.toml", folder, alice, tmp_path / "hard.toml",
                    "--csv", "-")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [Path(r["file"]).name for r in rows] == ["alice.toml", "bob.json", "carol.toml"]
    assert [r["student"] for r in rows] == ["alice", "Bob B.", "carol"]  # one Alice, not "alice (alice.toml)"
    stderr = " ".join(result.stderr.split())
    assert f"warning: {spelled} is the same file as {alice}: graded once" in stderr
    assert f"warning: {tmp_path / 'link.toml'} is the same file as {alice}: graded once" in stderr
    assert f"warning: {alice} is given twice: graded once" in stderr
    assert f"warning: {tmp_path / 'hard.toml'} is the same file as {folder / 'bob.json'}: graded once" in stderr
    assert result.exit_code == 2  # carol's file is broken, as before


def test_gradescope_takes_one_file_given_twice(homework, folder, tmp_path):
    results = tmp_path / "results.json"
    result = invoke("grade", homework, folder / "alice.toml", folder / "alice.toml", "--gradescope", results)
    assert result.exit_code == 0, result.stderr
    assert json.loads(results.read_text())["score"] == 11


@pytest.mark.parametrize(
    "args, named",
    [
        (["--csv", "-", "--jsonl", "-"], "--csv and --jsonl"),
        (["--jsonl", "-", "--canvas", "-"], "--jsonl and --canvas"),
        (["--csv", "-", "--gradescope", "-"], "--csv and --gradescope"),
    ],
)
def test_two_outputs_on_stdout_are_a_usage_error(folder, homework, args, named):
    result = invoke("grade", homework, folder / "alice.toml", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"error: {named} both ask for standard output ('-'), and only one output can go there" in result.stderr


def test_a_long_toml_file_gets_fewer_lines_read_as_text(tmp_path):
    # each line read as text parses the file again: 1,000,000 characters in all, 10 repairs of a ~95 KB file
    path = tmp_path / "a.toml"
    body = "".join(f"k{i} = {i}\n" for i in range(7500))
    assert 90_000 < len(body) < 100_000
    path.write_text(body + "".join(f"b{i} = abc\n" for i in range(10)), encoding="utf-8")
    assert read_data(path)["b9"] == "abc"
    path.write_text(body + "".join(f"b{i} = abc\n" for i in range(11)), encoding="utf-8")
    with pytest.raises(AnswerError, match="not valid TOML"):
        read_data(path)


@pytest.mark.parametrize("form", [[], ["--json"], ["--markdown"], ["--toml"]])
def test_a_lone_surrogate_in_a_json_assignment_is_bad_input(tmp_path, form):
    # "\ud800" is half of a surrogate pair: no character, and no encoding can write it, so every key
    # format used to fail at write time (exit 74); it is refused when the assignment is read.
    path = tmp_path / "hw.json"
    path.write_text('{"title": "HW \\ud800", "problems": [{"expression": "x*y", "at": "x=1,y=2"}]}', encoding="utf-8")
    with pytest.raises(AnswerError, match="lone surrogate"):
        load_assignment(path)
    result = invoke("key", path, *form)
    assert result.exit_code == 2, result.output
    assert "lone surrogate" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_check_assignment_with_a_typo_reports_every_answer(homework, tmp_path):
    path = tmp_path / "ann.toml"
    path.write_text(TYPOS, encoding="utf-8")
    result = invoke("check", "--assignment", homework, "--answers", path)
    assert result.exit_code == 1, result.stderr  # some answers wrong; was 2, "not valid TOML"
    text = " ".join(result.stdout.split())
    assert "∂f/∂x -4,0 -4 wrong The answer for df/dx, '-4,0', is not a number: write -4.0" in text
    assert "Ann: 9 of 11 points" in text
    data = json.loads(invoke("check", "--assignment", homework, "--answers", path, "--json").stdout)
    assert data["score"] == 9 and data["error"] is None
    rows = {r["asked"]: r for r in data["problems"][0]["rows"]}
    assert rows["df/dy"]["given"] == "abc" and rows["df/dy"]["diagnoses"][0]["kind"] == "unreadable"


def test_an_assignments_check_json_names_a_kink_by_source_text(tmp_path):
    # relu(x*y) at x = 0 is at its kink; the node is unnamed, so check's JSON says its text, not n2
    hw_path = tmp_path / "hw.toml"
    hw_path.write_text("[[problems]]\nexpression = 'q = relu(x*y) + 1'\nat = 'x=0,y=1'\n", encoding="utf-8")
    hw = load_assignment(hw_path)
    path = tmp_path / "s.toml"
    path.write_text("q = 1\n", encoding="utf-8")
    (problem,) = graded_dict(check_submission(hw, read_submission(path, hw)))["problems"]
    assert [w["message"] for w in problem["warnings"]] == [
        "relu(x*y) is at a kink (its input is 0; ∂relu(x*y)/∂(x*y) is 0 from below and 1 from above); "
        "relu'(0) = 0, as in the course, PyTorch and JAX"
    ]
