"""Checks, grades, answer keys and gradient checks as strict JSON (and Gradescope's results.json). Imports no Rich."""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .check_text import check_summary, key_rows, problem_output, wrong_items
from .json import number, warning

if TYPE_CHECKING:
    from ..assignment import Assignment, Graded
    from ..check import Check, Row
    from ..errors import BpcalcError
    from ..gradcheck import GradCheck


def dumps(data: Any) -> str:
    return json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _exact(value: Any) -> bool:
    """An exact fraction (key --exact), written beside its float as "7/12"."""
    if value is None or type(value) is float or hasattr(value, "tolist"):
        return False
    return hasattr(value, "denominator")


def _value(value: Any) -> Any:
    """A number, or an array as nested lists, as exact JSON numbers."""
    if value is None or isinstance(value, str):  # a str: the text of an answer that is not a number
        return value
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_value(v) for v in value]
    return number(float(value))


def row_dict(row: Row) -> dict[str, Any]:
    return {
        "asked": row.ask.key,
        "label": row.ask.label,
        "kind": row.ask.kind,
        "name": row.ask.name,
        "node": row.ask.node,
        "given": _value(row.given),
        "right": _value(row.right),
        "verdict": row.verdict,
        "root": row.root,
        "explains": [ask.key for ask in row.explains],
        "diagnoses": [
            {"kind": d.kind, "message": d.message, "value": _value(d.value), "node": d.node, "text": d.text}
            for d in row.diagnoses
        ],
    }


def check_dict(check: Check) -> dict[str, Any]:
    """One expression's check: the verdicts as data."""
    result = check.result
    graph = result.graph
    return {
        "schema": "bpcalc.check/1",
        "expression": graph.source,
        "output": result.output,
        "at": {name: _value(value) for name, value in result.at.items()},
        "tie": result.tie,
        "tolerance": check.tolerance.as_dict(),
        "ok": check.ok,
        "right": check.count("right"),
        "wrong": check.count("wrong"),
        "missing": check.count("missing"),
        "summary": check_summary(check),
        "rows": [row_dict(row) for row in check.rows],
        "notes": list(check.notes),
        "warnings": [warning(w) for w in check.warnings],
    }


def graded_dict(graded: Graded) -> dict[str, Any]:
    """One student's answers to an assignment, checked (bpcalc check --assignment --json)."""
    return {
        "schema": "bpcalc.submission/1",
        "student": graded.student,
        "file": graded.path,
        "score": _score(graded.score),
        "max_score": _score(graded.max_score),
        "ok": graded.ok,
        "error": graded.error,
        "problems": [
            {
                "id": p.problem.id,
                "title": p.problem.title,
                "score": _score(p.score),
                "max_score": _score(p.max_score),
                **_strip(check_dict(p.check)),
            }
            for p in graded.problems
        ],
        "notes": list(graded.notes),
    }


def _strip(data: dict[str, Any]) -> dict[str, Any]:
    data.pop("schema", None)
    return data


def _score(value: float | None) -> float | int | str | None:
    return None if value is None else number(round(value, 6))


def grade_line(graded: Graded) -> dict[str, Any]:
    """One row of `bpcalc grade --jsonl`: a student's score and what was not right."""
    return {
        "student": graded.student,
        "file": graded.path,
        "score": _score(graded.score),
        "max_score": _score(graded.max_score),
        "problems": {p.problem.id: _score(p.score) for p in graded.problems},
        "wrong": [
            {
                "problem": problem.id,
                "asked": row.ask.key,
                "given": _value(row.given),
                "right": _value(row.right),
                "verdict": row.verdict,
                "diagnoses": [d.kind for d in row.diagnoses],
                **_unreadable(row),
            }
            for problem, row in graded.wrong()
        ],
        "error": graded.error,
    }


def _unreadable(row: Row) -> dict[str, str]:
    """{"unreadable": why} for an answer that is not a number, else nothing (the other rows stay as they were)."""
    return {"unreadable": d.message for d in row.diagnoses[:1] if d.kind == "unreadable"}  # noqa: B035 - one at most


def grades_jsonl(graded: Iterable[Graded]) -> str:
    return "".join(dumps(grade_line(g)) + "\n" for g in graded)


def gradescope(graded: Graded, digits: int = 6) -> dict[str, Any]:
    """Gradescope's results.json for one submission: a test per problem, the diagnoses as its output."""
    if graded.error is not None:
        return {
            "score": 0,
            "output": f"Your answer file could not be graded: {graded.error}",
            "tests": [],
        }
    tests = []
    for p in graded.problems:
        name = f"Problem {p.problem.id}" + (f": {p.problem.title}" if p.problem.title else "")
        tests.append(
            {
                "name": name,
                "score": _score(p.score),
                "max_score": _score(p.max_score),
                "status": "passed" if p.check.ok else "failed",
                "output": problem_output(p, digits),
            }
        )
    wrong = wrong_items(graded)
    output = "All answers right." if not wrong else f"{len(wrong)} answer{'s' if len(wrong) != 1 else ''} not right."
    if graded.notes:
        output += "\n" + "\n".join(graded.notes)
    return {"score": _score(graded.score), "output": output, "tests": tests}


def gradescope_unreadable(exc: BpcalcError) -> dict[str, Any]:
    """Gradescope's results.json when the submission cannot be graded at all: the student still sees why."""
    reason = f"{exc.message}: {exc.hint}" if exc.hint else exc.message
    return {"score": 0, "output": f"Your submission could not be graded: {reason}", "tests": []}


def key_dict(assignment: Assignment) -> dict[str, Any]:
    """The answer key: every problem's asked items and their right values, exact."""
    return {
        "schema": "bpcalc.key/1",
        "title": assignment.title,
        "max_score": _score(assignment.max_score),
        "problems": [
            {
                "id": p.id,
                "title": p.title,
                "expression": p.source,
                "at": {name: _value(v) for name, v in p.at.items()},
                "tie": p.tie,
                "points": _score(p.points),
                "tolerance": p.tolerance.as_dict(),
                "answers": [
                    {"asked": ask.key, "label": ask.label, "kind": ask.kind, "name": ask.name, "value": _value(value),
                     **({"exact": str(value)} if _exact(value) else {})}
                    for ask, value in key_rows(p)
                ],
            }
            for p in assignment.problems
        ],
    }


def gradcheck_dict(check: GradCheck) -> dict[str, Any]:
    """Backprop against central differences, per variable."""
    result = check.result
    return {
        "schema": "bpcalc.gradcheck/1",
        "expression": result.graph.source,
        "output": result.output,
        "value": _value(result.value),
        "tie": result.tie,
        "ok": check.ok,
        "rows": [
            {
                "name": r.name,
                "value": _value(r.value),
                "step": _value(r.step),
                "backprop": _value(r.backprop),
                "numeric": _value(r.numeric),
                "rel_error": _value(r.rel_error),
                "verdict": r.verdict,
                "kink": None
                if r.kink is None
                else {
                    "nodes": r.kink.nodes,
                    "labels": r.kink.labels,
                    "left": _value(r.kink.left),
                    "right": _value(r.kink.right),
                },
                "note": r.note,
            }
            for r in check.rows
        ],
        "warnings": [warning(w) for w in result.warnings],
    }
