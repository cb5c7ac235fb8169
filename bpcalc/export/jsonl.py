"""Variants as JSON lines: one per variant, `student` when known, `variant`, and each problem's point and key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..assignment import Assignment
    from . import Variant

FILE = "variants.jsonl"


def _plain(value: Any) -> Any:
    from ..render.json import number

    return number(value if hasattr(value, "tolist") else float(value))


def line(variant: Variant) -> dict[str, Any]:
    """One variant as data: every asked item's right value, exact."""
    from ..render.check_text import key_rows

    data: dict[str, Any] = {}
    if variant.student is not None:
        data["student"] = variant.student
    data["variant"] = variant.key
    data["problems"] = {
        p.id: {
            "at": {k: _plain(v) for k, v in p.at.items()},
            "key": {ask.key: _plain(value) for ask, value in key_rows(p)},
        }
        for p in variant.assignment.problems
    }
    return data


def export(assignment: Assignment, variants: list[Variant]) -> dict[str, bytes]:
    text = "".join(
        json.dumps(line(v), allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n" for v in variants
    )
    return {FILE: text.encode("utf-8")}
