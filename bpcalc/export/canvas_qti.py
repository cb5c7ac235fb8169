"""A QTI 1.2 package for Canvas (Classic Quizzes): imsmanifest.xml and one assessment.

Canvas's numerical question holds one answer, so each asked item of a problem
is a question group that draws one of the variants (`selection_number` 1),
every question in it self-contained (the program and that variant's point),
its answer exact or within a range: the problem's atol + rtol·|right|, or
half a unit in the last place for `places`.
"""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile
from html import escape
from typing import TYPE_CHECKING

from . import answers, margin, point_text

if TYPE_CHECKING:
    from ..assignment import Assignment, Problem
    from . import Variant

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
QUIZ_FILE = "quiz/assessment.xml"


def _ident(*parts: str) -> str:
    """A stable QTI identifier (an XML name: starts with a letter)."""
    return "g" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _field(parent: ET.Element, label: str, entry: str) -> None:
    f = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(f, "fieldlabel").text = label
    ET.SubElement(f, "fieldentry").text = entry


def _num(value: float) -> str:
    return repr(float(value) + 0.0)


def item(problem: Problem, index: int, ident: str, title: str, points: float) -> ET.Element:
    ask, right = answers(problem)[index]
    element = ET.Element("item", ident=ident, title=title)
    meta = ET.SubElement(ET.SubElement(element, "itemmetadata"), "qtimetadata")
    _field(meta, "question_type", "numerical_question")
    _field(meta, "points_possible", _num(points))
    presentation = ET.SubElement(element, "presentation")
    text = (
        "<p>Run the forward and the backward pass of</p>"
        f"<pre>{escape(problem.source.strip())}</pre>"
        f"<p>at {escape(point_text(problem))}. What is {escape(ask.label)}?</p>"
    )
    ET.SubElement(ET.SubElement(presentation, "material"), "mattext", texttype="text/html").text = text
    response = ET.SubElement(presentation, "response_str", ident="response1", rcardinality="Single")
    ET.SubElement(ET.SubElement(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = ET.SubElement(element, "resprocessing")
    ET.SubElement(
        ET.SubElement(processing, "outcomes"),
        "decvar",
        maxvalue="100",
        minvalue="0",
        varname="SCORE",
        vartype="Decimal",
    )
    condition = ET.SubElement(processing, "respcondition", {"continue": "No"})
    either = ET.SubElement(ET.SubElement(condition, "conditionvar"), "or")
    ET.SubElement(either, "varequal", respident="response1").text = _num(right)
    within = ET.SubElement(either, "and")
    half = margin(problem, right)
    ET.SubElement(within, "vargte", respident="response1").text = _num(right - half)
    ET.SubElement(within, "varlte", respident="response1").text = _num(right + half)
    ET.SubElement(condition, "setvar", action="Set", varname="SCORE").text = "100"
    return element


def assessment(assignment: Assignment, variants: list[Variant]) -> ET.Element:
    root = ET.Element("questestinterop", xmlns=QTI_NS)
    test = ET.SubElement(root, "assessment", ident=_ident(assignment.title), title=assignment.title)
    _field(ET.SubElement(test, "qtimetadata"), "cc_maxattempts", "1")
    top = ET.SubElement(test, "section", ident="root_section")
    for p_index, problem in enumerate(assignment.problems):
        items = answers(problem)
        each = problem.points / len(items)
        for a_index, (ask, _) in enumerate(items):
            title = f"Problem {problem.id}: {ask.label}"
            group = ET.SubElement(top, "section", ident=_ident(assignment.title, problem.id, ask.key), title=title)
            selection = ET.SubElement(ET.SubElement(group, "selection_ordering"), "selection")
            ET.SubElement(selection, "selection_number").text = "1"
            ET.SubElement(ET.SubElement(selection, "selection_extension"), "points_per_item").text = _num(each)
            for variant in variants:
                drawn = variant.assignment.problems[p_index]
                ident = _ident(assignment.title, problem.id, ask.key, variant.key)
                group.append(item(drawn, a_index, ident, f"{title} (variant {variant.key})", each))
    return root


def manifest(assignment: Assignment) -> ET.Element:
    root = ET.Element("manifest", identifier=_ident("manifest", assignment.title), xmlns=CP_NS)
    meta = ET.SubElement(root, "metadata")
    ET.SubElement(meta, "schema").text = "IMS Content"
    ET.SubElement(meta, "schemaversion").text = "1.1.3"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    resource = ET.SubElement(
        resources, "resource", identifier=_ident("resource", assignment.title), type="imsqti_xmlv1p2", href=QUIZ_FILE
    )
    ET.SubElement(resource, "file", href=QUIZ_FILE)
    return root


def _xml(element: ET.Element) -> bytes:
    ET.indent(element)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8") + b"\n"
    )


def export(assignment: Assignment, variants: list[Variant], file: str = "quiz.zip") -> dict[str, bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", _xml(manifest(assignment)))
        archive.writestr(QUIZ_FILE, _xml(assessment(assignment, variants)))
    return {file: buffer.getvalue()}
