"""Tests for bpcalc/variants.py and per-student variants in assignments: grids, draws, redraws, grading."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bpcalc.assignment import grade, load_assignment
from bpcalc.errors import AnswerError
from bpcalc.variants import RandomSpec, draw_point, grid, student_key

HINGE = """
title = "Hinge"
seed = 2024

[[problems]]
id = "hinge"
expression = "max(0, 1 - w*phi*y)"
at = { phi = 1 }
ask = ["f", "df/dw", "df/dy"]
[problems.random]
w = { min = -1, max = 1, step = 0.5 }
y = [-1, 1]
"""


def _write(tmp_path: Path, text: str, name: str = "hw.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _hinge_by_hand(w: float, y: float, phi: float = 1.0) -> dict[str, float]:
    margin = 1 - w * phi * y
    active = margin > 0
    return {"f": max(0.0, margin), "df/dw": -phi * y if active else 0.0, "df/dy": -w * phi if active else 0.0}


def test_grid_is_exact_decimals():
    values = grid("w", {"min": -3, "max": 3, "step": 0.5}, where="", path="hw")
    assert values == tuple(k / 2 for k in range(-6, 7))
    assert grid("w", {"min": 0.1, "max": 0.3, "step": 0.1}, where="", path="hw") == (
        0.1,
        0.2,
        0.3,
    )  # not 0.30000000000000004
    assert grid("y", [-1, 1], where="", path="hw") == (-1.0, 1.0)


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"min": 3, "max": -3}, "min 3 > max -3"),
        ({"min": 0, "max": 1, "step": 0.3}, "does not divide"),
        ({"min": 0, "max": 1, "step": 0}, "step must be > 0"),
        ({"min": 0, "max": 1, "stp": 0.5}, "unknown key 'stp'"),
        ({"max": 1}, "needs min and max"),
        ([], "must list numbers"),
        (["a", 1], "must list numbers"),
        ([1, 1], "twice"),
        ("1..3", "range or a list"),
    ],
)
def test_bad_parameters(tmp_path, entry, message):
    import json

    text = HINGE.replace(
        "w = { min = -1, max = 1, step = 0.5 }",
        f"w = {json.dumps(entry)}"
        if not isinstance(entry, dict)
        else "w = { " + ", ".join(f"{k} = {v}" for k, v in entry.items()) + " }",
    )
    with pytest.raises(AnswerError, match=message):
        load_assignment(_write(tmp_path, text))


def test_bad_random_tables(tmp_path):
    with pytest.raises(AnswerError, match="no variable 'v'"):
        load_assignment(_write(tmp_path, HINGE + "v = [1, 2]\n"))
    with pytest.raises(AnswerError, match="both drawn and given"):
        load_assignment(_write(tmp_path, HINGE.replace("at = { phi = 1 }", "at = { phi = 1, w = 2 }")))
    with pytest.raises(AnswerError, match="no value for phi"):
        load_assignment(_write(tmp_path, HINGE.replace("at = { phi = 1 }", "at = {}")))
    with pytest.raises(AnswerError, match="seed"):
        load_assignment(_write(tmp_path, HINGE.replace("seed = 2024", "seed = 1.5")))


def test_draws_are_reproducible_and_on_the_grid():
    spec = RandomSpec((("w", (-1.0, -0.5, 0.0, 0.5, 1.0)), ("y", (-1.0, 1.0))))
    first = draw_point("2024", "hinge", "s1", spec)
    assert first == draw_point("2024", "hinge", "s1", spec)
    assert first["w"] in spec.params[0][1] and first["y"] in (-1.0, 1.0)
    many = {tuple(draw_point("2024", "hinge", f"s{i}", spec).values()) for i in range(200)}
    assert len(many) == spec.size == 10  # 200 students reach every point of the grid
    other_seed = [draw_point("2025", "hinge", f"s{i}", spec) for i in range(20)]
    assert other_seed != [draw_point("2024", "hinge", f"s{i}", spec) for i in range(20)]


def test_draws_do_not_depend_on_pythons_hash_seed():
    code = (
        "from bpcalc.variants import RandomSpec, draw_point;"
        "s = RandomSpec((('w', tuple(range(1000))),));"
        "print([draw_point('7', 'p', f'k{i}', s)['w'] for i in range(5)])"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_student_key_precedence():
    assert student_key({"name": "Ada", "email": "ADA@X.EDU", "id": 17}) == "17"
    assert student_key({"id": 17, "sis_id": "S1"}) == "S1"  # the student number first: every platform knows it
    assert student_key({"name": "Ada", "email": "ADA@X.EDU"}) == "ada@x.edu"
    assert student_key({"variant": 3, "id": "17"}) == "#3"
    assert student_key({"name": "  "}) is None


def test_variants_avoid_kinks_and_match_hand_computation(tmp_path):
    homework = load_assignment(_write(tmp_path, HINGE))
    seen = set()
    for i in range(60):
        problem = homework.for_student(f"student{i}").problems[0]
        w, y = problem.at["w"], problem.at["y"]
        seen.add((w, y))
        assert 1 - w * y != 0  # the kink of the hinge: never drawn
        assert problem.result.value == pytest.approx(_hinge_by_hand(w, y)["f"])
        assert problem.result.gradient["w"] == pytest.approx(_hinge_by_hand(w, y)["df/dw"])
    assert len(seen) == 8  # 10 grid points less the two kinks (w*y = 1)


def test_kinks_allowed_when_asked(tmp_path):
    only_kink = HINGE.replace("w = { min = -1, max = 1, step = 0.5 }", "w = [1]").replace("y = [-1, 1]", "y = [1]")
    with pytest.raises(AnswerError, match="no acceptable point"):
        load_assignment(_write(tmp_path, only_kink))
    homework = load_assignment(_write(tmp_path, only_kink + "avoid_kinks = false\n"))
    assert homework.for_student("x").problems[0].result.value == 0


def test_nonzero_and_domain_redraws(tmp_path):
    text = """
seed = "s"
[[problems]]
id = "p"
expression = "f = log(x) * w"
ask = ["f", "df/dx", "df/dw"]
[problems.random]
x = { min = -2, max = 2 }
w = { min = -2, max = 2 }
nonzero = ["w"]
"""
    homework = load_assignment(_write(tmp_path, text))
    for i in range(80):
        at = homework.for_student(str(i)).problems[0].at
        assert at["x"] > 0 and at["w"] != 0  # log needs x > 0; w must not be 0
        result = homework.for_student(str(i)).problems[0].result
        assert result.gradient["x"] == pytest.approx(at["w"] / at["x"])


def test_grading_finds_each_students_variant(tmp_path):
    path = _write(tmp_path, HINGE)
    homework = load_assignment(path)
    subs = tmp_path / "subs"
    subs.mkdir()
    for sid in ("101", "102", "103"):
        at = homework.for_student(sid).problems[0].at
        right = _hinge_by_hand(at["w"], at["y"])
        lines = [f'id = "{sid}"'] + [f'"{k}" = {v!r}' for k, v in right.items()]
        (subs / f"s{sid}.toml").write_text("\n".join(lines) + "\n")
    (subs / "nobody.toml").write_text("f = 1\n")
    graded = grade(homework, sorted(subs.iterdir()))
    by_file = {Path(g.path).name: g for g in graded}
    for sid in ("101", "102", "103"):
        g = by_file[f"s{sid}.toml"]
        assert g.score == 3 and g.variant == sid
    assert by_file["nobody.toml"].error and "does not say whose" in by_file["nobody.toml"].error


def test_copied_answers_fail_on_another_variant(tmp_path):
    homework = load_assignment(_write(tmp_path, HINGE))
    mine = homework.for_student("a").problems[0].at
    other = next(k for k in (f"b{i}" for i in range(100)) if homework.for_student(k).problems[0].at != mine)
    right = _hinge_by_hand(mine["w"], mine["y"])
    theirs = _hinge_by_hand(**homework.for_student(other).problems[0].at)
    copied = tmp_path / "copied.toml"
    copied.write_text(f'id = "{other}"\n' + "\n".join(f'"{k}" = {v!r}' for k, v in right.items()) + "\n")
    (g,) = grade(homework, [copied])
    expected = sum(math.isclose(right[k], theirs[k], abs_tol=1e-9) for k in right)
    assert g.score == expected < 3
