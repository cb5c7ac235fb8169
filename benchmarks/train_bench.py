"""Steps per second of `bpcalc train` on the shipped MLP (examples/xor), against the same loop written micrograd's way.

    python benchmarks/train_bench.py [--steps N] [--repeat R]

Each step is SGD on one row (batch 1), lr 0.1, in the data's order, from examples/xor/init.json.
Rows measured:

  bpcalc train step   Training.run: one engine.run (forward and reverse pass, recorded) plus the update
  engine.run alone    the passes of one step, nothing else: what `bpcalc grad` does after parsing
  bpcalc.grad         parse and passes, as if every step were a fresh `bpcalc grad` (the graph parsed per step)
  micrograd-style     scalar Value objects with closures, the graph rebuilt each step, an iterative
                      topological sort, then the same SGD update (written here, after micrograd's engine.py)

PyTorch is not installed here, so it has no row; the micrograd-style loop runs in this interpreter.
The best of R repeats is reported, as timeit does, because the machine may be shared.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bpcalc import dataset, grad  # noqa: E402
from bpcalc.engine import run  # noqa: E402
from bpcalc.parse import parse, parse_point  # noqa: E402
from bpcalc.train import Training  # noqa: E402

EXAMPLE = ROOT / "examples" / "xor"
PARAMS = ["W1", "b1", "w2", "b2"]


# ---------------------------------------------------------------- micrograd's way, scalars with closures


class Value:
    """A scalar with its gradient and a closure that passes it back (micrograd's engine.py, trimmed)."""

    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data, prev=()):
        self.data, self.grad, self._backward, self._prev = data, 0.0, lambda: None, prev

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other if isinstance(other, Value) else -other)

    def __rsub__(self, other):
        return (-self) + other

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = backward
        return out

    def logsigmoid(self):
        x = self.data
        value = -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        out = Value(value, (self,))

        def backward():
            self.grad += (1 - s) * out.grad

        out._backward = backward
        return out

    def backward(self):
        # iterative topological order (micrograd's is recursive and fails past ~1000 deep)
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def micrograd_steps(init, rows, steps, lr=0.1):
    W1 = [[Value(v) for v in row] for row in init["W1"]]
    b1 = [Value(v) for v in init["b1"]]
    w2 = [Value(v) for v in init["w2"]]
    b2 = Value(init["b2"])
    weights = [v for row in W1 for v in row] + b1 + w2 + [b2]
    for t in range(steps):
        row = rows[t % len(rows)]
        x, y = row["x"], row["y"]
        h = [(W1[i][0] * x[0] + W1[i][1] * x[1] + b1[i]).tanh() for i in range(len(b1))]
        z = sum((w2[i] * h[i] for i in range(len(h))), b2)
        loss = -(y * z.logsigmoid() + (1 - y) * (-z).logsigmoid())
        for w in weights:
            w.grad = 0.0
        loss.backward()
        for w in weights:
            w.data -= lr * w.grad
    return b2.data


# ---------------------------------------------------------------- bpcalc


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    source = (EXAMPLE / "mlp.bp").read_text()
    init_raw = json.loads((EXAMPLE / "init.json").read_text())
    data = dataset.load(EXAMPLE / "xor.jsonl")
    graph = parse(source)
    init = parse_point(init_raw)
    rows_raw = [json.loads(line) for line in (EXAMPLE / "xor.jsonl").read_text().splitlines() if line.strip()]
    n = args.steps

    def bpcalc_train():
        training = Training(graph, init, PARAMS, hyper={"lr": 0.1}, data=data)
        for _ in training.run(n):
            pass

    points = []
    for k in range(n):
        point = dict(init)
        point.update(data.rows[k % len(data.rows)])
        points.append(point)

    def passes_only():
        for point in points:
            run(graph, point, wrt=PARAMS)

    def grad_each_step():
        for point in points:
            grad(source, point, wrt=PARAMS)

    # the same loop both ways: the same b2 after the steps, to rounding
    last = None
    for step in Training(graph, init, PARAMS, hyper={"lr": 0.1}, data=data).run(n):
        last = step
    theirs = micrograd_steps(init_raw, rows_raw, n)
    assert abs(last.after["b2"] - theirs) <= 1e-9 * max(1.0, abs(theirs)), (last.after["b2"], theirs)

    rows = [
        ("bpcalc train step", best(bpcalc_train, args.repeat)),
        ("engine.run alone", best(passes_only, args.repeat)),
        ("bpcalc.grad (parse + passes)", best(grad_each_step, args.repeat)),
        ("micrograd-style", best(lambda: micrograd_steps(init_raw, rows_raw, n), args.repeat)),
    ]
    nodes = len(graph.nodes)
    print(f"MLP of examples/xor: {nodes} bpcalc nodes (W1 4x2, b1 4, w2 4, b2); SGD, batch 1;", end=" ")
    print(f"{n} steps, best of {args.repeat}")
    print(f"{'':30} {'steps/s':>10} {'µs/step':>10} {'µs/node':>9}")
    for name, seconds in rows:
        per = seconds / n * 1e6
        print(f"{name:30} {n / seconds:10.0f} {per:10.0f} {per / nodes:9.1f}")
    train_time, pass_time = rows[0][1], rows[1][1]
    print(f"a train step costs {train_time / pass_time:.2f}x the passes alone (the update and the bookkeeping)")


if __name__ == "__main__":
    main()
