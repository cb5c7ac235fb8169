"""One op is one entry of ops.py: a throwaway kinked op, added by its entry alone, works
in every pass and every output (grad, JSON, tables, pictures, LaTeX, gradcheck, check)."""
import json
import math

import pytest

import bpcalc
from bpcalc import ops
from bpcalc.check import check
from bpcalc.gradcheck import gradcheck
from bpcalc.render import dot, latex, markdown, table
from bpcalc.render import json as render_json

HINGE1 = ops.Op(
    "hinge1", lambda a: max(0.0, 1.0 - a), tex="\\operatorname{hinge1}({a})",
    local=(lambda out, a: -1.0 if a < 1.0 else 0.0,),
    formula=("-[{a} < 1]",),
    kink=lambda a: a == 1.0, convention="hinge1'(1) = 0, the slope from above",
    one_sided=((-1.0, 0.0),), piece=lambda a: (a > 1.0) - (a < 1.0),
    conventions=((-1.0, "hinge1'(1) = -1, the slope from below"),),
)


@pytest.fixture(autouse=True)
def hinge1(monkeypatch):
    for table_ in (ops.OPERATIONS, ops.SCALAR_OPERATIONS, ops.FUNCTIONS):
        monkeypatch.setitem(table_, "hinge1", HINGE1)


def hinge(w: float, x: float) -> float:  # the reference, written out
    return max(0.0, 1.0 - w * x)


@pytest.mark.parametrize("w, x", [(0.5, 0.25), (2.0, 3.0), (-1.5, 0.75)])
def test_smooth_points_agree_with_central_differences(w, x):
    result = bpcalc.grad("hinge1(w*x) + w", at={"w": w, "x": x})
    h = 1e-6
    dw = (hinge(w + h, x) + (w + h) - hinge(w - h, x) - (w - h)) / (2 * h)
    dx = (hinge(w, x + h) - hinge(w, x - h)) / (2 * h)
    assert result.value == pytest.approx(hinge(w, x) + w)
    assert result.gradient["w"] == pytest.approx(dw, abs=1e-8)
    assert result.gradient["x"] == pytest.approx(dx, abs=1e-8)
    assert not [n for n in result.warnings if n.kind == "kink"]


def test_at_the_kink_every_output_says_so():
    result = bpcalc.grad("hinge1(w*x)", at={"w": 1.0, "x": 1.0})
    kinks = [n for n in result.warnings if n.kind == "kink"]
    assert len(kinks) == 1 and "hinge1'(1) = 0" in kinks[0].message
    assert "-1 from below and 0 from above" in kinks[0].message
    assert result.gradient == {"w": 0.0, "x": 0.0}
    data = json.loads(render_json.dumps(result))
    assert [n["op"] for n in data["nodes"]][-1] == "hinge1"
    assert data["warnings"][0]["kind"] == "kink" and data["warnings"][0]["one_sided"] == [[-1, 0]]
    assert "hinge1" in table.to_text(result)
    assert "-[n1 < 1]" in table.to_text(result)
    assert "hinge1" in dot.source(result)
    assert "\\operatorname{hinge1}" in latex.render(result)
    assert "hinge1" in markdown.render(result)


def test_gradcheck_reads_the_pieces_from_the_entry():
    at_kink = gradcheck("hinge1(w*x)", {"w": 1.0, "x": 1.0})
    assert [row.verdict for row in at_kink.rows] == ["kink", "kink"]
    assert at_kink.rows[0].kink.left == pytest.approx(-1.0) and at_kink.rows[0].kink.right == pytest.approx(0.0)
    smooth = gradcheck("hinge1(w*x)", {"w": 0.5, "x": 0.5})
    assert [row.verdict for row in smooth.rows] == ["good", "good"]


def test_check_names_the_entrys_other_convention():
    report = check("hinge1(w*x)", "w=1,x=1", "df/dw=-1")
    (row,) = report.rows
    assert row.verdict == "wrong"
    assert [d.kind for d in row.diagnoses] == ["kink"]
    assert "hinge1'(1) = -1, the slope from below" in row.diagnoses[0].message


def test_the_formula_takes_the_inputs_labels():
    # the entry's formula is shown with the input's label put in
    assert HINGE1.show(0, ["z"]) == "-[z < 1]"
    assert math.isclose(HINGE1.forward(0.25), 0.75)
