"""PrairieLearn questions: a folder per problem with info.json, question.html and server.py.

server.py carries the variants' numbers baked in and `generate` picks one
(PrairieLearn seeds Python's `random` per variant), so PrairieLearn needs no
bpcalc. Each asked item is a `pl-number-input` with the problem's tolerance:
comparison="relabs" with rtol/atol, or "decdig" with digits for `places`.
"""

from __future__ import annotations

import json
import uuid
from html import escape
from typing import TYPE_CHECKING

from . import answers, point_text, unique_slugs

if TYPE_CHECKING:
    from ..assignment import Assignment, Problem
    from . import Variant

# A fixed namespace: the same assignment title and problem id give the same uuid on every export.
NAMESPACE = uuid.UUID("6f1c4f3e-2b0a-5d6e-9c1a-8b7e0d2f4a61")


def question_uuid(assignment: Assignment, problem: Problem) -> str:
    return str(uuid.uuid5(NAMESPACE, f"bpcalc\x1f{assignment.title}\x1f{problem.id}"))


def info(assignment: Assignment, problem: Problem) -> dict:
    title = f"{assignment.title}: problem {problem.id}" + (f", {problem.title}" if problem.title else "")
    return {
        "uuid": question_uuid(assignment, problem),
        "type": "v3",
        "title": title,
        "topic": "Backpropagation",
        "tags": ["bpcalc"],
        "singleVariant": False,
    }


def question_html(problem: Problem) -> str:
    tol = problem.tolerance
    if tol.places is not None:
        comparison = f'comparison="decdig" digits="{tol.places}"'
    else:
        comparison = f'comparison="relabs" rtol="{tol.rtol!r}" atol="{tol.atol!r}"'
    lines = [
        "<pl-question-panel>",
        "  <p>Run the forward and the backward pass of</p>",
        "  <pre>{{params.program}}</pre>",
        "  <p>at {{params.point}}, and give these values and gradients.</p>",
        "</pl-question-panel>",
        "",
    ]
    for n, (ask, _) in enumerate(answers(problem), 1):
        label = escape(f"{ask.label} =", quote=True)
        lines.append(f'<pl-number-input answers-name="a{n}" label="{label}" {comparison}></pl-number-input>')
    return "\n".join(lines) + "\n"


def server_py(problem_variants: list[Problem]) -> str:
    baked = [
        {
            "program": p.source.strip(),
            "point": point_text(p),
            "answers": {f"a{n}": value for n, (_, value) in enumerate(answers(p), 1)},
        }
        for p in problem_variants
    ]
    return (
        '"""Written by bpcalc variants --to prairielearn: each variant\'s point and right answers, baked in."""\n'
        "import random\n\n"
        f"VARIANTS = {baked!r}\n\n\n"
        "def generate(data):\n"
        "    variant = random.choice(VARIANTS)  # PrairieLearn seeds random for each variant\n"
        '    data["params"]["program"] = variant["program"]\n'
        '    data["params"]["point"] = variant["point"]\n'
        '    for name, value in variant["answers"].items():\n'
        '        data["correct_answers"][name] = value\n'
    )


def export(assignment: Assignment, variants: list[Variant]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    folders = unique_slugs(f"{assignment.title}-{p.id}" for p in assignment.problems)
    for index, (problem, folder) in enumerate(zip(assignment.problems, folders)):
        drawn = [v.assignment.problems[index] for v in variants]
        files[f"{folder}/info.json"] = (
            json.dumps(info(assignment, problem), indent=2, ensure_ascii=False) + "\n"
        ).encode()
        files[f"{folder}/question.html"] = question_html(problem).encode()
        files[f"{folder}/server.py"] = server_py(drawn).encode()
    return files
