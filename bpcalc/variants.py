"""Per-student variants: parameters drawn on a grid from the assignment's seed and the student's key.

A draw is a pure function of (seed, problem id, student key, attempt): SHA-256
of those, one index per parameter into its grid of "nice" values. Grading
draws again from the same inputs, so no table of who got what is stored.
A draw that lands on a kink (unless allowed), makes a `nonzero` name zero,
or leaves the math undefined is redrawn with the next attempt number.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import AnswerError, BpcalcError

MAX_GRID = 100_000  # values one parameter may take
MAX_ATTEMPTS = 200  # draws per student and problem before giving up
# An answer file's or a roster's, in this order of precedence: the SIS id (the student number) first,
# as every platform knows it (Canvas's "SIS User ID", Gradescope's "SID"); Canvas's own "ID" next.
IDENTITY_KEYS = ("sis_id", "id", "login", "email")
_SPEC_KEYS = ("avoid_kinks", "nonzero")


@dataclass(frozen=True)
class RandomSpec:
    """What a problem draws: each parameter's grid, whether kinks are redrawn, names that must not be 0."""

    params: tuple[tuple[str, tuple[float, ...]], ...]
    avoid_kinks: bool = True
    nonzero: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.params]

    @property
    def size(self) -> int:
        """How many distinct points the grids allow (before redraws)."""
        total = 1
        for _, values in self.params:
            total *= len(values)
        return total


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def grid(name: str, entry: Any, *, where: str, path: str) -> tuple[float, ...]:
    """A parameter's values: {min, max, step} on the step grid (exact decimals), or a list of choices."""
    if isinstance(entry, list):
        values = [_number(v) for v in entry]
        if not values or any(v is None for v in values):
            raise AnswerError(
                f"{where}random: {name} must list numbers to choose from, e.g. {name} = [-1, 1]", path=path, item=name
            )
        if len(set(values)) != len(values):
            raise AnswerError(f"{where}random: {name} lists a choice twice", path=path, item=name)
        return tuple(float(v) for v in values)  # type: ignore[arg-type]
    if not isinstance(entry, Mapping):
        raise AnswerError(
            f"{where}random: {name} must be a range or a list of choices",
            f"e.g. {name} = {{ min = -3, max = 3, step = 0.5 }} or {name} = [-1, 1]",
            path=path,
            item=name,
        )
    unknown = [k for k in entry if k not in ("min", "max", "step")]
    if unknown:
        raise AnswerError(
            f"{where}random: {name} has an unknown key '{unknown[0]}' (keys: min, max, step)", path=path, item=name
        )
    if "min" not in entry or "max" not in entry:
        raise AnswerError(
            f"{where}random: {name} needs min and max",
            f"e.g. {name} = {{ min = -3, max = 3, step = 0.5 }}",
            path=path,
            item=name,
        )
    low, high, step = _number(entry["min"]), _number(entry["max"]), _number(entry.get("step", 1))
    if low is None or high is None or step is None:
        raise AnswerError(f"{where}random: {name}'s min, max and step must be numbers", path=path, item=name)
    if low > high:
        raise AnswerError(f"{where}random: {name} has min {entry['min']} > max {entry['max']}", path=path, item=name)
    if step <= 0:
        raise AnswerError(f"{where}random: {name}'s step must be > 0, not {entry.get('step')}", path=path, item=name)
    count = (high - low) / step
    if count != count.to_integral_value():
        raise AnswerError(
            f"{where}random: {name}'s step {entry.get('step', 1)} does not divide the range "
            f"{entry['min']} to {entry['max']}",
            "choose a step that fits a whole number of times, so both ends are on the grid",
            path=path,
            item=name,
        )
    if count + 1 > MAX_GRID:
        raise AnswerError(
            f"{where}random: {name} would take {int(count) + 1} values (at most {MAX_GRID}): use a larger step",
            path=path,
            item=name,
        )
    return tuple(float(low + k * step) for k in range(int(count) + 1))


def parse_random(data: Any, *, names: Sequence[str], fixed: Sequence[str], where: str, path: str) -> RandomSpec:
    """A problem's [problems.random] table, checked against the program's variable names and its fixed `at`."""
    if not isinstance(data, Mapping) or not data:
        raise AnswerError(
            f"{where}random must be a table of parameters",
            "e.g. [problems.random] w = { min = -3, max = 3, step = 0.5 }",
            path=path,
        )
    params = []
    for name, entry in data.items():
        if name in _SPEC_KEYS:
            continue
        if name not in names:
            raise AnswerError(
                f"{where}random: the program has no variable '{name}' (variables: {', '.join(names)})",
                path=path,
                item=name,
            )
        if name in fixed:
            raise AnswerError(f"{where}random: {name} is both drawn and given in at: keep one", path=path, item=name)
        params.append((name, grid(name, entry, where=where, path=path)))
    avoid = data.get("avoid_kinks", True)
    if not isinstance(avoid, bool):
        raise AnswerError(f"{where}random: avoid_kinks must be true or false", path=path, item="avoid_kinks")
    nonzero = data.get("nonzero", [])
    if isinstance(nonzero, str):
        nonzero = [nonzero]
    if not isinstance(nonzero, list) or not all(isinstance(n, str) for n in nonzero):
        raise AnswerError(f'{where}random: nonzero must list names, e.g. nonzero = ["w"]', path=path, item="nonzero")
    spec = RandomSpec(tuple(params), avoid, tuple(nonzero))
    if not params:
        raise AnswerError(f"{where}random draws no parameter", path=path)
    missing = [name for name in names if name not in fixed and name not in spec.names]
    if missing:
        raise AnswerError(
            f"{where}no value for {', '.join(missing)}: give it in at or draw it in random", path=path, item=missing[0]
        )
    for name in spec.nonzero:
        grid_of = dict(spec.params).get(name)
        if grid_of is not None and all(v == 0 for v in grid_of):
            raise AnswerError(f"{where}random: {name} must be nonzero but can only be 0", path=path, item=name)
    return spec


def _index(seed: str, problem: str, key: str, attempt: int, name: str, n: int) -> int:
    text = "\x1f".join(("bpcalc-variant-1", seed, problem, key, str(attempt), name))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big") % n


def draw_point(seed: str, problem: str, key: str, spec: RandomSpec, attempt: int = 0) -> dict[str, float]:
    """The drawn values of one attempt: reproducible from its arguments alone."""
    return {name: values[_index(seed, problem, key, attempt, name, len(values))] for name, values in spec.params}


def draw(
    seed: str,
    problem: str,
    key: str,
    spec: RandomSpec,
    evaluate: Callable[[dict[str, float]], Any],
    acceptable: Callable[[Any], bool],
) -> tuple[dict[str, float], Any]:
    """The first attempt whose point evaluates and is acceptable: (the drawn values, the evaluation)."""
    last: BpcalcError | None = None
    for attempt in range(MAX_ATTEMPTS):
        point = draw_point(seed, problem, key, spec, attempt)
        try:
            result = evaluate(point)
        except BpcalcError as exc:  # undefined math at this point (a log of a negative draw): draw again
            last = exc
            continue
        if acceptable(result):
            return point, result
    reason = f" (the last: {last.message})" if last is not None else ""
    raise AnswerError(
        f"no acceptable point in {MAX_ATTEMPTS} draws{reason}",
        "widen the ranges, or allow kinks with avoid_kinks = false",
    )


def keyed(fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """(the field, the key) a student's variant is drawn from: `variant` if given, else the first of
    sis_id, id, login, email, name that has a value."""
    for field in ("variant", *IDENTITY_KEYS, "name"):
        value = fields.get(field)
        if isinstance(value, bool) or value is None:
            continue
        if field == "variant" and isinstance(value, int):
            return field, numbered(value)  # variant = 3: the third of `bpcalc variants --n N`
        if isinstance(value, (int, str)) and str(value).strip():
            text = str(value).strip()
            return field, text.lower() if field == "email" else text
    return None


def student_key(fields: Mapping[str, Any]) -> str | None:
    """The key a student's variant is drawn from (see `keyed`)."""
    found = keyed(fields)
    return None if found is None else found[1]


def numbered(n: int) -> str:
    """The key of numbered variant n (bpcalc variants --n N), as an answer file's `variant` gives it."""
    return f"#{n}"


__all__ = [
    "RandomSpec",
    "parse_random",
    "grid",
    "draw",
    "draw_point",
    "student_key",
    "keyed",
    "numbered",
    "IDENTITY_KEYS",
    "MAX_ATTEMPTS",
]
