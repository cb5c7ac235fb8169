"""The optimizer table against trajectories worked out by hand from PyTorch's documented pseudo-code.

Every trajectory minimises f(w) = w², so the gradient at w is g = 2w, starting at
w0 = 1. The arithmetic is written out step by step below, from the formulas of
torch.optim's documentation (not from bpcalc's code); the asserted values are
those numbers, and each comment shows them rounded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpcalc.errors import InputError
from bpcalc.optimizers import OPTIMIZERS, SYMBOLS, formula, get, hyperparameters, short


def run(name: str, steps: int, w0: float = 1.0, **given) -> list[float]:
    """w after each step, descending w², with the entry's update fed g = 2w."""
    optimizer = OPTIMIZERS[name]
    h = hyperparameters(optimizer, given)
    w, state, path = w0, {}, []
    for t in range(1, steps + 1):
        w, state = optimizer.update(w, 2 * w, {k: state[k] for k in optimizer.carried if k in state}, t, h)
        path.append(w)
    return path


def test_sgd_by_hand():
    # θ ← θ − lr·g, lr = 0.1
    w1 = 1 - 0.1 * 2  # g = 2: 0.8
    w2 = w1 - 0.1 * (2 * w1)  # g = 1.6: 0.64
    w3 = w2 - 0.1 * (2 * w2)  # g = 1.28: 0.512
    assert run("sgd", 3, lr=0.1) == pytest.approx([w1, w2, w3], rel=1e-15)
    assert [w1, w2, w3] == pytest.approx([0.8, 0.64, 0.512])


def test_momentum_by_hand():
    # b1 = g1; b ← μ·b + g (dampening 0); θ ← θ − lr·b; lr = 0.1, μ = 0.9
    b1 = 2.0
    w1 = 1 - 0.1 * b1  # 0.8
    b2 = 0.9 * b1 + 2 * w1  # 1.8 + 1.6 = 3.4
    w2 = w1 - 0.1 * b2  # 0.46
    b3 = 0.9 * b2 + 2 * w2  # 3.06 + 0.92 = 3.98
    w3 = w2 - 0.1 * b3  # 0.062
    assert run("momentum", 3, lr=0.1, momentum=0.9) == pytest.approx([w1, w2, w3], rel=1e-14)
    assert [w1, w2, w3] == pytest.approx([0.8, 0.46, 0.062])


def test_nesterov_by_hand():
    # b as for momentum; θ ← θ − lr·(g + μ·b)
    g1 = 2.0
    b1 = g1
    w1 = 1 - 0.1 * (g1 + 0.9 * b1)  # 1 − 0.38 = 0.62
    g2 = 2 * w1  # 1.24
    b2 = 0.9 * b1 + g2  # 3.04
    w2 = w1 - 0.1 * (g2 + 0.9 * b2)  # 0.62 − 0.3976 = 0.2224
    g3 = 2 * w2  # 0.4448
    b3 = 0.9 * b2 + g3  # 3.1808
    w3 = w2 - 0.1 * (g3 + 0.9 * b3)  # 0.2224 − 0.330752 = −0.108352
    assert run("nesterov", 3, lr=0.1, momentum=0.9) == pytest.approx([w1, w2, w3], rel=1e-13)
    assert [w1, w2, w3] == pytest.approx([0.62, 0.2224, -0.108352])


def test_rmsprop_by_hand():
    # v ← α·v + (1 − α)·g², v0 = 0; θ ← θ − lr·g/(√v + ε); lr = 0.01, α = 0.99, ε = 1e-8
    lr, eps = 0.01, 1e-8
    g1 = 2.0
    v1 = 0.01 * g1**2  # 0.04
    w1 = 1 - lr * g1 / (math.sqrt(v1) + eps)  # 1 − 0.02/0.2 ≈ 0.9
    g2 = 2 * w1  # ≈ 1.8
    v2 = 0.99 * v1 + 0.01 * g2**2  # 0.0396 + 0.0324 = 0.072
    w2 = w1 - lr * g2 / (math.sqrt(v2) + eps)  # 0.9 − 0.018/0.268328 ≈ 0.832918
    g3 = 2 * w2
    v3 = 0.99 * v2 + 0.01 * g3**2  # 0.07128 + 0.027750 ≈ 0.099030
    w3 = w2 - lr * g3 / (math.sqrt(v3) + eps)  # 0.832918 − 0.016658/0.314690 ≈ 0.779982
    assert run("rmsprop", 3, lr=lr) == pytest.approx([w1, w2, w3], rel=1e-13)
    assert [w1, w2, w3] == pytest.approx([0.9, 0.832918, 0.779982], abs=1e-6)


def test_adam_by_hand():
    # m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t),
    # θ ← θ − lr·m̂/(√v̂ + ε); lr = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8
    lr, eps = 0.1, 1e-8
    g1 = 2.0
    m1, v1 = 0.1 * g1, 0.001 * g1**2  # 0.2, 0.004
    w1 = 1 - lr * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + eps)  # m̂ = 2, v̂ = 4: 1 − 0.1·2/2 ≈ 0.9
    g2 = 2 * w1
    m2, v2 = 0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2**2  # 0.36, 0.007236
    w2 = w1 - lr * (m2 / (1 - 0.9**2)) / (
        math.sqrt(v2 / (1 - 0.999**2)) + eps
    )  # 0.9 − 0.1·1.894737/1.902580 ≈ 0.800412
    g3 = 2 * w2
    m3, v3 = 0.9 * m2 + 0.1 * g3, 0.999 * v2 + 0.001 * g3**2  # 0.484082, 0.009791
    w3 = w2 - lr * (m3 / (1 - 0.9**3)) / (
        math.sqrt(v3 / (1 - 0.999**3)) + eps
    )  # m̂ = 1.786282, v̂ = 3.267067: 0.800412 − 0.1·1.786282/1.807503 ≈ 0.701586
    assert run("adam", 3, lr=lr) == pytest.approx([w1, w2, w3], rel=1e-13)
    assert [w1, w2, w3] == pytest.approx([0.9, 0.800412, 0.701586], abs=1e-6)


def test_adamw_by_hand():
    # θ ← θ − lr·λ·θ first, then Adam's step with the gradient taken before the decay; λ = 0.01
    lr, lam, eps = 0.1, 0.01, 1e-8
    g1 = 2.0  # at w0 = 1
    m1, v1 = 0.1 * g1, 0.001 * g1**2
    w1 = (1 - lr * lam * 1) - lr * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + eps)  # 0.999 − 0.1 ≈ 0.899
    g2 = 2 * w1
    m2, v2 = 0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2**2
    w2 = (w1 - lr * lam * w1) - lr * (m2 / (1 - 0.9**2)) / (math.sqrt(v2 / (1 - 0.999**2)) + eps)
    g3 = 2 * w2
    m3, v3 = 0.9 * m2 + 0.1 * g3, 0.999 * v2 + 0.001 * g3**2
    w3 = (w2 - lr * lam * w2) - lr * (m3 / (1 - 0.9**3)) / (math.sqrt(v3 / (1 - 0.999**3)) + eps)
    assert run("adamw", 3, lr=lr) == pytest.approx([w1, w2, w3], rel=1e-13)
    assert w1 == pytest.approx(0.899)
    assert w3 < run("adam", 3, lr=lr)[2]  # the decay pulls further toward 0


def test_l2_weight_decay_enters_the_gradient():
    # SGD with λ: g ← g + λ·θ, so w1 = 1 − 0.1·(2 + 0.5·1) = 0.75
    assert run("sgd", 1, lr=0.1, weight_decay=0.5) == pytest.approx([0.75])
    # Adam with λ: the L2 term enters m and v; the first step is still about lr·sign(g)
    assert run("adam", 1, lr=0.1, weight_decay=0.5) == pytest.approx([0.9], abs=1e-8)


@pytest.mark.parametrize("g", [1e-3, 0.5, 7.0, -3.0, -1e-2, 1e4])
def test_adam_first_step_is_lr_times_sign(g):
    # m̂1 = g, v̂1 = g², so the step is lr·g/(|g| + ε): lr·sign(g) up to lr·ε/|g|
    for name in ("adam", "adamw"):
        optimizer = OPTIMIZERS[name]
        h = hyperparameters(optimizer, {"lr": 0.05, "weight_decay": 0.0})
        after, _ = optimizer.update(2.0, g, {}, 1, h)
        assert abs((after - 2.0) + 0.05 * math.copysign(1, g)) <= 0.05 * 1e-8 / abs(g) * 1.01 + 1e-16


def test_adam_first_step_on_an_array():
    optimizer = OPTIMIZERS["adam"]
    g = np.array([[0.3, -2.0], [1e-4, 5.0]])
    after, state = optimizer.update(np.zeros((2, 2)), g, {}, 1, hyperparameters(optimizer, {"lr": 0.01}))
    np.testing.assert_allclose(after, -0.01 * np.sign(g), rtol=1e-3)
    np.testing.assert_allclose(state["m_hat"], g)
    np.testing.assert_allclose(state["v_hat"], g * g)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov"])
def test_sgd_with_lr_zero_changes_nothing(name):
    # lr = 0 is refused on the command line (a learning rate must be positive), so feed it to the rule itself
    optimizer = OPTIMIZERS[name]
    h = dict(optimizer.defaults, lr=0.0)
    w, state = 0.7, {}
    for t in range(1, 6):
        w, state = optimizer.update(w, 2 * w + 1, state, t, h)
        assert w == 0.7
    w = np.array([1.0, -2.0])
    after, _ = optimizer.update(w, np.array([3.0, 4.0]), {}, 1, h)
    assert after.tolist() == [1.0, -2.0]


def test_every_entry_is_complete():
    for name, optimizer in OPTIMIZERS.items():
        assert optimizer.name == name
        assert "lr" in optimizer.defaults and "weight_decay" in optimizer.defaults
        assert set(optimizer.carried) <= {key for key, _ in optimizer.state}
        assert optimizer.formula and all(line.strip() for line in optimizer.formula)
        # the symbols of the state appear in the formula text the tables print
        text = " ".join(formula(optimizer, optimizer.defaults))
        for _, symbol in optimizer.state:
            assert symbol in text
        # one step from zero state on a number and on an array gives every state entry
        h = optimizer.defaults
        after, state = optimizer.update(1.0, 0.5, {}, 1, h)
        assert isinstance(after, float) and after < 1.0
        assert sorted(state) == sorted(key for key, _ in optimizer.state)
        after, state = optimizer.update(np.ones(3), np.full(3, 0.5), {}, 1, h)
        assert after.shape == (3,) and all(s.shape == (3,) for s in state.values())


def test_defaults_are_pytorchs():
    assert OPTIMIZERS["rmsprop"].defaults["alpha"] == 0.99
    assert OPTIMIZERS["adam"].defaults == {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
    assert OPTIMIZERS["adamw"].defaults["weight_decay"] == 0.01
    assert OPTIMIZERS["rmsprop"].defaults["eps"] == 1e-8
    assert {name: o.torch_lr for name, o in OPTIMIZERS.items()} == {
        "sgd": 1e-3,
        "momentum": 1e-3,
        "nesterov": 1e-3,
        "rmsprop": 1e-2,
        "adam": 1e-3,
        "adamw": 1e-3,
    }


@pytest.mark.parametrize(
    "given, message",
    [
        ({"lr": 0.0}, "--lr 0.0: lr must be a positive number"),
        ({"lr": -0.1}, "lr must be a positive number"),
        ({"lr": float("nan")}, "lr must be a positive number"),
        ({"lr": float("inf")}, "lr must be a positive number"),
        ({"beta1": 1.0}, "β1 must be at least 0 and below 1"),
        ({"eps": 0.0}, "ε must be a positive number"),
        ({"weight_decay": -1.0}, "λ must be a number at least 0"),
    ],
)
def test_bad_hyperparameters(given, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        hyperparameters(OPTIMIZERS["adam"], given)


def test_a_hyperparameter_the_optimizer_does_not_read():
    with pytest.raises(InputError, match="--beta1 is not a hyper-parameter of sgd") as caught:
        hyperparameters(OPTIMIZERS["sgd"], {"beta1": 0.5})
    assert "--lr, --weight-decay" in str(caught.value)


def test_settings_read_as_written():
    assert short(1e-8) == "1e-8" and short(0.999) == "0.999" and short(0.1) == "0.1" and short(1e20) == "1e+20"


def test_unknown_optimizer_suggests():
    with pytest.raises(InputError, match="did you mean 'adam'"):
        get("adma")


def test_against_torch_optim():
    torch = pytest.importorskip("torch")  # not a dependency: runs only where PyTorch is installed
    cases = [
        ("sgd", lambda p: torch.optim.SGD(p, lr=0.1), {"lr": 0.1}),
        ("momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), {"lr": 0.1}),
        ("nesterov", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), {"lr": 0.1}),
        ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=0.01), {"lr": 0.01}),
        ("adam", lambda p: torch.optim.Adam(p, lr=0.1), {"lr": 0.1}),
        ("adamw", lambda p: torch.optim.AdamW(p, lr=0.1), {"lr": 0.1}),
        ("adam", lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.3), {"lr": 0.1, "weight_decay": 0.3}),
    ]
    for name, make, given in cases:
        w = torch.tensor([1.0, -0.5], dtype=torch.float64, requires_grad=True)
        opt = make([w])
        expected = []
        for _ in range(5):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
            expected.append(w.detach().numpy().copy())
        optimizer = OPTIMIZERS[name]
        h = hyperparameters(optimizer, given)
        ours, carried = np.array([1.0, -0.5]), {}  # nothing carried into the first step, as in bpcalc.train
        for t in range(1, 6):
            ours, state = optimizer.update(ours, 2 * ours, carried, t, h)
            carried = {k: state[k] for k in optimizer.carried}
            np.testing.assert_allclose(ours, expected[t - 1], rtol=1e-12, atol=1e-15, err_msg=name)


def test_the_readme_documents_every_optimizer():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name, optimizer in OPTIMIZERS.items():
        rows = [line for line in readme.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, f"{name} has no row in the README's optimizer table"
        for line in optimizer.formula:
            assert line in rows[0], f"{name}: {line!r} is not in the README's row"
        for key, value in optimizer.defaults.items():
            if key not in ("lr", "weight_decay"):
                text = f"{SYMBOLS[key]} = {short(value)}"
                assert text in rows[0], f"{name}: the default {text} is not documented"
