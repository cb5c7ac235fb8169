"""The computational graph and the records of its passes: plain data, no math, no I/O."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .errors import Notice

# The notebook display hooks of a Result ("bundle", "html"), registered by bpcalc.render.
DISPLAY: dict[str, Callable[..., Any]] = {}

VAR = "var"  # a leaf whose value comes from the point (or from pi/e)
CONST = "const"  # a leaf holding a number literal


@dataclass(slots=True)
class Node:
    """One node; `inputs` are ids of earlier nodes, so a list of nodes is in topological order."""

    op: str  # a key of ops.OPERATIONS, or VAR or CONST
    inputs: tuple[int, ...]
    label: str  # variable or assigned name, the literal's text, or a generated n1, n2, ...
    start: int  # the node's text is source[start:end]
    end: int
    literal: float = 0.0  # the value of a CONST node
    named: bool = False  # the program gave it a name (variables count as named)


@dataclass(slots=True)
class Graph:
    """A parsed program: nodes in topological order, the last one the output."""

    source: str
    nodes: list[Node]
    names: dict[str, int]  # every name the program defines or reads -> node id
    variables: list[str]  # names of VAR nodes, in order of first use
    output_label: str  # the last statement's name, or its node's label
    notices: list[Notice] = field(default_factory=list)  # what parsing found worth saying

    @property
    def output(self) -> int:
        return len(self.nodes) - 1

    def text(self, node_id: int, limit: int | None = None) -> str:
        """The source text of a node, shortened to `limit` characters with an ellipsis."""
        node = self.nodes[node_id]
        if limit is not None and node.end - node.start > limit:
            half = (limit - 1) // 2
            return self.source[node.start:node.start + half] + "…" + self.source[node.end - (limit - 1 - half):node.end]
        return self.source[node.start:node.end]


class Step(NamedTuple):
    """One contribution of the reverse pass: node passes upstream × local down to an input."""

    node: int  # the node being visited
    position: int  # which of its inputs (x*x has two steps into x)
    input: int  # the input's node id
    upstream: float  # ∂out/∂node
    local: float  # ∂node/∂input; an array for an element-wise op on arrays, None for an array op's vjp
    contribution: float  # upstream × local
    grad: float  # the input's gradient after adding this contribution



class Result:
    """What bpcalc.grad returns and every renderer reads: both passes, recorded."""

    def __init__(
        self,
        graph: Graph,
        values: list[float],
        grads: list[float | None],
        local: list[tuple[float | None, ...] | None],
        gradient: dict[str, float],
        warnings: list[Notice],
        tie: str,
        shapes: list[tuple] | None = None,
        contributions: list[tuple | None] | None = None,
        at: dict | None = None,
        replay: Callable[[], list[Step]] | None = None,
    ):
        self.graph = graph
        self.values = values  # forward pass: every node's value
        self.grads = grads  # ∂out/∂node summed over fan-out; None where no gradient flows
        self.local = local  # ∂node/∂input per input of each visited node; None where no gradient flows
        self.gradient = gradient  # the summary: name -> ∂out/∂name, for the variables or --wrt
        self.warnings = warnings
        self.tie = tie  # the convention used at max/min ties: "indicator" or "split"
        self.shapes = shapes  # each node's shape, when the graph holds arrays; None when all are numbers
        self.contributions = contributions  # with arrays: each input's contribution, as a vjp may give it
        self.at = at if at is not None else {}  # the point: each variable given a value (pi, e as constants are not)
        self._replay = replay  # the engine's reverse loop over the recorded locals, recording its steps
        self._steps: list[Step] | None = None

    @property
    def value(self) -> float:
        return self.values[-1]

    @property
    def output(self) -> str:
        return self.graph.output_label

    def __repr__(self) -> str:
        """A REPL's and a notebook's text/plain: the value and the gradient, briefly."""

        def short(value) -> str:
            if hasattr(value, "ravel"):
                items = value.ravel().tolist()
                return "[" + ", ".join(format(v, ".6g") for v in items[:4]) + (", …" if len(items) > 4 else "") + "]"
            return "0" if value == 0 else format(value, ".6g")

        out = self.output
        parts = [f"{out} = {short(self.value)}"]
        if self.at:
            parts.append("at " + ", ".join(f"{name}={short(v)}" for name, v in list(self.at.items())[:8]))
            parts[-1] += ", …" if len(self.at) > 8 else ""
        text = " ".join(parts)
        if self.gradient:
            shown = [f"∂{out}/∂{name} = {short(g)}" for name, g in list(self.gradient.items())[:8]]
            text += "; " + ", ".join(shown) + (", …" if len(self.gradient) > 8 else "")
        return f"<bpcalc Result: {text}>"

    # Jupyter shows a result as explain's stepper (the picture and the step
    # tables), with PNG, Markdown and LaTeX for other frontends. The renderer
    # (render/notebook.py) fills DISPLAY when bpcalc.render is imported and is
    # itself imported only when a notebook asks, so graph.py stays plain data
    # and imports nothing above it. No _repr_svg_: IPython would store the SVG
    # a second time beside the HTML that holds it.
    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return DISPLAY["bundle"](self, include, exclude)

    def _repr_html_(self) -> str:
        return DISPLAY["html"](self)

    def locals(self) -> list[tuple[float | None, ...]]:
        """∂node/∂input for every node and input; None where no gradient flows."""
        return [row or (None,) * len(node.inputs) for row, node in zip(self.local, self.graph.nodes)]

    @property
    def steps(self) -> list[Step]:
        """The reverse pass, one Step per contribution, in the order backprop visits nodes.

        Made on first use by the engine's reverse loop replaying the recorded locals, so
        the hot loop stores one number per contribution; the sums are added in the same
        order, so every running `grad` equals the engine's to the last bit.
        """
        if self._steps is None:
            self._steps = self._replay() if self._replay is not None else []
        return self._steps
