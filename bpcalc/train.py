"""Gradient descent step by step: each step is engine.run per data row of its batch, then the optimizer's update.

The graph is parsed once. A step with a batch of K rows runs the one forward and
reverse pass (engine.run) once per row and takes the mean of the K losses and the
mean of the K gradients: the gradient of a mean is the mean of the gradients
(differentiation is linear), so this is exactly the gradient of the batch's mean
loss. The optimizer's update comes from its entry in optimizers.py. Nothing here
copies a pass, and nothing prints: the renderers read the steps.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from . import optimizers
from .dataset import Dataset
from .engine import run
from .errors import InputError, MathError, StepError, suggest
from .graph import Graph, Notice
from .ops import CONSTANTS

STEPS = 10  # --steps unless given


class TrainStep(NamedTuple):
    """One step: the loss and gradient at the parameters before it, the optimizer's state, and the parameters after."""

    step: int  # counting from 1
    epoch: int  # counting from 1 (a pass over the data); 0 without data
    rows: tuple[int, ...]  # the batch: data rows counting from 1; () without data
    loss: float  # the mean loss over the batch, before the update
    before: dict[str, Any]  # each parameter's value before the update
    gradient: dict[str, Any]  # the mean over the batch of ∂loss/∂parameter, before the update
    state: dict[str, dict[str, Any]]  # each parameter's optimizer state after this step (keys as the entry's state)
    update: dict[str, Any]  # after − before
    after: dict[str, Any]


class Training:
    """A run prepared and checked: the graph, the starting point, the parameters, the data, the optimizer."""

    def __init__(
        self,
        graph: Graph,
        point: Mapping[str, Any],
        params: Sequence[str],
        *,
        optimizer: str = "sgd",
        hyper: Mapping[str, float | None] | None = None,
        data: Dataset | None = None,
        batch: int | str = 1,
        shuffle: bool = False,
        seed: int | None = None,
        tie: str = "indicator",
    ):
        self.graph = graph
        self.optimizer = optimizers.get(optimizer)
        self.hyper = optimizers.hyperparameters(self.optimizer, hyper or {})
        self.params = _check_params(graph, params, point)
        self.start = {name: _as_value(point[name]) for name in self.params}
        self.point = {name: value for name, value in point.items() if name not in self.params}
        self.data = data
        self.tie = tie
        self.notices: dict[str, list] = {}  # message -> [notice, first step, count]: each said once
        self.columns = _check_data(graph, self.params, self.point, data, self._notice)
        self.batch = _check_batch(batch, shuffle, seed, data)
        self.shuffle = shuffle
        self.seed = 0 if seed is None else seed
        arrays = any(not isinstance(v, float) for v in [*self.start.values(), *self.point.values()]) or (
            data is not None and any(not isinstance(v, float) for v in data.rows[0].values())
        )
        self._quiet = _numpy_quiet if arrays else contextlib.nullcontext

    # ------------------------------------------------------------ the loop

    def run(self, steps: int = STEPS) -> Iterator[TrainStep]:
        """Yield each step as it is computed; a failing step raises StepError after the steps before it."""
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise InputError(f"--steps {steps}: the number of steps must be a whole number, at least 1")
        optimizer, hyper = self.optimizer, self.hyper
        theta = dict(self.start)
        state: dict[str, dict[str, Any]] = {name: {} for name in self.params}
        batches = self.batches()
        for t in range(1, steps + 1):
            epoch, rows = next(batches)
            loss, gradient = self.mean(theta, rows, t)
            after, shown, update = {}, {}, {}
            with self._quiet():
                for name in self.params:
                    value, shown[name] = optimizer.update(theta[name], gradient[name], state[name], t, hyper)
                    after[name] = _as_value(value)
                    update[name] = after[name] - theta[name]
                    _check_finite(t, name, after[name], shown[name])
            yield TrainStep(t, epoch, tuple(r + 1 for r in rows), loss, theta, gradient, shown, update, after)
            theta = after
            state = {name: {k: shown[name][k] for k in optimizer.carried} for name in self.params}

    def batches(self) -> Iterator[tuple[int, tuple[int, ...]]]:
        """(epoch, row indices) per step, for ever: each epoch the rows in order, or shuffled by random.Random(seed)."""
        if self.data is None:
            while True:
                yield 0, ()
        count = len(self.data.rows)
        size = count if self.batch == "all" else int(self.batch)
        rng = random.Random(self.seed)
        epoch = 0
        while True:
            epoch += 1
            order = list(range(count))
            if self.shuffle:
                rng.shuffle(order)
            for start in range(0, count, size):  # the last batch of an epoch may be shorter, as torch's DataLoader's
                yield epoch, tuple(order[start : start + size])

    def mean(self, theta: Mapping[str, Any], rows: Sequence[int], step: int = 0) -> tuple[float, dict[str, Any]]:
        """The mean loss over the rows and the mean of their gradients: one engine.run per row."""
        total_loss = 0.0
        total: dict[str, Any] = {}
        for row in rows or (None,):
            point = dict(self.point)
            point.update(theta)
            if row is not None:
                point.update(self.columns[row])
            try:
                result = run(self.graph, point, wrt=self.params, tie=self.tie)
            except MathError as exc:
                raise StepError(step, str(exc), None if row is None else row + 1, exc) from None
            for notice in result.warnings:
                self._notice(notice, step)
            total_loss += float(result.value)
            for name in self.params:
                grad = _as_value(result.gradient[name])
                total[name] = grad if name not in total else total[name] + grad
        count = max(len(rows), 1)
        if count > 1:
            total_loss /= count
            total = {name: g / count for name, g in total.items()}
        if total_loss - total_loss != 0.0:
            raise StepError(step, f"the mean loss over the batch of {count} rows overflows float64")
        return total_loss, total

    def final_loss(self, theta: Mapping[str, Any]) -> float:
        """The loss at the given parameters: the mean over every data row, or at the point."""
        rows = range(len(self.data.rows)) if self.data is not None else ()
        try:
            return self.mean(theta, list(rows))[0]
        except StepError as exc:
            raise StepError(0, f"the loss at the final parameters: {exc.cause or exc.message}", exc.row) from None

    def _notice(self, notice: Notice, step: int) -> None:
        seen = self.notices.get(notice.message)
        if seen is None:
            self.notices[notice.message] = [notice, step, 1]
        else:
            seen[2] += 1

    def warnings(self) -> list[str]:
        """Each warning once, with the step it first appeared at and how often."""
        lines = []
        for notice, step, count in self.notices.values():
            where = (
                f" (step {step}" + (f", and {count - 1} more time{'s' if count > 2 else ''})" if count > 1 else ")")
                if step
                else ""
            )
            lines.append(notice.message + where)
        return lines


def train(
    source: str | Graph, at: Any, params: str | Sequence[str], steps: int = STEPS, **options: Any
) -> list[TrainStep]:
    """Parse once and run `steps` steps; options as Training's. The Python face of `bpcalc train`."""
    from .parse import parse, parse_point

    graph = parse(source) if isinstance(source, str) else source
    if isinstance(params, str):
        params = [name.strip() for name in params.split(",") if name.strip()]
    return list(Training(graph, parse_point(at), params, **options).run(steps))


# ---------------------------------------------------------------- checks, before the first step


def _check_params(graph: Graph, params: Sequence[str], point: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for name in params:
        if name in names:
            raise InputError(f"--params names {name} twice")
        if name not in graph.variables:
            if name in graph.names:
                raise InputError(
                    f"--params {name}: '{name}' is assigned in the program, so it is computed, not learned",
                    "--params names variables of the expression: " + ", ".join(graph.variables),
                )
            near = suggest(name, graph.variables)
            raise InputError(
                f"--params {name}: the expression has no variable '{name}'",
                f"did you mean '{near}'?" if near else "its variables: " + ", ".join(graph.variables),
            )
        if name not in point:
            raise InputError(f"--params {name}: give its starting value, e.g. --at {name}=0.5 (or in --values)")
        names.append(name)
    if not names:
        raise InputError("--params is empty: name the variables that learn, e.g. --params w,b")
    return names


def _check_data(graph: Graph, params: list[str], point: Mapping[str, Any], data: Dataset | None, notice) -> list[dict]:
    """The data rows reduced to the expression's variables; a column that is a parameter or given twice is an error."""
    used = set(graph.variables)
    columns: list[str] = list(data.columns) if data is not None else []
    path = data.path if data is not None else ""
    for column in columns:
        if column in params:
            raise InputError(
                f"{path} has a column {column}, and {column} is a parameter (--params): it learns, it is not data"
            )
        if column in point and column in used:
            raise InputError(f"{column} is given in --at (or --values) and as a column of {path}: give it once")
        if column not in used:
            near = suggest(column, [v for v in graph.variables if v not in point and v not in params])
            notice(
                Notice(
                    "unused",
                    f"the column {column} of {path} is not a variable of the expression"
                    + (f" (did you mean '{near}'?)" if near else ""),
                ),
                0,
            )
    missing = [
        v for v in graph.variables if v not in params and v not in point and v not in columns and v not in CONSTANTS
    ]
    if missing:
        source = f"--at or a column of {path}" if data is not None else "--at or --values (or --data FILE)"
        raise InputError(f"no value for {', '.join(missing)}: give {'it' if len(missing) == 1 else 'each'} in {source}")
    if data is None:
        return []
    keep = [c for c in columns if c in used]
    for number, (row, line) in enumerate(zip(data.rows, data.lines), start=1):
        for column in keep:
            if column not in row:  # JSON lines may leave a field out
                raise InputError(f"{data.path}, row {number} (line {line}): no value for the column {column}")
    return [{c: row[c] for c in keep} for row in data.rows]


def _check_batch(batch: int | str, shuffle: bool, seed: int | None, data: Dataset | None) -> int | str:
    if data is None:
        for given, option in ((batch not in (1, "1"), "--batch"), (shuffle, "--shuffle"), (seed is not None, "--seed")):
            if given:
                raise InputError(f"{option} needs --data FILE: without data, every step uses the same point")
        return 1
    if seed is not None and not shuffle:
        raise InputError("--seed chooses the order of --shuffle: add --shuffle, or drop --seed")
    if batch == "all":
        return batch
    try:
        size = int(batch)
    except (TypeError, ValueError):
        size = 0
    if isinstance(batch, bool) or size < 1 or str(size) != str(batch).strip():
        raise InputError(f"--batch {batch}: give a whole number of rows (at least 1), or 'all'")
    if size > len(data.rows):
        raise InputError(
            f"--batch {size}: {data.path} has {len(data.rows)} rows", "use --batch all for full-batch gradient descent"
        )
    return size


def _as_value(value: Any) -> Any:
    """A Python float for a number (NumPy's 0-d results too); arrays as they are."""
    if isinstance(value, float) and type(value) is not float:
        return float(value)
    if getattr(value, "ndim", None) == 0:
        return float(value)
    return value


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return value - value == 0.0
    return bool((value - value == 0.0).all())  # NumPy: inf - inf and nan are nan


def _check_finite(step: int, name: str, after: Any, state: Mapping[str, Any]) -> None:
    if not _finite(after):
        raise StepError(step, f"the update makes {name} overflow float64", hint="try a smaller --lr")
    for key, value in state.items():
        if not _finite(value):
            raise StepError(
                step,
                f"the optimizer's {key} for {name} overflows float64 (the gradient is too large)",
                hint="try a smaller --lr, or rescale the data",
            )


@contextlib.contextmanager
def _numpy_quiet():
    import numpy as np  # only when a value is an array

    with np.errstate(all="ignore"):  # an overflow is reported as a StepError, not as a RuntimeWarning
        yield
