"""Forward mode (grad --mode forward): every node's tangent for each seed, by the engine's tangent loop.

The locals are the reverse pass's own (engine.run records them); forward mode
pushes a tangent through them from each seed, v̇ = Σ local × v̇(input), one
sweep per seed, where reverse mode sweeps once per output. The output's
tangent for seed x is ∂out/∂x, which must equal reverse mode's gradient.
"""
from __future__ import annotations

from dataclasses import dataclass

from .engine import tangents
from .errors import InputError
from .graph import Result


@dataclass
class ForwardTrace:
    """A grad result with forward mode's tangents: one list per seed, in node order."""

    result: Result
    tangents: dict[str, list[float]]  # seed name -> each node's tangent ∂node/∂seed
    gradient: dict[str, float]  # seed name -> the output's tangent, ∂out/∂seed

    @property
    def seeds(self) -> list[str]:
        return list(self.tangents)


def trace(result: Result) -> ForwardTrace:
    """Forward mode for every name in the result's gradient (its variables, or --wrt)."""
    if result.shapes is not None:
        raise InputError("--mode forward is for expressions of numbers; with arrays, use reverse mode (the default)")
    graph = result.graph
    found: dict[str, list[float]] = {}
    gradient: dict[str, float] = {}
    for name in result.gradient:
        seed = graph.names[name]
        tangent, _ = tangents(graph, result.local, {seed: 1.0})
        found[name] = tangent
        gradient[name] = tangent[-1] + 0.0  # + 0.0 turns -0.0 into 0.0
    return ForwardTrace(result, found, gradient)
