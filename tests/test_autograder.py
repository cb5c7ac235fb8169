"""Tests for bpcalc/autograder.py: the zip, its wheel, and its run_autograder run for real in Gradescope's layout."""

from __future__ import annotations

import json
import os
import shutil
import site
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bpcalc.autograder import build, build_wheel, find_answer_file, requirements, run
from bpcalc.errors import AnswerError, BpcalcError, InputError

HOMEWORK = """
title = "Homework 3"

[[problems]]
id = "1"
title = "the (x+y)*z graph"
expression = "q = x + y; f = q * z"
at = "x=-2, y=5, z=-4"
ask = ["q", "f", "df/dq", "df/dx", "df/dy", "df/dz"]

[[problems]]
id = "2"
expression = "max(0, 1 - w*phi*y)"
at = { w = 0.5, phi = 1, y = 1 }
ask = "f, df/dw"
points = 2
"""

# Worked by hand: q = -2 + 5 = 3, f = 3 * -4 = -12, df/dq = z = -4, df/dx = df/dy = -4, df/dz = q = 3;
# hinge: 1 - 0.5 = 0.5 > 0, so f = 0.5 and df/dw = -phi*y = -1.
RIGHT = """
student = "Ada"
[1]
q = 3
f = -12
"df/dq" = -4
"df/dx" = -4
"df/dy" = -4
"df/dz" = 3
[2]
f = 0.5
"df/dw" = -1
"""

# Gradescope's documented fields (autograder_samples docs/specs.md)
TOP_FIELDS = {
    "score",
    "execution_time",
    "output",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
TEST_FIELDS = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}


def _check_results(data: dict) -> None:
    assert set(data) <= TOP_FIELDS, set(data) - TOP_FIELDS
    assert isinstance(data["score"], (int, float))
    assert isinstance(data["execution_time"], (int, float))
    assert data["visibility"] in VISIBILITY and data["stdout_visibility"] in VISIBILITY
    for test in data["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["number"], str)


@pytest.fixture
def homework(tmp_path: Path) -> Path:
    path = tmp_path / "hw.toml"
    path.write_text(HOMEWORK, encoding="utf-8")
    return path


def _layout(tmp_path: Path, zip_path: Path) -> Path:
    """Unpack the zip as Gradescope does: source/, run_autograder copied to the root, submission/, results/."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = root / "source" / info.filename
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def test_zip_holds_scripts_assignment_and_wheel(homework, tmp_path):
    out = tmp_path / "autograder.zip"
    names = build(homework, out, visibility="after_due_date")
    with zipfile.ZipFile(out) as archive:
        listed = {info.filename: info for info in archive.infolist()}
        assert set(listed) == set(names)
        for script in ("setup.sh", "run_autograder"):  # at the root of the zip, executable
            assert (listed[script].external_attr >> 16) & stat.S_IXUSR
            assert archive.read(script).startswith(b"#!/usr/bin/env bash\n")
        assert archive.read("assignment.toml") == homework.read_bytes()
        assert json.loads(archive.read("bpcalc-autograder.json"))["visibility"] == "after_due_date"
        wheel = next(n for n in names if n.endswith(".whl"))
        pins = archive.read("requirements.txt").decode().split()
    assert all("==" in line for line in pins)
    assert any(line.lower().startswith("typer==") for line in pins)
    with zipfile.ZipFile(out) as archive, zipfile.ZipFile(__import__("io").BytesIO(archive.read(wheel))) as whl:
        inside = set(whl.namelist())
    assert {"bpcalc/__init__.py", "bpcalc/grammar/bpcalc.lark", "bpcalc/engine.py"} <= inside
    assert not any("__pycache__" in n for n in inside)


def test_wheel_record_matches_its_files():
    import base64
    import csv
    import hashlib
    import io

    name, data = build_wheel()
    assert name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(io.BytesIO(data)) as whl:
        record_name = next(n for n in whl.namelist() if n.endswith(".dist-info/RECORD"))
        rows = list(csv.reader(io.StringIO(whl.read(record_name).decode())))
        for path, digest, size in rows:
            if path == record_name:
                assert digest == size == ""
                continue
            content = whl.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(content)
        assert len(rows) == len(whl.namelist())


def test_bad_options_and_assignment(homework, tmp_path):
    with pytest.raises(InputError, match="visibility"):
        build(homework, tmp_path / "a.zip", visibility="soon")
    with pytest.raises(InputError, match="python-deps"):
        build(homework, tmp_path / "a.zip", python_deps="newest")
    broken = tmp_path / "broken.toml"
    broken.write_text('[[problems]]\nexpression = "x +"\nat = "x=1"\n', encoding="utf-8")
    with pytest.raises(BpcalcError):
        build(broken, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()
    with pytest.raises(InputError, match="is also an input"):
        build(homework, homework)
    assert "max(0" in homework.read_text()


def test_ranges_are_bpcalcs_own():
    ranges = requirements(pinned=False)
    assert any(r.startswith("typer") and "<0.29" in r for r in ranges)
    assert not any(r.startswith("lark") for r in ranges)  # the parser is generated: lark is for tests only


def test_find_answer_file(tmp_path):
    sub = tmp_path / "submission"
    (sub / "deep" / "er").mkdir(parents=True)
    (sub / "deep" / "er" / "mine.toml").write_text("q = 1\n")
    (sub / "notes.txt").write_text("hi")
    (sub / "__MACOSX").mkdir()
    (sub / "__MACOSX" / "._mine.toml").write_text("junk")
    (sub / ".hidden.json").write_text("{}")
    path, notes = find_answer_file(sub)
    assert path.name == "mine.toml"
    assert notes and "notes.txt" in notes[0]
    (sub / "other.json").write_text("{}")
    with pytest.raises(AnswerError, match="2 answer files .*deep/er/mine.toml.*other.json|2 answer files"):
        find_answer_file(sub)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "answers.pdf").write_text("%PDF")
    with pytest.raises(AnswerError, match="no answer file.*answers.pdf"):
        find_answer_file(empty)


def _grade_in_process(
    tmp_path: Path, homework: Path, files: dict[str, str], visibility: str = "visible", metadata: str = ""
) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    zip_path = tmp_path / "ag.zip"
    build(homework, zip_path, visibility=visibility)
    root = _layout(tmp_path, zip_path)
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text, encoding="utf-8")
    if metadata:
        (root / "submission_metadata.json").write_text(
            json.dumps({"users": [{"sid": metadata, "name": "X", "email": "x@y"}]})
        )
    assert run(root) == 0
    data = json.loads((root / "results" / "results.json").read_text())
    _check_results(data)
    return data


def test_in_process_scores_and_messages(tmp_path, homework, capsys):
    data = _grade_in_process(tmp_path, homework, {"hw/answers.toml": RIGHT, "README.md": "x"}, visibility="hidden")
    assert data["score"] == 8 and data["visibility"] == "hidden"
    assert [t["max_score"] for t in data["tests"]] == [6, 2]
    assert [t["number"] for t in data["tests"]] == ["1", "2"]
    assert "README.md" in data["output"]


def test_in_process_no_file_and_two_files(tmp_path, homework):
    data = _grade_in_process(tmp_path / "a", homework, {"report.pdf": "x"})
    assert data["score"] == 0 and data["tests"] == []
    assert "no answer file" in data["output"] and "report.pdf" in data["output"]
    data = _grade_in_process(tmp_path / "b", homework, {"a.toml": RIGHT, "b/c.json": "{}"})
    assert data["score"] == 0 and "2 answer files" in data["output"]


def test_in_process_broken_file(tmp_path, homework):
    data = _grade_in_process(tmp_path, homework, {"a.toml": "[q = 3"})
    assert data["score"] == 0 and "not valid TOML" in data["output"]


def test_in_process_output_names_unnamed_nodes_as_written(tmp_path):
    # L = -y·log(p) with p = σ(w·x) = σ(0.4): ∂L/∂log(p) = -y = -2, and ∂log(p)/∂w = (1-p)·x = 0.200656;
    # a student who restarts the chain at log(p) reads log(p), never bpcalc's n3
    homework = tmp_path / "hw.toml"
    homework.write_text(
        'title = "H"\n[[problems]]\nid = "1"\nexpression = "p = sigmoid(w*x); L = -y*log(p)"\n'
        'at = "w=0.8, x=0.5, y=2"\nask = ["dL/dw"]\n',
        encoding="utf-8",
    )
    data = _grade_in_process(tmp_path / "run", homework, {"a.toml": '[1]\n"dL/dw" = 0.200656\n'})
    (test,) = data["tests"]
    assert "the chain restarted at log(p); multiply by the upstream ∂L/∂log(p) = -2" in test["output"]
    assert "n3" not in test["output"] and "n3" not in data["output"]


def _venv_with_parent_packages(root: Path) -> Path:
    """A virtual environment for setup.sh to reuse, which sees this interpreter's packages, so that
    setup.sh installs the dependencies offline (all already there) and the wheel from the zip."""
    venv = root / "bpcalc-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    parent = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "parent-packages.pth").write_text("\n".join(parent) + "\n")
    return venv


@pytest.mark.slow  # about 13 s: pip installs the wheel into a new virtual environment
@pytest.mark.skipif(sys.platform == "win32", reason="Gradescope runs bash on Linux")
def test_run_autograder_for_real(tmp_path, homework):
    """The zip's setup.sh and run_autograder, run as Gradescope runs them, against a temporary root."""
    zip_path = tmp_path / "ag.zip"
    build(homework, zip_path, visibility="after_published")
    root = _layout(tmp_path, zip_path)
    venv = _venv_with_parent_packages(root)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(AUTOGRADER_ROOT=str(root), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--version"], capture_output=True, env=env)
    if pip.returncode != 0:
        pytest.skip("pip is not importable from the new virtual environment")
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert setup.returncode == 0, setup.stderr
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bpcalc; print(bpcalc.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # bpcalc from the wheel, not from this checkout
    (root / "submission" / "folder").mkdir()
    wrong = RIGHT.replace('"df/dq" = -4', '"df/dq" = 4').replace('"df/dx" = -4', '"df/dx" = 4')
    (root / "submission" / "folder" / "answers.toml").write_text(wrong)
    (root / "submission_metadata.json").write_text(
        json.dumps({"users": [{"name": "Ada", "email": "ada@x.edu", "sid": "17"}]})
    )
    done = subprocess.run(
        [str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    _check_results(data)
    assert data["visibility"] == "after_published"
    # problem 1: 6 items of 1 point, two wrong (df/dq and df/dx); problem 2 right
    assert data["score"] == 6
    first = data["tests"][0]
    assert first["score"] == 4 and first["max_score"] == 6 and first["status"] == "failed"
    assert "∂f/∂q = 4: wrong, the right value is -4" in first["output"]
    assert data["tests"][1]["status"] == "passed"
    # an empty submission still gets a results.json, in the student's words
    shutil.rmtree(root / "submission")
    (root / "submission").mkdir()
    done = subprocess.run(
        [str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    data = json.loads((root / "results" / "results.json").read_text())
    assert done.returncode == 0 and data["score"] == 0 and "no answer file" in data["output"]


def test_run_autograder_without_bpcalc_still_writes_results(tmp_path, homework):
    zip_path = tmp_path / "ag.zip"
    build(homework, zip_path)
    root = _layout(tmp_path, zip_path)  # setup.sh never ran: no virtual environment
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "instructor" in data["output"]


def test_variant_from_gradescopes_submitter(tmp_path):
    """With variants, the numbers are the submitter's (Gradescope's SID), whatever id the file claims."""
    from bpcalc.assignment import load_assignment

    hw = tmp_path / "hw.toml"
    hw.write_text(
        'seed = 3\n[[problems]]\nexpression = "f = w * x"\nat = { x = 2 }\nask = ["f", "df/dx"]\n'
        "[problems.random]\nw = { min = 1, max = 9 }\n"
    )
    w = load_assignment(hw).for_student("S9").problems[0].at["w"]
    # by hand: f = w*x = 2w, df/dx = w
    data = _grade_in_process(
        tmp_path / "run", hw, {"a.toml": f'sis_id = "S1"\nf = {2 * w}\n"df/dx" = {w}\n'}, metadata="S9"
    )
    assert data["score"] == 2
    assert data["tests"][0]["output"].startswith(f"Your point: x = 2, w = {int(w)}\n")


def test_in_process_an_answer_that_is_no_number_costs_that_item_only(tmp_path, homework):
    """Issue 10 item 14: a typo in one answer gave score 0 and "could not be graded"."""
    typo = RIGHT.replace('"df/dx" = -4', '"df/dx" = -4,0').replace('"df/dy" = -4', '"df/dy" = abc')
    data = _grade_in_process(tmp_path, homework, {"a.toml": typo})
    # problem 1: 6 points for 6 items, 4 right; problem 2: 2 of 2 (worked by hand above)
    assert data["score"] == 6
    first, second = data["tests"]
    assert (first["score"], first["max_score"], first["status"]) == (4, 6, "failed")
    assert (second["score"], second["status"]) == (2, "passed")
    assert "∂f/∂x = -4,0: wrong, the right value is -4" in first["output"]
    assert "write -4.0, with a decimal point, not a comma" in first["output"]
    assert "∂f/∂y = abc: wrong" in first["output"] and "numbers look like 3, -0.5" in first["output"]
    assert "2 answers not right" in data["output"]


def test_in_process_a_file_that_is_no_answer_file_stays_not_graded(tmp_path, homework):
    data = _grade_in_process(tmp_path, homework, {"a.toml": "import numpy as np\nq = 3\n"})
    assert data["score"] == 0 and data["tests"] == [] and "not valid TOML" in data["output"]
