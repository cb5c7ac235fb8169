"""Make the XOR data set and the starting weights of examples/xor: python make_data.py (writes xor.jsonl, init.json).

50 points scattered around the four corners (±1, ±1) of a square; the label is 1 where the two
coordinates have different signs (exclusive or), 0 where they agree. No line separates the
classes, so a model needs the hidden layer. Seeded, so the files are the same on every machine.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

ROWS = 50
HIDDEN = 4
NOISE = 0.25


def main(folder: Path = Path(__file__).parent) -> None:
    rng = random.Random(12)
    lines = []
    for i in range(ROWS):
        a, b = (-1, 1)[i % 2], (-1, 1)[(i // 2) % 2]
        x = [round(a + rng.gauss(0, NOISE), 3), round(b + rng.gauss(0, NOISE), 3)]
        lines.append(json.dumps({"x": x, "y": int(a != b)}))
    (folder / "xor.jsonl").write_text("\n".join(lines) + "\n")
    # small random starting weights (Glorot-like scale), zero biases
    init = {
        "W1": [[round(rng.uniform(-1, 1), 3) for _ in range(2)] for _ in range(HIDDEN)],
        "b1": [0.0] * HIDDEN,
        "w2": [round(rng.uniform(-1, 1), 3) for _ in range(HIDDEN)],
        "b2": 0.0,
    }
    text = ",\n".join(f"  {json.dumps(name)}: {json.dumps(value)}" for name, value in init.items())
    (folder / "init.json").write_text("{\n" + text + "\n}\n")


if __name__ == "__main__":
    main()
