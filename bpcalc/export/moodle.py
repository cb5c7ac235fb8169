"""Moodle XML: a category per problem, a question per variant.

A problem that asks one item is a `numerical` question; one that asks several
is one `cloze` (embedded answers) question holding a {1:NUMERICAL:=value:±}
field per item. Moodle's numerical tolerance is absolute, so each answer
carries the problem's atol + rtol·|right| (or half a unit in the last place
for `places`) worked out for its own right value.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape
from typing import TYPE_CHECKING

from . import answers, margin, point_text

if TYPE_CHECKING:
    from ..assignment import Assignment, Problem
    from . import Variant


def _text(parent: ET.Element, tag: str, value: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    ET.SubElement(element, "text").text = value
    return element


def _num(value: float) -> str:
    return repr(float(value) + 0.0)


def _cloze_safe(text: str) -> str:
    """Text outside the embedded answers: braces would start one."""
    return text.replace("{", "&#123;").replace("}", "&#125;")


def _stem(problem: Problem) -> str:
    return (
        "<p>Run the forward and the backward pass of</p>"
        f"<pre>{_cloze_safe(escape(problem.source.strip()))}</pre>"
        f"<p>at {_cloze_safe(escape(point_text(problem)))}.</p>"
    )


def question(problem: Problem, name: str) -> ET.Element:
    items = answers(problem)
    element = ET.Element("question")
    _text(element, "name", name)
    if len(items) == 1:
        element.set("type", "numerical")
        ask, right = items[0]
        _text(element, "questiontext", _stem(problem) + f"<p>{escape(ask.label)} = ?</p>", format="html")
        ET.SubElement(element, "defaultgrade").text = _num(problem.points)
        answer = _text(element, "answer", _num(right), fraction="100")
        ET.SubElement(answer, "tolerance").text = _num(margin(problem, right))
        return element
    element.set("type", "cloze")
    fields = []
    weight = max(1, round(problem.points / len(items))) if problem.points else 1
    for ask, right in items:
        fields.append(
            f"<p>{escape(ask.label)} = {{{weight}:NUMERICAL:={_num(right)}:{_num(margin(problem, right))}}}</p>"
        )
    _text(element, "questiontext", _stem(problem) + "".join(fields), format="html")
    return element


def export(assignment: Assignment, variants: list[Variant], file: str = "questions.xml") -> dict[str, bytes]:
    quiz = ET.Element("quiz")
    for index, problem in enumerate(assignment.problems):
        category = ET.SubElement(quiz, "question", type="category")
        heading = f"Problem {problem.id}" + (f" {problem.title}" if problem.title else "")
        path = f"$course$/top/{assignment.title.replace('/', '-')}/{heading.replace('/', '-')}"
        _text(category, "category", path)
        for variant in variants:
            drawn = variant.assignment.problems[index]
            quiz.append(question(drawn, f"Problem {problem.id}, variant {variant.key}"))
    ET.indent(quiz)
    return {
        file: b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + ET.tostring(quiz, encoding="unicode").encode("utf-8")
        + b"\n"
    }
