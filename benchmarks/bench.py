"""bpcalc's benchmarks: start-up, scaling per node, backward/forward ratio, memory, micrograd.

Run from the checkout with bpcalc installed (pip install -e . or pip install .):

    python benchmarks/bench.py                  # sizes 10^3 .. 10^5, quick
    python benchmarks/bench.py --max-nodes 1e6  # the full range (a few minutes)

Every figure is measured in this one run on this machine, and the targets are
ratios, so a slower or busier machine moves both sides. micrograd is installed
from the package index into its own virtual environment (benchmarks/.venv-micrograd),
never into bpcalc's.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADLINE = ["grad", "(x+y)*z", "--at", "x=-2,y=5,z=-4"]


# ---------------------------------------------------------------- inputs


def chain(n: int) -> str:
    """A program whose statements each use the one before: t1 = x*w + b; t2 = t1*w + b; ..."""
    links = max(1, n // 2)
    lines = ["t1 = x*w + b"] + [f"t{k} = t{k - 1}*w + b" for k in range(2, links + 1)]
    return "\n".join(lines)


def wide(n: int) -> str:
    """A flat sum of products over 1000 reused variables: x0*y0 + x1*y1 + ..."""
    terms = max(1, n // 2)
    return "+".join(f"x{k % 1000}*y{k % 1000}" for k in range(terms))


def deep(n: int) -> str:
    """Nested parentheses as deep as the expression is long: (((x*w+1)*w+1)...)."""
    depth = max(1, n // 2)
    return "(" * depth + "x" + "*w+1)" * depth


def fanout(n: int) -> str:
    """A program where every value feeds the next two: a_k = a_{k-1}*p + a_{k-2}*q."""
    links = max(2, n // 3)
    lines = ["a1 = x*p + y*q", "a2 = a1*p + x*q"] + [f"a{k} = a{k - 1}*p + a{k - 2}*q" for k in range(3, links + 1)]
    return "\n".join(lines)


def flat_sum(chars: int) -> str:
    """x0+x1+...+x499+x0+... at least `chars` characters long."""
    terms, length = [], -1
    while length < chars:
        terms.append(f"x{len(terms) % 500}")
        length += len(terms[-1]) + 1
    return "+".join(terms)


SHAPES = {"chain": chain, "wide": wide, "deep": deep, "fanout": fanout}
POINT = {"x": 0.5, "y": -0.25, "w": 0.999, "b": 0.001, "p": 0.6, "q": 0.4}
POINT.update({f"x{k}": 0.001 * k for k in range(1000)})
POINT.update({f"y{k}": 1 - 0.0005 * k for k in range(1000)})


# ---------------------------------------------------------------- start-up


def bpcalc_command() -> list[str]:
    script = Path(sys.executable).with_name("bpcalc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bpcalc"]


def startup(runs: int) -> dict[str, float]:
    """Median CPU time (user + system) of the headline call (table and --json) and `python -c pass`, interleaved.

    CPU time rather than wall time: on a shared machine the wall clock also counts the
    time other processes hold the cores.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with bytecode caches
    env["NO_COLOR"] = "1"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "bpcalc --json": bpcalc_command() + HEADLINE + ["--json"],
        "bpcalc table": bpcalc_command() + HEADLINE,
    }
    for command in commands.values():  # warm up: bytecode caches
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {name: statistics.median(t) for name, t in times.items()}


# ---------------------------------------------------------------- scaling


def best_of(fn, repeat: int) -> float:
    """The least CPU time of `repeat` calls (CPU time: on a shared machine the wall clock counts others' time)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def scaling(sizes: list[int]) -> list[dict]:
    """Parse, forward and backward seconds per node for every shape and size.

    This machine has slow spells of a second or two, longer than a run of several
    small parses: so the repeats of one program are spread over the whole section,
    one parse, forward and backward of every program per round, and each figure is
    the best of its rounds (as many at each size, so that sizes compare fairly).
    """
    from bpcalc.engine import backward, forward, leaves
    from bpcalc.parse import parse

    programs = [(shape, size, make(size)) for shape, make in SHAPES.items() for size in sizes]
    rounds = 5 if max(sizes) <= 100_000 else 1
    best: dict[tuple, list[float]] = {}
    nodes: dict[tuple, int] = {}
    gc.disable()  # as bpcalc.grad and the CLI do
    for _ in range(rounds):
        for shape, size, source in programs:
            key = (shape, size)
            parse_s = best_of(lambda: parse(source), 1)
            graph = parse(source)
            point = {name: POINT[name] for name in graph.variables}
            forward_s = best_of(lambda: forward(graph, *leaves(graph, point)), 1)
            values, wants = leaves(graph, point)
            forward(graph, values, wants)
            backward_s = best_of(lambda: backward(graph, values, wants, "indicator", []), 1)
            times = [parse_s, forward_s, backward_s]
            best[key] = [min(a, b) for a, b in zip(best.get(key, times), times)]
            nodes[key] = len(graph.nodes)
    gc.enable()
    rows = []
    for shape, size, source in programs:
        (parse_s, forward_s, backward_s), n = best[(shape, size)], nodes[(shape, size)]
        rows.append({"shape": shape, "size": size, "nodes": n, "chars": len(source),
                     "parse": parse_s, "forward": forward_s, "backward": backward_s})
        print(f"  {shape:7} {n:>9,} nodes  parse {parse_s:7.3f}s  forward {forward_s:6.3f}s  backward {backward_s:6.3f}s", flush=True)
    return rows


# ---------------------------------------------------------------- JSON


def json_pieces(result):
    """The JSON text in the pieces bpcalc writes (one piece where the writer is not streaming)."""
    from bpcalc.render import json as render_json

    chunks = getattr(render_json, "chunks", None)
    return chunks(result) if chunks is not None else [render_json.dumps(result)]


def json_writing(sizes: list[int]) -> list[dict]:
    """Seconds per node to write the JSON text (made and encoded to UTF-8, not printed), steps made before."""
    import bpcalc
    from bpcalc.parse import parse

    rows = []
    gc.disable()
    for shape, make in SHAPES.items():
        for size in sizes:
            source = make(size)
            result = bpcalc.grad(source, at={name: POINT[name] for name in parse(source).variables})
            result.steps  # the reverse pass replayed: measured with the engine, not here
            repeat = 3 if size <= 100_000 else 1
            seconds = best_of(lambda: [piece.encode("utf-8") for piece in json_pieces(result)], repeat)
            n = len(result.graph.nodes)
            rows.append({"shape": shape, "nodes": n, "json": seconds})
            print(f"  {shape:7} {n:>9,} nodes  JSON {seconds / n * 1e6:6.2f} us/node", flush=True)
    gc.enable()
    return rows


# ---------------------------------------------------------------- memory

_MEMORY_CHILD = """
import os, resource, sys, tracemalloc
sys.path.insert(0, sys.argv[4])
import bpcalc
from bench import json_pieces
bpcalc.grad("x", at={"x": 1})  # load the parser first: measure the graph, not the imports
json_pieces(bpcalc.grad("x", at={"x": 1}))
source = open(sys.argv[1]).read()
point = {k: float(v) for k, v in (item.split("=") for item in sys.argv[2].split(","))}
tracemalloc.start()
result = bpcalc.grad(source, at=point)
steps = len(result.steps)
if sys.argv[3] == "json":  # as `bpcalc grad --json` writes it: pieces gathered up to 64 KB
    with open(os.devnull, "wb") as sink:
        held, size = [], 0
        for piece in json_pieces(result):
            held.append(piece)
            size += len(piece)
            if size >= 1 << 16:
                sink.write("".join(held).encode("utf-8"))
                held, size = [], 0
        sink.write("".join(held).encode("utf-8"))
current, peak = tracemalloc.get_traced_memory()
print(len(result.graph.nodes), peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory(sizes: list[int], workdir: Path) -> list[dict]:
    """Peak memory of bpcalc.grad and its steps, in a fresh process per size (tracemalloc)."""
    rows = []
    for size in sizes:
        path = workdir / f"wide-{size}.bp"
        path.write_text(wide(size))
        point = ",".join(f"x{k}={0.001 * k},y{k}={1 - 0.0005 * k}" for k in range(min(1000, max(1, size // 2))))
        peaks = {}
        for mode in ("plain", "json"):
            command = [sys.executable, "-c", _MEMORY_CHILD, str(path), point, mode, str(HERE)]
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            nodes, peaks[mode], maxrss_kb = map(int, out.stdout.split())
        peak = peaks["plain"]
        rows.append({"nodes": nodes, "peak_bytes": peak, "bytes_per_node": peak / nodes, "maxrss_kb": maxrss_kb,
                     "json_peak_bytes": peaks["json"], "json_ratio": peaks["json"] / peak})
        print(
            f"  wide {nodes:>9,} nodes  peak {peak / 2**20:8.1f} MB traced  ({peak / nodes:5.0f} bytes/node)"
            f"  with --json {peaks['json'] / 2**20:8.1f} MB ({peaks['json'] / peak:4.2f}x)"
            f"  process {maxrss_kb / 1024:7.1f} MB",
            flush=True,
        )
    return rows


# ---------------------------------------------------------------- micrograd

_MICROGRAD_CHILD = """
import json, sys, threading, time, gc
sys.setrecursionlimit(10**8)          # micrograd's topological sort is recursive
threading.stack_size(1 << 30)
from micrograd.engine import Value
REPEAT = int(sys.argv[2])

def build_and_backpropagate(nodes):
    vals = []
    for op, inputs, value in nodes:
        if op == "leaf":
            vals.append(Value(value))
        elif op == "add":
            vals.append(vals[inputs[0]] + vals[inputs[1]])
        else:
            vals.append(vals[inputs[0]] * vals[inputs[1]])
    vals[-1].backward()

def best_of(nodes, collect):
    best = float("inf")
    for _ in range(REPEAT):
        gc.collect()
        if not collect:
            gc.disable()
        start = time.process_time()
        build_and_backpropagate(nodes)
        best = min(best, time.process_time() - start)
        gc.enable()
    return best

def main():
    results = []
    for nodes in json.load(open(sys.argv[1])):
        # as micrograd runs by default; and with the cyclic GC off, as bpcalc runs
        results += [best_of(nodes, True), best_of(nodes, False)]
    print(json.dumps(results))

t = threading.Thread(target=main); t.start(); t.join()
"""


def micrograd_python(workdir: Path) -> str | None:
    venv = HERE / ".venv-micrograd"
    python = venv / "bin" / "python"
    if not python.exists():
        print("  installing micrograd into benchmarks/.venv-micrograd ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "micrograd==0.1.0"], capture_output=True, text=True)
        if done.returncode != 0:
            print("  micrograd could not be installed: " + done.stderr.strip().splitlines()[-1])
            shutil.rmtree(venv, ignore_errors=True)
            return None
    return str(python)


MICROGRAD_REPEAT = 5  # best of 5 in each child process
MICROGRAD_ROUNDS = 5  # for each graph, each side's child runs 5 times, in turns; the best of the rounds counts


def engine_times(graphs: list[tuple[str, int]], repeat: int) -> tuple[list[dict], list]:
    """bpcalc's engine (leaves + forward + backward, parse excluded) on micrograd's graphs: CPU seconds, best of `repeat`."""
    from bpcalc.engine import backward, forward, leaves
    from bpcalc.parse import parse

    rows, programs = [], []
    gc.disable()
    for shape, size in graphs:
        graph = parse(SHAPES[shape](size))
        point = {name: POINT[name] for name in graph.variables}

        def engine():
            values, wants = leaves(graph, point)
            forward(graph, values, wants)
            backward(graph, values, wants, "indicator", [])

        ours = best_of(engine, repeat)
        nodes = [
            ["leaf", [], node.literal if node.op == "const" else point[node.label]] if not node.inputs else [node.op, list(node.inputs), 0]
            for node in graph.nodes
        ]
        assert all(op in ("leaf", "add", "mul") for op, _, _ in nodes)
        programs.append(nodes)
        rows.append({"shape": shape, "size": size, "nodes": len(nodes), "bpcalc": ours})
    gc.enable()
    return rows, programs


_ENGINE_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import bench
rows, programs = bench.engine_times(json.loads(sys.argv[2]), int(sys.argv[3]))
if len(sys.argv) > 4:
    open(sys.argv[4], "w").write(json.dumps(programs))
print(json.dumps(rows))
"""


def versus_micrograd(sizes: list[int], workdir: Path) -> list[dict]:
    """bpcalc's engine (forward + backward, parse excluded) against micrograd on the same graphs.

    Each side runs in a fresh process of its own (so neither pays for what ran before it),
    one graph at a time, the two in turns, MICROGRAD_ROUNDS times for each graph: the two
    figures of a ratio are measured within seconds of each other, so a slow spell of the
    machine falls on both. Each figure is the best of all its runs.
    """
    python = micrograd_python(workdir)
    if python is None:
        return []
    rows: list[dict] = []
    for shape in ("wide", "deep", "fanout"):
        for size in sizes:
            path = workdir / f"micrograd-{shape}-{size}.json"
            row: dict = {}
            times = [float("inf"), float("inf")]  # micrograd with its GC on, and off
            for round_ in range(MICROGRAD_ROUNDS):
                command = [sys.executable, "-c", _ENGINE_CHILD, str(HERE), json.dumps([[shape, size]]), str(MICROGRAD_REPEAT)]
                (ours,) = json.loads(subprocess.run(command + ([str(path)] if round_ == 0 else []), capture_output=True, text=True, check=True).stdout)
                row = ours if not row else dict(row, bpcalc=min(row["bpcalc"], ours["bpcalc"]))
                out = subprocess.run([python, "-c", _MICROGRAD_CHILD, str(path), str(MICROGRAD_REPEAT)], capture_output=True, text=True)
                if out.returncode != 0:
                    print("  micrograd run failed: " + (out.stderr.strip().splitlines() or ["?"])[-1])
                    return []
                times = [min(a, b) for a, b in zip(times, json.loads(out.stdout))]
            rows.append(dict(row, micrograd=times[0], without_gc=times[1]))
    for row in rows:
        seconds, without_gc = row["micrograd"], row["without_gc"]
        row["ratio"] = row["bpcalc"] / seconds
        n = row["nodes"]
        print(
            f"  {row['shape']:7} {n:>9,} nodes  bpcalc {row['bpcalc'] / n * 1e6:5.2f} us/node  "
            f"micrograd {seconds / n * 1e6:5.2f} us/node  ratio {row['ratio']:.2f}"
            f"   (micrograd with the GC off {without_gc / n * 1e6:5.2f} us/node, ratio {row['bpcalc'] / without_gc:.2f})",
            flush=True,
        )
    return rows


# ---------------------------------------------------------------- arrays


def arrays() -> list[dict]:
    """Large arrays: bpcalc.grad on 1000×1000 matrices against the bare NumPy calls it makes."""
    import numpy as np

    import bpcalc

    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((1000, 1000)), rng.standard_normal((1000, 1000))
    W, a, b = rng.standard_normal((1000, 1000)) / 30, rng.standard_normal(1000), rng.standard_normal(1000)
    y = np.eye(1000)[3]
    cases = [
        ("sum(A @ B), 1000×1000", "sum(A @ B)", {"A": A, "B": B},
         lambda: (A @ B).sum() + (np.ones((1000, 1000)) @ B.T).sum() + (A.T @ np.ones((1000, 1000))).sum()),
        ("cross_entropy(W @ a + b, y)", "cross_entropy(W @ a + b, y)", {"W": W, "a": a, "b": b, "y": y},
         lambda: np.outer(W @ a + b, a).sum() + (W.T @ (W @ a + b)).sum()),
        ("sum(sigmoid(A)), element-wise", "sum(sigmoid(A))", {"A": A}, None),
    ]
    rows = []
    for label, source, point, numpy_only in cases:
        seconds = best_of(lambda: bpcalc.grad(source, at=point), 3)
        baseline = best_of(numpy_only, 3) if numpy_only else None
        rows.append({"case": label, "bpcalc": seconds, "numpy": baseline})
        extra = f"  (the NumPy calls alone {baseline:.3f} s)" if baseline else "  (a Python call per element: the scalar rule's own code)"
        print(f"  {label:32} {seconds:6.3f} s{extra}", flush=True)
    return rows


# ---------------------------------------------------------------- report


def check(name: str, ok: bool, figure: str) -> str:
    return f"| {name} | {figure} | {'met' if ok else 'NOT met'} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-nodes", type=float, default=1e5, help="largest generated graph (default 1e5; 1e6 for the full run)")
    parser.add_argument("--runs", type=int, default=30, help="start-up runs per command (default 30)")
    args = parser.parse_args()
    top = int(args.max_nodes)
    sizes = [10**k for k in range(3, 7) if 10**k <= top]
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / "bpcalc-bench"
    workdir.mkdir(exist_ok=True)

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; sizes {sizes}\n")
    print("start-up (median CPU time, interleaved runs):", flush=True)
    times = startup(args.runs)
    base = times["python -c pass"]
    for name, seconds in times.items():
        print(f"  {name:15} {seconds * 1000:7.1f} ms  {seconds / base:5.1f}x")

    print("\nscaling (best of 5 rounds over all programs; 10^6 once):", flush=True)
    rows = scaling(sizes)

    print("\nJSON writing (best of 3, the text made and encoded, not printed):", flush=True)
    json_rows = json_writing(sizes)

    print("\npeak memory (bpcalc.grad and its steps; then also writing the JSON):", flush=True)
    mem = memory(sizes, workdir)

    print("\nlarge arrays (best of 3, value and every gradient):", flush=True)
    arrays()

    print("\nengine against micrograd (same graphs, parse excluded):", flush=True)
    versus = versus_micrograd([s for s in sizes if s <= 100_000], workdir)

    # Targets, as ratios measured in this run.
    lines = ["", "| target | figure | verdict |", "|---|---|---|"]
    json_x, table_x = times["bpcalc --json"] / base, times["bpcalc table"] / base
    lines.append(check("headline --json within 8x `python -c pass` (CPU time)", json_x <= 8, f"{json_x:.1f}x"))
    lines.append(check("headline table within 11x `python -c pass` (CPU time)", table_x <= 11, f"{table_x:.1f}x"))
    for shape in SHAPES:
        series = [r for r in rows if r["shape"] == shape]
        per_node = [r["parse"] / r["nodes"] * 1e6 for r in series]
        figure = ", ".join(f"{us:.1f}" for us in per_node) + " us/node at " + ", ".join(f"{r['nodes']:,}" for r in series)
        lines.append(check(f"parse at most 12 us/node ({shape})", max(per_node) <= 12, figure))
    if json_rows:
        per_node = [r["json"] / r["nodes"] * 1e6 for r in json_rows]
        lines.append(check("JSON writing at most 15 us/node", max(per_node) <= 15,
                           f"{min(per_node):.1f}-{max(per_node):.1f} us/node"))
    if mem:
        worst_json = max(m["json_ratio"] for m in mem)
        lines.append(check("peak memory with --json at most 1.5x without", worst_json <= 1.5, f"worst {worst_json:.2f}x"))
    growth = {}  # time ratio for 10x the terms, for each shape and step up in size
    for shape in SHAPES:
        series = [r for r in rows if r["shape"] == shape]
        for small, big in zip(series, series[1:]):
            total_small = small["parse"] + small["forward"] + small["backward"]
            total_big = big["parse"] + big["forward"] + big["backward"]
            growth[f"{shape} {small['size']:,}->{big['size']:,} terms"] = total_big / total_small
    if growth:
        worst = max(growth, key=growth.get)
        lines.append(check("10x more terms costs at most 12x the time", growth[worst] <= 12, f"worst {growth[worst]:.1f}x ({worst})"))
    ratio = max(r["backward"] / r["forward"] for r in rows)
    lines.append(check("backward at most 3x forward", ratio <= 3, f"worst {ratio:.2f}x"))
    if len(mem) > 1:
        per_node = [m["bytes_per_node"] for m in mem if m["nodes"] >= 10_000]
        spread = max(per_node) / min(per_node) if per_node else 1.0
        lines.append(check("peak memory linear in nodes", spread <= 1.5, f"{min(per_node):.0f}-{max(per_node):.0f} bytes/node"))
    for size in sorted({r["size"] for r in versus}):
        at_size = [r for r in versus if r["size"] == size and "ratio" in r]
        if at_size:
            worst = max(r["ratio"] for r in at_size)
            lines.append(check(f"engine per node at most 1/3 of micrograd's at {size:,} terms", worst <= 1 / 3,
                               f"worst {worst:.2f}"))
    print("\n".join(lines))

    print("\nend to end through the CLI (--json, from a file):", flush=True)
    depth = 100_000
    for label, source, point in (
        ("100,000-deep sin(sin(...x))", "sin(" * depth + "x" + ")" * depth, "x=0.5"),
        ("100,000-deep (...(x+1)+1...)", "(" * depth + "x" + "+1)" * depth, "x=0.5"),
        ("100,000-deep (...(x*w+1)...)", deep(2 * depth), "x=0.5,w=0.999"),
        ("200,000-character flat sum", flat_sum(200_000), ",".join(f"x{k}={k}" for k in range(500))),
    ):
        path = workdir / "e2e.bp"
        path.write_text(source)
        start = time.perf_counter()
        subprocess.run(bpcalc_command() + ["grad", "--file", str(path), "--at", point, "--json"], stdout=subprocess.DEVNULL, check=True)
        print(f"  {label:30} {len(source):>9,} chars  {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    main()
