"""Tests for bpcalc/export/: variants as JSON lines, PrairieLearn, Moodle XML, Canvas QTI 1.2 and handouts.

No platform is reachable from the tests: each export is checked against what its platform
documents (required fields, element names, the answers and their margins), and
PrairieLearn's info.json against PrairieLearn's own JSON schema when a copy is at hand.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bpcalc.assignment import load_assignment
from bpcalc.canvas import Student
from bpcalc.errors import AnswerError
from bpcalc.export import exporters, make_variants
from bpcalc.export.handouts import identity_line

HOMEWORK = """
title = "Homework 3"
seed = 7

[[problems]]
id = "1"
title = "the (x+y)*z graph"
expression = "q = x + y; f = q * z"
at = "x=-2, y=5"
ask = ["q", "f", "df/dx", "df/dz"]
[problems.random]
z = { min = -4, max = 4, step = 1 }
nonzero = ["z"]

[[problems]]
id = "hinge"
expression = "max(0, 1 - w*phi*y)"
at = { phi = 1, y = 1 }
ask = ["df/dw"]
places = 2
points = 2
[problems.random]
w = { min = -1, max = 1, step = 0.25 }
"""


def _by_hand(z: float, w: float) -> dict[str, dict[str, float]]:
    # q = x + y = 3, f = q*z, df/dx = z, df/dz = q; hinge: df/dw = -phi*y = -1 when 1 - w > 0, else 0
    return {"1": {"q": 3.0, "f": 3.0 * z, "df/dx": z, "df/dz": 3.0}, "hinge": {"df/dw": -1.0 if 1 - w > 0 else 0.0}}


@pytest.fixture
def homework(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text(HOMEWORK, encoding="utf-8")
    return load_assignment(path)


@pytest.fixture
def variants(homework):
    made, warnings = make_variants(homework, n=5)
    assert warnings == []
    return made


def test_jsonl_lines_hold_every_asked_item(homework):
    students = [Student(1, name="Ada", id="101"), Student(2, name="Alan", sis_id="S3")]
    made, _ = make_variants(homework, students=students)
    lines = [json.loads(line) for line in exporters()["jsonl"](homework, made)["variants.jsonl"].decode().splitlines()]
    assert [(line["student"], line["variant"]) for line in lines] == [("Ada", "101"), ("Alan", "S3")]
    for line in lines:
        z, w = line["problems"]["1"]["at"]["z"], line["problems"]["hinge"]["at"]["w"]
        assert z != 0 and w != 1  # nonzero, and no kink at the hinge's margin 0
        assert line["problems"]["1"]["at"] == {"x": -2, "y": 5, "z": z}
        expected = _by_hand(z, w)
        assert line["problems"]["1"]["key"] == pytest.approx(expected["1"])
        assert line["problems"]["hinge"]["key"] == pytest.approx(expected["hinge"])


def test_small_variant_space_is_said(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text(
        HOMEWORK.replace("min = -4, max = 4", "min = 1, max = 2").replace(
            "min = -1, max = 1, step = 0.25", "min = 0, max = 0.5, step = 0.5"
        )
    )
    made, warnings = make_variants(load_assignment(path), n=10)
    assert len(made) == 10
    assert any("only 4 different variants for 10 students" in w for w in warnings)
    with pytest.raises(AnswerError, match="from 1 to"):
        make_variants(load_assignment(path), n=0)


def _pl_schema() -> dict | None:
    """PrairieLearn's infoQuestion.json schema: $BPCALC_PRAIRIELEARN_SCHEMA, or a local mirror of the repository."""
    given = os.environ.get("BPCALC_PRAIRIELEARN_SCHEMA")
    if given and Path(given).is_file():
        return json.loads(Path(given).read_text())
    mirror = Path("/work/.mirror/PrairieLearn+PrairieLearn/repo")
    if mirror.is_dir():
        shown = subprocess.run(
            ["git", "--git-dir", str(mirror), "show", "HEAD:apps/prairielearn/src/schemas/schemas/infoQuestion.json"],
            capture_output=True,
            text=True,
        )
        if shown.returncode == 0:
            return json.loads(shown.stdout)
    return None


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "pl-number-input":
            self.inputs.append(dict(attrs))


def test_prairielearn_questions(homework, variants, tmp_path):
    files = exporters()["prairielearn"](homework, variants)
    folders = sorted({name.split("/")[0] for name in files})
    assert len(folders) == 2
    schema = _pl_schema()
    again = exporters()["prairielearn"](homework, variants)
    for folder in folders:
        info = json.loads(files[f"{folder}/info.json"])
        # documented: uuid, type "v3", title and topic are required
        assert uuid.UUID(info["uuid"]) and info["type"] == "v3" and info["title"] and info["topic"]
        assert json.loads(again[f"{folder}/info.json"])["uuid"] == info["uuid"]  # stable across exports
        if schema is not None:
            import jsonschema

            jsonschema.validate(info, schema)
    # the hinge asks with places = 2: decdig with 2 digits; problem 1 relabs with the defaults
    parsed = {}
    for folder in folders:
        parser = _Inputs()
        parser.feed(files[f"{folder}/question.html"].decode())
        parsed[folder] = parser.inputs
    one, hinge = (
        (parsed[f] for f in folders) if "1" in folders[0].split("-")[-1] else reversed([parsed[f] for f in folders])
    )
    assert [i["label"] for i in one] == ["q =", "f =", "∂f/∂z =", "∂f/∂x ="]
    assert all(i["comparison"] == "relabs" and float(i["rtol"]) == 0.01 and float(i["atol"]) == 0.001 for i in one)
    assert hinge == [{"answers-name": "a1", "label": "∂f/∂w =", "comparison": "decdig", "digits": "2"}]
    # server.py runs without bpcalc: generate() fills params and the right answers of one baked-in variant
    for folder in folders:
        path = tmp_path / f"{folder}_server.py"
        path.write_bytes(files[f"{folder}/server.py"])
        assert b"bpcalc" not in b"".join(
            line for line in files[f"{folder}/server.py"].splitlines() if line.startswith(b"import")
        )
        spec = importlib.util.spec_from_file_location(f"server_{folder}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        data = {"params": {}, "correct_answers": {}}
        module.generate(data)
        names = {i["answers-name"] for i in parsed[folder]}
        assert set(data["correct_answers"]) == names
        point = dict(item.split(" = ") for item in data["params"]["point"].split(", "))
        if "z" in point:
            assert data["correct_answers"]["a2"] == pytest.approx(3 * float(point["z"]))  # f = q*z


def test_moodle_xml(homework, variants):
    ((name, data),) = exporters()["moodle"](homework, variants).items()
    root = ET.fromstring(data)
    assert root.tag == "quiz"
    questions = root.findall("question")
    categories = [q for q in questions if q.get("type") == "category"]
    assert [c.findtext("category/text") for c in categories] == [
        "$course$/top/Homework 3/Problem 1 the (x+y)*z graph",
        "$course$/top/Homework 3/Problem hinge",
    ]
    cloze = [q for q in questions if q.get("type") == "cloze"]
    numerical = [q for q in questions if q.get("type") == "numerical"]
    assert len(cloze) == len(numerical) == 5
    for q, variant in zip(cloze, variants):
        text = q.findtext("questiontext/text")
        z = variant.assignment.problems[0].at["z"]
        fields = re.findall(r"\{(\d+):NUMERICAL:=([^:}]+):([^}]+)\}", text)
        expected = _by_hand(z, 0)["1"]
        rights = [expected[k] for k in ("q", "f", "df/dz", "df/dx")]
        assert [float(v) for _, v, _ in fields] == pytest.approx(rights)
        assert [float(t) for _, _, t in fields] == pytest.approx([0.001 + 0.01 * abs(r) for r in rights])
        assert q.find("questiontext").get("format") == "html"
    for q, variant in zip(numerical, variants):
        w = variant.assignment.problems[1].at["w"]
        assert float(q.findtext("answer/text")) == _by_hand(0, w)["hinge"]["df/dw"]
        assert q.find("answer").get("fraction") == "100"
        assert float(q.findtext("answer/tolerance")) == 0.005  # places = 2: half of 0.01
        assert float(q.findtext("defaultgrade")) == 2


def test_canvas_qti_package(homework, variants):
    ((name, data),) = exporters()["canvas-qti"](homework, variants).items()
    ns = {"qti": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2", "cp": "http://www.imsglobal.org/xsd/imscp_v1p1"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        resource = manifest.find("cp:resources/cp:resource", ns)
        assert resource.get("type") == "imsqti_xmlv1p2"
        quiz = ET.fromstring(archive.read(resource.get("href")))
    groups = quiz.findall("qti:assessment/qti:section/qti:section", ns)
    assert len(groups) == 5  # problem 1 asks 4 items, the hinge 1: a group each
    for group in groups:
        assert group.findtext("qti:selection_ordering/qti:selection/qti:selection_number", namespaces=ns) == "1"
        items = group.findall("qti:item", ns)
        assert len(items) == 5
        for item in items:
            fields = {
                f.findtext("qti:fieldlabel", namespaces=ns): f.findtext("qti:fieldentry", namespaces=ns)
                for f in item.findall("qti:itemmetadata/qti:qtimetadata/qti:qtimetadatafield", ns)
            }
            assert fields["question_type"] == "numerical_question"
            cond = item.find("qti:resprocessing/qti:respcondition/qti:conditionvar/qti:or", ns)
            exact = float(cond.findtext("qti:varequal", namespaces=ns))
            low, high = (
                float(cond.findtext("qti:and/qti:vargte", namespaces=ns)),
                float(cond.findtext("qti:and/qti:varlte", namespaces=ns)),
            )
            assert low <= exact <= high
    hinge = groups[-1].findall("qti:item", ns)
    for item, variant in zip(hinge, variants):
        cond = item.find("qti:resprocessing/qti:respcondition/qti:conditionvar/qti:or", ns)
        right = _by_hand(0, variant.assignment.problems[1].at["w"])["hinge"]["df/dw"]
        assert float(cond.findtext("qti:varequal", namespaces=ns)) == right
        assert float(cond.findtext("qti:and/qti:varlte", namespaces=ns)) == pytest.approx(right + 0.005)


def test_array_items_are_refused(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text('[[problems]]\nexpression = "f = sum(w * x)"\nat = "w=[1,2], x=[3,4]"\nask = ["df/dw"]\n')
    made, _ = make_variants(load_assignment(path), n=1)
    with pytest.raises(AnswerError, match="vector or matrix"):
        exporters()["moodle"](load_assignment(path), made)


def test_handouts(homework):
    made, _ = make_variants(homework, students=[Student(1, name="Lovelace, Ada", id="101")])
    sheet = exporters()["markdown"](homework, made)
    ((name, text),) = sheet.items()
    assert name == "Lovelace_Ada.md"
    text = text.decode()
    z = made[0].assignment.problems[0].at["z"]
    assert '`id = "101"`' in text and f"at `x` = -2, `y` = 5, `z` = {int(z)}" in text
    assert "Give: `q`, `f`, ∂`f`/∂`z`, ∂`f`/∂`x`" in text
    tex = exporters()["latex"](homework, made)["Lovelace_Ada.tex"].decode()
    assert tex.startswith("\\documentclass{article}") and tex.rstrip().endswith("\\end{document}")
    assert "\\begin{verbatim}\nq = x + y; f = q * z\n\\end{verbatim}" in tex
    numbered, _ = make_variants(homework, n=2)
    assert identity_line(numbered[1]) == "variant = 2"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex")
def test_latex_handout_compiles(homework, tmp_path):
    # a name with TeX's special characters, and an id with a quote and a bar
    made, _ = make_variants(homework, students=[Student(1, name="O'Brien & Søn_1 #2 {x} 50%", sis_id='S"1|2')])
    ((name, tex),) = exporters()["latex"](homework, made).items()
    (tmp_path / name).write_bytes(tex)
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / name).with_suffix(".pdf").stat().st_size > 1000
    assert '\\verb!sis_id = "S\\"1|2"!' in tex.decode()  # the id whole, as the student must copy it


@pytest.mark.parametrize(
    "program",
    [
        "# see ```code``` and ````four````\nq = x + y\nf = q * z  # ```",
        # bpcalc's comment runs to the next \n, but CommonMark ends a line at a lone \r too (old Mac
        # files): the comment's ``` is then a line of its own, which closed a ``` fence.
        "q = x + y  # see\r```\rf = q * z\nf = q * z",
    ],
)
def test_a_handout_fence_outlasts_the_backticks_of_a_comment(tmp_path, program):
    # A comment holding ``` (or ````) must not close the sheet's code block: read back by a CommonMark
    # parser (markdown-it-py, which Rich uses), the block holds the program whole, and nothing else.
    from markdown_it import MarkdownIt

    path = tmp_path / "hw.toml"
    toml_text = program.replace("\r", "\\r").replace("\n", "\\n")
    path.write_text(f'[[problems]]\nprogram = "{toml_text}"\nat = "x=1, y=2, z=3"\n', encoding="utf-8")
    assignment = load_assignment(path)
    made, _ = make_variants(assignment, n=1)
    ((_, text),) = exporters()["markdown"](assignment, made).items()
    blocks = [t for t in MarkdownIt("commonmark").parse(text.decode()) if t.type == "fence"]
    assert [b.content.replace("\n", "") for b in blocks] == [program.replace("\r", "").replace("\n", "")]


def test_a_markdown_handout_shows_names_titles_and_the_program_as_written(tmp_path):
    """CommonMark (markdown-it-py, Rich's parser) reads no emphasis into a sheet's names, titles or student:
    `_w_` and `w_1*x_2` stay as written (they were *w* and w<em>1*x</em>2)."""
    markdown_it = pytest.importorskip("markdown_it")
    path = tmp_path / "hw.toml"
    path.write_text(
        'title = "Homework *3* _w_"\n[[problems]]\nid = "a_b_"\ntitle = "The **hinge**"\n'
        'program = "_w_ = w_1*x_2\\nf = max(0, 1 - _w_)"\nat = { w_1 = 0.5, x_2 = 3 }\n'
        'ask = ["_w_", "df/dw_1", "df/d_w_"]\n',
        encoding="utf-8",
    )
    homework = load_assignment(path)
    made, _ = make_variants(homework, students=[Student(1, name="_Ada_ *L*", id="1`01")])
    ((_, text),) = exporters()["markdown"](homework, made).items()
    html = markdown_it.MarkdownIt("commonmark").render(text.decode())
    assert "<em>" not in html and "<strong>" not in html
    assert "<h1>Homework *3* _w_</h1>" in html and "<p>For _Ada_ *L*.</p>" in html
    assert "<h2>Problem a_b_: The **hinge** (3 points)</h2>" in html
    assert "<code>id = &quot;1`01&quot;</code>" in html  # the id whole: a backtick in it does not end the span
    assert "<pre><code>_w_ = w_1*x_2\nf = max(0, 1 - _w_)\n</code></pre>" in html
    assert "<p>at <code>w_1</code> = 0.5, <code>x_2</code> = 3</p>" in html
    assert "<p>Give: <code>_w_</code>, ∂<code>f</code>/∂<code>_w_</code>, ∂<code>f</code>/∂<code>w_1</code></p>" in html
