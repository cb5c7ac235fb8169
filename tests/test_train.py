"""bpcalc train's loop: gradients against closed forms, batches and shuffles against an independent schedule."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bpcalc import dataset
from bpcalc.errors import InputError, StepError
from bpcalc.parse import parse, parse_point
from bpcalc.render.train_json import step_dict
from bpcalc.render.train_text import every, sparkline
from bpcalc.train import Training, train

# y ≈ 3x + 1 with a little noise, written out so the closed form below reads the same numbers
XS = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
YS = [-2.1, -0.4, 1.2, 2.4, 4.1, 5.4, 7.1]


def regression_csv(tmp_path):
    path = tmp_path / "line.csv"
    path.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in zip(XS, YS)))
    return dataset.load(path)


def closed_form(w: float, b: float) -> tuple[float, float, float]:
    """MSE = (1/N) Σ (w·x + b − y)², ∂/∂w = (2/N) Σ (w·x + b − y)·x, ∂/∂b = (2/N) Σ (w·x + b − y)."""
    n = len(XS)
    residuals = [w * x + b - y for x, y in zip(XS, YS)]
    return (
        sum(r * r for r in residuals) / n,
        2 * sum(r * x for r, x in zip(residuals, XS)) / n,
        2 * sum(residuals) / n,
    )


def test_full_batch_linear_regression_is_the_closed_form_gradient(tmp_path):
    data = regression_csv(tmp_path)
    steps = train("(w*x + b - y)^2", "w=0,b=0", "w,b", steps=25, data=data, batch="all", hyper={"lr": 0.1})
    w, b = 0.0, 0.0
    for step in steps:
        loss, gw, gb = closed_form(w, b)
        assert step.before == pytest.approx({"w": w, "b": b}, rel=1e-12, abs=1e-14)
        assert step.loss == pytest.approx(loss, rel=1e-12)
        assert step.gradient["w"] == pytest.approx(gw, rel=1e-12, abs=1e-14)
        assert step.gradient["b"] == pytest.approx(gb, rel=1e-12, abs=1e-14)
        assert step.rows == tuple(range(1, len(XS) + 1))
        w, b = w - 0.1 * gw, b - 0.1 * gb  # plain gradient descent
        assert step.after == pytest.approx({"w": w, "b": b}, rel=1e-12, abs=1e-14)
    assert steps[-1].loss < steps[0].loss / 20


def test_full_batch_with_vector_inputs_from_json_lines(tmp_path):
    # the same line, with x as the vector [x, 1] and the weights as one vector: ∂/∂w = (2/N) Σ r·[x, 1]
    path = tmp_path / "line.jsonl"
    path.write_text("".join(f'{{"x": [{x}, 1], "y": {y}}}\n' for x, y in zip(XS, YS)))
    steps = train("(dot(w, x) - y)^2", "w=[0,0]", "w", steps=5, data=dataset.load(path), batch="all")
    w, b = 0.0, 0.0
    for step in steps:
        loss, gw, gb = closed_form(w, b)
        assert step.loss == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(step.gradient["w"], [gw, gb], rtol=1e-12)
        w, b = w - 0.1 * gw, b - 0.1 * gb


def test_batch_one_cycles_through_the_rows(tmp_path):
    data = regression_csv(tmp_path)
    steps = train("(w*x + b - y)^2", "w=0,b=0", "w,b", steps=16, data=data)
    assert [s.rows for s in steps] == [((t % 7) + 1,) for t in range(16)]
    assert [s.epoch for s in steps] == [1] * 7 + [2] * 7 + [3] * 2
    # one row per step: the gradient is that row's, 2·r·x and 2·r
    first = steps[0]
    r = 0 * XS[0] + 0 - YS[0]
    assert first.gradient == pytest.approx({"w": 2 * r * XS[0], "b": 2 * r})


def test_batch_k_is_the_mean_of_the_rows(tmp_path):
    data = regression_csv(tmp_path)
    steps = train("(w*x + b - y)^2", "w=0.5,b=-1", "w,b", steps=5, data=data, batch=3, hyper={"lr": 0.01})
    # 7 rows in batches of 3: rows 1-3, 4-6, 7 (the epoch's last batch is shorter), then again
    assert [s.rows for s in steps] == [(1, 2, 3), (4, 5, 6), (7,), (1, 2, 3), (4, 5, 6)]
    w, b = 0.5, -1.0
    for step in steps:
        idx = [r - 1 for r in step.rows]
        res = [w * XS[i] + b - YS[i] for i in idx]
        assert step.loss == pytest.approx(sum(r * r for r in res) / len(idx), rel=1e-12)
        gw = sum(2 * r * XS[i] for r, i in zip(res, idx)) / len(idx)
        gb = sum(2 * r for r in res) / len(idx)
        assert step.gradient == pytest.approx({"w": gw, "b": gb}, rel=1e-12)
        w, b = w - 0.01 * gw, b - 0.01 * gb


def test_shuffle_is_random_random_seeded_once_and_reshuffled_each_epoch(tmp_path):
    data = regression_csv(tmp_path)
    steps = train("(w*x + b - y)^2", "w=0,b=0", "w,b", steps=21, data=data, batch=2, shuffle=True, seed=7)
    rng = random.Random(7)
    expected = []
    for _ in range(6):
        order = list(range(1, 8))
        rng.shuffle(order)
        expected += [tuple(order[k : k + 2]) for k in range(0, 7, 2)]
    assert [s.rows for s in steps] == expected[:21]
    again = train("(w*x + b - y)^2", "w=0,b=0", "w,b", steps=21, data=data, batch=2, shuffle=True, seed=7)
    assert [s.after for s in again] == [s.after for s in steps]  # same seed, same trajectory, to the bit
    other = train("(w*x + b - y)^2", "w=0,b=0", "w,b", steps=21, data=data, batch=2, shuffle=True, seed=8)
    assert [s.rows for s in other] != [s.rows for s in steps]


def test_without_data_every_step_uses_the_point():
    steps = train("(w*x - y)^2", "w=0,x=2,y=4", "w", steps=3, hyper={"lr": 0.1})
    # f = (2w − 4)², f' = 4(2w − 4): w1 = 0 + 1.6, w2 = 1.6 − 0.1·4·(3.2 − 4) = 1.92
    assert [s.after["w"] for s in steps] == pytest.approx([1.6, 1.92, 1.984])
    assert [s.rows for s in steps] == [(), (), ()] and steps[0].epoch == 0


def test_optimizer_state_is_carried_between_steps():
    steps = train("w^2", "w=1", "w", steps=3, optimizer="momentum", hyper={"lr": 0.1, "momentum": 0.9})
    assert [s.state["w"]["velocity"] for s in steps] == pytest.approx([2.0, 3.4, 3.98])  # as in test_optimizers
    assert [s.update["w"] for s in steps] == pytest.approx([-0.2, -0.34, -0.398])


def test_a_loss_that_overflows_stops_at_its_step_naming_the_node():
    # f = w², lr = 10: w ← w − 20w = −19w, so w = (−19)^t and w² overflows float64 once |w| > 1.3e154 (t = 121)
    training = Training(parse("f = w^2"), parse_point("w=1"), ["w"], hyper={"lr": 10})
    done = []
    with pytest.raises(StepError) as caught:
        for step in training.run(500):
            done.append(step)
    assert caught.value.exit_code == 3
    assert caught.value.step == len(done) + 1 == 122
    assert "step 122" in str(caught.value) and "at node f = w^2" in str(caught.value)
    assert done[-1].after["w"] == pytest.approx((-19.0) ** 121)


def test_an_update_that_overflows_names_the_parameter():
    with pytest.raises(StepError, match="step 1: the update makes w overflow float64"):
        train("1e300*w", "w=1", "w", steps=1, hyper={"lr": 1e10})


def test_a_pass_that_fails_names_the_data_row(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x\n1\n0\n")
    with pytest.raises(StepError, match=r"step 2, data row 2: division by zero"):
        train("w/x", "w=1", "w", steps=2, data=dataset.load(path))


@pytest.mark.parametrize(
    "params, at, message",
    [
        ("v", "w=1,x=2", "the expression has no variable 'v'"),
        ("ww", "w=1,x=2", "did you mean 'w'"),
        ("q", "w=1,x=2", "'q' is assigned in the program"),
        ("w", "x=2", "give its starting value, e.g. --at w=0.5"),
        ("w,w", "w=1,x=2", "names w twice"),
        ("", "w=1,x=2", "--params is empty"),
    ],
)
def test_bad_params(params, at, message):
    with pytest.raises(InputError, match=message):
        train("q = w*x; q^2", at, params, steps=1)


def test_a_data_variable_without_a_value():
    with pytest.raises(InputError, match="no value for x, y"):
        train("(w*x - y)^2", "w=1", "w", steps=1)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"batch": 8}, "--batch 8: .* has 7 rows"),
        ({"batch": 0}, "--batch 0: give a whole number"),
        ({"batch": "two"}, "--batch two: give a whole number"),
        ({"seed": 3}, "--seed chooses the order of --shuffle"),
        ({"hyper": {"lr": 0}}, "lr must be a positive number"),
        ({"hyper": {"lr": -1}}, "lr must be a positive number"),
        ({"optimizer": "sgd", "hyper": {"beta2": 0.9}}, "--beta2 is not a hyper-parameter of sgd"),
    ],
)
def test_bad_options(tmp_path, options, message):
    with pytest.raises(InputError, match=message):
        train("(w*x + b - y)^2", "w=0,b=0", "w,b", steps=1, data=regression_csv(tmp_path), **options)


def test_options_that_need_data():
    for options in ({"batch": 2}, {"shuffle": True}, {"seed": 1}):
        with pytest.raises(InputError, match="needs --data FILE"):
            train("w^2", "w=1", "w", steps=1, **options)


def test_data_columns_that_clash(tmp_path):
    data = regression_csv(tmp_path)
    with pytest.raises(InputError, match="column y, and y is a parameter"):
        train("(w*x + b - y)^2", "w=0,b=0,y=1", "w,y", steps=1, data=data)
    with pytest.raises(InputError, match="y is given in --at .* and as a column"):
        train("(w*x + b - y)^2", "w=0,b=0,y=1", "w,b", steps=1, data=data)
    training = Training(parse("(w*x + b)^2"), parse_point("w=0,b=0"), ["w", "b"], data=data)
    assert any("the column y of" in line for line in training.warnings())
    path = tmp_path / "gap.jsonl"
    path.write_text('{"x": 1, "y": 2}\n{"y": 3}\n')
    with pytest.raises(InputError, match=r"row 2 \(line 2\): no value for the column x"):
        train("(w*x - y)^2", "w=0", "w", steps=1, data=dataset.load(path))


def test_kink_warnings_are_said_once_with_a_count():
    training = Training(parse("relu(w) + relu(-1*w)"), parse_point("w=0"), ["w"])
    list(training.run(4))  # relu'(0) = 0, so the gradient is 0, w stays 0, and every step lands on both kinks
    lines = training.warnings()
    assert len(lines) == 2
    assert all("(step 1, and 3 more times)" in line for line in lines)


def test_steps_must_be_positive():
    training = Training(parse("w^2"), parse_point("w=1"), ["w"])
    with pytest.raises(InputError, match="at least 1"):
        list(training.run(0))


def test_json_line_of_a_step():
    step = train("sum((w - t)^2)", "w=[0,0],t=[1,2]", "w", steps=1, optimizer="adam")[0]
    line = step_dict(step)
    assert list(line) == ["step", "loss", "gradient", "params", "state"]
    assert line["step"] == 1 and line["loss"] == 5
    assert line["gradient"] == {"w": [-2, -4]}
    assert line["params"]["w"] == pytest.approx([0.1, 0.1])
    assert sorted(line["state"]["w"]) == ["m", "m_hat", "v", "v_hat"]


def test_sparkline_and_every():
    assert sparkline([3.0, 2.0, 1.0]) == "█▅▁"
    assert sparkline([1.0, 1.0]) == "▄▄"
    assert len(sparkline([float(k) for k in range(1000)], width=50)) == 50
    assert every(10, 4) == [1, 4, 8, 10]
    assert every(1, 5) == [1]


def test_plot_writes_a_picture(tmp_path):
    pytest.importorskip("matplotlib")
    from bpcalc.render.train_plot import plot

    steps = train("(w - 1)^2 + (b + 2)^2", "w=0,b=0", "w,b", steps=5)
    values = {name: [steps[0].before[name]] + [s.after[name] for s in steps] for name in ("w", "b")}
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        target = tmp_path / f"loss{suffix}"
        plot(str(target), [s.loss for s in steps], ["w", "b"], values)
        assert target.read_bytes().startswith(magic)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary file left


def test_plot_without_matplotlib_says_what_to_install(monkeypatch, tmp_path):
    import builtins

    from bpcalc.render import train_plot

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(InputError, match=r'pip install matplotlib') as caught:
        train_plot.plot(str(tmp_path / "x.png"), [1.0, 0.5], ["w"], {"w": [0.0, 1.0, 2.0]})
    assert caught.value.exit_code == 2


def test_plot_path_checks(tmp_path):
    from bpcalc.render.train_plot import check_path

    with pytest.raises(InputError, match="must end in .png, .svg, .pdf"):
        check_path(str(tmp_path / "loss.jpg"))
    data = tmp_path / "data.png"
    data.write_text("x\n1\n")
    with pytest.raises(InputError, match="is also an input"):
        check_path(str(data), [str(data)])


def test_against_torch_on_the_whole_loop(tmp_path):
    torch = pytest.importorskip("torch")  # not a dependency: runs only where PyTorch is installed
    data = regression_csv(tmp_path)
    ours = train(
        "(w*x + b - y)^2", "w=0,b=0", "w,b", steps=14, data=data, batch=3, optimizer="adam", hyper={"lr": 0.05}
    )
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.05)
    x, y = torch.tensor(XS, dtype=torch.float64), torch.tensor(YS, dtype=torch.float64)
    for step in ours:
        idx = [r - 1 for r in step.rows]
        opt.zero_grad()
        loss = ((w[0] * x[idx] + w[1] - y[idx]) ** 2).mean()
        assert step.loss == pytest.approx(loss.item(), rel=1e-10)
        loss.backward()
        opt.step()
        assert [step.after["w"], step.after["b"]] == pytest.approx(w.detach().tolist(), rel=1e-10)


EXAMPLE = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples" / "xor"


def xor_training(optimizer: str, lr: float) -> Training:
    import json

    source = (EXAMPLE / "mlp.bp").read_text()
    init = parse_point(json.loads((EXAMPLE / "init.json").read_text()))
    data = dataset.load(EXAMPLE / "xor.jsonl")
    return Training(parse(source), init, ["W1", "b1", "w2", "b2"], optimizer=optimizer, hyper={"lr": lr}, data=data)


def test_the_shipped_data_is_what_the_script_makes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_data", EXAMPLE / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("xor.jsonl", "init.json"):
        assert (tmp_path / name).read_text() == (EXAMPLE / name).read_text()
    rows = dataset.load(tmp_path / "xor.jsonl").rows
    assert len(rows) == 50
    assert all(r["y"] == float((r["x"][0] > 0) != (r["x"][1] > 0)) for r in rows)  # the noise never crosses an axis


def test_the_mlp_first_step_by_hand():
    # row 1: x = [-1.361, -0.942], y = 0; h = tanh(W1 x + b1), z = w2·h + b2, loss = -log(1 - σ(z)) = softplus(z)
    import json
    import math

    init = json.loads((EXAMPLE / "init.json").read_text())
    x, y = [-1.361, -0.942], 0.0
    a = [sum(w * xi for w, xi in zip(row, x)) + b for row, b in zip(init["W1"], init["b1"])]
    h = [math.tanh(v) for v in a]
    z = sum(w * hi for w, hi in zip(init["w2"], h)) + init["b2"]
    p = 1 / (1 + math.exp(-z))
    dz = p - y  # the course's ŷ − y
    step = next(xor_training("sgd", 0.1).run(1))
    assert step.loss == pytest.approx(-(y * math.log(p) + (1 - y) * math.log(1 - p)), rel=1e-12)
    assert step.gradient["b2"] == pytest.approx(dz, rel=1e-12)
    np.testing.assert_allclose(step.gradient["w2"], [dz * hi for hi in h], rtol=1e-12)
    da = [dz * w * (1 - hi * hi) for w, hi in zip(init["w2"], h)]  # back through tanh
    np.testing.assert_allclose(step.gradient["b1"], da, rtol=1e-12)
    np.testing.assert_allclose(step.gradient["W1"], [[d * xi for xi in x] for d in da], rtol=1e-12)


@pytest.mark.slow
def test_the_mlp_trains_to_the_documented_loss():
    # README: SGD, lr 0.1, 1000 steps of one row; Adam, lr 0.05, 300 steps; losses over all 50 rows after training
    for optimizer, lr, steps, documented in (("sgd", 0.1, 1000, 0.0590), ("adam", 0.05, 300, 0.0340)):
        training = xor_training(optimizer, lr)
        *_, last = training.run(steps)
        assert training.final_loss(last.after) == pytest.approx(documented, abs=5e-5)


def test_a_final_loss_that_fails_says_so(tmp_path):
    # w/x with w → 0 after one step is fine on row 1 (x = 1), and the final loss reads row 2 (x = 0) too
    path = tmp_path / "d.csv"
    path.write_text("x\n1\n0\n")
    training = Training(parse("w/x"), parse_point("w=1"), ["w"], data=dataset.load(path))
    last = next(training.run(1))
    with pytest.raises(StepError, match=r"after the last step, data row 2: the loss at the final parameters: division"):
        training.final_loss(last.after)
