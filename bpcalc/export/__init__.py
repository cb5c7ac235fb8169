"""Variants of an assignment and their exports: JSON lines, PrairieLearn, Moodle XML, Canvas QTI, handouts.

`make_variants` draws one variant per student of a roster (or N numbered
ones); each exporter turns the list into the files a platform imports and
returns them as {relative path: bytes}, so the command writes them whole
(a temporary file or folder, then a rename) or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import AnswerError
from ..variants import keyed, numbered

if TYPE_CHECKING:
    from ..assignment import Assignment, Problem
    from ..canvas import Student

MAX_VARIANTS = 100_000


@dataclass
class Variant:
    """One student's (or one numbered) copy of the assignment, its numbers drawn."""

    key: str  # what the numbers were drawn from
    student: str | None  # the student's name, when a roster gave one
    assignment: Assignment
    field: str = "variant"  # the roster column the key came from: sis_id, id, login, email or name


def make_variants(
    assignment: Assignment, *, students: Iterable[Student] | None = None, n: int | None = None
) -> tuple[list[Variant], list[str]]:
    """A variant per roster student (drawn from their key) or `n` numbered ones; and warnings to show."""
    warnings: list[str] = []
    wanted: list[tuple[str, str | None, str]] = []
    if students is not None:
        seen: dict[str, str] = {}
        for s in students:
            found = keyed(s.fields())
            if found is None:
                warnings.append(f"roster row {s.row} names nobody (no id, login, email or name): skipped")
                continue
            field, key = found
            if key in seen:
                warnings.append(
                    f"roster rows for {seen[key]} and {s.name or key} have the same key '{key}': one variant for both"
                )
                continue
            seen[key] = s.name or key
            wanted.append((key, s.name or None, field))
    else:
        if n is None or not 1 <= n <= MAX_VARIANTS:
            raise AnswerError(f"the number of variants must be from 1 to {MAX_VARIANTS}")
        wanted = [(numbered(k), None, "variant") for k in range(1, n + 1)]
    if not wanted:
        raise AnswerError("no students to make variants for")
    if not assignment.randomized:
        warnings.append("no problem of the assignment draws its numbers ([problems.random]): every variant is the same")
    elif assignment.variant_space < len(wanted):
        warnings.append(
            f"the random parameters allow only {assignment.variant_space} different variants for {len(wanted)} "
            "students: some students share one (widen a range or add a parameter)"
        )
    return [Variant(key, name, assignment.for_student(key), field) for key, name, field in wanted], warnings


def number(value: Any) -> float:
    """An asked item's right value as one float; exports hold numbers, not arrays."""
    if hasattr(value, "tolist"):
        raise AnswerError(
            "an asked item is a vector or matrix: the platforms' number inputs take one number each;"
            " ask for elements (w[0])"
        )
    return float(value) + 0.0


def answers(problem: Problem) -> list[tuple[Any, float]]:
    """(ask, right value) in backprop order, as numbers."""
    from ..render.check_text import key_rows

    return [(ask, number(value)) for ask, value in key_rows(problem)]


def point_text(problem: Problem) -> str:
    """The problem's point as the handouts and question texts show it: exact, shortest form."""
    return ", ".join(f"{name} = {exact(value)}" for name, value in problem.at.items())


def exact(value: Any) -> str:
    if hasattr(value, "tolist"):
        return str(value.tolist())
    value = float(value) + 0.0
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def slug(text: str) -> str:
    """A file-name-safe form of an id: letters, digits, '-', '_' (others as '_')."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"
    return cleaned[:80]


def unique_slugs(texts: Iterable[str]) -> list[str]:
    """A distinct file-name-safe form for each text (a counter where two would clash)."""
    out: list[str] = []
    taken: set[str] = set()
    for text in texts:
        base = slug(text)
        name, k = base, 2
        while name.lower() in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name.lower())
        out.append(name)
    return out


def margin(problem: Problem, right: float) -> float:
    """The ± an absolute-tolerance platform needs for the problem's own tolerance at this right value."""
    tol = problem.tolerance
    if tol.places is not None:
        return 0.5 * 10.0**-tol.places
    return tol.atol + tol.rtol * abs(right)


Exporter = Callable[..., "dict[str, bytes]"]  # (assignment, variants) -> {relative path: bytes}


def exporters() -> dict[str, Exporter]:
    """The --to formats: each a function of (assignment, variants) to files."""
    from . import canvas_qti, handouts, jsonl, moodle, prairielearn

    return {
        "jsonl": jsonl.export,
        "prairielearn": prairielearn.export,
        "moodle": moodle.export,
        "canvas-qti": canvas_qti.export,
        "markdown": handouts.markdown,
        "latex": handouts.latex,
    }


__all__ = [
    "Variant",
    "answers",
    "exact",
    "exporters",
    "make_variants",
    "margin",
    "number",
    "point_text",
    "slug",
    "unique_slugs",
]
