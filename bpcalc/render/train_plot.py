"""`bpcalc train --plot`: the loss curve, and the parameters' path when there are one or two numbers that learn.

Matplotlib is an optional extra (pip install matplotlib; from a checkout, pip install ".[plot]"), imported here only.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import files
from ..errors import InputError, install_hint

FORMATS = (".png", ".svg", ".pdf")


def check_path(path: str, inputs: Sequence[str | None] = ()) -> str:
    """The format of PATH from its suffix; a path that is one of the inputs is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"--plot {path}: the file name must end in {', '.join(FORMATS)}")
    files.refuse_inputs(path, [given for given in inputs if given is not None])
    if os.path.isdir(path):
        raise InputError(f"--plot {path} is a folder: give a file name")
    return suffix[1:]


def _matplotlib():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise InputError(
            "--plot needs matplotlib, which is not installed",
            "install it with: " + install_hint("matplotlib", "plot"),
        ) from None
    return Figure


def plot(
    path: str,
    losses: Sequence[float],
    params: Sequence[str],
    path_values: dict[str, list[Any]],
    title: str = "",
    epochs: Sequence[int] = (),
) -> None:
    """Draw the loss per step and, for one or two numeric parameters, their path; write PATH atomically."""
    kind = check_path(path)
    Figure = _matplotlib()
    numeric = [name for name in params if all(isinstance(v, float) for v in path_values[name])]
    panels = 2 if len(params) in (1, 2) and len(numeric) == len(params) else 1
    figure = Figure(figsize=(5.5 * panels, 4), layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    steps = range(1, len(losses) + 1)
    axes[0].plot(steps, losses, marker="." if len(losses) <= 60 else None)
    _epoch_means(axes[0], losses, epochs)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("loss (before the update)")
    axes[0].set_title(title or "loss")
    if min(losses) > 0 and max(losses) / min(losses) > 100:
        axes[0].set_yscale("log")
    if panels == 2:
        _path(axes[1], params, path_values)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind)
    files.write_atomic(path, buffer.getvalue())  # a temporary file beside PATH, then a rename


def _epoch_means(ax, losses: Sequence[float], epochs: Sequence[int]) -> None:
    """With several batches an epoch, the mean loss of each epoch, drawn at its last step: the trend under the noise."""
    if len(set(epochs)) < 2 or len(epochs) == len(set(epochs)):
        return
    ends, means, start = [], [], 0
    for k in range(1, len(epochs) + 1):
        if k == len(epochs) or epochs[k] != epochs[k - 1]:
            ends.append(k)
            means.append(sum(losses[start:k]) / (k - start))
            start = k
    ax.plot(ends, means, color="black", marker="o", label="mean over each epoch")
    ax.lines[0].set_label("loss of the step's batch")
    ax.legend()


def _path(ax, params: Sequence[str], values: dict[str, list[Any]]) -> None:
    if len(params) == 1:
        name = params[0]
        ax.plot(range(len(values[name])), values[name], marker=".")
        ax.set_xlabel("step")
        ax.set_ylabel(name)
        ax.set_title(f"{name} (step 0: the start)")
        return
    a, b = params
    ax.plot(values[a], values[b], marker=".")
    ax.plot(values[a][:1], values[b][:1], "o", color="green", label="start")
    ax.plot(values[a][-1:], values[b][-1:], "s", color="red", label="end")
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    ax.set_title(f"path of ({a}, {b})")
    ax.legend()
