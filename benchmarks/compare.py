"""The passes of two revisions side by side, in one run: forward and backward per node.

    python benchmarks/compare.py 7f0e323          # that commit against the working tree
    python benchmarks/compare.py 7f0e323 --sizes 1000,10000,100000
    python benchmarks/compare.py 7f0e323 --json   # the JSON writer's text instead (bench.py's JSON row)

The other revision's bpcalc/ is taken with `git archive` into a temporary folder under the
package name `bpcalc_then`, so both import in this one process; the two are timed in turns
(best of several runs each, CPU time as bench.py takes it) on the same graphs from
bench.py's shapes, so a busy machine moves both sides alike. The cyclic GC is off, as
bpcalc.grad runs its passes.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench  # noqa: E402  (the shapes and the point)


def revision(rev: str, folder: Path):
    """bpcalc as it was at `rev`, importable as bpcalc_then."""
    command = ["git", "-C", str(HERE.parent), "archive", rev, "bpcalc", "grammar"]
    archive = subprocess.run(command, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    (folder / "bpcalc").rename(folder / "bpcalc_then")
    sys.path.insert(0, str(folder))
    return importlib.import_module("bpcalc_then.engine"), importlib.import_module("bpcalc_then.parse")


def best(fn, repeat: int) -> float:
    """The least CPU time of `repeat` calls (the wall clock would count other processes' turns)."""
    fastest = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        fastest = min(fastest, time.process_time() - start)
    return fastest


def timings(engine, parse, source: str, repeat: int) -> tuple[float, float, int]:
    graph = parse.parse(source)
    point = {name: bench.POINT[name] for name in graph.variables}
    values, wants = engine.leaves(graph, point)
    engine.forward(graph, values, wants)
    forward = best(lambda: engine.forward(graph, *engine.leaves(graph, point)), repeat)
    backward = best(lambda: engine.backward(graph, values, wants, "indicator", []), repeat)
    return forward, backward, len(graph.nodes)


def json_timing(engine, parse, source: str, repeat: int) -> tuple[float, int]:
    """bench.py's JSON row: the text of a result whose steps are made, in its pieces, encoded."""
    package = engine.__name__.rpartition(".")[0]
    grad = importlib.import_module(package).grad
    writer = importlib.import_module(package + ".render.json")
    result = grad(source, at={name: bench.POINT[name] for name in parse.parse(source).variables})
    len(result.steps)  # the steps made before the clock starts, as bench.py does
    return best(lambda: [piece.encode("utf-8") for piece in writer.chunks(result)], repeat), len(result.graph.nodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the revision to compare the working tree with")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=5, help="turns of then/now; each takes its best")
    parser.add_argument("--json", action="store_true", help="time the JSON writer instead of the passes")
    parser.add_argument("--shapes", default=",".join(bench.SHAPES), help="which of bench.py's shapes")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = {name: bench.SHAPES[name] for name in args.shapes.split(",")}
    now = importlib.import_module("bpcalc.engine"), importlib.import_module("bpcalc.parse")
    with tempfile.TemporaryDirectory() as folder:
        then = revision(args.rev, Path(folder))
        gc.disable()
        if args.json:
            json_rows(then, now, shapes, sizes, args.rounds)
            return
        print(f"{'shape':7} {'nodes':>8}   forward ns/node then → now        backward ns/node then → now")
        for shape, make in shapes.items():
            for size in sizes:
                source = make(size)
                repeat = 5 if size <= 10_000 else 2
                results: dict[str, list[tuple[float, float, int]]] = {"then": [], "now": []}
                for _ in range(args.rounds):  # in turns, so that load falls on both
                    for name, (engine, parse) in (("then", then), ("now", now)):
                        results[name].append(timings(engine, parse, source, repeat))
                (f0, b0, n), (f1, b1, _) = (
                    (min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]) for runs in results.values()
                )
                print(f"{shape:7} {n:>8,}   {f0 / n * 1e9:6.0f} → {f1 / n * 1e9:6.0f} ({f1 / f0:4.2f}x)"
                      f"          {b0 / n * 1e9:6.0f} → {b1 / n * 1e9:6.0f} ({b1 / b0:4.2f}x)", flush=True)
        gc.enable()


def json_rows(then, now, shapes: dict, sizes: list[int], rounds: int) -> None:
    print(f"{'shape':7} {'nodes':>8}   JSON us/node then → now")
    for shape, make in shapes.items():
        for size in sizes:
            source = make(size)
            repeat = 3 if size <= 10_000 else 1
            results: dict[str, list[float]] = {"then": [], "now": []}
            for _ in range(rounds):
                for name, (engine, parse) in (("then", then), ("now", now)):
                    seconds, n = json_timing(engine, parse, source, repeat)
                    results[name].append(seconds)
            t0, t1 = min(results["then"]), min(results["now"])
            print(f"{shape:7} {n:>8,}   {t0 / n * 1e6:6.2f} → {t1 / n * 1e6:6.2f} ({t1 / t0:4.2f}x)", flush=True)


if __name__ == "__main__":
    main()
