"""The table of optimizers: each entry its hyper-parameters and defaults, its state, its update, its formula text.

The update rules are the pseudo-code of PyTorch's torch.optim documentation
(SGD with dampening 0 and optionally Nesterov, RMSprop, Adam and AdamW with bias
correction), written once for a number or a NumPy array: an update reads the
parameter θ, its gradient g, the state carried from the last step and the step
count t (from 1), and returns θ after the step and the state, including the
values derived for the tables (Adam's bias-corrected moments). Adding an
optimizer is one entry here plus its test rows. Imports only math.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .errors import InputError, suggest

LR = 0.1  # bpcalc's learning rate for every optimizer unless --lr is given (PyTorch's own defaults are in `torch_lr`)

# update(θ, g, state carried from the last step, t from 1, hyper-parameters) -> (θ after the step, state)
Update = Callable[[Any, Any, Mapping[str, Any], int, Mapping[str, float]], tuple]


class Optimizer(NamedTuple):
    """One optimizer: what it reads, what it keeps, how it steps, and how the tables write it."""

    name: str  # the --optimizer choice and the JSON name
    title: str
    torch: str  # the PyTorch call that computes the same steps
    defaults: dict[str, float]  # every hyper-parameter it reads, with its default (PyTorch's, except lr and momentum)
    torch_lr: float  # PyTorch's default lr, for the README
    state: tuple[tuple[str, str], ...]  # (JSON key, symbol in the formulas and table headers), in table order
    carried: tuple[str, ...]  # the state kept from one step to the next
    update: Update
    formula: tuple[str, ...]  # the rule, one assignment a line, in the symbols of the tables
    decay: str  # the weight-decay line, shown when weight_decay is not 0


def _sqrt(x):
    # math.sqrt for a number (correctly rounded); NumPy maps an array's ** 0.5 to its sqrt
    return math.sqrt(x) if isinstance(x, float) else x**0.5


def _l2(theta, g, h: Mapping[str, float]):
    """PyTorch's weight_decay for SGD, RMSprop and Adam: an L2 term added to the gradient."""
    decay = h.get("weight_decay", 0.0)
    return g + decay * theta if decay else g


def _sgd(theta, g, state, t, h):
    return theta - h["lr"] * _l2(theta, g, h), {}


def _velocity(theta, g, state, h):
    # dampening 0: b_t = μ·b_{t-1} + g_t, and b_1 = g_1 (PyTorch clones the first gradient)
    g = _l2(theta, g, h)
    b = g if "velocity" not in state else h["momentum"] * state["velocity"] + g
    return g, b


def _momentum(theta, g, state, t, h):
    g, b = _velocity(theta, g, state, h)
    return theta - h["lr"] * b, {"velocity": b}


def _nesterov(theta, g, state, t, h):
    g, b = _velocity(theta, g, state, h)
    return theta - h["lr"] * (g + h["momentum"] * b), {"velocity": b}


def _rmsprop(theta, g, state, t, h):
    g = _l2(theta, g, h)
    alpha = h["alpha"]
    v = (1 - alpha) * (g * g) if "square_avg" not in state else alpha * state["square_avg"] + (1 - alpha) * (g * g)
    return theta - h["lr"] * g / (_sqrt(v) + h["eps"]), {"square_avg": v}


def _moments(g, state, t, h):
    beta1, beta2 = h["beta1"], h["beta2"]
    m = state.get("m", 0.0) * beta1 + (1 - beta1) * g
    v = state.get("v", 0.0) * beta2 + (1 - beta2) * (g * g)
    return {"m": m, "v": v, "m_hat": m / (1 - beta1**t), "v_hat": v / (1 - beta2**t)}


def _adam(theta, g, state, t, h):
    s = _moments(_l2(theta, g, h), state, t, h)
    return theta - h["lr"] * s["m_hat"] / (_sqrt(s["v_hat"]) + h["eps"]), s


def _adamw(theta, g, state, t, h):
    theta = theta - h["lr"] * h["weight_decay"] * theta  # decoupled: the decay never enters m or v
    s = _moments(g, state, t, h)
    return theta - h["lr"] * s["m_hat"] / (_sqrt(s["v_hat"]) + h["eps"]), s


_L2 = "g ← g + λ·θ"
_ADAM = (
    "m ← β1·m + (1 − β1)·g",
    "v ← β2·v + (1 − β2)·g²",
    "m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)",
    "θ ← θ − lr·m̂/(√v̂ + ε)",
)
_MOMENTS = (("m", "m"), ("v", "v"), ("m_hat", "m̂"), ("v_hat", "v̂"))

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer(
            "sgd",
            "gradient descent",
            "torch.optim.SGD(lr=lr)",
            {"lr": LR, "weight_decay": 0.0},
            1e-3,
            (),
            (),
            _sgd,
            ("θ ← θ − lr·g",),
            _L2,
        ),
        Optimizer(
            "momentum",
            "SGD with momentum",
            "torch.optim.SGD(lr=lr, momentum=μ)",
            {"lr": LR, "momentum": 0.9, "weight_decay": 0.0},
            1e-3,
            (("velocity", "b"),),
            ("velocity",),
            _momentum,
            ("b ← μ·b + g (b = g at step 1)", "θ ← θ − lr·b"),
            _L2,
        ),
        Optimizer(
            "nesterov",
            "SGD with Nesterov momentum",
            "torch.optim.SGD(lr=lr, momentum=μ, nesterov=True)",
            {"lr": LR, "momentum": 0.9, "weight_decay": 0.0},
            1e-3,
            (("velocity", "b"),),
            ("velocity",),
            _nesterov,
            ("b ← μ·b + g (b = g at step 1)", "θ ← θ − lr·(g + μ·b)"),
            _L2,
        ),
        Optimizer(
            "rmsprop",
            "RMSprop",
            "torch.optim.RMSprop(lr=lr, alpha=α, eps=ε)",
            {"lr": LR, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0},
            1e-2,
            (("square_avg", "v"),),
            ("square_avg",),
            _rmsprop,
            ("v ← α·v + (1 − α)·g²", "θ ← θ − lr·g/(√v + ε)"),
            _L2,
        ),
        Optimizer(
            "adam",
            "Adam",
            "torch.optim.Adam(lr=lr, betas=(β1, β2), eps=ε)",
            {"lr": LR, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
            1e-3,
            _MOMENTS,
            ("m", "v"),
            _adam,
            _ADAM,
            _L2,
        ),
        Optimizer(
            "adamw",
            "AdamW",
            "torch.optim.AdamW(lr=lr, betas=(β1, β2), eps=ε, weight_decay=λ)",
            {"lr": LR, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
            1e-3,
            _MOMENTS,
            ("m", "v"),
            _adamw,
            _ADAM,
            "θ ← θ − lr·λ·θ (decoupled: before the step, never in m or v)",
        ),
    )
}

SYMBOLS = {"lr": "lr", "momentum": "μ", "alpha": "α", "beta1": "β1", "beta2": "β2", "eps": "ε", "weight_decay": "λ"}

# (test, the rule in words) for each hyper-parameter: PyTorch's ranges, except where noted
# (PyTorch takes any momentum and alpha from 0 up; from 1 up the velocity or v grows without bound)
_RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "lr": (lambda x: x > 0, "a positive number"),
    "momentum": (lambda x: 0 <= x < 1, "at least 0 and below 1"),
    "alpha": (lambda x: 0 <= x < 1, "at least 0 and below 1"),
    "beta1": (lambda x: 0 <= x < 1, "at least 0 and below 1"),
    "beta2": (lambda x: 0 <= x < 1, "at least 0 and below 1"),
    "eps": (lambda x: x > 0, "a positive number"),  # PyTorch allows 0; then a zero gradient divides 0 by 0
    "weight_decay": (lambda x: x >= 0, "a number at least 0"),
}


def option(key: str) -> str:
    """The command-line option of a hyper-parameter: weight_decay is --weight-decay."""
    return "--" + key.replace("_", "-")


def get(name: str) -> Optimizer:
    """The optimizer called `name`, or a clear error naming the choices."""
    if name not in OPTIMIZERS:
        near = suggest(name, OPTIMIZERS)
        raise InputError(
            f"unknown optimizer '{name}'",
            f"did you mean '{near}'?" if near else "choose one of " + ", ".join(OPTIMIZERS),
        )
    return OPTIMIZERS[name]


def hyperparameters(optimizer: Optimizer, given: Mapping[str, float | None]) -> dict[str, float]:
    """The optimizer's defaults with the given values put in; one it does not read, or out of range, is an error."""
    chosen = dict(optimizer.defaults)
    for key, value in given.items():
        if value is None:
            continue
        if key not in optimizer.defaults:
            raise InputError(
                f"{option(key)} is not a hyper-parameter of {optimizer.name}",
                f"{optimizer.name} reads {', '.join(option(k) for k in optimizer.defaults)}",
            )
        test, rule = _RANGES[key]
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
            or not test(value)
        ):
            raise InputError(f"{option(key)} {value}: {SYMBOLS[key]} must be {rule}")
        chosen[key] = float(value)
    return chosen


def formula(optimizer: Optimizer, h: Mapping[str, float]) -> list[str]:
    """The update rule as the tables print it: the weight-decay line only when λ is not 0."""
    lines = list(optimizer.formula)
    if h.get("weight_decay"):
        lines.insert(0, optimizer.decay)
    return lines


def settings(h: Mapping[str, float]) -> str:
    """'lr = 0.1, μ = 0.9': the hyper-parameters in the formulas' symbols."""
    return ", ".join(f"{SYMBOLS[k]} = {short(v)}" for k, v in h.items())


def short(value: float) -> str:
    """A setting as people write it: 0.1, 0.999, 1e-8 (not 1e-08)."""
    return format(value, "g").replace("e-0", "e-").replace("e+0", "e+")
