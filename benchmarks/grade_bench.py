"""bpcalc grade at scale: 10, 100, 1,000 and 10,000 submissions, on one process and on two.

    python benchmarks/grade_bench.py [--sizes 10,100,1000,10000] [--jobs 2]

Each submission answers an assignment of three problems (one with per-student
variants) with a mix of right and wrong numbers, so the diagnoses run too.
Prints the wall time per size and jobs, the cost per submission, and the
speed-up of --jobs N over --jobs 1 (checking that both give the same JSON
lines). --jobs N runs N processes at every size here (the threshold below
which `grade` keeps to one process is lowered to 0), to show where they pay.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpcalc.assignment as assignment_module  # noqa: E402
from bpcalc.assignment import grade, load_assignment  # noqa: E402
from bpcalc.render.check_json import grades_jsonl  # noqa: E402

HOMEWORK = '''
title = "bench"
seed = 1

[[problems]]
id = "1"
expression = "q = x + y; f = q * z"
at = "x=-2, y=5, z=-4"
ask = ["q", "f", "df/dq", "df/dx", "df/dy", "df/dz"]

[[problems]]
id = "neuron"
program = """
z = w1*x1 + w2*x2 + b
p = sigmoid(z)
L = -(y*log(p) + (1 - y)*log(1 - p))
"""
at = "x1=0.5, x2=-1, b=0.1, y=1, w2=0.3"
ask = ["z", "p", "L", "dL/dz", "dL/dw1", "dL/dw2", "dL/db"]
[problems.random]
w1 = { min = -2, max = 2, step = 0.25 }

[[problems]]
id = "hinge"
expression = "max(0, 1 - w*phi*y)"
at = { w = 0.5, phi = 1, y = 1 }
'''


def answers(i: int) -> str:
    # a sign lost in df/dq for every third student, a carried error after it; the neuron half right
    dq = 4 if i % 3 == 0 else -4
    return (
        f'id = "s{i}"\n[1]\nq = 3\nf = -12\n"df/dq" = {dq}\n"df/dx" = {dq}\n"df/dy" = {dq}\n"df/dz" = 3\n'
        f'[neuron]\nz = 0.2\np = 0.55\nL = 0.6\n"dL/dz" = -0.45\n'
        f'[hinge]\nf = 0.5\n"df/dw" = {-1 if i % 2 else 1}\n"df/dphi" = -0.5\n"df/dy" = -0.5\n'
    )


def timed(homework, files, jobs: int) -> tuple[float, str]:
    start = time.perf_counter()
    text = grades_jsonl(grade(homework, files, jobs=jobs))
    return time.perf_counter() - start, text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "hw.toml").write_text(HOMEWORK)
        homework = load_assignment(root / "hw.toml")
        for i in range(max(sizes)):
            (root / f"s{i:05}.toml").write_text(answers(i))
        every = sorted(root.glob("s*.toml"))
        print(f"cpus available: {assignment_module.cores()}, python {sys.version.split()[0]}")
        heading = ("submissions", "jobs 1", "per sub", f"jobs {args.jobs}", "speed-up")
        print(f"{heading[0]:>11}  " + "  ".join(f"{h:>8}" for h in heading[1:]))
        assignment_module.PARALLEL_FROM = 0  # N processes at every size, to see what they cost and save
        for n in sizes:
            files = every[:n]
            one, text_one = timed(homework, files, 1)
            many, text_many = timed(homework, files, args.jobs)
            assert text_one == text_many, "--jobs changed the output"
            print(f"{n:>11}  {one:7.2f}s  {one / n * 1000:6.2f}ms  {many:7.2f}s  {one / many:7.2f}x")

if __name__ == "__main__":
    main()
