"""bpcalc train: gradient descent step by step on an expression, at a point or over a data file."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from ..optimizers import LR, OPTIMIZERS
from ..train import STEPS
from .common import (
    AT_OPTION,
    DEBUG_OPTION,
    EXPR_ARGUMENT,
    FILE_OPTION,
    MAX_WARNINGS,
    TIE_OPTION,
    VALUES_OPTION,
    Tie,
    command,
    exit_codes,
    out,
    point_of,
    read_source,
    say,
)

# The --optimizer choices come from the optimizer table: adding an optimizer stays one entry there.
OptimizerName = Enum("OptimizerName", {name: name for name in OPTIMIZERS}, type=str)  # type: ignore[misc]


TRAIN_OPTIONS = {
    "--at",
    "--values",
    "--params",
    "--lr",
    "--steps",
    "--optimizer",
    "--momentum",
    "--beta1",
    "--beta2",
    "--eps",
    "--weight-decay",
    "--data",
    "--batch",
    "--shuffle",
    "--seed",
    "--every",
    "--json",
    "--plot",
    "--file",
    "--tie",
    "--precision",
    "--debug",
    "--help",
}  # for "did you mean" on a mistyped option
PROGRESS_AT = 200  # steps from which a terminal gets a progress bar on stderr


@command(
    context_settings={"ignore_unknown_options": True},  # so "-x^2" is an expression, not an option
    epilog=(
        "Examples:\n\n"
        '  bpcalc train "(w*x - y)^2" --at w=0,x=2,y=4 --params w --steps 5\n\n'
        '  bpcalc train "(w*x + b - y)^2" --at w=0,b=0 --params w,b --data line.csv --batch all --lr 0.05\n\n'
        "  bpcalc train --file examples/xor/mlp.bp --values examples/xor/init.json --params W1,b1,w2,b2 "
        "--data examples/xor/xor.jsonl --optimizer adam --lr 0.05 --steps 300 --every 50\n\n"
        '  bpcalc train "w^2" --at w=1 --params w --optimizer momentum --json | jq -c .params\n\n'
        '  bpcalc train "(w - 1)^2 + (b + 2)^2" --at w=0,b=0 --params w,b --optimizer adam --plot path.png\n\n'
        "Exit codes: 0 ok, 2 bad input (also --plot without matplotlib), 3 the math fails at a step "
        "(the steps before it are kept)."
    ),
)
def train(
    expr: list[str] | None = EXPR_ARGUMENT,
    at: list[str] | None = AT_OPTION,
    params: str | None = typer.Option(
        None,
        "--params",
        metavar="NAMES",
        show_default=False,
        help="The variables that learn, comma-separated; their starting values come from --at or --values.",
    ),
    lr: float | None = typer.Option(
        None,
        "--lr",
        metavar="LR",
        help=f"Learning rate, a positive number (default {LR}, for every optimizer).",
        show_default=False,
    ),
    steps: int = typer.Option(STEPS, "--steps", min=1, metavar="N", help="How many steps."),
    optimizer: OptimizerName = typer.Option(
        OptimizerName["sgd"], "--optimizer", help="The update rule, as torch.optim's."
    ),
    momentum: float | None = typer.Option(
        None, "--momentum", metavar="M", help="μ of momentum and nesterov (default 0.9).", show_default=False
    ),
    beta1: float | None = typer.Option(
        None, "--beta1", metavar="B1", help="β1 of adam and adamw (default 0.9).", show_default=False
    ),
    beta2: float | None = typer.Option(
        None, "--beta2", metavar="B2", help="β2 of adam and adamw (default 0.999).", show_default=False
    ),
    eps: float | None = typer.Option(
        None, "--eps", metavar="E", help="ε of rmsprop, adam and adamw (default 1e-8).", show_default=False
    ),
    weight_decay: float | None = typer.Option(
        None,
        "--weight-decay",
        metavar="W",
        help="λ: an L2 term λ·θ added to the gradient (default 0); adamw's decoupled decay (default 0.01).",
        show_default=False,
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        metavar="FILE",
        show_default=False,
        help="Rows of data: CSV with a header, or JSON lines of objects; columns named as the expression's variables.",
    ),
    batch: str = typer.Option("1", "--batch", metavar="1|K|all", help="Rows per step; the loss is their mean."),
    shuffle: bool = typer.Option(False, "--shuffle", help="Reshuffle the rows each epoch (reproducibly: --seed)."),
    seed: int | None = typer.Option(
        None, "--seed", metavar="S", help="Seed of --shuffle (default 0).", show_default=False
    ),
    every: int | None = typer.Option(
        None,
        "--every",
        min=1,
        metavar="K",
        show_default=False,
        help="Show every K-th step, and the first and last (default: all up to 100 steps, else about 20 of them).",
    ),
    json_out: bool = typer.Option(
        False, "--json", help="One JSON object per step, a line each (schema in the README)."
    ),
    plot: str | None = typer.Option(
        None,
        "--plot",
        metavar="PATH",
        show_default=False,
        help="Draw the loss curve (and one or two parameters' path) to PATH (.png, .svg, .pdf); needs matplotlib.",
    ),
    file: Path | None = FILE_OPTION,
    values: Path | None = VALUES_OPTION,
    tie: Tie = TIE_OPTION,
    precision: int = typer.Option(
        6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the table."
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Gradient descent step by step: every step's loss, gradient, optimizer state and update."""
    with exit_codes(debug):
        from .. import dataset
        from ..errors import InputError
        from ..parse import parse, parse_point
        from ..train import Training

        source = read_source(expr, file, command="train", options=TRAIN_OPTIONS)
        if params is None:
            raise InputError("--params is missing: name the variables that learn, e.g. --params w,b")
        if plot is not None:
            from ..render.train_plot import check_path

            check_path(plot, [str(p) for p in (data, file, values) if p is not None])
        graph = parse(source)
        point = parse_point(point_of(at, values))
        hyper = {
            "lr": lr,
            "momentum": momentum,
            "beta1": beta1,
            "beta2": beta2,
            "eps": eps,
            "weight_decay": weight_decay,
        }
        training = Training(
            graph,
            point,
            [name.strip() for name in params.split(",") if name.strip()],
            optimizer=optimizer.value,
            hyper=hyper,
            data=dataset.load(data) if data is not None else None,
            batch=batch.strip(),
            shuffle=shuffle,
            seed=seed,
            tie=tie.value,
        )
        _run(training, steps, every, json_out, plot, precision)


def _run(training: Any, steps: int, every: int | None, json_out: bool, plot: str | None, precision: int) -> None:
    """Run the steps: JSON lines as they come, or the report at the end; a failing step after the ones before it."""
    from ..errors import StepError
    from ..render.train_text import default_every

    every = every or default_every(steps)
    losses: list[float] = []
    shown: list[Any] = []
    paths: dict[str, list[Any]] = {name: [value] for name, value in training.start.items()}
    epochs: list[int] = []
    last, failure = None, None
    if json_out:
        from ..render.train_json import step_line
    with _progress(steps, json_out) as advance:
        try:
            for step in training.run(steps):
                last = step
                losses.append(step.loss)
                if json_out:
                    out(step_line(step))
                elif step.step == 1 or step.step % every == 0 or step.step == steps:
                    shown.append(step)
                if plot is not None:
                    epochs.append(step.epoch)
                    for name, value in step.after.items():
                        paths[name].append(value if isinstance(value, float) else None)
                advance(step.step)
        except StepError as exc:
            failure = exc
    if last is not None and shown and shown[-1] is not last:
        shown.append(last)  # the last step done, when a failure stopped the run early
    final = final_loss = None
    if failure is None and last is not None and not json_out:
        final, final_loss = last.after, training.final_loss(last.after)
    _warn(training.warnings())
    if not json_out:
        from ..render.train_table import print_report

        print_report(training, shown, losses, final, final_loss, precision)
    if plot is not None and losses:
        from ..render.train_plot import plot as draw

        draw(plot, losses, training.params, paths, f"{training.optimizer.title}: loss", epochs)
    if failure is not None:
        raise failure


@contextmanager
def _progress(total: int, json_out: bool):
    """A progress bar on stderr for a long run on a terminal (not over JSON lines printed to the same terminal)."""
    if total < PROGRESS_AT or not sys.stderr.isatty() or (json_out and sys.stdout.isatty()):
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("training", total=total)
        yield lambda done: bar.update(task, completed=done)


def _warn(lines: list[str]) -> None:
    for line in lines[:MAX_WARNINGS]:
        say(f"warning: {line}")
    if len(lines) > MAX_WARNINGS:
        say(f"warning: … and {len(lines) - MAX_WARNINGS} more")
