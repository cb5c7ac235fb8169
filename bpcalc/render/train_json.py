"""`bpcalc train --json`: one JSON object per step, a line each, numbers as in `bpcalc grad --json`. No Rich."""

from __future__ import annotations

import json
from typing import Any

from .json import number


def step_dict(step) -> dict[str, Any]:
    """A TrainStep as the documented object: loss and gradient before the update, params after it, the state."""
    return {
        "step": step.step,
        "loss": number(step.loss),
        "gradient": {name: number(g) for name, g in step.gradient.items()},
        "params": {name: number(v) for name, v in step.after.items()},
        "state": {name: {key: number(v) for key, v in state.items()} for name, state in step.state.items()},
    }


def step_line(step) -> str:
    return json.dumps(step_dict(step), allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
